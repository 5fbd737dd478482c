#include "hpy.h"

/*
 * HPyArg_Parse, HPyArg_ParseKeywords and HPyArg_ParseKeywordsDict: the HPy
 * counterparts of PyArg_ParseTuple and PyArg_ParseTupleAndKeywords.
 *
 * This file is compiled into every extension and uses only the public HPy
 * API. As in HPy 0.9, only simple format units are supported; anything more
 * elaborate is taken as a handle with 'O' and converted by the caller.
 *
 * Format units (the C variable whose address is passed is in brackets):
 *
 *   b  [unsigned char]       int in 0..UCHAR_MAX, else OverflowError
 *   B  [unsigned char]       int, low bits kept, no overflow check
 *   h  [short]               int in SHRT_MIN..SHRT_MAX, else OverflowError
 *   H  [unsigned short]      int, low bits kept, no overflow check
 *   i  [int]                 int in INT_MIN..INT_MAX, else OverflowError
 *   I  [unsigned int]        int, low bits kept, no overflow check
 *   l  [long]                int
 *   k  [unsigned long]       int, low bits kept, no overflow check
 *   L  [long long]           int
 *   K  [unsigned long long]  int, low bits kept, no overflow check
 *   n  [HPy_ssize_t]         int
 *   f  [float]               float (or anything with __float__/__index__)
 *   d  [double]              float (or anything with __float__/__index__)
 *   p  [int]                 any object, stored as its truth value 0 or 1
 *   s  [const char *]        str without NUL characters, as UTF-8; the
 *                            buffer lives as long as the str object (which
 *                            the keyword variants put in ht, if given)
 *   O  [HPy]                 any object. HPyArg_Parse stores the caller's
 *                            handle as is; the keyword variants store a new
 *                            handle owned by the tracker, so they require ht.
 *
 *   |  the remaining arguments are optional: a missing optional argument
 *      leaves its C variable untouched
 *   $  (keyword variants only) the remaining arguments are keyword-only
 *      (and optional)
 *   :  the format units end; the rest is the function name used in error
 *      messages ("name() ..." instead of "function ...")
 *   ;  the format units end; the rest is the error message used instead of
 *      the default one
 *
 * When ht is not NULL a tracker is always created in *ht: after a success
 * the caller closes it (once done with the handles it holds), after a
 * failure the parser has already closed it.
 *
 * The error messages are those of HPy 0.9's argparse.c, which HPy test
 * suites compare word for word. The keyword variants also reject what HPy
 * 0.9 silently ignored -- too many positional arguments, unknown keyword
 * names, an argument given both by position and by name -- with CPython's
 * wording for these errors.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#  define ARG_ALWAYS_INLINE inline __attribute__((always_inline))
#  define ARG_COLD __attribute__((noinline, cold))
#  define ARG_NOINLINE __attribute__((noinline))
#else
#  define ARG_ALWAYS_INLINE inline
#  define ARG_COLD
#  define ARG_NOINLINE
#endif

#define ERR_BUF_SIZE 512

/* What a format string says besides its format units (looked for only to
   report an error). */
typedef struct {
    const char *fname;     /* function name after ':', or NULL */
    const char *message;   /* replacement error message after ';', or NULL */
} FmtInfo;

/* How the parser holds the handle of the argument it converts. */
typedef enum {
    ARG_BORROWED, /* caller's handle; 'O' stores it as is (HPyArg_Parse) */
    ARG_TRACKED,  /* caller's handle; 'O' stores a duplicate added to ht */
    ARG_OWNED     /* new handle owned by the parser (a dict value): the
                     conversion hands it to ht or closes it */
} ArgKind;

static void
scan_format(const char *fmt, FmtInfo *fi)
{
    const char *p = fmt;
    while (*p != '\0' && *p != ':' && *p != ';')
        p++;
    fi->fname = (*p == ':') ? p + 1 : NULL;
    fi->message = (*p == ';') ? p + 1 : NULL;
}

