//! The work a run shares with workers: `froyo apply --workers` publishes a
//! run's units of work (the hosts of one unit, what it waits for, its sealed
//! payload) in `froyo.work`, and `froyo worker` processes anywhere lease
//! them, apply them and hand back a sealed result, which the coordinating
//! apply records in state under its lock. Workers never write state.
//!
//! Leasing is `SELECT … FOR UPDATE SKIP LOCKED` over the units of running
//! runs whose coordinator still holds the workspace's lock (its lock
//! connection lives) and whose dependencies are done: any number of workers take distinct
//! units without waiting on each other. A lease lasts a few seconds past
//! its last renewal, which a thread of the worker makes every third of the
//! lease on a connection of its own; a worker that dies or hangs stops
//! renewing, and its unit is leased again once the lease has run out.
//! Every lease bumps the unit's `attempts`, and renewing or completing
//! names the attempt it holds (a fencing token): a worker that comes back
//! after its unit was leased again can neither extend nor complete it.
//! Times are the server's clock (`clock_timestamp()`), so the machines'
//! clocks need not agree.
//!
//! Payloads and results hold desired values in clear (operations need
//! them), so both are sealed with ChaCha20-Poly1305 under a key derived
//! from the team key, bound to their workspace, run, unit and kind: the
//! database holds no secret in clear, and a row cannot be altered or moved
//! to another unit without opening failing.
//!
//! Publishing and completing notify `froyo_work` (`pg_notify`), which
//! coordinators and idle workers listen on, so nobody polls fast.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator as _;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};

use super::{PostgresTarget, connect};
use crate::error::StateError;
use crate::process::Writer;
use crate::secrets::SecretKey;
use crate::types::RunId;

/// The notification channel of new and finished work.
const CHANNEL: &str = "froyo_work";
/// What the sealing key is derived for.
const SEAL_PURPOSE: &str = "froyo work seal v1";

/// A unit of work as the coordinator publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    /// Its number in the run, from 0.
    pub unit: u32,
    /// The hosts it applies to (shown by progress; the payload is what counts).
    pub hosts: Vec<String>,
    /// Units that must be done before it is leased.
    pub deps: Vec<u32>,
    /// What the worker applies, in clear (sealed on the way in).
    pub payload: Vec<u8>,
}

/// A unit a worker holds.
#[derive(Debug, Clone)]
pub struct Lease {
    pub run: RunId,
    pub unit: u32,
    /// 1 for the first lease of the unit; more when a worker was lost.
    pub attempt: u32,
    pub hosts: Vec<String>,
    /// The payload, opened.
    pub payload: Vec<u8>,
    /// What the units it waits for reported as failed (numbers the
    /// coordinator gave, opaque here).
    pub blocked: Vec<u64>,
    pub worker: String,
}

/// Where a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitStatus {
    Pending,
    Leased,
    Done,
    Cancelled,
}

/// A unit as the coordinator sees it.
#[derive(Debug, Clone)]
pub struct UnitView {
    pub unit: u32,
    pub hosts: Vec<String>,
    pub status: UnitStatus,
    /// Who holds or held it.
    pub worker: Option<String>,
    pub attempts: u32,
    /// The opened result, for a done unit not in the caller's `merged`.
    pub result: Option<Vec<u8>>,
}

/// The shared work of one workspace, through a connection of its own.
pub struct WorkQueue {
    client: Client,
    target: PostgresTarget,
    location: PathBuf,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for WorkQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkQueue").field("location", &self.location).finish_non_exhaustive()
    }
}

impl WorkQueue {
    pub(crate) fn open(
        target: &PostgresTarget,
        key: &SecretKey,
        location: &Path,
    ) -> Result<WorkQueue, StateError> {
        let mut client = connect(target, &Writer::current(), location)?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(|error| StateError::postgres(location, "listen for work", error))?;
        Ok(WorkQueue {
            client,
            target: target.clone(),
            location: location.to_path_buf(),
            sealer: Arc::new(Sealer::new(key)),
        })
    }

    fn workspace(&self) -> &str {
        self.target.workspace()
    }

