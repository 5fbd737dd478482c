"""Porting: legacy types (struct starting with PyObject_HEAD), legacy_slots
with C-API methods, members and getsets, mixed with HPy definitions on one
type (CPython and hybrid ABIs); the error a pure universal module gets."""
import pytest

from test_type import ADD_TYPE

HPY_ABIS = ['cpython', 'hybrid']


@pytest.fixture
def make_module(compiler, hpy_abi):
    """Compiles for the test's ABI only (the make_module of conftest.py also
    compiles for the universal ABI, which refuses Python.h)."""
    def make_module(src, name='mytest'):
        return compiler.load_module(compiler.compile_module(src, hpy_abi, name))
    return make_module

LEGACY = ADD_TYPE + r"""
    #include <Python.h>
    #include <structmember.h>

    typedef struct {
        PyObject_HEAD
        long x;
        PyObject *obj;
    } LegacyObject;
    HPyType_LEGACY_HELPERS(LegacyObject)

    /* HPy code on the legacy struct */
    HPyDef_METH(Legacy_hpy_x, "hpy_x", HPyFunc_NOARGS)
    static HPy Legacy_hpy_x_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, LegacyObject_AsStruct(ctx, self)->x);
    }

    HPyDef_SLOT(Legacy_repr, HPy_tp_repr)
    static HPy Legacy_repr_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, "<Legacy>");
    }

    HPyDef_MEMBER(Legacy_x, "x", HPyMember_LONG, offsetof(LegacyObject, x))

    /* C-API code on the same struct */
    static PyObject *legacy_double_x(PyObject *self, PyObject *unused)
    {
        LegacyObject *o = (LegacyObject *)self;
        return PyLong_FromLong(o->x * 2);
    }
    static PyObject *legacy_get_neg(PyObject *self, void *closure)
    {
        return PyLong_FromLong(-((LegacyObject *)self)->x);
    }
    static void legacy_dealloc(PyObject *self)
    {
        PyTypeObject *tp = Py_TYPE(self);
        Py_CLEAR(((LegacyObject *)self)->obj);
        tp->tp_free(self);
        Py_DECREF(tp);
    }
    static PyObject *legacy_str(PyObject *self)
    {
        return PyUnicode_FromString("legacy str");
    }

    static PyMethodDef legacy_methods[] = {
        {"double_x", legacy_double_x, METH_NOARGS, "twice x"},
        {NULL}
    };
    static PyMemberDef legacy_members[] = {
        {"obj", T_OBJECT, offsetof(LegacyObject, obj), 0, NULL},
        {NULL}
    };
    static PyGetSetDef legacy_getsets[] = {
        {"neg", legacy_get_neg, NULL, NULL, NULL},
        {NULL}
    };
    static PyType_Slot legacy_slots[] = {
        {Py_tp_methods, legacy_methods},
        {Py_tp_members, legacy_members},
        {Py_tp_getset, legacy_getsets},
        {Py_tp_dealloc, (void *)legacy_dealloc},
        {Py_tp_str, (void *)legacy_str},
        {0, NULL}
    };

    static HPyDef *Legacy_defines[] = { &Legacy_hpy_x, &Legacy_repr, &Legacy_x, NULL };
    static HPyType_Spec Legacy_spec = {
        .name = "mytest.Legacy",
        .basicsize = sizeof(LegacyObject),
        .builtin_shape = SHAPE(LegacyObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .legacy_slots = legacy_slots,
        .defines = Legacy_defines,
    };

    /* a legacy type made by HPy_New */
    HPyDef_METH(make_legacy, "make_legacy", HPyFunc_O)
    static HPy make_legacy_impl(HPyContext *ctx, HPy self, HPy t)
    {
        LegacyObject *o;
        HPy h = HPy_New(ctx, t, &o);
        if (HPy_IsNull(h))
            return HPy_NULL;
        o->x = 21;
        if ((PyObject *)o != HPy_AsPyObject(ctx, h)) {
            HPy_Close(ctx, h);
            HPyErr_SetString(ctx, ctx->h_AssertionError, "struct is not the object");
            return HPy_NULL;
        }
        Py_DECREF((PyObject *)o);   /* the reference HPy_AsPyObject returned */
        return h;
    }

    HPyDef_SLOT(exec_types, HPy_mod_exec)
    static int exec_types_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Legacy", &Legacy_spec, NULL);
    }

    HPyDef_METH(shape_of, "shape_of", HPyFunc_O)
    static HPy shape_of_impl(HPyContext *ctx, HPy self, HPy t)
    {
        return HPyLong_FromLong(ctx, _HPyType_GetBuiltinShape(ctx, t));
    }

    @EXPORT(make_legacy)
    @EXPORT(shape_of)
    @EXPORT(exec_types)
    @INIT
"""


