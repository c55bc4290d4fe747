//! `blueprint plan`: what deploying would change, read from the live tenant.

use std::path::PathBuf;

use blueprint_catalogue::permissions::Access;
use blueprint_report::plan::{render_plan_text, with_scope};
use clap::Args;

use super::common::{Format, WorkspaceArgs, engine_error, print_json, with_session};
use crate::words::CommandLine;
use crate::{CommandError, Outcome};

/// Show what a deploy would change in the tenant (reads only).
///
/// Lists objects to create, fields to update (before → after), and
/// a count of those already as the blueprint wants. Reads the tenant; changes nothing.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Also plan switching conditional access policies from report-only to enforced.
    #[arg(long)]
    pub enforce: bool,
    /// Also plan deleting objects blueprint created for features the agency has since
    /// deselected (never objects it adopted or did not create).
    #[arg(long)]
    pub allow_delete: bool,
    /// Plan only sprint N of the sprint plan (`blueprint sprints plan` records it in the
    /// feature log). Refused, naming each one, while a feature of the sprint needs a feature
    /// of another sprint that is not verified yet (or, if manual, not attested).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sprint: Option<u32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Also write the plan to FILE for approval: the exact changes and a fingerprint of what
    /// produced them (the tenant as read, the selection, the catalogue and the profile).
    /// `blueprint deploy --plan FILE` applies exactly that, and refuses if anything changed.
    /// Written readable by its owner only (0600): it holds the tenant's configuration.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: PlanArgs) -> Result<Outcome, CommandError> {
    with_session(
        &args.workspace,
        args.format == Format::Json,
        |session, rt| {
            // Reads only: what a read-only app needs, checked before the tenant is read.
            rt.block_on(session.check_permissions(Access::ReadOnly))
                .map_err(engine_error)?;
            let sprint = args.sprint.map(i64::from);
            let (scope, planned) = rt
                .block_on(session.preview_sprint(sprint, args.enforce, args.allow_delete))
                .map_err(engine_error)?;
            if let Some(out) = &args.out {
                // An approved plan holds the tenant's configuration as observed.
                blueprint_engine::files::write_private(out, &planned.to_file())
                    .map_err(|e| CommandError::Failed(e.to_string()))?;
            }
            let plan = &planned.plan;
            match args.format {
                Format::Json => print_json(&with_scope(
                    serde_json::to_value(plan).unwrap_or_default(),
                    scope.as_ref(),
                )),
                Format::Text => {
                    print!("{}", render_plan_text(plan, scope.as_ref(), &CommandLine));
                }
            }
            Ok(Outcome::Success)
        },
    )
}
