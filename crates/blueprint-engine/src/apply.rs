//! The deploy walk: the plan's dependency graph walked with bounded parallelism. Every change
//! is journalled before it is made (with the object's previous state) and when it completes,
//! so a crash or kill resumes from a fresh reading of the tenant without repeating or losing
//! work. A create whose outcome is unknown is followed by look-ups over Graph's replication
//! window, never a blind re-POST; reads of an object just written wait out replication too.
//! Each write is read back and verified. A failed change fails the run and its dependants are
//! skipped; independent branches finish.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use blueprint_catalogue::DesiredObject;
use blueprint_graph::{GraphError, Refusal};
use blueprint_store::{Change, ChangeIntent, ManagedObject, Store};
use petgraph::graphmap::DiGraphMap;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use crate::EngineError;
use crate::compare::diff;
use crate::observe::{Observation, observe};
use crate::plan::{Action, Op, Plan, RefLookup, compared_fields, resolve_refs};
use crate::progress::{Progress, ProgressEvent};
use crate::resources::{self, REPORT_ONLY};
use crate::route::TenantApis;

/// How a deploy runs.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// At most this many changes in flight (DESIGN.md: 10).
    pub parallelism: usize,
    /// Switch verified conditional access policies from report-only to their desired state.
    pub enforce: bool,
    pub sprint: Option<i64>,
    /// Delete objects this tool created for features since deselected.
    pub allow_delete: bool,
    /// Where files the catalogue names (`$file`, e.g. the terms of use PDF) are found: the
    /// workspace.
    pub files_dir: std::path::PathBuf,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            parallelism: 10,
            enforce: false,
            sprint: None,
            allow_delete: false,
            files_dir: std::path::PathBuf::from("."),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Done {
        op: String,
        object_id: String,
    },
    Unchanged,
    /// The change failed: why, and the service's own answer when it refused the request
    /// (its error code and request id, for the report and Microsoft support).
    Failed {
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        refused: Option<Refusal>,
    },
    Skipped {
        reason: String,
    },
}

/// Why a change failed, as it travels up from the step that failed: the words, and the
/// service's answer when a request was refused ([`GraphError::refusal`]), so that Graph's and
/// Exchange's error code and request id reach the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: String,
    /// Boxed: a failure travels up through every step's `Result`.
    pub refused: Option<Box<Refusal>>,
}

impl Failure {
    /// A failed request, with what was being done when it failed (`reading back`, …).
    pub(crate) fn during(what: &str, e: GraphError) -> Failure {
        let Failure { error, refused } = Failure::from(e);
        Failure {
            error: format!("{what}: {error}"),
            refused,
        }
    }
}

impl Failure {
    /// Records the failed change in the journal with the service's answer, when there was
    /// one. Best effort: the failure is what the caller reports, whether or not this lands.
    pub(crate) async fn journal(
        &self,
        store: &blueprint_store::Store,
        change: i64,
        after: Option<&Value>,
    ) {
        let refused = self
            .refused
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok());
        let _ = store
            .record_failed(change, &self.error, refused.as_ref(), after)
            .await;
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

impl From<GraphError> for Failure {
    fn from(e: GraphError) -> Failure {
        Failure {
            refused: e.refusal().map(Box::new),
            error: e.to_string(),
        }
    }
}

impl From<blueprint_store::StoreError> for Failure {
    fn from(e: blueprint_store::StoreError) -> Failure {
        Failure::from(e.to_string())
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        match e {
            EngineError::Graph(e) => Failure::from(*e),
            other => Failure::from(other.to_string()),
        }
    }
}

impl From<String> for Failure {
    fn from(error: String) -> Failure {
        Failure {
            error,
            refused: None,
        }
    }
}

impl From<&str> for Failure {
    fn from(error: &str) -> Failure {
        Failure::from(error.to_string())
    }
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome::Failed {
            error: f.error,
            refused: f.refused.map(|r| *r),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionResult {
    pub feature: String,
    pub reference: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    /// The run in the journal.
    pub run_id: i64,
    pub results: Vec<ActionResult>,
    /// Changes an earlier, interrupted run left unfinished (resolved by this run's reading).
    pub interrupted: Vec<String>,
}

impl DeployReport {
    pub fn failed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. }))
            .count()
    }

    pub fn done(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Done { .. }))
            .count()
    }
}

struct Context {
    client: TenantApis,
    store: Store,
    tenant: String,
    run_id: i64,
    enforce: bool,
    /// Ids by reference: what the tenant had, plus what this run created.
    ids: Mutex<HashMap<String, String>>,
    role_templates: Vec<String>,
    /// Where `$file` markers' relative paths start.
    files_dir: std::path::PathBuf,
    /// References more than one action changes: each re-reads the object first.
    shared: HashSet<String>,
}

impl crate::plan::RefLookup for Context {
    fn id(&self, reference: &str) -> Option<String> {
        self.ids.lock().expect("ids lock").get(reference).cloned()
    }

