"""Dict functions: HPyDict_New, HPyDict_Check, HPyDict_Keys, HPyDict_Copy."""
import pytest

SRC = r"""
    HPyDef_METH(check, "check", HPyFunc_O)
    static HPy check_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyLong_FromLong(ctx, HPyDict_Check(ctx, arg));
    }

    HPyDef_METH(keys, "keys", HPyFunc_O)
    static HPy keys_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyDict_Keys(ctx, arg);
    }

    HPyDef_METH(copy, "copy", HPyFunc_O)
    static HPy copy_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyDict_Copy(ctx, arg);
    }

    /* new_filled(): a new dict with two items, then its copy changed */
    HPyDef_METH(new_filled, "new_filled", HPyFunc_NOARGS)
    static HPy new_filled_impl(HPyContext *ctx, HPy self)
    {
        HPy d = HPyDict_New(ctx);
        HPy one = HPyLong_FromLong(ctx, 1);
        HPy c;
        if (HPy_IsNull(d))
            return HPy_NULL;
        HPy_SetItem_s(ctx, d, "a", one);
        HPy_SetItem_s(ctx, d, "b", ctx->h_None);
        c = HPyDict_Copy(ctx, d);
        HPy_SetItem_s(ctx, c, "c", one);
        HPy_Close(ctx, one);
        HPy res = HPyTuple_Pack(ctx, 2, d, c);
        HPy_Close(ctx, d);
        HPy_Close(ctx, c);
        return res;
    }

    @EXPORT(check)
    @EXPORT(keys)
    @EXPORT(copy)
    @EXPORT(new_filled)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='dicts')


def test_check(m):
    class D(dict):
        pass
    import collections
    assert m.check({}) == 1
    assert m.check(D()) == 1
    assert m.check(collections.OrderedDict()) == 1
    for obj in [[], (), None, collections.ChainMap(), type({}.keys())]:
        assert m.check(obj) == 0


def test_keys(m):
    d = {'b': 1, 'a': 2, 3: None}
    k = m.keys(d)
    assert type(k) is list and k == ['b', 'a', 3]
    assert m.keys({}) == []
    with pytest.raises(SystemError):
        m.keys([1, 2])


def test_copy(m):
    inner = [1]
    d = {'x': inner, 'y': 2}
    c = m.copy(d)
    assert type(c) is dict and c == d and c is not d
    assert c['x'] is inner          # shallow
    c['z'] = 3
    assert 'z' not in d
    with pytest.raises(SystemError):
        m.copy([1, 2])


def test_new(m):
    d, c = m.new_filled()
    assert d == {'a': 1, 'b': None}
    assert c == {'a': 1, 'b': None, 'c': 1}
