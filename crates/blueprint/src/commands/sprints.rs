//! `blueprint sprints`: plan the selected features into sprints, record the plan in the
//! feature log, show it, export it.

use std::path::PathBuf;

use blueprint_engine::engagement;
use blueprint_report::render_sprints_text;
use clap::{Args, Subcommand, ValueEnum};

use super::common::{Format, WorkspaceArgs, engine_error, print_json, runtime, write_out};
use crate::{CommandError, Outcome};

/// Plan the selected features into sprints, and show or export the plan.
///
/// The sprint plan places every selected, non-excluded feature in a sprint of [plan] capacity
/// story points (default 20): each feature in the same sprint as what it needs or a later one,
/// features of one area together, [plan.pins] honoured (a feature bigger than a sprint gets one
/// to itself). `plan` computes it and records each feature whose sprint changed in the feature
/// log, as a `scheduled` entry with the reason; the log is where the plan lives, and `show` and
/// `export` read it from there.
///
/// Features already deployed, verified or attested keep the sprint they were delivered in.
/// After a `deploy-again` decision, the new cycle's sprints follow the last one recorded.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SprintsArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(subcommand)]
    pub action: SprintsAction,
}

#[derive(Debug, Subcommand)]
pub enum SprintsAction {
    /// Compute the sprint plan and record what changed in the feature log.
    ///
    /// Prints each sprint with its features and why each is where it is. Running it again with
    /// nothing changed records nothing.
    Plan {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show the recorded sprint plan, with each feature's state from the feature log.
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write the recorded sprint plan as Markdown, CSV, JSON or a self-contained HTML page.
    Export {
        #[arg(long, value_enum, default_value_t)]
        format: ExportFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    /// One table per sprint, for a wiki or a pull request.
    #[default]
    Md,
    /// One row per feature, for a spreadsheet.
    Csv,
    /// The documented, versioned JSON document (`blueprint.sprints/1`).
    Json,
    /// One self-contained page that opens offline and prints cleanly.
    Html,
}

pub fn run(args: SprintsArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let rt = runtime()?;
    if let SprintsAction::Plan { format } = args.action {
        let planning = rt
            .block_on(engagement::plan_sprints(&workspace))
            .map_err(engine_error)?;
        for note in &planning.notes {
            eprintln!("note: {note}");
        }
        match format {
            Format::Json => {
                let mut doc = blueprint_report::sprints_document(&planning.plan);
                doc["recorded"] = serde_json::json!(planning.recorded);
                print_json(&doc);
            }
            Format::Text => {
                print!("{}", render_sprints_text(&planning.plan));
                let recorded = &planning.recorded;
                let moved = recorded
                    .iter()
                    .filter(|r| r.previous_sprint.is_some())
                    .count();
                if recorded.is_empty() {
                    println!("\nThe feature log already holds this plan: nothing recorded.");
                } else {
                    println!(
                        "\nRecorded in the feature log: {} scheduled ({} new, {moved} moved to another sprint).",
                        recorded.len(),
                        recorded.len() - moved
                    );
                }
            }
        }
        return Ok(Outcome::Success);
    }
    let input = rt
        .block_on(engagement::recorded_sprint_plan(&workspace))
        .map_err(engine_error)?;
    let text = match args.action {
        SprintsAction::Show {
            format: Format::Json,
        } => blueprint_report::render_sprints_json(&input),
        SprintsAction::Show { .. } | SprintsAction::Plan { .. } => render_sprints_text(&input),
        SprintsAction::Export { format, .. } => match format {
            ExportFormat::Md => blueprint_report::render_sprints_markdown(&input),
            ExportFormat::Csv => blueprint_report::render_sprints_csv(&input),
            ExportFormat::Json => blueprint_report::render_sprints_json(&input),
            ExportFormat::Html => blueprint_report::render_sprints_html(&input),
        },
    };
    let out = match &args.action {
        SprintsAction::Export { out, .. } => out.as_deref(),
        _ => None,
    };
    write_out(out, &text)?;
    Ok(Outcome::Success)
}
