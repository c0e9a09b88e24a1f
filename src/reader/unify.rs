//! Chunks of different header blocks (or JSON keys) unified by column name into one
//! schema, and each chunk turned into a batch of it.

use super::layout::dedup;
use super::{output_name, ParsedChunk, ReadOptions};
use crate::columns::Block;
use crate::columns::{NamedColumn, Shape};
use crate::error::{Error, Result};
use crate::format::schemas::builtin_schemas;
use crate::format::types::ZeekType;
use crate::json;
use crate::pushdown::{MimeCategories, MIME_CATEGORY};
use arrow_array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The columns of JSON chunks, in first-seen order: a key no schema knows is typed by the
/// join of its values' shapes over every chunk. A log of a known type also has the columns
/// its writer leaves out when they are unset (Zeek's JSON writer omits null fields).
#[derive(Debug, Default)]
pub(crate) struct DynamicColumns {
    /// Name, type and the first file that has it, in first-seen order.
    columns: Vec<(String, DataType, String)>,
    shapes: Vec<Option<Shape>>,
    index: HashMap<String, usize>,
    /// Per log type: the keys seen, and a file that has it.
    log_types: Vec<(String, SeenKeys, String)>,
}

/// Names in first-seen order, each once.
#[derive(Debug, Default)]
struct SeenKeys {
    names: Vec<String>,
    set: HashSet<String>,
}

impl DynamicColumns {
    pub fn add(&mut self, path: &str, chunk: &ParsedChunk) -> Result<()> {
        let output = &chunk.output;
        if let Some(log_type) = chunk.block.json.as_ref().and_then(|j| j.log_type.clone()) {
            let at = match self.log_types.iter().position(|(t, _, _)| *t == log_type) {
                Some(at) => at,
                None => {
                    self.log_types
                        .push((log_type, SeenKeys::default(), path.to_owned()));
                    self.log_types.len() - 1
                }
            };
            let seen = &mut self.log_types[at].1;
            for (name, _) in &output.named {
                if seen.set.insert(name.clone()) {
                    seen.names.push(name.clone());
                }
            }
        }
        for (name, column) in &output.named {
            let shape = match column {
                NamedColumn::Inferred(inferred) => Some(inferred.shape.clone()),
                NamedColumn::Typed(_) => None,
            };
            let Some(&at) = self.index.get(name) else {
                self.index.insert(name.clone(), self.columns.len());
                self.columns
                    .push((name.clone(), column.data_type(), path.to_owned()));
                self.shapes.push(shape);
                continue;
            };
            match (&self.shapes[at], shape) {
                (Some(known), Some(shape)) => {
                    let joined = known.join(&shape);
                    self.columns[at].1 = joined.arrow_type();
                    self.shapes[at] = Some(joined);
                }
                (None, None) if self.columns[at].1 == column.data_type() => {}
                _ => {
                    return Err(Error::schema(format!(
                        "column {name:?} is {} in {} but {} in later lines",
                        json::zeek_type_name(&self.columns[at].1),
                        self.columns[at].2,
                        json::zeek_type_name(&column.data_type())
                    ))
                    .with_path(path))
                }
            }
        }
        Ok(())
    }

