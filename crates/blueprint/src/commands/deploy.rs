//! `blueprint deploy`: apply the plan to the tenant.

use std::io::IsTerminal;
use std::sync::Arc;

use blueprint_engine::{DeployOptions, DeployReport, Outcome as ActionOutcome};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{Format, WorkspaceArgs, engine_error, open_session, runtime};
use crate::{CommandError, Outcome};

/// Apply the blueprint to the tenant, journalled and verified.
///
/// Creates and updates objects in dependency order, with every
/// change journalled and read back. Conditional access policies go out report-only; add
/// --enforce to switch verified ones on. Asks for confirmation unless --yes.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// At most this many changes in flight.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Switch verified conditional access policies from report-only to their blueprint state.
    #[arg(long)]
    pub enforce: bool,
    /// Delete objects blueprint created for features the agency has since deselected.
    #[arg(long)]
    pub allow_delete: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: DeployArgs) -> Result<Outcome, CommandError> {
    let json = args.format == Format::Json;
    let session = open_session(&args.workspace, json)?;
    let rt = runtime()?;
    let (preview, _) = rt
        .block_on(session.plan_with(args.enforce, args.allow_delete))
        .map_err(engine_error)?;
    if !json {
        print!("{}", super::plan::render(&preview));
    }
    if !preview.has_changes() {
        if !json {
            println!("Nothing to deploy: the tenant already matches the blueprint.");
        } else {
            println!("{}", serde_json::json!({"plan": preview, "results": []}));
        }
        return Ok(Outcome::Success);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CommandError::Input(
                "deploy changes the tenant and needs confirmation: run it in a terminal, or pass --yes".into(),
            ));
        }
        eprint!("Apply these changes to the tenant? [y/N] ");
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Nothing changed.");
            return Ok(Outcome::Success);
        }
    }
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(preview.actions.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    // On a terminal the lines go above the bar; otherwise (a log, a pipe) straight out.
    let on_terminal = std::io::stderr().is_terminal();
    let progress = Arc::new(move |r: &blueprint_engine::apply::ActionResult| {
        progress_bar.inc(1);
        let line = match &r.outcome {
            ActionOutcome::Done { op, .. } => Some(format!("  done     {op:<14} {}", r.reference)),
            ActionOutcome::Failed { error } => Some(format!("  FAILED   {}: {error}", r.reference)),
            ActionOutcome::Skipped { reason } => {
                Some(format!("  skipped  {}: {reason}", r.reference))
            }
            ActionOutcome::Unchanged => None,
        };
        if let Some(line) = line.filter(|_| !json) {
            if on_terminal {
                progress_bar.println(line);
            } else {
                println!("{line}");
            }
        }
        progress_bar.set_message(r.reference.clone());
    });
    let options = DeployOptions {
        parallelism: args.parallelism as usize,
        enforce: args.enforce,
        allow_delete: args.allow_delete,
        ..DeployOptions::default()
    };
    let (_, report) = rt
        .block_on(session.deploy(&options, progress))
        .map_err(engine_error)?;
    bar.finish_and_clear();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", summary(&report));
    }
    Ok(if report.failed() == 0 {
        Outcome::Success
    } else {
        Outcome::Failures
    })
}

pub fn summary(report: &DeployReport) -> String {
    let mut out = String::new();
    for i in &report.interrupted {
        out.push_str(&format!("  resumed after an interrupted run: {i}\n"));
    }
    for r in &report.results {
        match &r.outcome {
            ActionOutcome::Failed { error } => {
                out.push_str(&format!("  FAILED   {}: {error}\n", r.reference))
            }
            ActionOutcome::Skipped { reason } => {
                out.push_str(&format!("  skipped  {}: {reason}\n", r.reference))
            }
            _ => {}
        }
    }
    let failed = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, ActionOutcome::Failed { .. }))
        .count();
    let skipped = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, ActionOutcome::Skipped { .. }))
        .count();
    out.push_str(&format!(
        "Deploy: {} changed, {failed} failed, {skipped} skipped.\n",
        report.done()
    ));
    out
}
