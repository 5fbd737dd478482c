#include "hpy.h"

/*
 * HPyUnicode_FromFormat, HPyUnicode_FromFormatV and HPyErr_Format: the HPy
 * counterparts of PyUnicode_FromFormat and PyErr_Format.
 *
 * Compiled into every extension; uses only the public HPy API, so the same
 * code serves every ABI and every runtime. The text is assembled as UTF-8 in
 * a growable buffer and turned into a str at the end.
 *
 * A conversion is  %[0][width][.precision][length]unit
 *
 *   %%              a literal '%' (no flags, width or precision)
 *   %c   [int]      the character with that code point (0 ... 0x10FFFF,
 *                   else OverflowError)
 *   %d %i [int]     signed decimal; with l [long], ll [long long],
 *                   z [HPy_ssize_t]
 *   %u   [unsigned int]  unsigned decimal; with l [unsigned long],
 *                   ll [unsigned long long], z [size_t]
 *   %x   [unsigned int]  hexadecimal (lowercase); l, ll, z as for %u
 *   %p   [const void *]  the pointer in hexadecimal, always starting "0x"
 *   %s   [const char *]  a NUL-terminated UTF-8 string
 *   %U   [HPy]      a str object
 *   %V   [HPy, const char *]  the str object, or if it is HPy_NULL, the
 *                   UTF-8 string (one of the two must not be NULL)
 *   %S   [HPy]      HPy_Str(obj)
 *   %R   [HPy]      HPy_Repr(obj)
 *   %A   [HPy]      HPy_ASCII(obj)
 *
 * Width and precision:
 *   - numbers: precision is the minimum number of digits (zeros are added
 *     after the sign); width the minimum length, padded with spaces on the
 *     left, or with zeros after the sign with the 0 flag (even with a
 *     precision, unlike C printf: "%07.5d" of 123 is "0000123");
 *   - strings (%s %U %V %S %R %A): precision is the maximum number of
 *     characters kept (bytes for %s and for the C string of %V, cut back to
 *     a whole UTF-8 character), width the minimum number of characters,
 *     padded with spaces on the left;
 *   - %c, %p and %% take neither, and the 0 flag applies to numbers only.
 *
 * Handles passed for %U %V %S %R %A are not closed. Errors, with the
 * messages of HPy 0.9 (and of CPython's PyUnicode_FromFormat):
 *   - SystemError "invalid format string": an unknown unit, a '%' at the
 *     end of the format, a length modifier on a unit other than d i u x,
 *     or "%%" with a flag, width or precision;
 *   - SystemError "formatting unit '%X' does not support 0-padding" (the 0
 *     flag on a unit that is not a number) and "... does not support width
 *     nor precision" (%c and %p);
 *   - SystemError "null c string passed as value for formatting unit
 *     '%s'", and likewise for HPy_NULL given to %U %S %R %A (or to %V
 *     together with a NULL string);
 *   - ValueError "width too big" / "precision too big" beyond 2**24 (a
 *     mistake surely, and far below what would overflow);
 *   - ValueError "expected an ASCII-encoded format string, got a
 *     non-ASCII byte: 0x.." for a byte >= 0x80 in the literal text;
 *   - TypeError: %U or %V given an object that is not a str.
 * HPyErr_Format raises the formatted message; if formatting itself fails,
 * that error is raised instead.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNICODE 0x10FFFF
/* width and precision beyond this are rejected (a format error, surely) */
#define MAX_WIDTH (1 << 24)
#define ERR_BUF_SIZE 200

/* ---------------------------------------------------------------------- */
/* the output buffer                                                       */

typedef struct {
    char *data;
    size_t len, cap;
    int has_nul;         /* a %c of 0 was written: decode with the length */
    char small[256];     /* most results fit here without malloc */
} Out;

static void
out_init(Out *o)
{
    o->data = o->small;
    o->len = 0;
    o->cap = sizeof(o->small);
    o->has_nul = 0;
}

