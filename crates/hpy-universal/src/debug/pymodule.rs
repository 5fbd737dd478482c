//! `hpy.universal._debug`: the Python side of debug mode's handle records
//! (HPy 0.9's names; see ../shared/hpy-abi/python-api.md).
//!
//! `new_generation()`, `get_open_handles(gen)`, `get_closed_handles(gen=0)`,
//! `get/set_closed_handles_queue_max_size`, `get/set_protected_raw_data_max_size`,
//! `set_handle_stack_trace_limit(n or None)`, `set_on_invalid_handle(f or None)`,
//! `set_on_invalid_builder_handle(f or None)`, and the type `DebugHandle`
//! (`obj`, `id`, `is_closed`, `raw_data_size`, `generation`,
//! `allocation_stacktrace`).
//!
//! As in HPy 0.9, a `DebugHandle` is a view of the handle record it was
//! listed for: once the closed handles queue gives that record's slot to a
//! new handle, the view shows the new handle (`is_closed`, `obj`,
//! `raw_data_size` ...); `id` and equality stay those of the listed handle.

use core::ffi::{c_int, c_void};
use core::ptr;

use hpy_sys::HPy;
use pyo3_ffi as ffi;

use crate::debug::handles;
use crate::python::{nonnull, ErrSet, Gil, GilCell, Obj};

/// A `DebugHandle` object: a view of one slot of the handle records.
#[repr(C)]
struct DebugHandleObject {
    ob_base: ffi::PyObject,
    /// The debug handle listed (its slot is looked up on each access).
    handle: isize,
    /// The object, if the handle was open when this was made (a reference):
    /// shown while the slot holds no open handle.
    obj: Obj,
}

static HANDLE_TYPE: GilCell<Obj> = GilCell::new(ptr::null_mut());

unsafe extern "C" fn dh_dealloc(o: Obj) {
    // SAFETY: `o` is a DebugHandle being deallocated (CPython's call), its
    // `obj` a reference or null; the type is a heap type we hold.
    unsafe {
        let d = o.cast::<DebugHandleObject>();
        ffi::Py_XDECREF((*d).obj);
        let tp = ffi::Py_TYPE(o);
        if let Some(free) = (*tp).tp_free {
            free(o.cast());
        }
        ffi::Py_DECREF(tp.cast());
    }
}

fn handle_of(o: Obj) -> HPy {
    // SAFETY: `o` is a DebugHandle (the getters are only on that type).
    let handle = unsafe { (*o.cast::<DebugHandleObject>()).handle };
    HPy { _i: handle }
}

/// `f` on the record now in the slot of the DebugHandle `o` (None: free).
fn with_slot<R>(gil: Gil, o: Obj, f: impl FnOnce(Option<&handles::Record>) -> R) -> R {
    let index = handles::decode(handle_of(o)._i).map(|(i, _)| i);
    handles::with(gil, |t| f(index.and_then(|i| t.slot(i))))
}

/// The object of the open handle now in the slot of `o` (null if none).
fn slot_object(gil: Gil, o: Obj) -> Obj {
    with_slot(gil, o, |r| match r {
        Some(r) if !r.closed => r.obj._i as Obj,
        _ => ptr::null_mut(),
    })
}

unsafe extern "C" fn dh_repr(o: Obj) -> Obj {
    // SAFETY: `o` is a DebugHandle; with the GIL.
    unsafe {
        let gil = Gil::assume();
        let h = handle_of(o)._i;
        let obj = slot_object(gil, o);
        if obj.is_null() {
            let s = format!("<DebugHandle {h:#x} CLOSED>\0");
            ffi::PyUnicode_FromString(s.as_ptr().cast())
        } else {
            let s = format!("<DebugHandle {h:#x} for %R>\0");
            ffi::PyUnicode_FromFormat(s.as_ptr().cast(), obj)
        }
    }
}

