//! The Python face of the core: option conversion, the GIL released around all work, errors
//! turned into the exceptions of `zeekframe.exceptions`, and no panic let through.

use crate::arrow_export;
use crate::convert::{convert, ParquetCompression, ParquetOptions};
use crate::error::{Error, ErrorKind};
use crate::format::header::Markers;
use crate::pushdown::{Literal, MimeCategories, Op, Predicate, Pushdown, Sampler};
use crate::reader::{layout_schema, read_files, read_layout, ReadOptions, DEFAULT_CHUNK_SIZE};
use crate::source::{ByteRange, Cancel, Compression, DEFAULT_MAX_LINE_BYTES};
use crate::stream::Progress;
use crate::write::json::JsonTime;
use crate::write::{
    write_file, write_to, Column, LogFormat, OutputCompression, Stamps, WriteOptions,
};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::RecordBatch;
use arrow_array::RecordBatchReader;
use arrow_schema::{Schema, SchemaRef};
use pyo3::exceptions::{
    PyBrokenPipeError, PyFileNotFoundError, PyIsADirectoryError, PyKeyboardInterrupt,
    PyMemoryError, PyOSError, PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

/// A table produced by the reader, exported through `__arrow_c_stream__`.
#[pyclass(module = "zeekframe._core", frozen)]
pub struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    skipped_count: u64,
    skipped: Vec<Error>,
    unterminated: Vec<(String, u64)>,
    end_offsets: Vec<u64>,
}

#[pymethods]
impl ArrowTable {
    /// The Arrow PyCapsule protocol. The stream always has the reader's own schema: callers
    /// cast afterwards if they want something else.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        drop(requested_schema);
        let stream = arrow_export::stream(self.schema.clone(), self.batches.clone());
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// How many lines `on_bad_line="skip"` dropped.
    #[getter]
    fn skipped_count(&self) -> u64 {
        self.skipped_count
    }

    /// The first skipped lines as `(path, line, message)`.
    #[getter]
    fn skipped(&self) -> Vec<(Option<String>, Option<u64>, String)> {
        skipped_list(&self.skipped)
    }

    /// `(path, line)` of each file whose last line has no line end and was read.
    #[getter]
    fn unterminated(&self) -> Vec<(String, u64)> {
        self.unterminated.clone()
    }

    /// Per file, the offset in its decompressed stream after the last line read.
    #[getter]
    fn end_offsets(&self) -> Vec<u64> {
        self.end_offsets.clone()
    }
}

/// Run `work` without the GIL and with panics caught, so a bug surfaces as an exception.
/// The work runs on a thread of its own while this (the calling) thread watches for Ctrl-C,
/// which only the main thread is told of: a signal sets the work's `Cancel`, which the reader and the
/// parsers look at between chunks, and the call then raises one `KeyboardInterrupt`.
fn run<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(Cancel) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let flag = Arc::new(AtomicBool::new(false));
    let cancel = Cancel::new(flag.clone());
    let mut interrupt: Option<PyErr> = None;
    interrupts::watch();
    let interrupts_before = interrupts::count();
    // SAFETY: getpid and gettid have no preconditions.
    let main_thread = unsafe { libc::getpid() == libc::gettid() };
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = std::sync::mpsc::channel();
            let worker = scope.spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| work(cancel)));
                // The watcher may have stopped listening; the result is still joined below.
                let _ = done.send(());
                result
            });
            loop {
                match finished.recv_timeout(Duration::from_millis(20)) {
                    Err(RecvTimeoutError::Timeout) if interrupt.is_none() => {
                        // Only the main thread runs Python's signal handlers; another thread
                        // (a Polars scan's, a user's pool) sees Ctrl-C through the counter.
                        let raised = if main_thread {
                            Python::attach(|py| py.check_signals()).err()
                        } else {
                            (interrupts::count() != interrupts_before)
                                .then(|| PyKeyboardInterrupt::new_err("the read was interrupted"))
                        };
                        if let Some(error) = raised {
                            interrupt = Some(error);
                            flag.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            worker.join().unwrap_or_else(Err)
        })
    });
    if let Some(error) = interrupt {
        return Err(error);
    }
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(to_py_err(py, error)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(PyRuntimeError::new_err(format!(
                "zeekframe internal error: {message}"
            )))
        }
    }
}

fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    let class = match error.kind {
        ErrorKind::Io(kind) => {
            return match kind {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
                std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(message),
                std::io::ErrorKind::BrokenPipe => PyBrokenPipeError::new_err(message),
                _ => PyOSError::new_err(message),
            }
        }
        ErrorKind::Parse | ErrorKind::Header | ErrorKind::Truncated | ErrorKind::Corrupt => {
            "ZeekParseError"
        }
        ErrorKind::Memory => return PyMemoryError::new_err(message),
        ErrorKind::Interrupted => return PyKeyboardInterrupt::new_err(message),
        ErrorKind::Schema => "ZeekError",
        ErrorKind::Internal => {
            return PyRuntimeError::new_err(format!("zeekframe internal error: {message}"))
        }
    };
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        if class == "ZeekParseError" {
            kwargs.set_item("path", &error.path)?;
            kwargs.set_item("line", error.line)?;
            kwargs.set_item("column", error.column)?;
            kwargs.set_item("value", &error.value)?;
        }
        let exception = py
            .import("zeekframe.exceptions")?
            .getattr(class)?
            .call((&message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|e| e)
}

/// Ctrl-C as seen from any thread. Python runs its signal handlers on the main thread only,
/// so a read running on another thread (a Polars scan calls its source from its own threads)
/// would not notice it; a SIGINT handler in front of the one installed before it (Python's,
/// or whatever chains to Python's) counts each signal and passes it on unchanged.
mod interrupts {
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNT: AtomicU64 = AtomicU64::new(0);
    /// The handler ours passes signals on to; written only by `watch`, before ours is set.
    static mut PREVIOUS: Option<libc::sigaction> = None;

    extern "C" fn on_sigint(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        COUNT.fetch_add(1, Ordering::SeqCst);
        // SAFETY: `PREVIOUS` is set before this handler is installed and not written while
        // it is; the handler it holds is a function (checked in `watch`), called with the
        // signature its flags declare.
        unsafe {
            let Some(previous) = (*std::ptr::addr_of!(PREVIOUS)).as_ref() else {
                return;
            };
            if previous.sa_flags & libc::SA_SIGINFO != 0 {
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(previous.sa_sigaction);
                handler(signal, info, context);
            } else {
                let handler: extern "C" fn(libc::c_int) =
                    std::mem::transmute(previous.sa_sigaction);
                handler(signal);
            }
        }
    }

    /// Put the counting handler in front of the current one, unless it is there already
    /// (Python's `signal.signal` replaces it; then it goes in front of the new one). Called
    /// with the GIL held, so two calls never race.
    pub fn watch() {
        let ours = on_sigint as *const () as libc::sighandler_t;
        // SAFETY: sigaction with a null new action only reads the current one.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) != 0
                || current.sa_sigaction == ours
                || current.sa_sigaction == libc::SIG_DFL
                || current.sa_sigaction == libc::SIG_IGN
            {
                return;
            }
            *std::ptr::addr_of_mut!(PREVIOUS) = Some(current);
            let mut counting = current;
            counting.sa_sigaction = ours;
            counting.sa_flags = current.sa_flags | libc::SA_SIGINFO;
            libc::sigaction(libc::SIGINT, &counting, std::ptr::null_mut());
        }
    }

    pub fn count() -> u64 {
        COUNT.load(Ordering::SeqCst)
    }
}

/// Layout options shared by every entry point.
fn options(
    n_threads: Option<usize>,
    fields: Option<Vec<String>>,
    types: Option<Vec<String>>,
    log_type: Option<String>,
    rename_underscore: bool,
) -> ReadOptions {
    ReadOptions {
        n_threads: n_threads.unwrap_or_else(rayon::current_num_threads).max(1),
        fields,
        types,
        log_type,
        rename_underscore,
        ..ReadOptions::default()
    }
}