    fn failed<'a>(&'a self, action: &'a str) -> impl FnOnce(postgres::Error) -> StateError + 'a {
        move |error| StateError::postgres(&self.location, action, error)
    }

    /// Publishes `units` of `run` (a running run of this workspace) in one
    /// transaction, and wakes the workers.
    pub fn publish(&mut self, run: RunId, units: &[UnitSpec]) -> Result<(), StateError> {
        let workspace = self.workspace().to_string();
        let location = self.location.clone();
        let failed = |action: &'static str| {
            let location = location.clone();
            move |error| StateError::postgres(&location, action, error)
        };
        let run_id = run_number(&self.location, run)?;
        let mut transaction = self.client.transaction().map_err(failed("publish work"))?;
        let insert = transaction
            .prepare(
                "INSERT INTO froyo.work (workspace, run, unit, hosts, deps, payload, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
            )
            .map_err(failed("publish work"))?;
        let now = crate::time::now_rfc3339();
        for unit in units {
            let number = unit_number(&self.location, unit.unit)?;
            let deps = unit
                .deps
                .iter()
                .map(|&dep| unit_number(&self.location, dep))
                .collect::<Result<Vec<i32>, _>>()?;
            let sealed =
                self.sealer.seal(&aad(&workspace, run, unit.unit, "payload"), &unit.payload);
            transaction
                .execute(
                    &insert,
                    &[&workspace, &run_id, &number, &unit.hosts, &deps, &sealed, &now],
                )
                .map_err(failed("publish work"))?;
        }
        transaction
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &workspace])
            .map_err(failed("publish work"))?;
        transaction.commit().map_err(failed("publish work"))
    }

    /// The units of `run`, with the opened results of the done ones not in `merged`.
    pub fn units(
        &mut self,
        run: RunId,
        merged: &BTreeSet<u32>,
    ) -> Result<Vec<UnitView>, StateError> {
        let run_id = run_number(&self.location, run)?;
        let merged: Vec<i32> = merged.iter().filter_map(|&unit| i32::try_from(unit).ok()).collect();
        let workspace = self.workspace().to_string();
        let rows = self
            .client
            .query(
                "SELECT unit, hosts, status, worker, attempts, \
                        CASE WHEN status = 'done' AND NOT (unit = ANY ($3)) THEN result END \
                 FROM froyo.work WHERE workspace = $1 AND run = $2 ORDER BY unit",
                &[&workspace, &run_id, &merged],
            )
            .map_err(self.failed("read the run's work"))?;
        let mut units = Vec::with_capacity(rows.len());
        for row in rows {
            let corrupt = |detail: String| StateError::corrupt(&self.location, detail);
            let read = |error: postgres::Error| corrupt(format!("a work row: {error}"));
            let unit: i32 = row.try_get(0).map_err(read)?;
            let unit = u32::try_from(unit).map_err(|_| corrupt(format!("work unit {unit}")))?;
            let status: String = row.try_get(2).map_err(read)?;
            let status = match status.as_str() {
                "pending" => UnitStatus::Pending,
                "leased" => UnitStatus::Leased,
                "done" => UnitStatus::Done,
                "cancelled" => UnitStatus::Cancelled,
                other => return Err(corrupt(format!("work unit {unit} has status `{other}`"))),
            };
            let attempts: i32 = row.try_get(4).map_err(read)?;
            let sealed: Option<Vec<u8>> = row.try_get(5).map_err(read)?;
            let result = match sealed {
                Some(sealed) => Some(
                    self.sealer
                        .open(&aad(&workspace, run, unit, "result"), &sealed)
                        .ok_or_else(|| unsealable(&self.location, run, unit, "result"))?,
                ),
                None => None,
            };
            units.push(UnitView {
                unit,
                hosts: row.try_get(1).map_err(read)?,
                status,
                worker: row.try_get(3).map_err(read)?,
                attempts: u32::try_from(attempts).unwrap_or(0),
                result,
            });
        }
        Ok(units)
    }

    /// Withdraws what is left of `run`'s work (the coordinator gives up):
    /// nobody leases it any more, and results still coming are refused.
    pub fn cancel(&mut self, run: RunId) -> Result<(), StateError> {
        let run_id = run_number(&self.location, run)?;
        let workspace = self.workspace().to_string();
        self.client
            .execute(
                "UPDATE froyo.work SET status = 'cancelled' \
                 WHERE workspace = $1 AND run = $2 AND status IN ('pending', 'leased')",
                &[&workspace, &run_id],
            )
            .map(drop)
            .map_err(self.failed("cancel the run's work"))
    }

    /// Leases the first unit of a running run that is pending, or leased
    /// with its lease run out, and whose dependencies are done: for
    /// `lease` from now, as `worker`. `None` when there is none. A run
    /// whose coordinator no longer holds the workspace's lock (it died: its
    /// lock connection is gone) has nothing to lease, so work stops with it.
    pub fn lease(&mut self, worker: &str, lease: Duration) -> Result<Option<Lease>, StateError> {
        let workspace = self.workspace().to_string();
        let seconds = lease.as_secs_f64();
        let row = self
            .client
            .query_opt(
                "UPDATE froyo.work w \
                 SET status = 'leased', worker = $2, attempts = w.attempts + 1, \
                     lease_until = clock_timestamp() + make_interval(secs => $3) \
                 WHERE (w.workspace, w.run, w.unit) = ( \
                     SELECT c.workspace, c.run, c.unit FROM froyo.work c \
                     JOIN froyo.runs r ON r.workspace = c.workspace AND r.id = c.run \
                     WHERE c.workspace = $1 AND r.status = 'running' \
                       AND EXISTS (SELECT 1 FROM froyo.locks l \
                           WHERE l.workspace = c.workspace AND l.session = r.session \
                             AND EXISTS (SELECT 1 FROM pg_stat_activity a \
                                         WHERE a.pid = l.backend_pid)) \
                       AND (c.status = 'pending' \
                            OR (c.status = 'leased' AND c.lease_until < clock_timestamp())) \
                       AND NOT EXISTS (SELECT 1 FROM froyo.work d \
                           WHERE d.workspace = c.workspace AND d.run = c.run \
                             AND d.unit = ANY (c.deps) AND d.status <> 'done') \
                     ORDER BY c.run, c.unit LIMIT 1 \
                     FOR UPDATE OF c SKIP LOCKED) \
                 RETURNING w.run, w.unit, w.attempts, w.hosts, w.payload, \
                     ARRAY(SELECT f FROM froyo.work d, unnest(d.failed) AS f \
                           WHERE d.workspace = w.workspace AND d.run = w.run \
                             AND d.unit = ANY (w.deps))",
                &[&workspace, &worker, &seconds],
            )
            .map_err(self.failed("lease work"))?;
        let Some(row) = row else { return Ok(None) };
        let read = |error: postgres::Error| {
            StateError::corrupt(&self.location, format!("a leased work row: {error}"))
        };
        let run: i64 = row.try_get(0).map_err(read)?;
        let unit: i32 = row.try_get(1).map_err(read)?;
        let attempt: i32 = row.try_get(2).map_err(read)?;
        let (Ok(run), Ok(unit), Ok(attempt)) =
            (u64::try_from(run), u32::try_from(unit), u32::try_from(attempt))
        else {
            return Err(StateError::corrupt(
                &self.location,
                format!("work of run {run}: unit {unit}, attempt {attempt}"),
            ));
        };
        let run = RunId(run);
        let sealed: Vec<u8> = row.try_get(4).map_err(read)?;
        let payload = self
            .sealer
            .open(&aad(&workspace, run, unit, "payload"), &sealed)
            .ok_or_else(|| unsealable(&self.location, run, unit, "payload"))?;
        let blocked: Vec<i64> = row.try_get(5).map_err(read)?;
        Ok(Some(Lease {
            run,
            unit,
            attempt,
            hosts: row.try_get(3).map_err(read)?,
            payload,
            blocked: blocked.into_iter().filter_map(|index| u64::try_from(index).ok()).collect(),
            worker: worker.to_string(),
        }))
    }

    /// Hands in `lease`'s result (sealed on the way in) and what of it failed,
    /// and wakes the coordinator. False when the lease was lost (it ran out
    /// and the unit was leased again, or the run was cancelled): the result
    /// is dropped.
    pub fn complete(
        &mut self,
        lease: &Lease,
        result: &[u8],
        failed: &[u64],
    ) -> Result<bool, StateError> {
        let sealed =
            self.sealer.seal(&aad(self.workspace(), lease.run, lease.unit, "result"), result);
        let failed: Vec<i64> =
            failed.iter().filter_map(|&index| i64::try_from(index).ok()).collect();
        self.fenced_update(
            lease,
            "hand in work",
            "status = 'done', result = $6, failed = $7, finished_at = $8, lease_until = NULL",
            &[&sealed, &failed, &crate::time::now_rfc3339()],
        )
    }

    /// Gives `lease` back untouched (a unit this worker cannot work on):
    /// pending again, for another worker, and its waiters woken. False when
    /// the lease was lost already.
    pub fn release(&mut self, lease: &Lease) -> Result<bool, StateError> {
        self.fenced_update(
            lease,
            "give work back",
            "status = 'pending', worker = NULL, lease_until = NULL",
            &[],
        )
    }

    /// Sets `set` (whose parameters, from `$6`, are `values`) on `lease`'s
    /// unit if the lease is still this worker's attempt, and wakes the
    /// coordinator and idle workers, in one transaction. False when the
    /// lease was lost (it ran out and the unit was leased again, or the
    /// run was cancelled).
    fn fenced_update(
        &mut self,
        lease: &Lease,
        action: &str,
        set: &str,
        values: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<bool, StateError> {
        let workspace = self.workspace().to_string();
        let run_id = run_number(&self.location, lease.run)?;
        let unit = unit_number(&self.location, lease.unit)?;
        let attempt = i32::try_from(lease.attempt).unwrap_or(i32::MAX);
        let mut parameters: Vec<&(dyn postgres::types::ToSql + Sync)> =
            vec![&workspace, &run_id, &unit, &lease.worker, &attempt];
        parameters.extend_from_slice(values);
        let location = self.location.clone();
        let failed_to = move |error| StateError::postgres(&location, action, error);
        let mut transaction = self.client.transaction().map_err(failed_to.clone())?;
        let updated = transaction
            .execute(
                &format!(
                    "UPDATE froyo.work SET {set} \
                     WHERE workspace = $1 AND run = $2 AND unit = $3 AND status = 'leased' \
                       AND worker = $4 AND attempts = $5"
                ),
                &parameters,
            )
            .map_err(failed_to.clone())?;
        transaction
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &workspace])
            .map_err(failed_to.clone())?;
        transaction.commit().map_err(failed_to)?;
        Ok(updated == 1)
    }

    /// Keeps `lease` for `duration` past each renewal, renewing every third
    /// of it from a thread with its own connection, until the [`Renewal`] is
    /// dropped. [`Renewal::lost`] says when a renewal found the lease gone.
    pub fn keep_leased(&self, lease: &Lease, duration: Duration) -> Result<Renewal, StateError> {
        let mut client = connect(&self.target, &Writer::current(), &self.location)?;
        let workspace = self.workspace().to_string();
        let run_id = run_number(&self.location, lease.run)?;
        let unit = unit_number(&self.location, lease.unit)?;
        let attempt = i32::try_from(lease.attempt).unwrap_or(i32::MAX);
        let worker = lease.worker.clone();
        let lost = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let flag = lost.clone();
        let seconds = duration.as_secs_f64();
        let every = (duration / 3).max(Duration::from_millis(100));
        let thread = std::thread::Builder::new()
            .name("froyo-lease".to_string())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let renewed = client.execute(
                        "UPDATE froyo.work \
                         SET lease_until = clock_timestamp() + make_interval(secs => $6) \
                         WHERE workspace = $1 AND run = $2 AND unit = $3 AND status = 'leased' \
                           AND worker = $4 AND attempts = $5",
                        &[&workspace, &run_id, &unit, &worker, &attempt, &seconds],
                    );
                    match renewed {
                        Ok(1) => {}
                        // Gone, or unknown: either way this worker's hold is
                        // not what it was; the result will say.
                        Ok(_) | Err(_) => {
                            flag.store(true, Ordering::SeqCst);
                            if renewed.is_ok() {
                                return;
                            }
                        }
                    }
                }
            })
            .map_err(|error| StateError::io(&self.location, "start the lease thread", error))?;
        Ok(Renewal { stop: Some(stop), lost, thread: Some(thread) })
    }

    /// Waits until work is published or finished in any workspace of the
    /// database, or `timeout` passes.
    pub fn wait(&mut self, timeout: Duration) -> Result<(), StateError> {
        let location = self.location.clone();
        let mut notifications = self.client.notifications();
        let failed = |error| StateError::postgres(&location, "wait for work", error);
        notifications.timeout_iter(timeout).next().map_err(failed)?;
        // Several at once are one wake-up.
        while notifications.iter().next().map_err(failed)?.is_some() {}
        Ok(())
    }
}

