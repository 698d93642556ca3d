//! Lexical scopes: environments of frames, and the names each struct declares.
//!
//! CUE resolves a reference by looking, from the innermost enclosing struct
//! outwards, for a field, `let` or alias of that name declared *in the
//! source* of the struct. The struct literal is instantiated in a vertex
//! (the field being evaluated, a disjunct, a value built from a definition),
//! so the frame binds the literal's static names to that vertex's arcs: the
//! same `#Def` literal refers to different vertices in each value built
//! from it. That is what makes schemas with self-references work.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;

use froyo_syntax::{SyntaxKind::*, SyntaxNode, ast::AstNode};

use super::labels;
use crate::value::{Value, VertexId};

pub(crate) type Env = Rc<Frame>;

pub(crate) struct Frame {
    pub parent: Option<Env>,
    pub kind: FrameKind,
    /// The file of the nearest `File` frame, if any: spans of expressions
    /// evaluated here need it, and walking the frames for it showed.
    pub file: Option<u32>,
}

impl Frame {
    pub fn new(parent: Option<Env>, kind: FrameKind) -> Frame {
        let file = match &kind {
            FrameKind::File { file, .. } => Some(*file),
            _ => parent.as_ref().and_then(|parent| parent.file),
        };
        Frame { parent, kind, file }
    }
}

pub(crate) enum FrameKind {
    /// A file: its index and imports (name → package path).
    File { file: u32, imports: HashMap<String, String> },
    /// A struct literal instantiated in `vertex`.
    Struct { scope: Rc<StaticScope>, vertex: VertexId, let_values: RefCell<HashMap<String, Value>> },
    /// Names bound to values: comprehension variables, `let` clauses of
    /// comprehensions, pattern label aliases.
    Values(Vec<(Rc<str>, Value)>),
}

/// What a struct literal declares, by name, as written.
///
/// Most literals declare a handful of names, so lookups scan vectors; a
/// literal with many fields gets a hash index of its labels.
#[derive(Default)]
pub(crate) struct StaticScope {
    /// Every static label, referable or not (for closedness), with whether
    /// it is referable as an identifier.
    labels: Vec<(Rc<str>, bool)>,
    /// Position in `labels` by label, for literals with many fields.
    index: Option<HashMap<Rc<str>, usize>>,
    /// `let` clauses: name → the value expression.
    lets: Vec<(Rc<str>, SyntaxNode)>,
    /// Label aliases `X=label: …`: alias → label.
    aliases: Vec<(Rc<str>, Rc<str>)>,
    /// For the files of one package: the names all files declare.
    pub shared: Option<Rc<StaticScope>>,
}

/// Scopes with more labels than this index them.
const INDEX_THRESHOLD: usize = 8;

impl StaticScope {
    /// The position of `label` in `labels`.
    fn position(&self, label: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(label).copied(),
            None => self.labels.iter().position(|(known, _)| labels::same_label(known, label)),
        }
    }

    /// The label a referable field `name` stands for, in this scope.
    pub fn field(&self, name: &str) -> Option<&Rc<str>> {
        let own =
            self.position(name).map(|at| &self.labels[at]).filter(|(_, referable)| *referable);
        match own {
            Some((label, _)) => Some(label),
            None => self.shared.as_ref().and_then(|shared| shared.field(name)),
        }
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// The static labels the literal declares (shared names not included).
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|(label, _)| label.as_ref())
    }

    /// Whether the literal declares the static label `label` (shared names not included).
    pub fn has_label(&self, label: &str) -> bool {
        self.position(label).is_some()
    }

    /// The value expression of `let name = …`.
    pub fn let_expr(&self, name: &str) -> Option<&SyntaxNode> {
        self.lets.iter().find(|(known, _)| known.as_ref() == name).map(|(_, expr)| expr)
    }

    /// The label an alias `name=label: …` stands for.
    pub fn alias(&self, name: &str) -> Option<&Rc<str>> {
        // A later alias of the same name replaces an earlier one.
        self.aliases.iter().rev().find(|(known, _)| known.as_ref() == name).map(|(_, label)| label)
    }

    /// Adds a static label (referable when it is an identifier).
    pub fn add_label(&mut self, label: Rc<str>) {
        if self.has_label(&label) {
            return;
        }
        let referable = labels::is_identifier(&label);
        if let Some(index) = &mut self.index {
            index.insert(label.clone(), self.labels.len());
        }
        self.labels.push((label, referable));
        if self.index.is_none() && self.labels.len() > INDEX_THRESHOLD {
            self.index = Some(
                self.labels
                    .iter()
                    .enumerate()
                    .map(|(at, (label, _))| (label.clone(), at))
                    .collect(),
            );
        }
    }

    pub fn add_alias(&mut self, alias: Rc<str>, label: Rc<str>) {
        self.aliases.push((alias, label));
    }

    pub fn add_let(&mut self, name: Rc<str>, expr: SyntaxNode) {
        // A later clause of the same name replaces an earlier one.
        if let Some(existing) = self.lets.iter_mut().find(|(known, _)| *known == name) {
            existing.1 = expr;
        } else {
            self.lets.push((name, expr));
        }
    }

    /// The names declared by the declarations of `node` (a `STRUCT_LIT`,
    /// `SOURCE_FILE`, or a shorthand `FIELD`).
    pub fn of(node: &SyntaxNode) -> StaticScope {
        let mut scope = StaticScope::default();
        scope.add_declarations(node);
        scope
    }

    pub fn add_declarations(&mut self, node: &SyntaxNode) {
        if node.kind() == FIELD {
            self.add_field(node);
            return;
        }
        for child in node.children() {
            match child.kind() {
                FIELD => self.add_field(&child),
                LET_CLAUSE => {
                    let clause = froyo_syntax::ast::LetClause::cast(child.clone());
                    if let Some(clause) = clause
                        && let (Some(name), Some(value)) = (clause.name(), clause.value())
                    {
                        self.add_let(name.text().into(), value.syntax().clone());
                    }
                }
                _ => {}
            }
        }
    }

    fn add_field(&mut self, field: &SyntaxNode) {
        let Some(label) = field.children().find_map(froyo_syntax::ast::Label::cast) else { return };
        if let Some(name) = labels::static_label(&label) {
            let name: Rc<str> = name.into();
            self.add_label(name.clone());
            if let Some(alias) = label.alias() {
                self.add_alias(alias.text().into(), name);
            }
        }
    }
}
