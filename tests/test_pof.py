"""examples/pof built through setuptools, as a user builds it, in every ABI:
the same results everywhere; a CPython-ABI build needs nothing of hpy; the
universal stub needs no pkg_resources; only the init symbols are exported."""
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

import support

BUILD_ABIS = support.EXAMPLE_ABIS

EXPECTED = {
    'do_nothing()': 'None',
    'double(21)': '42',
    "double('ab')": "'abab'",
    'double([1, 2])': '[1, 2, 1, 2]',
    'add_ints(40, 2)': '42',
    'add_ints(-5, 2**62)': str(2**62 - 5),
    'add_ints_kw(40, 2)': '42',
    'add_ints_kw(b=2, a=40)': '42',
    'add_ints_kw(40, b=2)': '42',
    "greet('world')": "'Hello, world!'",
}
EXPECTED_ERRORS = {
    'add_ints(1)': 'TypeError',
    'add_ints(1, 2, 3)': 'TypeError',
    "add_ints('1', 2)": 'TypeError',
    'add_ints(2**63, 0)': 'OverflowError',
    'add_ints(2**62, 2**62)': 'OverflowError',
    'add_ints_kw(1, 2, c=3)': 'TypeError',
    'add_ints_kw(1, 2, a=3)': 'TypeError',
    'add_ints_kw(1)': 'TypeError',
    'do_nothing(1)': 'TypeError',
    'greet(42)': 'TypeError',
}


@pytest.fixture(scope='module')
def pof_builds(tmp_path_factory):
    """{abi: directory} with examples/pof built in place for each ABI."""
    return support.build_example_in_every_abi(
        'pof', ('pof.c', 'setup.py', 'pyproject.toml', 'try_pof.py'), tmp_path_factory)


def run_try_pof(cwd, *args):
    return support.run_example_script(cwd, 'try_pof.py', *args)


def check_results(data):
    results = dict(data['results'])
    assert {k: results[k] for k in EXPECTED} == EXPECTED
    errors = {k: results[k].split(':')[0] for k in EXPECTED_ERRORS}
    assert errors == EXPECTED_ERRORS
    assert data['info']['doc'] == 'HPy proof of concept'
    return results


def test_built_files(pof_builds):
    ext_suffix = sysconfig.get_config_var('EXT_SUFFIX')
    tag = 'cp%d%d' % sys.version_info[:2]
    files = {abi: sorted(os.listdir(str(d))) for abi, d in pof_builds.items()}
    assert 'pof' + ext_suffix in files['cpython']
    assert 'pof.py' not in files['cpython']
    assert 'pof.hpy0.so' in files['universal']
    assert 'pof.py' in files['universal']
    assert 'pof.hpy0-%s.so' % tag in files['hybrid']
    assert 'pof.py' in files['hybrid']


@pytest.mark.parametrize('abi', BUILD_ABIS)
def test_pof_results(pof_builds, abi):
    data = run_try_pof(pof_builds[abi])
    check_results(data)


def test_same_results_in_every_abi(pof_builds):
    all_results = {abi: dict(run_try_pof(d)['results'])
                   for abi, d in pof_builds.items()}
    assert all_results['universal'] == all_results['cpython']
    assert all_results['hybrid'] == all_results['cpython']


def test_cpython_abi_does_not_import_hpy(pof_builds):
    data = run_try_pof(pof_builds['cpython'])
    assert data['info']['hpy_imported'] is False
    assert data['info']['file'].endswith(sysconfig.get_config_var('EXT_SUFFIX'))
    # and through a plain `import pof`
    p = support.run_python("""
        import sys
        import pof
        assert pof.add_ints(1, 2) == 3
        bad = sorted(m for m in sys.modules if m == 'hpy' or m.startswith('hpy.'))
        print(bad)
    """, cwd=str(pof_builds['cpython']))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == '[]'


@pytest.mark.parametrize('abi', ['universal', 'hybrid'])
def test_stub_works_without_pkg_resources(pof_builds, abi):
    p = support.run_python("""
        import sys
        sys.modules['pkg_resources'] = None     # any import of it fails
        import pof
        print(pof.add_ints(40, 2), pof.__name__, type(pof).__name__)
    """, cwd=str(pof_builds[abi]))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ['42', 'pof', 'module']


def test_universal_via_hpy_universal_load(pof_builds):
    d = pof_builds['universal']
    data = run_try_pof(d, '--load', str(d / 'pof.hpy0.so'))
    check_results(data)


LINKER_SYMBOLS = {'_init', '_fini', '_edata', '_end', '__bss_start'}


def _exported_symbols(path):
    out = subprocess.run(['nm', '-D', '--defined-only', str(path)],
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] not in LINKER_SYMBOLS:
            syms.add(parts[2])
    return syms


@pytest.mark.skipif(shutil.which('nm') is None, reason='needs nm')
def test_exported_symbols(pof_builds):
    cpy = pof_builds['cpython'] / ('pof' + sysconfig.get_config_var('EXT_SUFFIX'))
    assert _exported_symbols(cpy) == {'PyInit_pof'}
    four = {'get_required_hpy_major_version_pof',
            'get_required_hpy_minor_version_pof',
            'HPyInitGlobalContext_pof', 'HPyInit_pof'}
    assert _exported_symbols(pof_builds['universal'] / 'pof.hpy0.so') == four
    hybrid = pof_builds['hybrid'] / ('pof.hpy0-cp%d%d.so' % sys.version_info[:2])
    assert _exported_symbols(hybrid) == four


@pytest.mark.parametrize('abi', ['universal', 'hybrid'])
def test_stub_honours_hpy_environment(pof_builds, abi):
    code = """
        import pof
        print(pof.add_ints(40, 2), pof.__file__.rsplit('/', 1)[-1])
    """
    p = support.run_python(code, cwd=str(pof_builds[abi]), env={'HPY_LOG': '1'})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Loading 'pof' in HPy universal mode"
    assert lines[1].split()[0] == '42' and lines[1].split()[1].startswith('pof.hpy0')
    # HPY=debug, or HPY=pof:debug for this module only
    for hpy in ('debug', 'pof:debug', 'other:universal,pof:debug'):
        p = support.run_python(code, cwd=str(pof_builds[abi]),
                               env={'HPY': hpy, 'HPY_LOG': '1'})
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        assert lines[0] == "Loading 'pof' in HPy universal mode with a debug context", hpy
        assert lines[1].split()[0] == '42'
    p = support.run_python(code, cwd=str(pof_builds[abi]),
                           env={'HPY': 'other:debug', 'HPY_LOG': '1'})
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "Loading 'pof' in HPy universal mode"
    # a CPython-ABI build ignores HPY altogether
    p = support.run_python(code, cwd=str(pof_builds['cpython']), env={'HPY': 'debug'})
    assert p.returncode == 0, p.stderr
