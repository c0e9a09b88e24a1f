//! Demo data: a conn.log and an http.log shaped like the report's (MACCDC 2012 conn traffic
//! with port scans, heavy hitters and an IPv6 host; exploit-kit HTTP captures from 2011 to
//! 2014 with victims at 192.168.N.10, odd ports such as 81 and 19910, and the report's MIME
//! types). The output is a pure function of the row counts and the seed: rows are made in
//! blocks, each from its own generator seeded by (seed, block), in parallel and written in
//! order.

mod conn;
mod http;
mod json;
mod text;

use crate::error::{Error, Result};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};

/// Rows per block: the unit of parallel work and of determinism.
const BLOCK_ROWS: u64 = 1 << 16;
/// Blocks made at once before being written: bounds memory to a few dozen MB.
const WINDOW: u64 = 32;

/// SplitMix64: small, fast and statistically sound for synthetic data.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    #[inline]
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < p
    }

    /// An item of `weighted` (value, weight), weights summing to about 1.
    #[inline]
    pub(crate) fn pick<T: Copy>(&mut self, weighted: &[(T, f64)]) -> T {
        let mut x = (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        for &(value, weight) in weighted {
            if x < weight {
                return value;
            }
            x -= weight;
        }
        weighted[weighted.len() - 1].0
    }
}

/// How the demo logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tsv,
    /// One JSON object per line, the same rows as the TSV log.
    Json,
}

/// Writes one log: the header, `rows` rows made by `row(rng, index, out)`, and `#close`; or,
/// as JSON, the same rows as objects.
fn write_log(
    path: &str,
    header: &str,
    close: &str,
    format: Format,
    rows: u64,
    seed: u64,
    row: &(dyn Fn(&mut Rng, u64, &mut Vec<u8>) + Sync),
) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io(&e, path))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let io = |e: std::io::Error| Error::io(&e, path);
    let json = (format == Format::Json).then(|| json::JsonFields::from_header(header));
    if json.is_none() {
        out.write_all(header.as_bytes()).map_err(io)?;
    }
    let blocks = rows.div_ceil(BLOCK_ROWS);
    let mut first = 0;
    while first < blocks {
        let last = (first + WINDOW).min(blocks);
        let made: Vec<Vec<u8>> = (first..last)
            .into_par_iter()
            .map(|block| {
                let mut rng = Rng::new(seed, block);
                let start = block * BLOCK_ROWS;
                let end = (start + BLOCK_ROWS).min(rows);
                let mut text = Vec::with_capacity(((end - start) * 160) as usize);
                for index in start..end {
                    row(&mut rng, index, &mut text);
                }
                match &json {
                    Some(fields) => {
                        let mut objects = Vec::with_capacity(text.len() * 2);
                        fields.convert(&text, &mut objects);
                        objects
                    }
                    None => text,
                }
            })
            .collect();
        for text in made {
            out.write_all(&text).map_err(io)?;
        }
        first = last;
    }
    if json.is_none() {
        out.write_all(close.as_bytes()).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// Write `conn.log` with `rows` rows.
pub fn write_conn(path: &str, format: Format, rows: u64, seed: u64) -> Result<()> {
    write_log(
        path,
        &conn::header(),
        conn::CLOSE,
        format,
        rows,
        seed,
        &|rng, index, out| conn::row(rng, index, rows, out),
    )
}

/// Write `http.log` with `rows` rows.
pub fn write_http(path: &str, format: Format, rows: u64, seed: u64) -> Result<()> {
    write_log(
        path,
        &http::header(),
        http::CLOSE,
        format,
        rows,
        seed,
        &|rng, index, out| http::row(rng, index, rows, out),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_uniform_enough_and_deterministic() {
        let mut a = Rng::new(7, 3);
        let mut b = Rng::new(7, 3);
        let draws: Vec<u64> = (0..1000).map(|_| a.below(10)).collect();
        assert_eq!(draws, (0..1000).map(|_| b.below(10)).collect::<Vec<_>>());
        for digit in 0..10 {
            let count = draws.iter().filter(|&&d| d == digit).count();
            assert!((60..=140).contains(&count), "{digit}: {count}");
        }
        let mut c = Rng::new(7, 4);
        assert_ne!(
            draws[..20],
            (0..20).map(|_| c.below(10)).collect::<Vec<_>>()[..]
        );
    }
}
