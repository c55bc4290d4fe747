//! JSON batching (graph-notes §3): up to 20 requests in one envelope, `dependsOn` ordering
//! with 424 for dependants of a failed request, per-item status, headers and throttling.

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::error::GraphError;
use crate::graph::{Body, Caller, GraphRequest, GraphResponse, Origin};

const MAX_REQUESTS: usize = 20;

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

struct Item {
    id: String,
    request: GraphRequest,
    depends_on: Vec<String>,
}

fn parse(bytes: &[u8]) -> Result<Vec<Item>, GraphError> {
    let envelope: Value = serde_json::from_slice(bytes).map_err(|_| {
        bad("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
    })?;
    let Some(requests) = envelope.get("requests").and_then(Value::as_array) else {
        return Err(bad(
            "Invalid batch payload format: the body must be an object with a 'requests' array.",
        ));
    };
    if requests.is_empty() {
        return Err(bad("Invalid batch payload format: 'requests' is empty."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(bad(format!(
            "Invalid batch payload format: the number of requests ({}) exceeds the limit of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for (i, r) in requests.iter().enumerate() {
        let id = match &r["id"] {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(bad(format!(
                    "Invalid batch payload format: request {} has no 'id'.",
                    i + 1
                )));
            }
        };
        if !seen.insert(id.clone()) {
            return Err(bad(format!(
                "Invalid batch payload format: the request id '{id}' is used more than once."
            )));
        }
        let method = r["method"]
            .as_str()
            .ok_or_else(|| {
                bad(format!(
                    "Invalid batch payload format: request '{id}' has no 'method'."
                ))
            })?
            .to_ascii_uppercase();
        let url = r["url"].as_str().ok_or_else(|| {
            bad(format!(
                "Invalid batch payload format: request '{id}' has no 'url'."
            ))
        })?;
        if url.contains("://") {
            return Err(bad(format!(
                "Invalid batch payload format: request '{id}' must use a URL relative to the version, such as '/groups'."
            )));
        }
        // Step URLs are relative to the version: `/v1.0/groups` names a segment 'v1.0',
        // which Graph answers with 400 (a known trap of SDK batch helpers).
        let relative = url.trim_start_matches('/');
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        let headers: Vec<(String, String)> = r["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| {
                        (
                            k.to_ascii_lowercase(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let body = match r.get("body") {
            None | Some(Value::Null) => None,
            Some(b) => {
                if !headers.iter().any(|(k, _)| k == "content-type") {
                    return Err(bad(format!(
                        "Invalid batch payload format: request '{id}' has a body but no 'Content-Type' header."
                    )));
                }
                Some(b.clone())
            }
        };
        let depends_on = match &r["dependsOn"] {
            Value::Null => Vec::new(),
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => {
                return Err(bad(format!(
                    "Invalid batch payload format: 'dependsOn' of '{id}' must be an array."
                )));
            }
        };
        for d in &depends_on {
            if !seen.contains(d) || d == &id {
                return Err(bad(format!(
                    "Invalid batch payload format: request '{id}' depends on '{d}', which is not an earlier request in the batch."
                )));
            }
        }
        items.push(Item {
            id,
            request: GraphRequest {
                method,
                path: path.to_string(),
                query: query.to_string(),
                headers,
                body,
            },
            depends_on,
        });
    }
    Ok(items)
}

fn item_json(id: &str, resp: GraphResponse) -> Value {
    let mut headers = Map::new();
    for (k, v) in resp.headers {
        headers.insert(k, Value::String(v));
    }
    let mut item = Map::new();
    item.insert("id".into(), json!(id));
    item.insert("status".into(), json!(resp.status));
    match resp.body {
        Body::Json(v) => {
            headers.insert(
                "Content-Type".into(),
                json!("application/json; charset=utf-8"),
            );
            item.insert("headers".into(), Value::Object(headers));
            item.insert("body".into(), v);
        }
        Body::Text(t) => {
            headers.insert("Content-Type".into(), json!("text/plain"));
            item.insert("headers".into(), Value::Object(headers));
            item.insert("body".into(), Value::String(t));
        }
        Body::Empty => {
            item.insert("headers".into(), Value::Object(headers));
        }
    }
    Value::Object(item)
}

/// Runs a batch envelope; the outer response is 200 whenever the envelope parses.
/// Runs a `$batch` envelope. `version` is the batch's own version when it is not v1.0 (`beta`):
/// its items' URLs are relative to it.
pub fn run(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    bytes: &[u8],
    version: Option<&str>,
) -> Result<Value, GraphError> {
    let mut items = parse(bytes)?;
    if let Some(version) = version {
        for item in &mut items {
            item.request.path = format!("{version}/{}", item.request.path);
        }
    }
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for item in items {
        let failed_parent = item
            .depends_on
            .iter()
            .find(|d| statuses.get(*d).is_none_or(|s| *s >= 400));
        let rid = crate::http::request_id();
        let resp = match failed_parent {
            Some(parent) => {
                let err = GraphError::new(
                    424,
                    "FailedDependency",
                    format!("The request depends on request '{parent}', which failed."),
                );
                GraphResponse::error(&err, &rid, &rid)
            }
            None => match crate::http::run_one(em, caller, origin, &item.request, false, &rid) {
                Ok(r) => r,
                Err((r, _)) => r,
            },
        };
        // Each item is a Graph request in its own right (throttling counts them so too).
        em.metrics.record(
            &item.request.method,
            &crate::http::route_label(&item.request.path),
            resp.status,
        );
        statuses.insert(item.id.clone(), resp.status);
        responses.push(item_json(&item.id, resp));
    }
    // Graph returns items in no particular order; so does the emulator.
    em.with_rng(|rng| responses.shuffle(rng));
    Ok(json!({"responses": responses}))
}
