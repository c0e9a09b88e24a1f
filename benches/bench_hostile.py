"""Hostile inputs at full size: each case in a fresh child, under a memory cap and a timeout.

For every case the table gives what happened (the exception class and the start of its
message, or the row count), the seconds it took and the child's peak RSS. The tests in
``tests/test_hostile.py`` assert the same behaviours on scaled-down inputs; this is the
full-size evidence (a 4 GB gzip bomb, a million-field header, a 1 GB log interrupted).

    python benches/bench_hostile.py [--only NAME,...] [--markdown FILE]
"""

# ruff: noqa: E501  (the child programs below read best one call per line)
from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import DATA_DIR, finish_report, machine_facts

GB = 1 << 30
HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n#fields\tts\tuid\tid.resp_p\ttunnel_parents\n"
    "#types\ttime\tstring\tport\tset[string]\n"
)
# The fields of a Bro 2.x conn line after ts and uid.
CONN_TAIL = ["10.0.0.1", "1", "10.0.0.2", "80", "tcp", "http", "1.5", "1", "2", "SF", "-", "0"]
CONN_TAIL += ["ShADad", "1", "40", "1", "40", "(empty)"]
PRELUDE = """
import os, resource, signal, sys, threading, time
import polars as pl
import zeekframe as zf
def outcome(call):
    try:
        result = call()
    except BaseException as e:  # the point is to see what comes out
        return f"{type(e).__name__}: {str(e)[:70]}"
    if isinstance(result, pl.DataFrame):
        return f"{result.height:,} rows"
    return str(result)[:80]
def peak_kb():
    # This process's own high-water mark (ru_maxrss would count the parent's pages too).
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
"""


def rows(n: int, start: int = 0) -> str:
    return "".join(
        f"{1_300_000_000 + i}.{i % 1_000_000:06d}\tC{i}\t{i % 65536}\t(empty)\n"
        for i in range(start, start + n)
    )


@dataclass
class Case:
    name: str
    setup: Callable[[Path], None]
    code: str
    cap_gb: float | None = None


def setup_deep(d: Path) -> None:
    depth = 13_000
    (d / "deep.json").write_text('{"ts":1.0,"x":' + "[" * depth + "]" * depth + "}\n")


def setup_line_bomb(d: Path) -> None:
    path = d / "line-bomb.log.gz"
    if path.exists():
        return
    block = b"a" * (1 << 24)
    with gzip.open(path, "wb", compresslevel=1) as out:
        for _ in range(256):  # 4 GiB of one line
            out.write(block)


def setup_row_bomb(d: Path) -> None:
    path = d / "row-bomb.log.gz"
    if path.exists():
        return
    block = rows(100_000)
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.write(HEADER)
        for _ in range(350):  # 35M rows
            out.write(block)


def setup_wide(d: Path) -> None:
    n = 1_000_000
    names = "\t".join(f"f{i}" for i in range(n))
    types = "\t".join(["count"] * n)
    values = "\t".join(["1"] * n)
    (d / "wide.log").write_text(f"#separator \\x09\n#fields\t{names}\n#types\t{types}\n")
    (d / "wide-row.log").write_text(
        f"#separator \\x09\n#fields\t{names}\n#types\t{types}\n{values}\n"
    )


def setup_stream(d: Path) -> None:
    (d / "stream.log").write_text(HEADER + rows(20_000))
    (d / "stream-headerless.log").write_text(
        "".join(
            "\t".join([f"{1331901000 + i}.000000", f"C{i}", *CONN_TAIL]) + "\n"
            for i in range(20_000)
        )
    )


def setup_cut(d: Path) -> None:
    (d / "cut.log").write_text(HEADER + rows(3) + "1400000000.000000\tCcut\t80\t(em")


def setup_live(d: Path) -> None:
    (d / "live.log").write_text(HEADER)


def setup_nul(d: Path) -> None:
    (d / "nul.log").write_bytes(b"#separator \\x09\n#fields\ta\x00b\n#types\tstring\nx\n")
    (d / "nul.json").write_bytes(b'{"ts":1.0,"a\x00b":1}\n')


def setup_big(d: Path) -> None:
    if (d / "big" / "conn.log").exists():
        return
    from zeekframe.datasets import demo

    demo(d / "big", scale=0.35, seed=1)  # about 1 GB


