"""Measure the ways to do each by-hand conversion, to justify the choices in ``by_hand.py``.

For every Zeek type that ``pl.read_csv`` cannot produce directly (time, interval, bool, enum,
table/set), each alternative reads the whole log with all other columns as String and converts
only the columns of that type. Its cost is its time minus that of a plain all-String read, as
minimum wall time and as median CPU time of all threads; runs of all alternatives alternate,
so drift on a shared machine hits them alike. Time and interval results are also checked
against an exact integer parse of the raw text done in Python: an alternative that is not
exact on this file is marked so, and Float64 (not exact in general) is listed for reference
only.

Usage::

    python benches/bench_by_hand_alternatives.py [PATH] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from by_hand import ZeekHeader, exact_micros, read_header

DEFAULT_PATH = Path(__file__).parent / ".data" / "conn_2000000_2012.log"


@dataclass(frozen=True)
class Alternative:
    """One way to turn the columns of one Zeek type into zeekframe's dtype."""

    group: str
    name: str
    read_as: pl.DataType
    convert: Callable[[pl.Expr, pl.DataType], pl.Expr]
    exact_by_construction: bool = True

    @property
    def key(self) -> str:
        """Identify the alternative across groups (the same method serves several types)."""
        return f"{self.group}: {self.name}"


