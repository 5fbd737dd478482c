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

/* Whether a METH_FASTCALL function got its 2 arguments; TypeError if not
   (inline: the check costs what it would written out). */
static inline int two_args(const char *name, Py_ssize_t nargs)
{
    if (nargs == 2)
        return 1;
    PyErr_Format(PyExc_TypeError, "%s() takes exactly 2 arguments", name);
    return 0;
}

static PyObject *varargs(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("varargs", nargs))
        return NULL;
    Py_INCREF(args[1]);
    return args[1];
}

static PyObject *add_ints(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("add_ints", nargs))
        return NULL;
    long a = PyLong_AsLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    long b = PyLong_AsLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(a + b);
}


/* ~~~ The API functions of hpy_bench.c, with their C-API counterparts. ~~~ */

static PyObject *tuple_pack(PyObject *self, PyObject *arg)
{
    (void)self;
    return PyTuple_Pack(2, arg, arg);
}

/* What one writes by hand for HPyTuple_FromArray. */
static PyObject *tuple_fromarray(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *items[3] = { arg, arg, arg };
    PyObject *t = PyTuple_New(3);
    if (t == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < 3; i++) {
        Py_INCREF(items[i]);
        PyTuple_SET_ITEM(t, i, items[i]);
    }
    return t;
}

#define LIST_BUILDER_N 8

static PyObject *list_builder(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *l = PyList_New(LIST_BUILDER_N);
    if (l == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < LIST_BUILDER_N; i++) {
        Py_INCREF(arg);
        PyList_SET_ITEM(l, i, arg);
    }
    return l;
}

static PyObject *build_value(PyObject *self, PyObject *arg)
{
    (void)self;
    return Py_BuildValue("(iOd)", 42, arg, 1.5);
}

static PyObject *unicode_format(PyObject *self, PyObject *arg)
{
    (void)self;
    (void)arg;
    return PyUnicode_FromFormat("%s=%d", "x", 42);
}

static PyObject *getitem_i(PyObject *self, PyObject *arg)
{
    (void)self;
    return PySequence_GetItem(arg, 1);
}

static PyObject *setitem_i(PyObject *self, PyObject *arg)
{
    (void)self;
    if (PySequence_SetItem(arg, 1, Py_None) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *long_conv(PyObject *self, PyObject *arg)
{
    (void)self;
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(v + 1);
}

static PyObject *float_conv(PyObject *self, PyObject *arg)
{
    (void)self;
    double v = PyFloat_AsDouble(arg);
    if (v == -1.0 && PyErr_Occurred())
        return NULL;
    return PyFloat_FromDouble(v * 2.0);
}

static PyObject *call(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("call", nargs))
        return NULL;
    return PyObject_Vectorcall(args[0], &args[1], 1, NULL);
}

static PyObject *richcompare(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("richcompare", nargs))
        return NULL;
    return PyObject_RichCompare(args[0], args[1], Py_LT);
}

/* Hand-written parsing of the same arguments as hpy_bench.c's parse_*. */

static PyObject *parse_ll(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("parse_ll", nargs))
        return NULL;
    long a = PyLong_AsLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    long b = PyLong_AsLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(a + b);
}

static PyObject *parse_dd(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (!two_args("parse_dd", nargs))
        return NULL;
    double a = PyFloat_AsDouble(args[0]);
    if (a == -1.0 && PyErr_Occurred())
        return NULL;
    double b = PyFloat_AsDouble(args[1]);
    if (b == -1.0 && PyErr_Occurred())
        return NULL;
    return PyFloat_FromDouble(a + b);
}

static PyObject *parse_Oi(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    int i = 0;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "parse_Oi() takes 1 or 2 arguments");
        return NULL;
    }
    if (nargs > 1) {
        long v = PyLong_AsLong(args[1]);
        if (v == -1 && PyErr_Occurred())
            return NULL;
        if (v < INT_MIN || v > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError, "signed integer is out of range");
            return NULL;
        }
        i = (int)v;
    }
    if (i) {
        Py_INCREF(args[0]);
        return args[0];
    }
    Py_RETURN_NONE;
}

static PyObject *parse_sn(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    Py_ssize_t size;
    if (!two_args("parse_sn", nargs))
        return NULL;
    if (!PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "a str is required");
        return NULL;
    }
    const char *s = PyUnicode_AsUTF8AndSize(args[0], &size);
    if (s == NULL)
        return NULL;
    if (strlen(s) != (size_t)size) {
        PyErr_SetString(PyExc_ValueError, "embedded null character");
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(n + (s[0] != '\0'));
}

static PyObject *parse_kw(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    (void)self;
    PyObject *oa = nargs > 0 ? args[0] : NULL, *ob = nargs > 1 ? args[1] : NULL;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "parse_kw() takes at most 2 arguments");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        PyObject **slot = PyUnicode_CompareWithASCIIString(name, "a") == 0 ? &oa
                        : PyUnicode_CompareWithASCIIString(name, "b") == 0 ? &ob : NULL;
        if (slot == NULL || *slot != NULL) {
            PyErr_SetString(PyExc_TypeError, "parse_kw(): bad keyword argument");
            return NULL;
        }
        *slot = args[nargs + k];
    }
    if (oa == NULL) {
        PyErr_SetString(PyExc_TypeError, "parse_kw(): argument 'a' missing");
        return NULL;
    }
    long a = PyLong_AsLong(oa), b = 0;
    if (a == -1 && PyErr_Occurred())
        return NULL;
    if (ob != NULL) {
        b = PyLong_AsLong(ob);
        if (b == -1 && PyErr_Occurred())
            return NULL;
    }
    return PyLong_FromLong(a + b);
}

#define FAST(f) (PyCFunction)(void (*)(void))f

static PyMethodDef methods[] = {
    {"noargs", noargs, METH_NOARGS, NULL},
    {"onearg", onearg, METH_O, NULL},
    {"varargs", (PyCFunction)(void (*)(void))varargs, METH_FASTCALL, NULL},
    {"add_ints", (PyCFunction)(void (*)(void))add_ints, METH_FASTCALL, NULL},
    {"tuple_pack", tuple_pack, METH_O, NULL},
    {"tuple_fromarray", tuple_fromarray, METH_O, NULL},
    {"list_builder", list_builder, METH_O, NULL},
    {"build_value", build_value, METH_O, NULL},
    {"unicode_format", unicode_format, METH_O, NULL},
    {"getitem_i", getitem_i, METH_O, NULL},
    {"setitem_i", setitem_i, METH_O, NULL},
    {"long_conv", long_conv, METH_O, NULL},
    {"float_conv", float_conv, METH_O, NULL},
    {"call", FAST(call), METH_FASTCALL, NULL},
    {"richcompare", FAST(richcompare), METH_FASTCALL, NULL},
    {"parse_ll", FAST(parse_ll), METH_FASTCALL, NULL},
    {"parse_dd", FAST(parse_dd), METH_FASTCALL, NULL},
    {"parse_Oi", FAST(parse_Oi), METH_FASTCALL, NULL},
    {"parse_sn", FAST(parse_sn), METH_FASTCALL, NULL},
    {"parse_kw", FAST(parse_kw), METH_FASTCALL | METH_KEYWORDS, NULL},
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
