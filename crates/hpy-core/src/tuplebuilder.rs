//! `HPyTupleBuilder`: the list builder's implementation (listbuilder.rs,
//! which documents the semantic) over a tuple.

use hpy_sys::{HPy, HPyContext, HPyTupleBuilder, HPy_ssize_t};

use crate::ffi::{self, PyObject, RefCounting};
use crate::h2py;
use crate::listbuilder::{
    builder_build, builder_cancel, builder_new, builder_set, builder_set_fns, Kind,
};

const TUPLE: Kind = Kind {
    items: ffi::tuple_items,
    set_item: ffi::PyTuple_SetItem,
};

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
    // SAFETY: plain C-API call; a negative size raises SystemError.
    let tuple = unsafe { ffi::PyTuple_New(size) };
    HPyTupleBuilder {
        _tup: builder_new(tuple),
    }
}

// `HPyTupleBuilder_Set`: item `index` of the tuple becomes a new reference
// to `h_item` (the copies per mode are installed by
// `listbuilder::specialize_context`).
builder_set_fns!(
    HPyTupleBuilder,
    TUPLE,
    tuple_of,
    ctx_TupleBuilder_Set,
    tuple_set_plain,
    tuple_set_immortal32
);

/// `HPyTupleBuilder_Build`: the built tuple (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_Build(
    _ctx: *mut HPyContext,
    builder: HPyTupleBuilder,
) -> HPy {
    builder_build(tuple_of(builder))
}

/// `HPyTupleBuilder_Cancel`: drops the tuple (the builder is consumed).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_TupleBuilder_Cancel(_ctx: *mut HPyContext, builder: HPyTupleBuilder) {
    // SAFETY: the builder's tuple (or 0), with the GIL.
    unsafe { builder_cancel(tuple_of(builder)) }
}
