//! IP addresses as analysts use them: membership in a set of networks (`in_subnet`) and the
//! Community ID of a flow.

pub mod community_id;
pub mod subnet;

pub use community_id::{community_id, Flow};
pub use subnet::Networks;

use std::net::IpAddr;

/// An address from its text as Zeek writes it; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
/// is the IPv4 address, as Zeek holds it.
pub fn parse_addr(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text).ok()?;
    text.parse::<IpAddr>().ok().map(|a| a.to_canonical())
}
