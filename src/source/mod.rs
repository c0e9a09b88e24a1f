//! Opening logs and cutting them into chunks of whole lines for the parsers.
//!
//! A log is read sequentially (decompressing on the way) and cut into chunks of about
//! `chunk_size` bytes that end at a line end. Header lines (`#...` at the start of a line) are
//! handled here, in file order, so each data chunk carries the header block it belongs to and
//! the parsers never see metadata. Line numbers are not counted here: each chunk knows how
//! many lines the reader consumed before it, and the parsers count the chunk's own lines.

use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// How a file's bytes are stored, detected from its first bytes (never from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const FILE_BUFFER: usize = 1 << 20;

pub fn detect(first_bytes: &[u8]) -> Compression {
    if first_bytes.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else if first_bytes.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// A file that counts the bytes read from it (before decompression), for progress reports.
struct Counted {
    file: File,
    count: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open `path` and decompress it on the fly if needed. Gzip streams may have several members
/// (concatenated rotated logs), and zstd streams several frames; both are read to the end.
/// `consumed`, if given, counts the bytes read from a compressed file; for a plain file, the
/// bytes read are the bytes the caller gets, so the caller counts them.
pub fn open(
    path: &str,
    consumed: Option<&Arc<AtomicU64>>,
) -> Result<(Box<dyn Read + Send>, Compression)> {
    let mut file = File::open(path).map_err(|e| Error::io(&e, path))?;
    let mut magic = Vec::with_capacity(ZSTD_MAGIC.len());
    (&mut file)
        .take(ZSTD_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(|e| Error::io(&e, path))?;
    let compression = detect(&magic);
    // A plain log is read straight into the chunk buffers by the file itself, which neither
    // copies through a buffer nor zero-fills memory it is about to overwrite. A pipe cannot
    // go back: its first bytes are put back in front instead.
    if compression == Compression::None {
        if file.rewind().is_ok() {
            return Ok((Box::new(file), compression));
        }
        return Ok((
            Box::new(std::io::Cursor::new(magic).chain(file)),
            compression,
        ));
    }
    let count = consumed.cloned().unwrap_or_default();
    count.fetch_add(magic.len() as u64, Ordering::Relaxed);
    let file = std::io::Cursor::new(magic).chain(Counted { file, count });
    let file = BufReader::with_capacity(FILE_BUFFER, file);
    let stream: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        _ => Box::new(
            zstd::stream::read::Decoder::with_buffer(file).map_err(|e| Error::io(&e, path))?,
        ),
    };
    Ok((stream, compression))
}

/// The `#path` of a log's first header block (its log type), or a JSON log's `_path`,
/// reading no further than the header or the first line; `None` for a log without one.
pub fn peek_log_path(path: &str) -> Result<Option<String>> {
    const LIMIT: u64 = 64 << 10;
    let (stream, _) = open(path, None)?;
    let mut head = Vec::new();
    stream
        .take(LIMIT)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(&e, path))?;
    let mut header = HeaderState::default();
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"{") {
            // A JSON log names its log type in each line's `_path`.
            return Ok(crate::json::path_of(line));
        }
        if !line.starts_with(b"#") {
            break;
        }
        header.apply(line).map_err(|e| e.with_path(path))?;
        if header.path.is_some() {
            break;
        }
    }
    Ok(header.path)
}

/// Chunk buffers handed back by the parsers once a chunk is parsed, so the reader refills
/// memory that is already mapped and warm instead of asking the kernel for fresh pages.
#[derive(Debug, Default)]
pub struct BufferPool(Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// An empty buffer with at least `capacity` bytes of room.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let recycled = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match recycled {
            Some(mut buffer) => {
                buffer.clear();
                buffer.reserve_exact(capacity);
                buffer
            }
            None => Vec::with_capacity(capacity),
        }
    }

    pub fn give(&self, buffer: Vec<u8>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buffer);
    }
}

/// A run of whole data lines under one header block.
#[derive(Debug)]
pub struct DataChunk<B> {
    /// Position among the file's chunks.
    pub seq: usize,
    /// The header block the lines belong to (also the newest entry of the stream's blocks).
    pub block: B,
    pub data: Vec<u8>,
    /// Where `data` starts in the decompressed stream: a line's position that does not
    /// depend on how the stream was cut into chunks.
    pub offset: u64,
    /// Lines the reader consumed itself (header and blank lines) before this chunk.
    pub reader_lines_before: u64,
}

