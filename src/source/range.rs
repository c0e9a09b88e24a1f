//! Line-aligned byte ranges of one plain log, each read on its own (a partition of a
//! distributed read).
//!
//! A range `[start, end)` owns the lines that start inside it: a line cut by `start` belongs
//! to the range before, a line cut by `end` to this one. So any set of cut points gives every
//! line to exactly one range, and a range's rows keep the byte offsets (and so the sampling)
//! and the line numbers a read of the whole file gives them. The header in force at a range's
//! start is the file's first header block, read from the file's start; a file with header
//! lines further on is not cut (`scan_range` finds them), so no range needs another block.

use super::{detect, Cancel, Compression, MappedFile, BYTE_ORDER_MARK, ZSTD_MAGIC};
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

/// The part of a plain file a read covers. `lines_before`: the line ends before `start`
/// (found by `scan_range` over the ranges before), so that lines are numbered as in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
    pub lines_before: u64,
}

/// What planning needs to know of a file before cutting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub compression: Compression,
    pub size: u64,
    /// Where the first line that is not a header line starts (plain files only).
    pub header_end: u64,
    /// The header's lines (line ends before `header_end`).
    pub header_lines: u64,
    /// Whether the first non-blank line after the header is a JSON object.
    pub json: bool,
}

/// What one range holds, found without parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeScan {
    /// Line ends in `[start, end)`.
    pub newlines: u64,
    /// The first line starting in the range that sets a header key (`#fields`, `#separator`,
    /// ...), as the number of line ends between `start` and it.
    pub header_line: Option<u64>,
}

/// Header keys that change how the lines after them are read. Other `#` lines (`#open`,
/// `#close`, comments) change nothing.
const HEADER_KEYS: [&[u8]; 7] = [
    b"#separator",
    b"#set_separator",
    b"#empty_field",
    b"#unset_field",
    b"#path",
    b"#fields",
    b"#types",
];
const LONGEST_KEY: usize = 14;
const SCAN_BUFFER: usize = 1 << 20;

fn open_file(path: &str) -> Result<File> {
    let file = File::open(path).map_err(|e| Error::io(&e, path))?;
    let metadata = file.metadata().map_err(|e| Error::io(&e, path))?;
    if !metadata.is_file() {
        return Err(
            Error::schema("a byte range can only be read from a regular file").with_path(path),
        );
    }
    Ok(file)
}

