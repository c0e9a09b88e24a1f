//! Zeek TSV data lines -> Arrow columns, one chunk of whole lines at a time. Pure Rust: the
//! chunk's bytes and the block's layout in, arrays and positioned errors out.

pub mod delimiters;

use crate::columns::builders::{self, Builder, FieldContext};
use crate::columns::memory;
use crate::columns::{Block, ChunkOutput, MAX_REPORTED};
use crate::error::Error;
use crate::format::types::ZeekType;
use crate::pushdown::filter;
use crate::pushdown::{ChunkPushdown, FileSampler, MIME_CATEGORY, MIME_SOURCE};
use arrow_array::ArrayRef;
use delimiters::{byte_mask, find_delimiters, find_newlines, Baseline, Compare, BLOCK};

/// Where the fields of a chunk's well-formed lines are. The first pass records every field's
/// end so the second pass can parse one column at a time: a tight loop per Zeek type instead
/// of a type dispatch per field.
#[derive(Default)]
struct Layout {
    /// Field ends. A well-formed line owns `field_count` consecutive entries, starting at
    /// its `first` index; entries of bad or blank lines are skipped, not removed.
    ends: Vec<u32>,
    /// Line ends found by the first pass (the single-byte path only).
    newlines: Vec<u32>,
    /// Per well-formed line: its start, the index of its first field end, its line number
    /// (from 0 within the chunk).
    starts: Vec<u32>,
    first: Vec<u32>,
    lines: Vec<u32>,
    /// Lines with the wrong number of fields.
    bad: Vec<Error>,
    /// Whether the last of `bad` is a last line without a line end.
    bad_unterminated: bool,
    /// Lines seen, blank and bad ones included.
    line_count: u64,
    /// Field ends stored per well-formed line: all fields, or the first ones a projection
    /// needs.
    stride: usize,
    /// Set for a sampled read: each kept line's stored fields are copied into `compact` as
    /// the tokenizer closes it (while its bytes are still in the nearest cache), one `\n`
    /// after each, and its `starts` and `ends` point into `compact` instead of the chunk.
    /// The column passes then read a tenth of a chunk, packed, instead of lines strewn
    /// over all of it.
    compacting: bool,
    compact: Vec<u8>,
}

thread_local! {
    /// The layout's vectors, kept per thread so each chunk reuses warm memory.
    static LAYOUT: std::cell::RefCell<Layout> = std::cell::RefCell::new(Layout::default());
}

/// What a prefix tokenizer looks for in a chunk: lines of `field_count` fields split at
/// `separator`, of which the first `needed` field ends of each wanted line are stored;
/// `stop` ends the chunk at its first bad line.
#[derive(Clone, Copy)]
struct Prefix {
    separator: u8,
    field_count: usize,
    needed: usize,
    stop: bool,
}

impl Layout {
    fn clear(&mut self) {
        self.ends.clear();
        self.newlines.clear();
        self.starts.clear();
        self.first.clear();
        self.lines.clear();
        self.bad.clear();
        self.bad_unterminated = false;
        self.line_count = 0;
        self.compacting = false;
        self.compact.clear();
    }

