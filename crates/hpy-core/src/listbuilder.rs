//! `HPyListBuilder`, and the implementation shared with `HPyTupleBuilder`
//! (tuplebuilder.rs): on CPython a builder is the list or tuple being built.
//!
//! The semantic of these functions, the same for both builders (they are
//! what the universal, hybrid, debug and trace modes run, and what the
//! CPython ABI falls back to; see "Builders" in the README):
//! - `New` that fails (a negative size, no memory) gives a builder of
//!   `_lst`/`_tup` 0, which `Build` reports (MemoryError), so that only the
//!   final result needs checking; `Set` and `Cancel` do nothing on it.
//! - `Set` stores a new reference to the item (the caller keeps its handle);
//!   an index out of range raises IndexError, as `PyList_SetItem` /
//!   `PyTuple_SetItem` do; an index set twice releases the first item;
//!   `HPy_NULL` leaves the slot empty.
//! - `Build` and `Cancel` consume the builder.
//!
//! HPy 0.9 only asserts what `Set` checks here; the CPython ABI's inline
//! `Set` (`hpy/cpython/inline_core.h`) does the same as HPy 0.9 when the
//! extension is built with NDEBUG, and falls back to these checks without.
//!
//! `Set` is the one called in loops, through the context: its fast path is
//! the builder's NULL test, one unsigned compare for the range, one test of
//! the slot and one of the item, the store and the increment. The context's
//! slot gets a copy specialised to the interpreter's reference counting
//! (`specialize_context`), so that the increment is inline with no test of
//! the mode; everything else is out of line and `#[cold]`.

use hpy_sys::{HPy, HPyContext, HPyListBuilder, HPy_ssize_t};

use crate::ffi::{self, PyObject, RefCounting};
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
        return new_failed();
    }
    seq as isize
}

/// `New` failed: the builder 0, the error cleared (Build raises MemoryError).
#[cold]
#[inline(never)]
fn new_failed() -> isize {
    // SAFETY: clearing the error indicator, with the GIL (the caller's).
    unsafe { ffi::PyErr_Clear() };
    0
}

