//! Validation against the standard library's schemas, through the CUE
//! evaluator itself.
//!
//! Resources from Starlark (and CUE resources that set `type` by hand) have
//! not met their schema yet. A [`Batch`] writes them as one small CUE file:
//!
//! ```cue
//! package validate
//! import ("froyo.dev/linux", "froyo.dev/probe", "froyo.dev/inventory")
//! resources: "motd": linux.#File & {"type": "linux.file", "path": "/etc/motd"}
//! ```
//!
//! and [`validate`] evaluates it with the embedded standard library. What
//! comes back is either every value with its defaults filled in, or CUE's
//! own diagnostics (conflicts, closedness, bounds), each pointing at the
//! schema's constraint in the standard library and at the offending value;
//! [`Batch::resolve`] moves the spans that point into the generated file
//! back to the resource's declaration, narrowed to the argument or field
//! that holds the value when it can be found. Both languages get the same
//! checks and the same messages as CUE resources unified in CUE.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use froyo_diagnostics::{Diagnostic, FileId, Span};
use froyo_eval::{Data, EvalOptions, ImportedPackage, SourceFile};
use froyo_stdlib::ResourceType;

/// What a value to validate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Host,
    Resource(&'static ResourceType),
}

/// One value to validate, and where it was declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: Kind,
    /// Host name or resource id.
    pub name: String,
    pub value: Data,
    pub origin: Span,
}

/// An entry in a batch's text: its byte range, and each top-level field's
/// name and byte range.
type Placed = (Entry, (u32, u32), Vec<(String, u32, u32)>);

/// A generated CUE file holding the entries, and where each entry and each
/// of its top-level fields lies in it.
#[derive(Debug, Clone)]
pub struct Batch {
    pub text: String,
    entries: Vec<Placed>,
}

impl Batch {
    pub fn new(entries: Vec<Entry>) -> Batch {
        // The imports the entries use, then the entries.
        let mut imports: Vec<&str> = entries
            .iter()
            .map(|entry| match entry.kind {
                Kind::Host => froyo_stdlib::HOST_SCHEMA.0,
                Kind::Resource(resource_type) => resource_type.package,
            })
            .collect();
        imports.sort_unstable();
        imports.dedup();
        let mut text = String::from("package validate\n\n");
        for import in imports {
            let _ = writeln!(text, "import {}", quote(import));
        }
        let mut placed = Vec::with_capacity(entries.len());
        for entry in entries {
            let (top, definition) = match entry.kind {
                Kind::Host => ("hosts", format!("inventory.{}", froyo_stdlib::HOST_SCHEMA.1)),
                Kind::Resource(resource_type) => (
                    "resources",
                    format!("{}.{}", resource_type.package_name, resource_type.definition),
                ),
            };
            let _ = write!(text, "{top}: {}: {definition} & ", quote(&entry.name));
            let start = text.len() as u32;
            let mut fields = Vec::new();
            match &entry.value {
                Data::Struct(members) => {
                    text.push('{');
                    for (index, (name, value)) in members.iter().enumerate() {
                        if index > 0 {
                            text.push_str(", ");
                        }
                        let field_start = text.len() as u32;
                        text.push_str(&quote(name));
                        text.push_str(": ");
                        write_value(&mut text, value);
                        fields.push((name.clone(), field_start, text.len() as u32));
                    }
                    text.push('}');
                }
                other => write_value(&mut text, other),
            }
            let end = text.len() as u32;
            text.push('\n');
            placed.push((entry, (start, end), fields));
        }
        Batch { text, entries: placed }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(entry, ..)| entry)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries in consecutive batches of at most `size` entries, so that
    /// a caller caching validation by text re-validates only the batch of an
    /// entry that changed. An entry's value does not depend on the other
    /// entries of its batch, except for entries of the same kind and name
    /// (CUE unifies them): when a name repeats, the batch stays whole.
    pub fn chunks(&self, size: usize) -> Vec<Batch> {
        let mut names = std::collections::HashSet::new();
        let repeats = self
            .entries
            .iter()
            .any(|(entry, ..)| !names.insert((entry.kind == Kind::Host, entry.name.as_str())));
        if repeats || self.entries.len() <= size.max(1) {
            return vec![self.clone()];
        }
        self.entries
            .chunks(size.max(1))
            .map(|chunk| Batch::new(chunk.iter().map(|(entry, ..)| entry.clone()).collect()))
            .collect()
    }

    /// One batch per entry: when a batch fails, its entries are validated
    /// one by one, so that the valid ones go on to the later checks.
    pub fn split(&self) -> Vec<Batch> {
        self.entries.iter().map(|(entry, ..)| Batch::new(vec![entry.clone()])).collect()
    }

