//! Reading whole logs: files in parallel, a large file's chunks in parallel, header blocks
//! unified by column name, bad lines raised or skipped, rows in file order.

use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use crate::format::schemas::{builtin_schemas, schema_for};
use crate::format::types::ZeekType;
use crate::json::{self, JsonLayout, NamedColumn};
use crate::pushdown::{ChunkPushdown, FileSampler, MimeCategories, Pushdown, MIME_CATEGORY};
use crate::source::{
    read_chunks, BufferPool, Cancel, ChunkOptions, DataChunk, ReaderError, StreamSummary,
    DEFAULT_MAX_LINE_BYTES,
};
use crate::tsv::{parse_chunk, Block, ChunkOutput, MAX_REPORTED};
use arrow_array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, PoisonError};

/// Chunk size: large enough that per-chunk overhead vanishes, small enough that a 2-core
/// machine has dozens of chunks to balance and memory in flight stays a few MB per thread.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Columns to read, by name (Zeek's dotted or, with `rename_underscore`, underscored);
    /// `None` reads all. The output follows this order.
    pub columns: Option<Vec<String>>,
    pub n_rows: Option<usize>,
    pub n_threads: usize,
    pub skip_bad_lines: bool,
    /// Layout of logs without a header: field names and Zeek types.
    pub fields: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
    /// Log type whose built-in layout applies to logs without a header.
    pub log_type: Option<String>,
    pub rename_underscore: bool,
    pub chunk_size: usize,
    /// A line longer than this is a bad line.
    pub max_line_bytes: usize,
    /// Data lines before this offset (in the decompressed stream) are left out: where an
    /// earlier read of a growing log stopped.
    pub start_offset: u64,
    /// Leave out a last line without a line end (a line still being written).
    pub complete_lines_only: bool,
    pub cancel: Cancel,
    pub pushdown: Pushdown,
    /// Add a column of this name holding each row's file path, as given.
    pub include_file_paths: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            columns: None,
            n_rows: None,
            n_threads: rayon::current_num_threads(),
            skip_bad_lines: false,
            fields: None,
            types: None,
            log_type: None,
            rename_underscore: false,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            start_offset: 0,
            complete_lines_only: false,
            cancel: Cancel::default(),
            pushdown: Pushdown::default(),
            include_file_paths: None,
        }
    }
}

#[derive(Debug)]
pub struct ReadOutput {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Lines dropped under `skip_bad_lines`, and the first of them with their errors.
    pub skipped_count: u64,
    pub skipped: Vec<Error>,
    /// Files whose last line has no line end and was read like the others, with its line.
    pub unterminated: Vec<(String, u64)>,
    /// Per file: the offset in its decompressed stream after the last line read.
    pub end_offsets: Vec<u64>,
}

pub fn output_name(name: &str, rename_underscore: bool) -> String {
    if rename_underscore {
        name.replace('.', "_")
    } else {
        name.to_owned()
    }
}

impl ReadOptions {
    /// How the reader cuts a stream into chunks.
    pub(crate) fn chunking(&self) -> ChunkOptions {
        ChunkOptions {
            chunk_size: self.chunk_size,
            max_line_bytes: self.max_line_bytes,
            start_offset: self.start_offset,
            complete_lines_only: self.complete_lines_only,
            peek: false,
            cancel: self.cancel.clone(),
        }
    }

    /// The pushdown as a chunk starting at `offset` of a file (sampled by `sampler`) needs it.
    fn chunk_pushdown(
        &self,
        sampler: Option<FileSampler>,
        offset: u64,
        row_ends: bool,
    ) -> ChunkPushdown<'_> {
        ChunkPushdown {
            sampler,
            offset,
            filter: self.pushdown.filter.as_ref(),
            mime: self.pushdown.mime.as_ref(),
            mime_output: self.mime_output(),
            row_ends,
        }
    }

    /// Whether the derived `mime_category` column is part of the output.
    pub(crate) fn mime_output(&self) -> bool {
        self.pushdown.mime.is_some()
            && self
                .wanted()
                .is_none_or(|wanted| wanted.iter().any(|c| c == MIME_CATEGORY))
    }

    fn wanted(&self) -> Option<Vec<String>> {
        self.columns.as_ref().map(|columns| {
            columns
                .iter()
                .map(|c| output_name(c, self.rename_underscore))
                .collect()
        })
    }

    /// Lay out a header block (or, for a log without a header, the user's or built-in list).
    pub(crate) fn block(&self, header: &HeaderState, first_line: Option<&[u8]>) -> Result<Block> {
        let json_line = first_line
            .filter(|line| header.fields.is_none() && line.trim_ascii_start().starts_with(b"{"));
        if let Some(line) = json_line {
            let log_type = json::path_of(line).or_else(|| self.log_type.clone());
            return Ok(Block {
                markers: header.markers.clone(),
                log_path: log_type.clone(),
                names: Vec::new(),
                types: Vec::new(),
                type_names: Vec::new(),
                slots: Vec::new(),
                json: Some(JsonLayout::new(
                    log_type,
                    self.wanted(),
                    self.rename_underscore,
                )),
            });
        }
        let (fields, type_names) = match &header.fields {
            Some(fields) => {
                let types = match &header.types {
                    Some(types) if types.len() == fields.len() => types.clone(),
                    Some(types) => {
                        return Err(Error::header(format!(
                            "#types has {} entries but #fields has {}",
                            types.len(),
                            fields.len()
                        )))
                    }
                    // zeek-cut accepts logs without #types; everything reads as text.
                    None => vec!["string".to_owned(); fields.len()],
                };
                (fields.clone(), types)
            }
            None => self.headerless_layout(header, first_line)?,
        };
        if fields.is_empty() {
            return Err(Error::header("#fields names no field"));
        }
        let wanted: Option<HashSet<String>> = self.wanted().map(|w| w.into_iter().collect());
        let names: Vec<String> = fields
            .iter()
            .map(|f| output_name(f, self.rename_underscore))
            .collect();
        let mut seen = HashSet::with_capacity(names.len());
        for name in &names {
            check_field_name(name)?;
            if !seen.insert(name.as_str()) {
                return Err(Error::header(format!(
                    "field {name:?} appears twice in #fields"
                )));
            }
        }
        let mut next_slot = 0;
        let slots = names
            .iter()
            .map(|name| {
                let selected = wanted.as_ref().is_none_or(|w| w.contains(name));
                selected.then(|| {
                    next_slot += 1;
                    next_slot - 1
                })
            })
            .collect();
        Ok(Block {
            markers: header.markers.clone(),
            log_path: header.path.clone(),
            types: type_names.iter().map(|t| ZeekType::parse(t)).collect(),
            type_names,
            names,
            slots,
            json: None,
        })
    }

    fn headerless_layout(
        &self,
        header: &HeaderState,
        first_line: Option<&[u8]>,
    ) -> Result<(Vec<String>, Vec<String>)> {
        if let Some(fields) = &self.fields {
            let types = match &self.types {
                Some(types) if types.len() == fields.len() => types.clone(),
                Some(types) => {
                    return Err(Error::header(format!(
                        "types= has {} entries but fields= has {}",
                        types.len(),
                        fields.len()
                    )))
                }
                None => vec!["string".to_owned(); fields.len()],
            };
            return Ok((fields.clone(), types));
        }
        let Some(log_type) = &self.log_type else {
            return Err(Error::header(
                "no #fields header: this is not a Zeek log, or it was written without a \
                 header; pass log_type= (such as \"conn\") or fields= and types=",
            ));
        };
        let field_count = first_line.map_or(0, |line| {
            crate::format::header::split(line, &header.markers.separator).len()
        });
        let schema = schema_for(log_type, field_count)?;
        Ok((
            schema.fields.iter().map(|s| s.to_string()).collect(),
            schema.types.iter().map(|s| s.to_string()).collect(),
        ))
    }
}

