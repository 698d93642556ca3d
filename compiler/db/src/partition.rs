//! Evaluating a CUE package in independent parts, so that an edit to one
//! file re-evaluates only the files it can affect.
//!
//! CUE gives a package one value: the unification of all its files, with
//! references resolved across them. Most workspaces are made of files that do
//! not touch each other's fields: one declares `resources: "c1-…"`, another
//! `resources: "c2-…"`. Such files unify into the same value whether they are
//! evaluated together or apart and their results merged. This module finds,
//! from the syntax alone, which files may interact, and groups them into
//! *units* that are evaluated together; the package's value is the merge of
//! the units' values.
//!
//! Two files interact (and share a unit) when, read conservatively:
//! - they declare the same field path and at least one of them gives it a
//!   value that is not a plain struct literal, or
//! - one of them declares something at a path where the other has a
//!   declaration whose fields cannot be known without evaluating it (an
//!   embedding, a comprehension, a pattern constraint, a dynamic label, `...`),
//!   or
//! - one of them refers to a package-level name whose path the other
//!   declares something at or under (every identifier counts as such a
//!   reference when another file declares it at the top level, even if a
//!   local declaration shadows it).
//!
//! Anything the analysis cannot read (syntax errors, a merge that meets two
//! values at one path) falls back to evaluating the package whole, which is
//! always correct.

use std::collections::BTreeMap;

use froyo_syntax::ast::{self, AstNode, Decl, FieldValue, LabelName};
use froyo_syntax::{SyntaxKind, SyntaxNode};

use froyo_eval::Data;

/// What a file declares, as a tree of static field paths.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// Fields declared with a plain struct literal (or `a: b:` chains) as value.
    pub children: BTreeMap<String, Node>,
    /// A field here has a value that is not a plain struct literal.
    pub leaf: bool,
    /// Declarations here whose fields are unknown without evaluation.
    pub opaque: bool,
}

/// A file's declarations and the package-level paths it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub declared: Node,
    /// Every identifier used as the start of a reference, with the static
    /// selectors that follow it (`apps.app7.port` → `["apps", "app7", "port"]`).
    pub references: Vec<Vec<String>>,
    /// The file could not be read reliably (syntax errors): it joins every unit.
    pub unreadable: bool,
}

/// The summary of one parsed file.
pub fn summarize(parse: &froyo_syntax::Parse) -> Summary {
    if !parse.errors().is_empty() {
        return Summary { unreadable: true, ..Summary::default() };
    }
    let root = parse.syntax_node();
    let mut summary = Summary::default();
    if let Some(file) = ast::SourceFile::cast(root.clone()) {
        let imports: Vec<String> = file
            .imports()
            .flat_map(|import| import.specs().collect::<Vec<_>>())
            .filter_map(|spec| {
                spec.alias().map(|alias| alias.text().to_string()).or_else(|| {
                    let path = spec.path()?;
                    let path = path.text().trim_matches('"');
                    let path = path.split(':').next_back().unwrap_or(path);
                    Some(path.rsplit('/').next().unwrap_or(path).to_string())
                })
            })
            .collect();
        for decl in file.decls() {
            declare(&mut summary.declared, &decl);
        }
        for node in root.descendants().filter(|node| node.kind() == SyntaxKind::NAME_REF) {
            let Some(name) = ast::NameRef::cast(node.clone()).and_then(|name| name.ident()) else {
                continue;
            };
            let name = name.text().to_string();
            if imports.contains(&name) {
                continue;
            }
            summary.references.push(reference_path(&node, name));
        }
    }
    summary.references.sort();
    summary.references.dedup();
    summary
}

fn declare(node: &mut Node, decl: &Decl) {
    match decl {
        Decl::Field(field) => declare_field(node, field),
        Decl::Let(_) | Decl::Attribute(_) => {}
        Decl::Embedding(_) | Decl::Comprehension(_) | Decl::Ellipsis(_) => node.opaque = true,
    }
}

