"""Compile small C snippets into HPy extensions and load them in every ABI mode.

A test writes the body of an extension module; `make_module` wraps it into a
complete module, compiles it for the ABI of the test (directly with the C
compiler, using the build settings that `hpy.devel` gives setuptools builds)
and loads it:

    cpython              -> importlib, from a file spec (a plain extension)
    universal, hybrid    -> hpy.universal.load(name, path, spec, mode=...)
    debug, trace, ...    -> the same universal file, loaded in another mode

Snippet markers (each alone on a line):

    @EXPORT(sym)          add HPyDef `sym` to the module's defines
    @EXPORT_GLOBAL(var)   add HPyGlobal `var` to the module's globals
    @INIT                 emit the defines/globals tables, the HPyModuleDef
                          (`moduledef`) and HPy_MODINIT for the module
    @HPy_MODINIT(mdef)    only emit HPy_MODINIT(<module name>, mdef), for
                          snippets that write their own HPyModuleDef
    @DEFINE(NAME VALUE)   `#define NAME VALUE` before `#include "hpy.h"`
                          (e.g. HPY_ABI_VERSION_MINOR_REQUESTED 1)

Compiled files are cached by content hash in a directory shared by all
pytest-xdist workers of one session, so one snippet is compiled once per ABI.
The C helpers that every extension carries (argparse.c, buildvalue.c, ...)
are linked in from the static libraries that `pip install .` prebuilds for
each ABI (or, with HPY_TEST_STATIC_LIBS=0 or when those are missing, compiled
from hpy.devel's sources once per ABI per session).
"""
import contextlib
import json
import fcntl
import hashlib
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# ABI mode of a test -> (ABI the C code is compiled for, hpy.universal mode
# constant used to load it; None = a plain CPython extension).
ABI_MODES = {
    'cpython': ('cpython', None),
    'universal': ('universal', 'MODE_UNIVERSAL'),
    'hybrid': ('hybrid', 'MODE_UNIVERSAL'),
    # debug and trace mode load the very same universal (or hybrid) file in
    # another mode.
    'debug': ('universal', 'MODE_DEBUG'),
    'trace': ('universal', 'MODE_TRACE'),
    'hybrid+debug': ('hybrid', 'MODE_DEBUG'),
    'hybrid+trace': ('hybrid', 'MODE_TRACE'),
}
DEFAULT_ABIS = ['cpython', 'universal', 'hybrid', 'debug', 'hybrid+debug',
                'trace', 'hybrid+trace']

CC = os.environ.get('CC', 'gcc')
# -O0: these modules are tiny and run once; -Werror keeps our headers clean.
CFLAGS = ['-O0', '-g0', '-fPIC', '-Wall', '-Werror', '-Wfatal-errors',
          '-Wno-unused-function', '-Wno-unused-variable']


def compile_abi(hpy_abi):
    return ABI_MODES[hpy_abi][0]


# ---------------------------------------------------------------------------
# Expanding snippets into whole modules
# ---------------------------------------------------------------------------

INIT_TEMPLATE = """\
static HPyDef *moduledefs[] = {
%(defines)s    NULL
};
%(globals_table)s
static HPyModuleDef moduledef = {
    .doc = "some test for hpy",
    .size = 0,
    .legacy_methods = NULL,
    .defines = moduledefs,
    .globals = %(globals)s,
};

HPy_MODINIT(%(name)s, moduledef)
"""

_MARKER = re.compile(r'^\s*@([A-Za-z_]+)(?:\((.*)\))?\s*$')


def expand_template(src, name):
    """Turn a snippet with @-markers into a complete C module source."""
    defines, globals_ = [], []
    out = ['#include "hpy.h"']
    n_predefined = 0
    for line in textwrap.dedent(src).splitlines():
        m = _MARKER.match(line)
        if not m:
            out.append(line)
            continue
        marker, arg = m.group(1), (m.group(2) or '').strip()
        if marker == 'EXPORT':
            defines.append(arg)
        elif marker == 'EXPORT_GLOBAL':
            globals_.append(arg)
        elif marker == 'INIT':
            gtable = ''
            if globals_:
                gtable = ('static HPyGlobal *module_globals[] = {\n'
                          + ''.join('    &%s,\n' % g for g in globals_)
                          + '    NULL\n};\n')
            out.append(INIT_TEMPLATE % {
                'defines': ''.join('    &%s,\n' % d for d in defines),
                'globals_table': gtable,
                'globals': 'module_globals' if globals_ else 'NULL',
                'name': name,
            })
        elif marker == 'HPy_MODINIT':
            out.append('HPy_MODINIT(%s, %s)' % (name, arg))
        elif marker == 'DEFINE':
            out.insert(n_predefined, '#define %s' % arg)
            n_predefined += 1
        else:
            raise ValueError('unknown snippet marker @%s' % marker)
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# Build settings (from hpy.devel, the same ones setuptools builds use)
# ---------------------------------------------------------------------------

