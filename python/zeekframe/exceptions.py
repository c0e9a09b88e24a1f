"""Exceptions and warnings raised by zeekframe.

Everything zeekframe raises about a log's content derives from :class:`ZeekError`; problems
opening or reading files are ordinary :class:`OSError` subclasses.
"""

from __future__ import annotations

__all__ = [
    "ZeekError",
    "ZeekIncompleteLineWarning",
    "ZeekParseError",
    "ZeekSkippedLinesWarning",
    "ZeekWriteWarning",
]


class ZeekError(Exception):
    """Base class of zeekframe's errors: the log cannot be read as asked.

    Example:
        >>> import zeekframe as zf
        >>> issubclass(zf.ZeekParseError, zf.ZeekError)
        True
    """


class ZeekParseError(ZeekError, ValueError):
    """A line or header does not follow the Zeek log format.

    Attributes:
        path: the file, as given.
        line: 1-based line number in the (decompressed) file, or None.
        column: 1-based field number within the line, or None.
        value: the offending text (shortened), or None.

    Example:
        >>> err = ZeekParseError("conn.log:3:4: field 'id.orig_p' is not a port: 'x'",
        ...                      path="conn.log", line=3, column=4, value="x")
        >>> (err.line, err.column)
        (3, 4)
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.value = value

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only attributes survive pickling (multiprocessing, joblib).
        return (_rebuild_parse_error, (str(self), self.path, self.line, self.column, self.value))


def _rebuild_parse_error(
    message: str, path: str | None, line: int | None, column: int | None, value: str | None
) -> ZeekParseError:
    return ZeekParseError(message, path=path, line=line, column=column, value=value)


class ZeekSkippedLinesWarning(UserWarning):
    """Lines were dropped because ``on_bad_line="skip"`` was given.

    Attributes:
        count: how many lines were skipped in all.
        lines: ``(path, line, message)`` for the first of them.

    Example:
        >>> import warnings, zeekframe as zf
        >>> warnings.simplefilter("error", zf.ZeekSkippedLinesWarning)  # make skips fatal
    """

    def __init__(
        self, message: str, count: int, lines: list[tuple[str | None, int | None, str]]
    ) -> None:
        super().__init__(message)
        self.count = count
        self.lines = lines

    def __reduce__(self) -> tuple[object, ...]:
        # Warnings raised on a Dask worker are pickled to the client.
        return (type(self), (str(self), self.count, self.lines))


class ZeekIncompleteLineWarning(UserWarning):
    """A file's last line has no line end, and was read as a row all the same.

    Zeek ends every line it writes, so such a line was either cut short (a copy that
    stopped early) or is still being written (a live log). Read with
    ``complete_lines=True`` to leave it out, or with :class:`zeekframe.ZeekTail` to read a
    growing log piece by piece.

    Attributes:
        lines: ``(path, line)`` of each such last line.

    Example:
        >>> import warnings, zeekframe as zf
        >>> warnings.simplefilter("error", zf.ZeekIncompleteLineWarning)  # make them fatal
    """

    def __init__(self, message: str, lines: list[tuple[str, int]]) -> None:
        super().__init__(message)
        self.lines = lines

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.lines))


class ZeekWriteWarning(UserWarning):
    """A value was written in a form that reads back differently.

    Zeek's TSV format writes a set or vector holding just one empty string as ``(empty)``,
    the same as an empty set, and one holding just one null as ``-``, the same as an unset
    set, so they read back so; JSON keeps them. JSON has no NaN or infinity: such doubles
    are written as null, as Zeek writes them; TSV keeps them.

    Attributes:
        count: how many cells were written so.

    Example:
        >>> import warnings, zeekframe as zf
        >>> warnings.simplefilter("error", zf.ZeekWriteWarning)  # make them fatal
    """

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.count))
