//! Creating the module object of a loaded extension from its HPyModuleDef:
//! the work is hpy-core's (`module_from_spec`, shared with the CPython ABI);
//! this is the seam between its `cpy_*` types and pyo3-ffi's. Then the
//! module's functions get the direct call path of their mode
//! (method_call.rs).

#![deny(unsafe_op_in_unsafe_fn)]

use hpy_sys::{HPyContext, HPyModuleDef};
use pyo3_ffi as ffi;

use crate::method_call::{self, DirectCalls};

/// Creates the module `name` (a str) described by `def` with `spec` and runs
/// its exec slots; `hybrid` allows the legacy features. Its HPy methods then
/// get the direct vectorcalls `calls` (none: they keep their trampolines).
/// Returns a new reference, or NULL with an exception set.
///
/// # Safety
/// With the GIL held, after `HPyInitGlobalContext_NAME(ctx)`; `def` is what
/// `HPyInit_NAME` returned and `name` a str.
pub unsafe fn create(
    ctx: *mut HPyContext,
    def: *mut HPyModuleDef,
    name: *mut ffi::PyObject,
    spec: *mut ffi::PyObject,
    hybrid: bool,
    calls: Option<&'static DirectCalls>,
) -> *mut ffi::PyObject {
    // SAFETY: with the GIL; `name` is a str, whose UTF-8 form lives as long
    // as `name` (module_from_spec copies it).
    let name = unsafe { ffi::PyUnicode_AsUTF8(name) };
    if name.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: as documented above; `spec` is a live object (CPython checks
    // that it has a `name`).
    let module: *mut ffi::PyObject =
        unsafe { hpy_core::module_from_spec(ctx, def, name, spec.cast(), hybrid).cast() };
    if let (false, Some(calls)) = (module.is_null(), calls) {
        // SAFETY: with the GIL; `module` was just made from `def` with `ctx`
        // (both live forever).
        unsafe { method_call::install(module, def, ctx, calls) };
    }
    module
}
