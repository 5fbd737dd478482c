#ifndef HPY_HPYTYPE_H
#define HPY_HPYTYPE_H


typedef struct {
    cpy_vectorcallfunc cpy_trampoline;
    HPyCallFunction impl;
} HPyType_Vectorcall;

/* The description of a type, for HPyType_FromSpec. */
typedef struct {
    const char *name;                    /* "module.Name", UTF-8 */
    int basicsize;                       /* sizeof the type's C struct */
    int itemsize;                        /* not supported yet: 0 */
    unsigned long flags;                 /* HPy_TPFLAGS_* */
    HPyType_BuiltinShape builtin_shape;  /* usually SHAPE(MyStruct) */
    void *legacy_slots;                  /* PyType_Slot[] (legacy types only) */
    HPyDef **defines;                    /* NULL-terminated */
    const char *doc;                     /* UTF-8, may be NULL */
} HPyType_Spec;


/* Extra arguments of HPyType_FromSpec, in an array ending with kind 0. */
typedef struct {
    HPyType_SpecParam_Kind kind;
    HPy object;
} HPyType_SpecParam;

/* ~~~ type flags ~~~ (only the public bits CPython defines) */
#define _Py_TPFLAGS_HEAPTYPE (1UL << 9)
#define _Py_TPFLAGS_HAVE_VERSION_TAG (1UL << 18)
#define HPy_TPFLAGS_DEFAULT (_Py_TPFLAGS_HEAPTYPE | _Py_TPFLAGS_HAVE_VERSION_TAG)
#define HPy_TPFLAGS_HAVE_VECTORCALL (1UL << 11)
#define HPy_TPFLAGS_BASETYPE (1UL << 10)
#define HPy_TPFLAGS_HAVE_GC (1UL << 14)

/* ~~~ HPyType_HELPERS(STRUCT [, SHAPE]) ~~~
   For a type whose instances hold a `STRUCT`, defines
     - `STRUCT *STRUCT_AsStruct(HPyContext *ctx, HPy h)`, static inline, which
       returns the STRUCT inside instance h, and
     - the constant behind `SHAPE(STRUCT)`, for `.builtin_shape` of the spec.
   SHAPE defaults to HPyType_BuiltinShape_Object.
   HPyType_LEGACY_HELPERS(STRUCT) is the same with HPyType_BuiltinShape_Legacy
   (STRUCT starts with PyObject_HEAD). */
#define HPyType_HELPERS(...)                                                \
    _HPyType_HELPERS_2(_HPyType_FIRST_ARG(__VA_ARGS__, _),                  \
                       _HPyType_SECOND_ARG(__VA_ARGS__,                     \
                                           HPyType_BuiltinShape_Object, _))

#define HPyType_LEGACY_HELPERS(TYPE)                                        \
    HPyType_HELPERS(TYPE, HPyType_BuiltinShape_Legacy)

#define SHAPE(TYPE) ((HPyType_BuiltinShape)TYPE##_SHAPE)

#define _HPyType_FIRST_ARG(A, ...) A
#define _HPyType_SECOND_ARG(A, B, ...) B
/* one more level so that the arguments are expanded before being pasted */
#define _HPyType_HELPERS_2(TYPE, SHAPE_) _HPyType_HELPERS_3(TYPE, SHAPE_)
#define _HPyType_HELPERS_3(TYPE, SHAPE_)                                    \
    enum { TYPE##_SHAPE = (int)SHAPE_ };                                    \
    HPyAPI_UNUSED TYPE *TYPE##_AsStruct(HPyContext *ctx, HPy h)             \
    {                                                                       \
        return (TYPE *)SHAPE_##_AsStruct(ctx, h);                           \
    }

/* The accessor of each shape (context functions). */
#define HPyType_BuiltinShape_Legacy_AsStruct  _HPy_AsStruct_Legacy
#define HPyType_BuiltinShape_Object_AsStruct  _HPy_AsStruct_Object
#define HPyType_BuiltinShape_Type_AsStruct    _HPy_AsStruct_Type
#define HPyType_BuiltinShape_Long_AsStruct    _HPy_AsStruct_Long
#define HPyType_BuiltinShape_Float_AsStruct   _HPy_AsStruct_Float
#define HPyType_BuiltinShape_Unicode_AsStruct _HPy_AsStruct_Unicode
#define HPyType_BuiltinShape_Tuple_AsStruct   _HPy_AsStruct_Tuple
#define HPyType_BuiltinShape_List_AsStruct    _HPy_AsStruct_List
/* _HPy_AsStruct_Dict came after HPy 0.9.0 (ABI minor version 1): a plain
   build that uses the Dict shape with HPyType_HELPERS gets an error that
   names the opt-in. */
#if defined(HPY_ABI_VERSION_MINOR_REQUESTED) && HPY_ABI_VERSION_MINOR_REQUESTED >= 1
#define HPyType_BuiltinShape_Dict_AsStruct    _HPy_AsStruct_Dict
#else
#define HPyType_BuiltinShape_Dict_AsStruct \
    HPyType_BuiltinShape_Dict_needs_define_HPY_ABI_VERSION_MINOR_REQUESTED_1_before_hpy_h
#endif

#endif /* HPY_HPYTYPE_H */
