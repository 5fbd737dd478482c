//! What the generators need to know about each C type of the API:
//! its Rust spelling and its error value.

/// The Rust spelling of a normalised C type (see `api::normalise_type`).
pub fn rust_type(ctype: &str) -> String {
    if let Some(base) = ctype.strip_suffix(" *") {
        let (is_const, base) = match base.strip_prefix("const ") {
            Some(b) => (true, b),
            None => (false, base),
        };
        // `T *const *`: a pointer to const pointers
        let (is_const, base) = match base.strip_suffix(" const") {
            Some(b) => (true, b.to_string()),
            None => (is_const, base.to_string()),
        };
        let pointee = if base == "void" {
            "c_void".to_string()
        } else {
            rust_type(&base)
        };
        return format!("{} {pointee}", if is_const { "*const" } else { "*mut" });
    }
    if let Some(base) = ctype.strip_suffix(" **") {
        return format!(
            "*mut *mut {}",
            if base == "void" {
                "c_void".to_string()
            } else {
                rust_type(base)
            }
        );
    }
    match ctype {
        "void" => "()",
        "int" => "c_int",
        "char" => "c_char",
        "bool" => "bool",
        "double" => "f64",
        "int32_t" => "i32",
        "uint32_t" => "u32",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        "size_t" => "usize",
        other => other, // HPy, HPy_ssize_t, HPyTracker, ...: same name in hpy-sys
    }
    .to_string()
}

/// A C identifier that is a Rust keyword gets a trailing underscore.
pub fn rust_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "type", "ref", "in", "fn", "impl", "mod", "move", "loop", "match", "self", "use", "where",
    ];
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

pub fn is_pointer(ctype: &str) -> bool {
    ctype.ends_with('*')
}

/// Handle-like one-word structs; their error value is the zero struct.
const STRUCT_TYPES: &[&str] = &[
    "HPyListBuilder",
    "HPyTupleBuilder",
    "HPyTracker",
    "HPyThreadState",
    "HPyField",
    "HPyGlobal",
];
const UNSIGNED_TYPES: &[&str] = &["uint32_t", "uint64_t", "size_t", "HPy_UCS4"];

/// The value a function of this return type returns on error, in C.
/// `over` is the description's `@err=VALUE`, if any.
pub fn c_error_value(ctype: &str, over: Option<&str>) -> Option<String> {
    if let Some(v) = over {
        return Some(format!("({ctype}){v}"));
    }
    Some(match ctype {
        "void" => return None,
        "HPy" => "HPy_NULL".into(),
        "double" => "-1.0".into(),
        t if is_pointer(t) => "NULL".into(),
        t if STRUCT_TYPES.contains(&t) => format!("(({t}){{0}})"),
        t if UNSIGNED_TYPES.contains(&t) => format!("(({t})-1)"),
        t => format!("(({t})-1)"),
    })
}

/// The same in Rust.
pub fn rust_error_value(ctype: &str, over: Option<&str>) -> Option<String> {
    if let Some(v) = over {
        return Some(v.to_string());
    }
    Some(match ctype {
        "void" => return None,
        "double" => "-1.0".into(),
        t if t.starts_with("const ") && is_pointer(t) => "core::ptr::null()".into(),
        t if is_pointer(t) => "core::ptr::null_mut()".into(),
        t if t == "HPy" || STRUCT_TYPES.contains(&t) => format!("{t}::NULL"),
        t if UNSIGNED_TYPES.contains(&t) => format!("{}::MAX", rust_type(t)),
        _ => "-1".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_spelling() {
        assert_eq!(rust_type("const char *"), "*const c_char");
        assert_eq!(rust_type("void **"), "*mut *mut c_void");
        assert_eq!(rust_type("HPyContext *"), "*mut HPyContext");
        assert_eq!(rust_type("const HPy *"), "*const HPy");
        assert_eq!(rust_type("uint64_t"), "u64");
        assert_eq!(
            rust_type("cpy_PyObject * const *"),
            "*const *mut cpy_PyObject"
        );
    }

    #[test]
    fn error_values() {
        assert_eq!(c_error_value("HPy", None).unwrap(), "HPy_NULL");
        assert_eq!(c_error_value("uint32_t", None).unwrap(), "((uint32_t)-1)");
        assert_eq!(
            c_error_value("HPyTracker", None).unwrap(),
            "((HPyTracker){0})"
        );
        assert_eq!(rust_error_value("HPy_UCS4", None).unwrap(), "HPy_UCS4::MAX");
        assert_eq!(
            rust_error_value("const char *", None).unwrap(),
            "core::ptr::null()"
        );
        assert_eq!(
            c_error_value("HPyType_BuiltinShape", Some("-2")).unwrap(),
            "(HPyType_BuiltinShape)-2"
        );
        assert!(c_error_value("void", None).is_none());
    }
}
