//! Rows as Zeek's ASCII writer prints them (src/threading/formatters/Ascii.cc, src/Desc.cc,
//! with `LogAscii::enable_utf_8`, Zeek's default since 6.0): the markers of the header, `\\`
//! for a backslash, `\xHH` for control bytes and for the separator (and the set separator
//! inside a set), the first byte of a value that reads as a marker escaped, and a line that
//! would start with `#` starting with `\x23`.

use super::cells::{Cells, Values};
use super::numbers::{push_fixed_micros, push_i64, push_u64, push_zeek_double};
use crate::format::escape::push_hex;
use crate::format::header::Markers;

/// The markers, with a table of the bytes that start an escape.
pub struct Escaper {
    pub markers: Markers,
    /// Bytes that need a look outside sets: control bytes, `\`, the separator's first byte.
    special: [bool; 256],
    /// The same inside a set or vector: also the set separator's first byte.
    special_in_set: [bool; 256],
}

impl Escaper {
    pub fn new(markers: Markers) -> Escaper {
        let mut special = [false; 256];
        for (byte, slot) in special.iter_mut().enumerate() {
            *slot = byte < 0x20 || byte == 0x7f || byte == usize::from(b'\\');
        }
        if let Some(&first) = markers.separator.first() {
            special[usize::from(first)] = true;
        }
        let mut special_in_set = special;
        if let Some(&first) = markers.set_separator.first() {
            special_in_set[usize::from(first)] = true;
        }
        Escaper {
            markers,
            special,
            special_in_set,
        }
    }

    /// One string value. `in_set` adds the set separator to what is escaped. `utf8` says the
    /// bytes are known to be UTF-8; otherwise invalid sequences are written as `\xHH`.
    pub fn push_text(&self, out: &mut Vec<u8>, value: &[u8], in_set: bool, utf8: bool) {
        let m = &self.markers;
        if value.is_empty() {
            out.extend_from_slice(&m.empty_field);
            return;
        }
        if value == m.unset_field.as_slice() || value == m.empty_field.as_slice() {
            push_hex(out, value[0]);
            self.push_escaped(out, &value[1..], in_set, utf8);
            return;
        }
        self.push_escaped(out, value, in_set, utf8);
    }

    fn push_escaped(&self, out: &mut Vec<u8>, value: &[u8], in_set: bool, utf8: bool) {
        let special = if in_set {
            &self.special_in_set
        } else {
            &self.special
        };
        let separator = self.markers.separator.as_slice();
        let set_separator = self.markers.set_separator.as_slice();
        let mut plain_from = 0;
        let mut at = 0;
        while at < value.len() {
            let byte = value[at];
            if byte < 0x80 && !special[usize::from(byte)] {
                at += 1;
                continue;
            }
            let sequence = if byte >= 0x80 {
                if utf8 {
                    at += 1;
                    continue;
                }
                match utf8_char_len(&value[at..]) {
                    Some(len) => {
                        at += len;
                        continue;
                    }
                    None => 1,
                }
            } else if byte == b'\\' {
                0
            } else if value[at..].starts_with(separator) {
                separator.len()
            } else if in_set && value[at..].starts_with(set_separator) {
                set_separator.len()
            } else if byte < 0x20 || byte == 0x7f {
                1
            } else {
                // The first byte of a longer separator, not followed by the rest of it.
                at += 1;
                continue;
            };
            out.extend_from_slice(&value[plain_from..at]);
            if sequence == 0 {
                out.extend_from_slice(b"\\\\");
                at += 1;
            } else {
                for &b in &value[at..at + sequence] {
                    push_hex(out, b);
                }
                at += sequence;
            }
            plain_from = at;
        }
        out.extend_from_slice(&value[plain_from..]);
    }

