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


def call(function_name: str, args: pl.Expr | Sequence[pl.Expr], config: bytes) -> pl.Expr:
    """The elementwise plugin ``function_name`` of the extension module on ``args``."""
    from polars.plugins import register_plugin_function

    from zeekframe import _core

    return register_plugin_function(
        plugin_path=Path(_core.__file__),
        function_name=function_name,
        args=args,
        kwargs={"zeekframe": config},
        is_elementwise=True,
    )
