#ifndef HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H
#define HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H

/*
 * Trampolines of the universal and hybrid ABIs.
 *
 * _HPyFunc_TRAMPOLINE_<SIG>(SYM, IMPL) defines `static SYM`, a function with
 * the C signature CPython expects for SIG. It stores its arguments in the
 * _HPyFunc_args_<SIG> block (hpyfunc_args.h) and lets the runtime that loaded
 * the module call IMPL through the context it passed to
 * HPyInitGlobalContext_NAME; the runtime writes IMPL's result, converted back
 * to CPython's convention, into `result`.
 */

#define _HPy_TRAMPOLINE_DISPATCH(SIG, IMPL, ARGS)                           \
    _HPy_CallRealFunctionFromTrampoline(_ctx_for_trampolines, SIG,          \
                                        (HPyCFunction)(IMPL), (ARGS))

/* The trampolines of every signature but the special ones below:
   generated from api/signatures.api. */
#include "autogen_hpyfunc_trampolines.h"

/* HPy_tp_destroy has no CPython slot: the runtime's tp_dealloc calls the
   implementation directly, so this trampoline only fills the HPySlot. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL)                  \
    static void SYM(void) { abort(); }

/* Capsule destructors get the capsule object itself as their "args". */
#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL)                         \
    static void SYM(cpy_PyObject *capsule)                                  \
    {                                                                       \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_CAPSULE_DESTRUCTOR, IMPL, capsule); \
    }

#endif /* HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H */
