//! Row filters applied while parsing: the subset of Polars predicates the Python side can
//! translate exactly (comparisons of a column with a literal, `is_in`, null checks, combined
//! with and/or/not). Evaluation follows Polars' three-valued logic, so a comparison with a
//! null value is null and the row is dropped, also under `not`.

use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float64Type, Int64Type, TimestampMicrosecondType, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use std::cmp::Ordering;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i128),
    Float(f64),
    Text(String),
    Bool(bool),
    /// A point in time as microseconds since the epoch (UTC).
    Micros(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl Op {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Op::Eq => ordering == Ordering::Equal,
            Op::NotEq => ordering != Ordering::Equal,
            Op::Lt => ordering == Ordering::Less,
            Op::LtEq => ordering != Ordering::Greater,
            Op::Gt => ordering == Ordering::Greater,
            Op::GtEq => ordering != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Not(Box<Predicate>),
    Compare {
        column: String,
        op: Op,
        value: Literal,
    },
    IsIn {
        column: String,
        values: Vec<Literal>,
    },
    IsNull {
        column: String,
        negated: bool,
    },
    /// `zf.in_subnet`: the address is in one of the networks (null for null; a value that
    /// is not an address is an error, as in the expression).
    InSubnet {
        column: String,
        networks: crate::net::Networks,
    },
}

/// Three-valued truth of one row.
pub const FALSE: u8 = 0;
pub const TRUE: u8 = 1;
pub const NULL: u8 = 2;

impl Predicate {
    /// The columns the predicate reads, each once, in first-use order.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Predicate::And(parts) | Predicate::Or(parts) => {
                parts.iter().for_each(|p| p.collect_columns(out))
            }
            Predicate::Not(inner) => inner.collect_columns(out),
            Predicate::Compare { column, .. }
            | Predicate::IsIn { column, .. }
            | Predicate::IsNull { column, .. }
            | Predicate::InSubnet { column, .. } => {
                if !out.contains(&column.as_str()) {
                    out.push(column);
                }
            }
        }
    }

    /// The truth of every row. `column` gives a column's values (`None`: the column does not
    /// exist in this part of the log, so all its values are null).
    pub fn eval(&self, column: &dyn Fn(&str) -> Option<ArrayRef>, rows: usize) -> Result<Vec<u8>> {
        match self {
            Predicate::And(parts) => combine(parts, column, rows, FALSE),
            Predicate::Or(parts) => combine(parts, column, rows, TRUE),
            Predicate::Not(inner) => {
                let mut truth = inner.eval(column, rows)?;
                for t in &mut truth {
                    *t = match *t {
                        FALSE => TRUE,
                        TRUE => FALSE,
                        other => other,
                    };
                }
                Ok(truth)
            }
            Predicate::IsNull {
                column: name,
                negated,
            } => Ok(match column(name) {
                None => vec![if *negated { FALSE } else { TRUE }; rows],
                Some(array) => (0..rows)
                    .map(|row| u8::from(array.is_null(row) != *negated))
                    .collect(),
            }),
            Predicate::Compare {
                column: name,
                op,
                value,
            } => match column(name) {
                None => Ok(vec![NULL; rows]),
                Some(array) => {
                    let op = *op;
                    truth_of(name, &array, &|ordering| op.holds(ordering), value)
                }
            },
            Predicate::IsIn {
                column: name,
                values,
            } => match column(name) {
                None => Ok(vec![NULL; rows]),
                Some(array) => is_in(name, &array, values),
            },
            Predicate::InSubnet {
                column: name,
                networks,
            } => match column(name) {
                None => Ok(vec![NULL; rows]),
                Some(array) => in_subnet(name, &array, networks),
            },
        }
    }
}

/// And (`dominant` false) or or (`dominant` true) in Kleene logic: the dominant value wins,
/// then null, then the other value.
fn combine(
    parts: &[Predicate],
    column: &dyn Fn(&str) -> Option<ArrayRef>,
    rows: usize,
    dominant: u8,
) -> Result<Vec<u8>> {
    let mut truth = vec![1 - dominant; rows];
    for part in parts {
        let next = part.eval(column, rows)?;
        for (t, n) in truth.iter_mut().zip(next) {
            if *t == dominant || n == dominant {
                *t = dominant;
            } else if n == NULL {
                *t = NULL;
            }
        }
    }
    Ok(truth)
}

