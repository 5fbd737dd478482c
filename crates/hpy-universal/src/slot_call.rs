//! The direct call path of HPy types: their methods and slots call the HPy
//! functions without the extension's trampolines.
//!
//! `HPyType_FromSpec` (hpy-core's type_spec.rs) gives CPython the
//! trampolines of a type's defines: the `ml_meth` of each method's
//! `PyMethodDef` and each slot (`sq_length`, `nb_add`, `tp_new` ...). In a
//! universal module a trampoline packs CPython's arguments and calls
//! `ctx_CallRealFunctionFromTrampoline`, which calls the HPy function: two
//! indirect calls and a `match` more than a C-API type pays.
//!
//! hpy-core calls `type_made` with every type it made (its hook, set by
//! `init`), before the type is returned to the extension. For each define
//! whose extension was loaded with a context whose handles are object
//! pointers (universal, hybrid, trace: not debug, whose dispatcher opens a
//! debug handle per argument), it puts a thunk in the trampoline's place:
//!
//! - methods: a thunk of method_call/thunks.rs in the `PyMethodDef`'s
//!   `ml_meth` (the type's table, which its method descriptors read at each
//!   call), as for module functions. Each define has its own thunk, so that
//!   CPython's `==` and `hash` of bound methods (`__self__` and `ml_meth`)
//!   tell methods apart as they do with trampolines.
//! - slots: a thunk of slot_call/thunks.rs, written into the type object's
//!   slot and into the slot wrappers of the type's dict (`__len__`,
//!   `__add__` and `__radd__` ...) that call that slot, so that
//!   `Obj.__len__(o)` and the slots of Python subclasses (which CPython
//!   takes from those wrappers) use it too.
//! - `tp_new`: hpy-core's `hpy_tp_new` wraps the trampoline to check the
//!   type of the object it returns; where that is all it does (no call
//!   function to give the instance, no int or tuple items sharing the C
//!   struct), the `tp_new` thunk, which checks the same, replaces both.
//!
//! A thunk calls the HPy function with the context the extension's
//! trampolines use (the one its `HPyInitGlobalContext_NAME` got, found from
//! the trampoline's address: library_copies.rs), so trace mode still counts
//! the calls the HPy function makes. Where a pool is used up, the slot or
//! method keeps its trampoline: the previous path, as correct.

#![allow(non_upper_case_globals)]

use core::ffi::c_void;
use core::ptr;

use hpy_sys::*;
use pyo3_ffi as ffi;

use crate::method_call::thunks::{self as method_thunks, Shape};
use crate::python::Gil;

mod thunks;

use thunks::SlotShape;

type Obj = *mut ffi::PyObject;
type Ctx = *mut HPyContext;

/// Makes hpy-core call `type_made` with each type it makes (once, from
/// `PyInit_universal`, after the contexts exist).
pub fn init(_gil: Gil) {
    hpy_core::set_type_made_hook(type_made);
}

/// The context the thunks of a define whose trampoline is `trampoline` call
/// its HPy function with: the one the extension was loaded with, if its
/// handles are object pointers.
fn thunk_context(trampoline: *mut c_void) -> Option<Ctx> {
    let ctx = crate::library_copies::context_of_code(trampoline)?;
    (ctx != crate::debug::debug() && ctx != crate::debug::hybrid_debug()).then_some(ctx)
}

/// hpy-core's hook: gives the new type `t`, made from `spec`, its thunks
/// (see the module documentation). Never fails: what gets no thunk keeps
/// its trampoline.
///
/// # Safety
/// Called by hpy-core's `HPyType_FromSpec` with the GIL, `t` the live type
/// just made from `spec` (static data of a loaded extension), before any
/// instance exists and before the extension sees the type.
unsafe fn type_made(t: *mut hpy_core::ffi::PyObject, spec: &HPyType_Spec) {
    // SAFETY: as documented.
    let gil = unsafe { Gil::assume() };
    let tp = t.cast::<ffi::PyTypeObject>();
    let mut changed = false;
    let mut p = spec.defines;
    if p.is_null() {
        return;
    }
    loop {
        // SAFETY: `defines` is a NULL-terminated array of live HPyDefs
        // (hpy-core checked it to make the type).
        let d = unsafe { *p };
        if d.is_null() {
            break;
        }
        // SAFETY: a live HPyDef; its kind says which union member is used;
        // `tp` is the new type.
        unsafe {
            changed |= match (*d).kind {
                HPyDef_Kind_Meth => switch_method(gil, tp, &(*d).u.meth),
                HPyDef_Kind_Slot => switch_slot(gil, tp, &(*d).u.slot),
                _ => false,
            };
        }
        // SAFETY: the terminator was not reached yet.
        p = unsafe { p.add(1) };
    }
    if changed {
        // SAFETY: with the GIL; a live type (nothing has cached its slots
        // yet, but no harm is done either way).
        unsafe { ffi::PyType_Modified(tp) };
    }
}

