//! `HPyType_FromSpec`: a heap type from an `HPyType_Spec`, through
//! `PyType_FromSpecWithBases` (or, when a metaclass is given,
//! `PyType_FromMetaclass` on CPython 3.12+ and `from_metaclass_pre312`
//! before), shared by both ABIs.
//!
//! - `HPyDef_METH` become the type's `PyMethodDef`s (NOARGS → `METH_NOARGS`,
//!   O → `METH_O`, VARARGS → `METH_FASTCALL`, KEYWORDS →
//!   `METH_FASTCALL | METH_KEYWORDS`); CPython takes `__text_signature__`
//!   from a doc that starts with `name(sig)\n--\n\n`.
//! - `HPyDef_MEMBER` become `PyMemberDef`s whose offsets are relative to the
//!   type's C struct (instance.rs: the struct follows the built-in base's
//!   head); `HPyMember_OBJECT` members are `HPyField`s, which on CPython
//!   hold a strong reference to the object, exactly what `T_OBJECT` reads.
//! - `HPyDef_GET/SET/GETSET` become `PyGetSetDef`s with their closure.
//! - `HPyDef_SLOT`: every slot of HPy 0.9 has the number of the CPython slot
//!   it fills and goes to `PyType_FromSpec` with its trampoline, except
//!   `HPy_tp_destroy` (called by our `tp_dealloc`), `HPy_tp_call` (the
//!   instance's vectorcall function: a hidden pointer slot after the C
//!   struct, `tp_call = PyVectorcall_Call`) and `HPy_tp_new` (wrapped to check
//!   the type of what it returns). Every type gets our `tp_dealloc`; types
//!   with `HPy_tp_traverse` get our `tp_clear`, which empties the fields.
//! - `legacy_slots` (CPython ABI and hybrid ABI only) are appended, their
//!   `Py_tp_methods`/`Py_tp_members`/`Py_tp_getset` arrays merged with the
//!   HPy ones.
//! - The spec's name gives `__module__` and `__qualname__` (CPython does it:
//!   "pkg.mod.Name"), `doc` the docstring.
//!
//! Bad specs raise: an unknown slot number or member type, an unknown
//! define kind or method signature, a spec param of unknown kind, a
//! metaclass that is not a type, a basicsize smaller than the base's (or a
//! struct that would overlap a base's), legacy features in a pure universal
//! module, `HPy_TPFLAGS_HAVE_GC` without `HPy_tp_traverse`.
//!
//! The tables the type's descriptors point to live in one heap block owned
//! by the type's `TypeInfo` (instance.rs).

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use core::mem::size_of;
use core::ptr::{self, null_mut};
use core::sync::atomic::{AtomicPtr, Ordering};

use hpy_sys::*;

use crate::ffi::{
    self, cstr, PyGetSetDef, PyMemberDef, PyMethodDef, PyObject, PyTypeObject, TypeObject,
};
use crate::instance::{self, raise, round_up, tobj, Exc, TypeInfo};
use crate::{h2py, py2h};

/// The context of pure universal modules, which may not use legacy
/// features; set by the universal runtime. Null in the CPython ABI, where
/// every module may.
static PURE_UNIVERSAL_CTX: AtomicPtr<HPyContext> = AtomicPtr::new(null_mut());

/// Tells hpy-core which context is the pure universal one (whose types may
/// not have `legacy_slots`).
pub fn set_pure_universal_context(ctx: *mut HPyContext) {
    PURE_UNIVERSAL_CTX.store(ctx, Ordering::Relaxed);
}

/// What a scan of the defines and legacy slots finds.
struct Scan {
    methods: usize,
    members: usize,
    getsets: usize,
    slots: usize,
    legacy_slots: usize,
    legacy_methods: (*mut PyMethodDef, usize),
    legacy_members: (*mut PyMemberDef, usize),
    legacy_getsets: (*mut PyGetSetDef, usize),
    legacy_dealloc: bool,
    traverse: Option<instance::HPyTraverse>,
    destroy: Option<instance::HPyDestroy>,
    new: Option<ffi::newfunc>,
    call: Option<ffi::vectorcallfunc>,
    /// Offset (in the C struct) of an explicit `__vectorcalloffset__` member.
    vectorcall_member: Option<isize>,
}

impl Scan {
    fn new() -> Scan {
        Scan {
            methods: 0,
            members: 0,
            getsets: 0,
            slots: 0,
            legacy_slots: 0,
            legacy_methods: (null_mut(), 0),
            legacy_members: (null_mut(), 0),
            legacy_getsets: (null_mut(), 0),
            legacy_dealloc: false,
            traverse: None,
            destroy: None,
            new: None,
            call: None,
            vectorcall_member: None,
        }
    }
}

/// Sets `exc` with `format`, whose one `%s` gets the type's name; returns None.
fn raise_named<T>(exc: Exc, format: *const c_char, name: *const c_char) -> Option<T> {
    // SAFETY: setting an exception; the format takes one C string.
    unsafe { ffi::PyErr_Format(exc.get(), format, name) };
    None
}

/// The `ml_flags` of an HPy method signature.
fn method_flags(sig: HPyFunc_Signature) -> Option<c_int> {
    match sig {
        HPyFunc_NOARGS => Some(ffi::METH_NOARGS),
        HPyFunc_O => Some(ffi::METH_O),
        HPyFunc_VARARGS => Some(ffi::METH_FASTCALL),
        HPyFunc_KEYWORDS => Some(ffi::METH_FASTCALL | ffi::METH_KEYWORDS),
        _ => None,
    }
}

/// Whether `t` is a member type CPython's `PyMemberDef` knows (the values of
/// `HPyMember_FieldType` are CPython's `T_*`).
fn valid_member_type(t: HPyMember_FieldType) -> bool {
    (0..=14).contains(&t) || (16..=20).contains(&t)
}

/// Counts the entries of a `NULL`-name-terminated table of `T`.
unsafe fn count_named<T>(table: *mut T, name_of: impl Fn(&T) -> *const c_char) -> usize {
    let mut n = 0usize;
    if table.is_null() {
        return 0;
    }
    // SAFETY: the caller passes a table ended by an entry with a NULL name.
    while !name_of(unsafe { &*table.add(n) }).is_null() {
        n = n.saturating_add(1);
    }
    n
}

/// Calls `f` on each define of the NULL-terminated `defines` (may be NULL),
/// stopping at the first None: module.rs's walk, for closures that return
/// Option.
unsafe fn for_each_define(
    defines: *mut *mut HPyDef,
    mut f: impl FnMut(&HPyDef) -> Option<()>,
) -> Option<()> {
    // SAFETY: the caller's contract is the shared walk's.
    unsafe { crate::module::for_each_define(defines, |d| f(d).ok_or(())) }.ok()
}

