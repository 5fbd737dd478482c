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

use core::ffi::CStr;
use core::ptr;

use pyo3_ffi as ffi;

use crate::context::Mode;
use crate::loader;
use crate::python::{nonneg, nonnull, or_null, set_error, str_of, ErrSet, Exc, Gil, KwName, Obj};

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
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
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
    let arguments = Arguments {
        name,
        ext_name,
        package,
        file,
        loader: py_loader,
        spec,
        env,
    };
    // SAFETY: the arguments are live (borrowed from the call) and `name` a
    // str.
    or_null(unsafe { load_with(gil, &arguments) })
}

/// The arguments of `_load_bootstrap` (borrowed references).
struct Arguments {
    name: Obj,
    ext_name: Obj,
    package: Obj,
    file: Obj,
    loader: Obj,
    spec: Obj,
    env: Obj,
}

/// The work of `_load_bootstrap`: returns the module (a new reference).
///
/// # Safety
/// The arguments are live objects and `name` is a str.
unsafe fn load_with(gil: Gil, a: &Arguments) -> Result<Obj, ErrSet> {
    // SAFETY: `a.name` is a live str.
    let module_name = unsafe { str_of(gil, a.name) }?;
    // SAFETY: `a.env` is a live object.
    let mode = unsafe { mode_from_environ(gil, &module_name, a.env) }?;
    // SAFETY: as above.
    if let Some(value) = unsafe { mapping_get(gil, a.env, c"HPY_LOG") }? {
        // SAFETY: with the GIL; our own reference.
        unsafe { ffi::Py_DECREF(value) };
        let with = match mode {
            Mode::Universal => "",
            Mode::Debug => " with a debug context",
            Mode::Trace => " with a trace context",
        };
        write_stdout(
            gil,
            &format!("Loading '{module_name}' in HPy universal mode{with}\n"),
        )?;
    }

    // PyUnicode_FSConverter type-checks `file` and stores a new bytes
    // reference in `path_bytes` on success.
    let mut path_bytes: Obj = ptr::null_mut();
    // SAFETY: with the GIL; `a.file` is live; the out-pointer is ours.
    if unsafe { ffi::PyUnicode_FSConverter(a.file, ptr::addr_of_mut!(path_bytes).cast()) } == 0 {
        return Err(ErrSet::from_c_api());
    }
    // SAFETY: `a.name` is a str, `path_bytes` the bytes object just made,
    // `a.spec` live; our reference to `path_bytes` is released after.
    let module = unsafe {
        let module = loader::load(gil, a.name, path_bytes, a.spec, mode);
        ffi::Py_DECREF(path_bytes);
        module?
    };
    let attributes: [(Obj, &CStr, Obj); 6] = [
        (module, c"__file__", a.file),
        (module, c"__loader__", a.loader),
        (module, c"__name__", a.ext_name),
        (module, c"__package__", a.package),
        (a.spec, c"origin", a.file),
        (module, c"__spec__", a.spec),
    ];
    for (target, attribute, value) in attributes {
        // SAFETY: with the GIL; all live objects; the names are static C
        // strings; `module` is our new reference, released on failure.
        unsafe {
            if let Err(err) = nonneg(ffi::PyObject_SetAttrString(
                target,
                attribute.as_ptr(),
                value,
            )) {
                ffi::Py_DECREF(module);
                return Err(err);
            }
        }
    }
    Ok(module)
}

/// The mode that `HPY` in `env` asks for the module `module_name`; None
/// ValueError if `HPY` is not valid.
///
/// # Safety
/// `env` is a live object.
unsafe fn mode_from_environ(gil: Gil, module_name: &str, env: Obj) -> Result<Mode, ErrSet> {
    // SAFETY: `env` is a live object.
    let Some(value) = (unsafe { mapping_get(gil, env, c"HPY") })? else {
        return Ok(Mode::Universal);
    };
    // SAFETY: with the GIL; `value` is our own reference, released once read.
    let text = unsafe {
        let text = str_of(gil, value);
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
        // An empty value (`HPY= python ...`) asks for nothing: universal.
        "" | "universal" => Some(Mode::Universal),
        "debug" => Some(Mode::Debug),
        "trace" => Some(Mode::Trace),
        _ => None,
    });
    mode.ok_or_else(|| {
        set_error(
            gil,
            Exc::ValueError,
            &format!(
                "invalid HPy mode in the HPY environment variable: '{text}' (expected universal, \
                 debug or trace, or MODULE:MODE,... per module)"
            ),
        )
    })
}

/// `mapping[key]`: Some(new reference), or None if the key is missing.
///
/// # Safety
/// `mapping` is a live object.
unsafe fn mapping_get(_gil: Gil, mapping: Obj, key: &CStr) -> Result<Option<Obj>, ErrSet> {
    // SAFETY: with the GIL; `mapping` is live and `key` NUL-terminated.
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
    Err(ErrSet::from_c_api())
}

/// Writes `text` to `sys.stdout` (nothing if there is none).
fn write_stdout(_gil: Gil, text: &str) -> Result<(), ErrSet> {
    // SAFETY: with the GIL; `stdout` is borrowed from sys, every new
    // reference is released, the text is passed with its length.
    unsafe {
        let stdout = ffi::PySys_GetObject(c"stdout".as_ptr());
        if stdout.is_null() || stdout == ffi::Py_None() {
            return Ok(());
        }
        let line = nonnull(ffi::PyUnicode_FromStringAndSize(
            text.as_ptr().cast(),
            text.len() as ffi::Py_ssize_t,
        ))?;
        let result = ffi::PyObject_CallMethod(stdout, c"write".as_ptr(), c"O".as_ptr(), line);
        ffi::Py_DECREF(line);
        ffi::Py_DECREF(nonnull(result)?);
    }
    Ok(())
}