/* Raises exc_type with "function <what>", "<name>() <what>" or the
   replacement message of the format fmt (scanned for them only here). */
static ARG_COLD void
arg_error(HPyContext *ctx, HPy exc_type, const char *fmt, const char *what)
{
    char buf[ERR_BUF_SIZE];
    FmtInfo fi;
    scan_format(fmt, &fi);
    if (fi.message != NULL) {
        HPyErr_SetString(ctx, exc_type, fi.message);
        return;
    }
    if (fi.fname != NULL)
        snprintf(buf, sizeof(buf), "%.200s() %.256s", fi.fname, what);
    else
        snprintf(buf, sizeof(buf), "function %.256s", what);
    HPyErr_SetString(ctx, exc_type, buf);
}

/* Keyword variants: puts in the tracker a handle to arg -- the parser's own
   one (ARG_OWNED) or a duplicate -- and stores it in *tracked. */
static int
track(HPyContext *ctx, HPyTracker *ht, HPy arg, ArgKind kind, HPy *tracked)
{
    *tracked = (kind == ARG_OWNED) ? arg : HPy_Dup(ctx, arg);
    /* on failure the tracker still holds the handle (as in HPy 0.9) */
    return HPyTracker_Add(ctx, *ht, *tracked) == 0;
}

/*
 * Every format unit takes one pointer, to a C variable of the unit's type.
 * The loops read it with va_arg as a `void *` and the conversions store
 * through it cast back to that type: object pointers have one
 * representation on every platform CPython supports, and so there is one
 * va_arg and one store per unit instead of one of each per C type.
 */

/*
 * Converts one argument according to format unit `unit` and stores the
 * result in *out. A null arg is a missing optional argument: the unit is
 * checked and nothing stored. An ARG_OWNED arg is consumed (kept by the
 * tracker or closed) whatever the outcome. Returns 1 on success, 0 with an
 * exception set on failure.
 */
