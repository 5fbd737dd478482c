//! The direct calls of debug mode: the vectorcalls that `install` gives the
//! module functions of a module loaded with a debug context.
//!
//! They do the debug dispatcher's work for one call (debug/dispatch.rs)
//! without the trampoline, CPython's generic vectorcall and the
//! dispatcher's per-thread bookkeeping: `self` and each argument become a
//! fresh argument handle, the HPy function is called with the debug
//! context, the handle it returns is checked and turned into the new
//! reference CPython expects, and the argument handles are closed (so one
//! kept past the call is caught when used again, and one the extension
//! closed itself is reported). The handles are opened and closed in the
//! order the dispatcher uses, and live in this call's stack frame: they are
//! this call's alone, whatever other threads do while it releases the GIL.
//!
//! `ml_meth` keeps the trampoline (no thunks: those pass universal handles),
//! so a call site that CPython specializes goes through the dispatcher,
//! which does the same work.

use core::ptr;

use hpy_sys::*;

use super::{delegate, enter_recursive_call, leave_recursive_call, record_of, Obj};
use crate::debug::dispatch::{call_result, ArgHandles};
use crate::debug::handles::{close_call_arg, open_call_arg};
use crate::python::{Gil, PY_VECTORCALL_ARGUMENTS_OFFSET};

/// `HPyFunc_NOARGS`: no positional arguments, no keywords.
pub(super) unsafe extern "C" fn debug_noargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    if nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET != 0 || !kwnames.is_null() {
        // SAFETY: our vectorcall's own arguments.
        return unsafe { delegate(callable, args, nargsf, kwnames) };
    }
    // SAFETY: CPython calls this only for function objects switched by
    // `install` (their vectorcall) with a debug context, with the GIL (the
    // token) and valid arguments; the record's `impl_` has the C type of
    // its signature; `self_` is the live module (an object pointer).
    unsafe {
        let gil = Gil::assume();
        if !enter_recursive_call(gil) {
            return ptr::null_mut();
        }
        let (record, dctx, self_) = record_of(callable);
        let f: HPyFunc_noargs = core::mem::transmute((*record).impl_);
        let s = open_call_arg(gil, dctx, self_._i as Obj);
        let result = call_result(gil, dctx, f(dctx, s));
        close_call_arg(gil, dctx, s);
        leave_recursive_call(gil);
        result
    }
}

/// `HPyFunc_O`: exactly one positional argument, no keywords.
pub(super) unsafe extern "C" fn debug_o(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    if nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET != 1 || !kwnames.is_null() {
        // SAFETY: our vectorcall's own arguments.
        return unsafe { delegate(callable, args, nargsf, kwnames) };
    }
    // SAFETY: as in debug_noargs; `args` has one live item.
    unsafe {
        let gil = Gil::assume();
        if !enter_recursive_call(gil) {
            return ptr::null_mut();
        }
        let (record, dctx, self_) = record_of(callable);
        let f: HPyFunc_o = core::mem::transmute((*record).impl_);
        let s = open_call_arg(gil, dctx, self_._i as Obj);
        let a = open_call_arg(gil, dctx, *args);
        let result = call_result(gil, dctx, f(dctx, s, a));
        close_call_arg(gil, dctx, a);
        close_call_arg(gil, dctx, s);
        leave_recursive_call(gil);
        result
    }
}

/// `HPyFunc_VARARGS`: any positional arguments, no keywords.
pub(super) unsafe extern "C" fn debug_varargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    if !kwnames.is_null() {
        // SAFETY: our vectorcall's own arguments.
        return unsafe { delegate(callable, args, nargsf, kwnames) };
    }
    // SAFETY: as in debug_noargs; `args` has `nargs` live items.
    unsafe {
        let gil = Gil::assume();
        if !enter_recursive_call(gil) {
            return ptr::null_mut();
        }
        let (record, dctx, self_) = record_of(callable);
        let f: HPyFunc_varargs = core::mem::transmute((*record).impl_);
        let nargs = nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
        let items = ArgHandles::open(gil, dctx, args, nargs);
        let s = open_call_arg(gil, dctx, self_._i as Obj);
        let result = call_result(gil, dctx, f(dctx, s, items.ptr(), nargs));
        close_call_arg(gil, dctx, s);
        items.close(gil, dctx);
        leave_recursive_call(gil);
        result
    }
}

/// `HPyFunc_KEYWORDS`: anything; the HPy function checks the keywords.
pub(super) unsafe extern "C" fn debug_keywords(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    // SAFETY: as in debug_noargs; `kwnames` is NULL or a tuple of str whose
    // values follow the `nargs` positional arguments in `args`.
    unsafe {
        let gil = Gil::assume();
        if !enter_recursive_call(gil) {
            return ptr::null_mut();
        }
        let (record, dctx, self_) = record_of(callable);
        let f: HPyFunc_keywords = core::mem::transmute((*record).impl_);
        let nargs = nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
        let nkw = if kwnames.is_null() {
            0
        } else {
            pyo3_ffi::PyTuple_GET_SIZE(kwnames) as usize
        };
        let items = ArgHandles::open(gil, dctx, args, nargs + nkw);
        let s = open_call_arg(gil, dctx, self_._i as Obj);
        let kw = open_call_arg(gil, dctx, kwnames);
        let result = call_result(gil, dctx, f(dctx, s, items.ptr(), nargs, kw));
        close_call_arg(gil, dctx, kw);
        close_call_arg(gil, dctx, s);
        items.close(gil, dctx);
        leave_recursive_call(gil);
        result
    }
}
