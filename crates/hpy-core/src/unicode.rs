//! `HPyUnicode_Substring`.

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, cstr};
use crate::{h2py, py2h};

/// `HPyUnicode_Substring`: `str[start:end]`.
///
/// `PyUnicode_Substring` reads its argument as a str without checking it;
/// here any other object is a TypeError (HPy 0.9's debug-mode wording), so a
/// wrong argument never reads past a foreign object.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Unicode_Substring(
    _ctx: *mut HPyContext,
    str: HPy,
    start: HPy_ssize_t,
    end: HPy_ssize_t,
) -> HPy {
    let o = h2py(str);
    // SAFETY: a non-NULL handle is a live object (the caller's contract).
    if o.is_null() || !unsafe { ffi::type_has_flag(o, ffi::Py_TPFLAGS_UNICODE_SUBCLASS) } {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                cstr!("HPyUnicode_Substring arg 1 must be a Unicode object"),
            )
        };
        return HPy::NULL;
    }
    // SAFETY: `o` is a str; CPython checks the bounds itself.
    py2h(unsafe { ffi::PyUnicode_Substring(o, start, end) })
}
