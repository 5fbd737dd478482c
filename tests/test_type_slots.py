"""The slots of HPy types: number, sequence, mapping, buffer, call,
descriptor, init, finalize and destroy; per-instance call functions."""
import gc
import sys

import pytest

from test_type import ADD_TYPE, SAME_TYPE

# A vector of 4 longs with the number, sequence and mapping protocols.
VEC = ADD_TYPE + SAME_TYPE + r"""
    typedef struct {
        HPy_ssize_t n;
        long v[4];
    } VecObject;
    HPyType_HELPERS(VecObject)

    static HPy Vec_type_of(HPyContext *ctx, HPy self) { return HPy_Type(ctx, self); }


    HPyDef_SLOT(Vec_init, HPy_tp_init)
    static int Vec_init_impl(HPyContext *ctx, HPy self, const HPy *args,
                             HPy_ssize_t nargs, HPy kw)
    {
        VecObject *v = VecObject_AsStruct(ctx, self);
        if (nargs > 4) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "at most 4 items");
            return -1;
        }
        v->n = nargs;
        for (HPy_ssize_t i = 0; i < nargs; i++) {
            v->v[i] = HPyLong_AsLong(ctx, args[i]);
            if (v->v[i] == -1 && HPyErr_Occurred(ctx))
                return -1;
        }
        return 0;
    }

    /* binary arithmetic: elementwise with another Vec, or with an int */
    static HPy binop(HPyContext *ctx, HPy a, HPy b, int op)
    {
        if (!same_type(ctx, a, a) || (!same_type(ctx, a, b) && !HPyNumber_Check(ctx, b)))
            return HPy_Dup(ctx, ctx->h_NotImplemented);
        VecObject *x = VecObject_AsStruct(ctx, a), *r;
        long k = 0;
        VecObject *y = NULL;
        if (same_type(ctx, a, b))
            y = VecObject_AsStruct(ctx, b);
        else {
            k = HPyLong_AsLong(ctx, b);
            if (k == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
        }
        HPy h = new_like(ctx, a, (void **)&r);
        if (HPy_IsNull(h))
            return HPy_NULL;
        r->n = x->n;
        for (HPy_ssize_t i = 0; i < x->n; i++) {
            long o = y ? y->v[i] : k;
            switch (op) {
            case '+': r->v[i] = x->v[i] + o; break;
            case '-': r->v[i] = x->v[i] - o; break;
            case '*': r->v[i] = x->v[i] * o; break;
            case '&': r->v[i] = x->v[i] & o; break;
            case '|': r->v[i] = x->v[i] | o; break;
            case '^': r->v[i] = x->v[i] ^ o; break;
            case '<': r->v[i] = x->v[i] << o; break;
            case '>': r->v[i] = x->v[i] >> o; break;
            case '/': r->v[i] = x->v[i] / o; break;
            case '%': r->v[i] = x->v[i] % o; break;
            case '@': r->v[i] = x->v[i] * o * 100; break;
            }
        }
        return h;
    }

    #define BINSLOT(NAME, SLOT, OP)                                          \
        HPyDef_SLOT(NAME, SLOT)                                              \
        static HPy NAME##_impl(HPyContext *ctx, HPy a, HPy b)                \
        { return binop(ctx, a, b, OP); }

    BINSLOT(Vec_add, HPy_nb_add, '+')
    BINSLOT(Vec_sub, HPy_nb_subtract, '-')
    BINSLOT(Vec_mul, HPy_nb_multiply, '*')
    BINSLOT(Vec_and, HPy_nb_and, '&')
    BINSLOT(Vec_or, HPy_nb_or, '|')
    BINSLOT(Vec_xor, HPy_nb_xor, '^')
    BINSLOT(Vec_lshift, HPy_nb_lshift, '<')
    BINSLOT(Vec_rshift, HPy_nb_rshift, '>')
    BINSLOT(Vec_floordiv, HPy_nb_floor_divide, '/')
    BINSLOT(Vec_rem, HPy_nb_remainder, '%')
    BINSLOT(Vec_matmul, HPy_nb_matrix_multiply, '@')
    BINSLOT(Vec_iadd, HPy_nb_inplace_add, '+')

    HPyDef_SLOT(Vec_truediv, HPy_nb_true_divide)
    static HPy Vec_truediv_impl(HPyContext *ctx, HPy a, HPy b)
    { return HPyUnicode_FromString(ctx, "truediv"); }
    HPyDef_SLOT(Vec_divmod, HPy_nb_divmod)
    static HPy Vec_divmod_impl(HPyContext *ctx, HPy a, HPy b)
    { return HPyUnicode_FromString(ctx, "divmod"); }
    HPyDef_SLOT(Vec_pow, HPy_nb_power)
    static HPy Vec_pow_impl(HPyContext *ctx, HPy a, HPy b, HPy c)
    { return HPy_BuildValue(ctx, "(sOO)", "pow", b, c); }
    HPyDef_SLOT(Vec_ipow, HPy_nb_inplace_power)
    static HPy Vec_ipow_impl(HPyContext *ctx, HPy a, HPy b, HPy c)
    { return HPyUnicode_FromString(ctx, "ipow"); }

    HPyDef_SLOT(Vec_neg, HPy_nb_negative)
    static HPy Vec_neg_impl(HPyContext *ctx, HPy a) { return binop(ctx, a, a, '-'); }
    HPyDef_SLOT(Vec_pos, HPy_nb_positive)
    static HPy Vec_pos_impl(HPyContext *ctx, HPy a) { return HPy_Dup(ctx, a); }
    HPyDef_SLOT(Vec_abs, HPy_nb_absolute)
    static HPy Vec_abs_impl(HPyContext *ctx, HPy a) { return HPyUnicode_FromString(ctx, "abs"); }
    HPyDef_SLOT(Vec_invert, HPy_nb_invert)
    static HPy Vec_invert_impl(HPyContext *ctx, HPy a) { return HPyUnicode_FromString(ctx, "invert"); }
    HPyDef_SLOT(Vec_bool, HPy_nb_bool)
    static int Vec_bool_impl(HPyContext *ctx, HPy a) { return VecObject_AsStruct(ctx, a)->n > 0; }
    HPyDef_SLOT(Vec_int, HPy_nb_int)
    static HPy Vec_int_impl(HPyContext *ctx, HPy a) { return HPyLong_FromLong(ctx, 42); }
    HPyDef_SLOT(Vec_float, HPy_nb_float)
    static HPy Vec_float_impl(HPyContext *ctx, HPy a) { return HPyFloat_FromDouble(ctx, 4.5); }
    HPyDef_SLOT(Vec_index, HPy_nb_index)
    static HPy Vec_index_impl(HPyContext *ctx, HPy a) { return HPyLong_FromLong(ctx, 2); }

    /* sequence */
    HPyDef_SLOT(Vec_len, HPy_sq_length)
    static HPy_ssize_t Vec_len_impl(HPyContext *ctx, HPy a) { return VecObject_AsStruct(ctx, a)->n; }
    HPyDef_SLOT(Vec_item, HPy_sq_item)
    static HPy Vec_item_impl(HPyContext *ctx, HPy a, HPy_ssize_t i)
    {
        VecObject *v = VecObject_AsStruct(ctx, a);
        if (i < 0 || i >= v->n) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "Vec index out of range");
            return HPy_NULL;
        }
        return HPyLong_FromLong(ctx, v->v[i]);
    }
    HPyDef_SLOT(Vec_ass_item, HPy_sq_ass_item)
    static int Vec_ass_item_impl(HPyContext *ctx, HPy a, HPy_ssize_t i, HPy value)
    {
        VecObject *v = VecObject_AsStruct(ctx, a);
        if (i < 0 || i >= v->n) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "Vec index out of range");
            return -1;
        }
        v->v[i] = HPy_IsNull(value) ? 0 : HPyLong_AsLong(ctx, value);
        return HPyErr_Occurred(ctx) ? -1 : 0;
    }
    HPyDef_SLOT(Vec_contains, HPy_sq_contains)
    static int Vec_contains_impl(HPyContext *ctx, HPy a, HPy item)
    {
        VecObject *v = VecObject_AsStruct(ctx, a);
        long x = HPyLong_AsLong(ctx, item);
        if (x == -1 && HPyErr_Occurred(ctx))
            return -1;
        for (HPy_ssize_t i = 0; i < v->n; i++)
            if (v->v[i] == x)
                return 1;
        return 0;
    }
    HPyDef_SLOT(Vec_concat, HPy_sq_concat)
    static HPy Vec_concat_impl(HPyContext *ctx, HPy a, HPy b) { return HPyUnicode_FromString(ctx, "concat"); }
    HPyDef_SLOT(Vec_repeat, HPy_sq_repeat)
    static HPy Vec_repeat_impl(HPyContext *ctx, HPy a, HPy_ssize_t n)
    { return HPy_BuildValue(ctx, "(sn)", "repeat", n); }
    HPyDef_SLOT(Vec_irepeat, HPy_sq_inplace_repeat)
    static HPy Vec_irepeat_impl(HPyContext *ctx, HPy a, HPy_ssize_t n)
    { return HPy_BuildValue(ctx, "(sn)", "irepeat", n); }

    HPyDef_SLOT(Vec_hash, HPy_tp_hash)
    static HPy_hash_t Vec_hash_impl(HPyContext *ctx, HPy a) { return 7; }

    static HPyDef *Vec_defines[] = {
        &Vec_init, &Vec_add, &Vec_sub, &Vec_mul, &Vec_and, &Vec_or, &Vec_xor,
        &Vec_lshift, &Vec_rshift, &Vec_floordiv, &Vec_rem, &Vec_matmul, &Vec_iadd,
        &Vec_truediv, &Vec_divmod, &Vec_pow, &Vec_ipow, &Vec_neg, &Vec_pos,
        &Vec_abs, &Vec_invert, &Vec_bool, &Vec_int, &Vec_float, &Vec_index,
        &Vec_len, &Vec_item, &Vec_ass_item, &Vec_contains, &Vec_concat,
        &Vec_repeat, &Vec_irepeat, &Vec_hash, NULL
    };
    static HPyType_Spec Vec_spec = {
        .name = "mytest.Vec",
        .basicsize = sizeof(VecObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = Vec_defines,
    };

    /* a mapping: m[k] -> k * 2; m[k] = v records the last key and value */
    typedef struct { long last_key; long last_value; } MapObject;
    HPyType_HELPERS(MapObject)

    HPyDef_SLOT(Map_len, HPy_mp_length)
    static HPy_ssize_t Map_len_impl(HPyContext *ctx, HPy a) { return 99; }
    HPyDef_SLOT(Map_sub, HPy_mp_subscript)
    static HPy Map_sub_impl(HPyContext *ctx, HPy a, HPy key) { return HPy_Add(ctx, key, key); }
    HPyDef_SLOT(Map_ass, HPy_mp_ass_subscript)
    static int Map_ass_impl(HPyContext *ctx, HPy a, HPy key, HPy value)
    {
        MapObject *m = MapObject_AsStruct(ctx, a);
        m->last_key = HPyLong_AsLong(ctx, key);
        m->last_value = HPy_IsNull(value) ? -1 : HPyLong_AsLong(ctx, value);
        return HPyErr_Occurred(ctx) ? -1 : 0;
    }
    HPyDef_MEMBER(Map_last_key, "last_key", HPyMember_LONG, offsetof(MapObject, last_key))
    HPyDef_MEMBER(Map_last_value, "last_value", HPyMember_LONG, offsetof(MapObject, last_value))

    /* a descriptor: its __get__ returns (instance, owner) */
    HPyDef_SLOT(Map_get, HPy_tp_descr_get)
    static HPy Map_get_impl(HPyContext *ctx, HPy self, HPy obj, HPy owner)
    {
        return HPy_BuildValue(ctx, "(OO)", HPy_IsNull(obj) ? ctx->h_None : obj,
                              HPy_IsNull(owner) ? ctx->h_None : owner);
    }

    static HPyDef *Map_defines[] = {
        &Map_len, &Map_sub, &Map_ass, &Map_last_key, &Map_last_value, &Map_get, NULL
    };
    static HPyType_Spec Map_spec = {
        .name = "mytest.Map",
        .basicsize = sizeof(MapObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = Map_defines,
    };

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        if (add_type(ctx, mod, "Vec", &Vec_spec, NULL) < 0)
            return -1;
        return add_type(ctx, mod, "Map", &Map_spec, NULL);
    }

    @EXPORT(exec_types)
    @INIT
"""


