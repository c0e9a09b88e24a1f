"""The Python surface: arguments, outputs, warnings and exceptions, on small logs made here."""

from __future__ import annotations

import gzip
import os
import pickle
import threading
from pathlib import Path

import polars as pl
import pytest

import zeekframe as zf

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tduration\torig_bytes\tlocal_orig\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\tenum\tinterval\tcount\tbool\tset[string]\n"
)
ROWS = [
    "1331901000.000129\tCa\t192.168.202.79\t80\ttcp\t0.010000\t182\tT\t(empty)\n",
    "1331901001.440000\tCb\t2001:dbb:c18:202:20c:29ff:fe18:b667\t445\tudp\t-\t-\t-\ta,b\\x2cc\n",
    "1331901002.000001\tCc\t10.0.0.1\t8080\ttcp\t-0.500000\t18446744073709551615\tF\t-\n",
]


@pytest.fixture
def conn_log(tmp_path: Path) -> Path:
    path = tmp_path / "conn.log"
    path.write_text(HEADER + "".join(ROWS) + "#close\t2012-03-16-12-30-02\n")
    return path


def test_values_and_types(conn_log: Path) -> None:
    df = zf.read_zeek(conn_log)
    expected: dict[str, pl.DataType] = {
        "ts": pl.Datetime("us", "UTC"),
        "uid": pl.String(),
        "id.orig_h": pl.String(),
        "id.resp_p": pl.UInt16(),
        "proto": pl.Categorical(),
        "duration": pl.Duration("us"),
        "orig_bytes": pl.UInt64(),
        "local_orig": pl.Boolean(),
        "tunnel_parents": pl.List(pl.String),
    }
    assert df.schema == pl.Schema(expected)
    assert df["ts"].dt.epoch("us").to_list() == [
        1331901000000129,
        1331901001440000,
        1331901002000001,
    ]
    assert df["duration"].dt.total_microseconds().to_list() == [10000, None, -500000]
    assert df["orig_bytes"].to_list() == [182, None, 2**64 - 1]
    assert df["local_orig"].to_list() == [True, None, False]
    assert df["tunnel_parents"].to_list() == [[], ["a", "b,c"], None]
    assert df["proto"].cast(pl.String).to_list() == ["tcp", "udp", "tcp"]


def test_pandas_output_keeps_exact_types(conn_log: Path) -> None:
    pdf = zf.read_zeek(conn_log, output="pandas")
    assert str(pdf["orig_bytes"].dtype) == "uint64[pyarrow]"
    assert pdf["orig_bytes"].isna().tolist() == [False, True, False]
    assert int(pdf["orig_bytes"].iloc[2]) == 2**64 - 1
    assert str(pdf["ts"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(pdf["proto"].dtype) == "category"
    assert pdf["tunnel_parents"].iloc[1] == ["a", "b,c"]


def test_arrow_output(conn_log: Path) -> None:
    import pyarrow as pa

    table = zf.read_zeek(conn_log, output="arrow")
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("orig_bytes").type == pa.uint64()
    assert table.num_rows == 3


def test_columns_rename_and_n_rows(conn_log: Path) -> None:
    df = zf.read_zeek(conn_log, columns=["id.resp_p", "ts"], rename="underscore", n_rows=2)
    assert df.columns == ["id_resp_p", "ts"]
    assert df["id_resp_p"].to_list() == [80, 445]
    both = zf.read_zeek(conn_log, columns=["id_orig_h"], rename="underscore")
    assert both.columns == ["id_orig_h"]


def test_gzip_by_content_not_name(conn_log: Path, tmp_path: Path) -> None:
    packed = tmp_path / "conn.log.unknown"
    packed.write_bytes(gzip.compress(conn_log.read_bytes()))
    assert zf.read_zeek(packed).equals(zf.read_zeek(conn_log))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
@pytest.mark.parametrize("packing", ["plain", "gzip"])
def test_logs_read_from_a_pipe(conn_log: Path, tmp_path: Path, packing: str) -> None:
    # A pipe cannot go back after its first bytes are looked at to tell the compression.
    content = conn_log.read_bytes()
    if packing == "gzip":
        content = gzip.compress(content)
    fifo = tmp_path / "conn.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(content,))
    writer.start()
    try:
        frame = zf.read_zeek(fifo)
    finally:
        writer.join()
    assert frame.equals(zf.read_zeek(conn_log))
    assert frame["uid"].to_list() == ["Ca", "Cb", "Cc"]


def test_bad_lines_raise_with_position(conn_log: Path) -> None:
    conn_log.write_text(HEADER + ROWS[0] + ROWS[1].replace("\t445\t", "\tx45\t") + ROWS[2])
    with pytest.raises(zf.ZeekParseError) as caught:
        zf.read_zeek(conn_log)
    error = caught.value
    assert (error.line, error.column, error.value) == (9, 4, "x45")
    assert error.path == str(conn_log)
    assert f"{conn_log}:9:4" in str(error)
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.line, copy.column, copy.value, str(copy)) == (9, 4, "x45", str(error))


def test_skipped_lines_warn_with_count_and_lines(conn_log: Path) -> None:
    conn_log.write_text(HEADER + ROWS[0] + "garbage\n" + ROWS[1] + "more\tgarbage\n" + ROWS[2])
    with pytest.warns(zf.ZeekSkippedLinesWarning) as record:
        df = zf.read_zeek(conn_log, on_bad_line="skip")
    assert df["uid"].to_list() == ["Ca", "Cb", "Cc"]
    warning = record[0].message
    assert isinstance(warning, zf.ZeekSkippedLinesWarning)
    assert warning.count == 2
    assert [line for _, line, _ in warning.lines] == [9, 11]


def test_argument_checks(conn_log: Path) -> None:
    with pytest.raises(ValueError, match="on_bad_line"):
        zf.read_zeek(conn_log, on_bad_line="ignore")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="output"):
        zf.read_zeek(conn_log, output="numpy")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="list of names"):
        zf.read_zeek(conn_log, columns="ts")
    with pytest.raises(ValueError, match="n_threads"):
        zf.read_zeek(conn_log, n_threads=0)
    with pytest.raises(zf.ZeekError, match="not in the log"):
        zf.read_zeek(conn_log, columns=["nope"])
    with pytest.raises(ValueError, match="empty list"):
        zf.read_zeek([])


