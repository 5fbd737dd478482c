//! Loading a universal or hybrid extension file: `hpy.universal.load`.
//!
//! The file is opened with dlopen; its name says whether it is universal
//! (`NAME.hpy0.so`) or hybrid (`NAME.hpy0-cp311.so`, only for the CPython it
//! was built for). It must export the four symbols of HPy_MODINIT(NAME, def):
//! the HPy version it requires (major and minor), `HPyInitGlobalContext_NAME`
//! which gets the context, and `HPyInit_NAME` which returns the module's
//! HPyModuleDef, from which hpy-core creates the module object.
//!
//! Every failure to load raises `hpy.universal.HPyLoadError`, an ImportError
//! (so that imports fail as usual) and a RuntimeError (what HPy 0.9 raised),
//! with `.name` and `.path` set and a message naming the module and the file.

use core::ffi::{c_char, c_void, CStr};
use core::ptr;
use std::sync::OnceLock;

use hpy_sys::{HPyContext, HPyModuleDef, HPY_ABI_VERSION, HPY_CONTEXT_MINOR_VERSION};
use pyo3_ffi as ffi;

use crate::abitag::{self, FileTag};
use crate::context::{self, Mode};
use crate::library_copies;
use crate::method_call;
use crate::python::{
    nonnull, set_error, str_of, str_ref, type_name, ErrSet, Exc, Gil, GilCell, Obj,
};

/// `hpy.universal.HPyLoadError`, created by PyInit_universal; never freed.
static LOAD_ERROR: GilCell<Obj> = GilCell::new(ptr::null_mut());

/// Creates `hpy.universal.HPyLoadError(ImportError, RuntimeError)` (once);
/// returns a borrowed reference to it.
pub fn create_load_error_class(gil: Gil) -> Result<Obj, ErrSet> {
    let existing = LOAD_ERROR.get(gil);
    if !existing.is_null() {
        return Ok(existing);
    }
    // SAFETY: with the GIL; the exception objects are static, the strings
    // static and NUL-terminated, and `bases` is our own reference, released
    // once used.
    let class = unsafe {
        let bases = nonnull(ffi::PyTuple_Pack(
            2,
            ffi::PyExc_ImportError,
            ffi::PyExc_RuntimeError,
        ))?;
        let class = ffi::PyErr_NewExceptionWithDoc(
            c"hpy.universal.HPyLoadError".as_ptr(),
            c"An HPy extension module could not be loaded: the file is not an HPy universal or \
hybrid extension for this runtime. It is an ImportError (with .name and .path) and, as in \
HPy 0.9, a RuntimeError."
                .as_ptr(),
            bases,
            ptr::null_mut(),
        );
        ffi::Py_DECREF(bases);
        nonnull(class)?
    };
    LOAD_ERROR.set(gil, class);
    Ok(class)
}

/// What is being loaded, for the work and the error messages. Made by
/// `load` only, from its arguments, which outlive it.
struct Target<'a> {
    /// The `name` argument (a str), for `.name`.
    name_obj: Obj,
    /// The same as UTF-8.
    name: &'a str,
    /// The part after the last dot, with '-' as '_': the NAME of the symbols.
    short: String,
    /// The file system path, as bytes.
    path: &'a [u8],
    /// The same, NUL-terminated (CPython's buffer).
    path_c: *const c_char,
    /// The path as text, for messages.
    path_text: String,
}

