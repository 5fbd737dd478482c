/* Trivial HPy functions whose cost is almost all call overhead; the same
   functions as capi_bench.c. Built for the CPython and the universal ABI. */
#include "hpy.h"

HPyDef_METH(noargs, "noargs", HPyFunc_NOARGS)
static HPy noargs_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(onearg, "onearg", HPyFunc_O)
static HPy onearg_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_Dup(ctx, arg);
}

HPyDef_METH(varargs, "varargs", HPyFunc_VARARGS)
static HPy varargs_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "varargs() takes exactly 2 arguments");
        return HPy_NULL;
    }
    return HPy_Dup(ctx, args[1]);
}

HPyDef_METH(add_ints, "add_ints", HPyFunc_VARARGS)
static HPy add_ints_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "add_ints() takes exactly 2 arguments");
        return HPy_NULL;
    }
    long a = HPyLong_AsLong(ctx, args[0]);
    if (a == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    long b = HPyLong_AsLong(ctx, args[1]);
    if (b == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromLong(ctx, a + b);
}


/* ~~~ API functions: each module function below calls one API function (or
   one parse) and little else; capi_bench.c has the same with the C-API. ~~~ */

HPyDef_METH(tuple_pack, "tuple_pack", HPyFunc_O)
static HPy tuple_pack_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPyTuple_Pack(ctx, 2, arg, arg);
}

HPyDef_METH(tuple_fromarray, "tuple_fromarray", HPyFunc_O)
static HPy tuple_fromarray_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    HPy items[3] = { arg, arg, arg };
    return HPyTuple_FromArray(ctx, items, 3);
}

#define LIST_BUILDER_N 8

HPyDef_METH(list_builder, "list_builder", HPyFunc_O)
static HPy list_builder_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    HPyListBuilder b = HPyListBuilder_New(ctx, LIST_BUILDER_N);
    for (HPy_ssize_t i = 0; i < LIST_BUILDER_N; i++)
        HPyListBuilder_Set(ctx, b, i, arg);
    return HPyListBuilder_Build(ctx, b);
}

HPyDef_METH(build_value, "build_value", HPyFunc_O)
static HPy build_value_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_BuildValue(ctx, "(iOd)", 42, arg, 1.5);
}

HPyDef_METH(unicode_format, "unicode_format", HPyFunc_O)
static HPy unicode_format_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    (void)arg;
    return HPyUnicode_FromFormat(ctx, "%s=%d", "x", 42);
}

HPyDef_METH(getitem_i, "getitem_i", HPyFunc_O)
static HPy getitem_i_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    return HPy_GetItem_i(ctx, arg, 1);
}

HPyDef_METH(setitem_i, "setitem_i", HPyFunc_O)
static HPy setitem_i_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    if (HPy_SetItem_i(ctx, arg, 1, ctx->h_None) < 0)
        return HPy_NULL;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(long_conv, "long_conv", HPyFunc_O)
static HPy long_conv_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    long v = HPyLong_AsLong(ctx, arg);
    if (v == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyLong_FromLong(ctx, v + 1);
}

HPyDef_METH(float_conv, "float_conv", HPyFunc_O)
static HPy float_conv_impl(HPyContext *ctx, HPy self, HPy arg)
{
    (void)self;
    double v = HPyFloat_AsDouble(ctx, arg);
    if (v == -1.0 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    return HPyFloat_FromDouble(ctx, v * 2.0);
}

HPyDef_METH(call, "call", HPyFunc_VARARGS)
static HPy call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "call() takes exactly 2 arguments");
        return HPy_NULL;
    }
    return HPy_Call(ctx, args[0], &args[1], 1, HPy_NULL);
}

HPyDef_METH(richcompare, "richcompare", HPyFunc_VARARGS)
static HPy richcompare_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    if (nargs != 2) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "richcompare() takes exactly 2 arguments");
        return HPy_NULL;
    }
    return HPy_RichCompare(ctx, args[0], args[1], HPy_LT);
}

/* Argument parsing: the same results as the hand-written parsing of
   capi_bench.c. */

