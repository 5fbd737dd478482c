//! One traced call (`Call`, which the generated wrappers use), the counters
//! of a trace context (`TraceState`) and the Python hooks.

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use hpy_sys::HPyContext;
use pyo3_ffi as ffi;

use crate::python::{Gil, GilCell, Obj};
use crate::trace::autogen_trace_names::{FUNCTIONS, NAMES};
use crate::trace::clock;

/// What the trace context of one module counts.
pub struct TraceState {
    /// The context that the wrappers call (universal or hybrid).
    pub wrapped: *mut HPyContext,
    /// The module's name (`load`'s `name`).
    pub module: String,
    /// Calls of each context function.
    pub counts: [AtomicU64; FUNCTIONS],
    /// Total time in each, in clock ticks (`clock::frequency()` per second).
    pub durations: [AtomicU64; FUNCTIONS],
}

/// Whether a hook is installed; read without the GIL by every traced call.
static HOOKS_ON: AtomicBool = AtomicBool::new(false);
/// The hooks (new references or NULL), set by `set_trace_functions`.
static ON_ENTER: GilCell<Obj> = GilCell::new(ptr::null_mut());
static ON_EXIT: GilCell<Obj> = GilCell::new(ptr::null_mut());

/// One traced call in progress (see `autogen_trace_context.rs`).
pub(crate) struct Call {
    state: *const TraceState,
    index: usize,
    start: u64,
}

impl Call {
    /// Counts a call of the function `index` of the trace context `ctx`
    /// without timing it.
    ///
    /// # Safety
    /// `ctx` is a trace context made by `new_context`; `index < FUNCTIONS`.
    #[inline(always)]
    pub(crate) unsafe fn count(ctx: *mut HPyContext, index: usize) {
        // SAFETY: a trace context's `_private` is its TraceState, which
        // lives forever.
        let state = unsafe { &*(*ctx)._private.cast::<TraceState>() };
        if let Some(count) = state.counts.get(index) {
            // a relaxed load and store (not a locked add): the GIL
            // serialises API calls; a call made without it (the thread
            // functions) can at worst lose a count, never corrupt memory.
            count.store(count.load(Relaxed).wrapping_add(1), Relaxed);
        }
    }

    /// Starts a call of the function `index` of the trace context `ctx`:
    /// counts it, calls the `on_enter` hook if there is one, reads the
    /// clock.
    ///
    /// # Safety
    /// `ctx` is a trace context made by `new_context`; `index < FUNCTIONS`.
    #[inline(always)]
    pub(crate) unsafe fn enter(ctx: *mut HPyContext, index: usize) -> Call {
        // SAFETY: as documented.
        unsafe { Call::count(ctx, index) };
        if HOOKS_ON.load(Relaxed) {
            call_hook(Hook::Enter, index);
        }
        Call {
            // SAFETY: as in `count`.
            state: unsafe { (*ctx)._private.cast_const().cast() },
            index,
            start: clock::now(),
        }
    }

    /// The context that the traced function forwards to.
    #[inline(always)]
    pub(crate) fn wrapped(&self) -> *mut HPyContext {
        // SAFETY: `state` is the live TraceState of `enter`'s context.
        unsafe { (*self.state).wrapped }
    }

    /// Ends the call: reads the clock, adds the time, calls the `on_exit`
    /// hook if there is one.
    #[inline(always)]
    pub(crate) fn exit(self) {
        let end = clock::now();
        // SAFETY: `state` is the live TraceState of `enter`'s context.
        let state = unsafe { &*self.state };
        if let Some(total) = state.durations.get(self.index) {
            // relaxed load and store: see `count`.
            total.store(
                total
                    .load(Relaxed)
                    .wrapping_add(end.saturating_sub(self.start)),
                Relaxed,
            );
        }
        if HOOKS_ON.load(Relaxed) {
            call_hook(Hook::Exit, self.index);
        }
    }
}

#[derive(Clone, Copy)]
enum Hook {
    Enter,
    Exit,
}

/// Calls the hook `which` (if installed) with the name of the function
/// `index`. Reports its exception as unraisable; the exception that was
/// set before (a traced call that failed) is set again after.
#[cold]
#[inline(never)]
fn call_hook(which: Hook, index: usize) {
    // SAFETY: PyGILState_Check may be called with or without the GIL. The
    // thread functions (HPy_LeavePythonThread, HPy_ReenterPythonThread)
    // run without the GIL on one side of the call: no hook runs there.
    if unsafe { ffi::PyGILState_Check() } == 0 {
        return;
    }
    // SAFETY: this thread holds the GIL (checked above).
    let gil = unsafe { Gil::assume() };
    let hook = match which {
        Hook::Enter => ON_ENTER.get(gil),
        Hook::Exit => ON_EXIT.get(gil),
    };
    let Some(name) = NAMES.get(index) else {
        return;
    };
    if hook.is_null() {
        return;
    }
    // SAFETY: with the GIL; `hook` is our reference, kept alive across the
    // call by an extra reference (the hook may replace itself); the saved
    // exception is restored as it was (PyErr_Restore takes the references
    // PyErr_Fetch gave).
    unsafe {
        ffi::Py_INCREF(hook);
        let mut kind = ptr::null_mut();
        let mut value = ptr::null_mut();
        let mut traceback = ptr::null_mut();
        ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
        let text = ffi::PyUnicode_FromString(name.as_ptr());
        if !text.is_null() {
            let result = ffi::PyObject_CallOneArg(hook, text);
            ffi::Py_DECREF(text);
            if result.is_null() {
                ffi::PyErr_WriteUnraisable(hook);
            } else {
                ffi::Py_DECREF(result);
            }
        } else {
            ffi::PyErr_WriteUnraisable(hook);
        }
        ffi::Py_DECREF(hook);
        ffi::PyErr_Restore(kind, value, traceback);
    }
}

/// Installs the hooks: `Some(h)` replaces a hook (`h` a borrowed
/// reference, NULL for none) and releases the one before; `None` leaves it
/// as it is (HPy 0.9: `set_trace_functions(on_exit=f)` keeps `on_enter`).
pub fn set_hooks(gil: Gil, on_enter: Option<Obj>, on_exit: Option<Obj>) {
    for (cell, new) in [(&ON_ENTER, on_enter), (&ON_EXIT, on_exit)] {
        let Some(new) = new else { continue };
        let old = cell.get(gil);
        if !new.is_null() {
            // SAFETY: with the GIL; `new` is a live object.
            unsafe { ffi::Py_INCREF(new) };
        }
        cell.set(gil, new);
        if !old.is_null() {
            // SAFETY: with the GIL; our reference from an earlier call (the
            // cell no longer holds it, so a finaliser sees the new state).
            unsafe { ffi::Py_DECREF(old) };
        }
    }
    HOOKS_ON.store(
        !ON_ENTER.get(gil).is_null() || !ON_EXIT.get(gil).is_null(),
        Relaxed,
    );
}
