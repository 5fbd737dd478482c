"""HPy types that inherit from built-in types (every HPyType_BuiltinShape),
from other HPy types, with several bases, and with a metaclass."""
import gc

import pytest

from test_type import ADD_TYPE

# One type per shape; each C struct holds a tag that a method reads back
# through the shape's AsStruct.
SHAPES = ADD_TYPE + r"""
    typedef struct { long tag; long tag2; } TagObject;

    #define SHAPED(NAME, SHAPE_ID, FLAGS)                                     \
        typedef struct { long tag; long tag2; } NAME##Object;                 \
        HPyType_HELPERS(NAME##Object, SHAPE_ID)                               \
        HPyDef_METH(NAME##_get, "get_tag", HPyFunc_NOARGS)                    \
        static HPy NAME##_get_impl(HPyContext *ctx, HPy self)                 \
        {                                                                     \
            NAME##Object *o = NAME##Object_AsStruct(ctx, self);               \
            return HPyLong_FromLong(ctx, o->tag * 1000 + o->tag2);            \
        }                                                                     \
        HPyDef_METH(NAME##_set, "set_tag", HPyFunc_O)                         \
        static HPy NAME##_set_impl(HPyContext *ctx, HPy self, HPy v)          \
        {                                                                     \
            NAME##Object *o = NAME##Object_AsStruct(ctx, self);               \
            o->tag = HPyLong_AsLong(ctx, v);                                  \
            o->tag2 = o->tag + 1;                                             \
            return HPy_Dup(ctx, ctx->h_None);                                 \
        }                                                                     \
        HPyDef_MEMBER(NAME##_tag, "tag", HPyMember_LONG,                      \
                      offsetof(NAME##Object, tag))                            \
        static HPyDef *NAME##_defines[] = {                                   \
            &NAME##_get, &NAME##_set, &NAME##_tag, NULL };                    \
        static HPyType_Spec NAME##_spec = {                                   \
            .name = "mytest." #NAME,                                          \
            .basicsize = sizeof(NAME##Object),                                \
            .builtin_shape = SHAPE(NAME##Object),                             \
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | (FLAGS),    \
            .defines = NAME##_defines,                                        \
        };

    SHAPED(OfObject, HPyType_BuiltinShape_Object, 0)
    SHAPED(LongWithStruct, HPyType_BuiltinShape_Long, 0)
    SHAPED(TupleWithStruct, HPyType_BuiltinShape_Tuple, 0)
    SHAPED(OfFloat, HPyType_BuiltinShape_Float, 0)
    SHAPED(OfUnicode, HPyType_BuiltinShape_Unicode, 0)

    /* int and tuple subclasses: OfLong and OfTuple carry no C struct;
       LongWithStruct and TupleWithStruct do (made by make_with_struct) */
    static HPyType_Spec OfLong_spec = {
        .name = "mytest.OfLong",
        .builtin_shape = HPyType_BuiltinShape_Long,
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    };
    static HPyType_Spec OfTuple_spec = {
        .name = "mytest.OfTuple",
        .builtin_shape = HPyType_BuiltinShape_Tuple,
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    };

    /* which: 0 LongWithStruct, 1 TupleWithStruct; +2 without
       HPy_TPFLAGS_BASETYPE */
    HPyDef_METH(make_with_struct, "make_with_struct", HPyFunc_O)
    static HPy make_with_struct_impl(HPyContext *ctx, HPy self, HPy which)
    {
        long w = HPyLong_AsLong(ctx, which);
        HPyType_Spec *spec = (w & 1) ? &TupleWithStruct_spec : &LongWithStruct_spec;
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Base, (w & 1) ? ctx->h_TupleType : ctx->h_LongType },
            { (HPyType_SpecParam_Kind)0 }
        };
        spec->flags = HPy_TPFLAGS_DEFAULT | (w & 2 ? 0 : HPy_TPFLAGS_BASETYPE);
        return HPyType_FromSpec(ctx, spec, params);
    }
    SHAPED(OfList, HPyType_BuiltinShape_List, 0)
#if defined(HPY_ABI_VERSION_MINOR_REQUESTED)
    SHAPED(OfDict, HPyType_BuiltinShape_Dict, 0)
#endif
    SHAPED(OfType, HPyType_BuiltinShape_Type, 0)

    /* an HPy type inheriting from OfObject: its struct starts with the base's */
    typedef struct { OfObjectObject base; long extra; } DerivedObject;
    HPyType_HELPERS(DerivedObject)
    HPyDef_MEMBER(Derived_extra, "extra", HPyMember_LONG, offsetof(DerivedObject, extra))
    static HPyDef *Derived_defines[] = { &Derived_extra, NULL };
    static HPyType_Spec Derived_spec = {
        .name = "mytest.Derived",
        .basicsize = sizeof(DerivedObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Derived_defines,
    };
    /* and one that adds no struct of its own (basicsize 0: inherited) */
    static HPyType_Spec Empty_spec = {
        .name = "mytest.Empty",
        .flags = HPy_TPFLAGS_DEFAULT,
    };

    static int add_shaped(HPyContext *ctx, HPy mod, const char *name,
                          HPyType_Spec *spec, HPy base)
    {
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Base, base },
            { (HPyType_SpecParam_Kind)0 }
        };
        return add_type(ctx, mod, name, spec, HPy_IsNull(base) ? NULL : params);
    }

    HPyDef_METH(shape_of, "shape_of", HPyFunc_O)
    static HPy shape_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        return HPyLong_FromLong(ctx, _HPyType_GetBuiltinShape(ctx, t));
    }

    /* a type whose metaclass is `meta` (e.g. OfType, whose instances have a
       C struct of their own) */
    static HPyType_Spec WithMeta_spec = {
        .name = "mytest.WithMeta",
        .flags = HPy_TPFLAGS_DEFAULT,
    };
    HPyDef_METH(make_with_meta, "make_with_meta", HPyFunc_O)
    static HPy make_with_meta_impl(HPyContext *ctx, HPy self, HPy meta)
    {
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Metaclass, meta },
            { (HPyType_SpecParam_Kind)0 }
        };
        return HPyType_FromSpec(ctx, &WithMeta_spec, params);
    }

    /* header_of(obj, shape): where the accessor of `shape` puts the C struct
       of obj, as an offset from the object's start */
    HPyDef_METH(header_of, "header_of", HPyFunc_VARARGS)
    static HPy header_of_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy h = args[0];
        char *start = (char *)_HPy_AsStruct_Legacy(ctx, h), *p = NULL;
        switch (HPyLong_AsLong(ctx, args[1])) {
        case HPyType_BuiltinShape_Object: p = (char *)_HPy_AsStruct_Object(ctx, h); break;
        case HPyType_BuiltinShape_Type: p = (char *)_HPy_AsStruct_Type(ctx, h); break;
        case HPyType_BuiltinShape_Long: p = (char *)_HPy_AsStruct_Long(ctx, h); break;
        case HPyType_BuiltinShape_Float: p = (char *)_HPy_AsStruct_Float(ctx, h); break;
        case HPyType_BuiltinShape_Unicode: p = (char *)_HPy_AsStruct_Unicode(ctx, h); break;
        case HPyType_BuiltinShape_Tuple: p = (char *)_HPy_AsStruct_Tuple(ctx, h); break;
        case HPyType_BuiltinShape_List: p = (char *)_HPy_AsStruct_List(ctx, h); break;
#if defined(HPY_ABI_VERSION_MINOR_REQUESTED)
        case HPyType_BuiltinShape_Dict: p = (char *)_HPy_AsStruct_Dict(ctx, h); break;
#endif
        default: p = start; break;
        }
        return HPyLong_FromSsize_t(ctx, (HPy_ssize_t)(p - start));
    }

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        if (add_shaped(ctx, mod, "OfObject", &OfObject_spec, HPy_NULL) < 0 ||
            add_shaped(ctx, mod, "OfLong", &OfLong_spec, ctx->h_LongType) < 0 ||
            add_shaped(ctx, mod, "OfFloat", &OfFloat_spec, ctx->h_FloatType) < 0 ||
            add_shaped(ctx, mod, "OfUnicode", &OfUnicode_spec, ctx->h_UnicodeType) < 0 ||
            add_shaped(ctx, mod, "OfTuple", &OfTuple_spec, ctx->h_TupleType) < 0 ||
            add_shaped(ctx, mod, "OfList", &OfList_spec, ctx->h_ListType) < 0 ||
#if defined(HPY_ABI_VERSION_MINOR_REQUESTED)
            add_shaped(ctx, mod, "OfDict", &OfDict_spec, ctx->h_DictType) < 0 ||
#endif
            add_shaped(ctx, mod, "OfType", &OfType_spec, ctx->h_TypeType) < 0)
            return -1;
        HPy base = HPy_GetAttr_s(ctx, mod, "OfObject");
        int r = add_shaped(ctx, mod, "Derived", &Derived_spec, base);
        if (r == 0)
            r = add_shaped(ctx, mod, "Empty", &Empty_spec, base);
        HPy_Close(ctx, base);
        return r;
    }

    @EXPORT(shape_of)
    @EXPORT(make_with_struct)
    @EXPORT(make_with_meta)
    @EXPORT(header_of)
    @EXPORT(exec_types)
    @INIT
"""