fn declare_field(node: &mut Node, field: &ast::Field) {
    let Some(label) = field.label().and_then(|label| label.name()) else {
        node.opaque = true;
        return;
    };
    let name = match label {
        LabelName::Ident(token) => token.text().to_string(),
        LabelName::String(token) => match serde_json_string(token.text()) {
            Some(name) => name,
            None => {
                node.opaque = true;
                return;
            }
        },
        LabelName::Interpolation(_) | LabelName::Paren(_) | LabelName::Pattern(_) => {
            node.opaque = true;
            return;
        }
    };
    let child = node.children.entry(name).or_default();
    match field.value() {
        Some(FieldValue::Field(inner)) => declare_field(child, &inner),
        Some(FieldValue::Expr(expr)) => match ast::StructLit::cast(expr.syntax().clone()) {
            Some(literal) => {
                for inner in literal.decls() {
                    declare(child, &inner);
                }
            }
            None => child.leaf = true,
        },
        _ => child.leaf = true,
    }
}

/// A simple double-quoted label without escapes or interpolation.
fn serde_json_string(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['\\', '"'])).then(|| inner.to_string())
}

/// The static selector path that starts at a name reference.
fn reference_path(name_ref: &SyntaxNode, name: String) -> Vec<String> {
    let mut path = vec![name];
    let mut current = name_ref.clone();
    while let Some(parent) = current.parent() {
        let base_is_current =
            parent.children().find(|child| ast::Expr::can_cast(child.kind())).as_ref()
                == Some(&current);
        if !base_is_current {
            break;
        }
        let next = match parent.kind() {
            SyntaxKind::SELECTOR_EXPR => ast::SelectorExpr::cast(parent.clone())
                .and_then(|selector| selector.name())
                .and_then(|token| match token.kind() {
                    SyntaxKind::IDENT => Some(token.text().to_string()),
                    _ => serde_json_string(token.text()),
                }),
            SyntaxKind::INDEX_EXPR => ast::IndexExpr::cast(parent.clone())
                .and_then(|index| index.index())
                .filter(|index| index.syntax().kind() == SyntaxKind::LITERAL)
                .and_then(|index| serde_json_string(index.syntax().text().to_string().trim())),
            SyntaxKind::PAREN_EXPR => {
                current = parent;
                continue;
            }
            _ => None,
        };
        match next {
            Some(label) => path.push(label),
            None => break,
        }
        current = parent;
    }
    path
}

/// Whether declarations `a` and `b` (at the same path) may interact.
fn declarations_collide(a: &Node, b: &Node) -> bool {
    let a_has = a.leaf || a.opaque || !a.children.is_empty();
    let b_has = b.leaf || b.opaque || !b.children.is_empty();
    if !(a_has && b_has) {
        return false;
    }
    if a.leaf || b.leaf || a.opaque || b.opaque {
        return true;
    }
    a.children.iter().any(|(label, child)| {
        b.children.get(label).is_some_and(|other| declarations_collide(child, other))
    })
}

/// Whether the reference `path` may see something `declared` contributes.
fn reference_reaches(path: &[String], declared: &Node) -> bool {
    let mut node = declared;
    for label in path {
        if node.opaque || node.leaf {
            return true;
        }
        match node.children.get(label) {
            Some(child) => node = child,
            None => return false,
        }
    }
    // The whole path is declared there: the reference sees it.
    true
}

/// Whether files `a` and `b` may interact.
fn interact(a: &Summary, b: &Summary) -> bool {
    if a.unreadable || b.unreadable {
        return true;
    }
    declarations_collide(&a.declared, &b.declared)
        || a.references.iter().any(|path| refers_into(path, &a.declared, &b.declared))
        || b.references.iter().any(|path| refers_into(path, &b.declared, &a.declared))
}

