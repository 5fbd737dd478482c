"""Calling module functions, in every calling convention and every way
CPython can call a builtin function.

In universal and hybrid mode, hpy.universal gives each HPyDef_METH function
of a module a direct vectorcall (crates/hpy-universal/src/method_call.rs);
calls of a shape the signature does not accept go to CPython's own
vectorcall. Its C function (`ml_meth`, which CPython 3.11+ calls itself at
specialized call sites) becomes a thunk of hpy.universal's pool
(method_call/thunks.rs) instead of the extension's trampoline, or stays the
trampoline once the pool is used up. Whatever path a call takes, the
function must behave exactly like the same function built for the CPython
ABI (an ordinary C-API function): same results, same reference counts, same
TypeErrors, same attributes.
"""
import copy
import ctypes
import ctypes.util
import dis
import functools
import inspect
import json
import os
import pickle
import pydoc
import sys
import sysconfig
import types

import pytest

import support

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
        return HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
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
        HPy all = HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs + nkw);
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
    # more arguments than debug mode's direct call keeps on its stack (8)
    many = tuple(range(20))
    assert mod.f_varargs(*many) == many
    assert mod.f_keywords(*many[:10], **{f'k{i}': i for i in range(10)}) == (
        many[:10] + tuple(range(10)), tuple(f'k{i}' for i in range(10)))


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


@pytest.mark.skipif(hasattr(sys, 'gettotalrefcount'), reason=(
    'a debug CPython aborts (Py_FatalError, by design) when a function returns '
    'NULL without an exception, for C functions as for ours'))
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
    for name in FUNCS + ['f_raise', 'f_call']:
        f = getattr(mod, name)
        assert f.__reduce__() == name
        assert f.__reduce_ex__(2) == name
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            g = pickle.loads(pickle.dumps(f, protocol))
            assert g is f
            assert g == f and hash(g) == hash(f)


def test_equality_and_hash(mod, make_module):
    # CPython compares builtin functions by __self__ and C function
    # (ml_meth), and hashes both: two lookups are the same object, two
    # functions of one module differ, as do the same function of two loads
    # (which share their thunk: the same C function, another __self__).
    for name in FUNCS:
        f, g = getattr(mod, name), getattr(mod, name)
        assert f is g and f == g and hash(f) == hash(g)
        assert not (f != g)
    funcs = [getattr(mod, n) for n in FUNCS + ['f_raise', 'f_call']]
    assert len(set(funcs)) == len(funcs)
    other = make_module(SRC)
    for name in FUNCS:
        assert getattr(other, name) != getattr(mod, name)
    d = {mod.f_o: 1, other.f_o: 2}
    assert d[mod.f_o] == 1 and d[other.f_o] == 2


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
# the modes whose module functions get the runtime's call path (trace mode
# passes its context, its handles are the universal ones; debug mode opens
# debug handles for the arguments in its own, method_call.rs)
DIRECT_CALL_ABIS = ('universal', 'hybrid', 'trace', 'hybrid+trace', 'debug', 'hybrid+debug')
# the modes whose `ml_meth` is a thunk of the runtime (debug mode keeps the
# trampoline: the thunks pass universal handles)
THUNK_ABIS = ('universal', 'hybrid', 'trace', 'hybrid+trace')
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
        if hpy_abi in DIRECT_CALL_ABIS:
            assert ours != cpythons, name
        else:
            assert ours == cpythons, name
    if hpy_abi in DIRECT_CALL_ABIS:
        # one function per convention, shared by all functions of that one
        assert vectorcall_of(mod.f_o) == vectorcall_of(mod.f_raise)
        assert vectorcall_of(mod.f_keywords) == vectorcall_of(mod.f_call)
        assert len({vectorcall_of(getattr(mod, n)) for n in FUNCS}) == 4


# ---------------------------------------------------------------------------
# Which C function: `ml_meth` of a universal or hybrid function is a thunk
# of hpy.universal (method_call/thunks.rs), not the trampoline in the extension.
# ---------------------------------------------------------------------------

POINTER = ctypes.sizeof(ctypes.c_void_p)


def ml_meth_of(f):
    """The C function of a builtin function: m_ml->ml_meth (PyCFunctionObject:
    PyObject_HEAD, m_ml; PyMethodDef: ml_name, ml_meth)."""
    assert type(f) is types.BuiltinFunctionType
    ml = ctypes.c_void_p.from_address(id(f) + 2 * POINTER).value
    return ctypes.c_void_p.from_address(ml + POINTER).value


