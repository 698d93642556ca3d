//! Values of the CUE lattice, and unification of non-struct values.
//!
//! A [`Value`] is what an expression evaluates to: top, bottom (an error),
//! a concrete scalar, a constraint (basic types, bounds and validators not
//! yet decided), a disjunction, or a reference to a struct or list vertex.
//! Structs and lists live in the evaluator's arena (`eval`); here they are
//! just vertex ids.
//!
//! [`Constraint`] accumulates everything a vertex learns about its scalar
//! value (kinds, bounds, validators, at most one concrete value) and reports
//! a conflict as soon as two parts disagree.

use std::fmt;
use std::rc::Rc;

use froyo_diagnostics::{Code, registry};
use froyo_syntax::TextRange;

use crate::builtins::Builtin;
use crate::data::Data;
use crate::num::Number;

/// An index into the evaluator's vertex arena.
pub(crate) type VertexId = u32;

/// A source location: file index and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub file: u32,
    pub range: TextRange,
}

/// An evaluation error with every source involved.
#[derive(Debug, Clone)]
pub(crate) struct EvalError {
    pub code: &'static Code,
    pub message: String,
    pub spans: Vec<Span>,
    /// Incomplete errors are not failures while evaluating, only at export.
    pub incomplete: bool,
    /// The path of the field where it happened, filled in by export.
    pub path: String,
    /// The same path as labels (names, unquoted), filled in with `path`.
    pub labels: Vec<String>,
    /// What to do about it, when there is something to say (a did-you-mean).
    pub help: Option<String>,
}

impl EvalError {
    pub fn new(code: &'static Code, message: impl Into<String>, spans: Vec<Span>) -> EvalError {
        EvalError {
            code,
            message: message.into(),
            spans,
            incomplete: false,
            path: String::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn incomplete(message: impl Into<String>, spans: Vec<Span>) -> EvalError {
        EvalError {
            code: &registry::INCOMPLETE_VALUE,
            message: message.into(),
            spans,
            incomplete: true,
            path: String::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn is_cycle(&self) -> bool {
        self.incomplete && self.code == &registry::CYCLE
    }
}

/// A set of basic kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kinds(pub u16);

impl Kinds {
    pub const NULL: Kinds = Kinds(1);
    pub const BOOL: Kinds = Kinds(2);
    pub const INT: Kinds = Kinds(4);
    pub const FLOAT: Kinds = Kinds(8);
    pub const STRING: Kinds = Kinds(16);
    pub const BYTES: Kinds = Kinds(32);
    pub const LIST: Kinds = Kinds(64);
    pub const STRUCT: Kinds = Kinds(128);
    pub const NUMBER: Kinds = Kinds(4 | 8);
    pub const TOP: Kinds = Kinds(255);

    pub fn contains(self, other: Kinds) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn intersect(self, other: Kinds) -> Kinds {
        Kinds(self.0 & other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn name(self) -> String {
        if self == Kinds::TOP {
            return "_".to_string();
        }
        if self == Kinds::NUMBER {
            return "number".to_string();
        }
        let names = [
            (Kinds::NULL, "null"),
            (Kinds::BOOL, "bool"),
            (Kinds::INT, "int"),
            (Kinds::FLOAT, "float"),
            (Kinds::STRING, "string"),
            (Kinds::BYTES, "bytes"),
            (Kinds::LIST, "list"),
            (Kinds::STRUCT, "struct"),
        ];
        let parts: Vec<&str> =
            names.iter().filter(|(k, _)| self.contains(*k)).map(|(_, n)| *n).collect();
        if parts.is_empty() { "_|_".to_string() } else { parts.join("|") }
    }
}

/// A bound operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundOp {
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
    Match,
    NotMatch,
}

impl BoundOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BoundOp::Lt => "<",
            BoundOp::Le => "<=",
            BoundOp::Gt => ">",
            BoundOp::Ge => ">=",
            BoundOp::Ne => "!=",
            BoundOp::Match => "=~",
            BoundOp::NotMatch => "!~",
        }
    }
}

/// A concrete scalar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Number(Rc<Number>),
    String(Rc<str>),
    Bytes(Rc<[u8]>),
}

impl Scalar {
    pub fn kind(&self) -> Kinds {
        match self {
            Scalar::Null => Kinds::NULL,
            Scalar::Bool(_) => Kinds::BOOL,
            Scalar::Number(n) if n.is_int() => Kinds::INT,
            Scalar::Number(_) => Kinds::FLOAT,
            Scalar::String(_) => Kinds::STRING,
            Scalar::Bytes(_) => Kinds::BYTES,
        }
    }

