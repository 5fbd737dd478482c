"""Error functions: HPyErr_SetString / SetObject / Occurred / Clear /
ExceptionMatches, and the SystemError of not-yet-implemented functions."""
import re
import sys
from pathlib import Path

import pytest

import support

SRC = """
    HPyDef_METH(set_string, "set_string", HPyFunc_NOARGS)
    static HPy set_string_impl(HPyContext *ctx, HPy self)
    {
        HPyErr_SetString(ctx, ctx->h_ValueError, "error message");
        return HPy_NULL;
    }

    HPyDef_METH(set_object, "set_object", HPyFunc_VARARGS)
    static HPy set_object_impl(HPyContext *ctx, HPy self,
                               const HPy *args, size_t nargs)
    {
        HPyErr_SetObject(ctx, args[0], args[1]);
        return HPy_NULL;
    }

    /* occurred_and_clear(): [Occurred before, Occurred after setting,
       ExceptionMatches(KeyError), ExceptionMatches(LookupError),
       ExceptionMatches(TypeError), Occurred after Clear] */
    HPyDef_METH(occurred_and_clear, "occurred_and_clear", HPyFunc_NOARGS)
    static HPy occurred_and_clear_impl(HPyContext *ctx, HPy self)
    {
        long r[6];
        r[0] = HPyErr_Occurred(ctx);
        HPyErr_SetString(ctx, ctx->h_KeyError, "k");
        r[1] = HPyErr_Occurred(ctx) != 0;
        r[2] = HPyErr_ExceptionMatches(ctx, ctx->h_KeyError);
        r[3] = HPyErr_ExceptionMatches(ctx, ctx->h_LookupError);
        r[4] = HPyErr_ExceptionMatches(ctx, ctx->h_TypeError);
        HPyErr_Clear(ctx);
        r[5] = HPyErr_Occurred(ctx);
        return HPyLong_FromLong(ctx, r[0] * 100000 + r[1] * 10000 + r[2] * 1000
                                     + r[3] * 100 + r[4] * 10 + r[5]);
    }

    /* clear_failure(x): x + "a str"; the TypeError is cleared -> None */
    HPyDef_METH(clear_failure, "clear_failure", HPyFunc_O)
    static HPy clear_failure_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy s = HPyUnicode_FromString(ctx, "a str");
        HPy res = HPy_Add(ctx, arg, s);
        HPy_Close(ctx, s);
        if (HPy_IsNull(res)) {
            if (!HPyErr_Occurred(ctx)) {
                HPyErr_SetString(ctx, ctx->h_AssertionError, "no error set");
                return HPy_NULL;
            }
            HPyErr_Clear(ctx);
            return HPy_Dup(ctx, ctx->h_None);
        }
        return res;
    }

    HPyDef_METH(no_memory, "no_memory", HPyFunc_NOARGS)
    static HPy no_memory_impl(HPyContext *ctx, HPy self)
    {
        HPyErr_NoMemory(ctx);
        return HPy_NULL;
    }

    @EXPORT(set_string)
    @EXPORT(set_object)
    @EXPORT(occurred_and_clear)
    @EXPORT(clear_failure)
    @EXPORT(no_memory)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='errors')


def test_set_string(m):
    with pytest.raises(ValueError) as exc:
        m.set_string()
    assert str(exc.value) == 'error message'
    assert type(exc.value) is ValueError


def test_set_object(m):
    with pytest.raises(KeyError) as exc:
        m.set_object(KeyError, 'the key')
    assert exc.value.args == ('the key',)
    err = ValueError(1, 2)
    with pytest.raises(ValueError) as exc:
        m.set_object(ValueError, err)
    assert exc.value is err

    class MyError(Exception):
        pass
    with pytest.raises(MyError):
        m.set_object(MyError, None)


def test_occurred_exception_matches_clear(m):
    assert m.occurred_and_clear() == 11100


def test_clear(m):
    assert m.clear_failure(1) is None
    assert m.clear_failure('x') == 'xa str'


def test_no_memory(m):
    with pytest.raises(MemoryError):
        m.no_memory()


# ---------------------------------------------------------------------------
# Context functions that are not implemented yet
# ---------------------------------------------------------------------------

# A call of each candidate (C return type, expression, error check). The test
# uses the first one still marked `todo` in api/hpy.api.
NOT_IMPLEMENTED_CANDIDATES = [
    ('ctx_Compile_s',
     'HPy res = HPy_Compile_s(ctx, "1 + 1", "<string>", HPy_SourceKind_Expr);',
     'HPy_IsNull(res)'),
    ('ctx_Capsule_IsValid',
     'int res = HPyCapsule_IsValid(ctx, arg, "capsule");', 'res == -1'),
    ('ctx_Capsule_New',
     'HPy res = HPyCapsule_New(ctx, (void *)ctx, "capsule", NULL);',
     'HPy_IsNull(res)'),
    ('ctx_Type_GetName',
     'const char *res = HPyType_GetName(ctx, ctx->h_LongType);',
     'res == NULL'),
    ('ctx_Type_FromSpec',
     'HPyType_Spec spec = { .name = "mytest.T" };\n'
     '            HPy res = HPyType_FromSpec(ctx, &spec, NULL);',
     'HPy_IsNull(res)'),
    ('ctx_Type_GenericNew',
     'HPy res = HPyType_GenericNew(ctx, ctx->h_BaseObjectType, NULL, 0, HPy_NULL);',
     'HPy_IsNull(res)'),
]


def todo_functions():
    api = support.REPO_ROOT / 'api' / 'hpy.api'
    if not api.exists():
        return set()
    todo = set()
    for line in api.read_text().splitlines():
        line = line.split('#', 1)[0]
        m = re.match(r'\s*\d+\s+(ctx_\w+)\s.*=>\s*todo\b', line)
        if m:
            todo.add(m.group(1))
    return todo


def test_unimplemented_function_raises_systemerror(make_module):
    todo = todo_functions()
    for name, call, is_error in NOT_IMPLEMENTED_CANDIDATES:
        if name in todo:
            break
    else:
        pytest.skip('no candidate context function is marked todo')
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            %s
            if (!(%s)) {
                HPyErr_SetString(ctx, ctx->h_AssertionError,
                                 "no error value returned");
                return HPy_NULL;
            }
            if (!HPyErr_Occurred(ctx)) {
                HPyErr_SetString(ctx, ctx->h_AssertionError,
                                 "no exception set");
            }
            return HPy_NULL;
        }
        @EXPORT(f)
        @INIT
    """ % (call, is_error))
    with pytest.raises(SystemError) as exc:
        mod.f(None)
    assert str(exc.value) == 'HPy function %s is not implemented' % name



def test_no_null_function_pointer_in_context(compiler, hpy_abi):
    """Every function slot of a universal context is filled."""
    if support.ABI_MODES[hpy_abi][1] is None:
        pytest.skip('the CPython ABI resolves every call at compile time')
    mod = compiler.load_module(compiler.compile_module("""
        #include <stddef.h>
        HPyDef_METH(null_slots, "null_slots", HPyFunc_NOARGS)
        static HPy null_slots_impl(HPyContext *ctx, HPy self)
        {
            /* the function pointers run from ctx_Dup to the end of the
               struct, interleaved with a few handles added after 0.9.0 */
            size_t start = offsetof(struct _HPyContext_s, ctx_Dup);
            size_t end = sizeof(struct _HPyContext_s);
            size_t off;
            long nulls = 0;
            for (off = start; off < end; off += sizeof(void *)) {
                void *p = *(void **)((char *)ctx + off);
                if (p == NULL)
                    nulls++;
            }
            return HPyLong_FromLong(ctx, nulls);
        }
        @EXPORT(null_slots)
        @INIT
    """, hpy_abi, name='nullslots'))
    assert mod.null_slots() == 0
