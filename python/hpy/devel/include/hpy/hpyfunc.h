#ifndef HPY_HPYFUNC_H
#define HPY_HPYFUNC_H


/* The buffer protocol: field for field the same layout as Py_buffer. */
typedef struct {
    void *buf;
    HPy obj;                    /* owned reference */
    HPy_ssize_t len;
    HPy_ssize_t itemsize;
    int readonly;
    int ndim;
    char *format;
    HPy_ssize_t *shape;
    HPy_ssize_t *strides;
    HPy_ssize_t *suboffsets;
    void *internal;
} HPy_buffer;

/* In a traverse function whose parameters are named `visit` and `arg`:
   visit one HPyField (by address), propagating a non-zero result. */
#define HPy_VISIT(hpyfield)                                                 \
    do {                                                                    \
        if (!HPyField_IsNull(*(hpyfield))) {                                \
            int _hpy_vret = visit((hpyfield), arg);                         \
            if (_hpy_vret)                                                  \
                return _hpy_vret;                                           \
        }                                                                   \
    } while (0)

/* The HPyFunc_* function types, one per signature, and the
   _HPyFunc_DECLARE_<SIG> macros: generated from api/signatures.api. */
#include "autogen_hpyfunc.h"

/* ~~~ HPyFunc_DECLARE(SYM, SIG) ~~~
   Declares `static RET SYM(PARAMS)` with the prototype of signature SIG. SIG
   must be spelled as one of the HPyFunc_Signature names; the enum turns a
   misspelled SIG into a readable "undeclared HPyFunc_XXX" error. */
#define HPyFunc_DECLARE(SYM, SIG)                                           \
    enum { SYM##_sig = SIG };                                               \
    _HPyFunc_DECLARE_##SIG(SYM)

/* ~~~ HPyFunc_TRAMPOLINE(SYM, IMPL, SIG) ~~~
   Defines `static SYM`, the function CPython calls, which calls IMPL (of
   signature SIG). Each ABI has its own definitions of the
   _HPyFunc_TRAMPOLINE_<SIG> macros: hpy/universal/hpyfunc_trampolines.h and
   hpy/cpython/hpyfunc_trampolines.h. */
#define HPyFunc_TRAMPOLINE(SYM, IMPL, SIG)                                  \
    enum { SYM##_sig = SIG };                                               \
    _HPyFunc_TRAMPOLINE_##SIG(SYM, IMPL)

#endif /* HPY_HPYFUNC_H */
