//! `HPyTupleBuilder`: on CPython the builder is the tuple being built.
//!
//! An allocation failure in `HPyTupleBuilder_New` is reported by
//! `HPyTupleBuilder_Build` (MemoryError), so that only the final result needs
//! checking; `Set` and `Cancel` do nothing on such a builder.

use hpy_sys::{HPy, HPyContext, HPyTupleBuilder, HPy_ssize_t};

use crate::ffi::{self, PyObject};
use crate::{h2py, py2h};

#[inline(always)]
fn tuple_of(builder: HPyTupleBuilder) -> *mut PyObject {
    builder._tup as *mut PyObject
}

/// `HPyTupleBuilder_New`: a builder for a tuple of `size` items.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_New(
    _ctx: *mut HPyContext,
    size: HPy_ssize_t,
) -> HPyTupleBuilder {
    // SAFETY: plain C-API call.
    let tuple = unsafe { ffi::PyTuple_New(size) };
    if tuple.is_null() {
        // SAFETY: clearing the error indicator; Build raises MemoryError later.
        unsafe { ffi::PyErr_Clear() };
    }
    HPyTupleBuilder {
        _tup: tuple as isize,
    }
}

/// `HPyTupleBuilder_Set`: item `index` of the tuple becomes a new reference
/// to `h_item`. An index out of range raises IndexError (as
/// `PyTuple_SetItem` does).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_Set(
    _ctx: *mut HPyContext,
    builder: HPyTupleBuilder,
    index: HPy_ssize_t,
    h_item: HPy,
) {
    let tuple = tuple_of(builder);
    if tuple.is_null() {
        return;
    }
    let item = h2py(h_item);
    // SAFETY: `tuple` is the builder's tuple (only the builder holds it).
    if (0..unsafe { ffi::var_size(tuple) }).contains(&index) {
        // SAFETY: an index in range: the slot takes the reference made here
        // and the item set before, if any, is released (as PyTuple_SetItem does).
        unsafe {
            let slot = ffi::tuple_items(tuple).offset(index);
            let old = *slot;
            *slot = item;
            // Each path ends with one call, which the compiler makes a jump:
            // the common one saves no registers.
            if old.is_null() {
                ffi::Py_IncRef(item);
            } else {
                crate::listbuilder::replace_item(item, old);
            }
        }
        return;
    }
    // SAFETY: an index out of range (see the function).
    unsafe { set_out_of_range(tuple, index, item) };
}

/// `Set` with an index out of range: PyTuple_SetItem raises IndexError and
/// releases the reference made here.
///
/// # Safety
/// `tuple` is the builder's tuple; `item` a live object or NULL.
#[cold]
#[inline(never)]
unsafe fn set_out_of_range(tuple: *mut PyObject, index: HPy_ssize_t, item: *mut PyObject) {
    // SAFETY: as documented.
    unsafe {
        ffi::Py_IncRef(item);
        ffi::PyTuple_SetItem(tuple, index, item);
    }
}

/// `HPyTupleBuilder_Build`: the built tuple (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_Build(
    _ctx: *mut HPyContext,
    builder: HPyTupleBuilder,
) -> HPy {
    let tuple = tuple_of(builder);
    if tuple.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
    }
    py2h(tuple)
}

/// `HPyTupleBuilder_Cancel`: drops the tuple (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_Cancel(_ctx: *mut HPyContext, builder: HPyTupleBuilder) {
    // SAFETY: the builder owns its tuple (Py_DecRef accepts NULL).
    unsafe { ffi::Py_DecRef(tuple_of(builder)) };
}
