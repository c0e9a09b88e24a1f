"""Measure what zeekframe saves by doing a query's work in its parser instead of afterwards.

A user who wants a tenth of a log, three of its columns, the requests on odd ports or the
responses that carry exploits can read everything and cut it down in Polars, or hand the
cut to ``read_zeek``/``scan_zeek`` so that the parser skips what is not wanted. This harness
times both ways on the report's two logs and checks that they return the same rows:

- conn.log (``gen_conn.py``, 2M rows, ``bench_read.py``'s cached input): a full read against
  ``sample=0.1`` and against ``columns=`` of the three columns the report keeps;
- http.log (``gen_http.py``, 800k rows): the report's "ports other than 80 and 8080" query,
  read in full and filtered in Polars, against the filter pushed into the parser (eagerly and
  through ``scan_zeek``); and its exploit/executable MIME query, classified in Polars,
  against ``mime_categories=`` with a filter on the new column.

The method is ``bench_read.py``'s (see ``harness.py``): each measurement in a fresh child
process, imports before the clock, repetitions alternating between candidates, medians. On
the first repetition each pushed-down candidate's child, after its timed query, also runs
the baseline and asserts the two results are equal; ``--check`` runs only those comparisons.

Usage::

    python benches/bench_pushdown.py [--reps 5] [--only conn-sample,http-filter] [--check]
                                     [--conn-rows N] [--http-rows N] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import bench_read
import gen_http
import polars as pl
from harness import (
    DATA_DIR,
    generate_once,
    import_zeekframe,
    load_average,
    machine_facts,
    parse_only,
    run_child,
    timed,
    warm_page_cache,
    zeekframe_build,
)

#: The report keeps these three conn.log columns (``ts``, origin, responder port).
CONN_COLUMNS = ("ts", "id.orig_h", "id.resp_p")
SAMPLE_FRACTION, SAMPLE_SEED = 0.1, 42
#: The report looks for HTTP on any port but these.
STANDARD_PORTS = (80, 8080)
MIME_CATEGORY = "mime_category"

Query = Callable[[Path], pl.DataFrame]


@dataclass(frozen=True)
class Candidate:
    """One way of running one query, timed against the way a Polars user does it by hand."""

    key: str
    label: str
    log: Literal["conn", "http"]
    code: str
    baseline: str | None = None
    target: float | None = None
    """Speed-up over ``baseline`` (median wall time) this candidate should reach."""


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("conn-full", "conn: full read", "conn", "zf.read_zeek(conn)"),
    Candidate(
        "conn-sample",
        "conn: sample=0.1",
        "conn",
        f"zf.read_zeek(conn, sample={SAMPLE_FRACTION}, seed={SAMPLE_SEED})",
        "conn-full",
        4.0,
    ),
    Candidate(
        "conn-columns",
        "conn: columns= (3)",
        "conn",
        f"zf.read_zeek(conn, columns={list(CONN_COLUMNS)})",
        "conn-full",
        3.0,
    ),
    Candidate(
        "http-polars-filter",
        "http: full read, filter in Polars",
        "http",
        "zf.read_zeek(http).filter(~pl.col('id.resp_p').is_in([80, 8080]))",
    ),
    Candidate(
        "http-filter",
        "http: read_zeek(filter=)",
        "http",
        "zf.read_zeek(http, filter=~pl.col('id.resp_p').is_in([80, 8080]))",
        "http-polars-filter",
        3.0,
    ),
    Candidate(
        "http-scan",
        "http: scan_zeek().filter()",
        "http",
        "zf.scan_zeek(http).filter(~pl.col('id.resp_p').is_in([80, 8080])).collect()",
        "http-polars-filter",
        3.0,
    ),
    Candidate(
        "http-polars-mime",
        "http: full read, MIME classes in Polars",
        "http",
        "classify_mime(zf.read_zeek(http), zf.REPORT_MIME_CATEGORIES)"
        ".filter(pl.col('mime_category').is_not_null())",
    ),
    Candidate(
        "http-mime",
        "http: read_zeek(mime_categories=, filter=)",
        "http",
        "zf.read_zeek(http, mime_categories=zf.REPORT_MIME_CATEGORIES, "
        "filter=pl.col('mime_category').is_not_null())",
        "http-polars-mime",
    ),
)
BY_KEY = {c.key: c for c in CANDIDATES}


# --------------------------------------------------------------------------------------------
# The queries, and the checks that a pushed-down query returns its baseline's rows.


def off_standard_ports() -> pl.Expr:
    """Return the report's predicate: HTTP on a port other than 80 and 8080."""
    return ~pl.col("id.resp_p").is_in(list(STANDARD_PORTS))


