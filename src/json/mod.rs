//! Zeek JSON logs (`LogAscii::use_json=T`, Security Onion, Corelight): one object per line,
//! keys keep their dots, absent keys and `null` are null, arrays are lists. The types of a
//! log type's fields come from the built-in schemas; other keys are typed from their values,
//! the same way in every chunk (`Shape`, joined when the chunks are put together).

pub mod scan;

use crate::error::Error;
use crate::format::schemas::builtin_schemas;
use crate::format::types::ZeekType;
use crate::pushdown::filter;
use crate::pushdown::{ChunkPushdown, MIME_CATEGORY, MIME_SOURCE};
use crate::tsv::values::{parse_count, parse_double, parse_int, parse_micros, parse_port};
use crate::tsv::{ChunkOutput, MAX_REPORTED};
use arrow_array::builder::{StringDictionaryBuilder, StringViewBuilder};
use arrow_array::types::{
    DurationMicrosecondType, Float64Type, Int64Type, TimestampMicrosecondType, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, ListArray, PrimitiveArray, RecordBatch, RecordBatchOptions,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Schema};
use scan::{Kind, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// How a JSON log is read: the known types of its log type's fields, and the projection.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonLayout {
    pub log_type: Option<String>,
    /// Zeek types by key (Zeek's dotted names).
    pub known: HashMap<String, ZeekType>,
    /// Output names wanted (after renaming); `None` keeps every key.
    pub wanted: Option<Vec<String>>,
    pub rename_underscore: bool,
}

impl JsonLayout {
    /// The layout of a log of `log_type` (the known fields of every version of it, newest
    /// first), plus the keys Zeek's JSON writers add to every log.
    pub fn new(
        log_type: Option<String>,
        wanted: Option<Vec<String>>,
        rename_underscore: bool,
    ) -> JsonLayout {
        let mut known = HashMap::new();
        for (key, zeek_type) in [
            ("ts", "time"),
            ("_path", "string"),
            ("_write_ts", "time"),
            ("_node_name", "string"),
            ("_system_name", "string"),
            ("uid", "string"),
        ] {
            known.insert(key.to_owned(), ZeekType::parse(zeek_type));
        }
        if let Some(log_type) = &log_type {
            for schema in builtin_schemas()
                .iter()
                .filter(|s| s.log_type == log_type.as_str())
            {
                for (field, zeek_type) in schema.fields.iter().zip(&schema.types) {
                    known
                        .entry((*field).to_owned())
                        .or_insert_with(|| ZeekType::parse(zeek_type));
                }
            }
        }
        JsonLayout {
            log_type,
            known,
            wanted,
            rename_underscore,
        }
    }

    fn output_name<'k>(&self, key: &'k str) -> Cow<'k, str> {
        if self.rename_underscore && key.contains('.') {
            Cow::Owned(key.replace('.', "_"))
        } else {
            Cow::Borrowed(key)
        }
    }
}

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

/// The type of a key no schema knows, from the values seen; joined across chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Null,
    Bool,
    Int,
    Float,
    Text,
    List(Box<Shape>),
}

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
                let mut items = Vec::new();
                let array = &line[value.start..value.end];
                if scan::elements(array, &mut items).is_err() {
                    return Shape::Text;
                }
                let element = items
                    .iter()
                    .fold(Shape::Null, |acc, item| acc.join(&Shape::of(item, array)));
                match element {
                    Shape::List(_) => Shape::List(Box::new(Shape::Text)),
                    element => Shape::List(Box::new(element)),
                }
            }
        }
    }

    pub fn join(&self, other: &Shape) -> Shape {
        match (self, other) {
            (Shape::Null, x) | (x, Shape::Null) => x.clone(),
            (a, b) if a == b => a.clone(),
            (Shape::Int, Shape::Float) | (Shape::Float, Shape::Int) => Shape::Float,
            (Shape::List(a), Shape::List(b)) => Shape::List(Box::new(a.join(b))),
            _ => Shape::Text,
        }
    }

    pub fn arrow_type(&self) -> DataType {
        match self {
            Shape::Bool => DataType::Boolean,
            Shape::Int => DataType::Int64,
            Shape::Float => DataType::Float64,
            Shape::Null | Shape::Text => DataType::Utf8View,
            Shape::List(element) => {
                DataType::List(Arc::new(Field::new("item", element.arrow_type(), true)))
            }
        }
    }
}

