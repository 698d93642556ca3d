//! What only the PostgreSQL backend has to get right, against a real server
//! (the suite both backends share is `conformance.rs`): workspaces sharing
//! a database, migrations from controllers starting at once, a newer
//! schema, a holder whose connection lives but whose heartbeat stopped,
//! and the team key.

mod common;

use common::{Backend, ChildProcess, Workspace, apply_run, record};
use froyo_state::{Liveness, RunKind, State, StateError, StateLocation};
use serde_json::json;

/// The child's side: does nothing unless this binary was started as a child.
#[test]
fn child_entry() {
    if let Ok(role) = std::env::var(common::CHILD_ROLE) {
        common::child_main(&role);
    }
}

/// `workspace`'s state in the database of `base`, with `base`'s key.
fn other_workspace(base: &Workspace, id: &str) -> State {
    let location = base.location().replace("workspace=test", &format!("workspace={id}"));
    let StateLocation::Postgres(target) = StateLocation::parse(&location).unwrap() else {
        unreachable!("a PostgreSQL workspace's location")
    };
    State::open_location(&StateLocation::Postgres(target.with_key_file(base.key_file())), true)
        .unwrap()
}

#[test]
fn workspaces_in_one_database_do_not_meet() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let web = workspace.open_location();
    let db = other_workspace(&workspace, "db");
    let web_run = apply_run(&web);
    web.put_instance(web_run, &record("web-1", "site", "h")).unwrap();
    web.save_plan("p1", "ir", 1, "{}").unwrap();
    web.audit("note", &json!({})).unwrap();

    assert_eq!(db.runs(10).unwrap(), []);
    assert_eq!(db.instances().unwrap(), []);
    assert_eq!(db.serial().unwrap(), 0);
    assert_eq!(db.plan("p1").unwrap(), None);
    assert_eq!(db.audit_log(10).unwrap(), []);
    assert_eq!(db.run(web_run).unwrap(), None, "another workspace's run is not this one's");
    let error = db.put_instance(web_run, &record("db-1", "x", "h")).unwrap_err();
    assert!(matches!(error, StateError::NoSuchRun { .. }), "{error}");
    assert!(matches!(db.event(web_run, None, "x", &json!({})), Err(StateError::NoSuchRun { .. })));

    // Both hold their own lock at once.
    let web_lock = web.lock("apply").unwrap();
    let db_lock = db.lock("apply").unwrap();
    assert_eq!(web.lock_info().unwrap().unwrap().alive, Liveness::Alive);
    assert_eq!(db.lock_info().unwrap().unwrap().alive, Liveness::Alive);
    drop((web_lock, db_lock));
    assert_eq!(web.instances().unwrap().len(), 1);
}

#[test]
fn controllers_starting_at_once_migrate_a_new_database_once() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let location = workspace.state_location();
    let opened: Vec<Result<State, StateError>> = std::thread::scope(|scope| {
        let threads: Vec<_> =
            (0..8).map(|_| scope.spawn(|| State::open_location(&location, true))).collect();
        threads.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    for state in &opened {
        assert!(state.is_ok(), "{:?}", state.as_ref().err().map(ToString::to_string));
    }
    let cluster = common::cluster().unwrap();
    let database = workspace.database_name.as_deref().unwrap();
    assert_eq!(cluster.sql(database, "SELECT version FROM froyo.schema_version"), "2");
    assert_eq!(cluster.sql(database, "SELECT count(*) FROM froyo.workspaces"), "1");
}

#[test]
fn a_schema_from_a_newer_froyo_is_refused_and_left_alone() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    drop(workspace.open_location());
    workspace.sql("", "UPDATE froyo.schema_version SET version = 99");
    let error = State::open_location(&workspace.state_location(), true).unwrap_err();
    assert!(matches!(error, StateError::TooNew { found: 99, supported: 2, .. }), "{error}");
    assert!(error.to_string().contains("upgrade froyo"), "{error}");
    let cluster = common::cluster().unwrap();
    let database = workspace.database_name.as_deref().unwrap();
    assert_eq!(cluster.sql(database, "SELECT version FROM froyo.schema_version"), "99");
}

#[test]
fn a_holder_whose_heartbeat_stopped_is_taken_over_though_connected() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    drop(workspace.open_location());
    let child = ChildProcess::start_in("hold-lock", &workspace);
    let pid = child.child.id();
    let state = workspace.open_location();
    assert!(matches!(state.lock("apply"), Err(StateError::Held(_))));
    // Stopped (its connection stays open) with a heartbeat from long ago.
    assert!(
        std::process::Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    workspace.sql("", "UPDATE froyo.locks SET heartbeat_ms = heartbeat_ms - 120000");
    assert_eq!(state.lock_info().unwrap().unwrap().alive, Liveness::Dead);

    let guard = state.lock("drift").unwrap();
    let log = state.audit_log(1).unwrap();
    assert_eq!(log[0].action, "lock.takeover");
    let reason = log[0].detail["reason"].as_str().unwrap();
    assert!(reason.starts_with("its last heartbeat was at "), "{reason}");
    assert_eq!(log[0].detail["holder"]["pid"], json!(pid));
    let runs = state.runs(10).unwrap();
    assert_eq!(runs[0].status, froyo_state::RunStatus::Interrupted, "{runs:?}");
    drop(guard);
    let _ = std::process::Command::new("kill").args(["-CONT", &pid.to_string()]).status();
    child.kill();
}

#[test]
fn the_team_key_is_checked_against_the_workspace() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let run = state.begin_run(RunKind::Apply, "ir").unwrap();
    drop(state);
    common::write_key(&workspace.key_file(), &"77".repeat(32));
    let error = State::open_location(&workspace.state_location(), true).unwrap_err();
    assert!(matches!(error, StateError::TeamKey { .. }), "{error}");
    common::write_key(&workspace.key_file(), "not a key");
    let error = State::open_location(&workspace.state_location(), true).unwrap_err();
    assert!(error.to_string().contains("64 hex digits"), "{error}");
    common::write_key(&workspace.key_file(), &"5a".repeat(32));
    let state = workspace.open_location();
    assert!(state.run(run).unwrap().is_some());
    // A key file others can read is refused.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(workspace.key_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = State::open_location(&workspace.state_location(), true).unwrap_err();
    assert!(error.to_string().contains("chmod 600"), "{error}");
}