/// Checks the defines and legacy slots of `spec` and counts what goes into
/// the tables. None with an exception set for a bad spec.
unsafe fn scan(spec: &HPyType_Spec, allow_legacy: bool) -> Option<Scan> {
    let name = spec.name;
    let mut s = Scan::new();
    let check = |d: &HPyDef| -> Option<()> {
        match d.kind {
            HPyDef_Kind_Meth => {
                // SAFETY: the kind says which member of the union is in use.
                let m = unsafe { &d.u.meth };
                if method_flags(m.signature).is_none() {
                    return raise(Exc::Value, cstr!("Unsupported HPyMeth signature"), None);
                }
                if m.name.is_null() || m.cpy_trampoline.is_none() {
                    return raise_named(
                        Exc::System,
                        cstr!("HPyDef_METH without name or trampoline in the spec of type '%s'"),
                        name,
                    );
                }
                s.methods = s.methods.saturating_add(1);
            }
            HPyDef_Kind_Member => {
                // SAFETY: as above.
                let m = unsafe { &d.u.member };
                if m.name.is_null() {
                    return raise_named(
                        Exc::System,
                        cstr!("HPyDef_MEMBER without a name in the spec of type '%s'"),
                        name,
                    );
                }
                if !valid_member_type(m.type_) {
                    // SAFETY: setting an exception; %d takes an int, %s strings.
                    unsafe {
                        ffi::PyErr_Format(
                            ffi::PyExc_TypeError,
                            cstr!(
                                "member '%s' of type '%s' has an unknown HPyMember_FieldType (%d)"
                            ),
                            m.name,
                            name,
                            m.type_ as c_int,
                        )
                    };
                    return None;
                }
                // SAFETY: a NUL-terminated name.
                if unsafe { CStr::from_ptr(m.name) }.to_bytes() == b"__vectorcalloffset__" {
                    s.vectorcall_member = Some(m.offset);
                }
                s.members = s.members.saturating_add(1);
            }
            HPyDef_Kind_GetSet => {
                // SAFETY: as above.
                let g = unsafe { &d.u.getset };
                if g.name.is_null() {
                    return raise_named(
                        Exc::System,
                        cstr!("HPyDef_GETSET without a name in the spec of type '%s'"),
                        name,
                    );
                }
                s.getsets = s.getsets.saturating_add(1);
            }
            HPyDef_Kind_Slot => {
                // SAFETY: as above.
                let sl = unsafe { &d.u.slot };
                let known = slot_signature(sl.slot).is_some()
                    && sl.slot != HPy_mod_create
                    && sl.slot != HPy_mod_exec;
                if !known {
                    // SAFETY: setting an exception; %d takes an int.
                    unsafe {
                        ffi::PyErr_Format(
                            ffi::PyExc_SystemError,
                            cstr!("invalid slot value %d in the spec of type '%s'"),
                            sl.slot as c_int,
                            name,
                        )
                    };
                    return None;
                }
                // SAFETY: the implementation has the C type of its slot's
                // signature; only stored here.
                unsafe {
                    match sl.slot {
                        HPy_tp_destroy => {
                            if sl.impl_.is_none() {
                                return raise_named(
                                    Exc::System,
                                    cstr!("HPy_tp_destroy without implementation in type '%s'"),
                                    name,
                                );
                            }
                            s.destroy = core::mem::transmute::<
                                HPyCFunction,
                                Option<instance::HPyDestroy>,
                            >(sl.impl_);
                            return Some(());
                        }
                        HPy_tp_traverse => {
                            s.traverse = core::mem::transmute::<
                                HPyCFunction,
                                Option<instance::HPyTraverse>,
                            >(sl.impl_);
                        }
                        HPy_tp_new => {
                            s.new = core::mem::transmute::<cpy_PyCFunction, Option<ffi::newfunc>>(
                                sl.cpy_trampoline,
                            );
                        }
                        HPy_tp_call => {
                            s.call = core::mem::transmute::<
                                cpy_PyCFunction,
                                Option<ffi::vectorcallfunc>,
                            >(sl.cpy_trampoline);
                            return Some(());
                        }
                        _ => {}
                    }
                }
                if sl.cpy_trampoline.is_none() {
                    return raise_named(
                        Exc::System,
                        cstr!("HPyDef_SLOT without trampoline in the spec of type '%s'"),
                        name,
                    );
                }
                s.slots = s.slots.saturating_add(1);
            }
            other => {
                // SAFETY: setting an exception; %d takes an int.
                unsafe {
                    ffi::PyErr_Format(
                        ffi::PyExc_SystemError,
                        cstr!("invalid HPyDef.kind %d in the spec of type '%s'"),
                        other as c_int,
                        name,
                    )
                };
                return None;
            }
        }
        Some(())
    };
    // SAFETY: NULL or a NULL-terminated array of live HPyDefs.
    unsafe { for_each_define(spec.defines, check) }?;

    if !spec.legacy_slots.is_null() {
        if !allow_legacy {
            return raise_named(
                Exc::Type,
                cstr!(
                    "Cannot use legacy functions when targeting the HPy Universal ABI: type '%s' has \
                     legacy_slots in its HPyType_Spec. Build it for the hybrid ABI to use them."
                ),
                name,
            );
        }
        if spec.builtin_shape != HPyType_BuiltinShape_Legacy {
            return raise(
                Exc::Type,
                cstr!("cannot specify .legacy_slots without setting .builtin_shape=HPyType_BuiltinShape_Legacy"),
                None,
            );
        }
        let mut p = spec.legacy_slots.cast::<ffi::PyType_Slot>();
        loop {
            // SAFETY: legacy_slots is a PyType_Slot array ended by slot 0.
            let slot = unsafe { *p };
            if slot.slot == 0 {
                break;
            }
            // SAFETY: these slots hold tables ended by a NULL name.
            unsafe {
                match slot.slot {
                    ffi::Py_tp_methods => {
                        let t = slot.pfunc.cast::<PyMethodDef>();
                        s.legacy_methods = (t, count_named(t, |m| m.ml_name));
                    }
                    ffi::Py_tp_members => {
                        let t = slot.pfunc.cast::<PyMemberDef>();
                        s.legacy_members = (t, count_named(t, |m| m.name));
                    }
                    ffi::Py_tp_getset => {
                        let t = slot.pfunc.cast::<PyGetSetDef>();
                        s.legacy_getsets = (t, count_named(t, |g| g.name));
                    }
                    other => {
                        if other == ffi::Py_tp_dealloc {
                            s.legacy_dealloc = true;
                        }
                        s.legacy_slots = s.legacy_slots.saturating_add(1);
                    }
                }
            }
            // SAFETY: the terminator was not reached yet.
            p = unsafe { p.add(1) };
        }
        if s.legacy_dealloc && (s.traverse.is_some() || s.destroy.is_some()) {
            return raise(
                Exc::Type,
                cstr!("legacy tp_dealloc is incompatible with HPy_tp_traverse or HPy_tp_destroy."),
                None,
            );
        }
    }
    if spec.flags & (ffi::Py_TPFLAGS_HAVE_GC as c_ulong) != 0 && s.traverse.is_none() {
        return raise(
            Exc::Value,
            cstr!("You must provide an HPy_tp_traverse slot if you specify HPy_TPFLAGS_HAVE_GC"),
            None,
        );
    }
    Some(s)
}

