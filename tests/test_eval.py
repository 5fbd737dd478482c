"""HPy_Compile_s and HPy_EvalCode: compiling and running Python source."""
import types

import pytest

SRC = r"""
    /* compile(source, filename, kind) */
    HPyDef_METH(compile, "compile", HPyFunc_VARARGS)
    static HPy compile_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        const char *src = HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
        const char *fname = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
        long kind = HPyLong_AsLong(ctx, args[2]);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPy_Compile_s(ctx, src, fname, (HPy_SourceKind)kind);
    }

    /* eval(code, globals, locals) */
    HPyDef_METH(eval, "eval", HPyFunc_VARARGS)
    static HPy eval_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        return HPy_EvalCode(ctx, args[0], args[1], args[2]);
    }

    /* run_expr(): compile and evaluate "x * 2" with x = 21, all in C */
    HPyDef_METH(run_expr, "run_expr", HPyFunc_NOARGS)
    static HPy run_expr_impl(HPyContext *ctx, HPy self)
    {
        HPy code = HPy_Compile_s(ctx, "x * 2", "<c>", HPy_SourceKind_Expr);
        HPy globals, x, res;
        if (HPy_IsNull(code))
            return HPy_NULL;
        globals = HPyDict_New(ctx);
        x = HPyLong_FromLong(ctx, 21);
        HPy_SetItem_s(ctx, globals, "x", x);
        res = HPy_EvalCode(ctx, code, globals, globals);
        HPy_Close(ctx, x);
        HPy_Close(ctx, globals);
        HPy_Close(ctx, code);
        return res;
    }

    @EXPORT(compile)
    @EXPORT(eval)
    @EXPORT(run_expr)
    @INIT
"""

EXPR, FILE, SINGLE = 0, 1, 2     # HPy_SourceKind


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='evalmod')


def test_compile_kinds(m):
    c = m.compile('1 + 2', 'expr.py', EXPR)
    assert type(c) is types.CodeType and c.co_filename == 'expr.py'
    assert eval(c) == 3
    c = m.compile('y = 5\nz = y + 1\n', 'file.py', FILE)
    ns = {}
    assert m.eval(c, ns, ns) is None
    assert ns['y'] == 5 and ns['z'] == 6
    c = m.compile('1 + 1', '<single>', SINGLE)
    assert type(c) is types.CodeType


def test_single_mode_prints_the_value(m, capsys):
    c = m.compile('40 + 2', '<single>', SINGLE)
    m.eval(c, {}, {})
    assert capsys.readouterr().out == '42\n'


def test_eval_code(m):
    c = m.compile('a + b', '<e>', EXPR)
    assert m.eval(c, {'a': 1}, {'b': 2}) == 3
    assert m.run_expr() == 42
    c = m.compile('q = a * 3', '<f>', FILE)
    g, loc = {'a': 'x'}, {}
    m.eval(c, g, loc)
    assert loc == {'q': 'xxx'} and 'q' not in g


def test_errors(m):
    with pytest.raises(SyntaxError) as e:
        m.compile('1 +', 'bad.py', EXPR)
    assert e.value.filename == 'bad.py'
    with pytest.raises(SyntaxError):
        m.compile('x = 1', '<e>', EXPR)       # a statement is no expression
    with pytest.raises(SystemError, match='source kind'):
        m.compile('1', '<e>', 7)
    c = m.compile('undefined_name', '<e>', EXPR)
    with pytest.raises(NameError):
        m.eval(c, {}, {})
    c = m.compile('1 / 0', '<e>', EXPR)
    with pytest.raises(ZeroDivisionError):
        m.eval(c, {}, {})
