//! The thunk pool: C functions that CPython can call as the `ml_meth` of a
//! switched module function and that call its HPy function directly.
//!
//! CPython 3.11+ specializes plain call sites (`f(x)`) of METH_O and
//! METH_FASTCALL builtins into a call of the `PyMethodDef`'s `ml_meth`
//! itself, not of the function object's vectorcall; C code that takes
//! `PyCFunction_GET_FUNCTION` does the same. For an HPy function `ml_meth`
//! is the extension's trampoline, which packs the arguments and goes
//! through `ctx_CallRealFunctionFromTrampoline`. A C function pointer
//! carries no data, so a function that calls one given HPy function with one
//! given context must be a function of its own: this module compiles
//! `POOL_SIZE` of them for each of the four method shapes (generic functions
//! `thunk_<shape>::<I>`, listed in the tables at the end). Thunk `I` of a
//! shape reads slot `I` of that shape's pool (the HPy function and its
//! context) and calls the HPy function with CPython's arguments as they are
//! (a universal handle is the object pointer): on x86-64, two loads, a test,
//! register moves and a tail jump.
//!
//! `take` fills the slots in order; a slot is never given back (a record of
//! method_call.rs that keeps the thunk in its `ml_meth` dies with its
//! module, but a thunk pointer may still be in a C caller's hands, and the
//! same define loaded again takes the same slot), so a filled slot never
//! changes, and no thunk can be in use while its slot is written. A define whose slot is already filled (the
//! same extension loaded again: same trampoline, HPy function and context)
//! gets the same thunk, which behaves the same, so loading a module again
//! and again does not use the pool up. When a shape's pool is used up,
//! `take` returns None and the function keeps its trampoline in `ml_meth`,
//! which is just as correct, only slower.
//!
//! The environment variable `HPY_RS_METHOD_THUNKS`, read once when the first
//! thunk is taken, can lower the number of thunks per shape that `take`
//! hands out (for tests of a used-up pool); it cannot raise it.
//!
//! Soundness of the slots: they are atomics. `take` reserves a slot with an
//! atomic counter, stores the context and the trampoline (Relaxed), then the
//! HPy function (Release); readers load the HPy function (Acquire), then the
//! rest (Relaxed). So whoever sees the HPy function also sees the context,
//! whatever synchronisation CPython provides; with the GIL, the thunk's
//! address reaches `ml_meth`, and the function object any other code, only
//! after the slot is filled anyway. A thunk whose slot is still free (which
//! that makes impossible) raises SystemError instead of calling NULL. On
//! x86-64 an Acquire load is a plain `mov`, as a Relaxed one; on AArch64 it
//! is an `ldar` instead of an `ldr`.

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::handles::{h2py, py2h};
use crate::python::Gil;

type Obj = *mut ffi::PyObject;
type Ctx = *mut HPyContext;

/// Thunks per shape. Each index (four thunks) costs about 800 bytes of the
/// .so: code, unwind tables, the tables of thunks and their relocations,
/// and symbols; 400 stripped (bench/README.md). A process rarely has more
/// than a few dozen module functions of one shape (the whole test suite,
/// in one process, uses 135 of one shape); past the pool they keep their
/// trampolines. To change it, change this and the row list of `all_rows!`.
pub const POOL_SIZE: usize = 256;

/// The tables of thunk pointers are `ROWS` arrays of `COLS` (so that the
/// macros below stay short).
const COLS: usize = 32;
const ROWS: usize = POOL_SIZE / COLS;
const _: () = assert!(ROWS * COLS == POOL_SIZE);

/// The environment variable that lowers the usable pool size.
const LIMIT_VAR: &str = "HPY_RS_METHOD_THUNKS";

// Slots keep function pointers as data pointers (`AtomicPtr<c_void>`).
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<HPyFunc_noargs>() == size_of::<*mut c_void>());
    assert!(size_of::<HPyFunc_o>() == size_of::<*mut c_void>());
    assert!(size_of::<HPyFunc_varargs>() == size_of::<*mut c_void>());
    assert!(size_of::<HPyFunc_keywords>() == size_of::<*mut c_void>());
};

