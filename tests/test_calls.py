"""Calling module functions, in every calling convention and every way
CPython can call a builtin function.

In universal and hybrid mode, hpy.universal gives each HPyDef_METH function
of a module a direct vectorcall (crates/hpy-universal/src/method_call.rs);
calls of a shape the signature does not accept go to CPython's own
vectorcall. Whatever path a call takes, the function must behave exactly
like the same function built for the CPython ABI (an ordinary C-API
function): same results, same reference counts, same TypeErrors, same
attributes.
"""
import copy
import ctypes
import functools
import inspect
import pickle
import pydoc
import sys
import sysconfig
import types

import pytest

SRC = r"""
    HPyDef_METH(f_noargs, "f_noargs", HPyFunc_NOARGS,
                .doc = "f_noargs($module, /)\n--\n\nReturns the module.")
    static HPy f_noargs_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }

    HPyDef_METH(f_o, "f_o", HPyFunc_O,
                .doc = "f_o($module, x, /)\n--\n\nReturns x.")
    static HPy f_o_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_Dup(ctx, arg);
    }

    HPyDef_METH(f_varargs, "f_varargs", HPyFunc_VARARGS,
                .doc = "f_varargs($module, *args)\n--\n\nReturns args.")
    static HPy f_varargs_impl(HPyContext *ctx, HPy self, const HPy *args,
                              size_t nargs)
    {
        return HPyTuple_FromArray(ctx, args, (HPy_ssize_t)nargs);
    }

    /* Returns (all argument values, kwnames or None). */
    HPyDef_METH(f_keywords, "f_keywords", HPyFunc_KEYWORDS,
                .doc = "f_keywords($module, *args, **kwargs)\n--\n\nReturns them.")
    static HPy f_keywords_impl(HPyContext *ctx, HPy self, const HPy *args,
                               size_t nargs, HPy kwnames)
    {
        HPy_ssize_t nkw = 0;
        if (!HPy_IsNull(kwnames)) {
            nkw = HPy_Length(ctx, kwnames);
            if (nkw < 0)
                return HPy_NULL;
        }
        HPy all = HPyTuple_FromArray(ctx, args, (HPy_ssize_t)nargs + nkw);
        if (HPy_IsNull(all))
            return HPy_NULL;
        HPy items[2] = { all, HPy_IsNull(kwnames) ? ctx->h_None : kwnames };
        HPy result = HPyTuple_FromArray(ctx, items, 2);
        HPy_Close(ctx, all);
        return result;
    }

    /* f_raise(None) returns NULL without an exception, f_raise(x) raises
       ValueError. */
    HPyDef_METH(f_raise, "f_raise", HPyFunc_O)
    static HPy f_raise_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        if (HPy_Is(ctx, arg, ctx->h_None))
            return HPy_NULL;
        HPyErr_SetString(ctx, ctx->h_ValueError, "f_raise failed");
        return HPy_NULL;
    }

    /* f_call(callable, *args, **kwargs): callable(*args, **kwargs) from C,
       through HPy_Call (PyObject_Vectorcall). */
    HPyDef_METH(f_call, "f_call", HPyFunc_KEYWORDS)
    static HPy f_call_impl(HPyContext *ctx, HPy self, const HPy *args,
                           size_t nargs, HPy kwnames)
    {
        if (nargs < 1) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "f_call needs a callable");
            return HPy_NULL;
        }
        return HPy_Call(ctx, args[0], args + 1, nargs - 1, kwnames);
    }

    /* Each calls itself (looked up in the module) for ever, from C: only
       the recursion check of the call path can stop them. */
    HPyDef_METH(rec_noargs, "rec_noargs", HPyFunc_NOARGS)
    static HPy rec_noargs_impl(HPyContext *ctx, HPy self)
    {
        HPy f = HPy_GetAttr_s(ctx, self, "rec_noargs");
        if (HPy_IsNull(f))
            return HPy_NULL;
        HPy result = HPy_Call(ctx, f, NULL, 0, HPy_NULL);
        HPy_Close(ctx, f);
        return result;
    }

    HPyDef_METH(rec_o, "rec_o", HPyFunc_O)
    static HPy rec_o_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy f = HPy_GetAttr_s(ctx, self, "rec_o");
        if (HPy_IsNull(f))
            return HPy_NULL;
        HPy result = HPy_Call(ctx, f, &arg, 1, HPy_NULL);
        HPy_Close(ctx, f);
        return result;
    }

    HPyDef_METH(rec_varargs, "rec_varargs", HPyFunc_VARARGS)
    static HPy rec_varargs_impl(HPyContext *ctx, HPy self, const HPy *args,
                                size_t nargs)
    {
        HPy f = HPy_GetAttr_s(ctx, self, "rec_varargs");
        if (HPy_IsNull(f))
            return HPy_NULL;
        HPy result = HPy_Call(ctx, f, args, nargs, HPy_NULL);
        HPy_Close(ctx, f);
        return result;
    }

    HPyDef_METH(rec_keywords, "rec_keywords", HPyFunc_KEYWORDS)
    static HPy rec_keywords_impl(HPyContext *ctx, HPy self, const HPy *args,
                                 size_t nargs, HPy kwnames)
    {
        HPy f = HPy_GetAttr_s(ctx, self, "rec_keywords");
        if (HPy_IsNull(f))
            return HPy_NULL;
        HPy result = HPy_Call(ctx, f, args, nargs, kwnames);
        HPy_Close(ctx, f);
        return result;
    }

    /* The name of the context a function is called with, and the one the
       exec slot ran with (stored as `exec_ctx_name`). */
    HPyDef_METH(ctx_name, "ctx_name", HPyFunc_NOARGS)
    static HPy ctx_name_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, ctx->name);
    }

    HPyDef_SLOT(exec_name, HPy_mod_exec)
    static int exec_name_impl(HPyContext *ctx, HPy mod)
    {
        HPy name = HPyUnicode_FromString(ctx, ctx->name);
        if (HPy_IsNull(name))
            return -1;
        int r = HPy_SetAttr_s(ctx, mod, "exec_ctx_name", name);
        HPy_Close(ctx, name);
        return r;
    }

    @EXPORT(f_noargs)
    @EXPORT(f_o)
    @EXPORT(f_varargs)
    @EXPORT(f_keywords)
    @EXPORT(f_raise)
    @EXPORT(f_call)
    @EXPORT(rec_noargs)
    @EXPORT(rec_o)
    @EXPORT(rec_varargs)
    @EXPORT(rec_keywords)
    @EXPORT(ctx_name)
    @EXPORT(exec_name)
    @INIT
"""

