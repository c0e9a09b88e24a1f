"""The report's analyses, as functions of a conn or http frame.

Each takes a Polars DataFrame or LazyFrame (Zeek's dotted column names or underscored ones),
a pandas DataFrame or a Dask DataFrame (from :func:`zeekframe.dask.read_zeek`), and returns a
Polars DataFrame with the report's column names (``id_orig_h``, ``id_resp_p``, ...). Ties are
broken by the key columns, so results are deterministic. On a Dask frame each partition is
reduced where it lives (counted, or filtered down to the rows the result keeps) and only
that comes back to be combined, so the result is the one a local frame gives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

import polars as pl

from zeekframe._plugins import pair_counts
from zeekframe.mime import (
    REPORT_MIME_CATEGORIES,
    MimeCategories,
    mime_category,
    normalize_mime_categories,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "STANDARD_HTTP_PORTS",
    "conn_port_counts",
    "counts_by_period",
    "http_nonstandard_ports",
    "mime_type_hits",
]

Frame = Union[pl.DataFrame, pl.LazyFrame, "pd.DataFrame", Any]
"""What the analyses accept: Polars and pandas frames, and Dask DataFrames."""

STANDARD_HTTP_PORTS: tuple[int, ...] = (80, 8080)
"""Ports the report treats as ordinary HTTP."""


def _lazy(frame: Frame) -> pl.LazyFrame:
    """A LazyFrame with underscored column names, whatever came in."""
    if isinstance(frame, pl.LazyFrame):
        lazy = frame
    elif isinstance(frame, pl.DataFrame):
        lazy = frame.lazy()
    else:
        lazy = pl.from_pandas(frame).lazy()
    names = lazy.collect_schema().names()
    return lazy.rename({n: n.replace(".", "_") for n in names if "." in n})


def _is_dask(frame: object) -> bool:
    # By module, so that the core never imports Dask.
    return type(frame).__module__.split(".")[0] == "dask"


def _apply(
    part: pd.DataFrame | pl.DataFrame, step: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pa.Table:
    # A partition is small: Polars' in-memory engine reduces it with about two thirds of the
    # CPU time of the streaming engine that "auto" picks (for the larger combination of all
    # partitions on the client, the streaming engine is the faster). The result goes to the
    # client as Arrow: Dask serialises an Arrow table's buffers as they are, a Polars frame
    # by pickling it, which costs several times more.
    return step(_lazy(part)).collect(engine="in-memory").to_arrow()


def _read_and_apply(
    read: Any, part: Any, columns: list[str], step: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pa.Table:
    # A partition of a zeekframe read, straight from the parser's Arrow columns into Polars.
    return _apply(pl.DataFrame(read.table(part, columns)), step)


def _reduced(
    frame: Frame, columns: Sequence[str], step: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pl.LazyFrame:
    """``step`` applied to the whole of a frame, or to each partition of a Dask frame.

    A Dask frame's partitions are reduced on its workers and their results concatenated in
    partition order.
    """
    if not _is_dask(frame):
        return step(_lazy(frame))
    from dask.base import compute
    from dask.delayed import delayed

    from zeekframe.dask import zeek_read

    dask_frame: Any = frame
    names = {name.replace(".", "_"): name for name in dask_frame.columns}
    wanted = [names[c] for c in columns if c in names]
    results: tuple[pa.Table, ...]
    read = zeek_read(dask_frame)
    if read is not None:
        # A frame zeekframe.dask.read_zeek made: each task reads its partition's columns
        # into Polars and reduces them, without the pandas frame a Dask partition is.
        # Each task's arguments are bound in a partial: given to a delayed function as
        # arguments, the reader's dataclasses would be taken apart and rebuilt as tasks of
        # their own (about 0.7 ms per partition on the client before the first one starts).
        function, partitions = read
        tasks = [
            delayed(functools.partial(_read_and_apply, function, part, wanted, step), pure=False)
            for part in partitions
        ]
        results = compute(*[task() for task in tasks])
    else:
        # Selecting first lets Dask read only these columns; the step runs in the same task
        # as the partition's read (Dask fuses them), and its Polars result is taken as it is.
        selected = dask_frame[wanted]
        reduced = selected.map_partitions(
            _apply, step, meta=selected._meta, enforce_metadata=False, align_dataframes=False
        )
        results = compute(*reduced.to_delayed())
    return pl.concat([pl.DataFrame(r) for r in results], how="vertical").lazy()


_PORT_KEYS = ("id_orig_h", "id_resp_p")


def _count_ports(lazy: pl.LazyFrame, exclude_ports: list[int], sort: bool) -> pl.LazyFrame:
    filtered = lazy.filter(~pl.col("id_resp_p").is_in(exclude_ports))
    return _pair_counts(filtered, _PORT_KEYS, weighted=False, sort=sort)


def _pair_counts(
    lazy: pl.LazyFrame, keys: tuple[str, str], *, weighted: bool, sort: bool
) -> pl.LazyFrame:
    """Rows per distinct pair of ``keys`` (with ``weighted``, the sum of ``count`` over them).

    Columns: the keys and ``count`` (UInt64). A text key and an integer key, the report's
    case, are counted by zeekframe's kernel (``_plugins.pair_counts``); any other types by
    Polars' ``group_by``. With ``sort``, in the order of :func:`_most_frequent_first`.
    """
    text, number = keys
    schema = lazy.collect_schema()
    if (
        schema[text] == pl.String
        and schema[number].is_integer()
        and (not weighted or schema["count"].is_integer())
    ):
        weights = pl.col("count") if weighted else None
        counted = pair_counts(pl.col(text), pl.col(number), weights, sort=sort)
        return lazy.select(counted).unnest(text)
    total = pl.col("count").sum() if weighted else pl.len().cast(pl.UInt64).alias("count")
    grouped = lazy.group_by(text, number).agg(total)
    return _most_frequent_first(grouped.collect(), keys).lazy() if sort else grouped


def conn_port_counts(conn: Frame, *, exclude_ports: Sequence[int] = (80,)) -> pl.DataFrame:
    """Connections per origin host and destination port, most frequent first.

    The report's first table: port 80 is left out by default. Ties are broken by host and
    then port, ascending.

    Example:
        >>> import polars as pl
        >>> conn = pl.DataFrame({"id.orig_h": ["a", "a", "b", "a"],
        ...                      "id.resp_p": [443, 443, 80, 22]})
        >>> conn_port_counts(conn).rows()
        [('a', 443, 2), ('a', 22, 1)]
    """
    excluded = list(exclude_ports)
    if not _is_dask(conn):
        return _count_ports(_lazy(conn), excluded, sort=True).collect()
    # Each partition counted on its worker, and the counts summed here.
    step = functools.partial(_count_ports, exclude_ports=excluded, sort=False)
    partials = _reduced(conn, _PORT_KEYS, step)
    return _pair_counts(partials, _PORT_KEYS, weighted=True, sort=True).collect()


def _most_frequent_first(counts: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``counts`` sorted by ``count``, highest first, ties by ``keys`` ascending, nulls first.

    The order ``counts.sort(["count", *keys], descending=[True, False, ...])`` gives, sorted
    on one integer instead: the count's distance below the largest, then each key's rank (a
    number's distance above the smallest, a text's place among the distinct texts sorted),
    packed into 64 bits. On the report's conn.log (305k host
    and port pairs) that takes a third of the time Polars takes to sort on the three columns
    (a text column among them). Keys whose ranks do not fit sort the ordinary way.
    """

    def plain() -> pl.DataFrame:
        return counts.sort(["count", *keys], descending=[True] + [False] * len(keys))

    count = counts["count"]
    if counts.height < 2 or count.null_count() or not count.dtype.is_integer():
        return plain()
    highest = int(count.max())  # type: ignore[arg-type]
    if int(count.min()) < 0:  # type: ignore[arg-type]
        return plain()
    packed = pl.Series([highest], dtype=pl.UInt64) - count.cast(pl.UInt64)
    bits = highest.bit_length()
    for key in keys:
        column = counts[key]
        # A number is ranked by its distance above the smallest, anything else by its place
        # among the distinct values sorted; ranks start at 1, nulls take 0.
        by_distance = column.dtype.is_integer() and column.null_count() < column.len()
        if by_distance:
            low = int(column.min())  # type: ignore[arg-type]
            span = int(column.max()) - low + 1  # type: ignore[arg-type]
        else:
            values = column.drop_nulls().unique().sort()
            span = values.len()
        # Checked before any arithmetic on the ranks, which must not overflow.
        width = span.bit_length()
        bits += width
        if bits > 63:
            return plain()
        if by_distance:
            wide = column.cast(pl.UInt64 if column.dtype.is_unsigned_integer() else pl.Int64)
            rank = (wide - low).cast(pl.UInt64) + 1
        elif column.dtype == pl.String:
            rank = column.cast(pl.Enum(values)).to_physical().cast(pl.UInt64) + 1
        else:
            rank = column.rank("dense").cast(pl.UInt64)
        # Nulls sort first, as Polars sorts them.
        packed = packed * (1 << width) + rank.fill_null(0)
    return counts.sort(packed)


