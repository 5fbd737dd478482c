"""hpy.devel: abitag and the build settings of each ABI."""
import sys
import sysconfig

import pytest

from hpy.devel import abitag


def test_abi_version_constants():
    assert abitag.HPY_ABI_VERSION == 0
    # what hpy.h requests by default (HPy 0.9.0's version), as its macros say
    assert abitag.HPY_ABI_VERSION_MINOR == 0
    # what the runtime loads (the "Current HPy version" of its messages)
    assert abitag.HPY_ABI_VERSION_MINOR_SUPPORTED == 1
    assert abitag.HPY_ABI_TAG == 'hpy0'


@pytest.mark.parametrize('suffix, tag, ext', [
    ('.cpython-38-x86_64-linux-gnu.so', 'cp38', 'so'),
    ('.cpython-38d-x86_64-linux-gnu.so', 'cp38d', 'so'),
    ('.cpython-310-x86_64-linux-gnu.so', 'cp310', 'so'),
    ('.cpython-313t-x86_64-linux-gnu.so', 'cp313t', 'so'),
    ('.cpython-310-darwin.so', 'cp310', 'so'),
    ('.cp310-win_amd64.pyd', 'cp310', 'pyd'),
    ('.pypy38-pp73-x86_64-linux-gnu.so', 'pypy38-pp73', 'so'),
    ('.graalpy-38-native-x86_64-darwin.dylib', 'graalpy-38-native', 'dylib'),
])
def test_parse_ext_suffix(suffix, tag, ext):
    assert abitag.parse_ext_suffix(suffix) == (tag, ext)


def test_parse_ext_suffix_default():
    tag, ext = abitag.parse_ext_suffix()
    assert tag == 'cp%d%d' % sys.version_info[:2] + getattr(sys, 'abiflags', '')
    assert ext == 'so'


def test_get_hpy_ext_suffix():
    get = abitag.get_hpy_ext_suffix
    linux38 = '.cpython-38-x86_64-linux-gnu.so'
    assert get('universal', linux38) == '.hpy0.so'
    assert get('hybrid', linux38) == '.hpy0-cp38.so'
    assert get('cpython', linux38) == linux38
    assert get('hybrid', '.cp310-win_amd64.pyd') == '.hpy0-cp310.pyd'
    here = sysconfig.get_config_var('EXT_SUFFIX')
    assert get('cpython') == here
    assert get('universal') == '.hpy0.so'
    assert get('hybrid') == '.hpy0-cp%d%d.so' % sys.version_info[:2]


def test_get_hpy_ext_suffix_bad_abi():
    with pytest.raises(ValueError):
        abitag.get_hpy_ext_suffix('nonsense')


def test_hpydevel_api():
    from hpy.devel import HPyDevel
    devel = HPyDevel()
    inc = devel.get_extra_include_dirs()
    assert any(str(d).endswith('include') for d in inc)
    import os
    assert all(os.path.isfile(os.path.join(str(d), 'hpy.h'))
               for d in inc if str(d).endswith('include'))
    forbid = devel.get_include_dir_forbid_python_h()
    assert os.path.isfile(os.path.join(str(forbid), 'Python.h'))
    srcs = devel.get_extra_sources()
    names = sorted(os.path.basename(s) for s in srcs)
    assert 'argparse.c' in names and 'buildvalue.c' in names
    assert isinstance(devel.get_ctx_sources(), list)
    for fn in ('fix_distribution', 'build_ext_sanity_check', 'get_static_libs'):
        assert callable(getattr(devel, fn))


def test_build_settings_per_abi():
    import hpy.devel
    macros = {}
    for abi in ('cpython', 'universal', 'hybrid'):
        s = hpy.devel.get_build_settings(abi)
        macros[abi] = dict(s.define_macros)
        assert 'HPY_ABI_' + abi.upper() in macros[abi]
        assert s.ext_suffix == abitag.get_hpy_ext_suffix(abi)
    # universal: the forbidding Python.h comes first
    s = hpy.devel.get_build_settings('universal')
    assert str(s.include_dirs[0]).endswith('forbid_python_h')
    with pytest.raises(ValueError):
        hpy.devel.get_build_settings('nonsense')


def test_universal_build_forbids_python_h(compiler):
    with pytest.raises(Exception) as exc:
        compiler.compile_module("""
            #include <Python.h>
            @INIT
        """, 'universal', name='forbidden')
    assert 'Python.h' in str(exc.value)


def test_hybrid_build_allows_python_h(compiler):
    m = compiler.compile_module("""
        #include <Python.h>
        @INIT
    """, 'hybrid', name='allowed')
    assert m.so_filename.endswith('.hpy0-cp%d%d.so' % sys.version_info[:2])


def test_abi_version_agrees_with_hpy_h():
    # abitag describes what hpy.devel builds: the macros of hpy.h
    import re
    from hpy.devel import HPyDevel
    hpy_h = (HPyDevel().get_extra_include_dirs()[0] + '/hpy.h')
    with open(hpy_h) as f:
        macros = dict(re.findall(r'^#define (HPY_ABI_VERSION(?:_MINOR)?) (\d+)$',
                                 f.read(), re.M))
    assert macros == {'HPY_ABI_VERSION': str(abitag.HPY_ABI_VERSION),
                      'HPY_ABI_VERSION_MINOR': str(abitag.HPY_ABI_VERSION_MINOR)}
