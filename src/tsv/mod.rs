//! Zeek TSV data lines -> Arrow columns, one chunk of whole lines at a time. Pure Rust: the
//! chunk's bytes and the block's layout in, arrays and positioned errors out.

pub mod builders;
pub mod delimiters;
pub mod values;

use crate::error::Error;
use crate::format::header::Markers;
use crate::format::types::ZeekType;
use arrow_array::ArrayRef;
use builders::{Builder, FieldContext};
use delimiters::Delimiters;

/// One header block's layout, as the parser needs it.
#[derive(Debug, Clone)]
pub struct Block {
    pub markers: Markers,
    /// The `#path` of the block (the log type), if the header named one.
    pub log_path: Option<String>,
    /// Output names (after any renaming) and types of every field, in `#fields` order.
    pub names: Vec<String>,
    pub types: Vec<ZeekType>,
    /// The `#types` entries as written, for schema reports.
    pub type_names: Vec<String>,
    /// For each field, the builder it goes to, or `None` when it is not selected.
    pub slots: Vec<Option<usize>>,
}

impl Block {
    /// Indices of the selected fields, in the order of their builders.
    pub fn selected(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(field, slot)| slot.map(|_| field))
    }
}

/// What parsing one chunk produced.
#[derive(Debug)]
pub struct ChunkOutput {
    /// One array per selected field, in builder order.
    pub columns: Vec<ArrayRef>,
    pub rows: usize,
    /// Lines in the chunk, blank and bad ones included, so callers can number lines.
    pub lines: u64,
    /// Bad lines, numbered from 1 within the chunk. With `stop_at_first_bad_line` parsing
    /// stops at the first; otherwise all are counted and the first `MAX_REPORTED` kept.
    pub bad_lines: Vec<Error>,
    pub bad_line_count: u64,
}

/// How many skipped lines are described one by one; the rest are only counted.
pub const MAX_REPORTED: usize = 20;

struct ChunkParser<'a> {
    block: &'a Block,
    builders: Vec<Builder>,
    cx: FieldContext<'a>,
    field_count: usize,
    stop_at_first_bad_line: bool,
    rows: usize,
    line: u64,
    field: usize,
    row_error: Option<Error>,
    bad_lines: Vec<Error>,
    bad_line_count: u64,
    stopped: bool,
}

impl<'a> ChunkParser<'a> {
    #[inline]
    fn field(&mut self, raw: &[u8]) {
        if self.row_error.is_none() {
            if self.field < self.field_count {
                if let Some(slot) = self.block.slots[self.field] {
                    if let Err(expected) = self.builders[slot].push_field(raw, &mut self.cx) {
                        let name = &self.block.names[self.field];
                        self.row_error = Some(
                            Error::parse(format!("field {name:?} is not {expected}"))
                                .with_column(self.field + 1)
                                .with_value(raw),
                        );
                    }
                }
            } else if self.field == self.field_count {
                self.row_error = Some(Error::parse(format!(
                    "line has more fields than the {} in #fields",
                    self.field_count
                )));
            }
        }
        self.field += 1;
    }

    /// Close a line. `unterminated` marks the last line of a stream that ends without a line
    /// end, the usual sign of a log cut off mid-write.
    #[inline]
    fn end_line(&mut self, unterminated: bool) {
        self.line += 1;
        if self.row_error.is_none() && self.field < self.field_count {
            let message = if unterminated {
                format!(
                    "truncated last line: {} of {} fields before the file ends without a line end",
                    self.field, self.field_count
                )
            } else {
                format!(
                    "line has {} fields, #fields has {}",
                    self.field, self.field_count
                )
            };
            self.row_error = Some(Error::parse(message));
        }
        match self.row_error.take() {
            None => self.rows += 1,
            Some(error) => {
                for builder in &mut self.builders {
                    builder.truncate(self.rows);
                }
                self.bad_line_count += 1;
                if self.bad_lines.len() < MAX_REPORTED {
                    self.bad_lines.push(error.with_line(self.line));
                }
                if self.stop_at_first_bad_line {
                    self.stopped = true;
                }
            }
        }
        self.field = 0;
    }

    fn blank_line(&mut self) {
        self.line += 1;
    }

