//! `zeekframe cut`: zeek-cut on raw log text, streamed.
//!
//! Lines are not parsed into values: the selected fields are copied as they are, so the
//! output is byte for byte what zeek-cut writes, and everything zeek-cut accepts is accepted
//! (headerless lines, blocks whose columns change, several logs one after the other). The
//! behaviour follows zeek-cut's C source line by line; the few places that differ are named
//! in the README (`zeekframe cut`): separators of several bytes are split on as a whole, a
//! NUL byte inside a line is kept, a last line without a line end keeps its last byte, and
//! each input ends its own last line.
//!
//! Runs of data lines are cut on all cores, a block at a time; header lines, which change
//! what is cut, are taken one at a time and in order.

use crate::error::{Error, Result};
use crate::source::Cancel;
use memchr::memmem;
use rayon::prelude::*;
use std::ffi::CString;
use std::io::{Read, Write};

/// Which header blocks are written (zeek-cut's `-c`/`-m`: the first, `-C`/`-M`: all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Headers {
    None = 0,
    First = 1,
    All = 2,
}

/// The clock that times are converted on (`-d`/`-D`: local, `-u`/`-U`: UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Local,
    Utc,
}

/// zeek-cut's default time format.
pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%z";

/// What to cut: zeek-cut's options.
#[derive(Debug, Clone)]
pub struct CutOptions {
    /// The columns to write, in this order (all when empty).
    pub columns: Vec<Vec<u8>>,
    /// `-n`: every column except `columns`.
    pub negate: bool,
    pub headers: Headers,
    /// `-m`/`-M`: only the column names, as one line per block.
    pub minimal: bool,
    /// `-d`/`-u`/`-D`/`-U`: `time` columns as text in this strftime format.
    pub time: Option<(Zone, String)>,
    /// `-F`: the output separator (by default the log's own).
    pub output_separator: Option<u8>,
    /// A longer line is an error rather than a buffer that grows without bound.
    pub max_line_bytes: usize,
    /// The size of the blocks read and cut at a time.
    pub block_bytes: usize,
}

impl CutOptions {
    pub fn new(columns: Vec<Vec<u8>>) -> CutOptions {
        CutOptions {
            columns,
            negate: false,
            headers: Headers::None,
            minimal: false,
            time: None,
            output_separator: None,
            max_line_bytes: crate::source::DEFAULT_MAX_LINE_BYTES,
            block_bytes: 4 << 20,
        }
    }
}

/// A line that was not written as it is, as zeek-cut reports it on standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The input's name (as given by the caller) and the line's number in it, from 1.
    pub path: String,
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CutSummary {
    /// Lines read, header lines included.
    pub lines: u64,
    /// Lines written.
    pub written: u64,
    /// Lines left out because they have fewer fields than the columns asked for.
    pub skipped: u64,
    /// Time values written as they are because they are not times.
    pub bad_times: u64,
}

/// What the current header block says.
#[derive(Debug, Clone)]
struct Layout {
    separator: Vec<u8>,
    output_separator: Vec<u8>,
    unset: Vec<u8>,
    /// For each column written, its index in the line (None: the log has no such column,
    /// written empty).
    out: Vec<Option<usize>>,
    /// The fields a line needs: the highest index in `out` plus one.
    range: usize,
    /// Whether each of the first `range` columns is a `time`.
    time_columns: Vec<bool>,
}

/// One block's or one line's output and the notices it raised (line numbers relative).
#[derive(Default)]
struct Piece {
    out: Vec<u8>,
    notices: Vec<(u64, String)>,
    lines: u64,
    written: u64,
    skipped: u64,
    bad_times: u64,
}

unsafe extern "C" {
    /// POSIX `tzset` (which the libc crate does not declare).
    fn tzset();
}

/// The converted text of the last second seen (zeek-cut keeps the same cache).
struct Clock {
    zone: Zone,
    format: CString,
    last: Option<(i64, Vec<u8>)>,
}

