//! The `#` header block of a Zeek ASCII log (Zeek's `Ascii::WriteHeader`):
//!
//! ```text
//! #separator \x09
//! #set_separator<sep>,
//! #empty_field<sep>(empty)
//! #unset_field<sep>-
//! #path<sep>conn
//! #open<sep>2019-01-01-00-00-00
//! #fields<sep>ts<sep>uid<sep>...
//! #types<sep>time<sep>string<sep>...
//! ```
//!
//! `#separator` is followed by a space and an escaped value; every other line uses the
//! separator it declares. A rotated log may hold several blocks, each restarting the header.

use crate::error::{Error, Result};
use crate::format::escape::unescape;

/// The markers a data line is read with; all of them come from the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markers {
    pub separator: Vec<u8>,
    pub set_separator: Vec<u8>,
    pub empty_field: Vec<u8>,
    pub unset_field: Vec<u8>,
}

impl Default for Markers {
    /// What Zeek writes unless configured otherwise; also used for headerless logs.
    fn default() -> Self {
        Markers {
            separator: b"\t".to_vec(),
            set_separator: b",".to_vec(),
            empty_field: b"(empty)".to_vec(),
            unset_field: b"-".to_vec(),
        }
    }
}

/// The header lines seen so far in the current block.
#[derive(Debug, Clone, Default)]
pub struct HeaderState {
    pub markers: Markers,
    pub path: Option<String>,
    pub fields: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
    /// Set when a header line changed something since the last data line, so the reader
    /// knows to build a new block schema.
    pub changed: bool,
    /// A Zeek header line has been read (not only comments).
    pub seen: bool,
}

impl HeaderState {
    /// Apply one header line (without its line end). Lines that start with `#` but are not
    /// Zeek header keys (comments, test-suite banners) are metadata and ignored.
    pub fn apply(&mut self, line: &[u8]) -> Result<()> {
        if let Some(rest) = line.strip_prefix(b"#separator") {
            let value = match rest.first() {
                Some(b' ') | Some(b'\t') => &rest[1..],
                _ => rest,
            };
            let separator = decode_separator(value);
            if separator.is_empty() {
                return Err(
                    Error::header("#separator declares an empty separator").with_value(line)
                );
            }
            if separator.contains(&b'\n') || separator.contains(&0) {
                return Err(Error::header(
                    "#separator declares a separator that cannot delimit fields",
                )
                .with_value(line));
            }
            // A new #separator starts a new block: forget the previous block's layout.
            *self = HeaderState {
                markers: Markers {
                    separator,
                    ..Markers::default()
                },
                changed: true,
                seen: true,
                ..HeaderState::default()
            };
            return Ok(());
        }
        self.check_known_key_uses_separator(line)?;
        let Some((key, value)) = self.split_key(line) else {
            return Ok(());
        };
        // Single values are the whole rest of the line, escaped like data (Zeek writes a
        // `,` set separator under a `,` separator as `\x2c`, and non-ASCII bytes as `\xHH`).
        match key {
            b"set_separator" => self.markers.set_separator = unescape(value),
            b"empty_field" => self.markers.empty_field = unescape(value),
            b"unset_field" => self.markers.unset_field = unescape(value),
            b"path" => self.path = Some(String::from_utf8_lossy(&unescape(value)).into_owned()),
            b"fields" => self.fields = Some(self.names(value)),
            b"types" => self.types = Some(self.names(value)),
            _ => return Ok(()),
        }
        self.changed = true;
        self.seen = true;
        Ok(())
    }

    /// Split `#key<sep>rest` into the key and the rest of the line.
    fn split_key<'a>(&self, line: &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
        let body = line.strip_prefix(b"#")?;
        let separator = &self.markers.separator;
        Some(match memchr::memmem::find(body, separator) {
            Some(at) => (&body[..at], &body[at + separator.len()..]),
            None => (body, &body[body.len()..]),
        })
    }

    fn names(&self, value: &[u8]) -> Vec<String> {
        split(value, &self.markers.separator)
            .into_iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// A header key written without the declared separator, e.g. `#fields\ta` under
    /// `#separator \x00`.
    fn check_known_key_uses_separator(&self, line: &[u8]) -> Result<()> {
        for key in [
            "fields",
            "types",
            "set_separator",
            "empty_field",
            "unset_field",
            "path",
        ] {
            let Some(rest) = line
                .strip_prefix(b"#")
                .and_then(|l| l.strip_prefix(key.as_bytes()))
            else {
                continue;
            };
            if !rest.is_empty() && !rest.starts_with(&self.markers.separator) {
                return Err(Error::header(format!(
                    "#{key} is not followed by the declared separator {:?}",
                    String::from_utf8_lossy(&self.markers.separator)
                ))
                .with_value(line));
            }
        }
        Ok(())
    }
}

