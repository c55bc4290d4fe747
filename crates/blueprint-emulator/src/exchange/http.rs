//! The admin API's endpoints on the emulator's listener: `InvokeCommand` and `$batch` for
//! Exchange Online (`/adminapi/beta/{tenant}/…`) and for Security & Compliance
//! (`/compliance/{region}/adminapi/beta/{tenant}/…`), and Security & Compliance's discovery
//! (`/compliance/adminapi/beta/{tenant}/EXOBanner('AutogenSession')`, a redirect to the
//! regional endpoint).

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{
    COMPLIANCE_REGION, Endpoint, ExchangeError, authorise_at, check_management_role, execute,
};
use crate::Emulator;
use crate::faults::Fault;
use crate::graph::Caller;
use crate::http::{read_body, request_headers, request_id, simulate_latency};
use crate::kinds::ThrottleClass;
use crate::throttle::Metered;

/// Rows per page when the client names no `odata.maxpagesize` (the module asks for 1000).
const PAGE: usize = 1000;
/// Requests one `$batch` may hold.
const MAX_BATCH: usize = 20;

/// An answer before it becomes HTTP (a batch item is one too).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn error(e: &ExchangeError) -> Answer {
        let mut headers = e.headers.clone();
        headers.push(("X-ExceptionType".into(), short_type(e.exception).into()));
        Answer {
            status: e.status,
            headers,
            body: e.body(),
        }
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        let headers = builder.headers_mut().expect("builder has headers");
        let mut put = |name: &str, value: &str| {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
                headers.insert(n, v);
            }
        };
        put("request-id", &request_id());
        put(
            "content-type",
            "application/json;odata.metadata=minimal;charset=utf-8",
        );
        put("cache-control", "no-cache");
        for (k, v) in &self.headers {
            put(k, v);
        }
        builder
            .body(AxumBody::from(
                serde_json::to_vec(&self.body).unwrap_or_default(),
            ))
            .expect("valid response")
    }
}

fn short_type(exception: &str) -> &str {
    exception.rsplit('.').next().unwrap_or(exception)
}

/// The caller, from a bearer token for the endpoint's audience issued in the tenant the path
/// names.
fn authenticate(
    em: &Emulator,
    headers: &HeaderMap,
    tenant: &str,
    endpoint: Endpoint,
) -> Result<Caller, ExchangeError> {
    let unauthorised = |why: &str| {
        ExchangeError::new(
            401,
            "Microsoft.Exchange.Security.Authorization.UnauthorizedAccessException",
            why,
        )
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| unauthorised("The request carries no bearer token."))?;
    let caller = em
        .signer
        .verify_for(token.trim(), endpoint.resource())
        .map_err(|e| unauthorised(&e))?;
    let same = em.tenant(tenant).is_some_and(|t| {
        t.lock()
            .expect("tenant lock")
            .id
            .eq_ignore_ascii_case(&caller.tenant_id)
    });
    if !same {
        return Err(unauthorised(
            "The token was issued for another organization than the one in the request path.",
        ));
    }
    Ok(caller)
}

/// The anchor mailbox routes the request to the organisation's backend; without it Exchange
/// answers 404 (`real-tenant-and-exchange.md` §2a).
fn anchored(headers: &dyn Fn(&str) -> Option<String>) -> Result<(), ExchangeError> {
    match headers("x-anchormailbox") {
        Some(a) if !a.trim().is_empty() => Ok(()),
        _ => Err(ExchangeError::new(
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "The request could not be routed: send X-AnchorMailbox (for app-only calls APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@{tenant}).",
        )),
    }
}

/// Charges one cmdlet to the tenant's Exchange budget (off under `--throttle off`): a 429 in
/// Exchange's error shape with `Retry-After` in seconds, the sentence ExoHelper recognises
/// as throttling.
fn admit(
    em: &Emulator,
    caller: &Caller,
    tenant_key: &str,
    cmdlet: &str,
) -> Result<(), ExchangeError> {
    let Some(size) = em
        .tenant(tenant_key)
        .map(|t| t.lock().expect("tenant lock").size)
    else {
        return Ok(());
    };
    em.throttle
        .admit(&Metered {
            class: ThrottleClass::Exchange,
            tenant_id: &caller.tenant_id,
            app_id: &caller.app_id,
            size,
            write: !cmdlet.starts_with("Get-"),
            cost: 1.0,
        })
        .map(|_| ())
        .map_err(|throttled| {
            let mut e = ExchangeError::new(
                429,
                "Microsoft.Exchange.Net.TransientException",
                "You have reached the maximum number of concurrent requests per tenant. Please wait and try again.",
            );
            e.headers = throttled
                .headers
                .into_iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                .collect();
            e
        })
}

