"""Reading Zeek logs into frames: :func:`read_zeek` and :func:`read_zeek_schema`."""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Union, overload

import polars as pl

from zeekframe import _core
from zeekframe._pushdown import Filter, translate
from zeekframe.exceptions import ZeekError, ZeekIncompleteLineWarning, ZeekSkippedLinesWarning
from zeekframe.mime import MimeCategories, normalize_mime_categories

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "MIME_CATEGORY",
    "Source",
    "ZeekSchema",
    "read_zeek",
    "read_zeek_schema",
    "scan_zeek",
    "zeek_log_types",
]

MIME_CATEGORY = "mime_category"
"""The column ``mime_categories=`` adds."""

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Sequence[PathLike]]
"""A file, a directory (every file inside, recursively), a glob pattern, or a list of these."""

Output = Literal["polars", "arrow", "pandas"]


def expand_source(source: Source, log_type: str | None = None) -> list[str]:
    """List the files a source names, in a stable order.

    With ``log_type``, the files found inside a directory or by a glob are only those of that
    log type: their header's ``#path``, or for a file without a header its name
    (``conn.log``, ``conn.00:00:00-01:00:00.log.gz``). Files named one by one are always
    kept.

    Example:
        >>> expand_source("logs/2012-03-16/conn.*.log")  # doctest: +SKIP
        ['logs/2012-03-16/conn.00:00:00-01:00:00.log', ...]
        >>> expand_source("logs/", log_type="dns")  # doctest: +SKIP
        ['logs/2012-03-16/dns.00:00:00-01:00:00.log.gz', ...]
    """
    items: list[PathLike]
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, Sequence):
        items = list(source)
    else:
        raise TypeError(f"source must be a path, a glob or a list of them, not {type(source)}")
    if not items:
        raise ValueError("source is an empty list: no log to read")
    paths: list[str] = []
    for item in items:
        text = os.fspath(item)
        if os.path.isdir(text):
            inside = sorted(
                str(p)
                for p in Path(text).rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts[-1:])
            )
            if not inside:
                raise FileNotFoundError(f"{text}: the directory holds no files")
            paths.extend(_of_log_type(text, inside, log_type))
        elif glob.has_magic(text) and not os.path.exists(text):
            matches = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not matches:
                raise FileNotFoundError(f"{text}: no file matches the pattern")
            paths.extend(_of_log_type(text, matches, log_type))
        else:
            paths.append(text)
    return paths


#: Each file's ``#path`` by (path, size, modification time): picking several log types out
#: of the same archive reads each header once.
_LOG_PATHS: dict[tuple[str, int, int], str | None] = {}


def _log_paths(paths: list[str]) -> list[str | None]:
    keys = []
    for path in paths:
        stat = os.stat(path)
        keys.append((path, stat.st_size, stat.st_mtime_ns))
    unknown = [key for key in keys if key not in _LOG_PATHS]
    if unknown:
        if len(_LOG_PATHS) > 1_000_000:
            _LOG_PATHS.clear()
        _LOG_PATHS.update(zip(unknown, _core.log_paths([key[0] for key in unknown])))
    return [_LOG_PATHS[key] for key in keys]


def _of_log_type(source: str, found: list[str], log_type: str | None) -> list[str]:
    """The files of ``found`` (inside ``source``) whose log type is ``log_type``."""
    if log_type is None:
        return found
    kept = [
        path
        for path, header_path in zip(found, _log_paths(found))
        if header_path == log_type
        or (header_path is None and os.path.basename(path).startswith(f"{log_type}."))
    ]
    if not kept:
        raise FileNotFoundError(
            f"{source}: none of its {len(found)} files is a {log_type} log "
            f"(by #path, or by a name starting with {log_type + '.'!r})"
        )
    return kept


Warn = Callable[..., None]
"""How a read warns: ``warnings.warn``, or one that also reaches a Dask client."""


def skipped_warning(
    count: int, skipped: list[tuple[str | None, int | None, str]]
) -> ZeekSkippedLinesWarning:
    """The warning for ``count`` lines ``on_bad_line="skip"`` dropped, ``skipped`` the first."""
    first = "; ".join(message for _, _, message in skipped[:3])
    more = f" (and {count - 3} more)" if count > 3 else ""
    return ZeekSkippedLinesWarning(f"skipped {count} bad line(s): {first}{more}", count, skipped)


