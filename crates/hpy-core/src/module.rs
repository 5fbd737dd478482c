//! Module creation from an `HPyModuleDef`, shared by both ABIs.
//!
//! An `HPyModuleDef` becomes one heap block: a `PyModuleDef` for
//! multi-phase initialization, followed by its method table, its slot table
//! and a copy of the module's name.
//!
//! - `m_name` is the extension's name, `m_doc` the doc, `m_size` the size.
//! - `m_methods`: the `HPyDef_METH` defines, each calling its
//!   `cpy_trampoline` (NOARGS → `METH_NOARGS`, O → `METH_O`, VARARGS →
//!   `METH_FASTCALL`, KEYWORDS → `METH_FASTCALL | METH_KEYWORDS`), then the
//!   `legacy_methods` where legacy features are allowed.
//! - `m_slots`: the `HPy_mod_create` and `HPy_mod_exec` defines, in order
//!   (and, for a module of `module_from_spec`, a create slot of our own,
//!   see below).
//!
//! Who frees the block:
//!
//! - CPython ABI (`_HPyModuleDef_CPyInit`): nobody. `PyInit_NAME` hands the
//!   same block out again whenever the module is imported afresh, as a C
//!   extension does with its static `PyModuleDef`.
//! - Universal and hybrid (`module_from_spec`): the module object made from
//!   it, when it dies. Each load makes a block of its own, and CPython
//!   reads it for as long as the module lives (`md_def`; the function
//!   objects' `m_ml` point into its method table). The module's `m_free`
//!   (`free_module_def`) frees it, with the block the runtime attached to
//!   the module (`attach_to_module`: its call records, see hpy-universal's
//!   method_call.rs). That is safe because every function object whose
//!   `m_ml` leads into either block holds the module in `m_self`, and
//!   builtin functions have no `tp_clear`: the module dies after the last of
//!   them, in a collected cycle too (module → dict → function → module is
//!   the usual one). To know whether a module object took the block (only
//!   then will its `m_free` run), the default creation of the module goes
//!   through a create slot of ours (`create_module`, doing what CPython
//!   would); when none took it (creation failed first, or `HPy_mod_create`
//!   made the object, which is never a module: its trampolines refuse
//!   modules), `module_from_spec` frees the block itself.
//!
//! `HPyModuleDef.globals` needs nothing here: an `HPyGlobal` is the
//! extension's own C variable, one per loaded library, which keeps its
//! value when the module is imported again (see global.rs).
//!
//! A definition that HPy 0.9 does not allow raises SystemError (ValueError
//! for a method signature that is not a method's), with HPy 0.9's messages.
//! Differences from HPy 0.9, which silently ignores them: an `HPyDef_MEMBER`
//! or `HPyDef_GETSET` (or an unknown kind) among a module's defines, and
//! legacy methods in the pure universal ABI, are errors. Module state
//! (`size > 0` bytes, zeroed by CPython), which HPy 0.9 refuses, is created
//! in every ABI, as the HPy module protocol describes it.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::{align_of, size_of};
use core::ptr::{self, null_mut};
use core::sync::atomic::{AtomicPtr, Ordering};

use hpy_sys::*;

use crate::ffi::{self, cstr, PyMethodDef, PyModuleDef, PyModuleDef_Slot, PyObject};
use crate::gil::{nonnull, ErrSet, Gil};

/// The block behind each `PyModuleDef` made here; the `PyModuleDef` comes
/// first, so that `PyModule_GetDef` leads back to the block.
#[repr(C)]
struct ModuleDefBlock {
    pydef: PyModuleDef,
    /// The `HPyModuleDef` this block was made from.
    source: *mut HPyModuleDef,
    /// While `module_from_spec` runs: the module object that `create_module`
    /// made from this block (a strong reference), else NULL.
    created: *mut PyObject,
    /// What the runtime attached to the module (`attach_to_module`; from
    /// `PyMem_Malloc`), freed with the block; NULL when nothing is.
    attached: *mut c_void,
}

/// The block made by the last successful `_HPyModuleDef_CPyInit`. In the
/// CPython ABI every extension has its own copy of this crate, hence of this
/// variable, and `PyInit_NAME` runs again whenever the module is imported
/// afresh (after `del sys.modules[NAME]`, in a subinterpreter): it then
/// gets the same `PyModuleDef` again, as a C extension with a static one
/// does, instead of a new block each time.
static LAST_CPYINIT: AtomicPtr<ModuleDefBlock> = AtomicPtr::new(null_mut());

