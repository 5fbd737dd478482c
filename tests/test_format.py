"""HPyUnicode_FromFormat, HPyUnicode_FromFormatV and HPyErr_Format
(python/hpy/devel/src/runtime/format.c): every conversion, length modifier,
width and precision, and the errors of bad formats."""
import pytest


class Text:
    """An object with its own str() and repr()."""
    def __str__(self):
        return 'str-\u20ac'

    def __repr__(self):
        return 'repr-\xe9'


class BadRepr:
    def __repr__(self):
        raise KeyError('from __repr__')


# (C format, C arguments after the format, expected str). In the C
# arguments, a0 and a1 are handles to the objects the test passes.
CASES = [
    ('plain text', '', 'plain text'),
    ('', '', ''),
    ('100%%', '', '100%'),
    ('%%d', '', '%d'),
    # %c
    ('[%c]', "'A'", '[A]'),
    ('%c', '0xE9', '\xe9'),
    ('%c', '0x20AC', '\u20ac'),
    ('%c', '0x10FFFF', '\U0010ffff'),
    ('a%cb', '0', 'a\0b'),
    # signed integers
    ('%d', 'INT_MIN', str(-2**31)),
    ('%i', '-5', '-5'),
    ('%ld', 'LONG_MIN', None),          # filled in by the test: platform
    ('%li', '(long)123456789', '123456789'),
    ('%lld', 'LLONG_MIN', str(-2**63)),
    ('%lli', '(long long)42', '42'),
    ('%zd', '(HPy_ssize_t)-7', '-7'),
    ('%zi', 'HPY_SSIZE_T_MAX', None),
    # unsigned and hexadecimal
    ('%u', 'UINT_MAX', str(2**32 - 1)),
    ('%lu', 'ULONG_MAX', None),
    ('%llu', 'ULLONG_MAX', str(2**64 - 1)),
    ('%zu', '(size_t)12345', '12345'),
    ('%x', '255', 'ff'),
    ('%x', '-1', 'ffffffff'),
    ('%lx', '(unsigned long)0xabcdef', 'abcdef'),
    ('%llx', '0xfedcba9876543210ULL', 'fedcba9876543210'),
    ('%zx', '(size_t)4096', '1000'),
    # width, precision and the 0 flag on numbers
    ('[%5d]', '42', '[   42]'),
    ('[%05d]', '-42', '[-0042]'),
    ('[%.4d]', '-7', '[-0007]'),
    ('[%8.4d]', '7', '[    0007]'),
    # unlike C, the 0 flag pads to the width even with a precision (HPy 0.9)
    ('[%08.4d]', '7', '[00000007]'),
    ('[%08.4d]', '-7', '[-0000007]'),
    ('[%7.5d]', '123', '[  00123]'),
    ('[%2d]', '12345', '[12345]'),      # never truncated
    ('[%03u]', '5u', '[005]'),
    ('[%6x]', '255', '[    ff]'),
    ('[%.0d]', '3', '[3]'),
    ('[%010lld]', '(long long)-123', '[-000000123]'),
    # %p
    ('%p', '(void *)0x1234', '0x1234'),
    ('%p', 'NULL', '0x0'),
    # %s: UTF-8; precision counts bytes, never splitting a character
    ('%s', '"h\\xc3\\xa9llo"', 'h\xe9llo'),
    ('%s!', '""', '!'),
    ('[%.3s]', '"abcdef"', '[abc]'),
    ('[%6s]', '"ab"', '[    ab]'),
    ('[%6.2s]', '"abc"', '[    ab]'),
    ('[%.2s]', '"\\xc3\\xa9" "a"', '[\xe9]'),
    ('[%.1s]', '"\\xc3\\xa9" "a"', '[]'),
    ('[%4s]', '"\\xc3\\xa9"', '[   \xe9]'),   # width counts characters
    # %U and %V
    ('<%U>', 'a0', '<h\u20acllo>'),
    ('<%.2U>', 'a0', '<h\u20ac>'),
    ('<%7U>', 'a0', '<  h\u20acllo>'),
    ('<%V>', 'a0, "fallback"', '<h\u20acllo>'),
    ('<%V>', 'HPy_NULL, "fallback"', '<fallback>'),
    ('<%.4V>', 'HPy_NULL, "fallback"', '<fall>'),
    # %S %R %A
    ('%S', 'a1', 'str-\u20ac'),
    ('%R', 'a1', 'repr-\xe9'),
    ('%A', 'a0', "'h\\u20acllo'"),
    ('[%.6R]', 'a1', '[repr-\xe9]'),
    ('[%.5R]', 'a1', '[repr-]'),
    ('[%10S]', 'a1', '[     str-\u20ac]'),
    ('%S %R', 'a0, a0', "h\u20acllo 'h\u20acllo'"),
    # zeros, the extremes, digits beyond a width
    ('%d|%i|%u|%x|%lu|%llx', '0, -0, 0u, 0u, 0UL, 0ULL', '0|0|0|0|0|0'),
    ('%lld|%llu', 'LLONG_MAX, 10000000000000000000ULL',
     str(2**63 - 1) + '|10000000000000000000'),
    ('[%3lld]', 'LLONG_MIN', '[%d]' % -2**63),
    ('[%.3x|%2x]', '10, 0', '[00a| 0]'),
    ('[%p]', '(void *)~(uintptr_t)0', None),
    # several conversions; UTF-8 comes in through the arguments only
    ('%s=%R (%d%%) %s', '"x", a1, 50, "\\xc3\\xa9"', 'x=repr-\xe9 (50%) \xe9'),
]

