#ifndef HPY_CPYTHON_HPY_H
#define HPY_CPYTHON_HPY_H

/*
 * CPython-ABI glue, included by hpy.h after Python.h and the context layout.
 *
 * In this ABI a handle is the PyObject* itself (HPy._i == (intptr_t)obj), so
 * converting is a cast. The functions of the API are defined in
 * cpython/inline_api.h (hand-written) and cpython/autogen_api_impl.h
 * (generated); the "core" ones call ctx_* functions of libhpy_cpython.a.
 */

HPyAPI_FUNC PyObject *_h2py(HPy h)
{
    return (PyObject *)h._i;
}

HPyAPI_FUNC HPy _py2h(PyObject *o)
{
    return _hconv((intptr_t)o);
}

/* An array of handles seen as an array of objects, and back: no copy. */
HPyAPI_FUNC PyObject *const *_h2py_array(const HPy *h)
{
    return (PyObject *const *)h;
}

HPyAPI_FUNC const HPy *_py2h_array(PyObject *const *o)
{
    return (const HPy *)o;
}

HPyAPI_FUNC PyObject *_hf2py(HPyField f)
{
    return (PyObject *)f._i;
}

HPyAPI_FUNC HPyField _py2hf(PyObject *o)
{
    return _hfconv((intptr_t)o);
}

HPyAPI_FUNC PyObject *_hg2py(HPyGlobal g)
{
    return (PyObject *)g._i;
}

HPyAPI_FUNC HPyGlobal _py2hg(PyObject *o)
{
    return _hgconv((intptr_t)o);
}

HPyAPI_FUNC PyThreadState *_h2threads(HPyThreadState s)
{
    return (PyThreadState *)s._i;
}

HPyAPI_FUNC HPyThreadState _threads2h(PyThreadState *s)
{
    return _htsconv((intptr_t)s);
}

/* The items of a tuple, in place (valid also for an empty tuple). */
HPyAPI_FUNC PyObject *const *_HPy_TupleItems(PyObject *tuple)
{
    return ((PyTupleObject *)tuple)->ob_item;
}

/* What a generated API function that is not implemented yet does before
   returning its error value. */
HPyAPI_FUNC void _HPy_NotImplemented(HPyContext *ctx, const char *name)
{
    (void)ctx;
    PyErr_Format(PyExc_SystemError, "HPy function %s is not implemented", name);
}

/* The HPy_mod_create trampoline rejects real module objects (HPy 0.9 does
   not support them yet); steals `result`. */
HPyAPI_FUNC PyObject *_HPy_CheckModCreateResult(PyObject *result)
{
    if (result != NULL && PyModule_Check(result)) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_SystemError,
                        "HPy_mod_create slot returned a builtin module object. "
                        "This is currently not supported.");
        return NULL;
    }
    return result;
}

/* The tp_new trampoline's check of a result whose type is not exactly the
   one asked for: the result if it is an instance of a subtype, else NULL
   with a TypeError (the result released). Implemented in Rust
   (libhpy_cpython.a). */
_HPy_HIDDEN extern PyObject *_HPy_CheckNewResult(PyObject *type, PyObject *result);

/* Calls an HPy function from its CPython-facing trampoline, for the
   signatures whose conversion needs the runtime (HPyFunc_TRAVERSEPROC).
   Implemented in Rust (libhpy_cpython.a). */
_HPy_HIDDEN extern void
ctx_CallRealFunctionFromTrampoline(HPyContext *ctx, HPyFunc_Signature sig,
                                   HPyCFunction func, void *args);

/* Layout assumptions of the CPython ABI, checked at compile time. */
#define _HPy_CPY_STATIC_CHECK(name, cond) typedef char name[(cond) ? 1 : -1]
_HPy_CPY_STATIC_CHECK(_hpy_check_handle_is_pointer,
                      sizeof(HPy) == sizeof(PyObject *));
_HPy_CPY_STATIC_CHECK(_hpy_check_buffer_size,
                      sizeof(HPy_buffer) == sizeof(Py_buffer));
_HPy_CPY_STATIC_CHECK(_hpy_check_buffer_layout,
    offsetof(HPy_buffer, buf) == offsetof(Py_buffer, buf) &&
    offsetof(HPy_buffer, obj) == offsetof(Py_buffer, obj) &&
    offsetof(HPy_buffer, len) == offsetof(Py_buffer, len) &&
    offsetof(HPy_buffer, itemsize) == offsetof(Py_buffer, itemsize) &&
    offsetof(HPy_buffer, readonly) == offsetof(Py_buffer, readonly) &&
    offsetof(HPy_buffer, ndim) == offsetof(Py_buffer, ndim) &&
    offsetof(HPy_buffer, format) == offsetof(Py_buffer, format) &&
    offsetof(HPy_buffer, shape) == offsetof(Py_buffer, shape) &&
    offsetof(HPy_buffer, strides) == offsetof(Py_buffer, strides) &&
    offsetof(HPy_buffer, suboffsets) == offsetof(Py_buffer, suboffsets) &&
    offsetof(HPy_buffer, internal) == offsetof(Py_buffer, internal));
#undef _HPy_CPY_STATIC_CHECK

#endif /* HPY_CPYTHON_HPY_H */
