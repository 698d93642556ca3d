//! Labels and string literals: decoding the text of CUE literals.

use froyo_syntax::{SyntaxKind, ast};

/// Whether `name` can be written as an identifier (and so referenced).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    let start_ok = first.is_alphabetic() || first == '_' || first == '$' || first == '#';
    start_ok && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '#')
}

/// Marks a regular field whose name starts with `_` or `#` (a quoted label
/// such as `"_x"`, a dynamic label, a key of data): as written, `_x` is a
/// hidden field and `#x` a definition, and a vertex's label says which
/// kind it is. The mark is taken off wherever a label leaves the evaluator
/// (output, paths, messages, comprehension keys).
pub(crate) const REGULAR_MARK: char = '\u{FDD0}';

/// The internal label of a regular field named `name`.
pub(crate) fn regular_label(name: &str) -> String {
    if name.starts_with(['_', '#', REGULAR_MARK]) {
        format!("{REGULAR_MARK}{name}")
    } else {
        name.to_string()
    }
}

/// The name a label stands for, without the mark of [`regular_label`].
pub(crate) fn label_name(label: &str) -> &str {
    label.strip_prefix(REGULAR_MARK).unwrap_or(label)
}

/// The label of a field when it is known without evaluation: an identifier
/// or a plain string.
pub(crate) fn static_label(label: &ast::Label) -> Option<String> {
    match label.name()? {
        ast::LabelName::Ident(token) => Some(token.text().to_string()),
        ast::LabelName::String(token) => match decode_string_literal(token.text()) {
            Ok(Decoded::String(text)) => Some(regular_label(&text)),
            _ => None,
        },
        _ => None,
    }
}

/// A decoded string or bytes literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    String(String),
    Bytes(Vec<u8>),
}

/// How a literal is quoted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quoting {
    pub hashes: usize,
    pub bytes: bool,
    pub multiline: bool,
}

/// Splits a literal's text into its quoting and its raw body.
pub(crate) fn quoting(text: &str) -> (Quoting, usize) {
    let hashes = text.bytes().take_while(|&b| b == b'#').count();
    let rest = &text[hashes..];
    let bytes = rest.starts_with('\'');
    let multiline = rest.starts_with("\"\"\"") || rest.starts_with("'''");
    let open = hashes + if multiline { 3 } else { 1 };
    (Quoting { hashes, bytes, multiline }, open)
}

/// Decodes a complete `STRING` token's text.
pub(crate) fn decode_string_literal(text: &str) -> Result<Decoded, String> {
    let (quoting, open) = quoting(text);
    let close = quoting.hashes + if quoting.multiline { 3 } else { 1 };
    // Only a whole literal: its quotes open and close it (text from an
    // attribute may be anything, so nothing is sliced before this holds).
    let quote = match (quoting.bytes, quoting.multiline) {
        (true, true) => "'''",
        (true, false) => "'",
        (false, true) => "\"\"\"",
        (false, false) => "\"",
    };
    let bytes = text.as_bytes();
    let closes = bytes.len() >= close
        && bytes[bytes.len() - quoting.hashes..].iter().all(|&byte| byte == b'#')
        && bytes[..bytes.len() - quoting.hashes].ends_with(quote.as_bytes());
    if text.len() < open + close
        || !text[quoting.hashes..].starts_with(quote)
        || !closes
        || !text.is_char_boundary(open)
        || !text.is_char_boundary(text.len() - close)
    {
        return Err("invalid string literal".to_string());
    }
    let body = &text[open..text.len() - close];
    let body = if quoting.multiline { strip_multiline(body)? } else { body.to_string() };
    decode_body(&body, quoting)
}

/// Removes the first newline, the indentation of the closing line from each
/// line, and the final newline of a multi-line literal's body.
pub(crate) fn strip_multiline(body: &str) -> Result<String, String> {
    let body = body.strip_prefix('\n').or_else(|| body.strip_prefix("\r\n")).unwrap_or(body);
    let last_newline = body.rfind('\n');
    let (content, indent) = match last_newline {
        Some(index) => (&body[..index], &body[index + 1..]),
        None => ("", body),
    };
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return Err("closing quote of a multi-line string must be on its own line".to_string());
    }
    let mut out = String::with_capacity(content.len());
    for (index, line) in content.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if let Some(stripped) = line.strip_prefix(indent) {
            out.push_str(stripped);
        } else if line.trim().is_empty() {
            // Blank lines may carry less indentation.
        } else {
            return Err("invalid whitespace: each line of a multi-line string must start with the closing line's indentation".to_string());
        }
    }
    Ok(out)
}