BAD = [
    # (C format, C arguments, exception, part of the message)
    # HPy 0.9's messages, whole (SystemError unless said otherwise)
    ('%q', '', SystemError, 'invalid format string'),
    ('%', '', SystemError, 'invalid format string'),
    ('abc%5', '', SystemError, 'invalid format string'),
    ('%-5d', '1', SystemError, 'invalid format string'),
    ('%5%', '', SystemError, 'invalid format string'),
    ('%0%', '', SystemError, 'invalid format string'),
    ('%.1%', '', SystemError, 'invalid format string'),
    ('%ls', '"x"', SystemError, 'invalid format string'),
    ('%zc', '1', SystemError, 'invalid format string'),
    ('%07.3q', '1', SystemError, 'invalid format string'),
    ('%05s', '"x"', SystemError,
     "formatting unit '%s' does not support 0-padding"),
    ('%0S', 'a0', SystemError,
     "formatting unit '%S' does not support 0-padding"),
    ('%05.1c', "'x'", SystemError,
     "formatting unit '%c' does not support 0-padding"),
    ('%5c', "'x'", SystemError,
     "formatting unit '%c' does not support width nor precision"),
    ('%.2p', 'NULL', SystemError,
     "formatting unit '%p' does not support width nor precision"),
    ('caf\\xc3\\xa9 %d', '1', ValueError, 'expected an ASCII-encoded format '
     'string, got a non-ASCII byte: 0xc3'),
    ('%c', '0x110000', OverflowError, 'range(0x110000)'),
    ('%c', '-1', OverflowError, 'range(0x110000)'),
    ('%s', '(const char *)NULL', SystemError,
     "null c string passed as value for formatting unit '%s'"),
    ('%U', 'HPy_NULL', SystemError,
     "HPy_NULL passed as value for formatting unit '%U'"),
    ('%U', 'a1', TypeError, 'not a str'),
    ('%V', 'a1, "x"', TypeError, 'not a str'),
    ('%V', 'HPy_NULL, (const char *)NULL', SystemError,
     "HPy_NULL and a null c string passed as values for formatting unit '%V'"),
    ('%S', 'HPy_NULL', SystemError,
     "HPy_NULL passed as value for formatting unit '%S'"),
    ('%R', 'HPy_NULL', SystemError,
     "HPy_NULL passed as value for formatting unit '%R'"),
    ('%A', 'HPy_NULL', SystemError,
     "HPy_NULL passed as value for formatting unit '%A'"),
    ('%999999999d', '1', ValueError, 'width too big'),
    ('%.999999999d', '1', ValueError, 'precision too big'),
    ('%99999999999999999999999d', '1', ValueError, 'width too big'),
    ('%s', '"\\xff"', UnicodeDecodeError, ''),
    ('%l%', '', SystemError, 'invalid format string'),
    ('%zp', 'NULL', SystemError, 'invalid format string'),
    ('%d caf\\xc3\\xa9', '1', ValueError, 'expected an ASCII-encoded format '
     'string, got a non-ASCII byte: 0xc3'),
]


def c_string(fmt):
    return '"%s"' % fmt.replace('"', '\\"')


def switch_source(func, cases, call):
    """A VARARGS function func(i, a0, a1) that runs case i."""
    lines = []
    for i, (fmt, args) in enumerate(cases):
        lines.append('        case %d: return %s;' % (
            i, call % (c_string(fmt) + (', ' + args if args else ''))))
    return """
        #include <limits.h>
        #include <stdint.h>
        HPyDef_METH(%(func)s, "%(func)s", HPyFunc_VARARGS)
        static HPy %(func)s_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
        {
            HPy a0 = args[1], a1 = args[2];
            (void)a0; (void)a1;
            switch (HPyLong_AsLong(ctx, args[0])) {
    %(cases)s
            }
            HPyErr_SetString(ctx, ctx->h_IndexError, "no such case");
            return HPy_NULL;
        }
    """ % {'func': func, 'cases': '\n'.join(lines)}


