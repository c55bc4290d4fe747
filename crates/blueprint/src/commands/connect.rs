//! `blueprint connect`: register blueprint's app in the tenant with exactly the grants the
//! selected features need ([`blueprint_engine::connect`] does the work).

use std::time::Duration;

use blueprint_engine::connect::{self, SignInMethod, SignInPrompt, Step};
use clap::Args;

use super::common::{Format, WorkspaceArgs, access, confirm, engine_error, print_json, runtime};
use crate::{CommandError, Outcome};

/// Connect the workspace to its tenant: sign in as an administrator, then create or update
/// blueprint's app registration with exactly the permissions the selected features need.
///
/// A Global Administrator or Privileged Role Administrator signs in with the device code flow
/// (or --browser: authorization code with PKCE on a loopback port, where conditional access
/// blocks device code). Then, each step shown first and confirmed unless --yes:
///   - the app registration and its service principal are created (or found by name);
///   - each application permission is granted through appRoleAssignedTo (admin consent);
///   - the Exchange directory role is assigned when the selection needs Exchange;
///   - a certificate is made here: its private key stays in .blueprint/credentials/ (0600),
///     only the public certificate is uploaded;
///   - blueprint waits until a fresh token of the app shows the grants, then writes tenant_id,
///     client_id and certificate_path into blueprint.toml's [connection].
///
/// A rerun grants only what is new and says what changed; with nothing new it changes nothing.
/// --read-only makes a second app, with read permissions only (plan, evaluate, doctor).
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Make (or update) the read-only app: read grants only, written as read_only_client_id
    /// and read_only_certificate_path.
    #[arg(long)]
    pub read_only: bool,
    /// Do not ask for confirmation before changing the tenant.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Sign in in a browser (authorization code with PKCE, redirected to a loopback port)
    /// instead of with a device code.
    #[arg(long)]
    pub browser: bool,
    /// How long to wait for the grants to show in the app's token (Entra replicates them).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub wait: u64,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: ConnectArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let access = access(args.read_only);
    let endpoints = workspace.endpoints().map_err(engine_error)?;
    let rt = runtime()?;
    let method = if args.browser {
        SignInMethod::Browser
    } else {
        SignInMethod::DeviceCode
    };
    // The sign-in prompt goes to stderr, so --format json keeps stdout for the result.
    let token = rt
        .block_on(connect::sign_in(
            &endpoints,
            method,
            Duration::from_secs(600),
            |prompt| match prompt {
                SignInPrompt::DeviceCode(p) => {
                    eprintln!(
                        "Sign in as a Global Administrator or Privileged Role Administrator:\n  open {}\n  enter the code {}\n(the code expires in {} minutes)",
                        p.verification_uri,
                        p.user_code,
                        p.expires_in.as_secs() / 60
                    );
                }
                SignInPrompt::Browser { url } => {
                    eprintln!(
                        "Sign in as a Global Administrator or Privileged Role Administrator: open this address in a browser on this machine:\n  {url}"
                    );
                }
            },
        ))
        .map_err(engine_error)?;
    let connection = rt
        .block_on(connect::survey(&workspace, access, token))
        .map_err(engine_error)?;
    let json = args.format == Format::Json;
    if connection.steps.is_empty() {
        if json {
            print_json(&serde_json::json!({
                "tenant_id": connection.tenant_id,
                "app": connection.app_name,
                "changed": [],
            }));
        } else {
            println!(
                "Nothing to change: the app '{}' in tenant {} holds every grant the selected features need ({}), and blueprint.toml names it.",
                connection.app_name,
                connection.tenant_id,
                connection.needs.len()
            );
        }
        return Ok(Outcome::Success);
    }
    eprintln!(
        "To connect tenant {} with the app '{}' ({} grants needed), blueprint will:",
        connection.tenant_id,
        connection.app_name,
        connection.needs.len()
    );
    for (i, step) in connection.steps.iter().enumerate() {
        eprintln!("  {}. {step}", i + 1);
    }
    if !args.yes && !confirm("Make these changes?", "connect")? {
        eprintln!("Nothing changed.");
        return Ok(Outcome::Success);
    }
    let connected = rt
        .block_on(
            connection.apply(Duration::from_secs(args.wait), |step: &Step| {
                eprintln!("  → {step}")
            }),
        )
        .map_err(engine_error)?;
    if json {
        print_json(&connected);
    } else {
        println!(
            "Connected: tenant {}, app {} ({} changes{}). Certificate and key: {}",
            connected.tenant_id,
            connected.client_id,
            connected.changed.len(),
            connected
                .replication_secs
                .map(|s| format!("; grants showed in the app's token after {s:.1} s"))
                .unwrap_or_default(),
            connected.certificate_path.display()
        );
        for todo in &connected.still_to_do {
            eprintln!("Still to do by hand: {todo}");
        }
        println!("Check it with `blueprint doctor`.");
    }
    Ok(Outcome::Success)
}