/// `#separator` values are escaped (`\x09`); a few hand-written logs use C's `\t`.
fn decode_separator(value: &[u8]) -> Vec<u8> {
    match value {
        b"\\t" => b"\t".to_vec(),
        _ => unescape(value),
    }
}

/// Split on a separator of any length.
pub fn split<'a>(text: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    if separator.is_empty() {
        return vec![text];
    }
    for at in memchr::memmem::find_iter(text, separator) {
        if at < start {
            continue;
        }
        parts.push(&text[start..at]);
        start = at + separator.len();
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> Result<HeaderState> {
        let mut state = HeaderState::default();
        for line in lines {
            state.apply(line.as_bytes())?;
        }
        Ok(state)
    }

    #[test]
    fn reads_a_standard_header() -> Result<()> {
        let state = read(&[
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tconn",
            "#open\t2019-01-01-00-00-00",
            "#fields\tts\tuid\tid.orig_h",
            "#types\ttime\tstring\taddr",
        ])?;
        assert_eq!(state.markers, Markers::default());
        assert_eq!(state.path.as_deref(), Some("conn"));
        assert_eq!(
            state.fields,
            Some(vec!["ts".into(), "uid".into(), "id.orig_h".into()])
        );
        assert_eq!(
            state.types,
            Some(vec!["time".into(), "string".into(), "addr".into()])
        );
        Ok(())
    }

    #[test]
    fn markers_come_from_the_header() -> Result<()> {
        let state = read(&[
            "#separator \\x7c",
            "#set_separator|;",
            "#empty_field|EMPTY",
            "#unset_field|NONE",
            "#fields|a|b",
            "#types|set[string]|count",
        ])?;
        assert_eq!(state.markers.separator, b"|");
        assert_eq!(state.markers.set_separator, b";");
        assert_eq!(state.markers.empty_field, b"EMPTY");
        assert_eq!(state.markers.unset_field, b"NONE");
        assert_eq!(state.fields, Some(vec!["a".into(), "b".into()]));
        Ok(())
    }

    #[test]
    fn multi_byte_separator() -> Result<()> {
        let state = read(&["#separator \\x7c\\x7c", "#fields||a||b||c"])?;
        assert_eq!(state.markers.separator, b"||");
        assert_eq!(state.fields, Some(vec!["a".into(), "b".into(), "c".into()]));
        Ok(())
    }

    #[test]
    fn single_values_are_the_rest_of_the_line_unescaped() -> Result<()> {
        let state = read(&[
            "#separator ,",
            "#set_separator,,",
            "#empty_field,(empty)",
            "#fields,a,b",
        ])?;
        assert_eq!(state.markers.set_separator, b",");
        assert_eq!(state.fields, Some(vec!["a".into(), "b".into()]));
        let state = read(&["#separator \\x09", "#set_separator\t\\xc2\\xae"])?;
        assert_eq!(state.markers.set_separator, "\u{ae}".as_bytes());
        Ok(())
    }

    #[test]
    fn c_style_tab_separator() -> Result<()> {
        let state = read(&["#separator \\t", "#fields\ta\tb"])?;
        assert_eq!(state.markers.separator, b"\t");
        Ok(())
    }

    #[test]
    fn a_new_separator_starts_a_new_block() -> Result<()> {
        let state = read(&[
            "#separator \\x09",
            "#fields\ta",
            "#types\tcount",
            "#separator \\x09",
        ])?;
        assert_eq!(state.fields, None);
        Ok(())
    }

    #[test]
    fn rejects_broken_separators() {
        assert!(read(&["#separator "]).is_err());
        let err = read(&["#separator \\x00", "#fields\ta"]);
        assert!(err.is_err(), "a NUL separator cannot split lines");
    }

    #[test]
    fn ignores_foreign_comment_lines() -> Result<()> {
        let state = read(&[
            "### BTest baseline data generated by btest-diff",
            "#close\tXXXX",
        ])?;
        assert_eq!(state.fields, None);
        Ok(())
    }

    #[test]
    fn split_handles_edges() {
        assert_eq!(split(b"a\tb\t", b"\t"), vec![&b"a"[..], b"b", b""]);
        assert_eq!(split(b"a||b", b"||"), vec![&b"a"[..], b"b"]);
        assert_eq!(split(b"", b"\t"), vec![&b""[..]]);
    }
}
