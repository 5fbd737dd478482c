//! The ABI tag in the file name of an HPy extension.
//!
//! A universal extension is `NAME.hpy0.so` (the HPy ABI major version after
//! `hpy`); a hybrid one also names the CPython it was built for:
//! `NAME.hpy0-cp311.so`, in the form of `hpy.devel.abitag`. Anything else
//! (`NAME.so`, `NAME.cpython-311-x86_64-linux-gnu.so`) is not an HPy
//! universal or hybrid extension.

/// What a file name says about the extension in it.
#[derive(Debug, PartialEq, Eq)]
pub enum FileTag<'a> {
    /// `NAME.hpyN.so`
    Universal { major: u32 },
    /// `NAME.hpyN-PYTAG.so`
    Hybrid { major: u32, python: &'a str },
    /// No HPy tag; carries the tag that is there (possibly empty).
    NotHpy { tag: &'a str },
}

/// `bytes` split at the last `sep`, which is in neither part; None without
/// one.
fn rsplit_last(bytes: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let mut parts = bytes.rsplitn(2, |&c| c == sep);
    let after = parts.next()?;
    let before = parts.next()?;
    Some((before, after))
}

/// The ABI tag of a file name (the last path component is used): the last
/// dotted part before the file extension.
pub fn parse(path: &[u8]) -> FileTag<'_> {
    let base = rsplit_last(path, b'/').map_or(path, |(_, after)| after);
    // Drop the file extension (".so", ".pyd", ".dylib").
    let Some((stem, _extension)) = rsplit_last(base, b'.') else {
        return FileTag::NotHpy { tag: "" };
    };
    let Some((_, tag)) = rsplit_last(stem, b'.') else {
        return FileTag::NotHpy { tag: "" };
    };
    let tag = match core::str::from_utf8(tag) {
        Ok(tag) => tag,
        Err(_) => return FileTag::NotHpy { tag: "" },
    };
    let Some(rest) = tag.strip_prefix("hpy") else {
        return FileTag::NotHpy { tag };
    };
    let (version, python) = match rest.split_once('-') {
        Some((version, python)) => (version, Some(python)),
        None => (rest, None),
    };
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit()) {
        return FileTag::NotHpy { tag };
    }
    let Ok(major) = version.parse::<u32>() else {
        return FileTag::NotHpy { tag };
    };
    match python {
        None => FileTag::Universal { major },
        Some("") => FileTag::NotHpy { tag },
        Some(python) => FileTag::Hybrid { major, python },
    }
}

/// The Python tag of hybrid extensions built for the interpreter whose
/// extension suffix is `ext_suffix` (`.cpython-311-x86_64-linux-gnu.so` ->
/// `cp311`), as `hpy.devel.abitag.parse_ext_suffix` computes it.
pub fn python_tag_of_ext_suffix(ext_suffix: &str) -> Option<String> {
    let mut dotted = ext_suffix.split('.');
    let (Some(""), Some(soabi), Some(_ext), None) =
        (dotted.next(), dotted.next(), dotted.next(), dotted.next())
    else {
        return None;
    };
    let mut parts: Vec<&str> = soabi.split('-').collect();
    let keep = match parts.first() {
        Some(&"cpython") => 2,
        Some(first) if first.starts_with("cp") => 1,
        Some(first) if first.starts_with("pypy") => 2,
        Some(first) if first.starts_with("graalpy") => 3,
        _ => parts.len(),
    };
    parts.truncate(keep);
    let tag = parts.join("-");
    match tag.strip_prefix("cpython-") {
        Some(version) => Some(format!("cp{version}")),
        None => Some(tag),
    }
}