    /// The entry a message's path names (`resources."apache-svc".state: …`),
    /// and the field after it.
    fn entry_named_in(&self, message: &str) -> Option<(&Entry, Option<String>)> {
        let path = crate::place::message_path(message);
        let kind = match path.first().map(String::as_str) {
            Some("resources") => false,
            Some("hosts") => true,
            _ => return None,
        };
        let name = path.get(1)?;
        let field = path.get(2).cloned();
        let entry = self
            .entries
            .iter()
            .map(|(entry, ..)| entry)
            .find(|entry| (entry.kind == Kind::Host) == kind && &entry.name == name)?;
        Some((entry, field))
    }

    /// The validated values by kind and name, or the diagnostics with their
    /// spans moved to the declarations. `stdlib_files` maps the standard
    /// library's files (in [`froyo_stdlib::PACKAGES`] order) to the ids the
    /// caller's file table gives them; `text_of` gives a file's text, to
    /// narrow spans to the offending argument or field.
    pub fn resolve(
        &self,
        result: &Result<Data, Vec<Diagnostic>>,
        stdlib_files: &[FileId],
        text_of: &dyn Fn(FileId) -> Option<String>,
    ) -> Result<HashMap<(bool, String), Data>, Vec<Diagnostic>> {
        match result {
            Ok(data) => {
                let mut values = HashMap::new();
                for (top, is_host) in [("hosts", true), ("resources", false)] {
                    if let Some(Data::Struct(members)) = data.field(top) {
                        for (name, value) in members {
                            values.insert((is_host, name.clone()), value.clone());
                        }
                    }
                }
                Ok(values)
            }
            Err(diagnostics) => Err(diagnostics
                .iter()
                .map(|diagnostic| self.move_diagnostic(diagnostic.clone(), stdlib_files, text_of))
                .collect()),
        }
    }

    fn move_diagnostic(
        &self,
        mut diagnostic: Diagnostic,
        stdlib_files: &[FileId],
        text_of: &dyn Fn(FileId) -> Option<String>,
    ) -> Diagnostic {
        let named = self.entry_named_in(&diagnostic.message);
        let primary = self.move_span(diagnostic.primary.span, named.clone(), stdlib_files, text_of);
        diagnostic.primary.span = primary;
        for label in &mut diagnostic.secondary {
            label.span = self.move_span(label.span, named.clone(), stdlib_files, text_of);
        }
        // A label that now repeats the primary span says nothing new.
        diagnostic.secondary.retain(|label| label.span != primary);
        // When the evaluator pointed only at the schema, point at the value too.
        let in_schema = |span: Span| stdlib_files.contains(&span.file);
        if in_schema(primary)
            && diagnostic.secondary.iter().all(|label| in_schema(label.span))
            && let Some((entry, field)) = &named
        {
            let origin = match field {
                Some(field) => narrow(entry.origin, field, text_of).unwrap_or(entry.origin),
                None => entry.origin,
            };
            diagnostic
                .secondary
                .push(froyo_diagnostics::Label { span: origin, message: String::new() });
        }
        diagnostic.fix = None;
        diagnostic
    }

    fn move_span(
        &self,
        span: Span,
        named: Option<(&Entry, Option<String>)>,
        stdlib_files: &[FileId],
        text_of: &dyn Fn(FileId) -> Option<String>,
    ) -> Span {
        if span.file.0 > 0 {
            return match stdlib_files.get(span.file.0 as usize - 1) {
                Some(file) => Span::new(*file, span.start, span.end),
                None => span,
            };
        }
        let Some((entry, _, fields)) = self
            .entries
            .iter()
            .find(|(_, (start, end), _)| *start <= span.start && span.start <= *end)
        else {
            // Not inside an entry (the evaluator gave no position): the entry
            // the message names, else the first.
            return match named {
                Some((entry, Some(field))) => {
                    narrow(entry.origin, &field, text_of).unwrap_or(entry.origin)
                }
                Some((entry, None)) => entry.origin,
                None => self.entries.first().map_or(span, |(entry, ..)| entry.origin),
            };
        };
        let field =
            fields.iter().find(|(_, start, end)| *start <= span.start && span.start <= *end);
        match field {
            Some((name, ..)) => narrow(entry.origin, name, text_of).unwrap_or(entry.origin),
            None => entry.origin,
        }
    }
}

