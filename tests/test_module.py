"""HPyModuleDef: doc, size (module state), HPy_mod_create / HPy_mod_exec
slots, module globals."""
import types

import pytest

SIMPLE_F = """
    HPyDef_METH(f, "f", HPyFunc_NOARGS)
    static HPy f_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, 42);
    }
"""


def moddef_src(doc='"Some doc"', size=0, defines='&f', extra=SIMPLE_F):
    return extra + """
        static HPyDef *moduledefs[] = { %s, NULL };
        static HPyModuleDef moduledef = {
            .doc = %s,
            .size = %d,
            .legacy_methods = NULL,
            .defines = moduledefs,
            .globals = NULL,
        };
        @HPy_MODINIT(moduledef)
    """ % (defines, doc, size)


def test_simple_moduledef(make_module):
    mod = make_module(moddef_src())
    assert mod.__name__ == 'mytest'
    assert mod.__doc__ == 'Some doc'
    assert mod.f() == 42


def test_doc_null(make_module):
    mod = make_module(moddef_src(doc='NULL'))
    assert mod.__doc__ is None
    assert mod.f() == 42


def test_doc_unicode(make_module):
    mod = make_module(moddef_src(doc='"h\\xc3\\xa9llo \\xe2\\x82\\xac"'))
    assert mod.__doc__ == 'h\xe9llo \u20ac'


def test_no_defines(make_module):
    mod = make_module("""
        static HPyModuleDef moduledef = { .doc = "empty" };
        @HPy_MODINIT(moduledef)
    """)
    assert mod.__doc__ == 'empty'


def test_module_state_size(make_module):
    # HPyModuleDef.size > 0 asks for that many bytes of module state
    mod = make_module(moddef_src(size=64))
    assert mod.f() == 42


def test_negative_size_is_an_error(make_module):
    with pytest.raises(SystemError,
                       match='HPy does not permit HPyModuleDef.size < 0'):
        make_module(moddef_src(size=-1))


def test_exec_slots_run_in_order(make_module):
    # Every HPy_mod_exec slot among the defines runs once, on the module that
    # was created, in the order of the defines array (not of the source),
    # after the module's functions have been added.
    mod = make_module("""
        /* appends `tag` to mod.log (made by whichever slot runs first) and
           notes whether mod.f exists at that point */
        static int log_exec(HPyContext *ctx, HPy mod, const char *tag)
        {
            HPy log, entry;
            int err;
            if (!HPy_HasAttr_s(ctx, mod, "log")) {
                HPy empty = HPyList_New(ctx, 0);
                if (HPy_IsNull(empty))
                    return -1;
                err = HPy_SetAttr_s(ctx, mod, "log", empty);
                HPy_Close(ctx, empty);
                if (err < 0)
                    return -1;
            }
            log = HPy_GetAttr_s(ctx, mod, "log");
            if (HPy_IsNull(log))
                return -1;
            entry = HPy_BuildValue(ctx, "(si)", tag, HPy_HasAttr_s(ctx, mod, "f"));
            err = HPy_IsNull(entry) ? -1 : HPyList_Append(ctx, log, entry);
            HPy_Close(ctx, entry);
            HPy_Close(ctx, log);
            return err;
        }

        HPyDef_SLOT(exec_c, HPy_mod_exec)
        static int exec_c_impl(HPyContext *ctx, HPy mod)
        {
            return log_exec(ctx, mod, "c");
        }
        HPyDef_SLOT(exec_a, HPy_mod_exec)
        static int exec_a_impl(HPyContext *ctx, HPy mod)
        {
            return log_exec(ctx, mod, "a");
        }
        HPyDef_SLOT(exec_b, HPy_mod_exec)
        static int exec_b_impl(HPyContext *ctx, HPy mod)
        {
            return log_exec(ctx, mod, "b");
        }
        """ + SIMPLE_F + """
        static HPyDef *moduledefs[] = { &exec_b, &f, &exec_c, &exec_a, NULL };
        static HPyModuleDef moduledef = {
            .doc = "exec order",
            .defines = moduledefs,
        };
        @HPy_MODINIT(moduledef)
    """)
    assert mod.log == [('b', 1), ('c', 1), ('a', 1)]
    assert mod.f() == 42
    assert mod.__doc__ == 'exec order'


def test_exec_slot_error(make_module):
    with pytest.raises(KeyError, match='raised by exec'):
        make_module("""
            HPyDef_SLOT(exec1, HPy_mod_exec)
            static int exec1_impl(HPyContext *ctx, HPy mod)
            {
                HPyErr_SetString(ctx, ctx->h_KeyError, "raised by exec");
                return -1;
            }
            static HPyDef *moduledefs[] = { &exec1, NULL };
            static HPyModuleDef moduledef = { .defines = moduledefs };
            @HPy_MODINIT(moduledef)
        """)


CREATE_NAMESPACE = """
    HPyDef_SLOT(create, HPy_mod_create)
    static HPy create_impl(HPyContext *ctx, HPy spec)
    {
        HPy result = HPy_NULL, dict = HPy_NULL, ns_type = HPy_NULL;
        HPy types = HPyImport_ImportModule(ctx, "types");
        if (HPy_IsNull(types))
            return HPy_NULL;
        ns_type = HPy_GetAttr_s(ctx, types, "SimpleNamespace");
        if (HPy_IsNull(ns_type))
            goto cleanup;
        dict = HPyDict_New(ctx);
        if (HPy_IsNull(dict))
            goto cleanup;
        if (HPy_SetItem_s(ctx, dict, "spec", spec) < 0)
            goto cleanup;
        result = HPy_CallTupleDict(ctx, ns_type, HPy_NULL, dict);
    cleanup:
        HPy_Close(ctx, dict);
        HPy_Close(ctx, types);
        HPy_Close(ctx, ns_type);
        return result;
    }
"""


