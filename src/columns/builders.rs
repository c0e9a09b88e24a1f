//! Column builders: one per parsed column of a chunk. They own plain vectors sized from the
//! chunk's line count, can roll back a half-parsed row (`truncate`) when a line turns out to
//! be bad, and hand their vectors to Arrow without copying.

use crate::columns::memory::{self, Values};
use crate::columns::values;
use crate::format::escape::{make_utf8, unescape_into};
use crate::format::header::Markers;
use crate::format::types::{ZeekType, TIME_ZONE};
use arrow_array::types::{
    DurationMicrosecondType, Float64Type, Int64Type, TimestampMicrosecondType, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, ListArray, PrimitiveArray,
    StringArray, StringViewArray,
};
use arrow_buffer::{
    BooleanBuffer, BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer,
};
use arrow_schema::Field;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// What a field failed to be, for the error message.
pub type Expected = &'static str;

/// Per-chunk context a value parser needs besides the field bytes.
pub struct FieldContext<'a> {
    pub markers: &'a Markers,
    /// The whole chunk is valid UTF-8, so any slice of it split at ASCII bytes is too.
    pub chunk_is_utf8: bool,
    /// The chunk holds no backslash, so no field needs unescaping.
    pub chunk_has_escapes: bool,
    /// Scratch space for unescaping, reused across fields.
    pub scratch: Vec<u8>,
}

impl<'a> FieldContext<'a> {
    /// Context for the fields of `chunk`, checked once as a whole for UTF-8 and escapes.
    pub fn new(markers: &'a Markers, chunk: &[u8]) -> Self {
        FieldContext {
            markers,
            chunk_is_utf8: is_utf8(chunk),
            chunk_has_escapes: memchr::memchr(b'\\', chunk).is_some(),
            scratch: Vec::new(),
        }
    }

    /// Context that checks each string field on its own: cheaper than a pass over the whole
    /// chunk when only a few of its lines are parsed (sampling).
    pub fn per_field(markers: &'a Markers) -> Self {
        FieldContext {
            markers,
            chunk_is_utf8: false,
            chunk_has_escapes: true,
            scratch: Vec::new(),
        }
    }

    /// Compare against a marker without a library call for the usual one-byte `-`: most
    /// fields differ in length or first byte.
    #[inline(always)]
    fn is_marker(raw: &[u8], marker: &[u8]) -> bool {
        raw.len() == marker.len()
            && raw.first() == marker.first()
            && (raw.len() == 1 || raw == marker)
    }

    #[inline(always)]
    pub fn is_unset(&self, raw: &[u8]) -> bool {
        Self::is_marker(raw, &self.markers.unset_field)
    }

    #[inline(always)]
    pub fn is_empty(&self, raw: &[u8]) -> bool {
        Self::is_marker(raw, &self.markers.empty_field)
    }

    /// The text of a string field as it goes into the column: unescaped, and valid UTF-8
    /// (bytes that are not UTF-8 keep their `\xHH` text).
    #[inline(always)]
    fn text<'s>(&'s mut self, raw: &'s [u8]) -> &'s [u8] {
        if !self.chunk_has_escapes && self.chunk_is_utf8 {
            return raw;
        }
        self.text_slow(raw)
    }

    #[inline(never)]
    fn text_slow<'s>(&'s mut self, raw: &'s [u8]) -> &'s [u8] {
        // Checked field by field (sampling): plain ASCII without a backslash, as almost
        // every field is, needs neither a search nor a UTF-8 check.
        if plain_ascii(raw) {
            return raw;
        }
        let needs_unescape = self.chunk_has_escapes && memchr::memchr(b'\\', raw).is_some();
        if !needs_unescape && (self.chunk_is_utf8 || std::str::from_utf8(raw).is_ok()) {
            return raw;
        }
        self.scratch.clear();
        if needs_unescape {
            unescape_into(raw, &mut self.scratch);
        } else {
            self.scratch.extend_from_slice(raw);
        }
        make_utf8(&mut self.scratch);
        &self.scratch
    }
}

/// Whether `bytes` are all ASCII and hold no backslash, 8 bytes at a time.
#[inline(always)]
fn plain_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0x80; 8]));
        // A byte of `word ^ BACKSLASHES` is zero where `word` holds a backslash.
        let flipped = word ^ BACKSLASHES;
        let backslash = flipped.wrapping_sub(ONES) & !flipped & HIGH_BITS;
        if (word & HIGH_BITS) | backslash != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b.is_ascii() && b != b'\\')
}

/// Whether `bytes` are valid UTF-8, checking 64 bytes at a time for the plain ASCII logs
/// almost always hold before handing the rest, from the first byte that is not, to the
/// full check.
fn is_utf8(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut ascii = 0;
    for block in bytes.chunks_exact(64) {
        let any_high = block
            .chunks_exact(8)
            .map(|word| u64::from_le_bytes(word.try_into().unwrap_or([0; 8])))
            .fold(0, |acc, word| acc | word);
        if any_high & HIGH_BITS != 0 {
            break;
        }
        ascii += 64;
    }
    // Every byte before `ascii` is ASCII, so a character cannot straddle that point.
    std::str::from_utf8(&bytes[ascii..]).is_ok()
}

