"""Zeek logs as Dask DataFrames: :func:`read_zeek` on a cluster, exactly as on one machine.

Partitions are planned on the client from each file's header: one per compressed or JSON
file, and line-aligned byte ranges (``blocksize``) of large plain TSV files. Each partition
runs zeekframe's own reader on a worker with the same options, so the rows, their order and
their types are those :func:`zeekframe.read_zeek` gives (``output="pandas"``), whatever the
``blocksize`` and the number of workers. Needs ``pip install zeekframe[dask]``.

Example:
    >>> import zeekframe.dask as zd
    >>> conn = zd.read_zeek("logs/2012-03-*/conn.*.log.gz", sample=0.1, seed=42)  # doctest: +SKIP
    >>> top = conn[conn["id.resp_p"] != 80].groupby(["id.orig_h", "id.resp_p"]).size()
    >>> top.compute()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import operator
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

import polars as pl

from zeekframe import _core
from zeekframe.exceptions import ZeekError
from zeekframe.io import Source, _output_names, _Reader, _to_pandas
from zeekframe.mime import MimeCategories

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow as pa

__all__ = ["Partition", "Plan", "filters_to_expr", "plan_partitions", "read_zeek", "zeek_read"]

DEFAULT_BLOCKSIZE = 256 << 20
"""Plain files larger than this are cut into byte ranges of about this size."""

_PLANNING_THREADS = 8
"""Threads that read the files' headers at planning."""

Predicate = tuple[str, str, Any]
Filters = Union[Sequence[Predicate], Sequence[Sequence[Predicate]]]
"""Row filters in the disjunctive normal form of ``dask.dataframe.read_parquet``: a list of
``(column, op, value)`` tuples (all must hold), or a list of such lists (any must hold)."""

_COMPARISONS = {
    "==": operator.eq,
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def filters_to_expr(filters: Filters) -> pl.Expr:
    """Translate ``read_parquet``-style filters into the Polars predicate they mean.

    Operators: ``==`` (or ``=``), ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``,
    and ``is`` / ``is not`` with ``None`` for null tests. A null value fails every comparison
    (as in Parquet filters and in Polars), so ``("service", "!=", "dns")`` leaves out rows
    whose ``service`` is unset.

    Example:
        >>> from zeekframe.dask import filters_to_expr
        >>> str(filters_to_expr([("id.resp_p", "not in", [80, 8080])]))  # doctest: +SKIP
        '~(col("id.resp_p").is_in([80, 8080]))'
    """
    if isinstance(filters, tuple) or not isinstance(filters, Sequence) or not filters:
        raise TypeError(
            "filters= takes a non-empty list of (column, op, value) tuples, or a list of such "
            f"lists, not {filters!r}"
        )
    groups: list[Sequence[Predicate]]
    if all(isinstance(item, tuple) for item in filters):
        groups = [filters]  # type: ignore[list-item]
    elif all(isinstance(item, list) for item in filters):
        groups = list(filters)  # type: ignore[arg-type]
    else:
        raise TypeError(
            "filters= mixes tuples and lists: give (column, op, value) tuples that must all "
            "hold, or a list of such lists of which any must hold"
        )
    alternatives = []
    for group in groups:
        if not group:
            raise ValueError("filters= holds an empty group of conditions")
        conditions = [_condition(item) for item in group]
        combined = conditions[0]
        for condition in conditions[1:]:
            combined = combined & condition
        alternatives.append(combined)
    result = alternatives[0]
    for alternative in alternatives[1:]:
        result = result | alternative
    return result


def _condition(item: object) -> pl.Expr:
    if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str)):
        raise TypeError(f"a filter is a (column, op, value) tuple, not {item!r}")
    name, op, value = item
    column = pl.col(name)
    if op in _COMPARISONS:
        if value is None:
            raise ValueError(f"{item!r}: compare with None through 'is' or 'is not'")
        result: pl.Expr = _COMPARISONS[op](column, pl.lit(value))
        return result
    if op in ("in", "not in"):
        if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, set, frozenset)):
            raise TypeError(f"{item!r}: 'in' takes a list of values")
        listed = list(value)
        member = column.is_in(listed)
        return member if op == "in" else ~member
    if op in ("is", "is not"):
        if value is not None:
            raise ValueError(f"{item!r}: 'is' and 'is not' only test for None (null)")
        return column.is_null() if op == "is" else column.is_not_null()
    raise ValueError(
        f"{item!r}: unknown operator {op!r} (==, !=, <, <=, >, >=, in, not in, is, is not)"
    )


