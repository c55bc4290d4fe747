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
//!
//! # Retry discipline
//!
//! Every request belongs to a safety class, and the class alone decides what happens when it
//! fails. "Lost answer" means a 5xx (500, 502, 503, 504, 507, 509), a timeout, or a connection
//! that broke after the request went out: the request may or may not have taken effect.
//!
//! | Class | Calls | 429 | Lost answer | Other 4xx |
//! | --- | --- | --- | --- | --- |
//! | Read | [`get`](GraphClient::get), [`list`](GraphClient::list) (each page), [`get_many`](GraphClient::get_many) (`$batch` of reads, failed items only) | wait `Retry-After` (or backoff), retry | retry with backoff | error |
//! | Idempotent write | [`patch`](GraphClient::patch), [`delete`](GraphClient::delete) | retry | retry; a DELETE answered 404 after a lost answer has succeeded | error |
//! | Idempotent action | [`post_action`](GraphClient::post_action): a POST that sets state, e.g. `/assign` (replaces the whole assignment set) | retry | retry | error |
//! | Create | [`post`](GraphClient::post) | retry (a 429 was not processed) | never resent: [`GraphError::OutcomeUnknown`]; the caller looks the object up with [`until_replicated`](GraphClient::until_replicated) before any new POST | error |
//! | Read of a known object | [`get_known`](GraphClient::get_known), [`list_known`](GraphClient::list_known) (an object just created) | as Read | as Read | a 404 is replication lag: looked for again over [`RetryPolicy::replication_window`], then believed |
//! | Token request | client credentials grant | retry | retry (asking twice is harmless) | error ([`GraphError::Auth`]) |
//!
//! Across every class:
//! - An expired or revoked token (401 `InvalidAuthenticationToken`) is replaced once and the
//!   request sent again; a second refusal stands.
//! - Waits come from `Retry-After` (delay-seconds, fractional as Graph sends them, or an
//!   HTTP-date), clamped to one hour, else exponential backoff with full jitter; every call has
//!   an attempt limit and a total wait budget ([`RetryPolicy`]). A token's `expires_in` is
//!   clamped to a day. No value in any header or body can make the client panic (property
//!   tests feed every parser arbitrary input).
//! - A connection that cannot be made (DNS failure, refused, no route, a refusing proxy) to a
//!   host this client has not reached yet fails at once with what to check: it is a wrong URL,
//!   DNS or proxy, not a blip. Once the host has answered, the same failure is retried like a
//!   lost answer (nothing was sent, so even a create may be retried). An untrusted TLS
//!   certificate is never retried.
//! - The proxy is explicit ([`ProxyConfig`]): by default `HTTPS_PROXY` (else `ALL_PROXY`) and
//!   `NO_PROXY` from the environment, as a CONNECT tunnel; loopback is never proxied.

// GraphError's variants carry the fields the engine reports (status, code, ids, method, path);
// boxing them would change the agreed shape, and an error costs nothing next to a network call.
#![allow(clippy::result_large_err)]

mod assertion;
mod batch;
mod client;
mod config;
mod error;
#[cfg(test)]
mod hostile;
mod retry;
mod secret;
pub mod signin;
mod tenant;
mod token;

pub use batch::MAX_BATCH;
pub use client::{GraphClient, GraphEvent, GraphStats, Observer};
pub use config::{
    Credential, DEFAULT_AUTHORITY, DEFAULT_GRAPH, GraphConfig, ProxyConfig, ProxyRoute,
    RetryPolicy, env, read_certificate,
};
pub use error::{GraphError, Refusal, api_error};
pub use retry::parse_retry_after;
pub use secret::SecretString;
