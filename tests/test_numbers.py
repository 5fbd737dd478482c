"""The number protocol: HPyNumber_Check, the binary, unary and in-place
operators, HPy_Power / HPy_InPlacePower, HPy_Index / HPy_Long / HPy_Float.

Each operator is compared with the `operator` module on the same operands,
results and exceptions alike."""
import operator

import pytest

SRC = r"""
    typedef HPy (*binop_t)(HPyContext *, HPy, HPy);
    typedef HPy (*unop_t)(HPyContext *, HPy);

    /* in the order of BINOPS in the test */
    static binop_t binops[] = {
        HPy_Add, HPy_Subtract, HPy_Multiply, HPy_MatrixMultiply,
        HPy_FloorDivide, HPy_TrueDivide, HPy_Remainder, HPy_Divmod,
        HPy_Lshift, HPy_Rshift, HPy_And, HPy_Xor, HPy_Or,
        HPy_InPlaceAdd, HPy_InPlaceSubtract, HPy_InPlaceMultiply,
        HPy_InPlaceMatrixMultiply, HPy_InPlaceFloorDivide,
        HPy_InPlaceTrueDivide, HPy_InPlaceRemainder, HPy_InPlaceLshift,
        HPy_InPlaceRshift, HPy_InPlaceAnd, HPy_InPlaceXor, HPy_InPlaceOr,
    };

    /* in the order of UNOPS in the test */
    static unop_t unops[] = {
        HPy_Negative, HPy_Positive, HPy_Absolute, HPy_Invert,
        HPy_Index, HPy_Long, HPy_Float,
    };

    static long op_index(HPyContext *ctx, HPy h, long n)
    {
        long i = HPyLong_AsLong(ctx, h);
        if (i == -1 && HPyErr_Occurred(ctx))
            return -1;
        if (i < 0 || i >= n) {
            HPyErr_SetString(ctx, ctx->h_IndexError, "no such operator");
            return -1;
        }
        return i;
    }

    HPyDef_METH(binop, "binop", HPyFunc_VARARGS)
    static HPy binop_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
    {
        long i = op_index(ctx, args[0], sizeof(binops) / sizeof(binops[0]));
        if (i < 0)
            return HPy_NULL;
        return binops[i](ctx, args[1], args[2]);
    }

    HPyDef_METH(unop, "unop", HPyFunc_VARARGS)
    static HPy unop_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        long i = op_index(ctx, args[0], sizeof(unops) / sizeof(unops[0]));
        if (i < 0)
            return HPy_NULL;
        return unops[i](ctx, args[1]);
    }

    HPyDef_METH(power, "power", HPyFunc_VARARGS)
    static HPy power_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
    {
        return HPy_Power(ctx, args[0], args[1], args[2]);
    }

    HPyDef_METH(inplace_power, "inplace_power", HPyFunc_VARARGS)
    static HPy inplace_power_impl(HPyContext *ctx, HPy self,
                                  const HPy *args, size_t nargs)
    {
        return HPy_InPlacePower(ctx, args[0], args[1], args[2]);
    }

    HPyDef_METH(number_check, "number_check", HPyFunc_O)
    static HPy number_check_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyLong_FromLong(ctx, HPyNumber_Check(ctx, arg));
    }

    @EXPORT(binop)
    @EXPORT(unop)
    @EXPORT(power)
    @EXPORT(inplace_power)
    @EXPORT(number_check)
    @INIT
"""

BINOPS = [
    operator.add, operator.sub, operator.mul, operator.matmul,
    operator.floordiv, operator.truediv, operator.mod, divmod,
    operator.lshift, operator.rshift, operator.and_, operator.xor,
    operator.or_,
    operator.iadd, operator.isub, operator.imul, operator.imatmul,
    operator.ifloordiv, operator.itruediv, operator.imod, operator.ilshift,
    operator.irshift, operator.iand, operator.ixor, operator.ior,
]
UNOPS = [operator.neg, operator.pos, abs, operator.invert, operator.index,
         int, float]
# the dunder method each binary operator tries first
BINOP_DUNDERS = [
    'add', 'sub', 'mul', 'matmul', 'floordiv', 'truediv', 'mod', 'divmod',
    'lshift', 'rshift', 'and', 'xor', 'or',
    'iadd', 'isub', 'imul', 'imatmul', 'ifloordiv', 'itruediv', 'imod',
    'ilshift', 'irshift', 'iand', 'ixor', 'ior',
]


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='numbers')


class Recorder:
    """Answers every operator with (name of the dunder, other operand)."""