/// A column name Arrow can carry: its C interface ends names at a NUL byte.
pub(crate) fn check_field_name(name: &str) -> Result<()> {
    if name.contains('\0') {
        return Err(Error::header(format!(
            "field name {name:?} holds a NUL byte, which no column name can carry"
        )));
    }
    Ok(())
}

/// One parsed chunk with what is needed to number its lines.
pub(crate) struct ParsedChunk {
    seq: usize,
    pub block: Arc<Block>,
    reader_lines_before: u64,
    pub output: ChunkOutput,
    /// A JSON chunk's text, kept under `n_rows`: the chunk where the limit falls is parsed
    /// again up to its last row, so that only the lines read type the columns.
    text: Option<(u64, Vec<u8>)>,
    /// Where the chunk starts in the decompressed stream.
    offset: u64,
}

struct FileResult {
    path: String,
    summary: StreamSummary<Arc<Block>>,
    chunks: Vec<ParsedChunk>,
}

pub(crate) fn parse(
    chunk: DataChunk<Arc<Block>>,
    sampler: Option<FileSampler>,
    options: &ReadOptions,
    buffers: &BufferPool,
) -> ParsedChunk {
    let pushdown = options.chunk_pushdown(sampler, chunk.offset, options.n_rows.is_some());
    let offset = chunk.offset;
    // Under `n_rows`, a bad line counts only before the last row: the chunk is parsed whole
    // and its bad lines are checked against the limit once the rows before it are known.
    let stop_at_first_bad_line = !options.skip_bad_lines && options.n_rows.is_none();
    let output = match &chunk.block.json {
        _ if options.cancel.check().is_err() => ChunkOutput::failed(Error::new(
            ErrorKind::Interrupted,
            "the read was interrupted",
        )),
        _ if !memory_for(chunk.data.len()) => {
            ChunkOutput::failed(Error::memory(chunk.data.len() * COLUMN_BYTES_PER_BYTE))
        }
        _ if chunk.too_long.is_some() => {
            let length = chunk.too_long.unwrap_or_default();
            let error = Error::parse(format!(
                "the line is longer than max_line_bytes={} (at least {length} bytes)",
                options.max_line_bytes
            ))
            .with_line(1);
            ChunkOutput {
                bad_rows_before: vec![0],
                ..ChunkOutput::rows(0, 1, vec![error], 1)
            }
        }
        Some(layout) => {
            json::parse_json_chunk(&chunk.data, layout, stop_at_first_bad_line, &pushdown)
        }
        None => parse_chunk(&chunk.data, &chunk.block, stop_at_first_bad_line, &pushdown),
    };
    let text = if chunk.block.json.is_some() && options.n_rows.is_some() {
        Some((chunk.offset, chunk.data))
    } else {
        buffers.give(chunk.data);
        None
    };
    ParsedChunk {
        seq: chunk.seq,
        block: chunk.block,
        reader_lines_before: chunk.reader_lines_before,
        output,
        text,
        offset,
    }
}

impl ParsedChunk {
    /// Where the line of the chunk's last row ends in the stream, under `n_rows`.
    fn rows_end(&self) -> Option<u64> {
        let end = self.output.row_ends.last()?;
        Some(self.offset + u64::from(*end))
    }

    /// How many of the chunk's bad lines come before the limit, when `room` more rows are
    /// wanted (`None`: no limit, all of them).
    pub(crate) fn bad_lines_within(&self, room: Option<usize>) -> u64 {
        let output = &self.output;
        match room {
            Some(room) if output.bad_rows_before.len() as u64 == output.bad_line_count => output
                .bad_rows_before
                .iter()
                .take_while(|&&before| (before as usize) < room)
                .count()
                as u64,
            _ => output.bad_line_count,
        }
    }

    /// Cut a JSON chunk to its first `rows` rows by parsing its text again up to the end of
    /// the last of them, so that the lines after it neither add nor type columns.
    pub(crate) fn cut(&mut self, rows: usize, sampler: Option<FileSampler>, options: &ReadOptions) {
        let (Some(layout), Some((offset, text))) = (&self.block.json, &self.text) else {
            return;
        };
        if rows >= self.output.rows {
            return;
        }
        let end = match rows {
            0 => 0,
            _ => self
                .output
                .row_ends
                .get(rows - 1)
                .map_or(text.len(), |&e| e as usize),
        };
        let pushdown = options.chunk_pushdown(sampler, *offset, false);
        let output = json::parse_json_chunk(&text[..end.min(text.len())], layout, false, &pushdown);
        if output.fatal.is_none() {
            self.output.named = output.named;
            self.output.mime = output.mime;
            self.output.rows = output.rows;
        }
    }
}

/// Column memory a chunk may need, per byte of its text, at most (a log of one-byte counts
/// takes 8 bytes of values and a view or offset per field), plus the block that column memory
/// is mapped in (`tsv::memory`).
const COLUMN_BYTES_PER_BYTE: usize = 4;
const COLUMN_REGION: usize = 64 << 20;

/// Whether the memory the columns of a chunk of `bytes` need can be had. The column builders
/// allocate as they go and cannot fail; asking first (and giving the memory straight back,
/// untouched) turns a read that would exhaust memory, such as a decompression bomb under a
/// memory limit, into a `MemoryError` instead of an abort.
fn memory_for(bytes: usize) -> bool {
    let wanted = bytes
        .saturating_mul(COLUMN_BYTES_PER_BYTE)
        .saturating_add(COLUMN_REGION);
    Vec::<u8>::new().try_reserve_exact(wanted).is_ok()
}

/// Whether the chunks parsed so far are enough: an error to raise, or `n_rows` reached.
fn should_stop(chunk: &ParsedChunk, rows: &AtomicUsize, options: &ReadOptions) -> bool {
    let total = rows.fetch_add(chunk.output.rows, Ordering::Relaxed) + chunk.output.rows;
    (!options.skip_bad_lines && chunk.output.bad_line_count > 0)
        || chunk.output.fatal.is_some()
        || options.n_rows.is_some_and(|n| total >= n)
}

/// Read one file on the calling thread.
fn read_file_serial(path: &str, options: &ReadOptions) -> Result<FileResult> {
    let sampler = options.pushdown.sample.map(|s| s.for_file(path));
    let buffers = BufferPool::default();
    let mut chunks = Vec::new();
    let rows = AtomicUsize::new(0);
    let mut factory =
        |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
    let summary = read_chunks(
        path,
        &options.chunking(),
        &buffers,
        &mut factory,
        &mut |chunk| {
            let parsed = parse(chunk, sampler, options, &buffers);
            let stop = should_stop(&parsed, &rows, options);
            chunks.push(parsed);
            !stop
        },
        None,
    )?;
    Ok(FileResult {
        path: path.to_owned(),
        summary,
        chunks,
    })
}

