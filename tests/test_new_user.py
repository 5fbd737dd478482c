"""What a new user tripped over (issue 10, part 5): an empty HPY, a relative
path given to hpy.universal.load, telling which build was imported
(python -m hpy.devel.inspect), parse_ext_suffix of HPy suffixes, setuptools
as a dependency of hpy-rs, and a loud failure for a bad hpy_ext_modules."""
import importlib.metadata
import shutil
import subprocess
import sys
import sysconfig

import pytest

import support
from hpy.devel import abitag

SOURCE = """
#include "hpy.h"
HPyDef_METH(answer, "answer", HPyFunc_NOARGS)
static HPy answer_impl(HPyContext *ctx, HPy self)
{
    return HPyLong_FromLong(ctx, 42);
}
static HPyDef *defines[] = { &answer, NULL };
static HPyModuleDef moduledef = { .defines = defines };
HPy_MODINIT(%(name)s, moduledef)
"""

TAG = 'cp%d%d' % sys.version_info[:2]


@pytest.mark.parametrize('suffix, expected', [
    ('.hpy0.so', ('hpy0', 'so')),
    ('.hpy0-cp311.so', ('hpy0-cp311', 'so')),
    ('.hpy0-cp313.so', ('hpy0-cp313', 'so')),
    ('.cpython-311-x86_64-linux-gnu.so', ('cp311', 'so')),
])
def test_parse_ext_suffix(suffix, expected):
    assert abitag.parse_ext_suffix(suffix) == expected


def test_hpy_ext_suffix_from_hpy_suffixes():
    assert abitag.get_hpy_ext_suffix('universal', '.hpy0-cp311.so') == '.hpy0.so'
    assert abitag.get_hpy_ext_suffix('hybrid', '.hpy0-cp311.so') == '.hpy0-cp311.so'
    assert abitag.get_hpy_ext_suffix('universal', '.hpy0.so') == '.hpy0.so'
    with pytest.raises(ValueError):
        abitag.get_hpy_ext_suffix('hybrid', '.hpy0.so')


@pytest.mark.parametrize('filename, abi', [
    ('vec.hpy0.so', 'universal'),
    ('pkg/vec.hpy0-cp312.so', 'hybrid'),
    ('vec.cpython-312-x86_64-linux-gnu.so', 'cpython'),
    ('vec.abi3.so', 'cpython'),
    ('vec.py', None),
])
def test_abi_of_file(filename, abi):
    assert abitag.get_hpy_abi_of_file(filename) == abi


def test_setuptools_is_a_dependency():
    requires = importlib.metadata.requires('hpy-rs') or []
    assert any(r.replace(' ', '').startswith('setuptools') for r in requires), requires


@pytest.mark.parametrize('hpy_value', ['', '  ', 'universal', 'x:debug'])
def test_empty_hpy_means_universal(compiler, tmp_path, hpy_value):
    so = compiler.compile_source(SOURCE % {'name': 'empt'}, 'empt', 'universal')
    shutil.copy(str(so), str(tmp_path / 'empt.hpy0.so'))
    from hpy.devel.commands import write_stub
    write_stub(str(tmp_path / 'empt.py'), 'universal', 'empt.hpy0.so')
    # through the stub (HPY_NO_FINDER) and through the finder
    for finder in ('1', ''):
        p = support.run_python("import sys; sys.path.insert(0, ''); import empt; "
                               "print(empt.answer())", cwd=str(tmp_path),
                               env={'HPY': hpy_value, 'HPY_NO_FINDER': finder})
        assert (p.returncode, p.stdout) == (0, '42\n'), p.stderr


@pytest.mark.parametrize('rel', ['rel.hpy0.so', './rel.hpy0.so', 'sub/rel.hpy0.so'])
def test_load_relative_path_is_relative_to_cwd(compiler, tmp_path, rel):
    so = compiler.compile_source(SOURCE % {'name': 'rel'}, 'rel', 'universal')
    (tmp_path / 'sub').mkdir()
    shutil.copy(str(so), str(tmp_path / rel))
    p = support.run_python("""
        import importlib.machinery, hpy.universal
        spec = importlib.machinery.ModuleSpec('rel', None, origin=%r)
        print(hpy.universal.load('rel', %r, spec).answer())
        """ % (rel, rel), cwd=str(tmp_path))
    assert (p.returncode, p.stdout) == (0, '42\n'), p.stderr


