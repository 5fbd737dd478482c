#include "hpy.h"

/*
 * HPy_BuildValue: the HPy counterpart of Py_BuildValue.
 *
 * This file is compiled into every extension and uses only the public HPy
 * API. The result is always a new handle: None for a format without units,
 * the value of the unit for a single unit, a tuple for two or more units.
 *
 * Format units (the C argument passed is in brackets):
 *
 *   b B h i  [int]                 int (b, B, h: promoted char/short)
 *   H        [unsigned int]        int (promoted unsigned short)
 *   I        [unsigned int]        int
 *   l        [long]                int
 *   k        [unsigned long]       int
 *   L        [long long]           int
 *   K        [unsigned long long]  int
 *   n        [HPy_ssize_t]         int
 *   f d      [double]              float (f: a promoted float)
 *   c        [int]                 bytes of length 1 (promoted char)
 *   C        [int]                 str of one character with that code point
 *   s z U    [const char *]        str decoded from NUL-terminated UTF-8;
 *                                  None if the pointer is NULL
 *   s# z# U# [const char *, HPy_ssize_t]  the same with an explicit length
 *   y        [const char *]        bytes from a NUL-terminated string;
 *                                  None if the pointer is NULL
 *   y#       [const char *, HPy_ssize_t]  bytes with an explicit length
 *   O S      [HPy]                 the object itself (a new handle to it: the
 *                                  caller keeps its own). HPy_NULL fails,
 *                                  keeping the caller's exception if one is
 *                                  set, else raising SystemError.
 *   (...)    tuple of the units inside
 *   [...]    list of the units inside
 *   {k:v,..} dict of key:value unit pairs
 *
 * Units may be separated by ',' or blanks. 'N' (which steals a reference in
 * CPython) is rejected: HPy functions never take over a caller's handle.
 * HPy 0.9 supports i I l k L K n f d s O S and the three containers; the
 * other units are CPython's, with CPython's meaning. A malformed format
 * string raises SystemError with HPy 0.9's wording.
 *
 * How: one pass over the format, left to right, with a stack of the built
 * values that no container has taken yet; a container's closing bracket
 * turns the values above its start into the tuple, list or dict, which
 * then takes their place. Errors report what a check of the whole format
 * before building would: whenever something fails, the whole format is
 * checked first, and a bracket that does not match wins over the error met
 * while building (so the error never depends on the values passed).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#  define BV_ALWAYS_INLINE inline __attribute__((always_inline))
#  define BV_COLD __attribute__((noinline, cold))
#else
#  define BV_ALWAYS_INLINE inline
#  define BV_COLD
#endif

#define ERR_BUF_SIZE 160
#define STACK_SMALL 16 /* values on the stack without malloc */
#define NO_CLOSER (-1) /* build_units: build one unit, no closing bracket */

/* The state of one HPy_BuildValue call. */
typedef struct {
    HPyContext *ctx;
    const char *f;      /* the next format character */
    const char *fmt;    /* the whole format, checked when something fails */
    HPy *items;         /* the stack of built values not yet in a container */
    HPy_ssize_t sp;     /* their number */
    HPy_ssize_t cap;    /* the room in items */
    int failed;         /* the error is reported (an exception is set) */
    va_list va;
    HPy small[STACK_SMALL];
} Builder;

/* Raises SystemError "<problem> '<c>' in the format string passed to
   HPy_BuildValue". */
static void
format_error(HPyContext *ctx, const char *problem, char c)
{
    char buf[ERR_BUF_SIZE];
    snprintf(buf, sizeof(buf),
             "%s '%c' in the format string passed to HPy_BuildValue", problem, c);
    HPyErr_SetString(ctx, ctx->h_SystemError, buf);
}

static char
closer_of(char open)
{
    switch (open) {
    case '(': return ')';
    case '[': return ']';
    case '{': return '}';
    default:  return '\0';
    }
}

/*
 * Checks the brackets of the format from *f up to the closer of `open` (the
 * end of the string when open is '\0'). Returns 0 on success with *f past
 * the closer; -1 for a wrong closing bracket, or -2 for a premature end of
 * the string, with *culprit set to the bracket to report: the innermost
 * open one for a wrong closer, the outermost open one for a premature end.
 */