impl Clock {
    fn new(zone: Zone, format: &str) -> Result<Clock> {
        if format.is_empty() {
            return Err(Error::parse("time format string cannot be empty"));
        }
        let format = CString::new(format)
            .map_err(|_| Error::parse("the time format string holds a NUL byte"))?;
        if zone == Zone::Local {
            // SAFETY: tzset has no preconditions; it reads TZ for localtime_r below.
            unsafe { tzset() };
        }
        Ok(Clock {
            zone,
            format,
            last: None,
        })
    }

    fn fork(&self) -> Clock {
        Clock {
            zone: self.zone,
            format: self.format.clone(),
            last: None,
        }
    }

    /// `seconds` as text, or None when the C library cannot convert it (out of range, or a
    /// result longer than zeek-cut's 100-byte buffer).
    fn format(&mut self, seconds: i64) -> std::result::Result<&[u8], &'static str> {
        let cached = matches!(&self.last, Some((s, _)) if *s == seconds);
        if !cached {
            let mut buffer = [0u8; 100];
            // SAFETY: `tm` is plain data that gmtime_r/localtime_r fill when they return
            // non-null; strftime writes at most `buffer.len()` bytes into `buffer` and reads
            // the NUL-terminated format.
            let written = unsafe {
                let time: libc::time_t = seconds;
                let mut tm: libc::tm = std::mem::zeroed();
                let converted = match self.zone {
                    Zone::Local => libc::localtime_r(&time, &mut tm),
                    Zone::Utc => libc::gmtime_r(&time, &mut tm),
                };
                if converted.is_null() {
                    return Err("time value out-of-range");
                }
                libc::strftime(
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    self.format.as_ptr(),
                    &tm,
                )
            };
            if written == 0 {
                return Err("failed to convert timestamp (try a shorter format string)");
            }
            self.last = Some((seconds, buffer[..written].to_vec()));
        }
        // The cache was just filled if it was not already.
        Ok(self
            .last
            .as_ref()
            .map_or(&[][..], |(_, text)| text.as_slice()))
    }
}

/// C's `strtol(field, &end, 10)`: the value (saturated) and where the number ends (0 when
/// there are no digits, as C points `end` back at the start).
fn strtol(field: &[u8]) -> (i64, usize) {
    let mut at = 0;
    while at < field.len() && matches!(field[at], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        at += 1;
    }
    let negative = field.get(at) == Some(&b'-');
    if matches!(field.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    let digits_from = at;
    let mut value: i64 = 0;
    let mut overflow = false;
    while let Some(digit) = field.get(at).filter(|b| b.is_ascii_digit()) {
        let digit = i64::from(digit - b'0');
        match value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        }) {
            Some(next) => value = next,
            None => overflow = true,
        }
        at += 1;
    }
    if at == digits_from {
        return (0, 0);
    }
    if overflow {
        value = if negative { i64::MIN } else { i64::MAX };
    }
    (value, at)
}

