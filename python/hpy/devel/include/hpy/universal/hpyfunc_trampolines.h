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

/* ~~~ methods ~~~ */

#define _HPyFunc_TRAMPOLINE_HPyFunc_NOARGS(SYM, IMPL)                       \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *noargs)      \
    {                                                                       \
        _HPyFunc_args_NOARGS a = { .self = self, .result = 0 };             \
        (void)noargs;                                                       \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_NOARGS, IMPL, &a);                 \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_O(SYM, IMPL)                            \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *arg)         \
    {                                                                       \
        _HPyFunc_args_O a = { .self = self, .arg = arg, .result = 0 };      \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_O, IMPL, &a);                      \
        return a.result;                                                    \
    }

/* METH_FASTCALL */
#define _HPyFunc_TRAMPOLINE_HPyFunc_VARARGS(SYM, IMPL)                      \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, \
                             HPy_ssize_t nargs)                             \
    {                                                                       \
        _HPyFunc_args_VARARGS a = { .self = self, .args = args,             \
                                    .nargs = nargs, .result = 0 };          \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_VARARGS, IMPL, &a);                \
        return a.result;                                                    \
    }

/* METH_FASTCALL | METH_KEYWORDS, and vectorcall (HPy_tp_call,
   HPyDef_CALL_FUNCTION): nargsf may carry PY_VECTORCALL_ARGUMENTS_OFFSET. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_KEYWORDS(SYM, IMPL)                     \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *const *args, \
                             size_t nargsf, cpy_PyObject *kwnames)          \
    {                                                                       \
        _HPyFunc_args_KEYWORDS a = { .self = self, .args = args,            \
                                     .nargsf = nargsf, .kwnames = kwnames,  \
                                     .result = 0 };                         \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_KEYWORDS, IMPL, &a);               \
        return a.result;                                                    \
    }

/* ~~~ slots: object -> object ~~~ */

#define _HPy_TRAMPOLINE_1(SIG, SYM, IMPL, RET)                              \
    static RET SYM(cpy_PyObject *arg0)                                      \
    {                                                                       \
        _HPyFunc_args_##SIG a = { .arg0 = arg0, .result = 0 };              \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_##SIG, IMPL, &a);                  \
        return a.result;                                                    \
    }

#define _HPy_TRAMPOLINE_2(SIG, SYM, IMPL, RET)                              \
    static RET SYM(cpy_PyObject *arg0, cpy_PyObject *arg1)                  \
    {                                                                       \
        _HPyFunc_args_##SIG a = { .arg0 = arg0, .arg1 = arg1, .result = 0 }; \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_##SIG, IMPL, &a);                  \
        return a.result;                                                    \
    }

#define _HPy_TRAMPOLINE_3(SIG, SYM, IMPL, RET)                              \
    static RET SYM(cpy_PyObject *arg0, cpy_PyObject *arg1,                  \
                   cpy_PyObject *arg2)                                      \
    {                                                                       \
        _HPyFunc_args_##SIG a = { .arg0 = arg0, .arg1 = arg1,               \
                                  .arg2 = arg2, .result = 0 };              \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_##SIG, IMPL, &a);                  \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_UNARYFUNC(SYM, IMPL)    _HPy_TRAMPOLINE_1(UNARYFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_BINARYFUNC(SYM, IMPL)   _HPy_TRAMPOLINE_2(BINARYFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_TERNARYFUNC(SYM, IMPL)  _HPy_TRAMPOLINE_3(TERNARYFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_INQUIRY(SYM, IMPL)      _HPy_TRAMPOLINE_1(INQUIRY, SYM, IMPL, int)
#define _HPyFunc_TRAMPOLINE_HPyFunc_LENFUNC(SYM, IMPL)      _HPy_TRAMPOLINE_1(LENFUNC, SYM, IMPL, HPy_ssize_t)
#define _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJARGPROC(SYM, IMPL) _HPy_TRAMPOLINE_3(OBJOBJARGPROC, SYM, IMPL, int)
#define _HPyFunc_TRAMPOLINE_HPyFunc_GETATTROFUNC(SYM, IMPL) _HPy_TRAMPOLINE_2(GETATTROFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_SETATTROFUNC(SYM, IMPL) _HPy_TRAMPOLINE_3(SETATTROFUNC, SYM, IMPL, int)
#define _HPyFunc_TRAMPOLINE_HPyFunc_REPRFUNC(SYM, IMPL)     _HPy_TRAMPOLINE_1(REPRFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_HASHFUNC(SYM, IMPL)     _HPy_TRAMPOLINE_1(HASHFUNC, SYM, IMPL, HPy_hash_t)
#define _HPyFunc_TRAMPOLINE_HPyFunc_GETITERFUNC(SYM, IMPL)  _HPy_TRAMPOLINE_1(GETITERFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_ITERNEXTFUNC(SYM, IMPL) _HPy_TRAMPOLINE_1(ITERNEXTFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESCRGETFUNC(SYM, IMPL) _HPy_TRAMPOLINE_3(DESCRGETFUNC, SYM, IMPL, cpy_PyObject *)
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESCRSETFUNC(SYM, IMPL) _HPy_TRAMPOLINE_3(DESCRSETFUNC, SYM, IMPL, int)
#define _HPyFunc_TRAMPOLINE_HPyFunc_OBJOBJPROC(SYM, IMPL)   _HPy_TRAMPOLINE_2(OBJOBJPROC, SYM, IMPL, int)