/// What `scan` learns from an `HPyModuleDef`.
#[derive(Default)]
struct Counts {
    methods: usize,
    slots: usize,
    legacy: usize,
    has_create: bool,
    /// Methods or exec slots, which `HPy_mod_create` excludes.
    has_non_create: bool,
}

/// Sets SystemError with `format`, whose one `%s` receives the explanation
/// appended to the errors about `HPy_mod_create`.
#[inline(never)]
fn create_error<T>(_gil: Gil, format: *const c_char) -> Result<T, ErrSet> {
    // SAFETY: with the GIL; `format` is one of the static formats below,
    // whose one `%s` takes this NUL-terminated string.
    unsafe {
        ffi::PyErr_Format(
            ffi::PyExc_SystemError,
            format,
            cstr!(
                "This is not allowed because custom HPy_mod_create slot cannot return a builtin module object \
                 and cannot make any use of any other data defined in the HPyModuleDef. Either do not define \
                 HPy_mod_create slot and let the runtime create a builtin module object from the provided \
                 HPyModuleDef, or do not define anything else but the HPy_mod_create slot."
            ),
        )
    };
    Err(ErrSet::from_c_api())
}

/// The reference count given to our `PyModuleDef`s: CPython 3.12+ reads it as
/// immortal (the low 32 bits are negative as an int32); for 3.9–3.11 it is
/// just a count that never drops to zero. Definitions compiled into an
/// extension get 1 (≤ 3.11) or the same immortal value (≥ 3.12).
const IMMORTAL_REFCNT: isize = 0xFFFF_FFFF;

/// Sets SystemError with a message (a static C string of this module).
#[inline]
fn system_error<T>(_gil: Gil, message: *const c_char) -> Result<T, ErrSet> {
    // SAFETY: with the GIL; the messages are static NUL-terminated strings.
    unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, message) };
    Err(ErrSet::from_c_api())
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

/// Calls `f` on each define of the NULL-terminated array `defines` (which
/// may itself be NULL), stopping at the first error.
pub(crate) unsafe fn for_each_define<E>(
    defines: *mut *mut HPyDef,
    mut f: impl FnMut(&HPyDef) -> Result<(), E>,
) -> Result<(), E> {
    if defines.is_null() {
        return Ok(());
    }
    let mut p = defines;
    loop {
        // SAFETY: `p` is inside the NULL-terminated array (not past the NULL).
        let d = unsafe { *p };
        if d.is_null() {
            return Ok(());
        }
        // SAFETY: a non-NULL entry points to a live HPyDef of the extension.
        f(unsafe { &*d })?;
        // SAFETY: the NULL was not reached yet, so the next entry exists.
        p = unsafe { p.add(1) };
    }
}

