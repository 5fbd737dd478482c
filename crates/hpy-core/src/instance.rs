//! Instances of HPy types: where the C struct of an instance lives, how an
//! HPy type is recognised, and the functions that CPython calls on every
//! instance (`tp_dealloc`, `tp_clear`, `tp_traverse`, `tp_alloc`,
//! `tp_new`). Shared by both ABIs. The types themselves are made by
//! `type_spec.rs`.
//!
//! # Layout
//!
//! The C struct of a pure HPy type (`HPyType_BuiltinShape_Object`, `Long`
//! ...) does not contain the head of its built-in base: it follows that head,
//! at the offset HPy 0.9 documents, the size of the built-in base's C struct
//! rounded up to the largest alignment of a C scalar (16 bytes). So it is at
//! byte 16 for `object` (`PyObject_HEAD`), at 32 for `int`, `float` and
//! `tuple`, at 48 for `list` and `dict`, after `PyHeapTypeObject` for
//! `type`. A legacy type (`HPyType_BuiltinShape_Legacy`) starts with
//! `PyObject_HEAD` itself: its struct is the object.
//!
//! # Recognising HPy types
//!
//! No bit of `tp_flags` is used (CPython gives them meanings of its own).
//! Each HPy type carries a [`TypeInfo`] in a capsule stored in its
//! `tp_cache` field, which CPython no longer uses for anything and releases
//! with the type (up to 3.11; on 3.12+ the small capsule is leaked when a
//! type dies). A type is an HPy type if `tp_cache` is a capsule whose
//! pointer is a `TypeInfo` with our magic number: a check of a few loads
//! that works across extensions (each CPython-ABI extension has its own copy
//! of this code) and never sets an exception.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::{self, null_mut};
use core::sync::atomic::{AtomicIsize, AtomicPtr, Ordering};

use hpy_sys::*;

use crate::ffi::{self, cstr, PyObject, PyTypeObject, TypeObject};
use crate::{h2py, py2h};

/// `TypeInfo::magic`: identifies a `TypeInfo` (and its layout version).
pub const TYPE_INFO_MAGIC: u64 = 0x6870_795f_7273_0001; // "hpy_rs" v1

/// The largest alignment of a C scalar type (`long double`): HPy 0.9 puts
/// the C struct of a pure type at a multiple of it.
pub const MAX_ALIGN: isize = 16;

/// The visitor an HPy traverse function receives.
pub type HPyVisit = HPyFunc_visitproc;
/// An HPy traverse function.
pub type HPyTraverse = HPyFunc_traverseproc;
/// An HPy destroy function.
pub type HPyDestroy = HPyFunc_destroyfunc;

/// What hpy-core knows of an HPy type beyond what CPython stores.
#[repr(C)]
pub struct TypeInfo {
    pub magic: u64,
    pub shape: HPyType_BuiltinShape,
    /// Offset of the C struct in an instance (0 for legacy types).
    pub header: isize,
    /// `tp_basicsize` of the type when it was made.
    pub basicsize: isize,
    /// `HPy_tp_traverse` implementation, if any.
    pub traverse: Option<HPyTraverse>,
    /// `HPy_tp_destroy` implementation, if any.
    pub destroy: Option<HPyDestroy>,
    /// The CPython-facing trampoline of `HPy_tp_new` (wrapped by `hpy_tp_new`).
    pub user_new: Option<ffi::newfunc>,
    /// The call function that every new instance gets (`HPy_tp_call`).
    pub default_call: Option<ffi::vectorcallfunc>,
    /// Where each instance keeps its call function (0: nowhere).
    pub vectorcall_offset: isize,
    /// The heap block of `PyMethodDef`/`PyMemberDef`/`PyGetSetDef` tables
    /// that the type's descriptors point to; freed with this info.
    pub defs_block: *mut c_void,
    /// A weak reference to the type that empties the cache of `ctx_New`
    /// when the type dies (see NewCache); NULL until the type is first
    /// cached. Only the copy of hpy-core that made the info reads it.
    pub new_watch: AtomicPtr<PyObject>,
}

/// The name of the capsules that hold a `TypeInfo`.
pub fn info_capsule_name() -> *const c_char {
    cstr!("hpy-rs type info")
}

/// Rounds `n` up to a multiple of `align` (a power of two); None on overflow.
#[inline]
pub fn round_up(n: isize, align: isize) -> Option<isize> {
    Some(n.checked_add(align.checked_sub(1)?)? & !(align.checked_sub(1)?))
}

/// The `TypeObject` view of a type pointer.
#[inline(always)]
pub fn tobj(t: *mut PyTypeObject) -> *mut TypeObject {
    t.cast()
}

/// The `TypeInfo` of `t` if it is an HPy type made by any copy of hpy-core.
///
/// # Safety
/// `t` is a live type object.
#[inline]
pub unsafe fn info_of(t: *mut PyTypeObject) -> Option<&'static TypeInfo> {
    // SAFETY: `t` is a live type; tp_cache is NULL or an object (see the
    // module documentation); a capsule has the CapsuleObject layout; a
    // TypeInfo lives as long as its capsule, which the type holds.
    unsafe {
        let cache = (*tobj(t)).tp_cache;
        if cache.is_null()
            || ffi::py_type(cache) != ffi::PyCapsule_Type.as_ptr().cast::<PyTypeObject>()
        {
            return None;
        }
        let info = (*cache.cast::<ffi::CapsuleObject>())
            .pointer
            .cast::<TypeInfo>();
        if info.is_null() || (*info).magic != TYPE_INFO_MAGIC {
            return None;
        }
        Some(&*info)
    }
}

/// The nearest HPy type in the `tp_base` chain of `t` (`t` itself first),
/// with its info.
///
/// # Safety
/// `t` is a live type object.
pub unsafe fn hpy_type_in_chain(
    mut t: *mut PyTypeObject,
) -> Option<(*mut PyTypeObject, &'static TypeInfo)> {
    while !t.is_null() {
        // SAFETY: `t` is a live type (the chain of a live type).
        if let Some(info) = unsafe { info_of(t) } {
            return Some((t, info));
        }
        // SAFETY: as above.
        t = unsafe { (*tobj(t)).tp_base };
    }
    None
}

/// The offset of the C struct of a pure type of `shape` (see the module
/// documentation); None for an unknown shape. Legacy gives 0.
pub fn header_size(shape: HPyType_BuiltinShape) -> Option<isize> {
    // SAFETY: only the addresses of CPython's static type objects are taken.
    let base: *mut TypeObject = unsafe {
        match shape {
            HPyType_BuiltinShape_Legacy => return Some(0),
            HPyType_BuiltinShape_Object => {
                return round_up(
                    core::mem::size_of::<ffi::PyObjectHead>() as isize,
                    MAX_ALIGN,
                )
            }
            HPyType_BuiltinShape_Type => ffi::PyType_Type.as_ptr().cast(),
            HPyType_BuiltinShape_Long => ffi::PyLong_Type.as_ptr().cast(),
            HPyType_BuiltinShape_Float => ffi::PyFloat_Type.as_ptr().cast(),
            HPyType_BuiltinShape_Unicode => ffi::PyUnicode_Type.as_ptr().cast(),
            HPyType_BuiltinShape_Tuple => ffi::PyTuple_Type.as_ptr().cast(),
            HPyType_BuiltinShape_List => ffi::PyList_Type.as_ptr().cast(),
            HPyType_BuiltinShape_Dict => ffi::PyDict_Type.as_ptr().cast(),
            _ => return None,
        }
    };
    // SAFETY: static built-in type objects of the running interpreter.
    let (basicsize, itemsize) = unsafe { ((*base).tp_basicsize, (*base).tp_itemsize) };
    // The C struct of a variable-size built-in (int, tuple) declares one
    // item; `type`'s items (its members) are not part of PyHeapTypeObject.
    let c_size = if shape == HPyType_BuiltinShape_Type || itemsize <= 0 {
        basicsize
    } else {
        basicsize.checked_add(itemsize)?
    };
    round_up(c_size, MAX_ALIGN)
}

