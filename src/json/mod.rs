//! Zeek JSON logs (`LogAscii::use_json=T`, Security Onion, Corelight): one object per line,
//! keys keep their dots, absent keys and `null` are null, arrays are lists. The types of a
//! log type's fields come from the built-in schemas; other keys are typed from their values,
//! the same way in every chunk (`Shape`, joined when the chunks are put together).

mod keys;
pub mod scan;
pub mod values;

use crate::columns::builders::{Builder, Strings};
use crate::columns::{ChunkOutput, MAX_REPORTED};
use crate::columns::{Inferred, JsonLayout, NamedColumn, Shape};
use crate::error::Error;
use crate::format::types::ZeekType;
use crate::pushdown::filter;
use crate::pushdown::{ChunkPushdown, MIME_CATEGORY, MIME_SOURCE};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema};
use keys::{After, Keys};
use scan::{Cursor, Elements, Kind, Value};
use std::collections::HashMap;
use std::sync::Arc;
use values::{push_digits, push_value, Texts};

/// The `_path` of a JSON line, if it has one (its log type).
pub fn path_of(line: &[u8]) -> Option<String> {
    let mut members = Vec::new();
    scan::members(line, &mut members).ok()?;
    members.iter().find_map(|(key, value)| match value.kind {
        Kind::String { .. } if *key == b"_path" => scan::unescape(&line[value.start..value.end])
            .ok()
            .map(|s| s.into_owned()),
        _ => None,
    })
}

/// The shape of a value as read from a line.
impl Shape {
    fn of(value: &Value, line: &[u8]) -> Shape {
        match value.kind {
            Kind::Null => Shape::Null,
            Kind::Bool(_) => Shape::Bool,
            Kind::Number => {
                let text = &line[value.start..value.end];
                if text.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                    Shape::Float
                } else {
                    Shape::Int
                }
            }
            Kind::String { .. } | Kind::Object => Shape::Text,
            Kind::Array => {
                let mut element = Shape::Null;
                for item in Elements::new(line, value) {
                    let item = match item {
                        Ok(item) => item,
                        Err(_) => return Shape::Text,
                    };
                    // An array of arrays is a list of texts whatever its depth, so the inner
                    // arrays are not looked into: a line nested thousands deep costs no stack.
                    element = match item.kind {
                        Kind::Array => Shape::Text,
                        _ => element.join(&Shape::of(&item, line)),
                    };
                }
                Shape::List(Box::new(element))
            }
        }
    }
}

impl Inferred {
    /// The values as an array of `shape`'s type (a join of this column's own shape).
    pub fn to_array(&self, shape: &Shape) -> ArrayRef {
        if matches!(shape, Shape::Null | Shape::Text) {
            return Arc::new(self.texts.clone());
        }
        let mut builder = Builder::new(&shape_type(shape), self.texts.len());
        let mut texts = Texts::default();
        for (row, value) in self.texts.iter().enumerate() {
            let Some(text) = value else {
                builder.push_null();
                continue;
            };
            // The text is a string's decoded text, or a value as written: read it again
            // as a value of the shape's kind.
            let kind = match shape {
                Shape::List(_) => Kind::Array,
                Shape::Bool => Kind::Bool(text == "true"),
                Shape::Int | Shape::Float => Kind::Number,
                Shape::Null | Shape::Text => Kind::String { plain: true },
            };
            let value = Value {
                kind,
                start: 0,
                end: text.len(),
            };
            if push_value(&mut builder, &value, text.as_bytes(), &mut texts).is_err() {
                // Shapes only widen, so every value fits; should one not, it is null
                // rather than a misaligned column.
                builder.truncate(row);
                builder.push_null();
            }
        }
        builder.finish()
    }
}

