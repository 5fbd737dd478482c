"""HPyType_FromSpec and the instances of HPy types: methods, members,
getsets, slots, HPy_New, the C struct (HPy_AsStruct), names and docs."""
import sys

import pytest

# Each snippet creates its types in an exec slot with this helper.
ADD_TYPE = r"""
    #include <stdio.h>
    #include <stdlib.h>
    static int add_type(HPyContext *ctx, HPy mod, const char *name,
                        HPyType_Spec *spec, HPyType_SpecParam *params)
    {
        HPy t = HPyType_FromSpec(ctx, spec, params);
        if (HPy_IsNull(t))
            return -1;
        int r = HPy_SetAttr_s(ctx, mod, name, t);
        HPy_Close(ctx, t);
        return r;
    }
"""

# For snippets whose slots make instances of their own type, or check that
# an operand is one (test_type_slots.py, test_slot_call.py).
SAME_TYPE = r"""
    /* a new instance of the type of `like`, its C struct in *data */
    static HPy new_like(HPyContext *ctx, HPy like, void **data)
    {
        HPy t = HPy_Type(ctx, like);
        HPy h = HPy_New(ctx, t, data);
        HPy_Close(ctx, t);
        return h;
    }

    /* whether `h` is an instance of the type of `like` */
    static int same_type(HPyContext *ctx, HPy like, HPy h)
    {
        HPy t = HPy_Type(ctx, like);
        int r = HPy_TypeCheck(ctx, h, t);
        HPy_Close(ctx, t);
        return r;
    }
"""

