//! `froyo policy test`: every `test_*` rule of the loaded files, like `opa test`.
//!
//! A test passes when its rule is true, fails when it is false or
//! undefined, and errs when evaluating it fails (a runtime error, the time
//! budget). Tests set their own input and data with `with`; each runs on a
//! fresh copy of the set's modules and data, in file then line order.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::set::PolicySet;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Error(String),
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The file, as shown to users.
    pub file: String,
    /// The package as a rule path (`data.froyo.builtin.world_writable_test`).
    pub package: String,
    pub name: String,
    /// 1-based line of the rule.
    pub line: u32,
    pub outcome: Outcome,
    pub duration: Duration,
}

/// Runs the tests of the sources `select` keeps (by source index) whose
/// name contains `filter` (every test when it is empty).
pub fn run_tests(set: &PolicySet, select: &dyn Fn(usize) -> bool, filter: &str) -> Vec<TestResult> {
    let mut results = Vec::new();
    for (index, source) in set.sources.iter().enumerate() {
        if !select(index) {
            continue;
        }
        let Some(package) = set.package_of(index) else { continue };
        for (line, name) in test_rules(&source.text) {
            if !name.contains(filter) {
                continue;
            }
            let mut rego = set.rego();
            let started = Instant::now();
            let outcome =
                match rego.evaluate(&format!("{package}.{name}"), &crate::rego::Input::null()) {
                    Ok(Some(Json::Bool(true))) => Outcome::Pass,
                    Ok(_) => Outcome::Fail,
                    Err(error) => Outcome::Error(match error.location {
                        Some((file, line, column)) => {
                            format!("{file}:{line}:{column}: {}", error.message)
                        }
                        None => error.message,
                    }),
                };
            results.push(TestResult {
                file: source.path.clone(),
                package: package.to_string(),
                name,
                line,
                outcome,
                duration: started.elapsed(),
            });
        }
    }
    results
}

/// The `test_*` rules of a file, each once, with their first line.
fn test_rules(text: &str) -> Vec<(u32, String)> {
    let mut rules: Vec<(u32, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with("test_") {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|character| character.is_ascii_alphanumeric() || *character == '_')
            .collect();
        if !rules.iter().any(|(_, known)| *known == name) {
            rules.push((index as u32 + 1, name));
        }
    }
    rules
}
