//! `hpy.universal._load_bootstrap`: what the loader stub of an HPy 0.9
//! universal extension (`NAME.py` beside `NAME.hpy0.so`) calls. Unlike
//! `load`, it honours the environment:
//!
//! - `HPY` chooses the mode: `HPY=debug` (or `trace`, `universal`) for every
//!   module, or `HPY=modA:debug,modB:trace` per module (others: universal);
//! - with `HPY_LOG` set, it prints which mode each module is loaded in.
//!
//! It then sets the module's `__file__`, `__loader__`, `__name__`,
//! `__package__` and `__spec__` (and the spec's `origin`).

#![deny(unsafe_op_in_unsafe_fn)]

use core::ffi::CStr;
use core::ptr;

use pyo3_ffi as ffi;

use crate::context::Mode;
use crate::loader;
use crate::python::{set_error, str_of, KwName, Obj};

/// `_load_bootstrap(name, ext_name, package, file, loader, spec, env)`.
///
/// # Safety
/// Called by CPython with the GIL held (METH_VARARGS | METH_KEYWORDS).
pub unsafe extern "C" fn load_bootstrap(_module: Obj, args: Obj, kwargs: Obj) -> Obj {
    static KWLIST: [KwName; 8] = [
        KwName(c"name".as_ptr()),
        KwName(c"ext_name".as_ptr()),
        KwName(c"package".as_ptr()),
        KwName(c"file".as_ptr()),
        KwName(c"loader".as_ptr()),
        KwName(c"spec".as_ptr()),
        KwName(c"env".as_ptr()),
        KwName(ptr::null()),
    ];
    let mut name: Obj = ptr::null_mut();
    let mut ext_name: Obj = ptr::null_mut();
    let mut package: Obj = ptr::null_mut();
    let mut file: Obj = ptr::null_mut();
    let mut py_loader: Obj = ptr::null_mut();
    let mut spec: Obj = ptr::null_mut();
    let mut env: Obj = ptr::null_mut();
    // SAFETY: with the GIL; the format matches the seven out-pointers ("U"
    // and "O" store borrowed references); KWLIST is NULL-terminated.
    let ok = unsafe {
        ffi::PyArg_ParseTupleAndKeywords(
            args,
            kwargs,
            c"UOOOOOO:_load_bootstrap".as_ptr(),
            KWLIST.as_ptr() as _,
            &mut name as *mut Obj,
            &mut ext_name as *mut Obj,
            &mut package as *mut Obj,
            &mut file as *mut Obj,
            &mut py_loader as *mut Obj,
            &mut spec as *mut Obj,
            &mut env as *mut Obj,
        )
    };
    if ok == 0 {
        return ptr::null_mut();
    }
    // SAFETY: (rest of the function) with the GIL; the objects are the live
    // arguments (borrowed) and the new references made here, each released.
    unsafe {
        let Some(module_name) = str_of(name) else {
            return ptr::null_mut();
        };
        let Some(mode) = mode_from_environ(&module_name, env) else {
            return ptr::null_mut();
        };
        match mapping_get(env, c"HPY_LOG") {
            Err(()) => return ptr::null_mut(),
            Ok(None) => {}
            Ok(Some(value)) => {
                ffi::Py_DECREF(value);
                let with = match mode {
                    Mode::Universal => "",
                    Mode::Debug => " with a debug context",
                    Mode::Trace => " with a trace context",
                };
                let line = format!("Loading '{module_name}' in HPy universal mode{with}\n");
                if write_stdout(&line).is_err() {
                    return ptr::null_mut();
                }
            }
        }

        // PyUnicode_FSConverter type-checks `file` and stores a new bytes
        // reference in `path_bytes` on success.
        let mut path_bytes: Obj = ptr::null_mut();
        if ffi::PyUnicode_FSConverter(file, ptr::addr_of_mut!(path_bytes).cast()) == 0 {
            return ptr::null_mut();
        }
        let module = loader::load(name, path_bytes, spec, mode);
        ffi::Py_DECREF(path_bytes);
        if module.is_null() {
            return ptr::null_mut();
        }
        let attributes: [(Obj, &CStr, Obj); 6] = [
            (module, c"__file__", file),
            (module, c"__loader__", py_loader),
            (module, c"__name__", ext_name),
            (module, c"__package__", package),
            (spec, c"origin", file),
            (module, c"__spec__", spec),
        ];
        for (target, attribute, value) in attributes {
            if ffi::PyObject_SetAttrString(target, attribute.as_ptr(), value) < 0 {
                ffi::Py_DECREF(module);
                return ptr::null_mut();
            }
        }
        module
    }
}

