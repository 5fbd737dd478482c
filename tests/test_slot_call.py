"""The direct call path of HPy types (crates/hpy-universal/src/slot_call.rs):
in universal, hybrid and trace modules the slots, methods and tp_new of a
type call its HPy functions through thunks of hpy.universal instead of the
extension's trampolines. Everything behaves as through the trampolines, in
every mode; the tests at the end check which path is taken."""
import collections
import ctypes
import gc
import json
import os
import sys

import pytest

import support
from test_calls import (THUNK_ABIS, _dladdr, VECTORCALL_READABLE, library_of,
                        ml_meth_of, universal_library)
from test_type import ADD_TYPE, SAME_TYPE

# One slot of every shape that has thunks (slot_call/thunks.rs), methods of
# the four signatures, tp_new and tp_init; each can raise.
SRC = ADD_TYPE + SAME_TYPE + r"""
    typedef struct {
        long v[3];
        long inited;
    } TObject;
    HPyType_HELPERS(TObject)

    static HPy make(HPyContext *ctx, HPy like, long a, long b, long c)
    {
        TObject *o;
        HPy h = new_like(ctx, like, (void **)&o);
        if (!HPy_IsNull(h)) {
            o->v[0] = a; o->v[1] = b; o->v[2] = c;
        }
        return h;
    }

    /* tp_new: T(a, b, c); T(-1) returns an int (a bug the runtime reports) */
    HPyDef_SLOT(T_new, HPy_tp_new)
    static HPy T_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                          HPy_ssize_t nargs, HPy kw)
    {
        long a = 0, b = 0, c = 0;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "|lll", &a, &b, &c))
            return HPy_NULL;
        if (a == -1)
            return HPyLong_FromLong(ctx, 42);
        TObject *o;
        HPy h = HPy_New(ctx, cls, &o);
        if (HPy_IsNull(h))
            return HPy_NULL;
        o->v[0] = a; o->v[1] = b; o->v[2] = c;
        return h;
    }

    /* tp_init: counts the calls; T(-2) fails here */
    HPyDef_SLOT(T_init, HPy_tp_init)
    static int T_init_impl(HPyContext *ctx, HPy self, const HPy *args,
                           HPy_ssize_t nargs, HPy kw)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        if (nargs >= 1 && HPyLong_AsLong(ctx, args[0]) == -2) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "init refused -2");
            return -1;
        }
        o->inited++;
        return 0;
    }

    /* unary */
    HPyDef_SLOT(T_neg, HPy_nb_negative)
    static HPy T_neg_impl(HPyContext *ctx, HPy self)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        return make(ctx, self, -o->v[0], -o->v[1], -o->v[2]);
    }

    HPyDef_SLOT(T_repr, HPy_tp_repr)
    static HPy T_repr_impl(HPyContext *ctx, HPy self)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        return HPyUnicode_FromFormat(ctx, "T(%ld, %ld, %ld)", o->v[0], o->v[1], o->v[2]);
    }

    /* binary, with an int on either side; anything else: NotImplemented */
    HPyDef_SLOT(T_add, HPy_nb_add)
    static HPy T_add_impl(HPyContext *ctx, HPy a, HPy b)
    {
        int a_is_int = HPy_TypeCheck(ctx, a, ctx->h_LongType);
        HPy self = a_is_int ? b : a, other = a_is_int ? a : b;
        if (!HPy_TypeCheck(ctx, other, ctx->h_LongType))
            return HPy_Dup(ctx, ctx->h_NotImplemented);
        long k = HPyLong_AsLong(ctx, other);
        if (k == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        TObject *o = TObject_AsStruct(ctx, self);
        return make(ctx, self, o->v[0] + k, o->v[1] + k, o->v[2] + k);
    }

    static HPy T_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i);
    static int T_ass_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i, HPy value);

    /* mapping: int keys are the sequence's; str keys give themselves */
    HPyDef_SLOT(T_subscript, HPy_mp_subscript)
    static HPy T_subscript_impl(HPyContext *ctx, HPy self, HPy key)
    {
        if (HPy_TypeCheck(ctx, key, ctx->h_LongType))
            return T_item_impl(ctx, self, HPyLong_AsSsize_t(ctx, key));
        if (!HPyUnicode_Check(ctx, key)) {
            HPyErr_SetString(ctx, ctx->h_KeyError, "str keys only");
            return HPy_NULL;
        }
        return HPy_Dup(ctx, key);
    }

    /* ternary */
    HPyDef_SLOT(T_pow, HPy_nb_power)
    static HPy T_pow_impl(HPyContext *ctx, HPy a, HPy b, HPy mod)
    {
        if (!HPy_Is(ctx, mod, ctx->h_None)) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "no modulo here");
            return HPy_NULL;
        }
        return HPyLong_FromLong(ctx, 1000);
    }

    /* inquiry: a T with v[0] == 99 cannot say */
    HPyDef_SLOT(T_bool, HPy_nb_bool)
    static int T_bool_impl(HPyContext *ctx, HPy self)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        if (o->v[0] == 99) {
            HPyErr_SetString(ctx, ctx->h_RuntimeError, "bool of 99");
            return -1;
        }
        return o->v[0] != 0;
    }

    /* len and hash */
    HPyDef_SLOT(T_len, HPy_sq_length)
    static HPy_ssize_t T_len_impl(HPyContext *ctx, HPy self)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        if (o->v[0] == 99) {
            HPyErr_SetString(ctx, ctx->h_RuntimeError, "len of 99");
            return -1;
        }
        return 3;
    }

    HPyDef_SLOT(T_hash, HPy_tp_hash)
    static HPy_hash_t T_hash_impl(HPyContext *ctx, HPy self)
    {
        TObject *o = TObject_AsStruct(ctx, self);
        if (o->v[0] == 99) {
            HPyErr_SetString(ctx, ctx->h_RuntimeError, "hash of 99");
            return -1;
        }
        return o->v[0] * 1000 + o->v[1];
    }

    /* ssizearg and ssizeobjarg */
    HPyDef_SLOT(T_item, HPy_sq_item)
    static HPy T_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i)
    {
        if (i < 0 || i >= 3) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "T index out of range");
            return HPy_NULL;
        }
        return HPyLong_FromLong(ctx, TObject_AsStruct(ctx, self)->v[i]);
    }

    HPyDef_SLOT(T_ass_item, HPy_sq_ass_item)
    static int T_ass_item_impl(HPyContext *ctx, HPy self, HPy_ssize_t i, HPy value)
    {
        if (i < 0 || i >= 3) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "T assignment index out of range");
            return -1;
        }
        if (HPy_IsNull(value)) {
            TObject_AsStruct(ctx, self)->v[i] = 0;
            return 0;
        }
        long v = HPyLong_AsLong(ctx, value);
        if (v == -1 && HPyErr_Occurred(ctx))
            return -1;
        TObject_AsStruct(ctx, self)->v[i] = v;
        return 0;
    }

    /* objobjarg: t["k"] = v sets v[0]; anything else raises */
    HPyDef_SLOT(T_ass_sub, HPy_mp_ass_subscript)
    static int T_ass_sub_impl(HPyContext *ctx, HPy self, HPy key, HPy value)
    {
        if (HPy_TypeCheck(ctx, key, ctx->h_LongType))
            return T_ass_item_impl(ctx, self, HPyLong_AsSsize_t(ctx, key), value);
        if (!HPyUnicode_Check(ctx, key) || HPy_IsNull(value)) {
            HPyErr_SetString(ctx, ctx->h_KeyError, "str keys and values only");
            return -1;
        }
        long v = HPyLong_AsLong(ctx, value);
        if (v == -1 && HPyErr_Occurred(ctx))
            return -1;
        TObject_AsStruct(ctx, self)->v[0] = v;
        return 0;
    }

    /* objobj */
    HPyDef_SLOT(T_contains, HPy_sq_contains)
    static int T_contains_impl(HPyContext *ctx, HPy self, HPy x)
    {
        long v = HPyLong_AsLong(ctx, x);
        if (v == -1 && HPyErr_Occurred(ctx))
            return -1;
        TObject *o = TObject_AsStruct(ctx, self);
        return v == o->v[0] || v == o->v[1] || v == o->v[2];
    }

    /* richcompare: by the sum; other types: NotImplemented */
    HPyDef_SLOT(T_richcmp, HPy_tp_richcompare)
    static HPy T_richcmp_impl(HPyContext *ctx, HPy a, HPy b, HPy_RichCmpOp op)
    {
        if (!same_type(ctx, a, b))
            return HPy_Dup(ctx, ctx->h_NotImplemented);
        TObject *x = TObject_AsStruct(ctx, a), *y = TObject_AsStruct(ctx, b);
        long sx = x->v[0] + x->v[1] + x->v[2], sy = y->v[0] + y->v[1] + y->v[2];
        HPy_RETURN_RICHCOMPARE(ctx, sx, sy, op);
    }

    /* methods of the four signatures */
    HPyDef_METH(T_first, "first", HPyFunc_NOARGS)
    static HPy T_first_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, TObject_AsStruct(ctx, self)->v[0]);
    }

    HPyDef_METH(T_second, "second", HPyFunc_NOARGS)
    static HPy T_second_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, TObject_AsStruct(ctx, self)->v[1]);
    }

    HPyDef_METH(T_scale, "scale", HPyFunc_O)
    static HPy T_scale_impl(HPyContext *ctx, HPy self, HPy k)
    {
        long m = HPyLong_AsLong(ctx, k);
        if (m == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        TObject *o = TObject_AsStruct(ctx, self);
        return make(ctx, self, o->v[0] * m, o->v[1] * m, o->v[2] * m);
    }

    HPyDef_METH(T_pick, "pick", HPyFunc_VARARGS)
    static HPy T_pick_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        if (nargs != 1) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "pick() takes 1 argument");
            return HPy_NULL;
        }
        return HPy_GetItem(ctx, self, args[0]);
    }

    HPyDef_METH(T_kw, "kw", HPyFunc_KEYWORDS)
    static HPy T_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                         HPy kwnames)
    {
        static const char *kwlist[] = { "a", "b", NULL };
        long a, b = 5;
        HPyTracker ht;
        if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "l|l", kwlist, &a, &b))
            return HPy_NULL;
        HPyTracker_Close(ctx, ht);
        return HPyLong_FromLong(ctx, a * 10 + b);
    }

    HPyDef_METH(T_ctx_name, "ctx_name", HPyFunc_NOARGS)
    static HPy T_ctx_name_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, ctx->name);
    }

    static HPyDef *T_defines[] = {
        &T_new, &T_init, &T_neg, &T_repr, &T_add, &T_subscript, &T_pow, &T_bool,
        &T_len, &T_hash, &T_item, &T_ass_item, &T_ass_sub, &T_contains,
        &T_richcmp, &T_first, &T_second, &T_scale, &T_pick, &T_kw, &T_ctx_name,
        NULL
    };
    static HPyType_Spec T_spec = {
        .name = "mytest.T",
        .basicsize = sizeof(TObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = T_defines,
    };

    /* a second type with the same sq_length define, and an HPy subtype of
       T that defines nothing (it inherits every slot) */
    static HPyDef *U_defines[] = { &T_len, NULL };
    static HPyType_Spec U_spec = {
        .name = "mytest.U",
        .basicsize = sizeof(TObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = U_defines,
    };
    static HPyType_Spec Sub_spec = {
        .name = "mytest.Sub",
        .basicsize = sizeof(TObject),
        .flags = HPy_TPFLAGS_DEFAULT,
    };

    HPyDef_SLOT(mod_exec, HPy_mod_exec)
    static int mod_exec_impl(HPyContext *ctx, HPy m)
    {
        if (add_type(ctx, m, "T", &T_spec, NULL) < 0 || add_type(ctx, m, "U", &U_spec, NULL) < 0)
            return -1;
        HPy t = HPy_GetAttr_s(ctx, m, "T");
        if (HPy_IsNull(t))
            return -1;
        HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, t }, { 0 } };
        int r = add_type(ctx, m, "Sub", &Sub_spec, params);
        HPy_Close(ctx, t);
        return r;
    }

    @EXPORT(mod_exec)
    @INIT
"""


