"""Demo data: a conn.log and an http.log shaped like the report's, made on the spot.

The report's own logs (MACCDC 2012 conn traffic, exploit-kit HTTP captures from 2011 to
2014) cannot be redistributed; the demo logs have their shape: port scans, heavy hitters and
an IPv6 host in conn.log; victims at 192.168.N.10, exploit kits on ports such as 81 and
19910, and the report's exploit and executable MIME types in http.log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zeekframe import _core

__all__ = ["FULL_CONN_ROWS", "FULL_HTTP_ROWS", "DemoLogs", "demo"]

FULL_CONN_ROWS = 22_694_356
"""Rows of the report's conn.log (``scale=1``)."""
FULL_HTTP_ROWS = 807_537
"""Rows of the report's http.log (``scale=1``)."""


@dataclass(frozen=True)
class DemoLogs:
    """Where :func:`demo` wrote the logs."""

    conn: Path
    http: Path


def demo(
    path: str | os.PathLike[str],
    *,
    scale: float = 0.01,
    seed: int = 2012,
    format: Literal["tsv", "json"] = "tsv",
) -> DemoLogs:
    """Write ``conn.log`` and ``http.log`` into the directory ``path``.

    ``scale=1`` gives the report's sizes (22.7M conn rows, 808k http rows); the default,
    0.01, writes 227k and 8k rows in well under a second. The logs are a pure function of
    ``scale`` and ``seed``, generated in parallel in Rust. ``format="json"`` writes their
    JSON twins instead, ``conn.json`` and ``http.json``: the same rows, one object per line
    as Zeek's JSON writer makes them (with the ``_path`` key sensors add).

    Example:
        >>> import zeekframe as zf
        >>> from zeekframe.datasets import demo
        >>> logs = demo("demo-data", scale=0.001)  # doctest: +SKIP
        >>> zf.read_zeek(logs.conn).height  # doctest: +SKIP
        22694
    """
    if format not in ("tsv", "json"):
        raise ValueError(f"format={format!r} is not one of 'tsv', 'json'")
    if not 0 < scale <= 10:
        raise ValueError(f"scale must be in (0, 10], not {scale}")
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), not {seed}")
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    conn, http = _core.write_demo(
        str(directory),
        conn_rows=max(1, round(FULL_CONN_ROWS * scale)),
        http_rows=max(1, round(FULL_HTTP_ROWS * scale)),
        seed=seed,
        format=format,
    )
    return DemoLogs(conn=Path(conn), http=Path(http))
