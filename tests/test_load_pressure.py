"""Loading under pressure (issue 11, part 5), in the universal ABI:
two threads loading the same module at once, a module whose HPy_mod_exec
raises, and a MemoryError raised while a module creates its types. Each
gives a clear exception or working modules, and nothing half-made is left
in sys.modules."""
import sys
import threading

import pytest

from test_loader import GOOD_SRC, load
from test_type import POINT


def test_two_threads_load_the_same_module(compiler):
    m = compiler.compile_module(GOOD_SRC, 'universal', name='goodmod')
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            for _ in range(50):
                barrier.wait(timeout=30)
                mod = load('goodmod', m.so_filename)
                results.append(mod.f())
        except Exception as e:          # reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), 'deadlock'
    assert errors == []
    assert results == [1234] * 100
    assert 'goodmod' not in sys.modules


EXEC_RAISES = r"""
    HPyDef_SLOT(exec_fails, HPy_mod_exec)
    static int exec_fails_impl(HPyContext *ctx, HPy mod)
    {
        HPy_SetAttr_s(ctx, mod, "half", ctx->h_None);
        HPyErr_SetString(ctx, ctx->h_ValueError, "exec refused");
        return -1;
    }
    @EXPORT(exec_fails)
    @INIT
"""

# creates one type, then fails with MemoryError before the second
EXEC_NO_MEMORY = POINT.replace('@INIT', '') + r"""
    HPyDef_SLOT(exec_oom, HPy_mod_exec)
    static int exec_oom_impl(HPyContext *ctx, HPy mod)
    {
        if (add_type(ctx, mod, "First", &Point_spec, NULL) < 0)
            return -1;
        HPyErr_NoMemory(ctx);
        return -1;
    }
    @EXPORT(exec_oom)
    @INIT
"""


def _import(compiler, src, name):
    """Imports the module through hpy.universal.load as an import would:
    registered in sys.modules only on success."""
    m = compiler.compile_module(src, 'universal', name=name)
    mod = load(name, m.so_filename)
    sys.modules[name] = mod
    return mod


def test_exec_raises(compiler):
    for _ in range(3):
        with pytest.raises(ValueError, match='exec refused'):
            _import(compiler, EXEC_RAISES, 'execfails')
        assert 'execfails' not in sys.modules
    good = _import(compiler, GOOD_SRC, 'goodmod')
    try:
        assert good.f() == 1234
    finally:
        del sys.modules['goodmod']


def test_memory_error_in_type_creation(compiler):
    for _ in range(3):
        with pytest.raises(MemoryError):
            _import(compiler, EXEC_NO_MEMORY, 'execoom')
        assert 'execoom' not in sys.modules
