//! `blueprint status`: where the engagement stands and the recommended next step.

use blueprint_engine::engagement::{self, EngagementStatus, PhaseName, StatusReport};
use blueprint_store::Run;
use clap::Args;
use serde_json::json;

use super::common::{Format, WorkspaceArgs, engine_error, print_json, runtime};
use crate::words;
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
        Format::Json => print_json(&render_json(&report)),
        Format::Text => print!("{}", render_text(&report)),
    }
    Ok(Outcome::Success)
}

fn phase_text(status: &EngagementStatus) -> String {
    let phase = &status.phase;
    let mut text = match phase.name {
        PhaseName::Deploy => format!("Deploy, cycle {}", phase.cycle),
        PhaseName::Transition => format!("Transition (after Deploy cycle {})", phase.cycle),
        PhaseName::Exit => format!("exited (after Deploy cycle {})", phase.cycle),
    };
    if let Some(d) = &phase.decision {
        text.push_str(&format!(
            "; last decision: {} on {} by {} ({}): {}",
            d.decision,
            d.time.get(..10).unwrap_or(&d.time),
            d.actor,
            d.role,
            d.note
        ));
    }
    text
}

fn run_text(run: &Run) -> String {
    let sprint = run
        .sprint
        .map(|s| format!(" of sprint {s}"))
        .unwrap_or_default();
    format!(
        "{} {}{sprint}: {} ({})",
        run.kind,
        run.id,
        run.status,
        blueprint_report::to_the_second(run.finished_at.as_deref().unwrap_or(&run.started_at))
    )
}

fn render_text(records: &StatusReport) -> String {
    let status = &records.status;
    let mut out = format!("{}: {}\n", records.agency, phase_text(status));
    let plan = &status.execution_plan;
    out.push_str(&format!(
        "Execution plan: {} selected, {} excluded, {} not selected",
        plan.selected, plan.excluded, plan.not_selected
    ));
    if plan.unrecorded > 0 {
        out.push_str(&format!(
            " ({} not recorded in the feature log yet: the next `blueprint deploy` or `blueprint sprints plan` records {})",
            match plan.unrecorded {
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            },
            if plan.unrecorded == 1 { "it" } else { "them" }
        ));
    }
    out.push('\n');
    out.push_str(&match &records.chain {
        _ if records.entries == 0 => "Feature log: empty\n".to_string(),
        Ok(n) => format!("Feature log: {n} entries, one unbroken chain\n"),
        Err(broken) => format!("Feature log: DOES NOT VERIFY: {broken}\n"),
    });
    if let Some(run) = &records.last_run {
        out.push_str(&format!("Last run: {}\n", run_text(run)));
    }
    out.push_str(&format!(
        "You act as: {} ({}), as the feature log will record it\n",
        records.actor.name, records.actor.role
    ));

    if !status.sprints.is_empty() || !status.unscheduled.is_empty() {
        out.push_str("\nSprints\n");
        for s in &status.sprints {
            out.push_str(&format!(
                "  sprint {:<3} cycle {}  {:>7} features  {:>7} points  {}\n",
                s.sprint,
                s.cycle,
                format!("{}/{}", s.done, s.features),
                format!("{}/{}", s.points_done, s.points),
                if s.complete() { "done" } else { "open" }
            ));
        }
        if !status.unscheduled.is_empty() {
            out.push_str(&format!("  in no sprint: {}\n", status.unscheduled.len()));
        }
    }

    if !status.features.is_empty() {
        out.push_str("\nFeatures\n");
        let width = status
            .features
            .iter()
            .map(|f| f.id.len())
            .max()
            .unwrap_or(0);
        for f in &status.features {
            let sprint = f
                .sprint
                .map(|s| format!("sprint {s}"))
                .unwrap_or_else(|| "-".into());
            out.push_str(&format!(
                "  {:<width$}  {:<11} {:<9} {}\n",
                f.id,
                f.state.as_str(),
                sprint,
                if f.manual { "manual" } else { "" }
            ));
        }
    }
    if !status.drifted.is_empty() {
        out.push_str(&format!("\nDrifted: {}\n", status.drifted.join(", ")));
    }
    let r = &status.recommendation;
    out.push_str(&format!(
        "\nNext: {}: {}\n",
        r.step.label(),
        words::reason(r)
    ));
    if let Some(action) = &r.action {
        out.push_str(&format!("  run: {}\n", words::command(action)));
    }
    out
}

fn render_json(records: &StatusReport) -> serde_json::Value {
    let mut out = serde_json::to_value(&records.status).unwrap_or_default();
    if let Some(map) = out.as_object_mut() {
        // The recommendation as the command line words it, beside the engine's typed action.
        let r = &records.status.recommendation;
        map.insert(
            "recommendation".into(),
            json!({
                "step": r.step,
                "reason": words::reason(r),
                "command": r.action.as_ref().map(words::command),
                "action": r.action,
            }),
        );
        map.insert("agency".into(), json!(records.agency));
        map.insert(
            "log".into(),
            json!({
                "entries": records.entries,
                "verifies": records.chain.is_ok(),
                "broken_at": records.chain.as_ref().err().map(|b| b.seq),
            }),
        );
        map.insert("last_run".into(), json!(records.last_run));
        map.insert(
            "actor".into(),
            json!({"name": records.actor.name, "role": records.actor.role}),
        );
    }
    out
}
