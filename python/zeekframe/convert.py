"""Zeek logs to Parquet, streaming: :func:`convert`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from zeekframe import _core
from zeekframe._pushdown import translate
from zeekframe.io import (
    PathLike,
    Source,
    _check_choice,
    _Reader,
    warn_skipped,
    warn_unterminated,
)
from zeekframe.mime import MimeCategories

__all__ = ["ConvertResult", "convert"]

Compression = Literal["zstd", "snappy", "uncompressed"]


@dataclass(frozen=True)
class ConvertResult:
    """What :func:`convert` wrote."""

    path: str
    """The Parquet file."""
    rows: int
    row_groups: int
    columns: list[str]
    skipped_count: int
    """Bad lines dropped under ``on_bad_line="skip"``."""


ProgressFactory = Callable[[int, str], "ProgressBar"]


class ProgressBar:
    """A tqdm bar over the input's bytes, with the rows written so far beside it."""

    def __init__(self, total: int, description: str, *, notebook: bool) -> None:
        from tqdm import tqdm
        from tqdm.auto import tqdm as auto_tqdm

        bar: type[tqdm[Any]] = auto_tqdm if notebook else tqdm
        # `delay`: a conversion that ends within a second shows no bar at all.
        self._bar = bar(
            total=total,
            desc=description,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            delay=1.0,
            dynamic_ncols=True,
        )
        self._rows = -1

    def update(self, bytes_read: int, rows: int) -> None:
        """Move the bar to ``bytes_read`` of the input."""
        self._bar.update(bytes_read - self._bar.n)
        if rows != self._rows:
            self._rows = rows
            self._bar.set_postfix_str(f"{rows:,} rows", refresh=False)

    def close(self) -> None:
        """End the bar (also after an error)."""
        self._bar.close()


def convert(
    source: Source,
    dest: PathLike,
    *,
    columns: Sequence[str] | None = None,
    sample: float | None = None,
    seed: int = 0,
    filter: pl.Expr | None = None,
    compression: Compression = "zstd",
    compression_level: int | None = None,
    row_group_size: int = 250_000,
    rename: Literal["underscore"] | None = None,
    on_bad_line: Literal["raise", "skip"] = "raise",
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    mime_categories: MimeCategories | None = None,
    include_file_paths: str | None = None,
    n_threads: int | None = None,
    progress: bool = True,
    max_line_bytes: int | None = None,
    complete_lines: bool = False,
) -> ConvertResult:
    """Convert Zeek logs into one Parquet file, streaming, with bounded memory.

    The logs are read in parallel and written in row groups as they are parsed, so memory
    stays a few hundred MB whatever the input's size. Columns, sampling, filters and MIME
    classification are applied while parsing, exactly as :func:`zeekframe.read_zeek` applies
    them, so ``pl.read_parquet(dest)`` equals ``read_zeek(source, ...)`` with the same
    arguments. Strings are written as plain Parquet strings and times as UTC microsecond
    timestamps; Polars, pyarrow, pandas and DuckDB read the file as is. The file appears at
    ``dest`` only when complete: an error or Ctrl-C leaves nothing behind.

    Args:
        source: A log, a directory, a glob, or a list of them (plain, gzip or zstd).
        dest: The Parquet file to write (replaced if it exists).
        columns: Columns to keep, in this order; all by default.
        sample: Keep each row with this probability (see :func:`zeekframe.read_zeek`).
        seed: Seed of the sample.
        filter: A Polars predicate the parser can apply whole (comparisons, ``is_in``,
            null checks on columns, combined with ``&``, ``|``, ``~``).
        compression: ``"zstd"`` (default), ``"snappy"`` or ``"uncompressed"``.
        compression_level: The zstd level (1-22, default 3).
        row_group_size: Rows per row group.
        rename: ``"underscore"`` writes ``id_orig_h`` instead of ``id.orig_h``.
        on_bad_line: ``"raise"`` or ``"skip"`` (skipped lines are reported in a warning).
        fields: Field names of logs without a header.
        types: Zeek types of ``fields``.
        log_type: Built-in layout of logs without a header, such as ``"conn"``.
        mime_categories: Add the ``mime_category`` column (see ``REPORT_MIME_CATEGORIES``).
        include_file_paths: Add a column of this name with each row's file path.
        max_line_bytes: A line longer than this (default 1 GiB) is a bad line.
        complete_lines: Leave out a last line without a line end (see
            :func:`zeekframe.read_zeek`).
        n_threads: Parser threads; all cores by default.
        progress: Show a progress bar (in Jupyter, a widget) when the work takes over a
            second.

    Returns:
        What was written: path, rows, row groups, columns and skipped lines.

    Example:
        >>> import zeekframe as zf
        >>> zf.convert("conn.log.gz", "conn.parquet", sample=0.1, seed=42)  # doctest: +SKIP
        ConvertResult(path='conn.parquet', rows=2269435, row_groups=10, ...)
    """
    return _convert(
        source,
        dest,
        columns=columns,
        sample=sample,
        seed=seed,
        filter=filter,
        compression=compression,
        compression_level=compression_level,
        row_group_size=row_group_size,
        rename=rename,
        on_bad_line=on_bad_line,
        fields=fields,
        types=types,
        log_type=log_type,
        mime_categories=mime_categories,
        include_file_paths=include_file_paths,
        max_line_bytes=max_line_bytes,
        complete_lines=complete_lines,
        n_threads=n_threads,
        progress=(lambda total, description: ProgressBar(total, description, notebook=True))
        if progress
        else None,
    )