/* ~~~ slots with C-typed arguments ~~~ */

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZEARGFUNC(SYM, IMPL)                 \
    static cpy_PyObject *SYM(cpy_PyObject *arg0, HPy_ssize_t arg1)          \
    {                                                                       \
        _HPyFunc_args_SSIZEARGFUNC a = { .arg0 = arg0, .arg1 = arg1,        \
                                         .result = 0 };                     \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SSIZEARGFUNC, IMPL, &a);           \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZESSIZEARGFUNC(SYM, IMPL)            \
    static cpy_PyObject *SYM(cpy_PyObject *arg0, HPy_ssize_t arg1,          \
                             HPy_ssize_t arg2)                              \
    {                                                                       \
        _HPyFunc_args_SSIZESSIZEARGFUNC a = { .arg0 = arg0, .arg1 = arg1,   \
                                              .arg2 = arg2, .result = 0 };  \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SSIZESSIZEARGFUNC, IMPL, &a);      \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZEOBJARGPROC(SYM, IMPL)              \
    static int SYM(cpy_PyObject *arg0, HPy_ssize_t arg1, cpy_PyObject *arg2) \
    {                                                                       \
        _HPyFunc_args_SSIZEOBJARGPROC a = { .arg0 = arg0, .arg1 = arg1,     \
                                            .arg2 = arg2, .result = 0 };    \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SSIZEOBJARGPROC, IMPL, &a);        \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SSIZESSIZEOBJARGPROC(SYM, IMPL)         \
    static int SYM(cpy_PyObject *arg0, HPy_ssize_t arg1, HPy_ssize_t arg2,  \
                   cpy_PyObject *arg3)                                      \
    {                                                                       \
        _HPyFunc_args_SSIZESSIZEOBJARGPROC a = { .arg0 = arg0, .arg1 = arg1, \
                                                 .arg2 = arg2, .arg3 = arg3,\
                                                 .result = 0 };             \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SSIZESSIZEOBJARGPROC, IMPL, &a);   \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_FREEFUNC(SYM, IMPL)                     \
    static void SYM(void *arg0)                                             \
    {                                                                       \
        _HPyFunc_args_FREEFUNC a = { .arg0 = arg0 };                        \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_FREEFUNC, IMPL, &a);               \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETATTRFUNC(SYM, IMPL)                  \
    static cpy_PyObject *SYM(cpy_PyObject *arg0, char *arg1)                \
    {                                                                       \
        _HPyFunc_args_GETATTRFUNC a = { .arg0 = arg0, .arg1 = arg1,         \
                                        .result = 0 };                      \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_GETATTRFUNC, IMPL, &a);            \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SETATTRFUNC(SYM, IMPL)                  \
    static int SYM(cpy_PyObject *arg0, char *arg1, cpy_PyObject *arg2)      \
    {                                                                       \
        _HPyFunc_args_SETATTRFUNC a = { .arg0 = arg0, .arg1 = arg1,         \
                                        .arg2 = arg2, .result = 0 };        \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SETATTRFUNC, IMPL, &a);            \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_GETTER(SYM, IMPL)                       \
    static cpy_PyObject *SYM(cpy_PyObject *arg0, void *arg1)                \
    {                                                                       \
        _HPyFunc_args_GETTER a = { .arg0 = arg0, .arg1 = arg1, .result = 0 }; \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_GETTER, IMPL, &a);                 \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_SETTER(SYM, IMPL)                       \
    static int SYM(cpy_PyObject *arg0, cpy_PyObject *arg1, void *arg2)      \
    {                                                                       \
        _HPyFunc_args_SETTER a = { .arg0 = arg0, .arg1 = arg1, .arg2 = arg2,\
                                   .result = 0 };                           \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_SETTER, IMPL, &a);                 \
        return a.result;                                                    \
    }

