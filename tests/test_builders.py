"""HPyListBuilder, HPyTupleBuilder, HPyTuple_Pack, HPyTracker, and the
list/tuple type checks.

References are checked with sys.getrefcount: a builder's Set does not steal
the item, Build and Cancel release what the builder held, a tracker's Close
closes what it tracks and ForgetAll makes it forget."""
import sys

import pytest

SRC = r"""
    /* the sizes that cannot be allocated are not filled */
    #define MAX_SET 100000

    static HPy_ssize_t ssize_arg(HPyContext *ctx, HPy h)
    {
        return HPyLong_AsSsize_t(ctx, h);
    }

    /* fill(obj, n, tuple, cancel): a tuple (or list) builder filled with
       obj n times, then built or (cancel true) cancelled */
    HPyDef_METH(fill, "fill", HPyFunc_VARARGS)
    static HPy fill_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        HPy_ssize_t i, n = ssize_arg(ctx, args[1]);
        if (n == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        int tuple = HPy_IsTrue(ctx, args[2]);
        int cancel = HPy_IsTrue(ctx, args[3]);
        if (tuple) {
            HPyTupleBuilder b = HPyTupleBuilder_New(ctx, n);
            for (i = 0; i < n && i < MAX_SET; i++)
                HPyTupleBuilder_Set(ctx, b, i, args[0]);
            if (!cancel)
                return HPyTupleBuilder_Build(ctx, b);
            HPyTupleBuilder_Cancel(ctx, b);
        } else {
            HPyListBuilder b = HPyListBuilder_New(ctx, n);
            for (i = 0; i < n && i < MAX_SET; i++)
                HPyListBuilder_Set(ctx, b, i, args[0]);
            if (!cancel)
                return HPyListBuilder_Build(ctx, b);
            HPyListBuilder_Cancel(ctx, b);
        }
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* builders_of_new_items(): each item a new handle, closed after Set */
    HPyDef_METH(builders_of_new_items, "builders_of_new_items", HPyFunc_NOARGS)
    static HPy builders_of_new_items_impl(HPyContext *ctx, HPy self)
    {
        HPyListBuilder lb = HPyListBuilder_New(ctx, 3);
        HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, 3);
        HPy_ssize_t i;
        for (i = 0; i < 3; i++) {
            HPy item = HPyLong_FromSsize_t(ctx, 1000 + i);
            HPyListBuilder_Set(ctx, lb, i, item);
            HPyTupleBuilder_Set(ctx, tb, i, item);
            HPy_Close(ctx, item);
        }
        HPy l = HPyListBuilder_Build(ctx, lb);
        HPy t = HPyTupleBuilder_Build(ctx, tb);
        if (HPy_IsNull(l) || HPy_IsNull(t))
            return HPy_NULL;
        HPy res = HPyTuple_Pack(ctx, 2, l, t);
        HPy_Close(ctx, l);
        HPy_Close(ctx, t);
        return res;
    }

    /* pack(a, b, c): HPyTuple_Pack of 0, 1, 3 and 20 items */
    HPyDef_METH(pack, "pack", HPyFunc_VARARGS)
    static HPy pack_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        HPy a = args[0], b = args[1], c = args[2];
        HPy t[4];
        t[0] = HPyTuple_Pack(ctx, 0);
        t[1] = HPyTuple_Pack(ctx, 1, a);
        t[2] = HPyTuple_Pack(ctx, 3, a, b, c);
        t[3] = HPyTuple_Pack(ctx, 20, a, b, c, a, b, c, a, b, c, a,
                                      b, c, a, b, c, a, b, c, a, b);
        HPy res = HPyTuple_FromArray(ctx, t, 4);
        int i;
        for (i = 0; i < 4; i++)
            HPy_Close(ctx, t[i]);
        return res;
    }

    /* from_array(obj, n, nulls): HPyTuple_FromArray of n items, each obj
       but those whose indices are in the tuple nulls, which are HPy_NULL */
    HPyDef_METH(from_array, "from_array", HPyFunc_VARARGS)
    static HPy from_array_impl(HPyContext *ctx, HPy self,
                               const HPy *args, size_t nargs)
    {
        HPy items[200];
        HPy_ssize_t i, n = ssize_arg(ctx, args[1]);
        HPy_ssize_t k, nnulls = HPy_Length(ctx, args[2]);
        if (n < 0 || n > 200 || nnulls < 0)
            return HPyErr_SetString(ctx, ctx->h_ValueError, "bad arguments");
        for (i = 0; i < n; i++)
            items[i] = args[0];
        for (k = 0; k < nnulls; k++) {
            HPy h = HPy_GetItem_i(ctx, args[2], k);
            i = ssize_arg(ctx, h);
            HPy_Close(ctx, h);
            if (i < 0 || i >= n)
                return HPyErr_SetString(ctx, ctx->h_ValueError, "bad index");
            items[i] = HPy_NULL;
        }
        return HPyTuple_FromArray(ctx, items, n);
    }

    /* checks(obj): [HPyList_Check, HPyTuple_Check] */
    HPyDef_METH(checks, "checks", HPyFunc_O)
    static HPy checks_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy a = HPyLong_FromLong(ctx, HPyList_Check(ctx, arg));
        HPy b = HPyLong_FromLong(ctx, HPyTuple_Check(ctx, arg));
        HPy res = HPyTuple_Pack(ctx, 2, a, b);
        HPy_Close(ctx, a);
        HPy_Close(ctx, b);
        return res;
    }

    /* tracker_close(obj, n, hint): n new handles to obj in a tracker made
       with size hint `hint`, closed by HPyTracker_Close */
    HPyDef_METH(tracker_close, "tracker_close", HPyFunc_VARARGS)
    static HPy tracker_close_impl(HPyContext *ctx, HPy self,
                                  const HPy *args, size_t nargs)
    {
        HPy_ssize_t i, n = ssize_arg(ctx, args[1]);
        HPy_ssize_t hint = ssize_arg(ctx, args[2]);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        HPyTracker ht = HPyTracker_New(ctx, hint);
        if (ht._i == 0)
            return HPy_NULL;
        for (i = 0; i < n; i++) {
            if (HPyTracker_Add(ctx, ht, HPy_Dup(ctx, args[0])) < 0) {
                HPyTracker_Close(ctx, ht);
                return HPy_NULL;
            }
        }
        HPyTracker_Close(ctx, ht);
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* tracker_forget(obj, n): n new handles to obj tracked, ForgetAll, then
       Close: the handles stay open (the caller drops them with close_n) */
    HPyDef_METH(tracker_forget, "tracker_forget", HPyFunc_VARARGS)
    static HPy tracker_forget_impl(HPyContext *ctx, HPy self,
                                   const HPy *args, size_t nargs)
    {
        HPy_ssize_t i, n = ssize_arg(ctx, args[1]);
        if (n == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        HPyTracker ht = HPyTracker_New(ctx, 0);
        if (ht._i == 0)
            return HPy_NULL;
        for (i = 0; i < n; i++)
            HPyTracker_Add(ctx, ht, HPy_Dup(ctx, args[0]));
        HPyTracker_ForgetAll(ctx, ht);
        /* after ForgetAll the tracker is empty and still usable */
        HPyTracker_Add(ctx, ht, HPy_Dup(ctx, args[0]));
        HPyTracker_Close(ctx, ht);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(close_n, "close_n", HPyFunc_VARARGS)
    static HPy close_n_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        HPy_ssize_t i, n = ssize_arg(ctx, args[1]);
        for (i = 0; i < n; i++)
            HPy_Close(ctx, args[0]);
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* misuse(obj, tuple, what, other): a builder of 2 items misused, then
       built. what 0: Set at index -1 and 2 (IndexError, the builder stays
       usable); 1: item 0 set twice (to other, then to obj: other is
       released);
       2: item 0 set to HPy_NULL, then to obj (the slot stays empty until) */
    HPyDef_METH(misuse, "misuse", HPyFunc_VARARGS)
    static HPy misuse_impl(HPyContext *ctx, HPy self,
                           const HPy *args, size_t nargs)
    {
        HPy obj = args[0], res;
        int tuple = HPy_IsTrue(ctx, args[1]);
        long what = HPyLong_AsLong(ctx, args[2]);
        HPy first = HPy_NULL;
        HPy_ssize_t bad[2] = { -1, 2 };
        HPyListBuilder lb = HPyListBuilder_New(ctx, 2);
        HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, 2);
        if (what == 0) {
            for (int i = 0; i < 2; i++) {
                if (tuple)
                    HPyTupleBuilder_Set(ctx, tb, bad[i], obj);
                else
                    HPyListBuilder_Set(ctx, lb, bad[i], obj);
                if (!HPyErr_ExceptionMatches(ctx, ctx->h_IndexError))
                    goto fail;
                HPyErr_Clear(ctx);
            }
        }
        else {
            first = what == 1 ? HPy_Dup(ctx, args[3]) : HPy_NULL;
            if (tuple)
                HPyTupleBuilder_Set(ctx, tb, 0, first);
            else
                HPyListBuilder_Set(ctx, lb, 0, first);
            HPy_Close(ctx, first);
        }
        if (tuple) {
            HPyTupleBuilder_Set(ctx, tb, 0, obj);
            HPyTupleBuilder_Set(ctx, tb, 1, obj);
            HPyListBuilder_Cancel(ctx, lb);
            return HPyTupleBuilder_Build(ctx, tb);
        }
        HPyListBuilder_Set(ctx, lb, 0, obj);
        HPyListBuilder_Set(ctx, lb, 1, obj);
        HPyTupleBuilder_Cancel(ctx, tb);
        return HPyListBuilder_Build(ctx, lb);
    fail:
        HPyListBuilder_Cancel(ctx, lb);
        HPyTupleBuilder_Cancel(ctx, tb);
        res = HPy_NULL;
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_AssertionError, "no IndexError");
        return res;
    }

    @EXPORT(misuse)
    @EXPORT(fill)
    @EXPORT(builders_of_new_items)
    @EXPORT(pack)
    @EXPORT(from_array)
    @EXPORT(checks)
    @EXPORT(tracker_close)
    @EXPORT(tracker_forget)
    @EXPORT(close_n)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='builders')


@pytest.mark.parametrize('kind', ['list', 'tuple'])
def test_build(m, kind):
    def build(obj, n):
        return m.fill(obj, n, kind == 'tuple', False)
    typ = list if kind == 'list' else tuple
    obj = object()
    before = sys.getrefcount(obj)
    for n in [0, 1, 5, 100]:
        res = build(obj, n)
        assert type(res) is typ and len(res) == n
        assert all(x is obj for x in res)
        assert sys.getrefcount(obj) == before + n
        del res
        assert sys.getrefcount(obj) == before


@pytest.mark.parametrize('kind', ['list', 'tuple'])
def test_cancel_releases_the_items(m, kind):
    obj = object()
    before = sys.getrefcount(obj)
    for n in [0, 1, 7]:
        assert m.fill(obj, n, kind == 'tuple', True) is None
        assert sys.getrefcount(obj) == before


@pytest.mark.parametrize('kind', ['list', 'tuple'])
def test_failed_new_is_reported_by_build(m, kind):
    # the builder of a size that cannot be allocated is invalid: Set and
    # Cancel do nothing, Build raises MemoryError
    with pytest.raises(MemoryError):
        m.fill(None, -1, kind == 'tuple', False)
    with pytest.raises(MemoryError):
        m.fill(None, sys.maxsize, kind == 'tuple', False)
    assert m.fill(None, -1, kind == 'tuple', True) is None


@pytest.mark.parametrize('kind', ['list', 'tuple'])
@pytest.mark.parametrize('what', [0, 1, 2])
def test_misused_builder(m, kind, what):
    # an index out of range raises IndexError, an item set twice releases
    # the first, HPy_NULL leaves the slot empty; the builder stays usable
    # (in every ABI: this module is built without NDEBUG, where the CPython
    # ABI checks too)
    obj, other = object(), object()
    before, other_before = sys.getrefcount(obj), sys.getrefcount(other)
    for _ in range(3):
        res = m.misuse(obj, kind == 'tuple', what, other)
        assert sys.getrefcount(other) == other_before
        assert type(res) is (tuple if kind == 'tuple' else list)
        assert len(res) == 2 and res[0] is obj and res[1] is obj
        assert sys.getrefcount(obj) == before + 2
        del res
    assert sys.getrefcount(obj) == before


def test_builders_of_new_items(m):
    assert m.builders_of_new_items() == ([1000, 1001, 1002],
                                         (1000, 1001, 1002))


def test_tuple_pack(m):
    a, b, c = object(), 'b', 3
    before = sys.getrefcount(a)
    res = m.pack(a, b, c)
    assert res[0] == ()
    assert res[1] == (a,)
    assert res[2] == (a, b, c)
    assert res[3] == (a, b, c) * 6 + (a, b)
    del res
    assert sys.getrefcount(a) == before


def test_tuple_from_array(m):
    # every small size and a large one: each item a new reference (counted
    # on a mortal object; None and 7 are immortal from 3.12 on, whose
    # counts, shared with the whole interpreter, are not checked)
    for obj in [object(), None, 7]:
        before = sys.getrefcount(obj)
        for n in [0, 1, 2, 3, 4, 7, 200]:
            res = m.from_array(obj, n, ())
            assert type(res) is tuple and len(res) == n
            assert all(x is obj for x in res)
            if type(obj) is object:
                assert sys.getrefcount(obj) == before + n
            del res
            if type(obj) is object:
                assert sys.getrefcount(obj) == before


@pytest.mark.parametrize('n, nulls, first', [
    (1, (0,), 0), (3, (0,), 0), (3, (1,), 1), (3, (2,), 2),
    (8, (5, 2), 2), (8, (7, 6, 3), 3), (200, (199, 0), 0)])
def test_tuple_from_array_null_item(m, n, nulls, first):
    # an HPy_NULL item raises SystemError naming the first one; the items
    # already stored are released with the tuple
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(3):
        with pytest.raises(SystemError,
                           match=rf'HPyTuple_FromArray: items\[{first}\] is HPy_NULL'):
            m.from_array(obj, n, nulls)
    assert sys.getrefcount(obj) == before


def test_list_and_tuple_checks(m):
    class L(list):
        pass

    class T(tuple):
        pass
    assert m.checks([]) == (1, 0)
    assert m.checks(L()) == (1, 0)
    assert m.checks(()) == (0, 1)
    assert m.checks(T()) == (0, 1)
    for obj in [{}, 'ab', None, range(3)]:
        assert m.checks(obj) == (0, 0)


@pytest.mark.parametrize('hint', [0, 1, 5, 1000])
def test_tracker_close(m, hint):
    obj = object()
    before = sys.getrefcount(obj)
    for n in [0, 1, 3, 50]:
        assert m.tracker_close(obj, n, hint) is None
        assert sys.getrefcount(obj) == before


def test_tracker_forget_all(m, hpy_abi):
    if 'debug' in hpy_abi:
        pytest.skip('leaks handles on purpose and closes an argument handle, which debug mode '
                    'reports (its ForgetAll is tested in test_debug.py)')
    obj = object()
    before = sys.getrefcount(obj)
    m.tracker_forget(obj, 10)
    # the ten forgotten handles are still open; the one added after
    # ForgetAll was closed
    assert sys.getrefcount(obj) == before + 10
    m.close_n(obj, 10)
    assert sys.getrefcount(obj) == before


# The same module built with NDEBUG, as pip builds extensions for a release
# CPython. In the CPython ABI the builders then check nothing (as HPy 0.9
# and PyList_SET_ITEM): only defined use is tested there. The other ABIs
# do not depend on NDEBUG: a misuse still raises.

@pytest.fixture
def m_ndebug(make_module):
    return make_module('@DEFINE(NDEBUG 1)\n' + SRC, name='builders_ndebug')


@pytest.mark.parametrize('kind', ['list', 'tuple'])
def test_build_ndebug(m_ndebug, kind):
    typ = list if kind == 'list' else tuple
    # None: an immortal object from 3.12 on (whose count, shared with the
    # whole interpreter, is not checked)
    for obj in [object(), None, 12345678901234567890]:
        before = sys.getrefcount(obj)
        for n in [0, 1, 8, 100]:
            res = m_ndebug.fill(obj, n, kind == 'tuple', False)
            assert type(res) is typ and len(res) == n
            assert all(x is obj for x in res)
            del res
            assert obj is None or sys.getrefcount(obj) == before
            assert m_ndebug.fill(obj, n, kind == 'tuple', True) is None
            assert obj is None or sys.getrefcount(obj) == before
    assert m_ndebug.builders_of_new_items() == ([1000, 1001, 1002],
                                                (1000, 1001, 1002))


@pytest.mark.parametrize('kind', ['list', 'tuple'])
def test_failed_new_ndebug(m_ndebug, kind):
    # defined in every ABI: Set and Cancel of a failed builder do nothing
    with pytest.raises(MemoryError):
        m_ndebug.fill(None, -1, kind == 'tuple', False)
    with pytest.raises(MemoryError):
        m_ndebug.fill(None, sys.maxsize, kind == 'tuple', False)
    assert m_ndebug.fill(None, -1, kind == 'tuple', True) is None


@pytest.mark.parametrize('kind', ['list', 'tuple'])
@pytest.mark.parametrize('what', [0, 1, 2])
def test_misused_builder_ndebug(m_ndebug, hpy_abi, kind, what):
    if hpy_abi == 'cpython':
        pytest.skip('undefined behaviour in the CPython ABI built with NDEBUG')
    obj, other = object(), object()
    before, other_before = sys.getrefcount(obj), sys.getrefcount(other)
    res = m_ndebug.misuse(obj, kind == 'tuple', what, other)
    assert sys.getrefcount(other) == other_before
    assert len(res) == 2 and res[0] is obj and res[1] is obj
    del res
    assert sys.getrefcount(obj) == before