class _DlInfo(ctypes.Structure):
    _fields_ = [('dli_fname', ctypes.c_char_p), ('dli_fbase', ctypes.c_void_p),
                ('dli_sname', ctypes.c_char_p), ('dli_saddr', ctypes.c_void_p)]


def _find_dladdr():
    for lib in (None, ctypes.util.find_library('dl')):
        try:
            dladdr = ctypes.CDLL(lib).dladdr
        except (OSError, AttributeError):
            continue
        dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
        dladdr.restype = ctypes.c_int
        return dladdr
    return None


_dladdr = _find_dladdr() if VECTORCALL_READABLE else None


def library_of(address):
    """The real path of the shared object that holds `address`."""
    info = _DlInfo()
    assert _dladdr(address, ctypes.byref(info)), hex(address)
    return os.path.realpath(os.fsdecode(info.dli_fname))


def universal_library():
    import hpy.universal
    return os.path.realpath(hpy.universal.__file__)


needs_layout = pytest.mark.skipif(
    not VECTORCALL_READABLE or _dladdr is None,
    reason='CPython layout and dladdr only')


# Run in a fresh interpreter, whose thunk pools are full: the suite's
# process may have used up a pool (modules of earlier tests keep their
# thunks), and then a define keeps its trampoline, rightly.
WHERE_SCRIPT = r"""
import json, sys
sys.path.insert(0, %(tests)r)
import support
from test_calls import ml_meth_of, library_of, universal_library
mod = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
again = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
names = %(names)r
print(json.dumps({
    'universal': universal_library(),
    'where': [library_of(ml_meth_of(getattr(mod, n))) for n in names],
    'same': [ml_meth_of(getattr(again, n)) == ml_meth_of(getattr(mod, n))
             for n in names],
    'distinct': len({ml_meth_of(getattr(mod, n)) for n in names}),
}))
"""


@needs_layout
def test_c_function_is_a_thunk_of_the_runtime(compiler, hpy_abi):
    module = compiler.compile_module(SRC, hpy_abi)
    ext = os.path.realpath(module.so_filename)
    names = FUNCS + ['f_raise', 'f_call', 'rec_o', 'ctx_name']
    code = WHERE_SCRIPT % {
        'tests': os.path.dirname(os.path.abspath(__file__)),
        'path': module.so_filename, 'name': module.name, 'hpy_abi': hpy_abi,
        'names': names}
    p = support.run_python(code)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    for name, where in zip(names, got['where']):
        if hpy_abi in THUNK_ABIS:
            assert where == got['universal'], name
        else:
            # the extension's own trampoline; in debug mode the file may
            # come from the loader's private copy, which has the same name
            assert os.path.basename(where) == os.path.basename(ext), name
    # the same function of a module loaded again: the same C function
    assert all(got['same']), got['same']
    # one C function per define
    assert got['distinct'] == len(names)


IMPL_SHARED = """
    /* two defines, one HPy function (the second spelled out: a second
       HPyDef_METH_IMPL would declare the function again) */
    HPyDef_METH_IMPL(first, "first", same_impl, HPyFunc_O)
    HPyFunc_TRAMPOLINE(second_trampoline, same_impl, HPyFunc_O)
    HPyDef second = {
        .kind = HPyDef_Kind_Meth,
        .meth = {
            .name = "second",
            .impl = (HPyCFunction)same_impl,
            .cpy_trampoline = (cpy_PyCFunction)(void (*)(void))second_trampoline,
            .signature = HPyFunc_O,
        }
    };
    static HPy same_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_Dup(ctx, arg);
    }

    @EXPORT(first)
    @EXPORT(second)
    @INIT
"""


def test_two_defines_of_one_function_stay_two_functions(make_module):
    # each define has its own trampoline, so CPython-ABI functions differ;
    # so do the universal ones (each define gets its own thunk)
    mod = make_module(IMPL_SHARED)
    assert mod.first(1) == mod.second(1) == 1
    assert mod.first(*(2,)) == mod.second(*(2,)) == 2
    assert mod.first != mod.second
    if VECTORCALL_READABLE:
        assert ml_meth_of(mod.first) != ml_meth_of(mod.second)


# Call sites that CPython 3.11+ specializes: each calls one function with a
# fixed number of arguments, as in ordinary code.
def _site_noargs(f):
    return f()


def _site_one(f, x):
    return f(x)


def _site_two(f, x, y):
    return f(x, y)


def _site_kw(f, x, y):
    return f(x, k=y)


