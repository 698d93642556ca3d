//! A sensitive value never leaves a run through what hosts say: a command
//! that prints its sensitive `env` and fails (whole, or cut by the runner's
//! output limit), a guard that prints it, are
//! scrubbed (`(sensitive)`) from the terminal, `--format json`, `froyo runs
//! show`, `froyo state show`, the audit log and the bytes of the state
//! database. And `--show-ops` gives a redacted input's real length.

#[path = "support/site.rs"]
mod support;

use std::fs;

use serde_json::Value;
use support::{Site, text};

const SECRET: &str = "s3cr3t-Tok3n-5b1e-froyo";

const LEAKS: &str = r#"package site

import "froyo.dev/linux"

resources: {
	leak: linux.#Exec & {
		command: "echo \"stderr: $SECRET\" >&2; echo \"stdout: $SECRET\"; exit 3"
		env: SECRET: "@SECRET@"
	}
	guard: linux.#Exec & {
		command: "echo \"ran: $SECRET\"; touch @ROOT@/guarded"
		unless:  "echo \"guard: $SECRET\"; echo \"guard: $SECRET\" >&2; test -e @ROOT@/guarded"
		env: SECRET: "@SECRET@"
	}
	cut: linux.#Exec & {
		// The runner keeps the last 2000 characters of a failure's output:
		// the last 10 of the secret, after a `…`.
		command: "printf '%s' \"$SECRET\"; printf '%01990d' 0; exit 4"
		env: SECRET: "@SECRET@"
	}
	after: linux.#File & {
		path:    "@ROOT@/after"
		content: "never\n"
		require: ["leak"]
	}
}
"#;

#[test]
fn a_secret_printed_by_a_failing_command_is_scrubbed_from_every_output_and_from_state() {
    let site = Site::new(&LEAKS.replace("@SECRET@", SECRET));
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut run = |args: &[&str]| {
        let output = site.froyo(args);
        let (stdout, stderr) = text(&output);
        outputs.push((args.join(" "), format!("{stdout}{stderr}")));
        (output.status.code(), stdout, stderr)
    };

    let (code, stdout, stderr) = run(&["apply", "--yes"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let failure = stdout
        .lines()
        .find(|line| line.starts_with("✗ linux.exec.leak"))
        .unwrap_or_else(|| panic!("{stdout}"));
    insta::assert_snapshot!("scrubbed_failure", failure);
    assert!(stderr.contains("exited with status 3: stderr: (sensitive)"), "{stderr}");

    let (code, stdout, _) = run(&["apply", "--yes", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let leak = report["report"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|instance| instance["address"] == "linux.exec.leak")
        .unwrap();
    assert!(leak["message"].as_str().unwrap().contains("(sensitive)"), "{leak:#}");

    run(&["plan", "--show-ops"]);
    run(&["plan", "--format", "json"]);
    run(&["drift"]);
    run(&["drift", "--format", "json"]);
    let (_, runs, _) = run(&["runs", "list", "--format", "json"]);
    run(&["runs", "list"]);
    let runs: Value = serde_json::from_str(&runs).unwrap();
    let ids: Vec<String> =
        runs.as_array().unwrap().iter().map(|run| run["id"].to_string()).collect();
    assert!(ids.len() >= 4, "{runs:#}");
    let mut shown = String::new();
    for id in &ids {
        shown.push_str(&run(&["runs", "show", id]).1);
        shown.push_str(&run(&["runs", "show", id, "--format", "json"]).1);
    }
    assert!(shown.contains("(sensitive)"), "the scrubbed message is in the runs: {shown}");
    run(&["state", "list"]);
    for address in ["leak", "guard", "cut", "after"] {
        run(&["state", "show", address]);
        run(&["state", "show", address, "--format", "json"]);
    }
    run(&["state", "audit"]);
    run(&["state", "audit", "--format", "json"]);

    let end = &SECRET[SECRET.len() - 10..];
    for (command, output) in &outputs {
        assert!(!output.contains(SECRET), "`froyo {command}` printed the secret:\n{output}");
        assert!(!output.contains(end), "`froyo {command}` printed its end:\n{output}");
    }
    assert!(outputs[0].1.contains("exited with status 4: …(sensitive)00000"), "{}", outputs[0].1);
    // The database and its journal, byte for byte.
    for entry in fs::read_dir(site.dir.path().join(".froyo")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|name| name == "state.key") {
            continue;
        }
        let bytes = fs::read(&path).unwrap();
        for needle in [SECRET, end] {
            assert!(
                !bytes.windows(needle.len()).any(|window| window == needle.as_bytes()),
                "{} holds {needle}",
                path.display()
            );
        }
    }
    // The secret did reach the commands.
    assert!(site.path("guarded").exists());
    assert!(!site.path("after").exists());
}

#[test]
fn show_ops_gives_the_real_length_of_a_redacted_input() {
    // Planned only: a user is never created on the machine running the tests.
    let hash = "$6$salt$s3cr3t-hash-5b1e";
    let site = Site::new(&format!(
        "package site\n\nimport \"froyo.dev/linux\"\n\nresources: u: linux.#User & {{\n\tname: \"froyo-no-such-user\"\n\tpassword: \"{hash}\"\n}}\n"
    ));
    let length = format!("froyo-no-such-user:{hash}\n").len();
    let output = site.froyo(&["plan", "--show-ops"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("> exec chpasswd -e stdin({length} bytes, sensitive)")),
        "{stdout}"
    );
    assert!(!stdout.contains(hash), "{stdout}");
    let output = site.froyo(&["plan", "--format", "json"]);
    let (stdout, _) = text(&output);
    assert!(stdout.contains(&format!("\"stdin\": \"(sensitive: {length} bytes)\"")), "{stdout}");
    assert!(!stdout.contains(hash), "{stdout}");
}
