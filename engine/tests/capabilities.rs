//! The engine never sends a host an operation outside its provider's
//! declared capabilities: the test provider `test.overreach` tries (a write
//! to another path, an undeclared command, an undeclared probe), through the
//! real wasmtime host and the real runner, and its instances fail at plan
//! time while a well-behaved instance beside them applies. Operations and
//! probes put into a plan after planning (a plan file edited by someone who
//! could forge its MAC, a bug between planning and applying) are refused
//! right before they would be sent.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use froyo_engine::{Engine, Options, Outcome, Silent};
use froyo_ir::{Host, Ir, Language, Origin, Resource, Transport, Value};
use froyo_provider_api::{Command, Op, Probe};
use froyo_providers::{Host as Providers, HostOptions, builtin};
use froyo_state::State;

fn origin() -> Origin {
    Origin { file: "site.cue".into(), start: 0, end: 0, language: Language::Cue }
}

fn overreach(id: &str, mode: &str, root: &Path) -> Resource {
    let mut properties = BTreeMap::new();
    properties.insert(
        "path".to_string(),
        Value::String(root.join(format!("{id}.allowed")).display().to_string()),
    );
    properties.insert(
        "target".to_string(),
        Value::String(root.join(format!("{id}.forbidden")).display().to_string()),
    );
    properties.insert("mode".to_string(), Value::String(mode.to_string()));
    Resource {
        id: id.to_string(),
        type_name: "test.overreach".to_string(),
        on: BTreeMap::new(),
        properties,
        require: Vec::new(),
        notify: Vec::new(),
        sensitive: Vec::new(),
        origin: origin(),
    }
}

#[test]
fn operations_outside_a_providers_capabilities_never_reach_the_host() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("host");
    std::fs::create_dir_all(&root).unwrap();
    let mut providers = Providers::with_builtins(
        HostOptions { cache_dir: Some(directory.path().join("cache")), ..HostOptions::default() },
        |_| false,
    )
    .unwrap();
    providers.load(builtin::OVERREACH).unwrap();
    let host = Host {
        name: "localhost".into(),
        transport: Transport::Local,
        address: None,
        port: Some(22),
        user: Some("root".into()),
        identity_file: None,
        become_root: false,
        become_password: None,
        labels: BTreeMap::new(),
        vars: BTreeMap::new(),
        jump_host: None,
        origin: origin(),
    };
    let ir = Ir::new(
        vec![host],
        vec![
            overreach("path", "path", &root),
            overreach("command", "command", &root),
            overreach("probe", "probe", &root),
            overreach("behaves", "behave", &root),
        ],
    );
    let state = State::open(&directory.path().join("state.db")).unwrap();
    let mut engine = Engine::new(
        Arc::new(providers),
        Options {
            workspace_root: directory.path().to_path_buf(),
            parallelism: 2,
            forks: 4,
            reporter: Arc::new(Silent),
            transport: Arc::new(froyo_engine::Hosts::new(Default::default())),
            scheduler: None,
        },
    )
    .unwrap();
    let plan = engine.plan(&ir, &state).unwrap();
    let error = |id: &str| {
        plan.instances.iter().find(|instance| instance.key.resource == id).unwrap().error.clone()
    };
    for id in ["path", "command", "probe"] {
        let message = error(id).unwrap_or_else(|| panic!("`{id}` was planned: {plan:#?}"));
        assert!(message.contains("outside its declared capabilities"), "{id}: {message}");
    }
    assert_eq!(error("behaves"), None);

    let report = engine.apply(&plan, &state, false).unwrap();
    let outcome = |id: &str| {
        report
            .instances
            .iter()
            .find(|instance| instance.key.resource == id)
            .unwrap()
            .outcome
            .clone()
    };
    assert!(matches!(outcome("path"), Outcome::Failed { .. }));
    assert!(matches!(outcome("behaves"), Outcome::Applied { .. }), "{report:#?}");
    assert!(root.join("behaves.allowed").exists());
    assert!(!root.join("path.forbidden").exists());
    assert!(!root.join("path.allowed").exists());
}

fn exec(id: &str, command: &str) -> Resource {
    let mut properties = BTreeMap::new();
    properties.insert("command".to_string(), Value::String(command.to_string()));
    Resource {
        id: id.to_string(),
        type_name: "linux.exec".to_string(),
        on: BTreeMap::new(),
        properties,
        require: Vec::new(),
        notify: Vec::new(),
        sensitive: Vec::new(),
        origin: origin(),
    }
}

