"""Which build of an HPy extension is this, and how is it loaded?

    python -m hpy.devel.inspect PATH_OR_MODULE [--no-import]

PATH_OR_MODULE is an extension file (``vec.hpy0.so``, ``pkg/vec.hpy0-cp312.so``,
``vec.cpython-312-x86_64-linux-gnu.so``; a relative path is relative to the
current directory) or a module name (``vec``, ``pkg.vec``), found the way
``import`` finds it. Prints, one ``key: value`` per line:

- ``file``: the extension file;
- ``target ABI``: universal, hybrid (and the CPython it is for) or cpython;
- ``requires HPy``: the HPy ABI version the file asks of the runtime (read
  from its ``get_required_hpy_*_version_NAME`` functions), or ``-`` for a
  CPython-ABI build, which needs no HPy runtime;
- ``loaded in``: the module is imported (unless ``--no-import``) and this
  says by what: ``hpy.universal, universal mode`` (or debug/trace, as the
  ``HPY`` environment variable asks) or ``CPython's extension loader``.
"""
import argparse
import ctypes
import importlib.machinery
import importlib.util
import os
import sys

from .abitag import get_hpy_abi_of_file, parse_ext_suffix


def hpy_mode(module_name, env=None):
    """The mode that ``HPY`` in ``env`` (default: os.environ) asks for the
    module ``module_name``, as hpy.universal reads it: 'universal', 'debug'
    or 'trace'; ValueError if ``HPY`` is not valid."""
    env = os.environ if env is None else env
    text = env.get('HPY', '')
    short = module_name.rsplit('.', 1)[-1]
    requested = text.strip()
    if ':' in text:
        requested = 'universal'
        for item in text.split(','):
            name, sep, mode = item.partition(':')
            if not sep:
                requested = None
                break
            if name.strip() in (module_name, short):
                requested = mode.strip()
                break
    mode = (requested or '').lower() if requested is not None else None
    if mode == '':
        mode = 'universal'
    if mode not in ('universal', 'debug', 'trace'):
        raise ValueError('invalid HPy mode in the HPY environment variable: %r'
                         % (text,))
    return mode


def required_hpy_version(path):
    """(major, minor) that the universal or hybrid extension at ``path``
    requires of the HPy runtime."""
    short = os.path.basename(path).split('.', 1)[0]
    lib = ctypes.CDLL(os.path.abspath(path), mode=os.RTLD_LOCAL)
    versions = []
    for which in ('major', 'minor'):
        fn = getattr(lib, 'get_required_hpy_%s_version_%s' % (which, short))
        fn.restype = ctypes.c_uint32
        fn.argtypes = []
        versions.append(fn())
    return tuple(versions)


def _find(target):
    """(module name, file) of PATH_OR_MODULE."""
    if os.sep in target or os.path.exists(target):
        if not os.path.isfile(target):
            raise FileNotFoundError('no such file: %r' % (target,))
        path = os.path.abspath(target)
        return os.path.basename(path).split('.', 1)[0], path
    spec = importlib.util.find_spec(target)
    if spec is None:
        raise ModuleNotFoundError('no module named %r' % (target,), name=target)
    if not spec.origin or get_hpy_abi_of_file(spec.origin) is None:
        raise ValueError('%r is not an extension module (found %s)'
                         % (target, spec.origin))
    return target, spec.origin


def _import(name, path, abi):
    """Import the extension file ``path`` as ``name``; return what loaded it."""
    if abi == 'cpython':
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        by = "CPython's extension loader"
    else:
        from _hpy_finder import HPyExtensionFileLoader
        loader = HPyExtensionFileLoader(name, path)
        by = 'hpy.universal, %s mode' % hpy_mode(name)
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, '__file__', None) == path:
        return by
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return by


def describe(target, do_import=True):
    """The ``key: value`` lines that ``python -m hpy.devel.inspect`` prints."""
    name, path = _find(target)
    abi = get_hpy_abi_of_file(path)
    lines = [('file', path)]
    if abi is None:
        raise ValueError('%s has no extension suffix' % (path,))
    if abi == 'cpython':
        tag, _ = parse_ext_suffix('.' + os.path.basename(path).split('.', 1)[1]) \
            if os.path.basename(path).count('.') >= 2 else ('?', None)
        lines.append(('target ABI', 'cpython (%s only)' % tag))
        lines.append(('requires HPy', '- (a CPython extension: no HPy runtime)'))
    else:
        tag, _ = parse_ext_suffix('.' + os.path.basename(path).split('.', 1)[1])
        if abi == 'universal':
            lines.append(('target ABI', 'universal (%s: every CPython 3)' % tag))
        else:
            lines.append(('target ABI', 'hybrid (%s: %s only)'
                          % (tag, tag.partition('-')[2])))
        lines.append(('requires HPy', '%d.%d' % required_hpy_version(path)))
    if do_import:
        lines.append(('loaded in', _import(name, path, abi)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m hpy.devel.inspect',
        description='Print the target ABI of an HPy extension, the HPy '
                    'version it requires and how it is loaded.')
    parser.add_argument('target', metavar='PATH_OR_MODULE')
    parser.add_argument('--no-import', action='store_true',
                        help='only read the file, do not import it')
    args = parser.parse_args(argv)
    try:
        lines = describe(args.target, not args.no_import)
    except (ImportError, OSError, ValueError, AttributeError) as e:
        print('error: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 1
    for key, value in lines:
        print('%s: %s' % (key, value))
    return 0


if __name__ == '__main__':
    sys.exit(main())
