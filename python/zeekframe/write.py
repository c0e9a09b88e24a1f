"""Frames back to Zeek logs: :func:`write_zeek`."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Union

import polars as pl

from zeekframe import _core
from zeekframe.exceptions import ZeekWriteWarning
from zeekframe.io import PathLike, ZeekSchema, _builtin_field_types, _check_choice

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["write_zeek"]

Frame = Union[pl.DataFrame, pl.LazyFrame, "pa.Table", "pa.RecordBatchReader", "pd.DataFrame", Any]
Types = Union[ZeekSchema, Mapping[str, str]]

_JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".zst": "zstd"}


def _infer(dest: PathLike | None) -> tuple[str, str | None, str | None]:
    """Format, compression and log name the destination's file name suggests."""
    if dest is None:
        return "tsv", None, None
    name = os.path.basename(os.fspath(dest))
    compression = None
    stem = name
    for suffix, kind in _COMPRESSION_SUFFIXES.items():
        if stem.endswith(suffix):
            compression, stem = kind, stem[: -len(suffix)]
    log_format = "json" if stem.endswith(_JSON_SUFFIXES) else "tsv"
    log_name = stem.split(".", 1)[0] or None
    return log_format, compression, log_name


def _stream(frame: Frame) -> Any:
    """What the Rust writer takes: an object with ``__arrow_c_stream__``, or an iterator.

    An iterator of such objects lets a LazyFrame be written batch by batch, never collected
    whole.
    """
    if isinstance(frame, pl.LazyFrame):
        return iter(frame.collect_batches())
    if hasattr(frame, "__arrow_c_stream__"):
        return frame
    module = type(frame).__module__
    if module.startswith("pandas"):
        import pyarrow as pa

        return pa.Table.from_pandas(frame, preserve_index=False)
    if isinstance(frame, Iterable) and not isinstance(frame, (str, bytes, Mapping)):
        return iter(frame)
    raise TypeError(
        f"write_zeek takes a Polars DataFrame or LazyFrame, a pyarrow Table, a pandas "
        f"DataFrame, an object with __arrow_c_stream__ or an iterator of those, not "
        f"{type(frame).__name__}"
    )


