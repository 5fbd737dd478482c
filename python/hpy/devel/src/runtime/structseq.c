#include "hpy.h"

/*
 * Struct sequences: HPyStructSequence_NewType, HPyStructSequence_New and
 * HPyStructSequence_UnnamedField.
 *
 * A struct sequence type is a tuple subclass whose items are also reachable
 * by name, like os.stat_result. Every such type has the class attribute
 * n_fields (the number of items), and n_sequence_fields and
 * n_unnamed_fields as CPython's have.
 *
 * - CPython ABI: a real CPython struct sequence (PyStructSequence_NewType);
 *   unnamed fields have no attribute (on CPython 3.9 and 3.10, which do not
 *   export their marker for unnamed fields, they are named _INDEX).
 * - universal and hybrid ABIs: Python.h is not available (universal) or
 *   the handles are not PyObject pointers on every runtime (hybrid), so the
 *   type is made, as HPy 0.9 makes it, with collections.namedtuple through
 *   the public HPy API. Its instances are tuples with named fields;
 *   namedtuple's rename=True names an unnamed field _INDEX.
 *
 * In both, the type's __name__ and __qualname__ are the part of desc->name
 * after the last dot, __module__ the part before it, and __doc__ is
 * desc->doc (None if NULL).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char * const HPyStructSequence_UnnamedField = "_";

/* Number of fields of desc, or -1 with SystemError set if desc is
   unusable. */
static HPy_ssize_t
count_fields(HPyContext *ctx, HPyStructSequence_Desc *desc)
{
    HPy_ssize_t n = 0;
    if (desc == NULL || desc->name == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyStructSequence_NewType: the descriptor has no name");
        return -1;
    }
    if (desc->fields == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyStructSequence_NewType: the descriptor has no fields "
                         "array (end it with a field whose name is NULL)");
        return -1;
    }
    while (desc->fields[n].name != NULL)
        n++;
    return n;
}

#ifdef HPY_ABI_CPYTHON

HPyAPI_HELPER HPy
HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc)
{
    PyStructSequence_Desc d;
    PyStructSequence_Field *fields;
    PyTypeObject *type;
    HPy_ssize_t i, n = count_fields(ctx, desc);
    if (n < 0)
        return HPy_NULL;
    /* the same layout, with our unnamed marker replaced by CPython's */
    fields = (PyStructSequence_Field *)malloc(sizeof(*fields) * (size_t)(n + 1));
    if (fields == NULL) {
        HPyErr_NoMemory(ctx);
        return HPy_NULL;
    }
    for (i = 0; i <= n; i++) {
        fields[i].name = desc->fields[i].name;
        fields[i].doc = desc->fields[i].doc;
        if (fields[i].name == HPyStructSequence_UnnamedField) {
#if PY_VERSION_HEX >= 0x030B0000
            fields[i].name = PyStructSequence_UnnamedField;
#else
            /* CPython exports its marker from 3.11 on only: name the field
               _INDEX, as namedtuple does in the other ABIs. The type keeps
               pointers to its field names, so this one is never freed. */
            char *name = (char *)malloc(24);
            if (name == NULL) {
                free(fields);
                HPyErr_NoMemory(ctx);
                return HPy_NULL;
            }
            snprintf(name, 24, "_%ld", (long)i);
            fields[i].name = name;
#endif
        }
    }
    d.name = desc->name;
    d.doc = desc->doc;
    d.fields = fields;
    d.n_in_sequence = (int)n;
    /* CPython copies what it keeps of the fields array (not the strings) */
    type = PyStructSequence_NewType(&d);
    free(fields);
    return _py2h((PyObject *)type);
}

#else /* universal and hybrid */

/* namedtuple(short_name, field_names, rename=True, module=module_name) */
static HPy
make_namedtuple(HPyContext *ctx, HPyStructSequence_Desc *desc, HPy_ssize_t n)
{
    const char *dot = strrchr(desc->name, '.');
    const char *short_name = dot ? dot + 1 : desc->name;
    HPy collections, namedtuple, names = HPy_NULL, args = HPy_NULL;
    HPy kw = HPy_NULL, h, result = HPy_NULL;
    HPyTupleBuilder tb;
    HPy_ssize_t i;

    collections = HPyImport_ImportModule(ctx, "collections");
    if (HPy_IsNull(collections))
        return HPy_NULL;
    namedtuple = HPy_GetAttr_s(ctx, collections, "namedtuple");
    HPy_Close(ctx, collections);
    if (HPy_IsNull(namedtuple))
        return HPy_NULL;

    tb = HPyTupleBuilder_New(ctx, n);
    if (tb._tup == 0)
        goto done;
    for (i = 0; i < n; i++) {
        h = HPyUnicode_FromString(ctx, desc->fields[i].name);
        if (HPy_IsNull(h)) {
            HPyTupleBuilder_Cancel(ctx, tb);
            goto done;
        }
        HPyTupleBuilder_Set(ctx, tb, i, h);
        HPy_Close(ctx, h);
    }
    names = HPyTupleBuilder_Build(ctx, tb);
    if (HPy_IsNull(names))
        goto done;

    h = HPyUnicode_FromString(ctx, short_name);
    if (HPy_IsNull(h))
        goto done;
    args = HPyTuple_Pack(ctx, 2, h, names);
    HPy_Close(ctx, h);
    if (HPy_IsNull(args))
        goto done;

    kw = HPyDict_New(ctx);
    if (HPy_IsNull(kw) || HPy_SetItem_s(ctx, kw, "rename", ctx->h_True) < 0)
        goto done;
    if (dot != NULL) {
        /* the module name: the bytes of desc->name before the last dot */
        size_t len = (size_t)(dot - desc->name);
        char *buf = (char *)malloc(len + 1);
        if (buf == NULL) {
            HPyErr_NoMemory(ctx);
            goto done;
        }
        memcpy(buf, desc->name, len);
        buf[len] = '\0';
        h = HPyUnicode_FromString(ctx, buf);
        free(buf);
        if (HPy_IsNull(h))
            goto done;
        i = HPy_SetItem_s(ctx, kw, "module", h);
        HPy_Close(ctx, h);
        if (i < 0)
            goto done;
    }
    result = HPy_CallTupleDict(ctx, namedtuple, args, kw);

done:
    HPy_Close(ctx, namedtuple);
    if (!HPy_IsNull(names))
        HPy_Close(ctx, names);
    if (!HPy_IsNull(args))
        HPy_Close(ctx, args);
    if (!HPy_IsNull(kw))
        HPy_Close(ctx, kw);
    return result;
}

