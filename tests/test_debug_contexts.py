"""Debug mode: a context is valid only during the call that received it.

Each call into a debug-mode extension gets its own copy of the debug
context (16 copies in turn, as HPy 0.9); using a context kept in a C global
after its call returned, or an outer call's context while a nested call
runs, is reported as "Wrong HPy Context" (a fatal error, or the hook of
`_debug.set_on_invalid_handle`). Handles are not tied to one copy: a handle
of an outer call may be used by a nested one."""
import textwrap
from pathlib import Path

import pytest

import support

HPY_ABIS = ['debug', 'hybrid+debug']

TESTS_DIR = Path(__file__).resolve().parent

KEEPER = """
    static HPyContext *kept_ctx;
    static HPy outer_handle;

    HPyDef_METH(keep_ctx, "keep_ctx", HPyFunc_NOARGS)
    static HPy keep_ctx_impl(HPyContext *ctx, HPy self)
    {
        kept_ctx = ctx;                 /* wrong: a context is per call */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(same_ctx, "same_ctx", HPyFunc_NOARGS)
    static HPy same_ctx_impl(HPyContext *ctx, HPy self)
    {
        return HPyBool_FromBool(ctx, ctx == kept_ctx);
    }
    HPyDef_METH(use_kept_ctx, "use_kept_ctx", HPyFunc_O)
    static HPy use_kept_ctx_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);               /* the right context */
        HPy_Close(ctx, h);
        printf("before the kept context\\n");
        fflush(stdout);
        return HPy_Dup(kept_ctx, arg);            /* the kept one */
    }
    HPyDef_METH(call, "call", HPyFunc_O)
    static HPy call_impl(HPyContext *ctx, HPy self, HPy f)
    {
        return HPy_CallTupleDict(ctx, f, HPy_NULL, HPy_NULL);
    }
    HPyDef_METH(keep_and_call, "keep_and_call", HPyFunc_O)
    static HPy keep_and_call_impl(HPyContext *ctx, HPy self, HPy f)
    {
        kept_ctx = ctx;       /* valid until this call returns, but not in */
        return HPy_CallTupleDict(ctx, f, HPy_NULL, HPy_NULL); /* nested ones */
    }
    HPyDef_METH(hold_and_call, "hold_and_call", HPyFunc_VARARGS)
    static HPy hold_and_call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        /* a handle of this call, used by a nested call while this one runs */
        outer_handle = HPy_Dup(ctx, args[0]);
        HPy r = HPy_CallTupleDict(ctx, args[1], HPy_NULL, HPy_NULL);
        HPy_Close(ctx, outer_handle);
        outer_handle = HPy_NULL;
        return r;
    }
    HPyDef_METH(read_outer, "read_outer", HPyFunc_NOARGS)
    static HPy read_outer_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Repr(ctx, outer_handle);
    }
    @EXPORT(keep_ctx)
    @EXPORT(same_ctx)
    @EXPORT(use_kept_ctx)
    @EXPORT(call)
    @EXPORT(keep_and_call)
    @EXPORT(hold_and_call)
    @EXPORT(read_outer)
    @INIT
"""

PRELUDE = '#include <stdio.h>\n'


def run_module_code(module, code):
    prog = "import support\nmod = support.load_extension(%r, %r, %r)\n" % (
        module.name, str(module.so_filename), module.hpy_abi)
    return support.run_python(prog + textwrap.dedent(code), cwd=str(TESTS_DIR))


def test_each_call_gets_its_own_context(make_module):
    mod = make_module(PRELUDE + KEEPER)
    mod.keep_ctx()
    assert mod.same_ctx() is False
    # the copies are contexts like the module's: same name, same functions
    assert mod.call(lambda: 42) == 42


def test_handle_of_an_outer_call_in_a_nested_call(make_module):
    from hpy.debug import LeakDetector
    mod = make_module(PRELUDE + KEEPER)
    with LeakDetector():
        assert mod.hold_and_call('outer', mod.read_outer) == "'outer'"


@pytest.mark.parametrize('code, stdout', [
    # the context of a call that has returned
    ('mod.keep_ctx(); mod.use_kept_ctx(1)', 'before the kept context\n'),
    # the context of an outer call, in a nested call
    ('mod.keep_and_call(lambda: mod.use_kept_ctx(1))', 'before the kept context\n'),
    # the same through several nested calls
    ('mod.keep_ctx()\n'
     'n = 20\n'
     'def again():\n'
     '    global n\n'
     '    n -= 1\n'
     '    return mod.call(again) if n else mod.use_kept_ctx(1)\n'
     'mod.call(again)', 'before the kept context\n'),
])
def test_wrong_context_is_fatal(compile_module, code, stdout):
    module = compile_module(PRELUDE + KEEPER)
    p = run_module_code(module, code)
    assert p.returncode != 0
    assert 'Error: Wrong HPy Context!' in p.stderr, p.stderr
    assert 'HPy_Dup was called with the debug context' in p.stderr
    assert p.stdout == stdout


def test_wrong_context_calls_the_hook(make_module):
    from hpy.universal import _debug
    mod = make_module(PRELUDE + KEEPER)
    calls = []
    _debug.set_on_invalid_handle(lambda: calls.append(1))
    try:
        mod.keep_ctx()
        # the hook is told, then the call goes on (the kept copy works)
        assert mod.use_kept_ctx('x') == 'x'
        assert calls == [1]
    finally:
        _debug.set_on_invalid_handle(None)
