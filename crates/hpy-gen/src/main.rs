//! hpy-gen: reads `api/hpy.api` and writes every generated file.
//!
//! `cargo run -p hpy-gen` rewrites them; `cargo run -p hpy-gen -- --check`
//! only compares and exits with status 1 when one of them is stale.

mod api;
mod emit_c;
mod emit_debug;
mod emit_rust;
mod emit_slot_shapes;
mod emit_trace;
mod enums;
mod signatures;
mod structs;
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
    signatures: signatures::Signatures,
    structs: structs::Structs,
}

fn load_api(root: &Path) -> Result<Api, String> {
    let read = |name: &str| {
        let path = root.join("api").join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let entries = api::parse(&read("hpy.api")?).map_err(|e| e.to_string())?;
    let enums = enums::parse(&read("enums.api")?)?;
    let signatures = signatures::parse(&read("signatures.api")?)?;
    let structs = structs::parse(&read("structs.api")?)?;
    Ok(Api {
        entries,
        enums,
        signatures,
        structs,
    })
}

/// Every generated file: (path relative to the repo root, contents).
fn render(api: &Api) -> Result<Vec<(&'static str, String)>, String> {
    let files = render_unformatted(api);
    files
        .into_iter()
        .map(|(path, text)| {
            if path.ends_with(".rs") {
                rustfmt(&text).map(|t| (path, t))
            } else {
                Ok((path, text))
            }
        })
        .collect()
}

/// Formats generated Rust the way `cargo fmt` does (the repository's
/// rustfmt configuration, if any, applies), so that it passes
/// `cargo fmt --check` wherever it is compiled as a module.
fn rustfmt(text: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt: writer thread failed")?
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt rejected generated code:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt: {e}"))
}

fn render_unformatted(api: &Api) -> Vec<(&'static str, String)> {
    let entries = &api.entries;
    let sigs = &api.signatures;
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
            signatures::args_c(sigs),
        ),
        (
            "crates/hpy-sys/src/autogen_hpyfunc_args.rs",
            signatures::args_rust(sigs),
        ),
        (
            "python/hpy/devel/include/hpy/autogen_hpyfunc.h",
            signatures::hpyfunc_c(sigs),
        ),
        (
            "crates/hpy-sys/src/autogen_hpyfunc.rs",
            signatures::hpyfunc_rust(sigs),
        ),
        (
            "python/hpy/devel/include/hpy/universal/autogen_hpyfunc_trampolines.h",
            signatures::universal_trampolines(sigs),
        ),
        (
            "python/hpy/devel/include/hpy/cpython/autogen_hpyfunc_trampolines.h",
            signatures::cpython_trampolines(sigs),
        ),
        (
            "crates/hpy-universal/src/api/autogen_trampoline_dispatch.rs",
            signatures::dispatch_rust(sigs),
        ),
        (
            "crates/hpy-universal/src/slot_call/autogen_slot_shapes.rs",
            emit_slot_shapes::slot_shapes(sigs).unwrap_or_else(|e| panic!("emit_slot_shapes: {e}")),
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
        (
            "crates/hpy-universal/src/debug/autogen_debug_context.rs",
            emit_debug::debug_context(entries).unwrap_or_else(|e| panic!("emit_debug: {e}")),
        ),
        (
            "crates/hpy-universal/src/trace/autogen_trace_context.rs",
            emit_trace::trace_context(entries),
        ),
        (
            "crates/hpy-universal/src/trace/autogen_trace_names.rs",
            emit_trace::trace_names(entries),
        ),
        (
            "tests/c/layout.c",
            structs::layout_c(&api.structs, &api.enums, sigs, entries),
        ),
        (
            "crates/hpy-sys/tests/layout/autogen_facts.rs",
            structs::layout_rust(&api.structs, &api.enums, sigs, entries),
        ),
    ]
}

