"""The whole real-log corpus through every code path of ``zeekframe.read_zeek``.

Expectations come from conftest's independent pure-Python scan of each file (row counts,
bad lines, header fields), never from zeekframe itself. The corpus-wide tests are generated
per file; the named fixtures further down are the corpus' deliberately bad inputs, each with
the behaviour we want and why.
"""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf

# Bro 2.x conn.log (e.g. the zeek-cut fixtures and the MACCDC 2012 sample): 20 fields.
BRO2_CONN_FIELDS = [
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "missed_bytes",
    "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents",
]  # fmt: skip
BRO2_CONN_TYPES = [
    "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
    "count", "string", "bool", "count", "string", "count", "count", "count", "count",
    "set[string]",
]  # fmt: skip
# Zeek 6 (and Bro 2.5+) added local_resp after local_orig: 21 fields.
ZEEK6_CONN_FIELDS = [*BRO2_CONN_FIELDS[:13], "local_resp", *BRO2_CONN_FIELDS[13:]]

OnBadLine = Literal["raise", "skip"]
BOTH_MODES: tuple[OnBadLine, ...] = ("raise", "skip")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def expected_dtype(zeek_type: str) -> pl.DataType | type[pl.DataType]:
    """The Polars type DESIGN.md maps a Zeek type to (written out here, not taken from zf)."""
    for prefix in ("set[", "vector[", "table["):
        if zeek_type.startswith(prefix) and zeek_type.endswith("]"):
            element = zeek_type[len(prefix) : -1]
            # enum elements of a container are plain strings; only enum columns are Categorical
            return pl.List(pl.String if element == "enum" else expected_dtype(element))
    scalars: dict[str, pl.DataType | type[pl.DataType]] = {
        "time": pl.Datetime("us", "UTC"),
        "interval": pl.Duration("us"),
        "count": pl.UInt64,
        "int": pl.Int64,
        "port": pl.UInt16,
        "double": pl.Float64,
        "bool": pl.Boolean,
        "enum": pl.Categorical,
    }
    # addr, subnet, string, pattern and anything unknown are strings
    return scalars.get(zeek_type, pl.String)


def read(path: Path | str | list[Path], **options: Any) -> pl.DataFrame:
    frame = zf.read_zeek(path, **options)
    assert isinstance(frame, pl.DataFrame)
    return frame


@contextmanager
def skipped_lines_ignored() -> Iterator[None]:
    # For tests that only care whether a read succeeds: the warning itself is checked elsewhere.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zf.ZeekSkippedLinesWarning)
        yield


def read_skipping(path: Path, **options: Any) -> tuple[pl.DataFrame, zf.ZeekSkippedLinesWarning]:
    """Read with on_bad_line="skip"; return the frame and the one skipped-lines warning.

    Errors propagate as they are (pytest.warns would turn them into "DID NOT WARN").
    """
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        frame = read(path, on_bad_line="skip", **options)
    skipped = [w.message for w in record if isinstance(w.message, zf.ZeekSkippedLinesWarning)]
    assert len(skipped) == 1, [str(w.message) for w in record]
    return frame, skipped[0]


def skipped_line_numbers(warning: zf.ZeekSkippedLinesWarning) -> list[int | None]:
    # The warning lists (path, line, message) for the first skipped lines.
    return [line for _, line, _ in warning.lines]


def assert_skipped(warning: zf.ZeekSkippedLinesWarning, bad_lines: list[int]) -> None:
    """The warning counts every bad line and lists the first ones (it may cap the list)."""
    assert warning.count == len(bad_lines)
    shown = skipped_line_numbers(warning)
    assert 1 <= len(shown) <= len(bad_lines)
    assert shown == bad_lines[: len(shown)]


def assert_error_path(error: zf.ZeekParseError, path: Path) -> None:
    assert error.path is not None
    assert Path(error.path).resolve() == path.resolve()


