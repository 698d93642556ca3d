//! Per-file indexes for the IDE features, as salsa queries of the shared
//! database: what a file declares (hosts, resources with their types and
//! ranges, host labels) and where it names resources (`require`/`notify`).
//! Each is derived from one file's text only, so an edit re-indexes that
//! file alone.

use froyo_db::SourceFile;
use froyo_syntax::ast::{self, AstNode as _};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use super::{cue, starlark};

/// A declared or referenced name and the range that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Named {
    pub name: String,
    /// The label (or the id string, quotes included).
    pub start: u32,
    pub end: u32,
    /// The whole declaration.
    pub full_start: u32,
    pub full_end: u32,
    /// The resource type, when the file says which (`linux.file`).
    pub type_name: Option<String>,
}

/// What one file declares and references.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FileIndex {
    pub hosts: Vec<Named>,
    pub resources: Vec<Named>,
    /// `labels` of hosts: (key, value).
    pub host_labels: Vec<(String, String)>,
    /// Resource ids in `require`/`notify` lists (ranges include quotes).
    pub dependency_refs: Vec<Named>,
    /// Starlark `load` modules (ranges include quotes).
    pub loads: Vec<Named>,
}

/// The index of a CUE file.
#[salsa::tracked(returns(ref))]
pub fn cue_index(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    index_cue_text(file.text(db))
}

/// The index of a Starlark file.
#[salsa::tracked(returns(ref))]
pub fn starlark_index(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    index_starlark_text(file.text(db))
}

fn named(
    name: String,
    start: u32,
    end: u32,
    full: &SyntaxNode,
    type_name: Option<String>,
) -> Named {
    let range = full.text_range();
    Named {
        name,
        start,
        end,
        full_start: range.start().into(),
        full_end: range.end().into(),
        type_name,
    }
}

pub fn index_cue_text(text: &str) -> FileIndex {
    let parse = froyo_syntax::parse(text);
    let root = parse.syntax_node();
    let imports =
        ast::SourceFile::cast(root.clone()).map(|file| cue::imports(&file)).unwrap_or_default();
    let mut index = FileIndex::default();
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::FIELD => {
                let Some(field) = ast::Field::cast(node.clone()) else { continue };
                let path = cue::field_path(&node);
                let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
                let Some((name, start, end)) = cue::field_name(&field) else { continue };
                match names.as_slice() {
                    ["resources", _] => {
                        let type_name = resource_type_of(&field, &imports);
                        index.resources.push(named(name, start, end, &node, type_name));
                    }
                    ["hosts", _] => index.hosts.push(named(name, start, end, &node, None)),
                    ["hosts", _, "labels", key] => {
                        if let Some(ast::FieldValue::Expr(ast::Expr::Literal(literal))) =
                            field.value()
                            && let Some(token) = literal.token()
                            && token.kind() == SyntaxKind::STRING
                            && let Some(value) = cue::unquote(token.text())
                        {
                            index.host_labels.push((key.to_string(), value));
                        }
                    }
                    _ => {}
                }
            }
            SyntaxKind::LIST_LIT => {
                let path = cue::field_path(&node);
                let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
                if !matches!(names.as_slice(), ["resources", _, "require" | "notify"]) {
                    continue;
                }
                for element in node.children() {
                    let Some(token) = element.first_token() else { continue };
                    if element.kind() != SyntaxKind::LITERAL || token.kind() != SyntaxKind::STRING {
                        continue;
                    }
                    let Some(value) = cue::unquote(token.text()) else { continue };
                    let range = token.text_range();
                    index.dependency_refs.push(named(
                        value,
                        range.start().into(),
                        range.end().into(),
                        &element,
                        None,
                    ));
                }
            }
            _ => {}
        }
    }
    index.host_labels.sort();
    index.host_labels.dedup();
    index
}

/// The resource type a CUE resource field declares: through a schema it
/// unifies with (`linux.#File & {…}`) or a `type: "…"` field.
pub fn resource_type_of(
    field: &ast::Field,
    imports: &[(String, String, u32, u32)],
) -> Option<String> {
    let value = match field.value()? {
        ast::FieldValue::Expr(expr) => expr.syntax().clone(),
        ast::FieldValue::Alias(alias) => alias.syntax().clone(),
        ast::FieldValue::Field(_) => return None,
    };
    for (alias, definition) in cue::schema_refs(&value) {
        let Some((_, path, ..)) = imports.iter().find(|import| import.0 == alias) else { continue };
        if let Some(found) = froyo_stdlib::RESOURCE_TYPES.iter().find(|resource_type| {
            resource_type.package == path && resource_type.definition == definition
        }) {
            return Some(found.name.to_string());
        }
    }
    // A `type: "linux.file"` field of the resource's struct.
    for node in value.descendants().filter(|node| node.kind() == SyntaxKind::FIELD) {
        let Some(inner) = ast::Field::cast(node) else { continue };
        if cue::field_name(&inner).is_some_and(|(name, ..)| name == "type")
            && let Some(ast::FieldValue::Expr(ast::Expr::Literal(literal))) = inner.value()
            && let Some(token) = literal.token()
            && let Some(name) = cue::unquote(token.text())
            && froyo_stdlib::resource_type_named(&name).is_some()
        {
            return Some(name);
        }
    }
    None
}

pub fn index_starlark_text(text: &str) -> FileIndex {
    let tokens = starlark::tokenize(text);
    let mut index = FileIndex::default();
    for call in starlark::calls(&tokens) {
        if let Some((id, start, end)) = call.id {
            index.resources.push(Named {
                name: id,
                start,
                end,
                full_start: call.start,
                full_end: call.end,
                type_name: Some(call.type_name),
            });
        }
    }
    for (name, start, end) in starlark::dependency_strings(&tokens) {
        index.dependency_refs.push(Named {
            name,
            start,
            end,
            full_start: start,
            full_end: end,
            type_name: None,
        });
    }
    for (name, start, end) in starlark::loads(&tokens) {
        index.loads.push(Named {
            name,
            start,
            end,
            full_start: start,
            full_end: end,
            type_name: None,
        });
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_index_finds_declarations_and_references() {
        let text = r#"package site
import "froyo.dev/linux"
hosts: web1: {address: "10.0.0.1", labels: role: "web"}
resources: {
	dir: linux.#Directory & {path: "/srv"}
	"site-conf": {type: "linux.file", path: "/srv/a", require: ["dir"], notify: ["svc"]}
}
resources: svc: linux.#Service & {name: "x"}
"#;
        let index = index_cue_text(text);
        let resources: Vec<_> =
            index.resources.iter().map(|r| (r.name.as_str(), r.type_name.as_deref())).collect();
        assert_eq!(
            resources,
            vec![
                ("dir", Some("linux.directory")),
                ("site-conf", Some("linux.file")),
                ("svc", Some("linux.service"))
            ]
        );
        assert_eq!(index.hosts[0].name, "web1");
        assert_eq!(index.host_labels, vec![("role".to_string(), "web".to_string())]);
        let refs: Vec<_> =
            index.dependency_refs.iter().map(|r| &text[r.start as usize..r.end as usize]).collect();
        assert_eq!(refs, vec!["\"dir\"", "\"svc\""]);
    }
}
