"""Build HPy extensions.

An HPy extension is compiled for one of three ABIs:

- ``cpython``: an ordinary CPython extension (``NAME.cpython-3XY-....so``),
  needing nothing from hpy-rs at run time;
- ``universal``: ``NAME.hpy0.so``, loaded by ``hpy.universal`` on any
  CPython (and by any other HPy 0.9 runtime);
- ``hybrid``: ``NAME.hpy0-cp3XY.so``, universal plus ``Python.h``.

:meth:`HPyDevel.get_build_settings` holds every compiler and linker setting
of each ABI; the setuptools integration (``setup(hpy_ext_modules=[...])``
with ``--hpy-abi=...``, see :mod:`hpy.devel.commands`) and the test suite
both use it. This module itself does not need setuptools.
"""
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .abitag import get_hpy_ext_suffix

HPY_ABIS = ('cpython', 'universal', 'hybrid')
DEFAULT_HPY_ABI = 'cpython' if sys.implementation.name == 'cpython' else 'universal'


@dataclass
class BuildSettings:
    """How to compile and link one HPy extension for ``hpy_abi``.

    Compile the extension's own sources and ``sources`` with
    ``include_dirs`` (in this order, before any other include directory),
    ``define_macros`` ((name, value) pairs; value None means ``-Dname``)
    and ``extra_compile_args``. Link those objects into a shared library,
    followed by ``extra_objects`` (static libraries, in this order) and
    ``extra_link_args``. Name the file NAME + ``ext_suffix``.
    """
    hpy_abi: str
    include_dirs: list
    define_macros: list
    sources: list
    extra_compile_args: list
    extra_objects: list
    extra_link_args: list
    ext_suffix: str


class HPyDevel:
    """The headers, C helpers and static libraries of an hpy.devel tree.

    ``base_dir`` defaults to the directory of this package:
    ``include/`` holds hpy.h, ``src/runtime/`` the C helpers compiled into
    every extension (argument parsing, value building, ...), ``lib/`` the
    static libraries built when hpy-rs is installed:
    ``lib/libhpy_cpython.a`` (the Rust implementation of the API for
    CPython-ABI extensions) and ``lib/<abi>/libhpyextra.a`` (the C helpers,
    prebuilt for each ABI).
    """

    def __init__(self, base_dir=Path(__file__).parent):
        self.base_dir = Path(base_dir)
        self.include_dir = self.base_dir / 'include'
        self.src_dir = self.base_dir / 'src' / 'runtime'
        self.lib_dir = self.base_dir / 'lib'
        self.cpython_lib = self.lib_dir / 'libhpy_cpython.a'

    def helper_lib(self, hpy_abi):
        """Path of the prebuilt C helpers for ``hpy_abi`` (may not exist)."""
        return self.lib_dir / hpy_abi / 'libhpyextra.a'

    def get_extra_include_dirs(self):
        """Include directories of every HPy extension, whatever its ABI."""
        return [str(self.include_dir)]

    def get_include_dir_forbid_python_h(self):
        """The directory whose Python.h stops a universal build with an
        error; it goes first on the include path of universal builds."""
        return self.include_dir / 'hpy' / 'forbid_python_h'

    def get_extra_sources(self):
        """The C helpers compiled into every HPy extension."""
        return sorted(str(p) for p in self.src_dir.glob('*.c'))

    def get_ctx_sources(self):
        """C sources needed only by CPython-ABI extensions: none in hpy-rs,
        where that code is the static library ``lib/libhpy_cpython.a``."""
        return []

    def get_static_libs(self, hpy_abi):
        """The prebuilt static libraries that replace :meth:`get_extra_sources`
        (and :meth:`get_ctx_sources`) for ``hpy_abi``, all to be linked, in
        order; None if this tree has no prebuilt helpers for ``hpy_abi``.
        """
        helpers = self.helper_lib(hpy_abi)
        if not helpers.is_file():
            return None
        if hpy_abi == 'cpython':
            return [str(helpers), str(self._cpython_lib())]
        return [str(helpers)]

    def _cpython_lib(self):
        if not self.cpython_lib.is_file():
            raise FileNotFoundError(
                '%s is missing: CPython-ABI extensions link it. It is built '
                'when hpy-rs is installed (pip install PATH_TO_HPY_RS).'
                % self.cpython_lib)
        return self.cpython_lib

    def get_build_settings(self, hpy_abi, use_static_libs=False):
        """The :class:`BuildSettings` of an extension built for ``hpy_abi``.

        With ``use_static_libs``, the C helpers come prebuilt
        (:meth:`get_static_libs`) instead of as sources.
        """
        if hpy_abi not in HPY_ABIS:
            raise ValueError('unknown HPy ABI %r: expected one of %s'
                             % (hpy_abi, ', '.join(HPY_ABIS)))
        include_dirs = self.get_extra_include_dirs()
        if hpy_abi == 'universal':
            include_dirs.insert(0, str(self.get_include_dir_forbid_python_h()))
        else:
            paths = sysconfig.get_paths()
            for d in (paths['include'], paths['platinclude']):
                if d not in include_dirs:
                    include_dirs.append(d)
        if use_static_libs:
            sources = []
            static_libs = self.get_static_libs(hpy_abi)
            if static_libs is None:
                raise FileNotFoundError(
                    'no prebuilt HPy helpers for the %s ABI: %s is missing'
                    % (hpy_abi, self.helper_lib(hpy_abi)))
        else:
            sources = self.get_extra_sources()
            static_libs = []
        link_args = []
        if hpy_abi == 'cpython':
            if not use_static_libs:
                sources += self.get_ctx_sources()
                static_libs.append(str(self._cpython_lib()))
            # Keep the symbols of the static libraries out of the extension's
            # exports: only PyInit_NAME is exported.
            link_args.append('-Wl,--exclude-libs,ALL')
        return BuildSettings(
            hpy_abi=hpy_abi,
            include_dirs=include_dirs,
            define_macros=[('HPY', None), ('HPY_ABI_' + hpy_abi.upper(), None)],
            sources=sources,
            # Only the symbols that HPy_MODINIT marks visible are exported.
            extra_compile_args=['-fvisibility=hidden'],
            extra_objects=static_libs,
            extra_link_args=link_args,
            ext_suffix=get_hpy_ext_suffix(hpy_abi),
        )

    def fix_distribution(self, dist):
        """Make the setuptools distribution ``dist`` build its
        ``hpy_ext_modules``: install HPy's ``build`` and ``build_ext``
        commands on it (see :mod:`hpy.devel.commands`)."""
        from .commands import fix_distribution
        fix_distribution(self, dist)

    def build_ext_sanity_check(self, build_ext):
        """Raise unless the command class ``build_ext`` derives from
        setuptools' build_ext, which the HPy build extends."""
        from .commands import build_ext_sanity_check
        build_ext_sanity_check(build_ext)


