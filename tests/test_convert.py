"""Streaming conversion to Parquet: the file holds exactly what read_zeek reads, every common
reader takes it, and failures leave nothing behind."""

from __future__ import annotations

import gzip
import math
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import _core
from zeekframe.cli import main
from zeekframe.convert import Compression
from zeekframe.datasets import demo

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n#fields\tts\tuid\tid.resp_p\tn\n#types\ttime\tstring\tport\tcount\n"
)


@pytest.fixture(scope="module")
def demo_conn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo(tmp_path_factory.mktemp("demo"), scale=0.002, seed=5).conn


def only_file(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_every_wellformed_log_converts_to_what_read_zeek_reads(
    corpus: Path, wellformed_log: str, tmp_path: Path
) -> None:
    source = corpus / wellformed_log
    dest = tmp_path / "out.parquet"
    result = zf.convert(source, dest, progress=False)
    expected = zf.read_zeek(source)
    written = pl.read_parquet(dest)
    assert_frame_equal(written, expected)
    assert result.rows == expected.height
    assert result.columns == expected.columns
    assert only_file(tmp_path) == ["out.parquet"]


def test_sample_columns_and_rename_match_read_zeek_and_row_groups(
    demo_conn: Path, tmp_path: Path
) -> None:
    columns = ["ts", "id_orig_h", "id_resp_p", "duration", "tunnel_parents", "proto"]
    options = {"sample": 0.1, "seed": 7, "columns": columns, "rename": "underscore"}
    dest = tmp_path / "conn.parquet"
    result = zf.convert(demo_conn, dest, row_group_size=1000, progress=False, **options)  # type: ignore[arg-type]
    expected = zf.read_zeek(demo_conn, **options)  # type: ignore[call-overload]
    assert_frame_equal(pl.read_parquet(dest), expected)
    assert result.rows == expected.height > 2000
    metadata = pq.ParquetFile(dest).metadata
    assert metadata.num_row_groups == result.row_groups == math.ceil(result.rows / 1000)
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups - 1)] == [
        1000
    ] * (metadata.num_row_groups - 1)
    assert metadata.created_by.startswith("zeekframe ")


def test_pyarrow_pandas_and_duckdb_read_the_file(demo_conn: Path, tmp_path: Path) -> None:
    dest = tmp_path / "conn.parquet"
    zf.convert(demo_conn, dest, sample=0.2, seed=1, progress=False)
    frame = zf.read_zeek(demo_conn, sample=0.2, seed=1)

    table = pq.read_table(dest)
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("uid").type == pa.string()  # classic strings, not views
    assert table.schema.field("id.resp_p").type == pa.uint16()
    assert table.schema.field("duration").type == pa.duration("us")
    assert table.schema.field("tunnel_parents").type == pa.list_(pa.string())
    assert table.num_rows == frame.height

    pandas = pd.read_parquet(dest, dtype_backend="pyarrow")
    assert len(pandas) == frame.height
    for name in ("orig_bytes", "duration", "service", "local_orig"):
        assert int(pandas[name].isna().sum()) == frame[name].null_count(), name
    # Nullable counts stay integers, and timestamps keep every microsecond.
    assert str(pandas["orig_bytes"].dtype) == "uint64[pyarrow]"
    first_ts = frame["ts"][0]
    assert pandas["ts"].iloc[0].to_pydatetime() == first_ts

    quoted = str(dest).replace("'", "''")
    db = duckdb.connect()
    count, hosts, low, high = db.execute(
        'SELECT count(*), count(DISTINCT "id.orig_h"), epoch_us(min(ts)), epoch_us(max(ts)) '
        f"FROM '{quoted}'"
    ).fetchone()  # type: ignore[misc]
    assert count == frame.height
    assert hosts == frame["id.orig_h"].n_unique()
    assert low == frame["ts"].dt.epoch("us").min()
    assert high == frame["ts"].dt.epoch("us").max()
    top = db.execute(
        f'SELECT "id.orig_h", "id.resp_p", count(*) AS n FROM \'{quoted}\' '
        'WHERE "id.resp_p" <> 80 GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 5'
    ).fetchall()
    expected = (
        frame.filter(pl.col("id.resp_p") != 80)
        .group_by("id.orig_h", "id.resp_p")
        .len()
        .sort(["len", "id.orig_h", "id.resp_p"], descending=[True, False, False])
        .head(5)
        .rows()
    )
    assert top == expected


def test_mime_categories_and_filters_are_applied_while_parsing(tmp_path: Path) -> None:
    http = demo(tmp_path / "demo", scale=0.002, seed=9).http
    predicate = ~pl.col("id.resp_p").is_in([80, 8080])
    dest = tmp_path / "http.parquet"
    zf.convert(
        http,
        dest,
        filter=predicate,
        mime_categories=zf.REPORT_MIME_CATEGORIES,
        progress=False,
    )
    expected = zf.read_zeek(http, mime_categories=zf.REPORT_MIME_CATEGORIES).filter(predicate)
    written = pl.read_parquet(dest)
    assert written.height == expected.height > 0
    assert_frame_equal(
        written.with_columns(pl.col("mime_category").cast(pl.String)),
        expected.with_columns(pl.col("mime_category").cast(pl.String)),
    )
    with pytest.raises(ValueError, match="cannot apply all of"):
        zf.convert(http, dest, filter=pl.col("uri").str.contains("x"), progress=False)