def test_load_relative_path_missing_file(tmp_path):
    p = support.run_python("""
        import importlib.machinery, hpy.universal
        spec = importlib.machinery.ModuleSpec('gone', None)
        try:
            hpy.universal.load('gone', 'gone.hpy0.so', spec)
        except ImportError as e:
            print(type(e).__name__, e)
        """, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "'gone.hpy0.so'" in p.stdout and 'No such file' in p.stdout


def inspect(target, cwd, env=None, *args):
    p = subprocess.run([sys.executable, '-m', 'hpy.devel.inspect', target] + list(args),
                       cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True,
                       env=dict(support.os.environ, **(env or {})))
    return p.returncode, dict(line.split(': ', 1) for line in p.stdout.splitlines()), p.stderr


@pytest.fixture
def three_builds(compiler, tmp_path):
    names = {}
    for abi in ('universal', 'hybrid', 'cpython'):
        so = compiler.compile_source(SOURCE % {'name': 'ins'}, 'ins', abi)
        d = tmp_path / abi
        d.mkdir()
        shutil.copy(str(so), str(d / so.name))
        names[abi] = so.name
    return tmp_path, names


def test_inspect_paths(three_builds):
    root, names = three_builds
    rc, out, err = inspect('universal/' + names['universal'], root)
    assert rc == 0, err
    assert out['file'] == str(root / 'universal' / 'ins.hpy0.so')
    assert out['target ABI'].startswith('universal (hpy0')
    assert out['requires HPy'] == '0.0'
    assert out['loaded in'] == 'hpy.universal, universal mode'
    rc, out, err = inspect('hybrid/' + names['hybrid'], root, {'HPY': 'ins:trace'},
                           '--no-import')
    assert rc == 0, err
    assert out['target ABI'] == 'hybrid (hpy0-%s: %s only)' % (TAG, TAG)
    assert out['requires HPy'] == '0.0'
    assert 'loaded in' not in out
    rc, out, err = inspect('cpython/' + names['cpython'], root)
    assert rc == 0, err
    assert out['target ABI'] == 'cpython (%s only)' % TAG
    assert out['requires HPy'].startswith('-')
    assert out['loaded in'] == "CPython's extension loader"


def test_inspect_module_name(three_builds):
    root, names = three_builds
    env = {'PYTHONPATH': str(root / 'universal')}
    rc, out, err = inspect('ins', root, env)
    assert rc == 0, err
    assert out['file'] == str(root / 'universal' / 'ins.hpy0.so')
    assert out['loaded in'] == 'hpy.universal, universal mode'
    # the CPython-ABI build next to it is what `import ins` takes
    shutil.copy(str(root / 'cpython' / names['cpython']),
                str(root / 'universal' / names['cpython']))
    rc, out, err = inspect('ins', root, env)
    assert rc == 0, err
    assert out['target ABI'].startswith('cpython')


def test_inspect_errors(tmp_path):
    rc, out, err = inspect('no_such_module_xyz', tmp_path)
    assert rc == 1 and 'no_such_module_xyz' in err
    rc, out, err = inspect('json', tmp_path)
    assert rc == 1 and 'not an extension module' in err


def test_bad_hpy_ext_modules_is_loud(tmp_path):
    (tmp_path / 'setup.py').write_text(
        "from setuptools import setup\n"
        "setup(name='bad', hpy_ext_modules=['notanextension.c'])\n")
    p = subprocess.run([sys.executable, 'setup.py', 'build_ext'], cwd=str(tmp_path),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert p.returncode != 0
    assert 'hpy_ext_modules must be a list of setuptools.Extension' in p.stdout


def test_wheel_tag_of_universal_and_cpython_projects():
    """bdist_wheel's tag: py3-none-PLATFORM when every extension is
    universal, the interpreter's own tag otherwise."""
    from setuptools import Distribution, Extension
    from hpy.devel import handle_hpy_ext_modules
    plat = sysconfig.get_platform().replace('-', '_').replace('.', '_')
    tags = {}
    for abi in ('universal', 'hybrid', 'cpython', 'mixed'):
        attrs = {'name': 'x', 'hpy_ext_modules': [Extension('x', ['x.c'])],
                 'hpy_abi': 'universal' if abi == 'mixed' else abi}
        if abi == 'mixed':
            attrs['ext_modules'] = [Extension('y', ['y.c'])]
        dist = Distribution(attrs)
        handle_hpy_ext_modules(dist, 'hpy_ext_modules', attrs['hpy_ext_modules'])
        cmd = dist.get_command_obj('bdist_wheel')
        cmd.ensure_finalized()
        tags[abi] = cmd.get_tag()
    assert tags['universal'] == ('py3', 'none', plat)
    for abi in ('hybrid', 'cpython', 'mixed'):
        assert tags[abi][0] == TAG, (abi, tags[abi])
