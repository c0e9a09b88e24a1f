//! Counts of rows per distinct pair of a text key and an integer key (an origin host and a
//! port, a host and a status code), optionally weighted and sorted: the report's
//! `conn_port_counts` on a frame, on each Dask partition, and again to combine the
//! partitions' counts.
//!
//! Each row's text is interned once (its id is its place among the distinct texts, in order
//! of first appearance), then each row's pair (text id, integer) and weight are packed into
//! one integer, the rows radix-sorted on the pair and equal neighbours counted (see
//! [`count`]). The interning table hashes with per-process random keys: a log crafted to
//! collide in a fixed hash cannot make it slow. Nulls are keys like any other value, as
//! Polars' `group_by` keeps them.

use super::abi::{Config, Input};
use super::Texts;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{new_empty_array, ArrowPrimitiveType, UInt64Array};
use arrow_array::{Array, ArrayRef, NullArray, PrimitiveArray, StringViewArray, StructArray};
use arrow_schema::{DataType, Field, Fields};
use std::collections::HashMap;
use std::sync::Arc;

type RandomState = ahash::RandomState;

/// Flipping the sign bit maps `i64` onto `u64` in the same order.
const SIGN: u64 = 1 << 63;

/// The name of the count field of the result.
pub const COUNT: &str = "count";

/// An integer key column's value at `row` as an order-preserving `u64` key (None for null),
/// for each integer type.
macro_rules! with_keys {
    ($array:expr, |$key:ident| $body:expr, $otherwise:expr) => {{
        let array: &dyn Array = $array;
        match array.data_type() {
            DataType::Int8 => with_keys!(@of array, Int8Type, true, |$key| $body),
            DataType::Int16 => with_keys!(@of array, Int16Type, true, |$key| $body),
            DataType::Int32 => with_keys!(@of array, Int32Type, true, |$key| $body),
            DataType::Int64 => with_keys!(@of array, Int64Type, true, |$key| $body),
            DataType::UInt8 => with_keys!(@of array, UInt8Type, false, |$key| $body),
            DataType::UInt16 => with_keys!(@of array, UInt16Type, false, |$key| $body),
            DataType::UInt32 => with_keys!(@of array, UInt32Type, false, |$key| $body),
            DataType::UInt64 => with_keys!(@of array, UInt64Type, false, |$key| $body),
            DataType::Null => {
                let $key = |_row: usize| -> Option<u64> { None };
                $body
            }
            _ => $otherwise,
        }
    }};
    (@of $array:expr, $type:ty, $signed:expr, |$key:ident| $body:expr) => {{
        let typed = $array.as_primitive::<$type>();
        let values = typed.values();
        let $key = |row: usize| -> Option<u64> {
            typed.is_valid(row).then(|| {
                if $signed {
                    (values[row] as i64 as u64) ^ SIGN
                } else {
                    values[row] as u64
                }
            })
        };
        $body
    }};
}

macro_rules! values_of {
    ($keys:expr, $type:ty, $signed:expr) => {{
        // Each key was made from a value of this very type, so the casts give it back.
        let values = $keys.map(|key: Option<u64>| {
            key.map(|key| {
                if $signed {
                    ((key ^ SIGN) as i64) as <$type as ArrowPrimitiveType>::Native
                } else {
                    key as <$type as ArrowPrimitiveType>::Native
                }
            })
        });
        Arc::new(values.collect::<PrimitiveArray<$type>>()) as ArrayRef
    }};
}

fn is_integer(data_type: &DataType) -> bool {
    data_type.is_integer() || *data_type == DataType::Null
}

/// An array of `data_type` (an integer type or null) holding the values whose keys are
/// `keys`.
fn values(data_type: &DataType, keys: impl Iterator<Item = Option<u64>>) -> ArrayRef {
    match data_type {
        DataType::Int8 => values_of!(keys, Int8Type, true),
        DataType::Int16 => values_of!(keys, Int16Type, true),
        DataType::Int32 => values_of!(keys, Int32Type, true),
        DataType::Int64 => values_of!(keys, Int64Type, true),
        DataType::UInt8 => values_of!(keys, UInt8Type, false),
        DataType::UInt16 => values_of!(keys, UInt16Type, false),
        DataType::UInt32 => values_of!(keys, UInt32Type, false),
        DataType::UInt64 => values_of!(keys, UInt64Type, false),
        // `output_type` lets no other type through; the rest is the null type.
        _ => Arc::new(NullArray::new(keys.count())),
    }
}

