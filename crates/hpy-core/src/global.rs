//! `HPyGlobal`: a reference kept in a C global variable of an extension. On
//! CPython the global holds the object pointer and owns a strong reference.
//!
//! As in HPy 0.9, a global belongs to the loaded library (one per process
//! and mode: a library loaded again in another mode is a private copy with
//! globals of its own), not to one module object: importing the module
//! again finds the value an earlier import stored, and the next
//! `HPyGlobal_Store` releases it. The value stored last stays until the
//! process ends (HPy 0.9 says: until the interpreter exits), so nothing
//! grows however often the module is imported. The runtime does not clear
//! globals when a module is executed again: that would drop values that
//! the earlier module objects still use.

use hpy_sys::{HPy, HPyContext, HPyGlobal};

use crate::ffi;
use crate::h2py;

/// `HPyGlobal_Store`: `*global` becomes a new reference to `h` (or null),
/// and the reference it held before is released.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Global_Store(_ctx: *mut HPyContext, global: *mut HPyGlobal, h: HPy) {
    let new = h2py(h);
    // SAFETY: `global` points to the extension's variable; the new reference
    // is taken before the old one is dropped, and the variable is updated
    // before the old value's destructor can run.
    unsafe {
        ffi::Py_IncRef(new);
        let old = (*global)._i as *mut ffi::PyObject;
        (*global)._i = new as isize;
        ffi::Py_DecRef(old);
    }
}

/// `HPyGlobal_Load`: a new handle to the object in the global (HPy_NULL,
/// with no exception, for an empty global).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Global_Load(_ctx: *mut HPyContext, global: HPyGlobal) -> HPy {
    // SAFETY: the global holds a strong reference (or null, which Py_IncRef accepts).
    unsafe { ffi::Py_IncRef(global._i as *mut ffi::PyObject) };
    HPy { _i: global._i }
}
