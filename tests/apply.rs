//! End-to-end tests of `froyo plan`, `apply`, `drift`, `graph`, `state` and
//! `runs` on this machine: each test writes a workspace whose resources live
//! in its own temporary directory, and applies it to localhost through the
//! real runner and the real WebAssembly providers, with state in SQLite.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/http.rs"]
mod http;

#[path = "support/site.rs"]
mod site;

use site::{Site, froyo_in};

impl Site {
    /// `froyo apply --yes --allow-destroy --format json`: the exit code and
    /// the report. (Removals are what some of these tests are about; the
    /// policy that asks for `--allow-destroy` is tested in tests/policy.rs.)
    fn apply(&self) -> (i32, Value) {
        let output = self.froyo(&["apply", "--yes", "--allow-destroy", "--format", "json"]);
        let code = output.status.code().unwrap_or(-1);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "apply printed no JSON ({error}); exit {code}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (code, report)
    }

    fn plan_text(&self, extra: &[&str]) -> String {
        let mut args = vec!["plan"];
        args.extend_from_slice(extra);
        let output = self.froyo(&args);
        assert!(
            output.status.success(),
            "plan failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).replace(&*self.root().to_string_lossy(), "[ROOT]")
    }
}

/// The outcome status of `address` in an apply report.
fn status_of(report: &Value, address: &str) -> String {
    report["report"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|instance| instance["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in the report: {report:#}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn operations(report: &Value) -> u64 {
    report["report"]["operations"].as_u64().unwrap()
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

const FILES: &str = r#"package site

import "froyo.dev/linux"

resources: {
	dir: linux.#Directory & {
		path: "@ROOT@/etc"
		mode: "0750"
	}
	hello: linux.#File & {
		path:    "@ROOT@/etc/hello.txt"
		content: "hello, wörld\n"
		mode:    "0640"
		require: ["dir"]
	}
	motd: linux.#File & {
		path:    "@ROOT@/etc/motd"
		content: "line one\nline two\n"
		require: ["dir"]
	}
}
"#;

#[test]
fn files_and_directories_apply_and_a_second_apply_changes_nothing() {
    let site = Site::new(FILES);
    insta::assert_snapshot!("plan_files", site.plan_text(&["--show-ops"]));
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status_of(&report, "linux.file.hello"), "applied");
    assert_eq!(fs::read_to_string(site.path("etc/hello.txt")).unwrap(), "hello, wörld\n");
    assert_eq!(mode_of(&site.path("etc/hello.txt")), 0o640);
    assert_eq!(mode_of(&site.path("etc/motd")), 0o644);
    assert_eq!(mode_of(&site.path("etc")), 0o750);
    assert_eq!(operations(&report), 3);

    let (code, again) = site.apply();
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(operations(&again), 0, "a second apply must do nothing: {again:#}");
    assert_eq!(status_of(&again, "linux.file.hello"), "unchanged");
    assert!(site.plan_text(&[]).starts_with("No changes."));

    // An update shows a property diff and changes only what differs.
    site.write(&FILES.replace("line two", "line 2").replace("\"0640\"", "\"0600\""));
    insta::assert_snapshot!("plan_update", site.plan_text(&[]));
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(operations(&report), 2);
    assert_eq!(fs::read_to_string(site.path("etc/motd")).unwrap(), "line one\nline 2\n");
    assert_eq!(mode_of(&site.path("etc/hello.txt")), 0o600);
}

#[test]
fn guarded_commands_run_only_when_needed() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	marker: linux.#Exec & {
		command: "echo made >> @ROOT@/log && touch @ROOT@/marker"
		creates: "@ROOT@/marker"
	}
	unless: linux.#Exec & {
		command: "echo unless >> @ROOT@/log"
		unless:  "grep -q unless @ROOT@/log"
		require: ["marker"]
	}
	env: linux.#Exec & {
		command: "printf '%s' \"$GREETING\" > @ROOT@/env"
		creates: "@ROOT@/env"
		env: GREETING: "hi there"
	}
}
"#,
    );
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(fs::read_to_string(site.path("log")).unwrap(), "made\nunless\n");
    assert_eq!(fs::read_to_string(site.path("env")).unwrap(), "hi there");
    let (code, again) = site.apply();
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(operations(&again), 0, "{again:#}");
    assert_eq!(fs::read_to_string(site.path("log")).unwrap(), "made\nunless\n");
    // The environment is sensitive: never printed.
    let plan = site.dir.path().join("p.froyo");
    fs::remove_file(site.path("env")).unwrap();
    let text = site.plan_text(&["--show-ops"]);
    assert!(!text.contains("hi there"), "{text}");
    assert!(text.contains("GREETING=(sensitive)"), "{text}");
    let _ = plan;
    let state = fs::read(site.dir.path().join(".froyo/state.db")).unwrap();
    assert!(!String::from_utf8_lossy(&state).contains("hi there"));
}

