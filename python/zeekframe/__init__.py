"""zeekframe: Zeek IDS logs as typed Polars, pyarrow or pandas frames, read fast and exactly.

Example:
    >>> import zeekframe as zf
    >>> conn = zf.read_zeek("conn.log.gz")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from zeekframe._core import __version__
from zeekframe.exceptions import (
    ZeekError,
    ZeekIncompleteLineWarning,
    ZeekParseError,
    ZeekSkippedLinesWarning,
    ZeekWriteWarning,
)

if TYPE_CHECKING:
    from zeekframe.convert import ConvertResult, convert
    from zeekframe.io import ZeekSchema, read_zeek, read_zeek_schema, scan_zeek, zeek_log_types
    from zeekframe.joins import join_by_uid
    from zeekframe.mime import REPORT_MIME_CATEGORIES, mime_category
    from zeekframe.net import community_id, in_subnet
    from zeekframe.tail import ZeekTail
    from zeekframe.write import write_zeek

# Imported on first use, so that `import zeekframe` (and the command line, such as
# `zeekframe cut`) does not pay for importing Polars until something needs it.
_LAZY = {
    "ConvertResult": "zeekframe.convert",
    "convert": "zeekframe.convert",
    "ZeekSchema": "zeekframe.io",
    "read_zeek": "zeekframe.io",
    "read_zeek_schema": "zeekframe.io",
    "scan_zeek": "zeekframe.io",
    "zeek_log_types": "zeekframe.io",
    "REPORT_MIME_CATEGORIES": "zeekframe.mime",
    "mime_category": "zeekframe.mime",
    "ZeekTail": "zeekframe.tail",
    "join_by_uid": "zeekframe.joins",
    "community_id": "zeekframe.net",
    "in_subnet": "zeekframe.net",
    "write_zeek": "zeekframe.write",
}

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
    "community_id",
    "convert",
    "in_subnet",
    "join_by_uid",
    "mime_category",
    "read_zeek",
    "read_zeek_schema",
    "scan_zeek",
    "write_zeek",
    "zeek_log_types",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'zeekframe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package, whose functions are not hidden by submodules of the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule zeekframe.convert sets the package's attribute `convert`
        # to that module; the attribute is the function (found by __getattr__), as always.
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
