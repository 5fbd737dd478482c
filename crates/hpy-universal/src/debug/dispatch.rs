//! The trampoline dispatcher of the debug contexts: every call from CPython
//! into a debug-mode extension (module functions, slots, methods, exec
//! slots) comes through here.
//!
//! Each object CPython passes in becomes a fresh argument handle (arrays and
//! tuples of arguments item by item); the HPy function is called with the
//! debug context; the handle it returns is checked and turned into the new
//! reference CPython expects; then the argument handles are closed, so that
//! one kept past the call (in a C global) is caught when used again.
//!
//! The `match` on the signature is the generated one of the universal
//! dispatcher (api/autogen_trampoline_dispatch.rs), included here with the
//! conversions `h`, `res` and `tuple_items` of debug mode; the signatures
//! whose arguments are C arrays (VARARGS, KEYWORDS) are converted by hand
//! before it, and those that carry no handle (traverse, destroy, capsule
//! destructors) go to the universal dispatcher.
#![allow(non_snake_case, non_upper_case_globals, dead_code)]

use core::ffi::c_void;

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::debug::{contexts, handles};
use crate::python::{Gil, PY_VECTORCALL_ARGUMENTS_OFFSET};

type Obj = *mut ffi::PyObject;

/// The debug context of the call being dispatched on this thread (for
/// `h` and `res`): the copy `contexts::enter_call` gave it.
fn current(gil: Gil) -> *mut HPyContext {
    contexts::current(gil)
}

/// `_HPy_CallRealFunctionFromTrampoline` of the debug contexts.
///
/// # Safety
/// Called by a trampoline of signature `sig` with the GIL held (see the
/// universal dispatcher).
pub unsafe extern "C" fn ctx_CallRealFunctionFromTrampoline(
    dctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    func: HPyCFunction,
    args: *mut c_void,
) {
    // SAFETY: context functions are called with the GIL held.
    let gil = unsafe { Gil::assume() };
    match sig {
        HPyFunc_TRAVERSEPROC | HPyFunc_DESTROYFUNC | HPyFunc_CAPSULE_DESTRUCTOR => {
            let u = crate::debug::handles::universal_of(dctx);
            // SAFETY: no handle is involved in these signatures; the
            // universal dispatcher does the same work for any context.
            return unsafe { crate::api::ctx_CallRealFunctionFromTrampoline(u, sig, func, args) };
        }
        _ => {}
    }
    let Some(f) = func else {
        // SAFETY: the universal dispatcher reports the NULL function.
        return unsafe { crate::api::ctx_CallRealFunctionFromTrampoline(dctx, sig, func, args) };
    };
    // SAFETY: the trampoline's contract (see the universal dispatcher): `f`
    // has the C type of `sig` and `args` points to its argument block.
    if unsafe { dispatch_method(gil, dctx, sig, f, args) } {
        return;
    }
    // the HPy function gets this call's own copy of the context
    let (dctx, saved) = contexts::enter_call(gil, dctx);
    // SAFETY: the trampoline's contract (see the universal dispatcher): `f`
    // has the C type of `sig` and `args` points to its argument block.
    if unsafe { dispatch_direct(gil, dctx, sig, f, args) } {
        contexts::leave_call(gil, saved);
        return;
    }
    let mark = handles::mark(gil);
    // SAFETY: as above. VARARGS, KEYWORDS and VECTORCALLFUNC (whose
    // arguments come in C arrays the generated dispatcher would pass
    // unconverted) are handled by `dispatch_direct`.
    unsafe { ctx_CallRealFunctionFromTrampoline_generated(dctx, sig, Some(f), args) };
    handles::close_args(gil, dctx, mark);
    contexts::leave_call(gil, saved);
}

/// How many argument handles `with_arg_handles` keeps in the frame of the
/// call (more are allocated).
const INLINE_ARGS: usize = 8;

