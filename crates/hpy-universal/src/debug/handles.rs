//! The handles of the debug contexts: records of their own, never the
//! object pointer.
//!
//! A debug handle is an odd number (a universal handle, an object pointer,
//! is even): `index << 32 | serial << 1 | 1`, where `index` is the slot of
//! its record in the table and `serial` (31 bits) changes each time the
//! slot is reused, so that a stale handle is told from the one that took
//! its slot. A record holds the universal handle it owns (one reference),
//! whether it is closed, the generation it was opened in, the context that
//! opened it, the raw data handed out for it and, when enabled, where it was
//! opened. Closed records stay in a bounded queue (the "closed handles
//! queue") before their slot is reused.
//!
//! Builders and trackers have records of their own, in the same scheme; a
//! builder or tracker slot is free as soon as it is consumed (the serial
//! catches later use).
//!
//! Misuse (a closed handle, a handle of another context, a stale builder)
//! is reported by `report`: the hook installed with
//! `_debug.set_on_invalid_handle` (or `set_on_invalid_builder_handle`) is
//! called, then the API function fails with a SystemError naming it; with
//! no hook the process stops with a fatal error naming the function.

use core::ffi::{c_char, CStr};

use hpy_sys::{HPy, HPyContext};
use pyo3_ffi as ffi;

use crate::debug::raw;
use crate::python::{Gil, GilCell, Obj};

/// The error of a check: it has been reported (and, if the process goes on,
/// a Python exception is set).
pub struct Invalid;

/// Why a handle was opened, for the reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Returned by an API function (or HPy_Dup ...).
    Api,
    /// An argument of a call from CPython into the extension: closed when
    /// that call returns.
    Arg,
    /// A constant of the context (`ctx->h_None` ...): never closed.
    Constant,
}

pub struct Record {
    /// The universal handle, owned while open (and while closed if `kept`).
    pub obj: HPy,
    /// Closed while a hook was installed: the record still holds its
    /// object, so that a call given the closed handle can go on with it
    /// after the hook (as HPy 0.9's debug mode does).
    pub kept: bool,
    /// 0 when the slot is free.
    pub serial: u32,
    pub generation: u64,
    pub closed: bool,
    pub kind: Kind,
    /// The debug context that opened it (null for constants: any).
    pub ctx: usize,
    /// The protected copies of raw data handed out for this handle.
    pub raw: Vec<raw::Block>,
    /// The total size of that raw data.
    pub raw_size: usize,
    /// Where the handle was opened (with stack traces enabled).
    pub trace: Option<Box<str>>,
}

struct Small {
    /// The universal builder (`_lst`/`_tup`).
    value: isize,
    /// 0 when the slot is free.
    serial: u32,
    /// Tracker: the debug handles it owns.
    handles: Vec<HPy>,
}

pub struct Table {
    pub records: Vec<Record>,
    free: Vec<u32>,
    pub closed_queue: ClosedQueue,
    pub closed_max: usize,
    next_serial: u32,
    pub generation: u64,
    /// Spare buffers for `arrays` (no allocation per call once warm).
    pool: Vec<Vec<HPy>>,
    smalls: Vec<Small>,
    small_free: Vec<u32>,
    /// Python stack frames recorded per handle (0: none).
    pub trace_limit: usize,
    on_invalid_handle: Obj,
    on_invalid_builder: Obj,
    /// What records that left the closed queue (and closed records' raw
    /// data) hold, to release outside the table (`release_pending`).
    pending: Evicted,
}

/// The argument handles of the calls in progress on one thread, closed at
/// the end of each call. Per thread: a call that releases the GIL
/// (`HPy_LeavePythonExecution`) lets calls of other threads start and end
/// meanwhile, and each must close only its own arguments.
#[derive(Default)]
struct CallStacks {
    /// Argument handles, innermost call last.
    args: Vec<HPy>,
    /// Arrays of argument handles (their buffers must stay put during the call).
    arrays: Vec<Vec<HPy>>,
}

std::thread_local! {
    static CALLS: core::cell::RefCell<CallStacks> = core::cell::RefCell::new(CallStacks::default());
}

/// `f` with this thread's call stacks (never re-entered: `f` calls nothing
/// that dispatches a call).
fn with_calls<R>(f: impl FnOnce(&mut CallStacks) -> R) -> R {
    CALLS.with(|c| f(&mut c.borrow_mut()))
}

static TABLE: GilCell<Table> = GilCell::new(Table {
    records: Vec::new(),
    free: Vec::new(),
    closed_queue: ClosedQueue {
        buf: Vec::new(),
        head: 0,
        len: 0,
    },
    closed_max: 1024,
    next_serial: 1,
    generation: 0,
    pool: Vec::new(),
    smalls: Vec::new(),
    small_free: Vec::new(),
    trace_limit: 0,
    on_invalid_handle: core::ptr::null_mut(),
    on_invalid_builder: core::ptr::null_mut(),
    pending: Evicted {
        blocks: Vec::new(),
        objs: Vec::new(),
    },
});

