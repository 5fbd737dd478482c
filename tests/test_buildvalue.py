"""HPy_BuildValue: every format unit, nesting, and the error cases."""
import pytest

# (format, C values, expected Python value)
CASES = [
    ('', None, None),
    ('i', '42', 42),
    ('i', '-1', -1),
    ('i', 'INT_MIN', -2**31),
    ('i', 'INT_MAX', 2**31 - 1),
    ('I', '33', 33),
    ('I', 'UINT_MAX', 2**32 - 1),
    ('l', '-876L', -876),
    ('l', 'LONG_MIN', -2**63),
    ('l', 'LONG_MAX', 2**63 - 1),
    ('k', 'ULONG_MAX', 2**64 - 1),
    ('L', '-344LL', -344),
    ('L', 'LLONG_MIN', -2**63),
    ('K', 'ULLONG_MAX', 2**64 - 1),
    ('f', '0.25f', 0.25),
    ('d', '0.1', 0.1),
    ('d', '-1e300', -1e300),
    ('s', '"test string"', 'test string'),
    ('s', '"h\\xc3\\xa9"', 'h\xe9'),
    ('ii', '-1, 1', (-1, 1)),
    ('i, i', '-1, 1', (-1, 1)),
    ('()', None, ()),
    ('(i)', '-1', (-1,)),
    ('(ii)', '-1, 1', (-1, 1)),
    ('[]', None, []),
    ('[ii]', '4, 2', [4, 2]),
    ('[is]', '4, "2"', [4, '2']),
    ('{}', None, {}),
    ('{s:i}', '"a", 1', {'a': 1}),
    ('{s:i, i:s}', '"a", 1, 2, "b"', {'a': 1, 2: 'b'}),
    ('[(is)((f)[kk])i]', '4, "str", 0.25, 4, 2, 14267',
     [(4, 'str'), ((0.25,), [4, 2]), 14267]),
    ('{s:[i(d)]}', '"k", 1, 2.5', {'k': [1, (2.5,)]}),
    # nesting deeper than the one-pass check follows (8), and more
    # containers than it records the counts of (16): the same values
    ('(' * 10 + 'i' + ')' * 10, '7', ((((((((((7,),),),),),),),),),)),
    ('[' + '(i),' * 18 + '[ii]]', ', '.join(map(str, range(20))),
     [(i,) for i in range(18)] + [[18, 19]]),
    ('(s#y#i)', '"abc", (HPy_ssize_t)2, "xyz", (HPy_ssize_t)1, 5', ('ab', b'x', 5)),
    ('cC', "'a', 0x263A", (b'a', '\u263a')),
    # more values than the builder's stack holds without malloc (16), at
    # the top level, in a container, and below a container
    ('i' * 40, ', '.join(map(str, range(40))), tuple(range(40))),
    ('[' + 'i' * 20 + ']', ', '.join(map(str, range(20))), list(range(20))),
    ('(' + 'l' * 17 + '{s:(ii)}[' + 'n' * 17 + '])',
     ', '.join(['7L'] * 17 + ['"k"', '1', '2'] + ['(HPy_ssize_t)3'] * 17),
     tuple([7] * 17) + ({'k': (1, 2)}, [3] * 17)),
]

