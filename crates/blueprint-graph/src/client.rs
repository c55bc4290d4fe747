//! The Graph client: one shared connection pool, token cache, retry discipline and
//! conditional-access gate per tenant connection.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap};
use reqwest::{Method, Url};
use serde_json::Value;
use tokio::time::Instant;

use crate::assertion::AssertionSigner;
use crate::config::ResolvedProxy;
use crate::error::{parse_graph_error, truncate};
use crate::retry::{RetryBudget, parse_retry_after, provisioning_waits, replication_waits};
use crate::token::{parse_token_response, refresh_after};
use crate::{Credential, GraphConfig, GraphError, RetryPolicy, SecretString};

/// Something worth telling a person while it happens (the CLI prints "throttled by Microsoft
/// Graph, waiting 2.1 s").
#[derive(Debug, Clone, PartialEq)]
pub enum GraphEvent {
    /// Graph answered 429; the call waits `wait` before attempt `attempt + 1`.
    Throttled {
        path: String,
        wait: Duration,
        attempt: u32,
    },
    /// A transient failure (5xx, dropped connection, refused token); the call waits `wait`.
    Retrying {
        path: String,
        reason: String,
        wait: Duration,
        attempt: u32,
    },
    /// A new access token, valid for `expires_in`.
    TokenAcquired { expires_in: Duration },
    /// Something that should exist is not visible yet (an object just created, or one a create
    /// with a lost answer may have made): Graph's replicas lag, so the call looks again after
    /// `wait`.
    AwaitingReplication {
        path: String,
        wait: Duration,
        attempt: u32,
    },
}

/// Receives [`GraphEvent`]s. Called inline: keep it quick.
pub type Observer = Arc<dyn Fn(GraphEvent) + Send + Sync>;

/// Counters since the client was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// HTTP requests sent to Graph (a `$batch` counts once).
    pub round_trips: u64,
    /// HTTP requests sent to the token endpoint.
    pub token_requests: u64,
    /// Attempts made after a failed one (batch items count one each).
    pub retries: u64,
    /// 429 answers received (batch items count one each).
    pub throttled: u64,
    /// Looks again at something Graph's replicas did not show yet (see
    /// [`GraphClient::get_known`] and [`GraphClient::until_replicated`]).
    pub replication_looks: u64,
    /// Time spent waiting between attempts and looks.
    pub waited: Duration,
}

#[derive(Default)]
struct Counters {
    round_trips: AtomicU64,
    token_requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    replication_looks: AtomicU64,
    waited_nanos: AtomicU64,
}

enum Auth {
    Secret(SecretString),
    Certificate(AssertionSigner),
    Bearer(SecretString),
}

struct CachedToken {
    value: SecretString,
    /// Ask for a new one from here on, ahead of expiry, so no request goes out with a token
    /// that lapses in flight.
    refresh_at: Instant,
}

/// Whether a request may be sent again when its outcome is unknown (the crate docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// GET, PATCH, DELETE, a `$batch` of reads, a POST action that sets state (`/assign`):
    /// repeating it leaves the tenant as one success would.
    Idempotent,
    /// POST that creates: repeating it after a lost answer may create a duplicate.
    Create,
}

/// Which of the two services a request goes to, for messages that say what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Authority,
    Graph,
}

impl Service {
    fn setting(self) -> &'static str {
        match self {
            Service::Authority => {
                "the authority URL (AZURE_AUTHORITY_HOST or [connection] authority)"
            }
            Service::Graph => "the Graph URL (BLUEPRINT_GRAPH_URL or [connection] graph)",
        }
    }
}

pub(crate) struct RequestSpec<'a> {
    pub method: Method,
    pub url: Url,
    /// What to call the request in errors and events (the path as the caller gave it).
    pub display: String,
    pub body: Option<&'a Value>,
    pub safety: Safety,
    /// Goes through the conditional-access gate.
    pub conditional_access: bool,
    /// Headers beyond the ones every request carries (the Exchange admin API's anchor).
    pub headers: &'a [(&'a str, String)],
    /// A redirect (3xx with `Location`) is the answer, not an error: the admin API's
    /// discovery of the Security & Compliance endpoint reads where it is sent, without
    /// following it (redirects are never followed).
    pub redirect_is_answer: bool,
}

/// A response with a success status (or a 404 to a DELETE that had already gone through).
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub client_request_id: String,
    /// The `Location` of a redirect the request accepted as its answer.
    pub location: Option<String>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    /// `{graph}/v1.0/`: paths without a version go here; `beta/…` paths go to `{graph}/beta/`.
    graph_root: Url,
    token_url: String,
    scope: String,
    tenant_id: String,
    client_id: String,
    auth: Auth,
    timeout: Duration,
    pub(crate) retry: RetryPolicy,
    conditional_access_interval: Duration,
    /// When the last conditional-access request finished; held while one is in flight.
    conditional_access_gate: tokio::sync::Mutex<Option<Instant>>,
    /// Held while a token is fetched, so concurrent calls wait for one request, not many.
    token: tokio::sync::Mutex<Option<CachedToken>>,
    counters: Counters,
    observer: Observer,
    proxy: Option<ResolvedProxy>,
    /// Whether an HTTP answer ever came from the token endpoint / from Graph. A host never
    /// reached that cannot be connected to is a wrong URL, DNS or proxy: said at once, not
    /// retried for minutes. Once reached, a failed connect is a blip and retried.
    reached_authority: AtomicBool,
    reached_graph: AtomicBool,
}

