//! `HPyListBuilder`: on CPython the builder is the list being built.
//!
//! An allocation failure in `HPyListBuilder_New` is reported by
//! `HPyListBuilder_Build` (MemoryError), so that only the final result needs
//! checking; `Set` and `Cancel` do nothing on such a builder.

use hpy_sys::{HPy, HPyContext, HPyListBuilder, HPy_ssize_t};

use crate::ffi::{self, PyObject};
use crate::{h2py, py2h};

#[inline(always)]
fn list_of(builder: HPyListBuilder) -> *mut PyObject {
    builder._lst as *mut PyObject
}

/// `HPyListBuilder_New`: a builder for a list of `size` items.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_New(
    _ctx: *mut HPyContext,
    size: HPy_ssize_t,
) -> HPyListBuilder {
    // SAFETY: plain C-API call.
    let list = unsafe { ffi::PyList_New(size) };
    if list.is_null() {
        // SAFETY: clearing the error indicator; Build raises MemoryError later.
        unsafe { ffi::PyErr_Clear() };
    }
    HPyListBuilder {
        _lst: list as isize,
    }
}

/// `HPyListBuilder_Set`: item `index` of the list becomes a new reference
/// to `h_item`. An index out of range raises IndexError (as
/// `PyList_SetItem` does).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Set(
    _ctx: *mut HPyContext,
    builder: HPyListBuilder,
    index: HPy_ssize_t,
    h_item: HPy,
) {
    let list = list_of(builder);
    if list.is_null() {
        return;
    }
    let item = h2py(h_item);
    // SAFETY: `list` is the builder's list (only the builder holds it).
    if (0..unsafe { ffi::var_size(list) }).contains(&index) {
        // SAFETY: an index in range: the slot takes the reference made here
        // and the item set before, if any, is released (as PyList_SetItem does).
        unsafe {
            let slot = ffi::list_items(list).offset(index);
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
    unsafe { set_out_of_range(list, index, item) };
}

/// `Set` with an index out of range: PyList_SetItem raises IndexError and
/// releases the reference made here.
///
/// # Safety
/// `list` is the builder's list; `item` a live object or NULL.
#[cold]
#[inline(never)]
unsafe fn set_out_of_range(list: *mut PyObject, index: HPy_ssize_t, item: *mut PyObject) {
    // SAFETY: as documented.
    unsafe {
        ffi::Py_IncRef(item);
        ffi::PyList_SetItem(list, index, item);
    }
}

/// A builder's slot that held `old` now holds `item`: the new reference
/// first (`old` may be `item`), then the old one released.
///
/// # Safety
/// `item` is a live object or NULL, `old` a live object whose reference the
/// slot held.
#[inline(never)]
pub(crate) unsafe fn replace_item(item: *mut PyObject, old: *mut PyObject) {
    // SAFETY: as documented.
    unsafe {
        ffi::Py_IncRef(item);
        ffi::Py_DecRef(old);
    }
}

/// `HPyListBuilder_Build`: the built list (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Build(
    _ctx: *mut HPyContext,
    builder: HPyListBuilder,
) -> HPy {
    let list = list_of(builder);
    if list.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
    }
    py2h(list)
}

/// `HPyListBuilder_Cancel`: drops the list (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Cancel(_ctx: *mut HPyContext, builder: HPyListBuilder) {
    // SAFETY: the builder owns its list (Py_DecRef accepts NULL).
    unsafe { ffi::Py_DecRef(list_of(builder)) };
}
