//! Zeek JSON lines: keys known and unknown, nested values, escapes, numbers past every
//! integer type, and the types inferred from values across chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let [control, limit, small, rest @ ..] = input else {
        return;
    };
    let mut log = Vec::with_capacity(rest.len() + 1);
    // JSON logs start with `{`: keep most inputs on the JSON path.
    if control & 0x80 == 0 && !rest.starts_with(b"{") {
        log.push(b'{');
    }
    log.extend_from_slice(rest);
    let path = SCRATCH
        .get_or_init(|| common::Scratch::new("json_log"))
        .write(&log);
    let base = common::options(*control, *limit);
    common::check_read(&path, &base, 1 + usize::from(*small) * 4);
});