fn mismatch(name: &str, data_type: &DataType, value: &Literal) -> Error {
    Error::schema(format!(
        "cannot compare column {name:?} ({data_type}) with {value:?}"
    ))
}

/// Compare every value of `array` with `value`; `holds` turns an ordering into the result.
fn truth_of(
    name: &str,
    array: &ArrayRef,
    holds: &dyn Fn(Ordering) -> bool,
    value: &Literal,
) -> Result<Vec<u8>> {
    fn each<T>(
        array: &dyn Array,
        get: impl Fn(usize) -> T,
        compare: impl Fn(T) -> Option<bool>,
    ) -> Vec<u8> {
        (0..array.len())
            .map(|row| {
                if array.is_null(row) {
                    NULL
                } else {
                    compare(get(row)).map_or(NULL, u8::from)
                }
            })
            .collect()
    }
    let data_type = array.data_type();
    let integer = |v: i128| match value {
        Literal::Int(x) => Some(holds(v.cmp(x))),
        Literal::Float(x) => Some(holds(float_order(v as f64, *x))),
        _ => None,
    };
    let truth = match (data_type, value) {
        (DataType::Null, _) => vec![NULL; array.len()],
        (DataType::UInt64, Literal::Int(_) | Literal::Float(_)) => {
            let a = array.as_primitive::<UInt64Type>();
            each(a, |r| a.value(r), |v| integer(i128::from(v)))
        }
        (DataType::Int64, Literal::Int(_) | Literal::Float(_)) => {
            let a = array.as_primitive::<Int64Type>();
            each(a, |r| a.value(r), |v| integer(i128::from(v)))
        }
        (DataType::UInt16, Literal::Int(_) | Literal::Float(_)) => {
            let a = array.as_primitive::<UInt16Type>();
            each(a, |r| a.value(r), |v| integer(i128::from(v)))
        }
        (DataType::Float64, Literal::Int(_) | Literal::Float(_)) => {
            let x = match value {
                Literal::Int(x) => *x as f64,
                Literal::Float(x) => *x,
                _ => return Err(mismatch(name, data_type, value)),
            };
            let a = array.as_primitive::<Float64Type>();
            each(a, |r| a.value(r), |v| Some(holds(float_order(v, x))))
        }
        (DataType::Timestamp(TimeUnit::Microsecond, _), Literal::Micros(x)) => {
            let a = array.as_primitive::<TimestampMicrosecondType>();
            each(a, |r| a.value(r), |v| Some(holds(v.cmp(x))))
        }
        (DataType::Boolean, Literal::Bool(x)) => {
            let a = array.as_boolean();
            each(a, |r| a.value(r), |v| Some(holds(v.cmp(x))))
        }
        (DataType::Utf8View, Literal::Text(x)) => {
            let a = array.as_string_view();
            each(
                a,
                |r| a.value(r),
                |v| Some(holds(v.as_bytes().cmp(x.as_bytes()))),
            )
        }
        (DataType::Dictionary(key, _), Literal::Text(x)) if **key == DataType::UInt32 => {
            let a = array.as_dictionary::<UInt32Type>();
            let names = a.values().as_string::<i32>();
            let by_key: Vec<bool> = (0..names.len())
                .map(|k| holds(names.value(k).as_bytes().cmp(x.as_bytes())))
                .collect();
            let keys = a.keys();
            each(keys, |r| keys.value(r), |k| by_key.get(k as usize).copied())
        }
        _ => return Err(mismatch(name, data_type, value)),
    };
    Ok(truth)
}

