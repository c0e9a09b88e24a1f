"""Round trip: random well-formed Zeek logs, written the way Zeek's ASCII writer writes them
(and, for conn fields, its JSON writer), must read back as exactly the values written.

The generator draws Python values first and renders them to bytes with the writer's rules
(DESIGN.md, "Format rules a reader must follow"; Zeek's threading/formatters/Ascii.cc and
ODesc escaping). The expected frame is built from the drawn values alone, never by reading
the file, and every TSV example goes through each read path: eager, single-threaded, tiny
chunks, gzip, one file per header block, projections and the lazy scan. The tests at the end
pin down sub-cases the generator leaves out (an empty element among others, a header block
with no rows before another, a field named "*"), each with its exact bytes.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import string
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any, Optional, Union

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import zeekframe as zf
from zeekframe import _core

I64_MIN, I64_MAX, U64_MAX = -(2**63), 2**63 - 1, 2**64 - 1

SCALAR_TYPES = (
    "time",
    "interval",
    "count",
    "int",
    "port",
    "double",
    "bool",
    "enum",
    "addr",
    "subnet",
    "string",
    "pattern",
)
ELEMENT_TYPES = (
    "count",
    "int",
    "string",
    "addr",
    "interval",
    "time",
    "double",
    "bool",
    "enum",
    "port",
)
DTYPES: dict[str, pl.DataType] = {
    "time": pl.Datetime("us", "UTC"),
    "interval": pl.Duration("us"),
    "count": pl.UInt64(),
    "int": pl.Int64(),
    "port": pl.UInt16(),
    "double": pl.Float64(),
    "bool": pl.Boolean(),
    "enum": pl.Categorical(),
    "addr": pl.String(),
    "subnet": pl.String(),
    "string": pl.String(),
    "pattern": pl.String(),
}
# Expected times and intervals are integer microseconds, cast afterwards: building them from
# Python datetimes would limit them to years 1..9999 and invite float rounding.
PHYSICAL: dict[str, pl.DataType] = {
    **DTYPES,
    "time": pl.Int64(),
    "interval": pl.Int64(),
    "enum": pl.String(),
}


def element_type(zeek_type: str) -> str | None:
    for prefix in ("set[", "vector["):
        if zeek_type.startswith(prefix):
            return zeek_type[len(prefix) : -1]
    return None


def dtype_of(zeek_type: str) -> pl.DataType:
    inner = element_type(zeek_type)
    if inner is None:
        return DTYPES[zeek_type]
    # set[enum] is List(String): list elements are not dictionary-encoded.
    return pl.List(pl.String() if inner == "enum" else DTYPES[inner])


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One scalar as the writer holds it (``data``) and as the reader must return it."""

    data: bytes
    expected: Any
    text: bool  # goes through the writer's string path (escapes, marker collisions)


Cell = Union[None, Atom, Sequence[Optional[Atom]]]  # unset, a scalar, a set or vector


def micros_of(text: str) -> int:
    # Zeek times are decimal text; the reader rounds to the nearest microsecond, halves away
    # from zero, which is Decimal's ROUND_HALF_UP.
    with localcontext() as context:
        context.prec = 80
        return int((Decimal(text) * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))


@st.composite
def seconds(draw: st.DrawFn) -> Atom:
    """A time or interval in one of the forms Zeek writes: ``%.6f`` (usually), ``%e`` for large
    values (``2.385642e+09``, or ``2.385616957e+09`` in Zeek 6.2), and other decimals."""
    form = draw(st.sampled_from(["fixed", "fixed", "fixed", "exponent", "decimal"]))
    if form == "fixed":
        micros = draw(
            st.one_of(
                st.integers(1_000_000_000 * 10**6, 2_000_000_000 * 10**6),  # plausible epochs
                st.integers(-(10**7), 10**7),  # short (or negative) intervals
                st.integers(I64_MIN, I64_MAX),
                st.sampled_from([0, 1, -1, 999_999, -999_999, I64_MIN, I64_MAX]),
            )
        )
        whole, fraction = divmod(abs(micros), 1_000_000)
        width = draw(st.sampled_from([1, 1, 1, 10]))  # zerotime.log: "0000000000.000000"
        negative = micros < 0 or (micros == 0 and draw(st.integers(0, 9)) == 0)
        text = f"{'-' if negative else ''}{whole:0{width}d}.{fraction:06d}"
        return Atom(text.encode(), micros, text=False)
    sign = draw(st.sampled_from(["", "", "-"]))
    if form == "exponent":
        digits = draw(st.integers(1, 16))
        mantissa = str(draw(st.integers(10 ** (digits - 1), 10**digits - 1)))
        exponent = draw(st.integers(-9, 11))
        point = f".{mantissa[1:]}" if len(mantissa) > 1 else draw(st.sampled_from(["", ".0"]))
        text = f"{sign}{mantissa[0]}{point}e{exponent:+03d}"
    else:
        integer = draw(st.integers(0, 10**12))
        decimals = "".join(draw(st.lists(st.sampled_from("0123456789"), max_size=14)))
        text = f"{sign}{integer}" + (f".{decimals}" if decimals else "")
    return Atom(text.encode(), micros_of(text), text=False)


