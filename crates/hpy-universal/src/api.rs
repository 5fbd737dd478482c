//! The hand-written entries of the universal context: those that
//! api/hpy.api maps `inline` or `runtime`, which the generated table of
//! autogen_context.rs names as `crate::api::ctx_NAME`.
//!
//! - `inline`: the few functions that are a handful of instructions on the
//!   object pointer a handle is (`HPy_Dup`, `HPy_Close`, ...);
//! - `trampoline`: `ctx_CallRealFunctionFromTrampoline`, the dispatcher
//!   through which the trampolines of a universal extension call their HPy
//!   functions.

mod inline;
mod trampoline;

pub use inline::*;
pub use trampoline::ctx_CallRealFunctionFromTrampoline;
