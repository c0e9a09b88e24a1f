//! A JSON object line split into its members, without building a tree: each value is a kind
//! and a span of the line, converted later only if its column is wanted.

use crate::format::escape::utf8_or_escaped;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool(bool),
    Number,
    /// The span is the text between the quotes, escapes not yet decoded. `plain`: no escapes
    /// and only ASCII, so the span is the text itself.
    String {
        plain: bool,
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

/// The first `"` or `\` at or after `from`, and whether a byte that is not ASCII comes
/// before it. Zeek's keys and most of its values are short, so one 16-byte compare usually
/// finds the end of a string; a search call per string would cost more than the string.
#[inline(always)]
fn quote_or_backslash(line: &[u8], from: usize) -> (Option<usize>, bool) {
    let mut at = from;
    let mut high = false;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        while at + 16 <= line.len() {
            // SAFETY: SSE2 is part of the x86-64 baseline, and the 16-byte unaligned load
            // stays inside `line` (checked by the loop condition).
            let (mask, high_bits) = unsafe {
                let bytes = _mm_loadu_si128(line.as_ptr().add(at).cast::<__m128i>());
                let quotes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
                let backslashes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
                (
                    _mm_movemask_epi8(_mm_or_si128(quotes, backslashes)) as u32,
                    _mm_movemask_epi8(bytes) as u32,
                )
            };
            if mask != 0 {
                let i = mask.trailing_zeros();
                high |= high_bits & ((1 << i) - 1) != 0;
                return (Some(at + i as usize), high);
            }
            high |= high_bits != 0;
            at += 16;
        }
    }
    for (i, &byte) in line[at..].iter().enumerate() {
        if byte == b'"' || byte == b'\\' {
            return (Some(at + i), high);
        }
        high |= byte >= 0x80;
    }
    (None, high)
}

/// The bytes a JSON number is written with (its syntax is checked when it is converted).
const NUMBER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = *b"0123456789-+.eE";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

/// A position in a line being read as JSON.
pub struct Cursor<'a> {
    line: &'a [u8],
    pub at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(line: &'a [u8]) -> Self {
        Cursor { line, at: 0 }
    }

    #[inline(always)]
    pub fn skip_space(&mut self) {
        // Zeek writes no spaces: one compare sees there are none.
        while let Some(&byte) = self.line.get(self.at) {
            if byte > b' ' || !matches!(byte, b' ' | b'\t' | b'\r') {
                break;
            }
            self.at += 1;
        }
    }

    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        self.line.get(self.at).copied()
    }

    /// Step over `text` if the line continues with it.
    #[inline(always)]
    pub fn eat(&mut self, text: &[u8]) -> bool {
        if self.line[self.at..].starts_with(text) {
            self.at += text.len();
            true
        } else {
            false
        }
    }

    #[inline(always)]
    pub fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            return Ok(());
        }
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            error(self.at, message)
        }
    }

    /// After a member or element: `true` at `,`, `false` at `close`, stepping over either.
    #[inline(always)]
    pub fn next_or_close(&mut self, close: u8, message: &'static str) -> Result<bool, SyntaxError> {
        if self.peek() != Some(b',') {
            self.skip_space();
        }
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.at += 1;
                Ok(false)
            }
            _ => error(self.at, message),
        }
    }

    /// Only spaces are left on the line.
    pub fn finish(&mut self) -> Result<(), SyntaxError> {
        self.skip_space();
        if self.at == self.line.len() {
            Ok(())
        } else {
            error(self.at, "the end of the line after the object")
        }
    }

    /// A string starting at the opening quote: the span between the quotes.
    #[inline(always)]
    pub fn string(&mut self) -> Result<Value, SyntaxError> {
        let start = self.at + 1;
        let mut at = start;
        let mut plain = true;
        loop {
            match quote_or_backslash(self.line, at) {
                (None, _) => return error(self.line.len(), "a string that does not end"),
                (Some(i), high) if self.line[i] == b'"' => {
                    self.at = i + 1;
                    return Ok(Value {
                        kind: Kind::String {
                            plain: plain && !high,
                        },
                        start,
                        end: i,
                    });
                }
                (Some(i), _) => {
                    plain = false;
                    at = i + 2;
                    if at > self.line.len() {
                        return error(self.line.len(), "a string that does not end");
                    }
                }
            }
        }
    }

    #[inline(always)]
    pub fn value(&mut self) -> Result<Value, SyntaxError> {
        self.skip_space();
        let start = self.at;
        let Some(first) = self.peek() else {
            return error(start, "a value");
        };
        match first {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                let end = self.line[start..]
                    .iter()
                    .position(|&b| !NUMBER_BYTES[usize::from(b)])
                    .map_or(self.line.len(), |i| start + i);
                self.at = end;
                Ok(Value {
                    kind: Kind::Number,
                    start,
                    end,
                })
            }
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
                if !self.eat(word) {
                    return error(start, "true, false or null");
                }
                Ok(Value {
                    kind,
                    start,
                    end: self.at,
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
    let mut cursor = Cursor::new(line);
    cursor.expect(b'{', "'{' to open the object")?;
    cursor.skip_space();
    if !cursor.eat(b"}") {
        loop {
            cursor.skip_space();
            if cursor.peek() != Some(b'"') {
                return error(cursor.at, "a key in quotes");
            }
            let key = cursor.string()?;
            cursor.expect(b':', "':' after a key")?;
            let value = cursor.value()?;
            out.push((&line[key.start..key.end], value));
            if !cursor.next_or_close(b'}', "',' or '}'")? {
                break;
            }
        }
    }
    cursor.finish()
}

/// The elements of an array value of `line`, as spans of `line`.
pub struct Elements<'a> {
    cursor: Cursor<'a>,
    state: ElementsState,
}

#[derive(PartialEq)]
enum ElementsState {
    First,
    More,
    Done,
}

impl<'a> Elements<'a> {
    /// `array` must be a value of kind `Array` of `line`.
    pub fn new(line: &'a [u8], array: &Value) -> Self {
        let mut cursor = Cursor::new(&line[..array.end]);
        cursor.at = array.start;
        Elements {
            cursor,
            state: ElementsState::First,
        }
    }
}

impl Iterator for Elements<'_> {
    type Item = Result<Value, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let step = match self.state {
            ElementsState::Done => return None,
            ElementsState::First => self.cursor.expect(b'[', "'['").map(|()| {
                self.cursor.skip_space();
                !self.cursor.eat(b"]")
            }),
            ElementsState::More => self.cursor.next_or_close(b']', "',' or ']'"),
        };
        match step {
            Ok(true) => {
                let value = self.cursor.value();
                self.state = if value.is_ok() {
                    ElementsState::More
                } else {
                    ElementsState::Done
                };
                Some(value)
            }
            Ok(false) => {
                self.state = ElementsState::Done;
                None
            }
            Err(e) => {
                self.state = ElementsState::Done;
                Some(Err(e))
            }
        }
    }
}

