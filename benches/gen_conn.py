"""Generate a synthetic Zeek TSV ``conn.log`` shaped like the report's MACCDC-2012 data.

The report reads a Bro 2.x ``conn.log`` (20 standard fields plus ``threat`` and ``sample``)
captured at the Mid-Atlantic CCDC in March 2012. That file cannot be redistributed, so the
benchmarks read this stand-in instead: the same header, the same column types and value shapes
(6-decimal timestamps, 18-character uids, a red team on 192.168.202.0/24 scanning everything,
heavy hitters on 443/445/80, unset ``-`` fields where Bro 2.x leaves them unset), at about
150 bytes per row.

Random draws are numpy-vectorized; text formatting and writing are done by Polars' Rust CSV
writer, so 2,000,000 rows take a few seconds rather than the minutes a Python loop would.
Output is a pure function of ``(rows, seed)``.

Usage::

    python benches/gen_conn.py OUT --rows 2000000 --seed 2012 [--gzip]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

#: Bro 2.x conn.log fields (20) plus the two columns the report's copy carries.
FIELDS: tuple[str, ...] = (
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "threat",
    "sample",
)
#: Zeek types of ``FIELDS`` as Bro 2.x writes them (``conn_state`` is a string, not an enum;
#: sets were still ``table[...]``).
TYPES: tuple[str, ...] = (
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "string",
    "interval",
    "count",
    "count",
    "string",
    "bool",
    "count",
    "string",
    "count",
    "count",
    "count",
    "count",
    "table[string]",
    "string",
    "string",
)

#: MACCDC 2012 traffic starts at 2012-03-16 12:30:00 UTC.
START_EPOCH_S = 1_331_901_000
#: Mean gap between logged connections. The report's 10% sample (2.27M rows) spans roughly
#: 1.3 days, i.e. about 50 ms per row; keeping the gap fixed keeps ts inside March 16-17 for
#: row counts up to ~3M.
MEAN_GAP_US = 50_000
UID_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Connection kinds. Each kind fixes proto and the shape of ports, states and byte counts.
SCAN, HTTPS, HTTP, SMB, DNS, NETBIOS, OTHER_TCP, ICMP, OTHER_UDP = range(9)
KIND_WEIGHTS = np.array([0.30, 0.15, 0.11, 0.09, 0.14, 0.05, 0.08, 0.04, 0.04])
TCP_KINDS = (SCAN, HTTPS, HTTP, SMB, OTHER_TCP)
UDP_KINDS = (DNS, NETBIOS, OTHER_UDP)

OTHER_TCP_PORTS = np.array([22, 21, 25, 139, 3389, 8080, 3306, 1433, 5900, 23, 110, 143])
OTHER_UDP_PORTS = np.array([123, 161, 1900, 5353, 514, 67, 69, 500])
#: Scanners mostly sweep well-known ports, then the whole range; both give many distinct
#: (origin, port) pairs, as in the report (266,880 pairs in 2.27M rows).
SCAN_COMMON_PORTS = np.concatenate([np.arange(1, 1025), OTHER_TCP_PORTS, [8443, 10000]])
SERVICE_BY_PORT = {
    80: "http",
    8080: "http",
    443: "ssl",
    53: "dns",
    137: "dns",
    22: "ssh",
    21: "ftp",
    25: "smtp",
    110: "pop3",
    143: "imap",
}

STATES = ("S0", "SF", "REJ", "RSTO", "RSTR", "RSTOS0", "SH", "SHR", "OTH", "S1", "S3")
(S0, SF, REJ, RSTO, RSTR, RSTOS0, SH, SHR, OTH, S1, S3) = range(len(STATES))
STATE_WEIGHTS_TCP_SCAN = {
    S0: 0.45,
    REJ: 0.34,
    RSTOS0: 0.03,
    RSTR: 0.05,
    SH: 0.04,
    OTH: 0.06,
    RSTO: 0.03,
}
STATE_WEIGHTS_TCP = {
    SF: 0.55,
    S0: 0.12,
    REJ: 0.05,
    RSTO: 0.10,
    RSTR: 0.06,
    S1: 0.03,
    S3: 0.02,
    SH: 0.03,
    OTH: 0.04,
}
STATE_WEIGHTS_UDP = {SF: 0.45, S0: 0.45, SHR: 0.04, OTH: 0.06}
STATE_WEIGHTS_ICMP = {OTH: 0.55, SF: 0.25, S0: 0.20}
TCP_HISTORY: dict[int, tuple[str, ...]] = {
    S0: ("S",),
    SF: ("ShADadfF", "ShADfFa", "ShADadFf", "ShADadttfF", "ShAdDaFf"),
    REJ: ("Sr",),
    RSTO: ("ShAR", "ShADaR", "ShADadR"),
    RSTR: ("ShADr", "ShAdDar", "Sr"),
    RSTOS0: ("R", "SR"),
    SH: ("Fa", "ShAF"),
    SHR: ("hr",),
    OTH: ("D", "Ad", "DdA", "h"),
    S1: ("ShA", "ShAD"),
    S3: ("ShADF",),
}
UDP_HISTORY: dict[int, tuple[str, ...]] = {S0: ("D",), SF: ("Dd",), SHR: ("d",), OTH: ("d",)}
#: Share of rows whose duration and byte counts Bro 2.x leaves unset (one-sided, one-packet
#: connections), per state.
UNSET_SHARE = {S0: 0.92, REJ: 0.35, SH: 0.90, RSTOS0: 0.80, SHR: 0.7, OTH: 0.5}
#: Per-packet header bytes that ``*_ip_bytes`` adds to the payload.
HEADER_BYTES = {"tcp": 52, "udp": 28, "icmp": 28}

IPV6_ORIG = (
    "2001:dbb:c18:202:20c:29ff:fe18:b667",
    "2001:dbb:c18:204:a800:4ff:fe00:1",
    "fe80::20c:29ff:fe93:b4b4",
    "2001:dbb:c18:202:20c:29ff:fe93:571e",
)
IPV6_RESP = (
    "2001:dbb:c18:202:20c:29ff:fe18:b667",
    "ff02::1:3",
    "ff02::fb",
    "ff02::1:2",
    "2001:dbb:c18:229:20c:29ff:fe3a:1c2d",
    "fe80::20c:29ff:fe18:b667",
)
#: The report's top (origin, port) pairs come first so they stay the heavy hitters.
HEAVY_ORIG = ("192.168.204.45", "192.168.202.110", "192.168.202.140", "192.168.202.108")
#: With the IPv6 origin weights below these put 2001:...:b667 on 445 at ~0.3% of rows, next
#: to 192.168.204.45 on 443, like the report's two heaviest (origin, port) pairs.
IPV6_ORIG_SHARE = 0.01
IPV6_SMB_SHARE = 0.5


def _origin_pool() -> list[str]:
    """Return the origin addresses, heaviest first (weights are assigned by rank)."""
    pool = list(HEAVY_ORIG)
    pool += [f"192.168.202.{i}" for i in range(2, 255) if f"192.168.202.{i}" not in pool]
    pool += [f"192.168.204.{i}" for i in range(2, 255) if f"192.168.204.{i}" not in pool]
    pool += [f"192.168.229.{i}" for i in range(2, 255, 3)]
    return pool


def _responder_pool() -> list[str]:
    """Return the IPv4 responder addresses: the blue teams' networks, MACCDC servers first."""
    pool = [f"192.168.229.{i}" for i in (251, 254, 101, 153, 156, 1)]
    for net in (229, 23, 24, 27, 28, 21, 202, 204):
        pool += [f"192.168.{net}.{i}" for i in range(1, 255) if f"192.168.{net}.{i}" not in pool]
    return pool


