//! `blueprint status`: where the engagement stands and the recommended next step.

use blueprint_engine::Workspace;
use blueprint_engine::engagement::{self, EngagementStatus, PhaseName, Selection};
use blueprint_store::{LogBreak, Run};
use clap::Args;
use serde_json::json;

use super::common::{Format, WorkspaceArgs, print_json, runtime};
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

/// What the log and the journal add to the engagement's status.
struct Records {
    entries: usize,
    chain: Result<u64, LogBreak>,
    last_run: Option<Run>,
}

pub fn run(args: StatusArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let rt = runtime()?;
    let (entries, records) = rt
        .block_on(read(&workspace))
        .map_err(|e| CommandError::Failed(e.to_string()))?;
    let status =
        engagement::engagement_status(&workspace.catalogue, &Selection::of(&workspace), &entries);
    match args.format {
        Format::Json => print_json(&render_json(&workspace, &status, &records)),
        Format::Text => print!("{}", render_text(&workspace, &status, &records)),
    }
    Ok(Outcome::Success)
}

/// The tenant the runs are recorded against: the environment's, else the profile's.
fn tenant(workspace: &Workspace) -> Option<String> {
    std::env::var("AZURE_TENANT_ID")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| workspace.connection.tenant_id.clone())
}

async fn read(
    workspace: &Workspace,
) -> Result<(Vec<blueprint_store::LogEntry>, Records), blueprint_store::StoreError> {
    let read = workspace
        .state
        .using_existing(async |store| {
            let entries = store.log(None).await?;
            // Status built on an edited log would mislead: say whether the chain holds.
            let chain = store.verify_log().await?;
            let last_run = match tenant(workspace) {
                Some(t) => store.runs(&t).await?.pop(),
                None => None,
            };
            let records = Records {
                entries: entries.len(),
                chain,
                last_run,
            };
            Ok::<_, blueprint_store::StoreError>((entries, records))
        })
        .await?;
    Ok(read.unwrap_or_else(|| {
        let empty = Records {
            entries: 0,
            chain: Ok(0),
            last_run: None,
        };
        (Vec::new(), empty)
    }))
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

fn render_text(workspace: &Workspace, status: &EngagementStatus, records: &Records) -> String {
    let mut out = format!(
        "{}: {}\n",
        workspace.profile.agency.name,
        phase_text(status)
    );
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
        workspace.actor.name, workspace.actor.role
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
    out.push_str(&format!("\nNext: {r}\n"));
    if let Some(command) = &r.command {
        out.push_str(&format!("  run: {command}\n"));
    }
    out
}

fn render_json(
    workspace: &Workspace,
    status: &EngagementStatus,
    records: &Records,
) -> serde_json::Value {
    let mut out = serde_json::to_value(status).unwrap_or_default();
    if let Some(map) = out.as_object_mut() {
        map.insert("agency".into(), json!(workspace.profile.agency.name));
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
            json!({"name": workspace.actor.name, "role": workspace.actor.role}),
        );
    }
    out
}
