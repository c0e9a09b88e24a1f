//! Columns as the parsers build them, whatever the log's format: the layout of a header
//! block or of a JSON log, what a parsed chunk hands back (typed arrays, or a JSON key's values
//! with their shape), the typed column builders, the Zeek value parsers and the memory the
//! columns are built in. Both parsers (`tsv`, `json`) build on this module; it knows neither.

pub mod builders;
pub mod memory;
pub mod values;

use crate::error::Error;
use crate::format::header::Markers;
use crate::format::schemas::builtin_schemas;
use crate::format::types::ZeekType;
use arrow_array::{Array, ArrayRef, StringViewArray};
use arrow_schema::{DataType, Field};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

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
    /// Set for a JSON log, whose columns come from its lines rather than a header.
    pub json: Option<JsonLayout>,
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
    /// Bad lines, numbered from 1 within the chunk. With `stop_at_first_bad_line` only the
    /// first is kept (and the columns are incomplete); otherwise all are counted and the first
    /// `MAX_REPORTED` kept.
    pub bad_lines: Vec<Error>,
    pub bad_line_count: u64,
    /// For each bad line counted (in line order), how many of the chunk's rows come before
    /// it: a read with `n_rows` counts only the bad lines before its last row.
    pub bad_rows_before: Vec<u32>,
    /// Where each row's line ends in the chunk (one past its line end), when the pushdown
    /// asks for it.
    pub row_ends: Vec<u32>,
    /// Whether the chunk's last line has no line end and is a bad line (so it was not read
    /// as a row), and whether it is the last of `bad_lines` (so a damaged stream that cut it
    /// is reported in its place).
    pub last_line_bad: bool,
    pub last_line_reported: bool,
    /// The `mime_category` column, when asked for.
    pub mime: Option<ArrayRef>,
    /// An error that is not about one line (a filter that does not fit the columns).
    pub fatal: Option<Error>,
    /// A JSON chunk's columns, by output name (a TSV chunk's are in `columns`).
    pub named: Vec<(String, NamedColumn)>,
}

impl ChunkOutput {
    pub(crate) fn failed(error: Error) -> ChunkOutput {
        ChunkOutput {
            fatal: Some(error),
            ..ChunkOutput::rows(0, 0, Vec::new(), 0)
        }
    }

    pub(crate) fn rows(
        rows: usize,
        lines: u64,
        bad_lines: Vec<Error>,
        bad_line_count: u64,
    ) -> ChunkOutput {
        ChunkOutput {
            columns: Vec::new(),
            rows,
            lines,
            bad_lines,
            bad_line_count,
            bad_rows_before: Vec::new(),
            row_ends: Vec::new(),
            last_line_bad: false,
            last_line_reported: false,
            mime: None,
            fatal: None,
            named: Vec::new(),
        }
    }
}

/// How many skipped lines are described one by one; the rest are only counted.
pub const MAX_REPORTED: usize = 20;

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

    /// The layout with the types the user declared (`fields=` with `types=`), which win over
    /// the built-in ones and over typing keys by their values.
    pub fn with_declared(mut self, declared: Option<(Vec<String>, Vec<String>)>) -> JsonLayout {
        for (field, zeek_type) in declared.into_iter().flat_map(|(f, t)| f.into_iter().zip(t)) {
            self.known.insert(field, ZeekType::parse(&zeek_type));
        }
        self
    }

    pub(crate) fn output_name<'k>(&self, key: &'k str) -> Cow<'k, str> {
        if self.rename_underscore && key.contains('.') {
            Cow::Owned(key.replace('.', "_"))
        } else {
            Cow::Borrowed(key)
        }
    }
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
/// otherwise; null for null), typed once the shape of every chunk is known. A column that
/// stays text is these very strings, not a copy.
#[derive(Debug, Clone)]
pub struct Inferred {
    pub shape: Shape,
    pub texts: StringViewArray,
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
            NamedColumn::Inferred(inferred) => inferred.texts.len(),
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
