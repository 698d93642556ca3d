//! Where hosts and resources are declared in CUE, read from the syntax.
//!
//! The evaluated data says what a resource is, not where it came from; this
//! walk of the package's files finds, for each `hosts: <name>` and
//! `resources: <id>` written out as a field (in a struct literal or in the
//! `resources: id: …` short form), the span of its declaration. A resource
//! made by a comprehension has no field of its own: it gets the span of the
//! comprehension's `resources` field.

use std::collections::HashMap;

use froyo_diagnostics::{FileId, Span};
use froyo_syntax::SyntaxNode;
use froyo_syntax::ast::{self, AstNode, Decl, FieldValue, LabelName};

/// Declaration spans, by name, of the members of one top-level field.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    /// The first declaration of each member.
    pub members: HashMap<String, Span>,
    /// The first declaration of the top-level field itself.
    pub whole: Option<Span>,
}

impl Origins {
    /// The declaration of `name`, or of the whole field when `name` has none.
    pub fn of(&self, name: &str) -> Option<Span> {
        self.members.get(name).copied().or(self.whole)
    }
}

/// The origins of the members of the top-level field `top` (`hosts`,
/// `resources`) in the files given.
pub fn collect(files: &[(FileId, &str)], top: &str) -> Origins {
    let trees: Vec<(FileId, SyntaxNode)> =
        files.iter().map(|(file, text)| (*file, froyo_syntax::parse(text).syntax_node())).collect();
    let [origins] = collect_each(&trees, [top]);
    origins
}

/// The origins of the members of each top-level field of `tops` in the
/// files given as syntax trees, reading each tree once.
pub fn collect_each<const N: usize>(
    files: &[(FileId, SyntaxNode)],
    tops: [&str; N],
) -> [Origins; N] {
    let mut all: [Origins; N] = std::array::from_fn(|_| Origins::default());
    for (file, tree) in files {
        let Some(root) = ast::SourceFile::cast(tree.clone()) else { continue };
        for decl in root.decls() {
            let Decl::Field(field) = decl else { continue };
            let label = label_text(&field);
            let Some(which) = tops.iter().position(|top| label.as_deref() == Some(*top)) else {
                continue;
            };
            let origins = &mut all[which];
            let span = span_of(*file, field.syntax());
            origins.whole.get_or_insert(span);
            match field.value() {
                Some(FieldValue::Field(member)) => add_member(origins, *file, &member),
                Some(FieldValue::Expr(expr)) => {
                    for literal in struct_literals(&expr) {
                        for inner in literal.decls() {
                            if let Decl::Field(member) = inner {
                                add_member(origins, *file, &member);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    all
}

fn add_member(origins: &mut Origins, file: FileId, member: &ast::Field) {
    if let Some(name) = label_text(member) {
        origins.members.entry(name).or_insert_with(|| span_of(file, member.syntax()));
    }
}

/// The struct literals an expression unifies: `{…}`, and those of `a & {…}`.
fn struct_literals(expr: &ast::Expr) -> Vec<ast::StructLit> {
    let node = expr.syntax();
    if let Some(literal) = ast::StructLit::cast(node.clone()) {
        return vec![literal];
    }
    if node.kind() == froyo_syntax::SyntaxKind::BINARY_EXPR {
        return node
            .children()
            .filter_map(ast::Expr::cast)
            .flat_map(|operand| struct_literals(&operand))
            .collect();
    }
    Vec::new()
}

/// A field's label as a plain name: identifiers as written, simple quoted
/// strings without their quotes; other labels have none.
pub fn label_text(field: &ast::Field) -> Option<String> {
    match field.label()?.name()? {
        LabelName::Ident(token) => Some(token.text().to_string()),
        LabelName::String(token) => serde_json::from_str::<String>(token.text()).ok(),
        _ => None,
    }
}

fn span_of(file: FileId, node: &froyo_syntax::SyntaxNode) -> Span {
    let range = node.text_range();
    Span::new(file, range.start().into(), range.end().into())
}