/// The four method shapes (`HPyFunc_Signature` → `ml_flags`, hpy-core's
/// module.rs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// `HPyFunc_NOARGS`, `METH_NOARGS`: `(self, NULL)`.
    Noargs,
    /// `HPyFunc_O`, `METH_O`: `(self, arg)`.
    O,
    /// `HPyFunc_VARARGS`, `METH_FASTCALL`: `(self, args, nargs)`.
    Varargs,
    /// `HPyFunc_KEYWORDS`, `METH_FASTCALL | METH_KEYWORDS`:
    /// `(self, args, nargs, kwnames)`.
    Keywords,
}

/// One thunk's data: the HPy function (of the C type of the pool's shape;
/// NULL while the slot is free), the context to call it with, and the
/// define's trampoline, which identifies the define when it is loaded again.
/// (The pools of type slots, slot_call/thunks.rs, are the same.)
pub(crate) struct Slot {
    impl_: AtomicPtr<c_void>,
    ctx: AtomicPtr<HPyContext>,
    trampoline: AtomicPtr<c_void>,
}

/// A shape's `N` slots and the number of them that are taken.
pub(crate) struct Pool<const N: usize> {
    slots: [Slot; N],
    next: AtomicUsize,
}

impl<const N: usize> Pool<N> {
    pub(crate) const fn new() -> Pool<N> {
        Pool {
            slots: [const {
                Slot {
                    impl_: AtomicPtr::new(ptr::null_mut()),
                    ctx: AtomicPtr::new(ptr::null_mut()),
                    trampoline: AtomicPtr::new(ptr::null_mut()),
                }
            }; N],
            next: AtomicUsize::new(0),
        }
    }

    /// The HPy function and context of slot `I`, or None while it is free.
    #[inline(always)]
    pub(crate) fn get<const I: usize>(&self) -> Option<(*mut c_void, Ctx)> {
        const { assert!(I < N) };
        // In bounds (checked above at compile time), so no check is left.
        let slot = self.slots.get(I)?;
        let impl_ = slot.impl_.load(Ordering::Acquire);
        if impl_.is_null() {
            return None;
        }
        Some((impl_, slot.ctx.load(Ordering::Relaxed)))
    }

    /// The index of the slot of a define: the one it already has (it was
    /// loaded before), else the next free slot below `limit` (and `N`), filled; None
    /// when there is none.
    pub(crate) fn find_or_fill(
        &self,
        limit: usize,
        impl_: *mut c_void,
        ctx: Ctx,
        trampoline: *mut c_void,
    ) -> Option<usize> {
        let taken = self.next.load(Ordering::Relaxed).min(N);
        let same = |slot: &Slot| {
            // Acquire: the rest of a slot whose HPy function is seen is seen.
            slot.impl_.load(Ordering::Acquire) == impl_
                && slot.ctx.load(Ordering::Relaxed) == ctx
                && slot.trampoline.load(Ordering::Relaxed) == trampoline
        };
        if let Some(i) = self.slots.iter().take(taken).position(same) {
            return Some(i);
        }
        let limit = limit.min(N);
        let i = self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()?;
        let slot = self.slots.get(i)?;
        slot.ctx.store(ctx, Ordering::Relaxed);
        slot.trampoline.store(trampoline, Ordering::Relaxed);
        slot.impl_.store(impl_, Ordering::Release);
        Some(i)
    }
}

static NOARGS: Pool<POOL_SIZE> = Pool::new();
static O: Pool<POOL_SIZE> = Pool::new();
static VARARGS: Pool<POOL_SIZE> = Pool::new();
static KEYWORDS: Pool<POOL_SIZE> = Pool::new();

/// `HPY_RS_METHOD_THUNKS`, once read (see `read_limit`).
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// `POOL_SIZE`, or less if `HPY_RS_METHOD_THUNKS` says so (a number; other
/// values are ignored). Read once.
fn limit() -> usize {
    read_limit(&LIMIT, LIMIT_VAR).min(POOL_SIZE)
}

/// The number in the environment variable `var`, the largest number of
/// thunks a pool may hand out (`usize::MAX - 1` when it is not set or not a
/// number). Read once, then kept in `cache`: 0 until then, the limit + 1
/// after.
pub(crate) fn read_limit(cache: &AtomicUsize, var: &str) -> usize {
    let cached = cache.load(Ordering::Relaxed);
    if cached != 0 {
        return cached - 1;
    }
    let limit = std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(usize::MAX - 1, |n| n.min(usize::MAX - 1));
    // Two first callers (only possible without the GIL) store the same.
    cache.store(limit + 1, Ordering::Relaxed);
    limit
}

