//! Completion: schema fields, enum values and disjunction members, resource
//! ids in `require`/`notify`, host labels in `on`, import paths, standard
//! library package members, and the Starlark prelude's functions and
//! parameters.
//!
//! The context is read from the text of the line before the cursor (which
//! is what is being typed, and often does not parse) on top of the syntax
//! tree's enclosing fields (which the rest of the file gives). Items carry
//! a `textEdit` over the partial word, `#` included; no snippets.

use froyo_syntax::ast::{self, AstNode as _};
use froyo_syntax::{SyntaxKind, SyntaxNode, TextSize};

use super::schema::{self, Definition};
use super::{Completion, CompletionKind, Context, cue, indexes, starlark, word_before};

/// The completions at `offset` of the context's file.
pub fn completions(context: &Context<'_>, offset: u32) -> Vec<Completion> {
    let mut offset = (offset as usize).min(context.text.len());
    while !context.text.is_char_boundary(offset) {
        offset -= 1;
    }
    if context.is_starlark() {
        starlark_completions(context, offset)
    } else {
        cue_completions(context, offset)
    }
}

fn item(label: impl Into<String>, kind: CompletionKind) -> Completion {
    Completion {
        label: label.into(),
        kind,
        detail: None,
        documentation: None,
        edit: None,
        filter_text: None,
    }
}

fn field_item(field: &schema::SchemaField, start: usize, end: usize, suffix: &str) -> Completion {
    let mut detail = field.type_text.clone();
    if field.optional {
        detail = format!("(optional) {detail}");
    }
    let mut documentation = field.doc.clone();
    if field.sensitive {
        documentation.push_str("\n\nSensitive: its value is redacted wherever froyo prints it.");
    }
    Completion {
        label: field.name.clone(),
        kind: CompletionKind::Field,
        detail: Some(detail),
        documentation: Some(documentation),
        edit: Some((start as u32, end as u32, format!("{}{suffix}", field.name))),
        filter_text: None,
    }
}

/// A label path read from one line: the labels before the cursor and the
/// structs opened on the line.
#[derive(Debug, Default)]
struct LineContext {
    /// Labels of enclosing fields opened on this line, outermost first.
    labels: Vec<String>,
    /// A schema named on the line before the innermost struct (`linux.#File & {`).
    schema: Option<(String, String)>,
    /// The cursor is in a list.
    in_list: bool,
    /// The cursor is in a string starting at this offset of the line.
    string_start: Option<usize>,
    /// The last significant character before the word at the cursor is `:`.
    after_colon: bool,
}

fn line_context(prefix: &str) -> LineContext {
    #[derive(Default)]
    struct Frame {
        labels: Vec<String>,
        list: bool,
        schema: Option<(String, String)>,
    }
    let mut frames = vec![Frame::default()];
    let mut pending_schema: Option<(String, String)> = None;
    let mut context = LineContext::default();
    let bytes = prefix.as_bytes();
    let mut index = 0;
    let mut last_significant = ' ';
    let followed_by_colon = |from: usize| {
        let rest = prefix[from..].trim_start_matches([' ', '\t', '?', '!']);
        rest.starts_with(':')
    };
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'"' => {
                let start = index;
                index += 1;
                let mut closed = false;
                while index < bytes.len() {
                    match bytes[index] {
                        b'\\' => index += 2,
                        b'"' => {
                            closed = true;
                            index += 1;
                            break;
                        }
                        _ => index += 1,
                    }
                }
                index = index.min(bytes.len());
                if !closed {
                    context.string_start = Some(start);
                    break;
                }
                if followed_by_colon(index)
                    && let Some(label) = cue::unquote(&prefix[start..index])
                    && let Some(frame) = frames.last_mut()
                {
                    frame.labels.push(label);
                }
                last_significant = '"';
                continue;
            }
            b'{' | b'[' => {
                frames.push(Frame {
                    labels: Vec::new(),
                    list: byte == b'[',
                    schema: pending_schema.take(),
                });
            }
            b'}' | b']' if frames.len() > 1 => {
                frames.pop();
            }
            b',' => {
                if let Some(frame) = frames.last_mut() {
                    frame.labels.clear();
                }
                pending_schema = None;
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' || byte == b'#' || byte == b'$' => {
                let start = index;
                while index < bytes.len()
                    && (bytes[index].is_ascii_alphanumeric()
                        || matches!(bytes[index], b'_' | b'#' | b'$'))
                {
                    index += 1;
                }
                let word = &prefix[start..index];
                if index == bytes.len() {
                    // The word at the cursor.
                    break;
                }
                if bytes[index] == b'.' {
                    let rest = &prefix[index + 1..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '#' | '$'))
                        .collect();
                    if name.starts_with('#') {
                        pending_schema = Some((word.to_string(), name.clone()));
                    }
                    index += 1 + name.len();
                    last_significant = 'a';
                    continue;
                }
                if followed_by_colon(index)
                    && let Some(frame) = frames.last_mut()
                {
                    frame.labels.push(word.to_string());
                }
                last_significant = 'a';
                continue;
            }
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            last_significant = byte as char;
        }
        index += 1;
    }
    context.after_colon = last_significant == ':';
    context.in_list = frames.last().is_some_and(|frame| frame.list);
    context.schema = frames.iter().rev().find_map(|frame| frame.schema.clone());
    context.labels = frames.into_iter().flat_map(|frame| frame.labels).collect();
    context
}