/// The Zeek type whose column has `shape`'s arrow type.
fn shape_type(shape: &Shape) -> ZeekType {
    match shape {
        Shape::Bool => ZeekType::Bool,
        Shape::Int => ZeekType::Int,
        Shape::Float => ZeekType::Double,
        Shape::Null | Shape::Text => ZeekType::String,
        Shape::List(element) => ZeekType::List(Box::new(shape_type(element))),
    }
}

/// A column of a key no schema knows while its chunk is parsed.
struct InferredBuilder {
    shape: Shape,
    texts: Strings,
}

impl InferredBuilder {
    /// Append a value's text: decoded for a string, as written otherwise; null for null.
    fn push(&mut self, value: &Value, line: &[u8]) {
        let raw = &line[value.start..value.end];
        match value.kind {
            Kind::Null => self.texts.push_null(),
            Kind::String { plain: true } => self.texts.push(raw),
            Kind::String { .. } => match scan::unescape(raw) {
                Ok(text) => self.texts.push(text.as_bytes()),
                Err(_) => self.texts.push_null(),
            },
            _ => self.texts.push(String::from_utf8_lossy(raw).as_bytes()),
        }
    }

    /// Nulls up to `rows` rows.
    fn pad(&mut self, rows: usize) {
        while self.texts.len() < rows {
            self.texts.push_null();
        }
    }

    fn finish(self) -> Inferred {
        Inferred {
            shape: self.shape,
            texts: self.texts.finish(),
        }
    }
}

/// Where a key's values go: a column of a known type, a column typed from its values, or
/// nowhere (a column not asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Skip,
    Known(usize),
    Unknown(usize),
}

/// The columns of one JSON chunk while it is parsed.
struct ChunkColumns<'p> {
    layout: &'p JsonLayout,
    /// Columns the filter or the MIME classification reads besides the wanted ones.
    also_needed: Vec<&'p str>,
    /// Output names with their slot, in the order the keys were first met.
    order: Vec<(String, Slot)>,
    known: Vec<Builder>,
    /// For each known column, `rows + 1` once the line being parsed has set it.
    filled: Vec<usize>,
    unknown: Vec<InferredBuilder>,
    /// Whether a good line has had the column: a key seen only in bad lines is no column.
    known_seen: Vec<bool>,
    unknown_seen: Vec<bool>,
    /// Where each column was first met in a good line: (row, key position in that line).
    /// Columns are ordered by it, so a key first met in a skipped bad line takes the place
    /// it has in the first good line, as when that bad line falls in another chunk.
    known_first: Vec<(usize, usize)>,
    unknown_first: Vec<(usize, usize)>,
    /// The values of keys no schema knows with their key position, kept until their line is
    /// known to be good.
    pending: Vec<(usize, usize, Value)>,
    /// The keys seen, each with its slot.
    keys: Keys<Slot>,
    texts: Texts,
    rows: usize,
    capacity: usize,
}

impl<'p> ChunkColumns<'p> {
    /// The slot of a key seen for the first time (`key` is its raw text).
    fn new_slot(&mut self, key: &[u8]) -> Slot {
        let key_text = String::from_utf8_lossy(key).into_owned();
        let name = self.layout.output_name(&key_text).into_owned();
        let wanted = self
            .layout
            .wanted
            .as_ref()
            .is_none_or(|w| w.contains(&name))
            || self.also_needed.contains(&name.as_str());
        let slot = if !wanted {
            Slot::Skip
        } else if let Some(zeek_type) = self.layout.known.get(&key_text) {
            // Long strings take about as many bytes as a uid; the buffer grows if not.
            let text_bytes = if *zeek_type == ZeekType::String {
                self.capacity * 24
            } else {
                0
            };
            let mut builder = Builder::with_text_capacity(zeek_type, self.capacity, text_bytes);
            for _ in 0..self.rows {
                builder.push_null();
            }
            self.known.push(builder);
            self.filled.push(0);
            self.known_seen.push(false);
            self.known_first.push((usize::MAX, 0));
            Slot::Known(self.known.len() - 1)
        } else {
            self.unknown.push(InferredBuilder {
                shape: Shape::Null,
                texts: Strings::with_capacity(0, 0),
            });
            self.unknown_seen.push(false);
            self.unknown_first.push((usize::MAX, 0));
            Slot::Unknown(self.unknown.len() - 1)
        };
        if slot != Slot::Skip {
            self.order.push((name, slot));
        }
        slot
    }