def setup_giant(d: Path) -> None:
    size = 300 << 20
    with (d / "giant.log").open("w") as out:
        out.write("#separator \\x09\n#fields\tts\tpayload\n#types\ttime\tstring\n1.0\t")
        out.write("y" * size + "\n")
    with (d / "giant.json").open("w") as out:
        out.write('{"_path":"x","ts":1.0,"payload":"' + "z" * (200 << 20) + '"}\n')


def setup_damage(d: Path) -> None:
    good = gzip.compress((HEADER + rows(1000)).encode())
    crc = bytearray(good)
    crc[-8] ^= 0xFF
    (d / "crc.log.gz").write_bytes(bytes(crc))
    (d / "trailing.log.gz").write_bytes(good + b"garbage")
    (d / "bom.log").write_bytes(b"\xef\xbb\xbf" + (HEADER + rows(3)).encode())
    (d / "nofields.log").write_text("#separator \\x09\n#path\tconn\n")
    first = HEADER + rows(1)
    (d / "a.log").write_text(first)
    (d / "b.log").write_text("#separator \\x09\n#fields\tid.resp_p\n#types\tcount\n1\n")
    if shutil.which("zstd"):
        data = subprocess.run(
            ["zstd", "-q", "-c"], input=(HEADER + rows(20_000)).encode(), capture_output=True
        ).stdout
        (d / "cut.log.zst").write_bytes(data[:100])


def interrupt_code(call: str, setup: str = "") -> str:
    """SIGINT 0.3 s into `call`: how long it went on, how many KeyboardInterrupts came (one
    raised while handling the one before is its `__context__`), whether the module still
    reads and whether `dest` was left behind. Braces are doubled twice: this text is an
    f-string here and a format string later."""
    return f"""
        path = {{d!r}} + "/big/conn.log"; dest = {{d!r}} + "/interrupted.parquet"
        zf.read_zeek(path, n_rows=1)
        {setup}
        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        start = time.monotonic(); interrupts = 0; stopped = None
        try:
            try:
                {call}
            finally:
                stopped = time.monotonic() - start - 0.3
                time.sleep(0.5)  # a second interrupt, if any, comes while this sleeps
        except KeyboardInterrupt as error:
            if stopped is None:
                stopped = time.monotonic() - start - 0.3
            chained = error
            while chained is not None:
                interrupts += isinstance(chained, KeyboardInterrupt)
                chained = chained.__context__
        usable = zf.read_zeek(path, n_rows=3).height == 3
        print(f"stopped {{{{stopped:.3f}}}} s after SIGINT, {{{{interrupts}}}} KeyboardInterrupt, "
              f"usable after: {{{{usable}}}}, partial file: {{{{os.path.exists(dest)}}}}")
    """


# A plain Polars IO source that takes two seconds: how many KeyboardInterrupts Polars itself
# raises for one SIGINT during `collect()` (pola-rs/polars#23988).
SLOW_SOURCE = """
        from polars.io.plugins import register_io_source
        def slow(with_columns, predicate, n_rows, batch_size):
            began = time.monotonic()
            while time.monotonic() - began < 2:
                time.sleep(0.01)
            yield pl.DataFrame({{"a": [1]}})
        lazy = register_io_source(slow, schema={{"a": pl.Int64}})
"""


