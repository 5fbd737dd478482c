/*
 * hpy.h -- the one header an HPy extension includes.
 *
 * The same source compiles for three targets; the build chooses one by
 * defining exactly one of these macros (hpy.devel does it for you):
 *
 *   HPY_ABI_CPYTHON    an ordinary CPython extension: every HPy call compiles
 *                      down to the C-API (the default when none is defined)
 *   HPY_ABI_UNIVERSAL  one NAME.hpy0.so for every interpreter; Python.h is
 *                      off limits
 *   HPY_ABI_HYBRID     universal plus Python.h and the legacy features
 *
 * Layout of the headers (hpy/...):
 *   hpyexports.h, cpy_types.h, macros.h      small building blocks
 *   hpyfunc.h, hpyslot.h                     signatures, slots
 *   hpydef.h, hpytype.h, hpymodule.h         HPyDef_*, HPyType_Spec, HPy_MODINIT
 *   universal/hpyfunc_trampolines.h          trampolines of universal/hybrid
 *   cpython/hpyfunc_trampolines.h            trampolines of the CPython ABI
 *   cpython/hpy.h, cpython/inline_api.h      CPython-ABI glue and inline API
 *   autogen_ctx.h, universal/autogen_trampolines.h, cpython/autogen_api_impl.h,
 *   cpython/autogen_ctx_init.h, autogen_enums.h, autogen_hpyfunc_args.h
 *                                            generated from the files in api/
 *   inline_helpers.h, runtime/ headers      helpers compiled into extensions
 */
#ifndef HPy_H
#define HPy_H

/* ~~~ HPy ABI version ~~~ (keep in sync with hpy/devel/abitag.py) */
#define HPY_ABI_VERSION 0
#define HPY_ABI_VERSION_MINOR 0
#define HPY_ABI_TAG "hpy0"

/* ~~~ ABI selection ~~~ */
#if (defined(HPY_ABI_CPYTHON) + defined(HPY_ABI_UNIVERSAL) + defined(HPY_ABI_HYBRID)) > 1
#  error "hpy.h: more than one of HPY_ABI_CPYTHON, HPY_ABI_UNIVERSAL and HPY_ABI_HYBRID is defined; define exactly one"
#endif
#if !defined(HPY_ABI_CPYTHON) && !defined(HPY_ABI_UNIVERSAL) && !defined(HPY_ABI_HYBRID)
#  define HPY_ABI_CPYTHON 1
#endif

#if defined(HPY_ABI_CPYTHON)
#  define HPY_ABI "cpython"
#elif defined(HPY_ABI_HYBRID)
#  define HPY_ABI "hybrid"
#else
#  define HPY_ABI "universal"
#endif

#if defined(HPY_ABI_UNIVERSAL) && defined(Py_PYTHON_H)
#  error "It is forbidden to #include <Python.h> when targeting the HPy Universal ABI: Python.h was included before hpy.h, and a universal module must not depend on the CPython C-API. Remove the #include <Python.h>, or build with the hybrid ABI (--hpy-abi=hybrid) to mix HPy and the C-API."
#endif

#if defined(HPY_ABI_CPYTHON) || defined(HPY_ABI_HYBRID)
#  ifndef PY_SSIZE_T_CLEAN
#    define PY_SSIZE_T_CLEAN
#  endif
#  include <Python.h>
#endif

#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ~~~ compiler attributes ~~~ */
#ifdef __GNUC__
#  define _HPy_HIDDEN __attribute__((visibility("hidden")))
#  define _HPy_UNUSED __attribute__((unused))
#else
#  define _HPy_HIDDEN
#  define _HPy_UNUSED
#endif

/* Marks a parameter that a function does not use: `HPyContext *_HPy_UNUSED_ARG(ctx)` */
#define _HPy_UNUSED_ARG(x) x _HPy_UNUSED

#if defined(__GNUC__) || defined(__clang__)
#  define _HPy_NO_RETURN __attribute__((__noreturn__))
#elif defined(_MSC_VER)
#  define _HPy_NO_RETURN __declspec(noreturn)
#else
#  define _HPy_NO_RETURN
#endif

#ifdef __has_attribute
#  define _HPY_compiler_has_attribute(x) __has_attribute(x)
#else
#  define _HPY_compiler_has_attribute(x) 0
#endif

/* Attached to legacy-only API in universal mode: using it is a compile error. */
#if defined(HPY_ABI_UNIVERSAL) && _HPY_compiler_has_attribute(error)
#  define _HPY_LEGACY __attribute__((error("Cannot use legacy functions when targeting the HPy Universal ABI: this function needs the hybrid or CPython ABI (--hpy-abi=hybrid)")))
#else
#  define _HPY_LEGACY
#endif

