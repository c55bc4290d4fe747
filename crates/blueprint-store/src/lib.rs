//! The engagement's state store: the deploy journal (every change's intent, the object as it
//! was before, and its outcome, persisted as each change completes so a crash or kill resumes
//! without repeating or losing work), the runs (deploys, rollbacks) that made the changes, the
//! objects the tool manages, the one-deploy-per-tenant lock (a lease with a heartbeat,
//! [`lock`]), and the hash-chained feature log ([`log`]).
//!
//! One trait, [`StateStore`], two backends: SQLite ([`sqlite`], the embedded default: a file in
//! the workspace, `.blueprint/state.db`) and PostgreSQL ([`postgres`], for a server shared by a
//! program office or a partner team). They run the same SQL where the dialects agree ([`sql`])
//! and differ only in schema DDL, how a writer takes the database's write lock, and how the
//! feature log is read back for verification. [`Store`] is what callers hold: either backend,
//! chosen by [`Store::open`] (a path) or [`Store::connect`] (a URL).

pub mod jobs;
pub mod lock;
pub mod log;
pub mod postgres;
mod sql;
pub mod sqlite;

use std::future::Future;
use std::ops::Deref;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

pub use jobs::{Job, JobEvent, JobStatus, NewJob};
pub use lock::{
    Clock, DeployLock, LeaseTerms, LockHolder, LockRequest, ManualClock, SystemClock, rfc3339,
};
pub use log::{
    EventKind, FeatureLogStatus, FeatureState, GENESIS, LogBreak, LogEntry, LogEvent, Role,
    canonical_json, digest_bytes, digest_json, feature_status,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error(
        "state store URL {url}: {reason}; give a path, sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    BadUrl { url: String, reason: String },
    #[error("state store: {0}")]
    Query(#[from] sqlx::Error),
    #[error(
        "state store {path}: the TLS connection failed ({source}); TLS is verified (sslmode=verify-full) for a server not on this machine: give its CA with BLUEPRINT_CA_FILE or sslrootcert=PATH in the URL, or set sslmode explicitly"
    )]
    Tls { path: String, source: sqlx::Error },
    #[error(
        "tenant {} is locked by {}; its last heartbeat was at {} and the lock lapses at {} unless renewed. Wait for it to finish; if that process is gone, run again after {} to take the lock over, or break it by hand",
        .0.tenant, .0.describe(), rfc3339(.0.renewed_ms), rfc3339(.0.expires_ms), rfc3339(.0.expires_ms)
    )]
    Locked(Box<LockHolder>),
    #[error(
        "the deploy lock on tenant {tenant} was lost: {reason}. Nothing more was sent to the tenant; what was already changed is journalled. Run it again once the lock is free"
    )]
    LeaseLost { tenant: String, reason: String },
    #[error(
        "state store holds schema version {found}, newer than this blueprint understands ({known}); upgrade blueprint"
    )]
    TooNew { found: i64, known: i64 },
    #[error("feature log: {0}")]
    InvalidEvent(String),
    #[error("feature log entry {seq} cannot be read: {reason}; verify the feature log")]
    CorruptLog { seq: i64, reason: String },
    #[error("writing the feature log: {0}")]
    Export(std::io::Error),
    #[error("state store: {0}")]
    Sqlite(String),
}

pub(crate) fn now() -> String {
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
    /// For a failed change the service refused, its answer (status, error code, message,
    /// request ids), as the client keeps it: for the reports.
    pub refused: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagedObject {
    pub reference: String,
    pub kind: String,
    pub object_id: String,
    pub feature: String,
    pub created_by_tool: bool,
}

/// A deploy or rollback: the changes it made carry its id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: i64,
    /// `deploy` or `rollback`.
    pub kind: String,
    pub sprint: Option<i64>,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `running`, `succeeded`, `failed`, `interrupted`.
    pub status: String,
}

/// An engagement a web server shows: one agency's, kept in the workspace at `workspace` (its
/// profile, and its state unless the workspace names a database), granted to `partners`
/// (technology partners, by organisation name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engagement {
    /// Short and URL-safe (`[a-z0-9-]`), e.g. `dta`.
    pub id: String,
    pub agency: String,
    pub workspace: String,
    pub partners: Vec<String>,
}

/// What a backend's futures look like: boxed, so [`StateStore`] can be a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Which database a [`Store`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything the engine and the CLI ask of the state, whichever database holds it.
pub trait StateStore: Send + Sync {
    fn backend(&self) -> Backend;

