//! The command-line grammar. Each subcommand's arguments live next to its implementation in
//! `commands/`; this file only assembles them.

use clap::{Parser, Subcommand};

use crate::commands::catalogue::CatalogueArgs;
use crate::commands::demo::DemoArgs;
use crate::commands::deploy::DeployArgs;
use crate::commands::emulator::EmulatorArgs;
use crate::commands::evaluate::EvaluateArgs;
use crate::commands::init::InitArgs;
use crate::commands::plan::PlanArgs;

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
pub enum Command {
    /// The whole Deploy flow against a built-in emulated tenant: plan, deploy, enforce,
    /// evaluate. Start here.
    Demo(DemoArgs),
    /// Create an engagement workspace with the agency's profile (blueprint.toml).
    Init(InitArgs),
    /// The blueprint catalogue: list and show features, validate an agency's overlays, and
    /// report how every ABAC section is accounted for.
    Catalogue(CatalogueArgs),
    /// Run the Graph-compatible tenant emulator: a stand-in for Microsoft Graph and the Entra ID
    /// token service, to rehearse a sprint or try the tool without touching a real tenant.
    Emulator(EmulatorArgs),
    /// Show what a deploy would change in the tenant (reads only).
    Plan(PlanArgs),
    /// Apply the blueprint to the tenant, in dependency order, journalled and verified.
    Deploy(DeployArgs),
    /// Evaluate every selected feature against the live tenant.
    Evaluate(EvaluateArgs),
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
