//! Inlay hints: the values a resource or host gets from its schema's
//! defaults without writing them, shown at the end of its declaration.

use froyo_syntax::SyntaxKind;
use froyo_syntax::ast::{self, AstNode as _};

use super::schema;
use super::{Context, cue};

/// (offset, label) for each defaulted field of each host and resource the
/// context's CUE file declares.
pub fn inlay_hints(context: &Context<'_>) -> Vec<(u32, String)> {
    if context.is_starlark() {
        return Vec::new();
    }
    let parse = froyo_syntax::parse(context.text);
    let root = parse.syntax_node();
    let imports =
        ast::SourceFile::cast(root.clone()).map(|file| cue::imports(&file)).unwrap_or_default();
    let mut out = Vec::new();
    for node in root.descendants().filter(|node| node.kind() == SyntaxKind::FIELD) {
        let Some(field) = ast::Field::cast(node.clone()) else { continue };
        let path = cue::field_path(&node);
        let (definition, is_host) =
            match path.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().as_slice() {
                ["resources", _] => {
                    let type_name = super::index::resource_type_of(&field, &imports);
                    (type_name.as_deref().and_then(schema::resource_schema), false)
                }
                ["hosts", _] => (schema::host_schema(), true),
                _ => continue,
            };
        let Some(definition) = definition else { continue };
        let name = &path[path.len() - 1].0;
        // The fields written for this declaration, wherever they are nested.
        let written: Vec<String> = node
            .descendants()
            .filter(|inner| inner.kind() == SyntaxKind::FIELD)
            .filter_map(|inner| {
                let inner_path = cue::field_path(&inner);
                (inner_path.len() == 3).then(|| inner_path[2].0.clone())
            })
            .collect();
        let mut labels = Vec::new();
        for schema_field in &definition.fields {
            let Some(default) = &schema_field.default else { continue };
            if written.contains(&schema_field.name) {
                continue;
            }
            let value = if is_host {
                super::evaluated_host_field(context.db, context.project, name, &schema_field.name)
            } else {
                super::evaluated_property(
                    context.db,
                    context.project,
                    name,
                    Some(&schema_field.name),
                )
            };
            labels.push(format!(
                "{}: {}",
                schema_field.name,
                value.unwrap_or_else(|| default.clone())
            ));
        }
        if !labels.is_empty() {
            out.push((u32::from(node.text_range().end()), labels.join(", ")));
        }
    }
    out
}