#[test]
fn a_handler_runs_once_after_what_notified_it_changed() {
    let handlers = r#"package site

import "froyo.dev/linux"

resources: {
	a: linux.#File & {
		path:    "@ROOT@/a.conf"
		content: "A1\n"
		notify: ["reload"]
	}
	b: linux.#File & {
		path:    "@ROOT@/b.conf"
		content: "B1\n"
		notify: ["reload"]
	}
	reload: linux.#Exec & {
		command:      "cat @ROOT@/a.conf @ROOT@/b.conf >> @ROOT@/reloads"
		refresh_only: true
	}
}
"#;
    let site = Site::new(handlers);
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    // Both files changed; the handler ran once, after both.
    assert_eq!(fs::read_to_string(site.path("reloads")).unwrap(), "A1\nB1\n");
    let (_, again) = site.apply();
    assert_eq!(operations(&again), 0, "{again:#}");
    assert_eq!(status_of(&again, "linux.exec.reload"), "unchanged");
    site.write(&handlers.replace("A1", "A2"));
    let text = site.plan_text(&[]);
    assert!(
        text.contains("linux.exec.reload will be refreshed (notified by linux.file.a)"),
        "{text}"
    );
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(fs::read_to_string(site.path("reloads")).unwrap(), "A1\nB1\nA2\nB1\n");
}

#[test]
fn a_failure_skips_its_dependents_and_independent_work_finishes() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	broken: linux.#Exec & {
		command: "echo failing on purpose >&2; exit 3"
	}
	after: linux.#File & {
		path:    "@ROOT@/after"
		content: "never\n"
		require: ["broken"]
	}
	later: linux.#File & {
		path:    "@ROOT@/later"
		content: "never either\n"
		require: ["after"]
	}
	independent: linux.#File & {
		path:    "@ROOT@/independent"
		content: "yes\n"
	}
}
"#,
    );
    let (code, report) = site.apply();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "linux.exec.broken"), "failed");
    assert_eq!(status_of(&report, "linux.file.after"), "skipped");
    assert_eq!(status_of(&report, "linux.file.later"), "skipped");
    assert_eq!(status_of(&report, "linux.file.independent"), "applied");
    assert!(!site.path("after").exists());
    assert!(site.path("independent").exists());
    let message = report.to_string();
    assert!(message.contains("failing on purpose"), "{message}");
}

