//! One file read into parsed chunks: serially, or with chunks parsed in parallel while a
//! reader thread splits the stream, stopping early for `n_rows`, Ctrl-C or memory.

use super::ReadOptions;
use crate::columns::{Block, ChunkOutput};
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use crate::json::{self};
use crate::pushdown::FileSampler;
use crate::source::{read_chunks, BufferPool, DataChunk, StreamSummary};
use crate::tsv::{parse_chunk, release_thread_memory};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, PoisonError};

/// One parsed chunk with what is needed to number its lines.
pub(crate) struct ParsedChunk {
    seq: usize,
    pub block: Arc<Block>,
    pub(super) reader_lines_before: u64,
    pub output: ChunkOutput,
    /// A JSON chunk's text, kept under `n_rows`: the chunk where the limit falls is parsed
    /// again up to its last row, so that only the lines read type the columns.
    text: Option<(u64, Vec<u8>)>,
    /// Where the chunk starts in the decompressed stream.
    offset: u64,
}

pub(super) struct FileResult {
    pub(super) path: String,
    pub(super) summary: StreamSummary<Arc<Block>>,
    pub(super) chunks: Vec<ParsedChunk>,
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
    // The text a JSON chunk may be parsed again from, copied before the check below.
    let text =
        (chunk.block.json.is_some() && options.n_rows.is_some()).then(|| chunk.data.to_vec());
    // Checked after the bytes were read: a file that shrank meanwhile may have given zeros
    // for the bytes it lost (see `MappedFile`).
    let output = if chunk.data.cut() {
        ChunkOutput::failed(crate::source::cut_while_read())
    } else {
        output
    };
    buffers.give(chunk.data);
    let text = text.map(|text| (chunk.offset, text));
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
    /// A parsed chunk of a stream without header blocks, after `reader_lines_before` lines
    /// the reader consumed itself.
    #[cfg(test)]
    pub(super) fn for_tests(reader_lines_before: u64, output: ChunkOutput) -> ParsedChunk {
        ParsedChunk {
            seq: 0,
            block: Arc::new(Block {
                json: None,
                markers: crate::format::header::Markers::default(),
                log_path: None,
                names: Vec::new(),
                types: Vec::new(),
                type_names: Vec::new(),
                slots: Vec::new(),
            }),
            reader_lines_before,
            output,
            text: None,
            offset: 0,
        }
    }

    /// Where the line of the chunk's last row ends in the stream, under `n_rows`.
    pub(super) fn rows_end(&self) -> Option<u64> {
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
/// is mapped in (`columns::memory`).
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
pub(super) fn read_file_serial(path: &str, options: &ReadOptions) -> Result<FileResult> {
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

/// Parser threads, kept from one read to the next: one pool per thread count asked for (the
/// last few), so a read starts no threads and no thread ends while a read runs. Kept with
/// the process id that made them: a process forked after a read has none of the threads.
static POOLS: Mutex<(u32, Vec<Arc<rayon::ThreadPool>>)> = Mutex::new((0, Vec::new()));
const POOLS_KEPT: usize = 4;

/// The thread pool of one read. When the read is over, each worker lets go of its parse
/// memory (delimiter tables, its hold on a column region), so the pool keeps threads, not
/// memory, between reads.
pub(crate) struct Workers(Arc<rayon::ThreadPool>);

impl Workers {
    pub(crate) fn new(threads: usize) -> Result<Workers> {
        let mut guard = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
        let (pid, pools) = &mut *guard;
        if *pid != std::process::id() {
            // In a forked child the pools' threads do not exist: dropping the pools would
            // wait on them, so they are forgotten.
            std::mem::forget(std::mem::take(pools));
            *pid = std::process::id();
        }
        if let Some(pool) = pools.iter().find(|p| p.current_num_threads() == threads) {
            return Ok(Workers(pool.clone()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("zeekframe-{i}"))
            .build()
            .map_err(|e| Error::new(ErrorKind::Io(std::io::ErrorKind::Other), e.to_string()))?;
        let pool = Arc::new(pool);
        if pools.len() == POOLS_KEPT {
            // Its threads end once no read uses it any more.
            pools.remove(0);
        }
        pools.push(pool.clone());
        Ok(Workers(pool))
    }
}

impl std::ops::Deref for Workers {
    type Target = rayon::ThreadPool;

    fn deref(&self) -> &rayon::ThreadPool {
        &self.0
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Queued, not waited for: a worker busy with another read releases after it.
        self.0.spawn_broadcast(|_| release_thread_memory());
    }
}

/// Read one file with `threads` parsers while this thread reads and decompresses.
pub(super) fn read_file_parallel(
    path: &str,
    options: &ReadOptions,
    threads: usize,
) -> Result<FileResult> {
    let pool = Workers::new(threads)?;
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