def check_type(T, Sub=None):
    """Every slot and method of T (or a subclass), its results and errors."""
    t = T(1, 2, 3)
    assert type(t) is T
    assert repr(t) == 'T(1, 2, 3)'
    assert repr(-t) == 'T(-1, -2, -3)'
    assert repr(t + 10) == repr(10 + t) == 'T(11, 12, 13)'
    assert type(t + 10) is T
    with pytest.raises(TypeError):
        t + 'x'
    assert t['k'] == 'k'
    with pytest.raises(KeyError, match='str keys only'):
        t[1.5]
    assert t ** 2 == pow(t, 2) == 1000
    with pytest.raises(TypeError, match='no modulo here'):
        pow(t, 2, 5)
    assert bool(t) and not bool(T(0))
    with pytest.raises(RuntimeError, match='bool of 99'):
        bool(T(99))
    assert len(t) == 3
    with pytest.raises(RuntimeError, match='len of 99'):
        len(T(99))
    assert hash(t) == 1002
    with pytest.raises(RuntimeError, match='hash of 99'):
        hash(T(99))
    assert [t[0], t[1], t[2]] == [1, 2, 3]
    with pytest.raises(IndexError, match='T index out of range'):
        t[5]
    assert list(t) == [1, 2, 3]
    t[1] = 20
    assert t[1] == 20
    del t[1]
    assert t[1] == 0
    with pytest.raises(IndexError, match='assignment index out of range'):
        t[7] = 1
    with pytest.raises(TypeError):
        t[0] = 'x'
    t['k'] = 5
    assert t[0] == 5
    with pytest.raises(KeyError, match='str keys and values only'):
        del t['k']
    assert 5 in t and 6 not in t
    with pytest.raises(TypeError):
        'x' in t
    a, b = T(1, 1, 1), T(0, 0, 3)
    assert a == b and a <= b and not a < b and not a != b
    assert T(0, 0, 4) > a
    assert (a == 'x') is False
    # the methods
    assert t.first() == 5 and t.second() == 0
    assert repr(t.scale(2)) == 'T(10, 0, 6)'
    with pytest.raises(TypeError):
        t.scale('x')
    with pytest.raises(TypeError):
        t.scale()
    assert t.pick(2) == 3
    with pytest.raises(TypeError, match=r'pick\(\) takes 1 argument'):
        t.pick()
    assert t.kw(1) == 15 and t.kw(1, b=2) == 12 and t.kw(b=3, a=4) == 43
    with pytest.raises(TypeError):
        t.kw(c=1)
    # the slot wrappers of the type dict call the same functions
    assert T.__len__(t) == 3
    assert T.__getitem__(t, 0) == 5
    assert T.__add__(t, 1).first() == 6
    assert T.__radd__(t, 1).first() == 6
    assert T.__hash__(t) == hash(t)
    assert T.__lt__(a, T(5, 5, 5)) is True
    assert t.__len__() == 3
    assert T.first(t) == 5
    # tp_new and tp_init
    with pytest.raises(TypeError, match='returned an object of type'):
        T(-1)
    with pytest.raises(ValueError, match='init refused -2'):
        T(-2)
    with pytest.raises(TypeError):
        T('x')
    assert repr(T.__new__(T, 4, 5, 6)) == 'T(4, 5, 6)'