#[test]
fn a_saved_plan_applies_what_still_matches_and_refuses_what_drifted() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	one: linux.#File & {path: "@ROOT@/one", content: "1\n"}
	two: linux.#File & {path: "@ROOT@/two", content: "2\n"}
}
"#,
    );
    let output = site.froyo(&["plan", "-o", "site.plan"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let plan_file = site.dir.path().join("site.plan");
    assert_eq!(mode_of(&plan_file), 0o600);
    // Someone writes `two` between plan and apply.
    fs::write(site.path("two"), "changed behind our back\n").unwrap();
    let output = site.froyo(&["apply", "site.plan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status_of(&report, "linux.file.one"), "applied");
    assert_eq!(status_of(&report, "linux.file.two"), "stale");
    assert_eq!(fs::read_to_string(site.path("one")).unwrap(), "1\n");
    assert_eq!(fs::read_to_string(site.path("two")).unwrap(), "changed behind our back\n");
    // A fresh apply converges.
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(fs::read_to_string(site.path("two")).unwrap(), "2\n");
    // Garbage is not a plan.
    fs::write(&plan_file, "{\"format\": \"something-else\"}").unwrap();
    let output = site.froyo(&["apply", "site.plan"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported plan"));
}

#[test]
fn a_saved_plan_applied_again_says_it_was_already_applied() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	one: linux.#File & {path: "@ROOT@/one", content: "1\n"}
	two: linux.#File & {path: "@ROOT@/two", content: "2\n"}
}
"#,
    );
    let output = site.froyo(&["plan", "-o", "site.plan"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let first = site.froyo(&["apply", "site.plan", "--format", "json"]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let first: Value = serde_json::from_slice(&first.stdout).unwrap();
    let run = first["report"]["run"].as_u64().unwrap();

    // Again, unchanged hosts: nothing is applied, and the report says why.
    let again = site.froyo(&["apply", "site.plan"]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{text}");
    assert!(!text.contains("the host changed"), "{text}");
    let tail = &text[text.find("This plan").unwrap_or(0)..];
    let tail = &tail[..tail.find(" operations").map_or(tail.len(), |end| end + 11)];
    assert_eq!(
        tail.replace(&format!("run {run}:"), "run N:"),
        "This plan was already applied in run N: 2 of its changes are still in place and were \
         not applied again. Run `froyo plan` for a new plan.\nApply complete: 0 applied, 0 \
         unchanged, 2 already applied; 0 operations"
    );
    let json = site.froyo(&["apply", "site.plan", "--format", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(status_of(&report, "linux.file.one"), "already_applied");
    assert_eq!(report["report"]["instances"][0]["run"], run);

    // A change made after that apply is still refused as stale.
    fs::write(site.path("two"), "changed behind our back\n").unwrap();
    let output = site.froyo(&["apply", "site.plan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status_of(&report, "linux.file.one"), "already_applied");
    assert_eq!(status_of(&report, "linux.file.two"), "stale");
    assert_eq!(fs::read_to_string(site.path("two")).unwrap(), "changed behind our back\n");
}

/// A new file whose directory is missing: the plan warns, unless a
/// directory it requires creates it; a directory that creates it without
/// being required gets a warning of its own.
#[test]
fn plan_warns_when_a_new_files_directory_does_not_exist() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	orphan: linux.#File & {path: "@ROOT@/missing/orphan", content: "x\n"}
	dir: linux.#Directory & {path: "@ROOT@/made/deeper"}
	covered: linux.#File & {path: "@ROOT@/made/covered", content: "x\n", require: ["dir"]}
	unordered: linux.#File & {path: "@ROOT@/made/deeper/unordered", content: "x\n"}
	present: linux.#File & {path: "@ROOT@/present", content: "x\n"}
}
"#,
    );
    insta::assert_snapshot!("plan_missing_directories", site.plan_text(&[]));
    let json = site.froyo(&["plan", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&json.stdout).unwrap();
    let warnings: Vec<&str> = plan["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|instance| instance["warnings"].is_array())
        .map(|instance| instance["address"].as_str().unwrap())
        .collect();
    assert_eq!(warnings, ["linux.file.orphan", "linux.file.unordered"], "{plan:#}");
    // What the warning predicts: the orphan's write fails, the rest applies.
    let (code, report) = site.apply();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "linux.file.orphan"), "failed");
    assert_eq!(status_of(&report, "linux.file.covered"), "applied");
}

/// A creation lists what it sets, sensitive values redacted, not a change of `state`.
#[test]
fn plan_shows_what_a_creation_sets_with_sensitive_values_redacted() {
    let site = Site::new(
        r#"package site

import "froyo.dev/linux"

resources: {
	user: linux.#User & {name: "froyo-plan-only-user", password: "$6$salt$not-shown", shell: "/bin/sh"}
	motd: linux.#File & {path: "@ROOT@/motd", content: "hello\n", owner: "root"}
}
"#,
    );
    let text = site.plan_text(&[]);
    assert!(!text.contains("not-shown") && !text.contains("\"absent\""), "{text}");
    insta::assert_snapshot!("plan_creation", text);
}

const SLOW: &str = r#"package site

import "froyo.dev/linux"

resources: {
	slow: linux.#Exec & {
		command: "touch @ROOT@/started; sleep 30"
		creates: "@ROOT@/done"
	}
	file: linux.#File & {path: "@ROOT@/file", content: "x\n"}
}
"#;

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_apply_is_refused_while_the_first_holds_the_lock() {
    let site = Site::new(SLOW);
    let mut first = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["apply", "--yes"])
        .current_dir(site.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&site.path("started"));
    let second = site.froyo(&["apply", "--yes"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    // Locked: a code of its own (4), distinct from errors and from drift.
    assert_eq!(second.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("the state is locked: `apply`"), "{stderr}");
    // Drift waits for nobody either, with the same code (drift found is 3).
    let drift = site.froyo(&["drift"]);
    assert_eq!(drift.status.code(), Some(4), "{}", String::from_utf8_lossy(&drift.stderr));
    let lock = site.froyo(&["state", "lock"]);
    assert!(String::from_utf8_lossy(&lock.stdout).contains("locked for `apply`"));
    // A live run's lock is not broken without --force.
    let unlock = site.froyo(&["state", "unlock"]);
    let stderr = String::from_utf8_lossy(&unlock.stderr);
    assert_eq!(unlock.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("held by a live run") && stderr.contains("--force"), "{stderr}");
    let lock = site.froyo(&["state", "lock"]);
    assert!(String::from_utf8_lossy(&lock.stdout).contains("locked for `apply`"));
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn after_kill_9_mid_apply_the_next_apply_takes_over_and_converges() {
    let site = Site::new(SLOW);
    let mut first = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["apply", "--yes"])
        .current_dir(site.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&site.path("started"));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    // The configuration no longer sleeps; the dead holder's lock is taken over.
    site.write(&SLOW.replace("sleep 30", "touch @ROOT@/done"));
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert!(site.path("done").exists());
    assert_eq!(fs::read_to_string(site.path("file")).unwrap(), "x\n");
    let (_, again) = site.apply();
    assert_eq!(operations(&again), 0, "{again:#}");
    let runs = site.froyo(&["runs", "list", "--format", "json"]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    let statuses: Vec<String> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["status"].as_str().unwrap_or("").to_lowercase())
        .collect();
    assert!(statuses.iter().any(|s| s == "interrupted"), "{runs:#}");
}

#[test]
fn a_resource_removed_from_the_configuration_is_forgotten_not_deleted() {
    let both = r#"package site

import "froyo.dev/linux"

resources: {
	keep: linux.#File & {path: "@ROOT@/keep", content: "k\n"}
	gone: linux.#File & {path: "@ROOT@/gone", content: "g\n"}
}
"#;
    let site = Site::new(both);
    assert_eq!(site.apply().0, 0);
    site.write(
        &both.replace("\tgone: linux.#File & {path: \"@ROOT@/gone\", content: \"g\\n\"}\n", ""),
    );
    let text = site.plan_text(&[]);
    assert!(text.contains("≢ linux.file.gone will be forgotten"), "{text}");
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status_of(&report, "linux.file.gone"), "forgotten");
    assert!(site.path("gone").exists(), "forgetting must not delete");
    let list = site.froyo(&["state", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("keep") && !list.contains("gone"), "{list}");
    assert!(site.plan_text(&[]).starts_with("No changes."));
}

#[test]
fn drift_reports_changes_made_outside_froyo_with_exit_2() {
    let site = Site::new(FILES);
    assert_eq!(site.apply().0, 0);
    let clean = site.froyo(&["drift"]);
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));
    fs::write(site.path("etc/motd"), "edited by hand\n").unwrap();
    fs::set_permissions(site.path("etc/hello.txt"), fs::Permissions::from_mode(0o666)).unwrap();
    let drift = site.froyo(&["drift"]);
    let text = String::from_utf8_lossy(&drift.stdout);
    assert_eq!(drift.status.code(), Some(3), "{text}");
    assert!(text.contains("linux.file.motd on localhost drifted"), "{text}");
    assert!(text.contains("mode: recorded \"0640\", now \"0666\""), "{text}");
    assert!(text.contains("2 of 3 recorded instances drifted"), "{text}");
}

#[test]
fn graph_prints_dot_and_explains_a_missing_graphviz() {
    let site = Site::new(FILES);
    let output = site.froyo(&["graph"]);
    assert!(output.status.success());
    insta::assert_snapshot!("graph_dot", String::from_utf8_lossy(&output.stdout));
    let output = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["graph", "--format", "svg"])
        .current_dir(site.dir.path())
        .env("FROYO_DOT", "/nonexistent/dot")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs Graphviz"), "{stderr}");
}

#[test]
fn state_and_runs_show_what_happened() {
    let site = Site::new(FILES);
    assert_eq!(site.apply().0, 0);
    let list = site.froyo(&["state", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.starts_with("HOST"), "{list}");
    assert!(list.contains("localhost  hello"), "{list}");
    let show = site.froyo(&["state", "show", "localhost/hello", "--format", "json"]);
    assert!(show.status.success());
    let show: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(show[0]["observed"]["mode"], "0640");
    // The address plan and apply print, with or without the host; text by default.
    for address in ["linux.file.hello", "linux.file.hello@localhost", "hello"] {
        let show = site.froyo(&["state", "show", address]);
        assert!(show.status.success(), "{address}: {}", String::from_utf8_lossy(&show.stderr));
        let text = String::from_utf8_lossy(&show.stdout);
        assert!(text.starts_with("linux.file.hello@localhost\n"), "{address}: {text}");
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with("mode ") && line.ends_with(" 0640")),
            "{address}: {text}"
        );
    }
    let other_host = site.froyo(&["state", "show", "linux.file.hello@elsewhere"]);
    assert_eq!(other_host.status.code(), Some(2));
    let runs = site.froyo(&["runs", "list"]);
    let runs = String::from_utf8_lossy(&runs.stdout);
    assert!(runs.contains("apply"), "{runs}");
    assert!(!runs.contains('{'), "the summary is text, not JSON: {runs}");
    let run = site.froyo(&["runs", "show", "1", "--format", "json"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let run = String::from_utf8_lossy(&run.stdout);
    assert!(run.contains("linux.file.hello"), "{run}");
    let run = site.froyo(&["runs", "show", "1"]);
    let run = String::from_utf8_lossy(&run.stdout);
    assert!(run.starts_with("run 1: apply "), "{run}");
    assert!(run.contains("hello@localhost"), "{run}");
    let audit = site.froyo(&["state", "audit"]);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    assert!(!String::from_utf8_lossy(&audit.stdout).starts_with('['));
    let none = site.froyo(&["state", "show", "nothing"]);
    assert_eq!(none.status.code(), Some(2));

    // A workspace PATH, from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let workspace = site.dir.path().to_str().unwrap();
    for args in [
        &["state", "list", workspace][..],
        &["state", "show", "hello", workspace],
        &["state", "lock", workspace],
        &["state", "audit", workspace],
        &["runs", "list", workspace],
        &["runs", "show", "1", workspace],
    ] {
        let output = froyo_in(elsewhere.path(), args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let list = froyo_in(elsewhere.path(), &["state", "list", workspace]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("localhost  hello"));
    let outside = froyo_in(elsewhere.path(), &["state", "list"]);
    assert_eq!(outside.status.code(), Some(2));
}

#[test]
fn apply_refuses_to_run_unconfirmed_without_a_terminal() {
    let site = Site::new(FILES);
    let output = site.froyo(&["apply"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pass --yes"));
    assert!(!site.path("etc").exists());
}

#[test]
fn packages_install_and_remove_with_the_real_package_manager() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("skipped: package tests need root (they use the machine's package manager)");
        return;
    }
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!("skipped: no dpkg on this machine (the package test uses apt)");
        return;
    }
    let package = "sl";
    let installed = |name: &str| {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", name])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
    };
    if installed(package) {
        eprintln!("skipped: `{package}` is already installed here; the test would remove it");
        return;
    }
    let template = r#"package site

import "froyo.dev/linux"

resources: pkg: linux.#Package & {name: "@PKG@", state: "@STATE@"}
"#
    .replace("@PKG@", package);
    let site = Site::new(&template.replace("@STATE@", "present"));
    let (code, report) = site.apply();
    if code != 0 && report.to_string().contains("Unable to locate package") {
        eprintln!("skipped: the package index has no `{package}` (run apt-get update)");
        return;
    }
    assert_eq!(code, 0, "{report:#}");
    assert!(installed(package));
    let (_, again) = site.apply();
    assert_eq!(operations(&again), 0, "{again:#}");
    site.write(&template.replace("@STATE@", "absent"));
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert!(!installed(package));
}

/// A one-thread HTTP server on 127.0.0.1 answering every request with `body`.
fn serve_http(body: &'static str) -> u16 {
    http::serve(std::net::Ipv4Addr::LOCALHOST.into(), body)
}

#[test]
fn http_probes_check_after_their_dependencies_apply() {
    let port = serve_http("hello from froyo");
    let site = Site::new(
        &r#"package site

import (
	"froyo.dev/linux"
	"froyo.dev/probe"
)

resources: {
	page: linux.#File & {path: "@ROOT@/index.html", content: "hi\n"}
	up: probe.#HTTP & {
		url:     "http://127.0.0.1:@PORT@/"
		body:    "hello from [a-z]+"
		require: ["page"]
	}
	wrong: probe.#HTTP & {
		url:     "http://127.0.0.1:@PORT@/"
		status:  404
		retries: 1
		interval: 0
	}
}
"#
        .replace("@PORT@", &port.to_string()),
    );
    let text = site.plan_text(&["--show-ops"]);
    assert!(
        text.contains("? probe.http.up will be checked after its dependencies apply"),
        "{text}"
    );
    let (code, report) = site.apply();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "probe.http.up"), "checked");
    assert_eq!(status_of(&report, "probe.http.wrong"), "failed");
    assert!(report.to_string().contains("404"), "{report:#}");
}

#[test]
fn users_and_groups_are_created_converge_and_are_removed() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("skipped: user and group tests need root");
        return;
    }
    if Command::new("useradd").arg("--help").output().is_err() {
        eprintln!("skipped: no useradd on this machine");
        return;
    }
    let getent = |database: &str, name: &str| {
        Command::new("getent")
            .args([database, name])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let name = format!("froyo{}", std::process::id() % 100_000);
    if !getent("passwd", &name).is_empty() || !getent("group", &name).is_empty() {
        eprintln!("skipped: `{name}` already exists here");
        return;
    }
    let template = r#"package site

import "froyo.dev/linux"

resources: {
	group: linux.#Group & {name: "@NAME@", state: "@STATE@", system: true}
	user: linux.#User & {
		name:  "@NAME@"
		state: "@STATE@"
		group: "@NAME@"
		home:  "@ROOT@/home"
		shell: "/bin/sh"
		system: true
		require: ["group"]
	}
}
"#
    .replace("@NAME@", &name);
    let site = Site::new(&template.replace("@STATE@", "present"));
    let (code, report) = site.apply();
    // Clean up whatever happens below.
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("userdel").arg(&self.0).output();
            let _ = Command::new("groupdel").arg(&self.0).output();
        }
    }
    let _cleanup = Cleanup(name.clone());
    assert_eq!(code, 0, "{report:#}");
    let passwd = getent("passwd", &name);
    assert!(passwd.contains(&format!("{}:/bin/sh", site.path("home").display())), "{passwd}");
    assert!(!getent("group", &name).is_empty());
    let (_, again) = site.apply();
    assert_eq!(operations(&again), 0, "{again:#}");
    // The user goes before its group: reverse the dependency for removal.
    site.write(
        &template
            .replace("@STATE@", "absent")
            .replace("\t\trequire: [\"group\"]\n", "")
            .replace("system: true}", "system: true, require: [\"user\"]}"),
    );
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert!(getent("passwd", &name).is_empty());
    assert!(getent("group", &name).is_empty());
}

