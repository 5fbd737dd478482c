"""The generic object protocol beyond test_objects.py: attributes (by
object and by C string), hashing, rich comparison, type checks, callables,
ascii() and bytes()."""
import pytest

SRC = r"""
    /* attr(op, obj, name, value): 0 GetAttr, 1 HasAttr, 2 SetAttr, 3 DelAttr
       with the name an object; 4..7 the same with a C string (_s) */
    HPyDef_METH(attr, "attr", HPyFunc_VARARGS)
    static HPy attr_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[0]);
        HPy obj = args[1], name = args[2], value = args[3];
        const char *s = NULL;
        int r;
        if (op >= 4) {
            s = HPyUnicode_AsUTF8AndSize(ctx, name, NULL);
            if (s == NULL)
                return HPy_NULL;
        }
        switch (op) {
        case 0: return HPy_GetAttr(ctx, obj, name);
        case 1: return HPyLong_FromLong(ctx, HPy_HasAttr(ctx, obj, name));
        case 2: r = HPy_SetAttr(ctx, obj, name, value); break;
        case 3: r = HPy_DelAttr(ctx, obj, name); break;
        case 4: return HPy_GetAttr_s(ctx, obj, s);
        case 5: return HPyLong_FromLong(ctx, HPy_HasAttr_s(ctx, obj, s));
        case 6: r = HPy_SetAttr_s(ctx, obj, s, value); break;
        case 7: r = HPy_DelAttr_s(ctx, obj, s); break;
        default:
            HPyErr_SetString(ctx, ctx->h_ValueError, "bad op");
            return HPy_NULL;
        }
        if (r < 0)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, r);
    }

    HPyDef_METH(hash, "hash", HPyFunc_O)
    static HPy hash_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_hash_t h = HPy_Hash(ctx, arg);
        if (h == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyLong_FromSsize_t(ctx, h);
    }

    /* compare(a, b, op) -> (HPy_RichCompare result, HPy_RichCompareBool) */
    HPyDef_METH(compare, "compare", HPyFunc_VARARGS)
    static HPy compare_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[2]);
        HPy r = HPy_RichCompare(ctx, args[0], args[1], (int)op);
        if (HPy_IsNull(r))
            return HPy_NULL;
        int b = HPy_RichCompareBool(ctx, args[0], args[1], (int)op);
        if (b < 0) {
            HPy_Close(ctx, r);
            return HPy_NULL;
        }
        HPy hb = HPyLong_FromLong(ctx, b);
        HPy res = HPyTuple_Pack(ctx, 2, r, hb);
        HPy_Close(ctx, r);
        HPy_Close(ctx, hb);
        return res;
    }

    /* compare_bool(a, b, op): HPy_RichCompareBool alone */
    HPyDef_METH(compare_bool, "compare_bool", HPyFunc_VARARGS)
    static HPy compare_bool_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[2]);
        int b = HPy_RichCompareBool(ctx, args[0], args[1], (int)op);
        if (b < 0)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, b);
    }

    /* types(obj, type) -> (HPy_TypeCheck(obj, type),
                            HPyType_IsSubtype(type(obj), type)) */
    HPyDef_METH(types, "types", HPyFunc_VARARGS)
    static HPy types_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
    {
        HPy t = HPy_Type(ctx, args[0]);
        long a = HPy_TypeCheck(ctx, args[0], args[1]);
        long b = HPyType_IsSubtype(ctx, t, args[1]);
        HPy_Close(ctx, t);
        return HPy_BuildValue(ctx, "ll", a, b);
    }

    HPyDef_METH(callable_check, "callable_check", HPyFunc_O)
    static HPy callable_check_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyLong_FromLong(ctx, HPyCallable_Check(ctx, arg));
    }

    HPyDef_METH(ascii, "ascii", HPyFunc_O)
    static HPy ascii_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_ASCII(ctx, arg);
    }

    HPyDef_METH(to_bytes, "to_bytes", HPyFunc_O)
    static HPy to_bytes_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_Bytes(ctx, arg);
    }

    @EXPORT(attr)
    @EXPORT(hash)
    @EXPORT(compare)
    @EXPORT(compare_bool)
    @EXPORT(types)
    @EXPORT(callable_check)
    @EXPORT(ascii)
    @EXPORT(to_bytes)
    @INIT
"""

GET, HAS, SET, DEL = 0, 1, 2, 3
BY_OBJ, BY_STR = 0, 4
HPy_LT, HPy_LE, HPy_EQ, HPy_NE, HPy_GT, HPy_GE = range(6)


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='objproto')


class Obj:
    cls_attr = 'class'


class Raising:
    @property
    def bad(self):
        raise KeyError('from property')


@pytest.fixture
def unraisable(monkeypatch):
    # since 3.13 HasAttr reports the exceptions it swallows (other than
    # AttributeError) to sys.unraisablehook
    seen = []
    monkeypatch.setattr('sys.unraisablehook', seen.append)
    return seen


