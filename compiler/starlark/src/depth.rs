//! A bound on how deeply a Starlark file can nest, checked before parsing.
//!
//! The `starlark` crate parses, compiles and evaluates expressions
//! recursively: a 40 KB file of `[[[[…]]]]`, `- - - 1`, `1 + 1 + … + 1` or
//! `not not … True` overflows the thread's stack, which aborts the process
//! (the CLI and the language server alike). The depth of an expression's
//! tree is at most its bracket nesting plus the operators in its statement,
//! so a statement whose brackets and operators add up to more than
//! [`MAX_NESTING`] is refused with a diagnostic before the crate sees it.
//! Real configurations stay far below (a long list has many commas, not
//! many operators).

/// Brackets plus operators allowed in one statement.
pub const MAX_NESTING: usize = 1_000;

/// The byte offset of the first statement that nests deeper than
/// [`MAX_NESTING`], and how deep it goes; `None` when all stay inside.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut brackets = 0usize;
    let mut max_brackets = 0usize;
    let mut operators = 0usize;
    let mut statement = 0usize;
    let mut continued = false;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                index = skip_string(bytes, index);
                continue;
            }
            b'\\' if bytes.get(index + 1) == Some(&b'\n') => {
                continued = true;
                index += 2;
                continue;
            }
            b'(' | b'[' | b'{' => {
                brackets += 1;
                max_brackets = max_brackets.max(brackets);
            }
            b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'~' | b'<' | b'>' | b'='
            | b'!' | b'.' => operators += 1,
            b'\n' | b';' if brackets == 0 && !continued => {
                if max_brackets + operators > MAX_NESTING {
                    return Some((statement, max_brackets + operators));
                }
                max_brackets = 0;
                operators = 0;
                statement = index + 1;
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                let start = index;
                while index < bytes.len()
                    && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_')
                {
                    index += 1;
                }
                if matches!(
                    &text[start..index],
                    "not" | "and" | "or" | "if" | "else" | "lambda" | "in"
                ) {
                    operators += 1;
                }
                continued = false;
                continue;
            }
            _ => {}
        }
        if byte != b'\n' && !byte.is_ascii_whitespace() {
            continued = false;
        }
        index += 1;
    }
    (max_brackets + operators > MAX_NESTING).then_some((statement, max_brackets + operators))
}

/// The index just past the string literal starting at `start` (a quote).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut index = start + if triple { 3 } else { 1 };
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'\n' if !triple => return index,
            byte if byte == quote => {
                if !triple {
                    return index + 1;
                }
                if bytes.get(index + 1) == Some(&quote) && bytes.get(index + 2) == Some(&quote) {
                    return index + 3;
                }
                index += 1;
            }
            _ => index += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_statements_are_found_and_ordinary_ones_pass() {
        for deep in [
            format!("x = {}{}\n", "[".repeat(20_000), "]".repeat(20_000)),
            format!("x = {}1\n", "-".repeat(20_000)),
            format!("x = {}1\n", "1+".repeat(20_000)),
            format!("x = {}True\n", "not ".repeat(20_000)),
        ] {
            let text = format!("ok = 1\n{deep}");
            assert_eq!(too_deep(&text).map(|(offset, _)| offset), Some(7), "{}", &deep[..20]);
        }
        let long_list = format!("x = [{}]\n", "1, ".repeat(100_000));
        let operators_in_strings =
            format!("x = \"{}\" + '{}'\n", "+".repeat(5_000), "[".repeat(5_000));
        let comments = format!("# {}\nx = 1\n", "(".repeat(5_000));
        let many_statements = "x = a + b - c * d\n".repeat(10_000);
        for text in [long_list, operators_in_strings, comments, many_statements] {
            assert_eq!(too_deep(&text), None);
        }
    }
}