/// A thunk of `shape` that calls `impl_` with `ctx`, for the `ml_meth` of a
/// function with the shape's flags whose trampoline is `trampoline`; None
/// when the shape's pool is used up.
///
/// # Safety
/// `impl_` has the C type of `shape`'s HPy functions and `trampoline` calls
/// it (the two of one `HPyDef_METH`); `ctx` lives forever and its handles
/// are object pointers (the universal context).
pub unsafe fn take(
    shape: Shape,
    impl_: unsafe extern "C" fn(),
    trampoline: *mut c_void,
    ctx: Ctx,
) -> Option<ffi::PyMethodDefPointer> {
    let pool = match shape {
        Shape::Noargs => &NOARGS,
        Shape::O => &O,
        Shape::Varargs => &VARARGS,
        Shape::Keywords => &KEYWORDS,
    };
    let i = pool.find_or_fill(limit(), impl_ as *mut c_void, ctx, trampoline)?;
    // `find_or_fill` returns an index below POOL_SIZE, so the lookups find
    // the thunk (they cannot panic either way).
    let (row, col) = (i / COLS, i % COLS);
    fn at<T: Copy>(table: &[[T; COLS]; ROWS], row: usize, col: usize) -> Option<T> {
        table.get(row)?.get(col).copied()
    }
    Some(match shape {
        Shape::Noargs => ffi::PyMethodDefPointer {
            PyCFunction: at(&THUNKS_NOARGS, row, col)?,
        },
        Shape::O => ffi::PyMethodDefPointer {
            PyCFunction: at(&THUNKS_O, row, col)?,
        },
        Shape::Varargs => ffi::PyMethodDefPointer {
            PyCFunctionFast: at(&THUNKS_VARARGS, row, col)?,
        },
        Shape::Keywords => ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: at(&THUNKS_KEYWORDS, row, col)?,
        },
    })
}

// ~~~ the thunks ~~~
//
// Safety contract of every thunk: it is called as the C function of a
// PyMethodDef that `take` gave it to (flags of its shape), with the GIL and
// the arguments of that convention (CPython checks them before the call:
// no keywords for METH_NOARGS/METH_O/METH_FASTCALL, one argument for
// METH_O; `self` is the function's module). Like the trampolines, thunks do
// not count C recursion: CPython's call sites do it where they would for a
// C-API function.
//
// A thunk ends with a call of the HPy function or, for a free slot, of
// `unfilled`, whose result it returns: both compile to tail calls (no stack
// frame, no return through the thunk).

/// The result of a thunk whose slot is free: SystemError.
#[cold]
#[inline(never)]
pub(crate) fn unfilled(_gil: Gil) -> Obj {
    // SAFETY: with the GIL; the exception type is a static object, the
    // message a static C string.
    unsafe {
        ffi::PyErr_SetString(
            ffi::PyExc_SystemError,
            c"hpy.universal: a method thunk was called before it was assigned".as_ptr(),
        );
    }
    // Opaque, so that the compiler does not return NULL itself after
    // calling this (which would cost the thunks a stack frame).
    core::hint::black_box(ptr::null_mut())
}

/// The HPy function of slot `I` of `pool` as an `F` and its context, or
/// None while the slot is free.
///
/// # Safety
/// `F` is the C type of the HPy functions of `pool`'s shape.
#[inline(always)]
pub(crate) unsafe fn slot<const I: usize, const N: usize, F: Copy>(
    pool: &Pool<N>,
) -> Option<(F, Ctx)> {
    let (f, ctx) = pool.get::<I>()?;
    // SAFETY: `take` fills the slots of `pool` with non-NULL function
    // pointers of type `F` (the caller's contract), which have the size of
    // a data pointer on the platforms CPython supports.
    Some((
        unsafe { core::mem::transmute_copy::<*mut c_void, F>(&f) },
        ctx,
    ))
}

/// `METH_NOARGS` thunk number `I`.
unsafe extern "C" fn thunk_noargs<const I: usize>(self_: Obj, _null: Obj) -> Obj {
    // SAFETY: CPython calls a thunk (an `ml_meth`) with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: NOARGS holds HPy functions of type HPyFunc_noargs.
    let Some((f, ctx)) = (unsafe { slot::<I, POOL_SIZE, HPyFunc_noargs>(&NOARGS) }) else {
        return unfilled(gil);
    };
    // SAFETY: the HPy function with its context; `self_` is the live module,
    // whose handle is its pointer.
    unsafe { h2py(f(ctx, py2h(self_))) }
}

