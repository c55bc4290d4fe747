//! Where an engagement stands, as plain data the engine works out from the feature log
//! (`blueprint_engine::engagement` computes and re-exports it), and as a person reads it.
//!
//! The data lives here, below the engine, so that this crate can render it while the engine
//! depends on this crate for its report models (as it does for [`crate::ReportInput`]).

use std::fmt;
use std::str::FromStr;

use blueprint_store::{FeatureState, LogBreak, Role, Run};
use serde::Serialize;
use serde_json::json;

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
    /// Changes to the selection the log does not record yet (recorded by the next deploy or
    /// sprint planning).
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

/// The engagement's status with what the log and the journal add: whether the feature log's
/// chain holds, and the last deploy or rollback to the workspace's tenant.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub agency: String,
    pub status: EngagementStatus,
    /// Entries in the feature log.
    pub entries: usize,
    /// The chain's verification: the entries verified, or where it breaks.
    pub chain: Result<u64, LogBreak>,
    pub last_run: Option<Run>,
    /// Who the feature log names for what the asker records, and in which role.
    pub actor: String,
    pub role: Role,
}

/// How a front end words what a person does: the command line as the commands a person
/// types, a web page as links. The text renderers place the words; the front end chooses them.
pub trait Wording {
    /// What takes `action`.
    fn command(&self, action: &Action) -> String;
    /// The recommendation's reason, with what its alternative names.
    fn reason(&self, recommendation: &Recommendation) -> String;
}

fn phase_text(phase: &Phase) -> String {
    let mut text = match phase.name {
        PhaseName::Deploy => format!("Deploy, cycle {}", phase.cycle),
        PhaseName::Transition => format!("Transition (after Deploy cycle {})", phase.cycle),
        PhaseName::Exit => format!("exited (after Deploy cycle {})", phase.cycle),
    };
    if let Some(d) = &phase.decision {
        text.push_str(&format!(
            "; last decision: {} on {} by {} ({}): {}",
            d.decision,
            d.time.get(..10).unwrap_or(&d.time),
            d.actor,
            d.role,
            d.note
        ));
    }
    text
}

fn run_text(run: &Run) -> String {
    let sprint = run
        .sprint
        .map(|s| format!(" of sprint {s}"))
        .unwrap_or_default();
    format!(
        "{} {}{sprint}: {} ({})",
        run.kind,
        run.id,
        run.status,
        crate::to_the_second(run.finished_at.as_deref().unwrap_or(&run.started_at))
    )
}

/// "1 change", "3 changes": a count with its noun.
pub(crate) fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The status as a person reads it: phase, execution plan, the log's chain, sprints,
/// features, drift, and the next step in `words`.
pub fn render_status_text(report: &StatusReport, words: &dyn Wording) -> String {
    let status = &report.status;
    let mut out = format!("{}: {}\n", report.agency, phase_text(&status.phase));
    let plan = &status.execution_plan;
    out.push_str(&format!(
        "Execution plan: {} selected, {} excluded, {} not selected",
        plan.selected, plan.excluded, plan.not_selected
    ));
    if plan.unrecorded > 0 {
        out.push_str(&format!(
            " ({} not recorded in the feature log yet: the next `{}` or `{}` records {})",
            count(plan.unrecorded, "change"),
            words.command(&Action::Deploy { sprint: None }),
            words.command(&Action::PlanSprints),
            if plan.unrecorded == 1 { "it" } else { "them" }
        ));
    }
    out.push('\n');
    out.push_str(&match &report.chain {
        _ if report.entries == 0 => "Feature log: empty\n".to_string(),
        Ok(n) => format!("Feature log: {n} entries, one unbroken chain\n"),
        Err(broken) => format!("Feature log: DOES NOT VERIFY: {broken}\n"),
    });
    if let Some(run) = &report.last_run {
        out.push_str(&format!("Last run: {}\n", run_text(run)));
    }
    out.push_str(&format!(
        "You act as: {} ({}), as the feature log will record it\n",
        report.actor, report.role
    ));

    if !status.sprints.is_empty() || !status.unscheduled.is_empty() {
        out.push_str("\nSprints\n");
        for s in &status.sprints {
            out.push_str(&format!(
                "  sprint {:<3} cycle {}  {:>7} features  {:>7} points  {}\n",
                s.sprint,
                s.cycle,
                format!("{}/{}", s.done, s.features),
                format!("{}/{}", s.points_done, s.points),
                if s.complete() { "done" } else { "open" }
            ));
        }
        if !status.unscheduled.is_empty() {
            out.push_str(&format!("  in no sprint: {}\n", status.unscheduled.len()));
        }
    }

    if !status.features.is_empty() {
        out.push_str("\nFeatures\n");
        let width = status
            .features
            .iter()
            .map(|f| f.id.len())
            .max()
            .unwrap_or(0);
        for f in &status.features {
            let sprint = f
                .sprint
                .map(|s| format!("sprint {s}"))
                .unwrap_or_else(|| "-".into());
            out.push_str(&format!(
                "  {:<width$}  {:<11} {:<9} {}\n",
                f.id,
                f.state.as_str(),
                sprint,
                if f.manual { "manual" } else { "" }
            ));
        }
    }
    if !status.drifted.is_empty() {
        out.push_str(&format!("\nDrifted: {}\n", status.drifted.join(", ")));
    }
    let r = &status.recommendation;
    out.push_str(&format!(
        "\nNext: {}: {}\n",
        r.step.label(),
        words.reason(r)
    ));
    if let Some(action) = &r.action {
        out.push_str(&format!("  run: {}\n", words.command(action)));
    }
    out
}

/// The status as a program reads it: the engine's data, with the recommendation worded in
/// `words` beside its typed action, the log's chain, the last run and who acts.
pub fn render_status_json(records: &StatusReport, words: &dyn Wording) -> serde_json::Value {
    let mut out = serde_json::to_value(&records.status).unwrap_or_default();
    if let Some(map) = out.as_object_mut() {
        let r = &records.status.recommendation;
        map.insert(
            "recommendation".into(),
            json!({
                "step": r.step,
                "reason": words.reason(r),
                "command": r.action.as_ref().map(|a| words.command(a)),
                "action": r.action,
            }),
        );
        map.insert("agency".into(), json!(records.agency));
        map.insert(
            "log".into(),
            json!({
                "entries": records.entries,
                "verifies": records.chain.is_ok(),
                "broken_at": records.chain.as_ref().err().map(|b| b.seq),
            }),
        );
        map.insert("last_run".into(), json!(records.last_run));
        map.insert(
            "actor".into(),
            json!({"name": records.actor, "role": records.role}),
        );
    }
    out
}
