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

/* The same small type as Obj in hpy_bench.c. */
typedef struct {
    PyObject_HEAD
    long value;
} ObjObject;

static PyObject *Obj_new(PyTypeObject *cls, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    ObjObject *o = (ObjObject *)cls->tp_alloc(cls, 0);
    if (o == NULL)
        return NULL;
    o->value = 42;
    return (PyObject *)o;
}

static PyObject *Obj_meth(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    Py_RETURN_NONE;
}

static Py_ssize_t Obj_len(PyObject *self)
{
    (void)self;
    return 3;
}

static PyObject *Obj_item(PyObject *self, Py_ssize_t i)
{
    if (i < 0 || i >= 3) {
        PyErr_SetString(PyExc_IndexError, "index out of range");
        return NULL;
    }
    Py_INCREF(self);
    return self;
}

static PyMethodDef Obj_methods[] = {
    {"meth", Obj_meth, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Obj_slots[] = {
    {Py_tp_new, (void *)Obj_new},
    {Py_tp_methods, Obj_methods},
    {Py_sq_length, (void *)Obj_len},
    {Py_sq_item, (void *)Obj_item},
    {0, NULL},
};

static PyType_Spec Obj_spec = {
    "capi_bench.Obj", sizeof(ObjObject), 0, Py_TPFLAGS_DEFAULT, Obj_slots,
};

static int bench_exec(PyObject *module)
{
    PyObject *t = PyType_FromSpec(&Obj_spec);
    if (t == NULL)
        return -1;
    int res = PyModule_AddObject(module, "Obj", t);
    if (res < 0)
        Py_DECREF(t);
    return res;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)bench_exec},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "capi_bench", NULL, 0, methods, module_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_capi_bench(void)
{
    return PyModuleDef_Init(&moduledef);
}
