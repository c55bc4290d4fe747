//! `blueprint evaluate`: prove, from the live tenant, which features are in place.

use std::path::PathBuf;

use blueprint_engine::{Evaluation, Session, Verdict};
use blueprint_report::{
    AbacRef, Attestation, BurnUpPoint, FeatureReport, ReportInput, SettingFinding, Status,
};
use clap::Args;

use super::common::{WorkspaceArgs, engine_error, with_session, write_out};
use crate::{CommandError, Outcome};
use blueprint_engine::engagement;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvaluateFormat {
    #[default]
    Text,
    /// The documented, versioned JSON document (`blueprint.evaluation/1`).
    Json,
    /// One self-contained HTML page for people: headline, burn-up, every feature.
    Html,
    /// JUnit XML for pipeline dashboards: one test case per feature.
    Junit,
    /// One row per feature, for a spreadsheet.
    Csv,
}

/// Evaluate every selected feature against the live tenant.
///
/// Each feature is pass, fail (each failing setting with expected and actual), not deployed,
/// or manual: attested (who, when, the evidence's digest, from the feature log) or awaiting
/// attestation. Records verified or drifted per automated feature in the feature log. Exits 0
/// when every selected feature is done (verified, or attested when manual), 1 otherwise.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: EvaluateFormat,
    /// Write the result to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: EvaluateArgs) -> Result<Outcome, CommandError> {
    with_session(
        &args.workspace,
        args.format != EvaluateFormat::Text,
        |session, rt| {
            let evaluation = rt.block_on(session.evaluate()).map_err(engine_error)?;
            let input = rt.block_on(report_input(session, &evaluation))?;
            let text = match args.format {
                EvaluateFormat::Text => blueprint_report::render_text(&input),
                EvaluateFormat::Json => blueprint_report::render_json(&input),
                EvaluateFormat::Html => blueprint_report::render_html(&input),
                EvaluateFormat::Junit => blueprint_report::render_junit(&input),
                EvaluateFormat::Csv => blueprint_report::render_csv(&input),
            };
            write_out(args.out.as_deref(), &text)?;
            Ok(if input.all_done() {
                Outcome::Success
            } else {
                Outcome::Failures
            })
        },
    )
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

/// What the reports show: the evaluation, what the catalogue says of each feature (with the
/// attestations that stand for manual ones), and the sprint burn-up, all from the feature log.
pub async fn report_input(
    session: &Session,
    evaluation: &Evaluation,
) -> Result<ReportInput, CommandError> {
    let catalogue = &session.workspace.catalogue;
    let log = session.read_log().await.map_err(engine_error)?;
    let attestations = engagement::standing_attestations(&log);
    let features = evaluation
        .features
        .iter()
        .map(|f| {
            let doc = catalogue.feature(&f.id).map(|c| &c.doc);
            FeatureReport {
                id: f.id.clone(),
                title: f.title.clone(),
                area: f.area.clone(),
                status: match f.verdict {
                    Verdict::Pass => Status::Pass,
                    Verdict::Fail => Status::Fail,
                    Verdict::NotDeployed => Status::NotDeployed,
                    Verdict::Manual => Status::Manual,
                },
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
                user_impact: doc.map(|d| d.user_impact.clone()).unwrap_or_default(),
                user_action: doc.map(|d| d.user_action.clone()).unwrap_or_default(),
                attestation: attestations.get(f.id.as_str()).map(attestation),
            }
        })
        .collect();
    let catalogue = &session.workspace.catalogue;
    Ok(ReportInput {
        agency: session.workspace.profile.agency.name.clone(),
        tenant_id: session.tenant_id(),
        generated_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        catalogue_version: blueprint_catalogue::CATALOGUE_VERSION.to_string(),
        abac_source_date: blueprint_catalogue::ABAC_SOURCE_DATE.to_string(),
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
        features,
        burn_up: burn_up(&session.selected, &log, |id, state| {
            engagement::is_done(catalogue, id, state)
        }),
    })
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
