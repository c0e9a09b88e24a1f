"""zeekframe: Zeek IDS logs as typed Polars, pyarrow or pandas frames, read fast and exactly.

Example:
    >>> import zeekframe as zf
    >>> conn = zf.read_zeek("conn.log.gz")  # doctest: +SKIP
"""

from zeekframe._core import __version__
from zeekframe.convert import ConvertResult, convert
from zeekframe.exceptions import (
    ZeekError,
    ZeekIncompleteLineWarning,
    ZeekParseError,
    ZeekSkippedLinesWarning,
    ZeekWriteWarning,
)
from zeekframe.io import ZeekSchema, read_zeek, read_zeek_schema, scan_zeek, zeek_log_types
from zeekframe.mime import REPORT_MIME_CATEGORIES, mime_category
from zeekframe.tail import ZeekTail
from zeekframe.write import write_zeek

__all__ = [
    "REPORT_MIME_CATEGORIES",
    "ConvertResult",
    "ZeekError",
    "ZeekIncompleteLineWarning",
    "ZeekParseError",
    "ZeekSchema",
    "ZeekSkippedLinesWarning",
    "ZeekTail",
    "ZeekWriteWarning",
    "__version__",
    "convert",
    "mime_category",
    "read_zeek",
    "read_zeek_schema",
    "scan_zeek",
    "write_zeek",
    "zeek_log_types",
]
