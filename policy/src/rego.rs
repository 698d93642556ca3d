//! The one door to regorus: Rego enters froyo here and nowhere else.
//!
//! [`Rego`] holds parsed modules; [`Rego::evaluate`] evaluates one rule
//! against an input and data with a wall-clock budget, and every error
//! regorus reports (syntax, evaluation, the budget) comes back as a
//! [`RegoError`] with the file, line and column regorus named, so callers can
//! point at the `.rego` source. Values cross this door as `serde_json` values.
//!
//! Invariant: no regorus type appears in this module's public API.
//! Invariant: evaluation is deterministic: the modules see no clock, no
//! environment, no network and no randomness (regorus is built without the
//! `time`, `http`, `uuid` and `rand` features), only their input and data.

use std::num::NonZeroU32;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use serde_json::Value as Json;

/// How long one evaluation of one rule may take.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(500);

/// A problem regorus reported, with where it was found when it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoError {
    pub message: String,
    /// The file as given to [`Rego::add`], 1-based line and column.
    pub location: Option<(String, u32, u32)>,
}

/// Parsed Rego modules, ready to evaluate.
#[derive(Clone)]
pub struct Rego {
    engine: regorus::Engine,
    budget: Duration,
}

impl std::fmt::Debug for Rego {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Rego").field("budget", &self.budget).finish_non_exhaustive()
    }
}

impl Default for Rego {
    fn default() -> Rego {
        Rego::new(DEFAULT_BUDGET)
    }
}

impl Rego {
    pub fn new(budget: Duration) -> Rego {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine.set_strict_builtin_errors(true);
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: budget,
            check_interval: NonZeroU32::MIN.saturating_add(63),
        });
        Rego { engine, budget }
    }

    /// Parses one module; returns its package as a rule path (`data.a.b`).
    pub fn add(&mut self, path: &str, text: &str) -> Result<String, RegoError> {
        guarded(|| self.engine.add_policy(path.to_string(), text.to_string()))
    }

    /// Checks that the modules added so far compile together (rules are
    /// safe, references resolve), which regorus does before evaluating.
    pub fn prepare(&mut self) -> Result<(), RegoError> {
        guarded(|| self.engine.eval_query("true".to_string(), false)).map(|_| ())
    }

    /// Replaces the data document.
    pub fn set_data(&mut self, data: &Json) -> Result<(), RegoError> {
        self.engine.clear_data();
        guarded(|| self.engine.add_data(regorus::Value::from(data.clone())))
    }

    /// The value of the rule at `path` (`data.pkg.rule`) for `input`: `None`
    /// when it is undefined.
    pub fn evaluate(&mut self, path: &str, input: &Json) -> Result<Option<Json>, RegoError> {
        self.evaluate_value(path, regorus::Value::from(input.clone()))
    }

    /// The value of the rule at `path` for an input already converted once
    /// with [`Rego::input`].
    pub fn evaluate_prepared(
        &mut self,
        path: &str,
        input: &Input,
    ) -> Result<Option<Json>, RegoError> {
        self.evaluate_value(path, input.0.clone())
    }

    fn evaluate_value(
        &mut self,
        path: &str,
        input: regorus::Value,
    ) -> Result<Option<Json>, RegoError> {
        self.engine.set_input(input);
        let value = guarded(|| self.engine.eval_rule(path.to_string()))?;
        if value == regorus::Value::Undefined {
            return Ok(None);
        }
        serde_json::to_value(&value).map(Some).map_err(|error| RegoError {
            message: format!("the value of `{path}` is not JSON: {error}"),
            location: None,
        })
    }

    /// Converts an input document once, for several evaluations. Through
    /// JSON text: regorus then keeps it in its compact frozen form, which it
    /// reads faster than a value built piece by piece.
    pub fn input(input: &Json) -> Input {
        let text = serde_json::to_string(input).unwrap_or_default();
        Input(
            regorus::Value::from_json_str(&text)
                .unwrap_or_else(|_| regorus::Value::from(input.clone())),
        )
    }
}

/// An input document in regorus's representation.
#[derive(Debug, Clone)]
pub struct Input(regorus::Value);

/// Runs a regorus call, turning its errors (and a panic inside it, which
/// would be regorus's bug, not the user's) into a [`RegoError`].
fn guarded<T, E: std::fmt::Display>(call: impl FnOnce() -> Result<T, E>) -> Result<T, RegoError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(RegoError::from_text(&format!("{error:#}"))),
        Err(_) => Err(RegoError {
            message: "the Rego engine failed internally (this is a bug in froyo; please report it)"
                .to_string(),
            location: None,
        }),
    }
}

impl RegoError {
    /// Reads regorus's rendering: an optional `--> file:line:col` header, the
    /// quoted line, then `error: message`.
    fn from_text(text: &str) -> RegoError {
        let location = text.lines().find_map(|line| {
            let rest = line.trim_start().strip_prefix("--> ")?;
            let mut parts = rest.rsplitn(3, ':');
            let column = parts.next()?.trim().parse().ok()?;
            let line = parts.next()?.trim().parse().ok()?;
            Some((parts.next()?.to_string(), line, column))
        });
        let message = match location {
            Some(_) => text
                .lines()
                .rev()
                .find_map(|line| line.strip_prefix("error: "))
                .map(str::to_string)
                .unwrap_or_else(|| text.trim().to_string()),
            None => text.trim().to_string(),
        };
        let message = if message.contains("execution exceeded") || message.contains("time limit") {
            format!("{message} (the budget of one evaluation is {DEFAULT_BUDGET:?})")
        } else {
            message
        };
        RegoError { message, location }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_syntax_error_names_its_file_line_and_column() {
        let mut rego = Rego::default();
        let error = rego.add("policies/bad.rego", "package bad\n\nallow if {\n  input.x ==\n}\n");
        let error = error.unwrap_err();
        let (file, line, _) = error.location.clone().unwrap();
        assert_eq!(file, "policies/bad.rego");
        assert!(line >= 4, "{error:?}");
        assert!(!error.message.contains("-->"), "{error:?}");
    }

    #[test]
    fn rules_evaluate_against_input_and_data() {
        let mut rego = Rego::default();
        let package = rego.add("a.rego", "package a\nx := input.n + data.policy_data.m\n").unwrap();
        assert_eq!(package, "data.a");
        rego.set_data(&json!({"policy_data": {"m": 2}})).unwrap();
        assert_eq!(rego.evaluate("data.a.x", &json!({"n": 1})).unwrap(), Some(json!(3)));
        assert_eq!(rego.evaluate("data.a.x", &json!({})).unwrap(), None);
    }

    #[test]
    fn an_endless_evaluation_is_stopped_by_the_budget() {
        let mut rego = Rego::new(Duration::from_millis(50));
        rego.add(
            "slow.rego",
            "package slow\nn := count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b])\n",
        )
        .unwrap();
        let started = std::time::Instant::now();
        let result = rego.evaluate("data.slow.n", &json!({}));
        assert!(result.is_err(), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