static void
out_free(Out *o)
{
    if (o->data != o->small)
        free(o->data);
}

/* Makes room for n more bytes (plus a terminating NUL); 0 on failure, with
   MemoryError set. */
static int
out_reserve(HPyContext *ctx, Out *o, size_t n)
{
    size_t need, cap;
    char *p;
    if (n >= SIZE_MAX / 2 - o->len) {
        HPyErr_NoMemory(ctx);
        return 0;
    }
    need = o->len + n + 1;
    if (need <= o->cap)
        return 1;
    cap = o->cap * 2;
    if (cap < need)
        cap = need;
    if (o->data == o->small) {
        p = (char *)malloc(cap);
        if (p != NULL)
            memcpy(p, o->small, o->len);
    }
    else {
        p = (char *)realloc(o->data, cap);
    }
    if (p == NULL) {
        HPyErr_NoMemory(ctx);
        return 0;
    }
    o->data = p;
    o->cap = cap;
    return 1;
}

static int
out_write(HPyContext *ctx, Out *o, const char *s, size_t n)
{
    if (!out_reserve(ctx, o, n))
        return 0;
    memcpy(o->data + o->len, s, n);
    o->len += n;
    return 1;
}

static int
out_fill(HPyContext *ctx, Out *o, char c, size_t n)
{
    if (!out_reserve(ctx, o, n))
        return 0;
    memset(o->data + o->len, c, n);
    o->len += n;
    return 1;
}

/* ---------------------------------------------------------------------- */
/* UTF-8                                                                   */

/* Number of code points in n bytes of UTF-8 (continuation bytes do not
   count). */
static size_t
utf8_count(const char *s, size_t n)
{
    size_t i, count = 0;
    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* Byte length of the first `chars` code points of n bytes of UTF-8. */
static size_t
utf8_prefix_chars(const char *s, size_t n, size_t chars)
{
    size_t i, seen = 0;
    for (i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (seen == chars)
                return i;
            seen++;
        }
    }
    return n;
}

/* At most `bytes` bytes of s, cut back so that no character is split. */
static size_t
utf8_prefix_bytes(const char *s, size_t n, size_t bytes)
{
    if (bytes >= n)
        return n;
    while (bytes > 0 && ((unsigned char)s[bytes] & 0xC0) == 0x80)
        bytes--;
    return bytes;
}

static size_t
utf8_encode(unsigned long cp, char *buf)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---------------------------------------------------------------------- */
/* one conversion                                                          */

typedef struct {
    int zero;            /* the 0 flag */
    long width;          /* -1: none */
    long precision;      /* -1: none */
    int length;          /* 0, 'l', 'L' (ll) or 'z' */
    char unit;
} Spec;

/* Raises `type` with the message `what`, in which a "%c" stands for the
   unit of the conversion (the messages are HPy 0.9's). */
static void
spec_error(HPyContext *ctx, HPy type, const char *what, const Spec *sp)
{
    char buf[ERR_BUF_SIZE];
    snprintf(buf, sizeof(buf), what, sp->unit);
    HPyErr_SetString(ctx, type, buf);
}

/* Pads `chars` characters of text (n bytes) to the spec's width, on the
   left. */
static int
write_padded(HPyContext *ctx, Out *o, const Spec *sp, const char *s,
             size_t n, size_t chars)
{
    if (sp->width > 0 && (size_t)sp->width > chars)
        if (!out_fill(ctx, o, ' ', (size_t)sp->width - chars))
            return 0;
    return out_write(ctx, o, s, n);
}

/* A string conversion whose precision counts characters. */
static int
write_text_chars(HPyContext *ctx, Out *o, const Spec *sp, const char *s, size_t n)
{
    if (sp->precision >= 0)
        n = utf8_prefix_chars(s, n, (size_t)sp->precision);
    return write_padded(ctx, o, sp, s, n, utf8_count(s, n));
}

