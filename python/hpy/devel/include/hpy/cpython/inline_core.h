#ifndef HPY_CPYTHON_INLINE_CORE_H
#define HPY_CPYTHON_INLINE_CORE_H

/*
 * `core` API functions that the CPython ABI implements as static inline C
 * (included by the generated autogen_api_impl.h; the list is
 * CPYTHON_INLINE_CORE in crates/hpy-gen/src/emit_c.rs).
 *
 * These are small functions called in loops (building tuples and lists,
 * indexing). As calls into libhpy_cpython.a they cost a call of their own
 * plus Py_IncRef/PyTuple_SetItem calls where the C-API has the inline
 * Py_INCREF/PyTuple_SET_ITEM; here Python.h is at hand, so the common case
 * is what the C-API code would be. Every case that raises, or that the
 * shortcut does not cover, goes to the Rust implementation in
 * libhpy_cpython.a (the one the universal ABI uses), so that behaviour and
 * error messages are the same in both ABIs.
 */

_HPy_HIDDEN extern HPy ctx_Tuple_FromArray(HPyContext *ctx, const HPy items[], HPy_ssize_t n);
_HPy_HIDDEN extern HPy ctx_GetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx);
_HPy_HIDDEN extern int ctx_SetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx, HPy value);
_HPy_HIDDEN extern void ctx_ListBuilder_Set(HPyContext *ctx, HPyListBuilder builder,
                                            HPy_ssize_t index, HPy h_item);
_HPy_HIDDEN extern void ctx_TupleBuilder_Set(HPyContext *ctx, HPyTupleBuilder builder,
                                             HPy_ssize_t index, HPy h_item);
_HPy_HIDDEN extern HPy ctx_Call(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                                HPy kwnames);

/* HPyTuple_FromArray: A tuple of the n handles of items. The items are
   checked before the tuple is made, so that the array is not read again
   after PyTuple_New (the compiler keeps what it read in registers). */
HPyAPI_FUNC HPy HPyTuple_FromArray(HPyContext *ctx, HPy items[], HPy_ssize_t n)
{
    HPy_ssize_t i;
    PyObject *tuple;
    for (i = 0; i < n; i++)
        if (HPy_IsNull(items[i]))
            /* the general function raises the SystemError naming the item */
            return ctx_Tuple_FromArray(ctx, items, n);
    tuple = PyTuple_New(n); /* a negative n raises SystemError */
    if (tuple == NULL)
        return HPy_NULL;
    for (i = 0; i < n; i++) {
        PyObject *item = _h2py(items[i]);
        Py_INCREF(item);
        /* PyTuple_SET_ITEM without its assert(PyTuple_Check()), which a
           build without NDEBUG would repeat for each item */
        ((PyTupleObject *)tuple)->ob_item[i] = item;
    }
    return _py2h(tuple);
}

/* HPy_GetItem_i: obj[idx] with a C index. An index in range of an exact
   list or tuple reads the item; all else (negative indices, IndexError,
   other objects) is the general function's. */
HPyAPI_FUNC HPy HPy_GetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx)
{
    PyObject *o = _h2py(obj), *item;
    if (PyList_CheckExact(o) && (size_t)idx < (size_t)PyList_GET_SIZE(o))
        item = PyList_GET_ITEM(o, idx);
    else if (PyTuple_CheckExact(o) && (size_t)idx < (size_t)PyTuple_GET_SIZE(o))
        item = PyTuple_GET_ITEM(o, idx);
    else
        return ctx_GetItem_i(ctx, obj, idx);
    Py_INCREF(item);
    return _py2h(item);
}

/* HPy_SetItem_i: obj[idx] = value with a C index. An index in range of an
   exact list replaces the item, as list_ass_item does. */
HPyAPI_FUNC int HPy_SetItem_i(HPyContext *ctx, HPy obj, HPy_ssize_t idx, HPy value)
{
    PyObject *o = _h2py(obj), *v = _h2py(value), *old;
    if (v == NULL || !PyList_CheckExact(o) || (size_t)idx >= (size_t)PyList_GET_SIZE(o))
        return ctx_SetItem_i(ctx, obj, idx, value);
    old = PyList_GET_ITEM(o, idx);
    Py_INCREF(v);
    PyList_SET_ITEM(o, idx, v);
    Py_XDECREF(old);
    return 0;
}

