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
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BUF_SIZE 160
#define SMALL_SEQ 8  /* containers up to this size need no malloc */
#define COUNTED 16   /* the unit counts of this many containers are kept */

/* The unit count of each container of the format, in the order of their
   opening brackets, as the check of the whole format finds them (the
   first COUNTED ones; the others are counted again when built). */
typedef struct {
    HPy_ssize_t n[COUNTED];
    int len;
} Counts;

/* The state of one HPy_BuildValue call. */
typedef struct {
    HPyContext *ctx;
    const char *f; /* next format character */
    va_list *va;
    const Counts *counts;
    int next_container; /* index of the next container to build */
} Builder;

static HPy build_unit(Builder *b);

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

static int
is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/*
 * Checks the brackets of the format from *f up to the closer of `open` (the
 * end of the string when open is '\0') and counts the units at that level;
 * '#' after s, z, U or y is part of its unit.
 * Returns 0 on success with *f past the closer; -1 for a wrong closing
 * bracket, or -2 for a premature end of the string, with *culprit set to
 * the bracket to report (the outermost open one for a premature end).
 */
static int
scan_units(const char **f, char open, HPy_ssize_t *count, char *culprit, Counts *counts)
{
    char close = closer_of(open), prev = '\0';
    HPy_ssize_t n = 0;
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
            HPy_ssize_t inner;
            int slot = -1, r;
            if (counts != NULL && counts->len < COUNTED)
                slot = counts->len++;
            r = scan_units(&p, c, &inner, culprit, counts);
            if (r == -2 && open != '\0')
                *culprit = open;
            if (r < 0)
                return r;
            if (slot >= 0)
                counts->n[slot] = inner;
            n++;
            break;
        }
        case ')':
        case ']':
        case '}':
            *culprit = open != '\0' ? open : c;
            return -1;
        case ',':
        case ' ':
        case '\t':
            break;
        case '#':
            if (!(prev == 's' || prev == 'z' || prev == 'U' || prev == 'y'))
                n++;
            break;
        default:
            n++;
            break;
        }
        prev = c;
    }
    *f = p;
    *count = n;
    return 0;
}

#define QUICK_DEPTH 8 /* the nesting that quick_scan follows */

/*
 * The check of the whole format in one pass without recursion, for a
 * well-formed format: the same top-level count and container counts as
 * scan_units, which is called instead for anything this does not accept
 * (a bracket that does not match, a premature end, deeper nesting) and so
 * reports every error. Returns 0, or -1 with counts->len back to 0.
 */
enum { K_UNIT, K_SKIP, K_OPEN, K_CLOSE, K_HASH, K_END };

/* What each format character is to quick_scan (0, K_UNIT, for the units
   and anything it does not know, as scan_units counts them). */
static const unsigned char char_kind[256] = {
    ['\0'] = K_END, [','] = K_SKIP, [' '] = K_SKIP, ['\t'] = K_SKIP,
    ['('] = K_OPEN, ['['] = K_OPEN, ['{'] = K_OPEN,
    [')'] = K_CLOSE, [']'] = K_CLOSE, ['}'] = K_CLOSE, ['#'] = K_HASH,
};

static int
quick_scan(const char *p, HPy_ssize_t *top, Counts *counts)
{
    char closers[QUICK_DEPTH];
    int slots[QUICK_DEPTH];
    HPy_ssize_t outer[QUICK_DEPTH];
    HPy_ssize_t n = 0;
    int depth = 0;
    char prev = '\0';

    for (;; prev = *p++) {
        unsigned char kind = char_kind[(unsigned char)*p];
        if (kind == K_UNIT) {
            n++;
            continue;
        }
        switch (kind) {
        case K_END:
            if (depth != 0)
                goto fail;
            *top = n;
            return 0;
        case K_OPEN:
            if (depth == QUICK_DEPTH)
                goto fail;
            closers[depth] = closer_of(*p);
            slots[depth] = counts->len < COUNTED ? counts->len++ : -1;
            outer[depth] = n;
            depth++;
            n = 0;
            break;
        case K_CLOSE:
            if (depth == 0 || closers[depth - 1] != *p)
                goto fail;
            depth--;
            if (slots[depth] >= 0)
                counts->n[slots[depth]] = n;
            n = outer[depth] + 1;
            break;
        case K_HASH:
            if (!(prev == 's' || prev == 'z' || prev == 'U' || prev == 'y'))
                n++;
            break;
        default: /* K_SKIP */
            break;
        }
    }
fail:
    counts->len = 0;
    return -1;
}