def _record(name):
    def method(self, *args):
        return (name,) + args
    return method


for _name in BINOP_DUNDERS + ['pow', 'ipow']:
    setattr(Recorder, '__%s__' % _name, _record(_name))


def _outcome(f, *args):
    try:
        return ('ok', f(*args))
    except Exception as e:
        return ('raise', type(e))


@pytest.mark.parametrize('i', range(len(BINOPS)),
                         ids=[f.__name__ for f in BINOPS])
def test_binary_operators(m, i):
    op = BINOPS[i]
    operands = [(7, 3), (-7, 3), (7.5, 2), (12, 10), (True, 3), (5, 0),
                (2.0, 0.0), ([1], [2]), ('ab', 3), ('a', 'b'), (None, 1),
                (1, 200), (2**70, 3), ({1, 2}, {2, 3})]
    for a, b in operands:
        assert _outcome(m.binop, i, a, b) == _outcome(op, a, b), (a, b)
    # the operator reaches the dunder method of its own kind
    assert m.binop(i, Recorder(), 5) == (BINOP_DUNDERS[i], 5)


def test_inplace_operators_mutate(m):
    iadd = BINOPS.index(operator.iadd)
    imul = BINOPS.index(operator.imul)
    ior = BINOPS.index(operator.ior)
    lst = [1]
    res = m.binop(iadd, lst, [2, 3])
    assert res is lst and lst == [1, 2, 3]
    res = m.binop(imul, lst, 2)
    assert res is lst and lst == [1, 2, 3, 1, 2, 3]
    s = {1}
    res = m.binop(ior, s, {2})
    assert res is s and s == {1, 2}
    # immutable operands: a new object, the operand unchanged
    t = (1,)
    assert m.binop(iadd, t, (2,)) == (1, 2) and t == (1,)
    # without __iadd__, the in-place operator falls back to __add__
    class OnlyAdd:
        def __add__(self, other):
            return 'add'
    assert m.binop(iadd, OnlyAdd(), 1) == 'add'


@pytest.mark.parametrize('i', range(len(UNOPS)),
                         ids=[f.__name__ for f in UNOPS])
def test_unary_operators(m, i):
    op = UNOPS[i]
    for a in [5, -5, 0, 2**80, -2.5, 3.75, '12', 'x', None, [1],
              complex(3, 4)]:
        assert _outcome(m.unop, i, a) == _outcome(op, a), a


def test_unary_results(m):
    assert m.unop(UNOPS.index(operator.neg), 5) == -5
    assert m.unop(UNOPS.index(abs), -2.5) == 2.5
    assert m.unop(UNOPS.index(operator.invert), 5) == -6
    # int before 3.10, where operator.index(True) was True itself
    assert (type(m.unop(UNOPS.index(operator.index), True))
            is type(operator.index(True)))
    assert m.unop(UNOPS.index(int), '12') == 12
    assert m.unop(UNOPS.index(float), '1.5') == 1.5
    with pytest.raises(TypeError):
        m.unop(UNOPS.index(operator.index), 1.5)
    with pytest.raises(ValueError):
        m.unop(UNOPS.index(int), 'x')


def test_power(m):
    assert m.power(2, 10, None) == 1024
    assert m.power(2, 10, 1000) == 24
    assert m.power(2.0, -1, None) == 0.5
    assert m.power(Recorder(), 3, None) == ('pow', 3)
    with pytest.raises(ZeroDivisionError):
        m.power(0, -1, None)
    with pytest.raises(TypeError):
        m.power(2.0, 2, 5)
    with pytest.raises(TypeError):
        m.power('a', 2, None)


def test_inplace_power(m):
    assert m.inplace_power(3, 3, None) == 27
    assert m.inplace_power(3, 3, 5) == 2
    assert m.inplace_power(Recorder(), 4, None) == ('ipow', 4)
    # falls back to __pow__
    class OnlyPow:
        def __pow__(self, other):
            return 'pow'
    assert m.inplace_power(OnlyPow(), 4, None) == 'pow'
    with pytest.raises(TypeError):
        m.inplace_power([], 2, None)


def test_number_check(m):
    for obj in [1, 1.5, True, complex(1, 2), 2**100]:
        assert m.number_check(obj) == 1
    for obj in ['1', b'1', [], None, object()]:
        assert m.number_check(obj) == 0


def test_bad_operator_index(m):
    with pytest.raises(IndexError):
        m.binop(len(BINOPS), 1, 2)
    with pytest.raises(IndexError):
        m.unop(-1, 1)