/// The spec params: a new reference to the bases tuple (or NULL) and the
/// metaclass (borrowed, or NULL). None with an exception set.
unsafe fn read_params(
    params: *mut HPyType_SpecParam,
    name: *const c_char,
) -> Option<(*mut PyObject, *mut PyObject)> {
    if params.is_null() {
        return Some((null_mut(), null_mut()));
    }
    let (mut n_base, mut n_tuple) = (0isize, 0usize);
    let (mut tuple, mut meta): (*mut PyObject, *mut PyObject) = (null_mut(), null_mut());
    let mut p = params;
    loop {
        // SAFETY: an array of params ended by kind 0.
        let param = unsafe { &*p };
        match param.kind {
            0 => break,
            HPyType_SpecParam_Base => n_base = n_base.saturating_add(1),
            HPyType_SpecParam_BasesTuple => {
                n_tuple = n_tuple.saturating_add(1);
                tuple = h2py(param.object);
            }
            HPyType_SpecParam_Metaclass => {
                if !meta.is_null() {
                    return raise(
                        Exc::Value,
                        cstr!("metaclass was specified multiple times"),
                        None,
                    );
                }
                meta = h2py(param.object);
                // SAFETY: a live handle.
                if meta.is_null() || !unsafe { instance::is_type(meta) } {
                    // SAFETY: setting an exception; %R takes an object.
                    unsafe {
                        ffi::PyErr_Format(
                            ffi::PyExc_TypeError,
                            cstr!("Metaclass '%R' is not a subclass of 'type'."),
                            if meta.is_null() { ffi::py_none() } else { meta },
                        )
                    };
                    return None;
                }
            }
            _ => {
                return raise_named(
                    Exc::Type,
                    cstr!("unknown HPyType_SpecParam specification for '%s'"),
                    name,
                )
            }
        }
        // SAFETY: the terminator was not reached yet.
        p = unsafe { p.add(1) };
    }
    if n_tuple > 1 {
        return raise(
            Exc::Type,
            cstr!("multiple specifications of HPyType_SpecParam_BasesTuple"),
            None,
        );
    }
    if n_tuple == 1 && n_base > 0 {
        return raise(
            Exc::Type,
            cstr!("cannot specify both HPyType_SpecParam_Base and HPyType_SpecParam_BasesTuple"),
            None,
        );
    }
    if n_tuple == 1 {
        // SAFETY: a live handle (or null).
        if tuple.is_null() || !unsafe { ffi::type_has_flag(tuple, ffi::Py_TPFLAGS_TUPLE_SUBCLASS) }
        {
            return raise(
                Exc::Type,
                cstr!("HPyType_SpecParam_BasesTuple must be a tuple of types"),
                None,
            );
        }
        // SAFETY: a live tuple.
        unsafe { ffi::Py_IncRef(tuple) };
        return Some((tuple, meta));
    }
    if n_base == 0 {
        return Some((null_mut(), meta));
    }
    // SAFETY: a new tuple filled with new references to the bases.
    unsafe {
        let t = ffi::PyTuple_New(n_base);
        if t.is_null() {
            return None;
        }
        let (mut i, mut p) = (0isize, params);
        while (*p).kind != 0 {
            if (*p).kind == HPyType_SpecParam_Base {
                let b = h2py((*p).object);
                ffi::Py_IncRef(b);
                ffi::PyTuple_SetItem(t, i, b);
                i = i.saturating_add(1);
            }
            p = p.add(1);
        }
        Some((t, meta))
    }
}

/// The bases a type will have (the items of `bases`, or `object`), as
/// `f(base)` calls; stops at the first None.
unsafe fn for_each_base(
    bases: *mut PyObject,
    mut f: impl FnMut(*mut PyTypeObject) -> Option<()>,
) -> Option<()> {
    if bases.is_null() {
        // SAFETY: only the address of CPython's static `object` is taken.
        return f(unsafe { ffi::PyBaseObject_Type.as_ptr() }.cast::<PyTypeObject>());
    }
    // SAFETY: `bases` is a live object; PyTuple_Size fails (-1) on a non-tuple.
    let n = unsafe { ffi::PyTuple_Size(bases) };
    if n < 0 {
        // SAFETY: dropping the error; PyType_FromSpec reports it.
        unsafe { ffi::PyErr_Clear() };
        return Some(());
    }
    for i in 0..n {
        // SAFETY: a live tuple and an index inside it.
        let b = unsafe { ffi::PyTuple_GetItem(bases, i) };
        // SAFETY: a live object.
        if !b.is_null() && unsafe { instance::is_type(b) } {
            f(b.cast())?;
        }
    }
    Some(())
}

/// Checks that the C struct of the new type does not overlap a base's and
/// is not smaller than an HPy base's; None with TypeError.
unsafe fn check_layout(
    spec: &HPyType_Spec,
    header: isize,
    basicsize: isize,
    bases: *mut PyObject,
) -> Option<()> {
    let name = spec.name;
    // SAFETY: live base types.
    unsafe {
        for_each_base(bases, |b| {
            let base_size = (*tobj(b)).tp_basicsize;
            let base_info = instance::hpy_type_in_chain(b).map(|(_, i)| i);
            if spec.builtin_shape != HPyType_BuiltinShape_Legacy {
                if let Some(bi) = base_info {
                    if bi.shape != spec.builtin_shape {
                        return raise_named(
                            Exc::Type,
                            cstr!("type '%s': its builtin_shape differs from the one of its HPy base type"),
                            name,
                        );
                    }
                } else if spec.basicsize != 0 && base_size > header {
                    ffi::PyErr_Format(
                        ffi::PyExc_TypeError,
                        cstr!("type '%s': the C struct of its builtin_shape starts at byte %zd, inside its base '%s' (basicsize %zd); choose the builtin_shape of the base"),
                        name,
                        header,
                        (*tobj(b)).tp_name,
                        base_size,
                    );
                    return None;
                }
            } else if let Some(bi) = base_info {
                // Even without a struct of its own (basicsize 0): the legacy
                // type's C code sees its instances as a PyObject_HEAD
                // followed by the inherited struct, which a pure type does
                // not put there (HPy 0.9 refuses it alike).
                if bi.shape != HPyType_BuiltinShape_Legacy {
                    return raise(
                        Exc::Type,
                        cstr!(
                            "A legacy type should not inherit its memory layout from a pure type"
                        ),
                        None,
                    );
                }
            }
            if spec.basicsize != 0 && basicsize < base_size {
                ffi::PyErr_Format(
                    ffi::PyExc_TypeError,
                    cstr!("type '%s': its basicsize (%zd with the head) is smaller than the basicsize of its base '%s' (%zd)"),
                    name,
                    basicsize,
                    (*tobj(b)).tp_name,
                    base_size,
                );
                return None;
            }
            Some(())
        })
    }
}