/// A filter from the Python translator's tuples: `("and", [p, ...])`, `("or", [p, ...])`,
/// `("not", p)`, `("cmp", column, op, literal)`, `("in", column, [literal, ...])`,
/// `("null", column, negated)`, `("subnet", column, [network, ...])`; a literal is `(kind, value)` with kind int, float, str, bool
/// or us (microseconds since the epoch).
fn predicate(node: &Bound<'_, PyAny>) -> PyResult<Predicate> {
    let tag: String = node.get_item(0)?.extract()?;
    let item = |i: usize| node.get_item(i);
    Ok(match tag.as_str() {
        "and" | "or" => {
            let parts = item(1)?
                .try_iter()?
                .map(|part| predicate(&part?))
                .collect::<PyResult<Vec<_>>>()?;
            if tag == "and" {
                Predicate::And(parts)
            } else {
                Predicate::Or(parts)
            }
        }
        "not" => Predicate::Not(Box::new(predicate(&item(1)?)?)),
        "cmp" => Predicate::Compare {
            column: item(1)?.extract()?,
            op: match item(2)?.extract::<String>()?.as_str() {
                "eq" => Op::Eq,
                "ne" => Op::NotEq,
                "lt" => Op::Lt,
                "le" => Op::LtEq,
                "gt" => Op::Gt,
                "ge" => Op::GtEq,
                other => return Err(PyValueError::new_err(format!("unknown operator {other:?}"))),
            },
            value: literal(&item(3)?)?,
        },
        "in" => Predicate::IsIn {
            column: item(1)?.extract()?,
            values: item(2)?
                .try_iter()?
                .map(|v| literal(&v?))
                .collect::<PyResult<Vec<_>>>()?,
        },
        "null" => Predicate::IsNull {
            column: item(1)?.extract()?,
            negated: item(2)?.extract()?,
        },
        "subnet" => Predicate::InSubnet {
            column: item(1)?.extract()?,
            networks: crate::net::Networks::parse(&item(2)?.extract::<Vec<String>>()?)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown filter node {other:?}"
            )))
        }
    })
}

fn literal(node: &Bound<'_, PyAny>) -> PyResult<Literal> {
    let kind: String = node.get_item(0)?.extract()?;
    let value = node.get_item(1)?;
    Ok(match kind.as_str() {
        "int" => Literal::Int(value.extract()?),
        "float" => Literal::Float(value.extract()?),
        "str" => Literal::Text(value.extract()?),
        "bool" => Literal::Bool(value.extract()?),
        "us" => Literal::Micros(value.extract()?),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown literal kind {other:?}"
            )))
        }
    })
}

fn pushdown(
    sample: Option<f64>,
    seed: u64,
    filter: Option<&Bound<'_, PyAny>>,
    mime_categories: Option<Vec<(String, Vec<String>)>>,
) -> PyResult<Pushdown> {
    let sample = match sample {
        None => None,
        Some(fraction) => Some(Sampler::new(fraction, seed).ok_or_else(|| {
            PyValueError::new_err(format!("sample must be between 0 and 1, not {fraction}"))
        })?),
    };
    Ok(Pushdown {
        sample,
        filter: filter.map(predicate).transpose()?,
        mime: mime_categories.map(MimeCategories::new),
    })
}

/// Read Zeek TSV logs (paths already expanded) into an Arrow table, applying the pushdown.
#[pyfunction]
#[pyo3(signature = (paths, *, columns=None, n_rows=None, n_threads=None, skip_bad_lines=false,
    fields=None, types=None, log_type=None, rename_underscore=false, chunk_size=None,
    sample=None, seed=0, filter=None, mime_categories=None, include_file_paths=None,
    max_line_bytes=None, start_offset=0, complete_lines=false, byte_range=None))]
#[allow(clippy::too_many_arguments)]
fn read_tsv(
    py: Python<'_>,
    paths: Vec<String>,
    columns: Option<Vec<String>>,
    n_rows: Option<usize>,
    n_threads: Option<usize>,
    skip_bad_lines: bool,
    fields: Option<Vec<String>>,
    types: Option<Vec<String>>,
    log_type: Option<String>,
    rename_underscore: bool,
    chunk_size: Option<usize>,
    sample: Option<f64>,
    seed: u64,
    filter: Option<Bound<'_, PyAny>>,
    mime_categories: Option<Vec<(String, Vec<String>)>>,
    include_file_paths: Option<String>,
    max_line_bytes: Option<usize>,
    start_offset: u64,
    complete_lines: bool,
    byte_range: Option<(u64, u64, u64)>,
) -> PyResult<ArrowTable> {
    if byte_range.is_some() && paths.len() != 1 {
        return Err(PyValueError::new_err(
            "byte_range= reads part of one file: give exactly one path",
        ));
    }
    let options = ReadOptions {
        columns,
        n_rows,
        skip_bad_lines,
        chunk_size: chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1),
        max_line_bytes: max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES).max(1),
        start_offset,
        complete_lines_only: complete_lines,
        byte_range: byte_range.map(|(start, end, lines_before)| ByteRange {
            start,
            end,
            lines_before,
        }),
        pushdown: pushdown(sample, seed, filter.as_ref(), mime_categories)?,
        include_file_paths,
        ..options(n_threads, fields, types, log_type, rename_underscore)
    };
    let output = run(py, |cancel| {
        read_files(&paths, &ReadOptions { cancel, ..options })
    })?;
    Ok(ArrowTable {
        schema: output.schema,
        batches: output.batches,
        skipped_count: output.skipped_count,
        skipped: output.skipped,
        unterminated: output.unterminated,
        end_offsets: output.end_offsets,
    })
}

