"""HPyType_SpecParam_Metaclass with a metaclass that has a C struct of its
own (an HPy type of shape HPyType_BuiltinShape_Type inheriting from `type`):
CPython 3.12+ makes such types with PyType_FromMetaclass, hpy-core with an
equivalent of its own before (type_spec.rs, from_metaclass_pre312)."""
import gc
import sys
import weakref

import pytest

from test_type import ADD_TYPE

META = ADD_TYPE + r"""
    #include <string.h>

    /* the metaclass: a C struct after PyHeapTypeObject */
    typedef struct {
        long magic;
        long counter;
        char more[64];
    } MetaObject;
    HPyType_HELPERS(MetaObject, HPyType_BuiltinShape_Type)

    HPyDef_MEMBER(Meta_counter, "counter", HPyMember_LONG, offsetof(MetaObject, counter))
    HPyDef_METH(Meta_fill, "fill", HPyFunc_O)
    static HPy Meta_fill_impl(HPyContext *ctx, HPy cls, HPy v)
    {
        MetaObject *m = MetaObject_AsStruct(ctx, cls);
        m->magic = HPyLong_AsLong(ctx, v);
        for (int i = 0; i < 64; i++)
            m->more[i] = (char)(i + m->magic);
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(Meta_check, "check", HPyFunc_NOARGS)
    static HPy Meta_check_impl(HPyContext *ctx, HPy cls)
    {
        MetaObject *m = MetaObject_AsStruct(ctx, cls);
        for (int i = 0; i < 64; i++)
            if (m->more[i] != (char)(i + m->magic))
                return HPyErr_SetString(ctx, ctx->h_RuntimeError, "the metaclass's struct was overwritten");
        return HPyLong_FromLong(ctx, m->magic);
    }
    static HPyDef *Meta_defines[] = { &Meta_counter, &Meta_fill, &Meta_check, NULL };
    static HPyType_Spec Meta_spec = {
        .name = "mytest.Meta",
        .basicsize = sizeof(MetaObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .builtin_shape = HPyType_BuiltinShape_Type,
        .defines = Meta_defines,
    };

    /* the types made with it: members, a method, a getset, slots, a doc */
    typedef struct { long a; long b; } ItemObject;
    HPyType_HELPERS(ItemObject)
    HPyDef_MEMBER(Item_a, "a", HPyMember_LONG, offsetof(ItemObject, a))
    HPyDef_MEMBER(Item_b, "b", HPyMember_LONG, offsetof(ItemObject, b))
    HPyDef_METH(Item_total, "total", HPyFunc_NOARGS, .doc = "a + b")
    static HPy Item_total_impl(HPyContext *ctx, HPy self)
    {
        ItemObject *o = ItemObject_AsStruct(ctx, self);
        return HPyLong_FromLong(ctx, o->a + o->b);
    }
    HPyDef_GET(Item_twice, "twice")
    static HPy Item_twice_get(HPyContext *ctx, HPy self, void *closure)
    {
        return HPyLong_FromLong(ctx, 2 * ItemObject_AsStruct(ctx, self)->a);
    }
    HPyDef_SLOT(Item_new, HPy_tp_new)
    static HPy Item_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                             HPy_ssize_t nargs, HPy kw)
    {
        ItemObject *o;
        HPy h = HPy_New(ctx, cls, &o);
        if (!HPy_IsNull(h) && nargs > 0)
            o->a = HPyLong_AsLong(ctx, args[0]);
        return h;
    }
    HPyDef_SLOT(Item_repr, HPy_tp_repr)
    static HPy Item_repr_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromFormat(ctx, "<Item %ld>", ItemObject_AsStruct(ctx, self)->a);
    }
    static HPyDef *Item_defines[] = {
        &Item_a, &Item_b, &Item_total, &Item_twice, &Item_new, &Item_repr, NULL };
    static HPyType_Spec Item_spec = {
        .name = "mytest.Item",
        .doc = "an item",
        .basicsize = sizeof(ItemObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Item_defines,
    };

    /* a GC type (a field) made with the metaclass, on an HPy base */
    typedef struct { long a; long b; HPyField held; } HolderObject;
    HPyType_HELPERS(HolderObject)
    HPyDef_MEMBER(Holder_held, "held", HPyMember_OBJECT, offsetof(HolderObject, held))
    HPyDef_MEMBER(Holder_a, "a", HPyMember_LONG, offsetof(HolderObject, a))
    HPyDef_SLOT(Holder_traverse, HPy_tp_traverse)
    static int Holder_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((HolderObject *)self)->held);
        return 0;
    }
    static HPyDef *Holder_defines[] = { &Holder_held, &Holder_a, &Holder_traverse, NULL };
    static HPyType_Spec Holder_spec = {
        .name = "mytest.Holder",
        .basicsize = sizeof(HolderObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
        .defines = Holder_defines,
    };

    /* make(which, metaclass or None, base or None): which 0 Item, 1 Holder */
    HPyDef_METH(make, "make", HPyFunc_VARARGS)
    static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        if (nargs != 3)
            return HPyErr_SetString(ctx, ctx->h_TypeError, "make(which, meta, base)");
        HPyType_SpecParam params[3];
        int n = 0;
        if (!HPy_Is(ctx, args[1], ctx->h_None))
            params[n++] = (HPyType_SpecParam){ HPyType_SpecParam_Metaclass, args[1] };
        if (!HPy_Is(ctx, args[2], ctx->h_None))
            params[n++] = (HPyType_SpecParam){ HPyType_SpecParam_Base, args[2] };
        params[n] = (HPyType_SpecParam){ (HPyType_SpecParam_Kind)0 };
        HPyType_Spec *spec = HPyLong_AsLong(ctx, args[0]) ? &Holder_spec : &Item_spec;
        return HPyType_FromSpec(ctx, spec, params);
    }

    HPyDef_SLOT(exec_meta, HPy_mod_exec)
    static int exec_meta_impl(HPyContext *ctx, HPy mod)
    {
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Base, ctx->h_TypeType },
            { (HPyType_SpecParam_Kind)0 }
        };
        return add_type(ctx, mod, "Meta", &Meta_spec, params);
    }

    @EXPORT(make)
    @EXPORT(exec_meta)
    @INIT
"""


