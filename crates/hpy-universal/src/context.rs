//! The contexts that hpy.universal hands to the modules it loads.
//!
//! There are two, built once when hpy.universal is imported and never freed:
//! one for universal modules and one for hybrid modules. They hold the same
//! functions (the generated table of autogen_context.rs); they are distinct
//! so that a module's context says which ABI it was loaded with, and both
//! names start with "HPy Universal ABI", as HPy 0.9 test suites expect.
//!
//! `Mode` (universal, debug, trace) is here too: it says which context a
//! module gets once debug and trace mode have contexts of their own.

#![deny(unsafe_op_in_unsafe_fn)]

use core::ffi::c_int;
use core::mem::MaybeUninit;
use core::ptr::{addr_of, addr_of_mut};

use hpy_sys::HPyContext;

use crate::autogen_context::new_context;

pub const UNIVERSAL_NAME: &core::ffi::CStr = c"HPy Universal ABI (hpy-rs, CPython backend)";
pub const HYBRID_NAME: &core::ffi::CStr = c"HPy Universal ABI (hpy-rs, CPython backend, hybrid)";

// Written once, under the GIL, by `init` before any module is loaded; after
// that only read (through raw pointers handed to extensions).
static mut UNIVERSAL_CTX: MaybeUninit<HPyContext> = MaybeUninit::uninit();
static mut HYBRID_CTX: MaybeUninit<HPyContext> = MaybeUninit::uninit();
static mut READY: bool = false;

/// Builds both contexts, once.
///
/// # Safety
/// Call with the GIL held (from `PyInit_universal`).
pub unsafe fn init() {
    // SAFETY: the GIL serialises every access to these statics; `new_context`
    // needs the GIL and an initialised interpreter, which PyInit_universal
    // has; the names are static strings.
    unsafe {
        if *addr_of!(READY) {
            return;
        }
        (*addr_of_mut!(UNIVERSAL_CTX))
            .write(new_context(UNIVERSAL_NAME.as_ptr(), core::ptr::null_mut()));
        (*addr_of_mut!(HYBRID_CTX)).write(new_context(HYBRID_NAME.as_ptr(), core::ptr::null_mut()));
        *addr_of_mut!(READY) = true;
    }
}

/// The context of universal modules (valid after `init`).
pub fn universal() -> *mut HPyContext {
    addr_of_mut!(UNIVERSAL_CTX).cast()
}

/// The context of hybrid modules (valid after `init`).
pub fn hybrid() -> *mut HPyContext {
    addr_of_mut!(HYBRID_CTX).cast()
}

/// The value of `mode` in `load(..., mode=)`: HPy 0.9's MODE_* constants.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Universal = 0,
    Debug = 1,
    Trace = 2,
}

impl Mode {
    pub fn from_int(mode: c_int) -> Option<Mode> {
        match mode {
            0 => Some(Mode::Universal),
            1 => Some(Mode::Debug),
            2 => Some(Mode::Trace),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Universal => "universal",
            Mode::Debug => "debug",
            Mode::Trace => "trace",
        }
    }
}
