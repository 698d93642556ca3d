//! The workspace lock on PostgreSQL: a row in `froyo.locks` (holder, pid,
//! host, operation, heartbeat) guarded by a session-level advisory lock
//! that the holder keeps on a connection of its own for as long as it holds
//! the lock.
//!
//! The advisory lock is what makes a dead holder visible at once: when its
//! process dies, its connection closes and the server releases the advisory
//! lock, so the next `lock` gets it and takes the row over, marking the
//! dead holder's running runs interrupted and auditing the takeover, as on
//! SQLite. A holder whose connection lives but whose heartbeat went stale
//! (a process stopped or hung) is taken over too: its lock connection is
//! terminated first.
//!
//! Behind a transaction-pooling proxy (PgBouncer in `transaction` mode) a
//! session's statements run on different server connections, and a
//! session-level advisory lock means nothing. When the lock is taken, the
//! session that took the advisory lock must be the one that answers next,
//! else [`StateError::SessionLocksUnsupported`]; every heartbeat is written
//! only from the session recorded in the row, so a connection moved to
//! another server session later loses the lock (its run stops before its
//! next write). A pooler that happens to hand back the same server session
//! every time is not detected, and does no harm until it stops doing so.
//!
//! Invariant: the row exists only while its holder's lock connection holds
//! the advisory lock, or until the next `lock` finds it orphaned.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use postgres::{Client, GenericClient};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{Postgres, connect, insert_audit};
use crate::error::StateError;
use crate::guard::LockGuard;
use crate::process;
use crate::time;
use crate::types::{Liveness, LockInfo};

/// How long `lock` waits for a holder that is releasing, or being taken
/// over, to let go of the advisory lock.
const SETTLE: Duration = Duration::from_secs(3);

/// The lock row as stored.
struct Holder {
    session: String,
    backend_pid: i32,
    heartbeat_ms: i64,
    info: LockInfo,
}

