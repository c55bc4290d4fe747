//! The sprint plan: the selected features placed in sprints by the planner, recorded in the
//! feature log as `scheduled` entries (the log is where the plan lives), and read back from it.

use std::collections::BTreeMap;

use blueprint_catalogue::Feature;
use blueprint_report::{SprintFeature, SprintInput, SprintPlanInput};
use blueprint_sprints::{Item, PlanError, Request, SprintPlan};
use blueprint_store::{
    EventKind, FeatureLogStatus, FeatureState, LogEntry, LogEvent, feature_status,
};
use serde::Serialize;
use serde_json::Value;

use super::{Activity, EngagementError, Selection, cycle_start, read_log, selection_changes};
use crate::EngineError;
use crate::workspace::Workspace;

/// What planning the sprints did: the plan, the features whose sprint the log now records
/// (new or moved), and notes for the person.
#[derive(Debug, Clone, Serialize)]
pub struct SprintPlanning {
    pub plan: SprintPlanInput,
    /// The `scheduled` entries this planning appended, in the log's order.
    pub recorded: Vec<Rescheduled>,
    pub notes: Vec<PlanningNote>,
}

/// A feature the log now schedules into `sprint` (from `previous_sprint`, when it had one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rescheduled {
    pub id: String,
    pub sprint: u32,
    pub previous_sprint: Option<u32>,
}

/// Something the planner decided that the profile did not ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum PlanningNote {
    /// A delivered feature keeps the sprint it was delivered in, whatever its pin says.
    PinKept {
        feature: String,
        pin: u32,
        sprint: u32,
        state: FeatureState,
    },
}

impl std::fmt::Display for PlanningNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanningNote::PinKept {
                feature,
                pin,
                sprint,
                state,
            } => write!(
                f,
                "`{feature}` is pinned to sprint {pin} in blueprint.toml but was {} in sprint {sprint}: it keeps sprint {sprint}",
                state.as_str()
            ),
        }
    }
}

/// The features the execution plan selects, in dependency order: the selection the engine
/// deploys ([`Selection::of`]).
pub fn selected(workspace: &Workspace) -> Vec<&Feature> {
    Selection::of(workspace)
        .selected
        .iter()
        .filter_map(|id| workspace.catalogue.feature(id))
        .collect()
}

fn sprint_number(sprint: Option<i64>) -> Option<u32> {
    sprint
        .and_then(|s| u32::try_from(s).ok())
        .filter(|&s| s > 0)
}

/// The planner's answer, plus the features delivered in this cycle (they keep their sprint).
struct Planned {
    plan: SprintPlan,
    /// Delivered in this cycle: id → its state.
    kept: BTreeMap<String, FeatureState>,
    notes: Vec<PlanningNote>,
}

fn compute(workspace: &Workspace, entries: &[LogEntry]) -> Result<Planned, EngineError> {
    let status = feature_status(entries);
    let cycle = cycle_start(entries);
    let first = cycle.first_sprint;
    let mut kept = BTreeMap::new();
    let mut notes = Vec::new();
    let mut items = Vec::new();
    let mut done = cycle.delivered.clone();
    for feature in selected(workspace) {
        let id = feature.id();
        let mut item = Item::new(
            id,
            feature.doc.title.clone(),
            feature.doc.area.as_str(),
            u32::from(feature.doc.story_points.value),
        )
        .depends_on(workspace.catalogue.dependencies(id));
        let profile_pin = workspace.plan.pin(id);
        let Some(s) = status.get(id).filter(|_| cycle.delivered.contains(id)) else {
            item.pin = profile_pin;
            items.push(item);
            continue;
        };
        // Delivered in an earlier cycle, or before any plan was recorded: done, not placed.
        let Some(sprint) = sprint_number(s.sprint).filter(|&n| n >= first) else {
            continue;
        };
        if let Some(pin) = profile_pin.filter(|&p| p != sprint) {
            notes.push(PlanningNote::PinKept {
                feature: id.to_string(),
                pin,
                sprint,
                state: s.state,
            });
        }
        done.remove(id);
        kept.insert(id.to_string(), s.state);
        items.push(item.delivered_in(sprint));
    }
    let request = Request::new(items, workspace.plan.capacity())
        .first_sprint(first)
        .done(done);
    let plan = blueprint_sprints::plan(&request).map_err(|e| plan_error(workspace, &kept, e))?;
    Ok(Planned { plan, kept, notes })
}