    /// Single-byte separator when only some lines (sampling) or only the first `needed`
    /// fields (projection, filters) are wanted: only the first `needed` positions of a wanted
    /// line are stored; the rest are only counted, to check the line's field count. One pass
    /// over 64-byte blocks, or line by line for a `\n` or `\r` separator.
    fn tokenize_prefix(&mut self, data: &[u8], prefix: Prefix, keep: &impl Fn(usize) -> bool) {
        if prefix.separator == b'\n' || prefix.separator == b'\r' {
            self.tokenize_prefix_by_line(data, prefix, keep);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = delimiters::Avx2::detect() {
            // SAFETY: `avx2` proves the CPU has the features the function is compiled for.
            unsafe {
                self.tokenize_prefix_avx2(avx2, data, prefix, keep);
            }
            return;
        }
        self.tokenize_prefix_in_blocks(Baseline, data, prefix, keep);
    }

    /// `tokenize_prefix_in_blocks` compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must have the features `Avx2::detect` checks (an `Avx2` proves it).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,bmi2,popcnt,lzcnt")]
    unsafe fn tokenize_prefix_avx2(
        &mut self,
        avx2: delimiters::Avx2,
        data: &[u8],
        prefix: Prefix,
        keep: &impl Fn(usize) -> bool,
    ) {
        self.tokenize_prefix_in_blocks(avx2, data, prefix, keep);
    }

    /// `tokenize_prefix` in one pass over 64-byte blocks of the chunk: each block's separator
    /// and line-end masks are walked line end by line end, the separators before each line
    /// end counted (and the first `needed` of a wanted line's stored). The chunk's text is
    /// read once, aligned, instead of once for its line ends and again per wanted line. A
    /// block's separators are only looked for when a wanted line has fields in it.
    /// Separators other than `\n` and `\r` only: a `\r` before a line end is not a separator.
    #[inline(always)]
    fn tokenize_prefix_in_blocks<C: Compare>(
        &mut self,
        compare: C,
        data: &[u8],
        prefix: Prefix,
        keep: &impl Fn(usize) -> bool,
    ) {
        let Prefix {
            separator,
            field_count,
            needed,
            stop,
        } = prefix;
        self.stride = needed;
        let mut line_start = 0usize;
        let mut kept = !data.is_empty() && keep(0);
        let mut first = self.ends.len();
        let mut separators = 0usize;
        let mut tail = [0u8; BLOCK];
        let mut base = 0;
        while base < data.len() {
            let (block, valid) = if base + BLOCK <= data.len() {
                (&data[base..base + BLOCK], u64::MAX)
            } else {
                let rest = data.len() - base;
                tail[..rest].copy_from_slice(&data[base..]);
                (&tail[..], (1u64 << rest) - 1)
            };
            let mut ends = compare.mask(block, b'\n') & valid;
            // The block's separators after the last line end passed, once a wanted line
            // needs them.
            let mut seps = None;
            loop {
                // The separators before the next line end in this block (all, if none).
                let before = if ends == 0 {
                    u64::MAX
                } else {
                    (ends & ends.wrapping_neg()) - 1
                };
                if kept {
                    let seps = seps.get_or_insert_with(|| {
                        // Only the wanted line's own: from its start, if in this block.
                        let skip = line_start.saturating_sub(base) as u32;
                        let from = u64::MAX.checked_shl(skip).unwrap_or(0);
                        compare.mask(block, separator) & valid & from
                    });
                    let mut mine = *seps & before;
                    while mine != 0 && separators < needed {
                        self.ends
                            .push((base + mine.trailing_zeros() as usize) as u32);
                        mine &= mine - 1;
                        separators += 1;
                    }
                    separators += mine.count_ones() as usize;
                }
                if ends == 0 {
                    break;
                }
                let newline = base + ends.trailing_zeros() as usize;
                let fields = separators + 1;
                let line = (line_start, newline, kept, first);
                if !self.prefix_line_end(data, line, fields, field_count, false) && stop {
                    return;
                }
                // Past this line end: the separators up to it are counted.
                if let Some(seps) = &mut seps {
                    *seps &= !(before | (before + 1));
                }
                ends &= ends - 1;
                line_start = newline + 1;
                kept = line_start < data.len() && keep(line_start);
                first = self.ends.len();
                separators = 0;
            }
            base += BLOCK;
        }
        if line_start < data.len() {
            let line = (line_start, data.len(), kept, first);
            self.prefix_line_end(data, line, separators + 1, field_count, true);
        }
    }

    /// The end of a line of `tokenize_prefix_in_blocks`: `(start, end, kept, first)`, the
    /// line from `start` to its line end (or the chunk's end) at `end`, whose first
    /// separators, if `kept`, are stored from `first`. Recorded as blank, left out,
    /// well-formed or bad; false for a bad line.
    #[inline(always)]
    fn prefix_line_end(
        &mut self,
        data: &[u8],
        (start, newline, kept, first): (usize, usize, bool, usize),
        fields: usize,
        field_count: usize,
        unterminated: bool,
    ) -> bool {
        if !kept {
            self.line_count += 1;
            return true;
        }
        let mut end = newline;
        if end > start && data[end - 1] == b'\r' {
            end -= 1;
        }
        if end == start {
            self.line_count += 1;
            return true;
        }
        self.close_prefix_line(data, (start, end, first), fields, field_count, unterminated)
    }

    /// `tokenize_prefix` line by line: each line's end found first, then its separators.
    fn tokenize_prefix_by_line(
        &mut self,
        data: &[u8],
        prefix: Prefix,
        keep: &impl Fn(usize) -> bool,
    ) {
        self.stride = prefix.needed;
        find_newlines(data, &mut self.newlines);
        let newlines = std::mem::take(&mut self.newlines);
        let mut line_start = 0usize;
        let ends = newlines.iter().map(|&n| (n as usize, false));
        let last = (line_start < data.len()).then_some((data.len(), true));
        for (newline, unterminated) in ends.chain(last) {
            if unterminated && newline <= line_start {
                break;
            }
            let mut end = newline;
            if end > line_start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if end == line_start || !keep(line_start) {
                self.line_count += 1;
            } else if !self.prefix_line(data, (line_start, end), prefix, unterminated)
                && prefix.stop
            {
                break;
            }
            line_start = newline + 1;
        }
        self.newlines = newlines;
    }

    /// Store the first `needed` field ends of one line; false if its field count is wrong.
    #[inline(always)]
    fn prefix_line(
        &mut self,
        data: &[u8],
        (start, end): (usize, usize),
        prefix: Prefix,
        unterminated: bool,
    ) -> bool {
        let Prefix {
            separator,
            field_count,
            needed,
            ..
        } = prefix;
        let first = self.ends.len();
        let mut separators = 0usize;
        let mut at = start;
        while at < end {
            let mut mask = byte_mask(data, at, separator);
            if end - at < 64 {
                mask &= (1u64 << (end - at)) - 1;
            }
            while mask != 0 && separators < needed {
                self.ends.push((at + mask.trailing_zeros() as usize) as u32);
                mask &= mask - 1;
                separators += 1;
            }
            separators += mask.count_ones() as usize;
            at += 64;
        }
        self.close_prefix_line(
            data,
            (start, end, first),
            separators + 1,
            field_count,
            unterminated,
        )
    }

    /// A wanted line of `fields` fields from `start` to `end` (its line end, `\r` left
    /// out), whose first field ends are stored from `first`: recorded as well-formed, or as
    /// bad (its stored ends dropped) when it has not `field_count` fields; false then.
    #[inline(always)]
    fn close_prefix_line(
        &mut self,
        data: &[u8],
        (start, end, first): (usize, usize, usize),
        fields: usize,
        field_count: usize,
        unterminated: bool,
    ) -> bool {
        if fields != field_count {
            self.ends.truncate(first);
            self.bad_line(fields, field_count, unterminated);
            return false;
        }
        if self.stride == field_count {
            self.ends.push(end as u32);
        }
        let start = if self.compacting {
            self.compact_line(data, start, first)
        } else {
            start
        };
        self.good_line(start, first);
        true
    }

    /// Copy a kept line's stored fields (from `start` to the end of the last one stored at
    /// `first..`) into `compact` and point its ends there; returns its start there.
    #[inline(never)]
    fn compact_line(&mut self, data: &[u8], start: usize, first: usize) -> usize {
        let stored = &mut self.ends[first..first + self.stride];
        // A well-formed line stores `stride` >= 1 ends, the last no further than its end.
        let end = stored.last().map_or(start, |&e| e as usize);
        let at = self.compact.len();
        self.compact.extend_from_slice(&data[start..end]);
        // Lines stay apart as in the chunk, so a UTF-8 check of the whole of `compact`
        // holds for each field in it, as the chunk's does.
        self.compact.push(b'\n');
        // The line moves down: it starts at or after `at`, which is at most `start`.
        let shift = (start - at) as u32;
        for e in stored.iter_mut() {
            *e -= shift;
        }
        at
    }

    fn good_line(&mut self, start: usize, first: usize) {
        self.starts.push(start as u32);
        self.first.push(first as u32);
        self.lines.push(self.line_count as u32);
        self.line_count += 1;
    }

    /// Record a line with `fields` fields instead of `field_count`.
    fn bad_line(&mut self, fields: usize, field_count: usize, unterminated: bool) {
        let message = if unterminated && fields < field_count {
            format!(
                "truncated last line: {fields} of {field_count} fields before the file ends \
                 without a line end"
            )
        } else {
            format!("line has {fields} fields, #fields has {field_count}")
        };
        self.bad_unterminated = unterminated;
        self.line_count += 1;
        self.bad
            .push(Error::parse(message).with_line(self.line_count));
    }

    /// The single-byte path. All separator and line-end positions are first written out in
    /// one pass over 64-byte blocks; then each line is checked in constant time: it is
    /// well-formed exactly when its `field_count`-th delimiter is its own line end.
    fn tokenize_single_byte(&mut self, data: &[u8], separator: u8, field_count: usize, stop: bool) {
        self.stride = field_count;
        find_delimiters(data, separator, &mut self.ends, &mut self.newlines);
        let newlines = std::mem::take(&mut self.newlines);
        let mut next = 0usize;
        let mut line_start = 0usize;
        for &newline in &newlines {
            let newline = newline as usize;
            let mut end = newline;
            if end > line_start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if end == line_start {
                // A blank line owns one delimiter: its line end.
                self.line_count += 1;
                next += 1;
            } else if self.ends.get(next + field_count - 1) == Some(&(newline as u32)) {
                self.ends[next + field_count - 1] = end as u32;
                self.good_line(line_start, next);
                next += field_count;
            } else {
                let own = self.ends[next..].partition_point(|&e| (e as usize) < newline);
                self.bad_line(own + 1, field_count, false);
                next += own + 1;
                if stop {
                    self.newlines = newlines;
                    return;
                }
            }
            line_start = newline + 1;
        }
        self.newlines = newlines;
        if line_start < data.len() {
            let mut end = data.len();
            if data[end - 1] == b'\r' {
                end -= 1;
            }
            let fields = self.ends.len() - next + 1;
            if end == line_start {
                self.line_count += 1;
            } else if fields == field_count {
                self.ends.push(end as u32);
                self.good_line(line_start, next);
            } else {
                self.bad_line(fields, field_count, true);
            }
        }
    }

    /// Line by line: for separators of several bytes (`||`), and for sampling, where only the
    /// lines `keep` accepts (by their start) are split into fields, so the rest cost no more
    /// than finding their end.
    fn tokenize_lines(
        &mut self,
        data: &[u8],
        separator: &[u8],
        field_count: usize,
        stop: bool,
        keep: &impl Fn(usize) -> bool,
    ) {
        self.stride = field_count;
        let finder = memchr::memmem::Finder::new(separator);
        let mut line_start = 0;
        while line_start < data.len() {
            let newline = memchr::memchr(b'\n', &data[line_start..]).map(|i| line_start + i);
            let mut end = newline.unwrap_or(data.len());
            if end > line_start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if end == line_start {
                if newline.is_some() {
                    self.line_count += 1;
                }
            } else if !keep(line_start) {
                self.line_count += 1;
            } else {
                let first = self.ends.len();
                let mut field_start = line_start;
                for at in finder.find_iter(&data[line_start..end]) {
                    let at = line_start + at;
                    if at >= field_start {
                        self.ends.push(at as u32);
                        field_start = at + separator.len();
                    }
                }
                self.ends.push(end as u32);
                let fields = self.ends.len() - first;
                if fields == field_count {
                    self.good_line(line_start, first);
                } else {
                    self.ends.truncate(first);
                    self.bad_line(fields, field_count, newline.is_none());
                    if stop {
                        return;
                    }
                }
            }
            match newline {
                Some(at) => line_start = at + 1,
                None => break,
            }
        }
    }
}

/// One column's values failed to parse on some lines.
struct ValueError {
    row: usize,
    field: usize,
    expected: builders::Expected,
}

/// Rows converted by every column before the next rows are: about 27 KB of a conn.log's
/// text and field ends, which stay in the first-level cache while each column reads them.
/// Converted column by column over a whole chunk, each column fetched them again from
/// beyond the core's own caches (in cachegrind's model of a 32 KB L1 and 1 MB L2, 65
/// last-level misses per conn.log row instead of 16). Measured on an AMD EPYC, whose
/// prefetchers hid those misses, it changed nothing; on an Intel Xeon, smaller chunks with
/// the same effect gave 1.3x.
const ROW_BLOCK: usize = 128;

/// A tokenized chunk: its bytes, where its fields are, and the block that names them.
struct Tokenized<'a> {
    data: &'a [u8],
    layout: &'a Layout,
    block: &'a Block,
}

