//! Frames back to Zeek logs: TSV as Zeek's ASCII writer writes it (header block, markers,
//! escapes, `#open`/`#close`) or JSON lines as its JSON writer does, plain, gzip or zstd.
//!
//! Rows are formatted in slices on all threads; a compressed log is written as one gzip
//! member (or zstd frame) per slice, which every gzip and zstd reader reads as one stream, so
//! compression runs in parallel too. Memory stays bounded by the slices in flight.

pub mod cells;
pub mod json;
pub mod numbers;
pub mod tsv;

use crate::error::{Error, ErrorKind, Result};
use crate::format::header::Markers;
use crate::format::types::ZeekType;
use crate::source::Cancel;
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use cells::{cells, kind_of, Cells, Kind};
use json::{JsonRows, JsonTime};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use tsv::{escape_header_value, Escaper};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Tsv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCompression {
    None,
    Gzip(u32),
    Zstd(i32),
}

/// The `#open` and `#close` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamps {
    /// The local time when the file is opened and closed, as Zeek writes them.
    Now,
    /// The same text for both (reproducible output).
    Fixed(String),
    /// No `#open` or `#close` line.
    Omit,
}

#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub format: LogFormat,
    pub markers: Markers,
    /// The `#path` value (the log's name, such as `conn`).
    pub path: String,
    pub stamps: Stamps,
    pub time_format: JsonTime,
    /// JSON: write unset fields as `null` instead of leaving them out.
    pub include_unset: bool,
    pub compression: OutputCompression,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            format: LogFormat::Tsv,
            markers: Markers::default(),
            path: String::new(),
            stamps: Stamps::Now,
            time_format: JsonTime::Epoch,
            include_unset: false,
            compression: OutputCompression::None,
        }
    }
}

/// A column of the log: its name, the Zeek type its header declares, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub zeek_type: String,
    kind: Kind,
}

/// The Zeek type a column of `kind` is written as when nothing says otherwise.
fn default_type(kind: &Kind) -> String {
    match kind {
        Kind::Null | Kind::Text => "string".to_owned(),
        Kind::Bool => "bool".to_owned(),
        Kind::SmallUnsigned => "port".to_owned(),
        Kind::Unsigned => "count".to_owned(),
        Kind::Signed => "int".to_owned(),
        Kind::Float => "double".to_owned(),
        Kind::Time => "time".to_owned(),
        Kind::Interval => "interval".to_owned(),
        Kind::Categorical => "enum".to_owned(),
        Kind::List(element) => format!("vector[{}]", default_type(element)),
    }
}

/// Whether values of `kind` print as text that a reader of `zeek_type` takes.
fn fits(kind: &Kind, zeek_type: &ZeekType) -> bool {
    match (kind, zeek_type) {
        (Kind::Null, _) => true,
        (Kind::Bool, ZeekType::Bool) => true,
        (Kind::SmallUnsigned, ZeekType::Count | ZeekType::Port) => true,
        (Kind::Unsigned, ZeekType::Count) => true,
        (Kind::Signed, ZeekType::Int) => true,
        (Kind::Float, ZeekType::Double) => true,
        (Kind::Time, ZeekType::Time) => true,
        (Kind::Interval, ZeekType::Interval) => true,
        (Kind::Text | Kind::Categorical, ZeekType::String | ZeekType::Enum) => true,
        (Kind::List(element), ZeekType::List(inner)) => fits(element, inner),
        _ => false,
    }
}

