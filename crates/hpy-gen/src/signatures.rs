//! `api/signatures.api`: each HPyFunc_Signature's C type, trampoline,
//! argument block and conversions, and everything generated from them.

use crate::api::{normalise_type, parse_param, Param};
use crate::types::{rust_ident, rust_type};

/// A C function type: the return type (normalised) and the parameters.
#[derive(Debug, Clone)]
pub struct Proto {
    pub ret: String,
    pub params: Vec<Param>,
}

impl Proto {
    fn parse(text: &str) -> Result<Proto, String> {
        let open = text.find('(').ok_or("missing `(`")?;
        let close = text.rfind(')').ok_or("missing `)`")?;
        let ret = normalise_type(&text[..open]);
        if ret.is_empty() {
            return Err("missing return type".into());
        }
        let mut params = Vec::new();
        for p in text[open + 1..close].split(',') {
            params.push(
                parse_param(p).ok_or_else(|| format!("cannot read parameter `{}`", p.trim()))?,
            );
        }
        Ok(Proto { ret, params })
    }

    /// `RET NAME(PARAMS)` in C, with the parameters as written.
    fn c_decl(&self, name: &str) -> String {
        let params: Vec<&str> = self.params.iter().map(|p| p.text.as_str()).collect();
        let sep = if self.ret.ends_with('*') { "" } else { " " };
        format!("{}{sep}{name}({})", self.ret, params.join(", "))
    }

    /// The Rust function-pointer type.
    fn rust_fn(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| format!("{}: {}", rust_ident(&p.name), rust_type(&p.ctype)))
            .collect();
        let ret = if self.ret == "void" {
            String::new()
        } else {
            format!(" -> {}", rust_type(&self.ret))
        };
        format!("unsafe extern \"C\" fn({}){ret}", params.join(", "))
    }

    fn has_ctx(&self) -> bool {
        self.params
            .first()
            .is_some_and(|p| p.ctype == "HPyContext *")
    }
}

/// How the runtime makes one argument of the HPy function from a field of
/// the argument block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Conv {
    Handle(String),
    Handles(String),
    Nargsf(String),
    TupleItems(String),
    Cast(String),
    Plain(String),
}

impl Conv {
    fn parse(text: &str) -> Result<Conv, String> {
        let text = text.trim();
        let Some((kind, rest)) = text.split_once('(') else {
            return Ok(Conv::Plain(text.to_string()));
        };
        let field = rest
            .strip_suffix(')')
            .ok_or_else(|| format!("missing `)` in `{text}`"))?
            .trim()
            .to_string();
        Ok(match kind.trim() {
            "handle" => Conv::Handle(field),
            "handles" => Conv::Handles(field),
            "nargsf" => Conv::Nargsf(field),
            "tuple_items" => Conv::TupleItems(field),
            "cast" => Conv::Cast(field),
            other => return Err(format!("unknown conversion `{other}`")),
        })
    }

    fn field(&self) -> &str {
        match self {
            Conv::Handle(f)
            | Conv::Handles(f)
            | Conv::Nargsf(f)
            | Conv::TupleItems(f)
            | Conv::Cast(f)
            | Conv::Plain(f) => f,
        }
    }

    /// How many parameters of the HPy function it fills.
    fn arity(&self) -> usize {
        if matches!(self, Conv::TupleItems(_)) {
            2
        } else {
            1
        }
    }
}

/// The parts of a signature written by hand.
#[derive(Debug, Default, Clone)]
pub struct ByHand {
    pub dispatch: bool,
    pub universal: bool,
    pub cpython: bool,
}

#[derive(Debug, Clone)]
pub struct Signature {
    /// Without the `HPyFunc_` prefix: `NOARGS`, `O`, ...
    pub name: String,
    /// The C typedef of the HPy function: `HPyFunc_noargs`.
    pub typedef: String,
    pub hpy: Proto,
    pub cpython: Option<Proto>,
    /// The argument block's fields (type normalised), in order.
    pub fields: Vec<Param>,
    pub call: Vec<Conv>,
    pub also: Vec<String>,
    pub by_hand: ByHand,
    /// The C shape of the slot thunks of this signature (`thunk`), if any.
    pub thunk: Option<String>,
}

impl Signature {
    pub fn struct_name(&self) -> String {
        format!("_HPyFunc_args_{}", self.name)
    }

