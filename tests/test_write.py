"""write_zeek: frames back to Zeek logs, as Zeek's own writers write them.

Every readable corpus log must read back to the same frame after writing it as TSV (plain and
gzip) and as JSON (unset fields as null, and Zeek's default of leaving them out, zstd); the
only differences allowed are the two the formats cannot hold, each counted in a warning. Zeek's
btest baselines of its ASCII writer are reproduced byte for byte. Random frames of every Zeek
type, with hostile strings and markers, read back exactly.
"""

from __future__ import annotations

import gzip
import ipaddress
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from conftest import corpus_dir, corpus_files, unescape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import zeekframe as zf

# --------------------------------------------------------------------------------------------
# What the formats cannot hold, as the expected frame
# --------------------------------------------------------------------------------------------


def single_empty_strings(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The frame as TSV reads it back, and how many cells differ: a list holding just one
    empty string is written ``(empty)``, like an empty set, and one holding just one null is
    written as the unset field, like a null set."""
    count, exprs = 0, []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            col = pl.col(name)
            first = col.list.first()
            one = col.list.len() == 1
            empty = (
                one & (first.cast(pl.String) == "")
                if dtype.inner in (pl.String, pl.Categorical)
                else pl.lit(False)
            )
            unset = one & first.is_null()
            count += int(frame.select((empty | unset).sum()).item() or 0)
            exprs.append(
                pl.when(unset)
                .then(None)
                .when(empty)
                .then(col.list.slice(0, 0))
                .otherwise(col)
                .alias(name)
            )
    return (frame.with_columns(exprs) if exprs else frame), count


def non_finite_as_null(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The frame with NaN and infinities as null (JSON has neither), and how many there were."""
    count, exprs = 0, []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype in (pl.Float64, pl.Float32):
            count += int(frame.select((~col.is_finite()).sum()).item() or 0)
            exprs.append(pl.when(col.is_finite()).then(col).alias(name))
        elif isinstance(dtype, pl.List) and dtype.inner in (pl.Float64, pl.Float32):
            bad = col.list.eval((~pl.element().is_finite()).cast(pl.UInt32)).list.sum()
            count += int(frame.select(bad.sum()).item() or 0)
            finite = pl.when(pl.element().is_finite()).then(pl.element())
            exprs.append(col.list.eval(finite).alias(name))
    return (frame.with_columns(exprs) if exprs else frame), count


def write(frame: pl.DataFrame, dest: Path, **options: object) -> int:
    """write_zeek, returning the count its ZeekWriteWarning gave (0 without one)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        zf.write_zeek(frame, dest, **options)  # type: ignore[arg-type]
    counts = [w.message.count for w in caught if isinstance(w.message, zf.ZeekWriteWarning)]
    assert len(counts) <= 1, [str(w.message) for w in caught]
    return counts[0] if counts else 0


def read_quietly(path: Path | str, **options: object) -> pl.DataFrame:
    with warnings.catch_warnings():
        # The corpus has logs whose last line lacks its line end; that is not under test.
        warnings.simplefilter("ignore", zf.ZeekIncompleteLineWarning)
        return zf.read_zeek(path, **options)  # type: ignore[call-overload,no-any-return]


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


def test_every_readable_corpus_log_reads_back_the_same(
    corpus: Path, readable_log: str, tmp_path: Path
) -> None:
    source = corpus / readable_log
    frame = read_quietly(source)
    schema = zf.read_zeek_schema(source)
    path = schema.path or "log"

    # TSV, with the types of the log's header; gzip for every other file.
    suffix = ".log.gz" if hash(readable_log) % 2 else ".log"
    tsv = tmp_path / f"out{suffix}"
    warned = write(frame, tsv, types=schema, path=path)
    expected, ambiguous = single_empty_strings(frame)
    assert warned == ambiguous
    assert_frame_equal(read_quietly(tsv), expected)
    if suffix == ".log.gz":
        assert tsv.read_bytes()[:2] == b"\x1f\x8b"
    written = zf.read_zeek_schema(tsv)
    assert written.path == path
    assert written.fields == frame.columns
    if frame.height == 0:
        return  # a JSON log without rows holds nothing to read back

    # JSON lines with every field (unset as null), read with the TSV's types.
    declared = {"fields": written.fields, "types": written.zeek_types}
    full = tmp_path / "out.json"
    warned = write(frame, full, include_unset=True)
    expected, non_finite = non_finite_as_null(frame)
    assert warned == non_finite
    assert_frame_equal(read_quietly(full, **declared), expected)

    # Zeek's default: unset fields left out; a column never set is then not in the file.
    omitted = tmp_path / "out.json.zst"
    write(frame, omitted)
    back = read_quietly(omitted, **declared)
    present = [c for c in frame.columns if c in back.columns]
    for name in set(frame.columns) - set(back.columns):
        assert frame[name].null_count() == frame.height, name
    assert_frame_equal(back.select(present), expected.select(present))


# Zeek's btest baselines of its ASCII writer, single header block. Left out: the hand-made
# zeek-cut fixtures (not writer output), and logs holding bytes that are not UTF-8, which the
# reader keeps as the text `\xHH` (so the frame no longer knows the byte Zeek wrote).
NOT_UTF8 = re.compile(rb"\\x[89a-f][0-9a-f]")
PLACEHOLDER_TS = b"XXXXXXXXXX.XXXXXX"


def baselines() -> list[str]:
    chosen = []
    root = corpus_dir()
    for rel in corpus_files():
        if not rel.startswith("zeek/") or "zeek-cut-logs" in rel or root is None:
            continue
        raw = (root / rel).read_bytes()
        if raw.count(b"\n#fields") != 1 or b"\n#separator " not in b"\n" + raw:
            continue
        if NOT_UTF8.search(raw):
            continue
        chosen.append(rel)
    return chosen


def markers_of(raw: bytes) -> dict[str, str]:
    """The markers a log's header declares (unescaped), as write_zeek options."""
    lines = raw.split(b"\n")
    separator = next(unescape(line[11:]) for line in lines if line.startswith(b"#separator "))
    found = {"separator": separator.decode()}
    for key in ("set_separator", "empty_field", "unset_field"):
        prefix = b"#" + key.encode() + separator
        value = next(line[len(prefix) :] for line in lines if line.startswith(prefix))
        found[key] = unescape(value).decode()
    return found


def without_stamps(text: bytes) -> bytes:
    """btest writes its own banner and replaces #open/#close by placeholders: leave them out."""
    keep = (
        line for line in text.split(b"\n") if not line.startswith((b"###", b"#open", b"#close"))
    )
    return b"\n".join(keep)


@pytest.mark.parametrize("baseline", baselines())
def test_zeek_writer_baselines_are_reproduced_byte_for_byte(
    corpus: Path, baseline: str, tmp_path: Path
) -> None:
    # btest replaced the times of most baselines by a placeholder: put a time back.
    raw = (corpus / baseline).read_bytes().replace(PLACEHOLDER_TS, b"1234567890.123456")
    source = tmp_path / "baseline.log"
    source.write_bytes(raw)
    frame = zf.read_zeek(source)
    schema = zf.read_zeek_schema(source)
    out = tmp_path / "written.log"
    zf.write_zeek(
        frame,
        out,
        path=schema.path,
        types=dict(zip(schema.fields, schema.zeek_types)),
        open_close=None,
        **markers_of(raw),  # type: ignore[arg-type]
    )
    assert without_stamps(out.read_bytes()) == without_stamps(raw)


def test_enough_baselines_are_compared() -> None:
    if corpus_dir() is None:
        pytest.skip("corpus not found")
    assert len(baselines()) >= 450


# --------------------------------------------------------------------------------------------
# Random frames of every Zeek type, hostile strings, other markers
# --------------------------------------------------------------------------------------------

I64 = st.integers(-(2**63), 2**63 - 1)
HOSTILE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "", "-", "(empty)", "#", "#fields", "\\", "\\x41", "\\\\x2c", "a\tb", "a,b", "a|",
            "||", "|", ";", " ", "\n", "\r\n", "\x00", "\x7f", "é", "\u2028", "😀", "-,-",
            "(empty),", "\x1b[31m", '"quoted"', "{}", "NULL", "EMPTY",
        ]
    ),
)  # fmt: skip
TIME = pl.Datetime("us", "UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def times() -> st.SearchStrategy[datetime]:
    # Polars' Python datetimes reach years 1..9999.
    return st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999).map(
        lambda us: EPOCH + timedelta(microseconds=us)
    )


