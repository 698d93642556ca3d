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
    // A reference (`path: root`), or a selection from one (`resources.dir.path`).
    if token.kind() == SyntaxKind::IDENT
        && matches!(parent.kind(), SyntaxKind::NAME_REF | SyntaxKind::SELECTOR_EXPR)
    {
        return reference_hover(context, &parent, start, end);
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
    schema_field_hover(context, &field, &path, &names, &imports, start, end)
        .or_else(|| value_hover(context, context.file, field.syntax(), &[], start, end))
}

/// The hover of a host's or resource's field its schema declares.
fn schema_field_hover(
    context: &Context<'_>,
    field: &ast::Field,
    path: &[(String, ast::Field)],
    names: &[&str],
    imports: &[(String, String, u32, u32)],
    start: u32,
    end: u32,
) -> Option<HoverInfo> {
    match names {
        ["resources", id] => Some(resource_hover(context, id, start, end)),
        ["resources", id, name] => {
            let type_name = super::index::resource_type_of(&path[1].1, imports);
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

/// The hover of a reference, or of a name selected from one
/// (`resources.dir.path` on `dir`): the value of the field it refers to.
fn reference_hover(
    context: &Context<'_>,
    node: &SyntaxNode,
    start: u32,
    end: u32,
) -> Option<HoverInfo> {
    // The names selected after the reference, up to the hovered one.
    let mut selected = Vec::new();
    let mut current = node.clone();
    while current.kind() == SyntaxKind::SELECTOR_EXPR {
        let selector = ast::SelectorExpr::cast(current.clone())?;
        let name = selector.name()?;
        if u32::from(name.text_range().end()) <= end {
            selected.push(name.text().to_string());
        }
        current = selector.base()?.syntax().clone();
    }
    selected.reverse();
    let reference = ast::NameRef::cast(current)?.ident()?;
    // At its end: the token that ends there is the reference itself.
    let targets = super::navigation::definition(context, u32::from(reference.text_range().end()));
    let target = targets.first()?;
    let source = context.project.file(target.file)?.source?;
    let root = froyo_db::parse_file(context.db, source).syntax_node();
    let token = cue::token_before(&root, target.start + 1)?;
    let declaration = token.parent_ancestors().find(|node| node.kind() == SyntaxKind::FIELD)?;
    let mut info = value_hover(context, target.file, &declaration, &selected, start, end)?;
    let declared = FileRange { file: target.file, start: target.start, end: target.end };
    if !info.provenance.iter().any(|(_, range)| *range == declared) {
        info.provenance.insert(0, ("defined".into(), declared));
    }
    Some(info)
}

/// The most characters of a value a hover shows.
const MAX_VALUE_CHARS: usize = 400;

/// The hover of any CUE field (`declaration` in project file `file`, followed by the names
/// `selected` from its value): its path, its evaluated value and type (the
/// value as written when it does not evaluate or is not exported), its doc
/// comment, and where it comes from: every field of the package that
/// declares the same path, and the fields its value refers to.
fn value_hover(
    context: &Context<'_>,
    file: u32,
    declaration: &SyntaxNode,
    selected: &[String],
    start: u32,
    end: u32,
) -> Option<HoverInfo> {
    let mut path: Vec<String> =
        cue::field_path(declaration).into_iter().map(|(name, _)| name).collect();
    path.extend(selected.iter().cloned());
    // A field inside a list or a comprehension has no one path of the value.
    let plain = !path.iter().any(|name| name == "*")
        && !declaration
            .ancestors()
            .any(|node| matches!(node.kind(), SyntaxKind::LIST_LIT | SyntaxKind::COMPREHENSION));
    let value = if plain { evaluated_path(context, &path) } else { None };
    let field = ast::Field::cast(declaration.clone())?;
    let written = field
        .value()
        .map(|value| match value {
            ast::FieldValue::Expr(expr) => expr.syntax().text().to_string(),
            ast::FieldValue::Alias(alias) => alias.syntax().text().to_string(),
            ast::FieldValue::Field(field) => field.syntax().text().to_string(),
        })
        .unwrap_or_default();
    let type_text = value.as_ref().map(|value| value.kind_name()).unwrap_or("");
    let mut markdown = format!(
        "```cue\n{}{}{}\n```",
        path.iter().map(|name| path_label(name)).collect::<Vec<_>>().join("."),
        if type_text.is_empty() { "" } else { ": " },
        type_text
    );
    let file_text = context.project.text(context.db, file).unwrap_or("");
    let doc = if selected.is_empty() {
        cue::doc_comment_above(file_text, u32::from(declaration.text_range().start()) as usize)
    } else {
        String::new()
    };
    if !doc.is_empty() {
        markdown.push_str(&format!("\n\n{doc}"));
    }
    let sensitive = path.len() >= 3
        && matches!(path[0].as_str(), "resources" | "hosts")
        && schema::definitions()
            .iter()
            .any(|definition| definition.field(&path[2]).is_some_and(|field| field.sensitive));
    match (&value, sensitive) {
        (_, true) => markdown.push_str(&format!("\n\nValue: `{}` (sensitive)", froyo_ir::REDACTED)),
        (Some(value), false) => markdown.push_str(&format!(
            "\n\nValue: `{}`",
            shortened(&froyo_eval::builtins::cue_text(value))
        )),
        (None, false) if selected.is_empty() && !written.trim().is_empty() => {
            markdown.push_str(&format!("\n\nAs written: `{}`", shortened(written.trim())))
        }
        (None, false) => {}
    }
    // Where it comes from: the fields declaring this path, then what the
    // value refers to.
    let mut provenance = Vec::new();
    if selected.is_empty() && plain {
        for (file, start, end) in declarations_of(context, &path) {
            provenance.push(("declared".to_string(), FileRange { file, start, end }));
        }
    }
    if selected.is_empty() {
        let referring = Context { db: context.db, project: context.project, file, text: file_text };
        for reference in
            declaration.descendants().filter(|node| node.kind() == SyntaxKind::NAME_REF)
        {
            let Some(name) = ast::NameRef::cast(reference).and_then(|name| name.ident()) else {
                continue;
            };
            let offset = u32::from(name.text_range().end());
            for target in super::navigation::definition(&referring, offset) {
                provenance.push((format!("`{}` (referenced)", name.text()), target));
            }
        }
    }
    Some(HoverInfo { markdown, start, end, provenance })
}

/// A name of a path as CUE writes it: definitions and hidden fields as
/// they are, other names as labels (quoted when they must be).
fn path_label(name: &str) -> String {
    match name.strip_prefix('#').or_else(|| name.strip_prefix('_')) {
        Some(rest) if !rest.is_empty() && cue::label_text(rest) == rest => name.to_string(),
        _ => cue::label_text(name),
    }
}

fn shortened(text: &str) -> String {
    let single: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if single.chars().count() <= MAX_VALUE_CHARS {
        return single;
    }
    let cut: String = single.chars().take(MAX_VALUE_CHARS).collect();
    format!("{cut}…")
}

/// The evaluated value at `path` of the workspace's package, evaluating
/// only the units that declare its top-level field.
fn evaluated_path(context: &Context<'_>, path: &[String]) -> Option<froyo_eval::Data> {
    let top = path.first()?;
    if top.starts_with('#') || top.starts_with('_') {
        return None;
    }
    let package = *context.project.input.package(context.db);
    let data =
        froyo_db::merged_units(context.db, package, Some(std::slice::from_ref(top)), true).ok()?;
    let mut value = &data;
    for name in path {
        value = value.field(name)?;
    }
    Some(value.clone())
}

/// The labels of the fields of the package's files that declare `path`.
fn declarations_of(context: &Context<'_>, path: &[String]) -> Vec<(u32, u32, u32)> {
    let mut out = Vec::new();
    for (id, file) in context.project.files.iter().enumerate() {
        if file.kind != crate::FileKind::Cue {
            continue;
        }
        let Some(source) = file.source else { continue };
        let root = froyo_db::parse_file(context.db, source).syntax_node();
        for node in root.descendants().filter(|node| node.kind() == SyntaxKind::FIELD) {
            let names = cue::field_path(&node);
            if names.len() != path.len()
                || names.iter().zip(path).any(|((name, _), want)| name != want)
            {
                continue;
            }
            if node.ancestors().any(|ancestor| {
                matches!(ancestor.kind(), SyntaxKind::LIST_LIT | SyntaxKind::COMPREHENSION)
            }) {
                continue;
            }
            let Some(field) = ast::Field::cast(node) else { continue };
            if let Some((_, start, end)) = cue::field_name(&field) {
                out.push((id as u32, start, end));
            }
        }
    }
    out
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

/// The hover of `config.name` in Starlark: the package's top-level field
/// `name`, as a hover on its first declaration shows it.
fn config_hover(context: &Context<'_>, name: &str, start: u32, end: u32) -> Option<HoverInfo> {
    for (id, file) in context.project.files.iter().enumerate() {
        if file.kind != crate::FileKind::Cue {
            continue;
        }
        let Some(source) = file.source else { continue };
        let root = froyo_db::parse_file(context.db, source).syntax_node();
        let declaration = root.children().find(|node| {
            ast::Field::cast(node.clone())
                .and_then(|field| cue::field_name(&field))
                .is_some_and(|(label, ..)| label == name)
        });
        if let Some(declaration) = declaration {
            return value_hover(context, id as u32, &declaration, &[], start, end);
        }
    }
    None
}

fn starlark_hover(context: &Context<'_>, offset: u32) -> Option<HoverInfo> {
    let tokens = starlark::tokenize(context.text);
    let index = tokens
        .iter()
        .position(|(_, start, end)| *start <= offset && offset <= *end && *start < *end)?;
    let (token, start, end) = &tokens[index];
    let starlark::Token::Ident(name) = token else { return None };
    // `config.name`: the top-level CUE field it reads.
    if index >= 2
        && let (starlark::Token::Ident(config), starlark::Token::Punct('.')) =
            (&tokens[index - 2].0, &tokens[index - 1].0)
        && config == "config"
        && (index < 3 || tokens[index - 3].0 != starlark::Token::Punct('.'))
    {
        return config_hover(context, name, *start, *end);
    }
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
