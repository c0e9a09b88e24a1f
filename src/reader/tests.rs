//! Reading whole logs, end to end: numbering, skipping, limits, unification, chunking.

use super::*;
use crate::error::ErrorKind;
use crate::pushdown::{Literal, Op, Predicate, Sampler};
use crate::testing::{log, TempLog, HEADER};
use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, UInt16Type, UInt64Type};
use arrow_array::Array;
use arrow_schema::DataType;
use std::io::Write;

fn read(paths: &[String], options: &ReadOptions) -> ReadOutput {
    match read_files(paths, options) {
        Ok(output) => output,
        Err(error) => panic!("read failed: {error}"),
    }
}

fn column_names(output: &ReadOutput) -> Vec<&str> {
    output
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect()
}

fn column_u64(output: &ReadOutput, name: &str) -> Vec<Option<u64>> {
    let index = output.schema.index_of(name).expect("column exists");
    output
        .batches
        .iter()
        .flat_map(|b| {
            b.column(index)
                .as_primitive::<UInt64Type>()
                .iter()
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn any_chunk_size_and_thread_count_gives_the_same_rows() {
    let file = TempLog::new("chunks.log", log(500).as_bytes());
    let paths = vec![file.path()];
    let expected = column_u64(&read(&paths, &ReadOptions::default()), "n");
    assert_eq!(expected.len(), 500);
    assert_eq!(expected.iter().filter(|v| v.is_none()).count(), 72);
    for chunk_size in [1, 2, 7, 33, 64, 100, 4096] {
        for n_threads in [1, 2, 3] {
            let options = ReadOptions {
                chunk_size,
                n_threads,
                ..ReadOptions::default()
            };
            let output = read(&paths, &options);
            assert_eq!(
                column_u64(&output, "n"),
                expected,
                "chunk {chunk_size} x{n_threads}"
            );
        }
    }
}

/// Every chunking and thread count, with `n_rows`: the rows, schema and outcome agree.
fn limited_reads(text: &str, name: &str, n_rows: usize, skip: bool) -> Vec<Result<ReadOutput>> {
    let file = TempLog::new(name, text.as_bytes());
    let mut outcomes = Vec::new();
    for chunk_size in [1 << 20, 1, 9, 40, 100] {
        for n_threads in [1, 2] {
            let options = ReadOptions {
                chunk_size,
                n_threads,
                n_rows: Some(n_rows),
                skip_bad_lines: skip,
                ..ReadOptions::default()
            };
            outcomes.push(read_files(&[file.path()], &options));
        }
    }
    outcomes
}

#[test]
fn n_rows_never_looks_past_its_last_row() {
    // Three good rows, a bad line (too few fields), two more good rows.
    let mut text = log(3).replace("#close\t2020-01-01-00-00-00\n", "");
    text.push_str("bad\n9.0\tCx\t1\t1\n9.5\tCy\t2\t2\n");
    for skip in [false, true] {
        for outcome in limited_reads(&text, "limit-bad.log", 3, skip) {
            let output = outcome.expect("the bad line comes after the third row");
            assert_eq!(
                output
                    .batches
                    .iter()
                    .map(RecordBatch::num_rows)
                    .sum::<usize>(),
                3
            );
            assert_eq!(output.skipped_count, 0, "nothing past the limit is skipped");
        }
        let header_end = (log(0).len() - "#close\t2020-01-01-00-00-00\n".len()) as u64;
        for outcome in limited_reads(&text, "limit-bad2.log", 2, skip) {
            let rows_end = header_end + log(2).len() as u64 - log(0).len() as u64;
            assert_eq!(
                outcome.expect("before the bad line").end_offsets,
                [rows_end]
            );
        }
        for outcome in limited_reads(&text, "limit-bad4.log", 4, skip) {
            match (skip, outcome) {
                (false, Err(error)) => assert_eq!(error.line, Some(11)),
                (true, Ok(output)) => {
                    assert_eq!(output.skipped_count, 1);
                    assert_eq!(column_u64(&output, "n"), [None, Some(1), Some(2), Some(1)]);
                }
                (_, outcome) => panic!("skip={skip}: {outcome:?}"),
            }
        }
    }
    // A second header block after the limit adds no column.
    let two = two_blocks();
    for outcome in limited_reads(&two, "limit-blocks.log", 1, false) {
        let output = outcome.expect("a well-formed log");
        assert_eq!(column_names(&output), ["ts", "uid", "id.resp_p", "n"]);
    }
    for outcome in limited_reads(&two, "limit-blocks0.log", 0, false) {
        assert_eq!(column_names(&outcome.expect("a well-formed log")).len(), 4);
    }
    for outcome in limited_reads(&two, "limit-blocks2.log", 2, false) {
        let output = outcome.expect("a well-formed log");
        assert_eq!(
            column_names(&output),
            ["ts", "uid", "id.resp_p", "n", "extra"]
        );
    }
}

#[test]
fn a_last_line_without_a_line_end_is_named_once() {
    let body = log(2).replace("#close\t2020-01-01-00-00-00\n", "");
    for (last, json) in [("9.0\tCx\t1\t1", false), ("{\"ts\":1.0}", true)] {
        let (good, cut) = if json {
            (
                format!("{{\"ts\":2.0}}\n{last}"),
                "{\"ts\":1.0,\"x\":tr".to_owned(),
            )
        } else {
            (format!("{body}{last}"), format!("{body}9.0\tCx"))
        };
        for chunk_size in [1 << 20, 7] {
            let options = ReadOptions {
                chunk_size,
                skip_bad_lines: true,
                ..ReadOptions::default()
            };
            let file = TempLog::new("unterminated.log", good.as_bytes());
            let output = read(&[file.path()], &options);
            let line = if json { 2 } else { 10 };
            assert_eq!(output.unterminated, [(file.path(), line)], "read as a row");
            // A cut last line is a bad line, reported once, not also as a row read.
            let file = TempLog::new("unterminated-cut.log", cut.as_bytes());
            let output = read(&[file.path()], &options);
            assert_eq!(output.skipped_count, 1, "json={json}");
            assert!(output.unterminated.is_empty(), "json={json}");
        }
    }
}

#[test]
fn a_bad_line_before_a_checksum_mismatch_is_the_first_error_for_any_chunking() {
    // The last line is whole but has too few fields; the member's checksum is wrong.
    let text = format!(
        "{}9.0\tCx\n",
        log(3).replace("#close\t2020-01-01-00-00-00\n", "")
    );
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(text.as_bytes()).expect("in memory");
    let mut bytes = gzip.finish().expect("in memory");
    let crc = bytes.len() - 8;
    bytes[crc] ^= 0xff;
    let file = TempLog::new("bad-then-crc.log.gz", &bytes);
    for chunk_size in [1 << 20, 16, 100] {
        for n_threads in [1, 2] {
            let options = ReadOptions {
                chunk_size,
                n_threads,
                ..ReadOptions::default()
            };
            let error = read_files(&[file.path()], &options).expect_err("a bad line");
            assert_eq!(
                (error.kind, error.line),
                (ErrorKind::Parse, Some(11)),
                "{error}"
            );
            let skip = ReadOptions {
                skip_bad_lines: true,
                ..options
            };
            let error = read_files(&[file.path()], &skip).expect_err("damaged");
            assert_eq!(error.kind, ErrorKind::Corrupt, "{error}");
        }
    }
}

#[test]
fn damage_inside_compressed_data_is_reported_at_one_line_for_any_chunking() {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(log(20_000).as_bytes()).expect("in memory");
    let clean = gzip.finish().expect("in memory");
    for at in [clean.len() / 3, clean.len() / 2, clean.len() - 100] {
        let mut bytes = clean.clone();
        bytes[at] ^= 0x55;
        let file = TempLog::new("damaged-inside.log.gz", &bytes);
        // Per `on_bad_line`: one kind and line, whatever the chunk size.
        let mut seen: [Option<(ErrorKind, Option<u64>)>; 2] = [None, None];
        for chunk_size in [1 << 20, 4096, 100] {
            for skip_bad_lines in [false, true] {
                let options = ReadOptions {
                    chunk_size,
                    skip_bad_lines,
                    n_threads: 1,
                    ..ReadOptions::default()
                };
                let error = read_files(&[file.path()], &options).expect_err("damaged");
                let found = (error.kind, error.line);
                let first = seen[usize::from(skip_bad_lines)].get_or_insert(found);
                assert_eq!(*first, found, "chunk {chunk_size}, skip {skip_bad_lines}");
            }
        }
    }
}

#[test]
fn n_rows_types_json_columns_from_the_lines_read_only() {
    let text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":\"x\",\"b\":true}\n";
    for outcome in limited_reads(text, "limit.json", 3, false) {
        let output = outcome.expect("well-formed JSON lines");
        assert_eq!(column_names(&output), ["a"]);
        assert_eq!(output.schema.field(0).data_type(), &DataType::Int64);
    }
    for outcome in limited_reads(text, "limit4.json", 4, false) {
        let output = outcome.expect("well-formed JSON lines");
        assert_eq!(column_names(&output), ["a", "b"]);
        assert_eq!(output.schema.field(0).data_type(), &DataType::Utf8View);
    }
}

/// A log whose second header block drops a field and adds `extra`.
fn two_blocks() -> String {
    format!(
        "{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tts\tn\textra\n\
         #types\ttime\tcount\tstring\n2.5\t2\tx\n"
    )
}

#[test]
fn blocks_with_different_fields_are_unified_by_name() {
    let text = two_blocks();
    let file = TempLog::new("blocks.log", text.as_bytes());
    let output = read(
        &[file.path()],
        &ReadOptions {
            chunk_size: 3,
            ..ReadOptions::default()
        },
    );
    let names = column_names(&output);
    assert_eq!(names, ["ts", "uid", "id.resp_p", "n", "extra"]);
    assert_eq!(column_u64(&output, "n"), [Some(1), Some(2)]);
    let ports = output.batches[1].column(2).as_primitive::<UInt16Type>();
    assert!(ports.is_null(0));
}

#[test]
fn conflicting_types_across_blocks_are_an_error() {
    let text = format!("{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tn\n#types\tstring\nx\n");
    let file = TempLog::new("conflict.log", text.as_bytes());
    let error = read_files(&[file.path()], &ReadOptions::default()).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Schema));
}

#[test]
fn gzip_and_zstd_are_detected_from_the_bytes() {
    let text = log(50);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(text.as_bytes()).expect("in memory");
    let gzip = gzip.finish().expect("in memory");
    let zstd = zstd::encode_all(text.as_bytes(), 1).expect("in memory");
    // Names that say nothing of the content: detection reads the magic bytes.
    let files = [TempLog::new("a.log", &gzip), TempLog::new("b.dat", &zstd)];
    let paths: Vec<String> = files.iter().map(TempLog::path).collect();
    let output = read(&paths, &ReadOptions::default());
    assert_eq!(
        output.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        100
    );
    let ts = output.batches[0]
        .column(0)
        .as_primitive::<TimestampMicrosecondType>();
    assert_eq!(ts.value(1), 1_300_000_001_000_001);
}

#[test]
fn a_truncated_gzip_stream_raises_or_keeps_the_rows_before_the_cut() {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(log(2000).as_bytes()).expect("in memory");
    let gzip = gzip.finish().expect("in memory");
    let file = TempLog::new("cut.log.gz", &gzip[..gzip.len() / 2]);
    let error = read_files(&[file.path()], &ReadOptions::default()).err();
    assert_eq!(error.map(|e| e.kind), Some(ErrorKind::Truncated));
    let options = ReadOptions {
        skip_bad_lines: true,
        ..ReadOptions::default()
    };
    let output = read(&[file.path()], &options);
    let rows: usize = output.batches.iter().map(|b| b.num_rows()).sum();
    assert!(rows > 100 && rows < 2000, "{rows}");
    assert!(output
        .skipped
        .iter()
        .any(|e| e.kind == ErrorKind::Truncated));
}

#[test]
fn errors_carry_absolute_line_numbers() {
    let mut text = log(300);
    text = text.replacen("\t250\t", "\tbad\t", 1);
    let file = TempLog::new("bad.log", text.as_bytes());
    for chunk_size in [50, 1 << 20] {
        let options = ReadOptions {
            chunk_size,
            ..ReadOptions::default()
        };
        let error = read_files(&[file.path()], &options).expect_err("bad port");
        // 7 header lines, then row 250 is line 258.
        assert_eq!(
            (error.line, error.column),
            (Some(258), Some(3)),
            "chunk {chunk_size}"
        );
        assert_eq!(error.value.as_deref(), Some("bad"));
    }
}

#[test]
fn n_rows_and_projection() {
    let file = TempLog::new("head.log", log(1000).as_bytes());
    let options = ReadOptions {
        n_rows: Some(10),
        columns: Some(vec!["n".into(), "ts".into()]),
        chunk_size: 64,
        ..ReadOptions::default()
    };
    let output = read(&[file.path()], &options);
    let names = column_names(&output);
    assert_eq!(names, ["n", "ts"]);
    assert_eq!(column_u64(&output, "n").len(), 10);
    let missing = ReadOptions {
        columns: Some(vec!["nope".into()]),
        ..ReadOptions::default()
    };
    let error = read_files(&[file.path()], &missing)
        .err()
        .map(|e| e.message);
    assert!(error.is_some_and(|m| m.contains("\"nope\"") && m.contains("id.resp_p")));
}

#[test]
fn sampling_and_filters_do_not_depend_on_chunking() {
    let file = TempLog::new("pushdown.log", log(3000).as_bytes());
    let pushdown = Pushdown {
        sample: Sampler::new(0.3, 9),
        filter: Some(Predicate::Compare {
            column: "id.resp_p".into(),
            op: Op::GtEq,
            value: Literal::Int(1000),
        }),
        mime: None,
    };
    let options = |chunk_size, n_threads| ReadOptions {
        chunk_size,
        n_threads,
        pushdown: pushdown.clone(),
        ..ReadOptions::default()
    };
    let expected = column_u64(&read(&[file.path()], &options(1 << 20, 1)), "n");
    // 2,000 rows pass the filter; about 30 % of them are sampled.
    assert!((500..700).contains(&expected.len()), "{}", expected.len());
    assert!(expected.iter().flatten().all(|&n| n >= 1000));
    for chunk_size in [7, 100, 4096] {
        for n_threads in [1, 3] {
            let output = read(&[file.path()], &options(chunk_size, n_threads));
            assert_eq!(
                column_u64(&output, "n"),
                expected,
                "chunk {chunk_size} x{n_threads}"
            );
        }
    }
}

#[test]
fn a_header_only_file_still_names_its_columns() {
    let file = TempLog::new("empty.log", HEADER.as_bytes());
    let output = read(&[file.path()], &ReadOptions::default());
    assert_eq!(output.schema.fields().len(), 4);
    assert!(output.batches.is_empty());
}

#[test]
fn headerless_logs_need_a_layout() {
    let file = TempLog::new("bare.log", b"1.0\tCa\n2.0\tCb\n");
    let error = read_files(&[file.path()], &ReadOptions::default()).err();
    assert_eq!(
        error.map(|e| (e.kind, e.line)),
        Some((ErrorKind::Header, Some(1)))
    );
    let options = ReadOptions {
        fields: Some(vec!["ts".into(), "uid".into()]),
        types: Some(vec!["time".into(), "string".into()]),
        ..ReadOptions::default()
    };
    let output = read(&[file.path()], &options);
    assert_eq!(output.batches[0].num_rows(), 2);
}

/// Collects a stream's batches, checking that progress only moves forward.
#[derive(Default)]
struct Collect {
    batches: Vec<RecordBatch>,
    last: Option<crate::stream::Progress>,
}

impl crate::stream::BatchSink for Collect {
    fn batch(&mut self, batch: RecordBatch) -> Result<()> {
        self.batches.push(batch);
        Ok(())
    }

    fn progress(&mut self, progress: crate::stream::Progress) -> Result<()> {
        if let Some(last) = self.last {
            assert!(progress.bytes_read >= last.bytes_read && progress.rows >= last.rows);
        }
        self.last = Some(progress);
        Ok(())
    }
}

/// `stream_files` with the schema of every block, as a `ReadOutput`.
fn streamed(paths: &[String], options: &ReadOptions) -> Result<ReadOutput> {
    let schema = layout_schema(paths, options, true)?;
    let mut sink = Collect::default();
    match crate::stream::stream_files(paths, options, &schema, &mut sink)? {
        crate::stream::StreamEnd::Done {
            rows,
            skipped,
            unterminated,
        } => {
            let counted: usize = sink.batches.iter().map(RecordBatch::num_rows).sum();
            assert_eq!(rows, counted as u64);
            Ok(ReadOutput {
                schema,
                batches: sink.batches,
                skipped_count: skipped.count,
                skipped: skipped.first,
                unterminated,
                end_offsets: Vec::new(),
            })
        }
        crate::stream::StreamEnd::SchemaGrew => panic!("the schema had every block"),
    }
}

/// The streaming read gives the same batches, skipped lines and errors as `read_files`.
fn assert_streams_alike(paths: &[String], options: &ReadOptions) {
    let whole = read_files(paths, options);
    let stream = streamed(paths, options);
    match (whole, stream) {
        (Ok(whole), Ok(stream)) => {
            // read_files stops at `n_rows` without looking at later blocks' columns.
            if options.n_rows.is_none() {
                assert_eq!(whole.schema, stream.schema);
            }
            let shared: Vec<usize> = (0..whole.schema.fields().len()).collect();
            // Chunk boundaries depend on the buffers the reader recycles; rows do not.
            let rows = |o: &ReadOutput| {
                arrow_select::concat::concat_batches(&o.schema, &o.batches)
                    .and_then(|b| b.project(&shared))
                    .expect("batches share the schema")
            };
            assert!(rows(&whole) == rows(&stream), "{paths:?} {options:?}");
            assert_eq!(
                whole.skipped_count, stream.skipped_count,
                "{paths:?} {options:?}"
            );
            let lines = |o: &ReadOutput| o.skipped.iter().map(|e| e.line).collect::<Vec<_>>();
            assert_eq!(lines(&whole), lines(&stream));
        }
        (Err(whole), Err(stream)) => {
            assert_eq!(
                (whole.kind, whole.line, whole.column, whole.path),
                (stream.kind, stream.line, stream.column, stream.path),
                "{paths:?} {options:?}"
            );
        }
        (whole, stream) => {
            panic!("{paths:?} {options:?}: read_files {whole:?} but stream_files {stream:?}")
        }
    }
}

#[test]
fn streaming_reads_the_same_rows_and_errors() {
    let plain = TempLog::new("stream.log", log(700).as_bytes());
    let blocks = TempLog::new(
        "stream-blocks.log",
        format!(
            "{}#separator \\x09\n#fields\tts\tn\textra\n#types\ttime\tcount\tstring\n\
             2.5\t2\tx\n3.5\t-\t(empty)\n",
            log(40)
        )
        .as_bytes(),
    );
    let bad = TempLog::new(
        "stream-bad.log",
        log(300)
            .replacen("\t250\t", "\tbad\t", 1)
            .replacen("\t20\t", "\t-5\t", 1)
            .as_bytes(),
    );
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(log(2000).as_bytes()).expect("in memory");
    let gzip = gzip.finish().expect("in memory");
    let cut = TempLog::new("stream-cut.log.gz", &gzip[..gzip.len() / 2]);
    let sets = [
        vec![plain.path()],
        vec![plain.path(), blocks.path(), plain.path()],
        vec![bad.path()],
        vec![cut.path()],
        vec![plain.path(), cut.path(), bad.path()],
    ];
    let pushdown = Pushdown {
        sample: Sampler::new(0.5, 3),
        filter: Some(Predicate::Compare {
            column: "n".into(),
            op: Op::Gt,
            value: Literal::Int(100),
        }),
        mime: None,
    };
    for paths in &sets {
        for chunk_size in [1, 97, 4096, 1 << 20] {
            for n_threads in [1, 3] {
                for skip_bad_lines in [false, true] {
                    for n_rows in [None, Some(0), Some(5), Some(650)] {
                        let options = ReadOptions {
                            chunk_size,
                            n_threads,
                            skip_bad_lines,
                            n_rows,
                            ..ReadOptions::default()
                        };
                        assert_streams_alike(paths, &options);
                    }
                    let options = ReadOptions {
                        chunk_size,
                        n_threads,
                        skip_bad_lines,
                        columns: Some(vec!["n".into(), "ts".into()]),
                        pushdown: pushdown.clone(),
                        ..ReadOptions::default()
                    };
                    assert_streams_alike(paths, &options);
                }
            }
        }
    }
}

#[test]
fn a_stream_says_when_a_later_block_brings_new_columns() {
    let text = two_blocks();
    let file = TempLog::new("grows.log", text.as_bytes());
    let paths = [file.path()];
    let options = ReadOptions::default();
    let first = layout_schema(&paths, &options, false).expect("header reads");
    assert_eq!(first.fields().len(), 4);
    let mut sink = Collect::default();
    let end = crate::stream::stream_files(&paths, &options, &first, &mut sink);
    assert!(matches!(end, Ok(crate::stream::StreamEnd::SchemaGrew)));
    let every = layout_schema(&paths, &options, true).expect("headers read");
    assert_eq!(every.fields().len(), 5);
    // A block with fewer columns fits: the missing ones are null.
    let fewer = format!(
        "{HEADER}1.0\tCa\t80\t1\n#separator \\x09\n#fields\tts\tn\n\
         #types\ttime\tcount\n2.5\t2\n"
    );
    let file = TempLog::new("fewer.log", fewer.as_bytes());
    let output = streamed(&[file.path()], &options).expect("reads");
    assert_eq!(column_u64(&output, "n"), [Some(1), Some(2)]);
}

/// The cut of `path` into ranges at `cuts`, numbered by `scan_range`, as a planner makes it.
fn ranges_of(path: &str, cuts: &[u64]) -> Vec<ByteRange> {
    let plan = crate::source::plan_file(path, DEFAULT_MAX_LINE_BYTES).expect("plan");
    let mut points = vec![0];
    points.extend(
        cuts.iter()
            .copied()
            .filter(|&c| c > plan.header_end && c < plan.size),
    );
    points.sort_unstable();
    points.push(plan.size);
    let mut before = 0;
    let mut ranges = Vec::new();
    for (j, pair) in points.windows(2).enumerate() {
        let from = if j == 0 { plan.header_end } else { pair[0] };
        let scan =
            crate::source::scan_range(path, from, pair[1], &Cancel::default()).expect("scan");
        assert_eq!(scan.header_line, None);
        ranges.push(ByteRange {
            start: pair[0],
            end: pair[1],
            lines_before: before,
        });
        before += scan.newlines + if j == 0 { plan.header_lines } else { 0 };
    }
    ranges
}

#[test]
fn byte_ranges_give_every_line_once_for_any_cut() {
    let text = log(300);
    let file = TempLog::new("ranges.log", text.as_bytes());
    let paths = vec![file.path()];
    let sampled = ReadOptions {
        pushdown: Pushdown {
            sample: Sampler::new(0.5, 11),
            ..Pushdown::default()
        },
        ..ReadOptions::default()
    };
    let expected = column_u64(&read(&paths, &sampled), "n");
    let size = text.len() as u64;
    for step in [1u64, 2, 5, 17, 64, 500, 4096, size] {
        let cuts: Vec<u64> = (1..).map(|i| i * step).take_while(|&c| c < size).collect();
        let mut got = Vec::new();
        for range in ranges_of(&paths[0], &cuts) {
            let options = ReadOptions {
                byte_range: Some(range),
                n_threads: 1,
                ..sampled.clone()
            };
            got.extend(column_u64(&read(&paths, &options), "n"));
        }
        assert_eq!(got, expected, "cut every {step} bytes");
    }
}

#[test]
fn a_bad_line_in_a_range_has_its_line_number_in_the_file() {
    let mut text = log(50);
    let at = text.find("1300000030.").expect("row 30 exists");
    text.insert_str(at, "not a row\n");
    let file = TempLog::new("range-bad.log", text.as_bytes());
    let paths = vec![file.path()];
    let whole = read_files(&paths, &ReadOptions::default()).expect_err("bad line");
    let header_lines = HEADER.lines().count() as u64;
    assert_eq!(whole.line, Some(header_lines + 31));
    let ranges = ranges_of(&paths[0], &[at as u64 + 3, at as u64 + 40]);
    let errors: Vec<Error> = ranges
        .iter()
        .filter_map(|range| {
            let options = ReadOptions {
                byte_range: Some(*range),
                ..ReadOptions::default()
            };
            read_files(&paths, &options).err()
        })
        .collect();
    assert_eq!(errors.len(), 1, "only the range that owns the line fails");
    assert_eq!(errors[0].line, whole.line);
    assert_eq!(errors[0].path, whole.path);
}

#[test]
fn a_range_of_a_crlf_file_without_a_final_line_end_reads_its_lines() {
    let text = log(20).replace('\n', "\r\n");
    let text = text
        .trim_end_matches("#close\t2020-01-01-00-00-00\r\n")
        .trim_end();
    let file = TempLog::new("range-crlf.log", text.as_bytes());
    let paths = vec![file.path()];
    let expected = column_u64(&read(&paths, &ReadOptions::default()), "n");
    assert_eq!(expected.len(), 20);
    let size = text.len() as u64;
    let mut got = Vec::new();
    for range in ranges_of(&paths[0], &[size - 3, size - 30, size / 2]) {
        let options = ReadOptions {
            byte_range: Some(range),
            ..ReadOptions::default()
        };
        got.extend(column_u64(&read(&paths, &options), "n"));
    }
    assert_eq!(got, expected);
}

#[test]
fn scan_range_finds_a_header_block_after_the_first() {
    let text = format!("{}{}", log(10), log(10));
    let file = TempLog::new("range-blocks.log", text.as_bytes());
    let second = log(10).len() as u64;
    let path = file.path();
    let header_end = HEADER.len() as u64;
    let scan =
        crate::source::scan_range(&path, header_end, second + 3, &Cancel::default()).expect("scan");
    // Ten rows and the first block's #close, then the second block's #separator.
    assert_eq!(scan.header_line, Some(11));
    assert_eq!(scan.newlines, 11);
    let later = crate::source::scan_range(&path, second + 3, text.len() as u64, &Cancel::default())
        .expect("scan");
    // The #separator line cut by the range's start belongs to the range before; the line
    // after it, #set_separator, is the range's first header line.
    assert_eq!(later.header_line, Some(1));
    let compressed = crate::source::scan_range("/dev/null", 0, 1, &Cancel::default());
    assert!(compressed.is_err(), "a byte range needs a regular file");
}

/// A read's values column by column, however they were cut into batches (and so however
/// each batch's dictionaries were built).
fn logical_columns(output: &ReadOutput) -> Vec<arrow_array::ArrayRef> {
    (0..output.schema.fields().len())
        .map(|i| {
            let parts: Vec<&dyn Array> = output
                .batches
                .iter()
                .map(|b| b.column(i).as_ref())
                .collect();
            match output.schema.field(i).data_type() {
                DataType::Dictionary(_, _) => {
                    let values: arrow_array::StringArray = parts
                        .iter()
                        .flat_map(|part| {
                            let part = part.as_dictionary::<arrow_array::types::UInt32Type>();
                            let words = part.values().as_string::<i32>();
                            part.keys()
                                .iter()
                                .map(|key| key.map(|k| words.value(k as usize).to_owned()))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    Arc::new(values) as arrow_array::ArrayRef
                }
                _ if parts.is_empty() => {
                    arrow_array::new_empty_array(output.schema.field(i).data_type())
                }
                _ => arrow_select::concat::concat(&parts).expect("same types"),
            }
        })
        .collect()
}

/// What a read gives, in a form two reads can be compared by.
#[derive(Debug, PartialEq)]
enum Outcome {
    Read {
        schema: SchemaRef,
        columns: Vec<arrow_array::ArrayRef>,
        skipped_count: u64,
        skipped: Vec<String>,
        unterminated: Vec<(String, u64)>,
        end_offsets: Vec<u64>,
    },
    Failed(String),
}

fn outcome(result: Result<ReadOutput>) -> Outcome {
    match result {
        Ok(output) => Outcome::Read {
            columns: logical_columns(&output),
            skipped: output.skipped.iter().map(ToString::to_string).collect(),
            schema: output.schema,
            skipped_count: output.skipped_count,
            unterminated: output.unterminated,
            end_offsets: output.end_offsets,
        },
        Err(error) => Outcome::Failed(error.to_string()),
    }
}

/// Every log of the shared corpus (skipped when it is absent) reads the same mapped into
/// memory as read into buffers: rows, errors, line numbers, offsets, serial and parallel,
/// at small chunks and at the default, and in byte ranges.
#[test]
fn mapped_files_read_like_files_read_into_buffers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/zeek-logs");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!("no corpus at {}: skipped", root.display());
        return;
    };
    let mut paths: Vec<String> = Vec::new();
    for dir in dirs.flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path().to_string_lossy().into_owned();
            if !path.ends_with(".md") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    assert!(paths.len() > 1000, "the corpus holds {} files", paths.len());
    let mut mapped_reads = 0;
    for path in &paths {
        let one = [path.clone()];
        let Ok(plan) = crate::source::plan_file(path, DEFAULT_MAX_LINE_BYTES) else {
            continue;
        };
        if plan.compression != crate::source::Compression::None {
            // Never mapped: nothing to compare.
            continue;
        }
        // Small chunks on small files only: a debug build reads a few MB a second.
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() < 256 << 10);
        let chunkings: &[(usize, usize, bool)] = if small {
            &[(DEFAULT_CHUNK_SIZE, 2, false), (1000, 1, true)]
        } else {
            &[(DEFAULT_CHUNK_SIZE, 2, false)]
        };
        for &(chunk_size, n_threads, skip_bad_lines) in chunkings {
            let options = |map_min_bytes| ReadOptions {
                chunk_size,
                n_threads,
                skip_bad_lines,
                log_type: Some("conn".to_owned()),
                map_min_bytes,
                ..ReadOptions::default()
            };
            let read_in = outcome(read_files(&one, &options(None)));
            let mapped = outcome(read_files(&one, &options(Some(0))));
            assert_eq!(mapped, read_in, "{path} chunk {chunk_size} x{n_threads}");
            mapped_reads += 1;
        }
        if plan.size < 2 {
            continue;
        }
        let after_header =
            crate::source::scan_range(path, plan.header_end, plan.size, &Cancel::default());
        if !after_header.is_ok_and(|scan| scan.header_line.is_none()) {
            // A file with header lines further on is not cut into ranges.
            continue;
        }
        let half = (plan.size / 2).max(plan.header_end + 1);
        for range in ranges_of(path, &[half]) {
            let options = |map_min_bytes| ReadOptions {
                byte_range: Some(range),
                skip_bad_lines: true,
                log_type: Some("conn".to_owned()),
                map_min_bytes,
                ..ReadOptions::default()
            };
            let read_in = outcome(read_files(&one, &options(None)));
            let mapped = outcome(read_files(&one, &options(Some(0))));
            assert_eq!(mapped, read_in, "{path} range {range:?}");
        }
    }
    assert!(mapped_reads > 1000, "{mapped_reads} reads");
}