fn localhost() -> Host {
    Host {
        name: "localhost".into(),
        transport: Transport::Local,
        address: None,
        port: None,
        user: None,
        identity_file: None,
        become_root: false,
        become_password: None,
        labels: BTreeMap::new(),
        vars: BTreeMap::new(),
        jump_host: None,
        origin: origin(),
    }
}

/// An engine with `linux.exec` and `test.overreach`, on the real runner.
fn engine_in(directory: &Path) -> Engine {
    let mut providers = Providers::with_builtins(
        HostOptions { cache_dir: Some(directory.join("cache")), ..HostOptions::default() },
        |name| name == "linux.exec",
    )
    .unwrap();
    providers.load(builtin::OVERREACH).unwrap();
    Engine::new(
        Arc::new(providers),
        Options {
            workspace_root: directory.to_path_buf(),
            parallelism: 2,
            forks: 4,
            reporter: Arc::new(Silent),
            transport: Arc::new(froyo_engine::Hosts::new(Default::default())),
            scheduler: None,
        },
    )
    .unwrap()
}

fn outcome_of(report: &froyo_engine::ApplyReport, id: &str) -> Outcome {
    report.instances.iter().find(|instance| instance.key.resource == id).unwrap().outcome.clone()
}

fn assert_refused(outcome: Outcome, what: &str) {
    match outcome {
        Outcome::Failed { message } => assert!(
            message.starts_with("E1213 refused before it reached the host")
                && message.contains("outside its declared capabilities"),
            "{what}: {message}"
        ),
        other => panic!("{what} was not refused: {other:?}"),
    }
}

#[test]
fn operations_put_into_a_plan_after_planning_are_refused_before_they_are_sent() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("host");
    std::fs::create_dir_all(&root).unwrap();
    let ir = Ir::new(
        vec![localhost()],
        vec![
            overreach("write", "behave", &root),
            exec("run", &format!("touch {}/ran", root.display())),
            overreach("control", "behave", &root),
        ],
    );
    let state = State::open(&directory.path().join("state.db")).unwrap();
    let mut engine = engine_in(directory.path());
    let mut plan = engine.plan(&ir, &state).unwrap();
    let index = |id: &str| plan.instances.iter().position(|i| i.key.resource == id).unwrap();
    // A write to a path that is not the resource's.
    let (write, run) = (index("write"), index("run"));
    let Op::WriteFile { path, .. } = &mut plan.instances[write].ops[0] else {
        panic!("{:?}", plan.instances[write].ops)
    };
    *path = root.join("elsewhere").display().to_string();
    // Another command than the resource's.
    let Op::Exec { command, .. } = &mut plan.instances[run].ops[0] else {
        panic!("{:?}", plan.instances[run].ops)
    };
    command.argv[2] = format!("touch {}/injected", root.display());

    let report = engine.apply(&plan, &state, false).unwrap();
    assert_refused(outcome_of(&report, "write"), "a write elsewhere");
    assert_refused(outcome_of(&report, "run"), "an edited command");
    assert!(matches!(outcome_of(&report, "control"), Outcome::Applied { .. }), "{report:#?}");
    assert!(!root.join("elsewhere").exists());
    assert!(!root.join("injected").exists());
    assert!(!root.join("ran").exists(), "nothing of a refused instance runs");
    assert!(!root.join("write.allowed").exists());
    assert!(root.join("control.allowed").exists());
}

#[test]
fn probes_of_a_saved_plan_are_checked_before_they_are_sent() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("host");
    std::fs::create_dir_all(&root).unwrap();
    let ir = Ir::new(
        vec![localhost()],
        vec![overreach("probed", "behave", &root), overreach("control", "behave", &root)],
    );
    let state = State::open(&directory.path().join("state.db")).unwrap();
    let mut engine = engine_in(directory.path());
    let mut plan = engine.plan(&ir, &state).unwrap();
    let probed = plan.instances.iter().position(|i| i.key.resource == "probed").unwrap();
    // A saved plan's probes run again before its changes apply: an injected one must not.
    let marker = root.join("probe-ran");
    plan.instances[probed].probes.push(Probe::Command(Command::new([
        "/bin/sh".to_string(),
        "-c".to_string(),
        format!("touch {}", marker.display()),
    ])));
    let report = engine.apply(&plan, &state, true).unwrap();
    assert_refused(outcome_of(&report, "probed"), "an injected probe");
    assert!(matches!(outcome_of(&report, "control"), Outcome::Applied { .. }), "{report:#?}");
    assert!(!marker.exists(), "the injected probe ran");
    assert!(!root.join("probed.allowed").exists());
}