/// `METH_O` thunk number `I`.
unsafe extern "C" fn thunk_o<const I: usize>(self_: Obj, arg: Obj) -> Obj {
    // SAFETY: CPython calls a thunk (an `ml_meth`) with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: O holds HPy functions of type HPyFunc_o.
    let Some((f, ctx)) = (unsafe { slot::<I, POOL_SIZE, HPyFunc_o>(&O) }) else {
        return unfilled(gil);
    };
    // SAFETY: as in thunk_noargs; `arg` is a live object (borrowed from the
    // caller, as the handle is).
    unsafe { h2py(f(ctx, py2h(self_), py2h(arg))) }
}

/// `METH_FASTCALL` thunk number `I`.
unsafe extern "C" fn thunk_varargs<const I: usize>(
    self_: Obj,
    args: *mut Obj,
    nargs: ffi::Py_ssize_t,
) -> Obj {
    // SAFETY: CPython calls a thunk (an `ml_meth`) with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: VARARGS holds HPy functions of type HPyFunc_varargs.
    let Some((f, ctx)) = (unsafe { slot::<I, POOL_SIZE, HPyFunc_varargs>(&VARARGS) }) else {
        return unfilled(gil);
    };
    // SAFETY: as in thunk_noargs; `args` holds `nargs` (>= 0) live objects,
    // which are the handles (handles.rs: same size and alignment).
    unsafe {
        h2py(f(
            ctx,
            py2h(self_),
            args.cast_const().cast::<HPy>(),
            nargs as usize,
        ))
    }
}

/// `METH_FASTCALL | METH_KEYWORDS` thunk number `I`.
unsafe extern "C" fn thunk_keywords<const I: usize>(
    self_: Obj,
    args: *const Obj,
    nargs: ffi::Py_ssize_t,
    kwnames: Obj,
) -> Obj {
    // SAFETY: CPython calls a thunk (an `ml_meth`) with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: KEYWORDS holds HPy functions of type HPyFunc_keywords.
    let Some((f, ctx)) = (unsafe { slot::<I, POOL_SIZE, HPyFunc_keywords>(&KEYWORDS) }) else {
        return unfilled(gil);
    };
    // SAFETY: as in thunk_varargs; `kwnames` is NULL or a tuple of str whose
    // values follow the positional arguments in `args`. `nargs` is a plain
    // count: CPython clears PY_VECTORCALL_ARGUMENTS_OFFSET before it calls
    // the C function of a METH_FASTCALL | METH_KEYWORDS method, and so must
    // any caller of a PyMethodDef (the trampoline clears it only because it
    // also serves as a vectorcall, which a thunk never does).
    unsafe {
        h2py(f(
            ctx,
            py2h(self_),
            args.cast::<HPy>(),
            nargs as usize,
            py2h(kwnames),
        ))
    }
}

// ~~~ the tables of thunks ~~~

/// `[[THUNK::<ROW * COLS + COL>; COLS]; ROWS]` for the listed rows.
macro_rules! thunk_table {
    ($thunk:ident as $ty:ty; $($row:literal)*) => {
        [$(thunk_table!(@row $thunk as $ty; $row;
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
            16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)),*]
    };
    (@row $thunk:ident as $ty:ty; $row:literal; $($col:literal)*) => {
        [$($thunk::<{ $row * COLS + $col }> as $ty),*]
    };
}

/// `thunk_table!` for rows 0 .. ROWS (the type of the tables checks that
/// the list has ROWS entries).
macro_rules! all_rows {
    ($thunk:ident as $ty:ty) => {
        thunk_table!($thunk as $ty; 0 1 2 3 4 5 6 7)
    };
}

static THUNKS_NOARGS: [[ffi::PyCFunction; COLS]; ROWS] =
    all_rows!(thunk_noargs as ffi::PyCFunction);
static THUNKS_O: [[ffi::PyCFunction; COLS]; ROWS] = all_rows!(thunk_o as ffi::PyCFunction);
static THUNKS_VARARGS: [[ffi::PyCFunctionFast; COLS]; ROWS] =
    all_rows!(thunk_varargs as ffi::PyCFunctionFast);
static THUNKS_KEYWORDS: [[ffi::PyCFunctionFastWithKeywords; COLS]; ROWS] =
    all_rows!(thunk_keywords as ffi::PyCFunctionFastWithKeywords);
