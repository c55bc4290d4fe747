//! Rolling a sprint back: every object the sprint's deploys changed is restored from the
//! snapshot the journal took before the sprint's first change to it, and every object they
//! created is removed, in reverse order of the changes (so dependants go before what they
//! depend on). Objects the tool never touched are never read for writing, let alone changed.
//!
//! The journal's entries count when they reached the tenant: completed changes, and changes
//! that failed or were interrupted after the create returned its id or the object was read
//! back. A sprint deployed more than once (run again, or resumed after a kill) changed an
//! object more than once: it goes back to the OLDEST snapshot in one step, never through the
//! states in between.
//!
//! Only the properties the sprint changed (oldest snapshot and newest differ) and that the
//! blueprint may write are put back; what Graph maintains itself (ids, timestamps) is left to
//! Graph. Before removing or restoring an object, the rollback compares it with what the sprint
//! left (the NEWEST snapshot): an object whose writable properties differ (someone changed it
//! since) is refused, naming the properties, and the rest is undone; only `force` undoes it
//! anyway, since that would undo their work.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use blueprint_catalogue::kinds::KindSpec;
use blueprint_graph::{GraphError, Refusal};
use blueprint_store::{
    Change, ChangeIntent, EventKind, FeatureState, LogEvent, Store, digest_json, feature_status,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::apply::Failure;
use crate::resources::{self, ASSIGNMENTS};
use crate::{EngineError, Session};

#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    pub sprint: i64,
    /// Roll back although a later sprint builds on this one, or an object changed since.
    pub force: bool,
}

/// What one step of a rollback did to one object.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackStep {
    pub feature: String,
    pub reference: String,
    /// `remove` (created by the sprint), `restore` (changed by it), `recreate` (deleted by it).
    pub action: String,
    /// None when it succeeded.
    pub error: Option<String>,
    /// The service's answer when it refused the step's request (its code and request id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// Refused because someone changed the object after the sprint deployed it: forcing the
    /// rollback would undo their change.
    pub changed_since: bool,
    /// The properties that changed since, when refused for that.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

const CHANGED_SINCE: &str = "changed since the sprint deployed it";

/// No run's id: every entry left in flight is another (dead) run's.
const NO_RUN: i64 = 0;

#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    pub sprint: i64,
    pub run_id: i64,
    pub steps: Vec<RollbackStep>,
    /// The features recorded as rolled back (every step of theirs succeeded).
    pub rolled_back: Vec<String>,
}

impl RollbackReport {
    pub fn failed(&self) -> usize {
        self.steps.iter().filter(|s| s.error.is_some()).count()
    }
}

struct UndoList {
    undo: Vec<Undo>,
    kept: HashSet<String>,
    /// Features the feature log still shows deployed in the sprint with nothing of theirs
    /// left to undo: an earlier rollback killed before it logged them undid their objects, or
    /// their deploys found nothing to change. They are recorded as rolled back with the rest.
    undone_unlogged: Vec<String>,
}

/// How an object is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UndoAction {
    /// The sprint created it: delete it.
    Remove,
    /// The sprint changed it: put back the properties it changed.
    Restore,
    /// The sprint deleted it: create it again from its snapshot.
    Recreate,
}

impl UndoAction {
    fn of(op: &str) -> UndoAction {
        if op.starts_with("create") {
            UndoAction::Remove
        } else if op == "delete" {
            UndoAction::Recreate
        } else {
            UndoAction::Restore
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            UndoAction::Remove => "remove",
            UndoAction::Restore => "restore",
            UndoAction::Recreate => "recreate",
        }
    }
}

/// What one feature's changes in the sprint did to one object, collapsed over every deploy
/// run of the sprint (a sprint deployed twice, or resumed after a kill, changed it more than
/// once): undone in one step, from the oldest snapshot, checked against the newest.
#[derive(Debug, Clone)]
struct Undo {
    feature: String,
    reference: String,
    action: UndoAction,
    object_id: Option<String>,
    /// The object before the sprint's first change to it (None: the sprint created it).
    before: Option<Value>,
    /// The object as this feature's changes left it (what its restore undoes).
    after: Option<Value>,
    /// The object as the sprint left it, whichever feature changed it last: what the tenant
    /// must still hold for the undo to go ahead unforced.
    left: Option<Value>,
    /// The newest journal entry the step undoes (steps run newest first).
    last: i64,
    /// Other features whose changes to the object the step undoes too (a remove takes the
    /// updates of every feature that shares the object the sprint created).
    also: Vec<String>,
}