/// Convert Zeek TSV logs (paths already expanded) into one Parquet file, streaming. Returns
/// `(rows, row_groups, column names, skipped_count, skipped)`. `progress`, if given, is called
/// with `(bytes_read, rows)` after every chunk; Ctrl-C stops the conversion.
#[pyfunction]
#[pyo3(signature = (paths, dest, *, columns=None, n_threads=None, skip_bad_lines=false,
    fields=None, types=None, log_type=None, rename_underscore=false, chunk_size=None,
    sample=None, seed=0, filter=None, mime_categories=None, compression="zstd",
    compression_level=None, row_group_size=250_000, include_file_paths=None, progress=None,
    max_line_bytes=None, complete_lines=false))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn convert_parquet(
    py: Python<'_>,
    paths: Vec<String>,
    dest: std::path::PathBuf,
    columns: Option<Vec<String>>,
    n_threads: Option<usize>,
    skip_bad_lines: bool,
    fields: Option<Vec<String>>,
    types: Option<Vec<String>>,
    log_type: Option<String>,
    rename_underscore: bool,
    chunk_size: Option<usize>,
    sample: Option<f64>,
    seed: u64,
    filter: Option<Bound<'_, PyAny>>,
    mime_categories: Option<Vec<(String, Vec<String>)>>,
    compression: &str,
    compression_level: Option<i32>,
    row_group_size: usize,
    include_file_paths: Option<String>,
    progress: Option<Py<PyAny>>,
    max_line_bytes: Option<usize>,
    complete_lines: bool,
) -> PyResult<(
    u64,
    usize,
    Vec<String>,
    u64,
    Vec<(Option<String>, Option<u64>, String)>,
    Vec<(String, u64)>,
)> {
    let compression = match (compression, compression_level) {
        ("zstd", level) => ParquetCompression::Zstd(level.unwrap_or(3)),
        ("snappy", None) => ParquetCompression::Snappy,
        ("uncompressed", None) => ParquetCompression::Uncompressed,
        ("snappy" | "uncompressed", Some(_)) => {
            return Err(PyValueError::new_err(format!(
                "compression_level applies to zstd only, not to {compression:?}"
            )))
        }
        (other, _) => {
            return Err(PyValueError::new_err(format!(
                "compression={other:?} is not one of 'zstd', 'snappy', 'uncompressed'"
            )))
        }
    };
    if row_group_size == 0 {
        return Err(PyValueError::new_err("row_group_size must be at least 1"));
    }
    let options = ReadOptions {
        columns,
        skip_bad_lines,
        chunk_size: chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1),
        max_line_bytes: max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES).max(1),
        complete_lines_only: complete_lines,
        pushdown: pushdown(sample, seed, filter.as_ref(), mime_categories)?,
        include_file_paths,
        ..options(n_threads, fields, types, log_type, rename_underscore)
    };
    let parquet = ParquetOptions {
        compression,
        row_group_size,
    };
    // An exception from the callback (or a pending Ctrl-C) stops the work and is raised as is.
    let mut raised: Option<PyErr> = None;
    let summary = run(py, |cancel| {
        let options = ReadOptions { cancel, ..options };
        let mut report = |step: Progress| -> Result<(), Error> {
            Python::attach(|py| {
                py.check_signals()?;
                match &progress {
                    Some(callback) => callback.call1(py, (step.bytes_read, step.rows)).map(drop),
                    None => Ok(()),
                }
            })
            .map_err(|error| {
                raised = Some(error);
                Error::new(ErrorKind::Internal, "stopped by the progress callback")
            })
        };
        convert(&paths, &dest, &options, &parquet, &mut report)
    });
    if let Some(error) = raised {
        return Err(error);
    }
    let summary = summary?;
    Ok((
        summary.rows,
        summary.row_groups,
        summary
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
        summary.skipped.count,
        skipped_list(&summary.skipped.first),
        summary.unterminated,
    ))
}

/// What `write_zeek` tells the Python layer: `(rows, bytes of text, ambiguous sets,
/// non-finite doubles in JSON, [(column, Zeek type)])`.
type WriteReport = (u64, u64, u64, u64, Vec<(String, String)>);

