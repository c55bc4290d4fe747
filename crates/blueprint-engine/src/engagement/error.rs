//! Why an engagement step cannot go ahead, with the data a front end words it from.

use std::fmt;
use std::path::PathBuf;

use blueprint_store::{FeatureState, Role};
use serde::Serialize;

/// The reason recorded when a feature the log has as selected is neither selected nor
/// explicitly excluded any more (taken out of `[plan] features`).
pub const NO_LONGER_SELECTED: &str = "no longer selected in blueprint.toml";

/// Why an engagement step cannot go ahead. Every one is the person's to fix (exit code 2). The
/// messages say what is wrong, in the engagement's terms; a front end adds how to act on it
/// (a command line, a link), from the variant's data.
#[derive(Debug, thiserror::Error)]
pub enum EngagementError {
    /// A sprint was asked for, and the log records no sprint plan.
    #[error("no sprint plan is recorded in the feature log")]
    NoSprintPlan,
    /// The recorded sprint plan was asked for, and there is none.
    #[error("no sprint plan is recorded in the feature log yet")]
    NoRecordedPlan,
    #[error("sprint {sprint} has no selected features scheduled in it; {}", planned_sprints(.planned))]
    EmptySprint { sprint: i64, planned: Vec<i64> },
    #[error(
        "sprint {sprint} cannot start: it depends on work that is not finished\n{}",
        blockers.iter().map(|b| format!("  - {b}")).collect::<Vec<_>>().join("\n")
    )]
    Blocked { sprint: i64, blockers: Vec<Blocker> },
    /// The planner cannot place the selection (a dependency cycle, a pin it cannot honour).
    #[error(transparent)]
    Unplannable(#[from] blueprint_sprints::PlanError),
    #[error("unknown feature `{0}`")]
    UnknownFeature(String),
    #[error(
        "`{0}` is not selected in the execution plan: select it in blueprint.toml [plan] (features, exclude) before attesting it"
    )]
    NotSelected(String),
    #[error("`{0}` is automated: it is proven by evaluating the live tenant, not by attestation")]
    Automated(String),
    #[error("the evidence file {} cannot be read: {source}", path.display())]
    Evidence {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the note is empty: say what was done or decided, and by whom")]
    EmptyNote,
    #[error(
        "{} drifted ({}): the tenant no longer matches what was verified, so Transition would plan business change around controls that are not in place",
        count(features.len(), "feature"),
        features.join(", ")
    )]
    Drifted { features: Vec<String> },
    #[error("{activity}; you act as {role} ({why})")]
    Role {
        activity: Activity,
        role: Role,
        why: RoleRule,
    },
}

/// What an actor set out to do, for a refusal by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    PlanSprints,
    Deploy,
    RollBack,
    Unlock,
    Attest,
    Decide,
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activity::PlanSprints => "planning sprints is for the agency or its technology partner",
            Activity::Deploy => "deploying is for the agency or its technology partner",
            Activity::RollBack => "rolling back is for the agency or its technology partner",
            Activity::Unlock => {
                "breaking a deploy lock is for the agency or its technology partner"
            }
            Activity::Attest => "attesting is for the agency or its technology partner",
            Activity::Decide => {
                "phase decisions are the agency's: it owns the tenant and the decisions"
            }
        })
    }
}

/// Which rule of the roles refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleRule {
    /// The program office sees every agency's progress and changes nothing.
    ProgramOfficeChangesNothing,
    /// Only the agency records its phase decisions.
    AgencyDecides,
}

impl fmt::Display for RoleRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoleRule::ProgramOfficeChangesNothing => {
                "the program office sees every agency's progress and changes nothing"
            }
            RoleRule::AgencyDecides => "the agency records it itself",
        })
    }
}

/// The sprints the plan has, for a refusal that names a sprint it does not have.
pub(crate) fn planned_sprints(planned: &[i64]) -> String {
    match planned {
        [] => "no sprint plan is recorded".into(),
        [one] => format!("the sprint plan has sprint {one} only"),
        _ => format!(
            "the sprint plan has sprints {}",
            planned
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1 feature is`, `2 features are`.
pub(crate) fn count_are(n: usize, noun: &str) -> String {
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

impl Blocker {
    /// What the dependency still lacks, in a few words.
    pub fn missing(&self) -> &'static str {
        if self.manual {
            return "not attested yet";
        }
        match self.dependency_state {
            FeatureState::Deployed => "deployed, not verified yet",
            FeatureState::Drifted => "drifted",
            FeatureState::RolledBack => "rolled back",
            _ => "not deployed yet",
        }
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (feature, dep) = (&self.feature, &self.dependency);
        let state = self.dependency_state.as_str();
        let what = match self.missing() {
            "not deployed yet" => format!("{state}, not deployed yet"),
            other => other.to_string(),
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
