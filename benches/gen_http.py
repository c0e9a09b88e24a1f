"""Generate a synthetic Zeek TSV ``http.log`` shaped like the report's exploit-kit traffic.

The report's second file is a Bro 2.x ``http.log`` of 807,537 requests captured between July
2011 and July 2014 from victim machines (one per capture, ``192.168.N.10``) browsing to
compromised sites that sent them on to exploit kits. It is not redistributable, so the
pushdown benchmarks read this stand-in, built from what the report shows of it:

- sessions: each capture is one victim's browsing, a few seconds to minutes of requests, with
  long gaps between captures; ``ts`` spans 2011-07-22 to 2014-07-14 in order;
- keep-alive connections (``trans_depth`` counts requests on one ``uid``), Windows XP/7
  clients and their ephemeral ports, a handful of hosts per page plus ad and analytics hosts;
- ports: mostly 80, some 8080; about 3.5% of rows elsewhere (81, 19910, 8000, 443, ...),
  because some exploit kits listened on odd ports; the report's "different ports to 80 and
  8080" query finds these rows;
- ``resp_mime_types``: mostly one type (``text/html``, ``image/gif``, ...), about 1% two,
  unset when there was no body; exploit payloads (``application/x-java-applet``,
  ``application/pdf``, ...) and executables (``application/x-dosexec``, ``binary``, ...),
  a few percent overall, come mostly from the exploit-kit connections;
- URIs hold what a reader must keep as data: ``#`` fragments and ``"`` in queries. Referrers
  repeat the previous request's URL, so they carry both too.

Random draws are numpy-vectorized; strings are assembled and written by Polars, so the
default 800,000 rows take a few seconds. The output is a pure function of ``(rows, seed)``.

Usage::

    python benches/gen_http.py OUT --rows 800000 --seed 2014 [--gzip] [--validate]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from gen_conn import _decimal6, _draw, _gather, _stamp, _uids, _zipf, gzip_file

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

DEFAULT_ROWS = 800_000
DEFAULT_SEED = 2014

#: Bro 2.x http.log fields, in the order the report lists them.
FIELDS: tuple[str, ...] = (
    *("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth"),
    *("method", "host", "uri", "referrer", "user_agent", "request_body_len"),
    *("response_body_len", "status_code", "status_msg", "info_code", "info_msg", "filename"),
    *("tags", "username", "password", "proxied", "orig_fuids", "orig_mime_types"),
    *("resp_fuids", "resp_mime_types"),
)
TYPES: tuple[str, ...] = (
    *("time", "string", "addr", "port", "addr", "port", "count", "string", "string"),
    *("string", "string", "string", "count", "count", "count", "string", "count", "string"),
    *("string", "set[enum]", "string", "string", "set[string]", "vector[string]"),
    *("vector[string]", "vector[string]", "vector[string]"),
)

#: The report's first and last rows are 2011-07-22 17:08 and 2014-07-14 08:44 UTC.
START = datetime(2011, 7, 22, 17, 0, tzinfo=timezone.utc)
END = datetime(2014, 7, 14, 9, 0, tzinfo=timezone.utc)
START_US = int(START.timestamp()) * 1_000_000
SPAN_US = int((END - START).total_seconds()) * 1_000_000

#: 800k rows make about 5,000 captures; session and connection lengths are geometric.
MEAN_SESSION_ROWS = 160
MEAN_CONNECTION_ROWS = 1.8
#: Within a capture requests follow each other closely, with now and then a pause to read.
REQUEST_GAP_S = 0.8
PAUSE_SHARE, PAUSE_S = 0.03, 25.0

#: Share of connections that go to the capture's exploit kit rather than the sites around it.
EK_CONNECTION_SHARE = 0.11
#: Where a capture's exploit kit listens; 0 means a random high port. The odd ports together
#: (30%) times the exploit-kit share, plus the few ordinary odd-port requests, put about 3.6%
#: of rows outside 80/8080.
EK_PORTS = {
    80: 0.62,
    8080: 0.08,
    81: 0.08,
    19910: 0.03,
    8000: 0.04,
    443: 0.02,
    8081: 0.02,
    82: 0.02,
    8888: 0.02,
    1337: 0.01,
    0: 0.06,
}
#: Ordinary sites: 8080 for a few, and a sliver on other ports.
PLAIN_8080_SHARE = 0.015
PLAIN_ODD_SHARE = 0.003
PLAIN_ODD_PORTS = {8000: 0.4, 81: 0.2, 443: 0.2, 8888: 0.2}

#: Servers of ordinary sites; a capture's requests mostly go to its site's few hosts, the
#: rest to hosts every page embeds (ads, analytics, CDNs), which lead the list.
SERVERS = 20_000
SITE_SHARE = 0.5
POPULAR_HOSTS = (
    *("www.google-analytics.com", "ajax.googleapis.com", "pagead2.googlesyndication.com"),
    *("www.facebook.com", "static.ak.fbcdn.net", "platform.twitter.com", "www.google.com"),
    *("ad.doubleclick.net", "googleads.g.doubleclick.net", "b.scorecardresearch.com"),
    *("s7.addthis.com", "connect.facebook.net", "fonts.googleapis.com", "apis.google.com"),
)
SYLLABLES = (
    *("ka", "lo", "mi", "ne", "ra", "so", "tu", "vi", "ze", "bar", "con", "del", "fin"),
    *("gal", "hos", "ink", "jet", "max", "net", "pro", "quo", "star", "tech", "web", "zone"),
    *("news", "shop", "blog", "art", "media", "soft", "club", "city", "land", "line"),
)
SITE_TLDS = {"com": 0.55, "net": 0.1, "org": 0.1, "info": 0.05, "co.uk": 0.05, "de": 0.05}
SITE_TLDS |= {"ru": 0.04, "br": 0.03, "fr": 0.03}
EK_TLDS = {"ru": 0.25, "in": 0.15, "info": 0.15, "biz": 0.1, "pl": 0.1, "com": 0.1, "eu": 0.15}
LETTERS = b"abcdefghijklmnopqrstuvwxyz"
ALNUM = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: First octets of public address blocks (no private, loopback or multicast ranges).
PUBLIC_OCTETS = (
    *(23, 31, 37, 46, 50, 54, 62, 66, 69, 72, 74, 77, 78, 80, 82, 85, 88, 91, 93, 95),
    *(104, 108, 109, 141, 173, 176, 178, 184, 188, 193, 195, 199, 204, 208, 209, 212, 213),
)

#: Victims: XP with IE 6-8 (ephemeral ports 1025-5000) or Windows 7 (49152-65535).
XP_AGENTS = (
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)",
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 2.0.50727)",
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
    "Mozilla/5.0 (Windows NT 5.1; rv:12.0) Gecko/20100101 Firefox/12.0",
)
WIN7_AGENTS = (
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/34.0.1847.131 Safari/537.36",
)
#: The exploit kit's Java payloads are fetched by the plug-in, with its own agent.
JAVA_AGENTS = (
    "Mozilla/4.0 (Windows XP 5.1) Java/1.6.0_26",
    "Mozilla/4.0 (Windows 7 6.1) Java/1.7.0_21",
)
XP_SHARE = 0.6
AGENT_UNSET_SHARE = 0.003

METHODS = ("GET", "POST", "HEAD", "OPTIONS")
METHOD_SHARES = {0: 0.935, 1: 0.055, 2: 0.008, 3: 0.002}
GET, POST, HEAD = 0, 1, 2
#: (code, message); ``None`` is a request that got no response (both fields unset).
STATUSES: tuple[tuple[int, str] | None, ...] = (
    (200, "OK"),
    (304, "Not Modified"),
    (302, "Found"),
    (404, "Not Found"),
    (301, "Moved Permanently"),
    (206, "Partial Content"),
    (403, "Forbidden"),
    (500, "Internal Server Error"),
    None,
)
STATUS_SHARES = {0: 0.84, 1: 0.05, 2: 0.04, 3: 0.035, 4: 0.015, 5: 0.005, 6: 0.005, 7: 0.005}
STATUS_SHARES[8] = 0.005
NO_BODY_STATUSES = (1, 8)
#: Statuses whose body, if any, is the server's HTML page rather than the resource.
HTML_STATUSES = (2, 3, 4, 6, 7)

MIMES = (
    *("text/html", "image/gif", "image/jpeg", "image/png", "text/plain", "application/xml"),
    *("image/x-icon", "text/xml", "application/x-gzip", "application/ocsp-response"),
    # the report's exploit types
    *("application/x-java-applet", "application/pdf", "application/zip", "application/jar"),
    "application/x-shockwave-flash",
    # the report's executable types
    *("application/x-dosexec", "application/octet-stream", "binary"),
    "application/vnd.ms-cab-compressed",
)
M = {name: i for i, name in enumerate(MIMES)}
#: Ordinary pages: a little legitimate Flash, PDF, ZIP and downloads.
PLAIN_MIME_SHARES = {
    M["text/html"]: 0.40,
    M["image/gif"]: 0.17,
    M["image/jpeg"]: 0.15,
    M["image/png"]: 0.10,
    M["text/plain"]: 0.12,
    M["application/xml"]: 0.01,
    M["image/x-icon"]: 0.01,
    M["text/xml"]: 0.005,
    M["application/x-gzip"]: 0.002,
    M["application/ocsp-response"]: 0.003,
    M["application/x-shockwave-flash"]: 0.006,
    M["application/pdf"]: 0.001,
    M["application/zip"]: 0.001,
    M["application/octet-stream"]: 0.002,
}
#: The exploit kit: landing pages, then whatever exploits and payloads it serves.
EK_MIME_SHARES = {
    M["text/html"]: 0.45,
    M["image/gif"]: 0.05,
    M["text/plain"]: 0.08,
    M["application/x-java-applet"]: 0.08,
    M["application/pdf"]: 0.05,
    M["application/zip"]: 0.03,
    M["application/jar"]: 0.04,
    M["application/x-shockwave-flash"]: 0.05,
    M["application/x-dosexec"]: 0.09,
    M["application/octet-stream"]: 0.04,
    M["binary"]: 0.03,
    M["application/vnd.ms-cab-compressed"]: 0.01,
}
JAVA_MIMES = (M["application/x-java-applet"], M["application/jar"])
EXECUTABLE_MIMES = (M["application/x-dosexec"], M["application/octet-stream"], M["binary"])
#: (median bytes, log-normal sigma) of a response body, per MIME type.
BODY_SIZES = {
    M["text/html"]: (9_000, 1.4),
    M["image/gif"]: (400, 1.6),
    M["image/jpeg"]: (12_000, 1.2),
    M["image/png"]: (3_000, 1.3),
    M["text/plain"]: (6_000, 1.5),
    M["application/x-java-applet"]: (15_000, 0.6),
    M["application/pdf"]: (20_000, 0.8),
    M["application/zip"]: (18_000, 0.9),
    M["application/jar"]: (16_000, 0.6),
    M["application/x-shockwave-flash"]: (25_000, 1.0),
    M["application/x-dosexec"]: (150_000, 0.7),
    M["application/octet-stream"]: (120_000, 1.0),
    M["binary"]: (110_000, 0.8),
    M["application/vnd.ms-cab-compressed"]: (60_000, 0.6),
}
DEFAULT_BODY_SIZE = (1_500, 1.2)
#: A body the file analysis could not type.
MIME_UNSET_SHARE = 0.02
#: Two files in one response (multipart/byteranges): the classification must look at both.
MULTI_MIME_SHARE = 0.01

#: Extensions that go with each type (a few choices, padded by repetition).
EXTENSIONS: dict[int, tuple[str, str, str]] = {
    M["text/html"]: (".php", ".html", "/"),
    M["image/gif"]: (".gif", ".gif", ".php"),
    M["image/jpeg"]: (".jpg", ".jpeg", ".jpg"),
    M["image/png"]: (".png", ".png", ".png"),
    M["text/plain"]: (".js", ".css", ".txt"),
    M["application/x-java-applet"]: (".jar", "", ".php"),
    M["application/pdf"]: (".pdf", "", ".php"),
    M["application/zip"]: (".zip", "", ".php"),
    M["application/jar"]: (".jar", ".jar", ""),
    M["application/x-shockwave-flash"]: (".swf", ".swf", ""),
    M["application/x-dosexec"]: (".exe", "", ".php"),
    M["binary"]: ("", ".bin", ".php"),
}
NO_EXTENSION = ("", ".php", ".aspx")
DIRECTORIES = (
    *("images", "img", "js", "css", "wp-content/uploads/2012/05", "wp-includes/js", "media"),
    *("static", "ads", "banners", "cgi-bin", "includes", "templates/default", "news", "forum"),
    *("assets", "scripts", "pixel", "track", "modules/mod_banners", "content/dam", "public"),
)
QUERY_KEYS = ("id", "v", "ver", "p", "page", "s", "ref", "t", "cb", "r", "utmn", "sid", "lang")
SITE_ROOT_SHARE, QUERY_SHARE, EK_QUERY_SHARE = 0.06, 0.35, 0.6
#: Fragments and double quotes: data inside a field, never a comment or a quote.
FRAGMENT_SHARE = 0.004
FRAGMENTS = ("top", "comments", "respond", "!/home", "page=2", "", "section-3", "more")
QUOTE_SHARE = 0.002
QUOTED_WORDS = ("free download", "flash player", "java update", "news", "video", "login")
REFERRER_SHARE = 0.65

#: Request bodies, and the types file analysis gave them.
POST_BODY_SIZE = (400, 1.3)
ORIG_MIMES = ("text/plain", "application/octet-stream", "application/xml")
ORIG_MIME_SHARES = {0: 0.7, 1: 0.2, 2: 0.1}
CONTINUE_SHARE = 0.02  # of POSTs: a "100 Continue" before the answer
DOWNLOAD_NAMES = ("update.exe", "setup.exe", "flashplayer.exe", "invoice.pdf.exe", "java.exe")
FILENAME_SHARE = 0.05  # of executables: the server named the file
SQLI_SHARE = 0.001
PROXIED_SHARE = 0.002


def _tokens(rng: np.random.Generator, alphabet: bytes, lengths: Ints) -> pl.Series:
    """Return random strings over ``alphabet``, one per entry of ``lengths``."""
    n = len(lengths)
    width = max(int(lengths.max()), 1) if n else 1
    letters = np.frombuffer(alphabet, dtype=np.uint8)
    chars = letters[rng.integers(0, len(letters), size=(n, width))]
    # One fixed-width bytes item per row: Polars takes that as Binary without a Python loop.
    full = pl.Series(np.ascontiguousarray(chars).view(f"S{width}").ravel()).cast(pl.String)
    return full.str.head(pl.Series(lengths, dtype=pl.Int64))


def _pick(values: list[int | None] | list[str | None], idx: Ints) -> pl.Series:
    """Map indices to values that may be ``None`` (unset), in Rust."""
    return pl.Series(values).gather(pl.Series(idx, dtype=pl.UInt32))


def _domains(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` made-up site names such as ``www.starnews.com``."""
    syllables = rng.integers(0, len(SYLLABLES), size=(count, 4))
    sizes = rng.integers(2, 5, size=count)
    tlds = _draw(rng, SITE_TLDS, count)
    prefixes = _draw(rng, {"www.": 0.45, "": 0.4, "static.": 0.05, "img.": 0.05, "m.": 0.05}, count)
    return [
        f"{prefix}{''.join(SYLLABLES[s] for s in row[:size])}.{tld}"
        for prefix, row, size, tld in zip(prefixes, syllables, sizes, tlds)
    ]