# (format, C values, message of the SystemError)
ERRORS = [
    ('(q)', '42', "bad format char 'q' in the format string passed to HPy_BuildValue"),
    ('(i', '42', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('[i', '42', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('{s:i', '"a", 42', "unmatched '{' in the format string passed to HPy_BuildValue"),
    ('([(i)k', '42, 43', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('(i]', '42', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('[i)', '42', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('{s}', '"a"', "missing ':' in the format string passed to HPy_BuildValue"),
    ('{s:i s:i}', '"a", 1, "b", 2', "missing ',' in the format string passed to HPy_BuildValue"),
    ('{,s:i}', '"a", 1', "unexpected ',' in the format string passed to HPy_BuildValue"),
    ('(' * 10 + 'i' + ')' * 9 + ']', '1',
     "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('(' * 10 + 'i' + ')' * 9, '1', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('{s:}', '"a"', "bad format char '}' in the format string passed to HPy_BuildValue"),
    ('(i)q', '1', "bad format char 'q' in the format string passed to HPy_BuildValue"),
    # an unmatched bracket wins over any other error, wherever it is: the
    # error does not depend on the values passed
    ('(q)(i', '1', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('[{s}]]', '"a"', "unmatched ']' in the format string passed to HPy_BuildValue"),
    ('(O', 'HPy_NULL', "unmatched '(' in the format string passed to HPy_BuildValue"),
    ('[iN)', '1, HPy_NULL', "unmatched '[' in the format string passed to HPy_BuildValue"),
    ('(C)(', '0x110000', "unmatched '(' in the format string passed to HPy_BuildValue"),
]


def _module_source():
    """One function, run(i), returns HPy_BuildValue(...) of case i (one
    function rather than one per case: each module function of a universal
    module takes a call thunk of the runtime's pool)."""
    lines = ['#include <limits.h>',
             'HPyDef_METH(run, "run", HPyFunc_O)',
             'static HPy run_impl(HPyContext *ctx, HPy self, HPy arg)',
             '{',
             '    switch (HPyLong_AsLong(ctx, arg)) {']
    all_cases = [(f, v) for f, v, _ in CASES] + [(f, v) for f, v, _ in ERRORS]
    for i, (fmt, values) in enumerate(all_cases):
        c_fmt = fmt.replace('\\', '\\\\').replace('"', '\\"')
        vals = '' if values is None else ', ' + values
        lines.append('    case %d: return HPy_BuildValue(ctx, "%s"%s);' % (i, c_fmt, vals))
    lines += ['    }',
              '    if (!HPyErr_Occurred(ctx))',
              '        HPyErr_SetString(ctx, ctx->h_IndexError, "no such case");',
              '    return HPy_NULL;',
              '}']
    lines.append("""
        /* O and S: the handle is duplicated, never stolen */
        HPyDef_METH(fmt_O, "fmt_O", HPyFunc_O)
        static HPy fmt_O_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_BuildValue(ctx, "O", arg);
        }
        HPyDef_METH(fmt_S, "fmt_S", HPyFunc_O)
        static HPy fmt_S_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_BuildValue(ctx, "S", arg);
        }
        HPyDef_METH(fmt_OO, "fmt_OO", HPyFunc_O)
        static HPy fmt_OO_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_BuildValue(ctx, "(OO)[O]{O:O}", arg, arg, arg, arg, arg);
        }
        HPyDef_METH(new_objects, "new_objects", HPyFunc_O)
        static HPy new_objects_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy o = HPyLong_FromLong(ctx, 42);
            HPy result;
            if (HPyLong_AsLong(ctx, arg))
                result = HPy_BuildValue(ctx, "O", o);
            else
                result = HPy_BuildValue(ctx, "(dO)", 0.25, o);
            HPy_Close(ctx, o);
            return result;
        }
        /* null_O(flag): HPy_NULL passed for 'O'; with flag an exception
           is already set and must be kept */
        HPyDef_METH(null_O, "null_O", HPyFunc_VARARGS)
        static HPy null_O_impl(HPyContext *ctx, HPy self,
                               const HPy *args, size_t nargs)
        {
            if (HPyLong_AsLong(ctx, args[0]))
                HPyErr_SetString(ctx, ctx->h_ValueError, "the first error");
            if (HPyLong_AsLong(ctx, args[1]))
                return HPy_BuildValue(ctx, "(iO)", 42, HPy_NULL);
            return HPy_BuildValue(ctx, "O", HPy_NULL);
        }
        /* fails_late(obj): fails after obj went into containers that are
           not finished; nothing may keep a reference to it */
        HPyDef_METH(fails_late, "fails_late", HPyFunc_O)
        static HPy fails_late_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            HPy r;
            int which = 0;
            for (which = 0; which < 3; which++) {
                if (which == 0)
                    r = HPy_BuildValue(ctx, "[O(OO{O:O})C]", arg, arg, arg,
                                       arg, arg, 0x110000);
                else if (which == 1)
                    r = HPy_BuildValue(ctx, "O{O:(OC)}", arg, arg, arg, -1);
                else
                    r = HPy_BuildValue(ctx, "OOOOOOOOOOOOOOOOOOOO(OO[OO(N)])",
                                       arg, arg, arg, arg, arg, arg, arg, arg,
                                       arg, arg, arg, arg, arg, arg, arg, arg,
                                       arg, arg, arg, arg, arg, arg, arg, arg,
                                       arg);
                if (!HPy_IsNull(r))
                    return r;
                if (!HPyErr_ExceptionMatches(ctx, which < 2 ? ctx->h_ValueError
                                                            : ctx->h_SystemError))
                    return HPy_NULL;
                HPyErr_Clear(ctx);
            }
            return HPy_Dup(ctx, ctx->h_None);
        }
        HPyDef_METH(fmt_N, "fmt_N", HPyFunc_O)
        static HPy fmt_N_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_BuildValue(ctx, "N", arg);
        }
    """)
    lines += ['@EXPORT(%s)' % f for f in
              ('run', 'fmt_O', 'fmt_S', 'fmt_OO', 'new_objects', 'null_O', 'fmt_N',
               'fails_late')]
    lines.append('@INIT')
    return '\n'.join(lines)


SRC = _module_source()


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='buildvalue')


def test_formats(m):
    failures = []
    for i, (fmt, values, expected) in enumerate(CASES):
        got = m.run(i)
        if got != expected or type(got) is not type(expected):
            failures.append((fmt, values, expected, got))
    assert failures == []


def test_bad_formats(m):
    failures = []
    for j, (fmt, _, msg) in enumerate(ERRORS):
        try:
            m.run(len(CASES) + j)
        except SystemError as e:
            if msg not in str(e):
                failures.append((fmt, msg, str(e)))
        else:
            failures.append((fmt, msg, 'no SystemError'))
    assert failures == []


def test_O_and_S(m):
    import sys
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(10):
        assert m.fmt_O(obj) is obj
        assert m.fmt_S(obj) is obj
        assert m.fmt_OO(1) == ((1, 1), [1], {1: 1})
    assert sys.getrefcount(obj) == before


def test_O_with_new_object(m):
    assert m.new_objects(0) == (0.25, 42)
    assert m.new_objects(1) == 42


def test_O_with_null(m):
    for nested in (0, 1):
        with pytest.raises(SystemError) as e:
            m.null_O(0, nested)
        assert 'HPy_NULL object passed to HPy_BuildValue' in str(e.value)
        with pytest.raises(ValueError, match='the first error'):
            m.null_O(1, nested)


def test_N_is_refused(m):
    # HPy never steals handles: 'N' is not supported
    with pytest.raises(SystemError, match="'N'"):
        m.fmt_N(object())


def test_failure_releases_what_was_built(m):
    # a unit failing after others went into unfinished containers (and
    # with more values than the builder holds without malloc): everything
    # built is released, the exception is the unit's
    import sys
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(10):
        assert m.fails_late(obj) is None
    assert sys.getrefcount(obj) == before
