//! `blueprint stories`: the user stories of the selected features, for a backlog.

use std::path::PathBuf;

use blueprint_report::StoriesTarget;
use clap::{Args, Subcommand, ValueEnum};

use super::common::{WorkspaceArgs, engine_error, runtime, write_out};
use crate::{CommandError, Outcome};

/// Export the user stories of the selected features.
///
/// One story per selected, non-excluded feature: "As a …, I want …, so that …", its acceptance
/// criteria, story points, the sprint the recorded sprint plan puts it in (`blueprint sprints
/// plan`), and labels for its area, Essential Eight strategies and ABAC document.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct StoriesArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(subcommand)]
    pub action: StoriesAction,
}

#[derive(Debug, Subcommand)]
pub enum StoriesAction {
    /// Write the user stories as Markdown, or as CSV for Jira or Azure Boards to import.
    ///
    /// CSV for Jira (the default target): Summary, Description, Acceptance Criteria, Story
    /// Points, Sprint ("Sprint N"), and one Labels column per label (Jira takes several labels
    /// as repeated Labels columns; labels have no spaces). Map Acceptance Criteria and Story
    /// Points to the project's fields when importing.
    ///
    /// CSV for Azure Boards (--target azure-boards --project NAME, Agile process): Work Item
    /// Type (User Story), Title, Description and Acceptance Criteria (as HTML, as Azure Boards
    /// stores them), Story Points, Iteration Path (NAME\Sprint N; the iterations must exist),
    /// Tags separated by "; ".
    #[command(verbatim_doc_comment)]
    Export {
        #[arg(long, value_enum, default_value_t)]
        format: StoriesFormat,
        /// The tracker the CSV is for (default jira; --format csv only).
        #[arg(long, value_enum)]
        target: Option<Target>,
        /// The Azure Boards project: iteration paths start with it (--target azure-boards, --format csv).
        #[arg(long, value_name = "NAME")]
        project: Option<String>,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum StoriesFormat {
    /// A section per story with its acceptance criteria as a checklist.
    #[default]
    Md,
    /// A file the target tracker's CSV import takes as it is.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Target {
    /// Jira's CSV importer (Cloud or Data Center).
    #[default]
    Jira,
    /// Azure Boards' "Import work items" (Agile process).
    AzureBoards,
}

pub fn run(args: StoriesArgs) -> Result<Outcome, CommandError> {
    let StoriesAction::Export {
        format,
        target,
        project,
        out,
    } = args.action;
    if format == StoriesFormat::Md && (target.is_some() || project.is_some()) {
        return Err(CommandError::Input(
            "--target and --project shape the CSV for a tracker: use them with --format csv".into(),
        ));
    }
    let target = match (target.unwrap_or_default(), project) {
        (Target::Jira, _) => StoriesTarget::Jira,
        (Target::AzureBoards, Some(project)) if !project.trim().is_empty() => {
            StoriesTarget::AzureBoards { project }
        }
        (Target::AzureBoards, _) => {
            return Err(CommandError::Input(
                "--target azure-boards needs --project NAME: Azure Boards iteration paths start with the project (NAME\\Sprint 1)".into(),
            ));
        }
    };
    let workspace = args.workspace.open()?;
    let input = runtime()?
        .block_on(blueprint_engine::report::stories(&workspace))
        .map_err(engine_error)?;
    let text = match format {
        StoriesFormat::Md => blueprint_report::render_stories_markdown(&input),
        StoriesFormat::Csv => blueprint_report::render_stories_csv(&input, &target),
    };
    write_out(out.as_deref(), &text)?;
    Ok(Outcome::Success)
}
