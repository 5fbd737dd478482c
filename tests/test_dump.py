"""_HPy_Dump: a description of an object on sys.stderr, for debugging."""
import pytest

SRC = r"""
    HPyDef_METH(dump, "dump", HPyFunc_O)
    static HPy dump_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        _HPy_Dump(ctx, arg);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(dump_null, "dump_null", HPyFunc_NOARGS)
    static HPy dump_null_impl(HPyContext *ctx, HPy self)
    {
        _HPy_Dump(ctx, HPy_NULL);
        return HPy_Dup(ctx, ctx->h_None);
    }

    @EXPORT(dump)
    @EXPORT(dump_null)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='dump_')


def _fields(text):
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(':')
        fields[key.strip()] = value.strip()
    return fields


def test_dump(m, capsys):
    obj = [1, 'two']
    assert m.dump(obj) is None
    out = capsys.readouterr()
    assert out.out == ''
    f = _fields(out.err)
    assert f['object repr'] == "[1, 'two']"
    assert f['object type name'] == "<class 'list'>"
    assert int(f['object address'], 16) == id(obj)
    assert int(f['object type'], 16) == id(list)
    assert int(f['object refcount']) >= 2


def test_dump_null(m, capsys):
    m.dump_null()
    assert 'NULL' in capsys.readouterr().err
