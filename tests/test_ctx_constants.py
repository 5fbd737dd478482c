"""The constant handles of the context: ctx->h_None ... every exception,
warning and builtin type is the right Python object."""
import builtins
import types

import pytest

CONSTANTS = [
    ('None', None), ('True', True), ('False', False),
    ('NotImplemented', NotImplemented), ('Ellipsis', Ellipsis),
]
EXCEPTIONS = [
    'BaseException', 'Exception', 'StopAsyncIteration', 'StopIteration',
    'GeneratorExit', 'ArithmeticError', 'LookupError', 'AssertionError',
    'AttributeError', 'BufferError', 'EOFError', 'FloatingPointError',
    'OSError', 'ImportError', 'ModuleNotFoundError', 'IndexError', 'KeyError',
    'KeyboardInterrupt', 'MemoryError', 'NameError', 'OverflowError',
    'RuntimeError', 'RecursionError', 'NotImplementedError', 'SyntaxError',
    'IndentationError', 'TabError', 'ReferenceError', 'SystemError',
    'SystemExit', 'TypeError', 'UnboundLocalError', 'UnicodeError',
    'UnicodeEncodeError', 'UnicodeDecodeError', 'UnicodeTranslateError',
    'ValueError', 'ZeroDivisionError', 'BlockingIOError', 'BrokenPipeError',
    'ChildProcessError', 'ConnectionError', 'ConnectionAbortedError',
    'ConnectionRefusedError', 'ConnectionResetError', 'FileExistsError',
    'FileNotFoundError', 'InterruptedError', 'IsADirectoryError',
    'NotADirectoryError', 'PermissionError', 'ProcessLookupError',
    'TimeoutError',
]
WARNINGS = [
    'Warning', 'UserWarning', 'DeprecationWarning',
    'PendingDeprecationWarning', 'SyntaxWarning', 'RuntimeWarning',
    'FutureWarning', 'ImportWarning', 'UnicodeWarning', 'BytesWarning',
    'ResourceWarning',
]
TYPES = [
    ('BaseObjectType', object), ('TypeType', type), ('BoolType', bool),
    ('LongType', int), ('FloatType', float), ('UnicodeType', str),
    ('TupleType', tuple), ('ListType', list), ('ComplexType', complex),
    ('BytesType', bytes), ('MemoryViewType', memoryview),
    ('CapsuleType', None),          # resolved in the test (no public name)
    ('SliceType', slice), ('DictType', dict),
    ('Builtins', vars(builtins)),   # the builtins dict, as HPy 0.9 gives it
]

ALL = ([(n, v) for n, v in CONSTANTS]
       + [(n, getattr(builtins, n)) for n in EXCEPTIONS + WARNINGS]
       + TYPES)

SRC = """
    HPyDef_METH(get, "get", HPyFunc_O)
    static HPy get_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy all[] = { %s };
        long i = HPyLong_AsLong(ctx, arg);
        if (i == -1 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        if (i < 0 || i >= (long)(sizeof(all) / sizeof(all[0]))) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "no such constant");
            return HPy_NULL;
        }
        if (HPy_IsNull(all[i])) {
            HPyErr_SetString(ctx, ctx->h_SystemError, "null handle");
            return HPy_NULL;
        }
        return HPy_Dup(ctx, all[i]);
    }

    HPyDef_METH(abi_version, "abi_version", HPyFunc_NOARGS)
    static HPy abi_version_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, ctx->abi_version);
    }

    HPyDef_METH(ctx_name, "ctx_name", HPyFunc_NOARGS)
    static HPy ctx_name_impl(HPyContext *ctx, HPy self)
    {
        if (ctx->name == NULL)
            return HPy_Dup(ctx, ctx->h_None);
        return HPyUnicode_FromString(ctx, ctx->name);
    }

    @EXPORT(get)
    @EXPORT(abi_version)
    @EXPORT(ctx_name)
    @INIT
""" % ', '.join('ctx->h_%s' % name for name, _ in ALL)


def _capsule_type():
    import datetime
    capi = getattr(datetime, 'datetime_CAPI', None)
    return type(capi) if capi is not None else None


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='constants')


def test_every_constant_handle(m):
    wrong = []
    for i, (name, expected) in enumerate(ALL):
        if name == 'CapsuleType':
            expected = _capsule_type()
            if expected is None:
                continue
        try:
            got = m.get(i)
        except SystemError:
            wrong.append((name, 'NULL handle'))
            continue
        if got is not expected:
            wrong.append((name, got))
    assert wrong == []


def test_exceptions_can_be_raised(make_module):
    mod = make_module("""
        HPyDef_METH(raise_, "raise_", HPyFunc_NOARGS)
        static HPy raise__impl(HPyContext *ctx, HPy self)
        {
            HPyErr_SetString(ctx, ctx->h_ZeroDivisionError, "boom");
            return HPy_NULL;
        }
        @EXPORT(raise_)
        @INIT
    """)
    with pytest.raises(ZeroDivisionError, match='boom'):
        mod.raise_()


def test_context_fields(m):
    assert m.abi_version() == 0
    name = m.ctx_name()
    assert isinstance(name, str) and name
