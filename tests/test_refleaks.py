"""Reference leaks and unbounded growth (issue 11, part 1), the quick parts
that run on every interpreter. The slow part (every API test body run many
times on a debug CPython, watching sys.gettotalrefcount) is
tests/refleak_plugin.py, run by scripts/check.sh.

- thousands of instances of an HPy type with fields: every object stored in
  a field is released when the instances go (its refcount returns to what
  it was), and tp_destroy ran for each;
- loading and dropping a module many times, in every ABI mode, gives back
  everything the load allocated: the module's definition and the call
  records of its functions are freed with the module (measured exactly
  with tracemalloc, which sees the runtime's PyMem allocations), also
  after loads that fail, and the process's resident memory stays bounded;
- a function object that outlives every other reference to its module
  keeps it, and works."""
import gc
import os
import sys
import tracemalloc

import pytest

import support
from test_field import PAIR
from test_loader import load

N = 5000


class Payload:
    pass


def _total():
    gc.collect()
    return sys.gettotalrefcount() if hasattr(sys, 'gettotalrefcount') else 0


def test_instances_with_fields_leak_nothing(make_module):
    mod = make_module(PAIR)
    x, y = Payload(), Payload()
    # warm up: the type's caches, the int cache of destroyed_count
    for _ in range(10):
        mod.Pair(x, y)
    gc.collect()
    refs_x, refs_y = sys.getrefcount(x), sys.getrefcount(y)
    destroyed = mod.destroyed_count()
    total = _total()
    objs = [mod.Pair(x, y) for _ in range(N)]
    assert sys.getrefcount(x) == refs_x + N
    for p in objs[::2]:
        p.first = None            # overwrite a field
    del objs, p
    gc.collect()
    assert sys.getrefcount(x) == refs_x
    assert sys.getrefcount(y) == refs_y
    assert mod.destroyed_count() - destroyed == N
    # on a debug CPython: the interpreter's total count is back too (a few
    # references of slack for the locals of this test)
    assert _total() - total < 10