impl Column {
    /// The columns of `schema`. A column's Zeek type is `types[name]` (an error if its values
    /// cannot be read as that type), else `hints[name]` when its values fit that type (the
    /// schema the frame was read with, or the built-in schema of the log's path), else the
    /// type its Arrow type maps to.
    pub fn resolve(
        schema: &Schema,
        types: &HashMap<String, String>,
        hints: &HashMap<String, String>,
        markers: &Markers,
    ) -> Result<Vec<Column>> {
        if schema.fields().is_empty() {
            return Err(Error::schema("the frame has no columns to write"));
        }
        if let Some(name) = types.keys().find(|n| schema.field_with_name(n).is_err()) {
            return Err(Error::schema(format!(
                "types names column {name:?}, which the frame does not have"
            )));
        }
        schema
            .fields()
            .iter()
            .map(|field| {
                let name = field.name();
                check_name(name, "column name", markers)?;
                let kind = kind_of(field.data_type())
                    .ok_or_else(|| cells::unsupported(name, field.data_type()))?;
                let zeek_type = match (types.get(name), hints.get(name)) {
                    (Some(given), _) => {
                        check_name(given, "Zeek type", markers)?;
                        if !fits(&kind, &ZeekType::parse(given)) {
                            return Err(Error::schema(format!(
                                "column {name:?} holds {} values, which a Zeek {given} \
                                 cannot hold",
                                field.data_type()
                            )));
                        }
                        given.clone()
                    }
                    (None, Some(hint))
                        if check_name(hint, "Zeek type", markers).is_ok()
                            && fits(&kind, &ZeekType::parse(hint)) =>
                    {
                        hint.clone()
                    }
                    _ => default_type(&kind),
                };
                Ok(Column {
                    name: name.clone(),
                    zeek_type,
                    kind,
                })
            })
            .collect()
    }
}

fn check_name(name: &str, what: &str, markers: &Markers) -> Result<()> {
    let bytes = name.as_bytes();
    let bad = name.is_empty()
        || bytes.iter().any(|b| b.is_ascii_control())
        || bytes
            .windows(markers.separator.len().max(1))
            .any(|w| w == markers.separator.as_slice());
    if bad {
        return Err(Error::schema(format!(
            "{what} {name:?} cannot go into a Zeek header: it is empty or holds the \
             separator or a control character"
        )));
    }
    Ok(())
}

/// Markers with which every value can be written so that it reads back as itself.
fn check_markers(markers: &Markers) -> Result<()> {
    let Markers {
        separator,
        set_separator,
        empty_field,
        unset_field,
    } = markers;
    let line_end = |m: &[u8]| m.contains(&b'\n') || m.contains(&b'\r');
    if [separator, set_separator, empty_field, unset_field]
        .iter()
        .any(|m| m.is_empty() || line_end(m))
    {
        return Err(Error::schema("a marker cannot be empty or hold a line end"));
    }
    // An escape (`\xHH`) must never end in a separator's first bytes.
    if separator
        .iter()
        .chain(set_separator.iter())
        .any(|b| b.is_ascii_hexdigit() || matches!(b, b'\\' | b'x'))
    {
        return Err(Error::schema(
            "a separator cannot hold a backslash, an 'x' or a hex digit, the characters of \
             Zeek's escapes",
        ));
    }
    if set_separator.len() != 1 {
        return Err(Error::schema(
            "the set separator must be one byte: Zeek's readers split sets on its first byte",
        ));
    }
    if separator == set_separator {
        return Err(Error::schema(
            "the separator and the set separator must differ",
        ));
    }
    let holds = |m: &[u8], part: &[u8]| m.windows(part.len()).any(|w| w == part);
    if holds(empty_field, separator) || holds(unset_field, separator) {
        return Err(Error::schema(
            "the empty and unset markers cannot hold the separator",
        ));
    }
    // A marker that ends in the separator's first bytes (`-|` before `||`) would run into it.
    let runs_into = |m: &[u8]| (1..separator.len()).any(|k| m.ends_with(&separator[..k]));
    if runs_into(empty_field) || runs_into(unset_field) {
        return Err(Error::schema(
            "the empty and unset markers cannot end with the separator's first bytes",
        ));
    }
    if markers.unset_field == markers.empty_field {
        return Err(Error::schema(
            "the unset and the empty markers must differ, or unset and empty values would \
             read back the same",
        ));
    }
    Ok(())
}