_HTTP_COLUMNS = ("ts", "id_orig_h", "id_resp_p", "resp_mime_types")


def _nonstandard(lazy: pl.LazyFrame, standard_ports: list[int]) -> pl.LazyFrame:
    return lazy.filter(~pl.col("id_resp_p").is_in(standard_ports)).select(_HTTP_COLUMNS)


def http_nonstandard_ports(
    http: Frame, *, standard_ports: Sequence[int] = STANDARD_HTTP_PORTS
) -> pl.DataFrame:
    """Every HTTP request to a port other than 80 and 8080, in time order.

    Columns ``ts``, ``id_orig_h``, ``id_resp_p``, ``resp_mime_types`` (the report indexes
    its pandas table by ``ts``).

    Example:
        >>> import polars as pl
        >>> from datetime import datetime
        >>> http = pl.DataFrame({"ts": [datetime(2011, 7, 30), datetime(2011, 7, 29)],
        ...                      "id.orig_h": ["a", "b"], "id.resp_p": [81, 80],
        ...                      "resp_mime_types": [["text/html"], None]})
        >>> http_nonstandard_ports(http)["id_resp_p"].to_list()
        [81]
    """
    step = functools.partial(_nonstandard, standard_ports=list(standard_ports))
    return _reduced(http, _HTTP_COLUMNS, step).sort("ts", maintain_order=True).collect()


