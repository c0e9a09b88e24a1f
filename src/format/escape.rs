//! Zeek's ASCII escaping (`get_escaped_string` in Zeek's util.cc): a backslash is written as
//! `\\` and any byte that is not printable (or that would be read as a separator or marker) as
//! `\xHH`. Fields are split on the separator first and unescaped afterwards, so an escaped
//! separator stays inside its field.

/// Decode `\xHH` and `\\` in `raw`, appending to `out`. Any other backslash sequence is kept
/// verbatim: Zeek never writes one, and keeping it loses nothing.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'\\', &raw[i..]) {
        let at = i + offset;
        out.extend_from_slice(&raw[i..at]);
        match raw.get(at + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i = at + 2;
            }
            Some(b'x') => match (raw.get(at + 2).and_then(hex), raw.get(at + 3).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i = at + 4;
                }
                _ => {
                    out.push(b'\\');
                    i = at + 1;
                }
            },
            _ => {
                out.push(b'\\');
                i = at + 1;
            }
        }
    }
    out.extend_from_slice(&raw[i..]);
}

fn hex(byte: &u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Append `byte` as Zeek escapes it: `\x` and two lowercase hex digits.
pub fn push_hex(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(byte >> 4)],
        HEX[usize::from(byte & 15)],
    ]);
}

/// Make `bytes` valid UTF-8 without losing anything: every byte that is not part of a valid
/// UTF-8 sequence is written back as its `\xHH` escape, the form Zeek wrote it in.
pub fn utf8_or_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        for &byte in chunk.invalid() {
            push_hex(out, byte);
        }
    }
}

/// Make `bytes` valid UTF-8 in place, as `utf8_or_escaped` does; valid text is left as it is.
pub fn make_utf8(bytes: &mut Vec<u8>) {
    if std::str::from_utf8(bytes).is_err() {
        let raw = std::mem::take(bytes);
        utf8_or_escaped(&raw, bytes);
    }
}

/// Decode a header value written with escapes, such as `#separator \x09`.
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    unescape_into(raw, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hex_and_backslash() {
        assert_eq!(unescape(br"a\x2cb"), b"a,b");
        assert_eq!(unescape(br"\x09"), b"\t");
        assert_eq!(unescape(br"C:\\temp"), br"C:\temp");
        assert_eq!(unescape(br"\x2d"), b"-");
        assert_eq!(unescape(br"\xFF\xfe"), [0xff, 0xfe]);
    }

    #[test]
    fn escaped_backslash_before_x_is_not_a_hex_escape() {
        // `\\x41` is a backslash followed by the text "x41", not "A".
        assert_eq!(unescape(br"\\x41"), br"\x41");
    }

    #[test]
    fn keeps_incomplete_or_unknown_sequences() {
        assert_eq!(unescape(br"\x4"), br"\x4");
        assert_eq!(unescape(br"\xZZ"), br"\xZZ");
        assert_eq!(unescape(br"end\"), br"end\");
        assert_eq!(unescape(br"\n"), br"\n");
    }

    #[test]
    fn invalid_utf8_keeps_escaped_text() {
        let mut out = Vec::new();
        utf8_or_escaped(&[b'a', 0xff, b'b', 0xc3, 0xa9], &mut out);
        assert_eq!(out, "a\\xffb\u{e9}".as_bytes());
    }
}
