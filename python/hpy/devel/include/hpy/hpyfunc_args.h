#ifndef HPY_HPYFUNC_ARGS_H
#define HPY_HPYFUNC_ARGS_H

/* The argument blocks of _HPy_CallRealFunctionFromTrampoline.

   A universal-mode trampoline receives CPython's arguments, stores them in
   the block of its signature and passes the block's address to the
   runtime, which converts the arguments to handles, calls the HPy function
   and stores the converted result in `result`. These layouts are shared
   with every HPy 0.9 runtime. Exceptions to "one block per signature":
   HPyFunc_CAPSULE_DESTRUCTOR passes the capsule object itself, and
   HPyFunc_DESTROYFUNC is never called through a trampoline. */

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *result;
} _HPyFunc_args_NOARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *arg;
    cpy_PyObject *result;
} _HPyFunc_args_O;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *result;
} _HPyFunc_args_UNARYFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *result;
} _HPyFunc_args_BINARYFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *arg2;
    cpy_PyObject *result;
} _HPyFunc_args_TERNARYFUNC;

typedef struct {
    cpy_PyObject *arg0;
    int result;
} _HPyFunc_args_INQUIRY;

typedef struct {
    cpy_PyObject *arg0;
    HPy_ssize_t result;
} _HPyFunc_args_LENFUNC;

typedef struct {
    cpy_PyObject *arg0;
    HPy_ssize_t arg1;
    cpy_PyObject *result;
} _HPyFunc_args_SSIZEARGFUNC;

typedef struct {
    cpy_PyObject *arg0;
    HPy_ssize_t arg1;
    HPy_ssize_t arg2;
    cpy_PyObject *result;
} _HPyFunc_args_SSIZESSIZEARGFUNC;

typedef struct {
    cpy_PyObject *arg0;
    HPy_ssize_t arg1;
    cpy_PyObject *arg2;
    int result;
} _HPyFunc_args_SSIZEOBJARGPROC;

typedef struct {
    cpy_PyObject *arg0;
    HPy_ssize_t arg1;
    HPy_ssize_t arg2;
    cpy_PyObject *arg3;
    int result;
} _HPyFunc_args_SSIZESSIZEOBJARGPROC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *arg2;
    int result;
} _HPyFunc_args_OBJOBJARGPROC;

typedef struct {
    void *arg0;
} _HPyFunc_args_FREEFUNC;

typedef struct {
    cpy_PyObject *arg0;
    char *arg1;
    cpy_PyObject *result;
} _HPyFunc_args_GETATTRFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *result;
} _HPyFunc_args_GETATTROFUNC;

typedef struct {
    cpy_PyObject *arg0;
    char *arg1;
    cpy_PyObject *arg2;
    int result;
} _HPyFunc_args_SETATTRFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *arg2;
    int result;
} _HPyFunc_args_SETATTROFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *result;
} _HPyFunc_args_REPRFUNC;

typedef struct {
    cpy_PyObject *arg0;
    HPy_hash_t result;
} _HPyFunc_args_HASHFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *result;
} _HPyFunc_args_GETITERFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *result;
} _HPyFunc_args_ITERNEXTFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *arg2;
    cpy_PyObject *result;
} _HPyFunc_args_DESCRGETFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    cpy_PyObject *arg2;
    int result;
} _HPyFunc_args_DESCRSETFUNC;

typedef struct {
    cpy_PyObject *arg0;
    void *arg1;
    cpy_PyObject *result;
} _HPyFunc_args_GETTER;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    void *arg2;
    int result;
} _HPyFunc_args_SETTER;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    int result;
} _HPyFunc_args_OBJOBJPROC;

typedef struct {
    cpy_PyObject *arg0;
} _HPyFunc_args_DESTRUCTOR;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    HPy_ssize_t nargs;
    cpy_PyObject *result;
} _HPyFunc_args_VARARGS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *const *args;
    size_t nargsf;
    cpy_PyObject *kwnames;
    cpy_PyObject *result;
} _HPyFunc_args_KEYWORDS;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    int result;
} _HPyFunc_args_INITPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_PyObject *args;
    cpy_PyObject *kw;
    cpy_PyObject *result;
} _HPyFunc_args_NEWFUNC;

typedef struct {
    cpy_PyObject *arg0;
    cpy_PyObject *arg1;
    HPy_RichCmpOp arg2;
    cpy_PyObject *result;
} _HPyFunc_args_RICHCMPFUNC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
    int flags;
    int result;
} _HPyFunc_args_GETBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_Py_buffer *view;
} _HPyFunc_args_RELEASEBUFFERPROC;

typedef struct {
    cpy_PyObject *self;
    cpy_visitproc visit;
    void *arg;
    int result;
} _HPyFunc_args_TRAVERSEPROC;

typedef struct {
    cpy_PyObject *spec;
    cpy_PyObject *result;
} _HPyFunc_args_MOD_CREATE;

#endif /* HPY_HPYFUNC_ARGS_H */