/// What a finished write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub rows: u64,
    /// Bytes of log text (before compression).
    pub bytes: u64,
    /// Sets or vectors holding one empty string or one null: the TSV format prints them as
    /// the empty or the unset field, like an empty or an unset set, so they read back so.
    pub ambiguous_sets: u64,
    /// NaN and infinite doubles, which JSON cannot hold: written `null`, as Zeek does.
    pub non_finite: u64,
}

/// Rows per formatted slice: a few MB of text, enough to keep every thread busy.
const SLICE_ROWS: usize = 8192;

/// A Zeek log being written to `sink`. The header goes out on creation; `finish` writes the
/// `#close` line and flushes.
pub struct LogWriter<W: Write> {
    sink: W,
    options: WriteOptions,
    columns: Vec<Column>,
    rows: Rows,
    summary: WriteSummary,
}

/// What formats rows, shared by the threads.
struct Rows {
    format: LogFormat,
    compression: OutputCompression,
    escaper: Escaper,
    json: JsonRows,
}

impl Rows {
    /// Rows `start..end` as text (compressed if the log is), its length and the count of
    /// values it cannot hold as they are (ambiguous sets in TSV, non-finite doubles in JSON).
    fn format(
        &self,
        columns: &[Cells<'_>],
        start: usize,
        end: usize,
    ) -> Result<(Vec<u8>, usize, u64)> {
        let mut out = Vec::new();
        let mut changed = 0;
        for row in start..end {
            changed += match self.format {
                LogFormat::Tsv => self.escaper.push_row(&mut out, columns, row),
                LogFormat::Json => self.json.push_row(&mut out, columns, row),
            };
        }
        let text_len = out.len();
        Ok((compress(&out, self.compression)?, text_len, changed))
    }
}

impl<W: Write> LogWriter<W> {
    pub fn new(sink: W, columns: Vec<Column>, options: WriteOptions) -> Result<Self> {
        check_markers(&options.markers)?;
        if options.format == LogFormat::Tsv {
            check_name(&options.path, "#path", &options.markers)?;
        }
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let times = columns.iter().map(|c| c.kind == Kind::Time).collect();
        let json = JsonRows::new(&names, times, options.time_format, options.include_unset);
        let rows = Rows {
            format: options.format,
            compression: options.compression,
            escaper: Escaper::new(options.markers.clone()),
            json,
        };
        let mut writer = LogWriter {
            sink,
            options,
            columns,
            rows,
            summary: WriteSummary::default(),
        };
        if writer.options.format == LogFormat::Tsv {
            let header = writer.header();
            writer.put(&header)?;
        }
        Ok(writer)
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn header(&self) -> Vec<u8> {
        let m = &self.options.markers;
        let mut out = b"#separator ".to_vec();
        escape_header_value(&m.separator, &mut out);
        out.push(b'\n');
        let field = |out: &mut Vec<u8>, key: &str, value: &[u8], escape: bool| {
            out.push(b'#');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&m.separator);
            if escape {
                escape_header_value(value, out);
            } else {
                out.extend_from_slice(value);
            }
            out.push(b'\n');
        };
        field(&mut out, "set_separator", &m.set_separator, true);
        field(&mut out, "empty_field", &m.empty_field, true);
        field(&mut out, "unset_field", &m.unset_field, true);
        field(&mut out, "path", self.options.path.as_bytes(), true);
        if let Some(stamp) = self.stamp() {
            field(&mut out, "open", stamp.as_bytes(), false);
        }
        let join = |f: &dyn Fn(&Column) -> &str| {
            let parts: Vec<&[u8]> = self.columns.iter().map(|c| f(c).as_bytes()).collect();
            parts.join(m.separator.as_slice())
        };
        field(&mut out, "fields", &join(&|c| c.name.as_str()), false);
        field(&mut out, "types", &join(&|c| c.zeek_type.as_str()), false);
        out
    }

