"""Generate a synthetic Zeek TSV ``conn.log`` shaped like the report's MACCDC-2012 data.

The report reads a Bro 2.x ``conn.log`` (the 20 standard fields, plus ``threat`` and
``sample`` which its analysis named) captured at the Mid-Atlantic CCDC, 16-17 March 2012. The
full 22.7M-row file is not redistributable, so the benchmarks read this stand-in, whose shares
(protocols, connection states, unset fields, history strings, packet sizes, the hosts doing
the scanning, uid lengths) were measured on the real 0.1% sample in
``/work/shared/zeek-logs/secrepo-maccdc2012/conn_sample.log``: a red team on 192.168.202.0/24
port-scanning everything (95% of rows are REJ or S0 with one SYN), a little real traffic on
80/443/445/53, an IPv6 host hammering 445. Like the real rows, generated rows average about
120 bytes.

Where the real sample is uniform, a sliver of other values keeps every code path of a reader
busy: 2% of ``local_orig`` are T/F (the sample's are all unset), 0.2% of ``tunnel_parents``
hold uids (all ``(empty)`` in the sample), and ``ts`` has microsecond digits (the sample ticks
in 10 ms), so an inexact time parse cannot hide.

Random draws are numpy-vectorized; formatting and writing happen in Polars' Rust CSV writer,
so 2,000,000 rows take seconds. The output is a pure function of ``(rows, seed)``.

Usage::

    python benches/gen_conn.py OUT --rows 2000000 --seed 2012 [--gzip]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

#: Bro 2.x conn.log fields (20) plus the two columns the report's copy carries.
FIELDS: tuple[str, ...] = (
    *("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"),
    *("duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "missed_bytes"),
    *("history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"),
    *("tunnel_parents", "threat", "sample"),
)
#: Zeek types of ``FIELDS`` as Bro 2.x wrote them: ``conn_state`` is a string, not an enum, and
#: sets were still ``table[...]``.
TYPES: tuple[str, ...] = (
    *("time", "string", "addr", "port", "addr", "port", "enum", "string", "interval"),
    *("count", "count", "string", "bool", "count", "string", "count", "count", "count"),
    *("count", "table[string]", "string", "string"),
)

#: The sample spans 2012-03-16 12:30:00 to 2012-03-17 21:00 UTC; any row count is spread
#: over the same span, so ts always stays inside the competition.
START_EPOCH_S = 1_331_901_000
SPAN_S = 117_000
UID_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Bro 2.x uids are a base-62 number after the "C", so their length varies.
UID_LENGTHS = {18: 0.754, 17: 0.228, 16: 0.017, 15: 0.001}

TCP, UDP, ICMP = range(3)
PROTOS = ("tcp", "udp", "icmp")
PROTO_SHARES = {TCP: 0.982, UDP: 0.010, ICMP: 0.008}

STATES = ("S0", "SF", "REJ", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH", "S1", "S2")
S0, SF, REJ, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH, S1, S2 = range(len(STATES))
TCP_STATE_SHARES = {
    REJ: 0.528,
    S0: 0.421,
    RSTO: 0.021,
    OTH: 0.015,
    SF: 0.0116,
    RSTR: 0.0028,
    SH: 0.0003,
    RSTRH: 0.0002,
    SHR: 0.0001,
    S1: 0.0001,
    S2: 0.0001,
    RSTOS0: 0.0001,
}
UDP_STATE_SHARES = {S0: 0.78, SF: 0.20, SHR: 0.02}
#: States in which the two sides really talked (the rest are scans and stray packets).
TALK_STATES = (SF, RSTO, RSTR, S1, S2)
#: Share of rows per state whose duration and byte counts Bro 2.x left unset.
UNSET_SHARE = {
    S0: 0.979,
    REJ: 0.759,
    RSTO: 0.303,
    OTH: 0.522,
    SF: 0.208,
    RSTR: 0.048,
    SH: 0.667,
    SHR: 0.667,
    RSTRH: 0.667,
    RSTOS0: 1.0,
}
TCP_HISTORY: dict[int, dict[str, float]] = {
    REJ: {"Sr": 1.0},
    S0: {"S": 1.0},
    RSTO: {
        "ShADadfR": 0.47,
        "ShADadR": 0.18,
        "ShR": 0.15,
        "ShAR": 0.08,
        "ShADdR": 0.06,
        "ShADdfR": 0.03,
        "ShADadRf": 0.01,
        "ShAdDaR": 0.01,
        "DdAfR": 0.01,
    },
    OTH: {"A": 0.7, "-": 0.01, "D": 0.1, "Ad": 0.19},
    SF: {
        "ShADadfF": 0.55,
        "ShADdFaf": 0.1,
        "ShADadFf": 0.08,
        "ShADaFf": 0.06,
        "ShADdfFa": 0.05,
        "ShADfFa": 0.05,
        "ShADadfFr": 0.04,
        "ShADdFf": 0.02,
        "ShADFadfR": 0.03,
        "ShADaFdfR": 0.02,
    },
    RSTR: {"ShADdFar": 0.7, "ShAdDFar": 0.08, "ShADFar": 0.07, "ShADr": 0.05, "ShADar": 0.1},
    RSTOS0: {"R": 1.0},
    RSTRH: {"Ar": 1.0},
    SH: {"Q": 0.6, "F": 0.4},
    SHR: {"hr": 1.0},
    S1: {"ShADda": 1.0},
    S2: {"ShADF": 1.0},
}
UDP_HISTORY: dict[int, dict[str, float]] = {S0: {"D": 1.0}, SF: {"Dd": 1.0}, SHR: {"d": 1.0}}

#: Destination ports of real conversations (the sample's SF/RSTO/RSTR rows); 0 = any port.
TALK_PORTS = {
    80: 0.55,
    443: 0.09,
    445: 0.08,
    53: 0.03,
    22: 0.04,
    3128: 0.035,
    8080: 0.03,
    8089: 0.015,
    8000: 0.015,
    139: 0.013,
    3306: 0.01,
    21: 0.005,
    25: 0.002,
    0: 0.09,
}
#: Scanned ports: each quarter of the scans falls in one of these ranges, which puts the
#: quartiles where the sample's are (3.0k, 12.9k, 39.8k).
SCAN_PORT_QUARTILES = ((1, 3_000), (3_000, 13_000), (13_000, 40_000), (40_000, 65_536))
#: The scanners keep probing one set of ports across their targets, so (origin, port) pairs
#: repeat: 18k ports match the sample's 12.1k distinct ports in 22.7k rows and the report's
#: 266,880 (origin, port other than 80) pairs in its 2.27M rows. A few probes stray outside
#: that set.
SCANNED_PORTS = 18_000
SCAN_FRESH_SHARE = 0.03
#: Now and then a scan goes to a well-known port.
SCAN_COMMON_SHARE = 0.05
SCAN_COMMON_PORTS = (80, 443, 445, 139, 135, 22, 21, 23, 25, 3389, 1025, 8080, 3306, 5900)
UDP_PORTS = {
    53: 0.55,
    137: 0.12,
    161: 0.05,
    5355: 0.05,
    5353: 0.04,
    123: 0.03,
    138: 0.02,
    67: 0.02,
    0: 0.12,
}
#: Bro logs ICMP type in orig_p and the answering type in resp_p (echo 8 -> 0, timestamp
#: 13 -> 14, neighbour discovery 135 -> 136, ...).
ICMP_TYPES = {(8, 0): 0.50, (13, 14): 0.38, (135, 136): 0.05, (133, 134): 0.04, (3, 3): 0.03}
SERVICE_BY_PORT = {
    80: "http",
    3128: "http",
    8080: "http",
    8000: "http",
    443: "ssl",
    8089: "ssl",
    21: "ftp",
    22: "ssh",
    25: "smtp",
    53: "dns",
    137: "dns",
    5355: "dns",
    5353: "dns",
    67: "dhcp",
}
#: A scanner's SYN: 40 bytes of headers plus 20, 4 or 8 bytes of options.
SYN_BYTES = {60: 0.45, 44: 0.35, 48: 0.20}

#: Origins by their share of the sample's rows; the rest of 192.168.202.0/24 shares the tail.
HEAVY_ORIG = {
    "192.168.204.45": 0.246,
    "192.168.202.83": 0.214,
    "192.168.202.110": 0.200,
    "192.168.202.138": 0.103,
    "192.168.202.79": 0.077,
    "192.168.202.140": 0.041,
    "192.168.202.101": 0.023,
    "192.168.202.108": 0.017,
    "192.168.202.102": 0.013,
    "192.168.202.94": 0.009,
    "192.168.202.4": 0.006,
    "192.168.202.153": 0.006,
}
IPV6_SHARE = 0.006
#: The report's second heaviest (origin, port) pair is this host on 445.
IPV6_SMB_HOST = "2001:dbb:c18:202:20c:29ff:fe18:b667"
IPV6_ORIG = {
    IPV6_SMB_HOST: 0.45,
    "fe80::bc5c:15c1:ec81:1e08": 0.15,
    "2001:dbb:c18:202:20c:29ff:fe93:571e": 0.1,
    "fe80::20c:29ff:fe93:571e": 0.1,
    "2001:dbb:c18:202:20c:29ff:fe41:4be7": 0.1,
    "fe80::4c9b:aad8:8a6a:7bb0": 0.1,
}
IPV6_RESP = (
    "2001:dbb:c18:555:f8d9:a1ea:b86e:10ad",
    "ff02::1:3",
    "ff02::c",
    "2001:dbb:c18:655:20c:29ff:fe47:e982",
    "fe80::d840:5635:ef48:b032",
)
#: One target takes a fifth of all rows (a long scan); the rest spread over the blue teams.
TOP_TARGET, TOP_TARGET_SHARE = "192.168.206.44", 0.21


def _draw(rng: np.random.Generator, shares: dict[Any, float], n: int) -> npt.NDArray[Any]:
    """Draw ``n`` keys of ``shares`` with probability proportional to their values."""
    probs = np.fromiter(shares.values(), dtype=np.float64)
    idx = rng.choice(len(shares), size=n, p=probs / probs.sum())
    return np.asarray(list(shares))[idx]


def _zipf(size: int, exponent: float, offset: float) -> npt.NDArray[np.float64]:
    """Return normalized rank weights ``1 / (rank + offset) ** exponent``."""
    weights = np.power(np.arange(size, dtype=np.float64) + offset, -exponent)
    return weights / float(weights.sum())


def _scan_port_weights() -> npt.NDArray[np.float64]:
    """Return the probability of each port 0..65535 being scanned (0 never is)."""
    weights = np.zeros(65536, dtype=np.float64)
    for low, high in SCAN_PORT_QUARTILES:
        weights[low:high] = 0.25 / (high - low)
    return weights / float(weights.sum())


def _gather(vocab: list[str], idx: Ints) -> pl.Series:
    """Map indices to strings in Rust (a Python-level lookup would dominate the runtime)."""
    return pl.Series(vocab, dtype=pl.String).gather(pl.Series(idx, dtype=pl.UInt32))


def _uids(rng: np.random.Generator, n: int) -> pl.Series:
    """Return Bro-style connection uids: ``C`` plus 14 to 17 base-62 characters."""
    alphabet = np.frombuffer(UID_ALPHABET, dtype=np.uint8)
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, 18), dtype=np.uint8)]
    chars[:, 0] = ord("C")
    # One fixed-width bytes item per row: Polars takes that as Binary without a Python loop.
    full = pl.Series(np.ascontiguousarray(chars).view("S18").ravel()).cast(pl.String)
    return full.str.head(pl.Series(_draw(rng, UID_LENGTHS, n).astype(np.int64)))


def _decimal6(micros: pl.Expr) -> pl.Expr:
    """Format non-negative integer microseconds as Zeek's ``seconds.uuuuuu`` text."""
    return pl.concat_str(
        (micros // 1_000_000).cast(pl.String),
        pl.lit("."),
        (micros % 1_000_000).cast(pl.String).str.zfill(6),
    )


class _Vocab:
    """Strings addressed by index, so that string columns are built by one Rust gather."""

    def __init__(self, *initial: str) -> None:
        self.words: list[str] = list(initial)

    def add(self, words: list[str] | tuple[str, ...]) -> int:
        """Append ``words`` and return the index of the first."""
        start = len(self.words)
        self.words.extend(words)
        return start


def _fill_history(
    rng: np.random.Generator,
    rows: Mask,
    state: Ints,
    tables: dict[int, dict[str, float]],
    out: Ints,
    vocab: _Vocab,
) -> None:
    """Set ``out`` (vocabulary indices) on ``rows`` to histories drawn for each row's state."""
    for st, shares in tables.items():
        hit = rows & (state == st)
        start = vocab.add(tuple(shares))
        picks = _draw(rng, dict(enumerate(shares.values())), int(hit.sum()))
        out[hit] = start + picks.astype(np.int64)


def _ports(
    rng: np.random.Generator, n: int, proto: Ints, state: Ints, orig_is_smb_host: Mask
) -> tuple[Ints, Ints]:
    """Draw ``(orig_p, resp_p)``: scans hit every port, conversations the usual services."""
    talk = np.isin(state, TALK_STATES)
    port_weights = _scan_port_weights()
    scanned = np.sort(rng.choice(65536, size=SCANNED_PORTS, replace=False, p=port_weights))
    # A quarter of the probes per range, then any port of the set in that range: drawing from
    # the set by weight would over-draw the low range, which the set holds almost entirely.
    lows = np.array([low for low, _ in SCAN_PORT_QUARTILES])
    starts = np.searchsorted(scanned, lows)
    counts = np.diff(np.append(starts, SCANNED_PORTS))
    quarter = rng.integers(0, len(lows), n)
    from_set = scanned[starts[quarter] + (rng.random(n) * counts[quarter]).astype(np.int64)]
    any_port = np.where(
        rng.random(n) < SCAN_FRESH_SHARE, rng.choice(65536, size=n, p=port_weights), from_set
    )
    resp = np.where(
        rng.random(n) < SCAN_COMMON_SHARE, rng.choice(SCAN_COMMON_PORTS, size=n), any_port
    )
    resp = np.where(talk, _draw(rng, TALK_PORTS, n).astype(np.int64), resp)
    resp = np.where(orig_is_smb_host & (rng.random(n) < 0.7), 445, resp)
    resp = np.where(proto == UDP, _draw(rng, UDP_PORTS, n).astype(np.int64), resp)
    resp = np.where(resp == 0, any_port, resp)
    # Client ports: mostly the Linux/Windows ephemeral ranges; NetBIOS/mDNS/LLMNR send from
    # their own port.
    orig = np.where(
        rng.random(n) < 0.7, rng.integers(32768, 65536, n), rng.integers(1024, 32768, n)
    )
    same_port = (proto == UDP) & np.isin(resp, (137, 138, 5353))
    orig = np.where(same_port, resp, orig)
    pair = _draw(rng, dict(enumerate(ICMP_TYPES.values())), n)
    icmp_request, icmp_answer = (np.array(side) for side in zip(*ICMP_TYPES))
    orig = np.where(proto == ICMP, icmp_request[pair], orig)
    resp = np.where(proto == ICMP, icmp_answer[pair], resp)
    return orig.astype(np.int64), resp.astype(np.int64)


def generate(rows: int, seed: int, sample_name: str | None = None) -> pl.DataFrame:
    """Build the conn.log body as a frame of text and integer columns (nulls become ``-``).

    ``sample_name``: the pcap name every row's ``sample`` holds, as in the report's own data
    (``maccdc2012_00000.pcap``); unset when ``None``.
    """
    rng = np.random.default_rng(seed)
    n = rows
    proto = _draw(rng, PROTO_SHARES, n).astype(np.int64)
    state = np.where(proto == TCP, _draw(rng, TCP_STATE_SHARES, n), OTH).astype(np.int64)
    state = np.where(proto == UDP, _draw(rng, UDP_STATE_SHARES, n), state).astype(np.int64)
    talk = np.isin(state, TALK_STATES)

    ts_us = START_EPOCH_S * 1_000_000 + np.cumsum(
        rng.exponential(SPAN_S * 1e6 / max(n, 1), size=n).astype(np.int64)
    )

    # Origins: the sample's heavy hitters, a tail over the rest of the red team, rare IPv6.
    tail = [f"192.168.202.{i}" for i in range(2, 255) if f"192.168.202.{i}" not in HEAVY_ORIG]
    tail += ["10.10.117.209", "192.168.203.63", "192.168.204.60", "172.16.3.1"]
    heavy_total = sum(HEAVY_ORIG.values())
    orig_shares = {**HEAVY_ORIG, **dict(zip(tail, (1 - heavy_total) * _zipf(len(tail), 1.6, 1.0)))}
    orig_vocab = _Vocab(*orig_shares, *IPV6_ORIG)
    orig_idx = _draw(rng, dict(enumerate(orig_shares.values())), n).astype(np.int64)
    is_v6 = rng.random(n) < IPV6_SHARE
    v6_idx = len(orig_shares) + _draw(rng, dict(enumerate(IPV6_ORIG.values())), n)
    orig_idx = np.where(is_v6, v6_idx, orig_idx).astype(np.int64)
    smb_host = orig_idx == orig_vocab.words.index(IPV6_SMB_HOST)

    orig_p, resp_p = _ports(rng, n, proto, state, smb_host & (proto == TCP))

    # Responders: one long-scanned target, the blue teams' /24s, broadcasts, some Internet.
    blue = [
        f"192.168.{net}.{i}" for net in (21, 22, 23, 24, 25, 26, 27, 28, 229) for i in range(1, 255)
    ]
    resp_vocab = _Vocab(TOP_TARGET, *blue, "213.199.179.147", "65.55.223.17", "157.55.130.150")
    n_v4 = len(resp_vocab.words)
    resp_idx = 1 + rng.choice(n_v4 - 1, size=n, p=_zipf(n_v4 - 1, 0.8, 30.0))
    resp_idx = np.where(rng.random(n) < TOP_TARGET_SHARE, 0, resp_idx)
    bcast_start = resp_vocab.add(("192.168.202.255", "192.168.204.255"))
    is_bcast = (proto == UDP) & np.isin(resp_p, (137, 138))
    resp_idx = np.where(is_bcast, bcast_start + rng.integers(0, 2, n), resp_idx)
    v6_start = resp_vocab.add(IPV6_RESP)
    v6_resp = v6_start + np.where(smb_host, 0, rng.integers(0, len(IPV6_RESP), n))
    resp_idx = np.where(is_v6, v6_resp, resp_idx).astype(np.int64)

    # The analyzers only name a service once payload flowed (or for any DNS-ish UDP).
    service_vocab = _Vocab("-", *sorted(set(SERVICE_BY_PORT.values())))
    port_service = np.zeros(65536, dtype=np.int64)
    for port, name in SERVICE_BY_PORT.items():
        port_service[port] = service_vocab.words.index(name)
    named = (talk & (rng.random(n) < 0.85)) | (proto == UDP)
    service_idx = np.where(named & (proto != ICMP), port_service[resp_p], 0)

    unset_share = np.zeros(len(STATES))
    for st, share in UNSET_SHARE.items():
        unset_share[st] = share
    unset = rng.random(n) < unset_share[state]
    duration_us = np.minimum(rng.lognormal(np.log(15_000), 1.8, n), 3600e6).astype(np.int64)
    orig_bytes = np.where(talk, rng.lognormal(np.log(250), 1.5, n), 0).astype(np.int64)
    resp_bytes = np.where(talk, rng.lognormal(np.log(900), 2.0, n), 0).astype(np.int64)
    udp_payload = (proto == UDP) & (state != S0)
    orig_bytes = np.where(udp_payload, rng.integers(30, 120, n), orig_bytes)
    resp_bytes = np.where(udp_payload, rng.integers(0, 400, n), resp_bytes)

    # Packets and IP bytes are always logged, payload or not.
    syn = _draw(rng, SYN_BYTES, n).astype(np.int64)
    retries = _draw(rng, {1: 0.92, 2: 0.05, 3: 0.03}, n).astype(np.int64)
    orig_pkts = np.select([state == S0, state == REJ], [retries, 1], default=1)
    orig_ip = orig_pkts * syn
    resp_pkts = np.where(state == REJ, 1, 0)
    resp_ip = resp_pkts * 40
    talk_orig_pkts = 2 + orig_bytes // 1000 + rng.poisson(2.0, n)
    talk_resp_pkts = 1 + resp_bytes // 1400 + rng.poisson(2.0, n)
    orig_pkts = np.where(talk, talk_orig_pkts, orig_pkts)
    resp_pkts = np.where(talk, talk_resp_pkts, resp_pkts)
    orig_ip = np.where(talk, orig_pkts * 52 + orig_bytes, orig_ip)
    resp_ip = np.where(talk, resp_pkts * 52 + resp_bytes, resp_ip)
    not_tcp = proto != TCP
    orig_pkts = np.where(not_tcp, 1 + rng.poisson(0.3, n), orig_pkts)
    resp_pkts = np.where(not_tcp, np.where(state == S0, 0, 1), resp_pkts)
    orig_ip = np.where(not_tcp, orig_pkts * 28 + orig_bytes, orig_ip)
    resp_ip = np.where(not_tcp, resp_pkts * 28 + resp_bytes, resp_ip)
    missed = np.where(talk & (rng.random(n) < 0.001), rng.integers(1, 200_000, n), 0)

    history_vocab = _Vocab("-")  # ICMP has no history: Bro 2.x leaves it unset.
    history_idx = np.zeros(n, dtype=np.int64)
    _fill_history(rng, proto == TCP, state, TCP_HISTORY, history_idx, history_vocab)
    _fill_history(rng, proto == UDP, state, UDP_HISTORY, history_idx, history_vocab)

    local_idx = _draw(rng, {0: 0.98, 1: 0.01, 2: 0.01}, n).astype(np.int64)
    tunnel_draw = rng.random(n)
    frame = pl.DataFrame(
        {
            "ts": ts_us,
            "uid": _uids(rng, n),
            "id.orig_h": _gather(orig_vocab.words, orig_idx),
            "id.orig_p": orig_p,
            "id.resp_h": _gather(resp_vocab.words, resp_idx),
            "id.resp_p": resp_p,
            "proto": _gather(list(PROTOS), proto),
            "service": _gather(service_vocab.words, service_idx),
            "duration": np.where(unset, -1, duration_us),
            "orig_bytes": np.where(unset, -1, orig_bytes),
            "resp_bytes": np.where(unset, -1, resp_bytes),
            "conn_state": _gather(list(STATES), state),
            "local_orig": _gather(["-", "T", "F"], local_idx),
            "missed_bytes": missed,
            "history": _gather(history_vocab.words, history_idx),
            "orig_pkts": orig_pkts,
            "orig_ip_bytes": orig_ip,
            "resp_pkts": resp_pkts,
            "resp_ip_bytes": resp_ip,
            "tunnel_draw": tunnel_draw,
            "parent_a": _uids(rng, n),
            "parent_b": _uids(rng, n),
        }
    )
    unset_counts = [
        pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in ("orig_bytes", "resp_bytes")
    ]
    tunnel = (
        pl.when(pl.col("tunnel_draw") < 0.998)
        .then(pl.lit("(empty)"))
        .when(pl.col("tunnel_draw") < 0.9995)
        .then(pl.col("parent_a"))
        .otherwise(pl.concat_str("parent_a", pl.lit(","), "parent_b"))
    )
    return frame.select(
        _decimal6(pl.col("ts")).alias("ts"),
        *("uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service"),
        pl.when(pl.col("duration") >= 0).then(_decimal6(pl.col("duration"))).alias("duration"),
        *unset_counts,
        "conn_state",
        "local_orig",
        *("missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"),
        tunnel.alias("tunnel_parents"),
        pl.lit(None, dtype=pl.String).alias("threat"),
        pl.lit(sample_name, dtype=pl.String).alias("sample"),
    )


def _stamp(epoch_s: float) -> str:
    """Format an epoch as Zeek's ``#open``/``#close`` stamp (``%Y-%m-%d-%H-%M-%S``)."""
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")


def write_conn_log(out: Path, rows: int, seed: int, sample_name: str | None = None) -> None:
    """Write a complete Zeek TSV conn.log with ``rows`` data lines to ``out``."""
    body = generate(rows, seed, sample_name)
    first_ts = float(body["ts"][0]) if rows else START_EPOCH_S
    last_ts = float(body["ts"][-1]) if rows else START_EPOCH_S
    header = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tconn",
        f"#open\t{_stamp(first_ts)}",
        "#fields\t" + "\t".join(FIELDS),
        "#types\t" + "\t".join(TYPES),
    ]
    with out.open("wb") as fh:
        fh.write(("\n".join(header) + "\n").encode())
        if rows:
            # Zeek never quotes and no generated value holds a tab, newline or '"'.
            body.write_csv(
                fh, separator="\t", include_header=False, quote_style="never", null_value="-"
            )
        # Bro stamps #close when it rotates, shortly after the last record.
        fh.write(f"#close\t{_stamp(last_ts + 7.0)}\n".encode())


