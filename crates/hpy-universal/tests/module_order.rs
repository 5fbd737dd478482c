//! The modules of hpy-universal form no import cycle: each refers only to
//! modules listed above it in `ORDER` (the order stated in ARCHITECTURE.md),
//! and a submodule file refers to nothing of its parent (`super::`).
//!
//! The check reads the source: every `crate::NAME` outside comments counts
//! as a use of the module NAME.

use std::fs;
use std::path::{Path, PathBuf};

/// Leaves first; `lib` (the crate root) may use any module.
const ORDER: &[&str] = &[
    "python",
    "handles",
    "abitag",
    "library_copies",
    "elf_check",
    "api",
    "autogen_context",
    "debug",
    "context",
    "trace",
    "method_call",
    "slot_call",
    "module",
    "loader",
    "bootstrap",
    "lib",
];

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (line and doc comments).
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module names `NAME` of every `crate::NAME` in `code`.
fn crate_uses(code: &str) -> Vec<String> {
    let mut uses = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            uses.push(name);
        }
        rest = after;
    }
    uses
}

#[test]
fn modules_import_only_modules_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() >= ORDER.len(),
        "too few source files under {}",
        src.display()
    );
    let mut errors = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs")
            .to_string();
        let Some(rank) = ORDER.iter().position(|&m| m == top) else {
            errors.push(format!(
                "{}: module `{top}` is not in ORDER (tests/module_order.rs) nor in \
                 ARCHITECTURE.md's list",
                relative.display()
            ));
            continue;
        };
        let code = code_of(&fs::read_to_string(path).expect("readable source"));
        let is_submodule = relative.components().count() > 1;
        if is_submodule && code.contains("super::") {
            errors.push(format!(
                "{}: a submodule uses its parent (super::)",
                relative.display()
            ));
        }
        for used in crate_uses(&code) {
            match ORDER.iter().position(|&m| m == used) {
                Some(used_rank) if used_rank < rank || used == top => {}
                Some(_) => errors.push(format!(
                    "{}: `{top}` uses `crate::{used}`, which is not above it",
                    relative.display()
                )),
                None => errors.push(format!(
                    "{}: uses `crate::{used}`, a module not in ORDER",
                    relative.display()
                )),
            }
        }
    }
    assert!(
        errors.is_empty(),
        "module order broken:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_check_sees_a_backward_use() {
    // A use written in code counts, one in a comment does not.
    let code = code_of("use crate::loader::load; // crate::bootstrap\n");
    assert_eq!(crate_uses(&code), vec!["loader".to_string()]);
}
