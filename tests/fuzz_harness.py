"""The fuzz targets of the C helpers that parse, build and format values
(issue 11, part 3): HPyArg_Parse / HPyArg_ParseKeywords /
HPyArg_ParseKeywordsDict, HPy_BuildValue and HPyUnicode_FromFormat, each
driven by a format string and arguments decoded from a byte string.

    run_one(mod, target, data)    decodes `data`, makes the call, and checks
                                  the outcome: a result equal to what the
                                  format and the arguments say, or a clean
                                  Python exception; anything else raises
                                  FuzzFailure (a crash is a crash)

Used by fuzz/run_fuzz.py (Atheris, coverage-guided, with the helpers built
by clang with -fsanitize=fuzzer-no-link) and by tests/test_fuzz_corpus.py,
which replays every input kept in tests/fuzz_corpus/TARGET/ in the ABIs
where a handle is the object pointer (cpython, universal, hybrid); the
argument parser, which needs no such pointer, also in debug mode.

The variadic functions are called through ctypes (libffi), so that each
call passes exactly the C types that its format asks for; the module below
gives the helpers' addresses and the context.
"""
import ctypes
import math
import struct
import sys

TARGETS = ('parse', 'buildvalue', 'format')
MAX_UNITS = 40          # output slots the parse functions pass (one per format byte)

