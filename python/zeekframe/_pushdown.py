"""Translating Polars predicates into the filters the Rust parser applies while it reads.

Polars hands an IO source its predicate as an expression; ``Expr.meta.serialize(format=
"json")`` gives its tree. The format is not stable across Polars versions, so translation is
best effort by design: each conjunct of the predicate that is recognised exactly (a column
compared with a literal, ``is_in``, null checks, ``zf.in_subnet``, and/or/not of those, on
column types whose semantics the parser reproduces) is pushed down, and whatever is not is
left to Polars. A conjunct is never half-translated: the parser's rows must be exactly Polars' rows.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
from collections.abc import Mapping
from typing import Any, Union

import polars as pl

__all__ = ["Filter", "translate"]

Filter = tuple[Any, ...]
"""A node for the parser: ("and"|"or", [nodes]), ("not", node), ("cmp", col, op, literal),
("in", col, [literals]), ("null", col, negated), ("subnet", col, [networks]); a literal is
(kind, value)."""

_COMPARISONS = {"Eq": "eq", "NotEq": "ne", "Lt": "lt", "LtEq": "le", "Gt": "gt", "GtEq": "ge"}
_FLIPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_INTEGERS = (pl.UInt64, pl.Int64, pl.UInt16, pl.UInt32, pl.Int32, pl.UInt8, pl.Int8, pl.Int16)
_TIME_UNITS = {"Microseconds": 1, "Milliseconds": 1000}

Json = Union[dict[str, Any], list[Any], str, int, float, bool, None]


class _Untranslatable(Exception):
    """This part of the predicate stays with Polars."""


def translate(predicate: pl.Expr, schema: Mapping[str, pl.DataType]) -> tuple[Filter | None, bool]:
    """Split ``predicate`` into what the parser applies and whether that is all of it.

    Returns ``(filter, complete)``: the filter for the parser (None: nothing translatable)
    and whether it is equivalent to the whole predicate (if not, Polars must apply the
    predicate again after the read; applying a filter twice is harmless).

    Example:
        >>> import polars as pl
        >>> translate(pl.col("id.resp_p") != 80, {"id.resp_p": pl.UInt16()})
        (('cmp', 'id.resp_p', 'ne', ('int', 80)), True)
    """
    try:
        tree = json.loads(predicate.meta.serialize(format="json"))
    except Exception:  # any failure to serialize just means: no pushdown
        return None, False
    pushed: list[Filter] = []
    complete = True
    for conjunct in _conjuncts(tree):
        try:
            pushed.append(_node(conjunct, schema))
        except (
            _Untranslatable,
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            AttributeError,
            pickle.UnpicklingError,
            EOFError,
        ):
            complete = False
    if not pushed:
        return None, False
    return (pushed[0] if len(pushed) == 1 else ("and", pushed)), complete


def _conjuncts(tree: Json) -> list[Json]:
    if isinstance(tree, dict) and "BinaryExpr" in tree:
        binary = tree["BinaryExpr"]
        if binary["op"] in ("And", "LogicalAnd"):
            return _conjuncts(binary["left"]) + _conjuncts(binary["right"])
    return [tree]


def _node(tree: Json, schema: Mapping[str, pl.DataType]) -> Filter:
    if not isinstance(tree, dict):
        raise _Untranslatable
    if "BinaryExpr" in tree:
        binary = tree["BinaryExpr"]
        op = binary["op"]
        if op in ("And", "LogicalAnd", "Or", "LogicalOr"):
            kind = "and" if op in ("And", "LogicalAnd") else "or"
            return (kind, [_node(binary["left"], schema), _node(binary["right"], schema)])
        if op not in _COMPARISONS:
            raise _Untranslatable
        left, right, symbol = binary["left"], binary["right"], _COMPARISONS[op]
        if "Column" not in left:
            left, right, symbol = right, left, _FLIPPED[symbol]
        column = _column(left, schema)
        dtype = schema[column]
        ordered = not isinstance(dtype, (pl.String, pl.Categorical, pl.Enum, pl.Boolean))
        if symbol not in ("eq", "ne") and not ordered:
            raise _Untranslatable
        return ("cmp", column, symbol, _literal(right["Literal"], dtype))
    if "Function" in tree:
        function = tree["Function"]["function"]
        inputs = tree["Function"]["input"]
        if isinstance(function, dict) and "FfiPlugin" in function:
            return _plugin_node(function["FfiPlugin"], inputs, schema)
        boolean = function.get("Boolean") if isinstance(function, dict) else None
        if boolean == "Not":
            return ("not", _node(inputs[0], schema))
        if boolean in ("IsNull", "IsNotNull"):
            return ("null", _column(inputs[0], schema), boolean == "IsNotNull")
        if isinstance(boolean, dict) and "IsIn" in boolean:
            if boolean["IsIn"].get("nulls_equal", False):
                raise _Untranslatable
            column = _column(inputs[0], schema)
            values = _list_literal(inputs[1]["Literal"])
            return ("in", column, [_python_literal(v, schema[column]) for v in values])
    raise _Untranslatable


class _PlainData(pickle.Unpickler):
    """Unpickles containers of plain values only.

    A zeekframe plugin's kwargs are a dict of one bytes value: nothing in them may name a
    class or a function to call.
    """

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _plugin_node(
    plugin: dict[str, Any], inputs: list[Json], schema: Mapping[str, pl.DataType]
) -> Filter:
    """``zf.in_subnet`` on a text column: the parser evaluates it with the same code."""
    from zeekframe import _core, _plugins

    if plugin.get("symbol") != "in_subnet":
        raise _Untranslatable
    if os.path.realpath(str(plugin.get("lib"))) != os.path.realpath(_core.__file__):
        raise _Untranslatable
    (argument,) = inputs
    if isinstance(argument, dict) and "Cast" in argument:
        cast = argument["Cast"]
        if cast.get("dtype") != {"Literal": "String"}:
            raise _Untranslatable
        argument = cast["expr"]
    column = _column(argument, schema)
    if not isinstance(schema[column], (pl.String, pl.Categorical, pl.Enum)):
        raise _Untranslatable
    kwargs = _PlainData(io.BytesIO(bytes(plugin["kwargs"]))).load()
    config = kwargs.get("zeekframe") if isinstance(kwargs, dict) else None
    if not isinstance(config, bytes):
        raise _Untranslatable
    try:
        networks = _plugins.read_texts(config)
    except (ValueError, struct.error, UnicodeDecodeError):
        raise _Untranslatable from None
    return ("subnet", column, networks)


def _column(tree: Json, schema: Mapping[str, pl.DataType]) -> str:
    name = tree.get("Column") if isinstance(tree, dict) else None
    if not isinstance(name, str) or name not in schema:
        raise _Untranslatable
    return name


def _literal(literal: dict[str, Any], dtype: pl.DataType) -> tuple[str, Any]:
    """Turn a scalar literal of the JSON tree into the parser's (kind, value).

    The literal is checked against the column's type: a kind the parser would compare
    differently from Polars is not translated.
    """
    if "Dyn" in literal:
        ((kind, value),) = literal["Dyn"].items()
        return _python_literal(int(value) if kind == "Int" else float(value), dtype)
    ((kind, value),) = literal["Scalar"].items()
    if kind == "Datetime":
        micros, unit, zone = value
        zone_name = zone.get("inner") if isinstance(zone, dict) else zone
        if not (isinstance(dtype, pl.Datetime) and zone_name == dtype.time_zone == "UTC"):
            raise _Untranslatable
        if unit not in _TIME_UNITS:
            raise _Untranslatable
        return ("us", int(micros) * _TIME_UNITS[unit])
    if kind in ("String", "Boolean") or kind.startswith(("Int", "UInt", "Float")):
        return _python_literal(value, dtype)
    raise _Untranslatable


def _list_literal(literal: dict[str, Any]) -> list[Any]:
    scalar = literal["Scalar"]
    encoded = scalar["List"]
    # An is_in list arrives as an Arrow IPC stream holding one list.
    series = pl.read_ipc_stream(io.BytesIO(bytes(encoded))).to_series()
    values = series.explode().to_list() if series.dtype == pl.List else series.to_list()
    if any(v is None for v in values):
        raise _Untranslatable
    return values


def _python_literal(value: object, dtype: pl.DataType) -> tuple[str, Any]:
    if isinstance(value, bool):
        if isinstance(dtype, pl.Boolean):
            return ("bool", value)
        raise _Untranslatable
    if isinstance(value, int):
        if isinstance(dtype, _INTEGERS):
            return ("int", value)
        if isinstance(dtype, pl.Float64):
            return ("float", float(value))
        raise _Untranslatable
    if isinstance(value, float):
        if isinstance(dtype, (*_INTEGERS, pl.Float64)):
            return ("float", value)
        raise _Untranslatable
    if isinstance(value, str) and isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return ("str", value)
    raise _Untranslatable
