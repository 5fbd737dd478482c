//! `HPyField`: a reference stored inside an object of an HPy type. On
//! CPython the field holds the object pointer and owns a strong reference.

use hpy_sys::{HPy, HPyContext, HPyField};

use crate::ffi;
use crate::h2py;

/// `HPyField_Store`: `*target_field` becomes a new reference to `h` (or
/// null), and the reference it held before is released.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Field_Store(
    _ctx: *mut HPyContext,
    _target_object: HPy,
    target_field: *mut HPyField,
    h: HPy,
) {
    let new = h2py(h);
    // SAFETY: `target_field` points into a live object; the new reference is
    // taken before the old one is dropped (they may be the same object), and
    // the field is updated before the old value's destructor can run.
    unsafe {
        ffi::Py_IncRef(new);
        let old = (*target_field)._i as *mut ffi::PyObject;
        (*target_field)._i = new as isize;
        ffi::Py_DecRef(old);
    }
}

/// `HPyField_Load`: a new handle to the object in the field (HPy_NULL, with
/// no exception, for an empty field).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Field_Load(
    _ctx: *mut HPyContext,
    _source_object: HPy,
    source_field: HPyField,
) -> HPy {
    // SAFETY: the field holds a strong reference (or null, which Py_IncRef accepts).
    unsafe { ffi::Py_IncRef(source_field._i as *mut ffi::PyObject) };
    HPy {
        _i: source_field._i,
    }
}