/// The C struct of the instance `obj` of an HPy type (or of a subclass of
/// one); `obj` itself for other objects.
///
/// # Safety
/// `obj` is a live object.
pub unsafe fn object_data(obj: *mut PyObject) -> *mut c_void {
    // SAFETY: a live object has a live type.
    let header = unsafe { hpy_type_in_chain(ffi::py_type(obj)) }.map_or(0, |(_, i)| i.header);
    obj.cast::<u8>().wrapping_offset(header).cast()
}

/// The exception classes that type creation raises.
#[derive(Clone, Copy)]
pub enum Exc {
    Type,
    Value,
    System,
    Overflow,
}

impl Exc {
    /// The exception class.
    pub fn get(self) -> *mut PyObject {
        // SAFETY: reading CPython's exception pointers, set at start-up.
        unsafe {
            match self {
                Exc::Type => ffi::PyExc_TypeError,
                Exc::Value => ffi::PyExc_ValueError,
                Exc::System => ffi::PyExc_SystemError,
                Exc::Overflow => ffi::PyExc_OverflowError,
            }
        }
    }
}

/// Sets `exc` with a static message (a `cstr!`) and returns `err`.
#[inline(never)]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // `message` is always a static cstr!
pub fn raise<T>(exc: Exc, message: *const c_char, err: T) -> T {
    // SAFETY: setting an exception with a static message, GIL held.
    unsafe { ffi::PyErr_SetString(exc.get(), message) };
    err
}

/// Whether `o` is a type object.
///
/// # Safety
/// `o` is a live object.
#[inline]
pub unsafe fn is_type(o: *mut PyObject) -> bool {
    // SAFETY: as documented.
    unsafe { ffi::type_has_flag(o, ffi::Py_TPFLAGS_TYPE_SUBCLASS) }
}

// ~~~ the accessors of the C struct ~~~

#[inline(always)]
unsafe fn as_struct(h: HPy, shape: HPyType_BuiltinShape) -> *mut c_void {
    let obj = h2py(h);
    if obj.is_null() {
        return null_mut();
    }
    let header = header_size(shape).unwrap_or(0);
    obj.cast::<u8>().wrapping_offset(header).cast()
}

/// `_HPy_AsStruct_Object`: the C struct of an instance of a type of shape Object.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Object(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: `h` is a live handle (or null).
    unsafe { as_struct(h, HPyType_BuiltinShape_Object) }
}

/// `_HPy_AsStruct_Legacy`: a legacy struct is the object itself.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Legacy(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    h2py(h).cast()
}

/// `_HPy_AsStruct_Type`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Type(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Type) }
}

/// `_HPy_AsStruct_Long`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Long(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Long) }
}

/// `_HPy_AsStruct_Float`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Float(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Float) }
}

/// `_HPy_AsStruct_Unicode`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Unicode(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Unicode) }
}

/// `_HPy_AsStruct_Tuple`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Tuple(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Tuple) }
}

/// `_HPy_AsStruct_List`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_List(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_List) }
}

/// `_HPy_AsStruct_Dict`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_AsStruct_Dict(_ctx: *mut HPyContext, h: HPy) -> *mut c_void {
    // SAFETY: as ctx_AsStruct_Object.
    unsafe { as_struct(h, HPyType_BuiltinShape_Dict) }
}

// ~~~ allocation ~~~

/// Zeroes the C struct of a new instance `obj` of the HPy type `info`
/// describes (the memory that tp_alloc gave but may not have cleared) and
/// gives it the type's default call function.
///
/// # Safety
/// `obj` is a new instance of the HPy type of `info` (or of a subclass).
unsafe fn init_instance(obj: *mut PyObject, info: &TypeInfo) {
    if info.shape != HPyType_BuiltinShape_Legacy && info.basicsize > info.header {
        let len = info.basicsize.wrapping_sub(info.header) as usize;
        // SAFETY: [header, basicsize) is the HPy part of every instance of
        // the type and of its subclasses (whose basicsize is not smaller).
        unsafe { ptr::write_bytes(obj.cast::<u8>().offset(info.header), 0, len) };
    }
    if info.vectorcall_offset > 0 {
        // SAFETY: as documented.
        unsafe { set_default_call(obj, info) };
    }
}

/// Gives the new instance `obj` the type's default call function.
///
/// # Safety
/// As `init_instance`; `info.vectorcall_offset` > 0.
#[inline]
unsafe fn set_default_call(obj: *mut PyObject, info: &TypeInfo) {
    // SAFETY: the type reserved a pointer-sized slot at this offset.
    unsafe {
        obj.cast::<u8>()
            .offset(info.vectorcall_offset)
            .cast::<Option<ffi::vectorcallfunc>>()
            .write_unaligned(info.default_call)
    };
}

/// Allocates an instance of `t` through its `tp_alloc` and initialises its
/// HPy part. Returns a new reference or NULL with an exception set.
///
/// # Safety
/// `t` is a live type; `info` the info of the HPy type in its chain.
unsafe fn alloc_instance(t: *mut PyTypeObject, info: &TypeInfo) -> *mut PyObject {
    // SAFETY: `t` is a live type.
    let alloc = unsafe { (*tobj(t)).tp_alloc }.map(|a| (a, a as usize));
    match alloc {
        // Our tp_alloc initialises the HPy part itself.
        Some((a, addr)) if addr == hpy_alloc as *const () as usize => {
            // SAFETY: `t` is a live type whose tp_alloc this is.
            unsafe { a(t, 0) }
        }
        // A custom tp_alloc may not clear the memory it gives.
        Some((a, addr)) if addr != ffi::PyType_GenericAlloc as *const () as usize => {
            // SAFETY: `t` is a live type whose tp_alloc this is.
            let obj = unsafe { a(t, 0) };
            if !obj.is_null() {
                // SAFETY: a new instance of `t`.
                unsafe { init_instance(obj, info) };
            }
            obj
        }
        // The generic allocation zeroes the whole object: only the call
        // function is left to set. (A NULL tp_alloc, which CPython does not
        // leave in ready types, falls back to it.)
        _ => {
            // SAFETY: `t` is a live type.
            let obj = unsafe { ffi::PyType_GenericAlloc(t, 0) };
            if !obj.is_null() && info.vectorcall_offset > 0 {
                // SAFETY: a new instance of `t`.
                unsafe { set_default_call(obj, info) };
            }
            obj
        }
    }
}

