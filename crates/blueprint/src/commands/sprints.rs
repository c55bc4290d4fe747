//! `blueprint sprints`: plan the selected features into sprints, record the plan in the
//! feature log, show it, export it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use blueprint_catalogue::Feature;
use blueprint_engine::Workspace;
use blueprint_engine::engagement::{self, Selection};
use blueprint_report::{SprintFeature, SprintInput, SprintPlanInput};
use blueprint_sprints::{Item, Placement, PlanError, Request, SprintPlan};
use blueprint_store::{
    EventKind, FeatureLogStatus, FeatureState, LogEntry, LogEvent, feature_status,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

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
    match args.action {
        SprintsAction::Plan { format } => rt.block_on(plan(&workspace, Some(format))),
        SprintsAction::Show { format } => {
            let input = rt.block_on(recorded(&workspace))?;
            match format {
                Format::Json => print!("{}", blueprint_report::render_sprints_json(&input)),
                Format::Text => print!("{}", render_text(&input)),
            }
            Ok(Outcome::Success)
        }
        SprintsAction::Export { format, out } => {
            let input = rt.block_on(recorded(&workspace))?;
            let text = match format {
                ExportFormat::Md => blueprint_report::render_sprints_markdown(&input),
                ExportFormat::Csv => blueprint_report::render_sprints_csv(&input),
                ExportFormat::Json => blueprint_report::render_sprints_json(&input),
                ExportFormat::Html => blueprint_report::render_sprints_html(&input),
            };
            write_out(out.as_deref(), &text)?;
            Ok(Outcome::Success)
        }
    }
}

/// The feature log; empty when the workspace has no state yet (reading never creates it).
pub async fn read_log(workspace: &Workspace) -> Result<Vec<LogEntry>, CommandError> {
    engagement::read_log(&workspace.state)
        .await
        .map_err(engine_error)
}

/// The features the execution plan selects, in dependency order: the selection the engine
/// deploys ([`Selection::of`]).
pub fn selected(workspace: &Workspace) -> Vec<&Feature> {
    Selection::of(workspace)
        .selected
        .iter()
        .filter_map(|id| workspace.catalogue.feature(id))
        .collect()
}

fn sprint_number(sprint: Option<i64>) -> Option<u32> {
    sprint
        .and_then(|s| u32::try_from(s).ok())
        .filter(|&s| s > 0)
}

/// What the planner is asked, from the profile and the log, plus the features delivered in
/// this cycle (they keep their sprint) and notes for the person.
struct Planned {
    plan: SprintPlan,
    /// Delivered in this cycle: id → its state.
    kept: BTreeMap<String, FeatureState>,
    notes: Vec<String>,
}

fn compute(workspace: &Workspace, entries: &[LogEntry]) -> Result<Planned, CommandError> {
    let status = feature_status(entries);
    let cycle = engagement::cycle_start(entries);
    let first = cycle.first_sprint;
    let mut kept = BTreeMap::new();
    let mut notes = Vec::new();
    let mut items = Vec::new();
    let mut done = cycle.delivered.clone();
    for feature in selected(workspace) {
        let id = feature.id();
        let mut item = Item::new(
            id,
            feature.doc.title.clone(),
            feature.doc.area.as_str(),
            u32::from(feature.doc.story_points.value),
        )
        .depends_on(workspace.catalogue.dependencies(id));
        let profile_pin = workspace.plan.pin(id);
        let Some(s) = status.get(id).filter(|_| cycle.delivered.contains(id)) else {
            item.pin = profile_pin;
            items.push(item);
            continue;
        };
        // Delivered in an earlier cycle, or before any plan was recorded: done, not placed.
        let Some(sprint) = sprint_number(s.sprint).filter(|&n| n >= first) else {
            continue;
        };
        if let Some(pin) = profile_pin.filter(|&p| p != sprint) {
            notes.push(format!(
                "`{id}` is pinned to sprint {pin} in blueprint.toml but was {} in sprint {sprint}: it keeps sprint {sprint}",
                s.state.as_str()
            ));
        }
        done.remove(id);
        kept.insert(id.to_string(), s.state);
        items.push(item.delivered_in(sprint));
    }
    let request = Request::new(items, workspace.plan.capacity())
        .first_sprint(first)
        .done(done);
    let plan = blueprint_sprints::plan(&request).map_err(|e| plan_error(workspace, &kept, e))?;
    Ok(Planned { plan, kept, notes })
}

/// A planning error, at the pin in blueprint.toml when a profile pin is at fault (the planner
/// never blames a delivered feature's sprint: that is history, not a pin).
fn plan_error(
    workspace: &Workspace,
    kept: &BTreeMap<String, FeatureState>,
    error: PlanError,
) -> CommandError {
    match error.pinned_feature() {
        Some(feature) if workspace.plan.pin(feature).is_some() && !kept.contains_key(feature) => {
            engine_error(workspace.pin_error(
                feature,
                error.to_string(),
                "[plan.pins] in blueprint.toml pins features to sprints; `blueprint sprints plan` places the rest",
            ))
        }
        _ => CommandError::Input(error.to_string()),
    }
}