SOURCE = r"""
#include <string.h>

#define NSLOTS 40
typedef union { long long ll; double d; float f; void *p; HPy h; unsigned char raw[16]; } Slot;
static Slot slots[NSLOTS];
static char fmt_buf[NSLOTS + 1];
static char kw_store[16][32];
static const char *kw_list[17];
static int use_tracker;

#define SL(i) &slots[i]
#define SLOTS10(b) SL(b), SL(b+1), SL(b+2), SL(b+3), SL(b+4), SL(b+5), SL(b+6), SL(b+7), SL(b+8), SL(b+9)
#define ALL_SLOTS SLOTS10(0), SLOTS10(10), SLOTS10(20), SLOTS10(30)

static int get_bytes(HPyContext *ctx, HPy b, char *dst, size_t cap)
{
    if (!HPyBytes_Check(ctx, b)) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "bytes expected");
        return -1;
    }
    HPy_ssize_t n = HPyBytes_Size(ctx, b);
    const char *s = HPyBytes_AsString(ctx, b);
    if (n < 0 || (size_t)n >= cap || memchr(s, 0, (size_t)n) != NULL) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "too long, or a NUL byte");
        return -1;
    }
    memcpy(dst, s, (size_t)n);
    dst[n] = '\0';
    return 0;
}

/* set_format(fmt, names, use_tracker): the format and keyword list of the
   next parse calls */
HPyDef_METH(set_format, "set_format", HPyFunc_VARARGS)
static HPy set_format_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    if (nargs != 3 || !HPyTuple_Check(ctx, args[1])) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "set_format(fmt, names, use_tracker)");
        return HPy_NULL;
    }
    if (get_bytes(ctx, args[0], fmt_buf, sizeof(fmt_buf)) < 0)
        return HPy_NULL;
    HPy_ssize_t n = HPy_Length(ctx, args[1]);
    if (n < 0 || n > 16) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "at most 16 names");
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy item = HPy_GetItem_i(ctx, args[1], i);
        if (HPy_IsNull(item))
            return HPy_NULL;
        int r = get_bytes(ctx, item, kw_store[i], sizeof(kw_store[i]));
        HPy_Close(ctx, item);
        if (r < 0)
            return HPy_NULL;
        kw_list[i] = kw_store[i];
    }
    kw_list[n] = NULL;
    use_tracker = HPy_IsTrue(ctx, args[2]);
    return HPy_Dup(ctx, ctx->h_None);
}

/* The slots after a successful parse, one item per format unit: the value
   read with the unit's C type; for 's' and 'O' None if the slot was not
   written (it still holds the 0xAB filling). */
static HPy results_list(HPyContext *ctx)
{
    Slot untouched;
    memset(&untouched, 0xAB, sizeof(untouched));
    HPy list = HPyList_New(ctx, 0);
    if (HPy_IsNull(list))
        return HPy_NULL;
    int i = 0;
    for (const char *p = fmt_buf; *p && *p != ':' && *p != ';'; p++) {
        HPy v;
        Slot *s = &slots[i];
        switch (*p) {
        case '|': case '$': continue;
        case 'b': case 'B': v = HPyLong_FromLong(ctx, *(unsigned char *)s); break;
        case 'h': v = HPyLong_FromLong(ctx, *(short *)s); break;
        case 'H': v = HPyLong_FromLong(ctx, *(unsigned short *)s); break;
        case 'i': case 'p': v = HPyLong_FromLong(ctx, *(int *)s); break;
        case 'I': v = HPyLong_FromUnsignedLong(ctx, *(unsigned int *)s); break;
        case 'l': v = HPyLong_FromLong(ctx, *(long *)s); break;
        case 'k': v = HPyLong_FromUnsignedLong(ctx, *(unsigned long *)s); break;
        case 'L': v = HPyLong_FromLongLong(ctx, *(long long *)s); break;
        case 'K': v = HPyLong_FromUnsignedLongLong(ctx, *(unsigned long long *)s); break;
        case 'n': v = HPyLong_FromSsize_t(ctx, *(HPy_ssize_t *)s); break;
        case 'f': v = HPyFloat_FromDouble(ctx, *(float *)s); break;
        case 'd': v = HPyFloat_FromDouble(ctx, *(double *)s); break;
        case 's':
            if (memcmp(&s->p, &untouched.p, sizeof(void *)) == 0)
                v = HPy_Dup(ctx, ctx->h_None);
            else
                v = HPyBytes_FromString(ctx, (const char *)s->p);
            break;
        case 'O':
            if (memcmp(&s->h, &untouched.h, sizeof(HPy)) == 0)
                v = HPy_Dup(ctx, ctx->h_None);
            else
                v = HPy_Dup(ctx, s->h);
            break;
        default:
            v = HPy_Dup(ctx, ctx->h_Ellipsis);   /* not a unit: the parse had to fail */
        }
        i++;
        if (HPy_IsNull(v) || HPyList_Append(ctx, list, v) < 0) {
            HPy_Close(ctx, v);
            HPy_Close(ctx, list);
            return HPy_NULL;
        }
        HPy_Close(ctx, v);
    }
    return list;
}

static void fill_slots(void)
{
    memset(slots, 0xAB, sizeof(slots));
}

/* parse(*args): HPyArg_Parse with the set format */
HPyDef_METH(parse, "parse", HPyFunc_VARARGS)
static HPy parse_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPyTracker ht;
    fill_slots();
    if (!HPyArg_Parse(ctx, use_tracker ? &ht : NULL, args, nargs, fmt_buf, ALL_SLOTS))
        return HPy_NULL;
    HPy r = results_list(ctx);
    if (use_tracker)
        HPyTracker_Close(ctx, ht);
    return r;
}

/* parse_kw(*args, **kwargs): HPyArg_ParseKeywords with the set format and
   names */
HPyDef_METH(parse_kw, "parse_kw", HPyFunc_KEYWORDS)
static HPy parse_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                         HPy kwnames)
{
    HPyTracker ht;
    fill_slots();
    if (!HPyArg_ParseKeywords(ctx, use_tracker ? &ht : NULL, args, nargs, kwnames,
                              fmt_buf, kw_list, ALL_SLOTS))
        return HPy_NULL;
    HPy r = results_list(ctx);
    if (use_tracker)
        HPyTracker_Close(ctx, ht);
    return r;
}

/* parse_dict(args_tuple, kw_dict_or_None): HPyArg_ParseKeywordsDict */
HPyDef_METH(parse_dict, "parse_dict", HPyFunc_VARARGS)
static HPy parse_dict_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
{
    HPyTracker ht;
    HPy items[16];
    if (nargs != 2 || !HPyTuple_Check(ctx, args[0])) {
        HPyErr_SetString(ctx, ctx->h_TypeError, "parse_dict(args, kw)");
        return HPy_NULL;
    }
    HPy_ssize_t n = HPy_Length(ctx, args[0]);
    if (n < 0 || n > 16) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "at most 16 arguments");
        return HPy_NULL;
    }
    for (HPy_ssize_t i = 0; i < n; i++)
        items[i] = HPy_GetItem_i(ctx, args[0], i);
    HPy kw = HPy_Is(ctx, args[1], ctx->h_None) ? HPy_NULL : args[1];
    fill_slots();
    int ok = HPyArg_ParseKeywordsDict(ctx, use_tracker ? &ht : NULL, items, n, kw,
                                      fmt_buf, kw_list, ALL_SLOTS);
    HPy r = ok ? results_list(ctx) : HPy_NULL;
    if (ok && use_tracker)
        HPyTracker_Close(ctx, ht);
    for (HPy_ssize_t i = 0; i < n; i++)
        HPy_Close(ctx, items[i]);
    return r;
}

/* addresses(): (the context, HPy_BuildValue, HPyUnicode_FromFormat), for
   calls through ctypes */
HPyDef_METH(addresses, "addresses", HPyFunc_NOARGS)
static HPy addresses_impl(HPyContext *ctx, HPy self)
{
    return HPy_BuildValue(ctx, "(KKK)", (unsigned long long)(size_t)ctx,
                          (unsigned long long)(size_t)&HPy_BuildValue,
                          (unsigned long long)(size_t)&HPyUnicode_FromFormat);
}

@EXPORT(set_format)
@EXPORT(parse)
@EXPORT(parse_kw)
@EXPORT(parse_dict)
@EXPORT(addresses)
@INIT
"""


