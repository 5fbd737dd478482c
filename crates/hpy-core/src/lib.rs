//! hpy-core: see ARCHITECTURE.md.
#![no_std]
