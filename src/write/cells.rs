//! The values of an Arrow column, read cell by cell in the form a Zeek writer prints them,
//! whatever the physical type (any integer width, any time unit, classic, large or view
//! strings, dictionaries, lists).

use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};

type Get<'a, T> = Box<dyn Fn(usize) -> T + Send + Sync + 'a>;

/// One column's cells. Times and intervals are microseconds (i128, so that no unit
/// conversion can overflow); other integers keep their sign.
pub enum Values<'a> {
    /// A column of Arrow's Null type: every cell unset.
    Null,
    Bool(&'a arrow_array::BooleanArray),
    Unsigned(Get<'a, u64>),
    Signed(Get<'a, i64>),
    Float(Get<'a, f64>),
    Micros(Get<'a, i128>),
    /// `utf8` tells whether the bytes are known to be UTF-8 (strings) or not (binary).
    Text {
        get: Get<'a, &'a [u8]>,
        utf8: bool,
    },
    List {
        bounds: Get<'a, (usize, usize)>,
        elements: Box<Cells<'a>>,
    },
}

pub struct Cells<'a> {
    pub nulls: Option<NullBuffer>,
    pub values: Values<'a>,
}

impl Cells<'_> {
    pub fn is_null(&self, row: usize) -> bool {
        matches!(self.values, Values::Null) || self.nulls.as_ref().is_some_and(|n| n.is_null(row))
    }
}

/// A time or interval of `value` in `unit`, in microseconds; nanoseconds round to the nearest
/// microsecond (half away from zero), the precision of Zeek's logs.
fn micros(value: i64, unit: TimeUnit) -> i128 {
    let value = i128::from(value);
    match unit {
        TimeUnit::Second => value * 1_000_000,
        TimeUnit::Millisecond => value * 1_000,
        TimeUnit::Microsecond => value,
        TimeUnit::Nanosecond => {
            let (quotient, remainder) = (value / 1_000, value % 1_000);
            quotient + i128::from(remainder >= 500) - i128::from(remainder <= -500)
        }
    }
}

macro_rules! primitive {
    ($array:expr, $type:ty, $variant:ident, $into:ty) => {{
        let array = $array.as_primitive::<$type>();
        Values::$variant(Box::new(move |i| <$into>::from(array.value(i))))
    }};
}

macro_rules! temporal {
    ($array:expr, $type:ty, $unit:expr) => {{
        let array = $array.as_primitive::<$type>();
        Values::Micros(Box::new(move |i| micros(array.value(i), $unit)))
    }};
}

/// Whether the writer can print a column of this type, and as what.
pub fn kind_of(data_type: &DataType) -> Option<Kind> {
    use DataType as D;
    Some(match data_type {
        D::Null => Kind::Null,
        D::Boolean => Kind::Bool,
        D::UInt16 | D::UInt8 => Kind::SmallUnsigned,
        D::UInt32 | D::UInt64 => Kind::Unsigned,
        D::Int8 | D::Int16 | D::Int32 | D::Int64 => Kind::Signed,
        D::Float32 | D::Float64 => Kind::Float,
        D::Timestamp(..) => Kind::Time,
        D::Duration(_) => Kind::Interval,
        D::Utf8 | D::LargeUtf8 | D::Utf8View | D::Binary | D::LargeBinary | D::BinaryView => {
            Kind::Text
        }
        D::Dictionary(_, values) => match kind_of(values)? {
            Kind::Text => Kind::Categorical,
            _ => return None,
        },
        D::List(field) | D::LargeList(field) => match kind_of(field.data_type())? {
            Kind::List(_) => return None,
            element => Kind::List(Box::new(element)),
        },
        _ => return None,
    })
}

/// What a column holds, as far as choosing its Zeek type goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    /// UInt8 and UInt16: a port or a count.
    SmallUnsigned,
    Unsigned,
    Signed,
    Float,
    Time,
    Interval,
    Text,
    /// A dictionary of strings (Polars' Categorical and Enum): an enum.
    Categorical,
    List(Box<Kind>),
}

/// The cells of `array`, or an error naming the column when no Zeek type can hold it.
pub fn cells<'a>(array: &'a ArrayRef, name: &str) -> Result<Cells<'a>> {
    use DataType as D;
    let values = match array.data_type() {
        D::Null => Values::Null,
        D::Boolean => Values::Bool(array.as_boolean()),
        D::UInt8 => primitive!(array, UInt8Type, Unsigned, u64),
        D::UInt16 => primitive!(array, UInt16Type, Unsigned, u64),
        D::UInt32 => primitive!(array, UInt32Type, Unsigned, u64),
        D::UInt64 => primitive!(array, UInt64Type, Unsigned, u64),
        D::Int8 => primitive!(array, Int8Type, Signed, i64),
        D::Int16 => primitive!(array, Int16Type, Signed, i64),
        D::Int32 => primitive!(array, Int32Type, Signed, i64),
        D::Int64 => primitive!(array, Int64Type, Signed, i64),
        D::Float32 => primitive!(array, Float32Type, Float, f64),
        D::Float64 => primitive!(array, Float64Type, Float, f64),
        D::Timestamp(TimeUnit::Second, _) => {
            temporal!(array, TimestampSecondType, TimeUnit::Second)
        }
        D::Timestamp(TimeUnit::Millisecond, _) => {
            temporal!(array, TimestampMillisecondType, TimeUnit::Millisecond)
        }
        D::Timestamp(TimeUnit::Microsecond, _) => {
            temporal!(array, TimestampMicrosecondType, TimeUnit::Microsecond)
        }
        D::Timestamp(TimeUnit::Nanosecond, _) => {
            temporal!(array, TimestampNanosecondType, TimeUnit::Nanosecond)
        }
        D::Duration(TimeUnit::Second) => temporal!(array, DurationSecondType, TimeUnit::Second),
        D::Duration(TimeUnit::Millisecond) => {
            temporal!(array, DurationMillisecondType, TimeUnit::Millisecond)
        }
        D::Duration(TimeUnit::Microsecond) => {
            temporal!(array, DurationMicrosecondType, TimeUnit::Microsecond)
        }
        D::Duration(TimeUnit::Nanosecond) => {
            temporal!(array, DurationNanosecondType, TimeUnit::Nanosecond)
        }
        D::Utf8 => {
            let a = array.as_string::<i32>();
            text(move |i| a.value(i).as_bytes(), true)
        }
        D::LargeUtf8 => {
            let a = array.as_string::<i64>();
            text(move |i| a.value(i).as_bytes(), true)
        }
        D::Utf8View => {
            let a = array.as_string_view();
            text(move |i| a.value(i).as_bytes(), true)
        }
        D::Binary => {
            let a = array.as_binary::<i32>();
            text(move |i| a.value(i), false)
        }
        D::LargeBinary => {
            let a = array.as_binary::<i64>();
            text(move |i| a.value(i), false)
        }
        D::BinaryView => {
            let a = array.as_binary_view();
            text(move |i| a.value(i), false)
        }
        D::Dictionary(..) => {
            let Some(dictionary) = array.as_any_dictionary_opt() else {
                return Err(unsupported(name, array.data_type()));
            };
            if dictionary.values().is_empty() {
                // No values to point at: every key is null (Polars' all-null Categorical).
                return Ok(Cells {
                    nulls: None,
                    values: Values::Null,
                });
            }
            let keys = dictionary.normalized_keys();
            match cells(dictionary.values(), name)?.values {
                Values::Text { get, utf8 } => Values::Text {
                    // `normalized_keys` clamps every key to the values' range.
                    get: Box::new(move |i| get(keys[i])),
                    utf8,
                },
                _ => return Err(unsupported(name, array.data_type())),
            }
        }
        D::List(_) => {
            let list = array.as_list::<i32>();
            let elements = list_elements(list.values(), name, array.data_type())?;
            let offsets = list.value_offsets();
            Values::List {
                bounds: Box::new(move |i| (offsets[i] as usize, offsets[i + 1] as usize)),
                elements,
            }
        }
        D::LargeList(_) => {
            let list = array.as_list::<i64>();
            let elements = list_elements(list.values(), name, array.data_type())?;
            let offsets = list.value_offsets();
            Values::List {
                bounds: Box::new(move |i| (offsets[i] as usize, offsets[i + 1] as usize)),
                elements,
            }
        }
        other => return Err(unsupported(name, other)),
    };
    Ok(Cells {
        nulls: array.logical_nulls(),
        values,
    })
}