/// The innermost struct literal holding `offset` strictly inside its braces.
fn enclosing_struct(root: &SyntaxNode, offset: usize) -> Option<SyntaxNode> {
    let size = TextSize::from(offset as u32);
    let token = root
        .token_at_offset(size)
        .left_biased()
        .or_else(|| root.token_at_offset(size).right_biased())?;
    token.parent_ancestors().find(|node| {
        node.kind() == SyntaxKind::STRUCT_LIT
            && node.text_range().start() < size
            && (node.text_range().end() > size
                || !node.text().to_string().trim_end().ends_with('}'))
    })
}

fn cue_completions(context: &Context<'_>, offset: usize) -> Vec<Completion> {
    let text = context.text;
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let prefix = &text[line_start..offset];
    let parse = froyo_syntax::parse(text);
    let root = parse.syntax_node();
    let file = ast::SourceFile::cast(root.clone());
    let imports = file.as_ref().map(cue::imports).unwrap_or_default();

    if let Some(items) = import_completions(context, text, line_start, prefix, offset) {
        return items;
    }
    let (word_start, word) = word_before(text, offset);
    // `linux.#Fi`: members of an imported package.
    if text[..word_start].ends_with('.') {
        let (alias_start, alias) = word_before(text, word_start - 1);
        let _ = alias_start;
        let Some((_, path, ..)) = imports.iter().find(|import| import.0 == alias) else {
            return Vec::new();
        };
        return schema::definitions()
            .iter()
            .filter(|definition| definition.package == path)
            .map(|definition| definition_item(definition, word_start, offset))
            .collect();
    }
    let _ = word;

    let line = line_context(prefix);
    let mut path: Vec<String> = Vec::new();
    let struct_node = enclosing_struct(&root, line_start);
    let mut tree_schema = None;
    if let Some(node) = &struct_node {
        let fields = cue::field_path(node);
        path.extend(fields.iter().map(|(name, _)| name.clone()));
        if fields.len() >= 2 && fields[0].0 == "resources" {
            let types = super::index::resource_type_of(&fields[1].1, &imports);
            tree_schema = types.as_deref().and_then(schema::resource_schema);
        }
    }
    path.extend(line.labels.iter().cloned());
    let (definition, relative): (Option<&Definition>, Vec<String>) =
        match path.first().map(String::as_str) {
            Some("resources") if path.len() >= 2 => {
                let from_line = line.schema.as_ref().and_then(|(alias, name)| {
                    let (_, import_path, ..) = imports.iter().find(|import| &import.0 == alias)?;
                    schema::definition(import_path, name)
                });
                let from_index = || {
                    super::file_index(context.db, context.project, context.file)?
                        .resources
                        .iter()
                        .find(|resource| resource.name == path[1])?
                        .type_name
                        .as_deref()
                        .and_then(schema::resource_schema)
                };
                (from_line.or(tree_schema).or_else(from_index), path[2..].to_vec())
            }
            Some("hosts") if path.len() >= 2 => (schema::host_schema(), path[2..].to_vec()),
            _ => (None, Vec::new()),
        };
    let this_resource = (path.first().map(String::as_str) == Some("resources"))
        .then(|| path.get(1).cloned())
        .flatten();
    let relative: Vec<&str> = relative.iter().map(String::as_str).collect();

    // In a string: ids, label values, enum members, without quotes.
    if let Some(string_start) = line.string_start {
        let start = line_start + string_start + 1;
        return match relative.as_slice() {
            ["require" | "notify"] => {
                resource_ids(context, this_resource.as_deref(), start, offset, false)
            }
            ["on", key] => host_label_values(context, key, start, offset, false),
            [field] => definition
                .and_then(|definition| definition.field(field))
                .map(|field| member_items(field, start, offset, true))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
    }
    let start = word_start;
    if line.after_colon || line.in_list {
        return match relative.as_slice() {
            ["require" | "notify"] if line.in_list => {
                resource_ids(context, this_resource.as_deref(), start, offset, true)
            }
            ["on"] => host_label_keys(context, start, offset),
            ["on", key] => host_label_values(context, key, start, offset, true),
            [field] => definition
                .and_then(|definition| definition.field(field))
                .map(|field| member_items(field, start, offset, false))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
    }
    match (definition, relative.as_slice()) {
        (Some(definition), []) => {
            let present = struct_node
                .as_ref()
                .filter(|_| line.labels.is_empty() || line.schema.is_none())
                .map(present_fields)
                .unwrap_or_default();
            definition
                .fields
                .iter()
                .filter(|field| field.name != "type" && !present.contains(&field.name))
                .map(|field| field_item(field, start, offset, ": "))
                .collect()
        }
        (Some(_), ["on"]) => host_label_keys(context, start, offset),
        _ => Vec::new(),
    }
}

fn present_fields(node: &SyntaxNode) -> Vec<String> {
    node.children()
        .filter_map(ast::Field::cast)
        .filter_map(|field| cue::field_name(&field).map(|(name, ..)| name))
        .collect()
}

fn definition_item(definition: &Definition, start: usize, end: usize) -> Completion {
    let detail = if definition.fields.is_empty() {
        definition.value_text.clone()
    } else {
        format!(
            "{} {{ {} }}",
            definition.name,
            definition.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    Completion {
        label: definition.name.clone(),
        kind: CompletionKind::Definition,
        detail: Some(detail),
        documentation: Some(definition.doc.clone()),
        edit: Some((start as u32, end as u32, definition.name.clone())),
        // No filterText: Neovim 0.7 then takes the edit's start (the `#`)
        // as the start of the word it filters by.
        filter_text: None,
    }
}

fn member_items(
    field: &schema::SchemaField,
    start: usize,
    end: usize,
    in_string: bool,
) -> Vec<Completion> {
    field
        .members
        .iter()
        .filter(|member| !in_string || member.starts_with('"'))
        .map(|member| {
            let text =
                if in_string { cue::unquote(member).unwrap_or_default() } else { member.clone() };
            let is_default = field.default.as_deref() == Some(member.as_str());
            Completion {
                label: text.clone(),
                kind: CompletionKind::Value,
                detail: Some(if is_default {
                    format!("{} (default)", field.name)
                } else {
                    field.name.clone()
                }),
                documentation: Some(field.doc.clone()),
                edit: Some((start as u32, end as u32, text)),
                filter_text: None,
            }
        })
        .collect()
}

/// The most resource ids one completion lists; the client asks again as the
/// user types (`isIncomplete`), and the typed prefix narrows the list.
pub const MAX_ID_ITEMS: usize = 200;

/// Resource ids starting with what is typed between `start` and `end`: this
/// file's first, then the others', in name order, at most [`MAX_ID_ITEMS`].
fn resource_ids(
    context: &Context<'_>,
    exclude: Option<&str>,
    start: usize,
    end: usize,
    quoted: bool,
) -> Vec<Completion> {
    let typed = context.text.get(start..end).unwrap_or("").trim_start_matches('"');
    let mut seen = std::collections::BTreeMap::new();
    let mut names = std::collections::HashSet::new();
    for (file, index) in indexes(context.db, context.project) {
        for resource in &index.resources {
            if resource.name.starts_with(typed) && names.insert(resource.name.clone()) {
                seen.insert(
                    (file != context.file, resource.name.clone()),
                    resource.type_name.clone(),
                );
            }
        }
    }
    // Ids that Starlark computes (`"app-%d" % i`) come from running it.
    for file in context.project.input.starlark(context.db) {
        for declared in &froyo_db::starlark_file(context.db, context.project.input, *file).0 {
            if declared.id.starts_with(typed) && names.insert(declared.id.clone()) {
                seen.insert((true, declared.id.clone()), Some(declared.type_name.clone()));
            }
        }
    }
    seen.into_iter()
        .map(|((_, name), type_name)| (name, type_name))
        .filter(|(name, _)| Some(name.as_str()) != exclude)
        .take(MAX_ID_ITEMS)
        .map(|(name, type_name)| {
            let text = if quoted { cue::quote(&name) } else { name.clone() };
            Completion {
                label: name,
                kind: CompletionKind::Reference,
                detail: type_name,
                documentation: None,
                edit: Some((start as u32, end as u32, text)),
                filter_text: None,
            }
        })
        .collect()
}

fn host_labels(context: &Context<'_>) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = indexes(context.db, context.project)
        .into_iter()
        .flat_map(|(_, index)| index.host_labels.iter().cloned())
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

fn host_label_keys(context: &Context<'_>, start: usize, end: usize) -> Vec<Completion> {
    let mut keys: Vec<String> = host_labels(context).into_iter().map(|(key, _)| key).collect();
    keys.dedup();
    keys.into_iter()
        .map(|key| Completion {
            label: key.clone(),
            kind: CompletionKind::Field,
            detail: Some("host label".into()),
            documentation: None,
            edit: Some((start as u32, end as u32, format!("{}: ", cue::label_text(&key)))),
            filter_text: None,
        })
        .collect()
}

fn host_label_values(
    context: &Context<'_>,
    key: &str,
    start: usize,
    end: usize,
    quoted: bool,
) -> Vec<Completion> {
    host_labels(context)
        .into_iter()
        .filter(|(label, _)| label == key)
        .map(|(_, value)| Completion {
            label: value.clone(),
            kind: CompletionKind::Value,
            detail: Some(format!("host label {key}")),
            documentation: None,
            edit: Some((start as u32, end as u32, if quoted { cue::quote(&value) } else { value })),
            filter_text: None,
        })
        .collect()
}

fn import_completions(
    context: &Context<'_>,
    text: &str,
    line_start: usize,
    prefix: &str,
    offset: usize,
) -> Option<Vec<Completion>> {
    let trimmed = prefix.trim_start();
    let in_group = {
        let before = &text[..line_start];
        before.rfind("import (").is_some_and(|open| !before[open..].contains(')'))
    };
    let quote = prefix.rfind('"')?;
    let head = prefix[..quote].trim();
    let is_import = head == "import"
        || head
            .strip_prefix("import")
            .is_some_and(|rest| rest.trim().chars().all(|c| c.is_alphanumeric() || c == '_'))
        || (in_group && head.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !is_import
        || prefix[quote + 1..].contains('"')
        || !(trimmed.starts_with("import") || in_group)
    {
        return None;
    }
    let start = (line_start + quote + 1) as u32;
    let mut paths: Vec<(String, String)> = froyo_stdlib::PACKAGES
        .iter()
        .map(|package| (package.import_path.to_string(), schema::package_doc(package.import_path)))
        .collect();
    if let Some(module) = &context.project.module_path {
        for path in froyo_loader::walk::module_packages(&context.project.root, module) {
            paths.push((path, "a package of this module".into()));
        }
    }
    Some(
        paths
            .into_iter()
            .map(|(path, doc)| Completion {
                label: path.clone(),
                kind: CompletionKind::Module,
                detail: None,
                documentation: Some(doc),
                edit: Some((start, offset as u32, path)),
                filter_text: None,
            })
            .collect(),
    )
}

fn starlark_completions(context: &Context<'_>, offset: usize) -> Vec<Completion> {
    let text = context.text;
    let (word_start, _) = word_before(text, offset);
    let tokens = starlark::tokenize(&text[..offset]);
    // In a string: resource ids inside `require = [`/`notify = [`.
    if unterminated(&tokens, text, offset) {
        let Some((_, start, _)) = tokens.last() else { return Vec::new() };
        let before: Vec<_> = tokens[..tokens.len() - 1].iter().map(|t| &t.0).collect();
        let in_dependency_list = before
            .iter()
            .rev()
            .take_while(|token| !matches!(token, starlark::Token::Punct('[')))
            .count()
            < before.len()
            && {
                let open =
                    before.iter().rposition(|token| matches!(token, starlark::Token::Punct('[')));
                open.is_some_and(|open| open >= 2
                    && matches!(before[open - 1], starlark::Token::Punct('='))
                    && matches!(before[open - 2], starlark::Token::Ident(name) if name == "require" || name == "notify")
                    && !before[open..].iter().any(|token| matches!(token, starlark::Token::Punct(']'))))
            };
        if in_dependency_list {
            return resource_ids(context, None, *start as usize + 1, offset, false);
        }
        return Vec::new();
    }
    // `linux.fi`: constructors of the namespace.
    if text[..word_start].ends_with('.') {
        let (_, namespace) = word_before(text, word_start - 1);
        return froyo_stdlib::RESOURCE_TYPES
            .iter()
            .filter_map(|resource_type| {
                let function = resource_type.name.strip_prefix(namespace)?.strip_prefix('.')?;
                let definition =
                    schema::definition(resource_type.package, resource_type.definition)?;
                let parameters: Vec<&str> = definition
                    .fields
                    .iter()
                    .filter(|field| field.name != "type")
                    .map(|field| field.name.as_str())
                    .collect();
                Some(Completion {
                    label: function.to_string(),
                    kind: CompletionKind::Function,
                    detail: Some(format!("{}(id, {})", resource_type.name, parameters.join(", "))),
                    documentation: Some(definition.doc.clone()),
                    edit: Some((word_start as u32, offset as u32, function.to_string())),
                    filter_text: None,
                })
            })
            .collect();
    }
    // Inside a constructor call: its parameters not given yet.
    if let Some((callee, given)) = starlark::call_at(&tokens, offset as u32)
        && let Some(definition) = schema::resource_schema(&callee)
    {
        return definition
            .fields
            .iter()
            .filter(|field| field.name != "type" && !given.contains(&field.name))
            .map(|field| {
                let mut completion = field_item(field, word_start, offset, " = ");
                completion.kind = CompletionKind::Parameter;
                completion
            })
            .collect();
    }
    let mut items = Vec::new();
    for namespace in ["linux", "probe"] {
        let mut completion = item(namespace, CompletionKind::Module);
        completion.detail = Some("froyo prelude".into());
        completion.documentation = Some(schema::package_doc(&format!("froyo.dev/{namespace}")));
        completion.edit = Some((word_start as u32, offset as u32, namespace.to_string()));
        items.push(completion);
    }
    let mut config = item("config", CompletionKind::Reference);
    config.detail = Some("the evaluated CUE data, read-only".into());
    config.edit = Some((word_start as u32, offset as u32, "config".into()));
    items.push(config);
    let mut load = item("load", CompletionKind::Function);
    load.detail =
        Some("load(module, *names): names from another .star file of the workspace".into());
    load.edit = Some((word_start as u32, offset as u32, "load".into()));
    items.push(load);
    items
}

/// Whether the text before `offset` ends in a string that is not closed.
fn unterminated(tokens: &[(starlark::Token, u32, u32)], text: &str, offset: usize) -> bool {
    match tokens.last() {
        Some((starlark::Token::Str(_), start, end)) if *end as usize == offset => {
            let literal = &text[*start as usize..offset];
            let quote = literal.chars().next().unwrap_or('"');
            literal.len() < 2 || !literal.ends_with(quote)
        }
        _ => false,
    }
}
