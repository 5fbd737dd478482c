//! The context functions that api/hpy.api maps `inline` or `runtime` and
//! that are a handful of instructions on the object pointer a handle is:
//! `HPy_Dup`, `HPy_Close`, `HPy_Is`, `HPy_TypeCheck`, `HPyErr_Occurred`,
//! `HPy_FatalError` and the hybrid `HPy_FromPyObject` / `HPy_AsPyObject`.
#![allow(non_snake_case)]

use core::ffi::{c_char, c_int};

use hpy_sys::{cpy_PyObject, HPy, HPyContext};
use pyo3_ffi as ffi;

use crate::handles::{h2py, py2h};

/// `HPy_Dup`: a new handle to the same object (an incref). NULL-safe.
pub unsafe extern "C" fn ctx_Dup(_ctx: *mut HPyContext, h: HPy) -> HPy {
    let obj = h2py(h);
    if !obj.is_null() {
        // SAFETY: a non-null handle of the universal context is a live object.
        unsafe { ffi::Py_INCREF(obj) };
    }
    h
}

/// `HPy_Close`: closes a handle (a decref). Closing `HPy_NULL` does nothing.
pub unsafe extern "C" fn ctx_Close(_ctx: *mut HPyContext, h: HPy) {
    let obj = h2py(h);
    if !obj.is_null() {
        // SAFETY: a non-null handle owns one reference to a live object.
        unsafe { ffi::Py_DECREF(obj) };
    }
}

/// `HPy_Is`: whether two handles stand for the same object.
pub unsafe extern "C" fn ctx_Is(_ctx: *mut HPyContext, obj: HPy, other: HPy) -> c_int {
    (obj._i == other._i) as c_int
}

/// `HPy_TypeCheck`: whether `obj` is an instance of `type` or of a subtype.
pub unsafe extern "C" fn ctx_TypeCheck(_ctx: *mut HPyContext, obj: HPy, type_: HPy) -> c_int {
    // SAFETY: both handles are live objects; CPython only compares `type_`
    // with the entries of the MRO of `obj`'s type, so even a non-type object
    // for `type_` just gives 0.
    unsafe { ffi::PyObject_TypeCheck(h2py(obj), h2py(type_).cast()) as c_int }
}

/// `HPyErr_Occurred`: whether an exception is set.
pub unsafe extern "C" fn ctx_Err_Occurred(_ctx: *mut HPyContext) -> c_int {
    // SAFETY: context functions are called with the GIL held.
    unsafe { !ffi::PyErr_Occurred().is_null() as c_int }
}

/// `HPy_FatalError`: aborts the process with a message. Never returns.
pub unsafe extern "C" fn ctx_FatalError(_ctx: *mut HPyContext, message: *const c_char) {
    let message = if message.is_null() {
        c"HPy_FatalError called with a NULL message".as_ptr()
    } else {
        message
    };
    // SAFETY: `message` is a NUL-terminated string (the caller's, or ours).
    unsafe { ffi::Py_FatalError(message) }
}

/// `HPy_FromPyObject` (hybrid ABI): a new handle for a borrowed object
/// pointer; NULL gives `HPy_NULL`.
pub unsafe extern "C" fn ctx_FromPyObject(_ctx: *mut HPyContext, obj: *mut cpy_PyObject) -> HPy {
    let obj = obj.cast::<ffi::PyObject>();
    if !obj.is_null() {
        // SAFETY: the caller passes a live object it holds a reference to.
        unsafe { ffi::Py_INCREF(obj) };
    }
    py2h(obj)
}

/// `HPy_AsPyObject` (hybrid ABI): a new reference to a handle's object;
/// `HPy_NULL` gives NULL.
pub unsafe extern "C" fn ctx_AsPyObject(_ctx: *mut HPyContext, h: HPy) -> *mut cpy_PyObject {
    let obj = h2py(h);
    if !obj.is_null() {
        // SAFETY: a non-null handle is a live object.
        unsafe { ffi::Py_INCREF(obj) };
    }
    obj.cast()
}
