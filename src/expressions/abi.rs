//! The C ABI through which Polars calls an expression plugin (polars-ffi "version 0.1"),
//! written against arrow-rs' C data interface.
//!
//! For a plugin function `NAME` Polars looks up three kinds of symbol in the library:
//! `_polars_plugin_get_version` (the ABI version, `major << 16 | minor`),
//! `_polars_plugin_field_NAME` (the output field from the input fields) and
//! `_polars_plugin_NAME` (the output Series from the input Series). A Series crosses as a
//! [`SeriesExport`]: an Arrow field and its chunks as Arrow C arrays. The callee owns the
//! inputs it is given (it releases each chunk and then the export), and the caller owns the
//! result (it takes each chunk, then calls the export's `release`). On failure the callee
//! leaves the result empty and keeps a message that `_polars_plugin_get_last_error_message`
//! returns; Polars raises it as a `ComputeError`.
//!
//! Keyword arguments arrive pickled (protocol 5) by `polars.plugins.register_plugin_function`.
//! zeekframe's Python side always passes one, `{"zeekframe": bytes}`, whose bytes are laid
//! out by [`Config`]; [`kwargs_bytes`] reads that one pickle shape and refuses any other.

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{make_array, new_empty_array, Array, ArrayRef};
use arrow_schema::Field;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CString};
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A Series as Polars passes it across the plugin ABI (`polars_ffi::version_0::SeriesExport`).
#[repr(C)]
pub struct SeriesExport {
    field: *mut FFI_ArrowSchema,
    arrays: *mut *mut FFI_ArrowArray,
    len: usize,
    release: Option<unsafe extern "C" fn(*mut SeriesExport)>,
    private_data: *mut c_void,
}

#[cfg(test)]
impl SeriesExport {
    pub fn new(
        field: *mut FFI_ArrowSchema,
        arrays: *mut *mut FFI_ArrowArray,
        len: usize,
        release: Option<unsafe extern "C" fn(*mut SeriesExport)>,
        private_data: *mut c_void,
    ) -> SeriesExport {
        SeriesExport {
            field,
            arrays,
            len,
            release,
            private_data,
        }
    }

    pub fn empty() -> SeriesExport {
        use std::ptr::null_mut;
        SeriesExport::new(null_mut(), null_mut(), 0, None, null_mut())
    }

    /// Polars' test of a result: empty when the call failed.
    pub fn is_empty(&self) -> bool {
        self.private_data.is_null()
    }

    pub fn private_data(&self) -> *mut c_void {
        self.private_data
    }

    pub fn parts(&self) -> (*mut FFI_ArrowSchema, *mut *mut FFI_ArrowArray, usize) {
        (self.field, self.arrays, self.len)
    }

    pub fn clear(&mut self) {
        self.release = None;
        self.private_data = std::ptr::null_mut();
    }

    pub fn release_now(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: a test's export, released once.
            unsafe { release(self) }
        }
    }
}

/// What Polars tells a plugin of its caller (`polars_ffi::version_0::CallerContext`);
/// nothing of it is used here.
#[repr(C)]
#[derive(Default)]
pub struct CallerContext {
    _bitflags: u64,
}

/// The ABI version this library speaks: 0.1 (output fields are computed with the kwargs).
pub const VERSION: u32 = 1;

/// One input Series, its chunks joined into one array.
pub struct Input {
    pub name: String,
    pub array: ArrayRef,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // A message never holds a NUL byte from here, but one from a value would end it early.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
}

/// The message of the last failed call on this thread (valid until the next failure on it).
pub fn last_error_message() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}

fn panic_message(name: &str, panic: &(dyn std::any::Any + Send)) -> String {
    let detail = crate::error::Error::from_panic(panic);
    format!("zeekframe: internal error in {name}: {detail}")
}

