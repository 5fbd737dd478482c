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

/// The context of the innermost call into a debug-mode extension, per
/// thread (null: none). Per thread: a call that releases the GIL lets
/// calls of other threads start and end before it returns.
///
/// It is read and written only with the GIL held (`HPy_ReenterPythonExecution`
/// checks its context once the GIL is back), so a plain global serves: the
/// thread that last used it (`owner`) has its context in `ctx`, the others
/// that are inside a call have theirs in `stash`. A thread finds `owner`
/// changed only after another thread ran; the common case (one thread)
/// costs a read of the thread pointer and a compare, where a Rust
/// thread-local of a shared library costs a `__tls_get_addr` call.
struct Current {
    owner: usize,
    ctx: *mut HPyContext,
    stash: Vec<(usize, *mut HPyContext)>,
}

static CURRENT: GilCell<Current> = GilCell::new(Current {
    owner: 0,
    ctx: core::ptr::null_mut(),
    stash: Vec::new(),
});

/// An identity of the running thread, unique among live threads: its
/// thread pointer (x86-64 Linux: the first word of the thread control
/// block points to itself, as the ELF TLS ABI requires), else
/// `pthread_self()`.
#[inline(always)]
fn thread_id() -> usize {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let tp: usize;
        // SAFETY: reads the first word of the thread control block, which
        // the x86-64 TLS ABI defines as the thread pointer itself; no
        // memory is written and the stack is not touched.
        unsafe {
            core::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp,
                             options(nostack, readonly, preserves_flags))
        };
        tp
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        // SAFETY: pthread_self has no preconditions.
        unsafe { libc::pthread_self() as usize }
    }
}

/// `CURRENT`, with the running thread's context in `ctx`.
#[inline(always)]
fn current_mut(_gil: Gil) -> &'static mut Current {
    // SAFETY: with the GIL (the token); the callers keep the reference only
    // within their own bodies, which call nothing that reaches CURRENT
    // again.
    let c = unsafe { &mut *CURRENT.as_ptr() };
    let me = thread_id();
    if c.owner != me {
        switch_thread(c, me);
    }
    c
}

/// Another thread ran since this one last did: stash its context (if it
/// is inside a call), take this thread's.
#[cold]
#[inline(never)]
fn switch_thread(c: &mut Current, me: usize) {
    if !c.ctx.is_null() {
        c.stash.push((c.owner, c.ctx));
    }
    c.ctx = match c.stash.iter().position(|&(t, _)| t == me) {
        Some(i) => c.stash.swap_remove(i).1,
        None => core::ptr::null_mut(),
    };
    c.owner = me;
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
pub fn current(gil: Gil) -> *mut HPyContext {
    current_mut(gil).ctx
}

/// Where `leave_call` goes back to.
#[derive(Clone, Copy)]
pub struct Saved(*mut HPyContext);

/// A call into the extension starts with `dctx` (the module's context):
/// the context to pass to the HPy function, now this thread's current one.
#[inline]
pub fn enter_call(gil: Gil, dctx: *mut HPyContext) -> (*mut HPyContext, Saved) {
    let next = next_of(gil, dctx);
    let saved = core::mem::replace(&mut current_mut(gil).ctx, next);
    (next, Saved(saved))
}

/// The call started by `enter_call` has returned.
#[inline]
pub fn leave_call(gil: Gil, saved: Saved) {
    current_mut(gil).ctx = saved.0;
}

#[inline(always)]
fn next_of(_gil: Gil, dctx: *mut HPyContext) -> *mut HPyContext {
    // SAFETY: with the GIL (the token); nothing here reaches FAMILIES again.
    let families = unsafe { &mut *FAMILIES.as_ptr() };
    // the module's context is its family's base (a trampoline passes it)
    let [a, b] = families;
    let f = if a.base == dctx {
        a
    } else if b.base == dctx {
        b
    } else {
        return next_of_copy(families, dctx);
    };
    take_next(f)
}

/// The next copy of `f`'s cache.
#[inline(always)]
fn take_next(f: &mut Family) -> *mut HPyContext {
    const _: () = assert!(CACHE_SIZE.is_power_of_two());
    let i = f.next & (CACHE_SIZE - 1);
    f.next = (i + 1) & (CACHE_SIZE - 1);
    match f.cache.get_mut(i) {
        Some(c) => c.as_mut_ptr(),
        None => f.base,
    }
}

/// `next_of` for a context that is not a family's base: a copy (the
/// family is the universal context it wraps).
#[cold]
#[inline(never)]
fn next_of_copy(families: &mut [Family; 2], dctx: *mut HPyContext) -> *mut HPyContext {
    let fam = family(dctx);
    for f in families.iter_mut() {
        if !f.base.is_null() && family(f.base) == fam {
            return take_next(f);
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
