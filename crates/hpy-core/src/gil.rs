//! The safety idioms of the runtime, shared by hpy-core and hpy-universal:
//!
//! - [`Gil`], a zero-sized token that proves the current thread holds the
//!   GIL. Each entry point (an `extern "C"` function called by CPython or by
//!   an extension, which hold the GIL by contract) makes one with the
//!   `unsafe` [`Gil::assume`]; helpers that need the GIL take the token
//!   instead of being `unsafe` for that reason.
//! - [`GilCell`], a cell for `static` data that is only touched with the GIL
//!   held: reading and writing it needs the token, so no `static mut` is
//!   needed.
//! - [`ErrSet`], "a Python exception is set": the error type of fallible
//!   helpers, so that they return `Result<T, ErrSet>` and propagate with `?`
//!   instead of returning NULL or `Err(())`. Only an entry point turns it
//!   back into the error value of its C return type.

use core::cell::UnsafeCell;
use core::marker::PhantomData;

/// Proof that the current thread holds the GIL. Zero-sized and `Copy`, so
/// passing it costs nothing; neither `Send` nor `Sync`, so it cannot reach
/// another thread or a `static`.
#[derive(Clone, Copy)]
pub struct Gil {
    _not_send: PhantomData<*mut ()>,
}

impl Gil {
    /// The token, at an entry point.
    ///
    /// # Safety
    /// The calling thread holds the GIL, and keeps holding it as long as the
    /// token (or a copy) is used: a token must not be used across a release
    /// of the GIL (`HPy_LeavePythonExecution`, `Py_BEGIN_ALLOW_THREADS`).
    #[inline(always)]
    pub unsafe fn assume() -> Gil {
        Gil {
            _not_send: PhantomData,
        }
    }
}

/// A value in a `static` that is only read or written with the GIL held.
///
/// `get` and `set` copy the value in or out (as `Cell` does) and need the
/// [`Gil`] token, which serialises them; no reference to the contents is
/// ever handed out. `as_ptr` gives the address for C code (a struct handed
/// to CPython) without the token: using the pointer is `unsafe` anyway.
#[repr(transparent)]
pub struct GilCell<T>(UnsafeCell<T>);

// SAFETY: the contents are touched only through `get` and `set`, which need
// the Gil token, so by one thread at a time (the GIL serialises them and
// orders them with happens-before); the values kept here (object pointers,
// C structs handed to CPython) are meant to be used by whichever thread
// holds the GIL. Access through `as_ptr` is the caller's `unsafe` business.
unsafe impl<T> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    /// A cell holding `value` (usable in a `static` initialiser).
    pub const fn new(value: T) -> GilCell<T> {
        GilCell(UnsafeCell::new(value))
    }

    /// The address of the contents, for C code. Reading or writing through
    /// it needs the GIL and must not overlap `get` or `set`.
    #[inline(always)]
    pub const fn as_ptr(&self) -> *mut T {
        self.0.get()
    }

    /// Replaces the contents (the old value is dropped once the new one is
    /// in place, so a `Drop` that uses the cell sees the new value).
    #[inline(always)]
    pub fn set(&self, _gil: Gil, value: T) {
        // SAFETY: with the GIL (the token), no other access is in progress:
        // `get` and `set` hand out no reference, and C code given `as_ptr`
        // runs only when called, not during this write.
        let old = unsafe { core::ptr::replace(self.0.get(), value) };
        drop(old);
    }
}

impl<T: Copy> GilCell<T> {
    /// A copy of the contents.
    #[inline(always)]
    pub fn get(&self, _gil: Gil) -> T {
        // SAFETY: as in `set`; the read does not overlap a write.
        unsafe { *self.0.get() }
    }
}

/// The error "a Python exception is set": whoever returns it has set one
/// (or a C-API call it made has, by reporting failure). An entry point
/// returns the error value of its C type for it (`NULL`, `-1` ...).
#[must_use = "a Python exception is set: propagate it or clear it"]
#[derive(Debug)]
pub struct ErrSet(());

impl ErrSet {
    /// After a C-API call that reported failure (NULL, -1 ...), which
    /// leaves an exception set.
    #[inline(always)]
    pub fn from_c_api() -> ErrSet {
        ErrSet(())
    }
}

/// `Ok(ptr)` for a non-NULL result of a C-API call, `Err(ErrSet)` for NULL
/// (the call set an exception).
#[inline(always)]
pub fn nonnull<T>(ptr: *mut T) -> Result<*mut T, ErrSet> {
    if ptr.is_null() {
        Err(ErrSet::from_c_api())
    } else {
        Ok(ptr)
    }
}

/// `Ok(value)` for a non-negative result of a C-API call, `Err(ErrSet)`
/// for a negative one (the call set an exception).
#[inline(always)]
pub fn nonneg(value: core::ffi::c_int) -> Result<core::ffi::c_int, ErrSet> {
    if value < 0 {
        Err(ErrSet::from_c_api())
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tests never call into Python: a token stands for "one thread at a
    // time", which a single test thread is.
    fn token() -> Gil {
        // SAFETY: nothing here needs the interpreter; see above.
        unsafe { Gil::assume() }
    }

    #[test]
    fn cell_keeps_what_is_set() {
        static CELL: GilCell<usize> = GilCell::new(7);
        let gil = token();
        assert_eq!(CELL.get(gil), 7);
        CELL.set(gil, 42);
        assert_eq!(CELL.get(gil), 42);
        assert_eq!(CELL.as_ptr().cast_const(), CELL.0.get().cast_const());
    }

    /// A value that, when dropped, records what `PROBED` holds by then.
    struct Probe(u32);

    static PROBED: GilCell<Probe> = GilCell::new(Probe(1));
    static SEEN_BY_DROP: GilCell<u32> = GilCell::new(0);

    impl Drop for Probe {
        fn drop(&mut self) {
            // SAFETY: `set` hands out no reference and calls this only once
            // the new value is stored, so nothing else touches PROBED now.
            let now = unsafe { (*PROBED.as_ptr()).0 };
            SEEN_BY_DROP.set(token(), now);
        }
    }

    #[test]
    fn set_drops_the_old_value_after_storing_the_new_one() {
        let gil = token();
        PROBED.set(gil, Probe(2));
        // the old value's drop saw the new one in the cell
        assert_eq!(SEEN_BY_DROP.get(gil), 2);
    }

    #[test]
    fn c_api_results() {
        let mut x = 0u8;
        let p: *mut u8 = &mut x;
        assert_eq!(nonnull(p).ok(), Some(p));
        assert!(nonnull(core::ptr::null_mut::<u8>()).is_err());
        assert_eq!(nonneg(0).ok(), Some(0));
        assert_eq!(nonneg(3).ok(), Some(3));
        assert!(nonneg(-1).is_err());
    }
}
