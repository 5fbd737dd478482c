//! The handles of the debug contexts: records of their own, never the
//! object pointer.
//!
//! A debug handle is an odd number (a universal handle, an object pointer,
//! is even): `index << 32 | serial << 1 | 1`, where `index` is the slot of
//! its record in the table and `serial` (31 bits) changes each time the
//! slot is reused, so that a stale handle is told from the one that took
//! its slot. A record holds the universal handle it owns (one reference),
//! whether it is closed, the generation it was opened in, the family of
//! contexts that opened it (see contexts.rs) and, only when there is some,
//! what is rare (`Extra`): the raw data handed out for it and where it was
//! opened (stack traces enabled). A record is 56 bytes; opening and closing
//! one touch that record and the table's few counters, and everything rare
//! (raw data, traces, kept objects, a hook) is behind one test. The
//! argument handles of a call are opened and closed in runs (`Cursor`);
//! an argument's record owns no reference (`Record::obj`).
//!
//! Closed records stay in a queue (the "closed handles queue"), as in HPy
//! 0.9: opening a handle while the queue holds `closed_max` records or more
//! reuses the oldest one's slot, and closing one that makes the queue
//! longer than `closed_max` frees the oldest. The raw data of a closed
//! handle stays mapped but inaccessible while the queue keeps its record,
//! as long as all such data fits in `raw_max` bytes (else it is unmapped at
//! once). The queue and the list of free slots are linked through the
//! records themselves (`Record::next`): no allocation, no ring to grow.
//! While no queued record holds anything to release, a record leaving the
//! queue is left in place as "stale" and its slot reused by the next open
//! (see `Cursor`).
//!
//! Builders and trackers have records of their own, in the same scheme; a
//! builder or tracker slot is free as soon as it is consumed (the serial
//! catches later use).
//!
//! Misuse (a closed handle, a handle of another context, a stale builder)
//! is reported by `report`: the hook installed with
//! `_debug.set_on_invalid_handle` (or `set_on_invalid_builder_handle`) is
//! called, then the API function goes on where it can (with the object a
//! closed handle kept) or fails with a SystemError naming it; with no hook
//! the process stops with a fatal error naming the function.

use core::ffi::CStr;

use hpy_sys::{HPy, HPyContext};
use pyo3_ffi as ffi;

use crate::debug::{contexts, raw, stacks};
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

/// The end of the lists linked through `Record::next`.
const NONE: u32 = u32::MAX;

/// `Record::key` of a record that is not open or holds something rare: no
/// handle has that value (it would be the slot `u32::MAX`).
const NO_KEY: isize = -1;

/// What few records have: raw data handed out for the handle, and where it
/// was opened.
#[derive(Default)]
pub struct Extra {
    /// The protected copies of raw data handed out for this handle (of a
    /// closed handle: those kept inaccessible, counted in `raw_total`).
    raw: Vec<raw::Block>,
    /// The total size of that raw data.
    raw_size: usize,
    /// Where the handle was opened (with stack traces enabled).
    trace: Option<Box<stacks::Trace>>,
}

pub struct Record {
    /// The universal handle, owned while open (and while closed if `kept`),
    /// but for an argument (`Kind::Arg`), open only during its call: the
    /// caller holds it then (CPython's calling convention), so the record
    /// does not take a reference of its own unless it keeps the object.
    pub obj: HPy,
    /// The debug handle of this record while it is open and holds nothing
    /// rare (`extra` is None), else `NO_KEY`: one compare tells the common
    /// case (an open handle, its serial right, nothing to release) on the
    /// hot paths (`close_plain`, `unwrap`).
    key: isize,
    /// The family of debug contexts that opened it (`contexts::family`; 0
    /// for constants: any).
    pub ctx: usize,
    pub generation: u64,
    /// Raw data and the allocation trace (None: neither).
    extra: Option<Box<Extra>>,
    /// 0 when the slot is free.
    pub serial: u32,
    /// The next record of the closed queue (closed) or of the free list
    /// (free); NONE at the end.
    next: u32,
    pub closed: bool,
    /// Closed while a hook was installed: the record still holds its
    /// object, so that a call given the closed handle can go on with it
    /// after the hook (as HPy 0.9's debug mode does).
    pub kept: bool,
    pub kind: Kind,
}

impl Record {
    /// Writes what every open of this record writes: the object, the key
    /// `h` (its handle), the family, generation, serial and kind.
    #[inline(always)]
    fn set_open(
        &mut self,
        obj: HPy,
        h: isize,
        fam: usize,
        generation: u64,
        serial: u32,
        kind: Kind,
    ) {
        self.obj = obj;
        self.key = h;
        self.ctx = fam;
        self.generation = generation;
        self.serial = serial;
        self.closed = false;
        self.kind = kind;
    }

    /// Whether the record holds something that leaving the closed queue
    /// must release (a kept object, raw data, a trace): see `Table::evict`.
    #[inline(always)]
    fn rare(&self) -> bool {
        self.kept | self.extra.is_some()
    }

    /// `DebugHandle.raw_data_size`: the bytes of raw data it holds, -1 for
    /// none (as HPy 0.9).
    pub fn raw_data_size(&self) -> isize {
        match &self.extra {
            Some(e) if !e.raw.is_empty() => e.raw_size as isize,
            _ => -1,
        }
    }

    /// Where the handle was opened (stack traces enabled).
    pub fn trace(&self) -> Option<&stacks::Trace> {
        self.extra.as_ref()?.trace.as_deref()
    }

    /// Ties a block of raw data of `len` bytes to this (open) handle.
    pub fn add_raw(&mut self, block: raw::Block, len: usize) {
        self.key = NO_KEY;
        let e = self.extra.get_or_insert_with(Default::default);
        e.raw.push(block);
        e.raw_size += len;
    }
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
    /// The first free slot (linked through `next`), NONE if none.
    free_head: u32,
    /// The closed records, oldest first, linked through `next` from
    /// `closed_head` to `closed_tail`: first `stale` records that have left
    /// the closed queue (free slots, not yet unlinked: see `Cursor`), then
    /// the `closed_len` records of the queue.
    closed_head: u32,
    closed_tail: u32,
    stale: usize,
    closed_len: usize,
    /// How many records of the queue hold something to release when they
    /// leave it (`Record::rare`): while there is none, a record leaves the
    /// queue by becoming stale, with no call and no check of its own.
    rare_queued: usize,
    pub closed_max: usize,
    next_serial: u32,
    pub generation: u64,
    /// Bytes of raw data kept (inaccessible) for closed handles, and the
    /// most that may be kept (`set_protected_raw_data_max_size`).
    pub raw_total: usize,
    pub raw_max: usize,
    /// What records leaving the queue held, to release outside the table;
    /// `has_pending` says whether there is any.
    pending: Evicted,
    has_pending: bool,
    /// Spare buffers for `arrays` (no allocation per call once warm).
    pool: Vec<Vec<HPy>>,
    smalls: Vec<Small>,
    small_free: Vec<u32>,
    /// Stack frames recorded per handle (0: none).
    pub trace_limit: usize,
    on_invalid_handle: Obj,
    on_invalid_builder: Obj,
}

