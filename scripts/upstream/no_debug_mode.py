"""pytest plugin for scripts/upstream-tests.sh: while hpy-rs has no debug
mode, provide the one name the upstream conftest imports from it, so that
the tests of the other modes can run. Using it is an error."""
import sys
import types


class LeakDetector:
    def __init__(self, *args, **kwargs):
        raise RuntimeError('hpy-rs has no debug mode yet: this test needs it')


def _install():
    try:
        import hpy.debug.leakdetector  # noqa: F401 (the real one wins)
        return
    except ImportError:
        pass
    debug = sys.modules.get('hpy.debug') or types.ModuleType('hpy.debug')
    leak = types.ModuleType('hpy.debug.leakdetector')
    leak.LeakDetector = LeakDetector
    debug.leakdetector = leak
    sys.modules.setdefault('hpy.debug', debug)
    sys.modules['hpy.debug.leakdetector'] = leak


_install()
