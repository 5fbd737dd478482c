"""HPyField (store, load, visited by the GC, cycles collected) and
HPyGlobal."""
import gc
import weakref

import pytest

from test_type import ADD_TYPE

PAIR = ADD_TYPE + r"""
    static long destroyed = 0;

    typedef struct {
        HPyField a;
        HPyField b;
        long tag;
    } PairObject;
    HPyType_HELPERS(PairObject)

    HPyDef_SLOT(Pair_new, HPy_tp_new)
    static HPy Pair_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                             HPy_ssize_t nargs, HPy kw)
    {
        PairObject *p;
        HPy h = HPy_New(ctx, cls, &p);
        if (HPy_IsNull(h))
            return HPy_NULL;
        if (nargs > 0)
            HPyField_Store(ctx, h, &p->a, args[0]);
        if (nargs > 1)
            HPyField_Store(ctx, h, &p->b, args[1]);
        return h;
    }

    HPyDef_SLOT(Pair_traverse, HPy_tp_traverse)
    static int Pair_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        PairObject *p = (PairObject *)self;
        HPy_VISIT(&p->a);
        HPy_VISIT(&p->b);
        return 0;
    }

    HPyDef_SLOT(Pair_destroy, HPy_tp_destroy)
    static void Pair_destroy_impl(void *self)
    {
        destroyed++;
    }

    HPyDef_GETSET(Pair_first, "first")
    static HPy Pair_first_get(HPyContext *ctx, HPy self, void *closure)
    {
        PairObject *p = PairObject_AsStruct(ctx, self);
        if (HPyField_IsNull(p->a))
            return HPy_Dup(ctx, ctx->h_None);
        return HPyField_Load(ctx, self, p->a);
    }
    static int Pair_first_set(HPyContext *ctx, HPy self, HPy value, void *closure)
    {
        PairObject *p = PairObject_AsStruct(ctx, self);
        HPyField_Store(ctx, self, &p->a, value);   /* HPy_NULL (del) empties it */
        return 0;
    }

    /* an HPyMember_OBJECT member reads and writes an HPyField */
    HPyDef_MEMBER(Pair_second, "second", HPyMember_OBJECT, offsetof(PairObject, b))
    HPyDef_MEMBER(Pair_second_ex, "second_ex", HPyMember_OBJECT_EX, offsetof(PairObject, b))

    static HPyDef *Pair_defines[] = {
        &Pair_new, &Pair_traverse, &Pair_destroy, &Pair_first, &Pair_second,
        &Pair_second_ex, NULL
    };
    static HPyType_Spec Pair_spec = {
        .name = "mytest.Pair",
        .basicsize = sizeof(PairObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC | HPy_TPFLAGS_BASETYPE,
        .defines = Pair_defines,
    };

    HPyDef_METH(destroyed_count, "destroyed_count", HPyFunc_NOARGS)
    static HPy destroyed_count_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, destroyed);
    }

    HPyGlobal g_value;

    HPyDef_METH(global_store, "global_store", HPyFunc_O)
    static HPy global_store_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyGlobal_Store(ctx, &g_value, arg);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(global_load, "global_load", HPyFunc_NOARGS)
    static HPy global_load_impl(HPyContext *ctx, HPy self)
    {
        HPy h = HPyGlobal_Load(ctx, g_value);
        if (HPy_IsNull(h))
            return HPyUnicode_FromString(ctx, "<empty>");
        return h;
    }

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Pair", &Pair_spec, NULL);
    }

    @EXPORT(destroyed_count)
    @EXPORT(global_store)
    @EXPORT(global_load)
    @EXPORT_GLOBAL(g_value)
    @EXPORT(exec_types)
    @INIT
"""


class Payload:
    pass


def test_field_store_load(make_module):
    mod = make_module(PAIR)
    x, y = Payload(), Payload()
    p = mod.Pair(x, y)
    assert p.first is x
    assert p.second is y and p.second_ex is y
    p.first = 42
    assert p.first == 42
    del p.first
    assert p.first is None
    p.second = 'z'
    assert p.second_ex == 'z'
    del p.second
    assert p.second is None
    with pytest.raises(AttributeError):
        p.second_ex


def test_field_keeps_object_alive(make_module):
    mod = make_module(PAIR)
    x = Payload()
    r = weakref.ref(x)
    p = mod.Pair(x)
    del x
    gc.collect()
    assert r() is not None and p.first is r()
    before = mod.destroyed_count()
    del p
    assert r() is None
    assert mod.destroyed_count() == before + 1


def test_field_visited_by_gc(make_module):
    mod = make_module(PAIR)
    x = Payload()
    p = mod.Pair(x)
    # as in HPy 0.9, exactly the fields: not the HPy type
    assert gc.get_referents(p) == [x]
    assert gc.is_tracked(p)

    # an instance of a Python subclass also refers to its class (which
    # CPython leaves to the traverse of the heap base, ours)
    class Sub(mod.Pair):
        __slots__ = ()
    s = Sub(x)
    refs = gc.get_referents(s)
    assert len(refs) == 2 and x in refs and Sub in refs


def test_cycle_through_fields_is_collected(make_module):
    mod = make_module(PAIR)
    gc.collect()
    before = mod.destroyed_count()
    a = mod.Pair()
    b = mod.Pair(a)
    a.first = b          # a -> b -> a through HPyFields
    c = mod.Pair()
    c.first = c          # a self cycle
    payload = Payload()
    a.second = payload
    ra, rb, rc, rp = weakref.ref(payload), None, None, None

    class Holder:
        pass
    h = Holder()
    d = mod.Pair(h)
    h.back = d           # a cycle through a Python object's __dict__
    rh = weakref.ref(h)

    del a, b, c, d, h, payload
    gc.collect()
    assert ra() is None
    assert rh() is None
    assert mod.destroyed_count() == before + 4


def test_python_subclass_cycle(make_module):
    mod = make_module(PAIR)

    class Sub(mod.Pair):
        pass
    gc.collect()
    before = mod.destroyed_count()
    s = Sub()
    s.first = s
    s.other = s          # also through its __dict__
    r = weakref.ref(s)
    del s
    gc.collect()
    assert r() is None
    assert mod.destroyed_count() == before + 1


def test_global(make_module):
    # the global belongs to the library, not to this module object: an
    # earlier import of PAIR (another test, or the refleak plugin's runs of
    # this one) may have left a value in it, which the store below releases
    mod = make_module(PAIR)
    x = Payload()
    r = weakref.ref(x)
    mod.global_store(x)
    del x
    gc.collect()
    assert mod.global_load() is r()
    mod.global_store(7)
    assert r() is None
    assert mod.global_load() == 7


def test_long_chain_through_fields(make_module):
    # deallocating a million objects linked through fields must not
    # overflow the C stack
    mod = make_module(PAIR)
    before = mod.destroyed_count()
    head = None
    for i in range(1000000):
        head = mod.Pair(head)
    del head
    assert mod.destroyed_count() == before + 1000000
    gc.collect()