impl<'a> Tokenized<'a> {
    /// Where a field of a well-formed line starts and ends in the chunk.
    #[inline(always)]
    fn span(&self, row: usize, field: usize) -> (u32, u32) {
        let first = self.layout.first[row] as usize;
        let start = if field == 0 {
            self.layout.starts[row]
        } else {
            self.layout.ends[first + field - 1] + self.block.markers.separator.len() as u32
        };
        (start, self.layout.ends[first + field])
    }

    fn field(&self, row: usize, field: usize) -> &'a [u8] {
        let (start, end) = self.span(row, field);
        &self.data[start as usize..end as usize]
    }

    /// Parse the columns `fields` over `rows` (all well-formed lines, or the ones left after
    /// dropping bad values), recording the rows whose value is not of its column's type (they
    /// get a null, so the columns stay aligned until bad rows are dropped). The fields are read
    /// straight from the field-end table as the columns are built: no list of spans in
    /// between. Rows go in blocks of [`ROW_BLOCK`], each converted by every column in turn.
    fn columns(
        &self,
        fields: &[usize],
        rows: Option<&[usize]>,
        cx: &mut FieldContext<'_>,
        errors: &mut Vec<ValueError>,
    ) -> Vec<Builder> {
        let layout = self.layout;
        let count = rows.map_or(layout.first.len(), <[usize]>::len);
        let text_bytes = self.long_text_bytes(fields, rows, count);
        let mut builders: Vec<Builder> = fields
            .iter()
            .zip(text_bytes)
            .map(|(&field, bytes)| {
                Builder::with_text_capacity(&self.block.types[field], count, bytes)
            })
            .collect();
        let mut from = 0;
        while from < count {
            let to = (from + ROW_BLOCK).min(count);
            for (builder, &field) in builders.iter_mut().zip(fields) {
                let on_error = |position: usize, expected| {
                    let position = from + position;
                    let row = rows.map_or(position, |rows| rows[position]);
                    errors.push(ValueError {
                        row,
                        field,
                        expected,
                    })
                };
                self.fill_block(builder, field, rows, from..to, cx, on_error);
            }
            from = to;
        }
        builders
    }

    /// Whether `rows` are all lines and there are no blank or bad ones: then line i owns
    /// `ends[i * stride..][..stride]`, a plain strided walk the compiler can check once
    /// instead of per line.
    fn dense(&self, rows: Option<&[usize]>) -> bool {
        let layout = self.layout;
        rows.is_none() && layout.ends.len() == layout.first.len() * layout.stride
    }

    /// One column, as [`Tokenized::columns`] builds them.
    fn column(
        &self,
        field: usize,
        rows: Option<&[usize]>,
        cx: &mut FieldContext<'_>,
        errors: &mut Vec<ValueError>,
    ) -> ArrayRef {
        let built = self.columns(&[field], rows, cx, errors);
        // One builder per field asked for.
        built
            .into_iter()
            .map(Builder::finish)
            .next()
            .unwrap_or_else(|| Builder::new(&self.block.types[field], 0).finish())
    }

    /// For each of `fields`, the bytes its data buffer needs at most: the length of its
    /// string fields too long to live in their views (unescaping only shortens text); 0 for
    /// other types. One pass over the rows' field ends for all the string columns.
    fn long_text_bytes(
        &self,
        fields: &[usize],
        rows: Option<&[usize]>,
        count: usize,
    ) -> Vec<usize> {
        let strings: Vec<(usize, usize)> = fields
            .iter()
            .enumerate()
            .filter(|&(_, &field)| self.block.types[field] == ZeekType::String)
            .map(|(at, &field)| (at, field))
            .collect();
        let mut bytes = vec![0usize; fields.len()];
        if strings.is_empty() {
            return bytes;
        }
        let layout = self.layout;
        if self.dense(rows) {
            // A strided walk, as in `fill_block`, without `span`'s lookup of each line's
            // first end (75 instructions per conn.log row fewer).
            let separator_len = self.block.markers.separator.len() as u32;
            let lines = layout.ends.chunks_exact(layout.stride).zip(&layout.starts);
            for (ends, &line_start) in lines {
                for &(at, field) in &strings {
                    let start = match field {
                        0 => line_start,
                        _ => ends[field - 1] + separator_len,
                    };
                    let len = (ends[field] - start) as usize;
                    if len > builders::MAX_INLINE {
                        bytes[at] += len;
                    }
                }
            }
            return bytes;
        }
        for i in 0..count {
            let row = rows.map_or(i, |rows| rows[i]);
            for &(at, field) in &strings {
                let (start, end) = self.span(row, field);
                let len = (end - start) as usize;
                if len > builders::MAX_INLINE {
                    bytes[at] += len;
                }
            }
        }
        bytes
    }

    /// Append to `builder` the text of `field` on the rows at `positions` of `rows` (all
    /// rows when `None`), through an iterator of its own type for each layout, so that each
    /// Zeek type's loop is compiled for each.
    #[inline(always)]
    fn fill_block(
        &self,
        builder: &mut Builder,
        field: usize,
        rows: Option<&[usize]>,
        positions: std::ops::Range<usize>,
        cx: &mut FieldContext<'_>,
        on_error: impl FnMut(usize, builders::Expected),
    ) {
        let layout = self.layout;
        let stride = layout.stride;
        let dense = self.dense(rows);
        let separator_len = self.block.markers.separator.len() as u32;
        let data = self.data;
        match (dense, field) {
            (true, 0) => builder.fill(
                layout.ends[positions.start * stride..positions.end * stride]
                    .chunks_exact(stride)
                    .zip(&layout.starts[positions])
                    .map(move |(ends, &start)| &data[start as usize..ends[0] as usize]),
                cx,
                on_error,
            ),
            (true, _) => builder.fill(
                layout.ends[positions.start * stride..positions.end * stride]
                    .chunks_exact(stride)
                    .map(move |ends| {
                        &data[(ends[field - 1] + separator_len) as usize..ends[field] as usize]
                    }),
                cx,
                on_error,
            ),
            (false, _) => builder.fill(
                positions.map(move |i| {
                    let row = rows.map_or(i, |rows| rows[i]);
                    self.field(row, field)
                }),
                cx,
                on_error,
            ),
        }
    }

    fn error(&self, error: &ValueError) -> Error {
        let name = &self.block.names[error.field];
        Error::parse(format!("field {name:?} is not {}", error.expected))
            .with_line(u64::from(self.layout.lines[error.row]) + 1)
            .with_column(error.field + 1)
            .with_value(self.field(error.row, error.field))
    }
}