    fn name(&self, slot: Slot) -> &str {
        self.order
            .iter()
            .find(|(_, s)| *s == slot)
            .map_or("", |(name, _)| name.as_str())
    }

    /// Parse one line into the columns; on `Err` the line has left nothing behind.
    fn line(&mut self, line: &[u8]) -> Result<(), Error> {
        let parsed = self.members(line);
        let row = self.rows + 1;
        if parsed.is_err() {
            for (builder, filled) in self.known.iter_mut().zip(&mut self.filled) {
                if *filled == row {
                    builder.truncate(self.rows);
                    *filled = 0;
                }
            }
            self.pending.clear();
            return parsed;
        }
        for (i, (builder, filled)) in self.known.iter_mut().zip(&self.filled).enumerate() {
            if *filled != row {
                builder.push_null();
            } else if !self.known_seen[i] {
                self.known_seen[i] = true;
                self.known_first[i].0 = row;
            }
        }
        for (column, position, value) in self.pending.drain(..) {
            if !self.unknown_seen[column] {
                self.unknown_seen[column] = true;
                self.unknown_first[column] = (row, position);
            }
            let inferred = &mut self.unknown[column];
            // A key repeated in a line: the last value counts, as in most JSON readers.
            inferred.texts.truncate(self.rows);
            inferred.pad(self.rows);
            inferred.shape = inferred.shape.join(&Shape::of(&value, line));
            inferred.push(&value, line);
        }
        self.rows = row;
        Ok(())
    }

    fn members(&mut self, line: &[u8]) -> Result<(), Error> {
        let syntax = |e: scan::SyntaxError| syntax_error(line, &e);
        let mut cursor = Cursor::new(line);
        cursor
            .expect(b'{', "'{' to open the object")
            .map_err(syntax)?;
        cursor.skip_space();
        if cursor.eat(b"}") {
            return cursor.finish().map_err(syntax);
        }
        let mut position = 0;
        let mut after = After::START;
        loop {
            cursor.skip_space();
            let slot = match self.keys.predict(after, line, cursor.at) {
                Some((slot, key, len)) => {
                    cursor.at += len;
                    after = key;
                    slot
                }
                None => {
                    if cursor.peek() != Some(b'"') {
                        return Err(syntax(scan::SyntaxError {
                            at: cursor.at,
                            message: "a key in quotes",
                        }));
                    }
                    let key = cursor.string().map_err(syntax)?;
                    // The key with its quotes.
                    let quoted = &line[key.start - 1..=key.end];
                    let slot = match self.keys.get(quoted) {
                        Some(slot) => slot,
                        None => {
                            let raw = &line[key.start..key.end];
                            if raw.contains(&0) {
                                return Err(Error::parse(
                                    "a key holds a NUL byte, which no column name can carry",
                                )
                                .with_column(position + 1)
                                .with_value(raw));
                            }
                            self.new_slot(raw)
                        }
                    };
                    after = self.keys.learn(after, quoted, slot);
                    slot
                }
            };
            cursor.expect(b':', "':' after a key").map_err(syntax)?;
            self.value(slot, &mut cursor, line, position)?;
            if !cursor.next_or_close(b'}', "',' or '}'").map_err(syntax)? {
                break;
            }
            position += 1;
        }
        cursor.finish().map_err(syntax)
    }

