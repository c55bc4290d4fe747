//! The engagement's state store. Today: the deploy journal (every change's intent, the object
//! as it was before, and its outcome, persisted as each change completes so a crash or kill
//! resumes without repeating or losing work), the objects the tool manages, the one-deploy-
//! per-tenant lock, and the hash-chained feature log ([`log`]). SQLite, in the workspace
//! (`.blueprint/state.db`).

pub mod log;

use std::path::Path;
use std::str::FromStr;

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use log::{
    EventKind, FeatureLogStatus, FeatureState, GENESIS, LogBreak, LogEntry, LogEvent, Role,
    canonical_json, digest_bytes, digest_json, feature_status,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("state store: {0}")]
    Query(#[from] sqlx::Error),
    #[error(
        "another deploy to tenant {tenant} is running (process {pid} on {host}, since {since}); wait for it to finish, or if that process is gone, run again to take over its lock"
    )]
    Locked {
        tenant: String,
        pid: u32,
        host: String,
        since: String,
    },
    #[error(
        "state store holds schema version {found}, newer than this blueprint understands ({known}); upgrade blueprint"
    )]
    TooNew { found: i64, known: i64 },
    #[error("feature log: {0}")]
    InvalidEvent(String),
    #[error("feature log entry {seq} cannot be read: {reason}; run `blueprint log verify`")]
    CorruptLog { seq: i64, reason: String },
    #[error("writing the feature log: {0}")]
    Export(std::io::Error),
    #[error("state store: {0}")]
    Sqlite(String),
}

/// Schema migrations, applied in order; each runs once.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sprint      INTEGER,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    tenant      TEXT NOT NULL,
    feature     TEXT NOT NULL,
    reference   TEXT NOT NULL,
    op          TEXT NOT NULL,
    object_id   TEXT,
    before      TEXT,
    after       TEXT,
    status      TEXT NOT NULL DEFAULT 'started',
    detail      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX changes_by_tenant ON changes(tenant, status);
CREATE TABLE managed_objects (
    tenant          TEXT NOT NULL,
    reference       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    feature         TEXT NOT NULL,
    created_by_tool INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant, reference)
);
CREATE TABLE locks (
    tenant TEXT PRIMARY KEY,
    pid    INTEGER NOT NULL,
    host   TEXT NOT NULL,
    since  TEXT NOT NULL
);
"#,
    r#"
-- The feature log (see log.rs for the canonical form and the hash chain). seq is the rowid:
-- unique, and read in order without a sort. UNIQUE prev_hash: no two entries chain onto one.
CREATE TABLE feature_log (
    seq           INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    feature       TEXT,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    sprint        INTEGER,
    detail        TEXT NOT NULL,
    before_digest TEXT,
    after_digest  TEXT,
    prev_hash     TEXT NOT NULL UNIQUE,
    hash          TEXT NOT NULL
);
CREATE INDEX feature_log_by_feature ON feature_log(feature, seq);
"#,
];

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A change about to be made: written before the request goes out.
#[derive(Debug, Clone)]
pub struct ChangeIntent<'a> {
    pub run_id: i64,
    pub tenant: &'a str,
    pub feature: &'a str,
    /// `kind:identity`.
    pub reference: &'a str,
    /// `create`, `update`, `enforce`, `delete`, `adopt`.
    pub op: &'a str,
    pub object_id: Option<&'a str>,
    /// The object as it was before the change (None for a create).
    pub before: Option<&'a Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: i64,
    pub run_id: i64,
    pub feature: String,
    pub reference: String,
    pub op: String,
    pub object_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// `started`, `done`, `failed`, or `interrupted` (a run died with it in flight).
    pub status: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagedObject {
    pub reference: String,
    pub kind: String,
    pub object_id: String,
    pub feature: String,
    pub created_by_tool: bool,
}

/// A held deploy lock; release it with [`Store::release_lock`].
#[derive(Debug)]
pub struct DeployLock {
    tenant: String,
    pid: u32,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(open_err)?
            .create_if_missing(true)
            // WAL lets readers (status, evaluate) run while a deploy writes; FULL sync makes
            // every journal entry durable before the next request goes out.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // IMMEDIATE: two processes opening a new store at once migrate one after the other.
        // An early return drops the transaction, which rolls it back.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .execute(&mut *tx)
            .await?;
        let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
                .bind(i as i64 + 1)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes the tenant's deploy lock. A lock whose holder process is gone (on this host) is
    /// taken over; a live one is refused.
    pub async fn acquire_lock(&self, tenant: &str) -> Result<DeployLock, StoreError> {
        let pid = std::process::id();
        let host = hostname();
        // IMMEDIATE: the check and the claim happen with the database's write lock held.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT pid, host, since FROM locks WHERE tenant = ?")
            .bind(tenant)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = row {
            let holder_pid: i64 = row.get(0);
            let holder_host: String = row.get(1);
            let alive = holder_host != host || process_alive(holder_pid as u32);
            if alive && holder_pid as u32 != pid {
                return Err(StoreError::Locked {
                    tenant: tenant.to_string(),
                    pid: holder_pid as u32,
                    host: holder_host,
                    since: row.get(2),
                });
            }
        }
        sqlx::query("INSERT OR REPLACE INTO locks (tenant, pid, host, since) VALUES (?, ?, ?, ?)")
            .bind(tenant)
            .bind(pid as i64)
            .bind(&host)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(DeployLock {
            tenant: tenant.to_string(),
            pid,
        })
    }

