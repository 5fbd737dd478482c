"""Functions appended to the context after HPy 0.9.0: HPyList_Insert,
HPy_GetSlice / SetSlice / DelSlice, HPy_GetIter, HPyIter_Next / Check,
HPySlice_New.

They are declared only when HPY_ABI_VERSION_MINOR_REQUESTED is 1 before
hpy.h is included (the snippet's @DEFINE below), and a module that opts in
requires ABI version 0.1 (tests/test_abi_minor_version.py)."""
import pytest

SRC = r"""
    @DEFINE(HPY_ABI_VERSION_MINOR_REQUESTED 1)
    HPyDef_METH(list_insert, "list_insert", HPyFunc_VARARGS)
    static HPy list_insert_impl(HPyContext *ctx, HPy self,
                                const HPy *args, size_t nargs)
    {
        HPy_ssize_t i = HPyLong_AsSsize_t(ctx, args[1]);
        if (i == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        if (HPyList_Insert(ctx, args[0], i, args[2]) < 0)
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* slice_op(op, obj, start, end, value): 0 GetSlice, 1 SetSlice,
       2 DelSlice */
    HPyDef_METH(slice_op, "slice_op", HPyFunc_VARARGS)
    static HPy slice_op_impl(HPyContext *ctx, HPy self,
                             const HPy *args, size_t nargs)
    {
        long op = HPyLong_AsLong(ctx, args[0]);
        HPy_ssize_t start = HPyLong_AsSsize_t(ctx, args[2]);
        HPy_ssize_t end = HPyLong_AsSsize_t(ctx, args[3]);
        int r;
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        switch (op) {
        case 0: return HPy_GetSlice(ctx, args[1], start, end);
        case 1: r = HPy_SetSlice(ctx, args[1], start, end, args[4]); break;
        case 2: r = HPy_DelSlice(ctx, args[1], start, end); break;
        default:
            HPyErr_SetString(ctx, ctx->h_ValueError, "bad op");
            return HPy_NULL;
        }
        if (r < 0)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, r);
    }

    /* to_list(obj): HPy_GetIter, then HPyIter_Next until it returns
       HPy_NULL without an error */
    HPyDef_METH(to_list, "to_list", HPyFunc_O)
    static HPy to_list_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy it = HPy_GetIter(ctx, arg);
        HPy res, item;
        if (HPy_IsNull(it))
            return HPy_NULL;
        res = HPyList_New(ctx, 0);
        while (!HPy_IsNull(item = HPyIter_Next(ctx, it))) {
            HPyList_Append(ctx, res, item);
            HPy_Close(ctx, item);
        }
        HPy_Close(ctx, it);
        if (HPyErr_Occurred(ctx)) {
            HPy_Close(ctx, res);
            return HPy_NULL;
        }
        return res;
    }

    /* next_of(iterator): one HPyIter_Next, "<end>" when exhausted */
    HPyDef_METH(next_of, "next_of", HPyFunc_O)
    static HPy next_of_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy item = HPyIter_Next(ctx, arg);
        if (HPy_IsNull(item)) {
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPyUnicode_FromString(ctx, "<end>");
        }
        return item;
    }

    HPyDef_METH(iter_check, "iter_check", HPyFunc_O)
    static HPy iter_check_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyLong_FromLong(ctx, HPyIter_Check(ctx, arg));
    }

    /* slice_new(start, stop, step): None is passed as HPy_NULL */
    HPyDef_METH(slice_new, "slice_new", HPyFunc_VARARGS)
    static HPy slice_new_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
    {
        HPy h[3];
        size_t i;
        for (i = 0; i < 3; i++)
            h[i] = HPy_Is(ctx, args[i], ctx->h_None) ? HPy_NULL : args[i];
        return HPySlice_New(ctx, h[0], h[1], h[2]);
    }

    @EXPORT(list_insert)
    @EXPORT(slice_op)
    @EXPORT(to_list)
    @EXPORT(next_of)
    @EXPORT(iter_check)
    @EXPORT(slice_new)
    @INIT
"""

GET, SET, DEL = 0, 1, 2


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='post090')