/// A Microsoft Graph client for one tenant and app. Cheap to clone; clones share the token,
/// the connection pool, the statistics and the conditional-access gate.
#[derive(Clone)]
pub struct GraphClient(pub(crate) Arc<Inner>);

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph", &self.0.graph_root.as_str())
            .field("token_url", &self.0.token_url)
            .field("tenant_id", &self.0.tenant_id)
            .field("client_id", &self.0.client_id)
            .field(
                "credential",
                &match self.0.auth {
                    Auth::Secret(_) => "secret ***",
                    Auth::Certificate(_) => "certificate ***",
                    Auth::Bearer(_) => "access token ***",
                },
            )
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Tells the observer, counts and sleeps before a retry the caller makes itself (the
    /// Exchange admin client's `$batch` items), so its retries show in [`GraphClient::stats`]
    /// like the client's own.
    pub async fn wait_before_retry(&self, event: GraphEvent, wait: Duration, retried: u64) {
        self.0.wait_before_retry(event, wait, retried).await
    }

    /// Checks the configuration and builds the client. Refuses plain `http://` except to a
    /// loopback host (an emulator on this machine): tokens and secrets must not travel in clear.
    pub fn new(config: GraphConfig, observer: Observer) -> Result<Self, GraphError> {
        config.check_complete()?;
        let authority = endpoint_url("authority", &config.authority)?;
        let graph = endpoint_url("graph", &config.graph)?;
        let tenant = config.tenant_id.trim();
        if !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(GraphError::Config(format!(
                "the tenant id {tenant:?} is neither a GUID nor a domain name"
            )));
        }
        let token_url = format!(
            "{}/{tenant}/oauth2/v2.0/token",
            authority.as_str().trim_end_matches('/')
        );
        let graph_root = Url::parse(&format!("{}/v1.0/", graph.as_str().trim_end_matches('/')))
            .map_err(|e| GraphError::Config(format!("the graph URL {graph}: {e}")))?;
        let auth = match &config.credential {
            Credential::Secret(secret) => Auth::Secret(secret.clone()),
            Credential::Certificate { pem } => {
                Auth::Certificate(AssertionSigner::from_pem(pem.expose())?)
            }
            Credential::Bearer(token) => Auth::Bearer(token.clone()),
        };

        let proxy = config.proxy.resolve(|name| std::env::var(name).ok());
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("blueprint/", env!("CARGO_PKG_VERSION")))
            // Graph does not redirect API calls; following one could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)));
        if let Some(pem) = &config.extra_ca_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                GraphError::Config(format!("the extra CA file is not PEM certificates: {e}"))
            })?;
            if roots.is_empty() {
                return Err(GraphError::Config(
                    "the extra CA file (BLUEPRINT_CA_FILE) holds no PEM CERTIFICATE".to_string(),
                ));
            }
            builder = builder.tls_certs_merge(roots);
        }
        builder = match &proxy {
            // Explicitly none: reqwest would otherwise read the environment on its own terms.
            None => builder.no_proxy(),
            Some(p) => {
                let through = reqwest::Proxy::all(p.url.as_str()).map_err(|e| {
                    GraphError::Config(format!(
                        "the proxy {} (from {}) is not a proxy URL such as http://proxy.example:3128: {}",
                        p.display(),
                        p.source,
                        error_chain(&e)
                    ))
                })?;
                // The emulator and anything else on this machine are reached directly.
                let except = format!("{},localhost,127.0.0.0/8,::1", p.no_proxy);
                builder.proxy(through.no_proxy(reqwest::NoProxy::from_string(&except)))
            }
        };
        let http = builder.build().map_err(|e| {
            GraphError::Config(format!("cannot build the HTTP client: {}", error_chain(&e)))
        })?;

        Ok(Self(Arc::new(Inner {
            http,
            scope: config.scope.clone().unwrap_or_else(|| scope_for(&graph)),
            graph_root,
            token_url,
            tenant_id: tenant.to_string(),
            client_id: config.client_id.trim().to_string(),
            auth,
            timeout: config.timeout,
            retry: config.retry,
            conditional_access_interval: config.conditional_access_interval,
            conditional_access_gate: tokio::sync::Mutex::new(None),
            token: tokio::sync::Mutex::new(None),
            counters: Counters::default(),
            observer,
            proxy,
            reached_authority: AtomicBool::new(false),
            reached_graph: AtomicBool::new(false),
        })))
    }

    /// A client whose events go nowhere.
    pub fn without_observer(config: GraphConfig) -> Result<Self, GraphError> {
        Self::new(config, Arc::new(|_| {}))
    }

    /// `GET {graph}/v1.0/{path}` (path may carry a query string).
    pub async fn get(&self, path: &str) -> Result<Value, GraphError> {
        let answer = self
            .0
            .send(self.0.spec(Method::GET, path, None, Safety::Idempotent)?)
            .await?;
        parse_body(&answer, "GET", path)
    }

    /// Every item of a collection, following `@odata.nextLink` verbatim until it is absent.
    pub async fn list(&self, path: &str) -> Result<Vec<Value>, GraphError> {
        let url = self.0.resolve(path)?;
        let mut items = Vec::new();
        self.0
            .collect_pages(url, path.to_string(), &mut items)
            .await?;
        Ok(items)
    }

    /// `POST` a create. Never re-sent once it may have reached Graph: a lost answer (timeout,
    /// dropped connection, 5xx) gives [`GraphError::OutcomeUnknown`], so the caller looks the
    /// object up. A 429 is a refusal and is retried.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, GraphError> {
        let answer = self
            .0
            .send(
                self.0
                    .spec(Method::POST, path, Some(body), Safety::Create)?,
            )
            .await?;
        parse_body(&answer, "POST", path).map_err(|e| GraphError::OutcomeUnknown {
            method: "POST".to_string(),
            path: path.to_string(),
            cause: format!("HTTP {} but the answer is unreadable: {e}", answer.status),
        })
    }

    /// `POST` an action that sets state, so that sending it twice leaves the tenant as sending
    /// it once does: `/assign` (which replaces a policy's whole assignment set) and the like.
    /// Retried like a PATCH after a lost answer (timeout, dropped connection, 5xx). Never use
    /// it for a create or for an action that adds or sends something each time. `None` for an
    /// empty answer (204).
    pub async fn post_action(&self, path: &str, body: &Value) -> Result<Option<Value>, GraphError> {
        let answer = self
            .0
            .send(
                self.0
                    .spec(Method::POST, path, Some(body), Safety::Idempotent)?,
            )
            .await?;
        if answer.status == 204 || answer.body.trim().is_empty() {
            return Ok(None);
        }
        parse_body(&answer, "POST", path).map(Some)
    }

    /// `POST` an action that is not safe to repeat blindly (Intune's `updateDefinitionValues`:
    /// its `added` values are refused the second time): sent again only when Graph cannot have
    /// acted (throttled, refused before it acted); a lost answer is
    /// [`GraphError::OutcomeUnknown`], for the caller to read the object and send what is left.
    /// `None` for an empty answer (204).
    pub async fn post_action_once(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Option<Value>, GraphError> {
        let answer = self
            .0
            .send(
                self.0
                    .spec(Method::POST, path, Some(body), Safety::Create)?,
            )
            .await?;
        if answer.status == 204 || answer.body.trim().is_empty() {
            return Ok(None);
        }
        parse_body(&answer, "POST", path).map(Some)
    }

    /// [`post_action_once`](Self::post_action_once) on an object this client just created: a
    /// 404 is Graph's replicas lagging behind the create (nothing was applied), so the action
    /// is sent again over [`RetryPolicy::replication_window`] before the 404 is believed.
    pub async fn post_action_once_known(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Option<Value>, GraphError> {
        self.until_found(path, || self.post_action_once(path, body))
            .await
    }

    /// `GET` an object that exists (this client just created it, or just read it elsewhere): a
    /// 404 is Graph's replicas lagging behind the write, so it is looked for again over
    /// [`RetryPolicy::replication_window`] before the 404 is believed.
    pub async fn get_known(&self, path: &str) -> Result<Value, GraphError> {
        self.until_found(path, || self.get(path)).await
    }

    /// [`list`](Self::list) of something under an object that exists (e.g. a policy's
    /// `assignments` right after the policy was created): a 404 is tried again as in
    /// [`get_known`](Self::get_known).
    pub async fn list_known(&self, path: &str) -> Result<Vec<Value>, GraphError> {
        self.until_found(path, || self.list(path)).await
    }

    // Closures returning futures rather than async closures: the futures of async closures
    // are not yet provably `Send` across the engine's spawned tasks.
    async fn until_found<T, F>(
        &self,
        path: &str,
        mut read: impl FnMut() -> F,
    ) -> Result<T, GraphError>
    where
        F: Future<Output = Result<T, GraphError>>,
    {
        let mut waits = replication_waits(self.0.retry.replication_window);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match read().await {
                Err(e) if e.is_not_found() => match waits.next() {
                    Some(wait) => self.0.await_replication(path, wait, attempt).await,
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    /// Looks for something a create may have made (its answer was lost) until `look` finds it
    /// or [`RetryPolicy::replication_window`] has passed: Graph's lists and filters show a new
    /// object only once its replica has it, so one empty look proves nothing. `None` means not
    /// found within the window; only then may the caller create it again.
    pub async fn until_replicated<T, E, F>(
        &self,
        what: &str,
        look: impl FnMut() -> F,
    ) -> Result<Option<T>, E>
    where
        F: Future<Output = Result<Option<T>, E>>,
    {
        let waits = replication_waits(self.0.retry.replication_window);
        self.look_until_found(what, waits, look).await
    }

    /// Looks for an object another service shows only once it has provisioned it (Exchange
    /// Online's face of a Microsoft 365 group Graph just made) until `look` finds it or
    /// [`RetryPolicy::provisioning_window`] has passed. `None`: not there within the window.
    pub async fn until_provisioned<T, E, F>(
        &self,
        what: &str,
        look: impl FnMut() -> F,
    ) -> Result<Option<T>, E>
    where
        F: Future<Output = Result<Option<T>, E>>,
    {
        let waits = provisioning_waits(self.0.retry.provisioning_window);
        self.look_until_found(what, waits, look).await
    }

    /// Looks, then waits each of `waits` and looks again, until `look` finds something.
    async fn look_until_found<T, E, F>(
        &self,
        what: &str,
        mut waits: impl Iterator<Item = Duration>,
        mut look: impl FnMut() -> F,
    ) -> Result<Option<T>, E>
    where
        F: Future<Output = Result<Option<T>, E>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(found) = look().await? {
                return Ok(Some(found));
            }
            match waits.next() {
                Some(wait) => self.0.await_replication(what, wait, attempt).await,
                None => return Ok(None),
            }
        }
    }

    /// The window [`until_provisioned`](Self::until_provisioned) waits over.
    pub fn provisioning_window(&self) -> Duration {
        self.0.retry.provisioning_window
    }

    /// `PATCH`: `None` for 204, `Some(body)` when the resource answers 200 with itself.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Option<Value>, GraphError> {
        self.replace_or_update(Method::PATCH, path, body).await
    }

    /// `PUT`, for the policies Graph updates only as a whole (the admin consent request
    /// policy, beta's device registration policy): `None` for 204, `Some(body)` for 200.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, GraphError> {
        self.replace_or_update(Method::PUT, path, body).await
    }

    async fn replace_or_update(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Option<Value>, GraphError> {
        let name = method.as_str().to_string();
        let answer = self
            .0
            .send(self.0.spec(method, path, Some(body), Safety::Idempotent)?)
            .await?;
        if answer.status == 204 || answer.body.trim().is_empty() {
            return Ok(None);
        }
        parse_body(&answer, &name, path).map(Some)
    }

    /// `DELETE`. A 404 is an error for the caller to judge, except right after an attempt whose
    /// answer was lost: then the object is gone because of this call.
    pub async fn delete(&self, path: &str) -> Result<(), GraphError> {
        self.0
            .send(
                self.0
                    .spec(Method::DELETE, path, None, Safety::Idempotent)?,
            )
            .await?;
        Ok(())
    }

    /// `POST` a JSON body to an absolute URL on the configured service's origin with extra
    /// headers, under the same token, retry and error discipline as every other call: for
    /// another Microsoft API that takes the same credentials (the Exchange admin API, whose
    /// client configures this one with its own base URL and scope). `create` marks a request
    /// that must not be re-sent after a lost answer ([`GraphError::OutcomeUnknown`]). `None`
    /// for an empty answer.
    pub async fn post_with_headers(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &Value,
        create: bool,
    ) -> Result<Option<Value>, GraphError> {
        let safety = if create {
            Safety::Create
        } else {
            Safety::Idempotent
        };
        let mut spec = self.0.spec(Method::POST, url, Some(body), safety)?;
        spec.headers = headers;
        let answer = self.0.send(spec).await?;
        if answer.status == 204 || answer.body.trim().is_empty() {
            return Ok(None);
        }
        parse_body(&answer, "POST", url).map(Some)
    }

    /// `GET` an absolute URL on the configured service's origin with extra headers and
    /// return where it redirects (its `Location`), without following it: the token goes to
    /// the configured host only. `None` when the service answers without redirecting. Same
    /// token, retry and error discipline as every other call.
    pub async fn redirect_location(
        &self,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Option<String>, GraphError> {
        let mut spec = self.0.spec(Method::GET, url, None, Safety::Idempotent)?;
        spec.headers = headers;
        spec.redirect_is_answer = true;
        Ok(self.0.send(spec).await?.location)
    }

    /// Counters since the client was made.
    pub fn stats(&self) -> GraphStats {
        let c = &self.0.counters;
        GraphStats {
            round_trips: c.round_trips.load(Ordering::Relaxed),
            token_requests: c.token_requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            replication_looks: c.replication_looks.load(Ordering::Relaxed),
            waited: Duration::from_nanos(c.waited_nanos.load(Ordering::Relaxed)),
        }
    }

    /// The `{graph}/v1.0/` root requests are sent under.
    pub fn graph_root(&self) -> &str {
        self.0.graph_root.as_str()
    }

    /// The claims of the access token the client sends (acquiring one if it holds none):
    /// `roles` (application permissions), `scp` (delegated), `wids` (directory roles), `tid`,
    /// `appid`, `exp`. Read without checking the signature: these are what the client itself
    /// was given, to say what it may do before it tries.
    pub async fn token_claims(&self) -> Result<serde_json::Value, GraphError> {
        let token = self.0.access_token().await?;
        decode_claims(token.expose()).ok_or_else(|| GraphError::Auth {
            status: 200,
            error: "invalid_token_response".to_string(),
            aadsts: None,
            description: "the access token is not a JWT whose claims can be read".to_string(),
        })
    }
}

impl Inner {
    pub(crate) fn spec<'a>(
        &self,
        method: Method,
        path: &str,
        body: Option<&'a Value>,
        safety: Safety,
    ) -> Result<RequestSpec<'a>, GraphError> {
        let url = self.resolve(path)?;
        Ok(RequestSpec {
            conditional_access: self.is_conditional_access(&url),
            method,
            url,
            display: path.to_string(),
            body,
            safety,
            headers: &[],
            redirect_is_answer: false,
        })
    }

    /// A path relative to `{graph}/v1.0/` (`beta/…` relative to `{graph}/beta/`: the version is
    /// part of the request path, and this is the one place that reads it), or an absolute URL
    /// (a nextLink) on Graph's origin.
    pub(crate) fn resolve(&self, path: &str) -> Result<Url, GraphError> {
        let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let url =
                Url::parse(path).map_err(|e| GraphError::Config(format!("bad URL {path}: {e}")))?;
            if url.origin() != self.graph_root.origin() {
                // The access token goes with every request: never to a host the config did not name.
                return Err(GraphError::Transport {
                    method: "GET".to_string(),
                    path: path.to_string(),
                    cause: format!(
                        "refusing to send the access token to {}, which is not the configured Graph ({})",
                        url.origin().ascii_serialization(),
                        self.graph_root.origin().ascii_serialization()
                    ),
                });
            }
            return Ok(url);
        }
        let relative = path.trim_start_matches('/');
        // "./" keeps a first segment with a colon from reading as a URL scheme.
        let joined = match version_of(relative) {
            Some(version) => self
                .graph_root
                .join(&format!("../{version}/{}", &relative[version.len() + 1..])),
            None => self.graph_root.join(&format!("./{relative}")),
        };
        joined.map_err(|e| GraphError::Config(format!("bad Graph path {path}: {e}")))
    }

    /// The path for display: under `v1.0/` without the version (`groups?$skiptoken=…`), under
    /// another version with it (`beta/policies/…`).
    pub(crate) fn display_path(&self, url: &Url) -> String {
        let root = self.graph_root.path();
        let base = root.trim_end_matches('/').trim_end_matches("v1.0");
        let path = url
            .path()
            .strip_prefix(root)
            .or_else(|| url.path().strip_prefix(base))
            .unwrap_or(url.path());
        match url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        }
    }

    /// Conditional access policies and named locations share one limit of a request per second
    /// per tenant, with no Retry-After on their 429s.
    pub(crate) fn is_conditional_access(&self, url: &Url) -> bool {
        is_conditional_access_path(&self.display_path(url))
    }

    /// Follows a collection from `url`, appending every `value` item to `items`.
    pub(crate) async fn collect_pages(
        &self,
        mut url: Url,
        mut display: String,
        items: &mut Vec<Value>,
    ) -> Result<(), GraphError> {
        // A server that links back to a page already read would page for ever.
        let mut read = HashSet::new();
        loop {
            read.insert(url.clone());
            let spec = RequestSpec {
                conditional_access: self.is_conditional_access(&url),
                method: Method::GET,
                url: url.clone(),
                display: display.clone(),
                body: None,
                safety: Safety::Idempotent,
                headers: &[],
                redirect_is_answer: false,
            };
            let answer = self.send(spec).await?;
            let page = parse_body(&answer, "GET", &display)?;
            let next = take_page(page, items).map_err(|cause| GraphError::Transport {
                method: "GET".to_string(),
                path: display.clone(),
                cause,
            })?;
            let Some(next) = next else { return Ok(()) };
            let next_url = self.resolve(&next)?;
            if read.contains(&next_url) {
                return Err(GraphError::Transport {
                    method: "GET".to_string(),
                    path: display,
                    cause: "@odata.nextLink points at a page already read; stopping rather than looping"
                        .to_string(),
                });
            }
            display = self.display_path(&next_url);
            url = next_url;
        }
    }

    /// Sends one logical request, retrying what is safe to retry.
    pub(crate) async fn send(&self, spec: RequestSpec<'_>) -> Result<Answer, GraphError> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let method_name = spec.method.as_str().to_string();
        let mut budget = RetryBudget::new(&self.retry);
        let mut token_refreshed = false;
        // An earlier attempt may have taken effect although its answer was lost.
        let mut maybe_applied = false;
        loop {
            let attempt = budget.start_attempt();
            let token = self.access_token().await?;
            let outcome = self.exchange(&spec, &token, &client_request_id).await;
            let (reason, retry_after, throttled) = match outcome {
                Ok(response) => {
                    self.reached_graph.store(true, Ordering::Relaxed);
                    let status = response.status;
                    if (200..300).contains(&status) {
                        return Ok(Answer {
                            status,
                            body: response.body,
                            client_request_id,
                            location: None,
                        });
                    }
                    let location = response
                        .headers
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    if spec.redirect_is_answer && (300..400).contains(&status) && location.is_some()
                    {
                        return Ok(Answer {
                            status,
                            body: response.body,
                            client_request_id,
                            location,
                        });
                    }
                    let error = parse_graph_error(&response.body);
                    let retry_after = retry_after_header(&response.headers);
                    let summary = error.summary(status);
                    if status == 401
                        && error.code == "InvalidAuthenticationToken"
                        && !token_refreshed
                    {
                        // Expired or revoked early: one fresh token, then the answer stands.
                        token_refreshed = true;
                        self.forget_token(&token).await;
                        (
                            "the access token was refused (InvalidAuthenticationToken); using a new one".to_string(),
                            Some(Duration::ZERO),
                            false,
                        )
                    } else if status == 429 {
                        (summary, retry_after, true)
                    } else if is_transient_status(status) {
                        if spec.safety == Safety::Create {
                            return Err(GraphError::OutcomeUnknown {
                                method: method_name,
                                path: spec.display,
                                cause: summary,
                            });
                        }
                        maybe_applied = true;
                        (summary, retry_after, false)
                    } else if status == 404 && spec.method == Method::DELETE && maybe_applied {
                        return Ok(Answer {
                            status,
                            body: String::new(),
                            client_request_id,
                            location: None,
                        });
                    } else {
                        return Err(GraphError::Api {
                            status,
                            code: error.code,
                            message: error.message,
                            request_id: response
                                .headers
                                .get("request-id")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string)
                                .or(error.request_id),
                            client_request_id,
                            method: method_name,
                            path: spec.display,
                        });
                    }
                }
                Err(error) => {
                    let failure = self.transport_failure(&error, &spec.url, Service::Graph);
                    if failure.fatal {
                        return Err(GraphError::Transport {
                            method: method_name,
                            path: spec.display,
                            cause: failure.cause,
                        });
                    }
                    if failure.may_have_reached_graph {
                        if spec.safety == Safety::Create {
                            return Err(GraphError::OutcomeUnknown {
                                method: method_name,
                                path: spec.display,
                                cause: failure.cause,
                            });
                        }
                        maybe_applied = true;
                    }
                    (failure.cause, None, false)
                }
            };
            if throttled {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
            match budget.next_wait(retry_after) {
                Ok(wait) => {
                    let event = if throttled {
                        GraphEvent::Throttled {
                            path: spec.display.clone(),
                            wait,
                            attempt,
                        }
                    } else {
                        GraphEvent::Retrying {
                            path: spec.display.clone(),
                            reason: reason.clone(),
                            wait,
                            attempt,
                        }
                    };
                    tracing::debug!(method = %method_name, path = %spec.display, %reason, wait_ms = wait.as_millis() as u64, attempt, "retrying Graph request");
                    self.wait_before_retry(event, wait, 1).await;
                }
                Err(give_up) => {
                    return Err(GraphError::RetriesExhausted {
                        method: method_name,
                        path: spec.display,
                        attempts: budget.attempts,
                        last: format!("{reason}; {}", give_up.describe(&self.retry)),
                    });
                }
            }
        }
    }

    /// Tells the observer, counts, and sleeps.
    pub(crate) async fn wait_before_retry(&self, event: GraphEvent, wait: Duration, retried: u64) {
        (self.observer)(event);
        self.counters.retries.fetch_add(retried, Ordering::Relaxed);
        self.counters.waited_nanos.fetch_add(
            u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        tokio::time::sleep(wait).await;
    }

    /// Tells the observer, counts, and sleeps before looking again for something not replicated
    /// yet.
    async fn await_replication(&self, path: &str, wait: Duration, attempt: u32) {
        tracing::debug!(
            path,
            wait_ms = wait.as_millis() as u64,
            attempt,
            "not visible yet; Graph's replicas may lag"
        );
        (self.observer)(GraphEvent::AwaitingReplication {
            path: path.to_string(),
            wait,
            attempt,
        });
        self.counters
            .replication_looks
            .fetch_add(1, Ordering::Relaxed);
        self.counters.waited_nanos.fetch_add(
            u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        tokio::time::sleep(wait).await;
    }

    pub(crate) fn count_throttled(&self, n: u64) {
        self.counters.throttled.fetch_add(n, Ordering::Relaxed);
    }

    /// One HTTP exchange with Graph, through the conditional-access gate when needed.
    async fn exchange(
        &self,
        spec: &RequestSpec<'_>,
        token: &SecretString,
        client_request_id: &str,
    ) -> Result<RawResponse, ExchangeError> {
        let mut gate = if spec.conditional_access {
            let gate = self.conditional_access_gate.lock().await;
            if let Some(due) =
                gate.and_then(|last| last.checked_add(self.conditional_access_interval))
            {
                tokio::time::sleep_until(due).await;
            }
            Some(gate)
        } else {
            None
        };
        let mut request = self
            .http
            .request(spec.method.clone(), spec.url.clone())
            .bearer_auth(token.expose())
            .header("client-request-id", client_request_id)
            .header(ACCEPT, "application/json")
            .timeout(self.timeout);
        for (name, value) in spec.headers {
            request = request.header(*name, value);
        }
        for (name, value) in path_headers(&self.display_path(&spec.url)) {
            request = request.header(*name, *value);
        }
        if let Some(body) = spec.body {
            request = request.json(body);
        }
        self.counters.round_trips.fetch_add(1, Ordering::Relaxed);
        let result = read_response(request.send().await).await;
        // Spacing counts from the answer, so the next request cannot overtake this one on the
        // way to Graph, whatever the latency.
        if let Some(gate) = gate.as_mut() {
            **gate = Some(Instant::now());
        }
        result
    }

    /// A valid access token: the cached one, or a new one when it is due for refresh.
    pub(crate) async fn access_token(&self) -> Result<SecretString, GraphError> {
        if let Auth::Bearer(token) = &self.auth {
            return Ok(token.clone());
        }
        let mut cache = self.token.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.value.clone());
        }
        let fresh = self.request_token().await?;
        let value = fresh.value.clone();
        *cache = Some(fresh);
        Ok(value)
    }

    /// Drops `rejected` from the cache, unless another call has already replaced it.
    async fn forget_token(&self, rejected: &SecretString) {
        let mut cache = self.token.lock().await;
        if cache.as_ref().is_some_and(|c| &c.value == rejected) {
            *cache = None;
        }
    }

    /// The client credentials grant, retried on 429, 5xx and connection failures (asking for a
    /// token twice is harmless).
    async fn request_token(&self) -> Result<CachedToken, GraphError> {
        let mut budget = RetryBudget::new(&self.retry);
        loop {
            let attempt = budget.start_attempt();
            let mut form: Vec<(&str, String)> = vec![
                ("grant_type", "client_credentials".to_string()),
                ("client_id", self.client_id.clone()),
                ("scope", self.scope.clone()),
            ];
            match &self.auth {
                Auth::Secret(secret) => form.push(("client_secret", secret.expose().to_string())),
                Auth::Bearer(_) => {
                    return Err(GraphError::Auth {
                        status: 401,
                        error: "invalid_grant".to_string(),
                        aadsts: None,
                        description: "the signed-in session's access token was refused or has expired; sign in again".to_string(),
                    });
                }
                Auth::Certificate(signer) => {
                    let now = time::OffsetDateTime::now_utc().unix_timestamp();
                    form.push((
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
                    ));
                    form.push((
                        "client_assertion",
                        signer.sign(&self.token_url, &self.client_id, now)?,
                    ));
                }
            }
            let request = self
                .http
                .post(&self.token_url)
                .header(ACCEPT, "application/json")
                .header("client-request-id", uuid::Uuid::new_v4().to_string())
                .form(&form)
                .timeout(self.timeout);
            self.counters.token_requests.fetch_add(1, Ordering::Relaxed);
            let outcome = read_response(request.send().await).await;
            if outcome.is_ok() {
                self.reached_authority.store(true, Ordering::Relaxed);
            }
            let (reason, retry_after) = match outcome {
                Ok(response) if response.status == 200 => return self.accept_token(&response.body),
                Ok(response) if response.status == 429 || is_transient_status(response.status) => (
                    format!("token endpoint answered HTTP {}", response.status),
                    retry_after_header(&response.headers),
                ),
                Ok(response) => {
                    return Err(crate::error::parse_token_error(
                        response.status,
                        &response.body,
                        &self.secrets(),
                    ));
                }
                Err(error) => {
                    let url =
                        Url::parse(&self.token_url).unwrap_or_else(|_| self.graph_root.clone());
                    let failure = self.transport_failure(&error, &url, Service::Authority);
                    if failure.fatal {
                        return Err(GraphError::Transport {
                            method: "POST".to_string(),
                            path: self.token_url.clone(),
                            cause: failure.cause,
                        });
                    }
                    (failure.cause, None)
                }
            };
            match budget.next_wait(retry_after) {
                Ok(wait) => {
                    let event = GraphEvent::Retrying {
                        path: self.token_url.clone(),
                        reason: reason.clone(),
                        wait,
                        attempt,
                    };
                    self.wait_before_retry(event, wait, 1).await;
                }
                Err(give_up) => {
                    return Err(GraphError::RetriesExhausted {
                        method: "POST".to_string(),
                        path: self.token_url.clone(),
                        attempts: budget.attempts,
                        last: format!("{reason}; {}", give_up.describe(&self.retry)),
                    });
                }
            }
        }
    }

    fn accept_token(&self, body: &str) -> Result<CachedToken, GraphError> {
        let issued = parse_token_response(body)?;
        (self.observer)(GraphEvent::TokenAcquired {
            expires_in: issued.lifetime,
        });
        tracing::debug!(
            expires_in_s = issued.lifetime.as_secs_f64(),
            "acquired a Graph access token"
        );
        let now = Instant::now();
        Ok(CachedToken {
            value: issued.access_token,
            refresh_at: now
                .checked_add(refresh_after(issued.lifetime))
                .unwrap_or(now),
        })
    }

    /// Values that must never appear in what the client reports.
    fn secrets(&self) -> Vec<&str> {
        match &self.auth {
            Auth::Secret(secret) | Auth::Bearer(secret) => vec![secret.expose()],
            Auth::Certificate(_) => Vec::new(),
        }
    }
}

