//! Built-in functions and constants of CUE's standard packages, on concrete
//! [`Data`].
//!
//! Each package lives in its own module and contributes a table of
//! [`Builtin`]s and, where it has some, constants. Functions follow the
//! reference implementation (CUE v0.4) and, below it, Go's standard library:
//! same results, same printed numbers, error messages that read the same.
//!
//! Not here: `len`, `close`, `and`, `or` (the evaluator handles them, they take
//! non-concrete values), `list.Sort`, `list.SortStable` and `list.IsSorted`
//! (their comparator is a CUE struct that must be evaluated: `eval/sort.rs`),
//! `json.Validate`, `yaml.Validate` and `yaml.ValidatePartial` (their schema
//! need not be concrete: `eval/validate.rs`).
//!
//! Invariant: no IO, no clock, no panics on user input; every argument is
//! checked and a wrong one is an `Err`.

use std::borrow::Cow;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::data::Data;
use crate::num::Number;

mod crypto;
mod csv;
mod encoding;
mod list;
mod math;
mod net;
mod path;
mod regexp;
mod strconv;
mod strings;
mod structs;
mod tabwriter;
mod template;
mod time;
mod transcendental;
mod uuid;
mod yaml;

/// A built-in function.
#[derive(Debug)]
pub struct Builtin {
    /// `""` for the universe (`div`, `mod`, `quo`, `rem`).
    pub package: &'static str,
    pub name: &'static str,
    /// Number of arguments.
    pub params: usize,
    /// The last parameter repeats (unused so far).
    pub variadic: bool,
    /// How many trailing parameters may be left out (`path.Base(p)` is
    /// `path.Base(p, "unix")`); `call` then gets fewer arguments.
    pub optional: usize,
    /// Called with `params` arguments (or down to `params - optional`), all
    /// concrete.
    pub call: fn(&[Data]) -> Result<Data, String>,
    /// Returns a bool and may be used as a constraint with `params - 1`
    /// arguments: the constrained value is then passed first.
    pub validator: bool,
}

impl Builtin {
    /// `strings.ToUpper`, or `div` for the universe.
    pub fn qualified_name(&self) -> String {
        if self.package.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.package, self.name)
        }
    }

    /// The message the reference prints for an error `message` returned by
    /// `call`: argument errors name the function at their end, the others
    /// are wrapped as `error in call to encoding/json.Unmarshal: …`.
    pub fn error_message(&self, message: &str) -> String {
        if message.starts_with("cannot use ") && message.contains(" in argument ") {
            return format!("{message} to {}", self.qualified_name());
        }
        if message.starts_with("invalid list element ") {
            return message.to_string();
        }
        format!("error in call to {}: {message}", self.qualified_name())
    }
}

const fn function(
    package: &'static str,
    name: &'static str,
    params: usize,
    call: fn(&[Data]) -> Result<Data, String>,
) -> Builtin {
    Builtin { package, name, params, variadic: false, optional: 0, call, validator: false }
}

const fn validator(
    package: &'static str,
    name: &'static str,
    params: usize,
    call: fn(&[Data]) -> Result<Data, String>,
) -> Builtin {
    Builtin { package, name, params, variadic: false, optional: 0, call, validator: true }
}

const UNIVERSE: &[Builtin] = &[
    function("", "div", 2, |args| int_op(args, Number::int_div)),
    function("", "mod", 2, |args| int_op(args, Number::int_mod)),
    function("", "quo", 2, |args| int_op(args, Number::quo)),
    function("", "rem", 2, |args| int_op(args, Number::rem)),
];

fn int_op(
    args: &[Data],
    op: fn(&Number, &Number) -> Result<Number, String>,
) -> Result<Data, String> {
    let a = int_number(args, 0)?;
    let b = int_number(args, 1)?;
    op(a, b).map(Data::Number)
}

