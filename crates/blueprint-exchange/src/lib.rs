//! The Exchange Online admin API client: Exchange, Defender for Office 365 and Security &
//! Compliance (Purview) cmdlets over REST, the way Microsoft's ExchangeOnlineManagement module
//! (v3) calls them, without PowerShell.
//!
//! `POST {endpoint}/adminapi/beta/{tenant}/InvokeCommand` with
//! `{"CmdletInput":{"CmdletName":"Set-RemoteDomain","Parameters":{…}}}`; rows come back in
//! `value`, further pages by re-POSTing the same body to `@odata.nextLink`; reads go several at
//! a time through `/adminapi/beta/{tenant}/$batch`. Microsoft does not document the endpoint
//! (`real-tenant-and-exchange.md` §2a): this crate is the one place that knows its shape.
//!
//! One client speaks to either [`AdminEndpoint`]: Exchange Online
//! (`https://outlook.office365.com`, tokens for that audience) or Security & Compliance
//! (`Connect-IPPSSession`'s endpoint: tokens for `https://ps.compliance.protection.outlook.com`,
//! and the tenant's regional host found first: `GET …/adminapi/beta/{tenant}/EXOBanner('AutogenSession')`
//! redirects, and the client reads the `Location` without following it, then talks to
//! `{region}.ps.compliance.protection.outlook.com`, as CIPP's `New-ExoRequest -Compliance`
//! does, `real-tenant-and-exchange.md` §2c). Everything after the discovery is the same.
//!
//! Tokens, retries (429 and 503 honouring `Retry-After`, clamped), the rule that a create is
//! never blindly re-sent, and error reading all come from [`blueprint_graph::GraphClient`],
//! configured with the endpoint's base URL and `{audience}/.default` scope: the same
//! credentials, another audience. Errors keep Exchange's own message
//! (`innererror.internalexception.message`, then `details`), never its constant
//! "Invalid Operation".
//!
//! On top of the cmdlets, [`ExchangeClient`] offers the object operations the engine needs for
//! a cmdlet family (`RemoteDomain`: `Get-`, `New-`, `Set-`, `Remove-RemoteDomain`): list, get,
//! create, update, remove, each object carrying an `id` (its `Identity`).

// GraphError is the error of the client underneath (see blueprint-graph).
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use blueprint_graph::{GraphClient, GraphConfig, GraphError, GraphStats, Observer};
use serde_json::{Map, Value, json};

/// Exchange Online's resource: the audience of the tokens the admin API accepts.
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";
/// Where the admin API lives in Microsoft's commercial cloud.
pub const DEFAULT_EXCHANGE: &str = "https://outlook.office365.com";
/// Security & Compliance's resource: the audience of the tokens its admin API accepts
/// (CIPP's `New-ExoRequest -Compliance`; the module's `Connect-IPPSSession`).
pub const COMPLIANCE_RESOURCE: &str = "https://ps.compliance.protection.outlook.com";
/// Where Security & Compliance's discovery is asked in Microsoft's commercial cloud.
pub const DEFAULT_COMPLIANCE: &str = "https://ps.compliance.protection.outlook.com";
/// The module version the discovery names (`?Version=`), as the module and CIPP send it.
pub const MODULE_VERSION: &str = "3.7.1";
/// The arbitration mailbox Exchange routes app-only admin calls by (`X-AnchorMailbox`);
/// without an anchor the service answers spurious 404s. CIPP and Monkey365 anchor on it.
pub const ANCHOR_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
/// Requests per admin API `$batch` (CIPP's bulk requests send at most 10).
pub const MAX_EXCHANGE_BATCH: usize = 10;
/// The longest wait a throttled batch item's `Retry-After` is believed for.
const MAX_ITEM_WAIT: Duration = Duration::from_secs(120);