def test_number_slots(make_module):
    mod = make_module(VEC)
    a, b = mod.Vec(1, 2, 3), mod.Vec(10, 20, 30)
    assert list(a + b) == [11, 22, 33]
    assert list(b - a) == [9, 18, 27]
    assert list(a * 3) == [3, 6, 9]
    assert list(a & 1) == [1, 0, 1]
    assert list(a | 4) == [5, 6, 7]
    assert list(a ^ 1) == [0, 3, 2]
    assert list(a << 1) == [2, 4, 6]
    assert list(b >> 1) == [5, 10, 15]
    assert list(b // 3) == [3, 6, 10]
    assert list(b % 7) == [3, 6, 2]
    assert list(a @ 1) == [100, 200, 300]
    assert a / b == 'truediv'
    assert divmod(a, b) == 'divmod'
    assert pow(a, 2, 5) == ('pow', 2, 5)
    assert a ** 3 == ('pow', 3, None)
    assert list(-a) == [0, 0, 0]
    assert +a is a
    assert abs(a) == 'abs'
    assert ~a == 'invert'
    assert bool(a) and not bool(mod.Vec())
    assert int(a) == 42
    assert float(a) == 4.5
    assert [10, 20, 30, 40][a] == 30
    c = a
    c += 1
    assert list(c) == [2, 3, 4] and c is not a
    c **= 2
    assert c == 'ipow'
    with pytest.raises(TypeError):
        a - 'x'
    assert a + 'x' == 'concat'      # nb_add declines, then sq_concat


def test_sequence_slots(make_module):
    mod = make_module(VEC)
    v = mod.Vec(5, 6, 7)
    assert len(v) == 3
    assert (v[0], v[2], v[-1]) == (5, 7, 7)
    with pytest.raises(IndexError):
        v[3]
    v[1] = 60
    assert list(v) == [5, 60, 7]
    del v[0]
    assert list(v) == [0, 60, 7]
    assert 60 in v and 61 not in v
    assert hash(v) == 7
    with pytest.raises(TypeError):
        mod.Vec(1, 2, 3, 4, 5)
    with pytest.raises(TypeError):
        mod.Vec('a')


def test_sequence_concat_repeat(make_module):
    mod = make_module(VEC)
    # the number slots take precedence in the operators; call the
    # sequence slots through the operator module's sequence functions
    import operator
    v = mod.Vec(1)
    assert operator.concat(v, [1]) == 'concat'


def test_mapping_and_descriptor_slots(make_module):
    mod = make_module(VEC)
    m = mod.Map()
    assert len(m) == 99
    assert m[21] == 42
    assert m['a'] == 'aa'
    m[3] = 4
    assert (m.last_key, m.last_value) == (3, 4)
    del m[5]
    assert (m.last_key, m.last_value) == (5, -1)

    class Owner:
        d = m
    o = Owner()
    assert o.d == (o, Owner)
    assert Owner.d == (None, Owner)


CALLS = ADD_TYPE + r"""
    typedef struct { long base; } CallObject;
    HPyType_HELPERS(CallObject)

    HPyDef_SLOT(Call_call, HPy_tp_call)
    static HPy Call_call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                              HPy kwnames)
    {
        HPy_ssize_t nkw = HPy_IsNull(kwnames) ? 0 : HPy_Length(ctx, kwnames);
        return HPy_BuildValue(ctx, "(slnn)", "default", CallObject_AsStruct(ctx, self)->base,
                              (HPy_ssize_t)nargs, nkw);
    }

    HPyDef_CALL_FUNCTION(other_call)
    static HPy other_call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                               HPy kwnames)
    {
        HPy t = HPyTuple_FromArray(ctx, (HPy *)args, (HPy_ssize_t)nargs);
        HPy r = HPy_BuildValue(ctx, "(sOO)", "other", t,
                               HPy_IsNull(kwnames) ? ctx->h_None : kwnames);
        HPy_Close(ctx, t);
        return r;
    }

    HPyDef_METH(Call_switch, "switch", HPyFunc_NOARGS)
    static HPy Call_switch_impl(HPyContext *ctx, HPy self)
    {
        if (HPy_SetCallFunction(ctx, self, &other_call) < 0)
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_MEMBER(Call_base, "base", HPyMember_LONG, offsetof(CallObject, base))

    static HPyDef *Call_defines[] = { &Call_call, &Call_switch, &Call_base, NULL };
    static HPyType_Spec Call_spec = {
        .name = "mytest.Call",
        .basicsize = sizeof(CallObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Call_defines,
    };

    /* no default call function, but a slot for one */
    typedef struct { long unused; } LateObject;
    HPyDef_METH(Late_switch, "switch", HPyFunc_NOARGS)
    static HPy Late_switch_impl(HPyContext *ctx, HPy self)
    {
        if (HPy_SetCallFunction(ctx, self, &other_call) < 0)
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }
    static HPyDef *Late_defines[] = { &Late_switch, NULL };
    static HPyType_Spec Late_spec = {
        .name = "mytest.Late",
        .basicsize = sizeof(LateObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_VECTORCALL,
        .defines = Late_defines,
    };

    /* not callable at all */
    static HPyDef *Plain_defines[] = { &Late_switch, NULL };
    static HPyType_Spec Plain_spec = {
        .name = "mytest.Plain",
        .basicsize = sizeof(LateObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = Plain_defines,
    };

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        if (add_type(ctx, mod, "Call", &Call_spec, NULL) < 0 ||
            add_type(ctx, mod, "Late", &Late_spec, NULL) < 0)
            return -1;
        return add_type(ctx, mod, "Plain", &Plain_spec, NULL);
    }

    @EXPORT(exec_types)
    @INIT
"""


def test_call_slot_and_set_call_function(make_module):
    mod = make_module(CALLS)
    c = mod.Call()
    c.base = 5
    assert c() == ('default', 5, 0, 0)
    assert c(1, 2, x=3) == ('default', 5, 2, 1)
    d = mod.Call()
    c.switch()
    assert c(1, 2, k=3) == ('other', (1, 2), ('k',))
    assert c() == ('other', (), None)
    assert d(1) == ('default', 0, 1, 0)      # per instance

    class Sub(mod.Call):
        pass
    s = Sub()
    assert s(1) == ('default', 0, 1, 0)
    s.switch()
    assert s(1) == ('other', (1,), None)


def test_set_call_function_without_default(make_module):
    mod = make_module(CALLS)
    late = mod.Late()
    with pytest.raises(TypeError):
        late()
    late.switch()
    assert late(7) == ('other', (7,), None)
    p = mod.Plain()
    with pytest.raises(TypeError):
        p.switch()
    with pytest.raises(TypeError):
        p()


LIFECYCLE = ADD_TYPE + r"""
    static long destroyed = 0;
    static long finalized = 0;

    typedef struct { long tag; } LifeObject;
    HPyType_HELPERS(LifeObject)

    HPyDef_SLOT(Life_destroy, HPy_tp_destroy)
    static void Life_destroy_impl(void *obj)
    {
        destroyed += ((LifeObject *)obj)->tag;
    }

    HPyDef_SLOT(Life_finalize, HPy_tp_finalize)
    static void Life_finalize_impl(HPyContext *ctx, HPy self)
    {
        finalized += 1;
    }

    HPyDef_MEMBER(Life_tag, "tag", HPyMember_LONG, offsetof(LifeObject, tag))

    static HPyDef *Life_defines[] = { &Life_destroy, &Life_finalize, &Life_tag, NULL };
    static HPyType_Spec Life_spec = {
        .name = "mytest.Life",
        .basicsize = sizeof(LifeObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Life_defines,
    };

    HPyDef_METH(counts, "counts", HPyFunc_NOARGS)
    static HPy counts_impl(HPyContext *ctx, HPy self)
    {
        return HPy_BuildValue(ctx, "(ll)", destroyed, finalized);
    }

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Life", &Life_spec, NULL);
    }

    @EXPORT(counts)
    @EXPORT(exec_types)
    @INIT
"""


def test_destroy_and_finalize(make_module):
    mod = make_module(LIFECYCLE)
    a = mod.Life()
    a.tag = 5
    del a
    assert mod.counts() == (5, 1)

    class Sub(mod.Life):
        pass
    s = Sub()
    s.tag = 100
    s.attr = [1, 2]
    del s
    gc.collect()
    assert mod.counts() == (105, 2)
    # the type stays alive while instances exist, and dies after them
    import weakref
    T = type('T', (mod.Life,), {})
    r = weakref.ref(T)
    t = T()
    t.tag = 1000
    del T
    gc.collect()
    assert r() is not None
    del t
    gc.collect()
    assert r() is None
    assert mod.counts() == (1105, 3)


BUFFER = ADD_TYPE + r"""
    #include <string.h>
    typedef struct { char data[8]; long exports; } BufObject;
    HPyType_HELPERS(BufObject)

    HPyDef_SLOT(Buf_getbuffer, HPy_bf_getbuffer)
    static int Buf_getbuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view, int flags)
    {
        BufObject *b = BufObject_AsStruct(ctx, self);
        memcpy(b->data, "abcdefgh", 8);
        view->buf = b->data;
        view->obj = HPy_Dup(ctx, self);
        view->len = 8;
        view->itemsize = 1;
        view->readonly = 1;
        view->ndim = 1;
        view->format = NULL;
        view->shape = NULL;
        view->strides = NULL;
        view->suboffsets = NULL;
        view->internal = NULL;
        b->exports++;
        return 0;
    }

    HPyDef_SLOT(Buf_releasebuffer, HPy_bf_releasebuffer)
    static void Buf_releasebuffer_impl(HPyContext *ctx, HPy self, HPy_buffer *view)
    {
        BufObject_AsStruct(ctx, self)->exports--;
    }

    HPyDef_MEMBER(Buf_exports, "exports", HPyMember_LONG, offsetof(BufObject, exports))

    static HPyDef *Buf_defines[] = { &Buf_getbuffer, &Buf_releasebuffer, &Buf_exports, NULL };
    static HPyType_Spec Buf_spec = {
        .name = "mytest.Buf",
        .basicsize = sizeof(BufObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = Buf_defines,
    };

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Buf", &Buf_spec, NULL);
    }

    @EXPORT(exec_types)
    @INIT
"""


def test_buffer_slots(make_module):
    mod = make_module(BUFFER)
    b = mod.Buf()
    m = memoryview(b)
    assert b.exports == 1
    assert m.tobytes() == b'abcdefgh'
    assert m.readonly
    assert bytes(b) == b'abcdefgh'
    m.release()
    assert b.exports == 0
