//! The report models the front ends render, filled from the engine's results: the evaluation
//! report (each feature with what the catalogue says of it, the attestations that stand, and
//! the sprint burn-up) and the user stories.

use std::collections::{BTreeMap, BTreeSet};

use blueprint_report::{
    AbacRef, Attestation, BurnUpPoint, DeployFailure, FeatureReport, ReportInput, SettingFinding,
    Status, StoriesInput, StoryInput,
};
use blueprint_store::{Change, Store};

use crate::engagement;
use crate::evaluate::{Evaluation, Verdict};
use crate::workspace::Workspace;
use crate::{EngineError, Session};

/// The user stories of the selected features, each with the sprint the recorded plan puts it
/// in, for a backlog.
pub async fn stories(workspace: &Workspace) -> Result<StoriesInput, EngineError> {
    let entries = engagement::read_log(&workspace.state).await?;
    let sprints = engagement::recorded_sprints(&entries);
    let stories = engagement::selected(workspace)
        .into_iter()
        .map(|f| {
            let doc = &f.doc;
            StoryInput {
                id: f.id().to_string(),
                title: doc.title.clone(),
                area: doc.area.as_str().to_string(),
                as_a: doc.story.as_a.clone(),
                want: doc.story.want.clone(),
                so_that: doc.story.so_that.clone(),
                acceptance: doc.acceptance.iter().map(|c| c.text.clone()).collect(),
                story_points: u32::from(doc.story_points.value),
                sprint: sprints.get(f.id()).copied(),
                essential_eight: doc
                    .essential_eight
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                abac: doc
                    .abac
                    .iter()
                    .map(|a| AbacRef {
                        file: a.value.file.clone(),
                        heading: a.value.heading.clone(),
                    })
                    .collect(),
                depends_on: workspace
                    .catalogue
                    .dependencies(f.id())
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            }
        })
        .collect();
    Ok(StoriesInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: engagement::now(),
        stories,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    })
}

/// A recorded attestation as the reports show it.
fn attestation(record: &engagement::AttestationRecord) -> Attestation {
    Attestation {
        time: record.time.clone(),
        actor: record.actor.clone(),
        role: record.role.to_string(),
        evidence: record.evidence.clone(),
        evidence_digest: record.evidence_digest.clone(),
        note: record.note.clone(),
    }
}

