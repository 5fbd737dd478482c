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

use core::ffi::{c_int, c_void};
use core::ptr;

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::handles::{h2py, py2h};
use crate::python::PY_VECTORCALL_ARGUMENTS_OFFSET;

type Obj = *mut ffi::PyObject;

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

// `ctx_CallRealFunctionFromTrampoline`: one `match` on the signature, its
// arms generated from api/signatures.api; those of the signatures that need
// more than argument conversion call the `call_<sig>` functions below.
include!("autogen_trampoline_dispatch.rs");

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
        let f: HPyFunc_getbufferproc = cast_fn(func);
        let view = a.view.cast::<HPy_buffer>();
        a.result = f(ctx, h(a.self_), view, a.flags);
        if a.result < 0 && !view.is_null() {
            (*view).obj = HPy_NULL;
        }
    }
}

/// `HPyFunc_TRAVERSEPROC`: see `traverse`.
#[inline(never)]
unsafe fn call_traverseproc(
    _ctx: *mut HPyContext,
    func: unsafe extern "C" fn(),
    args: *mut c_void,
) {
    // SAFETY: as in ctx_CallRealFunctionFromTrampoline, for this signature.
    unsafe {
        let a = &mut *args.cast::<_HPyFunc_args_TRAVERSEPROC>();
        let f: HPyFunc_traverseproc = cast_fn(func);
        a.result = traverse(f, a.self_.cast(), a.visit, a.arg);
    }
}

/// `HPyFunc_CAPSULE_DESTRUCTOR`: `args` is the capsule being destroyed.
#[inline(never)]
unsafe fn call_capsule_destructor(
    _ctx: *mut HPyContext,
    func: unsafe extern "C" fn(),
    args: *mut c_void,
) {
    let capsule = args.cast::<ffi::PyObject>();
    // SAFETY: the capsule trampoline passes the live capsule and the
    // extension's destructor, which takes its name, pointer and context.
    unsafe {
        let f: HPyFunc_Capsule_Destructor = cast_fn(func);
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
        let f: HPyFunc_mod_create = cast_fn(func);
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

/// `HPyFunc_DESTROYFUNC`: no trampoline passes it (tp_destroy is called by
/// the type's tp_dealloc directly); `args` is the object's data.
#[inline(never)]
unsafe fn call_destroyfunc(_ctx: *mut HPyContext, func: unsafe extern "C" fn(), args: *mut c_void) {
    // SAFETY: the caller passes a tp_destroy implementation, which takes the
    // object's C struct.
    unsafe {
        let f: HPyFunc_destroyfunc = cast_fn(func);
        f(args);
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
unsafe fn traverse(
    f: HPyFunc_traverseproc,
    obj: Obj,
    visit: cpy_visitproc,
    arg: *mut c_void,
) -> c_int {
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
