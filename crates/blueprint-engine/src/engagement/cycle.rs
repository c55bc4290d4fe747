//! Deploy cycles and the phase decisions that end them.

use std::collections::BTreeSet;

use blueprint_store::{EventKind, FeatureState, LogEntry, feature_status};
use serde::Serialize;

use super::*;

pub use blueprint_report::status::{DecisionRecord, PhaseDecision};

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
    /// sprint-scoped deploys rely on it).
    pub first_sprint: u32,
    /// Features delivered (deployed, verified, drifted or attested) at any time: the planner
    /// treats dependencies on them as met. Those delivered in this cycle keep their sprint;
    /// a drifted one is repaired by deploying its sprint again, not by re-planning it.
    pub delivered: BTreeSet<String>,
}

/// The first sprint of each Deploy cycle, oldest first: 1, then after each `deploy-again`
/// decision the sprint after the last one any entry named before it.
pub(crate) fn cycle_first_sprints(entries: &[LogEntry]) -> Vec<i64> {
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
