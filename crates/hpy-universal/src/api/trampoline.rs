//! `ctx_CallRealFunctionFromTrampoline`, the dispatcher through which every
//! CPython-facing trampoline of a universal extension calls its HPy function.
//!
//! It is the path of every call into a universal extension but the calls of
//! module functions, which method_call.rs sends to the HPy function directly
//! (through a runtime vectorcall, and through a thunk of method_call/thunks.rs
//! where CPython 3.11+ calls `ml_meth` itself at specialized call sites). It
//! is one `match` on the signature and one indirect call: a handle is the
//! object pointer, so CPython's argument arrays are handed to the HPy
//! function as they are (no copy, no allocation, no reference counting).
#![allow(non_snake_case, non_upper_case_globals)]

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::handles::{h2py, py2h};
use crate::python::PY_VECTORCALL_ARGUMENTS_OFFSET;

// The C types of the HPy functions, one per signature (hpy/hpyfunc.h).
type Ctx = *mut HPyContext;
type Obj = *mut ffi::PyObject;
type FnNoargs = unsafe extern "C" fn(Ctx, HPy) -> HPy;
type FnO = unsafe extern "C" fn(Ctx, HPy, HPy) -> HPy;
type FnVarargs = unsafe extern "C" fn(Ctx, HPy, *const HPy, usize) -> HPy;
type FnKeywords = unsafe extern "C" fn(Ctx, HPy, *const HPy, usize, HPy) -> HPy;
type FnUnary = unsafe extern "C" fn(Ctx, HPy) -> HPy;
type FnBinary = unsafe extern "C" fn(Ctx, HPy, HPy) -> HPy;
type FnTernary = unsafe extern "C" fn(Ctx, HPy, HPy, HPy) -> HPy;
type FnInquiry = unsafe extern "C" fn(Ctx, HPy) -> c_int;
type FnLen = unsafe extern "C" fn(Ctx, HPy) -> HPy_ssize_t;
type FnSsizeArg = unsafe extern "C" fn(Ctx, HPy, HPy_ssize_t) -> HPy;
type FnSsizeSsizeArg = unsafe extern "C" fn(Ctx, HPy, HPy_ssize_t, HPy_ssize_t) -> HPy;
type FnSsizeObjArgProc = unsafe extern "C" fn(Ctx, HPy, HPy_ssize_t, HPy) -> c_int;
type FnSsizeSsizeObjArgProc =
    unsafe extern "C" fn(Ctx, HPy, HPy_ssize_t, HPy_ssize_t, HPy) -> c_int;
type FnObjObjArgProc = unsafe extern "C" fn(Ctx, HPy, HPy, HPy) -> c_int;
type FnFree = unsafe extern "C" fn(Ctx, *mut c_void);
type FnGetattr = unsafe extern "C" fn(Ctx, HPy, *mut c_char) -> HPy;
type FnSetattr = unsafe extern "C" fn(Ctx, HPy, *mut c_char, HPy) -> c_int;
type FnHash = unsafe extern "C" fn(Ctx, HPy) -> HPy_hash_t;
type FnRichcmp = unsafe extern "C" fn(Ctx, HPy, HPy, HPy_RichCmpOp) -> HPy;
type FnInit = unsafe extern "C" fn(Ctx, HPy, *const HPy, HPy_ssize_t, HPy) -> c_int;
type FnNew = unsafe extern "C" fn(Ctx, HPy, *const HPy, HPy_ssize_t, HPy) -> HPy;
type FnGetter = unsafe extern "C" fn(Ctx, HPy, *mut c_void) -> HPy;
type FnSetter = unsafe extern "C" fn(Ctx, HPy, HPy, *mut c_void) -> c_int;
type FnObjObjProc = unsafe extern "C" fn(Ctx, HPy, HPy) -> c_int;
type FnGetbuffer = unsafe extern "C" fn(Ctx, HPy, *mut HPy_buffer, c_int) -> c_int;
type FnReleasebuffer = unsafe extern "C" fn(Ctx, HPy, *mut HPy_buffer);
type FnDestructor = unsafe extern "C" fn(Ctx, HPy);
type FnDestroy = unsafe extern "C" fn(*mut c_void);
type FnCapsuleDestructor = unsafe extern "C" fn(*const c_char, *mut c_void, *mut c_void);
type FnVisit = unsafe extern "C" fn(*mut HPyField, *mut c_void) -> c_int;
type FnTraverse = unsafe extern "C" fn(*mut c_void, FnVisit, *mut c_void) -> c_int;

