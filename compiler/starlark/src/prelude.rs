//! The prelude: a constructor for every resource type of the standard
//! library, grouped by package (`linux.file(...)`, `probe.http(...)`).
//!
//! A constructor takes the resource id first and the properties as keyword
//! arguments, exactly the fields of the type's CUE schema (`on`, `require`
//! and `notify` included); it declares the resource and returns its id, so
//! that `require = [linux.directory("site-root", path = "/srv/site")]` reads
//! naturally. Keyword arguments set to `None` are left out. The properties
//! are validated later, against the same schema as CUE resources.

use std::num::NonZeroI32;

use froyo_eval::Data;
use starlark::collections::SmallMap;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::range::Range;

use crate::registry::{Declared, Registry};

/// Adds the `linux` and `probe` namespaces to `builder`, and replaces
/// `range` with one whose length is bounded.
pub fn register(builder: &mut GlobalsBuilder) {
    builder.namespace("linux", linux);
    builder.namespace("probe", probe);
    bounded(builder);
}

/// The longest `range`: as many elements as the default step limit has
/// statements. A loop over a longer range could only end at the limit, and a
/// loop whose body is empty executes no statement to count, so the bound is
/// checked here.
pub const MAX_RANGE: i64 = 1_000_000;

#[starlark_module]
fn bounded(builder: &mut GlobalsBuilder) {
    /// `range(stop)`, `range(start, stop[, step])`: the integers from `start`
    /// (default 0) below `stop`, `step` apart; at most 1,000,000 of them.
    fn range(
        #[starlark(require = pos)] a1: i32,
        #[starlark(require = pos)] a2: Option<i32>,
        #[starlark(require = pos, default = 1)] step: i32,
    ) -> anyhow::Result<Range> {
        let (start, stop) = match a2 {
            None => (0, a1),
            Some(stop) => (a1, stop),
        };
        let Some(step) = NonZeroI32::new(step) else {
            return Err(anyhow::anyhow!("the step of range() cannot be zero"));
        };
        let span = i64::from(stop) - i64::from(start);
        let length = if (span > 0) == (step.get() > 0) && span != 0 {
            (span.abs() + i64::from(step.get()).abs() - 1) / i64::from(step.get()).abs()
        } else {
            0
        };
        if length > MAX_RANGE {
            return Err(anyhow::anyhow!(
                "range() of {length} elements is longer than froyo allows ({MAX_RANGE}); is there an endless loop?"
            ));
        }
        Ok(Range::new(start, stop, step))
    }
}

#[starlark_module]
fn linux(builder: &mut GlobalsBuilder) {
    /// A regular file: `linux.file(id, path = "/etc/motd", content = "...", mode = "0644")`.
    fn file<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.file", id, properties, eval)
    }

    /// A directory: `linux.directory(id, path = "/srv/site", mode = "0755")`.
    fn directory<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.directory", id, properties, eval)
    }

    /// A package: `linux.package(id, name = "nginx", state = "latest")`.
    fn package<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.package", id, properties, eval)
    }

    /// A service: `linux.service(id, name = "nginx", state = "running", enabled = True)`.
    fn service<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.service", id, properties, eval)
    }

    /// A user account: `linux.user(id, name = "deploy", groups = ["www-data"])`.
    fn user<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.user", id, properties, eval)
    }

    /// A group: `linux.group(id, name = "deploy")`.
    fn group<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.group", id, properties, eval)
    }

    /// A guarded command: `linux.exec(id, command = "make install", creates = "/usr/local/bin/app")`.
    fn exec<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("linux.exec", id, properties, eval)
    }
}

#[starlark_module]
fn probe(builder: &mut GlobalsBuilder) {
    /// An HTTP smoke test: `probe.http(id, url = "http://localhost/", status = 200)`.
    fn http<'v>(
        #[starlark(require = pos)] id: &str,
        #[starlark(kwargs)] properties: SmallMap<String, Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<String> {
        declare("probe.http", id, properties, eval)
    }
}

/// Records the resource in the evaluation's registry (a file evaluated for
/// a `load` has none: its resources count when it is evaluated itself).
fn declare<'v>(
    type_name: &'static str,
    id: &str,
    properties: SmallMap<String, Value<'v>>,
    eval: &mut Evaluator<'v, '_, '_>,
) -> starlark::Result<String> {
    if id.is_empty() {
        return Err(starlark::Error::new_value(anyhow::anyhow!("a resource id must not be empty")));
    }
    let mut fields = vec![("type".to_string(), Data::String(type_name.to_string()))];
    for (name, value) in properties {
        if value.is_none() {
            continue;
        }
        if name == "type" {
            return Err(starlark::Error::new_value(anyhow::anyhow!(
                "`type` is set by the constructor (`{type_name}`), not as an argument"
            )));
        }
        match crate::convert::to_data(value) {
            Ok(data) => fields.push((name, data)),
            Err(reason) => {
                return Err(starlark::Error::new_value(anyhow::anyhow!(
                    "argument `{name}` of {type_name}(\"{id}\"): {reason}"
                )));
            }
        }
    }
    let location = eval.call_stack_top_location();
    if let Some(registry) = eval.extra.and_then(|extra| extra.downcast_ref::<Registry>()) {
        let declared = registry.declare(Declared {
            type_name,
            id: id.to_string(),
            value: Data::Struct(fields),
            location: location.map(|span| {
                (span.filename().to_string(), span.span.begin().get(), span.span.end().get())
            }),
        });
        if !declared {
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "more resources than froyo allows ({}) are declared",
                registry.limit()
            )));
        }
    }
    Ok(id.to_string())
}
