//! `blueprint serve --demo`: an emulated program office directory and three agencies' tenants,
//! their engagements driven through the engine to different phases, and a test user per role.
//! Everything it makes lives in one scratch directory, removed when the demo stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blueprint_emulator::{App, EmulatorConfig, Fixture, RunningEmulator, ThrottleMode};
use blueprint_engine::engagement::{self, PhaseDecision};
use blueprint_engine::new_workspace::{ProfileValues, write_profile};
use blueprint_engine::{EngineError, Progress, Session, Workspace, rehearsal};
use blueprint_store::{Role, Store};
use serde_json::{Value, json};

use crate::{AppState, OidcConfig, Registry, RoleMap, RoleRule, Running, ServeError};

/// The features each demo agency selects: a small execution plan, planned three story points
/// a sprint so it spans several sprints.
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

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] blueprint_store::StoreError),
    /// Driving an agency's engagement failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The emulator, or the scratch directory, failed.
    #[error("{0}")]
    Failed(String),
}

fn failed(e: impl std::fmt::Display) -> DemoError {
    DemoError::Failed(e.to_string())
}

/// The demo serving: the web app, the emulator behind it, and what its ready file says.
pub struct Demo {
    pub server: Running,
    pub url: String,
    /// `url`, and the `users` (role, agency, username, password) for the emulator's form.
    pub ready: Value,
    /// What to stop once the server stops.
    pub stopper: DemoStopper,
}

/// The demo's emulator and scratch directory (workspaces, databases, the emulator's material).
pub struct DemoStopper {
    emulator: RunningEmulator,
    scratch: PathBuf,
}

impl DemoStopper {
    /// Stops the emulator and removes what the demo made.
    pub async fn stop(self) {
        let _ = self.emulator.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

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

/// The web app's app role for a role (and the agency an agency user belongs to), e.g.
/// `Blueprint.Agency.dta`.
fn app_role(role: Role, agency: Option<&str>) -> String {
    match (role, agency) {
        (Role::Program, _) => "Blueprint.ProgramOffice".into(),
        (Role::Partner, _) => "Blueprint.Partner".into(),
        (_, Some(agency)) => format!("Blueprint.Agency.{agency}"),
        (_, None) => "Blueprint.Agency".into(),
    }
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
        id: None,
        beta: false,
    }
}

fn password() -> String {
    format!("Demo-{}!9a", crate::auth::random_token())
}

/// Starts the demo listening on `listen`; `progress` shows the engine's work while the
/// agencies' engagements are driven to their phases.
pub async fn start(listen: &str, progress: Arc<dyn Progress>) -> Result<Demo, DemoError> {
    let dir = std::env::temp_dir().join(format!("blueprint-serve-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(failed)?;
    let base = Fixture::load("empty-agency").map_err(failed)?;

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
    .map_err(failed)?;
    let info = emulator.info().clone();
    // The ready file lists the tenants in its own order: find each by its name.
    let tenant_named = |name: &str| {
        info.tenants
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| DemoError::Failed(format!("the emulator has no tenant {name}")))
    };
    let office_id = tenant_named(OFFICE)?.id.clone();
    if let Some(t) = emulator.emulator().tenant(&office_id) {
        let mut extra = serde_json::Map::new();
        extra.insert("isFallbackPublicClient".into(), Value::Bool(true));
        let mut t = t.lock().expect("tenant");
        t.apps.push(App {
            display_name: "blueprint web".into(),
            client_id: WEB_CLIENT_ID.into(),
            secrets: vec![],
            certificates: vec![],
            permissions: vec![],
            object_id: "0c4f7f8e-3b7a-4d4c-8f52-7b1e5a9d2c01".into(),
            sp_id: String::new(),
            extra,
        });
        // Each user is assigned the web app's role for what they are: their sign-in carries
        // it in `roles`, which the server's rules map.
        for (role, agency, upn, _) in &users {
            t.assign_app_role(WEB_CLIENT_ID, upn, &app_role(*role, *agency))
                .ok_or_else(|| DemoError::Failed(format!("assigning {upn} its app role")))?;
        }
    }

    let store = Store::open(&dir.join("server.db")).await?;
    for (id, agency, phase) in AGENCIES {
        let ws_dir = dir.join(id);
        let tenant = tenant_named(agency)?;
        let rehearsal = info
            .rehearsal(tenant)
            .ok_or_else(|| DemoError::Failed("the demo tenant has no app".into()))?;
        let values = ProfileValues {
            agency: agency.to_string(),
            domain: format!("{id}.gov.au"),
            prefix: id.to_uppercase(),
            tenant_id: Some(rehearsal.tenant_id),
            break_glass: rehearsal.break_glass,
            protective_markings: rehearsal.protective_markings,
            connection: rehearsal.connection,
            features: FEATURES.iter().map(|f| f.to_string()).collect(),
            capacity: Some(3),
        };
        write_profile(&ws_dir, &values, true)?;
        drive(&ws_dir, phase, &emulator, &tenant.id, progress.clone()).await?;
        let partners = match phase {
            Phase::Drifted => vec![PARTNER.to_string()],
            _ => vec![],
        };
        Registry::register(&store, id, &ws_dir, &partners).await?;
    }
    let registry = Registry::load(&store).await?;

    let listener = crate::bind(listen).await?;
    let addr = listener.local_addr().map_err(failed)?;
    let url = format!("http://{addr}");
    let rules = users
        .iter()
        .map(|(role, agency, _, _)| RoleRule {
            claim: "roles".into(),
            value: app_role(*role, *agency),
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
    // The database stays open: the jobs started from the web are kept in it.
    let state = AppState::new(registry, oidc, RoleMap { rules }, crate::Jobs::new(store));
    let server = crate::serve(listener, state)?;
    let ready = json!({
        "url": url,
        "users": users.iter().map(|(role, agency, upn, password)| json!({
            "role": role,
            "agency": agency,
            "username": upn,
            "password": password,
        })).collect::<Vec<_>>(),
    });
    Ok(Demo {
        server,
        url,
        ready,
        stopper: DemoStopper {
            emulator,
            scratch: dir,
        },
    })
}

/// Takes an agency's engagement to `phase` through the engine, as its people would: sprints
/// planned, sprints rehearsed ([`rehearsal::rehearse_sprint`]), a drifted object, a phase
/// decision.
async fn drive(
    dir: &Path,
    phase: Phase,
    emulator: &RunningEmulator,
    tenant_id: &str,
    progress: Arc<dyn Progress>,
) -> Result<(), EngineError> {
    let plan = engagement::plan_sprints(&Workspace::open(dir)?).await?.plan;
    let evidence = rehearsal::evidence(dir)?;
    let sprints: Vec<u32> = match phase {
        Phase::MidSprint => plan.sprints.iter().take(1).map(|s| s.number).collect(),
        _ => plan.sprints.iter().map(|s| s.number).collect(),
    };
    for sprint in sprints {
        rehearsal::rehearse_sprint(dir, sprint, &evidence, progress.clone()).await?;
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
            let session = Session::open(Workspace::open(dir)?, progress)?;
            let evaluated = session.evaluate().await;
            session.close().await;
            evaluated?;
        }
        Phase::Transitioned => {
            engagement::decide(
                &Workspace::open(dir)?,
                PhaseDecision::Transition,
                "every selected feature is verified or attested; business change planning starts",
                false,
            )
            .await?;
        }
    }
    Ok(())
}
