/*
 * Argument parsing helpers: HPyArg_Parse, HPyArg_ParseKeywords and
 * HPyArg_ParseKeywordsDict.
 *
 * These are not context functions: src/runtime/argparse.c is compiled into
 * every extension and uses only the public HPy API, so the same code serves
 * every ABI and every runtime. The format units they accept are documented
 * at the top of argparse.c.
 */
#ifndef HPY_RUNTIME_ARGPARSE_H
#define HPY_RUNTIME_ARGPARSE_H

#include "hpy.h"   /* also defines HPyAPI_HELPER */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parses the positional arguments of an HPyFunc_VARARGS function.
 * Returns 1 on success, 0 (with an exception set) on failure.
 * If ht is not NULL a tracker is always created in *ht; the caller closes it
 * after a success, the parser closes it itself after a failure.
 */
HPyAPI_HELPER int
HPyArg_Parse(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs,
             const char *fmt, ...);

/*
 * Parses the arguments of an HPyFunc_KEYWORDS function (vectorcall
 * convention: the values of the keyword arguments follow the nargs
 * positional ones in args, and kwnames is a tuple of their names or
 * HPy_NULL). keywords is a NULL-terminated array naming every format unit;
 * leading "" entries are positional-only.
 */
HPyAPI_HELPER int
HPyArg_ParseKeywords(HPyContext *ctx, HPyTracker *ht, const HPy *args,
                     size_t nargs, HPy kwnames, const char *fmt,
                     const char *keywords[], ...);

/* Same as HPyArg_ParseKeywords, with the keyword arguments in a dict kw
   (or HPy_NULL). */
HPyAPI_HELPER int
HPyArg_ParseKeywordsDict(HPyContext *ctx, HPyTracker *ht, const HPy *args,
                         HPy_ssize_t nargs, HPy kw, const char *fmt,
                         const char *keywords[], ...);

#ifdef __cplusplus
}
#endif

#endif /* HPY_RUNTIME_ARGPARSE_H */
