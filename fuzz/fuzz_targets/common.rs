//! What every reading target checks: a log read with any chunk size, serially or in
//! parallel, gives the same rows, the same skipped lines and the same first error.

#![allow(dead_code)]

use arrow_array::RecordBatch;
use std::path::PathBuf;
use zeekframe::error::Error;
use zeekframe::reader::{layout_schema, read_files, ReadOptions, ReadOutput};

/// A file holding one fuzz input, named after this process, rewritten for every input.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(suffix: &str) -> Scratch {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        Scratch(dir.join(format!("zeekframe-fuzz-{}-{suffix}", std::process::id())))
    }

    pub fn write(&self, bytes: &[u8]) -> String {
        std::fs::write(&self.0, bytes).expect("the scratch directory is writable");
        self.0.to_string_lossy().into_owned()
    }
}

/// A read reduced to what must not depend on how it was done.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Rows {
        batch: RecordBatch,
        skipped_count: u64,
        skipped: Vec<Error>,
        unterminated: Vec<(String, u64)>,
        end_offsets: Vec<u64>,
    },
    Failed(Error),
}

impl Outcome {
    pub fn of(path: &str, options: &ReadOptions) -> Outcome {
        match read_files(&[path.to_owned()], options) {
            Ok(output) => Outcome::rows(output),
            Err(error) => Outcome::Failed(error),
        }
    }

    fn rows(output: ReadOutput) -> Outcome {
        let batch = arrow_select::concat::concat_batches(&output.schema, &output.batches)
            .expect("batches of one read share its schema");
        Outcome::Rows {
            batch,
            skipped_count: output.skipped_count,
            skipped: output.skipped,
            unterminated: output.unterminated,
            end_offsets: output.end_offsets,
        }
    }

    pub fn batch(&self) -> Option<&RecordBatch> {
        match self {
            Outcome::Rows { batch, .. } => Some(batch),
            Outcome::Failed(_) => None,
        }
    }

    pub fn clean(&self) -> Option<&RecordBatch> {
        match self {
            Outcome::Rows {
                batch,
                skipped_count: 0,
                unterminated,
                ..
            } if unterminated.is_empty() => Some(batch),
            _ => None,
        }
    }
}

/// The options a control byte picks: skipping bad lines, only complete lines, a row limit.
pub fn options(control: u8, limit: u8) -> ReadOptions {
    ReadOptions {
        n_threads: 1,
        chunk_size: 1 << 20,
        skip_bad_lines: control & 1 != 0,
        complete_lines_only: control & 2 != 0,
        n_rows: (control & 4 != 0).then_some(usize::from(limit % 16)),
        ..ReadOptions::default()
    }
}

/// Read `path` once as the reference (one thread, one chunk), then with small chunks and two
/// threads, and check they agree; then the row limit and the column projection against the
/// reference.
pub fn check_read(path: &str, base: &ReadOptions, small_chunk: usize) -> Outcome {
    let reference = Outcome::of(path, base);
    for (chunk_size, n_threads) in [(small_chunk, 1), (small_chunk, 2), (1 << 20, 2)] {
        let options = ReadOptions {
            chunk_size,
            n_threads,
            ..base.clone()
        };
        let other = Outcome::of(path, &options);
        assert_eq!(
            reference, other,
            "chunk size {chunk_size} with {n_threads} threads"
        );
    }
    if base.n_rows.is_none() {
        if let Some(batch) = reference.clean() {
            check_limit(path, base, batch, small_chunk);
            check_projection(path, base, batch);
        }
    }
    reference
}