    pub async fn release_lock(&self, lock: DeployLock) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM locks WHERE tenant = ? AND pid = ?")
            .bind(&lock.tenant)
            .bind(lock.pid as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn begin_run(
        &self,
        tenant: &str,
        kind: &str,
        sprint: Option<i64>,
    ) -> Result<i64, StoreError> {
        let id =
            sqlx::query("INSERT INTO runs (tenant, kind, sprint, started_at) VALUES (?, ?, ?, ?)")
                .bind(tenant)
                .bind(kind)
                .bind(sprint)
                .bind(now())
                .execute(&self.pool)
                .await?
                .last_insert_rowid();
        Ok(id)
    }

    pub async fn finish_run(&self, run_id: i64, status: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?")
            .bind(status)
            .bind(now())
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a change before it is made, with the object's previous state.
    pub async fn record_intent(&self, intent: &ChangeIntent<'_>) -> Result<i64, StoreError> {
        let id = sqlx::query(
            "INSERT INTO changes (run_id, tenant, feature, reference, op, object_id, before, started_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(intent.run_id)
        .bind(intent.tenant)
        .bind(intent.feature)
        .bind(intent.reference)
        .bind(intent.op)
        .bind(intent.object_id)
        .bind(intent.before.map(Value::to_string))
        .bind(now())
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Records a completed change and the object the tool now manages, in one transaction.
    pub async fn record_done(
        &self,
        change_id: i64,
        object: &ManagedObject,
        tenant: &str,
        after: &Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE changes SET status = 'done', object_id = ?, after = ?, finished_at = ? WHERE id = ?")
            .bind(&object.object_id)
            .bind(after.to_string())
            .bind(now())
            .bind(change_id)
            .execute(&mut *tx)
            .await?;
        // A later adoption never downgrades "created by the tool".
        sqlx::query(
            "INSERT INTO managed_objects (tenant, reference, kind, object_id, feature, created_by_tool, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant, reference) DO UPDATE SET
               object_id = excluded.object_id,
               created_by_tool = MAX(managed_objects.created_by_tool, excluded.created_by_tool),
               updated_at = excluded.updated_at",
        )
        .bind(tenant)
        .bind(&object.reference)
        .bind(&object.kind)
        .bind(&object.object_id)
        .bind(&object.feature)
        .bind(object.created_by_tool as i64)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a completed delete: the change is done and the tool no longer manages the object.
    pub async fn record_deleted(
        &self,
        change_id: i64,
        tenant: &str,
        reference: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE changes SET status = 'done', finished_at = ? WHERE id = ?")
            .bind(now())
            .bind(change_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM managed_objects WHERE tenant = ? AND reference = ?")
            .bind(tenant)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_failed(&self, change_id: i64, detail: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE changes SET status = 'failed', detail = ?, finished_at = ? WHERE id = ?",
        )
        .bind(detail)
        .bind(now())
        .bind(change_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Changes an earlier run started and never finished (the process died). Marks them
    /// `interrupted` so they are reported once; the new run's fresh reading of the tenant
    /// decides what is still to do.
    pub async fn take_interrupted(
        &self,
        tenant: &str,
        current_run: i64,
    ) -> Result<Vec<Change>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, run_id, feature, reference, op, object_id, before, after, status, detail
             FROM changes WHERE tenant = ? AND status = 'started' AND run_id <> ? ORDER BY id",
        )
        .bind(tenant)
        .bind(current_run)
        .fetch_all(&self.pool)
        .await?;
        let changes: Vec<Change> = rows.iter().map(change_from_row).collect();
        sqlx::query("UPDATE changes SET status = 'interrupted', finished_at = ? WHERE tenant = ? AND status = 'started' AND run_id <> ?")
            .bind(now())
            .bind(tenant)
            .bind(current_run)
            .execute(&self.pool)
            .await?;
        sqlx::query("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE tenant = ? AND status = 'running' AND id <> ?")
            .bind(now())
            .bind(tenant)
            .bind(current_run)
            .execute(&self.pool)
            .await?;
        Ok(changes)
    }

    pub async fn changes(&self, tenant: &str) -> Result<Vec<Change>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, run_id, feature, reference, op, object_id, before, after, status, detail
             FROM changes WHERE tenant = ? ORDER BY id",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(change_from_row).collect())
    }

    pub async fn managed_objects(&self, tenant: &str) -> Result<Vec<ManagedObject>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, kind, object_id, feature, created_by_tool FROM managed_objects WHERE tenant = ? ORDER BY reference",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ManagedObject {
                reference: r.get(0),
                kind: r.get(1),
                object_id: r.get(2),
                feature: r.get(3),
                created_by_tool: r.get::<i64, _>(4) != 0,
            })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn change_from_row(r: &sqlx::sqlite::SqliteRow) -> Change {
    let json = |i: usize| {
        r.get::<Option<String>, _>(i)
            .and_then(|s| serde_json::from_str(&s).ok())
    };
    Change {
        id: r.get(0),
        run_id: r.get(1),
        feature: r.get(2),
        reference: r.get(3),
        op: r.get(4),
        object_id: r.get(5),
        before: json(6),
        after: json(7),
        status: r.get(8),
        detail: r.get(9),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into())
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        // A zombie (killed, not yet reaped) holds no lock either.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            Err(_) => false,
        }
    } else {
        true
    }
}
