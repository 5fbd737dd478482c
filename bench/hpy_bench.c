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
    &noargs, &onearg, &varargs, &add_ints, &bench_exec, NULL
};

static HPyModuleDef moduledef = {
    .doc = "call-overhead benchmark",
    .defines = module_defines,
};

HPy_MODINIT(hpy_bench, moduledef)
