#ifndef HPY_INLINE_HELPERS_H
#define HPY_INLINE_HELPERS_H

/*
 * Public helpers written inline over other API functions, the same in every
 * ABI. They are not in the context.
 */

#include <limits.h>

/* ~~~ legacy functions in the universal ABI ~~~
   HPy_AsPyObject and HPy_FromPyObject exist in the CPython and hybrid ABIs
   only. In a universal build they stay declared, so that calling one is a
   compile error that says why (gcc and clang) instead of an implicit
   declaration or a link error. */
#if defined(HPY_ABI_UNIVERSAL) && _HPY_compiler_has_attribute(error)
HPy HPy_FromPyObject(HPyContext *ctx, cpy_PyObject *obj) _HPY_LEGACY;
cpy_PyObject *HPy_AsPyObject(HPyContext *ctx, HPy h) _HPY_LEGACY;
#endif

/* ~~~ errors ~~~ */

/* Raise h_type from errno; always returns HPy_NULL. */
HPyAPI_INLINE_HELPER HPy
HPyErr_SetFromErrno(HPyContext *ctx, HPy h_type)
{
    HPyErr_SetFromErrnoWithFilenameObjects(ctx, h_type, HPy_NULL, HPy_NULL);
    return HPy_NULL;
}

/* Raise h_type from errno, naming `filename` (may be HPy_NULL); always
   returns HPy_NULL. */
HPyAPI_INLINE_HELPER HPy
HPyErr_SetFromErrnoWithFilenameObject(HPyContext *ctx, HPy h_type, HPy filename)
{
    HPyErr_SetFromErrnoWithFilenameObjects(ctx, h_type, filename, HPy_NULL);
    return HPy_NULL;
}

/* ~~~ tuples ~~~ */

#define _HPY_TUPLE_PACK_ON_STACK 16

/* A new tuple of the n handles that follow (which are not closed). */
HPyAPI_INLINE_HELPER HPy
HPyTuple_Pack(HPyContext *ctx, HPy_ssize_t n, ...)
{
    va_list vargs;
    HPy_ssize_t i;
    if (n <= _HPY_TUPLE_PACK_ON_STACK) {
        HPy items[_HPY_TUPLE_PACK_ON_STACK];
        va_start(vargs, n);
        for (i = 0; i < n; i++)
            items[i] = va_arg(vargs, HPy);
        va_end(vargs);
        return HPyTuple_FromArray(ctx, items, n);
    }
    else {
        HPyTupleBuilder builder = HPyTupleBuilder_New(ctx, n);
        if (builder._tup == 0)
            return HPy_NULL;
        va_start(vargs, n);
        for (i = 0; i < n; i++)
            HPyTupleBuilder_Set(ctx, builder, i, va_arg(vargs, HPy));
        va_end(vargs);
        return HPyTupleBuilder_Build(ctx, builder);
    }
}

/* In C, a call of HPyTuple_Pack is HPyTuple_FromArray of an array made on
   the spot: the same result without the cost of the variadic call (its
   register save area and va_arg, about 12 instructions for 2 items). The
   array ends with an HPy_NULL, so that HPyTuple_Pack(ctx, 0) makes a valid
   array and an n one larger than the handles given raises SystemError.
   The function above stays for C++ and for taking its address. */
#ifndef __cplusplus
#  define _HPY_PACK_FIRST(n, ...) (n)
#  define _HPY_PACK_REST(n, ...) __VA_ARGS__
#  define HPyTuple_Pack(ctx, ...) \
    HPyTuple_FromArray((ctx), (HPy[]){ _HPY_PACK_REST(__VA_ARGS__, HPy_NULL) }, \
                       _HPY_PACK_FIRST(__VA_ARGS__, ~))
#endif

/* ~~~ attributes ~~~ */

/* del obj.name; 0 on success, -1 on error. */
HPyAPI_INLINE_HELPER int
HPy_DelAttr(HPyContext *ctx, HPy obj, HPy name)
{
    return HPy_SetAttr(ctx, obj, name, HPy_NULL);
}

