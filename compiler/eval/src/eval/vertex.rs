//! Vertices and their evaluation: unifying conjuncts into one value.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use froyo_diagnostics::registry;
use froyo_syntax::{SyntaxKind::*, SyntaxNode, ast};

use super::literal::{DeclInfo, ExprInfo, LabelInfo, StructInfo};
use super::{Env, Evaluator, Frame, FrameKind};
use crate::value::{Alternative, Constraint, EvalError, Kinds, Scalar, Span, Value, VertexId};

/// Vertices with at least this many arcs get a hash index of them.
const ARC_INDEX_THRESHOLD: usize = 12;

/// How a field's label makes it behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelKind {
    Regular,
    /// `#name` and `_#name`: not exported, closed when referenced.
    Definition,
    /// `_name`: not exported.
    Hidden,
}

impl LabelKind {
    pub fn of(label: &str) -> LabelKind {
        if label.starts_with('#') || label.starts_with("_#") {
            LabelKind::Definition
        } else if label.starts_with('_') {
            LabelKind::Hidden
        } else {
            LabelKind::Regular
        }
    }
}

/// Identifies a closedness group (never zero, so that an optional id
/// takes no more room than an id).
pub(crate) type CloseId = std::num::NonZeroU64;

/// One contribution to a vertex's value.
#[derive(Clone)]
pub(crate) struct Conjunct {
    pub kind: ConjunctKind,
    /// The closedness group this conjunct belongs to (from a definition).
    pub close: Option<CloseId>,
}

#[derive(Clone)]
pub(crate) enum ConjunctKind {
    /// An expression in its environment.
    Expr(SyntaxNode, Env),
    /// An already evaluated value.
    Value(Value, Option<Span>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Unevaluated,
    Evaluating,
    Done,
}

/// A closedness group: the labels allowed by one definition reference.
#[derive(Default, Clone)]
pub(crate) struct CloseGroup {
    /// Struct literals whose static labels the group allows.
    pub scopes: Vec<Rc<super::StaticScope>>,
    /// Labels computed at evaluation time (`(k): v`, `"\(k)": v`).
    pub labels: HashSet<Rc<str>>,
    pub patterns: Vec<Value>,
    pub open: bool,
}

/// A pattern constraint `[pattern]: value`.
#[derive(Clone)]
pub(crate) struct Pattern {
    pub pattern: Value,
    pub value: SyntaxNode,
    pub env: Env,
    pub alias: Option<Rc<str>>,
    pub close: Option<CloseId>,
}

/// A node of the value tree.
pub(crate) struct Vertex {
    pub parent: Option<VertexId>,
    pub label: Rc<str>,
    /// [`super::labels::label_prefix`] of the label: arc lookups compare it
    /// instead of reading each sibling's label text.
    pub label_prefix: u64,
    pub label_kind: LabelKind,
    /// All conjuncts declare the field optional (`a?: …`) or required (`a!: …`).
    pub optional: bool,
    /// Some conjunct declares the field required (`a!: …`): while no
    /// regular conjunct gives it (`optional` stays true), exporting its
    /// struct is an error.
    pub required: bool,
    pub conjuncts: Vec<Conjunct>,
    pub state: State,
    pub arcs: Vec<VertexId>,
    /// Arcs by label, built once a vertex has many arcs (small structs scan `arcs`).
    pub arc_index: Option<Box<HashMap<Rc<str>, VertexId>>>,
    /// The value once evaluated: `Struct`/`List` of this vertex, a scalar,
    /// a constraint, a disjunction or an error.
    pub value: Value,
    /// When a disjunction resolved to one alternative, the vertex holding it.
    pub forward: Option<VertexId>,
    /// A concrete value known while the vertex is still being evaluated.
    pub partial: Option<Value>,
    pub depth: u32,
    pub is_list: bool,
    /// Embedded expressions whose disjunction this vertex resolves itself.
    pub skip: Option<Box<HashSet<SyntaxNode>>>,
    /// Built by `close()`: closed at the top level only.
    pub shallow_close: bool,
    /// Its errors were collected already (export visits each vertex once).
    pub error_checked: bool,
    /// Being exported (a re-entry is a structural cycle).
    pub exporting: bool,
}

impl Vertex {
    fn new(parent: Option<VertexId>, label: Rc<str>, depth: u32) -> Vertex {
        Vertex {
            parent,
            label_kind: LabelKind::of(&label),
            label_prefix: super::labels::label_prefix(&label),
            label,
            optional: true,
            required: false,
            conjuncts: Vec::new(),
            state: State::Unevaluated,
            arcs: Vec::new(),
            arc_index: None,
            value: Value::top(),
            forward: None,
            partial: None,
            depth,
            is_list: false,
            skip: None,
            shallow_close: false,
            error_checked: false,
            exporting: false,
        }
    }
}

/// Whether a vertex value built from constant conjuncts can be shared by
/// other vertices with the same conjuncts: values that hold no vertex.
fn shareable(value: &Value) -> bool {
    match value {
        Value::Scalar(_) | Value::Constraint(_) => true,
        Value::Disjunction(alternatives) => alternatives.iter().all(|alternative| {
            matches!(alternative.value, Value::Scalar(_) | Value::Constraint(_))
        }),
        _ => false,
    }
}

/// Whether `constraint` says nothing (the value is `_` so far).
fn acc_constraint_is_top(constraint: &Constraint) -> bool {
    constraint.kinds == Kinds::TOP
        && constraint.bounds.is_empty()
        && constraint.validators.is_empty()
        && constraint.schemas.is_empty()
}

/// What evaluating a vertex accumulates.
struct Acc {
    constraint: Constraint,
    scalar: Option<(Scalar, Option<Span>)>,
    errors: Vec<Rc<EvalError>>,
    incomplete: Vec<Rc<EvalError>>,
    disjunctions: Vec<Rc<[Alternative]>>,
    skip: HashSet<SyntaxNode>,
    /// Conjuncts to repeat in each disjunct.
    kept: Vec<Conjunct>,
    /// A struct literal with fields (or an empty one) or a struct value was seen.
    struct_required: bool,
    struct_span: Option<Span>,
    lists: Vec<ListPart>,
    groups: HashMap<CloseId, CloseGroup>,
    patterns: Vec<Pattern>,
    comprehensions: VecDeque<(SyntaxNode, Env, Option<CloseId>)>,
    /// The group of definitions embedded in one struct literal instance.
    embed_groups: HashMap<(SyntaxNode, VertexId), CloseId>,
    /// Closedness from `close()` or a definition value with no group of its own.
    /// Conjuncts that hit a cycle, each with the struct literal it is
    /// embedded in, if any.
    deferred_cycles: Vec<(Conjunct, Option<SyntaxNode>)>,
    /// A function value (`_fn: strings.ToUpper`), with where it was given.
    /// Boxed: rare, and every vertex evaluation builds and moves an `Acc`.
    func: Option<Box<(Value, Option<Span>)>>,
}

impl Acc {
    /// Records an error: incomplete ones only matter if nothing else decides the value.
    fn push_error(&mut self, error: Rc<EvalError>) {
        if error.incomplete {
            self.incomplete.push(error);
        } else {
            self.errors.push(error);
        }
    }
}

/// How a field is declared: `a: …`, `a?: …` (optional) or `a!: …`
/// (optional and required).
#[derive(Clone, Copy)]
struct FieldKind {
    optional: bool,
    required: bool,
    /// The field's `@embed` attribute.
    embed: Option<froyo_syntax::TextRange>,
}

struct ListPart {
    elements: Vec<Conjunct>,
    tail: Option<Conjunct>,
    open: bool,
    span: Option<Span>,
}

pub(crate) struct Item {
    conjunct: Conjunct,
    /// Regenerated by another kept conjunct (embeddings, comprehension bodies).
    derived: bool,
    /// For embeddings: the struct literal's labels join a closed embedded group.
    embedded_in: Option<SyntaxNode>,
}

impl Evaluator {
    pub fn new_vertex(&mut self, parent: Option<VertexId>, label: Rc<str>) -> VertexId {
        if self.vertices.len() >= self.limits.max_vertices {
            // Evaluation winds down; the vertex is still made, so that callers
            // need no failure path.
            self.exhausted = true;
        }
        let depth = parent.map_or(0, |p| self.vertices[p as usize].depth + 1);
        self.vertices.push(Vertex::new(parent, label, depth));
        (self.vertices.len() - 1) as VertexId
    }