/// `PyType_FromMetaclass` of CPython 3.12+, looked up at run time (the same
/// object code runs on 3.9, which does not have it).
type FromMetaclass = unsafe extern "C" fn(
    *mut PyTypeObject,
    *mut PyObject,
    *mut ffi::PyType_Spec,
    *mut PyObject,
) -> *mut PyObject;

fn from_metaclass() -> Option<FromMetaclass> {
    static CACHE: AtomicPtr<c_void> = AtomicPtr::new(null_mut());
    static LOOKED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if !LOOKED.load(Ordering::Acquire) {
        // SAFETY: dlsym with RTLD_DEFAULT (0 on glibc) and a C string.
        let p = unsafe { ffi::dlsym(null_mut(), cstr!("PyType_FromMetaclass")) };
        CACHE.store(p, Ordering::Relaxed);
        LOOKED.store(true, Ordering::Release);
    }
    let p = CACHE.load(Ordering::Relaxed);
    if p.is_null() {
        None
    } else {
        // SAFETY: the symbol is CPython's PyType_FromMetaclass, of this type.
        Some(unsafe { core::mem::transmute::<*mut c_void, FromMetaclass>(p) })
    }
}

/// Creates the type, with `meta` as its metaclass if given (3.12+:
/// `PyType_FromMetaclass`; before: `from_metaclass_pre312`).
unsafe fn create(
    spec: *mut ffi::PyType_Spec,
    bases: *mut PyObject,
    meta: *mut PyObject,
) -> *mut PyObject {
    if meta.is_null() {
        // SAFETY: a valid spec; bases NULL or a live object.
        return unsafe { ffi::PyType_FromSpecWithBases(spec, bases) };
    }
    if let Some(f) = from_metaclass() {
        // SAFETY: CPython 3.12+'s function with a valid spec.
        return unsafe { f(meta.cast(), null_mut(), spec, bases) };
    }
    // SAFETY: `meta` is a live type (read_params checked it).
    unsafe { from_metaclass_pre312(spec, bases, meta) }
}

/// The fields of `PyHeapTypeObject` after its number, sequence ... method
/// tables, as they are on CPython 3.9 and 3.10 (`ht_module` last); 3.11
/// appends `_ht_tpname` and `_spec_cache` (see `HeapTail311`).
#[repr(C)]
struct HeapTail {
    ht_name: *mut PyObject,
    ht_slots: *mut PyObject,
    ht_qualname: *mut PyObject,
    ht_cached_keys: *mut c_void,
    ht_module: *mut PyObject,
}

/// `HeapTail` as CPython 3.11 has it: `_ht_tpname` is the buffer `tp_name`
/// points to (freed by `type_dealloc`), `_spec_cache.getitem` a borrowed
/// cache of `__getitem__`.
#[repr(C)]
struct HeapTail311 {
    tail: HeapTail,
    ht_tpname: *mut c_char,
    spec_cache_getitem: *mut PyObject,
}

/// Whether the interpreter is CPython 3.11 (it exports `Py_Version`, new in
/// 3.11; only asked where `PyType_FromMetaclass`, new in 3.12, is missing).
fn is_311() -> bool {
    // SAFETY: dlsym with RTLD_DEFAULT and a C string.
    !unsafe { ffi::dlsym(null_mut(), cstr!("Py_Version")) }.is_null()
}

/// `PyType_FromMetaclass` for CPython 3.9 to 3.11, which lack it. A type
/// whose metaclass has the size of `type` (a Python subclass of `type`) is
/// made by `PyType_FromSpecWithBases` and given the metaclass. Otherwise the
/// metaclass has a C struct of its own after `PyHeapTypeObject` (an HPy
/// type of shape `HPyType_BuiltinShape_Type` with a basicsize), so the type
/// object must be allocated by the metaclass: a first type `tmp` is made by
/// `PyType_FromSpecWithBases`; the real one is allocated by the metaclass's
/// `tp_alloc`, takes over `tmp`'s fields and member table (which CPython
/// keeps after the metaclass's struct), and is made ready again by
/// `PyType_Ready`, which builds its own dict, MRO and descriptors; then the
/// dict is made to hold exactly the names `tmp`'s did, and `tmp` is
/// cleared and released (which removes it from its bases' subclasses).
unsafe fn from_metaclass_pre312(
    spec: *mut ffi::PyType_Spec,
    bases: *mut PyObject,
    meta: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: `meta` is a live type; PyType_Type a static one.
    let (m, t) = unsafe {
        (
            &*meta.cast::<TypeObject>(),
            &*ffi::PyType_Type.as_ptr().cast::<TypeObject>(),
        )
    };
    // SAFETY: live types.
    if unsafe { ffi::PyType_IsSubtype(meta.cast(), ffi::PyType_Type.as_ptr().cast()) } == 0 {
        // SAFETY: setting an exception; %R takes an object.
        unsafe {
            ffi::PyErr_Format(
                ffi::PyExc_TypeError,
                cstr!("Metaclass '%R' is not a subclass of 'type'."),
                meta,
            )
        };
        return null_mut();
    }
    if m.tp_new.map(|f| f as usize) != t.tp_new.map(|f| f as usize) {
        return raise(
            Exc::Type,
            cstr!("Metaclasses with custom tp_new are not supported."),
            null_mut(),
        );
    }
    let heap_size = t.tp_basicsize;
    let tail_size = if is_311() {
        size_of::<HeapTail311>()
    } else {
        size_of::<HeapTail>()
    } as isize;
    let tail_off = heap_size - tail_size;
    if m.tp_itemsize != t.tp_itemsize
        || m.tp_basicsize < heap_size
        || tail_off < size_of::<TypeObject>() as isize
    {
        return raise(
            Exc::Type,
            cstr!("HPyType_SpecParam_Metaclass: the metaclass has a layout this CPython cannot create types of"),
            null_mut(),
        );
    }
    // SAFETY: a valid spec; bases NULL or a live object.
    let tmp = unsafe { ffi::PyType_FromSpecWithBases(spec, bases) };
    if tmp.is_null() {
        return null_mut();
    }
    if m.tp_basicsize == heap_size {
        // SAFETY: the new type object has the layout of `type`, which the
        // metaclass shares, and was allocated as `type` allocates (so the
        // metaclass's tp_free, inherited from `type`, frees it); a heap
        // metaclass is owned by its instances (released by its
        // subtype_dealloc), PyType_Type is static.
        unsafe {
            if m.tp_flags & ffi::Py_TPFLAGS_HEAPTYPE != 0 {
                ffi::Py_IncRef(meta);
            }
            (*tmp.cast::<ffi::PyObjectHead>()).ob_type = meta.cast();
        }
        return tmp;
    }
    // SAFETY: `tmp` is a fresh heap type made by PyType_FromSpecWithBases.
    let res = unsafe { move_type(tmp, meta, heap_size, tail_off) };
    // SAFETY: `tmp` no longer owns what `res` took; its dict and MRO (which
    // refer to it) are emptied by type_clear, so our reference is the last
    // and type_dealloc runs now (if something else keeps it, it lives on as
    // an empty type until then).
    unsafe {
        if let Some(clear) = t.tp_clear {
            clear(tmp);
        }
        ffi::Py_DecRef(tmp);
    }
    res
}

