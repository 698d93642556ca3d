//! Repetition whose size is known before it is built.
//!
//! `"x" * n` and `[0] * n` are the one place where a single Starlark
//! operation builds a value far larger than anything that exists already:
//! the crate allocates the whole result at once (`[0] * 1000000000` asks
//! for 8 GB), before any heap check can see it. froyo therefore compiles
//! every `a * b` to a call of [`NAME`], a function that computes the size
//! of a repeated string, list or tuple from its operands and refuses one
//! that would not fit in what is left of the heap limit; everything else
//! is the crate's own `*`, with its own results and errors.
//!
//! `x *= n` has no expression to replace, so it is refused with a
//! diagnostic that says to write `x = x * n`.

use std::cell::Cell;

use starlark::environment::{GlobalsBuilder, GlobalsStatic};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::syntax::AstModule;
use starlark::syntax::ast::{AssignOp, AstStmt, StmtP};
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{UnpackValue, Value};

/// The name `*` is compiled to. Not an identifier, so no user binding can
/// shadow it.
pub const NAME: &str = "froyo:*";

thread_local! {
    /// The heap limit of the evaluation running on this thread.
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Sets the heap limit repetitions are checked against while it lives.
pub struct Limit {
    previous: usize,
}

impl Limit {
    pub fn set(bytes: usize) -> Limit {
        Limit { previous: LIMIT.with(|limit| limit.replace(bytes)) }
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        LIMIT.with(|limit| limit.set(self.previous));
    }
}

static MULTIPLY: GlobalsStatic = GlobalsStatic::new("froyo_repeat", multiply_module);

/// Adds [`NAME`] to `builder`.
pub fn register(builder: &mut GlobalsBuilder) {
    builder.set(NAME, MULTIPLY.function());
}

#[starlark_module]
fn multiply_module(builder: &mut GlobalsBuilder) {
    /// `a * b`, with the size of a repeated sequence checked first.
    fn multiply<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check(a, b, eval)?;
        check(b, a, eval)?;
        a.mul(b, eval.heap())
    }
}

/// Refuses `sequence * count` when its result would not fit in the heap.
fn check<'v>(
    sequence: Value<'v>,
    count: Value<'v>,
    eval: &mut Evaluator<'v, '_, '_>,
) -> starlark::Result<()> {
    let (length, unit, what) = if let Some(text) = sequence.unpack_str() {
        (text.len(), 1, "string")
    } else if let Some(list) = ListRef::from_value(sequence) {
        (list.len(), size_of::<Value>(), "list")
    } else if let Some(tuple) = TupleRef::from_value(sequence) {
        (tuple.len(), size_of::<Value>(), "tuple")
    } else {
        return Ok(());
    };
    // Only a count the crate would accept is a repetition; anything else is
    // its error to report.
    let Ok(Some(times)) = i32::unpack_value(count) else {
        return Ok(());
    };
    let times = usize::try_from(times).unwrap_or(0);
    let bytes = (length as u128) * (unit as u128) * (times as u128);
    let limit = LIMIT.with(Cell::get);
    let free = limit.saturating_sub(eval.heap().allocated_bytes());
    if bytes > free as u128 {
        return Err(starlark::Error::new_other(anyhow::anyhow!(
            "this {what} of {length} repeated {times} times would take {} MiB, more than the Starlark heap limit ({} MiB) leaves",
            bytes >> 20,
            limit >> 20
        )));
    }
    Ok(())
}

/// The first `x *= n` statement of `ast`, by byte range.
pub fn assign_multiply(ast: &AstModule) -> Option<(u32, u32)> {
    fn find(statement: &AstStmt) -> Option<(u32, u32)> {
        if let StmtP::AssignModify(_, AssignOp::Multiply, _) = &statement.node {
            return Some((statement.span.begin().get(), statement.span.end().get()));
        }
        let mut found = None;
        statement.visit_stmt(|child| {
            if found.is_none() {
                found = find(child);
            }
        });
        found
    }
    find(ast.statement())
}
