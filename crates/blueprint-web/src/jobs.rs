//! Deploys and evaluations started from the web, run as background jobs: queued in the
//! server's database ([`blueprint_store::jobs`]), claimed by a runner in any `serve` process
//! sharing it, run through the engine exactly as the command line runs them (the deploy under
//! the tenant's deploy lock; the result in the feature log), their progress written to the
//! database as it happens so whichever server a browser asks streams it.
//!
//! A deploy from the web deploys one sprint (the current one unless the request names
//! another): it plans, and applies that plan as approved ([`Session::apply`] refuses it when
//! the tenant changed in between); or it applies a plan a person approved earlier
//! (`blueprint plan --out FILE`, sent as `plan`), exactly.

use std::sync::Arc;
use std::time::Duration;

use blueprint_engine::engagement;
use blueprint_engine::{
    ApprovedPlan, DeployOptions, EngineError, Op, Progress, ProgressEvent, Session, Verdict,
};
use blueprint_store::{Job, JobStatus, NewJob, Role, Store, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Principal;
use crate::registry::{Entry, Registry};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Deploy,
    Evaluate,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deploy => "deploy",
            JobKind::Evaluate => "evaluate",
        }
    }
}

/// A job as asked for: `POST /api/engagements/{id}/jobs`, or the engagement page's form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub kind: JobKind,
    /// Deploy: the sprint to deploy (default: the current one, the first not complete).
    #[serde(default)]
    pub sprint: Option<u32>,
    /// Deploy: switch verified conditional access policies from report-only on.
    #[serde(default)]
    pub enforce: bool,
    /// Deploy: a plan a person approved (`blueprint plan --out FILE`'s contents), applied
    /// exactly; its sprint and enforcement are the plan's.
    #[serde(default)]
    pub plan: Option<String>,
}

impl JobRequest {
    /// Refuses what cannot run, before it is queued.
    pub fn check(&self) -> Result<(), String> {
        if self.kind == JobKind::Evaluate
            && (self.sprint.is_some() || self.enforce || self.plan.is_some())
        {
            return Err("an evaluation takes no sprint, enforce or plan".into());
        }
        if let Some(plan) = &self.plan {
            ApprovedPlan::from_file(plan).map_err(|e| format!("plan: {e}"))?;
            if self.sprint.is_some() || self.enforce {
                return Err("a plan carries its own sprint and enforcement".into());
            }
        }
        if self.sprint == Some(0) {
            return Err("sprints are numbered from 1".into());
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "sprint": self.sprint,
            "enforce": self.enforce,
            "plan": self.plan,
        })
    }
}

/// How often a runner looks for work when nobody wakes it, and how long a claimed job's lease
/// runs before it must be renewed (renewed every third of it).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub poll: Duration,
    pub lease: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            poll: Duration::from_secs(2),
            lease: Duration::from_secs(30),
        }
    }
}

/// The jobs of one server: its database, its runner's id, and what wakes the runner.
pub struct Jobs {
    store: Store,
    runner: String,
    wake: tokio::sync::Notify,
    timing: Timing,
    /// At most this many jobs at once in this process (each on a different engagement).
    parallel: usize,
    schedule: crate::schedule::Schedule,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A job's progress: each event of the engine (and each line the job says) goes down a
/// channel, and a writer task appends them to the database in order. `report` never waits.
struct JobProgress {
    tx: tokio::sync::mpsc::UnboundedSender<Value>,
}

impl Progress for JobProgress {
    fn report(&self, event: ProgressEvent) {
        if let Ok(value) = serde_json::to_value(&event) {
            let _ = self.tx.send(value);
        }
    }
}

impl JobProgress {
    /// Nothing more: the writer stops once it has written what came before.
    fn end(&self) {
        let _ = self.tx.send(Value::Null);
    }

