"""Helpers of the packaging tests (test_wheel.py, test_pyproject.py,
test_cross_version.py): the hpy-rs wheels, venvs of other CPythons, and an
extension project built the way users build it.

scripts/test.sh builds hpy-rs into a wheel for every CPython first
(build/wheels/hpy_rs-*-cp3XY-*.whl, into the venv build/venvs/X.Y); pip
finds hpy-rs there (PIP_FIND_LINKS), hpy-rs not being on the package index.
Tests that need a wheel or venv that is missing are skipped, saying why.
"""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import support

WHEELS = support.REPO_ROOT / 'build' / 'wheels'
VENVS = support.REPO_ROOT / 'build' / 'venvs'
VERSIONS = ['3.9', '3.10', '3.11', '3.12', '3.13']
THIS = '%d.%d' % sys.version_info[:2]


def tag(version):
    return 'cp' + version.replace('.', '')


def hpy_rs_wheel(version=THIS):
    """The hpy-rs wheel of CPython `version` in build/wheels, or None."""
    found = sorted(WHEELS.glob('hpy_rs-*-%s-%s-*.whl' % (tag(version), tag(version))))
    return found[-1] if found else None


def require_hpy_rs_wheel(version=THIS):
    wheel = hpy_rs_wheel(version)
    if wheel is None:
        pytest.skip('no hpy-rs wheel for CPython %s in %s (scripts/test.sh builds '
                    'them: pip wheel --no-build-isolation -w build/wheels .)'
                    % (version, WHEELS))
    return wheel


def venv_python(version):
    """The python of build/venvs/X.Y if hpy-rs is installed there, or None."""
    python = VENVS / version / 'bin' / 'python'
    if not python.exists():
        return None
    p = support.run_python('import hpy.universal', python=str(python))
    return str(python) if p.returncode == 0 else None


def pip_env(**extra):
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.update(PIP_FIND_LINKS=str(WHEELS), PIP_DISABLE_PIP_VERSION_CHECK='1',
               PIP_NO_INPUT='1')
    env.update(extra)
    return env


def run(cmd, cwd=None, env=None, timeout=600):
    p = subprocess.run([str(c) for c in cmd], cwd=str(cwd) if cwd else None,
                       env=env or pip_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=timeout)
    assert p.returncode == 0, '%s failed:\n%s' % (' '.join(map(str, cmd)), p.stdout[-4000:])
    return p.stdout


def fresh_venv(path, base_python):
    """A new venv at `path` made by `base_python` (no pip of its own: this
    interpreter's pip installs into it with --python); returns its python."""
    run([base_python, '-m', 'venv', '--without-pip', path])
    return str(Path(path) / 'bin' / 'python')


def pip_into(python, *args, env=None):
    """`pip install ARGS` into the environment of `python`."""
    return run([sys.executable, '-m', 'pip', '--python', python, 'install', '-q']
               + list(args), env=env)


# An extension project as a user writes it: pyproject.toml (setuptools
# backend, hpy-rs in build-system.requires and in the dependencies) and a
# small setup.py that declares the HPy extension; the ABI comes from the
# config settings (-C--global-option=--hpy-abi=universal).
PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61", "hpy-rs"]
build-backend = "setuptools.build_meta"

[project]
name = "pofproj"
version = "1.0"
dependencies = ["hpy-rs"]
'''
SETUP_PY = '''\
from setuptools import setup, Extension
setup(hpy_ext_modules=[Extension("pofpkg.pof", sources=["pof.c"])],
      packages=["pofpkg"])
'''


def write_project(dest):
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / 'pyproject.toml').write_text(PYPROJECT)
    (dest / 'setup.py').write_text(SETUP_PY)
    (dest / 'pofpkg').mkdir(exist_ok=True)
    (dest / 'pofpkg' / '__init__.py').write_text('"""pof, as a package."""\n')
    shutil.copy(str(support.REPO_ROOT / 'examples' / 'pof' / 'pof.c'), str(dest / 'pof.c'))
    return dest


def universal_project_wheel(cache_dir):
    """The wheel of the universal pof project, built once per session with
    `pip wheel` in pip's isolated build environment."""
    require_hpy_rs_wheel()
    out = Path(cache_dir) / 'pofproj-universal'
    with support._locked(out):
        wheels = sorted(out.glob('pofproj-*.whl'))
        if not wheels:
            project = write_project(Path(cache_dir) / 'pofproj-src')
            run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '-w', out,
                 '-C--global-option=--hpy-abi=universal', project])
            wheels = sorted(out.glob('pofproj-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


CHECK_POF = textwrap.dedent('''
    import json, sys
    from pofpkg import pof
    print(json.dumps([pof.add_ints(40, 2), pof.greet("wheel"), pof.__file__,
                      "%d.%d" % sys.version_info[:2]]))
''')