/// The placements whose sprint differs from the one the log holds, with that sprint.
fn changed<'p>(
    plan: &'p SprintPlan,
    status: &BTreeMap<String, FeatureLogStatus>,
) -> Vec<(&'p Placement, Option<u32>)> {
    plan.placements()
        .filter_map(|p| {
            let previous = status.get(&p.id).and_then(|s| sprint_number(s.sprint));
            (previous != Some(p.sprint)).then_some((p, previous))
        })
        .collect()
}

/// Plans the sprints and records what changed in the feature log; prints the plan in
/// `format` (nothing when None: the demo prints its own summary).
pub(crate) async fn plan(
    workspace: &Workspace,
    format: Option<Format>,
) -> Result<Outcome, CommandError> {
    workspace
        .actor
        .may_change("planning sprints is for the agency or its technology partner")
        .map_err(|e| engine_error(e.into()))?;
    let recorded = workspace
        .state
        .using(async |store| {
            let entries = store.log(None).await?;
            let planned = compute(workspace, &entries)?;
            let status = feature_status(&entries);
            // The plan is made for this selection, so the log records the selection too
            // (`selected`, `excluded`) and then the sprints, in one append: all or none.
            let (actor, role) = (&workspace.actor.name, workspace.actor.role);
            let mut events =
                engagement::selection_changes(&Selection::of(workspace), &status, actor, role);
            let changed: Vec<(String, u32, Option<u32>)> = changed(&planned.plan, &status)
                .into_iter()
                .map(|(p, previous)| {
                    let event = LogEvent::new(EventKind::Scheduled, actor.as_str(), role)
                        .feature(p.id.as_str())
                        .sprint(i64::from(p.sprint))
                        .with("reason", p.explanation());
                    events.push(match previous {
                        Some(from) => event.with("previous_sprint", i64::from(from)),
                        None => event,
                    });
                    (p.id.clone(), p.sprint, previous)
                })
                .collect();
            if !events.is_empty() {
                store.append_events(&events).await?;
            }
            Ok::<_, CommandError>((planned, changed))
        })
        .await;
    let (planned, changed) = recorded?;
    let input = plan_input(workspace, &planned);
    for note in &planned.notes {
        eprintln!("note: {note}");
    }
    match format {
        None => {}
        Some(Format::Json) => {
            let mut doc = blueprint_report::sprints_document(&input);
            let recorded: Vec<Value> = changed
                .iter()
                .map(|(id, sprint, previous)| {
                    json!({"id": id, "sprint": sprint, "previous_sprint": previous})
                })
                .collect();
            doc["recorded"] = Value::Array(recorded);
            print_json(&doc);
        }
        Some(Format::Text) => {
            print!("{}", render_text(&input));
            let moved = changed
                .iter()
                .filter(|(_, _, previous)| previous.is_some())
                .count();
            if changed.is_empty() {
                println!("\nThe feature log already holds this plan: nothing recorded.");
            } else {
                println!(
                    "\nRecorded in the feature log: {} scheduled ({} new, {moved} moved to another sprint).",
                    changed.len(),
                    changed.len() - moved
                );
            }
        }
    }
    Ok(Outcome::Success)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The computed plan for the renderers; delivered features show their state and keep their
/// sprint, everything else is `scheduled`.
fn plan_input(workspace: &Workspace, planned: &Planned) -> SprintPlanInput {
    let sprints = planned
        .plan
        .sprints
        .iter()
        .map(|s| SprintInput {
            number: s.number,
            features: s
                .features
                .iter()
                .map(|p| {
                    let (state, reason) = match planned.kept.get(&p.id) {
                        Some(state) => (
                            state.as_str().to_string(),
                            format!("{} in sprint {}", state.as_str(), p.sprint),
                        ),
                        None => ("scheduled".to_string(), p.explanation()),
                    };
                    SprintFeature {
                        id: p.id.clone(),
                        title: p.title.clone(),
                        area: p.area.clone(),
                        story_points: p.points,
                        state,
                        reason,
                    }
                })
                .collect(),
        })
        .collect();
    SprintPlanInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: now(),
        capacity: workspace.plan.capacity(),
        sprints,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    }
}

/// Each feature's sprint as the log records it (the latest `scheduled` entry, or a later entry
/// naming a sprint), for features not excluded.
pub fn recorded_sprints(entries: &[LogEntry]) -> BTreeMap<String, u32> {
    feature_status(entries)
        .into_iter()
        .filter(|(_, s)| s.state != FeatureState::Excluded)
        .filter_map(|(id, s)| sprint_number(s.sprint).map(|n| (id, n)))
        .collect()
}