def check_tag(obj):
    obj.set_tag(7)
    assert obj.get_tag() == 7008
    assert obj.tag == 7
    obj.tag = 9
    assert obj.get_tag() == 9008


def test_shapes(make_module):
    mod = make_module(SHAPES)
    names = ['OfObject', 'OfType', 'OfLong', 'OfFloat', 'OfUnicode',
             'OfTuple', 'OfList']
    assert [mod.shape_of(getattr(mod, n)) for n in names] == list(range(7))
    assert mod.shape_of(mod.Derived) == 0
    assert mod.shape_of(list) == -1

    o = mod.OfObject()
    check_tag(o)

    i = mod.OfLong(42)
    assert i == 42 and i + 1 == 43 and isinstance(i, int)
    assert mod.OfLong(2**200) == 2**200

    f = mod.OfFloat(2.5)
    check_tag(f)
    assert f == 2.5 and f * 2 == 5.0

    u = mod.OfUnicode('hello')
    check_tag(u)
    assert u == 'hello' and u.upper() == 'HELLO'

    t = mod.OfTuple((1, 2))
    assert t == (1, 2) and len(t) == 2
    # with a C struct: allowed (as in HPy 0.9), as a base type too (see
    # test_int_and_tuple_types_with_a_struct_as_bases)
    assert issubclass(mod.make_with_struct(0), int)
    assert issubclass(mod.make_with_struct(1), tuple)

    l = mod.OfList([1, 2, 3])
    check_tag(l)
    l.append(4)
    l.extend(range(100))
    assert l[:4] == [1, 2, 3, 4] and len(l) == 104
    assert l.get_tag() == 9008

    # a metaclass made with the Type shape
    T = mod.OfType('T', (), {'x': 5})
    assert T.x == 5 and type(T) is mod.OfType
    check_tag(T)
    del o, i, f, u, t, l, T
    gc.collect()