static int
convert_arg(HPyContext *ctx, HPyTracker *ht, char unit, HPy arg, ArgKind kind,
            void *out, const char *fmt)
{
    int ok = 1;
    long long iv = 0; /* the value of an integer unit (and -1 for an error) */
    double dv = 0.0;  /* the value of f and d */

    /* A numeric unit: first its value (of a present argument), then the
       checks and the store. */
#define VALUE(EXPR)           \
    if (!HPy_IsNull(arg))     \
        EXPR;                 \
    break;
    switch (unit) {
    case 'b': case 'h': case 'i': case 'l':
        VALUE(iv = HPyLong_AsLong(ctx, arg))
    case 'B': case 'H': case 'I': case 'k': /* the low bits, unchecked */
        VALUE(iv = (long long)HPyLong_AsUnsignedLongMask(ctx, arg))
    case 'L':
        VALUE(iv = HPyLong_AsLongLong(ctx, arg))
    case 'K':
        VALUE(iv = (long long)HPyLong_AsUnsignedLongLongMask(ctx, arg))
    case 'n':
        VALUE(iv = HPyLong_AsSsize_t(ctx, arg))
    case 'f': case 'd':
        VALUE(iv = (dv = HPyFloat_AsDouble(ctx, arg)) == -1.0 ? -1 : 0)
    case 'p': /* 0 or 1, -1 for an error */
        VALUE(iv = HPy_IsTrue(ctx, arg))
    case 's': case 'O':
        if (HPy_IsNull(arg))
            return 1;
        goto handle_unit;
    default:
        arg_error(ctx, ctx->h_SystemError, fmt, "unknown arg format code");
        ok = 0;
        goto done;
    }
#undef VALUE
    if (HPy_IsNull(arg))
        return 1; /* nothing to store */
    if (iv == -1 && HPyErr_Occurred(ctx)) {
        ok = 0;
        goto done;
    }
    if (unit == 'b' || unit == 'h' || unit == 'i') {
        long long lo = unit == 'b' ? 0 : unit == 'h' ? SHRT_MIN : INT_MIN;
        long long hi = unit == 'b' ? UCHAR_MAX : unit == 'h' ? SHRT_MAX : INT_MAX;
        if (iv < lo || iv > hi) {
            char msg[80];
            snprintf(msg, sizeof(msg), "%s is %s",
                     unit == 'b' ? "unsigned byte integer" :
                     unit == 'h' ? "signed short integer" : "signed integer",
                     iv < lo ? "less than minimum" : "greater than maximum");
            arg_error(ctx, ctx->h_OverflowError, fmt, msg);
            ok = 0;
            goto done;
        }
    }
    switch (unit) {
    case 'b': case 'B': *(unsigned char *)out = (unsigned char)iv; break;
    case 'h': *(short *)out = (short)iv; break;
    case 'H': *(unsigned short *)out = (unsigned short)iv; break;
    case 'i': case 'p': *(int *)out = (int)iv; break;
    case 'I': *(unsigned int *)out = (unsigned int)iv; break;
    case 'l': *(long *)out = (long)iv; break;
    case 'k': *(unsigned long *)out = (unsigned long)iv; break;
    case 'L': *(long long *)out = iv; break;
    case 'K': *(unsigned long long *)out = (unsigned long long)iv; break;
    case 'n': *(HPy_ssize_t *)out = (HPy_ssize_t)iv; break;
    case 'f': *(float *)out = (float)dv; break;
    default: *(double *)out = dv; break; /* 'd' */
    }
    goto done;

handle_unit:
    if (unit == 's') {
        HPy_ssize_t size;
        const char *data = NULL;
        if (!HPyUnicode_Check(ctx, arg)) {
            arg_error(ctx, ctx->h_TypeError, fmt, "a str is required");
            ok = 0;
        }
        else if ((data = HPyUnicode_AsUTF8AndSize(ctx, arg, &size)) == NULL) {
            ok = 0; /* keep the UnicodeEncodeError */
        }
        else if (strlen(data) != (size_t)size) {
            arg_error(ctx, ctx->h_ValueError, fmt, "embedded null character");
            ok = 0;
        }
        else if (kind != ARG_BORROWED && ht != NULL) {
            /* the tracker keeps the str that owns the buffer */
            HPy kept;
            ok = track(ctx, ht, arg, kind, &kept);
            kind = ARG_BORROWED;
        }
        /* without a tracker the buffer lives as long as the caller's args
           (or kw dict) hold the str */
        if (ok)
            *(const char **)out = data;
    }
    else if (kind == ARG_BORROWED) { /* 'O' */
        *(HPy *)out = arg;
    }
    else {
        /* keyword variants: the stored handle belongs to the tracker */
        ok = track(ctx, ht, arg, kind, (HPy *)out);
        kind = ARG_BORROWED;
    }

done:
    if (kind == ARG_OWNED && !HPy_IsNull(arg))
        HPy_Close(ctx, arg);
    return ok;
}

/*
 * The keyword variants' commonest units (i l d n) of a present argument,
 * without the call of convert_arg. Returns 1 on success, 0 with an
 * exception set, -1 when convert_arg must convert the argument (nothing
 * done, no exception set: another unit, or an int out of range of 'i').
 */