/// The argument handles of the calls in progress on one thread that go
/// through the generated dispatcher (the rare signatures), closed at the
/// end of each call. Per thread: a call that releases the GIL
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

/// HPy 0.9's default size of the closed handles queue.
const DEFAULT_CLOSED_MAX: usize = 1024;
/// HPy 0.9's default limit of the raw data kept for closed handles.
const DEFAULT_RAW_MAX: usize = 10 * 1024 * 1024;

static TABLE: GilCell<Table> = GilCell::new(Table {
    records: Vec::new(),
    free_head: NONE,
    closed_head: NONE,
    closed_tail: NONE,
    stale: 0,
    closed_len: 0,
    rare_queued: 0,
    closed_max: DEFAULT_CLOSED_MAX,
    next_serial: 1,
    generation: 0,
    raw_total: 0,
    raw_max: DEFAULT_RAW_MAX,
    pending: Evicted {
        blocks: Vec::new(),
        objs: Vec::new(),
    },
    has_pending: false,
    pool: Vec::new(),
    smalls: Vec::new(),
    small_free: Vec::new(),
    trace_limit: 0,
    on_invalid_handle: core::ptr::null_mut(),
    on_invalid_builder: core::ptr::null_mut(),
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
pub fn decode(value: isize) -> Option<(u32, u32)> {
    if value & 1 == 0 {
        return None;
    }
    let v = value as u64;
    Some(((v >> 32) as u32, ((v >> 1) & 0x7fff_ffff) as u32))
}

impl Table {
    /// A serial for a new record: odd, so never 0 (a free slot's), 31
    /// bits; a step of 2 wraps without a test.
    #[inline(always)]
    fn serial(&mut self) -> u32 {
        let s = self.next_serial;
        self.next_serial = s.wrapping_add(2) & 0x7fff_ffff;
        s
    }

    /// What the records of one run of opens get (see `Stamp`).
    #[inline(always)]
    fn stamp(&mut self, fam: usize) -> Stamp {
        Stamp {
            serial: self.serial(),
            generation: self.generation,
            fam,
        }
    }

    /// The record at `i`, an index taken from the table's own lists (the
    /// closed queue, the free list) or checked against its length.
    ///
    /// # Safety
    /// `i < self.records.len()` (the lists only link slots of the table,
    /// which never shrinks).
    #[inline(always)]
    unsafe fn at(&mut self, i: u32) -> *mut Record {
        // SAFETY: the caller's contract: in bounds.
        unsafe { self.records.as_mut_ptr().add(i as usize) }
    }

    /// A new record for `obj` (whose reference it takes over), open; the
    /// slot is the oldest closed one's if the queue is full (HPy 0.9), else
    /// a free one, else a new one. What a reused record held goes to
    /// `pending`.
    #[inline(always)]
    fn open(&mut self, obj: HPy, kind: Kind, ctx: usize) -> HPy {
        let serial = self.serial();
        self.compact();
        let index = if self.closed_len != 0 && self.closed_len >= self.closed_max {
            self.pop_closed()
        } else if self.free_head != NONE {
            let i = self.free_head;
            // SAFETY: the free list links slots of the table.
            self.free_head = unsafe { (*self.at(i)).next };
            i
        } else {
            self.new_slot()
        };
        // SAFETY: `index` is a slot of the table (from its lists, or new).
        unsafe { self.fill(index, serial, obj, kind, ctx) }
    }

    /// Makes the record at `index` an open handle of `obj`, with `serial`;
    /// its handle.
    ///
    /// # Safety
    /// `index` is a slot of the table (as for `at`).
    #[inline(always)]
    unsafe fn fill(&mut self, index: u32, serial: u32, obj: HPy, kind: Kind, ctx: usize) -> HPy {
        let generation = self.generation;
        // SAFETY: the caller's contract.
        let slot = unsafe { &mut *self.at(index) };
        let h = encode(index, serial);
        slot.set_open(obj, h, ctx, generation, serial, kind);
        slot.kept = false;
        // a reused slot holds nothing rare any more (`pop_closed`, `evict`)
        if slot.extra.is_some() {
            slot.key = NO_KEY;
        }
        HPy { _i: h }
    }

    /// `open` when it needs no call (as a run of one: see `Cursor`): a
    /// slot from the list of closed records while none holds anything, or
    /// from the free list; stack traces off. None: nothing was done,
    /// `open` must do it.
    #[inline(always)]
    fn open_plain(&mut self, obj: HPy, kind: Kind, fam: usize) -> Option<HPy> {
        if self.trace_limit != 0 {
            return None;
        }
        let mut i = self.closed_head;
        if self.closed_len != 0 && self.closed_len >= self.closed_max {
            if self.rare_queued != 0 {
                return None;
            }
            self.closed_len -= 1;
            // SAFETY: the list is not empty and links slots of the table.
            self.closed_head = unsafe { (*self.at(i)).next };
        } else if self.stale != 0 {
            self.stale -= 1;
            // SAFETY: as above.
            self.closed_head = unsafe { (*self.at(i)).next };
        } else if self.free_head != NONE {
            i = self.free_head;
            // SAFETY: the free list links slots of the table.
            self.free_head = unsafe { (*self.at(i)).next };
        } else {
            return None;
        }
        let serial = self.serial();
        let generation = self.generation;
        let h = encode(i, serial);
        // SAFETY: `i` is a slot of the table (from its lists), which holds
        // nothing rare (see `Cursor::fill`).
        let r = unsafe { &mut *self.at(i) };
        r.set_open(obj, h, fam, generation, serial, kind);
        Some(HPy { _i: h })
    }

    /// `close_open` when it needs no call (as a run of one: see `Cursor`):
    /// an open handle of family `fam` without raw data or trace, no hook
    /// installed, no record of the queue holding anything. Its object,
    /// whose reference the caller now owns, with bit 1 set if it was an
    /// argument's (which the record did not own: `Record::obj`); or null:
    /// nothing was done. `ARG`: the caller knows that an open record of
    /// `h` is an argument's (it opened it): bit 1 is left out.
    #[inline(always)]
    fn close_plain<const ARG: bool>(&mut self, fam: usize, h: HPy) -> Obj {
        // the slot of a debug handle (anything else fails the key compare)
        let i = ((h._i as u64) >> 32) as u32;
        if i as usize >= self.records.len()
            || !self.on_invalid_handle.is_null()
            || self.rare_queued != 0
        {
            return core::ptr::null_mut();
        }
        // the lists' state in locals before the stores through the record
        let (stale, clen, max, tail) = (
            self.stale,
            self.closed_len,
            self.closed_max,
            self.closed_tail,
        );
        // SAFETY: in bounds (checked above).
        let r = unsafe { &mut *self.at(i) };
        // open, this very handle (serial), nothing rare; of the family
        if r.key != h._i || r.ctx != fam {
            return core::ptr::null_mut();
        }
        r.closed = true;
        r.key = NO_KEY;
        let obj = core::mem::replace(&mut r.obj, HPy::NULL)._i as usize;
        let obj = if ARG {
            obj
        } else {
            obj | ((r.kind == Kind::Arg) as usize) << 1
        } as Obj;
        if stale + clen == 0 {
            self.closed_head = i;
        } else {
            // SAFETY: the tail of a non-empty list is a slot of the table.
            unsafe { (*self.at(tail)).next = i };
        }
        self.closed_tail = i;
        // the queue's oldest becomes stale if it is full (see `Cursor`)
        let over = (clen >= max) as usize;
        self.closed_len = clen + 1 - over;
        self.stale = stale + over;
        obj
    }

    /// Unlinks the stale records (see `Cursor`) to the free list, so that
    /// the list of closed records starts with the queue's oldest.
    #[inline(always)]
    fn compact(&mut self) {
        if self.stale != 0 {
            self.compact_stale();
        }
    }

    #[cold]
    #[inline(never)]
    fn compact_stale(&mut self) {
        while self.stale != 0 {
            let i = self.closed_head;
            // SAFETY: the list holds `stale` records first, slots of the table.
            let r = unsafe { &mut *self.at(i) };
            self.closed_head = r.next;
            r.serial = 0;
            r.next = self.free_head;
            self.free_head = i;
            self.stale -= 1;
        }
    }

    /// A slot at the end of the table (it grows).
    #[cold]
    #[inline(never)]
    fn new_slot(&mut self) -> u32 {
        self.records.push(Record {
            obj: HPy::NULL,
            key: NO_KEY,
            ctx: 0,
            generation: 0,
            extra: None,
            serial: 0,
            next: NONE,
            closed: true,
            kept: false,
            kind: Kind::Api,
        });
        (self.records.len() - 1) as u32
    }

    /// Takes the oldest record out of the (non-empty) closed queue, with
    /// no stale records (`compact`), and forgets it: its slot is free
    /// (serial 0), what it held is pending.
    #[inline(always)]
    fn pop_closed(&mut self) -> u32 {
        let i = self.closed_head;
        // SAFETY: the queue is not empty and links slots of the table.
        let r = unsafe { &mut *self.at(i) };
        self.closed_head = r.next;
        self.closed_len -= 1;
        r.serial = 0;
        if r.rare() {
            self.rare_queued -= 1;
            self.evict(i);
        }
        i
    }

    /// Moves what the forgotten record `i` held (a kept object, raw data, a
    /// trace) to `pending`.
    #[cold]
    #[inline(never)]
    fn evict(&mut self, i: u32) {
        let Some(r) = self.records.get_mut(i as usize) else {
            return;
        };
        if r.kept {
            r.kept = false;
            self.pending
                .objs
                .push(core::mem::replace(&mut r.obj, HPy::NULL));
            self.has_pending = true;
        }
        if let Some(mut e) = r.extra.take() {
            if !e.raw.is_empty() {
                self.raw_total = self.raw_total.saturating_sub(e.raw_size);
                self.pending.blocks.append(&mut e.raw);
                self.has_pending = true;
            }
        }
    }

    /// Puts the closed record `index` at the end of the queue, with no
    /// stale records (`compact`); if the queue is then longer than
    /// `closed_max`, its oldest record is freed.
    ///
    /// # Safety
    /// `index` is a slot of the table.
    #[inline(always)]
    unsafe fn push_closed(&mut self, index: u32) {
        // SAFETY: the caller's contract; the tail, when the queue is not
        // empty, is a slot of the table.
        unsafe {
            (*self.at(index)).next = NONE;
            if self.closed_len == 0 {
                self.closed_head = index;
            } else {
                (*self.at(self.closed_tail)).next = index;
            }
            if (*self.at(index)).rare() {
                self.rare_queued += 1;
            }
        }
        self.closed_tail = index;
        self.closed_len += 1;
        if self.closed_len > self.closed_max {
            let old = self.pop_closed();
            // SAFETY: a slot of the table (it was in the queue).
            unsafe { (*self.at(old)).next = self.free_head };
            self.free_head = old;
        }
    }

    /// Whether records leaving the queue left something to release (with
    /// `release_pending`, once the table is no longer borrowed).
    #[inline(always)]
    fn has_pending(&self) -> bool {
        self.has_pending
    }

    /// The record of an open or closed (still queued) handle.
    pub fn record(&self, h: HPy) -> Option<&Record> {
        let (index, serial) = decode(h._i)?;
        self.records
            .get(index as usize)
            .filter(|r| r.serial != 0 && r.serial == serial)
    }

    fn record_mut(&mut self, h: HPy) -> Option<&mut Record> {
        let (index, serial) = decode(h._i)?;
        self.records
            .get_mut(index as usize)
            .filter(|r| r.serial != 0 && r.serial == serial)
    }

    /// The record now in slot `index`, whatever handle it is (None: free).
    pub fn slot(&self, index: u32) -> Option<&Record> {
        self.records.get(index as usize).filter(|r| r.serial != 0)
    }

    /// The record of an open handle, to attach raw data to.
    pub fn record_for_raw(&mut self, h: HPy) -> Option<&mut Record> {
        self.record_mut(h).filter(|r| !r.closed)
    }

    /// The indices of the closed queue, oldest first.
    fn closed_indices(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.closed_len);
        let mut i = self.closed_head;
        for _ in 0..self.stale {
            let Some(r) = self.records.get(i as usize) else {
                return out;
            };
            i = r.next;
        }
        while out.len() < self.closed_len {
            let Some(r) = self.records.get(i as usize) else {
                break;
            };
            out.push(i);
            i = r.next;
        }
        out
    }

    /// The objects kept by closed records (no hook any more).
    fn release_kept(&mut self) -> Evicted {
        let mut out = Evicted::default();
        let mut rare = 0;
        for i in self.closed_indices() {
            if let Some(r) = self.records.get_mut(i as usize) {
                if r.kept {
                    r.kept = false;
                    out.objs.push(core::mem::replace(&mut r.obj, HPy::NULL));
                }
                rare += r.rare() as usize;
            }
        }
        self.rare_queued = rare;
        out
    }

    /// Closes `h` if it is an open handle of the context family `fam`
    /// (never 0: constants, of family 0, are not closed here): its object
    /// and whether the record keeps it (a hook being installed; else the
    /// caller now owns its reference). The record goes to the closed queue
    /// (see `push_closed`); its raw data is made inaccessible and kept if
    /// it fits in `raw_max`, else unmapped. None: the slow path must check
    /// and report.
    #[inline(always)]
    fn close_open(&mut self, fam: usize, h: HPy) -> Closed {
        let Some((index, serial)) = decode(h._i) else {
            return Closed(0);
        };
        if index as usize >= self.records.len() {
            return Closed(0);
        }
        let plain = self.on_invalid_handle.is_null();
        // SAFETY: in bounds (checked above).
        let r = unsafe { &mut *self.at(index) };
        if r.serial != serial || r.closed || r.ctx != fam {
            return Closed(0);
        }
        self.compact();
        // SAFETY: in bounds (checked above).
        let r = unsafe { &mut *self.at(index) };
        r.closed = true;
        r.key = NO_KEY;
        let borrowed = r.kind == Kind::Arg;
        let closed = if plain && r.extra.is_none() {
            let obj = core::mem::replace(&mut r.obj, HPy::NULL)._i as usize;
            Closed(obj | (borrowed as usize) << 1)
        } else {
            self.close_rare(index, !plain, borrowed)
        };
        // SAFETY: in bounds (checked above).
        unsafe { self.push_closed(index) };
        closed
    }

    /// `close_open` of a record with raw data or a trace, or with a hook
    /// installed (the record keeps its object: an argument's, `borrowed`,
    /// with a reference of its own from now on).
    #[cold]
    #[inline(never)]
    fn close_rare(&mut self, index: u32, keep: bool, borrowed: bool) -> Closed {
        let raw_max = self.raw_max;
        let raw_total = self.raw_total;
        let Some(r) = self.records.get_mut(index as usize) else {
            return Closed(0);
        };
        r.kept = keep;
        let obj = if keep {
            if borrowed {
                // SAFETY: with the GIL; the caller still holds the argument
                // (its call has not returned); an incref runs no Python code.
                unsafe { ffi::Py_INCREF(r.obj._i as Obj) };
            }
            r.obj
        } else {
            core::mem::replace(&mut r.obj, HPy::NULL)
        };
        let mut added = 0;
        let mut dropped = Vec::new();
        if let Some(e) = r.extra.as_mut() {
            if !e.raw.is_empty() {
                if raw_total + e.raw_size <= raw_max {
                    for b in &e.raw {
                        raw::revoke(b);
                    }
                    added = e.raw_size;
                } else {
                    dropped = core::mem::take(&mut e.raw);
                    e.raw_size = 0;
                }
            }
        }
        self.raw_total += added;
        if !dropped.is_empty() {
            self.pending.blocks.extend(dropped);
            self.has_pending = true;
        }
        Closed(obj._i as usize | keep as usize | ((borrowed && !keep) as usize) << 1)
    }
}

/// What every record opened by one run of opens gets: its serial (one
/// per run: the slots of a run differ, so their handles do), the
/// generation, the family of contexts.
#[derive(Clone, Copy)]
struct Stamp {
    serial: u32,
    generation: u64,
    fam: usize,
}

/// The closed records and the free list of the table, copied into locals
/// for a run of opens or closes (so that they stay in registers: a store
/// through a record cannot change them) and written back by `save`. What
/// a run cannot do on its own (grow the table, evict a record that holds
/// something, report, keep an object for a hook) is done by the table's
/// own functions between runs.
///
/// A run leaves HPy 0.9's queue semantics as they are (an open takes the
/// oldest closed record's place when the queue holds `closed_max` or more,
/// a close that makes it longer than `closed_max` drops the oldest), but
/// while no record of the queue holds anything to release (`rare_queued`
/// is 0), a record leaving the queue is not touched: it stays linked at the
/// front of the list, "stale" (`Table::stale` counts them), and the next
/// opens take those slots first. A stale record keeps its serial: a handle
/// of it used later is reported as closed. `Table::compact` frees them
/// properly before anything else changes the list.
#[derive(Clone, Copy)]
struct Cursor {
    base: *mut Record,
    len: usize,
    free: u32,
    head: u32,
    tail: u32,
    stale: usize,
    clen: usize,
    max: usize,
    rare: usize,
}

impl Cursor {
    #[inline(always)]
    fn load(t: &mut Table) -> Cursor {
        Cursor {
            base: t.records.as_mut_ptr(),
            len: t.records.len(),
            free: t.free_head,
            head: t.closed_head,
            tail: t.closed_tail,
            stale: t.stale,
            clen: t.closed_len,
            max: t.closed_max,
            rare: t.rare_queued,
        }
    }

    #[inline(always)]
    fn save(&self, t: &mut Table) {
        t.free_head = self.free;
        t.closed_head = self.head;
        t.closed_tail = self.tail;
        t.stale = self.stale;
        t.closed_len = self.clen;
    }

    /// The record at `i`.
    ///
    /// # Safety
    /// `i < self.len` (an index from the table's lists, or checked).
    #[inline(always)]
    unsafe fn at(&self, i: u32) -> *mut Record {
        // SAFETY: the caller's contract: in bounds of the records.
        unsafe { self.base.add(i as usize) }
    }

    /// A slot for a new record without a call: the oldest closed one's
    /// place if the queue is full (HPy 0.9; the slot is the first stale
    /// one's if there is one, and the oldest closed record becomes stale),
    /// else a stale one, else a free one. None: the table's `open` must do
    /// it (the table grows, or the record leaving the queue holds
    /// something).
    ///
    /// # Safety
    /// The cursor is the table's current state.
    #[inline(always)]
    unsafe fn take(&mut self) -> Option<u32> {
        let i = self.head;
        if self.clen != 0 && self.clen >= self.max {
            if self.rare != 0 {
                return None;
            }
            self.clen -= 1;
        } else if self.stale != 0 {
            self.stale -= 1;
        } else if self.free != NONE {
            let i = self.free;
            // SAFETY: the free list links slots of the table.
            self.free = unsafe { (*self.at(i)).next };
            return Some(i);
        } else {
            return None;
        }
        // SAFETY: the list of closed records is not empty and links slots
        // of the table.
        self.head = unsafe { (*self.at(i)).next };
        Some(i)
    }

    /// Makes the record at `i` an open handle of `obj` (whose reference it
    /// takes over); its handle. A slot taken from the lists holds nothing
    /// rare (a record leaves the queue for good emptied by `evict`, or
    /// stale while no record holds anything).
    ///
    /// # Safety
    /// `i` is a slot of the table, taken from its lists (or new).
    #[inline(always)]
    unsafe fn fill(&self, i: u32, s: Stamp, obj: HPy, kind: Kind) -> HPy {
        // SAFETY: the caller's contract.
        let r = unsafe { &mut *self.at(i) };
        debug_assert!(r.extra.is_none() && !r.kept);
        let h = encode(i, s.serial);
        r.obj = obj;
        r.key = h;
        r.ctx = s.fam;
        r.generation = s.generation;
        r.serial = s.serial;
        r.closed = false;
        r.kind = kind;
        HPy { _i: h }
    }

    /// The open record of `h` if it is an open handle of family `fam` with
    /// nothing rare (one compare: its key), else None.
    #[inline(always)]
    fn open_plain(&self, fam: usize, h: HPy) -> Option<*mut Record> {
        let i = ((h._i as u64) >> 32) as usize;
        if i >= self.len {
            return None;
        }
        // SAFETY: in bounds (checked above).
        let r = unsafe { self.at(i as u32) };
        // SAFETY: a record of the table.
        (unsafe { (*r).key == h._i && (*r).ctx == fam }).then_some(r)
    }

    /// Closes the open record `r` (found by `open_plain`, while no record
    /// of the queue holds anything: `self.rare == 0`) and queues it; if the
    /// queue gets longer than `closed_max`, its oldest record becomes
    /// stale. Its object (the record's reference, if it had one, goes to
    /// the caller: see `Record::obj`).
    ///
    /// # Safety
    /// The cursor is the table's state; `r` is an open plain record of it.
    #[inline(always)]
    unsafe fn close(&mut self, r: *mut Record) -> Obj {
        // SAFETY: the caller's contract; the tail, when the list is not
        // empty, is a slot of the table.
        unsafe {
            let i = r.offset_from(self.base) as u32;
            (*r).closed = true;
            (*r).key = NO_KEY;
            let obj = core::mem::replace(&mut (*r).obj, HPy::NULL)._i as Obj;
            if self.stale + self.clen == 0 {
                self.head = i;
            } else {
                (*self.at(self.tail)).next = i;
            }
            self.tail = i;
            let over = (self.clen >= self.max) as usize;
            self.clen += 1 - over;
            self.stale += over;
            obj
        }
    }
}

/// What `Table::close_open` did, in one register: 0 if the handle was not
/// an open handle of the family (nothing done), else its object (aligned,
/// never null) with bit 0 set if the record keeps it (a hook being
/// installed), bit 1 if it was an argument's, which the record did not own
/// (`Record::obj`); else the caller now owns its reference.
#[derive(Clone, Copy)]
struct Closed(usize);

impl Closed {
    #[inline(always)]
    fn done(self) -> bool {
        self.0 != 0
    }
    #[inline(always)]
    fn obj(self) -> Obj {
        (self.0 & !3) as Obj
    }
    /// The caller owns no reference to the object.
    #[inline(always)]
    fn borrowed(self) -> bool {
        self.0 & 3 != 0
    }
}

/// What records leaving the closed queue held: raw data to unmap, objects
/// to release (outside the table: a release may run Python code).
#[derive(Default)]
pub struct Evicted {
    pub blocks: Vec<raw::Block>,
    pub objs: Vec<HPy>,
}

/// Releases what records leaving the queue held (`Table::has_pending`).
#[cold]
#[inline(never)]
fn release_pending(gil: Gil) {
    let p = with(gil, |t| {
        t.has_pending = false;
        core::mem::take(&mut t.pending)
    });
    p.release(gil);
}

impl Evicted {
    #[cold]
    #[inline(never)]
    pub fn release(self, _gil: Gil) {
        if self.blocks.is_empty() && self.objs.is_empty() {
            return;
        }
        raw::free(self.blocks);
        for o in self.objs {
            // SAFETY: with the GIL; each was a reference held by a record.
            unsafe { ffi::Py_XDECREF(o._i as Obj) };
        }
    }
}

/// What is wrong with a handle, for `report`.
enum Problem {
    NotDebug,
    Closed {
        arg: bool,
        trace: Option<Box<stacks::Trace>>,
    },
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
                m.push_str(&t.render());
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
            "Invalid usage of already closed handle: {func} was passed the constant handle {:#x} \
             of the context (ctx->h_...) to close; constant handles are never closed (HPy_Dup \
             them to get a handle you own)",
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
pub fn report_hook(gil: Gil, builder: bool, text: &str) -> Result<(), Invalid> {
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
    /// Not in api/hpy.api: checked as HPy 0.9's debug mode does
    /// (`HPyUnicode_Substring`).
    Unicode,
}

/// Checks that the universal handle `u`, argument `what` of `func`, is an
/// object of the kind it must be; a wrong one is reported like an invalid
/// handle ("HPy_TypeCheck arg 2 must be a type"). `HPy_NULL` is left to the
/// function, and so are the kinds whose functions raise TypeError themselves
/// (bytes, context variables).
pub fn require(gil: Gil, u: HPy, kind: Requires, func: &CStr, what: &str) -> Result<(), Invalid> {
    match wrong_kind(u, kind) {
        None => Ok(()),
        Some(noun) => Err(report(
            gil,
            false,
            format!(
                "HPy debug mode: {} {what} must be {noun}",
                func.to_string_lossy()
            ),
        )),
    }
}

/// As `require`, for a function that takes bad input as the CPython API
/// does (an exception, not a report): a wrong object is a TypeError
/// worded as HPy 0.9's debug mode words its check ("HPyUnicode_Substring
/// arg 1 must be a Unicode object"), before the function can misuse it.
pub fn require_or_raise(u: HPy, kind: Requires, func: &CStr, what: &str) -> Result<(), Invalid> {
    let Some(noun) = wrong_kind(u, kind) else {
        return Ok(());
    };
    let text = format!("{} {what} must be {noun}", func.to_string_lossy());
    let c = std::ffi::CString::new(text).unwrap_or_default();
    // SAFETY: with the GIL (context functions); `c` is NUL-terminated.
    unsafe { ffi::PyErr_SetString(ffi::PyExc_TypeError, c.as_ptr()) };
    Err(Invalid)
}

/// What `u` should have been if it is not of `kind` (None: it is, or it is
/// `HPy_NULL`, left to the function).
fn wrong_kind(u: HPy, kind: Requires) -> Option<&'static str> {
    let o = u._i as Obj;
    if o.is_null() {
        return None;
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
            Requires::Unicode => (ffi::PyUnicode_Check(o) != 0, "a Unicode object"),
        }
    };
    (!ok).then_some(noun)
}

