//! The PostgreSQL backend: the state of many workspaces in one database a
//! team already runs, for controllers on several machines.
//!
//! Reading order: `target` (the URL, the password), `schema` (tables and
//! migrations), this module (the connection and the records), `lock`.
//!
//! Every row carries its workspace's id, and every query names it. Writes
//! that must not interleave (instance state and its serial, finishing a
//! run, saving a plan) are one transaction that first locks the workspace's
//! row (`SELECT … FOR UPDATE`), which serialises the writers of one
//! workspace and leaves other workspaces alone. JSON travels as text, as in
//! SQLite, so every value round-trips as it was written.
//!
//! Invariant: nothing read from the database can make the store panic; a
//! row that does not make sense is [`StateError::Corrupt`].

mod lock;
mod schema;
mod target;
pub(crate) mod work;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::error::SqlState;
use postgres::{Client, Row, Statement};
use serde_json::Value;

pub use target::PostgresTarget;

use crate::backend::Backend;
use crate::error::StateError;
use crate::guard::{LockGuard, LockTiming};
use crate::process::Writer;
use crate::rows::{self, RawAudit, RawEvent, RawInstance, RawRun};
use crate::secrets::SecretKey;
use crate::time;
use crate::types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, LockInfo, PlanOutdated, RunId, RunKind,
    RunRecord, RunStatus,
};

/// One workspace's state in a PostgreSQL database, through one connection.
pub(crate) struct Postgres {
    target: PostgresTarget,
    /// The target as errors name it.
    location: PathBuf,
    client: RefCell<Client>,
    statements: RefCell<HashMap<&'static str, Statement>>,
    key: SecretKey,
    writer: Writer,
    session: String,
    timing: LockTiming,
    /// The token of the lock this state took, while its guard lives.
    holding: Arc<std::sync::Mutex<Option<String>>>,
}

const RUN_COLUMNS: &str =
    "id, kind, status, ir_hash, started_at, finished_at, summary, owner, host, pid";
const INSTANCE_COLUMNS: &str =
    "host, resource, resource_type, desired_hash, observed_hash, observed, last_run, updated_at";

impl Postgres {
    /// Connects, migrates the schema, and opens the workspace: created
    /// (with the team key's fingerprint) when `create`, else
    /// [`StateError::Missing`] when the database has no such workspace. The
    /// team key must be configured and match the workspace's fingerprint.
    pub(crate) fn open(target: &PostgresTarget, create: bool) -> Result<Postgres, StateError> {
        let location = PathBuf::from(target.to_string());
        let writer = Writer::current();
        let mut client = connect(target, &writer, &location)?;
        schema::migrate(&mut client, &location)?;
        let key = SecretKey::team_key(target.key_file())
            .map_err(|detail| StateError::TeamKey { path: location.clone(), detail })?;
        let fingerprint = key.fingerprint();
        let workspace = target.workspace();
        if create {
            client
                .execute(
                    "INSERT INTO froyo.workspaces (id, created_at, key_fingerprint) \
                     VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
                    &[&workspace, &time::now_rfc3339(), &fingerprint],
                )
                .map_err(|error| StateError::postgres(&location, "create the workspace", error))?;
        }
        let recorded: Option<String> = client
            .query_opt("SELECT key_fingerprint FROM froyo.workspaces WHERE id = $1", &[&workspace])
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(|error| StateError::postgres(&location, "read the workspace", error))?;
        match recorded {
            None => return Err(StateError::Missing { path: location }),
            Some(recorded) if recorded != fingerprint => {
                return Err(StateError::TeamKey {
                    path: location,
                    detail: "the configured key is not the one this workspace's state was \
                             written with: every controller of a workspace needs the same key"
                        .to_string(),
                });
            }
            Some(_) => {}
        }
        Ok(Postgres {
            target: target.clone(),
            location,
            client: RefCell::new(client),
            statements: RefCell::default(),
            key,
            session: crate::process::new_session(&writer.host),
            writer,
            timing: LockTiming::default(),
            holding: Arc::default(),
        })
    }

    fn workspace(&self) -> &str {
        self.target.workspace()
    }

