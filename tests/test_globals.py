"""HPyGlobal_Store / HPyGlobal_Load: module-level references kept in C
global variables (listed in HPyModuleDef.globals)."""
import sys

import pytest

SRC = r"""
    static HPyGlobal g_obj;
    static HPyGlobal g_init;

    HPyDef_SLOT(exec_slot, HPy_mod_exec)
    static int exec_slot_impl(HPyContext *ctx, HPy module)
    {
        HPy s = HPyUnicode_FromString(ctx, "stored at exec");
        if (HPy_IsNull(s))
            return -1;
        HPyGlobal_Store(ctx, &g_init, s);
        HPy_Close(ctx, s);
        return 0;
    }

    HPyDef_METH(store, "store", HPyFunc_O)
    static HPy store_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyGlobal_Store(ctx, &g_obj, arg);
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(clear, "clear", HPyFunc_NOARGS)
    static HPy clear_impl(HPyContext *ctx, HPy self)
    {
        HPyGlobal_Store(ctx, &g_obj, HPy_NULL);
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* load(): the object, or the string "<empty>" when the global is empty
       (HPy_NULL without an exception) */
    HPyDef_METH(load, "load", HPyFunc_NOARGS)
    static HPy load_impl(HPyContext *ctx, HPy self)
    {
        HPy h = HPyGlobal_Load(ctx, g_obj);
        if (HPy_IsNull(h)) {
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPyUnicode_FromString(ctx, "<empty>");
        }
        return h;
    }

    HPyDef_METH(load_init, "load_init", HPyFunc_NOARGS)
    static HPy load_init_impl(HPyContext *ctx, HPy self)
    {
        return HPyGlobal_Load(ctx, g_init);
    }

    @EXPORT(exec_slot)
    @EXPORT(store)
    @EXPORT(clear)
    @EXPORT(load)
    @EXPORT(load_init)
    @EXPORT_GLOBAL(g_obj)
    @EXPORT_GLOBAL(g_init)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='globals_')


def test_store_and_load(m):
    assert m.load() == '<empty>'
    obj = object()
    m.store(obj)
    assert m.load() is obj
    assert m.load() is obj
    m.store('other')
    assert m.load() == 'other'
    m.clear()
    assert m.load() == '<empty>'


def test_global_owns_a_reference(m):
    obj = object()
    before = sys.getrefcount(obj)
    m.store(obj)
    assert sys.getrefcount(obj) == before + 1
    for _ in range(10):
        assert m.load() is obj
    assert sys.getrefcount(obj) == before + 1
    m.store(obj)                       # storing the same object again
    assert sys.getrefcount(obj) == before + 1
    m.store(None)                      # replacing releases the old one
    assert sys.getrefcount(obj) == before
    m.store(obj)
    m.clear()
    assert sys.getrefcount(obj) == before


def test_stored_during_exec(m):
    assert m.load_init() == 'stored at exec'


def test_importing_again_keeps_the_values(make_module):
    """As in HPy 0.9, a global belongs to the loaded library, not to one
    module object: importing the module again neither clears nor releases
    what it holds, and the next store releases it (so re-imports leak
    nothing)."""
    first = make_module(SRC, name='globals_')
    obj = object()
    first.store(obj)
    held = sys.getrefcount(obj)
    second = make_module(SRC, name='globals_')    # the same file, again
    assert second is not first
    assert second.load() is obj
    assert first.load() is obj
    assert sys.getrefcount(obj) == held
    second.store('next')               # releases obj, for both modules
    assert sys.getrefcount(obj) == held - 1
    assert first.load() == 'next'
    assert second.load_init() == 'stored at exec'
    second.clear()
    assert first.load() == '<empty>'