/// Checks `def` as HPy 0.9 does and counts what goes into the tables.
/// Fails (SystemError or ValueError) when `def` is not allowed.
unsafe fn scan(
    gil: Gil,
    def: &HPyModuleDef,
    name: *const c_char,
    allow_legacy: bool,
) -> Result<Counts, ErrSet> {
    let mut c = Counts::default();
    if def.size < 0 {
        return system_error(gil, cstr!("HPy does not permit HPyModuleDef.size < 0"));
    }
    if !def.legacy_methods.is_null() {
        if !allow_legacy {
            // SAFETY: setting an exception; `name` is a NUL-terminated string.
            unsafe {
                ffi::PyErr_Format(
                    ffi::PyExc_SystemError,
                    cstr!(
                        "Cannot use legacy functions when targeting the HPy Universal ABI: module '%s' has \
                         legacy_methods in its HPyModuleDef. Build it for the hybrid ABI to use them."
                    ),
                    name,
                )
            };
            return Err(ErrSet::from_c_api());
        }
        let legacy = def.legacy_methods.cast::<PyMethodDef>();
        // SAFETY: legacy_methods is an array of PyMethodDef ended by one
        // whose ml_name is NULL.
        while unsafe { !(*legacy.add(c.legacy)).ml_name.is_null() } {
            c.legacy += 1;
        }
    }
    let check = |d: &HPyDef| {
        match d.kind {
            HPyDef_Kind_Meth => {
                // SAFETY: the kind says which member of the union is in use.
                let meth = unsafe { &d.u.meth };
                if method_flags(meth.signature).is_none() {
                    // SAFETY: setting an exception with a static message.
                    unsafe {
                        ffi::PyErr_SetString(
                            ffi::PyExc_ValueError,
                            cstr!("Unsupported HPyMeth signature"),
                        )
                    };
                    return Err(ErrSet::from_c_api());
                }
                if meth.cpy_trampoline.is_none() || meth.name.is_null() {
                    return system_error(
                        gil,
                        cstr!("HPyDef_METH in HPyModuleDef.defines without name or trampoline"),
                    );
                }
                c.methods += 1;
                c.has_non_create = true;
            }
            HPyDef_Kind_Slot => {
                // SAFETY: the kind says which member of the union is in use.
                let slot = unsafe { &d.u.slot };
                match slot.slot {
                    HPy_mod_create if c.has_create => {
                        return system_error(gil, cstr!(
                            "Multiple definitions of the HPy_mod_create slot in HPyModuleDef.defines."
                        ));
                    }
                    HPy_mod_create => c.has_create = true,
                    HPy_mod_exec => c.has_non_create = true,
                    other => {
                        // SAFETY: setting an exception; %d takes a C int.
                        unsafe {
                            ffi::PyErr_Format(
                                ffi::PyExc_SystemError,
                                cstr!("Unsupported slot in HPyModuleDef.defines (value: %d)."),
                                other,
                            )
                        };
                        return Err(ErrSet::from_c_api());
                    }
                }
                if slot.cpy_trampoline.is_none() {
                    return system_error(
                        gil,
                        cstr!("HPyDef_SLOT in HPyModuleDef.defines without trampoline"),
                    );
                }
                c.slots += 1;
            }
            HPyDef_Kind_Member | HPyDef_Kind_GetSet => {
                return system_error(gil, cstr!(
                    "HPyModuleDef.defines may only contain HPyDef_METH and the slots HPy_mod_create and \
                     HPy_mod_exec: HPyDef_MEMBER and HPyDef_GETSET belong in an HPyType_Spec"
                ));
            }
            other => {
                // SAFETY: setting an exception; %d takes a C int.
                unsafe {
                    ffi::PyErr_Format(
                        ffi::PyExc_SystemError,
                        cstr!("Invalid HPyDef.kind in HPyModuleDef.defines (value: %d)."),
                        other,
                    )
                };
                return Err(ErrSet::from_c_api());
            }
        }
        Ok(())
    };
    // SAFETY: `defines` is NULL or a NULL-terminated array of live HPyDefs.
    unsafe { for_each_define(def.defines, check) }?;
    if c.has_create {
        if c.has_non_create {
            return create_error(
                gil,
                cstr!(
                "HPyModuleDef defines a HPy_mod_create slot and some other slots or methods. %s"
            ),
            );
        }
        if !def.legacy_methods.is_null()
            || def.size > 0
            || !def.doc.is_null()
            || !def.globals.is_null()
        {
            return create_error(gil, cstr!(
                "HPyModuleDef defines a HPy_mod_create slot and some of the other fields are not set \
                 to their default value. %s"
            ));
        }
    }
    Ok(c)
}

/// Rounds `n` up to a multiple of `align` (a power of two).
#[inline]
fn round_up(n: usize, align: usize) -> Option<usize> {
    Some(n.checked_add(align - 1)? & !(align - 1))
}

/// Builds the `PyModuleDef` of `def` (see the module documentation), in a
/// block that is never freed. `name` is copied. Legacy methods and module
/// state are accepted only when `allow_legacy` (CPython ABI and hybrid).
/// Fails if `def` is not valid or memory runs out.
///
/// # Safety
/// `def` is NULL or a valid `HPyModuleDef` whose pointers stay valid
/// forever (they are static data of the extension); `name` is NULL or a
/// NUL-terminated string.
pub unsafe fn create_pymoduledef(
    gil: Gil,
    def: *mut HPyModuleDef,
    name: *const c_char,
    allow_legacy: bool,
) -> Result<*mut PyModuleDef, ErrSet> {
    // SAFETY: as documented above.
    let block = unsafe { new_block(gil, def, name, allow_legacy, false) }?;
    // SAFETY: a complete block; the PyModuleDef is its first member.
    Ok(unsafe { ptr::addr_of_mut!((*block).pydef) })
}

