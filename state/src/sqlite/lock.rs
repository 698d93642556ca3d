//! The workspace lock: one apply (or `plan -o`, or drift check) at a time.
//!
//! The lock is the single row of the `lock` table. Taking it is one
//! `BEGIN IMMEDIATE` transaction: read the holder, judge it, and either refuse
//! ([`StateError::Held`]) or write ourselves in. A holder is judged dead when
//! it is on this host and its process is gone, or when its heartbeat is older
//! than [`LockTiming::stale_after`](crate::LockTiming); a dead holder is taken
//! over in the same transaction that marks its running runs interrupted and
//! writes the takeover to the audit log.
//!
//! While a [`LockGuard`] lives, a thread with its own connection rewrites the
//! heartbeat every [`LockTiming::heartbeat_every`](crate::LockTiming); dropping
//! the guard stops that thread and deletes the row (only if it is still ours,
//! by a token unique to this acquisition).
//!
//! Invariant: a process killed while holding the lock leaves a row whose
//! holder will be judged dead; nothing ever waits for it to come back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::schema;
use super::store::{Sqlite, insert_audit};
use crate::error::StateError;
use crate::guard::LockGuard;
use crate::process;
use crate::time;
use crate::types::{Liveness, LockInfo};

/// The lock row as stored: the public information plus whose it is.
struct Holder {
    session: String,
    info: LockInfo,
}