    /// One cell of a column; returns true when the cell is a set or vector holding just one
    /// empty string, which Zeek's format prints as `(empty)`, the same as an empty set, or
    /// just one unset element, printed as the unset field, the same as an unset set.
    pub fn push_cell(&self, out: &mut Vec<u8>, cells: &Cells<'_>, row: usize) -> bool {
        if cells.is_null(row) {
            out.extend_from_slice(&self.markers.unset_field);
            return false;
        }
        match &cells.values {
            Values::List { bounds, elements } => {
                let (start, end) = bounds(row);
                if start == end {
                    out.extend_from_slice(&self.markers.empty_field);
                    return false;
                }
                for element in start..end {
                    if element > start {
                        out.extend_from_slice(&self.markers.set_separator);
                    }
                    self.push_scalar(out, elements, element, true);
                }
                end - start == 1 && (elements.is_null(start) || is_empty_text(elements, start))
            }
            _ => {
                self.push_scalar(out, cells, row, false);
                false
            }
        }
    }

    fn push_scalar(&self, out: &mut Vec<u8>, cells: &Cells<'_>, row: usize, in_set: bool) {
        if cells.is_null(row) {
            out.extend_from_slice(&self.markers.unset_field);
            return;
        }
        match &cells.values {
            Values::Null => out.extend_from_slice(&self.markers.unset_field),
            Values::Bool(array) => out.push(if array.value(row) { b'T' } else { b'F' }),
            Values::Unsigned(get) => push_u64(out, get(row)),
            Values::Signed(get) => push_i64(out, get(row)),
            Values::Float(get) => push_zeek_double(out, get(row)),
            Values::Micros(get) => push_fixed_micros(out, get(row)),
            Values::Text { get, utf8 } => self.push_text(out, get(row), in_set, *utf8),
            // Nested lists are refused when the cells are built.
            Values::List { .. } => out.extend_from_slice(&self.markers.unset_field),
        }
    }