    /// Read one value of the line into the column of `slot`.
    #[inline(always)]
    fn value(
        &mut self,
        slot: Slot,
        cursor: &mut Cursor<'_>,
        line: &[u8],
        position: usize,
    ) -> Result<(), Error> {
        let Slot::Known(column) = slot else {
            let value = cursor.value().map_err(|e| syntax_error(line, &e))?;
            if let Slot::Unknown(column) = slot {
                self.pending.push((column, position, value));
            }
            return Ok(());
        };
        let row = self.rows + 1;
        let builder = &mut self.known[column];
        if self.filled[column] == row {
            // A key repeated in a line: the last value counts.
            builder.truncate(self.rows);
        } else if !self.known_seen[column] {
            self.known_first[column].1 = position;
        }
        self.filled[column] = row;
        if let Some(end) = push_digits(builder, line, cursor.at) {
            cursor.at = end;
            return Ok(());
        }
        let value = cursor.value().map_err(|e| syntax_error(line, &e))?;
        if let Err(expected) = push_value(builder, &value, line, &mut self.texts) {
            return Err(
                Error::parse(format!("field {:?} is not {expected}", self.name(slot)))
                    .with_column(position + 1)
                    .with_value(&line[value.start..value.end]),
            );
        }
        Ok(())
    }

    /// The chunk's columns by output name, in the order of their first good line and, within
    /// it, of their key.
    fn finish(mut self) -> Vec<(String, NamedColumn)> {
        let rows = self.rows;
        let (known_first, unknown_first) = (&self.known_first, &self.unknown_first);
        // A stable sort: a column's first line and key position follow the order the keys
        // were met in when no line was bad, so only keys met first in bad lines move.
        self.order.sort_by_key(|(_, slot)| match *slot {
            Slot::Known(i) => known_first[i],
            Slot::Unknown(i) => unknown_first[i],
            Slot::Skip => (usize::MAX, 0),
        });
        let mut known: Vec<Option<Builder>> = self.known.into_iter().map(Some).collect();
        let mut unknown: Vec<Option<InferredBuilder>> =
            self.unknown.into_iter().map(Some).collect();
        self.order
            .into_iter()
            .filter_map(|(name, slot)| {
                let column = match slot {
                    Slot::Known(i) if !self.known_seen[i] => return None,
                    Slot::Unknown(i) if !self.unknown_seen[i] => return None,
                    Slot::Known(i) => NamedColumn::Typed(known[i].take()?.finish()),
                    Slot::Unknown(i) => {
                        let mut inferred = unknown[i].take()?;
                        inferred.pad(rows);
                        NamedColumn::Inferred(inferred.finish())
                    }
                    Slot::Skip => return None,
                };
                Some((name, column))
            })
            .collect()
    }
}

/// A line that is not JSON, quoted from where it stops being JSON.
#[cold]
fn syntax_error(line: &[u8], error: &scan::SyntaxError) -> Error {
    let at = error.at.min(line.len());
    Error::parse(format!("not a JSON object: expected {}", error.message))
        .with_value(&line[at..(at + 20).min(line.len())])
}

