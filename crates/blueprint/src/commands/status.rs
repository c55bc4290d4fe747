//! `blueprint status`: where the engagement stands and the recommended next step.

use blueprint_engine::engagement;
use blueprint_report::status::{render_status_json, render_status_text};
use clap::Args;

use super::common::{Format, WorkspaceArgs, engine_error, print_json, runtime};
use crate::words::CommandLine;
use crate::{CommandError, Outcome};

/// Show the engagement's phase, progress and recommended next step.
///
/// Reads the profile, the catalogue and the feature log; never the tenant (run `blueprint
/// evaluate` to refresh what the log knows of it), and changes nothing, so the program office
/// can run it too. Shows the phase (Deploy and its cycle, or the last decision: Transition,
/// exit), the execution plan (selected, excluded, and selection changes the log does not
/// record yet: the next `deploy` or `sprints plan` records them), each selected feature's
/// state and sprint, each sprint's progress (features verified or attested of those
/// scheduled, story points done of planned), drifted features, the last deploy or rollback,
/// and what to do next, with the reason and the command.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: StatusArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let report = runtime()?
        .block_on(engagement::status_report(&workspace))
        .map_err(engine_error)?;
    match args.format {
        Format::Json => print_json(&render_status_json(&report, &CommandLine)),
        Format::Text => print!("{}", render_status_text(&report, &CommandLine)),
    }
    Ok(Outcome::Success)
}