SPECIALIZED = {
    # function: (call site, arguments, part of the specialized opname on
    # 3.11, 3.12 and 3.13)
    'f_o': (_site_one, (7,), 'BUILTIN_O'),
    'f_varargs': (_site_two, (1, 2), 'BUILTIN_FAST'),
    'f_keywords': (_site_two, (1, 2), 'BUILTIN_FAST_WITH_KEYWORDS'),
}


def _opnames(func):
    return {i.opname for i in dis.get_instructions(func, adaptive=True)}


def test_specialized_call_sites(mod, ref):
    # CPython 3.11+ turns these sites into direct calls of ml_meth (the
    # thunk); on 3.9/3.10 they are plain calls through the vectorcall.
    for name, (site, args, opname) in SPECIALIZED.items():
        f, g = getattr(mod, name), getattr(ref, name)
        for _ in range(200):
            got = site(f, *args)
        assert got == site(g, *args), name
        if sys.version_info >= (3, 11):
            assert any(opname in o for o in _opnames(site)), (name, _opnames(site))
    for _ in range(200):
        r = _site_kw(mod.f_keywords, 1, 2)
    assert r == ((1, 2), ('k',))
    for _ in range(200):
        r = _site_noargs(mod.f_noargs)
    assert r is mod


def test_specialized_sites_given_other_functions(mod, ref):
    # A site specialized for one function and then given another (of
    # another signature, or with the wrong argument count for it) falls
    # back to the generic call, and so to CPython's errors.
    def run(m):
        results = []
        for site, nargs in ((_site_noargs, 0), (_site_one, 1), (_site_two, 2)):
            warm = {0: m.f_noargs, 1: m.f_o, 2: m.f_varargs}[nargs]
            for _ in range(100):
                outcome(lambda: site(warm, *range(nargs)))
            for name in FUNCS + ['f_raise']:
                for _ in range(3):
                    r = outcome(lambda: site(getattr(m, name), *range(nargs)))
                    if r == ('ok', m):
                        r = ('ok', 'the module')
                    results.append((site.__name__, name, r))
        return results

    assert run(mod) == run(ref)


# ---------------------------------------------------------------------------
# A used-up pool: functions past it keep their trampolines and work alike.
# Each case runs in a fresh interpreter: the pool is per process.
# ---------------------------------------------------------------------------

POOL_SIZE = 256     # method_call/thunks.rs


def many_functions_src(count):
    """`count` functions of each signature (nI, oI, vI, kI); function I
    returns (I, *arguments), keyword values included."""
    lines = [TAGGED]
    bodies = [
        ('n', 'HPyFunc_NOARGS', '(HPyContext *ctx, HPy self)',
         'tagged(ctx, %d, NULL, 0)'),
        ('o', 'HPyFunc_O', '(HPyContext *ctx, HPy self, HPy arg)',
         'tagged(ctx, %d, &arg, 1)'),
        ('v', 'HPyFunc_VARARGS',
         '(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)',
         'tagged(ctx, %d, args, (HPy_ssize_t)nargs)'),
        ('k', 'HPyFunc_KEYWORDS',
         '(HPyContext *ctx, HPy self, const HPy *args, size_t nargs, HPy kwnames)',
         'tagged(ctx, %d, args, (HPy_ssize_t)nargs + nkw(ctx, kwnames))'),
    ]
    exports = []
    for prefix, sig, params, body in bodies:
        for i in range(count):
            sym = '%s%d' % (prefix, i)
            lines.append('HPyDef_METH(%s, "%s", %s)' % (sym, sym, sig))
            lines.append('static HPy %s_impl%s { return %s; }' % (sym, params, body % i))
            exports.append('@EXPORT(%s)' % sym)
    return '\n'.join(lines + exports + ['@INIT']) + '\n'


TAGGED = """
static HPy tagged(HPyContext *ctx, HPy_ssize_t i, const HPy *args, HPy_ssize_t n)
{
    HPy items[8];
    if (n > 7) {
        HPyErr_SetString(ctx, ctx->h_ValueError, "too many");
        return HPy_NULL;
    }
    items[0] = HPyLong_FromSsize_t(ctx, i);
    if (HPy_IsNull(items[0]))
        return HPy_NULL;
    for (HPy_ssize_t k = 0; k < n; k++)
        items[k + 1] = args[k];
    HPy result = HPyTuple_FromArray(ctx, items, n + 1);
    HPy_Close(ctx, items[0]);
    return result;
}

static HPy_ssize_t nkw(HPyContext *ctx, HPy kwnames)
{
    return HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
}
"""