/// Parse a chunk of whole JSON lines, applying the pushdown like the TSV parser does.
pub fn parse_json_chunk(
    data: &[u8],
    layout: &JsonLayout,
    stop_at_first_bad_line: bool,
    pushdown: &ChunkPushdown<'_>,
) -> ChunkOutput {
    let mut also_needed = pushdown.filter.map(|f| f.columns()).unwrap_or_default();
    if pushdown.mime.is_some() {
        also_needed.push(MIME_SOURCE);
    }
    // Rows to reserve: twice what lines like the first would give (untouched column memory
    // costs address space, not RAM); a sample keeps few, and columns grow when needed.
    let first_line = memchr::memchr(b'\n', data).map_or(data.len(), |i| i + 1);
    let capacity = if pushdown.sampler.is_some() {
        1024
    } else {
        2 * data.len() / first_line.max(1) + 16
    };
    let mut columns = ChunkColumns {
        layout,
        also_needed,
        order: Vec::new(),
        known: Vec::new(),
        filled: Vec::new(),
        unknown: Vec::new(),
        known_seen: Vec::new(),
        unknown_seen: Vec::new(),
        known_first: Vec::new(),
        unknown_first: Vec::new(),
        pending: Vec::new(),
        keys: Keys::new(),
        texts: Texts::default(),
        rows: 0,
        capacity,
    };
    let mut bad_lines = Vec::new();
    let mut bad_line_count = 0u64;
    let mut bad_rows_before = Vec::new();
    let mut row_ends = Vec::new();
    let (mut last_line_bad, mut last_line_reported) = (false, false);
    let mut line_count = 0u64;
    let mut start = 0usize;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let line_start = start;
        start = end + 1;
        line_count += 1;
        let line = &data[line_start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if pushdown
            .sampler
            .is_some_and(|s| !s.keep(pushdown.offset + line_start as u64))
        {
            continue;
        }
        match columns.line(line) {
            Ok(()) if pushdown.row_ends => row_ends.push(start.min(data.len()) as u32),
            Ok(()) => {}
            Err(error) => {
                bad_line_count += 1;
                // A last line without a line end.
                last_line_bad = end == data.len() && data.last() != Some(&b'\n');
                last_line_reported = last_line_bad && bad_lines.len() < MAX_REPORTED;
                bad_rows_before.push(columns.rows as u32);
                if bad_lines.len() < MAX_REPORTED {
                    bad_lines.push(error.with_line(line_count));
                }
                if stop_at_first_bad_line {
                    break;
                }
            }
        }
    }
    if stop_at_first_bad_line && !bad_lines.is_empty() {
        bad_lines.truncate(1);
        bad_line_count = 1;
        bad_rows_before.truncate(1);
    }
    let rows = columns.rows;
    let mut named = columns.finish();
    let mut output = ChunkOutput::rows(rows, line_count, bad_lines, bad_line_count);
    let lookup = |name: &str| -> Option<ArrayRef> {
        named.iter().find(|(n, _)| n == name).map(|(_, c)| match c {
            NamedColumn::Typed(array) => array.clone(),
            NamedColumn::Inferred(inferred) => inferred.to_array(&inferred.shape),
        })
    };
    let mut mime = pushdown
        .mime
        .map(|mime| mime.classify(lookup(MIME_SOURCE).as_ref(), rows));
    if let Some(predicate) = pushdown.filter {
        let truth = match predicate.eval(
            &|name| match (name, &mime) {
                (MIME_CATEGORY, Some(mime)) => Some(mime.clone()),
                _ => lookup(name),
            },
            rows,
        ) {
            Ok(truth) => truth,
            Err(error) => return ChunkOutput::failed(error),
        };
        let keep: Vec<bool> = truth.iter().map(|t| *t == filter::TRUE).collect();
        if !bad_rows_before.is_empty() {
            // Rows kept before each row, for the bad lines' counts of rows before them.
            let mut kept_before = Vec::with_capacity(keep.len() + 1);
            kept_before.push(0u32);
            for &k in &keep {
                kept_before.push(kept_before[kept_before.len() - 1] + u32::from(k));
            }
            for before in &mut bad_rows_before {
                *before = kept_before[*before as usize];
            }
        }
        if pushdown.row_ends {
            row_ends = row_ends
                .into_iter()
                .zip(&keep)
                .filter_map(|(end, &k)| k.then_some(end))
                .collect();
        }
        let keep = BooleanArray::from(keep);
        let kept = keep.true_count();
        named = named
            .into_iter()
            .map(|(name, column)| (name, select_rows(column, &keep)))
            .collect();
        mime = mime.map(|m| arrow_select::filter::filter(&m, &keep).unwrap_or(m));
        output.rows = kept;
    }
    // Columns read only for the filter or the classification are not part of the output.
    named.retain(|(name, _)| layout.wanted.as_ref().is_none_or(|w| w.contains(name)));
    output.mime = if pushdown.mime_output { mime } else { None };
    output.named = named;
    output.bad_rows_before = bad_rows_before;
    output.last_line_bad = last_line_bad;
    output.last_line_reported = last_line_reported;
    output.row_ends = row_ends;
    output
}

