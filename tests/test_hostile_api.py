"""Hostile values given to the API (issue 11, part 3), beyond what
test_argparse, test_buildvalue, test_format and test_sequence already cover.

Each case must raise the Python exception CPython raises for it, and the
module must keep working right after (the next call succeeds)."""
import sys

import pytest

from test_argparse import PARSE_ITEM_SRC, KEYWORDS_SRC
from test_sequence import SRC as SEQUENCE_SRC, INT_KEY, OBJ_KEY, GET, SET, DEL

HUGE = [2**63, -2**63 - 1, 2**64, 2**200, -2**200]
UNITS = 'bhHiIlkLKn'


@pytest.fixture
def m(make_module):
    return make_module(PARSE_ITEM_SRC, name='argparse_items')


@pytest.fixture
def kw(make_module):
    return make_module(KEYWORDS_SRC, name='argparse_kw')


@pytest.fixture
def seq(make_module):
    return make_module(SEQUENCE_SRC, name='sequence')


def _healthy(m):
    assert m.p_i(7) == 7
    assert m.p_s('ok') == 'ok'


@pytest.mark.parametrize('unit', list(UNITS))
def test_integer_units_huge_values(m, unit):
    """No unit accepts a value past 64 bits; the bitfield units (B H I k K)
    wrap like CPython's, the others raise OverflowError."""
    f = getattr(m, 'p_' + unit)
    for value in HUGE:
        try:
            got = f(value)
        except OverflowError:
            assert unit not in 'BHIkK' or abs(value) > 2**64, (unit, value)
        else:
            # only the wrapping units may accept it, and only with wrapping
            assert unit in 'BHIkK', (unit, value)
            bits = {'B': 8, 'H': 16, 'I': 32, 'k': 8 * _sizeof_long(),
                    'K': 64}[unit]
            assert got == value % 2**bits, (unit, value, got)
        _healthy(m)


def _sizeof_long():
    import ctypes
    return ctypes.sizeof(ctypes.c_long)


@pytest.mark.parametrize('unit', list(UNITS + 'fd'))
def test_number_units_wrong_types(m, unit):
    f = getattr(m, 'p_' + unit)
    for value in ['1', b'1', None, [1], object()]:
        with pytest.raises(TypeError):
            f(value)
        _healthy(m)
    # before 3.10, int units took a float through __int__ (deprecated)
    if unit not in 'fd' and sys.version_info >= (3, 10):
        with pytest.raises(TypeError):
            f(1.5)
        _healthy(m)


def test_string_unit_hostile(m):
    # a lone surrogate cannot be encoded as UTF-8
    with pytest.raises(UnicodeEncodeError):
        m.p_s('a\udc80b')
    _healthy(m)
    # embedded NUL where a C string is expected
    with pytest.raises(ValueError):
        m.p_s('a\0')
    _healthy(m)
    with pytest.raises(TypeError):
        m.p_s(bytearray(b'x'))
    _healthy(m)


def test_argument_counts(m):
    for args in [(), (1, 2), (1,) * 100]:
        with pytest.raises(TypeError):
            m.p_i(*args)
        _healthy(m)


def test_keywords_hostile(kw):
    # unknown, duplicate, non-str keyword names and too many arguments
    with pytest.raises(TypeError):
        kw.kw_OO(1, b=2, zzz=3)
    with pytest.raises(TypeError):
        kw.kw_OO(1, 2, a=3)
    # a keyword name that is not valid UTF-8 (the helpers compare names as
    # UTF-8 and cannot encode it)
    with pytest.raises((TypeError, UnicodeEncodeError)):
        kw.kw_OO(**{'\udc80': 1})
    with pytest.raises(TypeError):
        kw.kw_OO(1, 2, 3, 4, 5, 6, 7, 8, 9)
    with pytest.raises(TypeError):
        kw.kw_OO()
    assert kw.kw_OO(1, b=2) is not None


@pytest.mark.parametrize('keykind', [OBJ_KEY, INT_KEY])
@pytest.mark.parametrize('op', [GET, SET, DEL])
def test_huge_and_negative_indices(seq, keykind, op):
    """Huge and negative indices raise what Python's subscription raises
    (IndexError, or OverflowError/IndexError for keys past Py_ssize_t)."""
    keys = [sys.maxsize, -sys.maxsize - 1, -sys.maxsize, 2**64, -2**100]
    for key in keys:
        for obj in ([1, 2, 3], (1, 2, 3), 'abc', bytearray(b'abc'), range(3)):
            with pytest.raises((IndexError, OverflowError, TypeError)):
                seq.item(keykind + op, obj, key, 0)
    assert seq.item(OBJ_KEY + GET, [1, 2, 3], -1, None) == 3


def test_huge_slices(seq):
    for s in [slice(-2**100, 2**100, 2**100), slice(2**100, -2**100, -1),
              slice(sys.maxsize, -sys.maxsize - 1, -sys.maxsize)]:
        start, stop, step, n = seq.slice_indices(s, 10)
        assert list(range(start, stop, step)) == list(range(10)[s])
        assert n == len(range(10)[s])
    with pytest.raises(ValueError):
        seq.slice_indices(slice(None, None, 0), 10)
    with pytest.raises(TypeError):
        seq.slice_indices(slice('a', None), 10)
    with pytest.raises(OverflowError):
        seq.slice_indices(slice(None), 2**100)
    assert seq.slice_indices(slice(1, 3), 10) == (1, 3, 1, 2)


BAD_UTF8_SRC = r"""
    HPyDef_METH(bad_utf8, "bad_utf8", HPyFunc_O)
    static HPy bad_utf8_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        switch (HPyLong_AsLong(ctx, arg)) {
        case 0: return HPyUnicode_FromString(ctx, "ok\xff");
        case 1: return HPy_BuildValue(ctx, "s", "\xc3");
        case 2: return HPy_BuildValue(ctx, "(is)", 1, "\xed\xa0\x80");
        case 3: return HPyUnicode_DecodeFSDefault(ctx, "fine");
        }
        return HPy_Dup(ctx, ctx->h_None);
    }
    @EXPORT(bad_utf8)
    @INIT
"""


def test_non_utf8_c_strings(make_module):
    mod = make_module(BAD_UTF8_SRC, name='bad_utf8')
    for case in (0, 1, 2):
        with pytest.raises(UnicodeDecodeError):
            mod.bad_utf8(case)
        assert mod.bad_utf8(3) == 'fine'
