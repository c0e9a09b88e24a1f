"""Calls of zeekframe's Polars expression plugins, and the layout of their configuration.

The plugins live in the extension module (``src/expressions``). Each takes its
configuration as one bytes value, ``kwargs={"zeekframe": ...}``: little-endian integers,
texts as a ``u32`` byte length and UTF-8, lists of texts as a ``u32`` count and the texts.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl


def texts(values: Iterable[str]) -> bytes:
    """A list of texts in the plugins' layout."""
    encoded = [value.encode() for value in values]
    parts = [struct.pack("<I", len(encoded))]
    for value in encoded:
        parts += [struct.pack("<I", len(value)), value]
    return b"".join(parts)


def read_texts(data: bytes) -> list[str]:
    """The list of texts that ``data`` holds whole, as :func:`texts` lays it out."""
    (count,) = struct.unpack_from("<I", data)
    at = 4
    values = []
    for _ in range(count):
        (size,) = struct.unpack_from("<I", data, at)
        at += 4
        if at + size > len(data):
            raise ValueError("a text runs past the end of the configuration")
        values.append(data[at : at + size].decode())
        at += size
    if at != len(data):
        raise ValueError("the configuration has bytes after its texts")
    return values


def call(
    function_name: str,
    args: pl.Expr | Sequence[pl.Expr],
    config: bytes,
    *,
    elementwise: bool = True,
) -> pl.Expr:
    """The plugin ``function_name`` of the extension module on ``args``.

    ``elementwise=False`` for a plugin that takes whole columns and returns a column of
    another length (``pair_counts``).
    """
    from polars.plugins import register_plugin_function

    from zeekframe import _core

    return register_plugin_function(
        plugin_path=Path(_core.__file__),
        function_name=function_name,
        args=args,
        kwargs={"zeekframe": config},
        is_elementwise=elementwise,
        changes_length=not elementwise,
    )


def pair_counts(
    text: pl.Expr, number: pl.Expr, weights: pl.Expr | None = None, *, sort: bool = False
) -> pl.Expr:
    """One row per distinct (``text``, ``number``) pair, as a struct named after ``text``.

    Its fields are the two keys (the text as strings, the number of its own integer type)
    and ``count``: the rows holding the pair, or the sum of ``weights`` over them. Nulls are
    keys like any other value. With ``sort`` the highest count comes first, ties by text and
    then number, ascending with nulls first; without it, by their text's first appearance,
    then number. ``text`` must be a string column, ``number`` and ``weights`` integers.
    """
    args = [text, number] if weights is None else [text, number, weights]
    return call("pair_counts", args, bytes([1 if sort else 0]), elementwise=False)
