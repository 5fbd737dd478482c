//! Hand-written HPy 0.9 ABI types: handles, enums, constants and the public
//! structs, field for field as in `shared/hpy-abi/structs.tsv`. The layout is
//! checked against the C headers by the layout test (`tests/test_layout.py`).

use core::ffi::{c_char, c_int, c_ulong, c_void};

use crate::*;

pub const HPY_ABI_VERSION: u32 = 0;
pub const HPY_ABI_VERSION_MINOR: u32 = 0;
pub const HPY_ABI_TAG: &str = "hpy0";

pub type HPy_ssize_t = isize;
pub type HPy_hash_t = isize;
pub type HPy_UCS4 = u32;
pub type wchar_t = i32;

/// Declares a one-word handle-like struct: `#[repr(C)] struct NAME { FIELD: isize }`.
macro_rules! handle_struct {
    ($($(#[$doc:meta])* $name:ident . $field:ident;)*) => {$(
        $(#[$doc])*
        #[repr(C)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name {
            pub $field: isize,
        }
        impl $name {
            pub const NULL: $name = $name { $field: 0 };
            #[inline(always)]
            pub fn is_null(self) -> bool {
                self.$field == 0
            }
        }
    )*};
}

handle_struct! {
    /// A handle to a Python object. On CPython it holds the `PyObject *`.
    HPy._i;
    /// A reference stored inside an object of an HPy type.
    HPyField._i;
    /// A reference stored in a C global variable of an extension.
    HPyGlobal._i;
    HPyListBuilder._lst;
    HPyTupleBuilder._tup;
    HPyTracker._i;
    HPyThreadState._i;
}

pub const HPy_NULL: HPy = HPy::NULL;

// Opaque CPython types: this crate never looks inside them.
#[repr(C)]
pub struct cpy_PyObject {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct cpy_PyMethodDef {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct cpy_PyModuleDef {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct cpy_Py_buffer {
    _opaque: [u8; 0],
}

/// Any HPy implementation function; cast to the type its signature says.
pub type HPyCFunction = Option<unsafe extern "C" fn()>;
pub type cpy_PyCFunction =
    Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut cpy_PyObject) -> *mut cpy_PyObject>;
pub type cpy_getter =
    Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut c_void) -> *mut cpy_PyObject>;
pub type cpy_setter =
    Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut cpy_PyObject, *mut c_void) -> c_int>;
pub type cpy_vectorcallfunc = Option<
    unsafe extern "C" fn(
        *mut cpy_PyObject,
        *const *mut cpy_PyObject,
        usize,
        *mut cpy_PyObject,
    ) -> *mut cpy_PyObject,
>;
pub type cpy_PyCapsule_Destructor = Option<unsafe extern "C" fn(*mut cpy_PyObject)>;
pub type cpy_visitproc = Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut c_void) -> c_int>;

pub const _Py_TPFLAGS_HEAPTYPE: c_ulong = 1 << 9;
pub const _Py_TPFLAGS_HAVE_VERSION_TAG: c_ulong = 1 << 18;
pub const HPy_TPFLAGS_DEFAULT: c_ulong = _Py_TPFLAGS_HEAPTYPE | _Py_TPFLAGS_HAVE_VERSION_TAG;
pub const HPy_TPFLAGS_HAVE_VECTORCALL: c_ulong = 1 << 11;
pub const HPy_TPFLAGS_BASETYPE: c_ulong = 1 << 10;
pub const HPy_TPFLAGS_HAVE_GC: c_ulong = 1 << 14;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPySlot {
    pub slot: HPySlot_Slot,
    pub impl_: HPyCFunction,
    pub cpy_trampoline: cpy_PyCFunction,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyMeth {
    pub name: *const c_char,
    pub impl_: HPyCFunction,
    pub cpy_trampoline: cpy_PyCFunction,
    pub signature: HPyFunc_Signature,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyMember {
    pub name: *const c_char,
    pub type_: HPyMember_FieldType,
    pub offset: HPy_ssize_t,
    pub readonly: c_int,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyGetSet {
    pub name: *const c_char,
    pub getter_impl: HPyCFunction,
    pub setter_impl: HPyCFunction,
    pub getter_cpy_trampoline: cpy_getter,
    pub setter_cpy_trampoline: cpy_setter,
    pub doc: *const c_char,
    pub closure: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union HPyDef_union {
    pub slot: HPySlot,
    pub meth: HPyMeth,
    pub member: HPyMember,
    pub getset: HPyGetSet,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyDef {
    pub kind: HPyDef_Kind,
    pub u: HPyDef_union,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyCapsule_Destructor {
    pub cpy_trampoline: cpy_PyCapsule_Destructor,
    pub impl_: Option<HPyFunc_Capsule_Destructor>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyCallFunction {
    pub cpy_trampoline: cpy_vectorcallfunc,
    pub impl_: Option<HPyFunc_keywords>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPy_buffer {
    pub buf: *mut c_void,
    pub obj: HPy,
    pub len: HPy_ssize_t,
    pub itemsize: HPy_ssize_t,
    pub readonly: c_int,
    pub ndim: c_int,
    pub format: *mut c_char,
    pub shape: *mut HPy_ssize_t,
    pub strides: *mut HPy_ssize_t,
    pub suboffsets: *mut HPy_ssize_t,
    pub internal: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyModuleDef {
    pub doc: *const c_char,
    pub size: HPy_ssize_t,
    pub legacy_methods: *mut cpy_PyMethodDef,
    pub defines: *mut *mut HPyDef,
    pub globals: *mut *mut HPyGlobal,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyType_Vectorcall {
    pub cpy_trampoline: cpy_vectorcallfunc,
    pub impl_: HPyCallFunction,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyType_Spec {
    pub name: *const c_char,
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: c_ulong,
    pub builtin_shape: HPyType_BuiltinShape,
    pub legacy_slots: *mut c_void,
    pub defines: *mut *mut HPyDef,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyType_SpecParam {
    pub kind: HPyType_SpecParam_Kind,
    pub object: HPy,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyStructSequence_Field {
    pub name: *const c_char,
    pub doc: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyStructSequence_Desc {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub fields: *mut HPyStructSequence_Field,
}
