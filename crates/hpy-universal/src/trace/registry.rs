//! The trace contexts, one per module name and ABI, made on first use and
//! never freed, chained in a list that hpy.universal._trace adds up.

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::AtomicU64;

use hpy_sys::HPyContext;

use crate::python::{Gil, GilCell};
use crate::trace::autogen_trace_context;
use crate::trace::autogen_trace_names::FUNCTIONS;
use crate::trace::call::TraceState;
use crate::trace::clock;

pub const TRACE_NAME: &core::ffi::CStr = c"HPy Trace Mode ABI (hpy-rs, CPython backend)";
pub const TRACE_HYBRID_NAME: &core::ffi::CStr =
    c"HPy Trace Mode ABI (hpy-rs, CPython backend, hybrid)";

/// One trace context and its state, allocated once and never freed.
struct TraceContext {
    ctx: HPyContext,
    state: &'static TraceState,
    /// The context made before this one (a list of all of them).
    next: *const TraceContext,
}

/// The last trace context made (the head of the list).
static CONTEXTS: GilCell<*const TraceContext> = GilCell::new(ptr::null());

/// The trace context of the module `module` over `wrapped` (the universal
/// or hybrid context, which lives forever): made at the first load of a
/// module of that name in that ABI, and handed again to later loads (so
/// that their figures add up, and the thunks of method_call, which are per
/// function and context, are shared as in universal mode). Never freed.
pub fn context_for(
    gil: Gil,
    wrapped: *mut HPyContext,
    hybrid: bool,
    module: &str,
) -> *mut HPyContext {
    let mut p = CONTEXTS.get(gil);
    while !p.is_null() {
        // SAFETY: the list holds only leaked TraceContexts, never freed; the
        // pointer to the context comes from the list's raw pointer.
        unsafe {
            if (*p).state.wrapped == wrapped && (*p).state.module == module {
                return ptr::addr_of!((*p).ctx).cast_mut();
            }
            p = (*p).next;
        }
    }
    clock::init();
    let name = if hybrid {
        TRACE_HYBRID_NAME
    } else {
        TRACE_NAME
    };
    // Both leaked: the module's code keeps the context, which points to
    // the state.
    let state: &'static TraceState = Box::leak(Box::new(TraceState {
        wrapped,
        module: module.to_string(),
        counts: [const { AtomicU64::new(0) }; FUNCTIONS],
        durations: [const { AtomicU64::new(0) }; FUNCTIONS],
    }));
    let private = ptr::from_ref(state).cast_mut().cast::<c_void>();
    // SAFETY: `wrapped` is a live context; `private` is the state, which
    // lives forever, as the wrappers expect of `_private`.
    let ctx = unsafe { autogen_trace_context::new_context(name.as_ptr(), private, wrapped) };
    let context = Box::into_raw(Box::new(TraceContext {
        ctx,
        state,
        next: CONTEXTS.get(gil),
    }));
    CONTEXTS.set(gil, context);
    // SAFETY: `context` is the allocation just leaked (never freed); the
    // pointer to its context is derived from the same raw pointer as the
    // list's.
    unsafe { ptr::addr_of_mut!((*context).ctx) }
}

/// Calls `f` with every trace state made so far, newest first.
pub fn for_each_state(gil: Gil, mut f: impl FnMut(&'static TraceState)) {
    let mut p = CONTEXTS.get(gil);
    while !p.is_null() {
        // SAFETY: the list holds only leaked TraceContexts, never freed.
        let context = unsafe { &*p };
        f(context.state);
        p = context.next;
    }
}
