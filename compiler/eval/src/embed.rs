//! `@embed`: files of the module embedded as values, as today's CUE does.
//!
//! A file that starts with the file attribute `@extern(embed)` may give a
//! field `@embed(file=PATH)` (the decoded file is the field's value) or
//! `@embed(glob=PATTERN)` (a struct with one field per matching file, keyed
//! by its path relative to the CUE file's directory), with `type=` to say
//! how the files are decoded (`json`, `yaml`, `toml`, `text`, `binary`;
//! otherwise the extension says) and `allowEmptyGlob` to accept a glob that
//! matches nothing.
//!
//! This module is the pure part, shared by the evaluator and the loader:
//! reading attributes ([`attributes`], [`parse_attribute`]), the path rules
//! that need no file system (relative, clean, no `..`), glob patterns
//! ([`glob_match`]), and file types. Reading files is the host's: it gives
//! the evaluator what it found for each attribute as an [`Embed`], with the
//! files already decoded into CUE text.
//!
//! Invariant: no input makes these functions panic.

use froyo_diagnostics::registry::{self, Code};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use crate::eval::SourceFile;
use crate::eval::labels::{Decoded, decode_string_literal};

/// How an embedded file is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Json,
    Yaml,
    Toml,
    /// UTF-8 text: a string.
    Text,
    /// Any bytes: a bytes value.
    Binary,
}

impl FileType {
    /// The `type=` tag of this type.
    pub fn tag(self) -> &'static str {
        match self {
            FileType::Json => "json",
            FileType::Yaml => "yaml",
            FileType::Toml => "toml",
            FileType::Text => "text",
            FileType::Binary => "binary",
        }
    }

    /// The type a `type=` tag names, or why it cannot be embedded.
    pub fn from_tag(tag: &str) -> Result<FileType, String> {
        Ok(match tag {
            "json" => FileType::Json,
            "yaml" => FileType::Yaml,
            "toml" => FileType::Toml,
            "text" => FileType::Text,
            "binary" => FileType::Binary,
            "jsonl" | "ndjson" => {
                return Err(format!(
                    "type `{tag}` holds several values, which cannot be embedded; embed the file with type=text"
                ));
            }
            "cue" => return Err("CUE files cannot be embedded; import their package".into()),
            other => {
                return Err(format!(
                    "froyo does not embed files of type `{other}`; use json, yaml, toml, text or binary"
                ));
            }
        })
    }

    /// The type a file name's extension implies: `None` for an extension
    /// that names no type; an error for types that cannot be embedded.
    pub fn from_name(name: &str) -> Result<Option<FileType>, String> {
        let base = name.rsplit('/').next().unwrap_or(name);
        let Some((_, extension)) = base.rsplit_once('.') else { return Ok(None) };
        Ok(Some(match extension.to_ascii_lowercase().as_str() {
            "json" => FileType::Json,
            "yaml" | "yml" => FileType::Yaml,
            "toml" => FileType::Toml,
            "txt" => FileType::Text,
            "jsonl" | "ndjson" | "ldjson" => {
                return Err(format!(
                    "`{base}` holds several JSON values, which cannot be embedded; embed it with type=text"
                ));
            }
            "cue" => {
                return Err(format!(
                    "`{base}` is a CUE file, which cannot be embedded; import its package"
                ));
            }
            _ => return Ok(None),
        }))
    }
}

/// What an `@embed` attribute names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// One file, relative to the CUE file's directory.
    File(String),
    /// A pattern, relative to the CUE file's directory.
    Glob(String),
}

/// A well-formed `@embed` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spec {
    pub target: Target,
    /// `type=`, when given.
    pub file_type: Option<FileType>,
    pub allow_empty_glob: bool,
}

impl Spec {
    /// How the file `name` (a match of this attribute) is decoded, or why
    /// the attribute must say (E0107).
    pub fn file_type_of(&self, name: &str) -> Result<FileType, String> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        match FileType::from_name(name)? {
            Some(file_type) => Ok(file_type),
            None => Err(format!(
                "the extension of `{name}` does not say how to decode it; add type=json, yaml, toml, text or binary"
            )),
        }
    }
}