def data_lines_of_width(path: Path, width: int) -> tuple[list[int], list[int]]:
    """(line numbers with exactly `width` tab-separated fields, other non-blank data lines).

    A deliberately naive count for headerless files, where the field list comes from log_type.
    """
    lines = path.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith(b"#")]
    good = [n for n, line in numbered if len(line.split(b"\t")) == width]
    bad = [n for n, line in numbered if len(line.split(b"\t")) != width]
    return good, bad


# --------------------------------------------------------------------------------------------
# every file
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("on_bad_line", BOTH_MODES)
def test_every_file_reads_or_raises_zeek_error(
    corpus: Path, corpus_file: str, on_bad_line: OnBadLine
) -> None:
    # The invariant for all ~1,850 files, TSV and JSON: a frame or a ZeekError, never another
    # exception type, never a crash or a Rust panic.
    with skipped_lines_ignored():
        try:
            frame = zf.read_zeek(corpus / corpus_file, on_bad_line=on_bad_line)
        except zf.ZeekError:
            return
    assert isinstance(frame, pl.DataFrame)


def test_every_file_schema_reads_or_raises_zeek_error(corpus: Path, corpus_file: str) -> None:
    try:
        schema = zf.read_zeek_schema(corpus / corpus_file)
    except zf.ZeekError:
        return
    assert isinstance(schema, zf.ZeekSchema)
    assert len(schema.fields) == len(schema.zeek_types) == len(schema.polars_schema)


# --------------------------------------------------------------------------------------------
# well-formed TSV: counts, schema, and every code path giving the same frame
# --------------------------------------------------------------------------------------------


def test_row_count_matches_independent_count(
    corpus: Path, wellformed_log: str, expected_rows: int
) -> None:
    assert read(corpus / wellformed_log).height == expected_rows


def test_schema_follows_header_and_type_mapping(
    corpus: Path,
    wellformed_log: str,
    zeek_fields: tuple[str, ...],
    zeek_types: tuple[str, ...],
    zeek_path: str | None,
) -> None:
    frame = read(corpus / wellformed_log)
    schema = zf.read_zeek_schema(corpus / wellformed_log)
    # Several header blocks are unified by name, in first-seen order.
    assert frame.columns == list(zeek_fields)
    assert schema.fields == list(zeek_fields)
    assert schema.zeek_types == list(zeek_types)
    assert schema.path == zeek_path
    assert schema.polars_schema == frame.schema
    for name, zeek_type in zip(zeek_fields, zeek_types):
        assert frame.schema[name] == expected_dtype(zeek_type), (name, zeek_type)


def test_serial_equals_parallel(corpus: Path, wellformed_log: str) -> None:
    path = corpus / wellformed_log
    assert_frame_equal(read(path, n_threads=1), read(path, n_threads=4))


def test_projection_equals_selection(
    corpus: Path, wellformed_log: str, zeek_fields: tuple[str, ...]
) -> None:
    # Every other column, last first, so the projection is also a reordering.
    subset = list(zeek_fields[::-2][:8])
    path = corpus / wellformed_log
    assert_frame_equal(read(path, columns=subset), read(path).select(subset))


def test_arrow_output_matches_polars(corpus: Path, sample_log: str) -> None:
    path = corpus / sample_log
    table = zf.read_zeek(path, output="arrow")
    assert isinstance(table, pa.Table)
    frame = read(path)
    assert table.column_names == frame.columns
    for name, dtype in frame.schema.items():
        if dtype == pl.Datetime("us", "UTC"):
            assert table.schema.field(name).type == pa.timestamp("us", tz="UTC")
        elif dtype == pl.UInt64:
            assert table.schema.field(name).type == pa.uint64()
    assert_frame_equal(pl.DataFrame(table), frame)


