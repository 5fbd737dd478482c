//! Hand-written HPy 0.9 ABI types: handles, enums, constants and the public
//! structs, field for field as in `shared/hpy-abi/structs.tsv`. The layout is
//! checked against the C headers by the layout test (`tests/test_layout.py`).

use core::ffi::{c_char, c_int, c_ulong, c_void};

use crate::HPyContext;

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
pub type cpy_getter = Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut c_void) -> *mut cpy_PyObject>;
pub type cpy_setter =
    Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut cpy_PyObject, *mut c_void) -> c_int>;
pub type cpy_vectorcallfunc = Option<
    unsafe extern "C" fn(*mut cpy_PyObject, *const *mut cpy_PyObject, usize, *mut cpy_PyObject) -> *mut cpy_PyObject,
>;
pub type cpy_PyCapsule_Destructor = Option<unsafe extern "C" fn(*mut cpy_PyObject)>;
pub type cpy_visitproc = Option<unsafe extern "C" fn(*mut cpy_PyObject, *mut c_void) -> c_int>;
pub type HPyFunc_Capsule_Destructor = Option<unsafe extern "C" fn(*const c_char, *mut c_void, *mut c_void)>;
pub type HPyFunc_keywords =
    Option<unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize, HPy) -> HPy>;

/// Declares a C enum as an integer type plus one constant per member, so that
/// a value we do not know yet never becomes undefined behaviour.
macro_rules! c_enum {
    ($ty:ident { $($name:ident = $value:expr,)* }) => {
        pub type $ty = c_int;
        $(pub const $name: $ty = $value;)*
    };
}

c_enum!(HPyFunc_Signature {
    HPyFunc_VARARGS = 1,
    HPyFunc_KEYWORDS = 2,
    HPyFunc_NOARGS = 3,
    HPyFunc_O = 4,
    HPyFunc_DESTROYFUNC = 5,
    HPyFunc_GETBUFFERPROC = 6,
    HPyFunc_RELEASEBUFFERPROC = 7,
    HPyFunc_UNARYFUNC = 8,
    HPyFunc_BINARYFUNC = 9,
    HPyFunc_TERNARYFUNC = 10,
    HPyFunc_INQUIRY = 11,
    HPyFunc_LENFUNC = 12,
    HPyFunc_SSIZEARGFUNC = 13,
    HPyFunc_SSIZESSIZEARGFUNC = 14,
    HPyFunc_SSIZEOBJARGPROC = 15,
    HPyFunc_SSIZESSIZEOBJARGPROC = 16,
    HPyFunc_OBJOBJARGPROC = 17,
    HPyFunc_FREEFUNC = 18,
    HPyFunc_GETATTRFUNC = 19,
    HPyFunc_GETATTROFUNC = 20,
    HPyFunc_SETATTRFUNC = 21,
    HPyFunc_SETATTROFUNC = 22,
    HPyFunc_REPRFUNC = 23,
    HPyFunc_HASHFUNC = 24,
    HPyFunc_RICHCMPFUNC = 25,
    HPyFunc_GETITERFUNC = 26,
    HPyFunc_ITERNEXTFUNC = 27,
    HPyFunc_DESCRGETFUNC = 28,
    HPyFunc_DESCRSETFUNC = 29,
    HPyFunc_INITPROC = 30,
    HPyFunc_NEWFUNC = 31,
    HPyFunc_GETTER = 32,
    HPyFunc_SETTER = 33,
    HPyFunc_OBJOBJPROC = 34,
    HPyFunc_TRAVERSEPROC = 35,
    HPyFunc_DESTRUCTOR = 36,
    HPyFunc_CAPSULE_DESTRUCTOR = 37,
    HPyFunc_VECTORCALLFUNC = 38,
    HPyFunc_MOD_CREATE = 39,
});

