"""Threads (issue 11, part 4): several Python threads calling into one
module at once, some releasing the GIL with HPy_LeavePythonExecution /
HPy_ReenterPythonExecution, some creating and dropping instances with
fields, some going through argument parsing and value building. No crash,
no deadlock, no lost update: every instance made is destroyed once, every
call returns its own result. Runs in every ABI mode (in debug mode each
thread closes only the argument handles of its own calls)."""
import gc
import sys
import threading

import pytest

from test_field import PAIR

SRC = PAIR.replace('@INIT', '') + r"""
    HPyDef_METH(leave_and_sum, "leave_and_sum", HPyFunc_VARARGS)
    static HPy leave_and_sum_impl(HPyContext *ctx, HPy self,
                                  const HPy *args, size_t nargs)
    {
        long n, i;
        volatile long total = 0;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l", &n))
            return HPy_NULL;
        HPyThreadState state = HPy_LeavePythonExecution(ctx);
        for (i = 0; i < n; i++)
            total += i;
        HPy_ReenterPythonExecution(ctx, state);
        return HPy_BuildValue(ctx, "(ll)", n, (long)total);
    }

    HPyDef_METH(echo_kw, "echo_kw", HPyFunc_KEYWORDS)
    static HPy echo_kw_impl(HPyContext *ctx, HPy self, const HPy *args,
                            size_t nargs, HPy kwnames)
    {
        static const char *kwlist[] = {"a", "b", NULL};
        long a, b = 0;
        HPyTracker ht;
        if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, "l|l",
                                  kwlist, &a, &b))
            return HPy_NULL;
        HPyTracker_Close(ctx, ht);
        return HPy_BuildValue(ctx, "[ll]", a, b);
    }

    @EXPORT(leave_and_sum)
    @EXPORT(echo_kw)
    @INIT
"""

THREADS = 6
ROUNDS = 100


class Payload:
    pass


@pytest.fixture
def mod(make_module):
    return make_module(SRC, name='threadstress')


def _run(workers):
    errors = []

    def wrap(fn, k):
        def run():
            try:
                fn(k)
            except BaseException as e:      # reported by the test
                errors.append((k, e))
        return run

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)             # switch threads as often as possible
    try:
        threads = [threading.Thread(target=wrap(fn, k)) for k, fn in enumerate(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads), 'deadlock: threads still running'
    assert errors == []


def test_concurrent_calls(mod):
    x = Payload()
    gc.collect()
    refs_x = sys.getrefcount(x)
    destroyed = mod.destroyed_count()

    def releaser(k):
        for i in range(ROUNDS):
            n = 1000 + k * 10 + i
            assert mod.leave_and_sum(n) == (n, n * (n - 1) // 2)

    def maker(k):
        for i in range(ROUNDS):
            p = mod.Pair(x, (k, i))
            assert p.second == (k, i)
            p.first = Payload()
            assert p.first is not x
            del p

    def parser(k):
        for i in range(ROUNDS):
            assert mod.echo_kw(k, b=i) == [k, i]
            assert mod.echo_kw(a=i) == [i, 0]
            with pytest.raises(TypeError):
                mod.echo_kw(k, zzz=i)

    kinds = [releaser, maker, parser]
    _run([kinds[k % 3] for k in range(THREADS)])
    gc.collect()
    makers = sum(1 for k in range(THREADS) if k % 3 == 1)
    assert mod.destroyed_count() - destroyed == makers * ROUNDS
    assert sys.getrefcount(x) == refs_x


def test_many_threads_releasing(mod):
    def releaser(k):
        for i in range(ROUNDS // 2):
            assert mod.leave_and_sum(k + i) == (k + i, (k + i) * (k + i - 1) // 2)
    _run([releaser] * 16)