/// One cmdlet request: validation, permission, throttling, fault plan, execution, paging.
/// `base` is where the endpoint's `/adminapi/…` paths start.
#[allow(clippy::too_many_arguments)]
fn run_command(
    em: &Emulator,
    endpoint: Endpoint,
    caller: &Caller,
    tenant_key: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &Value,
    query: &str,
    base: &str,
) -> Answer {
    if let Err(e) = anchored(header) {
        return Answer::error(&e);
    }
    let input = &body["CmdletInput"];
    let Some(cmdlet) = input["CmdletName"].as_str() else {
        return Answer::error(&ExchangeError::new(
            400,
            "Microsoft.Exchange.Admin.OData.Core.ODataException",
            "The request body must be {\"CmdletInput\":{\"CmdletName\":…,\"Parameters\":{…}}}.",
        ));
    };
    let parameters = match &input["Parameters"] {
        Value::Object(p) => p.clone(),
        Value::Null => Map::new(),
        _ => {
            return Answer::error(&ExchangeError::new(
                400,
                "Microsoft.Exchange.Admin.OData.Core.ODataException",
                "CmdletInput.Parameters must be an object.",
            ));
        }
    };
    if let Err(e) = authorise_at(endpoint, caller, cmdlet) {
        return Answer::error(&e);
    }
    if !endpoint.has(cmdlet) {
        return Answer::error(&ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!(
                "The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program."
            ),
        ));
    }
    if let Err(e) = admit(em, caller, tenant_key, cmdlet) {
        return Answer::error(&e);
    }
    let fault = em.with_rng(|rng| em.faults.draw("POST", rng));
    let fault = if em.take_refusal_of(cmdlet) {
        Fault::ResetBefore
    } else {
        fault
    };
    let lose_answer = match fault {
        Fault::Reject(err) => {
            let mut e = ExchangeError::new(
                err.status,
                "Microsoft.Exchange.Net.TransientException",
                err.message,
            );
            e.headers = err.headers;
            return Answer::error(&e);
        }
        Fault::ResetBefore => {
            return Answer::error(&ExchangeError::new(
                503,
                "Microsoft.Exchange.Net.TransientException",
                "The service is temporarily unavailable.",
            ));
        }
        Fault::LoseAfterCommit(_) | Fault::ResetAfterCommit => true,
        Fault::None => false,
    };
    let Some(tenant) = em.tenant(tenant_key) else {
        return Answer::error(&ExchangeError::new(
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            format!("The organization '{tenant_key}' couldn't be found."),
        ));
    };
    let result = {
        let mut tenant = tenant.lock().expect("tenant lock");
        check_management_role(&tenant, &caller.app_id, cmdlet)
            .and_then(|()| em.with_rng(|rng| execute(&mut tenant, cmdlet, &parameters, rng)))
    };
    let rows = match result {
        Ok(rows) => rows,
        Err(e) => return Answer::error(&e),
    };
    if !cmdlet.starts_with("Get-") {
        em.mark_dirty();
    }
    let lost_create = (cmdlet.starts_with("New-") && em.take_lost_create_answer())
        || em.take_lost_answer_to(cmdlet);
    if lose_answer || lost_create {
        // The change is made; the answer is lost on the way back.
        return Answer::error(&ExchangeError::new(
            500,
            "Microsoft.Exchange.Net.TransientException",
            "An internal server error occurred.",
        ));
    }
    let page = header("prefer")
        .and_then(|p| {
            p.split([',', ';']).find_map(|part| {
                part.trim()
                    .strip_prefix("odata.maxpagesize=")
                    .map(str::to_string)
            })
        })
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PAGE);
    let skip = query
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix("$skiptoken=")
                .or_else(|| kv.strip_prefix("%24skiptoken="))
        })
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let shown: Vec<Value> = rows.iter().skip(skip).take(page).cloned().collect();
    let mut out = json!({
        "@odata.context": format!("{base}/adminapi/beta/{tenant_key}/$metadata#Collection(Exchange.GenericHashTable)"),
        "value": shown,
    });
    if skip + page < rows.len() {
        out["@odata.nextLink"] = json!(format!(
            "{base}/adminapi/beta/{tenant_key}/InvokeCommand?$skiptoken={}",
            skip + page
        ));
    }
    Answer {
        status: 200,
        headers: Vec::new(),
        body: out,
    }
}

