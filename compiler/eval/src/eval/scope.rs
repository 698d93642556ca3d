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
#[derive(Default)]
pub(crate) struct StaticScope {
    /// Referable names of fields with static labels → their label.
    pub fields: HashMap<String, String>,
    /// `let` clauses: name → the value expression.
    pub lets: HashMap<String, SyntaxNode>,
    /// Label aliases `X=label: …`: alias → label.
    pub aliases: HashMap<String, String>,
    /// Every static label, referable or not (for closedness).
    pub labels: rustc_hash::FxHashSet<String>,
    /// For the files of one package: the names all files declare.
    pub shared: Option<Rc<StaticScope>>,
}

impl StaticScope {
    /// The label a referable field `name` stands for, in this scope.
    pub fn field(&self, name: &str) -> Option<&String> {
        self.fields
            .get(name)
            .or_else(|| self.shared.as_ref().and_then(|shared| shared.fields.get(name)))
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.field(name).is_some()
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
                        self.lets.insert(name.text().to_string(), value.syntax().clone());
                    }
                }
                _ => {}
            }
        }
    }

    fn add_field(&mut self, field: &SyntaxNode) {
        let Some(label) = field.children().find_map(froyo_syntax::ast::Label::cast) else { return };
        if let Some(name) = labels::static_label(&label) {
            self.labels.insert(name.clone());
            if labels::is_identifier(&name) {
                self.fields.insert(name.clone(), name.clone());
            }
            if let Some(alias) = label.alias() {
                self.aliases.insert(alias.text().to_string(), name);
            }
        }
    }
}