/// Check networks for `zf.in_subnet` before they reach a plugin (a clear error up front).
#[pyfunction]
fn check_networks(networks: Vec<String>) -> PyResult<()> {
    crate::net::Networks::parse(&networks)
        .map(|_| ())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// zeek-cut on `inputs` (paths, `-` for standard input) to standard output; notices
/// (lines skipped, times kept as they are) go to standard error as they arise. Returns
/// (lines read, lines written, lines skipped, times kept).
#[pyfunction]
#[pyo3(signature = (inputs, *, columns, negate=false, headers=0, minimal=false,
    time_zone=None, time_format=None, output_separator=None, block_bytes=None))]
#[allow(clippy::too_many_arguments)]
fn cut(
    py: Python<'_>,
    inputs: Vec<String>,
    columns: Vec<String>,
    negate: bool,
    headers: u8,
    minimal: bool,
    time_zone: Option<&str>,
    time_format: Option<String>,
    output_separator: Option<String>,
    block_bytes: Option<usize>,
) -> PyResult<(u64, u64, u64, u64)> {
    use crate::cut::{CutOptions, Cutter, Headers, Zone, DEFAULT_TIME_FORMAT};
    let mut options = CutOptions::new(columns.into_iter().map(String::into_bytes).collect());
    options.negate = negate;
    options.minimal = minimal;
    options.headers = match headers {
        0 => Headers::None,
        1 => Headers::First,
        _ => Headers::All,
    };
    let zone = match time_zone {
        None => None,
        Some("local") => Some(Zone::Local),
        Some("utc") => Some(Zone::Utc),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "time_zone={other:?} is not one of 'local', 'utc', None"
            )))
        }
    };
    options.time = zone.map(|z| {
        (
            z,
            time_format.unwrap_or_else(|| DEFAULT_TIME_FORMAT.to_owned()),
        )
    });
    options.output_separator = match output_separator.as_deref().map(str::as_bytes) {
        None => None,
        Some([byte]) => Some(*byte),
        Some(_) => {
            return Err(PyValueError::new_err(
                "the output field separator must be a single character",
            ))
        }
    };
    if let Some(bytes) = block_bytes {
        options.block_bytes = bytes;
    }
    let summary = run(py, |cancel| {
        let mut cutter = Cutter::new(&options)?;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut notice = |n: crate::cut::Notice| {
            let line = format!("zeekframe cut: {}:{}: {}\n", n.path, n.line, n.message);
            // A closed standard error must not stop the output.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        };
        for input in &inputs {
            let (path, name) = if input == "-" {
                ("/dev/stdin", "standard input")
            } else {
                (input.as_str(), input.as_str())
            };
            let (mut reader, _) = crate::source::open(path, None, false)?;
            cutter.cut(&mut reader, name, &mut out, &mut notice, &cancel)?;
        }
        Ok(cutter.summary())
    })?;
    Ok((
        summary.lines,
        summary.written,
        summary.skipped,
        summary.bad_times,
    ))
}

/// Write the batches of `frame` (anything with `__arrow_c_stream__`) as a Zeek log to `dest`
/// (atomically), or to standard output when `dest` is None. `types` are Zeek types the caller
/// insists on; `hints` are used where a column's values fit them.
#[pyfunction]
#[pyo3(signature = (frame, dest, *, format="tsv", path=String::new(), separator="\t".to_owned(),
    set_separator=",".to_owned(), empty_field="(empty)".to_owned(), unset_field="-".to_owned(),
    types=HashMap::new(), hints=HashMap::new(), stamps=Some("now".to_owned()),
    time_format="epoch", include_unset=false, compression="none", compression_level=None))]
