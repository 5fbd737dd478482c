"""The functions added to the context after HPy 0.9.0 (HPyList_Insert,
HPy_GetSlice ...) are declared only when an extension defines
HPY_ABI_VERSION_MINOR_REQUESTED before including hpy.h; such a module
requires ABI minor version 1 from its runtime, which a 0.9.0 runtime refuses
at load time. Also: the error functions that return `HPy` publicly while
their context entry returns void."""
import ctypes

import pytest

import support

OPT_IN = '#define HPY_ABI_VERSION_MINOR_REQUESTED 1\n'

# Every public function appended after 0.9.0, each called once.
NEW_FUNCTIONS_SRC = """
    /* newer(list, i, x, items): inserts x at i, then returns a tuple of
       lists and flags made with each of the newer functions */
    HPyDef_METH(newer, "newer", HPyFunc_VARARGS)
    static HPy newer_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy lst = args[0], res[8], it, item, items, sl, one, five, two;
        HPy_ssize_t i = HPyLong_AsSsize_t(ctx, args[1]);
        if (HPyList_Insert(ctx, lst, i, args[2]) < 0)
            return HPy_NULL;
        res[0] = HPy_GetSlice(ctx, lst, 0, HPy_Length(ctx, lst));
        res[1] = HPy_GetSlice(ctx, lst, 1, 3);
        if (HPy_SetSlice(ctx, res[0], 0, 1, args[3]) < 0)
            return HPy_NULL;
        res[2] = HPy_GetSlice(ctx, res[0], 0, HPy_Length(ctx, res[0]));
        if (HPy_DelSlice(ctx, res[0], 1, 2) < 0)
            return HPy_NULL;
        res[3] = HPy_Dup(ctx, res[0]);
        it = HPy_GetIter(ctx, lst);
        items = HPyList_New(ctx, 0);
        while (!HPy_IsNull(item = HPyIter_Next(ctx, it))) {
            HPyList_Append(ctx, items, item);
            HPy_Close(ctx, item);
        }
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        res[4] = items;
        res[5] = HPyBool_FromBool(ctx, HPyIter_Check(ctx, it));
        res[6] = HPyBool_FromBool(ctx, HPyIter_Check(ctx, lst));
        HPy_Close(ctx, it);
        one = HPyLong_FromLong(ctx, 1);
        five = HPyLong_FromLong(ctx, 5);
        two = HPyLong_FromLong(ctx, 2);
        sl = HPySlice_New(ctx, one, five, two);
        HPy_Close(ctx, one);
        HPy_Close(ctx, five);
        HPy_Close(ctx, two);
        if (HPy_IsNull(sl))
            return HPy_NULL;
        res[7] = HPy_GetItem(ctx, lst, sl);
        HPy_Close(ctx, sl);
        HPy result = HPyTuple_FromArray(ctx, res, 8);
        for (int k = 0; k < 8; k++)
            HPy_Close(ctx, res[k]);
        return result;
    }
    @EXPORT(newer)
    @INIT
"""


def build(compiler, hpy_abi, src, name, opt_in):
    source = support.expand_template(src, name)
    if opt_in:
        source = OPT_IN + source
    abi = support.compile_abi(hpy_abi)
    return compiler.compile_source(source, name, abi)


def required_minor(path, name):
    lib = ctypes.CDLL(str(path))
    fn = getattr(lib, 'get_required_hpy_minor_version_' + name)
    fn.restype = ctypes.c_uint32
    return fn()


def test_plain_build_cannot_call_newer_functions(compiler, hpy_abi):
    with pytest.raises(support.CompileError) as exc:
        build(compiler, hpy_abi, NEW_FUNCTIONS_SRC, 'plain_newer', opt_in=False)
    assert 'HPyList_Insert' in str(exc.value)


def test_opted_in_build_works(compiler, hpy_abi):
    path = build(compiler, hpy_abi, NEW_FUNCTIONS_SRC, 'optin_newer', opt_in=True)
    mod = support.load_extension('optin_newer', path, hpy_abi)
    lst = [10, 20, 30]
    res = mod.newer(lst, 1, 15, ['a', 'b'])
    assert lst == [10, 15, 20, 30]
    # res[0] and res[3] are one list: a copy of lst whose [0:1] was replaced
    # by two items (res[2] is that state) and then its [1:2] deleted
    assert res == (['a', 15, 20, 30], [15, 20], ['a', 'b', 15, 20, 30],
                   ['a', 15, 20, 30], [10, 15, 20, 30], True, False, [15, 30])
    assert res[0] is res[3]
    with pytest.raises(SystemError):
        mod.newer((1, 2), 0, 0, [])     # HPyList_Insert on a tuple


@pytest.mark.parametrize('opt_in, minor', [(False, 0), (True, 1)])
def test_required_minor_version(compiler, hpy_abi, opt_in, minor):
    if hpy_abi == 'cpython':
        pytest.skip('CPython-ABI modules export no HPy version')
    name = 'minor_%d' % minor
    src = """
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromLong(ctx, 42);
        }
        @EXPORT(f)
        @INIT
    """
    path = build(compiler, hpy_abi, src, name, opt_in=opt_in)
    assert required_minor(path, name) == minor
    # our runtime supports minor versions 0 and 1
    assert support.load_extension(name, path, hpy_abi).f() == 42


def test_unknown_minor_version_is_a_compile_error(compiler, hpy_abi):
    source = ('#define HPY_ABI_VERSION_MINOR_REQUESTED 2\n'
              + support.expand_template('@INIT', 'minor_2'))
    with pytest.raises(support.CompileError) as exc:
        compiler.compile_source(source, 'minor_2', support.compile_abi(hpy_abi))
    assert 'HPY_ABI_VERSION_MINOR_REQUESTED' in str(exc.value)


def test_error_functions_return_hpy(make_module):
    """`return HPyErr_SetString(ctx, ...);`, the usual idiom, compiles and
    returns HPy_NULL with the exception set, for each of the four."""
    mod = make_module("""
        #include <errno.h>
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            switch (HPyLong_AsLong(ctx, arg)) {
            case 0:
                return HPyErr_SetString(ctx, ctx->h_ValueError, "string");
            case 1:
                return HPyErr_SetObject(ctx, ctx->h_KeyError, arg);
            case 2:
                errno = ENOENT;
                return HPyErr_SetFromErrnoWithFilenameObjects(
                    ctx, ctx->h_OSError, arg, HPy_NULL);
            default:
                return HPyErr_NoMemory(ctx);
            }
        }
        @EXPORT(f)
        @INIT
    """)
    with pytest.raises(ValueError, match='string'):
        mod.f(0)
    with pytest.raises(KeyError) as exc:
        mod.f(1)
    assert exc.value.args == (1,)
    with pytest.raises(FileNotFoundError) as exc:
        mod.f(2)
    assert exc.value.filename == 2
    with pytest.raises(MemoryError):
        mod.f(3)