    fn field(&self, name: &str) -> Option<&Param> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn result(&self) -> Option<&Param> {
        self.field("result")
    }
}

/// A helper function type (`typedef NAME: RET (PARAMS)`).
#[derive(Debug)]
pub struct Typedef {
    pub name: String,
    pub proto: Proto,
}

#[derive(Debug)]
pub struct Signatures {
    pub typedefs: Vec<Typedef>,
    pub sigs: Vec<Signature>,
}

fn parse_typed_proto(text: &str) -> Result<(String, Proto), String> {
    let (name, proto) = text
        .split_once(':')
        .ok_or("expected `NAME: RET (PARAMS)`")?;
    Ok((name.trim().to_string(), Proto::parse(proto)?))
}

pub fn parse(text: &str) -> Result<Signatures, String> {
    let mut typedefs = Vec::new();
    let mut sigs: Vec<Signature> = Vec::new();
    let mut starts = Vec::new();
    for (lineno, raw) in text.lines().enumerate() {
        let err = |m: &str| format!("api/signatures.api:{}: {m}", lineno + 1);
        let line = raw.split('#').next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("typedef ") {
            let (name, proto) = parse_typed_proto(rest).map_err(|e| err(&e))?;
            typedefs.push(Typedef { name, proto });
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            let name = line.trim();
            if name.contains(char::is_whitespace) {
                return Err(err("a signature name stands alone on its line"));
            }
            if sigs.iter().any(|s| s.name == name) {
                return Err(err(&format!("signature {name} described twice")));
            }
            sigs.push(Signature {
                name: name.to_string(),
                typedef: String::new(),
                hpy: Proto {
                    ret: String::new(),
                    params: Vec::new(),
                },
                cpython: None,
                fields: Vec::new(),
                call: Vec::new(),
                also: Vec::new(),
                by_hand: ByHand::default(),
                thunk: None,
            });
            starts.push(lineno + 1);
            continue;
        }
        let sig = sigs
            .last_mut()
            .ok_or_else(|| err("an indented line before any signature"))?;
        let (key, rest) = line
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("expected `KEY VALUE`"))?;
        let rest = rest.trim();
        match key {
            "hpy" => {
                let (name, proto) = parse_typed_proto(rest).map_err(|e| err(&e))?;
                sig.typedef = name;
                sig.hpy = proto;
            }
            "cpython" => sig.cpython = Some(Proto::parse(rest).map_err(|e| err(&e))?),
            "args" => {
                for decl in rest.split(';') {
                    sig.fields.push(
                        parse_param(decl)
                            .ok_or_else(|| err(&format!("cannot read `{}`", decl.trim())))?,
                    );
                }
            }
            "call" => {
                for c in rest.split(',') {
                    sig.call.push(Conv::parse(c).map_err(|e| err(&e))?);
                }
            }
            "also" => sig.also.extend(rest.split_whitespace().map(str::to_string)),
            "thunk" => {
                if rest.contains(char::is_whitespace) || !rest.starts_with(char::is_uppercase) {
                    return Err(err("expected `thunk SHAPE` (one CamelCase name)"));
                }
                sig.thunk = Some(rest.to_string());
            }
            "by_hand" => {
                for part in rest.split_whitespace() {
                    match part {
                        "dispatch" => sig.by_hand.dispatch = true,
                        "universal" => sig.by_hand.universal = true,
                        "cpython" => sig.by_hand.cpython = true,
                        other => {
                            return Err(err(&format!(
                                "unknown part `{other}` (dispatch, universal, cpython)"
                            )))
                        }
                    }
                }
            }
            other => return Err(err(&format!("unknown key `{other}`"))),
        }
    }
    for (sig, line) in sigs.iter().zip(starts) {
        check(sig).map_err(|m| format!("api/signatures.api:{line}: {}: {m}", sig.name))?;
    }
    Ok(Signatures { typedefs, sigs })
}

