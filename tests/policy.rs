//! Policies end to end through the `froyo` binary: check-time findings on
//! the line of the value (human, JSON and SARIF), a workspace policy, a Rego
//! syntax error, `froyo policy test` over the built-ins, and a plan-time
//! policy that refuses an apply until it is allowed, which the audit log
//! records.
//!
//! Regenerate snapshots with `INSTA_UPDATE=always cargo test --test policy`
//! and review the diff.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// A temporary workspace: `cue.mod/module.cue` plus `files` (path, contents).
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir_all(directory.path().join("cue.mod")).unwrap();
    fs::write(directory.path().join("cue.mod/module.cue"), "module: \"example.com/test\"\n")
        .unwrap();
    for (path, contents) in files {
        let path = directory.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    directory
}

/// Runs `froyo args…` in `directory` and formats what happened.
fn run_in(directory: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(args)
        .current_dir(directory)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let directory_text = directory.to_string_lossy();
    let clean = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&*directory_text, "[TEMP]");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().map_or("signal".to_string(), |code| code.to_string()),
        clean(&output.stdout),
        clean(&output.stderr)
    )
}

const HOSTS: &str = "package site\n\nhosts: localhost: transport: \"local\"\n";

/// A world-writable file: the built-in `world-writable` denies it.
const WORLD_WRITABLE: &str = r#"package site

import "froyo.dev/linux"

resources: {
	shared: linux.#File & {
		path:    "/srv/shared/notes.txt"
		content: "hello\n"
		mode:    "0666"
	}
	private: linux.#File & {
		path:    "/srv/shared/private.txt"
		content: "hello\n"
		mode:    "0600"
	}
}
"#;

fn world_writable() -> tempfile::TempDir {
    workspace(&[("hosts.cue", HOSTS), ("site.cue", WORLD_WRITABLE)])
}

#[test]
fn a_world_writable_file_is_reported_on_its_mode_line() {
    let directory = world_writable();
    insta::assert_snapshot!(run_in(directory.path(), &["check"]));
}

#[test]
fn a_world_writable_file_in_json() {
    let directory = world_writable();
    insta::assert_snapshot!(run_in(directory.path(), &["check", "--format", "json"]));
}

#[test]
fn a_world_writable_file_in_sarif() {
    let directory = world_writable();
    let output = run_in(directory.path(), &["check", "--format", "sarif"]);
    let stdout = output.split("--- stdout\n").nth(1).unwrap().split("--- stderr\n").next().unwrap();
    let log: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "P0001");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(9), Some(3)));
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["name"], "world-writable");
    assert!(rule["help"]["text"].as_str().unwrap().contains("sticky bit"), "{rule}");
    insta::assert_snapshot!(output);
}

#[test]
fn an_allowed_policy_is_a_warning_that_says_why() {
    let directory = world_writable();
    insta::assert_snapshot!(run_in(
        directory.path(),
        &["check", "--allow-policy", "world-writable", "--reason", "a shared scratch file"]
    ));
}

#[test]
fn allow_policy_needs_a_reason() {
    let directory = world_writable();
    let output = run_in(directory.path(), &["check", "--allow-policy", "world-writable"]);
    assert!(output.starts_with("exit: 2\n") && output.contains("--reason"), "{output}");
}

#[test]
fn policy_data_sets_levels_and_lists() {
    let data = "package site\n\npolicy_data: {\n\tlevels: \"world-writable\": \"warn\"\n\tpackages: deny: [\"telnetd\"]\n}\n";
    let packages = "package site\n\nimport \"froyo.dev/linux\"\n\nresources: telnet: linux.#Package & {\n\tname: \"telnetd\"\n}\n";
    let directory = workspace(&[
        ("hosts.cue", HOSTS),
        ("site.cue", WORLD_WRITABLE),
        ("data.cue", data),
        ("packages.cue", packages),
    ]);
    insta::assert_snapshot!(run_in(directory.path(), &["check"]));
}

const NO_SRV: &str = r#"package no_srv

# Nothing under /srv: it belongs to the storage team.
policy := {"name": "no-srv", "code": "ACME001", "level": "deny", "summary": "Files under /srv belong to the storage team."}

violations contains finding if {
	some resource in input.resources
	resource.type == "linux.file"
	startswith(resource.properties.path, "/srv/")
	finding := {
		"msg": sprintf("`%s` is under /srv, which the storage team manages", [resource.properties.path]),
		"resource": resource.id,
		"path": ["path"],
	}
}
"#;

const NO_SRV_TEST: &str = r#"package no_srv_test

import data.no_srv

test_srv_is_denied if {
	count(no_srv.violations) == 1 with input as {"resources": [{"id": "a", "type": "linux.file", "properties": {"path": "/srv/a"}}]}
}

test_etc_is_fine if {
	count(no_srv.violations) == 0 with input as {"resources": [{"id": "a", "type": "linux.file", "properties": {"path": "/etc/a"}}]}
}

test_that_fails if {
	count(no_srv.violations) == 5 with input as {"resources": []}
}
"#;

#[test]
fn a_workspace_policy_reports_on_the_line_it_names() {
    let directory = workspace(&[
        ("hosts.cue", HOSTS),
        ("site.cue", WORLD_WRITABLE),
        ("policies/no_srv.rego", NO_SRV),
    ]);
    insta::assert_snapshot!(run_in(directory.path(), &["check"]));
}