def test_list_insert(m):
    lst = [1, 2, 3]
    m.list_insert(lst, 0, 'a')
    m.list_insert(lst, 2, 'b')
    m.list_insert(lst, -1, 'c')
    m.list_insert(lst, 100, 'end')
    m.list_insert(lst, -100, 'start')
    expected = [1, 2, 3]
    for i, x in [(0, 'a'), (2, 'b'), (-1, 'c'), (100, 'end'), (-100, 'start')]:
        expected.insert(i, x)
    assert lst == expected
    with pytest.raises(SystemError):
        m.list_insert((1, 2), 0, 'x')


def test_get_slice(m):
    for obj in [[0, 1, 2, 3, 4], (0, 1, 2, 3, 4), 'abcde', b'abcde',
                range(5)]:
        for start, end in [(1, 3), (0, 100), (-2, 5), (3, 1), (-100, -1)]:
            assert m.slice_op(GET, obj, start, end, None) == obj[start:end]
    with pytest.raises(TypeError):
        m.slice_op(GET, 42, 0, 1, None)
    # a dict is looked up with the slice as key: TypeError before 3.12
    # (slices were unhashable), KeyError since
    with pytest.raises(Exception) as expected:
        {1: 2}[0:1]
    with pytest.raises(expected.type):
        m.slice_op(GET, {1: 2}, 0, 1, None)


def test_set_slice(m):
    lst = [0, 1, 2, 3, 4]
    assert m.slice_op(SET, lst, 1, 3, ['a', 'b', 'c']) == 0
    assert lst == [0, 'a', 'b', 'c', 3, 4]
    assert m.slice_op(SET, lst, -2, 100, ()) == 0
    assert lst == [0, 'a', 'b', 'c']
    ba = bytearray(b'hello')
    m.slice_op(SET, ba, 0, 1, b'J')
    assert ba == bytearray(b'Jello')
    with pytest.raises(TypeError):
        m.slice_op(SET, (1, 2), 0, 1, (3,))
    with pytest.raises(TypeError):
        m.slice_op(SET, [1, 2], 0, 1, 42)          # not iterable


def test_del_slice(m):
    lst = [0, 1, 2, 3, 4]
    assert m.slice_op(DEL, lst, 1, 3, None) == 0
    assert lst == [0, 3, 4]
    assert m.slice_op(DEL, lst, -1, 100, None) == 0
    assert lst == [0, 3]
    with pytest.raises(TypeError):
        m.slice_op(DEL, 'abc', 0, 1, None)


def test_iteration(m):
    assert m.to_list([1, 2, 3]) == [1, 2, 3]
    assert m.to_list('ab') == ['a', 'b']
    assert m.to_list({'k': 1}) == ['k']
    assert m.to_list(x * 2 for x in range(3)) == [0, 2, 4]
    assert m.to_list([]) == []
    with pytest.raises(TypeError):
        m.to_list(42)

    def failing():
        yield 1
        raise KeyError('in the middle')
    with pytest.raises(KeyError):
        m.to_list(failing())


def test_iter_next(m):
    it = iter([1, 2])
    assert m.next_of(it) == 1
    assert m.next_of(it) == 2
    assert m.next_of(it) == '<end>'
    assert m.next_of(it) == '<end>'

    class It:
        def __iter__(self):
            return self

        def __next__(self):
            raise StopIteration('done')
    # StopIteration is the end, not an error
    assert m.next_of(It()) == '<end>'


def test_iter_check(m):
    for obj in [iter([]), iter('a'), (x for x in ()), map(str, [])]:
        assert m.iter_check(obj) == 1
    for obj in [[], 'a', {}, 42, range(3)]:
        assert m.iter_check(obj) == 0


def test_slice_new(m):
    assert m.slice_new(1, 5, 2) == slice(1, 5, 2)
    assert m.slice_new(None, None, None) == slice(None)
    assert m.slice_new(None, 3, None) == slice(3)
    s = m.slice_new('a', [], 1.5)
    assert (s.start, s.stop, s.step) == ('a', [], 1.5)
    assert [0, 1, 2, 3, 4, 5][m.slice_new(1, None, 2)] == [1, 3, 5]
