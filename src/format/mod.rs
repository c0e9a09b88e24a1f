//! The Zeek ASCII log format: header, escapes, types and built-in schemas.

pub mod escape;
pub mod header;
pub mod schemas;
pub mod types;