def test_cycles_through_fields_are_collected(make_module):
    mod = make_module(PAIR)
    x = Payload()
    gc.collect()
    refs_x = sys.getrefcount(x)
    destroyed = mod.destroyed_count()
    for _ in range(N // 5):
        p = mod.Pair(x)
        q = mod.Pair(p, x)
        p.first = q               # p -> q -> p, both holding x
        del p, q
    gc.collect()
    assert sys.getrefcount(x) == refs_x
    assert mod.destroyed_count() - destroyed == 2 * (N // 5)


def _rss_kib():
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') // 1024


def many_functions_src(n, with_globals=True):
    """A module with `n` functions of each of the four method signatures
    (each returning its own number), a doc, module state, two globals set by
    its exec slot, and a function `total()` that calls the exec'd global."""
    parts = []
    exports = []
    for i in range(n):
        parts.append("""
            HPyDef_METH(n%(i)d, "n%(i)d", HPyFunc_NOARGS)
            static HPy n%(i)d_impl(HPyContext *ctx, HPy self)
            { return HPyLong_FromLong(ctx, %(i)d); }
            HPyDef_METH(o%(i)d, "o%(i)d", HPyFunc_O)
            static HPy o%(i)d_impl(HPyContext *ctx, HPy self, HPy arg)
            { return HPyLong_FromLong(ctx, %(i)d); }
            HPyDef_METH(v%(i)d, "v%(i)d", HPyFunc_VARARGS)
            static HPy v%(i)d_impl(HPyContext *ctx, HPy self, const HPy *args, size_t n)
            { return HPyLong_FromLong(ctx, %(i)d + (long)n); }
            HPyDef_METH(k%(i)d, "k%(i)d", HPyFunc_KEYWORDS)
            static HPy k%(i)d_impl(HPyContext *ctx, HPy self, const HPy *args, size_t n,
                                   HPy kwnames)
            { return HPyLong_FromLong(ctx, %(i)d); }
        """ % {'i': i})
        exports += ['&n%d' % i, '&o%d' % i, '&v%d' % i, '&k%d' % i]
    parts.append("""
        static HPyGlobal g_list, g_str;

        HPyDef_SLOT(exec1, HPy_mod_exec)
        static int exec1_impl(HPyContext *ctx, HPy mod)
        {
            HPy l = HPyList_New(ctx, 0);
            if (HPy_IsNull(l))
                return -1;
            HPyGlobal_Store(ctx, &g_list, l);
            HPy_Close(ctx, l);
            HPy s = HPyUnicode_FromString(ctx, "exec'd");
            if (HPy_IsNull(s))
                return -1;
            HPyGlobal_Store(ctx, &g_str, s);
            HPy_Close(ctx, s);
            return 0;
        }

        HPyDef_METH(exec_value, "exec_value", HPyFunc_NOARGS)
        static HPy exec_value_impl(HPyContext *ctx, HPy self)
        {
            return HPyGlobal_Load(ctx, g_str);
        }

        static HPyDef *moduledefs[] = { %s, &exec1, &exec_value, NULL };
        static HPyGlobal *module_globals[] = { &g_list, &g_str, NULL };
        static HPyModuleDef moduledef = {
            .doc = "a module with many functions",
            .size = 64,
            .defines = moduledefs,
            .globals = %s,
        };
        @HPy_MODINIT(moduledef)
    """ % (', '.join(exports), 'module_globals' if with_globals else 'NULL'))
    return ''.join(parts)


def _use(mod, n):
    assert mod.exec_value() == "exec'd"
    for i in (0, n - 1):
        assert getattr(mod, 'n%d' % i)() == i
        assert getattr(mod, 'o%d' % i)(None) == i
        assert getattr(mod, 'v%d' % i)(1, 2) == i + 2
        assert getattr(mod, 'k%d' % i)(1, x=2) == i


def _load_allocations():
    """Bytes allocated by loads (support.load_extension) and not freed yet:
    tracemalloc sees every PyMem and PyObject allocation, the runtime's
    included, with the Python stack that made it; allocations of other
    threads (pytest-xdist's) are left out."""
    only_loads = tracemalloc.Filter(True, support.__file__, all_frames=True)
    snapshot = tracemalloc.take_snapshot().filter_traces([only_loads])
    return sum(stat.size for stat in snapshot.statistics('filename'))


def _traced_growth(load_once, runs):
    """What `runs` calls of `load_once` leave allocated once the garbage
    collector has run, after a warm-up: the smaller growth of two such
    windows (caches that fill up once grow in the first only; a leak grows
    in both). A universal module is a cycle (module, dict, functions): one
    full collection at the end of a window frees the window's modules; one
    per load would make the test a hundred times slower in a large
    process."""
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start(25)
    try:
        for _ in range(10):
            load_once()
        gc.collect()
        growth = []
        for _ in range(2):
            before = _load_allocations()
            for _ in range(runs):
                load_once()
            gc.collect()
            growth.append(_load_allocations() - before)
        return min(growth)
    finally:
        if not started:
            tracemalloc.stop()


N_EACH = 10        # functions per signature in many_functions_src

# What a load may seem to leave, on average: the objects that CPython keeps
# in its free lists (dicts, tuples ...) count as allocated for tracemalloc,
# a few KiB at most. A definition left behind is 200 bytes at least (for a
# module without functions), and 1 KiB per 10 functions more with its call
# records.
LEFT_PER_LOAD = 80


def test_load_and_drop_frees_the_definition_and_records(compiler, hpy_abi):
    # Each load makes a PyModuleDef with 41 methods and (but in the CPython
    # ABI, whose definition is made once) 41 call records: about 4 KiB,
    # which used to stay allocated after the module was gone.
    m = compiler.compile_module(many_functions_src(N_EACH), hpy_abi, name='manyfuncs')

    def load_once():
        mod = support.load_extension(m.name, m.so_filename, hpy_abi)
        _use(mod, N_EACH)
        assert mod.__doc__ == 'a module with many functions'

    runs = 100
    grown = _traced_growth(load_once, runs)
    assert grown < LEFT_PER_LOAD * runs, 'still allocated after %d loads: %d bytes' % (runs, grown)


FAILING_LOADS = {
    'exec_raises': """
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        { return HPyLong_FromLong(ctx, 1); }
        HPyDef_SLOT(exec1, HPy_mod_exec)
        static int exec1_impl(HPyContext *ctx, HPy mod)
        {
            HPyErr_SetString(ctx, ctx->h_KeyError, "raised by exec");
            return -1;
        }
        static HPyDef *moduledefs[] = { &f, &exec1, NULL };
        static HPyModuleDef moduledef = { .size = 32, .defines = moduledefs };
        @HPy_MODINIT(moduledef)
    """,
    'create_raises': """
        HPyDef_SLOT(create, HPy_mod_create)
        static HPy create_impl(HPyContext *ctx, HPy spec)
        {
            HPyErr_SetString(ctx, ctx->h_KeyError, "raised by create");
            return HPy_NULL;
        }
        static HPyDef *moduledefs[] = { &create, NULL };
        static HPyModuleDef moduledef = { .defines = moduledefs };
        @HPy_MODINIT(moduledef)
    """,
    'create_returns_a_module': """
        HPyDef_SLOT(create, HPy_mod_create)
        static HPy create_impl(HPyContext *ctx, HPy spec)
        {
            return HPyImport_ImportModule(ctx, "types");
        }
        static HPyDef *moduledefs[] = { &create, NULL };
        static HPyModuleDef moduledef = { .defines = moduledefs };
        @HPy_MODINIT(moduledef)
    """,
}


@pytest.mark.parametrize('what', sorted(FAILING_LOADS))
def test_failed_loads_free_the_definition(compiler, hpy_abi, what):
    if hpy_abi == 'cpython':
        pytest.skip('the CPython ABI makes its definition once, for every import')
    m = compiler.compile_module(FAILING_LOADS[what], hpy_abi, name='failing_' + what)

    def load_once():
        with pytest.raises((KeyError, SystemError)):
            support.load_extension(m.name, m.so_filename, hpy_abi)

    runs = 100
    grown = _traced_growth(load_once, runs)
    assert grown < LEFT_PER_LOAD * runs, 'still allocated after %d loads: %d bytes' % (runs, grown)


def test_create_slot_objects_free_the_definition(compiler, hpy_abi):
    # HPy_mod_create makes the object, which is not a module: the runtime
    # frees the definition at once
    from test_module import CREATE_NAMESPACE
    if hpy_abi == 'cpython':
        pytest.skip('the CPython ABI makes its definition once, for every import')
    src = CREATE_NAMESPACE + """
        static HPyDef *moduledefs[] = { &create, NULL };
        static HPyModuleDef moduledef = { .defines = moduledefs };
        @HPy_MODINIT(moduledef)
    """
    m = compiler.compile_module(src, hpy_abi, name='createns')

    def load_once():
        ns = support.load_extension(m.name, m.so_filename, hpy_abi)
        assert ns.spec.name == 'createns'

    runs = 100
    grown = _traced_growth(load_once, runs)
    assert grown < LEFT_PER_LOAD * runs, 'still allocated after %d loads: %d bytes' % (runs, grown)


def test_function_keeps_its_module(compiler, hpy_abi):
    """A module function is all that is left of its module: the module (and
    with it the function's record and method definition) lives on until the
    function goes; in a cycle through the function too."""
    m = compiler.compile_module(many_functions_src(2), hpy_abi, name='keepmod')
    mod = support.load_extension(m.name, m.so_filename, hpy_abi)
    fs = [mod.n1, mod.o0, mod.v1, mod.k0, mod.exec_value]
    del mod
    for _ in range(3):
        gc.collect()
    assert [fs[0](), fs[1](None), fs[2](5), fs[3](k=1), fs[4]()] == [1, 0, 2, 0, "exec'd"]
    assert fs[0].__name__ == 'n1' and fs[0].__self__.__name__ == 'keepmod'
    with pytest.raises(TypeError):
        fs[0](1)                  # a call of the wrong shape: CPython's error
    # a cycle: a list holding the function and itself
    cycle = [fs[1]]
    cycle.append(cycle)
    del fs, cycle
    gc.collect()


@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='needs /proc')
def test_load_and_drop_many_times_rss_bounded(compiler):
    m = compiler.compile_module(many_functions_src(N_EACH), 'universal', name='manyfuncs')
    for i in range(200):
        _use(load('manyfuncs', m.so_filename), N_EACH)
        if i % 100 == 99:
            gc.collect()
    before = _rss_kib()
    for i in range(2000):
        mod = load('manyfuncs', m.so_filename)
        _use(mod, N_EACH)
        del mod
        # the modules (cycles) are freed by a full collection: one per 100
        # loads, as often as in the warm-up above (a full collection in a
        # process as large as a test worker takes milliseconds)
        if i % 100 == 99:
            gc.collect()
    grown = _rss_kib() - before
    # a module of 41 functions used to leave about 4 KiB per load (its
    # definition and call records): 2000 loads, 8 MiB. Allow some
    # noise from the allocator.
    assert grown < 512, 'RSS grew by %d KiB over 2000 loads' % grown


def test_debug_mode_load_and_drop_frees_its_handles(compiler):
    """A module loaded in debug mode -- types with fields, instances, calls
    -- and then dropped leaves no debug handle open, and the queue of closed
    handles stays within its bound however often it is done."""
    import hpy.universal
    from hpy.universal import _debug
    m = compiler.compile_module(PAIR, 'debug', name='pairmod')
    x = Payload()
    gc.collect()
    refs_x = sys.getrefcount(x)
    gen = _debug.new_generation()
    total = None
    for i in range(300):
        mod = load('pairmod', m.so_filename, mode=hpy.universal.MODE_DEBUG)
        p = mod.Pair(x, mod.Pair(x))
        p.first = None
        assert mod.destroyed_count() >= 0
        del mod, p
        gc.collect()
        assert _debug.get_open_handles(gen) == []
        if i == 50:
            total = _total()
    assert sys.getrefcount(x) == refs_x
    assert len(_debug.get_closed_handles()) <= _debug.get_closed_handles_queue_max_size()
    # on a debug CPython: nothing kept per load (module definitions and
    # method records are counted in bytes, not references)
    assert _total() - total < 50