@st.composite
def doubles(draw: st.DrawFn) -> Atom:
    value = draw(st.floats(allow_nan=True, allow_infinity=True))
    form = draw(st.sampled_from(["repr", "fixed", "trimmed", "exponent"]))
    finite = value == value and abs(value) != float("inf")
    if form == "repr" or not finite:
        text = repr(value)  # Zeek writes non-finite doubles as inf, -inf and nan too
    elif form == "exponent":
        text = f"{value:e}"
    else:
        # Zeek prints doubles with six decimals, trailing zeros cut but ".0" kept.
        text = f"{value:.6f}"
        if form == "trimmed":
            text = text.rstrip("0")
            text = text + "0" if text.endswith(".") else text
    return Atom(text.encode(), float(text), text=False)


def integer_atoms(low: int, high: int) -> st.SearchStrategy[Atom]:
    edges = st.sampled_from(sorted(v for v in {low, low + 1, -1, 0, 1, high - 1, high} if v >= low))
    values = st.one_of(st.integers(low, high), edges)
    return values.map(lambda v: Atom(str(v).encode(), v, text=False))


def text_atom(data: bytes) -> Atom:
    # Bytes that do not form UTF-8 come back as their "\xHH" text (DESIGN.md rule 3).
    return Atom(data, data.decode("utf-8", errors="backslashreplace"), text=True)


HOSTILE_CHARS = (
    "\\",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    ",",
    ";",
    "|",
    "#",
    '"',
    "'",
    "-",
    "(",
    ")",
    " ",
    "x",
    "2",
    "c",
    "~",
    "<",
    "\u00e9",
    "\u00ae",
    "\u00a9",
    "\u2013",
    "\u00a0",
    "\U0001f600",
)
# Whole values that collide with something: markers (default and the custom ones below),
# separators, escape-like text, bytes that are not UTF-8.
SPECIAL_STRINGS = (
    b"-",
    b"(empty)",
    b"",
    b"#",
    b"#x",
    b"#separator \\x09",
    b"\\x41",
    b"\\",
    b"a,b",
    b",",
    b"x\\x2c",
    b"NULL",
    b"EMPTY",
    b"<unset>",
    b"<empty>",
    b"--",
    b"~",
    b"(none)",
    b"\xff",
    b"\xc2",
    b"a\xe2\x80",
    b"\xc2\xae",
    b'"quoted"',
    b"http://x/#frag",
)

hostile_text = st.text(
    st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8")), max_size=12
).map(lambda s: s.encode())
strings: st.SearchStrategy[Atom] = st.one_of(
    hostile_text,
    st.sampled_from(SPECIAL_STRINGS),
    st.sampled_from(SPECIAL_STRINGS),
    hostile_text.map(lambda b: b"#" + b),  # a line starting with it needs its '#' escaped
    st.binary(max_size=6),
).map(text_atom)

patterns: st.SearchStrategy[Atom] = st.one_of(
    st.sampled_from([b"/^?(a|b)$?/", b"/^?(x\\.y)$?/", b"/^?(#a, b;c)$?/", b"/^?(-)$?/"]),
    strings.map(lambda atom: b"/" + atom.data + b"/"),
).map(text_atom)

enums: st.SearchStrategy[Atom] = st.one_of(
    st.sampled_from(
        # NULL and EMPTY are also custom markers below.
        [
            "tcp",
            "udp",
            "icmp",
            "SF",
            "S0",
            "Notice::ACTION_LOG",
            "SSL::Invalid_Server_Cert",
            "NULL",
            "EMPTY",
        ]
    ),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}(::[A-Za-z_][A-Za-z0-9_]{0,6})?", fullmatch=True),
).map(lambda s: text_atom(s.encode()))

