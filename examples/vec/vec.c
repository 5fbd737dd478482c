/*
 * vec: an HPy extension with two custom types, written as an HPy user would.
 *
 *   Vec(x=0.0, y=0.0)   a 2-D vector of C doubles
 *       members x, y (read/write), property `length`, method dot(other),
 *       number slots (+, -, unary -, * by a number, bool), sequence slots
 *       (len(v) == 2, v[0], v[1]), == and !=, repr.
 *
 *   Node(value, next=None)   a cell of a linked list
 *       holds both references in HPyFields and lists them in its
 *       tp_traverse, so the garbage collector sees them: a cycle of nodes
 *       is collected. Properties value and next (read/write), to_list().
 *
 * The same source builds for every ABI (see setup.py). The CPython-ABI and
 * hybrid builds also carry one function written against Python.h, the way a
 * C-API extension is ported one function at a time: legacy_fsum(iterable).
 */
#include "hpy.h"
#include <math.h>
#include <stdio.h>

/* The type objects, kept in HPyGlobals (set by the module's exec slot). */
static HPyGlobal g_Vec;

/* ======================================================================
 * Vec
 * ====================================================================== */

typedef struct {
    double x;
    double y;
} VecObject;

HPyType_HELPERS(VecObject)

static int is_vec(HPyContext *ctx, HPy h)
{
    HPy t = HPyGlobal_Load(ctx, g_Vec);
    int res = HPy_TypeCheck(ctx, h, t);
    HPy_Close(ctx, t);
    return res;
}

/* A new Vec instance holding (x, y). */
static HPy vec_make(HPyContext *ctx, double x, double y)
{
    HPy t = HPyGlobal_Load(ctx, g_Vec);
    VecObject *v;
    HPy h = HPy_New(ctx, t, &v);
    HPy_Close(ctx, t);
    if (HPy_IsNull(h))
        return HPy_NULL;
    v->x = x;
    v->y = y;
    return h;
}

HPyDef_SLOT(Vec_new, HPy_tp_new)
static HPy Vec_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                        HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = {"x", "y", NULL};
    double x = 0.0, y = 0.0;
    if (!HPyArg_ParseKeywordsDict(ctx, NULL, args, nargs, kw, "|dd:Vec",
                                  kwlist, &x, &y))
        return HPy_NULL;
    VecObject *v;
    HPy h = HPy_New(ctx, cls, &v);
    if (HPy_IsNull(h))
        return HPy_NULL;
    v->x = x;
    v->y = y;
    return h;
}

HPyDef_SLOT(Vec_repr, HPy_tp_repr)
static HPy Vec_repr_impl(HPyContext *ctx, HPy self)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    char buf[96];
    snprintf(buf, sizeof buf, "Vec(%g, %g)", v->x, v->y);
    return HPyUnicode_FromString(ctx, buf);
}

HPyDef_MEMBER(Vec_x, "x", HPyMember_DOUBLE, offsetof(VecObject, x),
              .doc = "The first coordinate.")
HPyDef_MEMBER(Vec_y, "y", HPyMember_DOUBLE, offsetof(VecObject, y),
              .doc = "The second coordinate.")

HPyDef_GET(Vec_length, "length", .doc = "The Euclidean length.")
static HPy Vec_length_get(HPyContext *ctx, HPy self, void *closure)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    return HPyFloat_FromDouble(ctx, hypot(v->x, v->y));
}

HPyDef_METH(Vec_dot, "dot", HPyFunc_O,
            .doc = "dot($self, other, /)\n--\n\nThe dot product with another Vec.")
static HPy Vec_dot_impl(HPyContext *ctx, HPy self, HPy other)
{
    if (!is_vec(ctx, other))
        return HPyErr_SetString(ctx, ctx->h_TypeError, "dot() needs a Vec");
    VecObject *a = VecObject_AsStruct(ctx, self);
    VecObject *b = VecObject_AsStruct(ctx, other);
    return HPyFloat_FromDouble(ctx, a->x * b->x + a->y * b->y);
}

HPyDef_SLOT(Vec_add, HPy_nb_add)
static HPy Vec_add_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    if (!is_vec(ctx, h1) || !is_vec(ctx, h2))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    VecObject *a = VecObject_AsStruct(ctx, h1);
    VecObject *b = VecObject_AsStruct(ctx, h2);
    return vec_make(ctx, a->x + b->x, a->y + b->y);
}

HPyDef_SLOT(Vec_sub, HPy_nb_subtract)
static HPy Vec_sub_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    if (!is_vec(ctx, h1) || !is_vec(ctx, h2))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    VecObject *a = VecObject_AsStruct(ctx, h1);
    VecObject *b = VecObject_AsStruct(ctx, h2);
    return vec_make(ctx, a->x - b->x, a->y - b->y);
}