static ARG_ALWAYS_INLINE int
convert_number(HPyContext *ctx, char unit, HPy arg, void *out)
{
    switch (unit) {
    case 'i': {
        long v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        if (v < INT_MIN || v > INT_MAX)
            return -1;
        *(int *)out = (int)v;
        return 1;
    }
    case 'l': {
        long v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *(long *)out = v;
        return 1;
    }
    case 'd': {
        double v = HPyFloat_AsDouble(ctx, arg);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return 0;
        *(double *)out = v;
        return 1;
    }
    case 'n': {
        HPy_ssize_t v = HPyLong_AsSsize_t(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *(HPy_ssize_t *)out = v;
        return 1;
    }
    default:
        return -1;
    }
}

HPyAPI_HELPER int
HPyArg_Parse(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs,
             const char *fmt, ...)
{
    va_list va;
    const char *p;
    const HPy *next = args, *end = args + nargs;

    if (ht != NULL) {
        *ht = HPyTracker_New(ctx, 0);
        if (HPy_IsNull(*ht))
            return 0;
    }

    va_start(va, fmt);
    /* One switch per format character. The commonest units of a present
       argument are converted in it, as convert_arg does; the other units, a
       missing argument and the errors other than a failed conversion go to
       convert_arg. A value is stored once converted, so that the output
       pointer (va_arg) does not live across a call. */
#define NEXT_ARG()          \
    if (next == end)        \
        goto missing;       \
    arg = *next++
    for (p = fmt;; p++) {
        HPy arg;
        switch (*p) {
        case '|':
            continue;
        case '\0': case ':': case ';':
            goto units_end;
        case 'O':
            NEXT_ARG();
            *(HPy *)va_arg(va, void *) = arg;
            continue;
        case 'i': {
            long v;
            NEXT_ARG();
            v = HPyLong_AsLong(ctx, arg);
            if (v == -1 && HPyErr_Occurred(ctx))
                goto fail;
            if (v < INT_MIN || v > INT_MAX)
                break; /* convert_arg raises the OverflowError */
            *(int *)va_arg(va, void *) = (int)v;
            continue;
        }
        case 'l': {
            long v;
            NEXT_ARG();
            v = HPyLong_AsLong(ctx, arg);
            if (v == -1 && HPyErr_Occurred(ctx))
                goto fail;
            *(long *)va_arg(va, void *) = v;
            continue;
        }
        case 'n': {
            HPy_ssize_t v;
            NEXT_ARG();
            v = HPyLong_AsSsize_t(ctx, arg);
            if (v == -1 && HPyErr_Occurred(ctx))
                goto fail;
            *(HPy_ssize_t *)va_arg(va, void *) = v;
            continue;
        }
        case 'd': {
            double v;
            NEXT_ARG();
            v = HPyFloat_AsDouble(ctx, arg);
            if (v == -1.0 && HPyErr_Occurred(ctx))
                goto fail;
            *(double *)va_arg(va, void *) = v;
            continue;
        }
        case 's': {
            HPy_ssize_t size;
            const char *data;
            NEXT_ARG();
            if (!HPyUnicode_Check(ctx, arg))
                break; /* convert_arg raises the TypeError */
            data = HPyUnicode_AsUTF8AndSize(ctx, arg, &size);
            if (data == NULL)
                goto fail; /* the UnicodeEncodeError */
            /* strlen stops at a NUL before the end */
            if (strlen(data) != (size_t)size)
                break; /* convert_arg raises the ValueError */
            *(const char **)va_arg(va, void *) = data;
            continue;
        }
        default:
            NEXT_ARG();
            break;
        }
        if (0) {
    missing:
            /* optional if a '|' came before (looked for only here, so that
               no flag lives across the calls of the loop) */
            if (memchr(fmt, '|', (size_t)(p - fmt)) == NULL) {
                arg_error(ctx, ctx->h_TypeError, fmt,
                          "required positional argument missing");
                goto fail;
            }
            arg = HPy_NULL;
        }
        if (!convert_arg(ctx, ht, *p, arg, ARG_BORROWED, va_arg(va, void *), fmt))
            goto fail;
    }
#undef NEXT_ARG
units_end:
    if (next != end) {
        arg_error(ctx, ctx->h_TypeError, fmt,
                  "mismatched args (too many arguments for fmt)");
        goto fail;
    }
    va_end(va);
    return 1;

fail:
    va_end(va);
    if (ht != NULL)
        HPyTracker_Close(ctx, *ht);
    return 0;
}

/* Whether the NUL-terminated parameter name kwd is the len bytes of utf8
   (which may hold NULs: such a name matches nothing). */
static int
name_is(const char *kwd, const char *utf8, HPy_ssize_t len)
{
    HPy_ssize_t j;
    for (j = 0; j < len; j++) {
        if (kwd[j] != utf8[j] || kwd[j] == '\0')
            return 0;
    }
    return kwd[len] == '\0';
}

/* Index in keywords[first..nkw) of the name equal to the str `name`, or -1
   (also for a name that is not a str). Returns -2 on error. */
static HPy_ssize_t
keyword_index(HPyContext *ctx, HPy name, const char *keywords[], size_t first,
              size_t nkw)
{
    HPy_ssize_t len;
    const char *utf8 = HPyUnicode_AsUTF8AndSize(ctx, name, &len);
    size_t k;

    if (utf8 == NULL) {
        /* a str that UTF-8 cannot encode keeps its error; anything else
           is not a keyword name */
        if (HPyUnicode_Check(ctx, name))
            return -2;
        HPyErr_Clear(ctx);
        return -1;
    }
    for (k = first; k < nkw; k++) {
        if (name_is(keywords[k], utf8, len))
            return (HPy_ssize_t)k;
    }
    return -1;
}

/* What is wrong with the first keyword argument that no parameter takes,
   reported after the conversions (as CPython does). */
typedef enum {
    STRAY_NONE,
    STRAY_TWICE,    /* a parameter named twice: the generic message */
    STRAY_NOT_STR,  /* a name that is not a str */
    STRAY_UNKNOWN,  /* a name of no parameter after the positional-only ones */
    STRAY_POSITION  /* a parameter also given by position */
} StrayKind;

typedef struct {
    StrayKind kind;
    HPy_ssize_t j;  /* the keyword argument (NOT_STR, UNKNOWN, POSITION) */
    HPy_ssize_t k;  /* the parameter it names (POSITION) */
} Stray;

/* Raises the TypeError for the keyword argument that stray describes; kw is
   the kwnames tuple or the dict. */
static ARG_COLD void
report_stray_keyword(HPyContext *ctx, HPy kw, int kw_is_dict,
                     const Stray *stray, const char *fmt)
{
    char buf[ERR_BUF_SIZE];
    FmtInfo fi;
    HPy names, name;
    const char *utf8, *parens;
    HPy_ssize_t len;

    scan_format(fmt, &fi);
    if (stray->kind == STRAY_TWICE) {
        arg_error(ctx, ctx->h_TypeError, fmt, "got an unexpected keyword argument");
        return;
    }
    if (stray->kind == STRAY_NOT_STR) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "keywords must be strings");
        return;
    }
    names = kw_is_dict ? HPyDict_Keys(ctx, kw) : kw;
    if (HPy_IsNull(names))
        return;
    name = HPy_GetItem_i(ctx, names, stray->j);
    if (kw_is_dict)
        HPy_Close(ctx, names);
    if (HPy_IsNull(name))
        return;
    utf8 = HPyUnicode_AsUTF8AndSize(ctx, name, &len);
    if (utf8 != NULL) {
        parens = fi.fname != NULL ? "()" : "";
        if (stray->kind == STRAY_UNKNOWN)
            snprintf(buf, sizeof(buf),
                     "'%.100s' is an invalid keyword argument for %.200s%s",
                     utf8, fi.fname != NULL ? fi.fname : "this function", parens);
        else
            snprintf(buf, sizeof(buf),
                     "argument for %.200s%s given by name ('%.100s') and position (%d)",
                     fi.fname != NULL ? fi.fname : "function", parens, utf8,
                     (int)stray->k + 1);
        HPyErr_SetString(ctx, ctx->h_TypeError, buf);
    }
    HPy_Close(ctx, name);
}

