//! JSON values into the column builders the TSV parser uses: each value goes straight into
//! its column, converted from its span of the line, with nothing in between.

use super::scan::{self, Elements, Kind, Value};
use crate::columns::builders::{Builder, Expected, List};
use crate::columns::values::{parse_count, parse_double, parse_int, parse_micros, parse_port};
use crate::format::escape::make_utf8;

/// Scratch space for string values that need decoding.
#[derive(Default)]
pub struct Texts {
    scratch: Vec<u8>,
}

impl Texts {
    /// The column text of a value: a string's decoded text, any other value as written;
    /// bytes that are not UTF-8 keep their `\xHH` text, so nothing is lost.
    #[inline(always)]
    fn text<'s>(&'s mut self, value: &Value, raw: &'s [u8]) -> Result<&'s [u8], Expected> {
        match value.kind {
            Kind::String { plain: true } | Kind::Number | Kind::Bool(_) | Kind::Null => Ok(raw),
            _ => self.text_slow(value, raw),
        }
    }

    #[inline(never)]
    fn text_slow<'s>(&'s mut self, value: &Value, raw: &'s [u8]) -> Result<&'s [u8], Expected> {
        let string = matches!(value.kind, Kind::String { .. });
        if !string && std::str::from_utf8(raw).is_ok() {
            return Ok(raw);
        }
        self.scratch.clear();
        if string {
            scan::unescape_into(raw, &mut self.scratch).map_err(|_| "text with valid escapes")?;
        } else {
            self.scratch.extend_from_slice(raw);
        }
        make_utf8(&mut self.scratch);
        Ok(&self.scratch)
    }
}

/// Append `value` (a span of `line`) to `builder`; `Err` names what the column expected.
/// A list that fails half-way leaves elements behind: the caller truncates.
#[inline(always)]
pub fn push_value(
    builder: &mut Builder,
    value: &Value,
    line: &[u8],
    texts: &mut Texts,
) -> Result<(), Expected> {
    if value.kind == Kind::Null {
        builder.push_null();
        return Ok(());
    }
    let raw = &line[value.start..value.end];
    // Numbers may also arrive as strings ("80"), as some log shippers write them.
    let number = matches!(value.kind, Kind::Number | Kind::String { plain: true });
    match builder {
        Builder::Time(column) => column.push(time_micros(value, raw).ok_or("a time")?),
        Builder::Interval(column) if number => column.push(parse_micros(raw).ok_or("an interval")?),
        Builder::Count(column) if number => column.push(parse_count(raw).ok_or("a count")?),
        Builder::Int(column) if number => column.push(parse_int(raw).ok_or("an integer")?),
        Builder::Port(column) if number => column.push(parse_port(raw).ok_or("a port")?),
        Builder::Double(column) if number => column.push(parse_double(raw).ok_or("a number")?),
        Builder::Bool(column) => match value.kind {
            Kind::Bool(b) => column.push(b),
            _ => return Err("true or false"),
        },
        Builder::String(column) => column.push(texts.text(value, raw)?),
        Builder::Enum(column) => column.push(texts.text(value, raw)?),
        Builder::List(list) => push_list(list, value, line, texts)?,
        Builder::Interval(_) => return Err("an interval"),
        Builder::Count(_) => return Err("a count"),
        Builder::Int(_) => return Err("an integer"),
        Builder::Port(_) => return Err("a port"),
        Builder::Double(_) => return Err("a number"),
    }
    Ok(())
}

/// A count or a port written as plain digits at `at`, parsed in the scan that finds its
/// end: most of a Zeek log's values are. Returns where the value ends, or `None` (with
/// nothing pushed) for anything else, which then takes the general path.
#[inline(always)]
pub fn push_digits(builder: &mut Builder, line: &[u8], at: usize) -> Option<usize> {
    if !matches!(builder, Builder::Count(_) | Builder::Port(_)) {
        return None;
    }
    let mut end = at;
    let mut value: u64 = 0;
    while let Some(&byte) = line.get(end) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        // 19 digits always fit; longer numbers take the checked path.
        if end - at == 19 {
            return None;
        }
        value = value * 10 + u64::from(digit);
        end += 1;
    }
    if end == at || matches!(line.get(end), Some(b'.' | b'e' | b'E' | b'-' | b'+')) {
        return None;
    }
    match builder {
        Builder::Count(column) => column.push(value),
        Builder::Port(column) => column.push(u16::try_from(value).ok()?),
        _ => return None,
    }
    Some(end)
}

