#ifndef HPY_HPYDEF_H
#define HPY_HPYDEF_H

#include <stddef.h>   /* offsetof, for HPyDef_MEMBER users */

/* Any HPy implementation function, stored untyped; the HPyFunc_Signature next
   to it says what to cast it back to. (HPy 0.9 spells the return type void*;
   the ABI is the same, and void(*)(void) casts without -Wcast-function-type
   warnings.) */
typedef void (*HPyCFunction)(void);

/* Cast between function-pointer types without -Wcast-function-type noise. */
#define _HPyFunc_CAST(T, f) ((T)(void (*)(void))(f))

/* ~~~ the definitions an HPyType_Spec or HPyModuleDef lists ~~~ */

/* A slot: HPy_tp_repr, HPy_nb_add, HPy_mod_exec ... */
typedef struct {
    HPySlot_Slot slot;
    HPyCFunction impl;               /* the HPy function */
    cpy_PyCFunction cpy_trampoline;  /* what CPython calls; calls impl */
} HPySlot;

/* A method of a module or type. */
typedef struct {
    const char *name;                /* UTF-8 */
    HPyCFunction impl;
    cpy_PyCFunction cpy_trampoline;
    HPyFunc_Signature signature;     /* NOARGS, O, VARARGS or KEYWORDS */
    const char *doc;                 /* UTF-8, may be NULL */
} HPyMeth;


/* An attribute stored at a fixed offset in the object's C struct. */
typedef struct {
    const char *name;
    HPyMember_FieldType type;
    HPy_ssize_t offset;
    int readonly;
    const char *doc;
} HPyMember;

/* A computed attribute: getter and/or setter. */
typedef struct {
    const char *name;
    HPyCFunction getter_impl;        /* may be NULL */
    HPyCFunction setter_impl;        /* may be NULL */
    cpy_getter getter_cpy_trampoline;
    cpy_setter setter_cpy_trampoline;
    const char *doc;
    void *closure;                   /* passed to getter_impl / setter_impl */
} HPyGetSet;


/* One definition; `kind` says which member of the union is used. */
typedef struct {
    HPyDef_Kind kind;
    union {
        HPySlot slot;
        HPyMeth meth;
        HPyMember member;
        HPyGetSet getset;
    };
} HPyDef;

/* What HPyCapsule_New / HPyCapsule_SetDestructor take. */
typedef struct {
    cpy_PyCapsule_Destructor cpy_trampoline;
    HPyFunc_Capsule_Destructor impl;
} HPyCapsule_Destructor;

/* What HPy_SetCallFunction takes: a vectorcall-style function. */
typedef struct {
    cpy_vectorcallfunc cpy_trampoline;
    HPyFunc_keywords impl;
} HPyCallFunction;


/* ~~~ HPyDef_* macros ~~~

   Each one declares the implementation prototype (static, named after SYM),
   defines the CPython-facing trampoline `SYM##_trampoline` (static) and
   defines the (non-static) variable `HPyDef SYM`, so that other files can
   refer to it with `extern HPyDef SYM;`. Optional trailing arguments are
   designated initializers of the inner struct, e.g. `.doc = "..."`.      */

/* HPyDef_SLOT(SYM, SLOT): implementation `SYM##_impl`, its signature follows
   from SLOT (see hpyslot.h). */