FUNCS = ['f_noargs', 'f_o', 'f_varargs', 'f_keywords']


@pytest.fixture
def mod(make_module):
    return make_module(SRC)


@pytest.fixture
def ref(compiler):
    """The same module built for the CPython ABI: ordinary C-API functions."""
    return compiler.load_module(compiler.compile_module(SRC, 'cpython'))


def outcome(call):
    """What a call gives: ('ok', result) or (exception type, message)."""
    try:
        return ('ok', call())
    except Exception as e:
        return (type(e), str(e))


# Every way of calling that the tests use: (label, call(f, args, kwargs)).
# They reach the function as a plain CALL (specialized by CPython 3.11+),
# PyObject_Call with a tuple and a dict, functools.partial, map and a call
# from C (HPy_Call -> PyObject_Vectorcall).
def _call_direct(f, args, kwargs):
    n = len(args)
    if kwargs:
        return f(*args, **kwargs)
    if n == 0:
        return f()
    if n == 1:
        return f(args[0])
    if n == 2:
        return f(args[0], args[1])
    return f(args[0], args[1], args[2])


CALLERS = [
    ('direct', _call_direct),
    ('star', lambda f, args, kwargs: f(*args, **kwargs)),
    ('partial', lambda f, args, kwargs: functools.partial(f)(*args, **kwargs)),
    ('partial-bound', lambda f, args, kwargs: (
        functools.partial(f, *args, **kwargs)())),
    ('map', lambda f, args, kwargs: (
        next(map(f, *[[a] for a in args])) if args and not kwargs
        else f(*args, **kwargs))),
    ('from-C', None),   # filled in per module: mod.f_call(f, *args, **kwargs)
]

# (function, args, kwargs) for valid calls and calls of the wrong shape.
SHAPES = [
    ('f_noargs', (), {}),
    ('f_noargs', (1,), {}),
    ('f_noargs', (1, 2), {}),
    ('f_noargs', (), {'x': 1}),
    ('f_o', (7,), {}),
    ('f_o', (), {}),
    ('f_o', (1, 2), {}),
    ('f_o', (), {'x': 1}),
    ('f_o', (1,), {'x': 1}),
    ('f_varargs', (), {}),
    ('f_varargs', (1,), {}),
    ('f_varargs', (1, 2, 3), {}),
    ('f_varargs', (), {'x': 1}),
    ('f_varargs', (1, 2), {'x': 1, 'y': 2}),
    ('f_keywords', (), {}),
    ('f_keywords', (1, 2), {}),
    ('f_keywords', (), {'x': 1}),
    ('f_keywords', (1, 2), {'x': 3, 'y': 4}),
]


