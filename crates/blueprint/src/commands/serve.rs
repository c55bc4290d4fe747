//! `blueprint serve`: the web app for agencies, their partners and the program office.

use std::path::{Path, PathBuf};

use blueprint_store::Store;
use blueprint_web::{AppState, Registry, ServeConfig};
use clap::Args;

use super::common::{engine_error, runtime};
use crate::progress::Terminal;
use crate::{CommandError, Outcome};
use blueprint_web::demo::DemoError;

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
            let demo = blueprint_web::demo::start(&args.listen, Terminal::bar_only())
                .await
                .map_err(|e| match e {
                    DemoError::Engine(e) => engine_error(e),
                    DemoError::Failed(e) => CommandError::Failed(e),
                    e => web_error(e),
                })?;
            Started {
                url: demo.url,
                ready: demo.ready,
                server: demo.server,
                demo: Some(demo.stopper),
            }
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
        if let Some(demo) = running.demo {
            demo.stop().await;
        }
        outcome
    })
}

/// A server started, and what its ready file says.
struct Started {
    url: String,
    server: blueprint_web::Running,
    ready: serde_json::Value,
    /// The demo's emulator and what it made: kept as long as the server, stopped with it.
    demo: Option<blueprint_web::demo::DemoStopper>,
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
    store.close().await;
    let listener = blueprint_web::bind(&args.listen).await.map_err(web_error)?;
    let roles = config.role_map();
    let server = blueprint_web::serve(listener, AppState::new(registry, config.sign_in, roles))
        .map_err(web_error)?;
    let url = format!("http://{}", server.addr);
    Ok(Started {
        ready: serde_json::json!({ "url": url }),
        url,
        server,
        demo: None,
    })
}
