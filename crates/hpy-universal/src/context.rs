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

use core::ffi::c_int;
use core::mem::MaybeUninit;

use hpy_sys::HPyContext;

use crate::autogen_context::new_context;
use crate::python::{Gil, GilCell};

pub const UNIVERSAL_NAME: &core::ffi::CStr = c"HPy Universal ABI (hpy-rs, CPython backend)";
pub const HYBRID_NAME: &core::ffi::CStr = c"HPy Universal ABI (hpy-rs, CPython backend, hybrid)";

// Written once, by `init` before any module is loaded; after that only read
// (through the raw pointers handed to extensions).
static UNIVERSAL_CTX: GilCell<MaybeUninit<HPyContext>> = GilCell::new(MaybeUninit::uninit());
static HYBRID_CTX: GilCell<MaybeUninit<HPyContext>> = GilCell::new(MaybeUninit::uninit());
static READY: GilCell<bool> = GilCell::new(false);

/// Builds both contexts, once (from `PyInit_universal`).
pub fn init(gil: Gil) {
    if READY.get(gil) {
        return;
    }
    // SAFETY: `new_context` needs the GIL and an initialised interpreter,
    // which the token proves; the names are static strings.
    let (universal, hybrid) = unsafe {
        (
            new_context(UNIVERSAL_NAME.as_ptr(), core::ptr::null_mut()),
            new_context(HYBRID_NAME.as_ptr(), core::ptr::null_mut()),
        )
    };
    // No extension has the contexts' addresses yet (READY is false).
    UNIVERSAL_CTX.set(gil, MaybeUninit::new(universal));
    HYBRID_CTX.set(gil, MaybeUninit::new(hybrid));
    // Types of pure universal modules may not use legacy features.
    hpy_core::set_pure_universal_context(self::universal());
    // SAFETY: with the GIL; both contexts are filled and live forever.
    unsafe { crate::debug::init(gil, self::universal(), self::hybrid()) };
    READY.set(gil, true);
}

/// The context of universal modules (valid after `init`).
pub fn universal() -> *mut HPyContext {
    UNIVERSAL_CTX.as_ptr().cast()
}

/// The context of hybrid modules (valid after `init`).
pub fn hybrid() -> *mut HPyContext {
    HYBRID_CTX.as_ptr().cast()
}

/// The context a module of this mode gets (hybrid: of a hybrid module).
pub fn for_mode(mode: Mode, hybrid: bool) -> *mut HPyContext {
    match (mode, hybrid) {
        (Mode::Debug, false) => crate::debug::debug(),
        (Mode::Debug, true) => crate::debug::hybrid_debug(),
        (_, false) => universal(),
        (_, true) => self::hybrid(),
    }
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
