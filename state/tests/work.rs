//! The work queue runs share with workers (`froyo apply --workers`), against
//! a real PostgreSQL server: units leased once each, in dependency order,
//! by workers that do not wait on each other; a lost worker's lease taken
//! again and the lost worker fenced off; nothing leased of runs that are
//! over or cancelled; payloads and results sealed in the database.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Backend, Workspace};
use froyo_state::{LockGuard, RunId, RunKind, State};
use froyo_state::{RunStatus, StateError, UnitSpec, UnitStatus};
use serde_json::json;

fn unit(unit: u32, host: &str, deps: &[u32], payload: &str) -> UnitSpec {
    UnitSpec {
        unit,
        hosts: vec![host.to_string()],
        deps: deps.to_vec(),
        payload: payload.as_bytes().to_vec(),
    }
}

const LEASE: Duration = Duration::from_secs(30);

/// A run begun as a coordinator begins one: under the workspace's lock.
fn coordinated_run(state: &State) -> (LockGuard, RunId) {
    let lock = state.lock("apply").expect("take the lock");
    (lock, state.begin_run(RunKind::Apply, "ir-test").expect("begin a run"))
}

#[test]
fn units_are_leased_once_each_after_what_they_wait_for_and_sealed() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (_lock, run) = coordinated_run(&state);
    let mut coordinator = state.work_queue().unwrap();
    coordinator
        .publish(
            run,
            &[
                unit(0, "h1", &[], "payload of h1: token=Very-Secret-42"),
                unit(1, "h2", &[0], "payload of h2"),
                unit(2, "h3", &[], "payload of h3"),
            ],
        )
        .unwrap();
    let database = workspace.database_name.as_deref().unwrap();
    let cluster = common::cluster().unwrap();
    let stored =
        cluster.sql(database, "SELECT string_agg(encode(payload, 'hex'), '') FROM froyo.work");
    let secret_hex: String = b"Very-Secret-42".iter().map(|byte| format!("{byte:02x}")).collect();
    assert!(!stored.contains(&secret_hex), "a payload is stored in clear");

    let (mut one, mut two) = (state.work_queue().unwrap(), state.work_queue().unwrap());
    let first = one.lease("one", LEASE).unwrap().unwrap();
    assert_eq!((first.unit, first.attempt), (0, 1));
    assert_eq!(first.payload, b"payload of h1: token=Very-Secret-42");
    let second = two.lease("two", LEASE).unwrap().unwrap();
    assert_eq!(second.unit, 2, "unit 1 waits for unit 0");
    assert!(two.lease("two", LEASE).unwrap().is_none(), "nothing is ready");

    assert!(one.complete(&first, b"result of h1", &[7, 9]).unwrap());
    let third = two.lease("two", LEASE).unwrap().unwrap();
    assert_eq!(third.unit, 1);
    assert_eq!(third.blocked, vec![7, 9], "what failed in the units it waited for");
    assert!(two.complete(&third, b"result of h2", &[]).unwrap());

    let views = coordinator.units(run, &BTreeSet::new()).unwrap();
    let statuses: Vec<(u32, UnitStatus, Option<&str>)> =
        views.iter().map(|view| (view.unit, view.status, view.worker.as_deref())).collect();
    assert_eq!(
        statuses,
        [
            (0, UnitStatus::Done, Some("one")),
            (1, UnitStatus::Done, Some("two")),
            (2, UnitStatus::Leased, Some("two"))
        ]
    );
    assert_eq!(views[0].result.as_deref(), Some(&b"result of h1"[..]));
    // What the coordinator has merged is not read again.
    let views = coordinator.units(run, &BTreeSet::from([0])).unwrap();
    assert_eq!(views[0].result, None);
    assert_eq!(views[1].result.as_deref(), Some(&b"result of h2"[..]));
}

