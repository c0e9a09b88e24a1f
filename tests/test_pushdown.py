"""The pushdown contract: what the parser applies (projection, sampling, filters, MIME
classification) gives exactly what reading everything and doing the same in Polars gives,
eagerly (read_zeek) and lazily (scan_zeek)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import _core

PUSHABLE = (pl.UInt64, pl.Int64, pl.UInt16, pl.Float64, pl.Datetime, pl.Boolean, pl.String)


def _address_columns(frame: pl.DataFrame) -> list[str]:
    """String columns whose every value is an IP address (Zeek's addr columns)."""
    found = []
    for name, dtype in frame.schema.items():
        if not isinstance(dtype, pl.String):
            continue
        values = frame[name].drop_nulls().unique().head(50).to_list()
        try:
            if values and all(ipaddress.ip_address(v) for v in values):
                found.append(name)
        except ValueError:
            pass
    return found


def _subnet_atom(draw: st.DrawFn, frame: pl.DataFrame, column: str) -> pl.Expr:
    """``zf.in_subnet`` with networks around the column's own addresses."""
    values = frame[column].drop_nulls().unique(maintain_order=True).head(20).to_list()
    networks = []
    for value in draw(st.lists(st.sampled_from(values), min_size=0, max_size=4)):
        address = ipaddress.ip_address(value)
        prefix = draw(st.integers(0, address.max_prefixlen))
        networks.append(str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))
    return zf.in_subnet(column, networks)


def _atom(draw: st.DrawFn, frame: pl.DataFrame) -> pl.Expr:
    """One comparison, membership or null test on a column, with literals taken from the
    column's own values so that some rows match."""
    addresses = _address_columns(frame)
    if addresses and draw(st.integers(0, 3)) == 0:
        return _subnet_atom(draw, frame, draw(st.sampled_from(addresses)))
    candidates = [c for c, t in frame.schema.items() if isinstance(t, (*PUSHABLE, pl.Categorical))]
    if not candidates:
        return pl.lit(True)
    column = draw(st.sampled_from(candidates))
    dtype = frame.schema[column]
    col = pl.col(column)
    values = frame[column].drop_nulls().unique(maintain_order=True).head(20).to_list()
    if isinstance(dtype, pl.Categorical):
        values = [str(v) for v in values]
    if not values or draw(st.integers(0, 9)) == 0:
        return col.is_null() if draw(st.booleans()) else col.is_not_null()
    value: Any = draw(st.sampled_from(values))
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Boolean)):
        kind = draw(st.sampled_from(["eq", "ne", "in"]))
    else:
        kind = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in"]))
    if kind == "in":
        chosen = draw(st.lists(st.sampled_from(values), min_size=0, max_size=4))
        return col.is_in(chosen)
    literal = pl.lit(value, dtype=dtype) if isinstance(value, datetime) else pl.lit(value)
    return {
        "eq": col == literal,
        "ne": col != literal,
        "lt": col < literal,
        "le": col <= literal,
        "gt": col > literal,
        "ge": col >= literal,
    }[kind]


def _residual(draw: st.DrawFn, frame: pl.DataFrame) -> pl.Expr:
    """A condition the parser does not take, which Polars must apply."""
    strings = [c for c, t in frame.schema.items() if isinstance(t, pl.String)]
    if strings:
        return pl.col(draw(st.sampled_from(strings))).str.len_bytes() > draw(st.integers(0, 12))
    return pl.len() > 0


@st.composite
def predicates(draw: st.DrawFn, frame: pl.DataFrame, depth: int = 2) -> pl.Expr:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return _residual(draw, frame) if draw(st.integers(0, 5)) == 0 else _atom(draw, frame)
    left = draw(predicates(frame, depth - 1))
    right = draw(predicates(frame, depth - 1))
    combined = draw(st.sampled_from(["and", "or", "not"]))
    if combined == "not":
        return ~left
    return (left & right) if combined == "and" else (left | right)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_eager_and_lazy_equal_read_then_polars(sample_log: str, corpus: Path, data: Any) -> None:
    path = corpus / sample_log
    sample = data.draw(st.sampled_from([None, None, 0.5, 0.1]))
    seed = data.draw(st.integers(0, 2**64 - 1))
    base = zf.read_zeek(path, sample=sample, seed=seed)
    lazy_schema = zf.scan_zeek(path).collect_schema()
    # The lazy schema is each file's first header block: draw from what both paths have.
    shared = [c for c in base.columns if c in lazy_schema]
    columns = data.draw(st.lists(st.sampled_from(shared), min_size=1, unique=True))
    predicate = data.draw(predicates(base.select(shared)))
    n_rows = data.draw(st.sampled_from([None, None, 0, 1, 7]))

    expected = base.filter(predicate).select(columns)
    if n_rows is not None:
        expected = expected.head(n_rows)
    eager = zf.read_zeek(
        path, columns=columns, filter=predicate, n_rows=n_rows, sample=sample, seed=seed
    )
    assert_frame_equal(eager, expected)
    query = zf.scan_zeek(path, sample=sample, seed=seed).filter(predicate).select(columns)
    lazy = (query if n_rows is None else query.head(n_rows)).collect()
    assert_frame_equal(lazy, expected)


