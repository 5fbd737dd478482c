//! `HPyBytes_FromStringAndSize`.

use core::ffi::c_char;

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, cstr};
use crate::py2h;

/// `HPyBytes_FromStringAndSize`: a bytes object holding a copy of the `len`
/// bytes at `bytes`.
///
/// Unlike `PyBytes_FromStringAndSize`, a NULL `bytes` is an error (ValueError)
/// whatever `len` is: HPy has no way to fill a bytes object after creating
/// it, so it never hands out an uninitialised one. A negative `len` raises
/// CPython's SystemError.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Bytes_FromStringAndSize(
    _ctx: *mut HPyContext,
    bytes: *const c_char,
    len: HPy_ssize_t,
) -> HPy {
    if bytes.is_null() {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_ValueError,
                cstr!("NULL char * passed to HPyBytes_FromStringAndSize"),
            )
        };
        return HPy::NULL;
    }
    // SAFETY: the caller gives `len` readable bytes at `bytes`; CPython copies
    // them, and raises SystemError itself for a negative size.
    py2h(unsafe { ffi::PyBytes_FromStringAndSize(bytes, len) })
}