def unterminated_warning(lines: list[tuple[str, int]]) -> ZeekIncompleteLineWarning:
    """The warning naming the last ``lines`` that had no line end and were read as rows."""
    where = ", ".join(f"{path}:{line}" for path, line in lines[:3])
    more = f" (and {len(lines) - 3} more files)" if len(lines) > 3 else ""
    return ZeekIncompleteLineWarning(
        f"the last line has no line end, so it may be cut short or still being written; "
        f"it was read like the others: {where}{more} (complete_lines=True leaves it out)",
        lines,
    )


def warn_skipped(
    count: int,
    skipped: list[tuple[str | None, int | None, str]],
    *,
    stacklevel: int,
    warn: Warn | None = None,
) -> None:
    """Report the lines ``on_bad_line="skip"`` dropped, if any, as one warning."""
    if count:
        (warn or warnings.warn)(skipped_warning(count, skipped), stacklevel=stacklevel)


def warn_unterminated(
    lines: list[tuple[str, int]], *, stacklevel: int, warn: Warn | None = None
) -> None:
    """Name the last lines that had no line end and were read as rows, if any."""
    if lines:
        (warn or warnings.warn)(unterminated_warning(lines), stacklevel=stacklevel)


_map_setting_applied: object = object()
"""The value of ``ZEEKFRAME_MAP_MIN_BYTES`` last handed to the reader (none yet)."""


def _apply_map_setting() -> None:
    """Hand ``ZEEKFRAME_MAP_MIN_BYTES`` as it is now to the reader, for the reads to come.

    The reader's own parser judges it: a value it cannot use raises ``ValueError``. The
    environment is read here, under the GIL, not by the reader's threads.
    """
    global _map_setting_applied
    value = os.environ.get("ZEEKFRAME_MAP_MIN_BYTES")
    if value == _map_setting_applied:
        return
    _core.set_map_setting(value)
    _map_setting_applied = value


def _check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} is not one of {allowed}")


