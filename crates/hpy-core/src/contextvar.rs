//! `HPyContextVar_Get` (the other context-variable functions are forwards).

use hpy_sys::{HPy, HPyContext};

use crate::ffi::{self, PyObject};
use crate::{h2py, py2h};

/// `HPyContextVar_Get`: 0 and `*result` = a new handle to the variable's
/// value, or to `default_value` (or the variable's default), or HPy_NULL if
/// there is none; -1 with an exception set on error.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ContextVar_Get(
    _ctx: *mut HPyContext,
    context_var: HPy,
    default_value: HPy,
    result: *mut HPy,
) -> i32 {
    let mut value: *mut PyObject = core::ptr::null_mut();
    // SAFETY: live handles (the default may be NULL); CPython checks the type.
    let ret = unsafe { ffi::PyContextVar_Get(h2py(context_var), h2py(default_value), &mut value) };
    if ret < 0 {
        return ret;
    }
    // SAFETY: the caller passes where to store the result.
    unsafe { result.write(py2h(value)) };
    ret
}
