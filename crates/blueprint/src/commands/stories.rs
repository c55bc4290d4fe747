//! `blueprint stories`: the user stories of the selected features, for a backlog.

use std::path::PathBuf;

use blueprint_report::{AbacRef, StoriesInput, StoriesTarget, StoryInput};
use clap::{Args, Subcommand, ValueEnum};

use super::common::write_out;
use super::common::{WorkspaceArgs, runtime};
use super::sprints::{read_log, recorded_sprints, selected};
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
    let entries = runtime()?.block_on(read_log(&workspace))?;
    let sprints = recorded_sprints(&entries);
    let stories = selected(&workspace)
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
    let input = StoriesInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        stories,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    };
    let text = match format {
        StoriesFormat::Md => blueprint_report::render_stories_markdown(&input),
        StoriesFormat::Csv => blueprint_report::render_stories_csv(&input, &target),
    };
    write_out(out.as_deref(), &text)?;
    Ok(Outcome::Success)
}
