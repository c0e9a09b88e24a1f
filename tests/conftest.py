"""Shared test setup: where the Zeek log corpus lives, and an independent reading of it.

The corpus (``../shared/zeek-logs`` from the project root, or ``$ZEEK_LOGS_DIR``) is never
copied into the project; every test that needs it is skipped when it is absent.

``scan_log`` is a deliberately small, pure-Python reading of the Zeek TSV format rules in
DESIGN.md. It does not share code or ideas with the Rust parser: it only answers "how many data
lines does this file have, and which of them are bad?", so that the parser's row counts and its
bad-line reports can be checked against something computed independently.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import pytest

CORPUS_ENV_VAR = "ZEEK_LOGS_DIR"
# tests/conftest.py -> tests -> project root -> its parent, which holds shared/zeek-logs
DEFAULT_CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "zeek-logs"
# The corpus' own README describes the corpus; it is not a log.
NOT_LOGS = frozenset({"README.md"})

GZIP_MAGIC = b"\x1f\x8b"  # the corpus holds plain and gzip files only (no zstd)


def corpus_dir() -> Path | None:
    """The corpus folder, or None when it is not on this machine."""
    configured = os.environ.get(CORPUS_ENV_VAR)
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            # Asked for explicitly: a typo must not turn the corpus tests into silent skips.
            raise pytest.UsageError(f"{CORPUS_ENV_VAR}={configured} is not a directory")
        return root.resolve()
    return DEFAULT_CORPUS_DIR.resolve() if DEFAULT_CORPUS_DIR.is_dir() else None


@functools.cache
def corpus_files() -> tuple[str, ...]:
    """Every log in the corpus as a POSIX path relative to the corpus root, sorted.

    Empty when the corpus is absent, which makes every test parametrized over it skip.
    """
    root = corpus_dir()
    if root is None:
        return ()
    return tuple(
        sorted(
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if path.is_file() and path.name not in NOT_LOGS
        )
    )


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus root; skips the test when the corpus is not available."""
    root = corpus_dir()
    if root is None:
        pytest.skip(f"Zeek log corpus not found (set {CORPUS_ENV_VAR} or add {DEFAULT_CORPUS_DIR})")
    return root


# --------------------------------------------------------------------------------------------
# Independent reading of the Zeek TSV format
# --------------------------------------------------------------------------------------------

LogKind = Literal[
    "tsv",  # a complete #separator/#fields/#types header precedes every data line
    "json",  # JSON lines (optionally after btest's "###" comment line)
    "headerless",  # data but no '#' line at all: needs log_type= or fields=
    "bad-header",  # has '#' lines, but some data line is not covered by a usable header
    "truncated-gzip",  # the gzip stream ends before its trailer
    "type-conflict",  # two header blocks give one column name different types
]

_HEX_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})|\\\\")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UNSIGNED = re.compile(r"\d+")
_SIGNED = re.compile(r"[+-]?\d+")
_CONTAINER = re.compile(r"(?:set|vector|table)\[(.+)\]")
_I64_MIN, _I64_MAX, _U64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_MICROS = Decimal(1_000_000)


def unescape(raw: bytes) -> bytes:
    """Zeek's escapes: ``\\xHH`` is a byte and ``\\\\`` a backslash; nothing else is special."""
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]) if m[1] else b"\\", raw)


def decompress(data: bytes) -> tuple[bytes, bool]:
    """(the decompressed bytes, whether the whole stream was there).

    A truncated gzip stream gives the bytes before the cut, like ``gunzip`` does.
    """
    if not data.startswith(GZIP_MAGIC):
        return data, True
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = inflater.decompress(data)
    complete = inflater.eof
    # Concatenated gzip members are legal (rotated logs are often `cat`-ed together).
    while complete and inflater.unused_data:
        rest = inflater.unused_data
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        out += inflater.decompress(rest)
        complete = inflater.eof
    return out, complete