    fn say(&self, text: impl Into<String>) {
        let _ = self
            .tx
            .send(json!({"event": "message", "text": text.into()}));
    }
}

/// How a job ended: its status and result.
struct Ended {
    status: JobStatus,
    result: Value,
}

impl Jobs {
    pub fn new(store: Store) -> Jobs {
        Jobs {
            store,
            runner: format!("{}-{}", std::process::id(), crate::auth::random_token()),
            wake: tokio::sync::Notify::new(),
            timing: Timing::default(),
            parallel: 4,
            schedule: crate::schedule::Schedule::default(),
        }
    }

    pub fn with_timing(mut self, timing: Timing) -> Jobs {
        self.timing = timing;
        self
    }

    pub fn with_schedule(mut self, schedule: crate::schedule::Schedule) -> Jobs {
        self.schedule = schedule;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Queues `request` on `entry` for `principal` (whose permission the caller checked) and
    /// wakes the runner.
    pub async fn start(
        &self,
        entry: &Entry,
        principal: &Principal,
        request: &JobRequest,
    ) -> Result<Job, StoreError> {
        let body = request.to_json();
        let job = self
            .store
            .enqueue_job(
                &NewJob {
                    engagement: entry.id(),
                    kind: request.kind.as_str(),
                    request: &body,
                    actor: &principal.name,
                    role: principal.role,
                },
                None,
            )
            .await?
            .ok_or_else(|| StoreError::Sqlite("the job was not queued".into()))?;
        self.wake.notify_one();
        Ok(job)
    }

    /// Queues the scheduled evaluations that are due ([`crate::schedule`]).
    pub async fn queue_scheduled(&self, registry: &Registry) -> Result<Vec<Job>, StoreError> {
        let mut queued = Vec::new();
        for entry in registry.entries() {
            let Some(every) = self.schedule.interval(entry.id()) else {
                continue;
            };
            let body = json!({"kind": "evaluate", "scheduled": crate::schedule::describe(every)});
            let since = blueprint_store::jobs::now_ms() - millis(every);
            if let Some(job) = self
                .store
                .enqueue_job(
                    &NewJob {
                        engagement: entry.id(),
                        kind: JobKind::Evaluate.as_str(),
                        request: &body,
                        actor: crate::schedule::ACTOR,
                        role: Role::Agency,
                    },
                    Some(since),
                )
                .await?
            {
                queued.push(job);
            }
        }
        Ok(queued)
    }

    /// Marks interrupted the running jobs whose runner stopped renewing them (a server that
    /// stopped or died); their ids.
    pub async fn interrupt_lapsed(&self) -> Result<Vec<i64>, StoreError> {
        self.store
            .interrupt_lapsed_jobs(blueprint_store::jobs::now_ms())
            .await
    }

    /// Claims the next job and runs it to its end; `None` when there is nothing to run. What
    /// a runner does in its loop, and what a test calls to run a job where it can wait for it.
    pub async fn run_next(&self, registry: &Registry) -> Result<Option<Job>, StoreError> {
        let Some(job) = self.claim().await? else {
            return Ok(None);
        };
        self.run(registry, job).await.map(Some)
    }

    async fn claim(&self) -> Result<Option<Job>, StoreError> {
        let lease_until = blueprint_store::jobs::now_ms() + millis(self.timing.lease);
        self.store.claim_job(&self.runner, lease_until).await
    }

    /// Runs a claimed job, renewing its lease meanwhile, and records how it ended.
    async fn run(&self, registry: &Registry, job: Job) -> Result<Job, StoreError> {
        let renewing = {
            let store = self.store.clone();
            let runner = self.runner.clone();
            let lease = self.timing.lease;
            let id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    let until = blueprint_store::jobs::now_ms() + millis(lease);
                    match store.renew_job(id, &runner, until).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!("job {id}: its lease was lost (marked interrupted)");
                            return;
                        }
                        Err(e) => tracing::warn!("job {id}: renewing its lease: {e}"),
                    }
                }
            })
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let writer = {
            let store = self.store.clone();
            let id = job.id;
            tokio::spawn(async move {
                // `null` ends the job's progress: the writer does not wait for every sender
                // to be dropped (a client may keep the session's observer a while).
                let mut open = true;
                while open && let Some(first) = rx.recv().await {
                    let mut batch = vec![first];
                    while let Ok(more) = rx.try_recv() {
                        batch.push(more);
                    }
                    if let Some(end) = batch.iter().position(Value::is_null) {
                        batch.truncate(end);
                        open = false;
                    }
                    if let Err(e) = store.append_job_events(id, &batch).await {
                        tracing::warn!("job {id}: recording its progress: {e}");
                    }
                }
            })
        };
        let progress = Arc::new(JobProgress { tx });
        let ended = match registry.get(&job.engagement) {
            Some(entry) => execute(entry, &job, progress.clone()).await,
            None => Err(EngineError::Usage(format!(
                "engagement `{}` is not registered with this server",
                job.engagement
            ))),
        };
        let ended = match ended {
            Ok(ended) => ended,
            Err(EngineError::Store(StoreError::Locked(holder))) => {
                // Another deploy holds the tenant: the job waits its turn in the queue.
                tracing::info!(
                    "job {}: tenant {} is locked by {}; queued again",
                    job.id,
                    holder.tenant,
                    holder.describe()
                );
                progress.end();
                let _ = writer.await;
                renewing.abort();
                self.store
                    .finish_job(job.id, &self.runner, JobStatus::Queued, None)
                    .await?;
                return Ok(self.store.job(job.id).await?.unwrap_or(job));
            }
            Err(e) => {
                if !e.is_input() {
                    tracing::error!("job {}: {e}", job.id);
                }
                Ended {
                    status: JobStatus::Failed,
                    result: json!({"error": e.to_string()}),
                }
            }
        };
        progress
            .tx
            .send(json!({"event": "done", "status": ended.status}))
            .ok();
        progress.end();
        // Every progress line is in the database before the job is seen to end.
        let _ = writer.await;
        renewing.abort();
        self.store
            .finish_job(job.id, &self.runner, ended.status, Some(&ended.result))
            .await?;
        Ok(self.store.job(job.id).await?.unwrap_or(job))
    }

    /// The runner: marks lapsed jobs interrupted, queues scheduled evaluations, and runs
    /// queued jobs (up to `parallel` at once), until the task is dropped.
    pub fn spawn(self: Arc<Self>, registry: Arc<Registry>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(self.parallel));
            loop {
                if let Err(e) = self.interrupt_lapsed().await {
                    tracing::warn!("looking for interrupted jobs: {e}");
                }
                if let Err(e) = self.queue_scheduled(&registry).await {
                    tracing::warn!("queueing scheduled evaluations: {e}");
                }
                loop {
                    let Ok(slot) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    match self.claim().await {
                        Ok(Some(job)) => {
                            let jobs = self.clone();
                            let registry = registry.clone();
                            tokio::spawn(async move {
                                if let Err(e) = jobs.run(&registry, job).await {
                                    tracing::warn!("running a job: {e}");
                                }
                                drop(slot);
                                jobs.wake.notify_one();
                            });
                        }
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!("claiming a job: {e}");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.timing.poll) => {}
                }
            }
        })
    }
}