/// A column of a key no schema knows: each value's text (decoded for strings, as written
/// otherwise), typed once the shape of every chunk is known.
#[derive(Debug, Clone)]
pub struct Inferred {
    pub shape: Shape,
    pub values: Vec<Option<String>>,
}

impl Inferred {
    /// The values as an array of `shape`'s type (a join of this column's own shape).
    pub fn to_array(&self, shape: &Shape) -> ArrayRef {
        let cells: Vec<Cell<'_>> = self
            .values
            .iter()
            .map(|value| match value {
                None => Cell::Null,
                Some(text) => inferred_cell(text, shape),
            })
            .collect();
        build(&cells, &shape_type(shape))
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

fn inferred_cell<'t>(text: &'t str, shape: &Shape) -> Cell<'t> {
    match shape {
        Shape::Bool => Cell::Bool(text == "true"),
        Shape::Int => text.parse().map_or(Cell::Null, Cell::I64),
        Shape::Float => text.parse().map_or(Cell::Null, Cell::F64),
        Shape::Null | Shape::Text => Cell::Text(Cow::Borrowed(text)),
        Shape::List(element) => {
            let mut items = Vec::new();
            let bytes = text.as_bytes();
            if scan::elements(bytes, &mut items).is_err() {
                return Cell::Null;
            }
            Cell::List(
                items
                    .iter()
                    .map(|item| match item_text(item, bytes) {
                        Some(text) => match inferred_cell(&text, element) {
                            Cell::Text(t) => Cell::Text(Cow::Owned(t.into_owned())),
                            Cell::List(_) => Cell::Null,
                            other => other.owned(),
                        },
                        None => Cell::Null,
                    })
                    .collect(),
            )
        }
    }
}

/// A value's text: decoded for a string, as written otherwise; `None` for null.
fn item_text(value: &Value, line: &[u8]) -> Option<String> {
    let raw = &line[value.start..value.end];
    match value.kind {
        Kind::Null => None,
        Kind::String { .. } => scan::unescape(raw).ok().map(Cow::into_owned),
        _ => Some(String::from_utf8_lossy(raw).into_owned()),
    }
}

/// One converted value, borrowed from the line where it can be.
#[derive(Debug, Clone, PartialEq)]
enum Cell<'a> {
    Null,
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    List(Vec<Cell<'static>>),
}

impl Cell<'_> {
    fn owned(self) -> Cell<'static> {
        match self {
            Cell::Null => Cell::Null,
            Cell::I64(v) => Cell::I64(v),
            Cell::U64(v) => Cell::U64(v),
            Cell::F64(v) => Cell::F64(v),
            Cell::Bool(v) => Cell::Bool(v),
            Cell::Text(t) => Cell::Text(Cow::Owned(t.into_owned())),
            Cell::List(items) => Cell::List(items),
        }
    }
}