impl Undo {
    /// The properties of the tenant's object (`current`) that differ from what the sprint left
    /// (someone changed it since): empty when the undo may go ahead unforced. A restore also
    /// accepts the values before and after its own changes (an earlier step of this rollback,
    /// or an interrupted one, may have put them back already). A create that failed before it
    /// was read back left no snapshot to compare: the object is the tool's own, as the sprint
    /// made it. The preview and the rollback both decide with this.
    fn changed_since(&self, kind: &KindSpec, current: &Value) -> Vec<String> {
        match (self.action, &self.before, &self.after) {
            (UndoAction::Remove, _, _) => self
                .left
                .as_ref()
                .map(|left| changed_since(kind, current, &[left]))
                .unwrap_or_default(),
            (UndoAction::Restore, Some(before), Some(after)) => {
                let left = self.left.as_ref().unwrap_or(after);
                changed_since(kind, current, &[left, after, before])
            }
            _ => Vec::new(),
        }
    }
}

/// Why a step did not undo its object.
#[derive(Debug)]
enum StepFailure {
    /// The tenant's object differs from what the sprint left, in these properties.
    ChangedSince(Vec<String>),
    Failed(Failure),
}

impl From<Failure> for StepFailure {
    fn from(e: Failure) -> StepFailure {
        StepFailure::Failed(e)
    }
}

impl From<String> for StepFailure {
    fn from(e: String) -> StepFailure {
        StepFailure::Failed(e.into())
    }
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepFailure::ChangedSince(properties) => {
                write!(f, "{CHANGED_SINCE} ({})", properties.join(", "))
            }
            StepFailure::Failed(e) => f.write_str(&e.error),
        }
    }
}

/// Whether a journal entry says the change reached the tenant: a completed change, or one
/// that failed or was interrupted after it did (its object read back and recorded).
fn reached_tenant(change: &Change) -> bool {
    change.status == "done" || change.after.is_some()
}

/// The properties the blueprint may write whose value in the tenant now (`current`) is none
/// of the `accepted` snapshots' (what the sprint left; for a restore also the values before
/// and after its own changes, which an earlier step of this rollback, or an interrupted one,
/// may have put back already). A property absent and one that is null are the same. Intune
/// assignments are compared as the snapshots hold them (targets only).
fn changed_since(kind: &KindSpec, current: &Value, accepted: &[&Value]) -> Vec<String> {
    let odata_type = current.get("@odata.type").and_then(Value::as_str);
    let keys: BTreeSet<&String> = std::iter::once(current)
        .chain(accepted.iter().copied())
        .flat_map(|v| v.as_object().into_iter().flatten().map(|(k, _)| k))
        .collect();
    let get = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    keys.into_iter()
        .filter(|k| {
            !k.starts_with('@')
                && (resources::written_per_item(kind.name) == Some(k.as_str())
                    || kind.allows(k, odata_type))
        })
        .filter(|k| {
            let now = get(current, k);
            accepted.iter().all(|a| get(a, k) != now)
        })
        .cloned()
        .collect()
}

/// Puts each run of consecutive removals among `undo` (newest change first) in the order a
/// deploy allowed to delete removes objects in ([`resources::sort_for_removal`]). Newest first
/// alone is not enough: a later deploy that updated a parent label (or one whose changes to
/// the labels came after the label policy's) would have it removed while its sublabels (or
/// the policy) still name it. A restore or recreate stays where it is and no removal passes
/// it: it may be of the very object a removal takes (a beta kind's settings on an object the
/// sprint created through v1.0).
fn in_removal_order(undo: &mut [Undo]) {
    for run in
        undo.chunk_by_mut(|a, b| a.action == UndoAction::Remove && b.action == UndoAction::Remove)
    {
        // Stable: within a rank, newest change first as before.
        resources::sort_for_removal(run, |u| {
            let kind = u.reference.split(':').next().unwrap_or_default();
            (kind, u.left.as_ref().or(u.after.as_ref()))
        });
    }
}

/// The kind's table entry for a journalled reference (`kind:identity`).
fn kind_of(reference: &str) -> Result<&'static KindSpec, String> {
    let kind = reference.split(':').next().unwrap_or_default();
    blueprint_catalogue::kinds::kind(kind).ok_or_else(|| format!("unknown kind {kind}"))
}