impl Sqlite {
    /// Takes the workspace lock for `operation` (`apply`, `plan`, `drift`, ...).
    ///
    /// Fails with [`StateError::Held`] while a live process holds it. A dead
    /// holder is taken over: its running runs become interrupted and the
    /// takeover is written to the audit log.
    pub fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        let heartbeat_connection = schema::connect(&self.path)?;
        schema::configure(&heartbeat_connection, &self.path)?;
        let now = time::now_ms();
        let token = format!("{}/{now}", self.session);
        let transaction = self.immediate("take the lock")?;
        if let Some(holder) = self.holder(&transaction, now)? {
            if holder.info.alive != Liveness::Dead {
                return Err(StateError::Held(Box::new(holder.info)));
            }
            self.take_over(&transaction, &holder, operation)?;
        }
        self.interrupt_orphaned_runs(&transaction)?;
        transaction
            .prepare_cached(
                "INSERT INTO lock (id, token, session, owner, pid, host, operation, acquired_ms, heartbeat_ms) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    token,
                    self.session,
                    self.writer.user,
                    self.writer.pid,
                    self.writer.host,
                    operation,
                    now
                ])
            })
            .map_err(self.failed("take the lock"))?;
        transaction.commit().map_err(self.failed("take the lock"))?;

        let every = self.timing.heartbeat_every.max(Duration::from_millis(10));
        let path = self.path.clone();
        let thread_token = token.clone();
        let started = LockGuard::start(
            &self.writer,
            operation,
            now,
            token,
            &self.holding,
            move |held, stopped| {
                heartbeat(&heartbeat_connection, &thread_token, every, held, stopped)
                    .map_err(|error| StateError::sqlite(&path, "release the lock", error))
            },
        );
        started.map_err(|error| {
            // Without a heartbeat the lock would look dead in a minute: give it back.
            let _ = self.connection.execute("DELETE FROM lock WHERE session = ?1", [&self.session]);
            StateError::io(&self.path, "start the lock heartbeat", error)
        })
    }

    /// Who holds the lock, if anyone, judged alive or dead now.
    pub fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.holder(&self.connection, time::now_ms())?.map(|holder| holder.info))
    }

    /// Breaks the lock on behalf of `who`, and writes that to the audit log.
    /// Returns the holder it removed. A holder known to be alive is refused
    /// ([`StateError::Held`]) unless `force`. If that holder was dead, its
    /// running runs are marked interrupted; a live one stops before its next
    /// write ([`StateError::LockLost`]) and its heartbeat notices
    /// ([`LockGuard::is_held`] turns false).
    pub fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        let transaction = self.immediate("break the lock")?;
        let Some(holder) = self.holder(&transaction, time::now_ms())? else {
            return Ok(None);
        };
        if holder.info.alive == Liveness::Alive && !force {
            return Err(StateError::Held(Box::new(holder.info)));
        }
        let interrupted = if holder.info.alive == Liveness::Dead {
            self.interrupt_session(
                &transaction,
                &holder.session,
                "the lock of its process was broken",
            )?
        } else {
            Vec::new()
        };
        transaction.execute("DELETE FROM lock", []).map_err(self.failed("break the lock"))?;
        let detail = json!({
            "who": who,
            "holder": crate::rows::info_json(&holder.info),
            "interrupted_runs": interrupted,
        });
        insert_audit(&transaction, &self.writer, "lock.break", &detail)
            .map_err(self.failed("break the lock"))?;
        transaction.commit().map_err(self.failed("break the lock"))?;
        Ok(Some(holder.info))
    }

    fn holder(&self, connection: &Connection, now: i64) -> Result<Option<Holder>, StateError> {
        let row = connection
            .prepare_cached(
                "SELECT session, owner, pid, host, operation, acquired_ms, heartbeat_ms \
                 FROM lock WHERE id = 1",
            )
            .and_then(|mut statement| {
                statement
                    .query_row([], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, String>(4)?,
                            row.get::<_, i64>(5)?,
                            row.get::<_, i64>(6)?,
                        ))
                    })
                    .optional()
            })
            .map_err(self.failed("read the lock"))?;
        let Some((session, owner, pid, host, operation, acquired_ms, heartbeat_ms)) = row else {
            return Ok(None);
        };
        let pid = self.pid(pid)?;
        let alive = self.judge(&host, pid, heartbeat_ms, now);
        Ok(Some(Holder {
            session,
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

    fn judge(&self, host: &str, pid: u32, heartbeat_ms: i64, now: i64) -> Liveness {
        if now.saturating_sub(heartbeat_ms) > time::millis(self.timing.stale_after) {
            Liveness::Dead
        } else if host != self.writer.host {
            Liveness::Unknown
        } else if process::process_exists(pid) {
            Liveness::Alive
        } else {
            Liveness::Dead
        }
    }

    fn take_over(
        &self,
        connection: &Connection,
        holder: &Holder,
        operation: &str,
    ) -> Result<(), StateError> {
        let reason =
            if holder.info.host == self.writer.host && !process::process_exists(holder.info.pid) {
                format!("process {} is gone", holder.info.pid)
            } else {
                format!("its last heartbeat was at {}", holder.info.heartbeat_at)
            };
        let interrupted = self.interrupt_session(
            connection,
            &holder.session,
            "its process died holding the lock",
        )?;
        connection.execute("DELETE FROM lock", []).map_err(self.failed("take over the lock"))?;
        let detail = json!({
            "holder": crate::rows::info_json(&holder.info),
            "reason": reason,
            "operation": operation,
            "interrupted_runs": interrupted,
        });
        insert_audit(connection, &self.writer, "lock.takeover", &detail)
            .map_err(self.failed("take over the lock"))
    }

    /// Marks a dead session's running runs interrupted; their ids.
    fn interrupt_session(
        &self,
        connection: &Connection,
        session: &str,
        reason: &str,
    ) -> Result<Vec<u64>, StateError> {
        let ids: Vec<i64> = connection
            .prepare_cached(
                "SELECT id FROM runs WHERE session = ?1 AND status = 'running' ORDER BY id",
            )
            .and_then(|mut statement| {
                statement.query_map([session], |row| row.get(0))?.collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("interrupt runs"))?;
        self.interrupt(connection, &ids, reason)
    }

    /// Marks interrupted the running runs begun on this host by processes that
    /// are gone (a `plan` that crashed without the lock, say), and audits it.
    fn interrupt_orphaned_runs(&self, connection: &Connection) -> Result<(), StateError> {
        let running: Vec<(i64, i64)> = connection
            .prepare_cached(
                "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?1 ORDER BY id",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([&self.writer.host], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("interrupt runs"))?;
        let orphaned: Vec<i64> = running
            .into_iter()
            .filter(|&(_, pid)| {
                u32::try_from(pid).map_or(true, |pid| !process::process_exists(pid))
            })
            .map(|(id, _)| id)
            .collect();
        if orphaned.is_empty() {
            return Ok(());
        }
        let interrupted = self.interrupt(connection, &orphaned, "its process is gone")?;
        insert_audit(
            connection,
            &self.writer,
            "runs.interrupted",
            &json!({ "runs": interrupted, "reason": "their processes are gone" }),
        )
        .map_err(self.failed("interrupt runs"))
    }

    fn interrupt(
        &self,
        connection: &Connection,
        ids: &[i64],
        reason: &str,
    ) -> Result<Vec<u64>, StateError> {
        let summary = crate::rows::interrupted_summary(reason, &self.writer);
        let finished_at = time::now_rfc3339();
        let mut statement = connection
            .prepare_cached(
                "UPDATE runs SET status = 'interrupted', finished_at = ?2, summary = ?3 \
                 WHERE id = ?1 AND status = 'running'",
            )
            .map_err(self.failed("interrupt runs"))?;
        let mut interrupted = Vec::with_capacity(ids.len());
        for &id in ids {
            statement
                .execute(params![id, finished_at, summary])
                .map_err(self.failed("interrupt runs"))?;
            interrupted.push(self.unsigned(id, "run id")?);
        }
        Ok(interrupted)
    }
}

/// The heartbeat thread: rewrites the heartbeat until told to stop (or its
/// guard is dropped), then deletes the lock if it is still ours.
fn heartbeat(
    connection: &Connection,
    token: &str,
    every: Duration,
    held: &AtomicBool,
    stopped: &mpsc::Receiver<()>,
) -> rusqlite::Result<()> {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
        if !held.load(Ordering::SeqCst) {
            continue;
        }
        let updated = connection
            .prepare_cached("UPDATE lock SET heartbeat_ms = ?1 WHERE token = ?2")
            .and_then(|mut statement| statement.execute(params![time::now_ms(), token]));
        // A failed write (busy past the timeout) is retried on the next beat.
        if let Ok(0) = updated {
            held.store(false, Ordering::SeqCst);
        }
    }
    connection.execute("DELETE FROM lock WHERE token = ?1", [token])?;
    Ok(())
}