/* ~~~ kinds of API functions ~~~
   HPyAPI_FUNC           a public API function: static inline, a forward to
                         the context (universal) or to the C-API (CPython ABI)
   HPyAPI_INLINE_HELPER  a public helper written inline over other API calls
   HPyAPI_IMPL           a CPython-side implementation (ctx_*), hidden
   HPyAPI_HELPER         a helper compiled into every extension, hidden */
#define HPyAPI_FUNC          _HPy_UNUSED static inline
#define HPyAPI_INLINE_HELPER HPyAPI_FUNC
#define HPyAPI_IMPL          _HPy_HIDDEN
#define HPyAPI_HELPER        _HPy_HIDDEN
#define HPyAPI_UNUSED        _HPy_UNUSED static inline

/* ~~~ handles ~~~
   Every handle type is one machine word. Its meaning belongs to the runtime
   (on CPython it is the PyObject* itself); 0 is the null handle everywhere. */
typedef struct _HPy_s { intptr_t _i; } HPy;
typedef struct _HPyField_s { intptr_t _i; } HPyField;
typedef struct _HPyGlobal_s { intptr_t _i; } HPyGlobal;
typedef struct _HPyListBuilder_s { intptr_t _lst; } HPyListBuilder;
typedef struct _HPyTupleBuilder_s { intptr_t _tup; } HPyTupleBuilder;
typedef struct _HPyTracker_s { intptr_t _i; } HPyTracker;
typedef struct _HPyThreadState_s { intptr_t _i; } HPyThreadState;

#if defined(_MSC_VER) && defined(__cplusplus)
#  define _hconv(h)   {h}
#  define _hfconv(h)  {h}
#  define _htsconv(h) {h}
#  define _hgconv(h)  {h}
#else
#  define _hconv(h)   ((HPy){h})
#  define _hfconv(h)  ((HPyField){h})
#  define _htsconv(h) ((HPyThreadState){h})
#  define _hgconv(h)  ((HPyGlobal){h})
#endif

#define HPy_NULL _hconv(0)
#define HPy_IsNull(h) ((h)._i == 0)
#define HPyField_NULL _hfconv(0)
#define HPyField_IsNull(f) ((f)._i == 0)

/* Raw conversions between a handle and a void* (needed by some ports). */
HPyAPI_FUNC HPy HPy_FromVoidP(void *p) { return _hconv((intptr_t)p); }
HPyAPI_FUNC void *HPy_AsVoidP(HPy h) { return (void *)h._i; }

typedef struct _HPyContext_s HPyContext;

/* ~~~ scalar types ~~~ */
#ifdef HPY_ABI_CPYTHON
typedef Py_ssize_t HPy_ssize_t;
typedef Py_hash_t HPy_hash_t;
typedef Py_UCS4 HPy_UCS4;
#  define HPY_SSIZE_T_MAX PY_SSIZE_T_MAX
#  define HPY_SSIZE_T_MIN PY_SSIZE_T_MIN
#else
typedef intptr_t HPy_ssize_t;
typedef intptr_t HPy_hash_t;
typedef uint32_t HPy_UCS4;
#  define HPY_SSIZE_T_MAX INTPTR_MAX
#  define HPY_SSIZE_T_MIN (-HPY_SSIZE_T_MAX-1)
#endif

/* Every enum of the API: HPyFunc_Signature, HPySlot_Slot, HPyDef_Kind,
   HPyMember_FieldType, HPyType_BuiltinShape, ... (from api/enums.api). */
#include "hpy/autogen_enums.h"

/* ~~~ the declarative part of the API ~~~ */
#include "hpy/hpyexports.h"
#include "hpy/cpy_types.h"
#include "hpy/macros.h"
#include "hpy/hpyfunc.h"
#include "hpy/hpyslot.h"
#include "hpy/hpydef.h"
#include "hpy/hpytype.h"
#include "hpy/hpymodule.h"
#include "hpy/autogen_hpyfunc_args.h"  /* from api/signatures.api */

#ifdef HPY_ABI_CPYTHON
#  include "hpy/cpython/hpyfunc_trampolines.h"
#else
#  include "hpy/universal/hpyfunc_trampolines.h"
#endif

/* ~~~ the context: one layout for all three ABIs (generated) ~~~ */
#include "hpy/autogen_ctx.h"

/* ~~~ the API functions ~~~ */
#ifdef HPY_ABI_CPYTHON
#  include "hpy/cpython/hpy.h"
#  include "hpy/cpython/inline_api.h"
#  include "hpy/cpython/autogen_api_impl.h"
#  include "hpy/cpython/autogen_ctx_init.h"
#else
#  include "hpy/universal/autogen_trampolines.h"
#endif

#include "hpy/inline_helpers.h"

/* ~~~ helpers compiled into every extension ~~~ */
#include "hpy/runtime/argparse.h"
#include "hpy/runtime/buildvalue.h"
#include "hpy/runtime/format.h"
#include "hpy/runtime/helpers.h"
#include "hpy/runtime/structseq.h"

#ifdef __cplusplus
}
#endif
#endif /* HPy_H */
