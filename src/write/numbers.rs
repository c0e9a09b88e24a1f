//! Numbers as Zeek's writers print them: integers, doubles (ASCII: six decimals with trailing
//! zeros trimmed; JSON: the shortest text that reads back to the same double), and times and
//! intervals from exact microseconds.

use std::io::Write;

/// Append the decimal digits of `value`.
#[inline]
pub fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

pub fn push_i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    push_u64(out, value.unsigned_abs());
}

fn push_u128(out: &mut Vec<u8>, value: u128) {
    match u64::try_from(value) {
        Ok(small) => push_u64(out, small),
        // Only a time in seconds near i64::MAX gets here.
        Err(_) => {
            let _ = write!(out, "{value}");
        }
    }
}

/// A double as Zeek's ASCII writer prints it (`ODesc::Add(double, no_exp=true)` with
/// `util::double_to_str`): six decimals, trailing zeros trimmed, `.0` added when the value is
/// (within 1e-9 of) an integer, `nan`, `inf`, `-inf`. Every double a Zeek log holds reads
/// back from that text; a double from elsewhere with more digits (or a negative zero) does
/// not, and is written instead with the shortest plain decimals that read back to it
/// exactly, still without an exponent, as Zeek's readers expect.
pub fn push_zeek_double(out: &mut Vec<u8>, value: f64) {
    let start = out.len();
    push_six_decimals(out, value);
    if value.is_finite() {
        let exact = std::str::from_utf8(&out[start..])
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .is_some_and(|back| back.to_bits() == value.to_bits());
        if !exact {
            out.truncate(start);
            push_plain_shortest(out, value);
        }
    }
}

fn push_six_decimals(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    let magnitude = if value < 0.0 {
        out.push(b'-');
        -value
    } else {
        // Also turns -0.0 into 0.0, as Zeek does.
        value.abs()
    };
    if magnitude.is_infinite() {
        out.extend_from_slice(b"inf");
        return;
    }
    // Rust's fixed-precision formatting is exact and rounds half to even, as C's printf does.
    let _ = write!(out, "{magnitude:.6}");
    while out.last() == Some(&b'0') {
        out.pop();
    }
    if out.last() == Some(&b'.') {
        out.pop();
    }
    if (value - value.round_ties_even()).abs() < 1e-9 {
        out.extend_from_slice(b".0");
    }
}

/// The shortest digits that read back to `magnitude` (finite, positive) and `kk` with
/// 10^(kk-1) <= magnitude < 10^kk.
fn shortest_digits(magnitude: f64) -> (Vec<u8>, i32) {
    // `{:e}` gives the shortest round-trip digits: `d.ddde[-]x`.
    let text = format!("{magnitude:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits = mantissa.bytes().filter(|b| *b != b'.').collect();
    (digits, exponent + 1)
}

/// A finite double in plain notation with the shortest digits that read back to it.
fn push_plain_shortest(out: &mut Vec<u8>, value: f64) {
    if value.is_sign_negative() {
        out.push(b'-');
    }
    if value == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let (digits, kk) = shortest_digits(value.abs());
    let length = digits.len() as i32;
    if kk <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-kk) as usize));
        out.extend_from_slice(&digits);
    } else if kk >= length {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (kk - length) as usize));
        out.extend_from_slice(b".0");
    } else {
        out.extend_from_slice(&digits[..kk as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[kk as usize..]);
    }
}

/// A double as Zeek's JSON writer (rapidjson's `Writer::Double` with `Prettify`) prints it:
/// the shortest digits that read back to the same double, in plain notation for magnitudes
/// from 1e-6 up to 1e21 and as `d.ddde±x` beyond; `null` for NaN and infinities.
pub fn push_json_double(out: &mut Vec<u8>, value: f64) {
    if !value.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if value == 0.0 {
        out.extend_from_slice(if value.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    if value < 0.0 {
        out.push(b'-');
    }
    let (digits, kk) = shortest_digits(value.abs());
    let length = digits.len() as i32;
    // value = digits x 10^k.
    let k = kk - length;
    if (0..=21).contains(&kk) && k >= 0 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
        out.extend_from_slice(b".0");
    } else if 0 < kk && kk <= 21 {
        out.extend_from_slice(&digits[..kk as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[kk as usize..]);
    } else if -6 < kk && kk <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-kk) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        push_i64(out, i64::from(kk - 1));
    }
}

const MICROS: i128 = 1_000_000;

/// A time or interval of `micros` microseconds as Zeek's ASCII writer prints it: seconds with
/// exactly six decimals (`1331901000.000129`, `-0.500000`).
#[inline]
pub fn push_fixed_micros(out: &mut Vec<u8>, micros: i128) {
    if micros < 0 {
        out.push(b'-');
    }
    let magnitude = micros.unsigned_abs();
    // 64-bit division where it fits (every real time does): 128-bit division is a call.
    let fraction = match u64::try_from(magnitude) {
        Ok(small) => {
            push_u64(out, small / MICROS as u64);
            (small % MICROS as u64) as u32
        }
        Err(_) => {
            push_u128(out, magnitude / MICROS as u128);
            (magnitude % MICROS as u128) as u32
        }
    };
    out.push(b'.');
    let mut digits = [b'0'; 6];
    let mut rest = fraction;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&digits);
}