def test_pandas_output_matches_polars(corpus: Path, sample_log: str) -> None:
    path = corpus / sample_log
    pdf = zf.read_zeek(path, output="pandas")
    assert isinstance(pdf, pd.DataFrame)
    frame = read(path)
    assert list(pdf.columns) == frame.columns
    # Exact types: every column is Arrow-backed, so a nullable count never becomes float64;
    # enums may instead be pandas' own categoricals, which are exact too.
    for name, dtype in frame.schema.items():
        pandas_dtype = pdf[name].dtype
        if dtype == pl.Categorical:
            assert isinstance(pandas_dtype, (pd.ArrowDtype, pd.CategoricalDtype)), name
            continue
        assert isinstance(pandas_dtype, pd.ArrowDtype), (name, pandas_dtype)
        if dtype == pl.UInt64:
            assert pandas_dtype.pyarrow_dtype == pa.uint64(), name
    back = pl.DataFrame(pa.Table.from_pandas(pdf, preserve_index=False))
    # An all-null pandas categorical has no categories, hence no value type to come back with.
    categoricals = [name for name, dtype in frame.schema.items() if dtype == pl.Categorical]
    back = back.with_columns(pl.col(categoricals).cast(pl.Categorical))
    assert_frame_equal(back, frame)


def test_n_rows_reads_a_prefix(corpus: Path, sample_log: str) -> None:
    path = corpus / sample_log
    assert_frame_equal(read(path, n_rows=3), read(path).head(3))


def test_underscore_rename(corpus: Path, sample_log: str) -> None:
    path = corpus / sample_log
    frame = read(path)
    renamed = read(path, rename="underscore")
    assert renamed.columns == [name.replace(".", "_") for name in frame.columns]
    assert_frame_equal(renamed, frame.rename(lambda name: name.replace(".", "_")))


# --------------------------------------------------------------------------------------------
# bad data lines anywhere in the corpus (found by the scan, not listed by hand)
# --------------------------------------------------------------------------------------------
# Mostly zeek/ btest baselines, whose `ts` btest replaced by XXXXXXXXXX.XXXXXX (not a time),
# plus the truncated and corrupted rows of rita and stratosphere.


def test_bad_line_raises_at_first_bad_line(
    corpus: Path,
    badline_log: str,
    bad_lines: tuple[int, ...],
    first_bad_column: int | None,
    first_bad_value: str | None,
) -> None:
    path = corpus / badline_log
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    error = info.value
    # Errors are reported in file order for any thread count, like the rows.
    assert error.line == bad_lines[0]
    assert_error_path(error, path)
    if first_bad_column is not None:  # a value that does not parse (else a width mismatch)
        assert error.column == first_bad_column
        if first_bad_value is not None and "\\" not in first_bad_value:
            assert error.value == first_bad_value


def test_bad_lines_skipped_with_warning(
    corpus: Path, badline_log: str, bad_lines: tuple[int, ...], good_rows: int
) -> None:
    frame, warning = read_skipping(corpus / badline_log)
    assert frame.height == good_rows
    assert_skipped(warning, list(bad_lines))


def test_bad_lines_skipped_identically_in_parallel(corpus: Path, badline_log: str) -> None:
    path = corpus / badline_log
    with skipped_lines_ignored():
        serial = read(path, on_bad_line="skip", n_threads=1)
        parallel = read(path, on_bad_line="skip", n_threads=4)
    assert_frame_equal(serial, parallel)


# --------------------------------------------------------------------------------------------
# headerless files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("on_bad_line", BOTH_MODES)
def test_headerless_file_needs_log_type(
    corpus: Path, headerless_log: str, on_bad_line: OnBadLine
) -> None:
    # No #fields/#types: nothing to name or type the columns with, and guessing would turn
    # a zeekctl text report (rita conn-summary.*) or lorem ipsum into a "log".
    with pytest.raises(zf.ZeekError):
        zf.read_zeek(corpus / headerless_log, on_bad_line=on_bad_line)
    with pytest.raises(zf.ZeekError):
        zf.read_zeek_schema(corpus / headerless_log)


