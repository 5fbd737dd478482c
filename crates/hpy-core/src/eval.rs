//! `HPy_Compile_s` (`HPy_EvalCode` is a forward).

use core::ffi::c_char;

use hpy_sys::{
    HPy, HPyContext, HPy_SourceKind, HPy_SourceKind_Expr, HPy_SourceKind_File,
    HPy_SourceKind_Single,
};

use crate::ffi::{self, cstr};
use crate::py2h;

/// `HPy_Compile_s`: `compile(source, filename, mode)` with mode `"eval"`,
/// `"exec"` or `"single"` for the three `HPy_SourceKind`s.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Compile_s(
    _ctx: *mut HPyContext,
    utf8_source: *const c_char,
    utf8_filename: *const c_char,
    kind: HPy_SourceKind,
) -> HPy {
    let start = match kind {
        HPy_SourceKind_Expr => ffi::Py_eval_input,
        HPy_SourceKind_File => ffi::Py_file_input,
        HPy_SourceKind_Single => ffi::Py_single_input,
        _ => {
            // SAFETY: setting an exception with a static message.
            unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, cstr!("invalid source kind")) };
            return HPy::NULL;
        }
    };
    // SAFETY: NUL-terminated strings from the caller; CPython compiles.
    py2h(unsafe { ffi::Py_CompileString(utf8_source, utf8_filename, start) })
}
