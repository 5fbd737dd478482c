//! Handles of the universal context.
//!
//! On CPython a universal handle is the `PyObject *` itself: `HPy._i` holds
//! the pointer, `HPy_NULL` is the null pointer. Converting is a cast in each
//! direction, with no table and no reference-count change, so that the call
//! path from CPython into an HPy function and back copies nothing.

use hpy_sys::HPy;
use pyo3_ffi::PyObject;

/// The object a handle stands for (`HPy_NULL` gives the null pointer).
#[inline(always)]
pub fn h2py(h: HPy) -> *mut PyObject {
    h._i as *mut PyObject
}

/// The handle of an object pointer (the null pointer gives `HPy_NULL`).
/// The handle shares the caller's reference: nothing is increfed.
#[inline(always)]
pub fn py2h(obj: *mut PyObject) -> HPy {
    HPy { _i: obj as isize }
}

// A handle array is reinterpreted as an array of object pointers (and back)
// on the hot path: both must have the same size and alignment.
const _: () = assert!(core::mem::size_of::<HPy>() == core::mem::size_of::<*mut PyObject>());
const _: () = assert!(core::mem::align_of::<HPy>() == core::mem::align_of::<*mut PyObject>());