#[allow(clippy::too_many_arguments)]
fn write_zeek(
    py: Python<'_>,
    frame: Bound<'_, PyAny>,
    dest: Option<std::path::PathBuf>,
    format: &str,
    path: String,
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    types: HashMap<String, String>,
    hints: HashMap<String, String>,
    stamps: Option<String>,
    time_format: &str,
    include_unset: bool,
    compression: &str,
    compression_level: Option<i32>,
) -> PyResult<WriteReport> {
    let format = match format {
        "tsv" => LogFormat::Tsv,
        "json" => LogFormat::Json,
        other => {
            return Err(PyValueError::new_err(format!(
                "format={other:?} is not one of 'tsv', 'json'"
            )))
        }
    };
    let time_format = match time_format {
        "epoch" => JsonTime::Epoch,
        "iso8601" => JsonTime::Iso8601,
        "millis" => JsonTime::Millis,
        other => {
            return Err(PyValueError::new_err(format!(
                "json_timestamps={other:?} is not one of 'epoch', 'iso8601', 'millis'"
            )))
        }
    };
    let compression = match (compression, compression_level) {
        ("none", None) => OutputCompression::None,
        ("gzip", level) => match u32::try_from(level.unwrap_or(6)) {
            Ok(level @ 0..=9) => OutputCompression::Gzip(level),
            _ => return Err(PyValueError::new_err("a gzip level is 0 to 9")),
        },
        ("zstd", level) => match level.unwrap_or(3) {
            level @ 1..=22 => OutputCompression::Zstd(level),
            _ => return Err(PyValueError::new_err("a zstd level is 1 to 22")),
        },
        ("none", Some(_)) => {
            return Err(PyValueError::new_err(
                "compression_level needs compression='gzip' or 'zstd'",
            ))
        }
        (other, _) => {
            return Err(PyValueError::new_err(format!(
                "compression={other:?} is not one of 'gzip', 'zstd', None"
            )))
        }
    };
    let options = WriteOptions {
        format,
        markers: Markers {
            separator: separator.into_bytes(),
            set_separator: set_separator.into_bytes(),
            empty_field: empty_field.into_bytes(),
            unset_field: unset_field.into_bytes(),
        },
        path,
        stamps: match stamps.as_deref() {
            None => Stamps::Omit,
            Some("now") => Stamps::Now,
            Some(text) => Stamps::Fixed(text.to_owned()),
        },
        time_format,
        include_unset,
        compression,
    };
    // A frame, or an iterator of frames (a LazyFrame's batches): the first one gives the
    // schema, the others are taken as the writer gets to them.
    let (first, mut rest) = if frame.hasattr("__arrow_c_stream__")? {
        (import_stream(&frame)?, None)
    } else {
        let mut frames = frame.try_iter()?;
        match frames.next() {
            Some(first) => (import_stream(&first?)?, Some(frames.unbind())),
            None => return Err(PyValueError::new_err("the iterator gave no frame to write")),
        }
    };
    let schema = first.schema();
    let columns =
        Column::resolve(&schema, &types, &hints, &options.markers).map_err(|e| to_py_err(py, e))?;
    let chosen: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.name.clone(), c.zeek_type.clone()))
        .collect();
    let mut raised: Option<PyErr> = None;
    let summary = run(py, |cancel| {
        let stream_error = |e: arrow_schema::ArrowError| {
            Error::new(ErrorKind::Schema, format!("the frame's Arrow stream: {e}"))
        };
        let mut current = first;
        let raised = &mut raised;
        let batches = std::iter::from_fn(move || loop {
            if let Some(batch) = current.next() {
                return Some(batch.map_err(stream_error));
            }
            let frames = rest.as_mut()?;
            let next = Python::attach(|py| match frames.bind(py).clone().next() {
                Some(Ok(frame)) => import_stream(&frame).map(Some),
                Some(Err(error)) => Err(error),
                None => Ok(None),
            });
            match next {
                Ok(Some(stream)) => current = stream,
                Ok(None) => {
                    rest = None;
                    return None;
                }
                Err(error) => {
                    *raised = Some(error);
                    rest = None;
                    return Some(Err(Error::new(
                        ErrorKind::Internal,
                        "the frame iterator raised",
                    )));
                }
            }
        });
        match dest {
            Some(dest) => write_file(&dest, columns, batches, options, &cancel),
            None => {
                let stdout = std::io::stdout().lock();
                write_to(
                    std::io::BufWriter::with_capacity(1 << 20, stdout),
                    columns,
                    batches,
                    options,
                    &cancel,
                )
            }
        }
    });
    if let Some(error) = raised {
        return Err(error);
    }
    let summary = summary?;
    Ok((
        summary.rows,
        summary.bytes,
        summary.ambiguous_sets,
        summary.non_finite,
        chosen,
    ))
}

