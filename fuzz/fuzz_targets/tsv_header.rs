//! Whole files, header lines included: markers, field and type lists, several header blocks,
//! compressed streams, and the schema-only pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zeekframe::format::header::HeaderState;
use zeekframe::format::types::ZeekType;

#[path = "common.rs"]
mod common;

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let [control, limit, small, log @ ..] = input else {
        return;
    };
    // Header lines one by one, and every word as a type name: never a panic.
    let mut header = HeaderState::default();
    for line in log.split(|&b| b == b'\n').filter(|l| l.starts_with(b"#")) {
        let _ = header.apply(line);
    }
    for word in log.split(|b| b.is_ascii_whitespace()) {
        if let Ok(word) = std::str::from_utf8(word) {
            let _ = ZeekType::parse(word).arrow_type();
        }
    }
    let path = SCRATCH
        .get_or_init(|| common::Scratch::new("tsv_header"))
        .write(log);
    let base = common::options(*control, *limit);
    let outcome = common::check_read(&path, &base, 1 + usize::from(*small) * 4);
    common::check_schema(&path, &base, &outcome);
});
