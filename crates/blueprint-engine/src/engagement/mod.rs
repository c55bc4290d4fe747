//! The engagement as the Deploy phase runs it (`reference/engagement-model/deploy.md`): the
//! execution plan recorded in the feature log, sprints deployed in dependency order, manual
//! features attested with evidence, progress with the recommended next step, and the phase
//! decisions that end a cycle (Transition, Deploy again, exit).
//!
//! Everything here reads the feature log and the workspace's selection; nothing reads the
//! tenant. The decisions (what to recommend, which sprint may start, what changed in the
//! selection) are pure functions of those, so they are tested without a tenant or a store.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use blueprint_catalogue::{Catalogue, FeatureStatus};
use blueprint_store::{
    EventKind, FeatureLogStatus, FeatureState, LogEntry, LogEvent, Role, Store, digest_bytes,
    feature_status,
};
use serde::Serialize;
use serde_json::Value;

use crate::EngineError;
use crate::state::StateLocation;
use crate::workspace::Workspace;

/// The reason recorded when a feature the log has as selected is neither selected nor
/// explicitly excluded any more (taken out of `[plan] features`).
pub const NO_LONGER_SELECTED: &str = "no longer selected in blueprint.toml";

/// Why an engagement step cannot go ahead. Every one is the person's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum EngagementError {
    #[error(
        "no sprint plan is recorded in the feature log: run `blueprint sprints plan` first, then deploy its sprints in order"
    )]
    NoSprintPlan,
    #[error("sprint {sprint} has no selected features scheduled in it; {}", planned_sprints(.planned))]
    EmptySprint { sprint: i64, planned: Vec<i64> },
    #[error(
        "sprint {sprint} cannot start: it depends on work that is not finished\n{}\n  = help: finish the earlier sprints first (`blueprint deploy --sprint N`, then `blueprint evaluate`; manual features with `blueprint attest`), or re-plan with `blueprint sprints plan`",
        blockers.iter().map(|b| format!("  - {b}")).collect::<Vec<_>>().join("\n")
    )]
    Blocked { sprint: i64, blockers: Vec<Blocker> },
    #[error("unknown feature `{0}`; `blueprint catalogue list` shows the feature ids")]
    UnknownFeature(String),
    #[error(
        "`{0}` is not selected in the execution plan: select it in blueprint.toml [plan] (features, exclude) before attesting it"
    )]
    NotSelected(String),
    #[error(
        "`{0}` is automated: it is proven by evaluating the live tenant, not by attestation; run `blueprint evaluate`"
    )]
    Automated(String),
    #[error("the evidence file {} cannot be read: {source}", path.display())]
    Evidence {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the note is empty: say what was done or decided, and by whom (--note \"…\")")]
    EmptyNote,
    #[error(
        "{} drifted ({}): the tenant no longer matches what was verified, so Transition would plan business change around controls that are not in place; fix the drift (`blueprint plan`, `blueprint deploy`, then `blueprint evaluate`), or pass --force to record the decision anyway",
        count(features.len(), "feature"),
        features.join(", ")
    )]
    Drifted { features: Vec<String> },
    #[error("{action}; you act as {role} ({why})")]
    Role {
        action: &'static str,
        role: Role,
        why: &'static str,
    },
}

