//! Rolling a sprint back: every object the sprint's deploys changed is restored from the
//! snapshot the journal took before the change, and every object they created is removed, in
//! reverse order of the changes (so dependants go before what they depend on). Objects the
//! tool never touched are never read for writing, let alone changed.
//!
//! Only the properties a change actually changed (its snapshot before and after differ) and
//! that the blueprint may write are put back; what Graph maintains itself (ids, timestamps) is
//! left to Graph. An object someone changed again after the deploy is not overwritten without
//! being forced: the rollback would silently undo their work.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use blueprint_catalogue::kinds::KindSpec;
use blueprint_store::{
    Change, ChangeIntent, EventKind, FeatureState, LogEvent, Store, digest_json, feature_status,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::resources::{self, ASSIGNMENTS, METHOD_CONFIGURATIONS};
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
    /// Refused because someone changed the object after the sprint deployed it: forcing the
    /// rollback would undo their change.
    pub changed_since: bool,
}

const CHANGED_SINCE: &str = "changed since the sprint deployed it";

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
    changes: Vec<Change>,
    kept: HashSet<String>,
}

/// How a journalled change is undone.
fn action_for(change: &Change) -> &'static str {
    if change.op.starts_with("create") {
        "remove"
    } else if change.op == "delete" {
        "recreate"
    } else {
        "restore"
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
        let side_door = key == ASSIGNMENTS || key == METHOD_CONFIGURATIONS;
        if !side_door && (key.starts_with('@') || !kind.allows(key, odata_type)) {
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
    /// object, in the order they would be undone. Refused like [`Session::rollback`].
    pub async fn rollback_preview(
        &self,
        options: &RollbackOptions,
    ) -> Result<Vec<RollbackStep>, EngineError> {
        let store = self.deployed_store().await?;
        let undo = self.undo_list(&store, &self.tenant().await?, options).await;
        Ok(undo?
            .changes
            .iter()
            .map(|c| RollbackStep {
                feature: c.feature.clone(),
                reference: c.reference.clone(),
                action: action_for(c).to_string(),
                error: None,
                changed_since: false,
            })
            .collect())
    }

    /// The sprint's changes still to undo, newest first, and the references other runs still
    /// manage.
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
        // rollback step on the same object) is not undone twice.
        let undone = |c: &Change| {
            changes.iter().any(|u| {
                rollback_runs.contains(&u.run_id)
                    && u.status == "done"
                    && u.reference == c.reference
                    && u.id > c.id
            })
        };
        let mut undo: Vec<&Change> = changes
            .iter()
            .filter(|c| sprint_runs.contains(&c.run_id) && c.status == "done" && !undone(c))
            .collect();
        if undo.is_empty() {
            return Err(EngineError::Usage(format!(
                "sprint {sprint} changed nothing in tenant {tenant} that is not rolled back already"
            )));
        }
        let features: BTreeSet<&str> = undo.iter().map(|c| c.feature.as_str()).collect();
        if !options.force {
            let status = feature_status(&store.log(None).await?);
            let dependants = self.later_dependants(&status, sprint, &features);
            if !dependants.is_empty() {
                return Err(EngineError::LaterSprintsBuildOn { sprint, dependants });
            }
        }
        // Objects the sprint created are removed outright: their updates need no undoing.
        let created: HashSet<&str> = undo
            .iter()
            .filter(|c| c.op.starts_with("create"))
            .map(|c| c.reference.as_str())
            .collect();
        undo.retain(|c| c.op.starts_with("create") || !created.contains(c.reference.as_str()));
        undo.sort_by_key(|c| std::cmp::Reverse(c.id));
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
            changes: undo.into_iter().cloned().collect(),
            kept,
        })
    }

    async fn rollback_locked(
        &self,
        store: &Store,
        tenant: &str,
        options: &RollbackOptions,
    ) -> Result<RollbackReport, EngineError> {
        let sprint = options.sprint;
        let UndoList {
            changes: undo,
            kept,
        } = self.undo_list(store, tenant, options).await?;
        let run_id = store.begin_run(tenant, "rollback", Some(sprint)).await?;
        let mut steps = Vec::new();
        let mut digests: BTreeMap<&str, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
        for change in &undo {
            let release = !kept.contains(change.reference.as_str());
            let (action, outcome) = self
                .undo_change(store, tenant, run_id, change, release, options.force)
                .await;
            if let Ok((before, after)) = &outcome {
                let entry = digests.entry(change.feature.as_str()).or_default();
                entry.0.push(before.clone());
                entry.1.push(after.clone());
            }
            steps.push(RollbackStep {
                feature: change.feature.clone(),
                reference: change.reference.clone(),
                action: action.to_string(),
                changed_since: outcome
                    .as_ref()
                    .is_err_and(|e| e.starts_with(CHANGED_SINCE)),
                error: outcome.err(),
            });
        }
        let failed_features: HashSet<&str> = steps
            .iter()
            .filter(|s| s.error.is_some())
            .map(|s| s.feature.as_str())
            .collect();
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

    /// Undoes one journalled change; returns what it did and the object's states before and
    /// after the undo (for the log's digests).
    async fn undo_change(
        &self,
        store: &Store,
        tenant: &str,
        run_id: i64,
        change: &Change,
        release: bool,
        force: bool,
    ) -> (&'static str, Result<(Value, Value), String>) {
        let action = action_for(change);
        let outcome = async {
            let kind = kind_of(&change.reference)?;
            let path = resources::journalled_path(kind, change.object_id.as_deref())
                .ok_or_else(|| "the journal has no id for it".to_string());
            let current = match (&path, action) {
                (_, "recreate") => None,
                (Ok(path), _) => match self.client.get(path).await {
                    Ok(v) => Some(v),
                    Err(e) if e.is_not_found() => None,
                    Err(e) => return Err(e.to_string()),
                },
                (Err(e), _) => return Err(e.clone()),
            };
            let intent = |op: &'static str, object_id: Option<String>| {
                let current = current.clone();
                async move {
                    store
                        .record_intent(&ChangeIntent {
                            run_id,
                            tenant,
                            feature: &change.feature,
                            reference: &change.reference,
                            op,
                            object_id: object_id.as_deref(),
                            before: current.as_ref(),
                        })
                        .await
                        .map_err(|e| e.to_string())
                }
            };
            match action {
                "remove" => {
                    let Some(current) = current.clone() else {
                        // Already gone: nothing of the sprint's is left to remove.
                        return Ok((Value::Null, Value::Null));
                    };
                    let path = path?;
                    let id = intent("rollback-remove", change.object_id.clone()).await?;
                    let removed = match self.client.delete(&path).await {
                        Ok(()) => Ok(()),
                        Err(e) if e.is_not_found() => Ok(()),
                        Err(e) => Err(e.to_string()),
                    };
                    self.settle(store, id, tenant, change, removed.map(|()| None), true)
                        .await?;
                    Ok((current, Value::Null))
                }
                "restore" => {
                    let path = path?;
                    let (Some(before), Some(after)) = (&change.before, &change.after) else {
                        return Err("the journal holds no snapshot of it".into());
                    };
                    let Some(current) = current.clone() else {
                        return Err("it no longer exists in the tenant".into());
                    };
                    let restore = changed_properties(kind, before, after);
                    if !force {
                        let moved: Vec<&String> = restore
                            .keys()
                            .filter(|k| {
                                k.as_str() != ASSIGNMENTS
                                    && current.get(k.as_str()) != after.get(k.as_str())
                            })
                            .collect();
                        if !moved.is_empty() {
                            return Err(format!(
                                "{CHANGED_SINCE} ({})",
                                moved
                                    .iter()
                                    .map(|k| k.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                    }
                    let id = intent("rollback-restore", change.object_id.clone()).await?;
                    let restored = self.restore(kind, &path, before, after, restore).await;
                    let now = match &restored {
                        Ok(()) => self.client.get(&path).await.ok(),
                        Err(_) => None,
                    };
                    self.settle(
                        store,
                        id,
                        tenant,
                        change,
                        restored.map(|()| now.as_ref()),
                        release,
                    )
                    .await?;
                    Ok((current, now.unwrap_or(Value::Null)))
                }
                _ => {
                    let Some(before) = &change.before else {
                        return Err("the journal holds no snapshot of it".into());
                    };
                    let odata_type = before.get("@odata.type").and_then(Value::as_str);
                    let body: Map<String, Value> = before
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.as_str() == "@odata.type" || kind.allows(k, odata_type))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let id = intent("rollback-recreate", None).await?;
                    let created = self
                        .client
                        .post(&kind.request_path(), &Value::Object(body))
                        .await
                        .map_err(|e| e.to_string());
                    let now = created.as_ref().ok().cloned();
                    self.settle(
                        store,
                        id,
                        tenant,
                        change,
                        created.map(|_| now.as_ref()),
                        false,
                    )
                    .await?;
                    Ok((Value::Null, now.unwrap_or(Value::Null)))
                }
            }
        }
        .await;
        (action, outcome)
    }

    /// Writes the previous values back: the object's own properties in one PATCH, then the
    /// side doors (Intune assignments, authentication method configurations).
    async fn restore(
        &self,
        kind: &KindSpec,
        path: &str,
        before: &Value,
        after: &Value,
        mut restore: Map<String, Value>,
    ) -> Result<(), String> {
        let assignments = restore.remove(ASSIGNMENTS);
        let methods = restore.remove(METHOD_CONFIGURATIONS);
        if !restore.is_empty() {
            if let Some(t) = before.get("@odata.type") {
                restore.insert("@odata.type".into(), t.clone());
            }
            self.client
                .patch(path, &Value::Object(restore))
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some(assignments) = assignments
            && resources::has_assignments(kind.name)
        {
            // The snapshot holds them as compared (targets only), which is what `/assign` takes.
            self.client
                .post(
                    &format!("{path}/assign"),
                    &json!({ "assignments": assignments }),
                )
                .await
                .map_err(|e| format!("restoring assignments: {e}"))?;
        }
        if let Some(methods) = methods {
            let now: Vec<Value> = after[METHOD_CONFIGURATIONS]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for config in methods.as_array().into_iter().flatten() {
                let Some(id) = config["id"].as_str() else {
                    continue;
                };
                if now.iter().any(|c| c == config) {
                    continue;
                }
                let mut patch = config.clone();
                if let Some(m) = patch.as_object_mut() {
                    m.remove("id");
                }
                self.client
                    .patch(&format!("{path}/{METHOD_CONFIGURATIONS}/{id}"), &patch)
                    .await
                    .map_err(|e| format!("restoring method configuration {id}: {e}"))?;
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
        change: &Change,
        result: Result<Option<&Value>, String>,
        release: bool,
    ) -> Result<(), String> {
        match result {
            Ok(after) => store
                .record_released(change_id, tenant, &change.reference, after, release)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => {
                let _ = store.record_failed(change_id, &e).await;
                Err(e)
            }
        }
    }
}