class FuzzFailure(AssertionError):
    """A wrong result, or an exception that is not a clean Python one."""


class Reader:
    """Takes values from the front of a byte string; past its end every
    value is the smallest one (so every byte string is a valid input)."""

    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, lo, hi):
        """An int in lo..hi (inclusive)."""
        span = hi - lo
        nbytes = (span.bit_length() + 7) // 8
        v = 0
        for _ in range(nbytes):
            v = (v << 8) | self.byte()
        return lo + (v % (span + 1) if span else 0)

    def bytes(self, maxlen):
        n = self.int(0, maxlen)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def cstring(self, maxlen):
        """Bytes without NUL (cut at the first one), as a C string sees them."""
        return self.bytes(maxlen).split(b'\0')[0]

    def choice(self, seq):
        return seq[self.int(0, len(seq) - 1)]


class Index:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class Floaty:
    def __init__(self, v):
        self.v = v

    def __float__(self):
        return self.v


class Raises:
    """Every conversion raises."""
    def __index__(self):
        raise ArithmeticError('no __index__')

    def __float__(self):
        raise ArithmeticError('no __float__')

    def __bool__(self):
        raise ArithmeticError('no __bool__')

    def __str__(self):
        raise ArithmeticError('no __str__')

    def __repr__(self):
        raise ArithmeticError('no __repr__')


class IntSub(int):
    pass


BIG = [0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 65, 100]


def value(r):
    """An argument of some type and some value."""
    kind = r.int(0, 13)
    if kind == 0:
        return r.int(-300, 300)
    if kind == 1:
        return r.choice([1, -1]) * (2 ** r.choice(BIG)) + r.int(-2, 2)
    if kind == 2:
        return r.choice([0.0, -0.0, 1.5, -2.25, 1e300, -1e300, 3.4e38, 1e-320,
                         float('inf'), float('-inf'), float('nan')])
    if kind == 3:
        return _text(r)
    if kind == 4:
        return r.bytes(8)
    if kind == 5:
        return None
    if kind == 6:
        return bool(r.int(0, 1))
    if kind == 7:
        return [r.int(0, 3)]
    if kind == 8:
        return Index(r.choice([0, -1, 255, 256, 2 ** 31, 2 ** 64, -2 ** 63 - 1]))
    if kind == 9:
        return Floaty(r.choice([0.5, 1e39, float('nan')]))
    if kind == 10:
        return Raises()
    if kind == 11:
        return IntSub(r.int(-5, 70000))
    if kind == 12:
        return object()
    return (r.int(0, 9),)


def _text(r):
    """A str: ASCII, non-ASCII, embedded NULs or lone surrogates."""
    raw = r.bytes(10)
    how = r.int(0, 2)
    if how == 0:
        return raw.decode('latin-1')
    if how == 1:
        return raw.decode('utf-8', 'replace')
    return raw.decode('utf-8', 'surrogateescape')      # lone surrogates for bytes >= 0x80


CLEAN = (TypeError, ValueError, OverflowError, SystemError, ArithmeticError,
         UnicodeError, MemoryError)


# ---------------------------------------------------------------------------
# HPyArg_Parse*
# ---------------------------------------------------------------------------

SIGNED = {'h': 16, 'i': 32, 'l': 64, 'L': 64, 'n': 64}
MASKED = {'B': 8, 'H': 16, 'I': 32, 'k': 64, 'K': 64}
FILL = 0xABABABABABABABAB


