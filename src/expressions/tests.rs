//! The plugins called as Polars calls them: inputs exported the way polars-ffi exports a
//! Series (and checked to be released), the result taken the way Polars takes it.

use super::abi::{kwargs_bytes, SeriesExport};
use super::*;
use arrow_array::ffi::{from_ffi, FFI_ArrowArray};
use arrow_array::{make_array, Int64Array, LargeListArray, NullArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::Field;
use std::cell::Cell;
use std::ffi::{c_void, CStr};
use std::mem::ManuallyDrop;

thread_local! {
    /// Inputs released on this thread (each test runs on its own).
    static RELEASED: Cell<usize> = const { Cell::new(0) };
}

/// What Polars' export keeps alive for the callee (`polars_ffi::PrivateData`).
struct Private {
    _schema: Box<FFI_ArrowSchema>,
    arrays: Box<[*mut FFI_ArrowArray]>,
}

unsafe extern "C" fn polars_release(export: *mut SeriesExport) {
    let export = unsafe { &mut *export };
    let private = unsafe { Box::from_raw(export.private_data().cast::<Private>()) };
    for &chunk in private.arrays.iter() {
        drop(unsafe { Box::from_raw(chunk.cast::<ManuallyDrop<FFI_ArrowArray>>()) });
    }
    export.clear();
    RELEASED.with(|count| count.set(count.get() + 1));
}

/// A Series as `polars_ffi::version_0::export_series` makes it, in `chunks`.
fn polars_export(name: &str, chunks: &[ArrayRef]) -> SeriesExport {
    let field = Field::new(name, chunks[0].data_type().clone(), true);
    let mut schema = Box::new(FFI_ArrowSchema::try_from(&field).expect("exportable type"));
    let mut arrays: Box<[*mut FFI_ArrowArray]> = chunks
        .iter()
        .map(|c| Box::into_raw(Box::new(FFI_ArrowArray::new(&c.to_data()))))
        .collect();
    let (field_ptr, arrays_ptr, len) = (&mut *schema as *mut _, arrays.as_mut_ptr(), arrays.len());
    let private = Box::into_raw(Box::new(Private {
        _schema: schema,
        arrays,
    }));
    SeriesExport::new(
        field_ptr,
        arrays_ptr,
        len,
        Some(polars_release),
        private.cast::<c_void>(),
    )
}

/// The result as `polars_ffi::version_0::import_series` takes it: every chunk, then release.
fn polars_import(mut export: SeriesExport) -> (Field, Vec<ArrayRef>) {
    let (field_ptr, arrays, len) = export.parts();
    let schema = unsafe { &*field_ptr };
    let field = Field::try_from(schema).expect("a field");
    let chunks = (0..len)
        .map(|i| {
            let chunk = unsafe { std::ptr::read(*arrays.add(i)) };
            make_array(unsafe { from_ffi(chunk, schema) }.expect("a chunk"))
        })
        .collect();
    export.release_now();
    (field, chunks)
}

fn pickled(config: &[u8]) -> Vec<u8> {
    // pickle.dumps({"zeekframe": config}, protocol=5) as CPython writes it.
    let mut inner = vec![b'}', 0x94, 0x8c, 9];
    inner.extend_from_slice(b"zeekframe");
    inner.push(0x94);
    if config.len() < 256 {
        inner.extend_from_slice(&[b'C', config.len() as u8]);
    } else {
        inner.push(b'B');
        inner.extend_from_slice(&(config.len() as u32).to_le_bytes());
    }
    inner.extend_from_slice(config);
    inner.extend_from_slice(&[0x94, b's', b'.']);
    let mut out = vec![0x80, 5, 0x95];
    out.extend_from_slice(&(inner.len() as u64).to_le_bytes());
    out.extend(inner);
    out
}

fn texts(values: &[&str]) -> Vec<u8> {
    let mut out = (values.len() as u32).to_le_bytes().to_vec();
    for value in values {
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

type Plugin = unsafe extern "C" fn(
    *const SeriesExport,
    usize,
    *const u8,
    usize,
    *mut SeriesExport,
    *const CallerContext,
);

/// Call `plugin` as Polars does; the result's field and chunks, or the error message.
fn call(
    plugin: Plugin,
    inputs: Vec<SeriesExport>,
    config: &[u8],
) -> Result<(Field, Vec<ArrayRef>), String> {
    let before = RELEASED.with(Cell::get);
    let count = inputs.len();
    let inputs = ManuallyDrop::new(inputs);
    let kwargs = pickled(config);
    let mut out = SeriesExport::empty();
    let context = CallerContext::default();
    unsafe {
        plugin(
            inputs.as_ptr(),
            count,
            kwargs.as_ptr(),
            kwargs.len(),
            &mut out,
            &context,
        )
    };
    // The callee releases every input, on success and on failure alike.
    assert_eq!(RELEASED.with(Cell::get) - before, count, "inputs released");
    if out.is_empty() {
        let message = unsafe { CStr::from_ptr(_polars_plugin_get_last_error_message()) };
        return Err(message.to_string_lossy().into_owned());
    }
    Ok(polars_import(out))
}

fn strings(chunks: &[ArrayRef]) -> Vec<Option<String>> {
    chunks
        .iter()
        .flat_map(|c| {
            let view = c.as_string_view().clone();
            (0..view.len()).map(move |i| view.is_valid(i).then(|| view.value(i).to_owned()))
        })
        .collect()
}

fn view(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringViewArray::from(values.to_vec()))
}

fn mime_config() -> Vec<u8> {
    let mut config = texts(&["exploit", "executable"]);
    config.extend(texts(&["application/pdf", "application/zip"]));
    config.extend(texts(&["application/x-dosexec", "application/pdf"]));
    config
}

#[test]
fn the_version_is_the_abi_polars_calls_with_kwargs() {
    assert_eq!(_polars_plugin_get_version(), 1);
}

#[test]
fn mime_category_classifies_lists_in_chunks_and_plain_strings() {
    // Polars' List(String): a large list of string views, here in two chunks.
    let values = view(&[
        Some("text/html"),
        Some("application/x-dosexec"),
        Some("application/pdf"),
        None,
        Some("application/zip"),
    ]);
    let offsets = OffsetBuffer::new(vec![0i64, 1, 3, 3, 3, 5].into());
    let item = Arc::new(Field::new("item", DataType::Utf8View, true));
    let nulls = Some(vec![true, true, false, true, true].into());
    let lists: ArrayRef = Arc::new(LargeListArray::new(item, offsets, values, nulls));
    let chunks = [lists.slice(0, 2), lists.slice(2, 3)];
    let (field, out) = call(
        _polars_plugin_mime_category,
        vec![polars_export("resp_mime_types", &chunks)],
        &mime_config(),
    )
    .expect("classified");
    assert_eq!(field.name(), "resp_mime_types");
    assert_eq!(field.data_type(), &DataType::Utf8View);
    // The first category in the mapping's order wins: pdf is an exploit before an executable.
    assert_eq!(
        strings(&out),
        [
            None,
            Some("exploit".into()),
            None,
            None,
            Some("exploit".into())
        ]
    );
    let plain = view(&[Some("application/x-dosexec"), None, Some("x")]);
    let (_, out) = call(
        _polars_plugin_mime_category,
        vec![polars_export("t", &[plain])],
        &mime_config(),
    )
    .expect("classified");
    assert_eq!(strings(&out), [Some("executable".into()), None, None]);
    let nulls: ArrayRef = Arc::new(NullArray::new(2));
    let (_, out) = call(
        _polars_plugin_mime_category,
        vec![polars_export("t", &[nulls])],
        &mime_config(),
    )
    .expect("classified");
    assert_eq!(strings(&out), [None, None]);
}

#[test]
fn errors_come_back_as_messages_and_every_input_is_released() {
    let numbers: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let error = call(
        _polars_plugin_mime_category,
        vec![polars_export("n", &[numbers])],
        &mime_config(),
    )
    .expect_err("numbers are not MIME types");
    assert!(
        error.contains("mime_category needs a list of strings"),
        "{error}"
    );
    // A configuration cut short, or with bytes left over, is refused.
    let config = mime_config();
    for bad in [
        &config[..config.len() - 1],
        &[config.as_slice(), &[0]].concat()[..],
    ] {
        let input = view(&[Some("a")]);
        let error = call(
            _polars_plugin_mime_category,
            vec![polars_export("t", &[input])],
            bad,
        )
        .expect_err("bad configuration");
        assert!(error.contains("configuration"), "{error}");
    }
    let addresses = view(&[Some("10.0.0.1"), Some("example.com")]);
    let error = call(
        _polars_plugin_in_subnet,
        vec![polars_export("id.orig_h", &[addresses])],
        &texts(&["10.0.0.0/8"]),
    )
    .expect_err("not an address");
    assert!(
        error.contains("\"id.orig_h\" holds a value that is not an IP address"),
        "{error}"
    );
}

#[test]
fn in_subnet_gives_booleans_and_nulls() {
    let addresses = view(&[
        Some("10.1.2.3"),
        None,
        Some("192.168.0.1"),
        Some("::ffff:10.0.0.1"),
    ]);
    let (field, out) = call(
        _polars_plugin_in_subnet,
        vec![polars_export("h", &[addresses])],
        &texts(&["10.0.0.0/8"]),
    )
    .expect("classified");
    assert_eq!(field.data_type(), &DataType::Boolean);
    let out = out[0].as_boolean();
    let got: Vec<Option<bool>> = out.iter().collect();
    assert_eq!(got, [Some(true), None, Some(false), Some(true)]);
}

#[test]
fn community_id_matches_the_spec_baseline() {
    // The Community ID spec's first TCP baseline (seed 0, base64).
    let inputs = vec![
        polars_export("id.orig_h", &[view(&[Some("128.232.110.120"), None])]),
        polars_export(
            "id.resp_h",
            &[view(&[Some("66.35.250.204"), Some("1.2.3.4")])],
        ),
        polars_export(
            "id.orig_p",
            &[Arc::new(Int64Array::from(vec![34855, 1])) as ArrayRef],
        ),
        polars_export(
            "id.resp_p",
            &[Arc::new(Int64Array::from(vec![80, 2])) as ArrayRef],
        ),
        polars_export("proto", &[view(&[Some("tcp"), Some("tcp")])]),
    ];
    let mut config = 0u16.to_le_bytes().to_vec();
    config.push(1);
    let (_, out) = call(_polars_plugin_community_id, inputs, &config).expect("ids");
    assert_eq!(
        strings(&out),
        [Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg=".into()), None]
    );
}

#[test]
fn only_the_pickle_zeekframe_passes_is_read() {
    assert_eq!(kwargs_bytes(&pickled(b"abc")), Ok(b"abc".as_slice()));
    let long = vec![7u8; 300];
    assert_eq!(kwargs_bytes(&pickled(&long)), Ok(long.as_slice()));
    // CPython writes a large value outside the frame; a frame is only a hint.
    let mut big = vec![0x80, 5, 0x95];
    big.extend_from_slice(&14u64.to_le_bytes());
    big.extend_from_slice(b"}\x94\x8c\x09zeekframe\x94B\xa0\x86\x01\x00");
    big.extend(std::iter::repeat_n(b'x', 100_000));
    big.extend_from_slice(b"\x94s.");
    assert_eq!(kwargs_bytes(&big).map(<[u8]>::len), Ok(100_000));
    // Two items, another key, no value, trailing bytes, and every cut of a good pickle.
    let two = b"\x80\x05\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\tzeekframe\x94C\x03abc\x94\x8c\x01x\x94C\x00\x94u.";
    let other = pickled(b"abc")
        .iter()
        .map(|&b| if b == b'z' { b'y' } else { b })
        .collect::<Vec<_>>();
    let good = pickled(b"abc");
    let mut bad: Vec<Vec<u8>> = vec![
        two.to_vec(),
        other,
        [good.as_slice(), b"."].concat(),
        vec![],
    ];
    bad.extend((0..good.len()).map(|n| good[..n].to_vec()));
    for pickle in bad {
        assert!(kwargs_bytes(&pickle).is_err(), "{pickle:?}");
    }
}

#[test]
fn any_bytes_as_kwargs_or_configuration_are_an_error_not_a_panic() {
    // Random pickles and configurations, and good ones with bytes changed: every call
    // returns (most refuse), and the plugins release their inputs either way.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let good = pickled(&mime_config());
    for round in 0..3000 {
        let mut bytes = if round % 2 == 0 {
            good.clone()
        } else {
            (0..next() % 64).map(|_| next() as u8).collect()
        };
        for _ in 0..1 + next() % 3 {
            if !bytes.is_empty() {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
        }
        let _ = kwargs_bytes(&bytes);
        let mut config = abi::Config::new(&bytes);
        let _ = config.texts().and_then(|_| config.u16());
        let input = view(&[Some("application/pdf")]);
        let kwargs = bytes.clone();
        let inputs = ManuallyDrop::new(vec![polars_export("t", &[input])]);
        let mut out = SeriesExport::empty();
        let before = RELEASED.with(Cell::get);
        unsafe {
            _polars_plugin_mime_category(
                inputs.as_ptr(),
                1,
                kwargs.as_ptr(),
                kwargs.len(),
                &mut out,
                &CallerContext::default(),
            )
        };
        assert_eq!(RELEASED.with(Cell::get) - before, 1);
        if !out.is_empty() {
            polars_import(out);
        }
    }
}