    pub fn to_data(&self) -> Data {
        match self {
            Scalar::Null => Data::Null,
            Scalar::Bool(b) => Data::Bool(*b),
            Scalar::Number(n) => Data::Number((**n).clone()),
            Scalar::String(s) => Data::String(String::from(&**s)),
            Scalar::Bytes(b) => Data::Bytes(b.to_vec()),
        }
    }

    /// Equality as CUE unifies: same kind and same value.
    pub fn same(&self, other: &Scalar) -> bool {
        match (self, other) {
            (Scalar::Number(a), Scalar::Number(b)) => a.is_int() == b.is_int() && a.cmp(b).is_eq(),
            _ => self == other,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => write!(f, "null"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Number(n) => write!(f, "{n}"),
            Scalar::String(s) => write!(f, "{}", quote(s)),
            Scalar::Bytes(b) => {
                write!(f, "'")?;
                for &byte in b.iter() {
                    match byte {
                        b'\'' => write!(f, "\\'")?,
                        b'\\' => write!(f, "\\\\")?,
                        0x20..=0x7e => write!(f, "{}", byte as char)?,
                        b'\n' => write!(f, "\\n")?,
                        _ => write!(f, "\\x{byte:02x}")?,
                    }
                }
                write!(f, "'")
            }
        }
    }
}

/// A CUE double-quoted string literal for `text`.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One alternative of a disjunction.
#[derive(Debug, Clone)]
pub(crate) struct Alternative {
    pub value: Value,
    pub default: bool,
}

/// Everything known about a non-struct value that is not (yet) concrete.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub kinds: Kinds,
    pub bounds: Vec<(BoundOp, Scalar)>,
    pub validators: Vec<(&'static Builtin, Rc<[Data]>)>,
    /// `json.Validate(schema)` and the like: the text must decode to data
    /// that unifies with the schema (`eval/validate.rs`).
    pub schemas: Vec<(crate::eval::SchemaFunction, Value)>,
    pub spans: Vec<Span>,
}

impl Constraint {
    pub fn top() -> Constraint {
        Constraint {
            kinds: Kinds::TOP,
            bounds: Vec::new(),
            validators: Vec::new(),
            schemas: Vec::new(),
            spans: Vec::new(),
        }
    }

    pub fn of_kinds(kinds: Kinds, span: Option<Span>) -> Constraint {
        Constraint {
            kinds,
            bounds: Vec::new(),
            validators: Vec::new(),
            schemas: Vec::new(),
            spans: span.into_iter().collect(),
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.kinds != Kinds::TOP
            || (self.bounds.is_empty() && self.validators.is_empty() && self.schemas.is_empty())
        {
            parts.push(self.kinds.name());
        }
        for (op, value) in &self.bounds {
            parts.push(format!("{}{}", op.symbol(), value));
        }
        for (builtin, args) in &self.validators {
            let args: Vec<String> = args.iter().map(crate::builtins::cue_text).collect();
            let package = builtin.package.rsplit('/').next().unwrap_or("");
            if package.is_empty() {
                parts.push(format!("{}({})", builtin.name, args.join(", ")));
            } else {
                parts.push(format!("{package}.{}({})", builtin.name, args.join(", ")));
            }
        }
        for (function, _) in &self.schemas {
            parts.push(format!("{}(…)", function.name()));
        }
        write!(f, "{}", parts.join(" & "))
    }
}

/// The result of evaluating an expression.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// An error (bottom); incomplete errors are "not yet known".
    Bottom(Rc<EvalError>),
    Scalar(Scalar),
    /// Not concrete: kinds, bounds, validators. Top is `Constraint::top()`.
    Constraint(Rc<Constraint>),
    Disjunction(Rc<[Alternative]>),
    /// A struct vertex; `closed` when it came from a definition or `close`.
    Struct(VertexId, bool),
    List(VertexId, bool),
    /// A built-in function, or a package (for selectors).
    Builtin(&'static Builtin),
    Package(Rc<str>),
}

impl Value {
    /// Top (`_`). Every unevaluated vertex holds it, so one shared
    /// allocation per thread serves them all.
    pub fn top() -> Value {
        thread_local! {
            static TOP: Rc<Constraint> = Rc::new(Constraint::top());
        }
        Value::Constraint(TOP.with(Rc::clone))
    }

