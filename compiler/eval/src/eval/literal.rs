//! Struct literals compiled once: what each declaration is, with labels
//! decoded, so instantiating a literal (once per value built from a
//! definition) does not walk the syntax tree again.

use std::rc::Rc;

use froyo_syntax::{SyntaxKind::*, SyntaxNode, ast, ast::AstNode};

use super::StaticScope;
use super::labels::{self, Decoded};

/// The declarations of a `STRUCT_LIT`, `SOURCE_FILE` or shorthand `FIELD`.
pub(crate) struct StructInfo {
    pub decls: Vec<DeclInfo>,
    /// Fields, lets, `...` or comprehensions make it a struct even with
    /// embeddings; a literal of embeddings only takes its embeddings' value.
    pub has_fields: bool,
    pub has_embeddings: bool,
    /// Regular fields, comprehensions or `...`: with embeddings, the value
    /// is still a struct. Definitions, hidden fields and lets alone beside an
    /// embedded scalar leave it a scalar (`#N: {int, #min: 0}`).
    pub makes_struct: bool,
    /// The names the literal declares (for lookups and closedness).
    pub scope: Rc<StaticScope>,
}

pub(crate) enum DeclInfo {
    /// `optional` for `a?: …` and `a!: …` (neither makes the field present);
    /// `required` for `a!: …`.
    Field {
        label: LabelInfo,
        label_node: SyntaxNode,
        value: SyntaxNode,
        optional: bool,
        required: bool,
        /// The range of the field's `@embed` attribute, if it has one.
        embed: Option<froyo_syntax::TextRange>,
    },
    Embedding(SyntaxNode),
    Comprehension(SyntaxNode),
    Ellipsis(Option<SyntaxNode>),
}

pub(crate) enum LabelInfo {
    Static(Rc<str>),
    /// An interpolated label (`"\(k)"`) or a parenthesised one (`(k)`).
    Dynamic {
        expr: SyntaxNode,
        parenthesised: bool,
    },
    Pattern {
        alias: Option<Rc<str>>,
        expr: Option<SyntaxNode>,
    },
    /// A quoted label that does not decode.
    Invalid,
}

fn expr_child(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.children().find(|c| ast::Expr::can_cast(c.kind()))
}

impl StructInfo {
    pub fn compile(node: &SyntaxNode) -> StructInfo {
        let mut info = StructInfo {
            decls: Vec::new(),
            has_fields: node.kind() == FIELD,
            has_embeddings: false,
            makes_struct: node.kind() == FIELD,
            scope: Rc::default(),
        };
        let mut scope = StaticScope::default();
        let declarations: Vec<SyntaxNode> =
            if node.kind() == FIELD { vec![node.clone()] } else { node.children().collect() };
        for declaration in declarations {
            match declaration.kind() {
                FIELD => {
                    info.has_fields = true;
                    if let Some(decl) = compile_field(&declaration, &mut scope) {
                        let regular = match &decl {
                            DeclInfo::Field { label: LabelInfo::Static(text), .. } => {
                                super::vertex::LabelKind::of(text)
                                    == super::vertex::LabelKind::Regular
                            }
                            _ => true,
                        };
                        info.makes_struct |= regular;
                        info.decls.push(decl);
                    } else {
                        info.makes_struct = true;
                    }
                }
                EMBEDDING => {
                    info.has_embeddings = true;
                    let Some(expr) = declaration
                        .children()
                        .find(|c| ast::Expr::can_cast(c.kind()) || c.kind() == ALIAS_EXPR)
                    else {
                        continue;
                    };
                    let expr =
                        if expr.kind() == ALIAS_EXPR { expr_child(&expr) } else { Some(expr) };
                    if let Some(expr) = expr {
                        info.decls.push(DeclInfo::Embedding(expr));
                    }
                }
                COMPREHENSION => {
                    info.has_fields = true;
                    info.makes_struct = true;
                    info.decls.push(DeclInfo::Comprehension(declaration));
                }
                ELLIPSIS_DECL => {
                    info.has_fields = true;
                    info.makes_struct = true;
                    info.decls.push(DeclInfo::Ellipsis(expr_child(&declaration)));
                }
                LET_CLAUSE => {
                    info.has_fields = true;
                    let clause = ast::LetClause::cast(declaration.clone());
                    if let Some(clause) = clause
                        && let (Some(name), Some(value)) = (clause.name(), clause.value())
                    {
                        scope.add_let(name.text().into(), value.syntax().clone());
                    }
                }
                _ => {}
            }
        }
        info.scope = Rc::new(scope);
        info
    }
}

