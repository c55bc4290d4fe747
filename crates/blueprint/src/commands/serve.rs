//! `blueprint serve`: the web app for agencies, their partners and the program office.

use std::path::{Path, PathBuf};

use blueprint_store::Store;
use blueprint_web::{AppState, Jobs, Registry, ServeConfig};
use clap::Args;

use super::common::runtime;
use crate::{CommandError, Outcome};

/// Serve the web app: every registered engagement (one per agency), signed in with Entra ID.
///
/// The server's database registers the engagements (an embedded SQLite file by default;
/// postgres://USER@HOST:PORT/DATABASE for a shared deployment); each engagement's profile and
/// state stay in its workspace. --config names where people sign in and how the claims of their
/// sign-in map to roles: program (reads every engagement, changes nothing), agency (its own
/// engagement) and partner (the engagements agencies granted it).
///
/// Examples:
///   blueprint serve --config serve.toml --register dta=./dta --partner dta="Acme Partners"
///   blueprint serve --demo --listen 127.0.0.1:0 --ready-file web.json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// The server's database: a SQLite file, sqlite://PATH or postgres://USER@HOST:PORT/DATABASE.
    #[arg(
        long,
        value_name = "URL",
        default_value = "blueprint-serve.db",
        env = "BLUEPRINT_SERVE_DATABASE_URL",
        hide_env_values = true
    )]
    pub database: String,

    /// Address to listen on; port 0 picks a free port (see --ready-file).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// The configuration: sign-in ([sign_in]) and role rules ([[rule]]), TOML.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub config: Option<PathBuf>,

    /// Register (or update) the workspace DIR as engagement ID before serving.
    #[arg(long = "register", value_name = "ID=DIR")]
    pub register: Vec<String>,

    /// Grant engagement ID (registered with --register) to a partner organisation.
    #[arg(long = "partner", value_name = "ID=ORGANISATION")]
    pub partner: Vec<String>,

    /// Start the tenant emulator in-process with three agencies at different phases, an
    /// embedded database, and a test user per role.
    #[arg(long, conflicts_with_all = ["config", "register", "partner"])]
    pub demo: bool,

    /// Once serving, write one JSON document here: `url`, and with --demo the `users` (role,
    /// agency, username, password) for the emulator's sign-in form.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
}

fn split_pair<'a>(flag: &str, value: &'a str) -> Result<(&'a str, &'a str), CommandError> {
    value
        .split_once('=')
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| CommandError::Input(format!("{flag} {value}: expected ID=VALUE")))
}

fn web_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::Input(e.to_string())
}

pub fn run(args: ServeArgs) -> Result<Outcome, CommandError> {
    runtime()?.block_on(async {
        let running = if args.demo {
            demo::start(&args).await?
        } else {
            start(&args).await?
        };
        println!("blueprint web app at {}", running.url);
        if let Some(path) = &args.ready_file {
            let text = serde_json::to_string_pretty(&running.ready)
                .map_err(|e| CommandError::Failed(e.to_string()))?;
            std::fs::write(path, text)
                .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))?;
        }
        let outcome = tokio::select! {
            served = running.server.task => match served {
                Ok(Ok(())) => Ok(Outcome::Success),
                Ok(Err(e)) => Err(CommandError::Failed(format!("serving: {e}"))),
                Err(e) => Err(CommandError::Failed(format!("serving: {e}"))),
            },
            _ = tokio::signal::ctrl_c() => Ok(Outcome::Success),
        };
        if let Some(emulator) = running.emulator {
            let _ = emulator.shutdown().await;
        }
        if let Some(dir) = running.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        outcome
    })
}

/// A server started, and what its ready file says.
struct Started {
    url: String,
    server: blueprint_web::Running,
    ready: serde_json::Value,
    /// Kept running as long as the server (the demo's emulator), shut down with it.
    emulator: Option<blueprint_emulator::RunningEmulator>,
    /// What the demo made (workspaces, databases, the emulator's material): removed when the
    /// server stops.
    scratch: Option<PathBuf>,
}