/// `create_pymoduledef`; when `owned`, the definition is made for one module
/// object that frees it (`m_free`): unless `def` has an `HPy_mod_create`
/// slot, the module is made by our `create_module` slot.
///
/// # Safety
/// As for `create_pymoduledef`.
unsafe fn new_block(
    gil: Gil,
    def: *mut HPyModuleDef,
    name: *const c_char,
    allow_legacy: bool,
    owned: bool,
) -> Result<*mut ModuleDefBlock, ErrSet> {
    if def.is_null() || name.is_null() {
        return system_error(
            gil,
            cstr!("HPy module creation: the HPyModuleDef or the module name is NULL"),
        );
    }
    // SAFETY: checked non-NULL; the caller passes a valid definition.
    let def = unsafe { &*def };
    // SAFETY: as documented for the caller.
    let c = unsafe { scan(gil, def, name, allow_legacy) }?;
    // SAFETY: `name` is a NUL-terminated string.
    let name_len = unsafe { CStr::from_ptr(name) }.to_bytes().len();

    // Layout: block | methods (+ sentinel) | slots (+ sentinel) | name + NUL.
    let n_methods = c.methods + c.legacy;
    let our_create = owned && !c.has_create;
    let n_slots = c.slots + usize::from(our_create);
    let offsets = (|| {
        let methods = round_up(size_of::<ModuleDefBlock>(), align_of::<PyMethodDef>())?;
        let slots = round_up(
            methods.checked_add(
                n_methods
                    .checked_add(1)?
                    .checked_mul(size_of::<PyMethodDef>())?,
            )?,
            align_of::<PyModuleDef_Slot>(),
        )?;
        let name = slots.checked_add(
            n_slots
                .checked_add(1)?
                .checked_mul(size_of::<PyModuleDef_Slot>())?,
        )?;
        let total = name.checked_add(name_len)?.checked_add(1)?;
        Some((methods, slots, name, total))
    })();
    let block = match offsets {
        // SAFETY: plain allocation with the GIL (the token); zeroed, so every
        // sentinel is already there.
        Some((_, _, _, total)) => unsafe { ffi::PyMem_Calloc(1, total) }.cast::<u8>(),
        None => null_mut(),
    };
    let Some((methods_off, slots_off, name_off, _)) = offsets.filter(|_| !block.is_null()) else {
        // SAFETY: with the GIL, setting MemoryError.
        unsafe { ffi::PyErr_NoMemory() };
        return Err(ErrSet::from_c_api());
    };

    // SAFETY (for the blocks below): the offsets are inside the block and
    // aligned for their types; `n_methods`/`n_slots` entries (plus zeroed
    // sentinels) fit at them, as counted by `scan` over the same arrays.
    // SAFETY: see above.
    let (methods, slots, m_name) = unsafe {
        (
            block.add(methods_off).cast::<PyMethodDef>(),
            block.add(slots_off).cast::<PyModuleDef_Slot>(),
            block.add(name_off),
        )
    };
    // SAFETY: `name` has `name_len` bytes before its NUL; the copy's NUL is
    // already there (zeroed block).
    unsafe { ptr::copy_nonoverlapping(name.cast::<u8>(), m_name, name_len) };

    let mut mi = 0usize;
    let mut si = 0usize;
    if our_create {
        // SAFETY: see above; slot 0 exists since n_slots >= 1.
        unsafe {
            slots.write(PyModuleDef_Slot {
                slot: ffi::Py_mod_create,
                value: create_module as *mut c_void,
            })
        };
        si += 1;
    }
    let fill = |d: &HPyDef| {
        if d.kind == HPyDef_Kind_Meth && mi < c.methods {
            // SAFETY: a method define (checked by scan).
            let meth = unsafe { &d.u.meth };
            let entry = PyMethodDef {
                ml_name: meth.name,
                ml_meth: meth.cpy_trampoline.map_or(null_mut(), |f| f as *mut c_void),
                ml_flags: method_flags(meth.signature).unwrap_or(0),
                ml_doc: meth.doc,
            };
            // SAFETY: see above; `mi` < the number of method entries.
            unsafe { methods.add(mi).write(entry) };
            mi += 1;
        } else if d.kind == HPyDef_Kind_Slot && si < n_slots {
            // SAFETY: a slot define, HPy_mod_create or HPy_mod_exec (checked by scan).
            let slot = unsafe { &d.u.slot };
            let entry = PyModuleDef_Slot {
                slot: if slot.slot == HPy_mod_create {
                    ffi::Py_mod_create
                } else {
                    ffi::Py_mod_exec
                },
                value: slot.cpy_trampoline.map_or(null_mut(), |f| f as *mut c_void),
            };
            // SAFETY: see above; `si` < the number of slot entries.
            unsafe { slots.add(si).write(entry) };
            si += 1;
        }
        Ok::<(), core::convert::Infallible>(())
    };
    // SAFETY: the same array of live HPyDefs that `scan` accepted.
    if let Err(never) = unsafe { for_each_define(def.defines, fill) } {
        match never {}
    }
    if c.legacy > 0 {
        // SAFETY: see above; the legacy entries follow the HPy methods.
        unsafe {
            ptr::copy_nonoverlapping(
                def.legacy_methods.cast::<PyMethodDef>(),
                methods.add(c.methods),
                c.legacy,
            )
        };
    }

    let b = block.cast::<ModuleDefBlock>();
    // SAFETY: the block starts with a zeroed ModuleDefBlock.
    unsafe {
        let pydef = ptr::addr_of_mut!((*b).pydef);
        (*pydef).m_base.ob_base.ob_refcnt = IMMORTAL_REFCNT;
        (*pydef).m_name = m_name.cast();
        (*pydef).m_doc = def.doc;
        (*pydef).m_size = def.size;
        (*pydef).m_methods = methods;
        (*pydef).m_slots = slots;
        if our_create {
            (*pydef).m_free = free_module_def as *mut c_void;
        }
        (*b).source = ptr::addr_of!(*def).cast_mut();
        Ok(b)
    }
}

