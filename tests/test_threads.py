"""HPy_LeavePythonExecution / HPy_ReenterPythonExecution and the macros
HPy_BEGIN_LEAVE_PYTHON / HPy_END_LEAVE_PYTHON: releasing the GIL.

A Python thread records timestamps while the main thread sleeps in C: with
the GIL released it runs during the sleep, with the GIL held it cannot."""
import threading
import time

import pytest

SRC = r"""
    #include <time.h>

    static void sleep_ms(long ms)
    {
        struct timespec ts;
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000L;
        while (nanosleep(&ts, &ts) != 0)
            ;
    }

    HPyDef_METH(sleep_released, "sleep_released", HPyFunc_O)
    static HPy sleep_released_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        long ms = HPyLong_AsLong(ctx, arg);
        if (ms == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        HPyThreadState state = HPy_LeavePythonExecution(ctx);
        sleep_ms(ms);
        HPy_ReenterPythonExecution(ctx, state);
        /* Python can be used again */
        return HPyLong_FromLong(ctx, ms);
    }

    HPyDef_METH(sleep_released_macros, "sleep_released_macros", HPyFunc_O)
    static HPy sleep_released_macros_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        long ms = HPyLong_AsLong(ctx, arg);
        if (ms == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        HPy_BEGIN_LEAVE_PYTHON(ctx)
        sleep_ms(ms);
        HPy_END_LEAVE_PYTHON(ctx)
        return HPyLong_FromLong(ctx, ms);
    }

    HPyDef_METH(sleep_held, "sleep_held", HPyFunc_O)
    static HPy sleep_held_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        long ms = HPyLong_AsLong(ctx, arg);
        if (ms == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        sleep_ms(ms);
        return HPyLong_FromLong(ctx, ms);
    }

    @EXPORT(sleep_released)
    @EXPORT(sleep_released_macros)
    @EXPORT(sleep_held)
    @INIT
"""

SLEEP_MS = 300
MARGIN = 0.05


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='threads_')


def ticks_during(sleep):
    """Timestamps a second thread took strictly inside the call of sleep."""
    stamps = []
    stop = threading.Event()
    started = threading.Event()

    def ticker():
        started.set()
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)
    t = threading.Thread(target=ticker)
    t.start()
    started.wait()
    t0 = time.monotonic()
    assert sleep(SLEEP_MS) == SLEEP_MS
    t1 = time.monotonic()
    stop.set()
    t.join()
    assert t1 - t0 >= SLEEP_MS / 1000 - 0.01
    return [s for s in stamps if t0 + MARGIN < s < t1 - MARGIN]


def test_leave_and_reenter(m):
    assert len(ticks_during(m.sleep_released)) > 0


def test_leave_and_reenter_macros(m):
    assert len(ticks_during(m.sleep_released_macros)) > 0


def test_without_leaving_no_thread_runs(m):
    # the control: the same sleep with the GIL held lets nothing run
    assert ticks_during(m.sleep_held) == []
