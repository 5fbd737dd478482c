"""HPyArg_Parse, HPyArg_ParseKeywords and HPyArg_ParseKeywordsDict.

Each test module is compiled once per ABI (the modules are shared through
module-scoped fixtures) and exercises all format units of HPy 0.9:
b B h H i I l k L K n f d O p s, and the options | $ : ;
"""
import sys

import pytest

# One function per format unit: p_X(value) parses one argument with "X" and
# returns it converted back to a Python object.
PARSE_ITEM_SRC = """
    #define PARSE_ONE(NAME, FMT, CTYPE, TO_PY)                            \\
        HPyDef_METH(NAME, #NAME, HPyFunc_VARARGS)                         \\
        static HPy NAME##_impl(HPyContext *ctx, HPy self,                 \\
                               const HPy *args, size_t nargs)             \\
        {                                                                 \\
            CTYPE a;                                                      \\
            if (!HPyArg_Parse(ctx, NULL, args, nargs, FMT, &a))           \\
                return HPy_NULL;                                          \\
            return TO_PY;                                                 \\
        }

    PARSE_ONE(p_b, "b", unsigned char, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_B, "B", unsigned char, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_h, "h", short, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_H, "H", unsigned short, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_i, "i", int, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_I, "I", unsigned int, HPyLong_FromUnsignedLong(ctx, a))
    PARSE_ONE(p_l, "l", long, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_k, "k", unsigned long, HPyLong_FromUnsignedLong(ctx, a))
    PARSE_ONE(p_L, "L", long long, HPyLong_FromLongLong(ctx, a))
    PARSE_ONE(p_K, "K", unsigned long long, HPyLong_FromUnsignedLongLong(ctx, a))
    PARSE_ONE(p_n, "n", HPy_ssize_t, HPyLong_FromSsize_t(ctx, a))
    PARSE_ONE(p_f, "f", float, HPyFloat_FromDouble(ctx, a))
    PARSE_ONE(p_d, "d", double, HPyFloat_FromDouble(ctx, a))
    PARSE_ONE(p_O, "O", HPy, HPy_Dup(ctx, a))
    PARSE_ONE(p_p, "p", int, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_s, "s", const char *, HPyUnicode_FromString(ctx, a))

    /* signed values through the bitfield units */
    PARSE_ONE(p_H_signed, "H", short, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_I_signed, "I", int, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_k_signed, "k", long, HPyLong_FromLong(ctx, a))
    PARSE_ONE(p_K_signed, "K", long long, HPyLong_FromLongLong(ctx, a))

    /* two or three values: "OO", "O|O", with names/messages */
    #define PARSE_ADD(NAME, FMT)                                          \\
        HPyDef_METH(NAME, #NAME, HPyFunc_VARARGS)                         \\
        static HPy NAME##_impl(HPyContext *ctx, HPy self,                 \\
                               const HPy *args, size_t nargs)             \\
        {                                                                 \\
            HPy a, b = HPy_NULL, c = HPy_NULL, res;                       \\
            if (!HPyArg_Parse(ctx, NULL, args, nargs, FMT, &a, &b, &c))   \\
                return HPy_NULL;                                          \\
            if (HPy_IsNull(b))                                            \\
                return HPyLong_FromLong(ctx, -1);                         \\
            res = HPy_Add(ctx, a, b);                                     \\
            return res;                                                   \\
        }

    PARSE_ADD(add_OO, "OO")
    PARSE_ADD(add_OO_named, "OO:two_add")
    PARSE_ADD(add_OOO, "OOO")
    PARSE_ADD(add_OOO_named, "OOO:my_func")
    PARSE_ADD(add_OOO_msg, "OOO;my-error-message")
    PARSE_ADD(add_O_opt_O, "O|O")
    PARSE_ADD(add_ZZ, "ZZ:two_add")

    HPyDef_METH(many_longs, "many_longs", HPyFunc_VARARGS)
    static HPy many_longs_impl(HPyContext *ctx, HPy self,
                               const HPy *args, size_t nargs)
    {
        long a, b, c, d, e;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "lllll", &a, &b, &c, &d, &e))
            return HPy_NULL;
        return HPyLong_FromLong(ctx, 10000*a + 1000*b + 100*c + 10*d + e);
    }

    HPyDef_METH(optional_keeps_default, "optional_keeps_default", HPyFunc_VARARGS)
    static HPy optional_keeps_default_impl(HPyContext *ctx, HPy self,
                                           const HPy *args, size_t nargs)
    {
        long a = 0, b = 42;
        double d = 1.5;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "l|ld", &a, &b, &d))
            return HPy_NULL;
        return HPyFloat_FromDouble(ctx, a * 1000 + b + d);
    }

    HPyDef_METH(with_tracker, "with_tracker", HPyFunc_VARARGS)
    static HPy with_tracker_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        HPy a, b, res;
        HPyTracker ht;
        if (!HPyArg_Parse(ctx, &ht, args, nargs, "OO", &a, &b))
            return HPy_NULL;
        res = HPy_Add(ctx, a, b);
        HPyTracker_Close(ctx, ht);
        return res;
    }

    /* Every unit optional: the C variables of the arguments not given keep
       their values; an unknown unit is reported even when its argument is
       missing. */
    HPyDef_METH(all_optional, "all_optional", HPyFunc_VARARGS)
    static HPy all_optional_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        unsigned char b = 1, B = 2;
        short h = 3;
        unsigned short H = 4;
        int i = 5, p = 15;
        unsigned int I = 6;
        long l = 7;
        unsigned long k = 8;
        long long L = 9;
        unsigned long long K = 10;
        HPy_ssize_t n = 11;
        float f = 12.5f;
        double d = 13.5;
        HPy O = ctx->h_Ellipsis;
        const char *s = "sixteen";
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "|bBhHiIlkLKnfdOps:all_optional",
                          &b, &B, &h, &H, &i, &I, &l, &k, &L, &K, &n, &f, &d,
                          &O, &p, &s))
            return HPy_NULL;
        return HPy_BuildValue(ctx, "[iiiiiIlkLKnddOis]", b, B, h, H, i, I, l, k,
                              L, K, n, (double)f, d, O, p, s);
    }

    HPyDef_METH(unknown_optional, "unknown_optional", HPyFunc_VARARGS)
    static HPy unknown_optional_impl(HPyContext *ctx, HPy self,
                                     const HPy *args, size_t nargs)
    {
        HPy a, b;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|Z", &a, &b))
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* a '|' in the function name does not make an argument optional */
    HPyDef_METH(bar_in_name, "bar_in_name", HPyFunc_VARARGS)
    static HPy bar_in_name_impl(HPyContext *ctx, HPy self,
                                const HPy *args, size_t nargs)
    {
        HPy a;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "O:na|me", &a))
            return HPy_NULL;
        return HPy_Dup(ctx, a);
    }

    /* two str arguments, then an int: the fast path of 's' and its errors */
    HPyDef_METH(p_ssi, "p_ssi", HPyFunc_VARARGS)
    static HPy p_ssi_impl(HPyContext *ctx, HPy self,
                          const HPy *args, size_t nargs)
    {
        const char *a, *b;
        int i;
        if (!HPyArg_Parse(ctx, NULL, args, nargs, "ssi:p_ssi", &a, &b, &i))
            return HPy_NULL;
        return HPy_BuildValue(ctx, "(ssi)", a, b, i);
    }

    @EXPORT(p_b)
    @EXPORT(p_B)
    @EXPORT(p_h)
    @EXPORT(p_H)
    @EXPORT(p_i)
    @EXPORT(p_I)
    @EXPORT(p_l)
    @EXPORT(p_k)
    @EXPORT(p_L)
    @EXPORT(p_K)
    @EXPORT(p_n)
    @EXPORT(p_f)
    @EXPORT(p_d)
    @EXPORT(p_O)
    @EXPORT(p_p)
    @EXPORT(p_s)
    @EXPORT(p_H_signed)
    @EXPORT(p_I_signed)
    @EXPORT(p_k_signed)
    @EXPORT(p_K_signed)
    @EXPORT(add_OO)
    @EXPORT(add_OO_named)
    @EXPORT(add_OOO)
    @EXPORT(add_OOO_named)
    @EXPORT(add_OOO_msg)
    @EXPORT(add_O_opt_O)
    @EXPORT(add_ZZ)
    @EXPORT(many_longs)
    @EXPORT(optional_keeps_default)
    @EXPORT(with_tracker)
    @EXPORT(all_optional)
    @EXPORT(unknown_optional)
    @EXPORT(bar_in_name)
    @EXPORT(p_ssi)
    @INIT
"""

