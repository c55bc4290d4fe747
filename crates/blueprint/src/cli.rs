//! The command-line grammar. Each subcommand's arguments live next to its implementation in
//! `commands/`; this file only assembles them.

use clap::{Parser, Subcommand};

use crate::commands::attest::AttestArgs;
use crate::commands::catalogue::CatalogueArgs;
use crate::commands::connect::ConnectArgs;
use crate::commands::demo::DemoArgs;
use crate::commands::deploy::DeployArgs;
use crate::commands::doctor::DoctorArgs;
use crate::commands::emulator::EmulatorArgs;
use crate::commands::evaluate::EvaluateArgs;
use crate::commands::guides::GuidesArgs;
use crate::commands::init::InitArgs;
use crate::commands::log::LogArgs;
use crate::commands::next::NextArgs;
use crate::commands::permissions::PermissionsArgs;
use crate::commands::plan::PlanArgs;
use crate::commands::rollback::RollbackArgs;
use crate::commands::serve::ServeArgs;
use crate::commands::sprints::SprintsArgs;
use crate::commands::status::StatusArgs;
use crate::commands::stories::StoriesArgs;
use crate::commands::unlock::UnlockArgs;

/// Deploy the Australian secure Microsoft 365 blueprint to an agency's tenant: plan what to
/// implement, roll it out sprint by sprint, prove it by evaluating the live tenant, and keep a
/// tamper-evident feature log.
#[derive(Debug, Parser)]
#[command(name = "blueprint", version, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
/// One variant per subcommand; each takes its help text from its arguments' documentation.
pub enum Command {
    Demo(DemoArgs),
    Init(InitArgs),
    Catalogue(CatalogueArgs),
    Sprints(SprintsArgs),
    Stories(StoriesArgs),
    Emulator(EmulatorArgs),
    Permissions(PermissionsArgs),
    Connect(ConnectArgs),
    Doctor(DoctorArgs),
    Plan(PlanArgs),
    Deploy(DeployArgs),
    Evaluate(EvaluateArgs),
    Guides(GuidesArgs),
    Log(LogArgs),
    Attest(AttestArgs),
    Status(StatusArgs),
    Rollback(RollbackArgs),
    Unlock(UnlockArgs),
    Next(NextArgs),
    Serve(ServeArgs),
}

pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