HPyAPI_INLINE_HELPER int
HPy_DelAttr_s(HPyContext *ctx, HPy obj, const char *utf8_name)
{
    return HPy_SetAttr_s(ctx, obj, utf8_name, HPy_NULL);
}

/* ~~~ C long and long long, through the fixed-width functions ~~~ */

#if LONG_MAX == INT32_MAX
#  define _HPY_LONG_IS_32 1
#elif LONG_MAX == INT64_MAX
#  define _HPY_LONG_IS_32 0
#else
#  error "hpy.h: C long is neither 32 nor 64 bits wide"
#endif
#if LLONG_MAX != INT64_MAX
#  error "hpy.h: C long long is not 64 bits wide"
#endif

HPyAPI_INLINE_HELPER HPy
HPyLong_FromLong(HPyContext *ctx, long l)
{
#if _HPY_LONG_IS_32
    return HPyLong_FromInt32_t(ctx, (int32_t)l);
#else
    return HPyLong_FromInt64_t(ctx, (int64_t)l);
#endif
}

HPyAPI_INLINE_HELPER HPy
HPyLong_FromUnsignedLong(HPyContext *ctx, unsigned long l)
{
#if _HPY_LONG_IS_32
    return HPyLong_FromUInt32_t(ctx, (uint32_t)l);
#else
    return HPyLong_FromUInt64_t(ctx, (uint64_t)l);
#endif
}

HPyAPI_INLINE_HELPER HPy
HPyLong_FromLongLong(HPyContext *ctx, long long l)
{
    return HPyLong_FromInt64_t(ctx, (int64_t)l);
}

HPyAPI_INLINE_HELPER HPy
HPyLong_FromUnsignedLongLong(HPyContext *ctx, unsigned long long l)
{
    return HPyLong_FromUInt64_t(ctx, (uint64_t)l);
}

/* The As* functions raise OverflowError (or TypeError) and return -1, or
   (unsigned)-1, on error; the *Mask ones wrap around instead of raising
   OverflowError. */
