//! A typed view over the untyped syntax tree.
//!
//! Each AST type wraps a [`SyntaxNode`] of one kind and offers accessors for
//! its parts. Accessors return `Option` because the tree may be incomplete
//! (it is built from text with errors); they never panic.
//!
//! Start with [`SourceFile`]; declarations are [`Decl`], expressions [`Expr`].

use crate::{SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken};

/// A typed node.
pub trait AstNode: Sized {
    fn can_cast(kind: SyntaxKind) -> bool;
    fn cast(node: SyntaxNode) -> Option<Self>;
    fn syntax(&self) -> &SyntaxNode;
}

macro_rules! ast_node {
    ($(#[$meta:meta])* $name:ident = $kind:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            pub(crate) syntax: SyntaxNode,
        }

        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                kind == $kind
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                Self::can_cast(node.kind()).then(|| $name { syntax: node })
            }
            fn syntax(&self) -> &SyntaxNode {
                &self.syntax
            }
        }
    };
}

fn child<N: AstNode>(parent: &SyntaxNode) -> Option<N> {
    parent.children().find_map(N::cast)
}

fn children<N: AstNode>(parent: &SyntaxNode) -> impl Iterator<Item = N> + use<N> {
    parent.children().filter_map(N::cast)
}

fn token(parent: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    parent
        .children_with_tokens()
        .filter_map(|element| element.into_token())
        .find(|token| token.kind() == kind)
}

ast_node!(/// A whole file.
    SourceFile = SOURCE_FILE);
ast_node!(/// `package name`.
    PackageClause = PACKAGE_CLAUSE);
ast_node!(/// `import …`, single or grouped.
    ImportDecl = IMPORT_DECL);
ast_node!(/// One imported path with its optional alias.
    ImportSpec = IMPORT_SPEC);
ast_node!(/// An attribute standing as a declaration.
    AttributeDecl = ATTRIBUTE_DECL);
ast_node!(/// `label: value`.
    Field = FIELD);
ast_node!(/// The label of a field.
    Label = LABEL);
ast_node!(/// An expression embedded in a struct.
    Embedding = EMBEDDING);
ast_node!(/// `...` with an optional type.
    EllipsisDecl = ELLIPSIS_DECL);
ast_node!(/// `let name = value`.
    LetClause = LET_CLAUSE);
ast_node!(/// Clauses and a struct body.
    Comprehension = COMPREHENSION);
ast_node!(/// `for k, v in expr`.
    ForClause = FOR_CLAUSE);
ast_node!(/// `if expr`.
    IfClause = IF_CLAUSE);
ast_node!(/// `X=expr`.
    AliasExpr = ALIAS_EXPR);
ast_node!(/// `{ … }`.
    StructLit = STRUCT_LIT);
ast_node!(/// `[ … ]`.
    ListLit = LIST_LIT);
ast_node!(/// A number, string, bytes, `null`, boolean or `_|_`.
    Literal = LITERAL);
ast_node!(/// A string with `\(…)` interpolations.
    Interpolation = INTERPOLATION);
ast_node!(/// A reference by name.
    NameRef = NAME_REF);
ast_node!(/// `( expr )`.
    ParenExpr = PAREN_EXPR);
ast_node!(/// `expr.name`.
    SelectorExpr = SELECTOR_EXPR);
ast_node!(/// `expr[index]`.
    IndexExpr = INDEX_EXPR);
ast_node!(/// `expr[low:high]`.
    SliceExpr = SLICE_EXPR);
ast_node!(/// `expr(args)`.
    CallExpr = CALL_EXPR);
ast_node!(/// `op expr`.
    UnaryExpr = UNARY_EXPR);
ast_node!(/// `lhs op rhs`.
    BinaryExpr = BINARY_EXPR);
ast_node!(/// `(expr): value` label part.
    ParenLabel = PAREN_LABEL);
ast_node!(/// `[expr]: value` label part.
    PatternLabel = PATTERN_LABEL);

impl SourceFile {
    pub fn package(&self) -> Option<PackageClause> {
        child(&self.syntax)
    }
    pub fn imports(&self) -> impl Iterator<Item = ImportDecl> + use<> {
        children(&self.syntax)
    }
    pub fn decls(&self) -> impl Iterator<Item = Decl> + use<> {
        self.syntax.children().filter_map(Decl::cast)
    }
}

impl PackageClause {
    pub fn name(&self) -> Option<SyntaxToken> {
        token(&self.syntax, IDENT)
    }
}