fn select_rows(column: NamedColumn, keep: &BooleanArray) -> NamedColumn {
    match column {
        NamedColumn::Typed(array) => NamedColumn::Typed(
            // Same lengths by construction: `keep` has one entry per row of the chunk.
            arrow_select::filter::filter(&array, keep).unwrap_or(array),
        ),
        NamedColumn::Inferred(inferred) => {
            // Same lengths by construction, as above.
            let texts = arrow_select::filter::filter(&inferred.texts, keep)
                .ok()
                .and_then(|a| a.as_string_view_opt().cloned())
                .unwrap_or(inferred.texts);
            NamedColumn::Inferred(Inferred {
                shape: inferred.shape,
                texts,
            })
        }
    }
}

/// A batch of `schema` from a JSON chunk's columns: by name, inferred ones typed as the
/// schema says, absent ones null.
pub fn json_batch(
    named: &[(String, NamedColumn)],
    rows: usize,
    schema: &Arc<Schema>,
    extra: &dyn Fn(&Field) -> Option<ArrayRef>,
) -> Result<RecordBatch, Error> {
    let by_name: HashMap<&str, &NamedColumn> = named
        .iter()
        .map(|(name, column)| (name.as_str(), column))
        .collect();
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            if let Some(array) = extra(field) {
                return Ok(array);
            }
            match by_name
                .get(field.name().as_str())
                .map(|column| ("", *column))
            {
                Some((_, NamedColumn::Typed(array))) => Ok(array.clone()),
                Some((_, NamedColumn::Inferred(inferred))) => {
                    let shape = shape_of_type(field.data_type()).ok_or_else(|| {
                        Error::schema(format!(
                            "column {:?} cannot be {}",
                            field.name(),
                            field.data_type()
                        ))
                    })?;
                    Ok(inferred.to_array(&shape))
                }
                None => Ok(arrow_array::new_null_array(field.data_type(), rows)),
            }
        })
        .collect::<Result<_, Error>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .map_err(|e| Error::schema(format!("cannot assemble columns: {e}")))
}

/// The Zeek type a column of `data_type` reads as (for describing a JSON log's columns).
pub fn zeek_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Timestamp(..) => "time".into(),
        DataType::Duration(_) => "interval".into(),
        DataType::UInt64 => "count".into(),
        DataType::Int64 => "int".into(),
        DataType::UInt16 => "port".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "bool".into(),
        DataType::Dictionary(..) => "enum".into(),
        DataType::List(item) => format!("vector[{}]", zeek_type_name(item.data_type())),
        _ => "string".into(),
    }
}