fn split<'a>(line: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let finder = memmem::Finder::new(separator);
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let current = rest?;
        match finder.find(current) {
            Some(at) => {
                rest = Some(&current[at + separator.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The value of a `#separator` line. A run of `\xHH` escapes and nothing else (as Zeek
/// writes it) is the separator, however many bytes it has; anything else is read as
/// zeek-cut reads it: after `\x`, the hexadecimal number that follows (`\x9`, `\x09\r`:
/// a tab), else the first byte (`,`). An empty result (`\xzz`, nothing) is invalid.
fn parse_separator(value: &[u8]) -> Vec<u8> {
    let escapes_only = !value.is_empty()
        && value.len() % 4 == 0
        && value
            .chunks(4)
            .all(|c| c.starts_with(b"\\x") && c[2..].iter().all(u8::is_ascii_hexdigit));
    if escapes_only {
        return crate::format::escape::unescape(value);
    }
    match value.strip_prefix(b"\\x") {
        Some(digits) => {
            // C's strtol(digits, NULL, 16), saturating, then kept as a char.
            let mut number: i64 = 0;
            for digit in digits.iter().map_while(|&b| char::from(b).to_digit(16)) {
                number = number.saturating_mul(16).saturating_add(i64::from(digit));
            }
            vec![number as u8].into_iter().filter(|&b| b != 0).collect()
        }
        None => value.first().map(|&b| vec![b]).unwrap_or_default(),
    }
}

impl Layout {
    fn new() -> Layout {
        Layout {
            separator: b"\t".to_vec(),
            output_separator: b"\t".to_vec(),
            unset: b"-".to_vec(),
            out: Vec::new(),
            range: 0,
            time_columns: Vec::new(),
        }
    }

    /// The columns to write, from a `#fields` line's names.
    fn select(&mut self, names: &[u8], options: &CutOptions) {
        let fields: Vec<&[u8]> = split(names, &self.separator).collect();
        if options.columns.is_empty() {
            self.out = (0..fields.len()).map(Some).collect();
            self.range = fields.len();
        } else if !options.negate {
            self.out = options
                .columns
                .iter()
                .map(|c| fields.iter().position(|f| f == c))
                .collect();
            self.range = self.out.iter().flatten().max().map_or(1, |m| m + 1);
        } else {
            self.out = (0..fields.len())
                .filter(|&i| !options.columns.iter().any(|c| c == fields[i]))
                .map(Some)
                .collect();
            self.range = self.out.iter().flatten().max().map_or(1, |m| m + 1);
        }
    }
}

/// Cuts lines as zeek-cut does, keeping what the header lines said from one input to the
/// next (as `cat a.log b.log | zeek-cut` does).
pub struct Cutter<'o> {
    options: &'o CutOptions,
    layout: Layout,
    clock: Option<Clock>,
    headers_seen: Headers,
    previous_was_header: bool,
    previous_was_fields: bool,
    summary: CutSummary,
}

impl<'o> Cutter<'o> {
    pub fn new(options: &'o CutOptions) -> Result<Cutter<'o>> {
        let clock = match &options.time {
            Some((zone, format)) => Some(Clock::new(*zone, format)?),
            None => None,
        };
        Ok(Cutter {
            options,
            layout: Layout::new(),
            clock,
            headers_seen: Headers::None,
            previous_was_header: false,
            previous_was_fields: false,
            summary: CutSummary::default(),
        })
    }

    pub fn summary(&self) -> CutSummary {
        self.summary
    }

    /// Cut all of `input` (named `path` in errors and notices) into `out`; notices go to
    /// `notice` as they arise, in line order.
    pub fn cut(
        &mut self,
        input: &mut dyn Read,
        path: &str,
        out: &mut dyn Write,
        notice: &mut dyn FnMut(Notice),
        cancel: &Cancel,
    ) -> Result<()> {
        let block = self.options.block_bytes.max(1 << 10);
        let mut buffer: Vec<u8> = Vec::new();
        // Lines before `buffer`'s first byte.
        let mut line_base: u64 = 0;
        let mut at_end = false;
        while !at_end {
            cancel.check()?;
            // Fill to at least one block past what is held (a line longer than a block makes
            // the buffer grow, up to the longest line allowed).
            let target = buffer.len() + block;
            buffer.reserve(block);
            while buffer.len() < target {
                let start = buffer.len();
                buffer.resize(target, 0);
                let got = loop {
                    match input.read(&mut buffer[start..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            buffer.truncate(start);
                            return Err(Error::io(&e, path));
                        }
                    }
                };
                buffer.truncate(start + got);
                if got == 0 {
                    at_end = true;
                    break;
                }
            }
            let complete = if at_end {
                buffer.len()
            } else {
                match memchr::memrchr(b'\n', &buffer) {
                    Some(last) => last + 1,
                    None if buffer.len() > self.options.max_line_bytes => {
                        return Err(Error::parse(format!(
                            "a line is longer than the {} bytes allowed (max_line_bytes)",
                            self.options.max_line_bytes
                        ))
                        .with_path(path)
                        .with_line(line_base + 1));
                    }
                    None => continue,
                }
            };
            let lines = self.cut_lines(&buffer[..complete], path, line_base, out, notice)?;
            line_base += lines;
            buffer.drain(..complete);
        }
        out.flush().map_err(|e| Error::io(&e, "the output"))?;
        Ok(())
    }

    /// Whole lines (the last one's line end may be missing); returns how many there were.
    fn cut_lines(
        &mut self,
        text: &[u8],
        path: &str,
        line_base: u64,
        out: &mut dyn Write,
        notice: &mut dyn FnMut(Notice),
    ) -> Result<u64> {
        let mut at = 0;
        let mut lines = 0;
        while at < text.len() {
            let piece = if text[at] == b'#' || self.previous_was_fields {
                let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |e| at + e + 1);
                let line = text[at..end].strip_suffix(b"\n").unwrap_or(&text[at..end]);
                let piece = self
                    .header_line(line)
                    .map_err(|e| e.with_path(path).with_line(line_base + lines + 1))?;
                at = end;
                piece
            } else {
                // Data lines up to the next header line, cut in parallel.
                let end = memmem::find(&text[at..], b"\n#").map_or(text.len(), |e| at + e + 1);
                self.previous_was_header = false;
                let piece = self.data_lines(&text[at..end]);
                at = end;
                piece
            };
            for (line, message) in &piece.notices {
                notice(Notice {
                    path: path.to_owned(),
                    line: line_base + lines + line + 1,
                    message: message.clone(),
                });
            }
            lines += piece.lines;
            self.summary.lines += piece.lines;
            self.summary.written += piece.written;
            self.summary.skipped += piece.skipped;
            self.summary.bad_times += piece.bad_times;
            out.write_all(&piece.out)
                .map_err(|e| Error::io(&e, "the output"))?;
        }
        Ok(lines)
    }

    /// A run of data lines: split into as many parts as there are threads, each cut on its
    /// own (with its own time cache), then put back in order.
    fn data_lines(&mut self, text: &[u8]) -> Piece {
        const MIN_PART: usize = 256 << 10;
        let parts = rayon::current_num_threads()
            .min(text.len() / MIN_PART)
            .max(1);
        if parts == 1 {
            let mut piece = Piece::default();
            cut_data(&self.layout, self.clock.as_mut(), text, &mut piece);
            return piece;
        }
        let mut bounds = vec![0];
        for k in 1..parts {
            let guess = (text.len() * k / parts).max(*bounds.last().unwrap_or(&0));
            let end = memchr::memchr(b'\n', &text[guess..]).map_or(text.len(), |e| guess + e + 1);
            bounds.push(end);
        }
        bounds.push(text.len());
        let layout = &self.layout;
        let clocks: Vec<Option<Clock>> = (0..parts)
            .map(|_| self.clock.as_ref().map(Clock::fork))
            .collect();
        let pieces: Vec<Piece> = clocks
            .into_par_iter()
            .enumerate()
            .map(|(k, mut clock)| {
                let mut piece = Piece::default();
                cut_data(
                    layout,
                    clock.as_mut(),
                    &text[bounds[k]..bounds[k + 1]],
                    &mut piece,
                );
                piece
            })
            .collect();
        let mut joined = Piece {
            out: Vec::with_capacity(pieces.iter().map(|p| p.out.len()).sum()),
            ..Piece::default()
        };
        for piece in pieces {
            joined.out.extend_from_slice(&piece.out);
            let base = joined.lines;
            joined
                .notices
                .extend(piece.notices.into_iter().map(|(l, m)| (base + l, m)));
            joined.lines += piece.lines;
            joined.written += piece.written;
            joined.skipped += piece.skipped;
            joined.bad_times += piece.bad_times;
        }
        joined
    }

    /// One line that starts with `#`, or any line right after a `#fields` line (an error
    /// unless it is `#types`).
    fn header_line(&mut self, line: &[u8]) -> Result<Piece> {
        let mut piece = Piece {
            lines: 1,
            ..Piece::default()
        };
        // A line that does not start with `#` comes here only right after `#fields`, and
        // is refused.
        if self.previous_was_fields && !line.starts_with(b"#types") {
            return Err(Error::header("bad log header (missing #types line)"));
        }
        if !self.previous_was_header {
            self.previous_was_header = true;
            self.headers_seen = match self.headers_seen {
                Headers::None => Headers::First,
                _ => Headers::All,
            };
        }
        let options = self.options;
        let layout = &mut self.layout;
        if let Some(value) = line.strip_prefix(b"#separator ") {
            let separator = parse_separator(value);
            if separator.is_empty() || separator.contains(&0) {
                return Err(Error::header("bad log header (invalid #separator line)"));
            }
            layout.output_separator = match options.output_separator {
                Some(byte) => vec![byte],
                None => separator.clone(),
            };
            layout.separator = separator;
        } else if line.starts_with(b"#unset_field") {
            let rest = &line[12..];
            let value = rest
                .strip_prefix(layout.separator.as_slice())
                .unwrap_or(rest.get(1..).unwrap_or_default());
            if value.is_empty() {
                return Err(Error::header("bad log header (invalid #unset_field line)"));
            }
            layout.unset = value.to_vec();
        } else if line.starts_with(b"#fields") {
            self.previous_was_fields = true;
            let names = after_keyword(line, 7, &layout.separator);
            layout.select(names, options);
        } else if line.starts_with(b"#types") {
            if !self.previous_was_fields {
                return Err(Error::header("bad log header (missing #fields line)"));
            }
            self.previous_was_fields = false;
            if options.time.is_some() {
                let types: Vec<&[u8]> =
                    split(after_keyword(line, 6, &layout.separator), &layout.separator)
                        .take(layout.range)
                        .collect();
                if types.len() < layout.range {
                    return Err(Error::header("log header does not have enough fields"));
                }
                layout.time_columns = types.iter().map(|t| *t == b"time").collect();
            }
        }
        if options.headers >= self.headers_seen {
            let fields_line = line.starts_with(b"#fields");
            if fields_line || (line.starts_with(b"#types") && !options.minimal) {
                cut_header(&self.layout, options, line, &mut piece);
            } else if !options.minimal {
                piece.out.extend_from_slice(line);
                piece.out.push(b'\n');
                piece.written += 1;
            }
        }
        Ok(piece)
    }
}

/// What follows a header keyword of `len` bytes and the separator after it.
fn after_keyword<'a>(line: &'a [u8], len: usize, separator: &[u8]) -> &'a [u8] {
    let rest = &line[len..];
    rest.strip_prefix(separator)
        .unwrap_or(rest.get(1..).unwrap_or_default())
}

/// The first `want` fields of `line`, or None when it has fewer.
fn fields<'a>(line: &'a [u8], separator: &'a [u8], want: usize, into: &mut Vec<&'a [u8]>) -> bool {
    into.clear();
    if want == 0 {
        return true;
    }
    if let [byte] = separator {
        let mut start = 0;
        for end in memchr::memchr_iter(*byte, line) {
            into.push(&line[start..end]);
            if into.len() == want {
                return true;
            }
            start = end + 1;
        }
        into.push(&line[start..]);
    } else {
        into.extend(split(line, separator).take(want));
    }
    into.len() == want
}

/// A `#fields` or `#types` line with the selected columns (`time` typed as `string` when
/// times are converted, since they no longer are).
fn cut_header(layout: &Layout, options: &CutOptions, line: &[u8], piece: &mut Piece) {
    let mut parts = Vec::new();
    if !fields(line, &layout.separator, layout.range + 1, &mut parts) {
        piece
            .notices
            .push((0, "skipping log line (not enough fields)".to_owned()));
        piece.skipped += 1;
        return;
    }
    let retype = options.time.is_some() && parts[0] == b"#types";
    let out = &mut piece.out;
    let mut first = true;
    if !options.minimal {
        out.extend_from_slice(parts[0]);
        first = false;
    }
    for index in &layout.out {
        if !first {
            out.extend_from_slice(&layout.output_separator);
        }
        first = false;
        if let Some(i) = index {
            let field = parts[i + 1];
            out.extend_from_slice(if retype && field == b"time" {
                b"string"
            } else {
                field
            });
        }
    }
    out.push(b'\n');
    piece.written += 1;
}

/// Data lines (each ends with a line end, except perhaps the last).
fn cut_data(layout: &Layout, mut clock: Option<&mut Clock>, text: &[u8], piece: &mut Piece) {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(layout.range);
    let mut start = 0;
    let mut line_no = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |e| start + e);
        let line = &text[start..end];
        start = end + 1;
        line_no += 1;
        if !fields(line, &layout.separator, layout.range, &mut parts) {
            piece.notices.push((
                line_no - 1,
                "skipping log line (not enough fields)".to_owned(),
            ));
            piece.skipped += 1;
            continue;
        }
        let out = &mut piece.out;
        for (k, index) in layout.out.iter().enumerate() {
            if k > 0 {
                out.extend_from_slice(&layout.output_separator);
            }
            let Some(i) = *index else { continue };
            let field = parts[i];
            match clock.as_deref_mut() {
                Some(clock) if layout.time_columns.get(i) == Some(&true) => {
                    if let Some(message) = convert_time(clock, &layout.unset, field, out) {
                        piece.notices.push((line_no - 1, message));
                        piece.bad_times += 1;
                    }
                }
                _ => out.extend_from_slice(field),
            }
        }
        out.push(b'\n');
        piece.written += 1;
    }
    piece.lines += line_no;
}

