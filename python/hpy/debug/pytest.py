"""The pytest fixture ``hpy_debug``: the test runs under a LeakDetector and
fails with HPyLeakError if it leaves handles of debug-mode modules open.

Use it with ``pytest_plugins = ['hpy.debug.pytest']`` in conftest.py (or
``from hpy.debug.pytest import hpy_debug``) and ask for ``hpy_debug``.
"""
import pytest

from .leakdetector import LeakDetector


@pytest.fixture
def hpy_debug():
    with LeakDetector() as ld:
        yield ld
