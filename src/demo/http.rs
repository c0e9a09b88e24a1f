//! http.log rows like the report's exploit-kit captures: each capture is one victim
//! (192.168.N.10) browsing for a few minutes; about a tenth of a capture's requests go to the
//! exploit kit, which listens on port 80 or, in a third of the captures, on an odd port (81,
//! 19910, 8000, ...) and serves the report's exploit and executable MIME types.

use super::text::{field, ipv4, micros, uid, uint};
use super::Rng;

/// 2011-07-22 17:00 UTC to 2014-07-14 09:00 UTC.
const START_US: u64 = 1_311_354_000_000_000;
const SPAN_US: u64 = 93_456_000_000_000;
/// Requests per capture; captures are spread evenly over the span.
const CAPTURE_ROWS: u64 = 160;

pub(crate) const CLOSE: &str = "#close\t2014-07-14-09-00-00\n";

const FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\t\
    method\thost\turi\treferrer\tuser_agent\trequest_body_len\tresponse_body_len\t\
    status_code\tstatus_msg\tinfo_code\tinfo_msg\tfilename\ttags\tusername\tpassword\t\
    proxied\torig_fuids\torig_mime_types\tresp_fuids\tresp_mime_types";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\t\
    string\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tstring\tset[enum]\tstring\t\
    string\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]";

pub(crate) fn header() -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
         #path\thttp\n#open\t2011-07-22-17-00-00\n#fields\t{FIELDS}\n#types\t{TYPES}\n"
    )
}

/// Where a capture's exploit kit listens (0: a random high port).
const KIT_PORTS: &[(u16, f64)] = &[
    (80, 0.66),
    (81, 0.1),
    (8000, 0.05),
    (19910, 0.04),
    (82, 0.03),
    (443, 0.03),
    (8888, 0.03),
    (8081, 0.03),
    (1337, 0.01),
    (0, 0.02),
];
const KIT_SHARE: f64 = 0.11;

const KIT_TYPES: &[(&str, f64)] = &[
    ("text/html", 0.3),
    ("application/x-java-applet", 0.1),
    ("application/pdf", 0.08),
    ("application/x-shockwave-flash", 0.08),
    ("application/zip", 0.04),
    ("application/jar", 0.04),
    ("application/x-dosexec", 0.14),
    ("application/octet-stream", 0.1),
    ("binary", 0.08),
    ("application/vnd.ms-cab-compressed", 0.04),
];
const PAGE_TYPES: &[(&str, f64)] = &[
    ("text/html", 0.38),
    ("image/gif", 0.14),
    ("image/jpeg", 0.12),
    ("image/png", 0.1),
    ("application/javascript", 0.08),
    ("text/plain", 0.06),
    ("text/css", 0.04),
    ("-", 0.08),
];
const SITES: &[&str] = &[
    "www.google-analytics.com",
    "ad.doubleclick.net",
    "www.facebook.com",
    "news.example.com",
    "cdn.example.net",
    "static.example.org",
    "www.bing.com",
    "blog.example.com",
];
const AGENTS: &[(&str, f64)] = &[
    (
        "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 2.0.50727)",
        0.5,
    ),
    (
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
        0.3,
    ),
    (
        "Mozilla/5.0 (Windows NT 6.1; rv:10.0) Gecko/20100101 Firefox/10.0",
        0.2,
    ),
];

pub(crate) fn row(rng: &mut Rng, index: u64, rows: u64, out: &mut Vec<u8>) {
    let capture = index / CAPTURE_ROWS;
    let captures = rows.div_ceil(CAPTURE_ROWS).max(1);
    // Everything about a capture comes from a generator of its own, so it is the same for
    // every row of the capture whichever block the row falls in.
    let mut session = Rng::new(0x5EED ^ capture, capture);
    let victim = [192, 168, 1 + session.below(254) as u8, 10];
    let mut kit_port = session.pick(KIT_PORTS);
    if kit_port == 0 {
        kit_port = 20_000 + session.below(40_000) as u16;
    }
    let kit_host = [
        10 + session.below(200) as u8,
        session.below(256) as u8,
        7,
        1 + session.below(250) as u8,
    ];
    let capture_start = START_US + capture * (SPAN_US / captures);
    let step = index % CAPTURE_ROWS;
    micros(out, capture_start + step * 800_000 + rng.below(800_000));
    out.push(b'\t');
    uid(out, rng, b'C', 17);
    out.push(b'\t');
    ipv4(out, victim);
    out.push(b'\t');
    uint(out, 1025 + (session.below(3000) + step / 2) % 3975);
    let kit = rng.chance(KIT_SHARE);
    let (host, port): (String, u16) = if kit {
        (
            format!(
                "{}.{}.{}.{}",
                kit_host[0], kit_host[1], kit_host[2], kit_host[3]
            ),
            kit_port,
        )
    } else {
        let port = rng.pick(&[(80u16, 0.955), (8080, 0.04), (8000, 0.003), (81, 0.002)]);
        let site = SITES[rng.below(SITES.len() as u64) as usize];
        (site.to_owned(), port)
    };
    out.push(b'\t');
    if kit {
        ipv4(out, kit_host);
    } else {
        ipv4(
            out,
            [
                66 + rng.below(100) as u8,
                rng.below(256) as u8,
                rng.below(256) as u8,
                1 + rng.below(250) as u8,
            ],
        );
    }
    out.push(b'\t');
    uint(out, u64::from(port));
    out.push(b'\t');
    uint(out, 1 + rng.below(3));
    let post = rng.chance(0.05);
    field(out, if post { "POST" } else { "GET" });
    field(out, &host);
    // URIs keep what a reader must treat as data: '#' fragments and '"' in queries.
    out.extend_from_slice(b"\t/");
    uid(out, rng, b'p', 8);
    match rng.below(200) {
        0 => out.extend_from_slice(b".php#top"),
        1 => out.extend_from_slice(b".php?q=\"x\""),
        _ => out.extend_from_slice(b".php"),
    }
    field(
        out,
        if rng.chance(0.6) {
            "http://news.example.com/"
        } else {
            "-"
        },
    );
    field(out, rng.pick(AGENTS));
    out.push(b'\t');
    uint(out, if post { 100 + rng.below(900) } else { 0 });
    let mime = if kit {
        rng.pick(KIT_TYPES)
    } else {
        rng.pick(PAGE_TYPES)
    };
    let status = if mime == "-" {
        rng.pick(&[(304u64, 0.6), (404, 0.2), (302, 0.2)])
    } else {
        200
    };
    out.push(b'\t');
    uint(
        out,
        if mime == "-" {
            0
        } else {
            200 + rng.below(200_000)
        },
    );
    out.push(b'\t');
    uint(out, status);
    field(
        out,
        match status {
            200 => "OK",
            302 => "Found",
            304 => "Not Modified",
            _ => "Not Found",
        },
    );
    field(out, "-\t-\t-\t(empty)\t-\t-\t-\t-\t-");
    if mime == "-" {
        field(out, "-\t-\n");
    } else {
        out.push(b'\t');
        uid(out, rng, b'F', 17);
        field(out, mime);
        out.push(b'\n');
    }
}
