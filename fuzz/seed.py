"""Build the fuzz seed corpus from the shared real logs (../shared/zeek-logs).

Each target gets small real inputs, each prefixed with the three control bytes the targets
read first (options, row limit, small chunk size). The corpus is kept small on purpose: the
fuzzer finds the rest; `make fuzz` grows it in fuzz/corpus-local, which git ignores.

    python fuzz/seed.py [ZEEK_LOGS]
"""

from __future__ import annotations

import gzip
import hashlib
import random
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOGS = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "zeek-logs"
MAX_BYTES = 2048
PER_TARGET = 60

# Data lines for tsv_log's fixed header (ts uid id.orig_h id.resp_p proto duration n i d b s
# v net t): well-formed, unset and empty, escapes, and lines with a wrong field count.
TSV_LINES = [
    b"1331901000.000129\tCx\t10.0.0.1\t80\ttcp\t0.5\t7\t-3\t1.5\tT\ta,b\t1.0,2.5\t10.0.0.0/8\t1.0\n",
    b"-0.5\t-\t::1\t0\tudp\t-\t-\t-\t-\t-\t-\t-\t-\t-\n",
    b"1e9\t(empty)\tfe80::1\t65535\ticmp\t1e-3\t18446744073709551615\t-9223372036854775808\t"
    b"-0.0\tF\t(empty)\t(empty)\t::/0\t(empty)\n",
    b"1.0\t\\x09tab\\x5c\t1.2.3.4\t1\tt\t2\t3\t4\t5\tT\t\\x2c,-,(empty)\t-\t1.2.3.4/32\t1,2\n",
    b"1.0\ttoo\tfew\n",
    b"#close\t2024-01-01-00-00-00\n",
]

# Data lines for byte_ranges' fixed header (ts uid n s v).
RANGE_LINES = [
    b"1331901000.000129\tCx\t7\ta,b\t1.0,2.5\n",
    b"-\t-\t-\t-\t-\n",
    b"1e9\t(empty)\t18446744073709551615\t(empty)\t(empty)\n",
    b"1.0\t\\x09tab\t3\t\\x2c,-\t-\r\n",
    b"1.0\ttoo\tfew\n",
    b"\n",
    b"#close\t2024-01-01-00-00-00\n",
]


def prefixed(control: int, body: bytes) -> bytes:
    """An input for a reading target: options, row limit and small chunk size, then the log."""
    return bytes([control, 5, 16]) + body


def small_logs(patterns: list[str]) -> list[bytes]:
    """Files matching `patterns`, decompressed and cut to whole lines within MAX_BYTES.

    btest's first line (`### BTest baseline data generated ...`) is left out.
    """
    found = []
    for pattern in patterns:
        for path in sorted(LOGS.glob(pattern)):
            if not path.is_file() or path.stat().st_size > 64 * MAX_BYTES:
                continue
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            if data.startswith(b"### BTest"):
                data = data.split(b"\n", 1)[-1]
            if len(data) > MAX_BYTES:
                data = data[: data.rfind(b"\n", 0, MAX_BYTES) + 1]
            if data:
                found.append(data)
    return found


def write(target: str, inputs: list[bytes]) -> None:
    """Store `inputs` as `target`'s seeds, each named by its hash."""
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for data in inputs:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(inputs)} seeds")


def main() -> None:
    """Write every target's seeds."""
    if not LOGS.is_dir():
        sys.exit(f"no real logs at {LOGS}")
    rng = random.Random(1)
    tsv = small_logs(["zeek/*.log", "zat/*.log", "maxpowell-bro/*.log", "rita/*.log*"])
    tsv = [b for b in tsv if b.startswith(b"#")]
    json = small_logs(["zeek/*", "zat/*.json", "zed-sample-data-6.2.0/zeek-json__*.gz"])
    json = [b for b in json if b.startswith(b"{")]
    rng.shuffle(tsv)
    rng.shuffle(json)
    # tsv_header: whole files, some gzipped, with assorted options.
    header = [prefixed(rng.randrange(8), b) for b in tsv[:PER_TARGET]]
    header += [prefixed(0, gzip.compress(b, mtime=0)) for b in tsv[:5]]
    write("tsv_header", header)
    # tsv_log: lines under the fixed header, and a few whole files with their own header.
    lines = [prefixed(rng.randrange(8), b"".join(rng.sample(TSV_LINES, 3))) for _ in range(20)]
    lines += [prefixed(0x80 | rng.randrange(8), b) for b in tsv[PER_TARGET : PER_TARGET + 20]]
    write("tsv_log", lines)
    write("json_log", [prefixed(0x80 | rng.randrange(8), b) for b in json[:PER_TARGET]])
    # values: selector byte, then words and text.
    values = []
    for which in range(5):
        words = struct.pack("<4q", 1331901000000129, -1, 0, 2**62)
        values.append(bytes([which]) + words + b"1331901000.000129")
        values.append(bytes([which]) + b'\\x41\\\\caf\xc3\xa9 \\u00e9"/\x00\x7f')
    write("values", values)
    # byte_ranges: options, the cut step, then lines under the fixed header.
    ranges = [
        bytes([rng.randrange(4), rng.randrange(1, 64)])
        + b"".join(rng.choices(RANGE_LINES, k=rng.randrange(2, 12)))
        for _ in range(20)
    ]
    write("byte_ranges", ranges)
    # cut_write: the cut options byte, then a whole log (zeek-cut's own fixtures among them).
    cuts = small_logs(["zeek/*zeek-cut-logs*"]) + tsv[:20]
    write("cut_write", [bytes([rng.randrange(256)]) + b for b in cuts])


if __name__ == "__main__":
    main()