/// The generated files whose contents differ from what `render` produces.
#[cfg(test)]
fn stale_files(root: &Path, api: &Api) -> Result<Vec<&'static str>, String> {
    Ok(render(api)?
        .into_iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(path, _)| path)
        .collect())
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
    let files = match render(&api) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hpy-gen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|(path, text)| {
                std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str())
            })
            .map(|(path, _)| *path)
            .collect();
        for path in &stale {
            eprintln!("hpy-gen: {path} is stale; run `cargo run -p hpy-gen`");
        }
        return if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    for (path, text) in files {
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

    /// A table of `../shared/hpy-abi/`, beside the repository. These tests
    /// check the description against it, so they fail without it.
    fn abi_table(name: &str) -> String {
        let path = repo_root().join("../shared/hpy-abi").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: the ABI tables must be beside the repository (../shared/hpy-abi)",
                path.display()
            )
        })
    }

    #[test]
    fn generated_files_are_current() {
        let root = repo_root();
        let api = load_api(&root).unwrap();
        let stale = stale_files(&root, &api).unwrap();
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
        let tsv = abi_table("context.tsv");
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

    /// The public prototype of every context function (what the generated
    /// headers declare) against `../shared/hpy-abi/public-api.tsv`, the
    /// public API of HPy 0.9.0: the same return type and parameters. The
    /// functions it does not list are the internal ones (`_HPy*`, no public
    /// name) and those added after 0.9.0 (`@minor`), and no others.
    #[test]
    fn public_prototypes_match_public_api_tsv() {
        let tsv = abi_table("public-api.tsv");
        let rows: Vec<Vec<&str>> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        let entries = load_api(&repo_root()).unwrap().entries;
        let mut checked = 0;
        for f in entries.iter().filter_map(|e| match e {
            Entry::Func(f) => Some(f),
            _ => None,
        }) {
            let Some(row) = rows.iter().find(|r| r[0] == f.c_name) else {
                assert!(
                    f.c_name.starts_with('_') || f.minor() > 0,
                    "{} is public and in HPy 0.9.0 but not in public-api.tsv",
                    f.c_name
                );
                continue;
            };
            assert_eq!(
                f.minor(),
                0,
                "{} is in public-api.tsv (HPy 0.9.0) but marked @minor",
                f.c_name
            );
            assert_eq!(row[3], "context", "{} is a context function", f.c_name);
            // The generated headers declare a @noreturn function `_HPy_NO_RETURN`.
            let noreturn = if f.has(&api::Attr::NoReturn) {
                "_HPy_NO_RETURN "
            } else {
                ""
            };
            let ret = format!("{noreturn}{}", f.public_ret());
            assert_eq!(
                api::normalise_type(row[1]),
                api::normalise_type(&ret),
                "public return type of {}",
                f.c_name
            );
            let ours: Vec<String> = f
                .public_params()
                .iter()
                .map(|p| api::normalise_type(p))
                .collect();
            let theirs: Vec<String> = row[2].split(", ").map(api::normalise_type).collect();
            assert_eq!(ours, theirs, "public parameters of {}", f.c_name);
            checked += 1;
        }
        // The other `context` rows (HPyCapsule_GetPointer ...) are wrappers
        // of HPyCapsule_Get/Set in the headers, not entries of their own.
        assert!(checked > 150, "only {checked} functions checked");
    }

    /// `api/enums.api` against `../shared/hpy-abi/enums.tsv`: the same
    /// enums with the same members and values, in the same order.
    #[test]
    fn enums_match_enums_tsv() {
        let root = repo_root();
        let tsv = abi_table("enums.tsv");
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

    /// The structs of `api/structs.api` against the other rows of
    /// `../shared/hpy-abi/structs.tsv`: the same structs with the same field
    /// names in the same order (the layout test then compares sizes and
    /// offsets between C and Rust).
    #[test]
    fn structs_match_structs_tsv() {
        let tsv = abi_table("structs.tsv");
        let mut theirs: Vec<(String, Vec<String>)> = Vec::new();
        for row in tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
        {
            if row[0].starts_with("_HPyFunc_args_") {
                continue;
            }
            let decl = row[2];
            let (_, name) = api::split_decl(decl.trim_start_matches("union:")).unwrap();
            let name = if decl.starts_with("union:") {
                format!("u.{name}")
            } else {
                name
            };
            match theirs.last_mut() {
                Some((s, fields)) if s == row[0] => fields.push(name),
                _ => theirs.push((row[0].to_string(), vec![name])),
            }
        }
        let mut ours: Vec<(String, Vec<String>)> = load_api(&repo_root())
            .unwrap()
            .structs
            .structs
            .iter()
            .map(|s| (s.name.clone(), s.fields.clone()))
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    /// The argument blocks of `api/signatures.api` against the
    /// `_HPyFunc_args_*` rows of `../shared/hpy-abi/structs.tsv`: the same
    /// structs, fields in order.
    #[test]
    fn argument_blocks_match_structs_tsv() {
        let root = repo_root();
        let tsv = abi_table("structs.tsv");
        let theirs: Vec<(String, String)> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| f[0].starts_with("_HPyFunc_args_"))
            .map(|f| (f[0].to_string(), api::normalise_type(f[2])))
            .collect();
        let mut ours: Vec<(String, String)> = load_api(&root)
            .unwrap()
            .signatures
            .sigs
            .iter()
            .flat_map(|s| {
                s.fields
                    .iter()
                    .map(move |f| (s.struct_name(), api::normalise_type(&f.text)))
            })
            .collect();
        // The same fields in the same order within each struct; the structs
        // in any order.
        let mut theirs = theirs;
        ours.sort_by(|a, b| a.0.cmp(&b.0));
        theirs.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(ours, theirs);
    }
}