def test_struct_offsets(make_module, hpy_abi):
    # HPy 0.9's layout: the C struct follows the built-in base's C struct,
    # at a multiple of 16 (the largest alignment of a C scalar)
    if 'debug' in hpy_abi:
        pytest.skip("applies every shape's accessor to one object on purpose, "
                    "which debug mode reports (as HPy 0.9's)")
    mod = make_module(SHAPES)
    o = mod.OfObject()

    def c_struct_size(t):
        # sizeof the built-in's C struct: its basicsize, plus the one item
        # that the C structs of int and tuple declare
        return t.__basicsize__ + (t.__itemsize__ if t in (int, tuple) else 0)

    def rounded(n):
        return (n + 15) // 16 * 16
    assert mod.header_of(o, 0) == 16
    assert mod.header_of(o, -1) == 0
    for shape, t in [(1, type), (2, int), (3, float), (4, str), (5, tuple),
                     (6, list)]:
        assert mod.header_of(o, shape) == rounded(c_struct_size(t)), t
    assert mod.header_of(o, 3) == 32 and mod.header_of(o, 6) == 48


def test_hpy_subtype(make_module):
    mod = make_module(SHAPES)
    d = mod.Derived()
    check_tag(d)
    d.extra = 12
    assert d.extra == 12 and d.get_tag() == 9008
    assert isinstance(d, mod.OfObject)
    e = mod.Empty()
    check_tag(e)

    class PySub(mod.Derived):
        pass
    p = PySub()
    check_tag(p)
    p.extra = 3
    p.attr = 'a'
    assert (p.extra, p.attr) == (3, 'a')


