//! Raw data in debug mode: the `char *` of `HPyUnicode_AsUTF8AndSize`,
//! `HPyBytes_AsString`, `HPyBytes_AS_STRING` and `HPyType_GetName` (the
//! functions with `@ret_borrowed` returning `const char *` in api/hpy.api).
//!
//! The extension gets a copy in pages of its own (mmap), made read-only
//! (mprotect PROT_READ): writing to it faults. When the handle it was
//! obtained from is closed, the pages become inaccessible (PROT_NONE) and
//! stay mapped while the closed handle's record is in the closed handles
//! queue, so that a late read faults instead of landing in memory reused for
//! something else; as in HPy 0.9, at most `set_protected_raw_data_max_size`
//! bytes (of data) are kept so: the data of a handle that would go past it
//! is unmapped when the handle closes (handles.rs keeps the count).

use core::ffi::c_char;

use hpy_sys::HPy;

use crate::debug::handles;
use crate::python::Gil;

/// One protected copy: its pages.
pub struct Block {
    addr: *mut libc::c_void,
    map_len: usize,
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
                r.add_raw(block, len);
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

/// The handle `b` was obtained from is closed: its pages become
/// inaccessible (reading them faults).
pub fn revoke(b: &Block) {
    // SAFETY: `b` is a mapping of ours, not handed to anyone for writing.
    unsafe { libc::mprotect(b.addr, b.map_len, libc::PROT_NONE) };
}

/// Unmaps blocks that are no longer kept.
pub fn free(blocks: Vec<Block>) {
    for b in blocks {
        // SAFETY: a mapping of ours; the record that held it is gone.
        unsafe { libc::munmap(b.addr, b.map_len) };
    }
}