/// Compiles a field, adding its static label (and alias) to `scope`.
fn compile_field(field: &SyntaxNode, scope: &mut StaticScope) -> Option<DeclInfo> {
    // The first label and the first value, in one walk of the children.
    let mut label = None;
    let mut value = None;
    for child in field.children() {
        let kind = child.kind();
        if label.is_none() && ast::Label::can_cast(kind) {
            label = ast::Label::cast(child);
        } else if value.is_none()
            && (kind == FIELD || ast::Expr::can_cast(kind) || kind == ALIAS_EXPR)
        {
            value = Some(child);
        }
        if label.is_some() && value.is_some() {
            break;
        }
    }
    let label = label?;
    let name = label.name();
    let static_name: Option<Rc<str>> = match &name {
        Some(ast::LabelName::Ident(token)) => Some(token.text().into()),
        Some(ast::LabelName::String(token)) => match labels::decode_string_literal(token.text()) {
            Ok(Decoded::String(text)) => Some(labels::regular_label(&text).into()),
            _ => None,
        },
        _ => None,
    };
    if let Some(static_name) = &static_name {
        scope.add_label(static_name.clone());
        if let Some(alias) = label.alias() {
            scope.add_alias(alias.text().into(), static_name.clone());
        }
    }
    let value = value?;
    // Attributes end a field, after its value: a field that ends with its
    // value (most do) has none, and its tokens are not walked.
    let has_attributes = value.text_range().end() < field.text_range().end();
    let value = if value.kind() == ALIAS_EXPR { expr_child(&value)? } else { value };
    let required = label.constraint() == ast::Constraint::Required;
    let optional = required || label.constraint() == ast::Constraint::Optional;
    let info = match name? {
        ast::LabelName::Ident(_) | ast::LabelName::String(_) => match static_name {
            Some(text) => LabelInfo::Static(text),
            None => LabelInfo::Invalid,
        },
        ast::LabelName::Interpolation(interpolation) => {
            LabelInfo::Dynamic { expr: interpolation.syntax().clone(), parenthesised: false }
        }
        ast::LabelName::Paren(paren) => {
            LabelInfo::Dynamic { expr: paren.expr()?.syntax().clone(), parenthesised: true }
        }
        ast::LabelName::Pattern(pattern) => match pattern.alias() {
            Some(alias) => LabelInfo::Pattern {
                alias: alias.name().map(|t| Rc::<str>::from(t.text())),
                expr: alias.expr().map(|e| e.syntax().clone()),
            },
            None => {
                LabelInfo::Pattern { alias: None, expr: pattern.expr().map(|e| e.syntax().clone()) }
            }
        },
    };
    let embed = if has_attributes {
        field
            .children_with_tokens()
            .filter_map(|element| element.into_token())
            .find(|token| token.kind() == ATTRIBUTE && token.text().starts_with("@embed("))
            .map(|token| token.text_range())
    } else {
        None
    };
    Some(DeclInfo::Field {
        label: info,
        label_node: label.syntax().clone(),
        value,
        optional,
        required,
        embed,
    })
}