    /// The columns in order: for each log type, the fields of the built-in schema that fits
    /// the keys seen (the smallest that has them all, the newest on a tie) in its order,
    /// then the other keys as first seen.
    fn finished(&self, rename_underscore: bool) -> Vec<(String, DataType, String)> {
        let mut out: Vec<(String, DataType, String)> = Vec::new();
        let mut placed: HashSet<String> = HashSet::new();
        let registry = builtin_schemas();
        for (log_type, seen, path) in &self.log_types {
            let renamed = |field: &str| output_name(field, rename_underscore);
            let schemas: Vec<(&_, HashSet<String>)> = registry
                .iter()
                .filter(|s| s.log_type == log_type.as_str())
                .map(|s| (s, s.fields.iter().map(|f| renamed(f)).collect()))
                .collect();
            let known = |name: &String| schemas.iter().any(|(_, fields)| fields.contains(name));
            let fitting = schemas
                .iter()
                .filter(|(_, fields)| {
                    seen.names
                        .iter()
                        .filter(|name| known(name))
                        .all(|name| fields.contains(name))
                })
                .min_by_key(|(s, _)| s.fields.len());
            let Some((schema, _)) = fitting else { continue };
            for (field, zeek_type) in schema.fields.iter().zip(&schema.types) {
                let name = renamed(field);
                if !placed.insert(name.clone()) {
                    continue;
                }
                out.push(match self.index.get(&name) {
                    Some(&at) => self.columns[at].clone(),
                    None => (name, ZeekType::parse(zeek_type).arrow_type(), path.clone()),
                });
            }
        }
        for column in &self.columns {
            if placed.insert(column.0.clone()) {
                out.push(column.clone());
            }
        }
        out
    }
}

/// Columns in first-seen order with a name index, so unifying a header of a million fields
/// stays linear.
#[derive(Default)]
struct ColumnList {
    columns: Vec<UnifiedColumn>,
    index: HashMap<String, usize>,
}

struct UnifiedColumn {
    name: String,
    data_type: DataType,
    /// Zeek's name of the type, for messages.
    zeek_type: String,
    /// The first file that has the column.
    path: String,
}

impl ColumnList {
    fn get(&self, name: &str) -> Option<&UnifiedColumn> {
        self.index.get(name).map(|&at| &self.columns[at])
    }

    /// Add a column, or check that it has the type it already has (`from_header`: a header
    /// block's column, else a JSON log's).
    fn add(&mut self, column: UnifiedColumn, from_header: bool) -> Result<()> {
        if let Some(known) = self.get(&column.name) {
            if known.data_type == column.data_type {
                return Ok(());
            }
            let place = match (known.path == column.path, from_header) {
                (true, true) => "in a later header block".to_owned(),
                (true, false) => "in later lines".to_owned(),
                (false, _) => format!("in {}", column.path),
            };
            return Err(Error::schema(format!(
                "column {:?} is {} in {} but {} {place}",
                column.name, known.zeek_type, known.path, column.zeek_type
            ))
            .with_path(&column.path));
        }
        self.index.insert(column.name.clone(), self.columns.len());
        self.columns.push(column);
        Ok(())
    }
}

/// The output columns: the requested ones in the requested order, or every column of every
/// block in first-seen order. A name with two different types is an error.
pub(crate) fn unify(
    blocks: &[(&str, &Block)],
    dynamic: &DynamicColumns,
    options: &ReadOptions,
) -> Result<SchemaRef> {
    let mut columns = ColumnList::default();
    for (path, block) in blocks {
        for field in block.selected() {
            columns.add(
                UnifiedColumn {
                    name: block.names[field].clone(),
                    data_type: block.types[field].arrow_type(),
                    zeek_type: block.type_names[field].clone(),
                    path: (*path).to_owned(),
                },
                true,
            )?;
        }
    }
    for (name, data_type, path) in dynamic.finished(options.rename_underscore) {
        let zeek_type = json::zeek_type_name(&data_type);
        columns.add(
            UnifiedColumn {
                name,
                data_type,
                zeek_type,
                path,
            },
            false,
        )?;
    }
    if options.pushdown.mime.is_some() && columns.get(MIME_CATEGORY).is_none() {
        columns.add(
            UnifiedColumn {
                name: MIME_CATEGORY.to_owned(),
                data_type: MimeCategories::data_type(),
                zeek_type: "enum".to_owned(),
                path: String::new(),
            },
            false,
        )?;
    }
    if let Some(name) = &options.include_file_paths {
        if let Some(column) = columns.get(name) {
            return Err(Error::schema(format!(
                "include_file_paths={name:?} is already a column of the log; choose another name"
            ))
            .with_path(&column.path));
        }
        columns.add(
            UnifiedColumn {
                name: name.clone(),
                data_type: DataType::Utf8View,
                zeek_type: "string".to_owned(),
                path: String::new(),
            },
            false,
        )?;
    }
    let fields: Vec<Field> = match options.wanted() {
        Some(wanted) => {
            let mut fields = Vec::with_capacity(wanted.len());
            for name in &wanted {
                let Some(column) = columns.get(name) else {
                    let available: Vec<&str> = blocks
                        .iter()
                        .flat_map(|(_, b)| b.names.iter().map(String::as_str))
                        .collect();
                    return Err(Error::schema(format!(
                        "column {name:?} is not in the log; its columns are: {}",
                        dedup(available).join(", ")
                    )));
                };
                fields.push(Field::new(&column.name, column.data_type.clone(), true));
            }
            fields
        }
        None => columns
            .columns
            .into_iter()
            .map(|column| Field::new(column.name, column.data_type, true))
            .collect(),
    };
    Ok(Arc::new(Schema::new(fields)))
}