/// The argument handles of a call: one for each of the `n` objects at
/// `items` (none if `items` is null), then one for each object of `extra`
/// (`self`, ...), opened together, given to `body` (the handles of the
/// array, then those of `extra`, in one slice), which calls the HPy
/// function and gives the handle it returned; that handle is turned into
/// the new reference returned (as `call_result`), then the argument
/// handles are closed in that order, all in one run over the table where
/// it can (`handles::close_result_and_args`). They live in this frame
/// (allocated only past `INLINE_ARGS`), where they stay put.
///
/// # Safety
/// With the GIL; `items` is null or points to `n` live objects (or nulls);
/// the objects of `extra` are live (or null).
#[inline(always)]
pub unsafe fn with_arg_handles(
    gil: Gil,
    dctx: *mut HPyContext,
    items: *const Obj,
    n: usize,
    extra: &[Obj],
    body: impl FnOnce(&[HPy]) -> HPy,
) -> Obj {
    let n = if items.is_null() { 0 } else { n };
    let total = n + extra.len();
    let mut inline = [const { core::mem::MaybeUninit::<HPy>::uninit() }; INLINE_ARGS];
    let mut heap: Vec<HPy> = Vec::new();
    let out = if total <= INLINE_ARGS {
        inline.as_mut_ptr().cast::<HPy>()
    } else {
        heap.reserve_exact(total);
        heap.as_mut_ptr()
    };
    // SAFETY: the caller's contract; `out` has room for `total` handles
    // (the inline array, or the heap buffer reserved above, whose length
    // stays 0: it is read only through `out`), all written by
    // `open_call_args` before the slice is made.
    unsafe {
        handles::open_call_args(gil, dctx, items, n, extra, out);
        let r = body(core::slice::from_raw_parts(out, total));
        handles::close_result_and_args(gil, dctx, r, out, total, RESULT)
    }
}

/// The handle at `i` of `hs` (`HPy_NULL` past its end).
#[inline(always)]
fn nth(hs: &[HPy], i: usize) -> HPy {
    hs.get(i).copied().unwrap_or(HPy::NULL)
}

/// `handles::close_call_arg`, not inlined: the frames of the call paths
/// stay small (deep recursion through C needs it).
#[inline(never)]
pub fn close_arg(gil: Gil, dctx: *mut HPyContext, h: HPy) {
    handles::close_call_arg(gil, dctx, h)
}

/// The method signatures (NOARGS, O, VARARGS, KEYWORDS and the
/// VECTORCALLFUNC of HPy 0.9, whose argument block is KEYWORDS') through
/// the calls shared with the direct vectorcalls of module functions
/// (`method_call.rs`). False: another signature.
///
/// # Safety
/// As `ctx_CallRealFunctionFromTrampoline`, with `f` the non-null function
/// and `module_ctx` the context the trampoline passed (the module's).
#[inline(always)]
unsafe fn dispatch_method(
    gil: Gil,
    module_ctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    f: unsafe extern "C" fn(),
    args: *mut c_void,
) -> bool {
    let o = |p: *mut cpy_PyObject| -> Obj { p.cast() };
    // SAFETY: the caller's contract: `f` has the C type of `sig`, `args`
    // points to the argument block of `sig`, whose objects are live.
    unsafe {
        match sig {
            HPyFunc_NOARGS => {
                let a = &mut *args.cast::<_HPyFunc_args_NOARGS>();
                a.result = call_noargs(gil, module_ctx, f, o(a.self_)).cast();
            }
            HPyFunc_O => {
                let a = &mut *args.cast::<_HPyFunc_args_O>();
                a.result = call_o(gil, module_ctx, f, o(a.self_), o(a.arg)).cast();
            }
            HPyFunc_VARARGS => {
                let a = &mut *args.cast::<_HPyFunc_args_VARARGS>();
                let (items, n) = (a.args.cast::<Obj>(), a.nargs as usize);
                a.result = call_varargs(gil, module_ctx, f, o(a.self_), items, n).cast();
            }
            HPyFunc_KEYWORDS | HPyFunc_VECTORCALLFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_KEYWORDS>();
                let nargs = a.nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
                let items = a.args.cast::<Obj>();
                let r = call_keywords(gil, module_ctx, f, o(a.self_), items, nargs, o(a.kwnames));
                a.result = r.cast();
            }
            _ => return false,
        }
    }
    true
}

// ~~~ the calls of the method signatures ~~~
//
// One debug call of an HPy function of a method signature, from the
// objects CPython passed: `self` and each argument become a fresh argument
// handle of the context's family, the HPy function is called with this
// call's own copy of the debug context (`contexts::enter_call`, current
// until `leave_call`), the handle it returns is checked and turned into
// the new reference CPython expects, and the argument handles are closed
// (so that one kept past the call is caught when used again, and one the
// extension closed itself is reported), in the order they were opened. The
// handles live in this call's frame: they are this call's alone, whatever
// other threads do while it releases the GIL. Both the trampoline
// dispatcher (above) and the direct vectorcalls of module functions
// (method_call.rs) call these; `module_ctx` is the module's debug context,
// `f` the HPy function, of the C type of its signature.

