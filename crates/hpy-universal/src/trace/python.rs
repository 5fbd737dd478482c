//! `hpy.universal._trace`: the Python side of trace mode (as HPy 0.9's).
//!
//! - `get_call_counts()`, `get_durations()`: dicts keyed by context function
//!   name (`'ctx_Add'` ...), every function present, the figures of all the
//!   modules loaded in trace mode added up; durations in nanoseconds.
//! - `get_frequency()`: the clock's resolution in Hz (ticks per second).
//! - `_clock()`: which clock, 'tsc' or 'monotonic' (see clock.rs).
//! - `set_trace_functions(on_enter=None, on_exit=None)`: installs the hooks
//!   given (None removes one; one not given stays as it is), called with the
//!   function's name around each call.
//! - `_get_module_figures()`: `[(module_name, counts, durations), ...]`, one
//!   item per trace context (per module load), oldest first.
//! - `_trace_all_modules(flag)`: while true, a module loaded in universal
//!   mode (by `load` or a stub) is loaded in trace mode instead; returns the
//!   previous value (`python -m hpy.trace` sets it).

use core::ffi::c_int;
use core::ptr;

use pyo3_ffi as ffi;

use crate::python::{nonneg, nonnull, or_null, set_error, ErrSet, Exc, Gil, GilCell, KwName, Obj};
use crate::trace::autogen_trace_names::NAMES;
use crate::trace::call::{set_hooks, TraceState};
use crate::trace::clock;
use crate::trace::registry::for_each_state;

/// Set by `_trace_all_modules`.
static TRACE_ALL: GilCell<bool> = GilCell::new(false);

/// Whether modules asked for in universal mode are to be traced.
pub fn trace_all_modules(gil: Gil) -> bool {
    TRACE_ALL.get(gil)
}

/// Which counters of a state.
#[derive(Clone, Copy)]
enum Figure {
    Counts,
    Durations,
}

/// A new dict {name: figure} of the states `states` added up.
fn figures_dict(_gil: Gil, states: &[&TraceState], which: Figure) -> Result<Obj, ErrSet> {
    // SAFETY: with the GIL; every new reference is released or returned.
    unsafe {
        let dict = nonnull(ffi::PyDict_New())?;
        let to_ns = clock::ToNs::new();
        for (i, name) in NAMES.iter().enumerate() {
            let total = states
                .iter()
                .map(|s| {
                    let counters = match which {
                        Figure::Counts => &s.counts,
                        Figure::Durations => &s.durations,
                    };
                    counters
                        .get(i)
                        .map_or(0, |c| c.load(core::sync::atomic::Ordering::Relaxed))
                })
                .fold(0u64, u64::wrapping_add);
            let total = match which {
                Figure::Counts => total,
                Figure::Durations => to_ns.convert(total),
            };
            let value = ffi::PyLong_FromUnsignedLongLong(total);
            if value.is_null() {
                ffi::Py_DECREF(dict);
                return Err(ErrSet::from_c_api());
            }
            let status = ffi::PyDict_SetItemString(dict, name.as_ptr(), value);
            ffi::Py_DECREF(value);
            if status < 0 {
                ffi::Py_DECREF(dict);
                return Err(ErrSet::from_c_api());
            }
        }
        Ok(dict)
    }
}

fn all_states(gil: Gil) -> Vec<&'static TraceState> {
    let mut states = Vec::new();
    for_each_state(gil, |s| states.push(s));
    states
}

unsafe extern "C" fn get_call_counts(_module: Obj, _noargs: Obj) -> Obj {
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
    or_null(figures_dict(gil, &all_states(gil), Figure::Counts))
}

unsafe extern "C" fn get_durations(_module: Obj, _noargs: Obj) -> Obj {
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
    or_null(figures_dict(gil, &all_states(gil), Figure::Durations))
}

unsafe extern "C" fn get_frequency(_module: Obj, _noargs: Obj) -> Obj {
    // SAFETY: with the GIL (a method's C function).
    unsafe { ffi::PyLong_FromUnsignedLongLong(clock::frequency()) }
}