/// The names of `HPyType_BuiltinShape` values, for reports.
fn shape_name(shape: i32) -> &'static str {
    match shape {
        -1 => "HPyType_BuiltinShape_Legacy",
        0 => "HPyType_BuiltinShape_Object",
        1 => "HPyType_BuiltinShape_Type",
        2 => "HPyType_BuiltinShape_Long",
        3 => "HPyType_BuiltinShape_Float",
        4 => "HPyType_BuiltinShape_Unicode",
        5 => "HPyType_BuiltinShape_Tuple",
        6 => "HPyType_BuiltinShape_List",
        7 => "HPyType_BuiltinShape_Dict",
        _ => "<unknown shape>",
    }
}

/// The built-in shape of the live type `tp`, as the wrapped context's
/// `_HPyType_GetBuiltinShape` gives it: read from hpy-core's type info at
/// once when that function is hpy-core's own (the universal context's and
/// the hybrid one's), else asked through the context.
///
/// # Safety
/// With the GIL; `tp` is a live type; `u_ctx` is a live context.
#[inline(always)]
unsafe fn builtin_shape(u_ctx: *mut HPyContext, tp: *mut ffi::PyTypeObject) -> i32 {
    let core_fn: unsafe extern "C" fn(*mut HPyContext, HPy) -> hpy_sys::HPyType_BuiltinShape =
        hpy_core::ctx_Type_GetBuiltinShape;
    // SAFETY: the caller's contract; hpy-core's function does exactly this
    // for a type (`tp` is one: an object's type).
    unsafe {
        if (*u_ctx).ctx_Type_GetBuiltinShape as usize == core_fn as usize {
            hpy_core::instance::hpy_type_in_chain(tp.cast())
                .map_or(hpy_sys::HPyType_BuiltinShape_Legacy, |(_, info)| info.shape)
                as i32
        } else {
            ((*u_ctx).ctx_Type_GetBuiltinShape)(u_ctx, HPy { _i: tp as isize })
        }
    }
}