/// A planning error, at the pin in blueprint.toml when a profile pin is at fault (the planner
/// never blames a delivered feature's sprint: that is history, not a pin).
fn plan_error(
    workspace: &Workspace,
    kept: &BTreeMap<String, FeatureState>,
    error: PlanError,
) -> EngineError {
    match error.pinned_feature() {
        Some(feature) if workspace.plan.pin(feature).is_some() && !kept.contains_key(feature) => {
            workspace.pin_error(
                feature,
                error.to_string(),
                "[plan.pins] in blueprint.toml pins features to sprints; the sprint planner places the rest",
            )
        }
        _ => EngagementError::Unplannable(error).into(),
    }
}

/// Plans the sprints and records in the feature log, in one append (all or none), what
/// changed in the execution plan (`selected`, `excluded`) and each feature whose sprint
/// changed (`scheduled`, with the planner's reason). Planning again with nothing changed
/// records nothing. The program office cannot plan.
pub async fn plan_sprints(workspace: &Workspace) -> Result<SprintPlanning, EngineError> {
    workspace.actor.may_change(Activity::PlanSprints)?;
    let (planned, recorded) = workspace
        .state
        .using(async |store| {
            let entries = store.log(None).await?;
            let planned = compute(workspace, &entries)?;
            let status = feature_status(&entries);
            let (actor, role) = (&workspace.actor.name, workspace.actor.role);
            let mut events = selection_changes(&Selection::of(workspace), &status, actor, role);
            let recorded = changed(&planned.plan, &status);
            for r in &recorded {
                let placement = planned
                    .plan
                    .placements()
                    .find(|p| p.id == r.id)
                    .expect("a placement");
                let event = LogEvent::new(EventKind::Scheduled, actor.as_str(), role)
                    .feature(r.id.as_str())
                    .sprint(i64::from(r.sprint))
                    .with("reason", placement.explanation());
                events.push(match r.previous_sprint {
                    Some(from) => event.with("previous_sprint", i64::from(from)),
                    None => event,
                });
            }
            if !events.is_empty() {
                store.append_events(&events).await?;
            }
            Ok::<_, EngineError>((planned, recorded))
        })
        .await?;
    Ok(SprintPlanning {
        plan: plan_input(workspace, &planned),
        recorded,
        notes: planned.notes,
    })
}

/// The placements whose sprint differs from the one the log holds, with that sprint.
fn changed(plan: &SprintPlan, status: &BTreeMap<String, FeatureLogStatus>) -> Vec<Rescheduled> {
    plan.placements()
        .filter_map(|p| {
            let previous = status.get(&p.id).and_then(|s| sprint_number(s.sprint));
            (previous != Some(p.sprint)).then(|| Rescheduled {
                id: p.id.clone(),
                sprint: p.sprint,
                previous_sprint: previous,
            })
        })
        .collect()
}

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The computed plan for the renderers; delivered features show their state and keep their
/// sprint, everything else is `scheduled`.
fn plan_input(workspace: &Workspace, planned: &Planned) -> SprintPlanInput {
    let sprints = planned
        .plan
        .sprints
        .iter()
        .map(|s| SprintInput {
            number: s.number,
            features: s
                .features
                .iter()
                .map(|p| {
                    let (state, reason) = match planned.kept.get(&p.id) {
                        Some(state) => (
                            state.as_str().to_string(),
                            format!("{} in sprint {}", state.as_str(), p.sprint),
                        ),
                        None => ("scheduled".to_string(), p.explanation()),
                    };
                    SprintFeature {
                        id: p.id.clone(),
                        title: p.title.clone(),
                        area: p.area.clone(),
                        story_points: p.points,
                        state,
                        reason,
                    }
                })
                .collect(),
        })
        .collect();
    SprintPlanInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: now(),
        capacity: workspace.plan.capacity(),
        sprints,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    }
}