fn planned_sprints(planned: &[i64]) -> String {
    match planned {
        [] => "no sprint plan is recorded: run `blueprint sprints plan`".into(),
        [one] => format!("the sprint plan has sprint {one} only (`blueprint sprints show`)"),
        _ => format!(
            "the sprint plan has sprints {} (`blueprint sprints show`); run `blueprint sprints plan` to re-plan",
            planned
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1 feature is`, `2 features are`.
fn count_are(n: usize, noun: &str) -> String {
    format!("{} {}", count(n, noun), if n == 1 { "is" } else { "are" })
}

/// One dependency that stops a sprint from starting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub feature: String,
    pub dependency: String,
    /// The dependency's sprint, when the log schedules it.
    pub dependency_sprint: Option<i64>,
    pub dependency_state: FeatureState,
    pub manual: bool,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (feature, dep, state) = (&self.feature, &self.dependency, self.dependency_state);
        let what = if self.manual {
            "not attested yet: `blueprint attest` it with its evidence".to_string()
        } else {
            match state {
                FeatureState::Deployed => {
                    "deployed, not verified yet: run `blueprint evaluate`".into()
                }
                FeatureState::Drifted => {
                    "drifted: deploy its sprint again, then `blueprint evaluate`".into()
                }
                FeatureState::RolledBack => "rolled back: deploy its sprint again".into(),
                other => format!("{}, not deployed yet", other.as_str()),
            }
        };
        match self.dependency_sprint {
            Some(s) => write!(f, "`{feature}` needs `{dep}` (sprint {s}), which is {what}"),
            None => write!(
                f,
                "`{feature}` needs `{dep}`, which is in no sprint and {what}"
            ),
        }
    }
}

/// The execution plan as `blueprint.toml` and the catalogue state it now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Selected features, in dependency order.
    pub selected: Vec<String>,
    /// Explicit exclusions and why: `[plan] exclude`, or an overlay's `disable`.
    pub excluded: BTreeMap<String, String>,
    /// Catalogue features neither selected nor excluded (left out of `[plan] features`): what
    /// another Deploy cycle could add.
    pub not_selected: Vec<String>,
}

impl Selection {
    /// The workspace's selection: the same features the engine deploys.
    pub fn of(workspace: &Workspace) -> Selection {
        let mut selection = Selection::default();
        for feature in workspace.catalogue.topological_order() {
            let id = feature.id();
            if let Some(justification) = &feature.disabled {
                selection.excluded.insert(
                    id.to_string(),
                    format!("disabled by the catalogue overlay: {justification}"),
                );
            } else if let Some(e) = workspace.exclusion(id) {
                selection
                    .excluded
                    .insert(id.to_string(), e.justification.trim().to_string());
            } else if workspace.selects(id) {
                selection.selected.push(id.to_string());
            } else {
                selection.not_selected.push(id.to_string());
            }
        }
        selection
    }

    pub fn selects(&self, feature: &str) -> bool {
        self.selected.iter().any(|f| f == feature)
    }
}

/// The events that bring the log's record of the execution plan up to date with `selection`:
/// `selected` for a feature newly selected (or selected again after an exclusion), `excluded`
/// with its justification for one newly excluded (or excluded for a different reason), and
/// `excluded` ([`NO_LONGER_SELECTED`]) for one the log has as selected that is now neither
/// selected nor excluded. Empty when the log already agrees.
pub fn selection_changes(
    selection: &Selection,
    status: &BTreeMap<String, FeatureLogStatus>,
    actor: &str,
    role: Role,
) -> Vec<LogEvent> {
    let mut events = Vec::new();
    for id in &selection.selected {
        if status
            .get(id)
            .is_none_or(|s| s.state == FeatureState::Excluded)
        {
            events.push(LogEvent::new(EventKind::Selected, actor, role).feature(id.as_str()));
        }
    }
    for (id, reason) in &selection.excluded {
        let recorded = status.get(id).is_some_and(|s| {
            s.state == FeatureState::Excluded && s.reason.as_deref() == Some(reason.as_str())
        });
        if !recorded {
            events.push(LogEvent::excluded(id, reason, actor, role));
        }
    }
    for (id, s) in status {
        if s.state != FeatureState::Excluded
            && !selection.selects(id)
            && !selection.excluded.contains_key(id)
        {
            events.push(LogEvent::excluded(id, NO_LONGER_SELECTED, actor, role));
        }
    }
    events
}

/// Records in the feature log what changed in the workspace's execution plan since the log
/// last recorded it ([`selection_changes`]), and returns the entries appended (none when
/// nothing changed). `deploy` calls it before it plans; call it wherever the selection is
/// acted on (`sprints plan`).
pub async fn record_execution_plan(
    workspace: &Workspace,
    store: &Store,
) -> Result<Vec<LogEntry>, EngineError> {
    let entries = store.log(None).await?;
    let events = selection_changes(
        &Selection::of(workspace),
        &feature_status(&entries),
        &workspace.actor.name,
        workspace.actor.role,
    );
    if events.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.append_events(&events).await?)
}

/// The whole feature log; empty when the workspace has no state yet (reading never creates
/// the store).
pub async fn read_log(state: &StateLocation) -> Result<Vec<LogEntry>, EngineError> {
    let entries = state
        .using_existing(async |store| Ok::<_, EngineError>(store.log(None).await?))
        .await?;
    Ok(entries.unwrap_or_default())
}

fn is_manual(catalogue: &Catalogue, id: &str) -> bool {
    catalogue
        .feature(id)
        .is_some_and(|f| f.status() == FeatureStatus::Manual)
}

/// Finished: verified in the tenant, or (a manual feature) attested.
pub fn is_done(catalogue: &Catalogue, id: &str, state: FeatureState) -> bool {
    match state {
        FeatureState::Verified => true,
        FeatureState::Attested => is_manual(catalogue, id),
        _ => false,
    }
}

/// A recorded attestation: who attested a manual feature, when, and to what evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationRecord {
    /// The evidence's file name, or its URL.
    pub evidence: String,
    /// `sha256:` + hex.
    pub evidence_digest: String,
    pub note: String,
    pub actor: String,
    pub role: Role,
    /// RFC 3339, UTC.
    pub time: String,
    pub seq: i64,
}

/// The attestation that stands for each feature: the `attested` entry the feature's status
/// ([`feature_status`]) stands on, i.e. one nothing later (excluded, scheduled again, …) has
/// superseded.
pub fn standing_attestations(entries: &[LogEntry]) -> BTreeMap<&str, AttestationRecord> {
    let status = feature_status(entries);
    entries
        .iter()
        .filter(|e| e.event.kind == EventKind::Attested)
        .filter_map(|e| {
            let feature = e.event.feature.as_deref()?;
            let s = status.get(feature)?;
            let stands = s.state == FeatureState::Attested && s.since_seq == e.seq;
            stands.then(|| {
                let text = |key| detail_text(e, key).unwrap_or_default().to_string();
                let record = AttestationRecord {
                    evidence: text("evidence"),
                    evidence_digest: text("evidence_digest"),
                    note: text("note"),
                    actor: e.event.actor.clone(),
                    role: e.event.role,
                    time: e.time.clone(),
                    seq: e.seq,
                };
                (feature, record)
            })
        })
        .collect()
}

/// A text field of an entry's detail.
fn detail_text<'e>(entry: &'e LogEntry, key: &str) -> Option<&'e str> {
    entry.event.detail.get(key).and_then(Value::as_str)
}

/// What a sprint-scoped plan or deploy works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SprintScope {
    pub sprint: i64,
    /// Every selected feature the log schedules into the sprint, in dependency order.
    pub features: Vec<String>,
    /// Its manual features not attested yet: a person performs them and records
    /// `blueprint attest`; deploy never touches them.
    pub needs_attestation: Vec<String>,
}

/// The features the log schedules into `sprint`, once every dependency they have outside the
/// sprint is finished ([`is_done`]). Refuses, naming each one, while a dependency is not; and
/// when no sprint plan is recorded or the sprint is empty.
pub fn sprint_scope(
    catalogue: &Catalogue,
    selection: &Selection,
    status: &BTreeMap<String, FeatureLogStatus>,
    sprint: i64,
) -> Result<SprintScope, EngagementError> {
    let sprint_of = |id: &str| status.get(id).and_then(|s| s.sprint);
    let planned: BTreeSet<i64> = selection
        .selected
        .iter()
        .filter_map(|id| sprint_of(id))
        .collect();
    if planned.is_empty() {
        return Err(EngagementError::NoSprintPlan);
    }
    let features: Vec<String> = selection
        .selected
        .iter()
        .filter(|id| sprint_of(id) == Some(sprint))
        .cloned()
        .collect();
    if features.is_empty() {
        return Err(EngagementError::EmptySprint {
            sprint,
            planned: planned.into_iter().collect(),
        });
    }
    let state_of = |id: &str| status.get(id).map_or(FeatureState::Selected, |s| s.state);
    let mut blockers = Vec::new();
    for feature in &features {
        for dep in catalogue.dependencies(feature) {
            // The workspace selects every dependency of a selected feature; one in this
            // sprint is the planner's to order.
            if sprint_of(dep) == Some(sprint) {
                continue;
            }
            let state = state_of(dep);
            if is_done(catalogue, dep, state) {
                continue;
            }
            blockers.push(Blocker {
                feature: feature.clone(),
                dependency: dep.to_string(),
                dependency_sprint: sprint_of(dep),
                dependency_state: state,
                manual: is_manual(catalogue, dep),
            });
        }
    }
    if !blockers.is_empty() {
        return Err(EngagementError::Blocked { sprint, blockers });
    }
    let needs_attestation = features
        .iter()
        .filter(|id| is_manual(catalogue, id) && state_of(id) != FeatureState::Attested)
        .cloned()
        .collect();
    Ok(SprintScope {
        sprint,
        features,
        needs_attestation,
    })
}

/// A phase decision: what the agency does after a Deploy cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseDecision {
    /// Business change planning (the Transition phase).
    Transition,
    /// Another Deploy cycle, with more features.
    DeployAgain,
    /// Discontinue.
    Exit,
}

impl PhaseDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseDecision::Transition => "transition",
            PhaseDecision::DeployAgain => "deploy-again",
            PhaseDecision::Exit => "exit",
        }
    }
}

impl fmt::Display for PhaseDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PhaseDecision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "transition" => Ok(PhaseDecision::Transition),
            "deploy-again" => Ok(PhaseDecision::DeployAgain),
            "exit" => Ok(PhaseDecision::Exit),
            other => Err(format!(
                "unknown phase decision `{other}`; expected transition, deploy-again or exit"
            )),
        }
    }
}

/// A recorded phase decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    pub decision: PhaseDecision,
    pub note: String,
    pub actor: String,
    pub role: Role,
    /// RFC 3339, UTC.
    pub time: String,
    pub seq: i64,
}

/// The phase decisions in the log, oldest first (entries that name no known decision are
/// skipped: the log is append-only, so an odd one cannot be corrected, only outlived).
pub fn decisions(entries: &[LogEntry]) -> Vec<DecisionRecord> {
    entries
        .iter()
        .filter(|e| e.event.kind == EventKind::PhaseDecision)
        .filter_map(|e| {
            Some(DecisionRecord {
                decision: detail_text(e, "decision")?.parse().ok()?,
                note: detail_text(e, "note").unwrap_or_default().to_string(),
                actor: e.event.actor.clone(),
                role: e.event.role,
                time: e.time.clone(),
                seq: e.seq,
            })
        })
        .collect()
}

fn is_deploy_again(entry: &LogEntry) -> bool {
    entry.event.kind == EventKind::PhaseDecision
        && detail_text(entry, "decision") == Some(PhaseDecision::DeployAgain.as_str())
}

/// Where the current Deploy cycle starts: what the sprint planner needs to plan it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleStart {
    /// 1, plus one for every `deploy-again` decision.
    pub cycle: u32,
    /// The first sprint the cycle's plan may use: 1, or after a `deploy-again` decision the
    /// sprint after the last one any entry named before it (sprint numbers are never reused,
    /// so a sprint number names one sprint for the whole engagement: rollback and
    /// `--sprint` rely on it).
    pub first_sprint: u32,
    /// Features delivered (deployed, verified, drifted or attested) at any time: the planner
    /// treats dependencies on them as met. Those delivered in this cycle keep their sprint;
    /// a drifted one is repaired by deploying its sprint again, not by re-planning it.
    pub delivered: BTreeSet<String>,
}

/// The first sprint of each Deploy cycle, oldest first: 1, then after each `deploy-again`
/// decision the sprint after the last one any entry named before it.
fn cycle_first_sprints(entries: &[LogEntry]) -> Vec<i64> {
    let mut firsts = vec![1];
    let mut last_sprint = 0;
    for entry in entries {
        if is_deploy_again(entry) {
            firsts.push(last_sprint + 1);
        }
        last_sprint = last_sprint.max(entry.event.sprint.unwrap_or(0));
    }
    firsts
}

/// The current cycle's start, from the log.
pub fn cycle_start(entries: &[LogEntry]) -> CycleStart {
    let firsts = cycle_first_sprints(entries);
    let cycle = firsts.len() as u32;
    let first_sprint = firsts
        .last()
        .and_then(|&s| u32::try_from(s).ok())
        .unwrap_or(1);
    let delivered = feature_status(entries)
        .into_iter()
        .filter(|(_, s)| {
            matches!(
                s.state,
                FeatureState::Deployed
                    | FeatureState::Verified
                    | FeatureState::Drifted
                    | FeatureState::Attested
            )
        })
        .map(|(id, _)| id)
        .collect();
    CycleStart {
        cycle,
        first_sprint,
        delivered,
    }
}

/// Where the engagement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseName {
    Deploy,
    Transition,
    Exit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase {
    pub name: PhaseName,
    pub cycle: u32,
    /// The latest phase decision.
    pub decision: Option<DecisionRecord>,
}

/// The execution plan's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    pub selected: usize,
    pub excluded: usize,
    pub not_selected: usize,
    /// Changes to the selection the log does not record yet (recorded by the next `deploy`
    /// or `sprints plan`).
    pub unrecorded: usize,
}

/// One selected feature's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureProgress {
    pub id: String,
    pub title: String,
    pub manual: bool,
    /// As the log derives it; `selected` when the log has nothing (or an old exclusion) yet.
    pub state: FeatureState,
    pub sprint: Option<i64>,
    pub story_points: u32,
    /// Verified, or attested (manual).
    pub done: bool,
}

/// One sprint's progress: features done of scheduled, story points done of planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SprintProgress {
    pub sprint: i64,
    /// The Deploy cycle the sprint belongs to.
    pub cycle: u32,
    pub features: usize,
    pub done: usize,
    pub points: u32,
    pub points_done: u32,
    /// Its features not done yet.
    pub open: Vec<String>,
}

impl SprintProgress {
    pub fn complete(&self) -> bool {
        self.done == self.features
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NextStep {
    /// Put the selected features into sprints.
    PlanSprints,
    /// Deploy, evaluate or attest the current sprint.
    ContinueDeploy,
    /// Features drifted from what was verified.
    FixDrift,
    /// A new cycle has started: choose its features.
    SelectFeatures,
    Transition,
    DeployAgain,
    Exit,
}

impl NextStep {
    /// How the step reads in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            NextStep::PlanSprints => "plan sprints",
            NextStep::ContinueDeploy => "continue Deploy",
            NextStep::FixDrift => "fix drift",
            NextStep::SelectFeatures => "select features",
            NextStep::Transition => "Transition",
            NextStep::DeployAgain => "Deploy again",
            NextStep::Exit => "exit",
        }
    }
}

/// The recommended next step, why, and the command that takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub step: NextStep,
    pub reason: String,
    pub command: Option<String>,
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step.label(), self.reason)
    }
}

/// Where the engagement stands and what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementStatus {
    pub phase: Phase,
    pub execution_plan: PlanCounts,
    /// Selected features, in dependency order.
    pub features: Vec<FeatureProgress>,
    /// Sprints of selected features, in order.
    pub sprints: Vec<SprintProgress>,
    /// Selected features in no sprint and not done.
    pub unscheduled: Vec<String>,
    pub drifted: Vec<String>,
    pub recommendation: Recommendation,
}

/// The engagement's status from the catalogue, the workspace's selection and the log.
pub fn engagement_status(
    catalogue: &Catalogue,
    selection: &Selection,
    entries: &[LogEntry],
) -> EngagementStatus {
    let status = feature_status(entries);
    let decision = decisions(entries).pop();
    let name = match decision.as_ref().map(|d| d.decision) {
        None | Some(PhaseDecision::DeployAgain) => PhaseName::Deploy,
        Some(PhaseDecision::Transition) => PhaseName::Transition,
        Some(PhaseDecision::Exit) => PhaseName::Exit,
    };
    // Which cycle a sprint belongs to: the number of cycles that start at or before it.
    let cycle_firsts = cycle_first_sprints(entries);
    let cycle = cycle_firsts.len() as u32;
    let cycle_of = |sprint: i64| cycle_firsts.iter().filter(|&&f| f <= sprint).count() as u32;

    let features: Vec<FeatureProgress> = selection
        .selected
        .iter()
        .map(|id| {
            let recorded = status.get(id);
            let state = recorded
                .map(|s| s.state)
                .filter(|s| *s != FeatureState::Excluded)
                .unwrap_or(FeatureState::Selected);
            let feature = catalogue.feature(id);
            FeatureProgress {
                id: id.clone(),
                title: feature.map(|f| f.doc.title.clone()).unwrap_or_default(),
                manual: is_manual(catalogue, id),
                state,
                sprint: recorded.and_then(|s| s.sprint),
                story_points: feature.map_or(0, |f| u32::from(f.doc.story_points.value)),
                done: is_done(catalogue, id, state),
            }
        })
        .collect();
    let mut sprints: BTreeMap<i64, SprintProgress> = BTreeMap::new();
    for f in &features {
        let Some(sprint) = f.sprint else { continue };
        let p = sprints.entry(sprint).or_insert_with(|| SprintProgress {
            sprint,
            cycle: cycle_of(sprint),
            features: 0,
            done: 0,
            points: 0,
            points_done: 0,
            open: Vec::new(),
        });
        p.features += 1;
        p.points += f.story_points;
        if f.done {
            p.done += 1;
            p.points_done += f.story_points;
        } else {
            p.open.push(f.id.clone());
        }
    }
    let unscheduled = features
        .iter()
        .filter(|f| f.sprint.is_none() && !f.done)
        .map(|f| f.id.clone())
        .collect();
    let drifted = features
        .iter()
        .filter(|f| f.state == FeatureState::Drifted)
        .map(|f| f.id.clone())
        .collect();
    let mut out = EngagementStatus {
        phase: Phase {
            name,
            cycle,
            decision,
        },
        execution_plan: PlanCounts {
            selected: selection.selected.len(),
            excluded: selection.excluded.len(),
            not_selected: selection.not_selected.len(),
            unrecorded: selection_changes(selection, &status, "-", Role::Agency).len(),
        },
        features,
        sprints: sprints.into_values().collect(),
        unscheduled,
        drifted,
        recommendation: Recommendation {
            step: NextStep::PlanSprints,
            reason: String::new(),
            command: None,
        },
    };
    out.recommendation = recommend(&out);
    out
}

fn date(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

fn ids(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

/// The next step for an engagement, with its reason, from its status (its own
/// `recommendation` is ignored). In order: a recorded exit stands; nothing selected means
/// exit; drift comes before new work; then planning, the earliest unfinished sprint,
/// features left out of the plan; and when every selected feature is finished, Deploy again
/// (catalogue features are not selected yet) or Transition.
pub fn recommend(status: &EngagementStatus) -> Recommendation {
    let step = |step, reason: String, command: Option<&str>| Recommendation {
        step,
        reason,
        command: command.map(str::to_string),
    };
    let decision = status.phase.decision.as_ref();
    if let Some(d) = decision.filter(|d| d.decision == PhaseDecision::Exit) {
        return step(
            NextStep::Exit,
            format!(
                "the agency decided to exit on {} ({}); `blueprint next deploy-again` resumes the engagement",
                date(&d.time),
                d.note
            ),
            None,
        );
    }
    let plan = &status.execution_plan;
    if plan.selected == 0 {
        return step(
            NextStep::Exit,
            format!(
                "the execution plan selects no feature ({} excluded); select features in blueprint.toml [plan], or record the decision",
                plan.excluded
            ),
            Some("blueprint next exit --note \"…\""),
        );
    }
    if !status.drifted.is_empty() {
        let first_sprint = status
            .features
            .iter()
            .filter(|f| f.state == FeatureState::Drifted)
            .filter_map(|f| f.sprint)
            .min();
        return step(
            NextStep::FixDrift,
            format!(
                "{} drifted ({}): the tenant no longer matches what was verified",
                count(status.drifted.len(), "feature"),
                ids(&status.drifted)
            ),
            Some(&match first_sprint {
                Some(s) => format!("blueprint deploy --sprint {s}"),
                None => "blueprint deploy".to_string(),
            }),
        );
    }
    let open: Vec<&FeatureProgress> = status.features.iter().filter(|f| !f.done).collect();
    if !open.is_empty() && status.sprints.is_empty() {
        return step(
            NextStep::PlanSprints,
            format!(
                "no sprint plan yet: {} selected to put into sprints",
                count(open.len(), "feature")
            ),
            Some("blueprint sprints plan"),
        );
    }
    if let Some(sprint) = status.sprints.iter().find(|s| !s.complete()) {
        let in_sprint = |f: &&&FeatureProgress| f.sprint == Some(sprint.sprint);
        let to_deploy = open
            .iter()
            .filter(in_sprint)
            .filter(|f| !f.manual && f.state != FeatureState::Deployed)
            .count();
        let to_evaluate = open
            .iter()
            .filter(in_sprint)
            .filter(|f| !f.manual && f.state == FeatureState::Deployed)
            .count();
        let to_attest: Vec<&str> = open
            .iter()
            .filter(in_sprint)
            .filter(|f| f.manual)
            .map(|f| f.id.as_str())
            .collect();
        let mut parts = Vec::new();
        if to_deploy > 0 {
            parts.push(format!("{to_deploy} to deploy"));
        }
        if to_evaluate > 0 {
            parts.push(format!("{to_evaluate} deployed, awaiting evaluation"));
        }
        if !to_attest.is_empty() {
            parts.push(format!("{} manual, awaiting attestation", to_attest.len()));
        }
        let command = if to_deploy > 0 {
            format!("blueprint deploy --sprint {}", sprint.sprint)
        } else if to_evaluate > 0 {
            "blueprint evaluate".to_string()
        } else {
            format!(
                "blueprint attest {} --evidence FILE --note \"…\"",
                to_attest.first().copied().unwrap_or_default()
            )
        };
        return step(
            NextStep::ContinueDeploy,
            format!(
                "sprint {} has {} not yet verified or attested ({})",
                sprint.sprint,
                count(sprint.open.len(), "feature"),
                parts.join(", ")
            ),
            Some(&command),
        );
    }
    if !status.unscheduled.is_empty() {
        return step(
            NextStep::PlanSprints,
            format!(
                "{} selected but in no sprint ({})",
                count_are(status.unscheduled.len(), "feature"),
                ids(&status.unscheduled)
            ),
            Some("blueprint sprints plan"),
        );
    }
    // Every selected feature is finished.
    let not_selected = plan.not_selected;
    match decision.map(|d| d.decision) {
        Some(PhaseDecision::Transition) => {
            let d = decision.expect("a decision");
            let more = if not_selected > 0 {
                format!(
                    "; {} not selected yet (`blueprint next deploy-again` adds them)",
                    count_are(not_selected, "catalogue feature")
                )
            } else {
                String::new()
            };
            step(
                NextStep::Transition,
                format!(
                    "Transition under way since {}: every selected feature is verified or attested; evaluate regularly to catch drift{more}",
                    date(&d.time)
                ),
                Some("blueprint evaluate"),
            )
        }
        Some(PhaseDecision::DeployAgain) if not_selected > 0 => {
            let d = decision.expect("a decision");
            step(
                NextStep::SelectFeatures,
                format!(
                    "cycle {} started on {}: select its features in blueprint.toml [plan] ({} not selected yet), then plan its sprints",
                    status.phase.cycle,
                    date(&d.time),
                    not_selected
                ),
                Some("blueprint sprints plan"),
            )
        }
        _ if not_selected > 0 => step(
            NextStep::DeployAgain,
            format!(
                "all selected features are verified or attested and {} not selected yet",
                count_are(not_selected, "catalogue feature")
            ),
            Some("blueprint next deploy-again --note \"…\""),
        ),
        _ => step(
            NextStep::Transition,
            "every selected feature is verified or attested".into(),
            Some("blueprint next transition --note \"…\""),
        ),
    }
}

/// Evidence for an attestation: what it is (a file's name, or a URL) and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// `file` or `url`.
    pub kind: &'static str,
    /// The file's name (not its local path), or the URL as given.
    pub name: String,
    /// `sha256:` + hex: of the file's bytes, or of the URL's text.
    pub digest: String,
}

impl Evidence {
    /// A URL (`http://`, `https://`) is taken as given and never fetched: its digest is of
    /// its text, so the log pins which document was named, not what it said. Anything else
    /// is a file, read whole.
    pub fn from_arg(arg: &str) -> Result<Evidence, EngagementError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            return Ok(Evidence {
                kind: "url",
                name: arg.to_string(),
                digest: digest_bytes(arg.as_bytes()),
            });
        }
        let path = Path::new(arg);
        let bytes = std::fs::read(path).map_err(|source| EngagementError::Evidence {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Evidence {
            kind: "file",
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| arg.to_string()),
            digest: digest_bytes(&bytes),
        })
    }
}