def test_maccdc_conn_sample_with_log_type(corpus: Path) -> None:
    path = corpus / "secrepo-maccdc2012" / "conn_sample.log"
    frame = read(path, log_type="conn")
    # 20 fields per line picks the Bro 2.x conn list.
    assert frame.height == 22_694
    assert frame.columns == BRO2_CONN_FIELDS
    for name, zeek_type in zip(BRO2_CONN_FIELDS, BRO2_CONN_TYPES):
        assert frame.schema[name] == expected_dtype(zeek_type), name
    first = frame.row(0, named=True)
    # 1331901000.260000  C6SwUo2lWDfrpgfgVl  192.168.202.79  50504  192.168.229.251  80  tcp
    # http  0.010000  182  214  SF  -  0  ShADfFa  4  398  3  382  (empty)
    assert frame["ts"].dt.epoch("us")[0] == 1_331_901_000_260_000
    assert first["uid"] == "C6SwUo2lWDfrpgfgVl"
    assert first["id.orig_h"] == "192.168.202.79"
    assert first["id.resp_p"] == 80
    assert first["duration"] == timedelta(milliseconds=10)
    assert first["orig_bytes"] == 182
    assert first["local_orig"] is None
    assert first["history"] == "ShADfFa"
    assert first["tunnel_parents"] == []
    # The last line: 1332017986.500000  CR3R691pgm8JwRdBK8 ... tcp  -  -  -  -  S0 ...
    assert frame["ts"].dt.epoch("us")[-1] == 1_332_017_986_500_000
    assert frame["duration"][-1] is None

    schema = zf.read_zeek_schema(path, log_type="conn")
    assert schema.fields == BRO2_CONN_FIELDS
    assert schema.zeek_types == BRO2_CONN_TYPES


def test_explicit_fields_and_types_equal_log_type(corpus: Path) -> None:
    path = corpus / "secrepo-maccdc2012" / "conn_sample.log"
    assert_frame_equal(
        read(path, fields=BRO2_CONN_FIELDS, types=BRO2_CONN_TYPES), read(path, log_type="conn")
    )


def test_maccdc_http_prefix_truncated(corpus: Path) -> None:
    # Cut at 2 MiB: the last line stops mid-row with 10 of 27 fields. Line 1 is empty.
    path = corpus / "secrepo-maccdc2012" / "http_prefix_truncated.log"
    good, bad = data_lines_of_width(path, 27)
    assert (len(good), bad) == (6_881, [6_883])  # what the naive count found, pinned

    with pytest.raises(zf.ZeekParseError) as info:
        read(path, log_type="http")
    assert info.value.line == 6_883
    assert_error_path(info.value, path)

    frame, warning = read_skipping(path, log_type="http")
    assert frame.height == len(good)
    assert_skipped(warning, bad)
    # 27 fields picks the Bro 2.x http list: the one in zat's Bro 2.x http.log header (the
    # data agrees: fields 24-27 hold file ids and MIME types, e.g. "FzLm9jMtF3giyweec").
    bro2_http = read(corpus / "zat" / "data__http_empty.log")
    assert frame.schema == bro2_http.schema
    # 1331901000.000000  CHEt7z3AzG4gyCNgci  192.168.202.79  50465  192.168.229.251  80  1
    # HEAD  192.168.229.251  /DEASLog02.nsf  -  Mozilla/5.0 (...)  0  0  404  Not Found ...
    first = frame.row(0, named=True)
    assert frame["ts"].dt.epoch("us")[0] == 1_331_901_000_000_000
    assert (first["method"], first["uri"], first["referrer"]) == ("HEAD", "/DEASLog02.nsf", None)
    assert first["status_code"] == 404
    assert first["tags"] == []


