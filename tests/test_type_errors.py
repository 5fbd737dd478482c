"""Bad type specs and bad constructors: each is an exception, never a crash."""
import pytest

from test_type import ADD_TYPE

BAD = ADD_TYPE + r"""
    typedef struct { long a; long b; long c; long d; } BigObject;
    typedef struct { long a; } SmallObject;

    HPyDef_SLOT(unknown_slot, HPy_tp_repr)
    static HPy unknown_slot_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }

    HPyDef_MEMBER(bad_member, "m", HPyMember_LONG, 0)
    HPyDef_METH(bad_meth, "f", HPyFunc_NOARGS)
    static HPy bad_meth_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Dup(ctx, self);
    }
    static HPyDef bad_kind;

    HPyDef_SLOT(Wrong_new, HPy_tp_new)
    static HPy Wrong_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                              HPy_ssize_t nargs, HPy kw)
    {
        return HPyLong_FromLong(ctx, 42);       /* not an instance of cls */
    }
    HPyDef_SLOT(Null_new, HPy_tp_new)
    static HPy Null_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                             HPy_ssize_t nargs, HPy kw)
    {
        HPyErr_SetString(ctx, ctx->h_ValueError, "no");
        return HPy_NULL;
    }

    static HPyDef *defs[3];
    static HPyType_Spec spec;

    /* try(which): HPyType_FromSpec with a spec broken in way `which` */
    HPyDef_METH(attempt, "attempt", HPyFunc_VARARGS)
    static HPy attempt_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        long which = HPyLong_AsLong(ctx, args[0]);
        HPyType_SpecParam params[] = {
            { HPyType_SpecParam_Base, nargs > 1 ? args[1] : HPy_NULL },
            { (HPyType_SpecParam_Kind)0 }
        };
        HPyType_SpecParam *p = nargs > 1 ? params : NULL;
        HPyType_Spec s = {
            .name = "mytest.Bad",
            .basicsize = sizeof(SmallObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
            .defines = defs,
        };
        defs[0] = defs[1] = defs[2] = NULL;
        spec = s;
        switch (which) {
        case 0: break;                                         /* fine */
        case 1: unknown_slot.slot.slot = (HPySlot_Slot)555;    /* unknown slot */
                defs[0] = &unknown_slot; break;
        case 2: unknown_slot.slot.slot = HPy_mod_exec;         /* a module slot */
                defs[0] = &unknown_slot; break;
        case 3: bad_member.member.type = (HPyMember_FieldType)15;
                defs[0] = &bad_member; break;
        case 4: bad_meth.meth.signature = HPyFunc_UNARYFUNC;
                defs[0] = &bad_meth; break;
        case 5: bad_kind.kind = (HPyDef_Kind)77; defs[0] = &bad_kind; break;
        case 6: spec.flags |= HPy_TPFLAGS_HAVE_GC; break;      /* no traverse */
        case 7: spec.builtin_shape = (HPyType_BuiltinShape)42; break;
        case 8: spec.basicsize = 0; bad_member.member.type = HPyMember_LONG;
                defs[0] = &bad_member; break;                  /* members, no struct */
        case 9: spec.basicsize = sizeof(SmallObject); break;   /* smaller than base */
        case 10: defs[0] = &Wrong_new; break;
        case 11: defs[0] = &Null_new; break;
        case 12: spec.name = NULL; break;
        case 13: spec.builtin_shape = HPyType_BuiltinShape_List; break; /* base is an HPy Object type */
        case 14: spec.basicsize = -8; break;
        }
        return HPyType_FromSpec(ctx, &spec, p);
    }

    HPyDef_METH(big, "big", HPyFunc_NOARGS)
    static HPy big_impl(HPyContext *ctx, HPy self)
    {
        static HPyType_Spec s = {
            .name = "mytest.Big",
            .basicsize = sizeof(BigObject),
            .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE,
        };
        return HPyType_FromSpec(ctx, &s, NULL);
    }

    HPyDef_METH(bad_params, "bad_params", HPyFunc_O)
    static HPy bad_params_impl(HPyContext *ctx, HPy self, HPy which)
    {
        static HPyType_Spec s = { .name = "mytest.P", .flags = HPy_TPFLAGS_DEFAULT };
        HPyType_SpecParam twice_tuple[] = {
            { HPyType_SpecParam_BasesTuple, ctx->h_None },
            { HPyType_SpecParam_BasesTuple, ctx->h_None },
            { (HPyType_SpecParam_Kind)0 } };
        HPyType_SpecParam both[] = {
            { HPyType_SpecParam_Base, ctx->h_BaseObjectType },
            { HPyType_SpecParam_BasesTuple, ctx->h_None },
            { (HPyType_SpecParam_Kind)0 } };
        HPyType_SpecParam bad_meta[] = {
            { HPyType_SpecParam_Metaclass, ctx->h_None },
            { (HPyType_SpecParam_Kind)0 } };
        HPyType_SpecParam two_meta[] = {
            { HPyType_SpecParam_Metaclass, ctx->h_TypeType },
            { HPyType_SpecParam_Metaclass, ctx->h_TypeType },
            { (HPyType_SpecParam_Kind)0 } };
        HPyType_SpecParam not_a_type[] = {
            { HPyType_SpecParam_Base, ctx->h_None },
            { (HPyType_SpecParam_Kind)0 } };
        HPyType_SpecParam *all[] = { twice_tuple, both, bad_meta, two_meta, not_a_type };
        return HPyType_FromSpec(ctx, &s, all[HPyLong_AsLong(ctx, which)]);
    }

    HPyDef_METH(null_spec, "null_spec", HPyFunc_NOARGS)
    static HPy null_spec_impl(HPyContext *ctx, HPy self)
    {
        return HPyType_FromSpec(ctx, NULL, NULL);
    }

    @EXPORT(attempt)
    @EXPORT(big)
    @EXPORT(bad_params)
    @EXPORT(null_spec)
    @INIT
"""


