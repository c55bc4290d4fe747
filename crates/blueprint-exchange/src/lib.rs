//! The Exchange Online admin API client: Exchange and Defender for Office 365 cmdlets over
//! REST, the way Microsoft's ExchangeOnlineManagement module (v3) calls them, without
//! PowerShell.
//!
//! `POST {exchange}/adminapi/beta/{tenant}/InvokeCommand` with
//! `{"CmdletInput":{"CmdletName":"Set-RemoteDomain","Parameters":{…}}}`; rows come back in
//! `value`, further pages by re-POSTing the same body to `@odata.nextLink`; reads go several at
//! a time through `/adminapi/beta/{tenant}/$batch`. Microsoft does not document the endpoint
//! (`real-tenant-and-exchange.md` §2a): this crate is the one place that knows its shape.
//!
//! Tokens, retries (429 and 503 honouring `Retry-After`, clamped), the rule that a create is
//! never blindly re-sent, and error reading all come from [`blueprint_graph::GraphClient`],
//! configured with the Exchange base URL and the `https://outlook.office365.com/.default`
//! scope: the same credentials, a second audience. Errors keep Exchange's own message
//! (`innererror.internalexception.message`, then `details`), never its constant
//! "Invalid Operation".
//!
//! On top of the cmdlets, [`ExchangeClient`] offers the object operations the engine needs for
//! a cmdlet family (`RemoteDomain`: `Get-`, `New-`, `Set-`, `Remove-RemoteDomain`): list, get,
//! create, update, remove, each object carrying an `id` (its `Identity`).

// GraphError is the error of the client underneath (see blueprint-graph).
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::time::Duration;

use blueprint_graph::{GraphClient, GraphConfig, GraphError, GraphStats, Observer};
use serde_json::{Map, Value, json};

/// Exchange Online's resource: the audience of the tokens the admin API accepts.
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";
/// Where the admin API lives in Microsoft's commercial cloud.
pub const DEFAULT_EXCHANGE: &str = "https://outlook.office365.com";
/// The arbitration mailbox Exchange routes app-only admin calls by (`X-AnchorMailbox`);
/// without an anchor the service answers spurious 404s. CIPP and Monkey365 anchor on it.
pub const ANCHOR_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
/// Requests per admin API `$batch` (CIPP's bulk requests send at most 10).
pub const MAX_EXCHANGE_BATCH: usize = 10;
/// Rounds of a `$batch` read whose items are throttled before the items give up.
const BATCH_ROUNDS: u32 = 6;
/// The longest wait a throttled batch item's `Retry-After` is believed for.
const MAX_ITEM_WAIT: Duration = Duration::from_secs(120);

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

/// A client for one tenant's Exchange admin API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ExchangeClient {
    http: GraphClient,
    invoke_url: String,
    batch_url: String,
    headers: Vec<(&'static str, String)>,
}

impl ExchangeClient {
    /// A client from the tenant's Graph connection (`config`: the same tenant, app and
    /// credential) for the admin API at `exchange` (e.g. `https://outlook.office365.com`).
    pub fn new(
        mut config: GraphConfig,
        exchange: &str,
        observer: Observer,
    ) -> Result<Self, GraphError> {
        let base = exchange.trim().trim_end_matches('/').to_string();
        let tenant = config.tenant_id.trim().to_string();
        config.graph = base.clone();
        config.scope = Some(format!("{EXCHANGE_RESOURCE}/.default"));
        // Exchange's pacing is not Graph's conditional-access gate; nothing under
        // /adminapi is conditional access, so the gate never applies.
        let http = GraphClient::new(config, observer)?;
        let root = format!("{base}/adminapi/beta/{tenant}");
        Ok(ExchangeClient {
            http,
            invoke_url: format!("{root}/InvokeCommand"),
            batch_url: format!("{root}/$batch"),
            headers: vec![
                ("X-AnchorMailbox", format!("APP:{ANCHOR_MAILBOX}@{tenant}")),
                // JSON instead of the module's default CliXml.
                ("X-ResponseFormat", "json".to_string()),
                ("Prefer", "odata.maxpagesize=1000".to_string()),
            ],
        })
    }

    /// Runs one cmdlet and returns every row it produced, following `@odata.nextLink` by
    /// re-POSTing the same body.
    pub async fn invoke(&self, command: &Command) -> Result<Vec<Value>, GraphError> {
        let body = command.body();
        let mut rows = Vec::new();
        let mut url = self.invoke_url.clone();
        let mut read = HashSet::new();
        loop {
            read.insert(url.clone());
            let page = self
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
    /// be repeated) are sent again in a later round after their `Retry-After`; other failures
    /// are that item's.
    pub async fn invoke_reads(&self, commands: &[Command]) -> Vec<Result<Vec<Value>, GraphError>> {
        let mut results: Vec<Option<Result<Vec<Value>, GraphError>>> = vec![None; commands.len()];
        let mut pending: Vec<usize> = (0..commands.len()).collect();
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let mut again = Vec::new();
            let mut wait = Duration::ZERO;
            for chunk in pending.chunks(MAX_EXCHANGE_BATCH) {
                for (index, outcome) in self.batch(commands, chunk).await {
                    match outcome {
                        Item::Done(result) => results[index] = Some(result),
                        Item::Retry(error, after) if round < BATCH_ROUNDS => {
                            wait = wait.max(after.unwrap_or(Duration::from_millis(500 << round)));
                            again.push(index);
                            results[index] = Some(Err(error));
                        }
                        Item::Retry(error, _) => results[index] = Some(Err(error)),
                    }
                }
            }
            if !again.is_empty() {
                tokio::time::sleep(wait.min(MAX_ITEM_WAIT)).await;
            }
            pending = again;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect()
    }

    /// One `$batch` POST of the commands at `indices`.
    async fn batch(&self, commands: &[Command], indices: &[usize]) -> Vec<(usize, Item)> {
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
                    "url": self.invoke_url,
                    "headers": headers,
                    "body": commands[i].body(),
                })
            })
            .collect();
        let mut headers = self.headers.clone();
        headers.push(("Prefer", "odata.continue-on-error".to_string()));
        let answer = self
            .http
            .post_with_headers(
                &self.batch_url,
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

    /// Requests sent, retries, throttling (the Exchange client's own counters).
    pub fn stats(&self) -> GraphStats {
        self.http.stats()
    }

    /// The claims of the Exchange token (`roles` must hold `Exchange.ManageAsApp`, `wids` a
    /// supported role), for `doctor`.
    pub async fn token_claims(&self) -> Result<Value, GraphError> {
        self.http.token_claims().await
    }
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
}
