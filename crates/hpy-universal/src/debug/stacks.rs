//! Where a handle was opened (`_debug.set_handle_stack_trace_limit(n)`):
//! the C backtrace, as HPy 0.9's debug mode records it, and the Python
//! traceback that was running, so that a report names both the C function
//! that opened the handle and the Python line that called into the
//! extension.
//!
//! Capturing is cheap (return addresses from `backtrace(3)`, frames from the
//! thread state); symbol names are looked up (`dladdr(3)`) only when a
//! report is rendered. The frames of this runtime itself (the debug
//! context's functions) are left out: the first C frame is the
//! extension's.

use core::ffi::{c_char, c_int, c_void, CStr};
use std::fmt::Write;

use pyo3_ffi as ffi;

use crate::python::Obj;

/// Where one handle was opened.
#[derive(Clone)]
pub struct Trace {
    /// Return addresses, innermost first (this runtime's frames left out).
    c: Box<[usize]>,
    /// `  File "F", line N, in NAME` lines, innermost first.
    python: Box<str>,
}

impl Trace {
    /// Up to `limit` C frames and `limit` Python frames of the current
    /// thread (with the GIL).
    pub fn capture(limit: usize) -> Trace {
        Trace {
            c: c_frames(limit),
            python: python_stack(limit).into_boxed_str(),
        }
    }

    /// The text shown in reports and by `DebugHandle.allocation_stacktrace`.
    pub fn render(&self) -> String {
        let mut out = String::from("C backtrace (innermost first):\n");
        if self.c.is_empty() {
            out.push_str("  (not available)\n");
        }
        for (i, &addr) in self.c.iter().enumerate() {
            let _ = writeln!(out, "  #{i} {}", describe(addr));
        }
        out.push_str("Python traceback (innermost first):\n");
        out.push_str(&self.python);
        out
    }
}

/// The start address of the object this code is in (to skip our frames).
fn own_base() -> usize {
    static BASE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        let here = own_base as *const () as usize;
        object_of(here).map_or(0, |(base, _)| base)
    })
}

/// The object (start address, file name) that contains `addr`.
fn object_of(addr: usize) -> Option<(usize, *const c_char)> {
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    unsafe {
        let mut info: libc::Dl_info = core::mem::zeroed();
        if libc::dladdr(addr as *const c_void, &mut info) == 0 {
            return None;
        }
        Some((info.dli_fbase as usize, info.dli_fname))
    }
}

fn c_frames(limit: usize) -> Box<[usize]> {
    // room for this runtime's own frames on top
    let want = limit.saturating_add(24).min(1024);
    let mut buf: Vec<*mut c_void> = vec![core::ptr::null_mut(); want];
    // SAFETY: `buf` has room for `want` pointers; backtrace writes at most
    // that many and returns how many it wrote.
    let n = unsafe { libc::backtrace(buf.as_mut_ptr(), want as c_int) };
    let n = (n.max(0) as usize).min(want);
    let own = own_base();
    buf.truncate(n);
    buf.iter()
        .map(|&p| p as usize)
        .skip_while(|&a| own != 0 && object_of(a).map(|(b, _)| b) == Some(own))
        .take(limit)
        .collect()
}

/// `0xADDR in SYMBOL+0xOFF (FILE+0xOFFSET)` for one return address: the
/// offset in the file is what `addr2line -e FILE` takes.
fn describe(addr: usize) -> String {
    // a return address may be just past its function: look up the call
    let look = addr.saturating_sub(1);
    // SAFETY: dladdr only reads the loader's tables and fills `info`; the
    // strings it gives are the loader's, alive while the object is loaded.
    unsafe {
        let mut info: libc::Dl_info = core::mem::zeroed();
        if libc::dladdr(look as *const c_void, &mut info) == 0 {
            return format!("{addr:#x} in ??");
        }
        let file = if info.dli_fname.is_null() {
            "??".to_string()
        } else {
            CStr::from_ptr(info.dli_fname)
                .to_string_lossy()
                .into_owned()
        };
        let in_file = addr.wrapping_sub(info.dli_fbase as usize);
        // the function that contains it, from the file's symbol table (which
        // also names static functions, that dladdr cannot see)
        if let Some((name, start)) = symtab_function(&file, in_file.saturating_sub(1)) {
            return format!(
                "{addr:#x} in {}+{:#x} ({file}+{in_file:#x})",
                demangle(&name),
                in_file - start
            );
        }
        let symbol = if info.dli_sname.is_null() {
            "??".to_string()
        } else {
            let name = CStr::from_ptr(info.dli_sname).to_string_lossy();
            format!(
                "{}+{:#x}",
                demangle(&name),
                addr.wrapping_sub(info.dli_saddr as usize)
            )
        };
        format!("{addr:#x} in {symbol} ({file}+{in_file:#x})")
    }
}

/// The functions of one ELF file's symbol table: (start, size, name),
/// sorted by start.
type Functions = Vec<(usize, usize, String)>;

/// The files whose functions have been read (a report names few files).
static SYMTABS: std::sync::Mutex<Vec<(String, Option<Functions>)>> =
    std::sync::Mutex::new(Vec::new());