/// The second half of `from_metaclass_pre312`: the type object allocated by
/// `meta` that replaces `tmp`. NULL with an exception set.
unsafe fn move_type(
    tmp: *mut PyObject,
    meta: *mut PyObject,
    heap_size: isize,
    tail_off: isize,
) -> *mut PyObject {
    // SAFETY: `tmp` is a type object; its `ob_size` is its member count.
    let n_members = unsafe { (*tmp.cast::<TypeObject>()).ob_size };
    // A tp_new inherited by `tmp` is to be inherited again (PyType_Ready
    // gives a type with a tp_new of its own a `__new__`; `tmp` has none).
    // SAFETY: `tmp` is a ready type with a dict; the key is ours.
    let own_new = unsafe {
        let key = ffi::PyUnicode_FromString(cstr!("__new__"));
        if key.is_null() {
            return null_mut();
        }
        let r = ffi::PyDict_Contains((*tmp.cast::<TypeObject>()).tp_dict, key);
        ffi::Py_DecRef(key);
        if r < 0 {
            return null_mut();
        }
        r == 1
    };
    // SAFETY: `meta` is a live type with a tp_alloc (inherited from type).
    let Some(alloc) = (unsafe { (*meta.cast::<TypeObject>()).tp_alloc }) else {
        return raise(
            Exc::Type,
            cstr!("the metaclass has no tp_alloc"),
            null_mut(),
        );
    };
    // SAFETY: allocating an instance of the metaclass with room for the members.
    let res = unsafe { alloc(meta.cast(), n_members) };
    if res.is_null() {
        return null_mut();
    }
    // Nothing below allocates until PyType_Ready: the GC (which tracks
    // `res` already) does not run before the type is whole.
    // SAFETY: `res` and `tmp` are type objects of at least `heap_size` bytes
    // (the metaclass's basicsize is larger), followed by room for
    // `n_members` PyMemberDefs at their type's basicsize.
    unsafe {
        let meta_size = (*meta.cast::<TypeObject>()).tp_basicsize;
        let item = (*meta.cast::<TypeObject>()).tp_itemsize;
        let head = size_of::<ffi::PyObjectHead>() + size_of::<isize>();
        let (src, dst) = (tmp.cast::<u8>(), res.cast::<u8>());
        // The body of PyHeapTypeObject, not the object head.
        ptr::copy_nonoverlapping(src.add(head), dst.add(head), heap_size as usize - head);
        let src_members = src.offset(heap_size);
        let dst_members = dst.offset(meta_size);
        ptr::copy_nonoverlapping(
            src_members,
            dst_members,
            (n_members.max(0) as usize).saturating_mul(item as usize),
        );
        let tp = &mut *res.cast::<TypeObject>();
        // Pointers into `tmp` itself (its method tables, its members) now
        // point into `res`.
        let inside = |p: *mut c_void| {
            let a = p as usize;
            a >= src as usize && a < src as usize + heap_size as usize
        };
        for f in [
            &mut tp.tp_as_async,
            &mut tp.tp_as_number,
            &mut tp.tp_as_sequence,
            &mut tp.tp_as_mapping,
            &mut tp.tp_as_buffer,
        ] {
            if inside(*f) {
                *f = dst.add(*f as usize - src as usize).cast();
            }
        }
        if tp.tp_members == src_members.cast() {
            tp.tp_members = dst_members.cast();
        }
        // What PyType_Ready builds again, for `res`.
        tp.tp_flags &=
            !(ffi::Py_TPFLAGS_READY | ffi::Py_TPFLAGS_READYING | ffi::Py_TPFLAGS_VALID_VERSION_TAG);
        tp.tp_dict = null_mut();
        tp.tp_mro = null_mut();
        tp.tp_cache = null_mut();
        tp.tp_subclasses = null_mut();
        tp.tp_weaklist = null_mut();
        tp.tp_version_tag = 0;
        if !own_new {
            tp.tp_new = None;
        }
        // Shared with `tmp`: the bases (its dealloc removes it from their
        // subclasses). Taken from `tmp` (which frees what it still holds):
        // the names, the doc, the dict keys cache, 3.11's name buffer.
        ffi::Py_IncRef(tp.tp_bases);
        ffi::Py_IncRef(tp.tp_base.cast());
        (*tmp.cast::<TypeObject>()).tp_doc = ptr::null();
        let src_tail = src.offset(tail_off);
        let dst_tail = dst.offset(tail_off);
        let st = &mut *src_tail.cast::<HeapTail>();
        st.ht_name = null_mut();
        st.ht_qualname = null_mut();
        st.ht_slots = null_mut();
        st.ht_cached_keys = null_mut();
        st.ht_module = null_mut();
        if tail_off + size_of::<HeapTail311>() as isize == heap_size {
            let st = &mut *src_tail.cast::<HeapTail311>();
            st.ht_tpname = null_mut();
            (*tmp.cast::<TypeObject>()).tp_name = cstr!("<HPy type being made>");
            (*dst_tail.cast::<HeapTail311>()).spec_cache_getitem = null_mut();
        }
    }
    // SAFETY: `res` is a whole heap type that is not ready; if this fails,
    // its dealloc releases what it holds.
    if unsafe { ffi::PyType_Ready(res.cast()) } < 0 || unsafe { same_names(res, tmp) }.is_none() {
        // SAFETY: our reference.
        unsafe { ffi::Py_DecRef(res) };
        return null_mut();
    }
    res
}

/// Makes the dict of `res` (just made ready) hold the names that of `tmp`
/// holds: PyType_Ready gave `res` wrappers for the slots that `tmp`
/// inherited (which have none of their own), and `tmp` has `__module__`.
unsafe fn same_names(res: *mut PyObject, tmp: *mut PyObject) -> Option<()> {
    // SAFETY: two ready types with dicts.
    let (rd, td) = unsafe {
        (
            (*res.cast::<TypeObject>()).tp_dict,
            (*tmp.cast::<TypeObject>()).tp_dict,
        )
    };
    // SAFETY: live dicts; every key and value is used while owned.
    unsafe {
        for (from, to, add) in [(rd, td, false), (td, rd, true)] {
            let keys = ffi::PyDict_Keys(from);
            if keys.is_null() {
                return None;
            }
            let n = ffi::PyList_Size(keys);
            for i in 0..n {
                let k = ffi::PyList_GetItem(keys, i);
                let r = ffi::PyDict_Contains(to, k);
                let ok = match (r, add) {
                    (0, false) => ffi::PyDict_DelItem(from, k) == 0,
                    (0, true) => {
                        let v = ffi::PyDict_GetItemWithError(from, k);
                        !v.is_null() && ffi::PyDict_SetItem(to, k, v) == 0
                    }
                    (1, _) => true,
                    _ => false,
                };
                if !ok {
                    ffi::Py_DecRef(keys);
                    return None;
                }
            }
            ffi::Py_DecRef(keys);
        }
        ffi::PyType_Modified(res.cast());
    }
    Some(())
}