/// An LSB init script for a test daemon: `sleep` in the background, its pid
/// in `/run/@NAME@.pid`, LSB exit codes for `status` (1: dead but the pid
/// file remains). A zombie counts as dead: this machine's PID 1 may not reap
/// the orphans it inherits.
const INIT_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          @NAME@
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: froyo's test daemon (tests/apply.rs); safe to remove
### END INIT INFO
PIDFILE=/run/@NAME@.pid
alive() {
	[ -f "$PIDFILE" ] || return 1
	state=$(sed 's/.*) //' "/proc/$(cat "$PIDFILE")/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}
case "$1" in
start)
	alive && exit 0
	sleep 86400 </dev/null >/dev/null 2>&1 &
	echo $! >"$PIDFILE"
	;;
stop)
	alive && kill "$(cat "$PIDFILE")"
	rm -f "$PIDFILE"
	;;
restart)
	"$0" stop
	"$0" start
	;;
status)
	if alive; then echo "@NAME@ is running"; exit 0; fi
	if [ -f "$PIDFILE" ]; then echo "@NAME@ is dead but its pid file exists"; exit 1; fi
	echo "@NAME@ is not running"
	exit 3
	;;
*)
	echo "usage: $0 start|stop|restart|status" >&2
	exit 2
	;;