/// How many items (digits of an int, elements of a tuple) an instance of an
/// HPy type of shape Long or Tuple with a C struct can have before they
/// reach into the struct; None for other types (no limit).
pub fn items_before_struct(info: &TypeInfo) -> Option<isize> {
    let builtin: *mut TypeObject = match info.shape {
        // SAFETY: only the addresses of CPython's static types are taken.
        HPyType_BuiltinShape_Long => unsafe { ffi::PyLong_Type.as_ptr().cast() },
        // SAFETY: as above.
        HPyType_BuiltinShape_Tuple => unsafe { ffi::PyTuple_Type.as_ptr().cast() },
        _ => return None,
    };
    if info.basicsize <= info.header {
        return None;
    }
    // SAFETY: static built-in types of the running interpreter; the items
    // start at their tp_basicsize and the struct at `header`, after it.
    let (start, itemsize) = unsafe { ((*builtin).tp_basicsize, (*builtin).tp_itemsize) };
    if itemsize <= 0 {
        return None;
    }
    Some(info.header.saturating_sub(start) / itemsize)
}

/// For a subtype `t` of an HPy int or tuple type with a C struct (whose
/// items would reach into the struct): makes sure its instances come from
/// `hpy_alloc`. A Python subclass has PyType_GenericAlloc (type_new sets it),
/// which is replaced; any other allocator is a TypeError. None with an
/// exception set.
///
/// # Safety
/// `t` is a live type.
unsafe fn ensure_items_alloc(t: *mut PyTypeObject) -> Option<()> {
    // SAFETY: a live type chain.
    let Some((_, info)) = (unsafe { hpy_type_in_chain(t) }) else {
        return Some(());
    };
    if items_before_struct(info).is_none() {
        return Some(());
    }
    // SAFETY: a live type, which we may write only where it is a heap type
    // made by type_new: its tp_alloc is read by nothing but allocation.
    unsafe {
        let tp = &mut *tobj(t);
        let current = tp.tp_alloc.map(|f| f as usize);
        if current == Some(hpy_alloc as *const () as usize) {
            return Some(());
        }
        if current == Some(ffi::PyType_GenericAlloc as *const () as usize)
            && tp.tp_flags & ffi::Py_TPFLAGS_HEAPTYPE != 0
        {
            tp.tp_alloc = Some(hpy_alloc);
            return Some(());
        }
        ffi::PyErr_Format(
            ffi::PyExc_TypeError,
            cstr!("type '%s' has a tp_alloc of its own, but its int digits or tuple elements would share memory with the C struct of an HPy base type"),
            tp.tp_name,
        );
    }
    None
}

/// `tp_alloc` of HPy types that have a call function, or whose int or tuple
/// items share memory with their C struct: the generic allocation (which
/// zeroes) plus the default call function; for the latter, an int or tuple
/// with more items than fit before the struct is refused (OverflowError).
pub unsafe extern "C" fn hpy_alloc(t: *mut PyTypeObject, n: isize) -> *mut PyObject {
    // SAFETY: CPython calls tp_alloc with a live type.
    if let Some((_, info)) = unsafe { hpy_type_in_chain(t) } {
        if let Some(max) = items_before_struct(info) {
            if n > max {
                // SAFETY: setting an exception; %s and %zd take the name and
                // the counts.
                unsafe {
                    ffi::PyErr_Format(
                        ffi::PyExc_OverflowError,
                        cstr!("'%s' objects can have at most %zd items (int digits or tuple elements), not %zd: the C struct of the type follows them"),
                        (*tobj(t)).tp_name,
                        max,
                        n,
                    )
                };
                return null_mut();
            }
        }
    }
    // SAFETY: CPython calls tp_alloc with a live type.
    let obj = unsafe { ffi::PyType_GenericAlloc(t, n) };
    if !obj.is_null() {
        // SAFETY: as above; this function is only the tp_alloc of HPy types
        // and of their subclasses. The generic allocation zeroed the object.
        if let Some((_, info)) = unsafe { hpy_type_in_chain(t) } {
            if info.vectorcall_offset > 0 {
                // SAFETY: a new instance of `t`.
                unsafe { set_default_call(obj, info) };
            }
        }
    }
    obj
}

/// The one-entry cache of `ctx_New`: the last HPy type it allocated an
/// instance of the plain way (made by this copy of hpy-core, no call
/// function to give the instance, the generic `tp_alloc`), with its struct
/// offset, so that the next `HPy_New` of that type skips the walk
/// `tp_cache` -> capsule -> `TypeInfo` -> checks.
///
/// A hit is the handle being that type pointer: the cached type is alive,
/// so no other object has its address. A hit allocates with the type's
/// `tp_alloc`, as the C-API's constructors do, whatever C code may have
/// set there since (CPython asks every `tp_alloc` for zeroed memory; the
/// slow path still zeroes the struct after an allocator other than the
/// generic one, and a type is cached only with the generic one). Each cached type has a weak reference
/// (`TypeInfo::new_watch`, made the first time the type is cached, kept
/// with the info) whose callback, `forget_dead_type`, empties the cache
/// when that type dies: CPython calls weak reference callbacks before it
/// frees the referent, whether the type dies of its reference count or in a
/// collected cycle (the weak reference itself is reachable: only the
/// `TypeInfo` refers to it). `free_info` (up to 3.11 a dying type releases
/// its capsule; from 3.12 on the capsule is never freed) empties it too.
/// So a type made where a dead one was misses, as does any other object
/// there. Read and written with the GIL (relaxed atomics: plain loads and
/// stores). The CPython-ABI `_HPy_New` (hpy/cpython/inline_core.h) reads
/// `type_` and `header` as the C struct `_HPyNewCache` (`_HPy_NewCache`),
/// and calls `ctx_New` on a miss.
#[repr(C)]
pub struct NewCache {
    type_: AtomicPtr<PyTypeObject>,
    header: AtomicIsize,
    /// The `new_watch` of the cached type (what `forget_dead_type` and
    /// `free_info` compare).
    watch: AtomicPtr<PyObject>,
}

/// `NewCache::type_` when empty: an address that no object has (nor NULL,
/// so that a NULL handle misses without a test of its own).
const NO_TYPE: *mut PyTypeObject = ptr::dangling_mut();

#[cfg_attr(feature = "export", export_name = "_HPy_NewCache")]
static NEW_CACHE: NewCache = NewCache {
    type_: AtomicPtr::new(NO_TYPE),
    header: AtomicIsize::new(0),
    watch: AtomicPtr::new(null_mut()),
};

/// Empties `NEW_CACHE` if it holds the type watched by `watch` (with the
/// GIL).
fn forget_watched(watch: *mut PyObject) {
    if !watch.is_null() && NEW_CACHE.watch.load(Ordering::Relaxed) == watch {
        NEW_CACHE.type_.store(NO_TYPE, Ordering::Relaxed);
        NEW_CACHE.watch.store(null_mut(), Ordering::Relaxed);
    }
}