def test_create_slot_returns_non_module(make_module):
    mod = make_module(CREATE_NAMESPACE + """
        static HPyDef *moduledefs[] = { &create, NULL };
        static HPyModuleDef moduledef = {
            .doc = NULL,
            .size = 0,
            .legacy_methods = NULL,
            .defines = moduledefs,
            .globals = NULL,
        };
        @HPy_MODINIT(moduledef)
    """)
    assert isinstance(mod, types.SimpleNamespace)
    assert mod.spec.name == 'mytest'


def test_create_slot_cannot_return_a_module(make_module):
    with pytest.raises(SystemError, match='HPy_mod_create slot returned a '
                       'builtin module object. This is currently not '
                       'supported.'):
        make_module("""
            HPyDef_SLOT(create, HPy_mod_create)
            static HPy create_impl(HPyContext *ctx, HPy spec)
            {
                return HPyImport_ImportModule(ctx, "types");
            }
            static HPyDef *moduledefs[] = { &create, NULL };
            static HPyModuleDef moduledef = { .defines = moduledefs };
            @HPy_MODINIT(moduledef)
        """)


def test_create_slot_raises(make_module):
    with pytest.raises(RuntimeError, match='Test error'):
        make_module("""
            HPyDef_SLOT(create, HPy_mod_create)
            static HPy create_impl(HPyContext *ctx, HPy spec)
            {
                HPyErr_SetString(ctx, ctx->h_RuntimeError, "Test error");
                return HPy_NULL;
            }
            static HPyDef *moduledefs[] = { &create, NULL };
            static HPyModuleDef moduledef = { .defines = moduledefs };
            @HPy_MODINIT(moduledef)
        """)


@pytest.mark.parametrize('what', ['doc', 'exec', 'meth', 'size'])
def test_create_slot_with_other_data_is_an_error(make_module, what):
    doc = '"non-default doc"' if what == 'doc' else 'NULL'
    size = 16 if what == 'size' else 0
    defines = {'exec': '&create, &exec1', 'meth': '&create, &f'}.get(what, '&create')
    with pytest.raises(SystemError,
                       match=r'^HPyModuleDef defines a HPy_mod_create slot'):
        make_module(CREATE_NAMESPACE + SIMPLE_F + """
            HPyDef_SLOT(exec1, HPy_mod_exec)
            static int exec1_impl(HPyContext *ctx, HPy mod)
            {
                return 0;
            }
            static HPyDef *moduledefs[] = { %s, NULL };
            static HPyModuleDef moduledef = {
                .doc = %s,
                .size = %d,
                .defines = moduledefs,
            };
            @HPy_MODINIT(moduledef)
        """ % (defines, doc, size))


def test_globals(make_module):
    mod = make_module("""
        static HPyGlobal g1;
        static HPyGlobal g2;

        /* is_null(): which globals are still zero */
        HPyDef_METH(is_null, "is_null", HPyFunc_NOARGS)
        static HPy is_null_impl(HPyContext *ctx, HPy self)
        {
            return HPyLong_FromLong(ctx, (g1._i == 0) * 10 + (g2._i == 0));
        }

        HPyDef_METH(store, "store", HPyFunc_VARARGS)
        static HPy store_impl(HPyContext *ctx, HPy self,
                              const HPy *args, size_t nargs)
        {
            long which;
            HPy obj;
            if (!HPyArg_Parse(ctx, NULL, args, nargs, "lO:store", &which, &obj))
                return HPy_NULL;
            HPyGlobal_Store(ctx, which == 1 ? &g1 : &g2, obj);
            return HPy_Dup(ctx, ctx->h_None);
        }

        HPyDef_METH(load, "load", HPyFunc_O)
        static HPy load_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            long which = HPyLong_AsLong(ctx, arg);
            if (which == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPyGlobal_Load(ctx, which == 1 ? g1 : g2);
        }

        @EXPORT(is_null)
        @EXPORT(store)
        @EXPORT(load)
        @EXPORT_GLOBAL(g1)
        @EXPORT_GLOBAL(g2)
        @INIT
    """)
    assert mod.is_null() == 11
    obj1, obj2 = object(), [1, 2]
    mod.store(1, obj1)
    assert mod.is_null() == 1
    assert mod.load(1) is obj1
    mod.store(2, obj2)
    assert mod.is_null() == 0
    assert mod.load(2) is obj2
    assert mod.load(1) is obj1
    # storing again replaces (and releases) the old object
    import sys
    before = sys.getrefcount(obj1)
    mod.store(1, 'x')
    assert sys.getrefcount(obj1) == before - 1
    assert mod.load(1) == 'x'
    for _ in range(20):
        mod.store(2, obj2)
        mod.load(2)
    assert mod.load(2) is obj2


def test_globals_stored_in_exec(make_module):
    mod = make_module("""
        static HPyGlobal g;

        HPyDef_SLOT(exec1, HPy_mod_exec)
        static int exec1_impl(HPyContext *ctx, HPy mod)
        {
            HPy h = HPyUnicode_FromString(ctx, "stored in exec");
            if (HPy_IsNull(h))
                return -1;
            HPyGlobal_Store(ctx, &g, h);
            HPy_Close(ctx, h);
            return 0;
        }

        HPyDef_METH(load, "load", HPyFunc_NOARGS)
        static HPy load_impl(HPyContext *ctx, HPy self)
        {
            return HPyGlobal_Load(ctx, g);
        }

        @EXPORT(exec1)
        @EXPORT(load)
        @EXPORT_GLOBAL(g)
        @INIT
    """)
    assert mod.load() == 'stored in exec'
