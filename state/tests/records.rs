//! Runs, events, instances, the serial, plans, the audit log and protected
//! secrets, written and read back through real database files.

mod common;

use common::{Workspace, apply_run, key, record, records};
use froyo_state::{RunId, RunKind, RunStatus, State, StateError};
use serde_json::json;

#[test]
fn state_and_guard_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<State>();
    assert_send::<froyo_state::LockGuard>();
    assert_send::<StateError>();
}

#[test]
fn runs_and_events_round_trip_in_order() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let plan = state.begin_run(RunKind::Plan, "ir-1").unwrap();
    let apply = state.begin_run(RunKind::Apply, "ir-1").unwrap();
    let drift = state.begin_run(RunKind::Drift, "ir-2").unwrap();
    assert!(plan < apply && apply < drift);

    let motd = key("web-1", "file:/etc/motd");
    state.event(apply, None, "started", &json!({"hosts": 2})).unwrap();
    state.event(apply, Some(&motd), "changed", &json!({"mode": ["0600", "0644"]})).unwrap();
    state.event(plan, None, "planned", &json!(null)).unwrap();
    state.event(apply, Some(&motd), "verified", &json!({})).unwrap();
    state.finish_run(apply, RunStatus::Succeeded, &json!({"changed": 1})).unwrap();
    state.finish_run(plan, RunStatus::Failed, &json!({"error": "x"})).unwrap();

    let runs = state.runs(10).unwrap();
    let listed: Vec<_> = runs.iter().map(|run| (run.id, run.kind, run.status)).collect();
    assert_eq!(
        listed,
        [
            (drift, RunKind::Drift, RunStatus::Running),
            (apply, RunKind::Apply, RunStatus::Succeeded),
            (plan, RunKind::Plan, RunStatus::Failed),
        ]
    );
    assert_eq!(state.runs(1).unwrap().len(), 1);
    assert_eq!(state.runs(0).unwrap().len(), 0);

    let (run, events) = state.run(apply).unwrap().unwrap();
    assert_eq!(run.ir_hash, "ir-1");
    assert_eq!(run.summary, Some(json!({"changed": 1})));
    assert_eq!(run.pid, std::process::id());
    assert!(run.finished_at.as_deref().unwrap() >= run.started_at.as_str());
    let seen: Vec<_> = events
        .iter()
        .map(|event| (event.kind.as_str(), event.instance.clone(), event.detail.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("started", None, json!({"hosts": 2})),
            ("changed", Some(motd.clone()), json!({"mode": ["0600", "0644"]})),
            ("verified", Some(motd), json!({})),
        ]
    );
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id));
    assert!(events.iter().all(|event| event.run == apply));

    let (drift_run, drift_events) = state.run(drift).unwrap().unwrap();
    assert_eq!((drift_run.finished_at, drift_run.summary), (None, None));
    assert!(drift_events.is_empty());
    assert_eq!(state.run(RunId(999)).unwrap(), None);
    assert_eq!(state.run(RunId(u64::MAX)).unwrap(), None);
}

#[test]
fn runs_applying_a_plan_are_found_by_its_plan_event() {
    let workspace = Workspace::new();
    let state = workspace.open();
    assert_eq!(state.runs_applying_plan("p1").unwrap(), []);
    let first = state.begin_run(RunKind::Apply, "ir").unwrap();
    state.event(first, None, "plan", &json!({"plan": "p1", "saved": false})).unwrap();
    let other = state.begin_run(RunKind::Apply, "ir").unwrap();
    state.event(other, None, "plan", &json!({"plan": "p2"})).unwrap();
    // A drift run's events and other kinds of events do not count.
    let drift = state.begin_run(RunKind::Drift, "ir").unwrap();
    state.event(drift, None, "plan", &json!({"plan": "p1"})).unwrap();
    state.event(other, None, "note", &json!({"plan": "p1"})).unwrap();
    let again = state.begin_run(RunKind::Apply, "ir").unwrap();
    state.event(again, None, "plan", &json!({"plan": "p1", "saved": true})).unwrap();
    assert_eq!(state.runs_applying_plan("p1").unwrap(), [first, again]);
    assert_eq!(state.runs_applying_plan("p2").unwrap(), [other]);
    assert_eq!(state.runs_applying_plan("p3").unwrap(), []);
}

