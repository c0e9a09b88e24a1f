"""zeekframe.dask: a Dask read gives exactly what a local read gives, on a real cluster.

The cluster is a ``distributed.LocalCluster`` of two worker processes, so every partition is
pickled, read in another process and sent back, as on a real cluster.
"""

from __future__ import annotations

import glob
import gzip
import pickle
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pushdown import predicates

import zeekframe as zf
from zeekframe import _core

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
zd = pytest.importorskip("zeekframe.dask")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes of one thread each; every test of the module computes on them."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def assert_same(frame: Any, expected: pd.DataFrame) -> None:
    """The Dask frame's meta has the local frame's dtypes, and it computes to its rows."""
    assert list(frame.columns) == list(expected.columns)
    assert dict(frame.dtypes.astype(str)) == dict(expected.dtypes.astype(str))
    got = frame.compute().reset_index(drop=True)
    assert dict(got.dtypes.astype(str)) == dict(expected.dtypes.astype(str))
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)


ARCHIVES = [
    # (source under the corpus, options): many rotated gz files, multi-block files,
    # headerless logs, JSON, old Bro types.
    ("rita/*missing_host__2024-04-19__conn.*.log.gz", {"sample": 0.3, "seed": 5}),
    ("rita/*missing_host__2024-04-19__dns.0*.log.gz", {"include_file_paths": "file"}),
    ("secrepo-maccdc2012/conn_sample.log", {"log_type": "conn", "sample": 0.5, "seed": 1}),
    ("secrepo-maccdc2012/conn_sample.log", {"log_type": "conn", "rename": "underscore"}),
    ("zat/data__http.log", {"mime_categories": zf.REPORT_MIME_CATEGORIES}),
    ("zat/data__json__conn.log", {}),
    ("zed-sample-data-6.2.0/zeek-default__ssl.log.gz", {"columns": ["ts", "uid", "server_name"]}),
]


@pytest.mark.parametrize(("source", "options"), ARCHIVES)
@pytest.mark.parametrize("pieces", [1, 9])
def test_equals_read_zeek_on_the_corpus(
    client: Any, corpus: Path, source: str, options: dict[str, Any], pieces: int
) -> None:
    pattern = str(corpus / source)
    expected = zf.read_zeek(pattern, output="pandas", **options)
    assert len(expected) > 0
    # Plain files cut into about `pieces` byte ranges each.
    largest = max(Path(p).stat().st_size for p in glob.glob(pattern))
    blocksize = None if pieces == 1 else largest // pieces + 1
    frame = zd.read_zeek(pattern, blocksize=blocksize, **options)
    assert_same(frame, expected)