/// `==` and `!=` compare the handles (two DebugHandle objects listed at
/// different times for one handle are equal); ordering is not defined.
unsafe extern "C" fn dh_richcompare(a: Obj, b: Obj, op: c_int) -> Obj {
    // SAFETY: with the GIL; `a` is a DebugHandle, `b` any live object,
    // checked against our type before its field is read.
    unsafe {
        let tp = HANDLE_TYPE.as_ptr().read();
        let same_type = ffi::Py_TYPE(b) == tp.cast();
        let result = match op {
            ffi::Py_EQ | ffi::Py_NE if same_type => {
                let eq = handle_of(a)._i == handle_of(b)._i;
                if (op == ffi::Py_EQ) == eq {
                    ffi::Py_True()
                } else {
                    ffi::Py_False()
                }
            }
            _ => ffi::Py_NotImplemented(),
        };
        ffi::Py_INCREF(result);
        result
    }
}

unsafe extern "C" fn dh_hash(o: Obj) -> ffi::Py_hash_t {
    let h = handle_of(o)._i;
    if h == -1 {
        -2
    } else {
        h as ffi::Py_hash_t
    }
}

unsafe extern "C" fn get_obj(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: `o` is a DebugHandle; with the GIL.
    unsafe {
        let mut obj = slot_object(Gil::assume(), o);
        if obj.is_null() {
            obj = (*o.cast::<DebugHandleObject>()).obj;
        }
        let obj = if obj.is_null() { ffi::Py_None() } else { obj };
        ffi::Py_INCREF(obj);
        obj
    }
}

unsafe extern "C" fn get_id(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromSsize_t(handle_of(o)._i) }
}

unsafe extern "C" fn get_is_closed(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: with the GIL (a getter).
    let gil = unsafe { Gil::assume() };
    let closed = with_slot(gil, o, |r| r.is_none_or(|r| r.closed));
    // SAFETY: with the GIL.
    unsafe { ffi::PyBool_FromLong(closed as _) }
}

unsafe extern "C" fn get_raw_data_size(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: with the GIL (a getter).
    let gil = unsafe { Gil::assume() };
    let size = with_slot(gil, o, |r| r.map_or(-1, |r| r.raw_data_size()));
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromSsize_t(size) }
}

unsafe extern "C" fn get_generation(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: with the GIL (a getter).
    let gil = unsafe { Gil::assume() };
    let g = with_slot(gil, o, |r| r.map_or(-1, |r| r.generation as i64));
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromLongLong(g) }
}

unsafe extern "C" fn get_stacktrace(o: Obj, _c: *mut c_void) -> Obj {
    // SAFETY: with the GIL (a getter).
    let gil = unsafe { Gil::assume() };
    let t = with_slot(gil, o, |r| r.and_then(|r| r.trace().map(|t| t.render())));
    match t {
        // SAFETY: with the GIL; the text is UTF-8 of the given length.
        Some(s) => unsafe { ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as _) },
        // SAFETY: with the GIL.
        None => unsafe {
            let n = ffi::Py_None();
            ffi::Py_INCREF(n);
            n
        },
    }
}

/// `_force_close()`: closes the handle (as HPy_Close would), for tests.
unsafe extern "C" fn dh_force_close(o: Obj, _a: Obj) -> Obj {
    // SAFETY: a method of DebugHandle, called with the GIL.
    let gil = unsafe { Gil::assume() };
    if handles::force_close(gil, handle_of(o)).is_err() {
        return ptr::null_mut();
    }
    none()
}

static DH_METHODS: GilCell<[ffi::PyMethodDef; 2]> = GilCell::new([
    ffi::PyMethodDef {
        ml_name: c"_force_close".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: dh_force_close,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"Close the handle (for tests).".as_ptr(),
    },
    ffi::PyMethodDef::zeroed(),
]);

