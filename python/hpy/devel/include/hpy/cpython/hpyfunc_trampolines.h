#ifndef HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H
#define HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H

/*
 * Trampolines of the CPython ABI.
 *
 * A handle is the PyObject* itself, so a trampoline calls the implementation
 * directly with the extension's context: `_py2h`/`_h2py` are casts, arrays of
 * PyObject* are passed as arrays of HPy without copying.
 */

#define _HPy_CPY_CTX _ctx_for_trampolines

/* The trampolines of every signature but the special ones below:
   generated from api/signatures.api. */
#include "autogen_hpyfunc_trampolines.h"

/* tp_traverse: finding the object's C struct depends on the type's built-in
   shape, which the runtime (libhpy_cpython.a) knows; let it do the call. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_TRAVERSEPROC(SYM, IMPL)                 \
    static int SYM(PyObject *self, visitproc visit, void *arg)              \
    {                                                                       \
        _HPyFunc_args_TRAVERSEPROC a = { .self = self, .visit = visit,      \
                                         .arg = arg };                      \
        ctx_CallRealFunctionFromTrampoline(_HPy_CPY_CTX, HPyFunc_TRAVERSEPROC, \
                                           (HPyCFunction)(IMPL), &a);       \
        return a.result;                                                    \
    }

/* tp_new: the HPy function with the tuple's items in place (CPython passes
   a tuple: Py_SIZE, without PyTuple_GET_SIZE's assertion); a result that
   is not an instance of the type asked for is a TypeError (the runtime's
   check, out of line: the common case is one comparison). The type's tp_new
   is this trampoline itself where nothing else is to do (hpy-core's
   use_direct_new), else hpy_tp_new, which calls it. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL)                      \
    static PyObject *SYM(PyObject *self, PyObject *args, PyObject *kw)      \
    {                                                                       \
        PyObject *r = _h2py(IMPL(_HPy_CPY_CTX, _py2h(self),                 \
                                 _py2h_array(_HPy_TupleItems(args)),        \
                                 Py_SIZE(args), _py2h(kw)));                \
        if (r == NULL || (PyObject *)Py_TYPE(r) == self)                    \
            return r;                                                       \
        return _HPy_CheckNewResult(self, r);                                \
    }

/* HPy_tp_destroy has no CPython slot: the runtime's tp_dealloc calls the
   implementation directly, so this trampoline only fills the HPySlot. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL)                  \
    static void SYM(void) { abort(); }

/* Py_mod_create. HPy cannot yet create real module objects from an
   HPy_mod_create slot: returning one is an error, as in HPy 0.9. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_MOD_CREATE(SYM, IMPL)                   \
    static PyObject *SYM(PyObject *spec, PyModuleDef *def)                  \
    {                                                                       \
        (void)def;                                                          \
        return _HPy_CheckModCreateResult(                                   \
            _h2py(IMPL(_HPy_CPY_CTX, _py2h(spec))));                        \
    }

#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL)                         \
    static void SYM(PyObject *capsule)                                      \
    {                                                                       \
        const char *name = PyCapsule_GetName(capsule);                      \
        IMPL(name, PyCapsule_GetPointer(capsule, name),                     \
             PyCapsule_GetContext(capsule));                                \
    }

#endif /* HPY_CPYTHON_HPYFUNC_TRAMPOLINES_H */
