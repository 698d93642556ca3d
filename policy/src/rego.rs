//! The one door to regorus: Rego enters froyo here and nowhere else.
//!
//! [`Rego`] holds parsed modules; [`Rego::evaluate`] evaluates one rule
//! against an [`Input`] (built by an [`InputBuilder`]) and data with a
//! wall-clock budget, and every error
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

/// How long one evaluation of one rule may take on an empty input.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(500);

/// What each item of the input (a resource, a host, a planned instance)
/// adds to the budget: a policy's work grows with its input, and a large
/// fleet's plan must not be refused because it is large.
pub const BUDGET_PER_ITEM: Duration = Duration::from_micros(200);

/// Debug builds (tests) interpret Rego about ten times slower.
const BUILD_FACTOR: u32 = if cfg!(debug_assertions) { 10 } else { 1 };

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
    /// The time one evaluation of a rule on `input` may take.
    pub fn budget_for(&self, input: &Input) -> Duration {
        let items = u32::try_from(input.items()).unwrap_or(u32::MAX);
        (self.budget + BUDGET_PER_ITEM.saturating_mul(items)).saturating_mul(BUILD_FACTOR)
    }

    pub fn new(budget: Duration) -> Rego {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine.set_strict_builtin_errors(true);
        engine.set_execution_timer_config(timer(budget));
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
    pub fn evaluate(&mut self, path: &str, input: &Input) -> Result<Option<Json>, RegoError> {
        let budget = self.budget_for(input);
        self.engine.set_execution_timer_config(timer(budget));
        self.engine.set_input(input.0.clone());
        let value = guarded(|| self.engine.eval_rule(path.to_string())).map_err(|mut error| {
            if error.message.contains("execution exceeded") || error.message.contains("time limit")
            {
                error.message = format!(
                    "{} (the budget of this evaluation was {budget:?}: {:?}, and {:?} for each of the input's {} items)",
                    error.message,
                    self.budget * BUILD_FACTOR,
                    BUDGET_PER_ITEM * BUILD_FACTOR,
                    input.items()
                );
            }
            error
        })?;
        if value == regorus::Value::Undefined {
            return Ok(None);
        }
        serde_json::to_value(&value).map(Some).map_err(|error| RegoError {
            message: format!("the value of `{path}` is not JSON: {error}"),
            location: None,
        })
    }
}

/// Regorus's timer for a budget: the clock is read every 64 steps.
fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig { limit, check_interval: NonZeroU32::MIN.saturating_add(63) }
}

/// An input document in regorus's representation, built once and read by
/// any number of evaluations (cloning one is a reference count).
#[derive(Debug, Clone)]
pub struct Input(regorus::Value);

impl Input {
    /// The input's items, which its budget grows with: the entries of its
    /// top-level lists (resources, hosts, edges; instances, orphans).
    pub fn items(&self) -> usize {
        match &self.0 {
            regorus::Value::Object(fields) => fields
                .values()
                .map(|value| match value {
                    regorus::Value::Array(items) => items.len(),
                    _ => 0,
                })
                .sum(),
            _ => 0,
        }
    }

    /// The empty input (`input` is null), for rules that read no input.
    pub fn null() -> Input {
        Input(regorus::Value::Null)
    }

    /// Converts a JSON document (plans, tests); built documents come from
    /// an [`InputBuilder`] without JSON in between.
    pub fn from_json(input: &Json) -> Input {
        let mut builder = InputBuilder::default();
        builder.json(input)
    }

    /// The document as JSON, to show it (`froyo policy eval`).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(&self.0).unwrap_or(Json::Null)
    }
}

/// Builds [`Input`] documents directly from froyo's values. Each distinct
/// object key is allocated once and shared by every object that has it, as
/// regorus's own JSON reader does, so that the interpreter compares keys by
/// pointer first; objects are frozen into regorus's compact sorted form.
#[derive(Debug, Default)]
pub struct InputBuilder {
    keys: std::collections::HashMap<Box<str>, regorus::Value>,
}

