//! Parser for `api/hpy.api`, the API description.

use std::fmt;

/// One entry of the context, in context order.
#[derive(Debug, Clone)]
pub enum Entry {
    Field {
        index: usize,
        ctype: String,
        name: String,
    },
    Handle {
        index: usize,
        name: String,
        object: String,
    },
    Func(Func),
}

impl Entry {
    pub fn index(&self) -> usize {
        match self {
            Entry::Field { index, .. } | Entry::Handle { index, .. } => *index,
            Entry::Func(f) => f.index,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    /// The C type, normalised (`const HPy items[]` becomes `const HPy *`).
    pub ctype: String,
    pub name: String,
    /// The parameter exactly as written, for the C prototypes.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// Forwards to this C-API function.
    Forward(String),
    Core,
    Inline,
    Runtime,
    Todo,
}

#[derive(Debug, Clone)]
pub struct Func {
    pub index: usize,
    /// The context field name, `ctx_Add`.
    pub ctx_name: String,
    /// The C name an extension calls, `HPy_Add`.
    pub c_name: String,
    pub ret: String,
    /// Every parameter, `HPyContext *ctx` first.
    pub params: Vec<Param>,
    pub mapping: Mapping,
    pub attrs: Vec<Attr>,
    /// The entry's one-line description (its `##` line).
    pub doc: String,
}

/// What kind of object a handle parameter must be (`@requires(P,KIND)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    /// a type object
    Type,
    /// an instance of a type made by HPyType_FromSpec
    HPyTypeInstance,
    Bytes,
    Slice,
    ContextVar,
}

impl ObjKind {
    fn parse(s: &str) -> Option<ObjKind> {
        Some(match s {
            "type" => ObjKind::Type,
            "hpy_instance" => ObjKind::HPyTypeInstance,
            "bytes" => ObjKind::Bytes,
            "slice" => ObjKind::Slice,
            "contextvar" => ObjKind::ContextVar,
            _ => return None,
        })
    }
}

/// The length of the buffer a function returns (`@ret_len(...)`), for debug
/// mode, which checks that the caller stays inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetLen {
    /// `len(P)+EXTRA`: the length of the object of handle P, plus EXTRA
    /// (the terminating NUL).
    LenOf { param: String, extra: u32 },
    /// `*P+EXTRA`: the value written through the pointer P, plus EXTRA.
    Written { param: String, extra: u32 },
}

/// An attribute of a function entry (`@NAME` or `@NAME(ARGS)`); every
/// parameter an attribute names must be one of the entry's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// `@close(P)`: the function closes handle P.
    Close(String),
    /// `@consumes(P)`: builder or tracker P is invalid after the call.
    Consumes(String),
    /// `@to_tracker(P)`: handle P becomes owned by the tracker.
    ToTracker(String),
    /// `@ret_borrowed(P)`: the returned pointer is valid while handle P is open.
    RetBorrowed(String),
    /// `@out_handle(P)`: a new handle is written through the pointer P.
    OutHandle(String),
    /// `@out_data(P)`: a pointer into the new object is written through P.
    OutData(String),
    /// `@ret_len(...)`: the length of the returned buffer.
    RetLen(RetLen),
    /// `@array_len(ARRAY,COUNT)` or `@array_len(ARRAY,COUNT+len(NAMES))`:
    /// the number of items of the array parameter ARRAY.
    ArrayLen {
        array: String,
        count: String,
        plus_len_of: Option<String>,
    },
    /// `@requires(P,KIND)`: handle P must be an object of that kind.
    Requires(String, ObjKind),
    /// `@no_python`: runs no Python code when it succeeds (no __del__,
    /// __eq__, __hash__, __index__ ..., no GC-tracked allocation, no GIL
    /// release); without it a function may.
    NoPython,
    /// `@public_ret(TYPE)`: the public function returns TYPE (its error
    /// value, always) where the context entry returns void.
    PublicRet(String),
    /// `@public_mut(P)`: the public prototype declares the array P without
    /// `const`.
    PublicMut(String),
    /// `@minor(N)`: appended to the context after HPy 0.9.0, in ABI minor
    /// version N; declared only when the extension asks for that version.
    Minor(u32),
    Legacy,
    Trampoline,
    NoReturn,
    /// `@without_gil`: called without the GIL, which the function takes
    /// back (`HPy_ReenterPythonExecution`).
    WithoutGil,
    Internal,
    /// `@err(VALUE)`: the error return value, when the type's default is wrong.
    Err(String),
}