/* A string conversion whose precision counts bytes (%s). */
static int
write_text_bytes(HPyContext *ctx, Out *o, const Spec *sp, const char *s)
{
    size_t n = strlen(s);
    if (sp->precision >= 0)
        n = utf8_prefix_bytes(s, n, (size_t)sp->precision);
    return write_padded(ctx, o, sp, s, n, utf8_count(s, n));
}

/* Writes the str object h (which must be one). */
static int
write_str_object(HPyContext *ctx, Out *o, const Spec *sp, HPy h)
{
    HPy_ssize_t size;
    const char *s;
    if (!HPyUnicode_Check(ctx, h)) {
        spec_error(ctx, ctx->h_TypeError, "the argument is not a str", sp);
        return 0;
    }
    s = HPyUnicode_AsUTF8AndSize(ctx, h, &size);
    if (s == NULL)
        return 0;
    if (memchr(s, '\0', (size_t)size) != NULL)
        o->has_nul = 1;
    return write_text_chars(ctx, o, sp, s, (size_t)size);
}

/* %S %R %A: writes fn(obj). */
static int
write_converted(HPyContext *ctx, Out *o, const Spec *sp, HPy obj,
                HPy (*fn)(HPyContext *, HPy))
{
    HPy s;
    int ok;
    if (HPy_IsNull(obj)) {
        spec_error(ctx, ctx->h_SystemError, "HPy_NULL passed as value "
                   "for formatting unit '%%%c'", sp);
        return 0;
    }
    s = fn(ctx, obj);
    if (HPy_IsNull(s))
        return 0;
    ok = write_str_object(ctx, o, sp, s);
    HPy_Close(ctx, s);
    return ok;
}

/* Writes a number already printed (without padding) as digits, with an
   optional leading '-', applying precision and width. */
static int
write_number(HPyContext *ctx, Out *o, const Spec *sp, const char *digits)
{
    int neg = (digits[0] == '-');
    size_t ndig = strlen(digits) - (size_t)neg;
    size_t zeros = 0, total, pad = 0;
    if (sp->precision >= 0 && (size_t)sp->precision > ndig)
        zeros = (size_t)sp->precision - ndig;
    total = (size_t)neg + zeros + ndig;
    if (sp->width > 0 && (size_t)sp->width > total)
        pad = (size_t)sp->width - total;
    /* unlike C's printf, the 0 flag pads with zeros even with a precision
       ("%07.5d" of 123 is "0000123"), as CPython and HPy 0.9 do */
    if (pad > 0 && !sp->zero)
        if (!out_fill(ctx, o, ' ', pad))
            return 0;
    if (neg && !out_write(ctx, o, "-", 1))
        return 0;
    if (pad > 0 && sp->zero)
        zeros += pad;
    if (!out_fill(ctx, o, '0', zeros))
        return 0;
    return out_write(ctx, o, digits + neg, ndig);
}

/* Parses the conversion at *pf (pointing at '%') into sp; advances *pf past
   it. 0 with an exception set on a malformed conversion. */