@pytest.mark.parametrize(
    "setting", ["1M", "-1", "+5", "", "18446744073709551616", "١٢", "of", "0x10"]
)
def test_a_mapping_setting_the_reader_cannot_use_is_an_error(
    conn_log: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv("ZEEKFRAME_MAP_MIN_BYTES", setting)
    with pytest.raises(ValueError, match="ZEEKFRAME_MAP_MIN_BYTES"):
        zf.read_zeek(conn_log)
    with pytest.raises(ValueError, match="ZEEKFRAME_MAP_MIN_BYTES"):
        zf.scan_zeek(conn_log).collect()
    # Each read takes the variable as it is then; a refused value changed nothing.
    from zeekframe import _core

    for usable, in_force in (("0", 0), (" 1048576 ", 1 << 20), ("OFF", None), ("7", 7)):
        monkeypatch.setenv("ZEEKFRAME_MAP_MIN_BYTES", usable)
        assert zf.read_zeek(conn_log).height == 3
        assert _core.map_min_bytes() == in_force
        monkeypatch.setenv("ZEEKFRAME_MAP_MIN_BYTES", setting)
        with pytest.raises(ValueError, match="ZEEKFRAME_MAP_MIN_BYTES"):
            zf.read_zeek(conn_log)
        assert _core.map_min_bytes() == in_force
    monkeypatch.delenv("ZEEKFRAME_MAP_MIN_BYTES")
    assert zf.read_zeek(conn_log).height == 3
    assert _core.map_min_bytes() == 1 << 20


def test_missing_inputs_are_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        zf.read_zeek(tmp_path / "absent.log")
    with pytest.raises(FileNotFoundError, match="no file matches"):
        zf.read_zeek(str(tmp_path / "*.log"))
    with pytest.raises(FileNotFoundError, match="holds no files"):
        zf.read_zeek(tmp_path)


def test_empty_file_is_an_empty_frame(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert zf.read_zeek(empty).shape == (0, 0)


def test_schema_from_the_header_only(conn_log: Path) -> None:
    schema = zf.read_zeek_schema(conn_log)
    assert schema.path == "conn"
    assert schema.fields[:3] == ["ts", "uid", "id.orig_h"]
    assert schema.zeek_types[-1] == "set[string]"
    assert schema.polars_schema["duration"] == pl.Duration("us")
    frame = schema.to_frame()
    assert frame.columns == ["field", "zeek_type", "dtype"]
    assert frame.row(3) == ("id.resp_p", "port", "UInt16")
    assert "tunnel_parents  set[string]" in repr(schema)
    renamed = zf.read_zeek_schema(conn_log, rename="underscore")
    assert renamed.fields[2] == "id_orig_h"
