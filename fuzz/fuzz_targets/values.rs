//! The value parsers and the escapes, against independent models: what Zeek writes always
//! parses to the value it was written from, and what parses agrees with the model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zeekframe::format::escape::{unescape, utf8_or_escaped};
use zeekframe::json::scan;
use zeekframe::columns::values::{
    parse_bool, parse_count, parse_double, parse_int, parse_micros, parse_port,
};

fuzz_target!(|input: &[u8]| {
    let Some((&which, rest)) = input.split_first() else {
        return;
    };
    // Arbitrary text: no panic, and whatever parses is what the standard library reads.
    arbitrary_text(rest);
    match which % 5 {
        0 => written_numbers(rest),
        1 => written_times(rest),
        2 => tsv_escapes(rest),
        3 => json_escapes(rest),
        _ => {
            let mut out = Vec::new();
            utf8_or_escaped(rest, &mut out);
            let text = std::str::from_utf8(&out).expect("utf8_or_escaped writes UTF-8");
            if let Ok(valid) = std::str::from_utf8(rest) {
                assert_eq!(text, valid, "valid UTF-8 is kept as it is");
            }
        }
    }
});

fn arbitrary_text(text: &[u8]) {
    let standard = std::str::from_utf8(text).ok();
    if let Some(value) = parse_count(text) {
        assert_eq!(standard.and_then(|t| t.parse::<u64>().ok()), Some(value));
    }
    if let Some(value) = parse_int(text) {
        assert_eq!(standard.and_then(|t| t.parse::<i64>().ok()), Some(value));
    }
    if let Some(value) = parse_port(text) {
        assert_eq!(standard.and_then(|t| t.parse::<u16>().ok()), Some(value));
    }
    if let Some(value) = parse_bool(text) {
        assert_eq!(text, if value { b"T" } else { b"F" });
    }
    let _ = parse_double(text);
    if let (Some(value), Some(model)) = (parse_micros(text), micros_model(text)) {
        assert_eq!(value, model, "{:?}", String::from_utf8_lossy(text));
    }
}

fn words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().expect("chunks of eight")))
}

fn written_numbers(bytes: &[u8]) {
    for word in words(bytes) {
        assert_eq!(parse_count(word.to_string().as_bytes()), Some(word));
        let signed = word as i64;
        assert_eq!(parse_int(signed.to_string().as_bytes()), Some(signed));
        let port = word as u16;
        assert_eq!(parse_port(port.to_string().as_bytes()), Some(port));
        let double = f64::from_bits(word);
        if double.is_finite() {
            for text in [
                format!("{double}"),
                format!("{double:.6}"),
                format!("{double:e}"),
            ] {
                assert_eq!(parse_double(text.as_bytes()), text.parse::<f64>().ok());
            }
        }
    }
}

/// Times as Zeek writes them (`%.6f` of the epoch seconds) parse to the exact microsecond.
fn written_times(bytes: &[u8]) {
    for word in words(bytes) {
        // Any time up to the year 33658 and back as far: twelve integer digits at most.
        let micros = (word as i64) % 1_000_000_000_000_000_000;
        let sign = if micros < 0 { "-" } else { "" };
        let magnitude = micros.unsigned_abs();
        let text = format!(
            "{sign}{}.{:06}",
            magnitude / 1_000_000,
            magnitude % 1_000_000
        );
        assert_eq!(parse_micros(text.as_bytes()), Some(micros), "{text}");
        let seconds = format!("{sign}{}", magnitude / 1_000_000);
        let whole = micros - micros % 1_000_000;
        assert_eq!(parse_micros(seconds.as_bytes()), Some(whole), "{seconds}");
    }
}

/// Exact microseconds of `[+-]digits[.digits]`, halves rounded away from zero; `None` for
/// other forms or more than 30 significant digits.
fn micros_model(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    if !integer
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let integer = integer.trim_start_matches('0');
    if integer.len() > 24 {
        return None;
    }
    let mut micros: i128 = if integer.is_empty() {
        0
    } else {
        integer.parse().ok()?
    };
    micros *= 1_000_000;
    let mut digits = fraction.bytes().chain(std::iter::repeat(b'0'));
    let mut scale = 100_000;
    for _ in 0..6 {
        micros += i128::from(digits.next()? - b'0') * scale;
        scale /= 10;
    }
    if fraction.len() > 6 && fraction.as_bytes()[6] >= b'5' {
        micros += 1;
    }
    i64::try_from(if negative { -micros } else { micros }).ok()
}

/// Zeek's ASCII escaping as a model: `\` as `\\`, any byte as `\xHH` where the input says so
/// (always for bytes that are not printable), the rest as they are.
fn tsv_escapes(bytes: &[u8]) {
    let (choices, value) = bytes.split_at(bytes.len() / 3);
    let mut escaped = Vec::new();
    for (i, &byte) in value.iter().enumerate() {
        let choice = choices.get(i / 8).map_or(0, |c| (c >> (i % 8)) & 1);
        if byte == b'\\' && choice == 0 {
            escaped.extend_from_slice(b"\\\\");
        } else if choice == 1 || !(0x20..0x7f).contains(&byte) || byte == b'\\' {
            let hex = if i % 2 == 0 {
                format!("\\x{byte:02x}")
            } else {
                format!("\\x{byte:02X}")
            };
            escaped.extend_from_slice(hex.as_bytes());
        } else {
            escaped.push(byte);
        }
    }
    assert_eq!(unescape(&escaped), value);
}

/// JSON string escapes as a model: every character either as it is (where JSON allows) or as
/// a `\uXXXX` escape (a surrogate pair past the BMP), or its short escape.
fn json_escapes(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut escaped = String::new();
    for (i, c) in text.chars().enumerate() {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '/' if i % 2 == 0 => Some("\\/"),
            _ => None,
        };
        if let Some(short) = short.filter(|_| i % 3 != 0) {
            escaped.push_str(short);
        } else if i % 3 == 0 || (c as u32) < 0x20 || c == '"' || c == '\\' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            escaped.push(c);
        }
    }
    let decoded = scan::unescape(escaped.as_bytes()).expect("well-formed escapes decode");
    // Text that is not UTF-8 after decoding keeps `\xHH`; the model writes only UTF-8.
    assert_eq!(decoded, text.as_ref());
}
