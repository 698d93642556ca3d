//! A plan file is authenticated: `froyo plan -o` writes an HMAC-SHA256 of
//! it keyed with a key derived from the workspace state's secret key, and
//! `froyo apply FILE` applies nothing of a plan whose MAC does not verify:
//! an edited command, content, path, host, id, `ir_hash` or `state_serial`,
//! a missing or garbled MAC, a plan made with another workspace's state.
//! Each edit here is one an attacker who can write the plan file (but not
//! read `.froyo/state.key`) would make to get a command run as root.

#[path = "support/site.rs"]
mod support;

use std::fs;

use serde_json::{Value, json};
use support::{Site, froyo_in, text};

const SITE: &str = r#"package site

import "froyo.dev/linux"

resources: {
	run: linux.#Exec & {
		command: "touch @ROOT@/planned"
		creates: "@ROOT@/planned"
	}
	file: linux.#File & {path: "@ROOT@/file", content: "planned\n"}
}
"#;

/// What an attacker does to a plan document.
type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;

/// The instance of `plan` whose resource is `id`.
fn instance<'a>(plan: &'a mut Value, id: &str) -> &'a mut Value {
    plan["instances"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|instance| instance["key"]["resource"] == id)
        .unwrap()
}

#[test]
fn a_plan_file_changed_after_it_was_written_is_refused_whole() {
    let site = Site::new(SITE);
    let output = site.froyo(&["plan", "-o", "site.plan"]);
    assert!(output.status.success(), "{}", text(&output).1);
    let original: Value =
        serde_json::from_str(&fs::read_to_string(site.dir.path().join("site.plan")).unwrap())
            .unwrap();
    assert!(original["mac"].as_str().unwrap().starts_with("hmac-sha256:"), "{original:#}");
    let owned = site.path("owned").display().to_string();
    let edits: Vec<(&str, Edit)> = vec![
        (
            "an operation's argv",
            Box::new(|plan| {
                instance(plan, "run")["ops"][0]["command"]["argv"][2] =
                    json!(format!("touch {owned}"))
            }),
        ),
        (
            "an operation's argv and the property it must match",
            Box::new(|plan| {
                let run = instance(plan, "run");
                run["ops"][0]["command"]["argv"][2] = json!(format!("touch {owned}"));
                run["properties"]["command"] = json!(format!("touch {owned}"));
            }),
        ),
        (
            "a file's content",
            Box::new(|plan| instance(plan, "file")["ops"][0]["content"] = json!("owned\n")),
        ),
        (
            "a file's path and the property it must match",
            Box::new(|plan| {
                let file = instance(plan, "file");
                file["ops"][0]["path"] = json!(owned);
                file["properties"]["path"] = json!(owned);
            }),
        ),
        ("the host's settings", Box::new(|plan| plan["hosts"][0]["become"] = json!(true))),
        ("ir_hash", Box::new(|plan| plan["ir_hash"] = json!(format!("sha256:{}", "0".repeat(64))))),
        ("id", Box::new(|plan| plan["id"] = json!("0123456789abcdef"))),
        ("state_serial", Box::new(|plan| plan["state_serial"] = json!(7))),
        ("an extra field", Box::new(|plan| plan["note"] = json!("trust me"))),
        (
            "the MAC, removed",
            Box::new(|plan| {
                plan.as_object_mut().unwrap().remove("mac");
            }),
        ),
        ("the MAC, garbled", Box::new(|plan| plan["mac"] = json!("hmac-sha256:not-hex"))),
        ("the MAC, not a string", Box::new(|plan| plan["mac"] = json!(42))),
        (
            "the MAC, one digit changed",
            Box::new(|plan| {
                let mac = plan["mac"].as_str().unwrap().to_string();
                let last = if mac.ends_with('0') { "1" } else { "0" };
                plan["mac"] = json!(format!("{}{last}", &mac[..mac.len() - 1]));
            }),
        ),
    ];
    for (what, edit) in &edits {
        let mut plan = original.clone();
        edit(&mut plan);
        fs::write(
            site.dir.path().join("edited.plan"),
            serde_json::to_string_pretty(&plan).unwrap(),
        )
        .unwrap();
        let output = site.froyo(&["apply", "edited.plan", "--yes"]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{what}: {stdout}{stderr}");
        assert!(stderr.contains("E1212"), "{what}: {stderr}");
        assert!(stderr.contains("make a new plan with `froyo plan -o FILE`"), "{what}: {stderr}");
        assert!(stdout.is_empty(), "{what}: nothing of the plan is shown: {stdout}");
        for path in ["owned", "planned", "file"] {
            assert!(!site.path(path).exists(), "{what}: {path} was written");
        }
    }
    let runs = site.froyo(&["runs", "list", "--format", "json"]);
    assert_eq!(text(&runs).0.trim(), "[]", "no run started");

    // What a refusal looks like.
    let mut plan = original.clone();
    plan["state_serial"] = json!(7);
    fs::write(site.dir.path().join("edited.plan"), plan.to_string()).unwrap();
    let stderr = text(&site.froyo(&["apply", "edited.plan"])).1;
    insta::assert_snapshot!(
        "edited_plan_refused",
        stderr.replace(&*site.dir.path().to_string_lossy(), "[WORKSPACE]")
    );

    // A plan made with another workspace's state is not this workspace's to apply.
    let other = Site::new(SITE);
    assert!(other.froyo(&["plan", "-o", "other.plan"]).status.success());
    let elsewhere = other.dir.path().join("other.plan").display().to_string();
    let output = site.froyo(&["apply", &elsewhere, "--yes"]);
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("E1212") && stderr.contains("made with another state"), "{stderr}");

    // Not a plan at all.
    fs::write(site.dir.path().join("edited.plan"), "#!/bin/sh\nrm -rf /\n").unwrap();
    let output = site.froyo(&["apply", "edited.plan", "--yes"]);
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("E1211") && stderr.contains("not a froyo plan"), "{stderr}");
    assert!(!site.path("planned").exists());

    // The same document, however it is formatted, still applies.
    fs::write(site.dir.path().join("edited.plan"), original.to_string()).unwrap();
    let output = site.froyo(&["apply", "edited.plan", "--format", "json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(site.path("planned").exists());
    assert_eq!(fs::read_to_string(site.path("file")).unwrap(), "planned\n");
    assert!(!site.path("owned").exists());
}

#[test]
fn a_plan_file_applies_only_with_the_state_it_was_made_with() {
    // From another directory, `--state` names the state the plan was made
    // with; without it, that directory's state is not the plan's.
    let site = Site::new(SITE);
    assert!(site.froyo(&["plan", "-o", "site.plan"]).status.success());
    let elsewhere = tempfile::tempdir().unwrap();
    let plan = site.dir.path().join("site.plan").display().to_string();
    let output = froyo_in(elsewhere.path(), &["apply", &plan, "--yes"]);
    assert_eq!(output.status.code(), Some(2), "another state: {}", text(&output).1);
    assert!(!site.path("planned").exists());
    let state = site.dir.path().join(".froyo/state.db").display().to_string();
    let output = froyo_in(elsewhere.path(), &["apply", &plan, "--state", &state]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    assert!(site.path("planned").exists());
}

#[test]
fn an_older_plan_put_in_place_of_a_newer_one_is_refused() {
    let site = Site::new(SITE);
    let apply = |plan: &str| {
        let output = site.froyo(&["apply", plan, "--yes"]);
        let (stdout, stderr) = text(&output);
        (output.status.code(), format!("{stdout}{stderr}"))
    };
    let content = || fs::read_to_string(site.path("file")).unwrap_or_default();

    // A plan is made (and, say, rejected in review); the configuration
    // changes, and the new plan is made and applied.
    assert!(site.froyo(&["plan", "-o", "old.plan"]).status.success());
    site.write(&SITE.replace("planned\\n", "reviewed\\n"));
    assert!(site.froyo(&["plan", "-o", "new.plan"]).status.success());
    let (code, output) = apply("new.plan");
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(content(), "reviewed\n");
    // The same plan again is a resumption, not a replay: it may run.
    let (code, output) = apply("new.plan");
    assert_eq!(code, Some(0), "{output}");

    // The older plan is authentic, but outdated.
    let (code, output) = apply("old.plan");
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("E1214") && output.contains("is outdated: run 1 applied"), "{output}");
    assert_eq!(content(), "reviewed\n", "the old plan changed the file");

    // An apply of the workspace outdates a saved plan as well...
    site.write(&SITE.replace("planned\\n", "third\\n"));
    assert!(site.froyo(&["plan", "-o", "third.plan"]).status.success());
    site.write(&SITE.replace("planned\\n", "fourth\\n"));
    assert_eq!(site.froyo(&["apply", "--yes"]).status.code(), Some(0));
    let (code, output) = apply("third.plan");
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("E1214"), "{output}");
    assert_eq!(content(), "fourth\n");
    // ...but one that changed nothing does not.
    assert!(site.froyo(&["plan", "-o", "current.plan"]).status.success());
    assert_eq!(site.froyo(&["apply", "--yes"]).status.code(), Some(0));
    let (code, output) = apply("current.plan");
    assert_eq!(code, Some(0), "{output}");

    // A plan the state has no record of is refused too.
    let connection = rusqlite::Connection::open(site.dir.path().join(".froyo/state.db")).unwrap();
    connection.execute("DELETE FROM plans", []).unwrap();
    drop(connection);
    let (code, output) = apply("current.plan");
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("E1214") && output.contains("is not recorded in"), "{output}");
}
