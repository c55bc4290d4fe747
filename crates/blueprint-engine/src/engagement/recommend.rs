//! The recommended next step, from the engagement's status.

use blueprint_store::FeatureState;

use super::*;

pub(crate) fn date(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

pub(crate) fn ids(ids: &[String]) -> String {
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
    let step = |step, reason: String, action: Option<Action>| Recommendation {
        step,
        reason,
        action,
        alternative: None,
    };
    let decision = status.phase.decision.as_ref();
    if let Some(d) = decision.filter(|d| d.decision == PhaseDecision::Exit) {
        return Recommendation {
            alternative: Some(Action::Decide {
                decision: PhaseDecision::DeployAgain,
            }),
            ..step(
                NextStep::Exit,
                format!(
                    "the agency decided to exit on {} ({})",
                    date(&d.time),
                    d.note
                ),
                None,
            )
        };
    }
    let plan = &status.execution_plan;
    if plan.selected == 0 {
        return step(
            NextStep::Exit,
            format!(
                "the execution plan selects no feature ({} excluded); select features in blueprint.toml [plan], or record the decision",
                plan.excluded
            ),
            Some(Action::Decide {
                decision: PhaseDecision::Exit,
            }),
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
            Some(Action::Deploy {
                sprint: first_sprint,
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
            Some(Action::PlanSprints),
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
        let action = if to_deploy > 0 {
            Action::Deploy {
                sprint: Some(sprint.sprint),
            }
        } else if to_evaluate > 0 {
            Action::Evaluate
        } else {
            Action::Attest {
                feature: to_attest.first().copied().unwrap_or_default().to_string(),
            }
        };
        return step(
            NextStep::ContinueDeploy,
            format!(
                "sprint {} has {} not yet verified or attested ({})",
                sprint.sprint,
                count(sprint.open.len(), "feature"),
                parts.join(", ")
            ),
            Some(action),
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
            Some(Action::PlanSprints),
        );
    }
    // Every selected feature is finished.
    let not_selected = plan.not_selected;
    match decision.map(|d| d.decision) {
        Some(PhaseDecision::Transition) => {
            let d = decision.expect("a decision");
            let more = if not_selected > 0 {
                format!(
                    "; {} not selected yet",
                    count_are(not_selected, "catalogue feature")
                )
            } else {
                String::new()
            };
            let alternative = (not_selected > 0).then_some(Action::Decide {
                decision: PhaseDecision::DeployAgain,
            });
            Recommendation {
                alternative,
                ..step(
                    NextStep::Transition,
                    format!(
                        "Transition under way since {}: every selected feature is verified or attested; evaluate regularly to catch drift{more}",
                        date(&d.time)
                    ),
                    Some(Action::Evaluate),
                )
            }
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
                Some(Action::PlanSprints),
            )
        }
        _ if not_selected > 0 => step(
            NextStep::DeployAgain,
            format!(
                "all selected features are verified or attested and {} not selected yet",
                count_are(not_selected, "catalogue feature")
            ),
            Some(Action::Decide {
                decision: PhaseDecision::DeployAgain,
            }),
        ),
        _ => step(
            NextStep::Transition,
            "every selected feature is verified or attested".into(),
            Some(Action::Decide {
                decision: PhaseDecision::Transition,
            }),
        ),
    }
}
