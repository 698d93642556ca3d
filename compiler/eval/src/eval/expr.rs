//! Expressions: literals, references, operators, selectors, calls and
//! comprehensions.

use std::rc::Rc;

use froyo_diagnostics::registry;
use froyo_syntax::{SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken, ast, ast::AstNode};

use super::labels::{self, Decoded};
use super::literal::{ClauseInfo, ExprInfo};
use super::vertex::{Conjunct, ConjunctKind, LabelKind};
use super::{Env, Evaluator, Frame, FrameKind};
use crate::builtins;
use crate::data::Data;
use crate::num::Number;
use crate::value::{Alternative, BoundOp, Constraint, Kinds, Scalar, Span, Value, VertexId};

/// Predeclared identifiers whose meaning never depends on the environment.
pub(super) const PREDECLARED: &[&str] = &[
    "_", "int", "float", "number", "string", "bytes", "bool", "uint", "rune", "int8", "int16",
    "int32", "int64", "int128", "uint8", "byte", "uint16", "uint32", "uint64", "uint128",
    "float32", "float64",
];

/// Bounds on values built by operators (see [`super::Limits`] for the rest).
const MAX_NUMBER_BITS: u64 = 1_000_000;
const MAX_STRING_BYTES: usize = 64 << 20;
const MAX_LIST_ELEMENTS: usize = 1 << 20;

fn first_expr(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.children().find(|c| ast::Expr::can_cast(c.kind()))
}

fn operator(node: &SyntaxNode) -> Option<SyntaxToken> {
    node.children_with_tokens().filter_map(|e| e.into_token()).find(|t| !t.kind().is_trivia())
}

impl Evaluator {
    pub fn eval_expr(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        if !self.step() {
            return Value::error(
                &registry::EVALUATION_LIMIT,
                "evaluation step limit reached",
                vec![self.span(node)],
            );
        }
        if node.kind() != NAME_REF && self.is_constant(node) {
            if let Some(value) = self.constant_values.get(node) {
                return value.clone();
            }
            let value = self.eval_expr_uncached(node, env);
            self.constant_values.insert(node.clone(), value.clone());
            return value;
        }
        self.eval_expr_uncached(node, env)
    }

    /// Whether `node` evaluates the same in every environment: it refers to
    /// no name but unshadowed predeclared ones.
    pub(super) fn is_constant(&mut self, node: &SyntaxNode) -> bool {
        // A literal refers to nothing, and most are met once: no table entry.
        if node.kind() == LITERAL {
            return true;
        }
        if let Some(constant) = self.constant_nodes.get(node) {
            return *constant;
        }
        let constant = node.descendants().all(|descendant| match descendant.kind() {
            NAME_REF => descendant.first_token().is_some_and(|token| {
                let name = token.text();
                PREDECLARED.contains(&name) && !self.declared_names.contains(name)
            }),
            COMPREHENSION | FIELD => false,
            _ => true,
        });
        self.constant_nodes.insert(node.clone(), constant);
        constant
    }

    fn eval_expr_uncached(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        match node.kind() {
            LITERAL => self.literal(node),
            INTERPOLATION => self.interpolation(node, env),
            NAME_REF => match &*self.expr_info(node) {
                ExprInfo::Name(name) => self.lookup(name, env, node),
                _ => Value::top(),
            },
            PAREN_EXPR => match &*self.expr_info(node) {
                ExprInfo::Paren(Some(inner)) => self.eval_expr(inner, env),
                _ => Value::top(),
            },
            STRUCT_LIT | LIST_LIT => {
                let vertex = self.vertex_with(
                    None,
                    "".into(),
                    vec![Conjunct {
                        kind: ConjunctKind::Expr(node.clone(), env.clone()),
                        close: None,
                    }],
                );
                if node.kind() == STRUCT_LIT {
                    Value::Struct(vertex, false)
                } else {
                    Value::List(vertex, false)
                }
            }
            SELECTOR_EXPR => self.selector(node, env),
            INDEX_EXPR => self.index(node, env),
            SLICE_EXPR => self.slice(node, env),
            CALL_EXPR => self.call(node, env),
            UNARY_EXPR => self.unary(node, env),
            BINARY_EXPR => self.binary(node, env),
            _ => Value::error(
                &registry::INVALID_OPERATION,
                "unsupported expression",
                vec![self.span(node)],
            ),
        }
    }

    /// Evaluates `node` and unifies it fully into a value (used where an
    /// expression's value is needed, not its conjuncts).
    fn unify_values(&mut self, conjuncts: Vec<Conjunct>) -> Value {
        let vertex = self.vertex_with(None, "".into(), conjuncts);
        self.value_of(vertex)
    }

    fn literal(&mut self, node: &SyntaxNode) -> Value {
        let Some(token) = node.first_token() else { return Value::top() };
        // The span only matters for errors: found when one is made.
        match token.kind() {
            NULL_KW => Value::Scalar(Scalar::Null),
            TRUE_KW => Value::bool(true),
            FALSE_KW => Value::bool(false),
            BOTTOM => Value::error(
                &registry::CONFLICTING_VALUES,
                "explicit error (_|_ literal) in source",
                vec![self.span(node)],
            ),
            INT_NUMBER | FLOAT_NUMBER => match Number::parse_literal(token.text()) {
                Ok(number) => Value::number(number),
                Err(message) => {
                    Value::error(&registry::INVALID_VALUE, message, vec![self.span(node)])
                }
            },
            STRING => match labels::decode_string_literal(token.text()) {
                Ok(Decoded::String(text)) => Value::string(text),
                Ok(Decoded::Bytes(bytes)) => Value::Scalar(Scalar::Bytes(bytes.into())),
                Err(message) => Value::error(
                    &registry::INVALID_VALUE,
                    format!("invalid string: {message}"),
                    vec![self.span(node)],
                ),
            },
            _ => Value::top(),
        }
    }

