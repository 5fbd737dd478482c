"""Reference leaks and unbounded growth (issue 11, part 1), the quick parts
that run on every interpreter. The slow part (every API test body run many
times on a debug CPython, watching sys.gettotalrefcount) is
tests/refleak_plugin.py, run by scripts/check.sh.

- thousands of instances of an HPy type with fields: every object stored in
  a field is released when the instances go (its refcount returns to what
  it was), and tp_destroy ran for each;
- loading and dropping a universal module many times keeps the process's
  resident memory bounded."""
import gc
import os
import sys

import pytest

from test_field import PAIR
from test_loader import GOOD_SRC, load

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


@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='needs /proc')
def test_load_and_drop_many_times_rss_bounded(compiler):
    m = compiler.compile_module(GOOD_SRC, 'universal', name='goodmod')
    for _ in range(200):
        assert load('goodmod', m.so_filename).f() == 1234
    gc.collect()
    before = _rss_kib()
    for _ in range(2000):
        mod = load('goodmod', m.so_filename)
        assert mod.f() == 1234
        del mod
    gc.collect()
    grown = _rss_kib() - before
    # a module object and its method table are a few hundred bytes; 2000
    # leaked would be ~1 MiB or more. Allow noise from the allocator.
    assert grown < 1024, 'RSS grew by %d KiB over 2000 loads' % grown


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