/// Decode the JSON escapes of a string value's raw text, appending to `out`. Zeek's own
/// `\xHH` escapes of non-printable bytes arrive as the text `\xHH` and stay so (see the
/// design's JSON rule). The result is not checked for UTF-8 here.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), SyntaxError> {
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'\\', &raw[i..]) {
        out.extend_from_slice(&raw[i..i + offset]);
        i += offset;
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
    out.extend_from_slice(&raw[i..]);
    Ok(())
}

/// The text of a string value with its JSON escapes decoded; bytes that are not UTF-8 keep
/// their `\xHH` text, as in TSV logs.
pub fn unescape(raw: &[u8]) -> Result<Cow<'_, str>, SyntaxError> {
    if !raw.contains(&b'\\') {
        if let Ok(text) = std::str::from_utf8(raw) {
            return Ok(Cow::Borrowed(text));
        }
    }
    let mut decoded = Vec::with_capacity(raw.len());
    unescape_into(raw, &mut decoded)?;
    Ok(Cow::Owned(String::from_utf8(decoded).unwrap_or_else(|e| {
        let mut text = Vec::new();
        utf8_or_escaped(e.as_bytes(), &mut text);
        String::from_utf8_lossy(&text).into_owned()
    })))
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
        assert_eq!(out[1].1.kind, Kind::String { plain: true });
        assert_eq!(text(line, &out[1].1), b"10.0.0.1");
        assert_eq!(out[2].1.kind, Kind::Null);
        assert_eq!(out[3].1.kind, Kind::Bool(true));
        assert_eq!(text(line, &out[4].1), br#"["a","b\"c"]"#);
        assert_eq!(text(line, &out[5].1), br#"{"x":[1,{}]}"#);
        assert_eq!(text(line, &out[6].1), b"-2e3");
        let items: Vec<Value> = Elements::new(line, &out[4].1)
            .collect::<Result<_, _>>()
            .expect("an array");
        assert_eq!(items.len(), 2);
        assert_eq!(text(line, &items[0]), b"a");
        assert_eq!(items[1].kind, Kind::String { plain: false });
        let accented = "{\"a\":\"caf\u{e9}\",\"b\":\"0123456789abcdef\u{e9}\"}";
        members(accented.as_bytes(), &mut out).expect("valid JSON");
        assert_eq!(out[0].1.kind, Kind::String { plain: false });
        assert_eq!(out[1].1.kind, Kind::String { plain: false });
        let empty = br#"{"a":[ ],"b":[1 ,2],"c":[1,]}"#;
        members(empty, &mut out).expect("valid JSON");
        assert_eq!(Elements::new(empty, &out[0].1).count(), 0);
        let two: Vec<Value> = Elements::new(empty, &out[1].1)
            .collect::<Result<_, _>>()
            .expect("an array");
        assert_eq!(text(empty, &two[1]), b"2");
        let last = Elements::new(empty, &out[2].1).last();
        assert!(matches!(last, Some(Err(_))), "a trailing comma is not JSON");
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