ADDRESSES = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda i: str(ipaddress.IPv4Address(i))),
    st.integers(0, 2**128 - 1).map(lambda i: str(ipaddress.IPv6Address(i))),
)
SUBNETS = st.one_of(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
        lambda t: str(ipaddress.ip_network((t[0], t[1]), strict=False))
    ),
    st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
        lambda t: str(ipaddress.ip_network((ipaddress.IPv6Address(t[0]), t[1]), strict=False))
    ),
)

COLUMNS: dict[str, tuple[pl.DataType, st.SearchStrategy[object]]] = {
    "time": (TIME, times()),
    "interval": (pl.Duration("us"), I64.map(lambda us: timedelta(microseconds=us // 1000))),
    "count": (pl.UInt64(), st.integers(0, 2**64 - 1)),
    "int": (pl.Int64(), I64),
    "port": (pl.UInt16(), st.integers(0, 65535)),
    "double": (pl.Float64(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": (pl.Boolean(), st.booleans()),
    "string": (pl.String(), HOSTILE),
    "enum": (pl.Categorical(), HOSTILE),
    "set[string]": (pl.List(pl.String), st.lists(st.one_of(st.none(), HOSTILE), max_size=4)),
    "vector[count]": (pl.List(pl.UInt64), st.lists(st.integers(0, 2**64 - 1), max_size=3)),
    "vector[interval]": (
        pl.List(pl.Duration("us")),
        st.lists(
            st.integers(-(10**12), 10**12).map(lambda us: timedelta(microseconds=us)), max_size=3
        ),
    ),
    "vector[double]": (pl.List(pl.Float64), st.lists(st.floats(), max_size=3)),
    "addr": (pl.String(), ADDRESSES),
    "subnet": (pl.String(), SUBNETS),
    "set[addr]": (pl.List(pl.String), st.lists(ADDRESSES, max_size=3)),
    "vector[string]": (pl.List(pl.String), st.lists(HOSTILE, max_size=3)),
    "set[port]": (pl.List(pl.UInt16), st.lists(st.integers(0, 65535), max_size=3)),
    "vector[bool]": (pl.List(pl.Boolean), st.lists(st.booleans(), max_size=3)),
}


KINDS = sorted(COLUMNS)


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    rows = draw(st.integers(0, 6))
    data: dict[str, pl.Series] = {}
    for i, kind in enumerate(kinds):
        dtype, values = COLUMNS[kind]
        cells = draw(st.lists(st.one_of(st.none(), values), min_size=rows, max_size=rows))
        data[f"c{i}.{KINDS.index(kind)}"] = pl.Series(cells, dtype=dtype)
    return pl.DataFrame(data)


@st.composite
def marker_sets(draw: st.DrawFn) -> dict[str, str]:
    separator = draw(st.sampled_from(["\t", "|", "||", ";", " ", "\t\t"]))
    set_separator = draw(st.sampled_from([c for c in [",", ";", "|", " "] if c != separator]))
    empty, unset = draw(
        st.sampled_from([("(empty)", "-"), ("EMPTY", "NULL"), ("-", "(empty)"), ("?", "!")])
    )
    return {"separator": separator, "set_separator": set_separator, "empty_field": empty,
            "unset_field": unset}  # fmt: skip


def schema_types(frame: pl.DataFrame) -> dict[str, str]:
    """The Zeek type each generated column was drawn as (its name says it)."""
    return {name: KINDS[int(name.split(".", 1)[1])] for name in frame.columns}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames(), markers=marker_sets())
def test_random_frames_read_back_exactly(
    frame: pl.DataFrame, markers: dict[str, str], tmp_path: Path
) -> None:
    types = schema_types(frame)
    tsv = tmp_path / "random.log"
    warned = write(frame, tsv, path="random", types=types, **markers)
    expected, ambiguous = single_empty_strings(frame)
    assert warned == ambiguous
    back = zf.read_zeek(tsv)
    assert_frame_equal(back, expected)
    assert zf.read_zeek_schema(tsv).zeek_types == list(types.values())
    if frame.height == 0:
        return
    json_log = tmp_path / "random.json"
    warned = write(frame, json_log, include_unset=True, json_timestamps="epoch")
    expected, non_finite = non_finite_as_null(frame)
    assert warned == non_finite
    back = zf.read_zeek(json_log, fields=list(types), types=list(types.values()))
    assert_frame_equal(back, expected)


# --------------------------------------------------------------------------------------------
# Exact text, types, sources and failures
# --------------------------------------------------------------------------------------------

CONN = pl.DataFrame(
    {
        "ts": pl.Series([datetime(2012, 3, 16, 12, 30, 0, 129, tzinfo=timezone.utc)], dtype=TIME),
        "uid": ["CAbc"],
        "id.orig_h": ["192.168.1.2"],
        "id.resp_p": pl.Series([8080], dtype=pl.UInt16),
        "proto": pl.Series(["tcp"], dtype=pl.Categorical),
        "duration": pl.Series([timedelta(microseconds=-500_000)], dtype=pl.Duration("us")),
        "orig_bytes": pl.Series([None], dtype=pl.UInt64),
        "tunnel_parents": pl.Series([["a,b", ""]], dtype=pl.List(pl.String)),
        "score": [0.5],
    }
)


def test_the_text_is_zeeks(tmp_path: Path) -> None:
    out = tmp_path / "conn.log"
    assert zf.write_zeek(CONN, out, open_close="2012-03-16-12-30-00") == 1
    assert out.read_text().split("\n") == [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tconn",
        "#open\t2012-03-16-12-30-00",
        "#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tduration\torig_bytes\ttunnel_parents\tscore",
        # id.orig_h and tunnel_parents take their types from the built-in conn schema.
        "#types\ttime\tstring\taddr\tport\tenum\tinterval\tcount\tset[string]\tdouble",
        "1331901000.000129\tCAbc\t192.168.1.2\t8080\ttcp\t-0.500000\t-\ta\\x2cb,(empty)\t0.5",
        "#close\t2012-03-16-12-30-00",
        "",
    ]
    json_out = tmp_path / "conn.json"
    zf.write_zeek(CONN, json_out, json_timestamps="iso8601")
    assert json_out.read_text() == (
        '{"ts":"2012-03-16T12:30:00.000129Z","uid":"CAbc","id.orig_h":"192.168.1.2",'
        '"id.resp_p":8080,"proto":"tcp","duration":-0.5,"tunnel_parents":["a,b",""],'
        '"score":0.5}\n'
    )
    zf.write_zeek(
        CONN.select("ts", "orig_bytes"), json_out, json_timestamps="millis", include_unset=True
    )
    assert json_out.read_text() == '{"ts":1331901000000,"orig_bytes":null}\n'


def test_stamps_are_the_local_time_by_default(tmp_path: Path) -> None:
    out = tmp_path / "x.log"
    zf.write_zeek(CONN, out)
    lines = out.read_text().splitlines()
    stamp = re.compile(r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d")
    opened = lines[5].split("\t")
    closed = lines[-1].split("\t")
    assert opened[0] == "#open"
    assert stamp.fullmatch(opened[1])
    assert closed[0] == "#close"
    assert stamp.fullmatch(closed[1])
    zf.write_zeek(CONN, out, open_close=None)
    assert not any(line.startswith(("#open", "#close")) for line in out.read_text().splitlines())


def test_types_given_hinted_and_refused(tmp_path: Path) -> None:
    out = tmp_path / "x.log"
    frame = CONN.select("uid", "id.resp_p", "tunnel_parents")
    zf.write_zeek(
        frame, out, path="mine", types={"uid": "addr", "tunnel_parents": "vector[string]"}
    )
    assert zf.read_zeek_schema(out).zeek_types == ["addr", "port", "vector[string]"]
    # Without a known path, the dtypes decide.
    zf.write_zeek(frame, out, path="mine")
    assert zf.read_zeek_schema(out).zeek_types == ["string", "port", "vector[string]"]
    # A schema read from a log is a hint: used where the values fit it.
    log = tmp_path / "types.log"
    log.write_text(
        "#separator \\x09\n#path\tmine\n#fields\tuid\tid.resp_p\ttunnel_parents\n"
        "#types\tsubnet\tcount\tset[addr]\n10.0.0.0/8\t80\t10.0.0.1\n"
    )
    zf.write_zeek(frame, out, types=zf.read_zeek_schema(log))
    written = zf.read_zeek_schema(out)
    assert (written.path, written.zeek_types) == ("mine", ["subnet", "count", "set[addr]"])
    with pytest.raises(
        zf.ZeekError, match=r'"id\.resp_p" holds UInt16 values, which a Zeek string'
    ):
        zf.write_zeek(frame, out, path="x", types={"id.resp_p": "string"})
    with pytest.raises(zf.ZeekError, match="does not have"):
        zf.write_zeek(frame, out, path="x", types={"nope": "string"})
    with pytest.raises(zf.ZeekError, match="no Zeek type holds"):
        zf.write_zeek(pl.DataFrame({"d": [datetime(2020, 1, 1).date()]}), out, path="x")
    with pytest.raises(zf.ZeekError, match="nested"):
        zf.write_zeek(pl.DataFrame({"n": [[[1]]]}), out, path="x")


def test_the_sources_a_frame_comes_in(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    expected = tmp_path / "frame.log"
    zf.write_zeek(CONN, expected, path="conn", open_close="x")
    lazy_batches = pl.concat([CONN] * 5).lazy()
    for source in (
        CONN.lazy(),
        CONN.to_arrow(),
        CONN.to_pandas(use_pyarrow_extension_array=True),
        pa.RecordBatchReader.from_stream(CONN),
        iter([CONN.head(0), CONN]),
    ):
        out = tmp_path / "source.log"
        assert zf.write_zeek(source, out, path="conn", open_close="x") == 1
        assert out.read_bytes() == expected.read_bytes(), type(source)
    # A LazyFrame is written batch by batch, in order.
    out = tmp_path / "lazy.log"
    assert zf.write_zeek(lazy_batches, out, path="conn") == 5
    assert zf.read_zeek(out).height == 5
    with pytest.raises(TypeError, match="not int"):
        zf.write_zeek(3, out, path="x")


def test_an_error_midway_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.log"
    out.write_text("the old file\n")

    def frames() -> Iterator[pl.DataFrame]:
        yield CONN
        raise RuntimeError("the source failed")

    with pytest.raises(RuntimeError, match="the source failed"):
        zf.write_zeek(frames(), out, path="conn")
    assert out.read_text() == "the old file\n"
    with pytest.raises(zf.ZeekError, match="changes type"):
        zf.write_zeek(
            iter([CONN, CONN.with_columns(pl.col("uid").cast(pl.Int64, strict=False))]),
            out,
            path="c",
        )
    assert out.read_text() == "the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.log"]
    with pytest.raises(FileNotFoundError):
        zf.write_zeek(CONN, tmp_path / "missing" / "x.log")


def test_bad_options_are_clear(tmp_path: Path) -> None:
    out = tmp_path / "x.log"
    cases: list[tuple[dict[str, object], str]] = [
        ({"format": "xml"}, "format='xml'"),
        ({"compression": "bz2"}, "compression='bz2'"),
        ({"compression": "gzip", "compression_level": 12}, "gzip level"),
        ({"compression": None, "compression_level": 3}, "compression_level"),
        ({"json_timestamps": "nanos"}, "json_timestamps"),
        ({"separator": ""}, "cannot be empty"),
        ({"set_separator": ";;"}, "one byte"),
        ({"separator": ",", "set_separator": ","}, "must differ"),
        ({"separator": "x"}, "hex digit"),
        ({"unset_field": "(empty)"}, "must differ"),
        ({"empty_field": "a\tb"}, "cannot hold the separator"),
        ({"separator": "||", "unset_field": "-|"}, "cannot end with the separator's first"),
    ]
    for options, message in cases:
        with pytest.raises((ValueError, zf.ZeekError), match=re.escape(message)):
            zf.write_zeek(CONN, out, **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path="):
        zf.write_zeek(CONN, None)
    bad_name = pl.DataFrame({"a\tb": [1]})
    with pytest.raises(zf.ZeekError, match="cannot go into a Zeek header"):
        zf.write_zeek(bad_name, out, path="x")
    assert not out.exists()


def test_suffixes_choose_format_and_compression(tmp_path: Path) -> None:
    for name, magic in [
        ("c.log.gz", b"\x1f\x8b"),
        ("c.json.zst", b"\x28\xb5\x2f\xfd"),
        ("c.ndjson", b"{"),
    ]:
        zf.write_zeek(CONN, tmp_path / name)
        assert (tmp_path / name).read_bytes().startswith(magic), name
        assert_frame_equal(
            zf.read_zeek(tmp_path / name, log_type="conn").select("ts", "uid"),
            CONN.select("ts", "uid"),
        )
    text = gzip.decompress((tmp_path / "c.log.gz").read_bytes()).decode()
    assert text.startswith("#separator \\x09\n")
    assert "#path\tc\n" in text
    zf.write_zeek(CONN, tmp_path / "plain.log.gz", compression=None)
    assert (tmp_path / "plain.log.gz").read_bytes().startswith(b"#separator")


def test_standard_output(tmp_path: Path) -> None:
    script = (
        "import polars as pl, zeekframe as zf, sys\n"
        "zf.write_zeek(pl.DataFrame({'a': [1, 2]}), None, path='t', open_close=None)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert done.stdout.decode().splitlines()[-3:] == ["#types\tint", "1", "2"]


def test_large_frames_go_through_all_slices_in_order(tmp_path: Path) -> None:
    rows = 100_003
    frame = pl.DataFrame(
        {"i": pl.int_range(rows, eager=True), "s": pl.int_range(rows, eager=True).cast(pl.String)}
    )
    for name in ("big.log", "big.log.gz", "big.json.zst"):
        zf.write_zeek(frame, tmp_path / name, path="big")
        back = zf.read_zeek(tmp_path / name, fields=["i", "s"], types=["int", "string"])
        assert_frame_equal(back, frame)
    text = (tmp_path / "big.log").read_text()
    # Eight header lines, the rows, and #close.
    assert text.count("\n") == rows + 9


# --------------------------------------------------------------------------------------------
# zeekframe cat: read, filter, write back
# --------------------------------------------------------------------------------------------

RITA_CONN = "rita/test_data__missing_host__2024-04-19__conn.0*.log.gz"


def test_cat_filters_while_reading_and_writes_typed_logs(
    corpus: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from zeekframe.cli import main

    source = str(corpus / RITA_CONN)
    out = tmp_path / "out.log.gz"
    nets = "64.0.0.0/8,2001:db8::/32"
    status = main(["cat", source, "--filter", "id.resp_p != 443 AND proto = 'tcp'",
                   "--in-subnet", "id.resp_h", nets, "-o", str(out)])  # fmt: skip
    assert status == 0, capfd.readouterr().err
    expected = zf.read_zeek(source).filter(
        (pl.col("id.resp_p") != 443)
        & (pl.col("proto") == "tcp")
        & zf.in_subnet("id.resp_h", nets.split(","))
    )
    assert expected.height > 0
    assert_frame_equal(zf.read_zeek(out), expected)
    assert zf.read_zeek_schema(out).zeek_types == zf.read_zeek_schema(source).zeek_types
    assert f"wrote {expected.height:,} rows" in capfd.readouterr().err
    # Columns, JSON by name, and standard output.
    json_out = tmp_path / "out.json"
    https = "id.resp_p IN (443, 8443)"
    assert main(["cat", source, "--columns", "uid,id.resp_p", "--filter", https,
                 "-o", str(json_out)]) == 0  # fmt: skip
    expected_https = (
        zf.read_zeek(source)
        .filter(pl.col("id.resp_p").is_in([443, 8443]))
        .select("uid", "id.resp_p")
    )
    back = zf.read_zeek(json_out, fields=["uid", "id.resp_p"], types=["string", "port"])
    assert_frame_equal(back, expected_https)
    capfd.readouterr()
    assert (
        main(["cat", source, "--columns", "uid", "--filter", "uid = 'nope'", "--no-open-close"])
        == 0
    )
    assert capfd.readouterr().out.splitlines()[-1] == "#types\tstring"
    # A bad filter is one line on standard error.
    assert main(["cat", source, "--filter", "nope = 3", "-o", str(out)]) == 1
    err = capfd.readouterr().err
    assert err.startswith('zeekframe: unable to find column "nope"')
    assert "plan" not in err


def test_a_fifo_is_written_to_and_a_symlink_through(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert zf.write_zeek(CONN, fifo, path="conn", open_close=None) == 1
    reader.join(timeout=30)
    assert fifo.is_fifo()
    assert got[0].startswith(b"#separator \\x09\n")
    assert got[0].count(b"\n") == 8  # seven header lines and the row
    target = tmp_path / "real.log"
    target.write_text("old")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    zf.write_zeek(CONN, link, path="conn")
    assert link.is_symlink()
    assert zf.read_zeek(target).height == 1


def test_cat_of_a_json_log_writes_tsv_with_its_path(
    corpus: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from zeekframe.cli import main

    source = corpus / "zed-sample-data-6.2.0/zeek-json__ssh.json.gz"
    out = tmp_path / "ssh.log"
    assert main(["cat", str(source), "-o", str(out)]) == 0, capfd.readouterr().err
    assert zf.read_zeek_schema(out).path == "ssh"  # the _path of its records
    assert_frame_equal(zf.read_zeek(out), zf.read_zeek(source), check_dtypes=False)
