//! Reading logs as a stream of batches in file order, with a bounded amount of work in flight,
//! for outputs larger than memory (such as a Parquet conversion of a 22M-row conn.log).
//!
//! One thread reads and decompresses the files one after another, parser threads turn chunks
//! into columns, and the calling thread hands the batches to a sink in file order. A fixed
//! number of tokens bounds the chunks between the reader and the sink: the reader takes one
//! per chunk and the sink gives it back once the chunk is written, so a slow sink slows the
//! reader instead of piling up parsed chunks.

use crate::columns::Block;
use crate::error::{Error, Result};
use crate::format::header::HeaderState;
use crate::reader::{chunk_batch, fits, parse, Numbering, ParsedChunk, ReadOptions, Skipped};
use crate::source::{read_chunks, BufferPool, DataChunk, StreamSummary};
use crate::tsv::release_thread_memory;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

/// How far a stream has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read from the files themselves (compressed bytes for compressed files).
    pub bytes_read: u64,
    /// Rows handed to the sink.
    pub rows: u64,
}

/// Where a stream's batches go, in file order.
pub trait BatchSink {
    fn batch(&mut self, batch: RecordBatch) -> Result<()>;

    /// Called after every chunk, with or without rows; an error stops the stream.
    fn progress(&mut self, _progress: Progress) -> Result<()> {
        Ok(())
    }
}

/// How a stream ended.
#[derive(Debug)]
pub enum StreamEnd {
    Done {
        rows: u64,
        skipped: Skipped,
        /// Files whose last line has no line end and was read like the others, with its line.
        unterminated: Vec<(String, u64)>,
    },
    /// A header block has a column that is not in the schema, or a different type for one:
    /// the caller must find the schema of every block (`layout_schema(.., true)`) and start
    /// again. What the sink got so far matches the old schema only.
    SchemaGrew,
}

struct Work {
    seq: u64,
    chunk: DataChunk<Arc<Block>>,
    path: usize,
}

enum Item {
    Parsed(ParsedChunk),
    FileEnd(StreamSummary<Arc<Block>>),
    Failed(Error),
}

/// Read `paths` in order into `sink`, every batch with exactly `schema` (columns a block does
/// not have are null). Honours the options' projection, pushdown, `n_rows` and bad-line
/// policy, with the same rows and errors as `read_files`.
pub fn stream_files(
    paths: &[String],
    options: &ReadOptions,
    schema: &SchemaRef,
    sink: &mut dyn BatchSink,
) -> Result<StreamEnd> {
    let threads = options.n_threads.max(1);
    let tokens = threads * 2 + 2;
    let (token_sender, token_receiver) = sync_channel::<()>(tokens);
    for _ in 0..tokens {
        // The channel holds exactly `tokens` items, so these sends never block or fail.
        let _ = token_sender.send(());
    }
    let (work_sender, work_receiver) = sync_channel::<Work>(tokens);
    let work_receiver = Mutex::new(work_receiver);
    let (item_sender, item_receiver) = channel::<(u64, Item)>();
    let stop = AtomicBool::new(false);
    let consumed = Arc::new(AtomicU64::new(0));
    let buffers = BufferPool::default();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let items = item_sender.clone();
            let (work_receiver, buffers) = (&work_receiver, &buffers);
            scope.spawn(move || {
                parse_work(paths, options, work_receiver, &items, buffers);
                release_thread_memory();
            });
        }
        let (stop, consumed, buffers) = (&stop, &consumed, &buffers);
        scope.spawn(move || {
            read_work(
                paths,
                options,
                (stop, consumed, buffers),
                &token_receiver,
                &work_sender,
                &item_sender,
            );
        });
        let mut emitter = Emitter {
            paths,
            options,
            schema,
            sink,
            consumed,
            numbering: paths.first().map(|p| Numbering::new(p)),
            file: 0,
            pending: None,
            rows: 0,
            skipped: Skipped::default(),
            unterminated: Vec::new(),
        };
        let end = emitter.run(&item_receiver, &token_sender);
        // Whatever happened, let the reader and the parsers finish before the scope joins them.
        stop.store(true, Ordering::Relaxed);
        drop(token_sender);
        drop(item_receiver);
        end
    })
}

