"""Zeek JSON logs: the same API and the same frames as TSV.

Every TSV/JSON twin of zed-sample-data (the same WRCCDC 2018 records written by Zeek 6.2 both
ways) must read to equal frames, column by column, apart from the differences Zeek's writers
make by design: JSON strings keep ``\\xHH`` as text where TSV decodes the byte, a set holding
one empty string is ``(empty)`` (an empty set) in TSV, and TSV prints doubles with six
decimals where JSON prints them in full.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import polars as pl
import pytest
from conftest import ZED, ZED_LOG_TYPES
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import _core

ZEEK_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


def zeek_unescaped(text: str | None) -> str | None:
    """A JSON string with Zeek's own ``\\xHH`` escapes decoded, as the TSV reader does."""
    if text is None:
        return None
    return ZEEK_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def as_tsv_writes(json_frame: pl.DataFrame, tsv: pl.DataFrame) -> pl.DataFrame:
    """The JSON frame with the writers' by-design differences undone, column by column.

    A JSON string's ``\\xHH`` is either a byte Zeek escaped or that text in the data (which
    TSV escapes with a doubled backslash): a value counts as equal if it is, as is or decoded.
    """
    out = []
    for name, dtype in tsv.schema.items():
        column = json_frame[name]
        if dtype == pl.String:
            column = pl.Series(
                name,
                [
                    j if j == t else zeek_unescaped(j)
                    for j, t in zip(column.to_list(), tsv[name].to_list())
                ],
                dtype=pl.String,
            )
        elif dtype == pl.Float64:
            column = column.round(6)
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            one_empty = column.list.len().eq(1) & column.list.first().eq("").fill_null(False)
            column = (
                pl.select(
                    pl.when(pl.lit(one_empty)).then(pl.lit([], dtype=dtype)).otherwise(column)
                )
                .to_series()
                .alias(name)
            )
            column = column.list.eval(
                pl.element().map_elements(zeek_unescaped, return_dtype=pl.String)
            )
        out.append(column)
    return pl.DataFrame(out)


@pytest.mark.parametrize("log_type", ZED_LOG_TYPES)
def test_json_twin_reads_to_the_tsv_frame(corpus: Path, log_type: str) -> None:
    tsv_path = corpus / ZED / f"zeek-default__{log_type}.log.gz"
    json_path = corpus / ZED / f"zeek-json__{log_type}.json.gz"
    tsv = zf.read_zeek(tsv_path)
    from_json = zf.read_zeek(json_path)
    # Every TSV column is there with the same dtype; JSON adds _path and _write_ts.
    assert {c: from_json.schema[c] for c in tsv.columns} == dict(tsv.schema)
    assert set(from_json.columns) - set(tsv.columns) <= {"_path", "_write_ts"}
    assert from_json["_path"].unique().to_list() == [log_type]
    assert_frame_equal(as_tsv_writes(from_json.select(tsv.columns), tsv), tsv)


@pytest.mark.parametrize("log_type", ["dns", "ssl", "x509", "known_services", "ntp"])
def test_json_twin_through_every_code_path(corpus: Path, log_type: str) -> None:
    path = corpus / ZED / f"zeek-json__{log_type}.json.gz"
    full = zf.read_zeek(path)
    assert_frame_equal(zf.read_zeek(path, n_threads=1), full)
    # Many small chunks, in parallel: types do not depend on the chunking.
    small = pl.DataFrame(_core.read_tsv([str(path)], chunk_size=4096, n_threads=2))
    assert_frame_equal(small, full)
    three = full.columns[1:4]
    assert_frame_equal(zf.read_zeek(path, columns=three), full.select(three))
    assert_frame_equal(zf.scan_zeek(path).collect(), full)
    assert_frame_equal(
        zf.scan_zeek(path).select(three).head(7).collect(), full.select(three).head(7)
    )


