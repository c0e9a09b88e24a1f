//! Finding separators and line ends: one pass over a chunk, 64 bytes at a time (compares
//! into bit masks: SSE2 on x86-64, AVX2 where the CPU has it, a portable loop elsewhere),
//! writing out every delimiter position. This replaces a search call per field, which
//! dominates for Zeek's short fields.

pub const BLOCK: usize = 64;

/// A way to compare a 64-byte block with one byte value. The tokenizers are generic over it,
/// so that each is compiled once for the x86-64 baseline and once more for AVX2.
pub trait Compare: Copy {
    /// Bit `i` is set when `block[i] == byte`; `block` holds at least 64 bytes.
    fn mask(self, block: &[u8], byte: u8) -> u64;

    /// Bit masks of the separator-or-line-end bytes and of the line-end bytes.
    #[inline(always)]
    fn masks(self, block: &[u8], separator: u8) -> (u64, u64) {
        let newline = self.mask(block, b'\n');
        (self.mask(block, separator) | newline, newline)
    }
}

/// 16 bytes at a time with SSE2, part of the x86-64 baseline (a portable loop elsewhere).
#[derive(Clone, Copy)]
pub struct Baseline;

impl Compare for Baseline {
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn mask(self, block: &[u8], byte: u8) -> u64 {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        assert!(block.len() >= BLOCK);
        let mut mask = 0u64;
        // SAFETY: SSE2 is part of the x86-64 baseline, and each unaligned 16-byte load stays
        // inside `block`, which holds at least 64 bytes (asserted above).
        unsafe {
            let wanted = _mm_set1_epi8(byte as i8);
            for lane in 0..4 {
                let bytes = _mm_loadu_si128(block.as_ptr().add(lane * 16).cast::<__m128i>());
                let found = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, wanted)) as u16;
                mask |= u64::from(found) << (lane * 16);
            }
        }
        mask
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn mask(self, block: &[u8], byte: u8) -> u64 {
        let mut mask = 0u64;
        for (i, &b) in block[..BLOCK].iter().enumerate() {
            mask |= u64::from(b == byte) << i;
        }
        mask
    }
}

