"""Logs nobody here wrote: crafted, damaged, endless, still being written, or read from a pipe.

Whatever a file holds, the process survives and every row is returned exactly or reported.
Inputs that could take the interpreter down run in a child process with a memory cap and a
timeout, so a failure here is a failed test, not a dead test run.
"""

from __future__ import annotations

import gzip
import os
import re
import resource
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
import pytest

import zeekframe as zf
from zeekframe import _core
from zeekframe.datasets import demo

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n#fields\tts\tuid\tid.resp_p\ttunnel_parents\n"
    "#types\ttime\tstring\tport\tset[string]\n"
)


def rows(n: int, start: int = 0) -> str:
    return "".join(
        f"{1_300_000_000 + i}.{i % 1_000_000:06d}\tC{i}\t{i % 65536}\t(empty)\n"
        for i in range(start, start + n)
    )


@dataclass
class Child:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_child(code: str, *, address_space_gb: float | None = None, timeout: float = 120) -> Child:
    """Run `code` in a fresh interpreter, optionally under an address-space cap."""

    def limit() -> None:
        if address_space_gb is not None:
            cap = int(address_space_gb * (1 << 30))
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"the child did not finish in {timeout} s: {stderr[-2000:]}")
    return Child(process.returncode, stdout, stderr, time.monotonic() - started)


def child_peak_rss_mb(code: str, **kwargs: float) -> tuple[Child, float]:
    """Run `code` in a child that prints its own peak RSS (in MB) on its last line.

    The peak is the kernel's high-water mark of the child's own address space (`VmHWM`):
    `ru_maxrss` would also count the parent's pages the child had between fork and exec.
    """
    report = (
        "import re\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024)\n"
    )
    child = run_child(textwrap.dedent(code) + "\n" + report, **kwargs)
    assert child.returncode == 0, child.stderr[-3000:]
    return child, float(child.stdout.strip().splitlines()[-1])


# Crashes, aborts and hangs -------------------------------------------------------------------


def test_json_nested_deep_under_an_unknown_key_reads_everywhere(tmp_path: Path) -> None:
    depth = 100_000
    path = tmp_path / "deep.json"
    path.write_text('{"ts":1.5,"x":' + "[" * depth + "]" * depth + "}\n")
    frame = zf.read_zeek(path)
    assert frame["ts"].to_list()[0].timestamp() == 1.5
    # A list of the inner arrays as text, whatever their depth.
    assert frame["x"].to_list() == [["[" * (depth - 1) + "]" * (depth - 1)]]
    assert zf.scan_zeek(path).collect().equals(frame)
    assert "x" in zf.read_zeek_schema(path).fields
    zf.convert(path, tmp_path / "deep.parquet", progress=False)
    assert pl.read_parquet(tmp_path / "deep.parquet").height == 1


def test_a_header_of_a_million_fields_is_read(tmp_path: Path) -> None:
    n = 1_000_000
    path = tmp_path / "wide.log"
    names = "\t".join(f"f{i}" for i in range(n))
    types = "\t".join(["count"] * n)
    path.write_text(f"#separator \\x09\n#fields\t{names}\n#types\t{types}\n")
    started = time.monotonic()
    schema = zf.read_zeek_schema(path)
    assert len(schema.fields) == n
    frame = zf.read_zeek(path, columns=[f"f{n - 1}"])
    assert frame.columns == [f"f{n - 1}"]
    # A hang detector, not a speed goal: quadratic work on a million names takes hours.
    assert time.monotonic() - started < 60


def test_a_line_longer_than_max_line_bytes_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    path.write_text(HEADER + rows(2) + "1.0\t" + "x" * 100_000 + "\t80\t(empty)\n" + rows(2, 2))
    with pytest.raises(zf.ZeekParseError, match="max_line_bytes=1000") as raised:
        zf.read_zeek(path, max_line_bytes=1000)
    assert raised.value.line == 10
    with pytest.warns(zf.ZeekSkippedLinesWarning, match="skipped 1 bad line"):
        frame = zf.read_zeek(path, max_line_bytes=1000, on_bad_line="skip")
    assert frame["uid"].to_list() == ["C0", "C1", "C2", "C3"]
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        lazy = zf.scan_zeek(path, max_line_bytes=1000, on_bad_line="skip").collect()
    assert lazy.equals(frame)
    assert zf.read_zeek(path).height == 5


