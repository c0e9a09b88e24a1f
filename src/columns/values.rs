//! Parsers for the text forms of Zeek's scalar types. Each takes the raw field bytes (already
//! known not to be the unset or empty marker) and returns `None` when the text is not a value
//! of that type; the caller turns that into a positioned error.

/// Microseconds in a second: Zeek's times and intervals become exact microsecond counts.
const MICROS_DIGITS: i32 = 6;
const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// Parse a decimal number of seconds (`1331901000.000129`, `-0.5`, `2.385616957e+09`) into
/// microseconds, exactly: the digits are read as an integer and scaled by powers of ten, so no
/// binary floating point ever rounds the value. Digits past the microsecond round to nearest
/// (halves away from zero).
pub fn parse_micros(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if let Some(value) = parse_micros_six_decimals(digits) {
        return Some(if negative { -value } else { value });
    }
    parse_micros_general(negative, digits)
}

/// The form Zeek writes almost always: integer seconds, a dot and exactly six decimals.
#[inline(always)]
fn parse_micros_six_decimals(digits: &[u8]) -> Option<i64> {
    let len = digits.len();
    if !(8..=19).contains(&len) || digits[len - 7] != b'.' {
        return None;
    }
    // The last 8 bytes are "<digit>.DDDDDD": blank out the first two to read the fraction.
    let tail = u64::from_le_bytes(digits[len - 8..].try_into().ok()?);
    let fraction = eight_digits((tail & !0xFFFF) | 0x3030)?;
    let integer = &digits[..len - 7];
    let seconds = if integer.len() >= 8 {
        let low = u64::from_le_bytes(integer[integer.len() - 8..].try_into().ok()?);
        let high = &integer[..integer.len() - 8];
        let high = if high.is_empty() {
            0
        } else {
            parse_digits_u64(high)?
        };
        high * 100_000_000 + eight_digits(low)?
    } else {
        parse_digits_u64(integer)?
    };
    // At most 12 integer digits (19 - 7), so the product cannot overflow an i64.
    Some((seconds * 1_000_000 + fraction) as i64)
}

