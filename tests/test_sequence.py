"""Item access (HPy_GetItem / SetItem / DelItem with an object, a C index
or a C string key), HPy_Contains, HPySlice_Unpack and
HPySlice_AdjustIndices.

Each result and exception is compared with what Python's own subscription
does on the same object and key."""
import copy
import sys

import pytest

SRC = r"""
    #include <string.h>

    /* item(op, obj, key, value): op 0..2 get/set/del with key an object,
       3..5 with key a C index (an int), 6..8 with key a C string (a str);
       set/del return None */
    HPyDef_METH(item, "item", HPyFunc_VARARGS)
    static HPy item_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[0]);
        HPy obj = args[1], key = args[2], value = args[3];
        HPy_ssize_t i = 0;
        const char *s = NULL;
        int r;
        if (op >= 3 && op <= 5) {
            i = HPyLong_AsSsize_t(ctx, key);
            if (i == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
        }
        if (op >= 6) {
            s = HPyUnicode_AsUTF8AndSize(ctx, key, NULL);
            if (s == NULL)
                return HPy_NULL;
        }
        switch (op) {
        case 0: return HPy_GetItem(ctx, obj, key);
        case 1: r = HPy_SetItem(ctx, obj, key, value); break;
        case 2: r = HPy_DelItem(ctx, obj, key); break;
        case 3: return HPy_GetItem_i(ctx, obj, i);
        case 4: r = HPy_SetItem_i(ctx, obj, i, value); break;
        case 5: r = HPy_DelItem_i(ctx, obj, i); break;
        case 6: return HPy_GetItem_s(ctx, obj, s);
        case 7: r = HPy_SetItem_s(ctx, obj, s, value); break;
        case 8: r = HPy_DelItem_s(ctx, obj, s); break;
        default:
            HPyErr_SetString(ctx, ctx->h_ValueError, "bad op");
            return HPy_NULL;
        }
        if (r < 0)
            return HPy_NULL;
        if (r != 0) {
            HPyErr_SetString(ctx, ctx->h_AssertionError, "result not 0 or -1");
            return HPy_NULL;
        }
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* bad_utf8_key(obj): the _s functions given a key that is not UTF-8 */
    HPyDef_METH(bad_utf8_key, "bad_utf8_key", HPyFunc_VARARGS)
    static HPy bad_utf8_key_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[0]);
        switch (op) {
        case 0: return HPy_GetItem_s(ctx, args[1], "\xff");
        case 1: if (HPy_SetItem_s(ctx, args[1], "\xff", ctx->h_None) < 0)
                    return HPy_NULL;
                break;
        case 2: if (HPy_DelItem_s(ctx, args[1], "\xff") < 0)
                    return HPy_NULL;
                break;
        }
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(contains, "contains", HPyFunc_VARARGS)
    static HPy contains_impl(HPyContext *ctx, HPy self,
                             const HPy *args, size_t nargs)
    {
        int r = HPy_Contains(ctx, args[0], args[1]);
        if (r < 0)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, r);
    }

    /* slice_indices(slice, length): HPySlice_Unpack + HPySlice_AdjustIndices
       -> (start, stop, step, slicelength) */
    HPyDef_METH(slice_indices, "slice_indices", HPyFunc_VARARGS)
    static HPy slice_indices_impl(HPyContext *ctx, HPy self,
                                  const HPy *args, size_t nargs)
    {
        HPy_ssize_t start, stop, step, n;
        HPy_ssize_t length = HPyLong_AsSsize_t(ctx, args[1]);
        if (length == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        if (HPySlice_Unpack(ctx, args[0], &start, &stop, &step) < 0)
            return HPy_NULL;
        n = HPySlice_AdjustIndices(ctx, length, &start, &stop, step);
        return HPy_BuildValue(ctx, "nnnn", start, stop, step, n);
    }

    /* slice_unpack(slice) -> (start, stop, step) as HPySlice_Unpack gives */
    HPyDef_METH(slice_unpack, "slice_unpack", HPyFunc_O)
    static HPy slice_unpack_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_ssize_t start, stop, step;
        if (HPySlice_Unpack(ctx, arg, &start, &stop, &step) < 0)
            return HPy_NULL;
        return HPy_BuildValue(ctx, "nnn", start, stop, step);
    }

    @EXPORT(item)
    @EXPORT(bad_utf8_key)
    @EXPORT(contains)
    @EXPORT(slice_indices)
    @EXPORT(slice_unpack)
    @INIT
"""

GET, SET, DEL = 0, 1, 2
OBJ_KEY, INT_KEY, STR_KEY = 0, 3, 6


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='sequence')


def _python(op, obj, key, value):
    if op == GET:
        return obj[key]
    if op == SET:
        obj[key] = value
    else:
        del obj[key]


def _outcome(f, *args):
    try:
        return ('ok', f(*args))
    except Exception as e:
        return ('raise', type(e))


class Mapping:
    """A user mapping that records what it gets."""
    def __init__(self):
        self.log = []

    def __getitem__(self, key):
        self.log.append(('get', key))
        return ('value', key)

    def __setitem__(self, key, value):
        self.log.append(('set', key, value))

    def __delitem__(self, key):
        self.log.append(('del', key))