/// Runs `f` on the table. `f` must not call into Python or back into this
/// module (no decref, no hook): the borrow must not overlap another.
#[inline(always)]
pub fn with<R>(_gil: Gil, f: impl FnOnce(&mut Table) -> R) -> R {
    // SAFETY: with the GIL (the token), and `f` calls nothing that could
    // reach the table again, so this is the only reference while it lives.
    f(unsafe { &mut *TABLE.as_ptr() })
}

#[inline(always)]
fn encode(index: u32, serial: u32) -> isize {
    (((index as u64) << 32) | (((serial & 0x7fff_ffff) as u64) << 1) | 1) as isize
}

#[inline(always)]
fn decode(value: isize) -> Option<(u32, u32)> {
    if value & 1 == 0 {
        return None;
    }
    let v = value as u64;
    Some(((v >> 32) as u32, ((v >> 1) & 0x7fff_ffff) as u32))
}

impl Table {
    fn serial(&mut self) -> u32 {
        let s = self.next_serial;
        self.next_serial = if s >= 0x7fff_ffff { 1 } else { s + 1 };
        s
    }

    #[inline]
    fn open(&mut self, obj: HPy, kind: Kind, ctx: usize, trace: Option<Box<str>>) -> HPy {
        let serial = self.serial();
        let generation = self.generation;
        if let Some(&i) = self.free.last() {
            if let Some(r) = self.records.get_mut(i as usize) {
                // a free slot left the closed queue (`evict_to_pending`):
                // its raw data and object were taken, its trace dropped,
                // so only the fields that differ are written
                self.free.pop();
                r.obj = obj;
                r.kept = false;
                r.serial = serial;
                r.generation = generation;
                r.closed = false;
                r.kind = kind;
                r.ctx = ctx;
                r.raw_size = 0;
                r.trace = trace;
                return HPy {
                    _i: encode(i, serial),
                };
            }
        }
        let record = Record {
            obj,
            serial,
            generation: self.generation,
            closed: false,
            kept: false,
            kind,
            ctx,
            raw: Vec::new(),
            raw_size: 0,
            trace,
        };
        let index = match self.free.pop() {
            Some(i) => {
                if let Some(slot) = self.records.get_mut(i as usize) {
                    *slot = record;
                }
                i
            }
            None => {
                self.records.push(record);
                (self.records.len() - 1) as u32
            }
        };
        HPy {
            _i: encode(index, serial),
        }
    }

    /// The record of an open or closed (still queued) handle.
    #[inline]
    pub fn record(&self, h: HPy) -> Option<&Record> {
        let (index, serial) = decode(h._i)?;
        self.records
            .get(index as usize)
            .filter(|r| r.serial != 0 && r.serial == serial)
    }

    #[inline]
    fn record_mut(&mut self, h: HPy) -> Option<&mut Record> {
        let (index, serial) = decode(h._i)?;
        self.records
            .get_mut(index as usize)
            .filter(|r| r.serial != 0 && r.serial == serial)
    }

    /// The record of an open handle, to attach raw data to.
    pub fn record_for_raw(&mut self, h: HPy) -> Option<&mut Record> {
        self.record_mut(h).filter(|r| !r.closed)
    }

    /// Puts the closed record `index` in the queue; what the records that
    /// leave it held goes to `pending` (their slots are free again).
    #[inline(always)]
    fn enqueue_closed(&mut self, index: u32) {
        match self.closed_queue.push_evicting(index, self.closed_max) {
            Some(old) => self.evict_record(old),
            None => self.evict_to_pending(),
        }
    }

    fn evict_to_pending(&mut self) {
        while self.closed_queue.len() > self.closed_max {
            let Some(old) = self.closed_queue.pop_front() else {
                break;
            };
            self.evict_record(old);
        }
    }

    /// Frees the slot of the record `old`, which left the closed queue.
    #[inline(always)]
    fn evict_record(&mut self, old: u32) {
        if let Some(r) = self.records.get_mut(old as usize) {
            r.serial = 0;
            if r.trace.is_some() {
                r.trace = None;
            }
            if !r.raw.is_empty() {
                self.pending.blocks.append(&mut r.raw);
            }
            if r.kept {
                r.kept = false;
                self.pending
                    .objs
                    .push(core::mem::replace(&mut r.obj, HPy::NULL));
            }
        }
        self.free.push(old);
    }

    fn evict(&mut self) -> Evicted {
        self.evict_to_pending();
        core::mem::take(&mut self.pending)
    }

    /// Applies a new queue size limit.
    pub fn set_closed_max(&mut self, max: usize) -> Evicted {
        self.closed_max = max;
        self.evict()
    }

    /// The objects kept by closed records (no hook any more).
    fn release_kept(&mut self) -> Evicted {
        let mut out = Evicted::default();
        for &i in &self.closed_queue {
            if let Some(r) = self.records.get_mut(i as usize) {
                if r.kept {
                    r.kept = false;
                    out.objs.push(core::mem::replace(&mut r.obj, HPy::NULL));
                }
            }
        }
        out
    }
}

