"""Reading a log that is still being written, piece by piece: :class:`ZeekTail`."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Literal

import polars as pl

from zeekframe.io import PathLike, _Reader
from zeekframe.mime import MimeCategories

__all__ = ["ZeekTail"]


class ZeekTail:
    """The rows appended to a log since the last read, from complete lines only.

    Zeek appends to ``conn.log`` all day; an hourly job should read each row once. A
    ``ZeekTail`` remembers where its last read stopped (:attr:`offset`, a byte offset in the
    decompressed file, to be saved between runs) and each :meth:`read` returns the rows of the
    complete lines after it. A last line without a line end is still being written: it is
    left for the next read. Header lines before the offset are still read, so the rows have
    the types of the header block they belong to. Sampling keeps the same lines as a read of
    the whole file would (it is keyed by byte offset).

    Args:
        path: one log file (plain, gzip or zstd).
        offset: where to start; 0 (the start of the file) by default, else an :attr:`offset`
            saved from an earlier read. It must be the start of a line.
        columns, n_threads, rename, on_bad_line, fields, types, log_type, sample, seed,
            mime_categories, max_line_bytes: as for :func:`zeekframe.read_zeek`.

    Raises:
        ZeekError: at :meth:`read`, when the file is now shorter than the offset (it was
            rotated or truncated: start a new ``ZeekTail`` for the new file).

    Example:
        >>> import zeekframe as zf
        >>> tail = zf.ZeekTail("conn.log", offset=0)  # doctest: +SKIP
        >>> new_rows = tail.read()  # doctest: +SKIP
        >>> saved = tail.offset  # doctest: +SKIP
        >>> later = zf.ZeekTail("conn.log", offset=saved).read()  # doctest: +SKIP
    """

    def __init__(
        self,
        path: PathLike,
        *,
        offset: int = 0,
        columns: Sequence[str] | None = None,
        n_threads: int | None = None,
        rename: Literal["underscore"] | None = None,
        on_bad_line: Literal["raise", "skip"] = "raise",
        fields: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        log_type: str | None = None,
        sample: float | None = None,
        seed: int = 0,
        mime_categories: MimeCategories | None = None,
        max_line_bytes: int | None = None,
    ) -> None:
        target = os.fspath(path)
        if not os.path.isfile(target):
            raise ValueError(f"{target}: ZeekTail follows one regular file")
        if offset < 0:
            raise ValueError(f"offset must be zero or positive, not {offset}")
        self._path = target
        self._columns = None if columns is None else list(columns)
        self._reader = _Reader.create(
            target,
            n_threads=n_threads,
            rename=rename,
            on_bad_line=on_bad_line,
            fields=fields,
            types=types,
            log_type=log_type,
            sample=sample,
            seed=seed,
            mime_categories=mime_categories,
            max_line_bytes=max_line_bytes,
            complete_lines=True,
        )
        self._offset = offset

    @property
    def path(self) -> str:
        """The file followed."""
        return self._path

    @property
    def offset(self) -> int:
        """Where the next read starts: after the last complete line read so far."""
        return self._offset

    def read(self) -> pl.DataFrame:
        """The rows of the complete lines appended since the last read.

        Returns:
            A frame with the columns and types :func:`zeekframe.read_zeek` gives the file
            (empty when nothing new was written).

        Example:
            >>> import zeekframe as zf
            >>> zf.ZeekTail("conn.log").read().height  # doctest: +SKIP
            2000
        """
        reader = dataclasses.replace(self._reader, start_offset=self._offset)
        table = reader.table(reader.output_columns(self._columns), None, None)
        (end,) = table.end_offsets
        frame = reader.polars(table)
        self._offset = max(self._offset, end)
        return frame