/// The span of the argument `name =` (Starlark) or the field `name:` (CUE)
/// inside `origin`, if it is written there.
pub(crate) fn narrow(
    origin: Span,
    name: &str,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Option<Span> {
    let text = text_of(origin.file)?;
    let inside = text.get(origin.start as usize..origin.end as usize)?;
    let bytes = inside.as_bytes();
    let mut search = 0;
    while let Some(found) = inside[search..].find(name) {
        let at = search + found;
        let before_ok = at == 0 || !is_word(bytes[at - 1]);
        let after = inside[at + name.len()..].trim_start();
        let after_ok = (after.starts_with('=') && !after.starts_with("=="))
            || after.starts_with(':')
            || after.starts_with("?:");
        if before_ok && after_ok && at > 0 {
            // The argument or field runs to the end of its line or the next
            // top-level comma, whichever comes first.
            let rest = &inside[at..];
            let end = rest.find('\n').unwrap_or(rest.len());
            let line = rest[..end].trim_end().trim_end_matches(',');
            let start = origin.start + at as u32;
            return Some(Span::new(origin.file, start, start + argument_length(line) as u32));
        }
        search = at + name.len();
    }
    None
}

/// The length of the first argument in `line`: up to a comma or closing
/// bracket at depth zero, outside strings.
fn argument_length(line: &str) -> usize {
    let mut depth = 0i32;
    for (index, character) in unquoted(line) {
        match character {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return index,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return index,
            _ => {}
        }
    }
    line.len()
}

/// The characters of `text` outside `"…"` string literals (the quotes
/// included), with their byte offsets: what bracket matching looks at.
pub(crate) fn unquoted(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    text.char_indices().filter(move |&(_, character)| {
        if in_string {
            match character {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            return false;
        }
        if character == '"' {
            in_string = true;
        }
        true
    })
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'#'
}

/// A label or string as a CUE string literal (JSON's escapes are CUE's).
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn write_value(out: &mut String, value: &Data) {
    match value {
        Data::String(text) => out.push_str(&quote(text)),
        Data::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Data::Struct(fields) => {
            out.push('{');
            for (index, (name, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(name));
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
        scalar => out.push_str(&froyo_eval::builtins::cue_text(scalar)),
    }
}

/// The standard library as the evaluator's imports, in [`froyo_stdlib::PACKAGES`] order.
pub fn stdlib_imports() -> Vec<ImportedPackage> {
    froyo_stdlib::PACKAGES
        .iter()
        .map(|package| ImportedPackage {
            path: package.import_path.to_string(),
            files: package
                .files
                .iter()
                .map(|file| SourceFile { name: file.name.to_string(), text: file.text.to_string() })
                .collect(),
        })
        .collect()
}

/// Evaluates a batch's text with the standard library. Diagnostics use
/// `FileId(0)` for the text and `FileId(1 + i)` for the `i`th file of the
/// standard library.
pub fn validate(text: &str) -> Result<Data, Vec<Diagnostic>> {
    let options = EvalOptions { imports: stdlib_imports(), ..EvalOptions::default() };
    froyo_eval::export(
        &[SourceFile { name: "<validation>".into(), text: text.to_string() }],
        &options,
    )
}

/// `diagnostic` with the values in its message hidden when its path ends in
/// a field some schema marks sensitive (`resources.deploy.password: invalid
/// value "hunter2"` must not show the password). Quoted strings
/// and numbers after the path become `(sensitive)`.
pub fn redact(mut diagnostic: Diagnostic) -> Diagnostic {
    let Some((path, rest)) = diagnostic.message.split_once(": ") else { return diagnostic };
    let sensitive = path.split('.').any(|segment| {
        let segment = segment.trim_matches('"');
        sensitive_fields("#Host").iter().any(|name| name == segment)
            || froyo_stdlib::RESOURCE_TYPES.iter().any(|resource_type| {
                sensitive_fields(resource_type.definition).iter().any(|name| name == segment)
            })
    });
    if !sensitive {
        return diagnostic;
    }
    let mut redacted = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    while let Some(character) = chars.next() {
        if character == '"' {
            // Skip the string literal, escapes included.
            let mut escaped = false;
            for inner in chars.by_ref() {
                match inner {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => break,
                    _ => {}
                }
            }
            redacted.push_str(froyo_ir::REDACTED);
        } else if character.is_ascii_digit() && !redacted.ends_with(|c: char| c.is_alphanumeric()) {
            while chars.peek().is_some_and(|next| next.is_ascii_alphanumeric() || *next == '.') {
                chars.next();
            }
            redacted.push_str(froyo_ir::REDACTED);
        } else {
            redacted.push(character);
        }
    }
    diagnostic.message = format!("{path}: {redacted}");
    diagnostic
}

/// The fields each schema definition marks `@sensitive()`, by definition
/// name (`#User`), as the one reader of the schemas ([`crate::definitions`])
/// finds them.
pub fn sensitive_fields(definition: &str) -> &'static [String] {
    static INDEX: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<String>> = HashMap::new();
        for found in crate::definitions::definitions() {
            let names = found.fields.iter().filter(|field| field.sensitive);
            index.entry(found.name.as_str()).or_default().extend(names.map(|f| f.name.clone()));
        }
        index
    });
    index.get(definition).map_or(&[], Vec::as_slice)
}
