"""``in_subnet`` and ``community_id``: against Python's ``ipaddress``, the Community ID spec's
baselines, Zeek's own values and the ``communityid`` package."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import zeekframe as zf

DATA = Path(__file__).parent / "data"

# --------------------------------------------------------------------------------------------
# in_subnet
# --------------------------------------------------------------------------------------------


def test_in_subnet_values_nulls_and_errors() -> None:
    df = pl.DataFrame(
        {"h": ["192.168.1.5", "10.0.0.1", "2001:dbb::1", None, "::ffff:192.168.3.4", "2001:dbc::"]}
    )
    got = df.select(zf.in_subnet("h", ["192.168.0.0/16", "2001:dbb::/32"]))["h"].to_list()
    assert got == [True, False, True, None, True, False]
    assert df.select(zf.in_subnet("h", "10.9.9.9/8"))["h"].to_list() == [
        False, True, False, None, False, False,
    ]  # fmt: skip
    assert df.select(zf.in_subnet("h", []))["h"].to_list() == [False] * 3 + [None] + [False] * 2
    # Categorical addresses, as an expression.
    assert df.select(zf.in_subnet(pl.col("h").cast(pl.Categorical), "::/0"))["h"].to_list() == [
        True, True, True, None, True, True,
    ]  # fmt: skip
    for bad in ["10.0.0.0/33", "10.0.0/8", "", "fe80::/129", "10.0.0.0/8 "]:
        with pytest.raises(ValueError, match="not a network in CIDR notation"):
            zf.in_subnet("h", ["10.0.0.0/8", bad])
    with pytest.raises(pl.exceptions.ComputeError, match="not an IP address"):
        pl.DataFrame({"h": ["10.0.0.1", "example.com"]}).select(zf.in_subnet("h", "10.0.0.0/8"))
    with pytest.raises(pl.exceptions.InvalidOperationError, match="cannot cast List"):
        pl.DataFrame({"h": [[1]]}).select(zf.in_subnet("h", "10.0.0.0/8"))


addresses = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda i: str(ipaddress.IPv4Address(i))),
    st.integers(0, 2**128 - 1).map(lambda i: str(ipaddress.IPv6Address(i))),
    # Near the networks below, so that edges are hit.
    st.integers(0, 2**16).map(lambda i: str(ipaddress.IPv4Address(0x0A000000 + i * 251))),
)
networks = st.one_of(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
        lambda t: str(ipaddress.ip_network((t[0], t[1]), strict=False))
    ),
    st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
        lambda t: str(ipaddress.ip_network((ipaddress.IPv6Address(t[0]), t[1]), strict=False))
    ),
    st.integers(8, 32).map(lambda p: str(ipaddress.ip_network((0x0A000000, p), strict=False))),
    st.integers(96, 128).map(lambda p: f"::ffff:10.0.0.0/{p}"),
)


def zeek_member(value: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Membership as Zeek holds addresses: an IPv4 address is the IPv6 ``::ffff:a.b.c.d``."""
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == network.version:
        return address in network
    if isinstance(address, ipaddress.IPv4Address):
        return ipaddress.IPv6Address(f"::ffff:{address}") in network
    return False


@settings(max_examples=200, deadline=None)
@given(st.lists(addresses, max_size=30), st.lists(networks, max_size=40))
def test_in_subnet_agrees_with_ipaddress(values: list[str], nets: list[str]) -> None:
    parsed = [ipaddress.ip_network(n, strict=False) for n in nets]
    expected = [any(zeek_member(v, n) for n in parsed) for v in values]
    frame = pl.DataFrame({"h": values}, schema={"h": pl.String})
    assert frame.select(zf.in_subnet("h", nets))["h"].to_list() == expected


def test_in_subnet_pushed_into_the_parser(corpus: Path) -> None:
    """Pushed down, eager and lazy, the rows are exactly those Polars keeps."""
    logs = [
        "zeek/testing__btest__Baseline__core.ipv6-frag__conn.log",
        "rita/test_data__open_conns__closed__conn.log",
        "zed-sample-data-6.2.0/zeek-default__dns.log.gz",
        "zed-sample-data-6.2.0/zeek-json__ssl.json.gz",
    ]
    nets = ["10.0.0.0/8", "192.168.0.0/16", "2001:470::/32", "fe80::/10"]
    checked = 0
    for rel in logs:
        path = corpus / rel
        if not path.exists():
            continue
        predicate = zf.in_subnet("id.resp_h", nets) | ~zf.in_subnet("id.orig_h", nets[:2])
        whole = zf.read_zeek(path)
        expected = whole.filter(predicate)
        assert 0 < expected.height <= whole.height
        assert_frame_equal(zf.read_zeek(path, filter=predicate), expected)
        assert_frame_equal(zf.scan_zeek(path).filter(predicate).collect(), expected)
        checked += 1
    assert checked >= 2


