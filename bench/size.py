"""How many bytes HPy's CPython ABI adds to the proof-of-concept module.

Builds examples/pof/pof.c as a CPython-ABI extension (with hpy.devel's
settings, linking libhpy_cpython.a) and bench/pof_capi.c, the same module
written against the plain C-API, both with -O2, strips them and prints the
sizes, with the part that comes from libhpy_cpython.a (the Rust code in the
extension) and from the C helpers (HPyArg_Parse & co., which the C-API
version gets from libpython instead), and how far the executable segment
is from the next page boundary: the linker gives each segment whole pages
of the file, so code that crosses a boundary adds 4 KB to the stripped
file at once, and code that stays below one adds nothing.

    python bench/size.py
"""
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CC = os.environ.get('CC', 'cc')


def build_unstripped(out, sources, include_dirs, macros=(), extra=()):
    cmd = [CC, '-shared', '-fPIC', '-O2', '-fvisibility=hidden', '-Wl,--gc-sections',
           '-ffunction-sections', '-fdata-sections', '-o', str(out)]
    cmd += ['-I' + str(d) for d in include_dirs] + ['-D' + m for m in macros]
    subprocess.run(cmd + [str(s) for s in sources] + list(extra), check=True)
    return out


def build(out, *args):
    """Builds and strips; returns the file size."""
    subprocess.run(['strip', str(build_unstripped(out, *args))], check=True)
    return out.stat().st_size


def text_bytes(path, predicate):
    """Bytes of the functions in `path` (unstripped) whose names match."""
    out = subprocess.run(['nm', '--size-sort', '-S', str(path)], check=True,
                         capture_output=True, text=True).stdout
    return sum(int(f[1], 16) for f in (line.split() for line in out.splitlines())
               if len(f) == 4 and f[2] in 'tT' and predicate(f[3]))


def exec_segment(path):
    """Size of the executable LOAD segment of `path` (readelf -lW)."""
    out = subprocess.run(['readelf', '-lW', str(path)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        # LOAD Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
        if f and f[0] == 'LOAD' and 'E' in f[6:-1]:
            return int(f[4], 16)
    raise RuntimeError(f'no executable segment in {path}')


def main():
    from hpy.devel import get_build_settings
    s = get_build_settings('cpython')
    macros = [m if v is None else f'{m}={v}' for m, v in s.define_macros]
    pyinc = sysconfig.get_paths()['include']
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        capi = build(tmp / 'capi.so', [HERE / 'pof_capi.c'], [pyinc])
        hpy = build(tmp / 'hpy.so', [ROOT / 'examples/pof/pof.c', *s.sources], s.include_dirs,
                    macros, [*s.extra_objects, *s.extra_link_args])
        # the same once more, unstripped, to attribute the code to its origin
        unstripped = build_unstripped(tmp / 'hpy-unstripped.so', [ROOT / 'examples/pof/pof.c', *s.sources],
                                      s.include_dirs, macros, [*s.extra_objects, *s.extra_link_args])
        rust = text_bytes(unstripped, lambda n: n.startswith(('ctx_', '_HPyModuleDef', '_ZN')))
        helper_names = set()
        for src in s.sources:  # the functions each C helper source defines
            obj = tmp / (Path(src).stem + '.o')
            subprocess.run([CC, '-c', '-fPIC', '-O2', '-ffunction-sections', '-o', str(obj), src]
                           + ['-I' + str(d) for d in s.include_dirs] + ['-D' + m for m in macros], check=True)
            out = subprocess.run(['nm', '--defined-only', str(obj)], check=True,
                                 capture_output=True, text=True).stdout
            helper_names.update(line.split()[-1] for line in out.splitlines())
        helpers = text_bytes(unstripped, lambda n: n in helper_names)
        segment = exec_segment(unstripped)
        pof_code = text_bytes(unstripped, lambda n: n not in helper_names and not n.startswith(('ctx_', '_HPyModuleDef', '_ZN')))
        capi_code = text_bytes(build_unstripped(tmp / 'capi-unstripped.so', [HERE / 'pof_capi.c'], [pyinc]), lambda n: True)
    print(f'CPython {sys.version.split()[0]}, {CC} -O2, stripped:')
    print(f'  pof, plain C-API:               {capi:>8} bytes')
    print(f'  pof, HPy CPython ABI:           {hpy:>8} bytes  ({hpy - capi:+} bytes)')
    print(f'    code from libhpy_cpython.a:   {rust:>8} bytes')
    print(f'    code of the C helpers:        {helpers:>8} bytes  (argument parsing: libpython has it for the C-API)')
    print(f'    code of pof itself:           {pof_code:>8} bytes  (C-API pof: {capi_code} bytes; the difference is')
    print(f'                                            the trampolines and filling the context\'s handles)')
    page = 4096
    print(f'    executable segment:           {segment:>8} bytes  ({-segment % page} below the next '
          f'{page // 1024} KB page boundary)')


if __name__ == '__main__':
    main()