/// Take ownership of one input: its chunks are read out (each released when dropped, on
/// every path), then the export itself is released.
///
/// # Safety
/// `export` points to a valid `SeriesExport` that the callee owns.
unsafe fn take_input(export: *const SeriesExport) -> Result<Input, String> {
    // SAFETY: the caller hands this export over; it is read once and released below.
    let mut export = unsafe { std::ptr::read(export) };
    let mut chunks = Vec::with_capacity(export.len);
    if !export.arrays.is_null() {
        for i in 0..export.len {
            // SAFETY: `arrays` holds `len` pointers to chunks that are ours to take.
            let chunk = unsafe { *export.arrays.add(i) };
            if !chunk.is_null() {
                // SAFETY: as above; the box that held it is freed by the export's release.
                chunks.push(unsafe { std::ptr::read(chunk) });
            }
        }
    }
    let imported = if export.field.is_null() {
        Err("an input Series came without its field".to_owned())
    } else {
        // SAFETY: a non-null field of a valid export is a valid schema until it is released.
        let schema = unsafe { &*export.field };
        import_chunks(chunks, schema)
    };
    if let Some(release) = export.release {
        // SAFETY: the export's own release, called once, after everything was read from it.
        unsafe { release(&mut export) };
    }
    imported
}

fn import_chunks(chunks: Vec<FFI_ArrowArray>, schema: &FFI_ArrowSchema) -> Result<Input, String> {
    let field = Field::try_from(schema).map_err(|e| format!("an input's field: {e}"))?;
    let mut arrays = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        // SAFETY: `chunk` is a valid C array of the type `schema` describes (Polars exports
        // both from one Series); `from_ffi` takes it and releases it when the data is dropped.
        let data = unsafe { from_ffi(chunk, schema) }
            .map_err(|e| format!("column {:?}: {e}", field.name()))?;
        arrays.push(make_array(data));
    }
    let array = match arrays.len() {
        0 => new_empty_array(field.data_type()),
        1 => arrays.swap_remove(0),
        _ => {
            let parts: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
            arrow_select::concat::concat(&parts)
                .map_err(|e| format!("column {:?}: {e}", field.name()))?
        }
    };
    Ok(Input {
        name: field.name().clone(),
        array,
    })
}

/// What an exported result owns until the caller releases it.
struct Exported {
    schema: Box<FFI_ArrowSchema>,
    arrays: Box<[*mut FFI_ArrowArray]>,
}

unsafe extern "C" fn release_export(export: *mut SeriesExport) {
    if export.is_null() {
        return;
    }
    // SAFETY: Polars calls this once on an export made by `export_series`.
    let export = unsafe { &mut *export };
    if export.private_data.is_null() {
        return;
    }
    // SAFETY: `private_data` is the `Exported` that `export_series` leaked.
    let exported = unsafe { Box::from_raw(export.private_data.cast::<Exported>()) };
    for &chunk in exported.arrays.iter() {
        // The caller took the chunk itself (its release is the caller's to call): only the
        // box that held it is freed.
        // SAFETY: each pointer is a `Box` leaked by `export_series`.
        drop(unsafe { Box::from_raw(chunk.cast::<ManuallyDrop<FFI_ArrowArray>>()) });
    }
    export.release = None;
    export.private_data = std::ptr::null_mut();
    // `exported.schema` is dropped here, which releases the field.
}

/// `array` as a Series named `name`, for the caller to take.
pub fn export_series(name: &str, array: &ArrayRef) -> Result<SeriesExport, String> {
    let field = Field::new(name, array.data_type().clone(), true);
    let schema = FFI_ArrowSchema::try_from(&field).map_err(|e| format!("the result: {e}"))?;
    let chunk = Box::into_raw(Box::new(FFI_ArrowArray::new(&array.to_data())));
    let mut exported = Box::new(Exported {
        schema: Box::new(schema),
        arrays: vec![chunk].into_boxed_slice(),
    });
    let field: *mut FFI_ArrowSchema = &mut *exported.schema;
    let arrays = exported.arrays.as_mut_ptr();
    Ok(SeriesExport {
        field,
        arrays,
        len: 1,
        release: Some(release_export),
        private_data: Box::into_raw(exported).cast::<c_void>(),
    })
}