    fn failed<'a>(&'a self, action: &'a str) -> impl FnOnce(postgres::Error) -> StateError + 'a {
        move |error| StateError::postgres(&self.location, action, error)
    }

    /// `sql` prepared once per connection.
    fn prepared(
        &self,
        client: &mut impl postgres::GenericClient,
        sql: &'static str,
    ) -> Result<Statement, StateError> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql).map_err(self.failed("prepare a statement"))?;
        self.statements.borrow_mut().insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `body` in one transaction that first locks the workspace's row,
    /// and checks that the lock this state took, if any, is still its own
    /// ([`StateError::LockLost`] otherwise).
    fn write<T>(
        &self,
        action: &str,
        body: impl FnOnce(&Self, &mut postgres::Transaction<'_>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut client = self.client.borrow_mut();
        let mut transaction = client.transaction().map_err(self.failed(action))?;
        transaction
            .query_one(
                "SELECT 1 FROM froyo.workspaces WHERE id = $1 FOR UPDATE",
                &[&self.workspace()],
            )
            .map_err(self.failed(action))?;
        self.check_holding(&mut transaction, action)?;
        let value = body(self, &mut transaction)?;
        transaction.commit().map_err(self.failed(action))?;
        Ok(value)
    }

    fn check_holding(
        &self,
        client: &mut impl postgres::GenericClient,
        action: &str,
    ) -> Result<(), StateError> {
        let Some(expected) = crate::guard::held_token(&self.holding) else { return Ok(()) };
        let token: Option<String> = client
            .query_opt("SELECT token FROM froyo.locks WHERE workspace = $1", &[&self.workspace()])
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(self.failed(action))?;
        if token.as_deref() == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(StateError::LockLost { path: self.location.clone() })
        }
    }

    fn unsigned(&self, value: i64, what: &str) -> Result<u64, StateError> {
        rows::unsigned(&self.location, value, what)
    }

    fn pid(&self, value: i64) -> Result<u32, StateError> {
        rows::pid(&self.location, value)
    }

    fn signed(&self, value: u64, what: &str) -> Result<i64, StateError> {
        rows::signed(&self.location, value, what)
    }

    fn run_number(&self, run: RunId) -> Result<i64, StateError> {
        i64::try_from(run.0).map_err(|_| StateError::NoSuchRun { path: self.location.clone(), run })
    }

    fn status(&self, text: &str) -> Result<RunStatus, StateError> {
        rows::status(&self.location, text)
    }

    fn run_record(&self, row: &Row) -> Result<RunRecord, StateError> {
        let raw = (|| -> Result<RawRun, postgres::Error> {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
                row.try_get(7)?,
                row.try_get(8)?,
                row.try_get(9)?,
            ))
        })()
        .map_err(self.failed("read a run"))?;
        rows::run_record(&self.location, raw)
    }

    fn instance_record(&self, row: &Row) -> Result<InstanceRecord, StateError> {
        let raw = (|| -> Result<RawInstance, postgres::Error> {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
                row.try_get(7)?,
            ))
        })()
        .map_err(self.failed("read an instance"))?;
        rows::instance_record(&self.location, raw)
    }

    /// Upserts `record` in `transaction`; whether its content (not just its
    /// run or time) changed.
    fn write_instance(
        &self,
        transaction: &mut postgres::Transaction<'_>,
        run: RunId,
        run_id: i64,
        record: &InstanceRecord,
    ) -> Result<bool, StateError> {
        let observed = rows::observed_text(&self.location, record)?;
        let key = &record.key;
        let workspace = self.workspace();
        let touch = self.prepared(
            &mut *transaction,
            "UPDATE froyo.instances SET last_run = $1, updated_at = $2 \
             WHERE workspace = $3 AND host = $4 AND resource = $5 AND resource_type = $6 \
             AND desired_hash = $7 AND observed_hash = $8 AND observed IS NOT DISTINCT FROM $9",
        )?;
        let touched = transaction.execute(
            &touch,
            &[
                &run_id,
                &record.updated_at,
                &workspace,
                &key.host,
                &key.resource,
                &record.resource_type,
                &record.desired_hash,
                &record.observed_hash,
                &observed,
            ],
        );
        match touched {
            Ok(0) => {}
            Ok(_) => return Ok(false),
            Err(error) if is_foreign_key_violation(&error) => {
                return Err(StateError::NoSuchRun { path: self.location.clone(), run });
            }
            Err(error) => return Err(self.failed("write instances")(error)),
        }
        let upsert = self.prepared(
            &mut *transaction,
            "INSERT INTO froyo.instances (workspace, host, resource, resource_type, desired_hash, \
             observed_hash, observed, last_run, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (workspace, host, resource) DO UPDATE SET \
             resource_type = excluded.resource_type, desired_hash = excluded.desired_hash, \
             observed_hash = excluded.observed_hash, observed = excluded.observed, \
             last_run = excluded.last_run, updated_at = excluded.updated_at",
        )?;
        let written = transaction.execute(
            &upsert,
            &[
                &workspace,
                &key.host,
                &key.resource,
                &record.resource_type,
                &record.desired_hash,
                &record.observed_hash,
                &observed,
                &run_id,
                &record.updated_at,
            ],
        );
        match written {
            Ok(_) => Ok(true),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StateError::NoSuchRun { path: self.location.clone(), run })
            }
            Err(error) => Err(self.failed("write instances")(error)),
        }
    }

    fn bump_serial(
        &self,
        transaction: &mut postgres::Transaction<'_>,
        action: &str,
    ) -> Result<(), StateError> {
        transaction
            .execute(
                "UPDATE froyo.workspaces SET serial = serial + 1 WHERE id = $1",
                &[&self.workspace()],
            )
            .map_err(self.failed(action))
            .map(drop)
    }
}