    /// The fast path: a one-byte separator, found together with line ends in one pass.
    fn run_single_byte(&mut self, data: &[u8], separator: u8) {
        let mut start = 0;
        for at in Delimiters::new(data, separator) {
            if data[at] == b'\n' {
                let mut end = at;
                if end > start && data[end - 1] == b'\r' {
                    end -= 1;
                }
                if self.field == 0 && end == start {
                    self.blank_line();
                } else {
                    self.field(&data[start..end]);
                    self.end_line(false);
                    if self.stopped {
                        return;
                    }
                }
            } else {
                self.field(&data[start..at]);
            }
            start = at + 1;
        }
        self.last_line(&data[start..]);
    }

    /// Separators of several bytes (`||`): split lines, then fields.
    fn run_multi_byte(&mut self, data: &[u8], separator: &[u8]) {
        let mut start = 0;
        let finder = memchr::memmem::Finder::new(separator);
        while let Some(offset) = memchr::memchr(b'\n', &data[start..]) {
            let mut line = &data[start..start + offset];
            start += offset + 1;
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            if line.is_empty() {
                self.blank_line();
                continue;
            }
            self.fields_of(line, &finder);
            self.end_line(false);
            if self.stopped {
                return;
            }
        }
        let rest = &data[start..];
        if !rest.is_empty() {
            let line = rest.strip_suffix(b"\r").unwrap_or(rest);
            if !line.is_empty() {
                self.fields_of(line, &finder);
                self.end_line(true);
            }
        }
    }

    fn fields_of(&mut self, line: &[u8], finder: &memchr::memmem::Finder<'_>) {
        let mut field_start = 0;
        for at in finder.find_iter(line) {
            if at < field_start {
                continue;
            }
            self.field(&line[field_start..at]);
            field_start = at + finder.needle().len();
        }
        self.field(&line[field_start..]);
    }

    /// Whatever follows the last line end: the final line of a stream without a line end.
    fn last_line(&mut self, rest: &[u8]) {
        if self.stopped {
            return;
        }
        let line = rest.strip_suffix(b"\r").unwrap_or(rest);
        if self.field == 0 && line.is_empty() {
            if !rest.is_empty() {
                self.blank_line();
            }
            return;
        }
        self.field(line);
        self.end_line(true);
    }
}

