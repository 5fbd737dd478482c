"""`import NAME` finds NAME.hpy0.so and NAME.hpy0-cp3XY.so without a stub,
through the finder that hpy-rs installs (site-packages/hpy-rs-finder.pth ->
_hpy_finder.install()): __file__, __spec__, __loader__, importlib.reload,
importlib.util.find_spec behave as for a CPython extension; packages; HPY
and HPY_LOG; a CPython-ABI build of the same name wins; the loader stubs
of hpy.devel are optional (hpy_stubs=False / --hpy-no-stubs)."""
import json
import shutil
import subprocess
import sys
import sysconfig

import pytest

import support

# Each module says which build it is.
SOURCE = """
#include "hpy.h"
#if defined(HPY_ABI_UNIVERSAL)
#  define BUILD "universal"
#elif defined(HPY_ABI_HYBRID)
#  define BUILD "hybrid"
#else
#  define BUILD "cpython"
#endif
HPyDef_METH(build, "build", HPyFunc_NOARGS)
static HPy build_impl(HPyContext *ctx, HPy self)
{
    return HPyUnicode_FromString(ctx, BUILD);
}
static HPyDef *defines[] = { &build, NULL };
static HPyModuleDef moduledef = { .doc = "import hook test", .defines = defines };
HPy_MODINIT(%(name)s, moduledef)
"""

# What a fresh interpreter (the venv's, with hpy-rs-finder.pth) reports
# about `import NAME`.
PROBE = """
import importlib, importlib.util, json, sys
sys.path.insert(0, '')
name = sys.argv[1] if len(sys.argv) > 1 else %(name)r
spec = importlib.util.find_spec(name)
mod = importlib.import_module(name)
again = importlib.reload(mod)
print(json.dumps({
    'build': mod.build(),
    'file': mod.__file__,
    'name': mod.__name__,
    'package': mod.__package__,
    'spec_name': mod.__spec__.name,
    'spec_origin': mod.__spec__.origin,
    'has_location': mod.__spec__.has_location,
    'loader': type(mod.__loader__).__name__,
    'spec_loader_is_loader': mod.__spec__.loader is mod.__loader__,
    'find_spec_origin': spec.origin,
    'find_spec_loader': type(spec.loader).__name__,
    'reload_same': again is mod,
    'in_sys_modules': sys.modules[name] is mod,
}))
"""


def build(compiler, abi, name):
    return compiler.compile_source(SOURCE % {'name': name}, name, abi)