impl ImportDecl {
    pub fn specs(&self) -> impl Iterator<Item = ImportSpec> + use<> {
        children(&self.syntax)
    }
}

impl ImportSpec {
    pub fn alias(&self) -> Option<SyntaxToken> {
        token(&self.syntax, IDENT)
    }
    /// The path string token, quotes included.
    pub fn path(&self) -> Option<SyntaxToken> {
        token(&self.syntax, STRING)
    }
}

impl AttributeDecl {
    pub fn attribute(&self) -> Option<SyntaxToken> {
        token(&self.syntax, ATTRIBUTE)
    }
}

/// A declaration in a struct or file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decl {
    Field(Field),
    Embedding(Embedding),
    Ellipsis(EllipsisDecl),
    Let(LetClause),
    Comprehension(Comprehension),
    Attribute(AttributeDecl),
}

impl Decl {
    pub fn cast(node: SyntaxNode) -> Option<Decl> {
        Some(match node.kind() {
            FIELD => Decl::Field(Field { syntax: node }),
            EMBEDDING => Decl::Embedding(Embedding { syntax: node }),
            ELLIPSIS_DECL => Decl::Ellipsis(EllipsisDecl { syntax: node }),
            LET_CLAUSE => Decl::Let(LetClause { syntax: node }),
            COMPREHENSION => Decl::Comprehension(Comprehension { syntax: node }),
            ATTRIBUTE_DECL => Decl::Attribute(AttributeDecl { syntax: node }),
            _ => return None,
        })
    }

    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Decl::Field(it) => &it.syntax,
            Decl::Embedding(it) => &it.syntax,
            Decl::Ellipsis(it) => &it.syntax,
            Decl::Let(it) => &it.syntax,
            Decl::Comprehension(it) => &it.syntax,
            Decl::Attribute(it) => &it.syntax,
        }
    }
}

/// The value of a field: an expression or, for `a: b: 1`, a nested field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    Expr(Expr),
    Alias(AliasExpr),
    Field(Field),
}

impl Field {
    pub fn label(&self) -> Option<Label> {
        child(&self.syntax)
    }
    pub fn value(&self) -> Option<FieldValue> {
        self.syntax.children().find_map(|node| match node.kind() {
            FIELD => Some(FieldValue::Field(Field { syntax: node })),
            ALIAS_EXPR => Some(FieldValue::Alias(AliasExpr { syntax: node })),
            _ => Expr::cast(node).map(FieldValue::Expr),
        })
    }
    pub fn attributes(&self) -> impl Iterator<Item = SyntaxToken> + use<> {
        self.syntax
            .children_with_tokens()
            .filter_map(|element| element.into_token())
            .filter(|token| token.kind() == ATTRIBUTE)
    }
}

/// What a label names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelName {
    /// An identifier (`a`, `#A`, `_a`, or a keyword used as a label).
    Ident(SyntaxToken),
    /// A quoted label.
    String(SyntaxToken),
    Interpolation(Interpolation),
    Paren(ParenLabel),
    Pattern(PatternLabel),
}

/// Whether a field is regular, optional (`?`) or required (`!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    Regular,
    Optional,
    Required,
}

impl Label {
    /// The alias before `=`, if any.
    pub fn alias(&self) -> Option<SyntaxToken> {
        use rowan::Language;
        // Most labels have no alias: decide that from the green tree, as
        // walking the cursor tree allocates a node per child.
        let green = self.syntax.green();
        let mut kinds = green
            .children()
            .filter_map(|child| {
                child.as_token().map(|t| crate::CueLanguage::kind_from_raw(t.kind()))
            })
            .filter(|kind| !kind.is_trivia());
        if !matches!((kinds.next(), kinds.next()), (Some(IDENT), Some(EQ))) {
            return None;
        }
        let mut tokens = self
            .syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia());
        let first = tokens.next()?;
        let second = tokens.next()?;
        (first.kind() == IDENT && second.kind() == EQ).then_some(first)
    }

    pub fn name(&self) -> Option<LabelName> {
        let has_alias = self.alias().is_some();
        let mut skip = if has_alias { 2 } else { 0 };
        for element in self.syntax.children_with_tokens() {
            match element {
                rowan::NodeOrToken::Token(token) if token.kind().is_trivia() => {}
                rowan::NodeOrToken::Token(token) => {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    return match token.kind() {
                        IDENT | BOTTOM => Some(LabelName::Ident(token)),
                        STRING => Some(LabelName::String(token)),
                        _ => None,
                    };
                }
                rowan::NodeOrToken::Node(node) => {
                    return match node.kind() {
                        INTERPOLATION => {
                            Some(LabelName::Interpolation(Interpolation { syntax: node }))
                        }
                        PAREN_LABEL => Some(LabelName::Paren(ParenLabel { syntax: node })),
                        PATTERN_LABEL => Some(LabelName::Pattern(PatternLabel { syntax: node })),
                        _ => None,
                    };
                }
            }
        }
        None
    }

    pub fn constraint(&self) -> Constraint {
        use rowan::Language;
        // The last token, found in the green tree.
        let mut green = self.syntax.green().into_owned();
        let last = loop {
            match green.children().last() {
                Some(rowan::NodeOrToken::Token(token)) => {
                    break Some(crate::CueLanguage::kind_from_raw(token.kind()));
                }
                Some(rowan::NodeOrToken::Node(node)) => green = node.to_owned(),
                None => break None,
            }
        };
        match last {
            Some(QUESTION) => Constraint::Optional,
            Some(BANG) => Constraint::Required,
            _ => Constraint::Regular,
        }
    }
}

