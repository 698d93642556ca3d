//! `encoding/json`, `encoding/base64` and `encoding/hex`.
//!
//! JSON numbers keep their exact decimal text (`1.50` stays `1.50`). Not
//! here: `json.Validate` (it unifies with a CUE value).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{
    Builtin, arg, bytes_arg, function, int, int_arg, list_arg, str_arg, string, validator,
};
use crate::data::Data;
use crate::num::Number;

const MAX_DEPTH: usize = 1000;

pub(super) const JSON: &[Builtin] = &[
    validator("encoding/json", "Valid", 1, |a| {
        Ok(Data::Bool(parse_json(&bytes_arg(a, 0)?).is_ok()))
    }),
    function("encoding/json", "Compact", 1, |a| {
        let src = bytes_arg(a, 0)?;
        parse_json(&src)?;
        Ok(string(reformat(&src, None)))
    }),
    function("encoding/json", "Indent", 3, |a| {
        let src = bytes_arg(a, 0)?;
        parse_json(&src)?;
        Ok(string(reformat(&src, Some((str_arg(a, 1)?, str_arg(a, 2)?)))))
    }),
    function("encoding/json", "HTMLEscape", 1, |a| {
        let src = String::from_utf8_lossy(&bytes_arg(a, 0)?).into_owned();
        let mut out = String::new();
        for c in src.chars() {
            match c {
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                _ => out.push(c),
            }
        }
        Ok(string(out))
    }),
    function("encoding/json", "Marshal", 1, |a| Ok(string(marshal(arg(a, 0)?)))),
    function("encoding/json", "MarshalStream", 1, |a| {
        let mut out = String::new();
        for item in list_arg(a, 0)? {
            out.push_str(&marshal(item));
            out.push('\n');
        }
        Ok(string(out))
    }),
    function("encoding/json", "Unmarshal", 1, |a| parse_json(&bytes_arg(a, 0)?)),
];

pub(super) const BASE64: &[Builtin] = &[
    function("encoding/base64", "EncodedLen", 2, |a| {
        check_encoding(a)?;
        let n = int_arg(a, 1)?;
        Ok(int((n + 2) / 3 * 4))
    }),
    function("encoding/base64", "DecodedLen", 2, |a| {
        check_encoding(a)?;
        Ok(int(int_arg(a, 1)? / 4 * 3))
    }),
    function("encoding/base64", "Encode", 2, |a| {
        check_encoding(a)?;
        Ok(string(STANDARD.encode(&*bytes_arg(a, 1)?)))
    }),
    function("encoding/base64", "Decode", 2, |a| {
        check_encoding(a)?;
        let text = str_arg(a, 1)?;
        STANDARD.decode(text).map(Data::Bytes).map_err(|error| match error {
            base64::DecodeError::InvalidByte(offset, _)
            | base64::DecodeError::InvalidLastSymbol(offset, _) => {
                format!("illegal base64 data at input byte {offset}")
            }
            _ => format!("illegal base64 data at input byte {}", text.len()),
        })
    }),
];

fn check_encoding(args: &[Data]) -> Result<(), String> {
    match arg(args, 0)? {
        Data::Null => Ok(()),
        _ => Err("base64: unsupported encoding: cannot use value other than null".to_string()),
    }
}

pub(super) const HEX: &[Builtin] = &[
    function("encoding/hex", "EncodedLen", 1, |a| Ok(int(int_arg(a, 0)?.saturating_mul(2)))),
    function("encoding/hex", "DecodedLen", 1, |a| Ok(int(int_arg(a, 0)? / 2))),
    function("encoding/hex", "Encode", 1, |a| {
        Ok(string(bytes_arg(a, 0)?.iter().map(|b| format!("{b:02x}")).collect::<String>()))
    }),
    function("encoding/hex", "Decode", 1, |a| {
        let text = str_arg(a, 0)?.as_bytes();
        let digit = |index: usize| -> Result<u8, String> {
            let c = text[index];
            char::from(c).to_digit(16).map(|d| d as u8).ok_or_else(|| {
                format!(
                    "encoding/hex: invalid byte: U+{:04X} {}",
                    c,
                    super::strconv::go_quote_rune(char::from(c))
                )
            })
        };
        let mut out = Vec::new();
        let mut index = 0;
        while index + 1 < text.len() {
            out.push(digit(index)? << 4 | digit(index + 1)?);
            index += 2;
        }
        if text.len() % 2 == 1 {
            digit(index)?;
            return Err("encoding/hex: odd length hex string".to_string());
        }
        Ok(Data::Bytes(out))
    }),
    function("encoding/hex", "Dump", 1, |a| Ok(string(hex_dump(&bytes_arg(a, 0)?)))),
];

