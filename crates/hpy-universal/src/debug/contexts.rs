//! Which debug context is valid where: a context is valid only during the
//! call it was passed to (HPy 0.9's debug mode checks this too).
//!
//! Each debug context (the one wrapping the universal context, the one
//! wrapping the hybrid context: a "family") has a cache of
//! `CACHE_SIZE` copies. Every call from CPython into a debug-mode
//! extension gets the next copy of its family (`enter_call`), and while it
//! runs, that copy is this thread's current context; when it returns, the
//! caller's current context is restored (`leave_call`). A context function
//! called with another context than the current one of its thread (one kept
//! in a C global past the call that received it, or an outer call's while a
//! nested call runs) is reported as "Wrong HPy Context". Outside any call
//! (module initialisation) the family's own context is the valid one.
//!
//! Handles belong to a family, not to one copy: a handle opened in an outer
//! call may be used in a nested one.

use core::cell::Cell;
use core::mem::MaybeUninit;

use hpy_sys::HPyContext;

use crate::debug::handles;
use crate::python::{Gil, GilCell};

/// How many copies of each debug context calls rotate through (HPy 0.9's
/// HPY_DEBUG_CTX_CACHE_SIZE).
pub const CACHE_SIZE: usize = 16;

struct Family {
    /// The context modules are loaded with (null before `init`).
    base: *mut HPyContext,
    /// The copies calls get, in turn.
    cache: [MaybeUninit<HPyContext>; CACHE_SIZE],
    next: usize,
}

static FAMILIES: GilCell<[Family; 2]> = GilCell::new([
    Family {
        base: core::ptr::null_mut(),
        cache: [const { MaybeUninit::uninit() }; CACHE_SIZE],
        next: 0,
    },
    Family {
        base: core::ptr::null_mut(),
        cache: [const { MaybeUninit::uninit() }; CACHE_SIZE],
        next: 0,
    },
]);

std::thread_local! {
    /// The context of the innermost call into a debug-mode extension on
    /// this thread (null: none). Per thread: a call that releases the GIL
    /// lets calls of other threads start and end before it returns.
    static CURRENT: Cell<*mut HPyContext> = const { Cell::new(core::ptr::null_mut()) };
}

/// Fills the cache of family `i` (0: universal, 1: hybrid) with copies of
/// `base`.
///
/// # Safety
/// With the GIL, once per family, before any extension has a context;
/// `base` is a filled debug context that lives forever.
pub unsafe fn init(_gil: Gil, i: usize, base: *mut HPyContext) {
    // SAFETY: with the GIL and no extension running, nothing else reaches
    // FAMILIES; each copy is a bitwise copy of a filled context (function
    // pointers, constant handles and static strings: no ownership).
    unsafe {
        let Some(f) = (*FAMILIES.as_ptr()).get_mut(i) else {
            return;
        };
        f.base = base;
        for slot in f.cache.iter_mut() {
            core::ptr::copy_nonoverlapping(base, slot.as_mut_ptr(), 1);
        }
    }
}

/// The family of a debug context: the universal context it wraps.
#[inline(always)]
pub fn family(dctx: *mut HPyContext) -> usize {
    handles::universal_of(dctx) as usize
}

/// This thread's current call context (null outside any call).
#[inline(always)]
pub fn current(_gil: Gil) -> *mut HPyContext {
    CURRENT.with(|c| c.get())
}

/// Where `leave_call` goes back to.
#[derive(Clone, Copy)]
pub struct Saved(*mut HPyContext);

/// A call into the extension starts with `dctx` (the module's context):
/// the context to pass to the HPy function, now this thread's current one.
#[inline]
pub fn enter_call(gil: Gil, dctx: *mut HPyContext) -> (*mut HPyContext, Saved) {
    let next = next_of(gil, dctx);
    let saved = CURRENT.with(|c| c.replace(next));
    (next, Saved(saved))
}

/// The call started by `enter_call` has returned.
#[inline]
pub fn leave_call(_gil: Gil, saved: Saved) {
    CURRENT.with(|c| c.set(saved.0));
}

fn next_of(_gil: Gil, dctx: *mut HPyContext) -> *mut HPyContext {
    let fam = family(dctx);
    // SAFETY: with the GIL (the token); nothing here reaches FAMILIES again.
    let families = unsafe { &mut *FAMILIES.as_ptr() };
    for f in families.iter_mut() {
        if !f.base.is_null() && family(f.base) == fam {
            let i = f.next;
            f.next = (i + 1) % CACHE_SIZE;
            if let Some(c) = f.cache.get_mut(i) {
                return c.as_mut_ptr();
            }
        }
    }
    // not one of ours (cannot happen: only debug modules get here)
    dctx
}

fn is_base(dctx: *mut HPyContext) -> bool {
    // SAFETY: reads the two base pointers, written once by `init` (with
    // the GIL, which every caller holds).
    let families = unsafe { &*FAMILIES.as_ptr() };
    families.iter().any(|f| f.base == dctx)
}

/// Checks that `dctx`, passed to the context function `func`, is valid on
/// this thread now; reports it (hook or fatal error) if not. With a hook
/// installed the call goes on (the context works: only its use is wrong).
#[inline(always)]
pub fn check(gil: Gil, dctx: *mut HPyContext, func: &core::ffi::CStr) {
    let cur = current(gil);
    if cur != dctx {
        check_slow(gil, dctx, cur, func);
    }
}

#[cold]
#[inline(never)]
fn check_slow(gil: Gil, dctx: *mut HPyContext, cur: *mut HPyContext, func: &core::ffi::CStr) {
    if cur.is_null() && is_base(dctx) {
        return;
    }
    let why = if cur.is_null() {
        "no call into the extension is running on this thread: the context was kept (e.g. in a C \
         global) past the call that received it"
    } else if family(cur) != family(dctx) {
        "it is the context of another module family (debug vs hybrid debug)"
    } else {
        "it is not the context passed to the call running now (one kept from an earlier or an \
         outer call)"
    };
    let text = format!(
        "Error: Wrong HPy Context! {} was called with the debug context {:p}, which is not valid \
         here: {why}. A context is valid only during the call that received it; never keep it \
         in a global",
        func.to_string_lossy(),
        dctx
    );
    if handles::report_hook(gil, false, &text).is_err() {
        handles::drop_report(gil);
    }
}
