//! `blueprint next`: record the agency's decision at the end of a Deploy cycle.

use blueprint_engine::engagement::{self, PhaseDecision};
use clap::{Args, ValueEnum};

use super::common::{Format, WorkspaceArgs, engine_error, runtime};
use crate::{CommandError, Outcome};

/// Record what the agency does after Deploy: Transition, Deploy again, or exit.
///
/// The decision goes into the feature log with its note, who made it (--actor) and when.
/// Phase decisions are the agency's: the role (--role) must be `agency`, the default.
/// `blueprint status` shows the phase and recommends which decision fits.
///
/// transition: business change planning begins (the Transition phase). Refused while selected
/// features are drifted, because change would be planned around controls the tenant no longer
/// has; --force records it anyway, with the drifted features named in the entry.
///
/// deploy-again: another Deploy cycle. Select more features in blueprint.toml [plan], then
/// `blueprint sprints plan`: the new cycle's sprints are numbered after the last sprint used,
/// so every sprint number stays unique for the whole engagement.
///
/// exit: the agency discontinues. `blueprint next deploy-again` resumes later.
#[derive(Debug, Args)]
pub struct NextArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The decision.
    #[arg(value_enum)]
    pub decision: Decision,
    /// Why, and who decided, e.g. "Steering committee 2024-05-02: start change management".
    #[arg(long)]
    pub note: String,
    /// Record a transition although features are drifted.
    #[arg(long)]
    pub force: bool,
    /// `json` prints the recorded feature log entry (canonical form, with its hash).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decision {
    /// Business change planning (the Transition phase).
    Transition,
    /// Another Deploy cycle, with more features.
    DeployAgain,
    /// Discontinue.
    Exit,
}

impl From<Decision> for PhaseDecision {
    fn from(d: Decision) -> PhaseDecision {
        match d {
            Decision::Transition => PhaseDecision::Transition,
            Decision::DeployAgain => PhaseDecision::DeployAgain,
            Decision::Exit => PhaseDecision::Exit,
        }
    }
}

pub fn run(args: NextArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let decision = PhaseDecision::from(args.decision);
    let rt = runtime()?;
    let decided = rt
        .block_on(engagement::decide(
            &workspace, decision, &args.note, args.force,
        ))
        .map_err(engine_error)?;
    let entry = &decided.entry;
    if args.format == Format::Json {
        println!("{}", entry.canonical_json(true));
        return Ok(Outcome::Success);
    }
    println!(
        "Recorded the decision to {} as feature log entry {} by {} ({}).",
        match decision {
            PhaseDecision::Transition => "move to Transition",
            PhaseDecision::DeployAgain => "deploy again",
            PhaseDecision::Exit => "exit",
        },
        entry.seq,
        entry.event.actor,
        entry.event.role
    );
    if let Some(start) = &decided.next_cycle {
        println!(
            "Cycle {} begins; its sprints start at sprint {}. Select its features in blueprint.toml [plan], then run `blueprint sprints plan`.",
            start.cycle, start.first_sprint
        );
    }
    Ok(Outcome::Success)
}