// HPy_buffer is field for field a Py_buffer whose `obj` is a handle, so the
// buffer slots hand CPython's Py_buffer to the HPy function in place.
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<HPy_buffer>() == size_of::<ffi::Py_buffer>());
    assert!(offset_of!(HPy_buffer, buf) == offset_of!(ffi::Py_buffer, buf));
    assert!(offset_of!(HPy_buffer, obj) == offset_of!(ffi::Py_buffer, obj));
    assert!(offset_of!(HPy_buffer, len) == offset_of!(ffi::Py_buffer, len));
    assert!(offset_of!(HPy_buffer, itemsize) == offset_of!(ffi::Py_buffer, itemsize));
    assert!(offset_of!(HPy_buffer, readonly) == offset_of!(ffi::Py_buffer, readonly));
    assert!(offset_of!(HPy_buffer, ndim) == offset_of!(ffi::Py_buffer, ndim));
    assert!(offset_of!(HPy_buffer, format) == offset_of!(ffi::Py_buffer, format));
    assert!(offset_of!(HPy_buffer, shape) == offset_of!(ffi::Py_buffer, shape));
    assert!(offset_of!(HPy_buffer, strides) == offset_of!(ffi::Py_buffer, strides));
    assert!(offset_of!(HPy_buffer, suboffsets) == offset_of!(ffi::Py_buffer, suboffsets));
    assert!(offset_of!(HPy_buffer, internal) == offset_of!(ffi::Py_buffer, internal));
};

/// Reinterprets the untyped `func` as the function type `F` of its signature.
///
/// # Safety
/// `F` must be an `extern "C"` function-pointer type; the caller vouches that
/// it is the type the extension's implementation really has.
#[inline(always)]
unsafe fn cast_fn<F: Copy>(func: unsafe extern "C" fn()) -> F {
    // SAFETY: F is a function-pointer type (the caller's contract), the size
    // of `func`.
    unsafe { core::mem::transmute_copy::<unsafe extern "C" fn(), F>(&func) }
}

/// The items of a tuple, in place, as handles, and their count. A null
/// `tuple` (not something CPython passes) gives no items.
#[inline(always)]
unsafe fn tuple_items(tuple: Obj) -> (*const HPy, HPy_ssize_t) {
    if tuple.is_null() {
        return (ptr::null(), 0);
    }
    // SAFETY: tp_new and tp_init get a live tuple (or tuple subclass) of
    // arguments, whose items are stored inline after the header.
    unsafe {
        let items = ptr::addr_of!((*tuple.cast::<ffi::PyTupleObject>()).ob_item);
        (items.cast::<HPy>(), ffi::PyTuple_GET_SIZE(tuple))
    }
}

