//! The Rust `#[repr(C)]` types against the C headers: compiles
//! `tests/c/layout.c` (universal ABI), runs it, and compares every size,
//! alignment and field offset it prints with Rust's.

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::Path;
use std::process::Command;

use hpy_sys::*;

/// `size T n`, `align T n` and `offset T.FIELD n` for each listed type; a Rust
/// field name with a trailing underscore (`impl_`) stands for the C name
/// without it.
macro_rules! facts {
    ($out:ident; $($ty:ident { $($field:ident),* })*) => {$(
        $out.insert(format!("size {}", stringify!($ty)), size_of::<$ty>());
        $out.insert(format!("align {}", stringify!($ty)), align_of::<$ty>());
        $($out.insert(
            format!("offset {}.{}", stringify!($ty), stringify!($field).trim_end_matches('_')),
            offset_of!($ty, $field),
        );)*
    )*};
}

fn rust_facts() -> BTreeMap<String, usize> {
    let mut f = BTreeMap::new();
    facts!(f;
        HPy_ssize_t {} HPy_hash_t {} HPy_UCS4 {} HPyCFunction {}
        HPyFunc_Signature {} HPySlot_Slot {} HPyDef_Kind {} HPyMember_FieldType {}
        HPyType_BuiltinShape {} HPyType_SpecParam_Kind {} HPy_RichCmpOp {} HPy_SourceKind {} _HPyCapsule_key {}
        HPy { _i } HPyField { _i } HPyGlobal { _i } HPyListBuilder { _lst } HPyTupleBuilder { _tup }
        HPyTracker { _i } HPyThreadState { _i }
        HPySlot { slot, impl_, cpy_trampoline }
        HPyMeth { name, impl_, cpy_trampoline, signature, doc }
        HPyMember { name, type_, offset, readonly, doc }
        HPyGetSet { name, getter_impl, setter_impl, getter_cpy_trampoline, setter_cpy_trampoline, doc, closure }
        HPyDef { kind }
        HPyCapsule_Destructor { cpy_trampoline, impl_ }
        HPyCallFunction { cpy_trampoline, impl_ }
        HPy_buffer { buf, obj, len, itemsize, readonly, ndim, format, shape, strides, suboffsets, internal }
        HPyModuleDef { doc, size, legacy_methods, defines, globals }
        HPyType_Vectorcall { cpy_trampoline, impl_ }
        HPyType_Spec { name, basicsize, itemsize, flags, builtin_shape, legacy_slots, defines, doc }
        HPyType_SpecParam { kind, object }
        HPyStructSequence_Field { name, doc }
        HPyStructSequence_Desc { name, doc, fields }
        _HPyFunc_args_NOARGS { self_, result }
        _HPyFunc_args_O { self_, arg, result }
        _HPyFunc_args_UNARYFUNC { arg0, result }
        _HPyFunc_args_BINARYFUNC { arg0, arg1, result }
        _HPyFunc_args_TERNARYFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_INQUIRY { arg0, result }
        _HPyFunc_args_LENFUNC { arg0, result }
        _HPyFunc_args_SSIZEARGFUNC { arg0, arg1, result }
        _HPyFunc_args_SSIZESSIZEARGFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_SSIZEOBJARGPROC { arg0, arg1, arg2, result }
        _HPyFunc_args_SSIZESSIZEOBJARGPROC { arg0, arg1, arg2, arg3, result }
        _HPyFunc_args_OBJOBJARGPROC { arg0, arg1, arg2, result }
        _HPyFunc_args_FREEFUNC { arg0 }
        _HPyFunc_args_GETATTRFUNC { arg0, arg1, result }
        _HPyFunc_args_GETATTROFUNC { arg0, arg1, result }
        _HPyFunc_args_SETATTRFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_SETATTROFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_REPRFUNC { arg0, result }
        _HPyFunc_args_HASHFUNC { arg0, result }
        _HPyFunc_args_GETITERFUNC { arg0, result }
        _HPyFunc_args_ITERNEXTFUNC { arg0, result }
        _HPyFunc_args_DESCRGETFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_DESCRSETFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_GETTER { arg0, arg1, result }
        _HPyFunc_args_SETTER { arg0, arg1, arg2, result }
        _HPyFunc_args_OBJOBJPROC { arg0, arg1, result }
        _HPyFunc_args_DESTRUCTOR { arg0 }
        _HPyFunc_args_VARARGS { self_, args, nargs, result }
        _HPyFunc_args_KEYWORDS { self_, args, nargsf, kwnames, result }
        _HPyFunc_args_INITPROC { self_, args, kw, result }
        _HPyFunc_args_NEWFUNC { self_, args, kw, result }
        _HPyFunc_args_RICHCMPFUNC { arg0, arg1, arg2, result }
        _HPyFunc_args_GETBUFFERPROC { self_, view, flags, result }
        _HPyFunc_args_RELEASEBUFFERPROC { self_, view }
        _HPyFunc_args_TRAVERSEPROC { self_, visit, arg, result }
        _HPyFunc_args_MOD_CREATE { spec, result }
        HPyContext {
            name, abi_version, h_None, h_ListType, ctx_Dup, ctx_CallRealFunctionFromTrampoline,
            ctx_DelItem_s, h_ComplexType, h_Builtins, h_DictType, ctx_Slice_New
        }
    );
    // The members of HPyDef's anonymous union all start where the union does.
    for member in ["slot", "meth", "member", "getset"] {
        f.insert(format!("offset HPyDef.{member}"), offset_of!(HPyDef, u));
    }
    f
}

fn c_facts() -> BTreeMap<String, usize> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let include = root.join("python/hpy/devel/include");
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hpy_layout");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c99", "-DHPY_ABI_UNIVERSAL", "-o"])
        .arg(&exe)
        .arg(format!(
            "-I{}",
            include.join("hpy/forbid_python_h").display()
        ))
        .arg(format!("-I{}", include.display()))
        .arg(root.join("tests/c/layout.c"))
        .status()
        .expect("a C compiler (set CC) is needed for the layout test");
    assert!(status.success(), "tests/c/layout.c does not compile");
    let out = Command::new(&exe).output().expect("run the layout program");
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    text.lines()
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').expect("`KIND NAME VALUE` lines");
            (key.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

#[test]
fn rust_layout_matches_c_headers() {
    let c = c_facts();
    let rust = rust_facts();
    let mut problems = Vec::new();
    for (key, c_value) in &c {
        match rust.get(key) {
            Some(r) if r == c_value => {}
            Some(r) => problems.push(format!("{key}: C {c_value}, Rust {r}")),
            None => problems.push(format!(
                "{key}: printed by layout.c but not checked on the Rust side"
            )),
        }
    }
    for key in rust.keys().filter(|k| !c.contains_key(*k)) {
        problems.push(format!("{key}: not printed by layout.c"));
    }
    assert!(
        problems.is_empty(),
        "layout mismatches:\n{}",
        problems.join("\n")
    );
}