def test_type_made_by_a_metaclass_with_a_struct(make_module):
    mod = make_module(META)
    Meta = mod.Meta
    assert type(Meta) is type and Meta.__basicsize__ > type.__basicsize__
    T = mod.make(0, Meta, None)
    assert type(T) is Meta and isinstance(T, type)
    assert (T.__name__, T.__qualname__, T.__module__) == ('Item', 'Item', 'mytest')
    assert T.__doc__ == 'an item'
    assert T.__bases__ == (object,) and T.__mro__ == (T, object)
    # the metaclass's struct and member
    T.fill(5)
    T.counter = 41
    assert T.counter == 41 and T.check() == 5
    # the type's own methods, members, getset, slots
    t = T(20)
    t.b = 3
    assert (t.a, t.b, t.total(), t.twice) == (20, 3, 23, 40)
    assert repr(t) == '<Item 20>' and type(t) is T
    assert T.total.__doc__ == 'a + b'
    # writing the instance's members left the metaclass's struct alone
    assert T.check() == 5 and T.counter == 41
    # the same names as the type made without a metaclass: no extra slot
    # wrappers, __module__ and __doc__ kept
    Plain = mod.make(0, None, None)
    assert type(Plain) is type
    assert sorted(T.__dict__) == sorted(Plain.__dict__)
    # a Python subclass: its metaclass is inherited
    class Sub(T):
        def total(self):
            return super().total() * 10
    assert type(Sub) is Meta
    s = Sub(1)
    s.b = 1
    assert s.total() == 20 and isinstance(s, T)
    Sub.fill(3)
    assert Sub.check() == 3 and T.check() == 5


def test_base_lists_the_new_type_once(make_module):
    mod = make_module(META)
    Base = mod.make(0, None, None)
    T = mod.make(1, mod.Meta, Base)
    assert T.__bases__ == (Base,) and type(T) is mod.Meta
    # no trace of an intermediate type object
    assert Base.__subclasses__() == [T]
    assert sum(1 for c in object.__subclasses__() if c.__name__ == 'Holder') == 0
    h = T()
    h.held = h
    h.a = 4
    assert h.a == 4 and h.held is h


def test_types_and_metaclass_are_freed(make_module):
    mod = make_module(META)
    Meta = mod.Meta
    gc.collect()
    before = sys.getrefcount(Meta)
    refs = []
    for which in (0, 1):
        T = mod.make(which, Meta, None)
        T.fill(which)
        o = T()
        o.a = 1
        if which:
            o.held = T      # the instance holds its type in a field
        refs.append(weakref.ref(T))
        del T, o
    gc.collect()
    assert [r() for r in refs] == [None, None]
    assert sys.getrefcount(Meta) == before


def test_many_types_with_a_metaclass(make_module):
    # the type objects are allocated and freed by the metaclass, over and
    # over (a mistake in their layout shows up as a crash here)
    mod = make_module(META)
    for i in range(200):
        T = mod.make(i % 2, mod.Meta, None)
        T.fill(i % 100)
        o = T()
        o.a = i
        assert T.check() == i % 100 and o.a == i
        if i % 50 == 0:
            gc.collect()
    del T, o
    gc.collect()


def test_bad_metaclasses(make_module):
    mod = make_module(META)
    with pytest.raises(TypeError, match='not a subclass of'):
        mod.make(0, 'hello', None)
    with pytest.raises(TypeError):
        mod.make(0, int, None)        # a type with a tp_new of its own

    class WithNew(mod.Meta):
        def __new__(mcls, *args):
            return super().__new__(mcls, *args)
    with pytest.raises(TypeError, match='tp_new'):
        mod.make(0, WithNew, None)

    class PyMeta(mod.Meta):
        def describe(cls):
            return 'made by ' + type(cls).__name__
    T = mod.make(0, PyMeta, None)     # a Python subclass of the HPy metaclass
    assert type(T) is PyMeta and T.describe() == 'made by PyMeta'
    T.fill(9)
    assert T.check() == 9 and T(2).total() == 2
