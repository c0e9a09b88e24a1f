//! A JSON object line split into its members, without building a tree: each value is a kind
//! and a span of the line, converted later only if its column is wanted.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool(bool),
    Number,
    /// The span is the text between the quotes, escapes not yet decoded.
    String {
        escaped: bool,
    },
    /// The span includes the brackets or braces.
    Array,
    Object,
}

#[derive(Debug, Clone, Copy)]
pub struct Value {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Where a line stops being JSON: the byte offset (0-based) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: &'static str,
}

fn error<T>(at: usize, message: &'static str) -> Result<T, SyntaxError> {
    Err(SyntaxError { at, message })
}

struct Cursor<'a> {
    line: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn skip_space(&mut self) {
        while self.at < self.line.len() && matches!(self.line[self.at], b' ' | b'\t' | b'\r') {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.line.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), SyntaxError> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            error(self.at, message)
        }
    }

    /// A string starting at the opening quote: the span between the quotes.
    fn string(&mut self) -> Result<Value, SyntaxError> {
        let start = self.at + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.line[at..]) {
                None => return error(self.line.len(), "a string that does not end"),
                Some(i) if self.line[at + i] == b'"' => {
                    self.at = at + i + 1;
                    return Ok(Value {
                        kind: Kind::String { escaped },
                        start,
                        end: at + i,
                    });
                }
                Some(i) => {
                    escaped = true;
                    at += i + 2;
                    if at > self.line.len() {
                        return error(self.line.len(), "a string that does not end");
                    }
                }
            }
        }
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        self.skip_space();
        let start = self.at;
        let Some(first) = self.peek() else {
            return error(start, "a value");
        };
        match first {
            b'"' => self.string(),
            b'{' | b'[' => {
                self.nested()?;
                let kind = if first == b'{' {
                    Kind::Object
                } else {
                    Kind::Array
                };
                Ok(Value {
                    kind,
                    start,
                    end: self.at,
                })
            }
            b't' | b'f' | b'n' => {
                let (word, kind): (&[u8], Kind) = match first {
                    b't' => (b"true", Kind::Bool(true)),
                    b'f' => (b"false", Kind::Bool(false)),
                    _ => (b"null", Kind::Null),
                };
                if !self.line[start..].starts_with(word) {
                    return error(start, "true, false or null");
                }
                self.at += word.len();
                Ok(Value {
                    kind,
                    start,
                    end: self.at,
                })
            }
            b'-' | b'0'..=b'9' => {
                let end = self.line[start..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(self.line.len(), |i| start + i);
                self.at = end;
                Ok(Value {
                    kind: Kind::Number,
                    start,
                    end,
                })
            }
            _ => error(start, "a value"),
        }
    }

    /// Skip a nested array or object, strings included.
    fn nested(&mut self) -> Result<(), SyntaxError> {
        let mut depth = 0usize;
        while let Some(byte) = self.peek() {
            match byte {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
        error(self.line.len(), "the end of an array or object")
    }
}

/// Split one object line into `(key, value)` pairs, in order. `key` is the raw key text.
pub fn members<'a>(line: &'a [u8], out: &mut Vec<(&'a [u8], Value)>) -> Result<(), SyntaxError> {
    out.clear();
    let mut cursor = Cursor { line, at: 0 };
    cursor.expect(b'{', "'{' to open the object")?;
    cursor.skip_space();
    if cursor.peek() == Some(b'}') {
        cursor.at += 1;
    } else {
        loop {
            cursor.skip_space();
            if cursor.peek() != Some(b'"') {
                return error(cursor.at, "a key in quotes");
            }
            let key = cursor.string()?;
            cursor.expect(b':', "':' after a key")?;
            let value = cursor.value()?;
            out.push((&line[key.start..key.end], value));
            cursor.skip_space();
            match cursor.peek() {
                Some(b',') => cursor.at += 1,
                Some(b'}') => {
                    cursor.at += 1;
                    break;
                }
                _ => return error(cursor.at, "',' or '}'"),
            }
        }
    }
    cursor.skip_space();
    if cursor.at != line.len() {
        return error(cursor.at, "the end of the line after the object");
    }
    Ok(())
}

/// The elements of an array value (its span includes the brackets).
pub fn elements(array: &[u8], out: &mut Vec<Value>) -> Result<(), SyntaxError> {
    out.clear();
    let mut cursor = Cursor { line: array, at: 0 };
    cursor.expect(b'[', "'['")?;
    cursor.skip_space();
    if cursor.peek() == Some(b']') {
        return Ok(());
    }
    loop {
        out.push(cursor.value()?);
        cursor.skip_space();
        match cursor.peek() {
            Some(b',') => cursor.at += 1,
            Some(b']') => return Ok(()),
            _ => return error(cursor.at, "',' or ']'"),
        }
    }
}

/// The text of a string value with its JSON escapes decoded. Zeek's own `\xHH` escapes of
/// non-printable bytes arrive as the text `\xHH` and stay so (see the design's JSON rule).
pub fn unescape(raw: &[u8]) -> Result<Cow<'_, str>, SyntaxError> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|e| SyntaxError {
                at: e.valid_up_to(),
                message: "UTF-8 text",
            });
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = raw[i];
        if byte != b'\\' {
            out.push(byte);
            i += 1;
            continue;
        }
        let Some(&next) = raw.get(i + 1) else {
            return error(i, "an escape");
        };
        i += 2;
        let decoded = match next {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut code = hex4(raw, i)?;
                i += 4;
                if (0xD800..0xDC00).contains(&code) && raw.get(i..i + 2) == Some(b"\\u") {
                    let low = hex4(raw, i + 2)?;
                    if (0xDC00..0xE000).contains(&low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                continue;
            }
            _ => return error(i - 1, "a valid escape"),
        };
        out.push(decoded);
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|e| SyntaxError {
            at: e.utf8_error().valid_up_to(),
            message: "UTF-8 text",
        })
}

