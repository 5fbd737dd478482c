//! Type objects: `HPyType_IsSubtype`, `HPyType_GetName`, `_HPyType_GetBuiltinShape`.

use core::ffi::c_int;

use hpy_sys::{HPy, HPyContext};

use crate::ffi::{self, cstr};
use crate::h2py;
use crate::instance::Exc;

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

/// `_HPyType_GetBuiltinShape`: the shape of the HPy type `h_type` (of the
/// nearest HPy type among its bases); `HPyType_BuiltinShape_Legacy` for
/// other types; -2 with TypeError if `h_type` is not a type.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Type_GetBuiltinShape(
    _ctx: *mut HPyContext,
    h_type: HPy,
) -> hpy_sys::HPyType_BuiltinShape {
    let t = h2py(h_type);
    // SAFETY: a live handle.
    if t.is_null() || !unsafe { crate::instance::is_type(t) } {
        return crate::instance::raise(
            Exc::Type,
            cstr!("_HPyType_GetBuiltinShape arg must be a type"),
            -2,
        );
    }
    // SAFETY: a live type.
    unsafe { crate::instance::hpy_type_in_chain(t.cast()) }
        .map_or(hpy_sys::HPyType_BuiltinShape_Legacy, |(_, info)| info.shape)
}

/// `HPyType_GetName`: the type's name without its module, i.e. `tp_name`
/// after its last dot ("Dummy" for a spec named "mytest.Dummy", "array" for
/// `array.array`), as HPy 0.9 returns it; NULL with TypeError if `type` is
/// not a type. The text lives as long as the type.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Type_GetName(
    _ctx: *mut HPyContext,
    type_: HPy,
) -> *const core::ffi::c_char {
    let t = h2py(type_);
    // SAFETY: a live handle.
    if t.is_null() || !unsafe { crate::instance::is_type(t) } {
        return crate::instance::raise(
            Exc::Type,
            cstr!("HPyType_GetName arg must be a type"),
            core::ptr::null(),
        );
    }
    // SAFETY: a live type; its name lives as long as the type.
    let full = unsafe { (*t.cast::<ffi::TypeObject>()).tp_name };
    if full.is_null() {
        return full;
    }
    // SAFETY: tp_name is a NUL-terminated C string.
    let bytes = unsafe { core::ffi::CStr::from_ptr(full) }.to_bytes();
    match bytes.iter().rposition(|&b| b == b'.') {
        // SAFETY: pos + 1 <= len, so the pointer stays inside the string.
        Some(pos) => unsafe { full.add(pos + 1) },
        None => full,
    }
}