/// Which admin endpoint a client speaks to: the same API, another audience and host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminEndpoint {
    /// Exchange Online (`Connect-ExchangeOnline`): Exchange and Defender for Office 365.
    Exchange,
    /// Security & Compliance (`Connect-IPPSSession`): Microsoft Purview's cmdlets.
    Compliance,
}

impl AdminEndpoint {
    /// The resource whose tokens the endpoint accepts (the scope is `{resource}/.default`).
    pub fn resource(self) -> &'static str {
        match self {
            AdminEndpoint::Exchange => EXCHANGE_RESOURCE,
            AdminEndpoint::Compliance => COMPLIANCE_RESOURCE,
        }
    }

    /// Where the endpoint is (for Compliance: where its regional host is discovered) in
    /// Microsoft's commercial cloud.
    pub fn default_url(self) -> &'static str {
        match self {
            AdminEndpoint::Exchange => DEFAULT_EXCHANGE,
            AdminEndpoint::Compliance => DEFAULT_COMPLIANCE,
        }
    }

    /// How a person names it.
    pub fn label(self) -> &'static str {
        match self {
            AdminEndpoint::Exchange => "the Exchange admin API",
            AdminEndpoint::Compliance => "the Security & Compliance admin API",
        }
    }
}

/// One cmdlet call: its name (`Get-HostedContentFilterPolicy`) and parameters (an object).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub cmdlet: String,
    pub parameters: Value,
}

impl Command {
    pub fn new(cmdlet: impl Into<String>, parameters: Value) -> Self {
        Command {
            cmdlet: cmdlet.into(),
            parameters,
        }
    }

    fn body(&self) -> Value {
        let parameters = match &self.parameters {
            Value::Null => Value::Object(Map::new()),
            p => p.clone(),
        };
        json!({ "CmdletInput": { "CmdletName": self.cmdlet, "Parameters": parameters } })
    }

    /// `New-…` creates: after a lost answer it is looked up, never re-sent.
    fn creates(&self) -> bool {
        self.cmdlet.starts_with("New-")
    }
}

