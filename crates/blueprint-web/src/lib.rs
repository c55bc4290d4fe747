//! The web app (`blueprint serve`): the engagements of many agencies in one place, for the
//! agencies themselves, their technology partners and the program office. Server-rendered
//! pages that work without scripts, and a JSON API under `/api` with the same permissions.
//!
//! It is a front end like the command line: everything an engagement does goes through the
//! engine ([`blueprint_engine`]); this crate signs people in ([`auth`]), decides what each role
//! may see and do ([`access`]), and words the engine's outcomes as pages and JSON.

pub mod access;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod evidence;
pub mod extract;
pub mod headers;
pub mod job_pages;
pub mod jobs;
pub mod pages;
pub mod registry;
pub mod reports;
pub mod schedule;
pub mod view;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use access::Principal;
pub use auth::{OidcConfig, RoleMap, RoleRule, Sessions};
pub use config::ServeConfig;
pub use jobs::{JobKind, JobRequest, Jobs};
pub use registry::Registry;

/// Everything a request handler needs: the engagements, who is signed in, how to sign in.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub sessions: Arc<Sessions>,
    pub oidc: Arc<auth::Oidc>,
    /// Deploys and evaluations run in the background, in the server's database.
    pub jobs: Arc<Jobs>,
}

impl AppState {
    pub fn new(registry: Registry, oidc: OidcConfig, roles: RoleMap, jobs: Jobs) -> AppState {
        AppState {
            registry: Arc::new(registry),
            sessions: Arc::new(Sessions::default()),
            oidc: Arc::new(auth::Oidc::new(oidc, roles)),
            jobs: Arc::new(jobs),
        }
    }
}

/// The whole app as a router: served by [`serve`], and tested without a socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/static/app.css", get(pages::stylesheet))
        // Browsers ask for an icon whatever the page says; there is none (and no error).
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/signin", get(auth::sign_in))
        .route("/auth/callback", get(auth::callback))
        .route("/signout", post(auth::sign_out))
        .route("/engagements/{id}", get(pages::engagement))
        .route("/engagements/{id}/features/{feature}", get(pages::feature))
        .route(
            "/engagements/{id}/features/{feature}/attest",
            post(pages::attest),
        )
        .route("/engagements/{id}/next", post(pages::decide))
        .route("/engagements/{id}/jobs", post(job_pages::start))
        .route("/engagements/{id}/jobs/{job}", get(job_pages::job))
        .route("/static/job.js", get(job_pages::script))
        .route(
            "/engagements/{id}/evidence/{digest}",
            get(pages::evidence_file),
        )
        .route("/engagements/{id}/reports/{format}", get(reports::report))
        .route("/engagements/{id}/guides", get(reports::guides_index))
        .route("/engagements/{id}/guides/{file}", get(reports::guide))
        .route("/api/engagements", get(api::engagements))
        .route("/api/engagements/{id}", get(api::engagement))
        .route("/api/engagements/{id}/log", get(api::log))
        .route("/api/engagements/{id}/report", get(api::report))
        .route("/api/engagements/{id}/attestations", post(api::attest))
        .route("/api/engagements/{id}/decisions", post(api::decide))
        .route(
            "/api/engagements/{id}/jobs",
            get(api::jobs).post(api::start_job),
        )
        .route("/api/engagements/{id}/jobs/{job}", get(api::job))
        .route(
            "/api/engagements/{id}/jobs/{job}/events",
            get(api::job_events),
        )
        // The largest evidence, base64-encoded in an API call (4/3 of its size), and the rest
        // of the request.
        .layer(axum::extract::DefaultBodyLimit::max(
            evidence::MAX_UPLOAD / 3 * 4 + 64 * 1024,
        ))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Registry(#[from] registry::RegistryError),
    #[error("{0}")]
    Config(#[from] config::ConfigError),
}

/// A server listening: its address, the task serving it, and its job runner's.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub runner: tokio::task::JoinHandle<()>,
}

/// Listens on `addr` (port 0: any free port). Bind first, then build the state: the sign-in's
/// redirect address names the port.
pub async fn bind(addr: &str) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Serves the app on `listener`, and runs its jobs, until the tasks are dropped or the
/// process ends.
pub fn serve(listener: tokio::net::TcpListener, state: AppState) -> Result<Running, ServeError> {
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: "the listener".into(),
        source,
    })?;
    let runner = state.jobs.clone().spawn(state.registry.clone());
    let task = tokio::spawn(async move { axum::serve(listener, app(state)).await });
    Ok(Running { addr, task, runner })
}
