//! `froyo drift --remediate` on this machine: only what drifted is applied,
//! only of the types `--remediate-only` names, never an instance whose
//! configuration changed since it was applied; handlers notified by what is
//! remediated run; the JSON document holds both reports.

#[path = "support/site.rs"]
mod support;

use std::fs;

use serde_json::Value;
use support::{Site, text};

const SITE: &str = r#"package site

import "froyo.dev/linux"

resources: {
	dir: linux.#Directory & {path: "@ROOT@/etc"}
	a: linux.#File & {path: "@ROOT@/etc/a", content: "a\n", require: ["dir"], notify: ["reload"]}
	b: linux.#File & {path: "@ROOT@/etc/b", content: "b\n", require: ["dir"]}
	reload: linux.#Exec & {command: "echo reloaded >> @ROOT@/reloads", refresh_only: true}
}
"#;

#[test]
fn remediation_applies_drifted_instances_of_the_named_types_whose_configuration_stands() {
    let site = Site::new(SITE);
    let output = site.froyo(&["apply", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let reloads_before =
        fs::read_to_string(site.path("reloads")).unwrap_or_default().lines().count();

    fs::write(site.path("etc/a"), "edited\n").unwrap();
    fs::write(site.path("etc/b"), "edited\n").unwrap();

    // Another type only: nothing is applied, the drift stays.
    let output = site.froyo(&["drift", "--remediate-only", "linux.directory"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("nothing to remediate"), "{stderr}");
    assert_eq!(fs::read_to_string(site.path("etc/a")).unwrap(), "edited\n");

    // b's configuration changes: a is put back (and its handler runs), b is left.
    site.write(&SITE.replace(r#"content: "b\n""#, r#"content: "new b\n""#));
    let output = site.froyo(&["drift", "--remediate", "--format", "json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["drift"]["drifted"].as_array().unwrap().len(), 2, "{document:#}");
    let applied: Vec<&str> = document["remediation"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| instance["address"].as_str().unwrap())
        .collect();
    assert_eq!(applied, ["linux.file.a", "linux.exec.reload"], "{document:#}");
    assert!(
        stderr.contains("linux.file.b on localhost drifted, but its configuration changed"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(site.path("etc/a")).unwrap(), "a\n");
    assert_eq!(fs::read_to_string(site.path("etc/b")).unwrap(), "edited\n");
    let reloads = fs::read_to_string(site.path("reloads")).unwrap_or_default().lines().count();
    assert_eq!(reloads, reloads_before + 1, "the handler ran once");

    // The remediation was an apply run; b still drifts until it is applied.
    let output = site.froyo(&["runs", "list", "--format", "json"]);
    let runs: Value = serde_json::from_str(&text(&output).0).unwrap();
    let kinds: Vec<&str> =
        runs.as_array().unwrap().iter().map(|run| run["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["apply", "drift", "drift", "apply"], "{runs:#}");
    let output = site.froyo(&["drift", "--format", "json"]);
    let report: Value = serde_json::from_str(&text(&output).0).unwrap();
    let drifted: Vec<&str> = report["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["address"].as_str().unwrap())
        .collect();
    assert_eq!(drifted, ["linux.file.b"]);

    // Nothing drifted that may be remediated: exit 0 after apply.
    let output = site.froyo(&["apply", "--yes"]);
    assert_eq!(output.status.code(), Some(0));
    let output = site.froyo(&["drift", "--remediate"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
}

const RETIRED: &str = r#"package site

import "froyo.dev/linux"

resources: old: linux.#File & {path: "@ROOT@/old.conf", state: "absent"}
"#;

/// Remediation is an apply: the plan-time policies judge it, a deletion
/// needs `--allow-destroy` as it does for `froyo apply`, and an override is
/// audited.
#[test]
fn remediation_is_judged_by_the_plan_time_policies() {
    let site = Site::new(RETIRED);
    fs::write(site.path("old.conf"), "old\n").unwrap();
    let output = site.froyo(&["apply", "--yes", "--allow-destroy"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(!site.path("old.conf").exists());

    // Someone puts the file back: it drifted, and remediating deletes it.
    fs::write(site.path("old.conf"), "back\n").unwrap();
    let output = site.froyo(&["drift", "--remediate"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("remediation refused by policy; nothing changed"), "{stderr}");
    assert!(stderr.contains("E1215") && stderr.contains("destroy-without-allow"), "{stderr}");
    assert!(site.path("old.conf").exists());

    let output = site.froyo(&[
        "drift",
        "--remediate",
        "--allow-policy",
        "destroy-without-allow",
        "--reason",
        "the file came back",
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!site.path("old.conf").exists());
    let audit = text(&site.froyo(&["state", "audit"])).0;
    assert!(audit.contains("policy.allow") && audit.contains("the file came back"), "{audit}");

    fs::write(site.path("old.conf"), "back again\n").unwrap();
    let output = site.froyo(&["drift", "--remediate", "--allow-destroy"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(!site.path("old.conf").exists());
}
