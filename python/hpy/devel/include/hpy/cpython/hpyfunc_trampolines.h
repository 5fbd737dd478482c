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

/* ~~~ methods ~~~ */

#define _HPyFunc_TRAMPOLINE_HPyFunc_NOARGS(SYM, IMPL)                       \
    static PyObject *SYM(PyObject *self, PyObject *noargs)                  \
    {                                                                       \
        (void)noargs;                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(self)));                      \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_O(SYM, IMPL)                            \
    static PyObject *SYM(PyObject *self, PyObject *arg)                     \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(self), _py2h(arg)));          \
    }

/* METH_FASTCALL */
#define _HPyFunc_TRAMPOLINE_HPyFunc_VARARGS(SYM, IMPL)                      \
    static PyObject *SYM(PyObject *self, PyObject *const *args,             \
                         Py_ssize_t nargs)                                  \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(self), _py2h_array(args),     \
                          (size_t)nargs));                                  \
    }

/* METH_FASTCALL | METH_KEYWORDS, and vectorcall (HPy_tp_call,
   HPyDef_CALL_FUNCTION): nargsf may carry PY_VECTORCALL_ARGUMENTS_OFFSET. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_KEYWORDS(SYM, IMPL)                     \
    static PyObject *SYM(PyObject *self, PyObject *const *args,             \
                         size_t nargsf, PyObject *kwnames)                  \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(self), _py2h_array(args),     \
                          (size_t)PyVectorcall_NARGS(nargsf),               \
                          _py2h(kwnames)));                                 \
    }

/* ~~~ slots: object -> object ~~~ */

#define _HPyFunc_TRAMPOLINE_HPyFunc_UNARYFUNC(SYM, IMPL)                    \
    static PyObject *SYM(PyObject *arg0)                                    \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0)));                      \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_BINARYFUNC(SYM, IMPL)                   \
    static PyObject *SYM(PyObject *arg0, PyObject *arg1)                    \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), _py2h(arg1)));         \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_TERNARYFUNC(SYM, IMPL)                  \
    static PyObject *SYM(PyObject *arg0, PyObject *arg1, PyObject *arg2)    \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), _py2h(arg1),           \
                          _py2h(arg2)));                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_INQUIRY(SYM, IMPL)                      \
    static int SYM(PyObject *arg0)                                          \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0));                             \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_LENFUNC(SYM, IMPL)                      \
    static Py_ssize_t SYM(PyObject *arg0)                                   \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0));                             \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJARGPROC(SYM, IMPL)                \
    static int SYM(PyObject *arg0, PyObject *arg1, PyObject *arg2)          \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), _py2h(arg1), _py2h(arg2));   \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETATTROFUNC(SYM, IMPL)                 \
    _HPyFunc_TRAMPOLINE_HPyFunc_BINARYFUNC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_SETATTROFUNC(SYM, IMPL)                 \
    _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJARGPROC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_REPRFUNC(SYM, IMPL)                     \
    _HPyFunc_TRAMPOLINE_HPyFunc_UNARYFUNC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_GETITERFUNC(SYM, IMPL)                  \
    _HPyFunc_TRAMPOLINE_HPyFunc_UNARYFUNC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_ITERNEXTFUNC(SYM, IMPL)                 \
    _HPyFunc_TRAMPOLINE_HPyFunc_UNARYFUNC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESCRGETFUNC(SYM, IMPL)                 \
    _HPyFunc_TRAMPOLINE_HPyFunc_TERNARYFUNC(SYM, IMPL)
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESCRSETFUNC(SYM, IMPL)                 \
    _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJARGPROC(SYM, IMPL)

#define _HPyFunc_TRAMPOLINE_HPyFunc_HASHFUNC(SYM, IMPL)                     \
    static Py_hash_t SYM(PyObject *arg0)                                    \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0));                             \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJPROC(SYM, IMPL)                   \
    static int SYM(PyObject *arg0, PyObject *arg1)                          \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), _py2h(arg1));                \
    }

/* ~~~ slots with C-typed arguments ~~~ */

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZEARGFUNC(SYM, IMPL)                 \
    static PyObject *SYM(PyObject *arg0, Py_ssize_t arg1)                   \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1));                \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZESSIZEARGFUNC(SYM, IMPL)            \
    static PyObject *SYM(PyObject *arg0, Py_ssize_t arg1, Py_ssize_t arg2)  \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1, arg2));          \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZEOBJARGPROC(SYM, IMPL)              \
    static int SYM(PyObject *arg0, Py_ssize_t arg1, PyObject *arg2)         \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1, _py2h(arg2));          \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZESSIZEOBJARGPROC(SYM, IMPL)         \
    static int SYM(PyObject *arg0, Py_ssize_t arg1, Py_ssize_t arg2,        \
                   PyObject *arg3)                                          \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1, arg2, _py2h(arg3));    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_FREEFUNC(SYM, IMPL)                     \
    static void SYM(void *arg0)                                             \
    {                                                                       \
        IMPL(_HPy_CPY_CTX, arg0);                                           \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETATTRFUNC(SYM, IMPL)                  \
    static PyObject *SYM(PyObject *arg0, char *arg1)                        \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1));                \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SETATTRFUNC(SYM, IMPL)                  \
    static int SYM(PyObject *arg0, char *arg1, PyObject *arg2)              \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1, _py2h(arg2));          \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETTER(SYM, IMPL)                       \
    static PyObject *SYM(PyObject *arg0, void *arg1)                        \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(arg0), arg1));                \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SETTER(SYM, IMPL)                       \
    static int SYM(PyObject *arg0, PyObject *arg1, void *arg2)              \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(arg0), _py2h(arg1), arg2);          \
    }

/* tp_finalize */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTRUCTOR(SYM, IMPL)                   \
    static void SYM(PyObject *arg0)                                         \
    {                                                                       \
        IMPL(_HPy_CPY_CTX, _py2h(arg0));                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RICHCMPFUNC(SYM, IMPL)                  \
    static PyObject *SYM(PyObject *self, PyObject *obj, int op)             \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(self), _py2h(obj),            \
                          (HPy_RichCmpOp)op));                              \
    }

/* tp_init and tp_new: the items of the args tuple are passed in place as the
   array of handles; kw is a dict or NULL. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_INITPROC(SYM, IMPL)                     \
    static int SYM(PyObject *self, PyObject *args, PyObject *kw)            \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(self),                              \
                    _py2h_array(_HPy_TupleItems(args)),                     \
                    PyTuple_GET_SIZE(args), _py2h(kw));                     \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL)                      \
    static PyObject *SYM(PyObject *type, PyObject *args, PyObject *kw)      \
    {                                                                       \
        return _h2py(IMPL(_HPy_CPY_CTX, _py2h(type),                        \
                          _py2h_array(_HPy_TupleItems(args)),               \
                          PyTuple_GET_SIZE(args), _py2h(kw)));              \
    }

/* The buffer protocol: HPy_buffer has Py_buffer's layout with `obj` as a
   handle, i.e. the same bits (checked in cpython/hpy.h), so the view is
   passed through as it is. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_GETBUFFERPROC(SYM, IMPL)                \
    static int SYM(PyObject *self, Py_buffer *view, int flags)              \
    {                                                                       \
        return IMPL(_HPy_CPY_CTX, _py2h(self), (HPy_buffer *)view, flags);  \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RELEASEBUFFERPROC(SYM, IMPL)            \
    static void SYM(PyObject *self, Py_buffer *view)                        \
    {                                                                       \
        IMPL(_HPy_CPY_CTX, _py2h(self), (HPy_buffer *)view);                \
    }

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
