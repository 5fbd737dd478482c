//! `HPyCapsule_*`: capsules are CPython's; the destructor given to HPy is a
//! pair of the user's function and its CPython-facing trampoline
//! (`HPyCapsule_DESTRUCTOR`), of which CPython gets the trampoline.

use core::ffi::{c_char, c_int, c_void};

use hpy_sys::{
    _HPyCapsule_key, HPy, HPyCapsule_Destructor, HPyCapsule_key_Context, HPyCapsule_key_Destructor,
    HPyCapsule_key_Name, HPyCapsule_key_Pointer, HPyContext,
};

use crate::ffi::{self, cstr};
use crate::gil::{ErrSet, Gil};
use crate::{h2py, py2h};

/// The CPython destructor for an HPy one: None for NULL; ValueError for a
/// destructor without its functions.
///
/// # Safety
/// `destructor` is NULL or points to an `HPyCapsule_Destructor`.
unsafe fn cpy_destructor(
    _gil: Gil,
    destructor: *const HPyCapsule_Destructor,
) -> Result<ffi::PyCapsule_Destructor, ErrSet> {
    if destructor.is_null() {
        return Ok(None);
    }
    // SAFETY: a non-NULL destructor points to the extension's static struct.
    let d = unsafe { &*destructor };
    match (d.cpy_trampoline, d.impl_) {
        (Some(trampoline), Some(_)) => Ok(Some(trampoline)),
        _ => {
            // SAFETY: with the GIL, setting an exception with a static
            // message.
            unsafe {
                ffi::PyErr_SetString(
                    ffi::PyExc_ValueError,
                    cstr!("Invalid HPyCapsule destructor"),
                )
            };
            Err(ErrSet::from_c_api())
        }
    }
}

/// `HPyCapsule_New`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Capsule_New(
    _ctx: *mut HPyContext,
    pointer: *mut c_void,
    utf8_name: *const c_char,
    destructor: *mut HPyCapsule_Destructor,
) -> HPy {
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `destructor` is NULL or the extension's struct.
    let Ok(d) = (unsafe { cpy_destructor(gil, destructor) }) else {
        return HPy::NULL;
    };
    // SAFETY: CPython checks the pointer (not NULL) and keeps the name pointer.
    py2h(unsafe { ffi::PyCapsule_New(pointer, utf8_name, d) })
}

/// `HPyCapsule_Get`: the pointer (checking the name), the name or the
/// context of the capsule. The destructor cannot be read.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Capsule_Get(
    _ctx: *mut HPyContext,
    capsule: HPy,
    key: _HPyCapsule_key,
    utf8_name: *const c_char,
) -> *mut c_void {
    let o = h2py(capsule);
    // SAFETY: a live handle; CPython checks that it is a capsule.
    unsafe {
        match key {
            HPyCapsule_key_Pointer => ffi::PyCapsule_GetPointer(o, utf8_name),
            HPyCapsule_key_Name => ffi::PyCapsule_GetName(o).cast_mut().cast(),
            HPyCapsule_key_Context => ffi::PyCapsule_GetContext(o),
            HPyCapsule_key_Destructor => {
                ffi::PyErr_SetString(
                    ffi::PyExc_ValueError,
                    cstr!("Invalid operation: get HPyCapsule_key_Destructor"),
                );
                core::ptr::null_mut()
            }
            _ => {
                ffi::PyErr_Format(
                    ffi::PyExc_ValueError,
                    cstr!("HPyCapsule_Get: invalid key %d"),
                    key,
                );
                core::ptr::null_mut()
            }
        }
    }
}

/// `HPyCapsule_Set`: the pointer, the name, the context or the destructor
/// (`value` is then an `HPyCapsule_Destructor *`, or NULL for none).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Capsule_Set(
    _ctx: *mut HPyContext,
    capsule: HPy,
    key: _HPyCapsule_key,
    value: *mut c_void,
) -> c_int {
    let o = h2py(capsule);
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: a live handle; CPython checks that it is a capsule; a
    // destructor `value` is the extension's struct.
    unsafe {
        match key {
            HPyCapsule_key_Pointer => ffi::PyCapsule_SetPointer(o, value),
            HPyCapsule_key_Name => ffi::PyCapsule_SetName(o, value.cast()),
            HPyCapsule_key_Context => ffi::PyCapsule_SetContext(o, value),
            HPyCapsule_key_Destructor => match cpy_destructor(gil, value.cast()) {
                Ok(d) => ffi::PyCapsule_SetDestructor(o, d),
                Err(_) => -1,
            },
            _ => {
                ffi::PyErr_Format(
                    ffi::PyExc_ValueError,
                    cstr!("HPyCapsule_Set: invalid key %d"),
                    key,
                );
                -1
            }
        }
    }
}

/// `HPyCapsule_IsValid`: 1 if `capsule` is a capsule named `utf8_name` with
/// a non-NULL pointer, else 0 (never an error).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Capsule_IsValid(
    _ctx: *mut HPyContext,
    capsule: HPy,
    utf8_name: *const c_char,
) -> c_int {
    // SAFETY: a live handle (or NULL, which CPython accepts).
    unsafe { ffi::PyCapsule_IsValid(h2py(capsule), utf8_name) }
}
