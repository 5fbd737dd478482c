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

/* What a format string says besides its format units. */
typedef struct {
    const char *fmt;       /* the whole format */
    const char *units_end; /* the first ':' or ';', or the terminating NUL;
                              NULL until scan_format has run (HPyArg_Parse
                              scans only to report an error) */
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
    fi->fmt = fmt;
    fi->units_end = p;
    fi->fname = (*p == ':') ? p + 1 : NULL;
    fi->message = (*p == ';') ? p + 1 : NULL;
}

/* Raises exc_type with "function <what>", "<name>() <what>" or the format's
   replacement message. */
static ARG_COLD void
arg_error(HPyContext *ctx, HPy exc_type, const FmtInfo *fi_in, const char *what)
{
    char buf[ERR_BUF_SIZE];
    FmtInfo scanned;
    const FmtInfo *fi = fi_in;
    if (fi->units_end == NULL) {
        scan_format(fi->fmt, &scanned);
        fi = &scanned;
    }
    if (fi->message != NULL) {
        HPyErr_SetString(ctx, exc_type, fi->message);
        return;
    }
    if (fi->fname != NULL)
        snprintf(buf, sizeof(buf), "%.200s() %.256s", fi->fname, what);
    else
        snprintf(buf, sizeof(buf), "function %.256s", what);
    HPyErr_SetString(ctx, exc_type, buf);
}

/* Raises the OverflowError of a value out of the range of the C type that
   kind names (below it if `below`). */
static ARG_COLD void
range_error(HPyContext *ctx, const char *kind, int below, const FmtInfo *fi)
{
    char what[128];
    snprintf(what, sizeof(what), "%s is %s", kind,
             below ? "less than minimum" : "greater than maximum");
    arg_error(ctx, ctx->h_OverflowError, fi, what);
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
 * Converts one argument according to format unit `unit`, storing the result
 * through the next pointer of *va. A null arg is a missing optional argument:
 * the pointer is consumed and its target left untouched. An ARG_OWNED arg is
 * consumed (kept by the tracker or closed) whatever the outcome.
 * Returns 1 on success, 0 with an exception set on failure.
 */
static int
convert_arg(HPyContext *ctx, HPyTracker *ht, char unit, HPy arg, ArgKind kind,
            va_list *va, const FmtInfo *fi)
{
    int ok = 1;
    long long iv = 0; /* the value of an integer unit (and -1 for an error) */
    double dv = 0.0;  /* the value of f and d */

    /* A numeric unit: first its value (of a present argument), then the
       store through the output pointer, which is consumed even for a
       missing optional argument. */
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
    default:
        goto other_unit;
    }
#undef VALUE
    if (HPy_IsNull(arg)) {
        ok = -1; /* nothing to store */
    }
    else if (iv == -1 && HPyErr_Occurred(ctx)) {
        ok = 0;
    }
    else if (unit == 'b' || unit == 'h' || unit == 'i') {
        long long lo = unit == 'b' ? 0 : unit == 'h' ? SHRT_MIN : INT_MIN;
        long long hi = unit == 'b' ? UCHAR_MAX : unit == 'h' ? SHRT_MAX : INT_MAX;
        if (iv < lo || iv > hi) {
            range_error(ctx, unit == 'b' ? "unsigned byte integer" :
                             unit == 'h' ? "signed short integer" : "signed integer",
                        iv < lo, fi);
            ok = 0;
        }
    }

/* Takes the output pointer (a T *) and, on success, stores VALUE. */
#define STORE(T, VALUE)                        \
    {                                          \
        T *out_ = va_arg(*va, T *);            \
        if (ok > 0)                            \
            *out_ = (T)(VALUE);                \
        break;                                 \
    }
    switch (unit) {
    case 'b': case 'B': STORE(unsigned char, iv)
    case 'h': STORE(short, iv)
    case 'H': STORE(unsigned short, iv)
    case 'i': case 'p': STORE(int, iv)
    case 'I': STORE(unsigned int, iv)
    case 'l': STORE(long, iv)
    case 'k': STORE(unsigned long, iv)
    case 'L': STORE(long long, iv)
    case 'K': STORE(unsigned long long, iv)
    case 'n': STORE(HPy_ssize_t, iv)
    case 'f': STORE(float, dv)
    default: STORE(double, dv) /* 'd' */
    }
#undef STORE
    if (kind == ARG_OWNED && !HPy_IsNull(arg))
        HPy_Close(ctx, arg);
    return ok != 0;

other_unit:
    switch (unit) {
    case 's': {
        const char **out = va_arg(*va, const char **);
        if (HPy_IsNull(arg))
            break;
        HPy_ssize_t size;
        const char *data;
        if (!HPyUnicode_Check(ctx, arg)) {
            arg_error(ctx, ctx->h_TypeError, fi, "a str is required");
            ok = 0;
        }
        else if ((data = HPyUnicode_AsUTF8AndSize(ctx, arg, &size)) == NULL) {
            ok = 0; /* keep the UnicodeEncodeError */
        }
        else if (memchr(data, '\0', (size_t)size) != NULL) {
            arg_error(ctx, ctx->h_ValueError, fi, "embedded null character");
            ok = 0;
        }
        else if (kind != ARG_BORROWED && ht != NULL) {
            /* the tracker keeps the str that owns the buffer */
            HPy kept;
            ok = track(ctx, ht, arg, kind, &kept);
            kind = ARG_BORROWED;
            if (ok)
                *out = data;
        }
        else {
            /* without a tracker the buffer lives as long as the caller's
               args (or kw dict) hold the str */
            *out = data;
        }
        break;
    }
    case 'O': {
        HPy *out = va_arg(*va, HPy *);
        if (HPy_IsNull(arg))
            break;
        if (kind == ARG_BORROWED) {
            *out = arg;
            break;
        }
        /* keyword variants: the stored handle belongs to the tracker */
        ok = track(ctx, ht, arg, kind, out);
        kind = ARG_BORROWED;
        break;
    }
    default:
        arg_error(ctx, ctx->h_SystemError, fi, "unknown arg format code");
        ok = 0;
        break;
    }

    if (kind == ARG_OWNED && !HPy_IsNull(arg))
        HPy_Close(ctx, arg);
    return ok;
}

