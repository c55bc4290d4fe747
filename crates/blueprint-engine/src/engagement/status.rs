//! Where the engagement stands: phase, execution plan, progress per feature and sprint.

use std::collections::BTreeMap;

use blueprint_catalogue::Catalogue;
use blueprint_store::{FeatureState, LogEntry, Role, feature_status};

use super::*;

pub use blueprint_report::status::{
    Action, EngagementStatus, FeatureProgress, NextStep, Phase, PhaseName, PlanCounts,
    Recommendation, SprintProgress, StatusReport,
};

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
        actor: workspace.actor.name.clone(),
        role: workspace.actor.role,
    })
}
