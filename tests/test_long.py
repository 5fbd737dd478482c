"""The C-type conversions of ints not covered by test_objects.py:
HPyLong_AsLongLong, HPyLong_AsUnsignedLong(Long)(Mask), HPyLong_AsVoidPtr.

Out-of-range values raise OverflowError, non-ints TypeError, negative values
given to an unsigned conversion OverflowError, as in CPython; the *Mask
conversions wrap around instead."""
import sys

import pytest

SRC = r"""
    #include <stdint.h>

    /* long_as(which, value) -> the value converted and back, or the error */
    HPyDef_METH(long_as, "long_as", HPyFunc_VARARGS)
    static HPy long_as_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        long which = HPyLong_AsLong(ctx, args[0]);
        HPy h = args[1];
        switch (which) {
        case 0: { long long v = HPyLong_AsLongLong(ctx, h);
                  if (v == -1 && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromLongLong(ctx, v); }
        case 1: { unsigned long v = HPyLong_AsUnsignedLong(ctx, h);
                  if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
                      return HPy_NULL;
                  return HPyLong_FromUnsignedLong(ctx, v); }
        case 2: { unsigned long long v = HPyLong_AsUnsignedLongLong(ctx, h);
                  if (v == (unsigned long long)-1 && HPyErr_Occurred(ctx))
                      return HPy_NULL;
                  return HPyLong_FromUnsignedLongLong(ctx, v); }
        case 3: { unsigned long v = HPyLong_AsUnsignedLongMask(ctx, h);
                  if (v == (unsigned long)-1 && HPyErr_Occurred(ctx))
                      return HPy_NULL;
                  return HPyLong_FromUnsignedLong(ctx, v); }
        case 4: { unsigned long long v = HPyLong_AsUnsignedLongLongMask(ctx, h);
                  if (v == (unsigned long long)-1 && HPyErr_Occurred(ctx))
                      return HPy_NULL;
                  return HPyLong_FromUnsignedLongLong(ctx, v); }
        case 5: { void *p = HPyLong_AsVoidPtr(ctx, h);
                  if (p == NULL && HPyErr_Occurred(ctx)) return HPy_NULL;
                  return HPyLong_FromSize_t(ctx, (size_t)(uintptr_t)p); }
        }
        HPyErr_SetString(ctx, ctx->h_ValueError, "bad which");
        return HPy_NULL;
    }

    /* void_ptr_roundtrip(): a C pointer through an int and back */
    HPyDef_METH(void_ptr_roundtrip, "void_ptr_roundtrip", HPyFunc_NOARGS)
    static HPy void_ptr_roundtrip_impl(HPyContext *ctx, HPy self)
    {
        static int target;
        HPy h = HPyLong_FromSize_t(ctx, (size_t)(uintptr_t)&target);
        if (HPy_IsNull(h))
            return HPy_NULL;
        void *p = HPyLong_AsVoidPtr(ctx, h);
        HPy_Close(ctx, h);
        return HPyBool_FromLong(ctx, p == (void *)&target);
    }

    @EXPORT(long_as)
    @EXPORT(void_ptr_roundtrip)
    @INIT
"""

ULONG_MAX = 2**64 - 1        # LP64: every platform the tests run on


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='long_conv')


class Indexable:
    def __index__(self):
        return 42


@pytest.mark.parametrize('which, ok, overflow', [
    (0, [0, -1, 2**63 - 1, -2**63], [2**63, -2**63 - 1, 10**30]),
    (1, [0, 1, ULONG_MAX], [ULONG_MAX + 1, -1]),
    (2, [0, 1, 2**64 - 1], [2**64, -1, -2**70]),
])
def test_checked_conversions(m, which, ok, overflow):
    for v in ok:
        assert m.long_as(which, v) == v
        assert m.long_as(which, True) == 1
    for v in overflow:
        with pytest.raises(OverflowError):
            m.long_as(which, v)
    bad_values = ['x', None]
    if which != 0 or sys.version_info >= (3, 10):
        # before 3.10, PyLong_AsLongLong took floats (through __int__, with
        # a DeprecationWarning)
        bad_values.append(1.5)
    for bad in bad_values:
        with pytest.raises(TypeError):
            m.long_as(which, bad)


def test_signed_conversion_uses_index(m):
    assert m.long_as(0, Indexable()) == 42


@pytest.mark.parametrize('which, bits', [(3, 64), (4, 64)])
def test_mask_conversions_wrap(m, which, bits):
    mod = 2**bits
    for v in [0, 5, -1, -2**63, 2**bits - 1, 2**bits, 2**bits + 7,
              3 * 2**bits + 1, -(2**bits) - 3, 10**40]:
        assert m.long_as(which, v) == v % mod
    with pytest.raises(TypeError):
        m.long_as(which, 'x')


def test_void_ptr(m):
    assert m.void_ptr_roundtrip() is True
    assert m.long_as(5, 0) == 0
    assert m.long_as(5, 2**64 - 1) == 2**64 - 1
    # negative values are taken as a signed address
    assert m.long_as(5, -1) == 2**64 - 1
    with pytest.raises(OverflowError):
        m.long_as(5, 2**64)
    with pytest.raises(OverflowError):
        m.long_as(5, -2**63 - 1)
    with pytest.raises(TypeError):
        m.long_as(5, 'x')
