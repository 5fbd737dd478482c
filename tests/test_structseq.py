"""Struct sequences: HPyStructSequence_NewType, HPyStructSequence_New and
HPyStructSequence_UnnamedField (python/hpy/devel/src/runtime/structseq.c)."""
import sys

import pytest

SRC = """
    static HPyStructSequence_Field point_fields[] = {
        { "x", "the x coordinate" },
        { "y", NULL },
        { "label", "what it is" },
        { NULL, NULL },
    };
    static HPyStructSequence_Desc point_desc = {
        .name = "mytest.Point",
        .doc = "A point in the plane.",
        .fields = point_fields,
    };

    static HPyStructSequence_Field empty_fields[] = { { NULL, NULL } };
    static HPyStructSequence_Desc empty_desc = {
        .name = "mytest.Empty",
        .fields = empty_fields,
    };

    /* the third field is unnamed (reachable by index only) */
    static HPyStructSequence_Field pair_fields[] = {
        { "first", NULL },
        { "second", NULL },
        { NULL, NULL },
        { NULL, NULL },
    };
    static HPyStructSequence_Desc pair_desc = {
        .name = "pkg.sub.Pair",
        .fields = pair_fields,
    };

    static int add(HPyContext *ctx, HPy mod, const char *name,
                   HPyStructSequence_Desc *desc)
    {
        HPy t = HPyStructSequence_NewType(ctx, desc);
        if (HPy_IsNull(t))
            return -1;
        int err = HPy_SetAttr_s(ctx, mod, name, t);
        HPy_Close(ctx, t);
        return err;
    }

    HPyDef_SLOT(make_types, HPy_mod_exec)
    static int make_types_impl(HPyContext *ctx, HPy mod)
    {
        /* UnnamedField is a variable, not a constant expression */
        pair_fields[2].name = HPyStructSequence_UnnamedField;
        if (add(ctx, mod, "Point", &point_desc) < 0
                || add(ctx, mod, "Empty", &empty_desc) < 0
                || add(ctx, mod, "Pair", &pair_desc) < 0)
            return -1;
        return 0;
    }

    /* new(type, *items): HPyStructSequence_New(type, items) */
    HPyDef_METH(new, "new", HPyFunc_VARARGS)
    static HPy new_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        return HPyStructSequence_New(ctx, args[0], (HPy_ssize_t)nargs - 1,
                                     (HPy *)args + 1);
    }

    /* bad_desc(which): NewType with a descriptor without name / fields */
    HPyDef_METH(bad_desc, "bad_desc", HPyFunc_O)
    static HPy bad_desc_impl(HPyContext *ctx, HPy self, HPy which)
    {
        HPyStructSequence_Desc d = { NULL, NULL, empty_fields };
        if (HPyLong_AsLong(ctx, which) == 1) {
            d.name = "mytest.NoFields";
            d.fields = NULL;
        }
        return HPyStructSequence_NewType(ctx, &d);
    }

    @EXPORT(make_types)
    @EXPORT(new)
    @EXPORT(bad_desc)
    @INIT
"""


def test_type(make_module, hpy_abi):
    mod = make_module(SRC)
    P = mod.Point
    assert isinstance(P, type) and issubclass(P, tuple)
    assert P.__name__ == 'Point'
    assert P.__qualname__ == 'Point'
    assert P.__module__ == 'mytest'
    assert P.__doc__ == 'A point in the plane.'
    assert (P.n_fields, P.n_sequence_fields, P.n_unnamed_fields) == (3, 3, 0)
    assert mod.Empty.__name__ == 'Empty'
    assert mod.Empty.__doc__ is None
    assert mod.Empty.n_fields == 0
    assert mod.Pair.__module__ == 'pkg.sub'
    assert mod.Pair.__name__ == 'Pair'
    # CPython 3.9 and 3.10 do not export their marker of unnamed fields:
    # there the CPython ABI names the field _2, as namedtuple does
    unnamed = 0 if hpy_abi == 'cpython' and sys.version_info < (3, 11) else 1
    assert (mod.Pair.n_fields, mod.Pair.n_unnamed_fields) == (3, unnamed)


def test_new(make_module):
    mod = make_module(SRC)
    label = object()
    p = mod.new(mod.Point, 1, 2.5, label)
    assert type(p) is mod.Point
    assert isinstance(p, tuple)
    assert (p.x, p.y, p.label) == (1, 2.5, label)
    assert p[0] == 1 and p[-1] is label
    assert tuple(p) == (1, 2.5, label)
    assert len(p) == 3
    assert p == (1, 2.5, label)
    with pytest.raises(AttributeError):
        p.x = 5                          # read-only, like any tuple item
    # CPython's struct sequences print the full name, namedtuples the short one
    assert 'Point(x=1, y=2, label=' in repr(mod.new(mod.Point, 1, 2, 'a'))
    e = mod.new(mod.Empty)
    assert e == () and type(e) is mod.Empty
    pair = mod.new(mod.Pair, 'a', 'b', 'hidden')
    assert (pair.first, pair.second, pair[2]) == ('a', 'b', 'hidden')


def test_new_errors(make_module):
    mod = make_module(SRC)
    with pytest.raises(TypeError, match='3 fields, got 2 values'):
        mod.new(mod.Point, 1, 2)
    with pytest.raises(TypeError, match='3 fields, got 4 values'):
        mod.new(mod.Point, 1, 2, 3, 4)
    # not struct sequence types
    for not_a_type in (str, tuple, 42, type('Dummy', (), {'n_fields': 1})):
        with pytest.raises(TypeError, match='not a struct sequence type'):
            mod.new(not_a_type, 1)


def test_bad_descriptor(make_module):
    mod = make_module(SRC)
    with pytest.raises(SystemError, match='no name'):
        mod.bad_desc(0)
    with pytest.raises(SystemError, match='no fields'):
        mod.bad_desc(1)
