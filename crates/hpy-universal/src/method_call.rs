//! The direct call path of module functions: calling an `HPyDef_METH`
//! function of a loaded module without its trampoline.
//!
//! CPython calls a builtin function through the `vectorcall` pointer of its
//! `PyCFunctionObject` (a call from Python code, `PyObject_Call` with a
//! tuple, `functools.partial`, `map` ...). For a function of an HPy module
//! that pointer first leads to CPython's generic vectorcall for the method's
//! flags, which calls the extension's trampoline, which packs the arguments
//! and calls `ctx_CallRealFunctionFromTrampoline`, which finally calls the
//! HPy function: two indirect calls more than a C-API function.
//!
//! After the module is created, `install` gives each of its HPy methods a
//! vectorcall of our own that calls the HPy function itself. The function
//! object's `m_ml` is switched to a `MethodRecord`: a copy of its
//! `PyMethodDef` (same name, flags and doc, so that `__name__`, `__doc__`,
//! `__text_signature__`, `repr` and pickling do not change) followed by what
//! the direct call needs. The vectorcall checks
//! the shape of the call; a call that is not valid for the signature (wrong
//! count, keywords where none are taken) is handed to the function's
//! original vectorcall, which raises CPython's own TypeError.
//!
//! Calls that do not go through `vectorcall` call `ml_meth`: CPython 3.11+
//! specializes call sites of METH_O and METH_FASTCALL functions to call it
//! directly, and C code may do the same. In the record, `ml_meth` is a
//! thunk of the pool of method_call/thunks.rs, which calls the HPy function
//! directly too; once the pool is used up it stays the trampoline, which
//! works just as well, through `ctx_CallRealFunctionFromTrampoline`. The
//! flags do not change, so CPython still specializes the call sites. Each
//! define has a thunk of its own, so that CPython's equality and hash of
//! builtin functions (`__self__` and `ml_meth`) tell functions apart as
//! they do with trampolines.
//!
//! Each mode has its own four vectorcall functions (`DirectCalls`): a
//! universal handle is the object pointer, so the universal ones (also
//! those of trace mode, whose handles are universal) pass CPython's
//! argument array as it is; debug mode opens a debug handle for each
//! argument in its own (the debug direct calls below), and keeps the
//! trampoline in `ml_meth`.

#![allow(non_upper_case_globals)]

use core::ffi::{c_int, c_void};
use core::ptr;

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::context::Mode;
use crate::debug::dispatch as debug;
use crate::handles::{h2py, py2h};
use crate::python::{Gil, PY_VECTORCALL_ARGUMENTS_OFFSET};

pub(crate) mod thunks;

use thunks::Shape;

type Obj = *mut ffi::PyObject;
type Ctx = *mut HPyContext;

/// What the direct vectorcall of one function needs; the function object's
/// `m_ml` points to `def`, its first member. `install` allocates the records
/// of a module in one array that the module owns (hpy-core's
/// `attach_to_module`): it is freed with the module's definition, when the
/// module dies, which is after the last of its functions (each holds the
/// module in `m_self`), so a record lives as long as its function object.
#[repr(C)]
struct MethodRecord {
    /// A copy of the function's `PyMethodDef`: CPython reads the name, doc,
    /// flags and C function from here. The C function is a thunk of
    /// method_call/thunks.rs (the trampoline when none was left).
    def: ffi::PyMethodDef,
    /// The HPy function (`HPyMeth.impl`), of the C type of the signature.
    impl_: unsafe extern "C" fn(),
    /// The context the module was loaded with.
    ctx: Ctx,
    /// The function's vectorcall before `install` (CPython's for its flags),
    /// for calls of the wrong shape.
    original: ffi::vectorcallfunc,
}

/// The vectorcall functions of one mode, one per method signature, and
/// whether the thunks of method_call/thunks.rs (which take universal handles)
/// may replace the trampoline in `ml_meth`.
pub struct DirectCalls {
    noargs: ffi::vectorcallfunc,
    o: ffi::vectorcallfunc,
    varargs: ffi::vectorcallfunc,
    keywords: ffi::vectorcallfunc,
    thunks: bool,
}