def test_rita_truncated_headerless_conn_with_log_type(corpus: Path) -> None:
    # rita truncated/conn_top.log: the rows of truncated/conn.log without its header; 21 fields
    # (local_orig and local_resp) and a last line that stops inside `duration`.
    path = corpus / "rita" / "test_data__truncated__conn_top.log"
    good, bad = data_lines_of_width(path, 21)
    assert (len(good), bad) == (58, [59])

    with pytest.raises(zf.ZeekParseError) as info:
        read(path, log_type="conn")
    assert info.value.line == 59

    frame, warning = read_skipping(path, log_type="conn")
    assert frame.columns == ZEEK6_CONN_FIELDS
    assert frame.height == 58
    assert_skipped(warning, bad)
    # Same rows as the headered copy of the file read with skip.
    headered, _ = read_skipping(corpus / "rita" / "test_data__truncated__conn.log")
    assert_frame_equal(frame, headered)


def test_header_names_line_is_a_bad_row_under_log_type(corpus: Path) -> None:
    # zeek-cut-logs/conn-tsv.log: a plain TSV whose first line holds the 20 Bro 2.x names
    # instead of a #fields header. Under log_type="conn" that line is a row whose ts is "ts".
    path = corpus / "zeek" / "testing__btest__Files__zeek-cut-logs__conn-tsv.log"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path, log_type="conn")
    assert (info.value.line, info.value.column, info.value.value) == (1, 1, "ts")

    frame, warning = read_skipping(path, log_type="conn")
    assert frame.columns == BRO2_CONN_FIELDS
    assert frame["uid"].to_list() == [
        "CHUSyo3gjtvVLqrHGk", "CWMUpO2OZ5t5tLk6Hk", "CtII2N2AidtNJlD9f7",
        "CQyLvn3Dh4UDubXFRh", "CuFJh714tTrtlGOxl7",
    ]  # fmt: skip
    assert_skipped(warning, [1])


@pytest.mark.parametrize("on_bad_line", BOTH_MODES)
@pytest.mark.parametrize(
    "rel_path",
    [
        # Lorem ipsum, one field per line: no conn field list has that width.
        "rita/test_data__text_file__conn.log",
        # A zeekctl text report, space-aligned, not a log.
        "rita/test_data__missing_host__2024-04-19__conn-summary.00:00:00-01:00:00.log.gz",
    ],
)
def test_not_a_log_even_with_log_type(corpus: Path, rel_path: str, on_bad_line: OnBadLine) -> None:
    # No line has 20, 21 or 22 fields, so no conn list can be chosen: a ZeekError, not an
    # empty frame that would hide the fact that this is not a conn log at all.
    with pytest.raises(zf.ZeekError):
        zf.read_zeek(corpus / rel_path, log_type="conn", on_bad_line=on_bad_line)


# --------------------------------------------------------------------------------------------
# the deliberately bad inputs, one by one
# --------------------------------------------------------------------------------------------


def test_zat_corrupt_gzip(corpus: Path) -> None:
    # zat http.log.corrupt.gz is http.log.gz without its last bytes: the deflate stream stops
    # one byte before the end of the text (the final newline after #close) and the gzip
    # trailer is missing. All 150 rows are complete.
    path = corpus / "zat" / "data__http.log.corrupt.gz"
    with pytest.raises(zf.ZeekError):
        read(path)
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        frame = read(path, on_bad_line="skip")
    assert_frame_equal(frame, read(corpus / "zat" / "data__http.log"))


def test_gzip_and_plain_twins_read_the_same(corpus: Path) -> None:
    # zat ships byte-identical .log and .log.gz copies: compression is detected from the bytes.
    for name in ("data__http.log", "data__dhcp.log", "data__dhcp_002.log"):
        plain = corpus / "zat" / name
        assert gzip.decompress(plain.with_name(name + ".gz").read_bytes()) == plain.read_bytes()
        assert_frame_equal(read(plain.with_name(name + ".gz")), read(plain))


def test_zat_header_only_http_log(corpus: Path) -> None:
    # zat http_empty.log: a complete Bro 2.x header and #close, no rows. Not an error:
    # an empty frame that still has every typed column.
    path = corpus / "zat" / "data__http_empty.log"
    frame = read(path)
    assert frame.height == 0
    assert frame.width == 27
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")
    assert frame.schema["tags"] == pl.List(pl.String)  # table[enum]
    assert frame.schema["resp_mime_types"] == pl.List(pl.String)  # vector[string]
    assert zf.read_zeek_schema(path).polars_schema == frame.schema


