//! `blueprint demo`: the whole Deploy flow against a built-in emulated tenant.

use std::path::PathBuf;
use std::sync::Arc;

use blueprint_emulator::{EmulatorConfig, Fixture, ThrottleMode};
use blueprint_engine::{DeployOptions, Session, Verdict, Workspace};
use clap::Args;

use super::common::{engine_error, observer, runtime};
use super::init::{ProfileValues, from_ready_file, write_profile};
use crate::{CommandError, Outcome};

/// The whole Deploy flow against a built-in emulated tenant. Start here.
///
/// Runs it all in one go: starts the emulator
/// (seeded with a legacy agency by default), create a workspace, plan, deploy report-only,
/// enforce, evaluate, and say where every file is. Nothing leaves this machine.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo workspace (replaced if it holds an earlier demo).
    #[arg(long, default_value = "blueprint-demo")]
    pub dir: PathBuf,
    /// The emulator fixture to seed.
    #[arg(long, default_value = "legacy-agency")]
    pub seed: String,
    /// Emulator throttling: realistic (Microsoft's limits: conditional access at 1 request/s),
    /// off, or scale=F.
    #[arg(long, default_value = "realistic")]
    pub throttle: ThrottleMode,
}

pub fn run(args: DemoArgs) -> Result<Outcome, CommandError> {
    let fixture = Fixture::load(&args.seed).map_err(|e| CommandError::Input(e.to_string()))?;
    if args.dir.join(".blueprint-demo").exists() {
        std::fs::remove_dir_all(&args.dir)
            .map_err(|e| CommandError::Failed(format!("clearing {}: {e}", args.dir.display())))?;
    } else if args.dir.exists()
        && std::fs::read_dir(&args.dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return Err(CommandError::Input(format!(
            "{} exists and is not an earlier demo; choose another --dir",
            args.dir.display()
        )));
    }
    let emulator_dir = args.dir.join("emulator");
    std::fs::create_dir_all(&emulator_dir).map_err(|e| CommandError::Failed(e.to_string()))?;
    std::fs::write(
        args.dir.join(".blueprint-demo"),
        "made by `blueprint demo`\n",
    )
    .map_err(|e| CommandError::Failed(e.to_string()))?;
    let ready_path = emulator_dir.join("ready.json");
    let rt = runtime()?;
    rt.block_on(async {
        println!("1. Starting the tenant emulator ({}, TLS, throttling {:?})", args.seed, args.throttle);
        let running = blueprint_emulator::serve(EmulatorConfig {
            tls: true,
            seeds: vec![fixture],
            ready_file: Some(ready_path.clone()),
            out_dir: Some(emulator_dir.clone()),
            state_file: Some(emulator_dir.join("tenant-state.json")),
            throttle: args.throttle,
            ..EmulatorConfig::default()
        })
        .await
        .map_err(|e| CommandError::Failed(e.to_string()))?;
        let tenant = running.info().tenants[0].clone();
        println!("   {} ({}) at {}", tenant.name, tenant.domain, running.info().graph);

        println!("2. Creating the workspace {}", args.dir.display());
        let rehearsal = from_ready_file(&ready_path)?;
        let domain = tenant.domains.last().cloned().unwrap_or(tenant.domain.clone());
        let prefix: String = tenant.name.split_whitespace().filter_map(|w| w.chars().next()).filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
        write_profile(
            &args.dir,
            &ProfileValues {
                agency: tenant.name.clone(),
                domain,
                prefix,
                tenant_id: Some(rehearsal.tenant_id),
                break_glass: rehearsal.break_glass,
                connection: rehearsal.connection,
            },
            true,
        )?;
        let workspace = Workspace::open(&args.dir).map_err(engine_error)?;
        let session = Session::open(workspace, observer(false)).map_err(engine_error)?;

        println!("3. Planning against the tenant");
        let (plan, _) = session.plan(false).await.map_err(engine_error)?;
        print!("{}", indent(&super::plan::render(&plan)));

        println!("4. Deploying (conditional access report-only)");
        let quiet = Arc::new(|_: &blueprint_engine::apply::ActionResult| {});
        let (_, report) = session.deploy(&DeployOptions::default(), quiet.clone()).await.map_err(engine_error)?;
        print!("{}", indent(&super::deploy::summary(&report)));

        println!("5. Enforcing the verified conditional access policies");
        let enforce = DeployOptions { enforce: true, ..DeployOptions::default() };
        let (_, enforced) = session.deploy(&enforce, quiet).await.map_err(engine_error)?;
        print!("{}", indent(&super::deploy::summary(&enforced)));

        println!("6. Evaluating the live tenant");
        let evaluation = session.evaluate().await.map_err(engine_error)?;
        let evaluation_path = args.dir.join("evaluation.json");
        let report_path = args.dir.join("report.html");
        let guides_dir = args.dir.join("guides");
        let input = super::evaluate::report_input(&session, &evaluation).await?;
        std::fs::write(&evaluation_path, blueprint_report::render_json(&input))
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        std::fs::write(&report_path, blueprint_report::render_html(&input))
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", report_path.display())))?;
        let guides = super::guides::write_guides(&guides_dir, &input)?;
        print!("{}", indent(&super::evaluate::render(&evaluation)));

        let (replan, _) = session.plan(true).await.map_err(engine_error)?;
        let remaining = replan.has_changes();
        running.shutdown().await.map_err(|e| CommandError::Failed(e.to_string()))?;

        println!("\nFiles:");
        println!("  profile           {}", args.dir.join("blueprint.toml").display());
        println!("  state (journal)   {}", args.dir.join(".blueprint/state.db").display());
        println!("  evaluation        {}", evaluation_path.display());
        println!("  report            {}", report_path.display());
        println!("  user guides       {} ({guides} verified features)", guides_dir.join("index.html").display());
        println!("  emulator tenant   {}", emulator_dir.join("tenant-state.json").display());
        println!("  emulator CA       {}", emulator_dir.join("emulator-ca.pem").display());
        let automated_ok = evaluation.features.iter().all(|f| matches!(f.verdict, Verdict::Pass | Verdict::Manual));
        println!(
            "\n{} of {} automated features verified in the tenant; {} manual features await attestation.{}",
            evaluation.count(Verdict::Pass),
            evaluation.features.len() - evaluation.count(Verdict::Manual),
            evaluation.count(Verdict::Manual),
            if remaining { " A new plan still shows changes." } else { " A new plan shows no changes." }
        );
        Ok(if automated_ok && report.failed() == 0 && enforced.failed() == 0 { Outcome::Success } else { Outcome::Failures })
    })
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
