//! One loaded file, one context.
//!
//! An extension's trampolines reach the runtime through a C global of the
//! extension, set by `HPyInitGlobalContext_NAME` to the context of the mode
//! it was loaded in. dlopen gives back the copy of a file that is already
//! loaded, with its globals, so loading the same `.hpy0.so` again in another
//! mode (universal, then debug, say) would hand the first module's
//! trampolines the second context. Instead, the loader records which context
//! each loaded library was given, and a load that needs another context
//! opens a private copy of the file: a file of its own in a directory of
//! this process, removed when the process exits.

use core::ffi::c_void;
use std::collections::BTreeMap;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use hpy_sys::HPyContext;

/// dlopen handle -> the context its `HPyInitGlobalContext_NAME` was given
/// (both as addresses).
static CONTEXT_OF: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

/// Removes the private copies at exit, registered once.
static CLEANUP: Once = Once::new();

/// The context the library `handle` was initialised with, if any.
pub fn context_of(handle: *mut c_void) -> Option<*mut HPyContext> {
    let map = CONTEXT_OF
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.get(&(handle as usize))
        .map(|&ctx| ctx as *mut HPyContext)
}

/// Records that the library `handle`, of which `symbol` is a function,
/// was initialised with `ctx`.
pub fn record(handle: *mut c_void, ctx: *mut HPyContext, symbol: *mut c_void) {
    let mut map = CONTEXT_OF
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.insert(handle as usize, ctx as usize);
    drop(map);
    if let Some(base) = base_of(symbol) {
        let mut bases = CONTEXT_OF_BASE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        bases.insert(base, ctx as usize);
    }
}

/// Load address of a library -> the context it was initialised with (both
/// as addresses): which context a function of a loaded extension (its
/// trampolines) calls the runtime with.
static CONTEXT_OF_BASE: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

/// The load address of the library that contains the code at `addr`.
fn base_of(addr: *mut c_void) -> Option<usize> {
    // SAFETY: an all-zero Dl_info is valid (pointers may be NULL).
    let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    if addr.is_null() || unsafe { libc::dladdr(addr.cast_const(), &mut info) } == 0 {
        return None;
    }
    (!info.dli_fbase.is_null()).then_some(info.dli_fbase as usize)
}

/// The context that the loaded extension containing the code at `addr` (a
/// trampoline, say) was initialised with; None for code that is not in an
/// extension loaded by hpy.universal.
pub fn context_of_code(addr: *mut c_void) -> Option<*mut HPyContext> {
    let base = base_of(addr)?;
    let bases = CONTEXT_OF_BASE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    bases.get(&base).map(|&ctx| ctx as *mut HPyContext)
}

/// The directory of this process's private copies.
fn copies_dir() -> PathBuf {
    std::env::temp_dir().join(format!("hpy-rs-{}", std::process::id()))
}

extern "C" fn remove_copies() {
    // Nothing to report at exit: a copy left behind is only disk space.
    let _ = std::fs::remove_dir_all(copies_dir());
}

/// A private copy of the extension at `path` for the context `ctx`, with
/// the same file name (so that its ABI tag reads the same): the path to
/// dlopen, NUL-terminated.
///
/// The copy's directory names the context and the file's identity (device,
/// inode, modification time and size), so the same version of a file for
/// the same context gives the same copy (dlopen then shares it, as for the
/// original), and a different file of the same name a different one: the
/// dynamic loader treats an already loaded path as the same library.
pub fn private_copy(path: &[u8], ctx: *mut HPyContext) -> std::io::Result<CString> {
    let source = Path::new(OsStr::from_bytes(path));
    let file_name = source
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let meta = std::fs::metadata(source)?;
    let dir = copies_dir().join(format!(
        "ctx-{:x}-{:x}-{:x}-{:x}.{:x}-{:x}",
        ctx as usize,
        meta.dev(),
        meta.ino(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.size()
    ));
    std::fs::create_dir_all(&dir)?;
    CLEANUP.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn()` to run at exit.
        unsafe { libc::atexit(remove_copies) };
    });
    let target = dir.join(file_name);
    if !target.exists() {
        // copied under another name first, so that a copy is never seen half-written
        let tmp = dir.join(format!(".{}.tmp", file_name.to_string_lossy()));
        std::fs::copy(source, &tmp)?;
        std::fs::rename(&tmp, &target)?;
    }
    CString::new(target.as_os_str().as_bytes()).map_err(std::io::Error::other)
}
