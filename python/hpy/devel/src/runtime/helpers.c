#include "hpy.h"

/*
 * HPyHelpers_AddType and HPyHelpers_PackArgsAndKeywords.
 *
 * Compiled into every extension; uses only the public HPy API.
 */

/* Creates a type from spec and params (HPyType_FromSpec) and stores it as
   attribute `name` of obj, usually the module in an HPy_mod_exec slot.
   1 on success, 0 with an exception set on failure. */
HPyAPI_HELPER int
HPyHelpers_AddType(HPyContext *ctx, HPy obj, const char *name,
                   HPyType_Spec *hpyspec, HPyType_SpecParam *params)
{
    HPy type;
    int err;
    if (name == NULL || hpyspec == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyHelpers_AddType: name and spec must not be NULL");
        return 0;
    }
    type = HPyType_FromSpec(ctx, hpyspec, params);
    if (HPy_IsNull(type))
        return 0;
    err = HPy_SetAttr_s(ctx, obj, name, type);
    HPy_Close(ctx, type);
    return err == 0;
}

/* From the arguments of an HPyFunc_KEYWORDS function (vectorcall
   convention) to the (tuple, dict) pair of HPy_CallTupleDict:
   *out_args_tuple gets a new tuple of the nargs positional arguments
   (HPy_NULL when nargs is 0), *out_kwd a new dict of the keyword arguments
   (HPy_NULL when there are none). 1 on success; 0 with an exception set on
   failure, and then neither output is written. */
HPyAPI_HELPER int
HPyHelpers_PackArgsAndKeywords(HPyContext *ctx, const HPy *args, size_t nargs,
                               HPy kwnames, HPy *out_args_tuple, HPy *out_kwd)
{
    HPy tuple = HPy_NULL, dict = HPy_NULL;
    HPy_ssize_t nkw = 0, i;

    if (out_args_tuple == NULL || out_kwd == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyHelpers_PackArgsAndKeywords: the output pointers "
                         "must not be NULL");
        return 0;
    }
    if (!HPy_IsNull(kwnames)) {
        if (!HPyTuple_Check(ctx, kwnames)) {
            HPyErr_SetString(ctx, ctx->h_TypeError,
                             "HPyHelpers_PackArgsAndKeywords: kwnames must be "
                             "a tuple or HPy_NULL");
            return 0;
        }
        nkw = HPy_Length(ctx, kwnames);
        if (nkw < 0)
            return 0;
    }
    if (nargs > 0) {
        tuple = HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
        if (HPy_IsNull(tuple))
            return 0;
    }
    if (nkw > 0) {
        dict = HPyDict_New(ctx);
        if (HPy_IsNull(dict))
            goto error;
        for (i = 0; i < nkw; i++) {
            HPy key = HPy_GetItem_i(ctx, kwnames, i);
            int err;
            if (HPy_IsNull(key))
                goto error;
            err = HPy_SetItem(ctx, dict, key, args[nargs + (size_t)i]);
            HPy_Close(ctx, key);
            if (err < 0)
                goto error;
        }
    }
    *out_args_tuple = tuple;
    *out_kwd = dict;
    return 1;

error:
    HPy_Close(ctx, tuple);
    HPy_Close(ctx, dict);
    return 0;
}
