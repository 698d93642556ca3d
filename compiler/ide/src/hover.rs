//! Hover: the schema's doc and constraint for a field, its evaluated value
//! (redacted when sensitive) and its provenance — the places in CUE or
//! Starlark that contributed to it: the user's field, the schema's
//! constraint, the schema's default, and the fields the value refers to.

use froyo_syntax::ast::{self, AstNode as _};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use super::schema::{self, Definition, SchemaField};
use super::{Context, FileRange, HoverInfo, cue, starlark, stdlib_file_id};

/// The hover at `offset` of the context's file.
pub fn hover(context: &Context<'_>, offset: u32) -> Option<HoverInfo> {
    if context.is_starlark() {
        return starlark_hover(context, offset);
    }
    let parse = froyo_syntax::parse(context.text);
    let root = parse.syntax_node();
    let token = cue::token_before(&root, offset)?;
    let range = token.text_range();
    let (start, end) = (u32::from(range.start()), u32::from(range.end()));
    let file = ast::SourceFile::cast(root.clone())?;
    let imports = cue::imports(&file);
    let parent = token.parent()?;

    // `linux.#File`: the definition.
    if parent.kind() == SyntaxKind::SELECTOR_EXPR
        && let Some(selector) = ast::SelectorExpr::cast(parent.clone())
        && let Some(ast::Expr::Name(base)) = selector.base()
        && let Some(alias) = base.ident()
        && let Some((_, path, ..)) = imports.iter().find(|import| import.0 == alias.text())
        && let Some(definition) = schema::definition(path, token.text())
    {
        let mut info = definition_hover(definition, start, end);
        if let Some(target) = definition_range(context, definition) {
            info.provenance.push(("defined in the standard library".into(), target));
        }
        return Some(info);
    }
    // An import path.
    if parent.kind() == SyntaxKind::IMPORT_SPEC {
        let path = cue::unquote(token.text())?;
        let doc = schema::package_doc(&path);
        return Some(HoverInfo {
            markdown: format!("```cue\nimport \"{path}\"\n```\n\n{doc}"),
            start,
            end,
            provenance: Vec::new(),
        });
    }
    // A resource id in `require`/`notify`.
    if token.kind() == SyntaxKind::STRING
        && let Some(list) = parent.parent().filter(|node| node.kind() == SyntaxKind::LIST_LIT)
    {
        let path = cue::field_path(&list);
        if path.len() == 3
            && path[0].0 == "resources"
            && matches!(path[2].0.as_str(), "require" | "notify")
        {
            let id = cue::unquote(token.text())?;
            return Some(resource_hover(context, &id, start, end));
        }
    }
    // A field's label.
    let field = parent
        .ancestors()
        .take_while(|node| node.kind() != SyntaxKind::STRUCT_LIT)
        .find_map(ast::Field::cast)?;
    let label = field.label()?;
    if !label.syntax().text_range().contains_range(range) {
        return None;
    }
    let path = cue::field_path(field.syntax());
    let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
    match names.as_slice() {
        ["resources", id] => Some(resource_hover(context, id, start, end)),
        ["resources", id, name] => {
            let type_name = super::index::resource_type_of(&path[1].1, &imports);
            let definition = type_name.as_deref().and_then(schema::resource_schema)?;
            let schema_field = definition.field(name)?;
            let value = super::evaluated_property(context.db, context.project, id, Some(name));
            Some(user_field_hover(
                context,
                definition,
                schema_field,
                value,
                field.syntax(),
                start,
                end,
            ))
        }
        ["hosts", host, name] => {
            let definition = schema::host_schema()?;
            let schema_field = definition.field(name)?;
            let value = super::evaluated_host_field(context.db, context.project, host, name);
            Some(user_field_hover(
                context,
                definition,
                schema_field,
                value,
                field.syntax(),
                start,
                end,
            ))
        }
        _ => None,
    }
}

fn definition_range(context: &Context<'_>, definition: &Definition) -> Option<FileRange> {
    Some(FileRange {
        file: stdlib_file_id(context.project, definition.file)?,
        start: definition.start,
        end: definition.end,
    })
}

