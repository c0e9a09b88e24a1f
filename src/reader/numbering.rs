//! Line numbers for errors and skipped lines, counted across chunks in file order.

use super::ParsedChunk;
use crate::columns::MAX_REPORTED;
use crate::error::{Error, ErrorKind, Result};
use crate::source::{ReaderError, StreamSummary};

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
            let fatal = fatal.clone().with_path(&self.path);
            let fatal = match fatal.line {
                // Numbered within the chunk, as its bad lines are.
                Some(line) => fatal.with_line(base + line),
                // A chunk that could not be read at all: a file that shrank while read lost
                // its lines from the chunk's first on; memory ran out before that line.
                None if matches!(fatal.kind, ErrorKind::Truncated | ErrorKind::Memory) => {
                    fatal.with_line(base + 1)
                }
                None => fatal,
            };
            self.errors.push(fatal);
            self.count += 1;
            self.ended = true;
        }
    }

    /// Whether a fatal error ended the file: nothing after it counts.
    pub fn ended(&self) -> bool {
        self.ended
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::ChunkOutput;
    use crate::reader::files::ParsedChunk;

    /// A chunk's fatal error is numbered in the file: one numbered within the chunk moves by
    /// the lines before it, one about the whole chunk (memory ran out, the file shrank) is
    /// given the chunk's first line, and one about no line (a filter that does not fit) none.
    #[test]
    fn fatal_errors_are_numbered_from_the_lines_before_their_chunk() {
        let first = ParsedChunk::for_tests(0, ChunkOutput::rows(7, 10, Vec::new(), 0));
        let cases = [
            (Error::memory(1 << 20), Some(10 + 2 + 1)),
            (crate::source::cut_while_read(), Some(13)),
            (
                Error::parse("a run of lines over 4 GiB").with_line(1),
                Some(13),
            ),
            (Error::parse("on the third line").with_line(3), Some(15)),
            (Error::new(ErrorKind::Schema, "no such column"), None),
        ];
        for (error, line) in cases {
            let mut numbering = Numbering::new("conn.log");
            numbering.chunk(&first, 0);
            numbering.chunk(&ParsedChunk::for_tests(2, ChunkOutput::failed(error)), 0);
            assert!(numbering.ended());
            let numbered = &numbering.errors[0];
            assert_eq!(numbered.line, line, "{numbered}");
            assert_eq!(numbered.path.as_deref(), Some("conn.log"));
        }
    }
}