def test_a_large_plain_file_becomes_byte_ranges_numbered_as_in_the_file(corpus: Path) -> None:
    path = str(corpus / "secrepo-maccdc2012/conn_sample.log")
    size = Path(path).stat().st_size
    parts = zd.plan_partitions([path], 300_000).partitions
    assert len(parts) == -(-size // 300_000)
    assert [p.byte_range[0] for p in parts if p.byte_range] == list(range(0, size, 300_000))
    assert parts[-1].byte_range is not None
    assert parts[-1].byte_range[1] == size
    # Lines before each range: an independent count of line ends before its start.
    data = Path(path).read_bytes()
    for part in parts:
        assert part.byte_range is not None
        start, _, before = part.byte_range
        assert before == data[:start].count(b"\n")


@pytest.fixture(scope="module")
def concatenated(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rotated logs concatenated into one plain file: three hours of conn, then one of dns
    (other fields: the columns unify by name)."""
    hours = sorted((corpus / "rita").glob("*missing_host__2024-04-19__conn.0*.log.gz"))[:3]
    dns = sorted((corpus / "rita").glob("*missing_host__2024-04-19__dns.0*.log.gz"))[:1]
    path = tmp_path_factory.mktemp("concatenated") / "conn-and-dns.log"
    path.write_bytes(b"".join(gzip.decompress(p.read_bytes()) for p in [*hours, *dns]))
    return path


def test_a_file_with_several_header_blocks_stays_one_partition(
    client: Any, concatenated: Path, corpus: Path
) -> None:
    assert concatenated.read_bytes().count(b"\n#fields") == 4
    plan = zd.plan_partitions([str(concatenated)], 4096)
    assert plan.partitions == [zd.Partition((str(concatenated),))]
    gz = corpus / "zat/data__http.log.gz"
    assert zd.plan_partitions([str(gz)], 64).partitions == [zd.Partition((str(gz),))]
    expected = zf.read_zeek(concatenated, output="pandas")
    assert {"conn_state", "query"} <= set(expected.columns)
    assert_same(zd.read_zeek(concatenated, blocksize=100_000), expected)
    # Read whole, the file is planned from its first block unless every block is asked for.
    assert_same(zd.read_zeek(concatenated, blocksize=None, every_block=True), expected)
    first_block = zd.read_zeek(concatenated, blocksize=None)
    assert "query" not in first_block.columns
    with pytest.raises(zf.ZeekError, match=r"later header block has columns \[.*'query'"):
        first_block.compute()
    # With a projection the later columns are not asked for, as in a local read.
    projected = ["uid", "id.orig_h"]
    assert_same(zd.read_zeek(concatenated, blocksize=None, columns=projected), expected[projected])


def test_small_plain_files_share_partitions_up_to_blocksize(
    client: Any, tmp_path: Path, corpus: Path
) -> None:
    hours = sorted((corpus / "rita").glob("*missing_host__2024-04-19__conn.0*.log.gz"))[:6]
    paths = []
    for i, hour in enumerate(hours):
        if i == 3:  # a compressed file is a partition of its own, and ends a group
            paths.append(str(hour))
            continue
        plain = tmp_path / f"{i}-{hour.name.removesuffix('.gz')}"
        plain.write_bytes(gzip.decompress(hour.read_bytes()))
        paths.append(str(plain))
    sizes = [Path(p).stat().st_size for p in paths]
    blocksize = sizes[0] + sizes[1] + 1
    assert sizes[0] + sizes[1] + sizes[2] > blocksize
    parts = zd.plan_partitions(paths, blocksize).partitions
    groups = [list(p.paths) for p in parts]
    assert [p for group in groups for p in group] == paths
    assert groups[:3] == [paths[:2], [paths[2]], [paths[3]]]
    # After the compressed file, a new group: as many as fit.
    fit = 6 if sizes[4] + sizes[5] <= blocksize else 5
    assert groups[3:] == [paths[4:fit], *([[p] for p in paths[fit:]])]
    expected = zf.read_zeek(paths, output="pandas", include_file_paths="file")
    assert_same(zd.read_zeek(paths, blocksize=blocksize, include_file_paths="file"), expected)


def test_files_read_whole_are_not_scanned_at_planning(
    monkeypatch: pytest.MonkeyPatch, corpus: Path
) -> None:
    scanned: list[tuple[str, int, int]] = []
    scan_range = _core.scan_range

    def recording(path: str, start: int, end: int) -> Any:
        scanned.append((path, start, end))
        return scan_range(path, start, end)

    monkeypatch.setattr(_core, "scan_range", recording)
    path = str(corpus / "secrepo-maccdc2012/conn_sample.log")
    size = Path(path).stat().st_size
    with dask.config.set(scheduler="sync"):
        assert zd.plan_partitions([path], size).partitions == [zd.Partition((path,))]
        assert scanned == []
        zd.plan_partitions([path], size, every_block=True)
        assert len(scanned) == 1
        assert len(zd.plan_partitions([path], size // 2 + 1).partitions) == 2
        assert len(scanned) == 3


def test_sampling_keeps_the_rows_a_local_read_keeps(client: Any, corpus: Path) -> None:
    path = corpus / "secrepo-maccdc2012/conn_sample.log"
    local = zf.read_zeek(path, log_type="conn", sample=0.1, seed=42, output="pandas")
    for blocksize in (100_000, 1_000_000):
        frame = zd.read_zeek(path, log_type="conn", sample=0.1, seed=42, blocksize=blocksize)
        assert frame.npartitions > 1
        got = frame.compute().reset_index(drop=True)
        assert got["uid"].tolist() == local["uid"].tolist()
    assert 0.08 * 22_694 < len(local) < 0.12 * 22_694


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_blocksize_and_predicate_give_the_local_rows(
    client: Any, corpus: Path, data: Any
) -> None:
    path = corpus / "zat/data__conn.log"
    base = zf.read_zeek(path)
    predicate = data.draw(predicates(base))
    columns = data.draw(st.lists(st.sampled_from(base.columns), min_size=1, unique=True))
    size = Path(path).stat().st_size
    blocksize = data.draw(st.integers(size // 25, size + 10))
    sample = data.draw(st.sampled_from([None, 0.5]))
    expected = zf.read_zeek(
        path, columns=columns, filter=predicate, sample=sample, seed=3, output="pandas"
    )
    frame = zd.read_zeek(
        path, columns=columns, filter=predicate, sample=sample, seed=3, blocksize=blocksize
    )
    assert_same(frame, expected)


def test_filters_mean_what_read_parquet_filters_mean(client: Any, corpus: Path) -> None:
    path = corpus / "zat/data__conn.log"
    local = zf.read_zeek(path)
    cases: list[tuple[Any, pl.Expr]] = [
        ([("id.resp_p", "not in", [80, 8080])], ~pl.col("id.resp_p").is_in([80, 8080])),
        (
            [("proto", "==", "udp"), ("orig_bytes", ">", 100)],
            (pl.col("proto") == "udp") & (pl.col("orig_bytes") > 100),
        ),
        (
            [[("service", "is", None)], [("duration", "is not", None), ("id.resp_p", "<=", 53)]],
            pl.col("service").is_null()
            | (pl.col("duration").is_not_null() & (pl.col("id.resp_p") <= 53)),
        ),
        ([("service", "!=", "dns")], pl.col("service") != "dns"),
    ]
    for filters, expr in cases:
        expected = local.filter(expr)
        assert 0 < expected.height < local.height
        got = zd.read_zeek(path, filters=filters, blocksize=5000).compute()
        assert got["uid"].tolist() == expected["uid"].to_list()


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ([("a", "~", 1)], ValueError),
        ([("a", "==", None)], ValueError),
        ([("a", "in", "abc")], TypeError),
        ([("a", "is", 3)], ValueError),
        ([("a", "==", 1), [("b", "==", 2)]], TypeError),
        ([], TypeError),
        ([[]], ValueError),
        (("a", "==", 1), TypeError),
    ],
)
def test_bad_filters_are_refused_before_anything_runs(filters: Any, error: type) -> None:
    with pytest.raises(error):
        zd.filters_to_expr(filters)


def test_projection_reaches_the_parser(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    read_tsv = _core.read_tsv

    def recording(paths: list[str], **options: Any) -> Any:
        asked.append(options["columns"])
        return read_tsv(paths, **options)

    monkeypatch.setattr(_core, "read_tsv", recording)
    path = corpus / "zat/data__conn.log"
    frame = zd.read_zeek(path, blocksize=10_000)
    with dask.config.set(scheduler="sync"):
        got = frame[["ts", "id.resp_p"]].compute()
        counted = frame["uid"].count().compute()
    assert asked
    assert all(columns in (["ts", "id.resp_p"], ["uid"]) for columns in asked)
    assert len(got) == counted == zf.read_zeek(path).height


def test_a_bad_line_raises_on_the_client_with_its_line(
    client: Any, tmp_path: Path, corpus: Path
) -> None:
    lines = (corpus / "zat/data__conn.log").read_text().splitlines(keepends=True)
    first_data = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    bad_at = first_data + 150
    lines.insert(bad_at, "this is not a conn row\n")
    path = tmp_path / "bad.log"
    path.write_text("".join(lines))
    with pytest.raises(zf.ZeekParseError) as local:
        zf.read_zeek(path)
    assert local.value.line == bad_at + 1
    with pytest.raises(zf.ZeekParseError) as remote:
        zd.read_zeek(path, blocksize=3000).compute()
    assert (remote.value.path, remote.value.line) == (local.value.path, local.value.line)
    with pytest.warns(zf.ZeekSkippedLinesWarning) as warned:
        skipped = zd.read_zeek(path, blocksize=3000, on_bad_line="skip").compute()
    assert len(skipped) == len(lines) - first_data - 2  # the bad line and #close left out
    # The worker's warning reaches the client, with its count and line.
    (warning,) = {str(w.message): w.message for w in warned}.values()
    assert isinstance(warning, zf.ZeekSkippedLinesWarning)
    assert warning.count == 1
    assert warning.lines[0][1] == bad_at + 1


def test_skipped_and_unterminated_lines_reach_the_client_as_one_warning(
    client: Any, tmp_path: Path, corpus: Path
) -> None:
    lines = (corpus / "zat/data__conn.log").read_text().splitlines(keepends=True)
    first_data = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    for at in (first_data + 300, first_data + 150, first_data + 5):  # far apart: 3 ranges
        lines.insert(at, f"bad row {at}\n")
    data = "".join(line for line in lines if not line.startswith("#close"))
    paths = [tmp_path / "a.log", tmp_path / "b.log"]
    for path in paths:
        path.write_text(data.rstrip("\n"))  # no line end after the last line
    local_skipped, local_unterminated = _warnings_of(
        lambda: zf.read_zeek(paths, on_bad_line="skip")
    )
    frame = zd.read_zeek(paths, blocksize=3000, on_bad_line="skip")
    assert frame.npartitions > 6
    skipped, unterminated = _warnings_of(frame.compute)
    assert skipped.count == local_skipped.count == 6
    assert skipped.lines == local_skipped.lines  # both files' bad lines, in file order
    assert [line for _, line, _ in skipped.lines] == [
        first_data + 6,
        first_data + 152,
        first_data + 303,
    ] * 2
    assert unterminated.lines == local_unterminated.lines
    assert [path for path, _ in unterminated.lines] == [str(p) for p in paths]
    # A result that needs only some partitions has only their lines.
    head, _ = _warnings_of(lambda: frame.partitions[0].compute(), unterminated=False)
    assert (head.count, head.lines[0][1]) == (1, first_data + 6)


def _warnings_of(run: Any, *, unterminated: bool = True) -> tuple[Any, Any]:
    """The one skipped-lines warning and the one unterminated-lines warning ``run`` gives."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        run()
    skipped = [w.message for w in warned if isinstance(w.message, zf.ZeekSkippedLinesWarning)]
    incomplete = [w.message for w in warned if isinstance(w.message, zf.ZeekIncompleteLineWarning)]
    assert len(skipped) == 1, [str(w) for w in skipped]
    assert len(incomplete) == int(unterminated), [str(w) for w in incomplete]
    return skipped[0], incomplete[0] if incomplete else None


def test_n_rows_reads_the_head_in_order(client: Any, corpus: Path) -> None:
    pattern = str(corpus / "rita/*missing_host__2024-04-19__conn.*.log.gz")
    expected = zf.read_zeek(pattern, n_rows=1000, output="pandas")
    frame = zd.read_zeek(pattern, n_rows=1000)
    assert frame.npartitions == 1
    assert_same(frame, expected)


def test_unknown_columns_and_options_fail_at_planning(corpus: Path) -> None:
    path = corpus / "zat/data__conn.log"
    with pytest.raises(zf.ZeekError, match="not in the log"):
        zd.read_zeek(path, columns=["ts", "nope"])
    with pytest.raises(ValueError, match="blocksize"):
        zd.read_zeek(path, blocksize="lots")
    with pytest.raises(ValueError, match="sample"):
        zd.read_zeek(path, sample=2.0)
    assert zd.read_zeek(path, blocksize="4KiB").npartitions == 12


def test_the_core_does_not_import_dask() -> None:
    code = "import sys, zeekframe; assert not {'dask', 'distributed'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from zeekframe.datasets import demo

    logs = demo(tmp_path_factory.mktemp("demo"), scale=0.002)
    return logs.conn, logs.http


def test_the_report_analyses_take_dask_frames(client: Any, demo_logs: tuple[Path, Path]) -> None:
    from polars.testing import assert_frame_equal

    from zeekframe import report

    conn_path, http_path = demo_logs
    conn = zf.read_zeek(conn_path, sample=0.5, seed=9)
    conn_dask = zd.read_zeek(conn_path, sample=0.5, seed=9, blocksize=400_000)
    assert conn_dask.npartitions > 3
    counts = report.conn_port_counts(conn)
    assert counts.height > 10
    assert_frame_equal(report.conn_port_counts(conn_dask), counts)
    # A frame read_zeek made is reduced straight from the parser's columns; a changed one (a
    # filter, some of its partitions) through Dask's pandas partitions: the same counts.
    assert zd.zeek_read(conn_dask) is not None
    assert zd.zeek_read(zd.read_zeek(conn_path, columns=["id.resp_p"])) is not None
    changed = conn_dask[conn_dask["id.resp_p"] >= 0]
    assert zd.zeek_read(changed) is None
    assert zd.zeek_read(conn_dask.partitions[:2]) is None
    assert_frame_equal(report.conn_port_counts(changed), counts)
    head = pl.concat([pl.from_pandas(conn_dask.partitions[i].compute()) for i in range(2)])
    assert_frame_equal(
        report.conn_port_counts(conn_dask.partitions[:2]), report.conn_port_counts(head)
    )
    by_period = report.counts_by_period(conn, every="1mo")
    assert_frame_equal(report.counts_by_period(conn_dask, every="1mo"), by_period)

    http = zf.read_zeek(http_path)
    for http_dask in (
        zd.read_zeek(http_path, blocksize=50_000),
        zd.read_zeek(http_path, blocksize=50_000, rename="underscore"),
    ):
        odd = report.http_nonstandard_ports(http)
        assert odd.height > 10
        assert_frame_equal(report.http_nonstandard_ports(http_dask), odd)
        hits = report.mime_type_hits(http)
        assert hits.height > 10
        assert_frame_equal(report.mime_type_hits(http_dask), hits)
    classified = zd.read_zeek(
        http_path, blocksize=50_000, mime_categories=zf.REPORT_MIME_CATEGORIES
    )
    assert zd.zeek_read(classified) is not None
    assert_frame_equal(report.mime_type_hits(classified), hits)
    assert_frame_equal(report.mime_type_hits(classified[classified["id.resp_p"] >= 0]), hits)


def test_the_report_runs_on_dask(client: Any, demo_logs: tuple[Path, Path], tmp_path: Path) -> None:
    from zeekframe.report import write_report

    conn, http = demo_logs
    local = write_report(conn, http, tmp_path / "local")
    on_dask = write_report(conn, http, tmp_path / "dask", dask=True)
    assert [p.name for p in on_dask.figures] == [p.name for p in local.figures]
    assert all(p.is_dir() for p in on_dask.parquet)
    for local_parquet, dask_parquet in zip(local.parquet, on_dask.parquet):
        expected = pl.read_parquet(local_parquet)
        got = pl.read_parquet(dask_parquet / "*.parquet")
        assert got.height == expected.height
        assert got.get_column("ts").to_list() == expected.get_column("ts").to_list()

    def tables(html: str) -> list[str]:
        return html.split("<h2>Timings</h2>")[0].split("<pre>")[1:]

    local_html = local.html.read_text()
    dask_html = on_dask.html.read_text()
    assert tables(dask_html) == tables(local_html)


def test_the_command_line_report_runs_on_a_local_cluster(
    demo_logs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zeekframe.cli import main

    conn, http = demo_logs
    args = ["report", "--conn", str(conn), "--http", str(http), "--out", str(tmp_path)]
    assert main([*args, "--workers", "2"]) == 0
    assert "on Dask" in capsys.readouterr().out
    assert (tmp_path / "report.html").exists()
    assert (tmp_path / "http.parquet").is_dir()
    with pytest.raises(SystemExit):
        main([*args, "--workers", "2", "--dask", "tcp://127.0.0.1:1"])


class _Task:
    def __init__(self, key: Any, wanted_by: tuple[str, ...] = ()) -> None:
        self.key = key
        self.who_wants = {_Client(c) for c in wanted_by}
        self.dependents: set[_Task] = set()


class _Client:
    def __init__(self, client_key: str) -> None:
        self.client_key = client_key


class _Scheduler:
    """What the warning plugin uses of a scheduler: tasks, clients, send_all."""

    def __init__(self, tasks: list[_Task], clients: tuple[str, ...]) -> None:
        self.tasks = {t.key: t for t in tasks}
        self.clients = dict.fromkeys(clients)
        self.sent: list[tuple[str, Any]] = []

    def send_all(self, client_msgs: dict[str, list[Any]], worker_msgs: dict[str, Any]) -> None:
        assert worker_msgs == {}
        for client, messages in client_msgs.items():
            for message in messages:
                assert (message["op"], message["topic"]) == ("event", "warn")
                body = message["event"][1]
                warning = pickle.loads(body["message"])
                assert pickle.loads(body["category"]) is type(warning)
                self.sent.append((client, warning))


def _event(key: Any, warning: Warning) -> dict[str, bytes]:
    return {"key": pickle.dumps(key), "warning": pickle.dumps(warning)}


def test_the_warning_plugin_gathers_per_result_in_partition_order() -> None:
    from zeekframe import _dask_warnings as gathered
    from zeekframe.io import skipped_warning, unterminated_warning

    parts = [_Task(("read-zeek-x", i)) for i in range(3)]
    total = _Task("sum-x", wanted_by=("alice",))
    other = _Task("other", wanted_by=("bob",))
    for part in parts:
        part.dependents.add(total)
    parts[2].dependents.add(other)
    scheduler = _Scheduler([*parts, total, other], ("alice", "bob"))
    plugin = gathered.GatheredWarnings(scheduler)
    line = lambda n: ("a.log", n, f"line {n}: bad")  # noqa: E731
    # Partitions report out of order; partition 2 twice (run again on another worker).
    plugin.log_event(gathered.TOPIC, _event(parts[2].key, skipped_warning(2, [line(30), line(31)])))
    plugin.log_event(gathered.TOPIC, _event(parts[0].key, skipped_warning(1, [line(5)])))
    plugin.log_event(gathered.TOPIC, _event(parts[2].key, skipped_warning(2, [line(30), line(31)])))
    plugin.log_event(gathered.TOPIC, _event(parts[1].key, unterminated_warning([("a.log", 20)])))
    plugin.log_event("some-other-topic", {"not": "ours"})
    assert scheduler.sent == []
    for part in parts:
        plugin.transition(part.key, "processing", "memory", stimulus_id="s")
    assert scheduler.sent == []  # the partitions are not what a client waits for
    plugin.transition(total.key, "processing", "memory", stimulus_id="s")
    kinds = {type(w): (client, w) for client, w in scheduler.sent}
    assert len(scheduler.sent) == 2
    client, skipped = kinds[zf.ZeekSkippedLinesWarning]
    assert client == "alice"
    assert skipped.count == 3
    assert [n for _, n, _ in skipped.lines] == [5, 30, 31]
    assert "skipped 3 bad line(s): line 5: bad; line 30: bad; line 31: bad" in str(skipped)
    assert kinds[zf.ZeekIncompleteLineWarning][1].lines == [("a.log", 20)]
    # Said once: the same result in memory again says nothing more.
    plugin.transition(total.key, "released", "memory", stimulus_id="s")
    assert len(scheduler.sent) == 2
    # The other result depends on partition 2 only; it fails, and still has its warning.
    plugin.transition(other.key, "processing", "erred", stimulus_id="s")
    assert [(c, w.count) for c, w in scheduler.sent[2:]] == [("bob", 2)]
    assert plugin.pending == {}


def test_the_warning_plugin_drops_forgotten_results_and_says_orphans_at_once() -> None:
    from zeekframe import _dask_warnings as gathered
    from zeekframe.io import skipped_warning

    part = _Task(("read-zeek-y", 0))
    result = _Task("result", wanted_by=("alice",))
    part.dependents.add(result)
    scheduler = _Scheduler([part, result], ("alice", "bob"))
    plugin = gathered.GatheredWarnings(scheduler)
    plugin.log_event(gathered.TOPIC, _event(part.key, skipped_warning(1, [])))
    plugin.transition(result.key, "processing", "forgotten", stimulus_id="s")
    assert plugin.pending == {}
    assert scheduler.sent == []
    # A task nobody waits for (or the scheduler no longer knows): every client is told now.
    plugin.log_event(gathered.TOPIC, _event(("read-zeek-y", 9), skipped_warning(4, [])))
    assert sorted((c, w.count) for c, w in scheduler.sent) == [("alice", 4), ("bob", 4)]


def test_merge_keeps_as_many_lines_as_a_read_names() -> None:
    from zeekframe import _dask_warnings as gathered
    from zeekframe.io import skipped_warning

    limit = _core.MAX_REPORTED_LINES
    parts = [
        skipped_warning(limit, [("f", i * 100 + n, "bad") for n in range(limit)]) for i in range(3)
    ]
    other = UserWarning("not a read's")
    merged = gathered.merge([parts[0], other, parts[1], parts[2]])
    assert merged[0] is other
    (skipped,) = merged[1:]
    assert isinstance(skipped, zf.ZeekSkippedLinesWarning)
    assert skipped.count == 3 * limit
    assert [line for _, line, _ in skipped.lines] == list(range(limit))
    assert str(skipped).endswith(f"(and {3 * limit - 3} more)")