/// Validity kept as the list of null rows while parsing: most Zeek columns have few nulls,
/// so a valid value costs one increment, and the bitmap is built once at the end.
pub struct Validity {
    null_rows: Vec<u32>,
    len: usize,
}

thread_local! {
    /// Null-row lists of columns already finished, for the next chunk this thread parses.
    /// Columns the log mostly leaves unset (`service`, `duration`, ... on scan traffic) list
    /// most rows: grown afresh for every chunk, their lists were reallocated and copied
    /// a dozen times each and faulted in new memory every time.
    static NULL_LISTS: RefCell<Vec<Vec<u32>>> = const { RefCell::new(Vec::new()) };
}
/// At most this many lists are kept per thread, each of at most `NULL_LIST_ROWS` rows of
/// room (a few MB per parser thread in all).
const NULL_LISTS_KEPT: usize = 64;
const NULL_LIST_ROWS: usize = 256 << 10;

/// Let this thread's kept null-row lists go (the end of a read).
pub fn release_null_lists() {
    NULL_LISTS.with(|lists| {
        if let Ok(mut lists) = lists.try_borrow_mut() {
            *lists = Vec::new();
        }
    });
}

impl Default for Validity {
    fn default() -> Validity {
        let kept = NULL_LISTS.with(|lists| lists.try_borrow_mut().ok()?.pop());
        Validity {
            null_rows: kept.unwrap_or_default(),
            len: 0,
        }
    }
}

impl Drop for Validity {
    fn drop(&mut self) {
        let mut list = std::mem::take(&mut self.null_rows);
        if list.capacity() == 0 || list.capacity() > NULL_LIST_ROWS {
            return;
        }
        list.clear();
        NULL_LISTS.with(|lists| {
            if let Ok(mut lists) = lists.try_borrow_mut() {
                if lists.len() < NULL_LISTS_KEPT {
                    lists.push(list);
                }
            }
        });
    }
}

impl Validity {
    #[inline(always)]
    fn append_non_null(&mut self) {
        self.len += 1;
    }

    #[inline(always)]
    fn append_null(&mut self) {
        self.null_rows.push(self.len as u32);
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let keep = self.null_rows.partition_point(|&row| (row as usize) < len);
        self.null_rows.truncate(keep);
        self.len = len;
    }

    fn finish(&self) -> Option<NullBuffer> {
        let nulls = self.null_rows.len();
        if nulls == 0 {
            return None;
        }
        if nulls == self.len {
            // A column the log never sets: no bits to clear one by one.
            return Some(NullBuffer::new_null(self.len));
        }
        let mut words = vec![u64::MAX; self.len.div_ceil(64)];
        for &row in &self.null_rows {
            words[row as usize / 64] &= !(1u64 << (row % 64));
        }
        if let (Some(last), bits @ 1..) = (words.last_mut(), self.len % 64) {
            *last &= (1u64 << bits) - 1;
        }
        let bits = BooleanBuffer::new(Buffer::from_vec(words), 0, self.len);
        // SAFETY: every null row was appended once, in increasing order, below `len`, and
        // cleared its own bit: the bitmap has exactly `nulls` unset bits among its `len`.
        Some(unsafe { NullBuffer::new_unchecked(bits, nulls) })
    }
}

pub struct Primitive<T: ArrowPrimitiveType> {
    values: Values<T::Native>,
    nulls: Validity,
}

impl<T: ArrowPrimitiveType> Primitive<T> {
    fn with_capacity(rows: usize) -> Self {
        Primitive {
            values: Values::with_capacity(rows),
            nulls: Validity::default(),
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, value: T::Native) {
        self.values.push(value);
        self.nulls.append_non_null();
    }

    #[inline(always)]
    fn push_null(&mut self) {
        self.values.push_default();
        self.nulls.append_null();
    }

    fn truncate(&mut self, len: usize) {
        self.values.truncate(len);
        self.nulls.truncate(len);
    }

    #[inline(always)]
    fn fill<'d>(
        &mut self,
        fields: impl Iterator<Item = &'d [u8]>,
        cx: &FieldContext<'_>,
        parse: impl Fn(&[u8]) -> Option<T::Native>,
        expected: Expected,
        mut on_error: impl FnMut(usize, Expected),
    ) {
        for (position, raw) in fields.enumerate() {
            if cx.is_unset(raw) {
                self.push_null();
            } else if let Some(value) = parse(raw) {
                self.push(value);
            } else {
                self.push_null();
                on_error(position, expected);
            }
        }
    }

    fn finish(self) -> PrimitiveArray<T> {
        PrimitiveArray::new(
            ScalarBuffer::from(self.values.into_buffer()),
            self.nulls.finish(),
        )
    }
}

