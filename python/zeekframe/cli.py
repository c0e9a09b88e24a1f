"""The ``zeekframe`` command.

Example:
    $ zeekframe demo demo-data --scale 0.01
    $ zeekframe report --conn demo-data/conn.log --http demo-data/http.log --out report
    $ zeekframe convert conn.log.gz -o conn.parquet --sample 0.1 --seed 42
    $ zeekframe schema conn.log
    $ zeekframe cut -d ts id.orig_h id.resp_p < conn.log
    $ zeekframe cat 'logs/*.log.gz' --filter 'id.resp_p != 80' -o out.log
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from zeekframe.datasets import demo

    started = time.perf_counter()
    logs = demo(args.directory, scale=args.scale, seed=args.seed, format=args.format)
    took = time.perf_counter() - started
    for path in (logs.conn, logs.http):
        size = path.stat().st_size / 1e6
        print(f"wrote {path} ({size:,.1f} MB)")
    print(f"in {took:.1f} s")
    return 0


def _report(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from zeekframe.report import write_report

    with ExitStack() as stack:
        if args.dask is not None or args.workers is not None:
            from distributed import Client, LocalCluster

            if args.dask is not None:
                client = stack.enter_context(Client(args.dask))
            else:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=args.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    )
                )
                client = stack.enter_context(Client(cluster))
            print(f"on Dask: {client.scheduler_info().get('address', args.dask)}")
        files = write_report(
            args.conn,
            args.http,
            args.out,
            sample=args.sample,
            seed=args.seed,
            on_bad_line="skip" if args.skip_bad_lines else "raise",
            dask=args.dask is not None or args.workers is not None,
        )
    for step, seconds in files.timings.items():
        print(f"{step}: {seconds:.2f} s")
    written = [files.html, *files.figures, *files.parquet]
    print(f"wrote {', '.join(str(f) for f in written)}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from zeekframe.convert import ProgressBar, _convert

    started = time.perf_counter()
    result = _convert(
        args.source,
        args.output,
        columns=args.columns.split(",") if args.columns else None,
        sample=args.sample,
        seed=args.seed,
        filter=None,
        compression=args.compression,
        compression_level=args.compression_level,
        row_group_size=args.row_group_size,
        rename="underscore" if args.underscore else None,
        on_bad_line="skip" if args.skip_bad_lines else "raise",
        fields=None,
        types=None,
        log_type=args.log_type,
        mime_categories=None,
        include_file_paths=args.include_file_paths,
        n_threads=args.threads,
        progress=None
        if args.quiet
        else (lambda total, description: ProgressBar(total, description, notebook=False)),
    )
    took = time.perf_counter() - started
    size = os.path.getsize(result.path) / 1e6
    print(
        f"wrote {result.path} ({size:,.1f} MB): {result.rows:,} rows in "
        f"{result.row_groups} row group(s), {len(result.columns)} columns, in {took:.1f} s"
    )
    if result.skipped_count:
        print(f"skipped {result.skipped_count:,} bad line(s)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from zeekframe.io import read_zeek_schema

    print(read_zeek_schema(args.source, log_type=args.log_type))
    return 0


class _HeaderMode(argparse.Action):
    """zeek-cut's -c/-C/-m/-M: the last one given wins."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        namespace.headers, namespace.minimal = self.const


class _TimeMode(argparse.Action):
    """zeek-cut's -d/-u (a clock) and -D/-U (a clock and a format): the last clock wins."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        namespace.time_zone = self.const
        if isinstance(values, str):
            namespace.time_format = values


def _reader_went_away() -> int:
    """The reader of standard output went away (``| head``): stop quietly.

    As a pipe's writer does; standard output becomes /dev/null so that Python's own flush at
    exit does not fail too.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def _time_format_from_env() -> str | None:
    fmt = os.environ.get("ZEEK_CUT_TIMEFMT")
    if fmt is None:
        fmt = os.environ.get("BRO_CUT_TIMEFMT")
        if fmt is not None:
            print(
                "zeekframe cut: warning: using legacy environment variable BRO_CUT_TIMEFMT, "
                "set ZEEK_CUT_TIMEFMT instead",
                file=sys.stderr,
            )
    return fmt


def _cut(args: argparse.Namespace) -> int:
    from zeekframe import _core

    time_format = args.time_format
    if args.time_zone is not None and time_format is None:
        time_format = _time_format_from_env()
    sys.stdout.flush()
    try:
        _core.cut(
            args.read or ["-"],
            columns=args.columns,
            negate=args.negate,
            headers=args.headers,
            minimal=args.minimal,
            time_zone=args.time_zone,
            time_format=time_format,
            output_separator=args.output_separator,
        )
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        # As zeek-cut words them (an empty time format is refused by the cutter).
        print(f"zeekframe cut: {exc}", file=sys.stderr)
        return 1
    return 0