def _zipf_weights(size: int, exponent: float, offset: float) -> np.ndarray:
    """Return normalized rank weights ``1 / (rank + offset) ** exponent``."""
    weights = 1.0 / (np.arange(size) + offset) ** exponent
    return weights / weights.sum()


def _pick(rng: np.random.Generator, table: dict[int, float], size: int) -> np.ndarray:
    """Draw ``size`` keys of ``table`` with probabilities proportional to its values."""
    keys = np.fromiter(table.keys(), dtype=np.int64)
    probs = np.fromiter(table.values(), dtype=np.float64)
    return rng.choice(keys, size=size, p=probs / probs.sum())


def _gather(vocab: list[str] | tuple[str, ...], idx: np.ndarray) -> pl.Series:
    """Map indices to strings in Rust (a Python-level lookup would dominate the runtime)."""
    return pl.Series(vocab, dtype=pl.String).gather(pl.Series(idx, dtype=pl.UInt32))


def _uids(rng: np.random.Generator, n: int) -> pl.Series:
    """Return Bro-style connection uids: ``C`` plus 17 base-62 characters."""
    alphabet = np.frombuffer(UID_ALPHABET, dtype=np.uint8)
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, 18), dtype=np.uint8)]
    chars[:, 0] = ord("C")
    # One fixed-width bytes item per row; Polars takes it as Binary and the cast is zero-copy.
    return pl.Series(np.ascontiguousarray(chars).view("S18").ravel()).cast(pl.String)