/// The weight of each row: a non-negative integer column's values (null adds nothing).
fn weights(array: &dyn Array) -> Result<Vec<u64>, String> {
    let signed = array.data_type().is_signed_integer();
    let refuse = || {
        format!(
            "pair_counts takes counts of an integer type as weights, not {}",
            array.data_type()
        )
    };
    with_keys!(
        array,
        |key| {
            (0..array.len())
                .map(|row| match key(row) {
                    None => Ok(0),
                    Some(key) if !signed => Ok(key),
                    Some(key) if key >= SIGN => Ok(key ^ SIGN),
                    Some(key) => Err(format!(
                        "pair_counts takes counts as weights, and {} is negative",
                        (key ^ SIGN) as i64
                    )),
                })
                .collect()
        },
        Err(refuse())
    )
}

/// The output type: a struct of the text key (as views), the integer key (its own type) and
/// the count.
pub fn output_type(fields: &[Field]) -> Result<DataType, String> {
    result_fields(fields).map(DataType::Struct)
}

/// The output struct's fields for these input fields, or why they cannot be counted.
fn result_fields(fields: &[Field]) -> Result<Fields, String> {
    let (text, number) = key_fields(fields)?;
    // The types `Texts` reads, asked of an empty array of the key's type.
    if Texts::of(new_empty_array(text.data_type()).as_ref()).is_none() {
        return Err(format!(
            "pair_counts needs text as its first key, not {} (column {:?})",
            text.data_type(),
            text.name()
        ));
    }
    if !is_integer(number.data_type()) {
        return Err(format!(
            "pair_counts needs an integer as its second key, not {} (column {:?})",
            number.data_type(),
            number.name()
        ));
    }
    if let Some(weights) = fields.get(2) {
        if !is_integer(weights.data_type()) {
            return Err(format!(
                "pair_counts takes counts of an integer type as weights, not {}",
                weights.data_type()
            ));
        }
    }
    struct_fields(text.name(), number.name(), number.data_type())
}

fn key_fields(fields: &[Field]) -> Result<(&Field, &Field), String> {
    match fields {
        [text, number] | [text, number, _] => Ok((text, number)),
        _ => Err(format!(
            "pair_counts takes two key columns and optional weights, not {} columns",
            fields.len()
        )),
    }
}

fn struct_fields(text: &str, number: &str, number_type: &DataType) -> Result<Fields, String> {
    if text == number || text == COUNT || number == COUNT {
        return Err(format!(
            "pair_counts needs two keys named apart from each other and from {COUNT:?}, not \
             {text:?} and {number:?}"
        ));
    }
    Ok(Fields::from(vec![
        Field::new(text, DataType::Utf8View, true),
        Field::new(number, number_type.clone(), true),
        Field::new(COUNT, DataType::UInt64, false),
    ]))
}

/// `pair_counts`: one row per distinct (text, integer) pair of the first two inputs, with the
/// number of rows holding it, or the sum of the third input's values over those rows.
/// Configuration: one byte, 1 to sort the result by count (highest first), then text, then
/// integer (both ascending, nulls first), 0 to order the pairs by their text's first
/// appearance, then integer (ascending, nulls first).
pub fn pair_counts(inputs: &[Input], config: &mut Config) -> Result<ArrayRef, String> {
    let sorted = match config.u8()? {
        0 => false,
        1 => true,
        other => return Err(format!("pair_counts: unknown ordering {other}")),
    };
    let fields: Vec<Field> = inputs
        .iter()
        .map(|input| Field::new(&input.name, input.array.data_type().clone(), true))
        .collect();
    let struct_type = result_fields(&fields)?;
    let rows = inputs[0].array.len();
    if inputs.iter().any(|input| input.array.len() != rows) {
        return Err("pair_counts needs columns of one length".to_owned());
    }
    // `result_fields` checked both types.
    let texts = Texts::of(inputs[0].array.as_ref()).ok_or("pair_counts: text keys")?;
    let weights = match inputs.get(2) {
        Some(input) => Some(weights(input.array.as_ref())?),
        None => None,
    };
    let Counted {
        distinct,
        mut pairs,
    } = with_keys!(
        inputs[1].array.as_ref(),
        |key| count(&texts, rows, key, weights.as_deref())?,
        return Err("pair_counts: integer keys".to_owned())
    );
    if sorted {
        sort(&distinct, &mut pairs);
    }
    let text_values: StringViewArray = pairs
        .iter()
        .map(|pair| pair.text.checked_sub(1).map(|id| distinct[id as usize]))
        .collect();
    let number_type = inputs[1].array.data_type();
    let counts: UInt64Array = pairs.iter().map(|pair| pair.count).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(text_values),
        values(number_type, pairs.iter().map(|pair| pair.number)),
        Arc::new(counts),
    ];
    let result = StructArray::try_new(struct_type, columns, None)
        .map_err(|e| format!("pair_counts: {e}"))?;
    Ok(Arc::new(result))
}

