//! conn.log rows like the MACCDC 2012 capture the report samples: most rows are one-packet
//! probes of a port scan (S0 or REJ, no durations or byte counts), the rest real
//! conversations dominated by a few heavy hitters (192.168.204.45 on 443, an IPv6 host on
//! 445, 192.168.202.110 on 443).

use super::text::{field, ipv4, micros, uid, uint};
use super::Rng;

/// 2012-03-16 12:30:00 UTC to 2012-03-17 21:00 UTC: the competition's span.
const START_US: u64 = 1_331_901_000_000_000;
const SPAN_US: u64 = 117_000_000_000;

pub(crate) const CLOSE: &str = "#close\t2012-03-17-21-00-00\n";

const FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t\
    duration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\t\
    orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tthreat\tsample";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\t\
    count\tstring\tbool\tcount\tstring\tcount\tcount\tcount\tcount\ttable[string]\tstring\t\
    string";

pub(crate) fn header() -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
         #path\tconn\n#open\t2012-03-16-12-30-00\n#fields\t{FIELDS}\n#types\t{TYPES}\n"
    )
}

const IPV6_HOST: &str = "2001:dbb:c18:202:20c:29ff:fe18:b667";

/// Scanning hosts and their share of the probes.
const SCANNERS: &[([u8; 4], f64)] = &[
    ([192, 168, 202, 110], 0.22),
    ([192, 168, 202, 83], 0.16),
    ([192, 168, 204, 45], 0.12),
    ([192, 168, 202, 138], 0.1),
    ([192, 168, 202, 140], 0.08),
    ([192, 168, 202, 108], 0.08),
    ([192, 168, 202, 79], 0.06),
    ([192, 168, 202, 76], 0.06),
    ([0, 0, 0, 0], 0.12), // any other host of the red team's network
];

/// Ports probes try: a sweep over all ports, a little more often the well-known ones. Each
/// (scanner, port) pair stays rare, as in the capture, where conversations top the counts.
const PROBED: &[(u16, f64)] = &[
    (80, 0.005),
    (445, 0.003),
    (22, 0.003),
    (21, 0.002),
    (23, 0.002),
    (25, 0.002),
    (139, 0.002),
    (3389, 0.002),
    (8080, 0.002),
    (53, 0.002),
    (1, 0.9),   // one of the first 1024 ports, where scanners look first
    (0, 0.075), // any port: a full sweep
];

/// Conversations: (origin, port, share); origin [0; 4] means any host. The five heavy
/// hitters come out in the report's order: 192.168.204.45 on 443, the IPv6 host on 445,
/// then 192.168.202.110, .140 and .108 on 443.
const TALKERS: &[([u8; 4], u16, f64)] = &[
    ([192, 168, 204, 45], 443, 0.043),
    ([0, 0, 0, 1], 445, 0.0425), // the IPv6 host
    ([192, 168, 202, 110], 443, 0.035),
    ([192, 168, 202, 140], 443, 0.0322),
    ([192, 168, 202, 108], 443, 0.0303),
    ([0, 0, 0, 0], 80, 0.55),
    ([0, 0, 0, 0], 53, 0.15),
    ([0, 0, 0, 0], 22, 0.05),
    ([0, 0, 0, 0], 0, 0.067),
];

/// Nearly all of the capture is scanning: one-packet probes.
const PROBE_SHARE: f64 = 0.95;

fn service(port: u16) -> &'static str {
    match port {
        80 | 8080 => "http",
        443 => "ssl",
        53 => "dns",
        22 => "ssh",
        21 => "ftp",
        25 => "smtp",
        _ => "-",
    }
}

fn any_host(rng: &mut Rng, third: u8) -> [u8; 4] {
    [192, 168, third, 1 + rng.below(254) as u8]
}

pub(crate) fn row(rng: &mut Rng, index: u64, rows: u64, out: &mut Vec<u8>) {
    // Evenly spread over the span, with jitter inside each row's slot: times never go back.
    let slot = SPAN_US / rows.max(1);
    micros(out, START_US + index * slot + rng.below(slot.max(1)));
    out.push(b'\t');
    uid(out, rng, b'C', 17);
    let probe = rng.chance(PROBE_SHARE);
    let (origin, port, ipv6) = if probe {
        let mut origin = rng.pick(SCANNERS);
        if origin == [0; 4] {
            origin = any_host(rng, 202);
        }
        let mut port = rng.pick(PROBED);
        match port {
            0 => port = 1 + rng.below(65535) as u16,
            1 => port = 1 + rng.below(1024) as u16,
            _ => {}
        }
        (origin, port, false)
    } else {
        let (origin, port, _) = TALKERS[pick_index(rng, TALKERS.iter().map(|t| t.2))];
        let port = if port == 0 {
            1024 + rng.below(64511) as u16
        } else {
            port
        };
        let ipv6 = origin == [0, 0, 0, 1];
        let third = 202 + rng.below(3) as u8;
        let origin = if origin == [0; 4] {
            any_host(rng, third)
        } else {
            origin
        };
        (origin, port, ipv6)
    };
    let udp = !probe && port == 53;
    out.push(b'\t');
    if ipv6 {
        out.extend_from_slice(IPV6_HOST.as_bytes());
    } else {
        ipv4(out, origin);
    }
    out.push(b'\t');
    uint(out, 1024 + rng.below(64511));
    out.push(b'\t');
    if ipv6 {
        out.extend_from_slice(b"2001:dbb:c18:202:20c:29ff:fe93:6a9");
    } else {
        let third = if rng.chance(0.6) {
            229
        } else {
            21 + rng.below(9) as u8
        };
        ipv4(out, any_host(rng, third));
    }
    out.push(b'\t');
    uint(out, u64::from(port));
    field(out, if udp { "udp" } else { "tcp" });
    if probe {
        let refused = rng.chance(0.4);
        // Unset service, duration and byte counts: Bro saw no payload.
        field(out, "-\t-\t-\t-");
        field(out, if refused { "REJ" } else { "S0" });
        field(out, "-\t0");
        field(out, if refused { "Sr" } else { "S" });
        field(
            out,
            if refused {
                "1\t44\t1\t40"
            } else {
                "1\t44\t0\t0"
            },
        );
    } else {
        field(out, service(port));
        out.push(b'\t');
        micros(out, rng.below(5_000_000));
        let (sent, received) = (40 + rng.below(2_000), 40 + rng.below(60_000));
        out.push(b'\t');
        uint(out, sent);
        out.push(b'\t');
        uint(out, received);
        let state = if udp {
            "SF"
        } else {
            rng.pick(&[("SF", 0.7), ("RSTO", 0.2), ("RSTR", 0.1)])
        };
        field(out, state);
        field(out, "-\t0");
        field(out, if udp { "Dd" } else { "ShADadfF" });
        let (orig_pkts, resp_pkts) = (1 + sent / 500, 1 + received / 1400);
        for (packets, bytes) in [(orig_pkts, sent), (resp_pkts, received)] {
            out.push(b'\t');
            uint(out, packets);
            out.push(b'\t');
            uint(out, bytes + packets * 52);
        }
    }
    field(out, "(empty)\t-\t-\n");
}

fn pick_index(rng: &mut Rng, weights: impl Iterator<Item = f64>) -> usize {
    let mut x = (rng.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    let mut last = 0;
    for (index, weight) in weights.enumerate() {
        if x < weight {
            return index;
        }
        x -= weight;
        last = index;
    }
    last
}