POINT = ADD_TYPE + r"""
    typedef struct {
        long x;
        long y;
        double weight;
    } PointObject;
    HPyType_HELPERS(PointObject)

    HPyDef_SLOT(Point_new, HPy_tp_new)
    static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                              HPy_ssize_t nargs, HPy kw)
    {
        long x = 0, y = 0;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "|ll", &x, &y))
            return HPy_NULL;
        PointObject *p;
        HPy h = HPy_New(ctx, cls, &p);
        if (HPy_IsNull(h))
            return HPy_NULL;
        p->x = x;
        p->y = y;
        p->weight = 1.5;
        return h;
    }

    HPyDef_METH(Point_norm1, "norm1", HPyFunc_NOARGS,
                .doc = "norm1($self, /)\n--\n\nThe L1 norm.")
    static HPy Point_norm1_impl(HPyContext *ctx, HPy self)
    {
        PointObject *p = PointObject_AsStruct(ctx, self);
        return HPyLong_FromLong(ctx, labs(p->x) + labs(p->y));
    }

    HPyDef_METH(Point_scale, "scale", HPyFunc_O)
    static HPy Point_scale_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        long k = HPyLong_AsLong(ctx, arg);
        if (k == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        PointObject *p = PointObject_AsStruct(ctx, self);
        p->x *= k;
        p->y *= k;
        return HPy_Dup(ctx, self);
    }

    HPyDef_METH(Point_move, "move", HPyFunc_VARARGS)
    static HPy Point_move_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        long dx, dy;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll", &dx, &dy))
            return HPy_NULL;
        PointObject *p = PointObject_AsStruct(ctx, self);
        p->x += dx;
        p->y += dy;
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(Point_kw, "kw", HPyFunc_KEYWORDS)
    static HPy Point_kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs,
                             HPy kwnames)
    {
        long a = 0, b = 0;
        static const char *kwlist[] = { "a", "b", NULL };
        HPyTracker ht;
        if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "|ll", kwlist, &a, &b))
            return HPy_NULL;
        HPyTracker_Close(ctx, ht);
        return HPyLong_FromLong(ctx, a * 10 + b);
    }

    HPyDef_MEMBER(Point_x, "x", HPyMember_LONG, offsetof(PointObject, x))
    HPyDef_MEMBER(Point_y, "y", HPyMember_LONG, offsetof(PointObject, y), .readonly = 1,
                  .doc = "the y coordinate")
    HPyDef_MEMBER(Point_weight, "weight", HPyMember_DOUBLE, offsetof(PointObject, weight))

    HPyDef_GETSET(Point_sum, "sum", .closure = (void *)1000)
    static HPy Point_sum_get(HPyContext *ctx, HPy self, void *closure)
    {
        PointObject *p = PointObject_AsStruct(ctx, self);
        return HPyLong_FromLong(ctx, p->x + p->y + (long)closure);
    }
    static int Point_sum_set(HPyContext *ctx, HPy self, HPy value, void *closure)
    {
        if (HPy_IsNull(value)) {
            HPyErr_SetString(ctx, ctx->h_AttributeError, "cannot delete sum");
            return -1;
        }
        long v = HPyLong_AsLong(ctx, value);
        if (v == -1 && HPyErr_Occurred(ctx))
            return -1;
        PointObject *p = PointObject_AsStruct(ctx, self);
        p->x = v - (long)closure;
        p->y = 0;
        return 0;
    }

    HPyDef_GET(Point_ro, "ro", .doc = "read only")
    static HPy Point_ro_get(HPyContext *ctx, HPy self, void *closure)
    {
        return HPyUnicode_FromString(ctx, "ro");
    }

    HPyDef_SET(Point_wo, "wo")
    static int Point_wo_set(HPyContext *ctx, HPy self, HPy value, void *closure)
    {
        PointObject *p = PointObject_AsStruct(ctx, self);
        p->x = HPyLong_AsLong(ctx, value);
        return HPyErr_Occurred(ctx) ? -1 : 0;
    }

    HPyDef_SLOT(Point_repr, HPy_tp_repr)
    static HPy Point_repr_impl(HPyContext *ctx, HPy self)
    {
        PointObject *p = PointObject_AsStruct(ctx, self);
        char buf[64];
        snprintf(buf, sizeof(buf), "Point(%ld, %ld)", p->x, p->y);
        return HPyUnicode_FromString(ctx, buf);
    }

    HPyDef_SLOT(Point_str, HPy_tp_str)
    static HPy Point_str_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, "a point");
    }

    HPyDef_SLOT(Point_hash, HPy_tp_hash)
    static HPy_hash_t Point_hash_impl(HPyContext *ctx, HPy self)
    {
        PointObject *p = PointObject_AsStruct(ctx, self);
        return p->x * 1000 + p->y;
    }

    HPyDef_SLOT(Point_richcmp, HPy_tp_richcompare)
    static HPy Point_richcmp_impl(HPyContext *ctx, HPy self, HPy other, HPy_RichCmpOp op)
    {
        HPy t = HPy_Type(ctx, self);
        int same = HPy_TypeCheck(ctx, other, t);
        HPy_Close(ctx, t);
        if (!same || (op != HPy_EQ && op != HPy_NE))
            return HPy_Dup(ctx, ctx->h_NotImplemented);
        PointObject *a = PointObject_AsStruct(ctx, self);
        PointObject *b = PointObject_AsStruct(ctx, other);
        int eq = a->x == b->x && a->y == b->y;
        return HPyBool_FromLong(ctx, op == HPy_EQ ? eq : !eq);
    }

    static HPyDef *Point_defines[] = {
        &Point_new, &Point_norm1, &Point_scale, &Point_move, &Point_kw,
        &Point_x, &Point_y, &Point_weight, &Point_sum, &Point_ro, &Point_wo,
        &Point_repr, &Point_str, &Point_hash, &Point_richcmp, NULL
    };
    static HPyType_Spec Point_spec = {
        .name = "mytest.pkg.Point",
        .doc = "Point(x=0, y=0)\n--\n\nA point.",
        .basicsize = sizeof(PointObject),
        .builtin_shape = SHAPE(PointObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = Point_defines,
    };

    HPyDef_METH(shape_of, "shape_of", HPyFunc_O)
    static HPy shape_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        HPyType_BuiltinShape s = _HPyType_GetBuiltinShape(ctx, t);
        if (s == -2)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, s);
    }

    HPyDef_METH(name_of, "name_of", HPyFunc_O)
    static HPy name_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        const char *name = HPyType_GetName(ctx, t);
        if (name == NULL)
            return HPy_NULL;
        return HPyUnicode_FromString(ctx, name);
    }

    HPyDef_METH(new_of, "new_of", HPyFunc_O)
    static HPy new_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        PointObject *p = NULL;
        HPy h = HPy_New(ctx, t, &p);
        if (HPy_IsNull(h))
            return HPy_NULL;
        /* the C struct is zeroed */
        if (p->x != 0 || p->y != 0 || p->weight != 0.0) {
            HPy_Close(ctx, h);
            HPyErr_SetString(ctx, ctx->h_AssertionError, "not zeroed");
            return HPy_NULL;
        }
        return h;
    }

    HPyDef_METH(generic_new, "generic_new", HPyFunc_O)
    static HPy generic_new_impl(HPyContext *ctx, HPy self, HPy t)
    {
        return HPyType_GenericNew(ctx, t, NULL, 0, HPy_NULL);
    }

    HPyDef_SLOT(exec_point, HPy_mod_exec)
    static int exec_point_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Point", &Point_spec, NULL);
    }

    @EXPORT(shape_of)
    @EXPORT(name_of)
    @EXPORT(new_of)
    @EXPORT(generic_new)
    @EXPORT(exec_point)
    @INIT
"""