/// What the host found for one `@embed` attribute, given to the evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The evaluated file holding the attribute (its index among the
    /// package's files, then the imported packages' files).
    pub file: u32,
    /// Byte offset of the attribute's `@` in that file.
    pub offset: u32,
    pub found: Result<Vec<EmbeddedFile>, EmbedError>,
}

/// One embedded file: its key in a glob's struct and its value as CUE text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedFile {
    /// The file's path relative to the CUE file's directory, with `/`.
    pub key: String,
    /// The decoded value as CUE text (one expression), named by the file's path.
    pub source: SourceFile,
}

/// Why the host could not embed what an attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedError {
    pub code: &'static Code,
    pub message: String,
    pub help: Option<String>,
}

impl EmbedError {
    pub fn new(code: &'static Code, message: impl Into<String>) -> EmbedError {
        EmbedError { code, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> EmbedError {
        self.help = Some(help.into());
        self
    }
}

/// One `@embed` attribute of a field: where it is, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Byte offset of its `@`.
    pub offset: u32,
    pub spec: Result<Spec, EmbedError>,
}

/// Every `@embed` attribute of a field in the file `root`, in text order.
pub fn attributes(root: &SyntaxNode) -> Vec<Attribute> {
    root.descendants()
        .filter(|node| node.kind() == SyntaxKind::FIELD)
        .flat_map(|field| {
            field
                .children_with_tokens()
                .filter_map(|element| element.into_token())
                .filter(|token| token.kind() == SyntaxKind::ATTRIBUTE)
                .filter_map(|token| {
                    let spec = parse_attribute(token.text())?;
                    Some(Attribute { offset: token.text_range().start().into(), spec })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether the file `root` enables embedding: a file attribute
/// `@extern(embed)` before its package clause and declarations.
pub fn enabled(root: &SyntaxNode) -> bool {
    file_attributes(root).any(|text| is_extern_embed(&text))
}

/// Whether `@extern(embed)` appears among the file's top-level declarations
/// after its package clause or first declaration (where it does not count).
pub fn misplaced_extern(root: &SyntaxNode) -> bool {
    root.children()
        .filter(|node| node.kind() == SyntaxKind::ATTRIBUTE_DECL)
        .filter_map(|node| attribute_text(&node))
        .any(|text| is_extern_embed(&text))
        && !enabled(root)
}

fn attribute_text(node: &SyntaxNode) -> Option<String> {
    node.children_with_tokens()
        .filter_map(|element| element.into_token())
        .find(|token| token.kind() == SyntaxKind::ATTRIBUTE)
        .map(|token| token.text().to_string())
}

/// The attributes of the file itself: those before anything else.
fn file_attributes(root: &SyntaxNode) -> impl Iterator<Item = String> + '_ {
    root.children()
        .take_while(|node| node.kind() == SyntaxKind::ATTRIBUTE_DECL)
        .filter_map(|node| attribute_text(&node))
}

fn is_extern_embed(text: &str) -> bool {
    let Some(body) = text.strip_prefix("@extern(").and_then(|rest| rest.strip_suffix(')')) else {
        return false;
    };
    split_arguments(body).iter().any(|argument| unquote(argument.trim()).as_deref() == Ok("embed"))
}

/// Reads an attribute's text (`@embed(file=a.json)`): `None` when it is not
/// `@embed`; the spec, or why it is malformed (E0107).
pub fn parse_attribute(text: &str) -> Option<Result<Spec, EmbedError>> {
    let body = text.strip_prefix("@embed(")?;
    let body = body.strip_suffix(')').unwrap_or(body);
    Some(
        parse_body(body)
            .map_err(|message| EmbedError::new(&registry::INVALID_EMBED_ATTRIBUTE, message)),
    )
}

fn parse_body(body: &str) -> Result<Spec, String> {
    let mut file = None;
    let mut glob = None;
    let mut file_type = None;
    let mut allow_empty_glob = false;
    for argument in split_arguments(body) {
        let argument = argument.trim();
        if argument.is_empty() {
            continue;
        }
        let (key, value) = match argument.split_once('=') {
            Some((key, value)) => (key.trim(), Some(unquote(value.trim())?)),
            None => (argument, None),
        };
        match (key, value) {
            ("file", Some(value)) => file = Some(value),
            ("glob", Some(value)) => glob = Some(value),
            ("type", Some(value)) => file_type = Some(FileType::from_tag(&value)?),
            ("allowEmptyGlob", None) => allow_empty_glob = true,
            ("allowEmptyGlob", Some(value)) => match value.as_str() {
                "true" => allow_empty_glob = true,
                "false" => allow_empty_glob = false,
                _ => return Err(format!("allowEmptyGlob takes no value (found {value:?})")),
            },
            ("file" | "glob" | "type", None) => {
                return Err(format!("`{key}` needs a value: {key}=…"));
            }
            // Other arguments are not `@embed`'s; CUE leaves them alone too.
            _ => {}
        }
    }
    let target = match (file, glob) {
        (None, None) => return Err("@embed needs file=PATH or glob=PATTERN".into()),
        (Some(_), Some(_)) => return Err("@embed takes file= or glob=, not both".into()),
        (Some(file), None) => {
            if allow_empty_glob {
                return Err("allowEmptyGlob goes with glob=, not file=".into());
            }
            check_path(&file)?;
            Target::File(file)
        }
        (None, Some(glob)) => {
            check_path(&glob)?;
            check_glob(&glob)?;
            if file_type.is_none() {
                let base = glob.rsplit('/').next().unwrap_or(&glob);
                let extension = base.rsplit_once('.').map(|(_, extension)| extension);
                match extension {
                    Some(extension) if !extension.is_empty() && !has_meta(extension) => {
                        FileType::from_name(base)?;
                    }
                    _ => {
                        return Err(format!(
                            "the extension of glob {glob:?} is not spelled out, so it does not say how to decode the files; add type=json, yaml, toml, text or binary"
                        ));
                    }
                }
            }
            Target::Glob(glob)
        }
    };
    Ok(Spec { target, file_type, allow_empty_glob })
}

/// Splits an attribute body at commas outside quotes and brackets.
fn split_arguments(body: &str) -> Vec<&str> {
    let mut arguments = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in body.char_indices() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                arguments.push(&body[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    arguments.push(&body[start..]);
    arguments
}

/// An argument's value: a CUE string literal decoded, anything else as written.
fn unquote(value: &str) -> Result<String, String> {
    if !(value.starts_with('"') || value.starts_with('#')) {
        return Ok(value.to_string());
    }
    let invalid = || format!("invalid string {value} in the attribute");
    // Only a whole, well-formed string token is decoded.
    let parse = froyo_syntax::parse(value);
    if !parse.errors().is_empty() {
        return Err(invalid());
    }
    let is_whole_string = parse
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .any(|token| token.kind() == SyntaxKind::STRING && token.text() == value);
    match decode_string_literal(value) {
        Ok(Decoded::String(text)) if is_whole_string => Ok(text),
        _ => Err(invalid()),
    }
}

/// The path rules of today's CUE: relative, clean, never `..`.
fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path == "." {
        return Err("\".\" is the CUE file's own directory; name a file in it".into());
    }
    if path.starts_with('/') || path.contains('\\') || path.as_bytes().get(1) == Some(&b':') {
        return Err(format!(
            "{path:?} is not relative: only files below the CUE file's directory can be embedded"
        ));
    }
    let elements: Vec<&str> = path.split('/').collect();
    if elements.first() == Some(&"..") {
        return Err(format!(
            "{path:?} refers to a parent directory: only files below the CUE file's directory can be embedded"
        ));
    }
    let clean = clean_path(path);
    if clean != path {
        if clean == ".." || clean.starts_with("../") {
            return Err(format!(
                "{path:?} refers to a parent directory: only files below the CUE file's directory can be embedded"
            ));
        }
        return Err(format!("path {path:?} is not clean; write {clean:?}"));
    }
    Ok(())
}

/// `path` with `.` elements, empty elements and `x/..` pairs removed, as
/// Go's `path.Clean` writes it.
fn clean_path(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
            "" | "." => {}
            ".." => match kept.last() {
                Some(last) if *last != ".." => {
                    kept.pop();
                }
                _ => kept.push(".."),
            },
            other => kept.push(other),
        }
    }
    if kept.is_empty() { ".".to_string() } else { kept.join("/") }
}

/// Whether `text` has a glob metacharacter.
pub fn has_meta(text: &str) -> bool {
    text.contains(['*', '?', '[', '\\'])
}

/// Checks every element of a glob pattern (E0107 for a malformed one).
fn check_glob(pattern: &str) -> Result<(), String> {
    for element in pattern.split('/') {
        if element.contains("**") {
            return Err(format!(
                "glob {pattern:?}: `**` is not supported; name each directory level"
            ));
        }
        if let Err(problem) = Glob::parse(element) {
            return Err(format!("invalid glob pattern {pattern:?}: {problem}"));
        }
    }
    Ok(())
}

/// Whether `name` (one path element) matches `pattern` (one element of a
/// glob, as Go's `path.Match`: `*`, `?`, `[…]` with ranges and `^`, `\`
/// escapes). A malformed pattern matches nothing.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    match Glob::parse(pattern) {
        Ok(glob) => glob.matches(name),
        Err(_) => false,
    }
}

/// One element of a glob, compiled.
struct Glob {
    items: Vec<Item>,
}

enum Item {
    Star,
    Any,
    Char(char),
    Class { negated: bool, ranges: Vec<(char, char)> },
}

impl Item {
    fn matches_char(&self, c: char) -> bool {
        match self {
            Item::Star => true,
            Item::Any => c != '/',
            Item::Char(expected) => *expected == c,
            Item::Class { negated, ranges } => {
                c != '/' && ranges.iter().any(|(low, high)| *low <= c && c <= *high) != *negated
            }
        }
    }
}

impl Glob {
    fn parse(pattern: &str) -> Result<Glob, &'static str> {
        let mut items = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => items.push(Item::Star),
                '?' => items.push(Item::Any),
                '\\' => items.push(Item::Char(chars.next().ok_or("it ends with a lone `\\`")?)),
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        let low = match chars.next() {
                            None => return Err("a `[` is not closed"),
                            Some(']') if !ranges.is_empty() => break,
                            Some(']') => return Err("a `[]` class is empty"),
                            Some('\\') => chars.next().ok_or("it ends with a lone `\\`")?,
                            Some(c) => c,
                        };
                        let high = if chars.next_if_eq(&'-').is_some() {
                            match chars.next() {
                                None => return Err("a `[` is not closed"),
                                Some(']') => return Err("a range in `[…]` has no end"),
                                Some('\\') => chars.next().ok_or("it ends with a lone `\\`")?,
                                Some(c) => c,
                            }
                        } else {
                            low
                        };
                        if high < low {
                            return Err("a range in `[…]` runs backwards");
                        }
                        ranges.push((low, high));
                    }
                    items.push(Item::Class { negated, ranges });
                }
                c => items.push(Item::Char(c)),
            }
        }
        Ok(Glob { items })
    }

    /// Matching with the last `*` as the only backtracking point: linear in
    /// practice and at worst the product of the two lengths.
    fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.chars().collect();
        let (mut item, mut at) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while at < text.len() {
            match self.items.get(item) {
                Some(Item::Star) => {
                    star = Some((item, at));
                    item += 1;
                }
                Some(current) if text[at] != '/' && current.matches_char(text[at]) => {
                    item += 1;
                    at += 1;
                }
                _ => match star {
                    // A star matches anything but `/`.
                    Some((star_item, star_at)) if text[star_at] != '/' => {
                        star = Some((star_item, star_at + 1));
                        item = star_item + 1;
                        at = star_at + 1;
                    }
                    _ => return false,
                },
            }
        }
        self.items[item.min(self.items.len())..].iter().all(|item| matches!(item, Item::Star))
    }
}

