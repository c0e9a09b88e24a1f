"""Reading Zeek logs into frames: :func:`read_zeek` and :func:`read_zeek_schema`."""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Union, overload

import polars as pl

from zeekframe import _core
from zeekframe.exceptions import ZeekSkippedLinesWarning

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["Source", "ZeekSchema", "read_zeek", "read_zeek_schema"]

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Sequence[PathLike]]
"""A file, a directory (every file inside, recursively), a glob pattern, or a list of these."""

Output = Literal["polars", "arrow", "pandas"]


def expand_source(source: Source) -> list[str]:
    """List the files a source names, in a stable order.

    Example:
        >>> expand_source("logs/2012-03-16/conn.*.log")  # doctest: +SKIP
        ['logs/2012-03-16/conn.00:00:00-01:00:00.log', ...]
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
            paths.extend(inside)
        elif glob.has_magic(text) and not os.path.exists(text):
            matches = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not matches:
                raise FileNotFoundError(f"{text}: no file matches the pattern")
            paths.extend(matches)
        else:
            paths.append(text)
    return paths


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


def _read_table(
    source: Source,
    *,
    columns: Sequence[str] | None,
    n_rows: int | None,
    n_threads: int | None,
    rename: Literal["underscore"] | None,
    on_bad_line: Literal["raise", "skip"],
    fields: Sequence[str] | None,
    types: Sequence[str] | None,
    log_type: str | None,
) -> _core.ArrowTable:
    _check_choice("on_bad_line", on_bad_line, ("raise", "skip"))
    _check_choice("rename", rename, (None, "underscore"))
    if n_rows is not None and n_rows < 0:
        raise ValueError(f"n_rows must be zero or positive, not {n_rows}")
    if n_threads is not None and n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, not {n_threads}")
    table = _core.read_tsv(
        expand_source(source),
        columns=_names("columns", columns),
        n_rows=n_rows,
        n_threads=n_threads,
        skip_bad_lines=on_bad_line == "skip",
        fields=_names("fields", fields),
        types=_names("types", types),
        log_type=log_type,
        rename_underscore=rename == "underscore",
    )
    if table.skipped_count:
        shown = table.skipped
        first = "; ".join(message for _, _, message in shown[:3])
        more = f" (and {table.skipped_count - 3} more)" if table.skipped_count > 3 else ""
        warnings.warn(
            ZeekSkippedLinesWarning(
                f"skipped {table.skipped_count} bad line(s): {first}{more}",
                table.skipped_count,
                shown,
            ),
            stacklevel=3,
        )
    return table


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
        if pa.types.is_list(data_type):
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
    output: Output = "polars",
) -> pl.DataFrame | pa.Table | pd.DataFrame:
    """Read Zeek TSV logs into a typed frame.

    Files may be plain, gzip or zstd (detected from their bytes), hold several header blocks
    (rotated logs concatenated; columns are unified by name, missing values are null), or
    have no header at all (give ``log_type`` or ``fields``/``types``). Large files are parsed
    in parallel; the result does not depend on ``n_threads`` and rows keep the file's order.

    Args:
        source: a path, a directory (every file inside, recursively, sorted), a glob pattern
            such as ``"logs/*/conn.*.log.gz"``, or a list of these. Files are read in parallel
            and concatenated in order.
        columns: read only these columns, in this order. Other fields are skipped by the
            parser, not parsed and dropped.
        n_rows: stop after this many rows.
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
        log_type: for a log without a header, the standard log it is (``"conn"``, ``"http"``):
            its built-in field list is chosen by the number of fields on the first line.
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
        >>> import zeekframe as zf
        >>> conn = zf.read_zeek("conn.log.gz")  # doctest: +SKIP
        >>> conn.select("ts", "id.orig_h", "id.resp_p").head(2)  # doctest: +SKIP
        >>> sample = zf.read_zeek("conn_sample.log", log_type="conn", rename="underscore")
        ... # doctest: +SKIP
    """
    _check_choice("output", output, ("polars", "arrow", "pandas"))
    table = _read_table(
        source,
        columns=columns,
        n_rows=n_rows,
        n_threads=n_threads,
        rename=rename,
        on_bad_line=on_bad_line,
        fields=fields,
        types=types,
        log_type=log_type,
    )
    if output == "polars":
        frame: pl.DataFrame = pl.DataFrame(table)
        return frame
    import pyarrow as pa

    arrow = pa.table(table)
    return arrow if output == "arrow" else _to_pandas(arrow)


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