impl DirectCalls {
    /// The vectorcall for methods of signature `sig`, and the `ml_flags`
    /// that such a method has (see hpy-core's module.rs).
    fn for_signature(&self, sig: HPyFunc_Signature) -> Option<(ffi::vectorcallfunc, c_int, Shape)> {
        match sig {
            HPyFunc_NOARGS => Some((self.noargs, ffi::METH_NOARGS, Shape::Noargs)),
            HPyFunc_O => Some((self.o, ffi::METH_O, Shape::O)),
            HPyFunc_VARARGS => Some((self.varargs, ffi::METH_FASTCALL, Shape::Varargs)),
            HPyFunc_KEYWORDS => Some((
                self.keywords,
                ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
                Shape::Keywords,
            )),
            _ => None,
        }
    }

    /// Whether `f` is one of these functions.
    fn contains(&self, f: ffi::vectorcallfunc) -> bool {
        let f = f as usize;
        [self.noargs, self.o, self.varargs, self.keywords]
            .iter()
            .any(|&g| g as usize == f)
    }
}

/// Universal and hybrid modules: a handle is the object pointer.
static UNIVERSAL: DirectCalls = DirectCalls {
    noargs: universal_noargs,
    o: universal_o,
    varargs: universal_varargs,
    keywords: universal_keywords,
    thunks: true,
};

/// Debug modules: each argument becomes a debug handle for the call
/// (the debug direct calls below); `ml_meth` keeps the trampoline.
static DEBUG: DirectCalls = DirectCalls {
    noargs: debug_noargs,
    o: debug_o,
    varargs: debug_varargs,
    keywords: debug_keywords,
    thunks: false,
};

/// The direct calls of a mode; None where the mode has none (its modules'
/// functions keep calling through their trampolines).
pub fn for_mode(mode: Mode) -> Option<&'static DirectCalls> {
    match mode {
        // a trace handle is the universal one: only the context differs,
        // and the record passes the module's own
        Mode::Universal | Mode::Trace => Some(&UNIVERSAL),
        Mode::Debug => Some(&DEBUG),
    }
}

/// Gives every `HPyDef_METH` function of `module`, made from `def` with the
/// context `ctx`, the direct vectorcall of `calls`. A module attribute that
/// is not that define's function (not a builtin function, another trampoline
/// or `self`, already switched, replaced by an exec slot ...) is left alone,
/// as is everything when `module` is not a module (`HPy_mod_create`). Never
/// fails: a function that cannot be switched (no memory) keeps its
/// trampoline path; no exception is left set.
///
/// # Safety
/// `module` is a live object just created from `def` (static data of an
/// extension that is never unloaded) by `hpy_core::module_from_spec` with
/// the context `ctx`, which lives forever.
pub unsafe fn install(
    gil: Gil,
    module: Obj,
    def: *const HPyModuleDef,
    ctx: Ctx,
    calls: &'static DirectCalls,
) {
    // SAFETY: with the GIL; `module` is live.
    if def.is_null() || unsafe { ffi::PyModule_Check(module) } == 0 {
        return;
    }
    // SAFETY: a module object: its dict is a borrowed reference that lives
    // as long as the module.
    let dict = unsafe { ffi::PyModule_GetDict(module) };
    if dict.is_null() {
        return;
    }
    // SAFETY: `def` is a valid HPyModuleDef; `defines` is NULL or a
    // NULL-terminated array of live HPyDefs (hpy-core checked it to create
    // the module).
    let defines = unsafe { (*def).defines };
    // SAFETY: as just said.
    let n_methods = unsafe { method_defines(defines) }.count();
    if n_methods == 0 {
        return;
    }
    // One record per method define, in one block that the module owns.
    let Some(size) = n_methods.checked_mul(core::mem::size_of::<MethodRecord>()) else {
        return;
    };
    // SAFETY: with the GIL (PyMem_Malloc's domain, which hpy-core frees the
    // attachment with).
    let records = unsafe { ffi::PyMem_Malloc(size) }.cast::<MethodRecord>();
    if records.is_null() {
        // (PyMem_Malloc sets no exception)
        return;
    }
    // SAFETY: with the GIL; `module` is live and `records` comes from
    // PyMem_Malloc; once attached, only the module frees it.
    if !unsafe { hpy_core::attach_to_module(gil, module.cast(), records.cast()) } {
        // SAFETY: not attached, so still ours alone.
        unsafe { ffi::PyMem_Free(records.cast()) };
        return;
    }
    // SAFETY: as above.
    for (i, meth) in unsafe { method_defines(defines) }.enumerate() {
        // SAFETY: `i` < n_methods (the same walk), so the record is inside
        // the block; with the GIL; `dict` is the module's dict, `meth` a
        // define of `def`.
        unsafe { switch_method(gil, module, dict, meth, ctx, calls, records.add(i)) };
    }
}

