"""The report's conn step on Dask: zeekframe.dask against local read_zeek and zat's LogToDask.

The input is the demo conn.log at the report's size (``--scale 1``: 22.7M rows, about 2.8 GB)
split into hourly files by ``ts``, as a sensor rotates them (about 33 plain files, each with
its header). The work is the report's first table: a 10 % sample of conn, connections per
origin host and destination port, port 80 left out. Candidates, each in a fresh process
(the cluster is started before the clock, and closed after it; its workers import zeekframe
and compute a small Dask frame before it, as a cluster in use has, and as the local
candidate's process has imported zeekframe):

- zeekframe local: ``read_zeek(files, sample=0.1, seed=42, columns=[...])`` and
  ``report.conn_port_counts``.
- zeekframe.dask on a ``LocalCluster`` of 1 and of 2 worker processes (one thread each):
  ``zd.read_zeek(files, sample=0.1, seed=42)`` and ``report.conn_port_counts`` on the Dask
  frame (the projection reaches the parser; each partition is counted on its worker).
- zat LogToDask on 2 workers: ``LogToDask().create_dataframe(f, ts_index=False, usecols=...)``
  per file, ``dd.concat``, ``.sample(frac=0.1)``, the port filter and ``groupby().size()``;
  measured where zat is installed (``make bench`` installs it, from ``requirements-bench.txt``).
- the read alone, locally and on 2 workers: the same sample and columns, rows counted where
  they were read (``.height``, ``len()``): what the cluster costs without the report's
  per-partition counts and their combination on the client.
- each candidate again, 3 more times in the same process and cluster (a notebook's second run).
- the machine's own scaling: the Dask candidates' step with Dask's local scheduler handing
  the partition tasks to 1 and to 2 plain processes (a ``ProcessPoolExecutor``, started and
  warmed before the clock): what two processes on these cores gain over one for this very
  work, without the distributed scheduler.
- scheduler overhead: 1,000 partitions that each return a one-row frame, on 2 workers, per
  partition.

The first repetition checks that zeekframe's candidates give the same table.

Usage::

    python benches/bench_dask.py [--scale 1] [--reps 3] [--only a,b] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import (
    DATA_DIR,
    finish_report,
    import_zeekframe,
    machine_facts,
    parse_only,
    run_alternating,
    timed,
)

HERE = Path(__file__).resolve().parent
COLUMNS = ["id.orig_h", "id.resp_p"]
CANDIDATES = {
    "local": "zf.read_zeek(files, sample=0.1, columns=[2]) + report.conn_port_counts",
    "dask-1": "zd.read_zeek(files, sample=0.1) + report.conn_port_counts, LocalCluster 1 worker",
    "dask-2": "the same on 2 workers",
    "zat-2": "zat LogToDask(usecols=[2]) per file + dd.concat + sample(0.1) + groupby, 2 workers",
    "local-read": "the read alone: zf.read_zeek(files, sample=0.1, columns=[2]).height",
    "dask-2-read": "the read alone on 2 workers: len(zd.read_zeek(files, sample=0.1, columns=[2]))",
    "plain-1": "zd.read_zeek + conn_port_counts on Dask's local scheduler, a pool of 1 process",
    "plain-2": "the same, a pool of 2 plain processes",
    "overhead": "1,000 one-row partitions on 2 workers (dd.from_map), per partition",
}
READ_ALONE = {"dask-2-read": "local-read", "local-read": "local-read"}
"""Candidates measured against another than ``local``."""


def archive(scale: float) -> list[Path]:
    """The demo conn.log at ``scale``, split into hourly files (made once)."""
    directory = DATA_DIR / f"dask-archive-{scale:g}"
    done = directory / ".complete"
    if not done.exists():
        from zeekframe.datasets import demo

        print(f"generating the demo conn.log at scale {scale:g} ...", file=sys.stderr)
        logs = demo(DATA_DIR / f"dask-demo-{scale:g}", scale=scale)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("conn.*.log"):
            old.unlink()
        header: list[bytes] = []
        current: tuple[int, Any] | None = None
        with logs.conn.open("rb") as source:
            for line in source:
                if line.startswith(b"#"):
                    if not line.startswith(b"#close") and current is None:
                        header.append(line)
                    continue
                hour = int(line[: line.index(b".")]) // 3600
                if current is None or current[0] != hour:
                    if current is not None:
                        current[1].close()
                    name = time.strftime("%Y-%m-%d-%H", time.gmtime(hour * 3600))
                    out = (directory / f"conn.{name}.log").open("wb")
                    out.writelines(header)
                    current = (hour, out)
                current[1].write(line)
        if current is not None:
            current[1].close()
        done.touch()
    return sorted(directory.glob("conn.*.log"))


def child(key: str, scale: float, check: bool) -> dict[str, Any]:
    """One measurement of ``key`` in this fresh process."""
    import polars as pl

    import zeekframe as zf

    import_zeekframe()
    from zeekframe import report

    files = [str(p) for p in archive(scale)]
    if key == "local":
        counts, stats = _timed_again(
            lambda: report.conn_port_counts(
                zf.read_zeek(files, sample=0.1, seed=42, columns=COLUMNS)
            )
        )
        return {**stats, "rows": counts.height, "check": _digest(counts) if check else None}
    if key == "local-read":
        rows, stats = _timed_again(
            lambda: zf.read_zeek(files, sample=0.1, seed=42, columns=COLUMNS).height
        )
        return {**stats, "rows": rows}
    if key in ("plain-1", "plain-2"):
        return _plain_processes(files, 1 if key == "plain-1" else 2, check)
    if key == "zat-2":
        try:
            from zat.log_to_dask import LogToDask  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            return {"unavailable": "zat is not installed (pip install -r requirements-bench.txt)"}
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    workers = 1 if key == "dask-1" else 2
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        # Before the clock the workers import what the partitions run and compute a small
        # frame (Dask loads some 350 modules on a worker's first DataFrame task), as the
        # local candidate's process has imported zeekframe: a cluster in use has done both.
        client.run(_warm)
        dd.from_map(lambda i: pd.DataFrame({"a": [i]}), range(4)).sum().compute()
        if key == "overhead":
            parts = 1000
            frame = dd.from_map(lambda i: pd.DataFrame({"a": [i]}), range(parts))
            _, stats = timed(lambda: frame.compute())
            return {**stats, "per_partition_ms": 1000 * stats["seconds"] / parts}
        if key == "zat-2":

            def by_zat() -> Any:
                frames = [
                    LogToDask().create_dataframe(f, ts_index=False, usecols=list(COLUMNS))
                    for f in files
                ]
                conn = dd.concat(frames).sample(frac=0.1, random_state=42)
                conn = conn[conn["id.resp_p"] != 80]
                return conn.groupby(COLUMNS).size().compute()

            sizes, stats = _timed_again(by_zat, client)
            return {**stats, "rows": len(sizes)}
        import zeekframe.dask as zd

        if key == "dask-2-read":
            rows, stats = _timed_again(
                lambda: len(zd.read_zeek(files, sample=0.1, seed=42, columns=COLUMNS)), client
            )
            return {**stats, "rows": rows}

        def on_dask() -> pl.DataFrame:
            conn = zd.read_zeek(files, sample=0.1, seed=42)
            return report.conn_port_counts(conn)

        counts, stats = _timed_again(on_dask, client)
        partitions = zd.read_zeek(files).npartitions
        return {
            **stats,
            "rows": counts.height,
            "partitions": partitions,
            "check": _digest(counts) if check else None,
        }


def _plain_processes(files: list[str], processes: int, check: bool) -> dict[str, Any]:
    """The Dask candidates' step on plain worker processes, without a distributed scheduler."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import dask

    import zeekframe.dask as zd
    from zeekframe import report

    # The very step of the Dask candidates, report.conn_port_counts on zd.read_zeek's frame,
    # with Dask's local scheduler handing the partition tasks to a process pool: no
    # distributed scheduler, no communication but the pool's. Spawned, not forked: this
    # process already runs Polars' threads.
    context = multiprocessing.get_context("spawn")
    _warm()  # the client imports Dask before the clock, as the Dask candidates' clients have
    with (
        ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool,
        dask.config.set(scheduler=pool),
    ):
        for done in [pool.submit(_warm_process) for _ in range(4 * processes)]:
            done.result()
        counts, stats = _timed_again(
            lambda: report.conn_port_counts(zd.read_zeek(files, sample=0.1, seed=42))
        )
    return {**stats, "rows": counts.height, "check": _digest(counts) if check else None}


