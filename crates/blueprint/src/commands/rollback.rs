//! `blueprint rollback --sprint N`: undo one sprint's deploys.

use blueprint_engine::rollback::{RollbackOptions, RollbackReport, RollbackStep};
use clap::Args;

use super::common::{Format, WorkspaceArgs, confirm, engine_error, print_json, with_session};
use crate::{CommandError, Outcome};

/// Undo a sprint: restore what it changed, remove what it created.
///
/// Every object sprint N's deploys changed is put back as the journal recorded it before the
/// sprint's first change to it (only the properties the sprint changed; Graph's own timestamps
/// are Graph's), and every object they created is removed, newest change first, so dependants
/// go before what they depend on. Changes that failed or were interrupted after reaching the
/// tenant count too. Objects blueprint never touched are not changed.
///
/// Before removing or restoring an object, it is compared with what the sprint left: if
/// someone changed it since, it is left as it is and named with the properties that changed
/// (undoing it would undo their work), and the rest is undone. Refused as a whole, naming
/// them, while a deployed feature of a later sprint builds on this sprint's features (roll that
/// sprint back first). --force overrides both. Each feature whose objects were all undone gets
/// a `rolled_back` entry in the feature log. Shows what it will do and asks for confirmation
/// unless --yes. Exit 1 when an object was refused or a step failed: the rest still ran, and
/// running it again retries only what is left.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The sprint to undo.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sprint: u32,
    /// Roll back although a later sprint builds on this one, or an object changed since.
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: RollbackArgs) -> Result<Outcome, CommandError> {
    let json = args.format == Format::Json;
    with_session(&args.workspace, json, |session, rt| {
        let options = RollbackOptions {
            sprint: i64::from(args.sprint),
            force: args.force,
        };
        session.may_roll_back().map_err(engine_error)?;
        let preview = rt
            .block_on(session.rollback_preview(&options))
            .map_err(engine_error)?;
        if !json {
            println!(
                "Rolling back sprint {} in tenant {}: {} objects",
                args.sprint,
                session.tenant_id(),
                preview.len()
            );
            print!("{}", render_steps(&preview));
            if preview.iter().any(|s| s.changed_since) {
                println!(
                    "Objects marked REFUSED were changed since sprint {} deployed them: they will be left as they are (--force undoes them anyway).",
                    args.sprint
                );
            }
        }
        if !args.yes && !confirm("Undo these changes in the tenant?", "rollback")? {
            eprintln!("Nothing changed.");
            return Ok(Outcome::Success);
        }
        let report = rt
            .block_on(session.rollback(&options))
            .map_err(engine_error)?;
        if json {
            print_json(&report);
        } else {
            print!("{}", summary(&report));
        }
        Ok(Outcome::of(report.failed() == 0))
    })
}

fn render_steps(steps: &[RollbackStep]) -> String {
    steps
        .iter()
        .map(|s| match &s.error {
            _ if s.changed_since => format!(
                "  REFUSED   {} {}  ({}): changed since the sprint deployed it ({})\n",
                s.action,
                s.reference,
                s.feature,
                s.changed.join(", ")
            ),
            None => format!("  {:<9} {}  ({})\n", s.action, s.reference, s.feature),
            Some(e) => format!("  FAILED    {} {}: {e}\n", s.action, s.reference),
        })
        .collect()
}

fn summary(report: &RollbackReport) -> String {
    let mut out = render_steps(
        &report
            .steps
            .iter()
            .filter(|s| s.error.is_some())
            .cloned()
            .collect::<Vec<_>>(),
    );
    out.push_str(&format!(
        "Rollback of sprint {}: {} objects undone, {} failed; {} features recorded as rolled back.\n",
        report.sprint,
        report.steps.len() - report.failed(),
        report.failed(),
        report.rolled_back.len()
    ));
    if report.steps.iter().any(|s| s.changed_since) {
        out.push_str(&format!(
            "Objects changed since sprint {} deployed them were left as they are: undoing them would undo those changes. `blueprint rollback --sprint {} --force` undoes them anyway.\n",
            report.sprint, report.sprint
        ));
    }
    if report.failed() > 0 {
        out.push_str(
            "Run it again to retry what is left; `blueprint log` shows what was recorded.\n",
        );
    }
    out
}
