//! Sprint gating: which features a sprint holds, and whether it may start.

use std::collections::{BTreeMap, BTreeSet};

use blueprint_catalogue::{Catalogue, FeatureStatus};
use blueprint_store::{FeatureLogStatus, FeatureState};

use super::*;

/// A feature a person performs (no API reaches its settings): attested, never evaluated.
pub fn is_manual(catalogue: &Catalogue, id: &str) -> bool {
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

pub use blueprint_report::plan::SprintScope;

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
