//! `HPyTuple_FromArray` (and so `HPyTuple_Pack`, a macro over it).
//!
//! The universal context's slot gets, when `hpy.universal` starts, a copy
//! specialised to the interpreter's reference counting
//! (`listbuilder::specialize_context`), as
//! the builders' `Set` do: the increment inline, no test of the mode. The
//! loop fills the tuple from its last item down to the first, the length
//! read back from the new tuple, so that only `items` is kept across the
//! `PyTuple_New` call (one register saved) and each item costs its load,
//! its NULL test, the store, the increment and a decrement-and-branch.

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, cstr, PyObject, RefCounting};
use crate::{h2py, py2h};

/// `HPyTuple_FromArray`: a new tuple holding new references to `items[0..n]`,
/// counted as `rc` says (a constant in the specialised copies).
///
/// # Safety
/// `items` holds `n` live handles or `HPy_NULL`s; `rc` is the mode in force;
/// with the GIL.
#[inline(always)]
unsafe fn from_array(rc: RefCounting, items: *const HPy, n: HPy_ssize_t) -> HPy {
    // SAFETY: plain C-API call; a negative size raises SystemError.
    let tuple = unsafe { ffi::PyTuple_New(n) };
    if tuple.is_null() {
        return HPy::NULL;
    }
    // SAFETY: a live tuple; its size is `n` (read back rather than kept).
    let mut i = unsafe { ffi::var_size(tuple) } as usize;
    // SAFETY: a live tuple.
    let slots = unsafe { ffi::tuple_items(tuple) };
    while i != 0 {
        i -= 1;
        // SAFETY: `i` < n, the number of handles the caller passes.
        let item = h2py(unsafe { *items.add(i) });
        if item.is_null() {
            // SAFETY: the tuple made here, `items[i]` NULL.
            return unsafe { null_item(tuple, items, i) };
        }
        // SAFETY: slot `i` < n of the fresh tuple is still empty: it takes
        // the reference made here to a live item (what Py_INCREF +
        // PyTuple_SET_ITEM do).
        unsafe {
            *slots.add(i) = item;
            rc.incref(item);
        }
    }
    py2h(tuple)
}

/// `HPyTuple_FromArray` with the mode of reference counting read at the
/// call: the CPython ABI's fallback, and the context's before
/// `listbuilder::specialize_context` (or in the `CALL` mode).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tuple_FromArray(
    _ctx: *mut HPyContext,
    items: *const HPy,
    n: HPy_ssize_t,
) -> HPy {
    // SAFETY: the caller passes `n` handles; the mode is the one in force.
    unsafe { from_array(ffi::refcounting(), items, n) }
}

/// `ctx_Tuple_FromArray` for the `PLAIN` mode (3.9-3.11).
pub(crate) unsafe extern "C" fn tuple_from_array_plain(
    _ctx: *mut HPyContext,
    items: *const HPy,
    n: HPy_ssize_t,
) -> HPy {
    // SAFETY: installed only in the PLAIN mode; as ctx_Tuple_FromArray.
    unsafe { from_array(RefCounting::PLAIN, items, n) }
}

/// `ctx_Tuple_FromArray` for the `IMMORTAL32` mode (3.12, 3.13).
pub(crate) unsafe extern "C" fn tuple_from_array_immortal32(
    _ctx: *mut HPyContext,
    items: *const HPy,
    n: HPy_ssize_t,
) -> HPy {
    // SAFETY: installed only in the IMMORTAL32 mode; as ctx_Tuple_FromArray.
    unsafe { from_array(RefCounting::IMMORTAL32, items, n) }
}

/// `items[last]` is `HPy_NULL` (the items after it are in the tuple):
/// drops the tuple and raises SystemError naming the first `HPy_NULL` item.
///
/// # Safety
/// `tuple` is the new tuple (its unset items are NULL, which tuple_dealloc
/// skips), `items` holds at least `last + 1` handles, with the GIL.
#[cold]
#[inline(never)]
unsafe fn null_item(tuple: *mut PyObject, items: *const HPy, last: usize) -> HPy {
    let first = (0..last)
        // SAFETY: `i` < `last` < the caller's n.
        .find(|&i| unsafe { (*items.add(i)).is_null() })
        .unwrap_or(last);
    // SAFETY: as documented.
    unsafe {
        ffi::Py_DecRef(tuple);
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            cstr!("HPyTuple_FromArray: items[%zd] is HPy_NULL"),
            first as HPy_ssize_t,
        );
    }
    HPy::NULL
}
