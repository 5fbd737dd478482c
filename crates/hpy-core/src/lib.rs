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

/// Compile-time check that every `ctx_*` function here has exactly the type
/// of its `HPyContext` field. Never called.
#[allow(dead_code)]
fn assert_context_signatures(ctx: &mut hpy_sys::HPyContext) {
    ctx.ctx_Long_AsInt32_t = ctx_Long_AsInt32_t;
    ctx.ctx_Long_AsUInt32_t = ctx_Long_AsUInt32_t;
    ctx.ctx_CallTupleDict = ctx_CallTupleDict;
    ctx.ctx_Call = ctx_Call;
    ctx.ctx_CallMethod = ctx_CallMethod;
    ctx.ctx_GetItem_i = ctx_GetItem_i;
    ctx.ctx_GetItem_s = ctx_GetItem_s;
    ctx.ctx_SetItem_i = ctx_SetItem_i;
    ctx.ctx_SetItem_s = ctx_SetItem_s;
    ctx.ctx_DelItem_i = ctx_DelItem_i;
    ctx.ctx_DelItem_s = ctx_DelItem_s;
    ctx.ctx_List_New = ctx_List_New;
    ctx.ctx_Tuple_FromArray = ctx_Tuple_FromArray;
    ctx.ctx_ListBuilder_New = ctx_ListBuilder_New;
    ctx.ctx_ListBuilder_Set = ctx_ListBuilder_Set;
    ctx.ctx_ListBuilder_Build = ctx_ListBuilder_Build;
    ctx.ctx_ListBuilder_Cancel = ctx_ListBuilder_Cancel;
    ctx.ctx_TupleBuilder_New = ctx_TupleBuilder_New;
    ctx.ctx_TupleBuilder_Set = ctx_TupleBuilder_Set;
    ctx.ctx_TupleBuilder_Build = ctx_TupleBuilder_Build;
    ctx.ctx_TupleBuilder_Cancel = ctx_TupleBuilder_Cancel;
    ctx.ctx_Tracker_New = ctx_Tracker_New;
    ctx.ctx_Tracker_Add = ctx_Tracker_Add;
    ctx.ctx_Tracker_ForgetAll = ctx_Tracker_ForgetAll;
    ctx.ctx_Tracker_Close = ctx_Tracker_Close;
    ctx.ctx_Field_Store = ctx_Field_Store;
    ctx.ctx_Field_Load = ctx_Field_Load;
    ctx.ctx_Global_Store = ctx_Global_Store;
    ctx.ctx_Global_Load = ctx_Global_Load;
    ctx.ctx_LeavePythonExecution = ctx_LeavePythonExecution;
    ctx.ctx_ReenterPythonExecution = ctx_ReenterPythonExecution;
    ctx.ctx_Type_IsSubtype = ctx_Type_IsSubtype;
    ctx.ctx_Capsule_New = ctx_Capsule_New;
    ctx.ctx_Capsule_Get = ctx_Capsule_Get;
    ctx.ctx_Capsule_Set = ctx_Capsule_Set;
    ctx.ctx_Capsule_IsValid = ctx_Capsule_IsValid;
    ctx.ctx_ContextVar_Get = ctx_ContextVar_Get;
    ctx.ctx_Compile_s = ctx_Compile_s;
    ctx.ctx_Dump = ctx_Dump;
    ctx.ctx_Type_FromSpec = ctx_Type_FromSpec;
    ctx.ctx_Type_GenericNew = ctx_Type_GenericNew;
    ctx.ctx_New = ctx_New;
    ctx.ctx_AsStruct_Object = ctx_AsStruct_Object;
    ctx.ctx_AsStruct_Legacy = ctx_AsStruct_Legacy;
    ctx.ctx_AsStruct_Type = ctx_AsStruct_Type;
    ctx.ctx_AsStruct_Long = ctx_AsStruct_Long;
    ctx.ctx_AsStruct_Float = ctx_AsStruct_Float;
    ctx.ctx_AsStruct_Unicode = ctx_AsStruct_Unicode;
    ctx.ctx_AsStruct_Tuple = ctx_AsStruct_Tuple;
    ctx.ctx_AsStruct_List = ctx_AsStruct_List;
    ctx.ctx_AsStruct_Dict = ctx_AsStruct_Dict;
    ctx.ctx_Type_GetBuiltinShape = ctx_Type_GetBuiltinShape;
    ctx.ctx_Type_GetName = ctx_Type_GetName;
    ctx.ctx_SetCallFunction = ctx_SetCallFunction;
}
