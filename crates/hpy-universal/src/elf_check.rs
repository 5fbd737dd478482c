//! A check of an extension file before dlopen sees it.
//!
//! The dynamic loader maps each PT_LOAD segment of a shared library with
//! mmap and then touches it; a segment whose file range runs past the end of
//! a truncated file is mapped anyway, and the first touch beyond the end of
//! the file kills the process with SIGBUS. So before dlopen the loader reads
//! the ELF header and the program headers and refuses, with a clear message,
//! a file that is not a regular file, not an ELF shared object of this
//! machine's class and byte order, or whose headers or segments are not
//! wholly inside the file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;

/// ELF identification: magic, class, data encoding.
const ELFMAG: &[u8; 4] = b"\x7fELF";
const ELFCLASS32: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
/// e_type of a shared object.
const ET_DYN: u16 = 3;
/// p_type of a loadable segment and of the dynamic section.
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
/// Refuse absurd program header tables (glibc's own bound is much lower).
const MAX_PHNUM: u64 = 0xffff;

/// The sizes of this machine's ELF class.
#[cfg(target_pointer_width = "64")]
mod class {
    pub const CLASS: u8 = super::ELFCLASS64;
    pub const EHDR_SIZE: u64 = 64;
    pub const PHDR_SIZE: u64 = 56;
}
#[cfg(target_pointer_width = "32")]
mod class {
    pub const CLASS: u8 = super::ELFCLASS32;
    pub const EHDR_SIZE: u64 = 52;
    pub const PHDR_SIZE: u64 = 32;
}

#[cfg(target_endian = "little")]
const DATA: u8 = ELFDATA2LSB;
#[cfg(target_endian = "big")]
const DATA: u8 = ELFDATA2MSB;

/// Reads `len` bytes at `off` of `bytes` as a native-endian unsigned number.
fn uint(bytes: &[u8], off: u64, len: usize) -> Option<u64> {
    let start = usize::try_from(off).ok()?;
    let field = bytes.get(start..start.checked_add(len)?)?;
    let mut buf = [0u8; 8];
    if cfg!(target_endian = "little") {
        buf.get_mut(..len)?.copy_from_slice(field);
        Some(u64::from_le_bytes(buf))
    } else {
        buf.get_mut(8 - len..)?.copy_from_slice(field);
        Some(u64::from_be_bytes(buf))
    }
}

/// A word of this class: 8 bytes in ELF64, 4 in ELF32.
fn word(bytes: &[u8], off64: u64, off32: u64) -> Option<u64> {
    if class::CLASS == ELFCLASS64 {
        uint(bytes, off64, 8)
    } else {
        uint(bytes, off32, 4)
    }
}

/// Checks that the file at `path` can be given to dlopen without risk;
/// Err(why) otherwise, a phrase for an error message.
pub fn check(path: &[u8]) -> Result<(), String> {
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if meta.is_dir() {
        return Err("it is a directory, not a shared library".into());
    }
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    let size = meta.len();
    if size == 0 {
        return Err("the file is empty".into());
    }
    let mut file = File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut ehdr = Vec::new();
    (&mut file)
        .take(class::EHDR_SIZE)
        .read_to_end(&mut ehdr)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if ehdr.get(..4) != Some(&ELFMAG[..]) {
        return Err("it is not an ELF file (no ELF magic number)".into());
    }
    if (ehdr.len() as u64) < class::EHDR_SIZE {
        return Err(format!(
            "it is a truncated ELF file ({size} bytes, shorter than its ELF header)"
        ));
    }
    match ehdr.get(4).copied() {
        Some(c) if c == class::CLASS => {}
        Some(ELFCLASS32) | Some(ELFCLASS64) => {
            return Err("it is an ELF file of the wrong class (32/64-bit) for this machine".into())
        }
        _ => return Err("it is an ELF file with an invalid class".into()),
    }
    match ehdr.get(5).copied() {
        Some(d) if d == DATA => {}
        Some(ELFDATA2LSB) | Some(ELFDATA2MSB) => {
            return Err("it is an ELF file of the wrong byte order for this machine".into())
        }
        _ => return Err("it is an ELF file with an invalid byte order".into()),
    }
    let bad = || "it is a malformed ELF file (unreadable header)".to_string();
    let e_type = uint(&ehdr, 16, 2).ok_or_else(bad)?;
    if e_type != u64::from(ET_DYN) {
        return Err(format!(
            "it is an ELF file but not a shared object (e_type {e_type})"
        ));
    }
    let phoff = word(&ehdr, 32, 28).ok_or_else(bad)?;
    let (phentsize, phnum) = if class::CLASS == ELFCLASS64 {
        (uint(&ehdr, 54, 2), uint(&ehdr, 56, 2))
    } else {
        (uint(&ehdr, 42, 2), uint(&ehdr, 44, 2))
    };
    let (phentsize, phnum) = (phentsize.ok_or_else(bad)?, phnum.ok_or_else(bad)?);
    if phnum == 0 || phnum > MAX_PHNUM || phentsize != class::PHDR_SIZE {
        return Err("it is a malformed ELF file (bad program header table)".into());
    }
    let table_end = phnum
        .checked_mul(phentsize)
        .and_then(|n| n.checked_add(phoff));
    if table_end.is_none_or(|end| end > size) {
        return Err(format!(
            "it is a truncated or corrupt ELF file ({size} bytes; its program headers end past \
             the end of the file)"
        ));
    }
    let mut table = Vec::new();
    file.seek(SeekFrom::Start(phoff))
        .and_then(|_| file.take(phnum * phentsize).read_to_end(&mut table))
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let mut loads = 0u32;
    for i in 0..phnum {
        let base = i * phentsize;
        let bad_ph = || "it is a malformed ELF file (unreadable program header)".to_string();
        let p_type = uint(&table, base, 4).ok_or_else(bad_ph)?;
        // Offsets in the program header: p_offset, p_filesz.
        let p_offset = word(&table, base + 8, base + 4).ok_or_else(bad_ph)?;
        let p_filesz = word(&table, base + 32, base + 16).ok_or_else(bad_ph)?;
        if p_type == u64::from(PT_LOAD) || p_type == u64::from(PT_DYNAMIC) {
            if p_type == u64::from(PT_LOAD) {
                loads += 1;
            }
            let end = p_offset.checked_add(p_filesz);
            if end.is_none_or(|end| end > size) {
                return Err(format!(
                    "it is a truncated or corrupt ELF file ({size} bytes; segment {i} needs bytes \
                     {p_offset}..{} of it)",
                    p_offset.saturating_add(p_filesz)
                ));
            }
        }
    }
    if loads == 0 {
        return Err("it is an ELF file with no loadable segment".into());
    }
    Ok(())
}
