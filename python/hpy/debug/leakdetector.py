"""LeakDetector: reports the handles of debug-mode modules left open.

    with LeakDetector():
        mod.f()            # HPyLeakError if f left a handle open

or ``ld = LeakDetector(); ld.start(); ...; ld.stop()``. Handles are counted
by generation: those opened after ``start()`` and still open at ``stop()``.
"""
from hpy.universal import _debug


class HPyDebugError(Exception):
    """Base class of the errors reported by HPy's debug mode."""


class HPyLeakError(HPyDebugError):
    """Handles were left open: ``args[0]`` is the list of DebugHandle."""

    def __init__(self, leaks):
        super().__init__(leaks)
        self.leaks = leaks

    def __str__(self):
        lines = ['%d unclosed handle%s:' % (len(self.leaks),
                                            '' if len(self.leaks) == 1 else 's')]
        for h in self.leaks:
            lines.append('    %r' % (h,))
            trace = getattr(h, 'allocation_stacktrace', None)
            if trace:
                lines.append('      opened at:')
                lines.extend('      ' + line for line in trace.rstrip('\n').split('\n'))
        return '\n'.join(lines)


class LeakDetector:
    """Context manager (or ``start()``/``stop()``) raising HPyLeakError for
    the handles opened in between and still open at the end."""

    def __init__(self):
        self.generation = None

    def start(self):
        if self.generation is not None:
            raise ValueError('LeakDetector already started')
        self.generation = _debug.new_generation()

    def stop(self):
        if self.generation is None:
            raise ValueError('LeakDetector not started yet')
        leaks = _debug.get_open_handles(self.generation)
        self.generation = None
        if leaks:
            raise HPyLeakError(leaks)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, etype, evalue, tb):
        if etype is not None:
            # the body failed: do not hide its exception behind a leak report
            self.generation = None
            return False
        self.stop()
        return False