/*
 * Puts the value of each keyword argument into kwvals[k], k the index of
 * the parameter it names (kwvals[nargs:nkw] is all HPy_NULL on entry; no
 * keyword goes below nargs): borrowed from
 * args for a kwnames tuple, a new handle for a dict. A keyword argument
 * that no parameter takes is recorded in *stray (the first one, unless
 * only a parameter named twice came before it) and skipped. Returns 0, or -1 on error.
 */
static int
collect_keywords(HPyContext *ctx, HPy kw, int kw_is_dict, HPy_ssize_t nkwargs,
                 const HPy *kwvalues, const char *keywords[], size_t npos_only,
                 size_t nkw, size_t nargs, HPy *kwvals, Stray *stray)
{
    HPy names = kw_is_dict ? HPyDict_Keys(ctx, kw) : kw;
    HPy_ssize_t j;
    int result = -1;

    if (HPy_IsNull(names))
        return -1;
    for (j = 0; j < nkwargs; j++) {
        HPy name = HPy_GetItem_i(ctx, names, j);
        HPy_ssize_t k;
        StrayKind kind = STRAY_NONE;
        int failed = 0;
        if (HPy_IsNull(name))
            goto done;
        k = keyword_index(ctx, name, keywords, npos_only, nkw);
        if (k == -1)
            kind = HPyUnicode_Check(ctx, name) ? STRAY_UNKNOWN : STRAY_NOT_STR;
        else if (k == -2)
            failed = 1;
        else if ((size_t)k < nargs)
            kind = STRAY_POSITION;
        else if (!HPy_IsNull(kwvals[k]))
            kind = STRAY_TWICE;
        else
            failed = HPy_IsNull(kwvals[k] = kw_is_dict ? HPy_GetItem(ctx, kw, name)
                                                       : kwvalues[j]);
        HPy_Close(ctx, name);
        if (failed)
            goto done;
        if (kind != STRAY_NONE && stray->kind <= STRAY_TWICE) {
            stray->kind = kind;
            stray->j = j;
            stray->k = k;
        }
    }
    result = 0;
done:
    if (kw_is_dict)
        HPy_Close(ctx, names);
    return result;
}

