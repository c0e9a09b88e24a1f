//! Data lines under a header with every Zeek type: line splitting, escapes, sets and vectors,
//! the value parsers, bad lines, chunk boundaries and the row limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

const HEADER: &[u8] = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
#unset_field\t-\n#path\tfuzz\n#open\t2024-01-01-00-00-00\n\
#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tduration\tn\ti\td\tb\ts\tv\tnet\tt\n\
#types\ttime\tstring\taddr\tport\tenum\tinterval\tcount\tint\tdouble\tbool\tset[string]\tvector[interval]\tsubnet\tvector[time]\n";

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let [control, limit, small, rest @ ..] = input else {
        return;
    };
    let mut log = Vec::with_capacity(HEADER.len() + rest.len());
    // Most inputs are data lines under the fixed header; some bring their own header.
    if control & 0x80 == 0 {
        log.extend_from_slice(HEADER);
    }
    log.extend_from_slice(rest);
    let path = SCRATCH
        .get_or_init(|| common::Scratch::new("tsv_log"))
        .write(&log);
    let base = common::options(*control, *limit);
    common::check_read(&path, &base, 1 + usize::from(*small) * 4);
});