fn hex4(raw: &[u8], at: usize) -> Result<u32, SyntaxError> {
    let digits = raw.get(at..at + 4).ok_or(SyntaxError {
        at,
        message: "four hex digits",
    })?;
    let text = std::str::from_utf8(digits).map_err(|_| SyntaxError {
        at,
        message: "four hex digits",
    })?;
    u32::from_str_radix(text, 16).map_err(|_| SyntaxError {
        at,
        message: "four hex digits",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(line: &'a [u8], value: &Value) -> &'a [u8] {
        &line[value.start..value.end]
    }

    #[test]
    fn splits_members_of_every_kind() {
        let line = br#"{"ts":1.5, "id.orig_h":"10.0.0.1","n":null,"ok":true,"set":["a","b\"c"],"o":{"x":[1,{}]},"neg":-2e3}"#;
        let mut out = Vec::new();
        members(line, &mut out).expect("valid JSON");
        let keys: Vec<&[u8]> = out.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [&b"ts"[..], b"id.orig_h", b"n", b"ok", b"set", b"o", b"neg"]
        );
        assert_eq!(text(line, &out[0].1), b"1.5");
        assert_eq!(out[1].1.kind, Kind::String { escaped: false });
        assert_eq!(text(line, &out[1].1), b"10.0.0.1");
        assert_eq!(out[2].1.kind, Kind::Null);
        assert_eq!(out[3].1.kind, Kind::Bool(true));
        assert_eq!(text(line, &out[4].1), br#"["a","b\"c"]"#);
        assert_eq!(text(line, &out[5].1), br#"{"x":[1,{}]}"#);
        assert_eq!(text(line, &out[6].1), b"-2e3");
        let mut items = Vec::new();
        elements(text(line, &out[4].1), &mut items).expect("an array");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].kind, Kind::String { escaped: true });
    }

    #[test]
    fn reports_where_a_line_stops_being_json() {
        let mut out = Vec::new();
        for (line, at) in [
            (&br#"{"a":1"#[..], 6),
            (br#"{"a" 1}"#, 5),
            (br#"{"a":tru}"#, 5),
            (br#"{"a":1} x"#, 8),
            (br#"["a"]"#, 0),
            (br#"{"a":"open}"#, 11),
        ] {
            let error = members(line, &mut out).expect_err("not JSON");
            assert_eq!(error.at, at, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn decodes_json_escapes_and_keeps_zeeks_own() {
        assert_eq!(unescape(br"plain").expect("text"), "plain");
        assert_eq!(unescape(br#"a\"b\\c\/d\n"#).expect("text"), "a\"b\\c/d\n");
        assert_eq!(unescape(br"\u00e9\ud83d\ude00").expect("text"), "é😀");
        // Zeek writes a byte it cannot print as \\x01 in JSON: the text \x01 stays.
        assert_eq!(unescape(br"\\x01").expect("text"), "\\x01");
        assert!(unescape(br"\q").is_err());
    }
}
