//! Creating the module object of a loaded extension from its HPyModuleDef:
//! the work is hpy-core's (`module_from_spec`, shared with the CPython ABI);
//! this is the seam between its `cpy_*` types and pyo3-ffi's. Then the
//! module's functions get the direct call path of their mode
//! (method_call.rs).

use hpy_sys::{HPyContext, HPyModuleDef};
use pyo3_ffi as ffi;

use crate::method_call::{self, DirectCalls};
use crate::python::{nonnull, ErrSet, Gil, Obj};

/// Creates the module `name` (a str) described by `def` with `spec` and runs
/// its exec slots; `hybrid` allows the legacy features. Its HPy methods then
/// get the direct vectorcalls `calls` (none: they keep their trampolines).
/// Returns a new reference.
///
/// # Safety
/// After `HPyInitGlobalContext_NAME(ctx)`; `def` is what `HPyInit_NAME`
/// returned, `name` a str and `spec` a live object.
pub unsafe fn create(
    gil: Gil,
    ctx: *mut HPyContext,
    def: *mut HPyModuleDef,
    name: Obj,
    spec: Obj,
    hybrid: bool,
    calls: Option<&'static DirectCalls>,
) -> Result<Obj, ErrSet> {
    // SAFETY: with the GIL; `name` is a str, whose UTF-8 form lives as long
    // as `name` (module_from_spec copies it).
    let name = nonnull(unsafe { ffi::PyUnicode_AsUTF8(name) }.cast_mut())?;
    // SAFETY: with the GIL, as documented above (CPython checks that `spec`
    // has a `name`).
    let module: Obj =
        unsafe { hpy_core::module_from_spec(gil, ctx, def, name, spec.cast(), hybrid) }?.cast();
    if let Some(calls) = calls {
        // SAFETY: `module` was just made from `def` with `ctx` (both live
        // forever).
        unsafe { method_call::install(gil, module, def, ctx, calls) };
    }
    Ok(module)
}
