"""Every public API function is called by at least one test snippet.

The list of functions is the union of the context functions of
api/hpy.api (by the C name an extension calls them by) and every function of
../shared/hpy-abi/public-api.tsv (context, inline and helper functions). A
function counts as used when a test's C source calls it: the C sources are
the string literals of tests/*.py that hold C code of a module (a C
function body or a module marker such as @INIT), docstrings left out, and the
files under tests/c/. C comments are removed; a function is used when its
name appears as a whole word (a call, or its address taken). Fragments that
are not code of their own (e.g. the one-line candidates of the
"not implemented" test, of which only one runs) do not count.

A few functions are never written by name because a macro calls them; the
macro's use counts for them (see MACRO_USES and _shape_uses below).
"""
import ast
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = REPO_ROOT / 'tests'
INCLUDE_DIR = REPO_ROOT / 'python' / 'hpy' / 'devel' / 'include'
API_FILE = REPO_ROOT / 'api' / 'hpy.api'
PUBLIC_API_TSV = REPO_ROOT.parent / 'shared' / 'hpy-abi' / 'public-api.tsv'

# function -> macros of hpy.h whose use calls it
MACRO_USES = {
    '_HPy_New': ['HPy_New'],
    'HPy_LeavePythonExecution': ['HPy_BEGIN_LEAVE_PYTHON'],
    'HPy_ReenterPythonExecution': ['HPy_END_LEAVE_PYTHON'],
    # every trampoline made by these calls it in universal mode
    '_HPy_CallRealFunctionFromTrampoline': [
        'HPyDef_METH', 'HPyDef_METH_IMPL', 'HPyDef_SLOT', 'HPyDef_SLOT_IMPL',
        'HPyDef_GET', 'HPyDef_GET_IMPL', 'HPyDef_SET', 'HPyDef_SET_IMPL',
        'HPyDef_GETSET', 'HPyDef_GETSET_IMPL', 'HPyDef_CALL_FUNCTION'],
}

# api/hpy.api: INDEX ctx_NAME  RET NAME(PARAMS) => MAPPING ...
_API_FUNC = re.compile(r'^\s*\d+\s+ctx_\w+\s+(.*?)\(')
# C code of a module: a function body, or a marker of support.expand_template
_SNIPPET = re.compile(r'\)\s*\{|^\s*@(?:INIT|HPy_MODINIT)\b|\bHPy_MODINIT\(', re.M)
_C_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
_HELPERS_MACRO = re.compile(
    r'\bHPyType_HELPERS\(\s*(\w+)\s*(?:,\s*HPyType_BuiltinShape_(\w+)\s*)?\)')
_LEGACY_HELPERS_MACRO = re.compile(r'\bHPyType_LEGACY_HELPERS\(\s*(\w+)\s*\)')


def _require(path):
    if not path.is_file():
        pytest.fail('%s is missing: the coverage test cannot run without it '
                    '(shared/ is expected beside the repository)' % path)
    return path.read_text()


def api_functions():
    """The C names of the context functions of api/hpy.api."""
    names = []
    for line in _require(API_FILE).splitlines():
        line = line.split('#', 1)[0]
        m = _API_FUNC.match(line)
        if m:
            # the declaration's last word before '(' is the name
            names.append(re.findall(r'\w+', m.group(1))[-1])
    assert len(names) > 150, 'api/hpy.api: too few functions found'
    return names


def public_api_functions():
    """The names of public-api.tsv."""
    lines = _require(PUBLIC_API_TSV).splitlines()
    assert lines and lines[0].split('\t')[0] == 'name', \
        '%s: unexpected header' % PUBLIC_API_TSV
    names = [l.split('\t')[0] for l in lines[1:] if l.strip()]
    assert len(names) > 150, '%s: too few functions found' % PUBLIC_API_TSV
    return names


def _docstring_nodes(tree):
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                docs.add(id(body[0].value))
    return docs