impl Table {
    /// Closes `h` if it is an open handle usable with `dctx` that is not a
    /// constant: its object (whose reference the caller now owns) and its
    /// raw data, to revoke. None: the slow path must check and report.
    /// The object comes with `kept`: true when the record keeps its
    /// reference (a hook is installed), false when it is the caller's.
    /// What must be released goes to `pending` (`release_pending`).
    #[inline(always)]
    fn close_open(&mut self, dctx: usize, h: HPy) -> Option<(HPy, bool)> {
        let (index, _) = decode(h._i)?;
        let keep = !self.on_invalid_handle.is_null();
        let r = self.record_mut(h)?;
        if r.closed || r.ctx != dctx || r.kind == Kind::Constant {
            return None;
        }
        r.closed = true;
        r.kept = keep;
        let obj = if keep {
            r.obj
        } else {
            core::mem::replace(&mut r.obj, HPy::NULL)
        };
        let blocks = if r.raw.is_empty() {
            Vec::new()
        } else {
            core::mem::take(&mut r.raw)
        };
        self.enqueue_closed(index);
        if !blocks.is_empty() {
            self.pending.blocks.extend(blocks);
        }
        Some((obj, keep))
    }
}

/// The closed handles queue: the slots of closed records, oldest first, in
/// a ring (once it holds `closed_max` records, each close replaces the
/// oldest in place).
pub struct ClosedQueue {
    /// The ring; its length is the capacity.
    buf: Vec<u32>,
    /// Where the oldest is.
    head: usize,
    /// How many it holds.
    len: usize,
}

impl ClosedQueue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push_back(&mut self, index: u32) {
        if self.len == self.buf.len() {
            // full: the items in order at the front, then twice the room
            self.buf.rotate_left(self.head);
            self.head = 0;
            let cap = (self.buf.len() * 2).max(16);
            self.buf.resize(cap, 0);
        }
        let tail = (self.head + self.len) % self.buf.len();
        if let Some(slot) = self.buf.get_mut(tail) {
            *slot = index;
            self.len += 1;
        }
    }

    pub fn pop_front(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let v = *self.buf.get(self.head)?;
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(v)
    }

    /// `push_back` when the queue is not full at `max` (None); when it is,
    /// puts `index` in place of the oldest and returns that one.
    #[inline(always)]
    fn push_evicting(&mut self, index: u32, max: usize) -> Option<u32> {
        if self.len != max || max == 0 {
            self.push_back(index);
            return None;
        }
        let cap = self.buf.len();
        let old = *self.buf.get(self.head)?;
        let mut tail = self.head + self.len;
        if tail >= cap {
            tail -= cap;
        }
        // with len == cap the tail is the head: `old` was read first
        *self.buf.get_mut(tail)? = index;
        self.head += 1;
        if self.head == cap {
            self.head = 0;
        }
        Some(old)
    }

    /// The slots, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &u32> + '_ {
        let (wrapped, first) = self.buf.split_at(self.head.min(self.buf.len()));
        first.iter().chain(wrapped.iter()).take(self.len)
    }
}