/// A client for one tenant's admin API at one [`AdminEndpoint`]. Cheap to clone.
#[derive(Clone)]
pub struct ExchangeClient {
    endpoint: AdminEndpoint,
    /// Where the endpoint is, as configured (Compliance: where discovery is asked).
    base: String,
    tenant: String,
    headers: Vec<(&'static str, String)>,
    /// Compliance: the client that asks the discovery (the configured host, the compliance
    /// audience). `None` for Exchange.
    discovery: Option<GraphClient>,
    /// What the regional client is made from once discovery named its host.
    config: Arc<GraphConfig>,
    observer: Observer,
    /// The client that runs cmdlets: made at once for Exchange, after discovery for
    /// Compliance (a failed discovery is tried again on the next call).
    session: Arc<tokio::sync::OnceCell<Session>>,
}

/// Where cmdlets go, and the HTTP client that sends them.
#[derive(Clone)]
struct Session {
    http: GraphClient,
    invoke_url: String,
    batch_url: String,
}

impl std::fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("endpoint", &self.endpoint)
            .field("base", &self.base)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl ExchangeClient {
    /// A client from the tenant's Graph connection (`config`: the same tenant, app and
    /// credential) for the Exchange admin API at `exchange` (e.g.
    /// `https://outlook.office365.com`).
    pub fn new(
        config: GraphConfig,
        exchange: &str,
        observer: Observer,
    ) -> Result<Self, GraphError> {
        Self::for_endpoint(AdminEndpoint::Exchange, config, exchange, observer)
    }

    /// A client for `endpoint` at `url` (Exchange: the admin API's host; Compliance: where
    /// the regional host is discovered, e.g. `https://ps.compliance.protection.outlook.com`).
    /// The configuration is checked now; Compliance's discovery happens on the first call.
    pub fn for_endpoint(
        endpoint: AdminEndpoint,
        config: GraphConfig,
        url: &str,
        observer: Observer,
    ) -> Result<Self, GraphError> {
        let base = url.trim().trim_end_matches('/').to_string();
        let tenant = config.tenant_id.trim().to_string();
        let headers = vec![
            ("X-AnchorMailbox", format!("APP:{ANCHOR_MAILBOX}@{tenant}")),
            // JSON instead of the module's default CliXml.
            ("X-ResponseFormat", "json".to_string()),
            ("Prefer", "odata.maxpagesize=1000".to_string()),
        ];
        let session = Arc::new(tokio::sync::OnceCell::new());
        let mut discovery = None;
        match endpoint {
            AdminEndpoint::Exchange => {
                let made = Session::new(&config, endpoint, &base, &tenant, observer.clone())?;
                session
                    .set(made)
                    .unwrap_or_else(|_| unreachable!("a new cell is empty"));
            }
            AdminEndpoint::Compliance => {
                discovery = Some(http_client(&config, endpoint, &base, observer.clone())?);
            }
        }
        Ok(ExchangeClient {
            endpoint,
            base,
            tenant,
            headers,
            discovery,
            config: Arc::new(config),
            observer,
            session,
        })
    }

    /// The endpoint this client speaks to.
    pub fn endpoint(&self) -> AdminEndpoint {
        self.endpoint
    }

    /// The client that runs cmdlets (Compliance: after discovering the regional host).
    async fn session(&self) -> Result<&Session, GraphError> {
        self.session
            .get_or_try_init(|| async {
                let discovery = self.discovery.as_ref().ok_or_else(|| {
                    GraphError::Config("the Exchange endpoint needs no discovery".into())
                })?;
                let url = format!(
                    "{}/adminapi/beta/{}/EXOBanner('AutogenSession')?Version={MODULE_VERSION}",
                    self.base, self.tenant
                );
                let location = discovery
                    .redirect_location(&url, &self.headers)
                    .await
                    .map_err(|e| named(e, "EXOBanner('AutogenSession')"))?;
                let regional = location
                    .as_deref()
                    .ok_or_else(|| "the discovery answered without redirecting".to_string())
                    .and_then(|l| regional_base(&self.base, l))
                    .map_err(|cause| GraphError::Transport {
                        method: "GET".into(),
                        path: "EXOBanner('AutogenSession')".into(),
                        cause: format!(
                            "{} did not name the tenant's regional host: {cause}",
                            self.endpoint.label()
                        ),
                    })?;
                Session::new(
                    &self.config,
                    self.endpoint,
                    &regional,
                    &self.tenant,
                    self.observer.clone(),
                )
            })
            .await
    }

    /// Where cmdlets go once discovered (`None` before Compliance's first call).
    pub fn invoke_url(&self) -> Option<&str> {
        self.session.get().map(|s| s.invoke_url.as_str())
    }

    /// Runs one cmdlet and returns every row it produced, following `@odata.nextLink` by
    /// re-POSTing the same body.
    pub async fn invoke(&self, command: &Command) -> Result<Vec<Value>, GraphError> {
        let session = self
            .session()
            .await
            .map_err(|e| named(e, &command.cmdlet))?;
        let body = command.body();
        let mut rows = Vec::new();
        let mut url = session.invoke_url.clone();
        let mut read = HashSet::new();
        loop {
            read.insert(url.clone());
            let page = session
                .http
                .post_with_headers(&url, &self.headers, &body, command.creates())
                .await
                .map_err(|e| named(e, &command.cmdlet))?;
            let next = take_rows(page, &mut rows);
            match next {
                None => return Ok(rows),
                Some(next) if read.contains(&next) => {
                    return Err(GraphError::Transport {
                        method: "POST".to_string(),
                        path: format!("InvokeCommand {}", command.cmdlet),
                        cause: "@odata.nextLink points at a page already read; stopping rather than looping".to_string(),
                    });
                }
                Some(next) => url = next,
            }
        }
    }

    /// Runs read-only cmdlets (`Get-…`) through `$batch`, [`MAX_EXCHANGE_BATCH`] a request,
    /// and returns each one's rows in order. Throttled or failed items (429, 5xx: a read may
    /// be repeated) are sent again in a later round after their `Retry-After` (without one,
    /// after the retry policy's backoff), in as many rounds as the policy gives a Graph request
    /// attempts; other failures are that item's.
    pub async fn invoke_reads(&self, commands: &[Command]) -> Vec<Result<Vec<Value>, GraphError>> {
        let session = match self.session().await {
            Ok(session) => session,
            Err(e) => {
                return commands
                    .iter()
                    .map(|c| Err(named(e.clone(), &c.cmdlet)))
                    .collect();
            }
        };
        let mut results: Vec<Option<Result<Vec<Value>, GraphError>>> = vec![None; commands.len()];
        let mut pending: Vec<usize> = (0..commands.len()).collect();
        let retry = &self.config.retry;
        let rounds = retry.max_attempts.max(1);
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let mut again = Vec::new();
            let mut wait = Duration::ZERO;
            for chunk in pending.chunks(MAX_EXCHANGE_BATCH) {
                for (index, outcome) in self.batch(session, commands, chunk).await {
                    match outcome {
                        Item::Done(result) => results[index] = Some(result),
                        Item::Retry(error, after) if round < rounds => {
                            let backoff = retry
                                .base_backoff
                                .saturating_mul(1 << round.min(16))
                                .min(retry.max_backoff);
                            wait = wait.max(after.unwrap_or(backoff));
                            again.push(index);
                            results[index] = Some(Err(error));
                        }
                        Item::Retry(error, _) => results[index] = Some(Err(error)),
                    }
                }
            }
            if let Some(first) = again.first() {
                let reason = match &results[*first] {
                    Some(Err(e)) => e.to_string(),
                    _ => String::new(),
                };
                let event = blueprint_graph::GraphEvent::Retrying {
                    path: format!("$batch ({} of {} cmdlets)", again.len(), commands.len()),
                    reason,
                    wait: wait.min(MAX_ITEM_WAIT),
                    attempt: round,
                };
                session
                    .http
                    .wait_before_retry(event, wait.min(MAX_ITEM_WAIT), again.len() as u64)
                    .await;
            }
            pending = again;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect()
    }

    /// One `$batch` POST of the commands at `indices`.
    async fn batch(
        &self,
        session: &Session,
        commands: &[Command],
        indices: &[usize],
    ) -> Vec<(usize, Item)> {
        let requests: Vec<Value> = indices
            .iter()
            .map(|&i| {
                let mut headers = Map::new();
                headers.insert("Content-Type".into(), json!("application/json"));
                for (name, value) in &self.headers {
                    headers.insert((*name).to_string(), json!(value));
                }
                json!({
                    "id": i.to_string(),
                    "method": "POST",
                    "url": session.invoke_url,
                    "headers": headers,
                    "body": commands[i].body(),
                })
            })
            .collect();
        let mut headers = self.headers.clone();
        headers.push(("Prefer", "odata.continue-on-error".to_string()));
        let answer = session
            .http
            .post_with_headers(
                &session.batch_url,
                &headers,
                &json!({ "requests": requests }),
                false,
            )
            .await;
        let responses = match answer {
            Ok(Some(body)) => body["responses"].as_array().cloned().unwrap_or_default(),
            Ok(None) => Vec::new(),
            Err(e) => {
                return indices
                    .iter()
                    .map(|&i| (i, Item::Done(Err(named(e.clone(), &commands[i].cmdlet)))))
                    .collect();
            }
        };
        let mut out = Vec::new();
        for &i in indices {
            let cmdlet = &commands[i].cmdlet;
            let path = format!("InvokeCommand {cmdlet}");
            let response = responses
                .iter()
                .find(|r| r["id"].as_str() == Some(i.to_string().as_str()));
            let Some(response) = response else {
                out.push((
                    i,
                    Item::Retry(
                        GraphError::Transport {
                            method: "POST".into(),
                            path,
                            cause: "the $batch answer has no response for this request".into(),
                        },
                        None,
                    ),
                ));
                continue;
            };
            let status = response["status"].as_u64().unwrap_or(0) as u16;
            let body = &response["body"];
            if (200..300).contains(&status) {
                let mut rows = Vec::new();
                let next = take_rows(Some(body.clone()), &mut rows);
                // A further page is read with the cmdlet's own request (rare for settings).
                let result = match next {
                    None => Ok(rows),
                    Some(_) => self.invoke(&commands[i]).await,
                };
                out.push((i, Item::Done(result)));
                continue;
            }
            let error = blueprint_graph::api_error(status, &body.to_string(), "POST", &path);
            // Reads only: any 5xx or a throttle is tried again in a later round.
            if status == 429 || (500..600).contains(&status) {
                let after = response["headers"]
                    .as_object()
                    .and_then(|h| {
                        h.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                            .and_then(|(_, v)| v.as_str().map(str::to_string))
                    })
                    .and_then(|v| blueprint_graph::parse_retry_after(&v));
                out.push((i, Item::Retry(error, after)));
            } else {
                out.push((i, Item::Done(Err(error))));
            }
        }
        out
    }

    /// Every object of a cmdlet family (`Get-{noun}`), each with `id` (its `Identity`).
    pub async fn list(&self, noun: &str) -> Result<Vec<Value>, GraphError> {
        self.list_with(noun, &json!({})).await
    }

    /// What `Get-{noun}` with `parameters` outputs (`Get-App -OrganizationApp`), each row
    /// with `id`.
    pub async fn list_with(
        &self,
        noun: &str,
        parameters: &Value,
    ) -> Result<Vec<Value>, GraphError> {
        let rows = self
            .invoke(&Command::new(format!("Get-{noun}"), parameters.clone()))
            .await?;
        Ok(rows.into_iter().map(with_id).collect())
    }

    /// Several families at once through `$batch` (what evaluate reads), in order.
    pub async fn list_many(&self, nouns: &[&str]) -> Vec<Result<Vec<Value>, GraphError>> {
        let reads: Vec<(&str, Value)> = nouns.iter().map(|n| (*n, json!({}))).collect();
        self.list_many_with(&reads).await
    }

    /// [`ExchangeClient::list_many`] with each family's `Get-` parameters.
    pub async fn list_many_with(
        &self,
        reads: &[(&str, Value)],
    ) -> Vec<Result<Vec<Value>, GraphError>> {
        let commands: Vec<Command> = reads
            .iter()
            .map(|(n, parameters)| Command::new(format!("Get-{n}"), parameters.clone()))
            .collect();
        self.invoke_reads(&commands)
            .await
            .into_iter()
            .map(|r| r.map(|rows| rows.into_iter().map(with_id).collect()))
            .collect()
    }

    /// The object with this identity (`None`: the family's one object, e.g. the
    /// organization config). Looked up in the family's list, which is small, so that a
    /// missing object is a plain 404 whatever Exchange's own "not found" looks like.
    pub async fn get(&self, noun: &str, id: Option<&str>) -> Result<Value, GraphError> {
        let rows = self.list(noun).await?;
        let found = match id {
            None => rows.into_iter().next(),
            Some(id) => rows.into_iter().find(|r| is_identity(r, id)),
        };
        found.ok_or_else(|| GraphError::Api {
            status: 404,
            code: "ManagementObjectNotFoundException".into(),
            message: format!(
                "The operation couldn't be performed because object '{}' couldn't be found.",
                id.unwrap_or(noun)
            ),
            request_id: None,
            client_request_id: String::new(),
            method: "POST".into(),
            path: format!("InvokeCommand Get-{noun}"),
        })
    }

    /// Creates an object: `New-{noun}` with the parameters it takes (`new_parameters`), then
    /// `Set-{noun}` with the rest of `body`, as most `New-` cmdlets take only some of what
    /// `Set-` does. Returns the object as read back, with its `id`. A lost answer to the
    /// `New-` is [`GraphError::OutcomeUnknown`]: look the object up before creating again.
    pub async fn create(
        &self,
        noun: &str,
        identity_parameter: &str,
        new_parameters: &[&str],
        body: &Value,
    ) -> Result<Value, GraphError> {
        let (mut first, mut rest) = (Map::new(), Map::new());
        for (k, v) in body.as_object().into_iter().flatten() {
            if k == identity_parameter || new_parameters.contains(&k.as_str()) {
                first.insert(k.clone(), v.clone());
            } else {
                rest.insert(k.clone(), v.clone());
            }
        }
        let created = self
            .invoke(&Command::new(format!("New-{noun}"), Value::Object(first)))
            .await?;
        let created =
            created
                .into_iter()
                .next()
                .map(with_id)
                .ok_or_else(|| GraphError::Transport {
                    method: "POST".into(),
                    path: format!("InvokeCommand New-{noun}"),
                    cause: "the cmdlet returned no object".into(),
                })?;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        if !rest.is_empty() {
            self.update(noun, Some(&id), &Value::Object(rest)).await?;
            return self.get(noun, Some(&id)).await;
        }
        Ok(created)
    }

    /// `Set-{noun}` with `body`'s parameters, on the object `id` (`None`: the family's one
    /// object, whose `Set-` takes no identity). Setting is idempotent: a lost answer is
    /// retried.
    pub async fn update(
        &self,
        noun: &str,
        id: Option<&str>,
        body: &Value,
    ) -> Result<(), GraphError> {
        let mut parameters = body.as_object().cloned().unwrap_or_default();
        if let Some(id) = id {
            parameters.insert("Identity".into(), json!(id));
        }
        self.invoke(&Command::new(
            format!("Set-{noun}"),
            Value::Object(parameters),
        ))
        .await
        .map(|_| ())
    }

    /// `Enable-{noun}` or `Disable-{noun}` on the rule `id`: a rule's state, which no `Set-`
    /// takes. Idempotent, so a lost answer is retried.
    pub async fn switch(&self, noun: &str, id: &str, enabled: bool) -> Result<(), GraphError> {
        let verb = if enabled { "Enable" } else { "Disable" };
        self.invoke(&Command::new(
            format!("{verb}-{noun}"),
            json!({ "Identity": id }),
        ))
        .await
        .map(|_| ())
    }

    /// `Remove-{noun} -Identity id` (only ever for what the tool created). A 404 means it is
    /// already gone.
    pub async fn remove(&self, noun: &str, id: &str) -> Result<(), GraphError> {
        // Confirm:$false, as a script would: nothing is asked over REST, but the cmdlet
        // declares the parameter.
        self.invoke(&Command::new(
            format!("Remove-{noun}"),
            json!({ "Identity": id, "Confirm": false }),
        ))
        .await
        .map(|_| ())
    }

    /// Requests sent, retries, throttling (the client's own counters: the discovery's and
    /// the cmdlets').
    pub fn stats(&self) -> GraphStats {
        let mut total = GraphStats::default();
        let clients = self
            .discovery
            .iter()
            .chain(self.session.get().map(|s| &s.http));
        for stats in clients.map(GraphClient::stats) {
            total.round_trips += stats.round_trips;
            total.token_requests += stats.token_requests;
            total.retries += stats.retries;
            total.throttled += stats.throttled;
            total.replication_looks += stats.replication_looks;
            total.waited += stats.waited;
        }
        total
    }

    /// The claims of the endpoint's token (`roles` must hold `Exchange.ManageAsApp`, `wids` a
    /// supported role), for `doctor`.
    pub async fn token_claims(&self) -> Result<Value, GraphError> {
        match (&self.discovery, self.session.get()) {
            (_, Some(session)) => session.http.token_claims().await,
            (Some(discovery), None) => discovery.token_claims().await,
            (None, None) => self.session().await?.http.token_claims().await,
        }
    }
}

impl Session {
    fn new(
        config: &GraphConfig,
        endpoint: AdminEndpoint,
        base: &str,
        tenant: &str,
        observer: Observer,
    ) -> Result<Session, GraphError> {
        // Exchange's pacing is not Graph's conditional-access gate; nothing under
        // /adminapi is conditional access, so the gate never applies.
        let http = http_client(config, endpoint, base, observer)?;
        let root = format!("{base}/adminapi/beta/{tenant}");
        Ok(Session {
            http,
            invoke_url: format!("{root}/InvokeCommand"),
            batch_url: format!("{root}/$batch"),
        })
    }
}

/// The HTTP client for `base` with the endpoint's audience: the token goes to `base`'s
/// origin only.
fn http_client(
    config: &GraphConfig,
    endpoint: AdminEndpoint,
    base: &str,
    observer: Observer,
) -> Result<GraphClient, GraphError> {
    let mut config = config.clone();
    config.graph = base.to_string();
    config.scope = Some(format!("{}/.default", endpoint.resource()));
    GraphClient::new(config, observer)
}

/// The regional base a discovery's `Location` names. Microsoft redirects to another host
/// (`{region}.….outlook.com`, on a port of its own), whose first label is the region: the
/// cmdlets go to `https://{region}.{configured host}` (CIPP: `{0}.ps.compliance.protection.outlook.com`
/// from the redirected host's first label). A redirect to the configured origin itself (an
/// emulator on one listener) names the base directly: everything before `/adminapi/`.
pub fn regional_base(configured: &str, location: &str) -> Result<String, String> {
    let (scheme, rest) = configured
        .split_once("://")
        .ok_or_else(|| format!("{configured} is not a URL"))?;
    let configured_origin = rest.split('/').next().unwrap_or_default();
    let (location_scheme, location_rest) = location
        .split_once("://")
        .ok_or_else(|| format!("the Location {location:?} is not an absolute URL"))?;
    let location_origin = location_rest.split(['/', '?']).next().unwrap_or_default();
    if location_scheme.eq_ignore_ascii_case(scheme)
        && location_origin.eq_ignore_ascii_case(configured_origin)
    {
        let (before, _) = location
            .split_once("/adminapi/")
            .ok_or_else(|| format!("the Location {location:?} names no /adminapi/ path"))?;
        return Ok(before.trim_end_matches('/').to_string());
    }
    let host = location_origin.split(':').next().unwrap_or_default();
    let region = host
        .split('.')
        .next()
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| format!("the Location {location:?} names no regional host"))?;
    let configured_host = configured_origin.split(':').next().unwrap_or_default();
    Ok(format!("https://{region}.{configured_host}"))
}