addrs: st.SearchStrategy[Atom] = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v))),
    st.integers(0, 2**128 - 1).map(lambda v: str(ipaddress.IPv6Address(v))),
).map(lambda s: text_atom(s.encode()))

subnets: st.SearchStrategy[Atom] = st.one_of(
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
        lambda t: str(ipaddress.IPv4Network(t, strict=False))
    ),
    st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
        lambda t: str(ipaddress.IPv6Network(t, strict=False))
    ),
).map(lambda s: text_atom(s.encode()))

ATOMS: dict[str, st.SearchStrategy[Atom]] = {
    "time": seconds(),
    "interval": seconds(),
    "count": integer_atoms(0, U64_MAX),
    "int": integer_atoms(I64_MIN, I64_MAX),
    "port": integer_atoms(0, 65535),
    "double": doubles(),
    "bool": st.sampled_from([Atom(b"T", True, text=False), Atom(b"F", False, text=False)]),
    "enum": enums,
    "addr": addrs,
    "subnet": subnets,
    "string": strings,
    "pattern": patterns,
}


def atom_data(atom: Atom) -> bytes:
    return atom.data


def cells(zeek_type: str) -> st.SearchStrategy[Cell]:
    inner = element_type(zeek_type)
    if inner is None:
        value: st.SearchStrategy[Cell] = ATOMS[zeek_type]
    elif zeek_type.startswith("set["):
        atoms = st.lists(ATOMS[inner], max_size=5, unique_by=atom_data)
        value = atoms.map(without_empty_elements)
    else:
        # Vectors may hold unset elements (vec.zeek: "-,2,-,-,5").
        value = st.lists(st.one_of(st.none(), ATOMS[inner]), max_size=5).map(without_empty_elements)
    return st.one_of(st.none(), value, value, value, value)


def without_empty_elements(atoms: Sequence[Optional[Atom]]) -> Sequence[Optional[Atom]]:
    """Drop empty strings from containers of several elements: the reader returns them as the
    empty marker's text (see test_empty_string_element_among_others)."""
    if len(atoms) < 2:
        return atoms
    return [atom for atom in atoms if atom is None or not (atom.text and atom.data == b"")]


def expected_cell(cell: Cell) -> Any:
    if cell is None:
        return None
    if isinstance(cell, Atom):
        return cell.expected
    if len(cell) == 1:
        # The writer's own ambiguities: a vector of one unset element prints as the unset
        # marker, and a container of one empty string as the empty marker (DESIGN.md rule 7).
        (only,) = cell
        if only is None:
            return None
        if only.text and only.data == b"":
            return []
    return [None if atom is None else atom.expected for atom in cell]


# --------------------------------------------------------------------------------------------
# Rendering, as Zeek's ASCII writer does it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Markers:
    separator: bytes
    set_separator: bytes
    empty_field: bytes
    unset_field: bytes


DEFAULT_MARKERS = Markers(b"\t", b",", b"(empty)", b"-")


@dataclass(frozen=True)
class Style:
    """Writer choices that do not change any value."""

    utf8: bool  # Zeek's UTF-8 output: valid multi-byte UTF-8 is written as is
    upper_hex: bool  # readers must take \xAB as well as \xab
    line_end: bytes
    final_line_end: bool


def hex_escape(data: bytes, style: Style) -> bytes:
    form = "\\x{:02X}" if style.upper_hex else "\\x{:02x}"
    return "".join(form.format(byte) for byte in data).encode()


def utf8_length(data: bytes, at: int) -> int:
    """The length of the valid multi-byte UTF-8 character at ``at``, or 0."""
    for length in (2, 3, 4):
        try:
            if len(data[at : at + length].decode("utf-8")) == 1:
                return length
        except UnicodeDecodeError:
            continue
    return 0


def escape(data: bytes, sequences: Sequence[bytes], style: Style) -> bytes:
    """ODesc's escaping: a backslash doubled, the separators (escape sequences) and bytes
    that are not printable as \\xHH."""
    out = bytearray()
    at = 0
    while at < len(data):
        byte = data[at]
        sequence = next((s for s in sequences if data.startswith(s, at)), None)
        if byte == 0x5C:
            out += b"\\\\"
            at += 1
        elif sequence is not None:
            out += hex_escape(sequence, style)
            at += len(sequence)
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
            at += 1
        elif byte >= 0x80 and style.utf8 and (length := utf8_length(data, at)):
            out += data[at : at + length]
            at += length
        else:
            out += hex_escape(data[at : at + 1], style)
            at += 1
    return bytes(out)


