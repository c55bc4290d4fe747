//! `blueprint emulator`: run the Graph-compatible tenant emulator until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;

use blueprint_emulator::{EmulatorConfig, Fixture, ThrottleMode, parse_latency};
use clap::Args;

use crate::{CommandError, Outcome};

/// Run a stand-in for Microsoft Graph and the Entra ID token service.
///
/// It seeds one or more tenants from fixtures (`empty-agency`, `legacy-agency`, or a YAML
/// file of your own), each with app registrations that hold a client secret, a certificate and
/// granted application permissions, and serves the token endpoint and Graph v1.0 for the
/// resources the blueprint manages. Point a client at the printed authority and Graph URLs.
///
/// Examples:
///   blueprint emulator --seed legacy-agency
///   blueprint emulator --listen 127.0.0.1:0 --tls --ready-file ready.json
///   blueprint emulator --throttle off --fault-rate 0.2 --latency-ms 20..80 --rng-seed 7
///   blueprint emulator --replication-lag-ms 3000 --lose-create-answers 2
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port (see --ready-file).
    #[arg(long, default_value = "127.0.0.1:8400", value_name = "ADDR")]
    listen: SocketAddr,

    /// Serve HTTPS with a generated CA (written as PEM; its path is in the ready file). Plain
    /// HTTP stays available on loopback on the same port.
    #[arg(long)]
    tls: bool,

    /// A fixture to seed: a built-in name or a YAML file. Repeat for more tenants.
    #[arg(long = "seed", value_name = "FIXTURE", default_value = "legacy-agency")]
    seeds: Vec<String>,

    /// Keep the tenants in this file (written atomically after changes) and resume from it.
    #[arg(long = "state", value_name = "FILE")]
    state: Option<PathBuf>,

    /// Once connections are accepted, write one JSON document here: authority and Graph URLs,
    /// CA path, and per tenant its id, domain and app credentials.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,

    /// Directory for generated material (CA, app certificates and keys). Default: a directory
    /// under the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    /// Added latency per request, uniform between A and B milliseconds.
    #[arg(long, value_name = "A..B", value_parser = parse_latency)]
    latency_ms: Option<(u64, u64)>,

    /// Probability (0 to 1) that a request meets an injected fault: 5xx, 429, a dropped
    /// connection, or (for creates) a committed create whose response is lost.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_rate)]
    fault_rate: f64,

    /// Throttling: off, realistic (Microsoft's published limits), or scale=F (limits times F).
    #[arg(long, value_name = "MODE", default_value = "realistic")]
    throttle: ThrottleMode,

    /// Seed for ids, secrets and the fault plan, so a run can be repeated exactly.
    #[arg(long, value_name = "N")]
    rng_seed: Option<u64>,

    /// A created object stays invisible to reads (lists, filters, $count, get by id) for N
    /// milliseconds, as Entra's replicas lag behind a write (seconds). Writes see it at once.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    replication_lag_ms: u64,

    /// Exchange Online shows a Microsoft 365 group Graph created only N milliseconds later
    /// (its mailbox provisioned; minutes in Microsoft's service): until then Get-UnifiedGroup
    /// leaves it out and Set-UnifiedGroup answers "couldn't be found".
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    group_provisioning_ms: u64,

    /// The polling interval the device code endpoint asks for, in seconds (Entra: 5); a test
    /// signing in with a device code sets 1.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    device_code_interval: u64,

    /// The first N creates commit but answer HTTP 500, as when Graph loses the answer: a
    /// client must look the object up before creating it again.
    #[arg(long, value_name = "N", default_value_t = 0)]
    lose_create_answers: u32,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("'{text}' is not a probability between 0 and 1")),
    }
}

pub fn run(args: EmulatorArgs) -> Result<Outcome, CommandError> {
    let mut seeds = Vec::new();
    for name in &args.seeds {
        seeds.push(Fixture::load(name).map_err(|e| CommandError::Input(e.to_string()))?);
    }
    let config = EmulatorConfig {
        listen: args.listen,
        tls: args.tls,
        seeds,
        state_file: args.state,
        ready_file: args.ready_file,
        out_dir: args.out_dir,
        faults: blueprint_emulator::FaultConfig {
            latency_ms: args.latency_ms,
            fault_rate: args.fault_rate,
        },
        throttle: args.throttle,
        rng_seed: args.rng_seed,
        replication_lag: std::time::Duration::from_millis(args.replication_lag_ms),
        group_provisioning: std::time::Duration::from_millis(args.group_provisioning_ms),
        lose_create_answers: args.lose_create_answers,
        device_code_interval_secs: args.device_code_interval,
        ..EmulatorConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("starting the async runtime: {e}")))?;
    runtime.block_on(async move {
        let running = blueprint_emulator::serve(config)
            .await
            .map_err(|e| match e {
                blueprint_emulator::EmulatorError::Fixture(_)
                | blueprint_emulator::EmulatorError::State { .. } => {
                    CommandError::Input(e.to_string())
                }
                other => CommandError::Failed(other.to_string()),
            })?;
        print_banner(running.info());
        wait_for_interrupt().await;
        eprintln!("stopping the emulator");
        running
            .shutdown()
            .await
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        Ok(Outcome::Success)
    })
}

async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn print_banner(info: &blueprint_emulator::ReadyInfo) {
    println!("Microsoft Graph emulator listening");
    println!("  authority   {}", info.authority);
    println!("  graph       {}/v1.0", info.graph);
    println!(
        "  exchange    {}/adminapi/beta/{{tenant}}/InvokeCommand",
        info.exchange
    );
    if info.tls {
        println!("  plain http  {} (loopback only)", info.plain_http);
    }
    println!(
        "  dns         {} (UDP and TCP: the tenants' public zones)",
        info.dns
    );
    if let Some(ca) = &info.ca_file {
        println!("  CA file     {}", ca.display());
    }
    for t in &info.tenants {
        println!();
        println!("tenant {} ({})", t.name, t.domain);
        println!("  AZURE_TENANT_ID={}", t.id);
        for app in &t.apps {
            println!("  app {}: AZURE_CLIENT_ID={}", app.name, app.client_id);
            match (&app.client_secret, app.secret_expired) {
                (Some(_), true) => println!("      client secret: expired (see the ready file)"),
                (Some(_), false) => {
                    println!("      client secret: in the ready file (--ready-file)")
                }
                (None, _) => {}
            }
            if let Some(cert) = &app.certificate_path {
                println!("      AZURE_CLIENT_CERTIFICATE_PATH={}", cert.display());
            }
        }
    }
    println!();
    println!(
        "Introspection: {}/_emulator/requests, /_emulator/state, POST /_emulator/reset",
        info.plain_http
    );
    println!("Press Ctrl-C to stop.");
}