/// Polars orders NaN above every number and equal to itself.
fn float_order(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn in_subnet(name: &str, array: &ArrayRef, networks: &crate::net::Networks) -> Result<Vec<u8>> {
    let member = |text: &[u8]| {
        networks
            .contains_text(text)
            .map(u8::from)
            .ok_or_else(|| crate::net::Networks::not_an_address("in_subnet", name, text))
    };
    fn each<'a>(
        len: usize,
        is_null: impl Fn(usize) -> bool,
        value: impl Fn(usize) -> &'a [u8],
        member: impl Fn(&[u8]) -> Result<u8>,
    ) -> Result<Vec<u8>> {
        (0..len)
            .map(|r| {
                if is_null(r) {
                    Ok(NULL)
                } else {
                    member(value(r))
                }
            })
            .collect()
    }
    match array.data_type() {
        DataType::Null => Ok(vec![NULL; array.len()]),
        DataType::Utf8View => {
            let a = array.as_string_view();
            each(a.len(), |r| a.is_null(r), |r| a.value(r).as_bytes(), member)
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            each(a.len(), |r| a.is_null(r), |r| a.value(r).as_bytes(), member)
        }
        DataType::Dictionary(key, _) if **key == DataType::UInt32 => {
            let a = array.as_dictionary::<UInt32Type>();
            let names = a.values().as_string::<i32>();
            // Each distinct value once; a bad one is an error only where a row uses it.
            let by_key: Vec<Option<u8>> = (0..names.len())
                .map(|k| {
                    networks
                        .contains_text(names.value(k).as_bytes())
                        .map(u8::from)
                })
                .collect();
            let keys = a.keys();
            (0..keys.len())
                .map(|r| {
                    if keys.is_null(r) {
                        return Ok(NULL);
                    }
                    let k = keys.value(r) as usize;
                    by_key.get(k).copied().flatten().ok_or_else(|| {
                        crate::net::Networks::not_an_address(
                            "in_subnet",
                            name,
                            names.value(k).as_bytes(),
                        )
                    })
                })
                .collect()
        }
        other => Err(Error::schema(format!(
            "in_subnet needs a column of addresses as text, and {name:?} is {other}"
        ))),
    }
}