#[inline(never)]
fn push_list(
    list: &mut List,
    value: &Value,
    line: &[u8],
    texts: &mut Texts,
) -> Result<(), Expected> {
    if value.kind != Kind::Array {
        return Err("an array");
    }
    let elements = list.elements();
    for item in Elements::new(line, value) {
        push_value(elements, &item.map_err(|_| "an array")?, line, texts)?;
    }
    list.close()
}

/// Epoch seconds (a decimal), epoch milliseconds (an integer of 12 digits or more) or
/// ISO-8601 (`2018-03-24T17:15:20.624556Z`), as microseconds since the epoch. `raw` is the
/// value's span.
fn time_micros(value: &Value, raw: &[u8]) -> Option<i64> {
    match value.kind {
        Kind::Number => {
            let digits = raw.strip_prefix(b"-").unwrap_or(raw);
            // Zeek's own form, seconds with six decimals, is told apart by one byte.
            let six_decimals = digits.len() >= 8 && digits[digits.len() - 7] == b'.';
            if !six_decimals && digits.len() >= 12 && digits.iter().all(u8::is_ascii_digit) {
                let millis = parse_int(raw)?;
                millis.checked_mul(1000)
            } else {
                parse_micros(raw)
            }
        }
        Kind::String { .. } => iso8601_micros(raw).or_else(|| parse_micros(raw)),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)` (a space for the `T` too).
fn iso8601_micros(text: &[u8]) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if text.len() < 19
        || text[4] != b'-'
        || text[7] != b'-'
        || !matches!(text[10], b'T' | b' ')
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0i64;
    if text.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while text.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let fraction = &text[start..at];
        if fraction.is_empty() {
            return None;
        }
        // Round to the nearest microsecond.
        let mut scaled = 0i64;
        for i in 0..6 {
            scaled = scaled * 10 + fraction.get(i).map_or(0, |d| i64::from(d - b'0'));
        }
        if fraction.get(6).is_some_and(|&d| d >= b'5') {
            scaled += 1;
        }
        micros = scaled;
    }
    let offset_seconds = match &text[at..] {
        b"Z" | b"" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = number(at + 1..at + 3)?;
            let minutes = number(at + 4..at + 6)?;
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    seconds.checked_mul(1_000_000)?.checked_add(micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::types::ZeekType;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{TimestampMicrosecondType, UInt16Type};
    use arrow_array::Array;

    #[test]
    fn iso8601_and_epoch_times() {
        assert_eq!(
            iso8601_micros(b"2018-03-24T17:15:20.624556Z"),
            Some(1_521_911_720_624_556)
        );
        assert_eq!(iso8601_micros(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso8601_micros(b"2018-03-24T19:15:20.6245565+02:00"),
            Some(1_521_911_720_624_557)
        );
        assert_eq!(iso8601_micros(b"1969-12-31T23:59:59.5Z"), Some(-500_000));
        assert_eq!(iso8601_micros(b"2018-13-24T17:15:20Z"), None);
        let number = Value {
            kind: Kind::Number,
            start: 0,
            end: 0,
        };
        assert_eq!(
            time_micros(&number, b"1521911720624"),
            Some(1_521_911_720_624_000)
        );
        assert_eq!(
            time_micros(&number, b"1521911720.624556"),
            Some(1_521_911_720_624_556)
        );
        assert_eq!(
            time_micros(&number, b"2.385616957e+09"),
            Some(2_385_616_957_000_000)
        );
    }

    /// Push every value of a one-member-per-value object line into a builder of `zeek_type`.
    fn column(zeek_type: &str, line: &[u8]) -> Result<arrow_array::ArrayRef, Expected> {
        let mut members = Vec::new();
        scan::members(line, &mut members).map_err(|_| "JSON")?;
        let mut builder = Builder::new(&ZeekType::parse(zeek_type), members.len());
        let mut texts = Texts::default();
        for (_, value) in &members {
            push_value(&mut builder, value, line, &mut texts)?;
        }
        Ok(builder.finish())
    }

    #[test]
    fn values_go_straight_into_typed_columns() -> Result<(), Expected> {
        let times = column(
            "time",
            br#"{"a":1331901000.000129,"b":null,"c":"2012-03-16T12:30:00Z"}"#,
        )?;
        let times = times.as_primitive::<TimestampMicrosecondType>();
        assert_eq!(times.value(0), 1_331_901_000_000_129);
        assert!(times.is_null(1));
        assert_eq!(times.value(2), 1_331_901_000_000_000);
        let ports = column("port", br#"{"a":80,"b":"8080"}"#)?;
        let ports = ports.as_primitive::<UInt16Type>();
        assert_eq!((ports.value(0), ports.value(1)), (80, 8080));
        let texts = column("string", br#"{"a":"x\"y\u00e9","b":7,"c":"GET \\x01"}"#)?;
        let texts = texts.as_string_view();
        assert_eq!(texts.value(0), "x\"y\u{e9}");
        assert_eq!(texts.value(1), "7");
        assert_eq!(texts.value(2), "GET \\x01");
        let lists = column("set[count]", br#"{"a":[1, 2 ,3],"b":[],"c":null}"#)?;
        let lists = lists.as_list::<i32>();
        assert_eq!(
            lists
                .value(0)
                .as_primitive::<arrow_array::types::UInt64Type>()
                .values()
                .to_vec(),
            [1, 2, 3]
        );
        assert_eq!(lists.value(1).len(), 0);
        assert!(!lists.is_null(1));
        assert!(lists.is_null(2));
        Ok(())
    }

    #[test]
    fn digits_are_parsed_as_they_are_scanned() {
        let mut counts = Builder::new(&ZeekType::Count, 4);
        let line = b"18446744073709551615,1234567890123456789,42}7.5 -3 ";
        assert_eq!(
            push_digits(&mut counts, line, 0),
            None,
            "20 digits: checked path"
        );
        assert_eq!(push_digits(&mut counts, line, 21), Some(40));
        assert_eq!(push_digits(&mut counts, line, 41), Some(43));
        assert_eq!(push_digits(&mut counts, line, 44), None, "a fraction");
        assert_eq!(push_digits(&mut counts, line, 48), None, "a sign");
        assert_eq!(push_digits(&mut counts, line, 47), None, "no digits");
        let counts = counts.finish();
        let counts = counts.as_primitive::<arrow_array::types::UInt64Type>();
        assert_eq!(counts.values().to_vec(), [1_234_567_890_123_456_789, 42]);
        let mut ports = Builder::new(&ZeekType::Port, 2);
        assert_eq!(push_digits(&mut ports, b"65536", 0), None, "not a port");
        assert_eq!(push_digits(&mut ports, b"443", 0), Some(3));
        let mut times = Builder::new(&ZeekType::Time, 1);
        assert_eq!(
            push_digits(&mut times, b"1", 0),
            None,
            "times take the general path"
        );
    }

    #[test]
    fn values_of_the_wrong_kind_name_what_was_expected() {
        assert_eq!(column("count", br#"{"a":"x"}"#).err(), Some("a count"));
        assert_eq!(column("count", br#"{"a":-1}"#).err(), Some("a count"));
        assert_eq!(column("bool", br#"{"a":"T"}"#).err(), Some("true or false"));
        assert_eq!(
            column("set[port]", br#"{"a":[80,"x"]}"#).err(),
            Some("a port")
        );
        assert_eq!(
            column("vector[string]", br#"{"a":"x"}"#).err(),
            Some("an array")
        );
        assert_eq!(
            column("interval", br#"{"a":true}"#).err(),
            Some("an interval")
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_keep_their_escape_text() -> Result<(), Expected> {
        let line = b"{\"a\":\"caf\xc3\xa9\",\"b\":\"bad\xff\"}";
        let texts = column("string", line)?;
        let texts = texts.as_string_view();
        assert_eq!(texts.value(0), "caf\u{e9}");
        assert_eq!(texts.value(1), "bad\\xff");
        Ok(())
    }
}
