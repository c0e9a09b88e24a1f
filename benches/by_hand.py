"""Reading a Zeek TSV log without zeekframe: the baselines zeekframe is measured against.

``read_polars`` is the best a careful user can do with ``pl.read_csv`` alone and gives the same
frame as ``zeekframe.read_zeek`` (dtypes and values, see /work/shared/DESIGN.md "Types") on
logs without escapes; ``read_pandas`` is the analogous pandas read. Both take the column names
and Zeek types from the log's own header, as a user would, and that header read is part of
what is timed.

Each conversion was picked by measuring its alternatives with ``bench_by_hand_alternatives.py``
(only exact ones qualify: time and interval never pass through a float). What these readers do
NOT do, because the benchmark file never needs it, is unescape ``\\xHH`` / ``\\\\`` or map
``(empty)`` in string columns to ``""``: that keeps the baseline as fast as it can be, in its
favour.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

#: Lines to look at for the header; Zeek writes 8 before the first record.
HEADER_PROBE_LINES = 16


@dataclass(frozen=True)
class ZeekHeader:
    """What a reader needs from the ``#`` lines at the top of a Zeek TSV log."""

    separator: str
    set_separator: str
    empty_field: str
    unset_field: str
    fields: tuple[str, ...]
    types: tuple[str, ...]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """Return ``(name, Zeek type)`` per column."""
        return list(zip(self.fields, self.types))


def read_header(path: Path) -> ZeekHeader:
    """Parse the header block of a plain or gzip-compressed Zeek TSV log."""
    opener = gzip.open if path.suffix == ".gz" else open
    meta: dict[str, str] = {}
    with opener(path, "rt", encoding="utf-8", newline="\n") as fh:
        for _ in range(HEADER_PROBE_LINES):
            line = fh.readline().rstrip("\r\n")
            if not line.startswith("#"):
                break
            if line.startswith("#separator "):
                # The only header value that is escaped and space-delimited (Zeek writes \x09).
                meta["separator"] = bytes(line.split(" ", 1)[1], "ascii").decode("unicode_escape")
                continue
            key, _, value = line[1:].partition(meta.get("separator", "\t"))
            meta[key] = value
    sep = meta["separator"]
    fields, types = meta["fields"].split(sep), meta["types"].split(sep)
    if len(fields) != len(types):
        raise ValueError(f"{path}: {len(fields)} #fields but {len(types)} #types")
    return ZeekHeader(
        separator=sep,
        set_separator=meta["set_separator"],
        empty_field=meta["empty_field"],
        unset_field=meta["unset_field"],
        fields=tuple(fields),
        types=tuple(types),
    )


def exact_micros(values: list[str | None]) -> list[int | None]:
    """Parse Zeek decimal seconds to integer microseconds with Python ints only.

    The oracle the fast conversions are checked against: no float anywhere, any number of
    decimals up to 6, a sign on intervals.
    """
    out: list[int | None] = []
    for text in values:
        if text is None:
            out.append(None)
            continue
        whole, _, frac = text.lstrip("-").partition(".")
        micros = int(whole) * 1_000_000 + int((frac + "000000")[:6])
        out.append(-micros if text.startswith("-") else micros)
    return out


def _container_inner(zeek_type: str) -> str | None:
    """Return ``T`` for ``set[T]``, ``vector[T]`` or ``table[T]``, else ``None``."""
    for prefix in ("set[", "vector[", "table["):
        if zeek_type.startswith(prefix) and zeek_type.endswith("]"):
            return zeek_type[len(prefix) : -1]
    return None


def polars_dtype(zeek_type: str) -> pl.DataType:
    """Return the Polars dtype zeekframe gives a Zeek type (DESIGN.md "Types")."""
    import polars as pl

    inner = _container_inner(zeek_type)
    if inner is not None:
        return pl.List(polars_dtype(inner))
    scalar: dict[str, pl.DataType] = {
        "time": pl.Datetime("us", "UTC"),
        "interval": pl.Duration("us"),
        "count": pl.UInt64(),
        "int": pl.Int64(),
        "port": pl.UInt16(),
        "double": pl.Float64(),
        "bool": pl.Boolean(),
        "enum": pl.Categorical(),
    }
    return scalar.get(zeek_type, pl.String())


