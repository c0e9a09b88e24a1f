//! Zeek type names (as written in `#types`) and the Arrow type each becomes.

use arrow_schema::{DataType, Field, TimeUnit};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZeekType {
    Time,
    Interval,
    Count,
    Int,
    Port,
    Double,
    Bool,
    /// Low-cardinality names such as `proto` or `conn_state`: a dictionary column.
    Enum,
    /// addr, subnet, string, pattern and every type without a better column type.
    String,
    /// set[T], vector[T] and old Bro's table[T].
    List(Box<ZeekType>),
}

pub const TIME_ZONE: &str = "UTC";

/// The element type's name of `set[T]`, `vector[T]` or old Bro's `table[T]`.
fn container_element(name: &str) -> Option<&str> {
    ["set[", "vector[", "table["]
        .into_iter()
        .find_map(|container| {
            name.strip_prefix(container)
                .and_then(|s| s.strip_suffix(']'))
        })
}

impl ZeekType {
    /// Map a `#types` entry. Unknown names read as strings, so a log written by a newer Zeek
    /// still loads (as text) instead of failing.
    pub fn parse(name: &str) -> ZeekType {
        let name = name.trim();
        if let Some(inner) = container_element(name) {
            // Zeek cannot log nested containers; be lenient and keep their text. Only one
            // level is looked at, so a type name nested a million deep costs one scan.
            let element = match container_element(inner.trim()) {
                Some(_) => ZeekType::String,
                None => match ZeekType::parse_scalar(inner.trim()) {
                    // Lists of dictionaries gain nothing for the short sets Zeek writes.
                    ZeekType::Enum => ZeekType::String,
                    other => other,
                },
            };
            return ZeekType::List(Box::new(element));
        }
        ZeekType::parse_scalar(name)
    }

    fn parse_scalar(name: &str) -> ZeekType {
        match name {
            "time" => ZeekType::Time,
            "interval" => ZeekType::Interval,
            "count" | "counter" => ZeekType::Count,
            "int" => ZeekType::Int,
            "port" => ZeekType::Port,
            "double" => ZeekType::Double,
            "bool" => ZeekType::Bool,
            "enum" => ZeekType::Enum,
            _ => ZeekType::String,
        }
    }

    pub fn arrow_type(&self) -> DataType {
        match self {
            ZeekType::Time => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from(TIME_ZONE)))
            }
            ZeekType::Interval => DataType::Duration(TimeUnit::Microsecond),
            ZeekType::Count => DataType::UInt64,
            ZeekType::Int => DataType::Int64,
            ZeekType::Port => DataType::UInt16,
            ZeekType::Double => DataType::Float64,
            ZeekType::Bool => DataType::Boolean,
            ZeekType::Enum => {
                DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
            }
            ZeekType::String => DataType::Utf8View,
            ZeekType::List(element) => {
                DataType::List(Arc::new(Field::new("item", element.arrow_type(), true)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_scalars() {
        assert_eq!(ZeekType::parse("time"), ZeekType::Time);
        assert_eq!(ZeekType::parse("count"), ZeekType::Count);
        assert_eq!(ZeekType::parse("counter"), ZeekType::Count);
        assert_eq!(ZeekType::parse("addr"), ZeekType::String);
        assert_eq!(ZeekType::parse("subnet"), ZeekType::String);
        assert_eq!(ZeekType::parse("func"), ZeekType::String);
    }

    #[test]
    fn maps_containers() {
        let list_of = |t: ZeekType| ZeekType::List(Box::new(t));
        assert_eq!(ZeekType::parse("set[string]"), list_of(ZeekType::String));
        assert_eq!(ZeekType::parse("vector[count]"), list_of(ZeekType::Count));
        assert_eq!(ZeekType::parse("table[string]"), list_of(ZeekType::String));
        assert_eq!(ZeekType::parse("set[enum]"), list_of(ZeekType::String));
        assert_eq!(
            ZeekType::parse("vector[interval]"),
            list_of(ZeekType::Interval)
        );
        assert_eq!(
            ZeekType::parse("set[vector[count]]"),
            list_of(ZeekType::String)
        );
    }

    #[test]
    fn deeply_nested_container_names_cost_one_level() {
        let depth = 1_000_000;
        let name = format!("{}count{}", "set[".repeat(depth), "]".repeat(depth));
        assert_eq!(
            ZeekType::parse(&name),
            ZeekType::List(Box::new(ZeekType::String))
        );
    }

    #[test]
    fn arrow_types_follow_the_design() {
        assert_eq!(
            ZeekType::Time.arrow_type(),
            DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
        );
        assert_eq!(ZeekType::Port.arrow_type(), DataType::UInt16);
        assert_eq!(ZeekType::String.arrow_type(), DataType::Utf8View);
    }
}