def hpy_build_settings(abi):
    """The compiler settings hpy.devel uses for an extension of `abi`.

    Normalized to a dict with: include_dirs, define_macros [(name, value)],
    extra_sources, extra_objects (static libraries), extra_compile_args,
    extra_link_args, ext_suffix.
    """
    import hpy.devel
    from hpy.devel import abitag
    raw = None
    if os.environ.get('HPY_TEST_STATIC_LIBS', '1') != '0':
        # the C helpers prebuilt by `pip install .`, if there are any
        try:
            raw = hpy.devel.get_build_settings(abi, use_static_libs=True)
        except (FileNotFoundError, TypeError):
            raw = None
    if raw is None:
        raw = hpy.devel.get_build_settings(abi)
    if not isinstance(raw, dict):
        raw = vars(raw)
    settings = {
        'include_dirs': [str(p) for p in raw.get('include_dirs', [])],
        'define_macros': [tuple(m) if not isinstance(m, str) else (m, None)
                          for m in raw.get('define_macros', [])],
        'extra_sources': [str(p) for p in raw.get('sources', raw.get('extra_sources', []))],
        'extra_objects': [str(p) for p in raw.get('extra_objects', [])],
        'extra_compile_args': list(raw.get('extra_compile_args', [])),
        'extra_link_args': list(raw.get('extra_link_args', [])),
        'ext_suffix': raw.get('ext_suffix') or abitag.get_hpy_ext_suffix(abi),
    }
    if abi in ('cpython', 'hybrid'):
        py_inc = sysconfig.get_paths()['include']
        if py_inc not in settings['include_dirs']:
            settings['include_dirs'].append(py_inc)
    return settings


def _macro_flags(macros):
    flags = []
    for name, value in macros:
        flags.append('-D%s' % name if value is None else '-D%s=%s' % (name, value))
    return flags


# ---------------------------------------------------------------------------
# The compiler: content-hash cache shared between xdist workers
# ---------------------------------------------------------------------------

class CompileError(Exception):
    pass


@contextlib.contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + '.lock', 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _run(cmd, cwd=None):
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0:
        raise CompileError('command failed: %s\n%s' % (' '.join(map(str, cmd)),
                                                      proc.stdout))
    return proc.stdout


class HPyModule:
    """A compiled test module: its name and file."""
    def __init__(self, name, so_filename, hpy_abi):
        self.name = name
        self.so_filename = str(so_filename)
        self.hpy_abi = hpy_abi


class Compiler:
    def __init__(self, cache_dir):
        self.cache_dir = Path(cache_dir)
        self._settings = {}
        self._runtime_objs = {}

    # -- settings and the per-ABI runtime helpers -------------------------
    def settings(self, abi):
        if abi not in self._settings:
            self._settings[abi] = hpy_build_settings(abi)
        return self._settings[abi]

    def _cflags(self, abi):
        s = self.settings(abi)
        flags = list(CFLAGS) + _macro_flags(s['define_macros'])
        flags += ['-I%s' % d for d in s['include_dirs']]
        # CFLAGS first so that hpy.devel's own flags (e.g. -fvisibility=hidden)
        # are kept; drop optimisation flags that would slow the tests down.
        flags += [a for a in s['extra_compile_args'] if not a.startswith('-O')]
        return flags

    def runtime_objects(self, abi):
        """The extension-side C helpers compiled for `abi`, as .o files."""
        if abi in self._runtime_objs:
            return self._runtime_objs[abi]
        s = self.settings(abi)
        flags = self._cflags(abi)
        objs = []
        for src in s['extra_sources']:
            text = Path(src).read_bytes()
            key = hashlib.sha256(text + repr(flags).encode()).hexdigest()[:16]
            obj = self.cache_dir / 'runtime' / abi / ('%s-%s.o' % (Path(src).stem, key))
            with _locked(obj):
                if not obj.exists():
                    tmp = obj.with_suffix('.tmp.o')
                    _run([CC, '-c'] + flags + [src, '-o', str(tmp)])
                    os.replace(str(tmp), str(obj))
            objs.append(str(obj))
        self._runtime_objs[abi] = objs
        return objs

    # -- compiling one module ---------------------------------------------
    def _link_cmd(self, abi, c_file, out):
        s = self.settings(abi)
        cmd = [CC, '-shared'] + self._cflags(abi) + [str(c_file)]
        cmd += self.runtime_objects(abi)
        cmd += s['extra_objects'] + s['extra_link_args']
        cmd += ['-o', str(out)]
        return cmd

    def compile_source(self, source, name, abi, filename=None):
        """Compile a complete C module source for `abi`; return its path.

        `filename` overrides the output file name (default: name + the ABI's
        extension suffix)."""
        s = self.settings(abi)
        fname = filename or (name + s['ext_suffix'])
        key = hashlib.sha256(
            '\0'.join([source, name, abi, fname]).encode()).hexdigest()[:20]
        outdir = self.cache_dir / 'mods' / key
        out = outdir / fname
        with _locked(outdir / 'build'):
            if not out.exists():
                outdir.mkdir(parents=True, exist_ok=True)
                c_file = outdir / (name + '.c')
                c_file.write_text(source)
                tmp = outdir / ('.tmp-' + fname)
                _run(self._link_cmd(abi, c_file, tmp))
                os.replace(str(tmp), str(out))
        return out

    def compile_plain(self, source, filename, extra_flags=()):
        """Compile C code that does not use hpy.h into a shared library."""
        key = hashlib.sha256((source + filename + repr(extra_flags)).encode()
                             ).hexdigest()[:20]
        outdir = self.cache_dir / 'plain' / key
        out = outdir / filename
        with _locked(outdir / 'build'):
            if not out.exists():
                outdir.mkdir(parents=True, exist_ok=True)
                c_file = outdir / 'src.c'
                c_file.write_text(source)
                tmp = outdir / ('.tmp-' + filename)
                _run([CC, '-shared', '-fPIC', '-O0'] + list(extra_flags)
                     + [str(c_file), '-o', str(tmp)])
                os.replace(str(tmp), str(out))
        return out

    def compile_module(self, src, hpy_abi, name='mytest', also=()):
        """Expand and compile a snippet for the ABI mode `hpy_abi`.

        `also` lists other ABI modes to compile concurrently (their files
        land in the cache for later tests)."""
        source = expand_template(src, name)
        abis = [compile_abi(hpy_abi)]
        abis += [compile_abi(a) for a in also if compile_abi(a) not in abis]
        if len(abis) == 1:
            path = self.compile_source(source, name, abis[0])
        else:
            for abi in abis:            # settings + helpers first, serially
                self.runtime_objects(abi)
            with ThreadPoolExecutor(len(abis)) as pool:
                futs = [pool.submit(self.compile_source, source, name, abi)
                        for abi in abis]
                path = futs[0].result()
                for f in futs[1:]:
                    f.result()
        return HPyModule(name, path, hpy_abi)

    # -- loading ----------------------------------------------------------
    def load_module(self, module):
        return load_extension(module.name, module.so_filename, module.hpy_abi)