/// Read one file with `threads` parsers while this thread reads and decompresses.
fn read_file_parallel(path: &str, options: &ReadOptions, threads: usize) -> Result<FileResult> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::new(ErrorKind::Io(std::io::ErrorKind::Other), e.to_string()))?;
    let sampler = options.pushdown.sample.map(|s| s.for_file(path));
    let buffers = BufferPool::default();
    let (sender, receiver) = sync_channel::<DataChunk<Arc<Block>>>(threads * 2);
    let receiver = Mutex::new(receiver);
    let parsed = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let rows = AtomicUsize::new(0);
    let failure = Mutex::new(None);
    let summary = pool.in_place_scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| loop {
                let next = receiver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recv();
                let Ok(chunk) = next else { break };
                // Chunks already handed out are always parsed: an earlier chunk may still hold
                // the first error, and the rows before `n_rows` must all be there. A parser
                // that panics stops the read but keeps draining, so the reader never blocks.
                match catch_unwind(AssertUnwindSafe(|| {
                    parse(chunk, sampler, options, &buffers)
                })) {
                    Ok(chunk) => {
                        if should_stop(&chunk, &rows, options) {
                            stop.store(true, Ordering::Relaxed);
                        }
                        parsed
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(chunk);
                    }
                    Err(panic) => {
                        stop.store(true, Ordering::Relaxed);
                        let error = Error::from_panic(panic.as_ref()).with_path(path);
                        failure
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get_or_insert(error);
                    }
                }
            });
        }
        let sender = sender;
        let mut factory =
            |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
        read_chunks(
            path,
            &options.chunking(),
            &buffers,
            &mut factory,
            &mut |chunk| !stop.load(Ordering::Relaxed) && sender.send(chunk).is_ok(),
            None,
        )
        // `sender` drops here, so the parsers see the end of the stream and the scope ends.
    })?;
    if let Some(error) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    let mut chunks = parsed.into_inner().unwrap_or_else(PoisonError::into_inner);
    chunks.sort_by_key(|chunk| chunk.seq);
    Ok(FileResult {
        path: path.to_owned(),
        summary,
        chunks,
    })
}

/// Read `paths` (already expanded: no globs or directories) into one table.
pub fn read_files(paths: &[String], options: &ReadOptions) -> Result<ReadOutput> {
    let threads = options.n_threads.max(1);
    let files: Vec<Result<FileResult>> = if paths.len() == 1 && threads > 1 {
        vec![read_file_parallel(&paths[0], options, threads)]
    } else if threads > 1 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::new(ErrorKind::Io(std::io::ErrorKind::Other), e.to_string()))?;
        pool.install(|| {
            paths
                .par_iter()
                .map(|p| read_file_serial(p, options))
                .collect()
        })
    } else {
        paths.iter().map(|p| read_file_serial(p, options)).collect()
    };
    crate::tsv::release_thread_memory();
    let mut results = Vec::with_capacity(files.len());
    for file in files {
        results.push(file?);
    }
    assemble(results, options)
}

/// Number every error, check them against `on_bad_line`, unify blocks and build the batches.
fn assemble(mut files: Vec<FileResult>, options: &ReadOptions) -> Result<ReadOutput> {
    let mut skipped = Skipped::default();
    let mut unterminated = Vec::new();
    // Under `n_rows`, what comes after the last row is not looked at, however far the
    // parsers got: neither its errors, nor its header blocks, nor its JSON keys. `used` is
    // how many of a file's chunks (and `blocks` how many of its header blocks) count.
    let mut rows_before = 0;
    let mut used = Vec::with_capacity(files.len());
    let mut block_counts = Vec::with_capacity(files.len());
    for (index, file) in files.iter_mut().enumerate() {
        let mut numbering = Numbering::new(&file.path);
        let mut count = 0;
        let mut limited = false;
        for chunk in &mut file.chunks {
            let room = options.n_rows.map(|n| n.saturating_sub(rows_before));
            if room == Some(0) {
                limited = true;
                break;
            }
            let bad_lines = chunk.bad_lines_within(room);
            numbering.chunk(chunk, bad_lines);
            count += 1;
            // A chunk with a bad line to raise has no rows to give.
            if options.skip_bad_lines || bad_lines == 0 {
                if let Some(room) = room.filter(|&room| room < chunk.output.rows) {
                    let sampler = options.pushdown.sample.map(|s| s.for_file(&file.path));
                    chunk.cut(room, sampler, options);
                    chunk.output.row_ends.truncate(room);
                }
                rows_before += chunk.output.rows;
            }
        }
        let reached = options.n_rows.is_some_and(|n| rows_before >= n);
        if limited || reached {
            // The read stops after the line of its last row.
            let used_chunks = &file.chunks[..count];
            file.summary.end_offset = used_chunks
                .iter()
                .rev()
                .find_map(ParsedChunk::rows_end)
                .unwrap_or(options.start_offset);
        }
        if !limited && !reached {
            numbering.end(file.summary.error.as_ref());
            let last_bad = file.chunks.last().is_some_and(|c| c.output.last_line_bad);
            if file.summary.unterminated && !last_bad {
                let line = numbering.last_line(&file.summary);
                unterminated.push((file.path.clone(), line));
            }
        }
        skipped.absorb(&mut numbering, options.skip_bad_lines)?;
        // The header blocks up to the one the last chunk used; with no chunk, the first
        // file's first block still gives the columns (`n_rows=0`).
        let blocks = &file.summary.blocks;
        let block_count = match file.chunks[..count].last() {
            _ if options.n_rows.is_none() || (!limited && !reached) => blocks.len(),
            Some(last) => blocks
                .iter()
                .position(|b| Arc::ptr_eq(b, &last.block))
                .map_or(blocks.len(), |at| at + 1),
            None if index == 0 => blocks.len().min(1),
            None => 0,
        };
        used.push(count);
        block_counts.push(block_count);
    }
    let blocks: Vec<(&str, &Block)> = files
        .iter()
        .zip(&block_counts)
        .flat_map(|(f, &count)| {
            f.summary.blocks[..count]
                .iter()
                .map(|b| (f.path.as_str(), b.as_ref()))
        })
        .collect();
    let mut dynamic = DynamicColumns::default();
    for (file, &count) in files.iter().zip(&used) {
        for chunk in &file.chunks[..count] {
            dynamic.add(&file.path, chunk)?;
        }
    }
    let schema = unify(&blocks, &dynamic, options)?;
    let mut batches = Vec::new();
    let mut remaining = options.n_rows.unwrap_or(usize::MAX);
    let chunks = files
        .iter()
        .zip(&used)
        .flat_map(|(f, &count)| f.chunks[..count].iter().map(|c| (f.path.as_str(), c)));
    for (path, chunk) in chunks {
        if remaining == 0 {
            break;
        }
        if chunk.output.rows == 0 {
            continue;
        }
        let batch = chunk_batch(chunk, &schema, path, options)?;
        let take = remaining.min(batch.num_rows());
        remaining -= take;
        batches.push(if take < batch.num_rows() {
            batch.slice(0, take)
        } else {
            batch
        });
    }
    Ok(ReadOutput {
        schema,
        batches,
        skipped_count: skipped.count,
        skipped: skipped.first,
        unterminated,
        end_offsets: files.iter().map(|f| f.summary.end_offset).collect(),
    })
}

/// Lines dropped under `on_bad_line="skip"`: how many, and the first of them.
#[derive(Debug, Default)]
pub struct Skipped {
    pub count: u64,
    pub first: Vec<Error>,
}

impl Skipped {
    /// Take the errors numbered so far: raise the first one that may not be skipped.
    pub(crate) fn absorb(&mut self, numbering: &mut Numbering, skip_bad_lines: bool) -> Result<()> {
        for error in numbering.errors.drain(..) {
            // Header problems make the rest of a file unreadable, and rows of damaged
            // compressed data cannot be trusted: never skipped.
            let skippable = matches!(error.kind, ErrorKind::Parse | ErrorKind::Truncated);
            if !skip_bad_lines || !skippable {
                return Err(error);
            }
            if self.first.len() < MAX_REPORTED {
                self.first.push(error);
            }
        }
        self.count += std::mem::take(&mut numbering.count);
        Ok(())
    }
}

/// Gives a file's errors their absolute line numbers, chunk after chunk in file order. A line
/// cut by a truncated stream is reported as the truncation, once.
pub(crate) struct Numbering {
    path: String,
    /// Lines in the chunks seen so far.
    lines_before: u64,
    /// Errors numbered and not yet taken, in file order, and how many lines they stand for.
    errors: Vec<Error>,
    count: u64,
    /// Set by an error after which the file was not read any further.
    ended: bool,
    /// Whether the last error is the last chunk's last line, which has no line end.
    last_error_open: bool,
}

