/*
 * In HPy universal mode this directory comes first on the include path, so
 * that any #include <Python.h> lands here and stops the build.
 */
#error "It is forbidden to #include <Python.h> when targeting the HPy Universal ABI: a universal module (NAME.hpy0.so) runs on every Python version and implementation, so it may use hpy.h only, never the CPython C-API. Remove the #include <Python.h>, or build with --hpy-abi=hybrid (which allows Python.h and the legacy features) or --hpy-abi=cpython."