/// The `HPyDef_METH` defines of `defines`, in order.
///
/// # Safety
/// `defines` is NULL or a NULL-terminated array of live `HPyDef`s (of an
/// extension that is never unloaded).
unsafe fn method_defines(defines: *mut *mut HPyDef) -> impl Iterator<Item = &'static HPyMeth> {
    let mut p = defines;
    core::iter::from_fn(move || loop {
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is inside the NULL-terminated array (the caller's
        // contract), not past its NULL.
        let d = unsafe { *p };
        if d.is_null() {
            p = ptr::null_mut();
            return None;
        }
        // SAFETY: the NULL was not reached yet, so the next entry exists.
        p = unsafe { p.add(1) };
        // SAFETY: a non-NULL entry is a live HPyDef of static data; the kind
        // says which member of the union is in use.
        unsafe {
            if (*d).kind == HPyDef_Kind_Meth {
                return Some(&(*d).u.meth);
            }
        }
    })
}

/// Switches the function of one method define, if it is in the module
/// unchanged (see `install`), to the record `record`.
///
/// # Safety
/// As for `install`; `dict` is the module's dict, `meth` a define of `def`,
/// `record` the define's slot (uninitialised) in the records that the
/// module owns.
unsafe fn switch_method(
    _gil: Gil,
    module: Obj,
    dict: Obj,
    meth: &HPyMeth,
    ctx: Ctx,
    calls: &'static DirectCalls,
    record: *mut MethodRecord,
) {
    let (Some(impl_), Some(trampoline)) = (meth.impl_, meth.cpy_trampoline) else {
        return;
    };
    let Some((vectorcall, flags, shape)) = calls.for_signature(meth.signature) else {
        return;
    };
    if meth.name.is_null() {
        return;
    }
    // SAFETY: with the GIL; `name` is NUL-terminated; the result is borrowed
    // (the dict keeps it alive) and lookup errors are swallowed (none is
    // pending: the module was just created).
    let obj = unsafe { ffi::PyDict_GetItemString(dict, meth.name) };
    // SAFETY: with the GIL; `obj` is NULL or live; PyCFunction_Type is static.
    if obj.is_null() || unsafe { ffi::PyCFunction_CheckExact(obj) } == 0 {
        return;
    }
    let func = obj.cast::<ffi::PyCFunctionObject>();
    // SAFETY: an exact builtin function (not a PyCMethodObject: those have
    // their own type), whose layout pyo3-ffi gives for this interpreter (the
    // same on 3.9–3.13); `m_ml` points to its live PyMethodDef. For
    // `thunks::take`: `impl_` and `trampoline` are the HPy function and the
    // trampoline of a define of signature `meth.signature` (the HPy function
    // of its C type, as the trampoline also assumes), and `calls.thunks` is
    // only set for the universal context, which lives forever (`install`'s
    // contract). `record` is room for one MethodRecord that lives as long as
    // the module, hence as long as the function (`install`).
    unsafe {
        let ml = (*func).m_ml;
        if ml.is_null()
            || (*func).m_self != module
            || (*ml).ml_flags != flags
            || (*ml).ml_meth.PyCFunction as usize != trampoline as usize
        {
            return;
        }
        let Some(original) = (*func).vectorcall else {
            return;
        };
        if calls.contains(original) {
            return;
        }
        let mut def = ptr::read(ml);
        if calls.thunks {
            // The thunk's slot is filled before the thunk can be called:
            // the record is not published yet.
            if let Some(thunk) = thunks::take(shape, impl_, trampoline as *mut c_void, ctx) {
                def.ml_meth = thunk;
            }
        }
        record.write(MethodRecord {
            def,
            impl_,
            ctx,
            original,
        });
        (*func).m_ml = ptr::addr_of_mut!((*record).def);
        (*func).vectorcall = Some(vectorcall);
    }
}

