"""Basics of long, float, bool, unicode and bytes objects."""
import sys

import pytest

SRC = r"""
    #include <limits.h>
    #include <stdint.h>
    #include <string.h>

    /* ---- long ---- */
    HPyDef_METH(long_from, "long_from", HPyFunc_O)
    static HPy long_from_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        /* a list of HPyLong_From* results for a few fixed C values */
        HPy l = HPyList_New(ctx, 0);
        HPy items[] = {
            HPyLong_FromLong(ctx, -42),
            HPyLong_FromLongLong(ctx, INT64_MIN),
            HPyLong_FromUnsignedLong(ctx, ULONG_MAX),
            HPyLong_FromUnsignedLongLong(ctx, UINT64_MAX),
            HPyLong_FromInt32_t(ctx, INT32_MIN),
            HPyLong_FromUInt32_t(ctx, UINT32_MAX),
            HPyLong_FromInt64_t(ctx, INT64_MAX),
            HPyLong_FromUInt64_t(ctx, UINT64_MAX),
            HPyLong_FromSize_t(ctx, (size_t)-1),
            HPyLong_FromSsize_t(ctx, -7),
        };
        size_t i;
        for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
            HPyList_Append(ctx, l, items[i]);
            HPy_Close(ctx, items[i]);
        }
        return l;
    }

    /* long_as(which, value) -> the value converted back, or the error */
    HPyDef_METH(long_as, "long_as", HPyFunc_VARARGS)
    static HPy long_as_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        long which = HPyLong_AsLong(ctx, args[0]);
        HPy h = args[1];
        switch (which) {
        case 0: { long v = HPyLong_AsLong(ctx, h);
                  if (v == -1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromLong(ctx, v); }
        case 1: { int32_t v = HPyLong_AsInt32_t(ctx, h);
                  if (v == -1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromLong(ctx, v); }
        case 2: { uint32_t v = HPyLong_AsUInt32_t(ctx, h);
                  if (v == (uint32_t)-1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromUnsignedLong(ctx, v); }
        case 3: { int64_t v = HPyLong_AsInt64_t(ctx, h);
                  if (v == -1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromInt64_t(ctx, v); }
        case 4: { uint64_t v = HPyLong_AsUInt64_t(ctx, h);
                  if (v == (uint64_t)-1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromUInt64_t(ctx, v); }
        case 5: { HPy_ssize_t v = HPyLong_AsSsize_t(ctx, h);
                  if (v == -1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromSsize_t(ctx, v); }
        case 6: { size_t v = HPyLong_AsSize_t(ctx, h);
                  if (v == (size_t)-1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromSize_t(ctx, v); }
        case 7: { double v = HPyLong_AsDouble(ctx, h);
                  if (v == -1.0 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyFloat_FromDouble(ctx, v); }
        case 8: { uint32_t v = HPyLong_AsUInt32_tMask(ctx, h);
                  if (v == (uint32_t)-1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromUnsignedLong(ctx, v); }
        case 9: { uint64_t v = HPyLong_AsUInt64_tMask(ctx, h);
                  if (v == (uint64_t)-1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromUInt64_t(ctx, v); }
        }
        HPyErr_SetString(ctx, ctx->h_ValueError, "bad which");
        return HPy_NULL;
    }

    /* ---- float ---- */
    HPyDef_METH(float_roundtrip, "float_roundtrip", HPyFunc_O)
    static HPy float_roundtrip_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        double d = HPyFloat_AsDouble(ctx, arg);
        if (d == -1.0 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyFloat_FromDouble(ctx, d * 2);
    }

    /* ---- bool ---- */
    HPyDef_METH(bool_from, "bool_from", HPyFunc_O)
    static HPy bool_from_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        int t = HPy_IsTrue(ctx, arg);
        if (t < 0)
            return HPy_NULL;
        return HPyBool_FromBool(ctx, t ? true : false);
    }

    HPyDef_METH(bool_from_long, "bool_from_long", HPyFunc_O)
    static HPy bool_from_long_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyBool_FromLong(ctx, HPyLong_AsLong(ctx, arg));
    }

    /* ---- unicode ---- */
    HPyDef_METH(str_from_c, "str_from_c", HPyFunc_NOARGS)
    static HPy str_from_c_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, "h\xc3\xa9llo \xe2\x82\xac");
    }

    HPyDef_METH(str_check, "str_check", HPyFunc_O)
    static HPy str_check_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyLong_FromLong(ctx, HPyUnicode_Check(ctx, arg));
    }

    HPyDef_METH(str_utf8, "str_utf8", HPyFunc_O)
    static HPy str_utf8_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_ssize_t size;
        const char *s = HPyUnicode_AsUTF8AndSize(ctx, arg, &size);
        if (s == NULL)
            return HPy_NULL;
        if (s[size] != '\0') {
            HPyErr_SetString(ctx, ctx->h_AssertionError, "not NUL-terminated");
            return HPy_NULL;
        }
        return HPyBytes_FromStringAndSize(ctx, s, size);
    }

    HPyDef_METH(str_as_utf8_bytes, "str_as_utf8_bytes", HPyFunc_O)
    static HPy str_as_utf8_bytes_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyUnicode_AsUTF8String(ctx, arg);
    }

    /* ---- bytes ---- */
    HPyDef_METH(bytes_from_c, "bytes_from_c", HPyFunc_NOARGS)
    static HPy bytes_from_c_impl(HPyContext *ctx, HPy self)
    {
        HPy a = HPyBytes_FromString(ctx, "abc");
        HPy b = HPyBytes_FromStringAndSize(ctx, "x\0y", 3);
        HPy res = HPy_Add(ctx, a, b);
        HPy_Close(ctx, a);
        HPy_Close(ctx, b);
        return res;
    }

    HPyDef_METH(bytes_info, "bytes_info", HPyFunc_O)
    static HPy bytes_info_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        /* [Check, Size, GET_SIZE, AsString copy, AS_STRING copy] */
        if (!HPyBytes_Check(ctx, arg))
            return HPyLong_FromLong(ctx, 0);
        HPy_ssize_t n1 = HPyBytes_Size(ctx, arg);
        HPy_ssize_t n2 = HPyBytes_GET_SIZE(ctx, arg);
        const char *s1 = HPyBytes_AsString(ctx, arg);
        const char *s2 = HPyBytes_AS_STRING(ctx, arg);
        HPy l = HPyList_New(ctx, 0);
        HPy items[] = {
            HPyLong_FromLong(ctx, 1),
            HPyLong_FromSsize_t(ctx, n1),
            HPyLong_FromSsize_t(ctx, n2),
            HPyBytes_FromStringAndSize(ctx, s1, n1),
            HPyBytes_FromStringAndSize(ctx, s2, n2),
        };
        size_t i;
        for (i = 0; i < 5; i++) {
            HPyList_Append(ctx, l, items[i]);
            HPy_Close(ctx, items[i]);
        }
        return l;
    }

    /* ---- generic object protocol ---- */
    HPyDef_METH(obj_ops, "obj_ops", HPyFunc_O)
    static HPy obj_ops_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        /* [repr(arg), str(arg), type(arg), len(arg)] */
        HPy l = HPyList_New(ctx, 0);
        HPy r = HPy_Repr(ctx, arg);
        HPy s = HPy_Str(ctx, arg);
        HPy t = HPy_Type(ctx, arg);
        HPy n = HPyLong_FromSsize_t(ctx, HPy_Length(ctx, arg));
        HPyList_Append(ctx, l, r);
        HPyList_Append(ctx, l, s);
        HPyList_Append(ctx, l, t);
        HPyList_Append(ctx, l, n);
        HPy_Close(ctx, r);
        HPy_Close(ctx, s);
        HPy_Close(ctx, t);
        HPy_Close(ctx, n);
        return l;
    }

    @EXPORT(long_from)
    @EXPORT(long_as)
    @EXPORT(float_roundtrip)
    @EXPORT(bool_from)
    @EXPORT(bool_from_long)
    @EXPORT(str_from_c)
    @EXPORT(str_check)
    @EXPORT(str_utf8)
    @EXPORT(str_as_utf8_bytes)
    @EXPORT(bytes_from_c)
    @EXPORT(bytes_info)
    @EXPORT(obj_ops)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='objects')


def test_long_from(m):
    assert m.long_from(None) == [
        -42, -2**63, 2**64 - 1, 2**64 - 1, -2**31, 2**32 - 1, 2**63 - 1,
        2**64 - 1, 2**64 - 1, -7]


@pytest.mark.parametrize('which, ok, overflow', [
    (0, [0, -1, 2**63 - 1, -2**63], [2**63, -2**63 - 1]),
    (1, [0, -1, 2**31 - 1, -2**31], [2**31, -2**31 - 1]),
    (2, [0, 1, 2**32 - 1], [2**32, -1]),
    (3, [0, -1, 2**63 - 1, -2**63], [2**63, -2**63 - 1]),
    (4, [0, 1, 2**64 - 1], [2**64, -1]),
    (5, [0, -1, 2**63 - 1, -2**63], [2**63]),
    (6, [0, 1, 2**64 - 1], [2**64, -1]),
])
def test_long_as(m, which, ok, overflow):
    for v in ok:
        assert m.long_as(which, v) == v
    for v in overflow:
        with pytest.raises(OverflowError):
            m.long_as(which, v)
    with pytest.raises(TypeError):
        m.long_as(which, 'x')


def test_long_as_double_and_masks(m):
    assert m.long_as(7, 2**53) == float(2**53)
    with pytest.raises(OverflowError):
        m.long_as(7, 10**400)
    assert m.long_as(8, -1) == 2**32 - 1
    assert m.long_as(8, 2**32 + 5) == 5
    assert m.long_as(9, -1) == 2**64 - 1
    assert m.long_as(9, 2**64 + 5) == 5


def test_float(m):
    assert m.float_roundtrip(1.25) == 2.5
    assert m.float_roundtrip(3) == 6.0
    assert m.float_roundtrip(float('inf')) == float('inf')
    with pytest.raises(TypeError):
        m.float_roundtrip('x')


def test_bool(m):
    assert m.bool_from(1) is True
    assert m.bool_from([]) is False
    assert m.bool_from('x') is True
    assert m.bool_from(None) is False
    assert m.bool_from_long(0) is False
    assert m.bool_from_long(-5) is True


def test_unicode(m):
    assert m.str_from_c() == 'h\xe9llo \u20ac'
    assert m.str_check('x') == 1
    assert m.str_check(b'x') == 0
    for s in ('', 'abc', 'h\xe9llo', '\U0001F600', 'a\0b'):
        assert m.str_utf8(s) == s.encode('utf-8')
        assert m.str_as_utf8_bytes(s) == s.encode('utf-8')
    with pytest.raises(UnicodeEncodeError):
        m.str_utf8('\udc80')
    with pytest.raises(TypeError):
        m.str_utf8(1)


def test_bytes(m):
    assert m.bytes_from_c() == b'abcx\0y'
    assert m.bytes_info(b'hello\0x') == [1, 7, 7, b'hello\0x', b'hello\0x']
    assert m.bytes_info(b'') == [1, 0, 0, b'', b'']
    assert m.bytes_info('str') == 0


def test_object_protocol(m):
    assert m.obj_ops('ab') == ["'ab'", 'ab', str, 2]
    assert m.obj_ops([1, 2, 3]) == ['[1, 2, 3]', '[1, 2, 3]', list, 3]
