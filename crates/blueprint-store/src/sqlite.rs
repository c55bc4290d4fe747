//! The embedded backend: one SQLite file in the workspace (`.blueprint/state.db`).

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::log::LogBreak;
use crate::sql::impl_state_store;
use crate::{Backend, StoreError};

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
    r#"
-- The deploy lock as a lease (lock.rs): a random owner per acquisition and an expiry its
-- heartbeat pushes forward; times in milliseconds since the Unix epoch. A lock of the old
-- form (a pid and a host, no expiry) becomes a lease that lapses two minutes from now.
CREATE TABLE deploy_locks (
    tenant      TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    acquired_ms INTEGER NOT NULL,
    renewed_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
);
INSERT INTO deploy_locks (tenant, owner, pid, host, purpose, actor, acquired_ms, renewed_ms, expires_ms)
SELECT tenant, 'legacy-' || pid || '-' || host, pid, host, 'deploy', '', now_ms, now_ms, now_ms + 120000
FROM locks, (SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now_ms) AS clock;
DROP TABLE locks;
"#,
    crate::sql::LOCK_HOLDER_MACHINE,
    crate::sql::ENGAGEMENTS_TABLE,
    crate::jobs::jobs_tables!("INTEGER PRIMARY KEY"),
    crate::sql::CHANGE_REFUSAL,
];

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        private_files(path)?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(open_err)?
            .create_if_missing(true)
            // WAL lets readers (status, evaluate) run while a deploy writes; FULL sync makes
            // every journal entry durable before the next request goes out. A writer waits up to
            // 30 s for the lock: while the disk flushes gigabytes for other programs one FULL
            // sync can take many seconds (the ten-seed fault test once lost a deploy to
            // "database is locked" after the 10 s this was).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        let store = SqliteStore { pool };
        store.migrate(MIGRATIONS).await?;
        Ok(store)
    }

    /// IMMEDIATE takes SQLite's write lock at BEGIN, so a writer that reads before it writes
    /// (the lock check, the log's last entry) sees what it overwrites.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Every SQLite write transaction takes the write lock at BEGIN, so it waits its turn under
    /// the busy timeout: a deferred one that reads before it writes (`take_interrupted`) fails
    /// at once with SQLITE_BUSY when another connection has committed since its read.
    async fn begin_change(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_write().await
    }

    /// How a job runner picks a job: no row locks in SQLite; the write lock [`Self::begin_claim`]
    /// takes is held from the pick to the claim, so two runners queue up.
    const SKIP_LOCKED: &'static str = "";

    /// None needed: the write lock serialises claims already.
    const ENGAGEMENT_CLAIM_LOCK: Option<&'static str> = None;

    async fn begin_claim(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_write().await
    }

    /// A read transaction is a snapshot already (WAL).
    async fn begin_snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin().await
    }

    /// One SELECT (one consistent snapshot) stepped through SQLite's C API on a connection
    /// locked out of sqlx: columns are hashed where SQLite holds them, with no per-row
    /// allocation. It runs on the calling thread (about 0.2 s per 100,000 entries).
    async fn verify(&self) -> Result<Result<u64, LogBreak>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle();
        // SAFETY: the handle is locked out of sqlx's worker for as long as `handle` lives, so
        // nothing else uses the connection while `raw::verify` runs.
        unsafe { raw::verify(db.as_ptr()) }
    }
}