    /// Writes `holder` as the tenant's lock unless another owner's lease is unexpired at
    /// `now_ms` ([`StoreError::Locked`]); returns the expired lease it replaced, if any. Callers
    /// take the lock with [`Store::acquire_lock`], which also starts the heartbeat.
    fn claim_lock<'a>(
        &'a self,
        holder: &'a LockHolder,
        now_ms: i64,
    ) -> StoreFuture<'a, Option<LockHolder>>;
    /// Pushes the lease's expiry to `expires_ms` if the tenant's lock is still `owner`'s;
    /// false when it is not (taken over or broken).
    fn renew_lock<'a>(
        &'a self,
        tenant: &'a str,
        owner: &'a str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreFuture<'a, bool>;
    /// Deletes the tenant's lock if it is still `owner`'s, whatever its expiry; whether it was.
    /// The holder's release, and a lock broken by hand (naming the owner
    /// it showed a person, so a lock taken over since is not the one broken).
    fn release_lock<'a>(&'a self, tenant: &'a str, owner: &'a str) -> StoreFuture<'a, bool>;
    /// The tenant's lock row, expired or not.
    fn lock_holder<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<LockHolder>>;
    /// Every lock row, expired or not, by tenant.
    fn locks(&self) -> StoreFuture<'_, Vec<LockHolder>>;

    /// Starts a run (`deploy`, `rollback`) and returns its id.
    fn begin_run<'a>(
        &'a self,
        tenant: &'a str,
        kind: &'a str,
        sprint: Option<i64>,
    ) -> StoreFuture<'a, i64>;
    fn finish_run<'a>(&'a self, run_id: i64, status: &'a str) -> StoreFuture<'a, ()>;
    /// The tenant's runs, oldest first.
    fn runs<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<Run>>;

    /// Records a change before it is made, with the object's previous state, and returns its
    /// id. With `fence` (a lease owner), only while the tenant's lock is that owner's: `None`
    /// when it is not, and nothing is written. Callers use [`Store::record_intent`].
    fn insert_intent<'a>(
        &'a self,
        intent: &'a ChangeIntent<'a>,
        fence: Option<&'a str>,
    ) -> StoreFuture<'a, Option<i64>>;
    /// Records a completed change and the object the tool now manages, in one transaction.
    fn record_done<'a>(
        &'a self,
        change_id: i64,
        object: &'a ManagedObject,
        tenant: &'a str,
        after: &'a Value,
    ) -> StoreFuture<'a, ()>;
    /// Records a completed change that leaves the tool not creating or adopting anything: a
    /// delete, or a rollback step. `after` is the object as it now is (None: gone); with
    /// `release`, the tool no longer manages the object.
    fn record_released<'a>(
        &'a self,
        change_id: i64,
        tenant: &'a str,
        reference: &'a str,
        after: Option<&'a Value>,
        release: bool,
    ) -> StoreFuture<'a, ()>;
    /// Records what a change in flight has done to the tenant so far, before it completes: the
    /// object's id the moment a create returns it (so a create whose later step fails, or a
    /// run killed after it, is known), or what a run killed mid-change left (read on resume).
    /// The object is managed from then on, in the same transaction; `after` (when given) is the
    /// object as the change left it.
    fn record_reached<'a>(
        &'a self,
        change_id: i64,
        object: &'a ManagedObject,
        tenant: &'a str,
        after: Option<&'a Value>,
    ) -> StoreFuture<'a, ()>;
    /// Records a failed change: why (`detail`), the service's answer when it refused the request
    /// (`refused`), and, when given, the object as the failure left it (`after`, read back so a
    /// rollback can undo what reached the tenant).
    fn record_failed<'a>(
        &'a self,
        change_id: i64,
        detail: &'a str,
        refused: Option<&'a Value>,
        after: Option<&'a Value>,
    ) -> StoreFuture<'a, ()>;
    /// Changes an earlier run started and never finished (the process died). Marks them
    /// `interrupted` so they are reported once; the new run's fresh reading of the tenant
    /// decides what is still to do.
    fn take_interrupted<'a>(
        &'a self,
        tenant: &'a str,
        current_run: i64,
    ) -> StoreFuture<'a, Vec<Change>>;
    /// The tenant's changes, oldest first.
    fn changes<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<Change>>;
    fn managed_objects<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<ManagedObject>>;
    /// Records an object the tool found and builds on without changing it: the parent Graph
    /// nests a managed object under (an Apple enrolment program token, under which the tool
    /// creates an enrolment profile), so that the next run reads the nested objects under its
    /// id with its first reads. Never recorded as the tool's creation (`created_by_tool`
    /// false is kept false; a row the tool created stays so).
    fn rely_on<'a>(&'a self, tenant: &'a str, object: &'a ManagedObject) -> StoreFuture<'a, ()>;
    /// Stops recording an object [`StateStore::rely_on`] recorded, once nothing the tool
    /// manages builds on it (a rollback removed the last profile under the token). An object
    /// the tool created stays recorded.
    fn let_go<'a>(&'a self, tenant: &'a str, reference: &'a str) -> StoreFuture<'a, ()>;
    /// Moves the runs, changes and managed objects kept under `alias` (a tenant named another
    /// way: its domain, or its GUID in capitals) to `tenant` (its organization id), in one
    /// transaction. A managed object both hold keeps the newer id and stays "created by the
    /// tool" if either says so. Returns the rows moved (0 when there were none).
    fn adopt_tenant_alias<'a>(&'a self, alias: &'a str, tenant: &'a str) -> StoreFuture<'a, u64>;

    /// Appends events in order, in one transaction: all or none. The last entry is read and
    /// the new ones inserted with the database's write lock held, so two processes appending at
    /// once queue up and never both chain onto the same entry (`seq`'s and `prev_hash`'s
    /// uniqueness is the backstop).
    fn append_events<'a>(&'a self, events: &'a [LogEvent]) -> StoreFuture<'a, Vec<LogEntry>>;
    /// Breaks `holder`'s lock (by hand) and appends `event` saying so, in one
    /// transaction: the lock is gone and the log says who broke it, or neither. `None` when the
    /// lock is no longer `holder.owner`'s (released or taken over since it was read).
    fn break_lock<'a>(
        &'a self,
        holder: &'a LockHolder,
        event: &'a LogEvent,
    ) -> StoreFuture<'a, Option<LogEntry>>;
    /// The log in order; only `feature`'s entries when given.
    fn log<'a>(&'a self, feature: Option<&'a str>) -> StoreFuture<'a, Vec<LogEntry>>;
    /// Recomputes every entry's hash in order. `Ok(Ok(n))`: all `n` entries verify.
    /// `Ok(Err(break))`: the first entry that does not (edited, removed, or out of place).
    /// `Err`: the store could not be read — not a verdict on the chain.
    fn verify_log(&self) -> StoreFuture<'_, Result<u64, LogBreak>>;
    /// Writes the log as JSON lines, one entry per line in canonical form with its `hash`,
    /// exactly as stored (an edited row shows up as one that does not verify). Returns the
    /// number of entries written.
    fn export_log<'a>(
        &'a self,
        writer: &'a mut (dyn std::io::Write + Send),
    ) -> StoreFuture<'a, u64>;

    /// Registers an engagement with a web server's database, or updates the one with its id.
    fn register_engagement<'a>(&'a self, engagement: &'a Engagement) -> StoreFuture<'a, ()>;
    /// The engagements registered, by id.
    fn engagements(&self) -> StoreFuture<'_, Vec<Engagement>>;

    /// Queues a job ([`jobs`]). With `unless_since_ms`, only when no job of the same kind on
    /// the same engagement was queued at or after then (a schedule: several servers sharing
    /// the database queue one); `None` when one was.
    fn enqueue_job<'a>(
        &'a self,
        job: &'a NewJob<'a>,
        unless_since_ms: Option<i64>,
    ) -> StoreFuture<'a, Option<Job>>;
    /// Claims the oldest queued job of an engagement with no job running, for `runner`, under
    /// a lease until `lease_until_ms`. Two runners never claim the same job (PostgreSQL:
    /// `FOR UPDATE SKIP LOCKED`; SQLite: under its write lock).
    fn claim_job<'a>(
        &'a self,
        runner: &'a str,
        lease_until_ms: i64,
    ) -> StoreFuture<'a, Option<Job>>;
    /// Pushes a running job's lease to `lease_until_ms` if `runner` still holds it; whether
    /// it does.
    fn renew_job<'a>(
        &'a self,
        id: i64,
        runner: &'a str,
        lease_until_ms: i64,
    ) -> StoreFuture<'a, bool>;
    /// Ends `runner`'s running job with `status` and `result`; `JobStatus::Queued` gives it
    /// back to the queue (another job held its tenant). False when the job is not `runner`'s
    /// running job (its lease lapsed and it was marked interrupted).
    fn finish_job<'a>(
        &'a self,
        id: i64,
        runner: &'a str,
        status: JobStatus,
        result: Option<&'a Value>,
    ) -> StoreFuture<'a, bool>;
    /// Marks `interrupted` every running job whose lease lapsed before `now_ms` (its runner
    /// stopped or died), each with a progress event saying so; their ids.
    fn interrupt_lapsed_jobs(&self, now_ms: i64) -> StoreFuture<'_, Vec<i64>>;
    /// Appends progress events to a job, in order.
    fn append_job_events<'a>(&'a self, job_id: i64, events: &'a [Value]) -> StoreFuture<'a, ()>;
    /// A job's progress events after event `after` (0: all), in order.
    fn job_events(&self, job_id: i64, after: i64) -> StoreFuture<'_, Vec<JobEvent>>;
    fn job(&self, id: i64) -> StoreFuture<'_, Option<Job>>;
    /// An engagement's latest `limit` jobs, newest first.
    fn jobs<'a>(&'a self, engagement: &'a str, limit: i64) -> StoreFuture<'a, Vec<Job>>;

    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The state store, whichever backend holds it. Cheap to clone (one shared pool).
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn StateStore>,
    /// The terms of the leases [`Store::acquire_lock`] takes.
    terms: LeaseTerms,
    /// Set on the handle a [`DeployLock`] gives out: journal entries for its tenant are fenced.
    lease: Option<Arc<lock::Lease>>,
}

