//! `zeekframe cut` and `write_zeek` on any bytes: cut never panics, accounts for every line
//! and cuts the same in one block or many; a log that reads cleanly is written back (with
//! the header's own markers and types) and reads back to the same rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::sync::OnceLock;
use zeekframe::cut::{CutOptions, Cutter, Headers, Zone, DEFAULT_TIME_FORMAT};
use zeekframe::format::header::HeaderState;
use zeekframe::source::Cancel;
use zeekframe::write::{write_to, Column, LogFormat, Stamps, WriteOptions};

#[path = "common.rs"]
mod common;

static SCRATCH: OnceLock<(common::Scratch, common::Scratch)> = OnceLock::new();

fn cut(options: &CutOptions, log: &[u8]) -> (Vec<u8>, Option<zeekframe::cut::CutSummary>) {
    let mut out = Vec::new();
    let Ok(mut cutter) = Cutter::new(options) else {
        return (out, None);
    };
    let result = cutter.cut(&mut &log[..], "fuzz", &mut out, &mut |_| {}, &Cancel::default());
    (out, result.ok().map(|()| cutter.summary()))
}

fn check_cut(control: u8, log: &[u8]) {
    // The first #fields line's names, some of them, as the columns asked for.
    let names: Vec<Vec<u8>> = log
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"#fields"))
        .map(|l| l.split(|&b| b == b'\t').skip(1).map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let mut columns: Vec<Vec<u8>> = names.into_iter().step_by(1 + usize::from(control % 3)).collect();
    if control & 8 != 0 {
        columns.push(b"not a column".to_vec());
    }
    let mut options = CutOptions::new(columns);
    options.negate = control & 16 != 0;
    options.headers = [Headers::None, Headers::First, Headers::All][usize::from(control >> 5) % 3];
    options.minimal = control & 64 != 0;
    if control & 128 != 0 {
        options.time = Some((Zone::Utc, DEFAULT_TIME_FORMAT.to_owned()));
    }
    options.max_line_bytes = 1 << 17;
    // One block for the whole input (inputs are at most 64 KiB), then many.
    options.block_bytes = 1 << 17;
    let (whole, summary) = cut(&options, log);
    options.block_bytes = 1024;
    let (blocks, again) = cut(&options, log);
    assert_eq!(summary, again, "one block or many");
    assert_eq!(whole, blocks, "one block or many");
    if let Some(summary) = summary {
        let lines = log.split(|&b| b == b'\n').count() as u64 - u64::from(log.ends_with(b"\n") || log.is_empty());
        assert_eq!(summary.lines, lines);
        assert!(summary.written + summary.skipped <= lines);
        assert_eq!(whole.iter().filter(|&&b| b == b'\n').count() as u64, summary.written);
    }
}

fn check_write_back(log: &[u8], path: &str, scratch: &common::Scratch) {
    let mut header = HeaderState::default();
    let blocks = log
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"#fields"))
        .count();
    for line in log.split(|&b| b == b'\n').filter(|l| l.starts_with(b"#")) {
        if header.apply(line).is_err() {
            return;
        }
    }
    let (Some(fields), Some(types)) = (&header.fields, &header.types) else {
        return;
    };
    if blocks != 1 || fields.len() != types.len() {
        return;
    }
    let base = common::options(0, 0);
    let outcome = common::Outcome::of(path, &base);
    let Some(batch) = outcome.clean() else {
        return;
    };
    let types: HashMap<String, String> = fields.iter().cloned().zip(types.iter().cloned()).collect();
    let Ok(columns) = Column::resolve(&batch.schema(), &HashMap::new(), &types, &header.markers) else {
        return;
    };
    let options = WriteOptions {
        format: LogFormat::Tsv,
        markers: header.markers.clone(),
        path: "fuzz".to_owned(),
        stamps: Stamps::Omit,
        ..WriteOptions::default()
    };
    let mut written = Vec::new();
    let summary = match write_to(&mut written, columns, std::iter::once(Ok(batch.clone())), options, &Cancel::default()) {
        Ok(summary) => summary,
        // Markers a reader accepts but a writer cannot use (such as a separator holding `\`).
        Err(_) => return,
    };
    if summary.ambiguous_sets > 0 {
        return;
    }
    let again = scratch.write(&written);
    let back = common::Outcome::of(&again, &base);
    assert_eq!(back.clean(), Some(batch), "written back:\n{}", String::from_utf8_lossy(&written));
}

fuzz_target!(|input: &[u8]| {
    let [control, log @ ..] = input else {
        return;
    };
    check_cut(*control, log);
    let (first, second) = SCRATCH.get_or_init(|| {
        (common::Scratch::new("cut_write"), common::Scratch::new("cut_write_back"))
    });
    let path = first.write(log);
    check_write_back(log, &path, second);
});
