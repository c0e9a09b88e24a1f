//! Bernoulli sampling that does not depend on how a log is read: whether a line is kept is a
//! pure function of the seed, the file and the line's byte offset in the decompressed stream,
//! so every thread count and chunking keeps the same lines.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampler {
    /// Keep a line when its hash is below this (`fraction` of the u64 range).
    threshold: u64,
    keep_all: bool,
    seed: u64,
}

impl Sampler {
    /// `fraction` in [0, 1].
    pub fn new(fraction: f64, seed: u64) -> Option<Sampler> {
        if !(0.0..=1.0).contains(&fraction) {
            return None;
        }
        // 2^64 * fraction, computed in f64: exact to 2^-53 of the fraction, far below any
        // sampling error.
        let threshold = (fraction * 18_446_744_073_709_551_616.0).min(u64::MAX as f64) as u64;
        Some(Sampler {
            threshold,
            keep_all: fraction >= 1.0,
            seed,
        })
    }

    /// The per-file part of the key, from the file's path as given.
    pub fn for_file(&self, path: &str) -> FileSampler {
        let mut key = self.seed ^ 0x9E37_79B9_7F4A_7C15;
        for &byte in path.as_bytes() {
            key = mix(key ^ u64::from(byte));
        }
        FileSampler {
            key,
            threshold: self.threshold,
            keep_all: self.keep_all,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSampler {
    key: u64,
    threshold: u64,
    keep_all: bool,
}

impl FileSampler {
    /// Whether the line starting at `offset` is in the sample.
    #[inline(always)]
    pub fn keep(&self, offset: u64) -> bool {
        self.keep_all || mix(self.key ^ offset) < self.threshold
    }
}

/// SplitMix64's finaliser: a bijective mix whose outputs pass statistical tests even for
/// consecutive inputs such as nearby offsets.
#[inline(always)]
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_asked_fraction() {
        let sampler = Sampler::new(0.1, 42).map(|s| s.for_file("conn.log"));
        let Some(sampler) = sampler else {
            panic!("0.1 is a valid fraction")
        };
        // Offsets of 120-byte lines, as in a conn.log.
        let kept = (0..100_000u64).filter(|i| sampler.keep(i * 120)).count();
        // 10,000 expected; the standard deviation is sqrt(100000 * 0.1 * 0.9) ~ 95.
        assert!((9_600..=10_400).contains(&kept), "{kept}");
    }

    #[test]
    fn depends_on_seed_and_file_only() {
        let a = Sampler::new(0.5, 1).map(|s| s.for_file("a.log"));
        let again = Sampler::new(0.5, 1).map(|s| s.for_file("a.log"));
        let other_seed = Sampler::new(0.5, 2).map(|s| s.for_file("a.log"));
        let other_file = Sampler::new(0.5, 1).map(|s| s.for_file("b.log"));
        let pattern = |s: Option<FileSampler>| -> Vec<bool> {
            s.map(|s| (0..64u64).map(|o| s.keep(o * 100)).collect())
                .unwrap_or_default()
        };
        assert_eq!(pattern(a), pattern(again));
        assert_ne!(pattern(a), pattern(other_seed));
        assert_ne!(pattern(a), pattern(other_file));
    }

    #[test]
    fn edges() {
        assert!(Sampler::new(1.5, 0).is_none());
        assert!(Sampler::new(-0.1, 0).is_none());
        let none = Sampler::new(0.0, 7).map(|s| s.for_file("x"));
        assert!(none.is_some_and(|s| (0..1000).all(|o| !s.keep(o))));
        let all = Sampler::new(1.0, 7).map(|s| s.for_file("x"));
        assert!(all.is_some_and(|s| (0..1000).all(|o| s.keep(o))));
    }
}
