//! JSON as Go's `encoding/json` encoder prints it for `cue export`: four-space
//! indent, HTML escaping on, `{}`/`[]` for empty collections, bytes as base64.

use std::fmt::Write as _;

use crate::data::Data;

/// The JSON text of `data`, with a trailing newline.
pub fn to_json(data: &Data) -> String {
    // Sized once: growing a text of megabytes by doubling copies it each time.
    let mut out = String::with_capacity(estimated_len(data, 0) + 1);
    write_json_value(&mut out, data, 0);
    out.push('\n');
    out
}

/// The JSON text of `data` on one line, with a trailing newline: Go's
/// `json.Marshal` (no spaces), the form of JSON Lines.
pub fn to_json_line(data: &Data) -> String {
    let mut out = String::with_capacity(estimated_len(data, 0));
    write_compact(&mut out, data);
    out.push('\n');
    out
}

fn write_compact(out: &mut String, data: &Data) {
    match data {
        Data::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Data::Struct(fields) => {
            out.push('{');
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, name);
                out.push(':');
                write_compact(out, value);
            }
            out.push('}');
        }
        scalar => write_json_value(out, scalar, 0),
    }
}

const JSON_INDENT: &str = "    ";

/// About the length of `data`'s JSON text at `depth` (exact but for
/// escapes and numbers, which are guessed).
fn estimated_len(data: &Data, depth: usize) -> usize {
    match data {
        Data::Null | Data::Bool(_) => 5,
        Data::Number(_) => 8,
        Data::String(text) => text.len() + 2,
        Data::Bytes(bytes) => bytes.len().div_ceil(3) * 4 + 2,
        Data::List(items) => {
            let line = (depth + 1) * JSON_INDENT.len() + 2;
            items.iter().map(|item| line + estimated_len(item, depth + 1)).sum::<usize>()
                + depth * JSON_INDENT.len()
                + 3
        }
        Data::Struct(fields) => {
            let line = (depth + 1) * JSON_INDENT.len() + 6;
            fields
                .iter()
                .map(|(name, value)| line + name.len() + estimated_len(value, depth + 1))
                .sum::<usize>()
                + depth * JSON_INDENT.len()
                + 3
        }
    }
}

fn write_json_value(out: &mut String, data: &Data, depth: usize) {
    match data {
        Data::Null => out.push_str("null"),
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(number) => {
            let _ = write!(out, "{number}");
        }
        Data::String(text) => write_json_string(out, text),
        Data::Bytes(bytes) => {
            out.push('"');
            out.push_str(&base64(bytes));
            out.push('"');
        }
        Data::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                json_newline(out, depth + 1);
                write_json_value(out, item, depth + 1);
            }
            json_newline(out, depth);
            out.push(']');
        }
        Data::Struct(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                json_newline(out, depth + 1);
                write_json_string(out, name);
                out.push_str(": ");
                write_json_value(out, value, depth + 1);
            }
            json_newline(out, depth);
            out.push('}');
        }
    }
}

fn json_newline(out: &mut String, depth: usize) {
    /// Indentation for the usual depths, pushed in one piece.
    const SPACES: &str = "                                                                ";
    out.push('\n');
    let width = depth * JSON_INDENT.len();
    if width <= SPACES.len() {
        out.push_str(&SPACES[..width]);
    } else {
        for _ in 0..depth {
            out.push_str(JSON_INDENT);
        }
    }
}

/// Whether `byte` starts something `write_json_string` escapes: a control
/// character, a quote, a backslash, HTML's `<`, `>` and `&`, or the first
/// byte of U+2028 and U+2029 (checked further there).
fn may_need_escape(byte: u8) -> bool {
    matches!(byte, 0..=0x1f | b'"' | b'\\' | b'<' | b'>' | b'&' | 0xe2)
}

fn write_json_string(out: &mut String, text: &str) {
    out.push('"');
    // Most strings need no escape at all: copy them in one piece.
    if !text.bytes().any(may_need_escape) {
        out.push_str(text);
        out.push('"');
        return;
    }
    write_escaped(out, text);
    out.push('"');
}

fn write_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (index, character) in text.char_indices() {
        let escape: Option<&str> = match character {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let needs_hex =
            matches!(character, '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}');
        if escape.is_none() && !needs_hex {
            continue;
        }
        out.push_str(&text[start..index]);
        start = index + character.len_utf8();
        if let Some(escape) = escape {
            out.push_str(escape);
            continue;
        }
        let code = u32::from(character);
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(char::from(HEX[((code >> shift) & 0xf) as usize]));
        }
    }
    out.push_str(&text[start..]);
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let first = chunk[0];
        let second = chunk.get(1).copied().unwrap_or(0);
        let third = chunk.get(2).copied().unwrap_or(0);
        let group = (u32::from(first) << 16) | (u32::from(second) << 8) | u32::from(third);
        out.push(char::from(ALPHABET[(group >> 18) as usize & 63]));
        out.push(char::from(ALPHABET[(group >> 12) as usize & 63]));
        if chunk.len() > 1 {
            out.push(char::from(ALPHABET[(group >> 6) as usize & 63]));
        } else {
            out.push('=');
        }
        if chunk.len() > 2 {
            out.push(char::from(ALPHABET[group as usize & 63]));
        } else {
            out.push('=');
        }
    }
    out
}