/// Utf8View strings: 16-byte views, short strings inline, longer ones in data buffers.
pub struct Strings {
    views: Values<u128>,
    data: Values<u8>,
    full_buffers: Vec<Buffer>,
    nulls: Validity,
    /// The view of the last long string written to `data` (0: none yet): a long string
    /// repeated on consecutive rows (a pcap name in `sample`, a host's user agent) points at
    /// the bytes already there instead of copying them again.
    last_long: u128,
}

/// Strings up to this many bytes live in their view; longer ones in a data buffer.
pub(crate) const MAX_INLINE: usize = 12;

impl Strings {
    /// `text_bytes`: how many bytes the long strings will take, if known (else 0: grow).
    pub(crate) fn with_capacity(rows: usize, text_bytes: usize) -> Self {
        Strings {
            views: Values::with_capacity(rows),
            data: Values::with_capacity(text_bytes),
            full_buffers: Vec::new(),
            nulls: Validity::default(),
            last_long: 0,
        }
    }

    /// `text` must be valid UTF-8.
    #[inline(always)]
    pub(crate) fn push(&mut self, text: &[u8]) {
        let len = text.len();
        let view = if len <= MAX_INLINE {
            string_view(text, 0, 0)
        } else if self.repeats_last_long(text) {
            self.last_long
        } else {
            if self.data.len() + len > u32::MAX as usize {
                let full = std::mem::replace(&mut self.data, Values::with_capacity(0));
                self.full_buffers.push(full.into_buffer());
            }
            let offset = self.data.len() as u32;
            self.data.extend_from_bytes(text);
            self.last_long = string_view(text, self.full_buffers.len() as u32, offset);
            self.last_long
        };
        self.views.push(view);
        self.nulls.append_non_null();
    }

    /// Whether `text` (longer than `MAX_INLINE`) equals the last long string in `data`.
    #[inline(always)]
    fn repeats_last_long(&self, text: &[u8]) -> bool {
        let view = self.last_long;
        // The low 64 bits hold the length and the first four bytes.
        if view as u64 != string_view(text, 0, 0) as u64 {
            return false;
        }
        let buffer = (view >> 64) as u32 as usize;
        let offset = (view >> 96) as u32 as usize;
        buffer == self.full_buffers.len()
            && self
                .data
                .as_slice()
                .get(offset..offset + text.len())
                .is_some_and(|written| memory::same_bytes(written, text))
    }

    #[inline(always)]
    pub(crate) fn push_null(&mut self) {
        self.views.push_default();
        self.nulls.append_null();
    }

    /// Append one field as written: unset is null, the empty marker an empty string, and
    /// anything else its unescaped text.
    #[inline(always)]
    fn push_field(&mut self, raw: &[u8], cx: &mut FieldContext<'_>) {
        if cx.is_unset(raw) {
            self.push_null();
        } else if cx.is_empty(raw) {
            self.push(b"");
        } else {
            self.push(cx.text(raw));
        }
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        // Bytes of dropped long strings stay in the data buffer, unreferenced: bad lines are
        // rare and this keeps the views' offsets valid.
        self.views.truncate(len);
        self.nulls.truncate(len);
    }

    pub(crate) fn len(&self) -> usize {
        self.views.len()
    }

    pub(crate) fn finish(self) -> StringViewArray {
        let mut buffers = self.full_buffers;
        if !self.data.is_empty() {
            buffers.push(self.data.into_buffer());
        }
        // SAFETY: every view was written by `push` from valid UTF-8 with its length, prefix,
        // buffer index and offset pointing into `buffers`; null slots hold the zero view.
        unsafe {
            StringViewArray::new_unchecked(
                ScalarBuffer::from(self.views.into_buffer()),
                Arc::from(buffers),
                self.nulls.finish(),
            )
        }
    }
}

/// Dictionary-encoded strings for Zeek enums.
pub struct Dictionary {
    keys: Primitive<UInt32Type>,
    values: Vec<Box<[u8]>>,
    index: HashMap<Box<[u8]>, u32>,
    /// The key pushed last: consecutive rows mostly repeat it (`proto`).
    last: u32,
}

/// Below this many distinct values a linear scan beats hashing.
const LINEAR_LOOKUP: usize = 16;

impl Dictionary {
    fn with_capacity(rows: usize) -> Self {
        Dictionary {
            keys: Primitive::with_capacity(rows),
            values: Vec::new(),
            index: HashMap::new(),
            last: 0,
        }
    }

    /// `text` must be valid UTF-8.
    #[inline]
    pub(crate) fn push(&mut self, text: &[u8]) {
        if let Some(last) = self.values.get(self.last as usize) {
            if memory::same_bytes(last, text) {
                self.keys.push(self.last);
                return;
            }
        }
        let key = if self.values.len() <= LINEAR_LOOKUP {
            self.values
                .iter()
                .position(|v| **v == *text)
                .map(|k| k as u32)
        } else {
            self.index.get(text).copied()
        };
        let key = key.unwrap_or_else(|| {
            let key = self.values.len() as u32;
            self.values.push(text.into());
            self.index.insert(text.into(), key);
            key
        });
        self.last = key;
        self.keys.push(key);
    }

