//! The thunk pools of type slots: C functions that CPython can call as a
//! slot of an HPy type (`sq_length`, `nb_add`, `tp_richcompare`, `tp_new`
//! ...) and that call the slot's HPy function directly, without the
//! extension's trampoline and `ctx_CallRealFunctionFromTrampoline`.
//!
//! It works as the method pools of method_call/thunks.rs (whose `Pool` it
//! uses): one pool per C shape of slot function, thunk `I` of a shape reads
//! slot `I` of its pool (the HPy function and its context) and calls the
//! HPy function with CPython's arguments as they are (a universal handle is
//! the object pointer). A slot is keyed by the HPy function, the context
//! and the define's trampoline, so the same type made again (its extension
//! loaded again, or a type made twice from one spec) gets the same thunks.
//! When a shape's pool is used up, `take` returns None and the slot keeps
//! its trampoline, which is just as correct.
//!
//! The environment variable `HPY_RS_SLOT_THUNKS`, read once, lowers the
//! number of thunks each shape hands out (for tests of a used-up pool).
//!
//! Several HPy signatures share one C shape (`HPyFunc_UNARYFUNC` and
//! `HPyFunc_REPRFUNC`: `PyObject *(*)(PyObject *)`; `HPyFunc_LENFUNC` and
//! `HPyFunc_HASHFUNC`: `Py_ssize_t (*)(PyObject *)`, `Py_hash_t` being
//! `Py_ssize_t`), so they share a pool. `HPyFunc_NEWFUNC` and
//! `HPyFunc_INITPROC` pass the items of CPython's argument tuple in place,
//! as the dispatcher does; the `tp_new` thunk also checks the type of what
//! the HPy function returns, as hpy-core's `hpy_tp_new` (which it replaces)
//! does.

#![allow(non_upper_case_globals)]

use core::ffi::{c_int, c_void};
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::handles::{h2py, py2h};
use crate::method_call::thunks::{read_limit, slot, unfilled, Pool};
use crate::python::Gil;

type Obj = *mut ffi::PyObject;
type Ctx = *mut HPyContext;

/// The C shapes of the slot functions that have thunks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SlotShape {
    /// `PyObject *(PyObject *)`: `HPyFunc_UNARYFUNC`, `HPyFunc_REPRFUNC`.
    Unary,
    /// `PyObject *(PyObject *, PyObject *)`: `HPyFunc_BINARYFUNC`.
    Binary,
    /// `PyObject *(PyObject *, PyObject *, PyObject *)`: `HPyFunc_TERNARYFUNC`.
    Ternary,
    /// `int (PyObject *)`: `HPyFunc_INQUIRY`.
    Inquiry,
    /// `Py_ssize_t (PyObject *)`: `HPyFunc_LENFUNC`, `HPyFunc_HASHFUNC`.
    Len,
    /// `PyObject *(PyObject *, Py_ssize_t)`: `HPyFunc_SSIZEARGFUNC`.
    SsizeArg,
    /// `int (PyObject *, Py_ssize_t, PyObject *)`: `HPyFunc_SSIZEOBJARGPROC`.
    SsizeObjArg,
    /// `int (PyObject *, PyObject *, PyObject *)`: `HPyFunc_OBJOBJARGPROC`.
    ObjObjArg,
    /// `int (PyObject *, PyObject *)`: `HPyFunc_OBJOBJPROC`.
    ObjObj,
    /// `PyObject *(PyObject *, PyObject *, int)`: `HPyFunc_RICHCMPFUNC`.
    RichCmp,
    /// `tp_new`: `HPyFunc_NEWFUNC`, with the check of the result's type.
    New,
    /// `tp_init`: `HPyFunc_INITPROC`.
    Init,
}

