//! Which API a request for a resource goes to. Every kind declares its API; the engine speaks
//! in resource paths (`/identity/conditionalAccess/policies/{id}`, `/exchange/RemoteDomain/{id}`)
//! and [`TenantApis`] sends each to the client that reaches it: Graph for Graph kinds,
//! unchanged, and the admin API for Exchange kinds (`/exchange/{Noun}`) and Security &
//! Compliance kinds (`/compliance/{Noun}`, the same API at its own endpoint), whose path names
//! the cmdlet family and whose id is the object's `Identity`. [`route`] is the one place that
//! decides.
//!
//! Everything not about a resource path (`post_action`, `until_replicated`, statistics, the
//! token's claims) is Graph's, reached through `Deref`.

// GraphError is the clients' error as the rest of the engine receives it (see blueprint-graph).
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;

use blueprint_catalogue::exchange_kinds;
use blueprint_catalogue::kinds::{self, Api, IdentityKey, KindSpec};
use blueprint_exchange::ExchangeClient;
use blueprint_graph::{GraphClient, GraphError};
use serde_json::{Map, Value, json};

/// How many times a create whose answer was lost is sent, each after looking for it and not
/// finding it; the last lost answer is looked for too (as the engine's creates:
/// `apply::LOST_CREATE_ATTEMPTS`).
const LOST_CREATE_ATTEMPTS: u32 = 5;

/// Where a resource path goes.
#[derive(Debug)]
pub enum Route<'p> {
    Graph,
    /// An Exchange cmdlet family (`kind`), and the object's identity when the path names one.
    Exchange {
        kind: &'static KindSpec,
        noun: &'static str,
        id: Option<&'p str>,
    },
}

/// The route of a resource path: `/exchange/{Noun}[/{identity}]` for a kind whose API is the
/// Exchange admin API, `/compliance/{Noun}[/{identity}]` for Security & Compliance's, Graph for
/// everything else.
pub fn route(path: &str) -> Route<'_> {
    let (api, rest) = if let Some(rest) = path.strip_prefix("/exchange/") {
        (Api::ExchangeAdmin, rest)
    } else if let Some(rest) = path.strip_prefix("/compliance/") {
        (Api::ComplianceAdmin, rest)
    } else {
        return Route::Graph;
    };
    let (noun, id) = match rest.split_once('/') {
        Some((noun, id)) => (noun, Some(id).filter(|i| !i.is_empty())),
        None => (rest, None),
    };
    kinds::KINDS
        .iter()
        .filter(|k| k.api == api)
        .find_map(|k| {
            let n = exchange_kinds::noun(k)?;
            (n == noun).then_some(Route::Exchange {
                kind: k,
                noun: n,
                id,
            })
        })
        .unwrap_or(Route::Graph)
}

/// The tenant's APIs behind one face with the Graph client's resource operations.
#[derive(Clone, Debug)]
pub struct TenantApis {
    graph: GraphClient,
    exchange: ExchangeClient,
    /// Security & Compliance: the same admin API client at its own endpoint.
    compliance: Option<ExchangeClient>,
}

impl Deref for TenantApis {
    type Target = GraphClient;

    fn deref(&self) -> &GraphClient {
        &self.graph
    }
}

impl TenantApis {
    pub fn new(graph: GraphClient, exchange: ExchangeClient) -> Self {
        TenantApis {
            graph,
            exchange,
            compliance: None,
        }
    }

    /// With the Security & Compliance endpoint's client (without it, a compliance kind's
    /// request is refused as a configuration error).
    pub fn with_compliance(mut self, compliance: ExchangeClient) -> Self {
        self.compliance = Some(compliance);
        self
    }

    pub fn compliance(&self) -> Option<&ExchangeClient> {
        self.compliance.as_ref()
    }

