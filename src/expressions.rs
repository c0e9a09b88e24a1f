//! Polars expression plugins (pyo3-polars): FFI shims over the core's kernels, so an
//! expression gives exactly what the parser computes.

use crate::pushdown::MimeCategories;
use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

/// The categories as `zeekframe.mime` passes them: names and, for each, its MIME types.
#[derive(Deserialize)]
struct MimeKwargs {
    names: Vec<String>,
    types: Vec<Vec<String>>,
}

/// `zf.mime_category`: the name of each row's category, for a list-of-strings column such as
/// `resp_mime_types` or a plain string column; Python casts the result to an `Enum`.
#[polars_expr(output_type=String)]
fn mime_category(inputs: &[Series], kwargs: MimeKwargs) -> PolarsResult<Series> {
    let categories = MimeCategories::new(kwargs.names.into_iter().zip(kwargs.types).collect());
    let names = categories.names();
    let name_of = |category: Option<u32>| category.map(|i| names[i as usize].as_str());
    let input = &inputs[0];
    let classified: Vec<Option<&str>> = match input.dtype() {
        DataType::List(inner) if **inner == DataType::String => {
            let mut rows = Vec::with_capacity(input.len());
            for row in input.list()?.amortized_iter() {
                rows.push(match row {
                    Some(types) => name_of(categories.category(types.as_ref().str()?.iter())),
                    None => None,
                });
            }
            rows
        }
        DataType::List(inner) if **inner == DataType::Null => vec![None; input.len()],
        DataType::String => input
            .str()?
            .iter()
            .map(|mime_type| name_of(categories.category(std::iter::once(mime_type))))
            .collect(),
        DataType::Null => vec![None; input.len()],
        other => polars_bail!(
            InvalidOperation: "mime_category needs a list of strings (such as resp_mime_types) \
            or a string column, not {}", other
        ),
    };
    Ok(
        StringChunked::from_iter_options(input.name().clone(), classified.into_iter())
            .into_series(),
    )
}