def _convert(
    source: Source,
    dest: PathLike,
    *,
    columns: Sequence[str] | None,
    sample: float | None,
    seed: int,
    filter: pl.Expr | None,
    compression: Compression,
    compression_level: int | None,
    row_group_size: int,
    rename: Literal["underscore"] | None,
    on_bad_line: Literal["raise", "skip"],
    fields: Sequence[str] | None,
    types: Sequence[str] | None,
    log_type: str | None,
    mime_categories: MimeCategories | None,
    include_file_paths: str | None,
    n_threads: int | None,
    progress: ProgressFactory | None,
    max_line_bytes: int | None = None,
    complete_lines: bool = False,
) -> ConvertResult:
    """:func:`convert`, with the progress bar chosen by the caller (the CLI's is plain text)."""
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
    target = os.fspath(dest)
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"{target}: dest is a directory; name the file, such as {target}/conn.parquet"
        )
    _check_choice("compression", compression, ("zstd", "snappy", "uncompressed"))
    if compression == "zstd" and compression_level is not None and not 1 <= compression_level <= 22:
        raise ValueError(f"the zstd level must be 1 to 22, not {compression_level}")
    if row_group_size < 1:
        raise ValueError(f"row_group_size must be at least 1, not {row_group_size}")
    parser_filter = None
    if filter is not None:
        parser_filter, complete = translate(filter, reader.schema())
        if not complete:
            raise ValueError(
                f"convert applies filters in the parser, which cannot apply all of {filter}; "
                "use comparisons, is_in and null checks on columns (combined with &, |, ~), "
                "or convert everything and filter the Parquet file"
            )
    bar = None
    if progress is not None:
        total = sum(os.path.getsize(p) for p in reader.paths)
        bar = progress(total, os.path.basename(target))
    try:
        rows, row_groups, names, skipped_count, skipped, unterminated = _core.convert_parquet(
            reader.paths,
            target,
            columns=reader.output_columns(columns),
            n_threads=reader.n_threads,
            skip_bad_lines=reader.skip_bad_lines,
            fields=reader.fields,
            types=reader.types,
            log_type=reader.log_type,
            rename_underscore=reader.rename == "underscore",
            sample=reader.sample,
            seed=reader.seed,
            filter=parser_filter,
            mime_categories=reader.mime_categories,
            include_file_paths=reader.include_file_paths,
            compression=compression,
            compression_level=compression_level,
            row_group_size=row_group_size,
            progress=None if bar is None else bar.update,
            max_line_bytes=reader.max_line_bytes,
            complete_lines=reader.complete_lines,
        )
    finally:
        if bar is not None:
            bar.close()
    warn_skipped(skipped_count, skipped, stacklevel=4)
    warn_unterminated(unterminated, stacklevel=4)
    return ConvertResult(
        path=target, rows=rows, row_groups=row_groups, columns=names, skipped_count=skipped_count
    )
