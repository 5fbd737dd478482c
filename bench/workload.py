"""A realistic workload that crosses the API often: a Vec4 type (four
doubles) with element-wise arithmetic and reductions, written once in HPy
(vecwork.c) and once in the C-API (vecwork_capi.c), driven by the same
Python loop. Prints the total wall time of the loop in every mode.

    python bench/workload.py [--reference] [--n 200000] [--repeats 5]

Each variant runs in a process of its own; the loop runs once to warm up,
then REPEATS times, and the median (with min and max) is reported. Every
variant must compute the same result, which is checked.
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def workload(Vec4, n):
    """n iterations; each does 4 arithmetic operations (new instances), 3
    method calls, len(), indexing and an instance creation."""
    a = Vec4(1.0, 2.0, 3.0, 4.0)
    b = Vec4(0.5, 0.25, 0.125, 0.0625)
    total = 0.0
    for i in range(n):
        c = a + b * 0.5
        d = c - a * b
        total += d.dot(b) + c.sum() + c[i & 3] + len(c)
        a = Vec4(*(c * 0.999).totuple())
    return total


def child(kind, path, n, repeats):
    from callcost import load
    Vec4 = load(kind, path).Vec4
    result = workload(Vec4, n)
    print(repr(result))
    for _ in range(repeats):
        t = time.perf_counter()
        workload(Vec4, n)
        print(time.perf_counter() - t)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reference', action='store_true',
                        help='also the reference HPy 0.9.0 runtime')
    parser.add_argument('--n', type=int, default=200000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--child', nargs=2, metavar=('KIND', 'PATH'), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(*opts.child, opts.n, opts.repeats)
        return
    import run
    ref_python = run.reference_venv() if opts.reference else None
    with tempfile.TemporaryDirectory() as tmp:
        built = run.build_all(Path(tmp), ref_python, 'vecwork', 'vecwork_capi')
        print(f'CPython {sys.version.split()[0]}: Vec4 workload, n={opts.n}, '
              f'seconds: median of {opts.repeats} [min-max]')
        results = {}
        capi_time = None
        for variant, (kind, path) in built.items():
            python = ref_python if variant.startswith('ref-') else sys.executable
            proc = subprocess.run([python, __file__, '--n', str(opts.n), '--repeats',
                                   str(opts.repeats), '--child', kind, str(path)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ['?'])[-1]
                print(f'{variant:<18} n/a ({last})')
                continue
            lines = proc.stdout.split()
            results[variant] = lines[0]
            times = sorted(float(x) for x in lines[1:])
            med = times[len(times) // 2]
            if variant == 'capi':
                capi_time = med
            rel = f' ({med / capi_time:.3f})' if variant != 'capi' and capi_time else ''
            print(f'{variant:<18} {med:8.3f} [{times[0]:.3f}-{times[-1]:.3f}]{rel}', flush=True)
        if len(set(results.values())) > 1:
            print('RESULTS DIFFER:', results)
            sys.exit(1)


if __name__ == '__main__':
    main()