def _names(name: str, value: Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{name}= takes a list of names, not the string {value!r}")
    return list(value)


@dataclass(frozen=True)
class _Reader:
    """Validated options of one read, shared by the eager and the lazy path."""

    paths: list[str]
    n_threads: int | None
    rename: Literal["underscore"] | None
    skip_bad_lines: bool
    fields: list[str] | None
    types: list[str] | None
    log_type: str | None
    sample: float | None
    seed: int
    mime_categories: list[tuple[str, list[str]]] | None
    include_file_paths: str | None
    max_line_bytes: int | None = None
    complete_lines: bool = False
    start_offset: int = 0
    byte_range: tuple[int, int, int] | None = None
    """``(start, end, lines before start)``: read only the lines that start in this part of
    the one plain file in ``paths``."""
    warn: Warn | None = None
    """How the read's warnings are given (``warnings.warn`` by default)."""

    @classmethod
    def create(
        cls,
        source: Source,
        *,
        n_threads: int | None,
        rename: Literal["underscore"] | None,
        on_bad_line: Literal["raise", "skip"],
        fields: Sequence[str] | None,
        types: Sequence[str] | None,
        log_type: str | None,
        sample: float | None,
        seed: int,
        mime_categories: MimeCategories | None,
        include_file_paths: str | None = None,
        max_line_bytes: int | None = None,
        complete_lines: bool = False,
        start_offset: int = 0,
    ) -> _Reader:
        _check_choice("on_bad_line", on_bad_line, ("raise", "skip"))
        _check_choice("rename", rename, (None, "underscore"))
        _apply_map_setting()
        if n_threads is not None and n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, not {n_threads}")
        if sample is not None and not 0.0 <= sample <= 1.0:
            raise ValueError(f"sample must be a fraction between 0 and 1, not {sample}")
        if not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), not {seed}")
        if include_file_paths is not None and not isinstance(include_file_paths, str):
            raise TypeError(f"include_file_paths= takes a column name, not {include_file_paths!r}")
        if max_line_bytes is not None and max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be at least 1, not {max_line_bytes}")
        if start_offset < 0:
            raise ValueError(f"start_offset must be zero or positive, not {start_offset}")
        return cls(
            paths=expand_source(source, log_type),
            n_threads=n_threads,
            rename=rename,
            skip_bad_lines=on_bad_line == "skip",
            fields=_names("fields", fields),
            types=_names("types", types),
            log_type=log_type,
            sample=sample,
            seed=seed,
            mime_categories=(
                None if mime_categories is None else normalize_mime_categories(mime_categories)
            ),
            include_file_paths=include_file_paths,
            max_line_bytes=max_line_bytes,
            complete_lines=complete_lines,
            start_offset=start_offset,
        )

    def output_columns(self, columns: Sequence[str] | None) -> list[str] | None:
        """The columns asked for, as they come out, with the file path column if one is added."""
        wanted = _output_names("columns", columns, self.rename)
        name = self.include_file_paths
        if wanted is not None and name is not None and name not in wanted:
            wanted.append(name)
        return wanted

    @property
    def mime_enum(self) -> pl.Enum | None:
        if self.mime_categories is None:
            return None
        return pl.Enum([name for name, _ in self.mime_categories])

    def table(
        self, columns: list[str] | None, n_rows: int | None, parser_filter: Filter | None
    ) -> _core.ArrowTable:
        """Run the Rust reader; report skipped lines as one warning."""
        if n_rows is not None and n_rows < 0:
            raise ValueError(f"n_rows must be zero or positive, not {n_rows}")
        table = _core.read_tsv(
            self.paths,
            columns=columns,
            n_rows=n_rows,
            n_threads=self.n_threads,
            skip_bad_lines=self.skip_bad_lines,
            fields=self.fields,
            types=self.types,
            log_type=self.log_type,
            rename_underscore=self.rename == "underscore",
            sample=self.sample,
            seed=self.seed,
            filter=parser_filter,
            mime_categories=self.mime_categories,
            include_file_paths=self.include_file_paths,
            max_line_bytes=self.max_line_bytes,
            start_offset=self.start_offset,
            complete_lines=self.complete_lines,
            byte_range=self.byte_range,
        )
        warn_skipped(table.skipped_count, table.skipped, stacklevel=5, warn=self.warn)
        warn_unterminated(table.unterminated, stacklevel=5, warn=self.warn)
        return table

    def polars(self, table: _core.ArrowTable) -> pl.DataFrame:
        frame: pl.DataFrame = pl.DataFrame(table)
        enum = self.mime_enum
        if enum is not None and MIME_CATEGORY in frame.columns:
            frame = frame.with_columns(pl.col(MIME_CATEGORY).cast(enum))
        return frame

    def layout(self, path: str, *, every_block: bool = False) -> pl.Schema:
        """The columns of ``path``'s first header block (none for an empty file).

        With ``every_block``, those of all its blocks: the file is read to its end, its data
        lines not parsed.
        """
        underscore = self.rename == "underscore"
        if every_block:
            table = _core.read_layout_of_all_blocks(
                path,
                fields=self.fields,
                types=self.types,
                log_type=self.log_type,
                rename_underscore=underscore,
            )
            return pl.DataFrame(table).schema
        header = _core.read_header(
            path,
            fields=self.fields,
            types=self.types,
            log_type=self.log_type,
            rename_underscore=underscore,
        )
        return pl.Schema() if header is None else pl.DataFrame(header[2]).schema

    def schema(self, layouts: Mapping[str, pl.Schema] | None = None) -> pl.Schema:
        """The columns of every file's first header block, unified by name.

        ``layouts`` gives some files' columns instead (those of all their header blocks).
        """
        columns: dict[str, pl.DataType] = {}
        for path in self.paths:
            given = None if layouts is None else layouts.get(path)
            layout = self.layout(path) if given is None else given
            for name, dtype in layout.items():
                known = columns.setdefault(name, dtype)
                if known != dtype:
                    raise ZeekError(f"column {name!r} is {known} in one file but {dtype} in {path}")
        enum = self.mime_enum
        if enum is not None:
            columns.setdefault(MIME_CATEGORY, enum)
        if self.include_file_paths is not None:
            if self.include_file_paths in columns:
                raise ZeekError(
                    f"include_file_paths={self.include_file_paths!r} is already a column of "
                    "the log; choose another name"
                )
            columns[self.include_file_paths] = pl.String()
        return pl.Schema(columns)

    def frame(
        self,
        columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        schema: Mapping[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        """Read with the pushdown contract.

        Projection, predicate and n_rows are applied exactly: by the parser where it can, by
        Polars for the rest.
        """
        if predicate is None:
            return self.polars(self.table(columns, n_rows, None))
        schema = self.schema() if schema is None else schema
        # The parser filters on the log's own columns; a condition on the file path column
        # is left to Polars.
        log_columns = {k: v for k, v in schema.items() if k != self.include_file_paths}
        parser_filter, complete = translate(predicate, log_columns)
        if complete:
            return self.polars(self.table(columns, n_rows, parser_filter))
        # Polars applies the predicate too, so it needs the predicate's columns and every
        # candidate row: no row limit in the parser.
        needed = columns
        if columns is not None:
            roots = dict.fromkeys(predicate.meta.root_names())
            needed = columns + [c for c in roots if c not in columns]
        frame = self.polars(self.table(needed, None, parser_filter)).filter(predicate)
        if n_rows is not None:
            frame = frame.head(n_rows)
        return frame if columns is None else frame.select(columns)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert to pandas with exact types.

    Columns are Arrow-backed, so nullable counts stay integers, timestamps stay microsecond
    UTC and lists stay lists; enums become pandas categoricals.
    """
    import pandas as pd
    import pyarrow as pa

    def plain(data_type: pa.DataType) -> pa.DataType:
        # pandas' Arrow support is fullest for large_string; views are polars' layout.
        if data_type == pa.string_view():
            return pa.large_string()
        # Lists as the reader makes them, also when they come through Polars (large lists).
        if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
            return pa.list_(plain(data_type.value_type))
        return data_type

    schema = pa.schema([pa.field(f.name, plain(f.type)) for f in table.schema])
    if schema != table.schema:
        table = table.cast(schema)

    def mapper(data_type: pa.DataType) -> pd.ArrowDtype | None:
        return None if pa.types.is_dictionary(data_type) else pd.ArrowDtype(data_type)

    frame: pd.DataFrame = table.to_pandas(types_mapper=mapper)
    return frame


@overload
def read_zeek(
    source: Source,
    *,
    columns: Sequence[str] | None = ...,
    n_rows: int | None = ...,
    n_threads: int | None = ...,
    rename: Literal["underscore"] | None = ...,
    on_bad_line: Literal["raise", "skip"] = ...,
    fields: Sequence[str] | None = ...,
    types: Sequence[str] | None = ...,
    log_type: str | None = ...,
    sample: float | None = ...,
    seed: int = ...,
    filter: pl.Expr | None = ...,
    mime_categories: MimeCategories | None = ...,
    include_file_paths: str | None = ...,
    max_line_bytes: int | None = ...,
    complete_lines: bool = ...,
    output: Literal["polars"] = ...,
) -> pl.DataFrame: ...
@overload
def read_zeek(
    source: Source,
    *,
    columns: Sequence[str] | None = ...,
    n_rows: int | None = ...,
    n_threads: int | None = ...,
    rename: Literal["underscore"] | None = ...,
    on_bad_line: Literal["raise", "skip"] = ...,
    fields: Sequence[str] | None = ...,
    types: Sequence[str] | None = ...,
    log_type: str | None = ...,
    sample: float | None = ...,
    seed: int = ...,
    filter: pl.Expr | None = ...,
    mime_categories: MimeCategories | None = ...,
    include_file_paths: str | None = ...,
    max_line_bytes: int | None = ...,
    complete_lines: bool = ...,
    output: Literal["arrow"],
) -> pa.Table: ...
@overload
def read_zeek(
    source: Source,
    *,
    columns: Sequence[str] | None = ...,
    n_rows: int | None = ...,
    n_threads: int | None = ...,
    rename: Literal["underscore"] | None = ...,
    on_bad_line: Literal["raise", "skip"] = ...,
    fields: Sequence[str] | None = ...,
    types: Sequence[str] | None = ...,
    log_type: str | None = ...,
    sample: float | None = ...,
    seed: int = ...,
    filter: pl.Expr | None = ...,
    mime_categories: MimeCategories | None = ...,
    include_file_paths: str | None = ...,
    max_line_bytes: int | None = ...,
    complete_lines: bool = ...,
    output: Literal["pandas"],
) -> pd.DataFrame: ...
def read_zeek(
    source: Source,
    *,
    columns: Sequence[str] | None = None,
    n_rows: int | None = None,
    n_threads: int | None = None,
    rename: Literal["underscore"] | None = None,
    on_bad_line: Literal["raise", "skip"] = "raise",
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    sample: float | None = None,
    seed: int = 0,
    filter: pl.Expr | None = None,
    mime_categories: MimeCategories | None = None,
    include_file_paths: str | None = None,
    max_line_bytes: int | None = None,
    complete_lines: bool = False,
    output: Output = "polars",
) -> pl.DataFrame | pa.Table | pd.DataFrame:
    """Read Zeek logs, TSV or JSON, into a typed frame.

    Files may be TSV or JSON lines (told apart by their first line), plain, gzip or zstd
    (detected from their bytes). A JSON log's columns are its keys (dots kept): typed by the
    built-in schema of its log type (its ``_path``, else ``log_type=``) and, for keys
    no schema knows, by their values; its log type's other fields, which Zeek leaves out
    when unset, are null columns. TSV files may hold several header blocks
    (rotated logs concatenated; columns are unified by name, missing values are null), or
    have no header at all (give ``log_type`` or ``fields``/``types``). Large files are parsed
    in parallel; the result does not depend on ``n_threads`` and rows keep the file's order.
    With the same options, ``scan_zeek(...)`` filtered and collected gives the same frame,
    except that ``scan_zeek``'s columns are those of each file's first header block.

    Args:
        source: a path, a directory (every file inside, recursively, sorted), a glob pattern
            such as ``"logs/*/conn.*.log.gz"``, or a list of these. Files are read in parallel
            and concatenated in order.
        columns: read only these columns, in this order. Other fields are skipped by the
            parser, not parsed and dropped.
        n_rows: stop after this many rows (counted after sampling and filtering).
        n_threads: parser threads (default: one per core).
        rename: ``"underscore"`` names columns ``id_orig_h`` instead of Zeek's ``id.orig_h``.
        on_bad_line: ``"raise"`` (default) raises :class:`ZeekParseError` at the first line
            that does not follow the header; ``"skip"`` drops such lines and emits one
            :class:`ZeekSkippedLinesWarning` with their count and first line numbers. A
            truncated gzip/zstd stream follows the same choice: with ``"skip"`` the rows
            before the cut are returned.
        fields: field names of a log without a header.
        types: Zeek types of ``fields`` (``"time"``, ``"count"``, ``"set[string]"``...);
            default all ``"string"``.
        log_type: the log type (``"conn"``, ``"http"``, see :func:`zeek_log_types`). In a
            directory or glob of mixed logs it keeps only the files of that type (by
            ``#path``, or by file name for logs without a header); for a log without a header
            it gives the built-in field list, chosen by the number of fields on the first
            line.
        sample: keep each line with this probability (Bernoulli sampling). Whether a line is
            kept depends only on ``seed``, the file's path as given and the line's byte
            offset, so the same lines come back for any thread count; lines left out are not
            parsed beyond finding their end (and so are not checked for errors).
        seed: the sampling seed.
        filter: a Polars predicate. Comparisons of a column with a literal, ``is_in``,
            ``is_null`` and ``&``, ``|``, ``~`` of those are applied by the parser before the
            other columns of a line are parsed; the rest of the predicate is applied by
            Polars after reading. Either way the rows are exactly those of
            ``read_zeek(...).filter(filter)``.
        mime_categories: add a ``mime_category`` column (a Polars ``Enum`` of the mapping's
            names) classifying ``resp_mime_types``: the first category, in the mapping's
            order, that any of a response's types belongs to, else null. Computed while
            parsing; filters on it are pushed down too. See
            :data:`zeekframe.REPORT_MIME_CATEGORIES`.
        include_file_paths: add a column of this name holding each row's file path (as
            found, or as given), such as ``"file"``.
        max_line_bytes: a line longer than this (default 1 GiB) is a bad line (raised, or
            skipped with ``on_bad_line="skip"``), found without holding more than this much
            of it in memory.
        complete_lines: leave out a last line that has no line end, as a log still being
            written has. By default such a line is read like the others and a
            :class:`ZeekIncompleteLineWarning` names it, since it may have been cut short.
            See :class:`ZeekTail` for reading a growing log piece by piece.
        output: ``"polars"`` (default), ``"arrow"`` (``pyarrow.Table``) or ``"pandas"``
            (Arrow-backed dtypes: nullable counts stay integers, times stay microsecond UTC).

    Returns:
        A frame with one column per field: time as ``Datetime("us", "UTC")``, interval as
        ``Duration("us")``, count ``UInt64``, int ``Int64``, port ``UInt16``, double
        ``Float64``, bool ``Boolean``, enum ``Categorical``, sets and vectors as lists, and
        everything else (addr, subnet, string) as ``String``. ``-`` is null; ``(empty)`` is an
        empty string or list.

    Raises:
        ZeekParseError: a line or header does not follow the format (with path, line, column).
        ZeekError: columns that do not exist, or header blocks with conflicting types.
        OSError: a file cannot be opened or read.

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> conn = zf.read_zeek("conn.log.gz")  # doctest: +SKIP
        >>> sample = zf.read_zeek("conn_sample.log", log_type="conn", rename="underscore")
        ... # doctest: +SKIP
        >>> odd_ports = zf.read_zeek(
        ...     "http.log", filter=~pl.col("id.resp_p").is_in([80, 8080]),
        ...     mime_categories=zf.REPORT_MIME_CATEGORIES)  # doctest: +SKIP
    """
    _check_choice("output", output, ("polars", "arrow", "pandas"))
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
    wanted = reader.output_columns(columns)
    if output == "polars":
        return reader.frame(wanted, filter, n_rows)
    import pyarrow as pa

    if filter is None:
        arrow = pa.table(reader.table(wanted, n_rows, None))
    else:
        arrow = reader.frame(wanted, filter, n_rows).to_arrow()
    return arrow if output == "arrow" else _to_pandas(arrow)


def scan_zeek(
    source: Source,
    *,
    n_threads: int | None = None,
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
) -> pl.LazyFrame:
    """Scan Zeek logs (TSV or JSON) lazily: a Polars LazyFrame whose reads reach the parser.

    The query's projection (only the columns it uses are parsed), its filters (see
    ``filter`` in :func:`read_zeek` for what the parser applies itself) and its row limit
    reach the parser when the query is collected. Options mean what they mean for
    :func:`read_zeek`. The schema is that of each file's first header block, unified by
    name; read a log whose later header blocks add columns with :func:`read_zeek`.

    Example:
        >>> import polars as pl
        >>> import zeekframe as zf
        >>> top = (
        ...     zf.scan_zeek("conn.log.gz", sample=0.1, seed=42)
        ...     .filter(pl.col("id.resp_p") != 80)
        ...     .group_by("id.orig_h", "id.resp_p").len()
        ...     .sort("len", descending=True)
        ...     .collect()
        ... )  # doctest: +SKIP
    """
    from polars.io.plugins import register_io_source

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
    schema = reader.schema()

    def read(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        columns = list(schema) if with_columns is None else list(with_columns)
        frame = reader.frame(columns, predicate, n_rows, schema)
        # By Series, not pl.col: a column may be named "*" or "^...$", which pl.col expands.
        yield pl.DataFrame([frame.get_column(c).cast(schema[c]) for c in columns])

    return register_io_source(read, schema=schema)


def _output_names(
    name: str, columns: Sequence[str] | None, rename: Literal["underscore"] | None
) -> list[str] | None:
    """Column names as they come out: Zeek's, or underscored with ``rename``."""
    names = _names(name, columns)
    if names is None or rename != "underscore":
        return names
    return [c.replace(".", "_") for c in names]


@dataclass(frozen=True)
class ZeekSchema:
    """The layout of a log: its fields, their Zeek types and the frame's dtypes.

    Example:
        >>> schema = zf.read_zeek_schema("conn.log")  # doctest: +SKIP
        >>> schema.polars_schema["ts"]  # doctest: +SKIP
        Datetime(time_unit='us', time_zone='UTC')
    """

    fields: list[str]
    zeek_types: list[str]
    polars_schema: pl.Schema
    path: str | None
    """The log's ``#path`` (its log type), when the header names one."""

    def to_frame(self) -> pl.DataFrame:
        """One row per field: name, Zeek type and dtype.

        Example:
            >>> zf.read_zeek_schema("conn.log").to_frame()  # doctest: +SKIP
        """
        return pl.DataFrame(
            {
                "field": self.fields,
                "zeek_type": self.zeek_types,
                "dtype": [str(dtype) for dtype in self.polars_schema.values()],
            }
        )

    def __repr__(self) -> str:
        width = max((len(f) for f in self.fields), default=0)
        rows = [
            f"  {name:<{width}}  {zeek_type:<16} {dtype}"
            for name, zeek_type, dtype in zip(
                self.fields, self.zeek_types, self.polars_schema.values()
            )
        ]
        return "\n".join([f"ZeekSchema(path={self.path!r})", *rows])


def read_zeek_schema(
    source: Source,
    *,
    log_type: str | None = None,
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    rename: Literal["underscore"] | None = None,
) -> ZeekSchema:
    """Read only the header of a log (the first file, for several) and describe its columns.

    Example:
        >>> import zeekframe as zf
        >>> zf.read_zeek_schema("conn_sample.log", log_type="conn").fields[:3]  # doctest: +SKIP
        ['ts', 'uid', 'id.orig_h']
    """
    _check_choice("rename", rename, (None, "underscore"))
    first = expand_source(source)[0]
    header = _core.read_header(
        first,
        fields=_names("fields", fields),
        types=_names("types", types),
        log_type=log_type,
        rename_underscore=rename == "underscore",
    )
    if header is None:
        return ZeekSchema(fields=[], zeek_types=[], polars_schema=pl.Schema(), path=None)
    names, zeek_types, empty, log_path = header
    return ZeekSchema(
        fields=names,
        zeek_types=zeek_types,
        polars_schema=pl.DataFrame(empty).schema,
        path=log_path,
    )


@cache
def _builtin_field_types() -> dict[str, dict[str, str]]:
    """Each built-in log type's fields and their Zeek types, over all the versions known.

    The newest version comes first, so a field that changed type takes its current one.
    """
    found: dict[str, dict[str, str]] = {}
    for name, _version, fields, types in _core.builtin_schemas():
        known = found.setdefault(name, {})
        for field, zeek_type in zip(fields, types):
            known.setdefault(field, zeek_type)
    return found


def zeek_log_types() -> pl.DataFrame:
    """The built-in schemas of standard Zeek logs, one row per log type and version.

    These give the layout of logs written without a header (``log_type="conn"`` picks the
    first schema of that type, newest first, whose field count matches the log's first
    line). The registry is the data file ``src/format/schemas.txt`` of the Rust crate.

    Example:
        >>> import zeekframe as zf
        >>> types = zf.zeek_log_types()
        >>> types.filter(log_type="conn").select("version", "field_count").rows()
        [('zeek-7+', 22), ('zeek-3..6', 21), ('bro-2.x', 20)]
    """
    rows = _core.builtin_schemas()
    return pl.DataFrame(
        {
            "log_type": [r[0] for r in rows],
            "version": [r[1] for r in rows],
            "field_count": [len(r[2]) for r in rows],
            "fields": [r[2] for r in rows],
            "types": [r[3] for r in rows],
        },
        schema={
            "log_type": pl.String,
            "version": pl.String,
            "field_count": pl.UInt32,
            "fields": pl.List(pl.String),
            "types": pl.List(pl.String),
        },
    )
