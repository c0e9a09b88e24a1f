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
use std::io::{BufRead, BufReader, Read, Seek};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

mod mapped;
mod range;
pub use mapped::MappedFile;
pub use range::{plan_file, scan_range, ByteRange, FilePlan, RangeScan};

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
/// Written by some Windows tools in front of UTF-8 text; not part of the log.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";
/// The longest line read by default: far beyond any real log line, short of exhausting memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 30;
/// Recycled chunk buffers larger than this (those that held a giant line) are freed instead.
const MAX_POOLED_BUFFER: usize = 64 << 20;

/// Set by the caller to stop a read (Ctrl-C): the reader and the parsers look at it between
/// chunks and give up with `ErrorKind::Interrupted`.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    pub fn new(flag: Arc<AtomicBool>) -> Cancel {
        Cancel(Some(flag))
    }

    pub fn check(&self) -> Result<()> {
        match &self.0 {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(Error::new(
                ErrorKind::Interrupted,
                "the read was interrupted",
            )),
            _ => Ok(()),
        }
    }
}

/// How a stream is cut into chunks.
#[derive(Debug, Clone)]
pub struct ChunkOptions {
    pub chunk_size: usize,
    /// A line longer than this is a bad line, found while holding at most this much of it.
    pub max_line_bytes: usize,
    /// Data lines before this offset of the decompressed stream are left out (header lines
    /// before it are still read): where an earlier read of a growing log stopped. It must be
    /// the start of a line.
    pub start_offset: u64,
    /// Leave out a last line that has no line end (one still being written) instead of
    /// reading it.
    pub complete_lines_only: bool,
    /// Only the header is wanted: a stream that cannot be rewound keeps what is read of it
    /// for the next read.
    pub peek: bool,
    /// Read only the lines that start in this part of a plain file.
    pub range: Option<ByteRange>,
    /// A plain file with at least this many bytes to read is mapped into memory and its
    /// chunks are parts of the mapping (see [`MappedFile`]); a smaller one, and every file
    /// when `None`, is read into chunk buffers.
    pub map_min_bytes: Option<u64>,
    pub cancel: Cancel,
}

/// Below this size a file is read: mapping and unmapping cost more than copying it.
pub const DEFAULT_MAP_MIN_BYTES: u64 = 1 << 20;

/// What `ZEEKFRAME_MAP_MIN_BYTES` means: a number of bytes (plain files from that size are
/// mapped; spaces around it are allowed), or `off` in any case (no file is mapped). Anything
/// else is refused: the Python package raises it as a `ValueError` before it reads.
pub fn parse_map_setting(value: &str) -> std::result::Result<Option<u64>, String> {
    let setting = value.trim();
    if setting.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let digits = !setting.is_empty() && setting.bytes().all(|b| b.is_ascii_digit());
    match setting.parse::<u64>() {
        Ok(bytes) if digits => Ok(Some(bytes)),
        _ => Err(format!(
            "ZEEKFRAME_MAP_MIN_BYTES={value:?} is neither a number of bytes (plain files from \
             that size are read through a memory mapping) nor 'off' (no file is mapped)"
        )),
    }
}

/// The size from which plain files are mapped, once set or read: `None` inside means not
/// yet, `Some(None)` no mapping.
static MAP_MIN_BYTES: Mutex<Option<Option<u64>>> = Mutex::new(None);

/// Map plain files from `bytes` on (none with `None`), for every read that starts after
/// this. The Python package sets it from `ZEEKFRAME_MAP_MIN_BYTES` before each read, so a
/// change to the variable takes effect at the next read.
pub fn set_map_min_bytes(bytes: Option<u64>) {
    *MAP_MIN_BYTES.lock().unwrap_or_else(PoisonError::into_inner) = Some(bytes);
}

/// The size from which plain files are mapped: as last set, else `ZEEKFRAME_MAP_MIN_BYTES`
/// as it was at the first read of the process (Rust reads the environment once: another
/// thread may change it under a C library that does not guard it), else
/// [`DEFAULT_MAP_MIN_BYTES`], which a value [`parse_map_setting`] refuses also leaves.
pub fn default_map_min_bytes() -> Option<u64> {
    let mut setting = MAP_MIN_BYTES.lock().unwrap_or_else(PoisonError::into_inner);
    *setting.get_or_insert_with(|| match std::env::var("ZEEKFRAME_MAP_MIN_BYTES") {
        Ok(value) => parse_map_setting(&value).unwrap_or(Some(DEFAULT_MAP_MIN_BYTES)),
        Err(_) => Some(DEFAULT_MAP_MIN_BYTES),
    })
}

#[cfg(test)]
mod map_setting_tests {
    use super::parse_map_setting;

    #[test]
    fn the_mapping_setting_is_a_byte_count_or_off() {
        assert_eq!(parse_map_setting("0"), Ok(Some(0)));
        assert_eq!(parse_map_setting(" 1048576 "), Ok(Some(1 << 20)));
        assert_eq!(
            parse_map_setting("18446744073709551615"),
            Ok(Some(u64::MAX))
        );
        assert_eq!(parse_map_setting("OFF"), Ok(None));
        assert_eq!(parse_map_setting("off"), Ok(None));
        for bad in [
            "",
            "+5",
            "-1",
            "1M",
            "18446744073709551616",
            "١٢",
            "of",
            "0x10",
            "1 2",
        ] {
            let error = parse_map_setting(bad).expect_err(bad);
            assert!(error.starts_with("ZEEKFRAME_MAP_MIN_BYTES="), "{error}");
        }
    }
}

impl ChunkOptions {
    pub fn new(chunk_size: usize) -> ChunkOptions {
        ChunkOptions {
            chunk_size,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            start_offset: 0,
            complete_lines_only: false,
            peek: false,
            range: None,
            map_min_bytes: default_map_min_bytes(),
            cancel: Cancel::default(),
        }
    }

    /// Options for reading a header: small chunks, and a stream's bytes kept.
    pub fn peek(self) -> ChunkOptions {
        ChunkOptions {
            chunk_size: 64 << 10,
            peek: true,
            map_min_bytes: None,
            ..self
        }
    }
}

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
    file: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Streams that cannot be read twice (pipes, FIFOs, `/dev/stdin`), each with the bytes that a
/// look at its header took from it. A reader that needs the header before the data (a lazy
/// scan's schema, a filter's column types, `log_type=`) looks first; the next open of the same
/// path gets those bytes back in front of the rest, so the stream is read once and whole.
static REPLAYS: Mutex<Vec<(String, Replay)>> = Mutex::new(Vec::new());

struct Replay {
    head: Vec<u8>,
    rest: File,
}

fn take_replay(path: &str) -> Option<Replay> {
    let mut replays = REPLAYS.lock().unwrap_or_else(PoisonError::into_inner);
    let at = replays.iter().position(|(p, _)| p == path)?;
    Some(replays.swap_remove(at).1)
}

/// A stream that cannot be rewound, read for its header only: what is read is kept, and put
/// back for the next open of the path when the look is over.
struct Recorded {
    path: String,
    head: std::io::Cursor<Vec<u8>>,
    rest: Option<File>,
    record: Vec<u8>,
}

