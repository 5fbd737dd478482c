#ifndef HPY_HPYMODULE_H
#define HPY_HPYMODULE_H

/* The definition of a module, returned by HPyInit_NAME (universal) or turned
   into a PyModuleDef (CPython ABI). HPy modules always use multi-phase
   initialization: the module's name comes from its spec, and its
   initialization code goes into HPy_mod_exec slots among the `defines`. */
typedef struct {
    const char *doc;                     /* UTF-8, may be NULL */
    HPy_ssize_t size;                    /* bytes of module state; >= 0 */
    cpy_PyMethodDef *legacy_methods;     /* NULL-terminated; hybrid/CPython only */
    HPyDef **defines;                    /* NULL-terminated */
    HPyGlobal **globals;                 /* NULL-terminated */
} HPyModuleDef;

/* ~~~ the context the trampolines use ~~~
   `_ctx_for_trampolines` is defined by HPy_MODINIT, once per extension, and
   is hidden (not exported). An extension that links several HPy modules into
   one binary defines HPY_EMBEDDED_MODULES and writes HPY_MOD_EMBEDDABLE(name)
   at the top of each module's (single) source file: each module then gets a
   static context of its own. */
#ifdef HPY_EMBEDDED_MODULES
#  define _HPy_CTX_MODIFIER static
#  define HPY_MOD_EMBEDDABLE(modname) _HPy_CTX_MODIFIER HPyContext *_ctx_for_trampolines;
#else
#  define _HPy_CTX_MODIFIER _HPy_HIDDEN
#  define HPY_MOD_EMBEDDABLE(modname)
_HPy_HIDDEN extern HPyContext *_ctx_for_trampolines;
#endif

/* ~~~ the ABI minor version the extension requires ~~~
   0 (HPy 0.9.0) unless the extension defines HPY_ABI_VERSION_MINOR_REQUESTED
   before including hpy.h, which also declares the functions added to the
   context after 0.9.0 (see README). A runtime older than the requested
   version refuses the module at load time instead of crashing on a call.
   hpy/autogen_ctx.h rejects a version newer than these headers know. */
#ifdef HPY_ABI_VERSION_MINOR_REQUESTED
#  define _HPY_ABI_VERSION_MINOR_REQUIRED HPY_ABI_VERSION_MINOR_REQUESTED
#else
#  define _HPY_ABI_VERSION_MINOR_REQUIRED 0
#endif

/* ~~~ HPy_MODINIT(EXTNAME, MODDEF) ~~~
   Write it once per extension, after MODDEF (an HPyModuleDef). EXTNAME is
   the extension's file name without suffix.

   universal/hybrid: exports the four symbols an HPy loader looks for
       uint32_t get_required_hpy_major_version_EXTNAME(void)
       uint32_t get_required_hpy_minor_version_EXTNAME(void)
       void HPyInitGlobalContext_EXTNAME(HPyContext *ctx)
       HPyModuleDef *HPyInit_EXTNAME(void)
   CPython ABI: exports PyInit_EXTNAME, which fills the extension's static
   context and hands MODDEF to the runtime for multi-phase initialization. */
#ifdef HPY_ABI_CPYTHON

/* Implemented in Rust (libhpy_cpython.a): converts `def` into a PyModuleDef
   and returns PyModuleDef_Init(pydef), or sets an exception and returns NULL. */
_HPy_HIDDEN extern cpy_PyObject *
_HPyModuleDef_CPyInit(HPyContext *ctx, HPyModuleDef *def, const char *name);

#define HPy_MODINIT(ext_name, mod_def)                                      \
    static HPyContext _hpy_cpython_ctx_##ext_name;                          \
    _HPy_CTX_MODIFIER HPyContext *_ctx_for_trampolines =                    \
        &_hpy_cpython_ctx_##ext_name;                                       \
    PyMODINIT_FUNC PyInit_##ext_name(void);                                 \
    PyMODINIT_FUNC PyInit_##ext_name(void)                                  \
    {                                                                       \
        _HPy_InitCPythonContext(_ctx_for_trampolines);                      \
        return _HPyModuleDef_CPyInit(_ctx_for_trampolines, &(mod_def),      \
                                     #ext_name);                            \
    }

#else /* universal and hybrid */

#define HPy_MODINIT(ext_name, mod_def)                                      \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_major_version_##ext_name(void); \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_minor_version_##ext_name(void); \
    HPy_EXPORTED_FUNC void HPyInitGlobalContext_##ext_name(HPyContext *ctx); \
    HPy_EXPORTED_FUNC HPyModuleDef *HPyInit_##ext_name(void);               \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_major_version_##ext_name(void) \
    {                                                                       \
        return HPY_ABI_VERSION;                                             \
    }                                                                       \
    HPy_EXPORTED_FUNC uint32_t get_required_hpy_minor_version_##ext_name(void) \
    {                                                                       \
        return _HPY_ABI_VERSION_MINOR_REQUIRED;                             \
    }                                                                       \
    _HPy_CTX_MODIFIER HPyContext *_ctx_for_trampolines;                     \
    HPy_EXPORTED_FUNC void HPyInitGlobalContext_##ext_name(HPyContext *ctx) \
    {                                                                       \
        _ctx_for_trampolines = ctx;                                         \
    }                                                                       \
    HPy_EXPORTED_FUNC HPyModuleDef *HPyInit_##ext_name(void)                \
    {                                                                       \
        return &(mod_def);                                                  \
    }

#endif /* HPY_ABI_CPYTHON */

#endif /* HPY_HPYMODULE_H */