/// `_HPy_CallRealFunctionFromTrampoline`: calls the HPy function `func` of
/// signature `sig` with the CPython arguments packed by a trampoline into
/// `args` (an `_HPyFunc_args_<SIG>` struct; for `HPyFunc_CAPSULE_DESTRUCTOR`
/// the capsule object itself; for `HPyFunc_DESTROYFUNC` the object's data
/// pointer) and stores the result, converted back, in the struct's `result`.
/// An HPy function returning `HPy_NULL` gives a NULL result (its exception
/// stays set).
pub unsafe extern "C" fn ctx_CallRealFunctionFromTrampoline(
    ctx: *mut HPyContext,
    sig: HPyFunc_Signature,
    func: HPyCFunction,
    args: *mut c_void,
) {
    let Some(func) = func else {
        // SAFETY: called with the GIL held, like every context function.
        return unsafe { null_function(sig) };
    };
    // SAFETY: (whole match) the trampoline of signature `sig`, generated by
    // the HPyDef_* macros of hpy.h, passes an implementation of the C type of
    // `sig` as `func` and a pointer to its filled `_HPyFunc_args_<SIG>` struct
    // as `args`; handles are the object pointers CPython passed in.
    unsafe {
        match sig {
            HPyFunc_NOARGS => {
                let a = &mut *args.cast::<_HPyFunc_args_NOARGS>();
                let f: FnNoargs = cast_fn(func);
                a.result = res(f(ctx, h(a.self_)));
            }
            HPyFunc_O => {
                let a = &mut *args.cast::<_HPyFunc_args_O>();
                let f: FnO = cast_fn(func);
                a.result = res(f(ctx, h(a.self_), h(a.arg)));
            }
            HPyFunc_VARARGS => {
                let a = &mut *args.cast::<_HPyFunc_args_VARARGS>();
                let f: FnVarargs = cast_fn(func);
                a.result = res(f(ctx, h(a.self_), a.args.cast::<HPy>(), a.nargs as usize));
            }
            HPyFunc_KEYWORDS | HPyFunc_VECTORCALLFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_KEYWORDS>();
                let f: FnKeywords = cast_fn(func);
                let nargs = a.nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
                a.result = res(f(
                    ctx,
                    h(a.self_),
                    a.args.cast::<HPy>(),
                    nargs,
                    h(a.kwnames),
                ));
            }
            HPyFunc_UNARYFUNC | HPyFunc_REPRFUNC | HPyFunc_GETITERFUNC | HPyFunc_ITERNEXTFUNC => {
                // All four have the layout of _HPyFunc_args_UNARYFUNC.
                let a = &mut *args.cast::<_HPyFunc_args_UNARYFUNC>();
                let f: FnUnary = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0)));
            }
            HPyFunc_BINARYFUNC | HPyFunc_GETATTROFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_BINARYFUNC>();
                let f: FnBinary = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), h(a.arg1)));
            }
            HPyFunc_TERNARYFUNC | HPyFunc_DESCRGETFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_TERNARYFUNC>();
                let f: FnTernary = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), h(a.arg1), h(a.arg2)));
            }
            HPyFunc_INQUIRY => {
                let a = &mut *args.cast::<_HPyFunc_args_INQUIRY>();
                let f: FnInquiry = cast_fn(func);
                a.result = f(ctx, h(a.arg0));
            }
            HPyFunc_LENFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_LENFUNC>();
                let f: FnLen = cast_fn(func);
                a.result = f(ctx, h(a.arg0));
            }
            HPyFunc_HASHFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_HASHFUNC>();
                let f: FnHash = cast_fn(func);
                a.result = f(ctx, h(a.arg0));
            }
            HPyFunc_SSIZEARGFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_SSIZEARGFUNC>();
                let f: FnSsizeArg = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), a.arg1));
            }
            HPyFunc_SSIZESSIZEARGFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_SSIZESSIZEARGFUNC>();
                let f: FnSsizeSsizeArg = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), a.arg1, a.arg2));
            }
            HPyFunc_SSIZEOBJARGPROC => {
                let a = &mut *args.cast::<_HPyFunc_args_SSIZEOBJARGPROC>();
                let f: FnSsizeObjArgProc = cast_fn(func);
                a.result = f(ctx, h(a.arg0), a.arg1, h(a.arg2));
            }
            HPyFunc_SSIZESSIZEOBJARGPROC => {
                let a = &mut *args.cast::<_HPyFunc_args_SSIZESSIZEOBJARGPROC>();
                let f: FnSsizeSsizeObjArgProc = cast_fn(func);
                a.result = f(ctx, h(a.arg0), a.arg1, a.arg2, h(a.arg3));
            }
            HPyFunc_OBJOBJARGPROC | HPyFunc_SETATTROFUNC | HPyFunc_DESCRSETFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_OBJOBJARGPROC>();
                let f: FnObjObjArgProc = cast_fn(func);
                a.result = f(ctx, h(a.arg0), h(a.arg1), h(a.arg2));
            }
            HPyFunc_OBJOBJPROC => {
                let a = &mut *args.cast::<_HPyFunc_args_OBJOBJPROC>();
                let f: FnObjObjProc = cast_fn(func);
                a.result = f(ctx, h(a.arg0), h(a.arg1));
            }
            HPyFunc_GETATTRFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_GETATTRFUNC>();
                let f: FnGetattr = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), a.arg1));
            }
            HPyFunc_SETATTRFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_SETATTRFUNC>();
                let f: FnSetattr = cast_fn(func);
                a.result = f(ctx, h(a.arg0), a.arg1, h(a.arg2));
            }
            HPyFunc_RICHCMPFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_RICHCMPFUNC>();
                let f: FnRichcmp = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), h(a.arg1), a.arg2));
            }
            HPyFunc_GETTER => {
                let a = &mut *args.cast::<_HPyFunc_args_GETTER>();
                let f: FnGetter = cast_fn(func);
                a.result = res(f(ctx, h(a.arg0), a.arg1));
            }
            HPyFunc_SETTER => {
                let a = &mut *args.cast::<_HPyFunc_args_SETTER>();
                let f: FnSetter = cast_fn(func);
                a.result = f(ctx, h(a.arg0), h(a.arg1), a.arg2);
            }
            HPyFunc_INITPROC => {
                // tp_init gets an args tuple and a kwargs dict (or NULL); the HPy
                // function gets the tuple's items in place and the dict's handle.
                let a = &mut *args.cast::<_HPyFunc_args_INITPROC>();
                let f: FnInit = cast_fn(func);
                let (items, nargs) = tuple_items(a.args.cast());
                a.result = f(ctx, h(a.self_), items, nargs, h(a.kw));
            }
            HPyFunc_NEWFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_NEWFUNC>();
                let f: FnNew = cast_fn(func);
                let (items, nargs) = tuple_items(a.args.cast());
                a.result = res(f(ctx, h(a.self_), items, nargs, h(a.kw)));
            }
            // The rarer signatures with more work are kept out of line, so that
            // the hot cases above need no more saved registers than a call.
            HPyFunc_GETBUFFERPROC => call_getbufferproc(ctx, func, args),
            HPyFunc_RELEASEBUFFERPROC => {
                let a = &mut *args.cast::<_HPyFunc_args_RELEASEBUFFERPROC>();
                let f: FnReleasebuffer = cast_fn(func);
                f(ctx, h(a.self_), a.view.cast::<HPy_buffer>());
            }
            HPyFunc_TRAVERSEPROC => call_traverseproc(func, args),
            HPyFunc_DESTRUCTOR => {
                let a = &mut *args.cast::<_HPyFunc_args_DESTRUCTOR>();
                let f: FnDestructor = cast_fn(func);
                f(ctx, h(a.arg0));
            }
            HPyFunc_FREEFUNC => {
                let a = &mut *args.cast::<_HPyFunc_args_FREEFUNC>();
                let f: FnFree = cast_fn(func);
                f(ctx, a.arg0);
            }
            HPyFunc_DESTROYFUNC => {
                // No trampoline passes this (tp_destroy is called by the type's
                // tp_dealloc directly); `args` is the object's data.
                let f: FnDestroy = cast_fn(func);
                f(args);
            }
            HPyFunc_CAPSULE_DESTRUCTOR => call_capsule_destructor(func, args),
            HPyFunc_MOD_CREATE => call_mod_create(ctx, func, args),
            _ => unknown_signature(sig),
        }
    }
}

