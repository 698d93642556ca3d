//! The values a template sees and how Go's `fmt` prints them: `%v` of a map
//! is `map[k:v …]` in key order, of a list `[a b]`, of bytes `[97 98]`,
//! floats in the shortest form that reads back (`1e+30`, `1e-06`), a nil
//! printed by an action is `<no value>`. Also `printf`'s verbs (`%v %s %d
//! %q %x %X %t %c %f %e %%` with flags, width and precision) and the
//! escapers of `html`, `js` and `urlquery`.

use std::fmt::Write as _;

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::data::Data;

/// A value as Go holds it after CUE decodes data into `interface{}`.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Nil,
    Bool(bool),
    Int(BigInt),
    Float(f64),
    String(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    /// Sorted by key, as Go prints and ranges over maps.
    Map(Vec<(String, Value)>),
}

impl Value {
    pub fn from_data(data: &Data) -> Value {
        match data {
            Data::Null => Value::Nil,
            Data::Bool(value) => Value::Bool(*value),
            Data::Number(number) if number.is_int() => {
                Value::Int(number.to_bigint().unwrap_or_default())
            }
            Data::Number(number) => Value::Float(number.to_f64()),
            Data::String(text) => Value::String(text.clone()),
            Data::Bytes(bytes) => Value::Bytes(bytes.clone()),
            Data::List(items) => Value::List(items.iter().map(Value::from_data).collect()),
            Data::Struct(fields) => {
                let mut entries: Vec<(String, Value)> = fields
                    .iter()
                    .map(|(key, value)| (key.clone(), Value::from_data(value)))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Map(entries)
            }
        }
    }

    /// Go's truth: false, zero, nil and empty are false.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(value) => *value,
            Value::Int(value) => !value.is_zero(),
            Value::Float(value) => *value != 0.0,
            Value::String(text) => !text.is_empty(),
            Value::Bytes(bytes) => !bytes.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(entries) => !entries.is_empty(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "[]uint8",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
        }
    }
}

/// What an action prints for `value`.
pub(super) fn print_value(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<no value>"),
        other => write_v(out, other),
    }
}

/// `%v`.
fn write_v(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Value::Int(value) => {
            let _ = write!(out, "{value}");
        }
        Value::Float(value) => out.push_str(&float_g(*value, None)),
        Value::String(text) => out.push_str(text),
        Value::Bytes(bytes) => {
            out.push('[');
            for (index, byte) in bytes.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{byte}");
            }
            out.push(']');
        }
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_v(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("map[");
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_v(out, item);
            }
            out.push(']');
        }
    }
}

/// Go's `%v` of a `float64` (`precision` `None`: the shortest digits that
/// read back, in `%e` form when the exponent is below -4 or at least 21).
fn float_g(value: f64, precision: Option<usize>) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = match precision {
        Some(digits) => format!("{:.*e}", digits.saturating_sub(1), value),
        None => format!("{value:e}"),
    };
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let limit = precision.map_or(21, |digits| digits as i32);
    if exponent < -4 || exponent >= limit {
        let mantissa =
            if precision.is_some() { trim_zeros(mantissa) } else { mantissa.to_string() };
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    match precision {
        None => format!("{value}"),
        Some(digits) => {
            let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
            trim_zeros(&format!("{value:.decimals$}"))
        }
    }
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// `fmt.Sprint`: spaces between operands when neither is a string.
pub(super) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (index, arg) in args.iter().enumerate() {
        if index > 0
            && !matches!(arg, Value::String(_))
            && !matches!(args[index - 1], Value::String(_))
        {
            out.push(' ');
        }
        write_v(&mut out, arg);
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands and a newline.
pub(super) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        write_v(&mut out, arg);
    }
    out.push('\n');
    out
}

