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

static HPyDef *module_defines[] = { &noargs, &onearg, &varargs, &add_ints, NULL };

static HPyModuleDef moduledef = {
    .doc = "call-overhead benchmark",
    .defines = module_defines,
};

HPy_MODINIT(hpy_bench, moduledef)