def _add_cut(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    cut: argparse.ArgumentParser = commands.add_parser(
        "cut",
        help="zeek-cut: the given columns of Zeek TSV logs, as text",
        description=(
            "Extract the given columns from Zeek TSV logs on standard input (or -r files, "
            "plain, gz or zst) to standard output, as zeek-cut does. If no columns are "
            "given, all are selected. Header blocks are left out unless asked for."
        ),
        epilog=(
            "For -d and -u the time format can be set in the environment variable "
            "ZEEK_CUT_TIMEFMT. Example: zeekframe cut -d ts id.orig_h id.orig_p < conn.log"
        ),
    )
    cut.add_argument("columns", nargs="*", help="the columns to write, in this order")
    cut.set_defaults(headers=0, minimal=False, time_zone=None, time_format=None)
    for flag, const, text in (
        ("-c", (1, False), "include the first format header block in the output"),
        ("-C", (2, False), "include all format header blocks in the output"),
        ("-m", (1, True), "include the first header block in minimal view (the names only)"),
        ("-M", (2, True), "include all header blocks in minimal view"),
    ):
        cut.add_argument(flag, action=_HeaderMode, nargs=0, const=const, help=text)
    cut.add_argument(
        "-d",
        action=_TimeMode,
        nargs=0,
        const="local",
        help="convert time values into human-readable format",
    )
    cut.add_argument(
        "-D",
        action=_TimeMode,
        metavar="FMT",
        const="local",
        help="like -d, with this strftime(3) format",
    )
    cut.add_argument(
        "-u", action=_TimeMode, nargs=0, const="utc", help="like -d, in UTC instead of local time"
    )
    cut.add_argument(
        "-U",
        action=_TimeMode,
        metavar="FMT",
        const="utc",
        help="like -D, in UTC instead of local time",
    )
    cut.add_argument(
        "-F",
        dest="output_separator",
        metavar="OFS",
        help="a different output field separator (one character)",
    )
    cut.add_argument(
        "-n", dest="negate", action="store_true", help="print all fields *except* those specified"
    )
    cut.add_argument(
        "-r",
        "--read",
        action="append",
        metavar="FILE",
        help="read this log (- for standard input; repeatable) instead of standard input",
    )
    cut.set_defaults(run=_cut)
    return cut


_DOTTED = re.compile(r"(?<![\w.\"])([A-Za-z_]\w*(?:\.\w+)+)(?![\w\"(])")


def filter_expression(text: str) -> Any:
    """A ``--filter`` as a Polars expression.

    The filter is a SQL condition (``id.resp_p != 80 AND proto = 'tcp'``, ``NOT id.resp_p
    IN (80, 8080)``) in which Zeek's dotted names need no quotes.

    Example:
        >>> filter_expression("id.resp_p != 80 and service = 'http'")  # doctest: +SKIP
    """
    import polars as pl

    # Quote dotted names outside string literals, so SQL does not take them for table.column.
    parts = re.split(r"('(?:[^']|'')*')", text)
    quoted = [p if i % 2 else _DOTTED.sub(r'"\1"', p) for i, p in enumerate(parts)]
    return pl.sql_expr("".join(quoted))


def _cat(args: argparse.Namespace) -> int:
    import polars as pl

    from zeekframe.io import read_zeek_schema, scan_zeek
    from zeekframe.net import in_subnet
    from zeekframe.write import write_zeek

    sources = args.source
    query = scan_zeek(sources, on_bad_line="skip" if args.skip_bad_lines else "raise")
    conditions = []
    if args.filter:
        conditions.append(filter_expression(args.filter))
    for column, networks in args.in_subnet or []:
        conditions.append(in_subnet(column, networks.split(",")))
    if conditions:
        query = query.filter(
            pl.all_horizontal(conditions) if len(conditions) > 1 else conditions[0]
        )
    if args.columns:
        query = query.select(args.columns.split(","))
    schema = read_zeek_schema(sources[0] if len(sources) == 1 else sources)
    # #path: as asked, else the input's (a JSON log has none: its file name up to a dot).
    log_path = args.path or schema.path or os.path.basename(sources[0]).split(".")[0] or "log"
    sys.stdout.flush()
    try:
        rows = write_zeek(
            query,
            args.output,
            types=schema,
            path=log_path,
            format=args.format,
            open_close=None if args.no_open_close else "now",
        )
    except BrokenPipeError:
        return _reader_went_away()
    if args.output is not None:
        print(f"wrote {rows:,} rows to {args.output}", file=sys.stderr)
    return 0


def _add_cat(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cat = commands.add_parser(
        "cat",
        help="read logs, keep the rows a filter selects, write them back as a Zeek log",
        description=(
            "Read Zeek logs (TSV or JSON, plain, gz or zst, globs and directories), keep the "
            "rows that --filter and --in-subnet select (applied while parsing) and the "
            "--columns asked for, and write them as a Zeek log (TSV, or JSON by -o's name "
            "or --format), typed as the first input's header says."
        ),
        epilog=(
            "Example: zeekframe cat 'logs/*.log.gz' --filter 'id.resp_p != 80' "
            "--in-subnet id.orig_h 10.0.0.0/8,192.168.0.0/16 -o out.log"
        ),
    )
    cat.add_argument("source", nargs="+", help="logs, directories or globs")
    cat.add_argument("-o", "--output", help="the log to write (default: standard output)")
    cat.add_argument("--filter", help='a SQL condition on the columns, such as "id.resp_p != 80"')
    cat.add_argument(
        "--in-subnet",
        nargs=2,
        action="append",
        metavar=("COLUMN", "NETWORKS"),
        help="keep rows whose COLUMN is in one of the comma-separated NETWORKS (repeatable)",
    )
    cat.add_argument("--columns", help="comma-separated columns to keep, in this order")
    cat.add_argument("--format", choices=("tsv", "json"), help="default: by -o's name, else tsv")
    cat.add_argument("--path", help="#path of the output (default: the input's)")
    cat.add_argument("--no-open-close", action="store_true", help="leave out #open and #close")
    cat.add_argument("--skip-bad-lines", action="store_true", help="skip (and count) bad lines")
    cat.set_defaults(run=_cat)


def _is_user_error(exc: Exception) -> bool:
    """Whether ``exc`` is about the input or the options (said in one line), not a bug."""
    from zeekframe.exceptions import ZeekError

    polars = sys.modules.get("polars")
    if polars is not None and isinstance(exc, polars.exceptions.PolarsError):
        return True  # such as a --filter that does not parse or names no column
    return isinstance(exc, (ZeekError, OSError, ValueError))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zeekframe`` command line.

    Example:
        >>> main(["schema", "conn.log"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="zeekframe", description="Read Zeek logs into typed frames, fast."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="write demo conn.log and http.log shaped like the report's"
    )
    demo.add_argument("directory")
    demo.add_argument("--scale", type=float, default=0.01, help="1 = the report's 22.7M conn rows")
    demo.add_argument("--seed", type=int, default=2012)
    demo.add_argument(
        "--format", choices=("tsv", "json"), default="tsv", help="json: conn.json and http.json"
    )
    demo.set_defaults(run=_demo)
    run = commands.add_parser("report", help="run the report on a conn.log and an http.log")
    run.add_argument("--conn", required=True, help="conn.log (any form read_zeek reads)")
    run.add_argument("--http", required=True, help="http.log")
    run.add_argument("--out", required=True, help="directory for report.html and the figures")
    run.add_argument("--sample", type=float, default=0.1, help="fraction of conn.log to read")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--skip-bad-lines", action="store_true", help="skip and count bad lines")
    scale = run.add_mutually_exclusive_group()
    scale.add_argument(
        "--dask", metavar="SCHEDULER", help="run on this Dask scheduler (tcp://host:8786)"
    )
    scale.add_argument(
        "--workers", type=int, metavar="N", help="run on a local Dask cluster of N processes"
    )
    run.set_defaults(run=_report)
    conv = commands.add_parser(
        "convert", help="convert logs to one Parquet file, streaming with bounded memory"
    )
    conv.add_argument("source", nargs="+", help="logs, directories or globs (plain, gz, zst)")
    conv.add_argument("-o", "--output", required=True, help="the Parquet file to write")
    conv.add_argument("--columns", help="comma-separated columns to keep (default: all)")
    conv.add_argument("--sample", type=float, help="keep this fraction of the rows")
    conv.add_argument("--seed", type=int, default=0, help="seed of --sample")
    conv.add_argument("--compression", choices=("zstd", "snappy", "uncompressed"), default="zstd")
    conv.add_argument("--compression-level", type=int, help="zstd level, 1-22 (default 3)")
    conv.add_argument("--row-group-size", type=int, default=250_000, help="rows per row group")
    conv.add_argument("--underscore", action="store_true", help="write id_orig_h for id.orig_h")
    conv.add_argument("--skip-bad-lines", action="store_true", help="skip and count bad lines")
    conv.add_argument(
        "--log-type", help="only logs of this type (conn, http, ...); the layout of headerless ones"
    )
    conv.add_argument("--include-file-paths", metavar="NAME", help="add a column of file paths")
    conv.add_argument("--threads", type=int, help="parser threads (default: all cores)")
    conv.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    conv.set_defaults(run=_convert)
    schema = commands.add_parser("schema", help="print a log's fields, Zeek types and dtypes")
    schema.add_argument("source")
    schema.add_argument("--log-type", help="for logs without a header: conn, http, ...")
    schema.set_defaults(run=_schema)
    cut = _add_cut(commands)
    _add_cat(commands)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["cut"]:
        # zeek-cut takes options among the column names (`ts -u uid`), as getopt does.
        args = cut.parse_intermixed_args(arguments[1:])
    else:
        args = parser.parse_args(arguments)
    try:
        return int(args.run(args))
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        # Polars adds the query plan after a blank line: the first part says what is wrong.
        print(f"zeekframe: {str(exc).split(chr(10) * 2)[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