#[test]
fn workers_leasing_at_once_never_share_a_unit() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (_lock, run) = coordinated_run(&state);
    let units: Vec<UnitSpec> = (0..40).map(|n| unit(n, &format!("h{n}"), &[], "p")).collect();
    state.work_queue().unwrap().publish(run, &units).unwrap();
    let leased: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|worker| {
                let state = workspace.open_location();
                scope.spawn(move || {
                    let mut queue = state.work_queue().unwrap();
                    let mut mine = Vec::new();
                    while let Some(lease) = queue.lease(&format!("w{worker}"), LEASE).unwrap() {
                        mine.push(lease.unit);
                        assert!(queue.complete(&lease, b"", &[]).unwrap());
                    }
                    mine
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    let mut all: Vec<u32> = leased.concat();
    all.sort();
    assert_eq!(all, (0..40).collect::<Vec<_>>(), "each unit once: {leased:?}");
}

#[test]
fn a_lost_workers_unit_is_leased_again_and_the_lost_worker_fenced_off() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (_lock, run) = coordinated_run(&state);
    state.work_queue().unwrap().publish(run, &[unit(0, "h1", &[], "p")]).unwrap();
    let (mut lost, mut other) = (state.work_queue().unwrap(), state.work_queue().unwrap());
    let short = Duration::from_millis(600);
    let first = lost.lease("lost", short).unwrap().unwrap();
    // Renewed, the lease outlives its length.
    let renewal = lost.keep_leased(&first, short).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(other.lease("other", short).unwrap().is_none(), "a renewed lease holds");
    assert!(!renewal.lost());
    drop(renewal);
    // Not renewed, it runs out and another worker takes the unit.
    std::thread::sleep(Duration::from_millis(900));
    let again = other.lease("other", LEASE).unwrap().unwrap();
    assert_eq!((again.unit, again.attempt), (0, 2));
    // The lost worker comes back: it can neither renew nor hand in.
    let renewal = lost.keep_leased(&first, short).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(renewal.lost());
    assert!(!lost.complete(&first, b"late", &[]).unwrap());
    assert!(other.complete(&again, b"on time", &[]).unwrap());
    let views = other.units(run, &BTreeSet::new()).unwrap();
    assert_eq!(views[0].result.as_deref(), Some(&b"on time"[..]));
    assert_eq!((views[0].attempts, views[0].worker.as_deref()), (2, Some("other")));
}

#[test]
fn a_unit_given_back_is_leased_again_by_another() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (_lock, run) = coordinated_run(&state);
    state.work_queue().unwrap().publish(run, &[unit(0, "h1", &[], "p")]).unwrap();
    let (mut old, mut new) = (state.work_queue().unwrap(), state.work_queue().unwrap());
    let first = old.lease("old", LEASE).unwrap().unwrap();
    assert!(old.release(&first).unwrap());
    assert!(!old.release(&first).unwrap(), "given back once");
    let again = new.lease("new", LEASE).unwrap().unwrap();
    assert_eq!((again.unit, again.attempt), (0, 2));
    assert!(!old.complete(&first, b"", &[]).unwrap());
    assert!(new.complete(&again, b"", &[]).unwrap());
}

#[test]
fn work_of_runs_that_are_over_or_cancelled_is_not_leased() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let mut queue = state.work_queue().unwrap();
    let (lock, finished) = coordinated_run(&state);
    queue.publish(finished, &[unit(0, "h1", &[], "p")]).unwrap();
    state.finish_run(finished, RunStatus::Failed, &json!({})).unwrap();
    assert!(queue.lease("w", LEASE).unwrap().is_none());

    let cancelled = state.begin_run(RunKind::Apply, "ir-test").unwrap();
    queue.publish(cancelled, &[unit(0, "h1", &[], "p"), unit(1, "h2", &[], "p")]).unwrap();
    let lease = queue.lease("w", LEASE).unwrap().unwrap();
    queue.cancel(cancelled).unwrap();
    assert!(queue.lease("w", LEASE).unwrap().is_none());
    assert!(!queue.complete(&lease, b"", &[]).unwrap(), "a cancelled unit takes no result");
    let views = queue.units(cancelled, &BTreeSet::new()).unwrap();
    assert!(views.iter().all(|view| view.status == UnitStatus::Cancelled));
    drop(lock);
}

#[test]
fn nothing_is_leased_once_the_coordinator_is_gone() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (lock, run) = coordinated_run(&state);
    let mut queue = state.work_queue().unwrap();
    queue.publish(run, &[unit(0, "h1", &[], "p"), unit(1, "h2", &[], "p")]).unwrap();
    assert!(queue.lease("w", LEASE).unwrap().is_some());
    // The coordinator dies: its lock connection goes (the lock row stays
    // until someone takes the lock over, and the run stays `running`).
    workspace.sql("", "SELECT pg_terminate_backend(backend_pid) FROM froyo.locks");
    std::thread::sleep(Duration::from_millis(300));
    assert!(queue.lease("w", LEASE).unwrap().is_none(), "the rest of a dead coordinator's run");
    drop(lock);
    // A run that never held the lock has nothing to lease either.
    let unlocked = state.begin_run(RunKind::Apply, "ir").unwrap();
    queue.publish(unlocked, &[unit(0, "h1", &[], "p")]).unwrap();
    assert!(queue.lease("w", LEASE).unwrap().is_none());
}

#[test]
fn an_altered_payload_is_refused_not_applied() {
    let Some(workspace) = Workspace::on(Backend::Postgres) else { return };
    let state = workspace.open_location();
    let (_lock, run) = coordinated_run(&state);
    let mut queue = state.work_queue().unwrap();
    queue.publish(run, &[unit(0, "h1", &[], "p"), unit(1, "h2", &[], "q")]).unwrap();
    // Unit 1's sealed payload moved to unit 0: authentic bytes, wrong place.
    workspace.sql(
        "",
        "UPDATE froyo.work SET payload = (SELECT payload FROM froyo.work WHERE unit = 1) WHERE unit = 0",
    );
    let error = queue.lease("w", LEASE).unwrap_err();
    assert!(matches!(error, StateError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("does not open with the team key"), "{error}");
}

#[test]
fn a_local_state_has_no_work_queue() {
    let workspace = Workspace::new();
    let error = workspace.open().work_queue().unwrap_err();
    assert_eq!(error.code(), "E1240");
    assert!(error.to_string().contains("--state postgres://"), "{error}");
}
