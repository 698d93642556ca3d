//! `encoding/yaml`: output in the style of the reference (go-yaml v3 with an
//! indent of 2: block style, sequences not indented under a key, strings
//! quoted only when needed, long plain lines folded at 80 columns); input
//! through `yaml-rust2` events, scalars resolved as the reference does
//! (YAML 1.2 core schema: `yes` is a string). Not here: `Validate` and
//! `ValidatePartial` (they unify with a CUE value).

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{Builtin, arg, bytes_arg, function, list_arg, string};
use crate::data::Data;
use crate::num::Number;

const WIDTH: usize = 80;

pub(super) const FUNCTIONS: &[Builtin] = &[
    function("encoding/yaml", "Marshal", 1, |a| Ok(string(marshal(arg(a, 0)?)))),
    function("encoding/yaml", "MarshalStream", 1, |a| {
        let documents: Vec<String> = list_arg(a, 0)?.iter().map(marshal).collect();
        Ok(string(documents.join("---\n")))
    }),
    function("encoding/yaml", "Unmarshal", 1, |a| {
        unmarshal(&String::from_utf8_lossy(&bytes_arg(a, 0)?))
    }),
];

/// One YAML document for `value`, ending in a newline.
pub(super) fn marshal(value: &Data) -> String {
    let mut out = String::new();
    match value {
        Data::List(items) if !items.is_empty() => write_sequence(&mut out, items, 0),
        Data::Struct(fields) if !fields.is_empty() => write_mapping(&mut out, fields, 0),
        _ => {
            write_scalar(&mut out, value, 2, false);
            out.push('\n');
        }
    }
    out
}

fn column(out: &str) -> usize {
    out.len() - out.rfind('\n').map_or(0, |i| i + 1)
}

fn write_mapping(out: &mut String, fields: &[(String, Data)], indent: usize) {
    for (index, (name, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.push_str(&" ".repeat(indent));
        }
        write_string(out, name, indent + 2, true);
        out.push(':');
        match value {
            Data::Struct(inner) if !inner.is_empty() => {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                write_mapping(out, inner, indent + 2);
            }
            Data::List(items) if !items.is_empty() => {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                write_sequence(out, items, indent);
            }
            _ => {
                out.push(' ');
                write_scalar(out, value, indent + 2, false);
                out.push('\n');
            }
        }
    }
}

fn write_sequence(out: &mut String, items: &[Data], indent: usize) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Data::Struct(inner) if !inner.is_empty() => write_mapping(out, inner, indent + 2),
            Data::List(inner) if !inner.is_empty() => write_sequence(out, inner, indent + 2),
            _ => {
                write_scalar(out, item, indent + 2, false);
                out.push('\n');
            }
        }
    }
}

fn write_scalar(out: &mut String, value: &Data, indent: usize, key: bool) {
    match value {
        Data::Null => out.push_str("null"),
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(value) => out.push_str(&value.to_string()),
        Data::String(value) => write_string(out, value, indent, key),
        Data::Bytes(value) => {
            use base64::Engine;
            out.push_str("!!binary ");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(value));
        }
        Data::List(_) => out.push_str("[]"),
        Data::Struct(_) => out.push_str("{}"),
    }
}

/// go-yaml's choice of scalar style for a string.
fn write_string(out: &mut String, value: &str, indent: usize, key: bool) {
    if value.contains('\n') && !key && write_literal(out, value, indent).is_some() {
        return;
    }
    if value.contains('\n') || resolves_to_non_string(value) {
        return write_double_quoted(out, value);
    }
    let analysis = analyze(value);
    if analysis.special || analysis.space_break {
        return write_double_quoted(out, value);
    }
    if analysis.plain_allowed && !value.is_empty() {
        return write_folded(out, value, indent, !key, false);
    }
    write_folded(out, value, indent, !key, true);
}

