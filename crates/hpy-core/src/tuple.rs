//! `HPyTuple_FromArray`.

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, cstr, PyObject};
use crate::{h2py, py2h};

/// `HPyTuple_FromArray`: a new tuple holding new references to `items[0..n]`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tuple_FromArray(
    _ctx: *mut HPyContext,
    items: *const HPy,
    n: HPy_ssize_t,
) -> HPy {
    // SAFETY: plain C-API call; a negative size raises SystemError.
    let tuple = unsafe { ffi::PyTuple_New(n) };
    if tuple.is_null() {
        return HPy::NULL;
    }
    let rc = ffi::refcounting();
    if !rc.is_inline() {
        // SAFETY: as here (the function keeps its registers to itself).
        return unsafe { fill_calling(tuple, items, n) };
    }
    for i in 0..n {
        // SAFETY: the caller passes `n` handles (`i` < n).
        let item = h2py(unsafe { *items.offset(i) });
        if item.is_null() {
            // SAFETY: the tuple made here, item `i` NULL.
            return unsafe { null_item(tuple, i) };
        }
        // SAFETY: a fresh tuple whose slot `i` < n is still empty: it takes
        // the reference made here (what PyTuple_SET_ITEM does).
        unsafe {
            rc.incref_inline(item);
            *ffi::tuple_items(tuple).offset(i) = item;
        }
    }
    py2h(tuple)
}

/// The loop of `ctx_Tuple_FromArray` with `Py_IncRef` calls (debug builds).
///
/// # Safety
/// `tuple` is a fresh tuple of `n` empty slots, `items` holds `n` handles.
#[inline(never)]
unsafe fn fill_calling(tuple: *mut PyObject, items: *const HPy, n: HPy_ssize_t) -> HPy {
    for i in 0..n {
        // SAFETY: the caller passes `n` handles (`i` < n).
        let item = h2py(unsafe { *items.offset(i) });
        if item.is_null() {
            // SAFETY: the tuple made by the caller, item `i` NULL.
            return unsafe { null_item(tuple, i) };
        }
        // SAFETY: as in ctx_Tuple_FromArray.
        unsafe {
            ffi::Py_IncRef(item);
            *ffi::tuple_items(tuple).offset(i) = item;
        }
    }
    py2h(tuple)
}

/// `items[i]` is `HPy_NULL`: drops the tuple and raises SystemError.
///
/// # Safety
/// `tuple` is the new tuple (its unset items are NULL, which tuple_dealloc
/// skips), with the GIL.
#[cold]
#[inline(never)]
unsafe fn null_item(tuple: *mut PyObject, i: HPy_ssize_t) -> HPy {
    // SAFETY: as documented.
    unsafe {
        ffi::Py_DecRef(tuple);
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            cstr!("HPyTuple_FromArray: items[%zd] is HPy_NULL"),
            i,
        );
    }
    HPy::NULL
}