impl Postgres {
    /// The workspace's advisory lock key: the first 63 bits of a hash of its id.
    fn advisory_key(&self) -> i64 {
        let digest = Sha256::digest(format!("froyo workspace lock\0{}", self.workspace()));
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes) & i64::MAX
    }

    pub(super) fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        let key = self.advisory_key();
        let mut lock_connection = connect(&self.target, &self.writer, &self.location)?;
        let backend_pid = self.take_advisory_lock(&mut lock_connection, key)?;
        let now = time::now_ms();
        let token = format!("{}/{now}", self.session);
        let taken = self.write("take the lock", |this, transaction| {
            if let Some(holder) = this.holder(transaction, now)? {
                // We hold the advisory lock, so the holder's lock connection is gone.
                this.take_over(transaction, &holder, operation)?;
            }
            this.interrupt_orphaned_runs(transaction)?;
            transaction
                .execute(
                    "INSERT INTO froyo.locks (workspace, token, session, owner, pid, host, \
                     operation, acquired_ms, heartbeat_ms, backend_pid) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
                    &[
                        &this.workspace(),
                        &token,
                        &this.session,
                        &this.writer.user,
                        &i64::from(this.writer.pid),
                        &this.writer.host,
                        &operation,
                        &now,
                        &backend_pid,
                    ],
                )
                .map_err(this.failed("take the lock"))?;
            Ok(())
        });
        taken?;

        let every = self.timing.heartbeat_every.max(Duration::from_millis(10));
        let location = self.location.clone();
        let workspace = self.workspace().to_string();
        let thread_token = token.clone();
        let started = LockGuard::start(
            &self.writer,
            operation,
            now,
            token.clone(),
            &self.holding,
            move |held, stopped| {
                heartbeat(
                    &mut lock_connection,
                    &workspace,
                    &thread_token,
                    key,
                    every,
                    held,
                    stopped,
                )
                .map_err(|error| StateError::postgres(&location, "release the lock", error))
            },
        );
        started.map_err(|error| {
            // Without a heartbeat the lock would look dead in a minute: give it back.
            let _ = self.client.borrow_mut().execute(
                "DELETE FROM froyo.locks WHERE workspace = $1 AND token = $2",
                &[&self.workspace(), &token],
            );
            StateError::io(&self.location, "start the lock heartbeat", error)
        })
    }

    /// Takes the workspace's advisory lock on `connection` and checks it is
    /// really held by that session; the server process id of the session.
    /// A live holder: [`StateError::Held`]; a stale one is terminated and
    /// waited for.
    fn take_advisory_lock(&self, connection: &mut Client, key: i64) -> Result<i32, StateError> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let got: bool = connection
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .and_then(|row| row.try_get(0))
                .map_err(self.failed("take the lock"))?;
            if got {
                return self.check_session_lock(connection, key);
            }
            let holder = {
                let mut client = self.client.borrow_mut();
                self.holder(&mut *client, time::now_ms())?
            };
            match holder {
                Some(holder) if holder.info.alive != Liveness::Dead => {
                    return Err(StateError::Held(Box::new(holder.info)));
                }
                Some(holder) => {
                    // Connected but silent past the stale limit: end its lock
                    // connection, which releases the advisory lock.
                    let _ = self
                        .client
                        .borrow_mut()
                        .execute("SELECT pg_terminate_backend($1)", &[&holder.backend_pid]);
                }
                None => {}
            }
            if Instant::now() >= deadline {
                return Err(StateError::Held(Box::new(LockInfo {
                    owner: "another controller".to_string(),
                    pid: 0,
                    host: "unknown (it holds the workspace's advisory lock without a lock row)"
                        .to_string(),
                    operation: "unknown".to_string(),
                    acquired_at: String::new(),
                    heartbeat_at: String::new(),
                    alive: Liveness::Unknown,
                })));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the advisory lock just taken is held by the session that will
    /// keep it: behind a transaction-pooling proxy the next statement runs
    /// on another server connection, which does not hold it.
    fn check_session_lock(&self, connection: &mut Client, key: i64) -> Result<i32, StateError> {
        let row = connection
            .query_one(
                "SELECT pg_backend_pid(), EXISTS (SELECT 1 FROM pg_locks \
                 WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() \
                 AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)",
                &[&key],
            )
            .map_err(self.failed("check the lock"))?;
        let backend_pid: i32 = row.try_get(0).map_err(self.failed("check the lock"))?;
        let ours: bool = row.try_get(1).map_err(self.failed("check the lock"))?;
        if ours {
            Ok(backend_pid)
        } else {
            // Whoever holds it now, it is not a session we keep: let it go.
            let _ = connection.execute("SELECT pg_advisory_unlock_all()", &[]);
            Err(StateError::SessionLocksUnsupported { path: self.location.clone() })
        }
    }

    pub(super) fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        let mut client = self.client.borrow_mut();
        Ok(self.holder(&mut *client, time::now_ms())?.map(|holder| holder.info))
    }

    pub(super) fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        self.write("break the lock", |this, transaction| {
            let Some(holder) = this.holder(transaction, time::now_ms())? else {
                return Ok(None);
            };
            if holder.info.alive == Liveness::Alive && !force {
                return Err(StateError::Held(Box::new(holder.info)));
            }
            let interrupted = if holder.info.alive == Liveness::Dead {
                this.interrupt_session(
                    transaction,
                    &holder.session,
                    "the lock of its process was broken",
                )?
            } else {
                Vec::new()
            };
            transaction
                .execute("DELETE FROM froyo.locks WHERE workspace = $1", &[&this.workspace()])
                .map_err(this.failed("break the lock"))?;
            // The holder's lock connection keeps the advisory lock until it
            // ends; a broken lock must be free for the next run at once.
            transaction
                .execute("SELECT pg_terminate_backend($1)", &[&holder.backend_pid])
                .map_err(this.failed("break the lock"))?;
            let detail = json!({
                "who": who,
                "holder": crate::rows::info_json(&holder.info),
                "interrupted_runs": interrupted,
            });
            insert_audit(transaction, this.workspace(), &this.writer, "lock.break", &detail)
                .map_err(this.failed("break the lock"))?;
            Ok(Some(holder.info))
        })
    }

    fn holder(
        &self,
        client: &mut impl GenericClient,
        now: i64,
    ) -> Result<Option<Holder>, StateError> {
        let row = client
            .query_opt(
                "SELECT locks.session, locks.owner, locks.pid, locks.host, locks.operation, \
                 locks.acquired_ms, locks.heartbeat_ms, locks.backend_pid, \
                 EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                     AND pid = locks.backend_pid AND objsubid = 1 \
                     AND ((classid::bigint << 32) | objid::bigint) = $2) \
                 FROM froyo.locks locks WHERE locks.workspace = $1",
                &[&self.workspace(), &self.advisory_key()],
            )
            .map_err(self.failed("read the lock"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let read = || -> Result<_, postgres::Error> {
            Ok((
                row.try_get::<_, String>(0)?,
                row.try_get::<_, String>(1)?,
                row.try_get::<_, i64>(2)?,
                row.try_get::<_, String>(3)?,
                row.try_get::<_, String>(4)?,
                row.try_get::<_, i64>(5)?,
                row.try_get::<_, i64>(6)?,
                row.try_get::<_, i32>(7)?,
                row.try_get::<_, bool>(8)?,
            ))
        };
        let (
            session,
            owner,
            pid,
            host,
            operation,
            acquired_ms,
            heartbeat_ms,
            backend_pid,
            connected,
        ) = read().map_err(self.failed("read the lock"))?;
        let pid = self.pid(pid)?;
        let stale = now.saturating_sub(heartbeat_ms) > time::millis(self.timing.stale_after);
        let alive = if connected && !stale { Liveness::Alive } else { Liveness::Dead };
        Ok(Some(Holder {
            session,
            backend_pid,
            heartbeat_ms,
            info: LockInfo {
                owner,
                pid,
                host,
                operation,
                acquired_at: time::format_ms(acquired_ms),
                heartbeat_at: time::format_ms(heartbeat_ms),
                alive,
            },
        }))
    }

    fn take_over(
        &self,
        client: &mut impl GenericClient,
        holder: &Holder,
        operation: &str,
    ) -> Result<(), StateError> {
        let stale = time::now_ms().saturating_sub(holder.heartbeat_ms)
            > time::millis(self.timing.stale_after);
        let reason = if !stale {
            "its lock connection is gone".to_string()
        } else {
            format!("its last heartbeat was at {}", holder.info.heartbeat_at)
        };
        let interrupted =
            self.interrupt_session(client, &holder.session, "its process died holding the lock")?;
        client
            .execute("DELETE FROM froyo.locks WHERE workspace = $1", &[&self.workspace()])
            .map_err(self.failed("take over the lock"))?;
        let detail = json!({
            "holder": crate::rows::info_json(&holder.info),
            "reason": reason,
            "operation": operation,
            "interrupted_runs": interrupted,
        });
        insert_audit(client, self.workspace(), &self.writer, "lock.takeover", &detail)
            .map_err(self.failed("take over the lock"))
    }

    fn interrupt_session(
        &self,
        client: &mut impl GenericClient,
        session: &str,
        reason: &str,
    ) -> Result<Vec<u64>, StateError> {
        let rows = client
            .query(
                "SELECT id FROM froyo.runs WHERE workspace = $1 AND session = $2 \
                 AND status = 'running' ORDER BY id",
                &[&self.workspace(), &session],
            )
            .map_err(self.failed("interrupt runs"))?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<_, i64>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.failed("interrupt runs"))?;
        self.interrupt(client, &ids, reason)
    }

    /// Marks interrupted the running runs begun on this host by processes
    /// that are gone, and audits it.
    fn interrupt_orphaned_runs(&self, client: &mut impl GenericClient) -> Result<(), StateError> {
        let rows = client
            .query(
                "SELECT id, pid FROM froyo.runs WHERE workspace = $1 AND status = 'running' \
                 AND host = $2 ORDER BY id",
                &[&self.workspace(), &self.writer.host],
            )
            .map_err(self.failed("interrupt runs"))?;
        let mut orphaned = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(self.failed("interrupt runs"))?;
            let pid: i64 = row.try_get(1).map_err(self.failed("interrupt runs"))?;
            if u32::try_from(pid).map_or(true, |pid| !process::process_exists(pid)) {
                orphaned.push(id);
            }
        }
        if orphaned.is_empty() {
            return Ok(());
        }
        let interrupted = self.interrupt(client, &orphaned, "its process is gone")?;
        insert_audit(
            client,
            self.workspace(),
            &self.writer,
            "runs.interrupted",
            &json!({ "runs": interrupted, "reason": "their processes are gone" }),
        )
        .map_err(self.failed("interrupt runs"))
    }

    fn interrupt(
        &self,
        client: &mut impl GenericClient,
        ids: &[i64],
        reason: &str,
    ) -> Result<Vec<u64>, StateError> {
        let summary = crate::rows::interrupted_summary(reason, &self.writer);
        let finished_at = time::now_rfc3339();
        let mut interrupted = Vec::with_capacity(ids.len());
        for &id in ids {
            client
                .execute(
                    "UPDATE froyo.runs SET status = 'interrupted', finished_at = $3, \
                     summary = $4, changed_hosts = TRUE \
                     WHERE workspace = $1 AND id = $2 AND status = 'running'",
                    &[&self.workspace(), &id, &finished_at, &summary],
                )
                .map_err(self.failed("interrupt runs"))?;
            interrupted.push(self.unsigned(id, "run id")?);
        }
        Ok(interrupted)
    }
}

