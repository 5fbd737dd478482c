//! `HPyList_New`.

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi;
use crate::py2h;

/// `HPyList_New`: a new list of `len` items, each `None`.
///
/// CPython's `PyList_New` leaves the items NULL, to be filled with
/// `PyList_SET_ITEM`; HPy has no such function, and a list with NULL items
/// crashes the interpreter as soon as Python code looks at it, so the items
/// start as `None` (as on PyPy) and `HPy_SetItem_i` replaces them.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_List_New(_ctx: *mut HPyContext, len: HPy_ssize_t) -> HPy {
    // SAFETY: plain C-API call; a negative size raises SystemError.
    let list = unsafe { ffi::PyList_New(len) };
    if list.is_null() {
        return HPy::NULL;
    }
    let none = ffi::py_none();
    for i in 0..len {
        // SAFETY: a fresh list and an index in range: SetItem cannot fail and
        // steals the reference to None made here.
        unsafe {
            ffi::Py_IncRef(none);
            ffi::PyList_SetItem(list, i, none);
        }
    }
    py2h(list)
}