/// A connection to `target` as `writer`, over TLS when the server and
/// `sslmode` call for it.
fn connect(
    target: &PostgresTarget,
    writer: &Writer,
    location: &Path,
) -> Result<Client, StateError> {
    let config = target.config(&writer.user)?;
    let tls = tls(target)?;
    config.connect(tls).map_err(|error| StateError::postgres(location, "connect", error))
}

/// The TLS connector: rustls with the ring provider, checking the server's
/// certificate against `sslrootcert` when given, else the public web roots.
fn tls(target: &PostgresTarget) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StateError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    match target.root_certificate() {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .map_err(|error| StateError::InvalidLocation {
                    detail: format!(
                        "sslrootcert {}: not a PEM certificate file: {error}",
                        path.display()
                    ),
                })?;
            if certificates.is_empty() {
                return Err(StateError::InvalidLocation {
                    detail: format!("sslrootcert {}: holds no certificate", path.display()),
                });
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|error| StateError::InvalidLocation {
                    detail: format!("sslrootcert {}: {error}", path.display()),
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    // ring, as for SSH: rustls 0.23.48 deprecates its ring provider for lacking
    // post-quantum key exchange, but the alternative (aws-lc) needs a C and
    // CMake toolchain on every machine that builds froyo.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| StateError::InvalidLocation {
            detail: format!("TLS cannot be set up: {error}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn is_foreign_key_violation(error: &postgres::Error) -> bool {
    error.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// Whether a finished run's summary says it may have changed hosts: unless
/// it counts zero applied, failed and forgotten instances, it may have.
fn changed_hosts(summary: &Value) -> bool {
    let zero = |name: &str| summary.get(name).and_then(Value::as_f64) == Some(0.0);
    !(zero("applied") && zero("failed") && zero("forgotten"))
}

impl Backend for Postgres {
    fn key(&self) -> &SecretKey {
        &self.key
    }

    fn set_lock_timing(&mut self, timing: LockTiming) {
        self.timing = timing;
    }

    fn permission_warnings(&self) -> Vec<String> {
        Vec::new()
    }

    fn check_integrity(&self) -> Result<(), StateError> {
        // The server keeps its pages whole; what froyo can check is that
        // every row of this workspace reads back.
        self.runs(usize::MAX)?;
        self.instances()?;
        self.audit_log(usize::MAX)?;
        Ok(())
    }

    fn serial(&self) -> Result<u64, StateError> {
        let mut client = self.client.borrow_mut();
        let statement =
            self.prepared(&mut *client, "SELECT serial FROM froyo.workspaces WHERE id = $1")?;
        let value: i64 = client
            .query_one(&statement, &[&self.workspace()])
            .and_then(|row| row.try_get(0))
            .map_err(self.failed("read the serial"))?;
        self.unsigned(value, "serial")
    }

    fn save_plan(
        &self,
        id: &str,
        ir_hash: &str,
        serial: u64,
        document: &str,
    ) -> Result<(), StateError> {
        let serial = self.signed(serial, "plan serial")?;
        self.write("save a plan", |this, transaction| {
            let workspace = this.workspace();
            let existing: Option<String> = transaction
                .query_opt(
                    "SELECT document FROM froyo.plans WHERE workspace = $1 AND id = $2",
                    &[&workspace, &id],
                )
                .and_then(|row| row.map(|row| row.try_get(0)).transpose())
                .map_err(this.failed("save a plan"))?;
            match existing {
                Some(saved) if saved == document => return Ok(()),
                Some(_) => {
                    return Err(StateError::PlanExists {
                        path: this.location.clone(),
                        id: id.to_string(),
                    });
                }
                None => {}
            }
            transaction
                .execute(
                    "INSERT INTO froyo.plans (workspace, id, ir_hash, serial, document, created_at, last_run) \
                     VALUES ($1, $2, $3, $4, $5, $6, \
                     (SELECT max(id) FROM froyo.runs WHERE workspace = $1))",
                    &[&workspace, &id, &ir_hash, &serial, &document, &time::now_rfc3339()],
                )
                .map_err(this.failed("save a plan"))?;
            Ok(())
        })
    }

    fn plan(&self, id: &str) -> Result<Option<String>, StateError> {
        self.client
            .borrow_mut()
            .query_opt(
                "SELECT document FROM froyo.plans WHERE workspace = $1 AND id = $2",
                &[&self.workspace(), &id],
            )
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(self.failed("read a plan"))
    }

    fn plan_outdated(&self, id: &str) -> Result<Option<PlanOutdated>, StateError> {
        let mut client = self.client.borrow_mut();
        let workspace = self.workspace();
        let recorded: Option<Option<i64>> = client
            .query_opt(
                "SELECT last_run FROM froyo.plans WHERE workspace = $1 AND id = $2",
                &[&workspace, &id],
            )
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(self.failed("read a plan"))?;
        let Some(last_run) = recorded else {
            return Ok(Some(PlanOutdated::NotRecorded));
        };
        let run: Option<i64> = client
            .query_opt(
                "SELECT runs.id FROM froyo.runs runs \
                 WHERE runs.workspace = $1 AND runs.kind = 'apply' AND runs.id > $3 \
                 AND runs.changed_hosts \
                 AND NOT EXISTS (SELECT 1 FROM froyo.events events \
                     WHERE events.workspace = $1 AND events.run = runs.id \
                     AND events.kind = 'plan' AND events.plan = $2) \
                 ORDER BY runs.id LIMIT 1",
                &[&workspace, &id, &last_run.unwrap_or(0)],
            )
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(self.failed("read the runs since a plan"))?;
        run.map(|run| Ok(PlanOutdated::Superseded { run: RunId(self.unsigned(run, "run id")?) }))
            .transpose()
    }

    fn audit(&self, action: &str, detail: &Value) -> Result<(), StateError> {
        let mut client = self.client.borrow_mut();
        insert_audit(&mut *client, self.workspace(), &self.writer, action, detail)
            .map_err(self.failed("write the audit log"))
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let found = self
            .client
            .borrow_mut()
            .query(
                "SELECT id, at, owner, host, pid, action, detail FROM froyo.audit \
                 WHERE workspace = $1 ORDER BY id DESC LIMIT $2",
                &[&self.workspace(), &limit],
            )
            .map_err(self.failed("read the audit log"))?;
        found
            .iter()
            .map(|row| {
                let raw = (|| -> Result<RawAudit, postgres::Error> {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                        row.try_get(5)?,
                        row.try_get(6)?,
                    ))
                })()
                .map_err(self.failed("read the audit log"))?;
                rows::audit_record(&self.location, raw)
            })
            .collect()
    }

    fn begin_run(&self, kind: RunKind, ir_hash: &str) -> Result<RunId, StateError> {
        let pid = i64::from(self.writer.pid);
        let id: i64 = self
            .client
            .borrow_mut()
            .query_one(
                "INSERT INTO froyo.runs (workspace, kind, status, ir_hash, started_at, owner, host, pid, session) \
                 VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &self.workspace(),
                    &kind.as_str(),
                    &ir_hash,
                    &time::now_rfc3339(),
                    &self.writer.user,
                    &self.writer.host,
                    &pid,
                    &self.session,
                ],
            )
            .and_then(|row| row.try_get(0))
            .map_err(self.failed("begin a run"))?;
        Ok(RunId(self.unsigned(id, "run id")?))
    }

    fn event(
        &self,
        run: RunId,
        instance: Option<&InstanceKey>,
        kind: &str,
        detail: &Value,
    ) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        let mut client = self.client.borrow_mut();
        self.check_holding(&mut *client, "record an event")?;
        let plan = (kind == "plan").then(|| detail.get("plan").and_then(Value::as_str)).flatten();
        let statement = self.prepared(
            &mut *client,
            "INSERT INTO froyo.events (workspace, run, at, host, resource, kind, detail, plan) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )?;
        let result = client.execute(
            &statement,
            &[
                &self.workspace(),
                &run_id,
                &time::now_rfc3339(),
                &instance.map(|key| &key.host),
                &instance.map(|key| &key.resource),
                &kind,
                &detail.to_string(),
                &plan,
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StateError::NoSuchRun { path: self.location.clone(), run })
            }
            Err(error) => Err(self.failed("record an event")(error)),
        }
    }

    fn finish_run(&self, run: RunId, status: RunStatus, summary: &Value) -> Result<(), StateError> {
        if status == RunStatus::Running {
            return Err(StateError::InvalidArgument {
                path: self.location.clone(),
                detail: format!("run {run} cannot be finished as `running`"),
            });
        }
        let run_id = self.run_number(run)?;
        self.write("finish a run", |this, transaction| {
            let current: Option<String> = transaction
                .query_opt(
                    "SELECT status FROM froyo.runs WHERE workspace = $1 AND id = $2",
                    &[&this.workspace(), &run_id],
                )
                .and_then(|row| row.map(|row| row.try_get(0)).transpose())
                .map_err(this.failed("finish a run"))?;
            let current = match current {
                None => return Err(StateError::NoSuchRun { path: this.location.clone(), run }),
                Some(text) => this.status(&text)?,
            };
            if current != RunStatus::Running {
                return Err(StateError::RunNotRunning {
                    path: this.location.clone(),
                    run,
                    status: current,
                });
            }
            transaction
                .execute(
                    "UPDATE froyo.runs SET status = $3, finished_at = $4, summary = $5, \
                     changed_hosts = $6 WHERE workspace = $1 AND id = $2",
                    &[
                        &this.workspace(),
                        &run_id,
                        &status.as_str(),
                        &time::now_rfc3339(),
                        &summary.to_string(),
                        &changed_hosts(summary),
                    ],
                )
                .map_err(this.failed("finish a run"))?;
            Ok(())
        })
    }

    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM froyo.runs WHERE workspace = $1 \
                     ORDER BY id DESC LIMIT $2"
                ),
                &[&self.workspace(), &limit],
            )
            .map_err(self.failed("read runs"))?;
        rows.iter().map(|row| self.run_record(row)).collect()
    }

    fn run(&self, id: RunId) -> Result<Option<(RunRecord, Vec<EventRecord>)>, StateError> {
        let Ok(run_id) = i64::try_from(id.0) else {
            return Ok(None);
        };
        let mut client = self.client.borrow_mut();
        let row = client
            .query_opt(
                &format!("SELECT {RUN_COLUMNS} FROM froyo.runs WHERE workspace = $1 AND id = $2"),
                &[&self.workspace(), &run_id],
            )
            .map_err(self.failed("read a run"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let record = self.run_record(&row)?;
        let found = client
            .query(
                "SELECT id, at, host, resource, kind, detail FROM froyo.events \
                 WHERE workspace = $1 AND run = $2 ORDER BY id",
                &[&self.workspace(), &run_id],
            )
            .map_err(self.failed("read a run's events"))?;
        let events = found
            .iter()
            .map(|row| {
                let raw = (|| -> Result<RawEvent, postgres::Error> {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                        row.try_get(5)?,
                    ))
                })()
                .map_err(self.failed("read a run's events"))?;
                rows::event_record(&self.location, id, raw)
            })
            .collect::<Result<Vec<_>, StateError>>()?;
        Ok(Some((record, events)))
    }

    fn runs_applying_plan(&self, plan_id: &str) -> Result<Vec<RunId>, StateError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT DISTINCT events.run FROM froyo.events events \
                 JOIN froyo.runs runs ON runs.workspace = events.workspace AND runs.id = events.run \
                 WHERE events.workspace = $1 AND runs.kind = 'apply' AND events.kind = 'plan' \
                 AND events.plan = $2 ORDER BY events.run",
                &[&self.workspace(), &plan_id],
            )
            .map_err(self.failed("read the runs of a plan"))?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get(0).map_err(self.failed("read the runs of a plan"))?;
                Ok(RunId(self.unsigned(id, "run id")?))
            })
            .collect()
    }

    fn instance(&self, key: &InstanceKey) -> Result<Option<InstanceRecord>, StateError> {
        let mut client = self.client.borrow_mut();
        let statement = self.prepared(
            &mut *client,
            "SELECT host, resource, resource_type, desired_hash, observed_hash, observed, \
             last_run, updated_at FROM froyo.instances \
             WHERE workspace = $1 AND host = $2 AND resource = $3",
        )?;
        let row = client
            .query_opt(&statement, &[&self.workspace(), &key.host, &key.resource])
            .map_err(self.failed("read an instance"))?;
        row.map(|row| self.instance_record(&row)).transpose()
    }

    fn instances(&self) -> Result<Vec<InstanceRecord>, StateError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT {INSTANCE_COLUMNS} FROM froyo.instances WHERE workspace = $1 \
                     ORDER BY host COLLATE \"C\", resource COLLATE \"C\""
                ),
                &[&self.workspace()],
            )
            .map_err(self.failed("read instances"))?;
        rows.iter().map(|row| self.instance_record(row)).collect()
    }

    fn put_instances(&self, run: RunId, records: &[InstanceRecord]) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        self.write("write instances", |this, transaction| {
            let mut changed = false;
            for record in records {
                changed |= this.write_instance(transaction, run, run_id, record)?;
            }
            if changed {
                this.bump_serial(transaction, "write instances")?;
            }
            Ok(())
        })
    }

    fn remove_instance(&self, run: RunId, key: &InstanceKey) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        self.write("remove an instance", |this, transaction| {
            let run_exists = transaction
                .query_opt(
                    "SELECT 1 FROM froyo.runs WHERE workspace = $1 AND id = $2",
                    &[&this.workspace(), &run_id],
                )
                .map_err(this.failed("remove an instance"))?
                .is_some();
            if !run_exists {
                return Err(StateError::NoSuchRun { path: this.location.clone(), run });
            }
            let removed = transaction
                .execute(
                    "DELETE FROM froyo.instances WHERE workspace = $1 AND host = $2 AND resource = $3",
                    &[&this.workspace(), &key.host, &key.resource],
                )
                .map_err(this.failed("remove an instance"))?;
            if removed > 0 {
                this.bump_serial(transaction, "remove an instance")?;
            }
            Ok(())
        })
    }

    fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        Postgres::lock(self, operation)
    }

    fn work_queue(&self) -> Result<crate::WorkQueue, StateError> {
        work::WorkQueue::open(&self.target, &self.key, &self.location)
    }

    fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Postgres::lock_info(self)
    }

    fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        Postgres::unlock(self, who, force)
    }
}

/// Appends an audit entry for `workspace` through `client` (inside the
/// caller's transaction, if any).
fn insert_audit(
    client: &mut impl postgres::GenericClient,
    workspace: &str,
    writer: &Writer,
    action: &str,
    detail: &Value,
) -> Result<(), postgres::Error> {
    client.execute(
        "INSERT INTO froyo.audit (workspace, at, owner, host, pid, action, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &workspace,
            &time::now_rfc3339(),
            &writer.user,
            &writer.host,
            &i64::from(writer.pid),
            &action,
            &detail.to_string(),
        ],
    )?;
    Ok(())
}
