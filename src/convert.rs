//! Zeek logs to Parquet, streaming: memory stays bounded by the chunks in flight and one
//! row group, whatever the size of the input.
//!
//! Strings are written with Arrow's classic `Utf8` type (not the `Utf8View` the frames use),
//! so that every Parquet reader (pyarrow, pandas, DuckDB, Spark) takes the file's Arrow schema.
//! The file is written next to `dest` under a temporary name and renamed when complete, so an
//! interrupted conversion never leaves a truncated file behind under the real name.

use crate::error::{Error, ErrorKind, Result};
use crate::reader::{layout_schema, ReadOptions, Skipped};
use crate::stream::{stream_files, BatchSink, Progress, StreamEnd};
use crate::write::Partial;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, ListArray, RecordBatch, RecordBatchOptions, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCompression {
    Zstd(i32),
    Snappy,
    Uncompressed,
}

#[derive(Debug, Clone, Copy)]
pub struct ParquetOptions {
    pub compression: ParquetCompression,
    /// Rows per row group (the last one may hold fewer).
    pub row_group_size: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            compression: ParquetCompression::Zstd(3),
            row_group_size: 250_000,
        }
    }
}

#[derive(Debug)]
pub struct ConvertSummary {
    pub rows: u64,
    pub row_groups: usize,
    pub schema: SchemaRef,
    pub skipped: Skipped,
    /// Files whose last line has no line end and was read like the others, with its line.
    pub unterminated: Vec<(String, u64)>,
}

/// Convert `paths` (already expanded) into one Parquet file at `dest`, applying the read
/// options (projection, sampling, filters, MIME classification, bad-line policy). `progress`
/// is told how far the read has got after every chunk; an error from it stops the work.
pub fn convert(
    paths: &[String],
    dest: &Path,
    options: &ReadOptions,
    parquet: &ParquetOptions,
    progress: &mut dyn FnMut(Progress) -> Result<()>,
) -> Result<ConvertSummary> {
    if parquet.row_group_size == 0 {
        return Err(Error::new(
            ErrorKind::Schema,
            "row_group_size must be at least 1",
        ));
    }
    // Usually each file's first header block describes all of it. A concatenated log whose
    // later blocks add columns is found out while writing; then every block is looked at
    // and the file written again.
    let mut schema = layout_schema(paths, options, false)?;
    let mut every_block = false;
    loop {
        if schema.fields().is_empty() {
            return Err(Error::schema(
                "nothing to convert: the logs have no header and no rows",
            ));
        }
        let partial = Partial::create(dest)?;
        let file_schema = Arc::new(classic_schema(&schema));
        let properties = WriterProperties::builder()
            .set_compression(compression(parquet.compression, dest)?)
            .set_created_by(format!("zeekframe {}", env!("CARGO_PKG_VERSION")))
            .build();
        // The ArrowWriter lays out the file and its Arrow schema metadata; its row groups are
        // then encoded here, a column per thread.
        let (writer, factory) = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, partial.open()?),
            file_schema.clone(),
            Some(properties),
        )
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(|e| write_error(&e, dest))?;
        let mut sink = ParquetSink {
            writer,
            factory,
            schema: file_schema,
            dest,
            row_group_size: parquet.row_group_size,
            pending: Vec::new(),
            pending_rows: 0,
            row_groups: 0,
            progress: &mut *progress,
        };
        match stream_files(paths, options, &schema, &mut sink)? {
            StreamEnd::Done {
                rows,
                skipped,
                unterminated,
            } => {
                sink.flush()?;
                let metadata = sink.writer.close().map_err(|e| write_error(&e, dest))?;
                partial.commit()?;
                return Ok(ConvertSummary {
                    rows,
                    row_groups: metadata.num_row_groups(),
                    schema: sink.schema,
                    skipped,
                    unterminated,
                });
            }
            StreamEnd::SchemaGrew if !every_block => {
                drop(sink);
                if let Some(stream) = paths.iter().find(|p| crate::source::is_stream(p)) {
                    return Err(Error::schema(
                        "a later header block adds columns, and this is a stream that cannot \
                         be read a second time to find them: save it to a file first, or read \
                         it with read_zeek",
                    )
                    .with_path(stream));
                }
                schema = layout_schema(paths, options, true)?;
                every_block = true;
            }
            StreamEnd::SchemaGrew => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "a header block is missing from the schema of every block",
                ))
            }
        }
    }
}

fn compression(compression: ParquetCompression, dest: &Path) -> Result<Compression> {
    Ok(match compression {
        ParquetCompression::Zstd(level) => {
            Compression::ZSTD(ZstdLevel::try_new(level).map_err(|_| {
                Error::new(
                    ErrorKind::Schema,
                    format!("zstd compression level {level} is out of range (1 to 22)"),
                )
                .with_path(&dest.to_string_lossy())
            })?)
        }
        ParquetCompression::Snappy => Compression::SNAPPY,
        ParquetCompression::Uncompressed => Compression::UNCOMPRESSED,
    })
}