/// A lease kept alive by a thread (see [`WorkQueue::keep_leased`]).
pub struct Renewal {
    stop: Option<mpsc::Sender<()>>,
    lost: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Renewal {
    /// Whether a renewal found the lease gone (or could not tell).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// ChaCha20-Poly1305 with a key for sealing work only, and a random nonce per message.
struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl Sealer {
    fn new(key: &SecretKey) -> Sealer {
        let derived = key.derive(SEAL_PURPOSE);
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, derived.bytes())
            .expect("a 32-byte key is what ChaCha20-Poly1305 takes");
        Sealer { key: LessSafeKey::new(unbound), random: SystemRandom::new() }
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    fn seal(&self, aad: &str, clear: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        // The system's random source failing is not something to go on without.
        self.random.fill(&mut nonce).expect("the system's random source works");
        let mut sealed = Vec::with_capacity(NONCE_LEN + clear.len() + 16);
        sealed.extend_from_slice(&nonce);
        let mut body = clear.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut body,
            )
            .expect("messages are far below ChaCha20-Poly1305's limit");
        sealed.extend_from_slice(&body);
        sealed
    }

    /// The clear text, or `None` when `sealed` was not sealed with this key
    /// and `aad`, or was altered.
    fn open(&self, aad: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let clear = self.key.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body).ok()?;
        Some(clear.to_vec())
    }
}