struct RawResponse {
    status: u16,
    headers: HeaderMap,
    body: String,
}

/// Why an exchange produced no HTTP answer.
struct ExchangeError {
    error: reqwest::Error,
    /// The status line had arrived when the body broke off.
    status: Option<u16>,
}

/// What an exchange that produced no HTTP answer means for the call.
struct TransportFailure {
    cause: String,
    /// The request may have been received (and acted on) even though no answer came back.
    may_have_reached_graph: bool,
    /// Retrying cannot help (e.g. the server's certificate is not trusted).
    fatal: bool,
}

async fn read_response(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<RawResponse, ExchangeError> {
    let response = sent.map_err(|error| ExchangeError {
        error,
        status: None,
    })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|error| ExchangeError {
        error,
        status: Some(status),
    })?;
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// The `Retry-After` header, clamped (see [`parse_retry_after`]).
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// The first `io::Error` kind in the chain, looking inside io errors that wrap others.
fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref()
                && let Some(kind) = io_kind(inner)
            {
                return Some(kind);
            }
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

impl Inner {
    /// Classifies an exchange that got no HTTP answer. A connection that could not be made to
    /// a host never reached (a DNS failure, nothing listening, no route, a proxy that refuses)
    /// is not a transient HTTP error: it is said at once, naming what to check. Once the host
    /// has answered, the same failure is a blip and retried. An untrusted certificate is never
    /// retried.
    fn transport_failure(
        &self,
        failure: &ExchangeError,
        url: &Url,
        service: Service,
    ) -> TransportFailure {
        let error = &failure.error;
        let chain = error_chain(error);
        if let Some(status) = failure.status {
            // The status line arrived: the request certainly reached the service.
            return TransportFailure {
                cause: format!("HTTP {status}, then the answer broke off: {chain}"),
                may_have_reached_graph: true,
                fatal: false,
            };
        }
        if is_certificate_error(error) {
            return TransportFailure {
                cause: format!(
                    "TLS failed: {chain} (if this is an emulator or a TLS-inspecting proxy, set BLUEPRINT_CA_FILE to its CA)"
                ),
                may_have_reached_graph: false,
                fatal: true,
            };
        }
        let reached = match service {
            Service::Authority => &self.reached_authority,
            Service::Graph => &self.reached_graph,
        }
        .load(Ordering::Relaxed);
        if error.is_connect() && !reached {
            return TransportFailure {
                cause: format!(
                    "{}; gave up after 1 attempt: a host this client has not reached yet is not retried",
                    self.connect_failure(error, url, service)
                ),
                may_have_reached_graph: false,
                fatal: true,
            };
        }
        let cause = if error.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs_f64())
        } else {
            chain
        };
        TransportFailure {
            cause,
            // A failed connect means nothing was sent; anything later may have been.
            may_have_reached_graph: !error.is_connect() || error.is_timeout(),
            fatal: false,
        }
    }

    /// What went wrong connecting, and what to check.
    fn connect_failure(&self, error: &reqwest::Error, url: &Url, service: Service) -> String {
        let chain = error_chain(error);
        let host = url.host_str().unwrap_or("?");
        let address = match url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let proxied = self.proxy.as_ref().filter(|_| !is_loopback(url));
        if let Some(proxy) = proxied {
            return format!(
                "cannot reach {address} ({chain}); requests go through the proxy {} (from {}) unless NO_PROXY lists the host: check both",
                proxy.display(),
                proxy.source
            );
        }
        let proxy_hint = "; behind a proxy, set HTTPS_PROXY";
        if chain.contains("dns error") {
            format!(
                "cannot resolve the host name {host} (DNS: {chain}); check {} and this machine's DNS{proxy_hint}",
                service.setting()
            )
        } else if io_kind(error) == Some(std::io::ErrorKind::ConnectionRefused) {
            format!(
                "connection refused by {address}: nothing is listening there; check {}",
                service.setting()
            )
        } else if error.is_timeout() {
            format!(
                "cannot connect to {address}: no answer within {} s; check {} and the network{proxy_hint}",
                self.timeout.as_secs_f64().min(10.0),
                service.setting()
            )
        } else {
            format!(
                "cannot connect to {address} ({chain}); check {} and the network{proxy_hint}",
                service.setting()
            )
        }
    }
}