    fn all(&self, kind: &str) -> Vec<String> {
        match kind {
            "directoryRoleTemplate" => self.role_templates.clone(),
            _ => Vec::new(),
        }
    }
}

/// Applies a plan. The caller holds the tenant's deploy lock.
pub async fn apply(
    client: &TenantApis,
    store: &Store,
    tenant: &str,
    plan: &Plan,
    observation: &Observation,
    options: &DeployOptions,
    progress: &dyn Progress,
) -> Result<DeployReport, EngineError> {
    let run_id = store.begin_run(tenant, "deploy", options.sprint).await?;
    let interrupted = store
        .take_interrupted(tenant, run_id)
        .await?
        .into_iter()
        .map(|c| format!("{} {} (feature {})", c.op, c.reference, c.feature))
        .collect();
    reconcile_interrupted(store, tenant, observation).await?;
    let ids: HashMap<String, String> = observation
        .matches
        .keys()
        .filter_map(|r| observation.id_of(r).map(|id| (r.clone(), id)))
        .collect();

    // The dependency graph: an edge from what is needed to what needs it.
    let mut graph: DiGraphMap<usize, ()> = DiGraphMap::new();
    let index_of: HashMap<&str, usize> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.object.identity_key.is_some())
        .map(|(i, a)| (a.reference.as_str(), i))
        .collect();
    // Several features may own fields of one object (a singleton, a group setting): their
    // changes go one after another, each on a fresh reading of the object. A singleton both
    // API versions write (Intune's settings, v1.0's and beta's) is one object too: written side
    // by side, each write would carry the fields it read before the other's landed.
    let mut by_reference: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in plan.actions.iter().enumerate() {
        let one_object = match a.object.identity_key {
            None => format!("singleton {}", a.object.path.trim_start_matches("/beta")),
            Some(_) => a.reference.clone(),
        };
        by_reference.entry(one_object).or_default().push(i);
    }
    let shared: HashSet<String> = by_reference
        .values()
        .filter(|v| v.len() > 1)
        .flatten()
        .map(|&i| plan.actions[i].reference.clone())
        .collect();
    for (i, action) in plan.actions.iter().enumerate() {
        graph.add_node(i);
        for r in &action.depends_on {
            if let Some(&j) = index_of.get(r.as_str())
                && j != i
            {
                graph.add_edge(j, i, ());
            }
        }
    }
    for indices in by_reference.values() {
        for pair in indices.windows(2) {
            graph.add_edge(pair[0], pair[1], ());
        }
    }
    if let Err(cycle) = petgraph::algo::toposort(&graph, None) {
        return Err(EngineError::Catalogue(format!(
            "the desired objects reference each other in a cycle (through {})",
            plan.actions[cycle.node_id()].reference
        )));
    }

    let orphans = if plan.allow_delete {
        plan.orphans.len()
    } else {
        0
    };
    progress.report(ProgressEvent::Applying {
        actions: plan.actions.len() + orphans,
    });
    let ctx = Arc::new(Context {
        client: client.clone(),
        store: store.clone(),
        tenant: tenant.to_string(),
        run_id,
        enforce: options.enforce,
        ids: Mutex::new(ids),
        role_templates: observation.role_templates.clone(),
        files_dir: options.files_dir.clone(),
        shared,
    });

    let mut results: Vec<Option<ActionResult>> = vec![None; plan.actions.len()];
    let mut waiting: HashMap<usize, usize> = (0..plan.actions.len())
        .map(|i| {
            (
                i,
                graph
                    .neighbors_directed(i, petgraph::Direction::Incoming)
                    .count(),
            )
        })
        .collect();
    let mut failed: HashSet<usize> = HashSet::new();
    let mut ready: Vec<usize> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(i, _)| *i)
        .collect();
    ready.sort_unstable_by(|a, b| b.cmp(a));
    let mut running: JoinSet<(usize, ActionResult)> = JoinSet::new();
    let parallelism = options.parallelism.max(1);

    loop {
        while running.len() < parallelism
            && let Some(i) = ready.pop()
        {
            let action = plan.actions[i].clone();
            let blocker = graph
                .neighbors_directed(i, petgraph::Direction::Incoming)
                .find(|j| failed.contains(j));
            if let Some(j) = blocker {
                let result = ActionResult {
                    feature: action.feature.clone(),
                    reference: action.reference.clone(),
                    outcome: Outcome::Skipped {
                        reason: format!("{} did not succeed", plan.actions[j].reference),
                    },
                };
                progress.report(ProgressEvent::Finished {
                    result: result.clone(),
                });
                failed.insert(i);
                release(i, &graph, &mut waiting, &mut ready);
                results[i] = Some(result);
                continue;
            }
            let ctx = ctx.clone();
            running.spawn(async move {
                let outcome = execute(&ctx, &action).await;
                (
                    i,
                    ActionResult {
                        feature: action.feature.clone(),
                        reference: action.reference.clone(),
                        outcome,
                    },
                )
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, result) =
            joined.map_err(|e| EngineError::Internal(format!("a deploy task panicked: {e}")))?;
        progress.report(ProgressEvent::Finished {
            result: result.clone(),
        });
        if matches!(
            result.outcome,
            Outcome::Failed { .. } | Outcome::Skipped { .. }
        ) {
            failed.insert(i);
        }
        release(i, &graph, &mut waiting, &mut ready);
        results[i] = Some(result);
    }
    let mut results: Vec<ActionResult> = results.into_iter().flatten().collect();
    if plan.allow_delete {
        // After the walk, so nothing the agency still wants is left pointing at them; each
        // read first, so they go in the order a rollback removes them in (which may depend on
        // the object: a sublabel before its parent).
        let mut orphans = Vec::with_capacity(plan.orphans.len());
        for orphan in &plan.orphans {
            orphans.push((orphan, read_orphan(&ctx, orphan).await));
        }
        resources::sort_for_removal(&mut orphans, |(o, read)| {
            let object = read.as_ref().ok().and_then(|(_, before)| before.as_ref());
            (o.kind.as_str(), object)
        });
        for (orphan, read) in orphans {
            let deleted = match read {
                Ok((path, before)) => delete(&ctx, orphan, &path, before).await,
                Err(e) => Err(e),
            };
            let outcome = match deleted {
                Ok(true) => Outcome::Done {
                    op: "delete".into(),
                    object_id: orphan.object_id.clone(),
                },
                Ok(false) => Outcome::Unchanged,
                Err(e) => Outcome::from(e),
            };
            let result = ActionResult {
                feature: orphan.feature.clone(),
                reference: orphan.reference.clone(),
                outcome,
            };
            progress.report(ProgressEvent::Finished {
                result: result.clone(),
            });
            results.push(result);
        }
    }
    let report = DeployReport {
        run_id,
        results,
        interrupted,
    };
    store
        .finish_run(run_id, run_status(report.failed()))
        .await?;
    progress.report(ProgressEvent::Applied {
        done: report.done(),
        failed: report.failed(),
    });
    Ok(report)
}

/// Journal entries a killed run left without knowing what reached the tenant: a create whose
/// id never came back, a change never read back. (Deletes and rollback steps are settled by
/// reading the object when they are undone or retried.)
pub(crate) fn unreconciled(changes: &[Change]) -> impl Iterator<Item = &Change> {
    changes.iter().filter(|c| {
        c.status == "interrupted"
            && match c.op.as_str() {
                op if op.starts_with("create") => c.object_id.is_none(),
                "update" | "update+enforce" | "enforce" => c.after.is_none(),
                _ => false,
            }
    })
}

/// Settles what killed runs left unknown, from a fresh reading of the tenant. An interrupted
/// create whose object is there now made it (nobody else creates an object under a name the
/// plan had just found free): its id is recorded and it is managed as created by the tool, so
/// a rollback removes it and a deploy allowed to delete sees it, although this run adopts it by name. An
/// interrupted change records the object as it left it, so a rollback can undo it even when
/// this run finds nothing more to do.
pub(crate) async fn reconcile_interrupted(
    store: &Store,
    tenant: &str,
    observation: &Observation,
) -> Result<(), EngineError> {
    let changes = store.changes(tenant).await?;
    for change in unreconciled(&changes) {
        let Ok(Some(current)) = observation.single(&change.reference) else {
            continue;
        };
        let kind = change.reference.split(':').next().unwrap_or_default();
        let id = current["id"].as_str().unwrap_or_default();
        let assigned = observation
            .assignments
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let after = crate::plan::with_assignments(kind, current, assigned);
        let object = ManagedObject {
            reference: change.reference.clone(),
            kind: kind.to_string(),
            object_id: id.to_string(),
            feature: change.feature.clone(),
            created_by_tool: change.op.starts_with("create"),
        };
        store
            .record_reached(change.id, &object, tenant, Some(&after))
            .await?;
    }
    Ok(())
}

/// How a run that changed the tenant ended, as the store records it.
pub(crate) fn run_status(failed: usize) -> &'static str {
    if failed == 0 { "succeeded" } else { "failed" }
}