/// Go's `hex.Dump`.
fn hex_dump(data: &[u8]) -> String {
    let mut out = String::new();
    for (line, chunk) in data.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", line * 16));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        for &b in chunk {
            out.push(if (32..=126).contains(&b) { char::from(b) } else { '.' });
        }
        out.push_str("|\n");
    }
    out
}

/// Go's `json.Marshal` of concrete data: HTML-safe string escapes, bytes as
/// base64, numbers as CUE prints them.
pub(super) fn marshal(value: &Data) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Data) {
    match value {
        Data::Null => out.push_str("null"),
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(value) => out.push_str(&value.to_string()),
        Data::String(value) => write_json_string(out, value),
        Data::Bytes(value) => write_json_string(out, &STANDARD.encode(value)),
        Data::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Data::Struct(fields) => {
            out.push('{');
            for (index, (name, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, name);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses JSON text into data, numbers exact. Any syntax error is the
/// reference's `json: invalid JSON`.
pub(super) fn parse_json(src: &[u8]) -> Result<Data, String> {
    let mut parser = JsonParser { src, pos: 0 };
    let value = parser.value(0).ok_or_else(|| "json: invalid JSON".to_string())?;
    parser.skip_space();
    if parser.pos != src.len() {
        return Err("json: invalid JSON".to_string());
    }
    Ok(value)
}

struct JsonParser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl JsonParser<'_> {
    fn skip_space(&mut self) {
        while matches!(self.src.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.src.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Data> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match *self.src.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut fields: Vec<(String, Data)> = Vec::new();
                if self.eat(b'}') {
                    return Some(Data::Struct(fields));
                }
                loop {
                    self.skip_space();
                    let name = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let value = self.value(depth + 1)?;
                    match fields.iter_mut().find(|(existing, _)| *existing == name) {
                        Some(field) => field.1 = value,
                        None => fields.push((name, value)),
                    }
                    if self.eat(b'}') {
                        return Some(Data::Struct(fields));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Data::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Data::List(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Data::String),
            b't' => self.keyword("true", Data::Bool(true)),
            b'f' => self.keyword("false", Data::Bool(false)),
            b'n' => self.keyword("null", Data::Null),
            _ => self.number(),
        }
    }

    fn keyword(&mut self, word: &str, value: Data) -> Option<Data> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    fn number(&mut self) -> Option<Data> {
        let start = self.pos;
        let negative = self.src.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        let digits = |parser: &mut Self| {
            let from = parser.pos;
            while parser.src.get(parser.pos).is_some_and(u8::is_ascii_digit) {
                parser.pos += 1;
            }
            parser.pos - from
        };
        let whole = digits(self);
        if whole == 0 || (whole > 1 && self.src[digits_start] == b'0') {
            return None;
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.src[digits_start..self.pos]).ok()?;
        let number = Number::parse_literal(text).ok()?;
        let _ = start;
        Some(Data::Number(if negative { number.neg() } else { number }))
    }

    fn string(&mut self) -> Option<String> {
        if self.src.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let byte = *self.src.get(self.pos)?;
            self.pos += 1;
            match byte {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escape = *self.src.get(self.pos)?;
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{C}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex4()?;
                            if (0xD800..0xDC00).contains(&first)
                                && self.src[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    char::from_u32(
                                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00),
                                    )?
                                } else {
                                    self.pos = save;
                                    '\u{FFFD}'
                                }
                            } else {
                                char::from_u32(first).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buffer = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
                0..=0x1f => return None,
                _ => out.push(byte),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.pos += 4;
        Some(value)
    }
}

/// Go's `json.Compact` (`indent` None) and `json.Indent` on valid JSON:
/// tokens kept as written, whitespace rewritten.
fn reformat(src: &[u8], indent: Option<(&str, &str)>) -> String {
    let text = String::from_utf8_lossy(src);
    let mut out = String::new();
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let mut need_newline = false;
    let newline = |out: &mut String, depth: usize| {
        if let Some((prefix, unit)) = indent {
            out.push('\n');
            out.push_str(prefix);
            for _ in 0..depth {
                out.push_str(unit);
            }
        }
    };
    while let Some(c) = chars.next() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        if need_newline && c != ']' && c != '}' {
            newline(&mut out, depth);
        }
        match c {
            '{' | '[' => {
                out.push(c);
                depth += 1;
                need_newline = true;
                continue;
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if !need_newline {
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => {
                out.push(c);
                if indent.is_some() {
                    out.push(' ');
                }
            }
            '"' => {
                out.push(c);
                while let Some(c) = chars.next() {
                    out.push(c);
                    if c == '\\' {
                        if let Some(escaped) = chars.next() {
                            out.push(escaped);
                        }
                    } else if c == '"' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
        need_newline = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    #[test]
    fn json_like_the_reference() {
        let value = Data::Struct(vec![
            ("name".into(), s("x")),
            ("ports".into(), list(vec![n("80"), n("443")])),
            ("on".into(), Data::Bool(true)),
        ]);
        assert_eq!(
            text(call("encoding/json", "Marshal", vec![value])),
            r#""{\"name\":\"x\",\"ports\":[80,443],\"on\":true}""#
        );
        let value = Data::Struct(vec![
            ("a".into(), s("<&>\u{2028}é\t")),
            ("b".into(), n("1e3")),
            ("c".into(), n("1.50")),
            ("d".into(), list(vec![])),
            ("e".into(), Data::Struct(vec![])),
            ("f".into(), Data::Null),
            ("g".into(), Data::Bytes(b"by".to_vec())),
        ]);
        let Ok(Data::String(json)) = call("encoding/json", "Marshal", vec![value]) else {
            panic!()
        };
        assert_eq!(
            json,
            r#"{"a":"\u003c\u0026\u003e\u2028é\t","b":1E+3,"c":1.50,"d":[],"e":{},"f":null,"g":"Ynk="}"#
        );
        assert_eq!(
            text(call("encoding/json", "Unmarshal", vec![s(r#"{"x": 1, "y": [true, null]}"#)])),
            "{x:1,y:[true,null]}"
        );
        assert_eq!(
            text(call(
                "encoding/json",
                "Unmarshal",
                vec![s(r#"[1, 1.0, 1e3, -0.5, 12345678901234567890, "\u00e9"]"#)]
            )),
            r#"[1,1.0,1E+3,-0.5,12345678901234567890,"é"]"#
        );
        assert_eq!(
            text(call("encoding/json", "Unmarshal", vec![s("{not json")])),
            "error: error in call to encoding/json.Unmarshal: json: invalid JSON"
        );
        assert_eq!(text(call("encoding/json", "Valid", vec![s("{}")])), "true");
        assert_eq!(text(call("encoding/json", "Valid", vec![s("{")])), "false");
        assert_eq!(text(call("encoding/json", "Valid", vec![s("01")])), "false");
        let Ok(Data::String(indented)) =
            call("encoding/json", "Indent", vec![s(r#"{"a":[1,2],"b":{}}"#), s(""), s("  ")])
        else {
            panic!()
        };
        assert_eq!(indented, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
        assert_eq!(
            text(call("encoding/json", "Compact", vec![s("{ \"a\" : 1 }")])),
            r#""{\"a\":1}""#
        );
        let stream = list(vec![n("1"), Data::Struct(vec![("a".into(), n("2"))])]);
        assert_eq!(
            text(call("encoding/json", "MarshalStream", vec![stream])),
            r#""1\n{\"a\":2}\n""#
        );
    }

    #[test]
    fn base64_and_hex() {
        assert_eq!(
            text(call("encoding/base64", "Encode", vec![Data::Null, s("hello")])),
            r#""aGVsbG8=""#
        );
        assert_eq!(
            text(call("encoding/base64", "Decode", vec![Data::Null, s("aGVsbG8=")])),
            "'hello'"
        );
        assert_eq!(text(call("encoding/base64", "EncodedLen", vec![Data::Null, n("5")])), "8");
        assert_eq!(text(call("encoding/base64", "DecodedLen", vec![Data::Null, n("8")])), "6");
        assert_eq!(text(call("encoding/hex", "Encode", vec![s("hi")])), r#""6869""#);
        assert_eq!(text(call("encoding/hex", "Decode", vec![s("6869")])), "'hi'");
    }
}