/// The properties a change changed that the blueprint may write, with their previous values.
fn changed_properties(kind: &KindSpec, before: &Value, after: &Value) -> Map<String, Value> {
    let odata_type = before.get("@odata.type").and_then(Value::as_str);
    let mut out = Map::new();
    let keys: BTreeSet<&String> = before
        .as_object()
        .into_iter()
        .flatten()
        .chain(after.as_object().into_iter().flatten())
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        let side_door =
            key == ASSIGNMENTS || resources::written_per_item(kind.name) == Some(key.as_str());
        if !side_door && (key.starts_with('@') || !kind.allows(key, odata_type)) {
            continue;
        }
        // A snapshot without the side door was taken by an update that left it alone (its
        // assignments were not read): nothing of it to put back.
        if side_door && before.get(key.as_str()).is_none() {
            continue;
        }
        let was = before.get(key.as_str()).cloned().unwrap_or(Value::Null);
        if after.get(key.as_str()).cloned().unwrap_or(Value::Null) != was {
            out.insert(key.clone(), was);
        }
    }
    out
}

impl Session {
    /// The state store, which must hold deploys already: reading it for a rollback never
    /// creates one.
    async fn deployed_store(&self) -> Result<Store, EngineError> {
        self.existing_store().await?.ok_or_else(|| {
            EngineError::Usage(format!(
                "nothing to roll back: {} holds no deploys yet",
                self.workspace.state
            ))
        })
    }

    /// Rolls sprint `options.sprint` back (see the module documentation), holding the tenant's
    /// deploy lock. Refuses, naming them, while a later sprint's deployed features depend on
    /// this sprint's, unless `force`.
    pub async fn rollback(&self, options: &RollbackOptions) -> Result<RollbackReport, EngineError> {
        self.may_roll_back()?;
        let store = self.deployed_store().await?;
        let tenant = self.tenant().await?;
        let lock = self.lock(&store, &tenant, "rollback").await?;
        // Written through the lock's handle: a lost lease stops the next undo.
        let result = self.rollback_locked(lock.store(), &tenant, options).await;
        lock.release().await?;
        result
    }

    /// Refuses the program office a rollback: check before anything is shown or asked.
    pub fn may_roll_back(&self) -> Result<(), EngineError> {
        Ok(self
            .workspace
            .actor
            .may_change(crate::engagement::Activity::RollBack)?)
    }