fn definition_hover(definition: &Definition, start: u32, end: u32) -> HoverInfo {
    let mut markdown =
        format!("```cue\n{}.{}\n```\n\n{}", definition.package, definition.name, definition.doc);
    if definition.fields.is_empty() {
        markdown.push_str(&format!("\n\n`{}`", definition.value_text));
    } else {
        markdown.push_str("\n\n| field | constraint |\n|---|---|\n");
        for field in &definition.fields {
            markdown.push_str(&format!(
                "| `{}{}` | `{}` |\n",
                field.name,
                if field.optional { "?" } else { "" },
                field.type_text.replace('|', "\\|")
            ));
        }
    }
    HoverInfo { markdown, start, end, provenance: Vec::new() }
}

fn resource_hover(context: &Context<'_>, id: &str, start: u32, end: u32) -> HoverInfo {
    let declarations = super::resource_declarations(context.db, context.project, id);
    let type_name = declarations.iter().find_map(|(_, named)| named.type_name.clone());
    let mut markdown = format!(
        "```cue\nresource \"{id}\"{}\n```",
        type_name.as_deref().map(|t| format!(": {t}")).unwrap_or_default()
    );
    if let Some(definition) = type_name.as_deref().and_then(schema::resource_schema) {
        markdown.push_str(&format!("\n\n{}", definition.doc));
    }
    match super::evaluated_property(context.db, context.project, id, None) {
        Some(value) => {
            markdown.push_str(&format!("\n\nEvaluated properties:\n```json\n{value}\n```"))
        }
        None => markdown.push_str("\n\n*Not evaluated: the workspace does not compile yet.*"),
    }
    let mut provenance: Vec<(String, FileRange)> = declarations
        .iter()
        .map(|(file, named)| {
            ("declared".to_string(), FileRange { file: *file, start: named.start, end: named.end })
        })
        .collect();
    // The schema's defaults the declaration does not override.
    if let Some(definition) = type_name.as_deref().and_then(schema::resource_schema) {
        let written = written_fields(context, &declarations);
        for field in &definition.fields {
            let Some(default) = &field.default else { continue };
            if written.contains(&field.name) {
                continue;
            }
            if let Some(file) = stdlib_file_id(context.project, field.file) {
                let range = FileRange { file, start: field.start, end: field.end };
                provenance
                    .push((format!("`{}: {default}`, default of the schema", field.name), range));
            }
        }
    }
    HoverInfo { markdown, start, end, provenance }
}

/// The property names the declarations of a resource write (CUE fields
/// one level in, Starlark keyword arguments).
fn written_fields(
    context: &Context<'_>,
    declarations: &[(u32, &super::index::Named)],
) -> Vec<String> {
    let mut written = Vec::new();
    for (file, named) in declarations {
        let Some(source) = context.project.file(*file).and_then(|file| file.source) else {
            continue;
        };
        let text = source.text(context.db);
        let Some(declaration) = text.get(named.full_start as usize..named.full_end as usize) else {
            continue;
        };
        if context.project.file(*file).is_some_and(|file| file.kind == crate::FileKind::Starlark) {
            let tokens = starlark::tokenize(declaration);
            for window in tokens.windows(2) {
                if let [(starlark::Token::Ident(name), ..), (starlark::Token::Punct('='), ..)] =
                    window
                {
                    written.push(name.clone());
                }
            }
            continue;
        }
        let parse = froyo_syntax::parse(text);
        let root = parse.syntax_node();
        for node in root.descendants().filter(|node| node.kind() == SyntaxKind::FIELD) {
            let range = node.text_range();
            if u32::from(range.start()) < named.full_start
                || u32::from(range.end()) > named.full_end
            {
                continue;
            }
            let path = cue::field_path(&node);
            if path.len() == 3 {
                written.push(path[2].0.clone());
            }
        }
    }
    written
}

/// The hover of a field the user wrote (`node`), with the user's field as
/// the first place of provenance.
fn user_field_hover(
    context: &Context<'_>,
    definition: &Definition,
    schema_field: &SchemaField,
    value: Option<String>,
    node: &SyntaxNode,
    start: u32,
    end: u32,
) -> HoverInfo {
    let user = FileRange {
        file: context.file,
        start: node.text_range().start().into(),
        end: node.text_range().end().into(),
    };
    field_hover(context, definition, schema_field, value, Some(user), node, start, end)
}

