//! Jobs: the deploys and evaluations the web server runs in the background,
//! kept in the server's database so that any `serve` process sharing it can claim one, stream
//! its progress, and notice one whose process died.
//!
//! A job is `queued` until a runner claims it (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two
//! runners never claim one job and never wait on each other; SQLite: under the database's
//! single write lock). A claimed job is `running` under a lease its runner renews; a running
//! job whose lease lapsed lost its runner and is marked `interrupted`. It ends `succeeded` or
//! `failed`, with its result. Its progress is a list of events (JSON), read back in order by
//! anyone watching.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::Role;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    /// Its runner went away while it ran (the server stopped or died).
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    /// Whether the job is over: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Interrupted
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Interrupted,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown job status `{s}`"))
    }
}

/// A job to queue: what to run (`kind`, e.g. `deploy`, `evaluate`, and its `request`) on which
/// engagement, for whom.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub engagement: &'a str,
    pub kind: &'a str,
    pub request: &'a Value,
    pub actor: &'a str,
    pub role: Role,
}

/// A job as the database holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub engagement: String,
    pub kind: String,
    pub request: Value,
    pub actor: String,
    pub role: Role,
    pub status: JobStatus,
    /// The runner that claimed it (a random id per runner).
    #[serde(skip)]
    pub runner: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// What it did: the front end's summary of the engine's outcome.
    pub result: Option<Value>,
}

/// One line of a job's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobEvent {
    /// Increasing across all jobs: a watcher asks for the events after the last it saw.
    pub id: i64,
    pub job_id: i64,
    pub time: String,
    pub event: Value,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The columns of a job, in the order `job_from_row` reads them.
macro_rules! job_columns {
    () => {
        "id, engagement, kind, request, actor, role, status, runner, created_at, started_at, finished_at, result"
    };
}
pub(crate) use job_columns;

/// Migration 6 of both backends, `$id` being the backend's auto-numbered key: the jobs and
/// their progress events. Times for people are RFC 3339 text; times compared (the lease, a
/// schedule's "since") are milliseconds.
macro_rules! jobs_tables {
    ($id:literal) => {
        concat!(
            "CREATE TABLE jobs (
    id          ",
            $id,
            ",
    engagement  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    request     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',
    runner      TEXT,
    created_at  TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    lease_ms    BIGINT,
    result      TEXT
);
CREATE INDEX jobs_by_status ON jobs(status, id);
CREATE INDEX jobs_by_engagement ON jobs(engagement, kind, created_ms);
CREATE TABLE job_events (
    id     ",
            $id,
            ",
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    time   TEXT NOT NULL,
    event  TEXT NOT NULL
);
CREATE INDEX job_events_by_job ON job_events(job_id, id);
"
        )
    };
}
pub(crate) use jobs_tables;

/// A `jobs` row ([`job_columns`] order) as a [`Job`].
pub(crate) fn job_from_row<R>(r: &R) -> Result<Job, crate::StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let bad = |what: &str, e: String| crate::StoreError::Sqlite(format!("a job's {what}: {e}"));
    let json = |i: usize| -> Result<Option<Value>, crate::StoreError> {
        r.try_get::<Option<String>, _>(i)?
            .map(|s| serde_json::from_str(&s).map_err(|e| bad("JSON", e.to_string())))
            .transpose()
    };
    Ok(Job {
        id: r.try_get(0)?,
        engagement: r.try_get(1)?,
        kind: r.try_get(2)?,
        request: json(3)?.unwrap_or(Value::Null),
        actor: r.try_get(4)?,
        role: r
            .try_get::<String, _>(5)?
            .parse()
            .map_err(|e| bad("role", e))?,
        status: r
            .try_get::<String, _>(6)?
            .parse()
            .map_err(|e| bad("status", e))?,
        runner: r.try_get(7)?,
        created_at: r.try_get(8)?,
        started_at: r.try_get(9)?,
        finished_at: r.try_get(10)?,
        result: json(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written() {
        for s in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Interrupted,
        ] {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), s);
        }
        assert!("done".parse::<JobStatus>().is_err());
        assert!(!JobStatus::Running.is_final() && JobStatus::Interrupted.is_final());
    }
}