/// A plugin function's body: `kernel` on the inputs and the configuration bytes, its result
/// written to `out`, any failure (or panic) kept as the message Polars asks for.
///
/// # Safety
/// The arguments are those Polars passes to `_polars_plugin_NAME`.
pub unsafe fn call(
    name: &str,
    inputs: *const SeriesExport,
    n_inputs: usize,
    kwargs: *const u8,
    kwargs_len: usize,
    out: *mut SeriesExport,
    kernel: fn(&[Input], &mut Config) -> Result<ArrayRef, String>,
) {
    let run = || -> Result<SeriesExport, String> {
        // Every input is taken (and so released) before anything can fail.
        let taken: Vec<Result<Input, String>> = (0..n_inputs)
            // SAFETY: Polars passes `n_inputs` exports that are ours.
            .map(|i| unsafe { take_input(inputs.add(i)) })
            .collect();
        let inputs = taken.into_iter().collect::<Result<Vec<_>, _>>()?;
        // SAFETY: Polars passes its kwargs buffer with its length.
        let mut config = Config::new(unsafe { kwargs_bytes(raw_slice(kwargs, kwargs_len)) }?);
        let result = kernel(&inputs, &mut config)?;
        config.finish()?;
        let name = inputs.first().map_or(name, |input| input.name.as_str());
        export_series(name, &result)
    };
    // SAFETY: `out` is Polars' empty export.
    unsafe { deliver(name, out, run) }
}

/// Write what `run` makes to `out`, or keep its error (or panic) as the message Polars asks
/// for, leaving `out` empty.
///
/// # Safety
/// `out` is null or points to an empty value (one with nothing to release), overwritten
/// unread.
unsafe fn deliver<T>(name: &str, out: *mut T, run: impl FnOnce() -> Result<T, String>) {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) if !out.is_null() => {
            // SAFETY: as the function's contract says; written once.
            unsafe { std::ptr::write(out, value) }
        }
        Ok(Ok(_)) => set_last_error(&format!("zeekframe: {name} has nowhere to write to")),
        Ok(Err(message)) => set_last_error(&message),
        Err(panic) => set_last_error(&panic_message(name, panic.as_ref())),
    }
}