KEYWORDS_SRC = """
    /* Returns [a, b, c] (None for an optional argument not given). */
    static HPy list3(HPyContext *ctx, HPy a, HPy b, HPy c)
    {
        HPy l = HPyList_New(ctx, 0);
        if (HPy_IsNull(l))
            return HPy_NULL;
        HPyList_Append(ctx, l, HPy_IsNull(a) ? ctx->h_None : a);
        HPyList_Append(ctx, l, HPy_IsNull(b) ? ctx->h_None : b);
        HPyList_Append(ctx, l, HPy_IsNull(c) ? ctx->h_None : c);
        return l;
    }

    #define PARSE_KW(NAME, FMT, ...)                                          \\
        HPyDef_METH(NAME, #NAME, HPyFunc_KEYWORDS)                            \\
        static HPy NAME##_impl(HPyContext *ctx, HPy self, const HPy *args,    \\
                               size_t nargs, HPy kwnames)                     \\
        {                                                                     \\
            static const char *kwlist[] = { __VA_ARGS__, NULL };              \\
            HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL, res;                \\
            HPyTracker ht;                                                    \\
            if (!HPyArg_ParseKeywords(ctx, &ht, args, nargs, kwnames, FMT,    \\
                                      kwlist, &a, &b, &c))                    \\
                return HPy_NULL;                                              \\
            res = list3(ctx, a, b, c);                                        \\
            HPyTracker_Close(ctx, ht);                                        \\
            return res;                                                       \\
        }

    PARSE_KW(kw_OO, "OO", "a", "b")
    PARSE_KW(kw_OO_named, "OO:add_two", "a", "b")
    PARSE_KW(kw_O, "O:add_two", "a", "b")
    PARSE_KW(kw_OOO_named, "OOO:add_two", "a", "b")
    PARSE_KW(kw_OOO_msg, "OOO;my-error-message", "a", "b")
    PARSE_KW(kw_O_opt_O, "O|O", "a", "b")
    PARSE_KW(kw_O_kwonly_O, "O|$O", "a", "b")
    PARSE_KW(kw_posonly, "O|O", "", "b")
    PARSE_KW(kw_three, "O|OO", "a", "b", "c")
    PARSE_KW(kw_ZZ, "ZZ:two_add", "a", "b")

    HPyDef_METH(kw_ll, "kw_ll", HPyFunc_KEYWORDS)
    static HPy kw_ll_impl(HPyContext *ctx, HPy self, const HPy *args,
                          size_t nargs, HPy kwnames)
    {
        static const char *kwlist[] = { "a", "b", NULL };
        long a, b = 7;
        if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames, "l|l",
                                  kwlist, &a, &b))
            return HPy_NULL;
        return HPyLong_FromLong(ctx, 10 * a + b);
    }

    HPyDef_METH(kw_blank, "kw_blank", HPyFunc_KEYWORDS)
    static HPy kw_blank_impl(HPyContext *ctx, HPy self, const HPy *args,
                             size_t nargs, HPy kwnames)
    {
        static const char *kwlist[] = { "", "b", "", NULL };
        long a, b, c;
        if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames, "lll",
                                  kwlist, &a, &b, &c))
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* kw_dict(args_tuple, kwargs_dict_or_None, fmt_index) through
       HPyArg_ParseKeywordsDict */
    HPyDef_METH(kw_dict, "kw_dict", HPyFunc_VARARGS)
    static HPy kw_dict_impl(HPyContext *ctx, HPy self, const HPy *args,
                            size_t nargs)
    {
        static const char *kwlist[] = { "a", "b", "c", NULL };
        static const char *fmts[] = { "O|OO", "OO|O:dfunc", "O|$OO" };
        HPy items[8];
        HPy a = HPy_NULL, b = HPy_NULL, c = HPy_NULL, kw = HPy_NULL, res;
        HPyTracker ht;
        HPy_ssize_t n, i;
        long which;
        int ok;
        if (nargs != 3) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "kw_dict takes 3 args");
            return HPy_NULL;
        }
        n = HPy_Length(ctx, args[0]);
        if (n < 0 || n > 8) {
            HPyErr_SetString(ctx, ctx->h_ValueError, "bad tuple");
            return HPy_NULL;
        }
        which = HPyLong_AsLong(ctx, args[2]);
        for (i = 0; i < n; i++)
            items[i] = HPy_GetItem_i(ctx, args[0], i);
        if (!HPy_Is(ctx, args[1], ctx->h_None))
            kw = args[1];
        ok = HPyArg_ParseKeywordsDict(ctx, &ht, items, n, kw, fmts[which],
                                      kwlist, &a, &b, &c);
        res = ok ? list3(ctx, a, b, c) : HPy_NULL;
        if (ok)
            HPyTracker_Close(ctx, ht);
        for (i = 0; i < n; i++)
            HPy_Close(ctx, items[i]);
        return res;
    }

    /* kw_many(...): 20 parameters p0..p19 (p0 required), more than the
       parser keeps without malloc; returns sum((k + 1) * pk) */
    HPyDef_METH(kw_many, "kw_many", HPyFunc_KEYWORDS)
    static HPy kw_many_impl(HPyContext *ctx, HPy self, const HPy *args,
                            size_t nargs, HPy kwnames)
    {
        static const char *kwlist[] = {
            "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10",
            "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", NULL };
        long p[20] = {0};
        long sum = 0;
        int k;
        if (!HPyArg_ParseKeywords(ctx, NULL, args, nargs, kwnames,
                                  "l|lllllllllllllllllll", kwlist,
                                  &p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &p[6],
                                  &p[7], &p[8], &p[9], &p[10], &p[11], &p[12],
                                  &p[13], &p[14], &p[15], &p[16], &p[17], &p[18],
                                  &p[19]))
            return HPy_NULL;
        for (k = 0; k < 20; k++)
            sum += (k + 1) * p[k];
        return HPyLong_FromLong(ctx, sum);
    }

    /* kw_dict_ll(args_tuple, kwargs_dict): "l|ll" with ("a", "b", "c")
       through HPyArg_ParseKeywordsDict, without a tracker */
    HPyDef_METH(kw_dict_ll, "kw_dict_ll", HPyFunc_VARARGS)
    static HPy kw_dict_ll_impl(HPyContext *ctx, HPy self, const HPy *args,
                               size_t nargs)
    {
        static const char *kwlist[] = { "a", "b", "c", NULL };
        HPy items[3];
        long a = 0, b = 0, c = 0;
        HPy_ssize_t n = HPy_Length(ctx, args[0]), i;
        int ok;
        if (n < 0 || n > 3)
            return HPy_NULL;
        for (i = 0; i < n; i++)
            items[i] = HPy_GetItem_i(ctx, args[0], i);
        ok = HPyArg_ParseKeywordsDict(ctx, NULL, items, n, args[1], "l|ll",
                                      kwlist, &a, &b, &c);
        for (i = 0; i < n; i++)
            HPy_Close(ctx, items[i]);
        if (!ok)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, 100 * a + 10 * b + c);
    }

    /* Every unit, optional, by position or by name: kw_all through
       HPyArg_ParseKeywords, kw_all_dict(args_tuple, kwargs_dict) through
       HPyArg_ParseKeywordsDict. The parameters are named after their units. */
    static const char *all_kwlist[] = { "b", "B", "h", "H", "i", "I", "l", "k", "L",
                                        "K", "n", "f", "d", "O", "p", "s", NULL };
    static HPy parse_all(HPyContext *ctx, const HPy *args, size_t nargs, HPy kw,
                         int kw_is_dict)
    {
        unsigned char b = 1, B = 2;
        short h = 3;
        unsigned short H = 4;
        int i = 5, p = 15, ok;
        unsigned int I = 6;
        long l = 7;
        unsigned long k = 8;
        long long L = 9;
        unsigned long long K = 10;
        HPy_ssize_t n = 11;
        float f = 12.5f;
        double d = 13.5;
        HPy O = ctx->h_Ellipsis, res;
        const char *s = "sixteen";
        HPyTracker ht;
        const char *fmt = "|bBhHiIlkLKnfdOps:parse_all";
        if (kw_is_dict)
            ok = HPyArg_ParseKeywordsDict(ctx, &ht, args, (HPy_ssize_t)nargs, kw, fmt,
                                          all_kwlist, &b, &B, &h, &H, &i, &I, &l, &k,
                                          &L, &K, &n, &f, &d, &O, &p, &s);
        else
            ok = HPyArg_ParseKeywords(ctx, &ht, args, nargs, kw, fmt, all_kwlist,
                                      &b, &B, &h, &H, &i, &I, &l, &k, &L, &K, &n,
                                      &f, &d, &O, &p, &s);
        if (!ok)
            return HPy_NULL;
        /* the tracker keeps O and the str of s alive until here */
        res = HPy_BuildValue(ctx, "[iiiiiIlkLKnddOis]", b, B, h, H, i, I, l, k,
                             L, K, n, (double)f, d, O, p, s);
        HPyTracker_Close(ctx, ht);
        return res;
    }

    HPyDef_METH(kw_all, "kw_all", HPyFunc_KEYWORDS)
    static HPy kw_all_impl(HPyContext *ctx, HPy self, const HPy *args,
                           size_t nargs, HPy kwnames)
    {
        return parse_all(ctx, args, nargs, kwnames, 0);
    }

    HPyDef_METH(kw_all_dict, "kw_all_dict", HPyFunc_VARARGS)
    static HPy kw_all_dict_impl(HPyContext *ctx, HPy self, const HPy *args,
                                size_t nargs)
    {
        HPy items[16], res;
        HPy_ssize_t n, i;
        if (nargs != 2 || (n = HPy_Length(ctx, args[0])) < 0 || n > 16) {
            HPyErr_SetString(ctx, ctx->h_TypeError, "kw_all_dict(tuple, dict)");
            return HPy_NULL;
        }
        for (i = 0; i < n; i++)
            items[i] = HPy_GetItem_i(ctx, args[0], i);
        res = parse_all(ctx, items, (size_t)n,
                        HPy_Is(ctx, args[1], ctx->h_None) ? HPy_NULL : args[1], 1);
        for (i = 0; i < n; i++)
            HPy_Close(ctx, items[i]);
        return res;
    }

    @EXPORT(kw_many)
    @EXPORT(kw_dict_ll)
    @EXPORT(kw_OO)
    @EXPORT(kw_OO_named)
    @EXPORT(kw_O)
    @EXPORT(kw_OOO_named)
    @EXPORT(kw_OOO_msg)
    @EXPORT(kw_O_opt_O)
    @EXPORT(kw_O_kwonly_O)
    @EXPORT(kw_posonly)
    @EXPORT(kw_three)
    @EXPORT(kw_ZZ)
    @EXPORT(kw_ll)
    @EXPORT(kw_blank)
    @EXPORT(kw_dict)
    @EXPORT(kw_all)
    @EXPORT(kw_all_dict)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(PARSE_ITEM_SRC, name='argparse_items')


@pytest.fixture
def kw(make_module):
    return make_module(KEYWORDS_SRC, name='argparse_kw')


def check_error(exc_type, fn, *args, match=None, **kwargs):
    with pytest.raises(exc_type) as exc:
        fn(*args, **kwargs)
    if match is not None:
        assert str(exc.value) == match
    return exc.value


PY310 = sys.version_info >= (3, 10)

# ---------------------------------------------------------------------------
# HPyArg_Parse: one format unit at a time
# ---------------------------------------------------------------------------


def test_b(m):
    assert [m.p_b(x) for x in (0, 1, 255)] == [0, 1, 255]
    check_error(OverflowError, m.p_b, 256,
                match='function unsigned byte integer is greater than maximum')
    check_error(OverflowError, m.p_b, -1,
                match='function unsigned byte integer is less than minimum')
    check_error(TypeError, m.p_b, 'x')


def test_B(m):
    assert [m.p_B(x) for x in (0, 1, 255, 256, -1, 2**70 + 3)] == \
        [0, 1, 255, 0, 255, 3]
    check_error(TypeError, m.p_B, 'x')


def test_h(m):
    assert [m.p_h(x) for x in (0, -1, 2**15 - 1, -2**15)] == \
        [0, -1, 2**15 - 1, -2**15]
    check_error(OverflowError, m.p_h, 2**15,
                match='function signed short integer is greater than maximum')
    check_error(OverflowError, m.p_h, -2**15 - 1,
                match='function signed short integer is less than minimum')
    check_error(TypeError, m.p_h, 'x')


def test_H(m):
    assert [m.p_H(x) for x in (0, 1, -1, 2**16 - 1, 2**16, -2**16 + 1)] == \
        [0, 1, 2**16 - 1, 2**16 - 1, 0, 1]
    assert [m.p_H_signed(x) for x in (-1, 2**15, 2**16 - 1)] == [-1, -2**15, -1]
    check_error(TypeError, m.p_H, 'x')


def test_i(m):
    assert [m.p_i(x) for x in (0, -1, 2**31 - 1, -2**31)] == \
        [0, -1, 2**31 - 1, -2**31]
    check_error(OverflowError, m.p_i, 2**31,
                match='function signed integer is greater than maximum')
    check_error(OverflowError, m.p_i, -2**31 - 1,
                match='function signed integer is less than minimum')
    check_error(OverflowError, m.p_i, 2**100)
    check_error(TypeError, m.p_i, 'x')
    check_error(TypeError, m.p_i, None)


def test_I(m):
    assert [m.p_I(x) for x in (0, -1, 2**32 - 1, 2**32, -2**32 + 1)] == \
        [0, 2**32 - 1, 2**32 - 1, 0, 1]
    assert [m.p_I_signed(x) for x in (-1, 2**31, 2**32 - 1)] == [-1, -2**31, -1]
    check_error(TypeError, m.p_I, 'x')


def test_l(m):
    assert [m.p_l(x) for x in (0, -1, 2**63 - 1, -2**63)] == \
        [0, -1, 2**63 - 1, -2**63]
    check_error(OverflowError, m.p_l, 2**63)
    check_error(OverflowError, m.p_l, -2**63 - 1)
    check_error(TypeError, m.p_l, 'x')
    check_error(TypeError, m.p_l, [])
    if PY310:
        check_error(TypeError, m.p_l, 1.5)

    class Idx:
        def __index__(self):
            return 77
    assert m.p_l(Idx()) == 77
    assert m.p_l(True) == 1


def test_k(m):
    assert [m.p_k(x) for x in (0, -1, 2**64 - 1, 2**64, -2**64 + 1)] == \
        [0, 2**64 - 1, 2**64 - 1, 0, 1]
    assert [m.p_k_signed(x) for x in (-1, 2**63, 2**64 - 1)] == [-1, -2**63, -1]
    check_error(TypeError, m.p_k, 'x')


def test_L(m):
    assert [m.p_L(x) for x in (0, -1, 2**63 - 1, -2**63)] == \
        [0, -1, 2**63 - 1, -2**63]
    check_error(OverflowError, m.p_L, 2**63)
    check_error(OverflowError, m.p_L, -2**63 - 1)
    check_error(TypeError, m.p_L, 'x')


def test_K(m):
    assert [m.p_K(x) for x in (0, -1, 2**64 - 1, 2**64, -2**64 + 1)] == \
        [0, 2**64 - 1, 2**64 - 1, 0, 1]
    assert [m.p_K_signed(x) for x in (-1, 2**63, 2**64 - 1)] == [-1, -2**63, -1]
    check_error(TypeError, m.p_K, 'x')


def test_n(m):
    assert [m.p_n(x) for x in (0, -1, 2**63 - 1, -2**63)] == \
        [0, -1, 2**63 - 1, -2**63]
    check_error(OverflowError, m.p_n, 2**63)
    check_error(OverflowError, m.p_n, -2**63 - 1)
    check_error(TypeError, m.p_n, 'x')


def test_f(m):
    assert m.p_f(1.0) == 1.0
    assert m.p_f(-2) == -2.0
    assert m.p_f(0.25) == 0.25
    assert m.p_f(0.1) != 0.1          # float precision, not double
    assert abs(m.p_f(0.1) - 0.1) < 1e-7
    check_error(TypeError, m.p_f, 'x')


def test_d(m):
    assert m.p_d(1.0) == 1.0
    assert m.p_d(-2) == -2.0
    assert m.p_d(0.1) == 0.1
    assert m.p_d(1e300) == 1e300

    class F:
        def __float__(self):
            return 2.5
    assert m.p_d(F()) == 2.5
    check_error(TypeError, m.p_d, 'x')
    check_error(TypeError, m.p_d, None)


def test_O(m):
    obj = object()
    assert m.p_O(obj) is obj
    assert m.p_O('a') == 'a'
    assert m.p_O(None) is None


def test_p(m):
    values = [0, 1, -1, False, True, [], [0], '', '0', None, 0.0, object()]
    assert [m.p_p(v) for v in values] == [0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1]

    class Bad:
        def __bool__(self):
            raise ZeroDivisionError('no truth')
    check_error(ZeroDivisionError, m.p_p, Bad())


def test_s(m):
    assert m.p_s('hello') == 'hello'
    assert m.p_s('') == ''
    assert m.p_s('h\xe9llo \u20ac \U0001F600') == 'h\xe9llo \u20ac \U0001F600'
    check_error(TypeError, m.p_s, b'bytes')
    check_error(TypeError, m.p_s, 1)
    check_error(ValueError, m.p_s, 'a\0b')


def test_s_errors(m):
    check_error(TypeError, m.p_s, 1, match='function a str is required')
    check_error(ValueError, m.p_s, 'a\0b', match='function embedded null character')
    check_error(ValueError, m.p_s, 'ab\0', match='function embedded null character')
    check_error(UnicodeEncodeError, m.p_s, 'a\udc80b')
    assert m.p_ssi('a', 'bc', 3) == ('a', 'bc', 3)
    long = 'x' * 10000
    assert m.p_ssi(long, '', -3) == (long, '', -3)
    check_error(TypeError, m.p_ssi, 'a', b'b', 3, match='p_ssi() a str is required')
    check_error(ValueError, m.p_ssi, 'a', 'b\0', 3,
                match='p_ssi() embedded null character')
    check_error(UnicodeEncodeError, m.p_ssi, 'a', '\ud800', 3)
    check_error(OverflowError, m.p_ssi, 'a', 'b', 2**31,
                match='p_ssi() signed integer is greater than maximum')
    check_error(TypeError, m.p_ssi, 'a', 'b',
                match='p_ssi() required positional argument missing')


def test_all_units_optional(m):
    defaults = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5, 13.5, ..., 15, 'sixteen']
    assert m.all_optional() == defaults
    given = [200, 201, -3, 4, -5, 6, -7, 8, -9, 10, -11, 0.25, -0.5, None, 0, 'x']
    for n in range(len(given) + 1):
        assert m.all_optional(*given[:n]) == given[:n] + defaults[n:]
    check_error(TypeError, m.all_optional, *given, 1,
                match='all_optional() mismatched args (too many arguments for fmt)')


def test_unknown_unit_of_missing_argument(m):
    check_error(SystemError, m.unknown_optional, 1,
                match='function unknown arg format code')
    check_error(SystemError, m.unknown_optional, 1, 2,
                match='function unknown arg format code')


def test_bar_in_function_name(m):
    assert m.bar_in_name(5) == 5
    check_error(TypeError, m.bar_in_name,
                match='na|me() required positional argument missing')


# ---------------------------------------------------------------------------
# HPyArg_Parse: argument counts, optional arguments, error messages
# ---------------------------------------------------------------------------


def test_many_arguments(m):
    assert m.many_longs(4, 5, 6, 7, 8) == 45678
    assert m.add_OO('a', 'b') == 'ab'
    assert m.with_tracker('a', 'b') == 'ab'
    assert m.with_tracker(1, 2) == 3


def test_too_few_args(m):
    check_error(TypeError, m.add_OO_named,
                match='two_add() required positional argument missing')
    check_error(TypeError, m.add_OO_named, 1,
                match='two_add() required positional argument missing')
    check_error(TypeError, m.with_tracker, 1)
    check_error(TypeError, m.p_l)


def test_too_many_args(m):
    check_error(TypeError, m.add_OO_named, 1, 2, 3,
                match='two_add() mismatched args (too many arguments for fmt)')
    check_error(TypeError, m.p_l, 1, 2)
    check_error(TypeError, m.many_longs, 1, 2, 3, 4, 5, 6)


def test_optional_args(m):
    assert m.add_O_opt_O(1) == -1
    assert m.add_O_opt_O(3, 4) == 7
    check_error(TypeError, m.add_O_opt_O)
    check_error(TypeError, m.add_O_opt_O, 1, 2, 3)
    # an optional argument that is not given leaves the C variable alone
    assert m.optional_keeps_default(1) == 1000 + 42 + 1.5
    assert m.optional_keeps_default(1, 2) == 1000 + 2 + 1.5
    assert m.optional_keeps_default(1, 2, 0.25) == 1000 + 2 + 0.25


def test_error_messages(m):
    check_error(TypeError, m.add_OOO, 1, 2,
                match='function required positional argument missing')
    check_error(TypeError, m.add_OOO_named, 1, 2,
                match='my_func() required positional argument missing')
    check_error(TypeError, m.add_OOO_msg, 1, 2, match='my-error-message')


def test_unknown_format_unit(m):
    check_error(SystemError, m.add_ZZ, 'a', 'b',
                match='two_add() unknown arg format code')


def test_conversion_error_leaves_no_leak(m):
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(20):
        with pytest.raises(TypeError):
            m.with_tracker(obj)
        with pytest.raises(TypeError):
            m.add_OO(obj, obj, obj)
    assert sys.getrefcount(obj) == before


# ---------------------------------------------------------------------------
# HPyArg_ParseKeywords (vectorcall kwnames)
# ---------------------------------------------------------------------------


def test_kw_positional_and_keyword(kw):
    assert kw.kw_OO(1, 2) == [1, 2, None]
    assert kw.kw_OO('x', b='y') == ['x', 'y', None]
    assert kw.kw_OO(a='x', b='y') == ['x', 'y', None]
    assert kw.kw_OO(b='y', a='x') == ['x', 'y', None]
    assert kw.kw_ll(1, 2) == 12
    assert kw.kw_ll(b=3, a=4) == 43
    assert kw.kw_ll(5) == 57
    assert kw.kw_ll(a=5) == 57


def test_kw_optional(kw):
    assert kw.kw_O_opt_O(1) == [1, None, None]
    assert kw.kw_O_opt_O(a=1) == [1, None, None]
    assert kw.kw_O_opt_O(1, 2) == [1, 2, None]
    assert kw.kw_O_opt_O(1, b=2) == [1, 2, None]
    assert kw.kw_three(1, c=3) == [1, None, 3]
    assert kw.kw_three(c=3, a=1) == [1, None, 3]
    assert kw.kw_three(1, 2, 3) == [1, 2, 3]


def test_kw_missing_required(kw):
    check_error(TypeError, kw.kw_OO_named, 1,
                match='add_two() no value for required argument')
    check_error(TypeError, kw.kw_OO_named, b=1,
                match='add_two() no value for required argument')
    check_error(TypeError, kw.kw_ll)
    check_error(TypeError, kw.kw_ll, b=1)


def test_kw_duplicate_argument(kw):
    # given by position and by name
    check_error(TypeError, kw.kw_OO, 1, 2, a=3)
    check_error(TypeError, kw.kw_O_opt_O, 1, a=3)
    check_error(TypeError, kw.kw_ll, 1, a=2)


def test_kw_unknown_keyword(kw):
    check_error(TypeError, kw.kw_OO, 1, 2, c=3)
    check_error(TypeError, kw.kw_O_opt_O, 1, bb=3)
    check_error(TypeError, kw.kw_ll, 1, x=2)


def test_kw_too_many_positional(kw):
    check_error(TypeError, kw.kw_OO, 1, 2, 3)
    check_error(TypeError, kw.kw_ll, 1, 2, 3)


def test_kw_format_mismatch_messages(kw):
    check_error(TypeError, kw.kw_OOO_named, 1, 2,
                match='add_two() mismatched args (too few keywords for fmt)')
    check_error(TypeError, kw.kw_O, 1,
                match='add_two() mismatched args (too many keywords for fmt)')
    check_error(TypeError, kw.kw_OOO_msg, 1, 2, match='my-error-message')
    check_error(SystemError, kw.kw_ZZ, 'a',
                match='two_add() unknown arg format code')


def test_kw_keyword_only(kw):
    assert kw.kw_O_kwonly_O(1) == [1, None, None]
    assert kw.kw_O_kwonly_O(1, b=2) == [1, 2, None]
    assert kw.kw_O_kwonly_O(a=1, b=2) == [1, 2, None]
    check_error(TypeError, kw.kw_O_kwonly_O, 1, 2,
                match='function keyword only argument passed as positional argument')


def test_kw_positional_only(kw):
    assert kw.kw_posonly(1, b=2) == [1, 2, None]
    assert kw.kw_posonly(1, 2) == [1, 2, None]
    assert kw.kw_posonly(1) == [1, None, None]
    check_error(TypeError, kw.kw_posonly, b=2)


def test_kw_blank_keyword_after_named(kw):
    check_error(SystemError, kw.kw_blank,
                match='function empty keyword parameter name')


def test_kw_no_leaks(kw):
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(20):
        assert kw.kw_OO(obj, b=obj) == [obj, obj, None]
        with pytest.raises(TypeError):
            kw.kw_OO(obj, b=obj, zz=obj)
        with pytest.raises(TypeError):
            kw.kw_OO(obj)
    assert sys.getrefcount(obj) == before


# ---------------------------------------------------------------------------
# HPyArg_ParseKeywordsDict (a dict of keywords, or HPy_NULL)
# ---------------------------------------------------------------------------


def test_kwdict(kw):
    assert kw.kw_dict((1,), None, 0) == [1, None, None]
    assert kw.kw_dict((1, 2, 3), None, 0) == [1, 2, 3]
    assert kw.kw_dict((1,), {'c': 3}, 0) == [1, None, 3]
    assert kw.kw_dict((), {'a': 1, 'b': 2}, 0) == [1, 2, None]
    assert kw.kw_dict((1,), {}, 0) == [1, None, None]
    assert kw.kw_dict((1,), {'b': 2}, 1) == [1, 2, None]
    assert kw.kw_dict((1,), {'b': 2, 'c': 3}, 2) == [1, 2, 3]


def test_kwdict_errors(kw):
    check_error(TypeError, kw.kw_dict, (), None, 0)             # a missing
    check_error(TypeError, kw.kw_dict, (1,), None, 1,
                match='dfunc() no value for required argument')
    check_error(TypeError, kw.kw_dict, (1, 2), {'a': 3}, 0)     # duplicate
    check_error(TypeError, kw.kw_dict, (1,), {'zz': 3}, 0)      # unknown
    check_error(TypeError, kw.kw_dict, (1, 2, 3, 4), None, 0)   # too many
    check_error(TypeError, kw.kw_dict, (1, 2), None, 2)         # kw-only


def test_kw_many_parameters(kw):
    # more parameters than the parser holds keyword values for without malloc
    assert kw.kw_many(1) == 1
    assert kw.kw_many(1, p19=1) == 1 + 20
    assert kw.kw_many(p19=2, p0=3, p7=1) == 3 + 40 + 8
    assert kw.kw_many(1, 1, p18=1, p2=1) == 1 + 2 + 19 + 3
    check_error(TypeError, kw.kw_many, 1, p20=1,
                match="'p20' is an invalid keyword argument for this function")
    check_error(TypeError, kw.kw_many, 1, 2, p1=1,
                match="argument for function given by name ('p1') and position (2)")
    check_error(TypeError, kw.kw_many, p19=1,
                match='function no value for required argument')


def test_kw_error_messages(kw):
    check_error(TypeError, kw.kw_OO, 1, 2, c=3,
                match="'c' is an invalid keyword argument for this function")
    check_error(TypeError, kw.kw_OO_named, 1, 2, zz=3,
                match="'zz' is an invalid keyword argument for add_two()")
    check_error(TypeError, kw.kw_OO_named, 1, 2, a=3,
                match="argument for add_two() given by name ('a') and position (1)")
    # the first keyword that no parameter takes is the one reported
    check_error(TypeError, kw.kw_OO_named, 1, 2, b=3, zz=4,
                match="argument for add_two() given by name ('b') and position (2)")
    check_error(TypeError, kw.kw_OO_named, 1, 2, zz=4, b=3,
                match="'zz' is an invalid keyword argument for add_two()")


def test_kw_conversion_error_wins_over_unknown_keyword(kw):
    # as in CPython, the arguments are converted before unused keywords are
    # reported
    with pytest.raises(TypeError) as e:
        kw.kw_ll('x', zz=1)
    assert 'zz' not in str(e.value)
    with pytest.raises(TypeError) as e:
        kw.kw_ll(1, b='x', zz=1)
    assert 'zz' not in str(e.value)


def test_kwdict_keys_not_str(kw):
    check_error(TypeError, kw.kw_dict, (1,), {1: 2}, 0, match='keywords must be strings')
    check_error(TypeError, kw.kw_dict_ll, (1,), {1: 2}, match='keywords must be strings')


def test_kwdict_values_released(kw):
    assert kw.kw_dict_ll((1,), {'c': 3, 'b': 2}) == 123
    assert kw.kw_dict_ll((), {'a': 4}) == 400
    check_error(TypeError, kw.kw_dict_ll, (), {'b': 1})
    check_error(TypeError, kw.kw_dict_ll, (1,), {'a': 1},
                match="argument for function given by name ('a') and position (1)")
    # big: a conversion that fails (OverflowError) after the dict's values
    # were taken from it; made at run time, not a constant of the code
    # (which runs of the test in other ABI modes share)
    big = int('1' + '0' * 30)
    obj = object()
    before = sys.getrefcount(obj), sys.getrefcount(big)
    for _ in range(20):
        with pytest.raises(OverflowError):
            kw.kw_dict_ll((), {'a': big, 'b': 1, 'c': 2})
        with pytest.raises(TypeError):
            kw.kw_dict_ll((), {'a': 1, 'b': obj, 'c': big})
        with pytest.raises(OverflowError):   # converted before 'zz' is reported
            kw.kw_dict_ll((1,), {'zz': obj, 'c': big})
        assert kw.kw_dict((), {'a': obj, 'b': obj, 'c': obj}, 0) == [obj, obj, obj]
        with pytest.raises(TypeError):
            kw.kw_dict((), {'a': obj, 'b': obj, 'zz': obj}, 0)
    assert (sys.getrefcount(obj), sys.getrefcount(big)) == before


ALL_UNITS = 'bBhHiIlkLKnfdOps'
ALL_DEFAULTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5, 13.5, ..., 15, 'sixteen']
ALL_GIVEN = [200, 201, -3, 4, -5, 6, -7, 8, -9, 10, -11, 0.25, -0.5, None, 0, 'x']


def test_kw_every_unit(kw):
    assert kw.kw_all() == ALL_DEFAULTS
    assert kw.kw_all_dict((), None) == ALL_DEFAULTS
    assert kw.kw_all(*ALL_GIVEN) == ALL_GIVEN
    for n in range(len(ALL_UNITS) + 1):
        # the first n by position, the rest by name (or left out)
        named = dict(zip(ALL_UNITS[n:], ALL_GIVEN[n:]))
        expected = ALL_GIVEN
        assert kw.kw_all(*ALL_GIVEN[:n], **named) == expected
        assert kw.kw_all_dict(tuple(ALL_GIVEN[:n]), named) == expected
        assert kw.kw_all(*ALL_GIVEN[:n]) == ALL_GIVEN[:n] + ALL_DEFAULTS[n:]


def test_kw_every_unit_errors(kw):
    # through kwnames (the caller's handles) and through a dict (the
    # parser's own handles, released after a failure too)
    cases = [
        (dict(s=1), TypeError, 'parse_all() a str is required'),
        (dict(s='a\0'), ValueError, 'parse_all() embedded null character'),
        (dict(s='\udc80'), UnicodeEncodeError, None),
        (dict(i=2**31), OverflowError, 'parse_all() signed integer is greater than maximum'),
        (dict(b=-1), OverflowError, 'parse_all() unsigned byte integer is less than minimum'),
        (dict(h=2**15), OverflowError, 'parse_all() signed short integer is greater than maximum'),
        (dict(l='x'), TypeError, None),
        (dict(n=2**70), OverflowError, None),
        (dict(d='x'), TypeError, None),
        (dict(p=BadBool()), ZeroDivisionError, None),
    ]
    for named, exc, msg in cases:
        check_error(exc, kw.kw_all, **named, match=msg)
        check_error(exc, kw.kw_all_dict, (), named, match=msg)
    obj = object()
    # a str of this run only: a constant of the code object is shared with
    # the runs of this test in other modes, whose debug-mode records may
    # still hold it and release it during this one
    s = ''.join(['made ', 'at run time'])
    before = sys.getrefcount(obj), sys.getrefcount(s)
    for _ in range(20):
        with pytest.raises(ValueError):
            kw.kw_all_dict((), {'O': obj, 'p': obj, 's': s + '\0'})
        with pytest.raises(OverflowError):
            kw.kw_all_dict((), {'O': obj, 's': s, 'i': 2**40})
        assert kw.kw_all_dict((), {'O': obj, 's': s})[13:] == [obj, 15, s]
    assert (sys.getrefcount(obj), sys.getrefcount(s)) == before


class BadBool:
    def __bool__(self):
        raise ZeroDivisionError('no truth')
