//! `HPy_LeavePythonExecution` / `HPy_ReenterPythonExecution`: release and
//! take back the GIL (`Py_BEGIN_ALLOW_THREADS` / `Py_END_ALLOW_THREADS`).

use hpy_sys::{HPyContext, HPyThreadState};

use crate::ffi;

/// `HPy_LeavePythonExecution`: `PyEval_SaveThread`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_LeavePythonExecution(_ctx: *mut HPyContext) -> HPyThreadState {
    // SAFETY: the caller holds the GIL, as every HPy call requires.
    let ts = unsafe { ffi::PyEval_SaveThread() };
    HPyThreadState { _i: ts as isize }
}

/// `HPy_ReenterPythonExecution`: `PyEval_RestoreThread`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_ReenterPythonExecution(_ctx: *mut HPyContext, state: HPyThreadState) {
    // SAFETY: `state` comes from HPy_LeavePythonExecution on this thread.
    unsafe { ffi::PyEval_RestoreThread(state._i as *mut ffi::PyThreadState) };
}