def test_every_slot_and_method(make_module):
    mod = make_module(SRC)
    check_type(mod.T)
    # an HPy subtype that inherits everything
    s = mod.Sub(1, 2, 3)
    assert type(s) is mod.Sub and isinstance(s, mod.T)
    assert len(s) == 3 and s[2] == 3 and repr(s + 1) == 'T(2, 3, 4)'
    assert type(s + 1) is mod.Sub
    assert s.first() == 1 and hash(s) == 1002
    # another type with the same slot define
    u = mod.U()
    assert len(u) == 3 and mod.U.__len__(u) == 3


def test_methods_compare_and_hash_as_before(make_module):
    mod = make_module(SRC)
    t, other = mod.T(1, 2, 3), mod.T(1, 2, 3)
    assert t.first == t.first and hash(t.first) == hash(t.first)
    assert t.first != t.second
    assert t.first != other.first
    assert mod.T.first == mod.T.first and mod.T.first != mod.T.second
    assert len({t.first, t.second, t.scale, t.pick, t.kw, t.first}) == 5


def test_python_subclass(make_module):
    mod = make_module(SRC)

    class P(mod.T):
        pass

    class Q(mod.T):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return ('q', i)

        def __add__(self, other):
            return 'added'

        def first(self):
            return 'mine ' + str(super().first())

    class R(Q):
        pass

    p = P(1, 2, 3)
    assert type(p) is P and len(p) == 3 and p[1] == 2 and p.first() == 1
    assert type(-p) is P and repr(p + 1) == 'T(2, 3, 4)'
    assert hash(p) == 1002 and 3 in p
    with pytest.raises(IndexError):
        p[3]
    for q in (Q(4, 5, 6), R(4, 5, 6)):
        assert len(q) == 7 and q[1] == ('q', 1) and q + 1 == 'added'
        assert q.first() == 'mine 4'
        assert repr(1 + q) == 'T(5, 6, 7)'
        assert mod.T.__len__(q) == 3 and mod.T.__getitem__(q, 0) == 4
    with pytest.raises(TypeError, match='returned an object of type'):
        P(-1)


