//! Raw data in debug mode: the `char *` of `HPyUnicode_AsUTF8AndSize`,
//! `HPyBytes_AsString` and `HPyBytes_AS_STRING` (the functions with
//! `@ret_borrowed` and `@ret_len` in api/hpy.api).
//!
//! The extension gets a copy in pages of its own (mmap), made read-only
//! (mprotect PROT_READ): writing to it faults. When the handle it was
//! obtained from is closed, the pages become inaccessible (PROT_NONE), so a
//! read after the close faults too. Such revoked pages are kept mapped, up
//! to `set_protected_raw_data_max_size` bytes in total (the oldest are
//! unmapped first), so that a late read does not land in memory reused for
//! something else.

use core::ffi::c_char;
use std::collections::VecDeque;

use hpy_sys::HPy;

use crate::debug::handles;
use crate::python::{Gil, GilCell};

/// One protected copy: its pages.
pub struct Block {
    addr: *mut libc::c_void,
    map_len: usize,
}

struct Revoked {
    blocks: VecDeque<Block>,
    total: usize,
    max: usize,
}

static REVOKED: GilCell<Revoked> = GilCell::new(Revoked {
    blocks: VecDeque::new(),
    total: 0,
    max: 256 * 1024 * 1024,
});

fn with<R>(_gil: Gil, f: impl FnOnce(&mut Revoked) -> R) -> R {
    // SAFETY: with the GIL (the token); `f` does not reach REVOKED again.
    f(unsafe { &mut *REVOKED.as_ptr() })
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Hands out a read-only copy of the `len` bytes at `data` (`None`: a
/// NUL-terminated string), tied to the debug handle `owner`. A null `data`
/// (the function failed) stays null; if no pages can be mapped, the
/// original pointer is returned.
///
/// # Safety
/// `data` is null or points to `len` readable bytes (or a C string).
pub unsafe fn protect(
    gil: Gil,
    owner: HPy,
    data: *const c_char,
    len: Option<usize>,
) -> *const c_char {
    if data.is_null() {
        return data;
    }
    let len = match len {
        Some(n) => n,
        // SAFETY: `data` is a NUL-terminated string (the caller's contract).
        None => (unsafe { libc::strlen(data) }) + 1,
    };
    let page = page_size();
    let map_len = len.max(1).div_ceil(page) * page;
    // SAFETY: an anonymous private mapping of `map_len` bytes; the copy
    // stays within it (len <= map_len) and reads `len` bytes of `data`.
    unsafe {
        let addr = libc::mmap(
            core::ptr::null_mut(),
            map_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if addr == libc::MAP_FAILED {
            return data;
        }
        core::ptr::copy_nonoverlapping(data.cast::<u8>(), addr.cast::<u8>(), len);
        libc::mprotect(addr, map_len, libc::PROT_READ);
        let block = Block { addr, map_len };
        let kept = handles::with(gil, |t| {
            if let Some(r) = t.record_for_raw(owner) {
                r.raw.push(block);
                r.raw_size += len;
                None
            } else {
                Some(block)
            }
        });
        if let Some(block) = kept {
            // not a handle we know (reported already): nothing to tie it to
            libc::munmap(block.addr, block.map_len);
            return data;
        }
        addr as *const c_char
    }
}

/// The handle the blocks were obtained from is closed: they become
/// inaccessible, and are kept (within the size limit).
pub fn revoke(gil: Gil, blocks: Vec<Block>) {
    if blocks.is_empty() {
        return;
    }
    let evicted = with(gil, |r| {
        for b in blocks {
            // SAFETY: `b` is a mapping of ours, not handed to anyone else
            // for writing.
            unsafe { libc::mprotect(b.addr, b.map_len, libc::PROT_NONE) };
            r.total += b.map_len;
            r.blocks.push_back(b);
        }
        evict(r)
    });
    unmap(evicted);
}

fn evict(r: &mut Revoked) -> Vec<Block> {
    let mut out = Vec::new();
    while r.total > r.max {
        let Some(b) = r.blocks.pop_front() else {
            break;
        };
        r.total -= b.map_len;
        out.push(b);
    }
    out
}

fn unmap(blocks: Vec<Block>) {
    for b in blocks {
        // SAFETY: a mapping of ours, inaccessible already.
        unsafe { libc::munmap(b.addr, b.map_len) };
    }
}

pub fn max_size(gil: Gil) -> usize {
    with(gil, |r| r.max)
}

pub fn set_max_size(gil: Gil, max: usize) {
    let evicted = with(gil, |r| {
        r.max = max;
        evict(r)
    });
    unmap(evicted);
}
