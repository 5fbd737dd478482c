"""HPyCapsule_New / Get / Set / IsValid and the inline accessors
(GetPointer, GetName, GetContext, SetPointer, SetName, SetContext,
SetDestructor); destructors made with HPyCapsule_DESTRUCTOR.

Capsules are CPython's own: the errors are those of the PyCapsule_* API
(ValueError for a wrong name, a null pointer or a non-capsule)."""
import gc

import pytest

SRC = r"""
    #include <string.h>

    static long values[2] = {1234, 5678};
    static char context_data;
    static const char *NAME = "mytest.cap";
    static const char *OTHER_NAME = "mytest.other";

    /* what the destructor saw last, and how often it ran */
    static long destructor_calls;
    static char destructor_name[64];
    static void *destructor_pointer;
    static void *destructor_context;

    HPyCapsule_DESTRUCTOR(my_destructor)
    static void my_destructor_impl(const char *name, void *pointer,
                                   void *context)
    {
        destructor_calls++;
        strncpy(destructor_name, name ? name : "(null)",
                sizeof(destructor_name) - 1);
        destructor_pointer = pointer;
        destructor_context = context;
    }

    static const char *name_arg(HPyContext *ctx, HPy h)
    {
        /* None -> NULL, 0 -> NAME, 1 -> OTHER_NAME */
        if (HPy_Is(ctx, h, ctx->h_None))
            return NULL;
        return HPyLong_AsLong(ctx, h) ? OTHER_NAME : NAME;
    }

    /* new(with_destructor, name): a capsule of &values[0] */
    HPyDef_METH(new, "new", HPyFunc_VARARGS)
    static HPy new_impl(HPyContext *ctx, HPy self,
                        const HPy *args, size_t nargs)
    {
        int with_destructor = HPy_IsTrue(ctx, args[0]);
        return HPyCapsule_New(ctx, &values[0], name_arg(ctx, args[1]),
                              with_destructor ? &my_destructor : NULL);
    }

    HPyDef_METH(new_null_pointer, "new_null_pointer", HPyFunc_NOARGS)
    static HPy new_null_pointer_impl(HPyContext *ctx, HPy self)
    {
        return HPyCapsule_New(ctx, NULL, NAME, NULL);
    }

    HPyDef_METH(new_bad_destructor, "new_bad_destructor", HPyFunc_NOARGS)
    static HPy new_bad_destructor_impl(HPyContext *ctx, HPy self)
    {
        static HPyCapsule_Destructor bad = { NULL, NULL };
        return HPyCapsule_New(ctx, &values[0], NAME, &bad);
    }

    /* get_pointer(cap, name): the long it points to */
    HPyDef_METH(get_pointer, "get_pointer", HPyFunc_VARARGS)
    static HPy get_pointer_impl(HPyContext *ctx, HPy self,
                                const HPy *args, size_t nargs)
    {
        long *p = (long *)HPyCapsule_GetPointer(ctx, args[0],
                                                name_arg(ctx, args[1]));
        if (p == NULL)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, *p);
    }

    /* get_with_key(cap, key): HPyCapsule_Get with a raw key */
    HPyDef_METH(get_with_key, "get_with_key", HPyFunc_VARARGS)
    static HPy get_with_key_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        long key = HPyLong_AsLong(ctx, args[1]);
        void *p = HPyCapsule_Get(ctx, args[0], (_HPyCapsule_key)key, NAME);
        if (p == NULL && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyBool_FromLong(ctx, p != NULL);
    }

    HPyDef_METH(set_with_key, "set_with_key", HPyFunc_VARARGS)
    static HPy set_with_key_impl(HPyContext *ctx, HPy self,
                                 const HPy *args, size_t nargs)
    {
        long key = HPyLong_AsLong(ctx, args[1]);
        if (HPyCapsule_Set(ctx, args[0], (_HPyCapsule_key)key, &values[1]) < 0)
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    HPyDef_METH(get_name, "get_name", HPyFunc_O)
    static HPy get_name_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        const char *name = HPyCapsule_GetName(ctx, arg);
        if (name == NULL) {
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        return HPyUnicode_FromString(ctx, name);
    }

    /* get_context(cap): None (NULL), "data" (&context_data) or "other" */
    HPyDef_METH(get_context, "get_context", HPyFunc_O)
    static HPy get_context_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        void *c = HPyCapsule_GetContext(ctx, arg);
        if (c == NULL) {
            if (HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPy_Dup(ctx, ctx->h_None);
        }
        return HPyUnicode_FromString(ctx, c == &context_data ? "data" : "other");
    }

    HPyDef_METH(is_valid, "is_valid", HPyFunc_VARARGS)
    static HPy is_valid_impl(HPyContext *ctx, HPy self,
                             const HPy *args, size_t nargs)
    {
        return HPyLong_FromLong(ctx, HPyCapsule_IsValid(ctx, args[0],
                                                  name_arg(ctx, args[1])));
    }

    /* setters(cap, what): 0 SetPointer(&values[1]), 1 SetPointer(NULL),
       2 SetName(OTHER_NAME), 3 SetName(NULL), 4 SetContext(&context_data),
       5 SetDestructor(&my_destructor), 6 SetDestructor(NULL) */
    HPyDef_METH(setters, "setters", HPyFunc_VARARGS)
    static HPy setters_impl(HPyContext *ctx, HPy self,
                            const HPy *args, size_t nargs)
    {
        HPy cap = args[0];
        int r;
        switch (HPyLong_AsLong(ctx, args[1])) {
        case 0: r = HPyCapsule_SetPointer(ctx, cap, &values[1]); break;
        case 1: r = HPyCapsule_SetPointer(ctx, cap, NULL); break;
        case 2: r = HPyCapsule_SetName(ctx, cap, OTHER_NAME); break;
        case 3: r = HPyCapsule_SetName(ctx, cap, NULL); break;
        case 4: r = HPyCapsule_SetContext(ctx, cap, &context_data); break;
        case 5: r = HPyCapsule_SetDestructor(ctx, cap, &my_destructor); break;
        case 6: r = HPyCapsule_SetDestructor(ctx, cap, NULL); break;
        default:
            HPyErr_SetString(ctx, ctx->h_ValueError, "bad what");
            return HPy_NULL;
        }
        if (r < 0)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, r);
    }

    /* destructor_log(): (calls, name, pointed value, context) */
    HPyDef_METH(destructor_log, "destructor_log", HPyFunc_NOARGS)
    static HPy destructor_log_impl(HPyContext *ctx, HPy self)
    {
        return HPy_BuildValue(ctx, "lsls", destructor_calls, destructor_name,
                    destructor_pointer ? *(long *)destructor_pointer : 0L,
                    destructor_context == &context_data ? "data" : "none");
    }

    @EXPORT(new)
    @EXPORT(new_null_pointer)
    @EXPORT(new_bad_destructor)
    @EXPORT(get_pointer)
    @EXPORT(get_with_key)
    @EXPORT(set_with_key)
    @EXPORT(get_name)
    @EXPORT(get_context)
    @EXPORT(is_valid)
    @EXPORT(setters)
    @EXPORT(destructor_log)
    @INIT
"""