def c_sources():
    """The C code of every test, as a list of texts without comments."""
    me = Path(__file__).resolve()
    texts = []
    for path in sorted(TESTS_DIR.rglob('*.py')):
        if path.resolve() == me:
            continue
        tree = ast.parse(path.read_text(), str(path))
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs
                    and _SNIPPET.search(node.value)):
                texts.append(node.value)
    for ext in ('*.c', '*.h'):
        for path in sorted(TESTS_DIR.rglob(ext)):
            texts.append(path.read_text())
    return [_C_COMMENT.sub(' ', t) for t in texts]


def _shape_uses(text):
    """_HPy_AsStruct_SHAPE called through TYPE_AsStruct of HPyType_HELPERS."""
    shapes = {}
    for m in _HELPERS_MACRO.finditer(text):
        shapes[m.group(1)] = m.group(2) or 'Object'
    for m in _LEGACY_HELPERS_MACRO.finditer(text):
        shapes[m.group(1)] = 'Legacy'
    return {'_HPy_AsStruct_' + shape for tname, shape in shapes.items()
            if re.search(r'\b%s_AsStruct\s*\(' % re.escape(tname), text)}


def used_names(texts, names):
    used = set()
    for text in texts:
        used |= _shape_uses(text)
    blob = '\n'.join(texts)
    words = set(re.findall(r'\b\w+\b', blob))
    for name in names:
        if name in words or any(mac in words
                                 for mac in MACRO_USES.get(name, ())):
            used.add(name)
    return used


def all_api_names():
    return sorted(set(api_functions()) | set(public_api_functions()))


def uncovered():
    names = all_api_names()
    return sorted(set(names) - used_names(c_sources(), names))


def test_every_api_function_is_called_by_a_test():
    missing = uncovered()
    assert not missing, (
        '%d API function(s) are called by no test C snippet:\n  %s'
        % (len(missing), '\n  '.join(missing)))


def test_scanner():
    """What the scan counts: names in code, not in comments; macros."""
    texts = [_C_COMMENT.sub(' ', t) for t in [
        'HPy h = HPyList_New(ctx, 0); /* HPyDict_New(ctx) */',
        'HPy o = HPy_New(ctx, cls, &data);',
        'static binop_t ops[] = { HPy_Add, HPy_Or };',
        'typedef struct { long x; } PointObject;\n'
        'HPyType_HELPERS(PointObject, HPyType_BuiltinShape_Long)\n'
        'PointObject *p = PointObject_AsStruct(ctx, h);',
        'HPyType_LEGACY_HELPERS(Leg)',
    ]]
    names = ['HPyList_New', 'HPyDict_New', '_HPy_New', 'HPy_Add', 'HPy_Or',
             'HPy_And', '_HPy_AsStruct_Long', '_HPy_AsStruct_Legacy']
    assert used_names(texts, names) == {
        'HPyList_New', '_HPy_New', 'HPy_Add', 'HPy_Or', '_HPy_AsStruct_Long'}
    # what is a snippet: code with a function body or a module marker
    assert _SNIPPET.search('static HPy f(HPyContext *ctx) { return x; }')
    assert _SNIPPET.search('  @INIT\n')
    assert not _SNIPPET.search('HPy res = HPy_Compile_s(ctx, "1", "f", 0);')


def test_macros_of_the_scan_call_their_functions():
    """Each macro of MACRO_USES is defined in hpy.h's headers, and the header
    that defines it (or the trampolines it reaches) names the function."""
    headers = {p: p.read_text() for p in INCLUDE_DIR.rglob('*.h')}
    for func, macros in MACRO_USES.items():
        for mac in macros:
            defining = [t for t in headers.values()
                        if re.search(r'^\s*#\s*define\s+%s\b' % mac, t, re.M)]
            assert defining, 'macro %s is not defined in %s' % (mac, INCLUDE_DIR)
        assert any(re.search(r'\b%s\b' % func, t) for t in headers.values()
                   if not re.search(r'^\s*HPyAPI_FUNC\b.*\b%s\(' % func, t,
                                    re.M)), func
    for shape in ('Legacy', 'Object', 'Long', 'Dict'):
        assert any('#define HPyType_BuiltinShape_%s_AsStruct' % shape in t
                   and '_HPy_AsStruct_%s' % shape in t
                   for t in headers.values()), shape
