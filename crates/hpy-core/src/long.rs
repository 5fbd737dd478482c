//! `HPyLong_*` conversions that need a range check on top of the C-API.

use hpy_sys::{HPy, HPyContext};

use crate::ffi::{self, cstr};
use crate::h2py;

/// `HPyLong_AsInt32_t`: like `PyLong_AsLong`, plus an `OverflowError` when
/// the value does not fit in 32 bits (C `long` is 64-bit on most platforms).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Long_AsInt32_t(_ctx: *mut HPyContext, h: HPy) -> i32 {
    // SAFETY: `h` is a live handle, i.e. a live object; the C-API checks its type.
    let value = unsafe { ffi::PyLong_AsLong(h2py(h)) };
    // An error of PyLong_AsLong is -1, which fits and is returned as is.
    match i32::try_from(value) {
        Ok(v) => v,
        Err(_) => {
            // SAFETY: setting an exception with a static message, GIL held.
            unsafe {
                ffi::PyErr_SetString(
                    ffi::PyExc_OverflowError,
                    cstr!("Python int too large to convert to C int32_t"),
                )
            };
            -1
        }
    }
}

/// `HPyLong_AsUInt32_t`: like `PyLong_AsUnsignedLong`, plus an
/// `OverflowError` when the value does not fit in 32 bits.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Long_AsUInt32_t(_ctx: *mut HPyContext, h: HPy) -> u32 {
    // SAFETY: `h` is a live handle; the C-API checks its type.
    let value = unsafe { ffi::PyLong_AsUnsignedLong(h2py(h)) };
    if let Ok(v) = u32::try_from(value) {
        return v;
    }
    // (unsigned long)-1 is both the error value and a valid result.
    // SAFETY: querying the error indicator, GIL held.
    if value == core::ffi::c_ulong::MAX && unsafe { !ffi::PyErr_Occurred().is_null() } {
        return u32::MAX;
    }
    // SAFETY: setting an exception with a static message, GIL held.
    unsafe {
        ffi::PyErr_SetString(
            ffi::PyExc_OverflowError,
            cstr!("Python int too large to convert to C uint32_t"),
        )
    };
    u32::MAX
}