/* ~~~ HPyListBuilder and HPyTupleBuilder ~~~
   One implementation for both. As in HPy 0.9 (and in every ABI), a failed
   New gives a builder of 0, which Build reports (MemoryError) and Set and
   Cancel ignore, and Set stores a new reference to the item.
   What Set checks depends on NDEBUG, as CPython's own PyList_SET_ITEM and
   HPy 0.9's Set, which only assert:
   - built with NDEBUG (the default of extensions built for a release
     CPython, whose CFLAGS define it): nothing is checked; an index out of
     range, a slot set twice or HPy_NULL is undefined behaviour, and Set is
     Py_INCREF and the store, as the C-API code would be;
   - built without NDEBUG: the checks of the universal ABI, which instead
     of aborting as an assert would, raise the same exceptions: a case
     other than an empty slot in range and an item not NULL goes to the
     Rust function (crates/hpy-core/src/listbuilder.rs), which raises
     IndexError for an index out of range, releases an item set twice and
     leaves the slot empty for HPy_NULL. */

/* The builder of the new sequence seq (NULL: a failed New). */
static inline intptr_t _HPyBuilder_New(PyObject *seq)
{
    if (seq == NULL)
        PyErr_Clear();
    return (intptr_t)seq;
}

/* Set in the common case: slot index of seq's items is in range and empty,
   the item not NULL. Without NDEBUG, returns 0 (having done nothing) if it
   is not that case; with NDEBUG the caller guarantees it. */
static inline int _HPyBuilder_SetFast(PyObject *seq, PyObject **items, HPy_ssize_t index,
                                      PyObject *item)
{
#ifndef NDEBUG
    /* Py_SIZE and the item array, not PyList_GET_SIZE/PyList_SET_ITEM & co.,
       whose assert(PyList_Check()) would repeat for each item */
    if ((size_t)index >= (size_t)Py_SIZE(seq) || item == NULL || items[index] != NULL)
        return 0;
#else
    (void)seq;
#endif
    Py_INCREF(item);
    items[index] = item;
    return 1;
}

static inline HPy _HPyBuilder_Build(intptr_t builder)
{
    if (builder == 0)
        PyErr_NoMemory();
    return _py2h((PyObject *)builder);
}

/* The four functions of HPy<Kind>Builder, whose field is `field`, over
   CPython's Py<Kind>Object made by `new` (PyList_New or PyTuple_New):
   New starts building a sequence of size items; Set sets item index (the
   Rust function ctx_<Kind>Builder_Set does the cases that the checks of a
   build without NDEBUG catch); Build gives the finished sequence and Cancel
   abandons it, both using the builder up. */