/// `_HPy_New` (the `HPy_New` macro): a new instance of the HPy type `h_type`
/// (or of a subclass), allocated through its `tp_alloc`, with its C struct
/// zeroed and stored in `*data`.
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_New(ctx: *mut HPyContext, h_type: HPy, data: *mut *mut c_void) -> HPy {
    // The common case first: the type of the previous call (see NewCache).
    let t = h2py(h_type).cast::<PyTypeObject>();
    // SAFETY: a plain read (which the compare can use as its operand): the
    // cache is written only with the GIL, which this caller holds.
    if t == unsafe { *NEW_CACHE.type_.as_ptr() } {
        // SAFETY: the cached type, alive (see NewCache).
        if let Some(alloc) = unsafe { (*tobj(t)).tp_alloc } {
            // SAFETY: the type's own allocator, called as CPython does; it
            // returns zeroed memory (CPython's contract of tp_alloc).
            let obj = unsafe { alloc(t, 0) };
            if !obj.is_null() && !data.is_null() {
                let header = NEW_CACHE.header.load(Ordering::Relaxed);
                // SAFETY: the caller's out pointer.
                unsafe { *data = obj.cast::<u8>().wrapping_offset(header).cast() };
            }
            return py2h(obj);
        }
    }
    // SAFETY: as documented for `new_instance`.
    unsafe { new_instance(ctx, h_type, data) }
}

/// The weak reference callback of `TypeInfo::new_watch` (METH_O: the weak
/// reference): the watched type is dying, `NEW_CACHE` forgets it.
unsafe extern "C" fn forget_dead_type(_self: *mut PyObject, watch: *mut PyObject) -> *mut PyObject {
    forget_watched(watch);
    let none = ffi::py_none();
    // SAFETY: a new reference to None, as a function returns (GIL held: a
    // weak reference callback).
    unsafe { ffi::Py_IncRef(none) };
    none
}

/// The `PyMethodDef` of `forget_dead_type`, which its function object
/// points to for ever.
struct WatchDef(core::cell::UnsafeCell<ffi::PyMethodDef>);
// SAFETY: written by nobody; CPython reads it with the GIL.
unsafe impl Sync for WatchDef {}
static WATCH_DEF: WatchDef = WatchDef(core::cell::UnsafeCell::new(ffi::PyMethodDef {
    ml_name: cstr!("_hpy_forget_dead_type"),
    ml_meth: forget_dead_type as *mut c_void,
    ml_flags: ffi::METH_O,
    ml_doc: null_mut(),
}));
/// The function object of `WATCH_DEF`, made once (kept for ever).
static WATCH_CALLBACK: AtomicPtr<PyObject> = AtomicPtr::new(null_mut());

extern "C" {
    fn PyCFunction_NewEx(
        ml: *mut ffi::PyMethodDef,
        slf: *mut PyObject,
        module: *mut PyObject,
    ) -> *mut PyObject;
    fn PyWeakref_NewRef(ob: *mut PyObject, callback: *mut PyObject) -> *mut PyObject;
}

/// A new weak reference to the type `t` whose callback is
/// `forget_dead_type`, or NULL (with no exception: the one set before, if
/// any, is kept).
///
/// # Safety
/// GIL held; `t` is a live type.
#[cold]
#[inline(never)]
unsafe fn make_watch(t: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: the usual calls with the GIL; the exception state is saved
    // and restored around them, so a failure leaves it as it was.
    unsafe {
        let mut saved = (null_mut(), null_mut(), null_mut());
        ffi::PyErr_Fetch(&mut saved.0, &mut saved.1, &mut saved.2);
        let mut callback = WATCH_CALLBACK.load(Ordering::Relaxed);
        if callback.is_null() {
            callback = PyCFunction_NewEx(WATCH_DEF.0.get(), null_mut(), null_mut());
            WATCH_CALLBACK.store(callback, Ordering::Relaxed);
        }
        let watch = if callback.is_null() {
            null_mut()
        } else {
            PyWeakref_NewRef(t.cast(), callback)
        };
        if watch.is_null() {
            ffi::PyErr_Clear();
        }
        ffi::PyErr_Restore(saved.0, saved.1, saved.2);
        watch
    }
}

/// Makes the exact HPy type `t`, of info `info`, the entry of `NEW_CACHE`
/// if its instances are allocated the plain way and its info was made by
/// this copy of hpy-core (which watches it: see NewCache).
///
/// # Safety
/// With the GIL; `t` is a live type and `info` its own `info_of`.
unsafe fn remember_new_type(t: *mut PyTypeObject, info: &TypeInfo) {
    // SAFETY: a live type; its tp_cache is the capsule `info_of` read.
    unsafe {
        let capsule = (*tobj(t)).tp_cache;
        let destructor = (*capsule.cast::<ffi::CapsuleObject>()).destructor;
        if info.vectorcall_offset != 0
            || destructor.map(|d| d as usize) != Some(free_info as *const () as usize)
            || (*tobj(t)).tp_alloc.map(|a| a as usize)
                != Some(ffi::PyType_GenericAlloc as *const () as usize)
        {
            return;
        }
    }
    // Only now is `info` known to be of this copy's layout (new_watch).
    let mut watch = info.new_watch.load(Ordering::Relaxed);
    if watch.is_null() {
        // SAFETY: as documented.
        watch = unsafe { make_watch(t) };
        if watch.is_null() {
            return;
        }
        info.new_watch.store(watch, Ordering::Relaxed);
    }
    NEW_CACHE.type_.store(t, Ordering::Relaxed);
    NEW_CACHE.header.store(info.header, Ordering::Relaxed);
    NEW_CACHE.watch.store(watch, Ordering::Relaxed);
}

/// `ctx_New` for the other cases: a type that is not an HPy type (an
/// error), a subclass of one, or one with its own allocator or a call
/// function.
///
/// # Safety
/// As for `ctx_New`.
#[inline(never)]
unsafe fn new_instance(_ctx: *mut HPyContext, h_type: HPy, data: *mut *mut c_void) -> HPy {
    let t = h2py(h_type);
    // SAFETY: a live handle.
    if t.is_null() || !unsafe { is_type(t) } {
        return raise(Exc::Type, cstr!("HPy_New arg 1 must be a type"), HPy::NULL);
    }
    let t = t.cast::<PyTypeObject>();
    // SAFETY: a live type.
    let Some((_, info)) = (unsafe { hpy_type_in_chain(t) }) else {
        // SAFETY: setting an exception; %s takes the type's name.
        unsafe {
            ffi::PyErr_Format(
                ffi::PyExc_TypeError,
                cstr!("HPy_New: '%s' is not an HPy type (made by HPyType_FromSpec) nor a subclass of one"),
                (*tobj(t)).tp_name,
            )
        };
        return HPy::NULL;
    };
    // SAFETY: a live type, and its own info when it is an HPy type itself.
    if let Some(own) = unsafe { info_of(t) } {
        // SAFETY: as documented for ctx_New (the GIL).
        unsafe { remember_new_type(t, own) };
    }
    // SAFETY: as documented above.
    let obj = unsafe { alloc_instance(t, info) };
    if obj.is_null() {
        return HPy::NULL;
    }
    if !data.is_null() {
        // SAFETY: the caller's out pointer.
        unsafe { *data = obj.cast::<u8>().wrapping_offset(info.header).cast() };
    }
    py2h(obj)
}