def test_legacy_type(make_module):
    mod = make_module(LEGACY)
    L = mod.Legacy
    o = mod.make_legacy(L)
    assert o.x == 21 and o.hpy_x() == 21
    assert o.double_x() == 42
    assert L.double_x.__doc__ == 'twice x'
    assert o.neg == -21
    assert repr(o) == '<Legacy>' and str(o) == 'legacy str'
    o.obj = [1]
    assert o.obj == [1]
    o.x = 5
    assert (o.hpy_x(), o.double_x(), o.neg) == (5, 10, -5)
    assert mod.shape_of(L) == -1
    p = L()
    assert p.x == 0 and p.obj is None
    del o, p

    class Sub(L):
        pass
    s = mod.make_legacy(Sub)
    s.attr = 1
    assert s.double_x() == 42 and s.attr == 1


UNIVERSAL_LEGACY = ADD_TYPE + r"""
    typedef struct { long x; } PObject;
    static int fake_slots[] = { 0, 0, 0, 0 };
    static HPyType_Spec P_spec = {
        .name = "mytest.P",
        .basicsize = sizeof(PObject),
        .builtin_shape = HPyType_BuiltinShape_Legacy,
        .legacy_slots = fake_slots,
    };
    HPyDef_METH(make, "make", HPyFunc_NOARGS)
    static HPy make_impl(HPyContext *ctx, HPy self)
    {
        return HPyType_FromSpec(ctx, &P_spec, NULL);
    }
    @EXPORT(make)
    @INIT
"""


class TestPureUniversal:
    HPY_ABIS = ['universal']

    def test_type_cannot_use_legacy_slots(self, make_module):
        mod = make_module(UNIVERSAL_LEGACY)
        with pytest.raises(TypeError, match='Cannot use legacy functions when '
                                            'targeting the HPy Universal ABI'):
            mod.make()


REFUSED_LEGACY = ADD_TYPE + r"""
    typedef struct { long v; } PureObject;

    static HPyType_Spec Pure_spec = {
        .name = "mytest.Pure",
        .basicsize = sizeof(PureObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
    };
    /* no struct of its own (basicsize 0), legacy shape */
    static HPyType_Spec OnPure_spec = {
        .name = "mytest.OnPure",
        .flags = HPy_TPFLAGS_DEFAULT,
        .builtin_shape = HPyType_BuiltinShape_Legacy,
    };

    HPyDef_METH(legacy_on_pure, "legacy_on_pure", HPyFunc_NOARGS)
    static HPy legacy_on_pure_impl(HPyContext *ctx, HPy self)
    {
        HPy pure = HPyType_FromSpec(ctx, &Pure_spec, NULL);
        if (HPy_IsNull(pure))
            return HPy_NULL;
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Base, pure },
            { (HPyType_SpecParam_Kind)0 }
        };
        HPy t = HPyType_FromSpec(ctx, &OnPure_spec, params);
        HPy_Close(ctx, pure);
        return t;
    }

    HPyDef_SLOT(Callable_call, HPy_tp_call)
    static HPy Callable_call_impl(HPyContext *ctx, HPy callable,
                                  const HPy *args, size_t nargs, HPy kwnames)
    {
        return HPyLong_FromSize_t(ctx, nargs);
    }
    static HPyDef *Callable_defines[] = { &Callable_call, NULL };
    /* legacy, HPy_tp_call, and basicsize 0 or a struct */
    static HPyType_Spec CallableNoStruct_spec = {
        .name = "mytest.CallableNoStruct",
        .flags = HPy_TPFLAGS_DEFAULT,
        .builtin_shape = HPyType_BuiltinShape_Legacy,
        .defines = Callable_defines,
    };
    typedef struct { PyObject_HEAD long v; } CallableObject;
    static HPyType_Spec Callable_spec = {
        .name = "mytest.Callable",
        .basicsize = sizeof(CallableObject),
        .flags = HPy_TPFLAGS_DEFAULT,
        .builtin_shape = HPyType_BuiltinShape_Legacy,
        .defines = Callable_defines,
    };

    HPyDef_METH(make_callable, "make_callable", HPyFunc_O)
    static HPy make_callable_impl(HPyContext *ctx, HPy self, HPy with_struct)
    {
        int w = HPy_IsTrue(ctx, with_struct);
        return HPyType_FromSpec(ctx, w ? &Callable_spec : &CallableNoStruct_spec,
                                NULL);
    }

    @EXPORT(legacy_on_pure)
    @EXPORT(make_callable)
    @INIT
"""


