/* The plain C-API baseline: the same trivial functions as hpy_bench.c. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *noargs(PyObject *self, PyObject *unused)
{
    (void)self; (void)unused;
    Py_RETURN_NONE;
}

static PyObject *onearg(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_INCREF(arg);
    return arg;
}

static PyObject *varargs(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "varargs() takes exactly 2 arguments");
        return NULL;
    }
    Py_INCREF(args[1]);
    return args[1];
}

static PyObject *add_ints(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "add_ints() takes exactly 2 arguments");
        return NULL;
    }
    long a = PyLong_AsLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    long b = PyLong_AsLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {
    {"noargs", noargs, METH_NOARGS, NULL},
    {"onearg", onearg, METH_O, NULL},
    {"varargs", (PyCFunction)(void (*)(void))varargs, METH_FASTCALL, NULL},
    {"add_ints", (PyCFunction)(void (*)(void))add_ints, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "capi_bench", NULL, 0, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_capi_bench(void)
{
    return PyModuleDef_Init(&moduledef);
}