static int
check_brackets(const char **f, char open, char *culprit)
{
    char close = closer_of(open);
    const char *p = *f;

    for (;;) {
        char c = *p++;
        if (c == close)
            break;
        switch (c) {
        case '\0':
            *culprit = open;
            return -2;
        case '(':
        case '[':
        case '{': {
            int r = check_brackets(&p, c, culprit);
            if (r == -2 && open != '\0')
                *culprit = open;
            if (r < 0)
                return r;
            break;
        }
        case ')':
        case ']':
        case '}':
            *culprit = open != '\0' ? open : c;
            return -1;
        default:
            break;
        }
    }
    *f = p;
    return 0;
}

/*
 * Reports the failure of the build, once: SystemError "unmatched ..." if
 * the brackets of the whole format do not match; else "<problem> '<c>'"
 * for a problem of the format met while building, or (problem NULL) the
 * exception already set by the unit that failed. Returns -1.
 */
static BV_COLD int
fail(Builder *b, const char *problem, char c)
{
    const char *p = b->fmt;
    char culprit;

    if (b->failed)
        return -1;
    b->failed = 1;
    if (check_brackets(&p, '\0', &culprit) < 0)
        format_error(b->ctx, "unmatched", culprit);
    else if (problem != NULL)
        format_error(b->ctx, problem, c);
    return -1;
}

static BV_COLD HPy
fail_h(Builder *b, const char *problem, char c)
{
    fail(b, problem, c);
    return HPy_NULL;
}

static void
close_all(HPyContext *ctx, HPy *items, HPy_ssize_t n)
{
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
}

/* Makes room for one more value on the stack; -1 (reported) on failure. */
static BV_COLD int
grow(Builder *b)
{
    HPy_ssize_t cap = b->cap * 2;
    HPy *items;
    if (b->items == b->small) {
        items = (HPy *)malloc((size_t)cap * sizeof(HPy));
        if (items != NULL)
            memcpy(items, b->small, sizeof(b->small));
    }
    else {
        items = (HPy *)realloc(b->items, (size_t)cap * sizeof(HPy));
    }
    if (items == NULL) {
        HPyErr_NoMemory(b->ctx);
        return fail(b, NULL, 0);
    }
    b->items = items;
    b->cap = cap;
    return 0;
}

/* Pushes the new handle h (not HPy_NULL), which the stack takes over. */
static BV_ALWAYS_INLINE int
push(Builder *b, HPy h)
{
    if (b->sp == b->cap && grow(b) < 0) {
        HPy_Close(b->ctx, h);
        return -1;
    }
    b->items[b->sp++] = h;
    return 0;
}

/* A tuple of the n new handles of items, which it takes over (closes). */
static HPy
tuple_from_owned(HPyContext *ctx, HPy *items, HPy_ssize_t n)
{
#ifdef HPY_ABI_CPYTHON
    /* the tuple takes the references, as Py_BuildValue's does */
    PyObject *tuple = PyTuple_New(n);
    if (tuple == NULL) {
        close_all(ctx, items, n);
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(tuple, i, _h2py(items[i]));
    return _py2h(tuple);
#else
    HPy result = HPyTuple_FromArray(ctx, items, n);
    close_all(ctx, items, n);
    return result;
#endif
}

/* A list of the n new handles of items, which it takes over (closes). */
static HPy
list_from_owned(HPyContext *ctx, HPy *items, HPy_ssize_t n)
{
#ifdef HPY_ABI_CPYTHON
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        close_all(ctx, items, n);
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < n; i++)
        PyList_SET_ITEM(list, i, _h2py(items[i]));
    return _py2h(list);
#else
    HPy list = HPyList_New(ctx, 0);
    for (HPy_ssize_t i = 0; i < n && !HPy_IsNull(list); i++) {
        if (HPyList_Append(ctx, list, items[i]) < 0) {
            HPy_Close(ctx, list);
            list = HPy_NULL;
        }
    }
    close_all(ctx, items, n);
    return list;
#endif
}

/* A str with the single code point cp, like chr(cp). */
static HPy
char_from_code_point(HPyContext *ctx, int cp)
{
    wchar_t w[2];
    HPy_ssize_t len = 1;

    if (cp < 0 || cp > 0x10FFFF) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "chr() arg not in range(0x110000)");
        return HPy_NULL;
    }
    if (sizeof(wchar_t) == 2 && cp > 0xFFFF) {
        /* UTF-16 wchar_t (Windows): a surrogate pair */
        w[0] = (wchar_t)(0xD800 + ((cp - 0x10000) >> 10));
        w[1] = (wchar_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        len = 2;
    }
    else {
        w[0] = (wchar_t)cp;
    }
    return HPyUnicode_FromWideChar(ctx, w, len);
}