def _warm_process() -> None:
    # A pool's process imports what the tasks run, and pauses so that every process of the
    # pool gets one of the first tasks.
    _warm()
    time.sleep(0.05)


AGAIN = 3
"""How many more times each candidate runs in the same process (cluster) after its first."""


def _timed_again(call: Any, client: Any = None) -> tuple[Any, dict[str, Any]]:
    """The first run's figures, and the median wall time of ``AGAIN`` more in this process.

    With a Dask ``client``, also the CPU time its workers spent in the first run.
    """
    before = client.run(_cpu_seconds) if client is not None else {}
    value, stats = timed(call)
    if client is not None:
        after = client.run(_cpu_seconds)
        stats["workers_cpu_seconds"] = sum(after[w] - before[w] for w in before)
    again = [timed(call)[1]["seconds"] for _ in range(AGAIN)]
    return value, {**stats, "again_seconds": statistics.median(again)}


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm() -> None:
    import importlib

    for module in ("zeekframe.dask", "zeekframe.report", "dask.dataframe", "pandas", "pyarrow"):
        importlib.import_module(module)


def _digest(frame: Any) -> str:
    import hashlib

    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def main() -> None:
    """Run the candidates and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the report's 22.7M rows")
    parser.add_argument("--reps", type=int, default=3, help="alternating repetitions")
    parser.add_argument("--only", type=lambda v: parse_only(v, {k: k for k in CANDIDATES}))
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.check)))
        return
    files = archive(args.scale)
    keys = args.only or list(CANDIDATES)
    runs = run_alternating(
        Path(__file__),
        keys,
        lambda key, rep: [
            "--child",
            key,
            "--scale",
            str(args.scale),
            *(["--check"] if rep == 0 else []),
        ],
        args.reps,
    )
    digests = {k: r[0].get("check") for k, r in runs.items() if r and r[0].get("check")}
    if len(set(digests.values())) > 1:
        raise SystemExit(f"the candidates disagree: {digests}")
    total = sum(p.stat().st_size for p in files)
    lines = [
        "# zeekframe.dask benchmark: the report's conn step on hourly files",
        "",
        *(f"- {fact}" for fact in machine_facts(files[:1])),
        f"- input: {len(files)} hourly plain conn logs, {total / 1e9:.2f} GB "
        f"(the demo conn.log at scale {args.scale:g})",
        f"- {args.reps} alternating repetitions, each in a fresh process; medians",
        "",
        "| candidate | what | median s | min s | CPU s (client) | CPU s (workers) | vs local "
        "| again s | again vs local | partitions |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def base(key: str, field: str) -> float | None:
        found = runs.get(READ_ALONE.get(key, "local")) or []
        if not found or "unavailable" in found[0]:
            return None
        return float(statistics.median(r[field] for r in found))

    rows = {k: r[0]["rows"] for k, r in runs.items() if r and "rows" in r[0]}
    if rows.get("local-read") != rows.get("dask-2-read"):
        raise SystemExit(f"the reads disagree: {rows}")
    for key in keys:
        local, local_again = base(key, "seconds"), base(key, "again_seconds")
        results = runs[key]
        if results and "unavailable" in results[0]:
            lines.append(f"| {key} | {results[0]['unavailable']} | | | | | | | | |")
            continue
        seconds = statistics.median(r["seconds"] for r in results)
        fastest = min(r["seconds"] for r in results)
        cpu = statistics.median(r["cpu_seconds"] for r in results)
        ratio = f"{seconds / local:.2f}x" if local and key != "overhead" else ""
        parts = results[0].get("partitions", "")
        workers_cpu = [r["workers_cpu_seconds"] for r in results if "workers_cpu_seconds" in r]
        on_workers = f"{statistics.median(workers_cpu):.2f}" if workers_cpu else ""
        if key == "overhead":
            per = statistics.median(r["per_partition_ms"] for r in results)
            lines.append(
                f"| {key} | {CANDIDATES[key]} | {seconds:.2f} | {fastest:.2f} | {cpu:.2f} | | "
                f"{per:.2f} ms/partition | | | 1000 |"
            )
            continue
        again = statistics.median(r["again_seconds"] for r in results)
        again_ratio = f"{again / local_again:.2f}x" if local_again else ""
        lines.append(
            f"| {key} | {CANDIDATES[key]} | {seconds:.2f} | {fastest:.2f} | {cpu:.2f} | "
            f"{on_workers} | {ratio} | {again:.2f} | {again_ratio} | {parts} |"
        )
    one = runs.get("dask-1") or []
    over = runs.get("overhead") or []
    if one and over and "unavailable" not in one[0]:
        per_file = statistics.median(r["seconds"] for r in one) / len(files)
        per_task = statistics.median(r["per_partition_ms"] for r in over) / 1000
        projected = 1000 * per_file / 100 + 1000 * per_task
        lines += [
            "",
            f"On paper, from these figures: one worker spends {per_file:.3f} s per hourly file "
            f"and the scheduler {1000 * per_task:.2f} ms per partition, so 1,000 such files on "
            f"100 workers would take about 1000 x {per_file:.3f} / 100 + 1000 x "
            f"{per_task:.4f} = {projected:.1f} s, if storage keeps up.",
        ]
    scaling = []
    for label, single, double in (
        ("2 workers", "dask-1", "dask-2"),
        ("2 plain processes", "plain-1", "plain-2"),
    ):
        one_run, two_runs = runs.get(single) or [], runs.get(double) or []
        if one_run and two_runs:
            first, again = (
                statistics.median(r[f] for r in one_run) / statistics.median(r[f] for r in two_runs)
                for f in ("seconds", "again_seconds")
            )
            scaling.append(f"{label} are {first:.2f}x as fast as one ({again:.2f}x again)")
    if scaling:
        lines += ["", "Scaling on these cores: " + "; ".join(scaling) + "."]
    lines += [
        "",
        "- seconds: wall time of the step, cluster start and stop left out; CPU s (client) is "
        "the client process's own (a LocalCluster's scheduler runs in it), CPU s (workers) "
        "the worker processes' in all, both of the first run.",
        "- vs local: median over local read_zeek's median on the same files (the read alone: "
        "over local-read's).",
        f"- again: the median of {AGAIN} more runs in the same process (and cluster), as a "
        "notebook runs a step again; against local read_zeek's again.",
    ]
    finish_report(lines, args.markdown)


if __name__ == "__main__":
    main()