enum Item {
    Done(Result<Vec<Value>, GraphError>),
    Retry(GraphError, Option<Duration>),
}

/// Errors name the cmdlet, not the endpoint every cmdlet shares.
fn named(error: GraphError, cmdlet: &str) -> GraphError {
    let path = format!("InvokeCommand {cmdlet}");
    match error {
        GraphError::Api {
            status,
            code,
            message,
            request_id,
            client_request_id,
            method,
            ..
        } => GraphError::Api {
            status,
            code,
            message,
            request_id,
            client_request_id,
            method,
            path,
        },
        GraphError::OutcomeUnknown { method, cause, .. } => GraphError::OutcomeUnknown {
            method,
            path,
            cause,
        },
        GraphError::Transport { method, cause, .. } => GraphError::Transport {
            method,
            path,
            cause,
        },
        GraphError::RetriesExhausted {
            method,
            attempts,
            last,
            ..
        } => GraphError::RetriesExhausted {
            method,
            path,
            attempts,
            last,
        },
        other => other,
    }
}

/// Appends a page's rows; returns the next page's URL. An answer without `value` (a `Set-`
/// returns nothing) adds no rows.
fn take_rows(page: Option<Value>, rows: &mut Vec<Value>) -> Option<String> {
    let page = page?;
    if let Some(values) = page.get("value").and_then(Value::as_array) {
        rows.extend(values.iter().cloned());
    }
    page.get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// An object with `id` set to its `Identity` (the name Exchange's cmdlets accept back).
fn with_id(mut row: Value) -> Value {
    let id = row
        .get("Identity")
        .or_else(|| row.get("Name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(id), Some(map)) = (id, row.as_object_mut()) {
        map.insert("id".into(), json!(id));
    }
    row
}

/// Whether `row` is the object `id` names: by `Identity`, `Name` or `Guid`, as Exchange
/// resolves an identity (case-insensitively).
fn is_identity(row: &Value, id: &str) -> bool {
    ["Identity", "Name", "Guid", "id"].iter().any(|k| {
        row.get(*k)
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_the_cmdlet_input_envelope() {
        let c = Command::new("Set-RemoteDomain", json!({"Identity": "Default"}));
        assert_eq!(
            c.body(),
            json!({"CmdletInput": {"CmdletName": "Set-RemoteDomain", "Parameters": {"Identity": "Default"}}})
        );
        assert!(!c.creates());
        assert!(Command::new("New-SafeLinksPolicy", Value::Null).creates());
        assert_eq!(
            Command::new("Get-OrganizationConfig", Value::Null).body()["CmdletInput"]["Parameters"],
            json!({})
        );
    }

    #[test]
    fn rows_get_their_identity_as_id_and_pages_link_on() {
        let mut rows = Vec::new();
        let next = take_rows(
            Some(
                json!({"value": [{"Identity": "Default", "Name": "Default"}], "@odata.nextLink": "https://x/next"}),
            ),
            &mut rows,
        );
        assert_eq!(next.as_deref(), Some("https://x/next"));
        assert_eq!(with_id(rows[0].clone())["id"], "Default");
        assert!(take_rows(Some(json!({})), &mut rows).is_none());
        assert_eq!(rows.len(), 1);
        let row = json!({"Identity": "Default Safe Links Policy", "Guid": "0f9a"});
        assert!(is_identity(&row, "default safe links policy"));
        assert!(is_identity(&row, "0F9A"));
        assert!(!is_identity(&row, "Other"));
    }

    #[test]
    fn the_regional_host_comes_from_the_discovery_redirect() {
        // Microsoft: another host on its own port; its first label is the region.
        assert_eq!(
            regional_base(
                DEFAULT_COMPLIANCE,
                "https://syd01b.ps.compliance.protection.outlook.com:446/adminapi/beta/t/EXOBanner('AutogenSession')?Version=3.7.1"
            )
            .unwrap(),
            "https://syd01b.ps.compliance.protection.outlook.com"
        );
        assert_eq!(
            regional_base(
                "https://ps.compliance.protection.outlook.com/",
                "https://apc01b.admin.protection.outlook.com:446/x"
            )
            .unwrap(),
            "https://apc01b.ps.compliance.protection.outlook.com"
        );
        // One listener: the redirect names the base itself.
        assert_eq!(
            regional_base(
                "http://127.0.0.1:8080/compliance",
                "http://127.0.0.1:8080/compliance/emu01b/adminapi/beta/t/EXOBanner('AutogenSession')"
            )
            .unwrap(),
            "http://127.0.0.1:8080/compliance/emu01b"
        );
        assert!(regional_base(DEFAULT_COMPLIANCE, "/relative/only").is_err());
        assert!(regional_base("http://127.0.0.1:1/c", "http://127.0.0.1:1/c/nowhere").is_err());
        assert_eq!(
            AdminEndpoint::Compliance.resource(),
            "https://ps.compliance.protection.outlook.com"
        );
        assert_eq!(AdminEndpoint::Exchange.resource(), EXCHANGE_RESOURCE);
    }
}