/// One distinct pair: its text's id (0 for null, else 1 + its place among the distinct
/// texts), its integer's key, and its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    text: u32,
    number: Option<u64>,
    count: u64,
}

struct Counted<'a> {
    distinct: Vec<&'a str>,
    pairs: Vec<Pair>,
}

/// The bits that hold values up to `max`.
fn bits(max: u64) -> u32 {
    u64::BITS - max.leading_zeros()
}

/// The lowest `n` bits set (none for 0, all for 64).
fn low_bits(n: u32) -> u64 {
    u64::MAX.checked_shr(64 - n).unwrap_or(0)
}

/// The smallest and largest of `numbers` (`u64::MAX` and 0 where there are none).
fn span(numbers: impl Iterator<Item = u64>) -> (u64, u64) {
    numbers.fold((u64::MAX, 0), |(low, high), n| (low.min(n), high.max(n)))
}

/// The bits that hold a number from `low` to `high` as its distance above `low` plus one
/// (0 standing for null): 0 where there are no numbers, 65 where they do not fit.
fn number_bits(low: u64, high: u64) -> u32 {
    if low > high {
        return 0;
    }
    (high - low).checked_add(1).map_or(65, bits)
}

/// A text as a key of the interning table: its bytes hashed as they are, and compared with
/// two loads for the short texts keys mostly are (addresses, methods, codes) instead of a
/// call to `memcmp`.
#[derive(Clone, Copy)]
struct Text<'a>(&'a [u8]);

impl PartialEq for Text<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0, other.0);
        let n = a.len();
        if n != b.len() {
            return false;
        }
        let word =
            |bytes: &[u8], at: usize| u64::from_le_bytes(std::array::from_fn(|i| bytes[at + i]));
        if (8..=16).contains(&n) {
            word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
        } else {
            a == b
        }
    }
}

impl Eq for Text<'_> {}

impl std::hash::Hash for Text<'_> {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(self.0);
    }
}

/// Each row's text id, and the distinct texts in order of first appearance.
fn intern<'a>(texts: &Texts<'a>, rows: usize) -> Result<(Vec<u32>, Vec<&'a str>), String> {
    let mut ids: HashMap<Text<'a>, u32, RandomState> = HashMap::with_hasher(RandomState::new());
    let mut distinct: Vec<&'a str> = Vec::new();
    let mut row_ids = Vec::with_capacity(rows);
    for row in 0..rows {
        row_ids.push(match texts.get(row) {
            None => 0,
            Some(text) => match ids.get(&Text(text.as_bytes())) {
                Some(&id) => id,
                None => {
                    // At most one id per row, and a column has fewer than 2^32 rows of text
                    // (Arrow's offsets and views are 32-bit), so the ids fit.
                    let id = u32::try_from(distinct.len() + 1)
                        .map_err(|_| "pair_counts: more than 2^32 distinct texts")?;
                    distinct.push(text);
                    ids.insert(Text(text.as_bytes()), id);
                    id
                }
            },
        });
    }
    Ok((row_ids, distinct))
}