    /// What rolling sprint `sprint` back would do, without touching the tenant: one step per
    /// object, in the order they would be undone. Refused like [`Session::rollback`]. Unless
    /// `force`, each object is read and compared with what the sprint left, as the rollback
    /// will compare it: one someone changed since is marked `changed_since`, naming the
    /// properties, so the user sees what will be refused before confirming.
    pub async fn rollback_preview(
        &self,
        options: &RollbackOptions,
    ) -> Result<Vec<RollbackStep>, EngineError> {
        let store = self.deployed_store().await?;
        let undo = self
            .undo_list(&store, &self.tenant().await?, options)
            .await?;
        let mut steps = Vec::with_capacity(undo.undo.len());
        for u in &undo.undo {
            let read = if options.force {
                Ok(Vec::new())
            } else {
                self.changed_since_sprint(u).await
            };
            let (changed, failure) = match read {
                Ok(changed) => (changed, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            steps.push(RollbackStep {
                feature: u.feature.clone(),
                reference: u.reference.clone(),
                action: u.action.as_str().to_string(),
                error: failure.as_ref().map(|f| f.error.clone()),
                refused: failure.and_then(|f| f.refused.map(|r| *r)),
                changed_since: !changed.is_empty(),
                changed,
            });
        }
        Ok(steps)
    }

    /// The properties of `undo`'s object that someone changed since the sprint left it, read
    /// from the tenant now; empty when the undo may go ahead unforced (also when there is
    /// nothing to compare: the object is gone, or is to be recreated).
    async fn changed_since_sprint(&self, undo: &Undo) -> Result<Vec<String>, Failure> {
        if undo.action == UndoAction::Recreate {
            return Ok(Vec::new());
        }
        let kind = kind_of(&undo.reference)?;
        let Some(path) = resources::journalled_path(kind, undo.object_id.as_deref()) else {
            return Ok(Vec::new());
        };
        Ok(match self.read_journalled(kind, &path).await? {
            Some(current) => undo.changed_since(kind, &current),
            None => Vec::new(),
        })
    }

    /// The sprint's objects still to undo, newest change first, and the references other
    /// runs still manage.
    ///
    /// Every journal entry of the sprint's deploys that reached the tenant counts: completed
    /// changes, and failed or interrupted ones whose create returned an id or whose object was
    /// read back. One feature's entries on one object collapse into one step (the oldest
    /// snapshot is what it goes back to); an object the sprint created is removed, whatever
    /// else the sprint did to it.
    async fn undo_list(
        &self,
        store: &Store,
        tenant: &str,
        options: &RollbackOptions,
    ) -> Result<UndoList, EngineError> {
        let sprint = options.sprint;
        let runs = store.runs(tenant).await?;
        let rollback_runs: HashSet<i64> = runs
            .iter()
            .filter(|r| r.kind == "rollback" && r.sprint == Some(sprint))
            .map(|r| r.id)
            .collect();
        let sprint_runs: HashSet<i64> = runs
            .iter()
            .filter(|r| r.kind == "deploy" && r.sprint == Some(sprint))
            .map(|r| r.id)
            .collect();
        let changes = store.changes(tenant).await?;
        // A change an earlier rollback of this sprint already undid (a later, completed
        // rollback step on the same object: the feature's own restore, or a remove or
        // recreate, which undo the whole object) is not undone twice.
        let undone = |c: &Change| {
            changes.iter().any(|u| {
                rollback_runs.contains(&u.run_id)
                    && u.status == "done"
                    && u.reference == c.reference
                    && u.id > c.id
                    && (u.feature == c.feature || u.op != "rollback-restore")
            })
        };
        // Entries of a run that died (`started`) count like interrupted ones: the caller holds
        // the deploy lock, so no run is writing them any more.
        let mut groups: BTreeMap<(&str, &str), Vec<&Change>> = BTreeMap::new();
        for c in changes.iter().filter(|c| {
            sprint_runs.contains(&c.run_id)
                && matches!(
                    c.status.as_str(),
                    "done" | "failed" | "interrupted" | "started"
                )
                && !undone(c)
        }) {
            groups
                .entry((c.reference.as_str(), c.feature.as_str()))
                .or_default()
                .push(c);
        }
        // What the sprint left of each object: its newest entry that read the object back.
        let mut left: HashMap<&str, (i64, &Value)> = HashMap::new();
        for entries in groups.values() {
            for c in entries {
                if let Some(after) = &c.after
                    && left
                        .get(c.reference.as_str())
                        .is_none_or(|(id, _)| *id < c.id)
                {
                    left.insert(c.reference.as_str(), (c.id, after));
                }
            }
        }
        let mut undo: Vec<Undo> = groups
            .iter()
            .filter_map(|((reference, feature), entries)| {
                let first = entries.first()?;
                let object_id = entries.iter().rev().find_map(|c| c.object_id.clone());
                let after = entries.iter().rev().find_map(|c| c.after.clone());
                let action = UndoAction::of(&first.op);
                // Nothing known to have reached the tenant: a create with no id ever
                // recorded, a change never read back.
                let reached = match action {
                    UndoAction::Remove => object_id.is_some(),
                    _ => entries.iter().any(|c| reached_tenant(c)),
                };
                reached.then(|| Undo {
                    feature: feature.to_string(),
                    reference: reference.to_string(),
                    action,
                    object_id,
                    before: first.before.clone(),
                    after,
                    left: left.get(reference).map(|(_, v)| (*v).clone()),
                    last: entries.last().map_or(first.id, |c| c.id),
                    also: Vec::new(),
                })
            })
            .collect();
        let status = feature_status(&store.log(None).await?);
        let undone_unlogged: Vec<String> = status
            .iter()
            .filter(|(id, s)| {
                s.sprint == Some(sprint)
                    && matches!(
                        s.state,
                        FeatureState::Deployed | FeatureState::Verified | FeatureState::Drifted
                    )
                    && !undo.iter().any(|u| &u.feature == *id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        if undo.is_empty() && undone_unlogged.is_empty() {
            return Err(EngineError::Usage(format!(
                "sprint {sprint} changed nothing in tenant {tenant} that is not rolled back already"
            )));
        }
        let features: BTreeSet<&str> = undo
            .iter()
            .map(|u| u.feature.as_str())
            .chain(undone_unlogged.iter().map(String::as_str))
            .collect();
        if !options.force {
            let dependants = self.later_dependants(&status, sprint, &features);
            if !dependants.is_empty() {
                return Err(EngineError::LaterSprintsBuildOn { sprint, dependants });
            }
        }
        // Objects the sprint created are removed outright: their updates need no undoing.
        let created: HashSet<String> = undo
            .iter()
            .filter(|u| u.action == UndoAction::Remove)
            .map(|u| u.reference.clone())
            .collect();
        let mut sharing: HashMap<String, Vec<String>> = HashMap::new();
        undo.retain(|u| {
            let keep = u.action == UndoAction::Remove || !created.contains(&u.reference);
            if !keep {
                sharing
                    .entry(u.reference.clone())
                    .or_default()
                    .push(u.feature.clone());
            }
            keep
        });
        for u in undo.iter_mut().filter(|u| u.action == UndoAction::Remove) {
            u.also = sharing.remove(&u.reference).unwrap_or_default();
        }
        undo.sort_by_key(|u| std::cmp::Reverse(u.last));
        in_removal_order(&mut undo);
        // References other runs (other sprints, earlier cycles) still manage stay managed.
        let kept: HashSet<String> = changes
            .iter()
            .filter(|c| {
                c.status == "done"
                    && !sprint_runs.contains(&c.run_id)
                    && c.op != "delete"
                    && runs.iter().any(|r| r.id == c.run_id && r.kind == "deploy")
            })
            .map(|c| c.reference.clone())
            .collect();
        Ok(UndoList {
            undo,
            kept,
            undone_unlogged,
        })
    }

    async fn rollback_locked(
        &self,
        store: &Store,
        tenant: &str,
        options: &RollbackOptions,
    ) -> Result<RollbackReport, EngineError> {
        let sprint = options.sprint;
        // Entries a killed deploy or rollback left in flight (the lock is this run's now, so
        // nothing is writing them) are settled first: a create killed before its id came back
        // is found by name, so it is removed like any other; a change killed before it was read
        // back is restored.
        store.take_interrupted(tenant, NO_RUN).await?;
        self.reconcile_interrupted(store, tenant).await?;
        let UndoList {
            undo,
            kept,
            undone_unlogged,
        } = self.undo_list(store, tenant, options).await?;
        let run_id = store.begin_run(tenant, "rollback", Some(sprint)).await?;
        let mut steps = Vec::new();
        let mut digests: BTreeMap<&str, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
        for step in &undo {
            let release = !kept.contains(step.reference.as_str());
            let outcome = self
                .undo_object(store, tenant, run_id, step, release, options.force)
                .await;
            if let Ok((before, after)) = &outcome {
                for feature in std::iter::once(&step.feature).chain(&step.also) {
                    let entry = digests.entry(feature.as_str()).or_default();
                    entry.0.push(before.clone());
                    entry.1.push(after.clone());
                }
            }
            let (changed_since, changed) = match &outcome {
                Err(StepFailure::ChangedSince(properties)) => (true, properties.clone()),
                _ => (false, Vec::new()),
            };
            let refused = match &outcome {
                Err(StepFailure::Failed(f)) => f.refused.as_deref().cloned(),
                _ => None,
            };
            steps.push(RollbackStep {
                feature: step.feature.clone(),
                reference: step.reference.clone(),
                action: step.action.as_str().to_string(),
                changed_since,
                changed,
                error: outcome.err().map(|e| e.to_string()),
                refused,
            });
        }
        let failed_features: HashSet<&str> = undo
            .iter()
            .zip(&steps)
            .filter(|(_, s)| s.error.is_some())
            .flat_map(|(u, _)| std::iter::once(&u.feature).chain(&u.also))
            .map(String::as_str)
            .collect();
        for feature in &undone_unlogged {
            digests.entry(feature.as_str()).or_default();
        }
        let (name, role) = (&self.workspace.actor.name, self.workspace.actor.role);
        let events: Vec<LogEvent> = digests
            .iter()
            .filter(|(f, _)| !failed_features.contains(*f))
            .map(|(feature, (before, after))| {
                LogEvent::new(EventKind::RolledBack, name.as_str(), role)
                    .feature(*feature)
                    .sprint(sprint)
                    .with("run", run_id)
                    .before(digest_json(&Value::Array(before.clone())))
                    .after(digest_json(&Value::Array(after.clone())))
            })
            .collect();
        let rolled_back = events
            .iter()
            .filter_map(|e| e.feature.clone())
            .collect::<Vec<_>>();
        store.append_events(&events).await?;
        let report = RollbackReport {
            sprint,
            run_id,
            steps,
            rolled_back,
        };
        store
            .finish_run(run_id, crate::apply::run_status(report.failed()))
            .await?;
        Ok(report)
    }

    /// Reads the objects of interrupted changes that no run has settled yet (a deploy resumed
    /// with nothing left to change applies nothing) and settles them
    /// ([`crate::apply::reconcile_interrupted`]): a create found by name is the tool's, a change
    /// left its object as it is now.
    async fn reconcile_interrupted(&self, store: &Store, tenant: &str) -> Result<(), EngineError> {
        let changes = store.changes(tenant).await?;
        let pending: HashSet<&str> = crate::apply::unreconciled(&changes)
            .map(|c| c.reference.as_str())
            .collect();
        let objects: Vec<&blueprint_catalogue::DesiredObject> = self
            .desired
            .iter()
            .filter(|o| pending.contains(o.reference.as_str()))
            .collect();
        if objects.is_empty() {
            return Ok(());
        }
        let observation = crate::observe::observe(&self.client, &objects).await?;
        crate::apply::reconcile_interrupted(store, tenant, &observation).await
    }

    /// Deployed features of later sprints that depend on one of `features`.
    fn later_dependants(
        &self,
        status: &BTreeMap<String, blueprint_store::FeatureLogStatus>,
        sprint: i64,
        features: &BTreeSet<&str>,
    ) -> Vec<String> {
        let catalogue = &self.workspace.catalogue;
        status
            .iter()
            .filter(|(_, s)| {
                s.sprint.is_some_and(|n| n > sprint)
                    && matches!(
                        s.state,
                        FeatureState::Deployed | FeatureState::Verified | FeatureState::Drifted
                    )
            })
            .filter_map(|(id, s)| {
                let needs: Vec<&str> = catalogue
                    .all_dependencies(id)
                    .into_iter()
                    .filter(|d| features.contains(d))
                    .collect();
                (!needs.is_empty()).then(|| {
                    format!(
                        "{id} (sprint {}) needs {}",
                        s.sprint.unwrap_or_default(),
                        needs.join(", ")
                    )
                })
            })
            .collect()
    }

    /// Undoes one object; returns its states before and after the undo (for the log's
    /// digests). Unless forced, refuses an object whose properties differ from what the
    /// sprint left: someone changed it since, and undoing it would undo their work.
    async fn undo_object(
        &self,
        store: &Store,
        tenant: &str,
        run_id: i64,
        undo: &Undo,
        release: bool,
        force: bool,
    ) -> Result<(Value, Value), StepFailure> {
        let kind = kind_of(&undo.reference)?;
        let path = resources::journalled_path(kind, undo.object_id.as_deref())
            .ok_or_else(|| "the journal has no id for it".to_string());
        let current = match (&path, undo.action) {
            (_, UndoAction::Recreate) => None,
            (Ok(path), _) => self.read_journalled(kind, path).await?,
            (Err(e), _) => return Err(e.clone().into()),
        };
        let intent = |op: &'static str, object_id: Option<String>| {
            let current = current.clone();
            async move {
                store
                    .record_intent(&ChangeIntent {
                        run_id,
                        tenant,
                        feature: &undo.feature,
                        reference: &undo.reference,
                        op,
                        object_id: object_id.as_deref(),
                        before: current.as_ref(),
                    })
                    .await
                    .map_err(Failure::from)
            }
        };
        match undo.action {
            UndoAction::Remove => {
                let path = path?;
                let Some(current) = current.clone() else {
                    // Already gone (an interrupted rollback removed it): recorded as undone.
                    let id = intent("rollback-remove", undo.object_id.clone()).await?;
                    self.settle(store, id, tenant, undo, Ok(None), true).await?;
                    self.let_go_of_parent(store, tenant, kind).await?;
                    return Ok((Value::Null, Value::Null));
                };
                if !force {
                    let moved = undo.changed_since(kind, &current);
                    if !moved.is_empty() {
                        return Err(StepFailure::ChangedSince(moved));
                    }
                }
                let id = intent("rollback-remove", undo.object_id.clone()).await?;
                let removed = match self.client.delete(&path).await {
                    Ok(()) => Ok(()),
                    Err(e) if e.is_not_found() => Ok(()),
                    Err(e) => Err(Failure::from(e)),
                };
                self.settle(store, id, tenant, undo, removed.map(|()| None), true)
                    .await?;
                self.let_go_of_parent(store, tenant, kind).await?;
                Ok((current, Value::Null))
            }
            UndoAction::Restore => {
                let path = path?;
                let (Some(before), Some(after)) = (&undo.before, &undo.after) else {
                    return Err("the journal holds no snapshot of it".to_string().into());
                };
                let Some(current) = current.clone() else {
                    return Err("it no longer exists in the tenant".to_string().into());
                };
                if !force {
                    let moved = undo.changed_since(kind, &current);
                    if !moved.is_empty() {
                        return Err(StepFailure::ChangedSince(moved));
                    }
                }
                // What is back at its value before the sprint already (an interrupted
                // rollback restored it) needs no writing.
                let mut restore = changed_properties(kind, before, after);
                let per_item = resources::written_per_item(kind.name);
                restore
                    .retain(|k, was| per_item == Some(k.as_str()) || current.get(k) != Some(was));
                let id = intent("rollback-restore", undo.object_id.clone()).await?;
                let restored = self
                    .restore(kind, &path, before, after, &current, restore)
                    .await;
                let now = match &restored {
                    Ok(()) => self
                        .client
                        .get(&resources::read_one(kind.name, &path))
                        .await
                        .ok(),
                    Err(_) => None,
                };
                self.settle(
                    store,
                    id,
                    tenant,
                    undo,
                    restored.map(|()| now.as_ref()),
                    release,
                )
                .await?;
                Ok((current, now.unwrap_or(Value::Null)))
            }
            UndoAction::Recreate => {
                let Some(before) = &undo.before else {
                    return Err("the journal holds no snapshot of it".to_string().into());
                };
                let odata_type = before.get("@odata.type").and_then(Value::as_str);
                let body: Map<String, Value> = before
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| k.as_str() == "@odata.type" || kind.allows(k, odata_type))
                    .filter(|(k, _)| kind.set_by_action().is_none_or(|w| w.property != *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let id = intent("rollback-recreate", None).await?;
                let created = async {
                    let created = self
                        .client
                        .post(&kind.request_path(), &Value::Object(body))
                        .await?;
                    // The collection set through its action goes back once the object exists.
                    if let (Some(write), Some(object_id)) =
                        (kind.set_by_action(), created["id"].as_str())
                    {
                        let path = format!("{}/{object_id}", kind.request_path());
                        let (action_path, request) = resources::set_action_write(
                            write,
                            &path,
                            &Value::Null,
                            &before[write.property],
                        );
                        self.client.post_action(&action_path, &request).await?;
                    }
                    Ok::<_, GraphError>(created)
                }
                .await
                .map_err(Failure::from);
                let now = created.as_ref().ok().cloned();
                self.settle(
                    store,
                    id,
                    tenant,
                    undo,
                    created.map(|_| now.as_ref()),
                    false,
                )
                .await?;
                Ok((Value::Null, now.unwrap_or(Value::Null)))
            }
        }
    }

    /// Once the last object nested under a parent is removed (the last enrolment profile
    /// under the Apple token), the journal stops recording the parent the deploy relied on
    /// ([`blueprint_store::StateStore::rely_on`]): the tool manages nothing there any more.
    async fn let_go_of_parent(
        &self,
        store: &Store,
        tenant: &str,
        kind: &KindSpec,
    ) -> Result<(), Failure> {
        let Some(parent) = kind.parent().filter(|p| p.is_singleton()) else {
            return Ok(());
        };
        let managed = store.managed_objects(tenant).await.map_err(Failure::from)?;
        let still_nested = managed.iter().any(|m| {
            blueprint_catalogue::kinds::kind(&m.kind)
                .and_then(KindSpec::parent)
                .is_some_and(|p| p.name == parent.name)
        });
        if !still_nested {
            store
                .let_go(tenant, parent.name)
                .await
                .map_err(Failure::from)?;
        }
        Ok(())
    }

    /// The object at `path` as the journal's snapshots hold it (with its Intune assignments);
    /// None when it is gone.
    async fn read_journalled(&self, kind: &KindSpec, path: &str) -> Result<Option<Value>, Failure> {
        let object = match self.client.get(&resources::read_one(kind.name, path)).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if !resources::has_assignments(kind.name) {
            return Ok(Some(object));
        }
        let assigned = self
            .client
            .list(&format!("{path}/assignments"))
            .await
            .map_err(|e| Failure::during("reading its assignments", e))?;
        Ok(Some(crate::plan::with_assignments(
            kind.name, &object, &assigned,
        )))
    }

    /// Writes the previous values back: the object's own properties in one update (over
    /// `current`, the object as it now is), then the side doors (Intune assignments, the
    /// items written one at a time: authentication method configurations, PIM rules).
    async fn restore(
        &self,
        kind: &KindSpec,
        path: &str,
        before: &Value,
        after: &Value,
        current: &Value,
        mut restore: Map<String, Value>,
    ) -> Result<(), Failure> {
        let assignments = restore.remove(ASSIGNMENTS);
        let by_action = resources::written_by_action(kind.name)
            .and_then(|w| restore.remove(w.property).map(|_| w));
        let set_by =
            resources::set_by_action(kind.name).and_then(|w| restore.remove(w.property).map(|_| w));
        let items = resources::written_per_item(kind.name).and_then(|p| restore.remove(p));
        if !restore.is_empty() && kind.is_replaced_whole() {
            // The whole object as the snapshot held it (its settings included).
            self.client
                .put(path, &resources::whole_body(kind, before, &Value::Null))
                .await?;
        } else if !restore.is_empty() {
            if let Some(t) = before.get("@odata.type") {
                restore.insert("@odata.type".into(), t.clone());
            }
            self.client.update(kind, path, current, restore).await?;
        }
        if let Some(assignments) = assignments
            && resources::has_assignments(kind.name)
        {
            // The snapshot holds them as compared (targets, and an app's install intent and
            // settings), which is what `/assign` (or each assignment's create) takes.
            self.client
                .assign(kind, path, &assignments)
                .await
                .map_err(|e| Failure::during("restoring assignments", e))?;
        }
        if let Some(write) = by_action {
            // The items as they were (a licence back to its disabled plans), and the removal
            // of those the sprint added, and only those.
            if write.definitions.is_some() {
                crate::definitions::restore(
                    &self.client,
                    write,
                    path,
                    &resources::read_one(kind.name, path),
                    &before[write.property],
                    &after[write.property],
                    &current[write.property],
                )
                .await?;
            } else {
                let (action_path, request) = resources::action_restore(
                    write,
                    path,
                    &before[write.property],
                    &after[write.property],
                    &current[write.property],
                );
                self.client
                    .post_action(&action_path, &request)
                    .await
                    .map_err(|e| Failure::during(&format!("restoring {}", write.property), e))?;
            }
        }
        if let Some(write) = set_by {
            // The collection the snapshot held, with what was added by hand since.
            let (action_path, request) = resources::set_action_restore(
                write,
                path,
                &before[write.property],
                &after[write.property],
                &current[write.property],
            );
            self.client
                .post_action(&action_path, &request)
                .await
                .map_err(|e| Failure::during(&format!("restoring {}", write.property), e))?;
        }
        if let Some(items) = items {
            // Each item the sprint changed, back to its snapshot (what is back already, an
            // interrupted rollback's work, is left alone).
            for (item_path, patch) in resources::item_writes(kind.name, path, current, &items)? {
                self.client
                    .patch(&item_path, &patch)
                    .await
                    .map_err(|e| Failure::during(&format!("restoring {item_path}"), e))?;
            }
        }
        Ok(())
    }

    /// Journals how a rollback step ended: `Ok(after)`, the object as it now is (None: gone).
    async fn settle(
        &self,
        store: &Store,
        change_id: i64,
        tenant: &str,
        undo: &Undo,
        result: Result<Option<&Value>, Failure>,
        release: bool,
    ) -> Result<(), Failure> {
        match result {
            Ok(after) => store
                .record_released(change_id, tenant, &undo.reference, after, release)
                .await
                .map_err(Failure::from),
            Err(e) => {
                e.journal(store, change_id, None).await;
                Err(e)
            }
        }
    }
}