def get_build_settings(hpy_abi, use_static_libs=False):
    """:meth:`HPyDevel.get_build_settings` of this installation."""
    return HPyDevel().get_build_settings(hpy_abi, use_static_libs)


def handle_hpy_ext_modules(dist, attr, hpy_ext_modules):
    """setuptools hook of ``setup(hpy_ext_modules=[Extension, ...])``.

    Registered as entry point ``distutils.setup_keywords``. Adds the global
    option ``--hpy-abi`` and HPy's build commands to the distribution.
    """
    from .commands import add_global_options
    from distutils.errors import DistutilsSetupError
    from setuptools import Extension
    exts = hpy_ext_modules
    if (not isinstance(exts, (list, tuple))
            or not all(isinstance(e, Extension) for e in exts)):
        raise DistutilsSetupError(
            'hpy_ext_modules must be a list of setuptools.Extension, not %r'
            % (hpy_ext_modules,))
    if getattr(dist, 'hpydevel', None) is None:
        add_global_options(dist)
        HPyDevel().fix_distribution(dist)


def check_hpy_option(dist, attr, value):
    """setuptools hook of ``setup(hpy_abi=...)``,
    ``setup(hpy_use_static_libs=...)`` and ``setup(hpy_stubs=...)``: checks
    the value."""
    from distutils.errors import DistutilsSetupError
    if attr == 'hpy_abi' and value not in HPY_ABIS:
        raise DistutilsSetupError('hpy_abi must be one of %s, not %r'
                                  % (', '.join(HPY_ABIS), value))
    if attr == 'hpy_stubs' and not isinstance(value, bool):
        raise DistutilsSetupError('hpy_stubs must be True or False, not %r'
                                  % (value,))