/// Let go of this thread's parsing memory (the layout vectors and its hold on the current
/// column region) when a read is over.
pub fn release_thread_memory() {
    LAYOUT.with(|layout| {
        // Borrowed only inside `parse_chunk`, which never waits on other work; should it
        // ever be, the memory is kept rather than freed under the parser.
        if let Ok(mut layout) = layout.try_borrow_mut() {
            *layout = Layout::default();
        }
    });
    memory::release_thread_region();
    crate::columns::builders::release_null_lists();
}

/// Parse a chunk of whole data lines (no header lines) laid out as `block` says, applying
/// the pushdown: only sampled lines are split into fields, filter columns are parsed first
/// and the other columns only for the rows that pass.
pub fn parse_chunk(
    data: &[u8],
    block: &Block,
    stop_at_first_bad_line: bool,
    pushdown: &ChunkPushdown<'_>,
) -> ChunkOutput {
    LAYOUT.with(|layout| {
        let mut layout = layout.borrow_mut();
        parse_with_layout(data, block, stop_at_first_bad_line, pushdown, &mut layout)
    })
}

fn parse_with_layout(
    data: &[u8],
    block: &Block,
    stop_at_first_bad_line: bool,
    pushdown: &ChunkPushdown<'_>,
    layout: &mut Layout,
) -> ChunkOutput {
    layout.clear();
    let field_count = block.names.len();
    if data.len() >= u32::MAX as usize {
        let error = Error::parse("a run of lines over 4 GiB without a line end");
        return ChunkOutput::failed(error.with_line(1));
    }
    // The fields any column, filter or classification reads: a line is split up to the last
    // of them only.
    let field_of = |name: &str| block.names.iter().position(|n| n == name);
    let filter_fields = pushdown.filter.map(|f| f.columns()).unwrap_or_default();
    let needed = block
        .selected()
        .chain(filter_fields.iter().filter_map(|name| field_of(name)))
        .chain(pushdown.mime.and_then(|_| field_of(MIME_SOURCE)))
        .max()
        .map_or(1, |last| last + 1);
    // Each way of choosing lines is its own instance of the tokenizers, so that the choice
    // is inlined into their per-line loop (or gone, without sampling).
    let (stop, offset) = (stop_at_first_bad_line, pushdown.offset);
    let prefix = |separator| Prefix {
        separator,
        field_count,
        needed,
        stop,
    };
    // A sampler's choice, by the line's start in the chunk.
    let sampled = |sampler: FileSampler| move |start: usize| sampler.keep(offset + start as u64);
    match (block.markers.separator.as_slice(), pushdown.sampler) {
        ([single], Some(sampler)) => {
            // Row ends are positions in the chunk: a read that wants them keeps lines there.
            layout.compacting = !pushdown.row_ends;
            layout.tokenize_prefix(data, prefix(*single), &sampled(sampler));
        }
        ([single], None) if needed < field_count => {
            layout.tokenize_prefix(data, prefix(*single), &|_| true);
        }
        ([single], None) => layout.tokenize_single_byte(data, *single, field_count, stop),
        (separator, Some(sampler)) => {
            layout.tokenize_lines(data, separator, field_count, stop, &sampled(sampler));
        }
        (separator, None) => {
            layout.tokenize_lines(data, separator, field_count, stop, &|_| true);
        }
    }
    // The text the fields are in: the chunk, or the kept lines copied out of it.
    let text = if layout.compacting {
        layout.compact.as_slice()
    } else {
        data
    };
    let chunk = Tokenized {
        data: text,
        layout: &*layout,
        block,
    };
    let all_rows = chunk.layout.starts.len();
    let mut cx = if pushdown.sampler.is_some() && !layout.compacting {
        FieldContext::per_field(&block.markers)
    } else {
        FieldContext::new(&block.markers, text)
    };
    let mut errors = Vec::new();

    // Rows that pass the filter (None: all well-formed lines).
    let mut candidates: Option<Vec<usize>> = None;
    if let Some(filter) = pushdown.filter {
        let mut arrays: Vec<(&str, ArrayRef)> = Vec::new();
        for name in filter.columns() {
            let array = match (name, pushdown.mime) {
                (MIME_CATEGORY, Some(mime)) => {
                    let source = field_of(MIME_SOURCE)
                        .map(|field| chunk.column(field, None, &mut cx, &mut errors));
                    Some(mime.classify(source.as_ref(), all_rows))
                }
                _ => field_of(name).map(|field| chunk.column(field, None, &mut cx, &mut errors)),
            };
            if let Some(array) = array {
                arrays.push((name, array));
            }
        }
        let lookup = |name: &str| {
            arrays
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, a)| a.clone())
        };
        let truth = match filter.eval(&lookup, all_rows) {
            Ok(truth) => truth,
            Err(error) => return ChunkOutput::failed(error),
        };
        let mut bad = vec![false; all_rows];
        for error in &errors {
            bad[error.row] = true;
        }
        candidates = Some(
            (0..all_rows)
                .filter(|&row| truth[row] == filter::TRUE && !bad[row])
                .collect(),
        );
    }

    let build =
        |rows: Option<&[usize]>, cx: &mut FieldContext<'_>, errors: &mut Vec<ValueError>| {
            let fields: Vec<usize> = block.selected().collect();
            let mut columns: Vec<ArrayRef> = chunk
                .columns(&fields, rows, cx, errors)
                .into_iter()
                .map(Builder::finish)
                .collect();
            let row_count = rows.map_or(all_rows, <[usize]>::len);
            let mime = match (pushdown.mime_output, pushdown.mime) {
                (true, Some(mime)) => {
                    let source =
                        field_of(MIME_SOURCE).map(|field| chunk.column(field, rows, cx, errors));
                    Some(mime.classify(source.as_ref(), row_count))
                }
                _ => None,
            };
            columns.shrink_to_fit();
            (columns, mime, row_count)
        };
    let (mut columns, mut mime, mut rows) = build(candidates.as_deref(), &mut cx, &mut errors);

    let mut bad_lines = chunk.layout.bad.clone();
    let mut bad_line_count = bad_lines.len() as u64;
    // The rows given, when not all well-formed lines are: the candidates, less bad rows.
    let mut given = candidates;
    if !errors.is_empty() {
        // Each bad line is reported once, by its first bad field.
        errors.sort_by_key(|e| (e.row, e.field));
        errors.dedup_by_key(|e| e.row);
        bad_line_count += errors.len() as u64;
        bad_lines.extend(errors.iter().map(|e| chunk.error(e)));
        bad_lines.sort_by_key(|e| e.line);
        if !stop_at_first_bad_line {
            let bad_rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
            let kept: Vec<usize> = match given {
                Some(candidates) => candidates,
                None => (0..all_rows).collect(),
            }
            .into_iter()
            .filter(|row| bad_rows.binary_search(row).is_err())
            .collect();
            let mut ignored = Vec::new();
            (columns, mime, rows) = build(Some(&kept), &mut cx, &mut ignored);
            given = Some(kept);
        }
    }
    let mut bad_rows_before = Vec::new();
    // The number of the chunk's last line when it has no line end and may be bad: one the
    // tokenizer found bad, or the last line of a chunk it read to the end.
    let layout = chunk.layout;
    let open_end = data.last().is_some_and(|&b| b != b'\n');
    let cut_line = if layout.bad_unterminated {
        layout.bad.last().and_then(|e| e.line)
    } else if open_end && (layout.bad.is_empty() || !stop_at_first_bad_line) {
        Some(layout.line_count)
    } else {
        None
    };
    let last_line_bad = cut_line.is_some() && bad_lines.last().map(|e| e.line) == Some(cut_line);
    let row_ends = if pushdown.row_ends {
        let layout = chunk.layout;
        // A row's line ends where the next line starts, when that line is a row too;
        // otherwise at its line end.
        let row_end = |row: usize| -> u32 {
            if row + 1 < layout.starts.len() && layout.lines[row + 1] == layout.lines[row] + 1 {
                return layout.starts[row + 1];
            }
            let start = layout.starts[row] as usize;
            memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |at| start + at + 1) as u32
        };
        match &given {
            Some(given) => given.iter().map(|&row| row_end(row)).collect(),
            None => (0..all_rows).map(row_end).collect(),
        }
    } else {
        Vec::new()
    };
    if stop_at_first_bad_line {
        bad_lines.truncate(1);
        bad_line_count = bad_line_count.min(1);
    } else {
        // Rows are in line order: the rows before a bad line are those on earlier lines.
        let line_of = |row: usize| chunk.layout.lines[row];
        let given_lines: Vec<u32> = match &given {
            Some(given) => given.iter().map(|&row| line_of(row)).collect(),
            None => chunk.layout.lines.clone(),
        };
        bad_rows_before = bad_lines
            .iter()
            .map(|error| {
                // Bad lines are numbered from 1, rows' lines from 0.
                let line = error.line.unwrap_or(1).saturating_sub(1) as u32;
                given_lines.partition_point(|&l| l < line) as u32
            })
            .collect();
        bad_lines.truncate(MAX_REPORTED);
    }
    let last_line_reported = last_line_bad && bad_lines.last().map(|e| e.line) == Some(cut_line);
    ChunkOutput {
        columns,
        mime,
        bad_rows_before,
        last_line_bad,
        last_line_reported,
        row_ends,
        ..ChunkOutput::rows(rows, chunk.layout.line_count, bad_lines, bad_line_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::header::Markers;

    /// A xorshift generator from `state` (not zero): the random tests' inputs, the same on
    /// every run.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Everything a tokenizer records, to compare two of them by.
    fn recorded(layout: &Layout) -> String {
        let bad: Vec<String> = layout.bad.iter().map(ToString::to_string).collect();
        format!(
            "{:?} {:?} {:?} {:?} {bad:?} {} {} {}",
            layout.ends,
            layout.starts,
            layout.first,
            layout.lines,
            layout.bad_unterminated,
            layout.line_count,
            layout.stride
        )
    }

    /// The one-pass prefix tokenizer records what the line-by-line one does, for random
    /// chunks of separators, line ends, carriage returns and text, any number of fields
    /// wanted, every line or some wanted, stopping at the first bad line or not.
    #[test]
    fn prefix_tokenizing_in_blocks_matches_line_by_line() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        let alphabet = b"ab\t\t\t\n\r|x#";
        for case in 0..20_000 {
            let len = (next() % 300) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let separator = if case % 5 == 0 { b'|' } else { b'\t' };
            let field_count = 1 + (next() % 6) as usize;
            let needed = 1 + (next() % field_count as u64) as usize;
            let stop = next() % 2 == 0;
            let every = next() % 3;
            let keep = |start: usize| match every {
                0 => true,
                1 => start % 3 != 1,
                _ => false,
            };
            let mut lines = Layout::default();
            let prefix = Prefix {
                separator,
                field_count,
                needed,
                stop,
            };
            lines.tokenize_prefix_by_line(&data, prefix, &keep);
            // The baseline instance, and the one `tokenize_prefix` picks for this CPU.
            let mut blocks = Layout::default();
            blocks.tokenize_prefix_in_blocks(Baseline, &data, prefix, &keep);
            let mut dispatched = Layout::default();
            dispatched.tokenize_prefix(&data, prefix, &keep);
            for (way, layout) in [("baseline", &blocks), ("dispatched", &dispatched)] {
                assert_eq!(
                    recorded(layout),
                    recorded(&lines),
                    "case {case} ({way}): {:?} fields {field_count} needed {needed} stop {stop}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }

    /// A sampled read parses its kept lines from a packed copy of them; a read that wants
    /// row ends (`n_rows`) parses them where they are in the chunk. Both must give the same
    /// rows, values, errors and line numbers, for random chunks of good and bad lines,
    /// escapes, bytes that are not UTF-8, sets, blank lines, carriage returns and a last
    /// line without a line end, with and without a projection.
    #[test]
    fn sampled_lines_parse_the_same_packed_or_in_place() {
        use crate::pushdown::sample::Sampler;
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        // Text first and last, so a line's bytes that are not UTF-8 meet the next line's.
        const FIELDS: &[(&str, &str)] = &[
            ("s", "string"),
            ("ts", "time"),
            ("n", "count"),
            ("tags", "set[string]"),
            ("d", "interval"),
            ("t", "string"),
        ];
        let pieces: &[&[u8]] = &[
            b"1331901000.000129",
            b"12",
            b"-",
            b"(empty)",
            b"a,b",
            b"\\x41",
            b"\xc3\xa9",
            b"\\x2c,z",
            b"\xc3",
            b"\xa9",
            b"\xff",
            b"x",
            b"-1",
            b"0.5",
            b"",
        ];
        // Bytes that are UTF-8 only together: in half the cases they appear only where one
        // line ends and the next begins, and everything else is UTF-8.
        let (lead, trail) = (b'\xc3', b'\xa9');
        for case in 0..4_000 {
            let joins = case % 2 == 0;
            let pieces = if joins { &pieces[..7] } else { pieces };
            let mut data = Vec::new();
            for _ in 0..next() % 40 {
                if joins && next() % 2 == 0 {
                    data.push(trail);
                }
                let fields = match next() % 12 {
                    0 => 0,
                    1 => 5,
                    2 => 7,
                    _ => FIELDS.len(),
                };
                for field in 0..fields {
                    if field > 0 {
                        data.push(b'\t');
                    }
                    for _ in 0..1 + next() % 2 {
                        data.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
                    }
                }
                if joins && next() % 2 == 0 {
                    data.push(lead);
                }
                data.extend_from_slice(if next() % 7 == 0 { b"\r\n" } else { b"\n" });
            }
            if next() % 3 == 0 {
                data.truncate(data.len().saturating_sub(1 + (next() % 9) as usize));
            }
            let selected: Option<&[&str]> = match case % 3 {
                0 => None,
                1 => Some(&["ts", "n"]),
                _ => Some(&["s", "tags", "d"]),
            };
            let block = block(FIELDS, "\t", selected);
            let stop = next() % 4 == 0;
            let fraction = [0.1, 0.5, 1.0][(next() % 3) as usize];
            let sampled = ChunkPushdown {
                sampler: Sampler::new(fraction, case).map(|s| s.for_file("conn.log")),
                offset: next() % 1000,
                ..ChunkPushdown::default()
            };
            let in_place = ChunkPushdown {
                row_ends: true,
                ..sampled
            };
            let packed = parse_chunk(&data, &block, stop, &sampled);
            let unpacked = parse_chunk(&data, &block, stop, &in_place);
            let text = String::from_utf8_lossy(&data);
            let errors = |out: &ChunkOutput| -> Vec<String> {
                out.bad_lines.iter().map(ToString::to_string).collect()
            };
            assert_eq!(errors(&packed), errors(&unpacked), "case {case}: {text:?}");
            assert_eq!(
                (packed.rows, packed.lines, packed.bad_line_count),
                (unpacked.rows, unpacked.lines, unpacked.bad_line_count),
                "case {case}: {text:?}"
            );
            assert_eq!(packed.bad_rows_before, unpacked.bad_rows_before);
            assert_eq!(
                (packed.last_line_bad, packed.last_line_reported),
                (unpacked.last_line_bad, unpacked.last_line_reported)
            );
            assert_eq!(packed.columns.len(), unpacked.columns.len());
            for (a, b) in packed.columns.iter().zip(&unpacked.columns) {
                assert_eq!(a.as_ref(), b.as_ref(), "case {case}: {text:?}");
            }
        }
    }

    use crate::pushdown::ChunkPushdown;
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
            json: None,
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
        let out = parse_chunk(
            data,
            &block(CONN, "\t", None),
            true,
            &ChunkPushdown::default(),
        );
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
        let out = parse_chunk(
            data,
            &block(CONN, "\t", Some(&["p"])),
            true,
            &ChunkPushdown::default(),
        );
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
    fn the_prefix_path_agrees_with_the_full_path() {
        // Lines that are long (several 64-byte blocks), short, blank, CRLF, bad (too many and
        // too few fields) and a last line without a line end.
        let long = "x".repeat(150);
        let text = format!(
            "1.0\tCa\t80\t5\r\n\n2.0\t{long}\t443\t6\n3.0\tCc\t22\n4.0\tCd\t1\t2\t3\n\
             5.0\tCe\t9\t{long}9\n6.0\t{long}\t7\t7"
        );
        let data = text.as_bytes();
        let full = parse_chunk(
            data,
            &block(CONN, "\t", None),
            false,
            &ChunkPushdown::default(),
        );
        let prefix = parse_chunk(
            data,
            &block(CONN, "\t", Some(&["ts", "uid"])),
            false,
            &ChunkPushdown::default(),
        );
        // Line 6's bad count is found only by the full read, which parses that field.
        assert_eq!((full.rows, full.lines), (3, 7));
        assert_eq!((prefix.rows, prefix.lines), (4, 7));
        let lines = |out: &ChunkOutput| out.bad_lines.iter().map(|e| e.line).collect::<Vec<_>>();
        assert_eq!(lines(&full), [Some(4), Some(5), Some(6)]);
        assert_eq!(lines(&prefix), [Some(4), Some(5)]);
        let uid = prefix.columns[1].as_string_view();
        assert_eq!(
            (uid.value(0), uid.value(1), uid.value(3)),
            ("Ca", long.as_str(), long.as_str())
        );
    }

    #[test]
    fn bad_lines_are_rolled_back_and_numbered() {
        let data =
            b"1.0\tCa\t80\t5\n2.0\tCb\tnope\t6\n3.0\tCc\t22\n4.0\tCd\t1\t2\t3\n5.0\tCe\t9\t9\n";
        let out = parse_chunk(
            data,
            &block(CONN, "\t", None),
            false,
            &ChunkPushdown::default(),
        );
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
        let out = parse_chunk(
            data,
            &block(CONN, "\t", None),
            true,
            &ChunkPushdown::default(),
        );
        assert_eq!(out.bad_line_count, 1);
        assert_eq!(out.bad_lines[0].line, Some(2));
        assert_eq!(out.bad_lines[0].column, Some(1));
    }

    #[test]
    fn a_cut_last_line_is_reported_as_truncated() {
        let data = b"1.0\tCa\t80\t5\n2.0\tCb";
        let out = parse_chunk(
            data,
            &block(CONN, "\t", None),
            false,
            &ChunkPushdown::default(),
        );
        assert_eq!(out.rows, 1);
        assert!(out.bad_lines[0].message.starts_with("truncated last line"));
    }

    #[test]
    fn multi_byte_separator() {
        let data = b"1.0||Ca||80||5\n2.0||C|b||443||6";
        let out = parse_chunk(
            data,
            &block(CONN, "||", None),
            true,
            &ChunkPushdown::default(),
        );
        assert_eq!(out.rows, 2);
        assert_eq!(out.columns[1].as_string_view().value(1), "C|b");
    }

    #[test]
    fn escaped_separator_stays_in_its_field() {
        let data = b"1.0\ta\\x09b\t80\t5\n";
        let out = parse_chunk(
            data,
            &block(CONN, "\t", None),
            true,
            &ChunkPushdown::default(),
        );
        assert_eq!(out.columns[1].as_string_view().value(0), "a\tb");
    }

    #[test]
    fn every_split_point_gives_the_same_rows() {
        // Chunks are cut at line ends by the reader; parsing the two halves of any cut must
        // give the rows of the whole.
        let data = b"1.0\tCa\t80\t5\n\n2.5\tCb\t443\t-\n3.25\tCc\t8080\t9\n";
        let whole = parse_chunk(
            data,
            &block(CONN, "\t", None),
            true,
            &ChunkPushdown::default(),
        );
        for cut in memchr::memchr_iter(b'\n', data).map(|i| i + 1) {
            let first = parse_chunk(
                &data[..cut],
                &block(CONN, "\t", None),
                true,
                &ChunkPushdown::default(),
            );
            let second = parse_chunk(
                &data[cut..],
                &block(CONN, "\t", None),
                true,
                &ChunkPushdown::default(),
            );
            assert_eq!(first.rows + second.rows, whole.rows);
            assert_eq!(first.lines + second.lines, whole.lines);
        }
    }
}