@dataclass(frozen=True)
class Partition:
    """One partition of a distributed read: files, or one byte range of a plain file.

    ``byte_range`` is ``(start, end, lines before start)``: the partition holds the lines
    that start in ``[start, end)``, numbered as in the file. ``n_rows`` (a head read) makes
    one partition of all the files.
    """

    paths: tuple[str, ...]
    byte_range: tuple[int, int, int] | None = None
    n_rows: int | None = None


def _parse_blocksize(blocksize: int | str | None) -> int | None:
    if blocksize is None:
        return None
    if isinstance(blocksize, bool) or not isinstance(blocksize, (int, str)):
        raise TypeError(
            f"blocksize= takes a byte count or a size such as '256MiB', not {blocksize!r}"
        )
    if isinstance(blocksize, str):
        match = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]i?[bB]|[bB])?\s*", blocksize)
        if not match:
            raise ValueError(f"blocksize={blocksize!r} is not a size such as '256MiB'")
        unit = (match.group(2) or "b").lower()
        scale = {
            "b": 1,
            "kb": 10**3,
            "kib": 2**10,
            "mb": 10**6,
            "mib": 2**20,
            "gb": 10**9,
            "gib": 2**30,
        }
        blocksize = int(match.group(1)) * scale[unit]
    if blocksize < 1:
        raise ValueError(f"blocksize must be at least 1 byte, not {blocksize}")
    return blocksize


def _scan(path: str, start: int, end: int) -> tuple[int, int | None]:
    return _core.scan_range(path, start, end)


def _layout(path: str, reader: _Reader) -> pl.Schema:
    return reader.layout(path, every_block=True)


def _file_ranges(
    plan: tuple[str, int, int, int, bool], blocksize: int | None
) -> list[tuple[int, int]] | None:
    """The cut of a plain TSV file into ranges of about ``blocksize``.

    One range for a small file; None for a file that is not cut (compressed, JSON).
    """
    compression, size, header_end, _, json = plan
    if compression != "none" or json:
        return None
    step = size if blocksize is None else blocksize
    cuts = [0] + [c for c in range(step, size, max(1, step)) if c > header_end] + [size]
    return list(zip(cuts, cuts[1:]))


@dataclass(frozen=True)
class Plan:
    """The partitions of a read, and each file's columns.

    A file's columns are its first header block's, or for a plain file with several header
    blocks, all its blocks' unified, as a local read gives them.
    """

    partitions: list[Partition]
    layouts: dict[str, pl.Schema]