fn tables() -> [&'static [Builtin]; 25] {
    [
        UNIVERSE,
        strings::FUNCTIONS,
        strings::HTML,
        list::FUNCTIONS,
        math::FUNCTIONS,
        math::BITS,
        strconv::FUNCTIONS,
        regexp::FUNCTIONS,
        structs::FUNCTIONS,
        encoding::JSON,
        encoding::BASE64,
        encoding::HEX,
        yaml::FUNCTIONS,
        net::FUNCTIONS,
        path::FUNCTIONS,
        time::FUNCTIONS,
        crypto::SHA256,
        crypto::SHA512,
        crypto::MD5,
        crypto::SHA1,
        crypto::HMAC,
        csv::FUNCTIONS,
        uuid::FUNCTIONS,
        tabwriter::FUNCTIONS,
        template::FUNCTIONS,
    ]
}

const PACKAGES: &[&str] = &[
    "strings",
    "list",
    "math",
    "math/bits",
    "strconv",
    "regexp",
    "struct",
    "encoding/json",
    "encoding/yaml",
    "encoding/base64",
    "encoding/hex",
    "net",
    "path",
    "time",
    "html",
    "crypto/sha256",
    "crypto/sha512",
    "crypto/md5",
    "crypto/sha1",
    "crypto/hmac",
    "encoding/csv",
    "uuid",
    "text/tabwriter",
    "text/template",
];

/// The value of a JSON text, or the reference's message (`json: invalid JSON`).
pub(crate) fn decode_json(text: &[u8]) -> Result<Data, String> {
    encoding::parse_json(text)
}

/// The documents of a YAML stream, or the YAML parser's message.
pub(crate) fn decode_yaml_stream(text: &str) -> Result<Vec<Data>, String> {
    yaml::unmarshal_stream(text)
}

/// Whether `path` names a built-in package this crate provides.
pub fn is_package(path: &str) -> bool {
    PACKAGES.contains(&path)
}

/// The built-in function `package.name` (`package` is `""` for `div`,
/// `mod`, `quo` and `rem`).
pub fn lookup(package: &str, name: &str) -> Option<&'static Builtin> {
    tables()
        .into_iter()
        .flatten()
        .find(|builtin| builtin.package == package && builtin.name == name)
}

/// The built-in constant `package.name` (`math.Pi`, `time.Hour`, …).
pub fn constant(package: &str, name: &str) -> Option<Data> {
    match package {
        "math" => math::constant(name),
        "time" => time::constant(name),
        "path" => path::constant(name),
        "uuid" => uuid::constant(name),
        "strconv" if name == "IntSize" => Some(int(64)),
        "net" => match name {
            "IPv4len" => Some(int(4)),
            "IPv6len" => Some(int(16)),
            _ => None,
        },
        "crypto/md5" | "crypto/sha1" | "crypto/sha256" | "crypto/sha512" | "crypto/hmac" => {
            crypto::constant(package, name)
        }
        _ => None,
    }
}

/// Largest string or list a builtin builds (`strings.Repeat`, `list.Range`).
const MAX_STRING: usize = 1 << 26;

// Results.

fn decimal(value: Number) -> Data {
    Data::Number(value.decimal_result())
}

/// Structural equality with numbers compared by value (CUE's `==`).
fn data_equal(a: &Data, b: &Data) -> bool {
    match (a, b) {
        (Data::Number(x), Data::Number(y)) => x.cmp(y).is_eq(),
        (Data::List(x), Data::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| data_equal(x, y))
        }
        (Data::Struct(x), Data::Struct(y)) => {
            x.len() == y.len()
                && x.iter().all(|(name, value)| {
                    y.iter().any(|(other, w)| other == name && data_equal(value, w))
                })
        }
        _ => a == b,
    }
}

fn int(value: i64) -> Data {
    Data::Number(Number::from_i64(value))
}

fn string(value: impl Into<String>) -> Data {
    Data::String(value.into())
}

fn strings_list<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Data {
    Data::List(items.into_iter().map(|item| Data::String(item.into())).collect())
}

