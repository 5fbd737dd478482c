//! `hpy.universal`: the HPy runtime for CPython, the module that loads
//! universal (`NAME.hpy0.so`) and hybrid (`NAME.hpy0-cp3XY.so`) extensions.
//!
//! Python API (as HPy 0.9's):
//! - `load(name, path, spec, debug=False, mode=-1)`: loads the extension file
//!   `path` as the module `name` with the import spec `spec` and returns the
//!   module (not put into `sys.modules`). `mode` is one of `MODE_UNIVERSAL`,
//!   `MODE_DEBUG`, `MODE_TRACE`; -1 means "universal, or debug if `debug`".
//! - `_load_bootstrap(name, ext_name, package, file, loader, spec, env)`: what
//!   HPy 0.9 loader stubs call; honours `HPY` and `HPY_LOG` in `env`.
//! - `get_version()`: `(version, git_revision)`.
//! - `HPyLoadError(ImportError, RuntimeError)`: raised when a file cannot be
//!   loaded as an HPy extension.
//!
//! Modules, each importing only modules above it (ARCHITECTURE.md):
//! `python` (small CPython helpers), `handles` (handle <-> object pointer),
//! `abitag` (the ABI tag of a file name); `api` (the hand-written context
//! functions: `api::inline`, and the trampoline dispatcher in
//! `api::trampoline`); `autogen_context` (generated: the context table);
//! `context` (the contexts handed to extensions, and `Mode`); `method_call`
//! (the direct call path of module functions, with its thunk pool in
//! `method_call::thunks`); `module` (module creation, through hpy-core);
//! `loader` (loading files); `bootstrap` (`_load_bootstrap`); this file (the
//! module `hpy.universal`).

mod abitag;
mod api;
mod autogen_context;
mod bootstrap;
mod context;
mod handles;
mod loader;
mod method_call;
mod module;
mod python;

use core::ffi::{c_int, c_long};
use core::ptr::{self, addr_of_mut};

use pyo3_ffi as ffi;

use crate::context::Mode;
use crate::python::{set_error, KwName, Obj};

const VERSION: &core::ffi::CStr =
    match core::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes())
    {
        Ok(version) => version,
        Err(_) => c"unknown",
    };
const GIT_REVISION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
    concat!(env!("HPY_RS_GIT_REVISION"), "\0").as_bytes(),
) {
    Ok(revision) => revision,
    Err(_) => c"unknown",
};

/// `load(name, path, spec, debug=False, mode=-1)`.
#[deny(unsafe_op_in_unsafe_fn)]
unsafe extern "C" fn load(_module: Obj, args: Obj, kwargs: Obj) -> Obj {
    static KWLIST: [KwName; 6] = [
        KwName(c"name".as_ptr()),
        KwName(c"path".as_ptr()),
        KwName(c"spec".as_ptr()),
        KwName(c"debug".as_ptr()),
        KwName(c"mode".as_ptr()),
        KwName(ptr::null()),
    ];
    let mut name: Obj = ptr::null_mut();
    let mut path: Obj = ptr::null_mut();
    let mut spec: Obj = ptr::null_mut();
    let mut debug: c_int = 0;
    let mut mode: c_int = -1;
    // SAFETY: with the GIL; the format matches the out-pointers: "U" and "O"
    // store borrowed references, "O&" with PyUnicode_FSConverter a new bytes
    // reference (str, bytes or os.PathLike accepted), "p" and "i" C ints;
    // KWLIST is NULL-terminated.
    let ok = unsafe {
        ffi::PyArg_ParseTupleAndKeywords(
            args,
            kwargs,
            c"UO&O|pi:load".as_ptr(),
            KWLIST.as_ptr() as _,
            &mut name as *mut Obj,
            ffi::PyUnicode_FSConverter
                as unsafe extern "C" fn(Obj, *mut core::ffi::c_void) -> c_int,
            &mut path as *mut Obj,
            &mut spec as *mut Obj,
            &mut debug as *mut c_int,
            &mut mode as *mut c_int,
        )
    };
    if ok == 0 {
        return ptr::null_mut();
    }
    // As in HPy 0.9, a positive `mode` overrides `debug`.
    let mode = if mode > 0 {
        Mode::from_int(mode)
    } else if mode == 0 || mode == -1 {
        Some(if debug != 0 {
            Mode::Debug
        } else {
            Mode::Universal
        })
    } else {
        None
    };
    // SAFETY: with the GIL; `name` is a str, `path` the bytes object made by
    // PyUnicode_FSConverter (our reference, released here), `spec` live.
    unsafe {
        let result = match mode {
            Some(mode) => loader::load(name, path, spec, mode),
            None => set_error(
                ffi::PyExc_ValueError,
                "hpy.universal.load: invalid mode (expected MODE_UNIVERSAL, MODE_DEBUG or MODE_TRACE)",
            ),
        };
        ffi::Py_DECREF(path);
        result
    }
}