/// Epoch seconds (a decimal), epoch milliseconds (an integer of 12 digits or more) or
/// ISO-8601 (`2018-03-24T17:15:20.624556Z`), as microseconds since the epoch.
fn time_micros(value: &Value, line: &[u8]) -> Option<i64> {
    let raw = &line[value.start..value.end];
    match value.kind {
        Kind::Number => {
            let digits = raw.strip_prefix(b"-").unwrap_or(raw);
            if digits.len() >= 12 && digits.iter().all(u8::is_ascii_digit) {
                let millis = parse_int(raw)?;
                millis.checked_mul(1000)
            } else {
                parse_micros(raw)
            }
        }
        Kind::String { .. } => iso8601_micros(raw).or_else(|| parse_micros(raw)),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)` (a space for the `T` too).
fn iso8601_micros(text: &[u8]) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if text.len() < 19
        || text[4] != b'-'
        || text[7] != b'-'
        || !matches!(text[10], b'T' | b' ')
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0i64;
    if text.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while text.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let fraction = &text[start..at];
        if fraction.is_empty() {
            return None;
        }
        // Round to the nearest microsecond.
        let mut scaled = 0i64;
        for i in 0..6 {
            scaled = scaled * 10 + fraction.get(i).map_or(0, |d| i64::from(d - b'0'));
        }
        if fraction.get(6).is_some_and(|&d| d >= b'5') {
            scaled += 1;
        }
        micros = scaled;
    }
    let offset_seconds = match &text[at..] {
        b"Z" | b"" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = number(at + 1..at + 3)?;
            let minutes = number(at + 4..at + 6)?;
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    seconds.checked_mul(1_000_000)?.checked_add(micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Convert a value to a column of `zeek_type`; `Err` names what was expected.
fn convert<'l>(
    zeek_type: &ZeekType,
    value: &Value,
    line: &'l [u8],
) -> Result<Cell<'l>, &'static str> {
    if value.kind == Kind::Null {
        return Ok(Cell::Null);
    }
    let raw = &line[value.start..value.end];
    let number = matches!(value.kind, Kind::Number | Kind::String { escaped: false });
    let cell = match zeek_type {
        ZeekType::Time => time_micros(value, line).map(Cell::I64).ok_or("a time")?,
        ZeekType::Interval if number => parse_micros(raw).map(Cell::I64).ok_or("an interval")?,
        ZeekType::Count if number => parse_count(raw).map(Cell::U64).ok_or("a count")?,
        ZeekType::Int if number => parse_int(raw).map(Cell::I64).ok_or("an integer")?,
        ZeekType::Port if number => parse_port(raw)
            .map(|p| Cell::U64(u64::from(p)))
            .ok_or("a port")?,
        ZeekType::Double if number => parse_double(raw).map(Cell::F64).ok_or("a number")?,
        ZeekType::Bool => match value.kind {
            Kind::Bool(b) => Cell::Bool(b),
            _ => return Err("true or false"),
        },
        ZeekType::Enum | ZeekType::String => match value.kind {
            Kind::String { .. } => Cell::Text(scan::unescape(raw).map_err(|_| "text")?),
            _ => Cell::Text(String::from_utf8_lossy(raw)),
        },
        ZeekType::List(element) => {
            if value.kind != Kind::Array {
                return Err("an array");
            }
            let mut items = Vec::new();
            scan::elements(raw, &mut items).map_err(|_| "an array")?;
            let mut cells = Vec::with_capacity(items.len());
            for item in &items {
                cells.push(convert(element, item, raw)?.owned());
            }
            Cell::List(cells)
        }
        ZeekType::Interval => return Err("an interval"),
        ZeekType::Count => return Err("a count"),
        ZeekType::Int => return Err("an integer"),
        ZeekType::Port => return Err("a port"),
        ZeekType::Double => return Err("a number"),
    };
    Ok(cell)
}

/// An array of `zeek_type` from converted cells.
fn build(cells: &[Cell<'_>], zeek_type: &ZeekType) -> ArrayRef {
    fn ints(cells: &[Cell<'_>]) -> Vec<Option<i64>> {
        cells
            .iter()
            .map(|c| match c {
                Cell::I64(v) => Some(*v),
                _ => None,
            })
            .collect()
    }
    fn uints(cells: &[Cell<'_>]) -> Vec<Option<u64>> {
        cells
            .iter()
            .map(|c| match c {
                Cell::U64(v) => Some(*v),
                _ => None,
            })
            .collect()
    }
    match zeek_type {
        ZeekType::Time => Arc::new(
            PrimitiveArray::<TimestampMicrosecondType>::from(ints(cells))
                .with_timezone(crate::format::types::TIME_ZONE),
        ),
        ZeekType::Interval => {
            Arc::new(PrimitiveArray::<DurationMicrosecondType>::from(ints(cells)))
        }
        ZeekType::Int => Arc::new(PrimitiveArray::<Int64Type>::from(ints(cells))),
        ZeekType::Count => Arc::new(PrimitiveArray::<UInt64Type>::from(uints(cells))),
        ZeekType::Port => Arc::new(PrimitiveArray::<UInt16Type>::from(
            uints(cells)
                .into_iter()
                .map(|v| v.map(|p| p as u16))
                .collect::<Vec<_>>(),
        )),
        ZeekType::Double => Arc::new(PrimitiveArray::<Float64Type>::from(
            cells
                .iter()
                .map(|c| match c {
                    Cell::F64(v) => Some(*v),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )),
        ZeekType::Bool => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Bool(v) => Some(*v),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        ZeekType::Enum => {
            let mut builder = StringDictionaryBuilder::<UInt32Type>::new();
            for cell in cells {
                match cell {
                    Cell::Text(t) => builder.append_value(t),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        ZeekType::String => {
            let mut builder = StringViewBuilder::with_capacity(cells.len());
            for cell in cells {
                match cell {
                    Cell::Text(t) => builder.append_value(t),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        ZeekType::List(element) => {
            let mut offsets = Vec::with_capacity(cells.len() + 1);
            offsets.push(0i32);
            let mut valid = Vec::with_capacity(cells.len());
            let mut items: Vec<Cell<'_>> = Vec::new();
            for cell in cells {
                if let Cell::List(list) = cell {
                    items.extend(list.iter().cloned());
                    valid.push(true);
                } else {
                    valid.push(false);
                }
                // A chunk holds a few MB, far below the i32 offset limit.
                offsets.push(items.len() as i32);
            }
            let values = build(&items, element);
            let field = Arc::new(Field::new("item", values.data_type().clone(), true));
            let nulls = NullBuffer::from(valid);
            Arc::new(ListArray::new(
                field,
                OffsetBuffer::new(offsets.into()),
                values,
                (nulls.null_count() > 0).then_some(nulls),
            ))
        }
    }
}

/// A column being filled, for a key the schema knows or one typed from its values.
enum Column<'a> {
    Known {
        zeek_type: ZeekType,
        cells: Vec<Cell<'a>>,
    },
    Unknown(Inferred),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::Known { cells, .. } => cells.len(),
            Column::Unknown(inferred) => inferred.values.len(),
        }
    }

    fn pad(&mut self, rows: usize) {
        match self {
            Column::Known { cells, .. } => cells.resize(rows, Cell::Null),
            Column::Unknown(inferred) => inferred.values.resize(rows, None),
        }
    }
}

/// A JSON chunk's column, by output name.
#[derive(Debug, Clone)]
pub enum NamedColumn {
    Typed(ArrayRef),
    Inferred(Inferred),
}

impl NamedColumn {
    pub fn len(&self) -> usize {
        match self {
            NamedColumn::Typed(array) => array.len(),
            NamedColumn::Inferred(inferred) => inferred.values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The array's type now: a typed column's own, or that of the values seen in the chunk.
    pub fn data_type(&self) -> DataType {
        match self {
            NamedColumn::Typed(array) => array.data_type().clone(),
            NamedColumn::Inferred(inferred) => inferred.shape.arrow_type(),
        }
    }
}

/// Parse a chunk of whole JSON lines, applying the pushdown like the TSV parser does.
pub fn parse_json_chunk(
    data: &[u8],
    layout: &JsonLayout,
    stop_at_first_bad_line: bool,
    pushdown: &ChunkPushdown<'_>,
) -> ChunkOutput {
    let filter_columns = pushdown.filter.map(|f| f.columns()).unwrap_or_default();
    let needed = |name: &str| {
        layout
            .wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|n| n == name))
            || filter_columns.contains(&name)
            || (pushdown.mime.is_some() && name == MIME_SOURCE)
    };
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<Vec<u8>, Option<usize>> = HashMap::new();
    let mut last_keys: Vec<(Vec<u8>, Option<usize>)> = Vec::new();
    let mut columns: Vec<Column<'_>> = Vec::new();
    let mut members = Vec::new();
    let mut cells: Vec<(usize, Cell<'_>)> = Vec::new();
    // The line's keys no schema knows: their column and their place in the line.
    let mut unknown: Vec<(usize, usize)> = Vec::new();
    let mut bad_lines = Vec::new();
    let mut bad_line_count = 0u64;
    let mut rows = 0usize;
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
        let failure = match scan::members(line, &mut members) {
            Err(syntax) => Some(
                Error::parse(format!("not a JSON object: expected {}", syntax.message))
                    .with_value(&line[syntax.at.min(line.len())..(syntax.at + 20).min(line.len())]),
            ),
            Ok(()) => {
                cells.clear();
                unknown.clear();
                let mut failure = None;
                for (position, (key, value)) in members.iter().enumerate() {
                    // Zeek writes the keys in the same order on every line: a key is usually
                    // the one the line before had at the same place, found without hashing.
                    let cached = last_keys
                        .get(position)
                        .filter(|(last, _)| last.as_slice() == *key)
                        .map(|(_, slot)| *slot);
                    let slot = match cached.or_else(|| index.get(*key).copied()) {
                        Some(slot) => slot,
                        None => {
                            let key_text = String::from_utf8_lossy(key).into_owned();
                            let name = layout.output_name(&key_text).into_owned();
                            let slot = needed(&name).then(|| {
                                let column = match layout.known.get(&key_text) {
                                    Some(zeek_type) => Column::Known {
                                        zeek_type: zeek_type.clone(),
                                        cells: Vec::new(),
                                    },
                                    None => Column::Unknown(Inferred {
                                        shape: Shape::Null,
                                        values: Vec::new(),
                                    }),
                                };
                                columns.push(column);
                                names.push(name);
                                columns.len() - 1
                            });
                            index.insert(key.to_vec(), slot);
                            slot
                        }
                    };
                    if cached.is_none() {
                        if last_keys.len() <= position {
                            last_keys.resize(position + 1, (Vec::new(), None));
                        }
                        last_keys[position] = (key.to_vec(), slot);
                    }
                    let Some(slot) = slot else { continue };
                    let cell = match &columns[slot] {
                        Column::Known { zeek_type, .. } => convert(zeek_type, value, line),
                        Column::Unknown(_) => {
                            unknown.push((slot, position));
                            continue;
                        }
                    };
                    match cell {
                        Ok(cell) => cells.push((slot, cell)),
                        Err(expected) => {
                            let raw = &line[value.start..value.end];
                            failure = Some(
                                Error::parse(format!("field {:?} is not {expected}", names[slot]))
                                    .with_value(raw),
                            );
                            break;
                        }
                    }
                }
                if failure.is_none() {
                    for &(slot, position) in &unknown {
                        let value = &members[position].1;
                        if let Column::Unknown(inferred) = &mut columns[slot] {
                            inferred.values.resize(rows, None);
                            inferred.shape = inferred.shape.join(&Shape::of(value, line));
                            inferred.values.push(item_text(value, line));
                        }
                    }
                }
                failure
            }
        };
        if let Some(error) = failure {
            bad_line_count += 1;
            if bad_lines.len() < MAX_REPORTED {
                bad_lines.push(error.with_line(line_count));
            }
            if stop_at_first_bad_line {
                break;
            }
            continue;
        }
        for (slot, cell) in cells.drain(..) {
            if let Column::Known { cells: column, .. } = &mut columns[slot] {
                column.resize(rows, Cell::Null);
                column.push(cell);
            }
        }
        rows += 1;
    }
    if stop_at_first_bad_line && !bad_lines.is_empty() {
        bad_lines.truncate(1);
        bad_line_count = 1;
    }
    for column in &mut columns {
        if column.len() < rows {
            column.pad(rows);
        }
    }
    let mut named: Vec<(String, NamedColumn)> = names
        .into_iter()
        .zip(columns)
        .map(|(name, column)| {
            let column = match column {
                Column::Known { zeek_type, cells } => NamedColumn::Typed(build(&cells, &zeek_type)),
                Column::Unknown(inferred) => NamedColumn::Inferred(inferred),
            };
            (name, column)
        })
        .collect();
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
    output
}

fn select_rows(column: NamedColumn, keep: &BooleanArray) -> NamedColumn {
    match column {
        NamedColumn::Typed(array) => NamedColumn::Typed(
            // Same lengths by construction: `keep` has one entry per row of the chunk.
            arrow_select::filter::filter(&array, keep).unwrap_or(array),
        ),
        NamedColumn::Inferred(inferred) => NamedColumn::Inferred(Inferred {
            shape: inferred.shape,
            values: inferred
                .values
                .into_iter()
                .zip(keep.values().iter())
                .filter_map(|(v, k)| k.then_some(v))
                .collect(),
        }),
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
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            if let Some(array) = extra(field) {
                return Ok(array);
            }
            match named.iter().find(|(name, _)| name == field.name()) {
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
    fn iso8601_and_epoch_times() {
        assert_eq!(
            iso8601_micros(b"2018-03-24T17:15:20.624556Z"),
            Some(1_521_911_720_624_556)
        );
        assert_eq!(iso8601_micros(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso8601_micros(b"2018-03-24T19:15:20.6245565+02:00"),
            Some(1_521_911_720_624_557)
        );
        assert_eq!(iso8601_micros(b"1969-12-31T23:59:59.5Z"), Some(-500_000));
        assert_eq!(iso8601_micros(b"2018-13-24T17:15:20Z"), None);
        let line = b"1521911720624 1521911720.624556 2.385616957e+09";
        let value = |start, end| Value {
            kind: Kind::Number,
            start,
            end,
        };
        assert_eq!(
            time_micros(&value(0, 13), line),
            Some(1_521_911_720_624_000)
        );
        assert_eq!(
            time_micros(&value(14, 31), line),
            Some(1_521_911_720_624_556)
        );
        assert_eq!(
            time_micros(&value(32, 47), line),
            Some(2_385_616_957_000_000)
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