/// The store holds snapshots of tenant objects and the feature log: only its owner may read
/// it. The file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
/// database file's permissions), and a store left readable by others (an older blueprint's) is
/// tightened.
fn private_files(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let failed = |what: &str, p: &Path, e: std::io::Error| {
            StoreError::Sqlite(format!("{what} {}: {e}", p.display()))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed("creating", path, e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| failed("making private", &file, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl_state_store!(SqliteStore, Backend::Sqlite, sqlx::Sqlite);

/// The verifier's SQLite C API loop.
mod raw {
    use std::ffi::CStr;
    use std::ptr;

    use libsqlite3_sys as ffi;

    use crate::StoreError;
    use crate::log::{LogBreak, RawEntry, Verifier, column_name};
    use crate::sql::select_log;

    const SQL: &CStr =
        match CStr::from_bytes_with_nul(concat!(select_log!("ORDER BY seq"), "\0").as_bytes()) {
            Ok(sql) => sql,
            Err(_) => panic!("the query holds no NUL"),
        };

    struct Statement(*mut ffi::sqlite3_stmt);

    impl Drop for Statement {
        fn drop(&mut self) {
            // SAFETY: prepared by sqlite3_prepare_v2 and finalized once, here.
            unsafe { ffi::sqlite3_finalize(self.0) };
        }
    }

    /// # Safety
    /// `db` is an open connection that nothing else uses until this returns.
    pub(super) unsafe fn verify(
        db: *mut ffi::sqlite3,
    ) -> Result<Result<u64, LogBreak>, StoreError> {
        let error = |what: &str| {
            // SAFETY: `db` is open; sqlite3_errmsg returns a NUL-terminated string it owns.
            let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) };
            StoreError::Sqlite(format!(
                "reading the feature log to verify it: {what}: {}",
                message.to_string_lossy()
            ))
        };
        let mut stmt = ptr::null_mut();
        // SAFETY: valid handle, NUL-terminated SQL, out-pointer to a local.
        let rc =
            unsafe { ffi::sqlite3_prepare_v2(db, SQL.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(error("prepare"));
        }
        let stmt = Statement(stmt);
        let mut verifier = Verifier::new();
        loop {
            // SAFETY: a prepared statement on a connection only we use.
            let rc = unsafe { ffi::sqlite3_step(stmt.0) };
            if rc == ffi::SQLITE_DONE {
                break;
            }
            if rc != ffi::SQLITE_ROW {
                return Err(error("step"));
            }
            // SAFETY (all column reads): a row is current; the slices borrowed from SQLite stay
            // valid until the next step, and are dropped before it.
            let kind = |i: i32| unsafe { ffi::sqlite3_column_type(stmt.0, i) };
            let text = |i: i32| -> Result<Option<&str>, String> {
                match kind(i) {
                    ffi::SQLITE_NULL => Ok(None),
                    ffi::SQLITE_TEXT => {
                        let bytes = unsafe {
                            let p = ffi::sqlite3_column_text(stmt.0, i);
                            let n = ffi::sqlite3_column_bytes(stmt.0, i);
                            if p.is_null() {
                                &[][..]
                            } else {
                                std::slice::from_raw_parts(p, n as usize)
                            }
                        };
                        std::str::from_utf8(bytes)
                            .map(Some)
                            .map_err(|_| format!("column {} is not UTF-8", column_name(i as usize)))
                    }
                    _ => Err(format!("column {} is not text", column_name(i as usize))),
                }
            };
            let required = |i: i32| -> Result<&str, String> {
                text(i)?
                    .ok_or_else(|| format!("column {} is empty (NULL)", column_name(i as usize)))
            };
            let integer = |i: i32| -> Result<Option<i64>, String> {
                match kind(i) {
                    ffi::SQLITE_NULL => Ok(None),
                    ffi::SQLITE_INTEGER => {
                        Ok(Some(unsafe { ffi::sqlite3_column_int64(stmt.0, i) }))
                    }
                    _ => Err(format!(
                        "column {} is not an integer",
                        column_name(i as usize)
                    )),
                }
            };
            let row = (|| {
                Ok::<_, String>((
                    RawEntry {
                        seq: integer(0)?.ok_or("column seq is empty (NULL)")?,
                        time: required(1)?,
                        kind: required(2)?,
                        feature: text(3)?,
                        actor: required(4)?,
                        role: required(5)?,
                        sprint: integer(6)?,
                        detail: required(7)?,
                        before_digest: text(8)?,
                        after_digest: text(9)?,
                        prev_hash: required(10)?,
                    },
                    required(11)?,
                ))
            })();
            let checked = match &row {
                Ok((raw, hash)) => verifier.check(raw, hash),
                Err(reason) => Err(verifier.unreadable(reason.clone())),
            };
            if let Err(broken) = checked {
                return Ok(Err(broken));
            }
        }
        Ok(Ok(verifier.count()))
    }
}