/// `get_version()`: `(version, git_revision)`.
#[deny(unsafe_op_in_unsafe_fn)]
unsafe extern "C" fn get_version(_module: Obj, _noargs: Obj) -> Obj {
    // SAFETY: with the GIL; the format matches the two C strings.
    unsafe { ffi::Py_BuildValue(c"(ss)".as_ptr(), VERSION.as_ptr(), GIT_REVISION.as_ptr()) }
}

static mut METHODS: [ffi::PyMethodDef; 4] = [
    ffi::PyMethodDef {
        ml_name: c"load".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: load,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: c"load(name, path, spec, debug=False, mode=-1)\n--\n\n\
Load the HPy universal or hybrid extension file 'path' (NAME.hpy0.so or \
NAME.hpy0-cp3XY.so) as the module 'name' with the import spec 'spec' and \
return the module; it is not put into sys.modules. 'mode' is MODE_UNIVERSAL, \
MODE_DEBUG or MODE_TRACE (-1: MODE_DEBUG if 'debug' is true, else \
MODE_UNIVERSAL). Raises HPyLoadError if the file cannot be loaded."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"_load_bootstrap".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: bootstrap::load_bootstrap,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: c"_load_bootstrap(name, ext_name, package, file, loader, spec, env)\n--\n\n\
For loader stubs: load 'file' in the mode that the HPY variable of 'env' asks \
for (printing it if HPY_LOG is set) and set the module's __file__, __loader__, \
__name__, __package__ and __spec__."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"get_version".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: get_version,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc:
            c"get_version()\n--\n\nReturn the tuple (version, git_revision) of this HPy runtime."
                .as_ptr(),
    },
    ffi::PyMethodDef::zeroed(),
];

static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"hpy.universal".as_ptr(),
    m_doc: c"The HPy runtime for CPython (hpy-rs): loads HPy universal and hybrid extensions."
        .as_ptr(),
    m_size: -1,
    m_methods: ptr::null_mut(),
    m_slots: ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

/// The module's init function: builds the contexts and the module.
///
/// # Safety
/// Called by CPython's import machinery, with the GIL held.
#[no_mangle]
#[deny(unsafe_op_in_unsafe_fn)]
pub unsafe extern "C" fn PyInit_universal() -> Obj {
    // SAFETY: with the GIL (the import machinery holds it); MODULE_DEF and
    // METHODS are static and only touched here; `module` is our new
    // reference, released on failure; SetAttr does not steal `load_error`,
    // which the loader keeps for the life of the process.
    unsafe {
        context::init();
        let load_error = loader::create_load_error_class();
        if load_error.is_null() {
            return ptr::null_mut();
        }
        let def = addr_of_mut!(MODULE_DEF);
        (*def).m_methods = addr_of_mut!(METHODS).cast();
        let module = ffi::PyModule_Create(def);
        if module.is_null() {
            return ptr::null_mut();
        }
        let constants: [(&core::ffi::CStr, c_long); 3] = [
            (c"MODE_UNIVERSAL", Mode::Universal as c_long),
            (c"MODE_DEBUG", Mode::Debug as c_long),
            (c"MODE_TRACE", Mode::Trace as c_long),
        ];
        for (name, value) in constants {
            if ffi::PyModule_AddIntConstant(module, name.as_ptr(), value) < 0 {
                ffi::Py_DECREF(module);
                return ptr::null_mut();
            }
        }
        if ffi::PyObject_SetAttrString(module, c"HPyLoadError".as_ptr(), load_error) < 0 {
            ffi::Py_DECREF(module);
            return ptr::null_mut();
        }
        module
    }
}
