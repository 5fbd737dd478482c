"""The basics: an empty module, the four calling conventions, handles."""
import pytest


def test_empty_module(make_module):
    mod = make_module("""
        @INIT
    """)
    assert type(mod).__name__ == 'module'
    assert mod.__name__ == 'mytest'
    assert mod.__doc__ == 'some test for hpy'


def test_module_name(make_module):
    mod = make_module("""
        @INIT
    """, name='othername')
    assert mod.__name__ == 'othername'


def test_noargs(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS, .doc = "the doc of f")
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromLong(ctx, 1234);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f() == 1234
    assert mod.f.__doc__ == 'the doc of f'
    assert mod.f.__name__ == 'f'
    with pytest.raises(TypeError):
        mod.f(1)
    with pytest.raises(TypeError):
        mod.f(a=1)


def test_noargs_self_is_module(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPy_Dup(ctx, self);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f() is mod


def test_o(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_Add(ctx, arg, arg);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f(21) == 42
    assert mod.f('ab') == 'abab'
    assert mod.f([1]) == [1, 1]
    with pytest.raises(TypeError):
        mod.f()
    with pytest.raises(TypeError):
        mod.f(1, 2)
    with pytest.raises(TypeError):
        mod.f(None)          # None + None


def test_o_returns_same_object(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_Dup(ctx, arg);
        }
        @EXPORT(f)
        @INIT
    """)
    obj = object()
    assert mod.f(obj) is obj


def test_varargs(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
        {
            /* returns (nargs, last argument or None) as a list */
            HPy n = HPyLong_FromSize_t(ctx, nargs);
            HPy l = HPyList_New(ctx, 0);
            HPyList_Append(ctx, l, n);
            HPyList_Append(ctx, l, nargs ? args[nargs - 1] : ctx->h_None);
            HPy_Close(ctx, n);
            return l;
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f() == [0, None]
    assert mod.f('a') == [1, 'a']
    assert mod.f(1, 2, 3, 'x') == [4, 'x']
    assert mod.f(*range(100)) == [100, 99]
    with pytest.raises(TypeError):
        mod.f(a=1)


def test_keywords(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_KEYWORDS)
        static HPy f_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs, HPy kwnames)
        {
            /* returns [nargs, positional args..., kwnames or None,
                        keyword values...] */
            HPy_ssize_t nkw = 0, i;
            if (!HPy_IsNull(kwnames)) {
                nkw = HPy_Length(ctx, kwnames);
                if (nkw < 0)
                    return HPy_NULL;
            }
            HPy l = HPyList_New(ctx, 0);
            HPy n = HPyLong_FromSize_t(ctx, nargs);
            HPyList_Append(ctx, l, n);
            HPy_Close(ctx, n);
            for (i = 0; i < (HPy_ssize_t)nargs; i++)
                HPyList_Append(ctx, l, args[i]);
            HPyList_Append(ctx, l, HPy_IsNull(kwnames) ? ctx->h_None : kwnames);
            for (i = 0; i < nkw; i++)
                HPyList_Append(ctx, l, args[nargs + i]);
            return l;
        }
        @EXPORT(f)
        @INIT
    """)
    res = mod.f()
    assert res[0] == 0
    # no keywords: kwnames is HPy_NULL (or, tolerated, an empty tuple)
    assert res[1] in (None, ())
    assert mod.f(1, 2)[:3] == [2, 1, 2]
    assert mod.f(1, b=2, a=3) == [1, 1, ('b', 'a'), 2, 3]
    assert mod.f(x='y') == [0, ('x',), 'y']
    assert mod.f(*[1, 2], **{'k': 3}) == [2, 1, 2, ('k',), 3]


def test_many_functions(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromLong(ctx, 1);
        }
        HPyDef_METH(g, "g", HPyFunc_O)
        static HPy g_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPyLong_FromLong(ctx, 2);
        }
        HPyDef_METH(h, "h", HPyFunc_VARARGS)
        static HPy h_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
        {
            return HPyLong_FromLong(ctx, 3);
        }
        HPyDef_METH(k, "k", HPyFunc_KEYWORDS)
        static HPy k_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs, HPy kwnames)
        {
            return HPyLong_FromLong(ctx, 4);
        }
        @EXPORT(f)
        @EXPORT(g)
        @EXPORT(h)
        @EXPORT(k)
        @INIT
    """)
    assert (mod.f(), mod.g(None), mod.h(), mod.k(x=1)) == (1, 2, 3, 4)


def test_exception_propagates(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPyErr_SetString(ctx, ctx->h_ValueError, "hello from C");
            return HPy_NULL;
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(ValueError, match='^hello from C$'):
        mod.f(1)


def test_null_without_exception_is_systemerror(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPy_NULL;
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(SystemError):
        mod.f()


def test_dup_and_close(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            int i;
            HPy h[10];
            for (i = 0; i < 10; i++)
                h[i] = HPy_Dup(ctx, arg);
            for (i = 0; i < 10; i++)
                HPy_Close(ctx, h[i]);
            HPy_Close(ctx, HPy_NULL);   /* closing HPy_NULL is allowed */
            return HPy_Dup(ctx, arg);
        }
        @EXPORT(f)
        @INIT
    """)
    import sys
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(100):
        assert mod.f(obj) is obj
    assert sys.getrefcount(obj) == before


def test_is_and_isnull(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
        {
            HPy null = HPy_NULL;
            long r = HPy_Is(ctx, args[0], args[1]) * 100
                   + HPy_IsNull(null) * 10
                   + HPy_IsNull(args[0]);
            return HPyLong_FromLong(ctx, r);
        }
        @EXPORT(f)
        @INIT
    """)
    o = object()
    assert mod.f(o, o) == 110
    assert mod.f(o, object()) == 10
    assert mod.f(None, None) == 110


def test_refcount_of_results(make_module):
    """Arguments are borrowed, results are owned: no leak, no double free."""
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
        {
            return HPy_Dup(ctx, args[0]);
        }
        HPyDef_METH(g, "g", HPyFunc_KEYWORDS)
        static HPy g_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs, HPy kwnames)
        {
            return HPy_Dup(ctx, args[0]);
        }
        @EXPORT(f)
        @EXPORT(g)
        @INIT
    """)
    import sys
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(50):
        mod.f(obj, obj)
        mod.g(obj, x=obj)
        mod.g(x=obj)
    assert sys.getrefcount(obj) == before
