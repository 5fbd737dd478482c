"""Calling methods: HPy_CallMethod (vectorcall convention, args[0] is the
receiver), HPy_CallMethodTupleDict and HPy_CallMethodTupleDict_s."""
import pytest

SRC = r"""
    /* call_method(name, receiver, *args, **kw) via HPy_CallMethod */
    HPyDef_METH(call_method, "call_method", HPyFunc_KEYWORDS)
    static HPy call_method_impl(HPyContext *ctx, HPy self, const HPy *args,
                                size_t nargs, HPy kwnames)
    {
        if (nargs < 1) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "name needed");
            return HPy_NULL;
        }
        return HPy_CallMethod(ctx, args[0], args + 1, nargs - 1, kwnames);
    }

    /* call_method_no_receiver(name): nargs == 0 is refused */
    HPyDef_METH(call_method_no_receiver, "call_method_no_receiver", HPyFunc_O)
    static HPy call_method_no_receiver_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_CallMethod(ctx, arg, NULL, 0, HPy_NULL);
    }

    /* call_method_bad_kwnames(name, receiver, x): kwnames not a tuple */
    HPyDef_METH(call_method_bad_kwnames, "call_method_bad_kwnames",
                HPyFunc_VARARGS)
    static HPy call_method_bad_kwnames_impl(HPyContext *ctx, HPy self,
                                            const HPy *args, size_t nargs)
    {
        HPy kw = HPyUnicode_FromString(ctx, "x");
        HPy res = HPy_CallMethod(ctx, args[0], args + 1, 1, kw);
        HPy_Close(ctx, kw);
        return res;
    }

    static HPy none_to_null(HPyContext *ctx, HPy h)
    {
        return HPy_Is(ctx, h, ctx->h_None) ? HPy_NULL : h;
    }

    /* call_tuple_dict(name, receiver, args or None, kw or None) */
    HPyDef_METH(call_tuple_dict, "call_tuple_dict", HPyFunc_VARARGS)
    static HPy call_tuple_dict_impl(HPyContext *ctx, HPy self,
                                    const HPy *args, size_t nargs)
    {
        return HPy_CallMethodTupleDict(ctx, args[0], args[1],
                                       none_to_null(ctx, args[2]),
                                       none_to_null(ctx, args[3]));
    }

    /* call_tuple_dict_s(name, ...): the same with a C string name */
    HPyDef_METH(call_tuple_dict_s, "call_tuple_dict_s", HPyFunc_VARARGS)
    static HPy call_tuple_dict_s_impl(HPyContext *ctx, HPy self,
                                      const HPy *args, size_t nargs)
    {
        const char *name = HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
        if (name == NULL)
            return HPy_NULL;
        return HPy_CallMethodTupleDict_s(ctx, name, args[1],
                                         none_to_null(ctx, args[2]),
                                         none_to_null(ctx, args[3]));
    }

    @EXPORT(call_method)
    @EXPORT(call_method_no_receiver)
    @EXPORT(call_method_bad_kwnames)
    @EXPORT(call_tuple_dict)
    @EXPORT(call_tuple_dict_s)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='callmethod')


class Receiver:
    def meth(self, *args, **kwargs):
        return (self, args, kwargs)

    @staticmethod
    def static(*args, **kwargs):
        return ('static', args, kwargs)

    def raising(self):
        raise KeyError('from meth')


def test_call_method(m):
    r = Receiver()
    assert m.call_method('meth', r) == (r, (), {})
    assert m.call_method('meth', r, 1, 2) == (r, (1, 2), {})
    assert m.call_method('meth', r, 1, a=2, b=3) == (r, (1,), {'a': 2, 'b': 3})
    assert m.call_method('static', r, 5, k='v') == ('static', (5,), {'k': 'v'})
    assert m.call_method('upper', 'abc') == 'ABC'
    assert m.call_method('split', 'a,b', ',') == ['a', 'b']
    assert m.call_method('split', 'a b c', maxsplit=1) == ['a', 'b c']
    lst = [3, 1, 2]
    assert m.call_method('sort', lst, reverse=True) is None
    assert lst == [3, 2, 1]


def test_call_method_errors(m):
    r = Receiver()
    with pytest.raises(AttributeError):
        m.call_method('missing', r)
    with pytest.raises(KeyError):
        m.call_method('raising', r)
    with pytest.raises(TypeError):
        m.call_method('raising', r, 1)
    with pytest.raises(TypeError):
        m.call_method('upper', 'abc', bad=1)
    with pytest.raises(TypeError):
        m.call_method(42, r)                  # the name is not a str
    with pytest.raises(TypeError, match='nargs'):
        m.call_method_no_receiver('meth')
    with pytest.raises(TypeError, match='kwnames'):
        m.call_method_bad_kwnames('meth', r, 1)


@pytest.mark.parametrize('fn', ['call_tuple_dict', 'call_tuple_dict_s'])
def test_call_method_tuple_dict(m, fn):
    call = getattr(m, fn)
    r = Receiver()
    assert call('meth', r, None, None) == (r, (), {})
    assert call('meth', r, (1, 2), None) == (r, (1, 2), {})
    assert call('meth', r, None, {'a': 1}) == (r, (), {'a': 1})
    assert call('meth', r, (1,), {'a': 1}) == (r, (1,), {'a': 1})
    assert call('join', ',', (['x', 'y'],), None) == 'x,y'
    with pytest.raises(AttributeError):
        call('missing', r, None, None)
    with pytest.raises(KeyError):
        call('raising', r, (), {})
    with pytest.raises(TypeError, match='tuple'):
        call('meth', r, [1, 2], None)
    with pytest.raises(TypeError, match='dict'):
        call('meth', r, (), [('a', 1)])