    /// The admin API client for a cmdlet kind: Exchange's or Security & Compliance's.
    fn admin(&self, kind: &KindSpec) -> Result<&ExchangeClient, GraphError> {
        match kind.api {
            Api::ComplianceAdmin => self.compliance.as_ref().ok_or_else(|| {
                GraphError::Config(format!(
                    "{}: no Security & Compliance connection was made",
                    kind.name
                ))
            }),
            _ => Ok(&self.exchange),
        }
    }

    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// A Graph path as Graph takes it: the tenant's organization id in place of
    /// [`kinds::ORGANIZATION_ID`] (an object under the organization, its company branding).
    /// The id is the tenant id the access token names, so it costs no round trip
    /// ([`GraphClient::organization_id`]); paths stay tenant-neutral everywhere else (the
    /// journal, reports).
    async fn at<'p>(&self, path: &'p str) -> Result<Cow<'p, str>, GraphError> {
        if !path.contains(kinds::ORGANIZATION_ID) {
            return Ok(Cow::Borrowed(path));
        }
        let organization = self.graph.organization_id().await?;
        Ok(Cow::Owned(
            path.replace(kinds::ORGANIZATION_ID, &organization),
        ))
    }

    pub fn exchange(&self) -> &ExchangeClient {
        &self.exchange
    }

    /// An object (an identity, or a singleton kind's path), or a collection as
    /// `{"value":[…]}`.
    pub async fn get(&self, path: &str) -> Result<Value, GraphError> {
        match route(path) {
            Route::Graph => self.graph.get(&self.at(path).await?).await,
            Route::Exchange { kind, noun, id } => self.exchange_get(kind, noun, id).await,
        }
    }

    /// An object just written: Graph's replicas may lag; Exchange answers from its own store.
    pub async fn get_known(&self, path: &str) -> Result<Value, GraphError> {
        match route(path) {
            Route::Graph => self.graph.get_known(&self.at(path).await?).await,
            Route::Exchange { kind, noun, id } => self.exchange_get(kind, noun, id).await,
        }
    }

    pub async fn list(&self, path: &str) -> Result<Vec<Value>, GraphError> {
        match route(path) {
            Route::Graph => self.graph.list(&self.at(path).await?).await,
            Route::Exchange { kind, noun, .. } => self.exchange_list(kind, noun).await,
        }
    }

    pub async fn list_known(&self, path: &str) -> Result<Vec<Value>, GraphError> {
        match route(path) {
            Route::Graph => self.graph.list_known(&self.at(path).await?).await,
            Route::Exchange { kind, noun, .. } => self.exchange_list(kind, noun).await,
        }
    }

    /// A create: POST to a Graph collection, or `New-` (then `Set-` for what `New-` does not
    /// take) for an Exchange family.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, GraphError> {
        match route(path) {
            Route::Graph => self.graph.post(&self.at(path).await?, body).await,
            Route::Exchange { kind, noun, .. } => {
                let mut identity = match kind.identity {
                    IdentityKey::Property(p) => p,
                    IdentityKey::Singleton => "Identity",
                };
                let mut body = body.clone();
                if exchange_kinds::has_switched_state(kind)
                    && let Some(map) = body.as_object_mut()
                    && let Some(state) = map.remove(exchange_kinds::RULE_STATE)
                {
                    // New- takes the state as -Enabled.
                    map.insert("Enabled".into(), json!(is_enabled(&state)));
                }
                if let (Some(named_by), Some(map)) = (
                    exchange_kinds::new_identity_parameter(kind.name),
                    body.as_object_mut(),
                ) {
                    if let Some(name) = map.remove(identity) {
                        map.insert(named_by.to_string(), name);
                    }
                    identity = named_by;
                }
                self.admin(kind)?
                    .create(
                        noun,
                        identity,
                        &exchange_kinds::new_parameters(kind.name),
                        &body,
                    )
                    .await
            }
        }
    }

    /// An update: PATCH, or `Set-` (and, for a rule's state, `Enable-` or `Disable-`).
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Option<Value>, GraphError> {
        match route(path) {
            Route::Graph => self.graph.patch(&self.at(path).await?, body).await,
            Route::Exchange { kind, .. } if kind.is_evaluated_only() => {
                Err(GraphError::Config(format!(
                    "{path}: {} objects are only evaluated, never written",
                    kind.name
                )))
            }
            Route::Exchange { kind, noun, id } => {
                let mut body = body.clone();
                let state = match body.as_object_mut() {
                    Some(map) if exchange_kinds::has_switched_state(kind) => {
                        map.remove(exchange_kinds::RULE_STATE)
                    }
                    _ => None,
                };
                let admin = self.admin(kind)?;
                if state.is_none() || body.as_object().is_some_and(|m| !m.is_empty()) {
                    admin.update(noun, id, &body).await?;
                }
                if let Some(state) = state {
                    let id = id.ok_or_else(|| {
                        GraphError::Config(format!("{path}: a rule's state needs the rule"))
                    })?;
                    admin.switch(noun, id, is_enabled(&state)).await?;
                }
                Ok(None)
            }
        }
    }

    /// An update of `changes` on the object `current` (the tenant's, as last read): PATCH of
    /// the changes, or, for a kind Graph replaces whole, PUT of the object's writable
    /// properties with the changes laid over them ([`crate::resources::whole_body`]: keyed
    /// arrays such as a settings catalog policy's settings merged by key), so what the
    /// blueprint does not set keeps the tenant's value instead of being reset.
    pub async fn update(
        &self,
        kind: &KindSpec,
        path: &str,
        current: &Value,
        mut changes: Map<String, Value>,
    ) -> Result<(), GraphError> {
        if kind.api.is_cmdlet_api() {
            set_parameters(kind, current, &mut changes);
        }
        if !kind.is_replaced_whole() {
            return self.patch(path, &Value::Object(changes)).await.map(|_| ());
        }
        let whole = crate::resources::whole_body(kind, current, &Value::Object(changes));
        self.graph
            .put(&self.at(path).await?, &whole)
            .await
            .map(|_| ())
    }

    /// Sets the Intune assignments of the object at `object` (a Graph path) to `assignments`
    /// (as compared: each a target, and an app's intent and settings). Through
    /// `POST {object}/assign`, which replaces the whole set and is safe to resend after a lost
    /// answer; or, for a kind whose assignments are objects of their own
    /// ([`KindSpec::is_assigned_one_by_one`]), by deleting each assignment the set does not
    /// hold and creating each it lacks, so an assignment already right is left alone.
    pub async fn assign(
        &self,
        kind: &KindSpec,
        object: &str,
        assignments: &Value,
    ) -> Result<(), GraphError> {
        if !kind.is_assigned_one_by_one() {
            return self
                .graph
                .post_action(
                    &format!("{object}/assign"),
                    &json!({ kind.assign_parameter(): assignments }),
                )
                .await
                .map(|_| ());
        }
        let wanted: Vec<&Value> = assignments.as_array().into_iter().flatten().collect();
        // The object exists (just created or read): a 404 is a replica behind the write.
        let existing = self
            .graph
            .list_known(&format!("{object}/assignments"))
            .await?;
        let as_compared = |a: &Value| {
            crate::plan::with_assignments(kind.name, &json!({}), std::slice::from_ref(a))
                [crate::resources::ASSIGNMENTS][0]
                .clone()
        };
        let same = |want: &Value, have: &Value| crate::compare::diff(want, have, &[]).is_empty();
        let mut kept = Vec::new();
        for assignment in &existing {
            let compared = as_compared(assignment);
            if wanted.iter().any(|w| same(w, &compared)) {
                kept.push(compared);
            } else if let Some(id) = assignment["id"].as_str() {
                self.graph
                    .delete(&format!("{object}/assignments/{id}"))
                    .await?;
            }
        }
        for want in wanted {
            if !kept.iter().any(|k| same(want, k)) {
                self.add_assignment(kind, object, want).await?;
            }
        }
        Ok(())
    }

    /// Creates one assignment of a kind assigned one by one. A create whose answer was lost
    /// is looked for (over the replication window) before it is sent again, so it is never
    /// made twice.
    async fn add_assignment(
        &self,
        kind: &KindSpec,
        object: &str,
        want: &Value,
    ) -> Result<(), GraphError> {
        let collection = format!("{object}/assignments");
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.graph.post(&collection, want).await {
                Ok(_) => return Ok(()),
                Err(e @ GraphError::OutcomeUnknown { .. }) => {
                    // Looked for after every lost answer, the last one's too.
                    let found = self
                        .graph
                        .until_replicated(&collection, || async {
                            let listed = self.graph.list_known(&collection).await?;
                            Ok::<_, GraphError>(listed.into_iter().find(|a| {
                                let compared = crate::plan::with_assignments(
                                    kind.name,
                                    &json!({}),
                                    std::slice::from_ref(a),
                                );
                                crate::compare::diff(
                                    want,
                                    &compared[crate::resources::ASSIGNMENTS][0],
                                    &[],
                                )
                                .is_empty()
                            }))
                        })
                        .await?;
                    if found.is_some() {
                        return Ok(());
                    }
                    if attempts >= LOST_CREATE_ATTEMPTS {
                        // Known not made: every answer was lost and it is not there.
                        return Err(GraphError::RetriesExhausted {
                            method: "POST".into(),
                            path: collection,
                            attempts,
                            last: format!(
                                "every answer was lost and the assignment is not there ({e})"
                            ),
                        });
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A delete: DELETE, or `Remove-` (only ever of what the tool created).
    pub async fn delete(&self, path: &str) -> Result<(), GraphError> {
        match route(path) {
            Route::Graph => self.graph.delete(&self.at(path).await?).await,
            Route::Exchange { kind, noun, id } => match id {
                Some(id) => self.admin(kind)?.remove(noun, id).await,
                None => Err(GraphError::Config(format!(
                    "{path}: an organisation-wide Exchange object cannot be removed"
                ))),
            },
        }
    }

    /// Many reads in few round trips: Graph paths through Graph's `$batch`, Exchange
    /// families through the admin API's `$batch` (each family read once, whatever the number
    /// of objects asked for in it).
    pub async fn get_many(&self, paths: &[String]) -> Vec<Result<Value, GraphError>> {
        let mut results: Vec<Option<Result<Value, GraphError>>> = vec![None; paths.len()];
        let mut graph_paths = Vec::new();
        let mut graph_at = Vec::new();
        // Each admin endpoint's families, each read once.
        let mut families: [Vec<(&'static str, Value)>; 2] = [Vec::new(), Vec::new()];
        let at = |kind: &KindSpec| usize::from(kind.api == Api::ComplianceAdmin);
        for (i, path) in paths.iter().enumerate() {
            match route(path) {
                Route::Graph => match self.at(path).await {
                    Ok(at) => {
                        graph_paths.push(at.into_owned());
                        graph_at.push(i);
                    }
                    Err(e) => results[i] = Some(Err(e)),
                },
                Route::Exchange { kind, noun, .. } => {
                    let reads = &mut families[at(kind)];
                    if !reads.iter().any(|(n, _)| *n == noun) {
                        reads.push((noun, exchange_kinds::read_parameters(kind.name)));
                    }
                }
            }
        }
        let read_at = |endpoint: usize| {
            let reads = &families[endpoint];
            async move {
                if reads.is_empty() {
                    return Vec::new();
                }
                let client = match endpoint {
                    0 => Some(&self.exchange),
                    _ => self.compliance.as_ref(),
                };
                match client {
                    Some(client) => client.list_many_with(reads).await,
                    None => reads
                        .iter()
                        .map(|(noun, _)| {
                            Err(GraphError::Config(format!(
                                "{noun}: no Security & Compliance connection was made"
                            )))
                        })
                        .collect(),
                }
            }
        };
        // Graph and the admin endpoints answer side by side: none waits for another's round
        // trips.
        let (graph_answers, exchange_answers, compliance_answers) = tokio::join!(
            async {
                if graph_paths.is_empty() {
                    Vec::new()
                } else {
                    self.graph.get_many(&graph_paths).await
                }
            },
            read_at(0),
            read_at(1),
        );
        for (i, r) in graph_at.into_iter().zip(graph_answers) {
            results[i] = Some(r);
        }
        let lists: [HashMap<&str, Result<Vec<Value>, GraphError>>; 2] = [
            families[0]
                .iter()
                .map(|(n, _)| *n)
                .zip(exchange_answers)
                .collect(),
            families[1]
                .iter()
                .map(|(n, _)| *n)
                .zip(compliance_answers)
                .collect(),
        ];
        for (i, path) in paths.iter().enumerate() {
            if let Route::Exchange { kind, noun, id } = route(path) {
                results[i] = Some(match &lists[at(kind)][noun] {
                    Ok(rows) => pick(kind, noun, id, &summarised(kind, rows)),
                    Err(e) => Err(e.clone()),
                });
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Ok(Value::Null)))
            .collect()
    }

    /// A cmdlet family's rows, read with the kind's `Get-` parameters and as the kind
    /// compares them ([`exchange_kinds::read_rows`]).
    async fn exchange_list(&self, kind: &KindSpec, noun: &str) -> Result<Vec<Value>, GraphError> {
        let rows = self
            .admin(kind)?
            .list_with(noun, &exchange_kinds::read_parameters(kind.name))
            .await?;
        Ok(exchange_kinds::read_rows(kind.name, &rows))
    }

    async fn exchange_get(
        &self,
        kind: &KindSpec,
        noun: &str,
        id: Option<&str>,
    ) -> Result<Value, GraphError> {
        let rows = self
            .admin(kind)?
            .list_with(noun, &exchange_kinds::read_parameters(kind.name))
            .await?;
        pick(kind, noun, id, &summarised(kind, &rows))
    }
}

/// What a `Set-` of a cmdlet family takes for `changes` on the object `current`: the
/// parameters its `Set-` requires every time, from the object where the changes leave them
/// out ([`exchange_kinds::set_requires`]), and each list `Set-` changes only by
/// `Add{List}`/`Remove{List}` as the difference between the object's list and the desired one
/// ([`exchange_kinds::set_by_add_remove`]).
fn set_parameters(kind: &KindSpec, current: &Value, changes: &mut Map<String, Value>) {
    for required in exchange_kinds::set_requires(kind.name) {
        if !changes.contains_key(*required)
            && let Some(value) = current.get(*required).filter(|v| !v.is_null())
        {
            changes.insert((*required).to_string(), value.clone());
        }
    }
    for list in exchange_kinds::set_by_add_remove(kind.name) {
        let Some(desired) = changes.remove(*list) else {
            continue;
        };
        let items = |v: &Value| -> Vec<Value> {
            match v {
                Value::Array(a) => a.clone(),
                Value::Null => Vec::new(),
                one => vec![one.clone()],
            }
        };
        let (want, have) = (
            items(&desired),
            items(current.get(*list).unwrap_or(&Value::Null)),
        );
        let same = |a: &Value, b: &Value| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => a == b,
        };
        let add: Vec<Value> = want
            .iter()
            .filter(|w| !have.iter().any(|h| same(w, h)))
            .cloned()
            .collect();
        let remove: Vec<Value> = have
            .iter()
            .filter(|h| !want.iter().any(|w| same(w, h)))
            .cloned()
            .collect();
        if !add.is_empty() {
            changes.insert(format!("Add{list}"), Value::Array(add));
        }
        if !remove.is_empty() {
            changes.insert(format!("Remove{list}"), Value::Array(remove));
        }
    }
}

/// A family's rows as the kind sees them: one summary object for a kind that sums its family
/// up (the organisation's add-ins), the rows as the blueprint compares them otherwise
/// ([`exchange_kinds::read_rows`]: a label's parent by name).
fn summarised(kind: &KindSpec, rows: &[Value]) -> Vec<Value> {
    match exchange_kinds::summarise(kind.name, rows) {
        Some(mut summary) => {
            if let Some(map) = summary.as_object_mut() {
                let id = map.get("Identity").cloned().unwrap_or(Value::Null);
                map.insert("id".into(), id);
            }
            vec![summary]
        }
        None => exchange_kinds::read_rows(kind.name, rows),
    }
}

/// Whether a rule's desired `State` is `Enabled` (Exchange matches enumerations
/// case-insensitively).
fn is_enabled(state: &Value) -> bool {
    state
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Enabled"))
}

/// The answer a resource path stands for, from its family's rows: the object an identity
/// names, a singleton kind's one object, or the whole collection.
fn pick(
    kind: &KindSpec,
    noun: &str,
    id: Option<&str>,
    rows: &[Value],
) -> Result<Value, GraphError> {
    let found = match id {
        None if kind.is_singleton() => rows.first(),
        None => return Ok(json!({ "value": rows })),
        Some(id) => rows
            .iter()
            .find(|r| r["id"].as_str().is_some_and(|v| v.eq_ignore_ascii_case(id))),
    };
    found.cloned().ok_or_else(|| GraphError::Api {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_paths_route_to_their_cmdlet_family_and_the_rest_to_graph() {
        for graph in [
            "/identity/conditionalAccess/policies",
            "/beta/admin/forms",
            "/exchange/NoSuchNoun",
        ] {
            assert!(matches!(route(graph), Route::Graph), "{graph}");
        }
        match route("/exchange/RemoteDomain/Default") {
            Route::Exchange { kind, noun, id } => {
                assert_eq!(kind.name, "remoteDomain");
                assert_eq!(noun, "RemoteDomain");
                assert_eq!(id, Some("Default"));
            }
            other => panic!("{other:?}"),
        }
        match route("/exchange/OrganizationConfig") {
            Route::Exchange { kind, id, .. } => {
                assert!(kind.is_singleton());
                assert_eq!(id, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_path_picks_its_object_from_the_family() {
        let rows = vec![
            json!({"id": "Default", "Name": "Default"}),
            json!({"id": "Other"}),
        ];
        let remote = kinds::kind("remoteDomain").unwrap();
        assert_eq!(
            pick(remote, "RemoteDomain", Some("default"), &rows).unwrap()["id"],
            "Default"
        );
        assert_eq!(
            pick(remote, "RemoteDomain", None, &rows).unwrap()["value"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert!(
            pick(remote, "RemoteDomain", Some("Gone"), &rows)
                .unwrap_err()
                .is_not_found()
        );
        let org = kinds::kind("organizationConfig").unwrap();
        assert_eq!(
            pick(org, "OrganizationConfig", None, &rows).unwrap()["id"],
            "Default"
        );
    }
}