/// Runs the job through the engine, as its actor.
async fn execute(
    entry: &Entry,
    job: &Job,
    progress: Arc<JobProgress>,
) -> Result<Ended, EngineError> {
    let request: JobRequest = serde_json::from_value(
        // A scheduled evaluation's request carries when it was scheduled; that is all.
        match job.request.get("scheduled") {
            Some(_) => json!({"kind": "evaluate"}),
            None => job.request.clone(),
        },
    )
    .map_err(|e| EngineError::Usage(format!("the job's request: {e}")))?;
    let principal = Principal {
        name: job.actor.clone(),
        role: job.role,
        organisation: None,
    };
    let workspace = entry.acting_as(&principal)?;
    let mut session = Session::open(workspace, progress.clone())?;
    let ended = match request.kind {
        JobKind::Deploy => deploy(&mut session, &request, &progress).await,
        JobKind::Evaluate => evaluate(&session, &progress).await,
    };
    session.close().await;
    ended
}

async fn deploy(
    session: &mut Session,
    request: &JobRequest,
    progress: &JobProgress,
) -> Result<Ended, EngineError> {
    session.may_deploy()?;
    let file = request
        .plan
        .as_deref()
        .map(ApprovedPlan::from_file)
        .transpose()
        .map_err(EngineError::Usage)?;
    let (sprint, enforce) = match &file {
        Some(f) => (f.fingerprint.sprint, f.fingerprint.enforce),
        None => match request.sprint {
            Some(n) => (Some(i64::from(n)), request.enforce),
            None => (current_sprint(session).await?, request.enforce),
        },
    };
    let sprint = sprint.ok_or_else(|| {
        EngineError::Usage("no sprint plan is recorded: plan the sprints first".into())
    })?;
    progress.say(format!("Planning sprint {sprint} against the tenant"));
    let scope = session.restrict_to_sprint(sprint).await?;
    let planned = session.preview(enforce, false).await?;
    let approved = file.unwrap_or_else(|| planned.approved());
    let changes = planned
        .plan
        .actions
        .iter()
        .filter(|a| matches!(a.op, Op::Create | Op::Update))
        .count();
    progress.say(format!(
        "{changes} change(s) planned for {}",
        scope.features.join(", ")
    ));
    if !planned.plan.has_changes() && request.plan.is_none() {
        session.record_execution_plan().await?;
        progress.say("Nothing to deploy: the tenant already matches the blueprint");
        return Ok(Ended {
            status: JobStatus::Succeeded,
            result: json!({"sprint": sprint, "changed": 0, "failed": 0, "needs_attestation": scope.needs_attestation}),
        });
    }
    let options = DeployOptions {
        sprint: Some(sprint),
        ..DeployOptions::default()
    };
    let report = session.apply(&approved, &options).await?;
    let failed = report.failed();
    progress.say(format!(
        "Deployed: {} changed, {failed} failed or skipped",
        report.done()
    ));
    Ok(Ended {
        status: if failed == 0 {
            JobStatus::Succeeded
        } else {
            JobStatus::Failed
        },
        result: json!({
            "sprint": sprint,
            "changed": report.done(),
            "failed": failed,
            "needs_attestation": scope.needs_attestation,
            "report": report,
        }),
    })
}