def gzip_of_one_endless_line(path: Path, megabytes: int) -> None:
    block = b"a" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as out:
        for _ in range(megabytes):
            out.write(block)


def test_a_decompression_bomb_without_line_ends_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.log.gz"
    gzip_of_one_endless_line(path, 512)
    _, peak = child_peak_rss_mb(
        f"""
        import zeekframe as zf
        for n_rows in (None, 10):
            try:
                zf.read_zeek({str(path)!r}, n_rows=n_rows, max_line_bytes=32 << 20)
            except zf.ZeekParseError as e:
                assert "longer than max_line_bytes" in str(e) and e.line == 1, e
            else:
                raise AssertionError("no error")
        """,
        address_space_gb=3,
    )
    # 512 MB of one line is never held: the limit (32 MB) and a small multiple of it.
    assert peak < 400, peak


def test_a_full_read_that_exhausts_memory_raises_memory_error(tmp_path: Path) -> None:
    path = tmp_path / "rows.log.gz"
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.write(HEADER)
        block = rows(20_000)
        for _ in range(150):
            out.write(block)
    child = run_child(
        f"""
        import zeekframe as zf
        try:
            zf.read_zeek({str(path)!r})
        except MemoryError as e:
            print("MemoryError", e)
        else:
            print("read")
        """,
        address_space_gb=1.6,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.startswith(("MemoryError", "read")), child.stdout
    if child.stdout.startswith("MemoryError"):
        # Where the read was when memory ran out: the file and the line.
        assert re.match(rf"MemoryError {re.escape(str(path))}:\d+: out of memory", child.stdout)


def test_n_rows_stops_early_on_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "many.log.gz"
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.write(HEADER)
        block = rows(20_000)
        for _ in range(100):
            out.write(block)
    started = time.monotonic()
    frame = zf.read_zeek(path, n_rows=10, n_threads=1)
    assert frame.height == 10
    assert frame["uid"][9] == "C9"
    assert time.monotonic() - started < 30


# Damage, named for what it is ----------------------------------------------------------------


def test_gzip_checksum_mismatch_is_never_skipped(tmp_path: Path) -> None:
    good = gzip.compress((HEADER + rows(100)).encode())
    damaged = bytearray(good)
    damaged[-8] ^= 0xFF  # the CRC-32 of the member
    path = tmp_path / "crc.log.gz"
    path.write_bytes(bytes(damaged))
    on_bad_lines: tuple[Literal["raise", "skip"], ...] = ("raise", "skip")
    for on_bad_line in on_bad_lines:
        with pytest.raises(zf.ZeekParseError, match="fails its checksum"):
            zf.read_zeek(path, on_bad_line=on_bad_line)


def test_trailing_garbage_and_cuts_are_named(tmp_path: Path) -> None:
    good = gzip.compress((HEADER + rows(100)).encode())
    trailing = tmp_path / "trailing.log.gz"
    trailing.write_bytes(good + b"not gzip at all")
    with pytest.raises(zf.ZeekParseError, match="after its last gzip member") as raised:
        zf.read_zeek(trailing)
    assert raised.value.line == 107
    with pytest.warns(zf.ZeekSkippedLinesWarning):
        assert zf.read_zeek(trailing, on_bad_line="skip").height == 100
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(zf.ZeekParseError, match="cut short"):
        zf.read_zeek(cut)


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    tsv = tmp_path / "bom.log"
    tsv.write_bytes(b"\xef\xbb\xbf" + (HEADER + rows(3)).encode())
    assert zf.read_zeek(tsv)["uid"].to_list() == ["C0", "C1", "C2"]
    json = tmp_path / "bom.json"
    json.write_bytes(b'\xef\xbb\xbf{"_path":"conn","ts":1.0,"uid":"Ca"}\n')
    assert zf.read_zeek(json)["uid"].to_list() == ["Ca"]


def test_field_names_with_nul_bytes_are_parse_errors(tmp_path: Path) -> None:
    tsv = tmp_path / "nul.log"
    tsv.write_bytes(b"#separator \\x09\n#fields\ta\x00b\n#types\tstring\nx\n")
    with pytest.raises(zf.ZeekParseError, match="NUL byte"):
        zf.read_zeek(tsv)
    json = tmp_path / "nul.json"
    json.write_bytes(b'{"ts":1.0,"a\x00b":1}\n')
    with pytest.raises(zf.ZeekParseError, match="NUL byte") as raised:
        zf.read_zeek(json)
    assert raised.value.line == 1


def test_a_header_block_without_fields_raises_with_or_without_rows(tmp_path: Path) -> None:
    for text in ("#separator \\x09\n#path\tconn\n", "#separator \\x09\n#path\tconn\n1\t2\n"):
        path = tmp_path / "nofields.log"
        path.write_text(text)
        with pytest.raises(zf.ZeekParseError, match="#fields"):
            zf.read_zeek(path)


def test_type_conflicts_are_named_in_zeek_types(tmp_path: Path) -> None:
    first = tmp_path / "a.log"
    first.write_text(HEADER + rows(1))
    second = tmp_path / "b.log"
    second.write_text("#separator \\x09\n#fields\tid.resp_p\n#types\tcount\n1\n")
    with pytest.raises(zf.ZeekError, match=re.escape(f"is port in {first} but count in {second}")):
        zf.read_zeek([first, second])
    both = tmp_path / "both.log"
    both.write_text(first.read_text() + second.read_text())
    with pytest.raises(zf.ZeekError, match=r"is port in .* but count in a later header block"):
        zf.read_zeek(both)


# Lines still being written -------------------------------------------------------------------


def test_a_last_line_without_a_line_end_is_named(tmp_path: Path) -> None:
    path = tmp_path / "live.log"
    text = HEADER + rows(3)
    path.write_text(text + "1400000000.000000\tCcut\t80\t(em")
    with pytest.warns(zf.ZeekIncompleteLineWarning, match=f"{path}:11") as caught:
        frame = zf.read_zeek(path)
    assert caught[0].message.lines == [(str(path), 11)]  # type: ignore[union-attr]
    assert frame["uid"].to_list() == ["C0", "C1", "C2", "Ccut"]
    complete = zf.read_zeek(path, complete_lines=True)
    assert complete["uid"].to_list() == ["C0", "C1", "C2"]
    with pytest.warns(zf.ZeekIncompleteLineWarning):
        assert zf.scan_zeek(path).collect().equals(frame)
    # Hand-made logs without a final line end still read, with the warning.
    handmade = tmp_path / "handmade.log"
    handmade.write_text((HEADER + rows(2)).rstrip("\n"))
    with pytest.warns(zf.ZeekIncompleteLineWarning):
        assert zf.read_zeek(handmade).height == 2


def test_a_tail_reads_each_appended_row_once(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    whole = HEADER + rows(10)
    cuts = [len(HEADER) + 5, len(HEADER) + 200, len(whole) - 7, len(whole)]
    path.write_text("")
    tail = zf.ZeekTail(path)
    seen: list[str] = []
    written = 0
    for cut in cuts:
        with path.open("a") as out:
            out.write(whole[written:cut])
        written = cut
        seen += tail.read()["uid"].to_list()
    assert seen == [f"C{i}" for i in range(10)]
    assert tail.offset == len(whole)
    # A saved offset goes on where the last read stopped.
    with path.open("a") as out:
        out.write(rows(2, 10))
    assert zf.ZeekTail(path, offset=tail.offset).read()["uid"].to_list() == ["C10", "C11"]
    path.write_text(HEADER)
    with pytest.raises(zf.ZeekError, match="rotated or truncated"):
        tail.read()


def test_reading_while_another_process_appends(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text(HEADER)
    stop = threading.Event()

    def write() -> None:
        line = rows(1, 7).encode()
        with path.open("ab", buffering=0) as out:
            while not stop.is_set():
                # Each line in two writes, as a writer's buffer flushes fall.
                out.write(line[:30])
                out.write(line[30:])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(50):
            frame = zf.read_zeek(path, complete_lines=True)
            assert frame["tunnel_parents"].to_list() == [[]] * frame.height
    finally:
        stop.set()
        writer.join()


# Pipes ---------------------------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> tuple[Path, Path]:
    """A FIFO and a file whose bytes a writer process sends through it, once."""
    pipe = tmp_path / "conn.fifo"
    os.mkfifo(pipe)
    return pipe, tmp_path / "conn.source"


def feed(pipe: Path, source: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sh", "-c", f"cat '{source}' > '{pipe}'"])


@pytest.mark.parametrize("header", [True, False], ids=["header", "headerless"])
def test_a_stream_is_read_once_and_whole(fifo: tuple[Path, Path], header: bool) -> None:
    pipe, source = fifo
    text = rows(20_000)
    source.write_text(HEADER + text if header else text.replace("\t(empty)", ""))
    fields = None if header else ["ts", "uid", "id.resp_p"]
    types = None if header else ["time", "string", "port"]
    expected = [f"C{i}" for i in range(20_000)]
    reads: dict[str, Callable[[], pl.DataFrame]] = {
        "read_zeek": lambda: zf.read_zeek(pipe, fields=fields, types=types),
        "filter": lambda: zf.read_zeek(
            pipe, fields=fields, types=types, filter=pl.col("id.resp_p") < 70_000
        ),
        "scan_zeek": lambda: zf.scan_zeek(pipe, fields=fields, types=types).collect(),
    }
    for name, read in reads.items():
        writer = feed(pipe, source)
        frame = read()
        writer.wait(timeout=30)
        assert frame["uid"].to_list() == expected, name
    writer = feed(pipe, source)
    parquet = pipe.with_suffix(".parquet")
    result = zf.convert(pipe, parquet, progress=False, fields=fields, types=types)
    writer.wait(timeout=30)
    assert result.rows == 20_000
    assert pl.read_parquet(parquet)["uid"].to_list() == expected


def test_log_type_of_a_headerless_stream(fifo: tuple[Path, Path]) -> None:
    pipe, source = fifo
    # A Bro 2.x conn line: 20 fields, the oldest layout log_type="conn" knows.
    fields = ["1331901000.000000", "CAbc", "192.168.0.1", "1", "10.0.0.1", "80", "tcp", "http"]
    fields += ["1.5", "1", "2", "SF", "-", "0", "ShADad", "1", "40", "1", "40", "(empty)"]
    line = "\t".join(fields)
    source.write_text((line + "\n") * 20_000)
    writer = feed(pipe, source)
    frame = zf.read_zeek(pipe, log_type="conn")
    writer.wait(timeout=30)
    assert frame.height == 20_000
    writer = feed(pipe, source)
    lazy = zf.scan_zeek(pipe, log_type="conn").collect()
    writer.wait(timeout=30)
    assert lazy.height == 20_000


# Files that change under the reader ---------------------------------------------------------


@pytest.mark.parametrize("on_bad_line", ["raise", "skip"])
@pytest.mark.parametrize(
    "call",
    [
        "zf.read_zeek(copy, columns=['uid'], on_bad_line=on_bad_line)",
        "zf.scan_zeek(copy, on_bad_line=on_bad_line).select('uid').collect()",
    ],
)
def test_a_file_truncated_while_read_is_reported_not_fatal(
    big_log: Path, tmp_path: Path, on_bad_line: str, call: str
) -> None:
    """A plain log cut short while it is read (logrotate's copytruncate) through a memory
    mapping: no SIGBUS takes the process down, even with faulthandler enabled after the
    first read, and the read raises, or under "skip" returns the rows before the cut and
    warns."""
    copy = tmp_path / "conn.log"
    code = f"""
        import faulthandler, os, shutil, threading, warnings
        import zeekframe as zf
        original, copy, on_bad_line = {str(big_log)!r}, {str(copy)!r}, {on_bad_line!r}
        expected = zf.read_zeek(original, columns=["uid"])["uid"].to_list()
        # The handler guarding mappings is in place; faulthandler now goes in front of it.
        faulthandler.enable()

        def cut_to_a_third():
            with open(copy, "r+b") as file:
                file.truncate(os.path.getsize(copy) // 3)

        outcomes = []
        for attempt in range(6):
            shutil.copyfile(original, copy)
            timer = threading.Timer(0.02 + 0.015 * attempt, cut_to_a_third)
            timer.start()
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    frame = {call}
            except zf.ZeekError as error:
                if "shrank while it was read" in str(error):
                    # Where the lost lines begin, past the header.
                    assert error.line is not None and error.line > 8, error.line
                    outcomes.append("raised")
                else:
                    # Cut before the read began: a shorter file, its last line cut short.
                    assert "line end" in str(error), str(error)
                    outcomes.append("short")
                continue
            finally:
                timer.join()
            uids = frame["uid"].to_list()
            messages = [str(w.message) for w in caught]
            if len(uids) == len(expected):
                outcomes.append("finished")
            elif any("shrank while it was read" in m for m in messages):
                outcomes.append("kept")
            else:
                # Cut before the read began: a shorter file, its last line cut short.
                assert any("line end" in m for m in messages), messages
                uids = uids[:-1]
                outcomes.append("short")
            assert uids == expected[: len(uids)], (len(uids), messages)
        print(" ".join(outcomes))
    """
    child = run_child(code, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    assert "Bus error" not in child.stderr
    outcomes = child.stdout.split()
    assert len(outcomes) == 6
    cut = {"raise": "raised", "skip": "kept"}[on_bad_line]
    if cut not in outcomes:
        pytest.skip(f"every read finished before its file was cut: {outcomes}")


# Ctrl-C --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log that takes a few seconds to read on two cores."""
    directory = tmp_path_factory.mktemp("big")
    demo(directory, scale=0.1, seed=1)
    return directory / "conn.log"


@pytest.mark.parametrize(
    "call",
    [
        "zf.read_zeek(path)",
        "zf.scan_zeek(path).collect()",
        "zf.convert(path, dest, progress=False)",
    ],
)
def test_ctrl_c_stops_a_read_once_and_leaves_the_module_usable(
    big_log: Path, tmp_path: Path, call: str
) -> None:
    dest = tmp_path / "out.parquet"
    setup = f"""
        import zeekframe as zf
        path, dest = {str(big_log)!r}, {str(dest)!r}
        zf.read_zeek(path, n_rows=1)
    """
    code = interrupted(setup, call, "assert zf.read_zeek(path, n_rows=5).height == 5")
    child = run_child(code, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    if "finished" in child.stderr:
        pytest.skip("the read finished before the signal came")
    interrupts, stopped, exists = child.stdout.split()
    # Polars raises a second KeyboardInterrupt after any interrupted `collect()`, from a
    # source of its own as much as from ours (pola-rs/polars#23988): a lazy read raises what
    # Polars alone raises, and one where Polars is not in the way.
    # When the second one comes depends on Polars' own timing, so either count is Polars';
    # more than Polars alone raises would be ours.
    allowed = {1, polars_interrupts_of_an_interrupted_collect()} if "collect" in call else {1}
    assert int(interrupts) in allowed, child.stdout
    # Typically 0.05-0.15 s; a loaded 2-core CI host once took 0.205 s to stop a convert.
    assert float(stopped) < 0.5, child.stdout
    assert exists == "False"


def polars_interrupts_of_an_interrupted_collect() -> int:
    """How many KeyboardInterrupts one SIGINT gives during a `collect()` of a plain Polars
    IO source that takes two seconds."""
    setup = """
        import time
        import polars as pl
        from polars.io.plugins import register_io_source

        def slow(with_columns, predicate, n_rows, batch_size):
            started = time.monotonic()
            while time.monotonic() - started < 2:
                time.sleep(0.01)
            yield pl.DataFrame({"a": [1]})

        lazy = register_io_source(slow, schema={"a": pl.Int64})
    """
    code = interrupted(setup, "lazy.collect()", "dest = ''")
    child = run_child(code, timeout=60)
    assert child.returncode == 0, child.stderr[-3000:]
    return int(child.stdout.split()[0])


def interrupted(setup: str, call: str, after: str) -> str:
    """A child that runs `call`, sends itself SIGINT 0.15 s in, and prints how many
    KeyboardInterrupts came (each one raised while handling the one before is its
    `__context__`), how long the call went on after the signal was sent, and whether `dest`
    exists."""
    return textwrap.dedent(setup) + textwrap.dedent(
        f"""
        import os, signal, sys, threading, time
        sent = []

        def interrupt():
            # Timed from the signal itself: the timer thread may get the GIL late.
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(0.15, interrupt)
        interrupts, stopped = 0, None
        timer.start()
        try:
            try:
                {call}
                print("finished", file=sys.stderr)
            finally:
                stopped = time.monotonic() - sent[0] if sent else 0.0
                # A second interrupt, if any, comes while this sleeps.
                time.sleep(0.3)
        except KeyboardInterrupt as error:
            if stopped is None:  # the second interrupt came before the sleep
                stopped = time.monotonic() - sent[0]
            chained = error
            while chained is not None:
                interrupts += isinstance(chained, KeyboardInterrupt)
                chained = chained.__context__
        {after}
        print(interrupts, round(stopped, 3), os.path.exists(dest))
        """
    )


# Processes and threads -----------------------------------------------------------------------


def test_a_process_forked_after_a_read_reads_too(tmp_path: Path) -> None:
    # Parser threads are kept between reads; a forked child has none of them and must make
    # its own rather than wait on its parent's.
    path = tmp_path / "conn.log"
    path.write_text(HEADER + rows(50_000))
    child = run_child(
        f"""
        import os, signal, sys, time
        import polars as pl
        from zeekframe import _core
        def read():
            return pl.DataFrame(_core.read_tsv([{str(path)!r}], chunk_size=65536, n_threads=2))
        before = read()
        pid = os.fork()
        if pid == 0:
            after = read()
            os._exit(0 if after.equals(before) else 3)
        for _ in range(300):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                sys.exit(os.waitstatus_to_exitcode(status))
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        sys.exit("the forked child's read did not finish in 30 s")
        """,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-3000:]


def test_reads_from_many_threads_at_once_agree(tmp_path: Path) -> None:
    # Reads share the parser threads: concurrent reads wait for them, none sees another's rows.
    paths = []
    for n in range(4):
        path = tmp_path / f"conn{n}.log"
        path.write_text(HEADER + rows(20_000 + n, start=n))
        paths.append(path)
    expected = [pl.DataFrame(_core.read_tsv([str(p)], n_threads=1)) for p in paths]
    results: dict[int, pl.DataFrame] = {}

    def read(i: int) -> None:
        chunks = _core.read_tsv([str(paths[i % 4])], chunk_size=65536, n_threads=2)
        results[i] = pl.DataFrame(chunks)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == list(range(12))
    for i, frame in results.items():
        assert frame.equals(expected[i % 4]), i


# Memory of giant values ----------------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["tsv", "json"])
def test_a_giant_field_costs_about_twice_its_size(tmp_path: Path, log_format: str) -> None:
    size = 200 << 20
    path = tmp_path / f"giant.{log_format}"
    with path.open("w") as out:
        # In JSON, a key no schema knows: its column is typed from its values.
        if log_format == "tsv":
            out.write("#separator \\x09\n#fields\tts\tpayload\n#types\ttime\tstring\n1.0\t")
        else:
            out.write('{"ts":1.0,"payload":"')
        out.write("y" * size)
        out.write("\n" if log_format == "tsv" else '"}\n')
    baseline = child_peak_rss_mb("import zeekframe as zf, polars as pl, pyarrow")[1]
    child = run_child(
        f"""
        import re
        import zeekframe as zf, polars as pl, pyarrow
        frame = zf.read_zeek({str(path)!r})
        status = open("/proc/self/status").read()
        print(int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024)
        # Polars' own string kernels copy the value; the read is measured before them.
        assert frame["payload"].str.len_bytes()[0] == {size}
        """
    )
    assert child.returncode == 0, child.stderr[-3000:]
    peak = float(child.stdout.split()[0])
    assert peak - baseline < 2.3 * size / (1 << 20), (peak, baseline)
