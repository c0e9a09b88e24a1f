"""Following a connection across logs: :func:`join_by_uid`."""

from __future__ import annotations

from typing import Literal, TypeVar, Union

import polars as pl

from zeekframe.io import _builtin_field_types

__all__ = ["join_by_uid"]

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
AnyFrame = Union[pl.DataFrame, pl.LazyFrame]


def _log_type(columns: list[str]) -> str | None:
    """The built-in log type whose fields these columns match best (None: none matches)."""
    have = set(columns)
    best, score = None, 0.0
    for name, types in sorted(_builtin_field_types().items()):
        fields = types.keys()
        shared = len(have & fields)
        value = shared / len(have | fields)
        if shared >= 3 and value > score:
            best, score = name, value
    return best


def _key(frame: pl.LazyFrame, columns: list[str], name: str) -> tuple[pl.LazyFrame, str]:
    """``frame`` with one row per (uid, row), and the key column.

    files.log before Zeek 5.1 names its connections in the set ``conn_uids``; later ones
    (and every other log) in ``uid``.
    """
    if "uid" in columns:
        return frame, "uid"
    if "conn_uids" in columns:
        return frame.with_columns(pl.col("conn_uids").alias("__uid")).explode("__uid"), "__uid"
    raise ValueError(f"{name} has neither a uid nor a conn_uids column to join on")


def join_by_uid(
    conn: Frame,
    *others: AnyFrame,
    how: Literal["left", "inner"] = "left",
    **named: AnyFrame,
) -> Frame:
    """Follow each connection to the rows of other logs that name it.

    Each log after ``conn`` (http, ssl, dns, files, weird, ...) becomes one column of
    ``conn``, named after the log type: a list of structs, one struct per row of that log
    whose ``uid`` is the connection's (for a files.log before Zeek 5.1, whose
    ``conn_uids`` holds it). So the result has exactly one row per row of ``conn``, in
    order, however many rows each connection has elsewhere (a connection's three HTTP
    requests and two files are two lists, not six rows); ``.explode("http")`` and
    ``.unnest("http")`` give one row per request (``empty_as_null=True`` keeps the
    connections without one). A struct holds all of that log's
    columns except the join key. A connection no row names gets an empty list, or, with
    ``how="inner"``, is left out unless some log names it.

    Logs given by position are named by the built-in schema their columns match best
    (``http``, ``files``, ...); given by keyword, by the keyword (``web=http``). Works on
    DataFrames and LazyFrames alike (the result is of ``conn``'s kind).

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> conn = pl.DataFrame({"uid": ["C1", "C2"], "id.resp_p": [80, 443]})
        >>> http = pl.DataFrame({"uid": ["C1", "C1"], "method": ["GET", "POST"],
        ...     "uri": ["/", "/login"], "status_code": [200, 302]})
        >>> joined = zf.join_by_uid(conn, web=http)
        >>> joined["web"].list.len().to_list()
        [2, 0]
        >>> joined.explode("web", empty_as_null=True).unnest("web")["method"].to_list()
        ['GET', 'POST', None]
    """
    if how not in ("left", "inner"):
        raise ValueError(f"how={how!r} is not one of 'left', 'inner'")
    lazy = isinstance(conn, pl.LazyFrame)
    base = conn.lazy()
    base_columns = base.collect_schema().names()
    if "uid" not in base_columns:
        raise ValueError("conn has no uid column to join on")
    logs: list[tuple[str, pl.LazyFrame]] = []
    for frame in others:
        columns = frame.lazy().collect_schema().names()
        name = _log_type(columns)
        if name is None:
            raise ValueError(
                f"cannot tell which log a frame with columns {columns[:6]} is: "
                f"pass it by keyword (join_by_uid(conn, mylog=frame))"
            )
        logs.append((name, frame.lazy()))
    logs += [(name, frame.lazy()) for name, frame in named.items()]
    taken = set(base_columns)
    result = base.with_row_index("__row")
    matched: list[pl.Expr] = []
    for name, frame in logs:
        column = name
        suffix = 2
        while column in taken:
            column, suffix = f"{name}_{suffix}", suffix + 1
        taken.add(column)
        columns = frame.collect_schema().names()
        keyed, key = _key(frame, columns, name)
        fields = [c for c in columns if c not in ("uid", "__uid")]
        nested = (
            keyed.filter(pl.col(key).is_not_null())
            .group_by(key, maintain_order=True)
            .agg(pl.struct(fields).alias(column))
            .rename({key: "__key"})
        )
        result = result.join(nested, left_on="uid", right_on="__key", how="left")
        dtype = nested.collect_schema()[column]
        result = result.with_columns(pl.col(column).fill_null(pl.lit([], dtype=dtype)))
        matched.append(pl.col(column).list.len() > 0)
    result = result.sort("__row")
    if how == "inner" and matched:
        result = result.filter(pl.any_horizontal(matched))
    result = result.drop("__row")
    return result if lazy else result.collect()  # type: ignore[return-value]