def test_legacy_type_cannot_inherit_a_pure_layout(make_module):
    # refused even without a struct of its own, as by HPy 0.9
    mod = make_module('#include <Python.h>\n' + REFUSED_LEGACY)
    with pytest.raises(TypeError) as info:
        mod.legacy_on_pure()
    assert str(info.value) == ('A legacy type should not inherit its memory '
                               'layout from a pure type')


def test_legacy_hpy_call_needs_a_struct(make_module):
    mod = make_module('#include <Python.h>\n' + REFUSED_LEGACY)
    with pytest.raises(TypeError, match='basicsize 0.*HPy_tp_call'):
        mod.make_callable(False)
    C = mod.make_callable(True)
    assert C()(1, 2, 3) == 3


ALLOC_SET_LATER = ADD_TYPE + r"""
    #include <Python.h>

    typedef struct { long tag; } BoxObject;
    HPyType_HELPERS(BoxObject)

    HPyDef_SLOT(Box_new, HPy_tp_new)
    static HPy Box_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                            HPy_ssize_t nargs, HPy kw)
    {
        BoxObject *b;
        HPy h = HPy_New(ctx, cls, &b);
        if (HPy_IsNull(h))
            return HPy_NULL;
        if (b->tag != 0) {
            HPy_Close(ctx, h);
            HPyErr_SetString(ctx, ctx->h_AssertionError, "not zeroed");
            return HPy_NULL;
        }
        b->tag = 5;
        return h;
    }

    HPyDef_GET(Box_tag, "tag")
    static HPy Box_tag_get(HPyContext *ctx, HPy self, void *closure)
    {
        return HPyLong_FromLong(ctx, BoxObject_AsStruct(ctx, self)->tag);
    }

    static HPyDef *Box_defines[] = { &Box_new, &Box_tag, NULL };
    static HPyType_Spec Box_spec = {
        .name = "mytest.Box",
        .basicsize = sizeof(BoxObject),
        .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        .builtin_shape = SHAPE(BoxObject),
        .defines = Box_defines,
    };

    /* C-API code that gives the type an allocator of its own once it has
       instances (zeroed memory, as CPython asks of tp_alloc) */
    static long allocs;
    static PyObject *counting_alloc(PyTypeObject *t, Py_ssize_t n)
    {
        allocs++;
        return PyType_GenericAlloc(t, n);
    }

    HPyDef_METH(count_allocs, "count_allocs", HPyFunc_O)
    static HPy count_allocs_impl(HPyContext *ctx, HPy self, HPy t)
    {
        PyObject *tp = HPy_AsPyObject(ctx, t);
        ((PyTypeObject *)tp)->tp_alloc = counting_alloc;
        Py_DECREF(tp);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(alloc_count, "alloc_count", HPyFunc_NOARGS)
    static HPy alloc_count_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, allocs);
    }

    HPyDef_SLOT(exec_box, HPy_mod_exec)
    static int exec_box_impl(HPyContext *ctx, HPy mod)
    {
        return add_type(ctx, mod, "Box", &Box_spec, NULL);
    }

    @EXPORT(count_allocs)
    @EXPORT(alloc_count)
    @EXPORT(exec_box)
    @INIT
"""


def test_new_uses_a_tp_alloc_set_later(make_module):
    # HPy_New allocates through the type's tp_alloc, also when C code sets
    # it after the type has made instances (which HPy_New may remember).
    mod = make_module(ALLOC_SET_LATER)
    B = mod.Box
    assert [B().tag for _ in range(3)] == [5, 5, 5]
    assert mod.alloc_count() == 0
    mod.count_allocs(B)
    assert [B().tag for _ in range(4)] == [5, 5, 5, 5]
    assert mod.alloc_count() == 4

    class Sub(B):
        pass
    assert Sub().tag == 5 and type(Sub()) is Sub
