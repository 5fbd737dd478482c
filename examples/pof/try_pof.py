"""Call every function of pof and print what each call gives.

    python try_pof.py                 # import pof from the current directory
    python try_pof.py --load FILE     # load FILE (a universal or hybrid build)
                                      # with hpy.universal.load
    python try_pof.py --json          # machine-readable output (the tests)
"""
import argparse
import json
import sys

CALLS = [
    ('do_nothing()', lambda pof: pof.do_nothing()),
    ('double(21)', lambda pof: pof.double(21)),
    ("double('ab')", lambda pof: pof.double('ab')),
    ('double([1, 2])', lambda pof: pof.double([1, 2])),
    ('add_ints(40, 2)', lambda pof: pof.add_ints(40, 2)),
    ('add_ints(-5, 2**62)', lambda pof: pof.add_ints(-5, 2**62)),
    ('add_ints_kw(40, 2)', lambda pof: pof.add_ints_kw(40, 2)),
    ('add_ints_kw(b=2, a=40)', lambda pof: pof.add_ints_kw(b=2, a=40)),
    ('add_ints_kw(40, b=2)', lambda pof: pof.add_ints_kw(40, b=2)),
    ("greet('world')", lambda pof: pof.greet('world')),
    # errors
    ('add_ints(1)', lambda pof: pof.add_ints(1)),
    ('add_ints(1, 2, 3)', lambda pof: pof.add_ints(1, 2, 3)),
    ("add_ints('1', 2)", lambda pof: pof.add_ints('1', 2)),
    ('add_ints(2**63, 0)', lambda pof: pof.add_ints(2**63, 0)),
    ('add_ints(2**62, 2**62)', lambda pof: pof.add_ints(2**62, 2**62)),
    ('add_ints_kw(1, 2, c=3)', lambda pof: pof.add_ints_kw(1, 2, c=3)),
    ('add_ints_kw(1, 2, a=3)', lambda pof: pof.add_ints_kw(1, 2, a=3)),
    ('add_ints_kw(1)', lambda pof: pof.add_ints_kw(1)),
    ('do_nothing(1)', lambda pof: pof.do_nothing(1)),
    ('greet(42)', lambda pof: pof.greet(42)),
]


def results(pof):
    out = []
    for text, call in CALLS:
        try:
            out.append((text, repr(call(pof))))
        except Exception as e:
            out.append((text, '%s: %s' % (type(e).__name__, e)))
    return out


def load(path):
    import importlib.machinery
    import hpy.universal
    spec = importlib.machinery.ModuleSpec('pof', None, origin=path)
    return hpy.universal.load('pof', path, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--load', metavar='FILE',
                        help='load FILE with hpy.universal.load')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    if args.load:
        pof = load(args.load)
    else:
        sys.path.insert(0, '')
        import pof
    res = results(pof)
    info = {
        'file': getattr(pof, '__file__', None) or args.load,
        'doc': pof.__doc__,
        'hpy_imported': 'hpy' in sys.modules,
        'python': '%d.%d.%d' % sys.version_info[:3],
    }
    if args.json:
        print(json.dumps({'info': info, 'results': res}))
        return
    print('    pof loaded from %s (Python %s; hpy imported: %s)'
          % (info['file'], info['python'], info['hpy_imported']))
    width = max(len(text) for text, _ in res)
    for text, value in res:
        print('    pof.%-*s -> %s' % (width, text, value))


if __name__ == '__main__':
    main()