/// What the generators rely on: every generated part has what it needs, and
/// the conversions fit the HPy function's parameters and the block's fields.
fn check(sig: &Signature) -> Result<(), String> {
    if sig.typedef.is_empty() {
        return Err("no `hpy` line".into());
    }
    let generated_trampoline = !sig.by_hand.universal || !sig.by_hand.cpython;
    if generated_trampoline && sig.cpython.is_none() {
        return Err("a generated trampoline needs a `cpython` line".into());
    }
    if !sig.by_hand.universal && sig.fields.is_empty() {
        return Err("the universal trampoline needs an `args` line".into());
    }
    if !(sig.by_hand.dispatch && sig.by_hand.cpython) {
        if !sig.hpy.has_ctx() {
            return Err("a generated call passes `ctx` first".into());
        }
        let arity: usize = sig.call.iter().map(Conv::arity).sum();
        if arity != sig.hpy.params.len() - 1 {
            return Err(format!(
                "`call` fills {arity} parameters, the HPy function has {}",
                sig.hpy.params.len() - 1
            ));
        }
        for c in &sig.call {
            if sig.field(c.field()).is_none() {
                return Err(format!("`call` uses `{}`, which is not a field", c.field()));
            }
        }
        match (sig.hpy.ret.as_str(), sig.result()) {
            ("void", None) => {}
            ("void", Some(_)) => return Err("a void function with a `result` field".into()),
            (_, None) => return Err("no `result` field for the result".into()),
            ("HPy", Some(r)) if r.ctype == "cpy_PyObject *" => {}
            (ret, Some(r)) if *ret == r.ctype => {}
            (ret, Some(r)) => {
                return Err(format!(
                    "cannot store a `{ret}` result in a `{}` field",
                    r.ctype
                ))
            }
        }
    }
    if let Some(cpy) = &sig.cpython {
        for f in &sig.fields {
            if f.name != "result" && !cpy.params.iter().any(|p| p.name == f.name) {
                return Err(format!(
                    "field `{}` is no parameter of the `cpython` prototype",
                    f.name
                ));
            }
        }
    }
    Ok(())
}

const BANNER_C: &str = "/* Generated by hpy-gen from api/signatures.api: DO NOT EDIT. */\n";
const BANNER_RUST: &str = "// Generated by hpy-gen from api/signatures.api: DO NOT EDIT.\n";

/// The `_HPyFunc_args_*` structs in C.
pub fn args_c(s: &Signatures) -> String {
    let mut out = String::from(BANNER_C);
    for sig in s.sigs.iter().filter(|s| !s.fields.is_empty()) {
        out.push_str("\ntypedef struct {\n");
        for f in &sig.fields {
            out.push_str(&format!("    {};\n", f.text));
        }
        out.push_str(&format!("}} {};\n", sig.struct_name()));
    }
    out
}

/// The `_HPyFunc_args_*` structs in Rust.
pub fn args_rust(s: &Signatures) -> String {
    let mut out = String::from(BANNER_RUST);
    out.push_str("use core::ffi::{c_char, c_int, c_void};\n\nuse crate::*;\n");
    for sig in s.sigs.iter().filter(|s| !s.fields.is_empty()) {
        out.push_str(&format!(
            "\n#[repr(C)]\npub struct {} {{\n",
            sig.struct_name()
        ));
        for f in &sig.fields {
            out.push_str(&format!(
                "    pub {}: {},\n",
                rust_ident(&f.name),
                rust_type(&f.ctype)
            ));
        }
        out.push_str("}\n");
    }
    out
}

/// The HPyFunc_* typedefs and the `_HPyFunc_DECLARE_*` macros.
pub fn hpyfunc_c(s: &Signatures) -> String {
    let mut out = String::from(BANNER_C);
    out.push_str("\n/* The C type of the HPy function of each signature. */\n");
    let typedef = |name: &str, p: &Proto| {
        let params: Vec<&str> = p.params.iter().map(|p| p.text.as_str()).collect();
        format!("typedef {} (*{name})({});\n", p.ret, params.join(", "))
    };
    for t in &s.typedefs {
        out.push_str(&typedef(&t.name, &t.proto));
    }
    for sig in &s.sigs {
        out.push_str(&typedef(&sig.typedef, &sig.hpy));
    }
    out.push_str("\n/* _HPyFunc_DECLARE_<SIG>(SYM): `static SYM` with the prototype of SIG (see HPyFunc_DECLARE). */\n");
    for sig in &s.sigs {
        out.push_str(&format!(
            "#define _HPyFunc_DECLARE_HPyFunc_{}(SYM) static {}\n",
            sig.name,
            sig.hpy.c_decl("SYM")
        ));
    }
    out
}

