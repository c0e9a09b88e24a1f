//! Polars expression plugins (pyo3-polars): FFI shims over the core's kernels, so an
//! expression gives exactly what the parser computes.

use crate::pushdown::MimeCategories;
use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

/// The categories as `zeekframe.mime` passes them: names and, for each, its MIME types.
#[derive(Deserialize)]
struct MimeKwargs {
    names: Vec<String>,
    types: Vec<Vec<String>>,
}

/// `zf.mime_category`: the name of each row's category, for a list-of-strings column such as
/// `resp_mime_types` or a plain string column; Python casts the result to an `Enum`.
#[polars_expr(output_type=String)]
fn mime_category(inputs: &[Series], kwargs: MimeKwargs) -> PolarsResult<Series> {
    let categories = MimeCategories::new(kwargs.names.into_iter().zip(kwargs.types).collect());
    let names = categories.names();
    let name_of = |category: Option<u32>| category.map(|i| names[i as usize].as_str());
    let input = &inputs[0];
    let classified: Vec<Option<&str>> = match input.dtype() {
        DataType::List(inner) if **inner == DataType::String => {
            let mut rows = Vec::with_capacity(input.len());
            for row in input.list()?.amortized_iter() {
                rows.push(match row {
                    Some(types) => name_of(categories.category(types.as_ref().str()?.iter())),
                    None => None,
                });
            }
            rows
        }
        DataType::List(inner) if **inner == DataType::Null => vec![None; input.len()],
        DataType::String => input
            .str()?
            .iter()
            .map(|mime_type| name_of(categories.category(std::iter::once(mime_type))))
            .collect(),
        DataType::Null => vec![None; input.len()],
        other => polars_bail!(
            InvalidOperation: "mime_category needs a list of strings (such as resp_mime_types) \
            or a string column, not {}", other
        ),
    };
    Ok(
        StringChunked::from_iter_options(input.name().clone(), classified.into_iter())
            .into_series(),
    )
}

#[derive(Deserialize)]
struct SubnetKwargs {
    networks: Vec<String>,
}

/// Text values of a column of addresses (Python casts categoricals to String first).
fn address_text(input: &Series, what: &str) -> PolarsResult<StringChunked> {
    match input.dtype() {
        DataType::String => Ok(input.str()?.clone()),
        DataType::Null => Ok(input.cast(&DataType::String)?.str()?.clone()),
        other => polars_bail!(
            InvalidOperation: "{} needs a column of addresses as text (such as id.orig_h), \
            not {}", what, other
        ),
    }
}

/// `zf.in_subnet`: whether each address is in one of the networks.
#[polars_expr(output_type=Boolean)]
fn in_subnet(inputs: &[Series], kwargs: SubnetKwargs) -> PolarsResult<Series> {
    let networks = crate::net::Networks::parse(&kwargs.networks)
        .map_err(|e| polars_err!(ComputeError: "{}", e))?;
    let input = &inputs[0];
    let texts = address_text(input, "in_subnet")?;
    let mut out = Vec::with_capacity(texts.len());
    for value in texts.iter() {
        out.push(match value {
            None => None,
            Some(text) => Some(networks.contains_text(text.as_bytes()).ok_or_else(|| {
                let error = crate::net::Networks::not_an_address(
                    "in_subnet",
                    input.name(),
                    text.as_bytes(),
                );
                polars_err!(ComputeError: "{}", error)
            })?),
        });
    }
    Ok(BooleanChunked::from_iter_options(input.name().clone(), out.into_iter()).into_series())
}

#[derive(Deserialize)]
struct CommunityIdKwargs {
    seed: u16,
    base64: bool,
}

/// `zf.community_id`: Community ID v1 of each flow (null where a field is null, the
/// protocol is `unknown_transport`, or the endpoints' address families differ).
#[polars_expr(output_type=String)]
fn community_id(inputs: &[Series], kwargs: CommunityIdKwargs) -> PolarsResult<Series> {
    use crate::net::{community_id::*, parse_addr};
    use rayon::prelude::*;
    let orig = address_text(&inputs[0], "community_id")?
        .rechunk()
        .into_owned();
    let resp = address_text(&inputs[1], "community_id")?
        .rechunk()
        .into_owned();
    // Python casts ports to Int64 and the protocol to text (the build has no 8- or 16-bit
    // integers).
    let orig_p = inputs[2].i64()?.rechunk().into_owned();
    let resp_p = inputs[3].i64()?.rechunk().into_owned();
    let protocols = address_text(&inputs[4], "community_id")?
        .rechunk()
        .into_owned();
    let rows = orig.len();
    let bad_address = |column: usize, text: &str| {
        let error = crate::net::Networks::not_an_address(
            "community_id",
            inputs[column].name(),
            text.as_bytes(),
        );
        polars_err!(ComputeError: "{}", error)
    };
    let one = |row: usize| -> PolarsResult<Option<String>> {
        let (Some(o), Some(r), Some(op), Some(rp)) = (
            orig.get(row),
            resp.get(row),
            orig_p.get(row),
            resp_p.get(row),
        ) else {
            return Ok(None);
        };
        let orig = parse_addr(o.as_bytes()).ok_or_else(|| bad_address(0, o))?;
        let resp = parse_addr(r.as_bytes()).ok_or_else(|| bad_address(1, r))?;
        let port = |column: usize, value: i64| {
            u16::try_from(value).map_err(|_| {
                polars_err!(ComputeError: "community_id: {} in column {:?} is not a port \
                (0-65535)", value, inputs[column].name())
            })
        };
        let (op, rp) = (port(2, op)?, port(3, rp)?);
        let proto = {
            match protocols.get(row) {
                None | Some("unknown_transport") => return Ok(None),
                Some("tcp") => TCP,
                Some("udp") => UDP,
                Some("icmp") if orig.is_ipv6() => ICMP6,
                Some("icmp") => ICMP,
                Some("sctp") => SCTP,
                Some(number) if number.bytes().all(|b| b.is_ascii_digit()) => {
                    number.parse::<u8>().map_err(|_| {
                        polars_err!(ComputeError: "community_id: {:?} in column {:?} is not an \
                        IP protocol number (0-255)", number, inputs[4].name())
                    })?
                }
                Some(other) => polars_bail!(
                    ComputeError: "community_id: {:?} in column {:?} is not a transport protocol \
                    Zeek logs (tcp, udp, icmp, unknown_transport)", other, inputs[4].name()
                ),
            }
        };
        let flow = Flow {
            orig,
            resp,
            orig_port: op,
            resp_port: rp,
            proto,
        };
        let mut text = String::with_capacity(30);
        Ok(community_id(&flow, kwargs.seed, kwargs.base64, &mut text).then_some(text))
    };
    const PART: usize = 1 << 16;
    let parts: Vec<PolarsResult<Vec<Option<String>>>> = (0..rows.div_ceil(PART))
        .into_par_iter()
        .map(|k| (k * PART..rows.min((k + 1) * PART)).map(one).collect())
        .collect();
    let mut ids = Vec::with_capacity(rows);
    for part in parts {
        ids.extend(part?);
    }
    Ok(StringChunked::from_iter_options(inputs[0].name().clone(), ids.into_iter()).into_series())
}