/// Records that a person performed a manual feature, with evidence. The feature must be in
/// the catalogue, selected, and manual: an automated feature is proven by evaluation, never
/// by a person's word. The program office cannot attest.
pub async fn attest(
    workspace: &Workspace,
    feature: &str,
    evidence: &Evidence,
    note: &str,
) -> Result<LogEntry, EngineError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(EngagementError::EmptyNote.into());
    }
    if workspace.catalogue.feature(feature).is_none() {
        return Err(EngagementError::UnknownFeature(feature.to_string()).into());
    }
    if !workspace.selects(feature) {
        return Err(EngagementError::NotSelected(feature.to_string()).into());
    }
    if !is_manual(&workspace.catalogue, feature) {
        return Err(EngagementError::Automated(feature.to_string()).into());
    }
    workspace
        .actor
        .may_change("attesting is for the agency or its technology partner")?;
    let (name, role) = (&workspace.actor.name, workspace.actor.role);
    workspace
        .state
        .using(async |store| {
            let entries = store.log(Some(feature)).await?;
            let sprint = feature_status(&entries).get(feature).and_then(|s| s.sprint);
            let event =
                LogEvent::attested(feature, &evidence.name, &evidence.digest, note, name, role)
                    .with("evidence_kind", evidence.kind)
                    .sprint(sprint);
            Ok(store.append_event(&event).await?)
        })
        .await
}

