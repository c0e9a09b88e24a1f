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

__all__ = ["FULL_CONN_ROWS", "FULL_HTTP_ROWS", "DemoLogs", "demo", "report_logs"]

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


def report_logs(
    demo_directory: str | os.PathLike[str] = "demo-data", *, scale: float | None = None
) -> DemoLogs:
    """The conn and http logs to run the report on: real ones if ``ZEEK_LOGS`` names them.

    ``ZEEK_LOGS`` is a directory holding a conn log and an http log (the first files whose
    names contain ``conn`` and ``http``; the report's own headerless MACCDC sample,
    ``conn_sample.log`` and ``http_prefix_truncated.log``, works as is). Without it, demo
    logs shaped like the report's are written to ``demo_directory``, at ``scale`` (default
    ``ZEEKFRAME_DEMO_SCALE``, else 0.01). This is the first cell of every notebook.

    Raises:
        FileNotFoundError: ``ZEEK_LOGS`` is set but holds no conn or no http log.

    Example:
        >>> from zeekframe.datasets import report_logs
        >>> logs = report_logs()  # doctest: +SKIP
        >>> logs.conn, logs.http  # doctest: +SKIP
        (PosixPath('demo-data/conn.log'), PosixPath('demo-data/http.log'))
    """
    logs_dir = os.environ.get("ZEEK_LOGS")
    if logs_dir:
        files = sorted(p for p in Path(logs_dir).iterdir() if p.is_file())
        conn = next((p for p in files if "conn" in p.name), None)
        http = next((p for p in files if "http" in p.name), None)
        if conn is None or http is None:
            raise FileNotFoundError(
                f"ZEEK_LOGS={logs_dir} holds no {'conn' if conn is None else 'http'} log "
                "(a file whose name contains it)"
            )
        return DemoLogs(conn=conn, http=http)
    if scale is None:
        scale = float(os.environ.get("ZEEKFRAME_DEMO_SCALE", "0.01"))
    return demo(demo_directory, scale=scale)
