//! What people record in the feature log themselves: attestations with evidence, phase
//! decisions; and reading the log back.

use std::collections::BTreeMap;
use std::path::Path;

use blueprint_store::{
    EventKind, FeatureState, LogEntry, LogEvent, Role, digest_bytes, feature_status,
};
use serde::Serialize;
use serde_json::Value;

use super::*;
use crate::EngineError;
use crate::state::StateLocation;
use crate::workspace::Workspace;

/// The whole feature log; empty when the workspace has no state yet (reading never creates
/// the store).
pub async fn read_log(state: &StateLocation) -> Result<Vec<LogEntry>, EngineError> {
    let entries = state
        .using_existing(async |store| Ok::<_, EngineError>(store.log(None).await?))
        .await?;
    Ok(entries.unwrap_or_default())
}

/// A recorded attestation: who attested a manual feature, when, and to what evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationRecord {
    /// The evidence's file name, or its URL.
    pub evidence: String,
    /// `sha256:` + hex.
    pub evidence_digest: String,
    pub note: String,
    pub actor: String,
    pub role: Role,
    /// RFC 3339, UTC.
    pub time: String,
    pub seq: i64,
}

/// The attestation that stands for each feature: the `attested` entry the feature's status
/// ([`feature_status`]) stands on, i.e. one nothing later (excluded, scheduled again, …) has
/// superseded.
pub fn standing_attestations(entries: &[LogEntry]) -> BTreeMap<&str, AttestationRecord> {
    let status = feature_status(entries);
    entries
        .iter()
        .filter(|e| e.event.kind == EventKind::Attested)
        .filter_map(|e| {
            let feature = e.event.feature.as_deref()?;
            let s = status.get(feature)?;
            let stands = s.state == FeatureState::Attested && s.since_seq == e.seq;
            stands.then(|| {
                let text = |key| detail_text(e, key).unwrap_or_default().to_string();
                let record = AttestationRecord {
                    evidence: text("evidence"),
                    evidence_digest: text("evidence_digest"),
                    note: text("note"),
                    actor: e.event.actor.clone(),
                    role: e.event.role,
                    time: e.time.clone(),
                    seq: e.seq,
                };
                (feature, record)
            })
        })
        .collect()
}

/// A text field of an entry's detail.
pub(crate) fn detail_text<'e>(entry: &'e LogEntry, key: &str) -> Option<&'e str> {
    entry.event.detail.get(key).and_then(Value::as_str)
}

/// Evidence for an attestation: what it is (a file's name, or a URL) and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// `file` or `url`.
    pub kind: &'static str,
    /// The file's name (not its local path), or the URL as given.
    pub name: String,
    /// `sha256:` + hex: of the file's bytes, or of the URL's text.
    pub digest: String,
}

impl Evidence {
    /// An uploaded file (the web app's attest form): its name as the person's browser gave it
    /// (any directory part dropped) and the digest of its bytes.
    pub fn from_upload(file_name: &str, bytes: &[u8]) -> Evidence {
        let name = file_name
            .rsplit(['/', '\\'])
            .next()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("evidence");
        Evidence {
            kind: "file",
            name: name.to_string(),
            digest: digest_bytes(bytes),
        }
    }

    /// A URL (`http://`, `https://`) is taken as given and never fetched: its digest is of
    /// its text, so the log pins which document was named, not what it said. Anything else
    /// is a file, read whole.
    pub fn from_arg(arg: &str) -> Result<Evidence, EngagementError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            return Ok(Evidence {
                kind: "url",
                name: arg.to_string(),
                digest: digest_bytes(arg.as_bytes()),
            });
        }
        let path = Path::new(arg);
        let bytes = std::fs::read(path).map_err(|source| EngagementError::Evidence {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Evidence {
            kind: "file",
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| arg.to_string()),
            digest: digest_bytes(&bytes),
        })
    }
}

/// Records that a person performed a manual feature, with evidence. The feature must be in
/// the catalogue, selected, and manual: an automated feature is proven by evaluation, never
/// by a person's word. The program office cannot attest.
pub async fn attest(
    workspace: &Workspace,
    feature: &str,
    evidence: &Evidence,
    note: &str,
) -> Result<LogEntry, EngineError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(EngagementError::EmptyNote.into());
    }
    if workspace.catalogue.feature(feature).is_none() {
        return Err(EngagementError::UnknownFeature(feature.to_string()).into());
    }
    if !workspace.selects(feature) {
        return Err(EngagementError::NotSelected(feature.to_string()).into());
    }
    if !is_manual(&workspace.catalogue, feature) {
        return Err(EngagementError::Automated(feature.to_string()).into());
    }
    workspace.actor.may_change(Activity::Attest)?;
    let (name, role) = (&workspace.actor.name, workspace.actor.role);
    workspace
        .state
        .using(async |store| {
            let entries = store.log(Some(feature)).await?;
            let sprint = feature_status(&entries).get(feature).and_then(|s| s.sprint);
            let event =
                LogEvent::attested(feature, &evidence.name, &evidence.digest, note, name, role)
                    .with("evidence_kind", evidence.kind)
                    .sprint(sprint);
            Ok(store.append_event(&event).await?)
        })
        .await
}

/// Records a phase decision with its note. The decisions are the agency's (the role must be
/// `agency`). Transition is refused while selected features are drifted, unless `force`:
/// business change would be planned around controls the tenant no longer has.
pub async fn decide(
    workspace: &Workspace,
    decision: PhaseDecision,
    note: &str,
    force: bool,
) -> Result<Decided, EngineError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(EngagementError::EmptyNote.into());
    }
    let (name, role) = (&workspace.actor.name, workspace.actor.role);
    if role != Role::Agency {
        return Err(EngagementError::Role {
            activity: Activity::Decide,
            role,
            why: RoleRule::AgencyDecides,
        }
        .into());
    }
    workspace
        .state
        .using(async |store| {
            let entries = store.log(None).await?;
            let selection = Selection::of(workspace);
            let status = feature_status(&entries);
            let drifted: Vec<String> = selection
                .selected
                .iter()
                .filter(|id| {
                    status
                        .get(*id)
                        .is_some_and(|s| s.state == FeatureState::Drifted)
                })
                .cloned()
                .collect();
            let mut event = LogEvent::phase_decision(decision.as_str(), note, name, role);
            if decision == PhaseDecision::Transition && !drifted.is_empty() {
                if !force {
                    return Err(EngagementError::Drifted { features: drifted }.into());
                }
                event = event.with("forced", true).with(
                    "drifted",
                    Value::Array(drifted.into_iter().map(Value::String).collect()),
                );
            }
            let entry = store.append_event(&event).await?;
            let next_cycle = (decision == PhaseDecision::DeployAgain).then(|| {
                let mut entries = entries;
                entries.push(entry.clone());
                cycle_start(&entries)
            });
            Ok(Decided { entry, next_cycle })
        })
        .await
}

/// A recorded phase decision, and after `deploy-again` where the new cycle starts.
#[derive(Debug, Clone)]
pub struct Decided {
    pub entry: LogEntry,
    pub next_cycle: Option<CycleStart>,
}