    /// A fresh vertex holding `conjuncts`, not yet evaluated.
    pub fn vertex_with(
        &mut self,
        parent: Option<VertexId>,
        label: Rc<str>,
        conjuncts: Vec<Conjunct>,
    ) -> VertexId {
        let id = self.new_vertex(parent, label);
        self.vertices[id as usize].conjuncts = conjuncts;
        self.vertices[id as usize].optional = false;
        id
    }

    /// Follows disjunction forwards to the vertex that holds the value.
    pub fn resolve(&self, mut id: VertexId) -> VertexId {
        while let Some(next) = self.vertices[id as usize].forward {
            id = next;
        }
        id
    }

    pub fn arc(&self, parent: VertexId, label: &str) -> Option<VertexId> {
        let parent = self.resolve(parent);
        let vertex = &self.vertices[parent as usize];
        match &vertex.arc_index {
            Some(index) => index.get(label).copied(),
            None => {
                // Length and prefix decide labels of up to eight bytes; only
                // longer ones with the same start need their text compared.
                let prefix = super::labels::label_prefix(label);
                vertex.arcs.iter().copied().find(|&arc| {
                    let arc = &self.vertices[arc as usize];
                    arc.label_prefix == prefix
                        && arc.label.len() == label.len()
                        && (label.len() <= 8 || arc.label.as_ref() == label)
                })
            }
        }
    }

    pub fn get_or_add_arc(&mut self, parent: VertexId, label: &str) -> VertexId {
        let parent = self.resolve(parent);
        if let Some(id) = self.arc(parent, label) {
            return id;
        }
        self.insert_arc(parent, label.into())
    }

    /// Like [`Self::get_or_add_arc`], reusing the caller's label.
    pub fn get_or_add_arc_rc(&mut self, parent: VertexId, label: &Rc<str>) -> VertexId {
        let parent = self.resolve(parent);
        if let Some(id) = self.arc(parent, label) {
            return id;
        }
        self.insert_arc(parent, label.clone())
    }

    fn insert_arc(&mut self, parent: VertexId, label: Rc<str>) -> VertexId {
        let id = self.new_vertex(Some(parent), label.clone());
        let arcs = &self.vertices[parent as usize].arcs;
        let index_needed =
            arcs.len() >= ARC_INDEX_THRESHOLD && self.vertices[parent as usize].arc_index.is_none();
        if index_needed {
            let index: HashMap<Rc<str>, VertexId> =
                arcs.iter().map(|&arc| (self.vertices[arc as usize].label.clone(), arc)).collect();
            self.vertices[parent as usize].arc_index = Some(Box::new(index));
        }
        let vertex = &mut self.vertices[parent as usize];
        vertex.arcs.push(id);
        if let Some(index) = &mut vertex.arc_index {
            index.insert(label, id);
        }
        id
    }

    pub fn add_arc_conjunct(
        &mut self,
        parent: VertexId,
        label: &str,
        conjunct: Conjunct,
        optional: bool,
    ) -> VertexId {
        let id = self.get_or_add_arc(parent, label);
        self.push_arc_conjunct(id, conjunct, optional)
    }

    /// Like [`Self::add_arc_conjunct`], reusing the caller's label.
    fn add_arc_conjunct_rc(
        &mut self,
        parent: VertexId,
        label: &Rc<str>,
        conjunct: Conjunct,
        optional: bool,
    ) -> VertexId {
        let id = self.get_or_add_arc_rc(parent, label);
        self.push_arc_conjunct(id, conjunct, optional)
    }

    fn push_arc_conjunct(&mut self, id: VertexId, conjunct: Conjunct, optional: bool) -> VertexId {
        let vertex = &mut self.vertices[id as usize];
        if vertex.conjuncts.capacity() == 0 {
            vertex.conjuncts.reserve_exact(2);
        }
        vertex.conjuncts.push(conjunct);
        if !optional {
            vertex.optional = false;
        }
        id
    }

    fn is_ancestor(&self, candidate: VertexId, of: VertexId) -> bool {
        let mut current = self.vertices[of as usize].parent;
        while let Some(id) = current {
            if id == candidate {
                return true;
            }
            current = self.vertices[id as usize].parent;
        }
        false
    }

    /// The value of a vertex, evaluating it if needed.
    pub fn value_of(&mut self, id: VertexId) -> Value {
        let id = self.resolve(id);
        match self.vertices[id as usize].state {
            State::Done => self.vertices[id as usize].value.clone(),
            State::Evaluating => match &self.vertices[id as usize].partial {
                Some(value) => value.clone(),
                None => Value::Bottom(Rc::new(EvalError {
                    code: &registry::CYCLE,
                    message: "cycle: the value depends on itself".to_string(),
                    spans: Vec::new(),
                    incomplete: true,
                    path: String::new(),
                    labels: Vec::new(),
                    help: None,
                })),
            },
            State::Unevaluated => {
                self.evaluate(id);
                let id = self.resolve(id);
                self.vertices[id as usize].value.clone()
            }
        }
    }

    /// Evaluates a vertex: decides its value and the set of its arcs.
    pub fn evaluate(&mut self, id: VertexId) {
        let id = self.resolve(id);
        if self.vertices[id as usize].state != State::Unevaluated {
            return;
        }
        if !self.step() {
            self.vertices[id as usize].state = State::Done;
            self.vertices[id as usize].value =
                Value::error(&registry::EVALUATION_LIMIT, self.limit_error().message, Vec::new());
            return;
        }
        if self.vertices[id as usize].depth > self.limits.max_depth {
            self.vertices[id as usize].state = State::Done;
            self.vertices[id as usize].value = Value::error(
                &registry::CYCLE,
                format!("structural cycle or nesting deeper than {} levels", self.limits.max_depth),
                self.vertices[id as usize]
                    .conjuncts
                    .iter()
                    .filter_map(|c| self.conjunct_span(c))
                    .take(2)
                    .collect(),
            );
            return;
        }
        // Conjuncts that refer to nothing give the same value wherever they
        // meet: every instance of a definition shares one evaluation.
        let constant_key = self.constant_key(id);
        if let Some(key) = &constant_key
            && let Some(value) = self.constant_vertex_values.get(key)
        {
            let vertex = &mut self.vertices[id as usize];
            vertex.value = value.clone();
            vertex.state = State::Done;
            return;
        }
        self.vertices[id as usize].state = State::Evaluating;
        self.evaluating += 1;
        let mut acc = Acc {
            constraint: Constraint::top(),
            scalar: None,
            errors: Vec::new(),
            incomplete: Vec::new(),
            disjunctions: Vec::new(),
            skip: HashSet::default(),
            kept: Vec::new(),
            struct_required: false,
            struct_span: None,
            lists: Vec::new(),
            groups: HashMap::default(),
            patterns: Vec::new(),
            comprehensions: VecDeque::new(),
            embed_groups: HashMap::default(),
            deferred_cycles: Vec::new(),
            func: None,
        };
        // Queues and kept lists come from a pool: most vertices need a few
        // entries for a moment, and allocating them each time shows.
        let mut queue = self.queue_pool.pop().unwrap_or_default();
        acc.kept = self.kept_pool.pop().unwrap_or_default();
        let conjuncts = &self.vertices[id as usize].conjuncts;
        queue.extend(conjuncts.iter().map(|conjunct| Item {
            conjunct: conjunct.clone(),
            derived: false,
            embedded_in: None,
        }));
        self.run_queue(id, &mut acc, &mut queue);
        queue.clear();
        self.queue_pool.push(queue);
        // Retry conjuncts that hit a cycle, now that a partial value may be known.
        if !acc.deferred_cycles.is_empty() {
            let deferred = std::mem::take(&mut acc.deferred_cycles);
            let mut queue: VecDeque<Item> = deferred
                .into_iter()
                .map(|(conjunct, embedded_in)| Item { conjunct, derived: true, embedded_in })
                .collect();
            self.run_queue(id, &mut acc, &mut queue);
            let unresolved = std::mem::take(&mut acc.deferred_cycles);
            // `a: {a}`: a struct literal that only embeds its own field is
            // a struct, the empty one (as the reference and today's CUE).
            if unresolved.iter().any(|(_, embedded_in)| embedded_in.is_some()) {
                acc.struct_required = true;
            }
            if !unresolved.is_empty()
                && acc.scalar.is_none()
                && !acc.struct_required
                && acc.lists.is_empty()
            {
                let spans = unresolved.iter().filter_map(|(c, _)| self.conjunct_span(c)).collect();
                acc.incomplete.push(Rc::new(EvalError {
                    code: &registry::CYCLE,
                    message: "cycle: the value depends on itself".into(),
                    spans,
                    incomplete: true,
                    path: String::new(),
                    labels: Vec::new(),
                    help: None,
                }));
            }
        }
        if !acc.disjunctions.is_empty() {
            self.resolve_disjunctions(id, acc);
        } else {
            let mut kept = std::mem::take(&mut acc.kept);
            kept.clear();
            self.kept_pool.push(kept);
            self.finish(id, acc);
        }
        self.evaluating -= 1;
        let vertex = &mut self.vertices[id as usize];
        vertex.partial = None;
        vertex.state = State::Done;
        if let Some(key) = constant_key
            && vertex.arcs.is_empty()
            && vertex.forward.is_none()
            && shareable(&vertex.value)
        {
            let value = vertex.value.clone();
            self.constant_vertex_values.insert(key, value);
            return;
        }
        // A value that only failed because another vertex was still being
        // evaluated is not final: evaluate it again when asked next time.
        if let Value::Bottom(error) = &vertex.value
            && error.is_cycle()
            && vertex.arcs.is_empty()
            && vertex.forward.is_none()
            && self.evaluating > 0
        {
            vertex.state = State::Unevaluated;
        }
    }

