"""MIME-type categories: which response types count as exploits or executables.

The default, :data:`REPORT_MIME_CATEGORIES`, is the classification of the report zeekframe
reproduces. A mapping is ordered: a response whose ``resp_mime_types`` fall in several
categories gets the first one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

__all__ = [
    "REPORT_MIME_CATEGORIES",
    "MimeCategories",
    "mime_category",
    "normalize_mime_categories",
]

MimeCategories = Mapping[str, Sequence[str]]
"""Category name -> the MIME types in it, in priority order."""

REPORT_MIME_CATEGORIES: dict[str, list[str]] = {
    "exploit": [
        "application/x-java-applet",
        "application/pdf",
        "application/zip",
        "application/jar",
        "application/x-shockwave-flash",
    ],
    "executable": [
        "application/x-dosexec",
        "application/octet-stream",
        "binary",
        "application/vnd.ms-cab-compressed",
    ],
}
"""The report's categories: exploit kits' payloads, then executables.

Example:
    >>> import zeekframe as zf
    >>> zf.REPORT_MIME_CATEGORIES["executable"][0]
    'application/x-dosexec'
"""


def normalize_mime_categories(categories: MimeCategories) -> list[tuple[str, list[str]]]:
    """Check a mapping and return it as ``(name, types)`` pairs in its order.

    Example:
        >>> normalize_mime_categories({"pdf": ["application/pdf"]})
        [('pdf', ['application/pdf'])]
    """
    if not isinstance(categories, Mapping) or not categories:
        raise TypeError("mime_categories must be a non-empty mapping of name -> MIME types")
    pairs = []
    for name, types in categories.items():
        if not isinstance(name, str) or isinstance(types, str):
            raise TypeError(
                f"mime_categories[{name!r}] must map a name to a list of MIME types, not {types!r}"
            )
        pairs.append((name, [str(t) for t in types]))
    return pairs


def mime_category(
    types: pl.Expr | str, categories: MimeCategories = REPORT_MIME_CATEGORIES
) -> pl.Expr:
    """Classify MIME types as the parser's ``mime_categories=`` does, on any frame.

    ``types`` is a list column such as ``resp_mime_types`` (a plain string column works
    too). A row's category is the first category, in the mapping's order, that any of its
    types belongs to, else null; the result is a Polars ``Enum`` of the category names, so a
    frame read from Parquet or pandas classifies exactly like one read with
    ``read_zeek(..., mime_categories=...)``. It is a Polars expression plugin running the
    parser's own classification in Rust.

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> df = pl.DataFrame({"resp_mime_types": [["text/html"], ["application/pdf"], None]})
        >>> df.select(zf.mime_category("resp_mime_types"))["mime_category"].to_list()
        [None, 'exploit', None]
    """
    from zeekframe import _plugins

    pairs = normalize_mime_categories(categories)
    names = [name for name, _ in pairs]
    column = pl.col(types) if isinstance(types, str) else types
    config = _plugins.texts(names) + b"".join(_plugins.texts(members) for _, members in pairs)
    classified = _plugins.call("mime_category", column, config)
    return classified.cast(pl.Enum(names)).alias("mime_category")