/// Whether a reference `path` written in a file declaring `own` may see what
/// another file declaring `other` contributes. A name the file does not
/// declare itself resolves in the other files, whatever follows it.
fn refers_into(path: &[String], own: &Node, other: &Node) -> bool {
    let Some(root) = path.first() else { return false };
    let declared_here = own.children.contains_key(root);
    if !declared_here {
        return other.opaque || other.children.contains_key(root);
    }
    reference_reaches(path, other)
}

/// Groups files into units that may be evaluated apart: the connected
/// components of "may interact", each in file order, ordered by first file.
pub fn units(summaries: &[&Summary]) -> Vec<Vec<usize>> {
    let count = summaries.len();
    let mut parent: Vec<usize> = (0..count).collect();
    fn find(parent: &mut [usize], mut index: usize) -> usize {
        while parent[index] != index {
            parent[index] = parent[parent[index]];
            index = parent[index];
        }
        index
    }
    for a in 0..count {
        for b in a + 1..count {
            if find(&mut parent, a) != find(&mut parent, b) && interact(summaries[a], summaries[b])
            {
                let (root_a, root_b) = (find(&mut parent, a), find(&mut parent, b));
                parent[root_b.max(root_a)] = root_a.min(root_b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..count {
        let root = find(&mut parent, index);
        groups.entry(root).or_default().push(index);
    }
    groups.into_values().collect()
}

/// Merges the units' values into the package's. Where several units add
/// fields to one struct, its fields are ordered by the first file declaring
/// them (as evaluating the files together orders them); two values at one
/// path mean the analysis was wrong, and the caller evaluates the package
/// whole.
///
/// A struct that received fields from more than one unit is ordered once,
/// after every value is merged: a stable sort of all its fields by that
/// rank, which is what sorting it again after each unit gives.
pub fn merge(values: Vec<Data>, summaries: &[&Summary]) -> Option<Data> {
    let roots: Vec<&Node> = summaries.iter().map(|summary| &summary.declared).collect();
    let mut merged = Data::Struct(Vec::new());
    let mut to_order = Vec::new();
    for value in values {
        merge_into(&mut merged, value, &mut Vec::new(), &mut to_order)?;
    }
    to_order.sort();
    to_order.dedup();
    for path in &to_order {
        order(&mut merged, path, roots.clone());
    }
    Some(merged)
}

/// Merges `value` into `target` (at `path`), noting in `to_order` the path
/// of every struct that gained fields after it had some.
fn merge_into(
    target: &mut Data,
    value: Data,
    path: &mut Vec<String>,
    to_order: &mut Vec<Vec<String>>,
) -> Option<()> {
    let (Data::Struct(fields), Data::Struct(new_fields)) = (target, value) else {
        return None;
    };
    let shared = !fields.is_empty();
    let mut appended = false;
    for (label, item) in new_fields {
        match fields.iter_mut().find(|(existing, _)| *existing == label) {
            Some((_, existing)) => {
                path.push(label);
                let merged = merge_into(existing, item, path, to_order);
                path.pop();
                merged?;
            }
            None => {
                fields.push((label, item));
                appended = true;
            }
        }
    }
    if shared && appended {
        to_order.push(path.clone());
    }
    Some(())
}

/// Orders the fields of the struct at `path` by the first file declaring
/// them (`nodes`: every file's declarations at the root).
fn order(merged: &mut Data, path: &[String], mut nodes: Vec<&Node>) {
    let mut target = merged;
    for label in path {
        let Data::Struct(fields) = target else { return };
        let Some((_, child)) = fields.iter_mut().find(|(existing, _)| existing == label) else {
            return;
        };
        target = child;
        nodes = nodes.iter().filter_map(|node| node.children.get(label)).collect();
    }
    let Data::Struct(fields) = target else { return };
    let rank = |label: &str| {
        nodes.iter().position(|node| node.children.contains_key(label)).unwrap_or(usize::MAX)
    };
    // Stable: fields of equal rank keep the order they were merged in.
    fields.sort_by_cached_key(|(label, _)| rank(label));
}