def test_type_names_and_doc(make_module):
    mod = make_module(POINT)
    P = mod.Point
    assert P.__name__ == 'Point'
    assert P.__qualname__ == 'Point'
    assert P.__module__ == 'mytest.pkg'
    assert P.__doc__ == 'A point.'
    if sys.version_info >= (3, 10):
        # 3.9 looks for the full tp_name ("mytest.pkg.Point(") in the doc
        assert P.__text_signature__ == '(x=0, y=0)'
    # HPyType_GetName gives the name without the module, like __name__
    assert mod.name_of(P) == 'Point'
    assert mod.name_of(int) == 'int'
    import collections
    assert mod.name_of(collections.OrderedDict) == 'OrderedDict'
    with pytest.raises(TypeError):
        mod.name_of(42)
    assert isinstance(P, type)
    assert type(P) is type


def test_methods_all_conventions(make_module):
    mod = make_module(POINT)
    p = mod.Point(3, -4)
    assert p.norm1() == 7
    assert p.scale(2) is p
    assert (p.x, p.y) == (6, -8)
    assert p.move(1, 1) is None
    assert (p.x, p.y) == (7, -7)
    assert p.kw() == 0
    assert p.kw(1, b=2) == 12
    assert p.kw(b=3) == 3
    with pytest.raises(TypeError):
        p.kw(c=1)
    with pytest.raises(TypeError):
        p.move(1)
    assert mod.Point.norm1.__doc__ == 'The L1 norm.'
    assert mod.Point.norm1.__text_signature__ == '($self, /)'


def test_members_and_getsets(make_module):
    mod = make_module(POINT)
    p = mod.Point(1, 2)
    assert (p.x, p.y, p.weight) == (1, 2, 1.5)
    p.x = 10
    p.weight = 2.25
    assert (p.x, p.weight) == (10, 2.25)
    with pytest.raises(AttributeError):
        p.y = 5
    assert mod.Point.y.__doc__ == 'the y coordinate'
    with pytest.raises(TypeError):
        p.weight = 'a'
    assert p.sum == 10 + 2 + 1000
    p.sum = 1005
    assert (p.x, p.y) == (5, 0)
    with pytest.raises(AttributeError):
        del p.sum
    assert p.ro == 'ro'
    assert mod.Point.ro.__doc__ == 'read only'
    with pytest.raises(AttributeError):
        p.ro = 1
    p.wo = 77
    assert p.x == 77
    with pytest.raises(AttributeError):
        p.wo


def test_slots_repr_str_hash_richcompare(make_module):
    mod = make_module(POINT)
    p = mod.Point(1, 2)
    assert repr(p) == 'Point(1, 2)'
    assert str(p) == 'a point'
    assert hash(p) == 1002
    assert p == mod.Point(1, 2)
    assert p != mod.Point(2, 1)
    assert not (p == 5)
    with pytest.raises(TypeError):
        p < p