/// `PyInit_NAME` of a CPython-ABI extension (the `HPy_MODINIT` macro):
/// converts `def` with legacy features allowed and returns
/// `PyModuleDef_Init(pydef)` for multi-phase initialization, or NULL with
/// an exception set.
///
/// # Safety
/// Called from `PyInit_NAME` (GIL held) with the extension's static
/// `HPyModuleDef` and its name.
#[cfg_attr(feature = "export", no_mangle)]
#[allow(non_snake_case)]
pub unsafe extern "C" fn _HPyModuleDef_CPyInit(
    _ctx: *mut HPyContext,
    def: *mut HPyModuleDef,
    name: *const c_char,
) -> *mut cpy_PyObject {
    // SAFETY: `PyInit_NAME` runs with the GIL held.
    let gil = unsafe { Gil::assume() };
    let last = LAST_CPYINIT.load(Ordering::Acquire);
    // SAFETY: a non-NULL LAST_CPYINIT is a complete block that lives forever.
    if !last.is_null() && unsafe { (*last).source } == def {
        // SAFETY: as below; PyModuleDef_Init returns an initialized def as is.
        return unsafe { ffi::PyModuleDef_Init(ptr::addr_of_mut!((*last).pydef)) };
    }
    // SAFETY: as documented for the caller.
    let Ok(pydef) = (unsafe { create_pymoduledef(gil, def, name, true) }) else {
        return null_mut();
    };
    LAST_CPYINIT.store(pydef.cast(), Ordering::Release);
    // SAFETY: a complete PyModuleDef that lives forever.
    unsafe { ffi::PyModuleDef_Init(pydef) }
}

/// The `Py_mod_create` slot of the definitions made by `module_from_spec`
/// (without an `HPy_mod_create` of their own): makes the module object as
/// CPython does without a create slot (`PyModule_NewObject(spec.name)`),
/// and keeps a reference to it in the block, so that `module_from_spec`
/// knows that a module took the block.
unsafe extern "C" fn create_module(spec: *mut PyObject, pydef: *mut PyModuleDef) -> *mut PyObject {
    // SAFETY: with the GIL (CPython calls create slots with it); `spec` is a live object (CPython read its name
    // already); the attribute name is a static C string.
    let name = unsafe { ffi::PyObject_GetAttrString(spec, cstr!("name")) };
    if name.is_null() {
        return null_mut();
    }
    // SAFETY: with the GIL; `name` is a live object, whose new reference is
    // dropped once the module has it (or failed to).
    let module = unsafe {
        let module = ffi::PyModule_NewObject(name);
        ffi::Py_DecRef(name);
        module
    };
    if !module.is_null() {
        // SAFETY: this slot is only in blocks of `new_block(.., owned)`, so
        // `pydef` is the first member of a live ModuleDefBlock, which
        // `module_from_spec` is using right now; the block gets a reference
        // of its own.
        unsafe {
            ffi::Py_IncRef(module);
            (*pydef.cast::<ModuleDefBlock>()).created = module;
        }
    }
    module
}