fn write_error(error: &parquet::errors::ParquetError, dest: &Path) -> Error {
    Error::new(
        ErrorKind::Io(std::io::ErrorKind::Other),
        format!("cannot write Parquet: {error}"),
    )
    .with_path(&dest.to_string_lossy())
}

struct ParquetSink<'a> {
    writer: SerializedFileWriter<BufWriter<File>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    dest: &'a Path,
    row_group_size: usize,
    /// The batches of the row group being filled.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    row_groups: usize,
    progress: &'a mut dyn FnMut(Progress) -> Result<()>,
}

impl ParquetSink<'_> {
    /// Encode the pending row group, its columns in parallel, and append it to the file.
    fn flush(&mut self) -> Result<()> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        let dest = self.dest;
        let writers = self
            .factory
            .create_column_writers(self.row_groups)
            .map_err(|e| write_error(&e, dest))?;
        if writers.len() != self.schema.fields().len() {
            // Only structs have several leaves per column, and Zeek logs have none.
            return Err(Error::new(
                ErrorKind::Internal,
                "a column with several Parquet leaves",
            ));
        }
        let (schema, pending) = (&self.schema, &self.pending);
        let chunks = writers
            .into_par_iter()
            .enumerate()
            .map(|(column, mut writer)| {
                let field = schema.field(column);
                for batch in pending {
                    for leaf in compute_leaves(field, batch.column(column))? {
                        writer.write(&leaf)?;
                    }
                }
                writer.close()
            })
            .collect::<parquet::errors::Result<Vec<_>>>()
            .map_err(|e| write_error(&e, dest))?;
        let mut row_group = self
            .writer
            .next_row_group()
            .map_err(|e| write_error(&e, dest))?;
        for chunk in chunks {
            chunk
                .append_to_row_group(&mut row_group)
                .map_err(|e| write_error(&e, dest))?;
        }
        row_group.close().map_err(|e| write_error(&e, dest))?;
        self.row_groups += 1;
        self.pending.clear();
        self.pending_rows = 0;
        Ok(())
    }
}

impl BatchSink for ParquetSink<'_> {
    fn batch(&mut self, batch: RecordBatch) -> Result<()> {
        let columns = batch.columns().iter().map(classic_array).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        let mut batch =
            RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
                .map_err(|e| Error::new(ErrorKind::Internal, format!("classic types: {e}")))?;
        // Row groups of exactly `row_group_size` rows, the last one excepted.
        while batch.num_rows() > 0 {
            let take = (self.row_group_size - self.pending_rows).min(batch.num_rows());
            self.pending.push(batch.slice(0, take));
            self.pending_rows += take;
            batch = batch.slice(take, batch.num_rows() - take);
            if self.pending_rows == self.row_group_size {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn progress(&mut self, progress: Progress) -> Result<()> {
        (self.progress)(progress)
    }
}

fn classic_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::List(item) => DataType::List(Arc::new(Field::new(
            item.name(),
            classic_type(item.data_type()),
            item.is_nullable(),
        ))),
        other => other.clone(),
    }
}

fn classic_schema(schema: &Schema) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), classic_type(f.data_type()), f.is_nullable()))
            .collect::<Vec<_>>(),
    )
}

