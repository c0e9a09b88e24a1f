//! The error catalogue. Every error knows where it happened (path, line, column) so a user can
//! open the log at the offending byte; the Python layer maps each kind to one exception class.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Opening or reading a file failed (maps to `OSError`).
    Io(std::io::ErrorKind),
    /// A data line or value does not follow the header (maps to `ZeekParseError`).
    Parse,
    /// A header line is malformed, or a file has no header and no field list was given.
    Header,
    /// The compressed stream ends early, or has bytes after its end that are not part of it:
    /// the rows before are sound.
    Truncated,
    /// The compressed data is damaged (a checksum mismatch, corrupt deflate data): the rows
    /// decompressed from it cannot be trusted, so this is never skipped.
    Corrupt,
    /// Memory for the input ran out (maps to `MemoryError`).
    Memory,
    /// The read was interrupted by Ctrl-C (maps to `KeyboardInterrupt`).
    Interrupted,
    /// Column selection or header blocks that cannot be reconciled.
    Schema,
    /// A bug in zeekframe (a caught panic): reported, never propagated.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub path: Option<String>,
    /// 1-based line number in the decompressed stream.
    pub line: Option<u64>,
    /// 1-based field number within the line.
    pub column: Option<usize>,
    /// The offending text, cut to a readable length.
    pub value: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

const MAX_QUOTED_VALUE: usize = 80;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            path: None,
            line: None,
            column: None,
            value: None,
        }
    }

    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Parse, message)
    }

    pub fn header(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Header, message)
    }

    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }

    /// Memory for `bytes` more bytes could not be had.
    pub fn memory(bytes: usize) -> Self {
        Self::new(
            ErrorKind::Memory,
            format!("out of memory: {bytes} more bytes were needed to read the log"),
        )
    }

    pub fn io(err: &std::io::Error, path: &str) -> Self {
        Self::new(ErrorKind::Io(err.kind()), err.to_string()).with_path(path)
    }

    /// Describe a caught panic.
    pub fn from_panic(panic: &(dyn std::any::Any + Send)) -> Self {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Self::new(ErrorKind::Internal, message)
    }

    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_path(mut self, path: &str) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_owned());
        }
        self
    }

    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    /// Attach the offending bytes, shown lossily and shortened so one huge field cannot flood
    /// a traceback.
    pub fn with_value(mut self, value: &[u8]) -> Self {
        let text = String::from_utf8_lossy(value);
        let shown: String = if text.chars().count() > MAX_QUOTED_VALUE {
            text.chars()
                .take(MAX_QUOTED_VALUE)
                .chain("...".chars())
                .collect()
        } else {
            text.into_owned()
        };
        self.value = Some(shown);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{path}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": ")?;
        } else if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(value) = &self.value {
            write!(f, ": {value:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_position_and_value() {
        let err = Error::parse("invalid count")
            .with_value(b"12x")
            .with_column(4)
            .with_line(17)
            .with_path("conn.log");
        assert_eq!(err.to_string(), "conn.log:17:4: invalid count: \"12x\"");
    }

    #[test]
    fn long_values_are_shortened() {
        let err = Error::parse("bad").with_value(&[b'a'; 500]);
        let value = err.value.unwrap_or_default();
        assert_eq!(value.len(), MAX_QUOTED_VALUE + 3);
        assert!(value.ends_with("..."));
    }
}