/// Loads the extension at `path` (a bytes object, from
/// PyUnicode_FSConverter) as the module `name` (a str) with `spec`. Returns a
/// new reference to the module.
///
/// # Safety
/// `name` must be a str, `path` a bytes object and `spec` a live object.
pub unsafe fn load(
    gil: Gil,
    name_obj: Obj,
    path_obj: Obj,
    spec: Obj,
    mode: Mode,
) -> Result<Obj, ErrSet> {
    // SAFETY: `name_obj` is a str, whose UTF-8 buffer CPython keeps as long
    // as `name_obj` lives (longer than this call).
    let name = unsafe { str_ref(gil, name_obj) }?;
    // SAFETY: with the GIL; `path_obj` is a bytes object (made by
    // PyUnicode_FSConverter, so NUL-terminated without embedded NULs) that
    // outlives this call.
    let path_c = nonnull(unsafe { ffi::PyBytes_AsString(path_obj) })?;
    // SAFETY: as above.
    let path = unsafe { CStr::from_ptr(path_c) }.to_bytes();
    let short = name.rsplit('.').next().unwrap_or(name).replace('-', "_");
    let path_text = String::from_utf8_lossy(path).into_owned();
    let target = Target {
        name_obj,
        name,
        short,
        path,
        path_c,
        path_text,
    };

    // `python -m hpy.trace` traces every module that asks for universal mode.
    let mode = if mode == Mode::Universal && crate::trace::trace_all_modules(gil) {
        Mode::Trace
    } else {
        mode
    };
    // SAFETY: with the GIL; `spec` is a live object.
    if unsafe { ffi::PyObject_HasAttrString(spec, c"name".as_ptr()) } == 0 {
        let message = format!(
            "hpy.universal.load: argument 'spec' must be a module spec (an object with a 'name', such \
             as importlib.util.spec_from_file_location('{name}', path) returns), not {}",
            // SAFETY: `spec` is a live object.
            unsafe { type_name(gil, spec) }
        );
        return Err(set_error(gil, Exc::TypeError, &message));
    }
    if target.short.is_empty()
        || !target
            .short
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
    {
        let message = format!(
            "cannot load HPy extension module '{}' from '{}': '{}' is not a valid name for an HPy \
             extension module (ASCII letters, digits and '_')",
            name, target.path_text, target.short
        );
        return Err(load_error(gil, &target, message));
    }
    // SAFETY: `spec` is live.
    unsafe { load_target(gil, &target, spec, mode) }
}

