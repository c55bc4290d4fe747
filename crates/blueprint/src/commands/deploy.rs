//! `blueprint deploy`: apply the plan to the tenant.

use blueprint_catalogue::permissions::Access;
use blueprint_engine::{ApprovedPlan, DeployOptions, DeployReport, Outcome as ActionOutcome};
use blueprint_report::plan::{render_plan_text, with_scope};
use clap::Args;

use super::common::{Format, WorkspaceArgs, confirm, engine_error, print_json, with_session};
use crate::words::CommandLine;
use crate::{CommandError, Outcome};

/// Apply the blueprint to the tenant, journalled and verified.
///
/// Creates and updates objects in dependency order, with every
/// change journalled and read back. Conditional access policies go out report-only; add
/// --enforce to switch verified ones on. Asks for confirmation unless --yes.
///
/// Each deploy first records in the feature log what changed in the execution plan
/// (features selected, excluded and why). With --sprint N it deploys one sprint of the
/// sprint plan, in order: its features' `deployed` entries carry the sprint, and
/// `blueprint rollback --sprint N` can undo it.
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
    /// Apply the plan a person approved (`blueprint plan --out FILE`), exactly: the tenant is
    /// read again under the deploy lock, and the deploy is refused (exit 1, naming each
    /// difference) if the tenant, the selection, the catalogue or the profile changed since.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sprint", "enforce", "allow_delete"])]
    pub plan: Option<std::path::PathBuf>,
    /// Deploy only sprint N of the sprint plan (`blueprint sprints plan`): the features the
    /// feature log schedules into it. Refused, naming each one, while a feature of the sprint
    /// needs a feature of another sprint that is not verified yet (or, if manual, not
    /// attested). The sprint's manual features are listed for a person to perform and attest.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sprint: Option<u32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: DeployArgs) -> Result<Outcome, CommandError> {
    let json = args.format == Format::Json;
    with_session(&args.workspace, json, |session, rt| {
        session.may_deploy().map_err(engine_error)?;
        rt.block_on(session.check_permissions(Access::ReadWrite))
            .map_err(engine_error)?;
        let file = args.plan.as_deref().map(read_plan).transpose()?;
        // With a plan file, its sprint; the preview shows what planning gives now, and
        // applying refuses unless that is the approved plan.
        let (sprint, enforce, allow_delete) = match &file {
            Some(f) => (
                f.fingerprint.sprint.and_then(|s| u32::try_from(s).ok()),
                f.fingerprint.enforce,
                f.fingerprint.allow_delete,
            ),
            None => (args.sprint, args.enforce, args.allow_delete),
        };
        let (scope, planned) = rt
            .block_on(session.preview_sprint(sprint.map(i64::from), enforce, allow_delete))
            .map_err(engine_error)?;
        let approved = file.unwrap_or_else(|| planned.approved());
        let preview = &planned.plan;
        if !json {
            print!(
                "{}",
                render_plan_text(preview, scope.as_ref(), &CommandLine)
            );
        }
        if !preview.has_changes() && args.plan.is_none() {
            // The deploy ran and found the tenant in place: the execution plan is still the
            // agency's current one, so the log records it.
            rt.block_on(session.record_execution_plan())
                .map_err(engine_error)?;
            if !json {
                println!("Nothing to deploy: the tenant already matches the blueprint.");
            } else {
                let out = serde_json::json!({"plan": preview, "results": []});
                print_json(&with_scope(out, scope.as_ref()));
            }
            return Ok(Outcome::Success);
        }
        if args.plan.is_none()
            && !args.yes
            && !confirm("Apply these changes to the tenant?", "deploy")?
        {
            eprintln!("Nothing changed.");
            return Ok(Outcome::Success);
        }
        let options = DeployOptions {
            parallelism: args.parallelism as usize,
            sprint: session.sprint(),
            ..DeployOptions::default()
        };
        let report = rt
            .block_on(session.apply(&approved, &options))
            .map_err(engine_error)?;
        if json {
            let out = with_scope(
                serde_json::to_value(&report).unwrap_or_default(),
                scope.as_ref(),
            );
            print_json(&out);
        } else {
            print!("{}", summary(&report));
            if let Some(scope) = scope.as_ref().filter(|s| !s.needs_attestation.is_empty()) {
                println!(
                    "Sprint {} also needs attestation of {} (`blueprint attest`).",
                    scope.sprint,
                    scope.needs_attestation.join(", ")
                );
            }
        }
        Ok(Outcome::of(report.failed() == 0))
    })
}

fn summary(report: &DeployReport) -> String {
    let mut out = String::new();
    for i in &report.interrupted {
        out.push_str(&format!("  resumed after an interrupted run: {i}\n"));
    }
    let (mut failed, mut skipped) = (0, 0);
    for r in &report.results {
        let (mark, why, count) = match &r.outcome {
            ActionOutcome::Failed { error, .. } => ("FAILED ", error, &mut failed),
            ActionOutcome::Skipped { reason } => ("skipped", reason, &mut skipped),
            _ => continue,
        };
        *count += 1;
        out.push_str(&format!("  {mark}  {}: {why}\n", r.reference));
    }
    out.push_str(&format!(
        "Deploy: {} changed, {failed} failed, {skipped} skipped.\n",
        report.done()
    ));
    out
}

/// An approved plan file (`blueprint plan --out FILE`).
fn read_plan(path: &std::path::Path) -> Result<ApprovedPlan, CommandError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::Input(format!("cannot read {}: {e}", path.display())))?;
    ApprovedPlan::from_file(&text)
        .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))
}
