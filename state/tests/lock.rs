//! The workspace lock and crash safety, with real processes: a child (this
//! test binary again, see `common::child_main`) takes the lock or writes in a
//! loop, and is killed with SIGKILL.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{ChildProcess, Workspace};
use froyo_state::{Liveness, LockTiming, RunId, RunStatus, State, StateError};
use serde_json::json;

/// The child's side: does nothing unless this binary was started as a child.
#[test]
fn child_entry() {
    if let Ok(role) = std::env::var(common::CHILD_ROLE) {
        common::child_main(&role);
    }
}

fn fast_heartbeat(state: &mut State) {
    state.set_lock_timing(LockTiming {
        heartbeat_every: Duration::from_millis(50),
        stale_after: Duration::from_secs(60),
    });
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn second_state_gets_held_with_the_holders_info() {
    let workspace = Workspace::new();
    let first = workspace.open();
    let second = workspace.open();
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

#[test]
fn heartbeat_advances_while_held() {
    let workspace = Workspace::new();
    let mut state = workspace.open();
    fast_heartbeat(&mut state);
    let observer = workspace.open();
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

#[test]
fn dead_holder_is_taken_over_and_its_run_interrupted() {
    let workspace = Workspace::new();
    drop(workspace.open());
    let child = ChildProcess::start("hold-lock", &workspace.database());
    let child_run = RunId(child.ready.parse().unwrap());
    let state = workspace.open();

    let info = state.lock_info().unwrap().unwrap();
    assert_eq!(info.pid, child.child.id());
    assert_eq!(info.alive, Liveness::Alive);
    assert!(matches!(state.lock("apply"), Err(StateError::Held(_))));
    assert_eq!(state.run(child_run).unwrap().unwrap().0.status, RunStatus::Running);

    let child_pid = child.kill();
    let info = state.lock_info().unwrap().unwrap();
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
    assert_eq!(takeover.detail["reason"], json!(format!("process {child_pid} is gone")));
    assert_eq!(takeover.detail["interrupted_runs"], json!([child_run.0]));
    assert_eq!(takeover.detail["operation"], "apply");
    drop(guard);
    state.check_integrity().unwrap();
}

#[test]
fn stale_heartbeat_on_another_host_is_taken_over() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let write_holder = |heartbeat_ms: i64| {
        let connection = rusqlite::Connection::open(workspace.database()).unwrap();
        connection
            .execute(
                "INSERT OR REPLACE INTO lock (id, token, session, owner, pid, host, operation, acquired_ms, heartbeat_ms) \
                 VALUES (1, 't', 'elsewhere-session', 'ops', 4242, 'build-9.example', 'apply', ?1, ?1)",
                [heartbeat_ms],
            )
            .unwrap();
    };

    write_holder(now_ms());
    let info = state.lock_info().unwrap().unwrap();
    assert_eq!((info.host.as_str(), info.alive), ("build-9.example", Liveness::Unknown));
    let error = state.lock("apply").unwrap_err();
    assert!(error.to_string().contains("on another host, cannot be checked"), "{error}");

    write_holder(now_ms() - 61_000);
    assert_eq!(state.lock_info().unwrap().unwrap().alive, Liveness::Dead);
    let guard = state.lock("apply").unwrap();
    let log = state.audit_log(1).unwrap();
    assert_eq!(log[0].action, "lock.takeover");
    let reason = log[0].detail["reason"].as_str().unwrap();
    assert!(reason.starts_with("its last heartbeat was at "), "{reason}");
    drop(guard);
}

#[test]
fn runs_of_processes_that_are_gone_are_interrupted_by_the_next_lock() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let orphan = state.begin_run(froyo_state::RunKind::Plan, "ir").unwrap();
    let mine = state.begin_run(froyo_state::RunKind::Plan, "ir").unwrap();
    // A process that has exited and been reaped: its pid names nobody.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    connection
        .execute("UPDATE runs SET pid = ?1 WHERE id = ?2", [i64::from(gone_pid), orphan.0 as i64])
        .unwrap();

    let guard = state.lock("apply").unwrap();
    assert_eq!(state.run(orphan).unwrap().unwrap().0.status, RunStatus::Interrupted);
    assert_eq!(state.run(mine).unwrap().unwrap().0.status, RunStatus::Running);
    let log = state.audit_log(1).unwrap();
    assert_eq!(log[0].action, "runs.interrupted");
    assert_eq!(log[0].detail["runs"], json!([orphan.0]));
    drop(guard);
}

#[test]
fn unlock_breaks_a_live_lock_only_when_forced_and_logs_it() {
    let workspace = Workspace::new();
    let mut holder = workspace.open();
    fast_heartbeat(&mut holder);
    let breaker = workspace.open();
    assert_eq!(breaker.unlock("nobody", false).unwrap(), None);
    assert!(breaker.audit_log(10).unwrap().is_empty(), "breaking no lock logs nothing");

    let guard = holder.lock("apply").unwrap();
    let run = holder.begin_run(froyo_state::RunKind::Apply, "ir").unwrap();
    holder.put_instance(run, &common::record("web", "before", "h")).unwrap();
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
    let lost = holder.put_instance(run, &common::record("web", "after", "h")).unwrap_err();
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
    guard.release().unwrap();
    assert_eq!(holder.lock_info().unwrap().unwrap().operation, "drift");
    drop(new_guard);
}

#[test]
fn crash_mid_write_leaves_a_consistent_database() {
    let workspace = Workspace::new();
    drop(workspace.open());
    let mut generations = Vec::new();
    for round in 0..5u64 {
        let child = ChildProcess::start("write-loop", &workspace.database());
        // Kill at different points of the loop: after 0, 15, 30, ... ms of writing.
        std::thread::sleep(Duration::from_millis(round * 15));
        child.kill();

        let state = State::open(&workspace.database()).expect("the database opens after a crash");
        state.check_integrity().expect("integrity_check passes after a crash");
        let serial = state.serial().unwrap();
        let instances = state.instances().unwrap();
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