/// The array with `Utf8View` strings (also inside lists) copied into classic `Utf8`.
fn classic_array(array: &ArrayRef) -> ArrayRef {
    match array.data_type() {
        DataType::Utf8View => {
            let views = array.as_string_view();
            let total: usize = views.views().iter().map(|&v| v as u32 as usize).sum();
            let mut values = Vec::with_capacity(total);
            let mut offsets = Vec::with_capacity(views.len() + 1);
            offsets.push(0i32);
            for i in 0..views.len() {
                // A null's view has length 0, so this copies nothing for it.
                values.extend_from_slice(views.value(i).as_bytes());
                // A chunk holds a few MB of text, far below the i32 offset limit.
                offsets.push(values.len() as i32);
            }
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            // SAFETY: the offsets start at 0 and never decrease, end at `values.len()`, and
            // every slice between two offsets is a copy of a `&str`, so valid UTF-8.
            let strings = unsafe {
                StringArray::new_unchecked(offsets, Buffer::from(values), views.nulls().cloned())
            };
            Arc::new(strings)
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let values = classic_array(list.values());
            let item = Arc::new(Field::new(
                item.name(),
                values.data_type().clone(),
                item.is_nullable(),
            ));
            Arc::new(ListArray::new(
                item,
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            ))
        }
        _ => array.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::read_files;
    use crate::testing::{log, TempLog, HEADER};
    use arrow_array::builder::{ListBuilder, StringViewBuilder};
    use arrow_array::StringViewArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn read_parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>, usize) {
        let file = File::open(path).expect("the Parquet file exists");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("valid Parquet");
        let row_groups = builder.metadata().num_row_groups();
        let schema = builder.schema().clone();
        let batches = builder
            .build()
            .expect("readable")
            .collect::<std::result::Result<Vec<_>, _>>()
            .expect("readable batches");
        (schema, batches, row_groups)
    }

    fn classic_rows(schema: &Schema, batches: &[RecordBatch]) -> RecordBatch {
        let classic = Arc::new(classic_schema(schema));
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| {
                let columns = b.columns().iter().map(classic_array).collect();
                RecordBatch::try_new(classic.clone(), columns).expect("same columns")
            })
            .collect();
        arrow_select::concat::concat_batches(&classic, &batches).expect("same schema")
    }

    #[test]
    fn a_log_converts_to_parquet_with_the_rows_of_a_read() {
        let blocks = format!(
            "{}#separator \\x09\n#fields\tts\tn\textra\tset\n\
             #types\ttime\tcount\tstring\tset[string]\n2.5\t2\tx\ta,b\n3.5\t-\t-\t(empty)\n",
            log(3000)
        );
        let file = TempLog::new("convert.log", blocks.as_bytes());
        let dir = std::env::temp_dir().join(format!("zeekframe-convert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        let dest = dir.join("out.parquet");
        let paths = [file.path()];
        let options = ReadOptions {
            chunk_size: 4096,
            ..ReadOptions::default()
        };
        let parquet = ParquetOptions {
            row_group_size: 1000,
            ..ParquetOptions::default()
        };
        let mut calls = 0;
        let summary = convert(&paths, &dest, &options, &parquet, &mut |_| {
            calls += 1;
            Ok(())
        })
        .expect("converts");
        assert_eq!(summary.rows, 3002);
        assert_eq!(summary.row_groups, 4);
        assert!(calls > 10, "{calls}");
        let (schema, batches, row_groups) = read_parquet(&dest);
        assert_eq!(row_groups, 4);
        // Every block's columns, though the first block has only four: the file was rewritten.
        assert_eq!(schema.fields().len(), 6);
        assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
        let read = read_files(&paths, &options).expect("reads");
        let expected = classic_rows(&read.schema, &read.batches);
        let written = arrow_select::concat::concat_batches(&schema, &batches).expect("one schema");
        assert!(written == expected);
        // Nothing but the result is left in the directory.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("listable")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["out.parquet"]);
        std::fs::remove_dir_all(&dir).expect("removable");
    }

    #[test]
    fn a_failed_conversion_leaves_no_file() {
        let text = format!("{HEADER}1.0\tCa\t80\t1\n2.0\tCb\tnot-a-port\t2\n");
        let file = TempLog::new("convert-bad.log", text.as_bytes());
        let dir = std::env::temp_dir().join(format!("zeekframe-failed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        let dest = dir.join("out.parquet");
        let error = convert(
            &[file.path()],
            &dest,
            &ReadOptions::default(),
            &ParquetOptions::default(),
            &mut |_| Ok(()),
        )
        .expect_err("a bad port");
        assert_eq!((error.line, error.column), (Some(9), Some(3)));
        assert_eq!(std::fs::read_dir(&dir).expect("listable").count(), 0);
        std::fs::remove_dir_all(&dir).expect("removable");
    }

    #[test]
    fn views_become_classic_strings_with_nulls_and_long_values() {
        let long = "x".repeat(40);
        let views: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("short"),
            None,
            Some(long.as_str()),
            Some(""),
        ]));
        let classic = classic_array(&views);
        let strings = classic.as_string::<i32>();
        assert_eq!(
            strings.iter().collect::<Vec<_>>(),
            vec![Some("short"), None, Some(long.as_str()), Some("")]
        );
        assert_eq!(strings.null_count(), 1);
    }

    #[test]
    fn lists_of_views_become_lists_of_classic_strings() {
        let mut builder = ListBuilder::new(StringViewBuilder::new());
        builder.values().append_value("application/pdf");
        builder.values().append_value("text/html");
        builder.append(true);
        builder.append(false);
        builder.append(true);
        let list: ArrayRef = Arc::new(builder.finish());
        let classic = classic_array(&list);
        assert_eq!(classic.data_type(), &classic_type(list.data_type()));
        let lists = classic.as_list::<i32>();
        assert_eq!(lists.null_count(), 1);
        let first = lists.value(0);
        let first = first.as_string::<i32>();
        assert_eq!(
            first.iter().collect::<Vec<_>>(),
            vec![Some("application/pdf"), Some("text/html")]
        );
        assert_eq!(lists.value(2).len(), 0);
    }
}
