//! Trace mode: a context that counts and times every API call of a module.
//!
//! Each module loaded in trace mode gets a trace context (`registry.rs`;
//! modules of the same name share one, so that the profile of `python -m
//! hpy.trace` can be told per module): an `HPyContext` whose functions are
//! the generated wrappers of `autogen_trace_context.rs`, and whose
//! `_private` points to the module's `call::TraceState`: the context it
//! wraps (the universal or hybrid one: the handles are the same object
//! pointers, so nothing is converted) and one call counter and one duration
//! counter per context function, indexed as `autogen_trace_names::NAMES`.
//!
//! A wrapper counts the call, reads the clock, calls the wrapped entry,
//! reads the clock again and adds the difference. The Python hooks of
//! `set_trace_functions` are called around that (outside the timed part)
//! only when installed: otherwise it costs one predictable branch. An
//! exception raised by a hook is reported through `sys.unraisablehook` and
//! does not change the traced call: its result, and the exception that it
//! may have set, are the same as without the hook.
//!
//! The clock (`clock.rs`) is the TSC where the kernel keeps time with it,
//! else CLOCK_MONOTONIC; durations are kept in its ticks and turned into
//! nanoseconds when read.
//!
//! The trace contexts live as long as the process (their modules' code
//! keeps pointers to them); the Python functions of `hpy.universal._trace`
//! (`python.rs`) add up their counters.
//!
//! The submodules, each using only those above it: `autogen_trace_names`,
//! `clock`, `call` (one traced call, the hooks), `autogen_trace_context`,
//! `registry`, `python`.

mod autogen_trace_context;
mod autogen_trace_names;
mod call;
mod clock;
mod python;
mod registry;

pub use python::{create_module, trace_all_modules};
pub use registry::context_for;
