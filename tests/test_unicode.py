"""Unicode functions beyond the basics of test_objects.py: the encoders and
decoders, the file-system encoding, wide chars, ReadChar and Substring.

Errors are CPython's: UnicodeEncodeError / UnicodeDecodeError, IndexError
for ReadChar out of range, TypeError for non-str arguments."""
import sys

import pytest

SRC = r"""
    #include <string.h>
    #include <wchar.h>

    HPyDef_METH(as_ascii, "as_ascii", HPyFunc_O)
    static HPy as_ascii_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyUnicode_AsASCIIString(ctx, arg);
    }

    HPyDef_METH(as_latin1, "as_latin1", HPyFunc_O)
    static HPy as_latin1_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyUnicode_AsLatin1String(ctx, arg);
    }

    /* decode(which, bytes, errors or None): DecodeASCII (0), DecodeLatin1 (1),
       DecodeFSDefaultAndSize (2) of the bytes' contents, DecodeFSDefault (3)
       of them as a C string */
    HPyDef_METH(decode, "decode", HPyFunc_VARARGS)
    static HPy decode_impl(HPyContext *ctx, HPy self,
                           const HPy *args, size_t nargs)
    {
        long which = HPyLong_AsLong(ctx, args[0]);
        const char *s = HPyBytes_AsString(ctx, args[1]);
        HPy_ssize_t n;
        const char *errors = NULL;
        if (s == NULL)
            return HPy_NULL;
        n = HPyBytes_Size(ctx, args[1]);
        if (!HPy_Is(ctx, args[2], ctx->h_None)) {
            errors = HPyUnicode_AsUTF8AndSize(ctx, args[2], NULL);
            if (errors == NULL)
                return HPy_NULL;
        }
        switch (which) {
        case 0: return HPyUnicode_DecodeASCII(ctx, s, n, errors);
        case 1: return HPyUnicode_DecodeLatin1(ctx, s, n, errors);
        case 2: return HPyUnicode_DecodeFSDefaultAndSize(ctx, s, n);
        case 3: return HPyUnicode_DecodeFSDefault(ctx, s);
        }
        HPyErr_SetString(ctx, ctx->h_ValueError, "bad which");
        return HPy_NULL;
    }

    HPyDef_METH(encode_fs, "encode_fs", HPyFunc_O)
    static HPy encode_fs_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyUnicode_EncodeFSDefault(ctx, arg);
    }

    /* from_encoded(obj, encoding or None, errors or None) */
    HPyDef_METH(from_encoded, "from_encoded", HPyFunc_VARARGS)
    static HPy from_encoded_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        const char *enc = NULL, *errors = NULL;
        if (!HPy_Is(ctx, args[1], ctx->h_None))
            enc = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
        if (!HPy_Is(ctx, args[2], ctx->h_None))
            errors = HPyUnicode_AsUTF8AndSize(ctx, args[2], NULL);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyUnicode_FromEncodedObject(ctx, args[0], enc, errors);
    }

    /* from_wide(n): a fixed wide string, its first n chars (-1: up to NUL) */
    HPyDef_METH(from_wide, "from_wide", HPyFunc_O)
    static HPy from_wide_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        static const wchar_t w[] = L"h\u00e9\u20ac\U0001F600!";
        HPy_ssize_t n = HPyLong_AsSsize_t(ctx, arg);
        if (n == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyUnicode_FromWideChar(ctx, w, n);
    }

    HPyDef_METH(read_char, "read_char", HPyFunc_VARARGS)
    static HPy read_char_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
    {
        HPy_ssize_t i = HPyLong_AsSsize_t(ctx, args[1]);
        HPy_UCS4 c;
        if (i == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        c = HPyUnicode_ReadChar(ctx, args[0], i);
        if (c == (HPy_UCS4)-1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyLong_FromUnsignedLong(ctx, c);
    }

    HPyDef_METH(substring, "substring", HPyFunc_VARARGS)
    static HPy substring_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
    {
        HPy_ssize_t start = HPyLong_AsSsize_t(ctx, args[1]);
        HPy_ssize_t end = HPyLong_AsSsize_t(ctx, args[2]);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyUnicode_Substring(ctx, args[0], start, end);
    }

    @EXPORT(as_ascii)
    @EXPORT(as_latin1)
    @EXPORT(decode)
    @EXPORT(encode_fs)
    @EXPORT(from_encoded)
    @EXPORT(from_wide)
    @EXPORT(read_char)
    @EXPORT(substring)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='unicode_fns')


def test_as_ascii(m):
    assert m.as_ascii('hello') == b'hello'
    assert m.as_ascii('') == b''
    with pytest.raises(UnicodeEncodeError) as e:
        m.as_ascii('h\xe9llo')
    assert e.value.encoding == 'ascii' and e.value.start == 1
    with pytest.raises(TypeError):
        m.as_ascii(b'bytes')


def test_as_latin1(m):
    assert m.as_latin1('h\xe9llo\xff') == b'h\xe9llo\xff'
    with pytest.raises(UnicodeEncodeError) as e:
        m.as_latin1('\u20ac')
    assert e.value.encoding == 'latin-1'
    with pytest.raises(TypeError):
        m.as_latin1(1)


def test_decode_ascii(m):
    assert m.decode(0, b'abc\0d', None) == 'abc\0d'
    with pytest.raises(UnicodeDecodeError) as e:
        m.decode(0, b'ab\xe9', None)
    assert e.value.encoding == 'ascii' and e.value.start == 2
    assert m.decode(0, b'ab\xe9', 'replace') == 'ab\ufffd'
    assert m.decode(0, b'ab\xe9', 'ignore') == 'ab'
    with pytest.raises(LookupError):
        m.decode(0, b'ab\xe9', 'no-such-handler')


def test_decode_latin1(m):
    data = bytes(range(256))
    assert m.decode(1, data, None) == data.decode('latin-1')
    assert m.decode(1, b'', 'strict') == ''


def test_fs_encoding(m):
    enc, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    for s in ['plain', 'h\xe9llo', '\u20ac/x']:
        b = s.encode(enc, errors)
        assert m.encode_fs(s) == b
        assert m.decode(2, b, None) == s
        assert m.decode(3, b, None) == s
    # the NUL ends the C string of DecodeFSDefault, not the sized one
    assert m.decode(2, b'a\0b', None) == 'a\0b'
    assert m.decode(3, b'a\0b', None) == 'a'
    # undecodable bytes come back as surrogates (surrogateescape)
    if errors == 'surrogateescape':
        assert m.decode(2, b'\xff', None) == '\udcff'
        assert m.encode_fs('\udcff') == b'\xff'
    with pytest.raises(TypeError):
        m.encode_fs(b'bytes')


def test_from_encoded_object(m):
    assert m.from_encoded(b'h\xc3\xa9', None, None) == 'h\xe9'
    assert m.from_encoded(b'h\xe9', 'latin-1', None) == 'h\xe9'
    assert m.from_encoded(bytearray(b'abc'), 'ascii', None) == 'abc'
    assert m.from_encoded(b'\xff', 'utf-8', 'replace') == '\ufffd'
    with pytest.raises(UnicodeDecodeError):
        m.from_encoded(b'\xff', 'utf-8', None)
    with pytest.raises(LookupError):
        m.from_encoded(b'x', 'no-such-codec', None)
    # str itself is refused: it is already decoded
    with pytest.raises(TypeError):
        m.from_encoded('str', None, None)
    with pytest.raises(TypeError):
        m.from_encoded(42, None, None)


def test_from_wide_char(m):
    full = 'h\xe9\u20ac\U0001F600!'
    assert m.from_wide(-1) == full
    assert m.from_wide(len(full)) == full
    assert m.from_wide(3) == full[:3]
    assert m.from_wide(0) == ''


def test_read_char(m):
    s = 'a\xe9\u20ac\U0001F600'
    assert [m.read_char(s, i) for i in range(4)] == [ord(c) for c in s]
    with pytest.raises(IndexError):
        m.read_char(s, 4)
    with pytest.raises(IndexError):
        m.read_char(s, -1)
    with pytest.raises(TypeError):
        m.read_char(b'abc', 0)


def test_substring(m):
    s = 'h\xe9llo w\u20acrld'
    assert m.substring(s, 0, 5) == s[0:5]
    assert m.substring(s, 3, 100) == s[3:]
    assert m.substring(s, 4, 2) == ''
    assert m.substring(s, 0, len(s)) == s
    with pytest.raises(IndexError):
        m.substring(s, -1, 2)
    # not a str: an exception in every ABI (PyUnicode_Substring itself would
    # read the bytes object as a str)
    for bad in [b'hello', 42, None]:
        with pytest.raises(TypeError, match='must be a Unicode object'):
            m.substring(bad, 0, 2)