fn text<'a>(get: impl Fn(usize) -> &'a [u8] + Send + Sync + 'a, utf8: bool) -> Values<'a> {
    Values::Text {
        get: Box::new(get),
        utf8,
    }
}

fn list_elements<'a>(
    values: &'a ArrayRef,
    name: &str,
    data_type: &DataType,
) -> Result<Box<Cells<'a>>> {
    let elements = cells(values, name)?;
    if matches!(elements.values, Values::List { .. }) {
        return Err(Error::schema(format!(
            "column {name:?} is a list of lists ({data_type}): Zeek logs cannot hold nested \
             containers"
        )));
    }
    Ok(Box::new(elements))
}

/// Why a column of type `data_type` cannot be written.
pub fn unsupported(name: &str, data_type: &DataType) -> Error {
    if let DataType::List(inner) | DataType::LargeList(inner) = data_type {
        if matches!(
            inner.data_type(),
            DataType::List(_) | DataType::LargeList(_)
        ) {
            return Error::schema(format!(
                "column {name:?} is a list of lists ({data_type}): Zeek logs cannot hold \
                 nested containers"
            ));
        }
    }
    Error::schema(format!(
        "column {name:?} has type {data_type}, which no Zeek type holds; cast it to a string, \
         number, bool, datetime, duration or a list of those"
    ))
}