def classify_mime(frame: pl.DataFrame, categories: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """Add ``mime_category`` in Polars, as a user without ``mime_categories=`` would.

    A response belongs to the first category (in the mapping's order) that any of its
    ``resp_mime_types`` is in; unset or empty lists have none. That is zeekframe's rule, so the
    two frames can be compared row for row. The chain is built from the last category up, so
    that the first one checked is the first in the mapping.
    """
    types = pl.col("resp_mime_types")
    category: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, members in reversed(list(categories.items())):
        hit = types.list.eval(pl.element().is_in(list(members))).list.any()
        category = pl.when(hit).then(pl.lit(name)).otherwise(category)
    enum = pl.Enum(list(categories))
    return frame.with_columns(category.cast(enum).alias(MIME_CATEGORY))


def build_queries() -> dict[str, Query]:
    """Import zeekframe and return every candidate's query, keyed like ``CANDIDATES``.

    Raises ImportError or AttributeError when zeekframe, or the pushdown API, is not built.
    """
    import zeekframe as zf

    import_zeekframe()

    categories = zf.REPORT_MIME_CATEGORIES
    categorized = pl.col(MIME_CATEGORY).is_not_null()
    return {
        "conn-full": lambda path: zf.read_zeek(path),
        "conn-sample": lambda path: zf.read_zeek(path, sample=SAMPLE_FRACTION, seed=SAMPLE_SEED),
        "conn-columns": lambda path: zf.read_zeek(path, columns=list(CONN_COLUMNS)),
        "http-polars-filter": lambda path: zf.read_zeek(path).filter(off_standard_ports()),
        "http-filter": lambda path: zf.read_zeek(path, filter=off_standard_ports()),
        "http-scan": lambda path: zf.scan_zeek(path).filter(off_standard_ports()).collect(),
        "http-polars-mime": lambda path: classify_mime(zf.read_zeek(path), categories).filter(
            categorized
        ),
        "http-mime": lambda path: zf.read_zeek(
            path, mime_categories=categories, filter=categorized
        ),
    }


def assert_sample_of(sample: pl.DataFrame, full: pl.DataFrame, fraction: float) -> None:
    """Assert ``sample`` is rows of ``full``, unchanged and in order, about ``fraction`` of them.

    Rows are identified by ``uid``, so the check needs the uids to be unique. The size must
    be within five standard deviations of a Bernoulli sample's.
    """
    if full["uid"].n_unique() != full.height:
        raise AssertionError("uids repeat in the full read: sampled rows cannot be identified")
    from polars.testing import assert_frame_equal

    chosen = full.filter(pl.col("uid").is_in(sample["uid"].implode()))
    assert_frame_equal(sample, chosen)
    expected = fraction * full.height
    spread = 5 * math.sqrt(full.height * fraction * (1 - fraction))
    if abs(sample.height - expected) > spread:
        raise AssertionError(
            f"{sample.height} rows sampled, expected {expected:.0f} +- {spread:.0f}"
        )


def assert_same_result(key: str, got: pl.DataFrame, baseline: pl.DataFrame) -> None:
    """Assert that candidate ``key`` returned what its baseline implies."""
    from polars.testing import assert_frame_equal

    if key == "conn-sample":
        assert_sample_of(got, baseline, SAMPLE_FRACTION)
    elif key == "conn-columns":
        assert_frame_equal(got, baseline.select(CONN_COLUMNS))
    else:
        assert_frame_equal(got, baseline)


# --------------------------------------------------------------------------------------------
# Child side: one measurement per process.


def measure_one(key: str, path: Path, verify: bool) -> dict[str, Any]:
    """Time candidate ``key`` on ``path`` in this (fresh) process; optionally check its result."""
    try:
        queries = build_queries()
    except (ImportError, AttributeError) as exc:
        return {"unavailable": f"{type(exc).__name__}: {exc}"}
    query = queries[key]
    try:
        frame, run = timed(lambda: query(path))
    except Exception as exc:
        # The reader may be mid-change while this runs: report the failure, time the others.
        return {"unavailable": f"query failed: {type(exc).__name__}: {exc}"}
    run["rows"] = frame.height
    baseline_key = BY_KEY[key].baseline
    if verify and baseline_key is not None:
        # After the clock and the peak: the baseline's cost is not this candidate's.
        try:
            assert_same_result(key, frame, queries[baseline_key](path))
            run["check"] = "ok"
        except AssertionError as exc:
            run["check"] = f"differs from {baseline_key}: {exc}"
    return run


# --------------------------------------------------------------------------------------------
# Parent side: data, scheduling, report.


@dataclass
class Result:
    """All measurements of one candidate."""

    candidate: Candidate
    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable: str | None = None
    check: str | None = None

    def median(self, key: str) -> float:
        """Return the median of ``key`` over the runs."""
        return statistics.median(float(r[key]) for r in self.runs)


def ensure_http(rows: int, seed: int) -> Path:
    """Return the benchmark http.log, generating it if it is missing."""
    plain, _ = generate_once("gen_http.py", DATA_DIR / f"http_{rows}_{seed}.log", rows, seed, False)
    return plain


def measure(
    candidates: list[Candidate], inputs: dict[str, Path], reps: int, conn_rows: int
) -> list[Result]:
    """Run ``reps`` alternating rounds of every candidate, each run in its own process.

    The first round also checks every pushed-down result against its baseline. Every round
    of a candidate must return the same number of rows, and a full conn read all of them.
    """
    results = {c.key: Result(c) for c in candidates}
    script = Path(__file__).resolve()
    for rep in range(reps):
        for cand in candidates:
            result = results[cand.key]
            if result.unavailable is not None:
                continue
            args = ["--child", cand.key, str(inputs[cand.log])]
            verify = rep == 0 and cand.baseline is not None
            run = run_child(script, [*args, *(["--verify"] if verify else [])], cand.label)
            if "unavailable" in run:
                result.unavailable = run["unavailable"]
                print(f"note: {cand.label} skipped: {run['unavailable']}", file=sys.stderr)
                continue
            if "check" in run:
                result.check = run["check"]
                if run["check"] != "ok":
                    print(f"CHECK FAILED: {cand.label}: {run['check']}", file=sys.stderr)
            if result.runs and run["rows"] != result.runs[0]["rows"]:
                raise RuntimeError(
                    f"{cand.label} returned {run['rows']} rows, earlier {result.runs[0]['rows']}"
                )
            if cand.key == "conn-full" and run["rows"] != conn_rows:
                raise RuntimeError(f"{cand.label} read {run['rows']} rows, expected {conn_rows}")
            result.runs.append(run)
            print(
                f"  rep {rep + 1}/{reps} {cand.label:<44} {run['seconds']:7.3f} s "
                f"(CPU {run['cpu_seconds']:6.3f} s) {run['rows']:>9,} rows",
                file=sys.stderr,
            )
    return list(results.values())


def _speedup(res: Result, ref: Result | None, key: str) -> float | None:
    """Return the baseline's median ``key`` over this candidate's, when both were measured."""
    if ref is None or not ref.runs or not res.runs:
        return None
    return ref.median(key) / res.median(key)


def markdown_table(results: list[Result]) -> tuple[str, bool]:
    """Render the results as a Markdown table plus notes; also say whether every check passed."""
    by_key = {r.candidate.key: r for r in results}
    lines = [
        "| candidate | median s | min s | max s | CPU s | speed-up | CPU speed-up | rows "
        "| peak RSS MB | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    notes: list[str] = []
    checks_ok = True
    for res in results:
        cand = res.candidate
        if not res.runs:
            notes.append(f"{cand.label}: not measured ({res.unavailable or 'no runs'}).")
            continue
        secs = [r["seconds"] for r in res.runs]
        ref = by_key.get(cand.baseline) if cand.baseline is not None else None
        wall = _speedup(res, ref, "seconds")
        cpu = _speedup(res, ref, "cpu_seconds")
        if cand.baseline is None:
            speed, cpu_speed = "baseline", "baseline"
        else:
            speed = f"{wall:.2f}x" if wall is not None else "n/a"
            cpu_speed = f"{cpu:.2f}x" if cpu is not None else "n/a"
        target = f">= {cand.target:g}x" if cand.target is not None else "-"
        if cand.target is None:
            met = "-"
        elif wall is None:
            met = "n/a"
        else:
            met = "yes" if wall >= cand.target else "no"
        if res.check is not None and res.check != "ok":
            checks_ok = False
            met = "no: result differs"
        bound = "<= " if any(r["peak_is_bound"] for r in res.runs) else ""
        lines.append(
            f"| {cand.label} | {statistics.median(secs):.3f} | {min(secs):.3f} "
            f"| {max(secs):.3f} | {res.median('cpu_seconds'):.3f} | {speed} | {cpu_speed} "
            f"| {res.runs[0]['rows']:,} | {bound}{res.median('peak_bytes') / 1e6:.0f} "
            f"| {target} | {met} |"
        )
    notes.append(
        "seconds are wall time of the query alone (read, and any Polars work after it), "
        "each in a fresh process; CPU s is the median user+system time of all its threads."
    )
    notes.append(
        "speed-up: the median of the candidate's baseline (the nearest row above it marked "
        "baseline) over its own, in wall time and in CPU time; the target is on wall time. "
        "The MIME query has no target: it is reported, not judged."
    )
    notes.append(
        "peak RSS: child's ru_maxrss minus its RSS just before the query (imports excluded); "
        "`<=` when the query never raised the process's high-water mark."
    )
    checked = [r for r in results if r.check is not None]
    failed = [f"{r.candidate.label} ({r.check})" for r in checked if r.check != "ok"]
    if failed:
        notes.append("CHECK FAILED: " + "; ".join(failed) + ".")
    elif checked:
        sampled = " (for the sample: rows of the full read, in order, about a tenth of them)"
        notes.append(
            "checked on the first repetition, after the clock, against their baselines' "
            "results: "
            + ", ".join(r.candidate.label for r in checked)
            + " returned the same rows"
            + (sampled if "conn-sample" in {r.candidate.key for r in checked} else "")
            + "."
        )
    odd = by_key.get("http-polars-filter") or by_key.get("http-filter")
    if odd is not None and odd.runs:
        notes.append(f"{odd.runs[0]['rows']:,} http rows are on ports other than 80 and 8080.")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n", checks_ok


def code_table(results: list[Result]) -> str:
    """Render what each candidate runs, as a Markdown table."""
    lines = ["| candidate | code |", "|---|---|"]
    lines += [f"| {r.candidate.label} | `{r.candidate.code}` |" for r in results]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# --check: the pushed-down results must equal their baselines.


def check(inputs: dict[str, Path], http_rows: int, candidates: Sequence[Candidate]) -> int:
    """Compare every pushed-down candidate with its baseline in this process; return an exit code.

    Also validates the generated http.log: exact row count, 3-4% of rows off 80/8080.
    """
    failures = 0

    def report(name: str, problem: str | None) -> None:
        nonlocal failures
        if problem is not None:
            failures += 1
        print(f"ok    {name}" if problem is None else f"FAIL  {name}: {problem}")

    problems = gen_http.validate(inputs["http"], http_rows)
    report(f"{inputs['http'].name} looks like the report's http.log", "; ".join(problems) or None)
    try:
        queries = build_queries()
    except (ImportError, AttributeError) as exc:
        print(f"note: zeekframe not usable ({exc}); the comparisons are skipped")
        return 1
    baselines: dict[str, pl.DataFrame] = {}
    for cand in candidates:
        if cand.baseline is None:
            continue
        path = inputs[cand.log]
        if cand.baseline not in baselines:
            baselines[cand.baseline] = queries[cand.baseline](path)
        try:
            assert_same_result(cand.key, queries[cand.key](path), baselines[cand.baseline])
            report(f"{cand.label} == {BY_KEY[cand.baseline].label}", None)
        except AssertionError as exc:
            report(f"{cand.label} == {BY_KEY[cand.baseline].label}", str(exc))
    return 1 if failures else 0


# --------------------------------------------------------------------------------------------


def _parse_only(value: str) -> list[Candidate]:
    return parse_only(value, BY_KEY)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the comparison, the check, or one child measurement."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="alternating repetitions")
    parser.add_argument(
        "--only",
        type=_parse_only,
        default=list(CANDIDATES),
        help="comma-separated subset of: "
        + ", ".join(f"{c.key} ({c.label})" for c in CANDIDATES)
        + "; a candidate's baseline is always measured too",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--check", action="store_true", help="assert the results agree instead of timing"
    )
    parser.add_argument(
        "--conn-rows", type=int, default=bench_read.DEFAULT_ROWS, help="rows of the conn.log"
    )
    parser.add_argument(
        "--http-rows", type=int, default=gen_http.DEFAULT_ROWS, help="rows of the http.log"
    )
    parser.add_argument("--child", nargs=2, metavar=("KEY", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(measure_one(args.child[0], Path(args.child[1]), args.verify)))
        return 0

    candidates: list[Candidate] = args.only
    # A pushed-down candidate is judged against its baseline: measure that too.
    wanted = {c.key for c in candidates}
    wanted |= {c.baseline for c in candidates if c.baseline is not None}
    candidates = [c for c in CANDIDATES if c.key in wanted]
    logs = {c.log for c in candidates} | ({"http"} if args.check else set())
    inputs: dict[str, Path] = {}
    if "conn" in logs:
        inputs["conn"], _ = bench_read.ensure_data(args.conn_rows, bench_read.SEED, False)
    if "http" in logs:
        inputs["http"] = ensure_http(args.http_rows, gen_http.DEFAULT_SEED)
    if args.check:
        return check(inputs, args.http_rows, candidates)

    started = time.perf_counter()
    facts = machine_facts(list(inputs.values()))
    print("\n".join(facts), file=sys.stderr)
    warm_page_cache(*inputs.values())
    build = zeekframe_build()
    results = measure(candidates, inputs, args.reps, args.conn_rows)
    table, checks_ok = markdown_table(results)
    if zeekframe_build() != build:
        # Repetitions then time two builds: the medians mean little.
        now = zeekframe_build().strip(" ()")
        table += f"- WARNING: zeekframe was rebuilt during the run ({now}).\n"
    report = "\n".join(
        [
            "# zeekframe pushdown benchmark: "
            + ", ".join(
                f"{rows:,}-row {log}.log"
                for log, rows in (("conn", args.conn_rows), ("http", args.http_rows))
                if log in inputs
            ),
            "",
            *(f"- {f}" for f in facts),
            f"- {args.reps} alternating repetitions, each in a fresh process; medians",
            "",
            table,
        ]
    )
    # Other work on a shared machine skews timings: record how busy it was.
    report += f"- load average at the end (1, 5, 15 min): {load_average()}\n\n"
    report += code_table(results)
    print(report)
    print(f"total wall time {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.markdown is not None:
        args.markdown.write_text(report)
    return 0 if checks_ok else 1


if __name__ == "__main__":
    sys.exit(main())
