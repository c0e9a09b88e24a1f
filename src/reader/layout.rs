//! Header blocks laid out as columns: names, types, renames, projection and the schema
//! of a set of files read from their headers.

use super::{output_name, parse, unify, DynamicColumns, ParsedChunk, ReadOptions, Workers};
use crate::columns::Block;
use crate::columns::JsonLayout;
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::HeaderState;
use crate::format::schemas::schema_for;
use crate::format::types::ZeekType;
use crate::json;
use crate::pushdown::Pushdown;
use crate::source::{read_chunks, BufferPool, DataChunk};
use arrow_schema::SchemaRef;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

impl ReadOptions {
    /// Lay out a header block (or, for a log without a header, the user's or built-in list).
    pub(crate) fn block(&self, header: &HeaderState, first_line: Option<&[u8]>) -> Result<Block> {
        let json_line = first_line
            .filter(|line| header.fields.is_none() && line.trim_ascii_start().starts_with(b"{"));
        if let Some(line) = json_line {
            let log_type = json::path_of(line).or_else(|| self.log_type.clone());
            return Ok(Block {
                markers: header.markers.clone(),
                log_path: log_type.clone(),
                names: Vec::new(),
                types: Vec::new(),
                type_names: Vec::new(),
                slots: Vec::new(),
                json: Some(
                    JsonLayout::new(log_type, self.wanted(), self.rename_underscore)
                        .with_declared(self.declared_types()?),
                ),
            });
        }
        let (fields, type_names) = match &header.fields {
            Some(fields) => {
                // zeek-cut accepts logs without #types; everything reads as text.
                let types = paired_types(fields, header.types.as_ref(), "#types", "#fields")?;
                (fields.clone(), types)
            }
            None => self.headerless_layout(header, first_line)?,
        };
        if fields.is_empty() {
            return Err(Error::header("#fields names no field"));
        }
        let wanted: Option<HashSet<String>> = self.wanted().map(|w| w.into_iter().collect());
        let names: Vec<String> = fields
            .iter()
            .map(|f| output_name(f, self.rename_underscore))
            .collect();
        let mut seen = HashSet::with_capacity(names.len());
        for name in &names {
            check_field_name(name)?;
            if !seen.insert(name.as_str()) {
                return Err(Error::header(format!(
                    "field {name:?} appears twice in #fields"
                )));
            }
        }
        let mut next_slot = 0;
        let slots = names
            .iter()
            .map(|name| {
                let selected = wanted.as_ref().is_none_or(|w| w.contains(name));
                selected.then(|| {
                    next_slot += 1;
                    next_slot - 1
                })
            })
            .collect();
        Ok(Block {
            markers: header.markers.clone(),
            log_path: header.path.clone(),
            types: type_names.iter().map(|t| ZeekType::parse(t)).collect(),
            type_names,
            names,
            slots,
            json: None,
        })
    }

    /// The user's `fields=` and `types=`, paired (every field a string without `types=`).
    fn declared_types(&self) -> Result<Option<(Vec<String>, Vec<String>)>> {
        let Some(fields) = &self.fields else {
            return Ok(None);
        };
        let types = paired_types(fields, self.types.as_ref(), "types=", "fields=")?;
        Ok(Some((fields.clone(), types)))
    }

    fn headerless_layout(
        &self,
        header: &HeaderState,
        first_line: Option<&[u8]>,
    ) -> Result<(Vec<String>, Vec<String>)> {
        if let Some(declared) = self.declared_types()? {
            return Ok(declared);
        }
        let Some(log_type) = &self.log_type else {
            return Err(Error::header(
                "no #fields header: this is not a Zeek log, or it was written without a \
                 header; pass log_type= (such as \"conn\") or fields= and types=",
            ));
        };
        let field_count = first_line.map_or(0, |line| {
            crate::format::header::split(line, &header.markers.separator).len()
        });
        let schema = schema_for(log_type, field_count)?;
        Ok((
            schema.fields.iter().map(|s| s.to_string()).collect(),
            schema.types.iter().map(|s| s.to_string()).collect(),
        ))
    }
}

