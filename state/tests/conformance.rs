//! The state store's conformance suite: every test here runs against each
//! backend, SQLite (a file) and PostgreSQL (a real server the harness starts,
//! see `tests/support/postgres.rs`), through the public `State` API only.
//! What the backends must agree on: runs and events, instances and the
//! serial, plans, the audit log, the lock (refusal, heartbeat, takeover of a
//! killed holder, breaking), crash safety, sensitive-value hashing and
//! refusing damaged rows.
//!
//! `cargo test -p froyo-state --test conformance postgres::` runs one backend.

mod common;

use std::time::Duration;

use common::{Backend, ChildProcess, Workspace, apply_run, key, record, records};
use froyo_state::{Liveness, LockTiming, RunId, RunKind, RunStatus, State, StateError};
use serde_json::json;

/// The child's side: does nothing unless this binary was started as a child.
#[test]
fn child_entry() {
    if let Ok(role) = std::env::var(common::CHILD_ROLE) {
        common::child_main(&role);
    }
}

/// Each named test once per backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })*
        }
    };
}

conformance! {
    runs_and_events_round_trip_in_order,
    runs_applying_a_plan_are_found_by_its_plan_event,
    runs_refuse_what_cannot_be,
    instances_round_trip_ordered_by_host_then_resource,
    serial_moves_only_when_instance_state_changes,
    a_batch_failing_half_way_writes_nothing,
    plans_are_saved_once_and_outdated_by_other_applies,
    audit_log_is_newest_first_and_signed,
    protect_is_stable_keyed_and_kept_across_opens,
    damaged_rows_are_errors_not_panics,
    second_state_gets_held_with_the_holders_info,
    heartbeat_advances_while_held,
    killed_holder_is_taken_over_and_its_run_interrupted,
    runs_of_processes_that_are_gone_are_interrupted_by_the_next_lock,
    unlock_breaks_a_live_lock_only_when_forced_and_logs_it,
    crash_mid_write_leaves_consistent_state,
}

fn fast_heartbeat(state: &mut State) {
    state.set_lock_timing(LockTiming {
        heartbeat_every: Duration::from_millis(50),
        stale_after: Duration::from_secs(60),
    });
}

fn runs_and_events_round_trip_in_order(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
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

fn runs_applying_a_plan_are_found_by_its_plan_event(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
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

fn runs_refuse_what_cannot_be(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let run = apply_run(&state);
    let redact = |error: StateError| workspace.redact_location(&error.to_string());

    let error = state.event(RunId(42), None, "x", &json!({})).unwrap_err();
    assert_eq!(redact(error), "state database <state>: there is no run 42");
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
        "state database <state>: run 1 cannot be finished, it is already succeeded"
    );
    // Nothing above wrote anything that shows.
    assert_eq!(state.serial().unwrap(), 0);
    assert!(state.instances().unwrap().is_empty());
    assert_eq!(state.run(run).unwrap().unwrap().1.len(), 0);
}

fn instances_round_trip_ordered_by_host_then_resource(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let run = apply_run(&state);
    state.put_instance(run, &record("web-2", "a", "h1")).unwrap();
    state.put_instance(run, &record("db-1", "z", "h2")).unwrap();
    state.put_instance(run, &record("web-2", "0", "h3")).unwrap();
    // Byte order, whatever the server's collation: `B` before `a`, `_` after `Z`.
    state.put_instance(run, &record("db-1", "B", "h5")).unwrap();
    state.put_instance(run, &record("db-1", "_x", "h6")).unwrap();
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
    assert_eq!(order, ["db-1/B", "db-1/_x", "db-1/b", "db-1/z", "web-2/0", "web-2/a"]);

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
    assert_eq!(state.instances().unwrap().len(), 5);
}

fn serial_moves_only_when_instance_state_changes(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
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
    let mut unobserved = observed.clone();
    unobserved.observed = None;
    state.put_instance(run, &unobserved).unwrap();
    state.put_instance(run, &unobserved).unwrap();
    assert_eq!(state.serial().unwrap(), 4, "observed properties gone, once");
    state.put_instance(run, &observed).unwrap();
    assert_eq!(state.serial().unwrap(), 5);

    let batch = vec![observed.clone(), record("h", "b", "d1"), record("h", "c", "d1")];
    state.put_instances(run, &batch).unwrap();
    assert_eq!(state.serial().unwrap(), 6, "one batch, one step");
    state.put_instances(run, &batch).unwrap();
    state.put_instances(run, &[]).unwrap();
    assert_eq!(state.serial().unwrap(), 6, "an unchanged batch");

    state.remove_instance(run, &key("h", "b")).unwrap();
    assert_eq!(state.serial().unwrap(), 7, "a removal");
    state.remove_instance(run, &key("h", "b")).unwrap();
    assert_eq!(state.serial().unwrap(), 7, "removing what is gone");
}

fn a_batch_failing_half_way_writes_nothing(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let run = apply_run(&state);
    state.put_instances(run, &records(10, "before")).unwrap();
    // Make the sixth record of any batch fail, after five were written.
    workspace.sql(
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON instances
             WHEN NEW.resource = 'file-00005' AND NEW.desired_hash = 'after'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
         CREATE TRIGGER refuse_update BEFORE UPDATE ON instances
             WHEN NEW.resource = 'file-00005' AND NEW.desired_hash = 'after'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.resource = 'file-00005' AND NEW.desired_hash = 'after' THEN
                 RAISE EXCEPTION 'refused by the test';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON froyo.instances
             FOR EACH ROW EXECUTE FUNCTION refuse();",
    );
    let error = state.put_instances(run, &records(10, "after")).unwrap_err();
    assert!(error.to_string().contains("refused by the test"), "{error}");
    assert_eq!(state.serial().unwrap(), 1);
    assert!(state.instances().unwrap().iter().all(|instance| instance.desired_hash == "before"));

    let error = state.put_instances(RunId(77), &records(10, "never")).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { .. }), "{error}");
    assert_eq!(state.serial().unwrap(), 1);
    // The connection is usable after a failed transaction.
    state.put_instances(run, &records(3, "later")).unwrap();
    assert_eq!(state.serial().unwrap(), 2);
}