/// The shape whose arrow type is `data_type`, for typing an inferred column.
pub fn shape_of_type(data_type: &DataType) -> Option<Shape> {
    Some(match data_type {
        DataType::Boolean => Shape::Bool,
        DataType::Int64 => Shape::Int,
        DataType::Float64 => Shape::Float,
        DataType::Utf8View => Shape::Text,
        DataType::List(item) => Shape::List(Box::new(shape_of_type(item.data_type())?)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_only_in_bad_lines_is_no_column() {
        let data = b"{\"ts\":1.0}\n{\"ts\":2.0,\"x\":1,\"y\"z\n{\"ts\":3.0}\n";
        let layout = JsonLayout::new(None, None, false);
        let output = parse_json_chunk(data, &layout, false, &ChunkPushdown::default());
        assert_eq!((output.rows, output.bad_line_count), (2, 1));
        let names: Vec<&str> = output.named.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ts"]);
    }

    #[test]
    fn a_key_first_met_in_a_bad_line_takes_its_place_in_the_first_good_line() {
        // "y" (unknown) and "duration" (known) are met first in a bad line: they take the
        // place they have in the first good line, as when the bad line falls in another chunk.
        let data = concat!(
            "{\"ts\":1.0}\n",
            "{\"ts\":2.0,\"y\":1,\"duration\":1.0,\"z\n",
            "{\"ts\":3.0,\"x\":1,\"y\":2,\"uid\":\"C\",\"duration\":2.0,\"y\":3}\n",
        );
        let layout = JsonLayout::new(Some("conn".into()), None, false);
        let names = |output: &ChunkOutput| -> Vec<String> {
            output.named.iter().map(|(n, _)| n.clone()).collect()
        };
        let whole = parse_json_chunk(data.as_bytes(), &layout, false, &ChunkPushdown::default());
        assert_eq!((whole.rows, whole.bad_line_count), (2, 1));
        assert_eq!(names(&whole), ["ts", "x", "y", "uid", "duration"]);
        let split = data.find("{\"ts\":3.0").unwrap_or(0);
        let tail = parse_json_chunk(
            &data.as_bytes()[split..],
            &layout,
            false,
            &ChunkPushdown::default(),
        );
        assert_eq!(names(&tail), names(&whole));
    }
    use arrow_array::cast::AsArray;
    use arrow_array::types::{DurationMicrosecondType, Float64Type, UInt16Type, UInt64Type};
    use arrow_array::Array;

    fn column<'o>(output: &'o ChunkOutput, name: &str) -> &'o ArrayRef {
        match output.named.iter().find(|(n, _)| n == name) {
            Some((_, NamedColumn::Typed(array))) => array,
            _ => panic!("no typed column {name}"),
        }
    }

    #[test]
    fn lines_with_other_keys_orders_spaces_and_repeats_stay_aligned() {
        // Keys left out, keys in another order, spaces, a repeated key (the last counts), a
        // bad line whose first values must not stay behind, and a key no schema knows.
        let chunk = concat!(
            r#"{"_path":"conn","ts":1.5,"id.resp_p":80,"duration":0.25,"orig_bytes":7}"#,
            "\n",
            r#"{"_path":"conn","ts":2.5,"orig_bytes":8,"id.resp_p":443}"#,
            "\n",
            r#"{ "id.resp_p" : 53 , "_path" : "conn", "ts" : 3.5, "extra": [1, 2.5] }"#,
            "\r\n",
            r#"{"_path":"conn","ts":4.5,"id.resp_p":22,"orig_bytes":"many"}"#,
            "\n\n",
            r#"{"_path":"conn","ts":5.5,"id.resp_p":1,"id.resp_p":2,"duration":null}"#,
            "\n",
        );
        let layout = JsonLayout::new(Some("conn".into()), None, false);
        let output = parse_json_chunk(chunk.as_bytes(), &layout, false, &ChunkPushdown::default());
        assert_eq!(
            (output.rows, output.lines, output.bad_line_count),
            (4, 6, 1)
        );
        let bad = &output.bad_lines[0];
        assert_eq!((bad.line, bad.column), (Some(4), Some(4)));
        assert!(bad.message.contains("orig_bytes"), "{}", bad.message);
        let ports = column(&output, "id.resp_p").as_primitive::<UInt16Type>();
        assert_eq!(ports.values().to_vec(), [80, 443, 53, 2]);
        let bytes = column(&output, "orig_bytes").as_primitive::<UInt64Type>();
        assert_eq!(
            bytes.iter().collect::<Vec<_>>(),
            [Some(7), Some(8), None, None]
        );
        let durations = column(&output, "duration").as_primitive::<DurationMicrosecondType>();
        assert_eq!(
            durations.iter().collect::<Vec<_>>(),
            [Some(250_000), None, None, None]
        );
        let names: Vec<&str> = output.named.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "_path",
                "ts",
                "id.resp_p",
                "duration",
                "orig_bytes",
                "extra"
            ]
        );
        let Some((_, NamedColumn::Inferred(extra))) = output.named.last() else {
            panic!("extra is typed from its values");
        };
        assert_eq!(
            extra.shape,
            Shape::List(Box::new(Shape::Float)),
            "{:?}",
            extra.texts
        );
        assert_eq!(
            extra.texts.iter().collect::<Vec<_>>(),
            [None, None, Some("[1, 2.5]"), None]
        );
        let lists = extra.to_array(&extra.shape);
        let lists = lists.as_list::<i32>();
        assert_eq!(
            lists
                .value(2)
                .as_primitive::<Float64Type>()
                .values()
                .to_vec(),
            [1.0, 2.5]
        );
        assert!(lists.is_null(0) && lists.is_null(3));
    }

    #[test]
    fn damaged_lines_are_bad_lines_and_never_misalign_columns() {
        // Zeek-like lines with bytes inserted, dropped or replaced at random: every line is
        // either a row or a bad line, and every column has one value per row.
        let lines = [
            &br#"{"_path":"http","ts":1331901000.000129,"uid":"CAbc","id.resp_p":8080,"trans_depth":1,"method":"GET","uri":"/a"b\x01","resp_mime_types":["application/pdf","text/html"],"tags":[],"info_code":null}"#[..],
            br#"{"ts":"2012-03-16T12:30:00Z","id.orig_h":"10.0.0.1","status_code":200,"extra":{"a":[1,2]},"more":[1.5,"x"]}"#,
        ];
        let alphabet = b"\"{}[]:, \\\r0123456789.eE-+tfnul\xffx";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let layout = JsonLayout::new(Some("http".into()), None, false);
        for _ in 0..300 {
            let mut chunk = Vec::new();
            let mut expected_lines = 0;
            for _ in 0..8 {
                let mut line = lines[next(lines.len())].to_vec();
                for _ in 0..next(4) {
                    let at = next(line.len());
                    let byte = alphabet[next(alphabet.len())];
                    match next(3) {
                        0 => line.insert(at, byte),
                        1 => drop(line.remove(at)),
                        _ => line[at] = byte,
                    }
                }
                line.retain(|&b| b != b'\n');
                if !line.iter().all(u8::is_ascii_whitespace) {
                    expected_lines += 1;
                }
                chunk.extend_from_slice(&line);
                chunk.push(b'\n');
            }
            let output = parse_json_chunk(&chunk, &layout, false, &ChunkPushdown::default());
            assert!(output.fatal.is_none());
            assert_eq!(
                output.rows as u64 + output.bad_line_count,
                expected_lines,
                "{}",
                String::from_utf8_lossy(&chunk)
            );
            for (name, column) in &output.named {
                assert_eq!(column.len(), output.rows, "column {name}");
            }
        }
    }

    #[test]
    fn projection_parses_only_the_columns_asked_for() {
        let chunk = b"{\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"other\":[\"x\"]}\n";
        let layout = JsonLayout::new(Some("conn".into()), Some(vec!["id_orig_h".into()]), true);
        let output = parse_json_chunk(chunk, &layout, true, &ChunkPushdown::default());
        let names: Vec<&str> = output.named.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["id_orig_h"]);
        assert_eq!(
            column(&output, "id_orig_h").as_string_view().value(0),
            "10.0.0.1"
        );
    }

    #[test]
    fn shapes_join_to_the_narrowest_common_type() {
        assert_eq!(Shape::Int.join(&Shape::Float), Shape::Float);
        assert_eq!(Shape::Null.join(&Shape::Bool), Shape::Bool);
        assert_eq!(Shape::Bool.join(&Shape::Int), Shape::Text);
        let list = |s: Shape| Shape::List(Box::new(s));
        assert_eq!(
            list(Shape::Int).join(&list(Shape::Float)),
            list(Shape::Float)
        );
        assert_eq!(list(Shape::Int).join(&Shape::Int), Shape::Text);
    }
}
