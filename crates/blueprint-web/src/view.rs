//! What the pages and the API show of an engagement, read through the engine
//! ([`engagement::status_report`], [`engagement::read_log`]): one model for both, so a page
//! and its JSON never disagree. A read is kept while the engagement's state file is unchanged,
//! so the overview of a hundred agencies does not open a hundred databases per request.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use blueprint_engine::engagement::{self, EngagementStatus, StatusReport};
use blueprint_engine::{EngineError, StateLocation};
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
    /// When the tenant was last evaluated (the latest `verified` or `drifted` entry).
    pub last_evaluation: Option<String>,
    pub next_step: String,
    pub next_step_reason: String,
    /// Whether the feature log's hash chain verifies.
    pub chain_verified: bool,
    /// Features done (verified, or attested when manual) at the end of each of the last days
    /// the feature log moved, oldest first.
    pub trend: Vec<TrendPoint>,
}

/// Features done at the end of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub done: usize,
}

/// How many days the trend shows.
pub const TREND_DAYS: usize = 5;

/// The done count at the end of each of the last [`TREND_DAYS`] days on which a feature's
/// state changed, from the log: each day's count is the state the log had reached by then,
/// among the `selected` features, `done` as the engine decides ([`engagement::is_done`]).
pub fn trend(
    log: &[LogEntry],
    selected: &[&str],
    done: impl Fn(&str, FeatureState) -> bool,
) -> Vec<TrendPoint> {
    // The index just past each day's last feature entry, newest day first.
    let mut ends: Vec<(String, usize)> = Vec::new();
    for (i, e) in log.iter().enumerate().rev() {
        if e.event.feature.is_none() {
            continue;
        }
        let date = e.time.get(..10).unwrap_or_default();
        if ends.last().is_none_or(|(d, _)| d != date) {
            if ends.len() == TREND_DAYS {
                break;
            }
            ends.push((date.to_string(), i + 1));
        }
    }
    ends.into_iter()
        .rev()
        .map(|(date, end)| {
            let states = blueprint_store::feature_status(&log[..end]);
            let done = selected
                .iter()
                .filter(|id| states.get(**id).is_some_and(|s| done(id, s.state)))
                .count();
            TrendPoint { date, done }
        })
        .collect()
}

/// The engagement's status and its log.
pub struct Read {
    pub report: StatusReport,
    pub log: Vec<LogEntry>,
}

/// The last read of an engagement and what its state file looked like just before it.
#[derive(Default)]
pub struct ReadCache(tokio::sync::Mutex<Option<(Stamp, Instant, Arc<Read>)>>);

/// How long a kept read is trusted even when its file looks unchanged: a bound on what a
/// write within the file system's timestamp granularity, leaving the size alone, could hide.
const TRUSTED_FOR: Duration = Duration::from_secs(5);

/// The state file's and its write-ahead log's size and modification time. Every write (this
/// server's, another `serve` process's, the command line's) changes one of them. None for a
/// database URL: a server database has no such stamp, so it is read every time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Vec<Option<(u64, SystemTime)>>);

fn stamp(state: &StateLocation) -> Option<Stamp> {
    let StateLocation::File(path) = state else {
        return None;
    };
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let of = |p: &std::path::Path| {
        std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?)))
    };
    Some(Stamp(vec![of(path), of(std::path::Path::new(&wal))]))
}

/// The engagement's status and log: the kept read while the state is unchanged, else read
/// afresh (one reader at a time per engagement; the others wait for its answer).
pub async fn read(entry: &Entry) -> Result<Arc<Read>, EngineError> {
    let mut kept = entry.cache.0.lock().await;
    // Taken before reading: a write during the read changes it, and the next request reads.
    let now = stamp(&entry.workspace.state);
    if let (Some(now), Some((then, at, read))) = (&now, kept.as_ref())
        && now == then
        && at.elapsed() < TRUSTED_FOR
    {
        return Ok(read.clone());
    }
    let report = engagement::status_report(&entry.workspace).await?;
    let log = engagement::read_log(&entry.workspace.state).await?;
    let read = Arc::new(Read { report, log });
    *kept = now.map(|s| (s, Instant::now(), read.clone()));
    Ok(read)
}

/// Forgets the kept read: this server has just written to the engagement.
pub async fn forget(entry: &Entry) {
    *entry.cache.0.lock().await = None;
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
            .find(|e| matches!(e.event.kind, EventKind::Verified | EventKind::Drifted))
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
            trend: trend(
                &read.log,
                &status
                    .features
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>(),
                |id, state| engagement::is_done(&entry.workspace.catalogue, id, state),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use blueprint_store::{EventKind, FeatureState, LogEntry, LogEvent, Role};

    fn entry(seq: i64, date: &str, kind: EventKind, feature: Option<&str>) -> LogEntry {
        let mut event = LogEvent::new(kind, "jo", Role::Agency);
        event.feature = feature.map(str::to_string);
        LogEntry {
            seq,
            time: format!("{date}T09:00:00Z"),
            event,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_trend_is_each_days_closing_count_for_the_last_days_the_log_moved() {
        use EventKind::*;
        let log = [
            entry(1, "2026-01-01", Verified, Some("a")),
            entry(2, "2026-01-02", Verified, Some("b")),
            entry(3, "2026-01-02", Drifted, Some("a")),
            entry(4, "2026-01-03", PhaseDecision, None),
            entry(5, "2026-01-04", Verified, Some("a")),
            entry(6, "2026-01-04", Verified, Some("x")),
            entry(7, "2026-01-05", Attested, Some("c")),
            entry(8, "2026-01-06", Verified, Some("c")),
            entry(9, "2026-01-07", Drifted, Some("b")),
        ];
        let done = |_: &str, s: FeatureState| s == FeatureState::Verified;
        let points: Vec<(String, usize)> = super::trend(&log, &["a", "b", "c"], done)
            .into_iter()
            .map(|p| (p.date, p.done))
            .collect();
        // The 1st falls outside the last five days; the 3rd moved no feature; x is not
        // selected; c attested is not done by this rule, verified is.
        assert_eq!(
            points,
            [
                ("2026-01-02".to_string(), 1),
                ("2026-01-04".to_string(), 2),
                ("2026-01-05".to_string(), 2),
                ("2026-01-06".to_string(), 3),
                ("2026-01-07".to_string(), 2),
            ]
        );
        assert!(super::trend(&[], &["a"], done).is_empty());
    }
}