def write_zeek(
    frame: Frame,
    dest: PathLike | None,
    *,
    path: str | None = None,
    format: Literal["tsv", "json"] | None = None,
    compression: Literal["gzip", "zstd", "infer"] | None = "infer",
    compression_level: int | None = None,
    types: Types | None = None,
    separator: str = "\t",
    set_separator: str = ",",
    empty_field: str = "(empty)",
    unset_field: str = "-",
    open_close: str | None = "now",
    json_timestamps: Literal["epoch", "iso8601", "millis"] = "epoch",
    include_unset: bool = False,
) -> int:
    r"""Write a frame as a Zeek log, as Zeek's own writers write it; returns the rows written.

    TSV follows Zeek's ASCII writer: the header block (``#separator`` .. ``#types``), the
    markers, escapes (``\\``, ``\xHH`` for control bytes and for the separator, the set
    separator inside sets, a value that reads as a marker, a line that would start with
    ``#``), times and intervals with six decimals, doubles as Zeek prints them, and
    ``#open``/``#close``. JSON follows its JSON writer: one object per line, dotted keys,
    unset fields left out, ``ts`` as epoch seconds (or ISO-8601, or milliseconds). Reading
    the file back with :func:`zeekframe.read_zeek` gives the same frame.

    A column's Zeek type is taken from ``types`` where given; else from the built-in schema
    of the log's ``path`` (so ``id.orig_h`` of a conn log is an ``addr`` and
    ``tunnel_parents`` a ``set[string]``) where the column's values fit it; else from its
    dtype (Datetime: time, Duration: interval, UInt8/UInt16: port, other unsigned: count, signed:
    int, Float: double, Boolean: bool, String: string, Categorical/Enum: enum, List:
    vector). Pass the schema the frame was read with (``zf.read_zeek_schema(log)``) to keep
    a site's own columns as they were (``addr`` vs ``string``, ``set`` vs ``vector``).

    The file appears at ``dest`` only when complete (written under a temporary name, then
    renamed); rows are formatted, and compressed, on all cores, batch by batch, so a
    LazyFrame is never collected whole. Zeek's TSV format prints a set holding just one empty
    string as ``(empty)``, like an empty set (and one holding just one null as the unset
    field, like an unset set), and JSON has no NaN or infinity (Zeek writes
    ``null``): such cells are counted and warned about (:class:`zeekframe.ZeekWriteWarning`).
    Doubles are written with Zeek's six decimals when those read back to the same value, and
    with the shortest exact decimals otherwise (a double from a JSON log or a computation).

    Args:
        frame: A Polars DataFrame or LazyFrame, a pyarrow Table or RecordBatchReader, a
            pandas DataFrame, any object with ``__arrow_c_stream__``, or an iterator of those
            with the same columns.
        dest: The file to write (replaced if it exists), or None for standard output.
        path: The log's name for ``#path`` (``conn``, ``http``); by default that of
            ``types`` (a :class:`ZeekSchema`), else the file name up to its first dot.
        format: ``"tsv"`` or ``"json"``; by default JSON when the name ends ``.json``,
            ``.ndjson`` or ``.jsonl`` (before any ``.gz``/``.zst``), else TSV.
        compression: ``"gzip"``, ``"zstd"``, None, or ``"infer"`` (default: from a ``.gz``
            or ``.zst`` suffix).
        compression_level: gzip 0-9 (default 6), zstd 1-22 (default 3).
        types: Zeek types of columns: a :class:`ZeekSchema` (used where the values fit) or a
            mapping of column to type name (an error where they do not).
        separator: TSV: the field separator (Zeek's default a tab).
        set_separator: TSV: the separator of set and vector elements (one byte).
        empty_field: TSV: what an empty string, set or vector is written as.
        unset_field: TSV: what an unset (null) value is written as.
        open_close: ``"now"`` stamps ``#open``/``#close`` with the local time as Zeek does;
            other text is written as is; None leaves both lines out.
        json_timestamps: How JSON writes ``time`` columns.
        include_unset: JSON: write unset fields as ``null`` instead of leaving them out.

    Example:
        >>> import zeekframe as zf
        >>> http = zf.read_zeek("http.log")  # doctest: +SKIP
        >>> odd = http.filter(~pl.col("id.resp_p").is_in([80, 8080]))  # doctest: +SKIP
        >>> zf.write_zeek(odd, "odd_ports.http.log", path="http")  # doctest: +SKIP
        >>> zf.write_zeek(odd, "odd_ports.http.json.gz")  # doctest: +SKIP
    """
    _check_choice("format", format, ("tsv", "json", None))
    _check_choice("compression", compression, ("gzip", "zstd", "infer", None))
    _check_choice("json_timestamps", json_timestamps, ("epoch", "iso8601", "millis"))
    inferred_format, inferred_compression, file_log = _infer(dest)
    log_format = format or inferred_format
    if compression == "infer":
        compression = inferred_compression  # type: ignore[assignment]
    strict: dict[str, str] = {}
    hints: dict[str, str] = {}
    schema_path = None
    if isinstance(types, ZeekSchema):
        hints = dict(zip(types.fields, types.zeek_types))
        schema_path = types.path
    elif types is not None:
        strict = {str(k): str(v) for k, v in types.items()}
    log_path = path or schema_path or file_log
    if log_path is None:
        if log_format == "tsv":
            raise ValueError("name the log with path= (such as 'conn'): #path needs one")
        log_path = ""
    for field, zeek_type in _builtin_field_types().get(log_path, {}).items():
        hints.setdefault(field, zeek_type)
    rows, _bytes, ambiguous, non_finite, _chosen = _core.write_zeek(
        _stream(frame),
        None if dest is None else os.fspath(dest),
        format=log_format,
        path=log_path,
        separator=separator,
        set_separator=set_separator,
        empty_field=empty_field,
        unset_field=unset_field,
        types=strict,
        hints=hints,
        stamps=open_close,
        time_format=json_timestamps,
        include_unset=include_unset,
        compression=compression or "none",
        compression_level=compression_level,
    )
    if ambiguous:
        warnings.warn(
            ZeekWriteWarning(
                f"{ambiguous:,} sets or vectors hold just one empty string or just one null, "
                f"which Zeek's TSV format writes as {empty_field!r} or {unset_field!r}, the "
                f"same as an empty or unset set: they read back so (JSON keeps them)",
                count=ambiguous,
            ),
            stacklevel=2,
        )
    if non_finite:
        warnings.warn(
            ZeekWriteWarning(
                f"{non_finite:,} doubles are NaN or infinite, which JSON cannot hold: written "
                f"as null, as Zeek writes them (TSV keeps them)",
                count=non_finite,
            ),
            stacklevel=2,
        )
    return rows