/* The unit count of the next container to build, if HPy_BuildValue's check
   of the whole format kept it (containers are built in the order in which
   the check met them). Returns 0 if it must be counted again. */
static int
next_count(Builder *b, HPy_ssize_t *n)
{
    int k = b->next_container++;
    if (k < b->counts->len) {
        *n = b->counts->n[k];
        return 1;
    }
    return 0;
}

static void
close_all(HPyContext *ctx, HPy *items, HPy_ssize_t n)
{
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
}

static void
skip_separators(Builder *b)
{
    while (is_separator(*b->f))
        b->f++;
}

/* Builds n units into items[] and consumes `close` (nothing for '\0').
   Returns 0, or -1 with an exception set and nothing left open. */
static int
build_items(Builder *b, HPy *items, HPy_ssize_t n, char close)
{
    for (HPy_ssize_t i = 0; i < n; i++) {
        skip_separators(b);
        items[i] = build_unit(b);
        if (HPy_IsNull(items[i])) {
            close_all(b->ctx, items, i);
            return -1;
        }
    }
    skip_separators(b);
    if (*b->f != close) {
        format_error(b->ctx, "bad format char", *b->f);
        close_all(b->ctx, items, n);
        return -1;
    }
    if (close != '\0')
        b->f++;
    return 0;
}