/// The work of `load` once the arguments are checked.
///
/// # Safety
/// `spec` is a live object with a `name`.
unsafe fn load_target(gil: Gil, t: &Target<'_>, spec: Obj, mode: Mode) -> Result<Obj, ErrSet> {
    // Which context, from the file name; files that are not HPy universal or
    // hybrid extensions are not even opened (that would run their code).
    let (tag_major, hybrid) = match abitag::parse(t.path) {
        FileTag::Universal { major } => (major, false),
        FileTag::Hybrid { major, python } => {
            let running = running_python_tag(gil)?;
            if python != running {
                let message = format!(
                    "cannot load HPy extension module '{}' from '{}': it is a hybrid module built for \
                     '{}', but this interpreter is '{}' (rebuild it for this Python, or build it with \
                     --hpy-abi=universal)",
                    t.name, t.path_text, python, running
                );
                return Err(load_error(gil, t, message));
            }
            (major, true)
        }
        FileTag::NotHpy { tag } => {
            if tag.is_empty() {
                if let Some(message) = claimed_version_of_untagged(t) {
                    return Err(load_error(gil, t, message));
                }
            }
            let found = if tag.is_empty() {
                "its file name has no ABI tag".to_string()
            } else {
                format!("its file name has the ABI tag '{tag}', which is not an HPy one")
            };
            // Not knowing the tag only makes the message less precise, so
            // its error is dropped.
            let running = running_python_tag(gil).unwrap_or_else(|_| {
                // SAFETY: with the GIL.
                unsafe { ffi::PyErr_Clear() };
                "cp3XY"
            });
            let message = format!(
                "cannot load HPy extension module '{}' from '{}': {}; expected a universal module \
                 '{}.hpy{}.so' or a hybrid module '{}.hpy{}-{}.so'",
                t.name,
                t.path_text,
                found,
                t.short,
                HPY_ABI_VERSION,
                t.short,
                HPY_ABI_VERSION,
                running
            );
            return Err(load_error(gil, t, message));
        }
    };

    crate::elf_check::check(t.path).map_err(|why| {
        load_error(
            gil,
            t,
            format!(
                "cannot load HPy extension module '{}' from '{}': {why}",
                t.name, t.path_text
            ),
        )
    })?;
    // dlopen searches its library path for a name without a '/': a relative
    // path means relative to the current directory, as everywhere in Python.
    let relative: Option<std::ffi::CString> = if t.path.contains(&b'/') {
        None
    } else {
        let mut dotted = b"./".to_vec();
        dotted.extend_from_slice(t.path);
        // `t.path` comes from a C string, so it has no NUL byte.
        std::ffi::CString::new(dotted).ok()
    };
    let path_c = relative.as_ref().map_or(t.path_c, |p| p.as_ptr());
    // SAFETY: `path_c` is a NUL-terminated path (t.path_c, or `relative`,
    // alive until the end of this function); dlopen may run the library's
    // initialisers, which is what loading an extension means.
    let Some(lib) = (unsafe { Library::open(path_c) }) else {
        let message = format!(
            "cannot load HPy extension module '{}' from '{}': not a loadable shared library: {}",
            t.name,
            t.path_text,
            // SAFETY: right after the failed dlopen, on the same thread.
            unsafe { dlerror_text() }
        );
        return Err(load_error(gil, t, message));
    };

    // A library already initialised with another context (the same file
    // loaded in another mode) cannot be shared: load a private copy.
    let mut ctx = context::for_mode(mode, hybrid);
    if mode == Mode::Trace {
        // one trace context per module name, wrapping the universal or hybrid one
        ctx = crate::trace::context_for(gil, ctx, hybrid, t.name);
    }
    let lib = match library_copies::context_of(lib.0) {
        Some(other) if other != ctx => {
            drop(lib);
            let copy = library_copies::private_copy(t.path, ctx).map_err(|err| {
                let message = format!(
                    "cannot load HPy extension module '{}' from '{}' in {} mode: it is already loaded \
                     in another mode, and a private copy of the file could not be made: {}",
                    t.name,
                    t.path_text,
                    mode.name(),
                    err
                );
                load_error(gil, t, message)
            })?;
            // SAFETY: `copy` is a NUL-terminated path to a copy of the file.
            let Some(lib) = (unsafe { Library::open(copy.as_ptr()) }) else {
                let message = format!(
                    "cannot load HPy extension module '{}' from '{}': its private copy for {} mode is \
                     not loadable: {}",
                    t.name,
                    t.path_text,
                    mode.name(),
                    // SAFETY: right after the failed dlopen, on the same thread.
                    unsafe { dlerror_text() }
                );
                return Err(load_error(gil, t, message));
            };
            lib
        }
        _ => lib,
    };

    // SAFETY: (rest of the function) with the GIL. The four symbols have the
    // types HPy_MODINIT gives them: `uint32_t f(void)` for the versions,
    // `void f(HPyContext *)` and `HPyModuleDef *f(void)`; the contexts live
    // forever; `def` is the extension's static data, and the library is
    // never unloaded once its module code has run.
    unsafe {
        type VersionFn = unsafe extern "C" fn() -> u32;
        let major_fn = lib.symbol(gil, t, "get_required_hpy_major_version_")?;
        let minor_fn = lib.symbol(gil, t, "get_required_hpy_minor_version_")?;
        let major = core::mem::transmute::<*mut c_void, VersionFn>(major_fn)();
        let minor = core::mem::transmute::<*mut c_void, VersionFn>(minor_fn)();
        if major != HPY_ABI_VERSION || minor > HPY_CONTEXT_MINOR_VERSION {
            let message = format!(
                "HPy extension module '{}' requires unsupported version of the HPy runtime. Requested \
                 version: {}.{}. Current HPy version: {}.{}.",
                t.short, major, minor, HPY_ABI_VERSION, HPY_CONTEXT_MINOR_VERSION
            );
            return Err(load_error(gil, t, message));
        }
        if tag_major != major {
            // HPy 0.9's text, word for word (tests compare it).
            let message = format!(
                "HPy extension module '{}' at path '{}': mismatch between the HPy ABI tag encoded in \
                 the filename and the major version requested by the HPy extension itself. Major \
                 version tag parsed from filename: {}. Requested version: {}.{}.",
                t.short, t.path_text, tag_major, major, minor
            );
            return Err(load_error(gil, t, message));
        }
        let init_ctx_fn = lib.symbol(gil, t, "HPyInitGlobalContext_")?;
        let init_fn = lib.symbol(gil, t, "HPyInit_")?;

        // From here on the module's code runs and keeps pointers into the
        // library: it stays loaded for the life of the process.
        let handle = lib.0;
        lib.keep();
        core::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut HPyContext)>(init_ctx_fn)(
            ctx,
        );
        library_copies::record(handle, ctx, init_ctx_fn);
        let def = core::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> *mut HPyModuleDef>(
            init_fn,
        )();
        if def.is_null() {
            if !ffi::PyErr_Occurred().is_null() {
                return Err(ErrSet::from_c_api());
            }
            let message = format!(
                "cannot load HPy extension module '{}' from '{}': HPyInit_{}() returned NULL",
                t.name, t.path_text, t.short
            );
            return Err(load_error(gil, t, message));
        }
        crate::module::create(
            gil,
            ctx,
            def,
            t.name_obj,
            spec,
            hybrid,
            method_call::for_mode(mode),
        )
    }
}

