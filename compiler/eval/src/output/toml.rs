//! TOML text of concrete data, for `froyo export --out toml`.
//!
//! A TOML document is a table, so the value must be a struct. In each table
//! the plain keys come first (scalars, lists of scalars, inline values),
//! then the sub-tables (`[a.b]`) and arrays of tables (`[[a.c]]`, for a
//! non-empty list whose elements are all structs), in field order. Integers
//! must fit 64 bits; floats always have a `.` or an exponent; bytes are
//! base64 strings as in JSON. TOML has no null: a null is an error naming
//! its path, as is any other value TOML cannot hold.

use std::fmt::Write as _;

use crate::data::Data;

/// The TOML text of `data`, or why TOML cannot hold it.
pub fn to_toml(data: &Data) -> Result<String, String> {
    let Data::Struct(fields) = data else {
        return Err(format!(
            "TOML needs a struct at the top, not a {} (select one with -e)",
            data.kind_name()
        ));
    };
    let mut out = String::new();
    write_table(&mut out, fields, &mut Vec::new())?;
    Ok(out)
}

fn is_table(data: &Data) -> bool {
    matches!(data, Data::Struct(_))
}

fn is_table_array(data: &Data) -> bool {
    matches!(data, Data::List(items) if !items.is_empty() && items.iter().all(is_table))
}

fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        name.to_string()
    } else {
        let mut out = String::new();
        write_string(&mut out, name);
        out
    }
}

fn dotted(path: &[String]) -> String {
    path.iter().map(|name| key(name)).collect::<Vec<_>>().join(".")
}

fn write_table(
    out: &mut String,
    fields: &[(String, Data)],
    path: &mut Vec<String>,
) -> Result<(), String> {
    for (name, value) in fields {
        if is_table(value) || is_table_array(value) {
            continue;
        }
        path.push(name.clone());
        let _ = write!(out, "{} = ", key(name));
        write_inline(out, value, path)?;
        out.push('\n');
        path.pop();
    }
    for (name, value) in fields {
        path.push(name.clone());
        match value {
            Data::Struct(inner) => {
                // A table of tables only needs its header when it has keys of its own.
                let has_keys = inner.is_empty()
                    || inner.iter().any(|(_, value)| !is_table(value) && !is_table_array(value));
                if has_keys {
                    separate(out);
                    let _ = writeln!(out, "[{}]", dotted(path));
                }
                write_table(out, inner, path)?;
            }
            Data::List(items) if is_table_array(value) => {
                for item in items {
                    if let Data::Struct(inner) = item {
                        separate(out);
                        let _ = writeln!(out, "[[{}]]", dotted(path));
                        write_table(out, inner, path)?;
                    }
                }
            }
            _ => {}
        }
        path.pop();
    }
    Ok(())
}

/// A blank line before a header that follows other lines.
fn separate(out: &mut String) {
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn write_inline(out: &mut String, data: &Data, path: &mut Vec<String>) -> Result<(), String> {
    match data {
        Data::Null => {
            return Err(format!("TOML cannot hold null (at {})", dotted(path)));
        }
        Data::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Data::Number(number) => {
            if number.is_int() {
                if number.to_i64().is_none() {
                    return Err(format!(
                        "TOML integers have 64 bits; {number} does not fit (at {})",
                        dotted(path)
                    ));
                }
                let _ = write!(out, "{number}");
            } else {
                let text = number.to_string();
                out.push_str(&text);
                if !text.contains(['.', 'e', 'E']) {
                    out.push_str(".0");
                }
            }
        }
        Data::String(text) => write_string(out, text),
        Data::Bytes(bytes) => write_string(out, &crate::output::json::base64(bytes)),
        Data::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                path.push(index.to_string());
                write_inline(out, item, path)?;
                path.pop();
            }
            out.push(']');
        }
        Data::Struct(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push_str("{ ");
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                path.push(name.clone());
                let _ = write!(out, "{} = ", key(name));
                write_inline(out, value, path)?;
                path.pop();
            }
            out.push_str(" }");
        }
    }
    Ok(())
}

/// A TOML basic string: `"` and `\` escaped, control characters as
/// `\b \t \n \f \r` or `\uXXXX`.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
