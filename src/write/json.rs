//! Rows as Zeek's JSON writer prints them (src/threading/formatters/JSON.cc): one object per
//! line, keys in column order and with their dots, unset fields left out, sets and vectors as
//! arrays, doubles as rapidjson prints them, times as epoch seconds, ISO-8601 or milliseconds.
//!
//! One deliberate difference: Zeek's default string policy writes a control byte as the text
//! `\xHH`, which no JSON reader turns back into the byte; here control bytes are JSON's own
//! `\u00HH` escapes, so a string reads back exactly. Bytes of a binary column that are not
//! UTF-8 are written as the text `\xHH`, as the TSV reader keeps them.

use super::cells::{Cells, Values};
use super::numbers::{push_i64, push_iso8601, push_json_double, push_trimmed_micros, push_u64};
use super::tsv::utf8_char_len;

/// How a `time` column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonTime {
    /// Seconds since the epoch (`JSON::TS_EPOCH`, Zeek's default).
    Epoch,
    /// `2012-03-16T12:30:00.000129Z` (`JSON::TS_ISO8601`).
    Iso8601,
    /// Whole milliseconds since the epoch (`JSON::TS_MILLIS`).
    Millis,
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// A JSON string: quotes, `\"`, `\\`, the short escapes and `\u00HH` for other control bytes.
pub fn push_string(out: &mut Vec<u8>, value: &[u8], utf8: bool) {
    out.push(b'"');
    let mut plain_from = 0;
    let mut at = 0;
    while at < value.len() {
        let byte = value[at];
        if byte >= 0x80 {
            if utf8 {
                at += 1;
                continue;
            }
            if let Some(len) = utf8_char_len(&value[at..]) {
                at += len;
                continue;
            }
            // The text `\xHH` (its backslash escaped for JSON), as the TSV writer escapes it.
            out.extend_from_slice(&value[plain_from..at]);
            out.push(b'\\');
            crate::format::escape::push_hex(out, byte);
            at += 1;
            plain_from = at;
            continue;
        }
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => {
                at += 1;
                continue;
            }
        };
        out.extend_from_slice(&value[plain_from..at]);
        if escape.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_UPPER[usize::from(byte >> 4)],
                HEX_UPPER[usize::from(byte & 15)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        at += 1;
        plain_from = at;
    }
    out.extend_from_slice(&value[plain_from..]);
    out.push(b'"');
}

pub struct JsonRows {
    /// `"name":` of each column, escaped once.
    keys: Vec<Vec<u8>>,
    /// Whether each column is a time (as opposed to an interval, written as seconds).
    times: Vec<bool>,
    pub time_format: JsonTime,
    pub include_unset: bool,
}

impl JsonRows {
    pub fn new(
        names: &[String],
        times: Vec<bool>,
        time_format: JsonTime,
        include_unset: bool,
    ) -> Self {
        let keys = names
            .iter()
            .map(|name| {
                let mut key = Vec::with_capacity(name.len() + 3);
                push_string(&mut key, name.as_bytes(), true);
                key.push(b':');
                key
            })
            .collect();
        JsonRows {
            keys,
            times,
            time_format,
            include_unset,
        }
    }

    /// The row `row` of `columns` and its line end; returns how many NaN or infinite doubles
    /// it held, which JSON cannot (written `null`, as Zeek does).
    pub fn push_row(&self, out: &mut Vec<u8>, columns: &[Cells<'_>], row: usize) -> u64 {
        let mut non_finite = 0;
        out.push(b'{');
        let mut first = true;
        for (i, cells) in columns.iter().enumerate() {
            let unset = cells.is_null(row);
            if unset && !self.include_unset {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&self.keys[i]);
            if unset {
                out.extend_from_slice(b"null");
                continue;
            }
            match &cells.values {
                Values::List { bounds, elements } => {
                    let (start, end) = bounds(row);
                    out.push(b'[');
                    for element in start..end {
                        if element > start {
                            out.push(b',');
                        }
                        non_finite += self.push_scalar(out, elements, element, self.times[i]);
                    }
                    out.push(b']');
                }
                _ => non_finite += self.push_scalar(out, cells, row, self.times[i]),
            }
        }
        out.extend_from_slice(b"}\n");
        non_finite
    }

    fn push_scalar(&self, out: &mut Vec<u8>, cells: &Cells<'_>, row: usize, time: bool) -> u64 {
        if cells.is_null(row) {
            out.extend_from_slice(b"null");
            return 0;
        }
        match &cells.values {
            Values::Null | Values::List { .. } => out.extend_from_slice(b"null"),
            Values::Bool(array) => {
                out.extend_from_slice(if array.value(row) { b"true" } else { b"false" })
            }
            Values::Unsigned(get) => push_u64(out, get(row)),
            Values::Signed(get) => push_i64(out, get(row)),
            Values::Float(get) => {
                let value = get(row);
                push_json_double(out, value);
                return u64::from(!value.is_finite());
            }
            Values::Micros(get) => {
                let micros = get(row);
                match (time, self.time_format) {
                    (true, JsonTime::Iso8601) => {
                        out.push(b'"');
                        push_iso8601(out, micros);
                        out.push(b'"');
                    }
                    (true, JsonTime::Millis) => {
                        // Truncated toward zero, as Zeek's `int64(t * 1000)`.
                        let millis = micros / 1000;
                        match i64::try_from(millis) {
                            Ok(millis) => push_i64(out, millis),
                            Err(_) => push_trimmed_micros(out, micros),
                        }
                    }
                    _ => push_trimmed_micros(out, micros),
                }
            }
            Values::Text { get, utf8 } => push_string(out, get(row), *utf8),
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(value: &[u8], utf8: bool) -> String {
        let mut out = Vec::new();
        push_string(&mut out, value, utf8);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_escape_as_json() {
        assert_eq!(string(b"a\"b\\c", true), r#""a\"b\\c""#);
        assert_eq!(
            string(b"\n\t\x00\x1f\x7f", true),
            "\"\\n\\t\\u0000\\u001F\x7f\""
        );
        assert_eq!(string("\u{e9}".as_bytes(), true), "\"\u{e9}\"");
        assert_eq!(string(b"\xff\xc2\xae", false), "\"\\\\xff\u{ae}\"");
        assert_eq!(string(b"id.orig_h", true), "\"id.orig_h\"");
    }
}
