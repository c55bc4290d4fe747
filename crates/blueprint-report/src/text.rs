//! Plain text for a terminal: one line per feature, each failing setting under it, then the
//! counts.

use serde_json::Value;

use crate::{FeatureReport, ReportInput, Status};

/// The evaluation as `blueprint evaluate` prints it.
pub fn render_text(input: &ReportInput) -> String {
    render(input, |_| true)
}

/// Only the features not done yet (failed, not deployed, awaiting attestation), then the
/// counts of them all: for a run where the whole list would bury what needs attention.
pub fn render_text_outstanding(input: &ReportInput) -> String {
    render(input, |f| !f.is_done())
}

fn render(input: &ReportInput, shown: impl Fn(&FeatureReport) -> bool) -> String {
    let mut out = String::new();
    for f in input.features.iter().filter(|f| shown(f)) {
        let mark = match f.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotDeployed => "NOT DEPLOYED",
            Status::Manual if f.attested().is_some() => "ATTESTED",
            Status::Manual => "MANUAL",
        };
        let beta = if f.graph_beta { "   (Graph beta)" } else { "" };
        out.push_str(&format!("{mark:<13} {:<48} {}{beta}\n", f.id, f.title));
        for m in &f.missing {
            out.push_str(&format!("              missing: {m}\n"));
        }
        for d in &f.findings {
            out.push_str(&format!(
                "              {} {}: expected {}, found {}\n",
                d.reference,
                d.path,
                quoted(&d.expected),
                quoted(&d.actual)
            ));
        }
        if let Some(a) = f.attested() {
            out.push_str(&format!("              {}\n", a.summary()));
        }
        if let Some(failure) = &f.deploy_failure {
            out.push_str(&format!(
                "              last deploy failed: {}\n",
                failure.describe()
            ));
        }
    }
    let t = input.tally();
    out.push_str(&format!(
        "\n{} pass, {} fail, {} not deployed, {} manual ({} attested, {} awaiting attestation) — of {} selected features.\n",
        t.pass,
        t.fail,
        t.not_deployed,
        t.manual,
        t.attested,
        t.awaiting(),
        t.selected
    ));
    out
}

/// A value as the terminal shows it: strings quoted, so that an empty or padded string is
/// visible; absent as `(none)`.
fn quoted(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}
