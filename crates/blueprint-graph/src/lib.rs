//! Microsoft Graph and Entra ID client for blueprint.
//!
//! Client credentials (secret or certificate assertion), token reuse and refresh, retries that
//! honour `Retry-After` and never blindly repeat a create, the one-request-per-second spacing of
//! conditional access, paging, and JSON batching. Written from Microsoft's documentation:
//! certificate credentials, the client credentials flow, Graph throttling guidance, JSON
//! batching, paging and error responses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), blueprint_graph::GraphError> {
//! use blueprint_graph::{GraphClient, GraphConfig};
//! let config = GraphConfig::from_env(GraphConfig::default())?;
//! let client = GraphClient::new(config, std::sync::Arc::new(|event| eprintln!("{event:?}")))?;
//! let groups = client.list("groups?$select=id,displayName").await?;
//! # let _ = groups; Ok(()) }
//! ```

// GraphError's variants carry the fields the engine reports (status, code, ids, method, path);
// boxing them would change the agreed shape, and an error costs nothing next to a network call.
#![allow(clippy::result_large_err)]

mod assertion;
mod batch;
mod client;
mod config;
mod error;
mod retry;
mod secret;
pub mod signin;

pub use batch::MAX_BATCH;
pub use client::{GraphClient, GraphEvent, GraphStats, Observer};
pub use config::{
    Credential, DEFAULT_AUTHORITY, DEFAULT_GRAPH, GraphConfig, RetryPolicy, env, read_certificate,
};
pub use error::GraphError;
pub use secret::SecretString;