/// The mode that `HPY` in `env` asks for the module `module_name`; None
/// with an exception set if `HPY` is not valid.
unsafe fn mode_from_environ(module_name: &str, env: Obj) -> Option<Mode> {
    // SAFETY: with the GIL; `env` is a live object and `value` our own
    // reference, released once read.
    let text = unsafe {
        let value = match mapping_get(env, c"HPY") {
            Err(()) => return None,
            Ok(None) => return Some(Mode::Universal),
            Ok(Some(value)) => value,
        };
        let text = str_of(value);
        ffi::Py_DECREF(value);
        text?
    };
    let short_name = module_name.rsplit('.').next().unwrap_or(module_name);
    let requested = if text.contains(':') {
        // Per module: "modA:debug,modB:trace"; modules not named are universal.
        let mut requested = Some("universal");
        for item in text.split(',') {
            if let Some((name, mode)) = item.split_once(':') {
                let name = name.trim();
                if name == module_name || name == short_name {
                    requested = Some(mode.trim());
                    break;
                }
            } else {
                requested = None;
                break;
            }
        }
        requested
    } else {
        Some(text.trim())
    };
    let mode = requested.and_then(|mode| match mode.to_ascii_lowercase().as_str() {
        "universal" => Some(Mode::Universal),
        "debug" => Some(Mode::Debug),
        "trace" => Some(Mode::Trace),
        _ => None,
    });
    if mode.is_none() {
        // SAFETY: with the GIL.
        unsafe {
            set_error(
                ffi::PyExc_ValueError,
                &format!(
                    "invalid HPy mode in the HPY environment variable: '{text}' (expected universal, \
                     debug or trace, or MODULE:MODE,... per module)"
                ),
            );
        }
    }
    mode
}

/// `mapping[key]`: Ok(Some(new reference)), Ok(None) if the key is missing,
/// Err with an exception set on any other error.
unsafe fn mapping_get(mapping: Obj, key: &CStr) -> Result<Option<Obj>, ()> {
    // SAFETY: with the GIL; `key` is NUL-terminated.
    unsafe {
        let value = ffi::PyMapping_GetItemString(mapping, key.as_ptr());
        if !value.is_null() {
            return Ok(Some(value));
        }
        if ffi::PyErr_ExceptionMatches(ffi::PyExc_KeyError) != 0 {
            ffi::PyErr_Clear();
            return Ok(None);
        }
    }
    Err(())
}

/// Writes `text` to `sys.stdout` (nothing if there is none).
unsafe fn write_stdout(text: &str) -> Result<(), ()> {
    // SAFETY: with the GIL; `stdout` is borrowed from sys, every new
    // reference is released, the text is passed with its length.
    unsafe {
        let stdout = ffi::PySys_GetObject(c"stdout".as_ptr());
        if stdout.is_null() || stdout == ffi::Py_None() {
            return Ok(());
        }
        let line =
            ffi::PyUnicode_FromStringAndSize(text.as_ptr().cast(), text.len() as ffi::Py_ssize_t);
        if line.is_null() {
            return Err(());
        }
        let result = ffi::PyObject_CallMethod(stdout, c"write".as_ptr(), c"O".as_ptr(), line);
        ffi::Py_DECREF(line);
        if result.is_null() {
            return Err(());
        }
        ffi::Py_DECREF(result);
    }
    Ok(())
}