/// Whether a file named `name` is matched by a pattern element `pattern`
/// as an embed glob matches: names that start with `.` only when the
/// pattern element does too.
pub fn element_matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    glob_match(pattern, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Spec, String> {
        parse_attribute(text).expect("an @embed attribute").map_err(|error| error.message)
    }

    #[test]
    fn attributes_read_as_today_s_cue_documents_them() {
        assert_eq!(
            spec("@embed(file=a.json)"),
            Ok(Spec {
                target: Target::File("a.json".into()),
                file_type: None,
                allow_empty_glob: false
            })
        );
        assert_eq!(
            spec(r#"@embed(file="dir/a b.conf", type=text)"#),
            Ok(Spec {
                target: Target::File("dir/a b.conf".into()),
                file_type: Some(FileType::Text),
                allow_empty_glob: false
            })
        );
        assert_eq!(
            spec("@embed(glob=images/*.*, type=binary)"),
            Ok(Spec {
                target: Target::Glob("images/*.*".into()),
                file_type: Some(FileType::Binary),
                allow_empty_glob: false
            })
        );
        assert_eq!(
            spec("@embed(glob=optional/*.json, allowEmptyGlob)"),
            Ok(Spec {
                target: Target::Glob("optional/*.json".into()),
                file_type: None,
                allow_empty_glob: true
            })
        );
        assert_eq!(parse_attribute("@go(a)"), None);
    }

    #[test]
    fn malformed_attributes_say_what_to_write() {
        let refused = [
            ("@embed()", "needs file=PATH or glob=PATTERN"),
            ("@embed(file=a.json, glob=*.json)", "not both"),
            ("@embed(file=a.json, allowEmptyGlob)", "goes with glob="),
            ("@embed(file=/etc/passwd)", "is not relative"),
            ("@embed(file=../secret.json)", "refers to a parent directory"),
            ("@embed(file=a/../../secret.json)", "refers to a parent directory"),
            ("@embed(file=..)", "refers to a parent directory"),
            ("@embed(file=./a.json)", "write \"a.json\""),
            ("@embed(file=a//b.json)", "write \"a/b.json\""),
            ("@embed(file=C:\\x.json)", "is not relative"),
            ("@embed(glob=**/*.json)", "`**` is not supported"),
            ("@embed(glob=[a-.json)", "invalid glob pattern"),
            ("@embed(glob=*.*)", "not spelled out"),
            ("@embed(glob=x/*)", "not spelled out"),
            ("@embed(file=a.json, type=jsonschema)", "does not embed files of type `jsonschema`"),
            ("@embed(glob=*.cue)", "CUE file"),
            ("@embed(file=a.json, type=jsonl)", "several values"),
            ("@embed(file)", "needs a value"),
            ("@embed(file=.)", "own directory"),
            // Found by the property test: not a string literal, not decoded as one.
            ("@embed(file=#/é/)", "invalid string"),
            ("@embed(file=\"a.json)", "invalid string"),
        ];
        for (text, expected) in refused {
            let message = spec(text).expect_err(text);
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn the_file_type_comes_from_the_extension_unless_given() {
        let by_extension = spec("@embed(file=x.yml)").unwrap();
        assert_eq!(by_extension.file_type_of("x.yml"), Ok(FileType::Yaml));
        assert_eq!(by_extension.file_type_of("notes.TXT"), Ok(FileType::Text));
        assert!(by_extension.file_type_of("site.conf").unwrap_err().contains("add type="));
        let given = spec("@embed(file=site.conf, type=text)").unwrap();
        assert_eq!(given.file_type_of("site.conf"), Ok(FileType::Text));
    }

    #[test]
    fn glob_elements_match_as_go_path_match() {
        let cases = [
            ("*.json", "a.json", true),
            ("*.json", "a.yaml", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[a-c]*", "box", true),
            ("[^a-c]*", "box", false),
            ("[^a-c]*", "zoo", true),
            ("\\*", "*", true),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("*x", "αβx", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(glob_match(pattern, name), expected, "{pattern} {name}");
        }
        assert!(!element_matches("*.json", ".hidden.json"));
        assert!(element_matches(".*.json", ".hidden.json"));
    }

    #[test]
    fn extern_embed_counts_only_before_the_package_clause() {
        let root = |text: &str| froyo_syntax::parse(text).syntax_node();
        assert!(enabled(&root("@extern(embed)\n\npackage p\n")));
        assert!(enabled(&root("@extern(\"embed\")\npackage p\n")));
        assert!(!enabled(&root("package p\n")));
        assert!(!enabled(&root("@extern(wasm)\npackage p\n")));
        let late = root("package p\n@extern(embed)\n");
        assert!(!enabled(&late));
        assert!(misplaced_extern(&late));
    }

    #[test]
    fn attributes_are_found_on_fields_at_any_depth() {
        let parse = froyo_syntax::parse(
            "@extern(embed)\npackage p\na: _ @embed(file=a.json)\nb: c: _ @go(x) @embed(glob=*.yaml)\n",
        );
        let found = attributes(&parse.syntax_node());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].offset, 30);
        assert!(
            matches!(&found[1].spec, Ok(Spec { target: Target::Glob(glob), .. }) if glob == "*.yaml")
        );
    }
}