/// The error and its sources, "a: b: c", skipping repeats.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// A rustls certificate failure anywhere in the chain. io::Error hides the error it wraps from
/// `source()` (and hyper nests one io::Error in another), so look inside those too.
fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if is_certificate_error_here(e) {
            return true;
        }
        current = e.source();
    }
    false
}

fn is_certificate_error_here(error: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        );
    }
    match error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        Some(inner) => is_certificate_error_here(inner),
        None => false,
    }
}

/// The JSON payload of a JWT (its middle part), unverified.
pub(crate) fn decode_claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Worth another attempt when the request is safe to repeat.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504 | 507 | 509)
}

pub(crate) fn is_conditional_access_path(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let path = version_of(path).map_or(path, |v| &path[v.len() + 1..]);
    path.to_ascii_lowercase()
        .starts_with("identity/conditionalaccess/")
}

/// Headers Graph requires on a path beyond the ones every request carries. Company branding
/// (`organization/{id}/branding`) is answered and written for the locale `Accept-Language`
/// names, and the header is required: `0` is the default branding, the one the blueprint
/// reads and sets (organizationalbranding-get, organizationalbranding-update). Its
/// localizations (`…/branding/localizations/{locale}`) name their locale in the path.
pub(crate) fn path_headers(path: &str) -> &'static [(&'static str, &'static str)] {
    let path = path.trim_start_matches('/');
    let path = version_of(path).map_or(path, |v| path[v.len()..].trim_start_matches('/'));
    let path = path.split('?').next().unwrap_or(path);
    match path.split('/').collect::<Vec<_>>().as_slice() {
        [organization, _, branding]
            if organization.eq_ignore_ascii_case("organization")
                && branding.eq_ignore_ascii_case("branding") =>
        {
            &[("Accept-Language", "0")]
        }
        _ => &[],
    }
}

