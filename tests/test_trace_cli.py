"""python -m hpy.trace: examples/pof built as a universal module (with its
stub) and run under the profiler, as a script and as a module (-m); the
table names the functions called, with their counts; --json writes them."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

import support

POF_DIR = support.REPO_ROOT / 'examples' / 'pof'

# pof.double(x) calls HPy_Add once, pof.do_nothing() HPy_Dup once.
PROGRAM = """
import sys
import pof
n = int(sys.argv[1])
for i in range(n):
    pof.double(i)
for i in range(2 * n):
    pof.do_nothing()
print('program ran with', sys.argv[1:])
"""

# the same through hpy.universal.load (no stub), as another module name
LOADING_PROGRAM = """
import importlib.util, sys
import hpy.universal
path = sys.argv[1]
spec = importlib.util.spec_from_file_location('loaded.pof', path)
pof = hpy.universal.load('loaded.pof', path, spec)
for i in range(4):
    pof.add_ints(i, 1)
"""


@pytest.fixture(scope='module')
def pof_universal(tmp_path_factory):
    d = tmp_path_factory.mktemp('pof-trace')
    for name in ('pof.c', 'setup.py', 'pyproject.toml'):
        shutil.copy(str(POF_DIR / name), str(d / name))
    p = subprocess.run([sys.executable, 'setup.py', '--hpy-abi=universal',
                        'build_ext', '--inplace'], cwd=str(d),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=600)
    assert p.returncode == 0, p.stdout
    (d / 'program.py').write_text(PROGRAM)
    (d / 'loading.py').write_text(LOADING_PROGRAM)
    return d


def run_trace(cwd, *args, env=None):
    full_env = dict(os.environ)
    full_env.pop('PYTHONPATH', None)
    full_env.pop('HPY', None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, '-m', 'hpy.trace'] + list(args),
                          cwd=str(cwd), env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=120)


def table_rows(report, module):
    """{title: {function: calls}} of the tables of `module` in the report."""
    tables, title, in_module = {}, None, False
    for line in report.splitlines():
        if line.startswith('HPy trace profile of module '):
            in_module = line.startswith("HPy trace profile of module '%s'" % module)
            continue
        if not in_module:
            continue
        m = re.match(r'  (by \w+( \w+)?):$', line)
        if m:
            title = m.group(1)
            tables[title] = {}
            continue
        m = re.match(r'    (ctx_\w+)\s+(\d+)\s+([\d.]+)\s+(\d+)$', line)
        if m and title:
            tables[title][m.group(1)] = int(m.group(2))
    return tables


def test_profile_of_a_script(pof_universal, tmp_path):
    out = tmp_path / 'figures.json'
    p = run_trace(pof_universal, '--json', str(out), 'program.py', '5', '--flag')
    assert p.returncode == 0, p.stderr
    # the program's own output and arguments are untouched
    assert p.stdout == "program ran with ['5', '--flag']\n"
    assert "HPy trace profile of module 'pof'" in p.stderr
    tables = table_rows(p.stderr, 'pof')
    assert set(tables) == {'by total time', 'by count'}
    for rows in tables.values():
        assert rows == {'ctx_Add': 5, 'ctx_Dup': 10}
    # by count: the most called first
    assert list(tables['by count']) == ['ctx_Dup', 'ctx_Add']
    figures = json.loads(out.read_text())
    assert figures['frequency_hz'] > 0
    [pof] = [m for m in figures['modules'] if m['module'] == 'pof']
    called = {k: v for k, v in pof['counts'].items() if v}
    assert called == {'ctx_Add': 5, 'ctx_Dup': 10}
    # every function, in nanoseconds
    assert set(pof['durations_ns']) == set(pof['counts'])
    assert pof['durations_ns']['ctx_Add'] > 0
    assert pof['durations_ns']['ctx_Negative'] == 0


def test_profile_of_a_module(pof_universal):
    p = run_trace(pof_universal, '-m', 'program', '3')
    assert p.returncode == 0, p.stderr
    assert p.stdout == "program ran with ['3']\n"
    for rows in table_rows(p.stderr, 'pof').values():
        assert rows == {'ctx_Add': 3, 'ctx_Dup': 6}


def test_profile_covers_hpy_universal_load(pof_universal):
    so = str(pof_universal / 'pof.hpy0.so')
    p = run_trace(pof_universal, 'loading.py', so)
    assert p.returncode == 0, p.stderr
    rows = table_rows(p.stderr, 'loaded.pof')['by count']
    # add_ints: HPyArg_Parse reads two longs, HPyLong_FromLong builds one
    # (a C long is 64 bits on Linux)
    assert rows == {'ctx_Long_AsInt64_t': 8, 'ctx_Long_FromInt64_t': 4}


def test_profile_when_the_program_fails(pof_universal, tmp_path):
    (tmp_path / 'fails.py').write_text(
        'import pof\npof.double(1)\nraise SystemExit(3)\n')
    env = {'PYTHONPATH': str(pof_universal)}
    p = run_trace(tmp_path, 'fails.py', env=env)
    assert p.returncode == 3
    assert table_rows(p.stderr, 'pof')['by count'] == {'ctx_Add': 1}


def test_explicit_universal_request_is_traced(pof_universal):
    """HPY=pof:universal is traced; other modes requested stay (only
    universal loads are switched)."""
    p = run_trace(pof_universal, 'program.py', '1', env={'HPY': 'pof:universal'})
    assert p.returncode == 0, p.stderr
    assert table_rows(p.stderr, 'pof')['by count'] == {'ctx_Add': 1, 'ctx_Dup': 2}


def test_usage_errors(tmp_path):
    p = run_trace(tmp_path)
    assert p.returncode == 2 and 'usage: python -m hpy.trace' in p.stderr
    p = run_trace(tmp_path, '--bogus', 'x.py')
    assert p.returncode == 2 and "unknown option '--bogus'" in p.stderr
    p = run_trace(tmp_path, '-m')
    assert p.returncode == 2 and '-m needs a module name' in p.stderr


@pytest.mark.parametrize('hpy, traced', [('trace', True), ('pof:trace', True),
                                         ('other:trace,pof:universal', False)])
def test_stub_honours_hpy_trace(pof_universal, hpy, traced):
    code = """
        import pof
        from hpy.universal import _trace
        print(pof.double(2), _trace.get_call_counts()['ctx_Add'])
    """
    p = support.run_python(code, cwd=str(pof_universal),
                           env={'HPY': hpy, 'HPY_LOG': '1'})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split('\n')
    with_trace = ' with a trace context' if traced else ''
    assert lines[0] == "Loading 'pof' in HPy universal mode" + with_trace
    assert lines[1].split()[:2] == ['4', '1' if traced else '0']