static int
parse_spec(HPyContext *ctx, const char **pf, Spec *sp)
{
    const char *f = *pf + 1;
    sp->zero = 0;
    sp->width = -1;
    sp->precision = -1;
    sp->length = 0;
    if (*f == '0') {
        sp->zero = 1;
        f++;
    }
    if (*f >= '0' && *f <= '9') {
        sp->width = 0;
        while (*f >= '0' && *f <= '9') {
            sp->width = sp->width * 10 + (*f++ - '0');
            if (sp->width > MAX_WIDTH) {
                HPyErr_SetString(ctx, ctx->h_ValueError, "width too big");
                return 0;
            }
        }
    }
    if (*f == '.') {
        f++;
        sp->precision = 0;
        while (*f >= '0' && *f <= '9') {
            sp->precision = sp->precision * 10 + (*f++ - '0');
            if (sp->precision > MAX_WIDTH) {
                HPyErr_SetString(ctx, ctx->h_ValueError, "precision too big");
                return 0;
            }
        }
    }
    if (f[0] == 'l' && f[1] == 'l') {
        sp->length = 'L';
        f += 2;
    }
    else if (f[0] == 'l' || f[0] == 'z') {
        sp->length = f[0];
        f++;
    }
    sp->unit = *f;
    if (*f != '\0')
        f++;
    *pf = f;

    if (sp->unit == '\0' || strchr("%cdiuxpsUVSRA", sp->unit) == NULL
            || (sp->length != 0 && strchr("diux", sp->unit) == NULL)
            || (sp->unit == '%'
                && (sp->zero || sp->width >= 0 || sp->precision >= 0))) {
        /* an unknown unit, a '%' at the end, a length modifier on a unit
           other than d i u x, or "%%" with a flag, width or precision */
        HPyErr_SetString(ctx, ctx->h_SystemError, "invalid format string");
        return 0;
    }
    if (sp->zero && strchr("diux", sp->unit) == NULL) {
        spec_error(ctx, ctx->h_SystemError,
                   "formatting unit '%%%c' does not support 0-padding", sp);
        return 0;
    }
    if ((sp->unit == 'c' || sp->unit == 'p')
            && (sp->width >= 0 || sp->precision >= 0)) {
        spec_error(ctx, ctx->h_SystemError,
                   "formatting unit '%%%c' does not support width nor precision",
                   sp);
        return 0;
    }
    return 1;
}

static int
format_one(HPyContext *ctx, Out *o, const char **pf, va_list *va)
{
    Spec sp;
    char num[64];
    if (!parse_spec(ctx, pf, &sp))
        return 0;

    switch (sp.unit) {
    case '%':
        return out_write(ctx, o, "%", 1);

    case 'c': {
        int cp = va_arg(*va, int);
        char buf[4];
        if (cp < 0 || cp > MAX_UNICODE) {
            HPyErr_SetString(ctx, ctx->h_OverflowError,
                             "character argument not in range(0x110000)");
            return 0;
        }
        if (cp == 0)
            o->has_nul = 1;
        return out_write(ctx, o, buf, utf8_encode((unsigned long)cp, buf));
    }

    case 'd':
    case 'i':
        switch (sp.length) {
        case 'l': snprintf(num, sizeof(num), "%ld", va_arg(*va, long)); break;
        case 'L': snprintf(num, sizeof(num), "%lld", va_arg(*va, long long)); break;
        case 'z': snprintf(num, sizeof(num), "%lld",
                           (long long)va_arg(*va, HPy_ssize_t)); break;
        default:  snprintf(num, sizeof(num), "%d", va_arg(*va, int)); break;
        }
        return write_number(ctx, o, &sp, num);

    case 'u':
    case 'x': {
        unsigned long long v;
        switch (sp.length) {
        case 'l': v = va_arg(*va, unsigned long); break;
        case 'L': v = va_arg(*va, unsigned long long); break;
        case 'z': v = va_arg(*va, size_t); break;
        default:  v = va_arg(*va, unsigned int); break;
        }
        snprintf(num, sizeof(num), sp.unit == 'u' ? "%llu" : "%llx", v);
        return write_number(ctx, o, &sp, num);
    }

    case 'p':
        snprintf(num, sizeof(num), "0x%llx",
                 (unsigned long long)(uintptr_t)va_arg(*va, void *));
        return out_write(ctx, o, num, strlen(num));

    case 's': {
        const char *s = va_arg(*va, const char *);
        if (s == NULL) {
            spec_error(ctx, ctx->h_SystemError, "null c string passed as value "
                       "for formatting unit '%%%c'", &sp);
            return 0;
        }
        return write_text_bytes(ctx, o, &sp, s);
    }

    case 'U': {
        HPy h = va_arg(*va, HPy);
        if (HPy_IsNull(h)) {
            spec_error(ctx, ctx->h_SystemError, "HPy_NULL passed as value "
                       "for formatting unit '%%%c'", &sp);
            return 0;
        }
        return write_str_object(ctx, o, &sp, h);
    }

    case 'V': {
        HPy h = va_arg(*va, HPy);
        const char *s = va_arg(*va, const char *);
        if (!HPy_IsNull(h))
            return write_str_object(ctx, o, &sp, h);
        if (s == NULL) {
            spec_error(ctx, ctx->h_SystemError, "HPy_NULL and a null c "
                       "string passed as values for formatting unit '%%%c'",
                       &sp);
            return 0;
        }
        return write_text_bytes(ctx, o, &sp, s);
    }

    case 'S':
        return write_converted(ctx, o, &sp, va_arg(*va, HPy), HPy_Str);
    case 'R':
        return write_converted(ctx, o, &sp, va_arg(*va, HPy), HPy_Repr);
    case 'A':
        return write_converted(ctx, o, &sp, va_arg(*va, HPy), HPy_ASCII);

    default:   /* parse_spec accepts the units above only */
        HPyErr_SetString(ctx, ctx->h_SystemError, "invalid format string");
        return 0;
    }
}

