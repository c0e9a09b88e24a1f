"""Reading a whole archive of rotated logs: zeekframe against a Python loop of by-hand reads.

The input is the 1,055 hourly-rotated ``.log.gz`` files of ``rita/`` in the log corpus
(``../shared/zeek-logs``, or ``ZEEK_LOGS_DIR``): three days of a real sensor, 21 log types,
and zeekctl's ``conn-summary`` text reports, which are not logs and are left out. Both
candidates return one frame per log type:

- zeekframe: ``read_zeek(pattern, log_type=t)`` for each type (``#path`` picks the files).
- by hand: for each type, a Python loop of ``by_hand.read_polars`` (``pl.read_csv`` with the
  header's schema and exact conversions) over the type's files, then
  ``pl.concat(how="diagonal")`` (files of one type may have different columns).

``conn`` alone is timed too. Fresh process per measurement, alternating, medians; the first
repetition checks that both give the same frames.

Usage::

    python benches/bench_archive.py [--reps 5] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from harness import finish_report, import_zeekframe, machine_facts, medians, run_alternating, timed

HERE = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get("ZEEK_LOGS_DIR", HERE.parents[1] / "shared" / "zeek-logs"))
PATTERN = "test_data__missing_host__*"
CANDIDATES = {
    "zeekframe": "read_zeek(pattern, log_type=t) per log type",
    "by hand": "loop of pl.read_csv + conversions per file, concat(how='diagonal') per type",
    "zeekframe conn": "read_zeek(pattern, log_type='conn')",
    "by hand conn": "the same loop over the 72 conn files",
}


def files_by_type(directory: Path) -> dict[str, list[Path]]:
    """The archive's logs by log type, from their names (``.../<day>__<type>.<hours>...``)."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(directory.glob(PATTERN)):
        log_type = path.name.split("__")[-1].split(".")[0]
        if log_type.endswith("-summary"):
            continue  # zeekctl's text report, not a log
        groups.setdefault(log_type, []).append(path)
    return groups


def child(key: str, directory: Path, check: bool) -> dict[str, Any]:
    """One measurement of ``key`` in this fresh process."""
    import polars as pl
    from by_hand import read_polars

    import zeekframe as zf

    import_zeekframe()

    groups = files_by_type(directory)
    if key.endswith("conn"):
        groups = {"conn": groups["conn"]}
    pattern = str(directory / PATTERN)

    def by_zeekframe() -> dict[str, pl.DataFrame]:
        return {t: zf.read_zeek(pattern, log_type=t) for t in groups}

    def by_hand() -> dict[str, pl.DataFrame]:
        return {
            t: pl.concat([read_polars(p) for p in paths], how="diagonal")
            for t, paths in groups.items()
        }

    run = by_zeekframe if key.startswith("zeekframe") else by_hand
    frames, measured = timed(run)
    if check:
        other = by_hand() if run is by_zeekframe else by_zeekframe()
        ours = frames if run is by_zeekframe else other
        hand = other if run is by_zeekframe else frames
        for log_type, frame in ours.items():
            expected = hand[log_type].select(frame.columns)
            # by_hand leaves `(empty)` and `\\xHH` escapes in string columns as they are (see
            # its docstring): string values are compared where it has neither.
            for name, dtype in frame.schema.items():
                mine, theirs = frame[name], expected[name]
                if dtype == pl.String:
                    plain = ~theirs.str.contains("\\", literal=True).fill_null(False) & (
                        theirs != "(empty)"
                    ).fill_null(True)
                    mine, theirs = mine.filter(plain), theirs.filter(plain)
                assert mine.equals(theirs), f"{log_type}.{name}"
    rows = sum(f.height for f in frames.values())
    return {**measured, "rows": rows, "files": sum(len(p) for p in groups.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--child", nargs=3, metavar=("KEY", "DIR", "CHECK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        key, directory, check = args.child
        print(json.dumps(child(key, Path(directory), check == "1")))
        return 0
    directory = CORPUS / "rita"
    if not directory.is_dir():
        print(f"no log corpus at {CORPUS}: set ZEEK_LOGS_DIR", file=sys.stderr)
        return 1
    files = sorted(directory.glob(PATTERN))
    size = sum(p.stat().st_size for p in files)
    runs = run_alternating(
        Path(__file__),
        list(CANDIDATES),
        lambda key, rep: ["--child", key, str(directory), "1" if rep == 0 else "0"],
        args.reps,
    )
    lines = [
        "# zeekframe archive benchmark: rita's hourly logs",
        "",
        *(f"- {fact}" for fact in machine_facts([])[:2]),
        f"- input: {directory}/{PATTERN}, {len(files)} files, {size / 1e6:.1f} MB gzipped",
        f"- {args.reps} alternating repetitions, each in a fresh process; medians; the first "
        "repetition checked that both candidates give equal frames",
        "",
        "| candidate | what | files | rows | median s | CPU s | peak RSS MB | speed-up |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, what in CANDIDATES.items():
        seconds, cpu, peak = medians(runs[key])
        base_key = "zeekframe conn" if key.endswith("conn") else "zeekframe"
        base = medians(runs[base_key])[0]
        ratio = "baseline" if key == base_key else f"zeekframe {seconds / base:.1f}x faster"
        first = runs[key][0]
        lines.append(
            f"| {key} | {what} | {first['files']} | {first['rows']:,} | {seconds:.2f} | "
            f"{cpu:.2f} | {peak:.0f} | {ratio} |"
        )
    finish_report(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