CASES = [
    Case(
        "deep JSON nesting (13,000) under an unknown key",
        setup_deep,
        """
        p = {d!r} + "/deep.json"
        print(outcome(lambda: zf.read_zeek(p)), "|", outcome(lambda: len(zf.read_zeek_schema(p).fields)),
              "|", outcome(lambda: zf.scan_zeek(p).collect()),
              "|", outcome(lambda: zf.convert(p, p + ".parquet", progress=False).rows))
        """,
        cap_gb=4,
    ),
    Case(
        "4 GiB gzip line without a line end (cap 3 GB)",
        setup_line_bomb,
        """
        p = {d!r} + "/line-bomb.log.gz"
        print(outcome(lambda: zf.read_zeek(p)), "| n_rows=10:", outcome(lambda: zf.read_zeek(p, n_rows=10)))
        """,
        cap_gb=3,
    ),
    Case(
        "35M-row gzip bomb, full read (cap 2 GB)",
        setup_row_bomb,
        "print(outcome(lambda: zf.read_zeek({d!r} + '/row-bomb.log.gz')))",
        cap_gb=2,
    ),
    Case(
        "35M-row gzip bomb, n_rows=10",
        setup_row_bomb,
        "print(outcome(lambda: zf.read_zeek({d!r} + '/row-bomb.log.gz', n_rows=10)))",
        cap_gb=2,
    ),
    Case(
        "35M-row gzip bomb, sample=0.001",
        setup_row_bomb,
        "print(outcome(lambda: zf.read_zeek({d!r} + '/row-bomb.log.gz', sample=0.001)))",
        cap_gb=2,
    ),
    Case(
        "header of 1,000,000 fields: schema",
        setup_wide,
        "print(outcome(lambda: len(zf.read_zeek_schema({d!r} + '/wide.log').fields)))",
    ),
    Case(
        "header of 1,000,000 fields + 1 row: columns=[last], n_rows=1",
        setup_wide,
        "print(outcome(lambda: zf.read_zeek({d!r} + '/wide-row.log', columns=['f999999'], n_rows=1)))",
    ),
    Case(
        "header of 1,000,000 fields + 1 row: everything",
        setup_wide,
        "print(outcome(lambda: zf.read_zeek({d!r} + '/wide-row.log').width))",
    ),
    Case(
        "FIFO: read_zeek, filter=, scan_zeek, convert (20,000 rows)",
        setup_stream,
        """
        import subprocess
        src = {d!r} + "/stream.log"; fifo = {d!r} + "/stream.fifo"
        if not os.path.exists(fifo): os.mkfifo(fifo)
        out = []
        for name, call in [("read_zeek", lambda: zf.read_zeek(fifo)),
                           ("filter", lambda: zf.read_zeek(fifo, filter=pl.col("id.resp_p") < 70000)),
                           ("scan_zeek", lambda: zf.scan_zeek(fifo).collect()),
                           ("convert", lambda: zf.convert(fifo, fifo + ".parquet", progress=False).rows)]:
            w = subprocess.Popen(["sh", "-c", f"cat '{{src}}' > '{{fifo}}'"])
            out.append(f"{{name}}: {{outcome(call)}}"); w.wait()
        print("; ".join(out))
        """,
    ),
    Case(
        "FIFO, headerless, log_type='conn' (20,000 rows)",
        setup_stream,
        """
        import subprocess
        src = {d!r} + "/stream-headerless.log"; fifo = {d!r} + "/stream2.fifo"
        if not os.path.exists(fifo): os.mkfifo(fifo)
        out = []
        for name, call in [("read_zeek", lambda: zf.read_zeek(fifo, log_type="conn")),
                           ("scan_zeek", lambda: zf.scan_zeek(fifo, log_type="conn").collect())]:
            w = subprocess.Popen(["sh", "-c", f"cat '{{src}}' > '{{fifo}}'"])
            out.append(f"{{name}}: {{outcome(call)}}"); w.wait()
        print("; ".join(out))
        """,
    ),
    Case(
        "last line cut inside a field, no line end",
        setup_cut,
        """
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = outcome(lambda: zf.read_zeek({d!r} + "/cut.log"))
        print(r, "| warning:", w[0].category.__name__ if w else None,
              "| complete_lines=True:", outcome(lambda: zf.read_zeek({d!r} + "/cut.log", complete_lines=True)))
        """,
    ),
    Case(
        "200 reads while another process appends (complete_lines=True; default)",
        setup_live,
        """
        import subprocess, warnings
        p = {d!r} + "/live.log"
        line = "1300000000.000007\\tC7\\t7\\t(empty)\\n"
        writer = subprocess.Popen([sys.executable, "-c",
            "import sys, time\\nf=open(sys.argv[1],'ab',buffering=0)\\nl=sys.argv[2].encode()\\n"
            "while True:\\n f.write(l[:30]); time.sleep(0.0005); f.write(l[30:])", p, line])
        bad = silent = warned = 0
        try:
            for _ in range(200):
                f = zf.read_zeek(p, complete_lines=True)
                bad += sum(1 for t in f["tunnel_parents"].to_list() if t != [])
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always")
                    g = zf.read_zeek(p, on_bad_line="skip")
                cut = sum(1 for t in g["tunnel_parents"].to_list() if t != [])
                named = any(x.category is zf.ZeekIncompleteLineWarning for x in w)
                warned += named
                silent += cut > 0 and not named
        finally:
            writer.kill()
        print(f"{{f.height:,}} rows at the end; complete_lines=True: {{bad}} cut rows; default: {{warned}} reads met a cut last line, {{silent}} returned it without a warning")
        """,
    ),
    Case(
        "field names with a NUL byte (TSV, JSON)",
        setup_nul,
        """
        print(outcome(lambda: zf.read_zeek({d!r} + "/nul.log")), "|", outcome(lambda: zf.read_zeek({d!r} + "/nul.json")))
        """,
    ),
    Case("Ctrl-C: read_zeek of a 1 GB log", setup_big, interrupt_code("zf.read_zeek(path)")),
    Case(
        "Ctrl-C: scan_zeek().collect() of a 1 GB log",
        setup_big,
        interrupt_code("zf.scan_zeek(path).collect()"),
    ),
    Case(
        "Ctrl-C: collect() of a plain Polars IO source (the baseline for scan_zeek)",
        setup_big,
        interrupt_code("lazy.collect()", SLOW_SOURCE),
    ),
    Case(
        "Ctrl-C: convert of a 1 GB log",
        setup_big,
        interrupt_code("zf.convert(path, dest, progress=False)"),
    ),
    Case(
        "one 300 MB field (TSV)",
        setup_giant,
        """
        base = peak_kb()
        f = zf.read_zeek({d!r} + "/giant.log")
        peak = peak_kb()
        print(f"{{f.height}} row, peak {{(peak - base) / 1024 / 300:.2f}}x the field above the baseline")
        """,
    ),
    Case(
        "one 200 MB JSON string",
        setup_giant,
        """
        base = peak_kb()
        f = zf.read_zeek({d!r} + "/giant.json")
        peak = peak_kb()
        print(f"{{f.height}} row, peak {{(peak - base) / 1024 / 200:.2f}}x the field above the baseline")
        """,
    ),
    Case(
        "gzip damage: checksum (raise, skip), trailing garbage, BOM",
        setup_damage,
        """
        print(outcome(lambda: zf.read_zeek({d!r} + "/crc.log.gz")), "| skip:",
              outcome(lambda: zf.read_zeek({d!r} + "/crc.log.gz", on_bad_line="skip")), "|",
              outcome(lambda: zf.read_zeek({d!r} + "/trailing.log.gz")), "| BOM:",
              outcome(lambda: zf.read_zeek({d!r} + "/bom.log")))
        """,
    ),
    Case(
        "zstd cut in its first frame",
        setup_damage,
        """
        p = {d!r} + "/cut.log.zst"
        if os.path.exists(p):
            try:
                zf.read_zeek(p)
            except zf.ZeekParseError as e:
                print("ZeekParseError at line", e.line, str(e)[:60])
        else:
            print("no zstd command to make the file with")
        """,
    ),
    Case(
        "header block without #fields; type conflict between files",
        setup_damage,
        """
        print(outcome(lambda: zf.read_zeek({d!r} + "/nofields.log")), "|",
              outcome(lambda: zf.read_zeek([{d!r} + "/a.log", {d!r} + "/b.log"])))
        """,
    ),
]


def run_case(case: Case, directory: Path) -> tuple[str, float, float]:
    case.setup(directory)
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(case.code).format(d=str(directory))
    code += "\nprint('PEAK', peak_kb())\n"

    def limit() -> None:
        if case.cap_gb is not None:
            cap = int(case.cap_gb * GB)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        return "hang: no end in 300 s", 300.0, float("nan")
    seconds = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    peak = next((int(x.split()[1]) / 1024 for x in lines if x.startswith("PEAK")), float("nan"))
    result = " ".join(x for x in lines if not x.startswith("PEAK"))
    if done.returncode != 0:
        result = f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]!r}"
    return result.replace("|", "/"), seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated parts of case names")
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    directory = DATA_DIR / "hostile"
    directory.mkdir(parents=True, exist_ok=True)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    lines = [*machine_facts([]), "", "| case | outcome | s | peak RSS MB |", "|---|---|---:|---:|"]
    for case in CASES:
        if wanted and not any(w in case.name for w in wanted):
            continue
        result, seconds, peak = run_case(case, directory)
        lines.append(f"| {case.name} | {result} | {seconds:.2f} | {peak:.0f} |")
        print(lines[-1], flush=True)
    finish_report(lines, args.markdown)


if __name__ == "__main__":
    main()