    fn stamp(&self) -> Option<String> {
        match &self.options.stamps {
            Stamps::Now => Some(local_stamp()),
            Stamps::Fixed(text) => Some(text.clone()),
            Stamps::Omit => None,
        }
    }

    /// Write `text`, compressed as a member of its own if the log is compressed.
    fn put(&mut self, text: &[u8]) -> Result<()> {
        let bytes = compress(text, self.options.compression)?;
        self.sink.write_all(&bytes).map_err(write_error)
    }

    /// Append the rows of `batch`, whose columns must be those the writer was made with.
    pub fn write_batch(&mut self, batch: &RecordBatch, cancel: &Cancel) -> Result<()> {
        if batch.num_columns() != self.columns.len() {
            return Err(Error::schema(format!(
                "a batch has {} columns, the log {}",
                batch.num_columns(),
                self.columns.len()
            )));
        }
        let mut columns = Vec::with_capacity(self.columns.len());
        for (array, column) in batch.columns().iter().zip(&self.columns) {
            if kind_of(array.data_type()).as_ref() != Some(&column.kind) {
                return Err(Error::schema(format!(
                    "column {:?} changes type from one batch to the next ({})",
                    column.name,
                    array.data_type()
                )));
            }
            columns.push(cells(array, &column.name)?);
        }
        let rows = batch.num_rows();
        let slices: Vec<(usize, usize)> = (0..rows)
            .step_by(SLICE_ROWS)
            .map(|start| (start, (start + SLICE_ROWS).min(rows)))
            .collect();
        let in_flight = rayon::current_num_threads().max(1) * 2;
        for group in slices.chunks(in_flight) {
            cancel.check()?;
            let rows = &self.rows;
            let formatted: Vec<Result<(Vec<u8>, usize, u64)>> = group
                .par_iter()
                .map(|&(start, end)| rows.format(&columns, start, end))
                .collect();
            for slice in formatted {
                let (bytes, text_len, changed) = slice?;
                self.sink.write_all(&bytes).map_err(write_error)?;
                self.summary.bytes += text_len as u64;
                match self.options.format {
                    LogFormat::Tsv => self.summary.ambiguous_sets += changed,
                    LogFormat::Json => self.summary.non_finite += changed,
                }
            }
        }
        self.summary.rows += rows as u64;
        Ok(())
    }

    /// Write the `#close` line and flush; returns what was written.
    pub fn finish(mut self) -> Result<(W, WriteSummary)> {
        if self.options.format == LogFormat::Tsv {
            if let Some(stamp) = self.stamp() {
                let mut close = b"#close".to_vec();
                close.extend_from_slice(&self.options.markers.separator);
                close.extend_from_slice(stamp.as_bytes());
                close.push(b'\n');
                self.put(&close)?;
            }
        }
        self.sink.flush().map_err(write_error)?;
        Ok((self.sink, self.summary))
    }
}

fn write_error(error: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io(error.kind()),
        format!("writing the log: {error}"),
    )
}

fn compress(text: &[u8], compression: OutputCompression) -> Result<Vec<u8>> {
    match compression {
        OutputCompression::None => Ok(text.to_vec()),
        OutputCompression::Gzip(level) => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(text.len() / 4),
                flate2::Compression::new(level.min(9)),
            );
            encoder.write_all(text).map_err(write_error)?;
            encoder.finish().map_err(write_error)
        }
        OutputCompression::Zstd(level) => zstd::bulk::compress(text, level).map_err(write_error),
    }
}

/// The local time as Zeek's ASCII writer stamps `#open` and `#close`: `%Y-%m-%d-%H-%M-%S`.
fn local_stamp() -> String {
    // SAFETY: time(NULL) has no preconditions; localtime_r writes only into `tm`, which it
    // fully initialises when it returns non-null.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return "0000-00-00-00-00-00".to_owned();
        }
        format!(
            "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        )
    }
}