macro_rules! getter {
    ($name:literal, $f:ident, $doc:literal) => {
        ffi::PyGetSetDef {
            name: $name.as_ptr(),
            get: Some($f),
            set: None,
            doc: $doc.as_ptr(),
            closure: ptr::null_mut(),
        }
    };
}

static GETSET: GilCell<[ffi::PyGetSetDef; 7]> = GilCell::new([
    getter!(
        c"obj",
        get_obj,
        c"The object (of the handle now in this record; else the one listed, None if it was closed)."
    ),
    getter!(c"id", get_id, c"The handle's value."),
    getter!(
        c"is_closed",
        get_is_closed,
        c"Whether the handle is closed now."
    ),
    getter!(
        c"raw_data_size",
        get_raw_data_size,
        c"Bytes of raw data it holds (-1: none)."
    ),
    getter!(
        c"generation",
        get_generation,
        c"The generation it was opened in."
    ),
    getter!(
        c"allocation_stacktrace",
        get_stacktrace,
        c"Where it was opened: C backtrace and Python traceback (None unless stack traces are on)."
    ),
    ffi::PyGetSetDef {
        name: ptr::null(),
        get: None,
        set: None,
        doc: ptr::null(),
        closure: ptr::null_mut(),
    },
]);

fn make_handle(gil: Gil, h: HPy) -> Result<Obj, ErrSet> {
    let tp = HANDLE_TYPE.get(gil);
    let obj = handles::object_of(gil, h);
    // SAFETY: with the GIL; `tp` is our DebugHandle type; the new object's
    // fields are written before anyone sees it; `obj` is live (open handle).
    unsafe {
        let o = nonnull(ffi::PyType_GenericAlloc(tp.cast(), 0))?;
        let d = o.cast::<DebugHandleObject>();
        (*d).handle = h._i;
        let p = obj._i as Obj;
        ffi::Py_XINCREF(p);
        (*d).obj = p;
        Ok(o)
    }
}

fn handle_list(gil: Gil, hs: Vec<HPy>) -> Obj {
    // SAFETY: with the GIL; the list is filled with new references.
    unsafe {
        let list = ffi::PyList_New(0);
        if list.is_null() {
            return list;
        }
        for h in hs {
            match make_handle(gil, h) {
                Ok(o) => {
                    let r = ffi::PyList_Append(list, o);
                    ffi::Py_DECREF(o);
                    if r < 0 {
                        ffi::Py_DECREF(list);
                        return ptr::null_mut();
                    }
                }
                Err(_) => {
                    ffi::Py_DECREF(list);
                    return ptr::null_mut();
                }
            }
        }
        list
    }
}

/// A non-negative integer argument (None: `none`).
unsafe fn size_arg(arg: Obj, none: Option<usize>) -> Result<usize, ()> {
    // SAFETY: with the GIL; `arg` is a live object.
    unsafe {
        if arg == ffi::Py_None() {
            if let Some(v) = none {
                return Ok(v);
            }
        }
        let v = ffi::PyLong_AsSsize_t(arg);
        if v == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(());
        }
        if v < 0 {
            ffi::PyErr_SetString(
                ffi::PyExc_ValueError,
                c"the value must not be negative".as_ptr(),
            );
            return Err(());
        }
        Ok(v as usize)
    }
}

fn none() -> Obj {
    // SAFETY: with the GIL (module functions).
    unsafe {
        let n = ffi::Py_None();
        ffi::Py_INCREF(n);
        n
    }
}

unsafe extern "C" fn new_generation(_m: Obj, _a: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    let g = handles::with(gil, |t| {
        t.generation += 1;
        t.generation
    });
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromUnsignedLongLong(g) }
}

unsafe extern "C" fn get_open_handles(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `arg` is the live argument.
    let Ok(g) = (unsafe { size_arg(arg, Some(0)) }) else {
        return ptr::null_mut();
    };
    handle_list(gil, handles::open_handles(gil, g as u64))
}