/* Vec * number and number * Vec. */
HPyDef_SLOT(Vec_mul, HPy_nb_multiply)
static HPy Vec_mul_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    HPy vec = is_vec(ctx, h1) ? h1 : h2;
    HPy num = is_vec(ctx, h1) ? h2 : h1;
    if (is_vec(ctx, num) || !HPyNumber_Check(ctx, num))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    double k = HPyFloat_AsDouble(ctx, num);
    if (k == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    VecObject *v = VecObject_AsStruct(ctx, vec);
    return vec_make(ctx, k * v->x, k * v->y);
}

HPyDef_SLOT(Vec_neg, HPy_nb_negative)
static HPy Vec_neg_impl(HPyContext *ctx, HPy self)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    return vec_make(ctx, -v->x, -v->y);
}

HPyDef_SLOT(Vec_bool, HPy_nb_bool)
static int Vec_bool_impl(HPyContext *ctx, HPy self)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    return v->x != 0.0 || v->y != 0.0;
}

HPyDef_SLOT(Vec_len, HPy_sq_length)
static HPy_ssize_t Vec_len_impl(HPyContext *ctx, HPy self)
{
    return 2;
}

HPyDef_SLOT(Vec_item, HPy_sq_item)
static HPy Vec_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    VecObject *v = VecObject_AsStruct(ctx, self);
    if (i == 0)
        return HPyFloat_FromDouble(ctx, v->x);
    if (i == 1)
        return HPyFloat_FromDouble(ctx, v->y);
    return HPyErr_SetString(ctx, ctx->h_IndexError, "Vec index out of range");
}

HPyDef_SLOT(Vec_richcmp, HPy_tp_richcompare)
static HPy Vec_richcmp_impl(HPyContext *ctx, HPy h1, HPy h2, HPy_RichCmpOp op)
{
    if (!is_vec(ctx, h2) || (op != HPy_EQ && op != HPy_NE))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    VecObject *a = VecObject_AsStruct(ctx, h1);
    VecObject *b = VecObject_AsStruct(ctx, h2);
    int equal = a->x == b->x && a->y == b->y;
    return HPyBool_FromLong(ctx, op == HPy_EQ ? equal : !equal);
}

static HPyDef *Vec_defines[] = {
    &Vec_new, &Vec_repr, &Vec_x, &Vec_y, &Vec_length, &Vec_dot,
    &Vec_add, &Vec_sub, &Vec_mul, &Vec_neg, &Vec_bool, &Vec_len, &Vec_item,
    &Vec_richcmp, NULL
};

static HPyType_Spec Vec_spec = {
    .name = "vec.Vec",
    .basicsize = sizeof(VecObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = SHAPE(VecObject),
    .defines = Vec_defines,
    .doc = "Vec(x=0.0, y=0.0): a vector of two C doubles.",
};

/* ======================================================================
 * Node
 * ====================================================================== */

typedef struct {
    HPyField value;
    HPyField next;
    void *weakreflist;      /* for weak references (CPython manages it) */
} NodeObject;

HPyType_HELPERS(NodeObject)

HPyDef_SLOT(Node_new, HPy_tp_new)
static HPy Node_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                         HPy_ssize_t nargs, HPy kw)
{
    static const char *kwlist[] = {"value", "next", NULL};
    HPy value, next = ctx->h_None;
    HPyTracker ht;   /* 'O' with keywords needs a tracker (HPy 0.9) */
    if (!HPyArg_ParseKeywordsDict(ctx, &ht, args, nargs, kw, "O|O:Node",
                                  kwlist, &value, &next))
        return HPy_NULL;
    NodeObject *n;
    HPy h = HPy_New(ctx, cls, &n);
    if (!HPy_IsNull(h)) {
        HPyField_Store(ctx, h, &n->value, value);
        HPyField_Store(ctx, h, &n->next, next);
    }
    HPyTracker_Close(ctx, ht);
    return h;
}

/* The references the garbage collector must know about. */
HPyDef_SLOT(Node_traverse, HPy_tp_traverse)
static int Node_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    NodeObject *n = (NodeObject *)self;
    HPy_VISIT(&n->value);
    HPy_VISIT(&n->next);
    return 0;
}

/* The two properties share their code: each passes its field's offset. */
static HPy node_field_get(HPyContext *ctx, HPy self, size_t offset)
{
    NodeObject *n = NodeObject_AsStruct(ctx, self);
    HPyField *f = (HPyField *)((char *)n + offset);
    return HPyField_Load(ctx, self, *f);
}

static int node_field_set(HPyContext *ctx, HPy self, HPy value, size_t offset)
{
    if (HPy_IsNull(value)) {
        HPyErr_SetString(ctx, ctx->h_AttributeError, "cannot delete this attribute");
        return -1;
    }
    NodeObject *n = NodeObject_AsStruct(ctx, self);
    HPyField *f = (HPyField *)((char *)n + offset);
    HPyField_Store(ctx, self, f, value);
    return 0;
}