pub(super) fn compression_of(file: &mut File, path: &str) -> Result<Compression> {
    let mut magic = Vec::with_capacity(ZSTD_MAGIC.len());
    file.by_ref()
        .take(ZSTD_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(|e| Error::io(&e, path))?;
    file.rewind().map_err(|e| Error::io(&e, path))?;
    Ok(detect(&magic))
}

/// One line of `reader` (with its line end) into `line`, at most `limit + 1` bytes of it.
/// Returns the line's full length; the bytes past the limit are read past, not kept.
fn next_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
    path: &str,
) -> Result<u64> {
    line.clear();
    let mut length = 0u64;
    loop {
        let available = reader.fill_buf().map_err(|e| Error::io(&e, path))?;
        if available.is_empty() {
            return Ok(length);
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        let room = (limit + 1).saturating_sub(line.len()).min(take);
        line.extend_from_slice(&available[..room]);
        reader.consume(take);
        length += take as u64;
        if done {
            return Ok(length);
        }
    }
}

/// Compression, size, where the header ends and whether the data is JSON.
pub fn plan_file(path: &str, max_line_bytes: usize) -> Result<FilePlan> {
    let mut file = open_file(path)?;
    let size = file.metadata().map_err(|e| Error::io(&e, path))?.len();
    let compression = compression_of(&mut file, path)?;
    let mut plan = FilePlan {
        compression,
        size,
        header_end: 0,
        header_lines: 0,
        json: false,
    };
    if compression != Compression::None {
        return Ok(plan);
    }
    let mut reader = BufReader::with_capacity(64 << 10, file);
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut in_header = true;
    loop {
        let length = next_line(&mut reader, &mut line, max_line_bytes, path)?;
        if length == 0 {
            if in_header {
                plan.header_end = offset;
            }
            return Ok(plan);
        }
        let text = if offset == 0 {
            line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(&line)
        } else {
            &line
        };
        if in_header && !text.starts_with(b"#") {
            plan.header_end = offset;
            in_header = false;
        }
        if in_header {
            plan.header_lines += 1;
        }
        if !in_header {
            let first = text.iter().find(|b| !b.is_ascii_whitespace());
            if let Some(&first) = first {
                plan.json = first == b'{';
                return Ok(plan);
            }
        }
        offset += length;
    }
}

/// Line ends in `[start, end)` of a plain file, and whether a line starting there sets a
/// header key.
pub fn scan_range(path: &str, start: u64, end: u64, cancel: &Cancel) -> Result<RangeScan> {
    let mut file = open_file(path)?;
    if compression_of(&mut file, path)? != Compression::None {
        return Err(Error::schema("only a plain file can be cut into byte ranges").with_path(path));
    }
    let mut scan = RangeScan {
        newlines: 0,
        header_line: None,
    };
    if end <= start {
        return Ok(scan);
    }
    // The byte before `start` says whether a line starts at `start`.
    let from = start.saturating_sub(1);
    file.seek(SeekFrom::Start(from))
        .map_err(|e| Error::io(&e, path))?;
    let mut remaining = end - from;
    let mut buffer = vec![0u8; SCAN_BUFFER];
    // The start of the last line begun and not yet checked (its first bytes may be in the
    // next buffer), kept with the bytes seen of it.
    let mut pending: Option<(u64, Vec<u8>)> = None;
    let mut line_start = start == 0;
    let mut skip_first = start > 0;
    while remaining > 0 {
        cancel.check().map_err(|e| e.with_path(path))?;
        let want = remaining.min(SCAN_BUFFER as u64) as usize;
        let got = file
            .read(&mut buffer[..want])
            .map_err(|e| Error::io(&e, path))?;
        if got == 0 {
            break;
        }
        remaining -= got as u64;
        let mut data = &buffer[..got];
        if skip_first {
            skip_first = false;
            line_start = data[0] == b'\n';
            data = &data[1..];
        }
        if let Some((lines, mut head)) = pending.take() {
            let wanted = LONGEST_KEY - head.len();
            let until = memchr::memchr(b'\n', data).unwrap_or(data.len());
            head.extend_from_slice(&data[..until.min(wanted)]);
            if head.len() < LONGEST_KEY && until == data.len() {
                pending = Some((lines, head));
            } else if scan.header_line.is_none() && sets_header_key(&head) {
                scan.header_line = Some(lines);
            }
        }
        // Header lines are rare: look only at the `#`s, counting the line ends before each
        // one from the last (so a file of `#` lines is still one pass).
        let before = scan.newlines;
        let (mut counted, mut lines) = (0, 0u64);
        if scan.header_line.is_none() && pending.is_none() {
            for at in memchr::memchr_iter(b'#', data) {
                let starts_line = if at == 0 {
                    line_start
                } else {
                    data[at - 1] == b'\n'
                };
                if !starts_line {
                    continue;
                }
                lines += memchr::memchr_iter(b'\n', &data[counted..at]).count() as u64;
                counted = at;
                let until = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
                let head = &data[at..until.min(at + LONGEST_KEY)];
                if head.len() < LONGEST_KEY && until == data.len() {
                    pending = Some((before + lines, head.to_vec()));
                } else if sets_header_key(head) {
                    scan.header_line = Some(before + lines);
                    break;
                }
            }
        }
        scan.newlines =
            before + lines + memchr::memchr_iter(b'\n', &data[counted..]).count() as u64;
        line_start = data.last().map_or(line_start, |&b| b == b'\n');
    }
    if let Some((lines, mut head)) = pending {
        // A line that starts just before `end`: its first bytes say whether it is a header
        // line.
        let mut more = [0u8; LONGEST_KEY];
        let wanted = LONGEST_KEY - head.len();
        let got = read_up_to(&mut file, &mut more[..wanted]).map_err(|e| Error::io(&e, path))?;
        let until = memchr::memchr(b'\n', &more[..got]).unwrap_or(got);
        head.extend_from_slice(&more[..until]);
        if scan.header_line.is_none() && sets_header_key(&head) {
            scan.header_line = Some(lines);
        }
    }
    Ok(scan)
}

/// Read until `out` is full or the file ends; the bytes read.
fn read_up_to(file: &mut File, out: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < out.len() {
        match file.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether a line that starts with `head` may set a header key (a `#fieldsX` line counts
/// too: cutting less is never wrong).
fn sets_header_key(head: &[u8]) -> bool {
    HEADER_KEYS.iter().any(|key| head.starts_with(key))
}

/// The bytes of a range, from the start of its first line to the end of its last: past
/// `end` only to finish the line `end` cuts.
pub(super) struct RangeRead {
    file: File,
    position: u64,
    end: u64,
    /// Whether the last byte given was a line end (true before any).
    at_line_start: bool,
    done: bool,
}

impl RangeRead {
    /// The range's file mapped from its first line, with the number of bytes to read, if
    /// there are at least `min_bytes` of them and the mapping can be guarded.
    pub(super) fn map(&self, min_bytes: Option<u64>) -> Option<(Arc<MappedFile>, usize)> {
        let size = self.file.metadata().ok()?.len();
        let wanted = self.end.min(size).checked_sub(self.position)?;
        if self.done || wanted < min_bytes?.max(1) {
            return None;
        }
        let map = MappedFile::map(&self.file, self.position, size)?;
        let bytes = map.bytes();
        // Past `end` only to finish the line it cuts.
        let cut = usize::try_from(self.end - self.position).ok()?;
        let end = if cut >= bytes.len() || bytes[cut - 1] == b'\n' {
            cut.min(bytes.len())
        } else {
            memchr::memchr(b'\n', &bytes[cut..]).map_or(bytes.len(), |at| cut + at + 1)
        };
        Some((Arc::new(map), end))
    }
}

impl Read for RangeRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        if self.position < self.end {
            let want = (self.end - self.position).min(out.len() as u64) as usize;
            let got = self.file.read(&mut out[..want])?;
            if got == 0 {
                self.done = true;
                return Ok(0);
            }
            self.position += got as u64;
            self.at_line_start = out[got - 1] == b'\n';
            return Ok(got);
        }
        if self.at_line_start {
            self.done = true;
            return Ok(0);
        }
        // Finish the line cut by `end`; the bytes read past its line end are dropped.
        let got = self.file.read(out)?;
        if got == 0 {
            self.done = true;
            return Ok(0);
        }
        match memchr::memchr(b'\n', &out[..got]) {
            Some(at) => {
                self.done = true;
                self.position += at as u64 + 1;
                Ok(at + 1)
            }
            None => {
                self.position += got as u64;
                Ok(got)
            }
        }
    }
}

/// Where a range's lines begin, and the stream of them.
pub(super) struct RangeStart {
    pub stream: RangeRead,
    /// Offset of the first line the range owns.
    pub offset: u64,
    /// Lines of the file before it.
    pub lines: u64,
}

/// Open `range` of the plain file `path`: its first header block applied to `header` (from
/// the file's start), then the stream of the lines the range owns.
pub(super) fn open_range(
    path: &str,
    range: &ByteRange,
    header: &mut HeaderState,
    max_line_bytes: usize,
    cancel: &Cancel,
) -> Result<RangeStart> {
    let mut file = open_file(path)?;
    if compression_of(&mut file, path)? != Compression::None {
        return Err(Error::schema("only a plain file can be cut into byte ranges").with_path(path));
    }
    if range.start == 0 {
        return Ok(RangeStart {
            stream: RangeRead {
                file,
                position: 0,
                end: range.end,
                at_line_start: true,
                done: range.end == 0,
            },
            offset: 0,
            lines: 0,
        });
    }
    let mut reader = BufReader::with_capacity(64 << 10, file);
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        cancel.check().map_err(|e| e.with_path(path))?;
        let length = next_line(&mut reader, &mut line, max_line_bytes, path)?;
        let text = if offset == 0 {
            line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(&line)
        } else {
            &line
        };
        if length == 0 || !text.starts_with(b"#") {
            break;
        }
        number += 1;
        if offset + length > range.start {
            return Err(Error::schema(format!(
                "the byte range starting at {} starts inside the header",
                range.start
            ))
            .with_path(path));
        }
        if text.len() > max_line_bytes {
            return Err(Error::new(
                ErrorKind::Header,
                format!("a header line is longer than max_line_bytes={max_line_bytes}"),
            )
            .with_line(number)
            .with_path(path));
        }
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        header
            .apply(text)
            .map_err(|e| e.with_line(number).with_path(path))?;
        offset += length;
    }
    let mut file = reader.into_inner();
    file.seek(SeekFrom::Start(range.start - 1))
        .map_err(|e| Error::io(&e, path))?;
    let mut before = [0u8; 1];
    let read = file.read(&mut before).map_err(|e| Error::io(&e, path))?;
    let mut first = range.start;
    let mut lines = range.lines_before;
    if read == 1 && before[0] != b'\n' {
        // The line `start` cuts belongs to the range before: read past it.
        let mut reader = BufReader::with_capacity(64 << 10, file);
        loop {
            cancel.check().map_err(|e| e.with_path(path))?;
            let available = reader.fill_buf().map_err(|e| Error::io(&e, path))?;
            if available.is_empty() {
                break;
            }
            if let Some(at) = memchr::memchr(b'\n', available) {
                first += at as u64 + 1;
                lines += 1;
                reader.consume(at + 1);
                break;
            }
            let n = available.len();
            first += n as u64;
            reader.consume(n);
        }
        file = reader.into_inner();
        file.seek(SeekFrom::Start(first))
            .map_err(|e| Error::io(&e, path))?;
    }
    Ok(RangeStart {
        stream: RangeRead {
            file,
            position: first,
            end: range.end,
            at_line_start: true,
            done: first >= range.end,
        },
        offset: first,
        lines,
    })
}
