//! zeekframe: Zeek IDS logs into Arrow columns, in parallel and exactly.
//!
//! The core (`format`, `source`, `tsv`, `json`, `reader`) is plain Rust; `python` and the
//! module registration below are the only places that know about Python (feature `python`,
//! on by default), and `convert` the only one that knows Parquet (feature `parquet`).

pub mod arrow_export;
pub mod columns;
#[cfg(feature = "parquet")]
pub mod convert;
pub mod cut;
pub mod demo;
pub mod error;
#[cfg(feature = "python")]
mod expressions;
pub mod format;
pub mod json;
pub mod net;
pub mod pushdown;
pub mod reader;
pub mod source;
pub mod stream;
pub mod tsv;
pub mod write;

#[cfg(test)]
mod testing;

#[cfg(feature = "python")]
mod python;

#[cfg(feature = "python")]
use pyo3::prelude::*;

#[cfg(feature = "python")]
#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    python::register(module)
}
