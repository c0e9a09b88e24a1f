//! Polars expression plugins: `zf.mime_category`, `zf.in_subnet` and `zf.community_id`, over
//! the core's kernels, so that an expression gives exactly what the parser computes; and
//! `pair_counts` (`counts`), the report's counts per host and port.
//!
//! Each plugin is a pure function from Arrow arrays to an Arrow array ([`mime_category`],
//! [`in_subnet`], [`community_id`], [`counts::pair_counts`]); `abi` carries them across
//! Polars' plugin ABI. The
//! configuration comes as bytes laid out by `zeekframe/_plugins.py` (see [`abi::Config`]).

mod abi;
mod counts;
#[cfg(test)]
mod tests;

use crate::net::community_id::{community_id as flow_id, Flow, ICMP, ICMP6, SCTP, TCP, UDP};
use crate::net::{parse_addr, Networks};
use crate::pushdown::MimeCategories;
use abi::{CallerContext, Config, Input, SeriesExport};
use arrow_array::builder::StringViewBuilder;
use arrow_array::cast::AsArray;
use arrow_array::ffi::FFI_ArrowSchema;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, BooleanArray, OffsetSizeTrait, StringViewArray};
use arrow_schema::DataType;
use rayon::prelude::*;
use std::sync::Arc;

/// Text values of a column: Polars' strings (views), classic Arrow strings, or all null.
enum Texts<'a> {
    View(&'a StringViewArray),
    Small(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    Null,
}

impl<'a> Texts<'a> {
    fn of(array: &'a dyn Array) -> Option<Texts<'a>> {
        Some(match array.data_type() {
            DataType::Utf8View => Texts::View(array.as_string_view()),
            DataType::Utf8 => Texts::Small(array.as_string::<i32>()),
            DataType::LargeUtf8 => Texts::Large(array.as_string::<i64>()),
            DataType::Null => Texts::Null,
            _ => return None,
        })
    }

    fn get(&self, row: usize) -> Option<&'a str> {
        match self {
            Texts::View(a) => a.is_valid(row).then(|| a.value(row)),
            Texts::Small(a) => a.is_valid(row).then(|| a.value(row)),
            Texts::Large(a) => a.is_valid(row).then(|| a.value(row)),
            Texts::Null => None,
        }
    }

    fn iter(&self, rows: usize) -> impl Iterator<Item = Option<&'a str>> + '_ {
        (0..rows).map(|row| self.get(row))
    }
}

/// The text values of an input of addresses (Python casts categoricals to text first).
fn address_texts<'a>(input: &'a Input, what: &str) -> Result<Texts<'a>, String> {
    Texts::of(input.array.as_ref()).ok_or_else(|| {
        format!(
            "{what} needs a column of addresses as text (such as id.orig_h), not {}",
            input.array.data_type()
        )
    })
}

fn one_input<'a>(inputs: &'a [Input], what: &str, wanted: usize) -> Result<&'a [Input], String> {
    if inputs.len() == wanted {
        Ok(inputs)
    } else {
        Err(format!(
            "{what} takes {wanted} columns, not {}",
            inputs.len()
        ))
    }
}

/// A list column's values, and where each row's values start and end among them.
fn list_parts<O: OffsetSizeTrait>(array: &dyn Array) -> (&ArrayRef, Vec<usize>) {
    let list = array.as_list::<O>();
    (
        list.values(),
        list.offsets().iter().map(|o| o.as_usize()).collect(),
    )
}