esac
"#;

/// Removes the test daemon, its init script, pid file and runlevel links
/// however the test ends.
struct InitScriptCleanup(String);

impl InitScriptCleanup {
    fn pid_file(&self) -> String {
        format!("/run/{}.pid", self.0)
    }
}

impl Drop for InitScriptCleanup {
    fn drop(&mut self) {
        if let Some(pid) = daemon_pid(&self.pid_file()) {
            let _ = Command::new("kill").arg(pid.to_string()).output();
        }
        let _ = fs::remove_file(self.pid_file());
        let _ = fs::remove_file(format!("/etc/init.d/{}", self.0));
        for (directory, link) in rc_links(&self.0) {
            let _ = fs::remove_file(Path::new(&directory).join(link));
        }
    }
}

/// The pid in `pid_file`, if any.
fn daemon_pid(pid_file: &str) -> Option<u32> {
    fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}

/// Whether process `pid` runs (exists and is not a zombie).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

/// The `/etc/rc?.d` links to script `name`: (directory, link name).
fn rc_links(name: &str) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for level in ["0", "1", "2", "3", "4", "5", "6", "S"] {
        let directory = format!("/etc/rc{level}.d");
        let Ok(entries) = fs::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            let link = entry.file_name().to_string_lossy().into_owned();
            if link.len() == name.len() + 3
                && link.ends_with(name)
                && (link.starts_with('S') || link.starts_with('K'))
            {
                links.push((directory.clone(), link));
            }
        }
    }
    links
}

