"""The setuptools side of hpy.devel: building ``hpy_ext_modules``.

``setup(hpy_ext_modules=[Extension(...), ...])`` builds those extensions as
HPy extensions, for the ABI given by the global option ``--hpy-abi``
(``python setup.py --hpy-abi=universal build_ext``), by the distribution
attribute ``hpy_abi`` (``setup(hpy_abi='universal')``, or ``hpy_abi =
universal`` in the ``[global]`` section of setup.cfg), or else
:data:`hpy.devel.DEFAULT_HPY_ABI`. A universal or hybrid build also writes a
stub ``NAME.py`` next to the extension, so that ``import NAME`` loads it
through ``hpy.universal`` on runtimes without hpy-rs's import hook (the
reference HPy needs them); ``setup(hpy_stubs=False)`` or ``build_ext
--hpy-no-stubs`` leaves them out, for hpy-rs alone. A CPython-ABI build is
an ordinary extension.

A wheel of a project whose extensions are all universal runs on every
CPython 3: ``bdist_wheel`` tags it ``py3-none-<platform>``.

The builds of two ABIs never share a build directory, and an extension
installed (``install_lib``, as ``setup.py install`` runs it) or copied in
place (``build_ext --inplace``) for one ABI removes the files of the same
module built for another ABI from the directory it goes to: the other
ABI's extension file and the loader stub ``NAME.py`` that hpy.devel wrote
for it. Otherwise ``import NAME`` could still find the old file first (a
CPython-ABI ``NAME.cpython-311-x86_64-linux-gnu.so`` wins over a stub and
over ``NAME.hpy0.so`` in the same directory).
"""
import importlib.machinery
import os

import setuptools  # noqa: F401  (puts setuptools' distutils in place)
from distutils import log
from distutils.errors import DistutilsSetupError
from setuptools.command.build_ext import build_ext as setuptools_build_ext

from . import DEFAULT_HPY_ABI, HPY_ABIS
from .abitag import get_hpy_ext_suffix


def get_hpy_abi(dist):
    """The HPy ABI that ``dist`` builds its hpy_ext_modules for."""
    return getattr(dist, 'hpy_abi', None) or DEFAULT_HPY_ABI


def add_global_options(dist):
    """Let the command line of ``dist`` take ``--hpy-abi=ABI``."""
    cls = type(dist)
    if not any(opt[0] == 'hpy-abi=' for opt in cls.global_options):
        cls.global_options = cls.global_options + [(
            'hpy-abi=', None,
            'HPy ABI to build hpy_ext_modules for: %s (default: %s)'
            % ('|'.join(HPY_ABIS), DEFAULT_HPY_ABI))]


def build_ext_sanity_check(build_ext):
    if not (isinstance(build_ext, type)
            and issubclass(build_ext, setuptools_build_ext)):
        raise DistutilsSetupError(
            "the HPy build extends setuptools' build_ext command, so "
            "dist.cmdclass['build_ext'] must derive from "
            "setuptools.command.build_ext.build_ext; it is %r" % (build_ext,))


def fix_distribution(hpydevel, dist):
    """Install HPy's build and build_ext commands on ``dist``, in front of
    the ones it has (setuptools' by default)."""
    dist.hpydevel = hpydevel
    # To setuptools (build_ext, editable installs, wheel tags...) they are
    # extensions like any other; HPyBuildExt adds the HPy build settings.
    ext_modules = list(dist.ext_modules or [])
    dist.ext_modules = ext_modules + [
        ext for ext in getattr(dist, 'hpy_ext_modules', None) or []
        if ext not in ext_modules]
    build_ext = dist.cmdclass.get('build_ext', setuptools_build_ext)
    build_ext_sanity_check(build_ext)
    build = dist.get_command_class('build')
    commands = [('build', build, HPyBuild), ('build_ext', build_ext, HPyBuildExt),
                ('install_lib', dist.get_command_class('install_lib'), HPyInstallLib)]
    try:
        commands.append(('bdist_wheel', dist.get_command_class('bdist_wheel'),
                         HPyBdistWheel))
    except Exception:  # no bdist_wheel (old setuptools without wheel)
        pass
    for name, cls, hpy_part in commands:
        if not issubclass(cls, hpy_part):
            dist.cmdclass[name] = type(cls.__name__, (hpy_part, cls), {})


def all_universal(dist):
    """True if every extension of ``dist`` is an HPy universal one (and
    there is at least one): its wheel then runs on every CPython 3."""
    hpy_exts = list(getattr(dist, 'hpy_ext_modules', None) or [])
    others = [ext for ext in dist.ext_modules or [] if ext not in hpy_exts]
    return bool(hpy_exts) and not others and get_hpy_abi(dist) == 'universal'


class HPyBdistWheel:
    """Mixed into ``bdist_wheel``: the wheel of a project whose extensions
    are all universal is tagged ``py3-none-<platform>``: one wheel for
    every CPython 3 (pip accepts it on each). Projects with a CPython-ABI
    or hybrid extension keep the version-specific tag."""

    def get_tag(self):
        impl, abi, plat = super().get_tag()
        if all_universal(self.distribution):
            return 'py3', 'none', plat
        return impl, abi, plat