/// The batches of an object with `__arrow_c_stream__` (the Arrow PyCapsule interface).
fn import_stream(frame: &Bound<'_, PyAny>) -> PyResult<RecordBatchStreamReader> {
    let capsule = frame.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: the capsule holds an FFI_ArrowArrayStream (its name says so, per the Arrow
    // PyCapsule interface); from_raw moves the stream out and leaves a released one behind,
    // which the capsule's destructor then ignores.
    unsafe { RecordBatchStreamReader::from_raw(pointer.as_ptr().cast::<FFI_ArrowArrayStream>()) }
        .map_err(|e| PyValueError::new_err(format!("the frame's Arrow stream: {e}")))
}

fn skipped_list(errors: &[Error]) -> Vec<(Option<String>, Option<u64>, String)> {
    errors
        .iter()
        .map(|e| (e.path.clone(), e.line, e.to_string()))
        .collect()
}

/// The first header block of a log: `(names, zeek types, empty table with the frame's schema,
/// #path)`, or `None` for an empty file.
#[pyfunction]
#[pyo3(signature = (path, *, fields=None, types=None, log_type=None, rename_underscore=false))]
#[allow(clippy::type_complexity)]
fn read_header(
    py: Python<'_>,
    path: String,
    fields: Option<Vec<String>>,
    types: Option<Vec<String>>,
    log_type: Option<String>,
    rename_underscore: bool,
) -> PyResult<Option<(Vec<String>, Vec<String>, ArrowTable, Option<String>)>> {
    let options = options(Some(1), fields, types, log_type, rename_underscore);
    let Some(block) = run(py, |cancel| {
        read_layout(
            &path,
            &ReadOptions {
                cancel,
                ..options.clone()
            },
        )
    })?
    else {
        return Ok(None);
    };
    let (names, type_names, schema) = if block.json.is_some() {
        // A JSON log's columns are its first lines' keys.
        let paths = [path.clone()];
        let schema = run(py, |cancel| {
            layout_schema(&paths, &ReadOptions { cancel, ..options }, false)
        })?;
        let names = schema.fields().iter().map(|f| f.name().clone()).collect();
        let type_names = schema
            .fields()
            .iter()
            .map(|f| crate::json::zeek_type_name(f.data_type()))
            .collect();
        (names, type_names, schema)
    } else {
        let schema = Arc::new(Schema::new(
            block
                .names
                .iter()
                .zip(&block.types)
                .map(|(name, zeek_type)| {
                    arrow_schema::Field::new(name, zeek_type.arrow_type(), true)
                })
                .collect::<Vec<_>>(),
        ));
        (block.names.clone(), block.type_names.clone(), schema)
    };
    let empty = ArrowTable {
        schema,
        batches: Vec::new(),
        skipped_count: 0,
        skipped: Vec::new(),
        unterminated: Vec::new(),
        end_offsets: Vec::new(),
    };
    Ok(Some((names, type_names, empty, block.log_path.clone())))
}

/// Each file's `#path` (its log type), or `None` for a file without a header; read in
/// parallel.
#[pyfunction]
#[pyo3(signature = (paths, *, n_threads=None))]
fn log_paths(
    py: Python<'_>,
    paths: Vec<String>,
    n_threads: Option<usize>,
) -> PyResult<Vec<Option<String>>> {
    use rayon::prelude::*;
    let threads = n_threads.unwrap_or_else(rayon::current_num_threads).max(1);
    run(py, |_| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
        pool.install(|| {
            paths
                .par_iter()
                .map(|p| crate::source::peek_log_path(p))
                .collect()
        })
    })
}

/// The columns a read of all of `path` gives (every header block unified), as an empty table;
/// found without parsing the data lines of a TSV log.
#[pyfunction]
#[pyo3(signature = (path, *, fields=None, types=None, log_type=None, rename_underscore=false))]
fn read_layout_of_all_blocks(
    py: Python<'_>,
    path: String,
    fields: Option<Vec<String>>,
    types: Option<Vec<String>>,
    log_type: Option<String>,
    rename_underscore: bool,
) -> PyResult<ArrowTable> {
    let options = options(Some(1), fields, types, log_type, rename_underscore);
    let paths = [path];
    let schema = run(py, |cancel| {
        layout_schema(&paths, &ReadOptions { cancel, ..options }, true)
    })?;
    Ok(ArrowTable {
        schema,
        batches: Vec::new(),
        skipped_count: 0,
        skipped: Vec::new(),
        unterminated: Vec::new(),
        end_offsets: Vec::new(),
    })
}

/// Set the size from which plain files are mapped from `ZEEKFRAME_MAP_MIN_BYTES`'s value
/// (`None`: unset, the default), for every read that starts after this; a value the
/// reader cannot use raises `ValueError`.
#[pyfunction]
#[pyo3(signature = (value))]
fn set_map_setting(value: Option<&str>) -> PyResult<()> {
    let bytes = match value {
        None => Some(crate::source::DEFAULT_MAP_MIN_BYTES),
        Some(value) => crate::source::parse_map_setting(value).map_err(PyValueError::new_err)?,
    };
    crate::source::set_map_min_bytes(bytes);
    Ok(())
}