/// Whether Debian's `service` and `update-rc.d` are installed; as root with
/// apt, installs them (package `init-system-helpers`) when missing.
fn sysvinit_helpers() -> bool {
    let present =
        || Path::new("/usr/sbin/service").exists() && Path::new("/usr/sbin/update-rc.d").exists();
    if !present() && Path::new("/usr/bin/apt-get").exists() {
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", "init-system-helpers"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output();
    }
    present()
}

/// On a host without systemd or OpenRC, `linux.service` drives Debian's
/// sysvinit: start, enable (the `/etc/rc?.d` links), restart when notified,
/// the truth about a daemon that died behind froyo's back, stop and disable.
#[test]
fn sysvinit_services_start_enable_restart_and_come_back_after_their_process_dies() {
    if Path::new("/run/systemd/system").is_dir() || Path::new("/run/openrc/softlevel").exists() {
        eprintln!("skipped: this machine runs systemd or OpenRC; the test is for sysvinit hosts");
        return;
    }
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("skipped: the sysvinit test needs root (it writes /etc/init.d)");
        return;
    }
    assert!(
        sysvinit_helpers(),
        "service and update-rc.d are missing and could not be installed (init-system-helpers)"
    );
    let name = format!("froyo-test-{}", std::process::id());
    let cleanup = InitScriptCleanup(name.clone());
    let script = format!("/etc/init.d/{name}");
    fs::write(&script, INIT_SCRIPT.replace("@NAME@", &name)).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();

    let template = r#"package site