def test_rita_truncated_conn(corpus: Path) -> None:
    # rita truncated/conn.log: 8 header lines, 58 rows, then line 67 stops inside `duration`
    # ("0.065") with no newline and no #close: 9 of 21 fields.
    path = corpus / "rita" / "test_data__truncated__conn.log"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    assert info.value.line == 67
    assert_error_path(info.value, path)

    frame, warning = read_skipping(path)
    assert frame.height == 58
    assert_skipped(warning, [67])
    assert frame["uid"][-1] == "CRdiow2TR6gjwTtM09"  # the last complete row, line 66


def test_rita_unknown_field(corpus: Path) -> None:
    # rita has_unknown_field/http.log: an extra column `i_dont_exist` of the unknown type
    # "int64" (kept as a string). Line 9, the first row, lacks that field (29 of 30 fields);
    # the 4 rows after it have it ("bingbong"), the last one without a final newline.
    path = corpus / "rita" / "test_data__has_unknown_field__http.log"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    assert info.value.line == 9

    frame, warning = read_skipping(path)
    assert_skipped(warning, [9])
    assert frame.height == 4
    assert frame.schema["i_dont_exist"] == pl.String
    assert frame["i_dont_exist"].to_list() == ["bingbong"] * 4
    schema = zf.read_zeek_schema(path)
    assert schema.zeek_types[schema.fields.index("i_dont_exist")] == "int64"


def test_stratosphere_notice_with_mangled_row(corpus: Path) -> None:
    # stratosphere test10 notice.log: in line 21 some tabs became spaces (it reads
    # "-\t- SSH::Password_Guessing\t..."), leaving 23 of 26 fields; line 22 is #close.
    path = corpus / "stratosphere" / "dataset__test10-mixed-zeek-dir__notice.log"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    assert info.value.line == 21

    frame, warning = read_skipping(path)
    assert frame.height == 12
    assert_skipped(warning, [21])


def test_rita_dnscat2_backslash_t_separator(corpus: Path) -> None:
    # rita dnscat2-ja3-strobe-agent/http.log.gz: the header says `#separator \t` (C's spelling,
    # not Zeek's `\x09`), and every one of the 27,204 rows ends with a tab, i.e. has 32 fields
    # for 31 names. The intent of `\t` is unambiguous, so it is taken as a tab; the rows are
    # then the bad ones: line 9 is the first, and skipping leaves the 31 typed columns, no row.
    # (Refusing `\t` would also leave no row, as a header error instead.)
    path = corpus / "rita" / "test_data__dnscat2-ja3-strobe-agent__http.log.gz"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    assert info.value.line == 9

    frame, warning = read_skipping(path)
    assert frame.shape == (0, 31)
    assert frame.columns[-2:] == ["agent_hostname", "agent_uuid"]
    assert_skipped(warning, list(range(9, 9 + 27_204)))


@pytest.mark.parametrize(
    ("name", "problem_line"),
    [
        # "#separator \x00", then "#fields\ta" (which does not use that separator), no #types,
        # and one line "hi".
        ("null-separator.log", 1),
        # "#separator " with nothing after the space, "#fields\ta", no #types, "hi".
        ("missing-separator.log", 1),
    ],
)
@pytest.mark.parametrize("on_bad_line", BOTH_MODES)
def test_zeek_cut_unusable_separator(
    corpus: Path, name: str, problem_line: int, on_bad_line: OnBadLine
) -> None:
    # A header that cannot split lines is not a bad line: nothing can be skipped into a frame.
    path = corpus / "zeek" / f"testing__btest__Files__zeek-cut-logs__{name}"
    with pytest.raises(zf.ZeekError) as info:
        zf.read_zeek(path, on_bad_line=on_bad_line)
    if isinstance(info.value, zf.ZeekParseError):
        assert info.value.line == problem_line