def load_extension(name, path, hpy_abi):
    """Load an extension file the way its ABI mode requires.

    The module is not put into sys.modules."""
    path = str(path)
    mode = ABI_MODES[hpy_abi][1]
    if mode is None:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules.pop(name, None)
        return mod
    import hpy.universal
    spec = importlib.machinery.ModuleSpec(name, None, origin=path)
    return hpy.universal.load(name, path, spec,
                              mode=getattr(hpy.universal, mode))


# ---------------------------------------------------------------------------
# Running code in a fresh interpreter
# ---------------------------------------------------------------------------

def run_python(code, cwd=None, env=None, timeout=120, python=None):
    """Run `code` with a fresh interpreter; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop('PYTHONPATH', None)
    if env:
        full_env.update(env)
    return subprocess.run([python or sys.executable, '-c', textwrap.dedent(code)],
                          cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout)


def session_cache_dir(tmp_path_factory):
    """A directory shared by every xdist worker of this pytest session."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        base = base.parent            # the workers' common parent
    d = base / 'hpy-build-cache'
    d.mkdir(parents=True, exist_ok=True)
    return d


# ---------------------------------------------------------------------------
# The examples of examples/, built as a user builds them
# ---------------------------------------------------------------------------

EXAMPLE_ABIS = ['cpython', 'universal', 'hybrid']


def build_example_in_every_abi(name, files, tmp_path_factory):
    """{abi: directory}: examples/NAME (its `files`) built in place with its
    setup.py for each ABI, the three setuptools builds running at once.
    Raises AssertionError with the build output if any build fails."""
    source = REPO_ROOT / 'examples' / name
    dirs, procs = {}, {}
    for abi in EXAMPLE_ABIS:
        d = tmp_path_factory.mktemp('%s-%s' % (name, abi))
        for f in files:
            shutil.copy(str(source / f), str(d / f))
        dirs[abi] = d
        procs[abi] = subprocess.Popen(
            [sys.executable, 'setup.py', '--hpy-abi=' + abi, 'build_ext', '--inplace'],
            cwd=str(d), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True)
    failures = {}
    for abi, p in procs.items():
        out = p.communicate(timeout=600)[0]
        if p.returncode != 0:
            failures[abi] = out
    assert not failures, 'building examples/%s failed:\n%s' % (name, '\n'.join(
        '--- %s ---\n%s' % item for item in failures.items()))
    return dirs


def run_example_script(cwd, script, *args):
    """Runs `script --json ARGS` of an example in `cwd` with a fresh
    interpreter; returns the JSON object it prints last."""
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    p = subprocess.run([sys.executable, script, '--json'] + list(args),
                       cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])