#[allow(clippy::too_many_arguments)]
fn field_hover(
    context: &Context<'_>,
    definition: &Definition,
    field: &SchemaField,
    value: Option<String>,
    user: Option<FileRange>,
    node: &SyntaxNode,
    start: u32,
    end: u32,
) -> HoverInfo {
    let mut markdown = format!(
        "```cue\n{}{}: {}\n```\n\n{}",
        field.name,
        if field.optional { "?" } else { "" },
        field.type_text,
        field.doc
    );
    if let Some(default) = &field.default {
        markdown.push_str(&format!("\n\nDefault: `{default}`"));
    }
    match (&value, field.sensitive) {
        (_, true) => markdown.push_str(&format!("\n\nValue: `{}` (sensitive)", froyo_ir::REDACTED)),
        (Some(value), false) => markdown.push_str(&format!("\n\nValue: `{value}`")),
        (None, false) => {
            markdown.push_str("\n\n*Not evaluated: the workspace does not compile yet.*")
        }
    }
    let mut provenance = Vec::new();
    if let Some(user) = user {
        provenance.push(("your field".to_string(), user));
    }
    // The fields this value refers to (`path: root`).
    for reference in node.descendants().filter(|node| node.kind() == SyntaxKind::NAME_REF) {
        let Some(name) = ast::NameRef::cast(reference).and_then(|name| name.ident()) else {
            continue;
        };
        let offset = u32::from(name.text_range().start());
        for target in super::navigation::definition(context, offset) {
            provenance.push((format!("`{}` (referenced)", name.text()), target));
        }
    }
    if let Some(file) = stdlib_file_id(context.project, field.file) {
        let constraint = FileRange { file, start: field.start, end: field.end };
        provenance.push((
            format!(
                "constraint `{}: {}` of `{}.{}`",
                field.name, field.type_text, definition.package, definition.name
            ),
            constraint,
        ));
        if field.default.is_some() && user.is_none() {
            provenance.push(("default of the schema".to_string(), constraint));
        }
        // Named constraints the field's type unifies with (`#Mode`, `#AbsolutePath`).
        for word in field.type_text.split(|c: char| !(c.is_alphanumeric() || c == '#' || c == '_'))
        {
            if !word.starts_with('#') {
                continue;
            }
            let Some(named) = schema::definition(definition.package, word) else { continue };
            if let Some(file) = stdlib_file_id(context.project, named.file) {
                let value = if named.value_text.is_empty() {
                    String::new()
                } else {
                    format!(" = {}", named.value_text)
                };
                provenance.push((
                    format!("unified with `{word}{value}`"),
                    FileRange { file, start: named.start, end: named.end },
                ));
            }
        }
    }
    HoverInfo { markdown, start, end, provenance }
}

fn starlark_hover(context: &Context<'_>, offset: u32) -> Option<HoverInfo> {
    let tokens = starlark::tokenize(context.text);
    let index = tokens
        .iter()
        .position(|(_, start, end)| *start <= offset && offset <= *end && *start < *end)?;
    let (token, start, end) = &tokens[index];
    let starlark::Token::Ident(name) = token else { return None };
    // `linux.file`: the constructor.
    if index >= 2
        && let (starlark::Token::Ident(namespace), starlark::Token::Punct('.')) =
            (&tokens[index - 2].0, &tokens[index - 1].0)
        && let Some(definition) = schema::resource_schema(&format!("{namespace}.{name}"))
    {
        let mut info = definition_hover(definition, *start, *end);
        if let Some(target) = definition_range(context, definition) {
            info.provenance.push(("schema in the standard library".into(), target));
        }
        return Some(info);
    }
    // A keyword argument of a constructor.
    if tokens.get(index + 1).is_some_and(|next| next.0 == starlark::Token::Punct('='))
        && let Some((callee, _)) = starlark::call_at(&tokens, *start)
        && let Some(definition) = schema::resource_schema(&callee)
        && let Some(field) = definition.field(name)
    {
        let call = starlark::calls(&tokens)
            .into_iter()
            .rfind(|call| call.start <= *start && *start <= call.end);
        let id = call.as_ref().and_then(|call| call.id.as_ref().map(|id| id.0.clone()));
        let value = id
            .as_deref()
            .and_then(|id| super::evaluated_property(context.db, context.project, id, Some(name)));
        let user = FileRange { file: context.file, start: *start, end: *end };
        let mut info = field_hover(
            context,
            definition,
            field,
            value,
            None,
            &froyo_syntax::parse("").syntax_node(),
            *start,
            *end,
        );
        info.provenance.insert(0, ("your argument".into(), user));
        return Some(info);
    }
    None
}
