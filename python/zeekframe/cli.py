"""The ``zeekframe`` command.

Example:
    $ zeekframe demo demo-data --scale 0.01
    $ zeekframe report --conn demo-data/conn.log --http demo-data/http.log --out report
    $ zeekframe schema conn.log
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from zeekframe.datasets import demo

    started = time.perf_counter()
    logs = demo(args.directory, scale=args.scale, seed=args.seed)
    took = time.perf_counter() - started
    for path in (logs.conn, logs.http):
        size = path.stat().st_size / 1e6
        print(f"wrote {path} ({size:,.1f} MB)")
    print(f"in {took:.1f} s")
    return 0


def _report(args: argparse.Namespace) -> int:
    from zeekframe.report import write_report

    files = write_report(args.conn, args.http, args.out, sample=args.sample, seed=args.seed)
    for step, seconds in files.timings.items():
        print(f"{step}: {seconds:.2f} s")
    print(f"wrote {files.html} and {', '.join(str(f) for f in files.figures)}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from zeekframe.io import read_zeek_schema

    print(read_zeek_schema(args.source, log_type=args.log_type))
    return 0


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
    demo.set_defaults(run=_demo)
    run = commands.add_parser("report", help="run the report on a conn.log and an http.log")
    run.add_argument("--conn", required=True, help="conn.log (any form read_zeek reads)")
    run.add_argument("--http", required=True, help="http.log")
    run.add_argument("--out", required=True, help="directory for report.html and the figures")
    run.add_argument("--sample", type=float, default=0.1, help="fraction of conn.log to read")
    run.add_argument("--seed", type=int, default=42)
    run.set_defaults(run=_report)
    schema = commands.add_parser("schema", help="print a log's fields, Zeek types and dtypes")
    schema.add_argument("source")
    schema.add_argument("--log-type", help="for logs without a header: conn, http, ...")
    schema.set_defaults(run=_schema)
    args = parser.parse_args(argv)
    from zeekframe.exceptions import ZeekError

    try:
        return int(args.run(args))
    except (ZeekError, OSError, ValueError) as exc:
        print(f"zeekframe: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