# Run in the fresh interpreter: loads the module `loads` times, calls each
# function in several ways (specialized sites included) and with a wrong
# argument count, and prints per load and per signature how many functions
# have a thunk (ml_meth in hpy.universal) and how many their trampoline
# (ml_meth in the extension), and where the first five have theirs.
MANY_SCRIPT = r"""
import json, os, sys
sys.path.insert(0, %(tests)r)
import support
from test_calls import ml_meth_of, library_of, universal_library, outcome

def site_none(f):
    return f()

def site_one(f, x):
    return f(x)

def site_two(f, x, y):
    return f(x, y)

ext = os.path.realpath(%(path)r)
report = []
for load in range(%(loads)d):
    m = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
    where = {}
    for prefix in 'novk':
        for i in range(%(count)d):
            f = getattr(m, '%%s%%d' %% (prefix, i))
            lib = library_of(ml_meth_of(f))
            kind = ('thunk' if lib == universal_library()
                    else 'trampoline' if lib == ext else lib)
            where.setdefault(prefix, []).append(kind)
            if prefix == 'n':
                for _ in range(20):
                    site_none(f)
                got = [f(), f(*()), f(**{}), site_none(f)]
                want = (i,)
                bad = [outcome(lambda: f(1)), outcome(lambda: site_one(f, 1))]
            elif prefix == 'o':
                for _ in range(20):
                    site_one(f, 5)
                got = [f(5), f(*(5,)), site_one(f, 5)]
                want = (i, 5)
                bad = [outcome(lambda: f()), outcome(lambda: f(1, 2)),
                       outcome(lambda: site_two(f, 1, 2)),
                       outcome(lambda: site_none(f))]
            elif prefix == 'v':
                for _ in range(20):
                    site_two(f, 5, 6)
                got = [f(5, 6), f(*(5, 6)), site_two(f, 5, 6)]
                want = (i, 5, 6)
                bad = [outcome(lambda: f(x=1))]
            else:
                for _ in range(20):
                    site_two(f, 5, 6)
                got = [f(5, 6), f(*(5,), **{'x': 6}), site_two(f, 5, 6), f(5, x=6)]
                want = (i, 5, 6)
                bad = []
            assert all(r == want for r in got), (prefix, i, got)
            for b in bad:
                assert b[0] is TypeError, (prefix, i, b)
    report.append({p: [w.count('thunk'), w.count('trampoline'), w[:5]]
                   for p, w in where.items()})
print(json.dumps(report))
"""


def run_many(compiler, hpy_abi, count, loads=1, limit=None):
    if hpy_abi not in ('universal', 'hybrid'):
        pytest.skip('thunks are for universal and hybrid modules')
    if not VECTORCALL_READABLE or _dladdr is None:
        pytest.skip('CPython layout and dladdr only')
    module = compiler.compile_module(many_functions_src(count), hpy_abi, 'many')
    env = {'HPY_RS_METHOD_THUNKS': str(limit)} if limit is not None else {}
    code = MANY_SCRIPT % {
        'tests': os.path.dirname(os.path.abspath(__file__)),
        'path': module.so_filename, 'name': module.name, 'hpy_abi': hpy_abi,
        'count': count, 'loads': loads}
    p = support.run_python(code, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_more_functions_than_the_pool(compiler, hpy_abi):
    # POOL_SIZE + 10 functions of each signature, in a fresh process: the
    # first POOL_SIZE get thunks, the others keep their trampolines; all
    # work alike. Loading the file again reuses the same thunks.
    loads = run_many(compiler, hpy_abi, POOL_SIZE + 10, loads=2)
    for load in loads:
        for prefix in 'novk':
            thunks, trampolines, first = load[prefix]
            assert (thunks, trampolines) == (POOL_SIZE, 10), prefix
            assert first == ['thunk'] * 5


def test_pool_limit_from_the_environment(compiler, hpy_abi):
    # HPY_RS_METHOD_THUNKS lowers the usable pool; it cannot raise it
    loads = run_many(compiler, hpy_abi, 5, loads=2, limit=3)
    for load in loads:
        for prefix in 'novk':
            assert load[prefix] == [3, 2, ['thunk'] * 3 + ['trampoline'] * 2]
    loads = run_many(compiler, hpy_abi, 5, limit=0)
    assert all(load[p][:2] == [0, 5] for load in loads for p in 'novk')
    loads = run_many(compiler, hpy_abi, POOL_SIZE + 1, limit=10 ** 6)
    assert all(load[p][:2] == [POOL_SIZE, 1] for load in loads for p in 'novk')