/// A time or interval as Zeek's JSON writer prints the double it holds: seconds with the
/// decimals they need, at least one (`1331901000.000129`, `1331901000.1`, `1331901000.0`).
/// Written from the exact microseconds, so it reads back to the same value.
pub fn push_trimmed_micros(out: &mut Vec<u8>, micros: i128) {
    push_fixed_micros(out, micros);
    while out.last() == Some(&b'0') {
        out.pop();
    }
    if out.last() == Some(&b'.') {
        out.push(b'0');
    }
}

/// A time as Zeek's JSON writer prints it with `LogAscii::json_timestamps=JSON::TS_ISO8601`:
/// `2012-03-16T12:30:00.000129Z`, in UTC.
pub fn push_iso8601(out: &mut Vec<u8>, micros: i128) {
    let seconds = micros.div_euclid(MICROS);
    let fraction = micros.rem_euclid(MICROS) as u32;
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        let _ = write!(out, "{year:04}");
    } else {
        let _ = write!(out, "{year}");
    }
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:06}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i128::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn zeek_doubles_as_in_zeeks_ascii_double_baseline() {
        // The values of Zeek's baseline as its reader holds them (read from that text).
        let cases: [(f64, &str); 15] = [
            (2153226000.0, "2153226000.0"),
            (2153226000.1, "2153226000.1"),
            (2153226000.123457, "2153226000.123457"),
            (1.0, "1.0"),
            (1.1, "1.1"),
            (-1.123457, "-1.123457"),
            (0.1234, "0.1234"),
            (-5e4, "-50000.0"),
            (3.14e15, "3140000000000000.0"),
            (0.000012, "0.000012"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                text(|o| push_six_decimals(o, value)),
                expected.replace("-0.0", "0.0"),
                "{value}"
            );
            assert_eq!(text(|o| push_zeek_double(o, value)), expected, "{value}");
        }
        let max = text(|o| push_zeek_double(o, 1.79e308));
        assert!(
            max.starts_with("17899999999999999637") && max.ends_with(".0"),
            "{max}"
        );
        // More digits than six decimals hold: the shortest exact text instead.
        assert_eq!(text(|o| push_zeek_double(o, 1.123456789)), "1.123456789");
        assert_eq!(
            text(|o| push_zeek_double(o, 1.23456789e-5)),
            "0.0000123456789"
        );
        assert_eq!(text(|o| push_six_decimals(o, -2.23e-308)), "-0.0");
        let tiny = text(|o| push_zeek_double(o, -2.23e-308));
        assert!(
            tiny.starts_with("-0.000") && tiny.ends_with("223"),
            "{tiny}"
        );
        assert_eq!(tiny.parse::<f64>().ok(), Some(-2.23e-308));
        // Not within 1e-9 of an integer, so no ".0", as Zeek prints it; but "1" is not
        // 1.0000001, so the exact text is written.
        assert_eq!(text(|o| push_six_decimals(o, 1.0000001)), "1");
        assert_eq!(text(|o| push_zeek_double(o, 1.0000001)), "1.0000001");
    }

    #[test]
    fn json_doubles_as_in_zeeks_ascii_double_json_baseline() {
        let cases: [(f64, &str); 13] = [
            (2153226000.0, "2153226000.0"),
            (2_153_226_000.123_457, "2153226000.123457"),
            (1.123456789, "1.123456789"),
            (-5e4, "-50000.0"),
            (3.14e15, "3140000000000000.0"),
            (1.79e308, "1.79e308"),
            (-1.79e308, "-1.79e308"),
            (1.23456789e-5, "0.0000123456789"),
            (2.23e-308, "2.23e-308"),
            (f64::NAN, "null"),
            (-0.0, "-0.0"),
            (1e21, "1e21"),
            (123456.0, "123456.0"),
        ];
        for (value, expected) in cases {
            assert_eq!(text(|o| push_json_double(o, value)), expected, "{value}");
        }
    }

    #[test]
    fn times_from_exact_microseconds() {
        assert_eq!(
            text(|o| push_fixed_micros(o, 1_331_901_000_000_129)),
            "1331901000.000129"
        );
        assert_eq!(text(|o| push_fixed_micros(o, -500_000)), "-0.500000");
        assert_eq!(
            text(|o| push_trimmed_micros(o, 1_331_901_000_100_000)),
            "1331901000.1"
        );
        assert_eq!(text(|o| push_trimmed_micros(o, 7_000_000)), "7.0");
        assert_eq!(text(|o| push_trimmed_micros(o, 1)), "0.000001");
        assert_eq!(
            text(|o| push_iso8601(o, 1_331_901_000_000_129)),
            "2012-03-16T12:30:00.000129Z"
        );
        assert_eq!(text(|o| push_iso8601(o, -1)), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            text(|o| push_iso8601(o, 951_782_400_000_000)),
            "2000-02-29T00:00:00.000000Z"
        );
        let huge = i128::from(i64::MAX) * MICROS;
        assert_eq!(
            text(|o| push_fixed_micros(o, huge + 7)),
            format!("{}.000007", i64::MAX)
        );
        // Either side of the 64-bit fast path.
        let edge = i128::from(u64::MAX);
        assert_eq!(
            text(|o| push_fixed_micros(o, edge)),
            "18446744073709.551615"
        );
        assert_eq!(
            text(|o| push_fixed_micros(o, -edge - 1)),
            "-18446744073709.551616"
        );
        assert!(!text(|o| push_iso8601(o, huge)).is_empty());
        assert_eq!(text(|o| push_i64(o, i64::MIN)), i64::MIN.to_string());
        assert_eq!(text(|o| push_u64(o, u64::MAX)), u64::MAX.to_string());
    }
}