HPyDef_METH(parse_ll, "parse_ll", HPyFunc_VARARGS)
static HPy parse_ll_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    long a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll", &a, &b))
        return HPy_NULL;
    return HPyLong_FromLong(ctx, a + b);
}

HPyDef_METH(parse_dd, "parse_dd", HPyFunc_VARARGS)
static HPy parse_dd_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    double a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "dd", &a, &b))
        return HPy_NULL;
    return HPyFloat_FromDouble(ctx, a + b);
}

HPyDef_METH(parse_Oi, "parse_Oi", HPyFunc_VARARGS)
static HPy parse_Oi_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    HPy o;
    int i = 0;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|i", &o, &i))
        return HPy_NULL;
    return i ? HPy_Dup(ctx, o) : HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(parse_sn, "parse_sn", HPyFunc_VARARGS)
static HPy parse_sn_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    (void)self;
    const char *s;
    HPy_ssize_t n;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "sn", &s, &n))
        return HPy_NULL;
    return HPyLong_FromSsize_t(ctx, n + (s[0] != '\0'));
}

HPyDef_METH(parse_kw, "parse_kw", HPyFunc_KEYWORDS)
static HPy parse_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                         HPy kwnames)
{
    (void)self;
    static const char *keywords[] = { "a", "b", NULL };
    long a, b = 0;
    if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames, "l|l", keywords, &a, &b))
        return HPy_NULL;
    return HPyLong_FromLong(ctx, a + b);
}

/* A small type for the cost of type operations: Obj() creates an instance,
   o.meth() calls a method, len(o) and o[i] go through sequence slots. */
typedef struct {
    long value;
} ObjObject;

HPyType_HELPERS(ObjObject)

HPyDef_SLOT(Obj_new, HPy_tp_new)
static HPy Obj_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                        HPy_ssize_t nargs, HPy kw)
{
    (void)args;
    (void)nargs;
    (void)kw;
    ObjObject *o;
    HPy h = HPy_New(ctx, cls, &o);
    if (HPy_IsNull(h))
        return HPy_NULL;
    o->value = 42;
    return h;
}

HPyDef_METH(Obj_meth, "meth", HPyFunc_NOARGS)
static HPy Obj_meth_impl(HPyContext *ctx, HPy self)
{
    (void)self;
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_SLOT(Obj_len, HPy_sq_length)
static HPy_ssize_t Obj_len_impl(HPyContext *ctx, HPy self)
{
    (void)ctx;
    (void)self;
    return 3;
}

HPyDef_SLOT(Obj_item, HPy_sq_item)
static HPy Obj_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
{
    if (i < 0 || i >= 3) {
        HPyErr_SetString(ctx, ctx->h_IndexError, "index out of range");
        return HPy_NULL;
    }
    return HPy_Dup(ctx, self);
}

static HPyDef *Obj_defines[] = { &Obj_new, &Obj_meth, &Obj_len, &Obj_item, NULL };

static HPyType_Spec Obj_spec = {
    .name = "hpy_bench.Obj",
    .basicsize = sizeof(ObjObject),
    .flags = HPy_TPFLAGS_DEFAULT,
    .builtin_shape = SHAPE(ObjObject),
    .defines = Obj_defines,
};

HPyDef_SLOT(bench_exec, HPy_mod_exec)
static int bench_exec_impl(HPyContext *ctx, HPy module)
{
    return HPyHelpers_AddType(ctx, module, "Obj", &Obj_spec, NULL) ? 0 : -1;
}

static HPyDef *module_defines[] = {
    &noargs, &onearg, &varargs, &add_ints,
    &tuple_pack, &tuple_fromarray, &list_builder, &build_value, &unicode_format,
    &getitem_i, &setitem_i, &long_conv, &float_conv, &call, &richcompare,
    &parse_ll, &parse_dd, &parse_Oi, &parse_sn, &parse_kw,
    &bench_exec, NULL
};

static HPyModuleDef moduledef = {
    .doc = "call-overhead benchmark",
    .defines = module_defines,
};

HPy_MODINIT(hpy_bench, moduledef)