/// `HPyFunc_GETBUFFERPROC`: the HPy function fills CPython's Py_buffer in
/// place (same layout); its owned `obj` handle is the owned reference CPython
/// expects. On failure `obj` must be NULL.
#[inline(never)]
unsafe fn call_getbufferproc(
    ctx: *mut HPyContext,
    func: unsafe extern "C" fn(),
    args: *mut c_void,
) {
    // SAFETY: as in ctx_CallRealFunctionFromTrampoline, for this signature;
    // `view` is CPython's Py_buffer, which HPy_buffer mirrors field by field.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_GETBUFFERPROC>();
        let f: FnGetbuffer = cast_fn(func);
        let view = a.view.cast::<HPy_buffer>();
        a.result = f(ctx, h(a.self_), view, a.flags);
        if a.result < 0 && !view.is_null() {
            (*view).obj = HPy_NULL;
        }
    }
}

/// `HPyFunc_TRAVERSEPROC`: see `traverse`.
#[inline(never)]
unsafe fn call_traverseproc(func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: as in ctx_CallRealFunctionFromTrampoline, for this signature.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_TRAVERSEPROC>();
        let f: FnTraverse = cast_fn(func);
        a.result = traverse(f, a.self_.cast(), a.visit, a.arg);
    }
}

/// `HPyFunc_CAPSULE_DESTRUCTOR`: `args` is the capsule being destroyed.
#[inline(never)]
unsafe fn call_capsule_destructor(func: unsafe extern "C" fn(), args: *mut c_void) {
    let capsule = args.cast::<ffi::PyObject>();
    // SAFETY: the capsule trampoline passes the live capsule and the
    // extension's destructor, which takes its name, pointer and context.
    unsafe {
        let f: FnCapsuleDestructor = cast_fn(func);
        let name = ffi::PyCapsule_GetName(capsule);
        let pointer = ffi::PyCapsule_GetPointer(capsule, name);
        let context = ffi::PyCapsule_GetContext(capsule);
        f(name, pointer, context);
    }
}