    /// The row `row` of `columns` and its line end. A line that would start with `#` (which
    /// a reader takes for a header line) starts with `\x23` instead.
    pub fn push_row(&self, out: &mut Vec<u8>, columns: &[Cells<'_>], row: usize) -> u64 {
        let start = out.len();
        let mut ambiguous = 0;
        for (i, cells) in columns.iter().enumerate() {
            if i > 0 {
                self.guard_separator(out);
                out.extend_from_slice(&self.markers.separator);
            }
            ambiguous += u64::from(self.push_cell(out, cells, row));
        }
        if out.get(start) == Some(&b'#') {
            out.splice(start..start + 1, *b"\\x23");
        }
        out.push(b'\n');
        ambiguous
    }
}

impl Escaper {
    /// Before a separator of several bytes, such as `||`: a value that ends with the
    /// separator's first bytes (`a|`) would make the line split early (`a|||b`). Those bytes
    /// are escaped. They are the value's own bytes, since separators hold no escape
    /// characters (`check_markers`).
    fn guard_separator(&self, out: &mut Vec<u8>) {
        let separator = self.markers.separator.as_slice();
        for k in 1..separator.len() {
            let overlaps = separator[k..] == separator[..separator.len() - k];
            if overlaps && out.ends_with(&separator[..k]) {
                let start = out.len() - k;
                let tail: Vec<u8> = out.split_off(start);
                for byte in tail {
                    push_hex(out, byte);
                }
                return;
            }
        }
    }
}

fn is_empty_text(cells: &Cells<'_>, row: usize) -> bool {
    !cells.is_null(row) && matches!(&cells.values, Values::Text { get, .. } if get(row).is_empty())
}

/// The length of the UTF-8 character at the start of `bytes`, if it is a valid one.
pub fn utf8_char_len(bytes: &[u8]) -> Option<usize> {
    let len = match bytes.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let candidate = bytes.get(..len)?;
    std::str::from_utf8(candidate).ok().map(|_| len)
}

/// A header value as Zeek writes it (`util::get_escaped_string(s, false)`): spaces, control
/// and non-ASCII bytes as `\xHH`, a backslash as `\\`.
pub fn escape_header_value(value: &[u8], out: &mut Vec<u8>) {
    for &byte in value {
        if byte == b'\\' {
            out.extend_from_slice(b"\\\\");
        } else if byte.is_ascii_graphic() {
            out.push(byte);
        } else {
            push_hex(out, byte);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, ListArray, StringArray};
    use std::sync::Arc;

    fn escaped(value: &[u8], in_set: bool, utf8: bool) -> String {
        let escaper = Escaper::new(Markers::default());
        let mut out = Vec::new();
        escaper.push_text(&mut out, value, in_set, utf8);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn escapes_as_zeek() {
        assert_eq!(escaped(b"", false, true), "(empty)");
        assert_eq!(escaped(b"-", false, true), "\\x2d");
        assert_eq!(escaped(b"(empty)", false, true), "\\x28empty)");
        assert_eq!(escaped(b"--", false, true), "--");
        assert_eq!(escaped(b"a\tb", false, true), "a\\x09b");
        assert_eq!(escaped(b"a,b", false, true), "a,b");
        assert_eq!(escaped(b"a,b", true, true), "a\\x2cb");
        assert_eq!(
            escaped(b"foo \n\t\0 bar", false, true),
            "foo \\x0a\\x09\\x00 bar"
        );
        assert_eq!(escaped(b"a\\xffb", false, true), "a\\\\xffb");
        assert_eq!(escaped("caf\u{e9}".as_bytes(), false, true), "caf\u{e9}");
        assert_eq!(escaped(b"\x7f", false, true), "\\x7f");
        assert_eq!(
            escaped(b"AB\xffCD\xc2\xae", false, false),
            "AB\\xffCD\u{ae}"
        );
        assert_eq!(escaped(b"\xe2\x82", false, false), "\\xe2\\x82");
    }

    #[test]
    fn escapes_a_long_separator_only_whole() {
        let markers = Markers {
            separator: b"||".to_vec(),
            ..Markers::default()
        };
        let escaper = Escaper::new(markers);
        let mut out = Vec::new();
        escaper.push_text(&mut out, b"fa||ure|x", false, true);
        assert_eq!(out, b"fa\\x7c\\x7cure|x");
        let column: ArrayRef = Arc::new(StringArray::from(vec!["a|"]));
        let cells = super::super::cells::cells(&column, "a").unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        escaper.push_row(&mut out, &[cells], 0);
        let cells = super::super::cells::cells(&column, "a").unwrap_or_else(|e| panic!("{e}"));
        let cells2 = super::super::cells::cells(&column, "b").unwrap_or_else(|e| panic!("{e}"));
        out.clear();
        escaper.push_row(&mut out, &[cells, cells2], 0);
        assert_eq!(out, b"a\\x7c||a|\n");
    }

    #[test]
    fn rows_starting_with_a_hash_and_ambiguous_sets() {
        let escaper = Escaper::new(Markers::default());
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("#Kaputt"), None]));
        let sets: ArrayRef = Arc::new(ListArray::from_iter_primitive::<
            arrow_array::types::Int64Type,
            _,
            _,
        >(vec![Some(vec![Some(1)]), Some(vec![])]));
        let strings =
            arrow_array::builder::ListBuilder::new(arrow_array::builder::StringBuilder::new());
        let mut strings = strings;
        strings.values().append_value("");
        strings.append(true);
        strings.values().append_value("");
        strings.values().append_value("-");
        strings.append(true);
        let strings: ArrayRef = Arc::new(strings.finish());
        let columns = [
            super::super::cells::cells(&text, "t").unwrap_or_else(|e| panic!("{e}")),
            super::super::cells::cells(&sets, "s").unwrap_or_else(|e| panic!("{e}")),
            super::super::cells::cells(&strings, "v").unwrap_or_else(|e| panic!("{e}")),
        ];
        let mut out = Vec::new();
        assert_eq!(escaper.push_row(&mut out, &columns, 0), 1);
        assert_eq!(escaper.push_row(&mut out, &columns, 1), 0);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "\\x23Kaputt\t1\t(empty)\n-\t(empty)\t(empty),\\x2d\n"
        );
    }
}