fn release(
    i: usize,
    graph: &DiGraphMap<usize, ()>,
    waiting: &mut HashMap<usize, usize>,
    ready: &mut Vec<usize>,
) {
    for next in graph.neighbors_directed(i, petgraph::Direction::Outgoing) {
        if let Some(n) = waiting.get_mut(&next) {
            *n -= 1;
            if *n == 0 {
                ready.push(next);
            }
        }
    }
}

fn failed(failure: impl Into<Failure>) -> Outcome {
    Outcome::from(failure.into())
}

async fn execute(ctx: &Context, action: &Action) -> Outcome {
    if let Some(reason) = &action.blocked {
        return Outcome::Skipped {
            reason: reason.clone(),
        };
    }
    // An adding kind's object did not exist when planned: its base's action (which this one
    // waited for) has created it since.
    let base_created_since =
        action.object_id.is_none() && resources::base_reference(&action.object).is_some();
    let refreshed;
    let action = if (ctx.shared.contains(&action.reference) || base_created_since)
        && action.op != Op::Check
    {
        match refresh(ctx, action).await {
            Ok(a) => {
                refreshed = a;
                &refreshed
            }
            Err(e) => return failed(e),
        }
    } else {
        action
    };
    let result = match action.op {
        Op::Unchanged | Op::Check => {
            if ctx.enforce && resources::is_conditional_access(&action.kind) {
                enforce(ctx, action).await
            } else {
                return Outcome::Unchanged;
            }
        }
        Op::Create => create(ctx, action).await,
        Op::Update => update(ctx, action).await,
    };
    match result {
        Ok(Some((op, id))) => Outcome::Done { op, object_id: id },
        Ok(None) => Outcome::Unchanged,
        Err(e) => failed(e),
    }
}