def make_caller(m, label, caller):
    if label == 'from-C':
        return lambda f, args, kwargs: m.f_call(f, *args, **kwargs)
    return caller


@pytest.mark.parametrize('label,caller', CALLERS, ids=[c[0] for c in CALLERS])
def test_results_and_errors_match_the_cpython_abi(mod, ref, label, caller):
    for name, args, kwargs in SHAPES:
        got = outcome(lambda: make_caller(mod, label, caller)(
            getattr(mod, name), args, kwargs))
        want = outcome(lambda: make_caller(ref, label, caller)(
            getattr(ref, name), args, kwargs))
        if name == 'f_noargs' and got[0] == 'ok':
            # the module itself: each build returns its own
            assert got[1] is mod and want[1] is ref
            continue
        assert got == want, (label, name, args, kwargs)


def test_results(mod):
    assert mod.f_noargs() is mod
    assert mod.f_o(42) == 42
    x = object()
    assert mod.f_o(x) is x
    assert mod.f_varargs() == ()
    assert mod.f_varargs(1, 'a', None) == (1, 'a', None)
    assert mod.f_keywords() == ((), None)
    assert mod.f_keywords(1, 2) == ((1, 2), None)
    assert mod.f_keywords(1, b=2, a=3) == ((1, 2, 3), ('b', 'a'))
    assert mod.f_keywords(*[1, 2], **{'c': 3}) == ((1, 2, 3), ('c',))
    # empty keyword dicts are no keywords
    assert mod.f_noargs(**{}) is mod
    assert mod.f_o(5, **{}) == 5
    assert mod.f_varargs(*(1, 2), **{}) == (1, 2)
    p = functools.partial(mod.f_keywords, 1, a=2)
    assert p(3, b=4) == ((1, 3, 2, 4), ('a', 'b'))
    assert list(map(mod.f_o, [1, 2, 3])) == [1, 2, 3]
    assert list(map(mod.f_varargs, [1, 2], 'ab')) == [(1, 'a'), (2, 'b')]
    assert sorted([3, 1, 2], key=mod.f_o) == [1, 2, 3]
    assert mod.f_call(mod.f_varargs, 1, 2) == (1, 2)
    assert mod.f_call(mod.f_keywords, 1, k=2) == ((1, 2), ('k',))
    assert mod.f_call(mod.f_noargs) is mod


def test_exact_type_error_messages(mod):
    # the messages of CPython's own vectorcalls for builtin functions, which
    # name them with their module (CPython 3.9+)
    qual = 'mytest.'
    cases = [
        (lambda: mod.f_noargs(1), '%sf_noargs() takes no arguments (1 given)'),
        (lambda: mod.f_noargs(x=1), '%sf_noargs() takes no keyword arguments'),
        (lambda: mod.f_o(), '%sf_o() takes exactly one argument (0 given)'),
        (lambda: mod.f_o(1, 2), '%sf_o() takes exactly one argument (2 given)'),
        (lambda: mod.f_o(x=1), '%sf_o() takes no keyword arguments'),
        (lambda: mod.f_varargs(1, x=2), '%sf_varargs() takes no keyword arguments'),
    ]
    for call, message in cases:
        with pytest.raises(TypeError) as exc:
            call()
        assert str(exc.value) == message % qual


def test_same_messages_as_builtins_of_the_same_convention(mod):
    # globals: METH_NOARGS, abs: METH_O, getattr: METH_FASTCALL
    def message(call, name, builtin_name):
        try:
            call()
        except TypeError as e:
            text = str(e).replace('mytest.', '').replace('builtins.', '')
            return text.replace(name, 'F').replace(builtin_name, 'F')
        raise AssertionError('no TypeError')

    assert (message(lambda: mod.f_noargs(1), 'f_noargs', 'globals')
            == message(lambda: globals(1), 'f_noargs', 'globals'))
    assert (message(lambda: mod.f_o(1, 2), 'f_o', 'abs')
            == message(lambda: abs(1, 2), 'f_o', 'abs'))
    assert (message(lambda: mod.f_o(), 'f_o', 'abs')
            == message(lambda: abs(), 'f_o', 'abs'))
    assert (message(lambda: mod.f_o(x=1), 'f_o', 'abs')
            == message(lambda: abs(x=1), 'f_o', 'abs'))
    assert (message(lambda: mod.f_varargs(x=1), 'f_varargs', 'getattr')
            == message(lambda: getattr(x=1), 'f_varargs', 'getattr'))


