"""Measurement machinery shared by the benchmark harnesses (``bench_read``, ``bench_pushdown``).

The method is the same everywhere: one measurement per fresh child process, so each starts
with an empty heap and its peak RSS can be read from ``getrusage``; imports before the RSS
baseline and the clock, the work inside; results sent back as one JSON line. The parent
generates inputs once into ``benches/.data/`` (git-ignored), warms the page cache, and
records the machine, the software and how busy the machine was.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / ".data"
CHILD_TIMEOUT_S = 900

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Child side.


def rss_bytes() -> int:
    """Return this process's current resident set size."""
    with Path("/proc/self/statm").open() as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def maxrss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """Return ``ru_maxrss`` in bytes (Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss * 1024


def cpu_seconds(who: int) -> float:
    """Return user + system CPU time of ``who``, all threads included."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def frame_bytes(frame: object) -> int | None:
    """Bytes a result occupies: the sum of its Arrow buffers for Polars frames.

    Polars' own ``estimated_size`` counts a string column's text but not its 16-byte views,
    so it understates a frame of short strings by half; the Arrow buffers are what the process
    actually holds. pandas: ``memory_usage(deep=True)``.
    """
    if frame is None:
        return None
    import polars as pl

    if isinstance(frame, pl.DataFrame):
        return int(frame.to_arrow().get_total_buffer_size())
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    return int(frame.memory_usage(deep=True).sum())


def import_zeekframe() -> None:
    """Import zeekframe and every module it otherwise imports on first use.

    ``import zeekframe`` leaves ``read_zeek``, the report and the rest to be imported when
    first touched, which would put that import (and, where bytecode is not cached, the
    compiling of those modules) inside the first timed call.
    """
    import zeekframe
    import zeekframe.report

    for name in zeekframe.__all__:
        getattr(zeekframe, name)


def timed(call: Callable[[], T], cpu_who: int = resource.RUSAGE_SELF) -> tuple[T, dict[str, Any]]:
    """Run ``call`` once and return its value with wall time, CPU time and peak RSS.

    The RSS baseline is taken just before the clock starts, so everything imported or built
    before the call is left out. ``ru_maxrss`` is a high-water mark since exec (and it
    inherits the spawning parent's size): if the call never rose above the mark it found,
    only a bound on its peak is known, which ``peak_is_bound`` says.
    """
    rss_before = rss_bytes()
    maxrss_before = maxrss_bytes()
    cpu_before = cpu_seconds(cpu_who)
    started = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(cpu_who) - cpu_before
    maxrss_after = maxrss_bytes()
    return value, {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_bytes": maxrss_after - rss_before,
        "peak_is_bound": maxrss_after <= maxrss_before,
        "rss_before": rss_before,
    }


# --------------------------------------------------------------------------------------------
# Parent side.


def run_child(script: Path, args: Sequence[str], label: str) -> dict[str, Any]:
    """Run ``script args`` in a fresh interpreter and return the JSON its last line holds."""
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def generate_once(
    generator: str,
    plain: Path,
    rows: int,
    seed: int,
    want_gz: bool,
    extra: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Return ``plain`` and its ``.gz`` twin, running ``benches/<generator>`` if either is missing.

    The generator takes ``OUT --rows N --seed S [--gzip]``, like ``gen_conn.py``, and
    ``extra`` arguments after them.
    """
    gz = plain.with_name(plain.name + ".gz")
    if not plain.exists() or (want_gz and not gz.exists()):
        plain.parent.mkdir(parents=True, exist_ok=True)
        # Write under a temporary name so an interrupted run never leaves a short file behind.
        part = plain.with_name(plain.name + ".part")
        cmd = [sys.executable, str(HERE / generator), str(part), "--rows", str(rows)]
        cmd += ["--seed", str(seed), *(["--gzip"] if want_gz else []), *extra]
        print(f"generating {plain.name} ...", file=sys.stderr)
        subprocess.run(cmd, check=True)
        if want_gz:
            part.with_name(part.name + ".gz").replace(gz)
        part.replace(plain)
    return plain, gz


def warm_page_cache(*paths: Path) -> None:
    """Read the inputs once so the first timed repetition does not also time the disk."""
    for path in paths:
        if path.exists():
            with path.open("rb") as fh:
                while fh.read(8 << 20):
                    pass


def version(dist: str) -> str:
    """Return the installed version of ``dist``, or say it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def zeekframe_build() -> str:
    """Say when the zeekframe extension was built: it may be rebuilt between two runs."""
    spec = importlib.util.find_spec("zeekframe")
    if spec is None or spec.origin is None:
        return ""
    builds = sorted(Path(spec.origin).parent.glob("_core*.so"))
    if not builds:
        return ""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(builds[-1].stat().st_mtime))
    return f" (extension built {stamp})"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages: other work skews timings."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts(inputs: Sequence[Path]) -> list[str]:
    """Describe the machine, the software and the inputs that exist, for a report's header."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    usable = len(os.sched_getaffinity(0))
    return [
        f"machine: {cpu}, nproc {usable} (of {os.cpu_count()}), {mem_gb:.1f} GB RAM, "
        f"{platform.system()} {platform.release()}, load average at the start " + load_average(),
        f"python {platform.python_version()}, zeekframe {version('zeekframe')}"
        + zeekframe_build()
        + ", "
        + ", ".join(f"{d} {version(d)}" for d in ("polars", "pandas", "pyarrow", "numpy")),
        "input: "
        + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in inputs if p.exists()),
    ]


def parse_only(value: str, by_key: Mapping[str, T]) -> list[T]:
    """The candidates an ``--only a,b,c`` option names, in its order."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown candidate(s) {', '.join(unknown)}; choose from {', '.join(by_key)}"
        )
    return [by_key[k] for k in keys]


def run_alternating(
    script: Path,
    keys: Sequence[str],
    child_args: Callable[[str, int], list[str]],
    reps: int,
) -> dict[str, list[dict[str, Any]]]:
    """Run every key's child ``reps`` times, alternating keys, and collect the results.

    ``child_args(key, rep)`` gives the child's arguments. A child that reports
    ``"unavailable"`` is not run again; its result is kept alone under the key.
    """
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for rep in range(reps):
        for key in keys:
            if runs[key] and "unavailable" in runs[key][0]:
                continue
            result = run_child(script, child_args(key, rep), key)
            runs[key].append(result)
            if "unavailable" not in result:
                print(f"rep {rep + 1}/{reps} {key:22} {result['seconds']:.2f} s", file=sys.stderr)
    return runs


def medians(runs: Sequence[Mapping[str, Any]]) -> tuple[float, float, float]:
    """Median wall seconds, CPU seconds and peak RSS in MB of a candidate's runs."""
    return (
        statistics.median(r["seconds"] for r in runs),
        statistics.median(r["cpu_seconds"] for r in runs),
        statistics.median(r["peak_bytes"] for r in runs) / 1e6,
    )


def finish_report(lines: list[str], markdown: Path | None) -> None:
    """Close a report with the load average, print it and write it to ``markdown``."""
    text = "\n".join([*lines, "", f"- load average at the end (1, 5, 15 min): {load_average()}"])
    print(text + "\n")
    if markdown is not None:
        markdown.write_text(text + "\n")
