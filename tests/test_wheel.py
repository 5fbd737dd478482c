"""One wheel for every CPython (issue 10, part 2): the wheel of a project
whose extensions are all universal, built once (pip wheel, in pip's isolated
build environment, the ABI from the config settings), is tagged
py3-none-PLATFORM, depends on hpy-rs, and installs and imports -- without
any rebuild -- in venvs of two different CPython versions."""
import json
import sys
import zipfile

import pytest

import support
import wheelhouse


@pytest.fixture(scope='module')
def universal_wheel(tmp_path_factory):
    return wheelhouse.universal_project_wheel(
        support.session_cache_dir(tmp_path_factory))


def test_one_wheel_tagged_for_every_cpython(universal_wheel):
    name = universal_wheel.name
    assert name.startswith('pofproj-1.0-py3-none-linux_'), name
    with zipfile.ZipFile(str(universal_wheel)) as z:
        names = z.namelist()
        metadata = z.read('pofproj-1.0.dist-info/METADATA').decode()
        wheel_info = z.read('pofproj-1.0.dist-info/WHEEL').decode()
    assert 'pofpkg/pof.hpy0.so' in names
    assert not [n for n in names if 'cpython-' in n or '-cp3' in n], names
    assert 'Root-Is-Purelib: false' in wheel_info
    assert 'Tag: py3-none-linux_' in wheel_info
    assert 'Requires-Dist: hpy-rs' in metadata


def other_version():
    """Another CPython with hpy-rs in build/venvs and a wheel of it."""
    for version in reversed(wheelhouse.VERSIONS):
        if (version != wheelhouse.THIS and wheelhouse.hpy_rs_wheel(version)
                and wheelhouse.venv_python(version)):
            return version
    return None


@pytest.mark.parametrize('which', ['this', 'other'])
def test_the_same_wheel_installs_and_imports(universal_wheel, tmp_path, which):
    version = wheelhouse.THIS if which == 'this' else other_version()
    if version is None:
        pytest.skip('no other CPython with an hpy-rs wheel in build/wheels and a '
                    'venv in build/venvs (scripts/test.sh makes them)')
    base = sys.executable if which == 'this' else wheelhouse.venv_python(version)
    python = wheelhouse.fresh_venv(tmp_path / 'venv', base)
    wheelhouse.pip_into(python, str(universal_wheel))
    p = support.run_python(wheelhouse.CHECK_POF, cwd=str(tmp_path), python=python)
    assert p.returncode == 0, p.stdout + p.stderr
    answer, greeting, filename, running = json.loads(p.stdout)
    assert (answer, greeting, running) == (42, 'Hello, wheel!', version)
    assert filename.endswith('/site-packages/pofpkg/pof.hpy0.so'), filename
