/*
 * Prints the size, alignment and field offsets of every public struct of
 * hpy.h (the structs of shared/hpy-abi/structs.tsv), plus the sizes of the
 * scalar and enum types and a few context offsets, one fact per line:
 *
 *     size   NAME        BYTES
 *     align  NAME        BYTES
 *     offset NAME.FIELD  BYTES
 *
 * Build in universal mode (no Python.h), e.g.
 *     gcc -std=c99 -DHPY_ABI_UNIVERSAL -I python/hpy/devel/include/hpy/forbid_python_h \
 *         -I python/hpy/devel/include tests/c/layout.c -o layout && ./layout
 * and compare with the #[repr(C)] types of crates/hpy-sys.
 */
#include "hpy.h"
#include <stdio.h>

#define ALIGNOF(T) offsetof(struct { char c; T t; }, t)
#define SIZE(T)                                                             \
    printf("size %s %zu\nalign %s %zu\n", #T, sizeof(T), #T, ALIGNOF(T))
#define OFFSET(T, F) printf("offset %s.%s %zu\n", #T, #F, offsetof(T, F))

int main(void)
{
    /* scalar and enum types */
    SIZE(HPy_ssize_t);
    SIZE(HPy_hash_t);
    SIZE(HPy_UCS4);
    SIZE(HPyFunc_Signature);
    SIZE(HPySlot_Slot);
    SIZE(HPyDef_Kind);
    SIZE(HPyMember_FieldType);
    SIZE(HPyType_BuiltinShape);
    SIZE(HPyType_SpecParam_Kind);
    SIZE(HPy_RichCmpOp);
    SIZE(HPy_SourceKind);
    SIZE(_HPyCapsule_key);
    SIZE(HPyCFunction);


    SIZE(HPy);
    OFFSET(HPy, _i);

    SIZE(HPyField);
    OFFSET(HPyField, _i);

    SIZE(HPyGlobal);
    OFFSET(HPyGlobal, _i);

    SIZE(HPyListBuilder);
    OFFSET(HPyListBuilder, _lst);

    SIZE(HPyTupleBuilder);
    OFFSET(HPyTupleBuilder, _tup);

    SIZE(HPyTracker);
    OFFSET(HPyTracker, _i);

    SIZE(HPyThreadState);
    OFFSET(HPyThreadState, _i);

    SIZE(HPySlot);
    OFFSET(HPySlot, slot);
    OFFSET(HPySlot, impl);
    OFFSET(HPySlot, cpy_trampoline);

    SIZE(HPyMeth);
    OFFSET(HPyMeth, name);
    OFFSET(HPyMeth, impl);
    OFFSET(HPyMeth, cpy_trampoline);
    OFFSET(HPyMeth, signature);
    OFFSET(HPyMeth, doc);

    SIZE(HPyMember);
    OFFSET(HPyMember, name);
    OFFSET(HPyMember, type);
    OFFSET(HPyMember, offset);
    OFFSET(HPyMember, readonly);
    OFFSET(HPyMember, doc);

    SIZE(HPyGetSet);
    OFFSET(HPyGetSet, name);
    OFFSET(HPyGetSet, getter_impl);
    OFFSET(HPyGetSet, setter_impl);
    OFFSET(HPyGetSet, getter_cpy_trampoline);
    OFFSET(HPyGetSet, setter_cpy_trampoline);
    OFFSET(HPyGetSet, doc);
    OFFSET(HPyGetSet, closure);

    SIZE(HPyDef);
    OFFSET(HPyDef, kind);
    OFFSET(HPyDef, slot);
    OFFSET(HPyDef, meth);
    OFFSET(HPyDef, member);
    OFFSET(HPyDef, getset);

    SIZE(HPyCapsule_Destructor);
    OFFSET(HPyCapsule_Destructor, cpy_trampoline);
    OFFSET(HPyCapsule_Destructor, impl);

    SIZE(HPyCallFunction);
    OFFSET(HPyCallFunction, cpy_trampoline);
    OFFSET(HPyCallFunction, impl);

    SIZE(HPy_buffer);
    OFFSET(HPy_buffer, buf);
    OFFSET(HPy_buffer, obj);
    OFFSET(HPy_buffer, len);
    OFFSET(HPy_buffer, itemsize);
    OFFSET(HPy_buffer, readonly);
    OFFSET(HPy_buffer, ndim);
    OFFSET(HPy_buffer, format);
    OFFSET(HPy_buffer, shape);
    OFFSET(HPy_buffer, strides);
    OFFSET(HPy_buffer, suboffsets);
    OFFSET(HPy_buffer, internal);

    SIZE(HPyModuleDef);
    OFFSET(HPyModuleDef, doc);
    OFFSET(HPyModuleDef, size);
    OFFSET(HPyModuleDef, legacy_methods);
    OFFSET(HPyModuleDef, defines);
    OFFSET(HPyModuleDef, globals);

    SIZE(HPyType_Vectorcall);
    OFFSET(HPyType_Vectorcall, cpy_trampoline);
    OFFSET(HPyType_Vectorcall, impl);

    SIZE(HPyType_Spec);
    OFFSET(HPyType_Spec, name);
    OFFSET(HPyType_Spec, basicsize);
    OFFSET(HPyType_Spec, itemsize);
    OFFSET(HPyType_Spec, flags);
    OFFSET(HPyType_Spec, builtin_shape);
    OFFSET(HPyType_Spec, legacy_slots);
    OFFSET(HPyType_Spec, defines);
    OFFSET(HPyType_Spec, doc);

    SIZE(HPyType_SpecParam);
    OFFSET(HPyType_SpecParam, kind);
    OFFSET(HPyType_SpecParam, object);

    SIZE(HPyStructSequence_Field);
    OFFSET(HPyStructSequence_Field, name);
    OFFSET(HPyStructSequence_Field, doc);

    SIZE(HPyStructSequence_Desc);
    OFFSET(HPyStructSequence_Desc, name);
    OFFSET(HPyStructSequence_Desc, doc);
    OFFSET(HPyStructSequence_Desc, fields);

    SIZE(_HPyFunc_args_NOARGS);
    OFFSET(_HPyFunc_args_NOARGS, self);
    OFFSET(_HPyFunc_args_NOARGS, result);

    SIZE(_HPyFunc_args_O);
    OFFSET(_HPyFunc_args_O, self);
    OFFSET(_HPyFunc_args_O, arg);
    OFFSET(_HPyFunc_args_O, result);

    SIZE(_HPyFunc_args_UNARYFUNC);
    OFFSET(_HPyFunc_args_UNARYFUNC, arg0);
    OFFSET(_HPyFunc_args_UNARYFUNC, result);

    SIZE(_HPyFunc_args_BINARYFUNC);
    OFFSET(_HPyFunc_args_BINARYFUNC, arg0);
    OFFSET(_HPyFunc_args_BINARYFUNC, arg1);
    OFFSET(_HPyFunc_args_BINARYFUNC, result);

    SIZE(_HPyFunc_args_TERNARYFUNC);
    OFFSET(_HPyFunc_args_TERNARYFUNC, arg0);
    OFFSET(_HPyFunc_args_TERNARYFUNC, arg1);
    OFFSET(_HPyFunc_args_TERNARYFUNC, arg2);
    OFFSET(_HPyFunc_args_TERNARYFUNC, result);

    SIZE(_HPyFunc_args_INQUIRY);
    OFFSET(_HPyFunc_args_INQUIRY, arg0);
    OFFSET(_HPyFunc_args_INQUIRY, result);

    SIZE(_HPyFunc_args_LENFUNC);
    OFFSET(_HPyFunc_args_LENFUNC, arg0);
    OFFSET(_HPyFunc_args_LENFUNC, result);

    SIZE(_HPyFunc_args_SSIZEARGFUNC);
    OFFSET(_HPyFunc_args_SSIZEARGFUNC, arg0);
    OFFSET(_HPyFunc_args_SSIZEARGFUNC, arg1);
    OFFSET(_HPyFunc_args_SSIZEARGFUNC, result);

    SIZE(_HPyFunc_args_SSIZESSIZEARGFUNC);
    OFFSET(_HPyFunc_args_SSIZESSIZEARGFUNC, arg0);
    OFFSET(_HPyFunc_args_SSIZESSIZEARGFUNC, arg1);
    OFFSET(_HPyFunc_args_SSIZESSIZEARGFUNC, arg2);
    OFFSET(_HPyFunc_args_SSIZESSIZEARGFUNC, result);

    SIZE(_HPyFunc_args_SSIZEOBJARGPROC);
    OFFSET(_HPyFunc_args_SSIZEOBJARGPROC, arg0);
    OFFSET(_HPyFunc_args_SSIZEOBJARGPROC, arg1);
    OFFSET(_HPyFunc_args_SSIZEOBJARGPROC, arg2);
    OFFSET(_HPyFunc_args_SSIZEOBJARGPROC, result);

    SIZE(_HPyFunc_args_SSIZESSIZEOBJARGPROC);
    OFFSET(_HPyFunc_args_SSIZESSIZEOBJARGPROC, arg0);
    OFFSET(_HPyFunc_args_SSIZESSIZEOBJARGPROC, arg1);
    OFFSET(_HPyFunc_args_SSIZESSIZEOBJARGPROC, arg2);
    OFFSET(_HPyFunc_args_SSIZESSIZEOBJARGPROC, arg3);
    OFFSET(_HPyFunc_args_SSIZESSIZEOBJARGPROC, result);

    SIZE(_HPyFunc_args_OBJOBJARGPROC);
    OFFSET(_HPyFunc_args_OBJOBJARGPROC, arg0);
    OFFSET(_HPyFunc_args_OBJOBJARGPROC, arg1);
    OFFSET(_HPyFunc_args_OBJOBJARGPROC, arg2);
    OFFSET(_HPyFunc_args_OBJOBJARGPROC, result);

    SIZE(_HPyFunc_args_FREEFUNC);
    OFFSET(_HPyFunc_args_FREEFUNC, arg0);

    SIZE(_HPyFunc_args_GETATTRFUNC);
    OFFSET(_HPyFunc_args_GETATTRFUNC, arg0);
    OFFSET(_HPyFunc_args_GETATTRFUNC, arg1);
    OFFSET(_HPyFunc_args_GETATTRFUNC, result);

    SIZE(_HPyFunc_args_GETATTROFUNC);
    OFFSET(_HPyFunc_args_GETATTROFUNC, arg0);
    OFFSET(_HPyFunc_args_GETATTROFUNC, arg1);
    OFFSET(_HPyFunc_args_GETATTROFUNC, result);

    SIZE(_HPyFunc_args_SETATTRFUNC);
    OFFSET(_HPyFunc_args_SETATTRFUNC, arg0);
    OFFSET(_HPyFunc_args_SETATTRFUNC, arg1);
    OFFSET(_HPyFunc_args_SETATTRFUNC, arg2);
    OFFSET(_HPyFunc_args_SETATTRFUNC, result);

    SIZE(_HPyFunc_args_SETATTROFUNC);
    OFFSET(_HPyFunc_args_SETATTROFUNC, arg0);
    OFFSET(_HPyFunc_args_SETATTROFUNC, arg1);
    OFFSET(_HPyFunc_args_SETATTROFUNC, arg2);
    OFFSET(_HPyFunc_args_SETATTROFUNC, result);

    SIZE(_HPyFunc_args_REPRFUNC);
    OFFSET(_HPyFunc_args_REPRFUNC, arg0);
    OFFSET(_HPyFunc_args_REPRFUNC, result);

    SIZE(_HPyFunc_args_HASHFUNC);
    OFFSET(_HPyFunc_args_HASHFUNC, arg0);
    OFFSET(_HPyFunc_args_HASHFUNC, result);

    SIZE(_HPyFunc_args_GETITERFUNC);
    OFFSET(_HPyFunc_args_GETITERFUNC, arg0);
    OFFSET(_HPyFunc_args_GETITERFUNC, result);

    SIZE(_HPyFunc_args_ITERNEXTFUNC);
    OFFSET(_HPyFunc_args_ITERNEXTFUNC, arg0);
    OFFSET(_HPyFunc_args_ITERNEXTFUNC, result);

    SIZE(_HPyFunc_args_DESCRGETFUNC);
    OFFSET(_HPyFunc_args_DESCRGETFUNC, arg0);
    OFFSET(_HPyFunc_args_DESCRGETFUNC, arg1);
    OFFSET(_HPyFunc_args_DESCRGETFUNC, arg2);
    OFFSET(_HPyFunc_args_DESCRGETFUNC, result);

    SIZE(_HPyFunc_args_DESCRSETFUNC);
    OFFSET(_HPyFunc_args_DESCRSETFUNC, arg0);
    OFFSET(_HPyFunc_args_DESCRSETFUNC, arg1);
    OFFSET(_HPyFunc_args_DESCRSETFUNC, arg2);
    OFFSET(_HPyFunc_args_DESCRSETFUNC, result);

    SIZE(_HPyFunc_args_GETTER);
    OFFSET(_HPyFunc_args_GETTER, arg0);
    OFFSET(_HPyFunc_args_GETTER, arg1);
    OFFSET(_HPyFunc_args_GETTER, result);

    SIZE(_HPyFunc_args_SETTER);
    OFFSET(_HPyFunc_args_SETTER, arg0);
    OFFSET(_HPyFunc_args_SETTER, arg1);
    OFFSET(_HPyFunc_args_SETTER, arg2);
    OFFSET(_HPyFunc_args_SETTER, result);

    SIZE(_HPyFunc_args_OBJOBJPROC);
    OFFSET(_HPyFunc_args_OBJOBJPROC, arg0);
    OFFSET(_HPyFunc_args_OBJOBJPROC, arg1);
    OFFSET(_HPyFunc_args_OBJOBJPROC, result);

    SIZE(_HPyFunc_args_DESTRUCTOR);
    OFFSET(_HPyFunc_args_DESTRUCTOR, arg0);

    SIZE(_HPyFunc_args_VARARGS);
    OFFSET(_HPyFunc_args_VARARGS, self);
    OFFSET(_HPyFunc_args_VARARGS, args);
    OFFSET(_HPyFunc_args_VARARGS, nargs);
    OFFSET(_HPyFunc_args_VARARGS, result);

    SIZE(_HPyFunc_args_KEYWORDS);
    OFFSET(_HPyFunc_args_KEYWORDS, self);
    OFFSET(_HPyFunc_args_KEYWORDS, args);
    OFFSET(_HPyFunc_args_KEYWORDS, nargsf);
    OFFSET(_HPyFunc_args_KEYWORDS, kwnames);
    OFFSET(_HPyFunc_args_KEYWORDS, result);

    SIZE(_HPyFunc_args_INITPROC);
    OFFSET(_HPyFunc_args_INITPROC, self);
    OFFSET(_HPyFunc_args_INITPROC, args);
    OFFSET(_HPyFunc_args_INITPROC, kw);
    OFFSET(_HPyFunc_args_INITPROC, result);

    SIZE(_HPyFunc_args_NEWFUNC);
    OFFSET(_HPyFunc_args_NEWFUNC, self);
    OFFSET(_HPyFunc_args_NEWFUNC, args);
    OFFSET(_HPyFunc_args_NEWFUNC, kw);
    OFFSET(_HPyFunc_args_NEWFUNC, result);

    SIZE(_HPyFunc_args_RICHCMPFUNC);
    OFFSET(_HPyFunc_args_RICHCMPFUNC, arg0);
    OFFSET(_HPyFunc_args_RICHCMPFUNC, arg1);
    OFFSET(_HPyFunc_args_RICHCMPFUNC, arg2);
    OFFSET(_HPyFunc_args_RICHCMPFUNC, result);

    SIZE(_HPyFunc_args_GETBUFFERPROC);
    OFFSET(_HPyFunc_args_GETBUFFERPROC, self);
    OFFSET(_HPyFunc_args_GETBUFFERPROC, view);
    OFFSET(_HPyFunc_args_GETBUFFERPROC, flags);
    OFFSET(_HPyFunc_args_GETBUFFERPROC, result);

    SIZE(_HPyFunc_args_RELEASEBUFFERPROC);
    OFFSET(_HPyFunc_args_RELEASEBUFFERPROC, self);
    OFFSET(_HPyFunc_args_RELEASEBUFFERPROC, view);

    SIZE(_HPyFunc_args_TRAVERSEPROC);
    OFFSET(_HPyFunc_args_TRAVERSEPROC, self);
    OFFSET(_HPyFunc_args_TRAVERSEPROC, visit);
    OFFSET(_HPyFunc_args_TRAVERSEPROC, arg);
    OFFSET(_HPyFunc_args_TRAVERSEPROC, result);

    SIZE(_HPyFunc_args_MOD_CREATE);
    OFFSET(_HPyFunc_args_MOD_CREATE, spec);
    OFFSET(_HPyFunc_args_MOD_CREATE, result);

    /* the context: its size, and the first and last entries of each kind */
    SIZE(HPyContext);
    OFFSET(HPyContext, name);
    OFFSET(HPyContext, abi_version);
    OFFSET(HPyContext, h_None);
    OFFSET(HPyContext, h_ListType);
    OFFSET(HPyContext, ctx_Dup);
    OFFSET(HPyContext, ctx_CallRealFunctionFromTrampoline);
    OFFSET(HPyContext, ctx_DelItem_s);
    OFFSET(HPyContext, h_ComplexType);
    OFFSET(HPyContext, h_Builtins);
    OFFSET(HPyContext, h_DictType);
    OFFSET(HPyContext, ctx_Slice_New);
    return 0;
}