/// `HPyFunc_NOARGS`.
///
/// # Safety
/// With the GIL; `f` is an `HPyFunc_noargs`; `self_` is live (or null).
#[inline(always)]
pub unsafe fn call_noargs(
    gil: Gil,
    module_ctx: *mut HPyContext,
    f: unsafe extern "C" fn(),
    self_: Obj,
) -> Obj {
    let (dctx, saved) = contexts::enter_call(gil, module_ctx);
    // SAFETY: the caller's contract.
    let result = unsafe {
        let g: HPyFunc_noargs = cast_fn(f);
        let s = handles::open_call_arg(gil, dctx, self_);
        let r = call_result(gil, dctx, g(dctx, s));
        close_arg(gil, dctx, s);
        r
    };
    contexts::leave_call(gil, saved);
    result
}

/// `HPyFunc_O`.
///
/// # Safety
/// With the GIL; `f` is an `HPyFunc_o`; `self_` and `arg` are live (or null).
#[inline(always)]
pub unsafe fn call_o(
    gil: Gil,
    module_ctx: *mut HPyContext,
    f: unsafe extern "C" fn(),
    self_: Obj,
    arg: Obj,
) -> Obj {
    let (dctx, saved) = contexts::enter_call(gil, module_ctx);
    // SAFETY: the caller's contract.
    let result = unsafe {
        let g: HPyFunc_o = cast_fn(f);
        let s = handles::open_call_arg(gil, dctx, self_);
        let x = handles::open_call_arg(gil, dctx, arg);
        let r = call_result(gil, dctx, g(dctx, s, x));
        close_arg(gil, dctx, s);
        close_arg(gil, dctx, x);
        r
    };
    contexts::leave_call(gil, saved);
    result
}

/// `HPyFunc_VARARGS`: `self` is opened after the arguments (as the
/// generated dispatcher's order).
///
/// # Safety
/// With the GIL; `f` is an `HPyFunc_varargs`; `self_` is live (or null);
/// `args` is null or points to `nargs` live objects.
#[inline(always)]
pub unsafe fn call_varargs(
    gil: Gil,
    module_ctx: *mut HPyContext,
    f: unsafe extern "C" fn(),
    self_: Obj,
    args: *const Obj,
    nargs: usize,
) -> Obj {
    let (dctx, saved) = contexts::enter_call(gil, module_ctx);
    // SAFETY: the caller's contract.
    let result = unsafe {
        let g: HPyFunc_varargs = cast_fn(f);
        with_arg_handles(gil, dctx, args, nargs, &[self_], |hs| {
            let n = hs.len() - 1;
            g(dctx, nth(hs, n), hs.as_ptr(), n)
        })
    };
    contexts::leave_call(gil, saved);
    result
}

/// `HPyFunc_KEYWORDS`: the values of the keywords follow the `nargs`
/// positional arguments in `args`; `kwnames` is a handle too.
///
/// # Safety
/// With the GIL; `f` is an `HPyFunc_keywords`; `self_` is live (or null);
/// `kwnames` is null or a tuple of str; `args` is null or points to
/// `nargs` live objects followed by one per keyword.
#[inline(always)]
pub unsafe fn call_keywords(
    gil: Gil,
    module_ctx: *mut HPyContext,
    f: unsafe extern "C" fn(),
    self_: Obj,
    args: *const Obj,
    nargs: usize,
    kwnames: Obj,
) -> Obj {
    let (dctx, saved) = contexts::enter_call(gil, module_ctx);
    // SAFETY: the caller's contract.
    let result = unsafe {
        let g: HPyFunc_keywords = cast_fn(f);
        let nkw = if kwnames.is_null() {
            0
        } else {
            ffi::PyTuple_GET_SIZE(kwnames) as usize
        };
        with_arg_handles(gil, dctx, args, nargs + nkw, &[self_, kwnames], |hs| {
            let k = hs.len() - 2;
            g(dctx, nth(hs, k), hs.as_ptr(), nargs, nth(hs, k + 1))
        })
    };
    contexts::leave_call(gil, saved);
    result
}

