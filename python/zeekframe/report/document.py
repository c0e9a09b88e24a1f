"""The whole report as one HTML page with its figures, from a conn.log and an http.log."""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from zeekframe.convert import convert
from zeekframe.mime import REPORT_MIME_CATEGORIES
from zeekframe.report.analyses import conn_port_counts, http_nonstandard_ports, mime_type_hits
from zeekframe.report.plots import plot_mime_types_by_quarter, plot_nonstandard_ports

__all__ = ["ReportFiles", "write_report"]

CONN_COLUMNS = ["ts", "id_orig_h", "id_resp_p"]
HTTP_COLUMNS = ["ts", "id_orig_h", "id_resp_p", "resp_mime_types", "mime_category"]


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote, and how long each step took (seconds)."""

    html: Path
    figures: list[Path]
    parquet: list[Path]
    timings: dict[str, float] = field(default_factory=dict)


def _table(frame: pl.DataFrame, rows: int = 5) -> str:
    """Head and tail of a table, as the report prints them, in HTML."""
    with pl.Config(tbl_rows=2 * rows, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
        text = str(frame)
    return f"<pre>{html.escape(text)}</pre><p>{frame.height:,} rows x {frame.width} columns</p>"


def write_report(
    conn: str | os.PathLike[str],
    http: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    sample: float = 0.1,
    seed: int = 42,
    on_bad_line: Literal["raise", "skip"] = "raise",
    dask: bool = False,
) -> ReportFiles:
    """Run the report on ``conn`` and ``http`` and write ``report.html`` and its PNGs to ``out``.

    As in the report, the logs are first converted to Parquet in ``out``
    (``conn_sample.parquet``, a ``sample`` fraction of conn.log, the report's 10 %, and
    ``http.parquet`` with the ``mime_category`` column), with ``id_orig_h``-style names;
    the analyses read those files. Logs without a header are read as the standard conn and
    http layouts; ``on_bad_line="skip"`` drops bad lines (such as a last line cut short)
    with a warning.

    With ``dask=True`` every step runs on Dask (on the cluster of the ``distributed.Client``
    in use, if any): the logs are read by :func:`zeekframe.dask.read_zeek`, written by Dask's
    Parquet writer (``conn_sample.parquet/`` and ``http.parquet/`` are then directories of
    part files, which Polars, pyarrow and DuckDB read) and analysed partition by partition
    on the workers, from a second read that parses only the columns the analyses use; the
    tables and figures are the same as without.

    Example:
        >>> from zeekframe.report import write_report
        >>> files = write_report("demo/conn.log", "demo/http.log", "report")  # doctest: +SKIP
        >>> from distributed import Client  # doctest: +SKIP
        >>> with Client(n_workers=4):  # doctest: +SKIP
        ...     files = write_report("logs/conn.*.log.gz", "logs/http.*.log.gz", "report",
        ...                          dask=True)
        >>> files.html  # doctest: +SKIP
        PosixPath('report/report.html')
    """
    import matplotlib.pyplot as plt

    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started

    # Step 1 of the report: the logs to Parquet, conn.log as a sample.
    conn_path, http_path = directory / "conn_sample.parquet", directory / "http.parquet"
    started = time.perf_counter()
    if dask:
        from zeekframe import dask as zd

        conn_dask = zd.read_zeek(
            conn,
            sample=sample,
            seed=seed,
            log_type="conn",
            rename="underscore",
            on_bad_line=on_bad_line,
        )
        conn_dask.to_parquet(conn_path)
    else:
        convert(
            conn,
            conn_path,
            sample=sample,
            seed=seed,
            log_type="conn",
            rename="underscore",
            on_bad_line=on_bad_line,
            progress=False,
        )
    timed(f"conn.log to Parquet ({sample:.0%} sample)", started)
    started = time.perf_counter()
    conn_frame: Any
    if dask:
        # The analyses read the logs again, parsing only the columns they use (pandas cannot
        # read back the Arrow list types Dask's writer describes in the files' metadata).
        conn_frame = conn_dask[CONN_COLUMNS]
        conn_rows = len(conn_frame)
    else:
        conn_frame = pl.read_parquet(conn_path, columns=CONN_COLUMNS)
        conn_rows = conn_frame.height
    counts = conn_port_counts(conn_frame)
    timed("connections per origin host and port", started)
    started = time.perf_counter()
    if dask:
        http_dask = zd.read_zeek(
            http,
            log_type="http",
            rename="underscore",
            mime_categories=REPORT_MIME_CATEGORIES,
            on_bad_line=on_bad_line,
        )
        http_dask.to_parquet(http_path)
    else:
        convert(
            http,
            http_path,
            log_type="http",
            rename="underscore",
            mime_categories=REPORT_MIME_CATEGORIES,
            on_bad_line=on_bad_line,
            progress=False,
        )
    timed("http.log to Parquet, MIME types classified", started)
    started = time.perf_counter()
    http_frame: Any
    if dask:
        http_frame = http_dask[HTTP_COLUMNS]
        http_rows = len(http_frame)
    else:
        http_frame = pl.read_parquet(http_path, columns=HTTP_COLUMNS).with_columns(
            pl.col("mime_category").cast(pl.Enum(list(REPORT_MIME_CATEGORIES)))
        )
        http_rows = http_frame.height
    timed("read http.parquet", started)
    started = time.perf_counter()
    odd = http_nonstandard_ports(http_frame)
    hits = mime_type_hits(http_frame)
    timed("HTTP analyses", started)

    started = time.perf_counter()
    figures = []
    for name, figure in (
        ("no80_8080.png", plot_nonstandard_ports(odd)),
        ("exploits_types.png", plot_mime_types_by_quarter(hits)),
    ):
        path = directory / name
        figure.savefig(path, dpi=100)
        plt.close(figure)
        figures.append(path)
    timed("figures", started)

    exploit = ", ".join(REPORT_MIME_CATEGORIES["exploit"])
    executable = ", ".join(REPORT_MIME_CATEGORIES["executable"])
    steps = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v:.2f} s</td></tr>" for k, v in timings.items()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zeek conn and http report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}pre{{font-size:85%}}
img{{max-width:100%}}td{{padding:0 1em}}</style></head><body>
<h1>Zeek conn and http report</h1>
<p>conn.log: <code>{html.escape(str(conn))}</code>, {conn_rows:,} rows in a
{sample:.0%} sample (<code>conn_sample.parquet</code>); http.log:
<code>{html.escape(str(http))}</code>, {http_rows:,} rows
(<code>http.parquet</code>).</p>
<h2>Connections per origin host and destination port, port 80 excluded</h2>
{_table(counts)}
<h2>HTTP requests to ports other than 80 and 8080</h2>
{_table(odd)}
<img src="no80_8080.png" alt="HTTP requests to ports other than 80 and 8080 per quarter">
<h2>Exploit and executable MIME types</h2>
<p>Exploit types: {html.escape(exploit)}.<br>Executable types: {html.escape(executable)}.</p>
{_table(hits)}
<img src="exploits_types.png" alt="Exploit and executable MIME types per quarter">
<h2>Timings</h2><table>{steps}</table>
</body></html>
"""
    report_path = directory / "report.html"
    report_path.write_text(page, encoding="utf-8")
    return ReportFiles(
        html=report_path,
        figures=figures,
        parquet=[conn_path, http_path],
        timings=timings,
    )