// ~~~ the direct calls ~~~
//
// Each checks the shape of the call and calls the HPy function within
// Py_EnterRecursiveCall, as CPython's own vectorcalls for builtin functions
// do, so that a runaway recursion through C raises RecursionError instead
// of overflowing the stack. Anything else goes to the original vectorcall,
// whose TypeError is CPython's. The record is read only after
// Py_EnterRecursiveCall, so that little lives across that call. `direct`
// is that frame, shared by both modes (inlined into each vectorcall: the
// code is what each would be written out); what differs is the body: the
// universal calls pass CPython's arguments in place (a universal handle is
// the object pointer), the debug calls open argument handles.

/// The record of a switched function, its context and its `self` handle.
///
/// # Safety
/// `callable` is a function object switched by `install` (only such objects
/// have our vectorcalls).
#[inline(always)]
unsafe fn record_of(callable: Obj) -> (*const MethodRecord, Ctx, HPy) {
    let func = callable.cast::<ffi::PyCFunctionObject>();
    // SAFETY: as documented: `m_ml` is the `def` member, first in the
    // record, which lives as long as the module; `m_self` is the module,
    // which the function object keeps alive.
    unsafe {
        let record = (*func).m_ml.cast_const().cast::<MethodRecord>();
        (record, (*record).ctx, py2h((*func).m_self))
    }
}

/// Hands a call of the wrong shape to the original vectorcall.
///
/// # Safety
/// The arguments of a vectorcall of the switched function `callable`.
#[cold]
#[inline(never)]
unsafe fn delegate(callable: Obj, args: *const Obj, nargsf: usize, kwnames: Obj) -> Obj {
    // SAFETY: the original vectorcall of this very function object, with the
    // arguments CPython passed.
    unsafe {
        let (record, _, _) = record_of(callable);
        ((*record).original)(callable, args, nargsf, kwnames)
    }
}

/// Py_EnterRecursiveCall, as CPython's vectorcalls of builtin functions call
/// it; true when the call may go ahead, false with RecursionError set. A
/// true result must be matched by `leave_recursive_call`.
#[inline(always)]
fn enter_recursive_call(_gil: Gil) -> bool {
    // SAFETY: with the GIL; the message is a static C string.
    unsafe { ffi::Py_EnterRecursiveCall(c" while calling a Python object".as_ptr()) == 0 }
}

/// Py_LeaveRecursiveCall after a successful `enter_recursive_call`.
///
/// # Safety
/// After a successful `enter_recursive_call` (CPython's recursion depth
/// would drift otherwise).
#[inline(always)]
unsafe fn leave_recursive_call(_gil: Gil) {
    // SAFETY: with the GIL, as documented.
    unsafe { ffi::Py_LeaveRecursiveCall() }
}

/// The frame of a direct call: the call is handed to the original
/// vectorcall unless `shape_ok`; else `body` gets the function's record,
/// the module's context, `self` and the count of positional arguments,
/// within Py_EnterRecursiveCall.
///
/// # Safety
/// The arguments of a vectorcall of a function object switched by
/// `install`, with the GIL.
#[inline(always)]
unsafe fn direct(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
    shape_ok: bool,
    body: impl FnOnce(Gil, *const MethodRecord, Ctx, HPy, usize) -> Obj,
) -> Obj {
    if !shape_ok {
        // SAFETY: our vectorcall's own arguments.
        return unsafe { delegate(callable, args, nargsf, kwnames) };
    }
    // SAFETY: CPython calls our vectorcalls with the GIL held (the token).
    let gil = unsafe { Gil::assume() };
    if !enter_recursive_call(gil) {
        return ptr::null_mut();
    }
    // SAFETY: the caller's contract: a switched function.
    let (record, ctx, self_) = unsafe { record_of(callable) };
    let result = body(
        gil,
        record,
        ctx,
        self_,
        nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET,
    );
    // SAFETY: after the successful enter_recursive_call above.
    unsafe { leave_recursive_call(gil) };
    result
}

/// Whether a vectorcall has `n` positional arguments and no keywords.
#[inline(always)]
fn exactly(nargsf: usize, kwnames: Obj, n: usize) -> bool {
    nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET == n && kwnames.is_null()
}

// ~~~ the universal direct calls ~~~

/// `HPyFunc_NOARGS`: no positional arguments, no keywords.
unsafe extern "C" fn universal_noargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    let ok = exactly(nargsf, kwnames, 0);
    // SAFETY: CPython calls this only for function objects switched by
    // `install` (their vectorcall), with the GIL and valid arguments; the
    // record's `impl_` has the C type of its signature.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |_, record, ctx, self_, _| {
                let f: HPyFunc_noargs = core::mem::transmute((*record).impl_);
                h2py(f(ctx, self_))
            },
        )
    }
}

