//! Go to definition, find references and rename: CUE references (lexical
//! scopes, then the package's top-level fields), resource ids in
//! `require`/`notify` (CUE and Starlark), imports, standard library
//! definitions, and Starlark `load`.

use froyo_syntax::ast::{self, AstNode as _};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use super::schema;
use super::{
    Context, FileRange, cue, file_index, indexes, resource_declarations, starlark, stdlib_file_id,
};
use crate::FileKind;

/// What the cursor is on, for navigation.
enum Target {
    /// A resource id: its declaration or a reference to it.
    Resource(String),
    /// A CUE name (reference or label) to resolve lexically.
    Name(SyntaxNode, String),
    /// `alias.#Def` of a standard library package.
    Stdlib(&'static schema::Definition),
    /// An import path.
    Import(String),
    /// A Starlark `load` module.
    Load(String),
}

fn target_at(context: &Context<'_>, offset: u32) -> Option<(Target, u32, u32)> {
    let index = file_index(context.db, context.project, context.file)?;
    let inside = |start: u32, end: u32| start <= offset && offset <= end;
    for named in index.resources.iter().chain(&index.dependency_refs) {
        if inside(named.start, named.end) {
            return Some((Target::Resource(named.name.clone()), named.start, named.end));
        }
    }
    for load in &index.loads {
        if inside(load.start, load.end) {
            return Some((Target::Load(load.name.clone()), load.start, load.end));
        }
    }
    if context.is_starlark() {
        return None;
    }
    let parse = froyo_syntax::parse(context.text);
    let root = parse.syntax_node();
    let token = cue::token_before(&root, offset)?;
    let range = token.text_range();
    let (start, end) = (u32::from(range.start()), u32::from(range.end()));
    let parent = token.parent()?;
    match parent.kind() {
        SyntaxKind::IMPORT_SPEC if token.kind() == SyntaxKind::STRING => {
            Some((Target::Import(cue::unquote(token.text())?), start, end))
        }
        SyntaxKind::SELECTOR_EXPR => {
            let selector = ast::SelectorExpr::cast(parent.clone())?;
            let Some(ast::Expr::Name(base)) = selector.base() else { return None };
            let alias = base.ident()?;
            let file = ast::SourceFile::cast(root.clone())?;
            let imports = cue::imports(&file);
            let (_, path, ..) = imports.iter().find(|import| import.0 == alias.text())?;
            Some((Target::Stdlib(schema::definition(path, token.text())?), start, end))
        }
        SyntaxKind::NAME_REF if token.kind() == SyntaxKind::IDENT => {
            Some((Target::Name(parent.clone(), token.text().to_string()), start, end))
        }
        // A field's own label: resolved from the field, so that it finds itself.
        SyntaxKind::LABEL if token.kind() == SyntaxKind::IDENT => {
            let field = parent.parent().filter(|node| node.kind() == SyntaxKind::FIELD)?;
            Some((Target::Name(field, token.text().to_string()), start, end))
        }
        _ => None,
    }
}

/// Where what is at `offset` is defined.
pub fn definition(context: &Context<'_>, offset: u32) -> Vec<FileRange> {
    let Some((target, ..)) = target_at(context, offset) else { return Vec::new() };
    match target {
        Target::Resource(id) => resource_declarations(context.db, context.project, &id)
            .into_iter()
            .map(|(file, named)| FileRange { file, start: named.start, end: named.end })
            .collect(),
        Target::Stdlib(definition) => stdlib_file_id(context.project, definition.file)
            .map(|file| vec![FileRange { file, start: definition.start, end: definition.end }])
            .unwrap_or_default(),
        Target::Import(path) => {
            if let Some(package) = froyo_stdlib::package(&path) {
                return package
                    .files
                    .iter()
                    .filter_map(|file| stdlib_file_id(context.project, file.name))
                    .map(|file| FileRange { file, start: 0, end: 0 })
                    .collect();
            }
            let Some(relative) = context
                .project
                .module_path
                .as_deref()
                .and_then(|module| path.strip_prefix(module))
                .map(|rest| rest.trim_start_matches('/').to_string())
            else {
                return Vec::new();
            };
            let directory = context.project.root.join(relative);
            context
                .project
                .files
                .iter()
                .enumerate()
                .filter(|(_, file)| {
                    file.kind == FileKind::Imported
                        && file.path.parent() == Some(directory.as_path())
                })
                .map(|(index, _)| FileRange { file: index as u32, start: 0, end: 0 })
                .collect()
        }
        Target::Load(module) => {
            let Some(from) = context.project.file(context.file).and_then(|file| file.source) else {
                return Vec::new();
            };
            let Ok(resolved) = froyo_starlark::resolve_load(from.path(context.db), &module) else {
                return Vec::new();
            };
            let target = context.project.root.join(resolved);
            context
                .project
                .file_id(&target)
                .map(|file| vec![FileRange { file, start: 0, end: 0 }])
                .unwrap_or_default()
        }
        Target::Name(node, name) => resolve_name(context, &node, &name),
    }
}

/// The fields named `name` visible from `node`: the nearest enclosing
/// struct that declares it, else the package's top-level fields.
fn resolve_name(context: &Context<'_>, node: &SyntaxNode, name: &str) -> Vec<FileRange> {
    let declared_in = |scope: &SyntaxNode| -> Vec<(u32, u32)> {
        scope
            .children()
            .filter_map(|child| match child.kind() {
                SyntaxKind::FIELD => {
                    let field = ast::Field::cast(child)?;
                    let (label, start, end) = cue::field_name(&field)?;
                    (label == name).then_some((start, end))
                }
                SyntaxKind::LET_CLAUSE => {
                    let token = ast::LetClause::cast(child)?.name()?;
                    (token.text() == name).then(|| {
                        (token.text_range().start().into(), token.text_range().end().into())
                    })
                }
                _ => None,
            })
            .collect()
    };
    for scope in node.ancestors().filter(|ancestor| ancestor.kind() == SyntaxKind::STRUCT_LIT) {
        let found = declared_in(&scope);
        if !found.is_empty() {
            return found
                .into_iter()
                .map(|(start, end)| FileRange { file: context.file, start, end })
                .collect();
        }
    }
    // Top level: every file of the package.
    let mut out = Vec::new();
    for (id, file) in context.project.files.iter().enumerate() {
        if file.kind != FileKind::Cue {
            continue;
        }
        let Some(source) = file.source else { continue };
        let parse = froyo_syntax::parse(source.text(context.db));
        for (start, end) in declared_in(&parse.syntax_node()) {
            out.push(FileRange { file: id as u32, start, end });
        }
    }
    out
}

/// The declaration (with `include_declaration`) and every reference of the
/// resource id at `offset`.
pub fn references(
    context: &Context<'_>,
    offset: u32,
    include_declaration: bool,
) -> Option<Vec<FileRange>> {
    let (target, ..) = target_at(context, offset)?;
    let id = match target {
        Target::Resource(id) => id,
        Target::Name(node, name) => {
            let (declarations, uses) = name_occurrences(context, &node, &name);
            return Some(if include_declaration {
                declarations.into_iter().chain(uses).collect()
            } else {
                uses
            });
        }
        _ => return Some(definition(context, offset)),
    };
    let mut out = Vec::new();
    for (file, index) in indexes(context.db, context.project) {
        if include_declaration {
            for named in index.resources.iter().filter(|named| named.name == id) {
                out.push(FileRange { file, start: named.start, end: named.end });
            }
        }
        for named in index.dependency_refs.iter().filter(|named| named.name == id) {
            out.push(FileRange { file, start: named.start, end: named.end });
        }
    }
    Some(out)
}

/// The range and current name of the resource id at `offset`, when it can be renamed.
pub fn rename_target(context: &Context<'_>, offset: u32) -> Option<(FileRange, String)> {
    match target_at(context, offset)? {
        (Target::Resource(id), start, end) => {
            Some((FileRange { file: context.file, start, end }, id))
        }
        (Target::Name(node, name), start, end) => {
            let (declarations, _) = name_occurrences(context, &node, &name);
            (!declarations.is_empty())
                .then_some((FileRange { file: context.file, start, end }, name))
        }
        _ => None,
    }
}

/// The declarations a CUE name resolves to, and every use that resolves to
/// the same: references in the package's CUE files and, for top-level
/// fields, `config.name` in Starlark files.
fn name_occurrences(
    context: &Context<'_>,
    node: &SyntaxNode,
    name: &str,
) -> (Vec<FileRange>, Vec<FileRange>) {
    let declarations = resolve_name(context, node, name);
    if declarations.is_empty() {
        return (declarations, Vec::new());
    }
    let top_level = declarations.iter().all(|declaration| {
        context.project.file(declaration.file).and_then(|file| file.source).is_some_and(|source| {
            let parse = froyo_syntax::parse(source.text(context.db));
            parse.syntax_node().children().filter_map(ast::Field::cast).any(|field| {
                cue::field_name(&field).is_some_and(|(_, start, end)| {
                    start == declaration.start && end == declaration.end
                })
            })
        })
    });
    let mut uses = Vec::new();
    for (id, file) in context.project.files.iter().enumerate() {
        let Some(source) = file.source else { continue };
        let id = id as u32;
        match file.kind {
            FileKind::Cue if top_level || id == context.file => {
                let text = source.text(context.db);
                let parse = froyo_syntax::parse(text);
                let file_context =
                    Context { db: context.db, project: context.project, file: id, text };
                for reference in parse
                    .syntax_node()
                    .descendants()
                    .filter(|node| node.kind() == SyntaxKind::NAME_REF)
                {
                    let Some(ident) =
                        ast::NameRef::cast(reference.clone()).and_then(|name_ref| name_ref.ident())
                    else {
                        continue;
                    };
                    if ident.text() != name {
                        continue;
                    }
                    if resolve_name(&file_context, &reference, name) == declarations {
                        let range = ident.text_range();
                        uses.push(FileRange {
                            file: id,
                            start: range.start().into(),
                            end: range.end().into(),
                        });
                    }
                }
            }
            FileKind::Starlark if top_level => {
                let tokens = starlark::tokenize(source.text(context.db));
                for window in tokens.windows(3) {
                    if let [
                        (starlark::Token::Ident(config), ..),
                        (starlark::Token::Punct('.'), ..),
                        (starlark::Token::Ident(field), start, end),
                    ] = window
                        && config == "config"
                        && field == name
                    {
                        uses.push(FileRange { file: id, start: *start, end: *end });
                    }
                }
            }
            _ => {}
        }
    }
    (declarations, uses)
}

/// The edits that rename the resource id at `offset` to `new_name`
/// everywhere: its declarations (CUE labels, Starlark id strings) and
/// every `require`/`notify` that names it.
pub fn rename(
    context: &Context<'_>,
    offset: u32,
    new_name: &str,
) -> Result<Vec<(FileRange, String)>, String> {
    if let Some((Target::Name(node, name), ..)) = target_at(context, offset) {
        let (declarations, uses) = name_occurrences(context, &node, &name);
        if declarations.is_empty() {
            return Err(format!("`{name}` is not declared in this workspace"));
        }
        if cue::label_text(new_name) != new_name
            || new_name.starts_with('#') != name.starts_with('#')
        {
            return Err(format!("`{new_name}` is not a name that references can use"));
        }
        return Ok(declarations
            .into_iter()
            .chain(uses)
            .map(|range| (range, new_name.to_string()))
            .collect());
    }
    let Some((_, old)) = rename_target(context, offset) else {
        return Err("only resource ids and fields can be renamed here".into());
    };
    if new_name.is_empty() {
        return Err("a resource id cannot be empty".into());
    }
    if !resource_declarations(context.db, context.project, new_name).is_empty() {
        return Err(format!("a resource `{new_name}` already exists"));
    }
    let mut edits = Vec::new();
    for (file, index) in indexes(context.db, context.project) {
        let starlark =
            context.project.file(file).is_some_and(|file| file.kind == FileKind::Starlark);
        for named in index.resources.iter().filter(|named| named.name == old) {
            let text = if starlark { cue::quote(new_name) } else { cue::label_text(new_name) };
            edits.push((FileRange { file, start: named.start, end: named.end }, text));
        }
        for named in index.dependency_refs.iter().filter(|named| named.name == old) {
            edits.push((
                FileRange { file, start: named.start, end: named.end },
                cue::quote(new_name),
            ));
        }
    }
    Ok(edits)
}
