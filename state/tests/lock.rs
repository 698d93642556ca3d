//! The SQLite lock's own case: a holder on another host, whose process
//! cannot be checked, counts as alive until its heartbeat goes stale. The
//! lock tests every backend shares are in `conformance.rs`.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::Workspace;
use froyo_state::Liveness;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
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