// Arguments.

/// `cannot use 5 (type int) as string in argument 1`; the caller's
/// [`Builtin::error_message`] adds ` to strings.ToUpper`.
fn arg_error(args: &[Data], index: usize, want: &str) -> String {
    let value = args.get(index).map_or_else(|| "_".to_string(), cue_text);
    let kind = args.get(index).map_or("_", Data::kind_name);
    format!("cannot use {value} (type {kind}) as {want} in argument {}", index + 1)
}

fn arg(args: &[Data], index: usize) -> Result<&Data, String> {
    args.get(index).ok_or_else(|| format!("missing argument {}", index + 1))
}

fn str_arg(args: &[Data], index: usize) -> Result<&str, String> {
    match arg(args, index)? {
        Data::String(value) => Ok(value),
        _ => Err(arg_error(args, index, "string")),
    }
}

fn bytes_arg(args: &[Data], index: usize) -> Result<Cow<'_, [u8]>, String> {
    match arg(args, index)? {
        Data::Bytes(value) => Ok(Cow::Borrowed(value)),
        Data::String(value) => Ok(Cow::Borrowed(value.as_bytes())),
        _ => Err(arg_error(args, index, "bytes")),
    }
}

fn bool_arg(args: &[Data], index: usize) -> Result<bool, String> {
    match arg(args, index)? {
        Data::Bool(value) => Ok(*value),
        _ => Err(arg_error(args, index, "bool")),
    }
}

fn number_arg(args: &[Data], index: usize) -> Result<&Number, String> {
    match arg(args, index)? {
        Data::Number(value) => Ok(value),
        _ => Err(arg_error(args, index, "number")),
    }
}

fn int_number(args: &[Data], index: usize) -> Result<&Number, String> {
    match arg(args, index)? {
        Data::Number(value) if value.is_int() => Ok(value),
        _ => Err(arg_error(args, index, "int")),
    }
}

fn bigint_arg(args: &[Data], index: usize) -> Result<BigInt, String> {
    int_number(args, index)?.to_bigint().ok_or_else(|| arg_error(args, index, "int"))
}

/// An int argument that fits Go's `int` (64 bits).
fn int_arg(args: &[Data], index: usize) -> Result<i64, String> {
    let value = bigint_arg(args, index)?;
    value.to_i64().ok_or_else(|| {
        format!("int {value} overflows int64 in argument {index} in call to function")
    })
}

fn float_arg(args: &[Data], index: usize) -> Result<f64, String> {
    Ok(number_arg(args, index)?.to_f64())
}

fn list_arg(args: &[Data], index: usize) -> Result<&[Data], String> {
    match arg(args, index)? {
        Data::List(items) => Ok(items),
        _ => Err(arg_error(args, index, "list")),
    }
}

fn struct_arg(args: &[Data], index: usize) -> Result<&[(String, Data)], String> {
    match arg(args, index)? {
        Data::Struct(fields) => Ok(fields),
        _ => Err(arg_error(args, index, "struct")),
    }
}

fn string_list_arg(args: &[Data], index: usize) -> Result<Vec<&str>, String> {
    list_arg(args, index)?
        .iter()
        .enumerate()
        .map(|(element, item)| match item {
            Data::String(value) => Ok(value.as_str()),
            other => Err(format!(
                "invalid list element {element} in argument {index} to call: cannot use value {} ({}) as string",
                cue_text(other),
                other.kind_name()
            )),
        })
        .collect()
}

fn number_list_arg(args: &[Data], index: usize) -> Result<Vec<&Number>, String> {
    list_arg(args, index)?
        .iter()
        .enumerate()
        .map(|(element, item)| match item {
            Data::Number(value) => Ok(value),
            other => Err(format!(
                "invalid list element {element} in argument {index} to call: cannot use value {} ({}) as number",
                cue_text(other),
                other.kind_name()
            )),
        })
        .collect()
}