# HPyCapsule_key_*
POINTER, NAME, CONTEXT, DESTRUCTOR = 0, 1, 2, 3
# name_arg() in the snippet
MY_NAME, OTHER_NAME = 0, 1


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='capsules')


def test_new_and_get(m):
    cap = m.new(False, MY_NAME)
    assert type(cap).__name__ == 'PyCapsule'
    assert repr(cap).startswith('<capsule object "mytest.cap"')
    assert m.get_pointer(cap, MY_NAME) == 1234
    assert m.get_name(cap) == 'mytest.cap'
    assert m.get_context(cap) is None
    assert m.is_valid(cap, MY_NAME) == 1
    assert m.is_valid(cap, OTHER_NAME) == 0
    assert m.is_valid(cap, None) == 0


def test_unnamed_capsule(m):
    cap = m.new(False, None)
    assert m.get_name(cap) is None
    assert m.get_pointer(cap, None) == 1234
    assert m.is_valid(cap, None) == 1
    assert m.is_valid(cap, MY_NAME) == 0
    with pytest.raises(ValueError, match='incorrect name'):
        m.get_pointer(cap, MY_NAME)


def test_errors(m):
    cap = m.new(False, MY_NAME)
    with pytest.raises(ValueError, match='incorrect name'):
        m.get_pointer(cap, OTHER_NAME)
    with pytest.raises(ValueError, match='null pointer'):
        m.new_null_pointer()
    with pytest.raises(ValueError, match='destructor'):
        m.new_bad_destructor()
    # not a capsule
    for obj in [None, 42, 'cap']:
        assert m.is_valid(obj, MY_NAME) == 0
        with pytest.raises(ValueError):
            m.get_pointer(obj, MY_NAME)
        with pytest.raises(ValueError):
            m.get_name(obj)
        with pytest.raises(ValueError):
            m.setters(obj, 0)
    # the destructor cannot be read; keys out of range are refused
    with pytest.raises(ValueError):
        m.get_with_key(cap, DESTRUCTOR)
    with pytest.raises(ValueError):
        m.get_with_key(cap, 17)
    with pytest.raises(ValueError):
        m.set_with_key(cap, 17)