/// A dlopen handle, closed on drop unless kept.
struct Library(*mut c_void);

/// A file whose name has no ABI tag at all (`NAME.so`) may still be an HPy
/// module that was renamed: as HPy 0.9 does, open it and, when it exports
/// the version getters of `NAME`, say which version it claims. None when the
/// file is not a sound ELF file, does not load, or is not an HPy module
/// (files with another ABI tag are never opened).
fn claimed_version_of_untagged(t: &Target<'_>) -> Option<String> {
    crate::elf_check::check(t.path).ok()?;
    // relative to the current directory, not dlopen's library path
    let mut path = if t.path.contains(&b'/') {
        Vec::new()
    } else {
        b"./".to_vec()
    };
    path.extend_from_slice(t.path);
    let path = std::ffi::CString::new(path).ok()?;
    // SAFETY: `path` is NUL-terminated; loading runs the library's
    // initialisers, as CPython's importer does for any extension file.
    let lib = unsafe { Library::open(path.as_ptr()) }?;
    let getter = |prefix: &str| -> Option<u32> {
        let symbol = format!("{prefix}{}\0", t.short);
        // SAFETY: `lib.0` is an open handle and `symbol` is NUL-terminated.
        let address = unsafe { libc::dlsym(lib.0, symbol.as_ptr().cast()) };
        if address.is_null() {
            return None;
        }
        // SAFETY: HPy_MODINIT defines these symbols as `uint32_t f(void)`.
        Some(unsafe {
            core::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> u32>(address)()
        })
    };
    let major = getter("get_required_hpy_major_version_")?;
    let minor = getter("get_required_hpy_minor_version_")?;
    // HPy 0.9's text, word for word (tests compare it).
    Some(format!(
        "HPy extension module '{}' at path '{}': could not find HPy ABI tag encoded in the \
         filename. The extension claims to be compiled with HPy ABI version: {}.{}.",
        t.short, t.path_text, major, minor
    ))
}

impl Library {
    /// dlopen(path, RTLD_NOW | RTLD_LOCAL); None on failure (see dlerror).
    ///
    /// # Safety
    /// `path` is NUL-terminated; the library's initialisers run.
    unsafe fn open(path: *const c_char) -> Option<Library> {
        // SAFETY: as documented; dlerror only touches thread-local state.
        let handle = unsafe {
            libc::dlerror();
            libc::dlopen(path, libc::RTLD_NOW | libc::RTLD_LOCAL)
        };
        if handle.is_null() {
            None
        } else {
            Some(Library(handle))
        }
    }

    /// The address of the symbol `PREFIX` + NAME, or HPyLoadError.
    fn symbol(&self, gil: Gil, t: &Target<'_>, prefix: &str) -> Result<*mut c_void, ErrSet> {
        let symbol = format!("{prefix}{}\0", t.short);
        // SAFETY: `self.0` is an open handle; `symbol` is NUL-terminated;
        // dlerror only touches thread-local state.
        let address = unsafe {
            libc::dlerror();
            libc::dlsym(self.0, symbol.as_ptr().cast())
        };
        if !address.is_null() {
            return Ok(address);
        }
        let symbol = symbol.trim_end_matches('\0');
        let message = format!(
            "cannot load HPy extension module '{}' from '{}': the shared library does not export the \
             symbol '{}', so it is not an HPy universal or hybrid module named '{}' (its C source must \
             use HPy_MODINIT({}, ...)): {}",
            t.name,
            t.path_text,
            symbol,
            t.short,
            t.short,
            // SAFETY: right after the failed dlsym, on the same thread.
            unsafe { dlerror_text() }
        );
        Err(load_error(gil, t, message))
    }