fn plans_are_saved_once_and_outdated_by_other_applies(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    assert_eq!(state.plan("p1").unwrap(), None);
    state.save_plan("p1", "ir-a", 3, r#"{"changes":[]}"#).unwrap();
    state.save_plan("p1", "ir-a", 3, r#"{"changes":[]}"#).unwrap();
    let error = state.save_plan("p1", "ir-b", 4, "{}").unwrap_err();
    assert_eq!(
        workspace.redact_location(&error.to_string()),
        "state database <state>: a different plan with id `p1` is already saved"
    );
    assert_eq!(state.plan("p1").unwrap().as_deref(), Some(r#"{"changes":[]}"#));
    let error = state.save_plan("p2", "ir", u64::MAX, "{}").unwrap_err();
    assert!(matches!(error, StateError::InvalidArgument { .. }));

    use froyo_state::PlanOutdated;
    assert_eq!(state.plan_outdated("p1").unwrap(), None);
    assert_eq!(state.plan_outdated("nope").unwrap(), Some(PlanOutdated::NotRecorded));
    // A plan and a drift check, and an apply that changed nothing, leave it current.
    let plan_run = state.begin_run(RunKind::Plan, "ir").unwrap();
    state.finish_run(plan_run, RunStatus::Succeeded, &json!({})).unwrap();
    let quiet = apply_run(&state);
    state
        .finish_run(
            quiet,
            RunStatus::Succeeded,
            &json!({"applied": 0, "failed": 0, "forgotten": 0}),
        )
        .unwrap();
    assert_eq!(state.plan_outdated("p1").unwrap(), None);
    // Applying the plan itself, even half-way, leaves it current.
    let own = apply_run(&state);
    state.event(own, None, "plan", &json!({"plan": "p1"})).unwrap();
    state.finish_run(own, RunStatus::Failed, &json!({"applied": 2, "failed": 1})).unwrap();
    assert_eq!(state.plan_outdated("p1").unwrap(), None);
    // An apply of something else that changed hosts, or may have, does not.
    let other = apply_run(&state);
    state.finish_run(other, RunStatus::Succeeded, &json!({"applied": 1})).unwrap();
    assert_eq!(state.plan_outdated("p1").unwrap(), Some(PlanOutdated::Superseded { run: other }));
    state.save_plan("p3", "ir", 0, "{}").unwrap();
    let running = apply_run(&state);
    assert_eq!(state.plan_outdated("p3").unwrap(), Some(PlanOutdated::Superseded { run: running }));
    drop(state);
    assert!(workspace.open_location().plan("p1").unwrap().is_some());
}

fn audit_log_is_newest_first_and_signed(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    for index in 0..5 {
        state.audit("note", &json!({ "index": index })).unwrap();
    }
    let log = state.audit_log(3).unwrap();
    let indexes: Vec<_> = log.iter().map(|entry| entry.detail["index"].clone()).collect();
    assert_eq!(indexes, [json!(4), json!(3), json!(2)]);
    assert!(log.iter().all(|entry| entry.pid == std::process::id() && entry.action == "note"));
    assert!(log[0].id > log[1].id);
}

fn protect_is_stable_keyed_and_kept_across_opens(backend: Backend) {
    let secret = "s3cr3t-Hunter2-9f2c";
    let mut properties = serde_json::Map::new();
    properties.insert("path".into(), json!("/etc/app.conf"));
    properties.insert("content".into(), json!(secret));
    properties.insert("token".into(), json!({"b": [1, 2], "a": secret}));
    let sensitive = vec!["content".to_string(), "token".to_string(), "absent".to_string()];

    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let protected = state.protect(&properties, &sensitive);
    assert_eq!(protected["path"], json!("/etc/app.conf"));
    assert!(protected.get("absent").is_none());
    let content = protected["content"].as_str().unwrap();
    assert!(content.starts_with("hmac-sha256:") && content.len() == 12 + 64, "{content}");
    assert_ne!(protected["content"], protected["token"]);
    assert_eq!(state.protect(&properties, &sensitive), protected, "stable");
    let mut reordered = properties.clone();
    reordered.insert(
        "token".into(),
        serde_json::from_str(r#"{"a":"s3cr3t-Hunter2-9f2c","b":[1,2]}"#).unwrap(),
    );
    assert_eq!(state.protect(&reordered, &sensitive), protected, "over canonical JSON");

    drop(state);
    let state = workspace.open_location();
    assert_eq!(state.protect(&properties, &sensitive), protected, "same key after reopening");
    // Another workspace with another key hashes differently.
    let elsewhere = Workspace::on(backend).unwrap();
    common::write_key(&elsewhere.key_file(), &"a7".repeat(32));
    assert_ne!(
        elsewhere.open_location().protect(&properties, &sensitive)["content"],
        protected["content"]
    );
}

fn damaged_rows_are_errors_not_panics(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let run = apply_run(&state);
    state.put_instance(run, &record("h", "r", "d")).unwrap();
    state.event(run, None, "x", &json!({})).unwrap();
    state.audit("a", &json!({})).unwrap();
    workspace.sql(
        "PRAGMA ignore_check_constraints = ON;
         UPDATE instances SET observed = '[1, 2';
         UPDATE events SET detail = 'nope';
         UPDATE audit SET pid = -3;
         UPDATE runs SET status = 'exploded';",
        "ALTER TABLE froyo.runs DROP CONSTRAINT runs_status_check;
         UPDATE froyo.instances SET observed = '[1, 2';
         UPDATE froyo.events SET detail = 'nope';
         UPDATE froyo.audit SET pid = -3;
         UPDATE froyo.runs SET status = 'exploded';",
    );
    let redact = |error: StateError| workspace.redact_location(&error.to_string());
    expect_test::expect![[r#"state database <state> is not a usable froyo state database (observed properties is not JSON: EOF while parsing a list at line 1 column 5); it was left untouched: move it aside to start with an empty state"#]]
    .assert_eq(&redact(state.instances().unwrap_err()));
    expect_test::expect![[r#"state database <state> is not a usable froyo state database (unknown run status `exploded`); it was left untouched: move it aside to start with an empty state"#]]
    .assert_eq(&redact(state.run(run).unwrap_err()));
    assert!(matches!(state.audit_log(5), Err(StateError::Corrupt { .. })));
    assert!(matches!(state.runs(5), Err(StateError::Corrupt { .. })));
    assert!(matches!(state.check_integrity(), Err(StateError::Corrupt { .. })));
}

fn second_state_gets_held_with_the_holders_info(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let first = workspace.open_location();
    let second = workspace.open_location();
    assert_eq!(first.lock_info().unwrap(), None);

    let guard = first.lock("apply").unwrap();
    assert_eq!(guard.info().operation, "apply");
    assert!(guard.is_held());
    let error = second.lock("drift").unwrap_err();
    let StateError::Held(info) = &error else {
        panic!("expected Held, got {error}");
    };
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.operation, "apply");
    assert_eq!(info.alive, Liveness::Alive);
    assert_eq!(info.host, guard.info().host);
    assert_eq!(info.owner, guard.info().owner);
    assert_eq!(info.acquired_at, guard.info().acquired_at);
    let message = error.to_string();
    assert!(message.contains("for `apply`") && message.contains("(alive)"), "{message}");
    // The holder itself cannot take it twice either.
    assert!(matches!(first.lock("apply"), Err(StateError::Held(_))));

    drop(guard);
    assert_eq!(first.lock_info().unwrap(), None);
    let guard = second.lock("drift").unwrap();
    assert_eq!(first.lock_info().unwrap().unwrap().operation, "drift");
    guard.release().unwrap();
    assert_eq!(second.lock_info().unwrap(), None);
    // Normal releases are not audited; nothing was taken over.
    assert!(first.audit_log(10).unwrap().is_empty());
}

fn heartbeat_advances_while_held(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let mut state = workspace.open_location();
    fast_heartbeat(&mut state);
    let observer = workspace.open_location();
    let guard = state.lock("apply").unwrap();
    let first = observer.lock_info().unwrap().unwrap();
    assert_eq!(first.heartbeat_at, first.acquired_at);
    std::thread::sleep(Duration::from_millis(400));
    let later = observer.lock_info().unwrap().unwrap();
    assert!(later.heartbeat_at > first.heartbeat_at, "{later:?}");
    assert_eq!(later.acquired_at, first.acquired_at);
    assert!(guard.is_held());
    drop(guard);
}

fn killed_holder_is_taken_over_and_its_run_interrupted(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    drop(workspace.open_location());
    let child = ChildProcess::start_in("hold-lock", &workspace);
    let child_run = RunId(child.ready.parse().unwrap());
    let state = workspace.open_location();

    let info = state.lock_info().unwrap().unwrap();
    assert_eq!(info.pid, child.child.id());
    assert_eq!(info.alive, Liveness::Alive);
    assert!(matches!(state.lock("apply"), Err(StateError::Held(_))));
    assert_eq!(state.run(child_run).unwrap().unwrap().0.status, RunStatus::Running);

    let child_pid = child.kill();
    // The server notices the closed connection within moments.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let info = loop {
        let info = state.lock_info().unwrap().unwrap();
        if info.alive == Liveness::Dead || std::time::Instant::now() > deadline {
            break info;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!((info.pid, info.alive), (child_pid, Liveness::Dead));

    let guard = state.lock("apply").unwrap();
    assert_eq!(guard.info().pid, std::process::id());
    let (run, events) = state.run(child_run).unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Interrupted);
    assert!(run.finished_at.is_some());
    assert_eq!(run.summary.unwrap()["interrupted"], "its process died holding the lock");
    assert_eq!(events.len(), 1, "the child's event is kept");

    let log = state.audit_log(10).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    let takeover = &log[0];
    assert_eq!(takeover.action, "lock.takeover");
    assert_eq!(takeover.pid, std::process::id());
    assert_eq!(takeover.detail["holder"]["pid"], json!(child_pid));
    let reason = match backend {
        Backend::Sqlite => format!("process {child_pid} is gone"),
        Backend::Postgres => "its lock connection is gone".to_string(),
    };
    assert_eq!(takeover.detail["reason"], json!(reason));
    assert_eq!(takeover.detail["interrupted_runs"], json!([child_run.0]));
    assert_eq!(takeover.detail["operation"], "apply");
    drop(guard);
    state.check_integrity().unwrap();
}

fn runs_of_processes_that_are_gone_are_interrupted_by_the_next_lock(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let state = workspace.open_location();
    let orphan = state.begin_run(RunKind::Plan, "ir").unwrap();
    let mine = state.begin_run(RunKind::Plan, "ir").unwrap();
    // A process that has exited and been reaped: its pid names nobody.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let update = format!("UPDATE runs SET pid = {gone_pid} WHERE id = {}", orphan.0);
    workspace.sql(&update, &update.replace("UPDATE runs", "UPDATE froyo.runs"));

    let guard = state.lock("apply").unwrap();
    assert_eq!(state.run(orphan).unwrap().unwrap().0.status, RunStatus::Interrupted);
    assert_eq!(state.run(mine).unwrap().unwrap().0.status, RunStatus::Running);
    let log = state.audit_log(1).unwrap();
    assert_eq!(log[0].action, "runs.interrupted");
    assert_eq!(log[0].detail["runs"], json!([orphan.0]));
    drop(guard);
}

fn unlock_breaks_a_live_lock_only_when_forced_and_logs_it(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    let mut holder = workspace.open_location();
    fast_heartbeat(&mut holder);
    let breaker = workspace.open_location();
    assert_eq!(breaker.unlock("nobody", false).unwrap(), None);
    assert!(breaker.audit_log(10).unwrap().is_empty(), "breaking no lock logs nothing");

    let guard = holder.lock("apply").unwrap();
    let run = holder.begin_run(RunKind::Apply, "ir").unwrap();
    holder.put_instance(run, &record("web", "before", "h")).unwrap();
    // A live holder's lock is not broken without --force.
    let refused = breaker.unlock("alice", false).unwrap_err();
    assert!(matches!(refused, StateError::Held(_)), "{refused}");
    assert_eq!(breaker.lock_info().unwrap().unwrap().operation, "apply");
    let broken = breaker.unlock("alice", true).unwrap().unwrap();
    assert_eq!((broken.pid, broken.alive), (std::process::id(), Liveness::Alive));
    assert_eq!(breaker.lock_info().unwrap(), None);

    let log = breaker.audit_log(10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "lock.break");
    assert_eq!(log[0].detail["who"], "alice");
    assert_eq!(log[0].detail["holder"]["operation"], "apply");
    assert_eq!(log[0].detail["interrupted_runs"], json!([]), "a live holder's runs go on");
    assert_eq!(holder.run(run).unwrap().unwrap().0.status, RunStatus::Running);
    // The old holder writes nothing more.
    let lost = holder.put_instance(run, &record("web", "after", "h")).unwrap_err();
    assert!(matches!(lost, StateError::LockLost { .. }), "{lost}");
    assert!(matches!(
        holder.finish_run(run, RunStatus::Succeeded, &json!({})),
        Err(StateError::LockLost { .. })
    ));
    let recorded: Vec<String> =
        breaker.instances().unwrap().into_iter().map(|record| record.key.resource).collect();
    assert_eq!(recorded, ["before"]);

    // The old holder notices on its next heartbeat, and its release does not
    // remove the lock someone else took meanwhile.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while guard.is_held() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!guard.is_held());
    let new_guard = breaker.lock("drift").unwrap();
    let _ = guard.release();
    assert_eq!(holder.lock_info().unwrap().unwrap().operation, "drift");
    drop(new_guard);
}

fn crash_mid_write_leaves_consistent_state(backend: Backend) {
    let Some(workspace) = Workspace::on(backend) else { return };
    drop(workspace.open_location());
    let mut generations = Vec::new();
    for round in 0..5u64 {
        let child = ChildProcess::start_in("write-loop", &workspace);
        // Kill at different points of the loop: after 0, 15, 30, ... ms of writing.
        std::thread::sleep(Duration::from_millis(round * 15));
        child.kill();

        let state = workspace.open_location();
        state.check_integrity().expect("the state reads back whole after a crash");
        // A commit the killed process sent may land a moment later (on a
        // server): read until the serial is the same before and after.
        let (serial, instances) = loop {
            let serial = state.serial().unwrap();
            let instances = state.instances().unwrap();
            if state.serial().unwrap() == serial {
                break (serial, instances);
            }
        };
        assert_eq!(instances.len(), common::CRASH_RECORDS);
        // Each generation is one transaction: all of it or none of it.
        let expected = format!("gen-{serial}");
        assert!(
            instances.iter().all(|instance| instance.desired_hash == expected),
            "serial {serial} but the instances disagree"
        );
        generations.push(serial);
    }
    println!("generations committed before each kill: {generations:?}");
    assert!(generations.windows(2).all(|pair| pair[0] < pair[1]), "{generations:?}");
}