def test_new_and_struct(make_module):
    mod = make_module(POINT)
    p = mod.new_of(mod.Point)
    assert type(p) is mod.Point
    assert (p.x, p.y, p.weight) == (0, 0, 0.0)
    g = mod.generic_new(mod.Point)
    assert type(g) is mod.Point and g.x == 0
    with pytest.raises(TypeError):
        mod.new_of(42)
    with pytest.raises(TypeError, match='not an HPy type'):
        mod.new_of(int)
    assert mod.shape_of(mod.Point) == 0
    assert mod.shape_of(int) == -1
    with pytest.raises(TypeError):
        mod.shape_of(3)


def test_python_subclass(make_module):
    mod = make_module(POINT)

    class Sub(mod.Point):
        extra = 'e'

        def __new__(cls, x, y, z):
            return super().__new__(cls, x, y)

        def __init__(self, x, y, z):
            self.z = z

        def norm1(self):
            return super().norm1() + self.z

    s = Sub(1, -2, 10)
    assert (s.x, s.y, s.z) == (1, -2, 10)
    assert s.norm1() == 13
    assert repr(s) == 'Point(1, -2)'
    assert mod.shape_of(Sub) == 0
    s.scale(3)
    assert (s.x, s.y) == (3, -6)
    subs = [Sub(i, i, i) for i in range(100)]
    assert sum(o.x for o in subs) == 4950
    del subs
    t = mod.new_of(Sub)
    assert type(t) is Sub and t.x == 0

    class WithSlots(mod.Point):
        __slots__ = ('a', 'b')

    w = WithSlots(4, 5)
    w.a = [1]
    w.b = 'b'
    assert (w.x, w.y, w.a, w.b) == (4, 5, [1], 'b')


def readme_snippet(title):
    """The C code block that follows the heading `title` in README.md."""
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / 'README.md').read_text()
    after = text.split('## ' + title + '\n', 1)[1]
    return after.split('```c\n', 1)[1].split('```', 1)[0]


def test_readme_custom_type(make_module):
    mod = make_module(readme_snippet('Custom types') + """
        @EXPORT(init_types)
        @INIT
    """)
    import gc
    c = mod.Counter()
    assert mod.Counter.__module__ == 'mymod' and mod.Counter.__doc__ == 'Counts what it is given.'
    assert c.add('a') == 1 and c.add(c) == 2 and c.count == 2
    del c
    gc.collect()