struct Analysis {
    plain_allowed: bool,
    special: bool,
    space_break: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(value: &str) -> Analysis {
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut special = false;
    let mut preceded_by_whitespace = true;
    for (index, &c) in chars.iter().enumerate() {
        let followed_by_whitespace =
            chars.get(index + 1).is_none_or(|next| matches!(next, ' ' | '\t' | '\n' | '\r'));
        if index == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    block_indicators = true;
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\n' | '\r');
    }
    let leading_space = chars.first() == Some(&' ');
    let trailing_space = chars.last() == Some(&' ');
    Analysis {
        plain_allowed: !(block_indicators || leading_space || trailing_space),
        special,
        space_break: false,
    }
}

fn is_printable(c: char) -> bool {
    let code = c as u32;
    code == 0x0A
        || (0x20..=0x7E).contains(&code)
        || code == 0x85
        || ((0xA0..=0xD7FF).contains(&code) && code != 0xFEFF)
        || ((0xE000..=0xFFFD).contains(&code) && code != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&code)
}

/// Plain or single-quoted, breaking at a space once past the width.
fn write_folded(out: &mut String, value: &str, indent: usize, allow_breaks: bool, quoted: bool) {
    if quoted {
        out.push('\'');
    }
    let chars: Vec<char> = value.chars().collect();
    let mut spaces = false;
    for (index, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_is_space = chars.get(index + 1) == Some(&' ');
            let inner = !quoted || (index != 0 && index + 1 != chars.len());
            if allow_breaks && !spaces && inner && column(out) > WIDTH && !next_is_space {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
            } else {
                out.push(c);
            }
            spaces = true;
        } else {
            if quoted && c == '\'' {
                out.push('\'');
            }
            out.push(c);
            spaces = false;
        }
    }
    if quoted {
        out.push('\'');
    }
}

fn write_literal(out: &mut String, value: &str, indent: usize) -> Option<()> {
    if value.ends_with(' ') || value.chars().any(|c| !is_printable(c)) || value.contains(" \n") {
        return None;
    }
    out.push('|');
    if value.starts_with(' ') || value.starts_with('\n') {
        out.push_str(&2.to_string());
    }
    let trailing = value.len() - value.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = if trailing == 1 { &value[..value.len() - 1] } else { value.trim_end_matches('\n') };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    // The caller adds the final newline.
    Some(())
}

fn write_double_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{B}' => out.push_str("\\v"),
            '\u{C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1B}' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{A0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
}

/// Whether go-yaml v3 would read the plain text as something other than a
/// string (so it must be quoted).
fn resolves_to_non_string(value: &str) -> bool {
    resolve_plain(value).is_some() || looks_like_timestamp(value)
}

fn looks_like_timestamp(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}

/// YAML 1.2 core resolution of a plain scalar, as go-yaml v3 does it.
fn resolve_plain(value: &str) -> Option<Data> {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Data::Null),
        "true" | "True" | "TRUE" => return Some(Data::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Data::Bool(false)),
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => {
            return Some(Data::String(value.to_string()));
        }
        _ => {}
    }
    let first = value.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return None;
    }
    let (negative, body) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let plain = body.replace('_', "");
    let sign = |number: Number| Data::Number(if negative { number.neg() } else { number });
    let lower = plain.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return num_bigint::BigInt::parse_bytes(digits.as_bytes(), radix)
                .map(|n| sign(Number::from_bigint(n)));
        }
    }
    if !plain.is_empty() && plain.bytes().all(|b| b.is_ascii_digit()) {
        if plain.len() > 1 && plain.starts_with('0') {
            // Go's ParseInt with base 0 reads a leading 0 as octal.
            return num_bigint::BigInt::parse_bytes(&plain.as_bytes()[1..], 8)
                .map(|n| sign(Number::from_bigint(n)));
        }
        return Number::parse_literal(&plain).ok().map(sign);
    }
    // yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit())
                && (if whole.is_empty() { !fraction.is_empty() } else { true })
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if mantissa_ok && exponent_ok {
        return Number::parse_literal(body).ok().map(|n| sign(n.to_float_kind()));
    }
    None
}