/// `_HPy_AsStruct_SHAPE(h)`: the object's type must have the built-in
/// shape `shape` (the C struct the extension asks for is laid out after
/// that shape's); a mismatch is reported with HPy 0.9's words.
#[inline(always)]
pub fn require_shape(
    gil: Gil,
    u_ctx: *mut HPyContext,
    u: HPy,
    shape: i32,
    func: &CStr,
) -> Result<(), Invalid> {
    let o = u._i as Obj;
    if o.is_null() {
        return Ok(());
    }
    // SAFETY: with the GIL; `o` is a live object, its type a live type
    // (a universal handle is the object pointer); `u_ctx` is the live
    // universal context.
    let actual = unsafe { builtin_shape(u_ctx, ffi::Py_TYPE(o)) };
    if actual == shape {
        return Ok(());
    }
    Err(wrong_shape(gil, shape, actual, func))
}

/// `require_shape` of an object of another shape: reported.
#[cold]
#[inline(never)]
fn wrong_shape(gil: Gil, shape: i32, actual: i32, func: &CStr) -> Invalid {
    let name = func.to_string_lossy();
    report(
        gil,
        false,
        format!(
            "HPy debug mode: Invalid usage of {name}. Expected shape {} but got {}",
            shape_name(shape),
            shape_name(actual)
        ),
    )
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
#[inline(always)]
pub fn unwrap(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<HPy, Invalid> {
    let fam = contexts::family(dctx);
    // an open handle of this family, or a constant (family 0)
    let found = with(gil, |t| {
        let r = t.records.get(((h._i as u64) >> 32) as usize)?;
        // open, nothing rare (most handles), or open with raw data or a trace
        let open = r.key == h._i
            || (h._i & 1 != 0 && r.serial == decode(h._i)?.1 && r.serial != 0 && !r.closed);
        (open && (r.ctx == fam || r.ctx == 0)).then_some(r.obj)
    });
    match found {
        Some(u) => Ok(u),
        None if h._i == 0 => Ok(h),
        None => unwrap_slow(gil, dctx, h, func),
    }
}

/// `unwrap` of anything but an open handle: reported.
#[cold]
#[inline(never)]
fn unwrap_slow(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<HPy, Invalid> {
    let fam = contexts::family(dctx);
    let found = with(gil, |t| match t.record(h) {
        Some(r) if !r.closed && (r.ctx == fam || r.kind == Kind::Constant) => Ok(r.obj),
        Some(r) if r.closed => Err((
            Problem::Closed {
                arg: r.kind == Kind::Arg,
                trace: r.trace().map(|t| Box::new(t.clone())),
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

/// Opens a record (taking over the reference `obj`), then releases what a
/// reused record held and, with stack traces enabled, records where it was
/// opened. Never inlined: the callers' frames (the dispatcher's, the
/// context functions') stay small, which deep recursion through C needs.
#[inline(never)]
fn open_record(gil: Gil, obj: HPy, kind: Kind, fam: usize) -> HPy {
    if let Some(h) = with(gil, |t| t.open_plain(obj, kind, fam)) {
        return h;
    }
    open_record_rare(gil, obj, kind, fam)
}

/// `open_record` when it needs more than `Table::open_plain` does.
#[cold]
#[inline(never)]
fn open_record_rare(gil: Gil, obj: HPy, kind: Kind, fam: usize) -> HPy {
    let (h, pending, limit) = with(gil, |t| {
        let h = t.open(obj, kind, fam);
        (h, t.has_pending(), t.trace_limit)
    });
    if pending {
        release_pending(gil);
    }
    if limit != 0 {
        attach_trace(gil, &[h], limit);
    }
    h
}

/// Records where the handles `hs` were opened (one capture for all).
#[cold]
#[inline(never)]
fn attach_trace(gil: Gil, hs: &[HPy], limit: usize) {
    // captured outside the table: it reads the Python stack
    let trace = stacks::Trace::capture(limit);
    with(gil, |t| {
        for &h in hs {
            if let Some(r) = t.record_mut(h) {
                r.key = NO_KEY;
                r.extra.get_or_insert_with(Default::default).trace = Some(Box::new(trace.clone()));
            }
        }
    });
}

/// A new debug handle of `dctx` owning the universal handle `u`
/// (`HPy_NULL` gives `HPy_NULL`).
#[inline]
pub fn wrap(gil: Gil, dctx: *mut HPyContext, u: HPy) -> HPy {
    if u._i == 0 {
        return u;
    }
    open_record(gil, u, Kind::Api, contexts::family(dctx))
}

/// A permanent debug handle for a constant of the universal context.
pub fn constant(gil: Gil, u: HPy) -> HPy {
    let (h, pending) = with(gil, |t| (t.open(u, Kind::Constant, 0), t.has_pending()));
    if pending {
        release_pending(gil);
    }
    h
}

/// Closes an open handle of family `fam` (the fast path); None if it is
/// not one (closed, of another family, a constant).
#[inline(always)]
fn close_fast(gil: Gil, fam: usize, h: HPy) -> Option<()> {
    // (a plain close leaves nothing pending: see `Table::close_plain`)
    let obj = with(gil, |t| t.close_plain::<false>(fam, h));
    if !obj.is_null() {
        if obj as usize & 2 == 0 {
            // SAFETY: with the GIL; the record owned one reference to it.
            unsafe { ffi::Py_DECREF(obj) };
        }
        return Some(());
    }
    close_fast_rare(gil, fam, h)
}

/// `close_fast` when it needs more than `Table::close_plain` does.
#[cold]
#[inline(never)]
fn close_fast_rare(gil: Gil, fam: usize, h: HPy) -> Option<()> {
    let (c, pending) = with(gil, |t| (t.close_open(fam, h), t.has_pending));
    if !c.done() {
        return None;
    }
    if pending {
        release_pending(gil);
    }
    if !c.borrowed() {
        // SAFETY: with the GIL; the record owned one reference to it.
        unsafe { ffi::Py_DECREF(c.obj()) };
    }
    Some(())
}

/// Closes a debug handle for `func` (`HPy_NULL` does nothing): the record is
/// marked closed and queued, its raw data protected, its object released.
#[inline]
pub fn close(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<(), Invalid> {
    if close_fast(gil, contexts::family(dctx), h).is_some() {
        return Ok(());
    }
    close_slow(gil, dctx, h, func)
}

/// `close` of anything but an open handle of the family: reported.
#[cold]
#[inline(never)]
fn close_slow(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<(), Invalid> {
    if h._i == 0 {
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

/// `DebugHandle._force_close()`: closes an open handle (for the family
/// that opened it); a closed one is reported like a double close.
pub fn force_close(gil: Gil, h: HPy) -> Result<(), Invalid> {
    const F: &CStr = c"DebugHandle._force_close";
    let fam = with(gil, |t| {
        t.record(h)
            .filter(|r| r.kind != Kind::Constant)
            .map_or(0, |r| r.ctx)
    });
    if fam != 0 && close_fast(gil, fam, h).is_some() {
        return Ok(());
    }
    let problem = with(gil, |t| match t.record(h) {
        Some(r) if r.kind == Kind::Constant => Problem::Constant,
        Some(r) => Problem::Closed {
            arg: r.kind == Kind::Arg,
            trace: r.trace().map(|t| Box::new(t.clone())),
        },
        None => Problem::Stale,
    });
    Err(report(gil, false, message(F, h, &problem)))
}

/// Takes the object out of a handle returned to CPython: a new reference
/// to it, and the handle closed. Reports a closed handle (returning null).
#[inline(never)]
pub fn into_object(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<Obj, Invalid> {
    let fam = contexts::family(dctx);
    // (a plain close leaves nothing pending: see `Table::close_plain`)
    let obj = with(gil, |t| t.close_plain::<false>(fam, h));
    if !obj.is_null() {
        if obj as usize & 2 != 0 {
            // an argument returned as the result: a new reference (the
            // record had none)
            let obj = (obj as usize & !2) as Obj;
            // SAFETY: with the GIL; the caller of the call holds it.
            unsafe { ffi::Py_INCREF(obj) };
            return Ok(obj);
        }
        // the record's reference goes to the caller
        return Ok(obj);
    }
    into_object_rare(gil, dctx, h, func)
}

/// `into_object` when it needs more than `Table::close_plain` does.
#[cold]
#[inline(never)]
fn into_object_rare(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<Obj, Invalid> {
    let fam = contexts::family(dctx);
    let (c, pending) = with(gil, |t| (t.close_open(fam, h), t.has_pending));
    if !c.done() {
        return into_object_slow(gil, dctx, h, func);
    }
    if pending {
        release_pending(gil);
    }
    if c.borrowed() {
        // SAFETY: with the GIL; the record keeps its own reference, or the
        // object is an argument that the caller of the call holds.
        unsafe { ffi::Py_INCREF(c.obj()) };
    }
    // the record's reference (or the new one) goes to the caller
    Ok(c.obj())
}

/// `into_object` of anything but an open handle of the family: reported.
#[cold]
#[inline(never)]
fn into_object_slow(gil: Gil, dctx: *mut HPyContext, h: HPy, func: &CStr) -> Result<Obj, Invalid> {
    // a constant of the context, returned without HPy_Dup: reported (the
    // caller would own a reference nobody gave it); the hook may go on
    if let Some(Kind::Constant) = with(gil, |t| t.record(h).map(|r| r.kind)) {
        let text = format!(
            "HPy debug mode: invalid handle: Invalid usage of already closed handle: {} is the \
             constant handle {:#x} of the context (ctx->h_...), returned without HPy_Dup: a \
             returned handle is closed by the caller, and constant handles are never closed; \
             return HPy_Dup(ctx, ctx->h_None) and the like",
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
#[inline(never)]
pub fn open_arg(gil: Gil, dctx: *mut HPyContext, obj: Obj) -> HPy {
    let h = open_call_arg(gil, dctx, obj);
    if h._i != 0 {
        with_calls(|c| c.args.push(h));
    }
    h
}

/// Opens an argument handle (null gives `HPy_NULL`) that the caller closes
/// itself with `close_call_arg` when the call returns (for a call path that
/// keeps its argument handles in its own frame, as a direct vectorcall of
/// a module function may: then it also brackets the call with
/// `contexts::enter_call` and `leave_call`).
#[inline]
pub fn open_call_arg(gil: Gil, dctx: *mut HPyContext, obj: Obj) -> HPy {
    if obj.is_null() {
        return HPy::NULL;
    }
    // the record takes no reference: the caller of the call holds it
    // (`Record::obj`)
    open_record(
        gil,
        HPy { _i: obj as isize },
        Kind::Arg,
        contexts::family(dctx),
    )
}

/// Opens an argument handle for each of the `n` objects at `items` (none
/// if `items` is null), then for each object of `extra`, into `out`
/// (`HPy_NULL` for a null object), for a call path that keeps them in its
/// own frame and closes them with `close_call_args` (as `open_call_arg`,
/// with one capture of the allocation trace for all). One run over the
/// table: its lists in registers, one serial for all.
///
/// # Safety
/// With the GIL; `items` is null or points to `n` live objects (or nulls),
/// the objects of `extra` are live (or null), and `out` has room for
/// `n + extra.len()` handles (`n` of them only if `items` is not null).
#[inline(never)]
pub unsafe fn open_call_args(
    gil: Gil,
    dctx: *mut HPyContext,
    items: *const Obj,
    n: usize,
    extra: &[Obj],
    out: *mut HPy,
) {
    let fam = contexts::family(dctx);
    let n = if items.is_null() { 0 } else { n };
    let (pending, limit) = with(gil, |t| {
        let stamp = t.stamp(fam);
        let mut c = Cursor::load(t);
        let stamp = &stamp;
        let c = &mut c;
        #[inline(always)]
        fn open(t: &mut Table, c: &mut Cursor, stamp: &Stamp, fam: usize, obj: Obj) -> HPy {
            if obj.is_null() {
                return HPy::NULL;
            }
            // SAFETY: a live object, which the caller of the call holds
            // (the record takes no reference: `Record::obj`). The cursor
            // is the table's state until `save`; what it cannot do the
            // table does, the cursor reloaded after.
            unsafe {
                match c.take() {
                    Some(i) => c.fill(i, *stamp, HPy { _i: obj as isize }, Kind::Arg),
                    None => {
                        let (h, reloaded) = open_slow(t, *c, fam, obj);
                        *c = reloaded;
                        h
                    }
                }
            }
        }
        /// `open` by the table itself (it grows, or a record leaving the
        /// queue holds something), the cursor saved before and reloaded.
        #[cold]
        #[inline(never)]
        fn open_slow(t: &mut Table, c: Cursor, fam: usize, obj: Obj) -> (HPy, Cursor) {
            c.save(t);
            let h = t.open(HPy { _i: obj as isize }, Kind::Arg, fam);
            (h, Cursor::load(t))
        }
        for k in 0..n {
            // SAFETY: the caller's contract (`n` items, room in `out`).
            unsafe { out.add(k).write(open(t, c, stamp, fam, *items.add(k))) };
        }
        for (k, &obj) in extra.iter().enumerate() {
            // SAFETY: the caller's contract (room for the extras in `out`).
            unsafe { out.add(n + k).write(open(t, c, stamp, fam, obj)) };
        }
        c.save(t);
        (t.has_pending(), t.trace_limit)
    });
    if pending {
        release_pending(gil);
    }
    let total = n + extra.len();
    if limit != 0 && total != 0 {
        // SAFETY: `out` now holds `total` handles.
        attach_trace(
            gil,
            unsafe { core::slice::from_raw_parts(out, total) },
            limit,
        );
    }
}

/// Closes an argument handle opened by `open_call_arg` at the end of its
/// call (`HPy_NULL` does nothing); one the extension closed itself is
/// reported.
#[inline(never)]
pub fn close_call_arg(gil: Gil, dctx: *mut HPyContext, h: HPy) {
    // an open record of `h` is the argument's (a record that took its slot
    // since has another key): it owns no reference, nothing to release
    if with(gil, |t| t.close_plain::<true>(contexts::family(dctx), h)).is_null() {
        close_arg_slow(gil, dctx, h);
    }
}

/// Closes the `n` argument handles at `hs` (opened by `open_call_args`),
/// in order, as `close_call_arg` each. The plain ones (open, nothing rare,
/// no hook) are closed in runs over the table with its lists in registers
/// (an argument's record owns no reference: nothing to release); any
/// other goes through `close_call_arg`'s slow path.
///
/// # Safety
/// `hs` points to `n` handles.
#[inline(never)]
pub unsafe fn close_call_args(gil: Gil, dctx: *mut HPyContext, hs: *const HPy, n: usize) {
    let fam = contexts::family(dctx);
    let mut i = 0;
    while i < n {
        // the run from `i` (a null handle is skipped); stops at the first
        // handle that needs more
        let stop = with(gil, |t| {
            let mut j = i;
            if t.on_invalid_handle.is_null() && t.rare_queued == 0 {
                let mut c = Cursor::load(t);
                while j < n {
                    // SAFETY: `j < n` (the caller's contract).
                    let h = unsafe { *hs.add(j) };
                    if h._i != 0 {
                        let Some(r) = c.open_plain(fam, h) else {
                            break;
                        };
                        // SAFETY: the cursor is the table's state, `r` an
                        // open plain record, an argument's (opened by
                        // `open_call_args`: a record that took its slot
                        // since has another key).
                        unsafe {
                            debug_assert!((*r).kind == Kind::Arg);
                            c.close(r);
                        }
                    }
                    j += 1;
                }
                c.save(t);
            }
            j
        });
        if stop < n {
            // SAFETY: `stop < n`.
            close_arg_slow(gil, dctx, unsafe { *hs.add(stop) });
        }
        i = stop + 1;
    }
}

/// The end of a call with argument handles: the handle `result` the HPy
/// function returned becomes the new reference returned (`into_object`;
/// null for `HPy_NULL`), then the `n` argument handles at `hs` are closed
/// in order (`close_call_args`). Where all of them are plain, it is one
/// run over the table.
///
/// # Safety
/// With the GIL; `hs` points to `n` handles opened by `open_call_args`.
#[inline(never)]
pub unsafe fn close_result_and_args(
    gil: Gil,
    dctx: *mut HPyContext,
    result: HPy,
    hs: *const HPy,
    n: usize,
    func: &CStr,
) -> Obj {
    let fam = contexts::family(dctx);
    // the run: the result, then the arguments up to the first one that
    // needs more (`stop`); None: the result needs more, nothing was done
    let run = with(gil, |t| {
        if !t.on_invalid_handle.is_null() || t.rare_queued != 0 {
            return None;
        }
        let mut c = Cursor::load(t);
        let mut obj: Obj = core::ptr::null_mut();
        if result._i != 0 {
            let r = c.open_plain(fam, result)?;
            // SAFETY: the cursor is the table's state, `r` an open plain
            // record (no queued record holds anything).
            unsafe {
                let borrowed = (*r).kind == Kind::Arg;
                obj = (c.close(r) as usize | (borrowed as usize) << 1) as Obj;
            }
        }
        let mut j = 0;
        while j < n {
            // SAFETY: `j < n` (the caller's contract).
            let h = unsafe { *hs.add(j) };
            if h._i != 0 {
                let Some(r) = c.open_plain(fam, h) else {
                    break;
                };
                // SAFETY: as above; an argument's record (see
                // `close_call_args`).
                unsafe { c.close(r) };
            }
            j += 1;
        }
        c.save(t);
        Some((obj, j))
    });
    let Some((obj, stop)) = run else {
        let obj = if result._i == 0 {
            core::ptr::null_mut()
        } else {
            into_object(gil, dctx, result, func).unwrap_or(core::ptr::null_mut())
        };
        // SAFETY: the caller's contract.
        unsafe { close_call_args(gil, dctx, hs, n) };
        return obj;
    };
    let obj = if obj as usize & 2 != 0 {
        // an argument returned as the result: a new reference (its record
        // had none)
        let obj = (obj as usize & !2) as Obj;
        // SAFETY: with the GIL; the caller of the call holds it.
        unsafe { ffi::Py_INCREF(obj) };
        obj
    } else {
        // the record's reference goes to the caller
        obj
    };
    if stop < n {
        // SAFETY: `stop < n`; the rest are the caller's handles too.
        unsafe {
            close_arg_slow(gil, dctx, *hs.add(stop));
            close_call_args(gil, dctx, hs.add(stop + 1), n - stop - 1);
        }
    }
    obj
}

/// `close_call_arg` of anything but an open handle: `HPy_NULL` is fine, a
/// handle the extension closed itself is reported.
#[cold]
#[inline(never)]
fn close_arg_slow(gil: Gil, dctx: *mut HPyContext, h: HPy) {
    if h._i == 0 {
        return;
    }
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

/// An array of argument handles for the items of a C array of objects,
/// alive until `close_args`.
#[inline(never)]
pub fn open_arg_array(gil: Gil, dctx: *mut HPyContext, items: *const Obj, n: usize) -> *const HPy {
    let mut v = with(gil, |t| t.pool.pop()).unwrap_or_default();
    v.clear();
    v.reserve(n);
    // SAFETY: the caller passes an array of `n` live objects (with the
    // GIL); `v` has room for `n` handles, all written before `set_len`.
    unsafe {
        open_call_args(gil, dctx, items, n, &[], v.as_mut_ptr());
        v.set_len(n);
    }
    with_calls(|c| c.args.extend(v.iter().copied().filter(|h| h._i != 0)));
    let p = v.as_ptr();
    with_calls(|c| c.arrays.push(v));
    p
}

/// Where the argument stacks are before a call.
#[derive(Clone, Copy)]
pub struct Mark(usize, usize);

pub fn mark(gil: Gil) -> Mark {
    let _ = gil;
    with_calls(|c| Mark(c.args.len(), c.arrays.len()))
}

/// Closes the argument handles opened since `m` (the call has returned),
/// in the order they were opened (as HPy 0.9: self first).
#[inline(never)]
pub fn close_args(gil: Gil, dctx: *mut HPyContext, m: Mark) {
    let done: Vec<Vec<HPy>> = with_calls(|c| c.arrays.split_off(m.1.min(c.arrays.len())));
    with(gil, |t| t.pool.extend(done));
    // by index: a hook called for one may run nested calls, which push and
    // pop above these
    let mut i = m.0;
    while let Some(h) = with_calls(|c| c.args.get(i).copied()) {
        i += 1;
        close_call_arg(gil, dctx, h);
    }
    with_calls(|c| c.args.truncate(m.0));
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
/// Build or Cancel is reported. If the hook lets the call go on, the
/// function gets a null builder, as in HPy 0.9 (`Build` then fails with
/// MemoryError, `Set` and `Cancel` do nothing).
pub fn unwrap_builder(gil: Gil, b: isize, func: &CStr) -> Result<isize, Invalid> {
    if b == 0 {
        return Ok(0);
    }
    match with(gil, |t| small_mut(t, b).map(|s| s.value)) {
        Some(u) => Ok(u),
        None => {
            let text = format!(
                "HPy debug mode: Invalid usage of already closed builder: {} was passed the \
                 builder {b:#x}, which was already built or cancelled",
                func.to_string_lossy()
            );
            report_hook(gil, true, &text)?;
            Ok(0)
        }
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
        t.closed_indices()
            .into_iter()
            .filter_map(|i| {
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
