"""Use the two types of the vec example and print what each step gives.

    python try_vec.py                 # import vec from the current directory
    python try_vec.py --load FILE     # load FILE (a universal or hybrid build)
                                      # with hpy.universal.load
    python try_vec.py --json          # machine-readable output (the tests)
"""
import argparse
import gc
import json
import sys
import weakref


def steps(vec):
    Vec, Node = vec.Vec, vec.Node

    class Vec3(Vec):
        """A Python subclass of the HPy type, with an attribute of its own."""
        def __new__(cls, x=0.0, y=0.0, z=0.0):
            self = super().__new__(cls, x, y)
            self.z = z
            return self

        def __repr__(self):
            return 'Vec3(%g, %g, %g)' % (self.x, self.y, self.z)

    def cycle_is_collected():
        a = Node('a')
        b = Node('b', a)
        a.next = b          # a -> b -> a: only the GC can free them
        probe = weakref.ref(a)
        del a, b
        gc.collect()
        return probe() is None

    def moved():
        v = Vec(1, 2)
        v.x += 10
        return v

    return [
        ('Vec(3, 4)', lambda: Vec(3, 4)),
        ('Vec(3, 4).length', lambda: Vec(3, 4).length),
        ('Vec(1, 2) + Vec(10, 20)', lambda: Vec(1, 2) + Vec(10, 20)),
        ('Vec(1, 2) - Vec(10, 20)', lambda: Vec(1, 2) - Vec(10, 20)),
        ('Vec(1, 2) * 3', lambda: Vec(1, 2) * 3),
        ('0.5 * Vec(1, 2)', lambda: 0.5 * Vec(1, 2)),
        ('-Vec(1, 2)', lambda: -Vec(1, 2)),
        ('Vec(1, 2).dot(Vec(3, 4))', lambda: Vec(1, 2).dot(Vec(3, 4))),
        ('list(Vec(5, 6))', lambda: list(Vec(5, 6))),
        ('len(Vec())', lambda: len(Vec())),
        ('bool(Vec()), bool(Vec(y=1))', lambda: (bool(Vec()), bool(Vec(y=1)))),
        ('Vec(1, 2) == Vec(1, 2)', lambda: Vec(1, 2) == Vec(1, 2)),
        ('v = Vec(1, 2); v.x += 10', moved),
        ('Vec3(1, 2, 3)', lambda: Vec3(1, 2, 3)),
        ('Vec3(1, 2, 3) + Vec(1, 1)', lambda: Vec3(1, 2, 3) + Vec(1, 1)),
        ('Node(1, Node(2, Node(3))).to_list()',
         lambda: Node(1, Node(2, Node(3))).to_list()),
        ('a cycle of two Nodes is collected', cycle_is_collected),
        ("legacy_fsum([0.5, 1.5, 2])",
         lambda: vec.legacy_fsum([0.5, 1.5, 2]) if hasattr(vec, 'legacy_fsum')
         else 'not in the universal build'),
        # errors
        ("Vec('a')", lambda: Vec('a')),
        ('Vec(1, 2) + 1', lambda: Vec(1, 2) + 1),
        ('Vec()[2]', lambda: Vec()[2]),
        ('Vec().dot(1)', lambda: Vec().dot(1)),
        ('Node()', lambda: Node()),
    ]


def results(vec):
    out = []
    for text, step in steps(vec):
        try:
            out.append((text, repr(step())))
        except Exception as e:
            out.append((text, '%s: %s' % (type(e).__name__, e)))
    return out


def load(path):
    import importlib.machinery
    import hpy.universal
    spec = importlib.machinery.ModuleSpec('vec', None, origin=path)
    return hpy.universal.load('vec', path, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--load', metavar='FILE',
                        help='load FILE with hpy.universal.load')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    if args.load:
        vec = load(args.load)
    else:
        sys.path.insert(0, '')
        import vec
    res = results(vec)
    info = {
        'file': getattr(vec, '__file__', None) or args.load,
        'python': '%d.%d.%d' % sys.version_info[:3],
    }
    if args.json:
        print(json.dumps({'info': info, 'results': res}))
        return
    print('    vec loaded from %s (Python %s)' % (info['file'], info['python']))
    width = max(len(text) for text, _ in res)
    for text, value in res:
        print('    %-*s -> %s' % (width, text, value))


if __name__ == '__main__':
    main()