impl Func {
    pub fn has(&self, attr: &Attr) -> bool {
        self.attrs.contains(attr)
    }

    /// The value of `@err(VALUE)`, if present.
    pub fn err_value(&self) -> Option<&str> {
        self.attrs.iter().find_map(|a| match a {
            Attr::Err(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// The return type of the public function.
    pub fn public_ret(&self) -> &str {
        self.attrs
            .iter()
            .find_map(|a| match a {
                Attr::PublicRet(t) => Some(t.as_str()),
                _ => None,
            })
            .unwrap_or(&self.ret)
    }

    /// The parameters of the public function, as written in C.
    pub fn public_params(&self) -> Vec<String> {
        self.params
            .iter()
            .map(|p| {
                if self.has(&Attr::PublicMut(p.name.clone())) {
                    p.text.trim_start_matches("const ").to_string()
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    /// The ABI minor version that added the function (0: HPy 0.9.0).
    pub fn minor(&self) -> u32 {
        self.attrs
            .iter()
            .find_map(|a| match a {
                Attr::Minor(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// The public name as `context.tsv` spells it (empty for `@internal`).
    #[cfg(test)]
    pub fn public_name(&self) -> &str {
        if self.has(&Attr::Internal) {
            ""
        } else {
            &self.c_name
        }
    }
}

fn parse_extra(s: &str) -> Result<(&str, u32), String> {
    match s.split_once('+') {
        Some((base, n)) => Ok((
            base,
            n.parse().map_err(|_| format!("`{n}` is not a number"))?,
        )),
        None => Ok((s, 0)),
    }
}

/// Parses one attribute (without its `@`) and checks the parameters it
/// names against `params`.
pub fn parse_attr(text: &str, params: &[Param], ret: &str) -> Result<Attr, String> {
    let (name, args) = match text.split_once('(') {
        Some((n, rest)) => {
            let args = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("`@{text}`: missing `)`"))?;
            (n, Some(args))
        }
        None => (text, None),
    };
    let param = |p: &str| -> Result<String, String> {
        let p = p.trim();
        if params.iter().skip(1).any(|q| q.name == p) {
            Ok(p.to_string())
        } else {
            let names: Vec<&str> = params.iter().skip(1).map(|q| q.name.as_str()).collect();
            Err(format!(
                "`@{text}`: `{p}` is not a parameter (parameters: {})",
                names.join(", ")
            ))
        }
    };
    let ctype = |p: &str| {
        params
            .iter()
            .find(|q| q.name == p)
            .map(|q| q.ctype.clone())
            .unwrap_or_default()
    };
    let one = |want: &str| -> Result<String, String> {
        match args {
            Some(a) if !a.contains(',') => param(a),
            _ => Err(format!("`@{text}`: expected `@{name}({want})`")),
        }
    };
    let bare = |attr: Attr| -> Result<Attr, String> {
        if args.is_some() {
            Err(format!("`@{name}` takes no arguments"))
        } else {
            Ok(attr)
        }
    };
    let attr = match name {
        "close" | "consumes" | "to_tracker" | "ret_borrowed" | "out_handle" | "out_data"
        | "public_mut" => {
            let p = one("PARAM")?;
            let t = ctype(&p);
            let (ok, want) = match name {
                "close" | "to_tracker" => (t == "HPy", "an HPy"),
                "consumes" => (
                    matches!(
                        t.as_str(),
                        "HPyListBuilder" | "HPyTupleBuilder" | "HPyTracker"
                    ),
                    "a builder or tracker",
                ),
                "out_handle" => (t == "HPy *", "an `HPy *`"),
                "out_data" => (t.ends_with("**"), "a pointer to a pointer"),
                "public_mut" => (t.starts_with("const ") && t.ends_with('*'), "a const array"),
                _ => (
                    t == "HPy" && ret.ends_with('*'),
                    "an HPy, on a function returning a pointer,",
                ),
            };
            if !ok {
                return Err(format!("`@{text}`: `{p}` must be {want}"));
            }
            match name {
                "close" => Attr::Close(p),
                "consumes" => Attr::Consumes(p),
                "to_tracker" => Attr::ToTracker(p),
                "ret_borrowed" => Attr::RetBorrowed(p),
                "out_handle" => Attr::OutHandle(p),
                "out_data" => Attr::OutData(p),
                _ => Attr::PublicMut(p),
            }
        }
        "ret_len" => {
            let a =
                args.ok_or_else(|| format!("`@{name}` needs `(len(PARAM)+N)` or `(*PARAM+N)`"))?;
            if !ret.ends_with('*') {
                return Err(format!("`@{text}` on a function that returns no pointer"));
            }
            let (base, extra) = parse_extra(a)?;
            if let Some(p) = base.strip_prefix("len(").and_then(|b| b.strip_suffix(')')) {
                Attr::RetLen(RetLen::LenOf {
                    param: param(p)?,
                    extra,
                })
            } else if let Some(p) = base.strip_prefix('*') {
                let p = param(p)?;
                if !ctype(&p).ends_with('*') {
                    return Err(format!("`@{text}`: `{p}` is not a pointer"));
                }
                Attr::RetLen(RetLen::Written { param: p, extra })
            } else {
                return Err(format!("`@{text}`: expected `len(PARAM)+N` or `*PARAM+N`"));
            }
        }
        "array_len" => {
            let a = args.ok_or_else(|| format!("`@{name}` needs `(ARRAY,COUNT)`"))?;
            let (array, count) = a
                .split_once(',')
                .ok_or_else(|| format!("`@{text}`: expected `(ARRAY,COUNT)`"))?;
            let array = param(array)?;
            if !ctype(&array).ends_with('*') {
                return Err(format!("`@{text}`: `{array}` is not an array"));
            }
            let (count, plus_len_of) = match count.split_once("+len(") {
                Some((c, rest)) => {
                    let names = rest
                        .strip_suffix(')')
                        .ok_or_else(|| format!("`@{text}`: missing `)`"))?;
                    (param(c)?, Some(param(names)?))
                }
                None => (param(count)?, None),
            };
            if !matches!(ctype(&count).as_str(), "size_t" | "HPy_ssize_t") {
                return Err(format!("`@{text}`: `{count}` is not a count"));
            }
            Attr::ArrayLen {
                array,
                count,
                plus_len_of,
            }
        }
        "requires" => {
            let a = args.ok_or_else(|| format!("`@{name}` needs `(PARAM,KIND)`"))?;
            let (p, kind) = a
                .split_once(',')
                .ok_or_else(|| format!("`@{text}`: expected `(PARAM,KIND)`"))?;
            let p = param(p)?;
            if ctype(&p) != "HPy" {
                return Err(format!("`@{text}`: `{p}` is not a handle"));
            }
            let kind = ObjKind::parse(kind.trim()).ok_or_else(|| {
                format!("`@{text}`: unknown kind `{kind}` (type, hpy_instance, bytes, slice, contextvar)")
            })?;
            Attr::Requires(p, kind)
        }
        "public_ret" => {
            let t = args
                .ok_or_else(|| format!("`@{name}` needs `(TYPE)`"))?
                .trim();
            if ret != "void" || t != "HPy" {
                return Err(format!(
                    "`@{text}`: only a void entry can return `HPy` publicly"
                ));
            }
            Attr::PublicRet(t.to_string())
        }
        "minor" => {
            let n = args.ok_or_else(|| format!("`@{name}` needs `(N)`"))?;
            Attr::Minor(
                n.trim()
                    .parse()
                    .map_err(|_| format!("`@{text}`: `{n}` is not a number"))?,
            )
        }
        "err" => {
            let v = args.ok_or_else(|| format!("`@{name}` needs `(VALUE)`"))?;
            if ret == "void" {
                return Err(format!("`@{text}` on a void function"));
            }
            Attr::Err(v.trim().to_string())
        }
        "no_python" => bare(Attr::NoPython)?,
        "legacy" => bare(Attr::Legacy)?,
        "trampoline" => bare(Attr::Trampoline)?,
        "noreturn" => bare(Attr::NoReturn)?,
        "without_gil" => bare(Attr::WithoutGil)?,
        "internal" => bare(Attr::Internal)?,
        other => return Err(format!("unknown attribute `@{other}`")),
    };
    Ok(attr)
}

#[derive(Debug)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api/hpy.api:{}: {}", self.line, self.message)
    }
}

/// Splits `TYPE NAME` (the name is the last identifier) into (type, name).
pub fn split_decl(decl: &str) -> Option<(String, String)> {
    let decl = decl.trim();
    let end = decl.len();
    let start = decl
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    if start >= end {
        return None;
    }
    let name = decl[start..end].to_string();
    let ctype = normalise_type(&decl[..start]);
    if ctype.is_empty() {
        return None;
    }
    Some((ctype, name))
}

/// `const char*` and `const char *` both become `const char *`.
pub fn normalise_type(t: &str) -> String {
    let t = t.replace('*', " * ");
    let words: Vec<&str> = t.split_whitespace().collect();
    words.join(" ").replace("* *", "**")
}

pub fn parse_param(text: &str) -> Option<Param> {
    let text = text.trim();
    let (decl, is_array) = match text.strip_suffix("[]") {
        Some(d) => (d, true),
        None => (text, false),
    };
    let (mut ctype, name) = split_decl(decl)?;
    if is_array {
        ctype = normalise_type(&format!("{ctype} *"));
    }
    Some(Param {
        ctype,
        name,
        text: text.to_string(),
    })
}

fn parse_func(index: usize, ctx_name: &str, rest: &str) -> Result<Func, String> {
    let (decl, tail) = rest.split_once("=>").ok_or("missing `=> MAPPING`")?;
    let open = decl.find('(').ok_or("missing `(`")?;
    let close = decl.rfind(')').ok_or("missing `)`")?;
    let (ret, c_name) = split_decl(&decl[..open]).ok_or("cannot read the return type and name")?;
    let mut params = Vec::new();
    for p in decl[open + 1..close].split(',') {
        params.push(parse_param(p).ok_or_else(|| format!("cannot read parameter `{}`", p.trim()))?);
    }
    if params.first().map(|p| p.ctype.as_str()) != Some("HPyContext *") {
        return Err("the first parameter must be `HPyContext *ctx`".into());
    }
    let mut words = tail.split_whitespace();
    let mapping = match words.next().ok_or("missing mapping")? {
        "core" => Mapping::Core,
        "inline" => Mapping::Inline,
        "runtime" => Mapping::Runtime,
        "todo" => Mapping::Todo,
        f if f.starts_with("Py") => Mapping::Forward(f.to_string()),
        other => return Err(format!("unknown mapping `{other}`")),
    };
    let mut attrs = Vec::new();
    for w in words {
        let a = w
            .strip_prefix('@')
            .ok_or_else(|| format!("attribute `{w}` must start with @"))?;
        let attr = parse_attr(a, &params, &ret)?;
        if attrs.contains(&attr) {
            return Err(format!("attribute `{w}` given twice"));
        }
        attrs.push(attr);
    }
    Ok(Func {
        index,
        ctx_name: ctx_name.to_string(),
        c_name,
        ret,
        params,
        mapping,
        attrs,
        doc: String::new(),
    })
}

pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    let mut doc: Option<(usize, String)> = None;
    for (lineno, raw) in text.lines().enumerate() {
        let err = |message: String| ParseError {
            line: lineno + 1,
            message,
        };
        if let Some(d) = raw.trim().strip_prefix("##") {
            if doc.is_some() {
                return Err(err(
                    "two `##` lines: an entry's description is one line".into()
                ));
            }
            doc = Some((lineno + 1, d.trim().to_string()));
            continue;
        }
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (index, rest) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("incomplete line".into()))?;
        let index: usize = index
            .parse()
            .map_err(|_| err(format!("`{index}` is not an index")))?;
        if index != entries.len() {
            return Err(err(format!(
                "index {index} out of order (expected {})",
                entries.len()
            )));
        }
        let rest = rest.trim();
        let (kind, rest) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("incomplete line".into()))?;
        let entry = match kind {
            "field" => {
                let (ctype, name) =
                    split_decl(rest).ok_or_else(|| err("cannot read the field".into()))?;
                Entry::Field { index, ctype, name }
            }
            "handle" => {
                let (name, object) = rest
                    .split_once("=>")
                    .ok_or_else(|| err("missing `=> OBJECT`".into()))?;
                Entry::Handle {
                    index,
                    name: name.trim().to_string(),
                    object: object.trim().to_string(),
                }
            }
            ctx_name if ctx_name.starts_with("ctx_") => {
                let mut f = parse_func(index, ctx_name, rest).map_err(err)?;
                match doc.take() {
                    Some((_, d)) if !d.is_empty() => f.doc = d,
                    _ => {
                        return Err(err(format!(
                            "{ctx_name} has no `## DESCRIPTION` line before it"
                        )))
                    }
                }
                Entry::Func(f)
            }
            other => return Err(err(format!("unknown entry kind `{other}`"))),
        };
        if let Some((line, _)) = doc.take() {
            return Err(ParseError {
                line,
                message: "a `##` description before an entry that takes none".into(),
            });
        }
        entries.push(entry);
    }
    if let Some((line, _)) = doc {
        return Err(ParseError {
            line,
            message: "a `##` description at the end of the file".into(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "  0  field   const char *name\n";

    fn parse_one(func: &str) -> Result<Vec<Entry>, ParseError> {
        parse(&format!("{HEADER}## Does something.\n  1  {func}\n"))
    }

    #[test]
    fn attributes_are_typed_and_checked() {
        let ok = parse_one(
            "ctx_Close  void HPy_Close(HPyContext *ctx, HPy h)  => inline  @close(h) @no_python",
        )
        .unwrap();
        let Entry::Func(f) = &ok[1] else {
            panic!("not a function")
        };
        assert_eq!(f.attrs, vec![Attr::Close("h".into()), Attr::NoPython]);
        assert_eq!(f.doc, "Does something.");

        // A misspelt parameter name is an error on the entry's line.
        let e =
            parse_one("ctx_Close  void HPy_Close(HPyContext *ctx, HPy h)  => inline  @close(hh)")
                .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("`hh` is not a parameter"),
            "{}",
            e.message
        );
        // So is an unknown attribute (a typo of @consumes) ...
        let e =
            parse_one("ctx_Close  void HPy_Close(HPyContext *ctx, HPy h)  => inline  @consume(h)")
                .unwrap_err();
        assert!(
            e.message.contains("unknown attribute `@consume`"),
            "{}",
            e.message
        );
        // ... a parameter of the wrong type ...
        let e =
            parse_one("ctx_Close  void HPy_Close(HPyContext *ctx, HPy h)  => inline  @consumes(h)")
                .unwrap_err();
        assert!(e.message.contains("builder or tracker"), "{}", e.message);
        // ... and an array length naming a parameter that does not exist.
        let e = parse_one("ctx_T  HPy HPyTuple_FromArray(HPyContext *ctx, const HPy items[], HPy_ssize_t n)  => core  @array_len(items,len)")
            .unwrap_err();
        assert!(
            e.message.contains("`len` is not a parameter"),
            "{}",
            e.message
        );
        let f = parse_one("ctx_T  HPy HPyTuple_FromArray(HPyContext *ctx, const HPy items[], HPy_ssize_t n)  => core  @array_len(items,n)")
            .unwrap();
        let Entry::Func(f) = &f[1] else {
            panic!("not a function")
        };
        assert_eq!(
            f.attrs,
            vec![Attr::ArrayLen {
                array: "items".into(),
                count: "n".into(),
                plus_len_of: None
            }]
        );
    }

    #[test]
    fn every_function_needs_a_description() {
        let e = parse(&format!(
            "{HEADER}  1  ctx_Close  void HPy_Close(HPyContext *ctx, HPy h)  => inline\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no `## DESCRIPTION`"), "{}", e.message);
    }
}
