//! `blueprint evaluate`: prove, from the live tenant, which features are in place.

use std::path::PathBuf;

use blueprint_engine::{Evaluation, Session, Verdict};
use blueprint_report::{AbacRef, BurnUpPoint, FeatureReport, ReportInput, SettingFinding, Status};
use clap::Args;
use serde_json::Value;

use super::common::{WorkspaceArgs, engine_error, open_session, runtime};
use crate::{CommandError, Outcome};

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
/// Each feature is pass, fail (each failing setting
/// with expected and actual), not deployed, or manual (awaiting attestation). Exits 0 when all
/// pass, 1 otherwise.
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
    let session = open_session(&args.workspace, args.format != EvaluateFormat::Text)?;
    let evaluation = runtime()?
        .block_on(session.evaluate())
        .map_err(engine_error)?;
    let text = match args.format {
        EvaluateFormat::Text => render(&evaluation),
        format => {
            let input = runtime()?.block_on(report_input(&session, &evaluation))?;
            match format {
                EvaluateFormat::Json => blueprint_report::render_json(&input),
                EvaluateFormat::Html => blueprint_report::render_html(&input),
                EvaluateFormat::Junit => blueprint_report::render_junit(&input),
                _ => blueprint_report::render_csv(&input),
            }
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(if evaluation.all_pass() {
        Outcome::Success
    } else {
        Outcome::Failures
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

pub fn render(e: &Evaluation) -> String {
    let mut out = String::new();
    for f in &e.features {
        let mark = match f.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotDeployed => "NOT DEPLOYED",
            Verdict::Manual => "MANUAL",
        };
        out.push_str(&format!("{mark:<13} {:<48} {}\n", f.id, f.title));
        for m in &f.missing {
            out.push_str(&format!("              missing: {m}\n"));
        }
        for finding in &f.findings {
            out.push_str(&format!(
                "              {} {}: expected {}, found {}\n",
                finding.reference,
                finding.diff.path,
                show(&finding.diff.expected),
                show(&finding.diff.actual)
            ));
        }
    }
    out.push_str(&format!(
        "\n{} pass, {} fail, {} not deployed, {} manual (awaiting attestation) — of {} selected features.\n",
        e.count(Verdict::Pass),
        e.count(Verdict::Fail),
        e.count(Verdict::NotDeployed),
        e.count(Verdict::Manual),
        e.features.len()
    ));
    out
}

/// What the reports show: the evaluation, what the catalogue says of each feature, and the
/// sprint burn-up drawn from the deploy journal.
pub async fn report_input(
    session: &Session,
    evaluation: &Evaluation,
) -> Result<ReportInput, CommandError> {
    let catalogue = &session.workspace.catalogue;
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
            }
        })
        .collect();
    let state = &session.workspace.state;
    let opened = state
        .open_existing()
        .await
        .map_err(|e| CommandError::Failed(format!("reading {state}: {e}")))?;
    let changes = if let Some(store) = opened {
        let changes = store.changes(&session.tenant_id()).await;
        store.close().await;
        changes.map_err(|e| CommandError::Failed(format!("reading the journal: {e}")))?
    } else {
        Vec::new()
    };
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
        burn_up: burn_up(&session.selected, &changes),
    })
}

/// Features completed, cumulatively, after each deploy run in the journal. A feature is
/// complete after the first run at whose end the latest change to each of its objects is done.
/// (The feature log will replace this source.)
pub fn burn_up(selected: &[String], changes: &[blueprint_store::Change]) -> Vec<BurnUpPoint> {
    let mut runs: Vec<i64> = changes.iter().map(|c| c.run_id).collect();
    runs.sort_unstable();
    runs.dedup();
    let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut points = Vec::new();
    for (n, run) in runs.iter().enumerate() {
        for feature in selected {
            if done.contains(feature.as_str()) {
                continue;
            }
            // The latest status of each object's change, up to this run.
            let mut latest: std::collections::BTreeMap<&str, &str> = Default::default();
            for c in changes
                .iter()
                .filter(|c| &c.feature == feature && c.run_id <= *run)
            {
                latest.insert(c.reference.as_str(), c.status.as_str());
            }
            if !latest.is_empty() && latest.values().all(|s| *s == "done") {
                done.insert(feature.as_str());
            }
        }
        points.push(BurnUpPoint {
            label: format!("run {}", n + 1),
            completed: done.len(),
        });
    }
    points
}

#[cfg(test)]
mod tests {
    use blueprint_store::Change;

    fn change(run_id: i64, feature: &str, reference: &str, status: &str) -> Change {
        Change {
            id: 0,
            run_id,
            feature: feature.into(),
            reference: reference.into(),
            op: "create".into(),
            object_id: None,
            before: None,
            after: None,
            status: status.into(),
            detail: None,
        }
    }

    #[test]
    fn burn_up_counts_a_feature_once_all_its_latest_changes_are_done() {
        let selected = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let changes = vec![
            change(1, "a", "group:x", "done"),
            change(1, "b", "group:y", "done"),
            change(1, "b", "group:z", "failed"),
            change(3, "b", "group:z", "done"),
            change(3, "c", "group:w", "interrupted"),
            change(4, "a", "group:x", "done"),
        ];
        let points = super::burn_up(&selected, &changes);
        let completed: Vec<(String, usize)> =
            points.into_iter().map(|p| (p.label, p.completed)).collect();
        assert_eq!(
            completed,
            [
                ("run 1".to_string(), 1),
                ("run 2".to_string(), 2),
                ("run 3".to_string(), 2)
            ]
        );
    }
}