def render_atom(atom: Atom, markers: Markers, sequences: Sequence[bytes], style: Style) -> bytes:
    if not atom.text:
        return atom.data
    if atom.data == b"":
        return markers.empty_field
    if atom.data in (markers.unset_field, markers.empty_field):
        # escapeReservedContent: the first byte as \xHH, the rest escaped as usual.
        return hex_escape(atom.data[:1], style) + escape(atom.data[1:], sequences, style)
    return escape(atom.data, sequences, style)


def render_cell(cell: Cell, markers: Markers, style: Style, strict_bytes: bool) -> bytes:
    # With a separator of several bytes, Zeek escapes only whole occurrences of it, which
    # leaves a field ending in part of it ambiguous; ``strict_bytes`` escapes each of its
    # bytes instead (decoded the same) for lines where that would happen.
    sequences = [markers.separator]
    if strict_bytes:
        sequences += [bytes([b]) for b in markers.separator]
    if cell is None:
        return markers.unset_field
    if isinstance(cell, Atom):
        return render_atom(cell, markers, sequences, style)
    if not cell:
        return markers.empty_field
    in_container = [markers.set_separator, *sequences]
    return markers.set_separator.join(
        markers.unset_field if atom is None else render_atom(atom, markers, in_container, style)
        for atom in cell
    )


def render_row(row: Sequence[Cell], markers: Markers, style: Style) -> bytes:
    for strict_bytes in (False, True):
        fields = [render_cell(cell, markers, style, strict_bytes) for cell in row]
        line = markers.separator.join(fields)
        if line.split(markers.separator) == fields:
            break
    if line.startswith(b"#"):
        # Only a '#' at the start of a line is metadata, so the writer escapes that one.
        line = hex_escape(b"#", style) + line[1:]
    return line


def header_value(value: bytes, style: Style) -> bytes:
    # get_escaped_string(value, false): printable ASCII as is, anything else as \xHH.
    return b"".join(
        bytes([b]) if 0x20 < b < 0x7F and b != 0x5C else hex_escape(bytes([b]), style)
        for b in value
    )


@dataclass(frozen=True)
class Block:
    names: tuple[str, ...]
    types: tuple[str, ...]
    markers: Markers
    rows: tuple[tuple[Cell, ...], ...]
    open_line: bool
    close_line: bool

    def render(self, style: Style) -> bytes:
        m = self.markers
        sep = m.separator
        lines = [
            b"#separator " + hex_escape(sep, style),
            b"#set_separator" + sep + header_value(m.set_separator, style),
            b"#empty_field" + sep + header_value(m.empty_field, style),
            b"#unset_field" + sep + header_value(m.unset_field, style),
            b"#path" + sep + b"roundtrip",
        ]
        if self.open_line:
            lines.append(b"#open" + sep + b"2024-03-16-08-00-00")
        lines.append(sep.join([b"#fields", *(name.encode() for name in self.names)]))
        lines.append(sep.join([b"#types", *(t.encode() for t in self.types)]))
        lines.extend(render_row(row, m, style) for row in self.rows)
        if self.close_line:
            lines.append(b"#close" + sep + b"2024-03-16-09-00-00")
        return style.line_end.join(lines)


@dataclass(frozen=True)
class Log:
    blocks: tuple[Block, ...]
    style: Style

    def render(self) -> bytes:
        return self.render_blocks(self.blocks)

    def render_blocks(self, blocks: Sequence[Block]) -> bytes:
        text = self.style.line_end.join(block.render(self.style) for block in blocks)
        return text + self.style.line_end if self.style.final_line_end else text

    @property
    def columns(self) -> dict[str, str]:
        """Every block's fields with their Zeek types, in first-seen order."""
        found: dict[str, str] = {}
        for block in self.blocks:
            for name, zeek_type in zip(block.names, block.types):
                found.setdefault(name, zeek_type)
        return found

    def expected(self) -> pl.DataFrame:
        columns = self.columns
        values: dict[str, list[Any]] = {name: [] for name in columns}
        for block in self.blocks:
            for row in block.rows:
                given_values = dict(zip(block.names, row))
                for name, column in values.items():
                    column.append(expected_cell(given_values.get(name)))
        return frame_of(columns, values)


