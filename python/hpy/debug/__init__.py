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
    """Record, for each handle opened from now on, where it was opened: up
    to `limit` C frames (the extension's first) and `limit` Python frames
    (shown in leak reports, in the messages about misused handles and as
    `DebugHandle.allocation_stacktrace`). None or 0 turns it off."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(limit)


def disable_handle_stack_traces():
    """Stop recording where handles are opened."""
    from hpy.universal import _debug
    _debug.set_handle_stack_trace_limit(None)
