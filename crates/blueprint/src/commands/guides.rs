//! `blueprint guides`: user guides for staff, from the features verified in the live tenant.

use std::path::{Path, PathBuf};

use clap::Args;

use super::common::{WorkspaceArgs, engine_error, with_session};
use crate::{CommandError, Outcome};

/// Write user guides for staff: one page per feature in place, plus an index.
///
/// Evaluates the live tenant first: only features verified there, or manual features the
/// feature log shows attested, get a page. Each page says, in plain words, what changes for
/// staff and what they do now (the catalogue's user_impact and user_action). Written in
/// Markdown and HTML.
#[derive(Debug, Args)]
pub struct GuidesArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The directory to write the guides to (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: GuidesArgs) -> Result<Outcome, CommandError> {
    with_session(&args.workspace, false, |session, rt| {
        let input = rt
            .block_on(session.evaluate_report())
            .map_err(engine_error)?
            .report;
        let count = write_guides(&args.out, &input)?;
        println!(
            "{count} user guide(s) for features in place (verified, or attested) written to {}",
            args.out.join("index.html").display()
        );
        Ok(Outcome::Success)
    })
}

/// Writes the guides into `dir`; returns how many feature pages there are.
pub fn write_guides(
    dir: &Path,
    input: &blueprint_report::ReportInput,
) -> Result<usize, CommandError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CommandError::Failed(format!("creating {}: {e}", dir.display())))?;
    let files = blueprint_report::render_guides(input);
    for (name, contents) in &files {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))?;
    }
    Ok(files
        .iter()
        .filter(|(n, _)| n.ends_with(".md") && n != "index.md")
        .count())
}