/// The output file under a temporary name in the destination's directory, renamed to the
/// destination when committed and removed otherwise, so that a failed or interrupted write
/// never leaves a truncated file under the real name. A symbolic link is written through
/// (the file it names is replaced, the link stays); a destination that is not a file (a
/// FIFO, `/dev/stdout`) cannot be replaced and is written to directly.
pub struct Partial {
    path: PathBuf,
    dest: PathBuf,
    committed: bool,
    direct: bool,
}

impl Partial {
    pub fn create(dest: &Path) -> Result<Partial> {
        let name = dest.file_name().ok_or_else(|| {
            Error::new(
                ErrorKind::Io(std::io::ErrorKind::InvalidInput),
                "the destination names no file",
            )
            .with_path(&dest.to_string_lossy())
        })?;
        let is_link = std::fs::symlink_metadata(dest).is_ok_and(|m| m.file_type().is_symlink());
        let target = match std::fs::canonicalize(dest) {
            Ok(real) if is_link => real,
            _ => dest.to_owned(),
        };
        let direct = std::fs::metadata(&target).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let name = target.file_name().unwrap_or(name);
        let mut partial = std::ffi::OsString::from(".");
        partial.push(name);
        partial.push(format!(".{}.partial", std::process::id()));
        Ok(Partial {
            path: if direct {
                target.clone()
            } else {
                target.with_file_name(partial)
            },
            dest: target,
            committed: false,
            direct,
        })
    }

    pub fn open(&self) -> Result<File> {
        let opened = if self.direct {
            std::fs::OpenOptions::new().write(true).open(&self.path)
        } else {
            File::create(&self.path)
        };
        opened.map_err(|e| Error::io(&e, &self.dest.to_string_lossy()))
    }