/// Gives the `PyMethodDef` of `meth` in the new type `tp` a thunk as its
/// `ml_meth`; whether it did.
///
/// # Safety
/// As for `type_made`; `meth` is a method define of its spec.
unsafe fn switch_method(_gil: Gil, tp: *mut ffi::PyTypeObject, meth: &HPyMeth) -> bool {
    let (Some(impl_), Some(trampoline)) = (meth.impl_, meth.cpy_trampoline) else {
        return false;
    };
    let trampoline = trampoline as *mut c_void;
    let shape = match meth.signature {
        HPyFunc_NOARGS => Shape::Noargs,
        HPyFunc_O => Shape::O,
        HPyFunc_VARARGS => Shape::Varargs,
        HPyFunc_KEYWORDS => Shape::Keywords,
        _ => return false,
    };
    let Some(ctx) = thunk_context(trampoline) else {
        return false;
    };
    // SAFETY: `tp_methods` is the type's table (hpy-core's, in the heap
    // block its TypeInfo owns), ended by an entry without a name; CPython's
    // descriptors point into it and read `ml_meth` at each call.
    unsafe {
        let mut m = (*tp).tp_methods;
        if m.is_null() {
            return false;
        }
        while !(*m).ml_name.is_null() {
            if (*m).ml_meth.PyCFunction as usize == trampoline as usize {
                // `impl_` and `trampoline` are the two functions of one
                // define of this signature; the context lives forever.
                let Some(thunk) = method_thunks::take(shape, impl_, trampoline, ctx) else {
                    return false;
                };
                (*m).ml_meth = thunk;
                return true;
            }
            m = m.add(1);
        }
    }
    false
}

/// Replaces the trampoline of the slot define `slot` in the new type `tp`
/// (and in the slot wrappers of its dict) with a thunk; whether it did.
///
/// # Safety
/// As for `type_made`; `slot` is a slot define of its spec.
unsafe fn switch_slot(gil: Gil, tp: *mut ffi::PyTypeObject, slot: &HPySlot) -> bool {
    let (Some(impl_), Some(trampoline)) = (slot.impl_, slot.cpy_trampoline) else {
        return false;
    };
    let trampoline = trampoline as *mut c_void;
    let Some(shape) = slot_signature(slot.slot).and_then(SlotShape::of) else {
        return false;
    };
    if slot.slot == HPy_tp_new {
        // SAFETY: as documented.
        return unsafe { switch_new(gil, tp, impl_, trampoline) };
    }
    // SAFETY: the new type; its slot tables are its own (a heap type's).
    let Some(field) = (unsafe { slot_field(tp, slot.slot) }) else {
        return false;
    };
    // SAFETY: a slot of the type, holding a function pointer or NULL.
    if unsafe { *field } != trampoline {
        // a legacy slot of a hybrid type took its place
        return false;
    }
    let Some(ctx) = thunk_context(trampoline) else {
        return false;
    };
    // SAFETY: `impl_` and `trampoline` are the two functions of one slot
    // define of a signature of `shape`; the context lives forever.
    let Some(thunk) = (unsafe { thunks::take(shape, impl_, trampoline, ctx) }) else {
        return false;
    };
    // SAFETY: the slot, and the wrappers, have the C type of the trampoline,
    // which the thunk has too; nothing has called them yet.
    unsafe {
        *field = thunk;
        switch_wrappers(gil, tp, trampoline, thunk);
    }
    true
}