#define SMALL_KW 16 /* parameters whose keyword values need no malloc */

/* The common body of the two keyword variants; kw is a kwnames tuple whose
   values follow the positional ones in args, or a dict (kw_is_dict). */
static int
parse_keywords(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs,
               HPy kw, int kw_is_dict, const char *fmt,
               const char *keywords[], va_list *va)
{
    HPy small[SMALL_KW], *kwvals = small;
    const char *p;
    size_t npos_only = 0, nkw, i = 0, k;
    HPy_ssize_t nkwargs = 0;
    int optional = 0, keyword_only = 0, ok = 0;
    Stray stray;

    stray.kind = STRAY_NONE;

    /* leading "" names are positional-only; no "" may follow a real name */
    while (keywords[npos_only] != NULL && keywords[npos_only][0] == '\0')
        npos_only++;
    for (nkw = npos_only; keywords[nkw] != NULL; nkw++) {
        if (keywords[nkw][0] == '\0') {
            arg_error(ctx, ctx->h_SystemError, fmt, "empty keyword parameter name");
            return 0;
        }
    }

    if (!HPy_IsNull(kw)) {
        nkwargs = HPy_Length(ctx, kw);
        if (nkwargs < 0)
            return 0;
    }
    if (nkwargs > 0) {
        if (nkw > SMALL_KW) {
            kwvals = (HPy *)malloc(nkw * sizeof(HPy));
            if (kwvals == NULL) {
                HPyErr_NoMemory(ctx);
                return 0;
            }
        }
        /* only the parameters after the positional arguments are looked
           at (a short loop: a call of memset costs more) */
        for (k = nargs; k < nkw; k++)
            kwvals[k] = HPy_NULL;
    }
    if (ht != NULL) {
        *ht = HPyTracker_New(ctx, 0);
        if (HPy_IsNull(*ht))
            goto done;
    }
    if (nkwargs > 0 &&
            collect_keywords(ctx, kw, kw_is_dict, nkwargs, args + nargs, keywords,
                             npos_only, nkw, nargs, kwvals, &stray) < 0)
        goto done;

    for (p = fmt;; p++) {
        char unit = *p;
        HPy arg = HPy_NULL;
        ArgKind kind = ARG_TRACKED;
        void *out;

        if (unit == '\0' || unit == ':' || unit == ';')
            break;
        if (unit == '|') {
            optional = 1;
            continue;
        }
        if (unit == '$') {
            optional = keyword_only = 1;
            continue;
        }
        if (unit == 'O' && ht == NULL) {
            arg_error(ctx, ctx->h_SystemError, fmt,
                      "HPyArg_ParseKeywords cannot use the format character 'O' "
                      "unless an HPyTracker is provided. Please supply an HPyTracker.");
            goto done;
        }
        if (i >= nkw) {
            arg_error(ctx, ctx->h_TypeError, fmt,
                      "mismatched args (too few keywords for fmt)");
            goto done;
        }
        out = va_arg(*va, void *);
        if (i < nargs) {
            if (keyword_only) {
                arg_error(ctx, ctx->h_TypeError, fmt,
                          "keyword only argument passed as positional argument");
                goto done;
            }
            arg = args[i];
        }
        else if (nkwargs > 0) {
            arg = kwvals[i];
            kwvals[i] = HPy_NULL; /* the conversion takes a dict's value */
            if (kw_is_dict)
                kind = ARG_OWNED;
        }
        i++;
        if (HPy_IsNull(arg)) {
            if (!optional) {
                arg_error(ctx, ctx->h_TypeError, fmt, "no value for required argument");
                goto done;
            }
        }
        else if (kind != ARG_OWNED) {
            int r = convert_number(ctx, unit, arg, out);
            if (r == 0)
                goto done;
            if (r > 0)
                continue;
        }
        if (!convert_arg(ctx, ht, unit, arg, kind, out, fmt))
            goto done;
    }
    if (i != nkw) {
        arg_error(ctx, ctx->h_TypeError, fmt,
                  "mismatched args (too many keywords for fmt)");
        goto done;
    }
    if (nargs > nkw) {
        char what[128];
        snprintf(what, sizeof(what), "takes at most %d argument%s (%lld given)",
                 (int)nkw, nkw == 1 ? "" : "s", (long long)nargs + (long long)nkwargs);
        arg_error(ctx, ctx->h_TypeError, fmt, what);
        goto done;
    }
    if (stray.kind != STRAY_NONE) {
        report_stray_keyword(ctx, kw, kw_is_dict, &stray, fmt);
        goto done;
    }
    ok = 1;

done:
    if (nkwargs > 0) {
        /* the values of a dict that no conversion took */
        if (kw_is_dict) {
            for (k = nargs; k < nkw; k++)
                HPy_Close(ctx, kwvals[k]);
        }
        if (kwvals != small)
            free(kwvals);
    }
    if (!ok && ht != NULL && !HPy_IsNull(*ht))
        HPyTracker_Close(ctx, *ht);
    return ok;
}

HPyAPI_HELPER int
HPyArg_ParseKeywords(HPyContext *ctx, HPyTracker *ht, const HPy *args,
                     size_t nargs, HPy kwnames, const char *fmt,
                     const char *keywords[], ...)
{
    va_list va;
    int ok;

    va_start(va, keywords);
    ok = parse_keywords(ctx, ht, args, nargs, kwnames, 0, fmt, keywords, &va);
    va_end(va);
    return ok;
}

HPyAPI_HELPER int
HPyArg_ParseKeywordsDict(HPyContext *ctx, HPyTracker *ht, const HPy *args,
                         HPy_ssize_t nargs, HPy kw, const char *fmt,
                         const char *keywords[], ...)
{
    va_list va;
    int ok;

    if (nargs < 0) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyArg_ParseKeywordsDict: negative nargs");
        return 0;
    }
    va_start(va, keywords);
    ok = parse_keywords(ctx, ht, args, (size_t)nargs, kw, 1, fmt, keywords, &va);
    va_end(va);
    return ok;
}