def gzip_file(src: Path, dst: Path) -> str:
    """Compress ``src`` to ``dst`` at level 6 and return which compressor was used.

    ``gzip -6 -n`` (no name or mtime, so the bytes are deterministic) when the binary exists,
    since it runs outside the interpreter; else Python's ``gzip`` with ``mtime=0``. Level 6 is
    the default of both, and what Zeek's log rotation produces.
    """
    gzip_bin = shutil.which("gzip")
    if gzip_bin is not None:
        with dst.open("wb") as fh:
            subprocess.run([gzip_bin, "-6", "-n", "-c", str(src)], stdout=fh, check=True)
        return f"{gzip_bin} -6 -n"
    with src.open("rb") as fin, dst.open("wb") as raw:  # noqa: SIM117  (py3.9: no parenthesized with)
        with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) as out:
            shutil.copyfileobj(fin, out, length=1 << 20)
    return "python gzip, level 6, mtime=0"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the log (and its .gz), report sizes and timings."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output conn.log path")
    parser.add_argument("--rows", type=int, default=2_000_000, help="data rows (default 2M)")
    parser.add_argument("--seed", type=int, default=2012, help="random seed (default 2012)")
    parser.add_argument("--gzip", action="store_true", help="also write OUT.gz (level 6)")
    parser.add_argument(
        "--sample-name",
        default=None,
        help="the pcap name every row's sample field holds (default: unset)",
    )
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_conn_log(args.out, args.rows, args.seed, args.sample_name)
    size = args.out.stat().st_size
    print(
        f"wrote {args.out}: {args.rows:,} rows, {size / 1e6:.1f} MB "
        f"({size / max(args.rows, 1):.0f} B/row) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    if args.gzip:
        started = time.perf_counter()
        gz = args.out.with_name(args.out.name + ".gz")
        how = gzip_file(args.out, gz)
        print(
            f"wrote {gz}: {gz.stat().st_size / 1e6:.1f} MB with {how} "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
