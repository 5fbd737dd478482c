/*
 * HPy_BuildValue: builds a Python value from C values described by a
 * format string, like CPython's Py_BuildValue.
 *
 * Not a context function: src/runtime/buildvalue.c is compiled into every
 * extension and uses only the public HPy API. The format units are
 * documented at the top of buildvalue.c.
 */
#ifndef HPY_RUNTIME_BUILDVALUE_H
#define HPY_RUNTIME_BUILDVALUE_H

#include "hpy.h"   /* also defines HPyAPI_HELPER */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns a new handle: None for an empty format, the object itself for a
 * single unit, a tuple for two or more units. Handles passed with 'O' stay
 * owned by the caller. On error returns HPy_NULL with an exception set
 * (SystemError for a malformed format string).
 */
HPyAPI_HELPER HPy
HPy_BuildValue(HPyContext *ctx, const char *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif /* HPY_RUNTIME_BUILDVALUE_H */