impl Numbering {
    pub fn new(path: &str) -> Numbering {
        Numbering {
            path: path.to_owned(),
            lines_before: 0,
            errors: Vec::new(),
            count: 0,
            ended: false,
            last_error_open: false,
        }
    }

    /// Number a chunk's errors: its first `bad_lines` bad lines (those before the limit of
    /// `n_rows`) and its fatal error.
    pub fn chunk(&mut self, chunk: &ParsedChunk, bad_lines: u64) {
        if self.ended {
            return;
        }
        let base = self.lines_before + chunk.reader_lines_before;
        self.lines_before += chunk.output.lines;
        for error in chunk.output.bad_lines.iter().take(bad_lines as usize) {
            let line = base + error.line.unwrap_or(0);
            self.errors
                .push(error.clone().with_line(line).with_path(&self.path));
        }
        self.count += bad_lines;
        self.last_error_open = chunk.output.last_line_reported
            && bad_lines == chunk.output.bad_line_count
            && chunk.output.fatal.is_none();
        if let Some(fatal) = &chunk.output.fatal {
            self.errors.push(fatal.clone().with_path(&self.path));
            self.count += 1;
            self.ended = true;
        }
    }

    /// The number of a file's last line, once every chunk of the file has been seen.
    pub fn last_line<B>(&self, summary: &StreamSummary<B>) -> u64 {
        self.lines_before + summary.reader_lines
    }

    /// The reader's own error, once every chunk of the file has been seen. Must follow the
    /// file's last chunk before its errors are taken: it may replace that chunk's last error.
    pub fn end(&mut self, reader_error: Option<&ReaderError>) {
        let Some(reader_error) = reader_error.filter(|_| !self.ended) else {
            return;
        };
        self.ended = true;
        let mut line = self.lines_before + reader_error.reader_lines;
        if matches!(
            reader_error.error.kind,
            ErrorKind::Truncated | ErrorKind::Corrupt
        ) {
            // The stream ended inside or right after the last line read (line 1 if no line
            // was read whole). A line it cut is reported as the damage.
            line = line.saturating_sub(1).max(1);
            if reader_error.cut && self.last_error_open && !self.errors.is_empty() {
                self.errors.pop();
                self.count -= 1;
            }
        }
        self.errors.push(
            reader_error
                .error
                .clone()
                .with_line(line)
                .with_path(&self.path),
        );
        self.count += 1;
    }
}

/// The columns of JSON chunks, in first-seen order: a key no schema knows is typed by the
/// join of its values' shapes over every chunk. A log of a known type also has the columns
/// its writer leaves out when they are unset (Zeek's JSON writer omits null fields).
#[derive(Debug, Default)]
pub(crate) struct DynamicColumns {
    /// Name, type and the first file that has it, in first-seen order.
    columns: Vec<(String, DataType, String)>,
    shapes: Vec<Option<json::Shape>>,
    index: HashMap<String, usize>,
    /// Per log type: the keys seen, and a file that has it.
    log_types: Vec<(String, SeenKeys, String)>,
}

/// Names in first-seen order, each once.
#[derive(Debug, Default)]
struct SeenKeys {
    names: Vec<String>,
    set: HashSet<String>,
}

impl DynamicColumns {
    pub fn add(&mut self, path: &str, chunk: &ParsedChunk) -> Result<()> {
        let output = &chunk.output;
        if let Some(log_type) = chunk.block.json.as_ref().and_then(|j| j.log_type.clone()) {
            let at = match self.log_types.iter().position(|(t, _, _)| *t == log_type) {
                Some(at) => at,
                None => {
                    self.log_types
                        .push((log_type, SeenKeys::default(), path.to_owned()));
                    self.log_types.len() - 1
                }
            };
            let seen = &mut self.log_types[at].1;
            for (name, _) in &output.named {
                if seen.set.insert(name.clone()) {
                    seen.names.push(name.clone());
                }
            }
        }
        for (name, column) in &output.named {
            let shape = match column {
                NamedColumn::Inferred(inferred) => Some(inferred.shape.clone()),
                NamedColumn::Typed(_) => None,
            };
            let Some(&at) = self.index.get(name) else {
                self.index.insert(name.clone(), self.columns.len());
                self.columns
                    .push((name.clone(), column.data_type(), path.to_owned()));
                self.shapes.push(shape);
                continue;
            };
            match (&self.shapes[at], shape) {
                (Some(known), Some(shape)) => {
                    let joined = known.join(&shape);
                    self.columns[at].1 = joined.arrow_type();
                    self.shapes[at] = Some(joined);
                }
                (None, None) if self.columns[at].1 == column.data_type() => {}
                _ => {
                    return Err(Error::schema(format!(
                        "column {name:?} is {} in {} but {} in later lines",
                        json::zeek_type_name(&self.columns[at].1),
                        self.columns[at].2,
                        json::zeek_type_name(&column.data_type())
                    ))
                    .with_path(path))
                }
            }
        }
        Ok(())
    }

    /// The columns in order: for each log type, the fields of the built-in schema that fits
    /// the keys seen (the smallest that has them all, the newest on a tie) in its order,
    /// then the other keys as first seen.
    fn finished(&self, rename_underscore: bool) -> Vec<(String, DataType, String)> {
        let mut out: Vec<(String, DataType, String)> = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let registry = builtin_schemas();
        for (log_type, seen, path) in &self.log_types {
            let renamed = |field: &str| output_name(field, rename_underscore);
            let schemas: Vec<(&_, HashSet<String>)> = registry
                .iter()
                .filter(|s| s.log_type == log_type.as_str())
                .map(|s| (s, s.fields.iter().map(|f| renamed(f)).collect()))
                .collect();
            let known = |name: &String| schemas.iter().any(|(_, fields)| fields.contains(name));
            let fitting = schemas
                .iter()
                .filter(|(_, fields)| {
                    seen.names
                        .iter()
                        .filter(|name| known(name))
                        .all(|name| fields.contains(name))
                })
                .min_by_key(|(s, _)| s.fields.len());
            let Some((schema, _)) = fitting else { continue };
            for (field, zeek_type) in schema.fields.iter().zip(&schema.types) {
                let name = renamed(field);
                if !placed.insert(name.clone()) {
                    continue;
                }
                out.push(match self.index.get(&name) {
                    Some(&at) => self.columns[at].clone(),
                    None => (name, ZeekType::parse(zeek_type).arrow_type(), path.clone()),
                });
            }
        }
        for column in &self.columns {
            if placed.insert(column.0.clone()) {
                out.push(column.clone());
            }
        }
        out
    }
}

/// Columns in first-seen order with a name index, so unifying a header of a million fields
/// stays linear.
#[derive(Default)]
struct ColumnList {
    columns: Vec<UnifiedColumn>,
    index: HashMap<String, usize>,
}

struct UnifiedColumn {
    name: String,
    data_type: DataType,
    /// Zeek's name of the type, for messages.
    zeek_type: String,
    /// The first file that has the column.
    path: String,
}

impl ColumnList {
    fn get(&self, name: &str) -> Option<&UnifiedColumn> {
        self.index.get(name).map(|&at| &self.columns[at])
    }