    pub fn commit(mut self) -> Result<()> {
        if !self.direct {
            std::fs::rename(&self.path, &self.dest)
                .map_err(|e| Error::io(&e, &self.dest.to_string_lossy()))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed && !self.direct {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Write `batches` as `columns` to the file `dest` atomically.
pub fn write_file(
    dest: &Path,
    columns: Vec<Column>,
    batches: impl Iterator<Item = Result<RecordBatch>>,
    options: WriteOptions,
    cancel: &Cancel,
) -> Result<WriteSummary> {
    let partial = Partial::create(dest)?;
    let file = std::io::BufWriter::with_capacity(1 << 20, partial.open()?);
    let path = dest.to_string_lossy().into_owned();
    let summary =
        write_to(file, columns, batches, options, cancel).map_err(|e| e.with_path(&path))?;
    partial.commit()?;
    Ok(summary)
}

/// Write `batches` to `sink` (standard output, a pipe) as they come.
pub fn write_to<W: Write>(
    sink: W,
    columns: Vec<Column>,
    batches: impl Iterator<Item = Result<RecordBatch>>,
    options: WriteOptions,
    cancel: &Cancel,
) -> Result<WriteSummary> {
    let mut writer = LogWriter::new(sink, columns, options)?;
    for batch in batches {
        writer.write_batch(&batch?, cancel)?;
    }
    let (sink, summary) = writer.finish()?;
    drop(sink);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{read_files, read_layout, ReadOptions};
    use crate::testing::TempLog;
    use arrow_array::{ArrayRef, StringArray, UInt16Array};
    use std::sync::Arc;

    fn round_trip(text: &str) -> (Vec<u8>, Vec<u8>) {
        let input = TempLog::new("write.log", text.as_bytes());
        let options = ReadOptions::default();
        let output = read_files(&[input.path()], &options).unwrap_or_else(|e| panic!("{e}"));
        let block = read_layout(&input.path(), &options)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the log has a header"));
        let hints: HashMap<String, String> = block
            .names
            .iter()
            .cloned()
            .zip(block.type_names.iter().cloned())
            .collect();
        let columns = Column::resolve(&output.schema, &HashMap::new(), &hints, &Markers::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let options = WriteOptions {
            path: "test".into(),
            stamps: Stamps::Fixed("XXXX-XX-XX-XX-XX-XX".into()),
            ..WriteOptions::default()
        };
        let mut out = Vec::new();
        write_to(
            &mut out,
            columns,
            output.batches.into_iter().map(Ok),
            options,
            &Cancel::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (text.as_bytes().to_vec(), out)
    }

    #[test]
    fn writes_back_what_it_read() {
        let log = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
                   #path\ttest\n#open\tXXXX-XX-XX-XX-XX-XX\n#fields\tts\ts\tp\tss\td\n\
                   #types\ttime\tstring\tport\tset[string]\tinterval\n\
                   1331901000.000129\t\\x2d\t80\t\\x2c,CC\t-0.500000\n\
                   1331901000.100000\t(empty)\t-\t(empty)\t-\n\
                   #close\tXXXX-XX-XX-XX-XX-XX\n";
        let (input, output) = round_trip(log);
        assert_eq!(
            String::from_utf8_lossy(&output),
            String::from_utf8_lossy(&input)
        );
    }

    #[test]
    fn refuses_what_zeek_cannot_hold() {
        let schema = Schema::new(vec![arrow_schema::Field::new(
            "p",
            arrow_schema::DataType::UInt16,
            true,
        )]);
        let types = HashMap::from([("p".to_owned(), "string".to_owned())]);
        let error = Column::resolve(&schema, &types, &HashMap::new(), &Markers::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("cannot hold"), "{error}");
        let hints = HashMap::from([("p".to_owned(), "string".to_owned())]);
        let columns = Column::resolve(&schema, &HashMap::new(), &hints, &Markers::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(columns[0].zeek_type, "port");
        let bad = Markers {
            unset_field: b"(empty)".to_vec(),
            ..Markers::default()
        };
        let array: ArrayRef = Arc::new(UInt16Array::from(vec![1]));
        let batch = RecordBatch::try_from_iter([("p", array)]).unwrap_or_else(|e| panic!("{e}"));
        let columns = Column::resolve(&batch.schema(), &HashMap::new(), &HashMap::new(), &bad)
            .unwrap_or_else(|e| panic!("{e}"));
        let options = WriteOptions {
            markers: bad,
            path: "x".into(),
            ..WriteOptions::default()
        };
        assert!(LogWriter::new(Vec::new(), columns, options).is_err());
    }

    #[test]
    fn compressed_slices_read_back_as_one_stream() {
        let values: Vec<String> = (0..20_000).map(|i| format!("v{i}")).collect();
        let array: ArrayRef = Arc::new(StringArray::from(values.clone()));
        let batch = RecordBatch::try_from_iter([("s", array)]).unwrap_or_else(|e| panic!("{e}"));
        for compression in [OutputCompression::Gzip(6), OutputCompression::Zstd(3)] {
            let columns = Column::resolve(
                &batch.schema(),
                &HashMap::new(),
                &HashMap::new(),
                &Markers::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let options = WriteOptions {
                path: "x".into(),
                compression,
                ..WriteOptions::default()
            };
            let mut out = Vec::new();
            let summary = write_to(
                &mut out,
                columns,
                std::iter::once(Ok(batch.clone())),
                options,
                &Cancel::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(summary.rows, 20_000);
            let log = TempLog::new("write.log.z", &out);
            let read = read_files(&[log.path()], &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            let strings: Vec<String> = read
                .batches
                .iter()
                .flat_map(|b| {
                    let column = b
                        .column(0)
                        .as_any()
                        .downcast_ref::<arrow_array::StringViewArray>();
                    column
                        .map(|c| {
                            c.iter()
                                .map(|v| v.unwrap_or_default().to_owned())
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(strings, values);
        }
    }
}