/// The Graph version a relative path names, other than the default v1.0: `beta/…` is beta.
pub(crate) fn version_of(relative: &str) -> Option<&'static str> {
    relative
        .strip_prefix("beta/")
        .map(|_| "beta")
        .or_else(|| (relative == "beta").then_some("beta"))
}

/// Moves a page's `value` items into `items`; returns its `@odata.nextLink`.
pub(crate) fn take_page(page: Value, items: &mut Vec<Value>) -> Result<Option<String>, String> {
    let Value::Object(mut page) = page else {
        return Err("the answer is not a JSON object".to_string());
    };
    match page.remove("value") {
        Some(Value::Array(values)) => items.extend(values),
        _ => return Err("the answer is not a collection (no `value` array)".to_string()),
    }
    Ok(match page.remove("@odata.nextLink") {
        Some(Value::String(next)) if !next.is_empty() => Some(next),
        _ => None,
    })
}

fn parse_body(answer: &Answer, method: &str, path: &str) -> Result<Value, GraphError> {
    if answer.body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&answer.body).map_err(|e| GraphError::Transport {
        method: method.to_string(),
        path: path.to_string(),
        cause: format!(
            "HTTP {} with a body that is not JSON ({e}): {}",
            answer.status,
            truncate(&answer.body, 200)
        ),
    })
}