def expected_cases():
    import ctypes
    long_bits = ctypes.sizeof(ctypes.c_long) * 8
    ssize_bits = ctypes.sizeof(ctypes.c_ssize_t) * 8
    fill = {
        '%ld': str(-2**(long_bits - 1)),
        '%zi': str(2**(ssize_bits - 1) - 1),
        '%lu': str(2**long_bits - 1),
        '[%p]': '[0x' + 'f' * (ctypes.sizeof(ctypes.c_void_p) * 2) + ']',
    }
    return [(fmt, args, fill[fmt] if expected is None else expected)
            for fmt, args, expected in CASES]


@pytest.fixture
def fmt_module(make_module):
    return make_module(
        switch_source('fmt', [(f, a) for f, a, _ in CASES],
                      'HPyUnicode_FromFormat(ctx, %s)')
        + switch_source('bad', [(f, a) for f, a, _, _ in BAD],
                        'HPyUnicode_FromFormat(ctx, %s)')
        + switch_source('err', [(f, a) for f, a, _ in CASES],
                        'HPyErr_Format(ctx, ctx->h_ValueError, %s)')
        + """
        /* HPyUnicode_FromFormatV through a variadic function of ours */
        static HPy my_format(HPyContext *ctx, const char *fmt, ...)
        {
            va_list va;
            HPy result;
            va_start(va, fmt);
            result = HPyUnicode_FromFormatV(ctx, fmt, va);
            va_end(va);
            return result;
        }

        HPyDef_METH(via_v, "via_v", HPyFunc_VARARGS)
        static HPy via_v_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
        {
            return my_format(ctx, "%s|%d|%R|%zu|%U", "v", -3, args[0],
                             (size_t)nargs, args[1]);
        }

        /* HPyErr_Format with the error of a failing conversion */
        HPyDef_METH(err_bad, "err_bad", HPyFunc_NOARGS)
        static HPy err_bad_impl(HPyContext *ctx, HPy self)
        {
            return HPyErr_Format(ctx, ctx->h_KeyError, "%q");
        }

        @EXPORT(fmt)
        @EXPORT(bad)
        @EXPORT(err)
        @EXPORT(via_v)
        @EXPORT(err_bad)
        @INIT
    """)


ARGS = ('h\u20acllo', Text())


def test_conversions(fmt_module):
    for i, (fmt, args, expected) in enumerate(expected_cases()):
        got = fmt_module.fmt(i, *ARGS)
        assert type(got) is str
        assert got == expected, (fmt, args)


def test_bad_formats(fmt_module):
    for i, (fmt, args, exc, text) in enumerate(BAD):
        with pytest.raises(exc) as info:
            fmt_module.bad(i, *ARGS)
        if exc in (SystemError, ValueError):
            assert str(info.value) == text, (fmt, args)
        else:
            assert text in str(info.value), (fmt, args)


def test_error_of_repr_propagates(fmt_module):
    index = [f for f, _, _ in CASES].index('%R')
    with pytest.raises(KeyError, match='from __repr__'):
        fmt_module.fmt(index, 'x', BadRepr())


def test_err_format(fmt_module):
    for i, (fmt, args, expected) in enumerate(expected_cases()):
        with pytest.raises(ValueError) as info:
            fmt_module.err(i, *ARGS)
        assert type(info.value) is ValueError
        assert info.value.args == (expected,), (fmt, args)


def test_err_format_bad_format(fmt_module):
    # the formatting error wins over the exception that was asked for
    with pytest.raises(SystemError, match='invalid format string'):
        fmt_module.err_bad()


def test_from_format_v(fmt_module):
    assert fmt_module.via_v([1], 'u') == "v|-3|[1]|2|u"


def test_long_result(make_module):
    # beyond the first buffer: many conversions, a wide width
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPyUnicode_FromFormat(ctx, "%S%S%S%S|%5000d|%S",
                                         arg, arg, arg, arg, 7, arg);
        }
        /* literal text and C strings beyond the first buffer */
        HPyDef_METH(g, "g", HPyFunc_O)
        static HPy g_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            static char text[301];
            int i;
            for (i = 0; i < 300; i++)
                text[i] = (char)('a' + i % 26);
            return HPyUnicode_FromFormat(ctx,
                "%s|%.299s|%ld|" "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789|%s",
                text, text, HPyLong_AsLong(ctx, arg), text);
        }
        @EXPORT(f)
        @EXPORT(g)
        @INIT
    """)
    s = 'x' * 300 + '\u20ac'
    assert mod.f(s) == s * 4 + '|' + ' ' * 4999 + '7|' + s
    text = ''.join(chr(ord('a') + i % 26) for i in range(300))
    assert mod.g(-12) == (text + '|' + text[:299] + '|-12|' + '0123456789' * 28
                          + '|' + text)