/// The size from which plain files are mapped now (`None`: no file is).
#[pyfunction]
fn map_min_bytes() -> Option<u64> {
    crate::source::default_map_min_bytes()
}

/// What planning a partitioned read needs of a file: `(compression, size, header_end,
/// header_lines, json)`, compression being `"none"`, `"gzip"` or `"zstd"`.
#[pyfunction]
#[pyo3(signature = (path, *, max_line_bytes=None))]
fn plan_file(
    py: Python<'_>,
    path: String,
    max_line_bytes: Option<usize>,
) -> PyResult<(&'static str, u64, u64, u64, bool)> {
    let limit = max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES).max(1);
    let plan = run(py, |_| crate::source::plan_file(&path, limit))?;
    let compression = match plan.compression {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    };
    Ok((
        compression,
        plan.size,
        plan.header_end,
        plan.header_lines,
        plan.json,
    ))
}

/// The line ends in `[start, end)` of a plain file, and the first line there that sets a
/// header key (counted in line ends from `start`), if any.
#[pyfunction]
fn scan_range(py: Python<'_>, path: String, start: u64, end: u64) -> PyResult<(u64, Option<u64>)> {
    let scan = run(py, |cancel| {
        crate::source::scan_range(&path, start, end, &cancel)
    })?;
    Ok((scan.newlines, scan.header_line))
}

/// The built-in schemas: `(log type, version, field names, Zeek types)`, in registry order.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn builtin_schemas() -> Vec<(String, String, Vec<String>, Vec<String>)> {
    crate::format::schemas::builtin_schemas()
        .into_iter()
        .map(|s| {
            (
                s.log_type.to_owned(),
                s.version.to_owned(),
                s.fields.iter().map(|f| (*f).to_owned()).collect(),
                s.types.iter().map(|t| (*t).to_owned()).collect(),
            )
        })
        .collect()
}

/// Write the demo `conn.log` and `http.log` (TSV) or `conn.json` and `http.json` (JSON)
/// into `directory`.
#[pyfunction]
#[pyo3(signature = (directory, *, conn_rows, http_rows, seed, format="tsv"))]
fn write_demo(
    py: Python<'_>,
    directory: String,
    conn_rows: u64,
    http_rows: u64,
    seed: u64,
    format: &str,
) -> PyResult<(String, String)> {
    let (format, extension) = match format {
        "tsv" => (crate::demo::Format::Tsv, "log"),
        "json" => (crate::demo::Format::Json, "json"),
        other => {
            return Err(PyValueError::new_err(format!(
                "format={other:?} is not one of 'tsv', 'json'"
            )))
        }
    };
    let base = std::path::Path::new(&directory);
    let conn = base
        .join(format!("conn.{extension}"))
        .to_string_lossy()
        .into_owned();
    let http = base
        .join(format!("http.{extension}"))
        .to_string_lossy()
        .into_owned();
    run(py, |_| {
        crate::demo::write_conn(&conn, format, conn_rows, seed)?;
        crate::demo::write_http(&http, format, http_rows, seed)
    })?;
    Ok((conn, http))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(write_demo, module)?)?;
    module.add_class::<ArrowTable>()?;
    module.add_function(wrap_pyfunction!(read_tsv, module)?)?;
    module.add_function(wrap_pyfunction!(read_header, module)?)?;
    module.add_function(wrap_pyfunction!(convert_parquet, module)?)?;
    module.add_function(wrap_pyfunction!(builtin_schemas, module)?)?;
    module.add_function(wrap_pyfunction!(log_paths, module)?)?;
    module.add_function(wrap_pyfunction!(plan_file, module)?)?;
    module.add_function(wrap_pyfunction!(set_map_setting, module)?)?;
    module.add_function(wrap_pyfunction!(map_min_bytes, module)?)?;
    module.add_function(wrap_pyfunction!(read_layout_of_all_blocks, module)?)?;
    module.add_function(wrap_pyfunction!(scan_range, module)?)?;
    module.add_function(wrap_pyfunction!(write_zeek, module)?)?;
    module.add_function(wrap_pyfunction!(cut, module)?)?;
    module.add_function(wrap_pyfunction!(check_networks, module)?)?;
    // How many skipped lines a read names (it counts them all).
    module.add("MAX_REPORTED_LINES", crate::columns::MAX_REPORTED)?;
    Ok(())
}
