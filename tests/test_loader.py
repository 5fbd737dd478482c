"""hpy.universal: its Python API and the errors of its module loader.

Each bad file must raise an exception that is both an ImportError (what the
import system expects) and a RuntimeError (what the reference runtime
raises), naming the file or module (and both versions, for a version
mismatch)."""
import importlib.machinery
import shutil

import pytest

import support

GOOD_SRC = """
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, 1234);
    }
    @EXPORT(f)
    @INIT
"""


def load(name, path, **kwargs):
    import hpy.universal
    spec = importlib.machinery.ModuleSpec(name, None, origin=str(path))
    return hpy.universal.load(name, str(path), spec, **kwargs)


def check_load_error(name, path):
    with pytest.raises(ImportError) as exc:
        load(name, path)
    err = exc.value
    assert isinstance(err, RuntimeError), \
        '%r is an ImportError but not a RuntimeError' % (err,)
    return str(err)


@pytest.fixture
def good_universal(compiler):
    return compiler.compile_module(GOOD_SRC, 'universal', name='goodmod')


# ---------------------------------------------------------------------------
# the API of hpy.universal
# ---------------------------------------------------------------------------

def test_universal_module_api():
    import hpy.universal
    version = hpy.universal.get_version()
    assert isinstance(version, tuple) and len(version) == 2
    assert all(isinstance(v, str) for v in version)
    modes = [hpy.universal.MODE_UNIVERSAL, hpy.universal.MODE_DEBUG,
             hpy.universal.MODE_TRACE]
    assert all(isinstance(m, int) for m in modes)
    assert len(set(modes)) == 3


def test_load_returns_module(good_universal):
    import hpy.universal
    mod = load('goodmod', good_universal.so_filename)
    assert mod.f() == 1234
    assert mod.__name__ == 'goodmod'
    mod = load('goodmod', good_universal.so_filename,
               mode=hpy.universal.MODE_UNIVERSAL)
    assert mod.f() == 1234
    mod = load('goodmod', good_universal.so_filename, debug=False)
    assert mod.f() == 1234
    # a module object of its own each time; sys.modules is left alone
    import sys
    assert 'goodmod' not in sys.modules


def test_load_qualified_name(compiler, tmp_path):
    """The init symbols are found from the last part of a dotted name."""
    m = compiler.compile_module(GOOD_SRC, 'universal', name='leaf')
    mod = load('pkg.sub.leaf', m.so_filename)
    assert mod.__name__ == 'pkg.sub.leaf'
    assert mod.f() == 1234


def test_load_hybrid_file(compiler):
    m = compiler.compile_module(GOOD_SRC, 'hybrid', name='hybridmod')
    assert m.so_filename.endswith(support.hpy_build_settings('hybrid')['ext_suffix'])
    assert load('hybridmod', m.so_filename).f() == 1234


# ---------------------------------------------------------------------------
# bad files
# ---------------------------------------------------------------------------

def test_file_does_not_exist(tmp_path):
    path = tmp_path / 'missing.hpy0.so'
    msg = check_load_error('missing', path)
    assert 'missing' in msg


def test_not_a_shared_library(tmp_path):
    path = tmp_path / 'notalib.hpy0.so'
    path.write_text('this is not an ELF file\n')
    msg = check_load_error('notalib', path)
    assert 'notalib' in msg


def test_shared_library_without_init_symbols(compiler):
    path = compiler.compile_plain(
        'int some_function(void) { return 42; }\n', 'nosyms.hpy0.so')
    msg = check_load_error('nosyms', path)
    assert 'nosyms' in msg


def test_cpython_extension_is_not_universal(compiler):
    m = compiler.compile_module(GOOD_SRC, 'cpython', name='cpyext')
    msg = check_load_error('cpyext', m.so_filename)
    assert 'cpyext' in msg


def test_module_name_mismatch(good_universal, tmp_path):
    """The file defines HPyInit_goodmod, not HPyInit_othername."""
    path = tmp_path / 'othername.hpy0.so'
    shutil.copy(good_universal.so_filename, str(path))
    msg = check_load_error('othername', path)
    assert 'othername' in msg


@pytest.mark.parametrize('suffix', ['.hpy1.so', '.hpy0-cp27.so', '.hpy99-cp311.so'])
def test_wrong_abi_tag_in_file_name(good_universal, tmp_path, suffix):
    path = tmp_path / ('goodmod' + suffix)
    shutil.copy(good_universal.so_filename, str(path))
    msg = check_load_error('goodmod', path)
    assert 'goodmod' + suffix in msg


VERSION_SRC = """
    #include <stdint.h>
    #define EXPORT __attribute__((visibility("default")))
    EXPORT uint32_t get_required_hpy_major_version_%(name)s(void) { return %(major)d; }
    EXPORT uint32_t get_required_hpy_minor_version_%(name)s(void) { return %(minor)d; }
    static void *the_ctx;
    EXPORT void HPyInitGlobalContext_%(name)s(void *ctx) { the_ctx = ctx; }
    EXPORT void *HPyInit_%(name)s(void) { return (void *)0; }
"""


@pytest.mark.parametrize('major, minor', [(1, 0), (2, 5), (0, 2), (0, 42)])
def test_unsupported_hpy_version(compiler, major, minor):
    name = 'vmod_%d_%d' % (major, minor)
    path = compiler.compile_plain(
        VERSION_SRC % dict(name=name, major=major, minor=minor),
        name + '.hpy0.so')
    msg = check_load_error(name, path)
    assert msg == (
        "HPy extension module '%s' requires unsupported version of the HPy "
        "runtime. Requested version: %d.%d. Current HPy version: 0.1."
        % (name, major, minor))


@pytest.mark.parametrize('tag, minor', [('hpy1', 0), ('hpy7', 1)])
def test_abi_tag_disagrees_with_requested_major(compiler, tag, minor):
    """The version check passes (0.0 or 0.1), but the file name's tag names
    another major version: HPy 0.9's message, exactly."""
    name = 'tagmod_%s' % tag
    path = compiler.compile_plain(
        VERSION_SRC % dict(name=name, major=0, minor=minor),
        '%s.%s.so' % (name, tag))
    msg = check_load_error(name, path)
    assert msg == (
        "HPy extension module '%s' at path '%s': mismatch between the HPy "
        "ABI tag encoded in the filename and the major version requested by "
        "the HPy extension itself. Major version tag parsed from filename: "
        "%s. Requested version: 0.%d." % (name, path, tag[3:], minor))


@pytest.mark.parametrize('minor', [0, 1])
def test_untagged_file_reports_the_version_it_claims(compiler, minor):
    """A module file renamed to NAME.so (no ABI tag) is not loaded, and the
    error says which version the module claims, in HPy 0.9's words."""
    name = 'untagged_%d' % minor
    path = compiler.compile_plain(
        VERSION_SRC % dict(name=name, major=0, minor=minor), name + '.so')
    msg = check_load_error(name, path)
    assert msg == (
        "HPy extension module '%s' at path '%s': could not find HPy ABI tag "
        "encoded in the filename. The extension claims to be compiled with "
        "HPy ABI version: 0.%d." % (name, path, minor))


def test_supported_version_but_null_moduledef(compiler):
    """Version 0.0 passes the check; HPyInit_ returning NULL is an error,
    not a crash."""
    name = 'vmod_null'
    path = compiler.compile_plain(
        VERSION_SRC % dict(name=name, major=0, minor=0), name + '.hpy0.so')
    with pytest.raises(Exception) as exc:
        load(name, path)
    assert name in str(exc.value)
