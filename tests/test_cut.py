"""``zeekframe cut``: zeek-cut's options and output.

The cases in ``data/zeek_cut_cases.json`` are zeek-cut's own test suite (zeek-aux
``testing/zeek-cut``: each command line, its input logs and its expected output), run
here on the same input files from the corpus.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import decompress, split_lines, unescape

from zeekframe import _core
from zeekframe.cli import main

CASES = json.loads((Path(__file__).parent / "data" / "zeek_cut_cases.json").read_text())["cases"]
CUT_LOGS = "zeek/testing__btest__Files__zeek-cut-logs__"


def canonify_zone(text: str) -> str:
    return re.sub(r"[+-][0-9]{4}", "+0000", text)


def concatenated(corpus: Path, case: dict[str, Any], tmp_path: Path) -> Path:
    """The case's input: its logs one after the other, less the lines it drops."""
    text = b"".join((corpus / f"{CUT_LOGS}{name}").read_bytes() for name in case["inputs"])
    drop = case["drop_lines_starting"]
    if drop is not None:
        text = b"".join(
            line for line in text.splitlines(keepends=True) if not line.startswith(drop.encode())
        )
    path = tmp_path / "input.log"
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_zeek_cuts_own_cases(
    case: dict[str, Any],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TZ", "PST+8")
    monkeypatch.delenv("ZEEK_CUT_TIMEFMT", raising=False)
    for name, value in case["env"].items():
        monkeypatch.setenv(name, value)
    source = concatenated(corpus, case, tmp_path)
    status = main(["cut", *case["args"], "-r", str(source)])
    out, err = capfd.readouterr()
    assert status == (1 if case["fails"] else 0), err
    expected_err = [line for line in case.get("stderr", "").splitlines()]
    expected_out = case.get("stdout")
    if expected_out is not None and case["stdout_includes_stderr"]:
        lines = expected_out.splitlines(keepends=True)
        expected_err += [ln.rstrip("\n") for ln in lines if ln.startswith("zeek-cut: ")]
        expected_out = "".join(ln for ln in lines if not ln.startswith("zeek-cut: "))
    if expected_out is not None:
        if case["time_zone_canonified"]:
            out, expected_out = canonify_zone(out), canonify_zone(expected_out)
        assert out == expected_out
    # Each of zeek-cut's messages, in order; ours also name the file and line.
    ours = err.splitlines()
    assert len(ours) == len(expected_err), err
    for mine, theirs in zip(ours, expected_err):
        assert mine.startswith("zeekframe cut: ")
        assert mine.endswith(theirs.removeprefix("zeek-cut: ")), (mine, theirs)


def test_messages_name_file_and_line(corpus: Path, capfd: pytest.CaptureFixture[str]) -> None:
    log = corpus / f"{CUT_LOGS}invalid-time.log"
    assert main(["cut", "-u", "-r", str(log)]) == 0
    _out, err = capfd.readouterr()
    assert err.splitlines()[0] == f"zeekframe cut: {log}:3: time field is not valid: hello"
    assert main(["cut", "-r", str(corpus / f"{CUT_LOGS}null-separator.log")]) == 1
    _out, err = capfd.readouterr()
    assert err.endswith("null-separator.log:1: bad log header (invalid #separator line)\n")


def model_cut(text: bytes, pick: list[int]) -> tuple[bytes, int]:
    """An independent cut of a well-formed log: the fields at ``pick`` (negative: from the
    end of each block's #fields) of every data line, joined by the block's separator, and
    how many lines are too short for them (blank lines)."""
    out, separator, positions, short = [], b"\t", [], 0
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        if line.startswith(b"#separator "):
            separator = unescape(line[11:])
        elif line.startswith(b"#fields"):
            names = line.split(separator)[1:]
            positions = [i % len(names) for i in pick]
        elif not line.startswith(b"#"):
            values = line.split(separator)
            if len(values) <= max(positions):
                short += 1
                continue
            out.append(separator.join(values[i] for i in positions) + b"\n")
    return b"".join(out), short


def test_every_wellformed_log_cuts_as_split_says(
    wellformed_log: str, corpus: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    text, complete = decompress((corpus / wellformed_log).read_bytes())
    assert complete
    first_fields = next((ln for ln in split_lines(text) if ln.startswith(b"#fields")), None)
    if first_fields is None:
        pytest.skip("no #fields line")
    separator = unescape(next(ln for ln in split_lines(text) if ln.startswith(b"#separator "))[11:])
    names = first_fields.split(separator)[1:]
    columns = [names[-1].decode(), names[0].decode()]
    if len(set(columns)) < 2:
        columns = columns[:1]
    _core.cut([str(corpus / wellformed_log)], columns=columns)
    out, err = capfd.readouterr()
    multi_block = sum(1 for ln in split_lines(text) if ln.startswith(b"#fields")) > 1
    if not multi_block:
        expected, short = model_cut(text, [-1, 0][: len(columns)])
        assert out.encode("utf-8", "surrogateescape") == expected
        assert err.count("skipping log line (not enough fields)\n") == short
        assert len(err.splitlines()) == short
    # Small blocks, so lines cross block edges and runs are split between threads: the same.
    _core.cut([str(corpus / wellformed_log)], columns=columns, block_bytes=1024)
    again, _ = capfd.readouterr()
    assert again == out


def test_gzip_stdin_and_blocks(
    corpus: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    plain = (corpus / f"{CUT_LOGS}conn.log").read_bytes() * 2000
    gz = tmp_path / "conn.log.gz"
    gz.write_bytes(gzip.compress(plain))
    (tmp_path / "conn.log").write_bytes(plain)
    outputs = []
    for source, block in ((gz, None), (tmp_path / "conn.log", None), (tmp_path / "conn.log", 4096)):
        lines = _core.cut([str(source)], columns=["uid", "ts"], headers=2, block_bytes=block)
        outputs.append(capfd.readouterr().out)
        assert lines[0] == plain.count(b"\n")
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count("#fields\tuid\tts\n") == 2000
    # Standard input, through the command.
    result = subprocess.run(
        [sys.executable, "-m", "zeekframe.cli", "cut", "-n", "uid"],
        input=plain,
        capture_output=True,
        check=True,
    )
    assert result.stdout.count(b"\n") == 5 * 2000
    assert b"Cjh" not in result.stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    rows = "".join(f"{i}.0\tC{i}\n" for i in range(300_000))
    log.write_text(f"#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\n{rows}")
    result = subprocess.run(
        f"{sys.executable} -m zeekframe.cli cut -u ts -r {log} | head -1",
        shell=True,
        capture_output=True,
        check=True,
    )
    assert result.stdout == b"1970-01-01T00:00:00+0000\n"
    assert result.stderr == b""


def test_bad_options_and_hostile_input(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"#fields\ta\n#types\ttime\n1.0\n")
    assert main(["cut", "-F", "ab", "-r", str(log)]) == 1
    assert "single character" in capfd.readouterr().err
    assert main(["cut", "-D", "", "-r", str(log)]) == 1
    assert "cannot be empty" in capfd.readouterr().err
    assert main(["cut", "-r", str(tmp_path / "missing.log")]) == 1
    assert "missing.log" in capfd.readouterr().err
    # Random bytes, NULs, a line without an end, a separator that is a space: cut survives
    # and writes one line per input line.
    rng = __import__("random").Random(7)
    junk = bytes(rng.randrange(256) for _ in range(200_000))
    log.write_bytes(
        b"#separator \\x20\n#fields a b\n#types string string\n" + junk.replace(b"#", b"x")
    )
    _core.cut([str(log)], columns=["b", "a"])
    out, _err = capfd.readouterr()
    expected = junk.replace(b"#", b"x").count(b"\n") + (not junk.endswith(b"\n"))
    written = out.encode("utf-8", "surrogateescape").count(b"\n")
    skipped = _err.count("not enough fields")
    assert written + skipped == expected
    # A time format whose text exceeds zeek-cut's buffer: the value is kept, with a notice.
    log.write_bytes(b"#fields\tts\n#types\ttime\n5.0\n")
    assert main(["cut", "-U", "%Y" * 60, "-r", str(log)]) == 0
    out, err = capfd.readouterr()
    assert out == "5.0\n"
    assert "try a shorter format string" in err
    os.environ.pop("BRO_CUT_TIMEFMT", None)


def test_options_among_the_columns(corpus: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """zeek-cut's getopt takes options between column names; so does cut."""
    log = str(corpus / f"{CUT_LOGS}conn.log")
    assert main(["cut", "-u", "ts", "uid", "-r", log]) == 0
    expected = capfd.readouterr().out
    assert main(["cut", "ts", "-u", "uid", "-r", log]) == 0
    assert capfd.readouterr().out == expected
    assert main(["cut", "-r", log, "ts", "-r", log, "-u", "uid"]) == 0
    assert capfd.readouterr().out == expected * 2
    assert expected.startswith("2012-02-21T16:52:55+0000\tCjhGID4nQcgTWjvg4c\n")
