//! Small helpers for talking to CPython, shared by the loader, the bootstrap
//! and the call paths: raising an exception with a Rust message, reading a
//! str, keyword lists for PyArg_ParseTupleAndKeywords, the vectorcall flag.
//!
//! A leaf: it imports no other module of this crate.

#![deny(unsafe_op_in_unsafe_fn)]

use core::ffi::{c_char, CStr};
use core::ptr;

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

/// Raises `exc_type(message)`; returns NULL.
///
/// # Safety
/// With the GIL; `exc_type` is an exception class.
pub unsafe fn set_error(exc_type: Obj, message: &str) -> Obj {
    // SAFETY: as documented; the message is passed with its length and our
    // reference to it released (PyErr_SetObject does not steal it).
    unsafe {
        let text = ffi::PyUnicode_FromStringAndSize(
            message.as_ptr().cast(),
            message.len() as ffi::Py_ssize_t,
        );
        if !text.is_null() {
            ffi::PyErr_SetObject(exc_type, text);
            ffi::Py_DECREF(text);
        }
    }
    ptr::null_mut()
}

/// The UTF-8 text of a str object, borrowed from it, or None with an
/// exception set.
///
/// # Safety
/// With the GIL; the result must not outlive `obj` (the lifetime is the
/// caller's promise).
pub unsafe fn str_ref<'a>(obj: Obj) -> Option<&'a str> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: with the GIL; PyUnicode_AsUTF8AndSize type-checks `obj` and
    // returns a buffer of `len` bytes of UTF-8 that lives as long as `obj`.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
        if data.is_null() {
            return None;
        }
        let bytes = core::slice::from_raw_parts(data.cast::<u8>(), len as usize);
        match core::str::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                set_error(
                    ffi::PyExc_SystemError,
                    "hpy.universal: a str is not valid UTF-8",
                );
                None
            }
        }
    }
}

/// The text of a str object, or None with an exception set.
///
/// # Safety
/// With the GIL.
pub unsafe fn str_of(obj: Obj) -> Option<String> {
    // SAFETY: with the GIL; the text is copied before `obj` can go away.
    unsafe { str_ref(obj) }.map(str::to_string)
}

/// The name of the type of `obj`, for messages.
///
/// # Safety
/// With the GIL; `obj` is a live object.
pub unsafe fn type_name(obj: Obj) -> String {
    // SAFETY: as documented; tp_name is a NUL-terminated string.
    unsafe {
        let name = (*ffi::Py_TYPE(obj)).tp_name;
        if name.is_null() {
            return "?".to_string();
        }
        CStr::from_ptr(name).to_string_lossy().into_owned()
    }
}