/// What binds a sealed message to its place.
fn aad(workspace: &str, run: RunId, unit: u32, kind: &str) -> String {
    format!("{SEAL_PURPOSE}\0{workspace}\0{}\0{unit}\0{kind}", run.0)
}

fn unsealable(location: &Path, run: RunId, unit: u32, kind: &str) -> StateError {
    StateError::corrupt(
        location,
        format!(
            "the {kind} of unit {unit} of run {} does not open with the team key: \
             it was altered, or written with another key",
            run.0
        ),
    )
}

fn run_number(location: &Path, run: RunId) -> Result<i64, StateError> {
    i64::try_from(run.0).map_err(|_| StateError::NoSuchRun { path: location.to_path_buf(), run })
}

fn unit_number(location: &Path, unit: u32) -> Result<i32, StateError> {
    i32::try_from(unit).map_err(|_| StateError::InvalidArgument {
        path: location.to_path_buf(),
        detail: format!("work unit {unit} is out of range"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&SecretKey::from_bytes([byte; 32]))
    }

    #[test]
    fn sealed_work_opens_only_in_its_place_with_its_key() {
        let sealer = sealer(7);
        let sealed = sealer.seal("a", b"token=hunter2");
        assert!(!sealed.windows(7).any(|window| window == b"hunter2"));
        assert_eq!(sealer.open("a", &sealed).as_deref(), Some(&b"token=hunter2"[..]));
        assert_eq!(sealer.open("b", &sealed), None, "another place");
        assert_eq!(super::tests::sealer(8).open("a", &sealed), None, "another key");
        for index in 0..sealed.len() {
            let mut altered = sealed.clone();
            altered[index] ^= 1;
            assert_eq!(sealer.open("a", &altered), None, "byte {index} altered");
        }
        assert_eq!(sealer.open("a", &sealed[..5]), None, "truncated");
        assert_eq!(sealer.open("a", &[]), None, "empty");
        assert_ne!(sealer.seal("a", b"x"), sealer.seal("a", b"x"), "a nonce per message");
    }
}