/// Frees a block of `new_block` and what is attached to it.
///
/// # Safety
/// `block` is a block of `new_block` that nothing uses any more; with the
/// GIL (PyMem_Free).
unsafe fn free_block(block: *mut ModuleDefBlock) {
    // SAFETY: as documented: both were allocated with PyMem_*alloc (the
    // attachment by the runtime, `attach_to_module`'s contract).
    unsafe {
        ffi::PyMem_Free((*block).attached);
        ffi::PyMem_Free(block.cast());
    }
}

/// The `m_free` of the definitions made by `module_from_spec` for the
/// default module object: CPython calls it when the module is deallocated
/// (`module_dealloc`), when nothing that reads the definition is left (see
/// the module documentation).
unsafe extern "C" fn free_module_def(module: *mut c_void) {
    // SAFETY: CPython calls m_free with the GIL, from the module's
    // deallocation, while the module is still a module whose `md_def` is
    // this definition; only our blocks have this m_free, and nothing reads
    // the block after the module (module documentation).
    unsafe {
        let pydef = ffi::PyModule_GetDef(module.cast());
        if !pydef.is_null() {
            free_block(pydef.cast());
        }
    }
}

/// Whether `obj` is a module object (`PyModule_Check`).
///
/// # Safety
/// `obj` is a live object.
unsafe fn is_module(_gil: Gil, obj: *mut PyObject) -> bool {
    // SAFETY: with the GIL; a live object, and PyModule_Type a static type.
    unsafe {
        ffi::is_exact(obj, ffi::PyModule_Type.as_ptr())
            || ffi::PyType_IsSubtype(ffi::py_type(obj), ffi::PyModule_Type.as_ptr().cast()) != 0
    }
}

/// The block of `module`, if it is a module object made by `module_from_spec`
/// from one of our blocks (which have our `m_free`), else None.
///
/// # Safety
/// `module` is a live object.
unsafe fn owned_block_of(gil: Gil, module: *mut PyObject) -> Option<*mut ModuleDefBlock> {
    // SAFETY: as documented.
    if !unsafe { is_module(gil, module) } {
        return None;
    }
    // SAFETY: a module object: PyModule_GetDef reads its `md_def` (NULL for
    // modules not made from a PyModuleDef), whose `m_free` is ours only for
    // the blocks of `new_block(.., owned)`.
    unsafe {
        let pydef = ffi::PyModule_GetDef(module);
        (!pydef.is_null() && (*pydef).m_free == free_module_def as *mut c_void)
            .then_some(pydef.cast::<ModuleDefBlock>())
    }
}

/// Gives `data` to the module `module` made by `module_from_spec`: it is
/// freed (`PyMem_Free`) when the module's definition is, after the last
/// object that holds the module. False (nothing done) when `module` is not
/// such a module or already has an attachment.
///
/// # Safety
/// `module` is a live object; `data` was allocated with `PyMem_Malloc` or
/// `PyMem_Calloc` and is not freed elsewhere once this returns true.
pub unsafe fn attach_to_module(gil: Gil, module: *mut cpy_PyObject, data: *mut c_void) -> bool {
    // SAFETY: as documented.
    let Some(block) = (unsafe { owned_block_of(gil, module.cast()) }) else {
        return false;
    };
    // SAFETY: the live module's block, which lives as long as the module.
    unsafe {
        if !(*block).attached.is_null() {
            return false;
        }
        (*block).attached = data;
    }
    true
}

