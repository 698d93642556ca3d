//! Telemetry of `froyo apply` and `froyo drift` on this machine: spans
//! exported over OTLP/HTTP to a receiver in this test (the protobuf decoded
//! with `opentelemetry-proto`), one span tree per run, also for a run that
//! fails; JSON logs, one object per line with span context; a planted
//! secret absent from logs and spans; the metrics textfile checked by
//! Prometheus' own `promtool` (when installed: `scripts/test` installs it and
//! sets `FROYO_REQUIRE_PROMETHEUS=1`, which makes its absence a failure).

#[path = "support/otlp.rs"]
mod otlp;
#[path = "support/site.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use otlp::{Receiver, Span};
use support::{Site, text};

const SECRET: &str = "s3cr3t-Tok3n-telemetry-71f0";

/// Two files (one requiring the other: two waves) and a command that
/// prints its sensitive environment and fails.
const SITE: &str = r#"package site

import "froyo.dev/linux"

resources: {
	dir: linux.#Directory & {path: "@ROOT@/etc"}
	motd: linux.#File & {
		path:    "@ROOT@/etc/motd"
		content: "hello\n"
		require: ["dir"]
	}
}
"#;

const LEAKS: &str = r#"
resources: leak: linux.#Exec & {
	command: "echo \"stderr: $SECRET\" >&2; echo \"stdout: $SECRET\"; exit 3"
	env: SECRET: "@SECRET@"
}
"#;

/// `froyo` in `site` with `environment` (and no OTEL_* or FROYO_LOG of the caller's).
fn froyo(site: &Site, args: &[&str], environment: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
    command.args(args).current_dir(site.dir.path()).env("NO_COLOR", "1").stdin(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") || name == "FROYO_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(environment.iter().copied());
    command.output().unwrap()
}

/// Checks that `spans` are one tree: one trace, one root, every parent
/// present; returns the spans by id.
fn one_tree(spans: &[Span]) -> BTreeMap<Vec<u8>, Span> {
    let traces: BTreeSet<&Vec<u8>> = spans.iter().map(|span| &span.trace).collect();
    assert_eq!(traces.len(), 1, "one trace per run: {spans:#?}");
    let by_id: BTreeMap<Vec<u8>, Span> =
        spans.iter().map(|span| (span.id.clone(), span.clone())).collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let roots: Vec<&Span> = spans.iter().filter(|span| span.parent.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:#?}");
    assert_eq!(roots[0].name, "froyo");
    for span in spans.iter().filter(|span| !span.parent.is_empty()) {
        assert!(by_id.contains_key(&span.parent), "the parent of {} was exported", span.name);
    }
    by_id
}

/// The name of `span`'s parent.
fn parent_name<'a>(by_id: &'a BTreeMap<Vec<u8>, Span>, span: &Span) -> &'a str {
    by_id.get(&span.parent).map_or("(none)", |parent| parent.name.as_str())
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|span| span.name == name).collect()
}

