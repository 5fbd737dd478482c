//! `HPy_GetItem_i/_s`, `HPy_SetItem_i/_s`, `HPy_DelItem_i/_s`: item access
//! with a C integer or a UTF-8 C string as the key.
//!
//! The key becomes a Python int or str and the generic protocol is used, so
//! a dict with int keys works as well as a list. Exact lists and tuples take
//! a shortcut through the sequence protocol, which has the same semantics
//! (negative indices count from the end, the same IndexError messages) and
//! saves creating the int.

use core::ffi::{c_char, c_int};

use hpy_sys::{HPy, HPyContext, HPy_ssize_t};

use crate::ffi::{self, PyObject};
use crate::gil::Gil;
use crate::{h2py, py2h};

/// Calls `f(key)` with a new int object for `idx`, then releases it.
/// Returns `err` if the int cannot be created.
#[inline]
fn with_int_key<T>(_gil: Gil, idx: HPy_ssize_t, err: T, f: impl FnOnce(*mut PyObject) -> T) -> T {
    // SAFETY: plain C-API call, with the GIL.
    let key = unsafe { ffi::PyLong_FromSsize_t(idx) };
    if key.is_null() {
        return err;
    }
    let result = f(key);
    // SAFETY: `key` is the new reference created above.
    unsafe { ffi::Py_DecRef(key) };
    result
}

/// Calls `f(key)` with a new str object decoded from UTF-8 `s`, then
/// releases it. Returns `err` if the str cannot be created.
#[inline]
unsafe fn with_str_key<T>(s: *const c_char, err: T, f: impl FnOnce(*mut PyObject) -> T) -> T {
    // SAFETY: the caller passes a NUL-terminated string; the C-API decodes it.
    let key = unsafe { ffi::PyUnicode_FromString(s) };
    if key.is_null() {
        return err;
    }
    let result = f(key);
    // SAFETY: `key` is the new reference created above.
    unsafe { ffi::Py_DecRef(key) };
    result
}

/// `HPy_GetItem_i`: `obj[idx]`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_GetItem_i(_ctx: *mut HPyContext, obj: HPy, idx: HPy_ssize_t) -> HPy {
    let o = h2py(obj);
    // SAFETY: `obj` is a live handle; reading its type is allowed.
    let (list, tuple) = unsafe {
        (
            ffi::is_exact(o, ffi::PyList_Type.as_ptr()),
            ffi::is_exact(o, ffi::PyTuple_Type.as_ptr()),
        )
    };
    // SAFETY: an exact list or tuple has that head.
    if (list || tuple) && (0..unsafe { ffi::var_size(o) }).contains(&idx) {
        // SAFETY: an index in range of an exact list or tuple: read the item
        // (what PyList_GET_ITEM / PyTuple_GET_ITEM do) and return a new
        // reference.
        unsafe {
            let items = if list {
                ffi::list_items(o)
            } else {
                ffi::tuple_items(o)
            };
            let item = *items.offset(idx);
            // (a tuple still being built may hold NULL: no reference then)
            if !item.is_null() {
                ffi::incref(item);
            }
            return py2h(item);
        }
    }
    if list || tuple {
        // SAFETY: an exact list or tuple; sq_item checks the bounds.
        return py2h(unsafe { ffi::PySequence_GetItem(o, idx) });
    }
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: (in the closure) live objects; the C-API checks the rest.
    with_int_key(gil, idx, HPy::NULL, |key| unsafe {
        py2h(ffi::PyObject_GetItem(o, key))
    })
}

/// `HPy_GetItem_s`: `obj[utf8_key]`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_GetItem_s(
    _ctx: *mut HPyContext,
    obj: HPy,
    utf8_key: *const c_char,
) -> HPy {
    // SAFETY: live objects; the C-API checks the rest.
    unsafe {
        with_str_key(utf8_key, HPy::NULL, |key| {
            py2h(ffi::PyObject_GetItem(h2py(obj), key))
        })
    }
}

/// `HPy_SetItem_i`: `obj[idx] = value`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_SetItem_i(
    _ctx: *mut HPyContext,
    obj: HPy,
    idx: HPy_ssize_t,
    value: HPy,
) -> c_int {
    let o = h2py(obj);
    let v = h2py(value);
    // SAFETY: `obj` is a live handle; reading its type is allowed.
    let list = unsafe { ffi::is_exact(o, ffi::PyList_Type.as_ptr()) };
    // SAFETY: an exact list has that head.
    if list && !v.is_null() && (0..unsafe { ffi::var_size(o) }).contains(&idx) {
        // SAFETY: an index in range of an exact list: replace the item and
        // release the old one, as list_ass_item does.
        unsafe {
            ffi::Py_IncRef(v);
            let slot = ffi::list_items(o).offset(idx);
            let old = *slot;
            *slot = v;
            ffi::Py_DecRef(old);
        }
        return 0;
    }
    if list {
        // SAFETY: an exact list; sq_ass_item checks the bounds and increfs.
        return unsafe { ffi::PySequence_SetItem(o, idx, h2py(value)) };
    }
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: (in the closure) live objects; the C-API checks the rest.
    with_int_key(gil, idx, -1, |key| unsafe {
        ffi::PyObject_SetItem(o, key, h2py(value))
    })
}

/// `HPy_SetItem_s`: `obj[utf8_key] = value`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_SetItem_s(
    _ctx: *mut HPyContext,
    obj: HPy,
    utf8_key: *const c_char,
    value: HPy,
) -> c_int {
    // SAFETY: live objects; the C-API checks the rest.
    unsafe {
        with_str_key(utf8_key, -1, |key| {
            ffi::PyObject_SetItem(h2py(obj), key, h2py(value))
        })
    }
}

/// `HPy_DelItem_i`: `del obj[idx]`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_DelItem_i(_ctx: *mut HPyContext, obj: HPy, idx: HPy_ssize_t) -> c_int {
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: (in the closure) live objects; the C-API checks the rest.
    with_int_key(gil, idx, -1, |key| unsafe {
        ffi::PyObject_DelItem(h2py(obj), key)
    })
}

/// `HPy_DelItem_s`: `del obj[utf8_key]`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_DelItem_s(
    _ctx: *mut HPyContext,
    obj: HPy,
    utf8_key: *const c_char,
) -> c_int {
    // SAFETY: live objects; the C-API checks the rest.
    unsafe { with_str_key(utf8_key, -1, |key| ffi::PyObject_DelItem(h2py(obj), key)) }
}

/// `_HPy_Dump`: prints what is known of the object of `h` to `sys.stderr`,
/// for debugging. Leaves the error indicator as it was.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Dump(_ctx: *mut HPyContext, h: HPy) {
    let o = h2py(h);
    if o.is_null() {
        // SAFETY: a static format without arguments.
        unsafe {
            ffi::PySys_FormatStderr(crate::ffi::cstr!("object address  : NULL (HPy_NULL)\n"))
        };
        return;
    }
    // SAFETY: `o` is a live object: its head gives its reference count and
    // type; PySys_FormatStderr formats with PyUnicode_FromFormat (%R is
    // repr(), %s the type's name) and restores the error indicator, so an
    // exception raised by repr() is dropped.
    unsafe {
        let head = &*o.cast::<ffi::PyObjectHead>();
        let tp = head.ob_type.cast::<PyObject>();
        ffi::PySys_FormatStderr(
            crate::ffi::cstr!(
                "object address  : %p\nobject refcount : %zd\nobject type     : %p\nobject type name: %R\nobject repr     : %R\n"
            ),
            o,
            head.ob_refcnt,
            tp,
            tp,
            o,
        );
    }
}
