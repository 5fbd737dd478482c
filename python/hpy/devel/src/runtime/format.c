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

#if defined(__GNUC__) || defined(__clang__)
#  define FMT_INLINE inline __attribute__((always_inline))
#  define FMT_COLD __attribute__((noinline, cold))
#else
#  define FMT_INLINE inline
#  define FMT_COLD
#endif

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

/* Makes the buffer hold at least `need` bytes; 0 on failure, with
   MemoryError set. */
static FMT_COLD int
out_grow(HPyContext *ctx, Out *o, size_t need)
{
    size_t cap = o->cap * 2;
    char *p;
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

/* Makes room for n more bytes (plus a terminating NUL); 0 on failure, with
   MemoryError set. */
static FMT_INLINE int
out_reserve(HPyContext *ctx, Out *o, size_t n)
{
    if (n < o->cap - o->len)  /* o->len < o->cap always */
        return 1;
    if (n >= SIZE_MAX / 2 - o->len) {
        HPyErr_NoMemory(ctx);
        return 0;
    }
    return out_grow(ctx, o, o->len + n + 1);
}

static FMT_INLINE int
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

/* Writes n bytes of text, padded on the left with spaces to the spec's
   width, which counts characters (UTF-8 continuation bytes do not). */
static int
write_padded(HPyContext *ctx, Out *o, const Spec *sp, const char *s, size_t n)
{
    if (sp->width > 0) {
        size_t chars = utf8_count(s, n);
        if ((size_t)sp->width > chars && !out_fill(ctx, o, ' ', (size_t)sp->width - chars))
            return 0;
    }
    return out_write(ctx, o, s, n);
}

/* A string conversion whose precision counts characters. */
static int
write_text_chars(HPyContext *ctx, Out *o, const Spec *sp, const char *s, size_t n)
{
    if (sp->precision >= 0)
        n = utf8_prefix_chars(s, n, (size_t)sp->precision);
    return write_padded(ctx, o, sp, s, n);
}

/* A string conversion whose precision counts bytes (%s, and the C string
   of %V). */
static int
write_text_bytes(HPyContext *ctx, Out *o, const Spec *sp, const char *s)
{
    size_t n = strlen(s);
    if (sp->precision >= 0)
        n = utf8_prefix_bytes(s, n, (size_t)sp->precision);
    return write_padded(ctx, o, sp, s, n);
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

/* The digits of v in base 10, or 16 (lowercase) if `hex`, written
   backwards ending at `end`; returns where they start. */
static char *
digits_of(unsigned long long v, int hex, char *end)
{
    if (hex) {
        do {
            *--end = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v != 0);
    }
    else {
        do {
            *--end = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
    }
    return end;
}

/* Writes a number given as its digits (ndig of them) and whether it is
   negative, applying the spec's precision and width. */
static int
write_number(HPyContext *ctx, Out *o, const Spec *sp, int neg,
             const char *digits, size_t ndig)
{
    size_t zeros = 0, total, pad = 0;
    if (sp->precision < 0 && sp->width < 0) {
        /* no padding: the sign and the digits */
        if (!out_reserve(ctx, o, ndig + 1))
            return 0;
        if (neg)
            o->data[o->len++] = '-';
        memcpy(o->data + o->len, digits, ndig);
        o->len += ndig;
        return 1;
    }
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
    return out_write(ctx, o, digits, ndig);
}

/* Raises SystemError "invalid format string". */
static FMT_COLD int
invalid_format(HPyContext *ctx)
{
    HPyErr_SetString(ctx, ctx->h_SystemError, "invalid format string");
    return 0;
}

/* Parses width or precision digits at *pf (at least one) into *out;
   0 with ValueError "<what> too big" beyond MAX_WIDTH. */
static int
parse_count(HPyContext *ctx, const char **pf, long *out, const char *what)
{
    const char *f = *pf;
    long v = 0;
    while (*f >= '0' && *f <= '9') {
        v = v * 10 + (*f++ - '0');
        if (v > MAX_WIDTH) {
            char msg[ERR_BUF_SIZE];
            snprintf(msg, sizeof(msg), "%s too big", what);
            HPyErr_SetString(ctx, ctx->h_ValueError, msg);
            return 0;
        }
    }
    *out = v;
    *pf = f;
    return 1;
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
    if (*f >= '0' && *f <= '9' && !parse_count(ctx, &f, &sp->width, "width"))
        return 0;
    if (*f == '.') {
        f++;
        if (!parse_count(ctx, &f, &sp->precision, "precision"))
            return 0;
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

    switch (sp->unit) {
    case 'd':
    case 'i':
    case 'u':
    case 'x':
        return 1;
    case '%':
        /* "%%" takes no flag, width or precision */
        if (sp->zero || sp->width >= 0 || sp->precision >= 0 || sp->length != 0)
            return invalid_format(ctx);
        return 1;
    case 'c':
    case 'p':
    case 's':
    case 'U':
    case 'V':
    case 'S':
    case 'R':
    case 'A':
        break;
    default:
        /* an unknown unit, or a '%' at the end */
        return invalid_format(ctx);
    }
    if (sp->length != 0) /* a length modifier on a unit other than d i u x */
        return invalid_format(ctx);
    if (sp->zero) {
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
    char num[32]; /* the digits of a 64-bit number (or 0x and a pointer) */
    char *end = num + sizeof(num), *digits;
    unsigned long long v;
    int neg = 0;

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
    case 'i': {
        long long x;
        switch (sp.length) {
        case 'l': x = va_arg(*va, long); break;
        case 'L': x = va_arg(*va, long long); break;
        case 'z': x = va_arg(*va, HPy_ssize_t); break;
        default:  x = va_arg(*va, int); break;
        }
        neg = x < 0;
        /* the magnitude, also of LLONG_MIN */
        v = neg ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        digits = digits_of(v, 0, end);
        return write_number(ctx, o, &sp, neg, digits, (size_t)(end - digits));
    }

    case 'u':
    case 'x':
        switch (sp.length) {
        case 'l': v = va_arg(*va, unsigned long); break;
        case 'L': v = va_arg(*va, unsigned long long); break;
        case 'z': v = va_arg(*va, size_t); break;
        default:  v = va_arg(*va, unsigned int); break;
        }
        digits = digits_of(v, sp.unit == 'x', end);
        return write_number(ctx, o, &sp, 0, digits, (size_t)(end - digits));

    case 'p':
        digits = digits_of((unsigned long long)(uintptr_t)va_arg(*va, void *), 1, end);
        *--digits = 'x';
        *--digits = '0';
        return out_write(ctx, o, digits, (size_t)(end - digits));

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
    default: /* 'A': parse_spec accepts the units above only */
        return write_converted(ctx, o, &sp, va_arg(*va, HPy), HPy_ASCII);
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

/* Raises the ValueError of a byte >= 0x80 in the format's literal text. */
static FMT_COLD void
non_ascii_error(HPyContext *ctx, char c)
{
    char msg[ERR_BUF_SIZE];
    snprintf(msg, sizeof(msg), "expected an ASCII-encoded format "
             "string, got a non-ASCII byte: 0x%02x", (unsigned)(unsigned char)c);
    HPyErr_SetString(ctx, ctx->h_ValueError, msg);
}

/* HPyUnicode_FromFormatV with the arguments in *va (which it consumes). */
static HPy
format_v(HPyContext *ctx, const char *format, va_list *va)
{
    Out o;
    HPy result = HPy_NULL;
    const char *f = format;

    if (format == NULL) {
        HPyErr_SetString(ctx, ctx->h_SystemError,
                         "HPyUnicode_FromFormat: the format is NULL");
        return HPy_NULL;
    }
    out_init(&o);
    for (;;) {
        /* copy the literal text up to the next '%' or the end */
        const char *lit = f;
        unsigned char c;
        while ((c = (unsigned char)*f) != '%' && c != '\0' && c < 0x80)
            f++;
        if (f > lit && !out_write(ctx, &o, lit, (size_t)(f - lit)))
            goto done;
        if (c == '%') {
            if (!format_one(ctx, &o, &f, va))
                goto done;
        }
        else if (c == '\0') {
            break;
        }
        else {
            non_ascii_error(ctx, (char)c);
            goto done;
        }
    }
    result = out_to_str(ctx, &o);
done:
    out_free(&o);
    return result;
}

HPyAPI_HELPER HPy
HPyUnicode_FromFormatV(HPyContext *ctx, const char *format, va_list vargs)
{
    va_list va;
    HPy result;
    /* a va_list parameter may be an array turned into a pointer: format_v
       takes the address of a real va_list */
    va_copy(va, vargs);
    result = format_v(ctx, format, &va);
    va_end(va);
    return result;
}

HPyAPI_HELPER HPy
HPyUnicode_FromFormat(HPyContext *ctx, const char *fmt, ...)
{
    va_list va;
    HPy result;
    va_start(va, fmt);
    result = format_v(ctx, fmt, &va);
    va_end(va);
    return result;
}

HPyAPI_HELPER HPy
HPyErr_Format(HPyContext *ctx, HPy h_type, const char *fmt, ...)
{
    va_list va;
    HPy msg;
    va_start(va, fmt);
    msg = format_v(ctx, fmt, &va);
    va_end(va);
    if (!HPy_IsNull(msg)) {
        HPyErr_SetObject(ctx, h_type, msg);
        HPy_Close(ctx, msg);
    }
    return HPy_NULL;
}