#[test]
fn an_apply_is_exported_as_one_span_tree_with_phases_waves_batches_and_provider_calls() {
    let receiver = Receiver::start();
    let site = Site::new(SITE);
    let endpoint = receiver.endpoint();
    // With the provider calls (debug spans).
    let output = froyo(
        &site,
        &["apply", "--yes"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("FROYO_TRACE_LEVEL", "debug")],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    // Logging is off unless asked for: nothing but the usual output.
    assert!(!stderr.contains("INFO"), "{stderr}");

    let spans = receiver.take();
    let by_id = one_tree(&spans);
    let root = spans.iter().find(|span| span.parent.is_empty()).unwrap();
    assert_eq!(root.service, "froyo");
    assert_eq!(root.attributes["command"], "apply");
    assert_eq!(root.attributes["exit_status"], "0");
    // Each span name and the names its parent may have (probe batches and
    // state writes happen in planning, in waves and after them).
    for (child, parents) in [
        ("compile", &["froyo"][..]),
        ("plan", &["froyo"]),
        ("apply", &["froyo"]),
        ("connect", &["plan"]),
        ("connect_host", &["connect"]),
        ("probe", &["plan"]),
        ("probe_batch", &["probe", "wave"]),
        ("provider.probe", &["probe"]),
        ("provider_plans", &["plan"]),
        ("provider.plan", &["provider_plans"]),
        ("provider.observe", &["wave"]),
        ("wave", &["apply"]),
        ("operations_batch", &["wave"]),
        ("state_write", &["apply", "wave"]),
    ] {
        let found = named(&spans, child);
        assert!(!found.is_empty(), "no `{child}` span in {:?}", names(&spans));
        for span in found {
            let parent = parent_name(&by_id, span);
            assert!(parents.contains(&parent), "the parent of `{child}` is `{parent}`");
        }
    }
    // Two waves (the file requires its directory), one batch per wave on localhost.
    assert_eq!(named(&spans, "wave").len(), 2);
    let apply = named(&spans, "apply")[0];
    assert_eq!(apply.attributes["outcome"], "succeeded");
    assert!(apply.attributes["run"].parse::<u64>().is_ok(), "{apply:?}");
    let batch = named(&spans, "operations_batch")[0];
    assert_eq!(batch.attributes["host"], "localhost");
    let motd = named(&spans, "provider.plan")
        .into_iter()
        .find(|span| span.attributes["address"] == "linux.file.motd")
        .unwrap();
    assert_eq!(motd.attributes["resource_type"], "linux.file");
    assert_eq!(motd.attributes["host"], "localhost");
    assert_eq!(motd.attributes["action"], "create");

    // A second apply is a second tree, under another service name.
    let output = froyo(
        &site,
        &["apply", "--yes"],
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &format!("{endpoint}/v1/traces")),
            ("OTEL_SERVICE_NAME", "ops-froyo"),
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let second = receiver.take();
    one_tree(&second);
    assert!(second.iter().all(|span| span.service == "ops-froyo"));
    // By default, no span per provider call.
    assert!(named(&second, "provider.plan").is_empty(), "{:?}", names(&second));
    assert!(!named(&second, "probe_batch").is_empty());
    assert_ne!(second[0].trace, spans[0].trace);
}

#[test]
fn an_apply_interrupted_by_sigterm_or_sigint_sends_its_spans_as_one_tree_before_exiting() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let receiver = Receiver::start();
        // The second wave runs a command that takes a minute.
        let site = Site::new(&format!(
            "{SITE}\nresources: slow: linux.#Exec & {{command: \"touch @ROOT@/started; sleep 60\", require: [\"motd\"]}}\n"
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(["apply", "--yes"])
            .current_dir(site.dir.path())
            .env("NO_COLOR", "1")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .env_remove("FROYO_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = command.spawn().unwrap();
        let started = std::time::Instant::now();
        while !site.root().join("started").exists() {
            assert!(started.elapsed().as_secs() < 60, "the slow command did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let interrupted = std::time::Instant::now();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(interrupted.elapsed().as_secs() < 10, "SIG{signal}: exiting took too long");
        assert!(stderr.contains("interrupted"), "{stderr}");

        // The spans arrived before the process exited: the finished ones and
        // those still open, ended as interrupted, in one tree.
        let spans = receiver.take();
        one_tree(&spans);
        let root = spans.iter().find(|span| span.parent.is_empty()).unwrap();
        assert_eq!(root.attributes["command"], "apply");
        assert_eq!(root.attributes["outcome"], "interrupted", "SIG{signal}");
        for name in ["apply", "wave"] {
            assert!(
                named(&spans, name)
                    .iter()
                    .any(|span| span.attributes.get("outcome") == Some(&"interrupted".to_string())),
                "SIG{signal}: an interrupted `{name}` span in {spans:#?}"
            );
        }
        // The first wave finished as usual.
        assert!(named(&spans, "wave").iter().any(|span| !span.attributes.contains_key("outcome")));
        assert!(!named(&spans, "compile").is_empty() && !named(&spans, "plan").is_empty());
    }
}

#[test]
fn an_https_endpoint_is_refused_with_a_warning_since_the_client_has_no_tls() {
    let site = Site::new(SITE);
    for variable in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
        let started = std::time::Instant::now();
        let output = froyo(&site, &["check"], &[(variable, "HTTPS://127.0.0.1:4318")]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "warning: {variable} `HTTPS://127.0.0.1:4318`: this froyo has no TLS"
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("could not send traces"), "nothing was tried: {stderr}");
        assert!(started.elapsed().as_secs() < 30);
    }
}

fn names(spans: &[Span]) -> BTreeSet<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}

#[test]
fn a_failing_run_is_exported_too_and_neither_spans_nor_logs_hold_its_secret() {
    let receiver = Receiver::start();
    let site = Site::new(&format!("{SITE}{}", LEAKS.replace("@SECRET@", SECRET)));
    let endpoint = receiver.endpoint();
    let output = froyo(
        &site,
        &["apply", "--yes", "--log-format", "json", "--log-level", "trace"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");

    // The spans arrived, failure included, as one tree.
    let spans = receiver.take();
    let by_id = one_tree(&spans);
    let root = spans.iter().find(|span| span.parent.is_empty()).unwrap();
    assert_eq!(root.attributes["exit_status"], "1");
    assert_eq!(named(&spans, "apply")[0].attributes["outcome"], "failed");
    assert!(by_id.len() > 10);
    for body in receiver.bodies.lock().unwrap().iter() {
        assert!(!String::from_utf8_lossy(body).contains(SECRET), "a span holds the secret");
    }

    // JSON logs: one object per line, with the span they were logged in.
    let mut events = Vec::new();
    for line in stderr.lines().filter(|line| line.starts_with('{')) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"));
        events.push(event);
    }
    assert!(!events.is_empty(), "{stderr}");
    let failed = events
        .iter()
        .find(|event| event["fields"]["message"] == "instance failed")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(failed["level"], "WARN");
    assert_eq!(failed["fields"]["address"], "linux.exec.leak");
    assert_eq!(failed["fields"]["host"], "localhost");
    assert!(failed["fields"]["error"].as_str().unwrap().contains("(sensitive)"), "{failed}");
    assert_eq!(failed["span"]["name"], "wave");
    let spans_of: Vec<&str> = failed["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["name"].as_str().unwrap())
        .collect();
    assert_eq!(spans_of, ["froyo", "apply", "wave"]);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{stderr}");

    // Every level and the human format, drift included: never the secret.
    for args in [
        &["apply", "--yes", "--log-level", "trace"][..],
        &["drift", "--log-format", "json", "--log-level", "trace"],
        &["plan", "--log-format", "human"],
    ] {
        let output = froyo(&site, args, &[]);
        let (stdout, stderr) = text(&output);
        assert!(stderr.contains("INFO") || stderr.contains("\"INFO\""), "{args:?} logs: {stderr}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{args:?}: {stderr}");
    }
    let output = froyo(&site, &["plan"], &[("FROYO_LOG", "debug")]);
    let (_, stderr) = text(&output);
    assert!(stderr.contains("DEBUG"), "FROYO_LOG=debug logs: {stderr}");
    assert!(!stderr.contains(SECRET));
}

#[test]
fn without_an_endpoint_or_a_level_nothing_is_exported_or_logged() {
    let site = Site::new(SITE);
    let output = froyo(&site, &["apply", "--yes"], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stderr.contains("INFO") && !stderr.contains("WARN"), "{stderr}");
}

/// `promtool`, or None (the test then says so) unless it is required.
fn promtool() -> Option<&'static str> {
    let found =
        Command::new("promtool").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("FROYO_REQUIRE_PROMETHEUS").is_some() {
        panic!(
            "promtool is missing and FROYO_REQUIRE_PROMETHEUS is set: install the prometheus package"
        );
    }
    found.then_some("promtool")
}

#[test]
fn metrics_files_of_apply_and_drift_pass_promtool_and_count_what_happened() {
    let site = Site::new(SITE);
    let metrics = site.dir.path().join("froyo.prom");
    let path = metrics.to_str().unwrap();
    let output = froyo(&site, &["apply", "--yes", "--metrics-file", path], &[]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let applied = std::fs::read_to_string(&metrics).unwrap();
    for expected in [
        "# TYPE froyo_runs_total counter",
        r#"froyo_runs_total{kind="apply",outcome="succeeded"} 1"#,
        r#"froyo_instances_total{action="create",outcome="applied"} 2"#,
        r#"froyo_phase_duration_seconds_count{kind="apply",phase="probe"} 1"#,
        r#"froyo_phase_duration_seconds_count{kind="apply",phase="apply"} 1"#,
        r#"froyo_host_up{host="localhost"} 1"#,
        r#"froyo_hosts_unreachable{kind="apply"} 0"#,
        r#"froyo_last_success_timestamp_seconds{kind="apply"} "#,
    ] {
        assert!(applied.contains(expected), "{expected} in:\n{applied}");
    }
    // No temporary file is left for the textfile collector to trip on.
    let leftovers: Vec<_> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    std::fs::write(site.path("etc/motd"), "edited\n").unwrap();
    let output = froyo(&site, &["drift", "--metrics-file", path], &[]);
    assert_eq!(output.status.code(), Some(3), "{:?}", text(&output));
    let drifted = std::fs::read_to_string(&metrics).unwrap();
    for expected in [
        r#"froyo_runs_total{kind="drift",outcome="drifted"} 1"#,
        r#"froyo_drifted_instances{host="localhost",resource_type="linux.file"} 1"#,
        r#"froyo_drifted_instances{host="localhost",resource_type="linux.directory"} 0"#,
    ] {
        assert!(drifted.contains(expected), "{expected} in:\n{drifted}");
    }

    // A run that finds the lock held counts as `locked`.
    let lock = froyo_state::State::open_existing(&site.dir.path().join(".froyo/state.db")).unwrap();
    let guard = lock.lock("apply").unwrap();
    let output = froyo(&site, &["drift", "--metrics-file", path], &[]);
    assert_eq!(output.status.code(), Some(4), "{:?}", text(&output));
    drop(guard);
    let locked = std::fs::read_to_string(&metrics).unwrap();
    assert!(locked.contains(r#"froyo_runs_total{kind="drift",outcome="locked"} 1"#), "{locked}");

    let Some(promtool) = promtool() else {
        eprintln!("skipped the promtool check: promtool is not installed");
        return;
    };
    for text in [applied, drifted, locked] {
        let mut child = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let checked = child.wait_with_output().unwrap();
        assert!(
            checked.status.success(),
            "promtool check metrics: {}{}\n{text}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}

#[test]
fn watch_arguments_and_an_address_in_use_are_refused_with_what_to_do() {
    let site = Site::new(SITE);
    let output = froyo(&site, &["drift", "--interval", "5m"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("--watch"), "{:?}", text(&output));
    let output = froyo(&site, &["drift", "--watch", "--interval", "0s"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("longer than zero"), "{:?}", text(&output));
    // No state yet: the watch does not make one.
    let output = froyo(&site, &["drift", "--watch"], &[]);
    assert_eq!(output.status.code(), Some(2), "{:?}", text(&output));
    assert!(!site.dir.path().join(".froyo/state.db").exists());

    let output = froyo(&site, &["apply", "--yes"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = froyo(&site, &["drift", "--watch", "--metrics-addr", &address], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("E1221 cannot serve metrics on"), "{stderr}");
    // A metrics file in a directory that does not exist: reported, the run stands.
    let missing = site.dir.path().join("missing/froyo.prom");
    let output = froyo(&site, &["drift", "--metrics-file", missing.to_str().unwrap()], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("E1221 cannot write the metrics file"), "{stderr}");
}