/// Allocates a zeroed array of `n` `T`s plus a zeroed terminator; None with
/// MemoryError.
fn alloc_table<T>(n: usize) -> Option<*mut T> {
    let bytes = n.checked_add(1)?.checked_mul(size_of::<T>())?;
    // SAFETY: plain zeroed allocation.
    let p = unsafe { ffi::PyMem_Calloc(1, bytes) }.cast::<T>();
    if p.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return None;
    }
    Some(p)
}

/// `HPyType_FromSpec`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Type_FromSpec(
    ctx: *mut HPyContext,
    spec: *mut HPyType_Spec,
    params: *mut HPyType_SpecParam,
) -> HPy {
    if spec.is_null() {
        return raise(Exc::System, cstr!("HPyType_FromSpec: NULL spec"), HPy::NULL);
    }
    // SAFETY: the extension's spec.
    let spec = unsafe { &*spec };
    if spec.name.is_null() {
        return raise(
            Exc::System,
            cstr!("HPyType_FromSpec: the spec has no name"),
            HPy::NULL,
        );
    }
    let allow_legacy = ctx != PURE_UNIVERSAL_CTX.load(Ordering::Relaxed);
    // SAFETY: GIL held.
    unsafe { instance::learn_subtype_dealloc() };
    // SAFETY: as documented for the steps.
    let Some(s) = (unsafe { scan(spec, allow_legacy) }) else {
        return HPy::NULL;
    };
    // SAFETY: the extension's params array (or NULL).
    let Some((bases, meta)) = (unsafe { read_params(params, spec.name) }) else {
        return HPy::NULL;
    };
    // SAFETY: as documented for `build`.
    let result = unsafe { build(spec, &s, bases, meta) };
    // SAFETY: our reference to the bases tuple (or NULL).
    unsafe { ffi::Py_DecRef(bases) };
    py2h(result)
}