def frame_of(columns: dict[str, str], values: dict[str, list[Any]]) -> pl.DataFrame:
    """The frame of expected values, typed by the columns' Zeek types."""
    series = []
    for name, zeek_type in columns.items():
        inner = element_type(zeek_type)
        physical = PHYSICAL[zeek_type] if inner is None else pl.List(PHYSICAL[inner])
        series.append(pl.Series(name, values[name], dtype=physical).cast(dtype_of(zeek_type)))
    return pl.DataFrame(series)


# Printable, without whitespace, backslash or any byte a separator below may use.
NAME_CHARS = string.ascii_letters + string.digits + "._-:@/+*!?$%&=~^'\"()[]{}<>#,"
field_names = st.one_of(
    st.sampled_from(["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"]),
    # Polars reads the name "*" and names like "^a$" in pl.col() as a wildcard and a regex;
    # Zeek's field names never look like that (see test_scan_of_a_field_named_star).
    st.text(NAME_CHARS, min_size=1, max_size=10).filter(
        lambda name: name != "*" and not (name.startswith("^") and name.endswith("$"))
    ),
)
zeek_types = st.one_of(
    st.sampled_from(SCALAR_TYPES),
    st.sampled_from(ELEMENT_TYPES).map(lambda t: f"set[{t}]"),
    st.sampled_from(ELEMENT_TYPES).map(lambda t: f"vector[{t}]"),
)


@st.composite
def markers(draw: st.DrawFn) -> Markers:
    if draw(st.integers(0, 2)):
        return DEFAULT_MARKERS
    separator = draw(st.sampled_from([b"\t", b"|", b";", b" ", b"||"]))
    set_separator = draw(
        st.sampled_from([b",", b";", b"|", "\u00ae".encode()]).filter(
            lambda s: not set(s) & set(separator)
        )
    )
    empty_field = draw(st.sampled_from([b"(empty)", b"EMPTY", b"<empty>", b"(none)"]))
    unset_field = draw(st.sampled_from([b"-", b"NULL", b"<unset>", b"--", b"~"]))
    return Markers(separator, set_separator, empty_field, unset_field)