/// Decodes escapes in a literal body.
pub(crate) fn decode_body(body: &str, quoting: Quoting) -> Result<Decoded, String> {
    let mut bytes: Vec<u8> = Vec::with_capacity(body.len());
    let raw = body.as_bytes();
    let mut index = 0;
    let escape_hashes = "#".repeat(quoting.hashes);
    while index < raw.len() {
        let byte = raw[index];
        if byte == b'\\' && body[index + 1..].starts_with(&escape_hashes) {
            let escape_at = index + 1 + quoting.hashes;
            let Some(&code) = raw.get(escape_at) else {
                return Err("invalid escape at end of string".to_string());
            };
            index = escape_at + 1;
            let simple = match code {
                b'a' => Some(7u8),
                b'b' => Some(8),
                b'f' => Some(12),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'v' => Some(11),
                b'\\' => Some(b'\\'),
                b'/' => Some(b'/'),
                b'"' if !quoting.bytes => Some(b'"'),
                b'\'' if quoting.bytes => Some(b'\''),
                _ => None,
            };
            if let Some(value) = simple {
                bytes.push(value);
                continue;
            }
            match code {
                b'u' | b'U' => {
                    let digits = if code == b'u' { 4 } else { 8 };
                    let hex = body.get(index..index + digits).ok_or("invalid syntax")?;
                    let value =
                        u32::from_str_radix(hex, 16).map_err(|_| "invalid syntax".to_string())?;
                    let character = char::from_u32(value).ok_or("invalid syntax")?;
                    let mut buffer = [0u8; 4];
                    bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
                    index += digits;
                }
                b'x' if quoting.bytes => {
                    let hex = body.get(index..index + 2).ok_or("invalid syntax")?;
                    bytes.push(
                        u8::from_str_radix(hex, 16).map_err(|_| "invalid syntax".to_string())?,
                    );
                    index += 2;
                }
                b'0'..=b'7' if quoting.bytes => {
                    let octal = body.get(index - 1..index + 2).ok_or("invalid syntax")?;
                    let value =
                        u32::from_str_radix(octal, 8).map_err(|_| "invalid syntax".to_string())?;
                    bytes.push(u8::try_from(value).map_err(|_| "invalid syntax".to_string())?);
                    index += 2;
                }
                _ => return Err("invalid syntax".to_string()),
            }
            continue;
        }
        bytes.push(byte);
        index += 1;
    }
    if quoting.bytes {
        Ok(Decoded::Bytes(bytes))
    } else {
        String::from_utf8(bytes)
            .map(Decoded::String)
            .map_err(|_| "invalid UTF-8 in string".to_string())
    }
}

/// The raw body of an interpolation fragment token (without quotes and `\(` / `)`).
pub(crate) fn fragment_body(kind: SyntaxKind, text: &str, quoting: Quoting) -> String {
    let start = match kind {
        SyntaxKind::INTERP_START => quoting.hashes + if quoting.multiline { 3 } else { 1 },
        _ => 1, // the `)` closing the previous interpolation
    };
    let end = match kind {
        SyntaxKind::INTERP_END => quoting.hashes + if quoting.multiline { 3 } else { 1 },
        _ => 2 + quoting.hashes, // `\(` or `\#(`
    };
    text.get(start..text.len().saturating_sub(end)).unwrap_or("").to_string()
}

/// Whether two labels are equal, comparing lengths and first bytes before
/// calling into a full comparison (labels are short and mostly differ early).
#[inline]
pub(crate) fn same_label(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// The first eight bytes of a label as a number (zero-padded): with the
/// length, it tells labels of up to eight bytes apart without reading them.
#[inline]
pub(crate) fn label_prefix(label: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let head = &label.as_bytes()[..label.len().min(8)];
    bytes[..head.len()].copy_from_slice(head);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_string_literals_decode() {
        // Attribute values reach the decoder as written: none of these is a
        // literal, and none may panic (`#éjson` once sliced inside the `é`).
        for text in ["#éjson", "é", "#\"abc", "\"abc", "'", "#\"x\"", "\"x\"#", "'''\n", "##\"a\"#"]
        {
            assert!(decode_string_literal(text).is_err(), "{text}");
        }
        for (text, expected) in [("\"a\"", "a"), ("#\"a\\b\"#", "a\\b"), ("\"é\"", "é")] {
            match decode_string_literal(text) {
                Ok(Decoded::String(decoded)) => assert_eq!(decoded, expected, "{text}"),
                _ => panic!("{text} did not decode"),
            }
        }
    }
}