def test_pushed_filters_leave_nothing_to_polars() -> None:
    """The filters of the report translate completely, so the parser does all the work."""
    from zeekframe._pushdown import translate

    schema = {
        "id.resp_p": pl.UInt16(),
        "id.resp_h": pl.String(),
        "mime_category": pl.Enum(["exploit", "executable"]),
    }
    for predicate in [
        pl.col("id.resp_p") != 80,
        ~pl.col("id.resp_p").is_in([80, 8080]),
        pl.col("mime_category").is_in(["exploit", "executable"]) & (pl.col("id.resp_p") > 1024),
        pl.col("mime_category").is_not_null() | (pl.col("id.resp_p") == 81),
        zf.in_subnet("id.resp_h", ["10.0.0.0/8", "2001:db8::/32"]) & (pl.col("id.resp_p") != 80),
        ~zf.in_subnet("id.resp_h", "192.168.0.0/16"),
    ]:
        pushed, complete = translate(predicate, schema)
        assert pushed is not None
        assert complete, predicate


@pytest.fixture
def conn_sample(corpus: Path) -> Path:
    return corpus / "secrepo-maccdc2012" / "conn_sample.log"


def test_sample_fraction_is_within_tolerance(conn_sample: Path) -> None:
    rows = 22_694
    for fraction, seed in [(0.1, 42), (0.5, 7), (0.02, 1)]:
        kept = zf.read_zeek(conn_sample, log_type="conn", sample=fraction, seed=seed).height
        sigma = (rows * fraction * (1 - fraction)) ** 0.5
        assert abs(kept - rows * fraction) < 4 * sigma, (fraction, kept)
    assert zf.read_zeek(conn_sample, log_type="conn", sample=0.0).height == 0
    assert zf.read_zeek(conn_sample, log_type="conn", sample=1.0).height == rows


def test_sample_is_the_same_for_any_thread_count_and_chunking(conn_sample: Path) -> None:
    def read(**options: Any) -> pl.DataFrame:
        table = _core.read_tsv([str(conn_sample)], log_type="conn", sample=0.1, seed=42, **options)
        return pl.DataFrame(table)

    expected = read(n_threads=1)
    for n_threads, chunk_size in [(2, 4096), (4, 100_000), (1, 777), (3, 1 << 22)]:
        assert_frame_equal(read(n_threads=n_threads, chunk_size=chunk_size), expected)
    other_seed = zf.read_zeek(conn_sample, log_type="conn", sample=0.1, seed=43)
    assert not other_seed["uid"].equals(expected["uid"])
    # A sampled row is the same row as in the full read.
    full = zf.read_zeek(conn_sample, log_type="conn")
    assert_frame_equal(full.join(expected.select("uid"), on="uid", how="semi"), expected)


def _independent_category(types: list[str] | None) -> str | None:
    if types is None:
        return None
    for name, members in zf.REPORT_MIME_CATEGORIES.items():
        if any(t in members for t in types):
            return name
    return None


@pytest.mark.parametrize(
    "rel_path",
    [
        "zat/data__http.log",
        "brobeat/data__http.log",
        "rita/test_data__valid_tsv__open_http.log.gz",
    ],
)
def test_mime_category_of_every_row(corpus: Path, rel_path: str) -> None:
    path = corpus / rel_path
    if not path.exists():
        pytest.skip(f"{rel_path} is not in this corpus")
    frame = zf.read_zeek(path, mime_categories=zf.REPORT_MIME_CATEGORIES)
    assert frame.schema["mime_category"] == pl.Enum(["exploit", "executable"])
    expected = [_independent_category(t) for t in frame["resp_mime_types"].to_list()]
    assert frame["mime_category"].cast(pl.String).to_list() == expected
    # The expression classifies a frame from elsewhere (here: through pandas) the same way.
    from_pandas = pl.from_pandas(frame.select("resp_mime_types").to_pandas())
    again = from_pandas.select(zf.mime_category(pl.col("resp_mime_types")))
    assert_frame_equal(again, frame.select("mime_category"))
    # Filtering on the category in the parser gives the same rows as afterwards.
    wanted = pl.col("mime_category").is_in(["exploit", "executable"])
    assert_frame_equal(
        zf.read_zeek(path, mime_categories=zf.REPORT_MIME_CATEGORIES, filter=wanted),
        frame.filter(wanted),
    )