/// The reader thread: chunks to the parsers, each after taking a token, and every file's end
/// (or failure) straight to the sink's queue, numbered in the same sequence.
fn read_work(
    paths: &[String],
    options: &ReadOptions,
    (stop, consumed, buffers): (&AtomicBool, &Arc<AtomicU64>, &BufferPool),
    tokens: &Receiver<()>,
    work: &std::sync::mpsc::SyncSender<Work>,
    items: &Sender<(u64, Item)>,
) {
    let mut seq = 0u64;
    // `seq` numbers the chunks sent inside the loop as well as each file's end.
    #[allow(clippy::explicit_counter_loop)]
    for (index, path) in paths.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let mut factory =
            |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
        let mut emit = |chunk: DataChunk<Arc<Block>>| {
            if stop.load(Ordering::Relaxed) || tokens.recv().is_err() {
                return false;
            }
            seq += 1;
            work.send(Work {
                seq: seq - 1,
                chunk,
                path: index,
            })
            .is_ok()
        };
        let result = read_chunks(
            path,
            &options.chunking(),
            buffers,
            &mut factory,
            &mut emit,
            Some(consumed),
        );
        let item = match result {
            Ok(summary) => Item::FileEnd(summary),
            Err(error) => Item::Failed(error.with_path(path)),
        };
        let failed = matches!(item, Item::Failed(_));
        if items.send((seq, item)).is_err() || failed {
            return;
        }
        seq += 1;
    }
}

/// A parser thread. A parser that panics reports it as the chunk's item, so the stream ends
/// with an error instead of waiting for that chunk forever.
fn parse_work(
    paths: &[String],
    options: &ReadOptions,
    work: &Mutex<Receiver<Work>>,
    items: &Sender<(u64, Item)>,
    buffers: &BufferPool,
) {
    loop {
        let next = work.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(Work { seq, chunk, path }) = next else {
            return;
        };
        let sampler = options.pushdown.sample.map(|s| s.for_file(&paths[path]));
        let item = match catch_unwind(AssertUnwindSafe(|| parse(chunk, sampler, options, buffers)))
        {
            Ok(parsed) => Item::Parsed(parsed),
            Err(panic) => Item::Failed(Error::from_panic(panic.as_ref()).with_path(&paths[path])),
        };
        if items.send((seq, item)).is_err() {
            return;
        }
    }
}

/// The calling thread's side: items back into file order, errors numbered and checked, batches
/// to the sink. A file's last chunk is held back until the file's end is known, because a
/// truncated stream replaces that chunk's last error.
struct Emitter<'a> {
    paths: &'a [String],
    options: &'a ReadOptions,
    schema: &'a SchemaRef,
    sink: &'a mut dyn BatchSink,
    consumed: &'a AtomicU64,
    numbering: Option<Numbering>,
    file: usize,
    pending: Option<ParsedChunk>,
    rows: u64,
    skipped: Skipped,
    unterminated: Vec<(String, u64)>,
}

enum Next {
    Continue,
    Finished,
    SchemaGrew,
}