    pub fn error(code: &'static Code, message: impl Into<String>, spans: Vec<Span>) -> Value {
        Value::Bottom(Rc::new(EvalError::new(code, message, spans)))
    }

    pub fn incomplete(message: impl Into<String>, spans: Vec<Span>) -> Value {
        Value::Bottom(Rc::new(EvalError::incomplete(message, spans)))
    }

    pub fn string(text: impl Into<Rc<str>>) -> Value {
        Value::Scalar(Scalar::String(text.into()))
    }

    pub fn number(number: Number) -> Value {
        Value::Scalar(Scalar::Number(Rc::new(number)))
    }

    pub fn bool(value: bool) -> Value {
        Value::Scalar(Scalar::Bool(value))
    }

    pub fn kind_name(&self) -> String {
        match self {
            Value::Bottom(_) => "_|_".into(),
            Value::Scalar(s) => s.kind().name(),
            Value::Constraint(c) => c.kinds.name(),
            Value::Disjunction(_) => "disjunction".into(),
            Value::Struct(..) => "struct".into(),
            Value::List(..) => "list".into(),
            Value::Builtin(_) => "func".into(),
            Value::Package(_) => "package".into(),
        }
    }
}

/// Adds a scalar or constraint `value` to `constraint`/`scalar`.
/// Returns an error message when they conflict.
pub(crate) fn check_bound(op: BoundOp, bound: &Scalar, value: &Scalar) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ordering = match (bound, value) {
        (Scalar::Number(b), Scalar::Number(v)) => Some(v.cmp(b)),
        (Scalar::String(b), Scalar::String(v)) => Some(v.as_ref().cmp(b.as_ref())),
        (Scalar::Bytes(b), Scalar::Bytes(v)) => Some(v.as_ref().cmp(b.as_ref())),
        _ => None,
    };
    Ok(match op {
        BoundOp::Lt => ordering == Some(Ordering::Less),
        BoundOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        BoundOp::Gt => ordering == Some(Ordering::Greater),
        BoundOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        BoundOp::Ne => {
            !bound.same(value)
                && !(matches!((bound, value), (Scalar::Number(a), Scalar::Number(b)) if a.cmp(b).is_eq()))
        }
        BoundOp::Match | BoundOp::NotMatch => {
            let (Scalar::String(pattern), Scalar::String(text)) = (bound, value) else {
                return Err(format!(
                    "cannot use {value} (type {}) as type string",
                    value.kind().name()
                ));
            };
            let regex = compiled_regex(pattern)?;
            regex.is_match(text) == (op == BoundOp::Match)
        }
    })
}

/// The kinds a bound applies to.
pub(crate) fn bound_kinds(op: BoundOp, bound: &Scalar) -> Kinds {
    match op {
        BoundOp::Match | BoundOp::NotMatch => Kinds::STRING,
        BoundOp::Ne => Kinds::TOP,
        _ => match bound {
            Scalar::Number(_) => Kinds::NUMBER,
            Scalar::String(_) => Kinds::STRING,
            Scalar::Bytes(_) => Kinds::BYTES,
            _ => Kinds::TOP,
        },
    }
}

thread_local! {
    /// Compiled regular expressions, by pattern: schemas apply the same
    /// `=~` bound to thousands of values.
    static REGEXES: std::cell::RefCell<std::collections::HashMap<String, Rc<regex::Regex>>> = Default::default();
}

/// A compiled regular expression, cached per thread.
pub(crate) fn compiled_regex(pattern: &str) -> Result<Rc<regex::Regex>, String> {
    REGEXES.with(|cache| {
        if let Some(regex) = cache.borrow().get(pattern) {
            return Ok(regex.clone());
        }
        let regex = Rc::new(
            regex::Regex::new(pattern)
                .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))?,
        );
        let mut cache = cache.borrow_mut();
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), regex.clone());
        Ok(regex)
    })
}
