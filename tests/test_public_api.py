"""Every public C function of HPy 0.9 exists, with its exact signature, and
links, in every ABI.

The list is ../shared/hpy-abi/public-api.tsv (name, return type, parameters,
where it lives), beside the repository. From it the test generates a module
that, for each function, checks with a static assertion that `&NAME` has
exactly the type RET (*)(PARAMS) and keeps the address in a table; the
module is then loaded, which resolves every symbol (a helper that is
declared but not compiled into the extension fails to load), and counts the
addresses.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

import support

TABLE = support.REPO_ROOT.parent / 'shared' / 'hpy-abi' / 'public-api.tsv'

# Legacy functions: the hybrid and CPython ABIs only (in the universal ABI a
# call is a compile error, see test_behaviour.py).
LEGACY = {'HPy_AsPyObject', 'HPy_FromPyObject'}


def read_table():
    if not TABLE.is_file():
        pytest.skip('%s not found (it is beside the repository)' % TABLE)
    rows = []
    lines = TABLE.read_text().splitlines()
    assert lines[0].split('\t')[:4] == ['name', 'returns', 'parameters', 'where']
    for line in lines[1:]:
        name, ret, params, where = line.split('\t')[:4]
        rows.append((name, ret, params, where))
    return rows


def functions_for(abi):
    return [r for r in read_table()
            if not (support.compile_abi(abi) == 'universal' and r[0] in LEGACY)]


def pointer_typedef(name, ret, params):
    """typedef RET (*sig_NAME)(PARAMS); gcc makes noreturn part of a
    function pointer's type, so it goes on the pointer too."""
    attr = ''
    if '_HPy_NO_RETURN' in ret:
        ret = ret.replace('_HPy_NO_RETURN', '').strip()
        attr = ' __attribute__((noreturn))'
    return 'typedef %s (*sig_%s)(%s)%s;' % (ret, name, params, attr)


def module_source(rows):
    out = []
    for name, ret, params, _ in rows:
        out.append(pointer_typedef(name, ret, params))
        out.append('_Static_assert(__builtin_types_compatible_p('
                   '__typeof__(&%s), sig_%s), "signature of %s");'
                   % (name, name, name))
    # the addresses, each taken with a pointer of exactly its type
    out.append('typedef void (*any_function)(void);')
    for name, _, _, _ in rows:
        out.append('static const sig_%s ptr_%s = &%s;' % (name, name, name))
    out.append('static any_function const public_api[] = {')
    for name, _, _, _ in rows:
        out.append('    (any_function)ptr_%s,' % name)
    out.append('    NULL')
    out.append('};')
    out.append("""
        /* the variable of struct sequences, with its type */
        static const char *const *const unnamed_field = &HPyStructSequence_UnnamedField;

        HPyDef_METH(count, "count", HPyFunc_NOARGS)
        static HPy count_impl(HPyContext *ctx, HPy self)
        {
            long n = 0;
            for (size_t i = 0; public_api[i] != NULL; i++)
                n++;
            if (*unnamed_field == NULL)
                return HPy_NULL;
            return HPyLong_FromLong(ctx, n);
        }
        @EXPORT(count)
        @INIT
    """)
    return '\n'.join(out)


def mismatches(compiler, source, abi):
    """Compile `source` (syntax only, every error reported); return the
    names of the functions whose signature or declaration is wrong."""
    src_file = compiler.cache_dir / ('public_api_%s.c' % abi)
    src_file.write_text(source)
    flags = [f for f in compiler._cflags(abi) if f != '-Wfatal-errors']
    proc = subprocess.run([support.CC, '-fsyntax-only', '-fmax-errors=0']
                          + flags + [str(src_file)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True,
                          env=dict(os.environ, LC_ALL='C'))
    if proc.returncode == 0:
        return {}
    bad = {}
    for m in re.finditer(r'static assertion failed: "signature of (\w+)"',
                         proc.stdout):
        bad[m.group(1)] = 'wrong signature'
    for m in re.finditer(r"['\u2018](\w+)['\u2019] undeclared", proc.stdout):
        bad[m.group(1)] = 'not declared'
    assert bad, 'the generated module does not compile:\n' + proc.stdout
    return bad


def test_table_is_complete():
    rows = read_table()
    names = [r[0] for r in rows]
    assert len(names) == len(set(names)) == 206
    assert {r[3] for r in rows} == {'context', 'inline', 'helper'}


def test_every_public_function(compiler, hpy_abi):
    abi = support.compile_abi(hpy_abi)
    rows = functions_for(abi)
    expanded = support.expand_template(module_source(rows), 'public_api')
    bad = mismatches(compiler, expanded, abi)
    # link and load the others, so that this run checks them all even when
    # some signatures differ
    good = [r for r in rows if r[0] not in bad]
    path = compiler.compile_source(
        support.expand_template(module_source(good), 'public_api'),
        'public_api', abi)
    mod = support.load_extension('public_api', path, hpy_abi)
    assert mod.count() == len(good)
    assert not bad, '%d of %d public functions differ from public-api.tsv: %s' % (
        len(bad), len(rows),
        ', '.join('%s (%s)' % kv for kv in sorted(bad.items())))


def test_check_catches_wrong_entries(compiler):
    # the check itself: a wrong parameter, a wrong return type and a missing
    # function are each reported by name
    rows = [
        ('HPyLong_FromLong', 'HPy', 'HPyContext *ctx, int l', 'inline'),
        ('HPy_Dup', 'void', 'HPyContext *ctx, HPy h', 'context'),
        ('HPyNoSuch_Function', 'HPy', 'HPyContext *ctx', 'helper'),
        ('HPy_Close', 'void', 'HPyContext *ctx, HPy h', 'context'),
    ]
    src = support.expand_template(module_source(rows), 'public_api')
    assert mismatches(compiler, src, 'universal') == {
        'HPyLong_FromLong': 'wrong signature',
        'HPy_Dup': 'wrong signature',
        'HPyNoSuch_Function': 'not declared',
    }
