"""Whole log archives: a directory or glob of rotated logs reads as one frame, ``log_type``
picks one log type out of a mixed directory, and ``include_file_paths`` says where each row
came from."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf

RITA_HOURLY = "test_data__missing_host__*"


def header_path(path: Path) -> str | None:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for line in raw.split(b"\n"):
        if not line.startswith(b"#"):
            return None
        if line.startswith(b"#path\t"):
            return line.split(b"\t", 1)[1].decode()
    return None


@pytest.fixture(scope="module")
def rita(corpus: Path) -> Path:
    return corpus / "rita"


@pytest.mark.parametrize("log_type", ["conn", "dns", "ssl", "weird"])
def test_log_type_picks_one_type_out_of_the_hourly_archive(rita: Path, log_type: str) -> None:
    everything = sorted(rita.glob(RITA_HOURLY))
    chosen = [p for p in everything if header_path(p) == log_type]
    assert len(chosen) == 72
    frame = zf.read_zeek(str(rita / RITA_HOURLY), log_type=log_type, include_file_paths="file")
    expected = pl.concat(
        [zf.read_zeek(p).with_columns(file=pl.lit(str(p))) for p in chosen], how="diagonal"
    )
    assert_frame_equal(frame, expected)
    assert frame["file"].unique().len() == 72
    # The same through the lazy scan, with the file column in a filter (applied by Polars).
    first = str(chosen[0])
    lazy = (
        zf.scan_zeek(str(rita / RITA_HOURLY), log_type=log_type, include_file_paths="file")
        .filter(pl.col("file") == first)
        .collect()
    )
    assert_frame_equal(lazy, expected.filter(pl.col("file") == first))


def test_a_directory_with_a_log_type_skips_reports_and_other_logs(
    rita: Path, tmp_path: Path
) -> None:
    def unflattened(path: Path) -> Path:
        # Zeek's own layout: YYYY-MM-DD/conn.00:00:00-01:00:00.log.gz
        *_, day, name = path.name.split("__")
        return tmp_path / day / name

    hourly = sorted(rita.glob(RITA_HOURLY), key=unflattened)
    for path in hourly:
        unflattened(path).parent.mkdir(exist_ok=True)
        shutil.copy(path, unflattened(path))
    assert len(list(tmp_path.iterdir())) == 3
    conn = zf.read_zeek(tmp_path, log_type="conn", columns=["ts", "uid"])
    expected = zf.read_zeek(
        [unflattened(p) for p in hourly if header_path(p) == "conn"], columns=["ts", "uid"]
    )
    assert_frame_equal(conn, expected)
    assert conn.height > 100_000
    day = tmp_path / "2024-04-19"
    # A headerless file counts by its name; a zeekctl report named conn-summary does not.
    (day / "conn.extra.log").write_bytes(
        b"1.5\tCx\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t-\t-\t-\tS0\t-\t-\t0\tS\t1\t40\t0\t0\t-\n"
    )
    more = zf.read_zeek(tmp_path, log_type="conn", columns=["ts", "uid"])
    assert more.height == conn.height + 1
    assert "Cx" in more["uid"].to_list()
    with pytest.raises(FileNotFoundError, match=r"none of its .* files is a radius_x log"):
        zf.read_zeek(tmp_path, log_type="radius_x")


def test_files_with_different_fields_unify_by_name(corpus: Path) -> None:
    old = corpus / "zat" / "data__conn.log"  # Bro 2.x: 20 fields
    new = next(p for p in sorted((corpus / "rita").glob(RITA_HOURLY)) if header_path(p) == "conn")
    frame = zf.read_zeek([old, new], include_file_paths="path")
    alone_old, alone_new = zf.read_zeek(old), zf.read_zeek(new)
    assert frame.height == alone_old.height + alone_new.height
    extra = [c for c in alone_new.columns if c not in alone_old.columns]
    assert extra  # such as local_resp
    head = frame.head(alone_old.height)
    for column in extra:
        assert head[column].null_count() == alone_old.height
    assert frame["path"].value_counts().sort("path").rows() == sorted(
        [(str(old), alone_old.height), (str(new), alone_new.height)]
    )


def test_include_file_paths_everywhere(corpus: Path, tmp_path: Path) -> None:
    log = corpus / "zat" / "data__dns.log"
    frame = zf.read_zeek(log, columns=["query"], include_file_paths="source_file")
    assert frame.columns == ["query", "source_file"]
    assert frame.schema["source_file"] == pl.String
    assert set(frame["source_file"]) == {str(log)}
    table = zf.read_zeek(log, include_file_paths="f", output="arrow")
    assert table.column("f").to_pylist() == [str(log)] * table.num_rows
    dest = tmp_path / "dns.parquet"
    zf.convert(log, dest, include_file_paths="f", columns=["query"], progress=False)
    assert_frame_equal(
        pl.read_parquet(dest), zf.read_zeek(log, columns=["query"], include_file_paths="f")
    )
    with pytest.raises(zf.ZeekError, match="already a column"):
        zf.read_zeek(log, include_file_paths="query")
