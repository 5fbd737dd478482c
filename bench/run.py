"""Per-call cost of HPy functions, side by side with the plain C-API.

Counts instructions with callgrind (repeatable, unlike wall time): each
variant runs the same Python loop twice, with N and 2N calls, and the
difference divided by N is the cost of one call including the loop.

    python bench/run.py [--reference] [--funcs noargs,onearg,...] [--call star|direct]

`--call` says how the loop calls (see callcost.py): `star` (the default),
`f(*args)`, goes through the function object's vectorcall on every CPython;
`direct`, `f(1, 2)`, is specialized by CPython 3.11+ for METH_O and
METH_FASTCALL functions into a direct call of their C function. The hash
seed is fixed (PYTHONHASHSEED=0), so that dict lookups cost the same in
every run.

Variants: `capi` (hand-written C-API), `hpy-cpython` (hpy_bench.c in the
CPython ABI), `hpy-universal` (the same source as NAME.hpy0.so, loaded by
hpy-rs) and `hpy-trace` (that file loaded in trace mode; its last column
is its cost over `hpy-universal`'s, measured in the same run). With --reference, also the reference HPy 0.9.0 runtime from PyPI
(installed into build/bench/ref-venv for this interpreter): `ref-universal`
(its headers and runtime) and `ref-runtime+ours` (our .hpy0.so loaded by
it: binary compatibility). Needs valgrind, a C compiler and hpy-rs
installed in this interpreter.
"""
import argparse
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FUNCS = ['noargs', 'onearg', 'varargs', 'add_ints']
TYPE_OPS = ['method', 'len', 'getitem', 'new']


def compile_ext(source, out, include_dirs, macros=(), sources=(), extra_objects=(), link_args=()):
    cmd = [os.environ.get('CC', 'cc'), '-shared', '-fPIC', '-O2', '-fvisibility=hidden']
    cmd += ['-I' + str(d) for d in include_dirs]
    cmd += ['-D' + m for m in macros]
    cmd += [str(source), *map(str, sources), *map(str, extra_objects), *link_args, '-o', str(out)]
    subprocess.run(cmd, check=True)
    return out


def build_all(tmp, reference_python):
    from hpy.devel import get_build_settings
    suffix = sysconfig.get_config_var('EXT_SUFFIX')
    pyinc = sysconfig.get_paths()['include']
    built = {'capi': ('cpython', compile_ext(HERE / 'capi_bench.c', tmp / f'capi_bench{suffix}', [pyinc]))}
    for abi, kind, name in [('cpython', 'cpython', f'hpy_bench{suffix}'), ('universal', 'universal', 'hpy_bench.hpy0.so')]:
        s = get_build_settings(abi)
        macros = [m if v is None else f'{m}={v}' for m, v in s.define_macros]
        out = tmp / abi / name
        out.parent.mkdir()
        compile_ext(HERE / 'hpy_bench.c', out, s.include_dirs, macros, s.sources,
                    s.extra_objects, s.extra_link_args)
        built[f'hpy-{abi}'] = (kind, out)
    built['hpy-debug'] = ('debug', built['hpy-universal'][1])
    built['hpy-trace'] = ('trace', built['hpy-universal'][1])
    if reference_python:
        code = ('from hpy.devel import HPyDevel; d = HPyDevel();'
                'print(*d.get_extra_include_dirs(), sep="\\n"); print(*d.get_extra_sources(), sep="\\n")')
        lines = subprocess.run([reference_python, '-c', code], check=True,
                               capture_output=True, text=True).stdout.split()
        out = tmp / 'ref' / 'hpy_bench.hpy0.so'
        out.parent.mkdir()
        includes = [x for x in lines if not x.endswith('.c')]
        sources = [x for x in lines if x.endswith('.c')]
        compile_ext(HERE / 'hpy_bench.c', out, includes, ['HPY_ABI_UNIVERSAL'], sources)
        built['ref-universal'] = ('universal', out)
        built['ref-runtime+ours'] = ('universal', built['hpy-universal'][1])
    return built


def instructions(python, kind, path, func, n, call):
    env = dict(os.environ, PYTHONHASHSEED='0')
    with tempfile.NamedTemporaryFile(suffix='.callgrind') as out:
        subprocess.run(['valgrind', '--tool=callgrind', f'--callgrind-out-file={out.name}',
                        python, str(HERE / 'callcost.py'), kind, str(path), func, str(n), call],
                       check=True, capture_output=True, env=env)
        text = Path(out.name).read_text()
    return int(re.search(r'^(?:summary|totals): (\d+)', text, re.M).group(1))


def per_call(python, kind, path, func, call, n=20000):
    return (instructions(python, kind, path, func, 2 * n, call)
            - instructions(python, kind, path, func, n, call)) / n


def reference_venv():
    venv = ROOT / 'build' / 'bench' / f'ref-venv-{sys.version_info.major}.{sys.version_info.minor}'
    python = venv / 'bin' / 'python'
    if not python.exists():
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
        subprocess.run([str(python), '-m', 'pip', 'install', '-q', 'hpy==0.9.0', 'setuptools'], check=True)
    return str(python)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reference', action='store_true', help='also measure the reference HPy 0.9.0 runtime')
    parser.add_argument('--funcs', default=','.join(FUNCS),
                        help='comma-separated; also: %s, or "types" for all of those, '
                             '"all" for everything' % ','.join(TYPE_OPS))
    parser.add_argument('--call', choices=['star', 'direct'], default='star',
                        help='how the loop calls: f(*args) (default) or f(1, 2)')
    opts = parser.parse_args()
    ref_python = reference_venv() if opts.reference else None
    with tempfile.TemporaryDirectory() as tmp:
        built = build_all(Path(tmp), ref_python)
        funcs = {'types': TYPE_OPS, 'all': FUNCS + TYPE_OPS}.get(opts.funcs) or opts.funcs.split(',')
        loop = 'f(*args)' if opts.call == 'star' else 'f(1, 2)'
        print(f'CPython {sys.version.split()[0]}: instructions per call of {loop} (Python loop included)')
        print(f'{"variant":<18}' + ''.join(f'{f:>18}' for f in funcs))
        base, universal, ratios = {}, {}, []
        for variant, (kind, path) in built.items():
            python = ref_python if variant.startswith('ref-') else sys.executable
            row = f'{variant:<18}'
            for f in funcs:
                cost = per_call(python, kind, path, f, opts.call)
                if variant == 'capi':
                    base[f] = cost
                    row += f'{cost:>18.1f}'
                else:
                    row += f'{cost:>10.1f} ({100 * (cost - base[f]) / base[f]:+5.1f}%)'
                if variant == 'hpy-universal':
                    universal[f] = cost
                elif variant == 'hpy-trace':
                    ratios.append(f'{f} {cost / universal[f]:.2f}x')
            print(row, flush=True)
        if ratios:
            print('hpy-trace / hpy-universal: ' + ', '.join(ratios))


if __name__ == '__main__':
    main()