/// `HPyType_GenericNew`: a new instance of `type` with a zeroed C struct;
/// the arguments are ignored (they are `tp_init`'s).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_Type_GenericNew(
    ctx: *mut HPyContext,
    type_: HPy,
    _args: *const HPy,
    _nargs: HPy_ssize_t,
    _kw: HPy,
) -> HPy {
    let t = h2py(type_);
    // SAFETY: a live handle.
    if t.is_null() || !unsafe { is_type(t) } {
        return raise(
            Exc::Type,
            cstr!("HPyType_GenericNew arg 1 must be a type"),
            HPy::NULL,
        );
    }
    // SAFETY: a live type.
    if unsafe { hpy_type_in_chain(t.cast()) }.is_some() {
        let mut data = null_mut();
        // SAFETY: as documented for ctx_New.
        return unsafe { ctx_New(ctx, type_, &mut data) };
    }
    // SAFETY: a live type that is not an HPy type: its own allocation.
    py2h(unsafe { ffi::PyType_GenericAlloc(t.cast(), 0) })
}

/// `tp_new` of HPy types with `HPy_tp_new` or with a call function: calls
/// the HPy implementation (or the base's `tp_new`), checks that it returned
/// an instance of the type asked for (CPython would return anything; an
/// HPy constructor that returns an object of another type is a bug,
/// reported as a TypeError instead of leaving an object whose C struct other
/// methods would misread), and gives the instance the type's default call
/// function if it has none yet (Python subclasses allocate with
/// `PyType_GenericAlloc`, not with our `tp_alloc`).
pub unsafe extern "C" fn hpy_tp_new(
    t: *mut PyTypeObject,
    args: *mut PyObject,
    kw: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: CPython calls tp_new with a live type.
    let own = unsafe { info_of(t) };
    // The common case: `t` is the HPy type itself, with a constructor of its
    // own, whose instances need nothing more than what it does (no call
    // function to give them, no int or tuple items that share the struct).
    if let Some(i) = own {
        if let Some(user) = i.user_new {
            if i.vectorcall_offset == 0 && items_before_struct(i).is_none() {
                // SAFETY: the type's own tp_new trampoline, called as CPython
                // would.
                let result = unsafe { user(t, args, kw) };
                // SAFETY: a new reference to a live object, or NULL.
                if result.is_null() || unsafe { ffi::py_type(result) } == t {
                    return result;
                }
                // SAFETY: as above.
                return unsafe { check_new_result(t, result) };
            }
        }
    }
    // SAFETY: as above.
    unsafe { general_new(t, args, kw, own) }
}

/// `hpy_tp_new` for the other cases: a subclass of an HPy type, a
/// constructor inherited from an HPy base, instances with a call function
/// or int or tuple items that share the C struct.
///
/// # Safety
/// The arguments of `hpy_tp_new`; `own` is `info_of(t)`.
#[inline(never)]
unsafe fn general_new(
    t: *mut PyTypeObject,
    args: *mut PyObject,
    kw: *mut PyObject,
    own: Option<&'static TypeInfo>,
) -> *mut PyObject {
    // The constructor of the nearest HPy type of the chain that has one:
    // usually `t`'s own.
    let found = match own {
        Some(i) if i.user_new.is_some() => i.user_new.map(|n| (n, i)),
        // SAFETY: as above.
        _ => unsafe { inherited_new(t) },
    };
    let Some((user, info)) = found else {
        return raise(
            Exc::System,
            cstr!("HPy: tp_new of an HPy type without HPy_tp_new"),
            null_mut(),
        );
    };
    // SAFETY: a live type.
    if unsafe { ensure_items_alloc(t) }.is_none() {
        return null_mut();
    }
    // SAFETY: the type's own tp_new trampoline (or its base's tp_new),
    // called as CPython would.
    let result = unsafe { user(t, args, kw) };
    if result.is_null() {
        return result;
    }
    // SAFETY: `result` is a new reference to a live object; an exact
    // instance (the common case) needs no walk of the MRO.
    if unsafe { ffi::py_type(result) } != t {
        // SAFETY: as above.
        let result = unsafe { check_new_result(t, result) };
        if result.is_null() {
            return result;
        }
    }
    if info.vectorcall_offset > 0 && info.default_call.is_some() {
        // SAFETY: an instance of a type with a call-function slot there.
        unsafe {
            let slot = result
                .cast::<u8>()
                .offset(info.vectorcall_offset)
                .cast::<Option<ffi::vectorcallfunc>>();
            if slot.read_unaligned().is_none() {
                slot.write_unaligned(info.default_call);
            }
        }
    }
    result
}

/// `tp_new` of the new type `t` becomes its `HPy_tp_new` trampoline itself
/// where `hpy_tp_new` would only call it and check the result's type (no
/// call function to give the instance, no int or tuple items sharing the C
/// struct): for the CPython ABI, whose `HPyFunc_NEWFUNC` trampoline checks
/// the result with `_HPy_CheckNewResult` (hpy/cpython/hpyfunc_trampolines.h).
/// The universal runtime puts its `tp_new` thunk there instead
/// (slot_call.rs); its trampolines do not check, so it never calls this.
///
/// # Safety
/// `t` is a live HPy type just made by `type_spec.rs` in a CPython-ABI
/// extension, before any instance or subclass exists; GIL held.
pub unsafe fn use_direct_new(t: *mut PyTypeObject) {
    // SAFETY: a live type.
    let Some(info) = (unsafe { info_of(t) }) else {
        return;
    };
    let Some(user) = info.user_new else { return };
    // SAFETY: a live type, whose tp_new nothing has read yet (its `__new__`
    // wrapper reads it at each call).
    unsafe {
        let tp = &mut *tobj(t);
        if tp.tp_new.map(|f| f as usize) == Some(hpy_tp_new as *const () as usize)
            && info.vectorcall_offset == 0
            && items_before_struct(info).is_none()
        {
            tp.tp_new = Some(user);
        }
    }
}

/// `_HPy_CheckNewResult`: the end of the CPython-ABI `HPyFunc_NEWFUNC`
/// trampoline when `result` is not NULL and not exactly of type `t`:
/// `check_new_result`.
///
/// # Safety
/// `t` is a live type; `result` a new reference to a live object; GIL held.
#[cfg_attr(feature = "export", no_mangle)]
#[allow(non_snake_case)]
pub unsafe extern "C" fn _HPy_CheckNewResult(
    t: *mut PyObject,
    result: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: as documented.
    unsafe { check_new_result(t.cast(), result) }
}

/// What `tp_new` of the HPy type `t` returns when its constructor returned
/// `result`, an object whose type is not `t`: `result` if it is an instance
/// of a subtype of `t`, else NULL with a TypeError (and `result` dropped).
///
/// # Safety
/// `t` is a live type; `result` a new reference to a live object.
#[cold]
#[inline(never)]
pub unsafe fn check_new_result(t: *mut PyTypeObject, result: *mut PyObject) -> *mut PyObject {
    // SAFETY: as documented.
    if unsafe { ffi::PyType_IsSubtype(ffi::py_type(result), t) } != 0 {
        return result;
    }
    // SAFETY: reporting and dropping the wrong object.
    unsafe {
        ffi::PyErr_Format(
            Exc::Type.get(),
            cstr!("HPy_tp_new of '%s' returned an object of type '%s', which is not an instance of '%s'"),
            (*tobj(t)).tp_name,
            (*tobj(ffi::py_type(result))).tp_name,
            (*tobj(t)).tp_name,
        );
        ffi::Py_DecRef(result);
    }
    null_mut()
}

