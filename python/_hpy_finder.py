"""``import NAME`` finds ``NAME.hpy0.so`` (and ``NAME.hpy0-cp3XY.so``).

Installing hpy-rs puts ``hpy-rs-finder.pth`` into site-packages; at start-up
it runs :func:`install`, which teaches the import system's path-entry finder
(``importlib.machinery.FileFinder``, the one that finds ``.py`` files and
CPython extensions in each ``sys.path`` directory and package ``__path__``)
the HPy suffixes. A directory is then searched, for each name, in this
order: CPython extensions (``NAME.cpython-3XY-....so``, as CPython decides),
the hybrid extension of this interpreter (``NAME.hpy0-cp3XY.so``), the
universal one (``NAME.hpy0.so``), then ``.py`` sources (so an HPy file wins
over the loader stub that hpy.devel writes beside it; the stub loads that
very file anyway) and bytecode.

Nothing heavy is imported at start-up: this module needs only what the
import system has already loaded. ``hpy.universal`` is imported when the
first HPy module is.

``HPY_NO_FINDER=1`` in the environment leaves the import system alone.
"""
import os
import sys
from importlib.machinery import (BYTECODE_SUFFIXES, EXTENSION_SUFFIXES,
                                 SOURCE_SUFFIXES, ExtensionFileLoader,
                                 FileFinder, SourceFileLoader,
                                 SourcelessFileLoader)

# Must agree with hpy.devel.abitag (not imported here: start-up cost).
HPY_ABI_TAG = 'hpy0'


def hpy_suffixes():
    """The HPy suffixes this interpreter loads, hybrid first."""
    tag = 'cp%d%d' % sys.version_info[:2]
    return ['.%s-%s.so' % (HPY_ABI_TAG, tag), '.%s.so' % HPY_ABI_TAG]


class HPyExtensionFileLoader:
    """Loads an HPy universal or hybrid extension file through
    ``hpy.universal``, honouring ``HPY`` (universal, debug or trace mode)
    and ``HPY_LOG`` like the loader stubs do.

    Like CPython's ExtensionFileLoader, it creates the module in
    :meth:`create_module`; :meth:`exec_module` has nothing left to do, so
    ``importlib.reload`` gives back the same module.
    """

    def __init__(self, name, path):
        self.name = name
        self.path = path

    def __eq__(self, other):
        return (self.__class__ == other.__class__
                and self.__dict__ == other.__dict__)

    def __hash__(self):
        return hash(self.name) ^ hash(self.path)

    def __repr__(self):
        return '<%s %r from %r>' % (type(self).__name__, self.name, self.path)

    def create_module(self, spec):
        from hpy.universal import _load_bootstrap
        short_name = os.path.basename(self.path).split('.', 1)[0]
        return _load_bootstrap(short_name, spec.name, spec.parent, self.path,
                               self, spec, os.environ)

    def exec_module(self, module):
        pass

    def is_package(self, fullname):
        return os.path.basename(self.path).split('.', 1)[0] == '__init__'

    def get_code(self, fullname):
        return None

    def get_source(self, fullname):
        return None

    def get_filename(self, fullname=None):
        return self.path

    def get_resource_reader(self, fullname=None):
        return None


def _loaders():
    return [(ExtensionFileLoader, EXTENSION_SUFFIXES),
            (HPyExtensionFileLoader, hpy_suffixes()),
            (SourceFileLoader, SOURCE_SUFFIXES),
            (SourcelessFileLoader, BYTECODE_SUFFIXES)]


def _is_file_finder_hook(hook):
    # FileFinder.path_hook() returns a closure of this name (3.9 ... 3.13).
    return getattr(hook, '__name__', '') == 'path_hook_for_FileFinder'


def install():
    """Replace the FileFinder path hook by one that knows HPy extensions
    (once; does nothing if there is no FileFinder hook)."""
    if os.environ.get('HPY_NO_FINDER'):
        return False
    if any(getattr(hook, '_hpy_finder', False) for hook in sys.path_hooks):
        return True
    for i, hook in enumerate(sys.path_hooks):
        if _is_file_finder_hook(hook):
            new_hook = FileFinder.path_hook(*_loaders())
            new_hook._hpy_finder = True
            sys.path_hooks[i] = new_hook
            break
    else:
        return False
    # The finders made so far (for the directories that start-up imported
    # from) do not know the HPy suffixes: the next import makes new ones.
    for path, finder in list(sys.path_importer_cache.items()):
        if isinstance(finder, FileFinder):
            del sys.path_importer_cache[path]
    return True


def uninstall():
    """Undo :func:`install`."""
    for i, hook in enumerate(sys.path_hooks):
        if getattr(hook, '_hpy_finder', False):
            sys.path_hooks[i] = FileFinder.path_hook(
                (ExtensionFileLoader, EXTENSION_SUFFIXES),
                (SourceFileLoader, SOURCE_SUFFIXES),
                (SourcelessFileLoader, BYTECODE_SUFFIXES))
    for path, finder in list(sys.path_importer_cache.items()):
        if isinstance(finder, FileFinder):
            del sys.path_importer_cache[path]
