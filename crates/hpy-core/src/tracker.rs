//! `HPyTracker`: a growable array of handles that are closed together.
//!
//! The tracker is one `PyMem_Malloc` block: a header followed by room for
//! its first handles; when it outgrows that room the handles move to a
//! separate block. There is always one free slot, so `HPyTracker_Add` can
//! store its handle even when growing fails: the handle is then closed with
//! the others by `HPyTracker_Close`, and Add reports the MemoryError.

use core::ffi::c_int;
use core::mem::size_of;

use hpy_sys::{HPy, HPyContext, HPyTracker, HPy_ssize_t};

use crate::ffi::{self, cstr};
use crate::h2py;

#[repr(C)]
struct Tracker {
    /// Number of tracked handles; `len < cap` except after a failed growth.
    len: usize,
    /// Number of slots at `items`.
    cap: usize,
    /// The slots: right after the header, or a block of their own.
    items: *mut HPy,
}

/// Slots reserved with the header when the caller's hint is smaller.
const MIN_SLOTS: usize = 8;

#[inline(always)]
fn tracker_of(ht: HPyTracker) -> *mut Tracker {
    ht._i as *mut Tracker
}

/// The slots that follow the header in the tracker's own block.
#[inline(always)]
fn inline_items(t: *mut Tracker) -> *mut HPy {
    // One past the header: in the same allocation, aligned for HPy.
    t.wrapping_add(1).cast::<HPy>()
}

/// `HPyTracker_New`: a tracker with room for at least `size` handles.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tracker_New(_ctx: *mut HPyContext, size: HPy_ssize_t) -> HPyTracker {
    // Room for `size` handles plus the one free slot.
    let cap = usize::try_from(size)
        .unwrap_or(0)
        .saturating_add(1)
        .max(MIN_SLOTS);
    let bytes = cap
        .checked_mul(size_of::<HPy>())
        .and_then(|b| b.checked_add(size_of::<Tracker>()));
    let t = match bytes {
        // SAFETY: plain allocation, GIL held.
        Some(bytes) => unsafe { ffi::PyMem_Malloc(bytes) }.cast::<Tracker>(),
        None => core::ptr::null_mut(),
    };
    if t.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return HPyTracker { _i: 0 };
    }
    // SAFETY: `t` is a fresh block big enough for the header.
    unsafe {
        t.write(Tracker {
            len: 0,
            cap,
            items: inline_items(t),
        })
    };
    HPyTracker { _i: t as isize }
}

/// Gives the tracker `t` twice its room. Returns false, with MemoryError
/// set, when that fails (the tracker is then unchanged).
unsafe fn grow(t: &mut Tracker, inline: *mut HPy) -> bool {
    let new_cap = t.cap.checked_mul(2);
    let bytes = new_cap.and_then(|c| c.checked_mul(size_of::<HPy>()));
    let (Some(new_cap), Some(bytes)) = (new_cap, bytes) else {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return false;
    };
    let items = if t.items == inline {
        // SAFETY: plain allocation; on success the `len` handles are copied
        // from the inline slots, which do not overlap the new block.
        unsafe {
            let p = ffi::PyMem_Malloc(bytes).cast::<HPy>();
            if !p.is_null() {
                core::ptr::copy_nonoverlapping(t.items, p, t.len);
            }
            p
        }
    } else {
        // SAFETY: `t.items` is a PyMem block of this tracker.
        unsafe { ffi::PyMem_Realloc(t.items.cast(), bytes).cast::<HPy>() }
    };
    if items.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return false;
    }
    t.items = items;
    t.cap = new_cap;
    true
}

/// `HPyTracker_Add`: `h` is closed by `HPyTracker_Close`. Returns -1 with
/// MemoryError set if the tracker could not make room for more handles (`h`
/// is tracked all the same).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tracker_Add(_ctx: *mut HPyContext, ht: HPyTracker, h: HPy) -> c_int {
    let p = tracker_of(ht);
    if p.is_null() {
        // SAFETY: `h` is owned by the tracker from now on: close it, then
        // report the misuse.
        unsafe {
            ffi::Py_DecRef(h2py(h));
            ffi::PyErr_SetString(
                ffi::PyExc_SystemError,
                cstr!("HPyTracker_Add: the tracker is HPy_NULL"),
            );
        }
        return -1;
    }
    let inline = inline_items(p);
    // SAFETY: a live tracker made by ctx_Tracker_New, used by one thread (GIL).
    let t = unsafe { &mut *p };
    // The free slot is missing only when a previous growth failed.
    // SAFETY: `t` is a live tracker.
    if t.len >= t.cap && unsafe { !grow(t, inline) } {
        // Nowhere to keep `h`: close it now, as Close would have done.
        // SAFETY: the tracker owns `h`.
        unsafe { ffi::Py_DecRef(h2py(h)) };
        return -1;
    }
    // SAFETY: `len < cap`, so the slot is inside the items block.
    unsafe { t.items.add(t.len).write(h) };
    t.len += 1;
    // SAFETY: `t` is a live tracker.
    if t.len == t.cap && unsafe { !grow(t, inline) } {
        return -1;
    }
    0
}

/// `HPyTracker_ForgetAll`: the tracked handles are no longer closed by the
/// tracker (the caller keeps them).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tracker_ForgetAll(_ctx: *mut HPyContext, ht: HPyTracker) {
    let p = tracker_of(ht);
    if !p.is_null() {
        // SAFETY: a live tracker.
        unsafe { (*p).len = 0 };
    }
}

/// `HPyTracker_Close`: closes every tracked handle and frees the tracker.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Tracker_Close(_ctx: *mut HPyContext, ht: HPyTracker) {
    let p = tracker_of(ht);
    if p.is_null() {
        return;
    }
    // SAFETY: a live tracker; its first `len` slots hold the tracked
    // handles; both blocks are freed exactly once, here.
    unsafe {
        let t = &*p;
        for i in 0..t.len {
            ffi::Py_DecRef(h2py(*t.items.add(i)));
        }
        if t.items != inline_items(p) {
            ffi::PyMem_Free(t.items.cast());
        }
        ffi::PyMem_Free(p.cast());
    }
}