/// `tp_new` of the new type `tp` becomes the `tp_new` thunk of its
/// `HPy_tp_new` define, where hpy-core's `hpy_tp_new` would only have
/// called the trampoline and checked the result's type; whether it did.
///
/// # Safety
/// As for `type_made`; `impl_` and `trampoline` are those of the type's
/// `HPy_tp_new` define.
unsafe fn switch_new(
    _gil: Gil,
    tp: *mut ffi::PyTypeObject,
    impl_: unsafe extern "C" fn(),
    trampoline: *mut c_void,
) -> bool {
    // SAFETY: a live type.
    let current = unsafe { (*tp).tp_new }.map_or(0, |f| f as usize);
    if current != hpy_core::hpy_tp_new as *const () as usize {
        return false;
    }
    // SAFETY: a live type.
    let Some(info) = (unsafe { hpy_core::info_of(tp.cast()) }) else {
        return false;
    };
    if info.user_new.map(|f| f as usize) != Some(trampoline as usize)
        || info.vectorcall_offset != 0
        || hpy_core::items_before_struct(info).is_some()
    {
        return false;
    }
    let Some(ctx) = thunk_context(trampoline) else {
        return false;
    };
    // SAFETY: as for `switch_slot`.
    let Some(thunk) = (unsafe { thunks::take(SlotShape::New, impl_, trampoline, ctx) }) else {
        return false;
    };
    // SAFETY: a `newfunc` thunk; `__new__` (tp_new_wrapper) and subclasses
    // read `tp_new` when they are called or made, after this.
    unsafe {
        (*tp).tp_new = Some(core::mem::transmute::<*mut c_void, ffi::newfunc>(thunk));
    }
    true
}

/// The slot wrappers of `tp`'s own dict that call `trampoline` call `thunk`
/// instead.
///
/// # Safety
/// With the GIL; `tp` a live type; `thunk` has the C type of `trampoline`.
unsafe fn switch_wrappers(
    _gil: Gil,
    tp: *mut ffi::PyTypeObject,
    trampoline: *mut c_void,
    thunk: *mut c_void,
) {
    // SAFETY: a live type's dict (a heap type has one), walked without
    // being changed (only the wrapper objects are); a wrapper descriptor has
    // the layout of `WrapperDescr`.
    unsafe {
        let dict = (*tp).tp_dict;
        if dict.is_null() {
            return;
        }
        let wrapper_type = ptr::addr_of_mut!(ffi::PyWrapperDescr_Type);
        let (mut pos, mut key, mut value): (ffi::Py_ssize_t, Obj, Obj) =
            (0, ptr::null_mut(), ptr::null_mut());
        while ffi::PyDict_Next(dict, &mut pos, &mut key, &mut value) != 0 {
            if ffi::Py_TYPE(value) == wrapper_type {
                let w = value.cast::<WrapperDescr>();
                if (*w).d_wrapped == trampoline {
                    (*w).d_wrapped = thunk;
                }
            }
        }
    }
}

/// A slot wrapper (`PyWrapperDescrObject`, the same on CPython 3.9 to
/// 3.13): `PyDescr_COMMON`, the slot's `wrapperbase`, and the slot function
/// it calls.
#[repr(C)]
struct WrapperDescr {
    ob_base: ffi::PyObject,
    d_type: *mut ffi::PyTypeObject,
    d_name: Obj,
    d_qualname: Obj,
    d_base: *mut c_void,
    d_wrapped: *mut c_void,
}