def test_exceptions_from_the_function(mod, ref):
    with pytest.raises(ValueError, match='f_raise failed'):
        mod.f_raise(1)
    with pytest.raises(ValueError, match='f_raise failed'):
        mod.f_raise(*(1,))
    # NULL without an exception: CPython's SystemError, as for a C function
    got = outcome(lambda: mod.f_raise(None))
    want = outcome(lambda: ref.f_raise(None))
    assert got[0] is SystemError
    assert got == want


def test_refcounts_are_stable(mod):
    x = object()
    y = object()
    f_noargs, f_o, f_varargs, f_keywords = (getattr(mod, n) for n in FUNCS)
    p = functools.partial(f_keywords, x)
    counts = lambda: [sys.getrefcount(o) for o in (x, y, mod, f_o, f_varargs)]

    def calls():
        f_noargs()
        f_noargs(*())
        f_o(x)
        f_o(*(x,))
        f_varargs(x, y)
        f_varargs(*(x, y, x))
        f_keywords(x, k=y)
        f_keywords(*(x,), **{'k': y})
        p(y, k=x)
        list(map(f_o, [x, y]))
        mod.f_call(f_varargs, x, y)
        mod.f_call(f_keywords, x, k=y)
        for bad in (lambda: f_noargs(x), lambda: f_o(x, y), lambda: f_o(k=x),
                    lambda: f_varargs(x, k=y), lambda: mod.f_raise(x),
                    lambda: f_o(*(x, y)), lambda: f_noargs(**{'k': x})):
            try:
                bad()
            except (TypeError, ValueError):
                pass

    calls()                 # warm up (specialization, caches)
    before = counts()
    for _ in range(200):
        calls()
    assert counts() == before
    # a result holds one reference, which goes away with it
    x_count, y_count = sys.getrefcount(x), sys.getrefcount(y)
    r = f_o(x)
    assert sys.getrefcount(x) == x_count + 1
    del r
    r = f_keywords(x, k=y)
    assert sys.getrefcount(y) == y_count + 1
    del r
    assert counts() == before


def test_attributes_are_those_of_a_builtin_function(mod, ref):
    for name in FUNCS + ['f_raise', 'f_call']:
        f, g = getattr(mod, name), getattr(ref, name)
        assert type(f) is types.BuiltinFunctionType
        assert isinstance(f, types.BuiltinMethodType)
        assert f.__self__ is mod
        assert f.__module__ == 'mytest'
        for attr in ('__name__', '__qualname__', '__doc__', '__text_signature__',
                     '__module__'):
            assert getattr(f, attr) == getattr(g, attr), (name, attr)
        assert repr(f) == repr(g) == '<built-in function %s>' % name
        assert f.__reduce__() == g.__reduce__() == name
        assert copy.copy(f) is f and copy.deepcopy(f) is f
        assert f == getattr(mod, name) and hash(f) == hash(getattr(mod, name))
        assert f != g
    assert mod.f_o.__doc__ == 'Returns x.'
    assert mod.f_o.__text_signature__ == '($module, x, /)'
    assert str(inspect.signature(mod.f_o)) == '(x, /)'
    assert str(inspect.signature(mod.f_keywords)) == '(*args, **kwargs)'
    assert mod.f_o != mod.f_varargs
    assert (pydoc.render_doc(mod.f_o, renderer=pydoc.plaintext)
            == pydoc.render_doc(ref.f_o, renderer=pydoc.plaintext))


def test_pickle(mod, monkeypatch):
    monkeypatch.setitem(sys.modules, 'mytest', mod)
    for name in FUNCS:
        f = getattr(mod, name)
        assert pickle.loads(pickle.dumps(f)) is f


def test_profile_events_match_the_cpython_abi(mod, ref):
    # sys.setprofile sees the same C-function events on every call path
    def events(m):
        seen = []

        def profile(frame, event, arg):
            if event.startswith('c_'):
                seen.append((event, getattr(arg, '__name__', None)))

        sys.setprofile(profile)
        try:
            m.f_o(1)
            m.f_o(*(1,))
            m.f_varargs(1, 2)
            m.f_keywords(1, k=2)
            try:
                m.f_o(1, 2)
            except TypeError:
                pass
            try:
                m.f_raise(1)
            except ValueError:
                pass
        finally:
            sys.setprofile(None)
        return seen

    got, want = events(mod), events(ref)
    assert got == want
    assert ('c_call', 'f_o') in got


