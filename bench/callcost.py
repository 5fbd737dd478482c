"""Call one function of a benchmark module N times (run under callgrind).

usage: callcost.py KIND PATH FUNC N
KIND is `cpython` (an ordinary extension) or `universal` (a .hpy0.so loaded
through hpy.universal, whichever implementation is installed).
"""
import importlib.util
import sys


def load(kind, path):
    name = path.rsplit('/', 1)[-1].split('.', 1)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if kind == 'cpython':
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    import hpy.universal
    return hpy.universal.load(name, path, spec)


ARGS = {'noargs': (), 'onearg': (1,), 'varargs': (1, 2), 'add_ints': (1, 2)}


def main():
    kind, path, func, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    f = getattr(load(kind, path), func)
    args = ARGS[func]
    for _ in range(n):
        f(*args)


main()
