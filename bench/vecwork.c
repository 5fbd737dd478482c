/* The workload type of workload.py in HPy: Vec4, four doubles with
   element-wise arithmetic and reductions; vecwork_capi.c is the same in
   the C-API. Every operation crosses the API a few times (type checks,
   instance creation, float conversions, argument parsing). */
#include "hpy.h"

typedef struct {
    double v[4];
} Vec4Object;

HPyType_HELPERS(Vec4Object)

static HPyGlobal g_Vec4;

static int is_vec(HPyContext *ctx, HPy h)
{
    HPy t = HPyGlobal_Load(ctx, g_Vec4);
    int res = HPy_TypeCheck(ctx, h, t);
    HPy_Close(ctx, t);
    return res;
}

/* A new Vec4; *out receives its data. */
static HPy vec_new(HPyContext *ctx, Vec4Object **out)
{
    HPy t = HPyGlobal_Load(ctx, g_Vec4);
    HPy h = HPy_New(ctx, t, out);
    HPy_Close(ctx, t);
    return h;
}

HPyDef_SLOT(Vec4_new, HPy_tp_new)
static HPy Vec4_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    double a, b, c, d;
    Vec4Object *o;
    (void)kw;
    if (!HPyArg_Parse(ctx, NULL, args, (size_t)nargs, "dddd:Vec4", &a, &b, &c, &d))
        return HPy_NULL;
    HPy h = HPy_New(ctx, cls, &o);
    if (HPy_IsNull(h))
        return HPy_NULL;
    o->v[0] = a;
    o->v[1] = b;
    o->v[2] = c;
    o->v[3] = d;
    return h;
}

/* a + b and a - b (sign -1) of two Vec4. */
static HPy add_sub(HPyContext *ctx, HPy h1, HPy h2, double sign)
{
    if (!is_vec(ctx, h1) || !is_vec(ctx, h2))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    Vec4Object *a = Vec4Object_AsStruct(ctx, h1), *b = Vec4Object_AsStruct(ctx, h2), *r;
    HPy h = vec_new(ctx, &r);
    if (HPy_IsNull(h))
        return HPy_NULL;
    for (int i = 0; i < 4; i++)
        r->v[i] = a->v[i] + sign * b->v[i];
    return h;
}

HPyDef_SLOT(Vec4_add, HPy_nb_add)
static HPy Vec4_add_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    return add_sub(ctx, h1, h2, 1.0);
}

HPyDef_SLOT(Vec4_sub, HPy_nb_subtract)
static HPy Vec4_sub_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    return add_sub(ctx, h1, h2, -1.0);
}

/* Vec4 * Vec4 (element-wise) and Vec4 * number. */
HPyDef_SLOT(Vec4_mul, HPy_nb_multiply)
static HPy Vec4_mul_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    double k[4];
    if (!is_vec(ctx, h1))
        return HPy_Dup(ctx, ctx->h_NotImplemented);
    if (is_vec(ctx, h2)) {
        Vec4Object *b = Vec4Object_AsStruct(ctx, h2);
        for (int i = 0; i < 4; i++)
            k[i] = b->v[i];
    }
    else {
        double x = HPyFloat_AsDouble(ctx, h2);
        if (x == -1.0 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        for (int i = 0; i < 4; i++)
            k[i] = x;
    }
    Vec4Object *a = Vec4Object_AsStruct(ctx, h1), *r;
    HPy h = vec_new(ctx, &r);
    if (HPy_IsNull(h))
        return HPy_NULL;
    for (int i = 0; i < 4; i++)
        r->v[i] = a->v[i] * k[i];
    return h;
}

HPyDef_METH(Vec4_dot, "dot", HPyFunc_O)
static HPy Vec4_dot_impl(HPyContext *ctx, HPy self, HPy other)
{
    if (!is_vec(ctx, other))
        return HPyErr_SetString(ctx, ctx->h_TypeError, "dot() needs a Vec4");
    Vec4Object *a = Vec4Object_AsStruct(ctx, self), *b = Vec4Object_AsStruct(ctx, other);
    double s = 0.0;
    for (int i = 0; i < 4; i++)
        s += a->v[i] * b->v[i];
    return HPyFloat_FromDouble(ctx, s);
}

HPyDef_METH(Vec4_sum, "sum", HPyFunc_NOARGS)
static HPy Vec4_sum_impl(HPyContext *ctx, HPy self)
{
    Vec4Object *a = Vec4Object_AsStruct(ctx, self);
    return HPyFloat_FromDouble(ctx, a->v[0] + a->v[1] + a->v[2] + a->v[3]);
}

/* The elements as a tuple of floats. */
HPyDef_METH(Vec4_totuple, "totuple", HPyFunc_NOARGS)
static HPy Vec4_totuple_impl(HPyContext *ctx, HPy self)
{
    Vec4Object *a = Vec4Object_AsStruct(ctx, self);
    return HPy_BuildValue(ctx, "(dddd)", a->v[0], a->v[1], a->v[2], a->v[3]);
}

HPyDef_SLOT(Vec4_len, HPy_sq_length)
static HPy_ssize_t Vec4_len_impl(HPyContext *ctx, HPy self)
{
    (void)ctx;
    (void)self;
    return 4;
}

HPyDef_SLOT(Vec4_item, HPy_sq_item)
static HPy Vec4_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    if (i < 0 || i >= 4)
        return HPyErr_SetString(ctx, ctx->h_IndexError, "Vec4 index out of range");
    return HPyFloat_FromDouble(ctx, Vec4Object_AsStruct(ctx, self)->v[i]);
}

static HPyDef *Vec4_defines[] = {
    &Vec4_new, &Vec4_add, &Vec4_sub, &Vec4_mul, &Vec4_dot, &Vec4_sum, &Vec4_totuple,
    &Vec4_len, &Vec4_item, NULL
};

static HPyType_Spec Vec4_spec = {
    .name = "vecwork.Vec4",
    .basicsize = sizeof(Vec4Object),
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = SHAPE(Vec4Object),
    .defines = Vec4_defines,
};

HPyDef_SLOT(vecwork_exec, HPy_mod_exec)
static int vecwork_exec_impl(HPyContext *ctx, HPy module)
{
    HPy t = HPyType_FromSpec(ctx, &Vec4_spec, NULL);
    if (HPy_IsNull(t))
        return -1;
    HPyGlobal_Store(ctx, &g_Vec4, t);
    int res = HPy_SetAttr_s(ctx, module, "Vec4", t);
    HPy_Close(ctx, t);
    return res;
}

static HPyDef *module_defines[] = { &vecwork_exec, NULL };
static HPyGlobal *module_globals[] = { &g_Vec4, NULL };

static HPyModuleDef moduledef = {
    .doc = "the Vec4 workload of bench/workload.py",
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(vecwork, moduledef)