/// The plan as the feature log records it, with each feature's current state.
pub(crate) async fn recorded(workspace: &Workspace) -> Result<SprintPlanInput, CommandError> {
    let entries = read_log(workspace).await?;
    let status = feature_status(&entries);
    let sprints = recorded_sprints(&entries);
    if sprints.is_empty() {
        return Err(CommandError::Input(
            "no sprint plan is recorded in the feature log yet: create one with `blueprint sprints plan`"
                .into(),
        ));
    }
    // The latest `scheduled` entry of each feature: its reason, and its place in the log,
    // which is the planner's delivery order for features recorded together.
    let mut scheduled: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.event.kind == EventKind::Scheduled)
    {
        if let Some(id) = e.event.feature.as_deref() {
            let reason = e.event.detail.get("reason").and_then(Value::as_str);
            scheduled.insert(id, (e.seq, reason.unwrap_or_default().to_string()));
        }
    }
    let mut ids: Vec<(&str, u32)> = sprints.iter().map(|(id, &n)| (id.as_str(), n)).collect();
    ids.sort_by_key(|&(id, n)| (n, scheduled.get(id).map_or(i64::MAX, |s| s.0)));
    let ids = dependencies_first(workspace, ids);
    let selection = Selection::of(workspace);
    let mut out: Vec<SprintInput> = Vec::new();
    for (id, sprint) in ids {
        let feature = workspace.catalogue.feature(id);
        let mut reason = scheduled.get(id).map(|s| s.1.clone()).unwrap_or_default();
        // The profile changed since the plan was recorded (`sprints plan` records that).
        if !selection.selects(id) {
            reason = format!("no longer selected in blueprint.toml; {reason}");
        }
        let entry = SprintFeature {
            id: id.to_string(),
            title: feature.map_or_else(|| id.to_string(), |f| f.doc.title.clone()),
            area: feature.map_or_else(String::new, |f| f.doc.area.as_str().to_string()),
            story_points: feature.map_or(0, |f| u32::from(f.doc.story_points.value)),
            state: status
                .get(id)
                .map_or("scheduled", |s| s.state.as_str())
                .to_string(),
            reason,
        };
        match out.last_mut() {
            Some(last) if last.number == sprint => last.features.push(entry),
            _ => out.push(SprintInput {
                number: sprint,
                features: vec![entry],
            }),
        }
    }
    Ok(SprintPlanInput {
        agency: workspace.profile.agency.name.clone(),
        generated_at: now(),
        capacity: workspace.plan.capacity(),
        sprints: out,
        attribution: blueprint_catalogue::ATTRIBUTION.to_string(),
    })
}

/// `ids` (sorted by sprint) with each feature after the features of its sprint it needs,
/// otherwise in the given order: a feature moved by a later plan is recorded after features
/// that may need it.
fn dependencies_first<'a>(workspace: &Workspace, ids: Vec<(&'a str, u32)>) -> Vec<(&'a str, u32)> {
    let mut out = Vec::with_capacity(ids.len());
    let mut left = ids;
    while !left.is_empty() {
        let sprint = left[0].1;
        let waiting = |dep: &str| left.iter().any(|&(id, n)| id == dep && n == sprint);
        let at = left
            .iter()
            .take_while(|&&(_, n)| n == sprint)
            .position(|&(id, _)| {
                workspace
                    .catalogue
                    .dependencies(id)
                    .into_iter()
                    .all(|d| !waiting(d))
            })
            .unwrap_or(0);
        out.push(left.remove(at));
    }
    out
}

/// The plan for a terminal: one block per sprint, a line per feature with its reason.
pub fn render_text(input: &SprintPlanInput) -> String {
    let features: usize = input.sprints.iter().map(|s| s.features.len()).sum();
    let points: u32 = input.sprints.iter().map(SprintInput::points).sum();
    let count = |n: usize, noun: &str| {
        if n == 1 {
            format!("1 {noun}")
        } else {
            format!("{n} {noun}s")
        }
    };
    let mut out = format!(
        "Sprint plan for {}: {}, {}, {} of {}.\n",
        input.agency,
        count(features, "feature"),
        count(points as usize, "story point"),
        count(input.sprints.len(), "sprint"),
        count(input.capacity as usize, "story point"),
    );
    let width = input
        .sprints
        .iter()
        .flat_map(|s| &s.features)
        .map(|f| f.id.chars().count())
        .max()
        .unwrap_or(0);
    for sprint in &input.sprints {
        out.push_str(&format!(
            "\nSprint {} — {} of {} points\n",
            sprint.number,
            sprint.points(),
            input.capacity
        ));
        for f in &sprint.features {
            out.push_str(&format!(
                "  {:<width$} {:>3}  {:<12} {:<10} {}\n",
                f.id, f.story_points, f.area, f.state, f.reason
            ));
        }
    }
    out
}
