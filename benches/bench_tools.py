"""The analyst's next steps, each against what it replaces, on the 2M-row demo conn.log.

- ``write_zeek`` (Zeek TSV) against Polars ``write_csv`` (tab-separated) of the same frame:
  MB/s of text written.
- ``zeekframe cut`` against zeek-cut's job done by an awk script (as ``bro-cut`` was) and, if
  one is found (``$ZEEK_CUT`` or ``zeek-cut`` on PATH), the C zeek-cut: ``-d ts id.orig_h
  id.resp_p``, a process each, output to a file.
- ``in_subnet`` pushed into the parser against reading everything and filtering in Polars.
- ``community_id`` per million rows, on all cores.

Medians of ``--reps`` runs, each repeated in this one process (as a notebook does); the
commands run as fresh processes. Every run checks its output against the alternative's.

Usage::

    python benches/bench_tools.py [--reps 3] [--rows 2000000] [--markdown OUT.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness import DATA_DIR, finish_report, generate_once, machine_facts, warm_page_cache

HERE = Path(__file__).resolve().parent

# zeek-cut's column selection as awk, for comparison with a tool every machine has.
AWK_CUT = r"""
BEGIN { FS = OFS = "\t"; n = split(cols, want, " ") }
/^#fields/ { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
/^#/ { next }
{ line = $(col[want[1]]); for (k = 2; k <= n; k++) line = line OFS $(col[want[k]]); print line }
"""


def median_seconds(call: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_seconds(command: list[str], stdin: Path, stdout: Path, reps: int) -> float:
    def once() -> None:
        with stdin.open("rb") as source, stdout.open("wb") as sink:
            subprocess.run(command, stdin=source, stdout=sink, check=True)

    return median_seconds(once, reps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()

    import polars as pl

    import zeekframe as zf

    plain, _ = generate_once(
        "gen_conn.py", DATA_DIR / f"conn_{args.rows}.log", args.rows, 2012, want_gz=False
    )
    warm_page_cache(plain)
    lines = ["## The analyst's next steps", "", *(f"- {fact}" for fact in machine_facts([plain]))]
    lines += ["", "| step | zeekframe | alternative | ratio |", "|---|---|---|---|"]
    frame = zf.read_zeek(plain)
    rows = frame.height
    work = Path(tempfile.mkdtemp(prefix="bench_tools_"))
    try:
        # Writing.
        ours_path, theirs_path = work / "out.log", work / "out.tsv"
        ours = median_seconds(lambda: zf.write_zeek(frame, ours_path, path="conn"), args.reps)
        # CSV holds neither lists nor durations: joined text and microseconds.
        csv_frame = frame.with_columns(
            pl.col(pl.List(pl.String)).list.join(","),
            pl.col(pl.Duration).dt.total_microseconds(),
        )
        theirs = median_seconds(lambda: csv_frame.write_csv(theirs_path, separator="\t"), args.reps)
        assert zf.read_zeek(ours_path).equals(frame)
        mb = ours_path.stat().st_size / 1e6
        lines.append(
            f"| write_zeek TSV, {rows:,} rows | {ours:.2f} s ({mb / ours:,.0f} MB/s) | "
            f"Polars write_csv {theirs:.2f} s "
            f"({theirs_path.stat().st_size / 1e6 / theirs:,.0f} MB/s) | {theirs / ours:.2f}x |"
        )
        gz_path = work / "out.log.gz"
        gz = median_seconds(lambda: zf.write_zeek(frame, gz_path, path="conn"), args.reps)
        lines.append(f"| write_zeek TSV gzip | {gz:.2f} s ({mb / gz:,.0f} MB/s of text) | | |")

        # Cutting.
        columns = ["ts", "id.orig_h", "id.resp_p"]
        cut_out, alt_out = work / "cut.txt", work / "alt.txt"
        zeekframe_cli = [sys.executable, "-m", "zeekframe.cli", "cut"]
        ours = run_seconds([*zeekframe_cli, *columns], plain, cut_out, args.reps)
        awk = shutil.which("mawk") or shutil.which("awk") or "awk"
        theirs = run_seconds(
            [awk, "-v", f"cols={' '.join(columns)}", AWK_CUT], plain, alt_out, args.reps
        )
        assert cut_out.read_bytes() == alt_out.read_bytes()
        lines.append(
            f"| zeekframe cut {' '.join(columns)} | {ours:.2f} s | "
            f"{Path(awk).name} script {theirs:.2f} s | {theirs / ours:.2f}x |"
        )
        zeek_cut = os.environ.get("ZEEK_CUT") or shutil.which("zeek-cut")
        ours_d = run_seconds([*zeekframe_cli, "-d", *columns], plain, cut_out, args.reps)
        if zeek_cut:
            theirs = run_seconds([zeek_cut, "-d", *columns], plain, alt_out, args.reps)
            same = cut_out.read_bytes() == alt_out.read_bytes()
            assert same, "zeekframe cut -d differs from zeek-cut -d"
            lines.append(
                f"| zeekframe cut -d {' '.join(columns)} | {ours_d:.2f} s | "
                f"zeek-cut (C) {theirs:.2f} s | {theirs / ours_d:.2f}x |"
            )
        else:
            lines.append(
                f"| zeekframe cut -d {' '.join(columns)} | {ours_d:.2f} s | "
                "no zeek-cut found (set ZEEK_CUT) | |"
            )

        # in_subnet pushed down.
        # The report's internal hosts are 192.168/16: one /24 of servers keeps about 4 %.
        nets = ["192.168.27.0/24", "10.0.0.0/8", "2001:db8::/32"]
        predicate = zf.in_subnet("id.resp_h", nets)
        pushed = median_seconds(lambda: zf.read_zeek(plain, filter=predicate), args.reps)
        after = median_seconds(lambda: zf.read_zeek(plain).filter(predicate), args.reps)
        kept = zf.read_zeek(plain, filter=predicate)
        assert kept.equals(zf.read_zeek(plain).filter(predicate))
        lines.append(
            f"| read_zeek(filter=in_subnet(id.resp_h, {len(nets)} networks)), "
            f"{kept.height:,} rows kept | "
            f"{pushed:.2f} s | read, then filter {after:.2f} s | {after / pushed:.2f}x |"
        )

        # community_id.
        ids = median_seconds(lambda: frame.select(zf.community_id()), args.reps)
        lines.append(
            f"| community_id of {rows:,} flows | {ids:.2f} s "
            f"({ids / rows * 1e6:.2f} s per million) | | |"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish_report(lines, args.markdown)


if __name__ == "__main__":
    main()
