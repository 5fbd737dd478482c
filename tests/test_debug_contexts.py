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


# Threads: the current context is per thread. A call that releases the GIL
# (HPy_LeavePythonExecution) lets other threads run calls of their own;
# when it takes the GIL back (HPy_ReenterPythonExecution, whose check runs
# once the GIL is held) its own context is the valid one again, even while
# another thread is inside a call.
THREADS = """
    static HPyContext *kept_ctx;
    static volatile int flag;

    HPyDef_METH(keep_ctx, "keep_ctx", HPyFunc_NOARGS)
    static HPy keep_ctx_impl(HPyContext *ctx, HPy self)
    {
        kept_ctx = ctx;
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(wait_for_flag, "wait_for_flag", HPyFunc_O)
    static HPy wait_for_flag_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyThreadState state = HPy_LeavePythonExecution(ctx);
        while (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE))
            sched_yield();
        HPy_ReenterPythonExecution(ctx, state);
        return HPy_Dup(ctx, arg);      /* this call's context, valid again */
    }
    HPyDef_METH(set_flag, "set_flag", HPyFunc_NOARGS)
    static HPy set_flag_impl(HPyContext *ctx, HPy self)
    {
        __atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(call, "call", HPyFunc_VARARGS)
    static HPy call_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        HPy r = HPy_CallTupleDict(ctx, args[0], HPy_NULL, HPy_NULL);
        if (HPy_IsNull(r))
            return r;
        HPy_Close(ctx, r);
        return HPy_Dup(ctx, args[1]);   /* this call's context, still valid */
    }
    HPyDef_METH(reenter_with_kept, "reenter_with_kept", HPyFunc_NOARGS)
    static HPy reenter_with_kept_impl(HPyContext *ctx, HPy self)
    {
        HPyThreadState state = HPy_LeavePythonExecution(ctx);
        HPy_ReenterPythonExecution(kept_ctx, state);     /* the wrong one */
        return HPy_Dup(ctx, ctx->h_None);
    }
    @EXPORT(keep_ctx)
    @EXPORT(wait_for_flag)
    @EXPORT(set_flag)
    @EXPORT(call)
    @EXPORT(reenter_with_kept)
    @INIT
"""


def test_threads_interleaving_calls_keep_their_contexts(make_module):
    import threading
    mod = make_module('#include <sched.h>\n' + THREADS)
    a_done = threading.Event()
    results = {}

    def a():
        # releases the GIL until `b` is inside its call, takes it back while
        # `b`'s call still runs (b waits on a_done with the GIL released)
        results['a'] = mod.wait_for_flag('a')
        a_done.set()

    def in_b():
        mod.set_flag()
        assert a_done.wait(30)

    def b():
        results['b'] = mod.call(in_b, 'b')

    ta = threading.Thread(target=a)
    ta.start()
    tb = threading.Thread(target=b)
    tb.start()
    ta.join(60)
    tb.join(60)
    assert results == {'a': 'a', 'b': 'b'}


def test_reenter_with_a_wrong_context_is_checked_with_the_gil(make_module):
    from hpy.universal import _debug
    mod = make_module('#include <sched.h>\n' + THREADS)
    calls = []
    mod.keep_ctx()
    # the hook, Python code, runs: HPy_ReenterPythonExecution checks its
    # context once the GIL is back
    _debug.set_on_invalid_handle(lambda: calls.append(1))
    try:
        assert mod.reenter_with_kept() is None
        assert calls == [1]
    finally:
        _debug.set_on_invalid_handle(None)
