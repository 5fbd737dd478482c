"""Call one function of a benchmark module N times (run under callgrind).

usage: callcost.py KIND PATH FUNC N [CALL]
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


ARGS = {'noargs': (), 'onearg': (1,), 'varargs': (1, 2), 'add_ints': (1, 2)}

LOOPS = {
    'star': 'def loop(f, args, n):\n    for _ in range(n):\n        f(*args)\n',
    'direct': 'def loop(f, args, n):\n    for _ in range(n):\n        f(%s)\n',
}


TYPE_OPS = {
    'method': 'o.meth()',
    'len': 'len(o)',
    'getitem': 'o[1]',
    'new': 'T()',
}


def main():
    kind, path, func, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    call = sys.argv[5] if len(sys.argv) > 5 else 'star'
    mod = load(kind, path)
    if func in TYPE_OPS:
        source = ('def loop(T, n):\n    o = T()\n    for _ in range(n):\n        %s\n'
                  % TYPE_OPS[func])
        namespace = {}
        exec(source, namespace)
        namespace['loop'](mod.Obj, n)
        return
    f = getattr(mod, func)
    args = ARGS[func]
    source = LOOPS[call]
    if call == 'direct':
        source %= ', '.join(map(repr, args))
    namespace = {}
    exec(source, namespace)
    namespace['loop'](f, args, n)


main()
