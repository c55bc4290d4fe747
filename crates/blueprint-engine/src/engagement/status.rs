//! Where the engagement stands: phase, execution plan, progress per feature and sprint.

use std::collections::BTreeMap;
use std::fmt;

use blueprint_catalogue::Catalogue;
use blueprint_store::{FeatureState, LogEntry, Role, feature_status};
use serde::Serialize;

use super::*;

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

/// The recommended next step, why, and what a person does to take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub step: NextStep,
    /// Why, in the engagement's terms.
    pub reason: String,
    /// What takes the step; a front end words it (a command line, a button).
    pub action: Option<Action>,
    /// Another action the reason points at (after an exit: deploy again resumes it).
    pub alternative: Option<Action>,
}

/// Something a person does next, as data: the command line words it as a command, a web page
/// as a link or a button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Place the selected features in sprints.
    PlanSprints,
    /// Deploy a sprint (or, with none, the whole selection).
    Deploy { sprint: Option<i64> },
    /// Evaluate the live tenant.
    Evaluate,
    /// Attest a manual feature with evidence.
    Attest { feature: String },
    /// Record a phase decision.
    Decide { decision: PhaseDecision },
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
            action: None,
            alternative: None,
        },
    };
    out.recommendation = recommend(&out);
    out
}

/// The engagement's status with what the log and the journal add: whether the feature log's
/// chain holds, and the last deploy or rollback to the workspace's tenant.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub agency: String,
    pub status: EngagementStatus,
    /// Entries in the feature log.
    pub entries: usize,
    /// The chain's verification: the entries verified, or where it breaks.
    pub chain: Result<u64, blueprint_store::LogBreak>,
    pub last_run: Option<blueprint_store::Run>,
    pub actor: crate::Actor,
}

/// Where the engagement stands: reads the profile, the catalogue, the feature log and the
/// journal, never the tenant, and changes nothing (the program office can ask too).
pub async fn status_report(
    workspace: &crate::workspace::Workspace,
) -> Result<StatusReport, crate::EngineError> {
    // The journal is keyed by the organization id (`Session::tenant`), which a GUID is in
    // lowercase; a tenant configured by its domain is resolved only online.
    let tenant = workspace.tenant_id().map(|t| t.to_ascii_lowercase());
    let read = workspace
        .state
        .using_existing(async |store| {
            let entries = store.log(None).await?;
            // Status built on an edited log would mislead: say whether the chain holds.
            let chain = store.verify_log().await?;
            let last_run = match &tenant {
                Some(t) => store.runs(t).await?.pop(),
                None => None,
            };
            Ok::<_, blueprint_store::StoreError>((entries, chain, last_run))
        })
        .await?;
    let (entries, chain, last_run) = read.unwrap_or((Vec::new(), Ok(0), None));
    Ok(StatusReport {
        agency: workspace.profile.agency.name.clone(),
        status: engagement_status(
            &workspace.catalogue,
            &super::Selection::of(workspace),
            &entries,
        ),
        entries: entries.len(),
        chain,
        last_run,
        actor: workspace.actor.clone(),
    })
}