def test_instances_are_freed(make_module):
    # types without fields or destroy get CPython's own deallocator
    # (instance.rs, use_plain_dealloc): each instance releases its type
    mod = make_module(SRC)

    class P(mod.T):
        pass

    for T in (mod.T, mod.Sub, mod.U, P):
        gc.collect()
        before = sys.getrefcount(T)
        objs = [T() for _ in range(100)]
        assert sys.getrefcount(T) == before + 100
        del objs
        assert sys.getrefcount(T) == before


def test_trace_mode_counts_the_calls_of_slots_and_methods(make_module, hpy_abi):
    if hpy_abi not in ('trace', 'hybrid+trace'):
        pytest.skip('trace mode only')
    mod = make_module(SRC, name='tracedslots')
    from hpy.universal import _trace

    def calls():
        total = collections.Counter()
        for n, c, _ in _trace._get_module_figures():
            if n == 'tracedslots':
                total.update(c)
        return sum(total.values())

    t = mod.T(1, 2, 3)
    # each goes through a thunk; the API calls of its HPy function count
    for op in (lambda: t[0], lambda: len(t), lambda: t + 1, lambda: t.first(),
               lambda: hash(t), lambda: mod.T(1)):
        before = calls()
        op()
        assert calls() > before
    assert t.ctx_name().startswith('HPy Trace Mode ABI')