def plan_partitions(
    paths: Sequence[str],
    blocksize: int | None,
    *,
    reader: _Reader | None = None,
    max_line_bytes: int | None = None,
    every_block: bool = False,
) -> Plan:
    """Cut files into partitions.

    Each file's header is read (in parallel, on the client). A plain TSV file larger than
    ``blocksize`` has its line ends counted range by range, as Dask tasks (so on the
    cluster's workers when one is in use), which numbers every range's lines as in the file,
    and becomes a partition per range. If that count finds header lines after its first
    header block (rotated logs concatenated), the file stays one partition, so that every
    line is read under the header it belongs to, and its columns are found from all its
    blocks (a Dask task that reads it without parsing its rows). Smaller plain files that
    follow one another share a partition, up to ``blocksize`` bytes; a compressed or JSON
    file is a partition of its own. Files read whole are planned from their first header
    block; ``every_block`` has plain ones read whole at planning too, for the columns of
    all their blocks.

    Example:
        >>> from zeekframe.dask import plan_partitions
        >>> plan_partitions(["conn.log"], 64 << 20).partitions  # doctest: +SKIP
        [Partition(paths=('conn.log',), byte_range=(0, 67108864, 0), n_rows=None), ...]
    """
    from dask.base import compute
    from dask.delayed import delayed

    def header(path: str) -> tuple[tuple[str, int, int, int, bool], pl.Schema | None]:
        plan = _core.plan_file(path, max_line_bytes=max_line_bytes)
        return plan, None if reader is None else reader.layout(path)

    # Headers are read by a few threads: enough to hide a network file system's latency,
    # few enough that starting them costs less than the reading (a header takes about a
    # millisecond from local storage).
    with ThreadPoolExecutor(max_workers=min(_PLANNING_THREADS, max(1, len(paths)))) as pool:
        headers = list(pool.map(header, paths))
    plans = [plan for plan, _ in headers]
    cut = [_file_ranges(plan, blocksize) for plan in plans]
    # A file read whole numbers its own lines: only cut ones (or with every_block, all plain
    # ones) are counted, each such pass costing as much as copying the file.
    counted = [r if r is not None and (every_block or len(r) > 1) else [] for r in cut]
    jobs = [
        (i, j, path, max(start, plans[i][2]) if j == 0 else start, end)
        for i, path in enumerate(paths)
        for j, (start, end) in enumerate(counted[i])
    ]
    results = compute(*[delayed(_scan)(path, s, e) for _, _, path, s, e in jobs])
    counts = {(i, j): result for (i, j, *_), result in zip(jobs, results)}
    several_blocks = sorted(
        {i for (i, _), (_, header_line) in counts.items() if header_line is not None}
    )
    layouts: dict[str, pl.Schema] = {}
    if reader is not None:
        layouts = {path: layout for path, (_, layout) in zip(paths, headers) if layout is not None}
        if several_blocks:
            found = compute(*[delayed(_layout)(paths[i], reader) for i in several_blocks])
            layouts.update((paths[i], layout) for i, layout in zip(several_blocks, found))
    partitions: list[Partition] = []
    # Plain files smaller than blocksize, one after another, share a partition up to it.
    group: list[str] = []
    group_bytes = 0
    for i, path in enumerate(paths):
        ranges = cut[i]
        small = ranges is not None and len(ranges) == 1 and blocksize is not None
        if group and (not small or group_bytes + plans[i][1] > (blocksize or 0)):
            partitions.append(Partition(tuple(group)))
            group, group_bytes = [], 0
        if small:
            group.append(path)
            group_bytes += plans[i][1]
            continue
        if ranges is None or len(ranges) == 1 or i in several_blocks:
            partitions.append(Partition((path,)))
            continue
        before = 0
        for j, (start, end) in enumerate(ranges):
            partitions.append(Partition((path,), (start, end, before)))
            newlines = counts[i, j][0]
            before += newlines + (plans[i][3] if j == 0 else 0)
    if group:
        partitions.append(Partition(tuple(group)))
    return Plan(partitions, layouts)


@dataclass(frozen=True)
class _ReadPartition:
    """The function each partition runs (picklable, for workers in other processes)."""

    reader: _Reader
    schema: pl.Schema
    arrow_schema: pa.Schema
    predicate: pl.Expr | None

    def __call__(self, part: Partition, columns: list[str] | None = None) -> pd.DataFrame:
        return _to_pandas(self.table(part, columns))

    def table(self, part: Partition, columns: list[str] | None = None) -> pa.Table:
        """The partition as Arrow, of the types the frame's pandas partitions convert from."""
        import pyarrow as pa

        reader = dataclasses.replace(
            self.reader, paths=list(part.paths), byte_range=part.byte_range, warn=_warn
        )
        names = list(self.schema) if columns is None else list(columns)
        # Without a projection every column is read, so that a column the plan does not know
        # (a later header block of a file planned from its first) is found and said, not
        # dropped.
        wanted = None if columns is None else reader.output_columns(names)
        if self.predicate is None:
            table = pa.table(reader.table(wanted, part.n_rows, None))
        else:
            table = reader.frame(wanted, self.predicate, part.n_rows, self.schema).to_arrow()
        unknown = [c for c in table.column_names if c not in self.schema]
        if unknown:
            raise ZeekError(
                f"{', '.join(part.paths)}: a later header block has columns {unknown} that the "
                "files' first header blocks, from which the Dask frame's columns were planned, "
                "do not have; name the columns to read with columns=, or read plain files "
                "with every_block=True (planning then reads them whole to find every block; "
                "a compressed file must be decompressed for that)"
            )
        return _conform(table, self.arrow_schema, names)


def zeek_read(frame: object) -> tuple[_ReadPartition, list[Partition]] | None:
    """The partition function and partitions of a frame :func:`read_zeek` made, unchanged.

    None for any other frame, or one changed since (filtered, joined, some of its partitions
    taken): those are computed through Dask's own partitions. A frame read with ``columns=``
    still counts: its columns are a selection of the function's.

    Example:
        >>> import zeekframe.dask as zd
        >>> conn = zd.read_zeek("conn.log")  # doctest: +SKIP
        >>> changed = conn[conn["id.resp_p"] > 0]  # doctest: +SKIP
        >>> zd.zeek_read(conn) is not None, zd.zeek_read(changed)  # doctest: +SKIP
        (True, None)
    """
    expr: Any = getattr(frame, "expr", None)
    if type(expr).__name__ not in ("FromMap", "FromMapProjectable"):
        return None
    try:
        function = expr.operand("func")
        iterables = expr.operand("iterables")
        unchanged = not expr.operand("args") and not expr.operand("kwargs")
        whole = expr.operand("_partitions") is None
    except (AttributeError, KeyError, ValueError):
        return None
    if not (isinstance(function, _ReadPartition) and unchanged and whole and len(iterables) == 1):
        return None
    partitions = list(iterables[0])
    if not all(isinstance(p, Partition) for p in partitions):
        return None
    return function, partitions


