"""Exact values, checked by hand against the raw bytes of corpus files.

Each expectation quotes the raw field (as ``cat -A`` / ``zcat`` shows it) next to the value a
correct reader must produce, so a failure shows which format rule broke.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import zeekframe as zf

LOGGING = "zeek/testing__btest__Baseline__scripts.base.frameworks.logging."
ZEEK_CUT = "zeek/testing__btest__Files__zeek-cut-logs__"

RawColumn = Callable[[str, str], list[bytes]]


def read(corpus: Path, rel_path: str, **options: Any) -> pl.DataFrame:
    frame = zf.read_zeek(corpus / rel_path, **options)
    assert isinstance(frame, pl.DataFrame)
    return frame


def epoch_us(frame: pl.DataFrame, column: str) -> list[int | None]:
    # Integer microseconds: an exact comparison that a float detour would fail.
    return frame[column].dt.epoch("us").to_list()


def micros(frame: pl.DataFrame, column: str) -> list[int | None]:
    return frame[column].cast(pl.Int64).to_list()


def row(frame: pl.DataFrame, index: int) -> dict[str, Any]:
    return frame.row(index, named=True)


# --------------------------------------------------------------------------------------------
# time and interval: exact decimal parsing
# --------------------------------------------------------------------------------------------


def test_timestamps_exact_to_the_microsecond(corpus: Path) -> None:
    # ascii-timestamps: 1234567890.000000 .. 1234567890.000001, each digit position once.
    frame = read(corpus, LOGGING + "ascii-timestamps__test.log")
    assert frame.schema["data"] == pl.Datetime("us", "UTC")
    assert epoch_us(frame, "data") == [
        1_234_567_890_000_000,
        1_234_567_890_000_000,
        1_234_567_890_010_000,
        1_234_567_890_001_000,
        1_234_567_890_000_100,
        1_234_567_890_000_010,
        1_234_567_890_000_001,
        1_234_567_890_000_000,
        2_385_642_157_000_000,
    ]


def test_exponent_notation_times_and_intervals(corpus: Path) -> None:
    # zed x509 line 41: certificate.not_valid_after "2.385616957e+09"
    x509 = read(corpus, "zed-sample-data-6.2.0/zeek-default__x509.log.gz")
    assert row(x509, 32)["fingerprint"].startswith("f3a9f69bcfc1418563c84de7b04d5e23")
    assert epoch_us(x509, "certificate.not_valid_after")[32] == 2_385_616_957_000_000
    assert epoch_us(x509, "certificate.not_valid_before")[32] == 1_521_703_357_000_000
    # zat dhcp line 9 (old Bro): lease_time "4.294967e+09" (an interval)
    dhcp = read(corpus, "zat/data__dhcp.log")
    assert row(dhcp, 0)["uid"] == "Cm5veU18MVTniYSKAl"
    assert micros(dhcp, "lease_time")[0] == 4_294_967_000_000_000


def test_negative_interval_and_negative_time(corpus: Path) -> None:
    ntp = read(corpus, "zed-sample-data-6.2.0/zeek-default__ntp.log.gz")
    assert ntp.schema["root_disp"] == pl.Duration("us")
    # line 17: uid CLrsrA2BTIJsqdpzz7, root_disp "-0.085938", root_delay "0.142700"
    assert row(ntp, 8)["uid"] == "CLrsrA2BTIJsqdpzz7"
    assert micros(ntp, "root_disp")[8] == -85_938
    assert row(ntp, 8)["root_delay"] == timedelta(microseconds=142_700)
    assert epoch_us(ntp, "ts")[8] == 1_521_911_744_374_565
    # line 11: uid CTGJlE4qEv2nJAT2Zf, precision "4.294967296e+09", ref_time "0.000000",
    # xmt_time "-1418429426.887384" (before 1970: the sign covers the fraction too)
    assert row(ntp, 2)["uid"] == "CTGJlE4qEv2nJAT2Zf"
    assert micros(ntp, "precision")[2] == 4_294_967_296_000_000
    assert epoch_us(ntp, "ref_time")[2] == 0
    assert epoch_us(ntp, "xmt_time")[2] == -1_418_429_426_887_384


def test_zero_time_is_the_epoch_not_null(corpus: Path) -> None:
    # zerotime.log line 9: "0000000000.000000"
    frame = read(corpus, ZEEK_CUT + "zerotime.log")
    assert epoch_us(frame, "ts")[:2] == [0, 1_329_327_786_524_332]


# --------------------------------------------------------------------------------------------
# addresses, containers, escapes
# --------------------------------------------------------------------------------------------


def test_ipv6_and_escaped_comma_in_a_vector(corpus: Path) -> None:
    # brobeat dns.log line 129 (row 120):
    # 1258571328.794569  CteUfL66ZPuPIpdo6  fe80::219:e3ff:fee7:5d23  5353  ff02::fb  5353  udp
    # ... rtt 0.100237 ... answers "TXT 15 model=Xserve1\x2c1,domex.nps.edu._rfb._tcp.local"
    # TTLs "4500.000000,4500.000000"
    frame = read(corpus, "brobeat/data__dns.log")
    values = row(frame, 120)
    assert values["uid"] == "CteUfL66ZPuPIpdo6"
    assert epoch_us(frame, "ts")[120] == 1_258_571_328_794_569
    assert values["id.orig_h"] == "fe80::219:e3ff:fee7:5d23"
    assert values["id.resp_h"] == "ff02::fb"
    assert values["id.resp_p"] == 5353
    assert values["rtt"] == timedelta(microseconds=100_237)
    # \x2c is a comma inside an element; the bare comma separates elements.
    assert values["answers"] == ["TXT 15 model=Xserve1,1", "domex.nps.edu._rfb._tcp.local"]
    assert frame.schema["TTLs"] == pl.List(pl.Duration("us"))
    assert values["TTLs"] == [timedelta(seconds=4500), timedelta(seconds=4500)]


def test_ipv6_addresses_as_written(corpus: Path) -> None:
    # zeek-cut test.log line 9: 2001:470:1f11:81f:c999:d94:aa7c:2e3e  49186  2001:470:4867:99::21
    frame = read(corpus, ZEEK_CUT + "test.log")
    assert frame.schema["id.orig_h"] == pl.String
    assert row(frame, 0)["id.orig_h"] == "2001:470:1f11:81f:c999:d94:aa7c:2e3e"
    assert row(frame, 0)["id.resp_h"] == "2001:470:4867:99::21"
    assert frame["id.orig_p"].to_list() == [49186, 49187, 49188, 55785, 49185, 55647]


def test_set_elements_with_escaped_separator(corpus: Path) -> None:
    # ascii-escape-set-separator: "\x2c,CC,\x2c\x2c,AA" -> 4 elements, in file order
    frame = read(corpus, LOGGING + "ascii-escape-set-separator__test.log")
    assert frame["ss"].to_list() == [[",", "CC", ",,", "AA"]]


def test_multibyte_set_separator_from_the_header(corpus: Path) -> None:
    # #set_separator is "\xc2\xae" (®); the only element is "\xc2\xae" escaped, i.e. "®"
    frame = read(corpus, LOGGING + "ascii-utf8-enabled-set-separator-escape__test.log")
    assert frame["ss"].to_list() == [["®"]]


def test_unset_elements_inside_a_vector(corpus: Path) -> None:
    # vec.zeek sets only v[1] = "2" and v[4] = "5": written "-,2,-,-,5", the holes unset.
    frame = read(corpus, LOGGING + "vec__ssh.log")
    assert frame["vec"].to_list() == [[None, "2", None, None, "5"]]


def test_old_bro_table_types(corpus: Path) -> None:
    # zat files.log line 9: tx_hosts table[addr] "54.245.228.191", rx_hosts "192.168.33.10",
    # conn_uids table[string] "CyIaMO7IheOh38Zsi", analyzers table[string] "MD5,SHA1"
    files = read(corpus, "zat/data__files.log")
    assert files.schema["analyzers"] == pl.List(pl.String)
    assert files.schema["tx_hosts"] == pl.List(pl.String)
    first = row(files, 0)
    assert first["fuid"] == "Fnjq3r4R0VGmHVWiN5"
    assert first["tx_hosts"] == ["54.245.228.191"]
    assert first["rx_hosts"] == ["192.168.33.10"]
    assert first["conn_uids"] == ["CyIaMO7IheOh38Zsi"]
    assert first["analyzers"] == ["MD5", "SHA1"]
    assert first["local_orig"] is None
    assert (first["seen_bytes"], first["total_bytes"]) == (184, 184)
    # zat notice.log: actions table[enum] "Notice::ACTION_LOG" (enum elements are strings)
    notice = read(corpus, "zat/data__notice.log")
    assert notice.schema["actions"] == pl.List(pl.String)
    assert notice.schema["note"] == pl.Categorical
    assert notice["actions"].to_list() == [["Notice::ACTION_LOG"]] * 2
    assert notice["note"].cast(pl.String).to_list() == ["TeamCymruMalwareHashRegistry::Match"] * 2
    assert notice["suppress_for"].to_list() == [timedelta(hours=1)] * 2
    # zat smtp.log: rcptto table[string] "-" is null, not []; path vector[addr]
    smtp = read(corpus, "zat/data__smtp.log")
    assert smtp["rcptto"].to_list() == [None, None, None]
    assert smtp["path"].to_list() == [
        ["65.55.162.200", "192.168.6.10"],
        ["65.55.96.11", "192.168.6.10"],
        ["65.55.162.200", "192.168.6.10"],
    ]


def test_hash_inside_uri_is_data(corpus: Path) -> None:
    # brobeat http.log line 312: the uri ends in "url=http://www.turtlefiji.com/#"
    brobeat = read(corpus, "brobeat/data__http.log")
    assert row(brobeat, 303)["uid"] == "CN5zhC1TObXyJW2AEk"
    assert row(brobeat, 303)["uri"].endswith("&url=http://www.turtlefiji.com/#")
    # rita valid_tsv http.log.gz line 8169: "...&color=#FFFFFF" ends the uri
    rita = read(corpus, "rita/test_data__valid_tsv__http.log.gz")
    assert row(rita, 8160)["uid"] == "C6xLEm4oBYewXbcnt6"
    assert row(rita, 8160)["uri"].endswith("&v=18&noCrop=1&color=#FFFFFF")


def test_escaped_hash_at_line_start_is_a_row(corpus: Path) -> None:
    # ascii-line-like-comment: a row whose first field starts with '#' is written "\x23Kaputt"
    frame = read(corpus, LOGGING + "ascii-line-like-comment__test.log")
    assert frame["data"].to_list() == ["Test1", "#Kaputt", "Test2"]
    assert frame["c"].to_list() == [42, 42, 42]


def test_double_quotes_are_ordinary_bytes(corpus: Path) -> None:
    # rita sip line 9: request_from "\"sipvicious\"<sip:100@1.1.1.1>" (no CSV-style quoting)
    sip = read(corpus, "rita/test_data__missing_host__2024-04-19__sip.01:00:00-02:00:00.log.gz")
    assert sip["request_from"].to_list() == ['"sipvicious"<sip:100@1.1.1.1>']
    assert sip["user_agent"].to_list() == ["friendly-scanner"]
    # rita valid_tsv http line 227: a JSON body in the query string
    http = read(corpus, "rita/test_data__valid_tsv__http.log.gz")
    assert row(http, 218)["uid"] == "CTuy291rostRxDeZD6"
    assert (
        '&r={"id":34554137,"site":{"page":"http://www.businessinsider.com/"}'
        in (row(http, 218)["uri"])
    )


def test_escaped_control_characters_in_a_string(corpus: Path) -> None:
    # ascii-utf8-enabled-control-characters: "foo \x0a\x09\x00 bar" -> newline, tab, NUL
    frame = read(corpus, LOGGING + "ascii-utf8-enabled-control-characters__test.log")
    assert frame["s"].to_list() == ["foo \n\t\x00 bar"]


def test_escaped_utf8_is_decoded(corpus: Path) -> None:
    # brobeat http.log line 211 (old Bro escapes all non-ASCII): "\xe2\x80\x93" is U+2013
    frame = read(corpus, "brobeat/data__http.log")
    assert row(frame, 202)["uid"] == "CYkk9R25GdDrgmiMTj"
    assert (
        "&utmdt=Fiji All-Inclusive Exotic Island Resort \u2013 Turtle Island&"
        in (row(frame, 202)["uri"])
    )


def test_raw_utf8_is_kept(corpus: Path) -> None:
    # ascii-utf8-enabled: Zeek with UTF-8 output writes valid UTF-8 bytes unescaped.
    frame = read(corpus, LOGGING + "ascii-utf8-enabled__test.log")
    assert frame["s"].to_list() == [
        "foo \u00ae bar",
        "\u0926\u0941\u0928\u093f\u092f\u093e \u0915\u094b \u0928\u092e\u0938\u094d\u0924\u0947",
        "hello \U0002070e",
    ]


def test_non_utf8_bytes_keep_their_escape(corpus: Path) -> None:
    # ascii-escape-binary: decoded escapes, except bytes that do not form UTF-8 (\xff), which
    # keep their "\xHH" text. "\\" is one backslash, so row 3 ("AB\\xffCD\x00") reads the same
    # as row 2: the documented cost of returning text rather than bytes.
    frame = read(corpus, LOGGING + "ascii-escape-binary__test.log")
    assert frame["s"].to_list() == [
        "AB\x00CD\x00",  # AB\x00CD\x00
        "AB\\xffCD\x00",  # AB\xffCD\x00
        "AB\\xffCD\x00",  # AB\\xffCD\x00
        " ",
        "abc\\x00def",  # abc\\x00def
        " ",
        "abc\x00def",  # abc\x00def
        " ",
        "foo \u00ae bar \\xc2\\xae baz",  # foo \xc2\xae bar \\xc2\\xae baz
        "foo\x00bar\\0baz",  # foo\x00bar\\0baz
        "foo \x0e bar ^N baz",  # foo \x0e bar ^N baz (a caret and an N, not a control byte)
    ]
    # A real one: rita http line 402, uri "/\xc0" (an overlong-encoding probe)
    rita = read(corpus, "rita/test_data__missing_host__2024-04-19__http.20:00:00-21:00:00.log.gz")
    assert row(rita, 393)["uid"] == "CWkmto3L9tualGsMhf"
    assert row(rita, 393)["uri"] == "/\\xc0"


def test_pipe_separator(corpus: Path) -> None:
    # ascii-binary: "#separator |"; rows "abc\x0a\xffdef|DATA2", "abc\x7c\xffdef|DATA2",
    # "abc\xff\x7cdef|DATA2" (the separator inside a field is \x7c)
    frame = read(corpus, LOGGING + "ascii-binary__ssh.log")
    assert frame.columns == ["data", "data2"]
    assert frame["data"].to_list() == ["abc\n\\xffdef", "abc|\\xffdef", "abc\\xff|def"]
    assert frame["data2"].to_list() == ["DATA2"] * 3


def test_double_pipe_separator_header(corpus: Path) -> None:
    # ascii-escape ssh.log: "#separator ||" and every header line split on "||". Its `t`
    # values are btest's XXXXXXXXXX.XXXXXX, so only the header can be checked by value.
    schema = zf.read_zeek_schema(corpus / (LOGGING + "ascii-escape__ssh.log"))
    assert schema.fields == [
        "t", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "status", "country",
    ]  # fmt: skip
    assert schema.zeek_types == ["time", "addr", "port", "addr", "port", "string", "string"]
    assert schema.path == "ssh"


def test_comma_separator_equal_to_set_separator(corpus: Path) -> None:
    # zeek-cut conncomma.log: "#separator ," and "#set_separator,,"; tunnel_parents "(empty)"
    comma = read(corpus, ZEEK_CUT + "conncomma.log")
    assert row(comma, 0)["uid"] == "CNbXUV0IZ29or3MK6"
    assert epoch_us(comma, "ts")[0] == 1_329_843_175_736_107
    assert comma["tunnel_parents"].to_list() == [[]] * 5
    # The same five connections as the tab-separated conn.log (uids and row order differ).
    tab = read(corpus, ZEEK_CUT + "conn.log")
    assert_frame_equal(comma.drop("uid").sort("ts"), tab.drop("uid").sort("ts"))


# --------------------------------------------------------------------------------------------
# unset vs empty
# --------------------------------------------------------------------------------------------


def test_escaped_markers_are_values(corpus: Path) -> None:
    # ascii-escape-notset-str: "\x2d", "-", "(empty)" -> the string "-", null, ""
    frame = read(corpus, LOGGING + "ascii-escape-notset-str__test.log")
    assert row(frame, 0) == {"x": "-", "y": None, "z": ""}


def test_escaped_empty_marker_in_a_set(corpus: Path) -> None:
    # ascii-escape-empty-str: "#empty_field EMPTY"; the set value "\x45MPTY" is {"EMPTY"}
    frame = read(corpus, LOGGING + "ascii-escape-empty-str__test.log")
    assert frame["ss"].to_list() == [["EMPTY"]]


def test_custom_unset_marker(corpus: Path) -> None:
    # zeek-cut unset-field.log: "#unset_field (unset_test)"; from (a time) and error_msg unset
    frame = read(corpus, ZEEK_CUT + "unset-field.log")
    values = row(frame, 0)
    assert values["error_msg"] is None
    assert values["from"] is None
    assert epoch_us(frame, "till") == [0]
    assert values["client_cert_subject"] is None
    assert (values["success"], values["forwardable"], values["renewable"]) == (True, True, False)


def test_unset_counts_are_null(corpus: Path) -> None:
    # unset-record: "-\t-\t6" then "1\t2\t3"
    frame = read(corpus, LOGGING + "unset-record__testing.log")
    assert frame.schema["a.val1"] == pl.UInt64
    assert frame.to_dict(as_series=False) == {"a.val1": [None, 1], "a.val2": [None, 2], "b": [6, 3]}


@pytest.mark.parametrize(
    ("rel_path", "column", "nulls", "empties"),
    [
        # rita valid_tsv http: status_msg (string) is "-" 24 times and "(empty)" 21 times
        ("rita/test_data__valid_tsv__http.log.gz", "status_msg", 24, 21),
        # zed dns: query (string) is "(empty)" 12 times and "-" twice
        ("zed-sample-data-6.2.0/zeek-default__dns.log.gz", "query", 2, 12),
        # zed ssl: client_cert_chain_fps (vector[string]) is "-" 39,499 times, "(empty)" 9,935
        ("zed-sample-data-6.2.0/zeek-default__ssl.log.gz", "client_cert_chain_fps", 39_499, 9_935),
        # rita proxy_rolling ssl: the same column, 2,178 and 556
        (
            "rita/test_data__proxy_rolling__ssl.16:00:00-17:00:00.log.gz",
            "client_cert_chain_fps",
            2_178,
            556,
        ),
    ],
)
def test_unset_and_empty_counts_match_raw_text(
    corpus: Path, raw_column: RawColumn, rel_path: str, column: str, nulls: int, empties: int
) -> None:
    raw = raw_column(rel_path, column)
    assert (raw.count(b"-"), raw.count(b"(empty)")) == (nulls, empties)  # pinned by hand
    series = read(corpus, rel_path)[column]
    assert series.null_count() == nulls
    if series.dtype == pl.String:
        assert (series == "").sum() == empties
    else:
        assert (series.list.len() == 0).sum() == empties


@pytest.mark.parametrize("column", ["rtt", "rcode", "answers", "TTLs", "qtype"])
def test_null_counts_match_raw_text(corpus: Path, raw_column: RawColumn, column: str) -> None:
    # zed dns (53,615 rows): every typed column's nulls are exactly its "-" fields.
    rel_path = "zed-sample-data-6.2.0/zeek-default__dns.log.gz"
    raw = raw_column(rel_path, column)
    assert read(corpus, rel_path)[column].null_count() == raw.count(b"-")


def test_pinned_dns_null_counts(raw_column: RawColumn) -> None:
    # The raw counts the previous test relies on, looked at once by hand.
    rel_path = "zed-sample-data-6.2.0/zeek-default__dns.log.gz"
    assert raw_column(rel_path, "rtt").count(b"-") == 13_938
    assert raw_column(rel_path, "rcode").count(b"-") == 9_497
    assert raw_column(rel_path, "answers").count(b"-") == 13_933


# --------------------------------------------------------------------------------------------
# doubles
# --------------------------------------------------------------------------------------------


def test_doubles_including_non_finite(corpus: Path) -> None:
    # ascii-double test.log: Zeek's own float formatting, including inf, -inf and nan.
    values = read(corpus, LOGGING + "ascii-double__test.log")["d"].to_list()
    huge = 1.79e308  # written out as a 309-digit integer with ".0"
    expected = [
        2153226000.0, 2153226000.1, 2153226000.123457, 1.0, 1.1, 1.123457, -1.123457, 1.1234,
        0.1234, 50000.0, -50000.0, 3140000000000000.0, -3140000000000000.0, huge, -huge,
        0.000012, 0.0, -0.0, math.inf, -math.inf, 0.0,
    ]  # fmt: skip
    assert values[:-1] == expected
    assert math.copysign(1.0, values[17]) == -1.0  # "-0.0" keeps its sign
    assert math.isnan(values[-1])


# --------------------------------------------------------------------------------------------
# header blocks
# --------------------------------------------------------------------------------------------


def test_nine_header_blocks(corpus: Path) -> None:
    # ssl-log-ext ssl-all.log: 9 blocks (one per pcap, separated by "#file x.pcap" lines),
    # each repeating the same 38 #fields. btest replaced every ts by XXXXXXXXXX.XXXXXX, so all
    # 12 rows are bad: skipping them must leave the unified 38 typed columns and no row.
    path = (
        corpus
        / "zeek/testing__btest__Baseline__scripts.policy.protocols.ssl.ssl-log-ext__ssl-all.log"
    )
    schema = zf.read_zeek_schema(path)
    assert len(schema.fields) == 38
    assert schema.fields[-2:] == ["ech_kdf_id", "ech_aead_id"]
    with pytest.warns(zf.ZeekSkippedLinesWarning) as record:
        frame = zf.read_zeek(path, on_bad_line="skip")
    assert isinstance(frame, pl.DataFrame)
    assert frame.shape == (0, 38)
    assert frame.schema == schema.polars_schema
    warning = record[0].message
    assert isinstance(warning, zf.ZeekSkippedLinesWarning)
    assert warning.count == 12
    all_bad = [11, 22, 33, 34, 35, 46, 57, 68, 79, 90, 101, 102]
    shown = [line for _, line, _ in warning.lines]  # (path, line, message) of the first ones
    assert shown == all_bad[: len(shown)]


def _concatenate(corpus: Path, target: Path, *rel_paths: str) -> Path:
    # Rotated logs are often `cat`-ed together; this builds such a file in pytest's tmp dir
    # (never in the project) from byte-exact corpus logs.
    target.write_bytes(b"".join((corpus / rel).read_bytes() for rel in rel_paths))
    return target


def test_blocks_with_different_fields_are_unified(corpus: Path, tmp_path: Path) -> None:
    # conn.log (20 Bro 2.x columns, 5 rows) + test.log (ts uid id.orig_h id.orig_p id.resp_h,
    # 6 IPv6 rows) + multiple-times.log (ts1 proto ts2, 4 rows): 22 columns in first-seen
    # order, null wherever a block lacks the column.
    path = _concatenate(
        corpus,
        tmp_path / "concatenated.log",
        ZEEK_CUT + "conn.log",
        ZEEK_CUT + "test.log",
        ZEEK_CUT + "multiple-times.log",
    )
    frame = read(tmp_path, path.name)
    conn = read(corpus, ZEEK_CUT + "conn.log")
    assert frame.columns == [*conn.columns, "ts1", "ts2"]
    assert frame.height == 15
    assert_frame_equal(frame.head(5).select(conn.columns), conn)
    # test.log rows: their five columns set, service (not in that block) null
    assert frame["id.orig_h"][5] == "2001:470:1f11:81f:c999:d94:aa7c:2e3e"
    assert frame["service"][5:11].null_count() == 6
    # multiple-times.log rows: only proto, ts1 and ts2
    tail = frame.tail(4)
    assert tail["proto"].cast(pl.String).to_list() == ["tcp", "udp", "tcp", "tcp"]
    assert epoch_us(tail, "ts1") == [
        1_329_843_175_736_107,
        1_329_843_179_871_641,
        1_329_843_194_151_526,
        1_329_843_204_987_656,
    ]
    assert tail["ts"].null_count() == 4
    assert frame["ts1"].null_count() == 11
    assert frame["uid"].null_count() == 4
    assert frame.schema["proto"] == pl.Categorical
    assert_frame_equal(
        read(tmp_path, path.name, n_threads=4), read(tmp_path, path.name, n_threads=1)
    )


def test_blocks_with_different_separators(corpus: Path, tmp_path: Path) -> None:
    # A tab-separated block, then a "|"-separated one (with btest's "###" line in between).
    path = _concatenate(
        corpus,
        tmp_path / "mixed-separators.log",
        LOGGING + "ascii-line-like-comment__test.log",
        LOGGING + "ascii-binary__ssh.log",
    )
    frame = read(tmp_path, path.name)
    assert frame.to_dict(as_series=False) == {
        "data": ["Test1", "#Kaputt", "Test2", "abc\n\\xffdef", "abc|\\xffdef", "abc\\xff|def"],
        "c": [42, 42, 42, None, None, None],
        "data2": [None, None, None, "DATA2", "DATA2", "DATA2"],
    }


def test_conflicting_types_across_blocks(corpus: Path, tmp_path: Path) -> None:
    # `data` is a time in ascii-timestamps and a string in ascii-line-like-comment.
    path = _concatenate(
        corpus,
        tmp_path / "conflict.log",
        LOGGING + "ascii-timestamps__test.log",
        LOGGING + "ascii-line-like-comment__test.log",
    )
    with pytest.raises(zf.ZeekError):
        zf.read_zeek(path)


def test_directory_source_reads_files_in_sorted_order(corpus: Path, tmp_path: Path) -> None:
    _concatenate(corpus, tmp_path / "b.log", ZEEK_CUT + "test.log")
    _concatenate(corpus, tmp_path / "a.log", ZEEK_CUT + "zerotime.log")
    frame = zf.read_zeek(tmp_path)
    assert isinstance(frame, pl.DataFrame)
    assert_frame_equal(frame, read(tmp_path, "a.log").vstack(read(tmp_path, "b.log")))


# --------------------------------------------------------------------------------------------
# the same values through arrow and pandas
# --------------------------------------------------------------------------------------------


def test_pandas_keeps_nullable_counts_and_exact_times(corpus: Path) -> None:
    # zed dns: rcode is a count with 9,497 nulls; rtt an interval with nulls.
    pdf = zf.read_zeek(corpus / "zed-sample-data-6.2.0/zeek-default__dns.log.gz", output="pandas")
    assert isinstance(pdf, pd.DataFrame)
    assert pdf["rcode"].dtype == pd.ArrowDtype(pa.uint64())
    assert pdf["rcode"].isna().sum() == 9_497
    assert pdf["ts"].dtype == pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
    assert pdf["rtt"].dtype == pd.ArrowDtype(pa.duration("us"))
    assert pdf["id.resp_p"].dtype == pd.ArrowDtype(pa.uint16())


def test_arrow_keeps_exact_types(corpus: Path) -> None:
    table = zf.read_zeek(corpus / "brobeat/data__dns.log", output="arrow")
    assert isinstance(table, pa.Table)
    schema = table.schema
    assert schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert schema.field("rtt").type == pa.duration("us")
    assert schema.field("trans_id").type == pa.uint64()
    assert schema.field("id.orig_p").type == pa.uint16()
    assert pa.types.is_dictionary(schema.field("proto").type)
    assert table.column("ts").cast(pa.int64())[120].as_py() == 1_258_571_328_794_569
