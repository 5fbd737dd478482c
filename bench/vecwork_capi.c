/* vecwork.c's Vec4 written against the plain C-API. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    PyObject_HEAD
    double v[4];
} Vec4Object;

static PyTypeObject *Vec4_type;

#define is_vec(o) PyObject_TypeCheck((o), Vec4_type)

static Vec4Object *vec_new(void)
{
    return (Vec4Object *)Vec4_type->tp_alloc(Vec4_type, 0);
}

static PyObject *Vec4_new(PyTypeObject *cls, PyObject *args, PyObject *kw)
{
    double a, b, c, d;
    (void)kw;
    if (!PyArg_ParseTuple(args, "dddd:Vec4", &a, &b, &c, &d))
        return NULL;
    Vec4Object *o = (Vec4Object *)cls->tp_alloc(cls, 0);
    if (o == NULL)
        return NULL;
    o->v[0] = a;
    o->v[1] = b;
    o->v[2] = c;
    o->v[3] = d;
    return (PyObject *)o;
}

static PyObject *add_sub(PyObject *o1, PyObject *o2, double sign)
{
    if (!is_vec(o1) || !is_vec(o2))
        Py_RETURN_NOTIMPLEMENTED;
    Vec4Object *a = (Vec4Object *)o1, *b = (Vec4Object *)o2, *r = vec_new();
    if (r == NULL)
        return NULL;
    for (int i = 0; i < 4; i++)
        r->v[i] = a->v[i] + sign * b->v[i];
    return (PyObject *)r;
}

static PyObject *Vec4_add(PyObject *o1, PyObject *o2)
{
    return add_sub(o1, o2, 1.0);
}

static PyObject *Vec4_sub(PyObject *o1, PyObject *o2)
{
    return add_sub(o1, o2, -1.0);
}

static PyObject *Vec4_mul(PyObject *o1, PyObject *o2)
{
    double k[4];
    if (!is_vec(o1))
        Py_RETURN_NOTIMPLEMENTED;
    if (is_vec(o2)) {
        for (int i = 0; i < 4; i++)
            k[i] = ((Vec4Object *)o2)->v[i];
    }
    else {
        double x = PyFloat_AsDouble(o2);
        if (x == -1.0 && PyErr_Occurred())
            return NULL;
        for (int i = 0; i < 4; i++)
            k[i] = x;
    }
    Vec4Object *a = (Vec4Object *)o1, *r = vec_new();
    if (r == NULL)
        return NULL;
    for (int i = 0; i < 4; i++)
        r->v[i] = a->v[i] * k[i];
    return (PyObject *)r;
}

static PyObject *Vec4_dot(PyObject *self, PyObject *other)
{
    if (!is_vec(other)) {
        PyErr_SetString(PyExc_TypeError, "dot() needs a Vec4");
        return NULL;
    }
    Vec4Object *a = (Vec4Object *)self, *b = (Vec4Object *)other;
    double s = 0.0;
    for (int i = 0; i < 4; i++)
        s += a->v[i] * b->v[i];
    return PyFloat_FromDouble(s);
}

static PyObject *Vec4_sum(PyObject *self, PyObject *unused)
{
    Vec4Object *a = (Vec4Object *)self;
    (void)unused;
    return PyFloat_FromDouble(a->v[0] + a->v[1] + a->v[2] + a->v[3]);
}

static PyObject *Vec4_totuple(PyObject *self, PyObject *unused)
{
    Vec4Object *a = (Vec4Object *)self;
    (void)unused;
    return Py_BuildValue("(dddd)", a->v[0], a->v[1], a->v[2], a->v[3]);
}

static Py_ssize_t Vec4_len(PyObject *self)
{
    (void)self;
    return 4;
}

static PyObject *Vec4_item(PyObject *self, Py_ssize_t i)
{
    if (i < 0 || i >= 4) {
        PyErr_SetString(PyExc_IndexError, "Vec4 index out of range");
        return NULL;
    }
    return PyFloat_FromDouble(((Vec4Object *)self)->v[i]);
}

static PyMethodDef Vec4_methods[] = {
    {"dot", Vec4_dot, METH_O, NULL},
    {"sum", Vec4_sum, METH_NOARGS, NULL},
    {"totuple", Vec4_totuple, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Vec4_slots[] = {
    {Py_tp_new, (void *)Vec4_new},
    {Py_tp_methods, Vec4_methods},
    {Py_nb_add, (void *)Vec4_add},
    {Py_nb_subtract, (void *)Vec4_sub},
    {Py_nb_multiply, (void *)Vec4_mul},
    {Py_sq_length, (void *)Vec4_len},
    {Py_sq_item, (void *)Vec4_item},
    {0, NULL},
};

static PyType_Spec Vec4_spec = {
    "vecwork_capi.Vec4", sizeof(Vec4Object), 0, Py_TPFLAGS_DEFAULT, Vec4_slots,
};

static int vecwork_exec(PyObject *module)
{
    PyObject *t = PyType_FromSpec(&Vec4_spec);
    if (t == NULL)
        return -1;
    Vec4_type = (PyTypeObject *)t;
    Py_INCREF(t); /* the static pointer keeps one */
    int res = PyModule_AddObject(module, "Vec4", t);
    if (res < 0)
        Py_DECREF(t);
    return res;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)vecwork_exec},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "vecwork_capi", NULL, 0, NULL, module_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_vecwork_capi(void)
{
    return PyModuleDef_Init(&moduledef);
}