#[test]
fn runs_refuse_what_cannot_be() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    let redact = |error: StateError| workspace.redact(&error.to_string());

    let error = state.event(RunId(42), None, "x", &json!({})).unwrap_err();
    assert_eq!(redact(error), "state database <workspace>/.froyo/state.db: there is no run 42");
    let error = state.finish_run(RunId(42), RunStatus::Failed, &json!({})).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { run: RunId(42), .. }));
    let error = state.put_instance(RunId(42), &record("h", "r", "d")).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { run: RunId(42), .. }), "{error}");
    let error = state.remove_instance(RunId(u64::MAX), &key("h", "r")).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { .. }), "{error}");
    let error = state.finish_run(run, RunStatus::Running, &json!({})).unwrap_err();
    assert!(matches!(error, StateError::InvalidArgument { .. }), "{error}");

    state.finish_run(run, RunStatus::Succeeded, &json!({})).unwrap();
    let error = state.finish_run(run, RunStatus::Failed, &json!({})).unwrap_err();
    assert_eq!(
        redact(error),
        "state database <workspace>/.froyo/state.db: run 1 cannot be finished, it is already succeeded"
    );
    // Nothing above wrote anything that shows.
    assert_eq!(state.serial().unwrap(), 0);
    assert!(state.instances().unwrap().is_empty());
    assert_eq!(state.run(run).unwrap().unwrap().1.len(), 0);
}

#[test]
fn instances_round_trip_ordered_by_host_then_resource() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.put_instance(run, &record("web-2", "a", "h1")).unwrap();
    state.put_instance(run, &record("db-1", "z", "h2")).unwrap();
    state.put_instance(run, &record("web-2", "0", "h3")).unwrap();
    let mut bare = record("db-1", "b", "h4");
    bare.observed = None;
    bare.last_run = Some(RunId(12345));
    state.put_instance(run, &bare).unwrap();

    let order: Vec<_> = state
        .instances()
        .unwrap()
        .into_iter()
        .map(|instance| format!("{}/{}", instance.key.host, instance.key.resource))
        .collect();
    assert_eq!(order, ["db-1/b", "db-1/z", "web-2/0", "web-2/a"]);

    let read = state.instance(&key("db-1", "b")).unwrap().unwrap();
    assert_eq!(read, froyo_state::InstanceRecord { last_run: Some(run), ..bare });
    let expected = record("web-2", "a", "h1");
    let read = state.instance(&expected.key).unwrap().unwrap();
    assert_eq!(read.observed, expected.observed);
    assert_eq!(read.last_run, Some(run));
    assert_eq!(state.instance(&key("web-2", "missing")).unwrap(), None);

    let other = apply_run(&state);
    state.remove_instance(other, &key("web-2", "a")).unwrap();
    assert_eq!(state.instance(&key("web-2", "a")).unwrap(), None);
    assert_eq!(state.instances().unwrap().len(), 3);
}

#[test]
fn serial_moves_only_when_instance_state_changes() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.event(run, None, "started", &json!({})).unwrap();
    state.save_plan("p1", "ir", 0, "{}").unwrap();
    state.audit("note", &json!({})).unwrap();
    assert_eq!(state.serial().unwrap(), 0, "runs, plans and audit leave it alone");

    state.put_instance(run, &record("h", "a", "d1")).unwrap();
    assert_eq!(state.serial().unwrap(), 1, "a new instance");

    let mut same = record("h", "a", "d1");
    same.updated_at = "2030-01-01T00:00:00.000Z".into();
    let later = apply_run(&state);
    state.put_instance(later, &same).unwrap();
    assert_eq!(state.serial().unwrap(), 1, "only the run and time changed");
    assert_eq!(state.instance(&same.key).unwrap().unwrap().updated_at, same.updated_at);
    assert_eq!(state.instance(&same.key).unwrap().unwrap().last_run, Some(later));

    state.put_instance(run, &record("h", "a", "d2")).unwrap();
    assert_eq!(state.serial().unwrap(), 2, "a new desired hash");
    let mut observed = record("h", "a", "d2");
    observed.observed.as_mut().unwrap().insert("owner".into(), json!("root"));
    state.put_instance(run, &observed).unwrap();
    assert_eq!(state.serial().unwrap(), 3, "new observed properties");

    let batch = vec![observed.clone(), record("h", "b", "d1"), record("h", "c", "d1")];
    state.put_instances(run, &batch).unwrap();
    assert_eq!(state.serial().unwrap(), 4, "one batch, one step");
    state.put_instances(run, &batch).unwrap();
    state.put_instances(run, &[]).unwrap();
    assert_eq!(state.serial().unwrap(), 4, "an unchanged batch");

    state.remove_instance(run, &key("h", "b")).unwrap();
    assert_eq!(state.serial().unwrap(), 5, "a removal");
    state.remove_instance(run, &key("h", "b")).unwrap();
    assert_eq!(state.serial().unwrap(), 5, "removing what is gone");
}