/// One feature as the reports show it: its verdict, and what the catalogue says of it (with
/// the attestation that stands, for a manual one). Findings and missing objects are the
/// evaluation's to fill.
fn feature_report(
    catalogue: &blueprint_catalogue::Catalogue,
    attestations: &std::collections::BTreeMap<&str, engagement::AttestationRecord>,
    (id, title, area): (&str, &str, &str),
    status: Status,
) -> FeatureReport {
    let feature = catalogue.feature(id);
    let doc = feature.map(|c| &c.doc);
    FeatureReport {
        // Reached through Graph beta: automated with a beta kind (with beta off it is manual).
        graph_beta: feature.is_some_and(|f| {
            f.needs_beta() && f.status() == blueprint_catalogue::FeatureStatus::Automated
        }),
        id: id.to_string(),
        title: title.to_string(),
        area: area.to_string(),
        status,
        abac: doc
            .map(|d| {
                d.abac
                    .iter()
                    .map(|a| AbacRef {
                        file: a.value.file.clone(),
                        heading: a.value.heading.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        essential_eight: doc
            .map(|d| {
                d.essential_eight
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        findings: Vec::new(),
        missing: Vec::new(),
        user_impact: doc.map(|d| d.user_impact.clone()).unwrap_or_default(),
        user_action: doc.map(|d| d.user_action.clone()).unwrap_or_default(),
        attestation: attestations.get(id).map(attestation),
        deploy_failure: None,
    }
}

/// The report's frame around `features`: the agency, the catalogue, the burn-up from `log`.
fn report_of(
    workspace: &Workspace,
    tenant_id: String,
    generated_at: String,
    selected: &[String],
    log: &[blueprint_store::LogEntry],
    features: Vec<FeatureReport>,
) -> ReportInput {
    let catalogue = &workspace.catalogue;
    ReportInput {
        agency: workspace.profile.agency.name.clone(),
        tenant_id,
        generated_at,
        catalogue_version: blueprint_catalogue::CATALOGUE_VERSION.to_string(),
        abac_source_date: blueprint_catalogue::ABAC_SOURCE_DATE.to_string(),
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
        features,
        burn_up: burn_up(selected, log, |id, state| {
            engagement::is_done(catalogue, id, state)
        }),
    }
}

/// Each feature's failed change in the last deploy that changed it (the latest, when several
/// failed), from the tenant's journal: what failed and the service's answer.
async fn journalled_failures(
    store: &Store,
    tenant: &str,
) -> Result<BTreeMap<String, DeployFailure>, EngineError> {
    let deploys: BTreeSet<i64> = store
        .runs(tenant)
        .await?
        .into_iter()
        .filter(|r| r.kind == "deploy")
        .map(|r| r.id)
        .collect();
    Ok(last_deploy_failures(
        &store.changes(tenant).await?,
        &deploys,
    ))
}

/// Per feature, the failed changes of the last of the `deploys` runs that changed it; the later
/// failure wins. `changes` are oldest first.
fn last_deploy_failures(
    changes: &[Change],
    deploys: &BTreeSet<i64>,
) -> BTreeMap<String, DeployFailure> {
    let deployed: Vec<&Change> = changes
        .iter()
        .filter(|c| deploys.contains(&c.run_id))
        .collect();
    let last_run: BTreeMap<&str, i64> = deployed
        .iter()
        .map(|c| (c.feature.as_str(), c.run_id))
        .collect();
    deployed
        .into_iter()
        .filter(|c| c.status == "failed" && last_run.get(c.feature.as_str()) == Some(&c.run_id))
        .map(|c| {
            let failure = DeployFailure {
                reference: c.reference.clone(),
                error: c.detail.clone().unwrap_or_default(),
                refused: c
                    .refused
                    .clone()
                    .and_then(|v| serde_json::from_value(v).ok()),
            };
            (c.feature.clone(), failure)
        })
        .collect()
}

/// A feature verified (or manual) shows no deploy failure: what the tenant holds now is what
/// counts, and the failure was mended since.
fn unless_verified(status: Status, failure: Option<DeployFailure>) -> Option<DeployFailure> {
    failure.filter(|_| matches!(status, Status::Fail | Status::NotDeployed))
}

/// What the reports show: the evaluation, what the catalogue says of each feature (with the
/// attestations that stand for manual ones), and the sprint burn-up, all from the feature log.
pub(crate) async fn report_input(
    session: &Session,
    evaluation: &Evaluation,
) -> Result<ReportInput, EngineError> {
    let catalogue = &session.workspace.catalogue;
    let log = session.read_log().await?;
    let attestations = engagement::standing_attestations(&log);
    let mut failures = match session.existing_store().await? {
        Some(store) => journalled_failures(&store, &session.tenant().await?).await?,
        None => BTreeMap::new(),
    };
    let features = evaluation
        .features
        .iter()
        .map(|f| {
            let status = match f.verdict {
                Verdict::Pass => Status::Pass,
                Verdict::Fail => Status::Fail,
                Verdict::NotDeployed => Status::NotDeployed,
                Verdict::Manual => Status::Manual,
            };
            FeatureReport {
                findings: f
                    .findings
                    .iter()
                    .map(|d| SettingFinding {
                        reference: d.reference.clone(),
                        path: d.diff.path.clone(),
                        expected: d.diff.expected.clone(),
                        actual: d.diff.actual.clone(),
                    })
                    .collect(),
                missing: f.missing.clone(),
                deploy_failure: unless_verified(status, failures.remove(&f.id)),
                ..feature_report(catalogue, &attestations, (&f.id, &f.title, &f.area), status)
            }
        })
        .collect();
    let generated_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Ok(report_of(
        &session.workspace,
        session.tenant_id(),
        generated_at,
        &session.selected,
        &log,
        features,
    ))
}

/// The report as the feature log last recorded it, without reaching the tenant: each selected
/// feature's latest verdict (verified: pass; drifted, or deployed and never verified: fail;
/// manual: manual, with its standing attestation; anything else: not deployed), as of the
/// last evaluation. The log keeps how many settings failed, not which: a failing feature
/// shows no findings here (a fresh `evaluate` names them).
pub async fn recorded(workspace: &Workspace) -> Result<ReportInput, EngineError> {
    use blueprint_store::{EventKind, FeatureState};
    let log = engagement::read_log(&workspace.state).await?;
    let attestations = engagement::standing_attestations(&log);
    let states = blueprint_store::feature_status(&log);
    // The journal is keyed by the organization id, a GUID in lowercase (as `status` reads it).
    let tenant = workspace.tenant_id().map(|t| t.to_ascii_lowercase());
    let mut failures = match &tenant {
        Some(t) => workspace
            .state
            .using_existing(async |store| journalled_failures(store, t).await)
            .await?
            .unwrap_or_default(),
        None => BTreeMap::new(),
    };
    let selected = engagement::selected(workspace);
    let features = selected
        .iter()
        .map(|f| {
            let status = if engagement::is_manual(&workspace.catalogue, f.id()) {
                Status::Manual
            } else {
                match states.get(f.id()).map(|s| s.state) {
                    Some(FeatureState::Verified) => Status::Pass,
                    Some(FeatureState::Drifted | FeatureState::Deployed) => Status::Fail,
                    _ => Status::NotDeployed,
                }
            };
            let area = f.doc.area.as_str();
            FeatureReport {
                deploy_failure: unless_verified(status, failures.remove(f.id())),
                ..feature_report(
                    &workspace.catalogue,
                    &attestations,
                    (f.id(), &f.doc.title, area),
                    status,
                )
            }
        })
        .collect();
    let generated_at = log
        .iter()
        .rev()
        .find(|e| matches!(e.event.kind, EventKind::Verified | EventKind::Drifted))
        .map(|e| e.time.clone())
        .unwrap_or_else(engagement::now);
    let ids: Vec<String> = selected.iter().map(|f| f.id().to_string()).collect();
    Ok(report_of(
        workspace,
        workspace.connection.tenant_id.clone().unwrap_or_default(),
        generated_at,
        &ids,
        &log,
        features,
    ))
}

/// The sprint burn-up, from the feature log: one point per sprint of the plan, in order, each
/// counting the selected features scheduled into that sprint or an earlier one that the log
/// says are `done` ([`engagement::is_done`]: verified, or attested when manual). Features done
/// without a sprint (deployed before any sprint plan) make a last point, `unscheduled`; with no
/// sprints at all it is the only one.
pub fn burn_up(
    selected: &[String],
    entries: &[blueprint_store::LogEntry],
    done: impl Fn(&str, blueprint_store::FeatureState) -> bool,
) -> Vec<BurnUpPoint> {
    let status = blueprint_store::feature_status(entries);
    let mut done_by_sprint: std::collections::BTreeMap<i64, usize> = Default::default();
    let mut unscheduled_done = 0;
    for feature in selected {
        let Some(s) = status.get(feature) else {
            continue;
        };
        let done = done(feature, s.state);
        match s.sprint {
            Some(n) => *done_by_sprint.entry(n).or_default() += usize::from(done),
            None => unscheduled_done += usize::from(done),
        }
    }
    let mut completed = 0;
    let mut points: Vec<BurnUpPoint> = done_by_sprint
        .into_iter()
        .map(|(sprint, done)| {
            completed += done;
            BurnUpPoint {
                label: format!("sprint {sprint}"),
                completed,
            }
        })
        .collect();
    if unscheduled_done > 0 || points.is_empty() {
        points.push(BurnUpPoint {
            label: "unscheduled".into(),
            completed: completed + unscheduled_done,
        });
    }
    points
}

#[cfg(test)]
mod tests {
    use blueprint_store::{EventKind, FeatureState, LogEntry, LogEvent, Role};

    fn entries(events: &[(EventKind, &str, Option<i64>)]) -> Vec<LogEntry> {
        events
            .iter()
            .enumerate()
            .map(|(i, (kind, feature, sprint))| LogEntry {
                seq: i as i64 + 1,
                time: String::new(),
                event: LogEvent::new(*kind, "jo", Role::Agency)
                    .feature(*feature)
                    .sprint(*sprint),
                prev_hash: String::new(),
                hash: String::new(),
            })
            .collect()
    }

    #[test]
    fn burn_up_counts_done_features_cumulatively_by_sprint() {
        use EventKind::*;
        let selected: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let log = entries(&[
            (Scheduled, "a", Some(1)),
            (Scheduled, "b", Some(1)),
            (Scheduled, "c", Some(2)),
            (Scheduled, "d", Some(3)),
            (Deployed, "a", Some(1)),
            (Verified, "a", None),
            (Verified, "b", None),
            (Drifted, "b", None),
            (Attested, "c", None),
            (Verified, "e", None),
            (Verified, "x", Some(1)),
        ]);
        // As the engine decides: verified, or attested when manual (c is the manual one).
        let done = |id: &str, state| {
            state == FeatureState::Verified || (state == FeatureState::Attested && id == "c")
        };
        let points: Vec<(String, usize)> = super::burn_up(&selected, &log, done)
            .into_iter()
            .map(|p| (p.label, p.completed))
            .collect();
        // b drifted (not done), d not done yet, e done before any plan, x not selected.
        assert_eq!(
            points,
            [
                ("sprint 1".to_string(), 1),
                ("sprint 2".to_string(), 2),
                ("sprint 3".to_string(), 2),
                ("unscheduled".to_string(), 3)
            ]
        );
        let none = super::burn_up(&selected, &[], done);
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].completed, 0);
    }
}

#[cfg(test)]
mod deploy_failures {
    use super::*;

    fn change(id: i64, run_id: i64, feature: &str, status: &str, code: Option<&str>) -> Change {
        Change {
            id,
            run_id,
            feature: feature.into(),
            reference: format!("group:{feature}-{id}"),
            op: "create".into(),
            object_id: None,
            before: None,
            after: None,
            status: status.into(),
            detail: Some(format!("failure {id}")),
            refused: code.map(|c| {
                serde_json::json!({
                    "service": "Microsoft Graph", "status": 400, "code": c, "message": "bad",
                    "request_id": format!("r-{id}"), "client_request_id": "c", "method": "POST",
                    "path": "/groups",
                })
            }),
        }
    }

    #[test]
    fn a_feature_shows_the_failure_of_the_last_deploy_that_changed_it() {
        let changes = [
            // a: failed in run 1, went through in run 2.
            change(1, 1, "a", "failed", Some("Old")),
            change(2, 2, "a", "done", None),
            // b: two failures in run 2 (the later wins); a rollback (run 3) does not count.
            change(3, 2, "b", "failed", Some("First")),
            change(4, 2, "b", "failed", Some("Second")),
            change(5, 3, "b", "done", None),
            // c: failed without a service's answer.
            change(6, 2, "c", "failed", None),
        ];
        let failures = last_deploy_failures(&changes, &BTreeSet::from([1, 2]));
        assert_eq!(failures.keys().collect::<Vec<_>>(), ["b", "c"]);
        let b = &failures["b"];
        let answer = b.refused.as_ref().unwrap();
        assert_eq!(
            (
                b.reference.as_str(),
                answer.code.as_str(),
                answer.request_id.as_deref()
            ),
            ("group:b-4", "Second", Some("r-4"))
        );
        assert_eq!(
            (failures["c"].error.as_str(), &failures["c"].refused),
            ("failure 6", &None)
        );
        assert_eq!(unless_verified(Status::Pass, Some(b.clone())), None);
        assert!(unless_verified(Status::NotDeployed, Some(b.clone())).is_some());
    }
}
