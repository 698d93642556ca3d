//! CUE text of concrete data, for `froyo export --out cue` (as
//! `cue export --out cue` prints it): one field a line, structs in braces
//! indented by tabs, lists of scalars on one line, lists of structs as
//! `[{…}, {…}]`, other lists with one element a line, strings with a newline
//! as multi-line `"""` strings.
//!
//! The text is CUE that evaluates back to the same data (the tests check
//! that). A struct at the top prints its fields without braces.

use std::fmt::Write as _;

use crate::data::Data;

/// The CUE text of `data`, with a trailing newline.
pub fn to_cue(data: &Data) -> String {
    let mut out = String::new();
    match data {
        Data::Struct(fields) => write_fields(&mut out, fields, 0),
        other => {
            write_value(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

/// Words that read as something else when written as a label.
const KEYWORDS: &[&str] =
    &["true", "false", "null", "if", "for", "in", "let", "import", "package", "func", "__"];

fn write_label(out: &mut String, name: &str) {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_alphabetic() || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !KEYWORDS.contains(&name);
    if plain {
        out.push_str(name);
    } else {
        out.push_str(&crate::value::quote(name));
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push('\t');
    }
}

fn write_fields(out: &mut String, fields: &[(String, Data)], depth: usize) {
    for (name, value) in fields {
        indent(out, depth);
        write_label(out, name);
        out.push_str(": ");
        write_value(out, value, depth);
        out.push('\n');
    }
}

fn is_scalar(data: &Data) -> bool {
    !matches!(data, Data::List(_) | Data::Struct(_))
}

fn write_value(out: &mut String, data: &Data, depth: usize) {
    match data {
        Data::Null => out.push_str("null"),
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(number) => {
            let _ = write!(out, "{number}");
        }
        Data::String(text) if text.contains('\n') => write_multiline(out, text, depth),
        Data::String(text) => out.push_str(&crate::value::quote(text)),
        Data::Bytes(_) => out.push_str(&crate::builtins::cue_text(data)),
        Data::Struct(fields) if fields.is_empty() => out.push_str("{}"),
        Data::Struct(fields) => {
            out.push_str("{\n");
            write_fields(out, fields, depth + 1);
            indent(out, depth);
            out.push('}');
        }
        Data::List(items) if items.is_empty() => out.push_str("[]"),
        Data::List(items) if items.iter().all(is_scalar) && !items.iter().any(has_newline) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, depth);
            }
            out.push(']');
        }
        Data::List(items)
            if items
                .iter()
                .all(|item| matches!(item, Data::Struct(fields) if !fields.is_empty())) =>
        {
            // `[{`, the fields, `}, {`, …, `}]`, as CUE's formatter lays them out.
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, depth);
            }
            out.push(']');
        }
        Data::List(items) => {
            out.push_str("[\n");
            for item in items {
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push(']');
        }
    }
}

fn has_newline(data: &Data) -> bool {
    matches!(data, Data::String(text) if text.contains('\n'))
}

/// `"""`, then each line indented one level deeper than the field, then
/// `"""` at that same indentation; escapes as in a one-line string, but `"`
/// is written as is.
fn write_multiline(out: &mut String, text: &str, depth: usize) {
    out.push_str("\"\"\"\n");
    for line in text.split('\n') {
        if !line.is_empty() {
            indent(out, depth + 1);
            let quoted = crate::value::quote(line);
            let inner = &quoted[1..quoted.len() - 1];
            if line.contains("\"\"\"") {
                out.push_str(inner);
            } else {
                out.push_str(&inner.replace("\\\"", "\""));
            }
        }
        out.push('\n');
    }
    indent(out, depth + 1);
    out.push_str("\"\"\"");
}
