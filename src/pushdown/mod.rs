//! Work pushed into the parser: sampling, row filters and MIME classification. Each gives
//! exactly what reading everything and then doing the same in Polars gives.

pub mod filter;
pub mod mime;
pub mod sample;

pub use filter::{Literal, Op, Predicate};
pub use mime::{MimeCategories, MIME_CATEGORY, MIME_SOURCE};
pub use sample::{FileSampler, Sampler};

/// What a read pushes into the parser.
#[derive(Debug, Clone, Default)]
pub struct Pushdown {
    pub sample: Option<Sampler>,
    pub filter: Option<Predicate>,
    pub mime: Option<MimeCategories>,
}

/// The pushdown as one chunk of one file needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkPushdown<'a> {
    pub sampler: Option<FileSampler>,
    /// Where the chunk starts in the decompressed stream (lines are sampled by offset).
    pub offset: u64,
    pub filter: Option<&'a Predicate>,
    pub mime: Option<&'a MimeCategories>,
    /// Whether the `mime_category` column is wanted in the output.
    pub mime_output: bool,
    /// Record where each row's line ends (`ChunkOutput::row_ends`): a read with `n_rows`
    /// cuts its last chunk there.
    pub row_ends: bool,
}