def is_hpy_stub(path):
    """Whether ``path`` is a loader stub written by hpy.devel (of hpy-rs or
    of the reference HPy): its first line says so."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            first = f.readline()
    except OSError:
        return False
    return 'automatically generated by hpy' in first


def remove_other_abi_files(ext_path, has_stub, dry_run=False):
    """Remove the files that would shadow or outlive the extension file
    ``ext_path`` (just installed or copied in place): the same module built
    for another HPy ABI next to it (every CPython extension suffix, the
    universal and hybrid suffixes) and, if this build has no stub, a loader
    stub ``NAME.py`` written by hpy.devel. Returns the removed paths."""
    directory, filename = os.path.split(ext_path)
    name = filename.split('.', 1)[0]
    suffixes = set(importlib.machinery.EXTENSION_SUFFIXES)
    for abi in HPY_ABIS:
        try:
            suffixes.add(get_hpy_ext_suffix(abi))
        except ValueError:  # an interpreter whose suffix gives no hybrid one
            pass
    candidates = [os.path.join(directory, name + suffix) for suffix in sorted(suffixes)]
    stub = os.path.join(directory, name + '.py')
    if not has_stub and is_hpy_stub(stub):
        candidates.append(stub)
    removed = []
    for path in candidates:
        if os.path.normcase(path) == os.path.normcase(ext_path) or not os.path.isfile(path):
            continue
        log.info('removing %s (module %s of another HPy ABI)', path, name)
        if not dry_run:
            os.remove(path)
        removed.append(path)
    return removed


class HPyInstallLib:
    """Mixed into ``install_lib``: after installing, removes the files that
    an earlier installation of the same HPy extensions for another ABI left
    in the target directory (see remove_other_abi_files)."""

    def install(self):
        outputs = super().install()
        if not getattr(self.distribution, 'hpy_ext_modules', None):
            return outputs
        build_ext = self.get_finalized_command('build_ext')
        for ext in build_ext._hpy_exts():
            fullname = build_ext.get_ext_fullname(ext.name)
            target = os.path.join(self.install_dir, build_ext.get_ext_filename(fullname))
            if os.path.isfile(target):
                remove_other_abi_files(target, ext in build_ext._stubbed_exts(),
                                       dry_run=self.dry_run)
        return outputs


class HPyBuild:
    """Mixed into ``build``: universal and hybrid builds get build
    directories of their own (``build/lib...-hpy-universal``), so that the
    files of two ABIs never end up in one installation."""

    def finalize_options(self):
        defaults = [attr for attr in ('build_platlib', 'build_lib', 'build_temp')
                    if getattr(self, attr) is None]
        super().finalize_options()
        hpy_abi = get_hpy_abi(self.distribution)
        if hpy_abi != 'cpython':
            for attr in defaults:
                setattr(self, attr, '%s-hpy-%s' % (getattr(self, attr), hpy_abi))


class HPyBuildExt:
    """Mixed into ``build_ext``: builds the extensions of
    ``distribution.hpy_ext_modules`` (which fix_distribution added to its
    ext_modules) with the settings of
    :meth:`hpy.devel.HPyDevel.get_build_settings`."""

    user_options = [('hpy-no-stubs', None,
                     'do not write the loader stubs NAME.py of universal and '
                     'hybrid extensions (hpy-rs imports them without)')]
    boolean_options = ['hpy-no-stubs']

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # join the options of the command class this is mixed into
        for base in cls.__mro__[1:]:
            if base is not HPyBuildExt and 'user_options' in vars(base):
                cls.user_options = HPyBuildExt.user_options + base.user_options
                cls.boolean_options = (HPyBuildExt.boolean_options
                                       + getattr(base, 'boolean_options', []))
                break

    def initialize_options(self):
        super().initialize_options()
        self.hpy_no_stubs = None

    def finalize_options(self):
        if self.hpy_no_stubs is None:
            self.hpy_no_stubs = getattr(self.distribution, 'hpy_stubs', True) is False
        for ext in getattr(self.distribution, 'hpy_ext_modules', None) or []:
            self._prepare_hpy_ext(ext)
        super().finalize_options()

    def _prepare_hpy_ext(self, ext):
        if getattr(ext, 'hpy_abi', None) is not None:
            return  # already done by an earlier build_ext of this distribution
        dist = self.distribution
        hpy_abi = get_hpy_abi(dist)
        use_static_libs = bool(getattr(dist, 'hpy_use_static_libs', False))
        try:
            settings = dist.hpydevel.get_build_settings(hpy_abi, use_static_libs)
        except (ValueError, OSError) as e:
            raise DistutilsSetupError(str(e)) from e
        ext.hpy_abi = hpy_abi
        ext.include_dirs = settings.include_dirs + ext.include_dirs
        ext.define_macros = ext.define_macros + settings.define_macros
        ext.sources = ext.sources + settings.sources
        ext.extra_compile_args = ext.extra_compile_args + settings.extra_compile_args
        ext.extra_objects = ext.extra_objects + settings.extra_objects
        ext.extra_link_args = ext.extra_link_args + settings.extra_link_args

    def get_ext_filename(self, fullname):
        # fullname is a dotted module name or, from get_ext_fullpath, only
        # its last part: setuptools' ext_map has the extensions under both.
        hpy_abi = getattr(self.ext_map.get(fullname), 'hpy_abi', 'cpython')
        if hpy_abi == 'cpython':
            return super().get_ext_filename(fullname)
        suffix = get_hpy_ext_suffix(hpy_abi, os.environ.get('SETUPTOOLS_EXT_SUFFIX'))
        return os.path.join(*fullname.split('.')) + suffix

    # -- the loader stubs of universal and hybrid extensions -----------------

    def _hpy_exts(self):
        return [ext for ext in self.extensions if getattr(ext, 'hpy_abi', None)]

    def _stubbed_exts(self):
        if self.hpy_no_stubs:
            return []
        return [ext for ext in self.extensions
                if getattr(ext, 'hpy_abi', 'cpython') != 'cpython']

    def _stub_path(self, ext, inplace=False):
        *package, name = self.get_ext_fullname(ext.name).split('.')
        if inplace:
            build_py = self.get_finalized_command('build_py')
            directory = build_py.get_package_dir('.'.join(package))
        else:
            directory = os.path.join(self.build_lib, *package)
        return os.path.join(directory, name + '.py')

    def build_extension(self, ext):
        super().build_extension(ext)
        if ext in self._stubbed_exts():
            stub = self._stub_path(ext)
            filename = os.path.basename(self.get_ext_filename(
                self.get_ext_fullname(ext.name)))
            log.info('writing the hpy.universal loader stub %s', stub)
            write_stub(stub, ext.hpy_abi, filename)

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        stubbed = self._stubbed_exts()
        for ext in stubbed:
            self.copy_file(self._stub_path(ext), self._stub_path(ext, inplace=True),
                           level=self.verbose)
        build_py = self.get_finalized_command('build_py')
        for ext in self._hpy_exts():
            *package, _ = self.get_ext_fullname(ext.name).split('.')
            directory = build_py.get_package_dir('.'.join(package))
            filename = os.path.basename(self.get_ext_filename(self.get_ext_fullname(ext.name)))
            target = os.path.join(directory, filename)
            if os.path.isfile(target):
                remove_other_abi_files(target, ext in stubbed, dry_run=self.dry_run)

    def get_outputs(self):
        outputs = super().get_outputs()
        if not self.inplace:  # (in-place, outputs come from get_output_mapping)
            outputs += [self._stub_path(ext) for ext in self._stubbed_exts()]
        return outputs

    def get_output_mapping(self):
        mapping = super().get_output_mapping()
        if self.inplace:
            for ext in self._stubbed_exts():
                mapping[self._stub_path(ext)] = self._stub_path(ext, inplace=True)
        return mapping


_STUB = '''\
# This file is automatically generated by hpy (hpy.devel of hpy-rs).
# Importing this module loads the HPy {hpy_abi} extension {filename}, which
# sits next to this file, through the hpy.universal runtime. (With hpy-rs
# installed, `import` finds the extension without this file.)

def _load():
    import os
    import sys
    from importlib.machinery import ModuleSpec
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        {filename!r})
    spec = __spec__ or ModuleSpec(__name__, None)  # None: run, not imported
    loader = spec.loader
    try:  # hpy-rs: the loader of HPy extensions, as its import hook uses
        from _hpy_finder import HPyExtensionFileLoader
    except ImportError:
        pass
    else:
        loader = spec.loader = HPyExtensionFileLoader(__name__, path)
    g = globals()
    if any(not k.startswith('__') and k != '_load' for k in g):
        # importlib.reload of the loaded extension, whose attributes
        # importlib just set from this file's spec: the module stays, its
        # attributes name the extension again
        spec.origin = path
        g.update(__file__=path, __loader__=loader, __spec__=spec)
        g.pop('__cached__', None)
        return
    from hpy.universal import _load_bootstrap
    # Honours HPY (the mode: universal, debug, trace) and HPY_LOG, and sets
    # __file__, __loader__, __name__, __package__, __spec__ (origin: path).
    mod = _load_bootstrap({name!r}, __name__, spec.parent, path,
                          loader, spec, os.environ)
    sys.modules[__name__] = mod


_load()
del _load
'''


def write_stub(path, hpy_abi, filename):
    """Write the stub that loads the extension file ``filename`` (in the
    stub's own directory) as the module that the stub is imported as."""
    with open(path, 'w', encoding='utf-8') as f:
        f.write(_STUB.format(hpy_abi=hpy_abi, filename=filename,
                             name=filename.split('.')[0]))