impl Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self.head.read(buf)? {
            0 => match &mut self.rest {
                Some(rest) => rest.read(buf)?,
                None => 0,
            },
            n => n,
        };
        self.record.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        if let Some(rest) = self.rest.take() {
            let head = std::mem::take(&mut self.record);
            REPLAYS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((std::mem::take(&mut self.path), Replay { head, rest }));
        }
    }
}

/// The raw bytes of `path`.
enum Raw {
    /// A regular file, which can go back to its start.
    File(File),
    /// A stream, with what an earlier look at its header took from it in front.
    Stream(Box<dyn Read + Send>),
}

/// Open the raw bytes of `path`. `peek`: only the start will be read, so a stream keeps what
/// is read for the next open.
fn open_raw(path: &str, peek: bool) -> Result<Raw> {
    if let Some(Replay { head, rest }) = take_replay(path) {
        let head = std::io::Cursor::new(head);
        if peek {
            return Ok(Raw::Stream(Box::new(Recorded {
                path: path.to_owned(),
                head,
                rest: Some(rest),
                record: Vec::new(),
            })));
        }
        return Ok(Raw::Stream(Box::new(head.chain(rest))));
    }
    let file = File::open(path).map_err(|e| Error::io(&e, path))?;
    if file.metadata().is_ok_and(|m| m.is_file()) {
        return Ok(Raw::File(file));
    }
    if !peek {
        return Ok(Raw::Stream(Box::new(file)));
    }
    Ok(Raw::Stream(Box::new(Recorded {
        path: path.to_owned(),
        head: std::io::Cursor::new(Vec::new()),
        rest: Some(file),
        record: Vec::new(),
    })))
}

/// Whether `path` is a stream that cannot be read twice (a pipe, a FIFO, `/dev/stdin`).
pub fn is_stream(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Open `path` and decompress it on the fly if needed. Gzip streams may have several members
/// (concatenated rotated logs), and zstd streams several frames; both are read to the end.
/// `consumed`, if given, counts the bytes read from a compressed file; for a plain file, the
/// bytes read are the bytes the caller gets, so the caller counts them. `peek`: only the
/// header will be read (a pipe keeps those bytes for the next open, see `REPLAYS`).
pub fn open(
    path: &str,
    consumed: Option<&Arc<AtomicU64>>,
    peek: bool,
) -> Result<(Box<dyn Read + Send>, Compression)> {
    let raw = open_raw(path, peek)?;
    let mut magic = Vec::with_capacity(ZSTD_MAGIC.len());
    let file: Box<dyn Read + Send> = match raw {
        Raw::File(mut file) => {
            (&mut file)
                .take(ZSTD_MAGIC.len() as u64)
                .read_to_end(&mut magic)
                .map_err(|e| Error::io(&e, path))?;
            // A plain file is read straight into the chunk buffers by the file itself, which
            // neither copies through a buffer nor zero-fills memory it is about to overwrite.
            if detect(&magic) == Compression::None && file.rewind().is_ok() {
                return Ok((Box::new(file), Compression::None));
            }
            Box::new(file)
        }
        Raw::Stream(mut stream) => {
            (&mut stream)
                .take(ZSTD_MAGIC.len() as u64)
                .read_to_end(&mut magic)
                .map_err(|e| Error::io(&e, path))?;
            stream
        }
    };
    let compression = detect(&magic);
    if compression == Compression::None {
        // A stream cannot go back: its first bytes are put back in front.
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
        Compression::Gzip => Box::new(Pieces::new(GzMembers::new(file))),
        _ => Box::new(Pieces::new(
            zstd::stream::read::Decoder::with_buffer(file).map_err(|e| Error::io(&e, path))?,
        )),
    };
    Ok((stream, compression))
}

/// Gzip members one after the other (rotated logs are often concatenated), as
/// `MultiGzDecoder` reads them, except that bytes after a member that do not start another
/// one are named as such however few they are; a decoder would take a handful of them for a
/// header cut short.
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzMembers<R> {
    fn new(file: R) -> GzMembers<R> {
        GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(file)),
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(out)?;
            if n > 0 {
                return Ok(n);
            }
            // The member ended, its checksum checked: the file ends, another member starts
            // (its magic bytes, the second perhaps not read yet), or neither.
            let Some(member) = self.member.take() else {
                return Ok(0);
            };
            let mut rest = member.into_inner();
            let next = rest.fill_buf()?;
            if next.is_empty() {
                return Ok(0);
            }
            if next[0] != 0x1f || next.get(1).is_some_and(|&b| b != 0x8b) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "invalid gzip header: the bytes after the last member do not start another",
                ));
            }
            self.member = Some(flate2::bufread::GzDecoder::new(rest));
        }
    }
}

/// A decoder read in pieces of a fixed size at fixed places of the decompressed stream. A
/// decoder that meets damage fails the whole read it was in, losing what that read had
/// decoded: in pieces, what is lost (and so the line the damage is reported at) does not
/// depend on how much the caller asked for.
struct Pieces<R> {
    inner: R,
    piece: Box<[u8]>,
    /// The unread part of `piece`.
    start: usize,
    end: usize,
    /// Damage met after part of a piece was decoded: reported once that part is read.
    pending: Option<std::io::Error>,
}

impl<R> Pieces<R> {
    const SIZE: usize = 16 << 10;

