"""The report zeekframe reproduces: analyses of conn and http logs.

Example:
    >>> import zeekframe as zf
    >>> from zeekframe import report
    >>> conn = zf.read_zeek("conn.log.gz", sample=0.1, seed=42)  # doctest: +SKIP
    >>> report.conn_port_counts(conn).head()  # doctest: +SKIP
"""

from zeekframe.report.analyses import (
    STANDARD_HTTP_PORTS,
    conn_port_counts,
    counts_by_period,
    http_nonstandard_ports,
    mime_type_hits,
)
from zeekframe.report.document import ReportFiles, write_report
from zeekframe.report.plots import plot_mime_types_by_quarter, plot_nonstandard_ports

__all__ = [
    "STANDARD_HTTP_PORTS",
    "ReportFiles",
    "conn_port_counts",
    "counts_by_period",
    "http_nonstandard_ports",
    "mime_type_hits",
    "plot_mime_types_by_quarter",
    "plot_nonstandard_ports",
    "write_report",
]