unsafe extern "C" fn get_closed_handles(_m: Obj, args: *mut Obj, nargs: ffi::Py_ssize_t) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    let g = if nargs >= 1 {
        // SAFETY: CPython passes `nargs` live arguments.
        match unsafe { size_arg(*args, Some(0)) } {
            Ok(g) => g,
            Err(()) => return ptr::null_mut(),
        }
    } else {
        0
    };
    handle_list(gil, handles::closed_handles(gil, g as u64))
}

unsafe extern "C" fn get_closed_handles_queue_max_size(_m: Obj, _a: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    let n = handles::with(gil, |t| t.closed_max);
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromSize_t(n) }
}

unsafe extern "C" fn set_closed_handles_queue_max_size(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `arg` is live.
    let Ok(n) = (unsafe { size_arg(arg, None) }) else {
        return ptr::null_mut();
    };
    // as in HPy 0.9, the queue is trimmed lazily: the next handles opened
    // reuse the oldest closed ones, the next closed push them out
    handles::with(gil, |t| t.closed_max = n);
    none()
}

unsafe extern "C" fn get_protected_raw_data_max_size(_m: Obj, _a: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: with the GIL.
    unsafe { ffi::PyLong_FromSize_t(handles::with(gil, |t| t.raw_max)) }
}

unsafe extern "C" fn set_protected_raw_data_max_size(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `arg` is live.
    let Ok(n) = (unsafe { size_arg(arg, None) }) else {
        return ptr::null_mut();
    };
    // applies to the handles closed from now on (as in HPy 0.9)
    handles::with(gil, |t| t.raw_max = n);
    none()
}

unsafe extern "C" fn set_handle_stack_trace_limit(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: `arg` is live.
    let Ok(n) = (unsafe { size_arg(arg, Some(0)) }) else {
        return ptr::null_mut();
    };
    handles::with(gil, |t| t.trace_limit = n);
    none()
}

unsafe fn set_hook(builder: bool, arg: Obj) -> Obj {
    // SAFETY: a module function, with the GIL.
    let gil = unsafe { Gil::assume() };
    // SAFETY: with the GIL; `arg` is live; the table keeps the new
    // reference, the old one is released.
    unsafe {
        let hook = if arg == ffi::Py_None() {
            ptr::null_mut()
        } else {
            if ffi::PyCallable_Check(arg) == 0 {
                ffi::PyErr_SetString(
                    ffi::PyExc_TypeError,
                    c"the hook must be a callable (taking no argument) or None".as_ptr(),
                );
                return ptr::null_mut();
            }
            ffi::Py_INCREF(arg);
            arg
        };
        let old = handles::set_hook(gil, builder, hook);
        ffi::Py_XDECREF(old);
    }
    none()
}

unsafe extern "C" fn set_on_invalid_handle(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: `arg` is live.
    unsafe { set_hook(false, arg) }
}

unsafe extern "C" fn set_on_invalid_builder_handle(_m: Obj, arg: Obj) -> Obj {
    // SAFETY: `arg` is live.
    unsafe { set_hook(true, arg) }
}

macro_rules! method {
    ($name:literal, $kind:ident, $f:ident, $flags:expr, $doc:literal) => {
        ffi::PyMethodDef {
            ml_name: $name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { $kind: $f },
            ml_flags: $flags,
            ml_doc: $doc.as_ptr(),
        }
    };
}