unsafe extern "C" fn clock_name(_module: Obj, _noargs: Obj) -> Obj {
    let name = clock::name();
    // SAFETY: with the GIL (a method's C function); the text is passed with
    // its length.
    unsafe { ffi::PyUnicode_FromStringAndSize(name.as_ptr().cast(), name.len() as ffi::Py_ssize_t) }
}

unsafe extern "C" fn set_trace_functions(_module: Obj, args: Obj, kwargs: Obj) -> Obj {
    static KWLIST: [KwName; 3] = [
        KwName(c"on_enter".as_ptr()),
        KwName(c"on_exit".as_ptr()),
        KwName(ptr::null()),
    ];
    let mut on_enter: Obj = ptr::null_mut();
    let mut on_exit: Obj = ptr::null_mut();
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: with the GIL; "O" stores borrowed references; KWLIST is
    // NULL-terminated.
    let ok = unsafe {
        ffi::PyArg_ParseTupleAndKeywords(
            args,
            kwargs,
            c"|OO:set_trace_functions".as_ptr(),
            KWLIST.as_ptr() as _,
            &mut on_enter as *mut Obj,
            &mut on_exit as *mut Obj,
        )
    };
    if ok == 0 {
        return ptr::null_mut();
    }
    // an argument not given leaves its hook as it is; None removes it
    let mut hooks = [
        (!on_enter.is_null()).then_some(on_enter),
        (!on_exit.is_null()).then_some(on_exit),
    ];
    for (hook, what) in hooks.iter_mut().zip(["on_enter", "on_exit"]) {
        let Some(hook) = hook else { continue };
        // SAFETY: with the GIL; `hook` is a borrowed live object.
        unsafe {
            if *hook == ffi::Py_None() {
                *hook = ptr::null_mut();
            }
            if !hook.is_null() && ffi::PyCallable_Check(*hook) == 0 {
                let message = format!(
                    "set_trace_functions: {what} must be a callable or None, not {}",
                    crate::python::type_name(gil, *hook)
                );
                return or_null(Err(set_error(gil, Exc::TypeError, &message)));
            }
        }
    }
    set_hooks(gil, hooks[0], hooks[1]);
    // SAFETY: with the GIL; None is immortal or static.
    unsafe {
        let none = ffi::Py_None();
        ffi::Py_INCREF(none);
        none
    }
}

unsafe extern "C" fn get_module_figures(_module: Obj, _noargs: Obj) -> Obj {
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
    or_null(module_figures(gil))
}

fn module_figures(gil: Gil) -> Result<Obj, ErrSet> {
    let mut states = all_states(gil);
    states.reverse();
    // SAFETY: with the GIL; every new reference is released or returned
    // (PyList_Append does not steal, Py_BuildValue "N" steals); the
    // module's name is passed with its length.
    unsafe {
        let list = nonnull(ffi::PyList_New(0))?;
        for state in states {
            let item = (|| -> Result<Obj, ErrSet> {
                let counts = figures_dict(gil, &[state], Figure::Counts)?;
                let durations = match figures_dict(gil, &[state], Figure::Durations) {
                    Ok(d) => d,
                    Err(e) => {
                        ffi::Py_DECREF(counts);
                        return Err(e);
                    }
                };
                let name = ffi::PyUnicode_FromStringAndSize(
                    state.module.as_ptr().cast(),
                    state.module.len() as ffi::Py_ssize_t,
                );
                if name.is_null() {
                    ffi::Py_DECREF(counts);
                    ffi::Py_DECREF(durations);
                    return Err(ErrSet::from_c_api());
                }
                // "N" steals the three references, even on failure.
                nonnull(ffi::Py_BuildValue(
                    c"(NNN)".as_ptr(),
                    name,
                    counts,
                    durations,
                ))
            })();
            let status = match item {
                Ok(item) => {
                    let status = ffi::PyList_Append(list, item);
                    ffi::Py_DECREF(item);
                    nonneg(status).map(|_| ())
                }
                Err(e) => Err(e),
            };
            if let Err(e) = status {
                ffi::Py_DECREF(list);
                return Err(e);
            }
        }
        Ok(list)
    }
}