/// Where the type `tp` keeps the function of the HPy slot `slot` (which has
/// CPython's slot number), for the slots that have thunks; None for others,
/// or when the type has no table for it.
///
/// # Safety
/// `tp` is a live type.
unsafe fn slot_field(tp: *mut ffi::PyTypeObject, slot: HPySlot_Slot) -> Option<*mut *mut c_void> {
    /// The address of `(*tp).$field`, or of `(*(*tp).$table).$field` if
    /// the type has that table, as a pointer to a function pointer.
    macro_rules! at {
        ($field:ident) => {
            // SAFETY: a field of a live type object.
            Some(unsafe { ptr::addr_of_mut!((*tp).$field) }.cast::<*mut c_void>())
        };
        ($table:ident . $field:ident) => {{
            // SAFETY: a live type's table pointer, NULL or the table.
            let table = unsafe { (*tp).$table };
            if table.is_null() {
                None
            } else {
                // SAFETY: a field of the type's live table.
                Some(unsafe { ptr::addr_of_mut!((*table).$field) }.cast::<*mut c_void>())
            }
        }};
    }
    match slot {
        HPy_mp_ass_subscript => at!(tp_as_mapping.mp_ass_subscript),
        HPy_mp_length => at!(tp_as_mapping.mp_length),
        HPy_mp_subscript => at!(tp_as_mapping.mp_subscript),
        HPy_nb_absolute => at!(tp_as_number.nb_absolute),
        HPy_nb_add => at!(tp_as_number.nb_add),
        HPy_nb_and => at!(tp_as_number.nb_and),
        HPy_nb_bool => at!(tp_as_number.nb_bool),
        HPy_nb_divmod => at!(tp_as_number.nb_divmod),
        HPy_nb_float => at!(tp_as_number.nb_float),
        HPy_nb_floor_divide => at!(tp_as_number.nb_floor_divide),
        HPy_nb_index => at!(tp_as_number.nb_index),
        HPy_nb_inplace_add => at!(tp_as_number.nb_inplace_add),
        HPy_nb_inplace_and => at!(tp_as_number.nb_inplace_and),
        HPy_nb_inplace_floor_divide => at!(tp_as_number.nb_inplace_floor_divide),
        HPy_nb_inplace_lshift => at!(tp_as_number.nb_inplace_lshift),
        HPy_nb_inplace_multiply => at!(tp_as_number.nb_inplace_multiply),
        HPy_nb_inplace_or => at!(tp_as_number.nb_inplace_or),
        HPy_nb_inplace_power => at!(tp_as_number.nb_inplace_power),
        HPy_nb_inplace_remainder => at!(tp_as_number.nb_inplace_remainder),
        HPy_nb_inplace_rshift => at!(tp_as_number.nb_inplace_rshift),
        HPy_nb_inplace_subtract => at!(tp_as_number.nb_inplace_subtract),
        HPy_nb_inplace_true_divide => at!(tp_as_number.nb_inplace_true_divide),
        HPy_nb_inplace_xor => at!(tp_as_number.nb_inplace_xor),
        HPy_nb_int => at!(tp_as_number.nb_int),
        HPy_nb_invert => at!(tp_as_number.nb_invert),
        HPy_nb_lshift => at!(tp_as_number.nb_lshift),
        HPy_nb_multiply => at!(tp_as_number.nb_multiply),
        HPy_nb_negative => at!(tp_as_number.nb_negative),
        HPy_nb_or => at!(tp_as_number.nb_or),
        HPy_nb_positive => at!(tp_as_number.nb_positive),
        HPy_nb_power => at!(tp_as_number.nb_power),
        HPy_nb_remainder => at!(tp_as_number.nb_remainder),
        HPy_nb_rshift => at!(tp_as_number.nb_rshift),
        HPy_nb_subtract => at!(tp_as_number.nb_subtract),
        HPy_nb_true_divide => at!(tp_as_number.nb_true_divide),
        HPy_nb_xor => at!(tp_as_number.nb_xor),
        HPy_nb_matrix_multiply => at!(tp_as_number.nb_matrix_multiply),
        HPy_nb_inplace_matrix_multiply => at!(tp_as_number.nb_inplace_matrix_multiply),
        HPy_sq_ass_item => at!(tp_as_sequence.sq_ass_item),
        HPy_sq_concat => at!(tp_as_sequence.sq_concat),
        HPy_sq_contains => at!(tp_as_sequence.sq_contains),
        HPy_sq_inplace_concat => at!(tp_as_sequence.sq_inplace_concat),
        HPy_sq_inplace_repeat => at!(tp_as_sequence.sq_inplace_repeat),
        HPy_sq_item => at!(tp_as_sequence.sq_item),
        HPy_sq_length => at!(tp_as_sequence.sq_length),
        HPy_sq_repeat => at!(tp_as_sequence.sq_repeat),
        HPy_tp_descr_get => at!(tp_descr_get),
        HPy_tp_hash => at!(tp_hash),
        HPy_tp_init => at!(tp_init),
        HPy_tp_repr => at!(tp_repr),
        HPy_tp_richcompare => at!(tp_richcompare),
        HPy_tp_str => at!(tp_str),
        _ => None,
    }
}