/// Re-reads a shared object (an earlier action of this run may have created or changed it)
/// and plans this action's part afresh.
async fn refresh(ctx: &Context, action: &Action) -> Result<Action, Failure> {
    let object = &action.object;
    let elsewhere = resources::provisioned_elsewhere(object);
    let current = match ctx
        .id(&object.reference)
        .or_else(|| action.object_id.clone())
        .or_else(|| {
            resources::base_reference(object)
                .filter(|_| !elsewhere)
                .and_then(|r| ctx.id(&r))
        }) {
        Some(id) => Some(ctx.client.get_known(&read_one(object, &id)).await?),
        None if !resources::has_id(object) => Some(ctx.client.get(&object.path).await?),
        None if elsewhere => Some(await_provisioned(ctx, object).await?),
        None => look_up(ctx, object).await?,
    };
    let actual = match &current {
        Some(c) if resources::has_assignments(&object.kind) => {
            let id = c["id"].as_str().unwrap_or_default();
            let assigned = ctx
                .client
                .list_known(&format!("{}/{id}/assignments", object.path))
                .await?;
            Some(crate::plan::with_assignments(&object.kind, c, &assigned))
        }
        other => other.clone(),
    };
    let (op, changes) = crate::plan::classify(object, actual.as_ref(), ctx, false);
    Ok(Action {
        op,
        changes,
        object_id: current
            .as_ref()
            .and_then(|c| c["id"].as_str())
            .map(str::to_string),
        current,
        ..action.clone()
    })
}

/// The object another service shows of its base (Exchange Online's face of a Microsoft 365
/// group Graph made), once it has provisioned it: looked for over the retry policy's
/// provisioning window, then a failure naming it and what to do.
async fn await_provisioned(ctx: &Context, object: &DesiredObject) -> Result<Value, Failure> {
    let found = ctx
        .client
        .until_provisioned(&object.reference, || look_up(ctx, object))
        .await?;
    found.ok_or_else(|| {
        let (service, base) = match blueprint_catalogue::kinds::kind(&object.kind) {
            Some(k) => (
                k.api.label(),
                resources::base_reference(object).unwrap_or_default(),
            ),
            None => ("the service", String::new()),
        };
        Failure::from(format!(
            "{} did not appear in {service} within {} s of {base} existing: the service shows it once it has provisioned it (for a new Microsoft 365 group, its mailbox; usually minutes). Deploy again later; the group is kept and its settings are then set.",
            object.reference,
            ctx.client.provisioning_window().as_secs()
        ))
    })
}

/// An object the tool created, as the tenant has it now (None: already gone), with its path.
async fn read_orphan(
    ctx: &Context,
    orphan: &crate::plan::Orphan,
) -> Result<(String, Option<Value>), Failure> {
    let path = blueprint_catalogue::kinds::kind(&orphan.kind)
        .and_then(|k| resources::journalled_path(k, Some(&orphan.object_id)))
        .ok_or_else(|| format!("unknown kind {}", orphan.kind))?;
    match ctx
        .client
        .get(&resources::read_one(&orphan.kind, &path))
        .await
    {
        Ok(v) => Ok((path, Some(v))),
        Err(e) if e.is_not_found() => Ok((path, None)),
        Err(e) => Err(e.into()),
    }
}

/// Deletes an object the tool created (read as `before`), its previous state journalled first.
/// Returns false when it was already gone.
async fn delete(
    ctx: &Context,
    orphan: &crate::plan::Orphan,
    path: &str,
    before: Option<Value>,
) -> Result<bool, Failure> {
    let change = ctx
        .store
        .record_intent(&ChangeIntent {
            run_id: ctx.run_id,
            tenant: &ctx.tenant,
            feature: &orphan.feature,
            reference: &orphan.reference,
            op: "delete",
            object_id: Some(&orphan.object_id),
            before: before.as_ref(),
        })
        .await?;
    let gone = match before {
        None => Ok(false),
        Some(_) => match ctx.client.delete(path).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(Failure::from(e)),
        },
    };
    match gone {
        Ok(deleted) => {
            ctx.store
                .record_released(change, &ctx.tenant, &orphan.reference, None, true)
                .await?;
            Ok(deleted)
        }
        Err(e) => {
            e.journal(&ctx.store, change, None).await;
            Err(e)
        }
    }
}