/// With `n_rows=k` a read returns the first `k` rows, whatever the chunks: exactly what a
/// read of the log up to the end of its `k`-th row's line gives (the columns and types of the
/// lines read, no more), and the full read's values in those columns.
fn check_limit(path: &str, base: &ReadOptions, full: &RecordBatch, small_chunk: usize) {
    let bytes = std::fs::read(path).expect("the scratch file was just written");
    let compressed = bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0x28, 0xb5, 0x2f]);
    for limit in [0, 1, full.num_rows() / 2 + 1] {
        let mut first: Option<Outcome> = None;
        for (chunk_size, n_threads) in [(1 << 20, 1), (small_chunk, 2)] {
            let options = ReadOptions {
                n_rows: Some(limit),
                chunk_size,
                n_threads,
                ..base.clone()
            };
            let limited = Outcome::of(path, &options);
            let Some(batch) = limited.batch() else {
                panic!("n_rows={limit} failed where the full read did not: {limited:?}");
            };
            assert_eq!(
                batch.num_rows(),
                limit.min(full.num_rows()),
                "n_rows={limit}"
            );
            // Columns the full read has with the same type hold the same values.
            let schema = batch.schema();
            for (index, field) in schema.fields().iter().enumerate() {
                let (at, full_field) = full
                    .schema()
                    .column_with_name(field.name())
                    .map(|(at, f)| (at, f.clone()))
                    .unwrap_or_else(|| panic!("n_rows={limit}: {} is new", field.name()));
                if full_field.data_type() == field.data_type() {
                    let expected = full.column(at).slice(0, batch.num_rows());
                    assert_eq!(
                        batch.column(index).as_ref(),
                        expected.as_ref(),
                        "{}",
                        field.name()
                    );
                }
            }
            match &first {
                None => first = Some(limited),
                Some(first) => assert_eq!(first, &limited, "n_rows={limit}, chunk {chunk_size}"),
            }
        }
        let Some(Outcome::Rows {
            batch,
            end_offsets,
            skipped_count,
            ..
        }) = &first
        else {
            continue;
        };
        if compressed || limit == 0 {
            continue;
        }
        let end = end_offsets[0] as usize;
        let prefix = Scratch::new("prefix").write(&bytes[..end.min(bytes.len())]);
        let options = ReadOptions {
            n_rows: None,
            ..base.clone()
        };
        match Outcome::of(&prefix, &options) {
            Outcome::Rows {
                batch: whole,
                skipped_count: skipped,
                ..
            } => {
                assert_eq!(
                    &whole, batch,
                    "n_rows={limit} against the first {end} bytes"
                );
                assert_eq!(
                    skipped, *skipped_count,
                    "n_rows={limit} against the first {end} bytes"
                );
            }
            failed => panic!("the first {end} bytes do not read: {failed:?}"),
        }
    }
}

/// Reading the last and first columns only gives those columns of the full read.
fn check_projection(path: &str, base: &ReadOptions, full: &RecordBatch) {
    let schema = full.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let (Some(first), Some(last)) = (names.first(), names.last()) else {
        return;
    };
    let mut wanted = vec![last.clone()];
    if first != last {
        wanted.push(first.clone());
    }
    let options = ReadOptions {
        columns: Some(wanted.clone()),
        ..base.clone()
    };
    let projected = Outcome::of(path, &options);
    let Some(batch) = projected.batch() else {
        panic!("projection {wanted:?} failed where the full read did not: {projected:?}");
    };
    let indices: Vec<usize> = wanted
        .iter()
        .map(|name| {
            names
                .iter()
                .position(|n| n == name)
                .expect("a column of the read")
        })
        .collect();
    let expected = full
        .project(&indices)
        .expect("indices of the read's own columns");
    assert_eq!(batch, &expected, "projection {wanted:?}");
}

/// The schema-only pass (as `read_zeek_schema(every_block=True)`) agrees with a full read.
/// A read under `n_rows` has only the columns of the lines it read, so it is not compared.
pub fn check_schema(path: &str, base: &ReadOptions, outcome: &Outcome) {
    if base.n_rows.is_some() {
        return;
    }
    if let Some(batch) = outcome.clean() {
        let schema = layout_schema(&[path.to_owned()], base, true)
            .unwrap_or_else(|e| panic!("schema pass failed where the read did not: {e:?}"));
        assert_eq!(schema.as_ref(), batch.schema().as_ref(), "schema pass");
    }
}