/* A str decoded from `len` bytes of UTF-8 (which may contain NULs). */
static HPy
str_from_utf8(HPyContext *ctx, const char *s, HPy_ssize_t len)
{
    HPy bytes = HPyBytes_FromStringAndSize(ctx, s, len);
    if (HPy_IsNull(bytes))
        return HPy_NULL;
    HPy str = HPyUnicode_FromEncodedObject(ctx, bytes, "utf-8", "strict");
    HPy_Close(ctx, bytes);
    return str;
}

/* Builds a str ('s', 'z', 'U') or bytes ('y') unit, with its '#' length
   if one follows (a negative length means NUL-terminated). */
static HPy
build_string(Builder *b, char unit)
{
    HPyContext *ctx = b->ctx;
    const char *s = va_arg(b->va, const char *);
    HPy_ssize_t len = -1;

    if (*b->f == '#') {
        b->f++;
        len = va_arg(b->va, HPy_ssize_t);
    }
    if (s == NULL)
        return HPy_Dup(ctx, ctx->h_None);
    if (len < 0)
        return unit == 'y' ? HPyBytes_FromString(ctx, s) : HPyUnicode_FromString(ctx, s);
    if (unit == 'y')
        return HPyBytes_FromStringAndSize(ctx, s, len);
    return str_from_utf8(ctx, s, len);
}

/* The rarer units (bad format characters included): a new handle, or
   HPy_NULL with the failure reported. */
static HPy
build_rare_unit(Builder *b, char unit)
{
    HPyContext *ctx = b->ctx;
    HPy h;

    switch (unit) {
    case 'H':
        h = HPyLong_FromLong(ctx, (long)va_arg(b->va, unsigned int));
        break;
    case 'I':
        h = HPyLong_FromUnsignedLong(ctx, va_arg(b->va, unsigned int));
        break;
    case 'k':
        h = HPyLong_FromUnsignedLong(ctx, va_arg(b->va, unsigned long));
        break;
    case 'L':
        h = HPyLong_FromLongLong(ctx, va_arg(b->va, long long));
        break;
    case 'K':
        h = HPyLong_FromUnsignedLongLong(ctx, va_arg(b->va, unsigned long long));
        break;
    case 'c': {
        char c = (char)va_arg(b->va, int);
        h = HPyBytes_FromStringAndSize(ctx, &c, 1);
        break;
    }
    case 'C':
        h = char_from_code_point(ctx, va_arg(b->va, int));
        break;
    case 's':
    case 'z':
    case 'U':
    case 'y':
        h = build_string(b, unit);
        break;
    case 'N':
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPy_BuildValue does not support the 'N' formatting unit. "
                         "Use 'O' and close your handle afterwards if you no longer "
                         "need it: HPy functions never take over the caller's handles.");
        return fail_h(b, NULL, 0);
    default:
        return fail_h(b, "bad format char", unit);
    }
    if (HPy_IsNull(h))
        return fail_h(b, NULL, 0);
    return h;
}

static int build_seq(Builder *b, int close);
static int build_one(Builder *b);

/* Builds the dict whose key:value pairs start at b->f (after the '{'):
   pushes it, or returns -1 with the failure reported. */
static int
build_dict(Builder *b)
{
    HPyContext *ctx = b->ctx;
    HPy dict = HPyDict_New(ctx);
    int need_comma = 0;

    if (HPy_IsNull(dict))
        return fail(b, NULL, 0);
    for (;;) {
        while (*b->f == ' ' || *b->f == '\t')
            b->f++;
        char c = *b->f;
        if (c == '}') {
            b->f++;
            return push(b, dict);
        }
        if (c == '\0') {
            fail(b, "unmatched", '{');
            break;
        }
        if (c == ',') {
            if (!need_comma) {
                fail(b, "unexpected", ',');
                break;
            }
            need_comma = 0;
            b->f++;
            continue;
        }
        if (need_comma) {
            fail(b, "missing", ',');
            break;
        }
        /* the key, then the value, on the stack */
        if (build_one(b) < 0)
            break;
        while (*b->f == ',' || *b->f == ' ' || *b->f == '\t')
            b->f++;
        if (*b->f != ':') {
            fail(b, "missing", ':');
            break;
        }
        b->f++;
        if (build_one(b) < 0)
            break;
        b->sp -= 2;
        int err = HPy_SetItem(ctx, dict, b->items[b->sp], b->items[b->sp + 1]);
        close_all(ctx, b->items + b->sp, 2);
        if (err < 0) {
            fail(b, NULL, 0);
            break;
        }
        need_comma = 1;
    }
    HPy_Close(ctx, dict);
    return -1;
}

