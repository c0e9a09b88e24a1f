"""Expressions on addresses: :func:`in_subnet` and :func:`community_id`."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Union

import polars as pl

__all__ = ["community_id", "in_subnet"]

IntoColumn = Union[str, pl.Expr]


def _as_text(column: IntoColumn) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.String)


def in_subnet(column: IntoColumn, networks: str | Sequence[str]) -> pl.Expr:
    """Whether each address of ``column`` is in one of ``networks``.

    ``networks`` are IPv4 and IPv6 networks in CIDR notation (``"10.0.0.0/8"``,
    ``"2001:db8::/32"``) or single addresses, as many as needed: they are merged into
    sorted ranges, so each address costs one binary search. Bits past the prefix are
    ignored, as Zeek reads a subnet (``10.1.2.3/8`` is ``10.0.0.0/8``), and addresses
    are held as Zeek holds them: an IPv4-mapped IPv6 address (``::ffff:10.0.0.1``) is its
    IPv4 address, so an IPv6 network that holds mapped addresses (``::/0``,
    ``::ffff:10.0.0.0/104``) holds those IPv4 addresses too. A null address
    gives null; a value that is not an address is an error, as is a bad network (raised
    here, before any data is read).

    Given to :func:`zeekframe.read_zeek` or :func:`zeekframe.scan_zeek` as ``filter=`` (or
    in a LazyFrame's ``filter``), it runs inside the parser, which keeps only the matching
    rows.

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> df = pl.DataFrame({"id.orig_h": ["192.168.1.5", "10.0.0.1", "2001:dbb::1", None]})
        >>> nets = ["192.168.0.0/16", "2001:dbb::/32"]
        >>> df.select(zf.in_subnet("id.orig_h", nets))["id.orig_h"].to_list()
        [True, False, True, None]
    """
    from zeekframe import _core, _plugins

    listed = [networks] if isinstance(networks, str) else [str(n) for n in networks]
    _core.check_networks(listed)
    return _plugins.call("in_subnet", _as_text(column), _plugins.texts(listed))


def community_id(
    orig_h: IntoColumn = "id.orig_h",
    resp_h: IntoColumn = "id.resp_h",
    orig_p: IntoColumn = "id.orig_p",
    resp_p: IntoColumn = "id.resp_p",
    proto: IntoColumn = "proto",
    *,
    seed: int = 0,
    base64: bool = True,
) -> pl.Expr:
    """The Community ID (v1) of each flow, as Zeek, Suricata and other tools compute it.

    Defaults read a conn log's ``id.*`` and ``proto`` columns. ``proto`` may be Zeek's
    transport enum (``tcp``, ``udp``, ``icmp``, which between IPv6 addresses means
    ICMPv6) or an IP protocol number column (such as ``ip_proto``). For ICMP the ports
    are the type and code as Zeek logs them. The result is ``"1:"`` and the base64 (or,
    with ``base64=False``, hex) SHA-1 of the ordered flow tuple, seeded with ``seed``; it
    is null where an input is null, the protocol is ``unknown_transport``, or the two
    addresses are of different families. Rows are hashed on all cores.

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> conn = pl.DataFrame({"id.orig_h": ["1.2.3.4"], "id.orig_p": [1122],
        ...     "id.resp_h": ["5.6.7.8"], "id.resp_p": [3344], "proto": ["tcp"]})
        >>> conn.select(zf.community_id())["community_id"].to_list()
        ['1:wCb3OG7yAFWelaUydu0D+125CLM=']
    """
    from zeekframe import _plugins

    if not 0 <= seed <= 0xFFFF:
        raise ValueError(f"seed={seed} is not a 16-bit number (0-65535)")
    ports = [(pl.col(p) if isinstance(p, str) else p).cast(pl.Int64) for p in (orig_p, resp_p)]
    args = [_as_text(orig_h), _as_text(resp_h), *ports, _as_text(proto)]
    config = struct.pack("<HB", seed, bool(base64))
    return _plugins.call("community_id", args, config).alias("community_id")