impl SlotShape {
    /// The shape of the slot functions of signature `sig`; None for the
    /// signatures that keep their trampolines (buffers, traverse, destroy,
    /// finalize, call).
    pub fn of(sig: HPyFunc_Signature) -> Option<SlotShape> {
        Some(match sig {
            HPyFunc_UNARYFUNC | HPyFunc_REPRFUNC => SlotShape::Unary,
            HPyFunc_BINARYFUNC => SlotShape::Binary,
            HPyFunc_TERNARYFUNC => SlotShape::Ternary,
            HPyFunc_INQUIRY => SlotShape::Inquiry,
            HPyFunc_LENFUNC | HPyFunc_HASHFUNC => SlotShape::Len,
            HPyFunc_SSIZEARGFUNC => SlotShape::SsizeArg,
            HPyFunc_SSIZEOBJARGPROC => SlotShape::SsizeObjArg,
            HPyFunc_OBJOBJARGPROC => SlotShape::ObjObjArg,
            HPyFunc_OBJOBJPROC => SlotShape::ObjObj,
            HPyFunc_RICHCMPFUNC => SlotShape::RichCmp,
            HPyFunc_NEWFUNC => SlotShape::New,
            HPyFunc_INITPROC => SlotShape::Init,
            _ => return None,
        })
    }
}

// The function types above have the size of a data pointer (the slots keep
// them as `*mut c_void`), as do `Py_hash_t` and `Py_ssize_t` one of another.
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<HPyFunc_unaryfunc>() == size_of::<*mut c_void>());
    assert!(size_of::<HPyFunc_newfunc>() == size_of::<*mut c_void>());
    assert!(size_of::<HPy_hash_t>() == size_of::<HPy_ssize_t>());
};

/// Thunks per shape, as `ROWS` rows of 32 (the tables below list the rows).
/// Each index of a pool costs about 100 bytes of the .so (bench/README.md);
/// binary slots (the number protocol) are the most common.
const COLS: usize = 32;
const SMALL: usize = 64;
const LARGE: usize = 128;

/// `HPY_RS_SLOT_THUNKS`, once read.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

static UNARY: Pool<LARGE> = Pool::new();
static BINARY: Pool<LARGE> = Pool::new();
static TERNARY: Pool<SMALL> = Pool::new();
static INQUIRY: Pool<SMALL> = Pool::new();
static LEN: Pool<LARGE> = Pool::new();
static SSIZEARG: Pool<SMALL> = Pool::new();
static SSIZEOBJARG: Pool<SMALL> = Pool::new();
static OBJOBJARG: Pool<SMALL> = Pool::new();
static OBJOBJ: Pool<SMALL> = Pool::new();
static RICHCMP: Pool<SMALL> = Pool::new();
static NEW: Pool<SMALL> = Pool::new();
static INIT: Pool<SMALL> = Pool::new();