/// 32 bytes at a time with AVX2. A value exists only on a CPU that has AVX2 and the bit
/// instructions (BMI1, BMI2, POPCNT, LZCNT) that code compiled for it may use.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// `Some` on a CPU with AVX2, BMI1, BMI2, POPCNT and LZCNT (checked once, then cached).
    pub fn detect() -> Option<Avx2> {
        let has = std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("popcnt")
            && std::is_x86_feature_detected!("lzcnt");
        has.then_some(Avx2(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Compare for Avx2 {
    #[inline(always)]
    fn mask(self, block: &[u8], byte: u8) -> u64 {
        assert!(block.len() >= BLOCK);
        // SAFETY: an `Avx2` exists only where the CPU has AVX2 (`Avx2::detect`); both
        // 32-byte loads stay inside `block`, which holds at least 64 bytes (asserted above).
        unsafe { avx2_mask(block.as_ptr(), byte) }
    }
}

/// # Safety
/// The CPU must have AVX2, and `at..at + 64` must be readable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn avx2_mask(at: *const u8, byte: u8) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let wanted = _mm256_set1_epi8(byte as i8);
    // SAFETY: the caller guarantees 64 readable bytes from `at`.
    let (low, high) = unsafe {
        (
            _mm256_loadu_si256(at.cast::<__m256i>()),
            _mm256_loadu_si256(at.add(32).cast::<__m256i>()),
        )
    };
    let low = _mm256_movemask_epi8(_mm256_cmpeq_epi8(low, wanted)) as u32;
    let high = _mm256_movemask_epi8(_mm256_cmpeq_epi8(high, wanted)) as u32;
    u64::from(low) | (u64::from(high) << 32)
}

/// Append to `delimiters` the position of every `separator` or line end in `data`, and to
/// `newlines` the position of every line end, both in increasing order.
pub fn find_delimiters(
    data: &[u8],
    separator: u8,
    delimiters: &mut Vec<u32>,
    newlines: &mut Vec<u32>,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = Avx2::detect() {
        // SAFETY: `avx2` proves the CPU has the features the function is compiled for.
        unsafe { find_delimiters_avx2(avx2, data, separator, delimiters, newlines) };
        return;
    }
    find_delimiters_with(Baseline, data, separator, delimiters, newlines);
}

/// # Safety
/// The CPU must have the features `Avx2::detect` checks (an `Avx2` proves it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt,lzcnt")]
unsafe fn find_delimiters_avx2(
    avx2: Avx2,
    data: &[u8],
    separator: u8,
    delimiters: &mut Vec<u32>,
    newlines: &mut Vec<u32>,
) {
    find_delimiters_with(avx2, data, separator, delimiters, newlines);
}

#[inline(always)]
fn find_delimiters_with<C: Compare>(
    compare: C,
    data: &[u8],
    separator: u8,
    delimiters: &mut Vec<u32>,
    newlines: &mut Vec<u32>,
) {
    let mut base = 0;
    while base + BLOCK <= data.len() {
        let (either, newline) = compare.masks(&data[base..base + BLOCK], separator);
        push_bits(delimiters, either, base);
        push_bits(newlines, newline, base);
        base += BLOCK;
    }
    for (offset, &byte) in data[base..].iter().enumerate() {
        if byte == b'\n' {
            delimiters.push((base + offset) as u32);
            newlines.push((base + offset) as u32);
        } else if byte == separator {
            delimiters.push((base + offset) as u32);
        }
    }
}

/// Append to `newlines` the position of every line end in `data`.
pub fn find_newlines(data: &[u8], newlines: &mut Vec<u32>) {
    let mut base = 0;
    while base + BLOCK <= data.len() {
        let newline = Baseline.mask(&data[base..base + BLOCK], b'\n');
        push_bits(newlines, newline, base);
        base += BLOCK;
    }
    for (offset, &byte) in data[base..].iter().enumerate() {
        if byte == b'\n' {
            newlines.push((base + offset) as u32);
        }
    }
}

/// Bit `i` is set when `data[at + i] == byte`, for the (up to) 64 bytes from `at`.
#[inline(always)]
pub fn byte_mask(data: &[u8], at: usize, byte: u8) -> u64 {
    if at + BLOCK <= data.len() {
        Baseline.mask(&data[at..at + BLOCK], byte)
    } else {
        let mut mask = 0u64;
        for (i, &b) in data[at.min(data.len())..].iter().enumerate() {
            mask |= u64::from(b == byte) << i;
        }
        mask
    }
}

/// Append the positions of the set bits of `mask`, the block starting at `base`.
#[inline(always)]
fn push_bits(out: &mut Vec<u32>, mut mask: u64, base: usize) {
    out.reserve(BLOCK);
    let len = out.len();
    let spare = &mut out.spare_capacity_mut()[..BLOCK];
    let mut written = 0;
    while mask != 0 {
        spare[written].write((base + mask.trailing_zeros() as usize) as u32);
        written += 1;
        mask &= mask - 1;
    }
    // SAFETY: the loop initialised `written` (at most 64, one per set bit) slots past `len`.
    unsafe { out.set_len(len + written) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &[u8], separator: u8) -> (Vec<u32>, Vec<u32>) {
        let at = |pred: &dyn Fn(u8) -> bool| {
            data.iter()
                .enumerate()
                .filter(|(_, &b)| pred(b))
                .map(|(i, _)| i as u32)
                .collect()
        };
        (at(&|b| b == separator || b == b'\n'), at(&|b| b == b'\n'))
    }

    fn fast(data: &[u8], separator: u8) -> (Vec<u32>, Vec<u32>) {
        let (mut delimiters, mut newlines) = (Vec::new(), Vec::new());
        find_delimiters(data, separator, &mut delimiters, &mut newlines);
        (delimiters, newlines)
    }

    #[test]
    fn matches_a_naive_scan_at_every_length() {
        let pattern = b"ab\tc\n\t\tdefgh\nxyz\t";
        for len in 0..300 {
            let data: Vec<u8> = pattern.iter().cycle().take(len).copied().collect();
            assert_eq!(fast(&data, b'\t'), naive(&data, b'\t'));
        }
    }

    #[test]
    fn finds_delimiters_at_block_edges() {
        let mut data = vec![b'x'; 200];
        for at in [0, 63, 64, 127, 128, 199] {
            data[at] = if at % 2 == 0 { b'\n' } else { b'|' };
        }
        assert_eq!(fast(&data, b'|'), naive(&data, b'|'));
    }

    #[test]
    fn newlines_and_byte_masks() {
        let pattern = b"ab\tc\n\t\tdefgh\nxyz\t";
        for len in 0..200 {
            let data: Vec<u8> = pattern.iter().cycle().take(len).copied().collect();
            let mut newlines = Vec::new();
            find_newlines(&data, &mut newlines);
            assert_eq!(newlines, naive(&data, b'\n').1);
            for at in [0, 1, len / 2, len.saturating_sub(3)] {
                let mask = byte_mask(&data, at, b'\t');
                let expected = (0..64)
                    .filter(|i| data.get(at + i) == Some(&b'\t'))
                    .fold(0u64, |m, i| m | 1 << i);
                assert_eq!(mask, expected, "len {len} at {at}");
            }
        }
    }

    #[test]
    fn every_way_of_comparing_finds_the_same_bytes() {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| [b'\t', b'\n', b'x', 0x89, b'\r', 0xff][(i * 7 % 13 % 6) as usize])
            .collect();
        for byte in [b'\t', b'\n', 0x89, 0xff, b'|'] {
            for at in 0..data.len() - BLOCK {
                let block = &data[at..at + BLOCK];
                let expected = (0..BLOCK)
                    .filter(|&i| block[i] == byte)
                    .fold(0u64, |m, i| m | 1 << i);
                assert_eq!(Baseline.mask(block, byte), expected, "at {at}");
                #[cfg(target_arch = "x86_64")]
                if let Some(avx2) = Avx2::detect() {
                    assert_eq!(avx2.mask(block, byte), expected, "at {at}");
                }
            }
        }
        let (mut delimiters, mut newlines) = (Vec::new(), Vec::new());
        find_delimiters_with(Baseline, &data, b'\t', &mut delimiters, &mut newlines);
        assert_eq!((delimiters, newlines), naive(&data, b'\t'));
    }

    #[test]
    fn high_bytes_are_not_confused_with_delimiters() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        assert_eq!(fast(&data, 0x89), naive(&data, 0x89));
    }
}