import "froyo.dev/linux"

resources: {
	config: linux.#File & {
		path:    "@ROOT@/daemon.conf"
		content: "@CONFIG@\n"
		notify: ["svc"]
	}
	svc: linux.#Service & {
		name:    "@NAME@"
		state:   "@STATE@"
		enabled: @ENABLED@
		require: ["config"]
	}
}
"#
    .replace("@NAME@", &name);
    let workspace = |config: &str, state: &str, enabled: bool| {
        template
            .replace("@CONFIG@", config)
            .replace("@STATE@", state)
            .replace("@ENABLED@", &enabled.to_string())
    };
    let site = Site::new(&workspace("one", "running", true));
    let text = site.plan_text(&["--show-ops"]);
    assert!(text.contains(&format!("service {name} start")), "{text}");
    assert!(text.contains(&format!("update-rc.d {name} defaults")), "{text}");

    // Started and enabled: the daemon runs, start links exist.
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status_of(&report, "linux.service.svc"), "applied");
    let first = daemon_pid(&cleanup.pid_file()).expect("the daemon wrote its pid file");
    assert!(alive(first));
    let links = rc_links(&name);
    assert!(
        links.iter().any(|(directory, link)| directory == "/etc/rc2.d" && link.starts_with('S')),
        "{links:?}"
    );
    let (code, again) = site.apply();
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(operations(&again), 0, "{again:#}");
    let clean = site.froyo(&["drift"]);
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));

    // The configuration changes: the handler restarts the daemon, once.
    site.write(&workspace("two", "running", true));
    let text = site.plan_text(&["--show-ops"]);
    assert!(text.contains("linux.service.svc will be refreshed"), "{text}");
    assert!(text.contains(&format!("service {name} restart")), "{text}");
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    let second = daemon_pid(&cleanup.pid_file()).expect("the restarted daemon's pid file");
    assert_ne!(first, second, "restarted: a new process");
    assert!(alive(second) && !alive(first));

    // The daemon dies behind froyo's back, leaving its pid file: not running.
    Command::new("kill").args(["-KILL", &second.to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(second) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(second));
    let drift = site.froyo(&["drift"]);
    let text = String::from_utf8_lossy(&drift.stdout);
    assert_eq!(drift.status.code(), Some(3), "{text}");
    assert!(text.contains("linux.service.svc on localhost drifted"), "{text}");
    assert!(text.contains("state"), "{text}");
    let text = site.plan_text(&["--show-ops"]);
    assert!(text.contains("dead but its pid file remains"), "{text}");
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    let third = daemon_pid(&cleanup.pid_file()).expect("the daemon is started again");
    assert!(alive(third), "{report:#}");

    // Stopped and disabled: no daemon, no start links.
    site.write(&workspace("two", "stopped", false));
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    assert!(!alive(third));
    let links = rc_links(&name);
    assert!(links.iter().all(|(_, link)| link.starts_with('K')), "{links:?}");
    let (code, again) = site.apply();
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(operations(&again), 0, "{again:#}");
}