/// The parts of an expression node, extracted once (walking rowan children
/// allocates, and hot expressions are evaluated thousands of times).
pub(crate) enum ExprInfo {
    Name(Rc<str>),
    Paren(Option<SyntaxNode>),
    Selector {
        base: SyntaxNode,
        name: Rc<str>,
    },
    Binary {
        op: froyo_syntax::SyntaxKind,
        op_text: Rc<str>,
        left: SyntaxNode,
        right: SyntaxNode,
    },
    Unary {
        op: froyo_syntax::SyntaxKind,
        op_text: Rc<str>,
        operand: SyntaxNode,
    },
    /// Anything else, or a node missing parts (after a syntax error).
    Other,
}

impl ExprInfo {
    pub fn compile(node: &SyntaxNode) -> ExprInfo {
        let operator = || {
            node.children_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| !t.kind().is_trivia())
        };
        match node.kind() {
            NAME_REF => {
                node.first_token().map_or(ExprInfo::Other, |t| ExprInfo::Name(t.text().into()))
            }
            PAREN_EXPR => ExprInfo::Paren(expr_child(node)),
            SELECTOR_EXPR => {
                let Some(expr) = ast::SelectorExpr::cast(node.clone()) else {
                    return ExprInfo::Other;
                };
                let (Some(base), Some(name)) = (expr.base(), expr.name()) else {
                    return ExprInfo::Other;
                };
                let name: Rc<str> = match name.kind() {
                    STRING => match labels::decode_string_literal(name.text()) {
                        Ok(Decoded::String(text)) => labels::regular_label(&text).into(),
                        _ => name.text().into(),
                    },
                    _ => name.text().into(),
                };
                ExprInfo::Selector { base: base.syntax().clone(), name }
            }
            BINARY_EXPR => {
                let operands: Vec<SyntaxNode> =
                    node.children().filter(|c| ast::Expr::can_cast(c.kind())).collect();
                match (operator(), operands.as_slice()) {
                    (Some(op), [left, right]) => ExprInfo::Binary {
                        op: op.kind(),
                        op_text: op.text().into(),
                        left: left.clone(),
                        right: right.clone(),
                    },
                    _ => ExprInfo::Other,
                }
            }
            UNARY_EXPR => match (operator(), expr_child(node)) {
                (Some(op), Some(operand)) => {
                    ExprInfo::Unary { op: op.kind(), op_text: op.text().into(), operand }
                }
                _ => ExprInfo::Other,
            },
            _ => ExprInfo::Other,
        }
    }
}

/// One clause of a comprehension, with its parts extracted once.
pub(crate) enum ClauseInfo {
    /// `for key, value in source` (either name may be missing after a syntax error).
    For { key: Option<Rc<str>>, value: Option<Rc<str>>, source: Option<SyntaxNode> },
    /// `if condition`.
    If(Option<SyntaxNode>),
    /// `let name = value`.
    Let { name: Option<Rc<str>>, value: Option<SyntaxNode> },
}

/// The clauses of a `COMPREHENSION` node, in order.
pub(crate) fn compile_clauses(node: &SyntaxNode) -> Vec<ClauseInfo> {
    let mut clauses = Vec::new();
    for clause in node.children() {
        match clause.kind() {
            FOR_CLAUSE => {
                let Some(for_clause) = ast::ForClause::cast(clause) else { continue };
                let (key, value) = for_clause.names();
                clauses.push(ClauseInfo::For {
                    key: key.map(|t| Rc::from(t.text())),
                    value: value.map(|t| Rc::from(t.text())),
                    source: for_clause.source().map(|e| e.syntax().clone()),
                });
            }
            IF_CLAUSE => clauses.push(ClauseInfo::If(expr_child(&clause))),
            LET_CLAUSE => {
                let Some(let_clause) = ast::LetClause::cast(clause) else { continue };
                clauses.push(ClauseInfo::Let {
                    name: let_clause.name().map(|t| Rc::from(t.text())),
                    value: let_clause.value().map(|e| e.syntax().clone()),
                });
            }
            _ => {}
        }
    }
    clauses
}