/// The heartbeat thread: rewrites the heartbeat until told to stop, then
/// deletes the row if it is still ours and lets the advisory lock go. A
/// lost connection means the server released the advisory lock: the lock
/// is no longer held.
fn heartbeat(
    connection: &mut Client,
    workspace: &str,
    token: &str,
    key: i64,
    every: Duration,
    held: &AtomicBool,
    stopped: &mpsc::Receiver<()>,
) -> Result<(), postgres::Error> {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
        if !held.load(Ordering::SeqCst) {
            continue;
        }
        // Only from the session that holds the advisory lock: behind a pooler
        // that moved this connection to another server session, the lock is
        // not held any more, whatever the row says.
        match connection.execute(
            "UPDATE froyo.locks SET heartbeat_ms = $1 \
             WHERE workspace = $2 AND token = $3 AND backend_pid = pg_backend_pid()",
            &[&time::now_ms(), &workspace, &token],
        ) {
            Ok(0) => held.store(false, Ordering::SeqCst),
            Ok(_) => {}
            Err(_) if connection.is_closed() => held.store(false, Ordering::SeqCst),
            // A passing failure is retried on the next beat.
            Err(_) => {}
        }
    }
    if connection.is_closed() {
        return Ok(());
    }
    connection.execute(
        "DELETE FROM froyo.locks WHERE workspace = $1 AND token = $2",
        &[&workspace, &token],
    )?;
    connection.execute("SELECT pg_advisory_unlock($1)", &[&key])?;
    Ok(())
}