/* tp_finalize */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTRUCTOR(SYM, IMPL)                   \
    static void SYM(cpy_PyObject *arg0)                                     \
    {                                                                       \
        _HPyFunc_args_DESTRUCTOR a = { .arg0 = arg0 };                      \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_DESTRUCTOR, IMPL, &a);             \
    }

/* The op is an int for CPython, an HPy_RichCmpOp for HPy. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_RICHCMPFUNC(SYM, IMPL)                  \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *obj, int op) \
    {                                                                       \
        _HPyFunc_args_RICHCMPFUNC a = { .arg0 = self, .arg1 = obj,          \
                                        .arg2 = (HPy_RichCmpOp)op,          \
                                        .result = 0 };                      \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_RICHCMPFUNC, IMPL, &a);            \
        return a.result;                                                    \
    }

/* tp_init and tp_new: CPython passes an args tuple and a kwargs dict (or
   NULL); the runtime turns them into an array of handles and a dict handle. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_INITPROC(SYM, IMPL)                     \
    static int SYM(cpy_PyObject *self, cpy_PyObject *args, cpy_PyObject *kw) \
    {                                                                       \
        _HPyFunc_args_INITPROC a = { .self = self, .args = args, .kw = kw,  \
                                     .result = 0 };                         \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_INITPROC, IMPL, &a);               \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_NEWFUNC(SYM, IMPL)                      \
    static cpy_PyObject *SYM(cpy_PyObject *self, cpy_PyObject *args,        \
                             cpy_PyObject *kw)                              \
    {                                                                       \
        _HPyFunc_args_NEWFUNC a = { .self = self, .args = args, .kw = kw,   \
                                    .result = 0 };                          \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_NEWFUNC, IMPL, &a);                \
        return a.result;                                                    \
    }

/* The buffer protocol: the runtime converts between Py_buffer and HPy_buffer. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_GETBUFFERPROC(SYM, IMPL)                \
    static int SYM(cpy_PyObject *self, cpy_Py_buffer *view, int flags)      \
    {                                                                       \
        _HPyFunc_args_GETBUFFERPROC a = { .self = self, .view = view,       \
                                          .flags = flags, .result = 0 };    \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_GETBUFFERPROC, IMPL, &a);          \
        return a.result;                                                    \
    }

#define _HPyFunc_TRAMPOLINE_HPyFunc_RELEASEBUFFERPROC(SYM, IMPL)            \
    static void SYM(cpy_PyObject *self, cpy_Py_buffer *view)                \
    {                                                                       \
        _HPyFunc_args_RELEASEBUFFERPROC a = { .self = self, .view = view }; \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_RELEASEBUFFERPROC, IMPL, &a);      \
    }

/* tp_traverse: the runtime finds the object's C struct and adapts `visit`. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_TRAVERSEPROC(SYM, IMPL)                 \
    static int SYM(cpy_PyObject *self, cpy_visitproc visit, void *arg)      \
    {                                                                       \
        _HPyFunc_args_TRAVERSEPROC a = { .self = self, .visit = visit,      \
                                         .arg = arg, .result = 0 };         \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_TRAVERSEPROC, IMPL, &a);           \
        return a.result;                                                    \
    }

/* HPy_tp_destroy has no CPython slot: the runtime's tp_dealloc calls the
   implementation directly, so this trampoline only fills the HPySlot. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_DESTROYFUNC(SYM, IMPL)                  \
    static void SYM(void) { abort(); }

/* Py_mod_create: the second argument (the PyModuleDef) is not needed. */
#define _HPyFunc_TRAMPOLINE_HPyFunc_MOD_CREATE(SYM, IMPL)                   \
    static cpy_PyObject *SYM(cpy_PyObject *spec, cpy_PyModuleDef *def)      \
    {                                                                       \
        _HPyFunc_args_MOD_CREATE a = { .spec = spec, .result = 0 };         \
        (void)def;                                                          \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_MOD_CREATE, IMPL, &a);             \
        return a.result;                                                    \
    }

/* Capsule destructors get the capsule object itself as their "args". */
#define HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM, IMPL)                         \
    static void SYM(cpy_PyObject *capsule)                                  \
    {                                                                       \
        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_CAPSULE_DESTRUCTOR, IMPL, capsule); \
    }

#endif /* HPY_UNIVERSAL_HPYFUNC_TRAMPOLINES_H */
