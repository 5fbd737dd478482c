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
#include <string.h>

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
static void
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
static void
range_error(HPyContext *ctx, const char *kind, int below, const FmtInfo *fi)
{
    char what[128];
    snprintf(what, sizeof(what), "%s is %s", kind,
             below ? "less than minimum" : "greater than maximum");
    arg_error(ctx, ctx->h_OverflowError, fi, what);
}

/* Converts arg with HPyLong_AsLong and checks that it lies in lo..hi;
   kind names the C type in the OverflowError message. */
static int
long_in_range(HPyContext *ctx, HPy arg, long lo, long hi, const char *kind,
              const FmtInfo *fi, long *out)
{
    long v = HPyLong_AsLong(ctx, arg);
    if (v == -1 && HPyErr_Occurred(ctx))
        return 0;
    if (v < lo || v > hi) {
        range_error(ctx, kind, v < lo, fi);
        return 0;
    }
    *out = v;
    return 1;
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

/* A numeric unit: takes the output pointer (of type T), leaves it alone for
   a missing optional argument, else converts arg into `tmp_` (of type TMP)
   with CONVERT, an expression that is true on success, and stores it. */
#define NUMERIC_UNIT(T, TMP, CONVERT)                   \
    {                                                   \
        T *out_ = va_arg(*va, T *);                     \
        TMP tmp_;                                       \
        const TMP error_ = (TMP)-1; /* for NOT_ERROR */ \
        (void)error_;                                   \
        if (!HPy_IsNull(arg) && (ok = (CONVERT)))       \
            *out_ = (T)tmp_;                            \
        break;                                          \
    }
/* CONVERT for the API functions that return -1 (cast to their type) with
   an exception set on failure. */
#define NOT_ERROR(EXPR) ((tmp_ = (EXPR)) != error_ || !HPyErr_Occurred(ctx))

    switch (unit) {
    case 'b': NUMERIC_UNIT(unsigned char, long,
                  long_in_range(ctx, arg, 0, UCHAR_MAX, "unsigned byte integer", fi, &tmp_))
    case 'h': NUMERIC_UNIT(short, long,
                  long_in_range(ctx, arg, SHRT_MIN, SHRT_MAX, "signed short integer", fi, &tmp_))
    case 'i': NUMERIC_UNIT(int, long,
                  long_in_range(ctx, arg, INT_MIN, INT_MAX, "signed integer", fi, &tmp_))
    /* the unsigned units B H I k take the low bits, unchecked */
    case 'B': NUMERIC_UNIT(unsigned char, unsigned long, NOT_ERROR(HPyLong_AsUnsignedLongMask(ctx, arg)))
    case 'H': NUMERIC_UNIT(unsigned short, unsigned long, NOT_ERROR(HPyLong_AsUnsignedLongMask(ctx, arg)))
    case 'I': NUMERIC_UNIT(unsigned int, unsigned long, NOT_ERROR(HPyLong_AsUnsignedLongMask(ctx, arg)))
    case 'k': NUMERIC_UNIT(unsigned long, unsigned long, NOT_ERROR(HPyLong_AsUnsignedLongMask(ctx, arg)))
    case 'l': NUMERIC_UNIT(long, long, NOT_ERROR(HPyLong_AsLong(ctx, arg)))
    case 'L': NUMERIC_UNIT(long long, long long, NOT_ERROR(HPyLong_AsLongLong(ctx, arg)))
    case 'K': NUMERIC_UNIT(unsigned long long, unsigned long long,
                  NOT_ERROR(HPyLong_AsUnsignedLongLongMask(ctx, arg)))
    case 'n': NUMERIC_UNIT(HPy_ssize_t, HPy_ssize_t, NOT_ERROR(HPyLong_AsSsize_t(ctx, arg)))
    case 'f': NUMERIC_UNIT(float, double, NOT_ERROR(HPyFloat_AsDouble(ctx, arg)))
    case 'd': NUMERIC_UNIT(double, double, NOT_ERROR(HPyFloat_AsDouble(ctx, arg)))
    case 'p': NUMERIC_UNIT(int, int, (tmp_ = HPy_IsTrue(ctx, arg)) >= 0)
#undef NOT_ERROR
#undef NUMERIC_UNIT
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
            if (unit == 'O') {
                *va_arg(va, HPy *) = arg;
                i++;
                continue;
            }
            if (unit == 'i') {
                int *out = va_arg(va, int *);
                long v = HPyLong_AsLong(ctx, arg);
                if (v == -1 && HPyErr_Occurred(ctx))
                    goto fail;
                if (v < INT_MIN || v > INT_MAX) {
                    range_error(ctx, "signed integer", v < INT_MIN, &fi);
                    goto fail;
                }
                *out = (int)v;
                i++;
                continue;
            }
            if (unit == 'l') {
                long *out = va_arg(va, long *);
                long v = HPyLong_AsLong(ctx, arg);
                if (v == -1 && HPyErr_Occurred(ctx))
                    goto fail;
                *out = v;
                i++;
                continue;
            }
            if (unit == 'd') {
                double *out = va_arg(va, double *);
                double v = HPyFloat_AsDouble(ctx, arg);
                if (v == -1.0 && HPyErr_Occurred(ctx))
                    goto fail;
                *out = v;
                i++;
                continue;
            }
            if (unit == 'n') {
                HPy_ssize_t *out = va_arg(va, HPy_ssize_t *);
                HPy_ssize_t v = HPyLong_AsSsize_t(ctx, arg);
                if (v == -1 && HPyErr_Occurred(ctx))
                    goto fail;
                *out = v;
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

/* Index in keywords[first..nkw) of the name equal to the str `name`, or -1
   (also for a name that is not a str). Returns -2 on error. */
static HPy_ssize_t
keyword_index(HPyContext *ctx, HPy name, const char *keywords[], size_t first,
              size_t nkw)
{
    HPy_ssize_t len;
    const char *utf8;
    size_t k;

    if (!HPyUnicode_Check(ctx, name))
        return -1;
    utf8 = HPyUnicode_AsUTF8AndSize(ctx, name, &len);
    if (utf8 == NULL)
        return -2;
    for (k = first; k < nkw; k++) {
        if (strlen(keywords[k]) == (size_t)len && memcmp(keywords[k], utf8, (size_t)len) == 0)
            return (HPy_ssize_t)k;
    }
    return -1;
}

/* Looks up keyword argument `key`: in the kwnames tuple (the value is then
   borrowed from args) or in the dict kw (the value is then a new handle).
   Returns 1 and sets *value if found, 0 if absent, -1 on error. */
static int
find_keyword(HPyContext *ctx, HPy kw, int kw_is_dict, HPy_ssize_t nkwargs,
             const HPy *kwvalues, const char *key, HPy *value)
{
    if (kw_is_dict) {
        *value = HPy_GetItem_s(ctx, kw, key);
        if (!HPy_IsNull(*value))
            return 1;
        if (!HPyErr_ExceptionMatches(ctx, ctx->h_KeyError))
            return -1;
        HPyErr_Clear(ctx);
        return 0;
    }
    for (HPy_ssize_t j = 0; j < nkwargs; j++) {
        HPy name = HPy_GetItem_i(ctx, kw, j);
        if (HPy_IsNull(name))
            return -1;
        HPy_ssize_t k = keyword_index(ctx, name, &key, 0, 1);
        HPy_Close(ctx, name);
        if (k == -2)
            return -1;
        if (k == 0) {
            *value = kwvalues[j];
            return 1;
        }
    }
    return 0;
}

/* Raises the TypeError for the first keyword name in kw that the parse did
   not use: not a str, not a parameter name, or naming a parameter that was
   also given by position. */
static void
report_unused_keyword(HPyContext *ctx, HPy kw, int kw_is_dict,
                      const char *keywords[], size_t npos_only, size_t nkw,
                      size_t nargs, const FmtInfo *fi)
{
    char buf[ERR_BUF_SIZE];
    const char *func = fi->fname != NULL ? fi->fname : "function";
    const char *parens = fi->fname != NULL ? "()" : "";
    HPy names = kw_is_dict ? HPyDict_Keys(ctx, kw) : HPy_Dup(ctx, kw);
    HPy_ssize_t n, j;

    if (HPy_IsNull(names))
        return;
    n = HPy_Length(ctx, names);
    if (n < 0)
        goto done;
    for (j = 0; j < n; j++) {
        HPy name = HPy_GetItem_i(ctx, names, j);
        if (HPy_IsNull(name))
            goto done;
        HPy_ssize_t k = keyword_index(ctx, name, keywords, npos_only, nkw);
        if (k == -2) {
            HPy_Close(ctx, name);
            goto done;
        }
        if (k == -1 && !HPyUnicode_Check(ctx, name)) {
            HPy_Close(ctx, name);
            HPyErr_SetString(ctx, ctx->h_TypeError, "keywords must be strings");
            goto done;
        }
        if (k == -1 || (size_t)k < nargs) {
            HPy_ssize_t len;
            const char *utf8 = HPyUnicode_AsUTF8AndSize(ctx, name, &len);
            if (k == -1)
                snprintf(buf, sizeof(buf),
                         "'%.100s' is an invalid keyword argument for %.200s%s",
                         utf8, fi->fname != NULL ? fi->fname : "this function",
                         parens);
            else
                snprintf(buf, sizeof(buf),
                         "argument for %.200s%s given by name ('%.100s') and position (%d)",
                         func, parens, utf8, (int)k + 1);
            HPy_Close(ctx, name);
            HPyErr_SetString(ctx, ctx->h_TypeError, buf);
            goto done;
        }
        HPy_Close(ctx, name);
    }
    arg_error(ctx, ctx->h_TypeError, fi, "got an unexpected keyword argument");
done:
    HPy_Close(ctx, names);
}

/* The common body of the two keyword variants; kw is a kwnames tuple whose
   values follow the positional ones in args, or a dict (kw_is_dict). */
static int
parse_keywords(HPyContext *ctx, HPyTracker *ht, const HPy *args, size_t nargs,
               HPy kw, int kw_is_dict, const char *fmt,
               const char *keywords[], va_list *va)
{
    FmtInfo fi;
    const char *p;
    size_t npos_only = 0, nkw, i = 0;
    HPy_ssize_t nkwargs = 0, nfound = 0;
    int optional = 0, keyword_only = 0;

    scan_format(fmt, &fi);

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
    if (ht != NULL) {
        *ht = HPyTracker_New(ctx, 0);
        if (HPy_IsNull(*ht))
            return 0;
    }

    for (p = fmt; p != fi.units_end; p++) {
        HPy arg = HPy_NULL;
        ArgKind kind = ARG_TRACKED;

        if (*p == '|') {
            optional = 1;
            continue;
        }
        if (*p == '$') {
            optional = keyword_only = 1;
            continue;
        }
        if (*p == 'O' && ht == NULL) {
            arg_error(ctx, ctx->h_SystemError, &fi,
                      "HPyArg_ParseKeywords cannot use the format character 'O' "
                      "unless an HPyTracker is provided. Please supply an HPyTracker.");
            goto fail;
        }
        if (i >= nkw) {
            arg_error(ctx, ctx->h_TypeError, &fi,
                      "mismatched args (too few keywords for fmt)");
            goto fail;
        }
        if (i < nargs) {
            if (keyword_only) {
                arg_error(ctx, ctx->h_TypeError, &fi,
                          "keyword only argument passed as positional argument");
                goto fail;
            }
            arg = args[i];
        }
        else if (i >= npos_only && nfound < nkwargs) {
            int found = find_keyword(ctx, kw, kw_is_dict, nkwargs, args + nargs,
                                     keywords[i], &arg);
            if (found < 0)
                goto fail;
            nfound += found;
            if (found && kw_is_dict)
                kind = ARG_OWNED;
        }
        if (HPy_IsNull(arg) && !optional) {
            arg_error(ctx, ctx->h_TypeError, &fi, "no value for required argument");
            goto fail;
        }
        if (!convert_arg(ctx, ht, *p, arg, kind, va, &fi))
            goto fail;
        i++;
    }
    if (i != nkw) {
        arg_error(ctx, ctx->h_TypeError, &fi,
                  "mismatched args (too many keywords for fmt)");
        goto fail;
    }
    if (nargs > nkw) {
        char what[128];
        snprintf(what, sizeof(what), "takes at most %d argument%s (%lld given)",
                 (int)nkw, nkw == 1 ? "" : "s", (long long)nargs + (long long)nkwargs);
        arg_error(ctx, ctx->h_TypeError, &fi, what);
        goto fail;
    }
    if (nfound != nkwargs) {
        report_unused_keyword(ctx, kw, kw_is_dict, keywords, npos_only, nkw,
                              nargs, &fi);
        goto fail;
    }
    return 1;

fail:
    if (ht != NULL)
        HPyTracker_Close(ctx, *ht);
    return 0;
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
