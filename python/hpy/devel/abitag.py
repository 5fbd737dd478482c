"""The HPy ABI version and the file-name suffixes of HPy extensions.

A universal extension is named ``NAME.hpy0.so``: it runs on every Python
with an HPy 0.x runtime. A hybrid one also carries the CPython ABI tag of
the interpreter it was built for: ``NAME.hpy0-cp311.so``. A CPython-ABI
extension has the interpreter's ordinary suffix.
"""
import sysconfig

# The HPy ABI version that extensions built by hpy.devel request: the
# macros HPY_ABI_VERSION and HPY_ABI_VERSION_MINOR of hpy.h, with which these
# must agree (as in HPy 0.9). By default an extension requests 0.0, the
# version of HPy 0.9.0, so that it also loads in HPy 0.9.0's runtime; with
# HPY_ABI_VERSION_MINOR_REQUESTED 1 it requests 0.1 (the functions added
# after 0.9.0), which only runtimes of minor version 1 or later load.
HPY_ABI_VERSION = 0
HPY_ABI_VERSION_MINOR = 0
# The highest minor version that hpy-rs's runtime (hpy.universal) loads: its
# "Current HPy version: 0.1." when it refuses an extension.
HPY_ABI_VERSION_MINOR_SUPPORTED = 1
HPY_ABI_TAG = 'hpy%d' % HPY_ABI_VERSION


def parse_ext_suffix(ext_suffix=None):
    """Split an extension suffix into (python ABI tag, file extension).

    ``ext_suffix`` defaults to this interpreter's EXT_SUFFIX. Platform
    parts are dropped and CPython's tag is shortened the way wheel tags
    are: '.cpython-311-x86_64-linux-gnu.so' -> ('cp311', 'so'),
    '.cp311-win_amd64.pyd' -> ('cp311', 'pyd'),
    '.pypy39-pp73-x86_64-linux-gnu.so' -> ('pypy39-pp73', 'so').
    The suffixes of HPy extensions give their HPy tag:
    '.hpy0.so' -> ('hpy0', 'so'), '.hpy0-cp311.so' -> ('hpy0-cp311', 'so').
    """
    if ext_suffix is None:
        ext_suffix = sysconfig.get_config_var('EXT_SUFFIX')
    if not ext_suffix.startswith('.') or ext_suffix.count('.') != 2:
        raise ValueError('not an extension suffix of the form '
                         '".SOABI.EXT": %r' % (ext_suffix,))
    _, soabi, ext = ext_suffix.split('.')
    parts = soabi.split('-')
    # How many leading '-'-separated parts name the ABI, per implementation;
    # the rest names the platform.
    if parts[0] == 'cpython':
        keep = 2                    # cpython-311-x86_64-linux-gnu
    elif parts[0].startswith('cp'):
        keep = 1                    # cp311-win_amd64
    elif parts[0].startswith('pypy'):
        keep = 2                    # pypy39-pp73-x86_64-linux-gnu
    elif parts[0].startswith('hpy'):
        keep = 2                    # hpy0 (universal), hpy0-cp311 (hybrid)
    elif parts[0].startswith('graalpy'):
        keep = 3                    # graalpy-38-native-x86_64-darwin
    else:
        keep = len(parts)
    abi_tag = '-'.join(parts[:keep])
    if abi_tag.startswith('cpython-'):
        abi_tag = 'cp' + abi_tag[len('cpython-'):]
    return abi_tag, ext


def get_hpy_ext_suffix(hpy_abi, ext_suffix=None):
    """The file-name suffix of an extension built for ``hpy_abi``.

    With CPython 3.11 on Linux: 'cpython' -> '.cpython-311-x86_64-linux-gnu.so',
    'universal' -> '.hpy0.so', 'hybrid' -> '.hpy0-cp311.so'. ``ext_suffix``
    (default: this interpreter's EXT_SUFFIX) is the suffix to derive them from.
    """
    if hpy_abi not in ('cpython', 'universal', 'hybrid'):
        raise ValueError('unknown HPy ABI %r: expected cpython, universal '
                         'or hybrid' % (hpy_abi,))
    if ext_suffix is None:
        ext_suffix = sysconfig.get_config_var('EXT_SUFFIX')
    if hpy_abi == 'cpython':
        return ext_suffix
    python_tag, ext = parse_ext_suffix(ext_suffix)
    if python_tag.startswith('hpy'):
        # derived from an HPy suffix: its CPython tag, if it has one
        python_tag = python_tag.partition('-')[2]
        if not python_tag and hpy_abi == 'hybrid':
            raise ValueError('cannot derive a hybrid suffix from %r, which '
                             'names no Python' % (ext_suffix,))
    if hpy_abi == 'universal':
        return '.%s.%s' % (HPY_ABI_TAG, ext)
    return '.%s-%s.%s' % (HPY_ABI_TAG, python_tag, ext)


def get_hpy_abi_of_file(filename):
    """The ABI that an extension's file name says it was built for:
    'universal' (NAME.hpy0.so), 'hybrid' (NAME.hpy0-cp311.so) or 'cpython'
    (NAME.cpython-311-x86_64-linux-gnu.so and other CPython suffixes); None
    for a name without an extension suffix."""
    import os
    base = os.path.basename(str(filename))
    if base.count('.') < 2:
        return 'cpython' if base.endswith(('.so', '.pyd')) else None
    tag, _ = parse_ext_suffix('.' + base.split('.', 1)[1])
    if tag == HPY_ABI_TAG:
        return 'universal'
    if tag.startswith(HPY_ABI_TAG + '-'):
        return 'hybrid'
    return 'cpython'
