"""The demo logs: deterministic, readable, and shaped like the report's data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import report
from zeekframe.cli import main
from zeekframe.datasets import FULL_CONN_ROWS, FULL_HTTP_ROWS, demo, report_logs

SCALE = 0.002


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_is_a_pure_function_of_scale_and_seed(tmp_path: Path) -> None:
    first = demo(tmp_path / "a", scale=SCALE, seed=1)
    again = demo(tmp_path / "b", scale=SCALE, seed=1)
    other = demo(tmp_path / "c", scale=SCALE, seed=2)
    assert digest(first.conn) == digest(again.conn)
    assert digest(first.http) == digest(again.http)
    assert digest(first.conn) != digest(other.conn)


def test_demo_logs_read_back_with_the_report_shape(tmp_path: Path) -> None:
    logs = demo(tmp_path, scale=SCALE)
    conn = zf.read_zeek(logs.conn)
    http = zf.read_zeek(logs.http, mime_categories=zf.REPORT_MIME_CATEGORIES)
    assert conn.height == round(FULL_CONN_ROWS * SCALE)
    assert http.height == round(FULL_HTTP_ROWS * SCALE)
    assert conn.width == 22
    assert http.width == 28
    assert conn["ts"].is_sorted()
    assert http["ts"].is_sorted()
    # The report's five heavy hitters lead the port counts (their order is the report's at
    # full scale; in a small sample neighbours can swap).
    top = report.conn_port_counts(conn).head(5)
    assert {r[:2] for r in top.rows()} == {
        ("192.168.204.45", 443),
        ("2001:dbb:c18:202:20c:29ff:fe18:b667", 445),
        ("192.168.202.110", 443),
        ("192.168.202.140", 443),
        ("192.168.202.108", 443),
    }
    # A few percent of HTTP goes to odd ports; victims are 192.168.N.10.
    odd = report.http_nonstandard_ports(http)
    assert 0.01 < odd.height / http.height < 0.1
    assert http["id.orig_h"].str.ends_with(".10").all()
    assert set(http["mime_category"].drop_nulls().cast(pl.String)) == {"exploit", "executable"}
    assert http["ts"].min().year == 2011  # type: ignore[union-attr]
    assert http["ts"].max().year == 2014  # type: ignore[union-attr]


def test_cli_demo_and_schema(tmp_path: Path, capsys: object) -> None:
    assert main(["demo", str(tmp_path), "--scale", "0.0005", "--seed", "3"]) == 0
    assert (tmp_path / "conn.log").exists()
    assert main(["schema", str(tmp_path / "http.log")]) == 0
    assert main(["schema", str(tmp_path / "absent.log")]) == 1


def test_json_demo_logs_are_the_twins_of_the_tsv_ones(tmp_path: Path) -> None:
    tsv = demo(tmp_path / "tsv", scale=SCALE, seed=3)
    json = demo(tmp_path / "json", scale=SCALE, seed=3, format="json")
    assert (json.conn.name, json.http.name) == ("conn.json", "http.json")
    assert json.conn.read_bytes().startswith(b'{"_path":"conn","ts":')
    for tsv_log, json_log in ((tsv.conn, json.conn), (tsv.http, json.http)):
        expected = zf.read_zeek(tsv_log)
        from_json = zf.read_zeek(json_log)
        assert set(from_json.columns) - set(expected.columns) == {"_path"}
        # A field no schema knows and no line sets (conn's threat and sample) cannot show up
        # in JSON, whose writer leaves unset fields out.
        absent = [c for c in expected.columns if c not in from_json.columns]
        assert all(expected[c].null_count() == expected.height for c in absent)
        assert_frame_equal(from_json.select(expected.drop(absent).columns), expected.drop(absent))
    with pytest.raises(ValueError, match="format='xml'"):
        demo(tmp_path / "x", format="xml")  # type: ignore[arg-type]


def test_report_logs_are_the_real_ones_when_zeek_logs_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "conn_sample.log").write_text("x")
    monkeypatch.setenv("ZEEK_LOGS", str(real))
    with pytest.raises(FileNotFoundError, match="no http log"):
        report_logs()
    (real / "http_prefix_truncated.log").write_text("y")
    logs = report_logs(tmp_path / "unused")
    assert (logs.conn.name, logs.http.name) == ("conn_sample.log", "http_prefix_truncated.log")
    assert not (tmp_path / "unused").exists()
    monkeypatch.delenv("ZEEK_LOGS")
    monkeypatch.setenv("ZEEKFRAME_DEMO_SCALE", "0.0001")
    demo_logs = report_logs(tmp_path / "demo")
    assert zf.read_zeek(demo_logs.conn).height == round(FULL_CONN_ROWS * 0.0001)
    assert zf.read_zeek(demo_logs.http).height == round(FULL_HTTP_ROWS * 0.0001)
