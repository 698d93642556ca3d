//! The PostgreSQL schema: every table in the `froyo` schema, every row
//! scoped by its workspace's id, so one database holds the state of many
//! workspaces without their runs, instances, plans, audit entries or locks
//! meeting.
//!
//! Migrations are versioned in `froyo.schema_version` and run in one
//! transaction under a transaction-level advisory lock: controllers that
//! start at once against a new or older database migrate it once, and a
//! crash mid-migration leaves the previous version. A database from a newer
//! froyo is refused, never downgraded. Append-only: never edit a migration
//! that has shipped, add the next.

use postgres::Client;

use crate::error::StateError;

/// The advisory lock (transaction level) that serialises migrations.
const MIGRATION_LOCK: i64 = 0x4652_4f59_0000_0001;

/// Index `n` takes version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: workspaces, runs, events, instances, plans, the audit log and locks.
    r#"
    CREATE TABLE froyo.workspaces (
        id              TEXT PRIMARY KEY,
        created_at      TEXT NOT NULL,
        -- What recognises the team's secret key (never the key itself).
        key_fingerprint TEXT NOT NULL,
        -- Bumped by every committed change to the workspace's instances.
        serial          BIGINT NOT NULL DEFAULT 0
    );

    CREATE TABLE froyo.runs (
        id            BIGSERIAL PRIMARY KEY,
        workspace     TEXT NOT NULL REFERENCES froyo.workspaces (id),
        kind          TEXT NOT NULL CHECK (kind IN ('plan', 'apply', 'drift')),
        status        TEXT NOT NULL
                      CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        ir_hash       TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        summary       TEXT,
        -- False only when the summary says nothing was applied, failed or
        -- forgotten: such an apply leaves saved plans current.
        changed_hosts BOOLEAN NOT NULL DEFAULT TRUE,
        owner         TEXT NOT NULL,
        host          TEXT NOT NULL,
        pid           BIGINT NOT NULL,
        session       TEXT NOT NULL,
        UNIQUE (workspace, id)
    );
    CREATE INDEX runs_running ON froyo.runs (workspace, session) WHERE status = 'running';

    CREATE TABLE froyo.events (
        id        BIGSERIAL PRIMARY KEY,
        workspace TEXT NOT NULL,
        run       BIGINT NOT NULL,
        at        TEXT NOT NULL,
        host      TEXT,
        resource  TEXT,
        kind      TEXT NOT NULL,
        detail    TEXT NOT NULL,
        -- For a `plan` event: the saved plan the run applied.
        plan      TEXT,
        FOREIGN KEY (workspace, run) REFERENCES froyo.runs (workspace, id),
        CHECK ((host IS NULL) = (resource IS NULL))
    );
    CREATE INDEX events_by_run ON froyo.events (run, id);
    CREATE INDEX events_by_plan ON froyo.events (workspace, plan) WHERE plan IS NOT NULL;

    CREATE TABLE froyo.instances (
        workspace     TEXT NOT NULL REFERENCES froyo.workspaces (id),
        host          TEXT NOT NULL,
        resource      TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        desired_hash  TEXT NOT NULL,
        observed_hash TEXT NOT NULL,
        observed      TEXT,
        last_run      BIGINT,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (workspace, host, resource),
        FOREIGN KEY (workspace, last_run) REFERENCES froyo.runs (workspace, id)
    );

    CREATE TABLE froyo.plans (
        workspace  TEXT NOT NULL REFERENCES froyo.workspaces (id),
        id         TEXT NOT NULL,
        ir_hash    TEXT NOT NULL,
        serial     BIGINT NOT NULL,
        document   TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_run   BIGINT,
        PRIMARY KEY (workspace, id)
    );

    CREATE TABLE froyo.audit (
        id        BIGSERIAL PRIMARY KEY,
        workspace TEXT NOT NULL REFERENCES froyo.workspaces (id),
        at        TEXT NOT NULL,
        owner     TEXT NOT NULL,
        host      TEXT NOT NULL,
        pid       BIGINT NOT NULL,
        action    TEXT NOT NULL,
        detail    TEXT NOT NULL
    );
    CREATE INDEX audit_by_workspace ON froyo.audit (workspace, id);

    -- At most one row per workspace: the holder of its lock. `backend_pid`
    -- is the server process of the holder's lock connection, which holds
    -- the workspace's advisory lock for as long as it lives.
    CREATE TABLE froyo.locks (
        workspace    TEXT PRIMARY KEY REFERENCES froyo.workspaces (id),
        token        TEXT NOT NULL,
        session      TEXT NOT NULL,
        owner        TEXT NOT NULL,
        pid          BIGINT NOT NULL,
        host         TEXT NOT NULL,
        operation    TEXT NOT NULL,
        acquired_ms  BIGINT NOT NULL,
        heartbeat_ms BIGINT NOT NULL,
        backend_pid  INTEGER NOT NULL
    );
    "#,
    // 2: the work runs share with workers (`froyo apply --workers`).
    r#"
    CREATE TABLE froyo.work (
        workspace   TEXT NOT NULL,
        run         BIGINT NOT NULL,
        unit        INTEGER NOT NULL CHECK (unit >= 0),
        hosts       TEXT[] NOT NULL,
        -- Units that must be done first.
        deps        INTEGER[] NOT NULL,
        -- Sealed (ChaCha20-Poly1305, a key derived from the team key).
        payload     BYTEA NOT NULL,
        status      TEXT NOT NULL
                    CHECK (status IN ('pending', 'leased', 'done', 'cancelled')),
        worker      TEXT,
        -- Bumped by every lease: the fencing token of renewals and results.
        attempts    INTEGER NOT NULL DEFAULT 0,
        lease_until TIMESTAMPTZ,
        result      BYTEA,
        -- What the unit reported as failed (plan indexes): what waits on it skips.
        failed      BIGINT[] NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (workspace, run, unit),
        FOREIGN KEY (workspace, run) REFERENCES froyo.runs (workspace, id)
    );
    CREATE INDEX work_open ON froyo.work (workspace, run, unit)
        WHERE status IN ('pending', 'leased');
    "#,
];