    /// Leaves the library loaded for good.
    fn keep(self) {
        core::mem::forget(self);
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        // SAFETY: the handle is open, and nothing of the library has run yet
        // but its initialisers and version getters.
        unsafe {
            libc::dlclose(self.0);
        }
    }
}

/// The text of the last dlopen/dlsym error of this thread.
///
/// # Safety
/// No other dl* call may come between the failing call and this one.
unsafe fn dlerror_text() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the
    // next dl* call on this thread.
    unsafe {
        let error = libc::dlerror();
        if error.is_null() {
            "no error message from the system".to_string()
        } else {
            CStr::from_ptr(error).to_string_lossy().into_owned()
        }
    }
}

/// The Python tag that hybrid extensions built for this interpreter carry
/// (`cp311`), from importlib's extension suffixes as `hpy.devel.abitag`
/// computes it.
fn running_python_tag(gil: Gil) -> Result<&'static str, ErrSet> {
    static TAG: OnceLock<String> = OnceLock::new();
    if let Some(tag) = TAG.get() {
        return Ok(tag.as_str());
    }
    let suffix = first_extension_suffix(gil)?;
    let Some(tag) = abitag::python_tag_of_ext_suffix(&suffix) else {
        let message = format!("hpy.universal: unexpected extension suffix '{suffix}'");
        return Err(set_error(gil, Exc::SystemError, &message));
    };
    Ok(TAG.get_or_init(|| tag).as_str())
}

/// `importlib.machinery.EXTENSION_SUFFIXES[0]`.
fn first_extension_suffix(gil: Gil) -> Result<String, ErrSet> {
    // SAFETY: with the GIL; the names are static C strings; every new
    // reference is released once used.
    unsafe {
        let machinery = nonnull(ffi::PyImport_ImportModule(c"importlib.machinery".as_ptr()))?;
        let suffixes = ffi::PyObject_GetAttrString(machinery, c"EXTENSION_SUFFIXES".as_ptr());
        ffi::Py_DECREF(machinery);
        let suffixes = nonnull(suffixes)?;
        let first = ffi::PySequence_GetItem(suffixes, 0);
        ffi::Py_DECREF(suffixes);
        let first = nonnull(first)?;
        let text = str_of(gil, first);
        ffi::Py_DECREF(first);
        text
    }
}

/// Raises HPyLoadError(message, name=..., path=...).
fn load_error(gil: Gil, t: &Target<'_>, message: String) -> ErrSet {
    // HPyLoadError, a subclass of ImportError, is created by
    // PyInit_universal before any load.
    let class = LOAD_ERROR.get(gil);
    // SAFETY: with the GIL; `t.name_obj` is the live str that `load` got
    // (a Target lives within that call); every new reference is released
    // (nothing is stolen).
    unsafe {
        let class = if class.is_null() {
            ffi::PyExc_ImportError
        } else {
            class
        };
        let path = ffi::PyUnicode_DecodeFSDefaultAndSize(
            t.path.as_ptr().cast(),
            t.path.len() as ffi::Py_ssize_t,
        );
        if path.is_null() {
            return ErrSet::from_c_api();
        }
        let text = ffi::PyUnicode_FromStringAndSize(
            message.as_ptr().cast(),
            message.len() as ffi::Py_ssize_t,
        );
        if text.is_null() {
            ffi::Py_DECREF(path);
            return ErrSet::from_c_api();
        }
        ffi::PyErr_SetImportErrorSubclass(class, text, t.name_obj, path);
        ffi::Py_DECREF(text);
        ffi::Py_DECREF(path);
    }
    ErrSet::from_c_api()
}
