//! What the pages and the API show of an engagement, read through the engine
//! ([`engagement::status_report`], [`engagement::read_log`]): one model for both, so a page
//! and its JSON never disagree.

use blueprint_engine::EngineError;
use blueprint_engine::engagement::{self, EngagementStatus, StatusReport};
use blueprint_store::{EventKind, FeatureState, LogEntry};
use serde::Serialize;

use crate::registry::Entry;

/// One engagement at a glance: a row of the program overview, an item of `GET /api/engagements`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: String,
    pub agency: String,
    pub phase: String,
    pub cycle: u32,
    /// The first sprint not complete (the last one when all are).
    pub current_sprint: Option<i64>,
    pub sprints: usize,
    pub selected: usize,
    pub verified: usize,
    pub attested: usize,
    /// Deployed and not verified, or rolled back: what a deploy or an evaluation left undone.
    pub failed: usize,
    pub drifted: usize,
    /// When the tenant was last evaluated (the latest `evaluated` entry; in a log older than
    /// those, the latest `verified` or `drifted` one).
    pub last_evaluation: Option<String>,
    pub next_step: String,
    pub next_step_reason: String,
    /// Whether the feature log's hash chain verifies.
    pub chain_verified: bool,
}

/// The engagement's status and its log, read afresh.
pub struct Read {
    pub report: StatusReport,
    pub log: Vec<LogEntry>,
}

pub async fn read(entry: &Entry) -> Result<Read, EngineError> {
    let report = engagement::status_report(&entry.workspace).await?;
    let log = engagement::read_log(&entry.workspace.state).await?;
    Ok(Read { report, log })
}

fn count(status: &EngagementStatus, state: FeatureState) -> usize {
    status.features.iter().filter(|f| f.state == state).count()
}

impl Summary {
    pub fn of(entry: &Entry, read: &Read) -> Summary {
        let status = &read.report.status;
        let current_sprint = status
            .sprints
            .iter()
            .find(|s| !s.complete())
            .or(status.sprints.last())
            .map(|s| s.sprint);
        let last_evaluation = read
            .log
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.event.kind,
                    EventKind::Evaluated | EventKind::Verified | EventKind::Drifted
                )
            })
            .map(|e| e.time.clone());
        Summary {
            id: entry.id().to_string(),
            agency: entry.engagement.agency.clone(),
            phase: serde_json::to_value(status.phase.name)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            cycle: status.phase.cycle,
            current_sprint,
            sprints: status.sprints.len(),
            selected: status.features.len(),
            verified: count(status, FeatureState::Verified),
            attested: count(status, FeatureState::Attested),
            failed: count(status, FeatureState::Deployed) + count(status, FeatureState::RolledBack),
            drifted: count(status, FeatureState::Drifted),
            last_evaluation,
            next_step: status.recommendation.step.label().to_string(),
            next_step_reason: status.recommendation.reason.clone(),
            chain_verified: read.report.chain.is_ok(),
        }
    }
}