/// The other common signatures without the per-thread argument stacks: the
/// argument handles are opened in this frame, in the order of the generated
/// dispatcher, and closed here in that same order (as `close_args`).
/// `dctx` is the call's copy of the context (`contexts::enter_call`).
/// False: another signature, for the generated dispatcher.
///
/// # Safety
/// As `ctx_CallRealFunctionFromTrampoline`, with `f` the non-null function.
#[inline(always)]
unsafe fn dispatch_direct(
    gil: Gil,
    dctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    f: unsafe extern "C" fn(),
    args: *mut c_void,
) -> bool {
    use handles::open_call_arg as open;
    let close = close_arg;
    let o = |p: *mut cpy_PyObject| -> Obj { p.cast() };
    // SAFETY: the caller's contract: `f` has the C type of `sig`, `args`
    // points to the argument block of `sig`, whose objects are live.
    unsafe {
        match sig {
            HPyFunc_UNARYFUNC | HPyFunc_REPRFUNC | HPyFunc_GETITERFUNC | HPyFunc_ITERNEXTFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_UNARYFUNC>();
                let g: HPyFunc_unaryfunc = cast_fn(f);
                let x = open(gil, dctx, o(a.arg0));
                a.result = call_result(gil, dctx, g(dctx, x)).cast();
                close(gil, dctx, x);
            }
            HPyFunc_BINARYFUNC | HPyFunc_GETATTROFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_BINARYFUNC>();
                let g: HPyFunc_binaryfunc = cast_fn(f);
                let x = open(gil, dctx, o(a.arg0));
                let y = open(gil, dctx, o(a.arg1));
                a.result = call_result(gil, dctx, g(dctx, x, y)).cast();
                close(gil, dctx, x);
                close(gil, dctx, y);
            }
            HPyFunc_LENFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_LENFUNC>();
                let g: HPyFunc_lenfunc = cast_fn(f);
                let x = open(gil, dctx, o(a.arg0));
                a.result = g(dctx, x);
                close(gil, dctx, x);
            }
            HPyFunc_SSIZEARGFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_SSIZEARGFUNC>();
                let g: HPyFunc_ssizeargfunc = cast_fn(f);
                let x = open(gil, dctx, o(a.arg0));
                a.result = call_result(gil, dctx, g(dctx, x, a.arg1)).cast();
                close(gil, dctx, x);
            }
            HPyFunc_NEWFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_NEWFUNC>();
                let g: HPyFunc_newfunc = cast_fn(f);
                let tuple = o(a.args);
                let (items_ptr, n) = if tuple.is_null() {
                    (core::ptr::null(), 0)
                } else {
                    (
                        core::ptr::addr_of!((*tuple.cast::<ffi::PyTupleObject>()).ob_item)
                            .cast::<Obj>(),
                        ffi::PyTuple_GET_SIZE(tuple) as usize,
                    )
                };
                let extra = [o(a.self_), o(a.kw)];
                let r = with_arg_handles(gil, dctx, items_ptr, n, &extra, |hs| {
                    let k = hs.len() - 2;
                    let n = k as HPy_ssize_t;
                    g(dctx, nth(hs, k), hs.as_ptr(), n, nth(hs, k + 1))
                });
                a.result = r.cast();
            }
            _ => return false,
        }
    }
    true
}

// The generated dispatcher, under another name.
mod generated {
    use crate::debug::dispatch::*;
    include!("../api/autogen_trampoline_dispatch.rs");
}
use generated::ctx_CallRealFunctionFromTrampoline as ctx_CallRealFunctionFromTrampoline_generated;

/// Reinterprets `func` as the function type `F` of its signature.
///
/// # Safety
/// `F` must be the `extern "C"` function-pointer type of the implementation.
#[inline(always)]
unsafe fn cast_fn<F: Copy>(func: unsafe extern "C" fn()) -> F {
    // SAFETY: F is a function-pointer type (the caller's contract).
    unsafe { core::mem::transmute_copy::<unsafe extern "C" fn(), F>(&func) }
}

/// An argument handle for an object passed in by CPython.
fn h(obj: *mut cpy_PyObject) -> HPy {
    // SAFETY: called by the dispatcher, with the GIL.
    let gil = unsafe { Gil::assume() };
    handles::open_arg(gil, current(gil), obj.cast())
}

/// The new reference returned to CPython for the handle the HPy function
/// returned (which is closed); a closed or foreign handle is reported.
fn res(handle: HPy) -> *mut cpy_PyObject {
    // SAFETY: called by the dispatcher, with the GIL.
    let gil = unsafe { Gil::assume() };
    call_result(gil, current(gil), handle).cast()
}

/// What reports name when the handle an HPy function returned is invalid.
const RESULT: &core::ffi::CStr =
    c"the return of a call into the extension (an HPy function returned this handle)";