def _unscaled(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return col.to_physical().cast(pl.Int64).cast(target)


def _replace_point(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    # Only exact when every value has exactly 6 decimals, as Zeek's TSV writer prints them.
    return col.str.replace(".", "", literal=True).cast(pl.Int64).cast(target)


def _split_exact(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    parts = col.str.split_exact(".", 1)
    seconds = parts.struct.field("field_0").cast(pl.Int64)
    fraction = parts.struct.field("field_1").str.pad_end(6, "0").cast(pl.Int64)
    # A negative interval carries its sign on the seconds only.
    sign = pl.when(col.str.starts_with("-")).then(-1).otherwise(1)
    return (seconds * 1_000_000 + sign * fraction).cast(target)


def _to_decimal(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return col.str.to_decimal(scale=6).to_physical().cast(pl.Int64).cast(target)


def _chrono(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return col.str.to_datetime("%s%.f", time_unit="us", time_zone="UTC").cast(target)


def _float(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return (col * 1e6).round().cast(pl.Int64).cast(target)


def _eq_t(col: pl.Expr, _: pl.DataType) -> pl.Expr:
    return col == "T"


def _replace_strict(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return col.replace_strict({"T": True, "F": False}, return_dtype=target)


def _identity(col: pl.Expr, _: pl.DataType) -> pl.Expr:
    return col


def _cast(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    return col.cast(target)


def _when_empty(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    empty = pl.lit([], dtype=target)
    return pl.when(col == "(empty)").then(empty).otherwise(col.str.split(",").cast(target))


def _filter_empty(col: pl.Expr, target: pl.DataType) -> pl.Expr:
    # "(empty)" can only be the whole field: an element that is literally "(empty)" is escaped.
    return col.str.split(",").list.filter(pl.element() != "(empty)").cast(target)


def _alternatives() -> list[Alternative]:
    decimal = pl.Decimal(18, 6)
    out: list[Alternative] = []
    for group in ("time", "interval"):
        out += [
            Alternative(group, "Decimal(18,6) in reader, unscaled int", decimal, _unscaled),
            Alternative(
                group, "String, str.replace('.', '') -> Int64", pl.String(), _replace_point
            ),
            Alternative(group, "String, str.split_exact + pad_end", pl.String(), _split_exact),
            Alternative(group, "String, str.to_decimal(scale=6)", pl.String(), _to_decimal),
        ]
        if group == "time":
            out.append(Alternative(group, "String, str.to_datetime('%s%.f')", pl.String(), _chrono))
        out.append(
            Alternative(
                group,
                "Float64 in reader, *1e6 round (inexact)",
                pl.Float64(),
                _float,
                exact_by_construction=False,
            )
        )
    out += [
        Alternative("bool", "String, == 'T'", pl.String(), _eq_t),
        Alternative("bool", "String, replace_strict", pl.String(), _replace_strict),
        Alternative("enum", "Categorical in reader", pl.Categorical(), _identity),
        Alternative("enum", "String, cast(Categorical)", pl.String(), _cast),
        Alternative("table", "when == (empty) then [] else split", pl.String(), _when_empty),
        Alternative("table", "split, list.filter != (empty)", pl.String(), _filter_empty),
    ]
    return out


def _columns(header: ZeekHeader, group: str) -> list[tuple[str, pl.DataType]]:
    """Return ``(name, zeekframe dtype)`` of the header's columns an alternative group covers."""
    from by_hand import polars_dtype

    out = []
    for name, zeek_type in header.columns:
        is_table = group == "table" and zeek_type.endswith("]")
        if is_table or zeek_type == group:
            out.append((name, polars_dtype(zeek_type)))
    return out


def _read(path: Path, header: ZeekHeader, alt: Alternative | None) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = dict.fromkeys(header.fields, pl.String())
    exprs = []
    if alt is not None:
        for name, target in _columns(header, alt.group):
            schema[name] = alt.read_as
            exprs.append(alt.convert(pl.col(name), target).alias(name))
    frame = pl.read_csv(
        path,
        separator="\t",
        comment_prefix="#",
        quote_char=None,
        has_header=False,
        null_values="-",
        schema=schema,
    )
    return frame.with_columns(exprs)


def main(argv: list[str] | None = None) -> int:
    """Time every alternative, check exactness, print one Markdown table per type."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, nargs="?", default=DEFAULT_PATH)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.path.exists():
        parser.error(f"{args.path} missing: run bench_read.py once or gen_conn.py")

    header = read_header(args.path)
    alternatives = _alternatives()
    raw = _read(args.path, header, None)
    reference = {
        name: pl.Series(name, exact_micros(raw[name].to_list()), dtype=pl.Int64)
        for group in ("time", "interval")
        for name, _ in _columns(header, group)
    }
    exact: dict[str, bool] = {}
    for alt in alternatives:
        if alt.group not in ("time", "interval"):
            continue
        converted = _read(args.path, header, alt)
        exact[alt.key] = all(
            converted[name].to_physical().equals(reference[name])
            for name, _ in _columns(header, alt.group)
        )
    del raw

    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for _ in range(args.reps):
        for maybe_alt in [None, *alternatives]:
            key = "baseline" if maybe_alt is None else maybe_alt.key
            cpu_started, started = time.process_time(), time.perf_counter()
            _read(args.path, header, maybe_alt)
            wall.setdefault(key, []).append(time.perf_counter() - started)
            cpu.setdefault(key, []).append(time.process_time() - cpu_started)

    # Differences of ~0.05 s on a ~1 s read: on a shared machine the minimum wall time and the
    # median CPU time (all threads) are steadier than the median wall time.
    base_wall, base_cpu = min(wall["baseline"]), statistics.median(cpu["baseline"])
    print(
        f"all-String read, no conversion: min {base_wall:.3f} s wall, median {base_cpu:.3f} s "
        f"CPU ({args.reps} reps; load average now {os.getloadavg()[0]:.2f})\n"
    )
    for group in dict.fromkeys(alt.group for alt in alternatives):
        print(f"| {group} | exact | min wall s | +wall s | median CPU s | +CPU s |")
        print("|---|---|---:|---:|---:|---:|")
        for alt in (a for a in alternatives if a.group == group):
            best, med_cpu = min(wall[alt.key]), statistics.median(cpu[alt.key])
            flag = "n/a" if alt.key not in exact else ("yes" if exact[alt.key] else "NO")
            if not alt.exact_by_construction:
                flag += " here, not in general"
            print(
                f"| {alt.name} | {flag} | {best:.3f} | {best - base_wall:+.3f} "
                f"| {med_cpu:.3f} | {med_cpu - base_cpu:+.3f} |"
            )
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