struct Builder {
    stack: Vec<(Data, Option<String>)>,
    anchors: Vec<(usize, Data)>,
    documents: Vec<Data>,
    pending_anchor: Vec<usize>,
    error: Option<String>,
}

impl Builder {
    fn push_value(&mut self, value: Data, anchor: usize) {
        if anchor != 0 {
            self.anchors.push((anchor, value.clone()));
        }
        match self.stack.last_mut() {
            None => self.documents.push(value),
            Some((Data::List(items), _)) => items.push(value),
            Some((Data::Struct(fields), key)) => match key.take() {
                None => match value {
                    Data::String(name) => *key = Some(name),
                    Data::Number(n) => *key = Some(n.to_string()),
                    Data::Bool(b) => *key = Some(b.to_string()),
                    Data::Null => *key = Some("null".to_string()),
                    _ => {
                        self.error =
                            Some("invalid map key: only scalar keys are supported".to_string())
                    }
                },
                Some(name) => match fields.iter_mut().find(|(existing, _)| *existing == name) {
                    Some(_) => self.error = Some(format!("mapping key {name:?} already defined")),
                    None => fields.push((name, value)),
                },
            },
            Some(_) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, _mark: Marker) {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    resolve_plain(&text).unwrap_or(Data::String(text))
                } else {
                    Data::String(text)
                };
                self.push_value(value, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.pending_anchor.push(anchor);
                self.stack.push((Data::List(Vec::new()), None));
            }
            Event::MappingStart(anchor, _) => {
                self.pending_anchor.push(anchor);
                self.stack.push((Data::Struct(Vec::new()), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((value, _)) = self.stack.pop() {
                    let anchor = self.pending_anchor.pop().unwrap_or(0);
                    self.push_value(value, anchor);
                }
            }
            Event::Alias(id) => {
                let value = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, v)| v.clone());
                match value {
                    Some(value) => self.push_value(value, 0),
                    None => self.error = Some("unknown anchor".to_string()),
                }
            }
            _ => {}
        }
    }
}

fn unmarshal(text: &str) -> Result<Data, String> {
    let mut documents = unmarshal_stream(text)?;
    match documents.len() {
        0 => Ok(Data::Null),
        1 => Ok(documents.remove(0)),
        _ => Err("yaml: expected a single document".to_string()),
    }
}