    /// Append one field as written: unset is null, the empty marker an empty string, and
    /// anything else its unescaped text.
    #[inline(always)]
    fn push_field(&mut self, raw: &[u8], cx: &mut FieldContext<'_>) {
        if cx.is_unset(raw) {
            self.keys.push_null();
        } else if cx.is_empty(raw) {
            self.push(b"");
        } else {
            self.push(cx.text(raw));
        }
    }

    fn finish(self) -> DictionaryArray<UInt32Type> {
        let values = StringArray::from_iter_values(
            self.values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned()),
        );
        // Every key was issued as an index into `values`, so the dictionary is valid.
        DictionaryArray::new(self.keys.finish(), Arc::new(values))
    }
}

pub struct List {
    offsets: Vec<i32>,
    nulls: Validity,
    element: Box<Builder>,
    element_type: ZeekType,
}

impl List {
    /// The builder of the elements: a list value is its elements, then `close`.
    pub(crate) fn elements(&mut self) -> &mut Builder {
        &mut self.element
    }

    /// End a list value after its elements.
    #[inline]
    pub(crate) fn close(&mut self) -> Result<(), Expected> {
        let len = i32::try_from(self.element.len()).map_err(|_| "a list short of 2^31 items")?;
        self.offsets.push(len);
        self.nulls.append_non_null();
        Ok(())
    }

    /// Split a set or vector on the set separator and append each element; an element equal
    /// to the unset marker is a null element.
    fn push_elements(&mut self, raw: &[u8], cx: &mut FieldContext<'_>) -> Result<(), Expected> {
        let separator_len = cx.markers.set_separator.len();
        let mut rest = raw;
        loop {
            let at = match separator_len {
                0 => None,
                1 => memchr::memchr(cx.markers.set_separator[0], rest),
                _ => memchr::memmem::find(rest, &cx.markers.set_separator),
            };
            let element = at.map_or(rest, |at| &rest[..at]);
            if cx.is_unset(element) {
                self.element.push_null();
            } else if cx.is_empty(element) {
                // Zeek writes an empty element as the empty marker (and a literal `(empty)`
                // with its first byte escaped), so the bare marker is an empty value.
                self.element.push_value(b"", cx)?;
            } else {
                self.element.push_value(element, cx)?;
            }
            match at {
                Some(at) => rest = &rest[at + separator_len..],
                None => return Ok(()),
            }
        }
    }
}

pub struct Booleans {
    values: BooleanBufferBuilder,
    nulls: Validity,
}

impl Booleans {
    #[inline]
    pub(crate) fn push(&mut self, value: bool) {
        self.values.append(value);
        self.nulls.append_non_null();
    }

    #[inline]
    fn push_null(&mut self) {
        self.values.append(false);
        self.nulls.append_null();
    }

    /// Append one field as written: unset is null, `T` and `F` their values; anything else
    /// is not a bool and appends nothing.
    #[inline(always)]
    fn push_field(&mut self, raw: &[u8], cx: &FieldContext<'_>) -> Result<(), Expected> {
        if cx.is_unset(raw) {
            self.push_null();
        } else {
            self.push(values::parse_bool(raw).ok_or("a bool (T or F)")?);
        }
        Ok(())
    }
}

pub enum Builder {
    Time(Primitive<TimestampMicrosecondType>),
    Interval(Primitive<DurationMicrosecondType>),
    Count(Primitive<UInt64Type>),
    Int(Primitive<Int64Type>),
    Port(Primitive<UInt16Type>),
    Double(Primitive<Float64Type>),
    Bool(Booleans),
    Enum(Dictionary),
    String(Strings),
    List(List),
}

impl Builder {
    pub fn new(zeek_type: &ZeekType, rows: usize) -> Builder {
        Builder::with_text_capacity(zeek_type, rows, 0)
    }

    /// A builder for `rows` values; a string column also reserves `text_bytes` for strings
    /// too long to inline in their views.
    pub fn with_text_capacity(zeek_type: &ZeekType, rows: usize, text_bytes: usize) -> Builder {
        match zeek_type {
            ZeekType::Time => Builder::Time(Primitive::with_capacity(rows)),
            ZeekType::Interval => Builder::Interval(Primitive::with_capacity(rows)),
            ZeekType::Count => Builder::Count(Primitive::with_capacity(rows)),
            ZeekType::Int => Builder::Int(Primitive::with_capacity(rows)),
            ZeekType::Port => Builder::Port(Primitive::with_capacity(rows)),
            ZeekType::Double => Builder::Double(Primitive::with_capacity(rows)),
            ZeekType::Bool => Builder::Bool(Booleans {
                values: BooleanBufferBuilder::new(rows),
                nulls: Validity::default(),
            }),
            ZeekType::Enum => Builder::Enum(Dictionary::with_capacity(rows)),
            ZeekType::String => Builder::String(Strings::with_capacity(rows, text_bytes)),
            ZeekType::List(element) => {
                let mut offsets = Vec::with_capacity(rows + 1);
                offsets.push(0);
                Builder::List(List {
                    offsets,
                    nulls: Validity::default(),
                    element: Box::new(Builder::new(element, rows)),
                    element_type: (**element).clone(),
                })
            }
        }
    }