    fn interpolation(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let span = self.span_in(node, env);
        let tokens: Vec<SyntaxToken> = node
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| matches!(t.kind(), INTERP_START | INTERP_MID | INTERP_END))
            .collect();
        let Some(first) = tokens.first() else { return Value::top() };
        let (quoting, _) = labels::quoting(first.text());
        let mut raw_parts: Vec<String> =
            tokens.iter().map(|t| labels::fragment_body(t.kind(), t.text(), quoting)).collect();
        if quoting.multiline {
            // Strip the closing line's indentation from every line, across fragments.
            let last = raw_parts.last().cloned().unwrap_or_default();
            let indent = last.rsplit('\n').next().unwrap_or("").to_string();
            if let Some(first_part) = raw_parts.first_mut() {
                *first_part = first_part.strip_prefix('\n').unwrap_or(first_part).to_string();
                if let Some(stripped) = first_part.strip_prefix(indent.as_str()) {
                    *first_part = stripped.to_string();
                }
            }
            let count = raw_parts.len();
            for (index, part) in raw_parts.iter_mut().enumerate() {
                let mut text = part.replace(&format!("\n{indent}"), "\n");
                if index + 1 == count {
                    if let Some(position) = text.rfind('\n') {
                        text.truncate(position);
                    } else {
                        text.clear();
                    }
                }
                *part = text;
            }
        }
        let exprs: Vec<SyntaxNode> =
            node.children().filter(|c| ast::Expr::can_cast(c.kind())).collect();
        let mut out: Vec<u8> = Vec::new();
        for (index, part) in raw_parts.iter().enumerate() {
            // Each piece is bounded; so is what they add up to.
            if out.len() > MAX_STRING_BYTES {
                return self.charge(None, span).unwrap_or_else(Value::top);
            }
            match labels::decode_body(part, quoting) {
                Ok(Decoded::String(text)) => out.extend_from_slice(text.as_bytes()),
                Ok(Decoded::Bytes(bytes)) => out.extend_from_slice(&bytes),
                Err(message) => {
                    return Value::error(
                        &registry::INVALID_VALUE,
                        format!("invalid string: {message}"),
                        vec![span],
                    );
                }
            }
            if let Some(expr) = exprs.get(index) {
                let value = self.eval_expr(expr, env);
                let value = self.default_of(value);
                match value {
                    Value::Scalar(Scalar::String(text)) => out.extend_from_slice(text.as_bytes()),
                    Value::Scalar(Scalar::Bytes(bytes)) => out.extend_from_slice(&bytes),
                    Value::Scalar(Scalar::Number(number)) => {
                        out.extend_from_slice(number.to_string().as_bytes())
                    }
                    Value::Scalar(Scalar::Bool(b)) => {
                        out.extend_from_slice(b.to_string().as_bytes())
                    }
                    Value::Scalar(Scalar::Null) => {
                        return Value::error(
                            &registry::INVALID_OPERATION,
                            "invalid interpolation: cannot use null as a string",
                            vec![self.span(expr)],
                        );
                    }
                    Value::Bottom(error) => return Value::Bottom(error),
                    Value::Struct(..) | Value::List(..) => {
                        return Value::error(
                            &registry::INVALID_OPERATION,
                            format!(
                                "invalid interpolation: cannot use {} as a string",
                                value.kind_name()
                            ),
                            vec![self.span(expr)],
                        );
                    }
                    other => {
                        return Value::incomplete(
                            format!(
                                "invalid interpolation: non-concrete value {}",
                                self.describe(&other)
                            ),
                            vec![self.span(expr)],
                        );
                    }
                }
            }
        }
        if let Some(error) = self.charge(Some(out.len()), span) {
            return error;
        }
        if quoting.bytes {
            Value::Scalar(Scalar::Bytes(out.into()))
        } else {
            match String::from_utf8(out) {
                Ok(text) => Value::string(text),
                Err(_) => Value::error(
                    &registry::INVALID_VALUE,
                    "invalid UTF-8 in interpolation",
                    vec![span],
                ),
            }
        }
    }

    /// Resolves a name in `env`, then among predeclared identifiers.
    pub fn lookup(&mut self, name: &str, env: &Env, node: &SyntaxNode) -> Value {
        let mut current = Some(env.clone());
        while let Some(frame) = current {
            match &frame.kind {
                FrameKind::Values(bindings) => {
                    if let Some((_, value)) =
                        bindings.iter().rev().find(|(n, _)| n.as_ref() == name)
                    {
                        return value.clone();
                    }
                }
                FrameKind::Struct { scope, vertex, let_values } => {
                    if let Some(expr) = scope.let_expr(name) {
                        if let Some(value) = let_values.borrow().get(name) {
                            return value.clone();
                        }
                        let expr = expr.clone();
                        let_values.borrow_mut().insert(
                            name.to_string(),
                            Value::incomplete(
                                format!("cycle in let {name}"),
                                vec![self.span(node)],
                            ),
                        );
                        let value = self.eval_expr(&expr, &frame);
                        let_values.borrow_mut().insert(name.to_string(), value.clone());
                        return value;
                    }
                    let label = scope.alias(name).or_else(|| scope.field(name)).cloned();
                    if let Some(label) = label {
                        let arc = self.get_or_add_arc_rc(*vertex, &label);
                        return self.reference_arc(arc);
                    }
                }
                FrameKind::File { imports, .. } => {
                    if let Some(path) = imports.get(name) {
                        return Value::Package(path.as_str().into());
                    }
                }
            }
            current = frame.parent.clone();
        }
        self.predeclared_cached(name).unwrap_or_else(|| {
            Value::error(
                &registry::UNDEFINED_REFERENCE,
                format!("reference \"{name}\" not found"),
                vec![self.span(node)],
            )
        })
    }

    /// The field a name refers to (`#N` in `#N.#min`), if `node` is a name
    /// of a field in scope.
    fn field_vertex(&mut self, node: &SyntaxNode, env: &Env) -> Option<VertexId> {
        let ExprInfo::Name(name) = &*self.expr_info(node) else { return None };
        let mut current = Some(env.clone());
        while let Some(frame) = current {
            match &frame.kind {
                FrameKind::Values(bindings) => {
                    if bindings.iter().any(|(n, _)| n.as_ref() == name.as_ref()) {
                        return None;
                    }
                }
                FrameKind::Struct { scope, vertex, .. } => {
                    if scope.let_expr(name).is_some() {
                        return None;
                    }
                    let label = scope.alias(name).or_else(|| scope.field(name)).cloned();
                    if let Some(label) = label {
                        let arc = self.get_or_add_arc_rc(*vertex, &label);
                        return Some(self.resolve(arc));
                    }
                }
                FrameKind::File { imports, .. } => {
                    if imports.contains_key(name.as_ref()) {
                        return None;
                    }
                }
            }
            current = frame.parent.clone();
        }
        None
    }

    /// The value of a field used as a reference: definitions are closed.
    pub fn reference_arc(&mut self, arc: VertexId) -> Value {
        let value = self.value_of(arc);
        let arc = self.resolve(arc);
        let is_definition = self.vertices[arc as usize].label_kind == LabelKind::Definition;
        match value {
            Value::Struct(id, closed) => Value::Struct(id, closed || is_definition),
            Value::List(id, closed) => Value::List(id, closed),
            // A struct that is incomplete on its own (`if enable` with
            // `enable: bool`) is still a struct where it is referenced:
            // unified there, its declarations may complete it.
            Value::Bottom(error)
                if error.incomplete
                    && !error.is_cycle()
                    && !self.vertices[arc as usize].arcs.is_empty()
                    && !self.vertices[arc as usize].is_list
                    && !self.vertices[arc as usize].conjuncts.is_empty() =>
            {
                Value::Struct(arc, is_definition)
            }
            other => other,
        }
    }

    /// A predeclared identifier's value, built once per evaluation for the
    /// types and ranges of [`PREDECLARED`] (schemas name `string` thousands of times).
    fn predeclared_cached(&mut self, name: &str) -> Option<Value> {
        let Some(index) = PREDECLARED.iter().position(|known| *known == name) else {
            return self.predeclared(name);
        };
        if self.predeclared_values.len() < PREDECLARED.len() {
            self.predeclared_values.resize(PREDECLARED.len(), None);
        }
        if let Some(value) = &self.predeclared_values[index] {
            return Some(value.clone());
        }
        let value = self.predeclared(name);
        self.predeclared_values[index] = value.clone();
        value
    }

    fn predeclared(&mut self, name: &str) -> Option<Value> {
        let kinds = |k: Kinds| Some(Value::Constraint(Rc::new(Constraint::of_kinds(k, None))));
        let int_range = |low: Number, high: Option<Number>| {
            let mut bounds = vec![(BoundOp::Ge, Scalar::Number(Rc::new(low)))];
            if let Some(high) = high {
                bounds.push((BoundOp::Le, Scalar::Number(Rc::new(high))));
            }
            Some(Value::Constraint(Rc::new(Constraint {
                kinds: Kinds::INT,
                bounds,
                validators: Vec::new(),
                schemas: Vec::new(),
                spans: Vec::new(),
            })))
        };
        let signed = |bits: u32| {
            let high = num_bigint::BigInt::from(1) << (bits - 1);
            int_range(Number::from_bigint(-high.clone()), Some(Number::from_bigint(high - 1)))
        };
        let unsigned = |bits: u32| {
            let high = num_bigint::BigInt::from(1) << bits;
            int_range(Number::from_i64(0), Some(Number::from_bigint(high - 1)))
        };
        match name {
            "_" => Some(Value::top()),
            "int" => kinds(Kinds::INT),
            "float" => kinds(Kinds::FLOAT),
            "number" => kinds(Kinds::NUMBER),
            "string" => kinds(Kinds::STRING),
            "bytes" => kinds(Kinds::BYTES),
            "bool" => kinds(Kinds::BOOL),
            "uint" => int_range(Number::from_i64(0), None),
            "rune" => int_range(Number::from_i64(0), Some(Number::from_i64(0x10FFFF))),
            "int8" => signed(8),
            "int16" => signed(16),
            "int32" => signed(32),
            "int64" => signed(64),
            "int128" => signed(128),
            "uint8" | "byte" => unsigned(8),
            "uint16" => unsigned(16),
            "uint32" => unsigned(32),
            "uint64" => unsigned(64),
            "uint128" => unsigned(128),
            "float32" | "float64" => kinds(Kinds::NUMBER),
            "len" | "close" | "and" | "or" | "div" | "mod" | "quo" | "rem" => {
                Some(Value::Package(format!("@{name}").into()))
            }
            _ => None,
        }
    }

    /// Resolves a disjunction to its default (or only) alternative.
    pub fn default_of(&mut self, value: Value) -> Value {
        match value {
            Value::Disjunction(alternatives) => {
                let defaults: Vec<&Alternative> =
                    alternatives.iter().filter(|a| a.default).collect();
                match (defaults.len(), alternatives.len()) {
                    (1, _) => self.default_of(defaults[0].value.clone()),
                    (_, 1) => self.default_of(alternatives[0].value.clone()),
                    _ => Value::Disjunction(alternatives),
                }
            }
            Value::Struct(id, closed) => {
                let resolved = self.resolve(id);
                self.evaluate(resolved);
                let resolved = self.resolve(resolved);
                match self.vertices[resolved as usize].value.clone() {
                    Value::Struct(..) | Value::List(..) => {
                        if self.vertices[resolved as usize].is_list {
                            Value::List(resolved, closed)
                        } else {
                            Value::Struct(resolved, closed)
                        }
                    }
                    other => self.default_of(other),
                }
            }
            Value::List(id, closed) => {
                let resolved = self.resolve(id);
                self.evaluate(resolved);
                let resolved = self.resolve(resolved);
                match self.vertices[resolved as usize].value.clone() {
                    Value::Struct(..) | Value::List(..) => Value::List(resolved, closed),
                    other => self.default_of(other),
                }
            }
            other => other,
        }
    }

    pub fn describe(&mut self, value: &Value) -> String {
        match value {
            Value::Scalar(scalar) => scalar.to_string(),
            Value::Constraint(constraint) => constraint.to_string(),
            Value::Disjunction(alternatives) => {
                // Marks only mean something when some alternatives lack them.
                let all_default = alternatives.iter().all(|a| a.default);
                alternatives
                    .iter()
                    .map(|a| {
                        let text = match &a.value {
                            Value::Scalar(s) => s.to_string(),
                            Value::Constraint(c) => c.to_string(),
                            other => other.kind_name(),
                        };
                        if a.default && !all_default { format!("*{text}") } else { text }
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
            Value::Bottom(_) => "_|_".into(),
            other => other.kind_name(),
        }
    }

    pub fn expr_info(&mut self, node: &SyntaxNode) -> Rc<ExprInfo> {
        if let Some(info) = self.expr_infos.get(node) {
            return info.clone();
        }
        let info = Rc::new(ExprInfo::compile(node));
        self.expr_infos.insert(node.clone(), info.clone());
        info
    }

    fn selector(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let info = self.expr_info(node);
        let ExprInfo::Selector { base, name } = &*info else { return Value::top() };
        let name_text: &str = name;
        let base_value = self.eval_expr(base, env);
        let base_value = self.default_of(base_value);
        let span = self.span_in(node, env);
        if LabelKind::of(name_text) != LabelKind::Regular
            && matches!(base_value, Value::Scalar(_) | Value::Constraint(_) | Value::Disjunction(_))
            && let Some(vertex) = self.field_vertex(base, env)
            && let Some(arc) = self.arc(vertex, name_text)
        {
            // `#N: {int, #min: 0}`: a scalar with definitions; `#N.#min`.
            return self.reference_arc(arc);
        }
        match base_value {
            Value::Package(path) => self.package_member(&path, name_text, span),
            Value::Struct(id, _) => match self.arc(id, name_text) {
                Some(arc) => {
                    let arc_id = self.resolve(arc);
                    self.evaluate(arc_id);
                    self.reference_arc(arc)
                }
                None => {
                    if self.vertices[self.resolve(id) as usize].state
                        == super::vertex::State::Evaluating
                    {
                        return Value::incomplete(
                            format!("undefined field: {name_text}"),
                            vec![span],
                        );
                    }
                    Value::error(
                        &registry::UNDEFINED_REFERENCE,
                        format!("undefined field: {name_text}"),
                        vec![span],
                    )
                }
            },
            Value::Bottom(error) => Value::Bottom(error),
            Value::Scalar(scalar) => Value::error(
                &registry::INVALID_OPERATION,
                format!("invalid selector {name_text}: {scalar} is not a struct"),
                vec![span],
            ),
            Value::List(..) => Value::error(
                &registry::INVALID_OPERATION,
                format!("invalid selector {name_text}: a list has no fields"),
                vec![span],
            ),
            other => Value::incomplete(
                format!("{} is not a concrete struct", self.describe(&other)),
                vec![span],
            ),
        }
    }

    fn package_member(&mut self, path: &str, name: &str, span: Span) -> Value {
        if let Some(&root) = self.module_packages.get(path) {
            self.evaluate(root);
            return match self.arc(root, name) {
                Some(arc) if !name.starts_with('_') => self.reference_arc(arc),
                _ => Value::error(
                    &registry::UNDEFINED_REFERENCE,
                    format!("{path}: undefined package member {name}"),
                    vec![span],
                ),
            };
        }
        if !builtins::is_package(path) {
            return Value::error(
                &registry::UNKNOWN_IMPORT,
                format!("package \"{path}\" not found"),
                vec![span],
            );
        }
        if let Some(builtin) = builtins::lookup(path, name) {
            return Value::Builtin(builtin);
        }
        let in_evaluator = match path {
            "list" => {
                matches!(name, "Sort" | "SortStable" | "IsSorted" | "Ascending" | "Descending")
            }
            "encoding/json" => name == "Validate",
            "encoding/yaml" => matches!(name, "Validate" | "ValidatePartial"),
            _ => false,
        };
        if in_evaluator {
            // Evaluated here, not in `builtins`: see `sort.rs` and `validate.rs`.
            return Value::Package(format!("@{path}.{name}").into());
        }
        if let Some(data) = builtins::constant(path, name) {
            return self.data_value(&data);
        }
        Value::error(
            &registry::UNDEFINED_REFERENCE,
            format!("{path}: undefined package member {name}"),
            vec![span],
        )
    }

    /// A value holding concrete data.
    pub fn data_value(&mut self, data: &Data) -> Value {
        match data {
            Data::Null => Value::Scalar(Scalar::Null),
            Data::Bool(b) => Value::bool(*b),
            Data::Number(n) => Value::number(n.clone()),
            Data::String(s) => Value::string(s.as_str()),
            Data::Bytes(b) => Value::Scalar(Scalar::Bytes(b.clone().into())),
            Data::List(items) => {
                let vertex = self.new_vertex(None, "".into());
                self.vertices[vertex as usize].optional = false;
                let mut elements = Vec::new();
                for item in items {
                    let value = self.data_value(item);
                    elements.push(value);
                }
                self.fill_data_vertex(
                    vertex,
                    elements.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
                    true,
                );
                Value::List(vertex, false)
            }
            Data::Struct(fields) => {
                let vertex = self.new_vertex(None, "".into());
                let mut values = Vec::new();
                for (key, item) in fields {
                    values.push((super::labels::regular_label(key), self.data_value(item)));
                }
                self.fill_data_vertex(vertex, values, false);
                Value::Struct(vertex, false)
            }
        }
    }

    pub(super) fn fill_data_vertex(
        &mut self,
        vertex: VertexId,
        values: Vec<(String, Value)>,
        is_list: bool,
    ) {
        for (label, value) in values {
            self.add_arc_conjunct(
                vertex,
                &label,
                Conjunct { kind: ConjunctKind::Value(value, None), close: None },
                false,
            );
        }
        let v = &mut self.vertices[vertex as usize];
        v.state = super::vertex::State::Done;
        v.is_list = is_list;
        v.value = if is_list { Value::List(vertex, false) } else { Value::Struct(vertex, false) };
    }

    fn index(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let Some(expr) = ast::IndexExpr::cast(node.clone()) else { return Value::top() };
        let (Some(base), Some(index)) = (expr.base(), expr.index()) else { return Value::top() };
        let span = self.span_in(node, env);
        let base_value = self.eval_expr(base.syntax(), env);
        let base_value = self.default_of(base_value);
        let index_value = self.eval_expr(index.syntax(), env);
        let index_value = self.default_of(index_value);
        match (base_value, index_value) {
            (Value::Bottom(error), _) | (_, Value::Bottom(error)) => Value::Bottom(error),
            (Value::List(id, _), Value::Scalar(Scalar::Number(number))) => {
                let length = self.list_len(id);
                match number.to_i64() {
                    Some(i) if number.is_int() && i >= 0 && (i as usize) < length => {
                        match self.arc(id, &i.to_string()) {
                            Some(arc) => self.reference_arc(arc),
                            None => Value::top(),
                        }
                    }
                    _ => Value::error(
                        &registry::INDEX_OUT_OF_RANGE,
                        format!("index out of range [{number}] with length {length}"),
                        vec![span],
                    ),
                }
            }
            (Value::Struct(id, _), Value::Scalar(Scalar::String(key))) => {
                match self.arc(id, &super::labels::regular_label(&key)) {
                    Some(arc) => self.reference_arc(arc),
                    None => Value::error(
                        &registry::UNDEFINED_REFERENCE,
                        format!("undefined field: {key}"),
                        vec![span],
                    ),
                }
            }
            (Value::Scalar(base), _) => Value::error(
                &registry::INVALID_OPERATION,
                format!(
                    "invalid operand {base} (found {}, want list or struct)",
                    base.kind().name()
                ),
                vec![span],
            ),
            (base @ (Value::List(..) | Value::Struct(..)), Value::Scalar(index)) => Value::error(
                &registry::INVALID_OPERATION,
                format!("invalid index {index} for {}", base.kind_name()),
                vec![span],
            ),
            (base, index) => Value::incomplete(
                format!("cannot index {} with {}", self.describe(&base), self.describe(&index)),
                vec![span],
            ),
        }
    }

    pub fn list_len(&mut self, id: VertexId) -> usize {
        let id = self.resolve(id);
        self.evaluate(id);
        let id = self.resolve(id);
        self.vertices[id as usize].arcs.len()
    }

    /// The values of a list's elements, in order.
    pub fn list_values(&mut self, id: VertexId) -> Vec<Value> {
        let id = self.resolve(id);
        self.evaluate(id);
        let id = self.resolve(id);
        let arcs = self.vertices[id as usize].arcs.clone();
        arcs.into_iter().map(|arc| self.reference_arc(arc)).collect()
    }

    fn slice(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let Some(expr) = ast::SliceExpr::cast(node.clone()) else { return Value::top() };
        let Some(base) = expr.base() else { return Value::top() };
        let span = self.span_in(node, env);
        let base_value = self.eval_expr(base.syntax(), env);
        let base_value = self.default_of(base_value);
        let (low, high) = expr.bounds();
        let Value::List(id, _) = base_value else {
            return match base_value {
                Value::Bottom(error) => Value::Bottom(error),
                other => Value::error(
                    &registry::INVALID_OPERATION,
                    format!("cannot slice {}", self.describe(&other)),
                    vec![span],
                ),
            };
        };
        let values = self.list_values(id);
        let bound = |expr: Option<ast::Expr>,
                     default: usize,
                     this: &mut Evaluator|
         -> Result<usize, Value> {
            let Some(expr) = expr else { return Ok(default) };
            let value = this.eval_expr(expr.syntax(), env);
            match this.default_of(value) {
                Value::Scalar(Scalar::Number(n)) => {
                    n.to_i64().filter(|i| *i >= 0).map(|i| i as usize).ok_or_else(|| {
                        Value::error(
                            &registry::INDEX_OUT_OF_RANGE,
                            format!("invalid slice index {n}"),
                            vec![span],
                        )
                    })
                }
                Value::Bottom(error) => Err(Value::Bottom(error)),
                other => Err(Value::incomplete(
                    format!("non-concrete slice index {}", this.describe(&other)),
                    vec![span],
                )),
            }
        };
        let low = match bound(low, 0, self) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let high = match bound(high, values.len(), self) {
            Ok(v) => v,
            Err(e) => return e,
        };
        if low > high || high > values.len() {
            return Value::error(
                &registry::INDEX_OUT_OF_RANGE,
                format!("invalid slice [{low}:{high}] of list with length {}", values.len()),
                vec![span],
            );
        }
        self.list_of(values[low..high].to_vec())
    }

    /// A new closed list holding `values`.
    pub fn list_of(&mut self, values: Vec<Value>) -> Value {
        let vertex = self.new_vertex(None, "".into());
        self.vertices[vertex as usize].optional = false;
        self.fill_data_vertex(
            vertex,
            values.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
            true,
        );
        Value::List(vertex, false)
    }

    fn call(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let Some(expr) = ast::CallExpr::cast(node.clone()) else { return Value::top() };
        let Some(callee) = expr.callee() else { return Value::top() };
        let span = self.span_in(node, env);
        let callee_value = self.eval_expr(callee.syntax(), env);
        let args: Vec<ast::Expr> = expr.args().collect();
        match callee_value {
            Value::Package(name) if name.starts_with('@') => {
                self.call_universe(&name[1..], &args, env, span)
            }
            Value::Builtin(builtin) => {
                let mut data_args = Vec::with_capacity(args.len());
                for arg in &args {
                    let value = self.eval_expr(arg.syntax(), env);
                    match self.data_of(value, span) {
                        Ok(data) => data_args.push(data),
                        Err(error) => return error,
                    }
                }
                let qualified = if builtin.package.is_empty() {
                    builtin.name.to_string()
                } else {
                    format!("{}.{}", builtin.package, builtin.name)
                };
                // As in the reference, a call that leaves out a parameter with
                // a default (`path.IsAbs(p)`) is a call, not a validator.
                if builtin.validator
                    && builtin.optional == 0
                    && data_args.len() + 1 == builtin.params
                {
                    return Value::Constraint(Rc::new(Constraint {
                        kinds: Kinds::TOP,
                        bounds: Vec::new(),
                        validators: vec![(builtin, data_args.into())],
                        schemas: Vec::new(),
                        spans: vec![span],
                    }));
                }
                let fewest = builtin.params - builtin.optional;
                let count_ok = (fewest..=builtin.params).contains(&data_args.len())
                    || (builtin.variadic && data_args.len() + 1 >= builtin.params);
                if !count_ok {
                    return Value::error(
                        &registry::INVALID_OPERATION,
                        format!(
                            "{qualified}: expected {} arguments, got {}",
                            builtin.params,
                            data_args.len()
                        ),
                        vec![span],
                    );
                }
                match (builtin.call)(&data_args) {
                    Ok(data) => self.data_value(&data),
                    Err(message) => Value::error(
                        &registry::BUILTIN_ERROR,
                        format!("error in call to {qualified}: {message}"),
                        vec![span],
                    ),
                }
            }
            Value::Bottom(error) => Value::Bottom(error),
            // `_fn: _` may still become a function through unification.
            Value::Constraint(constraint)
                if constraint.kinds == Kinds::TOP
                    && constraint.bounds.is_empty()
                    && constraint.validators.is_empty()
                    && constraint.schemas.is_empty() =>
            {
                Value::incomplete("cannot call _: not yet a function", vec![span])
            }
            other => Value::error(
                &registry::INVALID_OPERATION,
                format!("cannot call non-function {}", self.describe(&other)),
                vec![span],
            ),
        }
    }

    fn call_universe(&mut self, name: &str, args: &[ast::Expr], env: &Env, span: Span) -> Value {
        if let Some(function) = super::sort::SortFunction::of(name) {
            return self.call_sort(function, args, env, span);
        }
        if let Some(function) = super::validate::SchemaFunction::of(name) {
            return self.call_validate(function, args, env, span);
        }
        let arity_error = |expected: usize| {
            Value::error(
                &registry::INVALID_OPERATION,
                format!("{name}: expected {expected} argument(s), got {}", args.len()),
                vec![span],
            )
        };
        match name {
            "len" => {
                let [arg] = args else { return arity_error(1) };
                let value = self.eval_expr(arg.syntax(), env);
                match self.default_of(value) {
                    Value::Scalar(Scalar::String(text)) => {
                        Value::number(Number::from_i64(text.len() as i64))
                    }
                    Value::Scalar(Scalar::Bytes(bytes)) => {
                        Value::number(Number::from_i64(bytes.len() as i64))
                    }
                    Value::List(id, _) => {
                        let length = self.list_len(id);
                        Value::number(Number::from_i64(length as i64))
                    }
                    Value::Struct(id, _) => {
                        let id = self.resolve(id);
                        let count = self.vertices[id as usize]
                            .arcs
                            .iter()
                            .filter(|&&arc| {
                                let v = &self.vertices[arc as usize];
                                v.label_kind == LabelKind::Regular && !v.optional
                            })
                            .count();
                        Value::number(Number::from_i64(count as i64))
                    }
                    Value::Bottom(error) => Value::Bottom(error),
                    Value::Scalar(other) => Value::error(
                        &registry::INVALID_OPERATION,
                        format!("invalid argument {other} (type {}) for len", other.kind().name()),
                        vec![span],
                    ),
                    other => Value::incomplete(
                        format!("len of non-concrete value {}", self.describe(&other)),
                        vec![span],
                    ),
                }
            }
            "close" => {
                let [arg] = args else { return arity_error(1) };
                match self.eval_expr(arg.syntax(), env) {
                    Value::Struct(id, closed) => {
                        let wrapper = self.vertex_with(
                            None,
                            "".into(),
                            vec![Conjunct {
                                kind: ConjunctKind::Value(Value::Struct(id, closed), Some(span)),
                                close: None,
                            }],
                        );
                        self.vertices[wrapper as usize].shallow_close = true;
                        Value::Struct(wrapper, false)
                    }
                    Value::Bottom(error) => Value::Bottom(error),
                    other => Value::error(
                        &registry::INVALID_OPERATION,
                        format!("close: argument must be a struct, found {}", other.kind_name()),
                        vec![span],
                    ),
                }
            }
            "and" | "or" => {
                let [arg] = args else { return arity_error(1) };
                let value = self.eval_expr(arg.syntax(), env);
                let items = match self.default_of(value) {
                    Value::List(id, _) => self.list_values(id),
                    Value::Bottom(error) => return Value::Bottom(error),
                    other => {
                        return Value::error(
                            &registry::INVALID_OPERATION,
                            format!("{name}: argument must be a list, found {}", other.kind_name()),
                            vec![span],
                        );
                    }
                };
                if name == "and" {
                    let conjuncts = items
                        .into_iter()
                        .map(|value| Conjunct {
                            kind: ConjunctKind::Value(value, Some(span)),
                            close: None,
                        })
                        .collect();
                    self.unify_values(conjuncts)
                } else {
                    if items.is_empty() {
                        return Value::error(
                            &registry::INVALID_OPERATION,
                            "empty list in call to or",
                            vec![span],
                        );
                    }
                    self.make_disjunction(
                        items
                            .into_iter()
                            .map(|value| Alternative { value, default: false })
                            .collect(),
                    )
                }
            }
            _ => {
                let [left, right] = args else { return arity_error(2) };
                let left = self.eval_expr(left.syntax(), env);
                let right = self.eval_expr(right.syntax(), env);
                self.integer_op(name, left, right, span)
            }
        }
    }

    fn integer_op(&mut self, name: &str, left: Value, right: Value, span: Span) -> Value {
        let left = self.default_of(left);
        let right = self.default_of(right);
        match (&left, &right) {
            (Value::Scalar(Scalar::Number(a)), Value::Scalar(Scalar::Number(b))) => {
                if !a.is_int() || !b.is_int() {
                    let bad = if a.is_int() { b } else { a };
                    return Value::error(
                        &registry::INVALID_OPERATION,
                        format!("cannot use {bad} (type float) as int in call to {name}"),
                        vec![span],
                    );
                }
                let result = match name {
                    "div" => a.int_div(b),
                    "mod" => a.int_mod(b),
                    "quo" => a.quo(b),
                    _ => a.rem(b),
                };
                match result {
                    Ok(n) => Value::number(n),
                    Err(message) => Value::error(&registry::DIVISION_BY_ZERO, message, vec![span]),
                }
            }
            (Value::Bottom(error), _) | (_, Value::Bottom(error)) => Value::Bottom(error.clone()),
            (Value::Scalar(a), Value::Scalar(b)) => Value::error(
                &registry::INVALID_OPERATION,
                format!("invalid operands {a} and {b} to {name}"),
                vec![span],
            ),
            _ => Value::incomplete(format!("non-concrete operands to {name}"), vec![span]),
        }
    }

    /// Converts a value to concrete data (for built-in calls).
    pub fn data_of(&mut self, value: Value, span: Span) -> Result<Data, Value> {
        match self.default_of(value) {
            Value::Scalar(scalar) => Ok(scalar.to_data()),
            Value::Struct(id, _) | Value::List(id, _) => self.arcs_to_data(id, span),
            Value::Bottom(error) => Err(Value::Bottom(error)),
            other => Err(Value::incomplete(
                format!("non-concrete value {}", self.describe(&other)),
                vec![span],
            )),
        }
    }

    /// The concrete data of a struct or list vertex's regular fields.
    pub fn arcs_to_data(&mut self, id: VertexId, span: Span) -> Result<Data, Value> {
        {
            {
                let id = self.resolve(id);
                let is_list = self.vertices[id as usize].is_list;
                let arcs = self.vertices[id as usize].arcs.clone();
                let mut fields = Vec::new();
                for arc in arcs {
                    let vertex = &self.vertices[arc as usize];
                    if vertex.label_kind != LabelKind::Regular || vertex.optional {
                        continue;
                    }
                    let label = super::labels::label_name(&vertex.label).to_string();
                    let value = self.value_of(arc);
                    fields.push((label, self.data_of(value, span)?));
                }
                Ok(if is_list {
                    Data::List(fields.into_iter().map(|(_, v)| v).collect())
                } else {
                    Data::Struct(fields)
                })
            }
        }
    }

    fn unary(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let info = self.expr_info(node);
        let ExprInfo::Unary { op, op_text, operand } = &*info else { return Value::top() };
        let (op, op_text) = (*op, op_text.clone());
        let span = self.span_in(node, env);
        let value = self.eval_expr(operand, env);
        let bound_op = match op {
            LT => Some(BoundOp::Lt),
            LTEQ => Some(BoundOp::Le),
            GT => Some(BoundOp::Gt),
            GTEQ => Some(BoundOp::Ge),
            NEQ => Some(BoundOp::Ne),
            MATCH => Some(BoundOp::Match),
            NOT_MATCH => Some(BoundOp::NotMatch),
            _ => None,
        };
        if let Some(bound_op) = bound_op {
            return match self.default_of(value) {
                Value::Scalar(scalar) => {
                    let kinds = crate::value::bound_kinds(bound_op, &scalar);
                    if matches!(bound_op, BoundOp::Match | BoundOp::NotMatch)
                        && !matches!(scalar, Scalar::String(_))
                    {
                        return Value::error(
                            &registry::INVALID_OPERATION,
                            format!(
                                "invalid bound {}{scalar}: regular expressions must be strings",
                                bound_op.symbol()
                            ),
                            vec![span],
                        );
                    }
                    Value::Constraint(Rc::new(Constraint {
                        kinds,
                        bounds: vec![(bound_op, scalar)],
                        validators: Vec::new(),
                        schemas: Vec::new(),
                        spans: vec![span],
                    }))
                }
                Value::Bottom(error) => Value::Bottom(error),
                other => Value::incomplete(
                    format!("non-concrete bound {}", self.describe(&other)),
                    vec![span],
                ),
            };
        }
        match op {
            STAR => value,
            MINUS | PLUS => match self.default_of(value) {
                Value::Scalar(Scalar::Number(n)) => {
                    Value::number(if op == MINUS { n.neg() } else { (*n).clone() })
                }
                Value::Bottom(error) => Value::Bottom(error),
                Value::Scalar(other) => Value::error(
                    &registry::INVALID_OPERATION,
                    format!("invalid operation {}{other} (type {})", op_text, other.kind().name()),
                    vec![span],
                ),
                other => Value::incomplete(
                    format!("non-concrete operand {}", self.describe(&other)),
                    vec![span],
                ),
            },
            BANG => match self.default_of(value) {
                Value::Scalar(Scalar::Bool(b)) => Value::bool(!b),
                Value::Bottom(error) => Value::Bottom(error),
                Value::Scalar(other) => Value::error(
                    &registry::INVALID_OPERATION,
                    format!("invalid operation !{other} (type {})", other.kind().name()),
                    vec![span],
                ),
                other => Value::incomplete(
                    format!("non-concrete operand {}", self.describe(&other)),
                    vec![span],
                ),
            },
            _ => Value::top(),
        }
    }

    pub fn make_disjunction(&mut self, alternatives: Vec<Alternative>) -> Value {
        let mut flat: Vec<Alternative> = Vec::new();
        let mut first_error = None;
        for alternative in alternatives {
            match alternative.value {
                Value::Disjunction(inner) => {
                    let inner_has_default = inner.iter().any(|a| a.default);
                    for a in inner.iter() {
                        flat.push(Alternative {
                            value: a.value.clone(),
                            // `*x | y` keeps x's defaults (all of x if it marks
                            // none); an unmarked `x | y` keeps x's marked ones.
                            default: if alternative.default {
                                a.default || !inner_has_default
                            } else {
                                a.default
                            },
                        });
                    }
                }
                Value::Bottom(error) => {
                    if first_error.is_none() {
                        first_error = Some(error);
                    }
                }
                value => flat.push(Alternative { value, default: alternative.default }),
            }
        }
        if flat.is_empty() {
            return match first_error {
                Some(error) => Value::Bottom(error),
                None => {
                    Value::error(&registry::CONFLICTING_VALUES, "empty disjunction", Vec::new())
                }
            };
        }
        // Duplicate scalars collapse.
        let mut unique: Vec<Alternative> = Vec::new();
        for alternative in flat {
            if let Value::Scalar(scalar) = &alternative.value
                && let Some(existing) = unique
                    .iter_mut()
                    .find(|a| matches!(&a.value, Value::Scalar(s) if s.same(scalar)))
            {
                existing.default |= alternative.default;
                continue;
            }
            unique.push(alternative);
        }
        if unique.len() == 1 {
            return unique.pop().map(|a| a.value).unwrap_or_else(Value::top);
        }
        Value::Disjunction(unique.into())
    }

    fn disjunction_operands(&mut self, node: &SyntaxNode, env: &Env, out: &mut Vec<Alternative>) {
        // Flatten `a | b | c` (left-nested) and mark `*x` defaults.
        if node.kind() == BINARY_EXPR && operator(node).map(|t| t.kind()) == Some(PIPE) {
            for child in node.children().filter(|c| ast::Expr::can_cast(c.kind())) {
                self.disjunction_operands(&child, env, out);
            }
            return;
        }
        if node.kind() == UNARY_EXPR && operator(node).map(|t| t.kind()) == Some(STAR) {
            if let Some(inner) = first_expr(node) {
                let value = self.eval_expr(&inner, env);
                out.push(Alternative { value, default: true });
            }
            return;
        }
        let value = self.eval_expr(node, env);
        out.push(Alternative { value, default: false });
    }

    fn binary(&mut self, node: &SyntaxNode, env: &Env) -> Value {
        let info = self.expr_info(node);
        let ExprInfo::Binary { op, op_text, left, right } = &*info else { return Value::top() };
        let (op, op_text) = (*op, op_text.clone());
        let span = self.span_in(node, env);
        match op {
            PIPE => {
                let mut alternatives = Vec::new();
                self.disjunction_operands(node, env, &mut alternatives);
                self.make_disjunction(alternatives)
            }
            AMP => self.unify_values(vec![
                Conjunct { kind: ConjunctKind::Expr(left.clone(), env.clone()), close: None },
                Conjunct { kind: ConjunctKind::Expr(right.clone(), env.clone()), close: None },
            ]),
            AMP2 | PIPE2 => {
                let left_value = self.eval_expr(left, env);
                let left_value = self.default_of(left_value);
                let Value::Scalar(Scalar::Bool(left_bool)) = left_value else {
                    return self.operand_error(&op_text, left_value, None, span);
                };
                let right_value = self.eval_expr(right, env);
                let right_value = self.default_of(right_value);
                let Value::Scalar(Scalar::Bool(right_bool)) = right_value else {
                    return self.operand_error(
                        &op_text,
                        Value::bool(left_bool),
                        Some(right_value),
                        span,
                    );
                };
                Value::bool(if op == AMP2 {
                    left_bool && right_bool
                } else {
                    left_bool || right_bool
                })
            }
            EQ2 | NEQ if is_bottom_literal(left) || is_bottom_literal(right) => {
                // `x == _|_` and `x != _|_` test whether `x` is an error
                // (a missing field, an out-of-range index, a conflict),
                // whatever kind of expression `x` is.
                let operand = if is_bottom_literal(left) { right } else { left };
                let value = self.eval_expr(operand, env);
                let value = self.default_of(value);
                let is_error = matches!(value, Value::Bottom(_));
                Value::bool(is_error == (op == EQ2))
            }
            _ => {
                let left_value = self.eval_expr(left, env);
                let left_value = self.default_of(left_value);
                let right_value = self.eval_expr(right, env);
                let right_value = self.default_of(right_value);
                self.arithmetic(op, &op_text, left_value, right_value, span)
            }
        }
    }

    fn operand_error(&mut self, op: &str, left: Value, right: Option<Value>, span: Span) -> Value {
        for value in [Some(&left), right.as_ref()].into_iter().flatten() {
            if let Value::Bottom(error) = value {
                return Value::Bottom(error.clone());
            }
        }
        let concrete =
            |v: &Value| matches!(v, Value::Scalar(_) | Value::Struct(..) | Value::List(..));
        if !concrete(&left) || right.as_ref().is_some_and(|r| !concrete(r)) {
            return Value::incomplete(format!("non-concrete operand to '{op}'"), vec![span]);
        }
        let left_text = self.describe(&left);
        let left_kind = left.kind_name();
        match right {
            Some(right) => {
                let right_text = self.describe(&right);
                Value::error(
                    &registry::INVALID_OPERATION,
                    format!(
                        "invalid operands {left_text} and {right_text} to '{op}' (type {left_kind} and {})",
                        right.kind_name()
                    ),
                    vec![span],
                )
            }
            None => Value::error(
                &registry::INVALID_OPERATION,
                format!("invalid operand {left_text} to '{op}' (type {left_kind})"),
                vec![span],
            ),
        }
    }

    pub(super) fn arithmetic(
        &mut self,
        op: SyntaxKind,
        text: &str,
        left: Value,
        right: Value,
        span: Span,
    ) -> Value {
        let result = self.arithmetic_unchecked(op, text, left, right, span);
        // Bound what repeated doubling can build from a small source.
        let too_large = match &result {
            Value::Scalar(Scalar::Number(n)) => n.parts().0.bits() > MAX_NUMBER_BITS,
            Value::Scalar(Scalar::String(s)) => s.len() > MAX_STRING_BYTES,
            Value::Scalar(Scalar::Bytes(b)) => b.len() > MAX_STRING_BYTES,
            _ => false,
        };
        if too_large {
            return Value::error(
                &registry::EVALUATION_LIMIT,
                "value too large: numbers are limited to 1,000,000 bits and strings to 64 MiB",
                vec![span],
            );
        }
        result
    }

    /// Charges `bytes` about to be built to the run's budget: an error value
    /// when one value would pass [`MAX_STRING_BYTES`] or all of them together
    /// [`Limits::max_built_bytes`](super::Limits), checked before anything
    /// is allocated.
    fn charge(&mut self, bytes: Option<usize>, span: Span) -> Option<Value> {
        let total = bytes.and_then(|bytes| self.built_bytes.checked_add(bytes));
        match (bytes, total) {
            (Some(bytes), Some(total))
                if bytes <= MAX_STRING_BYTES && total <= self.limits.max_built_bytes =>
            {
                self.built_bytes = total;
                None
            }
            (Some(bytes), Some(_)) if bytes <= MAX_STRING_BYTES => Some(Value::error(
                &registry::EVALUATION_LIMIT,
                format!(
                    "value too large: the strings built in one evaluation are limited to {} MiB in all",
                    self.limits.max_built_bytes >> 20
                ),
                vec![span],
            )),
            _ => Some(Value::error(
                &registry::EVALUATION_LIMIT,
                "value too large: strings and bytes are limited to 64 MiB",
                vec![span],
            )),
        }
    }

    fn arithmetic_unchecked(
        &mut self,
        op: SyntaxKind,
        text: &str,
        left: Value,
        right: Value,
        span: Span,
    ) -> Value {
        use Scalar::*;
        let number = |n: crate::num::Number| Value::number(n);
        match (&left, &right) {
            (Value::Scalar(a), Value::Scalar(b)) => match (op, a, b) {
                (PLUS, Number(x), Number(y)) => number(x.add(y)),
                (MINUS, Number(x), Number(y)) => number(x.sub(y)),
                (STAR, Number(x), Number(y)) => number(x.mul(y)),
                (SLASH, Number(x), Number(y)) => match x.div(y) {
                    Ok(n) => number(n),
                    Err(message) => Value::error(
                        &registry::DIVISION_BY_ZERO,
                        format!("failed arithmetic: {message}"),
                        vec![span],
                    ),
                },
                (DIV_KW | MOD_KW | QUO_KW | REM_KW, Number(_), Number(_)) => {
                    self.integer_op(text, left.clone(), right.clone(), span)
                }
                (PLUS, String(x), String(y)) => {
                    if let Some(error) = self.charge(x.len().checked_add(y.len()), span) {
                        return error;
                    }
                    Value::string(format!("{x}{y}"))
                }
                (PLUS, Bytes(x), Bytes(y)) => {
                    if let Some(error) = self.charge(x.len().checked_add(y.len()), span) {
                        return error;
                    }
                    Value::Scalar(Bytes([x.as_ref(), y.as_ref()].concat().into()))
                }
                (STAR, String(s), Number(n)) | (STAR, Number(n), String(s)) => match n.to_i64() {
                    Some(count) if n.is_int() && (0..=1 << 24).contains(&count) => {
                        if let Some(error) = self.charge(s.len().checked_mul(count as usize), span)
                        {
                            return error;
                        }
                        Value::string(s.repeat(count as usize))
                    }
                    _ => Value::error(
                        &registry::INVALID_OPERATION,
                        format!("invalid repeat count {n}"),
                        vec![span],
                    ),
                },
                (STAR, Bytes(s), Number(n)) | (STAR, Number(n), Bytes(s)) => match n.to_i64() {
                    Some(count) if n.is_int() && (0..=1 << 24).contains(&count) => {
                        if let Some(error) = self.charge(s.len().checked_mul(count as usize), span)
                        {
                            return error;
                        }
                        Value::Scalar(Bytes(s.repeat(count as usize).into()))
                    }
                    _ => Value::error(
                        &registry::INVALID_OPERATION,
                        format!("invalid repeat count {n}"),
                        vec![span],
                    ),
                },
                (EQ2 | NEQ, _, _) => {
                    let equal = match (a, b) {
                        (Number(x), Number(y)) => x.cmp(y).is_eq(),
                        _ if a.kind() != b.kind()
                            && !(a.kind() == Kinds::NULL || b.kind() == Kinds::NULL) =>
                        {
                            return self.operand_error(
                                text,
                                left.clone(),
                                Some(right.clone()),
                                span,
                            );
                        }
                        _ => a == b,
                    };
                    Value::bool(if op == EQ2 { equal } else { !equal })
                }
                (LT | LTEQ | GT | GTEQ, _, _) => {
                    let ordering = match (a, b) {
                        (Number(x), Number(y)) => x.cmp(y),
                        (String(x), String(y)) => x.cmp(y),
                        (Bytes(x), Bytes(y)) => x.cmp(y),
                        _ => {
                            return self.operand_error(
                                text,
                                left.clone(),
                                Some(right.clone()),
                                span,
                            );
                        }
                    };
                    Value::bool(match op {
                        LT => ordering.is_lt(),
                        LTEQ => ordering.is_le(),
                        GT => ordering.is_gt(),
                        _ => ordering.is_ge(),
                    })
                }
                (MATCH | NOT_MATCH, String(text_value), String(pattern)) => {
                    match crate::value::compiled_regex(pattern) {
                        Ok(regex) => Value::bool(regex.is_match(text_value) == (op == MATCH)),
                        Err(error) => Value::error(&registry::INVALID_VALUE, error, vec![span]),
                    }
                }
                _ => self.operand_error(text, left.clone(), Some(right.clone()), span),
            },
            (Value::List(x, _), Value::List(y, _)) if matches!(op, PLUS | EQ2 | NEQ) => {
                let mut items = self.list_values(*x);
                let other = self.list_values(*y);
                if op == PLUS {
                    items.extend(other);
                    if items.len() > MAX_LIST_ELEMENTS {
                        return Value::error(
                            &registry::EVALUATION_LIMIT,
                            "list too large",
                            vec![span],
                        );
                    }
                    return self.list_of(items);
                }
                let left_data = self.data_of(Value::List(*x, false), span);
                let right_data = self.data_of(Value::List(*y, false), span);
                match (left_data, right_data) {
                    (Ok(a), Ok(b)) => Value::bool((a == b) == (op == EQ2)),
                    (Err(e), _) | (_, Err(e)) => e,
                }
            }
            (Value::List(x, _), Value::Scalar(Scalar::Number(n)))
            | (Value::Scalar(Scalar::Number(n)), Value::List(x, _))
                if op == STAR =>
            {
                let items = self.list_values(*x);
                match n.to_i64() {
                    Some(count)
                        if n.is_int()
                            && count >= 0
                            && (count as usize).saturating_mul(items.len())
                                <= MAX_LIST_ELEMENTS =>
                    {
                        let mut out = Vec::new();
                        for _ in 0..count {
                            out.extend(items.iter().cloned());
                        }
                        self.list_of(out)
                    }
                    _ => Value::error(
                        &registry::INVALID_OPERATION,
                        format!("invalid repeat count {n}"),
                        vec![span],
                    ),
                }
            }
            (Value::Struct(x, _), Value::Struct(y, _)) if matches!(op, EQ2 | NEQ) => {
                let left_data = self.data_of(Value::Struct(*x, false), span);
                let right_data = self.data_of(Value::Struct(*y, false), span);
                match (left_data, right_data) {
                    (Ok(a), Ok(b)) => Value::bool((a == b) == (op == EQ2)),
                    (Err(e), _) | (_, Err(e)) => e,
                }
            }
            (Value::Scalar(Scalar::Null), other) | (other, Value::Scalar(Scalar::Null))
                if matches!(op, EQ2 | NEQ)
                    && matches!(other, Value::Struct(..) | Value::List(..)) =>
            {
                Value::bool(op == NEQ)
            }
            _ => self.operand_error(text, left, Some(right), span),
        }
    }

    /// Runs a comprehension in a struct: each result adds its body to `id`.
    pub(super) fn comprehension_envs(
        &mut self,
        node: &SyntaxNode,
        env: &Env,
    ) -> Result<Vec<Env>, Value> {
        let clauses = self.clauses_of(node);
        let mut envs = vec![env.clone()];
        for clause in clauses.iter() {
            let mut next = Vec::new();
            for env in envs {
                match clause {
                    ClauseInfo::For { key: key_name, value: value_name, source } => {
                        let Some(source) = source else { continue };
                        let source_value = self.eval_expr(source, &env);
                        let pairs: Vec<(Value, Value)> = match self.default_of(source_value) {
                            Value::Struct(id, _) => {
                                let id = self.resolve(id);
                                // Arcs are only ever appended: the first
                                // `count` stay put.
                                let count = self.vertices[id as usize].arcs.len();
                                let mut pairs = Vec::with_capacity(count);
                                for index in 0..count {
                                    let arc = self.vertices[id as usize].arcs[index];
                                    let vertex = &self.vertices[arc as usize];
                                    if vertex.label_kind != LabelKind::Regular || vertex.optional {
                                        continue;
                                    }
                                    let label: Rc<str> =
                                        super::labels::label_name(&vertex.label).into();
                                    pairs.push((Value::string(label), self.reference_arc(arc)));
                                }
                                pairs
                            }
                            Value::List(id, _) => self
                                .list_values(id)
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (Value::number(Number::from_i64(i as i64)), v))
                                .collect(),
                            Value::Bottom(error) => return Err(Value::Bottom(error)),
                            Value::Scalar(other) => {
                                return Err(Value::error(
                                    &registry::INVALID_OPERATION,
                                    format!(
                                        "cannot range over {other} (found {}, want list or struct)",
                                        other.kind().name()
                                    ),
                                    vec![self.span(source)],
                                ));
                            }
                            other => {
                                return Err(Value::incomplete(
                                    format!(
                                        "cannot range over non-concrete value {}",
                                        self.describe(&other)
                                    ),
                                    vec![self.span(source)],
                                ));
                            }
                        };
                        next.reserve(pairs.len());
                        for (key, value) in pairs {
                            let mut bindings = Vec::with_capacity(2);
                            if let Some(key_name) = key_name {
                                bindings.push((key_name.clone(), key));
                            }
                            if let Some(value_name) = value_name {
                                bindings.push((value_name.clone(), value));
                            }
                            next.push(Rc::new(Frame::new(
                                Some(env.clone()),
                                FrameKind::Values(bindings),
                            )));
                        }
                    }
                    ClauseInfo::If(condition) => {
                        let Some(condition) = condition else { continue };
                        let value = self.eval_expr(condition, &env);
                        match self.default_of(value) {
                            Value::Scalar(Scalar::Bool(true)) => next.push(env),
                            Value::Scalar(Scalar::Bool(false)) => {}
                            Value::Bottom(error) => return Err(Value::Bottom(error)),
                            Value::Scalar(other) => {
                                return Err(Value::error(
                                    &registry::INVALID_OPERATION,
                                    format!(
                                        "cannot use {other} (type {}) as type bool",
                                        other.kind().name()
                                    ),
                                    vec![self.span(condition)],
                                ));
                            }
                            other => {
                                return Err(Value::incomplete(
                                    format!("non-concrete condition {}", self.describe(&other)),
                                    vec![self.span(condition)],
                                ));
                            }
                        }
                    }
                    ClauseInfo::Let { name, value } => {
                        let (Some(name), Some(value)) = (name, value) else { continue };
                        let value = self.eval_expr(value, &env);
                        next.push(Rc::new(Frame::new(
                            Some(env.clone()),
                            FrameKind::Values(vec![(name.clone(), value)]),
                        )));
                    }
                }
            }
            envs = next;
        }
        Ok(envs)
    }

    /// The compiled clauses of a comprehension.
    fn clauses_of(&mut self, node: &SyntaxNode) -> Rc<[ClauseInfo]> {
        if let Some(clauses) = self.clause_infos.get(node) {
            return clauses.clone();
        }
        let clauses: Rc<[ClauseInfo]> = super::literal::compile_clauses(node).into();
        self.clause_infos.insert(node.clone(), clauses.clone());
        clauses
    }

    /// The elements a list comprehension produces.
    pub(super) fn list_comprehension(&mut self, node: &SyntaxNode, env: &Env) -> Vec<Value> {
        let Some(body) = node.children().find(|c| c.kind() == STRUCT_LIT) else {
            return Vec::new();
        };
        // `[for x in l {x}]`: a body that only embeds one expression is that
        // expression's value; no struct needs building.
        let info = self.struct_info(&body);
        let single = match info.decls.as_slice() {
            [super::literal::DeclInfo::Embedding(expr)] if !info.has_fields => Some(expr.clone()),
            _ => None,
        };
        let body = single.unwrap_or(body);
        match self.comprehension_envs(node, env) {
            Ok(envs) => envs.iter().map(|env| self.eval_expr(&body, env)).collect(),
            Err(error) => vec![error],
        }
    }
}

/// Whether `node` is the literal `_|_`, possibly in parentheses.
fn is_bottom_literal(node: &SyntaxNode) -> bool {
    match node.kind() {
        LITERAL => node.first_token().is_some_and(|t| t.kind() == BOTTOM),
        PAREN_EXPR => node
            .children()
            .find(|c| ast::Expr::can_cast(c.kind()))
            .is_some_and(|inner| is_bottom_literal(&inner)),
        _ => false,
    }
}