#[test]
fn a_batch_failing_half_way_writes_nothing() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.put_instances(run, &records(10, "before")).unwrap();
    // Make the sixth record of any batch fail, after five were written.
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    connection
        .execute_batch(
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON instances
                 WHEN NEW.resource = 'file-00005' AND NEW.desired_hash = 'after'
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
             CREATE TRIGGER refuse_update BEFORE UPDATE ON instances
                 WHEN NEW.resource = 'file-00005' AND NEW.desired_hash = 'after'
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
    let error = state.put_instances(run, &records(10, "after")).unwrap_err();
    assert!(error.to_string().contains("refused by the test"), "{error}");
    assert_eq!(state.serial().unwrap(), 1);
    assert!(state.instances().unwrap().iter().all(|instance| instance.desired_hash == "before"));

    let error = state.put_instances(RunId(77), &records(10, "never")).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { .. }));
    assert_eq!(state.serial().unwrap(), 1);
    // The connection is usable after a failed transaction.
    state.put_instances(run, &records(3, "later")).unwrap();
    assert_eq!(state.serial().unwrap(), 2);
}

#[test]
fn put_instances_of_a_thousand_records_is_fast() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    let mut timings = Vec::new();
    for generation in 0..3 {
        let batch = records(1000, &format!("gen-{generation}"));
        let started = std::time::Instant::now();
        state.put_instances(run, &batch).unwrap();
        timings.push(started.elapsed());
    }
    // A converged apply: same content, new run and time.
    let converged = apply_run(&state);
    let batch = records(1000, "gen-2");
    let started = std::time::Instant::now();
    state.put_instances(converged, &batch).unwrap();
    timings.push(started.elapsed());
    let started = std::time::Instant::now();
    let all = state.instances().unwrap();
    let read = started.elapsed();
    assert_eq!(all.len(), 1000);
    assert!(all.iter().all(|instance| instance.last_run == Some(converged)));
    assert_eq!(state.serial().unwrap(), 3);
    println!("put_instances(1000), 3 changed then 1 converged: {timings:?}; instances(): {read:?}");
    // Generous for a debug build on a shared machine; release takes a few ms.
    assert!(timings.iter().all(|elapsed| elapsed.as_millis() < 2000), "{timings:?}");
}

