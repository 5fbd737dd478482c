//! The few CPython functions, data and structs that hpy-core uses, declared
//! here rather than taken from `pyo3-ffi` so that a CPython-ABI extension
//! links nothing but them (see DESIGN.md, layer 2).
//!
//! Everything below has the same ABI on CPython 3.9 to 3.13 (default, not
//! free-threaded, builds): functions exported by libpython on all of them,
//! and structs of the stable ABI (`PyModuleDef`, `PyMethodDef`,
//! `PyModuleDef_Slot`). Reference counts are changed through
//! `Py_IncRef`/`Py_DecRef`, except in the hot item functions, which do it
//! inline the way the running interpreter does (`RefCounting`, at the end).
//!
//! A few layout facts outside the limited API are used, each documented
//! where it is: `ob_type` at offset 8 of every object (what `Py_TYPE` reads in
//! the limited API up to 3.13), `tp_vectorcall_offset` at offset 56 of a type
//! object (unchanged since 3.8), and the item storage of tuples and lists
//! (`tuple_items`, `list_items`: unchanged since 3.0), which the hot item
//! functions use instead of calling `PyTuple_SetItem` & co. for each item.
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use core::ffi::{c_char, c_int, c_long, c_ulong, c_void};

pub use hpy_sys::cpy_PyObject as PyObject;

/// `PyTypeObject`, opaque except for the two fields read by `py_type` and
/// `vectorcall_func`.
#[repr(C)]
pub struct PyTypeObject {
    _opaque: [u8; 0],
}

/// `PyThreadState`, opaque.
#[repr(C)]
pub struct PyThreadState {
    _opaque: [u8; 0],
}

/// The head of every object (`PyObject` of a default build).
#[repr(C)]
pub struct PyObjectHead {
    pub ob_refcnt: isize,
    pub ob_type: *mut PyTypeObject,
}

pub type PyCFunction = *mut c_void;
pub type PyCapsule_Destructor = Option<unsafe extern "C" fn(*mut PyObject)>;
pub type vectorcallfunc = unsafe extern "C" fn(
    *mut PyObject,
    *const *mut PyObject,
    usize,
    *mut PyObject,
) -> *mut PyObject;

#[repr(C)]
pub struct PyModuleDef_Base {
    pub ob_base: PyObjectHead,
    pub m_init: Option<unsafe extern "C" fn() -> *mut PyObject>,
    pub m_index: isize,
    pub m_copy: *mut PyObject,
}

