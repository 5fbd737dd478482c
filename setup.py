"""Build hpy-rs (the metadata is in pyproject.toml).

Besides the Python package `hpy`, `pip install .` builds:
- the runtime `hpy.universal`, from the Rust crate hpy-universal (a cdylib),
  with setuptools-rust;
- `hpy/devel/lib/libhpy_cpython.a`, from the Rust crate hpy-cpython (a
  staticlib), which CPython-ABI extensions link;
- `hpy/devel/lib/<abi>/libhpyextra.a` for each ABI: the C helpers of
  hpy/devel/src, prebuilt for builds that ask for `hpy_use_static_libs`;
- `hpy-rs-finder.pth` in site-packages, the import hook that lets
  `import NAME` find `NAME.hpy0.so` without a stub (_hpy_finder.py).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

from setuptools import Command, setup
from distutils.ccompiler import new_compiler  # (setuptools' distutils)
from distutils.sysconfig import customize_compiler
from setuptools.command.build import build
from setuptools.command.build_py import build_py
from setuptools_rust import Binding, RustExtension

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / 'python'))
from hpy.devel import HPY_ABIS, HPyDevel  # noqa: E402  (this source tree's)

# pyo3-ffi must leave the Python symbols undefined, for the interpreter that
# loads the module to provide (setuptools-rust sets this for Binding.PyO3 only).
os.environ.setdefault('PYO3_BUILD_EXTENSION_MODULE', '1')


class build_hpy_libs(Command):
    description = 'build the static libraries that HPy extensions link'
    user_options = []
    editable_mode = False  # set by setuptools for an editable install

    def initialize_options(self):
        self.build_lib = None
        self.build_temp = None

    def finalize_options(self):
        self.set_undefined_options('build', ('build_lib', 'build_lib'),
                                   ('build_temp', 'build_temp'))

    def _devel(self):
        # The hpy.devel tree being installed: the source tree itself for an
        # editable install, its copy in build_lib otherwise.
        if self.editable_mode:
            return HPyDevel(ROOT / 'python' / 'hpy' / 'devel')
        return HPyDevel(Path(self.build_lib, 'hpy', 'devel'))

    def run(self):
        self.run_command('build_py')  # puts the headers and C sources in place
        devel = self._devel()
        self._build_cpython_lib(devel.cpython_lib)
        for hpy_abi in HPY_ABIS:
            self._build_helper_lib(devel, hpy_abi)

    def _build_cpython_lib(self, dest):
        cargo = os.environ.get('CARGO', 'cargo')
        subprocess.run([cargo, 'build', '--release', '-p', 'hpy-cpython'],
                       cwd=ROOT, env=dict(os.environ, PYO3_PYTHON=sys.executable),
                       check=True)
        metadata = subprocess.run(
            [cargo, 'metadata', '--format-version=1', '--no-deps'],
            cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout
        target_dir = Path(json.loads(metadata)['target_directory'])
        self.mkpath(str(dest.parent))
        self.copy_file(str(target_dir / 'release' / dest.name), str(dest))

    def _build_helper_lib(self, devel, hpy_abi):
        settings = devel.get_build_settings(hpy_abi)
        compiler = new_compiler(verbose=self.verbose)
        customize_compiler(compiler)
        objects = compiler.compile(
            settings.sources, output_dir=os.path.join(self.build_temp, hpy_abi),
            macros=settings.define_macros, include_dirs=settings.include_dirs,
            extra_postargs=settings.extra_compile_args)
        lib = devel.helper_lib(hpy_abi)
        compiler.create_static_lib(objects, 'hpyextra', output_dir=str(lib.parent))

    def get_outputs(self):
        devel = self._devel()
        return [str(devel.cpython_lib)] + [str(devel.helper_lib(a)) for a in HPY_ABIS]

    def get_output_mapping(self):
        return {}

    def get_source_files(self):
        return []


class build_py_with_finder(build_py):
    """Also puts hpy-rs-finder.pth at the top of build_lib, so that it lands
    in site-packages: at start-up it lets `import NAME` find NAME.hpy0.so
    (see python/_hpy_finder.py). Not done by editable installs."""

    PTH = 'hpy-rs-finder.pth'

    def run(self):
        super().run()
        if not self.editable_mode:
            self.copy_file(str(ROOT / 'python' / self.PTH),
                           os.path.join(self.build_lib, self.PTH))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs.append(os.path.join(self.build_lib, self.PTH))
        return outputs


class build_with_hpy_libs(build):
    sub_commands = build.sub_commands + [('build_hpy_libs', None)]


setup(
    rust_extensions=[
        RustExtension('hpy.universal', path='crates/hpy-universal/Cargo.toml',
                      binding=Binding.NoBinding, debug=False),
    ],
    cmdclass={'build': build_with_hpy_libs, 'build_hpy_libs': build_hpy_libs,
              'build_py': build_py_with_finder},
)