impl ParenLabel {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl PatternLabel {
    pub fn alias(&self) -> Option<AliasExpr> {
        child(&self.syntax)
    }
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl Embedding {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn alias(&self) -> Option<AliasExpr> {
        child(&self.syntax)
    }
}

impl EllipsisDecl {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl LetClause {
    pub fn name(&self) -> Option<SyntaxToken> {
        token(&self.syntax, IDENT)
    }
    pub fn value(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

/// One clause of a comprehension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Clause {
    For(ForClause),
    If(IfClause),
    Let(LetClause),
}

impl Comprehension {
    pub fn clauses(&self) -> impl Iterator<Item = Clause> + use<> {
        self.syntax.children().filter_map(|node| match node.kind() {
            FOR_CLAUSE => Some(Clause::For(ForClause { syntax: node })),
            IF_CLAUSE => Some(Clause::If(IfClause { syntax: node })),
            LET_CLAUSE => Some(Clause::Let(LetClause { syntax: node })),
            _ => None,
        })
    }
    pub fn body(&self) -> Option<StructLit> {
        child(&self.syntax)
    }
}

impl ForClause {
    /// `(key, value)` for `for k, v in`, `(None, value)` for `for v in`.
    pub fn names(&self) -> (Option<SyntaxToken>, Option<SyntaxToken>) {
        let names: Vec<SyntaxToken> = self
            .syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == IDENT)
            .collect();
        match names.as_slice() {
            [value] => (None, Some(value.clone())),
            [key, value, ..] => (Some(key.clone()), Some(value.clone())),
            [] => (None, None),
        }
    }
    pub fn source(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl IfClause {
    pub fn condition(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl AliasExpr {
    pub fn name(&self) -> Option<SyntaxToken> {
        token(&self.syntax, IDENT)
    }
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    Struct(StructLit),
    List(ListLit),
    Literal(Literal),
    Interpolation(Interpolation),
    Name(NameRef),
    Paren(ParenExpr),
    Selector(SelectorExpr),
    Index(IndexExpr),
    Slice(SliceExpr),
    Call(CallExpr),
    Unary(UnaryExpr),
    Binary(BinaryExpr),
}

impl Expr {
    /// Whether nodes of `kind` are expressions.
    pub fn can_cast(kind: SyntaxKind) -> bool {
        matches!(
            kind,
            STRUCT_LIT
                | LIST_LIT
                | LITERAL
                | INTERPOLATION
                | NAME_REF
                | PAREN_EXPR
                | SELECTOR_EXPR
                | INDEX_EXPR
                | SLICE_EXPR
                | CALL_EXPR
                | UNARY_EXPR
                | BINARY_EXPR
        )
    }

    pub fn cast(node: SyntaxNode) -> Option<Expr> {
        Some(match node.kind() {
            STRUCT_LIT => Expr::Struct(StructLit { syntax: node }),
            LIST_LIT => Expr::List(ListLit { syntax: node }),
            LITERAL => Expr::Literal(Literal { syntax: node }),
            INTERPOLATION => Expr::Interpolation(Interpolation { syntax: node }),
            NAME_REF => Expr::Name(NameRef { syntax: node }),
            PAREN_EXPR => Expr::Paren(ParenExpr { syntax: node }),
            SELECTOR_EXPR => Expr::Selector(SelectorExpr { syntax: node }),
            INDEX_EXPR => Expr::Index(IndexExpr { syntax: node }),
            SLICE_EXPR => Expr::Slice(SliceExpr { syntax: node }),
            CALL_EXPR => Expr::Call(CallExpr { syntax: node }),
            UNARY_EXPR => Expr::Unary(UnaryExpr { syntax: node }),
            BINARY_EXPR => Expr::Binary(BinaryExpr { syntax: node }),
            _ => return None,
        })
    }

    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Expr::Struct(it) => &it.syntax,
            Expr::List(it) => &it.syntax,
            Expr::Literal(it) => &it.syntax,
            Expr::Interpolation(it) => &it.syntax,
            Expr::Name(it) => &it.syntax,
            Expr::Paren(it) => &it.syntax,
            Expr::Selector(it) => &it.syntax,
            Expr::Index(it) => &it.syntax,
            Expr::Slice(it) => &it.syntax,
            Expr::Call(it) => &it.syntax,
            Expr::Unary(it) => &it.syntax,
            Expr::Binary(it) => &it.syntax,
        }
    }
}

impl StructLit {
    pub fn decls(&self) -> impl Iterator<Item = Decl> + use<> {
        self.syntax.children().filter_map(Decl::cast)
    }
}

/// An element of a list literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListElement {
    Expr(Expr),
    Alias(AliasExpr),
    Comprehension(Comprehension),
    Ellipsis(EllipsisDecl),
}

impl ListLit {
    pub fn elements(&self) -> impl Iterator<Item = ListElement> + use<> {
        self.syntax.children().filter_map(|node| match node.kind() {
            ALIAS_EXPR => Some(ListElement::Alias(AliasExpr { syntax: node })),
            COMPREHENSION => Some(ListElement::Comprehension(Comprehension { syntax: node })),
            ELLIPSIS_DECL => Some(ListElement::Ellipsis(EllipsisDecl { syntax: node })),
            _ => Expr::cast(node).map(ListElement::Expr),
        })
    }
}

impl Literal {
    pub fn token(&self) -> Option<SyntaxToken> {
        self.syntax.first_token()
    }
}

impl Interpolation {
    /// The string fragments (`INTERP_START`, `INTERP_MID`, `INTERP_END`).
    pub fn fragments(&self) -> impl Iterator<Item = SyntaxToken> + use<> {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| matches!(t.kind(), INTERP_START | INTERP_MID | INTERP_END))
    }
    pub fn exprs(&self) -> impl Iterator<Item = Expr> + use<> {
        self.syntax.children().filter_map(Expr::cast)
    }
}

impl NameRef {
    pub fn ident(&self) -> Option<SyntaxToken> {
        token(&self.syntax, IDENT)
    }
}

impl ParenExpr {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl SelectorExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// The selected name (`IDENT` or `STRING`).
    pub fn name(&self) -> Option<SyntaxToken> {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| matches!(t.kind(), IDENT | STRING))
            .last()
    }
}

impl IndexExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn index(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
}

impl SliceExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// The bounds, either of which may be absent.
    pub fn bounds(&self) -> (Option<Expr>, Option<Expr>) {
        let mut low = None;
        let mut high = None;
        let mut after_colon = false;
        for element in self.syntax.children_with_tokens().skip(1) {
            match element {
                rowan::NodeOrToken::Token(token) if token.kind() == COLON => after_colon = true,
                rowan::NodeOrToken::Node(node) => {
                    if let Some(expr) = Expr::cast(node) {
                        if after_colon { high = Some(expr) } else { low = Some(expr) }
                    }
                }
                _ => {}
            }
        }
        (low, high)
    }
}

impl CallExpr {
    pub fn callee(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn args(&self) -> impl Iterator<Item = Expr> + use<> {
        self.syntax
            .children()
            .find(|node| node.kind() == ARG_LIST)
            .into_iter()
            .flat_map(|list| list.children().filter_map(Expr::cast).collect::<Vec<_>>())
    }
}

impl UnaryExpr {
    pub fn op(&self) -> Option<SyntaxToken> {
        self.syntax.first_token()
    }
    pub fn operand(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl BinaryExpr {
    pub fn lhs(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn rhs(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
    /// The operator token.
    pub fn op(&self) -> Option<SyntaxToken> {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| !t.kind().is_trivia())
    }
}