def test_the_rita_tsv_and_json_http_twins(corpus: Path) -> None:
    tsv = zf.read_zeek(corpus / "rita" / "test_data__valid_tsv__http.log.gz")
    from_json = zf.read_zeek(corpus / "rita" / "test_data__valid_json__http.log.gz")
    assert from_json.height == tsv.height == 27204
    assert set(tsv.columns) <= set(from_json.columns)
    # This JSON was not written by Zeek: it leaves out empty strings and sets (`(empty)`).
    strings = [c for c, t in tsv.schema.items() if t == pl.String]
    lists = [c for c, t in tsv.schema.items() if isinstance(t, pl.List)]
    tsv = tsv.with_columns(
        pl.col(strings).replace("", None),
        *(pl.when(pl.col(c).list.len() > 0).then(pl.col(c)).alias(c) for c in lists),
    )
    assert_frame_equal(as_tsv_writes(from_json.select(tsv.columns), tsv), tsv)


def write_json(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_times_as_epoch_seconds_milliseconds_and_iso(tmp_path: Path) -> None:
    log = write_json(
        tmp_path / "conn.log",
        [
            {"_path": "conn", "ts": 1331901000.000129, "uid": "a"},
            {"_path": "conn", "ts": 1331901000000, "uid": "b"},
            {"_path": "conn", "ts": "2012-03-16T12:30:00.000129Z", "uid": "c"},
            {"_path": "conn", "ts": "2012-03-16T14:30:00.0001294+02:00", "uid": "d"},
            {"_path": "conn", "ts": None, "uid": "e", "duration": 1.23456789e-05},
        ],
    )
    frame = zf.read_zeek(log)
    micros = frame["ts"].dt.epoch("us").to_list()
    assert micros == [1331901000000129, 1331901000000000, 1331901000000129, 1331901000000129, None]
    assert frame["duration"].dt.total_microseconds().to_list() == [None, None, None, None, 12]
    # The conn schema's columns are all there, typed, though these lines leave most out.
    assert frame.schema["orig_bytes"] == pl.UInt64
    assert frame["orig_bytes"].null_count() == frame.height


def test_unknown_keys_are_typed_from_every_chunk(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = []
    for i in range(400):
        rows.append(
            {
                "_path": "weird",
                "ts": 1.5 + i,
                "counter": i,
                "ratio": i if i < 300 else i + 0.5,
                "label": "x" if i < 200 else 7,
                "tags": ["a", str(i)] if i % 2 else [],
                "flag": i % 3 == 0,
                **({"late": "only at the end"} if i == 399 else {}),
            }
        )
    log = write_json(tmp_path / "weird.log", rows)
    for chunk_size in (256, 1 << 20):
        frame = pl.DataFrame(_core.read_tsv([str(log)], chunk_size=chunk_size, n_threads=2))
        assert frame.schema["counter"] == pl.Int64
        assert frame["counter"].to_list() == list(range(400))
        assert frame.schema["ratio"] == pl.Float64
        assert frame["ratio"][299] == 299.0
        assert frame["ratio"][300] == 300.5
        assert frame.schema["label"] == pl.String
        assert frame["label"].to_list() == ["x"] * 200 + ["7"] * 200
        assert frame.schema["tags"] == pl.List(pl.String)
        assert frame["tags"][1].to_list() == ["a", "1"]
        assert frame["tags"][0].to_list() == []
        assert frame.schema["flag"] == pl.Boolean
        assert frame["late"].null_count() == 399


def test_bad_json_lines_raise_or_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    log.write_text(
        '{"_path":"dns","ts":1.0,"query":"a.example"}\n'
        '{"_path":"dns","ts":2.0,"query":"b.example"\n'
        '{"_path":"dns","ts":3.0,"qtype":"not a count"}\n'
        '{"_path":"dns","ts":4.0,"query":"d.example"}\n'
    )
    with pytest.raises(zf.ZeekParseError) as raised:
        zf.read_zeek(log)
    assert (raised.value.path, raised.value.line) == (str(log), 2)
    with pytest.warns(zf.ZeekSkippedLinesWarning, match="skipped 2 bad line") as warned:
        frame = zf.read_zeek(log, on_bad_line="skip")
    assert frame["query"].to_list() == ["a.example", "d.example"]
    assert "qtype" in str(warned[0].message)


def test_shippers_spacing_key_order_and_raw_bytes(tmp_path: Path) -> None:
    # Log shippers reorder keys and add spaces; a byte that is not UTF-8 keeps its \\xHH text.
    log = tmp_path / "http.log"
    log.write_bytes(
        b'{"_path":"http","ts":1.5,"id.resp_p":8080,"uri":"/a#frag","status_code":200}\n'
        b'{ "status_code" : 404 , "uri" : "/caf\xc3\xa9\xff", "ts" : 2.5, "_path" : "http" }\n'
        b'{"_path":"http","ts":3.5,"resp_mime_types":["application/pdf", "text/html"]}\n'
    )
    for n_threads, chunk_size in ((1, 1 << 20), (2, 64)):
        frame = pl.DataFrame(_core.read_tsv([str(log)], n_threads=n_threads, chunk_size=chunk_size))
        assert frame["uri"].to_list() == ["/a#frag", "/caf\u00e9\\xff", None]
        assert frame["status_code"].to_list() == [200, 404, None]
        assert frame["id.resp_p"].to_list() == [8080, None, None]
        assert frame["ts"].dt.epoch("us").to_list() == [1_500_000, 2_500_000, 3_500_000]
        assert frame["resp_mime_types"].to_list() == [
            None,
            None,
            ["application/pdf", "text/html"],
        ]


def test_pushdown_on_json_equals_polars_afterwards(corpus: Path) -> None:
    path = corpus / "rita" / "test_data__valid_json__http.log.gz"
    full = zf.read_zeek(path, mime_categories=zf.REPORT_MIME_CATEGORIES)
    odd = ~pl.col("id.resp_p").is_in([80, 8080])
    assert_frame_equal(
        zf.read_zeek(path, filter=odd, mime_categories=zf.REPORT_MIME_CATEGORIES),
        full.filter(odd),
    )
    lazy = (
        zf.scan_zeek(path, mime_categories=zf.REPORT_MIME_CATEGORIES)
        .filter(pl.col("mime_category").is_not_null() | (pl.col("status_code") >= 400))
        .select("ts", "uri", "mime_category")
        .collect()
    )
    expected = full.filter(
        pl.col("mime_category").is_not_null() | (pl.col("status_code") >= 400)
    ).select("ts", "uri", "mime_category")
    assert_frame_equal(lazy, expected)
    sampled = zf.read_zeek(path, sample=0.3, seed=5)
    assert 0.25 * full.height < sampled.height < 0.35 * full.height
    assert_frame_equal(zf.scan_zeek(path, sample=0.3, seed=5).collect(), sampled)


def test_json_converts_to_parquet(corpus: Path, tmp_path: Path) -> None:
    path = corpus / ZED / "zeek-json__x509.json.gz"
    dest = tmp_path / "x509.parquet"
    zf.convert(path, dest, progress=False)
    assert_frame_equal(pl.read_parquet(dest), zf.read_zeek(path))


def test_json_archives_pick_by_path(corpus: Path, tmp_path: Path) -> None:
    for name in ("zeek-json__dns.json.gz", "zeek-json__ssl.json.gz", "zeek-default__dns.log.gz"):
        (tmp_path / name).write_bytes((corpus / ZED / name).read_bytes())
    plain = tmp_path / "notes.txt"
    plain.write_bytes(gzip.compress(b"not a log\n"))
    dns = zf.read_zeek(tmp_path, log_type="dns", include_file_paths="file")
    counts = dict(dns["file"].value_counts().rows())
    assert counts == {
        str(tmp_path / "zeek-default__dns.log.gz"): 53615,
        str(tmp_path / "zeek-json__dns.json.gz"): 53615,
    }