#[test]
fn state_and_ir_are_private_and_damage_or_a_lost_key_is_an_error() {
    let site = Site::new(FILES);
    let (code, report) = site.apply();
    assert_eq!(code, 0, "{report:#}");
    let state_dir = site.dir.path().join(".froyo");
    assert_eq!(mode_of(&state_dir), 0o700);
    assert_eq!(mode_of(&state_dir.join("state.db")), 0o600);
    assert_eq!(mode_of(&state_dir.join("state.key")), 0o600);
    let built = site.froyo(&["build"]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    assert_eq!(mode_of(&site.dir.path().join("site.ir")), 0o600);

    // Wider permissions than froyo gave are pointed out.
    fs::set_permissions(state_dir.join("state.db"), fs::Permissions::from_mode(0o644)).unwrap();
    let output = site.froyo(&["plan"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("warning:") && stderr.contains("chmod 600"), "{stderr}");
    fs::set_permissions(state_dir.join("state.db"), fs::Permissions::from_mode(0o600)).unwrap();

    // A lost key: refused, not replaced (drift would report every sensitive value).
    let key = fs::read(state_dir.join("state.key")).unwrap();
    fs::remove_file(state_dir.join("state.key")).unwrap();
    for command in ["plan", "drift", "apply"] {
        let output = site.froyo(&[command, "--yes"][..if command == "apply" { 2 } else { 1 }]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("state.key is missing"), "{command}: {stderr}");
    }
    assert!(!state_dir.join("state.key").exists());
    fs::write(state_dir.join("state.key"), &key).unwrap();
    fs::set_permissions(state_dir.join("state.key"), fs::Permissions::from_mode(0o600)).unwrap();

    // A truncated database: refused and left as it is, not a new empty state.
    fs::write(state_dir.join("state.db"), b"").unwrap();
    for file in ["state.db-wal", "state.db-shm"] {
        let _ = fs::remove_file(state_dir.join(file));
    }
    let output = site.froyo(&["apply", "--yes"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the file is empty"), "{stderr}");
    assert_eq!(fs::metadata(state_dir.join("state.db")).unwrap().len(), 0);
}

#[test]
fn a_state_path_that_names_nothing_is_refused_unless_the_command_creates_state() {
    let site = Site::new(FILES);
    for command in ["drift", "state", "runs"] {
        let args: &[&str] = match command {
            "state" => &["state", "list", "--state", "tpyo/state.db"],
            "runs" => &["runs", "list", "--state", "tpyo/state.db"],
            _ => &["drift", "--state", "tpyo/state.db"],
        };
        let output = site.froyo(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("there is no state database at"), "{command}: {stderr}");
    }
    // A command that creates state does not create directories for a typo…
    let output = site.froyo(&["apply", "--yes", "--state", "tpyo/state.db"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!site.dir.path().join("tpyo").exists());
    // …and says when it makes a new database.
    let output = site.froyo(&["apply", "--yes", "--state", "team.db"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("creating a new state database at team.db"), "{stderr}");
    let output = site.froyo(&["apply", "--yes", "--state", "team.db"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("creating"));
}

#[test]
fn a_link_at_a_managed_path_is_replaced_and_links_others_own_are_not_followed() {
    use std::os::unix::fs::symlink;
    let site = Site::new("");
    let root = site.root();
    fs::create_dir_all(root.join("real")).unwrap();
    // A dangling link and a link to a file where files are managed.
    symlink(root.join("nowhere"), root.join("dangling")).unwrap();
    fs::write(root.join("target"), "keep\n").unwrap();
    symlink(root.join("target"), root.join("link")).unwrap();
    // A parent directory reached through a link root owns, and one another user owns.
    symlink(root.join("real"), root.join("rooted")).unwrap();
    symlink(root.join("real"), root.join("planted")).unwrap();
    let is_root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout)
        .trim()
        == "0";
    if is_root {
        std::os::unix::fs::lchown(root.join("planted"), Some(65534), Some(65534)).unwrap();
    }
    site.write(
        r#"package site

import "froyo.dev/linux"

resources: {
	dangling: linux.#File & {path: "@ROOT@/dangling", content: "a\n"}
	link:     linux.#File & {path: "@ROOT@/link", content: "b\n"}
	rooted:   linux.#File & {path: "@ROOT@/rooted/f", content: "c\n"}
	planted:  linux.#File & {path: "@ROOT@/planted/g", content: "d\n"}
}
"#,
    );
    let (code, report) = site.apply();
    // The links at the managed paths became regular files of mode 0644, not 0777.
    for name in ["dangling", "link"] {
        let metadata = fs::symlink_metadata(root.join(name)).unwrap();
        assert!(metadata.is_file(), "{name} is still a link");
        assert_eq!(mode_of(&root.join(name)), 0o644, "{name}");
    }
    assert!(!root.join("nowhere").exists(), "the dangling link was not followed");
    assert_eq!(fs::read_to_string(root.join("target")).unwrap(), "keep\n");
    assert_eq!(fs::read_to_string(root.join("real/f")).unwrap(), "c\n");
    if is_root {
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(status_of(&report, "linux.file.planted"), "failed");
        assert!(report.to_string().contains("is a symbolic link owned by uid 65534"), "{report:#}");
        assert!(!root.join("real/g").exists());
    } else {
        assert_eq!(code, 0, "{report:#}");
    }
}