/// The schema version this froyo writes and reads.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database's `froyo` schema to [`SCHEMA_VERSION`], creating it
/// when missing; [`StateError::TooNew`] for a newer one.
pub(crate) fn migrate(client: &mut Client, location: &std::path::Path) -> Result<(), StateError> {
    let failed = |action: &'static str| {
        move |error: postgres::Error| StateError::postgres(location, action, error)
    };
    // Most opens find the schema current: one read, no lock.
    if let Ok(row) = client.query_one("SELECT version FROM froyo.schema_version WHERE id = 1", &[])
    {
        let version: i32 = row.try_get(0).map_err(failed("read the schema version"))?;
        if u32::try_from(version).is_ok_and(|version| version == SCHEMA_VERSION) {
            return Ok(());
        }
    }
    let mut transaction = client.transaction().map_err(failed("begin a migration"))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(failed("wait for other migrations"))?;
    transaction
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS froyo; \
             CREATE TABLE IF NOT EXISTS froyo.schema_version ( \
                 id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
        )
        .map_err(failed("create the froyo schema"))?;
    let version: i32 = transaction
        .query_opt("SELECT version FROM froyo.schema_version WHERE id = 1", &[])
        .map_err(failed("read the schema version"))?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(failed("read the schema version"))?
        .unwrap_or(0);
    let version = u32::try_from(version).map_err(|_| {
        StateError::corrupt(location, format!("schema version {version} is negative"))
    })?;
    if version > SCHEMA_VERSION {
        return Err(StateError::TooNew {
            path: location.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in &MIGRATIONS[version as usize..] {
        transaction.batch_execute(migration).map_err(failed("migrate the schema"))?;
    }
    let current = SCHEMA_VERSION as i32;
    transaction
        .execute(
            "INSERT INTO froyo.schema_version (id, version) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[&current],
        )
        .map_err(failed("record the schema version"))?;
    transaction.commit().map_err(failed("commit a migration"))
}