/// `HPyFunc_MOD_CREATE`: the `HPy_mod_create` slot. HPy 0.9 cannot yet make
/// real module objects from it: returning one is an error.
#[inline(never)]
unsafe fn call_mod_create(ctx: *mut HPyContext, func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: as in ctx_CallRealFunctionFromTrampoline, for this signature;
    // the result is null or a new reference, which is dropped if refused.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_MOD_CREATE>();
        let f: FnUnary = cast_fn(func);
        let result = h2py(f(ctx, h(a.spec)));
        if !result.is_null() && ffi::PyModule_Check(result) != 0 {
            ffi::Py_DECREF(result);
            ffi::PyErr_SetString(
                ffi::PyExc_SystemError,
                c"HPy_mod_create slot returned a builtin module object. This is currently not supported."
                    .as_ptr(),
            );
            a.result = ptr::null_mut();
        } else {
            a.result = result.cast();
        }
    }
}

/// The handle of an object pointer passed in by CPython.
#[inline(always)]
fn h(obj: *mut cpy_PyObject) -> HPy {
    py2h(obj.cast())
}

/// The object pointer returned to CPython for a handle.
#[inline(always)]
fn res(handle: HPy) -> *mut cpy_PyObject {
    h2py(handle).cast()
}

/// Calls an HPy traverse function on the C struct of `obj` with an adapter
/// from HPy's visitor to CPython's (hpy-core's, shared with the CPython ABI;
/// it also visits the type and the built-in base's references).
unsafe fn traverse(f: FnTraverse, obj: Obj, visit: cpy_visitproc, arg: *mut c_void) -> c_int {
    let Some(visit) = visit else { return 0 };
    // SAFETY: `obj` is an instance of an HPy type whose tp_traverse is this
    // trampoline.
    unsafe { hpy_core::call_traverse(f, obj.cast(), visit, arg) }
}

#[cold]
unsafe fn null_function(sig: HPyFunc_Signature) {
    // SAFETY: called with the GIL held, like every context function.
    unsafe {
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            c"HPy: a trampoline of signature %d was called with a NULL function".as_ptr(),
            sig as c_int,
        );
    }
}

#[cold]
unsafe fn unknown_signature(sig: HPyFunc_Signature) {
    // SAFETY: called with the GIL held, like every context function.
    unsafe {
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            c"HPy: unsupported HPyFunc_Signature %d in _HPy_CallRealFunctionFromTrampoline"
                .as_ptr(),
            sig as c_int,
        );
    }
}