# ---------------------------------------------------------------------------
# Which path: the slots of universal, hybrid and trace types are thunks of
# hpy.universal; debug and CPython-ABI types keep the trampolines.
# ---------------------------------------------------------------------------

needs_layout = pytest.mark.skipif(
    not VECTORCALL_READABLE or _dladdr is None,
    reason='CPython layout and dladdr only')

# CPython's slot numbers (typeobject.h), the same as HPy's
SLOTS = {'nb_add': 7, 'nb_bool': 9, 'nb_negative': 30, 'nb_power': 33,
         'mp_ass_subscript': 3, 'mp_subscript': 5, 'sq_ass_item': 39,
         'sq_contains': 41, 'sq_item': 44, 'sq_length': 45, 'tp_hash': 59,
         'tp_init': 60, 'tp_new': 65, 'tp_repr': 66, 'tp_richcompare': 67}


def slot_of(T, number):
    get = ctypes.pythonapi.PyType_GetSlot
    get.argtypes = [ctypes.py_object, ctypes.c_int]
    get.restype = ctypes.c_void_p
    return get(T, number)


def wrapped_of(descriptor):
    """The slot function a slot wrapper calls (PyWrapperDescrObject:
    PyDescr_COMMON, d_base, d_wrapped)."""
    return ctypes.c_void_p.from_address(id(descriptor) + 6 * ctypes.sizeof(ctypes.c_void_p)).value


def method_of(descriptor):
    """ml_meth of a method descriptor (PyMethodDescrObject: PyDescr_COMMON,
    d_method)."""
    p = ctypes.sizeof(ctypes.c_void_p)
    ml = ctypes.c_void_p.from_address(id(descriptor) + 5 * p).value
    return ctypes.c_void_p.from_address(ml + p).value


def where(address, ext):
    lib = library_of(address)
    if lib == universal_library():
        return 'thunk'
    # in debug mode the file may be the loader's private copy (same name)
    return 'trampoline' if os.path.basename(lib) == os.path.basename(ext) else lib


