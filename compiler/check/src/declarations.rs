//! The one index of what a file declares: hosts and resources with their
//! names, label ranges, whole declarations and types, host labels, the ids
//! named in `require`/`notify`, and (for Starlark, filled by the editor
//! from the one Starlark scanner) `load`s. The checks read declaration
//! spans from it ([`crate::origins`]); the editor's features read all of
//! it, through a per-file query of the database.
//!
//! Built from one file's syntax alone, so a cache keyed by file stays valid
//! when other files change.

use froyo_syntax::ast::{self, AstNode as _, Decl, FieldValue};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use crate::cue;

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
    /// A member written directly in a top-level `hosts`/`resources` field
    /// (in its struct literal, one it unifies, or the `resources: id: …`
    /// short form), rather than in a comprehension or a nested field.
    pub top_level: bool,
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
    /// The top-level fields `hosts` and `resources` of a CUE file: name
    /// and the whole field's range, in order.
    pub tops: Vec<(String, u32, u32)>,
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
        top_level: false,
    }
}

/// The index of a CUE file's text.
pub fn index_cue_text(text: &str) -> FileIndex {
    index_cue(&froyo_syntax::parse(text).syntax_node())
}

/// The index of a CUE file's syntax tree.
pub fn index_cue(root: &SyntaxNode) -> FileIndex {
    let direct = top_level_members(root);
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
                        let mut named = named(name, start, end, &node, type_name);
                        named.top_level = direct.contains(&node);
                        index.resources.push(named);
                    }
                    ["hosts", _] => {
                        let mut named = named(name, start, end, &node, None);
                        named.top_level = direct.contains(&node);
                        index.hosts.push(named);
                    }
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
    for decl in ast::SourceFile::cast(root.clone()).iter().flat_map(|file| file.decls()) {
        let Decl::Field(field) = decl else { continue };
        let Some((name, ..)) = cue::field_name(&field) else { continue };
        if name == "hosts" || name == "resources" {
            let range = field.syntax().text_range();
            index.tops.push((name, range.start().into(), range.end().into()));
        }
    }
    index
}

/// The member fields written directly in the top-level `hosts` and
/// `resources` fields: in a struct literal, a struct literal it unifies
/// (`linux.#Base & {…}`), or the short form `resources: id: …`.
fn top_level_members(root: &SyntaxNode) -> Vec<SyntaxNode> {
    let mut members = Vec::new();
    let Some(file) = ast::SourceFile::cast(root.clone()) else { return members };
    for decl in file.decls() {
        let Decl::Field(field) = decl else { continue };
        if !cue::field_name(&field).is_some_and(|(name, ..)| name == "hosts" || name == "resources")
        {
            continue;
        }
        match field.value() {
            Some(FieldValue::Field(member)) => members.push(member.syntax().clone()),
            Some(FieldValue::Expr(expr)) => {
                for literal in struct_literals(&expr) {
                    for inner in literal.decls() {
                        if let Decl::Field(member) = inner {
                            members.push(member.syntax().clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    members
}

/// The struct literals an expression unifies: `{…}`, and those of `a & {…}`.
fn struct_literals(expr: &ast::Expr) -> Vec<ast::StructLit> {
    let node = expr.syntax();
    if let Some(literal) = ast::StructLit::cast(node.clone()) {
        return vec![literal];
    }
    if node.kind() == SyntaxKind::BINARY_EXPR {
        return node
            .children()
            .filter_map(ast::Expr::cast)
            .flat_map(|operand| struct_literals(&operand))
            .collect();
    }
    Vec::new()
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
        assert!(index.resources.iter().all(|r| r.top_level));
        let tops: Vec<_> = index.tops.iter().map(|top| top.0.as_str()).collect();
        assert_eq!(tops, vec!["hosts", "resources", "resources"]);
    }

    #[test]
    fn members_of_comprehensions_are_not_top_level() {
        let index = index_cue_text("resources: {\n\tif true {\n\t\ta: {}\n\t}\n\tb: {}\n}\n");
        let found: Vec<_> =
            index.resources.iter().map(|r| (r.name.as_str(), r.top_level)).collect();
        assert_eq!(found, vec![("a", false), ("b", true)]);
    }
}