    /// The conjunct expressions of `id` when they all come from definitions
    /// and refer to nothing (so that its value is the same wherever they
    /// meet), as a cache key.
    fn constant_key(&mut self, id: VertexId) -> Option<Box<[SyntaxNode]>> {
        let vertex = &self.vertices[id as usize];
        let count = vertex.conjuncts.len();
        if vertex.skip.is_some() || count == 0 || count > 4 {
            return None;
        }
        for index in 0..count {
            // Only conjuncts of definitions (which have a closedness group)
            // repeat in many vertices; a table entry for others is waste.
            let node = match &self.vertices[id as usize].conjuncts[index] {
                Conjunct { kind: ConjunctKind::Expr(node, _), close: Some(_) }
                    if !matches!(node.kind(), STRUCT_LIT | LIST_LIT | SOURCE_FILE | FIELD) =>
                {
                    node.clone()
                }
                _ => return None,
            };
            if !self.is_constant(&node) {
                return None;
            }
        }
        Some(
            self.vertices[id as usize]
                .conjuncts
                .iter()
                .filter_map(|conjunct| match &conjunct.kind {
                    ConjunctKind::Expr(node, _) => Some(node.clone()),
                    ConjunctKind::Value(..) => None,
                })
                .collect(),
        )
    }

    fn run_queue(&mut self, id: VertexId, acc: &mut Acc, queue: &mut VecDeque<Item>) {
        loop {
            while let Some(item) = queue.pop_front() {
                if self.exhausted {
                    return;
                }
                self.add_item(id, acc, queue, item);
            }
            match acc.comprehensions.pop_front() {
                Some((node, env, close)) => {
                    self.run_comprehension(id, acc, queue, &node, env, close)
                }
                None => break,
            }
        }
    }

    fn run_comprehension(
        &mut self,
        _id: VertexId,
        acc: &mut Acc,
        queue: &mut VecDeque<Item>,
        node: &SyntaxNode,
        env: Env,
        close: Option<CloseId>,
    ) {
        match self.comprehension_bodies(node, &env) {
            Ok(bodies) => {
                for (body, env) in bodies {
                    queue.push_back(Item {
                        conjunct: Conjunct { kind: ConjunctKind::Expr(body, env), close },
                        derived: true,
                        embedded_in: None,
                    });
                }
            }
            Err(Value::Bottom(error)) => acc.push_error(error),
            Err(_) => {}
        }
    }

