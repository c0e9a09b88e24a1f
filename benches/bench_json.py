"""Reading Zeek JSON: zeekframe against ``pl.read_ndjson`` plus the conversions a user needs.

The input is the JSON twin of a 2M-row demo conn.log (``zeekframe.datasets.demo(...,
format="json")``: the same rows as the TSV log, one object per line, epoch-seconds ``ts``,
unset fields left out). Candidates, each in a fresh process, alternating, medians:

- zeekframe: ``read_zeek(conn.json)``: every conn column typed (time, interval, counts,
  ports, lists), the schema's unset fields as null columns.
- polars by hand: ``pl.read_ndjson`` with the log's schema, then ``ts`` and ``duration``
  from float seconds to ``Datetime``/``Duration`` in microseconds (rounded; a float cannot
  hold every microsecond of a 2012 timestamp, so this is the best it can do).
- zeekframe TSV: ``read_zeek(conn.log)``, the same rows from the TSV twin, for reference.

Usage::

    python benches/bench_json.py [--reps 5] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness import (
    DATA_DIR,
    finish_report,
    import_zeekframe,
    machine_facts,
    medians,
    run_alternating,
    timed,
    warm_page_cache,
)

ROWS = 2_000_000
CANDIDATES = {
    "zeekframe": "read_zeek(conn.json)",
    "polars by hand": "pl.read_ndjson(schema=...) + float seconds to Datetime/Duration",
    "zeekframe TSV": "read_zeek(conn.log), the TSV twin",
}


def inputs() -> tuple[Path, Path]:
    """The demo conn.log and its JSON twin with about ``ROWS`` rows, written once."""
    from zeekframe.datasets import FULL_CONN_ROWS, demo

    directory = DATA_DIR / f"demo_json_{ROWS}"
    tsv, twin = directory / "tsv" / "conn.log", directory / "json" / "conn.json"
    if not (tsv.exists() and twin.exists()):
        print("writing the demo conn.log and its JSON twin ...", file=sys.stderr)
        demo(tsv.parent, scale=ROWS / FULL_CONN_ROWS)
        demo(twin.parent, scale=ROWS / FULL_CONN_ROWS, format="json")
    return tsv, twin


def by_hand(path: Path) -> Any:
    """The best ``pl.read_ndjson`` read into zeekframe's dtypes a user can write."""
    import polars as pl

    schema: dict[str, pl.DataType] = {
        "_path": pl.String(),
        "ts": pl.Float64(),
        "uid": pl.String(),
        "id.orig_h": pl.String(),
        # polars 2.1's NDJSON reader cannot produce UInt16: ports are cast afterwards.
        "id.orig_p": pl.UInt32(),
        "id.resp_h": pl.String(),
        "id.resp_p": pl.UInt32(),
        "proto": pl.String(),
        "service": pl.String(),
        "duration": pl.Float64(),
        "orig_bytes": pl.UInt64(),
        "resp_bytes": pl.UInt64(),
        "conn_state": pl.String(),
        "local_orig": pl.Boolean(),
        "missed_bytes": pl.UInt64(),
        "history": pl.String(),
        "orig_pkts": pl.UInt64(),
        "orig_ip_bytes": pl.UInt64(),
        "resp_pkts": pl.UInt64(),
        "resp_ip_bytes": pl.UInt64(),
        "tunnel_parents": pl.List(pl.String),
    }
    frame = pl.read_ndjson(path, schema=schema)
    micros = (pl.col("ts") * 1_000_000).round().cast(pl.Int64)
    return frame.with_columns(
        micros.cast(pl.Datetime("us", "UTC")).alias("ts"),
        (pl.col("duration") * 1_000_000).round().cast(pl.Int64).cast(pl.Duration("us")),
        pl.col("proto").cast(pl.Categorical),
        pl.col("id.orig_p", "id.resp_p").cast(pl.UInt16),
    )


def child(key: str, tsv: Path, twin: Path) -> dict[str, Any]:
    """One measurement of ``key`` in this fresh process."""
    import zeekframe as zf

    import_zeekframe()

    if key == "zeekframe":
        frame, measured = timed(lambda: zf.read_zeek(twin))
    elif key == "zeekframe TSV":
        frame, measured = timed(lambda: zf.read_zeek(tsv))
    else:
        frame, measured = timed(lambda: by_hand(twin))
    return {**measured, "rows": frame.height, "columns": frame.width}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--child", nargs=3, metavar=("KEY", "TSV", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        key, tsv, twin = args.child
        print(json.dumps(child(key, Path(tsv), Path(twin))))
        return 0
    tsv, twin = inputs()
    warm_page_cache(tsv, twin)
    runs = run_alternating(
        Path(__file__),
        list(CANDIDATES),
        lambda key, _: ["--child", key, str(tsv), str(twin)],
        args.reps,
    )
    base = medians(runs["zeekframe"])[0]
    lines = [
        "# zeekframe JSON benchmark",
        "",
        *(f"- {fact}" for fact in machine_facts([tsv, twin])),
        f"- {args.reps} alternating repetitions, each in a fresh process; medians",
        "",
        "| candidate | what | rows | median s | CPU s | peak RSS MB | vs zeekframe |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, what in CANDIDATES.items():
        seconds, cpu, peak = medians(runs[key])
        rows = runs[key][0]["rows"]
        lines.append(
            f"| {key} | {what} | {rows:,} | {seconds:.2f} | {cpu:.2f} | {peak:.0f} | "
            f"{seconds / base:.2f}x |"
        )
    finish_report(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