static METHODS: GilCell<[ffi::PyMethodDef; 11]> = GilCell::new([
    method!(c"new_generation", PyCFunction, new_generation, ffi::METH_NOARGS,
        c"Start a new generation of handles and return its number."),
    method!(c"get_open_handles", PyCFunction, get_open_handles, ffi::METH_O,
        c"get_open_handles(gen): the open handles opened in generation gen or later."),
    method!(c"get_closed_handles", PyCFunctionFast, get_closed_handles, ffi::METH_FASTCALL,
        c"get_closed_handles(gen=0): the closed handles still in the queue, of generation gen or later."),
    method!(c"get_closed_handles_queue_max_size", PyCFunction, get_closed_handles_queue_max_size,
        ffi::METH_NOARGS, c"How many closed handles are remembered."),
    method!(c"set_closed_handles_queue_max_size", PyCFunction, set_closed_handles_queue_max_size,
        ffi::METH_O, c"Set how many closed handles are remembered."),
    method!(c"get_protected_raw_data_max_size", PyCFunction, get_protected_raw_data_max_size,
        ffi::METH_NOARGS, c"How many bytes of revoked raw data are kept protected."),
    method!(c"set_protected_raw_data_max_size", PyCFunction, set_protected_raw_data_max_size,
        ffi::METH_O, c"Set how many bytes of revoked raw data are kept protected."),
    method!(c"set_handle_stack_trace_limit", PyCFunction, set_handle_stack_trace_limit,
        ffi::METH_O, c"Record up to n C and n Python frames where each handle is opened (None or 0: off)."),
    method!(c"set_on_invalid_handle", PyCFunction, set_on_invalid_handle, ffi::METH_O,
        c"Call f() instead of a fatal error when an invalid handle is used (None: fatal error)."),
    method!(c"set_on_invalid_builder_handle", PyCFunction, set_on_invalid_builder_handle,
        ffi::METH_O, c"Call f() instead of a fatal error when a consumed builder is used."),
    ffi::PyMethodDef::zeroed(),
]);

static MODULE_DEF: GilCell<ffi::PyModuleDef> = GilCell::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"hpy.universal._debug".as_ptr(),
    m_doc: c"Debug mode's handle records (HPy 0.9's hpy.universal._debug).".as_ptr(),
    m_size: -1,
    m_methods: ptr::null_mut(),
    m_slots: ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
});

/// Creates `hpy.universal._debug` (a new reference), once.
pub fn create(gil: Gil) -> Result<Obj, ErrSet> {
    // SAFETY: with the GIL; the statics are handed to CPython once, here,
    // and kept for the life of the process.
    unsafe {
        if HANDLE_TYPE.get(gil).is_null() {
            let mut slots = [
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_dealloc,
                    pfunc: dh_dealloc as *mut c_void,
                },
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_repr,
                    pfunc: dh_repr as *mut c_void,
                },
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_richcompare,
                    pfunc: dh_richcompare as *mut c_void,
                },
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_methods,
                    pfunc: DH_METHODS.as_ptr().cast(),
                },
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_hash,
                    pfunc: dh_hash as *mut c_void,
                },
                ffi::PyType_Slot {
                    slot: ffi::Py_tp_getset,
                    pfunc: GETSET.as_ptr().cast(),
                },
                ffi::PyType_Slot {
                    slot: 0,
                    pfunc: ptr::null_mut(),
                },
            ];
            let mut spec = ffi::PyType_Spec {
                name: c"hpy.universal._debug.DebugHandle".as_ptr(),
                basicsize: core::mem::size_of::<DebugHandleObject>() as c_int,
                itemsize: 0,
                flags: ffi::Py_TPFLAGS_DEFAULT as _,
                slots: slots.as_mut_ptr(),
            };
            let tp = nonnull(ffi::PyType_FromSpec(&mut spec))?;
            HANDLE_TYPE.set(gil, tp);
        }
        let def = MODULE_DEF.as_ptr();
        (*def).m_methods = METHODS.as_ptr().cast();
        let m = nonnull(ffi::PyModule_Create(def))?;
        let tp = HANDLE_TYPE.get(gil);
        ffi::Py_INCREF(tp);
        if ffi::PyModule_AddObject(m, c"DebugHandle".as_ptr(), tp) < 0 {
            ffi::Py_DECREF(tp);
            ffi::Py_DECREF(m);
            return Err(ErrSet::from_c_api());
        }
        Ok(m)
    }
}