def test_a_later_header_block_with_new_columns_rewrites_the_file(tmp_path: Path) -> None:
    rows = "".join(f"{1_300_000_000 + i}.5\tC{i}\t{i % 100}\t{i}\n" for i in range(5000))
    later = (
        "#separator \\x09\n#fields\tts\tn\textra\n#types\ttime\tcount\tset[string]\n"
        "1400000000.25\t7\ta,b\n1400000001.0\t-\t(empty)\n"
    )
    source = tmp_path / "rotated.log.gz"
    source.write_bytes(gzip.compress((HEADER + rows + later).encode()))
    dest = tmp_path / "out" / "rotated.parquet"
    dest.parent.mkdir()
    result = zf.convert(source, dest, row_group_size=700, progress=False)
    written = pl.read_parquet(dest)
    assert_frame_equal(written, zf.read_zeek(source))
    assert written.columns == ["ts", "uid", "id.resp_p", "n", "extra"]
    assert written["extra"].to_list()[-3:] == [None, ["a", "b"], []]
    assert result.rows == 5002
    assert only_file(dest.parent) == ["rotated.parquet"]


def test_a_bad_line_raises_with_its_position_and_leaves_no_file(tmp_path: Path) -> None:
    source = tmp_path / "bad.log"
    source.write_text(HEADER + "1.0\tCa\t80\t1\n2.0\tCb\t99999\t2\n3.0\tCc\t81\t3\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(zf.ZeekParseError) as raised:
        zf.convert(source, out / "bad.parquet", progress=False)
    assert (raised.value.path, raised.value.line, raised.value.column) == (str(source), 9, 3)
    assert raised.value.value == "99999"
    assert only_file(out) == []
    with pytest.warns(zf.ZeekSkippedLinesWarning, match="skipped 1 bad line"):
        result = zf.convert(source, out / "bad.parquet", on_bad_line="skip", progress=False)
    assert result.skipped_count == 1
    assert pl.read_parquet(out / "bad.parquet")["n"].to_list() == [1, 3]


def seen_by(seen: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda done, rows: seen.append((done, rows))


def test_progress_reaches_the_whole_input_and_an_exception_stops_the_work(
    demo_conn: Path, tmp_path: Path
) -> None:
    compressed = tmp_path / "conn.log.gz"
    compressed.write_bytes(gzip.compress(demo_conn.read_bytes(), compresslevel=1))
    for source in (demo_conn, compressed):
        seen: list[tuple[int, int]] = []
        rows, *_ = _core.convert_parquet(
            [str(source)], str(tmp_path / "out.parquet"), chunk_size=1 << 16, progress=seen_by(seen)
        )
        assert len(seen) > 10
        assert seen == sorted(seen)
        assert seen[-1] == (os.path.getsize(source), rows)

    def interrupt(done: int, rows: int) -> None:
        if rows > 1000:
            raise KeyboardInterrupt

    out = tmp_path / "stopped"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        _core.convert_parquet(
            [str(demo_conn)], str(out / "x.parquet"), chunk_size=1 << 16, progress=interrupt
        )
    assert only_file(out) == []
    # The public function's bar (shown only after a second) does not change the result.
    result = zf.convert(demo_conn, out / "bar.parquet", columns=["uid"])
    assert result.rows == zf.read_zeek(demo_conn, columns=["uid"]).height


@pytest.mark.parametrize(
    ("compression", "level"), [("zstd", 19), ("snappy", None), ("uncompressed", None)]
)
def test_compressions(
    demo_conn: Path, tmp_path: Path, compression: Compression, level: int | None
) -> None:
    dest = tmp_path / "c.parquet"
    zf.convert(
        demo_conn,
        dest,
        columns=["uid", "id.resp_p"],
        compression=compression,
        compression_level=level,
        progress=False,
    )
    codec = pq.ParquetFile(dest).metadata.row_group(0).column(0).compression
    assert codec == compression.upper()
    assert_frame_equal(pl.read_parquet(dest), zf.read_zeek(demo_conn, columns=["uid", "id.resp_p"]))


def test_bad_arguments_are_clear(demo_conn: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="compression='lz4'"):
        zf.convert(demo_conn, tmp_path / "x.parquet", compression="lz4", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zstd level"):
        zf.convert(demo_conn, tmp_path / "x.parquet", compression_level=40, progress=False)
    with pytest.raises(ValueError, match="compression_level applies to zstd only"):
        zf.convert(
            demo_conn,
            tmp_path / "x.parquet",
            compression="snappy",
            compression_level=3,
            progress=False,
        )
    with pytest.raises(ValueError, match="row_group_size"):
        zf.convert(demo_conn, tmp_path / "x.parquet", row_group_size=0, progress=False)
    with pytest.raises(IsADirectoryError, match="name the file"):
        zf.convert(demo_conn, tmp_path, progress=False)
    with pytest.raises(zf.ZeekError, match='"nope" is not in the log'):
        zf.convert(demo_conn, tmp_path / "x.parquet", columns=["nope"], progress=False)
    with pytest.raises(FileNotFoundError):
        zf.convert(tmp_path / "missing.log", tmp_path / "x.parquet", progress=False)
    assert only_file(tmp_path) == []


def test_cli_convert(demo_conn: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "conn.parquet"
    argv = ["convert", str(demo_conn), "-o", str(dest), "--sample", "0.5", "--seed", "3"]
    assert main([*argv, "--columns", "ts,id.orig_h", "--underscore", "-q"]) == 0
    out = capsys.readouterr().out
    expected = zf.read_zeek(
        demo_conn, sample=0.5, seed=3, columns=["ts", "id_orig_h"], rename="underscore"
    )
    assert f"{expected.height:,} rows" in out
    assert_frame_equal(pl.read_parquet(dest), expected)
    assert main(["convert", str(tmp_path / "missing.log"), "-o", str(dest), "-q"]) == 1
    assert "missing.log" in capsys.readouterr().err
