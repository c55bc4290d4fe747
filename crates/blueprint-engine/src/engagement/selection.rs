//! The execution plan: which features the workspace selects, and the log entries that record
//! what changed in it.

use std::collections::BTreeMap;

use blueprint_store::{
    EventKind, FeatureLogStatus, FeatureState, LogEntry, LogEvent, Role, Store, feature_status,
};
use serde::Serialize;

use super::*;
use crate::EngineError;
use crate::workspace::Workspace;

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
