//! libhpy_cpython.a: hpy-core for CPython-ABI extensions.
//!
//! A CPython-ABI extension compiles every HPy call down to the C-API; the
//! `core` functions call hidden `ctx_NAME` symbols, and `PyInit_NAME` calls
//! `_HPyModuleDef_CPyInit`. This static library provides them: it is hpy-core
//! with its `export` feature, which gives every `ctx_NAME` its C name.
//! Link it with `-Wl,--exclude-libs,ALL` so that the extension exports
//! nothing but `PyInit_NAME`.
//!
//! It is `no_std` and does not allocate through Rust (hpy-core calls
//! `PyMem_*` itself), so it needs no global allocator, and it brings no
//! standard library into the extension: it adds only the code of the
//! functions the extension uses. Its only undefined symbols are CPython's
//! (plus `memcpy`, `strlen` and, for HPyType_FromSpec with a metaclass,
//! `dlsym` from the C library).
// no_std; a test build (`cargo clippy --all-targets` makes one) has std's
// panic handler instead of ours.
#![cfg_attr(not(test), no_std)]
// "Never panics", checked: no panicking macro, unwrap, expect or indexing
// (the workspace lints are in the root Cargo.toml).
#![deny(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]
#![allow(non_upper_case_globals)] // the C names of the HPy ABI (HPyFunc_TRAVERSEPROC)

use core::ffi::c_void;

use hpy_core::ffi;
use hpy_sys::{
    _HPyFunc_args_TRAVERSEPROC, HPyCFunction, HPyContext, HPyFunc_Signature, HPyFunc_TRAVERSEPROC,
};

// Links hpy-core, and with it every exported ctx_* function.
pub use hpy_core;

/// No Rust panic can unwind into C (every profile aborts), and hpy-core has
/// no panicking path; should one be reached anyway, stop the interpreter
/// with a message rather than continue in an unknown state.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: Py_FatalError accepts any NUL-terminated message and never returns.
    unsafe {
        ffi::Py_FatalError(c"hpy-rs (libhpy_cpython.a): internal error (Rust panic)".as_ptr())
    }
}

/// `ctx_CallRealFunctionFromTrampoline` for the CPython ABI. Its trampolines
/// call their implementation directly, except the one of `HPy_tp_traverse`,
/// which needs the runtime to find the object's C struct and to adapt HPy's
/// visitor (which visits `HPyField`s) to CPython's: it packs CPython's
/// arguments into an `_HPyFunc_args_TRAVERSEPROC` and comes here. Any other
/// signature is a SystemError (no trampoline of this ABI passes one).
///
/// # Safety
/// Called by the trampolines of hpy/cpython/hpyfunc_trampolines.h with the
/// GIL held: `func` has the C type of `sig`, `args` points to its argument
/// block.
#[no_mangle]
pub unsafe extern "C" fn ctx_CallRealFunctionFromTrampoline(
    _ctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    func: HPyCFunction,
    args: *mut c_void,
) {
    match (sig, func) {
        (HPyFunc_TRAVERSEPROC, Some(func)) => {
            // SAFETY: the traverse trampoline passes its argument block and
            // the HPy traverse function; `self_` is an instance of the HPy
            // type whose tp_traverse this is, `visit` CPython's visitor.
            unsafe {
                let a = &mut *args.cast::<_HPyFunc_args_TRAVERSEPROC>();
                let f: hpy_core::HPyTraverse = core::mem::transmute(func);
                a.result = match a.visit {
                    Some(visit) => hpy_core::call_traverse(f, a.self_.cast(), visit, a.arg),
                    None => 0,
                };
            }
        }
        _ => {
            // SAFETY: setting an exception with a static message.
            unsafe {
                ffi::PyErr_SetString(
                    ffi::PyExc_SystemError,
                    c"hpy-rs (CPython ABI): ctx_CallRealFunctionFromTrampoline called with an unsupported signature"
                        .as_ptr(),
                )
            }
        }
    }
}