/// The constructor of the nearest HPy type in the chain of `t` that has
/// one (`hpy_tp_new`'s slow path: `t` itself has none).
///
/// # Safety
/// `t` is a live type.
#[inline(never)]
unsafe fn inherited_new(t: *mut PyTypeObject) -> Option<(ffi::newfunc, &'static TypeInfo)> {
    let mut c = t;
    while !c.is_null() {
        // SAFETY: a live type chain.
        unsafe {
            if let Some(found) = info_of(c).and_then(|i| i.user_new.map(|n| (n, i))) {
                return Some(found);
            }
            c = (*tobj(c)).tp_base;
        }
    }
    None
}

/// `HPy_SetCallFunction`: the call function of the instance `h`, whose type
/// must have a call function slot (`HPy_tp_call`, or the flag
/// `HPy_TPFLAGS_HAVE_VECTORCALL`, or a `__vectorcalloffset__` member).
#[cfg_attr(feature = "export", no_mangle)]
pub unsafe extern "C" fn ctx_SetCallFunction(
    _ctx: *mut HPyContext,
    h: HPy,
    func: *mut HPyCallFunction,
) -> c_int {
    let obj = h2py(h);
    if obj.is_null() || func.is_null() {
        return raise(
            Exc::System,
            cstr!("HPy_SetCallFunction: NULL object or function"),
            -1,
        );
    }
    // SAFETY: a live object and its type.
    let (offset, flags) = unsafe {
        let t = tobj(ffi::py_type(obj));
        ((*t).tp_vectorcall_offset, (*t).tp_flags)
    };
    // Python subclasses do not inherit the vectorcall flag before 3.12, but
    // keep the offset and tp_call (PyVectorcall_Call), which reads the slot.
    // SAFETY: a live type chain.
    let hpy_slot = unsafe { hpy_type_in_chain(ffi::py_type(obj)) }
        .is_some_and(|(_, info)| info.vectorcall_offset == offset);
    if offset <= 0 || (flags & ffi::Py_TPFLAGS_HAVE_VECTORCALL == 0 && !hpy_slot) {
        // SAFETY: setting an exception; %s takes the type's name.
        unsafe {
            ffi::PyErr_Format(
                ffi::PyExc_TypeError,
                cstr!("type '%s' does not implement the HPy call protocol (define HPy_tp_call, or a member '__vectorcalloffset__')"),
                (*tobj(ffi::py_type(obj))).tp_name,
            )
        };
        return -1;
    }
    // SAFETY: the type stores a vectorcallfunc at this offset of each
    // instance; `func` is the extension's HPyCallFunction.
    unsafe {
        let f: Option<ffi::vectorcallfunc> = (*func).cpy_trampoline;
        obj.cast::<u8>()
            .offset(offset)
            .cast::<Option<ffi::vectorcallfunc>>()
            .write_unaligned(f);
    }
    0
}

// ~~~ garbage collection and deallocation ~~~

/// The HPy visitor of `hpy_clear`: empties a field, releasing its reference.
unsafe extern "C" fn clear_field(field: *mut HPyField, _arg: *mut c_void) -> c_int {
    // SAFETY: `field` points into the object being cleared and holds a strong
    // reference or null; it is emptied before the reference is released.
    unsafe {
        let old = (*field)._i as *mut PyObject;
        (*field)._i = 0;
        ffi::Py_DecRef(old);
    }
    0
}

/// Empties every `HPyField` of `obj` by running the HPy traverse function of
/// each HPy type in the chain of its type with a clearing visitor.
///
/// # Safety
/// `obj` is a live object (possibly being deallocated).
unsafe fn clear_fields(obj: *mut PyObject) {
    // SAFETY: a live object has a live type chain.
    let mut t = unsafe { ffi::py_type(obj) };
    while !t.is_null() {
        // SAFETY: `t` is a live type.
        if let Some(info) = unsafe { info_of(t) } {
            if let Some(traverse) = info.traverse {
                let data = obj.cast::<u8>().wrapping_offset(info.header).cast();
                // SAFETY: the HPy traverse function of a type in the chain of
                // `obj`'s type, called on its C struct.
                unsafe { traverse(data, clear_field, null_mut()) };
            }
        }
        // SAFETY: as above.
        t = unsafe { (*tobj(t)).tp_base };
    }
}

/// The first base of the HPy type `t` that is not an HPy type: whose
/// `tp_dealloc`, `tp_clear` and `tp_traverse` cover the built-in part.
///
/// # Safety
/// `t` is a live type.
unsafe fn builtin_base(t: *mut PyTypeObject) -> *mut PyTypeObject {
    // SAFETY: a live type chain.
    let mut b = unsafe { (*tobj(t)).tp_base };
    // SAFETY: as above.
    while !b.is_null() && unsafe { info_of(b) }.is_some() {
        // SAFETY: as above.
        b = unsafe { (*tobj(b)).tp_base };
    }
    b
}

/// `tp_clear` of HPy types with `HPy_tp_traverse`: empties the fields (so
/// that the collector can break a cycle that goes through them), then the
/// built-in base's own references.
pub unsafe extern "C" fn hpy_clear(obj: *mut PyObject) -> c_int {
    // SAFETY: CPython calls tp_clear on a live object.
    unsafe { clear_fields(obj) };
    // SAFETY: as above; a static built-in base's tp_clear is safe to call on
    // an instance of a subtype.
    unsafe {
        if let Some((t, _)) = hpy_type_in_chain(ffi::py_type(obj)) {
            let b = builtin_base(t);
            if !b.is_null() && (*tobj(b)).tp_flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 {
                if let Some(clear) = (*tobj(b)).tp_clear {
                    return clear(obj);
                }
            }
        }
    }
    0
}

/// What `call_traverse` hands to the HPy visitor adapter.
#[repr(C)]
struct VisitArgs {
    visit: ffi::visitproc,
    arg: *mut c_void,
}

/// The HPy visitor handed to HPy traverse functions by `call_traverse`:
/// visits the object in a field with CPython's visitor.
unsafe extern "C" fn visit_field(field: *mut HPyField, args: *mut c_void) -> c_int {
    // SAFETY: `args` is the VisitArgs of `call_traverse`, alive during the
    // call; `field` points into the object being traversed.
    unsafe {
        let args = &*args.cast::<VisitArgs>();
        let obj = (*field)._i as *mut PyObject;
        if obj.is_null() {
            0
        } else {
            (args.visit)(obj, args.arg)
        }
    }
}