/// Parse a chunk of whole data lines (no header lines) laid out as `block` says.
pub fn parse_chunk(data: &[u8], block: &Block, stop_at_first_bad_line: bool) -> ChunkOutput {
    let capacity = memchr::memchr_iter(b'\n', data).count() + 1;
    let mut builders = Vec::new();
    for field in block.selected() {
        builders.push(Builder::new(&block.types[field], capacity));
    }
    let mut parser = ChunkParser {
        block,
        builders,
        cx: FieldContext {
            markers: &block.markers,
            chunk_is_utf8: std::str::from_utf8(data).is_ok(),
            scratch: Vec::new(),
        },
        field_count: block.names.len(),
        stop_at_first_bad_line,
        rows: 0,
        line: 0,
        field: 0,
        row_error: None,
        bad_lines: Vec::new(),
        bad_line_count: 0,
        stopped: false,
    };
    let separator = block.markers.separator.clone();
    match separator.as_slice() {
        [single] if *single != b'\n' => parser.run_single_byte(data, *single),
        _ => parser.run_multi_byte(data, &separator),
    }
    ChunkOutput {
        rows: parser.rows,
        lines: parser.line,
        bad_lines: parser.bad_lines,
        bad_line_count: parser.bad_line_count,
        columns: parser.builders.into_iter().map(Builder::finish).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{TimestampMicrosecondType, UInt16Type, UInt64Type};
    use arrow_array::Array;

    fn block(fields: &[(&str, &str)], separator: &str, selected: Option<&[&str]>) -> Block {
        let mut next = 0;
        let slots = fields
            .iter()
            .map(|(name, _)| {
                if selected.is_none_or(|s| s.contains(name)) {
                    next += 1;
                    Some(next - 1)
                } else {
                    None
                }
            })
            .collect();
        Block {
            markers: Markers {
                separator: separator.as_bytes().to_vec(),
                ..Markers::default()
            },
            log_path: None,
            names: fields.iter().map(|(n, _)| n.to_string()).collect(),
            types: fields.iter().map(|(_, t)| ZeekType::parse(t)).collect(),
            type_names: fields.iter().map(|(_, t)| t.to_string()).collect(),
            slots,
        }
    }

    const CONN: &[(&str, &str)] = &[
        ("ts", "time"),
        ("uid", "string"),
        ("p", "port"),
        ("n", "count"),
    ];

    #[test]
    fn parses_rows_with_crlf_blank_lines_and_no_final_newline() {
        let data = b"1.000001\tCa\t80\t5\r\n\n1331901000.000129\tCb\t443\t-\n2\t\"#x\"\t1\t7";
        let out = parse_chunk(data, &block(CONN, "\t", None), true);
        assert_eq!((out.rows, out.lines, out.bad_line_count), (3, 4, 0));
        let ts = out.columns[0].as_primitive::<TimestampMicrosecondType>();
        assert_eq!(
            ts.values().to_vec(),
            vec![1_000_001, 1_331_901_000_000_129, 2_000_000]
        );
        assert_eq!(out.columns[1].as_string_view().value(2), "\"#x\"");
        let counts = out.columns[3].as_primitive::<UInt64Type>();
        assert!(counts.is_null(1));
        assert_eq!(counts.value(2), 7);
    }

    #[test]
    fn projection_builds_only_selected_columns() {
        let data = b"1.0\tCa\t80\t5\n2.0\tCb\t443\t6\n";
        let out = parse_chunk(data, &block(CONN, "\t", Some(&["p"])), true);
        assert_eq!(out.columns.len(), 1);
        assert_eq!(
            out.columns[0]
                .as_primitive::<UInt16Type>()
                .values()
                .to_vec(),
            vec![80, 443]
        );
    }

    #[test]
    fn bad_lines_are_rolled_back_and_numbered() {
        let data =
            b"1.0\tCa\t80\t5\n2.0\tCb\tnope\t6\n3.0\tCc\t22\n4.0\tCd\t1\t2\t3\n5.0\tCe\t9\t9\n";
        let out = parse_chunk(data, &block(CONN, "\t", None), false);
        assert_eq!((out.rows, out.bad_line_count), (2, 3));
        let lines: Vec<_> = out.bad_lines.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            lines,
            vec![(Some(2), Some(3)), (Some(3), None), (Some(4), None)]
        );
        assert_eq!(out.bad_lines[0].value.as_deref(), Some("nope"));
        let uid = out.columns[1].as_string_view();
        assert_eq!((uid.value(0), uid.value(1)), ("Ca", "Ce"));
        assert_eq!(out.columns[2].len(), 2);
    }

    #[test]
    fn stops_at_the_first_bad_line_when_raising() {
        let data = b"1.0\tCa\t80\t5\nx\tCb\t1\t6\n3.0\tCc\t22\tbad\n";
        let out = parse_chunk(data, &block(CONN, "\t", None), true);
        assert_eq!((out.rows, out.bad_line_count), (1, 1));
        assert_eq!(out.bad_lines[0].line, Some(2));
    }

    #[test]
    fn a_cut_last_line_is_reported_as_truncated() {
        let data = b"1.0\tCa\t80\t5\n2.0\tCb";
        let out = parse_chunk(data, &block(CONN, "\t", None), false);
        assert_eq!(out.rows, 1);
        assert!(out.bad_lines[0].message.starts_with("truncated last line"));
    }

    #[test]
    fn multi_byte_separator() {
        let data = b"1.0||Ca||80||5\n2.0||C|b||443||6";
        let out = parse_chunk(data, &block(CONN, "||", None), true);
        assert_eq!(out.rows, 2);
        assert_eq!(out.columns[1].as_string_view().value(1), "C|b");
    }

    #[test]
    fn escaped_separator_stays_in_its_field() {
        let data = b"1.0\ta\\x09b\t80\t5\n";
        let out = parse_chunk(data, &block(CONN, "\t", None), true);
        assert_eq!(out.columns[1].as_string_view().value(0), "a\tb");
    }

    #[test]
    fn every_split_point_gives_the_same_rows() {
        // Chunks are cut at line ends by the reader; parsing the two halves of any cut must
        // give the rows of the whole.
        let data = b"1.0\tCa\t80\t5\n\n2.5\tCb\t443\t-\n3.25\tCc\t8080\t9\n";
        let whole = parse_chunk(data, &block(CONN, "\t", None), true);
        for cut in memchr::memchr_iter(b'\n', data).map(|i| i + 1) {
            let first = parse_chunk(&data[..cut], &block(CONN, "\t", None), true);
            let second = parse_chunk(&data[cut..], &block(CONN, "\t", None), true);
            assert_eq!(first.rows + second.rows, whole.rows);
            assert_eq!(first.lines + second.lines, whole.lines);
        }
    }
}