/// `zf.mime_category`: the name of each row's category, for a list-of-strings column such as
/// `resp_mime_types` or a plain string column; Python casts the result to an `Enum`.
/// Configuration: the category names, then each category's MIME types.
pub fn mime_category(inputs: &[Input], config: &mut Config) -> Result<ArrayRef, String> {
    let input = &one_input(inputs, "mime_category", 1)?[0];
    let names = config.texts()?;
    let mut mapping = Vec::with_capacity(names.len());
    for name in names {
        mapping.push((name, config.texts()?));
    }
    let categories = MimeCategories::new(mapping);
    let names = categories.names();
    let name_of = |category: Option<u32>| category.map(|i| names[i as usize].as_str());
    let array = input.array.as_ref();
    let rows = array.len();
    let unsupported = || {
        format!(
            "mime_category needs a list of strings (such as resp_mime_types) or a string \
             column, not {}",
            array.data_type()
        )
    };
    let classified: StringViewArray = match array.data_type() {
        DataType::List(_) | DataType::LargeList(_) => {
            let (values, offsets) = match array.data_type() {
                DataType::List(_) => list_parts::<i32>(array),
                _ => list_parts::<i64>(array),
            };
            let texts = Texts::of(values.as_ref()).ok_or_else(unsupported)?;
            (0..rows)
                .map(|row| {
                    if array.is_null(row) {
                        return None;
                    }
                    let (start, end) = (offsets[row], offsets[row + 1]);
                    name_of(categories.category((start..end).map(|at| texts.get(at))))
                })
                .collect()
        }
        _ => {
            let texts = Texts::of(array).ok_or_else(unsupported)?;
            texts
                .iter(rows)
                .map(|mime_type| name_of(categories.category(std::iter::once(mime_type))))
                .collect()
        }
    };
    Ok(Arc::new(classified))
}

/// `zf.in_subnet`: whether each address is in one of the networks. Configuration: the
/// networks.
pub fn in_subnet(inputs: &[Input], config: &mut Config) -> Result<ArrayRef, String> {
    let input = &one_input(inputs, "in_subnet", 1)?[0];
    let networks = Networks::parse(&config.texts()?).map_err(|e| e.to_string())?;
    let texts = address_texts(input, "in_subnet")?;
    let mut out = Vec::with_capacity(input.array.len());
    for value in texts.iter(input.array.len()) {
        out.push(match value {
            None => None,
            Some(text) => Some(networks.contains_text(text.as_bytes()).ok_or_else(|| {
                Networks::not_an_address("in_subnet", &input.name, text.as_bytes()).to_string()
            })?),
        });
    }
    Ok(Arc::new(BooleanArray::from(out)))
}

/// `zf.community_id`: Community ID v1 of each flow (null where a field is null, the
/// protocol is `unknown_transport`, or the endpoints' address families differ). Inputs:
/// both addresses as text, both ports as `Int64`, the protocol as text. Configuration: the
/// seed (`u16`) and whether to encode in base64 (`u8`, else hex).
pub fn community_id(inputs: &[Input], config: &mut Config) -> Result<ArrayRef, String> {
    let inputs = one_input(inputs, "community_id", 5)?;
    let seed = config.u16()?;
    let base64 = config.u8()? != 0;
    let orig = address_texts(&inputs[0], "community_id")?;
    let resp = address_texts(&inputs[1], "community_id")?;
    let protocols = address_texts(&inputs[4], "community_id")?;
    let ports = |column: usize| {
        let array = inputs[column].array.as_ref();
        match array.data_type() {
            DataType::Int64 => Ok(array.as_primitive::<Int64Type>()),
            other => Err(format!(
                "community_id: the ports come as Int64, not {other} (column {:?})",
                inputs[column].name
            )),
        }
    };
    let (orig_p, resp_p) = (ports(2)?, ports(3)?);
    let rows = inputs[0].array.len();
    if inputs.iter().any(|input| input.array.len() != rows) {
        return Err("community_id: the columns differ in length".to_owned());
    }
    let bad_address = |column: usize, text: &str| {
        Networks::not_an_address("community_id", &inputs[column].name, text.as_bytes()).to_string()
    };
    let port = |column: usize, value: i64| {
        u16::try_from(value).map_err(|_| {
            format!(
                "community_id: {value} in column {:?} is not a port (0-65535)",
                inputs[column].name
            )
        })
    };
    // Each row's id is written into `text` (false where it has none).
    let one = |row: usize, text: &mut String| -> Result<bool, String> {
        let (Some(o), Some(r)) = (orig.get(row), resp.get(row)) else {
            return Ok(false);
        };
        if orig_p.is_null(row) || resp_p.is_null(row) {
            return Ok(false);
        }
        let orig = parse_addr(o.as_bytes()).ok_or_else(|| bad_address(0, o))?;
        let resp = parse_addr(r.as_bytes()).ok_or_else(|| bad_address(1, r))?;
        let (op, rp) = (port(2, orig_p.value(row))?, port(3, resp_p.value(row))?);
        let proto = match protocols.get(row) {
            None | Some("unknown_transport") => return Ok(false),
            Some("tcp") => TCP,
            Some("udp") => UDP,
            Some("icmp") if orig.is_ipv6() => ICMP6,
            Some("icmp") => ICMP,
            Some("sctp") => SCTP,
            Some(number) if number.bytes().all(|b| b.is_ascii_digit()) => {
                number.parse::<u8>().map_err(|_| {
                    format!(
                        "community_id: {number:?} in column {:?} is not an IP protocol number \
                         (0-255)",
                        inputs[4].name
                    )
                })?
            }
            Some(other) => {
                return Err(format!(
                    "community_id: {other:?} in column {:?} is not a transport protocol Zeek \
                     logs (tcp, udp, icmp, unknown_transport)",
                    inputs[4].name
                ))
            }
        };
        let flow = Flow {
            orig,
            resp,
            orig_port: op,
            resp_port: rp,
            proto,
        };
        text.clear();
        Ok(flow_id(&flow, seed, base64, text))
    };
    // Parts of the rows in parallel, each written straight into its own array (no text per
    // row), then the parts' views put together over their buffers.
    const PART: usize = 1 << 16;
    let parts: Vec<Result<ArrayRef, String>> = (0..rows.div_ceil(PART))
        .into_par_iter()
        .map(|k| {
            let range = k * PART..rows.min((k + 1) * PART);
            let mut ids = StringViewBuilder::with_capacity(range.len());
            let mut text = String::with_capacity(32);
            for row in range {
                if one(row, &mut text)? {
                    ids.append_value(&text);
                } else {
                    ids.append_null();
                }
            }
            Ok(Arc::new(ids.finish()) as ArrayRef)
        })
        .collect();
    let mut parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
    match parts.len() {
        0 => Ok(Arc::new(StringViewArray::from_iter_values(
            Vec::<&str>::new(),
        ))),
        1 => Ok(parts.swap_remove(0)),
        _ => {
            let parts: Vec<&dyn Array> = parts.iter().map(|part| part.as_ref()).collect();
            arrow_select::concat::concat(&parts).map_err(|e| format!("community_id: {e}"))
        }
    }
}