/// Creates and executes the module of a universal (or hybrid) extension, as
/// CPython's import does for a multi-phase `PyInit_NAME`: a definition of
/// its own (`new_block`), `PyModule_FromDefAndSpec2`, then, if the result
/// is a module object (`HPy_mod_create` may return something else), the
/// exec slots with `PyModule_ExecDef`. Returns a new reference. The
/// definition is freed with the module, or here when no module took it
/// (module documentation).
///
/// `allow_legacy` is false for the pure universal ABI (legacy methods and
/// module state are refused) and true for the hybrid ABI. The extension's
/// context must already be installed (`HPyInitGlobalContext_NAME`): the
/// slots run here. `name` is copied.
///
/// # Safety
/// `def` is what `HPyInit_NAME` returned (static data of a loaded extension
/// that is never unloaded); `name` is a NUL-terminated string; `spec` is a
/// live module spec.
pub unsafe fn module_from_spec(
    gil: Gil,
    _ctx: *mut HPyContext,
    def: *mut HPyModuleDef,
    name: *const c_char,
    spec: *mut cpy_PyObject,
    allow_legacy: bool,
) -> Result<*mut cpy_PyObject, ErrSet> {
    // SAFETY: as documented for the caller.
    let block = unsafe { new_block(gil, def, name, allow_legacy, true) }?;
    // SAFETY: a complete block; the PyModuleDef is its first member.
    let pydef = unsafe { ptr::addr_of_mut!((*block).pydef) };
    // SAFETY: with the GIL; a complete PyModuleDef and a live spec.
    let result = unsafe { ffi::PyModule_FromDefAndSpec2(pydef, spec, ffi::PYTHON_API_VERSION) };
    // SAFETY: the block is alive: nothing frees it before a module object
    // takes it, and `created`, when set, keeps that module (the block's
    // owner) alive until the Py_DecRef below.
    let created = unsafe { core::mem::replace(&mut (*block).created, null_mut()) };
    if created.is_null() {
        // SAFETY: with the GIL; `result` is NULL or a live object.
        let adopted = !result.is_null()
            && unsafe { is_module(gil, result) && ffi::PyModule_GetDef(result) == pydef };
        if adopted {
            // A module object that HPy_mod_create made (which its
            // trampolines refuse) got the block: it frees it (HPy_mod_create
            // excludes module state, so CPython calls m_free).
            // SAFETY: the block is alive (the module is).
            unsafe { (*pydef).m_free = free_module_def as *mut c_void };
        } else {
            // No module object was made from the block (creation failed
            // before, or HPy_mod_create made the object, not a module): it
            // is not referenced any more.
            // SAFETY: nothing uses the block; with the GIL.
            unsafe { free_block(block) };
        }
    } else {
        // SAFETY: with the GIL; `created` (alive: the block's reference) was
        // made from the block, which it frees at its death, but CPython calls
        // m_free only if the module has its state or needs none; a module
        // that failed before its state was made gets m_size 0, so that it
        // still frees the block. Then the block's reference is dropped,
        // after which the block may be gone.
        unsafe {
            if result.is_null() && (*pydef).m_size > 0 && ffi::PyModule_GetState(created).is_null()
            {
                (*pydef).m_size = 0;
            }
            ffi::Py_DecRef(created);
        }
    }
    let module = nonnull(result)?;
    // SAFETY: a live object; a module is one made from `pydef`, which lives
    // as long as it does.
    if unsafe { is_module(gil, module) } && unsafe { ffi::PyModule_ExecDef(module, pydef) } != 0 {
        // SAFETY: `module` is alive (our reference), so is its block. If its
        // state could not be made, m_size 0 lets it free the block all the
        // same (see above). Then the new reference is dropped.
        unsafe {
            if (*pydef).m_size > 0 && ffi::PyModule_GetState(module).is_null() {
                (*pydef).m_size = 0;
            }
            ffi::Py_DecRef(module);
        }
        return Err(ErrSet::from_c_api());
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_flags_follow_hpy_signatures() {
        assert_eq!(method_flags(HPyFunc_NOARGS), Some(ffi::METH_NOARGS));
        assert_eq!(method_flags(HPyFunc_O), Some(ffi::METH_O));
        assert_eq!(method_flags(HPyFunc_VARARGS), Some(ffi::METH_FASTCALL));
        assert_eq!(
            method_flags(HPyFunc_KEYWORDS),
            Some(ffi::METH_FASTCALL | ffi::METH_KEYWORDS)
        );
        assert_eq!(method_flags(HPyFunc_UNARYFUNC), None);
    }

    #[test]
    fn layouts_are_the_stable_abi_ones() {
        assert_eq!(size_of::<PyMethodDef>(), 4 * size_of::<usize>());
        assert_eq!(size_of::<PyModuleDef_Slot>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<PyModuleDef>(), 13 * size_of::<usize>());
        assert_eq!(
            round_up(size_of::<ModuleDefBlock>(), 8),
            Some(16 * size_of::<usize>())
        );
        assert_eq!(round_up(usize::MAX, 8), None);
    }
}
