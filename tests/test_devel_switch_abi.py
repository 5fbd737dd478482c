"""Building and installing one HPy extension for one ABI after another:
the files of the previous ABI are removed from where the new build goes
(hpy.devel.commands.remove_other_abi_files), so that `import` finds the
new one. HPy 0.9 gives each ABI a build directory of its own; with the
flat installs of current setuptools that is not enough (upstream
test_distutils.py::test_dont_mix_cpython_and_universal_abis)."""
import shutil
import subprocess
import sys
import sysconfig

import pytest

import support

EXAMPLE = support.REPO_ROOT / 'examples' / 'pof'
CPY = 'pof' + sysconfig.get_config_var('EXT_SUFFIX')


def setup_py(cwd, *args):
    p = subprocess.run([sys.executable, 'setup.py'] + list(args), cwd=str(cwd),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert p.returncode == 0, p.stdout
    return p.stdout


def loaded_from(directory):
    p = support.run_python("""
        import sys
        sys.path.insert(0, %r)
        import pof
        assert pof.add_ints(40, 2) == 42
        print(pof.__file__)
        """ % str(directory), cwd=str(directory))
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout.strip()


def names(directory):
    return sorted(f.name for f in directory.iterdir()
                  if f.name.startswith('pof.') and f.name != 'pof.c')


@pytest.fixture
def project(tmp_path):
    for f in ('pof.c', 'setup.py'):
        shutil.copy(str(EXAMPLE / f), str(tmp_path / f))
    return tmp_path


def test_inplace_builds_replace_each_other(project):
    setup_py(project, '--hpy-abi=cpython', 'build_ext', '--inplace')
    assert names(project) == [CPY]
    out = setup_py(project, '--hpy-abi=universal', 'build_ext', '--inplace')
    assert 'another HPy ABI' in out
    assert names(project) == ['pof.hpy0.so', 'pof.py']
    assert loaded_from(project) == str(project / 'pof.hpy0.so')
    setup_py(project, '--hpy-abi=cpython', 'build_ext', '--inplace')
    assert names(project) == [CPY]
    assert loaded_from(project) == str(project / CPY)


def test_installs_replace_each_other(project):
    target = project / 'site'
    install = ['install_lib', '--install-dir', str(target)]
    setup_py(project, '--hpy-abi=cpython', *install)
    assert names(target) == [CPY]
    setup_py(project, '--hpy-abi=universal', *install)
    assert names(target) == ['pof.hpy0.so', 'pof.py']
    assert loaded_from(target) == str(target / 'pof.hpy0.so')
    setup_py(project, '--hpy-abi=hybrid', *install)
    hybrid = [n for n in names(target) if n != 'pof.py']
    assert len(hybrid) == 1 and hybrid[0].startswith('pof.hpy0-cp')
    setup_py(project, '--hpy-abi=cpython', *install)
    assert names(target) == [CPY]
    assert loaded_from(target) == str(target / CPY)


def test_a_python_module_of_the_same_name_is_kept(project):
    # only the stubs that hpy.devel writes are removed
    (project / 'pof.py').write_text('# my own module\n')
    setup_py(project, '--hpy-abi=universal', 'build_ext', '--inplace', '--hpy-no-stubs')
    assert (project / 'pof.py').read_text() == '# my own module\n'
