//! Small readings of CUE syntax shared by the checks and the editor's
//! features: a field's label as text, string literals, doc comments above a
//! declaration, the members of a disjunction, the chain of fields around a
//! node, import aliases and the schemas a value unifies with.
//!
//! Everything here reads a (possibly broken) syntax tree or text and answers
//! `None` or nothing when the shape is not what it looks for; nothing panics.

use froyo_syntax::ast::{self, AstNode as _, LabelName};
use froyo_syntax::{SyntaxKind, SyntaxNode};

/// The name a field's label gives, unquoted, with its byte range (quotes
/// included for a quoted label).
pub fn field_name(field: &ast::Field) -> Option<(String, u32, u32)> {
    let label = field.label()?;
    let token = match label.name()? {
        LabelName::Ident(token) | LabelName::String(token) => token,
        _ => return None,
    };
    let range = token.text_range();
    Some((unquote(token.text())?, range.start().into(), range.end().into()))
}

/// The text of a simple string literal without its quotes and with its
/// escapes of quotes and backslashes undone; an identifier is returned as is.
/// `None` for multi-line and raw strings.
pub fn unquote(text: &str) -> Option<String> {
    let Some(inner) = text.strip_prefix('"') else {
        return Some(text.to_string());
    };
    if inner.starts_with("\"\"") {
        return None;
    }
    // CUE's escapes are JSON's, `\u` included; a literal JSON does not
    // read (an unterminated one, CUE-only escapes) is unescaped by hand.
    if let Ok(value) = serde_json::from_str::<String>(text) {
        return Some(value);
    }
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    Some(unescape(inner))
}

/// The text of a string literal's body with its backslash escapes undone:
/// `\n` and `\t`, and any other escaped character as itself (enough for ids,
/// paths and labels).
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(character) = chars.next() {
        if character == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(character);
        }
    }
    out
}

/// `name` as a CUE label: bare when it is an identifier, else quoted.
pub fn label_text(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier { name.to_string() } else { quote(name) }
}

/// `text` as a double-quoted CUE (and Starlark) string.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// The `//` comment lines right above byte `offset` of `text` (the line
/// holding `offset` is not read), joined with spaces.
pub fn doc_comment_above(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let Some(before) = text.get(..offset) else { return String::new() };
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let mut lines = Vec::new();
    for line in text[..line_start].lines().rev() {
        let trimmed = line.trim();
        match trimmed.strip_prefix("//") {
            Some(comment) => lines.push(comment.trim().to_string()),
            None => break,
        }
    }
    lines.reverse();
    lines.join(" ")
}

/// The members of a disjunction written in `text` (split at top-level `|`),
/// trimmed; the default is marked with its leading `*`.
pub fn disjuncts(text: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        if in_string {
            match character {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match character {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '|' if depth == 0
                && !text[index + 1..].starts_with('|')
                && !text[..index].ends_with('|') =>
            {
                members.push(text[start..index].trim().to_string());
                start = index + 1;
            }
            _ => {}
        }
    }
    members.push(text[start..].trim().to_string());
    members.retain(|member| !member.is_empty());
    members
}

/// The names of the fields enclosing `node`, outermost first: for the
/// cursor in `resources: web: {path: |}` it is `["resources", "web", "path"]`.
/// A field whose label is not a plain name contributes `"*"`.
pub fn field_path(node: &SyntaxNode) -> Vec<(String, ast::Field)> {
    let mut path: Vec<(String, ast::Field)> = node
        .ancestors()
        .filter_map(ast::Field::cast)
        .map(|field| {
            let name = field_name(&field).map_or_else(|| "*".to_string(), |(name, ..)| name);
            (name, field)
        })
        .collect();
    path.reverse();
    path
}

/// The `pkg.#Def` references a field's value unifies with (`linux.#File &
/// {…}`), as (package alias, definition name).
pub fn schema_refs(value: &SyntaxNode) -> Vec<(String, String)> {
    let mut refs = Vec::new();
    let mut pending = vec![value.clone()];
    while let Some(node) = pending.pop() {
        match node.kind() {
            SyntaxKind::BINARY_EXPR | SyntaxKind::PAREN_EXPR => pending.extend(node.children()),
            SyntaxKind::SELECTOR_EXPR => {
                if let Some(selector) = ast::SelectorExpr::cast(node.clone())
                    && let Some(ast::Expr::Name(base)) = selector.base()
                    && let (Some(alias), Some(name)) = (base.ident(), selector.name())
                {
                    refs.push((alias.text().to_string(), name.text().to_string()));
                }
            }
            _ => {}
        }
    }
    refs
}

/// The import aliases of a file: alias (or last path element) → path.
pub fn imports(file: &ast::SourceFile) -> Vec<(String, String, u32, u32)> {
    let mut out = Vec::new();
    for declaration in file.imports() {
        for spec in declaration.specs() {
            let Some(path_token) = spec.path() else { continue };
            let Some(path) = unquote(path_token.text()) else { continue };
            let (path_only, explicit) = match path.split_once(':') {
                Some((path, name)) => (path.to_string(), Some(name.to_string())),
                None => (path.clone(), None),
            };
            let alias =
                spec.alias().map(|token| token.text().to_string()).or(explicit).unwrap_or_else(
                    || froyo_eval::import_path::default_package_name(&path_only).to_string(),
                );
            let range = path_token.text_range();
            out.push((alias, path_only, range.start().into(), range.end().into()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjunction_members_keep_the_default_mark() {
        assert_eq!(disjuncts(r#"*"present" | "absent""#), vec![r#"*"present""#, r#""absent""#]);
        assert_eq!(disjuncts(r#"*22 | int & >=1 & <=65535"#), vec!["*22", "int & >=1 & <=65535"]);
        assert_eq!(disjuncts(r#""a|b" | [1 | 2]"#), vec![r#""a|b""#, "[1 | 2]"]);
    }

    #[test]
    fn doc_comments_are_the_comment_lines_right_above() {
        let text = "// one\n\n// two\n// three\nx: 1\n";
        assert_eq!(doc_comment_above(text, text.find('x').unwrap()), "two three");
    }
}
