"""The built-in schema registry: it matches the headers Zeek and Bro write, and a log stripped
of its header reads back to the same frame with ``log_type=``."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from conftest import ZED, ZED_LOG_TYPES
from polars.testing import assert_frame_equal

import zeekframe as zf

# Older logs whose header is in the registry, with the version it is filed under.
OLDER = {
    "zat/data__dns.log": "bro-2.x",
    "zat/data__files.log": "bro-2.x",
    "zat/data__ftp.log": "zeek-6",  # the same header as Zeek 6.2's
    "zat/data__smtp.log": "bro-2.x",
    "zat/data__tor_ssl.log": "bro-2.x",
    "zat/data__weird.log": "bro-2.x",
    "zat/data__x509.log": "bro-2.x",
    "zat/data__dhcp.log": "bro-2.x",
    "zat/data__conn.log": "bro-2.x",
    "zat/data__http.log": "bro-2.x",
    "maxpowell-bro/files.log": "bro-2.6",
    "maxpowell-bro/ssl.log": "bro-2.x",
}


def header_and_rows(path: Path) -> tuple[dict[str, list[str]], bytes]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    header: dict[str, list[str]] = {}
    rows = []
    for line in raw.splitlines(keepends=True):
        if line.startswith(b"#"):
            key, _, rest = line.rstrip(b"\r\n").partition(b"\t")
            header[key.decode()] = rest.decode().split("\t")
        else:
            rows.append(line)
    return header, b"".join(rows)


def as_sets(types: list[str]) -> list[str]:
    return [t.replace("table[", "set[", 1) for t in types]


def registry() -> pl.DataFrame:
    return zf.zeek_log_types()


SCALARS: dict[str, pl.DataType] = {
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
}


def expected_dtype(zeek_type: str) -> pl.DataType:
    for container in ("set[", "vector[", "table["):
        if zeek_type.startswith(container):
            element = zeek_type[len(container) : -1]
            # Enums inside sets and vectors are plain strings (no categorical per list).
            return pl.List(pl.String() if element == "enum" else expected_dtype(element))
    return SCALARS[zeek_type]


def test_the_registry_lists_every_standard_log_type(tmp_path: Path) -> None:
    types = registry()
    assert set(ZED_LOG_TYPES) | {"conn", "http", "files"} <= set(types["log_type"])
    assert (types["field_count"] == types["fields"].list.len()).all()
    assert (types["field_count"] == types["types"].list.len()).all()
    assert types.filter(log_type="conn")["version"].to_list() == ["zeek-7+", "zeek-3..6", "bro-2.x"]
    # Every Zeek type in it maps to the dtype the design's table gives.
    for zeek_type in sorted(set(types["types"].explode().to_list())):
        log = tmp_path / "one.log"
        log.write_text(f"#separator \\x09\n#fields\tf\n#types\t{zeek_type}\n")
        assert zf.read_zeek_schema(log).polars_schema["f"] == expected_dtype(zeek_type), zeek_type


@pytest.mark.parametrize("log_type", ZED_LOG_TYPES)
def test_zeek_6_headers_are_in_the_registry_and_headerless_logs_read_alike(
    corpus: Path, log_type: str, tmp_path: Path
) -> None:
    path = corpus / ZED / f"zeek-default__{log_type}.log.gz"
    header, rows = header_and_rows(path)
    entry = registry().filter(log_type=log_type, version="zeek-6")
    assert entry.height == 1
    assert entry["fields"][0].to_list() == header["#fields"]
    assert entry["types"][0].to_list() == header["#types"]
    bare = tmp_path / f"{log_type}.log"
    bare.write_bytes(rows)
    assert_frame_equal(zf.read_zeek(bare, log_type=log_type), zf.read_zeek(path))


@pytest.mark.parametrize("rel_path", sorted(OLDER))
def test_older_headers_are_in_the_registry(corpus: Path, rel_path: str, tmp_path: Path) -> None:
    path = corpus / rel_path
    header, rows = header_and_rows(path)
    log_type = header["#path"][0]
    entries = registry().filter(log_type=log_type)
    matching = entries.filter(pl.col("fields") == pl.lit(header["#fields"]))
    assert matching["version"].to_list() == [OLDER[rel_path]]
    # Old Bro wrote sets as table[...]: the same type, read as a list.
    assert as_sets(matching["types"][0].to_list()) == as_sets(header["#types"])
    # Headerless, the first schema (newest first) with the line's field count applies.
    same_count = entries.filter(field_count=len(header["#fields"]))
    bare = tmp_path / "bare.log"
    bare.write_bytes(rows)
    frame = zf.read_zeek(bare, log_type=log_type, on_bad_line="skip")
    assert frame.columns == same_count["fields"][0].to_list()
    if same_count["version"][0] == OLDER[rel_path]:
        assert_frame_equal(frame, zf.read_zeek(path, on_bad_line="skip"))


def test_an_unknown_log_type_names_the_known_ones(tmp_path: Path) -> None:
    bare = tmp_path / "bare.log"
    bare.write_text("1.0\tx\n")
    with pytest.raises(zf.ZeekParseError, match=r"known: .*x509"):
        zf.read_zeek(bare, log_type="nonesuch")