    fn add_item(&mut self, id: VertexId, acc: &mut Acc, queue: &mut VecDeque<Item>, item: Item) {
        let Item { conjunct, derived, embedded_in } = item;
        let close = conjunct.close;
        match &conjunct.kind {
            ConjunctKind::Expr(node, env) => {
                match node.kind() {
                    STRUCT_LIT | SOURCE_FILE | FIELD => {
                        if !derived {
                            acc.kept.push(conjunct.clone());
                        }
                        self.add_struct_literal(id, acc, queue, node, env.clone(), close);
                    }
                    LIST_LIT => {
                        if !derived {
                            acc.kept.push(conjunct.clone());
                        }
                        self.add_list_literal(acc, node, env.clone(), close);
                    }
                    PAREN_EXPR | BINARY_EXPR
                        if matches!(
                            &*self.expr_info(node),
                            ExprInfo::Paren(Some(_)) | ExprInfo::Binary { op: AMP, .. }
                        ) =>
                    {
                        // `(a)` and `a & b` as a field's value are conjuncts of the field.
                        let operands: Vec<SyntaxNode> = match &*self.expr_info(node) {
                            ExprInfo::Paren(Some(inner)) => vec![inner.clone()],
                            ExprInfo::Binary { left, right, .. } => {
                                vec![left.clone(), right.clone()]
                            }
                            _ => Vec::new(),
                        };
                        for operand in operands.into_iter().rev() {
                            queue.push_front(Item {
                                conjunct: Conjunct {
                                    kind: ConjunctKind::Expr(operand, env.clone()),
                                    close,
                                },
                                derived,
                                embedded_in: embedded_in.clone(),
                            });
                        }
                    }
                    _ => {
                        let span = self.span_in(node, env);
                        let value = self.eval_expr(node, env);
                        if let Value::Bottom(error) = &value
                            && error.is_cycle()
                        {
                            acc.deferred_cycles.push((conjunct.clone(), embedded_in));
                            return;
                        }
                        if matches!(value, Value::Disjunction(_)) {
                            if derived {
                                acc.skip.insert(node.clone());
                            }
                        } else if !derived && !matches!(value, Value::Struct(..) | Value::List(..))
                        {
                            acc.kept.push(conjunct.clone());
                        }
                        self.add_value(
                            id,
                            acc,
                            queue,
                            value,
                            Some(span),
                            close,
                            derived,
                            embedded_in,
                        );
                    }
                }
            }
            ConjunctKind::Value(value, span) => {
                let value = value.clone();
                if !derived
                    && !matches!(value, Value::Struct(..) | Value::List(..) | Value::Disjunction(_))
                {
                    acc.kept.push(conjunct.clone());
                }
                self.add_value(id, acc, queue, value, *span, close, derived, embedded_in);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_value(
        &mut self,
        id: VertexId,
        acc: &mut Acc,
        queue: &mut VecDeque<Item>,
        value: Value,
        span: Option<Span>,
        close: Option<CloseId>,
        derived: bool,
        embedded_in: Option<SyntaxNode>,
    ) {
        match value {
            Value::Bottom(error) => acc.push_error(error),
            Value::Scalar(scalar) => self.meet_scalar(id, acc, scalar, span),
            Value::Constraint(constraint) => self.meet_constraint(acc, &constraint, span),
            Value::Disjunction(alternatives) => acc.disjunctions.push(alternatives),
            Value::Struct(other, closed) | Value::List(other, closed) => {
                let other = self.resolve(other);
                if other == id {
                    // `a: {a}`: embedding itself adds nothing.
                    return;
                }
                if self.is_ancestor(other, id) {
                    acc.errors.push(Rc::new(EvalError::new(
                        &registry::CYCLE,
                        "structural cycle: a value contains itself",
                        span.into_iter().collect(),
                    )));
                    return;
                }
                self.evaluate(other);
                let other = self.resolve(other);
                let other_value = self.vertices[other as usize].value.clone();
                match other_value {
                    Value::Struct(..) | Value::List(..) => {}
                    Value::Bottom(ref error) if error.is_cycle() => {
                        acc.incomplete.push(error.clone());
                        return;
                    }
                    // Incomplete on its own (`if enable` with `enable: bool`):
                    // its declarations, unified here, may complete it.
                    Value::Bottom(ref error)
                        if error.incomplete
                            && !self.vertices[other as usize].conjuncts.is_empty() => {}
                    other_value => {
                        // A struct literal whose value is a scalar or a disjunction.
                        self.add_value(
                            id,
                            acc,
                            queue,
                            other_value,
                            span,
                            close,
                            derived,
                            embedded_in,
                        );
                        return;
                    }
                }
                let shallow = self.vertices[other as usize].shallow_close;
                let group = if closed && close.is_some() {
                    // A definition referenced inside a definition extends that
                    // definition's group: `#D: #Base & {…}` is open if `#Base` is.
                    close
                } else if closed || shallow {
                    let group_id = self.new_close_id();
                    if shallow {
                        self.shallow_groups.insert(group_id);
                    }
                    let mut group = CloseGroup::default();
                    if let Some(literal) = &embedded_in {
                        let scope = self.scope_of(literal);
                        group.scopes.push(scope);
                        if literal.children().any(|c| c.kind() == ELLIPSIS_DECL) {
                            group.open = true;
                        }
                    }
                    if let Some(literal) = &embedded_in {
                        // Several definitions embedded in one struct form one group.
                        let key = (literal.clone(), id);
                        if let Some(existing) = acc.embed_groups.get(&key) {
                            let existing = *existing;
                            if let Some(entry) = acc.groups.get_mut(&existing) {
                                entry.labels.extend(group.labels);
                                entry.scopes.extend(group.scopes);
                            }
                            Some(existing)
                        } else {
                            acc.embed_groups.insert(key, group_id);
                            acc.groups.insert(group_id, group);
                            Some(group_id)
                        }
                    } else {
                        acc.groups.insert(group_id, group);
                        Some(group_id)
                    }
                } else {
                    close
                };
                if self.vertices[other as usize].conjuncts.is_empty() {
                    // Built from data (a built-in's result): copy its arcs.
                    let arcs = self.vertices[other as usize].arcs.clone();
                    let is_list = self.vertices[other as usize].is_list;
                    let mut elements = Vec::new();
                    for arc in arcs {
                        let label = self.vertices[arc as usize].label.clone();
                        let value = self.reference_arc(arc);
                        let conjunct =
                            Conjunct { kind: ConjunctKind::Value(value, span), close: None };
                        if is_list {
                            elements.push(conjunct);
                        } else {
                            self.add_arc_conjunct(id, &label, conjunct, false);
                        }
                    }
                    if is_list {
                        acc.lists.push(ListPart { elements, tail: None, open: false, span });
                    } else {
                        acc.struct_required = true;
                    }
                    if !derived {
                        acc.kept.push(Conjunct {
                            kind: ConjunctKind::Value(Value::Struct(other, false), span),
                            close,
                        });
                    }
                    return;
                }
                for conjunct in self.vertices[other as usize].conjuncts.clone() {
                    let close = group.or(conjunct.close);
                    if !derived {
                        acc.kept.push(Conjunct { close, kind: conjunct.kind.clone() });
                    }
                    queue.push_back(Item {
                        conjunct: Conjunct { close, ..conjunct },
                        derived: true,
                        embedded_in: embedded_in.clone(),
                    });
                }
            }
            Value::Builtin(builtin) if builtin.validator && builtin.params == 1 => {
                let constraint = Constraint {
                    kinds: Kinds::TOP,
                    bounds: Vec::new(),
                    validators: vec![(builtin, Rc::from(Vec::new()))],
                    schemas: Vec::new(),
                    spans: span.into_iter().collect(),
                };
                self.meet_constraint(acc, &constraint, span);
            }
            Value::Builtin(_) => self.meet_func(acc, value, span),
            Value::Package(ref name) if name.starts_with('@') => self.meet_func(acc, value, span),
            Value::Package(_) => {
                acc.errors.push(Rc::new(EvalError::new(
                    &registry::INVALID_OPERATION,
                    format!("cannot use {} as a value", value.kind_name()),
                    span.into_iter().collect(),
                )));
            }
        }
    }

    /// A function as a field's value: unifies with `_` and with the same
    /// function (`_fn: _`, then `_fn: strings.ToUpper`), conflicts with any
    /// other function.
    fn meet_func(&mut self, acc: &mut Acc, func: Value, span: Option<Span>) {
        let same = |a: &Value, b: &Value| match (a, b) {
            (Value::Builtin(a), Value::Builtin(b)) => std::ptr::eq(*a, *b),
            (Value::Package(a), Value::Package(b)) => a == b,
            _ => false,
        };
        match acc.func.as_deref() {
            None => acc.func = Some(Box::new((func, span))),
            Some((existing, _)) if same(existing, &func) => {}
            Some((_, existing_span)) => {
                let spans = existing_span.iter().chain(span.iter()).copied().collect();
                acc.errors.push(Rc::new(EvalError::new(
                    &registry::CONFLICTING_VALUES,
                    "conflicting values: two different functions",
                    spans,
                )));
            }
        }
    }

    fn meet_scalar(&mut self, id: VertexId, acc: &mut Acc, scalar: Scalar, span: Option<Span>) {
        if acc.scalar.is_none() {
            self.vertices[id as usize].partial = Some(Value::Scalar(scalar.clone()));
        }
        if let Some((existing, existing_span)) = &acc.scalar {
            if !existing.same(&scalar) {
                let mut spans: Vec<Span> = existing_span.iter().copied().collect();
                spans.extend(span);
                let message = if existing.kind() != scalar.kind() {
                    format!(
                        "conflicting values {existing} and {scalar} (mismatched types {} and {})",
                        existing.kind().name(),
                        scalar.kind().name()
                    )
                } else {
                    format!("conflicting values {existing} and {scalar}")
                };
                acc.errors.push(Rc::new(EvalError::new(
                    &registry::CONFLICTING_VALUES,
                    message,
                    spans,
                )));
            }
            return;
        }
        acc.scalar = Some((scalar, span));
    }

    fn meet_constraint(&mut self, acc: &mut Acc, constraint: &Constraint, span: Option<Span>) {
        let kinds = acc.constraint.kinds.intersect(constraint.kinds);
        if kinds.is_empty() {
            let mut spans = acc.constraint.spans.clone();
            spans.extend(span);
            acc.errors.push(Rc::new(EvalError::new(
                &registry::CONFLICTING_VALUES,
                format!(
                    "conflicting values {} and {} (mismatched types {} and {})",
                    acc.constraint,
                    constraint,
                    acc.constraint.kinds.name(),
                    constraint.kinds.name()
                ),
                spans,
            )));
            return;
        }
        acc.constraint.kinds = kinds;
        acc.constraint.bounds.extend(constraint.bounds.iter().cloned());
        acc.constraint.validators.extend(constraint.validators.iter().cloned());
        if !constraint.schemas.is_empty() {
            acc.constraint.schemas.extend(constraint.schemas.iter().cloned());
        }
        // Point at the bound or type itself (in the schema) when it has a
        // place of its own, else at the conjunct that brought it.
        if constraint.spans.is_empty() {
            acc.constraint.spans.extend(span);
        } else {
            acc.constraint.spans.extend(constraint.spans.iter().copied());
        }
    }

    /// The span of the label of the field a conjunct is the value of, when
    /// it is one written in the source (`label: value`).
    fn label_span(&self, conjunct: &Conjunct) -> Option<Span> {
        let ConjunctKind::Expr(node, _) = &conjunct.kind else { return None };
        let field = node.parent().filter(|parent| parent.kind() == FIELD)?;
        let label = field.children().find(|child| child.kind() == LABEL)?;
        Some(self.span(&label))
    }

    pub fn conjunct_span(&self, conjunct: &Conjunct) -> Option<Span> {
        match &conjunct.kind {
            ConjunctKind::Expr(node, _) => Some(self.span(node)),
            ConjunctKind::Value(_, span) => *span,
        }
    }

    fn add_struct_literal(
        &mut self,
        id: VertexId,
        acc: &mut Acc,
        queue: &mut VecDeque<Item>,
        node: &SyntaxNode,
        env: Env,
        close: Option<CloseId>,
    ) {
        let info = self.struct_info(node);
        let scope =
            if node.kind() == SOURCE_FILE { self.scope_of(node) } else { info.scope.clone() };
        let frame: Env = Rc::new(Frame::new(
            Some(env),
            FrameKind::Struct { scope: scope.clone(), vertex: id, let_values: Default::default() },
        ));
        if let Some(group) = close {
            let entry = acc.groups.entry(group).or_default();
            entry.scopes.push(scope.clone());
        }
        // Room for the literal's fields at once rather than by doubling.
        self.vertices[id as usize].arcs.reserve(info.decls.len());
        if acc.struct_span.is_none() {
            acc.struct_span = Some(self.span_in(node, &frame));
        }
        for declaration in &info.decls {
            match declaration {
                DeclInfo::Field { label, label_node, value, optional, required, embed } => {
                    let field =
                        FieldKind { optional: *optional, required: *required, embed: *embed };
                    self.add_field(id, acc, label, label_node, value, field, &frame, close);
                }
                DeclInfo::Embedding(expr) => {
                    if self.vertices[id as usize]
                        .skip
                        .as_ref()
                        .is_some_and(|skip| skip.contains(expr))
                    {
                        continue;
                    }
                    queue.push_back(Item {
                        conjunct: Conjunct {
                            kind: ConjunctKind::Expr(expr.clone(), frame.clone()),
                            close,
                        },
                        derived: true,
                        embedded_in: Some(node.clone()),
                    });
                }
                DeclInfo::Comprehension(comprehension) => {
                    acc.comprehensions.push_back((comprehension.clone(), frame.clone(), close));
                }
                DeclInfo::Ellipsis(expr) => {
                    if let Some(group) = close {
                        acc.groups.entry(group).or_default().open = true;
                    }
                    if let Some(expr) = expr {
                        acc.patterns.push(Pattern {
                            pattern: Value::top(),
                            value: expr.clone(),
                            env: frame.clone(),
                            alias: None,
                            close: None,
                        });
                    }
                }
            }
        }
        if info.makes_struct || !info.has_embeddings {
            acc.struct_required = true;
        }
    }

    pub fn struct_info(&mut self, node: &SyntaxNode) -> Rc<StructInfo> {
        if let Some(info) = self.struct_infos.get(node) {
            return info.clone();
        }
        let info = Rc::new(StructInfo::compile(node));
        self.struct_infos.insert(node.clone(), info.clone());
        info
    }

    #[allow(clippy::too_many_arguments)]
    fn add_field(
        &mut self,
        id: VertexId,
        acc: &mut Acc,
        label: &LabelInfo,
        label_node: &SyntaxNode,
        value: &SyntaxNode,
        field: FieldKind,
        frame: &Env,
        close: Option<CloseId>,
    ) {
        let label_text: Result<Rc<str>, Value> = match label {
            LabelInfo::Static(text) => Ok(text.clone()),
            LabelInfo::Invalid => Err(Value::error(
                &registry::INVALID_DECLARATION,
                "invalid label",
                vec![self.span(label_node)],
            )),
            LabelInfo::Dynamic { expr, parenthesised } => {
                let value = self.eval_expr(expr, frame);
                let value = if *parenthesised { self.default_of(value) } else { value };
                self.label_value(value, label_node).map(Rc::from)
            }
            LabelInfo::Pattern { alias, expr } => {
                let pattern_value = match expr {
                    Some(expr) => self.eval_expr(expr, frame),
                    None => Value::top(),
                };
                if let Some(group) = close {
                    acc.groups.entry(group).or_default().patterns.push(pattern_value.clone());
                }
                acc.patterns.push(Pattern {
                    pattern: pattern_value,
                    value: value.clone(),
                    env: frame.clone(),
                    alias: alias.clone(),
                    close,
                });
                return;
            }
        };
        match label_text {
            Ok(text) => {
                if let Some(group) = close
                    && !matches!(label, LabelInfo::Static(_))
                {
                    acc.groups.entry(group).or_default().labels.insert(text.clone());
                }
                let child_close = close.and_then(|group| self.child_close(group, &text));
                let arc = self.add_arc_conjunct_rc(
                    id,
                    &text,
                    Conjunct {
                        kind: ConjunctKind::Expr(value.clone(), frame.clone()),
                        close: child_close,
                    },
                    field.optional,
                );
                if field.required {
                    self.vertices[arc as usize].required = true;
                }
                if let Some(attribute) = field.embed {
                    // The attribute's own file (fields with `@embed` are few).
                    let file = self.span(label_node).file;
                    let conjunct = self.embed_conjunct(file, attribute);
                    self.push_arc_conjunct(arc, conjunct, field.optional);
                }
            }
            Err(Value::Bottom(error)) => acc.push_error(error),
            Err(_) => {}
        }
    }

    /// The closedness group for arc `label` of a value in `group`: the same
    /// definition reference closes its nested structs too.
    pub fn child_close(&mut self, group: CloseId, label: &str) -> Option<CloseId> {
        if self.shallow_groups.contains(&group) {
            return None;
        }
        Some(self.child_close_deep(group, label))
    }

    /// The group of nested struct `label` under `group`: derived by hashing,
    /// so every instance of one definition agrees without a table.
    fn child_close_deep(&mut self, group: CloseId, label: &str) -> CloseId {
        use std::hash::{Hash, Hasher};
        let mut hasher = rustc_hash::FxHasher::default();
        group.hash(&mut hasher);
        label.hash(&mut hasher);
        // Derived ids have the top bit set; counted ids never do.
        CloseId::new(hasher.finish() | (1 << 63)).unwrap_or(CloseId::MAX)
    }

    fn label_value(&self, value: Value, label: &SyntaxNode) -> Result<String, Value> {
        match value {
            Value::Scalar(Scalar::String(text)) => Ok(super::labels::regular_label(&text)),
            Value::Bottom(error) => Err(Value::Bottom(error)),
            Value::Scalar(other) => Err(Value::error(
                &registry::INVALID_DECLARATION,
                format!("invalid label: {other} is not a string"),
                vec![self.span(label)],
            )),
            _ => {
                Err(Value::incomplete("label is not yet a concrete string", vec![self.span(label)]))
            }
        }
    }

    fn add_list_literal(
        &mut self,
        acc: &mut Acc,
        node: &SyntaxNode,
        env: Env,
        close: Option<CloseId>,
    ) {
        let mut part = ListPart {
            elements: Vec::new(),
            tail: None,
            open: false,
            span: Some(self.span_in(node, &env)),
        };
        for element in node.children() {
            match element.kind() {
                ELLIPSIS_DECL => {
                    part.open = true;
                    if let Some(expr) = element.children().find(|c| ast::Expr::can_cast(c.kind())) {
                        part.tail =
                            Some(Conjunct { kind: ConjunctKind::Expr(expr, env.clone()), close });
                    }
                }
                COMPREHENSION => {
                    let span = Some(self.span_in(&element, &env));
                    for value in self.list_comprehension(&element, &env) {
                        part.elements
                            .push(Conjunct { kind: ConjunctKind::Value(value, span), close });
                    }
                }
                ALIAS_EXPR => {
                    if let Some(expr) = element.children().find(|c| ast::Expr::can_cast(c.kind())) {
                        part.elements
                            .push(Conjunct { kind: ConjunctKind::Expr(expr, env.clone()), close });
                    }
                }
                kind if ast::Expr::can_cast(kind) => {
                    part.elements.push(Conjunct {
                        kind: ConjunctKind::Expr(element.clone(), env.clone()),
                        close,
                    });
                }
                _ => {}
            }
        }
        acc.lists.push(part);
    }

    /// Finishes a vertex without disjunctions: decides its value, applies
    /// patterns and closedness to its arcs.
    fn finish(&mut self, id: VertexId, acc: Acc) {
        let Acc {
            constraint,
            scalar,
            mut errors,
            incomplete,
            struct_required,
            struct_span,
            lists,
            groups,
            patterns,
            func,
            ..
        } = acc;
        // Definitions and hidden fields beside an embedded scalar leave it
        // a scalar (`#N: {int, #min: 0}`); any other arc makes a struct.
        let is_struct = struct_required
            || self.vertices[id as usize].arcs.iter().any(|&arc| {
                self.vertices[arc as usize].label_kind == LabelKind::Regular
                    || (scalar.is_none() && acc_constraint_is_top(&constraint))
            });
        let is_list = !lists.is_empty();
        if is_list {
            self.merge_lists(id, lists, &mut errors);
        }
        // Pattern constraints apply to every regular field.
        if !patterns.is_empty() {
            // Arcs are only ever appended: the first `count` stay put.
            let count = self.vertices[id as usize].arcs.len();
            for index in 0..count {
                let arc = self.vertices[id as usize].arcs[index];
                let label = self.vertices[arc as usize].label.clone();
                if self.vertices[arc as usize].label_kind != LabelKind::Regular {
                    continue;
                }
                for pattern in &patterns {
                    if !self.label_matches(&pattern.pattern, &label) {
                        continue;
                    }
                    let env = match &pattern.alias {
                        Some(alias) => Rc::new(Frame::new(
                            Some(pattern.env.clone()),
                            FrameKind::Values(vec![(
                                alias.clone(),
                                Value::string(Rc::<str>::from(super::labels::label_name(&label))),
                            )]),
                        )),
                        None => pattern.env.clone(),
                    };
                    let close = pattern.close.and_then(|group| self.child_close(group, &label));
                    self.vertices[arc as usize].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Expr(pattern.value.clone(), env),
                        close,
                    });
                }
            }
        }
        // Closedness.
        if !groups.is_empty() {
            // Arcs are only ever appended: the first `count` stay put.
            let count = self.vertices[id as usize].arcs.len();
            for index in 0..count {
                let arc = self.vertices[id as usize].arcs[index];
                let label = self.vertices[arc as usize].label.clone();
                if self.vertices[arc as usize].label_kind != LabelKind::Regular {
                    continue;
                }
                for group in groups.values() {
                    if group.open
                        || group.labels.contains(label.as_ref())
                        || group.scopes.iter().any(|scope| scope.has_label(&label))
                    {
                        continue;
                    }
                    if group.patterns.iter().any(|p| self.label_matches(p, &label)) {
                        continue;
                    }
                    // On the label the user wrote (the first declaration's),
                    // else on the value.
                    let conjuncts = &self.vertices[arc as usize].conjuncts;
                    let spans: Vec<Span> = conjuncts
                        .iter()
                        .find_map(|c| self.label_span(c))
                        .or_else(|| conjuncts.iter().find_map(|c| self.conjunct_span(c)))
                        .into_iter()
                        .collect();
                    let allowed = groups
                        .values()
                        .flat_map(|group| {
                            let declared = group.scopes.iter().flat_map(|scope| scope.labels());
                            declared.chain(group.labels.iter().map(|label| label.as_ref()))
                        })
                        .filter(|candidate| !candidate.starts_with(['#', '_']));
                    let mut error = EvalError::new(
                        &registry::FIELD_NOT_ALLOWED,
                        format!("field not allowed: {}", super::labels::label_name(&label)),
                        spans,
                    );
                    error.help = froyo_diagnostics::did_you_mean(&label, allowed)
                        .map(|field| format!("did you mean `{field}`?"));
                    let vertex = &mut self.vertices[arc as usize];
                    vertex.conjuncts.push(Conjunct {
                        kind: ConjunctKind::Value(Value::Bottom(Rc::new(error)), None),
                        close: None,
                    });
                    break;
                }
            }
        }
        let value = if let Some(error) = errors.into_iter().next() {
            Value::Bottom(error)
        } else if let Some(func) = func {
            let (func, span) = *func;
            if is_struct || is_list || scalar.is_some() || !acc_constraint_is_top(&constraint) {
                let mut spans: Vec<Span> = span.into_iter().collect();
                spans.extend(struct_span);
                spans.extend(scalar.as_ref().and_then(|(_, span)| *span));
                Value::error(
                    &registry::CONFLICTING_VALUES,
                    "conflicting values: a function and a value that is not a function",
                    spans,
                )
            } else {
                func
            }
        } else if is_struct && is_list {
            Value::error(
                &registry::CONFLICTING_VALUES,
                "conflicting values struct and list",
                struct_span.into_iter().collect(),
            )
        } else if is_struct || is_list {
            let kind = if is_struct { Kinds::STRUCT } else { Kinds::LIST };
            if let Some((scalar, span)) = scalar {
                let mut spans: Vec<Span> = struct_span.into_iter().collect();
                spans.extend(span);
                Value::error(
                    &registry::CONFLICTING_VALUES,
                    format!(
                        "conflicting values {} and {scalar} (mismatched types {} and {})",
                        if is_struct { "{...}" } else { "[...]" },
                        kind.name(),
                        scalar.kind().name()
                    ),
                    spans,
                )
            } else if !constraint.kinds.contains(kind) {
                let mut spans: Vec<Span> = struct_span.into_iter().collect();
                spans.extend(constraint.spans.iter().copied());
                Value::error(
                    &registry::CONFLICTING_VALUES,
                    format!(
                        "conflicting values {constraint} and {} (mismatched types {} and {})",
                        if is_struct { "{...}" } else { "[...]" },
                        constraint.kinds.name(),
                        kind.name()
                    ),
                    spans,
                )
            } else if let Some(error) = incomplete.into_iter().find(|e| !e.is_cycle()) {
                Value::Bottom(error)
            } else {
                self.vertices[id as usize].is_list = is_list;
                let value =
                    if is_struct { Value::Struct(id, false) } else { Value::List(id, false) };
                self.check_validators(&constraint, value)
            }
        } else if let Some((scalar, span)) = scalar {
            match self.check_scalar(&constraint, &scalar, span) {
                Ok(()) => match incomplete.into_iter().find(|e| !e.is_cycle()) {
                    Some(error) if false => Value::Bottom(error),
                    _ => Value::Scalar(scalar),
                },
                Err(error) => error,
            }
        } else if let Some(error) = incomplete.into_iter().next() {
            Value::Bottom(error)
        } else {
            self.simplify_constraint(constraint)
        };
        self.vertices[id as usize].value = value;
    }

    /// Checks a concrete scalar against kinds, bounds and validators.
    pub fn check_scalar(
        &mut self,
        constraint: &Constraint,
        scalar: &Scalar,
        span: Option<Span>,
    ) -> Result<(), Value> {
        let spans = || {
            let mut spans: Vec<Span> = constraint.spans.clone();
            spans.extend(span);
            spans
        };
        if !constraint.kinds.contains(scalar.kind()) {
            return Err(Value::error(
                &registry::CONFLICTING_VALUES,
                format!(
                    "conflicting values {constraint} and {scalar} (mismatched types {} and {})",
                    constraint.kinds.name(),
                    scalar.kind().name()
                ),
                spans(),
            ));
        }
        for (op, bound) in &constraint.bounds {
            match crate::value::check_bound(*op, bound, scalar) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Value::error(
                        &registry::INVALID_VALUE,
                        format!("invalid value {scalar} (out of bound {}{bound})", op.symbol()),
                        spans(),
                    ));
                }
                Err(message) => {
                    return Err(Value::error(&registry::INVALID_VALUE, message, spans()));
                }
            }
        }
        for (builtin, args) in &constraint.validators {
            let mut call_args = vec![scalar.to_data()];
            call_args.extend(args.iter().cloned());
            match (builtin.call)(&call_args) {
                Ok(crate::Data::Bool(true)) => {}
                Ok(_) => {
                    return Err(Value::error(
                        &registry::INVALID_VALUE,
                        format!(
                            "invalid value {scalar} (does not satisfy {})",
                            crate::value::Constraint {
                                kinds: Kinds::TOP,
                                bounds: Vec::new(),
                                validators: vec![(builtin, args.clone())],
                                schemas: Vec::new(),
                                spans: Vec::new(),
                            }
                        ),
                        spans(),
                    ));
                }
                Err(message) => {
                    return Err(Value::error(&registry::INVALID_VALUE, message, spans()));
                }
            }
        }
        if !constraint.schemas.is_empty() {
            self.check_schemas(constraint, scalar, spans())?;
        }
        Ok(())
    }

    /// Applies `json.Validate(schema)` and the like to a scalar (kept out of
    /// [`Self::check_scalar`], which every scalar goes through).
    #[inline(never)]
    fn check_schemas(
        &mut self,
        constraint: &Constraint,
        scalar: &Scalar,
        spans: Vec<Span>,
    ) -> Result<(), Value> {
        for (function, schema) in &constraint.schemas {
            let text: &[u8] = match scalar {
                Scalar::String(text) => text.as_bytes(),
                Scalar::Bytes(bytes) => bytes,
                _ => {
                    return Err(Value::error(
                        &registry::CONFLICTING_VALUES,
                        format!(
                            "invalid value {scalar} (does not satisfy {}: not a string or bytes)",
                            function.name()
                        ),
                        spans.clone(),
                    ));
                }
            };
            let first_span = spans.first().copied();
            if let Err(error) = self.validate_text(*function, text, schema, first_span) {
                let Value::Bottom(error) = error else { return Err(error) };
                return Err(Value::error(
                    error.code,
                    format!(
                        "invalid value {scalar} (does not satisfy {}): {}",
                        function.name(),
                        error.message
                    ),
                    spans.clone(),
                ));
            }
        }
        Ok(())
    }

    /// Applies validators (`list.MinItems(2)`, `struct.MaxFields(3)`) to a struct or list.
    fn check_validators(&mut self, constraint: &Constraint, value: Value) -> Value {
        if let Some((function, _)) = constraint.schemas.first() {
            return Value::error(
                &registry::CONFLICTING_VALUES,
                format!(
                    "invalid value {} (does not satisfy {}: not a string or bytes)",
                    if value.kind_name() == "list" { "[...]" } else { "{...}" },
                    function.name()
                ),
                constraint.spans.clone(),
            );
        }
        if constraint.validators.is_empty() {
            return value;
        }
        let span = constraint
            .spans
            .first()
            .copied()
            .unwrap_or(Span { file: 0, range: Default::default() });
        let (Value::Struct(id, _) | Value::List(id, _)) = value else { return value };
        let data = match self.arcs_to_data(id, span) {
            Ok(data) => data,
            Err(_) => return value,
        };
        for (builtin, args) in &constraint.validators {
            let mut call_args = vec![data.clone()];
            call_args.extend(args.iter().cloned());
            match (builtin.call)(&call_args) {
                Ok(crate::Data::Bool(true)) => {}
                Ok(_) => {
                    return Value::error(
                        &registry::INVALID_VALUE,
                        format!(
                            "invalid value {} (does not satisfy {})",
                            crate::builtins::cue_text(&data),
                            builtin.name
                        ),
                        constraint.spans.clone(),
                    );
                }
                Err(message) => {
                    return Value::error(
                        &registry::INVALID_VALUE,
                        message,
                        constraint.spans.clone(),
                    );
                }
            }
        }
        value
    }

    /// Bounds that pin a single number (`>=0 & <=0`) become that number.
    fn simplify_constraint(&mut self, constraint: Constraint) -> Value {
        let lower = constraint.bounds.iter().find(|(op, _)| *op == crate::value::BoundOp::Ge);
        let upper = constraint.bounds.iter().find(|(op, _)| *op == crate::value::BoundOp::Le);
        if let (Some((_, Scalar::Number(low))), Some((_, Scalar::Number(high)))) = (lower, upper)
            && low.cmp(high).is_eq()
        {
            let number = if constraint.kinds.contains(Kinds::INT) && low.is_integral() {
                (**low).clone()
            } else {
                (**low).clone().to_float_kind()
            };
            let scalar = Scalar::Number(Rc::new(number));
            if self.check_scalar(&constraint, &scalar, None).is_ok() {
                return Value::Scalar(scalar);
            }
        }
        Value::Constraint(Rc::new(constraint))
    }

    pub fn label_matches(&mut self, pattern: &Value, label: &str) -> bool {
        let label = super::labels::label_name(label);
        match pattern {
            Value::Constraint(constraint) => {
                self.check_scalar(constraint, &Scalar::String(label.into()), None).is_ok()
            }
            Value::Scalar(Scalar::String(text)) => text.as_ref() == label,
            Value::Disjunction(alternatives) => {
                let alternatives = alternatives.clone();
                alternatives.iter().any(|alternative| self.label_matches(&alternative.value, label))
            }
            _ => false,
        }
    }

    fn merge_lists(&mut self, id: VertexId, lists: Vec<ListPart>, errors: &mut Vec<Rc<EvalError>>) {
        let closed_lengths: Vec<(usize, Option<Span>)> =
            lists.iter().filter(|p| !p.open).map(|p| (p.elements.len(), p.span)).collect();
        let length = match closed_lengths.first() {
            Some((first, _)) => {
                if let Some((other, _)) = closed_lengths.iter().find(|(n, _)| n != first) {
                    errors.push(Rc::new(EvalError::new(
                        &registry::CONFLICTING_VALUES,
                        format!("incompatible list lengths ({first} and {other})"),
                        closed_lengths.iter().filter_map(|(_, s)| *s).collect(),
                    )));
                    return;
                }
                *first
            }
            None => lists.iter().map(|p| p.elements.len()).max().unwrap_or(0),
        };
        for part in lists.iter().filter(|p| p.open) {
            if part.elements.len() > length {
                errors.push(Rc::new(EvalError::new(
                    &registry::CONFLICTING_VALUES,
                    format!("incompatible list lengths ({length} and {})", part.elements.len()),
                    part.span.into_iter().collect(),
                )));
                return;
            }
        }
        for index in 0..length {
            let label = index.to_string();
            for part in &lists {
                let conjunct = match part.elements.get(index) {
                    Some(conjunct) => Some(conjunct.clone()),
                    None => part.tail.clone(),
                };
                if let Some(conjunct) = conjunct {
                    self.add_arc_conjunct(id, &label, conjunct, false);
                }
            }
            // A list element exists even when only an open tail typed it.
            let arc = self.get_or_add_arc(id, &label);
            self.vertices[arc as usize].optional = false;
        }
    }

    /// Resolves a vertex whose conjuncts include disjunctions.
    fn resolve_disjunctions(&mut self, id: VertexId, acc: Acc) {
        let scalar_only = !acc.struct_required
            && acc.lists.is_empty()
            && self.vertices[id as usize].arcs.is_empty()
            && acc.errors.is_empty()
            && acc.disjunctions.iter().all(|d| {
                d.iter().all(|a| matches!(a.value, Value::Scalar(_) | Value::Constraint(_)))
            });
        if scalar_only {
            self.resolve_scalar_disjunctions(id, acc);
            return;
        }
        // A lone disjunction with nothing to unify it with is its own value
        // (`require: *[] | [...string]` left unset): no combination to try.
        let alone = acc.kept.is_empty()
            && acc.disjunctions.len() == 1
            && acc.errors.is_empty()
            && acc.lists.is_empty()
            && !acc.struct_required
            && acc.groups.is_empty()
            && acc.patterns.is_empty()
            && self.vertices[id as usize].arcs.is_empty();
        if alone && let Some(alternatives) = acc.disjunctions.first() {
            self.vertices[id as usize].value = Value::Disjunction(alternatives.clone());
            return;
        }
        self.resolve_disjunctions_in_vertices(id, acc);
    }

    /// Disjunctions of scalars and constraints unified with a scalar base:
    /// resolved by meeting values, without building a vertex per combination.
    fn resolve_scalar_disjunctions(&mut self, id: VertexId, acc: Acc) {
        // Each candidate: (concrete value, constraint, default).
        let mut candidates: Vec<(Option<Scalar>, Constraint, bool)> =
            vec![(acc.scalar.clone().map(|(s, _)| s), acc.constraint.clone(), true)];
        // The first failure, formatted only if no alternative survives.
        let mut first_error: Option<Result<Value, (Scalar, Scalar)>> =
            acc.incomplete.first().cloned().map(|error| Ok(Value::Bottom(error)));
        for alternatives in &acc.disjunctions {
            let has_marked = alternatives.iter().any(|a| a.default);
            let mut next: Vec<(Option<Scalar>, Constraint, bool)> = Vec::new();
            for (scalar, constraint, default) in &candidates {
                for alternative in alternatives.iter() {
                    let default = *default && (alternative.default || !has_marked);
                    let (mut scalar, mut constraint) = (scalar.clone(), constraint.clone());
                    match &alternative.value {
                        Value::Scalar(value) => match &scalar {
                            Some(existing) if !existing.same(value) => {
                                if first_error.is_none() {
                                    first_error = Some(Err((existing.clone(), value.clone())));
                                }
                                continue;
                            }
                            _ => scalar = Some(value.clone()),
                        },
                        Value::Constraint(other) => {
                            let kinds = constraint.kinds.intersect(other.kinds);
                            if kinds.is_empty() {
                                continue;
                            }
                            constraint.kinds = kinds;
                            constraint.bounds.extend(other.bounds.iter().cloned());
                            constraint.validators.extend(other.validators.iter().cloned());
                            if !other.schemas.is_empty() {
                                constraint.schemas.extend(other.schemas.iter().cloned());
                            }
                        }
                        _ => continue,
                    }
                    if let Some(value) = &scalar {
                        match self.check_scalar(&constraint, value, None) {
                            Ok(()) => {}
                            Err(error) => {
                                if first_error.is_none() {
                                    first_error = Some(Ok(error));
                                }
                                continue;
                            }
                        }
                        if let Some(existing) = next
                            .iter_mut()
                            .find(|(s, _, _)| s.as_ref().is_some_and(|s| s.same(value)))
                        {
                            existing.2 |= default;
                            continue;
                        }
                    }
                    next.push((scalar, constraint, default));
                }
            }
            if next.len() > self.limits.max_disjunction_combinations {
                self.vertices[id as usize].value = Value::error(
                    &registry::EVALUATION_LIMIT,
                    format!(
                        "disjunction has more than {} combinations",
                        self.limits.max_disjunction_combinations
                    ),
                    acc.constraint.spans.clone(),
                );
                return;
            }
            candidates = next;
        }
        let mut alternatives: Vec<Alternative> = candidates
            .into_iter()
            .map(|(scalar, constraint, default)| Alternative {
                value: match scalar {
                    Some(scalar) => Value::Scalar(scalar),
                    None => self.simplify_constraint(constraint),
                },
                default,
            })
            .collect();
        self.vertices[id as usize].value = match alternatives.len() {
            0 => match first_error {
                Some(Ok(error)) => error,
                Some(Err((existing, value))) => Value::error(
                    &registry::CONFLICTING_VALUES,
                    format!("conflicting values {existing} and {value}"),
                    acc.constraint.spans.clone(),
                ),
                None => {
                    Value::error(&registry::CONFLICTING_VALUES, "empty disjunction", Vec::new())
                }
            },
            1 => alternatives.remove(0).value,
            _ => Value::Disjunction(alternatives.into()),
        };
    }

    fn resolve_disjunctions_in_vertices(&mut self, id: VertexId, acc: Acc) {
        let mut combinations: Vec<(Vec<Value>, bool)> = vec![(Vec::new(), true)];
        for alternatives in &acc.disjunctions {
            let has_marked = alternatives.iter().any(|a| a.default);
            let mut next = Vec::new();
            for (chosen, default) in &combinations {
                for alternative in alternatives.iter() {
                    let mut chosen = chosen.clone();
                    chosen.push(alternative.value.clone());
                    next.push((chosen, *default && (alternative.default || !has_marked)));
                }
            }
            if acc.disjunctions.len() > 1 {
                next = self.prune_combinations(id, &acc, next);
            }
            if next.len() > self.limits.max_disjunction_combinations {
                self.vertices[id as usize].value = Value::error(
                    &registry::EVALUATION_LIMIT,
                    format!(
                        "disjunction has more than {} combinations",
                        self.limits.max_disjunction_combinations
                    ),
                    acc.struct_span.into_iter().collect(),
                );
                return;
            }
            combinations = next;
        }
        let mut survivors: Vec<(Value, bool, Option<VertexId>)> = Vec::new();
        let mut first_error: Option<Rc<EvalError>> = None;
        for (chosen, default) in combinations {
            let candidate = self.evaluate_candidate(id, &acc, &chosen);
            if let Some(error) = self.first_error(candidate, 0) {
                if first_error.is_none() {
                    first_error = Some(error);
                }
                continue;
            }
            let value = self.vertices[candidate as usize].value.clone();
            // Equal concrete alternatives collapse into one.
            if let Value::Scalar(scalar) = &value
                && let Some(existing) = survivors
                    .iter_mut()
                    .find(|(v, _, _)| matches!(v, Value::Scalar(s) if s.same(scalar)))
            {
                existing.1 |= default;
                continue;
            }
            // Equal struct or list alternatives collapse too (compared only
            // when there is something to compare with).
            if matches!(value, Value::Struct(..) | Value::List(..))
                && survivors.iter().any(|(_, _, vertex)| vertex.is_some())
                && let Some(data) = self.try_data(candidate)
            {
                let mut duplicate = None;
                for (index, (_, _, vertex)) in survivors.iter().enumerate() {
                    if let Some(vertex) = vertex
                        && self.try_data(*vertex).as_ref() == Some(&data)
                    {
                        duplicate = Some(index);
                        break;
                    }
                }
                if let Some(index) = duplicate {
                    survivors[index].1 |= default;
                    continue;
                }
            }
            let vertex = matches!(value, Value::Struct(..) | Value::List(..)).then_some(candidate);
            survivors.push((value, default, vertex));
        }
        match survivors.len() {
            0 => {
                let error = first_error.unwrap_or_else(|| {
                    Rc::new(EvalError::new(
                        &registry::CONFLICTING_VALUES,
                        "empty disjunction",
                        Vec::new(),
                    ))
                });
                self.vertices[id as usize].value = Value::Bottom(error);
            }
            1 => {
                let (value, _, vertex) = survivors.remove(0);
                match vertex {
                    Some(vertex) => {
                        self.vertices[id as usize].forward = Some(vertex);
                        self.vertices[id as usize].value = value;
                    }
                    None => self.vertices[id as usize].value = value,
                }
            }
            _ => {
                let alternatives: Vec<Alternative> = survivors
                    .into_iter()
                    .map(|(value, default, _)| Alternative { value, default })
                    .collect();
                self.vertices[id as usize].value = Value::Disjunction(alternatives.into());
            }
        }
    }

    /// Drops partial combinations that already fail, and merges those that
    /// evaluate to the same scalar, so chains like `(1|2) & (1|2) & …` stay
    /// linear instead of multiplying.
    fn prune_combinations(
        &mut self,
        id: VertexId,
        acc: &Acc,
        combinations: Vec<(Vec<Value>, bool)>,
    ) -> Vec<(Vec<Value>, bool)> {
        let mut kept: Vec<(Vec<Value>, bool)> = Vec::new();
        for (chosen, default) in combinations {
            if self.exhausted {
                break;
            }
            let candidate = self.evaluate_candidate(id, acc, &chosen);
            match self.vertices[candidate as usize].value.clone() {
                Value::Bottom(error) if !error.incomplete => continue,
                Value::Scalar(scalar) => {
                    if let Some(existing) = kept.iter_mut().find(
                        |(c, _)| matches!(c.as_slice(), [Value::Scalar(s)] if s.same(&scalar)),
                    ) {
                        existing.1 |= default;
                    } else {
                        kept.push((vec![Value::Scalar(scalar)], default));
                    }
                }
                _ => kept.push((chosen, default)),
            }
        }
        kept
    }

    /// Evaluates one combination of disjuncts: the vertex's other conjuncts
    /// plus the `chosen` alternatives, in a fresh vertex at the same place.
    fn evaluate_candidate(&mut self, id: VertexId, acc: &Acc, chosen: &[Value]) -> VertexId {
        let parent = self.vertices[id as usize].parent;
        let label = self.vertices[id as usize].label.clone();
        let mut conjuncts = acc.kept.clone();
        conjuncts.extend(
            chosen
                .iter()
                .cloned()
                .map(|value| Conjunct { kind: ConjunctKind::Value(value, None), close: None }),
        );
        let candidate = self.vertex_with(parent, label, conjuncts);
        self.vertices[candidate as usize].depth = self.vertices[id as usize].depth;
        self.vertices[candidate as usize].skip =
            (!acc.skip.is_empty()).then(|| Box::new(acc.skip.clone()));
        self.evaluate(candidate);
        self.resolve(candidate)
    }

    /// The first definite error in a vertex or its regular arcs, evaluating them.
    pub fn first_error(&mut self, id: VertexId, depth: u32) -> Option<Rc<EvalError>> {
        let id = self.resolve(id);
        self.evaluate(id);
        let id = self.resolve(id);
        match &self.vertices[id as usize].value {
            Value::Bottom(error) if !error.incomplete => return Some(error.clone()),
            Value::Struct(..) | Value::List(..) => {}
            _ => return None,
        }
        if depth > 64 {
            return None;
        }
        // Arcs are only ever appended: the first `count` stay put.
        let count = self.vertices[id as usize].arcs.len();
        for index in 0..count {
            let arc = self.vertices[id as usize].arcs[index];
            if self.vertices[arc as usize].optional {
                continue;
            }
            if self.vertices[arc as usize].state == State::Evaluating {
                continue;
            }
            if let Some(error) = self.first_error(arc, depth + 1) {
                return Some(error);
            }
        }
        None
    }
}