/// The function of `file` (a shared object) that contains the offset
/// `off` from its load address: its name and start.
fn symtab_function(file: &str, off: usize) -> Option<(String, usize)> {
    let mut cache = SYMTABS.lock().ok()?;
    let i = match cache.iter().position(|(f, _)| f == file) {
        Some(i) => i,
        None => {
            cache.push((file.to_string(), read_functions(file)));
            cache.len() - 1
        }
    };
    let funcs = cache.get(i)?.1.as_ref()?;
    let k = funcs.partition_point(|&(start, _, _)| start <= off);
    let (start, size, name) = funcs.get(k.checked_sub(1)?)?;
    (off < start + size).then(|| (name.clone(), *start))
}

/// Little-endian unsigned integer of `len` bytes at `at` in `b`.
fn le(b: &[u8], at: usize, len: usize) -> Option<usize> {
    let bytes = b.get(at..at.checked_add(len)?)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | x as u64) as usize,
    )
}

/// The functions (STT_FUNC with a size) of the `.symtab` (else `.dynsym`)
/// of a 64-bit little-endian ELF file; None for anything else.
fn read_functions(file: &str) -> Option<Functions> {
    let b = std::fs::read(file).ok()?;
    // ELF magic, ELFCLASS64, ELFDATA2LSB
    if b.get(0..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = le(&b, 0x28, 8)?;
    let shentsize = le(&b, 0x3a, 2)?;
    let shnum = le(&b, 0x3c, 2)?;
    let section = |i: usize| shoff.checked_add(i.checked_mul(shentsize)?);
    // SHT_SYMTAB (2) if there is one, else SHT_DYNSYM (11)
    let find = |kind: usize| {
        (0..shnum).find(|&i| section(i).and_then(|at| le(&b, at + 4, 4)) == Some(kind))
    };
    let sym_index = find(2).or_else(|| find(11))?;
    let sym_at = section(sym_index)?;
    let (sym_off, sym_size, link) = (
        le(&b, sym_at + 24, 8)?,
        le(&b, sym_at + 32, 8)?,
        le(&b, sym_at + 40, 4)?,
    );
    let str_at = section(link)?;
    let (str_off, str_size) = (le(&b, str_at + 24, 8)?, le(&b, str_at + 32, 8)?);
    let strings = b.get(str_off..str_off.checked_add(str_size)?)?;
    let mut funcs = Vec::new();
    for k in 0..sym_size / 24 {
        let at = sym_off + k * 24;
        let info = le(&b, at + 4, 1)?;
        let (value, size) = (le(&b, at + 8, 8)?, le(&b, at + 16, 8)?);
        if info & 0xf != 2 || value == 0 || size == 0 {
            continue;
        }
        let name_at = le(&b, at, 4)?;
        let rest = strings.get(name_at..)?;
        let end = rest.iter().position(|&c| c == 0)?;
        let name = String::from_utf8_lossy(rest.get(..end)?).into_owned();
        funcs.push((value, size, name));
    }
    funcs.sort();
    Some(funcs)
}

/// A Rust symbol in the legacy mangling (`_ZN3foo3bar17h0123456789abcdefE`)
/// as `foo::bar`; any other name as it is.
fn demangle(name: &str) -> String {
    let Some(mut rest) = name.strip_prefix("_ZN") else {
        return name.to_string();
    };
    let mut parts: Vec<&str> = Vec::new();
    while let Some(first) = rest.chars().next() {
        if first == 'E' {
            break;
        }
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        let Ok(len) = rest[..digits].parse::<usize>() else {
            return name.to_string();
        };
        let Some(part) = rest.get(digits..digits + len) else {
            return name.to_string();
        };
        parts.push(part);
        rest = &rest[digits + len..];
    }
    if let Some(last) = parts.last() {
        let is_hash = last.len() == 17
            && last.starts_with('h')
            && last[1..].chars().all(|c| c.is_ascii_hexdigit());
        if is_hash {
            parts.pop();
        }
    }
    if parts.is_empty() {
        name.to_string()
    } else {
        parts.join("::")
    }
}

/// Up to `limit` Python frames, innermost first, as `  File "F", line N, in NAME`.
fn python_stack(limit: usize) -> String {
    let mut out = String::new();
    // SAFETY: with the GIL; the frames are borrowed from the thread state
    // (PyEval_GetFrame) or new references (PyFrame_GetBack, GetCode) that
    // are released; the code object's attributes are read through the API,
    // with the caller's pending exception (if any) set aside meanwhile.
    unsafe {
        let (mut et, mut ev, mut tb) = (
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        );
        ffi::PyErr_Fetch(&mut et, &mut ev, &mut tb);
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
            let _ = writeln!(out, "  File \"{file}\", line {line}, in {name}");
            let back = ffi::PyFrame_GetBack(frame);
            ffi::Py_DECREF(frame.cast());
            frame = back;
            n += 1;
        }
        if !frame.is_null() {
            ffi::Py_DECREF(frame.cast());
        }
        ffi::PyErr_Restore(et, ev, tb);
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

#[cfg(test)]
mod tests {
    use crate::debug::stacks::demangle;

    #[test]
    fn demangles_legacy_rust_symbols() {
        assert_eq!(
            demangle("_ZN13hpy_universal5debug7handles4wrap17h0123456789abcdefE"),
            "hpy_universal::debug::handles::wrap"
        );
        assert_eq!(demangle("leak_impl"), "leak_impl");
        assert_eq!(demangle("_ZN3bad"), "bad");
        assert_eq!(demangle("_ZN99x"), "_ZN99x");
    }
}