    fn new(inner: R) -> Pieces<R> {
        Pieces {
            inner,
            piece: vec![0; Self::SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            pending: None,
        }
    }
}

impl<R: Read> Read for Pieces<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.start == self.end {
            if let Some(e) = self.pending.take() {
                return Err(e);
            }
            // A whole piece, unless the stream ends first.
            let mut filled = 0;
            while filled < self.piece.len() {
                match self.inner.read(&mut self.piece[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // The bytes of this piece before the damage are given first.
                    Err(e) if filled > 0 => {
                        self.pending = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            (self.start, self.end) = (0, filled);
            if filled == 0 {
                return Ok(0);
            }
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.piece[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// The `#path` of a log's first header block (its log type), or a JSON log's `_path`,
/// reading no further than the header or the first line; `None` for a log without one.
pub fn peek_log_path(path: &str) -> Result<Option<String>> {
    const LIMIT: u64 = 64 << 10;
    let (stream, _) = open(path, None, true)?;
    let mut head = Vec::new();
    stream
        .take(LIMIT)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(&e, path))?;
    let head = head.strip_prefix(BYTE_ORDER_MARK).unwrap_or(&head);
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
/// When the pool is dropped (a file or a read is over) its buffers go to [`SPARE_BUFFERS`],
/// from which the next pool takes before it allocates.
#[derive(Debug, Default)]
pub struct BufferPool(Mutex<Vec<Vec<u8>>>);

/// Chunk buffers kept between files and reads, up to [`SPARE_BUFFERS_KEPT`] of them and
/// [`SPARE_BYTES_KEPT`] bytes. Without them every file would fault fresh pages into its
/// chunk buffers: an allocator that hands large blocks back to the system as soon as they
/// are freed (glibc under `MALLOC_TRIM_THRESHOLD_`, which Dask's workers run with) maps new
/// ones for every file, a page fault per 4 KiB. Only `try_lock` is used on it, so a process
/// forked while another thread held the lock allocates afresh instead of waiting.
static SPARE_BUFFERS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
const SPARE_BUFFERS_KEPT: usize = 8;
const SPARE_BYTES_KEPT: usize = 64 << 20;

/// A spare buffer of about `capacity` bytes: the reader fills a buffer to its capacity, so a
/// larger one would make larger chunks than the read asked for.
fn spare_buffer(capacity: usize) -> Option<Vec<u8>> {
    let mut spare = SPARE_BUFFERS.try_lock().ok()?;
    let fits = |b: &Vec<u8>| (capacity..=capacity + capacity / 8).contains(&b.capacity());
    let at = spare.iter().rposition(fits)?;
    Some(spare.swap_remove(at))
}

impl Drop for BufferPool {
    fn drop(&mut self) {
        let buffers = std::mem::take(self.0.get_mut().unwrap_or_else(PoisonError::into_inner));
        let Ok(mut spare) = SPARE_BUFFERS.try_lock() else {
            return;
        };
        let mut kept: usize = spare.iter().map(Vec::capacity).sum();
        for buffer in buffers {
            if spare.len() >= SPARE_BUFFERS_KEPT || kept + buffer.capacity() > SPARE_BYTES_KEPT {
                break;
            }
            kept += buffer.capacity();
            spare.push(buffer);
        }
    }
}

impl BufferPool {
    /// An empty buffer with at least `capacity` bytes of room.
    pub fn take(&self, capacity: usize) -> Result<Vec<u8>> {
        let recycled = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut buffer = recycled
            .or_else(|| spare_buffer(capacity))
            .unwrap_or_default();
        buffer.clear();
        buffer
            .try_reserve_exact(capacity)
            .map_err(|_| Error::memory(capacity))?;
        Ok(buffer)
    }

    /// Keep a chunk's buffer for the next chunk; a part of a mapped file, parsed, leaves the
    /// process's resident set instead.
    pub fn give(&self, data: ChunkData) {
        let buffer = match data {
            ChunkData::Owned(buffer) => buffer,
            ChunkData::Mapped { file, start, end } => {
                file.release(start..end);
                return;
            }
        };
        if buffer.capacity() > MAX_POOLED_BUFFER {
            return;
        }
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buffer);
    }
}

/// The bytes of a chunk: a buffer of its own, or a part of a mapped file.
#[derive(Debug)]
pub enum ChunkData {
    Owned(Vec<u8>),
    Mapped {
        file: Arc<MappedFile>,
        start: usize,
        end: usize,
    },
}

impl Default for ChunkData {
    fn default() -> Self {
        ChunkData::Owned(Vec::new())
    }
}

impl From<Vec<u8>> for ChunkData {
    fn from(buffer: Vec<u8>) -> Self {
        ChunkData::Owned(buffer)
    }
}

impl std::ops::Deref for ChunkData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ChunkData::Owned(buffer) => buffer,
            ChunkData::Mapped { file, start, end } => &file.bytes()[*start..*end],
        }
    }
}

impl ChunkData {
    /// The bytes from `at` on, which this chunk no longer holds.
    fn split_off(&mut self, at: usize) -> ChunkData {
        match self {
            ChunkData::Owned(buffer) => ChunkData::Owned(buffer.split_off(at)),
            ChunkData::Mapped { file, start, end } => {
                let rest = ChunkData::Mapped {
                    file: file.clone(),
                    start: *start + at,
                    end: *end,
                };
                *end = *start + at;
                rest
            }
        }
    }

    /// Drop the first `n` bytes.
    fn drop_front(&mut self, n: usize) {
        match self {
            ChunkData::Owned(buffer) => {
                buffer.drain(..n);
            }
            ChunkData::Mapped { start, .. } => *start += n,
        }
    }

    /// `range` of the bytes: a copy of a buffer, the same pages of a mapped file.
    fn part(&self, range: std::ops::Range<usize>) -> ChunkData {
        match self {
            ChunkData::Owned(buffer) => ChunkData::Owned(buffer[range].to_vec()),
            ChunkData::Mapped { file, start, .. } => ChunkData::Mapped {
                file: file.clone(),
                start: start + range.start,
                end: start + range.end,
            },
        }
    }

    /// Whether the bytes are the file's only if it did not shrink while read: a mapped
    /// file that did has zeros in place of its lost bytes (see [`MappedFile`]).
    pub fn cut(&self) -> bool {
        matches!(self, ChunkData::Mapped { file, end, .. } if file.cut_before(*end))
    }
}

/// The error of a mapped file that shrank while it was read, and of each chunk read from it
/// after it did.
pub fn cut_while_read() -> Error {
    Error::new(
        ErrorKind::Truncated,
        "the file shrank while it was read (truncated or replaced in place, as by \
         logrotate's copytruncate): its lines from here on were not read",
    )
}

/// A run of whole data lines under one header block.
#[derive(Debug)]
pub struct DataChunk<B> {
    /// Position among the file's chunks.
    pub seq: usize,
    /// The header block the lines belong to (also the newest entry of the stream's blocks).
    pub block: B,
    pub data: ChunkData,
    /// Where `data` starts in the decompressed stream: a line's position that does not
    /// depend on how the stream was cut into chunks.
    pub offset: u64,
    /// Lines the reader consumed itself (header and blank lines) before this chunk.
    pub reader_lines_before: u64,
    /// Set (with `data` empty) for one line longer than `max_line_bytes`, which was not kept:
    /// how long it is, at least. The chunk stands for that one bad line.
    pub too_long: Option<u64>,
}

/// An error found by the reader, placed so the caller can number its line once it knows how
/// many lines the chunks before it held.
#[derive(Debug)]
pub struct ReaderError {
    pub chunks_before: usize,
    /// The reader's own lines up to and including the offending one.
    pub reader_lines: u64,
    pub error: Error,
    /// A damaged stream whose data ended inside a line: that line is cut by the damage, so
    /// the damage is reported in its place.
    pub cut: bool,
}

pub struct StreamSummary<B> {
    pub blocks: Vec<B>,
    pub chunks: usize,
    /// A fatal error, after which nothing more was read.
    pub error: Option<ReaderError>,
    /// The reader's own lines (header, blank and skipped lines) in the whole stream.
    pub reader_lines: u64,
    /// The offset in the decompressed stream after the last line read: where a later read
    /// of a growing log goes on.
    pub end_offset: u64,
    /// The stream's last line has no line end and was read as a row: it may have been cut,
    /// or still be being written.
    pub unterminated: bool,
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
    /// Where the last data chunk handed out ends.
    sent_end: u64,
    /// Data lines before this offset are left out.
    start_offset: u64,
}

impl<B: Clone, F: BlockFactory<B>> Splitter<'_, B, F> {
    fn fail(&self, error: Error) -> ReaderError {
        ReaderError {
            chunks_before: self.seq,
            reader_lines: self.reader_lines,
            error,
            cut: false,
        }
    }

    /// Split a run of whole lines into header lines (applied here) and data chunks (passed to
    /// `emit`). Returns false when `emit` asks to stop.
    fn split(
        &mut self,
        buffer: ChunkData,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        let has_header_line = next_header_line(&buffer, 0).is_some();
        let buffer_offset = self.offset;
        self.offset += buffer.len() as u64;
        if !has_header_line {
            return self.data(buffer, buffer_offset, emit);
        }
        let mut buffer = buffer;
        let mut buffer_offset = buffer_offset;
        let mut pos = 0;
        while pos < buffer.len() {
            if buffer[pos] == b'#' {
                let end = memchr::memchr(b'\n', &buffer[pos..]).map_or(buffer.len(), |i| pos + i);
                let line = &buffer[pos..end];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                self.reader_lines += 1;
                if line.starts_with(b"#separator") {
                    // A block that ends without data lines still names its columns.
                    self.record_empty_block()?;
                }
                self.header.apply(line).map_err(|e| self.fail(e))?;
                if self.header.changed {
                    self.block_current = false;
                }
                pos = end + 1;
                continue;
            }
            let end = next_header_line(&buffer, pos).unwrap_or(buffer.len());
            let run_offset = buffer_offset + pos as u64;
            // Each run costs one copy of the smaller of itself and what follows it, so a
            // chunk of many short header blocks is still copied about once. Usually what
            // follows is the smaller (nothing, or a `#close` line): then the run keeps the
            // chunk's own pooled, already faulted-in buffer, the header lines before it
            // moved out of its front and what follows split off.
            // A part of a mapped file is never copied.
            let run =
                if buffer.len() - end <= end - pos || matches!(buffer, ChunkData::Mapped { .. }) {
                    let rest = buffer.split_off(end);
                    buffer.drop_front(pos);
                    buffer_offset += end as u64;
                    pos = 0;
                    std::mem::replace(&mut buffer, rest)
                } else {
                    let run = buffer.part(pos..end);
                    pos = end;
                    run
                };
            if !self.data(run, run_offset, emit)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `split`, with each line longer than `limit` made a bad line of its own. Lines are
    /// only measured when the buffer is longer than the limit.
    fn split_checked(
        &mut self,
        buffer: ChunkData,
        limit: usize,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        if buffer.len() <= limit {
            return self.split(buffer, emit);
        }
        let mut done = 0;
        let mut line_start = 0;
        let ends = memchr::memchr_iter(b'\n', &buffer).chain(std::iter::once(buffer.len()));
        for end in ends {
            if end - line_start > limit {
                if line_start > done && !self.split(buffer.part(done..line_start), emit)? {
                    return Ok(false);
                }
                let next = (end + 1).min(buffer.len());
                let head = &buffer[line_start..line_start + (end - line_start).min(256)];
                if !self.too_long(head, (next - line_start) as u64, limit, emit)? {
                    return Ok(false);
                }
                done = next;
            }
            line_start = end + 1;
        }
        match done {
            0 => self.split(buffer, emit),
            done if done < buffer.len() => self.split(buffer.part(done..buffer.len()), emit),
            _ => Ok(true),
        }
    }

    /// The block of a header that no data line followed, if it names fields.
    fn record_empty_block(&mut self) -> std::result::Result<(), ReaderError> {
        if self.block_current || self.header.fields.is_none() {
            return Ok(());
        }
        self.header.changed = false;
        let block = self
            .factory
            .block(&self.header, None)
            .map_err(|e| self.fail(e))?;
        self.blocks.push(block);
        self.block_current = true;
        Ok(())
    }

    /// Make sure the newest block describes the current header.
    fn current_block(
        &mut self,
        first_line: Option<&[u8]>,
        lines_to_it: u64,
    ) -> std::result::Result<B, ReaderError> {
        if !self.block_current {
            self.header.changed = false;
            let block = self
                .factory
                .block(&self.header, first_line)
                .map_err(|e| ReaderError {
                    chunks_before: self.seq,
                    reader_lines: self.reader_lines + lines_to_it,
                    error: e,
                    cut: false,
                })?;
            self.blocks.push(block);
            self.block_current = true;
        }
        // Just pushed or current, so there is a newest block.
        Ok(self.blocks[self.blocks.len() - 1].clone())
    }

    fn data(
        &mut self,
        mut data: ChunkData,
        mut offset: u64,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        if offset < self.start_offset {
            // Lines an earlier read already had: counted, not parsed.
            let skip = (self.start_offset - offset).min(data.len() as u64) as usize;
            if skip < data.len() && skip > 0 && data[skip - 1] != b'\n' {
                return Err(self.fail(Error::new(
                    ErrorKind::Schema,
                    format!(
                        "start offset {} is not the start of a line",
                        self.start_offset
                    ),
                )));
            }
            self.reader_lines += memchr::memchr_iter(b'\n', &data[..skip]).count() as u64;
            data.drop_front(skip);
            offset += skip as u64;
        }
        let Some(first_line) = first_non_blank_line(&data) else {
            // Only blank lines: nothing to parse, but they still count as lines.
            self.reader_lines += memchr::memchr_iter(b'\n', &data).count() as u64;
            return Ok(true);
        };
        let blank_lines = memchr::memchr_iter(b'\n', &data[..first_line_start(&data)]).count();
        let block = self.current_block(Some(first_line), blank_lines as u64 + 1)?;
        self.sent_end = offset + data.len() as u64;
        let chunk = DataChunk {
            seq: self.seq,
            block,
            data,
            offset,
            reader_lines_before: self.reader_lines,
            too_long: None,
        };
        self.seq += 1;
        Ok(emit(chunk))
    }

    /// A line longer than the limit, of which `head` is the start: a bad line of its own,
    /// unless it is a header line or no block can be laid out for it yet.
    fn too_long(
        &mut self,
        head: &[u8],
        length: u64,
        limit: usize,
        emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    ) -> std::result::Result<bool, ReaderError> {
        let offset = self.offset;
        self.offset += length;
        if offset + length <= self.start_offset {
            self.reader_lines += 1;
            return Ok(true);
        }
        let too_long = |what: &str| {
            Error::parse(format!(
                "{what} is longer than max_line_bytes={limit} (at least {length} bytes)"
            ))
            .with_value(&head[..head.len().min(80)])
        };
        if head.starts_with(b"#") {
            self.reader_lines += 1;
            return Err(self.fail(too_long("a header line").with_kind(ErrorKind::Header)));
        }
        if !self.block_current && self.header.fields.is_none() {
            // A log without a header is laid out from its first line, which was not kept.
            self.reader_lines += 1;
            return Err(self.fail(too_long("the first line").with_kind(ErrorKind::Header)));
        }
        let block = self.current_block(None, 1)?;
        let chunk = DataChunk {
            seq: self.seq,
            block,
            data: ChunkData::default(),
            offset,
            reader_lines_before: self.reader_lines,
            too_long: Some(length),
        };
        self.seq += 1;
        Ok(emit(chunk))
    }

    /// The stream broke off after the last line read, which may itself be cut short.
    fn stream_error(&self, error: Error, cut: bool) -> ReaderError {
        ReaderError {
            chunks_before: self.seq,
            reader_lines: self.reader_lines + 1,
            error,
            cut,
        }
    }

    fn summary(self, error: Option<ReaderError>, unterminated: bool) -> StreamSummary<B> {
        StreamSummary {
            blocks: self.blocks,
            chunks: self.seq,
            error,
            reader_lines: self.reader_lines,
            end_offset: self.offset,
            unterminated,
        }
    }

    /// The summary of a stream read to its end. A read that goes on from `start_offset`
    /// needs the log to reach it.
    fn close(
        mut self,
        start_offset: u64,
        path: &str,
        unterminated: bool,
    ) -> Result<StreamSummary<B>> {
        let end = self.offset;
        if start_offset > end {
            return Err(Error::schema(format!(
                "the log ends at byte {end}, before the start offset {start_offset}: it was \
                 rotated or truncated since that offset was taken"
            ))
            .with_path(path));
        }
        if let Err(error) = self.finish() {
            return Ok(self.summary(Some(error), false));
        }
        Ok(self.summary(None, unterminated))
    }

    /// A header block with no data lines still names its columns; one without `#fields` is
    /// an error, as it is when a data line follows it.
    fn finish(&mut self) -> std::result::Result<(), ReaderError> {
        let header_without_block = !self.block_current && self.header.seen;
        if header_without_block || (self.blocks.is_empty() && self.header.fields.is_some()) {
            let block = self.factory.block(&self.header, None).map_err(|e| {
                if self.header.fields.is_some() {
                    return self.fail(e);
                }
                self.fail(Error::header(
                    "the header block has no #fields line, so it names no columns, and no \
                     data line follows it",
                ))
            })?;
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

/// What went wrong in a compressed stream, named for what it is. `decompressed`: the bytes
/// the stream gave before it failed.
fn stream_damage(compression: Compression, error: &std::io::Error, decompressed: u64) -> Error {
    let format = if compression == Compression::Gzip {
        "gzip"
    } else {
        "zstd"
    };
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    if error.kind() == std::io::ErrorKind::UnexpectedEof || lower.contains("incomplete") {
        return Error::new(
            ErrorKind::Truncated,
            format!("the {format} stream is cut short: the file ends inside compressed data, at or after this line ({text})"),
        );
    }
    if lower.contains("checksum") {
        return Error::new(
            ErrorKind::Corrupt,
            format!("a {format} member fails its checksum: the rows decompressed from it are damaged, at or before this line ({text})"),
        );
    }
    if compression == Compression::Gzip && lower.contains("header") && decompressed > 0 {
        return Error::new(
            ErrorKind::Truncated,
            format!("the file has bytes after its last gzip member that are not gzip data, after this line ({text})"),
        );
    }
    if compression == Compression::Zstd && lower.contains("unknown frame") && decompressed > 0 {
        return Error::new(
            ErrorKind::Truncated,
            format!("the file has bytes after its last zstd frame that are not zstd data, after this line ({text})"),
        );
    }
    Error::new(
        ErrorKind::Corrupt,
        format!("the {format} data is corrupt at or after this line ({text})"),
    )
}

/// Read into `buffer` until it is full or the stream ends. Returns whether it ended (with
/// the damage, for a compressed stream that failed).
fn fill(
    stream: &mut dyn Read,
    buffer: &mut Vec<u8>,
    path: &str,
    compression: Compression,
    decompressed: u64,
) -> Result<(bool, Option<Error>)> {
    loop {
        let wanted = buffer.capacity() - buffer.len();
        let before = buffer.len();
        match stream.take(wanted as u64).read_to_end(buffer) {
            Ok(n) => return Ok((n < wanted, None)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if compression == Compression::None => return Err(Error::io(&e, path)),
            Err(e) => {
                let at = decompressed + buffer.len() as u64 - before as u64;
                return Ok((true, Some(stream_damage(compression, &e, at))));
            }
        }
    }
}

/// Read `path` to the end (or until `emit` returns false), cutting it into chunks of about
/// `chunk_size` bytes of whole lines. `consumed`, if given, counts the file's bytes read.
pub fn read_chunks<B: Clone, F: BlockFactory<B>>(
    path: &str,
    options: &ChunkOptions,
    buffers: &BufferPool,
    factory: &mut F,
    emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    consumed: Option<&Arc<AtomicU64>>,
) -> Result<StreamSummary<B>> {
    let limit = options.max_line_bytes.max(1);
    let mut header = HeaderState::default();
    let mut mapped = None;
    let (mut stream, compression, offset, reader_lines): (Box<dyn Read + Send>, _, _, _) =
        match &options.range {
            Some(range) => {
                let start = range::open_range(path, range, &mut header, limit, &options.cancel)?;
                mapped = start.stream.map(options.map_min_bytes);
                (
                    Box::new(start.stream),
                    Compression::None,
                    start.offset,
                    start.lines,
                )
            }
            None => match map_plain(path, options.map_min_bytes)? {
                Some((map, end)) => {
                    mapped = Some((map, end));
                    (Box::new(std::io::empty()), Compression::None, 0, 0)
                }
                None => {
                    let (stream, compression) = open(path, consumed, options.peek)?;
                    (stream, compression, 0, 0)
                }
            },
        };
    let mut splitter = Splitter {
        factory,
        header,
        blocks: Vec::new(),
        block_current: false,
        seq: 0,
        reader_lines,
        offset,
        sent_end: 0,
        start_offset: options.start_offset,
    };
    let count = |n: usize| {
        if let (Some(consumed), Compression::None) = (consumed, compression) {
            consumed.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    if let Some((map, end)) = mapped {
        return read_mapped(splitter, &map, end, options, path, emit, &count);
    }
    let mut carry: Vec<u8> = Vec::new();
    // A byte order mark can only open the file.
    let mut first = offset == 0;
    let mut unterminated = false;
    loop {
        options.cancel.check().map_err(|e| e.with_path(path))?;
        let mut buffer = buffers
            .take(options.chunk_size.max(carry.len()) + 1024)
            .map_err(|e| e.with_path(path))?;
        buffer.append(&mut carry);
        // The part of `buffer` known to hold no line end.
        let mut searched = buffer.len();
        let (mut at_end, mut damage);
        loop {
            let before = buffer.len();
            (at_end, damage) = fill(
                &mut stream,
                &mut buffer,
                path,
                compression,
                splitter.offset + before as u64,
            )?;
            count(buffer.len() - before);
            if first && buffer.len() >= BYTE_ORDER_MARK.len() {
                first = false;
                if buffer.starts_with(BYTE_ORDER_MARK) {
                    buffer.drain(..BYTE_ORDER_MARK.len());
                    splitter.offset = BYTE_ORDER_MARK.len() as u64;
                    searched = 0;
                }
            }
            if at_end || memchr::memchr(b'\n', &buffer[searched..]).is_some() {
                break;
            }
            // One line longer than the buffer: grow it in place (a large block grows without
            // a copy), up to the limit.
            searched = buffer.len();
            if buffer.len() > limit {
                break;
            }
            options.cancel.check().map_err(|e| e.with_path(path))?;
            let room = buffer.len().min(limit + 1 - buffer.len()).max(1024);
            buffer
                .try_reserve_exact(room)
                .map_err(|_| Error::memory(room).with_path(path))?;
        }
        if !at_end && buffer.len() > limit && memchr::memchr(b'\n', &buffer).is_none() {
            let skipped = skip_line(
                &mut stream,
                buffer,
                path,
                compression,
                splitter.offset,
                &options.cancel,
            )?;
            let (length, head, ended, damaged) =
                (skipped.length, skipped.head, skipped.ended, skipped.damage);
            carry = skipped.rest;
            match splitter.too_long(&head, length, limit, emit) {
                Ok(true) => {}
                Ok(false) => return Ok(splitter.summary(None, false)),
                Err(error) => return Ok(splitter.summary(Some(error), false)),
            }
            if damaged.is_some() || ended {
                // Lines read after the long one, before the damage, are read like the others.
                let cut = match carry.last() {
                    None => !skipped.complete,
                    Some(&last) => last != b'\n',
                };
                if damaged.is_some() && !carry.is_empty() {
                    match splitter.split_checked(std::mem::take(&mut carry).into(), limit, emit) {
                        Ok(_) => {}
                        Err(error) => return Ok(splitter.summary(Some(error), false)),
                    }
                }
                let error = damaged.map(|error| splitter.stream_error(error, cut));
                if error.is_none() {
                    if let Err(error) = splitter.finish() {
                        return Ok(splitter.summary(Some(error), false));
                    }
                }
                return Ok(splitter.summary(error, false));
            }
            continue;
        }
        let cut = !buffer.is_empty() && !buffer.ends_with(b"\n");
        if !at_end {
            // Not at the end, so the loop above stopped at a line end.
            if let Some(last) = memchr::memrchr(b'\n', &buffer) {
                carry.extend_from_slice(&buffer[last + 1..]);
                buffer.truncate(last + 1);
            }
        } else if !buffer.is_empty() && !buffer.ends_with(b"\n") && damage.is_none() {
            let last_start = memchr::memrchr(b'\n', &buffer).map_or(0, |i| i + 1);
            if options.complete_lines_only {
                buffer.truncate(last_start);
            } else {
                // A header line (`#close` written without a line end) is no row.
                unterminated = buffer[last_start] != b'#';
            }
        }
        if !buffer.is_empty() {
            match splitter.split_checked(buffer.into(), limit, emit) {
                Ok(true) => {}
                // Told to stop at the last chunk of a damaged stream: the damage is still said.
                // Only when the last chunk was the one that stopped is the cut line among the
                // lines read (an earlier chunk's error comes first otherwise).
                Ok(false) => {
                    let whole = splitter.sent_end == splitter.offset;
                    let error = damage.map(|error| splitter.stream_error(error, cut && whole));
                    return Ok(splitter.summary(error, false));
                }
                Err(error) => return Ok(splitter.summary(Some(error), false)),
            }
        }
        if at_end {
            if let Some(error) = damage {
                let error = splitter.stream_error(error, cut);
                return Ok(splitter.summary(Some(error), false));
            }
            break;
        }
    }
    splitter.close(options.start_offset, path, unterminated)
}

/// `path` mapped into memory, with the number of its bytes to read, if it is a plain file
/// of at least `min_bytes` bytes whose mapping can be guarded (see [`MappedFile`]).
fn map_plain(path: &str, min_bytes: Option<u64>) -> Result<Option<(Arc<MappedFile>, usize)>> {
    let Some(min_bytes) = min_bytes else {
        return Ok(None);
    };
    // Looked at before it is opened: opening a FIFO to look would take its writer's
    // partner, and closing it again would end the stream before it is read.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() >= min_bytes.max(1)) {
        return Ok(None);
    }
    // (A stream kept for replay is no regular file, so it never gets here.)
    let mut file = File::open(path).map_err(|e| Error::io(&e, path))?;
    let metadata = file.metadata().map_err(|e| Error::io(&e, path))?;
    if !metadata.is_file() || metadata.len() < min_bytes.max(1) {
        return Ok(None);
    }
    if range::compression_of(&mut file, path)? != Compression::None {
        return Ok(None);
    }
    let Some(map) = MappedFile::map(&file, 0, metadata.len()) else {
        return Ok(None);
    };
    let end = map.bytes().len();
    Ok(Some((Arc::new(map), end)))
}

/// `read_chunks` over the first `end` bytes of a mapped file, whose first byte is at the
/// splitter's offset: each chunk is a part of the mapping, cut at a line end after about
/// `chunk_size` bytes.
fn read_mapped<B: Clone, F: BlockFactory<B>>(
    mut splitter: Splitter<'_, B, F>,
    map: &Arc<MappedFile>,
    end: usize,
    options: &ChunkOptions,
    path: &str,
    emit: &mut dyn FnMut(DataChunk<B>) -> bool,
    count: &dyn Fn(usize),
) -> Result<StreamSummary<B>> {
    let limit = options.max_line_bytes.max(1);
    let data = &map.bytes()[..end];
    let mut pos = 0;
    if splitter.offset == 0 && data.starts_with(BYTE_ORDER_MARK) {
        pos = BYTE_ORDER_MARK.len();
        splitter.offset = pos as u64;
    }
    let (mut unterminated, mut cut) = (false, false);
    while pos < data.len() {
        options.cancel.check().map_err(|e| e.with_path(path))?;
        let want = pos
            .saturating_add(options.chunk_size.max(1))
            .min(data.len());
        let mut chunk_end = if want == data.len() {
            want
        } else {
            match memchr::memrchr(b'\n', &data[pos..want]) {
                Some(at) => pos + at + 1,
                // A line longer than a chunk: the chunk is that line (a line longer than the
                // limit is made a bad line of its own by `split_checked`).
                None => memchr::memchr(b'\n', &data[want..]).map_or(data.len(), |at| want + at + 1),
            }
        };
        if map.cut_before(chunk_end) {
            cut = true;
            break;
        }
        let at_end = chunk_end == data.len();
        if at_end && !data.ends_with(b"\n") {
            let last_start = memchr::memrchr(b'\n', &data[pos..]).map_or(pos, |at| pos + at + 1);
            if options.complete_lines_only {
                chunk_end = last_start;
            } else {
                // A header line (`#close` written without a line end) is no row.
                unterminated = data[last_start] != b'#';
            }
        }
        count(chunk_end - pos);
        if chunk_end > pos {
            map.will_need(pos..chunk_end);
            let chunk = ChunkData::Mapped {
                file: map.clone(),
                start: pos,
                end: chunk_end,
            };
            match splitter.split_checked(chunk, limit, emit) {
                Ok(true) => {}
                Ok(false) => return Ok(splitter.summary(None, false)),
                Err(error) => return Ok(splitter.summary(Some(error), false)),
            }
        }
        if at_end {
            break;
        }
        pos = chunk_end;
    }
    if cut || map.cut_before(0) {
        let error = splitter.stream_error(cut_while_read(), false);
        return Ok(splitter.summary(Some(error), false));
    }
    splitter.close(options.start_offset, path, unterminated)
}

/// A line longer than the limit, read past without keeping it.
struct SkippedLine {
    /// Its length with its line end.
    length: u64,
    /// Its first bytes, and the bytes after its end.
    head: Vec<u8>,
    rest: Vec<u8>,
    /// Whether its line end was found, whether the stream ended, and the damage if it broke.
    complete: bool,
    ended: bool,
    damage: Option<Error>,
}

/// Read past the rest of a line longer than the limit, of which `buffer` holds the start
/// (and no line end), without keeping it.
fn skip_line(
    stream: &mut dyn Read,
    mut buffer: Vec<u8>,
    path: &str,
    compression: Compression,
    offset: u64,
    cancel: &Cancel,
) -> Result<SkippedLine> {
    let head = buffer[..buffer.len().min(256)].to_vec();
    let mut length = buffer.len() as u64;
    buffer.clear();
    buffer.shrink_to(1 << 20);
    buffer.reserve((1 << 20) - buffer.len().min(1 << 20));
    loop {
        cancel.check().map_err(|e| e.with_path(path))?;
        buffer.clear();
        let (ended, damage) = fill(stream, &mut buffer, path, compression, offset + length)?;
        if let Some(end) = memchr::memchr(b'\n', &buffer) {
            length += end as u64 + 1;
            let rest = buffer[end + 1..].to_vec();
            return Ok(SkippedLine {
                length,
                head,
                ended: ended && rest.is_empty(),
                rest,
                complete: true,
                damage,
            });
        }
        length += buffer.len() as u64;
        if ended {
            return Ok(SkippedLine {
                length,
                head,
                rest: Vec::new(),
                complete: false,
                ended: true,
                damage,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::reader::{read_files, ReadOptions, ReadOutput};
    use crate::testing::{log, TempLog, HEADER};
    use std::io::Write;

    fn rows(output: &ReadOutput) -> usize {
        output.batches.iter().map(|b| b.num_rows()).sum()
    }

    #[test]
    fn dropped_pools_keep_a_bounded_number_of_spare_buffers() {
        use super::{BufferPool, SPARE_BUFFERS, SPARE_BUFFERS_KEPT, SPARE_BYTES_KEPT};
        let bounded = || {
            let spare = SPARE_BUFFERS
                .lock()
                .expect("no test panics holding the lock");
            let bytes: usize = spare.iter().map(Vec::capacity).sum();
            assert!(
                spare.len() <= SPARE_BUFFERS_KEPT,
                "{} buffers kept",
                spare.len()
            );
            assert!(bytes <= SPARE_BYTES_KEPT, "{bytes} bytes kept");
        };
        for size in [1 << 20, 40 << 20] {
            let pool = BufferPool::default();
            let taken: Vec<Vec<u8>> = (0..20)
                .map(|_| pool.take(size).expect("40 MiB can be reserved"))
                .collect();
            for mut buffer in taken {
                buffer.extend_from_slice(b"stale bytes of an earlier file");
                pool.give(buffer.into());
            }
            drop(pool);
            bounded();
            // A new pool's buffer comes back empty, whatever it held before, and no larger
            // than an eighth over what was asked (the reader fills it to its capacity).
            let pool = BufferPool::default();
            let buffer = pool.take(size).expect("40 MiB can be reserved");
            assert!(buffer.is_empty());
            assert!((size..=size + size / 8).contains(&buffer.capacity()));
            let small = pool.take(4096).expect("4 KiB can be reserved");
            assert!((4096..=4096 + 512).contains(&small.capacity()));
        }
        bounded();
    }

    /// Every chunk size and thread count, with and without skipping bad lines.
    fn each_way(path: &str, base: &ReadOptions, check: &dyn Fn(&crate::error::Result<ReadOutput>)) {
        for chunk_size in [7, 100, 4 << 20] {
            for n_threads in [1, 2] {
                let options = ReadOptions {
                    chunk_size,
                    n_threads,
                    ..base.clone()
                };
                check(&read_files(&[path.to_owned()], &options));
            }
        }
    }

    #[test]
    fn header_blocks_inside_a_chunk_split_it_into_runs_read_in_order() {
        // Many short blocks after a long run, then a long run after short ones: in one 4 MiB
        // chunk each run is either split off the chunk or copied, whichever is smaller.
        let mut text = log(300);
        for i in 0..200 {
            text.push_str(&format!(
                "#close\tx\n{HEADER}{}.5\tS{i}\t{i}\t{i}\n",
                1_400_000_000 + i
            ));
        }
        text.push_str(&log(300)[HEADER.len()..]);
        text.push_str("#close\tend\n");
        let file = TempLog::new("runs.log", text.as_bytes());
        let expected: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('\t').nth(1).unwrap_or_default().to_owned())
            .collect();
        assert_eq!(expected.len(), 800);
        let base = ReadOptions {
            skip_bad_lines: true,
            ..ReadOptions::default()
        };
        each_way(&file.path(), &base, &|result| {
            let output = result.as_ref().expect("reads");
            assert_eq!(rows(output), 800);
            let uids: Vec<String> = output
                .batches
                .iter()
                .flat_map(|b| {
                    let column = b.column_by_name("uid").expect("uid column");
                    let strings = column
                        .as_any()
                        .downcast_ref::<arrow_array::StringViewArray>()
                        .expect("uid is a string column");
                    strings
                        .iter()
                        .map(|v| v.unwrap_or("-").to_owned())
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(uids, expected);
        });
    }

    #[test]
    fn a_line_longer_than_the_limit_is_a_bad_line_with_its_number() {
        let long = "x".repeat(5000);
        let text = format!("{HEADER}1.0\tCa\t80\t1\n2.0\t{long}\t80\t2\n3.0\tCc\t80\t3\n");
        let file = TempLog::new("long.log", text.as_bytes());
        let limit = ReadOptions {
            max_line_bytes: 1000,
            ..ReadOptions::default()
        };
        each_way(&file.path(), &limit, &|result| {
            let error = result.as_ref().err().cloned();
            assert_eq!(error.as_ref().map(|e| e.kind), Some(ErrorKind::Parse));
            assert_eq!(error.as_ref().and_then(|e| e.line), Some(9));
            let message = error.map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("max_line_bytes=1000"), "{message}");
        });
        let skip = ReadOptions {
            skip_bad_lines: true,
            ..limit
        };
        each_way(&file.path(), &skip, &|result| {
            let output = result.as_ref().expect("skipped");
            assert_eq!(rows(output), 2);
            assert_eq!(output.skipped_count, 1);
            assert_eq!(output.skipped[0].line, Some(9));
        });
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_log() {
        let text = format!("\u{feff}{}", log(3));
        let file = TempLog::new("bom.log", text.as_bytes());
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(rows(&output), 3);
        let json = TempLog::new("bom.json", "\u{feff}{\"ts\":1.5,\"a\":1}\n".as_bytes());
        let output = read_files(&[json.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(rows(&output), 1);
    }

    #[test]
    fn a_header_without_fields_is_an_error_with_or_without_rows() {
        for text in [
            "#separator \\x09\n#path\tconn\n",
            "#separator \\x09\n#path\tconn\n1\t2\n",
        ] {
            let file = TempLog::new("nofields.log", text.as_bytes());
            let error = read_files(&[file.path()], &ReadOptions::default()).err();
            assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Header), "{text:?}");
        }
        // An empty file is an empty log, not an error.
        let file = TempLog::new("empty.log", b"");
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(rows(&output), 0);
    }

    #[test]
    fn a_last_line_without_a_line_end_is_named_or_left_out() {
        let text = log(3).replace("#close\t2020-01-01-00-00-00\n", "");
        // Every field is there, but the line end is not: it may still be being written.
        let cut = &text[..text.len() - 1];
        let file = TempLog::new("cut.log", cut.as_bytes());
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(rows(&output), 3);
        assert_eq!(output.unterminated, [(file.path(), 10)]);
        let complete = ReadOptions {
            complete_lines_only: true,
            ..ReadOptions::default()
        };
        each_way(&file.path(), &complete, &|result| {
            let output = result.as_ref().expect("reads");
            assert_eq!(rows(output), 2);
            assert!(output.unterminated.is_empty());
            let third_line = cut.rfind('\n').map_or(0, |i| i + 1) as u64;
            assert_eq!(output.end_offsets, [third_line]);
        });
        // A `#close` without a line end is no row.
        let text = log(3);
        let file = TempLog::new("close.log", text.trim_end().as_bytes());
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert!(output.unterminated.is_empty());
    }

    #[test]
    fn a_read_goes_on_from_an_offset_with_the_rows_appended_since() {
        let text = log(10);
        let offset = text.find("1300000004").expect("row 4") as u64;
        let file = TempLog::new("resume.log", text.as_bytes());
        let options = ReadOptions {
            start_offset: offset,
            complete_lines_only: true,
            ..ReadOptions::default()
        };
        each_way(&file.path(), &options, &|result| {
            let output = result.as_ref().expect("reads");
            assert_eq!(rows(output), 6);
            assert_eq!(output.end_offsets, [text.len() as u64]);
        });
        let inside = ReadOptions {
            start_offset: offset + 1,
            ..ReadOptions::default()
        };
        let error = read_files(&[file.path()], &inside).err();
        assert!(error.is_some_and(|e| e.message.contains("not the start of a line")));
        let past = ReadOptions {
            start_offset: text.len() as u64 + 1,
            ..ReadOptions::default()
        };
        let error = read_files(&[file.path()], &past).err();
        assert!(error.is_some_and(|e| e.message.contains("rotated or truncated")));
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(text).expect("in memory");
        gzip.finish().expect("in memory")
    }

    #[test]
    fn gzip_damage_is_named_for_what_it_is() {
        let text = log(200);
        let good = gzip(text.as_bytes());
        let skip = ReadOptions {
            skip_bad_lines: true,
            ..ReadOptions::default()
        };
        // A checksum mismatch: the member's rows are never returned, even when skipping.
        let mut bad_crc = good.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 0xff;
        let file = TempLog::new("crc.log.gz", &bad_crc);
        for options in [ReadOptions::default(), skip.clone()] {
            let error = read_files(&[file.path()], &options).err();
            assert_eq!(error.as_ref().map(|e| e.kind), Some(ErrorKind::Corrupt));
            assert!(error.is_some_and(|e| e.message.contains("checksum")));
        }
        // Bytes after the last member, however few: the rows are sound, the garbage is named;
        // the start of another member that ends early is a cut.
        for (tail, named) in [
            (
                &b"garbage that is not gzip"[..],
                "bytes after its last gzip member",
            ),
            (b"garbage", "bytes after its last gzip member"),
            (b"\n", "bytes after its last gzip member"),
            (b"\x1f\x00", "bytes after its last gzip member"),
            (b"\x1f", "cut short"),
            (b"\x1f\x8b\x08", "cut short"),
        ] {
            let mut trailing = good.clone();
            trailing.extend_from_slice(tail);
            let file = TempLog::new("trailing.log.gz", &trailing);
            let error = read_files(&[file.path()], &ReadOptions::default()).err();
            assert!(
                error.as_ref().is_some_and(|e| e.message.contains(named)),
                "{tail:?}: {error:?}"
            );
            let output = read_files(&[file.path()], &skip).expect("rows before the garbage");
            assert_eq!(rows(&output), 200);
        }
        // Cut short.
        let file = TempLog::new("cut.log.gz", &good[..good.len() / 2]);
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert!(error.is_some_and(|e| e.message.contains("cut short") && e.line.is_some()));
    }

    #[test]
    fn a_zstd_file_cut_in_its_first_frame_is_reported_at_line_one() {
        let frame = zstd::encode_all(log(2000).as_bytes(), 1).expect("in memory");
        let file = TempLog::new("cut.log.zst", &frame[..40]);
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert_eq!(error.as_ref().and_then(|e| e.line), Some(1));
    }

    #[test]
    fn type_conflicts_are_named_in_zeek_types_and_places() {
        let text =
            format!("{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tn\n#types\tstring\nx\n");
        let file = TempLog::new("conflict.log", text.as_bytes());
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("is count in")
                && message.contains("but string in a later header block"),
            "{message}"
        );
        let other = "#separator \\x09\n#fields\tn\n#types\tdouble\n1.5\n";
        let second = TempLog::new("conflict2.log", other.as_bytes());
        let first = TempLog::new("conflict1.log", log(2).as_bytes());
        let error = read_files(&[first.path(), second.path()], &ReadOptions::default()).err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains(&format!(
                "is count in {} but double in {}",
                first.path(),
                second.path()
            )),
            "{message}"
        );
    }

    #[test]
    fn field_names_with_a_nul_byte_are_header_errors() {
        let text = "#separator \\x09\n#fields\ta\0b\n#types\tstring\nx\n";
        let file = TempLog::new("nul.log", text.as_bytes());
        let error = read_files(&[file.path()], &ReadOptions::default()).err();
        assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Header));
        let json = TempLog::new("nul.json", b"{\"ts\":1.0,\"a\0b\":1}\n");
        let error = read_files(&[json.path()], &ReadOptions::default()).err();
        assert!(error.is_some_and(|e| e.kind == ErrorKind::Parse && e.line == Some(1)));
    }

    #[test]
    fn json_nested_thousands_deep_under_an_unknown_key_reads() {
        let depth = 200_000;
        let line = format!(
            "{{\"ts\":1.0,\"x\":{}{}}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let file = TempLog::new("deep.json", line.as_bytes());
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(rows(&output), 1);
    }

    #[test]
    fn a_header_of_many_fields_is_read_in_linear_time() {
        let n = 200_000;
        let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
        let text = format!(
            "#separator \\x09\n#fields\t{}\n#types\t{}\n{}\n",
            names.join("\t"),
            vec!["count"; n].join("\t"),
            vec!["1"; n].join("\t")
        );
        let file = TempLog::new("wide.log", text.as_bytes());
        let output = read_files(&[file.path()], &ReadOptions::default()).expect("reads");
        assert_eq!(output.schema.fields().len(), n);
        assert_eq!(rows(&output), 1);
    }
}