/// An error found by the reader, placed so the caller can number its line once it knows how
/// many lines the chunks before it held.
#[derive(Debug)]
pub struct ReaderError {
    pub chunks_before: usize,
    /// The reader's own lines up to and including the offending one.
    pub reader_lines: u64,
    pub error: Error,
}

pub struct StreamSummary<B> {
    pub blocks: Vec<B>,
    pub chunks: usize,
    /// A fatal error, after which nothing more was read.
    pub error: Option<ReaderError>,
}

/// Builds a block from the header seen so far. `first_line` is the first data line under it,
/// if any (a log without a header is laid out from its first line's field count).
pub trait BlockFactory<B> {
    fn block(&mut self, header: &HeaderState, first_line: Option<&[u8]>) -> Result<B>;
}

impl<B, F: FnMut(&HeaderState, Option<&[u8]>) -> Result<B>> BlockFactory<B> for F {
    fn block(&mut self, header: &HeaderState, first_line: Option<&[u8]>) -> Result<B> {
        self(header, first_line)
    }
}

struct Splitter<'f, B, F> {
    factory: &'f mut F,
    header: HeaderState,
    blocks: Vec<B>,
    /// Whether the newest entry of `blocks` still describes `header`.
    block_current: bool,
    seq: usize,
    reader_lines: u64,
    /// Offset in the decompressed stream of the buffer being split.
    offset: u64,
}

impl<B: Clone, F: BlockFactory<B>> Splitter<'_, B, F> {
    fn fail(&self, error: Error) -> ReaderError {
        ReaderError {
            chunks_before: self.seq,
            reader_lines: self.reader_lines,
            error,
        }
    }

    /// Split a run of whole lines into header lines (applied here) and data chunks (passed to
    /// `emit`). Returns false when `emit` asks to stop.
    fn split(
        &mut self,
        buffer: Vec<u8>,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        let has_header_line = next_header_line(&buffer, 0).is_some();
        let buffer_offset = self.offset;
        self.offset += buffer.len() as u64;
        if !has_header_line {
            return self.data(buffer, buffer_offset, emit);
        }
        let mut pos = 0;
        while pos < buffer.len() {
            if buffer[pos] == b'#' {
                let end = memchr::memchr(b'\n', &buffer[pos..]).map_or(buffer.len(), |i| pos + i);
                let line = &buffer[pos..end];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                self.reader_lines += 1;
                self.header.apply(line).map_err(|e| self.fail(e))?;
                if self.header.changed {
                    self.block_current = false;
                }
                pos = end + 1;
                continue;
            }
            let end = next_header_line(&buffer, pos).unwrap_or(buffer.len());
            if !self.data(buffer[pos..end].to_vec(), buffer_offset + pos as u64, emit)? {
                return Ok(false);
            }
            pos = end;
        }
        Ok(true)
    }

    fn data(
        &mut self,
        data: Vec<u8>,
        offset: u64,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        let Some(first_line) = first_non_blank_line(&data) else {
            // Only blank lines: nothing to parse, but they still count as lines.
            self.reader_lines += memchr::memchr_iter(b'\n', &data).count() as u64;
            return Ok(true);
        };
        if !self.block_current {
            self.header.changed = false;
            let block = self
                .factory
                .block(&self.header, Some(first_line))
                .map_err(|e| {
                    let blank_lines =
                        memchr::memchr_iter(b'\n', &data[..first_line_start(&data)]).count() as u64;
                    ReaderError {
                        chunks_before: self.seq,
                        reader_lines: self.reader_lines + blank_lines + 1,
                        error: e,
                    }
                })?;
            self.blocks.push(block);
            self.block_current = true;
        }
        let Some(block) = self.blocks.last() else {
            return Ok(true);
        };
        let chunk = DataChunk {
            seq: self.seq,
            block: block.clone(),
            data,
            offset,
            reader_lines_before: self.reader_lines,
        };
        self.seq += 1;
        Ok(emit(chunk))
    }

    /// The stream broke off after the last line read, which may itself be cut short.
    fn stream_error(&self, error: Error) -> ReaderError {
        ReaderError {
            chunks_before: self.seq,
            reader_lines: self.reader_lines + 1,
            error,
        }
    }

    fn summary(self, error: Option<ReaderError>) -> StreamSummary<B> {
        StreamSummary {
            blocks: self.blocks,
            chunks: self.seq,
            error,
        }
    }

    /// A header block with no data lines still names its columns.
    fn finish(&mut self) -> std::result::Result<(), ReaderError> {
        if !self.block_current && self.header.fields.is_some() {
            let block = self
                .factory
                .block(&self.header, None)
                .map_err(|e| self.fail(e))?;
            self.blocks.push(block);
            self.block_current = true;
        }
        Ok(())
    }
}