/// A mapped file cut short while it is read (as `copytruncate` does): the reader survives the
/// fault, the chunks read before the cut are the file's, and the read ends with the error.
#[test]
fn a_mapped_file_truncated_while_read_is_an_error_after_the_rows_before() {
    let text = log(20_000);
    let file = TempLog::new("truncated-while-read.log", text.as_bytes());
    let path = file.path();
    let options = ChunkOptions {
        map_min_bytes: Some(0),
        ..ChunkOptions::new(64 << 10)
    };
    let buffers = crate::source::BufferPool::default();
    let mut factory = |_: &crate::format::header::HeaderState, _: Option<&[u8]>| Ok(());
    let mut chunks = Vec::new();
    let mut emit = |chunk: crate::source::DataChunk<()>| {
        assert!(matches!(
            chunk.data,
            crate::source::ChunkData::Mapped { .. }
        ));
        if chunks.is_empty() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(100 << 10))
                .expect("truncates");
        }
        chunks.push((chunk.offset, chunk.data.to_vec(), chunk.data.cut()));
        true
    };
    let summary =
        crate::source::read_chunks(&path, &options, &buffers, &mut factory, &mut emit, None)
            .expect("the read itself survives");
    let error = summary.error.expect("the cut is reported");
    assert_eq!(error.error.kind, ErrorKind::Truncated);
    assert!(
        error.error.message.contains("shrank while it was read"),
        "{}",
        error.error
    );
    // The first chunk was handed out whole before the cut; finding the end of the next one
    // touched pages past the new end, so the reader stopped there.
    assert_eq!(chunks.len(), 1);
    let (offset, first, cut) = &chunks[0];
    assert!(!cut);
    assert_eq!(
        &text.as_bytes()[*offset as usize..*offset as usize + first.len()],
        &first[..]
    );
}