@pytest.mark.parametrize('by', [BY_OBJ, BY_STR])
def test_attributes(m, by, unraisable):
    o = Obj()
    assert m.attr(by + GET, o, 'cls_attr', None) == 'class'
    assert m.attr(by + HAS, o, 'cls_attr', None) == 1
    assert m.attr(by + HAS, o, 'x', None) == 0
    with pytest.raises(AttributeError):
        m.attr(by + GET, o, 'x', None)
    assert m.attr(by + SET, o, 'x\xe9', 42) == 0
    assert getattr(o, 'x\xe9') == 42
    assert m.attr(by + HAS, o, 'x\xe9', None) == 1
    assert m.attr(by + DEL, o, 'x\xe9', None) == 0
    assert not hasattr(o, 'x\xe9')
    with pytest.raises(AttributeError):
        m.attr(by + DEL, o, 'x\xe9', None)
    # attributes of builtins are read-only
    with pytest.raises(AttributeError):
        m.attr(by + SET, 42, 'real', 1)
    with pytest.raises(TypeError):
        m.attr(by + SET, int, 'real', 1)
    # HasAttr swallows the exception of a raising getter and says 0
    assert m.attr(by + HAS, Raising(), 'bad', None) == 0
    assert all(u.exc_type is KeyError for u in unraisable)
    with pytest.raises(KeyError):
        m.attr(by + GET, Raising(), 'bad', None)


def test_attribute_name_must_be_str(m, unraisable):
    with pytest.raises(TypeError):
        m.attr(BY_OBJ + GET, Obj(), 42, None)
    with pytest.raises(TypeError):
        m.attr(BY_OBJ + SET, Obj(), 42, 1)
    assert m.attr(BY_OBJ + HAS, Obj(), 42, None) == 0
    assert all(u.exc_type is TypeError for u in unraisable)


def test_hash(m):
    for obj in [0, 1, -1, 2**100, 'abc', b'abc', (1, 'a'), 1.5, None,
                frozenset({1})]:
        assert m.hash(obj) == hash(obj)
    o = object()
    assert m.hash(o) == hash(o)
    with pytest.raises(TypeError, match='unhashable'):
        m.hash([])
    with pytest.raises(TypeError):
        m.hash({})


OPS = [(HPy_LT, '__lt__'), (HPy_LE, '__le__'), (HPy_EQ, '__eq__'),
       (HPy_NE, '__ne__'), (HPy_GT, '__gt__'), (HPy_GE, '__ge__')]


def test_rich_compare(m):
    import operator
    pyops = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt,
             operator.ge]
    for a, b in [(1, 2), (2, 2), (3, 2), ('a', 'b'), ((1, 2), (1, 3)),
                 (1.5, 1), ([1], [1])]:
        for op, pyop in zip(range(6), pyops):
            expected = pyop(a, b)
            assert m.compare(a, b, op) == (expected, int(bool(expected)))


def test_rich_compare_returns_any_object(m):
    class Weird:
        def __lt__(self, other):
            return 'less'

        def __eq__(self, other):
            return []

    assert m.compare(Weird(), 1, HPy_LT) == ('less', 1)
    assert m.compare(Weird(), 1, HPy_EQ) == ([], 0)


def test_rich_compare_errors(m):
    with pytest.raises(TypeError):
        m.compare(1, 'a', HPy_LT)
    with pytest.raises(TypeError):
        m.compare_bool(None, 1, HPy_GE)
    # == and != fall back to identity
    assert m.compare(1, 'a', HPy_EQ) == (False, 0)
    assert m.compare(1, 'a', HPy_NE) == (True, 1)

    class BadBool:
        def __bool__(self):
            raise ZeroDivisionError

    class Cmp:
        def __eq__(self, other):
            return BadBool()
    with pytest.raises(ZeroDivisionError):
        m.compare_bool(Cmp(), 1, HPy_EQ)
    # RichCompareBool: identity implies equality, as in CPython
    nan = float('nan')
    assert m.compare_bool(nan, nan, HPy_EQ) == 1
    assert m.compare_bool(nan, float('nan'), HPy_EQ) == 0


def test_type_check_and_is_subtype(m):
    class MyInt(int):
        pass
    assert m.types(1, int) == (1, 1)
    assert m.types(True, int) == (1, 1)
    assert m.types(MyInt(3), int) == (1, 1)
    assert m.types(1, MyInt) == (0, 0)
    assert m.types('a', int) == (0, 0)
    assert m.types(1, object) == (1, 1)
    assert m.types(int, type) == (1, 1)
    assert m.types(ValueError(), Exception) == (1, 1)


def test_callable_check(m):
    class C:
        def __call__(self):
            pass
    for obj in [len, lambda: 0, int, C(), Obj, m.hash, print]:
        assert m.callable_check(obj) == 1
    for obj in [1, 'len', None, Obj(), [len]]:
        assert m.callable_check(obj) == 0


def test_ascii(m):
    for obj in ['abc', 'h\xe9\u20ac\U0001F600', [1, 'x\xe9'], None, b'\xff']:
        assert m.ascii(obj) == ascii(obj)

    class R:
        def __repr__(self):
            raise RuntimeError('repr')
    with pytest.raises(RuntimeError):
        m.ascii(R())


def test_bytes(m):
    assert m.to_bytes(b'abc') == b'abc'
    assert m.to_bytes(bytearray(b'xy')) == b'xy'
    assert m.to_bytes([1, 2, 255]) == b'\x01\x02\xff'
    assert m.to_bytes(memoryview(b'mv')) == b'mv'

    class B:
        def __bytes__(self):
            return b'custom'
    assert m.to_bytes(B()) == b'custom'
    with pytest.raises(TypeError):
        m.to_bytes('str')
    with pytest.raises(TypeError):
        m.to_bytes(1.5)
    with pytest.raises(ValueError):
        m.to_bytes([256])
