/* examples/pof/pof.c written against the plain C-API: the baseline that
   bench/size.py compares the CPython-ABI build of pof with. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *do_nothing(PyObject *self, PyObject *unused)
{
    Py_RETURN_NONE;
}

static PyObject *double_obj(PyObject *self, PyObject *obj)
{
    return PyNumber_Add(obj, obj);
}

static PyObject *sum_of_longs(long a, long b)
{
    long result;
    if (__builtin_add_overflow(a, b, &result)) {
        PyErr_SetString(PyExc_OverflowError, "the sum does not fit in a C long");
        return NULL;
    }
    return PyLong_FromLong(result);
}

static PyObject *add_ints(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll:add_ints", &a, &b))
        return NULL;
    return sum_of_longs(a, b);
}

static PyObject *add_ints_kw(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "a", "b", NULL };
    long a, b;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ll:add_ints_kw", kwlist, &a, &b))
        return NULL;
    return sum_of_longs(a, b);
}

static PyObject *greet(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:greet", &name))
        return NULL;
    return PyUnicode_FromFormat("Hello, %s!", name);
}

static PyMethodDef methods[] = {
    {"do_nothing", do_nothing, METH_NOARGS, "Take no arguments and return None."},
    {"double", double_obj, METH_O, "Return obj + obj."},
    {"add_ints", add_ints, METH_VARARGS, "add_ints(a, b): return a + b for two C longs."},
    {"add_ints_kw", (PyCFunction)(void (*)(void))add_ints_kw, METH_VARARGS | METH_KEYWORDS,
     "add_ints_kw(a, b): like add_ints, also by keyword."},
    {"greet", greet, METH_VARARGS, "greet(name): return 'Hello, NAME!'."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "pof", "HPy proof of concept", 0, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_pof(void)
{
    return PyModuleDef_Init(&moduledef);
}
