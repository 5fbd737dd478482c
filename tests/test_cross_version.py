"""Compile once, load anywhere (issue 10, part 4): examples/vec -- two custom
types with members, a property, HPyFields and GC, errors, keyword arguments,
a Python subclass -- is built once as a universal extension, without a loader
stub, by the CPython running the tests; then every installed CPython 3.9 ...
3.13 (the venvs of scripts/test.sh, with hpy-rs) imports that very file
(`import vec`, through hpy-rs's finder) and runs the example's own checks."""
import hashlib
import json
import shutil
import subprocess
import sys

import pytest

import support
import wheelhouse
from test_example_vec import check_results

VEC_DIR = support.REPO_ROOT / 'examples' / 'vec'


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope='module')
def vec_once(tmp_path_factory):
    """The directory of vec.hpy0.so (and try_vec.py), built once, no stub."""
    d = tmp_path_factory.mktemp('vec-once')
    for name in ('vec.c', 'setup.py', 'try_vec.py'):
        shutil.copy(str(VEC_DIR / name), str(d / name))
    p = subprocess.run([sys.executable, 'setup.py', '--hpy-abi=universal',
                        'build_ext', '--inplace', '--hpy-no-stubs'],
                       cwd=str(d), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=600)
    assert p.returncode == 0, p.stdout
    assert not (d / 'vec.py').exists()
    return d, sha256(d / 'vec.hpy0.so')


@pytest.mark.parametrize('version', wheelhouse.VERSIONS)
def test_the_same_file_under_every_cpython(vec_once, version):
    directory, digest = vec_once
    python = wheelhouse.venv_python(version)
    if python is None:
        pytest.skip('no venv with hpy-rs for CPython %s in %s (scripts/test.sh '
                    'makes one for every CPython it finds)' % (version, wheelhouse.VENVS))
    p = support.run_python(
        'import runpy, sys; sys.argv = ["try_vec.py", "--json"]; '
        'runpy.run_path("try_vec.py", run_name="__main__")',
        cwd=str(directory), python=python)
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out['info']['python'].startswith(version + '.')
    assert out['info']['file'] == str(directory / 'vec.hpy0.so')
    check_results(out['results'], 'universal')
    # the file was not rebuilt or touched on the way
    assert sha256(directory / 'vec.hpy0.so') == digest