/// The object's path for reads and writes.
fn object_path(object: &DesiredObject, id: Option<&str>) -> String {
    match id {
        Some(id) if resources::has_id(object) => format!("{}/{id}", object.path),
        _ => object.path.clone(),
    }
}

/// The path that reads the object whole (with its expanded settings, when it has them).
fn read_one(object: &DesiredObject, id: &str) -> String {
    resources::read_one(&object.kind, &object_path(object, Some(id)))
}

fn resolved(ctx: &Context, value: &Value) -> Result<Value, Failure> {
    let mut unresolved = Vec::new();
    let v = resolve_refs(value, ctx, &mut unresolved);
    if let Some(r) = unresolved.first() {
        return Err(format!("{r} has no id yet (was it created?)").into());
    }
    Ok(v)
}

/// A create's body and what goes through side doors after it.
struct CreateBody {
    body: Value,
    /// The assignments, set through `/assign` once the object exists.
    assignments: Option<Value>,
    /// The collection set through its replacing action once the object exists (an app
    /// protection policy's `apps`).
    set_by_action: Option<Value>,
}

/// The body of a create: the blueprint's fields and create-only fields, references resolved,
/// side-door properties removed, conditional access report-only.
fn create_body(ctx: &Context, object: &DesiredObject) -> Result<CreateBody, Failure> {
    let mut body = resolved(ctx, &object.desired)?;
    if let Some(extra) = &object.create_only {
        let extra = crate::files::inline_files(&resolved(ctx, extra)?, &ctx.files_dir)?;
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    let map = body
        .as_object_mut()
        .ok_or("desired fields must be an object")?;
    let assignments = if resources::has_assignments(&object.kind) {
        map.remove(resources::ASSIGNMENTS)
    } else {
        None
    };
    let set_by_action = resources::set_by_action(&object.kind).and_then(|w| map.remove(w.property));
    if resources::is_conditional_access(&object.kind) {
        map.insert("state".into(), json!(REPORT_ONLY));
    }
    Ok(CreateBody {
        body,
        assignments,
        set_by_action,
    })
}

async fn journal_intent(
    ctx: &Context,
    action: &Action,
    op: &str,
    id: Option<&str>,
    before: Option<&Value>,
) -> Result<i64, Failure> {
    ctx.store
        .record_intent(&ChangeIntent {
            run_id: ctx.run_id,
            tenant: &ctx.tenant,
            feature: &action.feature,
            reference: &action.reference,
            op,
            object_id: id,
            before,
        })
        .await
        .map_err(Failure::from)
}

/// Records how a journalled change ended: done, with the object as it now is, or failed.
async fn settle(
    ctx: &Context,
    change: i64,
    action: &Action,
    created: bool,
    result: Result<(String, String, Value), Failure>,
) -> Result<Option<(String, String)>, Failure> {
    match result {
        Ok((op, id, after)) => {
            journal_done(ctx, change, action, &id, created, &after).await?;
            Ok(Some((op, id)))
        }
        Err(e) => {
            let after = left_by_failure(ctx, action).await;
            e.journal(&ctx.store, change, after.as_ref()).await;
            Err(e)
        }
    }
}

/// The object as a failed change left it, read back so a rollback can undo what reached the
/// tenant; None when it does not exist or cannot be read (the failure may be the connection).
async fn left_by_failure(ctx: &Context, action: &Action) -> Option<Value> {
    let object = &action.object;
    let id = ctx
        .id(&object.reference)
        .or_else(|| action.object_id.clone());
    if resources::has_id(object) && id.is_none() {
        return None;
    }
    let path = object_path(object, id.as_deref());
    let current = ctx
        .client
        .get(&resources::read_one(&object.kind, &path))
        .await
        .ok()?;
    if !resources::has_assignments(&object.kind) {
        return Some(current);
    }
    let assigned = ctx.client.list(&format!("{path}/assignments")).await.ok()?;
    Some(crate::plan::with_assignments(
        &object.kind,
        &current,
        &assigned,
    ))
}

/// `action`'s object, managed under `id`.
fn managed(action: &Action, id: &str, created: bool) -> ManagedObject {
    ManagedObject {
        reference: action.reference.clone(),
        kind: action.kind.clone(),
        object_id: id.to_string(),
        feature: action.feature.clone(),
        created_by_tool: created,
    }
}

async fn journal_done(
    ctx: &Context,
    change: i64,
    action: &Action,
    id: &str,
    created: bool,
    after: &Value,
) -> Result<(), Failure> {
    ctx.store
        .record_done(change, &managed(action, id, created), &ctx.tenant, after)
        .await
        .map_err(Failure::from)?;
    // The parent the object is nested under (its Apple enrolment program token), found and
    // never changed: journalled so that the next run reads the object under its id at once.
    if let Some((parameter, Some(reference))) = resources::nested_under(&action.object)
        && let Some(parent) = parameter.parent()
        && let Some(parent_id) = ctx.client.bound(parameter.placeholder)
    {
        let found = ManagedObject {
            reference,
            kind: parent.name.to_string(),
            object_id: parent_id,
            feature: action.feature.clone(),
            created_by_tool: false,
        };
        ctx.store
            .rely_on(&ctx.tenant, &found)
            .await
            .map_err(Failure::from)?;
    }
    Ok(())
}

/// Finds the object by its identity after a create whose outcome is unknown.
async fn look_up(ctx: &Context, object: &DesiredObject) -> Result<Option<Value>, Failure> {
    let seen = observe(&ctx.client, &[object]).await?;
    match seen.single(&object.reference) {
        Ok(found) => Ok(found.cloned()),
        Err(n) => Err(format!(
            "{n} objects now match {}; resolve by hand",
            object.reference
        )
        .into()),
    }
}

/// How many times a create whose answer was lost is sent, each after looking the object up
/// and not finding it. Re-sending is safe once the lookup came back empty; three sends left
/// one create in ~125 unfinished at a 20 % fault rate (the fault convergence test saw it),
/// five leave one in ~3,000. After the last send's answer is lost too the object is looked up
/// once more: adopted if that send made it, otherwise the create fails as known not made.
const LOST_CREATE_ATTEMPTS: u32 = 5;

/// Looks for the object a create whose answer was lost may have made: over Graph's
/// replication window for a Graph kind (its lists show a new object only once replicated), in
/// one read for a cmdlet kind (Exchange and Security & Compliance answer `Get-` from the
/// store `New-` wrote, as every other read of theirs here: [`TenantApis::get_known`]). Returns
/// its id. A cmdlet kind's create is `New-` then `Set-` for what `New-` does not take
/// (`ExchangeClient::create`): when `New-`'s answer was lost the `Set-` was never sent, so an
/// object found without the blueprint's values gets them now.
async fn look_for_lost_create(
    ctx: &Context,
    object: &DesiredObject,
) -> Result<Option<String>, Failure> {
    let kind = blueprint_catalogue::kinds::kind(&object.kind)
        .ok_or_else(|| format!("unknown kind {}", object.kind))?;
    let found = if kind.api.is_cmdlet_api() {
        look_up(ctx, object).await?
    } else {
        ctx.client
            .until_replicated(&object.reference, || look_up(ctx, object))
            .await?
    };
    let Some(found) = found else {
        return Ok(None);
    };
    let id = found["id"]
        .as_str()
        .map(str::to_string)
        .ok_or("found object has no id")?;
    if kind.api.is_cmdlet_api() {
        let desired = compared_fields(object, &resolved(ctx, &object.desired)?, false);
        let differing: HashSet<String> =
            diff(&desired, &found, resources::keyed_arrays(&object.kind))
                .iter()
                .map(|d| d.path.split(['.', '[']).next().unwrap_or("").to_string())
                .collect();
        let changes: Map<String, Value> = desired
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| differing.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changes.is_empty() {
            ctx.client
                .update(kind, &object_path(object, Some(&id)), &found, changes)
                .await
                .map_err(|e| Failure::during("setting what the lost create left unset", e))?;
        }
    }
    Ok(Some(id))
}

async fn create(ctx: &Context, action: &Action) -> Result<Option<(String, String)>, Failure> {
    let object = &action.object;
    // A fresh reading (a shared object's) may find it gone: still never created.
    if let Some(why) = crate::plan::never_created(object) {
        return Err(why.into());
    }
    let CreateBody {
        mut body,
        assignments,
        set_by_action,
    } = create_body(ctx, object)?;
    // Items written through an action of the object (administrative template values) go
    // after the create, through the action: the create takes the object's own properties.
    let by_action = resources::written_by_action(&object.kind).and_then(|w| {
        let items = body.as_object_mut()?.remove(w.property)?;
        Some((w, items))
    });
    let change = journal_intent(ctx, action, "create", None, None).await?;
    let result = async {
        let mut attempts = 0;
        let id = loop {
            attempts += 1;
            match ctx.client.post(&object.path, &body).await {
                Ok(created) => {
                    break created["id"]
                        .as_str()
                        .map(str::to_string)
                        .ok_or("created object has no id")?;
                }
                Err(e @ GraphError::OutcomeUnknown { .. }) => {
                    // The create may have committed: look before trying again, and after the
                    // last try too, so the run ends knowing whether the object exists.
                    if let Some(id) = look_for_lost_create(ctx, object).await? {
                        break id;
                    }
                    if attempts >= LOST_CREATE_ATTEMPTS {
                        return Err(Failure::from(format!(
                            "{} was not created: {attempts} attempts lost their answers and it is not in the tenant (the last: {e}); deploy again",
                            object.reference
                        )));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Known from now on: a later step failing, or a kill, leaves a create the journal
        // can find (and a rollback remove).
        ctx.store
            .record_reached(change, &managed(action, &id, true), &ctx.tenant, None)
            .await?;
        ctx.ids
            .lock()
            .expect("ids lock")
            .insert(object.reference.clone(), id.clone());
        if let (Some(write), Some(items)) = (resources::set_by_action(&object.kind), &set_by_action)
        {
            // A new object has none of the collection: the blueprint's items are all of it.
            let path = object_path(object, Some(&id));
            let (action_path, request) =
                resources::set_action_write(write, &path, &Value::Null, items);
            ctx.client
                .post_action(&action_path, &request)
                .await
                .map_err(|e| Failure::during(&format!("POST {action_path}"), e))?;
        }
        if let Some((write, items)) = &by_action {
            let path = object_path(object, Some(&id));
            if write.definitions.is_some() {
                // Just created: a replica behind the create answers 404 for a while.
                let read = read_one(object, &id);
                crate::definitions::send(
                    &ctx.client,
                    *write,
                    &path,
                    &read,
                    items,
                    &Value::Null,
                    true,
                )
                .await?;
            } else {
                let (action_path, request) = resources::action_write(*write, &path, items, &[]);
                ctx.client
                    .post_action(&action_path, &request)
                    .await
                    .map_err(|e| Failure::during(&format!("POST {action_path}"), e))?;
            }
        }
        if let Some(assignments) = &assignments {
            assign(ctx, object, &id, assignments).await?;
        }
        let after = verify(ctx, object, &id, false).await?;
        if ctx.enforce && resources::is_conditional_access(&object.kind) {
            enforce_state(ctx, action, &id, &after).await?;
            let enforced = ctx
                .client
                .get_known(&object_path(object, Some(&id)))
                .await?;
            return Ok(("create+enforce".to_string(), id, enforced));
        }
        Ok::<_, Failure>(("create".to_string(), id, after))
    }
    .await;
    settle(ctx, change, action, true, result).await
}

async fn assign(
    ctx: &Context,
    object: &DesiredObject,
    id: &str,
    assignments: &Value,
) -> Result<(), Failure> {
    let kind = blueprint_catalogue::kinds::kind(&object.kind)
        .ok_or_else(|| format!("unknown kind {}", object.kind))?;
    ctx.client
        .assign(kind, &format!("{}/{id}", object.path), assignments)
        .await
        .map_err(|e| Failure::during("assigning", e))
}

/// Reads the object back and checks the blueprint's fields took effect.
async fn verify(
    ctx: &Context,
    object: &DesiredObject,
    id: &str,
    enforcing: bool,
) -> Result<Value, Failure> {
    let path = object_path(object, Some(id));
    // Just written: a replica that has not caught up answers 404 for a while.
    let mut after = ctx
        .client
        .get_known(&read_one(object, id))
        .await
        .map_err(|e| Failure::during("reading back", e))?;
    if resources::has_assignments(&object.kind) {
        let assigned = ctx
            .client
            .list_known(&format!("{path}/assignments"))
            .await
            .map_err(|e| Failure::during("reading back assignments", e))?;
        after = crate::plan::with_assignments(&object.kind, &after, &assigned);
    }
    let desired = compared_fields(object, &resolved(ctx, &object.desired)?, enforcing);
    let differences = diff(&desired, &after, resources::keyed_arrays(&object.kind));
    if let Some(d) = differences.first() {
        return Err(format!(
            "read-back differs at {}: expected {}, found {}",
            d.path, d.expected, d.actual
        )
        .into());
    }
    Ok(after)
}

async fn update(ctx: &Context, action: &Action) -> Result<Option<(String, String)>, Failure> {
    let object = &action.object;
    let current = action.current.clone().unwrap_or(Value::Null);
    let id = current["id"].as_str().map(str::to_string);
    let desired = resolved(ctx, &object.desired)?;
    let compared = compared_fields(object, &desired, false);
    let changed_keys: HashSet<String> = action
        .changes
        .iter()
        .map(|c| c.path.split(['.', '[']).next().unwrap_or("").to_string())
        .collect();
    let mut body = Map::new();
    let mut assignments = None;
    let mut item_writes = Vec::new();
    let mut action_writes = Vec::new();
    let mut bound_writes = Vec::new();
    let by_action = resources::written_by_action(&object.kind);
    let set_by = resources::set_by_action(&object.kind);
    for (k, v) in compared.as_object().into_iter().flatten() {
        if !changed_keys.contains(k) {
            continue;
        }
        if k == resources::ASSIGNMENTS && resources::has_assignments(&object.kind) {
            assignments = Some(v.clone());
        } else if let Some(write) = by_action.filter(|w| w.property == k) {
            // The blueprint's items, added or changed; the tenant's others are left alone.
            let path = object_path(object, id.as_deref());
            if write.definitions.is_some() {
                bound_writes.push((write, path, v.clone()));
            } else {
                action_writes.push(resources::action_write(write, &path, v, &[]));
            }
        } else if let Some(write) = set_by.filter(|w| w.property == k) {
            // The whole collection: the tenant's items with the blueprint's laid over them.
            let path = object_path(object, id.as_deref());
            action_writes.push(resources::set_action_write(
                write,
                &path,
                &current[k.as_str()],
                v,
            ));
        } else if resources::written_per_item(&object.kind) == Some(k.as_str()) {
            let path = object_path(object, id.as_deref());
            item_writes = resources::item_writes(&object.kind, &path, &current, v)?;
        } else if let Some((_, key)) = resources::keyed_arrays(&object.kind)
            .iter()
            .find(|(p, _)| p == k)
        {
            body.insert(k.clone(), merge_keyed(&current[k.as_str()], v, key));
        } else {
            body.insert(k.clone(), v.clone());
        }
    }
    if let Some(t) = desired.get("@odata.type")
        && !body.is_empty()
    {
        body.insert("@odata.type".into(), t.clone());
    }
    // The snapshot carries the assignments the update replaces (they are not part of the
    // object Graph returns), so a rollback can put them back.
    let snapshot = match (&assignments, &id) {
        (Some(_), Some(id)) => {
            let assigned = ctx
                .client
                .list(&format!("{}/{id}/assignments", object.path))
                .await?;
            crate::plan::with_assignments(&object.kind, &current, &assigned)
        }
        _ => current.clone(),
    };
    let change = journal_intent(ctx, action, "update", id.as_deref(), Some(&snapshot)).await?;
    let result = async {
        let path = object_path(object, id.as_deref());
        if !body.is_empty() {
            let kind = blueprint_catalogue::kinds::kind(&object.kind)
                .ok_or_else(|| format!("unknown kind {}", object.kind))?;
            ctx.client.update(kind, &path, &current, body).await?;
        }
        for (item_path, patch) in &item_writes {
            ctx.client.patch(item_path, patch).await?;
        }
        for (action_path, request) in &action_writes {
            // The action sets the items it names to the values it gives: safe to resend.
            ctx.client
                .post_action(action_path, request)
                .await
                .map_err(|e| Failure::during(&format!("POST {action_path}"), e))?;
        }
        for (write, path, wanted) in &bound_writes {
            // Bound to the tenant's definitions; sent again over what a lost answer applied.
            let read = resources::read_one(&object.kind, path);
            let now = &current[write.property];
            crate::definitions::send(&ctx.client, *write, path, &read, wanted, now, false).await?;
        }
        let target = id.clone().unwrap_or_default();
        if let Some(a) = &assignments {
            assign(ctx, object, &target, a).await?;
        }
        let mut after = verify(ctx, object, &target, false).await?;
        let mut op = "update";
        if ctx.enforce && resources::is_conditional_access(&object.kind) {
            if enforce_state(ctx, action, &target, &after).await? {
                op = "update+enforce";
            }
            after = ctx.client.get_known(&path).await?;
        }
        Ok::<_, Failure>((op.to_string(), target, after))
    }
    .await;
    settle(ctx, change, action, false, result).await
}

/// A keyed list for PATCH: Graph replaces the whole list, so send the tenant's elements with
/// the blueprint's ones laid over them.
pub(crate) fn merge_keyed(current: &Value, desired: &Value, key: &str) -> Value {
    let mut out: Vec<Value> = current.as_array().cloned().unwrap_or_default();
    for d in desired.as_array().into_iter().flatten() {
        let wanted = crate::compare::item_key(d, key);
        match out
            .iter_mut()
            .find(|c| crate::compare::item_key(c, key) == wanted)
        {
            Some(c) => crate::merge_into(c, d),
            None => out.push(d.clone()),
        }
    }
    Value::Array(out)
}

/// An unchanged conditional access policy, when enforcing: switch it on if it is verified.
async fn enforce(ctx: &Context, action: &Action) -> Result<Option<(String, String)>, Failure> {
    let Some(id) = action.object_id.clone() else {
        return Ok(None);
    };
    let current = action.current.clone().unwrap_or(Value::Null);
    let desired_state = action
        .object
        .desired
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("enabled");
    if current["state"].as_str() == Some(desired_state) {
        return Ok(None);
    }
    let after = verify(ctx, &action.object, &id, false).await?;
    let change = journal_intent(ctx, action, "enforce", Some(&id), Some(&current)).await?;
    match enforce_state(ctx, action, &id, &after).await {
        Ok(_) => {
            let after = ctx
                .client
                .get(&object_path(&action.object, Some(&id)))
                .await?;
            journal_done(ctx, change, action, &id, false, &after).await?;
            Ok(Some(("enforce".into(), id)))
        }
        Err(e) => {
            e.journal(&ctx.store, change, None).await;
            Err(e)
        }
    }
}

/// PATCHes a verified policy's state to the blueprint's. Returns whether it changed.
async fn enforce_state(
    ctx: &Context,
    action: &Action,
    id: &str,
    verified: &Value,
) -> Result<bool, Failure> {
    let desired_state = action
        .object
        .desired
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("enabled");
    if verified["state"].as_str() == Some(desired_state) {
        return Ok(false);
    }
    let path = object_path(&action.object, Some(id));
    ctx.client
        .patch(&path, &json!({ "state": desired_state }))
        .await
        .map_err(|e| Failure::during("enforcing", e))?;
    Ok(true)
}