def _objects():
    return [[10, 20, 30], (10, 20, 30), {0: 'a', -1: 'b', 'k': 'c'},
            'abc', b'abc', bytearray(b'abc'), range(3), None, 42]


@pytest.mark.parametrize('op', [GET, SET, DEL])
@pytest.mark.parametrize('keykind', [OBJ_KEY, INT_KEY])
def test_int_keys(m, op, keykind):
    for key in [0, 2, -1, -3, 3, -4, 100]:
        for obj in _objects():
            mine, theirs = copy.copy(obj), copy.copy(obj)
            got = _outcome(m.item, keykind + op, mine, key, 77)
            expected = _outcome(_python, op, theirs, key, 77)
            assert got == expected, (obj, key)
            assert mine == theirs, (obj, key)


@pytest.mark.parametrize('op', [GET, SET, DEL])
@pytest.mark.parametrize('keykind', [OBJ_KEY, STR_KEY])
def test_str_keys(m, op, keykind):
    for key in ['k', 'missing', 'h\xe9']:
        for obj in _objects() + [{'h\xe9': 1}]:
            mine, theirs = copy.copy(obj), copy.copy(obj)
            got = _outcome(m.item, keykind + op, mine, key, 77)
            expected = _outcome(_python, op, theirs, key, 77)
            assert got == expected, (obj, key)
            assert mine == theirs, (obj, key)


def test_object_keys(m):
    d = {(1, 2): 'tuple key'}
    assert m.item(OBJ_KEY + GET, d, (1, 2), None) == 'tuple key'
    assert m.item(OBJ_KEY + GET, [1, 2, 3, 4], slice(1, 3), None) == [2, 3]
    lst = [1, 2, 3, 4]
    m.item(OBJ_KEY + SET, lst, slice(0, 2), ['x'])
    assert lst == ['x', 3, 4]
    m.item(OBJ_KEY + DEL, lst, slice(1, None), None)
    assert lst == ['x']
    with pytest.raises(TypeError):
        m.item(OBJ_KEY + GET, {}, [], None)      # unhashable


def test_user_mapping_gets_python_keys(m):
    mp = Mapping()
    assert m.item(INT_KEY + GET, mp, -5, None) == ('value', -5)
    assert m.item(STR_KEY + GET, mp, 'k', None) == ('value', 'k')
    m.item(INT_KEY + SET, mp, 7, 'v')
    m.item(STR_KEY + SET, mp, 's', 'w')
    m.item(INT_KEY + DEL, mp, 8, None)
    m.item(STR_KEY + DEL, mp, 't', None)
    assert mp.log == [('get', -5), ('get', 'k'), ('set', 7, 'v'),
                      ('set', 's', 'w'), ('del', 8), ('del', 't')]


def test_c_string_key_not_utf8(m):
    d = {}
    for op in (GET, SET, DEL):
        with pytest.raises(UnicodeDecodeError):
            m.bad_utf8_key(op, d)
    assert d == {}


def test_contains(m):
    assert m.contains([1, 2, 3], 2) == 1
    assert m.contains([1, 2, 3], 4) == 0
    assert m.contains({'a': 1}, 'a') == 1
    assert m.contains({'a': 1}, 1) == 0
    assert m.contains('hello', 'ell') == 1
    assert m.contains(range(10), 9) == 1
    with pytest.raises(TypeError):
        m.contains(42, 1)
    with pytest.raises(TypeError):
        m.contains({}, [])      # unhashable
    with pytest.raises(TypeError):
        m.contains('abc', 1)

    class Boom:
        def __contains__(self, item):
            raise KeyError(item)
    with pytest.raises(KeyError):
        m.contains(Boom(), 1)


SLICES = [slice(None), slice(1, 3), slice(-2, None), slice(None, None, -1),
          slice(5, -5, -2), slice(-100, 100), slice(100, -100, -3),
          slice(2, 2), slice(0, 10, 4), slice(None, -1, 2),
          slice(2**70, None), slice(-2**70, 2**70, 2**70)]


@pytest.mark.parametrize('length', [0, 1, 5, 10])
def test_slice_unpack_and_adjust_indices(m, length):
    for s in SLICES:
        start, stop, step = s.indices(length)
        n = len(range(start, stop, step))
        # HPySlice_Unpack clips the step to a C value (+-PY_SSIZE_T_MAX)
        step = max(-sys.maxsize, min(step, sys.maxsize))
        assert m.slice_indices(s, length) == (start, stop, step, n), s
        seq = list(range(length))
        assert n == len(seq[s])


def test_slice_unpack(m):
    big = sys.maxsize
    assert m.slice_unpack(slice(None)) == (0, big, 1)
    assert m.slice_unpack(slice(None, None, -1)) == (big, -big - 1, -1)
    assert m.slice_unpack(slice(2**80, -2**80, 2**80)) == (big, -big - 1, big)
    assert m.slice_unpack(slice(1, 2, -2**80)) == (1, 2, -big)
    with pytest.raises(ValueError, match='slice step cannot be zero'):
        m.slice_unpack(slice(1, 2, 0))
    with pytest.raises(TypeError):
        m.slice_unpack(slice('a', 2))
