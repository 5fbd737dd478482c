//! The binary interface of HPy 0.9, as `#[repr(C)]` Rust types.
//!
//! This crate knows nothing of CPython: `cpy_*` types are opaque. The
//! context layout (`HPyContext`) is generated from `api/hpy.api` by `hpy-gen`
//! into `autogen_context.rs`, the enums from `api/enums.api` into
//! `autogen_enums.rs`, the HPy function types and the trampolines' argument
//! blocks from `api/signatures.api` into `autogen_hpyfunc.rs` and
//! `autogen_hpyfunc_args.rs`; the rest (handles, the `HPyDef` family, constants) is
//! written by hand in `abi.rs` from the tables in `shared/hpy-abi/`.
#![no_std]
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

mod abi;
mod autogen_context;
mod autogen_enums;
mod autogen_hpyfunc;
mod autogen_hpyfunc_args;

pub use abi::*;
pub use autogen_context::*;
pub use autogen_enums::*;
pub use autogen_hpyfunc::*;
pub use autogen_hpyfunc_args::*;