unsafe extern "C" fn set_trace_all(_module: Obj, flag: Obj) -> Obj {
    // SAFETY: CPython calls a method's C function with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: with the GIL; `flag` is the live argument (METH_O).
    let truth: c_int = unsafe { ffi::PyObject_IsTrue(flag) };
    if truth < 0 {
        return ptr::null_mut();
    }
    let before = TRACE_ALL.get(gil);
    TRACE_ALL.set(gil, truth != 0);
    // SAFETY: with the GIL.
    unsafe { ffi::PyBool_FromLong(before.into()) }
}

/// The module's functions (CPython keeps a pointer to them).
static METHODS: GilCell<[ffi::PyMethodDef; 8]> = GilCell::new([
    ffi::PyMethodDef {
        ml_name: c"_clock".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: clock_name,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"_clock()\n--\n\nThe clock that trace mode reads: 'tsc' (the time-stamp counter, \
where the kernel keeps time with it) or 'monotonic' (clock_gettime(CLOCK_MONOTONIC)); \
HPY_TRACE_CLOCK=monotonic in the environment asks for the latter."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"get_call_counts".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: get_call_counts,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"get_call_counts()\n--\n\nA dict {'ctx_Add': n, ...}: how many times each \
context function was called by the modules loaded in trace mode."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"get_durations".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: get_durations,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"get_durations()\n--\n\nA dict {'ctx_Add': ns, ...}: the total time spent in \
each context function by the modules loaded in trace mode, in nanoseconds."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"get_frequency".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: get_frequency,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"get_frequency()\n--\n\nThe resolution of trace mode's clock in Hz: its ticks \
per second (see _clock())."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"set_trace_functions".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: set_trace_functions,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: c"set_trace_functions(on_enter=None, on_exit=None)\n--\n\nInstall the functions \
called with the context function's name before and after each traced call (None: none). An \
exception raised by one is reported with sys.unraisablehook; the traced call goes on unchanged."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"_get_module_figures".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: get_module_figures,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"_get_module_figures()\n--\n\nA list [(module_name, call_counts, durations), \
...], one item per module loaded in trace mode, oldest first."
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"_trace_all_modules".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: set_trace_all,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"_trace_all_modules(flag)\n--\n\nWhile 'flag' is true, modules loaded in \
universal mode are loaded in trace mode instead. Returns the previous value."
            .as_ptr(),
    },
    ffi::PyMethodDef::zeroed(),
]);

static MODULE_DEF: GilCell<ffi::PyModuleDef> = GilCell::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"hpy.universal._trace".as_ptr(),
    m_doc: c"HPy trace mode: call counts and durations of the API functions called by the \
modules loaded in trace mode."
        .as_ptr(),
    m_size: -1,
    m_methods: ptr::null_mut(),
    m_slots: ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
});

/// Creates `hpy.universal._trace` (a new reference), and puts it into
/// `sys.modules` so that `import hpy.universal._trace` finds it.
pub fn create_module(_gil: Gil) -> Result<Obj, ErrSet> {
    clock::init();
    let def = MODULE_DEF.as_ptr();
    // SAFETY: with the GIL; MODULE_DEF and METHODS are touched only here,
    // once (hpy.universal is initialised once per process, m_size -1), as
    // CPython takes them for good; `module` is released on failure.
    unsafe {
        (*def).m_methods = METHODS.as_ptr().cast();
        let module = nonnull(ffi::PyModule_Create(def))?;
        let modules = ffi::PyImport_GetModuleDict();
        if modules.is_null()
            || ffi::PyDict_SetItemString(modules, c"hpy.universal._trace".as_ptr(), module) < 0
        {
            ffi::Py_DECREF(module);
            return Err(ErrSet::from_c_api());
        }
        Ok(module)
    }
}
