//! The set's behaviour on small policies: metadata, levels, results of the
//! wrong shape and syntax errors.

use serde_json::json;

use crate::rego::Input;
use crate::set::{Level, PolicySet, ProblemKind, Source, Stage};

fn user(path: &str, text: &str) -> Source {
    Source { path: path.to_string(), text: text.to_string(), builtin: false }
}

fn set_of(files: &[(&str, &str)], data: serde_json::Value) -> PolicySet {
    PolicySet::load_sources(files.iter().map(|(path, text)| user(path, text)).collect(), &data)
}

const NO_TMP: &str = r#"package no_tmp

policy := {"name": "no-tmp", "level": "warn", "code": "ACME1"}

violations contains {"msg": sprintf("%s is under /tmp", [r.id]), "resource": r.id, "path": ["path"]} if {
	some r in input.resources
	startswith(r.properties.path, "/tmp/")
}
"#;

fn input() -> Input {
    Input::from_json(&json!({"resources": [
        {"id": "a", "type": "linux.file", "properties": {"path": "/tmp/a"}},
        {"id": "b", "type": "linux.file", "properties": {"path": "/etc/b"}},
    ]}))
}

#[test]
fn a_policy_reports_its_findings_with_its_metadata() {
    let set = set_of(&[("policies/no_tmp.rego", NO_TMP)], json!(null));
    assert_eq!(set.problems, vec![]);
    let policy = set.policy_named("no-tmp").unwrap();
    assert_eq!(
        (policy.code.as_str(), policy.level, policy.check, policy.plan),
        ("ACME1", Level::Warn, true, false)
    );
    let evaluation = set.evaluate(Stage::Check, &input(), &|_| true);
    assert_eq!(evaluation.problems, vec![]);
    assert_eq!(evaluation.findings.len(), 1);
    let finding = &evaluation.findings[0];
    assert_eq!(finding.message, "a is under /tmp");
    assert_eq!(finding.resource.as_deref(), Some("a"));
    assert_eq!(finding.path, vec!["path".to_string()]);
    assert_eq!(finding.level, Level::Warn);
    assert!(set.evaluate(Stage::Plan, &input(), &|_| true).findings.is_empty());
}

#[test]
fn policy_data_levels_override_a_policys_own() {
    let set = set_of(&[("policies/no_tmp.rego", NO_TMP)], json!({"levels": {"no-tmp": "deny"}}));
    assert_eq!(set.evaluate(Stage::Check, &input(), &|_| true).findings[0].level, Level::Deny);
    let set = set_of(&[("policies/no_tmp.rego", NO_TMP)], json!({"levels": {"no-tmp": "off"}}));
    assert!(set.evaluate(Stage::Check, &input(), &|_| true).findings.is_empty());
    let set = set_of(
        &[("policies/no_tmp.rego", NO_TMP)],
        json!({"levels": {"nope": "off", "no-tmp": "loud"}}),
    );
    assert_eq!(set.problems.len(), 2, "{:?}", set.problems);
}

#[test]
fn a_syntax_error_is_a_problem_at_its_line() {
    let set = set_of(
        &[
            (
                "policies/bad.rego",
                "package bad\n\npolicy := {\"name\": \"bad\"}\n\nviolations contains x if {\n\tx := \n}\n",
            ),
            ("policies/no_tmp.rego", NO_TMP),
        ],
        json!(null),
    );
    assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
    let problem = &set.problems[0];
    assert_eq!((problem.kind, problem.source), (ProblemKind::Syntax, Some(0)));
    assert!(problem.line >= 6, "{problem:?}");
    // The other file still works.
    assert_eq!(set.evaluate(Stage::Check, &input(), &|_| true).findings.len(), 1);
}

#[test]
fn results_of_the_wrong_shape_are_problems_not_panics() {
    for (rule, expected) in [
        ("violations contains r.id if { some r in input.resources }", "`msg`"),
        ("violations contains {\"msg\": 1} if { true }", "`msg`"),
        ("violations contains {\"msg\": \"m\", \"path\": {\"a\": 1}} if { true }", "`path`"),
        ("violations contains {\"msg\": \"m\", \"resource\": 3} if { true }", "`resource`"),
        ("violations := 3", "set of objects"),
        ("violations := x if { x := input.resources[_].id }", ""),
    ] {
        let text = format!("package odd\n\npolicy := {{\"name\": \"odd\"}}\n\n{rule}\n");
        let set = set_of(&[("policies/odd.rego", &text)], json!(null));
        let evaluation = set.evaluate(Stage::Check, &input(), &|_| true);
        assert!(evaluation.findings.is_empty(), "{rule}: {evaluation:?}");
        assert_eq!(evaluation.problems.len(), 1, "{rule}: {evaluation:?}");
        assert!(evaluation.problems[0].message.contains(expected), "{rule}: {evaluation:?}");
        assert_eq!(evaluation.problems[0].line, 5, "{rule}");
    }
}

#[test]
fn bad_metadata_is_a_problem() {
    for (metadata, expected) in [
        ("policy := 1", "must be an object"),
        ("policy := {\"name\": \"Not Kebab\"}", "kebab-case"),
        ("policy := {\"name\": \"x\", \"level\": \"loud\"}", "unknown level"),
    ] {
        let text = format!(
            "package meta\n\n{metadata}\n\nviolations contains {{\"msg\": \"m\"}} if {{ true }}\n"
        );
        let set = set_of(&[("policies/meta.rego", &text)], json!(null));
        assert!(set.policies.is_empty(), "{metadata}");
        assert_eq!(set.problems.len(), 1, "{metadata}");
        assert!(set.problems[0].message.contains(expected), "{metadata}: {:?}", set.problems);
        assert_eq!(set.problems[0].line, 3);
    }
}

#[test]
fn every_built_in_policy_loads_and_passes_its_tests() {
    let set = PolicySet::load(Vec::new(), &json!(null));
    assert_eq!(set.problems, vec![]);
    let names: Vec<&str> = set.policies.iter().map(|policy| policy.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "destroy-without-allow",
            "exec-without-guard",
            "host-without-owner",
            "package-not-allowed",
            "secret-in-plain-field",
            "setuid-mode",
            "world-writable",
        ]
    );
    let results = crate::run_tests(&set, &|_| true, "");
    assert!(results.len() >= 20, "{results:?}");
    for result in &results {
        assert_eq!(result.outcome, crate::Outcome::Pass, "{}.{}", result.package, result.name);
    }
}

#[test]
fn a_failing_test_fails() {
    let tests = "package no_tmp_test\n\nimport data.no_tmp\n\ntest_nothing_found if {\n\tcount(no_tmp.violations) == 0 with input as {\"resources\": [{\"id\": \"a\", \"properties\": {\"path\": \"/tmp/a\"}}]}\n}\n\ntest_broken if {\n\t1 / 0 == 1\n}\n";
    let set = set_of(
        &[("policies/no_tmp.rego", NO_TMP), ("policies/no_tmp_test.rego", tests)],
        json!(null),
    );
    let results = crate::run_tests(&set, &|_| true, "");
    let outcomes: Vec<_> =
        results.iter().map(|result| (result.name.as_str(), result.outcome.clone())).collect();
    assert_eq!(outcomes[0], ("test_nothing_found", crate::Outcome::Fail));
    assert_eq!(outcomes[1].0, "test_broken");
    assert_ne!(outcomes[1].1, crate::Outcome::Pass);
}
