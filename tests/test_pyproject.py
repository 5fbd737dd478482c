"""pyproject builds (issue 10, part 3): a project with pyproject.toml
(setuptools backend, hpy-rs in build-system.requires) and a small setup.py
declaring its HPy extension installs with `pip install .` in pip's isolated
build environment -- hpy-rs coming from PIP_FIND_LINKS -- for the ABI that
the config settings choose; without hpy-rs among the links, the build fails
loudly rather than installing an empty package. `python -m build` (the
`build` package, installed from PyPI into a fresh venv) makes the sdist and
the universal wheel of the same project."""
import json
import subprocess
import sys
import zipfile

import pytest

import support
import wheelhouse


def install_and_check(tmp_path, *config):
    project = wheelhouse.write_project(tmp_path / 'project')
    python = wheelhouse.fresh_venv(tmp_path / 'venv', sys.executable)
    wheelhouse.pip_into(python, *config, str(project))
    p = support.run_python(wheelhouse.CHECK_POF, cwd=str(tmp_path), python=python)
    assert p.returncode == 0, p.stdout + p.stderr
    answer, greeting, filename, _ = json.loads(p.stdout)
    assert (answer, greeting) == (42, 'Hello, wheel!')
    return filename


def test_pip_install_universal_with_config_settings(tmp_path):
    wheelhouse.require_hpy_rs_wheel()
    filename = install_and_check(tmp_path, '-C--global-option=--hpy-abi=universal')
    assert filename.endswith('/site-packages/pofpkg/pof.hpy0.so')


def test_pip_install_default_abi(tmp_path):
    wheelhouse.require_hpy_rs_wheel()
    filename = install_and_check(tmp_path)
    assert filename.endswith('/site-packages/pofpkg/pof' + __import__(
        'sysconfig').get_config_var('EXT_SUFFIX'))


def test_without_hpy_rs_the_build_fails(tmp_path):
    """setuptools, but no hpy-rs, for the build environment: pip says which
    requirement is missing and builds nothing."""
    project = wheelhouse.write_project(tmp_path / 'project')
    links = tmp_path / 'links'
    wheelhouse.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps',
                    '-d', links, 'setuptools>=61'])
    env = wheelhouse.pip_env(PIP_FIND_LINKS=str(links), PIP_NO_INDEX='1')
    p = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-w',
                        str(tmp_path / 'out'), str(project)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300)
    assert p.returncode != 0
    assert 'No matching distribution found for hpy-rs' in p.stdout, p.stdout
    assert not list(tmp_path.glob('out/*.whl'))


# what pip says when it cannot reach the package index at all
NO_INDEX = ('NewConnectionError', 'Temporary failure in name resolution',
            'Network is unreachable', 'Could not fetch URL', 'ConnectTimeoutError',
            'No matching distribution found for build')


def test_python_m_build_sdist_and_universal_wheel(tmp_path):
    """`python -m build -C--global-option=--hpy-abi=universal` (README,
    pyproject builds): build's own isolated environment gets setuptools from
    the index and hpy-rs from PIP_FIND_LINKS; the sdist carries pof.c and
    the wheel built from it is the one-for-every-CPython universal wheel,
    which installs and imports."""
    wheelhouse.require_hpy_rs_wheel()
    project = wheelhouse.write_project(tmp_path / 'project')
    builder = wheelhouse.fresh_venv(tmp_path / 'build-venv', sys.executable)
    p = subprocess.run([sys.executable, '-m', 'pip', '--python', builder, 'install',
                        '-q', 'build'], env=wheelhouse.pip_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=600)
    if p.returncode != 0 and any(word in p.stdout for word in NO_INDEX):
        pytest.skip('PyPI is unreachable, cannot install `build`: ' + p.stdout[-300:])
    assert p.returncode == 0, p.stdout
    out = tmp_path / 'dist'
    wheelhouse.run([builder, '-m', 'build', '--outdir', out,
                    '-C--global-option=--hpy-abi=universal', project])
    sdists = sorted(out.glob('pofproj-1.0.tar.gz'))
    wheels = sorted(out.glob('pofproj-1.0-*.whl'))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(out.iterdir())
    assert wheels[0].name.startswith('pofproj-1.0-py3-none-linux_'), wheels[0].name
    with zipfile.ZipFile(str(wheels[0])) as z:
        names = z.namelist()
    assert 'pofpkg/pof.hpy0.so' in names, names
    assert not [n for n in names if 'cpython-' in n], names

    python = wheelhouse.fresh_venv(tmp_path / 'venv', sys.executable)
    wheelhouse.pip_into(python, str(wheels[0]))
    p = support.run_python(wheelhouse.CHECK_POF, cwd=str(tmp_path), python=python)
    assert p.returncode == 0, p.stdout + p.stderr
    answer, greeting, filename, _ = json.loads(p.stdout)
    assert (answer, greeting) == (42, 'Hello, wheel!')
    assert filename.endswith('/site-packages/pofpkg/pof.hpy0.so'), filename