def test_bad_specs(make_module):
    mod = make_module(BAD)
    T = mod.attempt(0)
    assert T.__name__ == 'Bad'
    with pytest.raises(SystemError, match='invalid slot value 555'):
        mod.attempt(1)
    with pytest.raises(SystemError, match='invalid slot value 2001'):
        mod.attempt(2)
    with pytest.raises(TypeError, match='unknown HPyMember_FieldType'):
        mod.attempt(3)
    with pytest.raises(ValueError, match='Unsupported HPyMeth signature'):
        mod.attempt(4)
    with pytest.raises(SystemError, match='invalid HPyDef.kind 77'):
        mod.attempt(5)
    with pytest.raises(ValueError, match='HPy_tp_traverse'):
        mod.attempt(6)
    with pytest.raises(ValueError, match='invalid shape'):
        mod.attempt(7)
    with pytest.raises(TypeError, match='basicsize==0 but defines members'):
        mod.attempt(8)
    with pytest.raises(SystemError):
        mod.attempt(12)
    with pytest.raises(ValueError):
        mod.attempt(14)
    with pytest.raises(SystemError):
        mod.null_spec()


def test_base_layout_errors(make_module):
    mod = make_module(BAD)
    Big = mod.big()
    with pytest.raises(TypeError, match='smaller than the basicsize of its base'):
        mod.attempt(9, Big)
    with pytest.raises(TypeError, match='builtin_shape differs'):
        mod.attempt(13, Big)
    with pytest.raises(TypeError, match='inside its base'):
        mod.attempt(0, float)          # a Object-shaped struct inside a float
    Sub = mod.attempt(0, Big.__base__)
    assert Sub.__base__ is object


def test_bad_params(make_module):
    mod = make_module(BAD)
    with pytest.raises(TypeError, match='multiple specifications'):
        mod.bad_params(0)
    with pytest.raises(TypeError, match='cannot specify both'):
        mod.bad_params(1)
    with pytest.raises(TypeError, match="Metaclass 'None' is not a subclass of 'type'"):
        mod.bad_params(2)
    with pytest.raises(ValueError, match='metaclass was specified multiple times'):
        mod.bad_params(3)
    with pytest.raises(TypeError):
        mod.bad_params(4)


def test_tp_new_returning_the_wrong_type(make_module):
    mod = make_module(BAD)
    W = mod.attempt(10)
    with pytest.raises(TypeError, match="returned an object of type 'int'"):
        W()

    class Sub(W):
        pass
    with pytest.raises(TypeError, match='not an instance of'):
        Sub()
    N = mod.attempt(11)
    with pytest.raises(ValueError, match='no'):
        N()
