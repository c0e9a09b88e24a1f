//! Columns as the parsers build them, whatever the log's format: the layout of a header
//! block, what a parsed chunk hands back, the typed column builders, the Zeek value parsers and
//! the memory the columns are built in.

pub mod builders;
pub mod memory;
pub mod values;

use crate::error::Error;
use crate::format::header::Markers;
use crate::format::types::ZeekType;
use arrow_array::ArrayRef;

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
    pub json: Option<crate::json::JsonLayout>,
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
    pub named: Vec<(String, crate::json::NamedColumn)>,
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