/// An endpoint URL the client may send credentials to.
fn endpoint_url(name: &str, value: &str) -> Result<Url, GraphError> {
    let url = Url::parse(value.trim())
        .map_err(|e| GraphError::Config(format!("the {name} URL {value:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(GraphError::Config(format!(
            "refusing the {name} URL {value}: plain http would send credentials and tokens unencrypted; \
             use https (http is allowed only to a loopback address such as 127.0.0.1 or localhost)"
        ))),
        other => Err(GraphError::Config(format!(
            "the {name} URL {value} has scheme {other:?}; use https"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed: "[::1]".
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The `.default` scope of the Graph the client talks to: national clouds have their own Graph
/// hosts; a loopback stand-in speaks for the public one.
fn scope_for(graph: &Url) -> String {
    if is_loopback(graph) {
        return "https://graph.microsoft.com/.default".to_string();
    }
    format!("{}/.default", graph.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(authority: &str, graph: &str) -> GraphConfig {
        GraphConfig {
            authority: authority.to_string(),
            graph: graph.to_string(),
            tenant_id: "contoso.onmicrosoft.com".to_string(),
            client_id: "00000000-0000-0000-0000-000000000001".to_string(),
            credential: Credential::Secret(SecretString::new("the-client-secret")),
            ..GraphConfig::default()
        }
    }

    #[test]
    fn the_default_company_branding_is_asked_for_by_its_locale() {
        let default = [("Accept-Language", "0")];
        for path in [
            "organization/abc/branding",
            "/organization/abc/branding?$select=signInPageText",
            "beta/Organization/abc/Branding",
        ] {
            assert_eq!(path_headers(path), default, "{path}");
        }
        for path in [
            "organization",
            "organization/abc",
            "organization/abc/branding/localizations/fr-FR",
            "policies/branding",
        ] {
            assert!(path_headers(path).is_empty(), "{path}");
        }
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        for (authority, graph) in [
            ("http://login.example.com", "https://graph.microsoft.com"),
            (
                "https://login.microsoftonline.com",
                "http://graph.example.com",
            ),
            ("https://login.microsoftonline.com", "http://10.0.0.1:8080"),
        ] {
            let err = GraphClient::without_observer(config(authority, graph)).unwrap_err();
            assert!(matches!(err, GraphError::Config(_)), "{err}");
            assert!(err.to_string().contains("https"), "{err}");
        }
        for host in [
            "http://127.0.0.1:9",
            "http://127.8.9.10:9",
            "http://[::1]:9",
            "http://LOCALHOST:9",
        ] {
            GraphClient::without_observer(config(host, host))
                .unwrap_or_else(|e| panic!("{host}: {e}"));
        }
    }

    #[test]
    fn paths_resolve_under_v1_and_foreign_next_links_are_refused() {
        let client = GraphClient::without_observer(config(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com/",
        ))
        .unwrap();
        let inner = &client.0;
        assert_eq!(
            inner.resolve("groups/abc").unwrap().as_str(),
            "https://graph.microsoft.com/v1.0/groups/abc"
        );
        assert_eq!(
            inner
                .resolve("/policies/authorizationPolicy")
                .unwrap()
                .as_str(),
            "https://graph.microsoft.com/v1.0/policies/authorizationPolicy"
        );
        let with_query = inner
            .resolve("groups?$filter=displayName eq 'x'&$top=5")
            .unwrap();
        assert_eq!(
            inner.display_path(&with_query),
            "groups?$filter=displayName%20eq%20%27x%27&$top=5"
        );
        assert!(
            inner
                .resolve("https://graph.microsoft.com/v1.0/groups?$skiptoken=x")
                .is_ok()
        );
        assert!(inner.resolve("https://evil.example/v1.0/groups").is_err());
        assert!(
            inner.is_conditional_access(
                &inner
                    .resolve("identity/conditionalAccess/policies")
                    .unwrap()
            )
        );
        assert!(
            inner.is_conditional_access(
                &inner
                    .resolve("/identity/conditionalAccess/namedLocations/x")
                    .unwrap()
            )
        );
        assert!(!inner.is_conditional_access(&inner.resolve("groups").unwrap()));
    }

    #[test]
    fn beta_paths_resolve_under_beta_and_display_with_their_version() {
        let client = GraphClient::without_observer(config(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ))
        .unwrap();
        let inner = &client.0;
        let url = inner
            .resolve("/beta/policies/deviceRegistrationPolicy")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://graph.microsoft.com/beta/policies/deviceRegistrationPolicy"
        );
        assert_eq!(
            inner.display_path(&url),
            "beta/policies/deviceRegistrationPolicy"
        );
        let v1 = inner.resolve("policies/authorizationPolicy").unwrap();
        assert_eq!(inner.display_path(&v1), "policies/authorizationPolicy");
        assert!(is_conditional_access_path(
            "beta/identity/conditionalAccess/policies"
        ));
        assert!(
            inner
                .resolve("betamax/x")
                .unwrap()
                .as_str()
                .ends_with("/v1.0/betamax/x")
        );
    }

    #[test]
    fn scope_follows_the_graph_host() {
        assert_eq!(
            scope_for(&Url::parse("https://graph.microsoft.com").unwrap()),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            scope_for(&Url::parse("https://graph.microsoft.us/").unwrap()),
            "https://graph.microsoft.us/.default"
        );
        assert_eq!(
            scope_for(&Url::parse("http://127.0.0.1:4000").unwrap()),
            "https://graph.microsoft.com/.default"
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let client = GraphClient::without_observer(config(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ))
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("the-client-secret"), "{text}");
        assert!(text.contains("contoso.onmicrosoft.com"));
    }

    #[test]
    fn pages_give_items_and_next_link() {
        let mut items = Vec::new();
        let next = take_page(
            serde_json::json!({"value":[1,2],"@odata.nextLink":"https://g/v1.0/x?s=1"}),
            &mut items,
        )
        .unwrap();
        assert_eq!(next.as_deref(), Some("https://g/v1.0/x?s=1"));
        assert_eq!(
            take_page(serde_json::json!({"value":[]}), &mut items).unwrap(),
            None
        );
        assert_eq!(items.len(), 2);
        assert!(take_page(serde_json::json!({"id":"x"}), &mut items).is_err());
    }
}