impl InputBuilder {
    pub fn null(&self) -> Input {
        Input(regorus::Value::Null)
    }

    pub fn bool(&self, flag: bool) -> Input {
        Input(regorus::Value::Bool(flag))
    }

    pub fn int(&self, integer: i64) -> Input {
        Input(regorus::Value::from(integer))
    }

    /// A float; one that is not finite (which JSON cannot hold) is null.
    pub fn float(&self, float: f64) -> Input {
        Input(if float.is_finite() { regorus::Value::from(float) } else { regorus::Value::Null })
    }

    pub fn string(&self, text: &str) -> Input {
        Input(regorus::Value::from(text))
    }

    pub fn array(&self, items: impl IntoIterator<Item = Input>) -> Input {
        Input(regorus::Value::from(items.into_iter().map(|item| item.0).collect::<Vec<_>>()))
    }

    /// An object; of two entries with one key, the last wins.
    pub fn object<'a>(&mut self, entries: impl IntoIterator<Item = (&'a str, Input)>) -> Input {
        let mut object = regorus::value::Object::new();
        for (key, value) in entries {
            object.insert(self.key(key), value.0);
        }
        Input(object.into_value())
    }

    /// A list of strings.
    pub fn strings<'a>(&self, items: impl IntoIterator<Item = &'a str>) -> Input {
        self.array(items.into_iter().map(|text| self.string(text)))
    }

    /// A map of strings to strings.
    pub fn string_map<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Input {
        let entries: Vec<(&str, Input)> =
            entries.into_iter().map(|(key, value)| (key, self.string(value))).collect();
        self.object(entries)
    }

    /// A JSON value.
    pub fn json(&mut self, value: &Json) -> Input {
        match value {
            Json::Null => self.null(),
            Json::Bool(flag) => self.bool(*flag),
            Json::Number(number) => match number.as_i64() {
                Some(integer) => self.int(integer),
                None => match number.as_u64() {
                    Some(unsigned) => Input(regorus::Value::from(unsigned)),
                    None => self.float(number.as_f64().unwrap_or(f64::NAN)),
                },
            },
            Json::String(text) => self.string(text),
            Json::Array(items) => {
                let items: Vec<Input> = items.iter().map(|item| self.json(item)).collect();
                self.array(items)
            }
            Json::Object(entries) => {
                let entries: Vec<(&str, Input)> =
                    entries.iter().map(|(key, value)| (key.as_str(), self.json(value))).collect();
                self.object(entries)
            }
        }
    }

    fn key(&mut self, key: &str) -> regorus::Value {
        if let Some(shared) = self.keys.get(key) {
            return shared.clone();
        }
        let shared = regorus::Value::from(key);
        self.keys.insert(key.into(), shared.clone());
        shared
    }
}

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
        let input = |json| Input::from_json(&json);
        assert_eq!(rego.evaluate("data.a.x", &input(json!({"n": 1}))).unwrap(), Some(json!(3)));
        assert_eq!(rego.evaluate("data.a.x", &input(json!({}))).unwrap(), None);
    }

    #[test]
    fn the_budget_grows_with_the_input() {
        let rego = Rego::new(Duration::from_millis(100));
        let small = Input::from_json(&json!({"kind": "plan", "instances": []}));
        let large = Input::from_json(&json!({"instances": vec![json!({}); 1000], "hosts": [1, 2]}));
        assert_eq!((small.items(), large.items()), (0, 1002));
        assert_eq!(rego.budget_for(&small), Duration::from_millis(100) * BUILD_FACTOR);
        assert_eq!(
            rego.budget_for(&large) - rego.budget_for(&small),
            BUDGET_PER_ITEM * 1002 * BUILD_FACTOR
        );
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
        let result = rego.evaluate("data.slow.n", &Input::from_json(&json!({})));
        assert!(result.is_err(), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