c_enum!(HPySlot_Slot {
    HPy_bf_getbuffer = 1,
    HPy_bf_releasebuffer = 2,
    HPy_mp_ass_subscript = 3,
    HPy_mp_length = 4,
    HPy_mp_subscript = 5,
    HPy_nb_absolute = 6,
    HPy_nb_add = 7,
    HPy_nb_and = 8,
    HPy_nb_bool = 9,
    HPy_nb_divmod = 10,
    HPy_nb_float = 11,
    HPy_nb_floor_divide = 12,
    HPy_nb_index = 13,
    HPy_nb_inplace_add = 14,
    HPy_nb_inplace_and = 15,
    HPy_nb_inplace_floor_divide = 16,
    HPy_nb_inplace_lshift = 17,
    HPy_nb_inplace_multiply = 18,
    HPy_nb_inplace_or = 19,
    HPy_nb_inplace_power = 20,
    HPy_nb_inplace_remainder = 21,
    HPy_nb_inplace_rshift = 22,
    HPy_nb_inplace_subtract = 23,
    HPy_nb_inplace_true_divide = 24,
    HPy_nb_inplace_xor = 25,
    HPy_nb_int = 26,
    HPy_nb_invert = 27,
    HPy_nb_lshift = 28,
    HPy_nb_multiply = 29,
    HPy_nb_negative = 30,
    HPy_nb_or = 31,
    HPy_nb_positive = 32,
    HPy_nb_power = 33,
    HPy_nb_remainder = 34,
    HPy_nb_rshift = 35,
    HPy_nb_subtract = 36,
    HPy_nb_true_divide = 37,
    HPy_nb_xor = 38,
    HPy_sq_ass_item = 39,
    HPy_sq_concat = 40,
    HPy_sq_contains = 41,
    HPy_sq_inplace_concat = 42,
    HPy_sq_inplace_repeat = 43,
    HPy_sq_item = 44,
    HPy_sq_length = 45,
    HPy_sq_repeat = 46,
    HPy_tp_call = 50,
    HPy_tp_descr_get = 54,
    HPy_tp_hash = 59,
    HPy_tp_init = 60,
    HPy_tp_new = 65,
    HPy_tp_repr = 66,
    HPy_tp_richcompare = 67,
    HPy_tp_str = 70,
    HPy_tp_traverse = 71,
    HPy_nb_matrix_multiply = 75,
    HPy_nb_inplace_matrix_multiply = 76,
    HPy_tp_finalize = 80,
    HPy_tp_destroy = 1000,
    HPy_mod_create = 2000,
    HPy_mod_exec = 2001,
});

c_enum!(HPyMember_FieldType {
    HPyMember_SHORT = 0,
    HPyMember_INT = 1,
    HPyMember_LONG = 2,
    HPyMember_FLOAT = 3,
    HPyMember_DOUBLE = 4,
    HPyMember_STRING = 5,
    HPyMember_OBJECT = 6,
    HPyMember_CHAR = 7,
    HPyMember_BYTE = 8,
    HPyMember_UBYTE = 9,
    HPyMember_USHORT = 10,
    HPyMember_UINT = 11,
    HPyMember_ULONG = 12,
    HPyMember_STRING_INPLACE = 13,
    HPyMember_BOOL = 14,
    HPyMember_OBJECT_EX = 16,
    HPyMember_LONGLONG = 17,
    HPyMember_ULONGLONG = 18,
    HPyMember_HPYSSIZET = 19,
    HPyMember_NONE = 20,
});

c_enum!(HPyDef_Kind {
    HPyDef_Kind_Slot = 1,
    HPyDef_Kind_Meth = 2,
    HPyDef_Kind_Member = 3,
    HPyDef_Kind_GetSet = 4,
});

c_enum!(HPyType_BuiltinShape {
    HPyType_BuiltinShape_Legacy = -1,
    HPyType_BuiltinShape_Object = 0,
    HPyType_BuiltinShape_Type = 1,
    HPyType_BuiltinShape_Long = 2,
    HPyType_BuiltinShape_Float = 3,
    HPyType_BuiltinShape_Unicode = 4,
    HPyType_BuiltinShape_Tuple = 5,
    HPyType_BuiltinShape_List = 6,
    HPyType_BuiltinShape_Dict = 7,
});

c_enum!(HPyType_SpecParam_Kind {
    HPyType_SpecParam_Base = 1,
    HPyType_SpecParam_BasesTuple = 2,
    HPyType_SpecParam_Metaclass = 3,
});

c_enum!(HPy_RichCmpOp {
    HPy_LT = 0,
    HPy_LE = 1,
    HPy_EQ = 2,
    HPy_NE = 3,
    HPy_GT = 4,
    HPy_GE = 5,
});

c_enum!(HPy_SourceKind {
    HPy_SourceKind_Expr = 0,
    HPy_SourceKind_File = 1,
    HPy_SourceKind_Single = 2,
});