#[test]
fn a_rego_syntax_error_is_reported_in_the_rego_file() {
    let broken = "package broken\n\npolicy := {\"name\": \"broken\"}\n\nviolations contains v if {\n\tv := {\"msg\": \n}\n";
    let directory = workspace(&[
        ("hosts.cue", HOSTS),
        ("site.cue", WORLD_WRITABLE),
        ("policies/broken.rego", broken),
        ("policies/no_srv.rego", NO_SRV),
    ]);
    insta::assert_snapshot!(run_in(directory.path(), &["check", "--format", "json"]));
}

#[test]
fn policy_test_runs_the_built_ins_tests() {
    let directory = workspace(&[("hosts.cue", HOSTS)]);
    insta::assert_snapshot!(run_in(directory.path(), &["policy", "test"]));
}

#[test]
fn policy_test_runs_the_workspace_tests_and_fails_with_them() {
    let directory = workspace(&[
        ("hosts.cue", HOSTS),
        ("policies/no_srv.rego", NO_SRV),
        ("policies/no_srv_test.rego", NO_SRV_TEST),
    ]);
    insta::assert_snapshot!(run_in(directory.path(), &["policy", "test", "--no-builtin"]));
    let output = run_in(directory.path(), &["policy", "test", "--format", "json", "--run", "etc"]);
    assert!(output.starts_with("exit: 0\n"), "{output}");
    assert!(output.contains("\"passed\": 1"), "{output}");
}

#[test]
fn policy_eval_prints_the_check_time_input() {
    let directory = world_writable();
    insta::assert_snapshot!(run_in(
        directory.path(),
        &["policy", "eval", "--policy", "world-writable"]
    ));
}

#[test]
fn policy_list_shows_every_policy() {
    let directory = workspace(&[("hosts.cue", HOSTS), ("policies/no_srv.rego", NO_SRV)]);
    insta::assert_snapshot!(run_in(directory.path(), &["policy", "list"]));
}

/// A file that exists on this machine, declared `state: "absent"`.
fn deleting(target: &Path) -> tempfile::TempDir {
    let site = format!(
        "package site\n\nimport \"froyo.dev/linux\"\n\nresources: old: linux.#File & {{\n\tpath:  \"{}\"\n\tstate: \"absent\"\n}}\n",
        target.display()
    );
    workspace(&[("hosts.cue", HOSTS), ("site.cue", &site)])
}

#[test]
fn a_plan_time_policy_refuses_an_apply_until_it_is_allowed_and_audited() {
    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("old.txt");
    fs::write(&target, "old\n").unwrap();
    let directory = deleting(&target);

    // The plan shows the finding beside the change and fails.
    let plan = run_in(directory.path(), &["plan"]);
    assert!(plan.starts_with("exit: 1\n"), "{plan}");
    assert!(plan.contains("will be deleted\n"), "{plan}");
    assert!(
        plan.contains("! deny destroy-without-allow: linux.file.old would be deleted"),
        "{plan}"
    );

    // Apply refuses before anything runs, saved plans too.
    let apply = run_in(directory.path(), &["apply", "--yes"]);
    assert!(apply.starts_with("exit: 1\n") && apply.contains("E1215"), "{apply}");
    assert!(target.exists());
    run_in(directory.path(), &["plan", "-o", "plan.froyo"]);
    let saved = run_in(directory.path(), &["apply", "plan.froyo"]);
    assert!(saved.starts_with("exit: 1\n") && saved.contains("E1215"), "{saved}");
    assert!(target.exists());

    // In JSON, standard output says why: the plan with the finding beside
    // its instance, and the refusal's code.
    let output = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["apply", "plan.froyo", "--format", "json"])
        .stdin(Stdio::null())
        .current_dir(directory.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["error"]["code"], "E1215", "{report}");
    assert!(report["report"].is_null(), "{report}");
    let notes = report["plan"]["instances"][0]["policy"].to_string();
    assert!(notes.contains("destroy-without-allow"), "{report}");
    assert!(target.exists());

    // Allowed, with a reason: applied, and the audit log says who and why.
    let allowed = run_in(
        directory.path(),
        &[
            "apply",
            "plan.froyo",
            "--allow-policy",
            "destroy-without-allow",
            "--reason",
            "retiring the old file",
        ],
    );
    assert!(allowed.starts_with("exit: 0\n"), "{allowed}");
    assert!(allowed.contains("(allowed: retiring the old file)"), "{allowed}");
    assert!(!target.exists());
    let audit = run_in(directory.path(), &["state", "audit"]);
    assert!(audit.contains("policy.allow"), "{audit}");
    assert!(audit.contains("reason retiring the old file"), "{audit}");
    assert!(audit.contains("policy destroy-without-allow"), "{audit}");
    assert!(audit.contains(&format!("uid {}", unsafe_free_uid())), "{audit}");
}

#[test]
fn allow_destroy_lets_a_deletion_through_without_an_override() {
    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("old.txt");
    fs::write(&target, "old\n").unwrap();
    let directory = deleting(&target);
    let apply = run_in(directory.path(), &["apply", "--yes", "--allow-destroy"]);
    assert!(apply.starts_with("exit: 0\n"), "{apply}");
    assert!(!target.exists());
    let audit = run_in(directory.path(), &["state", "audit"]);
    assert!(!audit.contains("policy.allow"), "{audit}");
}

/// This process's user id, as the audit log names the user.
fn unsafe_free_uid() -> String {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}
