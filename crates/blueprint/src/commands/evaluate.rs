//! `blueprint evaluate`: prove, from the live tenant, which features are in place.

use std::path::PathBuf;

use blueprint_engine::{Evaluation, Verdict};
use clap::Args;
use serde_json::Value;

use super::common::{WorkspaceArgs, engine_error, open_session, runtime};
use crate::{CommandError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvaluateFormat {
    #[default]
    Text,
    Json,
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
    let session = open_session(&args.workspace.dir, args.format != EvaluateFormat::Text)?;
    let evaluation = runtime()?
        .block_on(session.evaluate())
        .map_err(engine_error)?;
    let text = match args.format {
        EvaluateFormat::Json => {
            serde_json::to_string_pretty(&evaluation).unwrap_or_default() + "\n"
        }
        EvaluateFormat::Text => render(&evaluation),
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
