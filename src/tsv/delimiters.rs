//! Finding separators and line ends: one pass over a chunk, 64 bytes at a time (SSE2 compares
//! into bit masks on x86-64, a portable loop elsewhere), writing out every delimiter position.
//! This replaces a search call per field, which dominates for Zeek's short fields.

pub const BLOCK: usize = 64;

/// Append to `delimiters` the position of every `separator` or line end in `data`, and to
/// `newlines` the position of every line end, both in increasing order.
pub fn find_delimiters(
    data: &[u8],
    separator: u8,
    delimiters: &mut Vec<u32>,
    newlines: &mut Vec<u32>,
) {
    let mut base = 0;
    while base + BLOCK <= data.len() {
        let (either, newline) = masks64(&data[base..base + BLOCK], separator);
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
        let (_, newline) = masks64(&data[base..base + BLOCK], b'\n');
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
        let (either, newline) = masks64(&data[at..at + BLOCK], byte);
        // With `byte` as the separator, `either` also holds line ends; clear them unless
        // `byte` is the line end itself.
        if byte == b'\n' {
            newline
        } else {
            either & !newline
        }
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

/// Bit masks of the separator-or-newline bytes and of the newline bytes of a 64-byte block.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn masks64(block: &[u8], separator: u8) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    assert!(block.len() >= BLOCK);
    let mut separators_mask = 0u64;
    let mut newlines_mask = 0u64;
    // SAFETY: SSE2 is part of the x86-64 baseline, and each unaligned 16-byte load stays
    // inside `block`, which holds at least 64 bytes (asserted above).
    unsafe {
        let separators = _mm_set1_epi8(separator as i8);
        let newlines = _mm_set1_epi8(b'\n' as i8);
        for lane in 0..4 {
            let bytes = _mm_loadu_si128(block.as_ptr().add(lane * 16).cast::<__m128i>());
            let s = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, separators)) as u16;
            let n = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newlines)) as u16;
            separators_mask |= u64::from(s) << (lane * 16);
            newlines_mask |= u64::from(n) << (lane * 16);
        }
    }
    (separators_mask | newlines_mask, newlines_mask)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn masks64(block: &[u8], separator: u8) -> (u64, u64) {
    let mut either = 0u64;
    let mut newline = 0u64;
    for (i, &byte) in block[..BLOCK].iter().enumerate() {
        newline |= u64::from(byte == b'\n') << i;
        either |= u64::from(byte == separator || byte == b'\n') << i;
    }
    (either, newline)
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
    fn high_bytes_are_not_confused_with_delimiters() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        assert_eq!(fast(&data, 0x89), naive(&data, 0x89));
    }
}
