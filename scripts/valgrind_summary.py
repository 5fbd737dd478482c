"""Summarises a valgrind memcheck log (scripts/check.sh valgrind): counts the
memory errors (invalid reads and writes, uses of uninitialised values, bad
frees) and the definite leaks, and splits the leaks into those whose stack
passes through hpy-rs (the runtime hpy.universal / hpy_core, the C helpers
or a test extension) and those of CPython alone (it does not free
everything at exit). Prints one line per hpy-rs leak record and a summary
line; exits 1 if there is any memory error or hpy-rs leak.

    python scripts/valgrind_summary.py build/check-logs/valgrind.log
"""
import re
import sys

ERROR_KINDS = ('Invalid read', 'Invalid write', 'Invalid free', 'Mismatched free',
               'Conditional jump', 'Use of uninitialised', 'Syscall param',
               'Source and destination overlap', 'Argument ')
HPY_FRAME = re.compile(r'hpy_universal|hpy_core|hpy_cpython|universal\.cpython|'
                       r'\.hpy0?\.so|_debug\.|/mods/|/runtime/[a-z]+\.c|HPy|hpy::',
                       re.IGNORECASE)


def records(lines):
    """Each valgrind message: its lines (the PID prefix removed)."""
    rec = []
    for line in lines:
        m = re.match(r'^==\d+== ?(.*)$', line)
        if not m:
            continue
        text = m.group(1)
        if not text.strip():
            if rec:
                yield rec
            rec = []
        else:
            rec.append(text)
    if rec:
        yield rec


def main(path):
    errors, ours, theirs = [], [], 0
    with open(path, errors='replace') as f:
        for rec in records(f):
            head = rec[0]
            if head.startswith(ERROR_KINDS):
                errors.append(rec)
            elif 'definitely lost in loss record' in head:
                if any(HPY_FRAME.search(l) for l in rec[1:]):
                    ours.append(rec)
                else:
                    theirs += 1
    for rec in errors:
        print('ERROR: ' + ' | '.join(rec[:8]))
    for rec in ours:
        print('LEAK: ' + ' | '.join(rec[:12]))
    print('memory errors: %d; definite leaks through hpy-rs: %d records; '
          'definite leaks of CPython alone: %d records'
          % (len(errors), len(ours), theirs))
    return 1 if errors or ours else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
