//! `HPyTuple_FromArray`.

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, cstr};
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
    for i in 0..n {
        // SAFETY: the caller passes `n` handles (`i` < n).
        let item = h2py(unsafe { *items.offset(i) });
        if item.is_null() {
            // SAFETY: dropping the new tuple (its unset items are NULL, which
            // tuple_dealloc skips), then setting an exception.
            unsafe {
                ffi::Py_DecRef(tuple);
                ffi::PyErr_Format(
                    ffi::PyExc_SystemError,
                    cstr!("HPyTuple_FromArray: items[%zd] is HPy_NULL"),
                    i,
                );
            }
            return HPy::NULL;
        }
        // SAFETY: a fresh tuple whose slot `i` < n is still empty: it takes
        // the reference made here (what PyTuple_SET_ITEM does).
        unsafe {
            ffi::Py_IncRef(item);
            *ffi::tuple_items(tuple).offset(i) = item;
        }
    }
    py2h(tuple)
}