impl Deref for Store {
    type Target = dyn StateStore;

    fn deref(&self) -> &Self::Target {
        &*self.inner
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

/// The environment variable naming an extra trusted CA (PEM), for Graph and for PostgreSQL.
pub const CA_FILE_ENV: &str = "BLUEPRINT_CA_FILE";

/// The environment variable naming the state store when the front end names none.
pub const DATABASE_URL_ENV: &str = "BLUEPRINT_DATABASE_URL";

impl Store {
    /// Opens (creating if needed) the SQLite store at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store::from(sqlite::SqliteStore::open(path).await?))
    }

    /// Opens the store a URL names: `postgres://…` / `postgresql://…` (a PostgreSQL
    /// database: it must exist; the tables are created), `sqlite://PATH`, or a plain path.
    /// Whatever the URL carries (a password) never reaches an error message.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::from(postgres::PostgresStore::connect(url).await?))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Store::open(Path::new(path)).await
        } else if url.contains("://") {
            Err(StoreError::BadUrl {
                url: redact_url(url),
                reason: "unknown scheme".into(),
            })
        } else {
            Store::open(Path::new(url)).await
        }
    }

    /// Takes the tenant's deploy lock (see [`lock`]): refused with [`StoreError::Locked`] while
    /// another owner's lease is unexpired, whatever its host or pid. The lock's heartbeat runs
    /// until [`DeployLock::release`]; write the deploy through [`DeployLock::store`].
    pub async fn acquire_lock(&self, request: &LockRequest<'_>) -> Result<DeployLock, StoreError> {
        DeployLock::acquire(self, request).await
    }

    /// The same store with other lease terms (tests: a [`ManualClock`], short heartbeats).
    pub fn with_lease_terms(mut self, terms: LeaseTerms) -> Store {
        self.terms = terms;
        self
    }

    /// Records a change before it is made, with the object's previous state, and returns its
    /// id. On a [`DeployLock::store`] handle, refused with [`StoreError::LeaseLost`] (nothing
    /// written) once the lease is lost or about to lapse: see [`lock`].
    pub async fn record_intent(&self, intent: &ChangeIntent<'_>) -> Result<i64, StoreError> {
        let lease = self.lease.as_ref().filter(|l| l.tenant == intent.tenant);
        if let Some(lease) = lease {
            lease.check()?;
        }
        match self
            .inner
            .insert_intent(intent, lease.map(|l| l.owner.as_str()))
            .await?
        {
            Some(id) => Ok(id),
            None => {
                let lease = lease.expect("only a fenced insert writes nothing");
                Err(lease.lose(lock::why_lost(self, &lease.tenant).await))
            }
        }
    }

    fn fenced(&self, lease: Arc<lock::Lease>) -> Store {
        Store {
            lease: Some(lease),
            ..self.clone()
        }
    }

    fn unfenced(&self) -> Store {
        Store {
            lease: None,
            ..self.clone()
        }
    }

    /// Appends one event to the feature log and returns the stored entry.
    pub async fn append_event(&self, event: &LogEvent) -> Result<LogEntry, StoreError> {
        let mut entries = self.append_events(std::slice::from_ref(event)).await?;
        entries
            .pop()
            .ok_or_else(|| StoreError::InvalidEvent("nothing was appended".into()))
    }
}

impl<S: StateStore + 'static> From<S> for Store {
    fn from(store: S) -> Store {
        Store {
            inner: Arc::new(store),
            terms: LeaseTerms::default(),
            lease: None,
        }
    }
}

/// The URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// This machine's name, shown (never compared) in a lock's description.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into())
}
