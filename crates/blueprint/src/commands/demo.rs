//! `blueprint demo`: the whole Deploy flow against a built-in emulated tenant.

use std::path::PathBuf;
use std::sync::Arc;

use blueprint_emulator::{EmulatorConfig, Fixture, ThrottleMode};
use blueprint_engine::engagement::{Evidence, attest};
use blueprint_engine::{DeployOptions, Session, Verdict, Workspace};
use clap::Args;

use super::common::{engine_error, observer, runtime};
use super::init::{ProfileValues, from_ready_file, write_profile};
use crate::{CommandError, Outcome};

/// The whole Deploy flow against a built-in emulated tenant. Start here.
///
/// Runs it all in one go: starts the emulator (seeded with a legacy agency by default),
/// creates a workspace, records the execution plan and a sprint plan in the feature log, then
/// sprint by sprint deploys report-only, enforces and evaluates (a sprint goes ahead only once
/// the sprints it builds on are verified), evaluates the whole tenant, writes the HTML report,
/// the sprint plan and the user guides, and says where every file is. Nothing leaves this
/// machine.
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

        println!("3. Planning sprints (the execution plan and the sprint plan go into the feature log)");
        let mut text = Vec::new();
        super::sprints::plan(&workspace, None).await?;
        let plan = super::sprints::recorded(&workspace).await?;
        for sprint in &plan.sprints {
            text.push(format!(
                "sprint {:>2}: {:>2} features, {:>2} points",
                sprint.number,
                sprint.features.len(),
                sprint.points()
            ));
        }
        print!("{}", indent(&text.join("\n")));
        let sprints_path = args.dir.join("sprints.html");
        std::fs::write(&sprints_path, blueprint_report::render_sprints_html(&plan))
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", sprints_path.display())))?;

        println!("4. Each sprint: deploy (conditional access report-only), enforce, evaluate");
        let quiet = Arc::new(|_: &blueprint_engine::apply::ActionResult| {});
        let mut failed = 0;
        let evidence_path = args.dir.join("rehearsal-evidence.txt");
        let evidence_text = "Rehearsal on blueprint's emulated tenant: manual steps were not performed.\n";
        std::fs::write(&evidence_path, evidence_text)
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        let evidence = Evidence::from_arg(&evidence_path.display().to_string())
            .map_err(|e| engine_error(e.into()))?;
        for sprint in &plan.sprints {
            let workspace = Workspace::open(&args.dir).map_err(engine_error)?;
            let mut session = Session::open(workspace, observer(false)).map_err(engine_error)?;
            let scope = session.restrict_to_sprint(i64::from(sprint.number)).await.map_err(engine_error)?;
            // No portal to take evidence from in an emulated tenant: the demo attests the
            // sprint's manual features with a rehearsal note, so later sprints that build on
            // them can go ahead. A person does this with real evidence.
            let attested = scope.needs_attestation.len();
            for feature in &scope.needs_attestation {
                let note = "rehearsal on the emulated tenant: no real evidence";
                attest(&session.workspace, feature, &evidence, note)
                    .await
                    .map_err(engine_error)?;
            }
            if attested == scope.features.len() {
                println!("   sprint {:>2}: manual only, {attested} features attested for the rehearsal", sprint.number);
                session.close().await;
                continue;
            }
            let options = DeployOptions { sprint: session.sprint(), ..DeployOptions::default() };
            let (_, report) = session.deploy(&options, quiet.clone()).await.map_err(engine_error)?;
            let enforce = DeployOptions { enforce: true, ..options };
            let (_, enforced) = session.deploy(&enforce, quiet.clone()).await.map_err(engine_error)?;
            let evaluation = session.evaluate().await.map_err(engine_error)?;
            session.close().await;
            failed += report.failed() + enforced.failed();
            println!(
                "   sprint {:>2}: {} changes ({} failed), {} enforced; {} of {} automated features verified",
                sprint.number,
                report.done(),
                report.failed() + enforced.failed(),
                enforced.done(),
                evaluation.count(Verdict::Pass),
                evaluation.features.len() - evaluation.count(Verdict::Manual),
            );
        }

        println!("5. Evaluating the whole live tenant");
        let workspace = Workspace::open(&args.dir).map_err(engine_error)?;
        let session = Session::open(workspace, observer(false)).map_err(engine_error)?;
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
        print!("{}", indent(&blueprint_report::render_text_outstanding(&input)));

        let (replan, _) = session.plan(true).await.map_err(engine_error)?;
        let remaining = replan.has_changes();
        session.close().await;
        running.shutdown().await.map_err(|e| CommandError::Failed(e.to_string()))?;

        println!("\nFiles:");
        println!("  profile           {}", args.dir.join("blueprint.toml").display());
        println!("  state, feature log {}", args.dir.join(".blueprint/state.db").display());
        println!("  sprint plan       {}", sprints_path.display());
        println!("  evaluation        {}", evaluation_path.display());
        println!("  report            {}", report_path.display());
        println!("  user guides       {} ({guides} features in place)", guides_dir.join("index.html").display());
        println!("  emulator tenant   {}", emulator_dir.join("tenant-state.json").display());
        println!("  emulator CA       {}", emulator_dir.join("emulator-ca.pem").display());
        let automated_ok = evaluation.features.iter().all(|f| matches!(f.verdict, Verdict::Pass | Verdict::Manual));
        println!(
            "\n{} of {} automated features verified in the tenant, sprint by sprint; {} manual features attested for the rehearsal only (a person attests them with real evidence: `blueprint attest`).{}",
            evaluation.count(Verdict::Pass),
            evaluation.features.len() - evaluation.count(Verdict::Manual),
            evaluation.count(Verdict::Manual),
            if remaining { " A new plan still shows changes." } else { " A new plan shows no changes." }
        );
        println!("Next: `blueprint status -C {}` recommends the next step; `blueprint log verify -C {}` proves the record.", args.dir.display(), args.dir.display());
        Ok(if automated_ok && failed == 0 { Outcome::Success } else { Outcome::Failures })
    })
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