HPyAPI_INLINE_HELPER long
HPyLong_AsLong(HPyContext *ctx, HPy h)
{
#if _HPY_LONG_IS_32
    return (long)HPyLong_AsInt32_t(ctx, h);
#else
    return (long)HPyLong_AsInt64_t(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER unsigned long
HPyLong_AsUnsignedLong(HPyContext *ctx, HPy h)
{
#if _HPY_LONG_IS_32
    return (unsigned long)HPyLong_AsUInt32_t(ctx, h);
#else
    return (unsigned long)HPyLong_AsUInt64_t(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER unsigned long
HPyLong_AsUnsignedLongMask(HPyContext *ctx, HPy h)
{
#if _HPY_LONG_IS_32
    return (unsigned long)HPyLong_AsUInt32_tMask(ctx, h);
#else
    return (unsigned long)HPyLong_AsUInt64_tMask(ctx, h);
#endif
}

HPyAPI_INLINE_HELPER long long
HPyLong_AsLongLong(HPyContext *ctx, HPy h)
{
    return (long long)HPyLong_AsInt64_t(ctx, h);
}

HPyAPI_INLINE_HELPER unsigned long long
HPyLong_AsUnsignedLongLong(HPyContext *ctx, HPy h)
{
    return (unsigned long long)HPyLong_AsUInt64_t(ctx, h);
}

HPyAPI_INLINE_HELPER unsigned long long
HPyLong_AsUnsignedLongLongMask(HPyContext *ctx, HPy h)
{
    return (unsigned long long)HPyLong_AsUInt64_tMask(ctx, h);
}

/* ~~~ bool ~~~ */

HPyAPI_INLINE_HELPER HPy
HPyBool_FromLong(HPyContext *ctx, long v)
{
    return HPyBool_FromBool(ctx, v != 0);
}

/* ~~~ slices ~~~ */

/* Clip *start and *stop, as given by HPySlice_Unpack, to a sequence of
   `length` items, like slicing does; returns the slice's length. step must
   not be 0. Cannot fail and does not call into the interpreter. */
HPyAPI_INLINE_HELPER HPy_ssize_t
HPySlice_AdjustIndices(HPyContext *ctx, HPy_ssize_t length,
                       HPy_ssize_t *start, HPy_ssize_t *stop, HPy_ssize_t step)
{
    /* out-of-range indices clip to the first position before (step < 0) or
       at (step > 0) the respective end */
    const HPy_ssize_t low = (step < 0) ? -1 : 0;
    const HPy_ssize_t high = (step < 0) ? length - 1 : length;
    (void)ctx;

    if (*start < 0) {
        *start += length;
        if (*start < 0)
            *start = low;
    }
    else if (*start >= length) {
        *start = high;
    }
    if (*stop < 0) {
        *stop += length;
        if (*stop < 0)
            *stop = low;
    }
    else if (*stop >= length) {
        *stop = high;
    }

    if (step > 0)
        return (*start < *stop) ? (*stop - *start - 1) / step + 1 : 0;
    return (*stop < *start) ? (*start - *stop - 1) / (-step) + 1 : 0;
}

/* ~~~ calls ~~~ */

/* receiver.<name>(*args, **kw); kw may be HPy_NULL. */
HPyAPI_INLINE_HELPER HPy
HPy_CallMethodTupleDict(HPyContext *ctx, HPy name, HPy receiver, HPy args, HPy kw)
{
    HPy result, method = HPy_GetAttr(ctx, receiver, name);
    if (HPy_IsNull(method))
        return HPy_NULL;
    result = HPy_CallTupleDict(ctx, method, args, kw);
    HPy_Close(ctx, method);
    return result;
}

HPyAPI_INLINE_HELPER HPy
HPy_CallMethodTupleDict_s(HPyContext *ctx, const char *utf8_name, HPy receiver,
                          HPy args, HPy kw)
{
    HPy result, method = HPy_GetAttr_s(ctx, receiver, utf8_name);
    if (HPy_IsNull(method))
        return HPy_NULL;
    result = HPy_CallTupleDict(ctx, method, args, kw);
    HPy_Close(ctx, method);
    return result;
}

/* ~~~ capsules: one accessor per field, over HPyCapsule_Get / _Set ~~~ */

HPyAPI_INLINE_HELPER void *
HPyCapsule_GetPointer(HPyContext *ctx, HPy capsule, const char *utf8_name)
{
    return HPyCapsule_Get(ctx, capsule, HPyCapsule_key_Pointer, utf8_name);
}

HPyAPI_INLINE_HELPER const char *
HPyCapsule_GetName(HPyContext *ctx, HPy capsule)
{
    return (const char *)HPyCapsule_Get(ctx, capsule, HPyCapsule_key_Name, NULL);
}

HPyAPI_INLINE_HELPER void *
HPyCapsule_GetContext(HPyContext *ctx, HPy capsule)
{
    return HPyCapsule_Get(ctx, capsule, HPyCapsule_key_Context, NULL);
}

HPyAPI_INLINE_HELPER int
HPyCapsule_SetPointer(HPyContext *ctx, HPy capsule, void *pointer)
{
    return HPyCapsule_Set(ctx, capsule, HPyCapsule_key_Pointer, pointer);
}

HPyAPI_INLINE_HELPER int
HPyCapsule_SetName(HPyContext *ctx, HPy capsule, const char *utf8_name)
{
    return HPyCapsule_Set(ctx, capsule, HPyCapsule_key_Name, (void *)utf8_name);
}

HPyAPI_INLINE_HELPER int
HPyCapsule_SetContext(HPyContext *ctx, HPy capsule, void *context)
{
    return HPyCapsule_Set(ctx, capsule, HPyCapsule_key_Context, context);
}

HPyAPI_INLINE_HELPER int
HPyCapsule_SetDestructor(HPyContext *ctx, HPy capsule,
                         HPyCapsule_Destructor *destructor)
{
    return HPyCapsule_Set(ctx, capsule, HPyCapsule_key_Destructor,
                          (void *)destructor);
}

#endif /* HPY_INLINE_HELPERS_H */