#[repr(C)]
pub struct PyModuleDef {
    pub m_base: PyModuleDef_Base,
    pub m_name: *const c_char,
    pub m_doc: *const c_char,
    pub m_size: isize,
    pub m_methods: *mut PyMethodDef,
    pub m_slots: *mut PyModuleDef_Slot,
    pub m_traverse: *mut c_void,
    pub m_clear: *mut c_void,
    pub m_free: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyMethodDef {
    pub ml_name: *const c_char,
    pub ml_meth: PyCFunction,
    pub ml_flags: c_int,
    pub ml_doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyModuleDef_Slot {
    pub slot: c_int,
    pub value: *mut c_void,
}

pub const METH_VARARGS: c_int = 0x0001;
pub const METH_KEYWORDS: c_int = 0x0002;
pub const METH_NOARGS: c_int = 0x0004;
pub const METH_O: c_int = 0x0008;
pub const METH_FASTCALL: c_int = 0x0080;

pub const Py_single_input: c_int = 256;
pub const Py_file_input: c_int = 257;
pub const Py_eval_input: c_int = 258;

pub const Py_mod_create: c_int = 1;
pub const Py_mod_exec: c_int = 2;

/// `PYTHON_API_VERSION`, 1013 on every CPython from 3.4 to 3.13.
pub const PYTHON_API_VERSION: c_int = 1013;

pub const Py_TPFLAGS_HEAPTYPE: c_ulong = 1 << 9;
pub const Py_TPFLAGS_HAVE_VECTORCALL: c_ulong = 1 << 11;
pub const Py_TPFLAGS_READY: c_ulong = 1 << 12;
pub const Py_TPFLAGS_READYING: c_ulong = 1 << 13;
pub const Py_TPFLAGS_VALID_VERSION_TAG: c_ulong = 1 << 19;
pub const Py_TPFLAGS_HAVE_GC: c_ulong = 1 << 14;
pub const Py_TPFLAGS_LIST_SUBCLASS: c_ulong = 1 << 25;
pub const Py_TPFLAGS_TUPLE_SUBCLASS: c_ulong = 1 << 26;
pub const Py_TPFLAGS_UNICODE_SUBCLASS: c_ulong = 1 << 28;
pub const Py_TPFLAGS_DICT_SUBCLASS: c_ulong = 1 << 29;
pub const Py_TPFLAGS_TYPE_SUBCLASS: c_ulong = 1 << 31;

// ~~~ types (see type_object.rs) ~~~

pub type destructor = unsafe extern "C" fn(*mut PyObject);
pub type visitproc = unsafe extern "C" fn(*mut PyObject, *mut c_void) -> c_int;
pub type traverseproc = unsafe extern "C" fn(*mut PyObject, visitproc, *mut c_void) -> c_int;
pub type inquiry = unsafe extern "C" fn(*mut PyObject) -> c_int;
pub type allocfunc = unsafe extern "C" fn(*mut PyTypeObject, isize) -> *mut PyObject;
pub type newfunc =
    unsafe extern "C" fn(*mut PyTypeObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
pub type freefunc = unsafe extern "C" fn(*mut c_void);

/// The fields of `PyTypeObject` from `ob_refcnt` to `tp_vectorcall`: the
/// same layout on every default (non-debug, not free-threaded) build of
/// CPython 3.9 to 3.13 (later versions only append fields). hpy-core reads
/// and writes these fields of the type objects it creates, and reads them
/// on the types it walks (`tp_base` chains), as every C extension compiled
/// against any of these versions does.
#[repr(C)]
pub struct TypeObject {
    pub ob_refcnt: isize,
    pub ob_type: *mut PyTypeObject,
    pub ob_size: isize,
    pub tp_name: *const c_char,
    pub tp_basicsize: isize,
    pub tp_itemsize: isize,
    pub tp_dealloc: Option<destructor>,
    pub tp_vectorcall_offset: isize,
    pub tp_getattr: *mut c_void,
    pub tp_setattr: *mut c_void,
    pub tp_as_async: *mut c_void,
    pub tp_repr: *mut c_void,
    pub tp_as_number: *mut c_void,
    pub tp_as_sequence: *mut c_void,
    pub tp_as_mapping: *mut c_void,
    pub tp_hash: *mut c_void,
    pub tp_call: *mut c_void,
    pub tp_str: *mut c_void,
    pub tp_getattro: *mut c_void,
    pub tp_setattro: *mut c_void,
    pub tp_as_buffer: *mut c_void,
    pub tp_flags: c_ulong,
    pub tp_doc: *const c_char,
    pub tp_traverse: Option<traverseproc>,
    pub tp_clear: Option<inquiry>,
    pub tp_richcompare: *mut c_void,
    pub tp_weaklistoffset: isize,
    pub tp_iter: *mut c_void,
    pub tp_iternext: *mut c_void,
    pub tp_methods: *mut c_void,
    pub tp_members: *mut c_void,
    pub tp_getset: *mut c_void,
    pub tp_base: *mut PyTypeObject,
    pub tp_dict: *mut PyObject,
    pub tp_descr_get: *mut c_void,
    pub tp_descr_set: *mut c_void,
    pub tp_dictoffset: isize,
    pub tp_init: *mut c_void,
    pub tp_alloc: Option<allocfunc>,
    pub tp_new: Option<newfunc>,
    pub tp_free: Option<freefunc>,
    pub tp_is_gc: *mut c_void,
    pub tp_bases: *mut PyObject,
    pub tp_mro: *mut PyObject,
    /// Unused by CPython (documented "internal use only"/"no longer used");
    /// released by `type_dealloc` of heap types up to 3.11 at least.
    pub tp_cache: *mut PyObject,
    pub tp_subclasses: *mut c_void,
    pub tp_weaklist: *mut PyObject,
    pub tp_del: *mut c_void,
    pub tp_version_tag: core::ffi::c_uint,
    pub tp_finalize: Option<destructor>,
    pub tp_vectorcall: *mut c_void,
}

/// The head of a capsule object (`PyCapsule`), stable since 3.1; read to
/// recognise our own capsules without setting an exception.
#[repr(C)]
pub struct CapsuleObject {
    pub ob_base: PyObjectHead,
    pub pointer: *mut c_void,
    pub name: *const c_char,
    pub context: *mut c_void,
    pub destructor: PyCapsule_Destructor,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyType_Slot {
    pub slot: c_int,
    pub pfunc: *mut c_void,
}

#[repr(C)]
pub struct PyType_Spec {
    pub name: *const c_char,
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: core::ffi::c_uint,
    pub slots: *mut PyType_Slot,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyMemberDef {
    pub name: *const c_char,
    pub type_code: c_int,
    pub offset: isize,
    pub flags: c_int,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyGetSetDef {
    pub name: *const c_char,
    pub get: *mut c_void,
    pub set: *mut c_void,
    pub doc: *const c_char,
    pub closure: *mut c_void,
}

pub const Py_tp_alloc: c_int = 47;
pub const Py_tp_call: c_int = 50;
pub const Py_tp_clear: c_int = 51;
pub const Py_tp_dealloc: c_int = 52;
pub const Py_tp_doc: c_int = 56;
pub const Py_tp_getset: c_int = 73;
pub const Py_tp_members: c_int = 72;
pub const Py_tp_methods: c_int = 64;
pub const Py_tp_new: c_int = 65;
pub const Py_tp_traverse: c_int = 71;
pub const T_PYSSIZET: c_int = 19;
pub const READONLY: c_int = 1;

extern "C" {
    pub fn PyType_FromSpecWithBases(spec: *mut PyType_Spec, bases: *mut PyObject) -> *mut PyObject;
    pub fn PyType_GenericAlloc(t: *mut PyTypeObject, n: isize) -> *mut PyObject;
    pub fn PyType_Ready(t: *mut PyTypeObject) -> c_int;
    pub fn PyType_Modified(t: *mut PyTypeObject);
    pub fn PyDict_Keys(d: *mut PyObject) -> *mut PyObject;
    pub fn PyDict_Contains(d: *mut PyObject, key: *mut PyObject) -> c_int;
    pub fn PyDict_GetItemWithError(d: *mut PyObject, key: *mut PyObject) -> *mut PyObject;
    pub fn PyDict_DelItem(d: *mut PyObject, key: *mut PyObject) -> c_int;
    pub fn PyList_Size(list: *mut PyObject) -> isize;
    pub fn PyList_GetItem(list: *mut PyObject, i: isize) -> *mut PyObject;
    pub fn PyObject_GC_UnTrack(o: *mut c_void);
    pub fn PyObject_GC_Track(o: *mut c_void);
    pub fn PyObject_ClearWeakRefs(o: *mut PyObject);
    pub fn PyObject_CallFinalizerFromDealloc(o: *mut PyObject) -> c_int;
    pub fn PyVectorcall_Call(
        callable: *mut PyObject,
        tuple: *mut PyObject,
        dict: *mut PyObject,
    ) -> *mut PyObject;
    pub fn PyTuple_Pack(n: isize, ...) -> *mut PyObject;
    pub fn PyErr_Fetch(t: *mut *mut PyObject, v: *mut *mut PyObject, tb: *mut *mut PyObject);
    pub fn PyErr_Restore(t: *mut PyObject, v: *mut PyObject, tb: *mut PyObject);
    /// From the C library (glibc has it in libc.so from 2.34, and the
    /// interpreter has libdl loaded before): finds `PyType_FromMetaclass`
    /// on CPython 3.12+ without a link-time reference to it.
    pub fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;

    pub static PyType_Type: StaticObject;
    pub static PyBaseObject_Type: StaticObject;
    pub static PyLong_Type: StaticObject;
    pub static PyFloat_Type: StaticObject;
    pub static PyUnicode_Type: StaticObject;
    pub static PyDict_Type: StaticObject;
    pub static PyCapsule_Type: StaticObject;
    pub static PyExc_AttributeError: *mut PyObject;
}

extern "C" {
    pub fn Py_IncRef(o: *mut PyObject);
    pub fn Py_DecRef(o: *mut PyObject);
    pub fn Py_FatalError(message: *const c_char) -> !;

    pub fn PyErr_Occurred() -> *mut PyObject;
    pub fn PyErr_SetString(exc: *mut PyObject, message: *const c_char);
    pub fn PyErr_Format(exc: *mut PyObject, format: *const c_char, ...) -> *mut PyObject;
    pub fn PyUnicode_Substring(s: *mut PyObject, start: isize, end: isize) -> *mut PyObject;
    pub fn PyErr_NoMemory() -> *mut PyObject;
    pub fn PyErr_Clear();

    pub fn PyMem_Malloc(n: usize) -> *mut c_void;
    pub fn PyMem_Calloc(nelem: usize, elsize: usize) -> *mut c_void;
    pub fn PyMem_Realloc(p: *mut c_void, n: usize) -> *mut c_void;
    pub fn PyMem_Free(p: *mut c_void);

    pub fn PyLong_FromSsize_t(v: isize) -> *mut PyObject;
    pub fn PyLong_AsLong(o: *mut PyObject) -> c_long;
    pub fn PyLong_AsUnsignedLong(o: *mut PyObject) -> c_ulong;
    pub fn PyUnicode_FromString(s: *const c_char) -> *mut PyObject;

    pub fn PyObject_GetItem(o: *mut PyObject, key: *mut PyObject) -> *mut PyObject;
    pub fn PyObject_SetItem(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int;
    pub fn PyObject_DelItem(o: *mut PyObject, key: *mut PyObject) -> c_int;
    pub fn PySequence_GetItem(o: *mut PyObject, i: isize) -> *mut PyObject;
    pub fn PySequence_SetItem(o: *mut PyObject, i: isize, v: *mut PyObject) -> c_int;

    pub fn PyBytes_FromStringAndSize(v: *const c_char, len: isize) -> *mut PyObject;

    pub fn PyList_New(n: isize) -> *mut PyObject;
    pub fn PyList_SetItem(list: *mut PyObject, i: isize, item: *mut PyObject) -> c_int;
    pub fn PyTuple_New(n: isize) -> *mut PyObject;
    pub fn PyTuple_SetItem(tuple: *mut PyObject, i: isize, item: *mut PyObject) -> c_int;
    pub fn PyTuple_Size(tuple: *mut PyObject) -> isize;
    pub fn PyTuple_GetItem(tuple: *mut PyObject, i: isize) -> *mut PyObject;
    pub fn PyDict_New() -> *mut PyObject;
    pub fn PyDict_SetItem(d: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int;

    pub fn PyObject_Call(
        callable: *mut PyObject,
        args: *mut PyObject,
        kw: *mut PyObject,
    ) -> *mut PyObject;
    pub fn PyObject_VectorcallDict(
        callable: *mut PyObject,
        args: *const *mut PyObject,
        nargsf: usize,
        kwargs: *mut PyObject,
    ) -> *mut PyObject;
    pub fn PyObject_VectorcallMethod(
        name: *mut PyObject,
        args: *const *mut PyObject,
        nargsf: usize,
        kwnames: *mut PyObject,
    ) -> *mut PyObject;

    pub fn PyType_GetFlags(t: *mut PyTypeObject) -> c_ulong;
    pub fn PyType_IsSubtype(a: *mut PyTypeObject, b: *mut PyTypeObject) -> c_int;

    pub fn PyEval_SaveThread() -> *mut PyThreadState;
    pub fn PyEval_RestoreThread(ts: *mut PyThreadState);

    pub fn PyCapsule_New(
        pointer: *mut c_void,
        name: *const c_char,
        destructor: PyCapsule_Destructor,
    ) -> *mut PyObject;
    pub fn PyCapsule_GetPointer(capsule: *mut PyObject, name: *const c_char) -> *mut c_void;
    pub fn PyCapsule_GetName(capsule: *mut PyObject) -> *const c_char;
    pub fn PyCapsule_GetContext(capsule: *mut PyObject) -> *mut c_void;
    pub fn PyCapsule_SetPointer(capsule: *mut PyObject, pointer: *mut c_void) -> c_int;
    pub fn PyCapsule_SetName(capsule: *mut PyObject, name: *const c_char) -> c_int;
    pub fn PyCapsule_SetContext(capsule: *mut PyObject, context: *mut c_void) -> c_int;
    pub fn PyCapsule_SetDestructor(
        capsule: *mut PyObject,
        destructor: PyCapsule_Destructor,
    ) -> c_int;
    pub fn PyCapsule_IsValid(capsule: *mut PyObject, name: *const c_char) -> c_int;

    pub fn PyContextVar_Get(
        var: *mut PyObject,
        default_value: *mut PyObject,
        value: *mut *mut PyObject,
    ) -> c_int;
    pub fn Py_CompileString(
        source: *const c_char,
        filename: *const c_char,
        start: c_int,
    ) -> *mut PyObject;
    pub fn PySys_FormatStderr(format: *const c_char, ...);

    pub fn PyModuleDef_Init(def: *mut PyModuleDef) -> *mut PyObject;
    pub fn PyModule_FromDefAndSpec2(
        def: *mut PyModuleDef,
        spec: *mut PyObject,
        api: c_int,
    ) -> *mut PyObject;
    pub fn PyModule_ExecDef(module: *mut PyObject, def: *mut PyModuleDef) -> c_int;
    pub fn PyModule_GetDef(module: *mut PyObject) -> *mut PyModuleDef;
    pub fn PyModule_GetState(module: *mut PyObject) -> *mut c_void;
    pub fn PyModule_NewObject(name: *mut PyObject) -> *mut PyObject;
    pub fn PyObject_GetAttrString(o: *mut PyObject, name: *const c_char) -> *mut PyObject;

    // Data. Only the address of the static objects is ever taken.
    pub static _Py_NoneStruct: StaticObject;
    pub static PyList_Type: StaticObject;
    pub static PyTuple_Type: StaticObject;
    pub static PyModule_Type: StaticObject;
    pub static PyExc_OverflowError: *mut PyObject;
    pub static PyExc_SystemError: *mut PyObject;
    pub static PyExc_TypeError: *mut PyObject;
    pub static PyExc_ValueError: *mut PyObject;
}

/// `"text"` as a NUL-terminated `*const c_char`.
///
/// Each string is a named static rather than a literal: literals all land in
/// one mergeable string section, which the linker keeps whole as soon as one
/// of them is used, whereas a static gets a section of its own, so that an
/// extension carries only the messages of the functions it calls.
macro_rules! cstr {
    ($s:expr) => {{
        const BYTES: &[u8] = concat!($s, "\0").as_bytes();
        static S: [u8; BYTES.len()] = $crate::ffi::to_array(BYTES);
        S.as_ptr().cast::<core::ffi::c_char>()
    }};
}
pub(crate) use cstr;

/// Copies `bytes` into an array (for `cstr!`, at compile time).
// Evaluated by the compiler only (a `static` initialiser), where an index out
// of bounds is a compile error; and the loop stays within both arrays.
#[allow(clippy::indexing_slicing)]
pub const fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// A static object of CPython (`_Py_NoneStruct`, `PyList_Type` ...): C code
/// writes to it (reference counts), hence the `UnsafeCell`; Rust only takes
/// its address.
#[repr(transparent)]
pub struct StaticObject(core::cell::UnsafeCell<PyObjectHead>);

impl StaticObject {
    /// The object's address.
    #[inline(always)]
    pub const fn as_ptr(&self) -> *mut PyObjectHead {
        self.0.get()
    }
}

/// `Py_None`.
#[inline(always)]
pub fn py_none() -> *mut PyObject {
    // SAFETY: only the address of the extern static is taken (the reference
    // is to an UnsafeCell, which allows C's writes).
    unsafe { _Py_NoneStruct.as_ptr().cast() }
}

/// The head of variable-size objects (`PyVarObject`): tuples and lists.
#[repr(C)]
pub struct PyVarObjectHead {
    pub ob_base: PyObjectHead,
    pub ob_size: isize,
}

/// `Py_SIZE(o)` of a tuple or list.
///
/// # Safety
/// `o` is a live tuple or list.
#[inline(always)]
pub unsafe fn var_size(o: *mut PyObject) -> isize {
    // SAFETY: the caller passes a tuple or list, which has this head.
    unsafe { (*o.cast::<PyVarObjectHead>()).ob_size }
}

/// The item slots of a tuple: `PyTupleObject.ob_item` is the array that
/// follows the `PyVarObject` head (as `PyTuple_GET_ITEM` reads it).
///
/// # Safety
/// `t` is a live tuple (any subclass: the layout is the same).
#[inline(always)]
pub unsafe fn tuple_items(t: *mut PyObject) -> *mut *mut PyObject {
    // SAFETY: the caller passes a tuple; its items follow the head.
    unsafe { t.cast::<PyVarObjectHead>().add(1).cast() }
}

/// The item array of a list: `PyListObject.ob_item` is the pointer that
/// follows the `PyVarObject` head (as `PyList_GET_ITEM` reads it).
///
/// # Safety
/// `l` is a live list.
#[inline(always)]
pub unsafe fn list_items(l: *mut PyObject) -> *mut *mut PyObject {
    // SAFETY: the caller passes a list; the array pointer follows the head.
    unsafe {
        *l.cast::<PyVarObjectHead>()
            .add(1)
            .cast::<*mut *mut PyObject>()
    }
}

/// `Py_TYPE(o)`: every object of a default build starts with `ob_refcnt`,
/// `ob_type`, which is what the limited API's own `Py_TYPE` reads up to 3.13.
///
/// # Safety
/// `o` is a live object.
#[inline(always)]
pub unsafe fn py_type(o: *mut PyObject) -> *mut PyTypeObject {
    // SAFETY: the caller passes a live object; its head has this layout.
    unsafe { (*o.cast::<PyObjectHead>()).ob_type }
}

/// `PyType_HasFeature(Py_TYPE(o), flag)`: reads `tp_flags`, as the inline
/// `PyType_HasFeature` of a (non-limited) build does, instead of calling
/// `PyType_GetFlags` (`TypeObject` has the layout of 3.9 to 3.13).
///
/// # Safety
/// `o` is a live object.
#[inline(always)]
pub unsafe fn type_has_flag(o: *mut PyObject, flag: c_ulong) -> bool {
    // SAFETY: the caller passes a live object, whose type is a live type
    // object with the TypeObject layout.
    unsafe { (*py_type(o).cast::<TypeObject>()).tp_flags & flag != 0 }
}

/// Whether `Py_TYPE(o)` is exactly the static type object `tp`.
///
/// # Safety
/// `o` is a live object.
#[inline(always)]
pub unsafe fn is_exact(o: *mut PyObject, tp: *mut PyObjectHead) -> bool {
    // SAFETY: the caller passes a live object.
    unsafe { py_type(o).cast::<PyObjectHead>() == tp }
}

/// The vectorcall function of `callable`, if its type supports vectorcall and
/// the instance has one (what CPython's `PyVectorcall_Function` does; that
/// function is exported only from 3.11, so it is reproduced here).
///
/// # Safety
/// `callable` is a live object.
#[inline]
pub unsafe fn vectorcall_func(callable: *mut PyObject) -> Option<vectorcallfunc> {
    // `tp_vectorcall_offset` follows ob_refcnt, ob_type, ob_size, tp_name,
    // tp_basicsize, tp_itemsize and tp_dealloc: offset 56 on every 64-bit
    // CPython from 3.8 to 3.13 (7 words on 32-bit builds).
    const TP_VECTORCALL_OFFSET: usize = 7 * core::mem::size_of::<usize>();
    // SAFETY: the caller passes a live object.
    let tp = unsafe { py_type(callable) };
    // SAFETY: `tp` is a live type object.
    if unsafe { PyType_GetFlags(tp) } & Py_TPFLAGS_HAVE_VECTORCALL == 0 {
        return None;
    }
    // SAFETY: every type object is at least as big as the offset read; the
    // field is a Py_ssize_t.
    let offset = unsafe {
        tp.cast::<u8>()
            .add(TP_VECTORCALL_OFFSET)
            .cast::<isize>()
            .read()
    };
    if offset <= 0 {
        return None;
    }
    // SAFETY: a type with Py_TPFLAGS_HAVE_VECTORCALL stores, at that offset of
    // each instance, a (possibly NULL) vectorcallfunc; it may be unaligned in
    // theory, hence read_unaligned.
    unsafe {
        callable
            .cast::<u8>()
            .offset(offset)
            .cast::<Option<vectorcallfunc>>()
            .read_unaligned()
    }
}

// ~~~ apiperf: reference counting inline, chosen when the runtime starts ~~~
//
// hpy-core is one binary for CPython 3.9 to 3.13, whose `Py_INCREF` and
// `Py_DECREF` differ: a plain 64-bit count up to 3.11; from 3.12 on, objects
// whose low 32 bits read as negative are immortal (an incref that would wrap
// those 32 bits to 0 is skipped, a decref skips them); a debug build
// (`Py_REF_DEBUG`, which has `sys.gettotalrefcount`) also keeps
// `_Py_RefTotal`. The hot item functions (`HPyTuple_FromArray`, the
// builders' `Set`) change counts inline in the way of the running
// interpreter, which `init_refcounting` finds once; until then, and on any
// interpreter it does not recognise, they call `Py_IncRef`/`Py_DecRef`.

extern "C" {
    pub fn Py_GetVersion() -> *const c_char;
    pub fn PySys_GetObject(name: *const c_char) -> *mut PyObject;
}

/// How hpy-core changes reference counts on the running interpreter: one
/// of the constants below (a plain byte, so that reading the mode costs one
/// load and a compare).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RefCounting(u8);

impl RefCounting {
    /// `Py_IncRef`/`Py_DecRef` calls (debug builds, anything unknown).
    pub const CALL: RefCounting = RefCounting(0);
    /// A plain 64-bit `ob_refcnt` (3.9 to 3.11, default builds).
    pub const PLAIN: RefCounting = RefCounting(1);
    /// The 32-bit saturating count of immortal-aware builds (3.12, 3.13).
    pub const IMMORTAL32: RefCounting = RefCounting(2);
}

/// The mode `init_refcounting` chose (a `RefCounting` as u8).
static REFCOUNTING: core::sync::atomic::AtomicU8 =
    core::sync::atomic::AtomicU8::new(RefCounting::CALL.0);

/// The mode for an interpreter of version `major.minor`, `debug` when it is
/// a `Py_REF_DEBUG` build.
pub fn refcounting_for(major: u32, minor: u32, debug: bool) -> RefCounting {
    match (major, minor, debug) {
        (_, _, true) => RefCounting::CALL,
        (3, 9..=11, false) => RefCounting::PLAIN,
        // the 32-bit count is that of 64-bit builds only
        (3, 12..=13, false) if cfg!(target_pointer_width = "64") => RefCounting::IMMORTAL32,
        _ => RefCounting::CALL,
    }
}

/// `major.minor` from the start of a version string such as `3.11.7 (main,
/// ...)`; None if it does not start that way.
pub fn parse_version(s: &[u8]) -> Option<(u32, u32)> {
    fn number(s: &[u8]) -> Option<(u32, &[u8])> {
        let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 4 {
            return None;
        }
        let (d, rest) = s.split_at(digits);
        let value = d.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        Some((value, rest))
    }
    let (major, rest) = number(s)?;
    let (minor, _) = number(rest.strip_prefix(b".")?)?;
    Some((major, minor))
}

/// Finds how the running interpreter counts references (its version, and
/// whether it is a debug build); called once when the runtime starts, with
/// the GIL.
///
/// # Safety
/// The interpreter is initialized and the caller holds the GIL.
pub unsafe fn init_refcounting() {
    // SAFETY: with the GIL: Py_GetVersion returns a static NUL-terminated
    // string; PySys_GetObject returns a borrowed reference or NULL without
    // setting an exception.
    let (version, debug) = unsafe {
        let v = core::ffi::CStr::from_ptr(Py_GetVersion()).to_bytes();
        (
            parse_version(v),
            !PySys_GetObject(cstr!("gettotalrefcount")).is_null(),
        )
    };
    let mode = match version {
        Some((major, minor)) => refcounting_for(major, minor, debug),
        None => RefCounting::CALL,
    };
    REFCOUNTING.store(mode.0, core::sync::atomic::Ordering::Relaxed);
}

/// The mode in force (read it once before a loop of increfs).
#[inline(always)]
pub fn refcounting() -> RefCounting {
    RefCounting(REFCOUNTING.load(core::sync::atomic::Ordering::Relaxed))
}

/// `Py_INCREF(o)` in the mode in force, for a single incref: one compare
/// of the mode tells the three apart (CALL < PLAIN < IMMORTAL32).
///
/// # Safety
/// `o` is a live object, the GIL is held.
#[inline(always)]
pub unsafe fn incref(o: *mut PyObject) {
    let mode = REFCOUNTING.load(core::sync::atomic::Ordering::Relaxed);
    // SAFETY: as `RefCounting::incref` in the mode read.
    unsafe {
        if mode == RefCounting::PLAIN.0 {
            RefCounting::PLAIN.incref(o)
        } else if mode > RefCounting::PLAIN.0 {
            RefCounting::IMMORTAL32.incref(o)
        } else {
            incref_call(o)
        }
    }
}

/// `Py_IncRef(o)`, out of line (debug builds): the inline modes come first.
///
/// # Safety
/// `o` is a live object or NULL, the GIL is held.
#[cold]
#[inline(never)]
unsafe fn incref_call(o: *mut PyObject) {
    // SAFETY: as documented.
    unsafe { Py_IncRef(o) }
}

/// The low 32 bits of `ob_refcnt` (`ob_refcnt_split[PY_BIG_ENDIAN]`).
#[inline(always)]
fn refcnt_low32(o: *mut PyObject) -> *mut u32 {
    let base = o.cast::<u32>();
    if cfg!(target_endian = "big") {
        base.wrapping_add(1)
    } else {
        base
    }
}

impl RefCounting {
    /// Whether counts change inline (not through `Py_IncRef`/`Py_DecRef`).
    #[inline(always)]
    pub fn is_inline(self) -> bool {
        self != RefCounting::CALL
    }

    /// `Py_INCREF(o)` of the running interpreter.
    ///
    /// # Safety
    /// `o` is a live object, the GIL is held.
    #[inline(always)]
    pub unsafe fn incref(self, o: *mut PyObject) {
        match self {
            // SAFETY: a default build of 3.9-3.11: ob_refcnt is the
            // object's first word, a plain count (what Py_INCREF does).
            RefCounting::PLAIN => unsafe { (*o.cast::<PyObjectHead>()).ob_refcnt += 1 },
            // SAFETY: a default 64-bit build of 3.12/3.13: Py_INCREF adds 1
            // to the low 32 bits unless that wraps them (an immortal object).
            RefCounting::IMMORTAL32 => unsafe {
                let low = refcnt_low32(o);
                let new = (*low).wrapping_add(1);
                if new != 0 {
                    *low = new;
                }
            },
            // SAFETY: a live object, with the GIL.
            _ => unsafe { Py_IncRef(o) },
        }
    }

    /// `Py_INCREF(o)` when the mode `is_inline`: no call in the code, so
    /// that loops of increfs keep no registers across calls.
    ///
    /// # Safety
    /// As `incref`, and `self.is_inline()`.
    #[inline(always)]
    pub unsafe fn incref_inline(self, o: *mut PyObject) {
        if self == RefCounting::PLAIN {
            // SAFETY: as in `incref`.
            unsafe { RefCounting::PLAIN.incref(o) }
        } else {
            // SAFETY: the caller says the mode is inline: not PLAIN, so
            // IMMORTAL32 (as in `incref`).
            unsafe { RefCounting::IMMORTAL32.incref(o) }
        }
    }
}

#[cfg(test)]
mod refcounting_tests {
    use super::*;

    #[test]
    fn version_strings() {
        assert_eq!(
            parse_version(b"3.11.7 (main, May  9 2026) [GCC 12.2.0]"),
            Some((3, 11))
        );
        assert_eq!(parse_version(b"3.13.0rc1+"), Some((3, 13)));
        assert_eq!(parse_version(b"3.9"), Some((3, 9)));
        assert_eq!(parse_version(b"3"), None);
        assert_eq!(parse_version(b"x3.11"), None);
        assert_eq!(parse_version(b""), None);
        assert_eq!(parse_version(b"3.123456"), None);
    }

    #[test]
    fn modes() {
        assert_eq!(refcounting_for(3, 9, false), RefCounting::PLAIN);
        assert_eq!(refcounting_for(3, 11, false), RefCounting::PLAIN);
        assert_eq!(refcounting_for(3, 11, true), RefCounting::CALL);
        assert_eq!(refcounting_for(3, 12, false), RefCounting::IMMORTAL32);
        assert_eq!(refcounting_for(3, 13, false), RefCounting::IMMORTAL32);
        assert_eq!(refcounting_for(3, 13, true), RefCounting::CALL);
        // unknown versions call CPython's functions
        assert_eq!(refcounting_for(3, 14, false), RefCounting::CALL);
        assert_eq!(refcounting_for(3, 8, false), RefCounting::CALL);
    }
}
