//! `HPyListBuilder`, and the implementation shared with `HPyTupleBuilder`
//! (tuplebuilder.rs): on CPython a builder is the list or tuple being built.
//!
//! The semantic, the same for both and in every ABI (the CPython ABI's
//! inline copy in `hpy/cpython/inline_core.h` follows it):
//! - `New` that fails (a negative size, no memory) gives a builder of
//!   `_lst`/`_tup` 0, which `Build` reports (MemoryError), so that only the
//!   final result needs checking; `Set` and `Cancel` do nothing on it.
//! - `Set` stores a new reference to the item (the caller keeps its handle);
//!   an index out of range raises IndexError, as `PyList_SetItem` /
//!   `PyTuple_SetItem` do; an index set twice releases the first item;
//!   `HPy_NULL` leaves the slot empty.
//! - `Build` and `Cancel` consume the builder.
//!
//! HPy 0.9's CPython ABI only asserts these; the checks cost an unsigned
//! compare against the size and a test of the slot's previous item per
//! `Set`, which keeps misuse an exception or a leak, never a crash.

use hpy_sys::{HPy, HPyContext, HPyListBuilder, HPy_ssize_t};

use crate::ffi::{self, PyObject};
use crate::{h2py, py2h};

/// What differs between the list and the tuple builder.
pub(crate) struct Kind {
    /// The item slots (`ffi::list_items` or `ffi::tuple_items`).
    pub items: unsafe fn(*mut PyObject) -> *mut *mut PyObject,
    /// `PyList_SetItem` or `PyTuple_SetItem`, which raise IndexError for an
    /// index out of range.
    pub set_item: unsafe extern "C" fn(*mut PyObject, isize, *mut PyObject) -> core::ffi::c_int,
}

pub(crate) const LIST: Kind = Kind {
    items: ffi::list_items,
    set_item: ffi::PyList_SetItem,
};

/// `New`: the sequence made by `new` (PyList_New / PyTuple_New), or 0 with
/// the error cleared.
#[inline(always)]
pub(crate) fn builder_new(seq: *mut PyObject) -> isize {
    if seq.is_null() {
        // SAFETY: clearing the error indicator; Build raises MemoryError later.
        unsafe { ffi::PyErr_Clear() };
    }
    seq as isize
}

/// `Set`: slot `index` of the builder's `seq` takes a new reference to `item`.
///
/// # Safety
/// `seq` is 0 or the builder's list/tuple of `kind`, which only the builder
/// holds; `item` is a live object or NULL; the GIL is held.
#[inline(always)]
pub(crate) unsafe fn builder_set(
    kind: &Kind,
    seq: *mut PyObject,
    index: HPy_ssize_t,
    item: *mut PyObject,
) {
    if seq.is_null() {
        return;
    }
    // One unsigned compare: a negative index is out of range too.
    // SAFETY: `seq` is a live list or tuple.
    if (index as usize) < unsafe { ffi::var_size(seq) } as usize {
        // SAFETY: an index in range of the builder's sequence: the slot takes
        // the reference made here; an item set before is released.
        unsafe {
            let slot = (kind.items)(seq).offset(index);
            let old = *slot;
            *slot = item;
            if old.is_null() && !item.is_null() {
                ffi::incref(item);
            } else {
                replace_item(item, old);
            }
        }
        return;
    }
    // SAFETY: an index out of range (see the function).
    unsafe { set_out_of_range(kind, seq, index, item) };
}

/// `Set` with an index out of range: `PyList_SetItem`/`PyTuple_SetItem`
/// raises IndexError and releases the reference made here.
///
/// # Safety
/// As `builder_set`.
#[cold]
#[inline(never)]
unsafe fn set_out_of_range(
    kind: &Kind,
    seq: *mut PyObject,
    index: HPy_ssize_t,
    item: *mut PyObject,
) {
    // SAFETY: as documented (Py_IncRef accepts NULL).
    unsafe {
        ffi::Py_IncRef(item);
        (kind.set_item)(seq, index, item);
    }
}

/// A slot that held `old` (or NULL) now holds `item` (or NULL): the new
/// reference first (`old` may be `item`), then the old one released.
///
/// # Safety
/// `item` is a live object or NULL, `old` a live object whose reference the
/// slot held, or NULL.
#[inline(never)]
unsafe fn replace_item(item: *mut PyObject, old: *mut PyObject) {
    // SAFETY: as documented (both functions accept NULL).
    unsafe {
        ffi::Py_IncRef(item);
        ffi::Py_DecRef(old);
    }
}

/// `Build`: the built sequence, or MemoryError for a failed `New`.
#[inline(always)]
pub(crate) fn builder_build(seq: *mut PyObject) -> HPy {
    if seq.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
    }
    py2h(seq)
}

/// `Cancel`: drops the sequence and the items set.
///
/// # Safety
/// `seq` is 0 or the builder's sequence, with the GIL.
#[inline(always)]
pub(crate) unsafe fn builder_cancel(seq: *mut PyObject) {
    // SAFETY: the builder owns its sequence (Py_DecRef accepts NULL).
    unsafe { ffi::Py_DecRef(seq) };
}

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
    // SAFETY: plain C-API call; a negative size raises SystemError.
    let list = unsafe { ffi::PyList_New(size) };
    HPyListBuilder {
        _lst: builder_new(list),
    }
}

/// `HPyListBuilder_Set`: item `index` of the list becomes a new reference
/// to `h_item`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Set(
    _ctx: *mut HPyContext,
    builder: HPyListBuilder,
    index: HPy_ssize_t,
    h_item: HPy,
) {
    // SAFETY: the builder's list (or 0); the caller passes a live handle.
    unsafe { builder_set(&LIST, list_of(builder), index, h2py(h_item)) }
}

/// `HPyListBuilder_Build`: the built list (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Build(
    _ctx: *mut HPyContext,
    builder: HPyListBuilder,
) -> HPy {
    builder_build(list_of(builder))
}

/// `HPyListBuilder_Cancel`: drops the list (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ListBuilder_Cancel(_ctx: *mut HPyContext, builder: HPyListBuilder) {
    // SAFETY: the builder's list (or 0), with the GIL.
    unsafe { builder_cancel(list_of(builder)) }
}