def test_mime_categories_follow_the_mapping_order(tmp_path: Path) -> None:
    log = tmp_path / "http.log"
    log.write_text(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#fields\tuid\tresp_mime_types\n#types\tstring\tvector[string]\n"
        "a\tapplication/x-dosexec,application/pdf\nb\t-\nc\t(empty)\nd\ttext/html\n"
        "e\tbinary\n"
    )
    frame = zf.read_zeek(log, mime_categories=zf.REPORT_MIME_CATEGORIES)
    assert frame["mime_category"].cast(pl.String).to_list() == [
        "exploit",
        None,
        None,
        None,
        "executable",
    ]
    reversed_order = {"executable": ["application/x-dosexec"], "exploit": ["application/pdf"]}
    again = zf.read_zeek(log, mime_categories=reversed_order, columns=["mime_category"])
    assert again["mime_category"].cast(pl.String).to_list()[0] == "executable"
    with pytest.raises(TypeError, match="mapping"):
        zf.read_zeek(log, mime_categories=["exploit"])  # type: ignore[call-overload]
    # The expression plugin, on the same rows and on single strings, in both orders.
    lists = frame.select(zf.mime_category("resp_mime_types"))
    assert_frame_equal(lists, frame.select("mime_category"))
    again = frame.select(zf.mime_category("resp_mime_types", reversed_order))
    assert again["mime_category"].cast(pl.String).to_list() == [
        "executable",
        None,
        None,
        None,
        None,
    ]
    single = pl.DataFrame({"t": ["application/zip", None, "binary", "text/plain"]})
    assert single.select(zf.mime_category("t"))["mime_category"].to_list() == [
        "exploit",
        None,
        "executable",
        None,
    ]
    lazy = single.lazy().with_columns(zf.mime_category(pl.col("t")).alias("c")).collect()
    assert lazy.schema["c"] == pl.Enum(["exploit", "executable"])
    with pytest.raises(pl.exceptions.ComputeError, match="list of strings"):
        pl.DataFrame({"n": [1, 2]}).select(zf.mime_category("n"))


def test_every_log_through_the_pushdown_paths(wellformed_log: str, corpus: Path) -> None:
    """A fixed filter from each log's own values and a 50 % sample, on every well-formed log:
    eager, lazy and read-then-Polars agree."""
    path = corpus / wellformed_log
    base = zf.read_zeek(path, sample=0.5, seed=11)
    lazy_schema = zf.scan_zeek(path).collect_schema()
    shared = [c for c in base.columns if c in lazy_schema]
    pushable = [c for c in shared if isinstance(base.schema[c], PUSHABLE)]
    if not pushable:
        pytest.skip("no column the parser filters on")
    column = pushable[0]
    values = base[column].drop_nulls().head(1).to_list()
    predicate = pl.col(column).is_null()
    if values:
        value = values[0]
        literal = pl.lit(value, dtype=base.schema[column]) if isinstance(value, datetime) else value
        predicate = (pl.col(column) == literal) | predicate
    columns = shared[::-1]
    expected = base.filter(predicate).select(columns)
    eager = zf.read_zeek(path, columns=columns, filter=predicate, sample=0.5, seed=11)
    assert_frame_equal(eager, expected)
    lazy = zf.scan_zeek(path, sample=0.5, seed=11).filter(predicate).select(columns).collect()
    assert_frame_equal(lazy, expected)


@pytest.mark.parametrize("on_bad_line", ["raise", "skip"])
def test_every_file_scans_or_raises_zeek_error(
    corpus_file: str, corpus: Path, on_bad_line: str
) -> None:
    """The lazy path keeps the eager path's promise: a frame or a ZeekError, nothing else."""
    import contextlib
    import warnings

    with warnings.catch_warnings(), contextlib.suppress(zf.ZeekError):
        warnings.simplefilter("ignore", zf.ZeekSkippedLinesWarning)
        zf.scan_zeek(corpus / corpus_file, on_bad_line=on_bad_line).collect()  # type: ignore[arg-type]
