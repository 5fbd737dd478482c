#ifndef HPY_CPY_TYPES_H
#define HPY_CPY_TYPES_H

/*
 * CPython types that appear in HPy declarations (legacy methods and slots,
 * trampolines, HPy_AsPyObject ...).
 *
 * They use CPython's own struct tags, so in the CPython and hybrid ABIs they
 * are the very types of Python.h and mix freely with C-API code. In the
 * universal ABI the structs are never defined: the names can be passed around
 * as pointers but nothing can look inside.
 */
typedef struct _object cpy_PyObject;
typedef struct PyMethodDef cpy_PyMethodDef;
typedef struct PyModuleDef cpy_PyModuleDef;

#ifdef HPY_ABI_UNIVERSAL
/* Py_buffer is an anonymous struct in recent Pythons: use our own tag. */
typedef struct _HPy_FORBIDDEN_cpy_Py_buffer cpy_Py_buffer;
#else
typedef Py_buffer cpy_Py_buffer;
#endif

/* The CPython function-pointer types our trampolines are stored as. */
typedef cpy_PyObject *(*cpy_PyCFunction)(cpy_PyObject *, cpy_PyObject *const *, HPy_ssize_t);
typedef int (*cpy_visitproc)(cpy_PyObject *, void *);
typedef cpy_PyObject *(*cpy_getter)(cpy_PyObject *, void *);
typedef int (*cpy_setter)(cpy_PyObject *, cpy_PyObject *, void *);
typedef void (*cpy_PyCapsule_Destructor)(cpy_PyObject *);
typedef cpy_PyObject *(*cpy_vectorcallfunc)(cpy_PyObject *, cpy_PyObject *const *,
                                            size_t, cpy_PyObject *);

#endif /* HPY_CPY_TYPES_H */