@st.composite
def logs(draw: st.DrawFn) -> Log:
    names = draw(st.lists(field_names, min_size=1, max_size=10, unique=True))
    types = {name: draw(zeek_types) for name in names}
    blocks = []
    count = draw(st.integers(1, 3))
    # A header block without rows is only generated alone: in a file of several blocks its
    # columns are dropped (see test_header_block_without_rows_keeps_its_columns).
    min_rows = 1 if count > 1 else 0
    for _ in range(count):
        fields = draw(st.lists(st.sampled_from(names), min_size=1, max_size=8, unique=True))
        block_types = tuple(types[name] for name in fields)
        row = st.tuples(*(cells(t) for t in block_types))
        blocks.append(
            Block(
                names=tuple(fields),
                types=block_types,
                markers=draw(markers()),
                rows=tuple(
                    draw(
                        st.lists(row, min_size=draw(st.sampled_from([min_rows, 1, 2])), max_size=8)
                    )
                ),
                open_line=draw(st.booleans()),
                close_line=draw(st.booleans()),
            )
        )
    style = Style(
        utf8=draw(st.booleans()),
        upper_hex=draw(st.integers(0, 4)) == 0,
        line_end=draw(st.sampled_from([b"\n", b"\n", b"\n", b"\r\n"])),
        final_line_end=draw(st.integers(0, 4)) > 0,
    )
    return Log(tuple(blocks), style)


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Categoricals as their text (dictionaries differ between frames), times and intervals
    as integer microseconds: Polars cannot print datetimes near the ends of the i64 range,
    which would hide the difference behind a panic."""
    columns = []
    for column in frame.get_columns():
        dtype = column.dtype
        if isinstance(dtype, pl.Categorical):
            column = column.cast(pl.String)
        elif isinstance(dtype, (pl.Datetime, pl.Duration)):
            column = column.to_physical()
        elif isinstance(dtype, pl.List) and isinstance(dtype.inner, (pl.Datetime, pl.Duration)):
            column = column.cast(pl.List(pl.Int64))
        columns.append(column)
    return pl.DataFrame(columns, schema=[(c.name, c.dtype) for c in columns])


def dtypes(frame: pl.DataFrame) -> list[tuple[str, str]]:
    return [
        (name, "Categorical" if isinstance(dtype, pl.Categorical) else repr(dtype))
        for name, dtype in frame.schema.items()
    ]


def assert_same(got: pl.DataFrame, expected: pl.DataFrame, path: str) -> None:
    assert dtypes(got) == dtypes(expected), path
    try:
        assert_frame_equal(comparable(got), comparable(expected), check_exact=True)
    except AssertionError as error:
        raise AssertionError(f"{path}: {error}") from error


def columns_of(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame([frame.get_column(name) for name in names])


def polars_frame(table: _core.ArrowTable) -> pl.DataFrame:
    return pl.DataFrame(table)


@pytest.mark.filterwarnings("ignore:the last line has no line end")
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(log=logs(), chunk_size=st.integers(1, 400), data=st.data())
def test_well_formed_logs_read_back_exactly(log: Log, chunk_size: int, data: st.DataObject) -> None:
    expected = log.expected()
    all_columns = list(log.columns)
    first_block = list(log.blocks[0].names)
    projection = data.draw(st.lists(st.sampled_from(all_columns), min_size=1, unique=True))
    scan_projection = data.draw(st.lists(st.sampled_from(first_block), min_size=1, unique=True))

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = root / "roundtrip.log"
        path.write_bytes(log.render())
        gz_path = root / "roundtrip.log.gz"
        gz_path.write_bytes(gzip.compress(log.render()))
        block_paths = []
        for index, block in enumerate(log.blocks):
            block_path = root / f"block{index}.log"
            block_path.write_bytes(log.render_blocks([block]))
            block_paths.append(block_path)

        whole = {
            "read_zeek": zf.read_zeek(path),
            "n_threads=1": zf.read_zeek(path, n_threads=1),
            f"chunk_size={chunk_size}": polars_frame(
                _core.read_tsv([str(path)], chunk_size=chunk_size, n_threads=2)
            ),
            "gzip": zf.read_zeek(gz_path),
            "one file per block": zf.read_zeek(block_paths),
        }
        for name, frame in whole.items():
            assert_same(frame, expected, name)
        assert_same(
            zf.read_zeek(path, columns=projection), columns_of(expected, projection), "columns="
        )
        # scan_zeek's schema is the first header block's (see its docstring).
        assert_same(zf.scan_zeek(path).collect(), columns_of(expected, first_block), "scan_zeek")
        assert_same(
            zf.scan_zeek(path).select(scan_projection).collect(),
            columns_of(expected, scan_projection),
            "scan_zeek projection",
        )


# --------------------------------------------------------------------------------------------
# JSON (Zeek's JSON writer) with the same kinds of values
# --------------------------------------------------------------------------------------------

# The conn fields every Zeek and Bro version writes: a JSON log is typed by its log type's
# built-in schema, and fields it leaves out are null columns.
CONN_FIELDS = {
    "ts": "time",
    "uid": "string",
    "id.orig_h": "addr",
    "id.orig_p": "port",
    "id.resp_h": "addr",
    "id.resp_p": "port",
    "proto": "enum",
    "service": "string",
    "duration": "interval",
    "orig_bytes": "count",
    "resp_bytes": "count",
    "conn_state": "string",
    "local_orig": "bool",
    "missed_bytes": "count",
    "history": "string",
    "orig_pkts": "count",
    "orig_ip_bytes": "count",
    "resp_pkts": "count",
    "resp_ip_bytes": "count",
    "tunnel_parents": "set[string]",
}
# JSON strings differ from TSV by design for control bytes and bytes that are not UTF-8
# (they stay "\xHH" text); backslashes are left out for the same reason.
json_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"], exclude_characters="\\"),
    max_size=12,
).map(lambda s: text_atom(s.encode()))
JSON_ATOMS: dict[str, st.SearchStrategy[Atom]] = {
    **ATOMS,
    "string": st.one_of(json_text, st.sampled_from([b"-", b"(empty)", b"", b"#"]).map(text_atom)),
    # JSON numbers have no leading zeros ("0000000000.000000" is TSV only).
    # An integer of 12 digits or more is a time in epoch milliseconds (DESIGN.md rule 7).
    "time": seconds().filter(
        lambda atom: (
            re.match(rb"-?0[0-9]", atom.data) is None
            and re.fullmatch(rb"-?[0-9]{12,}", atom.data) is None
        )
    ),
    "interval": seconds().filter(lambda atom: re.match(rb"-?0[0-9]", atom.data) is None),
}


def json_value(zeek_type: str, cell: Atom | Sequence[Optional[Atom]]) -> str:
    if isinstance(cell, Atom):
        if zeek_type == "bool":
            return "true" if cell.expected else "false"
        if cell.text:
            return json.dumps(cell.data.decode(), ensure_ascii=False)
        return cell.data.decode()
    inner = element_type(zeek_type)
    assert inner is not None
    return "[" + ",".join(json_value(inner, atom) for atom in cell if atom is not None) + "]"


def json_cells(zeek_type: str) -> st.SearchStrategy[Cell]:
    inner = element_type(zeek_type)
    if inner is None:
        return JSON_ATOMS[zeek_type]
    elements = st.lists(JSON_ATOMS[inner], max_size=4, unique_by=atom_data)
    return elements


@st.composite
def json_rows(draw: st.DrawFn) -> list[dict[str, Cell]]:
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row: dict[str, Cell] = {}
        for name, zeek_type in CONN_FIELDS.items():
            # Zeek always writes ts and uid; it leaves unset fields out.
            if name in ("ts", "uid") or draw(st.integers(0, 3)):
                row[name] = draw(json_cells(zeek_type))
        rows.append(row)
    return rows


@pytest.mark.filterwarnings("ignore:the last line has no line end")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=json_rows(), final_line_end=st.booleans())
def test_json_lines_read_back_exactly(rows: list[dict[str, Cell]], final_line_end: bool) -> None:
    lines = [
        "{"
        + ",".join(
            f"{json.dumps(name)}:{json_value(CONN_FIELDS[name], cell)}"
            for name, cell in row.items()
            if cell is not None
        )
        + "}"
        for row in rows
    ]
    text = "\n".join(lines) + ("\n" if final_line_end else "")
    # JSON keeps what TSV's markers cannot: "(empty)" is text, [""] is a one-element list.
    values: dict[str, list[Any]] = {
        name: [
            None
            if (cell := row.get(name)) is None
            else cell.expected
            if isinstance(cell, Atom)
            else [None if atom is None else atom.expected for atom in cell]
            for row in rows
        ]
        for name in CONN_FIELDS
    }
    expected = frame_of(CONN_FIELDS, values)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "conn.json"
        path.write_text(text, encoding="utf-8")
        for name, frame in {
            "read_zeek": zf.read_zeek(path, log_type="conn"),
            "n_threads=1": zf.read_zeek(path, log_type="conn", n_threads=1),
            "chunk_size=64": polars_frame(
                _core.read_tsv([str(path)], log_type="conn", chunk_size=64, n_threads=2)
            ),
        }.items():
            assert_same(frame, expected, f"JSON {name}")


# --------------------------------------------------------------------------------------------
# Sub-cases the property test leaves out, each with its exact bytes
# --------------------------------------------------------------------------------------------

HEADER = (
    b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    b"#path\troundtrip\n"
)


def read_bytes(tmp_path: Path, text: bytes) -> pl.DataFrame:
    path = tmp_path / "case.log"
    path.write_bytes(text)
    return zf.read_zeek(path)


def test_empty_string_element_among_others(tmp_path: Path) -> None:
    # Zeek's writer: set("", "-") -> "(empty),\x2d". The unescaped "(empty)" can only be "".
    log = HEADER + b"#fields\ts\n#types\tset[string]\n(empty),\\x2d\n"
    assert read_bytes(tmp_path, log)["s"].to_list() == [["", "-"]]


def test_header_block_without_rows_keeps_its_columns(tmp_path: Path) -> None:
    # Two rotated logs concatenated, the first one empty (header and #close only).
    log = (
        HEADER
        + b"#fields\ta\n#types\tcount\n#close\t2024-03-16-09-00-00\n"
        + HEADER
        + b"#fields\tb\n#types\tcount\n1\n"
    )
    frame = read_bytes(tmp_path, log)
    assert frame.columns == ["a", "b"]
    assert frame.rows() == [(None, 1)]


def test_scan_of_a_field_named_star(tmp_path: Path) -> None:
    path = tmp_path / "case.log"
    path.write_bytes(HEADER + b"#fields\t*\tn\n#types\tcount\tcount\n1\t2\n")
    assert zf.scan_zeek(path).collect().rows() == [(1, 2)]
