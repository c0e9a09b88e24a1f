//! Handing batches to Python through the Arrow C stream interface, so Polars and pyarrow take
//! them without a copy (`__arrow_c_stream__`, see the Arrow PyCapsule interface).

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::SchemaRef;

/// An Arrow C stream over `batches`. Cloning a batch only clones reference counts.
pub fn stream(schema: SchemaRef, batches: Vec<RecordBatch>) -> FFI_ArrowArrayStream {
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    FFI_ArrowArrayStream::new(Box::new(reader))
}