/// The HPyFunc_* function-pointer types in Rust.
pub fn hpyfunc_rust(s: &Signatures) -> String {
    let mut out = String::from(BANNER_RUST);
    out.push_str("use core::ffi::{c_char, c_int, c_void};\n\nuse crate::*;\n");
    for t in &s.typedefs {
        out.push_str(&format!(
            "\n/// `{}` in C.\npub type {} = {};\n",
            t.name,
            t.name,
            t.proto.rust_fn()
        ));
    }
    for sig in &s.sigs {
        out.push_str(&format!(
            "\n/// The HPy function of `HPyFunc_{}`.\npub type {} = {};\n",
            sig.name,
            sig.typedef,
            sig.hpy.rust_fn()
        ));
    }
    out
}

/// One multi-line C macro, its lines ended by aligned backslashes.
fn c_macro(lines: &[String]) -> String {
    let width = lines.iter().map(String::len).max().unwrap_or(0).max(71) + 1;
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i + 1 == lines.len() {
            out.push_str(&format!("{l}\n"));
        } else {
            out.push_str(&format!("{l:width$}\\\n"));
        }
    }
    out
}

/// The trampolines of the universal and hybrid ABIs: store CPython's
/// arguments in the block and let the runtime call the HPy function.
pub fn universal_trampolines(s: &Signatures) -> String {
    let mut out = String::from(BANNER_C);
    out.push_str("/* Included by hpy/universal/hpyfunc_trampolines.h, which defines _HPy_TRAMPOLINE_DISPATCH. */\n");
    for sig in s.sigs.iter().filter(|s| !s.by_hand.universal) {
        let Some(cpy) = &sig.cpython else { continue };
        let mut lines = vec![
            format!(
                "#define _HPyFunc_TRAMPOLINE_HPyFunc_{}(SYM, IMPL)",
                sig.name
            ),
            format!("    static {}", cpy.c_decl("SYM")),
            "    {".to_string(),
            format!("        {} a;", sig.struct_name()),
        ];
        for f in &sig.fields {
            if f.name == "result" {
                lines.push("        a.result = 0;".to_string());
                continue;
            }
            let p = cpy
                .params
                .iter()
                .find(|p| p.name == f.name)
                .expect("checked by `check`");
            let value = if p.ctype == f.ctype {
                p.name.clone()
            } else {
                format!("({}){}", f.ctype, p.name)
            };
            lines.push(format!("        a.{} = {value};", f.name));
        }
        for p in cpy.params.iter().filter(|p| sig.field(&p.name).is_none()) {
            lines.push(format!("        (void){};", p.name));
        }
        lines.push(format!(
            "        _HPy_TRAMPOLINE_DISPATCH(HPyFunc_{}, IMPL, &a);",
            sig.name
        ));
        if sig.result().is_some() {
            lines.push("        return a.result;".to_string());
        }
        lines.push("    }".to_string());
        out.push('\n');
        out.push_str(&c_macro(&lines));
    }
    out
}

/// The trampolines of the CPython ABI: a handle is the object pointer, so
/// they call the HPy function directly.
pub fn cpython_trampolines(s: &Signatures) -> String {
    let mut out = String::from(BANNER_C);
    out.push_str(
        "/* Included by hpy/cpython/hpyfunc_trampolines.h, which defines _HPy_CPY_CTX. */\n",
    );
    for sig in s.sigs.iter().filter(|s| !s.by_hand.cpython) {
        let Some(cpy) = &sig.cpython else { continue };
        let mut args = vec!["_HPy_CPY_CTX".to_string()];
        let mut hpy_params = sig.hpy.params[1..].iter();
        for c in &sig.call {
            let param = hpy_params.next().expect("checked by `check`");
            match c {
                Conv::Handle(f) => args.push(format!("_py2h({f})")),
                Conv::Handles(f) => args.push(format!("_py2h_array({f})")),
                Conv::Nargsf(f) => args.push(format!("(size_t)PyVectorcall_NARGS({f})")),
                Conv::TupleItems(f) => {
                    hpy_params.next();
                    args.push(format!("_py2h_array(_HPy_TupleItems({f}))"));
                    args.push(format!("PyTuple_GET_SIZE({f})"));
                }
                Conv::Cast(f) => args.push(format!("({}){f}", param.ctype)),
                Conv::Plain(f) => args.push(f.clone()),
            }
        }
        let call = format!("IMPL({})", args.join(", "));
        let body = match sig.hpy.ret.as_str() {
            "void" => format!("{call};"),
            "HPy" => format!("return _h2py({call});"),
            _ => format!("return {call};"),
        };
        let mut lines = vec![
            format!(
                "#define _HPyFunc_TRAMPOLINE_HPyFunc_{}(SYM, IMPL)",
                sig.name
            ),
            format!("    static {}", cpy.c_decl("SYM")),
            "    {".to_string(),
        ];
        for p in cpy
            .params
            .iter()
            .filter(|p| !sig.call.iter().any(|c| c.field() == p.name))
        {
            lines.push(format!("        (void){};", p.name));
        }
        lines.push(format!("        {body}"));
        lines.push("    }".to_string());
        out.push('\n');
        out.push_str(&c_macro(&lines));
    }
    out
}