def test_in_subnet_of_a_bad_address_in_the_log_is_an_error(tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    log.write_text(
        "#separator \\x09\n#fields\tid.orig_h\tn\n#types\tstring\tcount\n10.0.0.1\t1\nhost\t2\n"
    )
    with pytest.raises(zf.ZeekError, match="not an IP address"):
        zf.read_zeek(log, filter=zf.in_subnet("id.orig_h", "10.0.0.0/8"))
    with pytest.raises(pl.exceptions.ComputeError, match="not an IP address"):
        zf.read_zeek(log).filter(zf.in_subnet("id.orig_h", "10.0.0.0/8"))


# --------------------------------------------------------------------------------------------
# community_id
# --------------------------------------------------------------------------------------------


def _flows(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "id.orig_h": pl.String,
            "id.orig_p": pl.UInt16,
            "id.resp_h": pl.String,
            "id.resp_p": pl.UInt16,
            "proto": pl.String,
            "ip_proto": pl.Int64,
        },
    )


@pytest.mark.parametrize("name", ["deflt", "nob64", "seed1"])
def test_community_id_spec_baselines(name: str) -> None:
    spec = json.loads((DATA / "community_id_baselines.json").read_text())["sets"][name]
    rows = [
        {
            "id.orig_h": f["saddr"],
            "id.resp_h": f["daddr"],
            "id.orig_p": f["sport"] or 0,
            "id.resp_p": f["dport"] or 0,
            "ip_proto": f["proto"],
        }
        for f in spec["flows"]
    ]
    frame = _flows(rows)
    ids = frame.select(zf.community_id(proto="ip_proto", seed=spec["seed"], base64=spec["base64"]))
    assert ids["community_id"].to_list() == [f["communityid"] for f in spec["flows"]]


def test_community_id_equals_zeeks() -> None:
    """Zeek's own community_id_v1() of the spec's pcaps, from conn_ids as Zeek logs them."""
    flows = json.loads((DATA / "zeek_community_ids.json").read_text())["flows"]
    frame = _flows(flows)
    by_proto = frame.select(zf.community_id())["community_id"].to_list()
    by_number = frame.select(zf.community_id(proto="ip_proto"))["community_id"].to_list()
    for flow, named, numbered in zip(flows, by_proto, by_number):
        assert numbered == flow["community_id"], flow
        # Zeek's transport enum cannot say which protocol an unknown_transport flow is.
        assert named == (None if flow["proto"] == "unknown_transport" else flow["community_id"])


def test_community_id_nulls_errors_and_a_log() -> None:
    frame = pl.DataFrame(
        {
            "id.orig_h": ["1.2.3.4", None, "1.2.3.4", "::1", "1.2.3.4"],
            "id.orig_p": [1122, 1, None, 1, 1122],
            "id.resp_h": ["5.6.7.8", "5.6.7.8", "5.6.7.8", "1.2.3.4", "5.6.7.8"],
            "id.resp_p": [3344, 1, 1, 1, 3344],
            "proto": ["tcp", "tcp", "tcp", "tcp", "unknown_transport"],
        }
    ).with_columns(pl.col("proto").cast(pl.Categorical))
    got = frame.select(zf.community_id())["community_id"].to_list()
    assert got == ["1:wCb3OG7yAFWelaUydu0D+125CLM=", None, None, None, None]
    with pytest.raises(pl.exceptions.ComputeError, match="not a transport protocol"):
        frame.with_columns(pl.lit("gre").alias("proto")).select(zf.community_id())
    with pytest.raises(pl.exceptions.ComputeError, match="not an IP address"):
        frame.with_columns(pl.lit("x").alias("id.orig_h")).select(zf.community_id())
    with pytest.raises(pl.exceptions.ComputeError, match="not a port"):
        frame.with_columns(pl.lit(70000).alias("id.orig_p")).select(zf.community_id())
    with pytest.raises(ValueError, match="16-bit"):
        zf.community_id(seed=70000)