def _warn(message: Warning, stacklevel: int = 1) -> None:
    """Warn; on a ``distributed`` worker, through the scheduler to the client, gathered."""
    try:
        from zeekframe import _dask_warnings
    except ImportError:  # no distributed: a local scheduler, in this process
        warnings.warn(message, stacklevel=stacklevel + 1)
        return
    _dask_warnings.warn(message, stacklevel=stacklevel + 1)


def _arrow_schema(schema: pl.Schema) -> pa.Schema:
    """The Arrow types ``read_zeek(output="pandas")`` converts from, for a Polars schema."""
    import pyarrow as pa

    empty = pl.DataFrame(schema=schema).to_arrow()

    def plain(data_type: pa.DataType) -> pa.DataType:
        if data_type in (pa.string(), pa.large_string()):
            return pa.string_view()
        if pa.types.is_dictionary(data_type):
            return pa.dictionary(pa.uint32(), pa.string())
        if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
            return pa.list_(plain(data_type.value_type))
        return data_type

    return pa.schema([pa.field(f.name, plain(f.type)) for f in empty.schema])


def _conform(table: pa.Table, schema: pa.Schema, names: list[str]) -> pa.Table:
    """``table`` with exactly the columns ``names`` of ``schema``, of those types.

    A column this partition's files do not have is all null, as ``read_zeek`` makes it when
    another file has it.
    """
    import pyarrow as pa

    columns = []
    for name in names:
        target = schema.field(name).type
        if name in table.column_names:
            column = table.column(name)
            if pa.types.is_dictionary(target) and pa.types.is_dictionary(column.type):
                column = column.cast(pa.dictionary(pa.uint32(), pa.string()))
            elif column.type != target:
                column = column.cast(target)
        else:
            column = pa.nulls(table.num_rows, target)
        columns.append(column)
    return pa.table(columns, schema=pa.schema([schema.field(n) for n in names]))


