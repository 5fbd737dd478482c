#ifndef HPY_RUNTIME_HELPERS_H
#define HPY_RUNTIME_HELPERS_H

/* Helpers compiled into every extension (python/hpy/devel/src/runtime/). */

/* Create a type from `spec` and `params` and store it as attribute `name`
   of `obj` (usually the module). Returns 1 on success, 0 on error. */
HPyAPI_HELPER int
HPyHelpers_AddType(HPyContext *ctx, HPy obj, const char *name,
                   HPyType_Spec *hpyspec, HPyType_SpecParam *params);

/* Turn vectorcall-style arguments (as received by an HPyFunc_KEYWORDS
   function) into a tuple and a dict, for HPy_CallTupleDict. On success
   returns 1 and stores new handles in *out_args_tuple (HPy_NULL when nargs
   is 0) and *out_kwd (HPy_NULL when there are no keyword arguments); on
   error returns 0 with an exception set and writes neither. */
HPyAPI_HELPER int
HPyHelpers_PackArgsAndKeywords(HPyContext *ctx, const HPy *args, size_t nargs,
                               HPy kwnames, HPy *out_args_tuple, HPy *out_kwd);

#endif /* HPY_RUNTIME_HELPERS_H */