/// The part of `ctx_Type_FromSpec` after the checks of the spec and params.
unsafe fn build(
    spec: &HPyType_Spec,
    s: &Scan,
    bases: *mut PyObject,
    meta: *mut PyObject,
) -> *mut PyObject {
    let name = spec.name;
    let Some(header) = instance::header_size(spec.builtin_shape) else {
        // SAFETY: setting an exception; %d takes an int.
        unsafe {
            ffi::PyErr_Format(
                ffi::PyExc_ValueError,
                cstr!("invalid shape: %d"),
                spec.builtin_shape as c_int,
            )
        };
        return null_mut();
    };
    // The items (digits, elements) of int and tuple objects start inside
    // the C struct of the built-in and run on for as many items as the
    // object has, so a C struct at HPy's offset shares memory with all items
    // but the first few. HPy 0.9 allows such types; so do we, but every
    // instance comes from our tp_alloc (`hpy_alloc` refuses an int or tuple
    // too large to leave the struct alone). HPy subclasses inherit it; the
    // tp_alloc of a Python subclass (PyType_GenericAlloc, set by type_new)
    // is replaced by `hpy_tp_new`, the constructor of such a base type,
    // before it makes the subclass's first instance.
    let items_share_struct = spec.basicsize != 0
        && (spec.builtin_shape == HPyType_BuiltinShape_Long
            || spec.builtin_shape == HPyType_BuiltinShape_Tuple);
    let guard_new = items_share_struct && spec.flags & HPy_TPFLAGS_BASETYPE != 0;
    if spec.basicsize < 0 || spec.itemsize < 0 {
        return raise(
            Exc::Value,
            cstr!("HPyType_Spec: negative basicsize or itemsize"),
            null_mut(),
        );
    }
    if spec.basicsize == 0
        && s.members > s.vectorcall_member.map_or(0, |_| 1)
        && spec.builtin_shape != HPyType_BuiltinShape_Legacy
    {
        return raise(
            Exc::Type,
            cstr!("Type claims to have basicsize==0 but defines members"),
            null_mut(),
        );
    }
    let mut basicsize: isize = if spec.basicsize == 0 {
        0
    } else {
        match header.checked_add(spec.basicsize as isize) {
            Some(b) => b,
            None => {
                return raise(
                    Exc::Overflow,
                    cstr!("HPyType_Spec.basicsize is too large"),
                    null_mut(),
                )
            }
        }
    };
    // SAFETY: live bases.
    if unsafe { check_layout(spec, header, basicsize, bases) }.is_none() {
        return null_mut();
    }
    let mut flags = spec.flags;
    // The hidden call-function slot (HPy_tp_call, or a vectorcall type
    // without an explicit __vectorcalloffset__ member).
    let mut vectorcall_offset: isize = 0;
    let wants_slot = s.call.is_some() || flags & (ffi::Py_TPFLAGS_HAVE_VECTORCALL as c_ulong) != 0;
    if let Some(off) = s.vectorcall_member {
        if s.call.is_some() {
            return raise(
                Exc::Type,
                cstr!("Cannot have HPy_tp_call and explicit member '__vectorcalloffset__'. Specify just one of them."),
                null_mut(),
            );
        }
        vectorcall_offset = off.saturating_add(header);
    } else if wants_slot {
        if s.call.is_some()
            && spec.builtin_shape == HPyType_BuiltinShape_Legacy
            && spec.basicsize == 0
        {
            // A legacy type that inherits its struct may get instances made
            // by C code that knows nothing of the hidden slot (HPy 0.9 also
            // refuses this).
            return raise_named(
                Exc::Type,
                cstr!("type '%s': a legacy type with basicsize 0 (which inherits its C struct) cannot use \
                       HPy_tp_call: give it a basicsize, or use the legacy slot Py_tp_call"),
                name,
            )
            .unwrap_or(null_mut());
        }
        if spec.itemsize != 0 {
            return raise(
                Exc::Type,
                cstr!("Cannot use HPy call protocol with var objects"),
                null_mut(),
            );
        }
        let mut start = if basicsize != 0 { basicsize } else { header };
        // SAFETY: live bases.
        unsafe {
            for_each_base(bases, |b| {
                start = start.max((*tobj(b)).tp_basicsize);
                Some(())
            })
        };
        let Some(off) = round_up(start, size_of::<usize>() as isize) else {
            return raise(
                Exc::Overflow,
                cstr!("HPyType_Spec.basicsize is too large"),
                null_mut(),
            );
        };
        vectorcall_offset = off;
        basicsize = off.saturating_add(size_of::<usize>() as isize);
    }
    if vectorcall_offset > 0 {
        flags |= ffi::Py_TPFLAGS_HAVE_VECTORCALL as c_ulong;
    }
    let (Ok(c_basicsize), Ok(c_flags)) = (c_int::try_from(basicsize), c_uint::try_from(flags))
    else {
        return raise(
            Exc::Overflow,
            cstr!("HPyType_Spec: basicsize or flags out of range"),
            null_mut(),
        );
    };

    // The tables: methods | members | getsets, one block (kept by the type).
    let n_methods = s.methods.saturating_add(s.legacy_methods.1);
    let n_members = s
        .members
        .saturating_add(s.legacy_members.1)
        .saturating_add(usize::from(
            vectorcall_offset > 0 && s.vectorcall_member.is_none(),
        ));
    let n_getsets = s.getsets.saturating_add(s.legacy_getsets.1);
    let offsets = (|| {
        let m = n_methods
            .checked_add(1)?
            .checked_mul(size_of::<PyMethodDef>())?;
        let mb = n_members
            .checked_add(1)?
            .checked_mul(size_of::<PyMemberDef>())?;
        let g = n_getsets
            .checked_add(1)?
            .checked_mul(size_of::<PyGetSetDef>())?;
        Some((m, m.checked_add(mb)?, m.checked_add(mb)?.checked_add(g)?))
    })();
    let Some((members_off, getsets_off, total)) = offsets else {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return null_mut();
    };
    // SAFETY: plain zeroed allocation (every terminator is already there).
    let block = unsafe { ffi::PyMem_Calloc(1, total) }.cast::<u8>();
    if block.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return null_mut();
    }
    // SAFETY: the offsets are inside the block and aligned (every entry is
    // made of pointer-aligned fields).
    let (methods, members, getsets) = unsafe {
        (
            block.cast::<PyMethodDef>(),
            block.add(members_off).cast::<PyMemberDef>(),
            block.add(getsets_off).cast::<PyGetSetDef>(),
        )
    };
    let (mut mi, mut bi, mut gi) = (0usize, 0usize, 0usize);
    let member_base = if spec.builtin_shape == HPyType_BuiltinShape_Legacy {
        0
    } else {
        header
    };
    if vectorcall_offset > 0 && s.vectorcall_member.is_none() {
        // SAFETY: entry 0 of the members table exists (counted above).
        unsafe {
            members.write(PyMemberDef {
                name: cstr!("__vectorcalloffset__"),
                type_code: ffi::T_PYSSIZET,
                offset: vectorcall_offset,
                flags: ffi::READONLY,
                doc: ptr::null(),
            })
        };
        bi = 1;
    }
    let fill = |d: &HPyDef| {
        // SAFETY: each write is at an index below the count made by `scan`
        // over the same defines; the kind says which union member is used.
        unsafe {
            match d.kind {
                HPyDef_Kind_Meth if mi < s.methods => {
                    let m = &d.u.meth;
                    methods.add(mi).write(PyMethodDef {
                        ml_name: m.name,
                        ml_meth: m.cpy_trampoline.map_or(null_mut(), |f| f as *mut c_void),
                        ml_flags: method_flags(m.signature).unwrap_or(0),
                        ml_doc: m.doc,
                    });
                    mi = mi.saturating_add(1);
                }
                HPyDef_Kind_Member if bi < n_members => {
                    let m = &d.u.member;
                    members.add(bi).write(PyMemberDef {
                        name: m.name,
                        type_code: m.type_ as c_int,
                        offset: m.offset.saturating_add(member_base),
                        flags: if m.readonly != 0 { ffi::READONLY } else { 0 },
                        doc: m.doc,
                    });
                    bi = bi.saturating_add(1);
                }
                HPyDef_Kind_GetSet if gi < s.getsets => {
                    let g = &d.u.getset;
                    getsets.add(gi).write(PyGetSetDef {
                        name: g.name,
                        get: g
                            .getter_cpy_trampoline
                            .map_or(null_mut(), |f| f as *mut c_void),
                        set: g
                            .setter_cpy_trampoline
                            .map_or(null_mut(), |f| f as *mut c_void),
                        doc: g.doc,
                        closure: g.closure,
                    });
                    gi = gi.saturating_add(1);
                }
                _ => {}
            }
        }
        Some(())
    };
    // SAFETY: the defines that `scan` accepted.
    unsafe { for_each_define(spec.defines, fill) };
    // SAFETY: the legacy tables have the counted entries; the HPy entries
    // come first, then these.
    unsafe {
        if s.legacy_methods.1 > 0 {
            ptr::copy_nonoverlapping(s.legacy_methods.0, methods.add(mi), s.legacy_methods.1);
        }
        if s.legacy_members.1 > 0 {
            ptr::copy_nonoverlapping(s.legacy_members.0, members.add(bi), s.legacy_members.1);
        }
        if s.legacy_getsets.1 > 0 {
            ptr::copy_nonoverlapping(s.legacy_getsets.0, getsets.add(gi), s.legacy_getsets.1);
        }
    }

    // The slots: HPy ones, doc, legacy ones, then ours; freed after creation.
    const EXTRA: usize = 10;
    let Some(slots) = alloc_table::<ffi::PyType_Slot>(
        s.slots.saturating_add(s.legacy_slots).saturating_add(EXTRA),
    ) else {
        // SAFETY: our block, not used by anything yet.
        unsafe { ffi::PyMem_Free(block.cast()) };
        return null_mut();
    };
    let cap = s.slots.saturating_add(s.legacy_slots).saturating_add(EXTRA);
    let mut si = 0usize;
    let mut push = |slot: c_int, pfunc: *mut c_void| {
        if si < cap {
            // SAFETY: `si` is below the table's size.
            unsafe { slots.add(si).write(ffi::PyType_Slot { slot, pfunc }) };
            si = si.saturating_add(1);
        }
    };
    let push_hpy = |d: &HPyDef, push: &mut dyn FnMut(c_int, *mut c_void)| {
        if d.kind == HPyDef_Kind_Slot {
            // SAFETY: a slot define (checked by scan).
            let sl = unsafe { &d.u.slot };
            match sl.slot {
                HPy_tp_destroy | HPy_tp_call => {}
                HPy_tp_new => push(ffi::Py_tp_new, instance::hpy_tp_new as *mut c_void),
                other => push(
                    other as c_int,
                    sl.cpy_trampoline.map_or(null_mut(), |f| f as *mut c_void),
                ),
            }
        }
        Some(())
    };
    // SAFETY: the defines that `scan` accepted.
    unsafe { for_each_define(spec.defines, |d| push_hpy(d, &mut push)) };
    if !spec.doc.is_null() {
        push(ffi::Py_tp_doc, spec.doc.cast_mut().cast());
    }
    push(ffi::Py_tp_dealloc, instance::hpy_dealloc as *mut c_void);
    if s.traverse.is_some() {
        push(ffi::Py_tp_clear, instance::hpy_clear as *mut c_void);
    }
    if vectorcall_offset > 0 || items_share_struct {
        push(ffi::Py_tp_alloc, instance::hpy_alloc as *mut c_void);
    }
    if vectorcall_offset > 0 {
        push(ffi::Py_tp_call, ffi::PyVectorcall_Call as *mut c_void);
    }
    if s.new.is_none() && ((vectorcall_offset > 0 && s.call.is_some()) || guard_new) {
        // gives instances made by the base's tp_new the default call, and
        // Python subclasses of an int or tuple type with a struct our tp_alloc
        push(ffi::Py_tp_new, instance::hpy_tp_new as *mut c_void);
    }
    if !spec.legacy_slots.is_null() {
        let mut p = spec.legacy_slots.cast::<ffi::PyType_Slot>();
        // SAFETY: the legacy slot array that `scan` walked.
        unsafe {
            while (*p).slot != 0 {
                let sl = *p;
                if sl.slot != ffi::Py_tp_methods
                    && sl.slot != ffi::Py_tp_members
                    && sl.slot != ffi::Py_tp_getset
                {
                    push(sl.slot, sl.pfunc);
                }
                p = p.add(1);
            }
        }
    }
    push(ffi::Py_tp_methods, methods.cast());
    push(ffi::Py_tp_members, members.cast());
    push(ffi::Py_tp_getset, getsets.cast());

    let mut pyspec = ffi::PyType_Spec {
        name,
        basicsize: c_basicsize,
        itemsize: spec.itemsize,
        flags: c_flags,
        slots,
    };
    // SAFETY: a complete spec; bases and meta as read from the params.
    let t = unsafe { create(&mut pyspec, bases, meta) };
    // SAFETY: CPython copied what it needs from the slot table.
    unsafe { ffi::PyMem_Free(slots.cast()) };
    if t.is_null() {
        // SAFETY: no type refers to the tables.
        unsafe { ffi::PyMem_Free(block.cast()) };
        return null_mut();
    }
    // SAFETY: `t` is the new type.
    if unsafe {
        install_info(
            t,
            spec,
            s,
            header,
            vectorcall_offset,
            guard_new,
            block.cast(),
        )
    }
    .is_none()
    {
        // SAFETY: dropping the new type (its tables leak: descriptors may
        // still point to them).
        unsafe { ffi::Py_DecRef(t) };
        return null_mut();
    }
    // SAFETY: `t` is the new HPy type; no instance exists yet.
    unsafe { instance::use_plain_dealloc(t.cast()) };
    let hook = TYPE_MADE_HOOK.load(Ordering::Acquire);
    if hook.is_null() {
        // The CPython ABI (no runtime installed a hook): its tp_new
        // trampolines check their result themselves.
        // SAFETY: `t` is the new HPy type; no instance exists yet.
        unsafe { instance::use_direct_new(t.cast()) };
    } else {
        // SAFETY: only `set_type_made_hook` stores here, a `TypeMadeHook`;
        // `t` is the new type made from `spec`.
        unsafe { core::mem::transmute::<*mut c_void, TypeMadeHook>(hook)(t, spec) };
    }
    t
}