PARAMS = ADD_TYPE + r"""
    typedef struct { long v; } AObject;
    HPyType_HELPERS(AObject)
    HPyDef_MEMBER(A_v, "v", HPyMember_LONG, offsetof(AObject, v))
    static HPyDef *A_defines[] = { &A_v, NULL };
    static HPyType_Spec A_spec = {
        .name = "mytest.A",
        .basicsize = sizeof(AObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = A_defines,
    };
    static HPyType_Spec Mixed_spec = {
        .name = "mytest.Mixed",
        .basicsize = sizeof(AObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = A_defines,
    };
    static HPyType_Spec WithMeta_spec = {
        .name = "mytest.WithMeta",
        .basicsize = sizeof(AObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .defines = A_defines,
    };

    /* make(kind, obj): a type from Mixed_spec with the param `kind` = obj */
    HPyDef_METH(make, "make", HPyFunc_VARARGS)
    static HPy make_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        long kind = HPyLong_AsLong(ctx, args[0]);
        HPyType_SpecParam params[] = {
            { (HPyType_SpecParam_Kind)kind, args[1] },
            { (HPyType_SpecParam_Kind)0 }
        };
        return HPyType_FromSpec(ctx, nargs > 2 ? &WithMeta_spec : &Mixed_spec, params);
    }

    HPyDef_METH(make_a, "make_a", HPyFunc_NOARGS)
    static HPy make_a_impl(HPyContext *ctx, HPy self)
    {
        return HPyType_FromSpec(ctx, &A_spec, NULL);
    }

    @EXPORT(make)
    @EXPORT(make_a)
    @INIT
"""


def test_spec_params(make_module):
    mod = make_module(PARAMS)
    A = mod.make_a()

    class Mixin:
        # no __dict__: CPython 3.12's PyType_FromSpecWithBases mishandles a
        # second base with a (managed) __dict__
        __slots__ = ()

        def hello(self):
            return 'hello %d' % self.v
    B = mod.make(1, A)                          # HPyType_SpecParam_Base
    assert B.__bases__ == (A,)
    b = B()
    b.v = 3
    assert b.v == 3 and isinstance(b, A)
    C = mod.make(2, (A, Mixin))                 # HPyType_SpecParam_BasesTuple
    assert C.__bases__ == (A, Mixin)
    c = C()
    c.v = 4
    assert c.hello() == 'hello 4'
    with pytest.raises(TypeError):
        mod.make(99, A)                         # unknown kind
    with pytest.raises(TypeError):
        mod.make(2, 42)                         # bases is not a tuple


def test_metaclass(make_module):
    mod = make_module(PARAMS)

    class Meta(type):
        def describe(cls):
            return 'meta of ' + cls.__name__
    W = mod.make(3, Meta, 'meta')
    assert type(W) is Meta
    assert W.describe() == 'meta of WithMeta'
    w = W()
    w.v = 5
    assert w.v == 5
    with pytest.raises(TypeError, match='not a subclass of'):
        mod.make(3, 42, 'meta')

    class WithNew(type):
        def __new__(mcls, *args):
            return super().__new__(mcls, *args)
    with pytest.raises(TypeError, match='tp_new'):
        mod.make(3, WithNew, 'meta')
    del W, w
    gc.collect()


def test_metaclass_with_a_struct(make_module):
    # PyType_FromMetaclass on 3.12+, hpy-core's equivalent before (more in
    # test_type_metaclass.py)
    mod = make_module(SHAPES)
    W = mod.make_with_meta(mod.OfType)
    assert type(W) is mod.OfType
    check_tag(W)
    assert type(W()) is W