/// The first sprint not complete (the last when all are): what a deploy from the web deploys
/// unless told otherwise.
async fn current_sprint(session: &Session) -> Result<Option<i64>, EngineError> {
    let report = engagement::status_report(&session.workspace).await?;
    let sprints = &report.status.sprints;
    Ok(sprints
        .iter()
        .find(|s| !s.complete())
        .or(sprints.last())
        .map(|s| s.sprint))
}

async fn evaluate(session: &Session, progress: &JobProgress) -> Result<Ended, EngineError> {
    progress.say("Reading the tenant and evaluating every selected feature");
    let evaluation = session.evaluate().await?;
    let ids = |verdict: Verdict| -> Vec<&str> {
        evaluation
            .features
            .iter()
            .filter(|f| f.verdict == verdict)
            .map(|f| f.id.as_str())
            .collect()
    };
    let (pass, fail) = (ids(Verdict::Pass), ids(Verdict::Fail));
    progress.say(format!(
        "Evaluated: {} pass, {} fail, {} not deployed, {} manual",
        pass.len(),
        fail.len(),
        evaluation.count(Verdict::NotDeployed),
        evaluation.count(Verdict::Manual)
    ));
    Ok(Ended {
        status: JobStatus::Succeeded,
        result: json!({
            "pass": pass,
            "fail": fail,
            "not_deployed": evaluation.count(Verdict::NotDeployed),
            "manual": evaluation.count(Verdict::Manual),
        }),
    })
}