/// Every document of a YAML stream.
pub(crate) fn unmarshal_stream(text: &str) -> Result<Vec<Data>, String> {
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: Vec::new(),
        documents: Vec::new(),
        pending_anchor: Vec::new(),
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|error| format!("yaml: {error}"))?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.documents)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    fn yaml(value: Data) -> String {
        match call("encoding/yaml", "Marshal", vec![value]) {
            Ok(Data::String(text)) => text,
            other => panic!("{other:?}"),
        }
    }

    fn fields(items: Vec<(&str, Data)>) -> Data {
        Data::Struct(items.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn marshal_like_the_reference() {
        let prometheus = fields(vec![
            ("global", fields(vec![("scrape_interval", s("15s"))])),
            (
                "scrape_configs",
                list(vec![fields(vec![
                    ("job_name", s("node")),
                    (
                        "static_configs",
                        list(vec![fields(vec![(
                            "targets",
                            list(vec![s("web1:9100"), s("db1:9100")]),
                        )])]),
                    ),
                ])]),
            ),
        ]);
        assert_eq!(
            yaml(prometheus),
            "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: node\n  static_configs:\n  - targets:\n    - web1:9100\n    - db1:9100\n"
        );
        let stream = list(vec![fields(vec![("a", n("1"))]), fields(vec![("b", s("two"))])]);
        assert_eq!(
            text(call("encoding/yaml", "MarshalStream", vec![stream])),
            r#""a: 1\n---\nb: two\n""#
        );
        let strings = [
            ("s1", "true", "\"true\""),
            ("s2", "1", "\"1\""),
            ("s3", "", "\"\""),
            ("s4", "a b", "a b"),
            ("s5", "multi\nline\n", "|\n  multi\n  line"),
            ("s6", "x: y", "'x: y'"),
            ("s7", "- a", "'- a'"),
            ("s8", "null", "\"null\""),
            ("s9", "yes", "yes"),
            ("s10", "1.5", "\"1.5\""),
            ("s11", "#c", "'#c'"),
            ("s12", "a #b", "'a #b'"),
            ("s13", " lead", "' lead'"),
            ("s14", "trail ", "'trail '"),
            ("s15", "é", "é"),
            ("s16", "multi\nline", "|-\n  multi\n  line"),
            ("q", "it's", "it's"),
            ("r", "\"q\"", "'\"q\"'"),
            ("t", "@x", "'@x'"),
            ("v", "~", "\"~\""),
            ("w", "1e3", "\"1e3\""),
            ("x", "0x10", "\"0x10\""),
            ("y", "on", "on"),
            ("k", "a:b", "a:b"),
            ("tab", "a\tb", "\"a\\tb\""),
            ("ts", "2001-12-14", "\"2001-12-14\""),
            ("sp", " x\ny", "|2-\n   x\n  y"),
            ("dash", "-x", "-x"),
            ("q2", "?", "'?'"),
            ("bs", "a\\b", "a\\b"),
            ("pct", "%x", "'%x'"),
            ("doc", "---", "'---'"),
            (
                "long",
                "word word word word word word word word word word word word word word word word word word word word word",
                "word word word word word word word word word word word word word word word word\n  word word word word word",
            ),
        ];
        for (key, value, expected) in strings {
            assert_eq!(
                yaml(fields(vec![(key, s(value))])),
                format!("{key}: {expected}\n"),
                "{value:?}"
            );
        }
        assert_eq!(yaml(fields(vec![("a:", s("-"))])), "'a:': '-'\n");
        assert_eq!(
            yaml(fields(vec![
                ("n1", n("1.50")),
                ("n2", n("1e3")),
                ("l", list(vec![])),
                ("m", fields(vec![])),
                ("z", Data::Null),
                ("b", Data::Bool(true)),
                ("neg", n("-1"))
            ])),
            "n1: 1.50\nn2: 1E+3\nl: []\nm: {}\nz: null\nb: true\nneg: -1\n"
        );
        let nested = list(vec![
            list(vec![n("1"), n("2")]),
            fields(vec![("a", n("1")), ("b", list(vec![n("1")]))]),
            s("x"),
        ]);
        assert_eq!(
            yaml(fields(vec![("nested", nested)])),
            "nested:\n- - 1\n  - 2\n- a: 1\n  b:\n  - 1\n- x\n"
        );
        assert_eq!(yaml(list(vec![n("1"), s("a")])), "- 1\n- a\n");
        assert_eq!(yaml(s("str")), "str\n");
        assert_eq!(text(call("encoding/yaml", "MarshalStream", vec![list(vec![])])), r#""""#);
    }

    #[test]
    fn unmarshal_like_the_reference() {
        assert_eq!(
            text(call(
                "encoding/yaml",
                "Unmarshal",
                vec![s("a: 1\nb: [x, 2.50, true, null, yes]\nc: |\n  hi\n")]
            )),
            r#"{a:1,b:["x",2.50,true,null,"yes"],c:"hi\n"}"#
        );
        assert_eq!(
            text(call("encoding/yaml", "Unmarshal", vec![s("- 0x1F\n- '1'\n- 1e3\n- -2\n")])),
            r#"[31,"1",1E+3,-2]"#
        );
    }
}