HPyDef_GETSET(Node_value, "value", .doc = "The value held by this node.")
static HPy Node_value_get(HPyContext *ctx, HPy self, void *closure)
{
    return node_field_get(ctx, self, offsetof(NodeObject, value));
}
static int Node_value_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    return node_field_set(ctx, self, value, offsetof(NodeObject, value));
}

HPyDef_GETSET(Node_next, "next", .doc = "The next node, or None.")
static HPy Node_next_get(HPyContext *ctx, HPy self, void *closure)
{
    return node_field_get(ctx, self, offsetof(NodeObject, next));
}
static int Node_next_set(HPyContext *ctx, HPy self, HPy value, void *closure)
{
    return node_field_set(ctx, self, value, offsetof(NodeObject, next));
}

HPyDef_METH(Node_to_list, "to_list", HPyFunc_NOARGS,
            .doc = "to_list($self, /)\n--\n\nThe values from this node to "
                   "the end of the list (ValueError on a cycle).")
static HPy Node_to_list_impl(HPyContext *ctx, HPy self)
{
    HPy result = HPyList_New(ctx, 0);
    if (HPy_IsNull(result))
        return HPy_NULL;
    HPy node = HPy_Dup(ctx, self);
    HPy node_type = HPy_Type(ctx, self);
    for (HPy_ssize_t steps = 0; ; steps++) {
        if (steps > 0 && HPy_Is(ctx, node, self)) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "the list has a cycle");
            goto error;
        }
        NodeObject *n = NodeObject_AsStruct(ctx, node);
        HPy value = HPyField_Load(ctx, node, n->value);
        int err = HPyList_Append(ctx, result, value);
        HPy_Close(ctx, value);
        if (err < 0)
            goto error;
        HPy next = HPyField_Load(ctx, node, n->next);
        HPy_Close(ctx, node);
        node = next;
        if (!HPy_TypeCheck(ctx, node, node_type))
            break;   /* None (or anything else) ends the list */
    }
    HPy_Close(ctx, node);
    HPy_Close(ctx, node_type);
    return result;
error:
    HPy_Close(ctx, node);
    HPy_Close(ctx, node_type);
    HPy_Close(ctx, result);
    return HPy_NULL;
}

/* CPython's special member: Node instances can be weakly referenced */
HPyDef_MEMBER(Node_weaklistoffset, "__weaklistoffset__", HPyMember_HPYSSIZET,
              offsetof(NodeObject, weakreflist), .readonly = 1)

static HPyDef *Node_defines[] = {
    &Node_new, &Node_traverse, &Node_value, &Node_next, &Node_to_list,
    &Node_weaklistoffset, NULL
};

static HPyType_Spec Node_spec = {
    .name = "vec.Node",
    .basicsize = sizeof(NodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
    .builtin_shape = SHAPE(NodeObject),
    .defines = Node_defines,
    .doc = "Node(value, next=None): a cell of a linked list.",
};

/* ======================================================================
 * A function still written against Python.h (CPython-ABI and hybrid builds)
 * ====================================================================== */

#ifndef HPY_ABI_UNIVERSAL
#include <Python.h>

static PyObject *legacy_fsum(PyObject *self, PyObject *iterable)
{
    PyObject *seq = PySequence_Fast(iterable, "legacy_fsum() needs an iterable");
    if (seq == NULL)
        return NULL;
    double total = 0.0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        double d = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (d == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        total += d;
    }
    Py_DECREF(seq);
    return PyFloat_FromDouble(total);
}

static PyMethodDef legacy_methods[] = {
    {"legacy_fsum", legacy_fsum, METH_O,
     "legacy_fsum(iterable): the sum of the floats, in C-API code."},
    {NULL, NULL, 0, NULL}
};
#endif

/* ======================================================================
 * The module
 * ====================================================================== */

HPyDef_SLOT(vec_exec, HPy_mod_exec)
static int vec_exec_impl(HPyContext *ctx, HPy module)
{
    if (!HPyHelpers_AddType(ctx, module, "Vec", &Vec_spec, NULL))
        return -1;
    if (!HPyHelpers_AddType(ctx, module, "Node", &Node_spec, NULL))
        return -1;
    HPy t = HPy_GetAttr_s(ctx, module, "Vec");
    if (HPy_IsNull(t))
        return -1;
    HPyGlobal_Store(ctx, &g_Vec, t);
    HPy_Close(ctx, t);
    return 0;
}

static HPyDef *module_defines[] = { &vec_exec, NULL };
static HPyGlobal *module_globals[] = { &g_Vec, NULL };

static HPyModuleDef moduledef = {
    .doc = "Two custom HPy types: Vec (numbers, sequence) and Node (fields, GC).",
    .size = 0,
#ifndef HPY_ABI_UNIVERSAL
    .legacy_methods = legacy_methods,
#endif
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(vec, moduledef)