def test_community_id_over_many_parts_keeps_every_row_in_place() -> None:
    """Rows are hashed in parts of 65,536 in parallel: 150,001 rows (three parts, nulls
    among them) give each row the id it gets alone, and an error in the last part is
    raised."""
    small = pl.DataFrame(
        {
            "id.orig_h": ["1.2.3.4", None, "10.0.0.1", "::1", "1.2.3.4"],
            "id.orig_p": [1122, 1, 53, 1, 1122],
            "id.resp_h": ["5.6.7.8", "5.6.7.8", "10.0.0.2", "::2", "5.6.7.8"],
            "id.resp_p": [3344, 1, 33000, 1, 3344],
            "proto": ["tcp", "tcp", "udp", "tcp", "unknown_transport"],
        }
    )
    alone = small.select(zf.community_id())["community_id"].to_list()
    rows = 150_001
    big = small.select(pl.all().gather([i % small.height for i in range(rows)]))
    got = big.select(zf.community_id())["community_id"].to_list()
    assert got == [alone[i % small.height] for i in range(rows)]
    assert sum(v is None for v in got) == 2 * (rows // 5) + (1 if rows % 5 > 1 else 0)
    broken = big.with_columns(
        pl.when(pl.int_range(pl.len()) == rows - 2)
        .then(pl.lit("nope"))
        .otherwise(pl.col("id.orig_h"))
        .alias("id.orig_h")
    )
    with pytest.raises(pl.exceptions.ComputeError, match="not an IP address"):
        broken.select(zf.community_id())


# ICMP and ICMPv6 request/reply pairs (the spec's and Zeek's tables).
_PAIRS = {1: [(8, 0), (13, 14), (15, 16), (10, 9), (17, 18)],
          58: [(128, 129), (133, 134), (135, 136), (130, 131), (139, 140), (144, 145)]}  # fmt: skip
COUNTERPART = {p: {**dict(pairs), **{b: a for a, b in pairs}} for p, pairs in _PAIRS.items()}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(0, 2**128 - 1),
            st.integers(0, 2**128 - 1),
            st.integers(0, 65535),
            st.integers(0, 65535),
            st.sampled_from([1, 6, 17, 58, 132, 47, 89]),
        ),
        min_size=1,
        max_size=20,
    ),
    st.integers(0, 65535),
)
def test_community_id_agrees_with_the_communityid_package(
    flows: list[tuple[bool, int, int, int, int, int]], seed: int
) -> None:
    communityid = pytest.importorskip("communityid")
    hasher = communityid.CommunityID(seed=seed)
    rows, expected = [], []
    for v6, a, b, sport, dport, proto in flows:
        orig: ipaddress.IPv4Address | ipaddress.IPv6Address
        resp: ipaddress.IPv4Address | ipaddress.IPv6Address
        if v6:
            orig, resp = ipaddress.IPv6Address(a), ipaddress.IPv6Address(b)
            if orig.ipv4_mapped or resp.ipv4_mapped:
                continue
        else:
            orig, resp = ipaddress.IPv4Address(a % 2**32), ipaddress.IPv4Address(b % 2**32)
        if proto in (1, 58):  # ICMP "ports": a type and a code, each a byte
            sport, dport = sport % 256, dport % 256
            proto = 58 if v6 else 1
        if proto in (1, 58):
            # The package maps (type, code) itself; Zeek logs (type, counterpart or code).
            tpl = communityid.FlowTuple(proto, str(orig), str(resp), sport, dport)
            dport = COUNTERPART[proto].get(sport, dport)
        elif proto in (6, 17, 132):
            tpl = communityid.FlowTuple(proto, str(orig), str(resp), sport, dport)
        else:
            tpl = communityid.FlowTuple(proto, str(orig), str(resp))
            sport = dport = 0
        rows.append({"id.orig_h": str(orig), "id.resp_h": str(resp), "id.orig_p": sport,
                     "id.resp_p": dport, "ip_proto": proto})  # fmt: skip
        expected.append(hasher.calc(tpl))
    if not rows:
        return
    got = _flows(rows).select(zf.community_id(proto="ip_proto", seed=seed))["community_id"]
    assert got.to_list() == expected


# --------------------------------------------------------------------------------------------
# All three plugins
# --------------------------------------------------------------------------------------------


def test_plugins_see_every_chunk_engine_and_configuration() -> None:
    part = pl.DataFrame(
        {
            "id.orig_h": ["10.0.0.1", None, "2001:db8::1"],
            "id.orig_p": [1122, 1, 5],
            "id.resp_h": ["5.6.7.8", "5.6.7.8", "2001:db8::2"],
            "id.resp_p": [3344, 1, 6],
            "proto": ["tcp", "udp", "udp"],
            "mime": [["application/pdf"], None, ["x/ÿ\t", "text/plain"]],
        }
    )
    chunked = pl.concat([part, part.slice(1, 1), part], rechunk=False)
    assert chunked["id.orig_h"].n_chunks() == 3
    # Names and types of any text cross to the plugin as they are.
    categories = {"ëxploit\t1": ["x/ÿ\t"], "pdf": ["application/pdf", "x/ÿ\t"]}
    expressions = [
        zf.in_subnet("id.orig_h", ["10.0.0.0/8"]),
        zf.community_id(),
        zf.mime_category("mime", categories),
    ]
    got = {
        engine: chunked.lazy().select(expressions).collect(engine=engine)
        for engine in ("in-memory", "streaming")
    }
    assert_frame_equal(got["in-memory"], got["streaming"])
    frame = got["in-memory"]
    assert frame["id.orig_h"].to_list() == [True, None, False, None, True, None, False]
    assert frame["mime_category"].cast(pl.String).to_list() == (
        ["pdf", None, "ëxploit\t1", None, "pdf", None, "ëxploit\t1"]
    )
    one = part.select(zf.community_id())["community_id"].to_list()
    assert frame["community_id"].to_list() == [*one, None, *one]
    assert [id is None for id in one] == [False, True, False]
    empty = chunked.clear().select(expressions)
    assert empty.height == 0
    assert empty.schema == frame.schema