    /// Append every field of `fields`. A value that is not of the column's type becomes a
    /// null and its position in `fields` is reported to `on_error`. The type is matched once,
    /// outside the loop, so each Zeek type gets its own tight loop.
    pub fn fill<'d>(
        &mut self,
        fields: impl Iterator<Item = &'d [u8]>,
        cx: &mut FieldContext<'_>,
        mut on_error: impl FnMut(usize, Expected),
    ) {
        match self {
            Builder::Time(column) => {
                column.fill(fields, cx, values::parse_micros, "a time", on_error)
            }
            Builder::Interval(column) => {
                column.fill(fields, cx, values::parse_micros, "an interval", on_error)
            }
            Builder::Count(column) => {
                column.fill(fields, cx, values::parse_count, "a count", on_error)
            }
            Builder::Int(column) => column.fill(fields, cx, values::parse_int, "an int", on_error),
            Builder::Port(column) => {
                column.fill(fields, cx, values::parse_port, "a port", on_error)
            }
            Builder::Double(column) => {
                column.fill(fields, cx, values::parse_double, "a double", on_error)
            }
            Builder::String(column) => {
                for raw in fields {
                    column.push_field(raw, cx);
                }
            }
            // Bools and enums as `push_field` takes them, without its dispatch per field.
            Builder::Bool(column) => {
                for (position, raw) in fields.enumerate() {
                    if let Err(expected) = column.push_field(raw, cx) {
                        column.push_null();
                        on_error(position, expected);
                    }
                }
            }
            Builder::Enum(column) => {
                for raw in fields {
                    column.push_field(raw, cx);
                }
            }
            _ => {
                for (position, raw) in fields.enumerate() {
                    if let Err(expected) = self.push_field(raw, cx) {
                        // A list that failed half-way leaves elements to roll back.
                        let len = self.len();
                        self.truncate(len);
                        self.push_null();
                        on_error(position, expected);
                    }
                }
            }
        }
    }

    /// Append one field as it appears in the log (unset marker, empty marker or a value).
    /// The empty marker only means something for strings and lists; for other types it is
    /// not a value and fails to parse like any other text.
    #[inline(always)]
    pub fn push_field(&mut self, raw: &[u8], cx: &mut FieldContext<'_>) -> Result<(), Expected> {
        match self {
            Builder::String(column) => {
                column.push_field(raw, cx);
                return Ok(());
            }
            Builder::Enum(column) => {
                column.push_field(raw, cx);
                return Ok(());
            }
            Builder::Bool(column) => return column.push_field(raw, cx),
            _ => {}
        }
        if cx.is_unset(raw) {
            self.push_null();
            return Ok(());
        }
        match self {
            Builder::List(list) => {
                if !cx.is_empty(raw) {
                    list.push_elements(raw, cx)?;
                }
                list.close()?;
            }
            _ => self.push_value(raw, cx)?,
        }
        Ok(())
    }

    /// Append a value that is neither the unset nor the empty marker.
    #[inline(always)]
    fn push_value(&mut self, raw: &[u8], cx: &mut FieldContext<'_>) -> Result<(), Expected> {
        match self {
            Builder::Time(column) => column.push(values::parse_micros(raw).ok_or("a time")?),
            Builder::Interval(column) => {
                column.push(values::parse_micros(raw).ok_or("an interval")?)
            }
            Builder::Count(column) => column.push(values::parse_count(raw).ok_or("a count")?),
            Builder::Int(column) => column.push(values::parse_int(raw).ok_or("an int")?),
            Builder::Port(column) => column.push(values::parse_port(raw).ok_or("a port")?),
            Builder::Double(column) => column.push(values::parse_double(raw).ok_or("a double")?),
            Builder::Bool(column) => column.push(values::parse_bool(raw).ok_or("a bool (T or F)")?),
            Builder::Enum(column) => column.push(cx.text(raw)),
            Builder::String(column) => column.push(cx.text(raw)),
            Builder::List(_) => return Err("a list"),
        }
        Ok(())
    }

    #[inline]
    pub fn push_null(&mut self) {
        match self {
            Builder::Time(column) => column.push_null(),
            Builder::Interval(column) => column.push_null(),
            Builder::Count(column) => column.push_null(),
            Builder::Int(column) => column.push_null(),
            Builder::Port(column) => column.push_null(),
            Builder::Double(column) => column.push_null(),
            Builder::Bool(column) => column.push_null(),
            Builder::Enum(column) => column.keys.push_null(),
            Builder::String(column) => column.push_null(),
            Builder::List(list) => {
                list.offsets.push(list.offsets.last().copied().unwrap_or(0));
                list.nulls.append_null();
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Builder::Time(column) => column.values.len(),
            Builder::Interval(column) => column.values.len(),
            Builder::Count(column) => column.values.len(),
            Builder::Int(column) => column.values.len(),
            Builder::Port(column) => column.values.len(),
            Builder::Double(column) => column.values.len(),
            Builder::Bool(column) => column.values.len(),
            Builder::Enum(column) => column.keys.values.len(),
            Builder::String(column) => column.views.len(),
            Builder::List(list) => list.offsets.len() - 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop rows past `len`, and a list's elements past its last offset (what a list value
    /// that failed half-way left behind).
    pub fn truncate(&mut self, len: usize) {
        if self.len() < len {
            return;
        }
        match self {
            Builder::Time(column) => column.truncate(len),
            Builder::Interval(column) => column.truncate(len),
            Builder::Count(column) => column.truncate(len),
            Builder::Int(column) => column.truncate(len),
            Builder::Port(column) => column.truncate(len),
            Builder::Double(column) => column.truncate(len),
            Builder::Bool(column) => {
                column.values.truncate(len);
                column.nulls.truncate(len);
            }
            Builder::Enum(column) => column.keys.truncate(len),
            Builder::String(column) => column.truncate(len),
            Builder::List(list) => {
                list.offsets.truncate(len + 1);
                list.nulls.truncate(len);
                let elements = list.offsets.last().copied().unwrap_or(0) as usize;
                list.element.truncate(elements);
            }
        }
    }

    pub fn finish(self) -> ArrayRef {
        match self {
            Builder::Time(column) => Arc::new(column.finish().with_timezone(TIME_ZONE)),
            Builder::Interval(column) => Arc::new(column.finish()),
            Builder::Count(column) => Arc::new(column.finish()),
            Builder::Int(column) => Arc::new(column.finish()),
            Builder::Port(column) => Arc::new(column.finish()),
            Builder::Double(column) => Arc::new(column.finish()),
            Builder::Bool(mut column) => Arc::new(BooleanArray::new(
                column.values.finish(),
                column.nulls.finish(),
            )),
            Builder::Enum(column) => Arc::new(column.finish()),
            Builder::String(column) => Arc::new(column.finish()),
            Builder::List(list) => {
                let field = Arc::new(Field::new("item", list.element_type.arrow_type(), true));
                let nulls = list.nulls.finish();
                // Offsets start at 0 and only grow (each push appends the element count).
                let offsets = OffsetBuffer::new(ScalarBuffer::from(list.offsets));
                Arc::new(ListArray::new(field, offsets, list.element.finish(), nulls))
            }
        }
    }
}

/// The Arrow string view of `text`: inline up to 12 bytes, else its length, its first four
/// bytes and where it is (`buffer`, `offset`).
#[inline(always)]
pub(crate) fn string_view(text: &[u8], buffer: u32, offset: u32) -> u128 {
    let len = text.len();
    if len <= MAX_INLINE {
        u128::from(len as u32) | inline_bytes(text) << 32
    } else {
        let mut prefix = [0u8; 4];
        prefix.copy_from_slice(&text[..4]);
        u128::from(len as u32)
            | u128::from(u32::from_le_bytes(prefix)) << 32
            | u128::from(buffer) << 64
            | u128::from(offset) << 96
    }
}

/// Up to 12 bytes as a little-endian integer, read with two overlapping loads: a copy of
/// a variable length into a stack buffer costs a library call and a stalled reload.
#[inline(always)]
fn inline_bytes(text: &[u8]) -> u128 {
    let len = text.len();
    let le32 = |at: usize| {
        u64::from(u32::from_le_bytes([
            text[at],
            text[at + 1],
            text[at + 2],
            text[at + 3],
        ]))
    };
    match len {
        0..=3 => text
            .iter()
            .enumerate()
            .fold(0, |v, (i, &b)| v | u128::from(b) << (8 * i)),
        4..=7 => {
            // Bytes 4..len are the top of the last four bytes.
            let high = le32(len - 4) >> (8 * (8 - len));
            u128::from(le32(0) | high << 32)
        }
        _ => {
            let mut low = [0u8; 8];
            low.copy_from_slice(&text[..8]);
            // Bytes 8..len are the top of the last four bytes.
            let high = le32(len - 4) >> (8 * (12 - len));
            u128::from(u64::from_le_bytes(low)) | u128::from(high) << 64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_is_every_byte_ascii_and_no_backslash() {
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    let naive = text.iter().all(|&b| b < 0x80 && b != b'\\');
                    assert_eq!(plain_ascii(&text), naive, "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert!(plain_ascii(b""));
    }
    use arrow_array::cast::AsArray;

    #[test]
    fn a_null_row_list_kept_from_an_earlier_column_starts_empty() {
        for (len, every) in [(1000usize, 1usize), (70, 3), (5000, 7), (64, 64), (3, 2)] {
            let mut validity = Validity::default();
            for row in 0..len {
                if row % every == 0 {
                    validity.append_null();
                } else {
                    validity.append_non_null();
                }
            }
            let nulls = validity.finish();
            drop(validity);
            let expected = len.div_ceil(every);
            let nulls = nulls.expect("some rows are null");
            assert_eq!(nulls.null_count(), expected, "{len} rows, every {every}");
            assert!((0..len).all(|row| nulls.is_null(row) == (row % every == 0)));
        }
        let mut none = Validity::default();
        none.append_non_null();
        assert!(
            none.finish().is_none(),
            "a list handed on holds no old rows"
        );
    }

    #[test]
    fn null_bitmaps_mark_exactly_the_unset_rows() -> Result<(), Expected> {
        for len in [0usize, 1, 2, 63, 64, 65, 130, 200] {
            for pattern in 0..6usize {
                let unset = |row: usize| match pattern {
                    0 => false,
                    1 => true,
                    2 => row % 2 == 0,
                    3 => row % 64 == 63,
                    4 => row == len.saturating_sub(1),
                    _ => (row * 7 + 3) % 5 != 0,
                };
                let fields: Vec<&str> = (0..len)
                    .map(|row| if unset(row) { "-" } else { "7" })
                    .collect();
                let array = build("count", &fields)?;
                let nulls = (0..len).filter(|&row| unset(row)).count();
                assert_eq!(array.null_count(), nulls, "len {len} pattern {pattern}");
                for row in 0..len {
                    assert_eq!(
                        array.is_null(row),
                        unset(row),
                        "len {len} pattern {pattern} row {row}"
                    );
                }
                if let Some(bitmap) = array.nulls() {
                    assert_eq!(bitmap.len(), len);
                    assert_eq!(bitmap.inner().count_set_bits(), len - nulls);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_utf8_check_agrees_with_the_standard_one() {
        let mut text = "a".repeat(300).into_bytes();
        assert!(is_utf8(&text));
        for at in [0, 5, 63, 64, 65, 127, 128, 200, 299] {
            for bad in [
                &[0xFFu8][..],
                &[0xC3],
                &[0xE2, 0x82],
                &[0xC3, 0xA9],
                &[0xF0, 0x9F, 0x98, 0x80],
            ] {
                let mut case = text.clone();
                case.splice(at..at, bad.iter().copied());
                assert_eq!(
                    is_utf8(&case),
                    std::str::from_utf8(&case).is_ok(),
                    "{bad:?} at {at}"
                );
            }
        }
        text.truncate(0);
        assert!(is_utf8(&text));
    }

    #[test]
    fn repeated_long_strings_share_their_bytes() {
        let pcap = b"maccdc2012_00000.pcap";
        let other = b"maccdc2012_00001.pcap";
        let mut strings = Strings::with_capacity(8, 0);
        strings.push(pcap);
        strings.push(pcap);
        strings.push_null();
        strings.push(pcap);
        strings.push(other);
        strings.push(b"short");
        strings.push(other);
        strings.push(pcap);
        let array = strings.finish();
        let values: Vec<Option<&str>> = array.iter().collect();
        let (pcap, other) = ("maccdc2012_00000.pcap", "maccdc2012_00001.pcap");
        assert_eq!(
            values,
            [
                Some(pcap),
                Some(pcap),
                None,
                Some(pcap),
                Some(other),
                Some("short"),
                Some(other),
                Some(pcap),
            ]
        );
        // Written once per run of repeats: pcap, other, pcap (a short string breaks no run).
        let bytes: usize = array.data_buffers().iter().map(|b| b.len()).sum();
        assert_eq!(bytes, 3 * pcap.len());
    }

    #[test]
    fn inline_views_hold_the_bytes_in_order() {
        let text = b"abcdefghijkl";
        for len in 0..=MAX_INLINE {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&(len as u32).to_le_bytes());
            bytes[4..4 + len].copy_from_slice(&text[..len]);
            assert_eq!(string_view(&text[..len], 0, 0), u128::from_le_bytes(bytes));
        }
    }
    use arrow_array::{Array, Int64Array};

    fn build(zeek_type: &str, fields: &[&str]) -> Result<ArrayRef, Expected> {
        let markers = Markers::default();
        let chunk = fields.join("\n");
        let mut cx = FieldContext::new(&markers, chunk.as_bytes());
        let mut builder = Builder::new(&ZeekType::parse(zeek_type), fields.len());
        for field in fields {
            builder.push_field(field.as_bytes(), &mut cx)?;
        }
        Ok(builder.finish())
    }

    #[test]
    fn strings_unset_empty_and_escapes() -> Result<(), Expected> {
        let array = build(
            "string",
            &[
                "-",
                "(empty)",
                "a\\x09b",
                "\\x2d",
                "a long string over twelve",
            ],
        )?;
        let strings = array.as_string_view();
        assert!(strings.is_null(0));
        assert_eq!(strings.value(1), "");
        assert_eq!(strings.value(2), "a\tb");
        assert_eq!(strings.value(3), "-");
        assert_eq!(strings.value(4), "a long string over twelve");
        Ok(())
    }

    #[test]
    fn sets_split_then_unescape() -> Result<(), Expected> {
        let array = build("set[string]", &["a,b\\x2cc", "(empty)", "-", "x"])?;
        let lists = array.as_list::<i32>();
        let first = lists.value(0);
        let first = first.as_string_view();
        assert_eq!((first.value(0), first.value(1)), ("a", "b,c"));
        assert_eq!(lists.value(1).len(), 0);
        assert!(!lists.is_null(1));
        assert!(lists.is_null(2));
        assert_eq!(lists.value(3).as_string_view().value(0), "x");
        Ok(())
    }

    #[test]
    fn vectors_of_counts_keep_unset_elements() -> Result<(), Expected> {
        let array = build("vector[count]", &["1,-,18446744073709551615"])?;
        let lists = array.as_list::<i32>();
        let values = lists.value(0);
        let values = values.as_primitive::<UInt64Type>();
        assert_eq!(values.value(0), 1);
        assert!(values.is_null(1));
        assert_eq!(values.value(2), u64::MAX);
        Ok(())
    }

    #[test]
    fn enums_become_dictionaries() -> Result<(), Expected> {
        let array = build("enum", &["tcp", "udp", "tcp", "-"])?;
        let dictionary = array.as_dictionary::<UInt32Type>();
        assert_eq!(dictionary.keys().values().to_vec()[..3], [0, 1, 0]);
        assert!(dictionary.is_null(3));
        assert_eq!(dictionary.values().len(), 2);
        Ok(())
    }

    /// A column built by `fill`, and the positions and types of its bad values.
    fn build_by_fill(zeek_type: &str, fields: &[&str]) -> (ArrayRef, Vec<(usize, Expected)>) {
        let markers = Markers::default();
        let chunk = fields.join("\n");
        let mut cx = FieldContext::new(&markers, chunk.as_bytes());
        let mut builder = Builder::new(&ZeekType::parse(zeek_type), fields.len());
        let mut errors = Vec::new();
        builder.fill(
            fields.iter().map(|f| f.as_bytes()),
            &mut cx,
            |at, expected| errors.push((at, expected)),
        );
        (builder.finish(), errors)
    }

    #[test]
    fn fill_takes_every_field_as_push_field_does() {
        let fields = [
            "tcp", "tcp", "udp", "-", "(empty)", "tcp", "icmp", "T", "F", "x", "udp", "udp",
        ];
        for zeek_type in ["enum", "bool", "count", "string", "set[string]", "time"] {
            let (filled, errors) = build_by_fill(zeek_type, &fields);
            let markers = Markers::default();
            let chunk = fields.join("\n");
            let mut cx = FieldContext::new(&markers, chunk.as_bytes());
            let mut builder = Builder::new(&ZeekType::parse(zeek_type), fields.len());
            let mut expected_errors = Vec::new();
            for (at, field) in fields.iter().enumerate() {
                if let Err(expected) = builder.push_field(field.as_bytes(), &mut cx) {
                    let len = builder.len();
                    builder.truncate(len);
                    builder.push_null();
                    expected_errors.push((at, expected));
                }
            }
            assert_eq!(&filled, &builder.finish(), "{zeek_type}");
            assert_eq!(errors, expected_errors, "{zeek_type}");
        }
        // Enum keys number the values in the order they first appear, repeats or not.
        let (filled, _) = build_by_fill("enum", &fields);
        let dictionary = filled.as_dictionary::<UInt32Type>();
        let mut seen: Vec<&str> = Vec::new();
        for (row, field) in fields.iter().enumerate() {
            if *field == "-" {
                assert!(dictionary.is_null(row));
                continue;
            }
            let text = if *field == "(empty)" { "" } else { field };
            let key = seen.iter().position(|v| *v == text).unwrap_or_else(|| {
                seen.push(text);
                seen.len() - 1
            });
            assert_eq!(dictionary.keys().value(row) as usize, key, "row {row}");
        }
        assert_eq!(dictionary.values().len(), seen.len());
    }

    #[test]
    fn bad_values_name_the_expected_type() {
        assert_eq!(build("count", &["12x"]).err(), Some("a count"));
        assert_eq!(build("bool", &["yes"]).err(), Some("a bool (T or F)"));
        assert_eq!(build("vector[port]", &["80,x"]).err(), Some("a port"));
        assert_eq!(build("time", &["(empty)"]).err(), Some("a time"));
    }

    #[test]
    fn truncate_rolls_back_rows() {
        let markers = Markers::default();
        let mut cx = FieldContext::new(&markers, b"");
        let mut list = Builder::new(&ZeekType::parse("set[int]"), 4);
        for field in ["1,2", "3,4,5"] {
            assert!(list.push_field(field.as_bytes(), &mut cx).is_ok());
        }
        list.truncate(1);
        assert!(list.push_field(b"6", &mut cx).is_ok());
        let array = list.finish();
        let lists = array.as_list::<i32>();
        assert_eq!(lists.len(), 2);
        let second = lists.value(1);
        assert_eq!(
            second
                .as_any()
                .downcast_ref::<Int64Array>()
                .map(|a| a.values().to_vec()),
            Some(vec![6])
        );
    }

    #[test]
    fn invalid_utf8_after_unescaping_keeps_escape_text() -> Result<(), Expected> {
        let array = build("string", &["caf\\xc3\\xa9", "bad\\xff"])?;
        let strings = array.as_string_view();
        assert_eq!(strings.value(0), "caf\u{e9}");
        assert_eq!(strings.value(1), "bad\\xff");
        Ok(())
    }
}