/// Each feature's sprint as the log records it (the latest `scheduled` entry, or a later entry
/// naming a sprint), for features not excluded.
pub fn recorded_sprints(entries: &[LogEntry]) -> BTreeMap<String, u32> {
    feature_status(entries)
        .into_iter()
        .filter(|(_, s)| s.state != FeatureState::Excluded)
        .filter_map(|(id, s)| sprint_number(s.sprint).map(|n| (id, n)))
        .collect()
}

/// The plan as the feature log records it, with each feature's current state. Refused when
/// the log records no plan yet.
pub async fn recorded_sprint_plan(workspace: &Workspace) -> Result<SprintPlanInput, EngineError> {
    let entries = read_log(&workspace.state).await?;
    let status = feature_status(&entries);
    let sprints = recorded_sprints(&entries);
    if sprints.is_empty() {
        return Err(EngagementError::NoRecordedPlan.into());
    }
    // The latest `scheduled` entry of each feature: its reason, and its place in the log,
    // which is the planner's delivery order for features recorded together.
    let mut scheduled: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.event.kind == EventKind::Scheduled)
    {
        if let Some(id) = e.event.feature.as_deref() {
            let reason = e.event.detail.get("reason").and_then(Value::as_str);
            scheduled.insert(id, (e.seq, reason.unwrap_or_default().to_string()));
        }
    }
    let mut ids: Vec<(&str, u32)> = sprints.iter().map(|(id, &n)| (id.as_str(), n)).collect();
    ids.sort_by_key(|&(id, n)| (n, scheduled.get(id).map_or(i64::MAX, |s| s.0)));
    let ids = dependencies_first(workspace, ids);
    let selection = Selection::of(workspace);
    let mut out: Vec<SprintInput> = Vec::new();
    for (id, sprint) in ids {
        let feature = workspace.catalogue.feature(id);
        let mut reason = scheduled.get(id).map(|s| s.1.clone()).unwrap_or_default();
        // The profile changed since the plan was recorded (planning again records that).
        if !selection.selects(id) {
            reason = format!("no longer selected in blueprint.toml; {reason}");
        }
        let entry = SprintFeature {
            id: id.to_string(),
            title: feature.map_or_else(|| id.to_string(), |f| f.doc.title.clone()),
            area: feature.map_or_else(String::new, |f| f.doc.area.as_str().to_string()),
            story_points: feature.map_or(0, |f| u32::from(f.doc.story_points.value)),
            state: status
                .get(id)
                .map_or("scheduled", |s| s.state.as_str())
                .to_string(),
            reason,
        };
        match out.last_mut() {
            Some(last) if last.number == sprint => last.features.push(entry),
            _ => out.push(SprintInput {
                number: sprint,
                features: vec![entry],
            }),
        }
    }
    Ok(SprintPlanInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: now(),
        capacity: workspace.plan.capacity(),
        sprints: out,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    })
}

/// `ids` (sorted by sprint) with each feature after the features of its sprint it needs,
/// otherwise in the given order: a feature moved by a later plan is recorded after features
/// that may need it.
fn dependencies_first<'a>(workspace: &Workspace, ids: Vec<(&'a str, u32)>) -> Vec<(&'a str, u32)> {
    let mut out = Vec::with_capacity(ids.len());
    let mut left = ids;
    while !left.is_empty() {
        let sprint = left[0].1;
        let waiting = |dep: &str| left.iter().any(|&(id, n)| id == dep && n == sprint);
        let at = left
            .iter()
            .take_while(|&&(_, n)| n == sprint)
            .position(|&(id, _)| {
                workspace
                    .catalogue
                    .dependencies(id)
                    .into_iter()
                    .all(|d| !waiting(d))
            })
            .unwrap_or(0);
        out.push(left.remove(at));
    }
    out
}
