//! How the command line words the engine's typed outcomes: the next step and the ways out of a
//! refusal, as the commands a person types. The engine says what and why; this says which
//! command (a web page would make the same data a link or a button).

use blueprint_catalogue::permissions::Access;
use blueprint_engine::EngineError;
use blueprint_engine::doctor::Remedy;
use blueprint_engine::engagement::{Action, Blocker, EngagementError, NextStep, Recommendation};
use blueprint_report::status::Wording;
use blueprint_store::{FeatureState, StoreError};

/// The command line's wording: an action is the command a person types.
pub struct CommandLine;

impl Wording for CommandLine {
    fn command(&self, action: &Action) -> String {
        match action {
            Action::PlanSprints => "blueprint sprints plan".into(),
            Action::Deploy { sprint: Some(s) } => format!("blueprint deploy --sprint {s}"),
            Action::Deploy { sprint: None } => "blueprint deploy".into(),
            Action::Evaluate => "blueprint evaluate".into(),
            Action::Attest { feature } => {
                format!("blueprint attest {feature} --evidence FILE --note \"…\"")
            }
            Action::Decide { decision } => format!("blueprint next {decision} --note \"…\""),
        }
    }

    fn reason(&self, r: &Recommendation) -> String {
        let Some(Action::Decide { decision }) = &r.alternative else {
            return r.reason.clone();
        };
        match r.step {
            NextStep::Exit => format!(
                "{}; `blueprint next {decision}` resumes the engagement",
                r.reason
            ),
            _ => format!("{} (`blueprint next {decision}` adds them)", r.reason),
        }
    }
}

/// What the command line adds to a doctor's check whose fix it knows.
pub fn remedy(remedy: Option<Remedy>) -> &'static str {
    match remedy {
        Some(Remedy::Connect) => "; run `blueprint connect` to make a new one",
        None => "",
    }
}

/// How to grant what a connection lacks: the command that grants it, then the check.
pub fn grant_help(access: Access) -> String {
    format!(
        "\n  = help: run `blueprint connect{}` as a Global Administrator or Privileged Role Administrator to grant them (a fresh token shows them), then `blueprint doctor`",
        if access == Access::ReadOnly {
            " --read-only"
        } else {
            ""
        }
    )
}

/// An engine error as a person at the command line reads it: what the engine says, and the
/// command or flag that gets past it.
pub fn error(e: &EngineError) -> String {
    match e {
        EngineError::Engagement(e) => engagement(e),
        EngineError::NoProfile { dir, .. } => {
            format!("{e}; create one with `blueprint init {}`", dir.display())
        }
        EngineError::ProfileExists { .. } => format!("{e}; pass --force to replace it"),
        // Planning and deploying run with the deploying app.
        EngineError::MissingPermissions(_) => format!("{e}{}", grant_help(Access::ReadWrite)),
        EngineError::GrantsNotVisible { .. } => format!("{e}: run `blueprint doctor` in a minute"),
        EngineError::LaterSprintsBuildOn { .. } => {
            format!("{e}; roll those sprints back first, or pass --force")
        }
        EngineError::StalePlan { .. } => format!(
            "{e}\n  = help: nothing was changed; plan again (`blueprint plan --out FILE`) and approve the new plan"
        ),
        EngineError::Store(StoreError::Locked(_)) => {
            format!("{e}: `blueprint unlock --force`")
        }
        EngineError::Store(StoreError::LeaseLost { .. }) => {
            format!("{e} (`blueprint status` shows the journal)")
        }
        EngineError::Store(StoreError::CorruptLog { .. }) => {
            format!("{e} (`blueprint log verify` shows where the chain breaks)")
        }
        _ => e.to_string(),
    }
}

fn engagement(e: &EngagementError) -> String {
    match e {
        EngagementError::NoSprintPlan => {
            format!("{e}: run `blueprint sprints plan` first, then deploy its sprints in order")
        }
        EngagementError::NoRecordedPlan => {
            format!("{e}: create one with `blueprint sprints plan`")
        }
        EngagementError::EmptySprint { planned, .. } => format!(
            "{e}{}",
            match planned.len() {
                0 => ": run `blueprint sprints plan`",
                1 => " (`blueprint sprints show`)",
                _ => " (`blueprint sprints show`); run `blueprint sprints plan` to re-plan",
            }
        ),
        EngagementError::Blocked { sprint, blockers } => format!(
            "sprint {sprint} cannot start: it depends on work that is not finished\n{}\n  = help: finish the earlier sprints first (`blueprint deploy --sprint N`, then `blueprint evaluate`; manual features with `blueprint attest`), or re-plan with `blueprint sprints plan`",
            blockers
                .iter()
                .map(|b| format!("  - {b}{}", blocker_hint(b)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        EngagementError::UnknownFeature(_) => {
            format!("{e}; `blueprint catalogue list` shows the feature ids")
        }
        EngagementError::Automated(_) => format!("{e}; run `blueprint evaluate`"),
        EngagementError::EmptyNote => format!("{e} (--note \"…\")"),
        EngagementError::Drifted { .. } => format!(
            "{e}; fix the drift (`blueprint plan`, `blueprint deploy`, then `blueprint evaluate`), or pass --force to record the decision anyway"
        ),
        EngagementError::Role {
            activity,
            role,
            why: blueprint_engine::engagement::RoleRule::AgencyDecides,
        } => format!(
            "{activity}; you act as {role} (the agency records it itself: --role agency (or BLUEPRINT_ROLE, or [actor] role in the profile))"
        ),
        _ => e.to_string(),
    }
}

/// What finishes a blocking dependency.
fn blocker_hint(b: &Blocker) -> &'static str {
    if b.manual {
        return ": `blueprint attest` it with its evidence";
    }
    match b.dependency_state {
        FeatureState::Deployed => ": run `blueprint evaluate`",
        FeatureState::Drifted => ": deploy its sprint again, then `blueprint evaluate`",
        FeatureState::RolledBack => ": deploy its sprint again",
        _ => "",
    }
}