#[test]
fn plans_are_saved_once() {
    let workspace = Workspace::new();
    let state = workspace.open();
    assert_eq!(state.plan("p1").unwrap(), None);
    state.save_plan("p1", "ir-a", 3, r#"{"changes":[]}"#).unwrap();
    state.save_plan("p1", "ir-a", 3, r#"{"changes":[]}"#).unwrap();
    let error = state.save_plan("p1", "ir-b", 4, "{}").unwrap_err();
    assert_eq!(
        workspace.redact(&error.to_string()),
        "state database <workspace>/.froyo/state.db: a different plan with id `p1` is already saved"
    );
    assert_eq!(state.plan("p1").unwrap().as_deref(), Some(r#"{"changes":[]}"#));
    let error = state.save_plan("p2", "ir", u64::MAX, "{}").unwrap_err();
    assert!(matches!(error, StateError::InvalidArgument { .. }));
    drop(state);
    assert!(workspace.open().plan("p1").unwrap().is_some());
}

#[test]
fn audit_log_is_newest_first_and_signed() {
    let workspace = Workspace::new();
    let state = workspace.open();
    for index in 0..5 {
        state.audit("note", &json!({ "index": index })).unwrap();
    }
    let log = state.audit_log(3).unwrap();
    let indexes: Vec<_> = log.iter().map(|entry| entry.detail["index"].clone()).collect();
    assert_eq!(indexes, [json!(4), json!(3), json!(2)]);
    assert!(log.iter().all(|entry| entry.pid == std::process::id() && entry.action == "note"));
    assert!(log[0].id > log[1].id);
}

#[test]
fn protect_hashes_sensitive_values_with_the_workspace_key() {
    let secret = "s3cr3t-Hunter2-9f2c";
    let mut properties = serde_json::Map::new();
    properties.insert("path".into(), json!("/etc/app.conf"));
    properties.insert("content".into(), json!(secret));
    properties.insert("token".into(), json!({"b": [1, 2], "a": secret}));
    let sensitive = vec!["content".to_string(), "token".to_string(), "absent".to_string()];

    let workspace = Workspace::new();
    let state = workspace.open();
    let protected = state.protect(&properties, &sensitive);
    assert_eq!(protected["path"], json!("/etc/app.conf"));
    assert!(protected.get("absent").is_none());
    let content = protected["content"].as_str().unwrap();
    assert!(content.starts_with("hmac-sha256:") && content.len() == 12 + 64, "{content}");
    assert_ne!(protected["content"], protected["token"]);
    assert_eq!(state.protect(&properties, &sensitive), protected, "stable");

    // Key order does not matter: the hash is over canonical JSON.
    let mut reordered = properties.clone();
    reordered.insert(
        "token".into(),
        serde_json::from_str(r#"{"a":"s3cr3t-Hunter2-9f2c","b":[1,2]}"#).unwrap(),
    );
    assert_eq!(state.protect(&reordered, &sensitive), protected);

    // The key is kept across opens, and differs between workspaces.
    drop(state);
    let state = workspace.open();
    assert_eq!(state.protect(&properties, &sensitive), protected, "same key after reopening");
    let elsewhere = Workspace::new();
    assert_ne!(elsewhere.open().protect(&properties, &sensitive)["content"], protected["content"]);

    // Written as observed properties and in an event, the secret never reaches
    // the database files; its hash does.
    let run = apply_run(&state);
    let mut observed = record("web", "app.conf", "d");
    observed.observed = Some(protected.clone());
    state.put_instance(run, &observed).unwrap();
    state.event(run, Some(&observed.key), "changed", &json!(protected)).unwrap();
    let directory = workspace.database().parent().unwrap().to_path_buf();
    let key_bytes = std::fs::read(directory.join("state.key")).unwrap();
    let files = common::database_bytes(&directory);
    assert!(files.iter().any(|(_, bytes)| common::contains(bytes, content.as_bytes())));
    for (path, bytes) in &files {
        assert!(!common::contains(bytes, secret.as_bytes()), "the secret is in {}", path.display());
        assert!(!common::contains(bytes, &key_bytes), "the key is in {}", path.display());
    }
    drop(state);
    for (path, bytes) in common::database_bytes(&directory) {
        assert!(
            !common::contains(&bytes, secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
}

#[test]
fn damaged_rows_are_errors_not_panics() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.put_instance(run, &record("h", "r", "d")).unwrap();
    state.event(run, None, "x", &json!({})).unwrap();
    state.audit("a", &json!({})).unwrap();
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    connection
        .execute_batch(
            "PRAGMA ignore_check_constraints = ON;
             UPDATE instances SET observed = '[1, 2';
             UPDATE events SET detail = 'nope';
             UPDATE audit SET pid = -3;
             UPDATE runs SET status = 'exploded';",
        )
        .unwrap();
    let redact = |error: StateError| workspace.redact(&error.to_string());
    expect_test::expect![[r#"state database <workspace>/.froyo/state.db is not a usable froyo state database (observed properties is not JSON: EOF while parsing a list at line 1 column 5); it was left untouched: move it aside to start with an empty state"#]]
    .assert_eq(&redact(state.instances().unwrap_err()));
    expect_test::expect![[r#"state database <workspace>/.froyo/state.db is not a usable froyo state database (unknown run status `exploded`); it was left untouched: move it aside to start with an empty state"#]]
    .assert_eq(&redact(state.run(run).unwrap_err()));
    assert!(matches!(state.audit_log(5), Err(StateError::Corrupt { .. })));
    assert!(matches!(state.runs(5), Err(StateError::Corrupt { .. })));
}

#[test]
fn damaged_data_pages_are_reported() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.put_instances(run, &records(2000, "d")).unwrap();
    drop(state);
    let path = workspace.database();
    let mut bytes = std::fs::read(&path).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 20, "{pages} pages");
    // Damage the middle of the file: instance pages, not the schema.
    for page in pages / 2..pages / 2 + 5 {
        bytes[page * 4096..page * 4096 + 4096].fill(0x5A);
    }
    std::fs::write(&path, &bytes).unwrap();
    // Refused at open, before anything is read or written.
    let error = State::open(&path).unwrap_err();
    assert!(matches!(error, StateError::Corrupt { .. }), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
}
