//! `HPy_Call`, `HPy_CallMethod` (CPython's vectorcall convention) and
//! `HPy_CallTupleDict` (a tuple and a dict).
//!
//! On CPython a handle is the object pointer, so `args` is passed to CPython
//! as it is: no copy, no conversion.

use hpy_sys::{HPy, HPyContext};

use crate::ffi::{self, cstr, PyObject};
use crate::gil::{ErrSet, Gil};
use crate::{h2py, py2h};

/// Checks `kwnames` (NULL or a tuple) and returns the number of keyword
/// arguments; TypeError if it is not a tuple.
///
/// # Safety
/// `kwnames` is NULL or a live object; `who` is a NUL-terminated string.
#[inline]
unsafe fn kwnames_len(
    _gil: Gil,
    kwnames: *mut PyObject,
    who: *const core::ffi::c_char,
) -> Result<usize, ErrSet> {
    if kwnames.is_null() {
        return Ok(0);
    }
    // SAFETY: `kwnames` is a live handle.
    if unsafe { !ffi::type_has_flag(kwnames, ffi::Py_TPFLAGS_TUPLE_SUBCLASS) } {
        // SAFETY: setting an exception; `who` is a NUL-terminated string.
        unsafe {
            ffi::PyErr_Format(
                ffi::PyExc_TypeError,
                cstr!("%s: kwnames must be a tuple or HPy_NULL"),
                who,
            )
        };
        return Err(ErrSet::from_c_api());
    }
    // SAFETY: `kwnames` is a tuple; the size is never negative.
    Ok(unsafe { ffi::PyTuple_Size(kwnames) } as usize)
}

/// `HPy_Call`: `callable(*args[:nargs], **dict(zip(kwnames, args[nargs:])))`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Call(
    _ctx: *mut HPyContext,
    callable: HPy,
    args: *const HPy,
    nargs: usize,
    kwnames: HPy,
) -> HPy {
    let callable = h2py(callable);
    let args = args.cast::<*mut PyObject>();
    let kwnames = h2py(kwnames);
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `kwnames` is a live handle or null.
    let Ok(nkw) = (unsafe { kwnames_len(gil, kwnames, cstr!("HPy_Call")) }) else {
        return HPy::NULL;
    };
    if nargs > isize::MAX as usize {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_SystemError,
                cstr!("HPy_Call: nargs is too large"),
            )
        };
        return HPy::NULL;
    }
    // Call the vectorcall function directly, as the inline PyObject_Vectorcall
    // of CPython's headers does (it is exported only from 3.12); without one,
    // PyObject_VectorcallDict or tp_call with a dict.
    // SAFETY: `callable` is a live object.
    if let Some(func) = unsafe { ffi::vectorcall_func(callable) } {
        let kwnames = if nkw == 0 {
            core::ptr::null_mut()
        } else {
            kwnames
        };
        // SAFETY: `args` holds nargs + len(kwnames) live objects.
        let result = unsafe { func(callable, args, nargs, kwnames) };
        // SAFETY: querying and setting the error indicator.
        if result.is_null() && unsafe { ffi::PyErr_Occurred().is_null() } {
            // SAFETY: setting an exception with a static message.
            unsafe {
                ffi::PyErr_SetString(
                    ffi::PyExc_SystemError,
                    cstr!("HPy_Call: the callable returned NULL without setting an exception"),
                )
            };
        }
        return py2h(result);
    }
    if nkw == 0 {
        // SAFETY: `args` holds `nargs` live objects.
        return py2h(unsafe {
            ffi::PyObject_VectorcallDict(callable, args, nargs, core::ptr::null_mut())
        });
    }
    // SAFETY: as above; kwnames is a tuple of `nkw` names.
    py2h(unsafe { call_with_kwargs_dict(callable, args, nargs, kwnames, nkw) })
}

/// Calls `callable` through tp_call with the keyword arguments as a dict.
unsafe fn call_with_kwargs_dict(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargs: usize,
    kwnames: *mut PyObject,
    nkw: usize,
) -> *mut PyObject {
    // SAFETY: plain C-API call.
    let kwargs = unsafe { ffi::PyDict_New() };
    if kwargs.is_null() {
        return core::ptr::null_mut();
    }
    for i in 0..nkw {
        // SAFETY: `i` < len(kwnames) (so it fits in isize); the value of the
        // i-th keyword is args[nargs + i] (vectorcall convention).
        let ok = unsafe {
            let name = ffi::PyTuple_GetItem(kwnames, i as isize);
            !name.is_null() && ffi::PyDict_SetItem(kwargs, name, *args.add(nargs + i)) == 0
        };
        if !ok {
            // SAFETY: the new reference created above.
            unsafe { ffi::Py_DecRef(kwargs) };
            return core::ptr::null_mut();
        }
    }
    // SAFETY: `args` holds `nargs` live objects.
    let result = unsafe { ffi::PyObject_VectorcallDict(callable, args, nargs, kwargs) };
    // SAFETY: the new reference created above.
    unsafe { ffi::Py_DecRef(kwargs) };
    result
}

/// `HPy_CallMethod`: `getattr(args[0], name)(*args[1:nargs], **kw)` with the
/// keyword arguments as in `HPy_Call`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_CallMethod(
    _ctx: *mut HPyContext,
    name: HPy,
    args: *const HPy,
    nargs: usize,
    kwnames: HPy,
) -> HPy {
    let kwnames = h2py(kwnames);
    // SAFETY: context functions are called with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `kwnames` is a live handle or null.
    if unsafe { kwnames_len(gil, kwnames, cstr!("HPy_CallMethod")) }.is_err() {
        return HPy::NULL;
    }
    if nargs == 0 || nargs > isize::MAX as usize {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                cstr!("HPy_CallMethod: args[0] must be the object whose method is called (nargs >= 1)"),
            )
        };
        return HPy::NULL;
    }
    // SAFETY: `args` holds nargs + len(kwnames) live objects, args[0] the receiver.
    py2h(unsafe { ffi::PyObject_VectorcallMethod(h2py(name), args.cast(), nargs, kwnames) })
}

/// `HPy_CallTupleDict`: `callable(*args, **kw)`, `args` a tuple or null, `kw`
/// a dict or null.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_CallTupleDict(
    _ctx: *mut HPyContext,
    callable: HPy,
    args: HPy,
    kw: HPy,
) -> HPy {
    let (callable, args, kw) = (h2py(callable), h2py(args), h2py(kw));
    // SAFETY: `args` is a live handle (checked non-null first).
    if !args.is_null() && unsafe { !ffi::type_has_flag(args, ffi::Py_TPFLAGS_TUPLE_SUBCLASS) } {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                cstr!("HPy_CallTupleDict requires args to be a tuple or null handle"),
            )
        };
        return HPy::NULL;
    }
    // SAFETY: `kw` is a live handle (checked non-null first).
    if !kw.is_null() && unsafe { !ffi::type_has_flag(kw, ffi::Py_TPFLAGS_DICT_SUBCLASS) } {
        // SAFETY: setting an exception with a static message.
        unsafe {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                cstr!("HPy_CallTupleDict requires kw to be a dict or null handle"),
            )
        };
        return HPy::NULL;
    }
    if !args.is_null() {
        // SAFETY: a tuple and a dict or null, as PyObject_Call wants.
        return py2h(unsafe { ffi::PyObject_Call(callable, args, kw) });
    }
    // No positional arguments: a vectorcall with none, and the dict if any.
    // SAFETY: zero arguments, so the (null) args array is never read.
    py2h(unsafe { ffi::PyObject_VectorcallDict(callable, core::ptr::null(), 0, kw) })
}