/// Records a phase decision with its note. The decisions are the agency's (the role must be
/// `agency`). Transition is refused while selected features are drifted, unless `force`:
/// business change would be planned around controls the tenant no longer has.
pub async fn decide(
    workspace: &Workspace,
    decision: PhaseDecision,
    note: &str,
    force: bool,
) -> Result<LogEntry, EngineError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(EngagementError::EmptyNote.into());
    }
    let (name, role) = (&workspace.actor.name, workspace.actor.role);
    if role != Role::Agency {
        return Err(EngagementError::Role {
            action: "phase decisions are the agency's: it owns the tenant and the decisions",
            role,
            why: "the agency records it itself: --role agency (or BLUEPRINT_ROLE, or [actor] role in the profile)",
        }
        .into());
    }
    workspace
        .state
        .using(async |store| {
            let entries = store.log(None).await?;
            let selection = Selection::of(workspace);
            let status = feature_status(&entries);
            let drifted: Vec<String> = selection
                .selected
                .iter()
                .filter(|id| {
                    status
                        .get(*id)
                        .is_some_and(|s| s.state == FeatureState::Drifted)
                })
                .cloned()
                .collect();
            let mut event = LogEvent::phase_decision(decision.as_str(), note, name, role);
            if decision == PhaseDecision::Transition && !drifted.is_empty() {
                if !force {
                    return Err(EngagementError::Drifted { features: drifted }.into());
                }
                event = event.with("forced", true).with(
                    "drifted",
                    Value::Array(drifted.into_iter().map(Value::String).collect()),
                );
            }
            Ok(store.append_event(&event).await?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use blueprint_store::GENESIS;

    fn catalogue() -> Catalogue {
        Catalogue::builtin().expect("the built-in catalogue loads")
    }

    /// A log from events, numbered and timed in order (hashes are not checked here).
    fn log(events: Vec<LogEvent>) -> Vec<LogEntry> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, event)| LogEntry {
                seq: i as i64 + 1,
                time: format!("2024-03-{:02}T00:00:00Z", i % 28 + 1),
                event,
                prev_hash: GENESIS.into(),
                hash: GENESIS.into(),
            })
            .collect()
    }

    fn ev(kind: EventKind, feature: &str) -> LogEvent {
        LogEvent::new(kind, "jo", Role::Agency).feature(feature)
    }

    fn scheduled(feature: &str, sprint: i64) -> LogEvent {
        ev(EventKind::Scheduled, feature).sprint(sprint)
    }

    fn decision(d: PhaseDecision) -> LogEvent {
        LogEvent::phase_decision(d.as_str(), "board approved", "jo", Role::Agency)
    }

    fn selection(selected: &[&str], excluded: &[(&str, &str)], not_selected: &[&str]) -> Selection {
        Selection {
            selected: selected.iter().map(|s| s.to_string()).collect(),
            excluded: excluded
                .iter()
                .map(|(f, j)| (f.to_string(), j.to_string()))
                .collect(),
            not_selected: not_selected.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn kinds(events: &[LogEvent]) -> Vec<(String, String, Option<String>)> {
        events
            .iter()
            .map(|e| {
                (
                    e.kind.to_string(),
                    e.feature.clone().unwrap_or_default(),
                    e.detail
                        .get("reason")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
            })
            .collect()
    }

    const GROUP: &str = "identity-ca-exclusion-group";
    const BREAK_GLASS: &str = "identity-break-glass-accounts";
    const GUEST: &str = "ca-block-guest-access";
    const TENANT: &str = "identity-tenant-properties"; // manual, no dependencies
    const PROTECTION: &str = "identity-protection-policies"; // manual, needs GROUP

    #[test]
    fn a_first_selection_records_each_feature_and_each_exclusion_with_its_reason() {
        let sel = selection(
            &[GROUP, BREAK_GLASS],
            &[(GUEST, "guests are not allowed")],
            &[TENANT],
        );
        let events = selection_changes(&sel, &BTreeMap::new(), "jo", Role::Agency);
        assert_eq!(
            kinds(&events),
            vec![
                ("selected".into(), GROUP.into(), None),
                ("selected".into(), BREAK_GLASS.into(), None),
                (
                    "excluded".into(),
                    GUEST.into(),
                    Some("guests are not allowed".into())
                ),
            ]
        );
        // Recorded, nothing changes the second time.
        let status = feature_status(&log(events));
        assert!(selection_changes(&sel, &status, "jo", Role::Agency).is_empty());
    }

    #[test]
    fn a_changed_selection_records_only_what_changed() {
        let before = selection(&[GROUP, BREAK_GLASS, TENANT], &[(GUEST, "no guests")], &[]);
        let mut events = selection_changes(&before, &BTreeMap::new(), "jo", Role::Agency);
        events.push(scheduled(GROUP, 1));
        events.push(ev(EventKind::Verified, GROUP));
        let status = feature_status(&log(events));
        // GUEST selected again, TENANT dropped from [plan] features, BREAK_GLASS now excluded
        // with a reason, GROUP (verified) unchanged.
        let after = selection(
            &[GROUP, GUEST],
            &[(BREAK_GLASS, "done by the identity team")],
            &[TENANT],
        );
        assert_eq!(
            kinds(&selection_changes(&after, &status, "jo", Role::Agency)),
            vec![
                ("selected".into(), GUEST.into(), None),
                (
                    "excluded".into(),
                    BREAK_GLASS.into(),
                    Some("done by the identity team".into())
                ),
                (
                    "excluded".into(),
                    TENANT.into(),
                    Some(NO_LONGER_SELECTED.into())
                ),
            ]
        );
    }

    #[test]
    fn a_new_justification_for_an_exclusion_is_recorded() {
        let status = feature_status(&log(vec![LogEvent::excluded(
            GUEST,
            "old reason",
            "jo",
            Role::Agency,
        )]));
        let sel = selection(&[], &[(GUEST, "new reason")], &[]);
        assert_eq!(
            kinds(&selection_changes(&sel, &status, "jo", Role::Agency)),
            vec![("excluded".into(), GUEST.into(), Some("new reason".into()))]
        );
    }

    #[test]
    fn a_sprint_starts_only_when_its_dependencies_in_earlier_sprints_are_finished() {
        let cat = catalogue();
        let sel = selection(&[GROUP, BREAK_GLASS, PROTECTION], &[], &[]);
        let mut events = vec![
            scheduled(GROUP, 1),
            scheduled(BREAK_GLASS, 2),
            scheduled(PROTECTION, 2),
        ];
        let status = feature_status(&log(events.clone()));
        match sprint_scope(&cat, &sel, &status, 2) {
            Err(EngagementError::Blocked {
                sprint: 2,
                blockers,
            }) => {
                let pairs: Vec<(&str, &str)> = blockers
                    .iter()
                    .map(|b| (b.feature.as_str(), b.dependency.as_str()))
                    .collect();
                assert_eq!(pairs, vec![(BREAK_GLASS, GROUP), (PROTECTION, GROUP)]);
                assert!(blockers[0].to_string().contains("(sprint 1)"));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Sprint 1 has nothing outside it to wait for.
        let one = sprint_scope(&cat, &sel, &status, 1).unwrap();
        assert_eq!(one.features, vec![GROUP.to_string()]);

        events.push(ev(EventKind::Deployed, GROUP).sprint(1));
        let status = feature_status(&log(events.clone()));
        let err = sprint_scope(&cat, &sel, &status, 2).unwrap_err();
        assert!(err.to_string().contains("blueprint evaluate"), "{err}");

        events.push(ev(EventKind::Verified, GROUP));
        let status = feature_status(&log(events));
        let two = sprint_scope(&cat, &sel, &status, 2).unwrap();
        assert_eq!(
            two.features,
            vec![BREAK_GLASS.to_string(), PROTECTION.to_string()]
        );
        assert_eq!(two.needs_attestation, vec![PROTECTION.to_string()]);
    }

    #[test]
    fn no_plan_and_an_empty_sprint_are_refused_with_the_way_forward() {
        let cat = catalogue();
        let sel = selection(&[GROUP], &[], &[]);
        let err = sprint_scope(&cat, &sel, &BTreeMap::new(), 1).unwrap_err();
        assert!(matches!(err, EngagementError::NoSprintPlan));
        assert!(err.to_string().contains("blueprint sprints plan"));
        let status = feature_status(&log(vec![scheduled(GROUP, 1)]));
        let err = sprint_scope(&cat, &sel, &status, 3).unwrap_err();
        assert!(matches!(
            err,
            EngagementError::EmptySprint { sprint: 3, .. }
        ));
        assert!(err.to_string().contains("sprint 1 only"), "{err}");
    }

    #[test]
    fn a_new_cycle_starts_after_the_last_sprint_used() {
        let entries = log(vec![
            scheduled(GROUP, 1),
            scheduled(BREAK_GLASS, 2),
            ev(EventKind::Deployed, GROUP).sprint(1),
            ev(EventKind::Verified, GROUP),
            ev(EventKind::Deployed, BREAK_GLASS).sprint(2),
            ev(EventKind::Drifted, BREAK_GLASS),
        ]);
        let start = cycle_start(&entries);
        assert_eq!((start.cycle, start.first_sprint), (1, 1));
        assert_eq!(
            start.delivered,
            [BREAK_GLASS.to_string(), GROUP.to_string()].into()
        );
        let mut events: Vec<LogEvent> = entries.into_iter().map(|e| e.event).collect();
        events.push(decision(PhaseDecision::DeployAgain));
        let start = cycle_start(&log(events.clone()));
        assert_eq!((start.cycle, start.first_sprint), (2, 3));
        // Planning the new cycle does not move its start.
        events.push(scheduled(GUEST, 3));
        assert_eq!(cycle_start(&log(events)).first_sprint, 3);
    }

    fn status_of(sel: &Selection, events: Vec<LogEvent>) -> EngagementStatus {
        engagement_status(&catalogue(), sel, &log(events))
    }

    #[test]
    fn with_no_log_the_recommendation_is_to_plan_sprints() {
        let status = status_of(&selection(&[GROUP, BREAK_GLASS], &[], &[]), vec![]);
        assert_eq!(status.phase.name, PhaseName::Deploy);
        assert_eq!(status.phase.cycle, 1);
        assert_eq!(status.execution_plan.unrecorded, 2);
        assert_eq!(status.recommendation.step, NextStep::PlanSprints);
        assert_eq!(
            status.recommendation.command.as_deref(),
            Some("blueprint sprints plan")
        );
    }

    #[test]
    fn an_unfinished_sprint_is_continued_with_the_command_that_finishes_it() {
        let sel = selection(&[GROUP, BREAK_GLASS, TENANT], &[], &[]);
        let mut events = vec![
            scheduled(GROUP, 1),
            scheduled(TENANT, 1),
            scheduled(BREAK_GLASS, 2),
        ];
        let status = status_of(&sel, events.clone());
        let r = &status.recommendation;
        assert_eq!(r.step, NextStep::ContinueDeploy);
        assert!(
            r.reason
                .starts_with("sprint 1 has 2 features not yet verified"),
            "{r}"
        );
        assert_eq!(r.command.as_deref(), Some("blueprint deploy --sprint 1"));

        events.push(ev(EventKind::Deployed, GROUP).sprint(1));
        let r = status_of(&sel, events.clone()).recommendation;
        assert_eq!(r.command.as_deref(), Some("blueprint evaluate"));

        events.push(ev(EventKind::Verified, GROUP));
        let r = status_of(&sel, events.clone()).recommendation;
        assert!(
            r.command
                .as_deref()
                .unwrap()
                .starts_with("blueprint attest identity-tenant-properties")
        );

        events.push(ev(EventKind::Attested, TENANT).sprint(1));
        let status = status_of(&sel, events);
        assert!(
            status
                .recommendation
                .reason
                .starts_with("sprint 2 has 1 feature")
        );
        let one = &status.sprints[0];
        assert_eq!((one.features, one.done), (2, 2));
        assert_eq!((one.points, one.points_done), (3, 3));
    }

    #[test]
    fn drift_comes_before_new_work() {
        let sel = selection(&[GROUP, BREAK_GLASS], &[], &[]);
        let status = status_of(
            &sel,
            vec![
                scheduled(GROUP, 1),
                scheduled(BREAK_GLASS, 2),
                ev(EventKind::Deployed, GROUP).sprint(1),
                ev(EventKind::Drifted, GROUP),
            ],
        );
        assert_eq!(status.drifted, vec![GROUP.to_string()]);
        let r = status.recommendation;
        assert_eq!(r.step, NextStep::FixDrift);
        assert!(r.reason.contains(GROUP), "{r}");
        assert_eq!(r.command.as_deref(), Some("blueprint deploy --sprint 1"));
    }

    #[test]
    fn features_added_after_planning_are_sent_back_to_the_planner() {
        let sel = selection(&[GROUP, GUEST], &[], &[]);
        let r = status_of(
            &sel,
            vec![scheduled(GROUP, 1), ev(EventKind::Verified, GROUP)],
        )
        .recommendation;
        assert_eq!(r.step, NextStep::PlanSprints);
        assert!(r.reason.contains(GUEST), "{r}");
    }

    fn all_done() -> Vec<LogEvent> {
        vec![
            scheduled(GROUP, 1),
            scheduled(TENANT, 1),
            ev(EventKind::Verified, GROUP),
            ev(EventKind::Attested, TENANT),
        ]
    }

    #[test]
    fn everything_finished_and_everything_selected_recommends_transition() {
        let r = status_of(
            &selection(&[GROUP, TENANT], &[(GUEST, "no")], &[]),
            all_done(),
        )
        .recommendation;
        assert_eq!(r.step, NextStep::Transition);
        assert_eq!(r.reason, "every selected feature is verified or attested");
    }

    #[test]
    fn everything_finished_with_features_left_recommends_deploy_again() {
        let sel = selection(&[GROUP, TENANT], &[], &[GUEST, BREAK_GLASS]);
        let r = status_of(&sel, all_done()).recommendation;
        assert_eq!(r.step, NextStep::DeployAgain);
        assert!(
            r.reason
                .contains("2 catalogue features are not selected yet"),
            "{r}"
        );

        // Once decided, the new cycle asks for its features.
        let mut events = all_done();
        events.push(decision(PhaseDecision::DeployAgain));
        let status = status_of(&sel, events);
        assert_eq!(status.phase.cycle, 2);
        assert_eq!(status.recommendation.step, NextStep::SelectFeatures);
    }

    #[test]
    fn after_transition_the_recommendation_is_to_watch_for_drift() {
        let mut events = all_done();
        events.push(decision(PhaseDecision::Transition));
        let status = status_of(&selection(&[GROUP, TENANT], &[], &[]), events);
        assert_eq!(status.phase.name, PhaseName::Transition);
        assert_eq!(status.recommendation.step, NextStep::Transition);
        assert_eq!(
            status.recommendation.command.as_deref(),
            Some("blueprint evaluate")
        );
    }

    #[test]
    fn exit_stands_once_decided_and_is_recommended_when_nothing_is_selected() {
        let mut events = all_done();
        events.push(decision(PhaseDecision::Exit));
        let status = status_of(&selection(&[GROUP, TENANT], &[], &[]), events);
        assert_eq!(status.phase.name, PhaseName::Exit);
        assert_eq!(status.recommendation.step, NextStep::Exit);
        assert!(status.recommendation.reason.contains("board approved"));

        let r = status_of(&selection(&[], &[(GROUP, "not now")], &[]), vec![]).recommendation;
        assert_eq!(r.step, NextStep::Exit);
        assert!(r.reason.contains("selects no feature"), "{r}");
    }

    #[test]
    fn url_evidence_is_digested_as_text_and_a_missing_file_is_named() {
        let e = Evidence::from_arg("https://intranet.example.gov.au/change/42").unwrap();
        assert_eq!(e.kind, "url");
        assert_eq!(
            e.digest,
            digest_bytes(b"https://intranet.example.gov.au/change/42")
        );
        let err = Evidence::from_arg("/no/such/evidence.pdf").unwrap_err();
        assert!(err.to_string().contains("/no/such/evidence.pdf"), "{err}");
    }

    #[test]
    fn an_attestation_stands_until_the_log_says_something_later_of_its_feature() {
        let entries = log(vec![
            ev(EventKind::Attested, "a"),
            ev(EventKind::Attested, "b"),
            ev(EventKind::Attested, "b"),
            ev(EventKind::Attested, "c"),
            scheduled("c", 2),
            decision(PhaseDecision::Transition),
        ]);
        let standing: Vec<(&str, i64)> = standing_attestations(&entries)
            .into_iter()
            .map(|(f, e)| (f, e.seq))
            .collect();
        assert_eq!(
            standing,
            [("a", 1), ("b", 3)],
            "the latest of b's; c's superseded by its rescheduling, not by a phase decision"
        );
    }
}