/// `Set`: slot `index` of the builder's `seq` takes a new reference to
/// `item`, counted as `rc` says (a constant in the specialised functions,
/// so that the increment is one or a few instructions with no test of the
/// mode; `ffi::refcounting()` in the general one).
///
/// # Safety
/// `seq` is 0 or the builder's list/tuple of `kind`, which only the builder
/// holds; `item` is a live object or NULL; `rc` is the mode in force; the
/// GIL is held.
#[inline(always)]
pub(crate) unsafe fn builder_set(
    kind: &Kind,
    rc: RefCounting,
    seq: *mut PyObject,
    index: HPy_ssize_t,
    item: *mut PyObject,
) {
    if seq.is_null() {
        return;
    }
    // One unsigned compare: a negative index is out of range too.
    // SAFETY: `seq` is a live list or tuple.
    if (index as usize) >= unsafe { ffi::var_size(seq) } as usize {
        // SAFETY: an index out of range (see the function).
        return unsafe { set_out_of_range(kind, seq, index, item) };
    }
    // SAFETY: an index in range of the builder's sequence.
    let slot = unsafe { (kind.items)(seq).offset(index) };
    // SAFETY: `slot` is in the item array; it holds NULL or a reference.
    if unsafe { !(*slot).is_null() } || item.is_null() {
        // SAFETY: as documented there.
        return unsafe { set_again_or_null(slot, item) };
    }
    // SAFETY: an empty slot in range takes the reference made here to a
    // live item (what Py_INCREF + PyList_SET_ITEM do).
    unsafe {
        *slot = item;
        rc.incref(item);
    }
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

/// `Set` of a slot set before, or of `HPy_NULL`: the slot holds `item` (or
/// NULL), a reference of its own; the old item is released after the store
/// (it may be `item`).
///
/// # Safety
/// `slot` is in range of a builder's item array, holding NULL or a
/// reference; `item` is a live object or NULL; with the GIL.
#[cold]
#[inline(never)]
unsafe fn set_again_or_null(slot: *mut *mut PyObject, item: *mut PyObject) {
    // SAFETY: as documented (both functions accept NULL).
    unsafe {
        let old = *slot;
        ffi::Py_IncRef(item);
        *slot = item;
        ffi::Py_DecRef(old);
    }
}

/// `Build`: the built sequence, or MemoryError for a failed `New`.
#[inline(always)]
pub(crate) fn builder_build(seq: *mut PyObject) -> HPy {
    if seq.is_null() {
        return build_failed();
    }
    py2h(seq)
}

/// `Build` of a failed `New`: MemoryError.
#[cold]
#[inline(never)]
fn build_failed() -> HPy {
    // SAFETY: setting MemoryError, with the GIL (the caller's).
    unsafe { ffi::PyErr_NoMemory() };
    HPy::NULL
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

/// The `Set` functions of one builder kind: `$general` (exported, the mode
/// of reference counting read at each call: the CPython ABI's fallback,
/// and the context's before `specialize_context`) and one copy per mode
/// that `specialize_context` installs.
macro_rules! builder_set_fns {
    ($builder:ty, $kind:expr, $of:ident, $general:ident, $plain:ident, $immortal32:ident) => {
        builder_set_fns!(@one #[cfg_attr(feature = "export", no_mangle)] pub,
            $general, $builder, $kind, $of, ffi::refcounting());
        builder_set_fns!(@one pub(crate), $plain, $builder, $kind, $of, RefCounting::PLAIN);
        builder_set_fns!(@one pub(crate), $immortal32, $builder, $kind, $of,
            RefCounting::IMMORTAL32);
    };
    (@one $(#[$attr:meta])* $vis:vis, $name:ident, $builder:ty, $kind:expr, $of:ident, $rc:expr) => {
        $(#[$attr])*
        $vis unsafe extern "C" fn $name(
            _ctx: *mut HPyContext,
            builder: $builder,
            index: HPy_ssize_t,
            h_item: HPy,
        ) {
            // SAFETY: the builder's sequence (or 0); the caller passes a live
            // handle; the mode is the one in force (the copies are installed
            // only in theirs).
            unsafe { builder_set(&$kind, $rc, $of(builder), index, h2py(h_item)) }
        }
    };
}
pub(crate) use builder_set_fns;

// `HPyListBuilder_Set`: item `index` of the list becomes a new reference to
// `h_item`.
builder_set_fns!(
    HPyListBuilder,
    LIST,
    list_of,
    ctx_ListBuilder_Set,
    list_set_plain,
    list_set_immortal32
);

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

/// Gives the slots of `ctx` whose functions change reference counts in a
/// loop (the builders' `Set`, `HPyTuple_FromArray`) the copies specialised
/// to the reference counting in force (`ffi::init_refcounting` must have
/// run); in the `CALL` mode they keep the general functions.
///
/// # Safety
/// `ctx` is a context that no extension uses yet (or one whose Set slots
/// nobody reads concurrently), with the GIL.
pub unsafe fn specialize_context(ctx: *mut HPyContext) {
    let rc = ffi::refcounting();
    use crate::{tuple, tuplebuilder};
    let (list, tuple, from_array) = if rc == RefCounting::PLAIN {
        (
            list_set_plain as _,
            tuplebuilder::tuple_set_plain as _,
            tuple::tuple_from_array_plain as _,
        )
    } else if rc == RefCounting::IMMORTAL32 {
        (
            list_set_immortal32 as _,
            tuplebuilder::tuple_set_immortal32 as _,
            tuple::tuple_from_array_immortal32 as _,
        )
    } else {
        (
            ctx_ListBuilder_Set as _,
            tuplebuilder::ctx_TupleBuilder_Set as _,
            tuple::ctx_Tuple_FromArray as _,
        )
    };
    // SAFETY: as documented: a live context, written with the GIL before
    // any extension reads it.
    unsafe {
        (*ctx).ctx_ListBuilder_Set = list;
        (*ctx).ctx_TupleBuilder_Set = tuple;
        (*ctx).ctx_Tuple_FromArray = from_array;
    }
}