fn base_url(headers: &HeaderMap, req: &Request) -> String {
    let conn = req.extensions().get::<crate::http::ConnInfo>().cloned();
    crate::http::origin(headers, conn.as_ref()).base_url
}

/// What both endpoints check first, in Exchange's order: the method (POST only), the caller's
/// token, then the body, read as JSON (`null` when it is not, so the cmdlet's own validation
/// answers).
async fn posted(
    em: &Emulator,
    headers: &HeaderMap,
    tenant: &str,
    req: Request,
    what: &str,
    endpoint: Endpoint,
) -> Result<(Caller, Value), ExchangeError> {
    if req.method() != Method::POST {
        return Err(ExchangeError::new(
            405,
            "Microsoft.Exchange.Admin.OData.Core.ODataException",
            format!("{what} accepts POST only."),
        ));
    }
    let caller = authenticate(em, headers, tenant, endpoint)?;
    let (_, bytes) = read_body(em, req)
        .await
        .map_err(|e| ExchangeError::new(e.status, "System.IO.InvalidDataException", e.message))?;
    Ok((
        caller,
        serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
    ))
}

/// `POST /adminapi/beta/{tenant}/InvokeCommand`.
pub async fn invoke_endpoint(
    State(em): State<Arc<Emulator>>,
    Path(tenant): Path<String>,
    req: Request,
) -> Response {
    invoke(em, Endpoint::Exchange, tenant, req, "").await
}

/// `POST /compliance/{region}/adminapi/beta/{tenant}/InvokeCommand`: Security & Compliance.
pub async fn compliance_invoke_endpoint(
    State(em): State<Arc<Emulator>>,
    Path((region, tenant)): Path<(String, String)>,
    req: Request,
) -> Response {
    match regional_prefix(&region) {
        Some(prefix) => invoke(em, Endpoint::Compliance, tenant, req, &prefix).await,
        None => wrong_region(&region),
    }
}

/// The path prefix of the regional Security & Compliance endpoint: only the region discovery
/// names has one.
fn regional_prefix(region: &str) -> Option<String> {
    region
        .eq_ignore_ascii_case(COMPLIANCE_REGION)
        .then(|| format!("/compliance/{region}"))
}

/// A region other than the one discovery names: Microsoft's hosts would not resolve.
fn wrong_region(region: &str) -> Response {
    Answer::error(&ExchangeError::new(
        404,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        format!(
            "There is no Security & Compliance endpoint in region '{region}': ask EXOBanner('AutogenSession') where the tenant's is."
        ),
    ))
    .into_response()
}

async fn invoke(
    em: Arc<Emulator>,
    endpoint: Endpoint,
    tenant: String,
    req: Request,
    prefix: &str,
) -> Response {
    let headers = request_headers(&req);
    let query = req.uri().query().unwrap_or("").to_string();
    let base = format!("{}{prefix}", base_url(&headers, &req));
    simulate_latency(&em).await;
    let answer = async {
        let (caller, body) =
            match posted(&em, &headers, &tenant, req, "InvokeCommand", endpoint).await {
                Ok(posted) => posted,
                Err(e) => return Answer::error(&e),
            };
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        run_command(
            &em, endpoint, &caller, &tenant, &header, &body, &query, &base,
        )
    }
    .await;
    em.metrics.record(
        "POST",
        match endpoint {
            Endpoint::Exchange => "/adminapi/beta/{tenant}/InvokeCommand",
            Endpoint::Compliance => "/compliance/{region}/adminapi/beta/{tenant}/InvokeCommand",
        },
        answer.status,
    );
    answer.into_response()
}