/// `tp_traverse` of an HPy type (both ABIs' trampolines of `HPy_tp_traverse`
/// come here): visits the built-in base's references, then calls the HPy
/// traverse function `f` on the object's C struct with a visitor that hands
/// each `HPyField`'s object to CPython's `visit`.
///
/// The type itself is visited only for instances of a Python subclass:
/// CPython's `subtype_traverse` leaves that to the traverse of a heap base,
/// i.e. to us. For instances of the HPy type itself, as in HPy 0.9, the
/// referents are exactly the fields (and the built-in base's), so
/// `gc.get_referents` shows what the extension stores; the cost is that a
/// cycle through the HPy type (an instance kept in a class attribute) is
/// not collected.
///
/// # Safety
/// `obj` is a live instance of an HPy type (or a subclass) whose traverse
/// function is `f`; `visit` and `arg` are what CPython passed to tp_traverse.
pub unsafe fn call_traverse(
    f: HPyTraverse,
    obj: *mut PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: a live object; CPython's visitor accepts any object it refers to.
    unsafe {
        let t = ffi::py_type(obj);
        let chain = hpy_type_in_chain(t);
        if chain.is_none_or(|(hpy_t, _)| hpy_t != t) {
            let r = visit(t.cast(), arg);
            if r != 0 {
                return r;
            }
        }
        if let Some((hpy_t, _)) = chain {
            let b = builtin_base(hpy_t);
            if !b.is_null() && (*tobj(b)).tp_flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 {
                if let Some(base_traverse) = (*tobj(b)).tp_traverse {
                    let r = base_traverse(obj, visit, arg);
                    if r != 0 {
                        return r;
                    }
                }
            }
        }
    }
    let mut args = VisitArgs { visit, arg };
    // SAFETY: as documented; `args` outlives the call.
    unsafe {
        f(
            object_data(obj),
            visit_field,
            ptr::addr_of_mut!(args).cast(),
        )
    }
}

/// The `tp_dealloc` of the Python classes (`subtype_dealloc`), learnt once
/// from a class made for that purpose: the built-in base of an HPy type is
/// found past such classes, whose dealloc would call ours again.
static SUBTYPE_DEALLOC: core::sync::atomic::AtomicPtr<c_void> =
    core::sync::atomic::AtomicPtr::new(null_mut());