def _fill_value(unit):
    """What results() gives for a slot nobody wrote."""
    bits = {'b': 8, 'B': 8, 'h': 16, 'H': 16, 'i': 32, 'p': 32, 'I': 32, 'l': 64,
            'k': 64, 'L': 64, 'K': 64, 'n': 64}.get(unit)
    if bits is not None:
        v = FILL & ((1 << bits) - 1)
        if unit in 'hilLnp' and v >= 1 << (bits - 1):
            v -= 1 << bits
        return v
    if unit == 'f':
        return struct.unpack('f', b'\xab' * 4)[0]
    if unit == 'd':
        return struct.unpack('d', b'\xab' * 8)[0]
    return None


def _as_int(v):
    return v.__index__() if not isinstance(v, int) else int(v)


def _expected(unit, v):
    """The value the parser must store for `v` under `unit` if it accepts it
    (the exception it may raise instead is not checked here)."""
    if unit in SIGNED or unit in MASKED or unit == 'b':
        i = _as_int(v)
        if unit in MASKED:
            return i & ((1 << MASKED[unit]) - 1)
        return i
    if unit == 'f':
        return struct.unpack('f', struct.pack('f', float(v)))[0]
    if unit == 'd':
        return float(v)
    if unit == 'p':
        return 1 if v else 0
    if unit == 's':
        return v.encode('utf-8')
    return v


