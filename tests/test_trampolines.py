"""The trampoline path of every calling convention.

In universal and hybrid mode hpy.universal gives each module function a
direct call path once the module exists (see test_calls.py). A function
that an exec slot moves to another name is not switched: it keeps CPython's
own call path into the extension's trampoline, which in universal and
hybrid mode calls ctx_CallRealFunctionFromTrampoline -- the path that every
call takes in other HPy runtimes and for slots. These tests call the four
conventions through it.
"""
import sys

import pytest

SOURCE = """
    HPyDef_METH(f_noargs, "f_noargs", HPyFunc_NOARGS)
    static HPy f_noargs_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, "noargs");
    }

    HPyDef_METH(f_o, "f_o", HPyFunc_O)
    static HPy f_o_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_Add(ctx, arg, arg);
    }

    HPyDef_METH(f_varargs, "f_varargs", HPyFunc_VARARGS)
    static HPy f_varargs_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        return HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
    }

    HPyDef_METH(f_keywords, "f_keywords", HPyFunc_KEYWORDS)
    static HPy f_keywords_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                               HPy kwnames)
    {
        HPy pos = HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
        if (HPy_IsNull(pos))
            return HPy_NULL;
        HPy names = HPy_IsNull(kwnames) ? HPy_Dup(ctx, ctx->h_None) : HPy_Dup(ctx, kwnames);
        HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
        HPy values = HPyTuple_FromArray(ctx, (HPy *)args + nargs, nkw);
        HPy result = HPy_BuildValue(ctx, "OOO", pos, names, values);
        HPy_Close(ctx, pos);
        HPy_Close(ctx, names);
        HPy_Close(ctx, values);
        return result;
    }

    /* Moves each f_X to t_X before the runtime switches the functions. */
    HPyDef_SLOT(move, HPy_mod_exec)
    static int move_impl(HPyContext *ctx, HPy mod)
    {
        static const char *names[][2] = {
            {"f_noargs", "t_noargs"}, {"f_o", "t_o"},
            {"f_varargs", "t_varargs"}, {"f_keywords", "t_keywords"},
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            HPy f = HPy_GetAttr_s(ctx, mod, names[i][0]);
            if (HPy_IsNull(f))
                return -1;
            int r = HPy_SetAttr_s(ctx, mod, names[i][1], f);
            HPy_Close(ctx, f);
            if (r < 0 || HPy_SetAttr_s(ctx, mod, names[i][0], ctx->h_None) < 0)
                return -1;
        }
        return 0;
    }

    @EXPORT(f_noargs)
    @EXPORT(f_o)
    @EXPORT(f_varargs)
    @EXPORT(f_keywords)
    @EXPORT(move)
    @INIT
"""


@pytest.fixture
def mod(make_module):
    return make_module(SOURCE)


def test_noargs(mod):
    assert mod.t_noargs() == 'noargs'
    with pytest.raises(TypeError, match='takes no arguments'):
        mod.t_noargs(1)


def test_o(mod):
    assert mod.t_o(21) == 42
    assert mod.t_o('ab') == 'abab'
    with pytest.raises(TypeError, match='takes exactly one argument'):
        mod.t_o(1, 2)
    with pytest.raises(TypeError):
        mod.t_o(None)            # None + None, raised inside the HPy function


def test_varargs(mod):
    assert mod.t_varargs() == ()
    assert mod.t_varargs(1, 'a', None) == (1, 'a', None)
    assert mod.t_varargs(*range(20)) == tuple(range(20))
    with pytest.raises(TypeError, match='takes no keyword arguments'):
        mod.t_varargs(a=1)


def test_keywords(mod):
    assert mod.t_keywords() == ((), None, ())
    assert mod.t_keywords(1, 2) == ((1, 2), None, ())
    assert mod.t_keywords(1, b=2, c=3) == ((1,), ('b', 'c'), (2, 3))
    assert mod.t_keywords(**{'x': 'y'}) == ((), ('x',), ('y',))


def test_refcounts_are_stable(mod):
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(100):
        mod.t_varargs(obj, obj)
        mod.t_keywords(obj, k=obj)
        mod.t_o([obj])
        mod.t_noargs()
    assert sys.getrefcount(obj) == before


def test_cpython_calls_them_as_any_builtin(mod):
    # Their vectorcall is CPython's own for the convention (that of a
    # builtin of the same convention): nothing of the direct call path.
    import ctypes
    import sysconfig
    import types
    if sysconfig.get_config_var('Py_GIL_DISABLED'):
        pytest.skip('PyCFunctionObject layout differs in free-threaded builds')
    # PyCFunctionObject: PyObject_HEAD (2 words), m_ml, m_self, m_module,
    # m_weakreflist, vectorcall
    offset = 6 * ctypes.sizeof(ctypes.c_void_p)

    def vectorcall_of(f):
        assert type(f) is types.BuiltinFunctionType
        return ctypes.c_void_p.from_address(id(f) + offset).value

    assert vectorcall_of(mod.t_noargs) == vectorcall_of(globals)   # METH_NOARGS
    assert vectorcall_of(mod.t_o) == vectorcall_of(abs)            # METH_O
    assert vectorcall_of(mod.t_varargs) == vectorcall_of(getattr)  # METH_FASTCALL
    assert vectorcall_of(mod.t_keywords) == vectorcall_of(print)   # | METH_KEYWORDS
