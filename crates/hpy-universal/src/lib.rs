//! hpy.universal: see ARCHITECTURE.md.
