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

// `SlotShape` (one pool per C shape) and `SlotShape::of` (the shape of each
// HPyFunc signature), generated from the `thunk` lines of
// api/signatures.api.
include!("autogen_slot_shapes.rs");

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
    let (i, thunk) = fill(shape, limit, impl_ as *mut c_void, ctx, trampoline)?;
    if shape == SlotShape::New {
        let entry = NEW_CALLS.get(i)?;
        // The context before the function (Release): a thunk that sees the
        // function sees its context.
        entry.ctx.store(ctx, Ordering::Relaxed);
        entry.f.store(impl_ as *mut c_void, Ordering::Release);
    }
    Some(thunk)
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

/// The pools and thunk tables of the shapes, one line each: `SHAPE: POOL,
/// SIZE, THUNK, [ROWS]` declares the pool `POOL` of `SIZE` slots and its
/// table of `THUNK::<I>` (`ROWS` rows of `COLS`, which the types check
/// against `SIZE`), and `fill`, which takes a slot of a shape's pool and
/// gives its thunk (a `match` over every `SlotShape`).
macro_rules! pools {
    ($($shape:ident: $pool:ident, $n:ident, $thunk:ident, [$($row:literal)*];)*) => {
        $(
            static $pool: Pool<$n> = Pool::new();
        )*
        /// The index of the slot of `shape`'s pool for the HPy function
        /// `f` (see `Pool::find_or_fill`) and the address of its thunk; None
        /// when the pool is used up.
        fn fill(
            shape: SlotShape,
            limit: usize,
            f: *mut c_void,
            ctx: Ctx,
            trampoline: *mut c_void,
        ) -> Option<(usize, *mut c_void)> {
            // `find_or_fill` returns an index below the pool's size, whose
            // thunk the table has (the lookups cannot panic either way).
            fn at<const R: usize>(table: &Table<R>, i: usize) -> Option<*mut c_void> {
                table.0.get(i / COLS)?.get(i % COLS).map(|p| p.cast_mut().cast())
            }
            match shape {
                $(SlotShape::$shape => {
                    static TABLE: Table<{ $n / COLS }> = table!($thunk; $($row)*);
                    let i = $pool.find_or_fill(limit, f, ctx, trampoline)?;
                    Some((i, at(&TABLE, i)?))
                })*
            }
        }
    };
}

// SMALL = 2 rows of 32, LARGE = 4.
pools! {
    Unary: UNARY, LARGE, thunk_unary, [0 1 2 3];
    Binary: BINARY, LARGE, thunk_binary, [0 1 2 3];
    Ternary: TERNARY, SMALL, thunk_ternary, [0 1];
    Inquiry: INQUIRY, SMALL, thunk_inquiry, [0 1];
    Len: LEN, LARGE, thunk_len, [0 1 2 3];
    SsizeArg: SSIZEARG, SMALL, thunk_ssizearg, [0 1];
    SsizeObjArg: SSIZEOBJARG, SMALL, thunk_ssizeobjarg, [0 1];
    ObjObjArg: OBJOBJARG, SMALL, thunk_objobjarg, [0 1];
    ObjObj: OBJOBJ, SMALL, thunk_objobj, [0 1];
    RichCmp: RICHCMP, SMALL, thunk_richcmp, [0 1];
    New: NEW, SMALL, thunk_new, [0 1];
    Init: INIT, SMALL, thunk_init, [0 1];
}