/// Eight ASCII digits loaded little-endian (first digit in the lowest byte) as a number, or
/// `None` if any byte is not a digit: a handful of multiplications instead of a loop.
#[inline(always)]
fn eight_digits(chunk: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let all_digits =
        chunk & HIGH_NIBBLES == ZEROS && (chunk + 0x0606_0606_0606_0606) & HIGH_NIBBLES == ZEROS;
    if !all_digits {
        return None;
    }
    // Pairs, then quads, then all eight digits combine; the products are meant to wrap, only
    // their high half is kept.
    let mut value = chunk - ZEROS;
    value = value * 10 + (value >> 8);
    let pairs_low = (value & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let pairs_high = ((value >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    Some(pairs_low.wrapping_add(pairs_high) >> 32)
}

fn parse_micros_general(negative: bool, digits: &[u8]) -> Option<i64> {
    let mut mantissa: u128 = 0;
    let mut significant = 0usize;
    let mut fraction_digits: i32 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut i = 0;
    while i < digits.len() {
        match digits[i] {
            d @ b'0'..=b'9' => {
                seen_digit = true;
                if mantissa != 0 || d != b'0' {
                    significant += 1;
                }
                if significant > 36 {
                    return None;
                }
                mantissa = mantissa * 10 + u128::from(d - b'0');
                if seen_dot {
                    fraction_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    let mut exponent: i32 = 0;
    if i < digits.len() {
        let rest = &digits[i + 1..];
        let (exp_negative, exp_digits) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if exp_digits.is_empty() || exp_digits.len() > 4 {
            return None;
        }
        let magnitude = parse_digits_u64(exp_digits)? as i32;
        exponent = if exp_negative { -magnitude } else { magnitude };
    }
    let scale = exponent - fraction_digits + MICROS_DIGITS;
    let magnitude: u128 = if scale >= 0 {
        if mantissa == 0 {
            0
        } else {
            mantissa.checked_mul(*POW10.get(scale as usize)?)?
        }
    } else {
        match POW10.get((-scale) as usize) {
            Some(&divisor) => {
                let quotient = mantissa / divisor;
                let remainder = mantissa % divisor;
                if remainder * 2 >= divisor {
                    quotient + 1
                } else {
                    quotient
                }
            }
            // More than 38 digits below the microsecond: rounds to zero.
            None => 0,
        }
    };
    if negative {
        let value = i128::try_from(magnitude).ok()?;
        i64::try_from(-value).ok()
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Digits only, no sign, no overflow.
#[inline(always)]
pub fn parse_digits_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() >= 20 {
        return parse_digits_u64_long(text);
    }
    // 19 digits always fit in a u64.
    let mut value: u64 = 0;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    Some(value)
}

#[cold]
fn parse_digits_u64_long(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

#[inline]
pub fn parse_count(text: &[u8]) -> Option<u64> {
    parse_digits_u64(text)
}

#[inline]
pub fn parse_int(text: &[u8]) -> Option<i64> {
    match text.first() {
        Some(b'-') => {
            let magnitude = parse_digits_u64(&text[1..])?;
            if magnitude == 1 << 63 {
                Some(i64::MIN)
            } else {
                i64::try_from(magnitude).ok().map(|v| -v)
            }
        }
        Some(b'+') => i64::try_from(parse_digits_u64(&text[1..])?).ok(),
        _ => i64::try_from(parse_digits_u64(text)?).ok(),
    }
}

#[inline]
pub fn parse_port(text: &[u8]) -> Option<u16> {
    if text.len() > 5 {
        return None;
    }
    u16::try_from(parse_digits_u64(text)?).ok()
}

#[inline]
pub fn parse_double(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

#[inline]
pub fn parse_bool(text: &[u8]) -> Option<bool> {
    match text {
        b"T" => Some(true),
        b"F" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_exact() {
        assert_eq!(
            parse_micros(b"1331901000.000129"),
            Some(1_331_901_000_000_129)
        );
        assert_eq!(
            parse_micros(b"1331901000.260000"),
            Some(1_331_901_000_260_000)
        );
        assert_eq!(parse_micros(b"0.000001"), Some(1));
        assert_eq!(parse_micros(b"0.000000"), Some(0));
    }

    #[test]
    fn intervals_may_be_negative() {
        assert_eq!(parse_micros(b"-0.500000"), Some(-500_000));
        assert_eq!(parse_micros(b"-1.000001"), Some(-1_000_001));
        assert_eq!(parse_micros(b"-3"), Some(-3_000_000));
    }

    #[test]
    fn other_decimal_counts_and_integers() {
        assert_eq!(parse_micros(b"1.5"), Some(1_500_000));
        assert_eq!(parse_micros(b"42"), Some(42_000_000));
        assert_eq!(parse_micros(b".25"), Some(250_000));
        assert_eq!(parse_micros(b"3."), Some(3_000_000));
    }

    #[test]
    fn exponent_notation_is_exact() {
        assert_eq!(
            parse_micros(b"2.385616957e+09"),
            Some(2_385_616_957_000_000)
        );
        assert_eq!(parse_micros(b"1e-06"), Some(1));
        assert_eq!(parse_micros(b"1.5E3"), Some(1_500_000_000));
        assert_eq!(parse_micros(b"-2.5e-1"), Some(-250_000));
    }

    #[test]
    fn rounds_to_nearest_microsecond() {
        assert_eq!(parse_micros(b"0.0000004"), Some(0));
        assert_eq!(parse_micros(b"0.0000005"), Some(1));
        assert_eq!(parse_micros(b"1.1234567"), Some(1_123_457));
        assert_eq!(parse_micros(b"-1.1234565"), Some(-1_123_457));
        assert_eq!(
            parse_micros(b"0.123456789012345678901234567890"),
            Some(123_457)
        );
        assert_eq!(parse_micros(b"1e-60"), Some(0));
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        for bad in [
            &b""[..],
            b"-",
            b".",
            b"1.2.3",
            b"12a",
            b"1e",
            b"1e+",
            b"T",
            b"XXXXXXXXXX.XXXXXX",
        ] {
            assert_eq!(
                parse_micros(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_micros(b"1e30"), None);
        assert_eq!(parse_micros(b"9223372036854.775807"), Some(i64::MAX));
        assert_eq!(parse_micros(b"9223372036854.775808"), None);
    }

    #[test]
    fn eight_digit_blocks() {
        let read = |text: &[u8; 8]| eight_digits(u64::from_le_bytes(*text));
        assert_eq!(read(b"12345678"), Some(12_345_678));
        assert_eq!(read(b"00000000"), Some(0));
        assert_eq!(read(b"99999999"), Some(99_999_999));
        for bad in [
            b"1234567a",
            b"/2345678",
            b"1234:678",
            b"12 45678",
            b"\xff2345678",
        ] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn six_decimal_times_of_every_integer_length() {
        let mut seconds = 0i64;
        for digits in 1..=12 {
            seconds = seconds * 10 + (digits % 10);
            let text = format!("{seconds}.{:06}", 123_457);
            assert_eq!(
                parse_micros(text.as_bytes()),
                Some(seconds * 1_000_000 + 123_457),
                "{text}"
            );
        }
        assert_eq!(parse_micros(b"1331901000.09174x"), None);
        assert_eq!(parse_micros(b"133190x000.091746"), None);
        assert_eq!(parse_micros(b"13x1901000.091746"), None);
    }

    #[test]
    fn counts_cover_the_whole_u64_range() {
        assert_eq!(parse_count(b"0"), Some(0));
        assert_eq!(parse_count(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_count(b"18446744073709551616"), None);
        assert_eq!(parse_count(b"-1"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"1 "), None);
    }

    #[test]
    fn ints_are_signed() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"+5"), Some(5));
        assert_eq!(parse_int(b"-"), None);
    }

    #[test]
    fn ports_fit_sixteen_bits() {
        assert_eq!(parse_port(b"65535"), Some(65535));
        assert_eq!(parse_port(b"65536"), None);
        assert_eq!(parse_port(b"80/tcp"), None);
    }

    #[test]
    fn doubles_and_bools() {
        assert_eq!(parse_double(b"0.010000"), Some(0.01));
        assert_eq!(parse_double(b"-1e+10"), Some(-1e10));
        assert_eq!(parse_bool(b"T"), Some(true));
        assert_eq!(parse_bool(b"F"), Some(false));
        assert_eq!(parse_bool(b"true"), None);
    }
}