def _addresses(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` public-looking IPv4 addresses."""
    octets = rng.integers(1, 255, size=(count, 3))
    firsts = rng.choice(np.array(PUBLIC_OCTETS), size=count)
    return [f"{a}.{b}.{c}.{d}" for a, (b, c, d) in zip(firsts, octets)]


def _gap_us(rng: np.random.Generator, new_session: Mask) -> Ints:
    """Return the time from each row to the next, so that the rows fill START..END in order.

    Requests inside a capture are close together; the time left over is shared out between
    captures as exponential gaps, so captures never overlap.
    """
    n = len(new_session)
    within = rng.exponential(REQUEST_GAP_S * 1e6, n)
    within = np.where(rng.random(n) < PAUSE_SHARE, rng.exponential(PAUSE_S * 1e6, n), within)
    within = np.where(new_session, 0.0, within)
    between = np.where(new_session, rng.exponential(1.0, n), 0.0)
    # Leave a margin of one average gap after the last capture.
    spare = max(SPAN_US - float(within.sum()), 0.0)
    between *= spare / (float(between.sum()) + 1.0)
    return (within + between).astype(np.int64)


def generate(rows: int, seed: int) -> pl.DataFrame:
    """Build the http.log body (``rows`` > 0) as text and integer columns (nulls become ``-``)."""
    rng = np.random.default_rng(seed)
    n = rows
    row = np.arange(n)

    # Captures (sessions) and keep-alive connections, as runs of consecutive rows.
    new_session = rng.random(n) < 1 / MEAN_SESSION_ROWS
    new_session[:1] = True
    session = np.cumsum(new_session) - 1
    n_sessions = int(session[-1]) + 1
    new_conn = new_session | (rng.random(n) < 1 / MEAN_CONNECTION_ROWS)
    conn = np.cumsum(new_conn) - 1
    conn_first_row = np.flatnonzero(new_conn)
    n_conns = len(conn_first_row)
    conn_session = session[conn_first_row]
    session_first_conn = np.flatnonzero(new_session[conn_first_row])
    conn_in_session = np.arange(n_conns) - session_first_conn[conn_session]
    trans_depth = row - conn_first_row[conn] + 1
    ts_us = START_US + np.cumsum(_gap_us(rng, new_session))

    # The victim of each capture: 192.168.N.10, XP or Windows 7, one browser.
    victim = rng.integers(1, 255, n_sessions)
    is_xp = rng.random(n_sessions) < XP_SHARE
    first_port = np.where(
        is_xp, rng.integers(1025, 5000, n_sessions), rng.integers(49152, 65536, n_sessions)
    )
    low, high = np.where(is_xp, 1025, 49152), np.where(is_xp, 5000, 65536)
    # Each new connection takes the next ephemeral port, wrapping inside the OS's range.
    s = conn_session
    conn_orig_p = low[s] + (first_port[s] - low[s] + conn_in_session) % (high[s] - low[s])
    agent = np.where(
        is_xp,
        rng.integers(0, len(XP_AGENTS), n_sessions),
        len(XP_AGENTS) + rng.integers(0, len(WIN7_AGENTS), n_sessions),
    )
    java_agent = len(XP_AGENTS) + len(WIN7_AGENTS) + np.where(is_xp, 0, 1)

    # Servers: the capture's site and the hosts every page embeds; or its exploit kit.
    conn_ek = rng.random(n_conns) < EK_CONNECTION_SHARE
    ek_port = _draw(rng, EK_PORTS, n_sessions).astype(np.int64)
    ek_port = np.where(ek_port == 0, rng.integers(10_000, 60_000, n_sessions), ek_port)
    plain_port = np.where(rng.random(n_conns) < PLAIN_8080_SHARE, 8080, 80)
    odd = _draw(rng, PLAIN_ODD_PORTS, n_conns).astype(np.int64)
    plain_port = np.where(rng.random(n_conns) < PLAIN_ODD_SHARE, odd, plain_port)
    conn_port = np.where(conn_ek, ek_port[conn_session], plain_port)
    site = rng.integers(0, SERVERS, n_sessions)
    near_site = (site[conn_session] + rng.geometric(0.35, n_conns) - 1) % SERVERS
    popular = rng.choice(SERVERS, size=n_conns, p=_zipf(SERVERS, 1.1, 1.0))
    server = np.where(rng.random(n_conns) < SITE_SHARE, near_site, popular)
    server = np.where(conn_ek, SERVERS + conn_session, server)
    names = [*POPULAR_HOSTS, *_domains(rng, SERVERS - len(POPULAR_HOSTS))]
    ek_names = _tokens(rng, LETTERS, rng.integers(5, 13, n_sessions)).to_list()
    ek_tlds = _draw(rng, EK_TLDS, n_sessions)
    names += [f"{name}.{tld}" for name, tld in zip(ek_names, ek_tlds)]
    addresses = _addresses(rng, SERVERS + n_sessions)
    # Exploit kits are often reached by address rather than by name.
    host_is_address = rng.random(n_conns) < np.where(conn_ek, 0.3, 0.03)

    # Requests and responses.
    ek = conn_ek[conn]
    method = _draw(rng, METHOD_SHARES, n).astype(np.int64)
    status = _draw(rng, STATUS_SHARES, n).astype(np.int64)
    mime = np.where(ek, _draw(rng, EK_MIME_SHARES, n), _draw(rng, PLAIN_MIME_SHARES, n)).astype(
        np.int64
    )
    mime = np.where(np.isin(status, HTML_STATUSES), M["text/html"], mime)
    no_body = (method == HEAD) | np.isin(status, NO_BODY_STATUSES)
    medians = np.full(len(MIMES), DEFAULT_BODY_SIZE[0], dtype=np.float64)
    sigmas = np.full(len(MIMES), DEFAULT_BODY_SIZE[1], dtype=np.float64)
    for index, (median, sigma) in BODY_SIZES.items():
        medians[index], sigmas[index] = median, sigma
    body = rng.lognormal(np.log(medians[mime]), sigmas[mime]).astype(np.int64) + 1
    body = np.where(np.isin(status, HTML_STATUSES), rng.integers(150, 3000, n), body)
    body = np.where(no_body, 0, body)
    has_mime = (body > 0) & (rng.random(n) >= MIME_UNSET_SHARE)
    second = has_mime & (rng.random(n) < MULTI_MIME_SHARE)
    second_mime = np.where(
        ek, _draw(rng, EK_MIME_SHARES, n), _draw(rng, PLAIN_MIME_SHARES, n)
    ).astype(np.int64)
    is_post = method == POST
    request_body = np.where(
        is_post, rng.lognormal(np.log(POST_BODY_SIZE[0]), POST_BODY_SIZE[1], n), 0
    ).astype(np.int64)
    is_java = np.isin(mime, JAVA_MIMES)
    ua = np.where(is_java, java_agent[session], agent[session])
    ua = np.where(rng.random(n) < AGENT_UNSET_SHARE, -1, ua)

    # URI pieces: ordinary paths, or the exploit kit's random-looking ones.
    extension_table = [NO_EXTENSION] * len(MIMES)
    for index, choices in EXTENSIONS.items():
        extension_table[index] = choices
    extension = mime * 3 + rng.integers(0, 3, n)
    token_a = _tokens(rng, ALNUM, rng.integers(8, 25, n))
    token_b = _tokens(rng, ALNUM, rng.integers(10, 41, n))
    key_token = _tokens(rng, LETTERS, rng.integers(1, 4, n))
    file_token = _tokens(rng, LETTERS, rng.integers(3, 11, n))
    first_fuid = _uids(rng, n)
    second_fuid = _uids(rng, n)
    orig_fuid = _uids(rng, n)
    frame = pl.DataFrame(
        {
            "ts": ts_us,
            "uid": _uids(rng, n_conns).gather(pl.Series(conn, dtype=pl.UInt32)),
            "id.orig_h": _gather([f"192.168.{k}.10" for k in range(256)], victim[session]),
            "id.orig_p": conn_orig_p[conn],
            "id.resp_h": _gather(addresses, server[conn]),
            "id.resp_p": conn_port[conn],
            "name": _gather(names, server[conn]),
            "host_is_address": host_is_address[conn],
            "trans_depth": trans_depth,
            "method": _gather(list(METHODS), method),
            "ek": ek,
            "site_root": rng.random(n) < SITE_ROOT_SHARE,
            "directory": _gather(list(DIRECTORIES), rng.integers(0, len(DIRECTORIES), n)),
            "file": file_token,
            "extension": _gather([e for row in extension_table for e in row], extension),
            "query": rng.random(n) < np.where(ek, EK_QUERY_SHARE, QUERY_SHARE),
            "query_key": _gather(list(QUERY_KEYS), rng.integers(0, len(QUERY_KEYS), n)),
            "query_value": rng.integers(0, 1_000_000, n),
            "quoted": (rng.random(n) < QUOTE_SHARE) & ~ek,
            "quoted_word": _gather(list(QUOTED_WORDS), rng.integers(0, len(QUOTED_WORDS), n)),
            "fragment": (rng.random(n) < FRAGMENT_SHARE) & ~ek,
            "fragment_word": _gather(list(FRAGMENTS), rng.integers(0, len(FRAGMENTS), n)),
            "token_a": token_a,
            "token_b": token_b,
            "key_token": key_token,
            "referred": ~new_session & (rng.random(n) < REFERRER_SHARE),
            "user_agent": _gather([*XP_AGENTS, *WIN7_AGENTS, *JAVA_AGENTS], np.maximum(ua, 0)),
            "agent_unset": ua < 0,
            "request_body_len": request_body,
            "response_body_len": body,
            "status_code": _pick([None if x is None else x[0] for x in STATUSES], status),
            "status_msg": _pick([None if x is None else x[1] for x in STATUSES], status),
            "continue": is_post & (rng.random(n) < CONTINUE_SHARE),
            "filename": _gather(list(DOWNLOAD_NAMES), rng.integers(0, len(DOWNLOAD_NAMES), n)),
            "named": np.isin(mime, EXECUTABLE_MIMES) & (rng.random(n) < FILENAME_SHARE),
            "sqli": rng.random(n) < SQLI_SHARE,
            "proxied": rng.random(n) < PROXIED_SHARE,
            "orig_fuid": orig_fuid,
            "orig_mime": _gather(list(ORIG_MIMES), _draw(rng, ORIG_MIME_SHARES, n)),
            "first_fuid": first_fuid,
            "second_fuid": second_fuid,
            "has_mime": has_mime,
            "second": second,
            "mime": _gather(list(MIMES), mime),
            "second_mime": _gather(list(MIMES), second_mime),
        }
    )
    return _format(frame)


def _format(frame: pl.DataFrame) -> pl.DataFrame:
    """Assemble the log's text columns from the drawn pieces; null is written as ``-``."""
    col, lit = pl.col, pl.lit
    port = col("id.resp_p")
    # A browser names the port in the Host header when it is not 80.
    host = pl.concat_str(
        pl.when(col("host_is_address")).then(col("id.resp_h")).otherwise(col("name")),
        pl.when(port != 80).then(pl.concat_str(lit(":"), port.cast(pl.String))).otherwise(lit("")),
    )
    plain_query = pl.concat_str(
        lit("?"), col("query_key"), lit("="), col("query_value").cast(pl.String)
    )
    plain_uri = pl.concat_str(
        lit("/"),
        col("directory"),
        lit("/"),
        col("file"),
        col("extension"),
        pl.when(col("quoted"))
        .then(pl.concat_str(lit('?q="'), col("quoted_word"), lit('"')))
        .when(col("query"))
        .then(plain_query)
        .otherwise(lit("")),
    )
    ek_uri = pl.concat_str(
        lit("/"),
        col("token_a"),
        col("extension"),
        pl.when(col("query"))
        .then(pl.concat_str(lit("?"), col("key_token"), lit("="), col("token_b")))
        .otherwise(lit("")),
    )
    uri = pl.concat_str(
        pl.when(col("ek")).then(ek_uri).when(col("site_root")).then(lit("/")).otherwise(plain_uri),
        pl.when(col("fragment"))
        .then(pl.concat_str(lit("#"), col("fragment_word")))
        .otherwise(lit("")),
    )
    mime_types = pl.concat_str(
        col("mime"),
        pl.when(col("second")).then(pl.concat_str(lit(","), col("second_mime"))).otherwise(lit("")),
    )

    def file_id(uid: str) -> pl.Expr:
        # Bro's file ids look like its connection uids, with an "F" for the "C".
        return pl.concat_str(lit("F"), col(uid).str.slice(1))

    resp_fuids = pl.concat_str(
        file_id("first_fuid"),
        pl.when(col("second"))
        .then(pl.concat_str(lit(","), file_id("second_fuid")))
        .otherwise(lit("")),
    )
    posted = col("request_body_len") > 0
    with_text = frame.with_columns(host.alias("host"), uri.alias("uri"))
    return with_text.select(
        _decimal6(col("ts")).alias("ts"),
        *("uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth", "method"),
        "host",
        "uri",
        pl.when(col("referred"))
        .then(pl.concat_str(lit("http://"), col("host").shift(1), col("uri").shift(1)))
        .alias("referrer"),
        pl.when(~col("agent_unset")).then(col("user_agent")).alias("user_agent"),
        "request_body_len",
        "response_body_len",
        "status_code",
        "status_msg",
        pl.when(col("continue")).then(lit(100)).alias("info_code"),
        pl.when(col("continue")).then(lit("Continue")).alias("info_msg"),
        pl.when(col("named")).then(col("filename")).alias("filename"),
        pl.when(col("sqli")).then(lit("HTTP::URI_SQLI")).otherwise(lit("(empty)")).alias("tags"),
        lit(None, dtype=pl.String).alias("username"),
        lit(None, dtype=pl.String).alias("password"),
        pl.when(col("proxied")).then(lit("VIA -> 1.1 proxy.example.net:3128")).alias("proxied"),
        pl.when(posted).then(file_id("orig_fuid")).alias("orig_fuids"),
        pl.when(posted).then(col("orig_mime")).alias("orig_mime_types"),
        pl.when(col("has_mime")).then(resp_fuids).alias("resp_fuids"),
        pl.when(col("has_mime")).then(mime_types).alias("resp_mime_types"),
    )


def write_http_log(out: Path, rows: int, seed: int) -> None:
    """Write a complete Zeek TSV http.log with ``rows`` data lines to ``out``."""
    body = generate(rows, seed) if rows else None
    first_ts = float(body["ts"][0]) if body is not None else START_US / 1e6
    last_ts = float(body["ts"][-1]) if body is not None else START_US / 1e6
    header = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\thttp",
        f"#open\t{_stamp(first_ts)}",
        "#fields\t" + "\t".join(FIELDS),
        "#types\t" + "\t".join(TYPES),
    ]
    with out.open("wb") as fh:
        fh.write(("\n".join(header) + "\n").encode())
        if body is not None:
            # Zeek never quotes: a '"' in a URI is written as it is. No value holds a tab.
            body.write_csv(
                fh, separator="\t", include_header=False, quote_style="never", null_value="-"
            )
        fh.write(f"#close\t{_stamp(last_ts + 5.0)}\n".encode())


def validate(path: Path, rows: int) -> list[str]:
    """Read ``path`` back with zeekframe and return what does not look like the report's log.

    The row count must be exact; the share of rows on ports other than 80/8080 (the report's
    query) must be 3-4%, and exploit and executable responses must be present.
    """
    import zeekframe as zf

    frame = zf.read_zeek(path, mime_categories=zf.REPORT_MIME_CATEGORIES)
    problems: list[str] = []
    if frame.height != rows:
        problems.append(f"{frame.height} rows read, {rows} written")
    if rows >= 10_000:
        odd = frame.filter(~pl.col("id.resp_p").is_in([80, 8080])).height / frame.height
        if not 0.03 <= odd <= 0.04:
            problems.append(f"{odd:.2%} of rows off 80/8080, expected 3-4%")
        categorized = frame.filter(pl.col("mime_category").is_not_null()).height / frame.height
        if not 0.01 <= categorized <= 0.1:
            problems.append(f"{categorized:.2%} exploit/executable responses, expected a few %")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the log (and its .gz), report sizes and timings."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output http.log path")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="data rows (default 800k)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2014)")
    parser.add_argument("--gzip", action="store_true", help="also write OUT.gz (level 6)")
    parser.add_argument(
        "--validate", action="store_true", help="read the log back with zeekframe and check it"
    )
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_http_log(args.out, args.rows, args.seed)
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
    if args.validate:
        problems = validate(args.out, args.rows)
        for problem in problems:
            print(f"invalid: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("valid: zeekframe reads it back as expected", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