def _micros_as_int(column: pl.Expr) -> pl.Expr:
    """Turn a column parsed as ``Decimal(18, 6)`` into its exact integer microseconds.

    A Decimal's physical value *is* the unscaled integer, so this is a reinterpretation, not
    arithmetic. It is the cheapest exact route ``bench_by_hand_alternatives.py`` found: parsing
    the decimal in the CSV reader costs less CPU than reading a String and then
    ``str.replace(".", "")`` -> Int64 (which also silently needs exactly 6 decimals),
    ``str.to_decimal``, ``str.to_datetime("%s%.f")`` or ``str.split_exact``, and no more than
    a Float64 read, which is not exact in general. It also takes 1 to 6 decimals and a sign.
    """
    import polars as pl

    return column.to_physical().cast(pl.Int64)


def read_polars(path: Path) -> pl.DataFrame:
    """Read a Zeek TSV log (plain or .gz) with ``pl.read_csv`` into zeekframe's dtypes."""
    import polars as pl

    header = read_header(path)
    # Parse into the closest type the CSV reader understands, then convert exactly.
    read_as: dict[str, pl.DataType] = {}
    conversions: list[pl.Expr] = []
    for name, zeek_type in header.columns:
        target = polars_dtype(zeek_type)
        col = pl.col(name)
        if zeek_type in ("time", "interval"):
            read_as[name] = pl.Decimal(18, 6)
            conversions.append(_micros_as_int(col).cast(target).alias(name))
        elif zeek_type == "bool":
            # The reader only knows true/false; comparing keeps unset values null.
            read_as[name] = pl.String()
            conversions.append((col == "T").alias(name))
        elif isinstance(target, pl.List):
            read_as[name] = pl.String()
            empty = pl.lit([], dtype=target)
            split = col.str.split(header.set_separator)
            if _container_inner(zeek_type) in ("time", "interval"):
                # Exact, as for scalar times: through Decimal, never a float.
                element = pl.element().cast(pl.Decimal(18, 6))
                split = split.list.eval(_micros_as_int(element))
            split = split.cast(target)
            conversions.append(
                pl.when(col == header.empty_field).then(empty).otherwise(split).alias(name)
            )
        else:
            # count/port/int/double/enum (Categorical) parse straight in the reader.
            read_as[name] = target
            continue
    frame = pl.read_csv(
        path,
        separator=header.separator,
        comment_prefix="#",
        quote_char=None,
        has_header=False,
        null_values=header.unset_field,
        # A full schema (names and types) also skips type inference.
        schema=read_as,
    )
    return frame.with_columns(conversions)


def read_pandas(path: Path) -> pd.DataFrame:
    """Read a Zeek TSV log with ``pd.read_csv`` and the analogous exact conversions."""
    import pandas as pd

    header = read_header(path)
    dtypes: dict[str, str] = {}
    for name, zeek_type in header.columns:
        # Nullable pandas dtypes: a plain int64 cannot hold "-", and float64 would lose
        # exactness above 2**53 and change the dtype.
        dtypes[name] = {
            "count": "UInt64",
            "int": "Int64",
            "port": "UInt16",
            "double": "Float64",
        }.get(zeek_type, "str")
    frame = pd.read_csv(
        path,
        sep=header.separator,
        # pandas' C engine drops everything after a "#" anywhere in a line; Zeek only marks
        # whole lines. Harmless here (no "#" inside any field), wrong on real logs that have one.
        comment="#",
        header=None,
        names=list(header.fields),
        na_values=[header.unset_field],
        keep_default_na=False,
        quoting=3,  # csv.QUOTE_NONE: Zeek never quotes.
        dtype=dtypes,
    )
    for name, zeek_type in header.columns:
        col = frame[name]
        if zeek_type in ("time", "interval"):
            # Exact: drop the decimal point of the fixed 6-decimal text and read integer us.
            micros = col.str.replace(".", "", regex=False).astype("Int64")
            if zeek_type == "time":
                frame[name] = pd.to_datetime(micros, unit="us", utc=True).astype(
                    "datetime64[us, UTC]"
                )
            else:
                frame[name] = pd.to_timedelta(micros, unit="us").astype("timedelta64[us]")
        elif zeek_type == "bool":
            frame[name] = col.map({"T": True, "F": False}).astype("boolean")
        elif zeek_type == "enum":
            frame[name] = col.astype("category")
        elif _container_inner(zeek_type) is not None:
            lists = col.str.split(header.set_separator, regex=False).astype(object)
            frame[name] = lists.where(col != header.empty_field, pd.Series([[]] * len(col)))
    return frame
