"""The report end to end at full scale: zeekframe against pandas and zat.

The report's first two steps (convert conn.log to Parquet keeping a 10 % sample, then count
connections per origin host and destination port other than 80) on the demo conn.log at the
report's size (22.7M rows, ``--scale 1``), the conversion of the whole conn.log (time and peak
memory), and the whole report (both logs, analyses, figures, HTML) with zeekframe. Each
measurement runs in a fresh process, alternating, and the report gives medians.

- zeekframe: ``convert(columns=3, sample=0.1)`` + ``conn_port_counts`` on the Parquet file:
  the same work as the pandas and zat candidates.
- zeekframe-22-columns: the same with every column converted, as the report did.
- zeekframe-read: the same count straight from the log, ``read_zeek(columns=3, sample=0.1)``.
- pandas: ``read_csv`` of three columns only (no type conversions at all, which favours it),
  ``sample(frac=0.1)``, ``to_parquet``, then a groupby: what the report's authors did.
- zat: ``LogToDataFrame().create_dataframe(usecols=...)``, then the same; measured where zat is
  installed (``make bench`` installs it, from ``requirements-bench.txt``).
- zeekframe-convert-all: ``convert`` of the whole conn.log, every row and column.

Usage::

    python benches/bench_report.py [--scale 1] [--reps 3] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import (
    finish_report,
    import_zeekframe,
    machine_facts,
    medians,
    run_alternating,
    timed,
    warm_page_cache,
)

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
CONN_COLUMNS = ["ts", "id.orig_h", "id.resp_p"]
CANDIDATES = {
    "zeekframe": "conn step: convert(columns=3, sample=0.1) to Parquet + conn_port_counts",
    "zeekframe-22-columns": "conn step: convert(sample=0.1) of all 22 columns + conn_port_counts",
    "zeekframe-read": "conn step: read_zeek(columns=3, sample=0.1) + conn_port_counts",
    "pandas": "conn step: read_csv(usecols=3) + sample(0.1) + to_parquet + groupby",
    "zat": "conn step: zat LogToDataFrame(usecols=3) + sample(0.1) + to_parquet + groupby",
    "zeekframe-convert-all": "convert the whole conn.log to Parquet (all rows and columns)",
    "zeekframe-report": "whole report: both logs, analyses, figures, HTML",
}
CONN_STEPS = ("zeekframe", "zeekframe-22-columns", "zeekframe-read", "pandas", "zat")


def _count_pandas(frame: Any, out: Path) -> int:
    import pandas as pd

    sample = frame.sample(frac=0.1, random_state=42)
    sample.to_parquet(out / "conn.parquet")
    sample = pd.read_parquet(out / "conn.parquet")
    counts = sample[sample["id.resp_p"] != 80].groupby(["id.orig_h", "id.resp_p"]).size()
    return len(counts.sort_values(ascending=False))


def child(key: str, conn: Path, http: Path) -> dict[str, Any]:
    """One measurement of ``key`` in this fresh process."""
    out = Path(tempfile.mkdtemp())
    if key == "zat":
        try:
            from zat.log_to_dataframe import LogToDataFrame  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            return {"unavailable": "zat is not installed (pip install -r requirements-bench.txt)"}

        def run() -> int:
            frame = LogToDataFrame().create_dataframe(
                str(conn), ts_index=False, usecols=CONN_COLUMNS
            )
            return _count_pandas(frame, out)
    elif key == "pandas":
        import pandas as pd

        with conn.open() as header:
            # The #fields line, as a user would copy the names from it.
            names = next(ln for ln in header if ln.startswith("#fields")).rstrip().split("\t")[1:]

        def run() -> int:
            frame = pd.read_csv(
                conn,
                sep="\t",
                comment="#",
                header=None,
                names=names,
                usecols=CONN_COLUMNS,
                dtype={"ts": "str", "id.orig_h": "str", "id.resp_p": "int64"},
            )
            return _count_pandas(frame, out)
    elif key in ("zeekframe", "zeekframe-22-columns"):
        import polars as pl

        import zeekframe as zf

        import_zeekframe()
        from zeekframe import report

        columns = CONN_COLUMNS if key == "zeekframe" else None

        def run() -> int:
            dest = out / "conn.parquet"
            zf.convert(conn, dest, columns=columns, sample=0.1, seed=42, progress=False)
            return report.conn_port_counts(pl.scan_parquet(dest)).height
    elif key == "zeekframe-read":
        import zeekframe as zf

        import_zeekframe()
        from zeekframe import report

        def run() -> int:
            frame = zf.read_zeek(conn, columns=CONN_COLUMNS, sample=0.1, seed=42)
            return report.conn_port_counts(frame).height
    elif key == "zeekframe-convert-all":
        import zeekframe as zf

        import_zeekframe()

        def run() -> int:
            return zf.convert(conn, out / "conn.parquet", progress=False).rows
    else:
        import_zeekframe()
        from zeekframe.report import write_report

        def run() -> int:
            return len(write_report(conn, http, out).figures)

    value, measured = timed(run)
    shutil.rmtree(out, ignore_errors=True)
    return {**measured, "result": value}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default=",".join(CANDIDATES))
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--child", nargs=3, metavar=("KEY", "CONN", "HTTP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        key, conn, http = args.child
        print(json.dumps(child(key, Path(conn), Path(http))))
        return 0
    from zeekframe.datasets import demo

    directory = DATA / f"demo_{args.scale:g}"
    if not (directory / "conn.log").exists():
        print(f"writing demo logs at scale {args.scale:g} ...", file=sys.stderr)
        demo(directory, scale=args.scale)
    conn, http = directory / "conn.log", directory / "http.log"
    warm_page_cache(conn, http)
    keys = [k for k in args.only.split(",") if k]
    runs = run_alternating(
        Path(__file__), keys, lambda key, _: ["--child", key, str(conn), str(http)], args.reps
    )
    measured = {k: v for k, v in runs.items() if v and "unavailable" not in v[0]}
    base = medians(measured["zeekframe"])[0] if "zeekframe" in measured else None
    lines = [
        f"# zeekframe report benchmark, scale {args.scale:g}",
        "",
        *(f"- {fact}" for fact in machine_facts([conn, http])),
        f"- {args.reps} alternating repetitions, each in a fresh process; medians",
        "",
        "| candidate | what | median s | CPU s | peak RSS MB | vs zeekframe conn step |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key in keys:
        if key not in measured:
            note = runs[key][0]["unavailable"] if runs[key] else "no runs"
            lines.append(f"| {key} | {note} | - | - | - | - |")
            continue
        seconds, cpu, peak = medians(measured[key])
        ratio = f"{seconds / base:.1f}x" if base and key in CONN_STEPS[1:] else "-"
        lines.append(
            f"| {key} | {CANDIDATES[key]} | {seconds:.2f} | {cpu:.2f} | {peak:.0f} | {ratio} |"
        )
    finish_report(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
