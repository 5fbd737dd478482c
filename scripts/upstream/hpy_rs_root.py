"""pytest plugin for scripts/upstream-tests.sh: the tests of
test/hpy_devel/test_distutils.py pip-install "the HPy source tree" into a
fresh venv, and name it by test.support.HPY_ROOT, the unpacked HPy 0.9.0
sdist. Pointed at HPY_RS_ROOT instead, they build their test project with
hpy-rs's hpy.devel and load it with hpy-rs's runtime (else they would test
the reference HPy, with whatever setuptools pip installs today)."""
import os
import sys
from pathlib import Path


def pytest_collectstart(collector):
    # test.support is imported by the upstream conftest, before any test
    # module; test_distutils reads HPY_ROOT when it is imported.
    support = sys.modules.get('test.support')
    root = os.environ.get('HPY_RS_ROOT')
    if support is not None and root:
        support.HPY_ROOT = Path(root)
