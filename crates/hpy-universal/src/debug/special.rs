//! The functions of the debug context that are not generated (see
//! `SPECIAL` in hpy-gen's emit_debug.rs): `HPy_Dup`, `HPy_Close`, the
//! trackers (which own debug handles), `HPyType_FromSpec` (whose parameters
//! hold handles) and the trampoline dispatcher (in dispatch.rs).
#![allow(non_snake_case)]

use core::ffi::c_int;

use hpy_sys::*;

use crate::debug::handles;
use crate::python::Gil;

pub use crate::debug::dispatch::ctx_CallRealFunctionFromTrampoline;

/// `HPy_Dup`: a new debug handle for the same object.
pub unsafe extern "C" fn ctx_Dup(dctx: *mut HPyContext, h: HPy) -> HPy {
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPy_Dup");
    let Ok(u) = handles::unwrap(gil, dctx, h, c"HPy_Dup") else {
        return HPy::NULL;
    };
    let u_ctx = crate::debug::handles::universal_of(dctx);
    let universal_dup: unsafe extern "C" fn(*mut HPyContext, HPy) -> HPy = crate::api::ctx_Dup;
    // SAFETY: `u` is an open universal handle; `u_ctx` the live context.
    // When its `HPy_Dup` is the universal one, that is an incref of the
    // object, done here at once.
    let dup = unsafe {
        if (*u_ctx).ctx_Dup as usize == universal_dup as usize {
            crate::api::ctx_Dup(u_ctx, u)
        } else {
            ((*u_ctx).ctx_Dup)(u_ctx, u)
        }
    };
    handles::wrap(gil, dctx, dup)
}

/// `HPy_Close`: closes a debug handle; closing a closed handle is reported.
pub unsafe extern "C" fn ctx_Close(dctx: *mut HPyContext, h: HPy) {
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPy_Close");
    if handles::close(gil, dctx, h, c"HPy_Close").is_err() {
        handles::drop_report(gil);
    }
}

/// `HPyTracker_New`: a tracker of debug handles (`size` is only a hint).
pub unsafe extern "C" fn ctx_Tracker_New(dctx: *mut HPyContext, _size: HPy_ssize_t) -> HPyTracker {
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPyTracker_New");
    HPyTracker {
        _i: handles::tracker_new(gil),
    }
}

/// `HPyTracker_Add`: the tracker takes ownership of the (checked) handle.
pub unsafe extern "C" fn ctx_Tracker_Add(dctx: *mut HPyContext, ht: HPyTracker, h: HPy) -> c_int {
    const F: &core::ffi::CStr = c"HPyTracker_Add";
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPyTracker_Add");
    if handles::unwrap(gil, dctx, h, F).is_err() {
        return -1;
    }
    if handles::tracker_add(gil, ht._i, h) {
        0
    } else {
        let _ = handles::bad_tracker(gil, ht._i, F);
        -1
    }
}

/// `HPyTracker_ForgetAll`: the tracker no longer owns its handles.
pub unsafe extern "C" fn ctx_Tracker_ForgetAll(dctx: *mut HPyContext, ht: HPyTracker) {
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPyTracker_ForgetAll");
    if handles::tracker_take(gil, ht._i, false).is_none() {
        let _ = handles::bad_tracker(gil, ht._i, c"HPyTracker_ForgetAll");
        handles::drop_report(gil);
    }
}

/// `HPyTracker_Close`: closes the tracker's handles and the tracker;
/// closing it twice is reported.
pub unsafe extern "C" fn ctx_Tracker_Close(dctx: *mut HPyContext, ht: HPyTracker) {
    const F: &core::ffi::CStr = c"HPyTracker_Close";
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPyTracker_Close");
    match handles::tracker_take(gil, ht._i, true) {
        Some(hs) => {
            for h in hs {
                if handles::close(gil, dctx, h, F).is_err() {
                    handles::drop_report(gil);
                }
            }
        }
        None => {
            let _ = handles::bad_tracker(gil, ht._i, F);
            handles::drop_report(gil);
        }
    }
}

/// `HPyType_FromSpec`: the handles of `params` are unwrapped.
pub unsafe extern "C" fn ctx_Type_FromSpec(
    dctx: *mut HPyContext,
    spec: *mut HPyType_Spec,
    params: *mut HPyType_SpecParam,
) -> HPy {
    const F: &core::ffi::CStr = c"HPyType_FromSpec";
    // SAFETY: a context function, called with the GIL held.
    let gil = unsafe { Gil::assume() };
    crate::debug::contexts::check(gil, dctx, c"HPyType_FromSpec");
    let mut converted: Vec<HPyType_SpecParam> = Vec::new();
    if !params.is_null() {
        let mut i = 0;
        loop {
            // SAFETY: `params` is an array terminated by an entry of kind 0
            // (the API's contract).
            let p = unsafe { &*params.add(i) };
            let Ok(object) = handles::unwrap(gil, dctx, p.object, F) else {
                return HPy::NULL;
            };
            converted.push(HPyType_SpecParam {
                kind: p.kind,
                object,
            });
            if p.kind == 0 {
                break;
            }
            i += 1;
        }
    }
    let u = crate::debug::handles::universal_of(dctx);
    let params = if params.is_null() {
        core::ptr::null_mut()
    } else {
        converted.as_mut_ptr()
    };
    // SAFETY: `u` is the live universal context; `spec` is the caller's;
    // `params` is null or the converted, terminated copy.
    let r = unsafe { ((*u).ctx_Type_FromSpec)(u, spec, params) };
    handles::wrap(gil, dctx, r)
}
