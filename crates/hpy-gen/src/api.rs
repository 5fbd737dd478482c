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
    pub attrs: Vec<String>,
}

impl Func {
    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|a| {
            a == name || a.starts_with(&format!("{name}(")) || a.starts_with(&format!("{name}="))
        })
    }

    /// The value of `@key=VALUE`, if present.
    pub fn attr_value(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find_map(|a| a.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }

    /// The public name as `context.tsv` spells it (empty for `@internal`).
    #[cfg(test)]
    pub fn public_name(&self) -> &str {
        if self.has_attr("internal") {
            ""
        } else {
            &self.c_name
        }
    }
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

fn parse_param(text: &str) -> Option<Param> {
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
        attrs.push(a.to_string());
    }
    Ok(Func {
        index,
        ctx_name: ctx_name.to_string(),
        c_name,
        ret,
        params,
        mapping,
        attrs,
    })
}

pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    for (lineno, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ParseError {
            line: lineno + 1,
            message,
        };
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
                Entry::Func(parse_func(index, ctx_name, rest).map_err(err)?)
            }
            other => return Err(err(format!("unknown entry kind `{other}`"))),
        };
        entries.push(entry);
    }
    Ok(entries)
}