def test_zeek_cut_invalid_time(corpus: Path) -> None:
    # No #separator line at all; `#fields ts test` / `#types time string`; rows:
    #   3 "hello"  4 "-12345.123456"  5 "77777777777777777777"  6 ""  7 "123456789".
    # Without #separator the separator is Zeek's default tab (as zeek-cut, whose fixture this
    # is, reads it). "hello" and "" are not times and 7.7e19 s overflows i64 microseconds; a
    # negative time (before 1970) and a time without decimals are valid.
    path = corpus / "zeek" / "testing__btest__Files__zeek-cut-logs__invalid-time.log"
    with pytest.raises(zf.ZeekParseError) as info:
        read(path)
    assert (info.value.line, info.value.column, info.value.value) == (3, 1, "hello")

    frame, warning = read_skipping(path)
    assert frame["ts"].dt.epoch("us").to_list() == [-12_345_123_456, 123_456_789_000_000]
    assert frame["test"].to_list() == ["b", "e"]
    assert_skipped(warning, [3, 5, 6])


@pytest.mark.parametrize("on_bad_line", BOTH_MODES)
def test_stratosphere_conn_with_stray_leading_tab(corpus: Path, on_bad_line: OnBadLine) -> None:
    # stratosphere test10 conn.log starts with "\t#separator \x09": not a '#' line, so the
    # file starts with data before any #fields, which is the headerless case (a ZeekError
    # whatever on_bad_line says, as for any headerless file), not a skippable bad line.
    # (Skipping line 1 would give 141 rows under the tab default: a defensible alternative.)
    path = corpus / "stratosphere" / "dataset__test10-mixed-zeek-dir__conn.log"
    with pytest.raises(zf.ZeekError) as info:
        zf.read_zeek(path, on_bad_line=on_bad_line)
    if isinstance(info.value, zf.ZeekParseError):
        assert info.value.line == 1


def test_zat_separator_written_with_a_tab(corpus: Path) -> None:
    # zat conn_date_issue.log writes "#separator\t\x09" (a tab, not Zeek's space, before the
    # value) and has no #close. zat reads it; so do we: 3 normal rows, no warning.
    path = corpus / "zat" / "data__conn_date_issue.log"
    with warnings.catch_warnings():
        warnings.simplefilter("error", zf.ZeekSkippedLinesWarning)
        frame = read(path, on_bad_line="skip")
    assert frame.columns == ZEEK6_CONN_FIELDS
    assert frame["ts"].dt.epoch("us").to_list() == [
        1_647_504_456_038_126,
        1_647_504_460_020_920,
        1_647_504_479_519_793,
    ]
    assert frame["uid"].to_list() == [
        "CLZwfq2hHnVH2XKvQg",
        "CQ9qtc4cGl2PUgVkma",
        "Ch22k1203r7uCUhZ6a",
    ]


def test_missing_file_is_an_os_error(corpus: Path) -> None:
    with pytest.raises(FileNotFoundError):
        zf.read_zeek(corpus / "zat" / "no-such-file.log")


# --------------------------------------------------------------------------------------------
# several sources at once
# --------------------------------------------------------------------------------------------

RITA_CONN_GLOB = "rita/test_data__missing_host__2024-04-19__conn.*.log.gz"


def test_glob_equals_list_equals_concatenation(corpus: Path) -> None:
    # 24 hourly conn files with one schema; the glob must not pick up conn-summary.*.
    files = sorted(corpus.glob(RITA_CONN_GLOB))
    assert len(files) == 24
    expected = pl.concat([read(path) for path in files])
    assert_frame_equal(read(str(corpus / RITA_CONN_GLOB)), expected)
    assert_frame_equal(read(files), expected)
    assert_frame_equal(read(files, n_threads=1), read(files, n_threads=4))
