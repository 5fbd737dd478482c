//! Type objects: `HPyType_IsSubtype`.

use core::ffi::c_int;

use hpy_sys::{HPy, HPyContext};

use crate::ffi::{self, cstr};
use crate::h2py;

/// `HPyType_IsSubtype`: 1 if `sub` is `type` or a subtype of it, else 0;
/// -1 with TypeError if either is not a type object.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Type_IsSubtype(_ctx: *mut HPyContext, sub: HPy, type_: HPy) -> c_int {
    let (sub, type_) = (h2py(sub), h2py(type_));
    // SAFETY: both are live handles.
    let are_types = unsafe {
        ffi::type_has_flag(sub, ffi::Py_TPFLAGS_TYPE_SUBCLASS)
            && ffi::type_has_flag(type_, ffi::Py_TPFLAGS_TYPE_SUBCLASS)
    };
    if !are_types {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                cstr!("HPyType_IsSubtype: both arguments must be types"),
            )
        };
        return -1;
    }
    // SAFETY: both are type objects.
    unsafe { ffi::PyType_IsSubtype(sub.cast(), type_.cast()) }
}

/// The C struct of an instance of an HPy type, which its HPy traverse
/// function receives (the runtime's `HPyFunc_TRAVERSEPROC` dispatch calls
/// this).
///
/// TODO: HPy types are not implemented yet (HPyType_FromSpec is `todo` in
/// api/hpy.api), so no tp_traverse trampoline of a universal module can be
/// installed yet; once the object layout of HPy types is defined here, this
/// must return what it computes for `obj` (and `object_data` is only called
/// then).
///
/// # Safety
/// `obj` is a live instance of an HPy type.
pub unsafe fn object_data(obj: *mut hpy_sys::cpy_PyObject) -> *mut core::ffi::c_void {
    obj.cast()
}