fn is_in(name: &str, array: &ArrayRef, values: &[Literal]) -> Result<Vec<u8>> {
    let texts: HashSet<&str> = values
        .iter()
        .filter_map(|v| {
            if let Literal::Text(t) = v {
                Some(t.as_str())
            } else {
                None
            }
        })
        .collect();
    let numbers: HashSet<i128> = values
        .iter()
        .filter_map(|v| {
            if let Literal::Int(i) = v {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    let all_numbers = values.iter().all(|v| matches!(v, Literal::Int(_)));
    let all_texts = values.iter().all(|v| matches!(v, Literal::Text(_)));
    let member = |array: &dyn Array, row: usize, found: bool| {
        if array.is_null(row) {
            NULL
        } else {
            u8::from(found)
        }
    };
    let data_type = array.data_type();
    let truth: Vec<u8> = match data_type {
        DataType::Null => vec![NULL; array.len()],
        _ if values.is_empty() => (0..array.len()).map(|r| member(array, r, false)).collect(),
        DataType::UInt64 if all_numbers => {
            let a = array.as_primitive::<UInt64Type>();
            (0..a.len())
                .map(|r| member(a, r, numbers.contains(&i128::from(a.value(r)))))
                .collect()
        }
        DataType::Int64 if all_numbers => {
            let a = array.as_primitive::<Int64Type>();
            (0..a.len())
                .map(|r| member(a, r, numbers.contains(&i128::from(a.value(r)))))
                .collect()
        }
        DataType::UInt16 if all_numbers => {
            let a = array.as_primitive::<UInt16Type>();
            (0..a.len())
                .map(|r| member(a, r, numbers.contains(&i128::from(a.value(r)))))
                .collect()
        }
        DataType::Utf8View if all_texts => {
            let a = array.as_string_view();
            (0..a.len())
                .map(|r| member(a, r, texts.contains(a.value(r))))
                .collect()
        }
        DataType::Dictionary(key, _) if **key == DataType::UInt32 && all_texts => {
            let a = array.as_dictionary::<UInt32Type>();
            let names = a.values().as_string::<i32>();
            let by_key: Vec<bool> = (0..names.len())
                .map(|k| texts.contains(names.value(k)))
                .collect();
            let keys = a.keys();
            (0..keys.len())
                .map(|r| {
                    member(
                        keys,
                        r,
                        by_key.get(keys.value(r) as usize).copied().unwrap_or(false),
                    )
                })
                .collect()
        }
        // Other types (booleans, floats, times, mixed literals): any equal value.
        _ => {
            let mut truth = vec![FALSE; array.len()];
            for value in values {
                let equal = truth_of(name, array, &|o| o == Ordering::Equal, value)?;
                for (t, e) in truth.iter_mut().zip(equal) {
                    if e == TRUE {
                        *t = TRUE;
                    } else if e == NULL && *t == FALSE {
                        *t = NULL;
                    }
                }
            }
            truth
        }
    };
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{StringViewArray, UInt16Array};
    use std::sync::Arc;

    fn ports() -> ArrayRef {
        Arc::new(UInt16Array::from(vec![
            Some(80),
            Some(443),
            None,
            Some(8080),
        ]))
    }

    fn eval(predicate: &Predicate) -> Vec<u8> {
        let columns = |name: &str| match name {
            "p" => Some(ports()),
            "h" => Some(Arc::new(StringViewArray::from(vec![
                Some("a"),
                None,
                Some("b"),
                Some("c"),
            ])) as ArrayRef),
            _ => None,
        };
        match predicate.eval(&columns, 4) {
            Ok(truth) => truth,
            Err(error) => panic!("{error}"),
        }
    }

    fn cmp(column: &str, op: Op, value: Literal) -> Predicate {
        Predicate::Compare {
            column: column.into(),
            op,
            value,
        }
    }

    #[test]
    fn comparisons_with_nulls_are_null() {
        assert_eq!(
            eval(&cmp("p", Op::NotEq, Literal::Int(80))),
            [FALSE, TRUE, NULL, TRUE]
        );
        assert_eq!(
            eval(&cmp("p", Op::GtEq, Literal::Int(443))),
            [FALSE, TRUE, NULL, TRUE]
        );
        assert_eq!(
            eval(&cmp("p", Op::Lt, Literal::Float(443.5))),
            [TRUE, TRUE, NULL, FALSE]
        );
        assert_eq!(
            eval(&cmp("p", Op::Eq, Literal::Int(1 << 40))),
            [FALSE, FALSE, NULL, FALSE]
        );
    }

    #[test]
    fn not_keeps_null_null() {
        let inner = Predicate::IsIn {
            column: "p".into(),
            values: vec![Literal::Int(80), Literal::Int(8080)],
        };
        assert_eq!(
            eval(&Predicate::Not(Box::new(inner))),
            [FALSE, TRUE, NULL, FALSE]
        );
    }

    #[test]
    fn kleene_and_or() {
        let p443 = cmp("p", Op::Eq, Literal::Int(443));
        let h_b = cmp("h", Op::Eq, Literal::Text("b".into()));
        // p: 80, 443, null, 8080 / h: a, null, b, c
        assert_eq!(
            eval(&Predicate::And(vec![p443.clone(), h_b.clone()])),
            [FALSE, NULL, NULL, FALSE]
        );
        assert_eq!(
            eval(&Predicate::Or(vec![p443, h_b])),
            [FALSE, TRUE, TRUE, FALSE]
        );
    }

    #[test]
    fn absent_columns_are_all_null() {
        assert_eq!(eval(&cmp("missing", Op::Eq, Literal::Int(1))), [NULL; 4]);
        let is_null = Predicate::IsNull {
            column: "missing".into(),
            negated: false,
        };
        assert_eq!(eval(&is_null), [TRUE; 4]);
        let not_null = Predicate::IsNull {
            column: "p".into(),
            negated: true,
        };
        assert_eq!(eval(&not_null), [TRUE, TRUE, FALSE, TRUE]);
    }

    #[test]
    fn is_in_with_repeated_values() {
        let repeated = Predicate::IsIn {
            column: "h".into(),
            values: vec![Literal::Text("c".into()), Literal::Text("c".into())],
        };
        assert_eq!(eval(&repeated), [FALSE, NULL, FALSE, TRUE]);
    }

    #[test]
    fn type_mismatches_are_errors() {
        let columns = |_: &str| Some(ports());
        let predicate = cmp("p", Op::Eq, Literal::Text("80".into()));
        assert!(predicate.eval(&columns, 4).is_err());
    }

    #[test]
    fn floats_order_nan_last() {
        assert_eq!(float_order(f64::NAN, 1.0), Ordering::Greater);
        assert_eq!(float_order(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(float_order(-0.0, 0.0), Ordering::Equal);
    }
}