async fn start(args: &ServeArgs) -> Result<Started, CommandError> {
    let config_path = args.config.as_deref().expect("clap requires --config");
    let config = ServeConfig::read(config_path).map_err(web_error)?;
    let store = Store::connect(&args.database).await.map_err(web_error)?;
    for registration in &args.register {
        let (id, dir) = split_pair("--register", registration)?;
        let partners: Vec<String> = args
            .partner
            .iter()
            .map(|p| split_pair("--partner", p))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|(engagement, _)| *engagement == id)
            .map(|(_, organisation)| organisation.to_string())
            .collect();
        Registry::register(&store, id, Path::new(dir), &partners)
            .await
            .map_err(web_error)?;
    }
    let registry = Registry::load(&store).await.map_err(web_error)?;
    let listener = blueprint_web::bind(&args.listen).await.map_err(web_error)?;
    let roles = config.role_map();
    // The database stays open: the jobs are kept in it.
    let jobs = Jobs::new(store).with_schedule(config.schedule.clone());
    let server = blueprint_web::serve(
        listener,
        AppState::new(registry, config.sign_in, roles, jobs),
    )
    .map_err(web_error)?;
    let url = format!("http://{}", server.addr);
    Ok(Started {
        ready: serde_json::json!({ "url": url }),
        url,
        server,
        emulator: None,
        scratch: None,
    })
}

/// `--demo`: an emulated program office directory and three agencies' tenants, their
/// engagements driven through the engine to different phases.
mod demo {
    use std::collections::BTreeSet;

    use blueprint_emulator::{App, EmulatorConfig, Fixture, ThrottleMode};
    use blueprint_engine::engagement::{self, Evidence, PhaseDecision};
    use blueprint_engine::{Session, Workspace};
    use blueprint_store::{Role, Store};
    use blueprint_web::{AppState, Jobs, OidcConfig, Registry, RoleMap, RoleRule};
    use serde_json::{Value, json};

    use super::{ServeArgs, Started, web_error};
    use crate::CommandError;
    use crate::commands::common::engine_error;
    use crate::commands::init::{ProfileValues, write_profile};
    use crate::progress::Terminal;

    /// The features each demo agency selects: a small execution plan, planned three story
    /// points a sprint so it spans several sprints.
    const FEATURES: &[&str] = &[
        "identity-break-glass-accounts",
        "identity-ca-exclusion-group",
        "ca-block-legacy-authentication",
        "identity-tenant-properties",
        "identity-group-expiration",
    ];

    /// (engagement id, agency, where the demo takes it).
    const AGENCIES: [(&str, &str, Phase); 3] = [
        ("dta", "Digital Transformation Agency", Phase::MidSprint),
        ("ato", "Australian Taxation Office", Phase::Drifted),
        (
            "abs",
            "Australian Bureau of Statistics",
            Phase::Transitioned,
        ),
    ];

    #[derive(Clone, Copy)]
    enum Phase {
        MidSprint,
        Drifted,
        Transitioned,
    }

    const PARTNER: &str = "Acme Partners";
    /// The program office's directory, where everyone signs in.
    const OFFICE: &str = "Blueprint Program Office";
    /// The web app's registration in the program office's directory (a public client).
    const WEB_CLIENT_ID: &str = "6f0b6a34-8c1e-4c5e-9a52-2f6d1b9e7c11";

    fn tenant_spec(base: &Fixture, name: &str, domain: &str) -> Fixture {
        let mut fixture = base.clone();
        let tenant = &mut fixture.tenants[0];
        tenant.name = name.to_string();
        tenant.id = None;
        tenant.domains = vec![
            format!("{domain}.onmicrosoft.com"),
            format!("{domain}.gov.au"),
        ];
        fixture
    }

