#ifndef HPY_RUNTIME_STRUCTSEQ_H
#define HPY_RUNTIME_STRUCTSEQ_H

/* Struct sequences: tuple subclasses with named fields, like
   os.stat_result. Compiled into every extension
   (python/hpy/devel/src/runtime/). */

/* One field; a NULL name ends the array. */
typedef struct {
    const char *name;   /* UTF-8; HPyStructSequence_UnnamedField for no name */
    const char *doc;    /* UTF-8, may be NULL */
} HPyStructSequence_Field;

typedef struct {
    const char *name;                   /* "module.Name", UTF-8 */
    const char *doc;                    /* UTF-8, may be NULL */
    HPyStructSequence_Field *fields;    /* NULL-name-terminated */
} HPyStructSequence_Desc;

/* Use as a field name for a field that is reachable by index only. */
_HPy_HIDDEN extern const char * const HPyStructSequence_UnnamedField;

/* A new struct sequence type, or HPy_NULL with an exception set. */
HPyAPI_HELPER HPy
HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc);

/* A new instance of `type` (made by HPyStructSequence_NewType) holding the
   nargs handles of args (not closed); nargs must equal the number of
   fields. HPy_NULL with an exception set on error. */
HPyAPI_HELPER HPy
HPyStructSequence_New(HPyContext *ctx, HPy type, HPy_ssize_t nargs, HPy *args);

#endif /* HPY_RUNTIME_STRUCTSEQ_H */