    /// Add a column, or check that it has the type it already has (`from_header`: a header
    /// block's column, else a JSON log's).
    fn add(&mut self, column: UnifiedColumn, from_header: bool) -> Result<()> {
        if let Some(known) = self.get(&column.name) {
            if known.data_type == column.data_type {
                return Ok(());
            }
            let place = match (known.path == column.path, from_header) {
                (true, true) => "in a later header block".to_owned(),
                (true, false) => "in later lines".to_owned(),
                (false, _) => format!("in {}", column.path),
            };
            return Err(Error::schema(format!(
                "column {:?} is {} in {} but {} {place}",
                column.name, known.zeek_type, known.path, column.zeek_type
            ))
            .with_path(&column.path));
        }
        self.index.insert(column.name.clone(), self.columns.len());
        self.columns.push(column);
        Ok(())
    }
}

/// The output columns: the requested ones in the requested order, or every column of every
/// block in first-seen order. A name with two different types is an error.
pub(crate) fn unify(
    blocks: &[(&str, &Block)],
    dynamic: &DynamicColumns,
    options: &ReadOptions,
) -> Result<SchemaRef> {
    let mut columns = ColumnList::default();
    for (path, block) in blocks {
        for field in block.selected() {
            columns.add(
                UnifiedColumn {
                    name: block.names[field].clone(),
                    data_type: block.types[field].arrow_type(),
                    zeek_type: block.type_names[field].clone(),
                    path: (*path).to_owned(),
                },
                true,
            )?;
        }
    }
    for (name, data_type, path) in dynamic.finished(options.rename_underscore) {
        let zeek_type = json::zeek_type_name(&data_type);
        columns.add(
            UnifiedColumn {
                name,
                data_type,
                zeek_type,
                path,
            },
            false,
        )?;
    }
    if options.pushdown.mime.is_some() && columns.get(MIME_CATEGORY).is_none() {
        columns.add(
            UnifiedColumn {
                name: MIME_CATEGORY.to_owned(),
                data_type: MimeCategories::data_type(),
                zeek_type: "enum".to_owned(),
                path: String::new(),
            },
            false,
        )?;
    }
    if let Some(name) = &options.include_file_paths {
        if let Some(column) = columns.get(name) {
            return Err(Error::schema(format!(
                "include_file_paths={name:?} is already a column of the log; choose another name"
            ))
            .with_path(&column.path));
        }
        columns.add(
            UnifiedColumn {
                name: name.clone(),
                data_type: DataType::Utf8View,
                zeek_type: "string".to_owned(),
                path: String::new(),
            },
            false,
        )?;
    }
    let fields: Vec<Field> = match options.wanted() {
        Some(wanted) => {
            let mut fields = Vec::with_capacity(wanted.len());
            for name in &wanted {
                let Some(column) = columns.get(name) else {
                    let available: Vec<&str> = blocks
                        .iter()
                        .flat_map(|(_, b)| b.names.iter().map(String::as_str))
                        .collect();
                    return Err(Error::schema(format!(
                        "column {name:?} is not in the log; its columns are: {}",
                        dedup(available).join(", ")
                    )));
                };
                fields.push(Field::new(&column.name, column.data_type.clone(), true));
            }
            fields
        }
        None => columns
            .columns
            .into_iter()
            .map(|column| Field::new(column.name, column.data_type, true))
            .collect(),
    };
    Ok(Arc::new(Schema::new(fields)))
}

/// Column positions of `schema` by name.
fn name_index(schema: &Schema) -> HashMap<&str, usize> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(at, field)| (field.name().as_str(), at))
        .collect()
}

/// Whether every column of a parsed chunk is in `schema`, with a type that holds it.
pub(crate) fn fits(chunk: &ParsedChunk, schema: &Schema) -> bool {
    let block = &chunk.block;
    let index = name_index(schema);
    let field = |name: &str| index.get(name).map(|&at| schema.field(at));
    let header_columns = block.selected().all(|at| {
        field(&block.names[at]).is_some_and(|f| *f.data_type() == block.types[at].arrow_type())
    });
    let json_columns = chunk.output.named.iter().all(|(name, column)| {
        field(name).is_some_and(|f| match column {
            NamedColumn::Typed(array) => array.data_type() == f.data_type(),
            NamedColumn::Inferred(inferred) => json::shape_of_type(f.data_type())
                .is_some_and(|target| inferred.shape.join(&target) == target),
        })
    });
    header_columns && json_columns
}

/// The unified schema of `paths` without building their columns: from each file's first
/// header block, or (`every_block`) from all of them, which means reading each file to its
/// end. A JSON log's columns come from its lines: the first chunk's, or every chunk's.
pub fn layout_schema(
    paths: &[String],
    options: &ReadOptions,
    every_block: bool,
) -> Result<SchemaRef> {
    // Only the column names and types matter: nothing is sampled, filtered or kept.
    let lenient = ReadOptions {
        skip_bad_lines: true,
        pushdown: Pushdown::default(),
        ..options.clone()
    };
    let scan = |path: &String| -> Result<(Vec<Arc<Block>>, Vec<ParsedChunk>)> {
        let mut factory =
            |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
        let buffers = BufferPool::default();
        let chunking = if every_block {
            options.chunking()
        } else {
            options.chunking().peek()
        };
        let mut outputs = Vec::new();
        let mut keep_going = |chunk: DataChunk<Arc<Block>>| {
            if chunk.block.json.is_some() {
                outputs.push(parse(chunk, None, &lenient, &buffers));
            } else {
                buffers.give(chunk.data);
            }
            every_block
        };
        let summary = read_chunks(
            path,
            &chunking,
            &buffers,
            &mut factory,
            &mut keep_going,
            None,
        )?;
        match summary.error {
            // Data errors (a truncated stream) are the data pass's to report, with its numbering.
            Some(error) if summary.blocks.is_empty() || error.error.kind == ErrorKind::Header => {
                Err(error.error.with_line(error.reader_lines).with_path(path))
            }
            _ => Ok((summary.blocks, outputs)),
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.n_threads.max(1))
        .build()
        .map_err(|e| Error::new(ErrorKind::Io(std::io::ErrorKind::Other), e.to_string()))?;
    let scanned = pool.install(|| paths.par_iter().map(scan).collect::<Result<Vec<_>>>())?;
    let named: Vec<(&str, &Block)> = paths
        .iter()
        .zip(&scanned)
        .flat_map(|(path, (blocks, _))| blocks.iter().map(|b| (path.as_str(), b.as_ref())))
        .collect();
    let mut dynamic = DynamicColumns::default();
    for (path, (_, outputs)) in paths.iter().zip(&scanned) {
        for chunk in outputs {
            dynamic.add(path, chunk)?;
        }
    }
    unify(&named, &dynamic, options)
}

fn dedup(names: Vec<&str>) -> Vec<&str> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .filter(|name| seen.insert(*name))
        .collect()
}

/// The columns of one chunk as a batch of `schema`: its own columns, nulls for the columns
/// other blocks have, the derived `mime_category` and the file path column.
pub(crate) fn chunk_batch(
    chunk: &ParsedChunk,
    schema: &SchemaRef,
    path: &str,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    let block = &chunk.block;
    if block.json.is_some() {
        let extra = |field: &Field| {
            if field.name() == MIME_CATEGORY {
                return chunk.output.mime.clone();
            }
            (options.include_file_paths.as_ref() == Some(field.name()))
                .then(|| repeated_string(path, chunk.output.rows))
        };
        return json::json_batch(&chunk.output.named, chunk.output.rows, schema, &extra);
    }
    let slots: HashMap<&str, usize> = block
        .selected()
        .enumerate()
        .map(|(slot, field)| (block.names[field].as_str(), slot))
        .collect();
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            if field.name() == MIME_CATEGORY {
                if let Some(mime) = &chunk.output.mime {
                    return mime.clone();
                }
            }
            if options.include_file_paths.as_ref() == Some(field.name()) {
                return repeated_string(path, chunk.output.rows);
            }
            slots
                .get(field.name().as_str())
                .map(|&slot| chunk.output.columns[slot].clone())
                .unwrap_or_else(|| new_null_array(field.data_type(), chunk.output.rows))
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(chunk.output.rows));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .map_err(|e| Error::schema(format!("cannot assemble columns: {e}")))
}