def split_lines(text: bytes) -> list[bytes]:
    """Lines without their terminator; CRLF counts as a line end; a final newline adds no line."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _micros_in_range(text: str) -> bool:
    try:
        micros = (Decimal(text) * _MICROS).to_integral_value()
    except InvalidOperation:
        return False
    return _I64_MIN <= micros <= _I64_MAX


def _is_time(text: str) -> bool:
    # Exact decimal (or exponent) seconds that fit in i64 microseconds; never via float.
    return _DECIMAL.fullmatch(text) is not None and _micros_in_range(text)


def _is_count(text: str) -> bool:
    return _UNSIGNED.fullmatch(text) is not None and int(text) <= _U64_MAX


def _is_int(text: str) -> bool:
    return _SIGNED.fullmatch(text) is not None and _I64_MIN <= int(text) <= _I64_MAX


def _is_port(text: str) -> bool:
    return _UNSIGNED.fullmatch(text) is not None and int(text) <= 0xFFFF


def _is_double(text: str) -> bool:
    # Zeek's ascii writer prints non-finite doubles as inf, -inf and nan (ascii-double btest).
    return _DECIMAL.fullmatch(text) is not None or text in ("inf", "-inf", "nan")


def _is_bool(text: str) -> bool:
    return text in ("T", "F")


# Types not listed here (addr, subnet, string, enum, pattern, unknown) are kept as text, so
# every value is valid for them.
SCALAR_CHECKS: dict[str, Callable[[str], bool]] = {
    "time": _is_time,
    "interval": _is_time,
    "count": _is_count,
    "int": _is_int,
    "port": _is_port,
    "double": _is_double,
    "bool": _is_bool,
}


@dataclass(frozen=True)
class Header:
    separator: bytes
    set_separator: bytes
    empty_field: bytes
    unset_field: bytes
    fields: tuple[str, ...]
    types: tuple[str, ...]

    def column_check(self, zeek_type: str) -> Callable[[bytes], bool] | None:
        """A validity test for one raw (still escaped) field, or None if any text is valid."""
        container = _CONTAINER.fullmatch(zeek_type)
        element_check = SCALAR_CHECKS.get(container[1] if container else zeek_type)
        unset, empty, set_separator = (
            self.unset_field,
            self.empty_field,
            self.set_separator,
        )

        def scalar(raw: bytes) -> bool:
            return raw == unset or (
                element_check is None or element_check(unescape(raw).decode("latin-1"))
            )

        if container is not None:
            if element_check is None:
                return None
            # Inside a container an element equal to the unset marker is a null element.
            return lambda raw: raw in (unset, empty) or all(map(scalar, raw.split(set_separator)))
        if element_check is None:
            return None
        # (empty) means "" or [], so it is not a value of a numeric, time or bool column.
        return scalar


@dataclass(frozen=True)
class LogScan:
    """What an independent reading of one corpus file found."""

    kind: LogKind
    data_lines: tuple[int, ...] = ()  # 1-based line numbers of every data line
    bad_lines: tuple[int, ...] = ()  # the data lines that are not valid rows, in file order
    first_bad_column: int | None = None  # 1-based; None when the first bad line is too short/long
    first_bad_value: str | None = None
    fields: tuple[str, ...] = ()  # the union of all blocks' #fields, in first-seen order
    types: tuple[str, ...] = ()  # the Zeek type of each of those fields
    zeek_path: str | None = None  # the first #path value

    @property
    def good_rows(self) -> int:
        return len(self.data_lines) - len(self.bad_lines)


def _header_value(line: bytes, marker: bytes, separator: bytes) -> bytes | None:
    prefix = marker + separator
    return line[len(prefix) :] if line.startswith(prefix) else None


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def scan_text(text: bytes) -> LogScan:
    """Classify decompressed log text and find its data lines and bad lines."""
    lines = split_lines(text)
    first_content = next((line for line in lines if line and not line.startswith(b"#")), b"")
    has_fields = any(line.startswith(b"#fields") for line in lines)
    if first_content.lstrip().startswith(b"{") and not has_fields:
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
        content = [(n, line) for n, line in numbered if not line.startswith(b"#")]
        return LogScan(
            kind="json",
            data_lines=tuple(n for n, _ in content),
            bad_lines=tuple(n for n, line in content if not _is_json_object(line)),
        )
    if not any(line.startswith(b"#") for line in lines):
        return LogScan(kind="headerless")

    separator: bytes | None = None
    set_separator, empty_field, unset_field = b",", b"(empty)", b"-"
    fields: tuple[str, ...] | None = None
    header: Header | None = None
    checks: list[tuple[int, Callable[[bytes], bool]]] = []
    column_types: dict[str, str] = {}  # insertion order is first-seen order
    zeek_path: str | None = None
    data_lines: list[int] = []
    bad_lines: list[int] = []
    first_bad_column: int | None = None
    first_bad_value: str | None = None

    for number, line in enumerate(lines, start=1):
        if not line:
            continue  # blank lines are ignored
        if line.startswith(b"#"):
            # Only a '#' at the start of a line is metadata. "#separator" alone uses a space.
            if line.startswith(b"#separator "):
                separator = unescape(line[len(b"#separator ") :])
                if not separator:
                    return LogScan(kind="bad-header")
                fields, header = None, None
                continue
            if separator is None:
                continue  # e.g. btest's "### BTest baseline data ..." line
            if (value := _header_value(line, b"#set_separator", separator)) is not None:
                set_separator = unescape(value)
            elif (value := _header_value(line, b"#empty_field", separator)) is not None:
                empty_field = value
            elif (value := _header_value(line, b"#unset_field", separator)) is not None:
                unset_field = value
            elif (value := _header_value(line, b"#path", separator)) is not None:
                zeek_path = value.decode() if zeek_path is None else zeek_path
            elif (value := _header_value(line, b"#fields", separator)) is not None:
                fields = tuple(name.decode() for name in value.split(separator))
                header = None
            elif (value := _header_value(line, b"#types", separator)) is not None:
                types = tuple(name.decode() for name in value.split(separator))
                if fields is None or len(types) != len(fields):
                    return LogScan(kind="bad-header")
                for name, zeek_type in zip(fields, types):
                    if column_types.setdefault(name, zeek_type) != zeek_type:
                        return LogScan(kind="type-conflict")
                header = Header(separator, set_separator, empty_field, unset_field, fields, types)
                checks = [
                    (index, check)
                    for index, zeek_type in enumerate(types)
                    if (check := header.column_check(zeek_type)) is not None
                ]
            continue  # #path, #open, #close and anything else starting with '#'

        if header is None:
            return LogScan(kind="bad-header")
        data_lines.append(number)
        values = line.split(header.separator)
        if len(values) != len(header.fields):
            bad_lines.append(number)
            continue
        bad_index = next((index for index, check in checks if not check(values[index])), None)
        if bad_index is not None:
            if not bad_lines:
                first_bad_column = bad_index + 1
                first_bad_value = values[bad_index].decode("latin-1")
            bad_lines.append(number)

    return LogScan(
        kind="tsv",
        data_lines=tuple(data_lines),
        bad_lines=tuple(bad_lines),
        first_bad_column=first_bad_column,
        first_bad_value=first_bad_value,
        fields=tuple(column_types),
        types=tuple(column_types.values()),
        zeek_path=zeek_path,
    )


@functools.cache
def scan_log(rel_path: str) -> LogScan:
    """Independent reading of one corpus file (cached: collection and tests share it)."""
    root = corpus_dir()
    assert root is not None, "scan_log needs the corpus"
    text, complete = decompress((root / rel_path).read_bytes())
    if not complete:
        return LogScan(kind="truncated-gzip")
    return scan_text(text)


# --------------------------------------------------------------------------------------------
# Parametrization over the corpus
# --------------------------------------------------------------------------------------------

# A test asks for one of the selector arguments below and runs once per matching corpus file
# (ids are the relative paths, so a failure names the file). It may also ask for any of the
# facts in FACTS, which the independent scan supplies for that file. Tests receive plain
# values, so they never import this module (conftest is not importable in every import mode).
SELECTORS: dict[str, Callable[[LogScan], bool]] = {
    "corpus_file": lambda scan: True,
    # TSV whose every data line is a valid row
    "wellformed_log": lambda scan: scan.kind == "tsv" and not scan.bad_lines,
    # TSV with at least one data line of the wrong width or with an unparsable value
    "badline_log": lambda scan: scan.kind == "tsv" and bool(scan.bad_lines),
    # no '#' line at all: needs log_type= or fields=
    "headerless_log": lambda scan: scan.kind == "headerless",
    # TSV or JSON whose every data line is a valid row (JSON: a JSON object)
    "readable_log": lambda scan: scan.kind in ("tsv", "json") and not scan.bad_lines,
    # a deterministic sample of wellformed_log, for the slower output conversions
    "sample_log": lambda scan: scan.kind == "tsv" and not scan.bad_lines,
}
#: The 32 log types of the Zeek 6.2 sample, each as TSV (zeek-default__X.log.gz) and JSON
#: (zeek-json__X.json.gz) of the same records.
ZED = "zed-sample-data-6.2.0"
ZED_LOG_TYPES = [
    "analyzer", "capture_loss", "dce_rpc", "dns", "dpd", "ftp", "kerberos", "known_certs",
    "known_hosts", "known_services", "ldap_search", "loaded_scripts", "modbus", "notice", "ntlm",
    "ntp", "ocsp", "packet_filter", "pe", "rdp", "rfb", "smb_files", "smb_mapping", "smtp",
    "snmp", "software", "ssh", "ssl", "stats", "syslog", "weird", "x509",
]  # fmt: skip
SAMPLE_EVERY = 20  # rita alone has 1,056 small files; every 20th well-formed file is enough

FACTS: dict[str, Callable[[LogScan], object]] = {
    "expected_rows": lambda scan: len(scan.data_lines),
    "good_rows": lambda scan: scan.good_rows,
    "bad_lines": lambda scan: scan.bad_lines,
    "first_bad_column": lambda scan: scan.first_bad_column,
    "first_bad_value": lambda scan: scan.first_bad_value,
    "zeek_fields": lambda scan: scan.fields,
    "zeek_types": lambda scan: scan.types,
    "zeek_path": lambda scan: scan.zeek_path,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    selectors = [name for name in SELECTORS if name in metafunc.fixturenames]
    if not selectors:
        return
    if len(selectors) > 1:
        raise pytest.UsageError(
            f"{metafunc.function.__name__}: one corpus selector, not {selectors}"
        )
    selector = selectors[0]
    chosen = [rel for rel in corpus_files() if SELECTORS[selector](scan_log(rel))]
    if selector == "sample_log":
        chosen = chosen[::SAMPLE_EVERY]
    facts = [name for name in FACTS if name in metafunc.fixturenames]
    rows = [(rel, *(FACTS[name](scan_log(rel)) for name in facts)) for rel in chosen]
    if facts:
        metafunc.parametrize([selector, *facts], rows, ids=chosen)
    else:
        metafunc.parametrize(selector, chosen, ids=chosen)


@pytest.fixture(scope="session")
def raw_column(corpus: Path) -> Callable[[str, str], list[bytes]]:
    """The raw (still escaped) text of one column of a single-block corpus log, row by row.

    For counting nulls and empties straight from the file, independently of the parser.
    """

    def column(rel_path: str, name: str) -> list[bytes]:
        text, complete = decompress((corpus / rel_path).read_bytes())
        assert complete, rel_path
        lines = split_lines(text)
        separator = unescape(next(ln for ln in lines if ln.startswith(b"#separator "))[11:])
        fields = next(ln for ln in lines if ln.startswith(b"#fields")).split(separator)[1:]
        index = fields.index(name.encode())
        return [ln.split(separator)[index] for ln in lines if ln and not ln.startswith(b"#")]

    return column