/// The runtime's `ctx_CallRealFunctionFromTrampoline`: one `match` arm per
/// group of signatures that share the HPy function's type, the block and the
/// conversions. It is `include!`d by the dispatcher module of
/// crates/hpy-universal, which provides `h`, `res`, `cast_fn`,
/// `tuple_items`, `PY_VECTORCALL_ARGUMENTS_OFFSET`, `null_function`,
/// `unknown_signature` and a `call_<sig>` function for each signature whose
/// dispatch is by hand.
pub fn dispatch_rust(s: &Signatures) -> String {
    let mut out = String::from(BANNER_RUST);
    out.push_str(
        "// Included by the trampoline dispatcher module of crates/hpy-universal.\n\n\
         /// `_HPy_CallRealFunctionFromTrampoline`: calls the HPy function `func` of\n\
         /// signature `sig` with the CPython arguments packed by a trampoline into\n\
         /// `args` (an `_HPyFunc_args_<SIG>` struct; for `HPyFunc_CAPSULE_DESTRUCTOR`\n\
         /// the capsule object itself; for `HPyFunc_DESTROYFUNC` the object's data\n\
         /// pointer) and stores the result, converted back, in the struct's `result`.\n\
         /// An HPy function returning `HPy_NULL` gives a NULL result (its exception\n\
         /// stays set).\n\
         ///\n\
         /// # Safety\n\
         /// Called by a trampoline of signature `sig` with the GIL held.\n\
         pub unsafe extern \"C\" fn ctx_CallRealFunctionFromTrampoline(\n    \
             ctx: *mut HPyContext,\n    sig: HPyFunc_Signature,\n    func: HPyCFunction,\n    args: *mut c_void,\n) {\n    \
             let Some(func) = func else {\n        \
                 // SAFETY: called with the GIL held, like every context function.\n        \
                 return unsafe { null_function(sig) };\n    \
             };\n    \
             // SAFETY: (whole match) the trampoline of signature `sig`, generated by\n    \
             // the HPyDef_* macros of hpy.h, passes an implementation of the C type of\n    \
             // `sig` as `func` and a pointer to its filled `_HPyFunc_args_<SIG>` struct\n    \
             // as `args`; handles are the object pointers CPython passed in.\n    \
             unsafe {\n        match sig {\n",
    );
    // Group the generated arms by everything that makes their code.
    let mut groups: Vec<(String, Vec<&Signature>)> = Vec::new();
    for sig in s.sigs.iter().filter(|s| !s.by_hand.dispatch) {
        let fields: Vec<String> = sig
            .fields
            .iter()
            .map(|f| format!("{} {}", f.ctype, f.name))
            .collect();
        let types: Vec<&str> = sig.hpy.params.iter().map(|p| p.ctype.as_str()).collect();
        let key = format!("{} {types:?} {fields:?} {:?}", sig.hpy.ret, sig.call);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(sig),
            None => groups.push((key, vec![sig])),
        }
    }
    let mut arms: Vec<(usize, String)> = Vec::new();
    for (_, members) in &groups {
        let sig = members[0];
        let pattern: Vec<String> = members
            .iter()
            .flat_map(|m| std::iter::once(&m.name).chain(&m.also))
            .map(|n| format!("HPyFunc_{n}"))
            .collect();
        let mut body = Vec::new();
        let has_result = sig.result().is_some();
        let borrow = if has_result { "&mut *" } else { "&*" };
        body.push(format!(
            "let a = {borrow}args.cast::<{}>();",
            sig.struct_name()
        ));
        body.push(format!("let f: {} = cast_fn(func);", sig.typedef));
        let mut call_args = vec!["ctx".to_string()];
        let mut hpy_params = sig.hpy.params[1..].iter();
        for c in &sig.call {
            let param = hpy_params.next().expect("checked by `check`");
            let field = sig.field(c.field()).expect("checked by `check`");
            let f = rust_ident(c.field());
            match c {
                Conv::Handle(_) => call_args.push(format!("h(a.{f})")),
                Conv::Handles(_) => call_args.push(format!("a.{f}.cast::<HPy>()")),
                Conv::Nargsf(_) => {
                    call_args.push(format!("a.{f} & !PY_VECTORCALL_ARGUMENTS_OFFSET"))
                }
                Conv::TupleItems(_) => {
                    hpy_params.next();
                    body.push(format!(
                        "let ({f}_items, {f}_len) = tuple_items(a.{f}.cast());"
                    ));
                    call_args.push(format!("{f}_items"));
                    call_args.push(format!("{f}_len"));
                }
                Conv::Cast(_) => {
                    let (from, to) = (rust_type(&field.ctype), rust_type(&param.ctype));
                    if from == to {
                        call_args.push(format!("a.{f}"));
                    } else if to.starts_with('*') {
                        let pointee = to.trim_start_matches("*mut ").trim_start_matches("*const ");
                        call_args.push(format!("a.{f}.cast::<{pointee}>()"));
                    } else {
                        call_args.push(format!("a.{f} as {to}"));
                    }
                }
                Conv::Plain(_) => call_args.push(format!("a.{f}")),
            }
        }
        let call = format!("f({})", call_args.join(", "));
        body.push(match sig.hpy.ret.as_str() {
            "void" => format!("{call};"),
            "HPy" => format!("a.result = res({call});"),
            _ => format!("a.result = {call};"),
        });
        let text = format!(
            "            {} => {{\n{}            }}\n",
            pattern.join(" | "),
            body.iter()
                .map(|l| format!("                {l}\n"))
                .collect::<String>()
        );
        arms.push((
            s.sigs.iter().position(|x| x.name == sig.name).unwrap_or(0),
            text,
        ));
    }
    for sig in s.sigs.iter().filter(|s| s.by_hand.dispatch) {
        let pattern: Vec<String> = std::iter::once(&sig.name)
            .chain(&sig.also)
            .map(|n| format!("HPyFunc_{n}"))
            .collect();
        arms.push((
            usize::MAX,
            format!(
                "            {} => call_{}(ctx, func, args),\n",
                pattern.join(" | "),
                sig.name.to_lowercase()
            ),
        ));
    }
    for (_, text) in &arms {
        out.push_str(text);
    }
    out.push_str("            _ => unknown_signature(sig),\n        }\n    }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "O\n    hpy      HPyFunc_o: HPy (HPyContext *ctx, HPy self, HPy arg)\n    \
                        cpython  cpy_PyObject *(cpy_PyObject *self, cpy_PyObject *arg)\n    \
                        args     cpy_PyObject *self; cpy_PyObject *arg; cpy_PyObject *result\n    \
                        call     handle(self), handle(arg)\n";

    #[test]
    fn a_signature_is_checked_against_its_parts() {
        let s = parse(GOOD).unwrap();
        assert_eq!(
            s.sigs[0].call,
            vec![Conv::Handle("self".into()), Conv::Handle("arg".into())]
        );
        // one argument too few for the HPy function
        let e = parse(&GOOD.replace("handle(self), handle(arg)", "handle(self)")).unwrap_err();
        assert!(
            e.contains("signatures.api:1: O: `call` fills 1 parameters, the HPy function has 2"),
            "{e}"
        );
        // a conversion of a field that does not exist
        let e = parse(&GOOD.replace("handle(arg)\n", "handle(argh)\n")).unwrap_err();
        assert!(e.contains("`argh`, which is not a field"), "{e}");
        // an unknown conversion, with its line
        let e = parse(&GOOD.replace("handle(arg)\n", "handel(arg)\n")).unwrap_err();
        assert!(
            e.contains("signatures.api:5: unknown conversion `handel`"),
            "{e}"
        );
        // a result that cannot hold the HPy function's
        let e = parse(&GOOD.replace("cpy_PyObject *result", "int result")).unwrap_err();
        assert!(
            e.contains("cannot store a `HPy` result in a `int` field"),
            "{e}"
        );
    }
}
