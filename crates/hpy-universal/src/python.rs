//! Small helpers for talking to CPython, shared by the loader, the bootstrap
//! and the call paths: raising an exception with a Rust message, reading a
//! str, keyword lists for PyArg_ParseTupleAndKeywords, the vectorcall flag.
//!
//! The GIL token, the GIL-guarded cell and the error type `ErrSet` are
//! hpy-core's (hpy_core::gil), re-exported here.
//!
//! A leaf: it imports no other module of this crate.

use core::ffi::{c_char, CStr};
use core::ptr;

pub use hpy_core::gil::{nonneg, nonnull, ErrSet, Gil, GilCell};
use pyo3_ffi as ffi;

/// An owned or borrowed object pointer (which one, each use says).
pub type Obj = *mut ffi::PyObject;

/// CPython's vectorcall flag in `nargsf`, which is not part of the count.
pub const PY_VECTORCALL_ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);

/// A keyword name for PyArg_ParseTupleAndKeywords, in a `static` array.
#[repr(transparent)]
pub struct KwName(pub *const c_char);
// SAFETY: it only ever points to immutable static C strings.
unsafe impl Sync for KwName {}

/// The exception classes that the runtime raises with its own messages.
#[allow(clippy::enum_variant_names)] // the names of the Python classes
#[derive(Clone, Copy, Debug)]
pub enum Exc {
    TypeError,
    ValueError,
    SystemError,
}

impl Exc {
    /// The class (a borrowed reference to a static object).
    fn class(self, _gil: Gil) -> Obj {
        // SAFETY: with the GIL the interpreter is initialised, and with it
        // the builtin exception classes; only the pointers are read.
        unsafe {
            match self {
                Exc::TypeError => ffi::PyExc_TypeError,
                Exc::ValueError => ffi::PyExc_ValueError,
                Exc::SystemError => ffi::PyExc_SystemError,
            }
        }
    }
}

/// Raises `exc(message)`.
pub fn set_error(gil: Gil, exc: Exc, message: &str) -> ErrSet {
    let class = exc.class(gil);
    // SAFETY: with the GIL; `class` is an exception class; the message is
    // passed with its length and our reference to it released
    // (PyErr_SetObject does not steal it). If the str cannot be made, its
    // MemoryError is the exception set.
    unsafe {
        let text = ffi::PyUnicode_FromStringAndSize(
            message.as_ptr().cast(),
            message.len() as ffi::Py_ssize_t,
        );
        if !text.is_null() {
            ffi::PyErr_SetObject(class, text);
            ffi::Py_DECREF(text);
        }
    }
    ErrSet::from_c_api()
}

/// The object pointer an entry point returns for `result`: NULL for an
/// error (its exception is set).
#[inline(always)]
pub fn or_null(result: Result<Obj, ErrSet>) -> Obj {
    result.unwrap_or(ptr::null_mut())
}

/// The UTF-8 text of a str object, borrowed from it.
///
/// # Safety
/// `obj` is a live object; the result must not outlive it (the lifetime is
/// the caller's promise).
pub unsafe fn str_ref<'a>(gil: Gil, obj: Obj) -> Result<&'a str, ErrSet> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: with the GIL; PyUnicode_AsUTF8AndSize type-checks `obj` and
    // returns a buffer of `len` bytes of UTF-8 that lives as long as `obj`.
    let bytes = unsafe {
        let data = nonnull(ffi::PyUnicode_AsUTF8AndSize(obj, &mut len).cast_mut())?;
        core::slice::from_raw_parts(data.cast::<u8>(), len as usize)
    };
    core::str::from_utf8(bytes).map_err(|_| {
        set_error(
            gil,
            Exc::SystemError,
            "hpy.universal: a str is not valid UTF-8",
        )
    })
}

/// The text of a str object.
///
/// # Safety
/// `obj` is a live object.
pub unsafe fn str_of(gil: Gil, obj: Obj) -> Result<String, ErrSet> {
    // SAFETY: as documented; the text is copied before `obj` can go away.
    unsafe { str_ref(gil, obj) }.map(str::to_string)
}

/// The name of the type of `obj`, for messages.
///
/// # Safety
/// `obj` is a live object.
pub unsafe fn type_name(_gil: Gil, obj: Obj) -> String {
    // SAFETY: with the GIL; `obj` is live, so is its type; tp_name is a
    // NUL-terminated string.
    unsafe {
        let name = (*ffi::Py_TYPE(obj)).tp_name;
        if name.is_null() {
            return "?".to_string();
        }
        CStr::from_ptr(name).to_string_lossy().into_owned()
    }
}