/// The rows' pairs, sorted by text id and then integer (nulls first), with their counts.
///
/// The rows are sorted and equal neighbours counted: on a column of a few hundred hosts and
/// tens of thousands of host and port pairs this is several times faster than a hash table,
/// whose every lookup misses the cache. Where the text id and the integer's distance above
/// the smallest fit in 64 bits together (always, for ports) each row sorts as one integer.
fn count<'a>(
    texts: &Texts<'a>,
    rows: usize,
    key: impl Fn(usize) -> Option<u64>,
    weights: Option<&[u64]>,
) -> Result<Counted<'a>, String> {
    let weight = |row: usize| weights.map_or(1, |w| w[row]);
    let (ids, distinct) = intern(texts, rows)?;
    let (low, high) = span((0..rows).filter_map(&key));
    // 0 stands for null, a value for its distance above the smallest plus one.
    let number_bits = number_bits(low, high);
    let text_bits = bits(distinct.len() as u64);
    let mut pairs: Vec<Pair> = Vec::new();
    let mut add = |pair: Pair| -> Result<(), String> {
        match pairs.last_mut() {
            Some(last) if last.text == pair.text && last.number == pair.number => {
                last.count = last
                    .count
                    .checked_add(pair.count)
                    .ok_or("pair_counts: a count overflows 64 bits")?;
            }
            _ => pairs.push(pair),
        }
        Ok(())
    };
    if text_bits + number_bits <= 64 {
        let pack = |row: usize| {
            let number = key(row).map_or(0, |k| k - low + 1);
            // Shifting by 64 (number_bits 64, text_bits 0) would overflow: the text is then 0.
            u64::from(ids[row]).checked_shl(number_bits).unwrap_or(0) | number
        };
        let mask = low_bits(number_bits);
        let unpack = |packed: u64| {
            let number = packed & mask;
            let text = packed.checked_shr(number_bits).unwrap_or(0) as u32;
            (text, (number != 0).then(|| number - 1 + low))
        };
        // Each row as one integer: its pair above its weight (none without weights), sorted
        // on the pair's bits only.
        let weight_bits = weights.map_or(0, |w| bits(w.iter().copied().max().unwrap_or(0)));
        let key_bits = text_bits + number_bits;
        if key_bits + weight_bits <= 64 {
            let mut packed: Vec<u64> = (0..rows)
                .map(|row| {
                    let weight = weights.map_or(0, |w| w[row]);
                    pack(row).checked_shl(weight_bits).unwrap_or(0) | weight
                })
                .collect();
            radix_sort(&mut packed, weight_bits, weight_bits + key_bits, |&k| k);
            let pair_of = |packed: u64| packed.checked_shr(weight_bits).unwrap_or(0);
            let weight_mask = low_bits(weight_bits);
            for run in packed.chunk_by(|a, b| pair_of(*a) == pair_of(*b)) {
                let (text, number) = unpack(pair_of(run[0]));
                let mut count = 0u64;
                if weights.is_some() {
                    for packed in run {
                        count = count
                            .checked_add(packed & weight_mask)
                            .ok_or("pair_counts: a count overflows 64 bits")?;
                    }
                } else {
                    count = run.len() as u64;
                }
                add(Pair {
                    text,
                    number,
                    count,
                })?;
            }
            return Ok(Counted { distinct, pairs });
        }
    }
    // Keys too wide to pack: the rows sorted as tuples.
    let mut keyed: Vec<Pair> = (0..rows)
        .map(|row| Pair {
            text: ids[row],
            number: key(row),
            count: weight(row),
        })
        .collect();
    keyed.sort_unstable_by_key(|pair| (pair.text, pair.number));
    for pair in keyed {
        add(pair)?;
    }
    Ok(Counted { distinct, pairs })
}

/// Sort `items` by bits `from..to` of `key` (the bits above `to` being zero), least
/// significant digit first, stable: a few passes of counting and moving, each over the whole
/// slice in order, instead of a comparison sort's scattered reads. The digits are as wide as
/// needed to take the fewest passes of at most 11 bits; a digit that every item shares is
/// skipped.
fn radix_sort<T: Copy + Default>(items: &mut Vec<T>, from: u32, to: u32, key: impl Fn(&T) -> u64) {
    if items.len() < 2 || to <= from {
        return;
    }
    let passes = (to - from).div_ceil(11);
    let digit = (to - from).div_ceil(passes);
    let mask = (1u64 << digit) - 1;
    let mut spare = vec![T::default(); items.len()];
    let mut starts = vec![0usize; 1 << digit];
    let mut shift = from;
    while shift < to {
        starts.fill(0);
        for item in items.iter() {
            starts[((key(item) >> shift) & mask) as usize] += 1;
        }
        if starts.iter().all(|&n| n == 0 || n == items.len()) {
            shift += digit;
            continue;
        }
        let mut total = 0;
        for start in starts.iter_mut() {
            let n = *start;
            *start = total;
            total += n;
        }
        for item in items.iter() {
            let place = &mut starts[((key(item) >> shift) & mask) as usize];
            spare[*place] = *item;
            *place += 1;
        }
        std::mem::swap(items, &mut spare);
        shift += digit;
    }
}

