"""A pytest plugin that runs each test body many times on a debug CPython
and fails the test if the interpreter's total reference count keeps growing
(issue 11, part 1). Used by scripts/check.sh as `-p refleak_plugin`:

    python3.11-dbg -m pytest -p refleak_plugin tests/test_argparse.py ...

Like CPython's own `regrtest -R`, the body runs a few times to warm caches
(interned strings, type caches, compiled modules), then in several windows;
a leak is reported only if the count grew in every window, so a one-off
cache fill is not a leak but one lost reference per call is.

A test marked `@pytest.mark.refleak_known(reason)` (a documented, bounded
leak) is measured and reported on stdout but does not fail.

HPY_REFLEAK_WINDOWS (default 4) and HPY_REFLEAK_RUNS (runs per window,
default 6) tune it. Without sys.gettotalrefcount the plugin does nothing."""
import gc
import os
import sys

import pytest

WARMUP = 3
WINDOWS = int(os.environ.get('HPY_REFLEAK_WINDOWS', '4'))
RUNS = int(os.environ.get('HPY_REFLEAK_RUNS', '6'))


def _total():
    gc.collect()
    return sys.gettotalrefcount()


def _noop():
    pass


def _run(func, args):
    func(**args)
    # monkeypatch keeps what each run patched, to undo it at teardown: undo
    # it after every run, so that its list does not count as a leak
    if 'monkeypatch' in args:
        args['monkeypatch'].undo()


def _windows(func, args):
    """The growth of the total refcount over each of WINDOWS windows."""
    deltas = [0] * WINDOWS
    for w in range(WINDOWS):
        before = _total()
        for _ in range(RUNS):
            _run(func, args)
        deltas[w] = _total() - before
    return deltas


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    if hasattr(sys, 'gettotalrefcount'):
        func = pyfuncitem.obj
        args = {name: pyfuncitem.funcargs[name]
                for name in pyfuncitem._fixtureinfo.argnames}
        for _ in range(WARMUP):
            _run(func, args)
        deltas = _windows(func, args)
        # what the measuring itself costs (the same loop around a no-op)
        noise = _windows(_noop, {})
        deltas = [d - n for d, n in zip(deltas, noise)]
        known = pyfuncitem.get_closest_marker('refleak_known')
        if all(d > 0 for d in deltas) and known is not None:
            print('\nrefleak_known: %s grew by %s: %s'
                  % (pyfuncitem.nodeid, deltas, known.args[0] if known.args else ''))
        elif all(d > 0 for d in deltas):
            pytest.fail('reference leak: the total reference count grew by %s '
                        'in %d windows of %d runs' % (deltas, WINDOWS, RUNS),
                        pytrace=False)
    yield
