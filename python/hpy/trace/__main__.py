"""python -m hpy.trace: run a program with its HPy universal modules in trace
mode and print, when it ends, which API functions each module called, by
total time and by count.

    python -m hpy.trace [--json FILE] [--limit N] script.py [args ...]
    python -m hpy.trace [--json FILE] [--limit N] -m module [args ...]

Every universal or hybrid module that the program loads in universal mode
(imported through its stub, or loaded with ``hpy.universal.load``) is loaded
in trace mode instead, with a trace context of its own, so the figures are
per module. A module asked for in debug mode stays in debug mode. The
profile goes to stderr, so that the program's own output is unchanged;
``--json FILE`` also writes the raw figures (every context function of
every module: calls and nanoseconds) to FILE.
"""
import json
import os
import runpy
import sys

USAGE = ('usage: python -m hpy.trace [--json FILE] [--limit N] '
         '(script.py | -m module) [args ...]')


class UsageError(Exception):
    pass


def parse_args(argv):
    """(options, kind, target, program args) from the command line."""
    options = {'json': None, 'limit': 15}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ('-h', '--help'):
            print(__doc__.strip())
            raise SystemExit(0)
        if arg == '-m':
            if i + 1 >= len(argv):
                raise UsageError('-m needs a module name')
            return options, 'module', argv[i + 1], argv[i + 2:]
        if arg.startswith('--json'):
            value, i = _option_value(argv, i, '--json')
            options['json'] = value
        elif arg.startswith('--limit'):
            value, i = _option_value(argv, i, '--limit')
            try:
                options['limit'] = int(value)
            except ValueError:
                raise UsageError('--limit needs a number, not %r' % value)
        elif arg.startswith('-'):
            raise UsageError('unknown option %r' % arg)
        else:
            return options, 'script', arg, argv[i + 1:]
        i += 1
    raise UsageError('no script or module to run')


def _option_value(argv, i, name):
    arg = argv[i]
    if arg.startswith(name + '='):
        return arg[len(name) + 1:], i
    if arg != name or i + 1 >= len(argv):
        raise UsageError('%s needs a value' % name)
    return argv[i + 1], i + 1


def collect():
    """The figures of every module loaded in trace mode so far."""
    from hpy.universal import _trace
    modules = []
    for name, counts, durations in _trace._get_module_figures():
        modules.append({'module': name, 'counts': counts,
                        'durations_ns': durations})
    return {'frequency_hz': _trace.get_frequency(), 'modules': modules}


def merge_by_name(modules):
    """One entry per module name (a universal and a hybrid build of one
    module have a trace context each)."""
    merged = {}
    for m in modules:
        into = merged.setdefault(m['module'], {
            'module': m['module'],
            'counts': dict.fromkeys(m['counts'], 0),
            'durations_ns': dict.fromkeys(m['durations_ns'], 0)})
        for key in ('counts', 'durations_ns'):
            for fn, value in m[key].items():
                into[key][fn] += value
    return list(merged.values())


def format_report(figures, limit=15):
    """The profile as text: per module, the functions by time and by count."""
    lines = []
    modules = merge_by_name(figures['modules'])
    if not modules:
        return 'hpy.trace: no HPy module was loaded in trace mode\n'
    for m in modules:
        counts, durations = m['counts'], m['durations_ns']
        called = [fn for fn in counts if counts[fn]]
        total_calls = sum(counts.values())
        total_ns = sum(durations[fn] for fn in called)
        lines.append("HPy trace profile of module '%s': %d calls of %d API "
                     "functions, %.1f us in them"
                     % (m['module'], total_calls, len(called),
                        total_ns / 1e3))
        if not called:
            lines.append('')
            continue
        for title, key in (('by total time', lambda fn: (-durations[fn], -counts[fn], fn)),
                           ('by count', lambda fn: (-counts[fn], -durations[fn], fn))):
            rows = sorted(called, key=key)
            if limit > 0:
                rows = rows[:limit]
            lines.append('  %s:' % title)
            lines.append('    %-36s %12s %14s %12s' % ('function', 'calls', 'total (us)',
                                                      'per call (ns)'))
            for fn in rows:
                lines.append('    %-36s %12d %14.1f %12.0f'
                             % (fn, counts[fn], durations[fn] / 1e3,
                                durations[fn] / counts[fn]))
            if len(rows) < len(called):
                lines.append('    ... %d more (--limit 0 shows all)'
                             % (len(called) - len(rows)))
        lines.append('')
    return '\n'.join(lines)


def run(kind, target, args):
    """Run the program as `python script.py args` / `python -m module args`."""
    if kind == 'script':
        sys.argv = [target] + list(args)
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name='__main__')
    else:
        sys.argv = [target] + list(args)
        sys.path[0] = os.getcwd()
        runpy.run_module(target, run_name='__main__', alter_sys=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        options, kind, target, args = parse_args(argv)
    except UsageError as e:
        print('%s\nhpy.trace: error: %s' % (USAGE, e), file=sys.stderr)
        return 2
    from hpy.universal import _trace
    _trace._trace_all_modules(True)
    try:
        run(kind, target, args)
    finally:
        _trace._trace_all_modules(False)
        figures = collect()
        sys.stdout.flush()
        sys.stderr.write(format_report(figures, options['limit']))
        sys.stderr.flush()
        if options['json']:
            with open(options['json'], 'w') as f:
                json.dump(figures, f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