/// zeek-cut's `output_time`: a time is digits and a `.` (what follows is ignored); anything
/// else is written as it is, with a notice unless it is the unset field.
fn convert_time(
    clock: &mut Clock,
    unset: &[u8],
    field: &[u8],
    out: &mut Vec<u8>,
) -> Option<String> {
    let (seconds, end) = strtol(field);
    let shown = || String::from_utf8_lossy(field).into_owned();
    let message = if seconds < 0 || seconds == i64::MAX {
        Some(format!("time value out-of-range: {}", shown()))
    } else if field.get(end) != Some(&b'.') {
        (field != unset).then(|| format!("time field is not valid: {}", shown()))
    } else {
        match clock.format(seconds) {
            Ok(text) => {
                out.extend_from_slice(text);
                return None;
            }
            Err(reason) if reason.starts_with("time value") => {
                Some(format!("{reason}: {}", shown()))
            }
            Err(reason) => Some(reason.to_owned()),
        }
    };
    out.extend_from_slice(field);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(options: &CutOptions, text: &str) -> (String, Vec<String>, Result<()>) {
        let mut cutter = match Cutter::new(options) {
            Ok(c) => c,
            Err(e) => return (String::new(), Vec::new(), Err(e)),
        };
        let mut out = Vec::new();
        let mut notices = Vec::new();
        let result = cutter.cut(
            &mut text.as_bytes(),
            "t.log",
            &mut out,
            &mut |n| notices.push(format!("{}:{}", n.line, n.message)),
            &Cancel::default(),
        );
        (String::from_utf8_lossy(&out).into_owned(), notices, result)
    }

    const LOG: &str =
        "#separator \\x09\n#unset_field\t-\n#fields\tts\tuid\tn\n#types\ttime\tstring\tcount\n\
                       1329843175.736107\tCa\t1\n-\tCb\t2\nshort\n";

    #[test]
    fn cuts_selects_and_reports_as_zeek_cut() {
        let options = CutOptions::new(vec![b"n".to_vec(), b"nope".to_vec(), b"ts".to_vec()]);
        let (out, notices, result) = run(&options, LOG);
        assert!(result.is_ok());
        assert_eq!(out, "1\t\t1329843175.736107\n2\t\t-\n");
        assert_eq!(notices, ["7:skipping log line (not enough fields)"]);
        let mut options = CutOptions::new(vec![b"uid".to_vec()]);
        options.negate = true;
        options.headers = Headers::First;
        options.time = Some((Zone::Utc, DEFAULT_TIME_FORMAT.to_owned()));
        options.output_separator = Some(b',');
        let (out, _, _) = run(&options, LOG);
        assert_eq!(
            out,
            "#separator \\x09\n#unset_field\t-\n#fields,ts,n\n#types,string,count\n\
             2012-02-21T16:52:55+0000,1\n-,2\n"
        );
    }

    #[test]
    fn header_blocks_are_counted_after_data() {
        let mut options = CutOptions::new(Vec::new());
        options.headers = Headers::First;
        options.minimal = true;
        let block = "#fields\ta\n#types\tstring\nx\n#close\tnow\n";
        let (out, _, _) = run(&options, &block.repeat(3));
        assert_eq!(out, "a\nx\nx\nx\n");
        options.headers = Headers::All;
        let (out, _, _) = run(&options, &block.repeat(2));
        assert_eq!(out, "a\nx\na\nx\n");
    }

    #[test]
    fn header_errors_name_the_line() {
        let options = CutOptions::new(Vec::new());
        let (_, _, result) = run(&options, "#separator \\x00\n");
        let error = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("invalid #separator line"), "{error}");
        assert!(error.starts_with("t.log:1: "), "{error}");
        let (_, _, result) = run(&options, "#fields\ta\nx\n");
        assert!(result.is_err());
        let (out, _, result) = run(&options, "x\ty\n");
        assert!(result.is_ok());
        assert_eq!(out, "\n", "no header: zeek-cut writes empty lines");
    }

    #[test]
    fn times_out_of_range_or_invalid_are_kept() {
        let mut options = CutOptions::new(Vec::new());
        options.time = Some((Zone::Utc, DEFAULT_TIME_FORMAT.to_owned()));
        let text = "#fields\tts\n#types\ttime\nhello\n-12345.5\n77777777777777777777\n\n123\n.5\n\
                    9000000000000000000.0\n";
        let (out, notices, _) = run(&options, text);
        assert_eq!(
            out,
            "hello\n-12345.5\n77777777777777777777\n\n123\n1970-01-01T00:00:00+0000\n9000000000000000000.0\n"
        );
        assert_eq!(notices.len(), 6, "{notices:?}");
        assert!(notices[0].ends_with("time field is not valid: hello"));
        assert!(notices[5].contains("out-of-range"), "{notices:?}");
        assert_eq!(strtol(b" +12.5"), (12, 4));
        assert_eq!(strtol(b"-"), (0, 0));
        assert_eq!(strtol(b"99999999999999999999."), (i64::MAX, 20));
    }

    #[test]
    fn separators_as_zeek_cut_reads_them() {
        assert_eq!(parse_separator(b"\\x09"), b"\t");
        assert_eq!(parse_separator(b"\\x7c\\x7c"), b"||");
        assert_eq!(parse_separator(b"\\x09\r"), b"\t");
        assert_eq!(parse_separator(b"\\x9"), b"\t");
        assert_eq!(parse_separator(b","), b",");
        assert_eq!(parse_separator(b"||"), b"|");
        assert!(parse_separator(b"\\xzz").is_empty());
        assert_eq!(
            parse_separator(b"\\x00"),
            [0],
            "refused by the caller, as zeek-cut does"
        );
        assert!(parse_separator(b"").is_empty());
        assert_eq!(parse_separator(b"\\x1ff"), [0xff]);
        // A carriage return after the separator's escape: still a tab.
        let options = CutOptions::new(vec![b"ts".to_vec()]);
        let (out, _, result) = run(
            &options,
            "#separator \\x09\r\n#fields\tts\n#types\ttime\n1.5\n",
        );
        assert!(result.is_ok());
        assert_eq!(out, "1.5\n");
    }

    #[test]
    fn multi_byte_separators_and_long_lines() {
        let options = CutOptions::new(vec![b"b".to_vec()]);
        let (out, _, _) = run(
            &options,
            "#separator \\x7c\\x7c\n#fields||a||b\n#types||string||string\nx|y||z\n",
        );
        assert_eq!(out, "z\n");
        let mut options = CutOptions::new(Vec::new());
        options.max_line_bytes = 2000;
        options.block_bytes = 1024;
        let long = format!("#fields\ta\n#types\tstring\n{}\n", "x".repeat(5000));
        let (_, _, result) = run(&options, &long);
        assert!(result.is_err_and(|e| e.to_string().contains("max_line_bytes")));
        // Many blocks, lines across block edges, parallel parts: the same as one block.
        let mut text = String::from("#fields\ta\tb\n#types\tstring\tcount\n");
        for i in 0..100_000 {
            text.push_str(&format!("v{i}\t{i}\n"));
        }
        let whole = run(&CutOptions::new(vec![b"b".to_vec()]), &text).0;
        let mut small = CutOptions::new(vec![b"b".to_vec()]);
        small.block_bytes = 1024;
        assert_eq!(run(&small, &text).0, whole);
        assert_eq!(whole.lines().count(), 100_000);
        assert!(whole.ends_with("99999\n"));
    }
}
