//! The engine never sends a host an operation outside its provider's
//! declared capabilities: the test provider `test.overreach` tries (a write
//! to another path, an undeclared command, an undeclared probe), through the
//! real wasmtime host and the real runner, and its instances fail at plan
//! time while a well-behaved instance beside them applies.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use froyo_engine::{Engine, Options, Outcome, Silent};
use froyo_ir::{Host, Ir, Language, Origin, Resource, Transport, Value};
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