/// A plugin's field function: the output field is named after the first input and is of
/// the type `output` gives for the input fields.
///
/// # Safety
/// The arguments are those Polars passes to `_polars_plugin_field_NAME`.
pub unsafe fn field(
    name: &str,
    fields: *const FFI_ArrowSchema,
    n_fields: usize,
    out: *mut FFI_ArrowSchema,
    output: fn(&[Field]) -> Result<arrow_schema::DataType, String>,
) {
    let run = || -> Result<FFI_ArrowSchema, String> {
        let inputs = if fields.is_null() || n_fields == 0 {
            Vec::new()
        } else {
            (0..n_fields)
                .map(|i| {
                    // SAFETY: Polars passes `n_fields` valid schemas, which it keeps and frees.
                    let schema = unsafe { &*fields.add(i) };
                    Field::try_from(schema).map_err(|e| format!("an input's field: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let first = inputs.first().map_or("", |f| f.name().as_str());
        FFI_ArrowSchema::try_from(Field::new(first, output(&inputs)?, true))
            .map_err(|e| format!("the result's field: {e}"))
    };
    // SAFETY: `out` is Polars' empty schema.
    unsafe { deliver(name, out, run) }
}

/// # Safety
/// `data` points to `len` readable bytes, or is null with `len` 0.
unsafe fn raw_slice<'a>(data: *const u8, len: usize) -> &'a [u8] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: as the function's contract says.
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}

/// The bytes of `{"zeekframe": bytes}` pickled with protocol 5, the only kwargs zeekframe's
/// Python side passes; any other pickle is refused.
pub fn kwargs_bytes(pickle: &[u8]) -> Result<&[u8], String> {
    let refuse = |what: &str| {
        Err(format!(
            "zeekframe: the expression's arguments are not those zeekframe's Python side \
             passes ({what})"
        ))
    };
    let mut at = 0;
    let mut key: Option<&[u8]> = None;
    let mut value: Option<&[u8]> = None;
    let mut dict = false;
    let take = |at: &mut usize, n: u64| -> Option<&[u8]> {
        let n = usize::try_from(n).ok()?;
        let end = at.checked_add(n)?;
        let bytes = pickle.get(*at..end)?;
        *at = end;
        Some(bytes)
    };
    let length = |at: &mut usize, width: usize| -> Option<u64> {
        let bytes = take(at, width as u64)?;
        let mut value = [0u8; 8];
        value[..width].copy_from_slice(bytes);
        Some(u64::from_le_bytes(value))
    };
    loop {
        let Some(&opcode) = pickle.get(at) else {
            return refuse("no STOP");
        };
        at += 1;
        let text = match opcode {
            0x80 => {
                // PROTO: protocol number.
                if take(&mut at, 1).is_none() {
                    return refuse("cut short");
                }
                continue;
            }
            0x95 => {
                // FRAME: a length hint, nothing to read.
                if take(&mut at, 8).is_none() {
                    return refuse("cut short");
                }
                continue;
            }
            0x94 => continue, // MEMOIZE
            b'}' if !dict => {
                dict = true;
                continue;
            }
            b'.' => break, // STOP
            b's' => {
                // SETITEM: the one key and its value.
                if !dict || key != Some(b"zeekframe".as_slice()) || value.is_none() {
                    return refuse("not one 'zeekframe' item");
                }
                continue;
            }
            0x8c => (true, length(&mut at, 1)), // SHORT_BINUNICODE
            b'X' => (true, length(&mut at, 4)), // BINUNICODE
            0x8d => (true, length(&mut at, 8)), // BINUNICODE8
            b'C' => (false, length(&mut at, 1)), // SHORT_BINBYTES
            b'B' => (false, length(&mut at, 4)), // BINBYTES
            0x8e => (false, length(&mut at, 8)), // BINBYTES8
            other => return refuse(&format!("opcode {other:#04x}")),
        };
        let (is_text, Some(len)) = text else {
            return refuse("cut short");
        };
        let Some(bytes) = take(&mut at, len) else {
            return refuse("cut short");
        };
        match (is_text, key, value) {
            (true, None, None) if dict => key = Some(bytes),
            (false, Some(_), None) => value = Some(bytes),
            _ => return refuse("not one key and its bytes"),
        }
    }
    match (at == pickle.len(), dict, key, value) {
        (true, true, Some(b"zeekframe"), Some(bytes)) => Ok(bytes),
        _ => refuse("not one 'zeekframe' item"),
    }
}

/// A plugin's configuration as zeekframe's Python side lays it out: little-endian integers,
/// texts as a `u32` byte length and UTF-8, lists of texts as a `u32` count and the texts.
pub struct Config<'a> {
    bytes: &'a [u8],
}

impl<'a> Config<'a> {
    pub fn new(bytes: &'a [u8]) -> Config<'a> {
        Config { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err("zeekframe: the expression's configuration is cut short".to_owned());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, String> {
        let bytes = self.take(2)?;
        Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub fn text(&mut self) -> Result<String, String> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| "zeekframe: a text of the expression's configuration is not UTF-8".into())
    }

    pub fn texts(&mut self) -> Result<Vec<String>, String> {
        let count = self.u32()? as usize;
        // Each text takes at least its 4-byte length: a count beyond that is a bad buffer,
        // refused before anything is reserved for it.
        if count > self.bytes.len() / 4 {
            return Err("zeekframe: the expression's configuration is cut short".to_owned());
        }
        (0..count).map(|_| self.text()).collect()
    }

    /// Every byte was read.
    pub fn finish(&self) -> Result<(), String> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err("zeekframe: the expression's configuration has bytes left over".to_owned())
        }
    }
}
