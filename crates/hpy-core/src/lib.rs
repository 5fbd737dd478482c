//! hpy-core: the semantics of the HPy API functions that are more than a
//! forward to one C-API call, written once for CPython and shared by both
//! ABIs (see ARCHITECTURE.md):
//!
//! - the universal context (`hpy-universal`) points its `ctx_NAME` entries at
//!   the functions of this crate;
//! - CPython-ABI extensions link them from `libhpy_cpython.a`
//!   (`hpy-cpython`, which enables the `export` feature so that every
//!   `ctx_NAME` is exported under its C name).
//!
//! Every `core` entry of `api/hpy.api` is a
//! `pub unsafe extern "C" fn ctx_NAME(...)` with exactly the parameter and
//! return types of its `HPyContext` field, in the module named after its
//! area, re-exported here. On CPython a handle is the `PyObject *` itself.
//! Each function that can fail sets a Python exception and returns its
//! error value (`HPy_NULL`, -1, `(T)-1` ...).
//!
//! # Module creation
//!
//! [`module`] turns an `HPyModuleDef` into a `PyModuleDef` for multi-phase
//! initialization (documented there). Two entry points:
//!
//! - CPython ABI: `_HPyModuleDef_CPyInit(HPyContext *ctx, HPyModuleDef *def,
//!   const char *name)` ([`_HPyModuleDef_CPyInit`]), exported by
//!   libhpy_cpython.a and called by `PyInit_NAME`; it returns
//!   `PyModuleDef_Init(pydef)`.
//! - universal and hybrid loaders:
//!   [`module_from_spec`]`(gil, ctx, def, name, spec, allow_legacy)` creates the
//!   module from its spec and runs its exec slots; [`create_pymoduledef`]
//!   is the conversion alone.
//!
//! # Types
//!
//! [`type_spec`] turns an `HPyType_Spec` into a heap type
//! (`ctx_Type_FromSpec`); [`instance`] knows where an instance's C struct
//! is, recognises HPy types by a `TypeInfo` of ours (never a `tp_flags`
//! bit), and provides what CPython calls on instances: `tp_dealloc`,
//! `tp_clear`, the `tp_traverse` adapter ([`call_traverse`], used by the
//! `HPy_tp_traverse` trampolines of both ABIs), `tp_alloc` and `tp_new`.
//!
//! # Constraints
//!
//! `no_std` without `alloc`: memory comes from `PyMem_*` directly. CPython is
//! reached only through the declarations of [`ffi`], which have the same ABI
//! on CPython 3.9 to 3.13, so the same object code works on all of them. No
//! function panics: the lints below forbid panicking macros, unwrapping and
//! indexing, arithmetic is checked, and tests/test_runtime_no_panic.py finds
//! no panic machinery in libhpy_cpython.a (every profile aborts on panic
//! anyway).
//!
//! [`gil`] has the runtime's safety idioms: the GIL token, the GIL-guarded
//! cell and `ErrSet` ("a Python exception is set").
#![no_std]
#![allow(non_snake_case, non_upper_case_globals)]
// the C names of the HPy and CPython ABIs
// "Never panics", checked: no panicking macro, unwrap, expect or indexing
// (the workspace lints are in the root Cargo.toml).
#![deny(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]
#![allow(clippy::missing_safety_doc)] // the ctx_* functions follow the HPy API documentation

use hpy_sys::{cpy_PyObject, HPy};

pub mod ffi;
pub mod gil;

pub mod bytes;
pub mod call;
pub mod capsule;
pub mod contextvar;
pub mod eval;
pub mod field;
pub mod global;
pub mod instance;
pub mod list;
pub mod listbuilder;
pub mod long;
pub mod module;
pub mod object;
pub mod threads;
pub mod tracker;
pub mod tuple;
pub mod tuplebuilder;
pub mod type_;
pub mod type_spec;
pub mod unicode;

pub use bytes::*;
pub use call::*;
pub use capsule::*;
pub use contextvar::*;
pub use eval::*;
pub use field::*;
pub use global::*;
pub use instance::*;
pub use list::*;
pub use listbuilder::*;
pub use long::*;
pub use module::*;
pub use object::*;
pub use threads::*;
pub use tracker::*;
pub use tuple::*;
pub use tuplebuilder::*;
pub use type_::*;
pub use type_spec::*;
pub use unicode::*;

/// The object a handle stands for (on CPython, the handle's value).
#[inline(always)]
pub fn h2py(h: HPy) -> *mut cpy_PyObject {
    h._i as *mut cpy_PyObject
}

/// The handle of an object (NULL gives `HPy_NULL`). The reference is not
/// changed: a new reference becomes a new handle.
#[inline(always)]
pub fn py2h(o: *mut cpy_PyObject) -> HPy {
    HPy { _i: o as isize }
}