/// `GET /compliance/adminapi/beta/{tenant}/EXOBanner('AutogenSession')`: Security &
/// Compliance's discovery. A caller with a Security & Compliance token issued in the tenant is
/// redirected (302) to the tenant's regional endpoint; clients read the `Location` without
/// following it (`real-tenant-and-exchange.md` §2c).
pub async fn banner_endpoint(
    State(em): State<Arc<Emulator>>,
    Path((tenant, banner)): Path<(String, String)>,
    req: Request,
) -> Response {
    let headers = request_headers(&req);
    let base = base_url(&headers, &req);
    simulate_latency(&em).await;
    let answer = (|| {
        if !banner.eq_ignore_ascii_case("EXOBanner('AutogenSession')") {
            return Answer::error(&ExchangeError::new(
                404,
                "Microsoft.Exchange.Admin.OData.Core.ODataException",
                format!("No endpoint {banner} here."),
            ));
        }
        if req.method() != Method::GET {
            return Answer::error(&ExchangeError::new(
                405,
                "Microsoft.Exchange.Admin.OData.Core.ODataException",
                "EXOBanner accepts GET only.",
            ));
        }
        if let Err(e) = authenticate(&em, &headers, &tenant, Endpoint::Compliance) {
            return Answer::error(&e);
        }
        let query = req
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        Answer {
            status: 302,
            headers: vec![(
                "Location".into(),
                format!(
                    "{base}/compliance/{COMPLIANCE_REGION}/adminapi/beta/{tenant}/EXOBanner('AutogenSession'){query}"
                ),
            )],
            body: json!({}),
        }
    })();
    em.metrics.record(
        "GET",
        "/compliance/adminapi/beta/{tenant}/EXOBanner",
        answer.status,
    );
    answer.into_response()
}

/// `POST /adminapi/beta/{tenant}/$batch`: `{"requests":[{"id","method":"POST","url":…
/// InvokeCommand,"headers":{…},"body":{CmdletInput}}]}` → `{"responses":[{"id","status",
/// "headers","body"}]}`, each item run as if sent alone.
pub async fn batch_endpoint(
    State(em): State<Arc<Emulator>>,
    Path(tenant): Path<String>,
    req: Request,
) -> Response {
    batch(em, Endpoint::Exchange, tenant, req, "").await
}

/// `POST /compliance/{region}/adminapi/beta/{tenant}/$batch`: Security & Compliance.
pub async fn compliance_batch_endpoint(
    State(em): State<Arc<Emulator>>,
    Path((region, tenant)): Path<(String, String)>,
    req: Request,
) -> Response {
    match regional_prefix(&region) {
        Some(prefix) => batch(em, Endpoint::Compliance, tenant, req, &prefix).await,
        None => wrong_region(&region),
    }
}

async fn batch(
    em: Arc<Emulator>,
    endpoint: Endpoint,
    tenant: String,
    req: Request,
    prefix: &str,
) -> Response {
    let headers = request_headers(&req);
    let base = format!("{}{prefix}", base_url(&headers, &req));
    simulate_latency(&em).await;
    let answer = async {
        let (caller, body) = match posted(&em, &headers, &tenant, req, "$batch", endpoint).await {
            Ok(posted) => posted,
            Err(e) => return Answer::error(&e),
        };
        let Some(requests) = body["requests"].as_array() else {
            return Answer::error(&ExchangeError::new(
                400,
                "Microsoft.Exchange.Admin.OData.Core.ODataException",
                "The batch body must be {\"requests\":[…]}.",
            ));
        };
        if requests.len() > MAX_BATCH {
            return Answer::error(&ExchangeError::new(
                400,
                "Microsoft.Exchange.Admin.OData.Core.ODataException",
                format!("A batch may hold at most {MAX_BATCH} requests."),
            ));
        }
        let mut responses = Vec::new();
        for item in requests {
            let id = item["id"].clone();
            let url = item["url"].as_str().unwrap_or_default();
            let answer = if !item["method"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                || !url
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .ends_with("/InvokeCommand")
            {
                Answer::error(&ExchangeError::new(
                    400,
                    "Microsoft.Exchange.Admin.OData.Core.ODataException",
                    "Each batch request must be a POST to InvokeCommand.",
                ))
            } else {
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
                let item_headers = item["headers"].as_object().cloned().unwrap_or_default();
                let header = |name: &str| {
                    item_headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .and_then(|(_, v)| v.as_str().map(str::to_string))
                        .or_else(|| {
                            headers
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string)
                        })
                };
                run_command(
                    &em,
                    endpoint,
                    &caller,
                    &tenant,
                    &header,
                    &item["body"],
                    query,
                    &base,
                )
            };
            let item_headers: Map<String, Value> = answer
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            responses.push(json!({
                "id": id,
                "status": answer.status,
                "headers": item_headers,
                "body": answer.body,
            }));
        }
        Answer {
            status: 200,
            headers: Vec::new(),
            body: json!({ "responses": responses }),
        }
    }
    .await;
    em.metrics.record(
        "POST",
        match endpoint {
            Endpoint::Exchange => "/adminapi/beta/{tenant}/$batch",
            Endpoint::Compliance => "/compliance/{region}/adminapi/beta/{tenant}/$batch",
        },
        answer.status,
    );
    answer.into_response()
}