WHERE_SCRIPT = r"""
import json, os, sys
sys.path.insert(0, %(tests)r)
import support
import test_slot_call as t
from test_calls import ml_meth_of
mod = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
again = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
T = mod.T
methods = ['first', 'second', 'scale', 'pick', 'kw']
print(json.dumps({
    'slots': {n: t.where(t.slot_of(T, k), %(path)r) for n, k in t.SLOTS.items()},
    'same_again': [n for n, k in t.SLOTS.items() if t.slot_of(again.T, k) == t.slot_of(T, k)],
    'wrappers': {n: t.where(t.wrapped_of(T.__dict__[n]), %(path)r)
                 for n in ('__len__', '__getitem__', '__add__', '__radd__', '__hash__', '__lt__')},
    'methods': {n: t.where(t.method_of(T.__dict__[n]), %(path)r) for n in methods},
    'bound': {n: t.where(ml_meth_of(getattr(T(), n)), %(path)r) for n in methods},
    'distinct_methods': len({t.method_of(T.__dict__[n]) for n in methods}),
    'shared_len': t.slot_of(mod.U, t.SLOTS['sq_length']) == t.slot_of(T, t.SLOTS['sq_length']),
}))
"""


def where_in_fresh_process(compiler, hpy_abi, env=None):
    """Where the slots and methods of T are, seen by a fresh process (whose
    pools are not used by other tests)."""
    module = compiler.compile_module(SRC, hpy_abi)
    code = WHERE_SCRIPT % {'tests': os.path.dirname(os.path.abspath(__file__)),
                           'name': module.name, 'hpy_abi': hpy_abi,
                           'path': os.path.realpath(module.so_filename)}
    p = support.run_python(code, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@needs_layout
def test_slots_and_methods_are_thunks(compiler, hpy_abi):
    got = where_in_fresh_process(compiler, hpy_abi)
    want = 'thunk' if hpy_abi in THUNK_ABIS else 'trampoline'
    for name, kind in got['slots'].items():
        # (hpy-core's tp_new wrapper, which debug types keep, is in
        # hpy.universal too)
        if name != 'tp_new' or want == 'thunk':
            assert kind == want, name
    # the same define loaded again: the same functions
    assert sorted(got['same_again']) == sorted(SLOTS)
    for group in ('wrappers', 'methods', 'bound'):
        assert set(got[group].values()) == {want}, (group, got[group])
    assert got['distinct_methods'] == 5
    # U shares T's sq_length define: the same function
    assert got['shared_len']


POOL_SCRIPT = r"""
import json, sys
sys.path.insert(0, %(tests)r)
import support
import test_slot_call as t
m = support.load_extension(%(name)r, %(path)r, %(hpy_abi)r)
t.check_type(m.T)
print(json.dumps({n: t.where(t.slot_of(m.T, k), %(path)r) for n, k in t.SLOTS.items()}))
"""


@needs_layout
@pytest.mark.parametrize('limit', [0, 1])
def test_used_up_pools_keep_the_trampolines(compiler, hpy_abi, limit):
    # HPY_RS_SLOT_THUNKS lowers what each slot pool hands out: past it,
    # slots keep their trampolines and behave the same
    if hpy_abi not in ('universal', 'hybrid'):
        pytest.skip('thunks are for universal and hybrid modules')
    module = compiler.compile_module(SRC, hpy_abi)
    code = POOL_SCRIPT % {'tests': os.path.dirname(os.path.abspath(__file__)),
                          'name': module.name, 'hpy_abi': hpy_abi,
                          'path': os.path.realpath(module.so_filename)}
    p = support.run_python(code, env={'HPY_RS_SLOT_THUNKS': str(limit)})
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    if limit == 0:
        # (tp_new: hpy-core's wrapper of the trampoline, in hpy.universal)
        del got['tp_new']
        assert set(got.values()) == {'trampoline'}
    else:
        # one thunk per shape: the first slot of each shape in the spec's
        # order gets it (nb_add before mp_subscript: both binary; sq_length
        # before tp_hash: both Py_ssize_t (PyObject *))
        assert got['nb_add'] == got['sq_length'] == got['tp_new'] == 'thunk'
        assert got['mp_subscript'] == got['tp_hash'] == 'trampoline'