/// A thunk of `shape` that calls `impl_` with `ctx`, to replace the
/// trampoline `trampoline` of a slot define of a signature of that shape;
/// None when the shape's pool is used up.
///
/// # Safety
/// `impl_` has the C type of `shape`'s HPy functions and `trampoline` calls
/// it (the two of one `HPyDef_SLOT`); `ctx` lives forever and its handles
/// are object pointers (universal, hybrid or trace context).
pub unsafe fn take(
    shape: SlotShape,
    impl_: unsafe extern "C" fn(),
    trampoline: *mut c_void,
    ctx: Ctx,
) -> Option<*mut c_void> {
    let limit = read_limit(&LIMIT, "HPY_RS_SLOT_THUNKS");
    let f = impl_ as *mut c_void;
    // `find_or_fill` returns an index below the pool's size, whose thunk
    // the table has (the lookups cannot panic either way).
    fn at<const R: usize>(table: &[[*const (); COLS]; R], i: usize) -> Option<*mut c_void> {
        table
            .get(i / COLS)?
            .get(i % COLS)
            .map(|p| p.cast_mut().cast())
    }
    match shape {
        SlotShape::Unary => at(&T_UNARY.0, UNARY.find_or_fill(limit, f, ctx, trampoline)?),
        SlotShape::Binary => at(&T_BINARY.0, BINARY.find_or_fill(limit, f, ctx, trampoline)?),
        SlotShape::Ternary => at(
            &T_TERNARY.0,
            TERNARY.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::Inquiry => at(
            &T_INQUIRY.0,
            INQUIRY.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::Len => at(&T_LEN.0, LEN.find_or_fill(limit, f, ctx, trampoline)?),
        SlotShape::SsizeArg => at(
            &T_SSIZEARG.0,
            SSIZEARG.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::SsizeObjArg => at(
            &T_SSIZEOBJARG.0,
            SSIZEOBJARG.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::ObjObjArg => at(
            &T_OBJOBJARG.0,
            OBJOBJARG.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::ObjObj => at(&T_OBJOBJ.0, OBJOBJ.find_or_fill(limit, f, ctx, trampoline)?),
        SlotShape::RichCmp => at(
            &T_RICHCMP.0,
            RICHCMP.find_or_fill(limit, f, ctx, trampoline)?,
        ),
        SlotShape::New => {
            let i = NEW.find_or_fill(limit, f, ctx, trampoline)?;
            let entry = NEW_CALLS.get(i)?;
            // The context before the function (Release): a thunk that sees
            // the function sees its context.
            entry.ctx.store(ctx, Ordering::Relaxed);
            entry.f.store(f, Ordering::Release);
            at(&T_NEW.0, i)
        }
        SlotShape::Init => at(&T_INIT.0, INIT.find_or_fill(limit, f, ctx, trampoline)?),
    }
}

// ~~~ the thunks ~~~
//
// Safety contract of every thunk: it is called as the slot function it was
// taken for (`take`), with the GIL and the arguments of that slot's C
// type. Like the trampolines, thunks do not count C recursion: CPython's
// callers of slots do it where they would for a C-API type. Each ends with
// a tail call of the HPy function (or of the cold error function when its
// slot is free, which `take` makes impossible); `tp_new`'s checks the
// result first.

/// The result of a thunk of an `int`-returning slot whose pool slot is free:
/// -1 with SystemError.
#[cold]
#[inline(never)]
fn unfilled_int(gil: Gil) -> c_int {
    unfilled(gil);
    core::hint::black_box(-1)
}

/// As `unfilled_int`, for `Py_ssize_t` results.
#[cold]
#[inline(never)]
fn unfilled_ssize(gil: Gil) -> ffi::Py_ssize_t {
    unfilled(gil);
    core::hint::black_box(-1)
}

/// The items of CPython's argument tuple in place, as handles, and their
/// count (NULL gives none).
///
/// # Safety
/// `args` is NULL or a live tuple (or tuple subclass).
#[inline(always)]
unsafe fn tuple_items(args: Obj) -> (*const HPy, HPy_ssize_t) {
    if args.is_null() {
        return (ptr::null(), 0);
    }
    // SAFETY: a live tuple's items are stored inline after its header.
    unsafe {
        let items = ptr::addr_of!((*args.cast::<ffi::PyTupleObject>()).ob_item);
        (items.cast::<HPy>(), ffi::PyTuple_GET_SIZE(args))
    }
}

/// Defines the thunk function `$name::<I>` of a pool: it fetches the slot's
/// HPy function (of type `$fty`) and context, or returns `$unfilled`, and
/// evaluates `$call` with them bound to `f` and `ctx`.
macro_rules! thunk {
    ($name:ident, $pool:ident, $n:ident, $fty:ty, ($($arg:ident: $aty:ty),*) -> $ret:ty,
     $unfilled:ident, |$f:ident, $ctx:ident| $call:expr) => {
        unsafe extern "C" fn $name<const I: usize>($($arg: $aty),*) -> $ret {
            // SAFETY: CPython calls a slot function with the GIL.
            let gil = unsafe { Gil::assume() };
            // SAFETY: the pool holds HPy functions of this C type (`take`).
            let Some(($f, $ctx)) = (unsafe { slot::<I, $n, $fty>(&$pool) }) else {
                return $unfilled(gil);
            };
            // SAFETY: the HPy function with its context and CPython's
            // arguments (live objects, borrowed as handles are).
            unsafe { $call }
        }
    };
}

thunk!(thunk_unary, UNARY, LARGE, HPyFunc_unaryfunc, (a: Obj) -> Obj, unfilled,
    |f, ctx| h2py(f(ctx, py2h(a))));
thunk!(thunk_binary, BINARY, LARGE, HPyFunc_binaryfunc, (a: Obj, b: Obj) -> Obj, unfilled,
    |f, ctx| h2py(f(ctx, py2h(a), py2h(b))));
thunk!(thunk_ternary, TERNARY, SMALL, HPyFunc_ternaryfunc, (a: Obj, b: Obj, c: Obj) -> Obj,
    unfilled, |f, ctx| h2py(f(ctx, py2h(a), py2h(b), py2h(c))));
thunk!(thunk_inquiry, INQUIRY, SMALL, HPyFunc_inquiry, (a: Obj) -> c_int, unfilled_int,
    |f, ctx| f(ctx, py2h(a)));
thunk!(thunk_len, LEN, LARGE, HPyFunc_lenfunc, (a: Obj) -> ffi::Py_ssize_t, unfilled_ssize,
    |f, ctx| f(ctx, py2h(a)));
thunk!(thunk_ssizearg, SSIZEARG, SMALL, HPyFunc_ssizeargfunc,
    (a: Obj, i: ffi::Py_ssize_t) -> Obj, unfilled,
    |f, ctx| h2py(f(ctx, py2h(a), i)));
thunk!(thunk_ssizeobjarg, SSIZEOBJARG, SMALL, HPyFunc_ssizeobjargproc,
    (a: Obj, i: ffi::Py_ssize_t, b: Obj) -> c_int, unfilled_int,
    |f, ctx| f(ctx, py2h(a), i, py2h(b)));
thunk!(thunk_objobjarg, OBJOBJARG, SMALL, HPyFunc_objobjargproc,
    (a: Obj, b: Obj, c: Obj) -> c_int, unfilled_int,
    |f, ctx| f(ctx, py2h(a), py2h(b), py2h(c)));
thunk!(thunk_objobj, OBJOBJ, SMALL, HPyFunc_objobjproc, (a: Obj, b: Obj) -> c_int,
    unfilled_int, |f, ctx| f(ctx, py2h(a), py2h(b)));
// CPython's op is an int, HPy's an HPy_RichCmpOp (a C enum: an int, same values).
thunk!(thunk_richcmp, RICHCMP, SMALL, HPyFunc_richcmpfunc, (a: Obj, b: Obj, op: c_int) -> Obj,
    unfilled, |f, ctx| h2py(f(ctx, py2h(a), py2h(b), op as HPy_RichCmpOp)));
thunk!(thunk_init, INIT, SMALL, HPyFunc_initproc, (s: Obj, args: Obj, kw: Obj) -> c_int,
unfilled_int, |f, ctx| {
    // `args` is CPython's argument tuple (NULL from careless C code).
    let (items, n) = tuple_items(args);
    f(ctx, py2h(s), items, n, py2h(kw))
});

/// The HPy function and context of each `tp_new` thunk, beside the `NEW`
/// pool (which keys them): a free entry holds `new_unfilled`, so that the
/// thunk (on the path of every instance creation) calls its function
/// without testing it first.
struct NewCall {
    f: AtomicPtr<c_void>,
    ctx: AtomicPtr<HPyContext>,
}

static NEW_CALLS: [NewCall; SMALL] = [const {
    NewCall {
        f: AtomicPtr::new(new_unfilled as *mut c_void),
        ctx: AtomicPtr::new(ptr::null_mut()),
    }
}; SMALL];

/// The function of a free `NEW_CALLS` entry (never called: `take` fills an
/// entry before it hands out its thunk): SystemError.
unsafe extern "C" fn new_unfilled(
    _ctx: Ctx,
    _cls: HPy,
    _args: *const HPy,
    _nargs: HPy_ssize_t,
    _kw: HPy,
) -> HPy {
    // SAFETY: only thunk_new calls it, as a slot function (the GIL).
    py2h(unfilled(unsafe { Gil::assume() }))
}

/// `tp_new` thunk number `I` (contract of the thunks above); it also checks
/// the type of the result, as hpy-core's `hpy_tp_new` does.
unsafe extern "C" fn thunk_new<const I: usize>(
    t: *mut ffi::PyTypeObject,
    args: Obj,
    kw: Obj,
) -> Obj {
    const { assert!(I < SMALL) };
    // In bounds (checked above at compile time), so no check is left.
    let Some(entry) = NEW_CALLS.get(I) else {
        // SAFETY: CPython calls a slot function with the GIL.
        return unfilled(unsafe { Gil::assume() });
    };
    let f = entry.f.load(Ordering::Acquire);
    let ctx = entry.ctx.load(Ordering::Relaxed);
    // SAFETY: `f` is `new_unfilled` or an HPy function of this C type that
    // `take` stored (non-NULL function pointers of a data pointer's size).
    let f = unsafe { core::mem::transmute::<*mut c_void, HPyFunc_newfunc>(f) };
    // SAFETY: `args` is CPython's argument tuple (or NULL); the call is the
    // HPy function with its context and CPython's arguments as handles.
    unsafe {
        let (items, n) = tuple_items(args);
        let result = h2py(f(ctx, py2h(t.cast()), items, n, py2h(kw)));
        // an instance of `t` exactly (the common case) needs no check
        if result.is_null() || ffi::Py_TYPE(result) == t {
            result
        } else {
            hpy_core::check_new_result(t.cast(), result.cast()).cast()
        }
    }
}

// ~~~ the tables of thunks ~~~

/// A table of thunk addresses, `R` rows of `COLS`. (Type-erased: `take`
/// hands the address to a slot of the right C type.)
struct Table<const R: usize>([[*const (); COLS]; R]);

// SAFETY: the table holds addresses of functions, never written.
unsafe impl<const R: usize> Sync for Table<R> {}

/// `Table([[THUNK::<ROW * COLS + COL> as *const (); COLS], ...])` for the
/// listed rows.
macro_rules! table {
    ($thunk:ident; $($row:literal)*) => {
        Table([$(table!(@row $thunk; $row;
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
            16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)),*])
    };
    (@row $thunk:ident; $row:literal; $($col:literal)*) => {
        [$($thunk::<{ $row * COLS + $col }> as *const ()),*]
    };
}

// Rows: SMALL = 2 of 32, LARGE = 4 (the types check the counts).
static T_UNARY: Table<{ LARGE / COLS }> = table!(thunk_unary; 0 1 2 3);
static T_BINARY: Table<{ LARGE / COLS }> = table!(thunk_binary; 0 1 2 3);
static T_TERNARY: Table<{ SMALL / COLS }> = table!(thunk_ternary; 0 1);
static T_INQUIRY: Table<{ SMALL / COLS }> = table!(thunk_inquiry; 0 1);
static T_LEN: Table<{ LARGE / COLS }> = table!(thunk_len; 0 1 2 3);
static T_SSIZEARG: Table<{ SMALL / COLS }> = table!(thunk_ssizearg; 0 1);
static T_SSIZEOBJARG: Table<{ SMALL / COLS }> = table!(thunk_ssizeobjarg; 0 1);
static T_OBJOBJARG: Table<{ SMALL / COLS }> = table!(thunk_objobjarg; 0 1);
static T_OBJOBJ: Table<{ SMALL / COLS }> = table!(thunk_objobj; 0 1);
static T_RICHCMP: Table<{ SMALL / COLS }> = table!(thunk_richcmp; 0 1);
static T_NEW: Table<{ SMALL / COLS }> = table!(thunk_new; 0 1);
static T_INIT: Table<{ SMALL / COLS }> = table!(thunk_init; 0 1);
