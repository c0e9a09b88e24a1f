//! Reading whole logs: files in parallel, a large file's chunks in parallel, header blocks
//! unified by column name, bad lines raised or skipped, rows in file order.

use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use crate::format::schemas::{builtin_schemas, schema_for};
use crate::format::types::ZeekType;
use crate::json::{self, JsonLayout, NamedColumn};
use crate::pushdown::{ChunkPushdown, FileSampler, MimeCategories, Pushdown, MIME_CATEGORY};
use crate::source::{read_chunks, BufferPool, DataChunk, ReaderError, StreamSummary};
use crate::tsv::{parse_chunk, Block, ChunkOutput, MAX_REPORTED};
use arrow_array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
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
}

pub fn output_name(name: &str, rename_underscore: bool) -> String {
    if rename_underscore {
        name.replace('.', "_")
    } else {
        name.to_owned()
    }
}

impl ReadOptions {
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
        let wanted = self.wanted();
        let names: Vec<String> = fields
            .iter()
            .map(|f| output_name(f, self.rename_underscore))
            .collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
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

/// One parsed chunk with what is needed to number its lines.
pub(crate) struct ParsedChunk {
    seq: usize,
    pub block: Arc<Block>,
    reader_lines_before: u64,
    pub output: ChunkOutput,
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
    let pushdown = ChunkPushdown {
        sampler,
        offset: chunk.offset,
        filter: options.pushdown.filter.as_ref(),
        mime: options.pushdown.mime.as_ref(),
        mime_output: options.mime_output(),
    };
    let output = match &chunk.block.json {
        Some(layout) => {
            json::parse_json_chunk(&chunk.data, layout, !options.skip_bad_lines, &pushdown)
        }
        None => parse_chunk(
            &chunk.data,
            &chunk.block,
            !options.skip_bad_lines,
            &pushdown,
        ),
    };
    buffers.give(chunk.data);
    ParsedChunk {
        seq: chunk.seq,
        block: chunk.block,
        reader_lines_before: chunk.reader_lines_before,
        output,
    }
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
        options.chunk_size,
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
            options.chunk_size,
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
fn assemble(files: Vec<FileResult>, options: &ReadOptions) -> Result<ReadOutput> {
    let mut skipped = Skipped::default();
    // Errors after the first `n_rows` rows do not count, however far the parsers got.
    let mut rows_before = 0;
    for file in &files {
        let mut numbering = Numbering::new(&file.path);
        let mut complete = true;
        for chunk in &file.chunks {
            if options.n_rows.is_some_and(|n| rows_before >= n) {
                complete = false;
                break;
            }
            numbering.chunk(chunk);
            // A chunk with a bad line to raise has no rows to give.
            if options.skip_bad_lines || chunk.output.bad_line_count == 0 {
                rows_before += chunk.output.rows;
            }
        }
        if complete && options.n_rows.is_none_or(|n| rows_before < n) {
            numbering.end(file.summary.error.as_ref());
        }
        skipped.absorb(&mut numbering, options.skip_bad_lines)?;
    }
    let blocks: Vec<(&str, &Block)> = files
        .iter()
        .flat_map(|f| {
            f.summary
                .blocks
                .iter()
                .map(|b| (f.path.as_str(), b.as_ref()))
        })
        .collect();
    let mut dynamic = DynamicColumns::default();
    for file in &files {
        for chunk in &file.chunks {
            dynamic.add(&file.path, chunk)?;
        }
    }
    let schema = unify(&blocks, &dynamic, options)?;
    let mut batches = Vec::new();
    let mut remaining = options.n_rows.unwrap_or(usize::MAX);
    let chunks = files
        .iter()
        .flat_map(|f| f.chunks.iter().map(|c| (f.path.as_str(), c)));
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
            // Header problems make the rest of a file unreadable: never skipped.
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
}

impl Numbering {
    pub fn new(path: &str) -> Numbering {
        Numbering {
            path: path.to_owned(),
            lines_before: 0,
            errors: Vec::new(),
            count: 0,
            ended: false,
        }
    }