impl Emitter<'_> {
    fn run(
        &mut self,
        items: &Receiver<(u64, Item)>,
        tokens: &std::sync::mpsc::SyncSender<()>,
    ) -> Result<StreamEnd> {
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        for (seq, item) in items {
            self.options.cancel.check()?;
            waiting.insert(seq, item);
            while let Some(item) = waiting.remove(&next) {
                next += 1;
                let step = match item {
                    Item::Parsed(chunk) => match self.pending.replace(chunk) {
                        Some(previous) => {
                            let step = self.emit(previous, false)?;
                            // Its token goes back only now: the chunk is out of memory.
                            let _ = tokens.send(());
                            step
                        }
                        None => Next::Continue,
                    },
                    Item::FileEnd(summary) => {
                        let last_bad = self
                            .pending
                            .as_ref()
                            .is_some_and(|c| c.output.last_line_bad);
                        let step = match self.pending.take() {
                            Some(last) => {
                                let step = self.emit(last, true)?;
                                let _ = tokens.send(());
                                step
                            }
                            None => Next::Continue,
                        };
                        if let Next::SchemaGrew = step {
                            return Ok(StreamEnd::SchemaGrew);
                        }
                        let limit_reached = self.limit_reached();
                        if let Some(numbering) = &mut self.numbering {
                            // Past `n_rows`, the end of the file is not looked at.
                            if !limit_reached {
                                numbering.end(summary.error.as_ref());
                                if summary.unterminated && !last_bad {
                                    let path = self.paths[self.file].clone();
                                    let line = numbering.last_line(&summary);
                                    self.unterminated.push((path, line));
                                }
                            }
                            self.skipped
                                .absorb(numbering, self.options.skip_bad_lines)?;
                        }
                        self.file += 1;
                        self.numbering = self.paths.get(self.file).map(|p| Numbering::new(p));
                        step
                    }
                    Item::Failed(error) => return Err(error),
                };
                match step {
                    Next::Continue => {}
                    Next::Finished => return Ok(self.done()),
                    Next::SchemaGrew => return Ok(StreamEnd::SchemaGrew),
                }
            }
        }
        Ok(self.done())
    }

    fn limit_reached(&self) -> bool {
        self.options.n_rows.is_some_and(|n| self.rows >= n as u64)
    }

    fn done(&mut self) -> StreamEnd {
        StreamEnd::Done {
            rows: self.rows,
            skipped: std::mem::take(&mut self.skipped),
            unterminated: std::mem::take(&mut self.unterminated),
        }
    }

    /// Write one chunk. The errors of a file's `last` chunk are checked at the file's end.
    fn emit(&mut self, mut chunk: ParsedChunk, last: bool) -> Result<Next> {
        if self.limit_reached() {
            // Lines after the first `n_rows` rows are not looked at, errors included.
            return Ok(Next::Finished);
        }
        if self.numbering.as_ref().is_some_and(Numbering::ended) {
            // A fatal error ended the file: nothing after it is read, even if a parser had
            // it already.
            return Ok(Next::Continue);
        }
        let remaining = self.options.n_rows.map(|n| n as u64 - self.rows);
        let bad_lines = chunk.bad_lines_within(remaining.map(|r| r as usize));
        if let Some(numbering) = &mut self.numbering {
            numbering.chunk(&chunk, bad_lines);
            if !last {
                self.skipped
                    .absorb(numbering, self.options.skip_bad_lines)?;
            }
        }
        if bad_lines > 0 && !self.options.skip_bad_lines {
            // The chunk stopped at its bad line; the error is raised at the file's end.
            return Ok(Next::Continue);
        }
        if let Some(remaining) = remaining.filter(|&r| (r as usize) < chunk.output.rows) {
            let path = &self.paths[self.file];
            let sampler = self.options.pushdown.sample.map(|s| s.for_file(path));
            chunk.cut(remaining as usize, sampler, self.options);
        }
        if chunk.output.rows > 0 && remaining != Some(0) {
            if !fits(&chunk, self.schema) {
                return Ok(Next::SchemaGrew);
            }
            let path = &self.paths[self.file];
            let mut batch = chunk_batch(&chunk, self.schema, path, self.options)?;
            if let Some(remaining) = remaining {
                batch = batch.slice(0, batch.num_rows().min(remaining as usize));
            }
            self.rows += batch.num_rows() as u64;
            self.sink.batch(batch)?;
        }
        self.sink.progress(Progress {
            bytes_read: self.consumed.load(Ordering::Relaxed),
            rows: self.rows,
        })?;
        Ok(if self.limit_reached() {
            Next::Finished
        } else {
            Next::Continue
        })
    }
}