c_enum!(_HPyCapsule_key {
    HPyCapsule_key_Pointer = 0,
    HPyCapsule_key_Name = 1,
    HPyCapsule_key_Context = 2,
    HPyCapsule_key_Destructor = 3,
});

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
    pub impl_: HPyFunc_Capsule_Destructor,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HPyCallFunction {
    pub cpy_trampoline: cpy_vectorcallfunc,
    pub impl_: HPyFunc_keywords,
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

/// Declares the `_HPyFunc_args_*` structs that a universal trampoline fills
/// and hands to `ctx_CallRealFunctionFromTrampoline`.
macro_rules! trampoline_args {
    ($($name:ident { $($field:ident : $ty:ty),* $(,)? })*) => {$(
        #[repr(C)]
        pub struct $name {
            $(pub $field: $ty,)*
        }
    )*};
}

type Obj = *mut cpy_PyObject;

trampoline_args! {
    _HPyFunc_args_NOARGS { self_: Obj, result: Obj }
    _HPyFunc_args_O { self_: Obj, arg: Obj, result: Obj }
    _HPyFunc_args_UNARYFUNC { arg0: Obj, result: Obj }
    _HPyFunc_args_BINARYFUNC { arg0: Obj, arg1: Obj, result: Obj }
    _HPyFunc_args_TERNARYFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: Obj }
    _HPyFunc_args_INQUIRY { arg0: Obj, result: c_int }
    _HPyFunc_args_LENFUNC { arg0: Obj, result: HPy_ssize_t }
    _HPyFunc_args_SSIZEARGFUNC { arg0: Obj, arg1: HPy_ssize_t, result: Obj }
    _HPyFunc_args_SSIZESSIZEARGFUNC { arg0: Obj, arg1: HPy_ssize_t, arg2: HPy_ssize_t, result: Obj }
    _HPyFunc_args_SSIZEOBJARGPROC { arg0: Obj, arg1: HPy_ssize_t, arg2: Obj, result: c_int }
    _HPyFunc_args_SSIZESSIZEOBJARGPROC { arg0: Obj, arg1: HPy_ssize_t, arg2: HPy_ssize_t, arg3: Obj, result: c_int }
    _HPyFunc_args_OBJOBJARGPROC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    _HPyFunc_args_FREEFUNC { arg0: *mut c_void }
    _HPyFunc_args_GETATTRFUNC { arg0: Obj, arg1: *mut c_char, result: Obj }
    _HPyFunc_args_GETATTROFUNC { arg0: Obj, arg1: Obj, result: Obj }
    _HPyFunc_args_SETATTRFUNC { arg0: Obj, arg1: *mut c_char, arg2: Obj, result: c_int }
    _HPyFunc_args_SETATTROFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    _HPyFunc_args_REPRFUNC { arg0: Obj, result: Obj }
    _HPyFunc_args_HASHFUNC { arg0: Obj, result: HPy_hash_t }
    _HPyFunc_args_GETITERFUNC { arg0: Obj, result: Obj }
    _HPyFunc_args_ITERNEXTFUNC { arg0: Obj, result: Obj }
    _HPyFunc_args_DESCRGETFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: Obj }
    _HPyFunc_args_DESCRSETFUNC { arg0: Obj, arg1: Obj, arg2: Obj, result: c_int }
    _HPyFunc_args_GETTER { arg0: Obj, arg1: *mut c_void, result: Obj }
    _HPyFunc_args_SETTER { arg0: Obj, arg1: Obj, arg2: *mut c_void, result: c_int }
    _HPyFunc_args_OBJOBJPROC { arg0: Obj, arg1: Obj, result: c_int }
    _HPyFunc_args_DESTRUCTOR { arg0: Obj }
    _HPyFunc_args_VARARGS { self_: Obj, args: *const Obj, nargs: HPy_ssize_t, result: Obj }
    _HPyFunc_args_KEYWORDS { self_: Obj, args: *const Obj, nargsf: usize, kwnames: Obj, result: Obj }
    _HPyFunc_args_INITPROC { self_: Obj, args: Obj, kw: Obj, result: c_int }
    _HPyFunc_args_NEWFUNC { self_: Obj, args: Obj, kw: Obj, result: Obj }
    _HPyFunc_args_RICHCMPFUNC { arg0: Obj, arg1: Obj, arg2: HPy_RichCmpOp, result: Obj }
    _HPyFunc_args_GETBUFFERPROC { self_: Obj, view: *mut cpy_Py_buffer, flags: c_int, result: c_int }
    _HPyFunc_args_RELEASEBUFFERPROC { self_: Obj, view: *mut cpy_Py_buffer }
    _HPyFunc_args_TRAVERSEPROC { self_: Obj, visit: cpy_visitproc, arg: *mut c_void, result: c_int }
    _HPyFunc_args_MOD_CREATE { spec: Obj, result: Obj }
}
