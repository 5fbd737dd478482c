"""HPy, the handle-based C API for Python extensions, with a Rust runtime.

hpy.devel builds HPy extensions (setuptools integration, headers, C helpers);
hpy.universal is the runtime that loads universal and hybrid extensions.
"""