#define _HPY_INLINE_BUILDER(Kind, field, new)                                  \
HPyAPI_FUNC HPy##Kind##Builder HPy##Kind##Builder_New(HPyContext *ctx, HPy_ssize_t size) \
{                                                                              \
    HPy##Kind##Builder builder;                                                \
    (void)ctx;                                                                 \
    builder.field = _HPyBuilder_New(new(size));                                \
    return builder;                                                            \
}                                                                              \
HPyAPI_FUNC void HPy##Kind##Builder_Set(HPyContext *ctx, HPy##Kind##Builder builder, \
                                        HPy_ssize_t index, HPy h_item)         \
{                                                                              \
    PyObject *seq = (PyObject *)builder.field;                                 \
    if (seq == NULL)                                                           \
        return;                                                                \
    if (!_HPyBuilder_SetFast(seq, ((Py##Kind##Object *)seq)->ob_item, index, _h2py(h_item))) \
        ctx_##Kind##Builder_Set(ctx, builder, index, h_item);                  \
}                                                                              \
HPyAPI_FUNC HPy HPy##Kind##Builder_Build(HPyContext *ctx, HPy##Kind##Builder builder) \
{                                                                              \
    (void)ctx;                                                                 \
    return _HPyBuilder_Build(builder.field);                                   \
}                                                                              \
HPyAPI_FUNC void HPy##Kind##Builder_Cancel(HPyContext *ctx, HPy##Kind##Builder builder) \
{                                                                              \
    (void)ctx;                                                                 \
    Py_XDECREF((PyObject *)builder.field);                                     \
}

_HPY_INLINE_BUILDER(List, _lst, PyList_New)
_HPY_INLINE_BUILDER(Tuple, _tup, PyTuple_New)
#undef _HPY_INLINE_BUILDER

/* HPy_Call: callable(*args[:nargs], **dict(zip(kwnames, args[nargs:]))).
   Without keywords it is CPython's vectorcall; keywords (whose names are
   checked) go to the general function. */
HPyAPI_FUNC HPy HPy_Call(HPyContext *ctx, HPy callable, const HPy *args, size_t nargs,
                         HPy kwnames)
{
    if (!HPy_IsNull(kwnames) || nargs > (size_t)PY_SSIZE_T_MAX)
        return ctx_Call(ctx, callable, args, nargs, kwnames);
    return _py2h(PyObject_Vectorcall(_h2py(callable), _h2py_array(args), nargs, NULL));
}

/* _HPy_New (the HPy_New macro). hpy-core remembers the last HPy type it
   allocated an instance of the plain way (its own type info, no call
   function, the generic tp_alloc) with the offset of the C struct, and
   forgets it when that type dies: an instance of that type is allocated
   here at once, with the type's tp_alloc as the C-API's constructors do
   (which returns zeroed memory: CPython's contract of tp_alloc); any other
   argument goes to the general function, which also refreshes the cache.
   (crates/hpy-core/src/instance.rs, NewCache, says why a type found there
   is alive and the one remembered.) */
_HPy_HIDDEN extern HPy ctx_New(HPyContext *ctx, HPy h_type, void **data);
typedef struct {
    PyTypeObject *type; /* never NULL */
    Py_ssize_t header;
} _HPyNewCache;
_HPy_HIDDEN extern _HPyNewCache _HPy_NewCache;

#if defined(__GNUC__)
#  define _HPy_NEW_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#  define _HPy_NEW_LIKELY(x) (x)
#endif

/* ctx_New does not use the context in the CPython ABI: the call passes
   NULL, so that a constructor whose context serves only HPy_New does not
   load it on the common path. */
HPyAPI_FUNC HPy _HPy_New(HPyContext *ctx, HPy h_type, void **data)
{
    PyTypeObject *tp = (PyTypeObject *)_h2py(h_type);
    PyObject *obj;
    Py_ssize_t offset; /* of the C struct in the object */
    (void)ctx;
    if (_HPy_NEW_LIKELY(tp == _HPy_NewCache.type)) {
        /* the cached type, alive: its fields can be read */
        obj = tp->tp_alloc(tp, 0);
        offset = _HPy_NewCache.header;
    } else {
        void *tmp = NULL;
        obj = _h2py(ctx_New(NULL, h_type, &tmp));
        offset = obj != NULL ? (char *)tmp - (char *)obj : 0;
    }
    /* both ways end with the same computation of the struct pointer (no
       struct pointer in memory to merge: it stays in a register) */
    if (obj != NULL && data != NULL)
        *data = (char *)obj + offset;
    return _py2h(obj);
}

/* _HPy_AsStruct_Object and _HPy_AsStruct_Legacy (the AsStruct functions
   of HPyType_HELPERS): the C struct of a pure type of shape Object follows
   the object's head at the next multiple of 16 bytes (as hpy-core's
   header_size computes it), a legacy struct is the object itself. The other
   shapes' offsets depend on the interpreter's built-in types: they stay in
   hpy-core. */
_HPy_HIDDEN extern void *ctx_AsStruct_Object(HPyContext *ctx, HPy h);
HPyAPI_FUNC void *_HPy_AsStruct_Object(HPyContext *ctx, HPy h)
{
    PyObject *obj = _h2py(h);
    (void)ctx;
    if (sizeof(PyObject) != 16) /* a Py_TRACE_REFS build: hpy-core's answer */
        return ctx_AsStruct_Object(ctx, h);
    return obj == NULL ? NULL : (char *)obj + 16;
}

HPyAPI_FUNC void *_HPy_AsStruct_Legacy(HPyContext *ctx, HPy h)
{
    (void)ctx;
    return _h2py(h);
}

/* HPyGlobal_Load: a new reference to the object of the global (a global
   holds a strong reference to it, or NULL). */
HPyAPI_FUNC HPy HPyGlobal_Load(HPyContext *ctx, HPyGlobal global)
{
    PyObject *obj = (PyObject *)global._i;
    (void)ctx;
    Py_XINCREF(obj);
    return _py2h(obj);
}

#endif /* HPY_CPYTHON_INLINE_CORE_H */
