"""``join_by_uid``: one row per connection, each other log's rows as a list, checked against
counts made row by row in Python."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf

RITA = "rita/test_data__missing_host__2024-04-19__"
ZED = "zed-sample-data-6.2.0/zeek-default__"
BTEST = "zeek/testing__btest__Baseline__"


def read_without_ts(path: Path) -> pl.DataFrame:
    """Zeek's btest baselines hide every ts as XXXXXXXXXX.XXXXXX: read the other columns."""
    schema = zf.read_zeek_schema(path)
    return zf.read_zeek(path, columns=[c for c in schema.fields if c != "ts"])


def uid_counts(frame: pl.DataFrame) -> Counter[str]:
    """How many rows of a log name each uid, counted in Python."""
    if "uid" in frame.columns:
        return Counter(u for u in frame["uid"].to_list() if u is not None)
    return Counter(u for uids in frame["conn_uids"].to_list() for u in (uids or []))


def test_values_order_and_naming() -> None:
    conn = pl.DataFrame({"uid": ["C1", "C2", None, "C3"], "id.resp_p": [80, 443, 53, 80]})
    http = pl.DataFrame(
        {"uid": ["C3", "C1", "C1"], "method": ["GET", "GET", "POST"], "uri": ["/a", "/", "/x"],
         "status_code": [200, 404, 302], "host": ["a", "b", "c"]}
    )  # fmt: skip
    old_files = pl.DataFrame(
        {"fuid": ["F1", "F2"], "conn_uids": [["C1", "C3"], None], "mime_type": ["text/html", "x"],
         "tx_hosts": [["1.2.3.4"], []]}
    )  # fmt: skip
    joined = zf.join_by_uid(conn, http, old_files)
    assert joined.columns == ["uid", "id.resp_p", "http", "files"]
    assert joined["uid"].to_list() == ["C1", "C2", None, "C3"]
    assert joined["http"].to_list() == [
        [{"method": "GET", "uri": "/", "status_code": 404, "host": "b"},
         {"method": "POST", "uri": "/x", "status_code": 302, "host": "c"}],
        [], [],
        [{"method": "GET", "uri": "/a", "status_code": 200, "host": "a"}],
    ]  # fmt: skip
    fuids = [[f["fuid"] for f in files] for files in joined["files"].to_list()]
    assert fuids == [["F1"], [], [], ["F1"]]
    assert joined["files"].to_list()[0][0]["conn_uids"] == ["C1", "C3"]
    # By keyword, twice the same log type, inner, lazy.
    twice = zf.join_by_uid(conn, http, http, mine=old_files, how="inner")
    assert twice.columns == ["uid", "id.resp_p", "http", "http_2", "mine"]
    assert twice["uid"].to_list() == ["C1", "C3"]
    lazy = zf.join_by_uid(conn.lazy(), http.lazy(), old_files)
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), joined)


def test_clear_errors() -> None:
    conn = pl.DataFrame({"uid": ["C1"]})
    with pytest.raises(ValueError, match="cannot tell which log"):
        zf.join_by_uid(conn, pl.DataFrame({"uid": ["C1"], "a": [1]}))
    with pytest.raises(ValueError, match="neither a uid nor a conn_uids"):
        zf.join_by_uid(conn, other=pl.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="conn has no uid"):
        zf.join_by_uid(pl.DataFrame({"x": [1]}), other=conn)
    with pytest.raises(ValueError, match="how="):
        zf.join_by_uid(conn, how="outer")  # type: ignore[arg-type]


def check(joined: pl.DataFrame, base: pl.DataFrame, logs: dict[str, pl.DataFrame]) -> None:
    """Every connection's list holds as many rows as the log has for its uid, and the
    rows' values in the log's order."""
    assert joined.height == base.height
    assert joined["uid"].to_list() == base["uid"].to_list()
    for name, log in logs.items():
        counts = uid_counts(log)
        lengths = joined[name].list.len().to_list()
        assert lengths == [counts.get(u, 0) for u in base["uid"].to_list()], name
        assert sum(lengths) == sum(counts[u] for u in set(base["uid"].to_list()) if u), name
        # The first connection with rows: its structs are the log's rows, in order.
        at = next((i for i, n in enumerate(lengths) if n), None)
        if at is not None:
            uid = base["uid"][at]
            key = (
                pl.col("uid") == uid
                if "uid" in log.columns
                else pl.col("conn_uids").list.contains(uid)
            )
            rows = log.filter(key).drop("uid", strict=False).to_dicts()
            assert joined[name][at].to_list() == rows, name


def test_rita_conn_http_files_dns_ssl(corpus: Path) -> None:
    """A day of a real sensor, files.log as before Zeek 5.1 (conn_uids)."""
    logs = {
        n: zf.read_zeek(corpus / f"{RITA}{n}.*.log.gz") for n in ("http", "files", "dns", "ssl")
    }
    conn = zf.read_zeek(corpus / f"{RITA}conn.*.log.gz")
    assert "conn_uids" in logs["files"].columns
    joined = zf.join_by_uid(conn, *logs.values())
    assert joined.columns == [*conn.columns, "http", "files", "dns", "ssl"]
    check(joined, conn, logs)
    assert sum(joined["http"].list.len()) == 9868


def test_zeek_files_log_since_5_1(corpus: Path) -> None:
    """files.log with uid (Zeek 5.1 and later), with conn and http of the same traffic."""
    stem = corpus / f"{BTEST}scripts.base.protocols.http.concurrent-range-requests__"
    conn, http, files = (read_without_ts(Path(f"{stem}{n}.log")) for n in ("conn", "http", "files"))
    assert "uid" in files.columns
    joined = zf.join_by_uid(conn, http, files)
    check(joined, conn, {"http": http, "files": files})
    assert joined["files"].list.len().to_list() == [1, 1, 1]


def test_zeek_6_2_sample(corpus: Path) -> None:
    """The Zeek 6.2 sample has no conn.log: follow its ssl connections to the logs that name
    them (weird, dpd, analyzer, notice)."""
    base = zf.read_zeek(corpus / f"{ZED}ssl.log.gz")
    logs = {}
    for name in ("weird", "dpd", "analyzer", "notice"):
        path = corpus / f"{ZED}{name}.log.gz"
        logs[name] = zf.read_zeek(path)
    joined = zf.join_by_uid(base, *logs.values())
    assert joined.columns == [*base.columns, *logs]
    check(joined, base, logs)
    assert sum(sum(joined[n].list.len()) for n in logs) > 0