impl<'a> IntoIterator for &'a ClosedQueue {
    type Item = &'a u32;
    type IntoIter = Box<dyn Iterator<Item = &'a u32> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// What records leaving the closed queue held: raw data to unmap, objects
/// to release (outside the table: a release may run Python code).
#[derive(Default)]
pub struct Evicted {
    pub blocks: Vec<raw::Block>,
    pub objs: Vec<HPy>,
}

/// Releases what `close_open` and the queue left in `pending`, if anything
/// (outside the table: a release may run Python code).
#[inline(always)]
fn release_pending(gil: Gil) {
    if with(gil, |t| {
        t.pending.blocks.is_empty() && t.pending.objs.is_empty()
    }) {
        return;
    }
    release_pending_slow(gil);
}

#[cold]
#[inline(never)]
fn release_pending_slow(gil: Gil) {
    let evicted = with(gil, |t| core::mem::take(&mut t.pending));
    evicted.release(gil);
}

impl Evicted {
    pub fn release(self, gil: Gil) {
        raw::revoke(gil, self.blocks);
        for o in self.objs {
            // SAFETY: with the GIL; each was a reference held by a record.
            unsafe { ffi::Py_XDECREF(o._i as Obj) };
        }
    }
}

/// What is wrong with a handle, for `report`.
enum Problem {
    NotDebug,
    Closed { arg: bool, trace: Option<Box<str>> },
    Stale,
    OtherContext,
    Constant,
}

/// The context field `name` of a debug context.
fn ctx_name(ctx: usize) -> String {
    if ctx == 0 {
        return "?".into();
    }
    // SAFETY: `ctx` is the address of one of our debug contexts, which live
    // forever; their names are static NUL-terminated strings.
    unsafe { CStr::from_ptr((*(ctx as *const HPyContext)).name) }
        .to_string_lossy()
        .into_owned()
}

fn message(func: &CStr, h: HPy, problem: &Problem) -> String {
    let func = func.to_string_lossy();
    let what = match problem {
        Problem::NotDebug => format!(
            "{func} was passed {:#x}, which is not a handle of the debug mode context (a handle of the \
             universal context, or not a handle at all)",
            h._i
        ),
        Problem::Closed { arg, trace } => {
            let mut m = format!(
                "Invalid usage of already closed handle: {func} was passed the handle {:#x}, which \
                 is already closed",
                h._i
            );
            if *arg {
                m.push_str(
                    " (it was an argument of a call into the extension, closed when that call \
                     returned: a handle must not be kept past the call that received it; store the \
                     object in an HPyGlobal or an HPyField instead)",
                );
            }
            if let Some(t) = trace {
                m.push_str("; it was opened at:\n");
                m.push_str(t);
            }
            m
        }
        Problem::Stale => format!(
            "{func} was passed the handle {:#x}, which was closed long ago (it is no longer in the \
             closed handles queue)",
            h._i
        ),
        Problem::OtherContext => format!(
            "{func} was passed the handle {:#x}, which belongs to another HPy context",
            h._i
        ),
        Problem::Constant => format!(
            "{func} was passed the constant handle {:#x} of the context (ctx->h_...) to close; \
             constant handles are never closed (HPy_Dup them to get a handle you own)",
            h._i
        ),
    };
    format!("HPy debug mode: invalid handle: {what}")
}

/// Reports misuse: calls the hook if one is installed (then the API
/// function fails with a Python exception), else stops the process.
#[cold]
fn report(gil: Gil, builder: bool, text: String) -> Invalid {
    if report_hook(gil, builder, &text).is_ok() {
        let c = std::ffi::CString::new(text.replace('\0', "?")).unwrap_or_default();
        // SAFETY: with the GIL; `c` is NUL-terminated.
        unsafe { ffi::PyErr_SetString(ffi::PyExc_SystemError, c.as_ptr()) };
    }
    Invalid
}

/// Calls the hook (or stops the process when there is none). Ok: the hook
/// returned and no exception is set, the caller may go on.
#[cold]
fn report_hook(gil: Gil, builder: bool, text: &str) -> Result<(), Invalid> {
    let hook = with(gil, |t| {
        if builder {
            t.on_invalid_builder
        } else {
            t.on_invalid_handle
        }
    });
    let text = text.replace('\0', "?");
    if hook.is_null() {
        let c = std::ffi::CString::new(text).unwrap_or_default();
        // SAFETY: `c` is NUL-terminated; Py_FatalError does not return.
        unsafe { ffi::Py_FatalError(c.as_ptr()) }
    }
    // SAFETY: with the GIL; `hook` is a live callable we hold a reference
    // to (it stays referenced by the table during the call: we incref it).
    unsafe {
        ffi::Py_INCREF(hook);
        let r = ffi::PyObject_CallNoArgs(hook);
        ffi::Py_DECREF(hook);
        if r.is_null() {
            return Err(Invalid);
        }
        ffi::Py_DECREF(r);
        if ffi::PyErr_Occurred().is_null() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }
}

/// After a report in a function that returns nothing (HPy_Close ...): the
/// exception set by `report` cannot be returned, so it is dropped.
#[cold]
pub fn drop_report(_gil: Gil) {
    // SAFETY: with the GIL (the token).
    unsafe { ffi::PyErr_Clear() };
}

/// What `@requires(P,KIND)` of api/hpy.api asks of an argument.
#[derive(Clone, Copy)]
pub enum Requires {
    Type,
    // emitted for an inline or forwarded function with
    // @requires(P,hpy_instance); none has one today
    #[allow(dead_code)]
    HPyInstance,
    Bytes,
    Slice,
    ContextVar,
}

/// Checks that the universal handle `u`, argument `what` of `func`, is an
/// object of the kind it must be; a wrong one is reported like an invalid
/// handle ("HPy_TypeCheck arg 2 must be a type"). `HPy_NULL` is left to the
/// function, and so are the kinds whose functions raise TypeError themselves
/// (bytes, context variables).
pub fn require(gil: Gil, u: HPy, kind: Requires, func: &CStr, what: &str) -> Result<(), Invalid> {
    let o = u._i as Obj;
    if o.is_null() {
        return Ok(());
    }
    // SAFETY: with the GIL; `o` is a live object (an open handle's).
    let (ok, noun) = unsafe {
        match kind {
            Requires::Type => (ffi::PyType_Check(o) != 0, "a type"),
            // the runtime's registry of HPy types is not reachable from
            // here: the function itself checks
            Requires::HPyInstance => (true, "an instance of an HPy type"),
            // the functions raise TypeError themselves (bad input is an
            // exception): nothing for debug mode to add
            Requires::Bytes | Requires::ContextVar => (true, ""),
            Requires::Slice => (ffi::PySlice_Check(o) != 0, "a slice object"),
        }
    };
    if ok {
        return Ok(());
    }
    Err(report(
        gil,
        false,
        format!(
            "HPy debug mode: {} {what} must be {noun}",
            func.to_string_lossy()
        ),
    ))
}

/// Installs a hook (a new reference, or null); returns the old one.
/// Removing the handle hook releases the objects that closed handles kept.
pub fn set_hook(gil: Gil, builder: bool, hook: Obj) -> Obj {
    let (old, evicted) = with(gil, |t| {
        let slot = if builder {
            &mut t.on_invalid_builder
        } else {
            &mut t.on_invalid_handle
        };
        let old = core::mem::replace(slot, hook);
        let evicted = if !builder && hook.is_null() {
            t.release_kept()
        } else {
            Evicted::default()
        };
        (old, evicted)
    });
    evicted.release(gil);
    old
}

/// Checks a debug handle passed to `func` of `dctx` and gives the universal
/// handle it stands for (`HPy_NULL` passes through).
#[inline]
pub fn unwrap(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<HPy, Invalid> {
    if h._i == 0 {
        return Ok(h);
    }
    let open = with(gil, |t| match t.record(h) {
        Some(r) if !r.closed && (r.ctx == dctx as usize || r.kind == Kind::Constant) => Some(r.obj),
        _ => None,
    });
    match open {
        Some(u) => Ok(u),
        None => unwrap_slow(gil, dctx, h, func),
    }
}

/// `unwrap` of a handle that is not open in `dctx`: reported.
#[cold]
#[inline(never)]
fn unwrap_slow(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<HPy, Invalid> {
    let found = with(gil, |t| match t.record(h) {
        Some(r) if !r.closed && (r.ctx == dctx as usize || r.kind == Kind::Constant) => Ok(r.obj),
        Some(r) if r.closed => Err((
            Problem::Closed {
                arg: r.kind == Kind::Arg,
                trace: r.trace.clone(),
            },
            r.kept.then_some(r.obj),
        )),
        Some(_) => Err((Problem::OtherContext, None)),
        None if decode(h._i).is_none() => Err((Problem::NotDebug, None)),
        None => Err((Problem::Stale, None)),
    });
    match found {
        Ok(u) => Ok(u),
        // the hook may let the call go on with the object a closed handle kept
        Err((p, Some(kept))) => {
            report_hook(gil, false, &message(func, h, &p))?;
            Ok(kept)
        }
        Err((p, None)) => Err(report(gil, false, message(func, h, &p))),
    }
}

/// The object of a debug handle, without reporting (null if not open).
pub fn object_of(gil: Gil, h: HPy) -> HPy {
    with(gil, |t| match t.record(h) {
        Some(r) if !r.closed => r.obj,
        _ => HPy::NULL,
    })
}

/// A new debug handle of `dctx` owning the universal handle `u`
/// (`HPy_NULL` gives `HPy_NULL`).
#[inline]
pub fn wrap(gil: Gil, dctx: *mut HPyContext, u: HPy) -> HPy {
    if u._i == 0 {
        return u;
    }
    let trace = trace_if_enabled(gil);
    with(gil, |t| t.open(u, Kind::Api, dctx as usize, trace))
}

/// A permanent debug handle for a constant of the universal context.
pub fn constant(gil: Gil, u: HPy) -> HPy {
    with(gil, |t| t.open(u, Kind::Constant, 0, None))
}

/// Closes a debug handle for `func` (`HPy_NULL` does nothing): the record is
/// marked closed and queued, its raw data protected, its object released.
pub fn close(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<(), Invalid> {
    if h._i == 0 {
        return Ok(());
    }
    if let Some((obj, kept)) = with(gil, |t| t.close_open(dctx as usize, h)) {
        release_pending(gil);
        if !kept {
            // SAFETY: with the GIL; the record owned one reference to `obj`.
            unsafe { ffi::Py_DECREF(obj._i as Obj) };
        }
        return Ok(());
    }
    if let Some(Kind::Constant) = with(gil, |t| t.record(h).map(|r| r.kind)) {
        return Err(report(gil, false, message(func, h, &Problem::Constant)));
    }
    // a closed handle (reported, and the hook allowed going on) or one of
    // another context: nothing to close
    unwrap(gil, dctx, h, func)?;
    Ok(())
}

/// `DebugHandle._force_close()`: closes an open handle with the context
/// that opened it; a closed one is reported like a double close.
pub fn force_close(gil: Gil, h: HPy) -> Result<(), Invalid> {
    let ctx = with(gil, |t| t.record(h).map(|r| r.ctx).unwrap_or(0));
    close(gil, ctx as *mut HPyContext, h, c"DebugHandle._force_close")
}

/// Takes the object out of a handle returned to CPython: a new reference
/// to it, and the handle closed. Reports a closed handle (returning null).
pub fn into_object(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<Obj, Invalid> {
    if let Some((obj, kept)) = with(gil, |t| t.close_open(dctx as usize, h)) {
        release_pending(gil);
        if kept {
            // SAFETY: with the GIL; the record keeps its own reference.
            unsafe { ffi::Py_INCREF(obj._i as Obj) };
        }
        // the record's reference (or the new one) goes to the caller
        return Ok(obj._i as Obj);
    }
    // a constant of the context, returned without HPy_Dup: reported (the
    // caller would own a reference nobody gave it); the hook may go on
    if let Some(Kind::Constant) = with(gil, |t| t.record(h).map(|r| r.kind)) {
        let text = format!(
            "HPy debug mode: {} is the constant handle {:#x} of the context (ctx->h_...), returned \
             without HPy_Dup: return HPy_Dup(ctx, ctx->h_None) and the like",
            func.to_string_lossy(),
            h._i
        );
        if report_hook(gil, false, &text).is_err() {
            return Err(Invalid);
        }
    }
    // closed, or of another context: reported; if the hook allows going
    // on, the object the closed handle kept
    let u = unwrap(gil, dctx, h, func)?;
    // SAFETY: with the GIL; `u` is live (held by its record).
    unsafe { ffi::Py_XINCREF(u._i as Obj) };
    Ok(u._i as Obj)
}

/// Opens an argument handle for a borrowed object passed in by CPython; it
/// is closed by `close_args` when the call returns.
pub fn open_arg(gil: Gil, dctx: *mut HPyContext, obj: Obj) -> HPy {
    let h = open_call_arg(gil, dctx, obj);
    if h._i != 0 {
        with_calls(|c| c.args.push(h));
    }
    h
}

/// Opens an argument handle (null gives `HPy_NULL`) that the caller closes
/// itself with `close_call_arg` when the call returns (the direct call
/// path of method_call.rs, which keeps its handles on its stack).
#[inline]
pub fn open_call_arg(gil: Gil, dctx: *mut HPyContext, obj: Obj) -> HPy {
    if obj.is_null() {
        return HPy::NULL;
    }
    // SAFETY: with the GIL; CPython passes a live object; the record owns
    // the new reference.
    unsafe { ffi::Py_INCREF(obj) };
    let trace = trace_if_enabled(gil);
    with(gil, |t| {
        t.open(HPy { _i: obj as isize }, Kind::Arg, dctx as usize, trace)
    })
}

/// Opens an argument handle for each of the `n` objects of `items` into
/// `out` (a null item gives `HPy_NULL`), to be closed by the caller with
/// `close_call_arg`, as `open_call_arg` does for one.
///
/// # Safety
/// `items` points to `n` live objects or nulls, `out` to room for `n` handles.
pub unsafe fn open_call_args(
    gil: Gil,
    dctx: *mut HPyContext,
    items: *const Obj,
    n: usize,
    out: *mut HPy,
) {
    let trace = trace_if_enabled(gil);
    with(gil, |t| {
        for i in 0..n {
            // SAFETY: the caller's contract; with the GIL; the record owns
            // the new reference.
            unsafe {
                let obj = *items.add(i);
                let h = if obj.is_null() {
                    HPy::NULL
                } else {
                    ffi::Py_INCREF(obj);
                    t.open(
                        HPy { _i: obj as isize },
                        Kind::Arg,
                        dctx as usize,
                        trace.clone(),
                    )
                };
                out.add(i).write(h);
            }
        }
    })
}

/// Closes an argument handle at the end of its call (`HPy_NULL` does
/// nothing); one the extension closed itself is reported.
#[inline]
pub fn close_call_arg(gil: Gil, dctx: *mut HPyContext, h: HPy) {
    if h._i == 0 {
        return;
    }
    match with(gil, |t| t.close_open(dctx as usize, h)) {
        Some((obj, kept)) => {
            release_pending(gil);
            if !kept {
                // SAFETY: with the GIL; the record owned this reference.
                unsafe { ffi::Py_DECREF(obj._i as Obj) };
            }
        }
        None => {
            let closed = close(
                gil,
                dctx,
                h,
                c"the end of a call into the extension (closing an argument handle that the \
                   extension closed itself: argument handles are borrowed, never close them)",
            );
            if closed.is_err() {
                drop_report(gil);
            }
        }
    }
}

/// An array of argument handles for the items of a C array of objects,
/// alive until `close_args`.
pub fn open_arg_array(gil: Gil, dctx: *mut HPyContext, items: *const Obj, n: usize) -> *const HPy {
    let trace = trace_if_enabled(gil);
    with(gil, |t| {
        let mut v = t.pool.pop().unwrap_or_default();
        v.clear();
        v.reserve(n);
        for i in 0..n {
            // SAFETY: the caller passes an array of `n` live objects (with
            // the GIL); the record owns the new reference.
            let obj = unsafe { *items.add(i) };
            let h = if obj.is_null() {
                HPy::NULL
            } else {
                // SAFETY: as above.
                unsafe { ffi::Py_INCREF(obj) };
                let h = t.open(
                    HPy { _i: obj as isize },
                    Kind::Arg,
                    dctx as usize,
                    trace.clone(),
                );
                with_calls(|c| c.args.push(h));
                h
            };
            v.push(h);
        }
        let p = v.as_ptr();
        with_calls(|c| c.arrays.push(v));
        p
    })
}

/// Where the argument stacks are before a call.
#[derive(Clone, Copy)]
pub struct Mark(usize, usize);

pub fn mark(gil: Gil) -> Mark {
    let _ = gil;
    with_calls(|c| Mark(c.args.len(), c.arrays.len()))
}

/// Closes the argument handles opened since `m` (the call has returned).
pub fn close_args(gil: Gil, dctx: *mut HPyContext, m: Mark) {
    let done: Vec<Vec<HPy>> = with_calls(|c| c.arrays.split_off(m.1.min(c.arrays.len())));
    with(gil, |t| t.pool.extend(done));
    let pop = || {
        with_calls(|c| {
            if c.args.len() > m.0 {
                c.args.pop()
            } else {
                None
            }
        })
    };
    while let Some(h) = pop() {
        close_call_arg(gil, dctx, h);
    }
}

/// Unwraps an array of `n` debug handles.
pub fn unwrap_array(
    gil: Gil,
    dctx: *mut HPyContext,
    items: *const HPy,
    n: usize,
    func: &CStr,
) -> Result<Vec<HPy>, Invalid> {
    let mut v = Vec::with_capacity(n);
    if items.is_null() {
        return Ok(v);
    }
    for i in 0..n {
        // SAFETY: the caller passes an array of `n` handles (@array_len).
        v.push(unwrap(gil, dctx, unsafe { *items.add(i) }, func)?);
    }
    Ok(v)
}

/// The pointer to pass for an unwrapped array (null stays null).
pub fn array_ptr(original: *const HPy, unwrapped: &[HPy]) -> *const HPy {
    if original.is_null() {
        original
    } else {
        unwrapped.as_ptr()
    }
}

/// The length of a tuple of the universal context (0 for `HPy_NULL`).
pub fn tuple_len(u: HPy) -> usize {
    if u._i == 0 {
        return 0;
    }
    // SAFETY: with the GIL (context functions); `u` is a live object.
    let n = unsafe { ffi::PyTuple_Size(u._i as Obj) };
    if n < 0 {
        // SAFETY: with the GIL; not a tuple: the universal function reports it.
        unsafe { ffi::PyErr_Clear() };
        0
    } else {
        n as usize
    }
}

/// The length of the object of a universal handle (0 on error).
pub fn object_len(u: HPy) -> usize {
    // SAFETY: with the GIL; `u` is a live object.
    let n = unsafe { ffi::PyObject_Size(u._i as Obj) };
    if n < 0 {
        // SAFETY: with the GIL.
        unsafe { ffi::PyErr_Clear() };
        0
    } else {
        n as usize
    }
}

fn small_open(t: &mut Table, value: isize) -> isize {
    let serial = t.serial();
    let rec = Small {
        value,
        serial,
        handles: Vec::new(),
    };
    let index = match t.small_free.pop() {
        Some(i) => {
            if let Some(s) = t.smalls.get_mut(i as usize) {
                *s = rec;
            }
            i
        }
        None => {
            t.smalls.push(rec);
            (t.smalls.len() - 1) as u32
        }
    };
    encode(index, serial)
}

fn small_mut(t: &mut Table, value: isize) -> Option<&mut Small> {
    let (index, serial) = decode(value)?;
    t.smalls
        .get_mut(index as usize)
        .filter(|s| s.serial != 0 && s.serial == serial)
}

/// A debug builder for the universal builder `u` (0 stays 0: failure).
pub fn wrap_builder(gil: Gil, u: isize) -> isize {
    if u == 0 {
        return 0;
    }
    with(gil, |t| small_open(t, u))
}

/// The universal builder of a debug builder; a builder used after its
/// Build or Cancel is reported.
pub fn unwrap_builder(gil: Gil, b: isize, func: &CStr) -> Result<isize, Invalid> {
    if b == 0 {
        return Ok(0);
    }
    match with(gil, |t| small_mut(t, b).map(|s| s.value)) {
        Some(u) => Ok(u),
        None => Err(report(
            gil,
            true,
            format!(
                "HPy debug mode: invalid builder handle: {} was passed the builder {b:#x}, which was \
                 already built or cancelled",
                func.to_string_lossy()
            ),
        )),
    }
}

/// Frees the record of a consumed builder.
pub fn close_builder(gil: Gil, b: isize) {
    with(gil, |t| {
        if let Some((index, _)) = decode(b) {
            if let Some(s) = small_mut(t, b) {
                s.serial = 0;
                t.small_free.push(index);
            }
        }
    })
}

/// A new tracker record.
pub fn tracker_new(gil: Gil) -> isize {
    with(gil, |t| small_open(t, 1))
}

/// Adds a handle to a tracker; false if the tracker is not open.
pub fn tracker_add(gil: Gil, ht: isize, h: HPy) -> bool {
    with(gil, |t| match small_mut(t, ht) {
        Some(s) => {
            s.handles.push(h);
            true
        }
        None => false,
    })
}

/// Forgets (Some(empty)) or takes and frees (`close`) the tracker's
/// handles; None if the tracker is not open.
pub fn tracker_take(gil: Gil, ht: isize, close: bool) -> Option<Vec<HPy>> {
    with(gil, |t| {
        let (index, _) = decode(ht)?;
        let s = small_mut(t, ht)?;
        let handles = core::mem::take(&mut s.handles);
        if close {
            s.serial = 0;
            t.small_free.push(index);
        }
        Some(handles)
    })
}

/// Reports an invalid tracker.
pub fn bad_tracker(gil: Gil, ht: isize, func: &CStr) -> Invalid {
    report(
        gil,
        false,
        format!(
            "HPy debug mode: invalid tracker: {} was passed the tracker {ht:#x}, which is already \
             closed",
            func.to_string_lossy()
        ),
    )
}

/// The Python location where a handle is being opened, if traces are on.
#[inline(always)]
fn trace_if_enabled(gil: Gil) -> Option<Box<str>> {
    let limit = with(gil, |t| t.trace_limit);
    if limit == 0 {
        return None;
    }
    trace_of(limit)
}

#[cold]
#[inline(never)]
fn trace_of(limit: usize) -> Option<Box<str>> {
    Some(python_stack(limit).into_boxed_str())
}

/// Up to `limit` Python frames, innermost first, as `  File "F", line N, in NAME`.
fn python_stack(limit: usize) -> String {
    let mut out = String::new();
    // SAFETY: with the GIL; the frames are borrowed from the thread state
    // (PyEval_GetFrame) or new references (PyFrame_GetBack, GetCode) that
    // are released; the code object's attributes are read through the API.
    unsafe {
        let mut frame = ffi::PyEval_GetFrame();
        if !frame.is_null() {
            ffi::Py_INCREF(frame.cast());
        }
        let mut n = 0;
        while !frame.is_null() && n < limit {
            let code = ffi::PyFrame_GetCode(frame);
            let line = ffi::PyFrame_GetLineNumber(frame);
            let file = attr_str(code.cast(), c"co_filename");
            let name = attr_str(code.cast(), c"co_name");
            ffi::Py_DECREF(code.cast());
            out.push_str(&format!("  File \"{file}\", line {line}, in {name}\n"));
            let back = ffi::PyFrame_GetBack(frame);
            ffi::Py_DECREF(frame.cast());
            frame = back;
            n += 1;
        }
        if !frame.is_null() {
            ffi::Py_DECREF(frame.cast());
        }
    }
    if out.is_empty() {
        out.push_str("  (no Python frame: called from C)\n");
    }
    out
}

/// `str(getattr(obj, name))`, or "?".
unsafe fn attr_str(obj: Obj, name: &CStr) -> String {
    // SAFETY: with the GIL; `obj` is live; the results are released.
    unsafe {
        let v = ffi::PyObject_GetAttrString(obj, name.as_ptr());
        if v.is_null() {
            ffi::PyErr_Clear();
            return "?".into();
        }
        let s = ffi::PyUnicode_AsUTF8(v);
        let text = if s.is_null() {
            ffi::PyErr_Clear();
            "?".to_string()
        } else {
            CStr::from_ptr(s as *const c_char)
                .to_string_lossy()
                .into_owned()
        };
        ffi::Py_DECREF(v);
        text
    }
}

/// The open handles of generation `gen` or later (not the constants).
pub fn open_handles(gil: Gil, gen: u64) -> Vec<HPy> {
    with(gil, |t| {
        t.records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.serial != 0 && !r.closed && r.kind != Kind::Constant && r.generation >= gen
            })
            .map(|(i, r)| HPy {
                _i: encode(i as u32, r.serial),
            })
            .collect()
    })
}

/// The closed handles still in the queue, of generation `gen` or later.
pub fn closed_handles(gil: Gil, gen: u64) -> Vec<HPy> {
    with(gil, |t| {
        t.closed_queue
            .iter()
            .filter_map(|&i| {
                let r = t.records.get(i as usize)?;
                (r.serial != 0 && r.generation >= gen).then_some(HPy {
                    _i: encode(i, r.serial),
                })
            })
            .collect()
    })
}

/// Used by messages: the name of a context.
#[allow(dead_code)]
pub fn context_name(ctx: usize) -> String {
    ctx_name(ctx)
}

/// The context a debug context wraps.
#[inline(always)]
pub fn universal_of(dctx: *mut HPyContext) -> *mut HPyContext {
    // SAFETY: `dctx` is one of our debug contexts (only they have these
    // functions), whose `_private` is the wrapped context.
    unsafe { (*dctx)._private.cast() }
}