#define HPyDef_SLOT(SYM, SLOT)                                              \
    HPyDef_SLOT_IMPL(SYM, SYM##_impl, SLOT)

#define HPyDef_SLOT_IMPL(SYM, IMPL, SLOT)                                   \
    enum { SYM##_slot = SLOT };                                             \
    _HPyDef_SLOT(SYM, IMPL, SLOT, HPySlot_SIG(SLOT))

#define _HPyDef_SLOT(SYM, IMPL, SLOT, SIG)                                  \
    HPyFunc_DECLARE(IMPL, SIG);                                             \
    HPyFunc_TRAMPOLINE(SYM##_trampoline, IMPL, SIG)                         \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_Slot,                                           \
        .slot = {                                                           \
            .slot = SLOT,                                                   \
            .impl = (HPyCFunction)IMPL,                                     \
            .cpy_trampoline = _HPyFunc_CAST(cpy_PyCFunction, SYM##_trampoline) \
        }                                                                   \
    };

/* HPyDef_METH(SYM, NAME, SIG, ...): a method named NAME (UTF-8), its
   implementation `SYM##_impl` of signature SIG. */
#define HPyDef_METH(SYM, NAME, SIG, ...)                                    \
    HPyDef_METH_IMPL(SYM, NAME, SYM##_impl, SIG, __VA_ARGS__)

#define HPyDef_METH_IMPL(SYM, NAME, IMPL, SIG, ...)                         \
    HPyFunc_DECLARE(IMPL, SIG);                                             \
    HPyFunc_TRAMPOLINE(SYM##_trampoline, IMPL, SIG)                         \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_Meth,                                           \
        .meth = {                                                           \
            .name = NAME,                                                   \
            .impl = (HPyCFunction)IMPL,                                     \
            .cpy_trampoline = _HPyFunc_CAST(cpy_PyCFunction, SYM##_trampoline), \
            .signature = SIG,                                               \
            __VA_ARGS__                                                     \
        }                                                                   \
    };

/* HPyDef_MEMBER(SYM, NAME, TYPE, OFFSET, ...): an attribute NAME of C type
   TYPE (HPyMember_*) at byte offset OFFSET; optional .readonly, .doc. */
#define HPyDef_MEMBER(SYM, NAME, TYPE, OFFSET, ...)                         \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_Member,                                         \
        .member = {                                                         \
            .name = NAME,                                                   \
            .type = TYPE,                                                   \
            .offset = OFFSET,                                               \
            __VA_ARGS__                                                     \
        }                                                                   \
    };

/* HPyDef_GET(SYM, NAME, ...): a read-only attribute computed by `SYM##_get`;
   optional .doc, .closure. */
#define HPyDef_GET(SYM, NAME, ...)                                          \
    HPyDef_GET_IMPL(SYM, NAME, SYM##_get, __VA_ARGS__)

#define HPyDef_GET_IMPL(SYM, NAME, GETIMPL, ...)                            \
    HPyFunc_DECLARE(GETIMPL, HPyFunc_GETTER);                               \
    HPyFunc_TRAMPOLINE(SYM##_get_trampoline, GETIMPL, HPyFunc_GETTER)       \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_GetSet,                                         \
        .getset = {                                                         \
            .name = NAME,                                                   \
            .getter_impl = (HPyCFunction)GETIMPL,                           \
            .getter_cpy_trampoline = (cpy_getter)SYM##_get_trampoline,      \
            __VA_ARGS__                                                     \
        }                                                                   \
    };

/* HPyDef_SET(SYM, NAME, ...): a write-only attribute stored by `SYM##_set`. */
#define HPyDef_SET(SYM, NAME, ...)                                          \
    HPyDef_SET_IMPL(SYM, NAME, SYM##_set, __VA_ARGS__)

#define HPyDef_SET_IMPL(SYM, NAME, SETIMPL, ...)                            \
    HPyFunc_DECLARE(SETIMPL, HPyFunc_SETTER);                               \
    HPyFunc_TRAMPOLINE(SYM##_set_trampoline, SETIMPL, HPyFunc_SETTER)       \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_GetSet,                                         \
        .getset = {                                                         \
            .name = NAME,                                                   \
            .setter_impl = (HPyCFunction)SETIMPL,                           \
            .setter_cpy_trampoline = (cpy_setter)SYM##_set_trampoline,      \
            __VA_ARGS__                                                     \
        }                                                                   \
    };

/* HPyDef_GETSET(SYM, NAME, ...): an attribute read by `SYM##_get` and
   written by `SYM##_set`. */
#define HPyDef_GETSET(SYM, NAME, ...)                                       \
    HPyDef_GETSET_IMPL(SYM, NAME, SYM##_get, SYM##_set, __VA_ARGS__)

#define HPyDef_GETSET_IMPL(SYM, NAME, GETIMPL, SETIMPL, ...)                \
    HPyFunc_DECLARE(GETIMPL, HPyFunc_GETTER);                               \
    HPyFunc_TRAMPOLINE(SYM##_get_trampoline, GETIMPL, HPyFunc_GETTER)       \
    HPyFunc_DECLARE(SETIMPL, HPyFunc_SETTER);                               \
    HPyFunc_TRAMPOLINE(SYM##_set_trampoline, SETIMPL, HPyFunc_SETTER)       \
    HPyDef SYM = {                                                          \
        .kind = HPyDef_Kind_GetSet,                                         \
        .getset = {                                                         \
            .name = NAME,                                                   \
            .getter_impl = (HPyCFunction)GETIMPL,                           \
            .setter_impl = (HPyCFunction)SETIMPL,                           \
            .getter_cpy_trampoline = (cpy_getter)SYM##_get_trampoline,      \
            .setter_cpy_trampoline = (cpy_setter)SYM##_set_trampoline,      \
            __VA_ARGS__                                                     \
        }                                                                   \
    };

/* HPyCapsule_DESTRUCTOR(SYM): `static HPyCapsule_Destructor SYM` calling
   `static void SYM##_impl(const char *name, void *pointer, void *context)`. */
#define HPyCapsule_DESTRUCTOR(SYM)                                          \
    _HPyFunc_DECLARE_HPyFunc_CAPSULE_DESTRUCTOR(SYM##_impl);                \
    HPyCapsule_DESTRUCTOR_TRAMPOLINE(SYM##_trampoline, SYM##_impl)          \
    static HPyCapsule_Destructor SYM = {                                    \
        .cpy_trampoline = SYM##_trampoline,                                 \
        .impl = SYM##_impl                                                  \
    };

/* HPyDef_CALL_FUNCTION(SYM): `static HPyCallFunction SYM` for
   HPy_SetCallFunction, implemented by `SYM##_impl` (HPyFunc_KEYWORDS). */
#define HPyDef_CALL_FUNCTION(SYM)                                           \
    HPyFunc_DECLARE(SYM##_impl, HPyFunc_KEYWORDS);                          \
    HPyFunc_TRAMPOLINE(SYM##_trampoline, SYM##_impl, HPyFunc_KEYWORDS)      \
    static HPyCallFunction SYM = {                                          \
        .cpy_trampoline = SYM##_trampoline,                                 \
        .impl = SYM##_impl                                                  \
    };

#endif /* HPY_HPYDEF_H */