/// Column positions of `schema` by name.
fn name_index(schema: &Schema) -> HashMap<&str, usize> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(at, field)| (field.name().as_str(), at))
        .collect()
}

/// Whether every column of a parsed chunk is in `schema`, with a type that holds it.
pub(crate) fn fits(chunk: &ParsedChunk, schema: &Schema) -> bool {
    let block = &chunk.block;
    let index = name_index(schema);
    let field = |name: &str| index.get(name).map(|&at| schema.field(at));
    let header_columns = block.selected().all(|at| {
        field(&block.names[at]).is_some_and(|f| *f.data_type() == block.types[at].arrow_type())
    });
    let json_columns = chunk.output.named.iter().all(|(name, column)| {
        field(name).is_some_and(|f| match column {
            NamedColumn::Typed(array) => array.data_type() == f.data_type(),
            NamedColumn::Inferred(inferred) => json::shape_of_type(f.data_type())
                .is_some_and(|target| inferred.shape.join(&target) == target),
        })
    });
    header_columns && json_columns
}

/// The columns of one chunk as a batch of `schema`: its own columns, nulls for the columns
/// other blocks have, the derived `mime_category` and the file path column.
pub(crate) fn chunk_batch(
    chunk: &ParsedChunk,
    schema: &SchemaRef,
    path: &str,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    let block = &chunk.block;
    if block.json.is_some() {
        let extra = |field: &Field| {
            if field.name() == MIME_CATEGORY {
                return chunk.output.mime.clone();
            }
            (options.include_file_paths.as_ref() == Some(field.name()))
                .then(|| repeated_string(path, chunk.output.rows))
        };
        return json::json_batch(&chunk.output.named, chunk.output.rows, schema, &extra);
    }
    let slots: HashMap<&str, usize> = block
        .selected()
        .enumerate()
        .map(|(slot, field)| (block.names[field].as_str(), slot))
        .collect();
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            if field.name() == MIME_CATEGORY {
                if let Some(mime) = &chunk.output.mime {
                    return mime.clone();
                }
            }
            if options.include_file_paths.as_ref() == Some(field.name()) {
                return repeated_string(path, chunk.output.rows);
            }
            slots
                .get(field.name().as_str())
                .map(|&slot| chunk.output.columns[slot].clone())
                .unwrap_or_else(|| new_null_array(field.data_type(), chunk.output.rows))
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(chunk.output.rows));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .map_err(|e| Error::schema(format!("cannot assemble columns: {e}")))
}

/// `rows` copies of `value`, sharing one copy of its bytes.
fn repeated_string(value: &str, rows: usize) -> ArrayRef {
    let view = crate::columns::builders::string_view(value.as_bytes(), 0, 0);
    let buffers = if value.len() > 12 {
        vec![arrow_buffer::Buffer::from(value.as_bytes())]
    } else {
        Vec::new()
    };
    let views = arrow_buffer::ScalarBuffer::from(vec![view; rows]);
    // SAFETY: every view describes `value`, a valid UTF-8 string, inline or at offset 0 of
    // the one buffer.
    Arc::new(unsafe { arrow_array::StringViewArray::new_unchecked(views, buffers.into(), None) })
}