static HPy
list_from_array(HPyContext *ctx, const HPy *items, HPy_ssize_t n)
{
    HPy list = HPyList_New(ctx, 0);
    if (HPy_IsNull(list))
        return HPy_NULL;
    for (HPy_ssize_t i = 0; i < n; i++) {
        if (HPyList_Append(ctx, list, items[i]) < 0) {
            HPy_Close(ctx, list);
            return HPy_NULL;
        }
    }
    return list;
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

/* Builds the tuple (open '(' or '\0' for the top level) or list ('[')
   whose units start at b->f. */
static HPy
build_sequence(Builder *b, char open, HPy_ssize_t known)
{
    HPy small[SMALL_SEQ], *items = small, result = HPy_NULL;
    const char *scan = b->f;
    HPy_ssize_t n;
    char culprit;

    if (open == '\0' ? (n = known) >= 0 : next_count(b, &n)) {
        /* counted by HPy_BuildValue's check */
    }
    else if (scan_units(&scan, open, &n, &culprit, NULL) < 0) {
        /* HPy_BuildValue checked the whole format already */
        format_error(b->ctx, "unmatched", culprit);
        return HPy_NULL;
    }
    if (n > SMALL_SEQ) {
        items = (HPy *)malloc((size_t)n * sizeof(HPy));
        if (items == NULL) {
            HPyErr_NoMemory(b->ctx);
            return HPy_NULL;
        }
    }
    if (build_items(b, items, n, closer_of(open)) == 0) {
        if (open == '[') {
            result = list_from_array(b->ctx, items, n);
            close_all(b->ctx, items, n);
        }
        else {
            result = tuple_from_owned(b->ctx, items, n);
        }
    }
    if (items != small)
        free(items);
    return result;
}

/* Builds the dict whose key:value pairs start at b->f (after the '{'). */
static HPy
build_dict(Builder *b)
{
    HPyContext *ctx = b->ctx;
    HPy dict = HPyDict_New(ctx);
    int need_comma = 0;
    HPy_ssize_t unused;

    (void)next_count(b, &unused); /* the order of the containers' counts */

    if (HPy_IsNull(dict))
        return HPy_NULL;
    for (;;) {
        while (*b->f == ' ' || *b->f == '\t')
            b->f++;
        char c = *b->f;
        if (c == '}') {
            b->f++;
            return dict;
        }
        if (c == '\0') {
            format_error(ctx, "unmatched", '{');
            break;
        }
        if (c == ',') {
            if (!need_comma) {
                format_error(ctx, "unexpected", ',');
                break;
            }
            need_comma = 0;
            b->f++;
            continue;
        }
        if (need_comma) {
            format_error(ctx, "missing", ',');
            break;
        }

        HPy key = build_unit(b);
        if (HPy_IsNull(key))
            break;
        skip_separators(b);
        if (*b->f != ':') {
            format_error(ctx, "missing", ':');
            HPy_Close(ctx, key);
            break;
        }
        b->f++;
        skip_separators(b);
        HPy value = build_unit(b);
        if (HPy_IsNull(value)) {
            HPy_Close(ctx, key);
            break;
        }
        int err = HPy_SetItem(ctx, dict, key, value);
        HPy_Close(ctx, key);
        HPy_Close(ctx, value);
        if (err < 0)
            break;
        need_comma = 1;
    }
    HPy_Close(ctx, dict);
    return HPy_NULL;
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
    const char *s = va_arg(*b->va, const char *);
    HPy_ssize_t len = -1;

    if (*b->f == '#') {
        b->f++;
        len = va_arg(*b->va, HPy_ssize_t);
    }
    if (s == NULL)
        return HPy_Dup(ctx, ctx->h_None);
    if (len < 0)
        return unit == 'y' ? HPyBytes_FromString(ctx, s) : HPyUnicode_FromString(ctx, s);
    if (unit == 'y')
        return HPyBytes_FromStringAndSize(ctx, s, len);
    return str_from_utf8(ctx, s, len);
}

/* Builds the unit at b->f and advances past it; returns a new handle. */
static HPy
build_unit(Builder *b)
{
    HPyContext *ctx = b->ctx;
    char unit = *b->f++;

    switch (unit) {
    case '(':
    case '[':
        return build_sequence(b, unit, -1);
    case '{':
        return build_dict(b);
    case 'b':
    case 'B':
    case 'h':
    case 'i':
        return HPyLong_FromLong(ctx, va_arg(*b->va, int));
    case 'H':
        return HPyLong_FromLong(ctx, (long)va_arg(*b->va, unsigned int));
    case 'I':
        return HPyLong_FromUnsignedLong(ctx, va_arg(*b->va, unsigned int));
    case 'l':
        return HPyLong_FromLong(ctx, va_arg(*b->va, long));
    case 'k':
        return HPyLong_FromUnsignedLong(ctx, va_arg(*b->va, unsigned long));
    case 'L':
        return HPyLong_FromLongLong(ctx, va_arg(*b->va, long long));
    case 'K':
        return HPyLong_FromUnsignedLongLong(ctx, va_arg(*b->va, unsigned long long));
    case 'n':
        return HPyLong_FromSsize_t(ctx, va_arg(*b->va, HPy_ssize_t));
    case 'f':
    case 'd':
        return HPyFloat_FromDouble(ctx, va_arg(*b->va, double));
    case 'c': {
        char c = (char)va_arg(*b->va, int);
        return HPyBytes_FromStringAndSize(ctx, &c, 1);
    }
    case 'C':
        return char_from_code_point(ctx, va_arg(*b->va, int));
    case 's':
    case 'z':
    case 'U':
    case 'y':
        return build_string(b, unit);
    case 'O':
    case 'S': {
        HPy h = va_arg(*b->va, HPy);
        if (HPy_IsNull(h)) {
            if (!HPyErr_Occurred(ctx))
                HPyErr_SetString(ctx, ctx->h_SystemError,
                                 "HPy_NULL object passed to HPy_BuildValue");
            return HPy_NULL;
        }
        return HPy_Dup(ctx, h);
    }
    case 'N':
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPy_BuildValue does not support the 'N' formatting unit. "
                         "Use 'O' and close your handle afterwards if you no longer "
                         "need it: HPy functions never take over the caller's handles.");
        return HPy_NULL;
    default:
        format_error(ctx, "bad format char", unit);
        return HPy_NULL;
    }
}

HPyAPI_HELPER HPy
HPy_BuildValue(HPyContext *ctx, const char *fmt, ...)
{
    const char *scan = fmt;
    HPy_ssize_t n;
    char culprit;
    HPy result;
    va_list va;
    Builder b;
    Counts counts;

    /* check the whole format first, so errors do not depend on the values */
    counts.len = 0;
    if (quick_scan(fmt, &n, &counts) < 0 &&
            scan_units(&scan, '\0', &n, &culprit, &counts) < 0) {
        format_error(ctx, "unmatched", culprit);
        return HPy_NULL;
    }

    va_start(va, fmt);
    b.ctx = ctx;
    b.f = fmt;
    b.va = &va;
    b.counts = &counts;
    b.next_container = 0;
    if (n == 0) {
        result = HPy_Dup(ctx, ctx->h_None);
    }
    else if (n == 1) {
        if (build_items(&b, &result, 1, '\0') < 0)
            result = HPy_NULL;
    }
    else {
        result = build_sequence(&b, '\0', n);
    }
    va_end(va);
    return result;
}
