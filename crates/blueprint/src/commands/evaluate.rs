//! `blueprint evaluate`: prove, from the live tenant, which features are in place.

use std::path::PathBuf;

use clap::Args;

use super::common::{WorkspaceArgs, engine_error, with_session, write_out};
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
/// Each feature is pass, fail (each failing setting with expected and actual), not deployed,
/// or manual: attested (who, when, the evidence's digest, from the feature log) or awaiting
/// attestation. Records in the feature log verified or drifted for each automated feature
/// whose state that changes, and one `evaluated` entry for the run (so daily runs stay
/// readable). Exits 0
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
            let input = rt
                .block_on(session.evaluate_report())
                .map_err(engine_error)?
                .report;
            let text = match args.format {
                EvaluateFormat::Text => blueprint_report::render_text(&input),
                EvaluateFormat::Json => blueprint_report::render_json(&input),
                EvaluateFormat::Html => blueprint_report::render_html(&input),
                EvaluateFormat::Junit => blueprint_report::render_junit(&input),
                EvaluateFormat::Csv => blueprint_report::render_csv(&input),
            };
            write_out(args.out.as_deref(), &text)?;
            Ok(Outcome::of(input.all_done()))
        },
    )
}