    pub fn chunk(&mut self, chunk: &ParsedChunk) {
        if self.ended {
            return;
        }
        let base = self.lines_before + chunk.reader_lines_before;
        self.lines_before += chunk.output.lines;
        for error in &chunk.output.bad_lines {
            let line = base + error.line.unwrap_or(0);
            self.errors
                .push(error.clone().with_line(line).with_path(&self.path));
        }
        self.count += chunk.output.bad_line_count;
        if let Some(fatal) = &chunk.output.fatal {
            self.errors.push(fatal.clone().with_path(&self.path));
            self.count += 1;
            self.ended = true;
        }
    }

    /// The reader's own error, once every chunk of the file has been seen. Must follow the
    /// file's last chunk before its errors are taken: it may replace that chunk's last error.
    pub fn end(&mut self, reader_error: Option<&ReaderError>) {
        let Some(reader_error) = reader_error.filter(|_| !self.ended) else {
            return;
        };
        self.ended = true;
        let mut line = self.lines_before + reader_error.reader_lines;
        if reader_error.error.kind == ErrorKind::Truncated {
            // The stream ended inside or right after the last line read.
            line -= 1;
            if self.errors.last().is_some_and(|e| e.line >= Some(line)) {
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
    columns: Vec<(String, DataType, String)>,
    shapes: Vec<Option<json::Shape>>,
    /// Per log type: the keys seen, and a file that has it.
    log_types: Vec<(String, Vec<String>, String)>,
}

impl DynamicColumns {
    pub fn add(&mut self, path: &str, chunk: &ParsedChunk) -> Result<()> {
        let output = &chunk.output;
        if let Some(log_type) = chunk.block.json.as_ref().and_then(|j| j.log_type.clone()) {
            let at = match self.log_types.iter().position(|(t, _, _)| *t == log_type) {
                Some(at) => at,
                None => {
                    self.log_types.push((log_type, Vec::new(), path.to_owned()));
                    self.log_types.len() - 1
                }
            };
            let seen = &mut self.log_types[at].1;
            for (name, _) in &output.named {
                if !seen.contains(name) {
                    seen.push(name.clone());
                }
            }
        }
        for (name, column) in &output.named {
            let shape = match column {
                NamedColumn::Inferred(inferred) => Some(inferred.shape.clone()),
                NamedColumn::Typed(_) => None,
            };
            match self.columns.iter().position(|(n, _, _)| n == name) {
                None => {
                    self.columns
                        .push((name.clone(), column.data_type(), path.to_owned()));
                    self.shapes.push(shape);
                }
                Some(at) => match (&self.shapes[at], shape) {
                    (Some(known), Some(shape)) => {
                        let joined = known.join(&shape);
                        self.columns[at].1 = joined.arrow_type();
                        self.shapes[at] = Some(joined);
                    }
                    (None, None) if self.columns[at].1 == column.data_type() => {}
                    _ => {
                        return Err(Error::schema(format!(
                            "column {name:?} is {} in {} but {} in a later chunk",
                            self.columns[at].1,
                            self.columns[at].2,
                            column.data_type()
                        ))
                        .with_path(path))
                    }
                },
            }
        }
        Ok(())
    }

    /// The columns in order: for each log type, the fields of the built-in schema that fits
    /// the keys seen (the smallest that has them all, the newest on a tie) in its order,
    /// then the other keys as first seen.
    fn finished(&self, rename_underscore: bool) -> Vec<(String, DataType, String)> {
        let mut out: Vec<(String, DataType, String)> = Vec::new();
        for (log_type, seen, path) in &self.log_types {
            let schemas: Vec<_> = builtin_schemas()
                .into_iter()
                .filter(|s| s.log_type == log_type.as_str())
                .collect();
            let renamed = |field: &str| output_name(field, rename_underscore);
            let known = |name: &String| {
                schemas
                    .iter()
                    .any(|s| s.fields.iter().any(|f| renamed(f) == *name))
            };
            let fitting = schemas
                .iter()
                .filter(|s| {
                    seen.iter()
                        .filter(|name| known(name))
                        .all(|name| s.fields.iter().any(|f| renamed(f) == *name))
                })
                .min_by_key(|s| s.fields.len());
            let Some(schema) = fitting else { continue };
            for (field, zeek_type) in schema.fields.iter().zip(&schema.types) {
                let name = renamed(field);
                if out.iter().any(|(n, _, _)| *n == name) {
                    continue;
                }
                let column = self.columns.iter().find(|(n, _, _)| *n == name);
                out.push(match column {
                    Some(column) => column.clone(),
                    None => (name, ZeekType::parse(zeek_type).arrow_type(), path.clone()),
                });
            }
        }
        for column in &self.columns {
            if !out.iter().any(|(n, _, _)| *n == column.0) {
                out.push(column.clone());
            }
        }
        out
    }
}

/// The output columns: the requested ones in the requested order, or every column of every
/// block in first-seen order. A name with two different types is an error.
pub(crate) fn unify(
    blocks: &[(&str, &Block)],
    dynamic: &DynamicColumns,
    options: &ReadOptions,
) -> Result<SchemaRef> {
    let mut columns: Vec<(String, DataType, String)> = Vec::new();
    let block_columns = blocks.iter().flat_map(|(path, block)| {
        block
            .selected()
            .map(move |field| (*path, &block.names[field], block.types[field].arrow_type()))
    });
    let finished = dynamic.finished(options.rename_underscore);
    let json_columns = finished
        .iter()
        .map(|(name, data_type, path)| (path.as_str(), name, data_type.clone()));
    for (path, name, data_type) in block_columns.chain(json_columns) {
        match columns.iter().find(|(n, _, _)| n == name) {
            Some((_, existing, first_path)) if *existing != data_type => {
                return Err(Error::schema(format!(
                    "column {name:?} is {} in {first_path} but {} in a later header block",
                    existing, data_type
                ))
                .with_path(path));
            }
            Some(_) => {}
            None => columns.push((name.clone(), data_type, path.to_owned())),
        }
    }
    if options.pushdown.mime.is_some() && !columns.iter().any(|(n, _, _)| n == MIME_CATEGORY) {
        columns.push((
            MIME_CATEGORY.to_owned(),
            MimeCategories::data_type(),
            String::new(),
        ));
    }
    if let Some(name) = &options.include_file_paths {
        if let Some((_, _, path)) = columns.iter().find(|(n, _, _)| n == name) {
            return Err(Error::schema(format!(
                "include_file_paths={name:?} is already a column of the log; choose another name"
            ))
            .with_path(path));
        }
        columns.push((name.clone(), DataType::Utf8View, String::new()));
    }
    if let Some(wanted) = options.wanted() {
        let mut ordered = Vec::with_capacity(wanted.len());
        for name in &wanted {
            match columns.iter().find(|(n, _, _)| n == name) {
                Some(column) => ordered.push(column.clone()),
                None => {
                    let available: Vec<&str> = blocks
                        .iter()
                        .flat_map(|(_, b)| b.names.iter().map(String::as_str))
                        .collect();
                    return Err(Error::schema(format!(
                        "column {name:?} is not in the log; its columns are: {}",
                        dedup(available).join(", ")
                    )));
                }
            }
        }
        columns = ordered;
    }
    let fields: Vec<Field> = columns
        .into_iter()
        .map(|(name, data_type, _)| Field::new(name, data_type, true))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Whether every column of a parsed chunk is in `schema`, with a type that holds it.
pub(crate) fn fits(chunk: &ParsedChunk, schema: &Schema) -> bool {
    let block = &chunk.block;
    let header_columns = block.selected().all(|field| {
        schema
            .field_with_name(&block.names[field])
            .is_ok_and(|f| *f.data_type() == block.types[field].arrow_type())
    });
    let json_columns = chunk.output.named.iter().all(|(name, column)| {
        schema.field_with_name(name).is_ok_and(|f| match column {
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
        let chunk_size = if every_block {
            options.chunk_size
        } else {
            64 << 10
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
            chunk_size,
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
    let mut seen = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
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
    let selected: Vec<usize> = block.selected().collect();
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
            selected
                .iter()
                .position(|&f| block.names[f] == *field.name())
                .map(|slot| chunk.output.columns[slot].clone())
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
    let summary = read_chunks(path, 64 << 10, &buffers, &mut factory, &mut |_| false, None)?;
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
            crate::stream::StreamEnd::Done { rows, skipped } => {
                let counted: usize = sink.batches.iter().map(RecordBatch::num_rows).sum();
                assert_eq!(rows, counted as u64);
                Ok(ReadOutput {
                    schema,
                    batches: sink.batches,
                    skipped_count: skipped.count,
                    skipped: skipped.first,
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
