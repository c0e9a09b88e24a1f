"""Compare ``zeekframe.read_zeek`` with the ways users read Zeek logs today.

Every measurement runs in a fresh child process (this same script with ``--child``), so each
one starts with an empty heap and its peak RSS can be read from ``getrusage``: the child records
its RSS just before the read, reads, and reports ``ru_maxrss`` minus that baseline next to the
frame's in-memory size. Imports happen before the baseline and outside the timed region; the
header parse and every conversion a candidate needs happen inside it. Repetitions alternate
between candidates (A B C A B C ...) so that drift on a shared machine hits all of them alike,
and the table reports medians.

Beside the fresh processes, each of the main candidates also reads the file
``IN_PROCESS_READS`` times in one process, as a notebook re-running a cell does (the previous
frame is still alive while the next read runs); the table gives the median of those reads.

The inputs are ``gen_conn.py``'s MACCDC-2012-shaped conn.log, generated once into
``benches/.data/`` (git-ignored) together with its gzip twin, in two shapes: ``conn``, where
``threat`` and ``sample`` are unset, and ``report``, the report's own data, where ``sample``
names the same pcap (``maccdc2012_00000.pcap``) on every row.

Usage::

    python benches/bench_read.py [--rows N] [--reps 5] [--only polars,pandas] [--check]
                                 [--inputs conn,report] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness import (
    DATA_DIR,
    frame_bytes,
    generate_once,
    import_zeekframe,
    load_average,
    machine_facts,
    maxrss_bytes,
    parse_only,
    run_child,
    timed,
    warm_page_cache,
)

DEFAULT_ROWS = 2_000_000
SEED = 2012
#: pandas is the slow baseline; a few runs pin its median well enough and keep the default
#: run short.
PANDAS_REPS = 3
#: Reads in one process for the in-process column.
IN_PROCESS_READS = 5
#: The input shapes: the value of every row's ``sample`` field (``None``: unset).
INPUTS: dict[str, str | None] = {"conn": None, "report": "maccdc2012_00000.pcap"}


@dataclass(frozen=True)
class Candidate:
    """One way of reading (or just decompressing) the benchmark file."""

    key: str
    label: str
    source: Literal["plain", "gz"]
    what: str
    max_reps: int | None = None
    zeekframe: bool = False
    #: Also measured as repeated reads in one process.
    in_process: bool = False


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(
        "zeekframe", "zeekframe", "plain", "zf.read_zeek(path)", zeekframe=True, in_process=True
    ),
    Candidate(
        "polars", "polars by hand", "plain", "pl.read_csv + exact conversions", in_process=True
    ),
    Candidate("pandas", "pandas", "plain", "pd.read_csv + exact conversions", PANDAS_REPS),
    Candidate(
        "zeekframe-gz",
        "zeekframe (.gz)",
        "gz",
        "zf.read_zeek(path.gz)",
        zeekframe=True,
        in_process=True,
    ),
    Candidate("polars-gz", "polars by hand (.gz)", "gz", "pl.read_csv on the .gz", in_process=True),
    Candidate("zlib-gz", "python zlib, discard (.gz)", "gz", "decompression alone, in-process"),
    Candidate("gzip-gz", "gzip -dc > /dev/null (.gz)", "gz", "decompression alone, gzip(1)"),
)
BY_KEY = {c.key: c for c in CANDIDATES}


# --------------------------------------------------------------------------------------------
# Child side: one measurement per process.


def _prepare(key: str) -> Callable[[Path], tuple[int | None, object]]:
    """Import what ``key`` needs and return its read, which gives ``(rows, frame)``.

    Imports happen here, before the RSS baseline and the clock, because import cost is not
    what is being compared.
    """
    if key in ("zeekframe", "zeekframe-gz"):
        # Absent until the core builds: measure_one turns the ImportError into a "skipped" note.
        import zeekframe

        import_zeekframe()

        read_zeek = zeekframe.read_zeek

        def read_zeekframe(path: Path) -> tuple[int | None, object]:
            frame = read_zeek(path)
            return frame.height, frame

        return read_zeekframe
    if key in ("polars", "polars-gz"):
        import by_hand
        import polars  # noqa: F401  (by_hand imports it lazily; load it before the baseline)

        def read_by_hand(path: Path) -> tuple[int | None, object]:
            frame = by_hand.read_polars(path)
            return frame.height, frame

        return read_by_hand
    if key == "pandas":
        import by_hand
        import pandas  # noqa: F401  (by_hand imports it lazily; load it before the baseline)

        def read_pandas(path: Path) -> tuple[int | None, object]:
            frame = by_hand.read_pandas(path)
            return len(frame), frame

        return read_pandas
    if key == "zlib-gz":
        import zlib

        def inflate(path: Path) -> tuple[int | None, object]:
            # wbits 16+MAX_WBITS: gzip framing. Loop over members: concatenated .gz is legal.
            with path.open("rb") as fh:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                while chunk := fh.read(1 << 20):
                    while chunk:
                        inflater.decompress(chunk)
                        chunk = inflater.unused_data
                        if chunk:
                            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return None, None

        return inflate
    if key == "gzip-gz":

        def gunzip(path: Path) -> tuple[int | None, object]:
            with Path(os.devnull).open("wb") as sink:
                subprocess.run(["gzip", "-dc", str(path)], stdout=sink, check=True)
            return None, None

        return gunzip
    raise ValueError(f"unknown candidate {key!r}")


def measure_one(key: str, path: Path) -> dict[str, Any]:
    """Measure one read of ``path`` by candidate ``key`` in this (fresh) process."""
    try:
        read = _prepare(key)
    except (ImportError, AttributeError) as exc:
        # zeekframe not built yet, or built without read_zeek: the others still run.
        return {"unavailable": f"{type(exc).__name__}: {exc}"}
    cpu_who = resource.RUSAGE_CHILDREN if key == "gzip-gz" else resource.RUSAGE_SELF
    try:
        (rows, frame), run = timed(lambda: read(path), cpu_who)
    except Exception as exc:
        if not BY_KEY[key].zeekframe:
            raise
        # The reader is being written while this runs: report its failure, time the others.
        return {"unavailable": f"read failed: {type(exc).__name__}: {exc}"}
    if key == "gzip-gz":
        # The work happens in gzip(1): its own peak is the figure that matters.
        run["peak_bytes"] = maxrss_bytes(resource.RUSAGE_CHILDREN)
        run["peak_is_bound"] = False
    # Measured after the clock and the peak: converting to Arrow is not part of the read.
    run.update(rows=rows, frame_bytes=frame_bytes(frame))
    return run


def measure_repeated(key: str, path: Path, reads: int) -> dict[str, Any]:
    """Read ``path`` ``reads`` times in this process, as a notebook cell run again does: the
    previous frame stays alive until the next read has returned."""
    read = _prepare(key)
    seconds: list[float] = []
    cpu: list[float] = []
    frame: object = None
    rows: int | None = None
    for _ in range(reads):
        (rows, new_frame), run = timed(lambda: read(path))
        frame = new_frame
        seconds.append(run["seconds"])
        cpu.append(run["cpu_seconds"])
    del frame
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows}


# --------------------------------------------------------------------------------------------
# Parent side: data, scheduling, report.


@dataclass
class Result:
    """All measurements of one candidate."""

    candidate: Candidate
    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable: str | None = None
    #: Wall and CPU seconds of each read repeated in one process.
    in_process: dict[str, list[float]] = field(default_factory=dict)

    def median(self, key: str) -> float:
        """Return the median of ``key`` over the runs."""
        return statistics.median(float(r[key]) for r in self.runs)


def ensure_data(rows: int, seed: int, want_gz: bool, shape: str = "conn") -> tuple[Path, Path]:
    """Return the plain and .gz benchmark files of ``shape``, generating them if missing."""
    sample = INPUTS[shape]
    name = f"conn_{rows}_{seed}.log" if sample is None else f"conn_{rows}_{seed}_{shape}.log"
    extra = [] if sample is None else ["--sample-name", sample]
    return generate_once("gen_conn.py", DATA_DIR / name, rows, seed, want_gz, extra)


def measure(
    candidates: list[Candidate], plain: Path, gz: Path, reps: int, rows: int
) -> list[Result]:
    """Run ``reps`` alternating rounds of every candidate, each run in its own process."""
    results = {c.key: Result(c) for c in candidates}
    for rep in range(reps):
        for cand in candidates:
            result = results[cand.key]
            if result.unavailable is not None:
                continue
            if cand.max_reps is not None and rep >= cand.max_reps:
                continue
            path = gz if cand.source == "gz" else plain
            script = Path(__file__).resolve()
            run = run_child(script, ["--child", cand.key, str(path)], cand.label)
            if "unavailable" in run:
                result.unavailable = run["unavailable"]
                print(f"note: {cand.label} skipped: {run['unavailable']}", file=sys.stderr)
                continue
            if run["rows"] is not None and run["rows"] != rows:
                raise RuntimeError(f"{cand.label} read {run['rows']} rows, expected {rows}")
            result.runs.append(run)
            print(
                f"  rep {rep + 1}/{reps} {cand.label:<28} {run['seconds']:7.3f} s "
                f"(CPU {run['cpu_seconds']:6.3f} s)",
                file=sys.stderr,
            )
    for cand in candidates:
        result = results[cand.key]
        if not cand.in_process or not result.runs:
            continue
        path = gz if cand.source == "gz" else plain
        args = ["--child", cand.key, str(path), "--repeat", str(IN_PROCESS_READS)]
        run = run_child(Path(__file__).resolve(), args, cand.label)
        if run["rows"] != rows:
            raise RuntimeError(f"{cand.label} read {run['rows']} rows, expected {rows}")
        result.in_process = {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"]}
        print(
            f"  in one process {cand.label:<28} "
            + " ".join(f"{x:.3f}" for x in run["seconds"])
            + " s",
            file=sys.stderr,
        )
    return list(results.values())


def _reference(result: Result, by_key: dict[str, Result]) -> Result | None:
    """Return the zeekframe result a candidate is compared with (same source format)."""
    ref = by_key.get("zeekframe-gz" if result.candidate.source == "gz" else "zeekframe")
    return ref if ref is not None and ref.runs else None


def markdown_table(results: list[Result]) -> str:
    """Render the results as a Markdown table plus notes."""
    by_key = {r.candidate.key: r for r in results}
    lines = [
        "| candidate | median s | min s | max s | CPU s | vs zeekframe | peak RSS MB "
        f"| RSS / frame | runs | in-process s ({IN_PROCESS_READS} reads) | in-process CPU s "
        "| in-process vs zeekframe |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for res in results:
        cand = res.candidate
        if not res.runs:
            notes.append(f"{cand.label}: not measured ({res.unavailable or 'no runs'}).")
            continue
        secs = [r["seconds"] for r in res.runs]
        med = statistics.median(secs)
        ref = _reference(res, by_key)
        ratio = f"{med / ref.median('seconds'):.2f}x" if ref is not None else "n/a"
        peak_mb = res.median("peak_bytes") / 1e6
        bound = "<= " if any(r["peak_is_bound"] for r in res.runs) else ""
        frames = [r["frame_bytes"] for r in res.runs if r["frame_bytes"]]
        per_frame = f"{res.median('peak_bytes') / statistics.median(frames):.2f}" if frames else "-"
        in_process = "- | - | -"
        if res.in_process:
            repeated = statistics.median(res.in_process["seconds"])
            repeated_cpu = statistics.median(res.in_process["cpu_seconds"])
            ref_repeated = ref.in_process.get("seconds") if ref is not None else None
            vs = f"{repeated / statistics.median(ref_repeated):.2f}x" if ref_repeated else "n/a"
            in_process = f"{repeated:.3f} | {repeated_cpu:.3f} | {vs}"
        lines.append(
            f"| {cand.label} | {med:.3f} | {min(secs):.3f} | {max(secs):.3f} "
            f"| {res.median('cpu_seconds'):.3f} | {ratio} "
            f"| {bound}{peak_mb:.0f} | {per_frame} | {len(secs)} | {in_process} |"
        )
    frame_sizes = {
        r.candidate.label: statistics.median(x["frame_bytes"] for x in r.runs)
        for r in results
        if r.runs and r.runs[0]["frame_bytes"]
    }
    notes.append(
        "seconds are wall time of the read alone; CPU s is the median user+system time of "
        "all its threads (on a busy machine it moves less than wall time does)."
    )
    notes.append(
        "vs zeekframe: median time / zeekframe's median on the same file (plain or .gz); "
        ">1 means slower than zeekframe."
    )
    notes.append(
        f"in-process: {IN_PROCESS_READS} reads one after the other in one process (the "
        "previous frame alive during the next read, as when a notebook cell runs again); "
        "median wall and CPU seconds, and the ratio to zeekframe's in-process median."
    )
    notes.append(
        "peak RSS: child's ru_maxrss minus its RSS just before the read (imports excluded); "
        "for gzip(1), the gzip process's own peak. RSS / frame: that peak over the result's "
        "size (the sum of its Arrow buffers for Polars frames, which polars' estimated_size "
        "understates by leaving out string views; pandas memory_usage(deep=True)): "
        + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in frame_sizes.items())
        + "."
    )
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


# --------------------------------------------------------------------------------------------
# --check: the candidates must produce the same frame.


def check(plain: Path, gz: Path) -> int:
    """Assert that every available reader returns the same frame; return an exit code."""
    import by_hand
    import polars as pl
    from polars.testing import assert_frame_equal

    failures = 0

    def compare(name: str, left: pl.DataFrame, right: pl.DataFrame) -> None:
        nonlocal failures
        try:
            assert_frame_equal(left, right)
            print(f"ok    {name}")
        except AssertionError as exc:
            failures += 1
            print(f"FAIL  {name}: {exc}")

    header = by_hand.read_header(plain)
    baseline = by_hand.read_polars(plain)
    raw = pl.read_csv(
        plain,
        separator="\t",
        comment_prefix="#",
        quote_char=None,
        has_header=False,
        null_values="-",
        schema=dict.fromkeys(header.fields, pl.String()),
    )
    for name, zeek_type in header.columns:
        if zeek_type in ("time", "interval"):
            exact = pl.Series(name, by_hand.exact_micros(raw[name].to_list()), dtype=pl.Int64)
            compare(
                f"polars by hand {name} == exact integer parse of the text",
                baseline.select(pl.col(name).to_physical()),
                exact.to_frame(),
            )
    del raw
    compare("polars by hand (.gz) == polars by hand", by_hand.read_polars(gz), baseline)
    pandas_frame = pl.from_pandas(by_hand.read_pandas(plain))
    compare("pandas == polars by hand", pandas_frame, baseline)
    del pandas_frame

    try:
        from zeekframe import read_zeek
    except ImportError as exc:
        print(f"note: zeekframe not importable ({exc}); its comparisons are skipped")
    else:
        zeek_frame = read_zeek(plain)
        compare("zeekframe == polars by hand", zeek_frame, baseline)
        compare("zeekframe (.gz) == zeekframe", read_zeek(gz), zeek_frame)
    return 1 if failures else 0


# --------------------------------------------------------------------------------------------


def _parse_only(value: str) -> list[Candidate]:
    return parse_only(value, BY_KEY)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the comparison, the check, or one child measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows of the input")
    parser.add_argument("--reps", type=int, default=5, help="alternating repetitions")
    parser.add_argument(
        "--only",
        type=_parse_only,
        default=list(CANDIDATES),
        help="comma-separated subset of: " + "; ".join(f"{c.key} ({c.what})" for c in CANDIDATES),
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--check", action="store_true", help="assert the readers agree instead of timing"
    )
    parser.add_argument(
        "--inputs",
        default=",".join(INPUTS),
        help="comma-separated input shapes: " + ", ".join(INPUTS),
    )
    parser.add_argument("--child", nargs=2, metavar=("KEY", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        key, path = args.child[0], Path(args.child[1])
        if args.repeat:
            print(json.dumps(measure_repeated(key, path, args.repeat)))
        else:
            print(json.dumps(measure_one(key, path)))
        return 0
    shapes = [x.strip() for x in args.inputs.split(",") if x.strip()]
    unknown = [x for x in shapes if x not in INPUTS]
    if unknown or not shapes:
        parser.error(f"--inputs: choose from {', '.join(INPUTS)}")

    candidates: list[Candidate] = args.only
    want_gz = args.check or any(c.source == "gz" for c in candidates)
    if args.check:
        return max(check(*ensure_data(args.rows, SEED, True, shape)) for shape in shapes)

    started = time.perf_counter()
    sections = []
    for shape in shapes:
        plain, gz = ensure_data(args.rows, SEED, want_gz, shape)
        facts = machine_facts([plain, gz])
        print(f"input shape {shape}:", *facts, sep="\n", file=sys.stderr)
        warm_page_cache(plain, gz if want_gz else plain)
        results = measure(candidates, plain, gz, args.reps, args.rows)
        what = (
            "threat and sample unset"
            if INPUTS[shape] is None
            else (f"sample is {INPUTS[shape]} on every row, as in the report's data")
        )
        sections.append(
            "\n".join(
                [
                    f"## {shape}: {args.rows:,}-row conn.log ({what})",
                    "",
                    *(f"- {f}" for f in facts),
                    f"- {args.reps} alternating repetitions (pandas at most {PANDAS_REPS}), "
                    "each in a fresh process; medians",
                    "",
                    markdown_table(results),
                ]
            )
        )
    report = "# zeekframe read benchmark\n\n" + "\n".join(sections)
    # Other work on a shared machine skews timings: record how busy it was.
    report += f"- load average at the end (1, 5, 15 min): {load_average()}\n"
    print(report)
    print(f"total wall time {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.markdown is not None:
        args.markdown.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