def mime_type_hits(
    http: Frame, categories: MimeCategories = REPORT_MIME_CATEGORIES
) -> pl.DataFrame:
    """Requests whose response MIME types fall in one of ``categories``, in time order.

    The report's exploit and executable types by default. Columns ``ts``, ``id_orig_h``,
    ``id_resp_p``, ``resp_mime_types`` and ``mime_category``; a frame read with
    ``mime_categories=`` keeps the column it already has.

    Example:
        >>> import polars as pl
        >>> from datetime import datetime
        >>> http = pl.DataFrame({"ts": [datetime(2011, 7, 22)] * 2, "id.orig_h": ["a", "b"],
        ...                      "id.resp_p": [80, 80],
        ...                      "resp_mime_types": [["application/pdf"], ["text/html"]]})
        >>> mime_type_hits(http)["mime_category"].to_list()
        ['exploit']
    """
    step = functools.partial(_mime_hits, categories=categories)
    hits = _reduced(http, (*_HTTP_COLUMNS, "mime_category"), step)
    if _is_dask(http) and hits.collect_schema()["mime_category"] == pl.Categorical:
        # A Dask frame's categories are per partition; the column gets back its Enum.
        names = [name for name, _ in normalize_mime_categories(categories)]
        hits = hits.with_columns(pl.col("mime_category").cast(pl.String).cast(pl.Enum(names)))
    return hits.sort("ts", maintain_order=True).collect()


def _mime_hits(lazy: pl.LazyFrame, categories: MimeCategories) -> pl.LazyFrame:
    if "mime_category" not in lazy.collect_schema().names():
        lazy = lazy.with_columns(mime_category(pl.col("resp_mime_types"), categories))
    return lazy.filter(pl.col("mime_category").is_not_null()).select(
        *_HTTP_COLUMNS, "mime_category"
    )


def counts_by_period(
    frame: Frame, *, every: str = "1q", by: Sequence[str] = ("id_resp_p",)
) -> pl.DataFrame:
    """Rows per period of ``ts``, split by the ``by`` columns.

    ``every`` is a Polars duration string (``"1q"``, ``"1mo"``, ``"1w"``). Columns
    ``period`` (the period's start), the ``by`` columns and ``count``, in time order.

    Example:
        >>> import polars as pl
        >>> from datetime import datetime
        >>> df = pl.DataFrame({"ts": [datetime(2011, 7, 30), datetime(2011, 8, 13),
        ...                           datetime(2012, 1, 2)], "id_resp_p": [81, 81, 81]})
        >>> counts_by_period(df)["count"].to_list()
        [2, 1]
    """
    keys = list(by)
    step = functools.partial(_count_periods, every=every, keys=keys)
    return (
        _reduced(frame, ["ts", *keys], step)
        .group_by("period", *keys)
        .agg(pl.col("count").sum())
        .sort("period", *keys)
        .collect()
    )


def _count_periods(lazy: pl.LazyFrame, every: str, keys: list[str]) -> pl.LazyFrame:
    return (
        lazy.with_columns(pl.col("ts").dt.truncate(every).alias("period"))
        .group_by("period", *keys)
        .agg(pl.len().cast(pl.UInt64).alias("count"))
    )