def probe(cwd, name, env=None):
    p = support.run_python(PROBE % {'name': name}, cwd=str(cwd), env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return p, json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def finder_installed():
    p = support.run_python("import sys; print(any(getattr(h, '_hpy_finder', False) "
                           "for h in sys.path_hooks))")
    if p.stdout.strip() != 'True':
        pytest.skip('hpy-rs-finder.pth is not installed in this environment '
                    '(an editable install?): %s' % (p.stdout + p.stderr))


@pytest.mark.parametrize('abi', ['universal', 'hybrid'])
def test_import_without_stub(compiler, tmp_path, finder_installed, abi):
    so = build(compiler, abi, 'hookmod')
    shutil.copy(str(so), str(tmp_path / so.name))
    _, info = probe(tmp_path, 'hookmod')
    path = str(tmp_path / so.name)
    assert info == {
        'build': abi, 'file': path, 'name': 'hookmod', 'package': '',
        'spec_name': 'hookmod', 'spec_origin': path, 'has_location': True,
        'loader': 'HPyExtensionFileLoader', 'spec_loader_is_loader': True,
        'find_spec_origin': path, 'find_spec_loader': 'HPyExtensionFileLoader',
        'reload_same': True, 'in_sys_modules': True,
    }


def test_import_submodule_of_package(compiler, tmp_path, finder_installed):
    so = build(compiler, 'universal', 'sub')
    pkg = tmp_path / 'pkg'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    shutil.copy(str(so), str(pkg / so.name))
    _, info = probe(tmp_path, 'pkg.sub')
    assert info['build'] == 'universal'
    assert info['name'] == 'pkg.sub' and info['spec_name'] == 'pkg.sub'
    assert info['package'] == 'pkg'
    assert info['file'] == str(pkg / 'sub.hpy0.so')
    assert info['reload_same'] and info['in_sys_modules']


def test_hybrid_of_this_python_wins_over_universal(compiler, tmp_path, finder_installed):
    for abi in ('universal', 'hybrid'):
        so = build(compiler, abi, 'both')
        shutil.copy(str(so), str(tmp_path / so.name))
    assert probe(tmp_path, 'both')[1]['build'] == 'hybrid'


def test_cpython_abi_build_of_the_same_name_wins(compiler, tmp_path, finder_installed):
    for abi in ('universal', 'cpython'):
        so = build(compiler, abi, 'twin')
        shutil.copy(str(so), str(tmp_path / so.name))
    info = probe(tmp_path, 'twin')[1]
    assert info['build'] == 'cpython'
    assert info['loader'] == 'ExtensionFileLoader'
    assert info['file'].endswith(sysconfig.get_config_var('EXT_SUFFIX'))


def test_hybrid_of_another_python_is_not_found(compiler, tmp_path, finder_installed):
    so = build(compiler, 'hybrid', 'other')
    other = so.name.replace('-cp%d%d.' % sys.version_info[:2], '-cp36.')
    shutil.copy(str(so), str(tmp_path / other))
    p = support.run_python("import sys; sys.path.insert(0, ''); import other",
                           cwd=str(tmp_path))
    assert p.returncode != 0
    assert 'ModuleNotFoundError' in p.stderr


def test_hpy_environment_variables(compiler, tmp_path, finder_installed):
    so = build(compiler, 'universal', 'envmod')
    shutil.copy(str(so), str(tmp_path / so.name))
    p, info = probe(tmp_path, 'envmod', env={'HPY': '', 'HPY_LOG': '1'})
    assert info['build'] == 'universal'
    assert "Loading 'envmod' in HPy universal mode\n" in p.stdout
    # HPY=debug reaches the runtime: it loads the module in debug mode (or
    # says, loudly, that it cannot)
    p = support.run_python("import sys; sys.path.insert(0, ''); import envmod",
                           cwd=str(tmp_path), env={'HPY': 'envmod:debug', 'HPY_LOG': '1'})
    assert "Loading 'envmod' in HPy universal mode with a debug context" in p.stdout
    p = support.run_python("import sys; sys.path.insert(0, ''); import envmod",
                           cwd=str(tmp_path), env={'HPY': 'nonsense'})
    assert p.returncode != 0 and 'invalid HPy mode' in p.stderr


def test_no_finder_without_hpy_rs_finder(compiler, tmp_path, finder_installed):
    so = build(compiler, 'universal', 'nofinder')
    shutil.copy(str(so), str(tmp_path / so.name))
    p = support.run_python("import sys; sys.path.insert(0, ''); import nofinder",
                           cwd=str(tmp_path), env={'HPY_NO_FINDER': '1'})
    assert 'ModuleNotFoundError' in p.stderr


def test_start_up_imports_nothing_heavy(finder_installed):
    p = support.run_python("import sys; print(json.dumps(sorted(sys.modules)))"
                           .replace('json.dumps', '__import__("json").dumps'))
    modules = json.loads(p.stdout)
    assert '_hpy_finder' in modules
    assert not [m for m in modules if m == 'hpy' or m.startswith('hpy.')], modules


EXAMPLE = support.REPO_ROOT / 'examples' / 'pof'


@pytest.mark.parametrize('how', ['setup-keyword', 'build-option', 'with-stubs'])
def test_setuptools_build_with_and_without_stubs(tmp_path, finder_installed, how):
    for f in ('pof.c', 'setup.py', 'try_pof.py'):
        shutil.copy(str(EXAMPLE / f), str(tmp_path / f))
    cmd = [sys.executable, 'setup.py', '--hpy-abi=universal', 'build_ext', '--inplace']
    if how == 'setup-keyword':
        setup_py = tmp_path / 'setup.py'
        text = setup_py.read_text()
        assert 'hpy_ext_modules=' in text
        setup_py.write_text(text.replace('hpy_ext_modules=',
                                         'hpy_stubs=False, hpy_ext_modules=', 1))
    elif how == 'build-option':
        cmd.append('--hpy-no-stubs')
    p = subprocess.run(cmd, cwd=str(tmp_path), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    assert p.returncode == 0, p.stdout
    assert (tmp_path / 'pof.hpy0.so').exists()
    assert (tmp_path / 'pof.py').exists() == (how == 'with-stubs')
    p = support.run_python("""
        import json, sys
        sys.path.insert(0, '')
        import pof
        print(json.dumps([pof.__file__, type(pof.__loader__).__name__,
                          pof.__spec__.origin, pof.add_ints(40, 2)]))
        """, cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    so = str(tmp_path / 'pof.hpy0.so')
    assert json.loads(p.stdout) == [so, 'HPyExtensionFileLoader', so, 42]


def test_stub_without_the_finder(compiler, tmp_path, finder_installed):
    """The stub (for runtimes without the finder; HPY_NO_FINDER=1 here)
    gives the same module attributes; reload gives the same module."""
    from hpy.devel.commands import write_stub
    so = build(compiler, 'universal', 'stubbed')
    shutil.copy(str(so), str(tmp_path / so.name))
    write_stub(str(tmp_path / 'stubbed.py'), 'universal', so.name)
    _, info = probe(tmp_path, 'stubbed', env={'HPY_NO_FINDER': '1'})
    path = str(tmp_path / so.name)
    assert info['build'] == 'universal'
    assert (info['file'], info['spec_origin'], info['name']) == (path, path, 'stubbed')
    assert info['loader'] == 'HPyExtensionFileLoader' and info['spec_loader_is_loader']
    assert info['reload_same'] and info['in_sys_modules']
    # find_spec before the import finds the stub: that is how it is loaded
    assert info['find_spec_origin'] == str(tmp_path / 'stubbed.py')
