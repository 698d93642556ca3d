//! `list.Sort`, `list.SortStable` and `list.IsSorted`: built-ins whose
//! comparator is a CUE struct, so they live in the evaluator, not in
//! [`crate::builtins`].
//!
//! A comparator is a struct `{x: _, y: _, less: bool}`: to compare two
//! elements it is unified with `{x: a, y: b}` and its `less` field is read,
//! as the reference does. `list.Ascending` and `list.Descending` compare
//! numbers or strings with `<` directly.
//!
//! Both sorts are stable (a merge sort with a fallible comparison): for
//! elements that compare equal the reference's `list.Sort` may order them
//! differently (Go's unstable `sort.Sort`).
//!
//! Invariant: a comparator that errs, is not concrete, or is not a strict
//! order makes an error value or some order, never a panic.

use froyo_diagnostics::registry;
use froyo_syntax::{SyntaxKind, ast};

use super::vertex::{Conjunct, ConjunctKind};
use super::{Env, Evaluator};
use crate::value::{Scalar, Span, Value};

/// Which of the three functions is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortFunction {
    Sort,
    SortStable,
    IsSorted,
}

impl SortFunction {
    pub fn of(name: &str) -> Option<SortFunction> {
        match name {
            "list.Sort" => Some(SortFunction::Sort),
            "list.SortStable" => Some(SortFunction::SortStable),
            "list.IsSorted" => Some(SortFunction::IsSorted),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SortFunction::Sort => "list.Sort",
            SortFunction::SortStable => "list.SortStable",
            SortFunction::IsSorted => "list.IsSorted",
        }
    }
}

/// How two elements are compared.
enum Comparator {
    /// `list.Ascending` (`false`) or `list.Descending` (`true`).
    Order { descending: bool },
    /// A struct with `x`, `y` and `less`.
    Struct(Value),
}

impl Evaluator {
    pub(super) fn call_sort(
        &mut self,
        function: SortFunction,
        args: &[ast::Expr],
        env: &Env,
        span: Span,
    ) -> Value {
        let [list, comparator] = args else {
            return Value::error(
                &registry::INVALID_OPERATION,
                format!("{}: expected 2 arguments, got {}", function.name(), args.len()),
                vec![span],
            );
        };
        let list_value = self.eval_expr(list.syntax(), env);
        let items = match self.default_of(list_value) {
            Value::List(id, _) => self.list_values(id),
            Value::Bottom(error) => return Value::Bottom(error),
            other => {
                let text = self.describe(&other);
                return Value::error(
                    &registry::BUILTIN_ERROR,
                    format!(
                        "cannot use {text} (type {}) as list in argument 1 to {}",
                        other.kind_name(),
                        function.name()
                    ),
                    vec![span],
                );
            }
        };
        let comparator_value = self.eval_expr(comparator.syntax(), env);
        let comparator = match self.default_of(comparator_value) {
            Value::Package(name) if &*name == "@list.Ascending" => {
                Comparator::Order { descending: false }
            }
            Value::Package(name) if &*name == "@list.Descending" => {
                Comparator::Order { descending: true }
            }
            value @ Value::Struct(..) => Comparator::Struct(value),
            Value::Bottom(error) => return Value::Bottom(error),
            other => {
                let text = self.describe(&other);
                return Value::error(
                    &registry::BUILTIN_ERROR,
                    format!(
                        "cannot use {text} (type {}) as struct in argument 2 to {}",
                        other.kind_name(),
                        function.name()
                    ),
                    vec![span],
                );
            }
        };
        let result = match function {
            SortFunction::IsSorted => self.is_sorted(&items, &comparator, span).map(Value::bool),
            SortFunction::Sort | SortFunction::SortStable => {
                self.merge_sort(items, &comparator, span).map(|sorted| self.list_of(sorted))
            }
        };
        result.unwrap_or_else(|error| error)
    }

    fn is_sorted(
        &mut self,
        items: &[Value],
        comparator: &Comparator,
        span: Span,
    ) -> Result<bool, Value> {
        for index in 1..items.len() {
            if self.less(comparator, &items[index], &items[index - 1], span)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A stable, top-down merge sort: an element of the right half goes first
    /// only when it is less than the left one.
    fn merge_sort(
        &mut self,
        mut items: Vec<Value>,
        comparator: &Comparator,
        span: Span,
    ) -> Result<Vec<Value>, Value> {
        if items.len() <= 1 {
            return Ok(items);
        }
        let right = items.split_off(items.len() / 2);
        let left = self.merge_sort(items, comparator, span)?;
        let right = self.merge_sort(right, comparator, span)?;
        let mut merged = Vec::with_capacity(left.len() + right.len());
        let mut left = left.into_iter().peekable();
        let mut right = right.into_iter().peekable();
        while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
            let take_right = self.less(comparator, r, l, span)?;
            let next = if take_right { right.next() } else { left.next() };
            merged.extend(next);
        }
        merged.extend(left);
        merged.extend(right);
        Ok(merged)
    }

    /// Whether `a` sorts before `b`.
    fn less(
        &mut self,
        comparator: &Comparator,
        a: &Value,
        b: &Value,
        span: Span,
    ) -> Result<bool, Value> {
        if !self.step() {
            return Err(Value::error(
                &registry::EVALUATION_LIMIT,
                "evaluation limit reached while sorting",
                vec![span],
            ));
        }
        let less = match comparator {
            Comparator::Order { descending } => {
                let (first, second) = if *descending { (b, a) } else { (a, b) };
                let first = self.default_of(first.clone());
                let second = self.default_of(second.clone());
                self.arithmetic(SyntaxKind::LT, "<", first, second, span)
            }
            Comparator::Struct(comparator) => {
                let pair = self.new_vertex(None, "".into());
                self.fill_data_vertex(
                    pair,
                    vec![("x".to_string(), a.clone()), ("y".to_string(), b.clone())],
                    false,
                );
                let unified = self.vertex_with(
                    None,
                    "".into(),
                    vec![
                        Conjunct {
                            kind: ConjunctKind::Value(comparator.clone(), Some(span)),
                            close: None,
                        },
                        Conjunct {
                            kind: ConjunctKind::Value(Value::Struct(pair, false), Some(span)),
                            close: None,
                        },
                    ],
                );
                match self.value_of(unified) {
                    Value::Bottom(error) => return Err(Value::Bottom(error)),
                    _ => match self.arc(unified, "less") {
                        Some(arc) => {
                            let value = self.value_of(arc);
                            self.default_of(value)
                        }
                        None => {
                            return Err(Value::error(
                                &registry::BUILTIN_ERROR,
                                "the comparator has no field less",
                                vec![span],
                            ));
                        }
                    },
                }
            }
        };
        match less {
            Value::Scalar(Scalar::Bool(less)) => Ok(less),
            Value::Bottom(error) => Err(Value::Bottom(error)),
            other @ (Value::Scalar(_) | Value::Struct(..) | Value::List(..)) => {
                let text = self.describe(&other);
                Err(Value::error(
                    &registry::BUILTIN_ERROR,
                    format!(
                        "cannot use value {text} (type {}) as bool in the comparator's less",
                        other.kind_name()
                    ),
                    vec![span],
                ))
            }
            other => {
                let text = self.describe(&other);
                Err(Value::incomplete(
                    format!("the comparator's less is not concrete: {text}"),
                    vec![span],
                ))
            }
        }
    }
}