/// The start of the first line at or after `from` (itself a line start) that begins with
/// `#`. A `#` is rare in Zeek data (and never starts a data line, where Zeek escapes it), so
/// a plain byte search, checked against the byte before, is the fastest way to find one.
fn next_header_line(buffer: &[u8], from: usize) -> Option<usize> {
    memchr::memchr_iter(b'#', &buffer[from..])
        .map(|i| from + i)
        .find(|&at| at == from || buffer[at - 1] == b'\n')
}

fn first_line_start(data: &[u8]) -> usize {
    data.iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .unwrap_or(data.len())
}

fn first_non_blank_line(data: &[u8]) -> Option<&[u8]> {
    let start = first_line_start(data);
    if start == data.len() {
        return None;
    }
    let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    let line = &data[start..end];
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// Read `path` to the end (or until `emit` returns false), cutting it into chunks of about
/// `chunk_size` bytes of whole lines. `consumed`, if given, counts the file's bytes read.
pub fn read_chunks<B: Clone, F: BlockFactory<B>>(
    path: &str,
    chunk_size: usize,
    buffers: &BufferPool,
    factory: &mut F,
    emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    consumed: Option<&Arc<AtomicU64>>,
) -> Result<StreamSummary<B>> {
    let (mut stream, compression) = open(path, consumed)?;
    let mut splitter = Splitter {
        factory,
        header: HeaderState::default(),
        blocks: Vec::new(),
        block_current: false,
        seq: 0,
        reader_lines: 0,
        offset: 0,
    };
    let mut carry: Vec<u8> = Vec::new();
    let mut stream_error = None;
    loop {
        let mut buffer = buffers.take(chunk_size.max(carry.len() * 2) + 1024);
        buffer.append(&mut carry);
        let wanted = buffer.capacity() - buffer.len();
        let at_end = match (&mut stream).take(wanted as u64).read_to_end(&mut buffer) {
            Ok(0) => true,
            Ok(n) => {
                if let (Some(consumed), Compression::None) = (consumed, compression) {
                    consumed.fetch_add(n as u64, Ordering::Relaxed);
                }
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => false,
            Err(e) if compression == Compression::None => return Err(Error::io(&e, path)),
            Err(e) => {
                // What was decompressed before the damage is in `buffer` and still parsed.
                let format = if compression == Compression::Gzip {
                    "gzip"
                } else {
                    "zstd"
                };
                stream_error = Some(Error::new(
                    ErrorKind::Truncated,
                    format!("the {format} stream ends early, at or after this line ({e})"),
                ));
                true
            }
        };
        if !at_end {
            match memchr::memrchr(b'\n', &buffer) {
                Some(last) => {
                    carry.extend_from_slice(&buffer[last + 1..]);
                    buffer.truncate(last + 1);
                }
                None => {
                    // One line longer than a chunk: keep reading until it ends.
                    carry = buffer;
                    continue;
                }
            }
        }
        if !buffer.is_empty() {
            match splitter.split(buffer, emit) {
                Ok(true) => {}
                // Told to stop at the last chunk of a damaged stream: the damage is still said.
                Ok(false) => {
                    let error = stream_error.map(|error| splitter.stream_error(error));
                    return Ok(splitter.summary(error));
                }
                Err(error) => return Ok(splitter.summary(Some(error))),
            }
        }
        if at_end {
            break;
        }
    }
    if let Err(error) = splitter.finish() {
        return Ok(splitter.summary(Some(error)));
    }
    let error = stream_error.map(|error| splitter.stream_error(error));
    Ok(splitter.summary(error))
}