MEMBERS = ADD_TYPE + r"""
    typedef struct {
        short s; int i; long l; float f; double d; const char *str;
        HPyField obj; char c; signed char b; unsigned char ub;
        unsigned short us; unsigned int ui; unsigned long ul;
        char inplace[8]; char bo; HPyField objex; long long ll;
        unsigned long long ull; HPy_ssize_t ss;
    } AllObject;
    HPyType_HELPERS(AllObject)

    HPyDef_MEMBER(m_s, "s", HPyMember_SHORT, offsetof(AllObject, s))
    HPyDef_MEMBER(m_i, "i", HPyMember_INT, offsetof(AllObject, i))
    HPyDef_MEMBER(m_l, "l", HPyMember_LONG, offsetof(AllObject, l))
    HPyDef_MEMBER(m_f, "f", HPyMember_FLOAT, offsetof(AllObject, f))
    HPyDef_MEMBER(m_d, "d", HPyMember_DOUBLE, offsetof(AllObject, d))
    HPyDef_MEMBER(m_str, "str", HPyMember_STRING, offsetof(AllObject, str))
    HPyDef_MEMBER(m_obj, "obj", HPyMember_OBJECT, offsetof(AllObject, obj))
    HPyDef_MEMBER(m_c, "c", HPyMember_CHAR, offsetof(AllObject, c))
    HPyDef_MEMBER(m_b, "b", HPyMember_BYTE, offsetof(AllObject, b))
    HPyDef_MEMBER(m_ub, "ub", HPyMember_UBYTE, offsetof(AllObject, ub))
    HPyDef_MEMBER(m_us, "us", HPyMember_USHORT, offsetof(AllObject, us))
    HPyDef_MEMBER(m_ui, "ui", HPyMember_UINT, offsetof(AllObject, ui))
    HPyDef_MEMBER(m_ul, "ul", HPyMember_ULONG, offsetof(AllObject, ul))
    HPyDef_MEMBER(m_inplace, "inplace", HPyMember_STRING_INPLACE, offsetof(AllObject, inplace))
    HPyDef_MEMBER(m_bo, "bo", HPyMember_BOOL, offsetof(AllObject, bo))
    HPyDef_MEMBER(m_objex, "objex", HPyMember_OBJECT_EX, offsetof(AllObject, objex))
    HPyDef_MEMBER(m_ll, "ll", HPyMember_LONGLONG, offsetof(AllObject, ll))
    HPyDef_MEMBER(m_ull, "ull", HPyMember_ULONGLONG, offsetof(AllObject, ull))
    HPyDef_MEMBER(m_ss, "ss", HPyMember_HPYSSIZET, offsetof(AllObject, ss))
    HPyDef_MEMBER(m_none, "none", HPyMember_NONE, offsetof(AllObject, ss))

    HPyDef_SLOT(All_new, HPy_tp_new)
    static HPy All_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                            HPy_ssize_t nargs, HPy kw)
    {
        AllObject *a;
        HPy h = HPy_New(ctx, cls, &a);
        if (HPy_IsNull(h))
            return HPy_NULL;
        a->str = "a C string";
        memcpy(a->inplace, "inplace", 8);
        return h;
    }

    HPyDef_SLOT(All_traverse, HPy_tp_traverse)
    static int All_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
    {
        HPy_VISIT(&((AllObject *)self)->obj);
        HPy_VISIT(&((AllObject *)self)->objex);
        return 0;
    }

    static HPyDef *All_defines[] = {
        &m_s, &m_i, &m_l, &m_f, &m_d, &m_str, &m_obj, &m_c, &m_b, &m_ub, &m_us,
        &m_ui, &m_ul, &m_inplace, &m_bo, &m_objex, &m_ll, &m_ull, &m_ss, &m_none,
        &All_new, &All_traverse, NULL
    };
    static HPyType_Spec All_spec = {
        .name = "mytest.All",
        .basicsize = sizeof(AllObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
        .defines = All_defines,
    };

    HPyDef_SLOT(exec_all, HPy_mod_exec)
    static int exec_all_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "All", &All_spec, NULL);
    }

    @EXPORT(exec_all)
    @INIT
"""


def test_every_member_type(make_module):
    mod = make_module("#include <string.h>\n" + MEMBERS)
    a = mod.All()
    values = dict(s=-3, i=-70000, l=-2**40, f=1.5, d=2.25, c='x', b=-5, ub=250,
                  us=65000, ui=4000000000, ul=2**63, bo=True, ll=-2**62,
                  ull=2**64 - 1, ss=-12)
    for name, v in values.items():
        assert getattr(a, name) in (0, 0.0, '\0', False), name
        setattr(a, name, v)
    for name, v in values.items():
        assert getattr(a, name) == v, name
    assert a.str == 'a C string'
    assert a.inplace == 'inplace'
    assert a.none is None
    assert a.obj is None
    with pytest.raises(AttributeError):
        a.objex
    marker = object()
    a.obj = marker
    a.objex = [marker]
    assert a.obj is marker and a.objex == [marker]
    del a.objex
    with pytest.raises(AttributeError):
        a.objex
    with pytest.raises(TypeError):
        a.str = 'x'                     # read-only in CPython
    with pytest.raises(OverflowError):
        a.l = 2**70


WEAKREFABLE = ADD_TYPE + r"""
    typedef struct {
        long x;
        void *weakreflist;      /* managed by CPython */
    } WObject;
    HPyType_HELPERS(WObject)

    /* CPython's special member: instances get weak references */
    HPyDef_MEMBER(W_weaklistoffset, "__weaklistoffset__", HPyMember_HPYSSIZET,
                  offsetof(WObject, weakreflist), .readonly = 1)
    HPyDef_MEMBER(W_x, "x", HPyMember_LONG, offsetof(WObject, x))

    static HPyDef *W_defines[] = { &W_weaklistoffset, &W_x, NULL };
    static HPyType_Spec W_spec = {
        .name = "mytest.W",
        .basicsize = sizeof(WObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .defines = W_defines,
    };

    HPyDef_SLOT(exec_w, HPy_mod_exec)
    static int exec_w_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "W", &W_spec, NULL);
    }

    @EXPORT(exec_w)
    @INIT
"""


