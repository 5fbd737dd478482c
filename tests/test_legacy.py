"""HPy_FromPyObject / HPy_AsPyObject: handles and PyObject* side by side,
in the ABIs that have Python.h (CPython and hybrid)."""
import sys

import pytest

HPY_ABIS = ['cpython', 'hybrid']

SRC = r"""
    /* add_one(x): x + 1 computed with the C-API on HPy_AsPyObject(x), the
       result handed back through HPy_FromPyObject */
    HPyDef_METH(add_one, "add_one", HPyFunc_O)
    static HPy add_one_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        PyObject *o = HPy_AsPyObject(ctx, arg);
        PyObject *one = PyLong_FromLong(1);
        PyObject *r = PyNumber_Add(o, one);
        Py_DECREF(one);
        Py_DECREF(o);
        if (r == NULL)
            return HPy_NULL;
        HPy h = HPy_FromPyObject(ctx, r);
        Py_DECREF(r);
        return h;
    }

    /* roundtrip(x): the same object through both conversions; the
       references each one creates are released */
    HPyDef_METH(roundtrip, "roundtrip", HPyFunc_O)
    static HPy roundtrip_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        PyObject *o = HPy_AsPyObject(ctx, arg);
        HPy h = HPy_FromPyObject(ctx, o);
        Py_DECREF(o);
        return h;
    }

    /* nulls(): HPy_NULL <-> NULL */
    HPyDef_METH(nulls, "nulls", HPyFunc_NOARGS)
    static HPy nulls_impl(HPyContext *ctx, HPy self)
    {
        HPy h = HPy_FromPyObject(ctx, NULL);
        PyObject *o = HPy_AsPyObject(ctx, HPy_NULL);
        return HPyBool_FromLong(ctx, HPy_IsNull(h) && o == NULL);
    }

    /* new_refs(x, n): n new references to x made by HPy_AsPyObject and
       kept (the test releases them with drop_refs) */
    HPyDef_METH(new_refs, "new_refs", HPyFunc_VARARGS)
    static HPy new_refs_impl(HPyContext *ctx, HPy self,
                             const HPy *args, size_t nargs)
    {
        long i, n = HPyLong_AsLong(ctx, args[1]);
        for (i = 0; i < n; i++)
            (void)HPy_AsPyObject(ctx, args[0]);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(drop_refs, "drop_refs", HPyFunc_VARARGS)
    static HPy drop_refs_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
    {
        long i, n = HPyLong_AsLong(ctx, args[1]);
        PyObject *o = HPy_AsPyObject(ctx, args[0]);
        for (i = 0; i < n; i++)
            Py_DECREF(o);
        Py_DECREF(o);
        return HPy_Dup(ctx, ctx->h_None);
    }

    @EXPORT(add_one)
    @EXPORT(roundtrip)
    @EXPORT(nulls)
    @EXPORT(new_refs)
    @EXPORT(drop_refs)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='legacy_')


def test_conversions(m):
    assert m.add_one(41) == 42
    assert m.add_one(1.5) == 2.5
    with pytest.raises(TypeError):
        m.add_one('x')
    obj = object()
    assert m.roundtrip(obj) is obj
    assert m.nulls() is True


def test_references(m):
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(5):
        assert m.roundtrip(obj) is obj
    assert sys.getrefcount(obj) == before
    m.new_refs(obj, 3)
    assert sys.getrefcount(obj) == before + 3
    m.drop_refs(obj, 3)
    assert sys.getrefcount(obj) == before
