//! A set of IPv4 and IPv6 networks, as sorted, merged ranges of addresses: membership is a
//! binary search, however many networks there are.

use crate::error::{Error, Result};
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks {
    /// Inclusive address ranges, sorted, not overlapping nor touching.
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

fn merged<T: Ord + Copy>(mut ranges: Vec<(T, T)>, next: impl Fn(T) -> Option<T>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if next(last.1).is_none_or(|after| start <= after) => {
                last.1 = last.1.max(end);
            }
            _ => out.push((start, end)),
        }
    }
    out
}

fn find<T: Ord + Copy>(ranges: &[(T, T)], address: T) -> bool {
    let after = ranges.partition_point(|r| r.0 <= address);
    after > 0 && address <= ranges[after - 1].1
}

impl Networks {
    /// Networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or single addresses. Bits
    /// past the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as Zeek reads a subnet;
    /// a network of IPv4-mapped IPv6 addresses (`::ffff:0:0/96` and within) is the IPv4
    /// network it maps, since Zeek holds IPv4 addresses so.
    pub fn parse<S: AsRef<str>>(networks: &[S]) -> Result<Networks> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for text in networks {
            let text = text.as_ref();
            let network = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Error::parse(format!(
                        "{text:?} is not a network in CIDR notation (such as 10.0.0.0/8 or \
                         2001:db8::/32) nor an address"
                    ))
                })?;
            match network.trunc() {
                IpNet::V4(net) => v4.push((u32::from(net.network()), u32::from(net.broadcast()))),
                IpNet::V6(net) => {
                    let (start, end) = (u128::from(net.network()), u128::from(net.broadcast()));
                    let mapped = 0xffff_u128 << 32;
                    if net.prefix_len() >= 96 && start >> 32 == 0xffff {
                        v4.push(((start - mapped) as u32, (end - mapped) as u32));
                    } else {
                        if net.prefix_len() < 96 && start <= mapped && mapped <= end {
                            // A wider network holds all of IPv4 as mapped addresses.
                            v4.push((0, u32::MAX));
                        }
                        v6.push((start, end));
                    }
                }
            }
        }
        Ok(Networks {
            v4: merged(v4, |x: u32| x.checked_add(1)),
            v6: merged(v6, |x: u128| x.checked_add(1)),
        })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match address.to_canonical() {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }

    /// Whether the address in `text` is in one of the networks; None when `text` is not an
    /// address.
    pub fn contains_text(&self, text: &[u8]) -> Option<bool> {
        super::parse_addr(text).map(|a| self.contains(a))
    }

    /// The error of `function` for a value of `column` that is not an address.
    pub fn not_an_address(function: &str, column: &str, value: &[u8]) -> Error {
        Error::parse(format!(
            "{function}: column {column:?} holds a value that is not an IP address"
        ))
        .with_value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(networks: &[&str], address: &str) -> Option<bool> {
        Networks::parse(networks)
            .ok()?
            .contains_text(address.as_bytes())
    }

    #[test]
    fn v4_v6_and_many_networks() {
        let nets = [
            "192.168.0.0/16",
            "2001:dbb::/32",
            "10.1.2.3/8",
            "172.16.0.1",
        ];
        assert_eq!(member(&nets, "192.168.255.255"), Some(true));
        assert_eq!(member(&nets, "192.169.0.0"), Some(false));
        assert_eq!(member(&nets, "10.200.0.1"), Some(true));
        assert_eq!(member(&nets, "172.16.0.1"), Some(true));
        assert_eq!(member(&nets, "172.16.0.2"), Some(false));
        assert_eq!(member(&nets, "2001:dbb:ffff::1"), Some(true));
        assert_eq!(member(&nets, "2001:dbc::"), Some(false));
        assert_eq!(member(&nets, "::ffff:192.168.1.1"), Some(true));
        assert_eq!(member(&nets, "not an address"), None);
        assert_eq!(member(&["::ffff:10.0.0.0/104"], "10.9.9.9"), Some(true));
        assert_eq!(member(&["::/0"], "10.9.9.9"), Some(true));
        assert_eq!(member(&["0.0.0.0/0"], "::1"), Some(false));
        assert_eq!(
            member(&["0.0.0.0/0", "::/0"], "255.255.255.255"),
            Some(true)
        );
        assert!(Networks::parse(&["10.0.0.0/33"]).is_err());
        assert!(Networks::parse(&["10.0.0/8"]).is_err());
        assert!(Networks::parse(&[" 10.0.0.0/8"]).is_err());
        let empty: [&str; 0] = [];
        assert_eq!(member(&empty, "10.0.0.1"), Some(false));
    }

    #[test]
    fn ranges_merge_and_agree_with_a_loop() {
        // Touching, nested and overlapping networks, checked against comparing each one.
        let texts: Vec<String> = (0..200u32)
            .map(|i| {
                let a = i.wrapping_mul(2_654_435_761) >> 8 << 8;
                format!("{}/{}", std::net::Ipv4Addr::from(a), 8 + i % 25)
            })
            .collect();
        let networks = Networks::parse(&texts).unwrap_or_default();
        let nets: Vec<ipnet::Ipv4Net> = texts.iter().filter_map(|t| t.parse().ok()).collect();
        assert_eq!(nets.len(), 200);
        for k in 0..20_000u32 {
            let address = std::net::Ipv4Addr::from(k.wrapping_mul(214_013).wrapping_add(2_531_011));
            let expected = nets.iter().any(|n| n.trunc().contains(&address));
            assert_eq!(networks.contains(address.into()), expected, "{address}");
        }
    }
}
