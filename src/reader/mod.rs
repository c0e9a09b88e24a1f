//! Reading whole logs: files in parallel, a large file's chunks in parallel, header blocks
//! unified by column name, bad lines raised or skipped, rows in file order.

mod files;
mod layout;
mod numbering;
mod unify;

#[cfg(test)]
mod tests;

pub(crate) use files::{parse, ParsedChunk, Workers};
use files::{read_file_parallel, read_file_serial, FileResult};
pub use layout::{layout_schema, read_layout};
pub(crate) use numbering::Numbering;
pub use numbering::Skipped;
pub(crate) use unify::{chunk_batch, fits, unify, DynamicColumns};

use crate::columns::Block;
use crate::error::{Error, Result};
use crate::pushdown::{ChunkPushdown, FileSampler, Pushdown, MIME_CATEGORY};
use crate::source::{
    default_map_min_bytes, ByteRange, Cancel, ChunkOptions, DEFAULT_MAX_LINE_BYTES,
};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use rayon::prelude::*;
use std::sync::Arc;

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
    /// Read only the lines that start in this part of a plain file (one path only).
    pub byte_range: Option<ByteRange>,
    /// Plain files with at least this many bytes to read are mapped into memory instead of
    /// read into buffers; `None` reads every file (see `ChunkOptions::map_min_bytes`).
    pub map_min_bytes: Option<u64>,
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
            byte_range: None,
            map_min_bytes: default_map_min_bytes(),
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
            range: self.byte_range,
            map_min_bytes: self.map_min_bytes,
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
}

/// Read `paths` (already expanded: no globs or directories) into one table.
pub fn read_files(paths: &[String], options: &ReadOptions) -> Result<ReadOutput> {
    let threads = options.n_threads.max(1);
    let files: Vec<Result<FileResult>> = if paths.len() == 1 && threads > 1 {
        vec![read_file_parallel(&paths[0], options, threads)]
    } else if threads > 1 {
        Workers::new(threads)?.install(|| {
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
            if chunk.output.fatal.is_some() {
                // Nothing after a fatal error is read, even if a parser had it already.
                break;
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
