//! hpy-gen: reads `api/hpy.api` and writes every generated file.
//!
//! `cargo run -p hpy-gen` rewrites them; `cargo run -p hpy-gen -- --check`
//! only compares and exits with status 1 when one of them is stale.

mod api;
mod emit_c;
mod emit_rust;
mod enums;
mod trampoline_args;
mod types;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use api::Entry;

/// The repository root (two levels above this crate).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The two parts of the API description.
struct Api {
    entries: Vec<Entry>,
    enums: Vec<enums::Enum>,
    args_blocks: Vec<trampoline_args::ArgsBlock>,
}

fn load_api(root: &Path) -> Result<Api, String> {
    let read = |name: &str| {
        let path = root.join("api").join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let entries = api::parse(&read("hpy.api")?).map_err(|e| e.to_string())?;
    let enums = enums::parse(&read("enums.api")?)?;
    let args_blocks = trampoline_args::parse(&read("trampoline_args.api")?)?;
    Ok(Api {
        entries,
        enums,
        args_blocks,
    })
}

/// Every generated file: (path relative to the repo root, contents).
fn render(api: &Api) -> Vec<(&'static str, String)> {
    let entries = &api.entries;
    vec![
        (
            "python/hpy/devel/include/hpy/autogen_enums.h",
            enums::emit_c(&api.enums),
        ),
        (
            "crates/hpy-sys/src/autogen_enums.rs",
            enums::emit_rust(&api.enums),
        ),
        (
            "python/hpy/devel/include/hpy/autogen_hpyfunc_args.h",
            trampoline_args::emit_c(&api.args_blocks),
        ),
        (
            "crates/hpy-sys/src/autogen_hpyfunc_args.rs",
            trampoline_args::emit_rust(&api.args_blocks),
        ),
        (
            "python/hpy/devel/include/hpy/autogen_ctx.h",
            emit_c::context_struct(entries),
        ),
        (
            "python/hpy/devel/include/hpy/universal/autogen_trampolines.h",
            emit_c::universal_trampolines(entries),
        ),
        (
            "python/hpy/devel/include/hpy/cpython/autogen_api_impl.h",
            emit_c::cpython_api(entries),
        ),
        (
            "python/hpy/devel/include/hpy/cpython/autogen_ctx_init.h",
            emit_c::cpython_ctx_init(entries),
        ),
        (
            "crates/hpy-sys/src/autogen_context.rs",
            emit_rust::context_struct(entries),
        ),
        (
            "crates/hpy-universal/src/autogen_context.rs",
            emit_rust::universal_context(entries),
        ),
    ]
}

/// The generated files whose contents differ from what `render` produces.
fn stale_files(root: &Path, api: &Api) -> Vec<&'static str> {
    render(api)
        .into_iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(path, _)| path)
        .collect()
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = repo_root();
    let api = match load_api(&root) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hpy-gen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let stale = stale_files(&root, &api);
        for path in &stale {
            eprintln!("hpy-gen: {path} is stale; run `cargo run -p hpy-gen`");
        }
        return if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    for (path, text) in render(&api) {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Some(dir) = full.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("hpy-gen: {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&full, text) {
            eprintln!("hpy-gen: {}: {e}", full.display());
            return ExitCode::FAILURE;
        }
        println!("hpy-gen: wrote {path}");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_are_current() {
        let root = repo_root();
        let api = load_api(&root).unwrap();
        let stale = stale_files(&root, &api);
        assert!(
            stale.is_empty(),
            "stale generated files (run `cargo run -p hpy-gen`): {stale:?}"
        );
    }

    /// `api/hpy.api` against the ABI table `../shared/hpy-abi/context.tsv`:
    /// the same entries in the same order with the same kinds, names, types
    /// and parameter lists.
    #[test]
    fn api_matches_context_tsv() {
        let root = repo_root();
        let tsv_path = root.join("../shared/hpy-abi/context.tsv");
        let Ok(tsv) = std::fs::read_to_string(&tsv_path) else {
            eprintln!(
                "SKIPPED: {} not found (it is beside the repository in CI)",
                tsv_path.display()
            );
            return;
        };
        let entries = load_api(&root).unwrap().entries;
        let rows: Vec<Vec<&str>> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(entries.len(), rows.len(), "number of entries");
        for (entry, row) in entries.iter().zip(&rows) {
            let (index, kind, name, ty, params, public) =
                (row[0], row[1], row[2], row[3], row[4], row[5]);
            assert_eq!(entry.index().to_string(), index);
            let norm = |s: &str| api::normalise_type(s);
            match entry {
                Entry::Field { ctype, name: n, .. } => {
                    assert_eq!(
                        (kind, name, norm(ty)),
                        ("field", n.as_str(), ctype.clone()),
                        "entry {index}"
                    );
                }
                Entry::Handle { name: n, .. } => {
                    assert_eq!(
                        (kind, name, ty),
                        ("handle", n.as_str(), "HPy"),
                        "entry {index}"
                    );
                }
                Entry::Func(f) => {
                    assert_eq!(kind, "function", "entry {index}");
                    assert_eq!(name, f.ctx_name, "entry {index}");
                    assert_eq!(norm(ty), f.ret, "return type of {name}");
                    assert_eq!(public, f.public_name(), "public name of {name}");
                    let ours: Vec<String> = f.params.iter().map(|p| norm(&p.text)).collect();
                    let theirs: Vec<String> = params.split(", ").map(norm).collect();
                    assert_eq!(ours, theirs, "parameters of {name}");
                }
            }
        }
    }

    /// `api/enums.api` against `../shared/hpy-abi/enums.tsv`: the same
    /// enums with the same members and values, in the same order.
    #[test]
    fn enums_match_enums_tsv() {
        let root = repo_root();
        let tsv_path = root.join("../shared/hpy-abi/enums.tsv");
        let Ok(tsv) = std::fs::read_to_string(&tsv_path) else {
            eprintln!(
                "SKIPPED: {} not found (it is beside the repository in CI)",
                tsv_path.display()
            );
            return;
        };
        let theirs: Vec<(String, String, i64)> = tsv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap())
            })
            .collect();
        let ours: Vec<(String, String, i64)> = load_api(&root)
            .unwrap()
            .enums
            .iter()
            .flat_map(|e| {
                e.members
                    .iter()
                    .map(|m| (e.name.clone(), m.name.clone(), m.value))
            })
            .collect();
        assert_eq!(ours, theirs);
    }

    /// `api/trampoline_args.api` against the `_HPyFunc_args_*` rows of
    /// `../shared/hpy-abi/structs.tsv`: the same structs, fields in order.
    #[test]
    fn trampoline_args_match_structs_tsv() {
        let root = repo_root();
        let tsv_path = root.join("../shared/hpy-abi/structs.tsv");
        let Ok(tsv) = std::fs::read_to_string(&tsv_path) else {
            eprintln!(
                "SKIPPED: {} not found (it is beside the repository in CI)",
                tsv_path.display()
            );
            return;
        };
        let theirs: Vec<(String, String)> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| f[0].starts_with("_HPyFunc_args_"))
            .map(|f| (f[0].to_string(), api::normalise_type(f[2])))
            .collect();
        let ours: Vec<(String, String)> = load_api(&root)
            .unwrap()
            .args_blocks
            .iter()
            .flat_map(|b| {
                b.declarations
                    .iter()
                    .map(move |d| (b.struct_name(), api::normalise_type(d)))
            })
            .collect();
        assert_eq!(ours, theirs);
    }
}