/*
 * The commonest units (i l d n) of a present argument, without the call of
 * convert_arg: the same conversions and errors. Returns 1 on success, 0
 * with an exception set, -1 for a unit it does not handle (nothing done).
 */
static ARG_ALWAYS_INLINE int
convert_number(HPyContext *ctx, char unit, HPy arg, va_list *va, const FmtInfo *fi)
{
    switch (unit) {
    case 'i': {
        long v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        if (v < INT_MIN || v > INT_MAX) {
            range_error(ctx, "signed integer", v < INT_MIN, fi);
            return 0;
        }
        *va_arg(*va, int *) = (int)v;
        return 1;
    }
    case 'l': {
        long v = HPyLong_AsLong(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *va_arg(*va, long *) = v;
        return 1;
    }
    case 'd': {
        double v = HPyFloat_AsDouble(ctx, arg);
        if (v == -1.0 && HPyErr_Occurred(ctx))
            return 0;
        *va_arg(*va, double *) = v;
        return 1;
    }
    case 'n': {
        HPy_ssize_t v = HPyLong_AsSsize_t(ctx, arg);
        if (v == -1 && HPyErr_Occurred(ctx))
            return 0;
        *va_arg(*va, HPy_ssize_t *) = v;
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
    FmtInfo fi;
    va_list va;
    const char *p;
    size_t i = 0;
    int optional = 0;

    /* the format's name and message matter only for an error message:
       arg_error scans for them then */
    fi.fmt = fmt;
    fi.units_end = NULL;
    if (ht != NULL) {
        *ht = HPyTracker_New(ctx, 0);
        if (HPy_IsNull(*ht))
            return 0;
    }

    va_start(va, fmt);
    for (p = fmt;; p++) {
        char unit = *p;
        HPy arg;
        if (unit == '|') {
            optional = 1;
            continue;
        }
        arg = (i < nargs) ? args[i] : HPy_NULL;
        /* The commonest units, for a present argument, here (the same as
           in convert_arg, without its call); none of them ends the units. */
        if (!HPy_IsNull(arg)) {
            int r;
            if (unit == 'O') {
                *va_arg(va, HPy *) = arg;
                i++;
                continue;
            }
            r = convert_number(ctx, unit, arg, &va, &fi);
            if (r == 0)
                goto fail;
            if (r > 0) {
                i++;
                continue;
            }
            if (unit == 's' && HPyUnicode_Check(ctx, arg)) {
                /* a str without NUL; convert_arg raises for the others */
                HPy_ssize_t size;
                const char *data = HPyUnicode_AsUTF8AndSize(ctx, arg, &size);
                if (data == NULL)
                    goto fail; /* keep the UnicodeEncodeError */
                if (memchr(data, '\0', (size_t)size) == NULL) {
                    *va_arg(va, const char **) = data;
                    i++;
                    continue;
                }
            }
        }
        if (unit == '\0' || unit == ':' || unit == ';')
            break;
        i++;
        if (HPy_IsNull(arg) && !optional) {
            arg_error(ctx, ctx->h_TypeError, &fi,
                      "required positional argument missing");
            goto fail;
        }
        if (!convert_arg(ctx, ht, unit, arg, ARG_BORROWED, &va, &fi))
            goto fail;
    }
    if (i < nargs) {
        arg_error(ctx, ctx->h_TypeError, &fi,
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
        arg_error(ctx, ctx->h_TypeError, &fi, "got an unexpected keyword argument");
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
        if (HPy_IsNull(name))
            goto done;
        k = keyword_index(ctx, name, keywords, npos_only, nkw);
        if (k == -2) {
            HPy_Close(ctx, name);
            goto done;
        }
        if (k == -1)
            kind = HPyUnicode_Check(ctx, name) ? STRAY_UNKNOWN : STRAY_NOT_STR;
        else if ((size_t)k < nargs)
            kind = STRAY_POSITION;
        else if (!HPy_IsNull(kwvals[k]))
            kind = STRAY_TWICE;
        else if (HPy_IsNull(kwvals[k] = kw_is_dict ? HPy_GetItem(ctx, kw, name)
                                                   : kwvalues[j])) {
            HPy_Close(ctx, name);
            goto done;
        }
        HPy_Close(ctx, name);
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
    FmtInfo fi;
    HPy small[SMALL_KW], *kwvals = small;
    const char *p;
    size_t npos_only = 0, nkw, i = 0, k;
    HPy_ssize_t nkwargs = 0;
    int optional = 0, keyword_only = 0, ok = 0;
    Stray stray;

    /* the format's name and message are looked for by arg_error */
    fi.fmt = fmt;
    fi.units_end = NULL;
    stray.kind = STRAY_NONE;

    /* leading "" names are positional-only; no "" may follow a real name */
    while (keywords[npos_only] != NULL && keywords[npos_only][0] == '\0')
        npos_only++;
    for (nkw = npos_only; keywords[nkw] != NULL; nkw++) {
        if (keywords[nkw][0] == '\0') {
            arg_error(ctx, ctx->h_SystemError, &fi, "empty keyword parameter name");
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
            arg_error(ctx, ctx->h_SystemError, &fi,
                      "HPyArg_ParseKeywords cannot use the format character 'O' "
                      "unless an HPyTracker is provided. Please supply an HPyTracker.");
            goto done;
        }
        if (i >= nkw) {
            arg_error(ctx, ctx->h_TypeError, &fi,
                      "mismatched args (too few keywords for fmt)");
            goto done;
        }
        if (i < nargs) {
            if (keyword_only) {
                arg_error(ctx, ctx->h_TypeError, &fi,
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
                arg_error(ctx, ctx->h_TypeError, &fi, "no value for required argument");
                goto done;
            }
        }
        else if (kind != ARG_OWNED) {
            int r = convert_number(ctx, unit, arg, va, &fi);
            if (r == 0)
                goto done;
            if (r > 0)
                continue;
        }
        if (!convert_arg(ctx, ht, unit, arg, kind, va, &fi))
            goto done;
    }
    if (i != nkw) {
        arg_error(ctx, ctx->h_TypeError, &fi,
                  "mismatched args (too many keywords for fmt)");
        goto done;
    }
    if (nargs > nkw) {
        char what[128];
        snprintf(what, sizeof(what), "takes at most %d argument%s (%lld given)",
                 (int)nkw, nkw == 1 ? "" : "s", (long long)nargs + (long long)nkwargs);
        arg_error(ctx, ctx->h_TypeError, &fi, what);
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
