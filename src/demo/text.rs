//! Formatting numbers and identifiers straight into the output buffer.

use super::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[inline]
pub(crate) fn uint(out: &mut Vec<u8>, value: u64) {
    crate::write::numbers::push_u64(out, value);
}

/// Microseconds as Zeek writes times and intervals: seconds, a dot and six decimals.
#[inline]
pub(crate) fn micros(out: &mut Vec<u8>, value: u64) {
    crate::write::numbers::push_fixed_micros(out, i128::from(value));
}

/// A Zeek unique id: a prefix letter and base-62 characters.
#[inline]
pub(crate) fn uid(out: &mut Vec<u8>, rng: &mut Rng, prefix: u8, length: usize) {
    out.push(prefix);
    let mut bits = rng.next();
    for i in 0..length {
        if i % 10 == 9 {
            bits = rng.next();
        }
        out.push(BASE62[(bits % 62) as usize]);
        bits /= 62;
    }
}

/// An IPv4 address `a.b.c.d`.
#[inline]
pub(crate) fn ipv4(out: &mut Vec<u8>, octets: [u8; 4]) {
    for (i, octet) in octets.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        uint(out, u64::from(*octet));
    }
}

#[inline]
pub(crate) fn field(out: &mut Vec<u8>, text: &str) {
    out.push(b'\t');
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut out = Vec::new();
        uint(&mut out, 0);
        out.push(b' ');
        uint(&mut out, u64::MAX);
        out.push(b' ');
        micros(&mut out, 1_331_901_000_000_129);
        out.push(b' ');
        ipv4(&mut out, [192, 168, 0, 10]);
        assert_eq!(
            out,
            b"0 18446744073709551615 1331901000.000129 192.168.0.10"
        );
        let mut id = Vec::new();
        uid(&mut id, &mut Rng::new(1, 1), b'C', 17);
        assert_eq!(id.len(), 18);
        assert!(id[1..].iter().all(u8::is_ascii_alphanumeric));
    }
}