def test_weaklistoffset_member(make_module):
    import weakref
    mod = make_module(WEAKREFABLE)
    w = mod.W()
    w.x = 3
    r = weakref.ref(w)
    assert r() is w and r().x == 3
    del w
    assert r() is None


# HPy_New remembers the last type it made an instance of (hpy-core's
# NEW_CACHE); a type that dies and another object made at its address must
# not be taken for it, and every other kind of argument still gets its own
# path.
FRESH_TYPES = ADD_TYPE + r"""
    typedef struct { long tag; } CellObject;
    HPyType_HELPERS(CellObject)

    HPyDef_SLOT(Cell_new, HPy_tp_new)
    static HPy Cell_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                             HPy_ssize_t nargs, HPy kw)
    {
        CellObject *c;
        HPy h = HPy_New(ctx, cls, &c);
        if (HPy_IsNull(h))
            return HPy_NULL;
        c->tag = 7;
        return h;
    }

    HPyDef_GET(Cell_tag, "tag")
    static HPy Cell_tag_get(HPyContext *ctx, HPy self, void *closure)
    {
        return HPyLong_FromLong(ctx, CellObject_AsStruct(ctx, self)->tag);
    }

    static HPyDef *Cell_defines[] = { &Cell_new, &Cell_tag, NULL };
    static HPyType_Spec Cell_spec = {
        .name = "mytest.Cell",
        .basicsize = sizeof(CellObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .builtin_shape = SHAPE(CellObject),
        .defines = Cell_defines,
    };

    HPyDef_METH(make_type, "make_type", HPyFunc_NOARGS)
    static HPy make_type_impl(HPyContext *ctx, HPy self)
    {
        return HPyType_FromSpec(ctx, &Cell_spec, NULL);
    }

    HPyDef_METH(new_of, "new_of", HPyFunc_O)
    static HPy new_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        CellObject *c = NULL;
        HPy h = HPy_New(ctx, t, &c);
        if (HPy_IsNull(h))
            return HPy_NULL;
        if (c->tag != 0) {
            HPy_Close(ctx, h);
            HPyErr_SetString(ctx, ctx->h_AssertionError, "not zeroed");
            return HPy_NULL;
        }
        c->tag = 3;
        return h;
    }

    @EXPORT(make_type)
    @EXPORT(new_of)
    @INIT
"""


def test_new_of_types_that_come_and_go(make_module):
    import gc
    mod = make_module(FRESH_TYPES)
    for _ in range(20):
        t = mod.make_type()
        assert t().tag == 7
        assert mod.new_of(t).tag == 3
        assert type(mod.new_of(t)) is t
        # a Python subclass and other objects, between two of `t`
        Sub = type('Sub', (t,), {})
        assert type(mod.new_of(Sub)) is Sub and Sub().tag == 7
        assert mod.new_of(t).tag == 3
        with pytest.raises(TypeError):
            mod.new_of(42)
        del t, Sub
        gc.collect()
        # types made where the dead ones were: not HPy types
        plain = [type('Plain%d' % i, (), {}) for i in range(4)]
        for p in plain:
            with pytest.raises(TypeError):
                mod.new_of(p)
        with pytest.raises(TypeError):
            mod.new_of(int)


def test_new_keeps_no_type_alive(make_module):
    # HPy_New remembers the last type it made an instance of: that type
    # still dies with its last reference, and the types made after it get
    # their own instances.
    import gc
    import weakref
    mod = make_module(FRESH_TYPES)
    for _ in range(3):
        t = mod.make_type()
        assert mod.new_of(t).tag == 3 and t().tag == 7
        dead = weakref.ref(t)
        del t
        gc.collect()
        assert dead() is None
    t = mod.make_type()
    objs = [mod.new_of(t) for _ in range(3)] + [t() for _ in range(3)]
    assert [o.tag for o in objs] == [3, 3, 3, 7, 7, 7]
    assert all(type(o) is t for o in objs)