def test_runaway_recursion_from_c_is_a_recursion_error(mod):
    # CPython's vectorcalls of builtin functions count C recursion; so does
    # the direct path, or these would overflow the C stack.
    with pytest.raises(RecursionError):
        mod.rec_noargs()
    with pytest.raises(RecursionError):
        mod.rec_o(1)
    with pytest.raises(RecursionError):
        mod.rec_varargs(1, 2)
    with pytest.raises(RecursionError):
        mod.rec_keywords(1, k=2)
    # and the counter is back where it was
    assert mod.f_o(3) == 3


def test_functions_get_the_context_of_the_module(mod):
    assert mod.ctx_name() == mod.exec_ctx_name
    assert mod.f_call(mod.ctx_name) == mod.exec_ctx_name


def test_each_load_has_its_own_functions(make_module):
    m1 = make_module(SRC)
    m2 = make_module(SRC)
    assert m1 is not m2
    assert m1.f_noargs() is m1
    assert m2.f_noargs() is m2
    assert m1.f_noargs != m2.f_noargs
    assert m1.f_o.__self__ is m1 and m2.f_o.__self__ is m2


def test_attribute_replaced_by_an_exec_slot(make_module):
    # The function is found by name: an exec slot that moved it elsewhere
    # leaves it on CPython's own call path, working as before.
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_Dup(ctx, arg);
        }

        HPyDef_SLOT(swap, HPy_mod_exec)
        static int swap_impl(HPyContext *ctx, HPy mod)
        {
            HPy f = HPy_GetAttr_s(ctx, mod, "f");
            if (HPy_IsNull(f))
                return -1;
            int r = HPy_SetAttr_s(ctx, mod, "g", f);
            HPy_Close(ctx, f);
            if (r < 0)
                return -1;
            return HPy_SetAttr_s(ctx, mod, "f", ctx->h_None);
        }

        @EXPORT(f)
        @EXPORT(swap)
        @INIT
    """)
    assert mod.f is None
    assert mod.g(5) == 5
    assert mod.g(*(6,)) == 6
    with pytest.raises(TypeError, match='takes exactly one argument'):
        mod.g()
    if VECTORCALL_READABLE:
        assert vectorcall_of(mod.g) == vectorcall_of(abs)


# ---------------------------------------------------------------------------
# Which path: the universal and hybrid functions really have a vectorcall of
# their own (so the tests above exercise it), CPython-ABI ones CPython's.
# ---------------------------------------------------------------------------

# PyCFunctionObject: PyObject_HEAD, m_ml, m_self, m_module, m_weakreflist,
# vectorcall -- the same on CPython 3.9-3.13 (not in free-threaded builds).
VECTORCALL_READABLE = (sys.implementation.name == 'cpython'
                       and not sysconfig.get_config_var('Py_GIL_DISABLED'))
VECTORCALL_OFFSET = 2 * ctypes.sizeof(ctypes.c_void_p) + 4 * ctypes.sizeof(ctypes.c_void_p)


def vectorcall_of(f):
    assert type(f) is types.BuiltinFunctionType
    return ctypes.c_void_p.from_address(id(f) + VECTORCALL_OFFSET).value


@pytest.mark.skipif(not VECTORCALL_READABLE, reason='CPython layout only')
def test_direct_call_path_is_installed(mod, hpy_abi):
    # builtins of the same calling conventions, for CPython's vectorcalls
    same_convention = {
        'f_noargs': globals,      # METH_NOARGS
        'f_o': abs,               # METH_O
        'f_varargs': getattr,     # METH_FASTCALL
        'f_keywords': sorted,     # METH_FASTCALL | METH_KEYWORDS
    }
    for name, builtin in same_convention.items():
        ours = vectorcall_of(getattr(mod, name))
        cpythons = vectorcall_of(builtin)
        if hpy_abi in ('universal', 'hybrid'):
            assert ours != cpythons, name
        else:
            assert ours == cpythons, name
    if hpy_abi in ('universal', 'hybrid'):
        # one function per convention, shared by all functions of that one
        assert vectorcall_of(mod.f_o) == vectorcall_of(mod.f_raise)
        assert vectorcall_of(mod.f_keywords) == vectorcall_of(mod.f_call)
        assert len({vectorcall_of(getattr(mod, n)) for n in FUNCS}) == 4