def test_dict_shape(compiler, hpy_abi):
    # HPyType_BuiltinShape_Dict's accessor (_HPy_AsStruct_Dict) came after
    # HPy 0.9.0: a module opts in to ABI minor version 1 to use it
    import support
    source = support.expand_template(SHAPES, 'mytest_dict')
    with pytest.raises(support.CompileError, match='HPY_ABI_VERSION_MINOR_REQUESTED'):
        compiler.compile_source(source.replace(
            '#if defined(HPY_ABI_VERSION_MINOR_REQUESTED)', '#if 1'),
            'mytest_dict', support.compile_abi(hpy_abi))
    path = compiler.compile_source('#define HPY_ABI_VERSION_MINOR_REQUESTED 1\n' + source,
                                   'mytest_dict', support.compile_abi(hpy_abi))
    mod = support.load_extension('mytest_dict', path, hpy_abi)
    assert mod.shape_of(mod.OfDict) == 7
    assert mod.header_of(mod.OfDict(), 7) == (dict.__basicsize__ + 15) // 16 * 16
    d = mod.OfDict(a=1)
    check_tag(d)
    for k in range(100):
        d[k] = k
    assert d['a'] == 1 and len(d) == 101
    assert d.get_tag() == 9008
    del d
    gc.collect()


def test_int_and_tuple_types_with_a_struct(make_module):
    # The digits of an int and the elements of a tuple run on into the C
    # struct, so only the few that fit before it are allowed.
    mod = make_module(SHAPES)
    L = mod.make_with_struct(2)
    assert issubclass(L, int) and mod.shape_of(L) == 2
    for v in (0, 1, -5, 42, 2**59, -(2**59)):
        i = L(v)
        assert i == v and i.get_tag() == 0
        check_tag(i)
        assert i == v            # the struct did not change the value
    with pytest.raises(OverflowError, match='at most 2 items'):
        L(2**70)
    with pytest.raises(OverflowError, match='at most 2 items'):
        int.__new__(L, -(2**100))
    with pytest.raises(TypeError):
        class Sub(L):
            pass

    T = mod.make_with_struct(3)
    assert issubclass(T, tuple) and mod.shape_of(T) == 5
    for v in ((), ('x',)):
        t = T(v)
        check_tag(t)
        assert t == v
    with pytest.raises(OverflowError, match='at most 1 items'):
        T((1, 2))
    gc.collect()


def test_int_and_tuple_types_with_a_struct_as_bases(make_module):
    # A Python subclass gets the allocator of its HPy base (which refuses
    # the items that would reach into the C struct) before its first
    # instance is made; its instance dict lies past the struct.
    mod = make_module(SHAPES)
    L = mod.make_with_struct(0)             # int, with HPy_TPFLAGS_BASETYPE
    assert L(5) == 5

    class S(L):
        def double(self):
            return int(self) * 2
    for v in (0, 7, -(2**59), 2**60 - 1):
        s = S(v)
        assert s == v and type(s) is S and s.double() == 2 * v
        check_tag(s)
        assert s == v            # the struct did not change the value
    s.note = 'x'
    assert s.note == 'x' and s.get_tag() == 9008 and s == 2**60 - 1
    with pytest.raises(OverflowError, match='at most 2 items'):
        S(2**70)
    with pytest.raises(OverflowError, match='at most 2 items'):
        L.__new__(S, -(2**100))
    with pytest.raises(TypeError, match='not safe'):
        int.__new__(S, 2**100)  # CPython refuses to bypass L's constructor

    class S2(S):
        pass
    s2 = S2(3)
    check_tag(s2)
    assert s2 == 3 and isinstance(s2, L)
    with pytest.raises(OverflowError):
        S2(-(2**90))

    T = mod.make_with_struct(1)             # tuple, with HPy_TPFLAGS_BASETYPE

    class U(T):
        pass
    u = U(('a',))
    check_tag(u)
    assert u == ('a',) and type(u) is U and U(()) == ()
    with pytest.raises(OverflowError, match='at most 1 items'):
        U((1, 2, 3))
    del s, s2, u, S, S2, U
    gc.collect()