/// A value as CUE prints it in messages: `"x"`, `[80,443]`, `{x:1,y:2}`.
pub fn cue_text(value: &Data) -> String {
    let mut out = String::new();
    write_cue_text(&mut out, value);
    out
}

fn write_cue_text(out: &mut String, value: &Data) {
    match value {
        Data::Null => out.push_str("null"),
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(value) => out.push_str(&value.to_string()),
        Data::String(value) => out.push_str(&strconv::go_quote(value, false)),
        Data::Bytes(value) => {
            out.push('\'');
            for &byte in value {
                match byte {
                    b'\'' => out.push_str("\\'"),
                    b'\\' => out.push_str("\\\\"),
                    b'\n' => out.push_str("\\n"),
                    0x20..=0x7e => out.push(char::from(byte)),
                    _ => out.push_str(&format!("\\x{byte:02x}")),
                }
            }
            out.push('\'');
        }
        Data::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_cue_text(out, item);
            }
            out.push(']');
        }
        Data::Struct(fields) => {
            out.push('{');
            for (index, (name, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                if is_identifier(name) {
                    out.push_str(name);
                } else {
                    out.push_str(&strconv::go_quote(name, false));
                }
                out.push(':');
                write_cue_text(out, item);
            }
            out.push('}');
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$' || c == '#')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod test_util {
    use super::*;

    /// Calls `package.name` on arguments written as JSON-ish CUE data.
    pub fn call(package: &str, name: &str, args: Vec<Data>) -> Result<Data, String> {
        let builtin =
            lookup(package, name).unwrap_or_else(|| panic!("no builtin {package}.{name}"));
        (builtin.call)(&args).map_err(|message| builtin.error_message(&message))
    }

    pub fn s(value: &str) -> Data {
        Data::String(value.to_string())
    }

    pub fn n(text: &str) -> Data {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let number = Number::parse_literal(digits).unwrap();
        Data::Number(if negative { number.neg() } else { number })
    }

    pub fn list(items: Vec<Data>) -> Data {
        Data::List(items)
    }

    /// The value printed as compact CUE text.
    pub fn text(result: Result<Data, String>) -> String {
        match result {
            Ok(value) => cue_text(&value),
            Err(message) => format!("error: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn universe_and_lookup() {
        assert_eq!(text(call("", "div", vec![n("-5"), n("3")])), "-2");
        assert_eq!(text(call("", "mod", vec![n("-5"), n("3")])), "1");
        assert_eq!(text(call("", "quo", vec![n("-5"), n("3")])), "-1");
        assert_eq!(text(call("", "rem", vec![n("-5"), n("3")])), "-2");
        assert_eq!(
            text(call("", "mod", vec![n("5"), n("0")])),
            "error: error in call to mod: division by zero"
        );
        assert!(is_package("encoding/json"));
        assert!(!is_package("no/such/pkg"));
        assert!(lookup("strings", "ToUpper").is_some());
        assert!(lookup("strings", "Nope").is_none());
        assert_eq!(
            text(call("strings", "ToUpper", vec![n("5")])),
            "error: cannot use 5 (type int) as string in argument 1 to strings.ToUpper"
        );
        assert_eq!(
            text(call("strings", "Repeat", vec![s("a"), n("1.5")])),
            "error: cannot use 1.5 (type float) as int in argument 2 to strings.Repeat"
        );
        assert_eq!(
            text(call("strings", "Join", vec![list(vec![n("1")]), s(",")])),
            "error: invalid list element 0 in argument 0 to call: cannot use value 1 (int) as string"
        );
        // Every builtin is reachable through lookup and names a known package.
        for table in tables() {
            for builtin in table {
                assert!(
                    builtin.package.is_empty() || is_package(builtin.package),
                    "{}",
                    builtin.package
                );
                assert!(std::ptr::eq(lookup(builtin.package, builtin.name).unwrap(), builtin));
            }
        }
    }
}