def test_get_and_set_with_keys(m):
    cap = m.new(False, MY_NAME)
    assert m.get_with_key(cap, POINTER) is True
    assert m.get_with_key(cap, NAME) is True
    assert m.get_with_key(cap, CONTEXT) is False
    assert m.set_with_key(cap, POINTER) is None
    assert m.get_pointer(cap, MY_NAME) == 5678
    assert m.set_with_key(cap, CONTEXT) is None
    assert m.get_context(cap) == 'other'


def test_setters(m):
    cap = m.new(False, MY_NAME)
    assert m.setters(cap, 0) == 0
    assert m.get_pointer(cap, MY_NAME) == 5678
    with pytest.raises(ValueError, match='null pointer'):
        m.setters(cap, 1)
    assert m.get_pointer(cap, MY_NAME) == 5678
    assert m.setters(cap, 2) == 0
    assert m.get_name(cap) == 'mytest.other'
    assert m.is_valid(cap, OTHER_NAME) == 1
    assert m.get_pointer(cap, OTHER_NAME) == 5678
    assert m.setters(cap, 3) == 0
    assert m.get_name(cap) is None
    assert m.setters(cap, 4) == 0
    assert m.get_context(cap) == 'data'


def test_destructor(m):
    calls = m.destructor_log()[0]
    cap = m.new(True, MY_NAME)
    assert m.destructor_log()[0] == calls
    del cap
    gc.collect()
    assert m.destructor_log() == (calls + 1, 'mytest.cap', 1234, 'none')
    # the destructor sees the capsule as it is when it dies
    cap = m.new(True, MY_NAME)
    m.setters(cap, 0)
    m.setters(cap, 4)
    del cap
    gc.collect()
    assert m.destructor_log() == (calls + 2, 'mytest.cap', 5678, 'data')


def test_set_destructor(m):
    calls = m.destructor_log()[0]
    cap = m.new(False, MY_NAME)
    assert m.setters(cap, 5) == 0
    del cap
    gc.collect()
    assert m.destructor_log()[0] == calls + 1
    # and removing it again
    cap = m.new(True, MY_NAME)
    assert m.setters(cap, 6) == 0
    del cap
    gc.collect()
    assert m.destructor_log()[0] == calls + 1
