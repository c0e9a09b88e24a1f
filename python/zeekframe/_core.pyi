"""Type stubs of the Rust extension module."""

from collections.abc import Callable, Sequence
from typing import Any

__version__: str
MAX_REPORTED_LINES: int
"""How many skipped lines a read names in its warning (it counts them all)."""

class ArrowTable:
    """Batches produced by the reader, exported through the Arrow PyCapsule interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> Any: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def skipped_count(self) -> int: ...
    @property
    def skipped(self) -> list[tuple[str | None, int | None, str]]: ...
    @property
    def unterminated(self) -> list[tuple[str, int]]: ...
    @property
    def end_offsets(self) -> list[int]: ...

def read_tsv(
    paths: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    n_rows: int | None = None,
    n_threads: int | None = None,
    skip_bad_lines: bool = False,
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    rename_underscore: bool = False,
    chunk_size: int | None = None,
    sample: float | None = None,
    seed: int = 0,
    filter: tuple[Any, ...] | None = None,
    mime_categories: Sequence[tuple[str, Sequence[str]]] | None = None,
    include_file_paths: str | None = None,
    max_line_bytes: int | None = None,
    start_offset: int = 0,
    complete_lines: bool = False,
    byte_range: tuple[int, int, int] | None = None,
) -> ArrowTable: ...
def read_header(
    path: str,
    *,
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    rename_underscore: bool = False,
) -> tuple[list[str], list[str], ArrowTable, str | None] | None: ...
def convert_parquet(
    paths: Sequence[str],
    dest: str,
    *,
    columns: Sequence[str] | None = None,
    n_threads: int | None = None,
    skip_bad_lines: bool = False,
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    rename_underscore: bool = False,
    chunk_size: int | None = None,
    sample: float | None = None,
    seed: int = 0,
    filter: tuple[Any, ...] | None = None,
    mime_categories: Sequence[tuple[str, Sequence[str]]] | None = None,
    compression: str = "zstd",
    compression_level: int | None = None,
    row_group_size: int = 250_000,
    include_file_paths: str | None = None,
    progress: Callable[[int, int], object] | None = None,
    max_line_bytes: int | None = None,
    complete_lines: bool = False,
) -> tuple[
    int, int, list[str], int, list[tuple[str | None, int | None, str]], list[tuple[str, int]]
]: ...
def log_paths(paths: Sequence[str], *, n_threads: int | None = None) -> list[str | None]: ...
def read_layout_of_all_blocks(
    path: str,
    *,
    fields: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    log_type: str | None = None,
    rename_underscore: bool = False,
) -> ArrowTable: ...
def plan_file(
    path: str, *, max_line_bytes: int | None = None
) -> tuple[str, int, int, int, bool]: ...
def scan_range(path: str, start: int, end: int) -> tuple[int, int | None]: ...
def set_map_setting(value: str | None) -> None: ...
def map_min_bytes() -> int | None: ...
def builtin_schemas() -> list[tuple[str, str, list[str], list[str]]]: ...
def write_demo(
    directory: str, *, conn_rows: int, http_rows: int, seed: int, format: str = "tsv"
) -> tuple[str, str]: ...
def write_zeek(
    frame: Any,
    dest: str | None,
    *,
    format: str = "tsv",
    path: str = "",
    separator: str = "\t",
    set_separator: str = ",",
    empty_field: str = "(empty)",
    unset_field: str = "-",
    types: dict[str, str] = ...,
    hints: dict[str, str] = ...,
    stamps: str | None = "now",
    time_format: str = "epoch",
    include_unset: bool = False,
    compression: str = "none",
    compression_level: int | None = None,
) -> tuple[int, int, int, int, list[tuple[str, str]]]: ...
def cut(
    inputs: list[str],
    *,
    columns: list[str],
    negate: bool = False,
    headers: int = 0,
    minimal: bool = False,
    time_zone: str | None = None,
    time_format: str | None = None,
    output_separator: str | None = None,
    block_bytes: int | None = None,
) -> tuple[int, int, int, int]: ...
def check_networks(networks: list[str]) -> None: ...
