//! The job runner as a server runs it ([`Jobs::spawn`]): what it finds left running by a server
//! that died is marked interrupted when it starts, a job posted to it is claimed and finished,
//! and two servers sharing one PostgreSQL database never run the same job twice.

use std::sync::Arc;
use std::time::Duration;

use blueprint_store::{EventKind, Job, JobStatus, Role, Store};
use blueprint_web::jobs::Timing;
use blueprint_web::{Jobs, Registry};
use serde_json::json;

use super::{LiveOptions, live, live_with, sign_in, start_job};

/// A schema of its own on the machine's PostgreSQL (or `BLUEPRINT_TEST_POSTGRES`), for a
/// server database that several runners share; removed by [`PgSchema::remove`].
struct PgSchema {
    base: String,
    schema: String,
}

impl PgSchema {
    async fn sql(base: &str, statement: String) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(base)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {base} is not reachable ({e}): start it (.ci/run does) or point BLUEPRINT_TEST_POSTGRES at one")
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .unwrap();
    }

    async fn new(name: &str) -> PgSchema {
        let base = std::env::var("BLUEPRINT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("{name}_{}", std::process::id());
        PgSchema::sql(
            &base,
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
        )
        .await;
        PgSchema { base, schema }
    }

    fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options[search_path]={}",
            self.base, self.schema
        )
    }

    async fn remove(self) {
        PgSchema::sql(&self.base, format!("DROP SCHEMA {} CASCADE", self.schema)).await;
    }
}

/// Waits, boundedly, until every job in `ids` has ended; the jobs as they ended.
async fn ended(store: &Store, ids: &[i64]) -> Vec<Job> {
    for _ in 0..1200 {
        let mut jobs = Vec::new();
        for id in ids {
            jobs.push(store.job(*id).await.unwrap().expect("the job"));
        }
        if jobs.iter().all(|j| j.status.is_final()) {
            return jobs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("jobs {ids:?} did not end within two minutes");
}

/// How many times a job's progress says it ended: once for a job run once.
async fn ends_recorded(store: &Store, id: i64) -> usize {
    store
        .job_events(id, 0)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event["event"] == "done")
        .count()
}

#[tokio::test]
async fn a_server_starting_marks_the_jobs_left_running_interrupted_and_runs_what_is_posted() {
    let l = live(Default::default()).await;
    let state = &l.state;
    let agency = sign_in(state, Role::Agency, Some("dta"));
    // A deploy claimed by a server that died: its lease has lapsed, nobody renews it.
    let left = start_job(state, &agency, json!({"kind": "deploy"})).await;
    let store = state.jobs.store();
    let claimed = store
        .claim_job("the-server-that-died", blueprint_store::jobs::now_ms() - 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, left);
    // Queued behind it (one job per engagement at a time): runs only once it is marked.
    let waiting = start_job(state, &agency, json!({"kind": "evaluate"})).await;

    // The server starts: its runner, nothing called by hand.
    let runner = state.jobs.clone().spawn(state.registry.clone());
    let posted = start_job(state, &agency, json!({"kind": "deploy"})).await;
    let jobs = ended(store, &[left, waiting, posted]).await;
    runner.abort();
    assert_eq!(jobs[0].status, JobStatus::Interrupted, "{:?}", jobs[0]);
    let said = store.job_events(left, 0).await.unwrap();
    assert_eq!(said.last().unwrap().event["event"], "interrupted");
    for job in &jobs[1..] {
        assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
        assert_ne!(job.runner.as_deref(), Some("the-server-that-died"));
        assert_eq!(ends_recorded(store, job.id).await, 1, "job {}", job.id);
    }
    l.emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_servers_sharing_postgresql_run_each_posted_job_exactly_once() {
    let pg = PgSchema::new("web_runners").await;
    let l = live_with(LiveOptions {
        database: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let state = &l.state;
    let agency = sign_in(state, Role::Agency, Some("dta"));
    // Two servers, as two processes would be: each its own connection to the database, its
    // own registry read from it, its own runner looking for work every 20 ms.
    let timing = Timing {
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(30),
    };
    let mut runners = Vec::new();
    for _ in 0..2 {
        let store = Store::connect(&pg.url()).await.unwrap();
        let registry = Arc::new(Registry::load(&store).await.unwrap());
        runners.push(Arc::new(Jobs::new(store).with_timing(timing)).spawn(registry));
    }
    // Posted while both look for work.
    const POSTED: usize = 8;
    let mut ids = Vec::new();
    for _ in 0..POSTED {
        ids.push(start_job(state, &agency, json!({"kind": "evaluate"})).await);
    }
    let store = state.jobs.store();
    let jobs = ended(store, &ids).await;
    for runner in &runners {
        runner.abort();
    }
    let mut by_runner = std::collections::BTreeMap::<String, usize>::new();
    for job in &jobs {
        assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
        assert_eq!(
            ends_recorded(store, job.id).await,
            1,
            "job {} ran once",
            job.id
        );
        *by_runner.entry(job.runner.clone().unwrap()).or_default() += 1;
    }
    println!("jobs run by each server: {:?}", by_runner.values());
    // Each evaluation run leaves one `evaluated` entry: one per job, none twice.
    let log =
        blueprint_engine::engagement::read_log(&state.registry.get("dta").unwrap().workspace.state)
            .await
            .unwrap();
    let evaluated = log
        .iter()
        .filter(|e| e.event.kind == EventKind::Evaluated)
        .count();
    assert_eq!(evaluated, POSTED);
    l.emulator.shutdown().await.unwrap();
    pg.remove().await;
}