def _decimal6(micros: pl.Expr) -> pl.Expr:
    """Format non-negative integer microseconds as Zeek's ``seconds.uuuuuu`` text."""
    return pl.concat_str(
        (micros // 1_000_000).cast(pl.String),
        pl.lit("."),
        (micros % 1_000_000).cast(pl.String).str.zfill(6),
    )


def _history(
    rng: np.random.Generator,
    state: np.ndarray,
    table: dict[int, tuple[str, ...]],
    out: np.ndarray,
    mask: np.ndarray,
    vocab: list[str],
) -> None:
    """Set ``out[mask]`` to indices (into ``vocab``) of histories that fit ``state``."""
    for st, options in table.items():
        rows = mask & (state == st)
        start = len(vocab)
        vocab.extend(options)
        out[rows] = start + rng.integers(0, len(options), size=int(rows.sum()))


def generate(rows: int, seed: int) -> pl.DataFrame:
    """Build the conn.log body as a frame of text and integer columns (nulls become ``-``)."""
    rng = np.random.default_rng(seed)
    n = rows
    kind = rng.choice(len(KIND_WEIGHTS), size=n, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
    # IPv6 is rare at MACCDC and mostly SMB (the report's 2nd heaviest pair is IPv6 on 445).
    is_v6 = rng.random(n) < IPV6_ORIG_SHARE
    kind = np.where(is_v6 & (rng.random(n) < IPV6_SMB_SHARE), SMB, kind)
    is_tcp = np.isin(kind, TCP_KINDS)
    is_udp = np.isin(kind, UDP_KINDS)
    is_icmp = kind == ICMP
    proto_idx = np.where(is_tcp, 0, np.where(is_udp, 1, 2))

    ts_us = START_EPOCH_S * 1_000_000 + np.cumsum(
        rng.exponential(MEAN_GAP_US, size=n).astype(np.int64)
    )

    # Addresses: a Zipf-weighted origin pool; IPv6 origins only ever talk to IPv6 responders.
    orig_pool = _origin_pool()
    orig_idx = rng.choice(len(orig_pool), size=n, p=_zipf_weights(len(orig_pool), 1.0, 16.0))
    v6_orig_idx = rng.choice(len(IPV6_ORIG), size=n, p=_zipf_weights(len(IPV6_ORIG), 1.0, 0.6))
    orig_vocab = orig_pool + list(IPV6_ORIG)
    orig_idx = np.where(is_v6, len(orig_pool) + v6_orig_idx, orig_idx)

    resp_pool = _responder_pool()
    broadcasts = ["192.168.202.255", "192.168.204.255", "192.168.229.255"]
    resp_vocab = resp_pool + broadcasts + list(IPV6_RESP)
    # Servers get most of the service traffic; scans spread uniformly over every target.
    resp_idx = rng.choice(len(resp_pool), size=n, p=_zipf_weights(len(resp_pool), 0.9, 3.0))
    scan_rows = kind == SCAN
    resp_idx[scan_rows] = rng.integers(0, len(resp_pool), size=int(scan_rows.sum()))
    bcast = (kind == NETBIOS) & (rng.random(n) < 0.7)
    resp_idx[bcast] = len(resp_pool) + rng.integers(0, len(broadcasts), size=int(bcast.sum()))
    resp_idx = np.where(
        is_v6,
        len(resp_pool) + len(broadcasts) + rng.integers(0, len(IPV6_RESP), size=n),
        resp_idx,
    )

    resp_p = np.select(
        [kind == HTTPS, kind == HTTP, kind == SMB, kind == DNS, kind == NETBIOS],
        [443, 80, 445, 53, 137],
        default=0,
    ).astype(np.int64)
    scan_common = rng.random(n) < 0.6
    resp_p = np.where(
        scan_rows,
        np.where(scan_common, rng.choice(SCAN_COMMON_PORTS, size=n), rng.integers(1, 65536, n)),
        resp_p,
    )
    resp_p = np.where(kind == OTHER_TCP, rng.choice(OTHER_TCP_PORTS, size=n), resp_p)
    resp_p = np.where(kind == OTHER_UDP, rng.choice(OTHER_UDP_PORTS, size=n), resp_p)
    resp_p[(kind == NETBIOS) & (rng.random(n) < 0.3)] = 138
    orig_p = rng.integers(1024, 65536, size=n)
    orig_p = np.where((kind == NETBIOS) | ((kind == OTHER_UDP) & (resp_p == 123)), resp_p, orig_p)
    # Bro logs ICMP type and code in the port columns.
    icmp_type = rng.choice(np.array([8, 0, 3, 11, 135, 136]), size=n)
    orig_p = np.where(is_icmp, icmp_type, orig_p)
    resp_p = np.where(is_icmp, np.where(icmp_type == 3, rng.integers(0, 4, n), 0), resp_p)

    state = _pick(rng, STATE_WEIGHTS_TCP, n)
    state = np.where(scan_rows, _pick(rng, STATE_WEIGHTS_TCP_SCAN, n), state)
    state = np.where(is_udp, _pick(rng, STATE_WEIGHTS_UDP, n), state)
    state = np.where(is_icmp, _pick(rng, STATE_WEIGHTS_ICMP, n), state)

    history_vocab: list[str] = ["-"]
    history_idx = np.zeros(n, dtype=np.int64)  # ICMP keeps "-": Bro 2.x writes no history.
    _history(rng, state, TCP_HISTORY, history_idx, is_tcp, history_vocab)
    _history(rng, state, UDP_HISTORY, history_idx, is_udp, history_vocab)

    # Service: only once the analyzer saw payload, i.e. not for refused or half-open attempts.
    service_vocab = ["-", *sorted(set(SERVICE_BY_PORT.values()))]
    port_service = np.zeros(65536, dtype=np.int64)
    for port, name in SERVICE_BY_PORT.items():
        port_service[port] = service_vocab.index(name)
    saw_payload = ~np.isin(state, (S0, REJ, RSTOS0)) | is_udp
    detected = saw_payload & ~scan_rows & (rng.random(n) < 0.85)
    service_idx = np.where(detected & ~is_icmp, port_service[resp_p], 0)

    unset_share = np.zeros(len(STATES))
    for st, share in UNSET_SHARE.items():
        unset_share[st] = share
    unset = rng.random(n) < unset_share[state]
    duration_us = np.exp(rng.normal(np.log(60_000), 2.2, size=n)).astype(np.int64)
    duration_us = np.minimum(duration_us, 6 * 3600 * 1_000_000)
    scale = np.select(
        [kind == HTTPS, kind == HTTP, kind == SMB, is_udp, is_icmp],
        [1400, 700, 2600, 60, 48],
        default=120,
    )
    orig_bytes = (scale * rng.lognormal(0.0, 1.2, size=n)).astype(np.int64)
    # Responses dwarf requests for web and file transfers, much less so for DNS and ICMP.
    resp_ratio = np.select(
        [kind == HTTPS, kind == HTTP, kind == SMB, is_udp, is_icmp], [12, 12, 6, 3, 1], default=4
    )
    resp_bytes = (scale * resp_ratio * rng.lognormal(0.0, 1.8, size=n)).astype(np.int64)
    no_payload = np.isin(state, (S0, REJ, RSTOS0, SH)) & is_tcp
    orig_bytes[no_payload] = 0
    resp_bytes[no_payload | (state == S0)] = 0
    missed = np.where(rng.random(n) < 0.01, rng.integers(1, 200_000, n), 0)

    # Unset byte counts mean one packet or so each way; packet counts are always logged.
    more = np.where(no_payload | unset, 0, rng.poisson(2.0, n))
    orig_pkts = 1 + np.where(unset, 0, orig_bytes // 700) + more
    resp_pkts = np.where(state == S0, 0, 1 + np.where(unset, 0, resp_bytes // 1200) + more)
    header = np.select(
        [is_tcp, is_udp], [HEADER_BYTES["tcp"], HEADER_BYTES["udp"]], default=HEADER_BYTES["icmp"]
    )

    local_draw = rng.random(n)
    local_idx = np.where(local_draw < 0.90, 0, np.where(local_draw < 0.96, 1, 2))

    # Tunnel parents: almost always "(empty)", occasionally one or two encapsulating uids.
    tunnel_draw = rng.random(n)
    parents_a, parents_b = _uids(rng, n), _uids(rng, n)

    frame = pl.DataFrame(
        {
            "ts": ts_us,
            "uid": _uids(rng, n),
            "id.orig_h": _gather(orig_vocab, orig_idx),
            "id.orig_p": orig_p,
            "id.resp_h": _gather(resp_vocab, resp_idx),
            "id.resp_p": resp_p,
            "proto": _gather(("tcp", "udp", "icmp"), proto_idx),
            "service": _gather(service_vocab, service_idx),
            "duration": np.where(unset, -1, duration_us),
            "orig_bytes": np.where(unset, -1, orig_bytes),
            "resp_bytes": np.where(unset, -1, resp_bytes),
            "conn_state": _gather(STATES, state),
            "local_orig": _gather(("-", "T", "F"), local_idx),
            "missed_bytes": missed,
            "history": _gather(history_vocab, history_idx),
            "orig_pkts": orig_pkts,
            "orig_ip_bytes": orig_pkts * header + np.where(unset, 0, orig_bytes),
            "resp_pkts": resp_pkts,
            "resp_ip_bytes": resp_pkts * header + np.where(unset, 0, resp_bytes),
            "tunnel_draw": tunnel_draw,
            "parents_a": parents_a,
            "parents_b": parents_b,
        }
    )
    unset_int = ("duration", "orig_bytes", "resp_bytes")
    return frame.select(
        _decimal6(pl.col("ts")).alias("ts"),
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
        "service",
        pl.when(pl.col("duration") >= 0).then(_decimal6(pl.col("duration"))).alias("duration"),
        *(pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in unset_int[1:]),
        "conn_state",
        "local_orig",
        "missed_bytes",
        "history",
        "orig_pkts",
        "orig_ip_bytes",
        "resp_pkts",
        "resp_ip_bytes",
        pl.when(pl.col("tunnel_draw") < 0.995)
        .then(pl.lit("(empty)"))
        .when(pl.col("tunnel_draw") < 0.999)
        .then(pl.col("parents_a"))
        .otherwise(pl.concat_str("parents_a", pl.lit(","), "parents_b"))
        .alias("tunnel_parents"),
        pl.lit(None, dtype=pl.String).alias("threat"),
        pl.lit(None, dtype=pl.String).alias("sample"),
    )


def _stamp(epoch_s: float) -> str:
    """Format an epoch as Zeek's ``#open``/``#close`` stamp (``%Y-%m-%d-%H-%M-%S``)."""
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")


def write_conn_log(out: Path, rows: int, seed: int) -> None:
    """Write a complete Zeek TSV conn.log with ``rows`` data lines to ``out``."""
    body = generate(rows, seed)
    first_ts = float(body["ts"][0]) if rows else START_EPOCH_S
    last_ts = float(body["ts"][-1]) if rows else START_EPOCH_S
    header = "".join(
        [
            "#separator \\x09\n",
            "#set_separator\t,\n",
            "#empty_field\t(empty)\n",
            "#unset_field\t-\n",
            "#path\tconn\n",
            f"#open\t{_stamp(first_ts)}\n",
            "#fields\t" + "\t".join(FIELDS) + "\n",
            "#types\t" + "\t".join(TYPES) + "\n",
        ]
    )
    with out.open("wb") as fh:
        fh.write(header.encode())
        if rows:
            # No value contains a tab, newline or quote, so no quoting is ever needed, and Zeek
            # never quotes: "never" keeps any stray '"' literal.
            body.write_csv(
                fh, separator="\t", include_header=False, quote_style="never", null_value="-"
            )
        # Bro rotates hourly-ish; a close stamp a little after the last record looks real.
        fh.write(f"#close\t{_stamp(last_ts + 7.0)}\n".encode())


def gzip_file(src: Path, dst: Path) -> str:
    """Compress ``src`` to ``dst`` at level 6 and return which compressor was used.

    The ``gzip`` binary (``-n``: no name or mtime, so the output is deterministic) is used when
    present because it runs outside the interpreter; otherwise Python's ``gzip`` with
    ``mtime=0``. Both are DEFLATE level 6, the level ``gzip`` and Zeek's log rotation default to.
    """
    gzip_bin = shutil.which("gzip")
    if gzip_bin is not None:
        import subprocess

        with dst.open("wb") as fh:
            subprocess.run([gzip_bin, "-6", "-n", "-c", str(src)], stdout=fh, check=True)
        return f"{gzip_bin} -6 -n"
    with (
        src.open("rb") as fin,
        dst.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) as fout,
    ):
        shutil.copyfileobj(fin, fout, length=1 << 20)
    return "python gzip level 6 (mtime=0)"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the log (and its .gz), report sizes and timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output conn.log path")
    parser.add_argument("--rows", type=int, default=2_000_000, help="data rows (default 2M)")
    parser.add_argument("--seed", type=int, default=2012, help="random seed (default 2012)")
    parser.add_argument("--gzip", action="store_true", help="also write OUT.gz (level 6)")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_conn_log(args.out, args.rows, args.seed)
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