/// A column name Arrow can carry: its C interface ends names at a NUL byte.
pub(crate) fn check_field_name(name: &str) -> Result<()> {
    if name.contains('\0') {
        return Err(Error::header(format!(
            "field name {name:?} holds a NUL byte, which no column name can carry"
        )));
    }
    Ok(())
}

/// The unified schema of `paths` without building their columns: from each file's first
/// header block, or (`every_block`) from all of them, which means reading each file to its
/// end. A JSON log's columns come from its lines: the first chunk's, or every chunk's.
pub fn layout_schema(
    paths: &[String],
    options: &ReadOptions,
    every_block: bool,
) -> Result<SchemaRef> {
    // Only the column names and types matter: nothing is sampled, filtered or kept.
    let lenient = ReadOptions {
        skip_bad_lines: true,
        pushdown: Pushdown::default(),
        ..options.clone()
    };
    let scan = |path: &String| -> Result<(Vec<Arc<Block>>, Vec<ParsedChunk>)> {
        let mut factory =
            |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
        let buffers = BufferPool::default();
        let chunking = if every_block {
            options.chunking()
        } else {
            options.chunking().peek()
        };
        let mut outputs = Vec::new();
        let mut keep_going = |chunk: DataChunk<Arc<Block>>| {
            if chunk.block.json.is_some() {
                outputs.push(parse(chunk, None, &lenient, &buffers));
            } else {
                buffers.give(chunk.data);
            }
            every_block
        };
        let summary = read_chunks(
            path,
            &chunking,
            &buffers,
            &mut factory,
            &mut keep_going,
            None,
        )?;
        match summary.error {
            // Data errors (a truncated stream) are the data pass's to report, with its numbering.
            Some(error) if summary.blocks.is_empty() || error.error.kind == ErrorKind::Header => {
                Err(error.error.with_line(error.reader_lines).with_path(path))
            }
            _ => Ok((summary.blocks, outputs)),
        }
    };
    let scanned = Workers::new(options.n_threads.max(1))?
        .install(|| paths.par_iter().map(scan).collect::<Result<Vec<_>>>())?;
    let named: Vec<(&str, &Block)> = paths
        .iter()
        .zip(&scanned)
        .flat_map(|(path, (blocks, _))| blocks.iter().map(|b| (path.as_str(), b.as_ref())))
        .collect();
    let mut dynamic = DynamicColumns::default();
    for (path, (_, outputs)) in paths.iter().zip(&scanned) {
        for chunk in outputs {
            dynamic.add(path, chunk)?;
        }
    }
    unify(&named, &dynamic, options)
}

/// `names` without repeats, first occurrence kept.
pub(super) fn dedup(names: Vec<&str>) -> Vec<&str> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .filter(|name| seen.insert(*name))
        .collect()
}

/// The layout of the first header block of `path` (or of its first line, for a log without a
/// header), without reading the data.
pub fn read_layout(path: &str, options: &ReadOptions) -> Result<Option<Arc<Block>>> {
    let mut factory =
        |header: &HeaderState, line: Option<&[u8]>| options.block(header, line).map(Arc::new);
    let buffers = BufferPool::default();
    let chunking = options.chunking().peek();
    let summary = read_chunks(
        path,
        &chunking,
        &buffers,
        &mut factory,
        &mut |_| false,
        None,
    )?;
    if let Some(error) = summary.error {
        return Err(error.error.with_line(error.reader_lines).with_path(path));
    }
    Ok(summary.blocks.into_iter().next())
}

/// One type for each field: `types` when there are as many, all strings when there are none.
fn paired_types(
    fields: &[String],
    types: Option<&Vec<String>>,
    types_name: &str,
    fields_name: &str,
) -> Result<Vec<String>> {
    match types {
        Some(types) if types.len() == fields.len() => Ok(types.clone()),
        Some(types) => Err(Error::header(format!(
            "{types_name} has {} entries but {fields_name} has {}",
            types.len(),
            fields.len()
        ))),
        None => Ok(vec!["string".to_owned(); fields.len()]),
    }
}