/// The new reference returned to CPython for the handle an HPy function
/// called with `dctx` returned (which is closed); null for `HPy_NULL`; a
/// closed or foreign handle is reported (null, unless the hook lets the
/// call go on).
#[inline]
pub fn call_result(gil: Gil, dctx: *mut HPyContext, handle: HPy) -> Obj {
    if handle._i == 0 {
        return core::ptr::null_mut();
    }
    handles::into_object(gil, dctx, handle, RESULT).unwrap_or(core::ptr::null_mut())
}

/// The items of an argument tuple as argument handles.
unsafe fn tuple_items(tuple: Obj) -> (*const HPy, HPy_ssize_t) {
    // SAFETY: called by the dispatcher, with the GIL.
    let gil = unsafe { Gil::assume() };
    if tuple.is_null() {
        return (core::ptr::null(), 0);
    }
    // SAFETY: tp_new and tp_init get a live tuple of arguments.
    unsafe {
        let n = ffi::PyTuple_GET_SIZE(tuple);
        let items = core::ptr::addr_of!((*tuple.cast::<ffi::PyTupleObject>()).ob_item);
        (
            handles::open_arg_array(gil, current(gil), items.cast(), n as usize),
            n,
        )
    }
}

/// `HPyFunc_GETBUFFERPROC`: the handle the function stores in `view->obj`
/// becomes the reference CPython expects there.
unsafe fn call_getbufferproc(
    dctx: *mut HPyContext,
    func: unsafe extern "C" fn(),
    args: *mut c_void,
) {
    // SAFETY: called by the dispatcher, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: as in the universal dispatcher: HPy_buffer mirrors Py_buffer.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_GETBUFFERPROC>();
        let f: HPyFunc_getbufferproc = cast_fn(func);
        let view = a.view.cast::<HPy_buffer>();
        a.result = f(dctx, h(a.self_), view, a.flags);
        if !view.is_null() {
            let obj = (*view).obj;
            (*view).obj = HPy::NULL;
            if a.result >= 0 && obj._i != 0 {
                let o = handles::into_object(gil, dctx, obj, c"HPy_buffer.obj (getbuffer slot)")
                    .unwrap_or(core::ptr::null_mut());
                (*view).obj = HPy { _i: o as isize };
            } else if obj._i != 0 {
                let _ = handles::close(gil, dctx, obj, c"HPy_buffer.obj (getbuffer slot)");
            }
        }
    }
}

unsafe fn call_traverseproc(ctx: *mut HPyContext, func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: routed to the universal dispatcher before the match (unused).
    unsafe {
        crate::api::ctx_CallRealFunctionFromTrampoline(ctx, HPyFunc_TRAVERSEPROC, Some(func), args)
    }
}

unsafe fn call_destroyfunc(ctx: *mut HPyContext, func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: routed to the universal dispatcher before the match (unused).
    unsafe {
        crate::api::ctx_CallRealFunctionFromTrampoline(ctx, HPyFunc_DESTROYFUNC, Some(func), args)
    }
}

unsafe fn call_capsule_destructor(
    ctx: *mut HPyContext,
    func: unsafe extern "C" fn(),
    args: *mut c_void,
) {
    // SAFETY: routed to the universal dispatcher before the match (unused).
    unsafe {
        crate::api::ctx_CallRealFunctionFromTrampoline(
            ctx,
            HPyFunc_CAPSULE_DESTRUCTOR,
            Some(func),
            args,
        )
    }
}

/// `HPyFunc_MOD_CREATE`: as in universal mode (a module object is refused).
unsafe fn call_mod_create(dctx: *mut HPyContext, func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: as in the universal dispatcher, for this signature.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_MOD_CREATE>();
        let f: HPyFunc_mod_create = cast_fn(func);
        let result: Obj = res(f(dctx, h(a.spec))).cast();
        if !result.is_null() && ffi::PyModule_Check(result) != 0 {
            ffi::Py_DECREF(result);
            ffi::PyErr_SetString(
                ffi::PyExc_SystemError,
                c"HPy_mod_create slot returned a builtin module object. This is currently not supported."
                    .as_ptr(),
            );
            a.result = core::ptr::null_mut();
        } else {
            a.result = result.cast();
        }
    }
}

#[cold]
unsafe fn null_function(_sig: HPyFunc_Signature) {}

#[cold]
unsafe fn unknown_signature(sig: HPyFunc_Signature) {
    // SAFETY: with the GIL (called by the dispatcher).
    unsafe {
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            c"HPy: unsupported HPyFunc_Signature %d in _HPy_CallRealFunctionFromTrampoline"
                .as_ptr(),
            sig as core::ffi::c_int,
        );
    }
}
