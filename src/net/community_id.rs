//! Community ID v1 (Corelight's flow-hashing spec): the same ID for a flow in Zeek, Suricata
//! and other tools, from its addresses, ports and protocol.
//!
//! `sha1(seed:u16be, src, dst, proto:u8, 0:u8, [sport:u16be, dport:u16be])`, base64 (or
//! hex) after `1:`, with the endpoints ordered so both directions give the same ID. For
//! ICMP and ICMPv6 the "ports" are the type and, as Zeek logs them, the counterpart type of
//! a request or reply, else the code; a message without a counterpart is one-way and never
//! reordered.

use base64::Engine;
use std::net::IpAddr;

pub const ICMP: u8 = 1;
pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMP6: u8 = 58;
pub const SCTP: u8 = 132;

/// One flow as a log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub orig: IpAddr,
    pub resp: IpAddr,
    pub orig_port: u16,
    pub resp_port: u16,
    /// The IP protocol number.
    pub proto: u8,
}

/// Whether an ICMP (`v6` false) or ICMPv6 message type has a request/reply counterpart.
fn has_counterpart(icmp_type: u16, v6: bool) -> bool {
    if v6 {
        matches!(
            icmp_type,
            128 | 129 | 130 | 131 | 133 | 134 | 135 | 136 | 139 | 140 | 144 | 145
        )
    } else {
        matches!(icmp_type, 0 | 8 | 9 | 10 | 13 | 14 | 15 | 16 | 17 | 18)
    }
}

fn octets(address: IpAddr) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    match address {
        IpAddr::V4(a) => {
            out[..4].copy_from_slice(&a.octets());
            (out, 4)
        }
        IpAddr::V6(a) => (a.octets(), 16),
    }
}

/// The Community ID of `flow`, appended to `out`; false (nothing appended) when the
/// endpoints are of different address families.
pub fn community_id(flow: &Flow, seed: u16, base64: bool, out: &mut String) -> bool {
    let orig = flow.orig.to_canonical();
    let resp = flow.resp.to_canonical();
    if orig.is_ipv4() != resp.is_ipv4() {
        return false;
    }
    let (mut src, len) = octets(orig);
    let (mut dst, _) = octets(resp);
    let (mut sport, mut dport) = (flow.orig_port, flow.resp_port);
    let has_ports = matches!(flow.proto, ICMP | TCP | UDP | ICMP6 | SCTP);
    let one_way = match flow.proto {
        ICMP => !has_counterpart(sport, false),
        ICMP6 => !has_counterpart(sport, true),
        _ => false,
    };
    let ordered = src[..len] < dst[..len] || (src[..len] == dst[..len] && sport < dport);
    if !one_way && !ordered {
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut sport, &mut dport);
    }
    let mut hash = sha1_smol::Sha1::new();
    hash.update(&seed.to_be_bytes());
    hash.update(&src[..len]);
    hash.update(&dst[..len]);
    hash.update(&[flow.proto, 0]);
    if has_ports {
        hash.update(&sport.to_be_bytes());
        hash.update(&dport.to_be_bytes());
    }
    let digest = hash.digest().bytes();
    out.push_str("1:");
    if base64 {
        base64::engine::general_purpose::STANDARD.encode_string(digest, out);
    } else {
        for byte in digest {
            out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(orig: &str, resp: &str, ports: (u16, u16), proto: u8, seed: u16, b64: bool) -> String {
        let flow = Flow {
            orig: orig.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            resp: resp.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            orig_port: ports.0,
            resp_port: ports.1,
            proto,
        };
        let mut out = String::new();
        community_id(&flow, seed, b64, &mut out);
        out
    }

    #[test]
    fn the_specs_tables() {
        // baseline/README.md of the spec: default settings, seed 1, hex.
        assert_eq!(
            id("1.2.3.4", "5.6.7.8", (1122, 3344), TCP, 0, true),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            id("5.6.7.8", "1.2.3.4", (3344, 1122), TCP, 0, true),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        assert_eq!(
            id("1.2.3.4", "5.6.7.8", (1122, 3344), UDP, 0, true),
            "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="
        );
        assert_eq!(
            id("1.2.3.4", "5.6.7.8", (1122, 3344), SCTP, 0, true),
            "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="
        );
        assert_eq!(
            id("1.2.3.4", "5.6.7.8", (8, 0), ICMP, 0, true),
            "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="
        );
        assert_eq!(
            id("5.6.7.8", "1.2.3.4", (0, 8), ICMP, 0, true),
            "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="
        );
        assert_eq!(
            id("1.2.3.4", "5.6.7.8", (11, 0), ICMP, 0, true),
            "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="
        );
        assert_eq!(
            id(
                "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
                "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
                (128, 129),
                ICMP6,
                0,
                true
            ),
            "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="
        );
        assert_eq!(
            id("10.1.12.1", "10.1.12.2", (0, 0), 46, 0, true),
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="
        );
        // Mixed families have no ID.
        assert_eq!(id("10.1.12.1", "::1", (1, 2), TCP, 0, true), "");
    }
}