/// `HPyFunc_O`: exactly one positional argument, no keywords.
unsafe extern "C" fn universal_o(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    let ok = exactly(nargsf, kwnames, 1);
    // SAFETY: as in universal_noargs; `args` has one item.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |_, record, ctx, self_, _| {
                let f: HPyFunc_o = core::mem::transmute((*record).impl_);
                h2py(f(ctx, self_, py2h(*args)))
            },
        )
    }
}

/// `HPyFunc_VARARGS`: any positional arguments, no keywords.
unsafe extern "C" fn universal_varargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    let ok = kwnames.is_null();
    // SAFETY: as in universal_noargs; `args` has `nargs` items, which are
    // the handles (handles.rs: same size and alignment).
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |_, record, ctx, self_, nargs| {
                let f: HPyFunc_varargs = core::mem::transmute((*record).impl_);
                h2py(f(ctx, self_, args.cast::<HPy>(), nargs))
            },
        )
    }
}

/// `HPyFunc_KEYWORDS`: anything; the HPy function checks the keywords.
unsafe extern "C" fn universal_keywords(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    // SAFETY: as in universal_varargs; `kwnames` is NULL or a tuple of str
    // whose values follow the positional arguments in `args`.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            true,
            |_, record, ctx, self_, nargs| {
                let f: HPyFunc_keywords = core::mem::transmute((*record).impl_);
                h2py(f(ctx, self_, args.cast::<HPy>(), nargs, py2h(kwnames)))
            },
        )
    }
}

// ~~~ the debug direct calls ~~~
//
// The direct calls of debug mode: the vectorcalls that `install` gives the
// module functions of a module loaded with a debug context. Each does, for
// one call, what the debug dispatcher does (the same functions:
// debug/dispatch.rs `call_noargs` ...), without the trampoline and
// CPython's generic vectorcall.
//
// `ml_meth` keeps the trampoline (no thunks: those pass universal handles),
// so a call site that CPython specializes goes through the dispatcher,
// which does the same work.

/// `HPyFunc_NOARGS`: no positional arguments, no keywords.
unsafe extern "C" fn debug_noargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    let ok = exactly(nargsf, kwnames, 0);
    // SAFETY: CPython calls this only for function objects switched by
    // `install` (their vectorcall) with a debug context, with the GIL and
    // valid arguments; the record's `impl_` has the C type of its
    // signature; `self_` is the live module (an object pointer).
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |gil, record, module_ctx, self_, _| {
                debug::call_noargs(gil, module_ctx, (*record).impl_, self_._i as Obj)
            },
        )
    }
}

/// `HPyFunc_O`: exactly one positional argument, no keywords.
unsafe extern "C" fn debug_o(callable: Obj, args: *const Obj, nargsf: usize, kwnames: Obj) -> Obj {
    let ok = exactly(nargsf, kwnames, 1);
    // SAFETY: as in debug_noargs; `args` has one live item.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |gil, record, module_ctx, self_, _| {
                debug::call_o(gil, module_ctx, (*record).impl_, self_._i as Obj, *args)
            },
        )
    }
}

/// `HPyFunc_VARARGS`: any positional arguments, no keywords.
unsafe extern "C" fn debug_varargs(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    let ok = kwnames.is_null();
    // SAFETY: as in debug_noargs; `args` has `nargs` live items.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            ok,
            |gil, record, module_ctx, self_, nargs| {
                let s = self_._i as Obj;
                debug::call_varargs(gil, module_ctx, (*record).impl_, s, args, nargs)
            },
        )
    }
}

/// `HPyFunc_KEYWORDS`: anything; the HPy function checks the keywords.
unsafe extern "C" fn debug_keywords(
    callable: Obj,
    args: *const Obj,
    nargsf: usize,
    kwnames: Obj,
) -> Obj {
    // SAFETY: as in debug_noargs; `kwnames` is NULL or a tuple of str whose
    // values follow the `nargs` positional arguments in `args`.
    unsafe {
        direct(
            callable,
            args,
            nargsf,
            kwnames,
            true,
            |gil, record, module_ctx, self_, nargs| {
                let s = self_._i as Obj;
                debug::call_keywords(gil, module_ctx, (*record).impl_, s, args, nargs, kwnames)
            },
        )
    }
}
