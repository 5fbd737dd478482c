"""HPy trace mode: how often, and how long, modules call each API function.

A universal module loaded in trace mode (``hpy.universal.load(...,
mode=hpy.universal.MODE_TRACE)``, or ``HPY=trace`` / ``HPY=mod:trace`` for
modules imported through their stub) gets a context that counts every call
of a context function and measures its time with a monotonic clock.

- ``get_call_counts()``: a dict ``{'ctx_Add': n, ...}`` with every context
  function (0 when never called), added up over the modules in trace mode;
- ``get_durations()``: the same for the total time, in nanoseconds;
- ``get_frequency()``: the clock's resolution, in Hz;
- ``set_trace_functions(on_enter=None, on_exit=None)``: callables called with
  the function's name before and after each traced call (outside the timed
  part); ``None`` removes a hook, and a hook not given stays as it is
  (``set_trace_functions(on_exit=f)`` keeps ``on_enter``). An exception raised by a hook is reported
  through ``sys.unraisablehook`` and does not change the traced call.

``python -m hpy.trace script.py`` runs a program with every universal module
in trace mode and prints a profile when it ends (see
``python -m hpy.trace --help``).
"""
from hpy.universal._trace import (  # noqa: F401
    get_call_counts,
    get_durations,
    get_frequency,
    set_trace_functions,
)

__all__ = ['get_call_counts', 'get_durations', 'get_frequency',
           'set_trace_functions']