def _same(a, b):
    """Equal values of the same type (NaN equal to NaN, containers item by
    item; never calls a user __eq__ or __repr__)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return (len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, (int, str, bytes, type(None))):
        return a == b
    return a is b


def decode_parse(r):
    mode = r.int(0, 3)        # Parse, ParseKeywords, ParseKeywordsDict, Parse + tracker
    fmt = r.cstring(MAX_UNITS)
    names = [r.cstring(5) for _ in range(r.int(0, 8))]
    args = [value(r) for _ in range(r.int(0, 8))]
    kwargs = {}
    for _ in range(r.int(0, 4)):
        if names and r.int(0, 3):
            key = r.choice(names).decode('utf-8', 'replace')
        else:
            key = _text(r)
        kwargs[key] = value(r)
    if mode == 0 or mode == 3:
        kwargs = {}
    return mode, fmt, names, args, kwargs


def run_parse(mod, data):
    mode, fmt, names, args, kwargs = decode_parse(Reader(data))
    mod.set_format(fmt, tuple(names), mode != 0)
    try:
        if mode in (0, 3):
            got = mod.parse(*args)
        elif mode == 1:
            got = mod.parse_kw(*args, **kwargs)
        else:
            got = mod.parse_dict(tuple(args), kwargs or None)
    except CLEAN:
        return 'error'
    check_parse(fmt, names, args, kwargs, mode, got)
    return 'ok'


def check_parse(fmt, names, args, kwargs, mode, got):
    units_part = fmt
    for stop in (b':', b';'):
        units_part = units_part.split(stop)[0]
    units = [chr(c) for c in units_part if c not in b'|$']
    if not isinstance(got, list) or len(got) != len(units):
        raise FuzzFailure('parse of %r gave %r for units %r' % (fmt, got, units))
    if any(u not in 'bBhHiIlkLKnfdpsO' for u in units):
        raise FuzzFailure('format %r with unknown units was accepted' % fmt)
    real_names = [n for n in names if n]
    if len(set(real_names)) != len(real_names):
        # a keyword list that repeats a name is the caller's mistake: which
        # unit a keyword lands in, and whether it counts twice (as in
        # CPython's PyArg_ParseTupleAndKeywords), is not defined
        return
    given = {}
    for i, a in enumerate(args):
        if i >= len(units):
            raise FuzzFailure('%d arguments accepted by %r' % (len(args), fmt))
        given[i] = a
    if kwargs:
        for key, v in kwargs.items():
            k = key.encode('utf-8', 'surrogatepass')
            if k not in names or k == b'':
                raise FuzzFailure('unknown keyword %r accepted' % key)
            i = names.index(k)
            if i in given:
                raise FuzzFailure('argument %r given twice was accepted' % key)
            given[i] = v
    for i, unit in enumerate(units):
        out = got[i]
        if i not in given:
            want = _fill_value(unit)
            if not _same(out, want):
                raise FuzzFailure('unit %d (%s) of %r was written without an argument: %r'
                                  % (i, unit, fmt, out))
            continue
        v = given[i]
        if unit == 'O':
            if out is not v:
                raise FuzzFailure('O stored %r for %r' % (out, v))
            continue
        try:
            want = _expected(unit, v)
        except Exception:
            raise FuzzFailure('unit %s accepted %r' % (unit, v))
        if unit == 's' and (not isinstance(v, str) or '\0' in v):
            raise FuzzFailure('s accepted %r' % (v,))
        if unit in 'bhilLn':
            bits = SIGNED.get(unit, 8)
            lo, hi = (0, 255) if unit == 'b' else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            if not lo <= want <= hi:
                raise FuzzFailure('%s accepted out-of-range %r' % (unit, v))
        if not _same(out, want):
            raise FuzzFailure('unit %d (%s) of %r: stored %r for %r, expected %r'
                              % (i, unit, fmt, out, v, want))


# ---------------------------------------------------------------------------
# HPy_BuildValue and HPyUnicode_FromFormat, through ctypes
# ---------------------------------------------------------------------------

OBJECTS = [0, -5, 2 ** 70, 1.5, 'text', '\udc80', b'by', None, [1, 2], (3,), {'k': 1},
           Raises()]


class Caller:
    """Calls the variadic helpers of a loaded harness module by address."""

    def __init__(self, mod):
        ctx, bv, ff = mod.addresses()
        self.ctx = ctypes.c_void_p(ctx)
        proto = ctypes.PYFUNCTYPE(ctypes.c_void_p)   # the GIL is kept, errors are raised
        self.buildvalue = proto(bv)
        self.fromformat = proto(ff)
        self.to_object = ctypes.pythonapi.Py_DecRef
        self.to_object.argtypes = [ctypes.c_void_p]
        self.to_object.restype = None
        ref = getattr(ctypes.pythonapi, '_Py_BuildValue_SizeT', None)
        self.ref_buildvalue = ref or ctypes.pythonapi.Py_BuildValue
        self.ref_buildvalue.restype = ctypes.c_void_p
        self.ref_fromformat = ctypes.pythonapi.PyUnicode_FromFormat
        self.ref_fromformat.restype = ctypes.c_void_p

    def take(self, address):
        """The object of a new reference returned as an address."""
        if not address:
            raise FuzzFailure('NULL returned without an exception')
        obj = ctypes.cast(ctypes.c_void_p(address), ctypes.py_object).value
        self.to_object(address)
        return obj

    def call(self, func, fmt, cargs):
        address = func(self.ctx, ctypes.c_char_p(fmt), *cargs)
        return self.take(address)

    def call_ref(self, func, fmt, cargs):
        address = func(ctypes.c_char_p(fmt), *cargs)
        return self.take(address)


PAD = [ctypes.c_void_p(None)] * 8


def _obj_arg(r, keep):
    if r.int(0, 7) == 0:
        return ctypes.c_void_p(None), True
    obj = r.choice(OBJECTS)
    keep.append(obj)
    return ctypes.c_void_p(id(obj)), False


def _str_arg(r, keep, with_len):
    raw = r.bytes(12)
    if not with_len and r.int(0, 7) == 0:
        return [ctypes.c_char_p(None)]
    buf = ctypes.create_string_buffer(raw, len(raw) + 1)
    keep.append(buf)
    if not with_len:
        return [ctypes.cast(buf, ctypes.c_void_p)]
    return [ctypes.cast(buf, ctypes.c_void_p), ctypes.c_ssize_t(r.int(-1, len(raw)))]


INT_UNITS = {'b': ctypes.c_int, 'B': ctypes.c_int, 'h': ctypes.c_int, 'i': ctypes.c_int,
             'H': ctypes.c_uint, 'I': ctypes.c_uint, 'c': ctypes.c_int, 'C': ctypes.c_int,
             'l': ctypes.c_long, 'k': ctypes.c_ulong, 'L': ctypes.c_longlong,
             'K': ctypes.c_ulonglong, 'n': ctypes.c_ssize_t}
LIMITS = [0, 1, -1, 127, 128, 255, 256, 0x10FFFF, 0x110000, 2 ** 31 - 1, -2 ** 31,
          2 ** 32 - 1, 2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1]


def _int_arg(r, ctype):
    v = r.choice(LIMITS) if r.int(0, 1) else r.int(-1000, 1000)
    return ctype(v)


def decode_buildvalue(r):
    """The format and the C arguments it asks for, per the documented units;
    NULL pointers and zeros pad the end (so that a unit we do not know is
    not given garbage)."""
    fmt = r.cstring(48)
    keep, cargs, has_null = [], [], False
    i = 0
    while i < len(fmt):
        c = chr(fmt[i])
        with_len = i + 1 < len(fmt) and fmt[i + 1] == ord('#')
        if c in INT_UNITS:
            cargs.append(_int_arg(r, INT_UNITS[c]))
        elif c in 'fd':
            cargs.append(ctypes.c_double(r.choice([0.0, -1.5, 1e300, float('nan'),
                                                   float('inf'), 3.25])))
        elif c in 'szUy':
            cargs += _str_arg(r, keep, with_len)
            if with_len:
                i += 1
        elif c in 'OSN':
            a, null = _obj_arg(r, keep)
            has_null |= null
            cargs.append(a)
        i += 1
    return fmt, cargs + PAD, keep, has_null


def run_buildvalue(caller, data):
    fmt, cargs, keep, has_null = decode_buildvalue(Reader(data))
    try:
        got = caller.call(caller.buildvalue, fmt, cargs)
    except FuzzFailure:
        raise
    except CLEAN:
        return 'error'
    # the same call to CPython's Py_BuildValue, whose units HPy's share
    if b'N' in fmt:
        raise FuzzFailure('format %r with N was accepted' % fmt)
    try:
        want = caller.call_ref(caller.ref_buildvalue, fmt, cargs)
    except (FuzzFailure, Exception):
        return 'ok'         # CPython refuses what we accept: HPy 0.9 is laxer in places
    if not _same(got, want):
        raise FuzzFailure('HPy_BuildValue(%r) gave %s, Py_BuildValue %s'
                          % (fmt, _safe_repr(got), _safe_repr(want)))
    del keep
    return 'ok'


def _safe_repr(obj):
    try:
        return repr(obj)
    except Exception:
        return '<%s>' % type(obj).__name__


def decode_format(r):
    """A format for HPyUnicode_FromFormat and its C arguments, per the
    documented grammar %[0][width][.precision][length]unit."""
    fmt = r.cstring(48)
    keep, cargs = [], []
    i, n = 0, len(fmt)
    simple = True
    while i < n:
        if fmt[i] != ord('%'):
            i += 1
            continue
        i += 1
        start = i
        while i < n and chr(fmt[i]) in '0123456789.-+ #':
            i += 1
        length = ''
        while i < n and chr(fmt[i]) in 'lzh':
            length += chr(fmt[i])
            i += 1
        if i >= n:
            break
        unit = chr(fmt[i])
        i += 1
        if i - start > 1:
            simple = False
        if unit in 'di':
            ctype = {'': ctypes.c_int, 'l': ctypes.c_long, 'll': ctypes.c_longlong,
                     'z': ctypes.c_ssize_t}.get(length)
        elif unit in 'ux':
            ctype = {'': ctypes.c_uint, 'l': ctypes.c_ulong, 'll': ctypes.c_ulonglong,
                     'z': ctypes.c_size_t}.get(length)
        elif unit == 'c':
            ctype = ctypes.c_int
        else:
            ctype = None
        if length and unit not in 'diux':
            break
        if ctype is not None:
            cargs.append(_int_arg(r, ctype))
        elif unit == 'p':
            simple = False
            cargs.append(ctypes.c_void_p(r.int(0, 2 ** 64 - 1)))
        elif unit == 's':
            cargs += _str_arg(r, keep, False)
        elif unit in 'USRA':
            cargs.append(_obj_arg(r, keep)[0])
        elif unit == 'V':
            cargs.append(_obj_arg(r, keep)[0])
            cargs += _str_arg(r, keep, False)
        elif unit == '%':
            pass
        else:
            break
    return fmt, cargs + PAD, keep, simple


def run_format(caller, data):
    fmt, cargs, keep, simple = decode_format(Reader(data))
    try:
        got = caller.call(caller.fromformat, fmt, cargs)
    except FuzzFailure:
        raise
    except CLEAN:
        return 'error'
    if type(got) is not str:
        raise FuzzFailure('HPyUnicode_FromFormat(%r) gave %r' % (fmt, got))
    if simple and sys.version_info >= (3, 12):
        try:
            want = caller.call_ref(caller.ref_fromformat, fmt, cargs)
        except (FuzzFailure, Exception):
            return 'ok'
        if got != want:
            raise FuzzFailure('HPyUnicode_FromFormat(%r) gave %r, PyUnicode_FromFormat %r'
                              % (fmt, got, want))
    del keep
    return 'ok'


def run_one(mod, caller, target, data):
    """One input of `target`: 'ok' or 'error' (a clean exception); raises
    FuzzFailure on a wrong result."""
    if target == 'parse':
        return run_parse(mod, data)
    if target == 'buildvalue':
        return run_buildvalue(caller, data)
    return run_format(caller, data)
