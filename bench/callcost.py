"""Call one function of a benchmark module N times (run under callgrind).

usage: callcost.py KIND PATH FUNC N [CALL [REPEATS]]

With REPEATS, the loop runs REPEATS times more and the script prints the
wall time of each run in nanoseconds per call, one per line (the first,
warm-up run is not timed).

FUNC is a module function (noargs, onearg, varargs, add_ints) or one of the
type operations on the module's type Obj: `method` (o.meth()), `len`
(len(o)), `getitem` (o[1]) and `new` (Obj()).
KIND is `cpython` (an ordinary extension), `universal` (a .hpy0.so loaded
through hpy.universal, whichever implementation is installed), `debug`
(the same file loaded in debug mode) or `trace` (loaded in trace mode).
CALL is how
the loop calls the function:
  star    `f(*args)`: CALL_FUNCTION_EX, i.e. PyObject_Call with a tuple,
          which always goes through the function object's vectorcall;
  direct  `f(1, 2)` written out: a plain CALL, which CPython 3.11+
          specializes for METH_O and METH_FASTCALL builtins into a direct
          call of the PyMethodDef's C function (no vectorcall).
"""
import importlib.util
import sys
import time


def load(kind, path):
    name = path.rsplit('/', 1)[-1].split('.', 1)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if kind == 'cpython':
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    import hpy.universal
    if kind == 'debug':
        return hpy.universal.load(name, path, spec, mode=hpy.universal.MODE_DEBUG)
    if kind == 'trace':
        return hpy.universal.load(name, path, spec, mode=hpy.universal.MODE_TRACE)
    return hpy.universal.load(name, path, spec)


def pyfunc(x):
    return x


# The positional arguments of each function, and its keyword arguments.
ARGS = {
    'noargs': (), 'onearg': (1,), 'varargs': (1, 2), 'add_ints': (1, 2),
    'tuple_pack': (1,), 'tuple_fromarray': (1,), 'list_builder': (1,),
    'build_value': (1,), 'unicode_format': (1,),
    'getitem_i': ([1, 2, 3],), 'setitem_i': ([1, 2, 3],),
    'long_conv': (12345,), 'float_conv': (1.5,),
    'call': (pyfunc, 1), 'richcompare': (1, 2),
    'parse_ll': (1, 2), 'parse_dd': (1.5, 2.5), 'parse_Oi': ('x', 1),
    'parse_sn': ('abc', 7), 'parse_kw': ((1,), {'b': 2}),
}
DIRECT = {'getitem_i': 'L', 'setitem_i': 'L', 'call': 'pyfunc, 1',
          'parse_kw': '1, b=2'}

LOOPS = {
    'star': 'def loop(f, args, n):\n    for _ in range(n):\n        f(*args)\n',
    'star_kw': 'def loop(f, args, n):\n    a, kw = args\n    for _ in range(n):\n        f(*a, **kw)\n',
    'direct': 'def loop(f, args, n):\n    L = [1, 2, 3]\n    for _ in range(n):\n        f(%s)\n',
}


TYPE_OPS = {
    'method': 'o.meth()',
    'len': 'len(o)',
    'getitem': 'o[1]',
    'new': 'T()',
}


def run(loop, arg, n, repeats):
    loop(*arg, n)
    for _ in range(repeats):
        t = time.perf_counter_ns()
        loop(*arg, n)
        print((time.perf_counter_ns() - t) / n)


def main():
    kind, path, func, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    call = sys.argv[5] if len(sys.argv) > 5 else 'star'
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    mod = load(kind, path)
    namespace = {'pyfunc': pyfunc}
    if func in TYPE_OPS:
        source = ('def loop(T, n):\n    o = T()\n    for _ in range(n):\n        %s\n'
                  % TYPE_OPS[func])
        exec(source, namespace)
        run(namespace['loop'], (mod.Obj,), n, repeats)
        return
    f = getattr(mod, func)
    args = ARGS[func]
    source = LOOPS[call]
    if call == 'direct':
        source %= DIRECT.get(func) or ', '.join(map(repr, args))
    elif args and isinstance(args[-1], dict):
        source = LOOPS['star_kw']
    exec(source, namespace)
    run(namespace['loop'], (f, args), n, repeats)


if __name__ == '__main__':
    main()