/*
 * Builds the units from b->f up to the character `close` (consumed; ')',
 * ']' or the end of the format '\0'), or just one unit if close is
 * NO_CLOSER, pushing each value. Returns 0, or -1 with the failure
 * reported; what it pushed stays on the stack, for HPy_BuildValue to
 * close.
 */
static BV_ALWAYS_INLINE int
build_units(Builder *b, int close)
{
    HPyContext *ctx = b->ctx;

    for (;;) {
        char c = *b->f++;
        HPy h;
        switch (c) {
        case ',':
        case ' ':
        case '\t':
            continue;
        case 'i':
        case 'b':
        case 'B':
        case 'h':
            h = HPyLong_FromLong(ctx, va_arg(b->va, int));
            break;
        case 'l':
            h = HPyLong_FromLong(ctx, va_arg(b->va, long));
            break;
        case 'n':
            h = HPyLong_FromSsize_t(ctx, va_arg(b->va, HPy_ssize_t));
            break;
        case 'd':
        case 'f':
            h = HPyFloat_FromDouble(ctx, va_arg(b->va, double));
            break;
        case 'O':
        case 'S':
            h = va_arg(b->va, HPy);
            if (HPy_IsNull(h)) {
                if (!HPyErr_Occurred(ctx))
                    HPyErr_SetString(ctx, ctx->h_SystemError,
                                     "HPy_NULL object passed to HPy_BuildValue");
                return fail(b, NULL, 0);
            }
            h = HPy_Dup(ctx, h);
            break;
        case '(':
        case '[': {
            HPy_ssize_t start = b->sp, n;
            if (build_seq(b, c == '(' ? ')' : ']') < 0)
                return -1;
            n = b->sp - start;
            b->sp = start; /* the container takes them over */
            if (c == '(')
                h = tuple_from_owned(ctx, b->items + start, n);
            else
                h = list_from_owned(ctx, b->items + start, n);
            break;
        }
        case '{':
            if (build_dict(b) < 0)
                return -1;
            goto pushed;
        case ')':
        case ']':
        case '}':
        case '\0':
            if (c == close)
                return 0;
            /* a closer of the wrong kind (the check of the whole format
               says which) or a closer where a dict wants a unit */
            return fail(b, "bad format char", c);
        default:
            h = build_rare_unit(b, c);
            if (HPy_IsNull(h))
                return -1;
            break;
        }
        if (HPy_IsNull(h))
            return fail(b, NULL, 0);
        if (push(b, h) < 0)
            return -1;
    pushed:
        if (close == NO_CLOSER)
            return 0;
    }
}

static int
build_seq(Builder *b, int close)
{
    return build_units(b, close);
}

static int
build_one(Builder *b)
{
    return build_units(b, NO_CLOSER);
}

HPyAPI_HELPER HPy
HPy_BuildValue(HPyContext *ctx, const char *fmt, ...)
{
    Builder b;
    HPy result;

    b.ctx = ctx;
    b.f = b.fmt = fmt;
    b.items = b.small;
    b.sp = 0;
    b.cap = STACK_SMALL;
    b.failed = 0;
    va_start(b.va, fmt);
    if (build_seq(&b, '\0') < 0) {
        close_all(ctx, b.items, b.sp);
        result = HPy_NULL;
    }
    else if (b.sp == 1) {
        result = b.items[0];
    }
    else if (b.sp == 0) {
        result = HPy_Dup(ctx, ctx->h_None);
    }
    else {
        result = tuple_from_owned(ctx, b.items, b.sp);
    }
    va_end(b.va);
    if (b.items != b.small)
        free(b.items);
    return result;
}