/// A function that `HPyType_FromSpec` calls with each type it made and its
/// spec, before it returns the type (see `set_type_made_hook`).
pub type TypeMadeHook = unsafe fn(*mut PyObject, &HPyType_Spec);

/// The function `set_type_made_hook` installed, or NULL.
static TYPE_MADE_HOOK: AtomicPtr<c_void> = AtomicPtr::new(null_mut());

/// Makes `HPyType_FromSpec` call `hook` with each new type (a new reference
/// it must not release) and its spec, before any instance exists: the
/// universal runtime gives the type's slots and methods its direct call
/// paths there. It may not fail (nor leave an exception set). Not used in
/// the CPython ABI.
pub fn set_type_made_hook(hook: TypeMadeHook) {
    TYPE_MADE_HOOK.store(hook as *mut c_void, Ordering::Release);
}

/// Gives the new type `t` its `TypeInfo` (see instance.rs).
unsafe fn install_info(
    t: *mut PyObject,
    spec: &HPyType_Spec,
    s: &Scan,
    header: isize,
    vectorcall_offset: isize,
    guard_new: bool,
    block: *mut c_void,
) -> Option<()> {
    let tp = t.cast::<ffi::TypeObject>();
    // SAFETY: `t` is a live type made just now.
    let (basicsize, base) = unsafe { ((*tp).tp_basicsize, (*tp).tp_base) };
    // Inherited from an HPy base: its call function and its slot.
    // The constructor `hpy_tp_new` calls: HPy_tp_new's trampoline, or the
    // base's tp_new for a type with a call function only.
    let user_new = match (s.new, s.call, vectorcall_offset) {
        (Some(n), _, _) => Some(n),
        (None, call, off) if ((call.is_some() && off > 0) || guard_new) && !base.is_null() => {
            // SAFETY: a live base type. An HPy base's hpy_tp_new is found by
            // the chain walk of hpy_tp_new itself.
            unsafe { (*tobj(base)).tp_new }
                .filter(|n| *n as usize != instance::hpy_tp_new as *const () as usize)
        }
        _ => None,
    };
    let base_info = if base.is_null() {
        None
    } else {
        // SAFETY: a live type chain.
        unsafe { instance::hpy_type_in_chain(base) }.map(|(_, i)| i)
    };
    let (default_call, vc_offset) = match (s.call, vectorcall_offset, base_info) {
        (None, 0, Some(bi)) => (bi.default_call, bi.vectorcall_offset),
        (call, off, _) => (call, off),
    };
    // SAFETY: plain allocation.
    let info = unsafe { ffi::PyMem_Malloc(size_of::<TypeInfo>()) }.cast::<TypeInfo>();
    if info.is_null() {
        // SAFETY: setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return None;
    }
    // SAFETY: a new allocation of the right size.
    unsafe {
        info.write(TypeInfo {
            magic: instance::TYPE_INFO_MAGIC,
            shape: spec.builtin_shape,
            header,
            basicsize,
            traverse: s.traverse,
            destroy: s.destroy,
            user_new,
            default_call,
            vectorcall_offset: vc_offset,
            defs_block: block,
            new_watch: AtomicPtr::new(null_mut()),
        })
    };
    // SAFETY: our TypeInfo; the capsule frees it (and the tables) when the
    // type releases it.
    let capsule = unsafe {
        ffi::PyCapsule_New(
            info.cast(),
            instance::info_capsule_name(),
            Some(instance::free_info),
        )
    };
    if capsule.is_null() {
        // SAFETY: ours; the tables stay (the type points to them).
        unsafe { ffi::PyMem_Free(info.cast()) };
        return None;
    }
    // SAFETY: tp_cache is unused by CPython (see instance.rs); a type made
    // by PyType_FromSpec has it NULL.
    unsafe {
        ffi::Py_DecRef((*tp).tp_cache);
        (*tp).tp_cache = capsule;
    }
    Some(())
}