static int
set_ssize_attr(HPyContext *ctx, HPy obj, const char *name, HPy_ssize_t v)
{
    int err;
    HPy h = HPyLong_FromSsize_t(ctx, v);
    if (HPy_IsNull(h))
        return -1;
    err = HPy_SetAttr_s(ctx, obj, name, h);
    HPy_Close(ctx, h);
    return err;
}

HPyAPI_HELPER HPy
HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc)
{
    HPy type, doc;
    HPy_ssize_t i, unnamed = 0, n = count_fields(ctx, desc);
    if (n < 0)
        return HPy_NULL;
    for (i = 0; i < n; i++)
        if (desc->fields[i].name == HPyStructSequence_UnnamedField)
            unnamed++;

    type = make_namedtuple(ctx, desc, n);
    if (HPy_IsNull(type))
        return HPy_NULL;

    if (desc->doc != NULL) {
        doc = HPyUnicode_FromString(ctx, desc->doc);
        if (HPy_IsNull(doc))
            goto error;
    }
    else {
        doc = HPy_Dup(ctx, ctx->h_None);
    }
    i = HPy_SetAttr_s(ctx, type, "__doc__", doc);
    HPy_Close(ctx, doc);
    if (i < 0)
        goto error;
    if (set_ssize_attr(ctx, type, "n_fields", n) < 0
            || set_ssize_attr(ctx, type, "n_sequence_fields", n) < 0
            || set_ssize_attr(ctx, type, "n_unnamed_fields", unnamed) < 0)
        goto error;
    return type;

error:
    HPy_Close(ctx, type);
    return HPy_NULL;
}

#endif /* HPY_ABI_CPYTHON */

/* Both ABIs: check that type is a struct sequence type with nargs fields,
   then call it as Python code would (CPython's struct sequences take one
   sequence, namedtuples the items). */
HPyAPI_HELPER HPy
HPyStructSequence_New(HPyContext *ctx, HPy type, HPy_ssize_t nargs, HPy *args)
{
    HPy h, items, result;
    HPy_ssize_t n_fields;

    if (!HPy_TypeCheck(ctx, type, ctx->h_TypeType)
            || !HPyType_IsSubtype(ctx, type, ctx->h_TupleType)
            || !HPy_HasAttr_s(ctx, type, "n_fields")) {
        HPyErr_Format(ctx, ctx->h_TypeError,
                      "HPyStructSequence_New: %R is not a struct sequence type",
                      type);
        return HPy_NULL;
    }
    h = HPy_GetAttr_s(ctx, type, "n_fields");
    if (HPy_IsNull(h))
        return HPy_NULL;
    n_fields = HPyLong_AsSsize_t(ctx, h);
    HPy_Close(ctx, h);
    if (n_fields == -1 && HPyErr_Occurred(ctx))
        return HPy_NULL;
    if (nargs != n_fields) {
        HPyErr_Format(ctx, ctx->h_TypeError,
                      "HPyStructSequence_New: %R has %zd fields, got %zd values",
                      type, n_fields, nargs);
        return HPy_NULL;
    }
    if (nargs < 0 || (nargs > 0 && args == NULL)) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyStructSequence_New: bad argument array");
        return HPy_NULL;
    }
    items = HPyTuple_FromArray(ctx, args, nargs);
    if (HPy_IsNull(items))
        return HPy_NULL;
#ifdef HPY_ABI_CPYTHON
    {
        HPy call_args = HPyTuple_Pack(ctx, 1, items);
        HPy_Close(ctx, items);
        if (HPy_IsNull(call_args))
            return HPy_NULL;
        items = call_args;
    }
#endif
    result = HPy_CallTupleDict(ctx, type, items, HPy_NULL);
    HPy_Close(ctx, items);
    return result;
}