/// `rows` copies of `value`, sharing one copy of its bytes.
fn repeated_string(value: &str, rows: usize) -> ArrayRef {
    let view = crate::tsv::builders::string_view(value.as_bytes(), 0, 0);
    let buffers = if value.len() > 12 {
        vec![arrow_buffer::Buffer::from(value.as_bytes())]
    } else {
        Vec::new()
    };
    let views = arrow_buffer::ScalarBuffer::from(vec![view; rows]);
    // SAFETY: every view describes `value`, a valid UTF-8 string, inline or at offset 0 of
    // the one buffer.
    Arc::new(unsafe { arrow_array::StringViewArray::new_unchecked(views, buffers.into(), None) })
}

/// The layout of the first header block of `path` (or of its first line, for a log without a
/// header), without reading the data.
pub fn read_layout(path: &str, options: &ReadOptions) -> Result<Option<Arc<Block>>> {
    let mut factory =
        |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
    let buffers = BufferPool::default();
    let chunking = options.chunking().peek();
    let summary = read_chunks(
        path,
        &chunking,
        &buffers,
        &mut factory,
        &mut |_| false,
        None,
    )?;
    if let Some(error) = summary.error {
        return Err(error.error.with_line(error.reader_lines).with_path(path));
    }
    Ok(summary.blocks.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushdown::{Literal, Op, Predicate, Sampler};
    use crate::testing::{log, TempLog, HEADER};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{TimestampMicrosecondType, UInt16Type, UInt64Type};
    use arrow_array::Array;
    use std::io::Write;

    fn read(paths: &[String], options: &ReadOptions) -> ReadOutput {
        match read_files(paths, options) {
            Ok(output) => output,
            Err(error) => panic!("read failed: {error}"),
        }
    }

    fn column_names(output: &ReadOutput) -> Vec<&str> {
        output
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    fn column_u64(output: &ReadOutput, name: &str) -> Vec<Option<u64>> {
        let index = output.schema.index_of(name).expect("column exists");
        output
            .batches
            .iter()
            .flat_map(|b| {
                b.column(index)
                    .as_primitive::<UInt64Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn any_chunk_size_and_thread_count_gives_the_same_rows() {
        let file = TempLog::new("chunks.log", log(500).as_bytes());
        let paths = vec![file.path()];
        let expected = column_u64(&read(&paths, &ReadOptions::default()), "n");
        assert_eq!(expected.len(), 500);
        assert_eq!(expected.iter().filter(|v| v.is_none()).count(), 72);
        for chunk_size in [1, 2, 7, 33, 64, 100, 4096] {
            for n_threads in [1, 2, 3] {
                let options = ReadOptions {
                    chunk_size,
                    n_threads,
                    ..ReadOptions::default()
                };
                let output = read(&paths, &options);
                assert_eq!(
                    column_u64(&output, "n"),
                    expected,
                    "chunk {chunk_size} x{n_threads}"
                );
            }
        }
    }

    /// Every chunking and thread count, with `n_rows`: the rows, schema and outcome agree.
    fn limited_reads(text: &str, name: &str, n_rows: usize, skip: bool) -> Vec<Result<ReadOutput>> {
        let file = TempLog::new(name, text.as_bytes());
        let mut outcomes = Vec::new();
        for chunk_size in [1 << 20, 1, 9, 40, 100] {
            for n_threads in [1, 2] {
                let options = ReadOptions {
                    chunk_size,
                    n_threads,
                    n_rows: Some(n_rows),
                    skip_bad_lines: skip,
                    ..ReadOptions::default()
                };
                outcomes.push(read_files(&[file.path()], &options));
            }
        }
        outcomes
    }

    #[test]
    fn n_rows_never_looks_past_its_last_row() {
        // Three good rows, a bad line (too few fields), two more good rows.
        let mut text = log(3).replace("#close\t2020-01-01-00-00-00\n", "");
        text.push_str("bad\n9.0\tCx\t1\t1\n9.5\tCy\t2\t2\n");
        for skip in [false, true] {
            for outcome in limited_reads(&text, "limit-bad.log", 3, skip) {
                let output = outcome.expect("the bad line comes after the third row");
                assert_eq!(
                    output
                        .batches
                        .iter()
                        .map(RecordBatch::num_rows)
                        .sum::<usize>(),
                    3
                );
                assert_eq!(output.skipped_count, 0, "nothing past the limit is skipped");
            }
            let header_end = (log(0).len() - "#close\t2020-01-01-00-00-00\n".len()) as u64;
            for outcome in limited_reads(&text, "limit-bad2.log", 2, skip) {
                let rows_end = header_end + log(2).len() as u64 - log(0).len() as u64;
                assert_eq!(
                    outcome.expect("before the bad line").end_offsets,
                    [rows_end]
                );
            }
            for outcome in limited_reads(&text, "limit-bad4.log", 4, skip) {
                match (skip, outcome) {
                    (false, Err(error)) => assert_eq!(error.line, Some(11)),
                    (true, Ok(output)) => {
                        assert_eq!(output.skipped_count, 1);
                        assert_eq!(column_u64(&output, "n"), [None, Some(1), Some(2), Some(1)]);
                    }
                    (_, outcome) => panic!("skip={skip}: {outcome:?}"),
                }
            }
        }
        // A second header block after the limit adds no column.
        let two = two_blocks();
        for outcome in limited_reads(&two, "limit-blocks.log", 1, false) {
            let output = outcome.expect("a well-formed log");
            assert_eq!(column_names(&output), ["ts", "uid", "id.resp_p", "n"]);
        }
        for outcome in limited_reads(&two, "limit-blocks0.log", 0, false) {
            assert_eq!(column_names(&outcome.expect("a well-formed log")).len(), 4);
        }
        for outcome in limited_reads(&two, "limit-blocks2.log", 2, false) {
            let output = outcome.expect("a well-formed log");
            assert_eq!(
                column_names(&output),
                ["ts", "uid", "id.resp_p", "n", "extra"]
            );
        }
    }

    #[test]
    fn a_last_line_without_a_line_end_is_named_once() {
        let body = log(2).replace("#close\t2020-01-01-00-00-00\n", "");
        for (last, json) in [("9.0\tCx\t1\t1", false), ("{\"ts\":1.0}", true)] {
            let (good, cut) = if json {
                (
                    format!("{{\"ts\":2.0}}\n{last}"),
                    "{\"ts\":1.0,\"x\":tr".to_owned(),
                )
            } else {
                (format!("{body}{last}"), format!("{body}9.0\tCx"))
            };
            for chunk_size in [1 << 20, 7] {
                let options = ReadOptions {
                    chunk_size,
                    skip_bad_lines: true,
                    ..ReadOptions::default()
                };
                let file = TempLog::new("unterminated.log", good.as_bytes());
                let output = read(&[file.path()], &options);
                let line = if json { 2 } else { 10 };
                assert_eq!(output.unterminated, [(file.path(), line)], "read as a row");
                // A cut last line is a bad line, reported once, not also as a row read.
                let file = TempLog::new("unterminated-cut.log", cut.as_bytes());
                let output = read(&[file.path()], &options);
                assert_eq!(output.skipped_count, 1, "json={json}");
                assert!(output.unterminated.is_empty(), "json={json}");
            }
        }
    }

    #[test]
    fn a_bad_line_before_a_checksum_mismatch_is_the_first_error_for_any_chunking() {
        // The last line is whole but has too few fields; the member's checksum is wrong.
        let text = format!(
            "{}9.0\tCx\n",
            log(3).replace("#close\t2020-01-01-00-00-00\n", "")
        );
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(text.as_bytes()).expect("in memory");
        let mut bytes = gzip.finish().expect("in memory");
        let crc = bytes.len() - 8;
        bytes[crc] ^= 0xff;
        let file = TempLog::new("bad-then-crc.log.gz", &bytes);
        for chunk_size in [1 << 20, 16, 100] {
            for n_threads in [1, 2] {
                let options = ReadOptions {
                    chunk_size,
                    n_threads,
                    ..ReadOptions::default()
                };
                let error = read_files(&[file.path()], &options).expect_err("a bad line");
                assert_eq!(
                    (error.kind, error.line),
                    (ErrorKind::Parse, Some(11)),
                    "{error}"
                );
                let skip = ReadOptions {
                    skip_bad_lines: true,
                    ..options
                };
                let error = read_files(&[file.path()], &skip).expect_err("damaged");
                assert_eq!(error.kind, ErrorKind::Corrupt, "{error}");
            }
        }
    }

    #[test]
    fn damage_inside_compressed_data_is_reported_at_one_line_for_any_chunking() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(log(20_000).as_bytes()).expect("in memory");
        let clean = gzip.finish().expect("in memory");
        for at in [clean.len() / 3, clean.len() / 2, clean.len() - 100] {
            let mut bytes = clean.clone();
            bytes[at] ^= 0x55;
            let file = TempLog::new("damaged-inside.log.gz", &bytes);
            // Per `on_bad_line`: one kind and line, whatever the chunk size.
            let mut seen: [Option<(ErrorKind, Option<u64>)>; 2] = [None, None];
            for chunk_size in [1 << 20, 4096, 100] {
                for skip_bad_lines in [false, true] {
                    let options = ReadOptions {
                        chunk_size,
                        skip_bad_lines,
                        n_threads: 1,
                        ..ReadOptions::default()
                    };
                    let error = read_files(&[file.path()], &options).expect_err("damaged");
                    let found = (error.kind, error.line);
                    let first = seen[usize::from(skip_bad_lines)].get_or_insert(found);
                    assert_eq!(*first, found, "chunk {chunk_size}, skip {skip_bad_lines}");
                }
            }
        }
    }

    #[test]
    fn n_rows_types_json_columns_from_the_lines_read_only() {
        let text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":\"x\",\"b\":true}\n";
        for outcome in limited_reads(text, "limit.json", 3, false) {
            let output = outcome.expect("well-formed JSON lines");
            assert_eq!(column_names(&output), ["a"]);
            assert_eq!(output.schema.field(0).data_type(), &DataType::Int64);
        }
        for outcome in limited_reads(text, "limit4.json", 4, false) {
            let output = outcome.expect("well-formed JSON lines");
            assert_eq!(column_names(&output), ["a", "b"]);
            assert_eq!(output.schema.field(0).data_type(), &DataType::Utf8View);
        }
    }

    /// A log whose second header block drops a field and adds `extra`.
    fn two_blocks() -> String {
        format!(
            "{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tts\tn\textra\n\
             #types\ttime\tcount\tstring\n2.5\t2\tx\n"
        )
    }

    #[test]
    fn blocks_with_different_fields_are_unified_by_name() {
        let text = two_blocks();
        let file = TempLog::new("blocks.log", text.as_bytes());
        let output = read(
            &[file.path()],
            &ReadOptions {
                chunk_size: 3,
                ..ReadOptions::default()
            },
        );
        let names = column_names(&output);
        assert_eq!(names, ["ts", "uid", "id.resp_p", "n", "extra"]);
        assert_eq!(column_u64(&output, "n"), [Some(1), Some(2)]);
        let ports = output.batches[1].column(2).as_primitive::<UInt16Type>();
        assert!(ports.is_null(0));
    }

    #[test]
    fn conflicting_types_across_blocks_are_an_error() {
        let text =
            format!("{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tn\n#types\tstring\nx\n");
        let file = TempLog::new("conflict.log", text.as_bytes());
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Schema));
    }

    #[test]
    fn gzip_and_zstd_are_detected_from_the_bytes() {
        let text = log(50);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(text.as_bytes()).expect("in memory");
        let gzip = gzip.finish().expect("in memory");
        let zstd = zstd::encode_all(text.as_bytes(), 1).expect("in memory");
        // Names that say nothing of the content: detection reads the magic bytes.
        let files = [TempLog::new("a.log", &gzip), TempLog::new("b.dat", &zstd)];
        let paths: Vec<String> = files.iter().map(TempLog::path).collect();
        let output = read(&paths, &ReadOptions::default());
        assert_eq!(
            output.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            100
        );
        let ts = output.batches[0]
            .column(0)
            .as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(1), 1_300_000_001_000_001);
    }

    #[test]
    fn a_truncated_gzip_stream_raises_or_keeps_the_rows_before_the_cut() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(log(2000).as_bytes()).expect("in memory");
        let gzip = gzip.finish().expect("in memory");
        let file = TempLog::new("cut.log.gz", &gzip[..gzip.len() / 2]);
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Truncated));
        let options = ReadOptions {
            skip_bad_lines: true,
            ..ReadOptions::default()
        };
        let output = read(&[file.path()], &options);
        let rows: usize = output.batches.iter().map(|b| b.num_rows()).sum();
        assert!(rows > 100 && rows < 2000, "{rows}");
        assert!(output
            .skipped
            .iter()
            .any(|e| e.kind == ErrorKind::Truncated));
    }

    #[test]
    fn errors_carry_absolute_line_numbers() {
        let mut text = log(300);
        text = text.replacen("\t250\t", "\tbad\t", 1);
        let file = TempLog::new("bad.log", text.as_bytes());
        for chunk_size in [50, 1 << 20] {
            let options = ReadOptions {
                chunk_size,
                ..ReadOptions::default()
            };
            let error = read_files(&[file.path()], &options).expect_err("bad port");
            // 7 header lines, then row 250 is line 258.
            assert_eq!(
                (error.line, error.column),
                (Some(258), Some(3)),
                "chunk {chunk_size}"
            );
            assert_eq!(error.value.as_deref(), Some("bad"));
        }
    }

    #[test]
    fn n_rows_and_projection() {
        let file = TempLog::new("head.log", log(1000).as_bytes());
        let options = ReadOptions {
            n_rows: Some(10),
            columns: Some(vec!["n".into(), "ts".into()]),
            chunk_size: 64,
            ..ReadOptions::default()
        };
        let output = read(&[file.path()], &options);
        let names = column_names(&output);
        assert_eq!(names, ["n", "ts"]);
        assert_eq!(column_u64(&output, "n").len(), 10);
        let missing = ReadOptions {
            columns: Some(vec!["nope".into()]),
            ..ReadOptions::default()
        };
        let error = read_files(&[file.path()], &missing)
            .err()
            .map(|e| e.message);
        assert!(error.is_some_and(|m| m.contains("\"nope\"") && m.contains("id.resp_p")));
    }

    #[test]
    fn sampling_and_filters_do_not_depend_on_chunking() {
        let file = TempLog::new("pushdown.log", log(3000).as_bytes());
        let pushdown = Pushdown {
            sample: Sampler::new(0.3, 9),
            filter: Some(Predicate::Compare {
                column: "id.resp_p".into(),
                op: Op::GtEq,
                value: Literal::Int(1000),
            }),
            mime: None,
        };
        let options = |chunk_size, n_threads| ReadOptions {
            chunk_size,
            n_threads,
            pushdown: pushdown.clone(),
            ..ReadOptions::default()
        };
        let expected = column_u64(&read(&[file.path()], &options(1 << 20, 1)), "n");
        // 2,000 rows pass the filter; about 30 % of them are sampled.
        assert!((500..700).contains(&expected.len()), "{}", expected.len());
        assert!(expected.iter().flatten().all(|&n| n >= 1000));
        for chunk_size in [7, 100, 4096] {
            for n_threads in [1, 3] {
                let output = read(&[file.path()], &options(chunk_size, n_threads));
                assert_eq!(
                    column_u64(&output, "n"),
                    expected,
                    "chunk {chunk_size} x{n_threads}"
                );
            }
        }
    }

    #[test]
    fn a_header_only_file_still_names_its_columns() {
        let file = TempLog::new("empty.log", HEADER.as_bytes());
        let output = read(&[file.path()], &ReadOptions::default());
        assert_eq!(output.schema.fields().len(), 4);
        assert!(output.batches.is_empty());
    }

    #[test]
    fn headerless_logs_need_a_layout() {
        let file = TempLog::new("bare.log", b"1.0\tCa\n2.0\tCb\n");
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert_eq!(
            error.map(|e| (e.kind, e.line)),
            Some((ErrorKind::Header, Some(1)))
        );
        let options = ReadOptions {
            fields: Some(vec!["ts".into(), "uid".into()]),
            types: Some(vec!["time".into(), "string".into()]),
            ..ReadOptions::default()
        };
        let output = read(&[file.path()], &options);
        assert_eq!(output.batches[0].num_rows(), 2);
    }

    /// Collects a stream's batches, checking that progress only moves forward.
    #[derive(Default)]
    struct Collect {
        batches: Vec<RecordBatch>,
        last: Option<crate::stream::Progress>,
    }

    impl crate::stream::BatchSink for Collect {
        fn batch(&mut self, batch: RecordBatch) -> Result<()> {
            self.batches.push(batch);
            Ok(())
        }

        fn progress(&mut self, progress: crate::stream::Progress) -> Result<()> {
            if let Some(last) = self.last {
                assert!(progress.bytes_read >= last.bytes_read && progress.rows >= last.rows);
            }
            self.last = Some(progress);
            Ok(())
        }
    }

    /// `stream_files` with the schema of every block, as a `ReadOutput`.
    fn streamed(paths: &[String], options: &ReadOptions) -> Result<ReadOutput> {
        let schema = layout_schema(paths, options, true)?;
        let mut sink = Collect::default();
        match crate::stream::stream_files(paths, options, &schema, &mut sink)? {
            crate::stream::StreamEnd::Done {
                rows,
                skipped,
                unterminated,
            } => {
                let counted: usize = sink.batches.iter().map(RecordBatch::num_rows).sum();
                assert_eq!(rows, counted as u64);
                Ok(ReadOutput {
                    schema,
                    batches: sink.batches,
                    skipped_count: skipped.count,
                    skipped: skipped.first,
                    unterminated,
                    end_offsets: Vec::new(),
                })
            }
            crate::stream::StreamEnd::SchemaGrew => panic!("the schema had every block"),
        }
    }

    /// The streaming read gives the same batches, skipped lines and errors as `read_files`.
    fn assert_streams_alike(paths: &[String], options: &ReadOptions) {
        let whole = read_files(paths, options);
        let stream = streamed(paths, options);
        match (whole, stream) {
            (Ok(whole), Ok(stream)) => {
                // read_files stops at `n_rows` without looking at later blocks' columns.
                if options.n_rows.is_none() {
                    assert_eq!(whole.schema, stream.schema);
                }
                let shared: Vec<usize> = (0..whole.schema.fields().len()).collect();
                // Chunk boundaries depend on the buffers the reader recycles; rows do not.
                let rows = |o: &ReadOutput| {
                    arrow_select::concat::concat_batches(&o.schema, &o.batches)
                        .and_then(|b| b.project(&shared))
                        .expect("batches share the schema")
                };
                assert!(rows(&whole) == rows(&stream), "{paths:?} {options:?}");
                assert_eq!(
                    whole.skipped_count, stream.skipped_count,
                    "{paths:?} {options:?}"
                );
                let lines = |o: &ReadOutput| o.skipped.iter().map(|e| e.line).collect::<Vec<_>>();
                assert_eq!(lines(&whole), lines(&stream));
            }
            (Err(whole), Err(stream)) => {
                assert_eq!(
                    (whole.kind, whole.line, whole.column, whole.path),
                    (stream.kind, stream.line, stream.column, stream.path),
                    "{paths:?} {options:?}"
                );
            }
            (whole, stream) => {
                panic!("{paths:?} {options:?}: read_files {whole:?} but stream_files {stream:?}")
            }
        }
    }

    #[test]
    fn streaming_reads_the_same_rows_and_errors() {
        let plain = TempLog::new("stream.log", log(700).as_bytes());
        let blocks = TempLog::new(
            "stream-blocks.log",
            format!(
                "{}#separator \\x09\n#fields\tts\tn\textra\n#types\ttime\tcount\tstring\n\
                 2.5\t2\tx\n3.5\t-\t(empty)\n",
                log(40)
            )
            .as_bytes(),
        );
        let bad = TempLog::new(
            "stream-bad.log",
            log(300)
                .replacen("\t250\t", "\tbad\t", 1)
                .replacen("\t20\t", "\t-5\t", 1)
                .as_bytes(),
        );
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(log(2000).as_bytes()).expect("in memory");
        let gzip = gzip.finish().expect("in memory");
        let cut = TempLog::new("stream-cut.log.gz", &gzip[..gzip.len() / 2]);
        let sets = [
            vec![plain.path()],
            vec![plain.path(), blocks.path(), plain.path()],
            vec![bad.path()],
            vec![cut.path()],
            vec![plain.path(), cut.path(), bad.path()],
        ];
        let pushdown = Pushdown {
            sample: Sampler::new(0.5, 3),
            filter: Some(Predicate::Compare {
                column: "n".into(),
                op: Op::Gt,
                value: Literal::Int(100),
            }),
            mime: None,
        };
        for paths in &sets {
            for chunk_size in [1, 97, 4096, 1 << 20] {
                for n_threads in [1, 3] {
                    for skip_bad_lines in [false, true] {
                        for n_rows in [None, Some(0), Some(5), Some(650)] {
                            let options = ReadOptions {
                                chunk_size,
                                n_threads,
                                skip_bad_lines,
                                n_rows,
                                ..ReadOptions::default()
                            };
                            assert_streams_alike(paths, &options);
                        }
                        let options = ReadOptions {
                            chunk_size,
                            n_threads,
                            skip_bad_lines,
                            columns: Some(vec!["n".into(), "ts".into()]),
                            pushdown: pushdown.clone(),
                            ..ReadOptions::default()
                        };
                        assert_streams_alike(paths, &options);
                    }
                }
            }
        }
    }

    #[test]
    fn a_stream_says_when_a_later_block_brings_new_columns() {
        let text = two_blocks();
        let file = TempLog::new("grows.log", text.as_bytes());
        let paths = [file.path()];
        let options = ReadOptions::default();
        let first = layout_schema(&paths, &options, false).expect("header reads");
        assert_eq!(first.fields().len(), 4);
        let mut sink = Collect::default();
        let end = crate::stream::stream_files(&paths, &options, &first, &mut sink);
        assert!(matches!(end, Ok(crate::stream::StreamEnd::SchemaGrew)));
        let every = layout_schema(&paths, &options, true).expect("headers read");
        assert_eq!(every.fields().len(), 5);
        // A block with fewer columns fits: the missing ones are null.
        let fewer = format!(
            "{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tts\tn\n\
             #types\ttime\tcount\n2.5\t2\n"
        );
        let file = TempLog::new("fewer.log", fewer.as_bytes());
        let output = streamed(&[file.path()], &options).expect("reads");
        assert_eq!(column_u64(&output, "n"), [Some(1), Some(2)]);
    }
}
