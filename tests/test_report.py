"""The report's analyses, each checked against an independent computation (pandas or plain
Python) on the report's own data, and for pandas input against Polars input."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Literal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.datatypes import IntegerType
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import report


@pytest.fixture(scope="module")
def conn_path(corpus: Path) -> Path:
    return corpus / "secrepo-maccdc2012" / "conn_sample.log"


@pytest.fixture(scope="module")
def http_path(corpus: Path) -> Path:
    return corpus / "secrepo-maccdc2012" / "http_prefix_truncated.log"


def read_http(path: Path, **options: object) -> pl.DataFrame:
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        frame = zf.read_zeek(path, log_type="http", on_bad_line="skip", **options)  # type: ignore[call-overload]
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_conn_port_counts_match_pandas(conn_path: Path) -> None:
    conn = zf.read_zeek(conn_path, log_type="conn")
    counts = report.conn_port_counts(conn)
    assert counts.columns == ["id_orig_h", "id_resp_p", "count"]
    assert counts["count"].is_sorted(descending=True)
    assert 80 not in counts["id_resp_p"].to_list()
    pdf = zf.read_zeek(conn_path, log_type="conn", rename="underscore", output="pandas")
    pdf = pdf[pdf["id_resp_p"] != 80]
    expected = pdf.groupby(["id_orig_h", "id_resp_p"]).size()
    got = {(h, p): c for h, p, c in counts.iter_rows()}
    assert got == {(str(k[0]), int(k[1])): int(c) for k, c in expected.items()}  # type: ignore[index]
    assert counts["count"].sum() == len(pdf)


_TEXT = st.one_of(
    st.none(), st.sampled_from(["", "10.0.0.1", "10.0.0.10", "9.9.9.9", "é", "a\x00"])
)
_NUMBER = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([65535, -(2**63), 2**63 - 1]))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_TEXT, _NUMBER, st.one_of(st.integers(0, 5), st.just(2**40))), max_size=40
    ),
    text_first=st.booleans(),
)
def test_most_frequent_first_sorts_as_polars_does(
    rows: list[tuple[str | None, int | None, int]], text_first: bool
) -> None:
    """The packed sort of the count tables gives Polars' own order on several columns: count
    highest first, then the keys ascending with nulls first, whatever the keys hold (empty
    and non-ASCII text, negative numbers, extremes that do not pack)."""
    from zeekframe.report.analyses import _most_frequent_first

    counts = pl.DataFrame(
        rows, schema={"h": pl.String, "p": pl.Int64, "count": pl.UInt64}, orient="row"
    )
    keys = ["h", "p"] if text_first else ["p", "h"]
    expected = counts.sort(["count", *keys], descending=[True, False, False])
    assert_frame_equal(_most_frequent_first(counts, keys), expected)


_INTEGER_RANGES = {
    pl.UInt16: (0, 2**16 - 1),
    pl.Int8: (-(2**7), 2**7 - 1),
    pl.Int64: (-(2**63), 2**63 - 1),
    pl.UInt64: (0, 2**64 - 1),
}


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(_TEXT, _NUMBER, st.integers(0, 2**40)), max_size=60),
    number_type=st.sampled_from(list(_INTEGER_RANGES)),
    weighted=st.booleans(),
    sort=st.booleans(),
    chunks=st.integers(1, 3),
    engine=st.sampled_from(["in-memory", "streaming"]),
)
def test_pair_counts_kernel_counts_as_polars_group_by(
    rows: list[tuple[str | None, int | None, int]],
    number_type: type[IntegerType],
    weighted: bool,
    sort: bool,
    chunks: int,
    engine: Literal["in-memory", "streaming"],
) -> None:
    """The Rust kernel behind conn_port_counts gives Polars' group_by counts (and sums of
    counts), null keys included, for every integer key type, on frames of several chunks in
    either engine; sorted, in the order of Polars' sort on count, text and number."""
    from zeekframe.report.analyses import _pair_counts

    data = pl.DataFrame(
        rows, schema={"h": pl.String, "p": pl.Int64, "count": pl.UInt64}, orient="row"
    )
    low, high = _INTEGER_RANGES[number_type]
    data = data.filter(pl.col("p").is_null() | pl.col("p").is_between(low, high))
    data = data.with_columns(pl.col("p").cast(number_type))
    step = max(1, data.height // chunks)
    frame = pl.concat(
        [data[i : i + step] for i in range(0, max(data.height, 1), step)], rechunk=False
    )
    total = pl.col("count").sum() if weighted else pl.len().cast(pl.UInt64).alias("count")
    expected = frame.group_by("h", "p").agg(total)
    got = _pair_counts(frame.lazy(), ("h", "p"), weighted=weighted, sort=sort).collect(
        engine=engine
    )
    assert got.schema == expected.schema
    if sort:
        assert_frame_equal(got, expected.sort(["count", "h", "p"], descending=[True, False, False]))
    else:
        assert_frame_equal(got, expected, check_row_order=False)


def test_pair_counts_falls_back_to_polars_for_other_key_types() -> None:
    """Keys the kernel does not take (a categorical host) are counted by Polars, in the same
    order, on a frame and on counts to be summed."""
    from zeekframe.report.analyses import _pair_counts

    conn = pl.DataFrame(
        {"id.orig_h": ["b", "a", "b", "a", None], "id.resp_p": [22, 443, 22, 22, 1]},
        schema={"id.orig_h": pl.Categorical, "id.resp_p": pl.UInt16},
    )
    counts = report.conn_port_counts(conn)
    assert counts.schema["id_orig_h"] == pl.Categorical
    rows = [("b", 22, 2), (None, 1, 1), ("a", 22, 1), ("a", 443, 1)]
    assert counts.with_columns(pl.col("id_orig_h").cast(pl.String)).rows() == rows
    summed = _pair_counts(
        pl.concat([counts, counts]).lazy(), ("id_orig_h", "id_resp_p"), weighted=True, sort=True
    )
    doubled = [(h, p, 2 * c) for h, p, c in rows]
    assert summed.collect().with_columns(pl.col("id_orig_h").cast(pl.String)).rows() == doubled


def test_conn_port_counts_order_ties_by_host_then_port() -> None:
    conn = pl.DataFrame(
        {
            "id.orig_h": ["b", "a", "b", "a", "c", None, "a", "b"],
            "id.resp_p": [22, 443, 22, 80, 8, 8, 22, 443],
        },
        schema={"id.orig_h": pl.String, "id.resp_p": pl.UInt16},
    )
    counts = report.conn_port_counts(conn)
    assert counts.rows() == [
        ("b", 22, 2),
        (None, 8, 1),
        ("a", 22, 1),
        ("a", 443, 1),
        ("b", 443, 1),
        ("c", 8, 1),
    ]


def test_analyses_take_pandas_and_lazy_frames(conn_path: Path, http_path: Path) -> None:
    conn = zf.read_zeek(conn_path, log_type="conn")
    expected = report.conn_port_counts(conn)
    pdf = zf.read_zeek(conn_path, log_type="conn", output="pandas")
    assert_frame_equal(report.conn_port_counts(pdf), expected)
    assert_frame_equal(report.conn_port_counts(conn.lazy()), expected)
    lazy = zf.scan_zeek(conn_path, log_type="conn", rename="underscore")
    assert_frame_equal(report.conn_port_counts(lazy), expected)
    http = read_http(http_path)
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        http_pandas = zf.read_zeek(http_path, log_type="http", on_bad_line="skip", output="pandas")
    assert_frame_equal(
        report.http_nonstandard_ports(http_pandas), report.http_nonstandard_ports(http)
    )


def test_http_nonstandard_ports_match_plain_python(http_path: Path) -> None:
    http = read_http(http_path)
    odd = report.http_nonstandard_ports(http)
    assert odd.columns == ["ts", "id_orig_h", "id_resp_p", "resp_mime_types"]
    expected = sorted(
        (row["ts"], row["id.orig_h"], row["id.resp_p"])
        for row in http.iter_rows(named=True)
        if row["id.resp_p"] not in (80, 8080)
    )
    assert sorted(odd.select("ts", "id_orig_h", "id_resp_p").iter_rows()) == expected
    assert odd["ts"].is_sorted()


def test_mime_type_hits_match_the_category_lists(http_path: Path) -> None:
    http = read_http(http_path)
    hits = report.mime_type_hits(http)
    wanted = {t for types in zf.REPORT_MIME_CATEGORIES.values() for t in types}
    expected = [
        row["uid"]
        for row in http.sort("ts", maintain_order=True).iter_rows(named=True)
        if any(t in wanted for t in row["resp_mime_types"] or [])
    ]
    assert len(hits) == len(expected)
    assert hits.schema["mime_category"] == pl.Enum(["exploit", "executable"])
    # The parser's classification gives the same table.
    pushed = read_http(http_path, mime_categories=zf.REPORT_MIME_CATEGORIES)
    assert_frame_equal(report.mime_type_hits(pushed), hits)


def test_counts_by_period_match_plain_python() -> None:
    times = [datetime(2011, 7, 30), datetime(2011, 9, 30), datetime(2011, 10, 1)]
    frame = pl.DataFrame({"ts": times * 2, "id_resp_p": [81, 81, 81, 19910, 19910, 81]})
    counts = report.counts_by_period(frame, every="1q")

    def quarter(t: datetime) -> datetime:
        return datetime(t.year, 3 * ((t.month - 1) // 3) + 1, 1)

    expected = Counter((quarter(t), p) for t, p in zip(frame["ts"], frame["id_resp_p"]))
    got = {(period, port): count for period, port, count in counts.iter_rows()}
    assert got == dict(expected)
    assert counts["period"].is_sorted()


def test_figures_render(http_path: Path, tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    http = read_http(http_path, mime_categories=zf.REPORT_MIME_CATEGORIES)
    odd = report.http_nonstandard_ports(http)
    fig = report.plot_nonstandard_ports(odd)
    (ax,) = fig.axes[:1]
    ports = odd["id_resp_p"].n_unique()
    # One bar series per port (at most 8 and "other"), one legend entry each.
    assert len(ax.containers) == min(ports, report.plots.MAX_SERIES + 1)
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    out = tmp_path / "no80_8080.png"
    fig.savefig(out)
    assert out.stat().st_size > 10_000

    hits = report.mime_type_hits(http)
    fig = report.plot_mime_types_by_quarter(hits)
    categories = hits["mime_category"].drop_nulls().n_unique()
    assert len(fig.axes) == categories + 1
    out = tmp_path / "exploit_types.png"
    fig.savefig(out)
    assert out.stat().st_size > 10_000
    matplotlib.pyplot.close("all")


def test_write_report_on_demo_logs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from zeekframe.cli import main
    from zeekframe.datasets import demo

    logs = demo(tmp_path / "demo", scale=0.002)
    files = report.write_report(logs.conn, logs.http, tmp_path / "report")
    page = files.html.read_text()
    for expected in ("id_orig_h", "id_resp_p", "resp_mime_types", "no80_8080.png"):
        assert expected in page
    assert [f.name for f in files.figures] == ["no80_8080.png", "exploits_types.png"]
    assert all(f.stat().st_size > 10_000 for f in files.figures)
    # Step 1: the logs as Parquet, conn.log as the 10 % sample.
    conn_parquet, http_parquet = files.parquet
    sample = zf.read_zeek(logs.conn, sample=0.1, seed=42, rename="underscore")
    assert_frame_equal(pl.read_parquet(conn_parquet), sample)
    http = pl.read_parquet(http_parquet)
    assert http.height == zf.read_zeek(logs.http, columns=["uid"]).height
    assert http["mime_category"].drop_nulls().cast(pl.String).unique().sort().to_list() == [
        "executable",
        "exploit",
    ]
    assert f"{sample.height:,} rows in a" in page
    # The command line runs the same report.
    argv = ["report", "--conn", str(logs.conn), "--http", str(logs.http)]
    assert main([*argv, "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "report.html").exists()


def test_cli_report_on_the_report_data(conn_path: Path, http_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from zeekframe.cli import main

    argv = ["report", "--conn", str(conn_path), "--http", str(http_path), "--out", str(tmp_path)]
    # The real http sample ends with a cut line: it must be skipped on purpose.
    assert main(argv) == 1
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        assert main([*argv, "--skip-bad-lines"]) == 0
    counts = report.conn_port_counts(pl.read_parquet(tmp_path / "conn_sample.parquet"))
    assert counts.height > 1000
    assert counts["count"].is_sorted(descending=True)