/// Flags, width and precision of one `printf` verb.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf` for the verbs templates use; a wrong verb for a value is
/// written as Go does (`%!d(string=x)`).
pub(super) fn sprintf(pattern: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        let text = verb_text(verb, arg, &spec);
        pad(&mut out, &text, &spec, matches!(arg, Value::Int(_) | Value::Float(_)));
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (index, arg) in args[next_arg..].iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", arg.type_name());
            write_v(&mut out, arg);
        }
        out.push(')');
    }
    out
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut value: Option<usize> = None;
    while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
        value =
            Some(value.unwrap_or(0).saturating_mul(10).saturating_add(digit as usize).min(1 << 16));
        chars.next();
    }
    value
}

fn pad(out: &mut String, text: &str, spec: &Spec, numeric: bool) {
    let length = text.chars().count();
    let width = spec.width.unwrap_or(0);
    if length >= width {
        out.push_str(text);
        return;
    }
    let fill = width - length;
    if spec.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

fn bad_verb(verb: char, arg: &Value) -> String {
    if matches!(arg, Value::Nil) {
        return format!("%!{verb}(<nil>)");
    }
    let mut value = String::new();
    write_v(&mut value, arg);
    format!("%!{verb}({}={value})", arg.type_name())
}

fn verb_text(verb: char, arg: &Value, spec: &Spec) -> String {
    match (verb, arg) {
        ('v', _) => {
            let mut text = String::new();
            write_v(&mut text, arg);
            text
        }
        ('s', Value::String(text)) => match spec.precision {
            Some(limit) => text.chars().take(limit).collect(),
            None => text.clone(),
        },
        ('s', Value::Bytes(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        ('s' | 'd' | 'q' | 'x' | 'X', Value::List(items)) => {
            let parts: Vec<String> = items.iter().map(|item| verb_text(verb, item, spec)).collect();
            format!("[{}]", parts.join(" "))
        }
        ('d', Value::Int(value)) => signed(value.to_string(), spec),
        ('q', Value::String(text)) => crate::builtins::strconv::go_quote(text, spec.plus),
        ('q', Value::Int(value)) => match value.to_u32().and_then(char::from_u32) {
            Some(c) => crate::builtins::strconv::go_quote_rune(c),
            None => bad_verb(verb, arg),
        },
        ('c', Value::Int(value)) => {
            value.to_u32().and_then(char::from_u32).unwrap_or('\u{FFFD}').to_string()
        }
        ('x' | 'X', Value::Int(value)) => {
            let digits = value.abs().to_str_radix(16);
            let digits = if verb == 'X' { digits.to_uppercase() } else { digits };
            let prefix = match (spec.sharp, verb) {
                (true, 'x') => "0x",
                (true, _) => "0X",
                _ => "",
            };
            let sign = if value.is_negative() { "-" } else { "" };
            format!("{sign}{prefix}{digits}")
        }
        ('x' | 'X', Value::String(_) | Value::Bytes(_)) => {
            let bytes = match arg {
                Value::String(text) => text.as_bytes().to_vec(),
                Value::Bytes(bytes) => bytes.clone(),
                _ => Vec::new(),
            };
            bytes
                .iter()
                .map(|byte| if verb == 'x' { format!("{byte:02x}") } else { format!("{byte:02X}") })
                .collect()
        }
        ('t', Value::Bool(value)) => value.to_string(),
        ('f' | 'F', Value::Float(value)) => {
            signed(format!("{:.*}", spec.precision.unwrap_or(6), value), spec)
        }
        ('e', Value::Float(value)) => {
            let text = format!("{:.*e}", spec.precision.unwrap_or(6), value);
            let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
            let exponent: i32 = exponent.parse().unwrap_or(0);
            let sign = if exponent < 0 { '-' } else { '+' };
            signed(format!("{mantissa}e{sign}{:02}", exponent.abs()), spec)
        }
        ('g', Value::Float(value)) => signed(float_g(*value, spec.precision), spec),
        _ => bad_verb(verb, arg),
    }
}

fn signed(text: String, spec: &Spec) -> String {
    if text.starts_with('-') {
        text
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

/// Go's `template.HTMLEscapeString`.
pub(super) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(super) fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(super) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    out
}
