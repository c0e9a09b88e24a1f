//! A plain log cut into byte ranges at arbitrary points, each range read on its own (as a
//! Dask partition is): the ranges' rows, in order, are the whole read's rows, their skipped
//! lines add up to the whole read's, and the first range that fails fails with the whole
//! read's error, at the same line.
#![no_main]

use arrow_array::RecordBatch;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zeekframe::reader::{read_files, ReadOptions};
use zeekframe::source::{plan_file, scan_range, ByteRange, Cancel, Compression};

#[path = "common.rs"]
mod common;

const HEADER: &[u8] = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
#unset_field\t-\n#path\tfuzz\n#fields\tts\tuid\tn\ts\tv\n\
#types\ttime\tstring\tcount\tset[string]\tvector[interval]\n";

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let [control, step, rest @ ..] = input else {
        return;
    };
    let mut log = HEADER.to_vec();
    log.extend_from_slice(rest);
    let path = SCRATCH
        .get_or_init(|| common::Scratch::new("byte_ranges"))
        .write(&log);
    let base = ReadOptions {
        n_rows: None,
        ..common::options(*control, 0)
    };
    let Ok(plan) = plan_file(&path, base.max_line_bytes) else {
        return;
    };
    if plan.compression != Compression::None || plan.json {
        return;
    }
    // Cut points every `step` bytes after the header, at most 64 ranges.
    let step = u64::from(*step).max(1).max(plan.size.div_ceil(64));
    let mut cuts = vec![0];
    cuts.extend(
        (1..)
            .map(|i| i * step)
            .take_while(|&c| c < plan.size)
            .filter(|&c| c > plan.header_end),
    );
    cuts.push(plan.size);
    let mut ranges = Vec::new();
    let mut before = 0;
    for (j, pair) in cuts.windows(2).enumerate() {
        let from = if j == 0 { plan.header_end } else { pair[0] };
        let scan =
            scan_range(&path, from, pair[1], &Cancel::default()).expect("a plain file scans");
        if scan.header_line.is_some() {
            // A later header block: such a file is not cut.
            return;
        }
        ranges.push(ByteRange {
            start: pair[0],
            end: pair[1],
            lines_before: before,
        });
        before += scan.newlines + if j == 0 { plan.header_lines } else { 0 };
    }
    let whole = read_files(std::slice::from_ref(&path), &base);
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut skipped = 0;
    for range in &ranges {
        let options = ReadOptions {
            byte_range: Some(*range),
            ..base.clone()
        };
        match read_files(std::slice::from_ref(&path), &options) {
            Ok(output) => {
                skipped += output.skipped_count;
                batches.extend(output.batches);
            }
            Err(error) => {
                let Err(expected) = &whole else {
                    panic!("range {range:?} failed where the whole read did not: {error}");
                };
                assert_eq!(
                    (&error.line, &error.message),
                    (&expected.line, &expected.message)
                );
                return;
            }
        }
    }
    let whole = match whole {
        Ok(whole) => whole,
        Err(error) => panic!("the whole read failed where no range did: {error}"),
    };
    assert_eq!(skipped, whole.skipped_count);
    let expected = arrow_select::concat::concat_batches(&whole.schema, &whole.batches)
        .expect("batches of one read share its schema");
    let got = arrow_select::concat::concat_batches(&whole.schema, &batches)
        .expect("ranges of a file with one header block share its schema");
    assert_eq!(got, expected);
});
