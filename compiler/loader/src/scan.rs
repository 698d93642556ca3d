//! Reading a CUE file's package clause and imports, and `module.cue`'s
//! module path, from tokens: the one scanner for every loader.
//!
//! Only the head of a file is lexed ([`head`]): the package clause and
//! imports come first, and lexing a large data file whole only to find them
//! costs seconds and gigabytes. Comments and attributes are skipped. A
//! field named `package` or `import` (`package: 1`) is not a clause.
//! Syntax errors are the parser's to report; a malformed head yields no
//! clause rather than an error.

use froyo_syntax::{SyntaxKind, lexer};

/// How much of a file's start is lexed: 256 KiB, cut at a line end.
const HEAD_BYTES: usize = 256 << 10;

/// The start of a file, where its package clause and imports are, cut at a
/// line end so that tokens before the cut are whole.
pub fn head(text: &str) -> &str {
    if text.len() <= HEAD_BYTES {
        return text;
    }
    let mut cut = HEAD_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    match text[..cut].rfind('\n') {
        Some(line_end) => &text[..=line_end],
        None => &text[..cut],
    }
}

/// A significant token of the head: kind, text, byte range.
struct Token<'a> {
    kind: SyntaxKind,
    text: &'a str,
    start: u32,
    end: u32,
}

/// The head's tokens without trivia and attributes.
fn significant(text: &str) -> Vec<Token<'_>> {
    let head = head(text);
    let (tokens, _) = lexer::tokenize(head);
    let mut offset = 0u32;
    let mut out = Vec::new();
    for token in tokens {
        let start = offset;
        offset += token.len;
        if token.kind.is_trivia() || token.kind == SyntaxKind::ATTRIBUTE {
            continue;
        }
        let text = head.get(start as usize..offset as usize).unwrap_or("");
        out.push(Token { kind: token.kind, text, start, end: offset });
    }
    out
}

/// A file's package clause: the name and its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageClause {
    pub name: String,
    pub start: u32,
    pub end: u32,
}

/// The package clause: the first significant tokens are `package` and a
/// name, not followed by `:` (which would make `package` a field).
pub fn package_clause(text: &str) -> Option<PackageClause> {
    clause_of(&significant(text))
}

/// What a file's head declares: its package clause and imports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub clause: Option<PackageClause>,
    pub imports: Vec<String>,
}

/// The package clause and imports of a file, from one lexing of its head.
pub fn header(text: &str) -> Header {
    let tokens = significant(text);
    Header { clause: clause_of(&tokens), imports: imports_of(&tokens) }
}

fn clause_of(tokens: &[Token<'_>]) -> Option<PackageClause> {
    match tokens {
        [package, name, rest @ ..]
            if package.kind == SyntaxKind::PACKAGE_KW
                && name.kind == SyntaxKind::IDENT
                && rest.first().is_none_or(|next| next.kind != SyntaxKind::COLON) =>
        {
            Some(PackageClause { name: name.text.to_string(), start: name.start, end: name.end })
        }
        _ => None,
    }
}

/// The name in a file's package clause.
pub fn package_name(text: &str) -> Option<String> {
    package_clause(text).map(|clause| clause.name)
}

/// The import paths a file declares, in order (`import "a"` and
/// `import ( "a", name "b" )`; a field named `import` is not an import).
pub fn import_paths(text: &str) -> Vec<String> {
    imports_of(&significant(text))
}

fn imports_of(tokens: &[Token<'_>]) -> Vec<String> {
    let mut paths = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if tokens[index].kind == SyntaxKind::IMPORT_KW
            && tokens.get(index + 1).is_none_or(|next| next.kind != SyntaxKind::COLON)
        {
            index += 1;
            let grouped = tokens.get(index).is_some_and(|token| token.kind == SyntaxKind::L_PAREN);
            while let Some(token) = tokens.get(index) {
                match token.kind {
                    SyntaxKind::STRING => {
                        if let Some(path) = unquote(token.text) {
                            paths.push(path.to_string());
                        }
                        if !grouped {
                            break;
                        }
                    }
                    SyntaxKind::R_PAREN => break,
                    _ => {}
                }
                index += 1;
            }
        }
        index += 1;
    }
    paths
}

/// The `module: "…"` path a `cue.mod/module.cue` text declares.
pub fn module_path(text: &str) -> Option<String> {
    let tokens = significant(text);
    tokens.windows(3).find_map(|window| match window {
        [key, colon, value]
            if key.kind == SyntaxKind::IDENT
                && key.text == "module"
                && colon.kind == SyntaxKind::COLON
                && value.kind == SyntaxKind::STRING =>
        {
            unquote(value.text).map(str::to_string)
        }
        _ => None,
    })
}

fn unquote(literal: &str) -> Option<&str> {
    literal.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'))
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    fn check(text: &str, expected: Expect) {
        let clause = super::package_clause(text);
        let imports = super::import_paths(text);
        let module = super::module_path(text);
        expected
            .assert_eq(&format!("package: {clause:?}\nimports: {imports:?}\nmodule: {module:?}"));
    }

    #[test]
    fn clause_after_comments_and_attributes() {
        check(
            "// header\n@extern(x)\npackage site\n\nimport \"a.com/x\"\n",
            expect![[r#"
                package: Some(PackageClause { name: "site", start: 29, end: 33 })
                imports: ["a.com/x"]
                module: None"#]],
        );
    }

    #[test]
    fn fields_named_package_and_import_are_not_clauses() {
        check(
            "package: 1\nimport: \"x\"\n",
            expect![[r#"
                package: None
                imports: []
                module: None"#]],
        );
    }

    #[test]
    fn grouped_imports_with_names() {
        check(
            "package a\nimport (\n\t\"strings\"\n\tl \"ex.com/m/lib:util\"\n)\nx: 1\n",
            expect![[r#"
                package: Some(PackageClause { name: "a", start: 8, end: 9 })
                imports: ["strings", "ex.com/m/lib:util"]
                module: None"#]],
        );
    }

    #[test]
    fn module_file() {
        check(
            "module: \"example.com/site\"\nlanguage: version: \"v0.9.0\"\n",
            expect![[r#"
                package: None
                imports: []
                module: Some("example.com/site")"#]],
        );
    }

    #[test]
    fn head_cuts_large_files_at_a_line_end() {
        let mut text = String::from("package big\n");
        while text.len() < 300 << 10 {
            text.push_str("field: \"ééééééééééééééééééé\"\n");
        }
        let head = super::head(&text);
        assert!(head.len() <= 256 << 10 && head.ends_with('\n'), "{}", head.len());
        assert_eq!(super::package_name(&text).as_deref(), Some("big"));
    }
}