    fn user(upn: &str, name: &str, password: &str) -> blueprint_emulator::ObjectSpec {
        blueprint_emulator::ObjectSpec {
            kind: "user".into(),
            body: Some(json!({
                "accountEnabled": true,
                "displayName": name,
                "mailNickname": upn.split('@').next().unwrap_or(upn),
                "userPrincipalName": upn,
                "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": password},
            })),
            patch: None,
        }
    }

    fn password() -> String {
        format!("Demo-{}!9a", blueprint_web::auth::random_token())
    }

    pub(super) async fn start(args: &ServeArgs) -> Result<Started, CommandError> {
        let dir = std::env::temp_dir().join(format!("blueprint-serve-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| CommandError::Failed(e.to_string()))?;
        let base = Fixture::load("empty-agency").map_err(web_error)?;

        // The program office's directory: everyone signs in there.
        let office_domain = "programoffice";
        let upn = |local: &str| format!("{local}@{office_domain}.onmicrosoft.com");
        let mut users: Vec<(Role, Option<&str>, String, String)> = vec![
            (Role::Program, None, upn("program"), password()),
            (Role::Partner, Some("ato"), upn("partner"), password()),
        ];
        for (id, _, _) in AGENCIES {
            users.push((
                Role::Agency,
                Some(id),
                upn(&format!("agency-{id}")),
                password(),
            ));
        }
        let mut office = tenant_spec(&base, OFFICE, office_domain);
        for (role, _, upn, password) in &users {
            office.tenants[0]
                .objects
                .push(user(upn, &format!("Demo {role}"), password));
        }
        let mut seeds = vec![office];
        for (id, agency, _) in AGENCIES {
            seeds.push(tenant_spec(&base, agency, id));
        }
        let emulator = blueprint_emulator::serve(EmulatorConfig {
            tls: true,
            seeds,
            out_dir: Some(dir.join("emulator")),
            throttle: ThrottleMode::Off,
            ..EmulatorConfig::default()
        })
        .await
        .map_err(|e| CommandError::Failed(e.to_string()))?;
        let info = emulator.info().clone();
        // The ready file lists the tenants in its own order: find each by its name.
        let tenant_named = |name: &str| {
            info.tenants
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| CommandError::Failed(format!("the emulator has no tenant {name}")))
        };
        let office_id = tenant_named(OFFICE)?.id.clone();
        if let Some(t) = emulator.emulator().tenant(&office_id) {
            let mut extra = serde_json::Map::new();
            extra.insert("isFallbackPublicClient".into(), Value::Bool(true));
            t.lock().expect("tenant").apps.push(App {
                display_name: "blueprint web".into(),
                client_id: WEB_CLIENT_ID.into(),
                secrets: vec![],
                certificates: vec![],
                permissions: vec![],
                object_id: "0c4f7f8e-3b7a-4d4c-8f52-7b1e5a9d2c01".into(),
                sp_id: String::new(),
                extra,
            });
        }

        let store = Store::open(&dir.join("server.db"))
            .await
            .map_err(web_error)?;
        for (id, agency, phase) in AGENCIES {
            let ws_dir = dir.join(id);
            let tenant = tenant_named(agency)?;
            let app = tenant
                .apps
                .iter()
                .find(|a| a.certificate_path.is_some())
                .ok_or_else(|| CommandError::Failed("the demo tenant has no app".into()))?;
            let path = |p: &Option<std::path::PathBuf>| {
                p.as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            };
            let values = ProfileValues {
                agency: agency.to_string(),
                domain: format!("{id}.gov.au"),
                prefix: id.to_uppercase(),
                tenant_id: Some(tenant.id.clone()),
                break_glass: vec![
                    format!("breakglass01@{}", tenant.domain),
                    format!("breakglass02@{}", tenant.domain),
                ],
                connection: vec![
                    ("tenant_id".into(), tenant.id.clone()),
                    ("client_id".into(), app.client_id.clone()),
                    ("authority".into(), info.authority.clone()),
                    ("graph".into(), info.graph.clone()),
                    ("certificate_path".into(), path(&app.certificate_path)),
                    ("private_key_path".into(), path(&app.private_key_path)),
                    ("ca_file".into(), path(&info.ca_file)),
                ],
            };
            let profile = write_profile(&ws_dir, &values, true)?;
            let list: Vec<String> = FEATURES.iter().map(|f| format!("\"{f}\"")).collect();
            let text = std::fs::read_to_string(&profile)
                .map_err(|e| CommandError::Failed(e.to_string()))?
                .replace(
                    "features = []",
                    &format!("features = [{}]\ncapacity = 3", list.join(", ")),
                );
            std::fs::write(&profile, text).map_err(|e| CommandError::Failed(e.to_string()))?;
            drive(&ws_dir, phase, &emulator, &tenant.id).await?;
            let partners = match phase {
                Phase::Drifted => vec![PARTNER.to_string()],
                _ => vec![],
            };
            Registry::register(&store, id, &ws_dir, &partners)
                .await
                .map_err(web_error)?;
        }
        let registry = Registry::load(&store).await.map_err(web_error)?;

        let listener = blueprint_web::bind(&args.listen).await.map_err(web_error)?;
        let addr = listener
            .local_addr()
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        let url = format!("http://{addr}");
        let rules = users
            .iter()
            .map(|(role, agency, upn, _)| RoleRule {
                claim: "preferred_username".into(),
                value: upn.clone(),
                role: *role,
                organisation: match role {
                    Role::Partner => Some(PARTNER.to_string()),
                    _ => agency.map(str::to_string),
                },
            })
            .collect();
        let oidc = OidcConfig {
            authority: info.plain_http.clone(),
            tenant: office_id,
            client_id: WEB_CLIENT_ID.into(),
            redirect_uri: format!("{url}/auth/callback"),
        };
        let state = AppState::new(registry, oidc, RoleMap { rules }, Jobs::new(store));
        let server = blueprint_web::serve(listener, state).map_err(web_error)?;
        let ready = json!({
            "url": url,
            "users": users.iter().map(|(role, agency, upn, password)| json!({
                "role": role,
                "agency": agency,
                "username": upn,
                "password": password,
            })).collect::<Vec<_>>(),
        });
        Ok(Started {
            url,
            server,
            ready,
            emulator: Some(emulator),
            scratch: Some(dir),
        })
    }

    /// Takes an agency's engagement to `phase` through the engine, as its people would:
    /// sprints planned, sprints deployed and evaluated, manual features attested, a drifted
    /// object, a phase decision.
    async fn drive(
        dir: &std::path::Path,
        phase: Phase,
        emulator: &blueprint_emulator::RunningEmulator,
        tenant_id: &str,
    ) -> Result<(), CommandError> {
        let workspace = Workspace::open(dir).map_err(engine_error)?;
        let plan = engagement::plan_sprints(&workspace)
            .await
            .map_err(engine_error)?
            .plan;
        let evidence_file = dir.join("rehearsal-evidence.txt");
        std::fs::write(
            &evidence_file,
            "Rehearsal on an emulated tenant: the manual steps were not performed.\n",
        )
        .map_err(|e| CommandError::Failed(e.to_string()))?;
        let evidence = Evidence::from_arg(&evidence_file.display().to_string())
            .map_err(|e| engine_error(e.into()))?;
        let sprints: Vec<u32> = match phase {
            Phase::MidSprint => plan.sprints.iter().take(1).map(|s| s.number).collect(),
            _ => plan.sprints.iter().map(|s| s.number).collect(),
        };
        for sprint in sprints {
            run_sprint(dir, sprint, &evidence).await?;
        }
        match phase {
            Phase::MidSprint => {}
            Phase::Drifted => {
                // Someone turns a blueprint policy off in the portal; the next evaluation sees it.
                if let Some(t) = emulator.emulator().tenant(tenant_id) {
                    let mut t = t.lock().expect("tenant");
                    if let Some(policies) = t.collections.get_mut("conditionalAccessPolicy") {
                        for policy in policies.values_mut() {
                            policy["state"] = Value::String("disabled".into());
                        }
                    }
                }
                let session = Session::open(
                    Workspace::open(dir).map_err(engine_error)?,
                    Terminal::bar_only(),
                )
                .map_err(engine_error)?;
                let evaluated = session.evaluate().await.map_err(engine_error);
                session.close().await;
                evaluated?;
            }
            Phase::Transitioned => {
                let workspace = Workspace::open(dir).map_err(engine_error)?;
                engagement::decide(
                    &workspace,
                    PhaseDecision::Transition,
                    "every selected feature is verified or attested; business change planning starts",
                    false,
                )
                .await
                .map_err(engine_error)?;
            }
        }
        Ok(())
    }

    /// One sprint: its manual features attested for the rehearsal, then deployed report-only,
    /// enforced and evaluated.
    async fn run_sprint(
        dir: &std::path::Path,
        sprint: u32,
        evidence: &Evidence,
    ) -> Result<(), CommandError> {
        let workspace = Workspace::open(dir).map_err(engine_error)?;
        let mut session = Session::open(workspace, Terminal::bar_only()).map_err(engine_error)?;
        let result = async {
            let scope = session.restrict_to_sprint(i64::from(sprint)).await?;
            for feature in &scope.needs_attestation {
                let note = "rehearsal on the emulated tenant: no real evidence";
                engagement::attest(&session.workspace, feature, evidence, note).await?;
            }
            let automated: BTreeSet<&String> = scope
                .features
                .iter()
                .filter(|f| !scope.needs_attestation.contains(f))
                .collect();
            if automated.is_empty() {
                return Ok(());
            }
            let options = blueprint_engine::DeployOptions {
                sprint: session.sprint(),
                ..Default::default()
            };
            session.deploy(&options).await?;
            let enforce = blueprint_engine::DeployOptions {
                enforce: true,
                ..options
            };
            session.deploy(&enforce).await?;
            session.evaluate().await.map(drop)
        }
        .await;
        session.close().await;
        result.map_err(engine_error)
    }
}
