"""Debug mode of HPy (the Python side).

A universal or hybrid extension loaded in debug mode (``HPY=debug``, or
``hpy.universal.load(..., mode=hpy.universal.MODE_DEBUG)``) gets a context
whose handles are records of the runtime's own: misuse is reported where it
happens, and unclosed handles can be listed. See README.md, "Debug mode".
"""
from .leakdetector import HPyDebugError, HPyLeakError, LeakDetector

__all__ = [
    'HPyDebugError', 'HPyLeakError', 'LeakDetector',
    'set_handle_stack_trace_limit', 'disable_handle_stack_traces',
]


def set_handle_stack_trace_limit(limit):
    """Record, for each handle opened from now on, up to `limit` Python
    frames of where it was opened (shown in leak reports and in the
    messages about misused handles). None or 0 turns it off."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(limit)


def disable_handle_stack_traces():
    """Stop recording where handles are opened."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(None)
