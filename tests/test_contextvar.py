"""HPyContextVar_New / Get / Set: Python's context variables."""
import contextvars

import pytest

SRC = r"""
    /* new(name, default or None): None gives a variable without default */
    HPyDef_METH(new, "new", HPyFunc_VARARGS)
    static HPy new_impl(HPyContext *ctx, HPy self,
                        const HPy *args, size_t nargs)
    {
        const char *name = HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
        if (name == NULL)
            return HPy_NULL;
        return HPyContextVar_New(ctx, name,
                    HPy_Is(ctx, args[1], ctx->h_None) ? HPy_NULL : args[1]);
    }

    /* get(var, default or None) -> the value, or "<no value>" when Get
       stores HPy_NULL */
    HPyDef_METH(get, "get", HPyFunc_VARARGS)
    static HPy get_impl(HPyContext *ctx, HPy self,
                        const HPy *args, size_t nargs)
    {
        HPy result = HPy_NULL;
        HPy def = HPy_Is(ctx, args[1], ctx->h_None) ? HPy_NULL : args[1];
        if (HPyContextVar_Get(ctx, args[0], def, &result) < 0)
            return HPy_NULL;
        if (HPy_IsNull(result))
            return HPyUnicode_FromString(ctx, "<no value>");
        return result;
    }

    HPyDef_METH(set, "set", HPyFunc_VARARGS)
    static HPy set_impl(HPyContext *ctx, HPy self,
                        const HPy *args, size_t nargs)
    {
        return HPyContextVar_Set(ctx, args[0], args[1]);
    }

    @EXPORT(new)
    @EXPORT(get)
    @EXPORT(set)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='contextvars_')


def test_new(m):
    v = m.new('my_var', None)
    assert type(v) is contextvars.ContextVar and v.name == 'my_var'
    with pytest.raises(LookupError):
        v.get()
    w = m.new('with_default', 42)
    assert w.get() == 42


def test_get(m):
    v = m.new('v', None)
    w = m.new('w', 'var default')

    def run():
        assert m.get(v, None) == '<no value>'
        assert m.get(v, 'mine') == 'mine'
        assert m.get(w, None) == 'var default'
        assert m.get(w, 'mine') == 'mine'   # the call's default comes first
        v.set(1)
        w.set(2)
        assert m.get(v, 'mine') == 1
        assert m.get(w, 'mine') == 2
    contextvars.copy_context().run(run)
    with pytest.raises(TypeError):
        m.get('not a var', None)


def test_set(m):
    v = m.new('v', None)

    def run():
        token = m.set(v, 'first')
        assert type(token) is contextvars.Token and token.var is v
        assert v.get() == 'first' and m.get(v, None) == 'first'
        t2 = m.set(v, 'second')
        assert m.get(v, None) == 'second'
        v.reset(t2)
        assert v.get() == 'first'
        v.reset(token)
        assert m.get(v, None) == '<no value>'
    ctx = contextvars.copy_context()
    ctx.run(run)
    # values set in a context stay there
    ctx.run(m.set, v, 'in ctx')
    assert ctx[v] == 'in ctx'
    with pytest.raises(LookupError):
        v.get()
    with pytest.raises(TypeError):
        m.set('not a var', 1)