/// Learns `subtype_dealloc` (see SUBTYPE_DEALLOC); called when a type is made.
///
/// # Safety
/// GIL held.
pub unsafe fn learn_subtype_dealloc() {
    use core::sync::atomic::Ordering;
    if !SUBTYPE_DEALLOC.load(Ordering::Relaxed).is_null() {
        return;
    }
    let mut slots = [ffi::PyType_Slot {
        slot: 0,
        pfunc: null_mut(),
    }];
    let mut spec = ffi::PyType_Spec {
        name: cstr!("hpy.ProbeClass"),
        basicsize: 0,
        itemsize: 0,
        flags: 0,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: a valid spec; a type without Py_tp_dealloc gets subtype_dealloc.
    unsafe {
        let mut saved = (null_mut(), null_mut(), null_mut());
        ffi::PyErr_Fetch(&mut saved.0, &mut saved.1, &mut saved.2);
        let probe = ffi::PyType_FromSpecWithBases(&mut spec, null_mut());
        if !probe.is_null() {
            let d = (*probe.cast::<TypeObject>()).tp_dealloc;
            SUBTYPE_DEALLOC.store(
                d.map_or(null_mut(), |d| d as *mut c_void),
                Ordering::Relaxed,
            );
            ffi::Py_DecRef(probe);
        }
        ffi::PyErr_Restore(saved.0, saved.1, saved.2);
    }
}

/// Gives the new HPy type `t` CPython's own deallocator of heap types
/// (`subtype_dealloc`, what a type made by `PyType_FromSpec` without
/// `Py_tp_dealloc` gets) in place of `hpy_dealloc` when the latter would do
/// nothing more: no HPy type of its chain has fields (`HPy_tp_traverse`) or
/// `HPy_tp_destroy`, and its instances have neither a weak reference list
/// nor a dict of the type's own (which `subtype_dealloc` leaves alone in a
/// type without GC). `subtype_dealloc` runs the finalizer, then the
/// deallocator of the nearest base that has another one (the built-in
/// base's, or `hpy_dealloc` of an HPy base), as for a Python subclass, and
/// releases the type; it is what the C-API counterpart of such a type uses.
///
/// # Safety
/// `t` is a live HPy type just made by `type_spec.rs`, before any instance
/// exists; GIL held.
pub unsafe fn use_plain_dealloc(t: *mut PyTypeObject) {
    use core::sync::atomic::Ordering;
    let subtype_dealloc = SUBTYPE_DEALLOC.load(Ordering::Relaxed);
    if subtype_dealloc.is_null() {
        return;
    }
    // SAFETY: a live type that no instance uses yet: its tp_dealloc is read
    // by nothing but deallocation (and by subclasses made later).
    unsafe {
        let tp = &mut *tobj(t);
        if tp.tp_dealloc.map(|d| d as usize) != Some(hpy_dealloc as *const () as usize)
            || tp.tp_weaklistoffset != 0
            || tp.tp_dictoffset != 0
        {
            return;
        }
        let chain = chain_of(t);
        if chain.traverse || chain.destroy {
            return;
        }
        tp.tp_dealloc = Some(core::mem::transmute::<*mut c_void, ffi::destructor>(
            subtype_dealloc,
        ));
    }
}

/// What `hpy_dealloc` needs to know of the chain of an object's type, found
/// in one walk.
struct Chain {
    /// The nearest HPy type (`t` itself, or the HPy base of a Python subclass).
    first: *mut PyTypeObject,
    /// The HPy type farthest from `t` (whose bases are the built-in part).
    root: *mut PyTypeObject,
    /// Whether some HPy type of the chain has `HPy_tp_traverse` (fields).
    traverse: bool,
    /// Whether some HPy type of the chain has `HPy_tp_destroy`.
    destroy: bool,
}

/// The HPy types in the chain of `t` (see `Chain`).
///
/// # Safety
/// `t` is a live type.
#[inline]
unsafe fn chain_of(t: *mut PyTypeObject) -> Chain {
    let mut chain = Chain {
        first: null_mut(),
        root: null_mut(),
        traverse: false,
        destroy: false,
    };
    let mut c = t;
    while !c.is_null() {
        // SAFETY: a live type chain.
        if let Some(info) = unsafe { info_of(c) } {
            if chain.first.is_null() {
                chain.first = c;
            }
            chain.root = c;
            chain.traverse |= info.traverse.is_some();
            chain.destroy |= info.destroy.is_some();
        }
        // SAFETY: as above.
        c = unsafe { (*tobj(c)).tp_base };
    }
    chain
}

/// `tp_dealloc` of HPy types: runs the finalizer (`HPy_tp_finalize`), stops
/// tracking the object, empties its fields, calls `HPy_tp_destroy` of each
/// HPy type of the chain, then lets the built-in base free the object, and
/// releases the instance's reference to its (heap) type.
pub unsafe extern "C" fn hpy_dealloc(obj: *mut PyObject) {
    use core::sync::atomic::Ordering;
    // SAFETY: CPython calls tp_dealloc on a live object with no references.
    let t = unsafe { ffi::py_type(obj) };
    // SAFETY: a live type.
    let tp = unsafe { &*tobj(t) };
    // A Python subclass's dealloc (subtype_dealloc) has run the finalizer
    // and untracked the object before calling this one.
    if tp.tp_finalize.is_some()
        && tp.tp_dealloc.map(|d| d as usize) == Some(hpy_dealloc as *const () as usize)
    {
        // SAFETY: as CPython's own deallocators do; < 0 means resurrected.
        if unsafe { ffi::PyObject_CallFinalizerFromDealloc(obj) } < 0 {
            return;
        }
    }
    if tp.tp_flags & ffi::Py_TPFLAGS_HAVE_GC != 0 {
        // SAFETY: untracking a GC object (a no-op if it is not tracked).
        unsafe { ffi::PyObject_GC_UnTrack(obj.cast()) };
    }
    // SAFETY: a live type chain.
    let chain = unsafe { chain_of(t) };
    // What the HPy type itself declared with the special members
    // `__weaklistoffset__` and `__dictoffset__` (subtype_dealloc clears only
    // what a Python subclass added).
    if !chain.first.is_null() {
        // SAFETY: a live type; the offsets are inside every instance.
        unsafe {
            let h = tobj(chain.first);
            let (weak, dict) = ((*h).tp_weaklistoffset, (*h).tp_dictoffset);
            if weak > 0 {
                ffi::PyObject_ClearWeakRefs(obj);
            }
            if dict > 0 {
                let slot = obj.cast::<u8>().offset(dict).cast::<*mut PyObject>();
                let d = slot.read();
                slot.write(null_mut());
                ffi::Py_DecRef(d);
            }
        }
    }
    // Without fields, nothing below releases HPy objects of ours: no nesting
    // to bound.
    if !chain.traverse {
        // SAFETY: as documented for dealloc_rest.
        unsafe { dealloc_rest(obj, &chain) };
        return;
    }
    // Releasing the fields may deallocate more objects, recursively: a long
    // chain of HPy objects linked through fields would overflow the C stack.
    // Past a depth, the object waits in a list (linked through its
    // reference count, unused while it is being deallocated, as CPython's
    // own trashcan does with a header word) until the outermost dealloc
    // finishes it.
    if DEALLOC_DEPTH.load(Ordering::Relaxed) >= MAX_DEALLOC_DEPTH {
        // SAFETY: a dead, untracked object that nothing refers to.
        unsafe {
            (*obj.cast::<ffi::PyObjectHead>()).ob_refcnt =
                DEFERRED.load(Ordering::Relaxed) as isize;
        }
        DEFERRED.store(obj, Ordering::Relaxed);
        return;
    }
    DEALLOC_DEPTH.fetch_add(1, Ordering::Relaxed);
    // SAFETY: as documented for dealloc_rest.
    unsafe { dealloc_rest(obj, &chain) };
    if DEALLOC_DEPTH.fetch_sub(1, Ordering::Relaxed) == 1 {
        // The outermost dealloc: finish the deferred objects.
        loop {
            let next = DEFERRED.load(Ordering::Relaxed);
            if next.is_null() {
                break;
            }
            // SAFETY: a deferred object: its refcount holds the next one.
            unsafe {
                let head = next.cast::<ffi::PyObjectHead>();
                DEFERRED.store((*head).ob_refcnt as *mut PyObject, Ordering::Relaxed);
                (*head).ob_refcnt = 0;
                DEALLOC_DEPTH.fetch_add(1, Ordering::Relaxed);
                let chain = chain_of(ffi::py_type(next));
                dealloc_rest(next, &chain);
                DEALLOC_DEPTH.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

/// How deep `hpy_dealloc` may nest before it defers objects.
const MAX_DEALLOC_DEPTH: usize = 64;
/// The nesting depth of `hpy_dealloc` (the GIL serialises it).
static DEALLOC_DEPTH: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
/// The objects whose deallocation was deferred (see `hpy_dealloc`).
static DEFERRED: core::sync::atomic::AtomicPtr<PyObject> =
    core::sync::atomic::AtomicPtr::new(null_mut());

/// The part of `hpy_dealloc` after the finalizer: fields, destroy, the
/// built-in base's dealloc, the type's reference.
///
/// # Safety
/// `obj` is a dead instance (no references, finalized, untracked) of an HPy
/// type or of a subclass of one; `chain` is the chain of its type.
unsafe fn dealloc_rest(obj: *mut PyObject, chain: &Chain) {
    use core::sync::atomic::Ordering;
    // SAFETY: a dead object keeps its type.
    let t = unsafe { ffi::py_type(obj) };
    // SAFETY: a live type.
    let tp = unsafe { &*tobj(t) };
    if chain.traverse {
        // SAFETY: the object is still whole: its fields, then each destroy.
        unsafe { clear_fields(obj) };
    }
    if chain.destroy {
        let mut c = t;
        while !c.is_null() {
            // SAFETY: a live type chain.
            if let Some(destroy) = unsafe { info_of(c) }.and_then(|i| i.destroy.map(|d| (d, i))) {
                // SAFETY: the HPy destroy function of a type of the chain,
                // on its C struct.
                unsafe { (destroy.0)(obj.cast::<u8>().wrapping_offset(destroy.1.header).cast()) };
            }
            // SAFETY: as above.
            c = unsafe { (*tobj(c)).tp_base };
        }
    }
    // The built-in part: the first base that is neither an HPy type nor a
    // Python class.
    let subtype_dealloc = SUBTYPE_DEALLOC.load(Ordering::Relaxed) as usize;
    let mut b = if chain.root.is_null() {
        null_mut()
    } else {
        // SAFETY: a live type.
        unsafe { builtin_base(chain.root) }
    };
    while !b.is_null()
        // SAFETY: a live type.
        && unsafe { (*tobj(b)).tp_dealloc }.map(|d| d as usize) == Some(subtype_dealloc)
    {
        // SAFETY: as above.
        b = unsafe { (*tobj(b)).tp_base };
    }
    // SAFETY: a live base type, or none.
    let base = unsafe {
        b.as_ref()
            .map(|_| ((*tobj(b)).tp_dealloc, (*tobj(b)).tp_flags))
    };
    match base {
        Some((Some(dealloc), flags)) => {
            // SAFETY: the base's dealloc frees its part and the memory
            // (through Py_TYPE(obj)->tp_free); a GC-aware base expects a
            // tracked object, as subtype_dealloc does; a heap base's dealloc
            // also releases the type, a static one's does not.
            unsafe {
                if flags & ffi::Py_TPFLAGS_HAVE_GC != 0 {
                    ffi::PyObject_GC_Track(obj.cast());
                }
                dealloc(obj);
                if flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 {
                    ffi::Py_DecRef(t.cast());
                }
            }
        }
        _ => {
            // SAFETY: no base to delegate to: free with the type's tp_free.
            unsafe {
                if let Some(free) = tp.tp_free {
                    free(obj.cast());
                }
                ffi::Py_DecRef(t.cast());
            }
        }
    }
}

/// Frees a `TypeInfo` and its definition tables (the capsule destructor).
pub unsafe extern "C" fn free_info(capsule: *mut PyObject) {
    // SAFETY: called by CPython with our capsule, whose pointer is a
    // TypeInfo allocated with PyMem_Malloc.
    unsafe {
        let info = (*capsule.cast::<ffi::CapsuleObject>())
            .pointer
            .cast::<TypeInfo>();
        if !info.is_null() {
            // `ctx_New` forgets the type of this info before its address
            // can be reused (see NewCache); its weak reference goes.
            let watch = (*info).new_watch.load(Ordering::Relaxed);
            forget_watched(watch);
            if !watch.is_null() {
                ffi::Py_DecRef(watch);
            }
            ffi::PyMem_Free((*info).defs_block);
            (*info).magic = 0;
            ffi::PyMem_Free(info.cast());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_up(16, 16), Some(16));
        assert_eq!(round_up(24, 16), Some(32));
        assert_eq!(round_up(28, 16), Some(32));
        assert_eq!(round_up(40, 16), Some(48));
        assert_eq!(round_up(isize::MAX, 16), None);
    }
}
