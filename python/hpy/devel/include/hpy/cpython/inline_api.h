#ifndef HPY_CPYTHON_INLINE_API_H
#define HPY_CPYTHON_INLINE_API_H

/*
 * The API functions marked `inline` in api/hpy.api, for the CPython ABI:
 * each is a few instructions on the PyObject* that the handle is. (Their
 * universal-mode counterparts are Rust, in crates/hpy-universal.)
 */

HPyAPI_FUNC HPy HPy_Dup(HPyContext *ctx, HPy h)
{
    (void)ctx;
    Py_XINCREF(_h2py(h));
    return h;
}

HPyAPI_FUNC void HPy_Close(HPyContext *ctx, HPy h)
{
    (void)ctx;
    Py_XDECREF(_h2py(h));
}

HPyAPI_FUNC int HPy_Is(HPyContext *ctx, HPy obj, HPy other)
{
    (void)ctx;
    return _h2py(obj) == _h2py(other);
}

HPyAPI_FUNC int HPy_TypeCheck(HPyContext *ctx, HPy obj, HPy type)
{
    (void)ctx;
    return PyObject_TypeCheck(_h2py(obj), (PyTypeObject *)_h2py(type));
}

HPyAPI_FUNC int HPyErr_Occurred(HPyContext *ctx)
{
    (void)ctx;
    return PyErr_Occurred() != NULL;
}

HPyAPI_FUNC _HPy_NO_RETURN void HPy_FatalError(HPyContext *ctx, const char *message)
{
    (void)ctx;
    Py_FatalError(message);
}

/* A new handle for a borrowed PyObject* (NULL gives HPy_NULL). */
HPyAPI_FUNC HPy HPy_FromPyObject(HPyContext *ctx, PyObject *obj)
{
    (void)ctx;
    Py_XINCREF(obj);
    return _py2h(obj);
}

/* A new reference to the object of a handle (HPy_NULL gives NULL). */
HPyAPI_FUNC PyObject *HPy_AsPyObject(HPyContext *ctx, HPy h)
{
    PyObject *obj = _h2py(h);
    (void)ctx;
    Py_XINCREF(obj);
    return obj;
}

#endif /* HPY_CPYTHON_INLINE_API_H */
