/*
 * pof: the HPy proof-of-concept module.
 *
 * One C source, written against hpy.h only, that builds unchanged as
 *   - a CPython-ABI extension   (python setup.py --hpy-abi=cpython build_ext --inplace)
 *   - a universal extension     (python setup.py --hpy-abi=universal build_ext --inplace)
 *   - a hybrid extension        (python setup.py --hpy-abi=hybrid build_ext --inplace)
 *
 * It shows the four calling conventions of HPy functions:
 *   do_nothing()          HPyFunc_NOARGS
 *   double(obj)           HPyFunc_O
 *   add_ints(a, b)        HPyFunc_VARARGS  (HPyArg_Parse "ll")
 *   add_ints_kw(a=, b=)   HPyFunc_KEYWORDS (HPyArg_ParseKeywords "ll")
 *   greet(name)           HPyFunc_VARARGS  (HPyArg_Parse "s", a C string)
 */
#include "hpy.h"
#include <stdio.h>

HPyDef_METH(do_nothing, "do_nothing", HPyFunc_NOARGS,
            .doc = "Take no arguments and return None.")
static HPy do_nothing_impl(HPyContext *ctx, HPy self)
{
    return HPy_Dup(ctx, ctx->h_None);
}

HPyDef_METH(double_obj, "double", HPyFunc_O,
            .doc = "Return obj + obj.")
static HPy double_obj_impl(HPyContext *ctx, HPy self, HPy obj)
{
    return HPy_Add(ctx, obj, obj);
}

/* Shared by add_ints and add_ints_kw: a + b without C overflow. */
static HPy sum_of_longs(HPyContext *ctx, long a, long b)
{
    long result;
    if (__builtin_add_overflow(a, b, &result)) {
        HPyErr_SetString(ctx, ctx->h_OverflowError,
                         "the sum does not fit in a C long");
        return HPy_NULL;
    }
    return HPyLong_FromLong(ctx, result);
}

HPyDef_METH(add_ints, "add_ints", HPyFunc_VARARGS,
            .doc = "add_ints(a, b): return a + b for two C longs.")
static HPy add_ints_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
{
    long a, b;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll:add_ints", &a, &b))
        return HPy_NULL;
    return sum_of_longs(ctx, a, b);
}

HPyDef_METH(add_ints_kw, "add_ints_kw", HPyFunc_KEYWORDS,
            .doc = "add_ints_kw(a, b): like add_ints, also by keyword.")
static HPy add_ints_kw_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs, HPy kwnames)
{
    static const char *kwlist[] = { "a", "b", NULL };
    long a, b;
    if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames,
                              "ll:add_ints_kw", kwlist, &a, &b))
        return HPy_NULL;
    return sum_of_longs(ctx, a, b);
}

HPyDef_METH(greet, "greet", HPyFunc_VARARGS,
            .doc = "greet(name): return 'Hello, NAME!'.")
static HPy greet_impl(HPyContext *ctx, HPy self,
                      const HPy *args, size_t nargs)
{
    const char *name;
    char buf[256];
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "s:greet", &name))
        return HPy_NULL;
    snprintf(buf, sizeof(buf), "Hello, %s!", name);
    return HPyUnicode_FromString(ctx, buf);
}

static HPyDef *module_defines[] = {
    &do_nothing,
    &double_obj,
    &add_ints,
    &add_ints_kw,
    &greet,
    NULL
};

static HPyModuleDef moduledef = {
    .doc = "HPy proof of concept",
    .size = 0,
    .defines = module_defines,
};

HPy_MODINIT(pof, moduledef)