def read_zeek(
    source: Source,
    *,
    columns: Sequence[str] | None = None,
    filters: Filters | None = None,
    filter: pl.Expr | None = None,
    n_rows: int | None = None,
    blocksize: int | str | None = DEFAULT_BLOCKSIZE,
    n_threads: int | None = 1,
    rename: Literal["underscore"] | None = None,
    on_bad_line: Literal["raise", "skip"] = "raise",
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    sample: float | None = None,
    seed: int = 0,
    mime_categories: MimeCategories | None = None,
    include_file_paths: str | None = None,
    max_line_bytes: int | None = None,
    complete_lines: bool = False,
    every_block: bool = False,
) -> dd.DataFrame:
    """Read Zeek logs into a Dask DataFrame: the rows and types of a local pandas read.

    The frame computes to what ``zeekframe.read_zeek(..., output="pandas")`` returns.
    Planning reads only headers (and, for plain files larger than ``blocksize``, counts
    their line ends as Dask tasks); nothing is parsed until the frame is computed. Each
    partition is read by zeekframe's Rust reader on a worker. Rows come in file order;
    each partition has its own ``RangeIndex`` (the index is not global).

    Args:
        source: as for :func:`zeekframe.read_zeek`: paths, directories, globs.
        columns: read only these columns. A column selection made on the Dask frame later
            (``df[["ts", "uid"]]``) reaches the parser too.
        filters: row filters in ``dask.dataframe.read_parquet``'s form, applied while
            parsing (see :func:`filters_to_expr`): ``[("id.resp_p", "not in", [80, 8080])]``.
        filter: a Polars predicate, as ``read_zeek(filter=)`` takes; combined with
            ``filters`` by ``&``. Filters written on the Dask frame afterwards are Dask's to
            apply (it does not push them into readers of this kind).
        n_rows: the first rows only (counted after sampling and filtering): one partition
            that reads the files in order until it has them.
        blocksize: plain TSV files larger than this (bytes, or a size such as ``"64MiB"``)
            are cut into byte ranges of whole lines, a partition each, and smaller ones that
            follow one another share a partition up to it; ``None`` makes one partition per
            file. Compressed and JSON files are one partition each.
        n_threads: parser threads per partition (default 1: the partitions are the
            parallelism; raise it for a few large compressed files on many cores).
        rename: as for :func:`zeekframe.read_zeek`.
        on_bad_line: as for :func:`zeekframe.read_zeek`. With ``"skip"``, on a
            ``distributed`` cluster, the lines the partitions skipped reach the client as one
            :class:`~zeekframe.ZeekSkippedLinesWarning` per computed result, with the total
            count and the first lines in file order, before ``compute()`` returns; with a
            local scheduler each partition that skipped lines warns on its own.
        fields: as for :func:`zeekframe.read_zeek`.
        types: as for :func:`zeekframe.read_zeek`.
        log_type: as for :func:`zeekframe.read_zeek`.
        sample: as for :func:`zeekframe.read_zeek`: keyed by seed, file path and byte
            offset, so the same rows are kept as by a local read.
        seed: the sampling seed.
        mime_categories: as for :func:`zeekframe.read_zeek`.
        include_file_paths: as for :func:`zeekframe.read_zeek`.
        max_line_bytes: as for :func:`zeekframe.read_zeek`.
        complete_lines: as for :func:`zeekframe.read_zeek`.
        every_block: find the columns of every header block of each plain file at planning
            (rotated logs with other columns concatenated into one file), by reading the
            files whole once. By default a file is planned from its first header block, as
            compressed files always are, and a later block with columns the plan does not
            have raises when computed; plain files larger than ``blocksize`` are read whole
            at planning anyway (to number their ranges' lines), so theirs are always found.

    Returns:
        A ``dask.dataframe.DataFrame`` whose ``meta`` has exactly the dtypes of
        ``read_zeek(output="pandas")`` (Arrow-backed; categoricals with unknown categories).

    Raises:
        ZeekParseError: when computed, for a bad line (with path and line, raised on the
            client), as a local read raises it.
        ZeekError, OSError, ValueError: at planning, for what ``read_zeek`` rejects.

    Example:
        >>> import zeekframe as zf
        >>> import zeekframe.dask as zd
        >>> http = zd.read_zeek(
        ...     "logs/", log_type="http", columns=["ts", "id.orig_h", "id.resp_p"],
        ...     filters=[("id.resp_p", "not in", [80, 8080])],
        ...     mime_categories=zf.REPORT_MIME_CATEGORIES)  # doctest: +SKIP
        >>> http.to_parquet("http-parquet/")  # doctest: +SKIP
    """
    import dask
    import dask.dataframe as dd
    from dask.dataframe.utils import clear_known_categories

    reader = _Reader.create(
        source,
        n_threads=n_threads,
        rename=rename,
        on_bad_line=on_bad_line,
        fields=fields,
        types=types,
        log_type=log_type,
        sample=sample,
        seed=seed,
        mime_categories=mime_categories,
        include_file_paths=include_file_paths,
        max_line_bytes=max_line_bytes,
        complete_lines=complete_lines,
    )
    if n_rows is not None and n_rows < 0:
        raise ValueError(f"n_rows must be zero or positive, not {n_rows}")
    predicate = filter
    if filters is not None:
        translated = filters_to_expr(filters)
        predicate = translated if predicate is None else predicate & translated
    if n_rows is not None:
        plan = Plan([Partition(tuple(reader.paths), None, n_rows)], {})
    else:
        plan = plan_partitions(
            reader.paths,
            _parse_blocksize(blocksize),
            reader=reader,
            max_line_bytes=max_line_bytes,
            every_block=every_block,
        )
    schema = reader.schema(plan.layouts)
    wanted = _output_names("columns", columns, rename)
    if wanted is not None:
        missing = [c for c in wanted if c not in schema]
        if missing:
            raise ZeekError(f"columns not in the log: {missing} (columns: {list(schema)})")
    arrow_schema = _arrow_schema(schema)
    meta = clear_known_categories(_to_pandas(arrow_schema.empty_table()))
    function = _ReadPartition(reader, schema, arrow_schema, predicate)
    # Dask would turn the Arrow-backed string columns into its own string dtype; the frame
    # keeps read_zeek's types.
    with dask.config.set({"dataframe.convert-string": False}):
        frame: dd.DataFrame = dd.from_map(
            function,
            plan.partitions,
            meta=meta,
            label="read-zeek",
            enforce_metadata=False,
            columns=wanted,
        )
    return frame