/* The str of the n bytes of UTF-8 in o. */
static HPy
out_to_str(HPyContext *ctx, Out *o)
{
    HPy bytes, result;
    o->data[o->len] = '\0';   /* out_reserve always leaves room for it */
    if (!o->has_nul)
        return HPyUnicode_FromString(ctx, o->data);
    bytes = HPyBytes_FromStringAndSize(ctx, o->data, (HPy_ssize_t)o->len);
    if (HPy_IsNull(bytes))
        return HPy_NULL;
    result = HPyUnicode_FromEncodedObject(ctx, bytes, "utf-8", "strict");
    HPy_Close(ctx, bytes);
    return result;
}

HPyAPI_HELPER HPy
HPyUnicode_FromFormatV(HPyContext *ctx, const char *format, va_list vargs)
{
    Out o;
    HPy result = HPy_NULL;
    const char *f = format, *lit;
    va_list va;

    if (format == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyUnicode_FromFormat: the format is NULL");
        return HPy_NULL;
    }
    out_init(&o);
    if (!out_reserve(ctx, &o, 0))
        return HPy_NULL;
    va_copy(va, vargs);
    while (*f != '\0') {
        /* copy literal text up to the next '%' */
        lit = f;
        while (*f != '\0' && *f != '%') {
            if ((unsigned char)*f >= 0x80) {
                char msg[ERR_BUF_SIZE];
                snprintf(msg, sizeof(msg), "expected an ASCII-encoded format "
                         "string, got a non-ASCII byte: 0x%02x",
                         (unsigned)(unsigned char)*f);
                HPyErr_SetString(ctx, ctx->h_ValueError, msg);
                goto done;
            }
            f++;
        }
        if (f > lit && !out_write(ctx, &o, lit, (size_t)(f - lit)))
            goto done;
        if (*f == '%' && !format_one(ctx, &o, &f, &va))
            goto done;
    }
    result = out_to_str(ctx, &o);
done:
    va_end(va);
    out_free(&o);
    return result;
}

HPyAPI_HELPER HPy
HPyUnicode_FromFormat(HPyContext *ctx, const char *fmt, ...)
{
    va_list va;
    HPy result;
    va_start(va, fmt);
    result = HPyUnicode_FromFormatV(ctx, fmt, va);
    va_end(va);
    return result;
}

HPyAPI_HELPER HPy
HPyErr_Format(HPyContext *ctx, HPy h_type, const char *fmt, ...)
{
    va_list va;
    HPy msg;
    va_start(va, fmt);
    msg = HPyUnicode_FromFormatV(ctx, fmt, va);
    va_end(va);
    if (!HPy_IsNull(msg)) {
        HPyErr_SetObject(ctx, h_type, msg);
        HPy_Close(ctx, msg);
    }
    return HPy_NULL;
}