/// Highest count first, then text, then integer, ascending with nulls first (the order
/// Polars' `sort(["count", text, number], descending=[True, False, False])` gives).
fn sort(distinct: &[&str], pairs: &mut [Pair]) {
    // Each text's rank among the distinct texts, so that pairs compare as integers.
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.sort_unstable_by_key(|&id| distinct[id as usize].as_bytes());
    let mut rank = vec![0u32; distinct.len() + 1];
    for (place, &id) in order.iter().enumerate() {
        // Ids and places are below `distinct.len()`, which fits a u32 (see `intern`).
        rank[id as usize + 1] = place as u32 + 1;
    }
    let highest = pairs.iter().map(|pair| pair.count).max().unwrap_or(0);
    let (low, high) = span(pairs.iter().filter_map(|pair| pair.number));
    let number_bits = number_bits(low, high);
    let text_bits = bits(distinct.len() as u64);
    let count_bits = bits(highest);
    if count_bits + text_bits + number_bits <= 64 {
        // Each pair as one integer from which it is read back: the count's distance below
        // the highest, the text's rank, the number's distance above the lowest (0 for null).
        let number_shift = number_bits;
        let text_shift = number_bits + text_bits;
        let mut packed: Vec<u64> = pairs
            .iter()
            .map(|pair| {
                let number = pair.number.map_or(0, |n| n - low + 1);
                let text = u64::from(rank[pair.text as usize]);
                ((highest - pair.count).checked_shl(text_shift).unwrap_or(0))
                    | text.checked_shl(number_shift).unwrap_or(0)
                    | number
            })
            .collect();
        radix_sort(&mut packed, 0, count_bits + text_bits + number_bits, |&k| k);
        let (number_mask, text_mask) = (low_bits(number_bits), low_bits(text_bits));
        for (pair, packed) in pairs.iter_mut().zip(packed) {
            let number = packed & number_mask;
            let text = packed.checked_shr(number_shift).unwrap_or(0) & text_mask;
            *pair = Pair {
                // Rank 0 is null; rank r is the text `order[r - 1]`, whose id is one more.
                text: if text == 0 {
                    0
                } else {
                    order[text as usize - 1] + 1
                },
                number: (number != 0).then(|| number - 1 + low),
                count: highest - packed.checked_shr(text_shift).unwrap_or(0),
            };
        }
        return;
    }
    // The pairs are distinct, so no two keys are equal and an unstable sort is deterministic.
    pairs.sort_unstable_by_key(|pair| {
        (
            std::cmp::Reverse(pair.count),
            rank[pair.text as usize],
            pair.number.map_or(0u128, |n| u128::from(n) + 1),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, Int8Array, StringArray, UInt16Array};
    use std::collections::BTreeMap;

    /// A result's rows: text, number, count.
    type Rows = Vec<(Option<String>, Option<i128>, u64)>;

    fn run(inputs: &[Input], sorted: bool) -> Result<Rows, String> {
        let config_bytes = [u8::from(sorted)];
        let mut config = Config::new(&config_bytes);
        let result = pair_counts(inputs, &mut config)?;
        config.finish()?;
        let result = result.as_struct();
        let texts = result.column(0).as_string_view();
        let numbers = result.column(1);
        let counts = result.column(2).as_primitive::<UInt64Type>();
        Ok((0..result.len())
            .map(|row| {
                let text = texts.is_valid(row).then(|| texts.value(row).to_owned());
                let number = numbers.is_valid(row).then(|| match numbers.data_type() {
                    DataType::UInt16 => i128::from(numbers.as_primitive::<UInt16Type>().value(row)),
                    DataType::Int8 => i128::from(numbers.as_primitive::<Int8Type>().value(row)),
                    DataType::Int64 => i128::from(numbers.as_primitive::<Int64Type>().value(row)),
                    DataType::UInt64 => i128::from(numbers.as_primitive::<UInt64Type>().value(row)),
                    other => panic!("unexpected {other}"),
                });
                (text, number, counts.value(row))
            })
            .collect())
    }

    fn input(name: &str, array: ArrayRef) -> Input {
        Input {
            name: name.to_owned(),
            array,
        }
    }

    /// The counts by a map, sorted by count (highest first), text, number (nulls first).
    fn expected(texts: &[Option<&str>], numbers: &[Option<i128>], weights: Option<&[u64]>) -> Rows {
        let mut map: BTreeMap<(Option<String>, Option<i128>), u64> = BTreeMap::new();
        for row in 0..texts.len() {
            *map.entry((texts[row].map(str::to_owned), numbers[row]))
                .or_default() += weights.map_or(1, |w| w[row]);
        }
        let mut out: Vec<_> = map.into_iter().map(|((t, n), c)| (t, n, c)).collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, a.1).cmp(&(&b.0, b.1))));
        out
    }

    /// A small generator, so that the tests need no crate.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (self.0 >> 33) % below
        }

        /// 64 random bits.
        fn wide(&mut self) -> u64 {
            (self.next(1 << 31) << 33) | (self.next(1 << 31) << 2) | self.next(4)
        }
    }

    #[test]
    fn counts_and_sorts_as_a_map_does_for_every_key_width() {
        let mut rng = Lcg(7);
        for case in 0..60 {
            let rows = rng.next(300) as usize;
            let hosts = 1 + rng.next(20);
            let texts: Vec<Option<String>> = (0..rows)
                .map(|_| {
                    (rng.next(10) > 0).then(|| format!("10.0.{}.{}", rng.next(3), rng.next(hosts)))
                })
                .collect();
            let text_refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
            let weights: Vec<u64> = (0..rows).map(|_| rng.next(5)).collect();
            let weighted = case % 2 == 1;
            // Ports, small signed numbers, and numbers too far apart to pack with the text.
            let (array, numbers): (ArrayRef, Vec<Option<i128>>) = match case % 3 {
                0 => {
                    let values: Vec<Option<u16>> = (0..rows)
                        .map(|_| (rng.next(8) > 0).then(|| rng.next(6) as u16 * 1000))
                        .collect();
                    let numbers = values.iter().map(|v| v.map(i128::from)).collect();
                    (Arc::new(UInt16Array::from(values)), numbers)
                }
                1 => {
                    let values: Vec<Option<i8>> = (0..rows)
                        .map(|_| (rng.next(8) > 0).then(|| rng.next(256) as u8 as i8))
                        .collect();
                    let numbers = values.iter().map(|v| v.map(i128::from)).collect();
                    (Arc::new(Int8Array::from(values)), numbers)
                }
                _ => {
                    let choices = [i64::MIN, -1, 0, 1, i64::MAX];
                    let values: Vec<Option<i64>> = (0..rows)
                        .map(|_| (rng.next(8) > 0).then(|| choices[rng.next(5) as usize]))
                        .collect();
                    let numbers = values.iter().map(|v| v.map(i128::from)).collect();
                    (Arc::new(Int64Array::from(values)), numbers)
                }
            };
            let mut inputs = vec![
                input("h", Arc::new(StringViewArray::from(text_refs.clone()))),
                input("p", array),
            ];
            if weighted {
                inputs.push(input("count", Arc::new(UInt64Array::from(weights.clone()))));
            }
            let want = expected(&text_refs, &numbers, weighted.then_some(&weights[..]));
            assert_eq!(run(&inputs, true).expect("counted"), want, "case {case}");
            // Unsorted: the same pairs, ordered by the text's first appearance, then number.
            let mut unsorted = run(&inputs, false).expect("counted");
            let first = |t: &Option<String>| {
                t.as_ref()
                    .map(|t| texts.iter().position(|x| x.as_ref() == Some(t)))
            };
            for pair in unsorted.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                assert!(
                    (first(&a.0), a.1) < (first(&b.0), b.1),
                    "case {case}: {a:?} {b:?}"
                );
            }
            unsorted.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, a.1).cmp(&(&b.0, b.1))));
            assert_eq!(unsorted, want, "case {case}");
        }
    }

    #[test]
    fn takes_every_text_type_and_all_null_columns() {
        let small: ArrayRef = Arc::new(StringArray::from(vec![Some("b"), None, Some("b")]));
        let numbers: ArrayRef = Arc::new(UInt64Array::from(vec![
            Some(u64::MAX),
            Some(0),
            Some(u64::MAX),
        ]));
        let got = run(&[input("h", small), input("p", numbers.clone())], true).expect("counted");
        assert_eq!(
            got,
            vec![
                (Some("b".into()), Some(i128::from(u64::MAX)), 2),
                (None, Some(0), 1)
            ]
        );
        let nulls: ArrayRef = Arc::new(NullArray::new(3));
        let config = [1u8];
        let result = pair_counts(
            &[input("h", nulls.clone()), input("p", nulls)],
            &mut Config::new(&config),
        )
        .expect("counted");
        let result = result.as_struct();
        assert_eq!(result.len(), 1);
        assert_eq!(result.column(0).null_count(), 1);
        assert_eq!(result.column(1).data_type(), &DataType::Null);
        assert_eq!(result.column(2).as_primitive::<UInt64Type>().value(0), 3);
        let empty: ArrayRef = Arc::new(StringViewArray::from(Vec::<&str>::new()));
        let none: ArrayRef = Arc::new(UInt16Array::from(Vec::<u16>::new()));
        assert_eq!(
            run(&[input("h", empty), input("p", none)], true).expect("counted"),
            vec![]
        );
    }

    #[test]
    fn refuses_what_it_cannot_count() {
        let texts: ArrayRef = Arc::new(StringViewArray::from(vec!["a", "a"]));
        let ports: ArrayRef = Arc::new(UInt16Array::from(vec![1, 1]));
        let error = |inputs: &[Input], config: &[u8]| {
            pair_counts(inputs, &mut Config::new(config)).expect_err("refused")
        };
        let negative: ArrayRef = Arc::new(Int64Array::from(vec![1, -2]));
        let inputs = [
            input("h", texts.clone()),
            input("p", ports.clone()),
            input("count", negative),
        ];
        assert!(error(&inputs, &[1]).contains("-2 is negative"));
        let huge: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, 1]));
        let inputs = [
            input("h", texts.clone()),
            input("p", ports.clone()),
            input("count", huge),
        ];
        assert!(error(&inputs, &[0]).contains("overflows"));
        let inputs = [input("p", ports.clone()), input("h", texts.clone())];
        assert!(error(&inputs, &[0]).contains("needs text as its first key"));
        let inputs = [input("h", texts.clone()), input("h", ports.clone())];
        assert!(error(&inputs, &[0]).contains("named apart"));
        let inputs = [input("h", texts.clone())];
        assert!(error(&inputs, &[0]).contains("not 1 columns"));
        let short: ArrayRef = Arc::new(UInt16Array::from(vec![1]));
        let inputs = [input("h", texts.clone()), input("p", short)];
        assert!(error(&inputs, &[0]).contains("one length"));
        let inputs = [input("h", texts), input("p", ports)];
        assert!(error(&inputs, &[2]).contains("unknown ordering"));
    }

    #[test]
    fn radix_sort_sorts_stably_on_any_range_of_bits() {
        let mut rng = Lcg(3);
        for (from, to) in [
            (0u32, 0u32),
            (0, 1),
            (0, 8),
            (0, 9),
            (5, 13),
            (0, 26),
            (17, 43),
            (0, 63),
            (0, 64),
            (20, 64),
        ] {
            let below = u64::MAX.checked_shr(64 - to).unwrap_or(0);
            let range = below & !u64::MAX.checked_shr(64 - from).unwrap_or(0);
            let mut items: Vec<(u64, usize)> = (0..1000).map(|i| (rng.wide() & below, i)).collect();
            let mut want = items.clone();
            want.sort_by_key(|&(k, _)| k & range);
            radix_sort(&mut items, from, to, |&(k, _)| k);
            assert_eq!(items, want, "bits {from}..{to}");
        }
    }
}