// The symbols Polars looks up. Each is a thin shim over `abi`, which catches every panic.

/// The plugin ABI version (0.1).
#[no_mangle]
pub extern "C" fn _polars_plugin_get_version() -> u32 {
    abi::VERSION
}

/// The message of the last failed call on the calling thread.
#[no_mangle]
pub extern "C" fn _polars_plugin_get_last_error_message() -> *const std::ffi::c_char {
    abi::last_error_message()
}

macro_rules! plugin {
    ($function:ident, $field:ident, $kernel:path, $name:literal, $output:expr) => {
        /// # Safety
        /// Called by Polars with the plugin ABI's arguments.
        #[no_mangle]
        pub unsafe extern "C" fn $function(
            inputs: *const SeriesExport,
            n_inputs: usize,
            kwargs: *const u8,
            kwargs_len: usize,
            out: *mut SeriesExport,
            _context: *const CallerContext,
        ) {
            // SAFETY: the arguments are Polars', as `abi::call` requires.
            unsafe { abi::call($name, inputs, n_inputs, kwargs, kwargs_len, out, $kernel) }
        }

        /// # Safety
        /// Called by Polars with the plugin ABI's arguments.
        #[no_mangle]
        pub unsafe extern "C" fn $field(
            fields: *const FFI_ArrowSchema,
            n_fields: usize,
            out: *mut FFI_ArrowSchema,
            _kwargs: *const u8,
            _kwargs_len: usize,
        ) {
            // SAFETY: the arguments are Polars', as `abi::field` requires.
            unsafe { abi::field($name, fields, n_fields, out, $output) }
        }
    };
}

plugin!(
    _polars_plugin_mime_category,
    _polars_plugin_field_mime_category,
    mime_category,
    "mime_category",
    |_| Ok(DataType::Utf8View)
);
plugin!(
    _polars_plugin_in_subnet,
    _polars_plugin_field_in_subnet,
    in_subnet,
    "in_subnet",
    |_| Ok(DataType::Boolean)
);
plugin!(
    _polars_plugin_community_id,
    _polars_plugin_field_community_id,
    community_id,
    "community_id",
    |_| Ok(DataType::Utf8View)
);
plugin!(
    _polars_plugin_pair_counts,
    _polars_plugin_field_pair_counts,
    counts::pair_counts,
    "pair_counts",
    counts::output_type
);
