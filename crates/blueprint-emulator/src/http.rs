//! The HTTP face of the emulator: the token service, Graph under `/v1.0`, and the operator's
//! introspection under `/_emulator` (never under `/v1.0`, so no client mistakes it for Graph).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body as AxumBody, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine;
use serde_json::{Value, json};

use crate::Emulator;
use crate::auth::{self, TokenError};
use crate::error::GraphError;
use crate::faults::Fault;
use crate::graph::{Body, Caller, GraphRequest, GraphResponse, Origin};
use crate::kinds::Kind;
use crate::throttle::{Metered, identity_cost};

/// Facts about the connection a request came in on, set by the server.
#[derive(Clone)]
pub struct ConnInfo {
    pub https: bool,
    /// Dropping the connection: the server's connection task waits on this.
    pub kill: Arc<tokio::sync::Notify>,
}

/// The emulator's routes, without a socket (tests can drive it with `tower::ServiceExt`).
pub fn app(emulator: Arc<Emulator>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize).post(authorize_sign_in),
        )
        .route("/_emulator/devicecode/approve", post(approve_device_code))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(jwks))
        .route("/common/discovery/instance", get(instance_discovery))
        .route("/v1.0/$batch", any(batch_endpoint))
        .route("/v1.0/{*path}", any(graph_endpoint))
        .route("/v1.0", any(graph_root))
        .route("/beta/$batch", any(beta_batch_endpoint))
        .route("/beta/{*path}", any(beta_graph_endpoint))
        .route("/beta", any(graph_root))
        .route(
            "/adminapi/beta/{tenant}/InvokeCommand",
            any(crate::exchange::invoke_endpoint),
        )
        .route(
            "/adminapi/beta/{tenant}/$batch",
            any(crate::exchange::batch_endpoint),
        )
        .route(
            "/compliance/adminapi/beta/{tenant}/{banner}",
            any(crate::exchange::banner_endpoint),
        )
        .route(
            "/compliance/{region}/adminapi/beta/{tenant}/InvokeCommand",
            any(crate::exchange::compliance_invoke_endpoint),
        )
        .route(
            "/compliance/{region}/adminapi/beta/{tenant}/$batch",
            any(crate::exchange::compliance_batch_endpoint),
        )
        .route("/_emulator/requests", get(requests))
        .route("/_emulator/state", get(state_dump))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/dns", get(dns_zone).put(dns_zone))
        .route("/_emulator/health", get(|| async { "ok" }))
        // Browsers ask every host for an icon; the sign-in page has none to give.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .fallback(not_found)
        .with_state(emulator)
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(1);

/// A request id in GUID form that needs no locking (ids must not disturb the seeded random
/// source, or fault plans would stop being reproducible).
pub(crate) fn request_id() -> String {
    let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        pid,
        (n >> 48) & 0xffff,
        (n >> 36) & 0xfff,
        (n >> 24) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// The request's headers, with `host` filled in from the URI's authority when the request came
/// over HTTP/2 (which carries the host and port as `:authority`, not as a `Host` header), so
/// links built from it keep the port.
pub(crate) fn request_headers(req: &Request) -> HeaderMap {
    let mut headers = req.headers().clone();
    if !headers.contains_key("host")
        && let Some(authority) = req.uri().authority()
        && let Ok(value) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert("host", value);
    }
    headers
}

pub(crate) fn origin(headers: &HeaderMap, conn: Option<&ConnInfo>) -> Origin {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if conn.is_some_and(|c| c.https) {
        "https"
    } else {
        "http"
    };
    Origin {
        base_url: format!("{scheme}://{host}"),
    }
}

pub(crate) fn http_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap_or_default()
}

fn to_http(resp: GraphResponse, request_id: &str, client_request_id: &str) -> Response {
    let mut builder = Response::builder().status(resp.status);
    let headers = builder.headers_mut().expect("builder has headers");
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
            headers.insert(n, v);
        }
    };
    put("request-id", request_id);
    put("client-request-id", client_request_id);
    put("date", &http_date());
    put("cache-control", "no-cache");
    for (k, v) in &resp.headers {
        put(k, v);
    }
    let body = match resp.body {
        Body::Empty => AxumBody::empty(),
        Body::Json(v) => {
            put(
                "content-type",
                "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
            );
            put("odata-version", "4.0");
            AxumBody::from(serde_json::to_vec(&v).unwrap_or_default())
        }
        Body::Text(t) => {
            put("content-type", "text/plain");
            AxumBody::from(t)
        }
    };
    builder.body(body).expect("valid response")
}

fn client_request_id(headers: &HeaderMap) -> String {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(request_id)
}

fn graph_error_response(err: &GraphError, headers: &HeaderMap) -> Response {
    let rid = request_id();
    let crid = client_request_id(headers);
    let mut resp = to_http(GraphResponse::error(err, &rid, &crid), &rid, &crid);
    if err.status == 401 {
        resp.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
    }
    resp
}

/// Establishes the caller from the bearer token, as Graph does before anything else.
fn authenticate(em: &Emulator, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(GraphError::unauthenticated("Access token is empty."));
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    else {
        return Err(GraphError::unauthenticated(
            "Access token validation failure: the Authorization header must use the Bearer scheme.",
        ));
    };
    if token.split('.').count() != 3 {
        return Err(GraphError::unauthenticated(
            "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format.",
        ));
    }
    let caller = em.signer.verify(token.trim()).map_err(|e| {
        GraphError::unauthenticated(format!("Access token validation failure. {e}"))
    })?;
    if em.tenant(&caller.tenant_id).is_none() {
        return Err(GraphError::unauthenticated(
            "Access token validation failure. The token was issued for a tenant this service does not know.",
        ));
    }
    Ok(caller)
}

/// A route label for metrics: the resource path with ids replaced.
pub(crate) fn route_label(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(label) = crate::role_policies::route_label(&segs) {
        return label;
    }
    match Kind::route(&segs) {
        Some((kind, rest)) => {
            let mut label = format!("/{}/{}", kind.version(), kind.path);
            for (i, seg) in rest.iter().enumerate() {
                if i == 0 && !seg.starts_with('$') {
                    label.push_str("/{id}");
                } else {
                    label.push('/');
                    label.push_str(seg);
                }
            }
            label
        }
        None => format!("/v1.0/{}", segs.first().copied().unwrap_or("")),
    }
}

fn throttle_class(path: &str) -> crate::kinds::ThrottleClass {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Kind::route(&segs)
        .map(|(k, _)| k.throttle)
        .unwrap_or(crate::kinds::ThrottleClass::Identity)
}

/// Throttling for one request (or batch item).
fn admit(
    em: &Emulator,
    caller: &Caller,
    req: &GraphRequest,
) -> Result<Vec<(String, String)>, GraphError> {
    let Some(tenant) = em.tenant(&caller.tenant_id) else {
        return Ok(Vec::new());
    };
    let size = tenant.lock().expect("tenant lock").size;
    let write = !req.method.eq_ignore_ascii_case("GET");
    em.throttle.admit(&Metered {
        class: throttle_class(&req.path),
        tenant_id: &caller.tenant_id,
        app_id: &caller.app_id,
        size,
        write,
        cost: identity_cost(&req.method, &req.path, &req.query),
    })
}

/// Runs one request through throttling, the fault plan and Graph. `Err(())` means the
/// connection must be dropped (after the work, when it was committed).
pub(crate) fn run_one(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    allow_reset: bool,
    rid: &str,
) -> Result<GraphResponse, (GraphResponse, bool)> {
    let rid = rid.to_string();
    let crid = req
        .header("client-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| rid.clone());
    let fault = em.with_rng(|rng| em.faults.draw(&req.method, rng));
    let fault = match fault {
        Fault::ResetBefore if !allow_reset => Fault::Reject(GraphError::new(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        )),
        Fault::ResetAfterCommit if !allow_reset => Fault::LoseAfterCommit(GraphError::new(
            500,
            "generalException",
            "An internal server error occurred.",
        )),
        f => f,
    };
    // `METHOD /path`, as the emulator's targeted faults name a request.
    let target = format!(
        "{} /{}",
        req.method.to_ascii_uppercase(),
        req.path.trim_start_matches('/')
    );
    let fault = if em.take_refusal_of(&target) {
        Fault::Reject(GraphError::new(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        ))
    } else {
        fault
    };
    match &fault {
        Fault::Reject(err) => return Ok(GraphResponse::error(err, &rid, &crid)),
        Fault::ResetBefore => return Err((GraphResponse::empty(0), false)),
        _ => {}
    }
    let mut throttle_headers = match admit(em, caller, req) {
        Ok(h) => h,
        Err(err) => return Ok(GraphResponse::error(&err, &rid, &crid)),
    };
    let mut resp = match crate::graph::execute(em, caller, origin, req) {
        Ok(r) => r,
        Err(err) => GraphResponse::error(&err, &rid, &crid),
    };
    resp.headers.append(&mut throttle_headers);
    let committed = resp.status < 400;
    if committed
        && ((is_create(req) && em.take_lost_create_answer()) || em.take_lost_answer_to(&target))
    {
        return Ok(GraphResponse::error(
            &GraphError::new(
                500,
                "generalException",
                "An internal server error occurred.",
            ),
            &rid,
            &crid,
        ));
    }
    match fault {
        Fault::LoseAfterCommit(err) if committed => Ok(GraphResponse::error(&err, &rid, &crid)),
        Fault::ResetAfterCommit if committed => Err((resp, true)),
        _ => Ok(resp),
    }
}

/// A POST to a collection (not an action such as `/assign`).
fn is_create(req: &GraphRequest) -> bool {
    if !req.method.eq_ignore_ascii_case("POST") {
        return false;
    }
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    matches!(Kind::route(&segs), Some((kind, [])) if kind.shape == crate::kinds::Shape::Collection)
}

pub(crate) async fn read_body(
    em: &Emulator,
    req: Request,
) -> Result<(axum::http::request::Parts, Bytes), GraphError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, em.max_body_bytes)
        .await
        .map_err(|_| {
            GraphError::new(
                413,
                "RequestEntityTooLarge",
                format!(
                    "The request body is larger than the {} bytes this service accepts.",
                    em.max_body_bytes
                ),
            )
        })?;
    Ok((parts, bytes))
}

fn parse_json_body(bytes: &Bytes) -> Result<Option<Value>, GraphError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|_| {
        GraphError::invalid_request_body(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    })
}

pub(crate) async fn simulate_latency(em: &Emulator) {
    if let Some(d) = em.with_rng(|rng| em.faults.latency(rng)) {
        tokio::time::sleep(d).await;
    }
}

async fn graph_root(State(em): State<Arc<Emulator>>, headers: HeaderMap) -> Response {
    em.metrics.record("ANY", "/v1.0", 400);
    graph_error_response(
        &GraphError::new(
            400,
            "BadRequest",
            "Invalid version: the request must name a resource under /v1.0/.",
        ),
        &headers,
    )
}

async fn graph_endpoint(
    State(em): State<Arc<Emulator>>,
    Path(path): Path<String>,
    req: Request,
) -> Response {
    // A first segment `beta` under /v1.0 names nothing (beta kinds live under /beta/).
    if path.split('/').next() == Some(crate::kinds::BETA) {
        em.metrics.record(req.method().as_str(), "/v1.0/beta", 400);
        return graph_error_response(
            &GraphError::unknown_segment(crate::kinds::BETA),
            req.headers(),
        );
    }
    versioned_graph_endpoint(em, path, req).await
}

/// Graph under `/beta/`: the path keeps its version as its first segment, which routes it to
/// the beta kinds.
async fn beta_graph_endpoint(
    State(em): State<Arc<Emulator>>,
    Path(path): Path<String>,
    req: Request,
) -> Response {
    versioned_graph_endpoint(em, format!("{}/{path}", crate::kinds::BETA), req).await
}

async fn versioned_graph_endpoint(em: Arc<Emulator>, path: String, req: Request) -> Response {
    let method = req.method().clone();
    let route = route_label(&path);
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = request_headers(&req);
    simulate_latency(&em).await;
    let resp = graph_inner(
        &em,
        method.as_str(),
        &path,
        &query,
        &headers,
        conn.as_ref(),
        req,
    )
    .await;
    em.metrics
        .record(method.as_str(), &route, resp.status().as_u16());
    resp
}

async fn graph_inner(
    em: &Emulator,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    conn: Option<&ConnInfo>,
    req: Request,
) -> Response {
    if !matches!(method, "GET" | "POST" | "PATCH" | "DELETE" | "PUT") {
        return graph_error_response(&GraphError::method_not_allowed(), headers);
    }
    let caller = match authenticate(em, headers) {
        Ok(c) => c,
        Err(err) => return graph_error_response(&err, headers),
    };
    let (_, bytes) = match read_body(em, req).await {
        Ok(x) => x,
        Err(err) => return graph_error_response(&err, headers),
    };
    let body = match parse_json_body(&bytes) {
        Ok(b) => b,
        Err(err) => return graph_error_response(&err, headers),
    };
    let crid = client_request_id(headers);
    let mut greq = GraphRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body,
    };
    if greq.header("client-request-id").is_none() {
        greq.headers
            .push(("client-request-id".into(), crid.clone()));
    }
    let origin = origin(headers, conn);
    let rid = request_id();
    match run_one(em, &caller, &origin, &greq, conn.is_some(), &rid) {
        Ok(resp) => to_http(resp, &rid, &crid),
        Err(_) => match conn {
            Some(c) => {
                c.kill.notify_one();
                // The connection task drops the connection; no response may get out first.
                std::future::pending::<Response>().await
            }
            None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
    }
}

async fn batch_endpoint(State(em): State<Arc<Emulator>>, req: Request) -> Response {
    versioned_batch_endpoint(em, None, req).await
}

async fn beta_batch_endpoint(State(em): State<Arc<Emulator>>, req: Request) -> Response {
    versioned_batch_endpoint(em, Some(crate::kinds::BETA), req).await
}

/// `$batch` of one version: its items' URLs are relative to it.
async fn versioned_batch_endpoint(
    em: Arc<Emulator>,
    version: Option<&'static str>,
    req: Request,
) -> Response {
    let headers = request_headers(&req);
    let conn = req.extensions().get::<ConnInfo>().cloned();
    simulate_latency(&em).await;
    let resp = async {
        if req.method() != Method::POST {
            return graph_error_response(&GraphError::method_not_allowed(), &headers);
        }
        let caller = match authenticate(&em, &headers) {
            Ok(c) => c,
            Err(err) => return graph_error_response(&err, &headers),
        };
        let (_, bytes) = match read_body(&em, req).await {
            Ok(x) => x,
            Err(err) => return graph_error_response(&err, &headers),
        };
        let origin = origin(&headers, conn.as_ref());
        match crate::batch::run(&em, &caller, &origin, &bytes, version) {
            Ok(v) => {
                let rid = request_id();
                to_http(
                    GraphResponse::json(200, v),
                    &rid,
                    &client_request_id(&headers),
                )
            }
            Err(err) => graph_error_response(&err, &headers),
        }
    }
    .await;
    em.metrics.record(
        "POST",
        &format!("/{}/$batch", version.unwrap_or("v1.0")),
        resp.status().as_u16(),
    );
    resp
}

fn token_error_response(err: &TokenError, authority: &str) -> Response {
    let trace = request_id();
    let correlation = request_id();
    let body = err.body(authority, &trace, &correlation);
    let mut resp = (
        StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response();
    resp.headers_mut().insert(
        "x-ms-request-id",
        HeaderValue::from_str(&trace).expect("ascii id"),
    );
    resp
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        urlencoding::decode(&s.replace('+', " "))
            .map(|c| c.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

async fn token(
    State(em): State<Arc<Emulator>>,
    Path(tenant_key): Path<String>,
    req: Request,
) -> Response {
    let headers = request_headers(&req);
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(&headers, conn.as_ref()).base_url;
    let resp = token_inner(&em, &tenant_key, &headers, &authority, req).await;
    em.metrics.record(
        "POST",
        "/{tenant}/oauth2/v2.0/token",
        resp.status().as_u16(),
    );
    resp
}

async fn token_inner(
    em: &Emulator,
    tenant_key: &str,
    headers: &HeaderMap,
    authority: &str,
    req: Request,
) -> Response {
    let Some(tenant) = em.tenant(tenant_key) else {
        let err = TokenError {
            status: 400,
            error: "invalid_request",
            code: 90002,
            description: format!(
                "Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        };
        return token_error_response(&err, authority);
    };
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (_, bytes) = match read_body(em, req).await {
        Ok(x) => x,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        let err = TokenError {
            status: 400,
            error: "invalid_request",
            code: 900144,
            description: "The request body must contain the following parameter: 'grant_type'. The token endpoint takes an application/x-www-form-urlencoded body.".into(),
        };
        return token_error_response(&err, authority);
    }
    let form: HashMap<String, String> = url_form(&bytes);
    let t = tenant.lock().expect("tenant lock").clone();
    let endpoints: Vec<String> = std::iter::once(t.id.as_str())
        .chain(t.domains.iter().map(String::as_str))
        .chain(std::iter::once(tenant_key))
        .flat_map(|k| {
            [
                format!("{authority}/{k}/oauth2/v2.0/token"),
                format!("{authority}/{k}/oauth2/token"),
                format!("{authority}/{k}/v2.0"),
            ]
        })
        .collect();
    let delegated = match form.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            Some(crate::signin::poll_device_code(em, &t, &form))
        }
        Some("authorization_code") => Some(crate::signin::redeem_code(em, &t, &form)),
        _ => None,
    };
    if let Some(result) = delegated {
        return match result {
            Ok(delegation) => delegated_token(em, &t, &delegation, authority),
            Err(err) => token_error_response(&err, authority),
        };
    }
    match auth::authenticate(
        &em.signer,
        &t,
        &form,
        basic_credentials(headers),
        &endpoints,
    ) {
        Ok(grant) => {
            let uti = request_id();
            match em.signer.issue(
                &t,
                &grant.app,
                grant.resource,
                em.token_lifetime_secs,
                grant.via_certificate,
                uti,
            ) {
                Ok(access_token) => axum::Json(json!({
                    "token_type": "Bearer",
                    "expires_in": em.token_lifetime_secs,
                    "ext_expires_in": em.token_lifetime_secs,
                    "access_token": access_token
                }))
                .into_response(),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
            }
        }
        Err(err) => token_error_response(&err, authority),
    }
}

/// The token answer for a signed-in user.
fn delegated_token(
    em: &Emulator,
    t: &crate::tenant::Tenant,
    d: &crate::signin::Delegation,
    authority: &str,
) -> Response {
    let client = match crate::signin::public_client_name(t, &d.client_id) {
        Ok(name) => name,
        Err(err) => return token_error_response(&err, authority),
    };
    let Some(user) = t.find(Kind::by_entity("user"), &d.user_id) else {
        let err = TokenError {
            status: 400,
            error: "invalid_grant",
            code: 50034,
            description: "The user account does not exist in the directory.".into(),
        };
        return token_error_response(&err, authority);
    };
    let user = crate::signin::signed_in(user);
    let id_token = match &d.id_token {
        Some(request) => match em.signer.issue_id_token(
            t,
            &d.client_id,
            &user,
            request.nonce.as_deref(),
            authority,
            em.token_lifetime_secs,
        ) {
            Ok(token) => Some(token),
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
        },
        None => None,
    };
    match em.signer.issue_delegated(
        t,
        &d.client_id,
        &client,
        &user,
        d.resource,
        &d.scopes,
        em.token_lifetime_secs,
        request_id(),
    ) {
        Ok(access_token) => {
            let mut answer = json!({
                "token_type": "Bearer",
                "scope": d.scopes.iter().map(|s| format!("{}/{s}", d.resource)).collect::<Vec<_>>().join(" "),
                "expires_in": em.token_lifetime_secs,
                "ext_expires_in": em.token_lifetime_secs,
                "access_token": access_token
            });
            if let Some(id_token) = id_token {
                answer["id_token"] = Value::String(id_token);
            }
            axum::Json(answer).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// The tenant a sign-in route names, or Entra's error.
fn sign_in_tenant(
    em: &Emulator,
    tenant_key: &str,
    authority: &str,
) -> Result<crate::tenant::Tenant, Box<Response>> {
    match em.tenant(tenant_key) {
        Some(t) => Ok(t.lock().expect("tenant lock").clone()),
        None => {
            let err = TokenError {
                status: 400,
                error: "invalid_request",
                code: 90002,
                description: format!(
                    "Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
            };
            Err(Box::new(token_error_response(&err, authority)))
        }
    }
}

async fn devicecode(
    State(em): State<Arc<Emulator>>,
    Path(tenant_key): Path<String>,
    req: Request,
) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(req.headers(), conn.as_ref()).base_url;
    let resp = async {
        let t = match sign_in_tenant(&em, &tenant_key, &authority) {
            Ok(t) => t,
            Err(resp) => return *resp,
        };
        let Ok((_, bytes)) = read_body(&em, req).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        };
        match crate::signin::start_device_code(&em, &t, &url_form(&bytes), &authority) {
            Ok(v) => axum::Json(v).into_response(),
            Err(err) => token_error_response(&err, &authority),
        }
    }
    .await;
    em.metrics.record(
        "POST",
        "/{tenant}/oauth2/v2.0/devicecode",
        resp.status().as_u16(),
    );
    resp
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "text/html; charset=utf-8")], body).into_response()
}

async fn authorize(
    State(em): State<Arc<Emulator>>,
    Path(tenant_key): Path<String>,
    req: Request,
) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(req.headers(), conn.as_ref()).base_url;
    let query = url_form(req.uri().query().unwrap_or("").as_bytes());
    let resp = match sign_in_tenant(&em, &tenant_key, &authority) {
        Err(resp) => *resp,
        Ok(t) => match crate::signin::check_authorize(&t, &query) {
            Ok(client) => html(
                StatusCode::OK,
                crate::signin::sign_in_page(&client, &query, None),
            ),
            Err(err) => token_error_response(&err, &authority),
        },
    };
    em.metrics.record(
        "GET",
        "/{tenant}/oauth2/v2.0/authorize",
        resp.status().as_u16(),
    );
    resp
}

/// The sign-in form's answer: a redirect to the client's loopback address with the code, or
/// the form again with what was wrong.
async fn authorize_sign_in(
    State(em): State<Arc<Emulator>>,
    Path(tenant_key): Path<String>,
    req: Request,
) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(req.headers(), conn.as_ref()).base_url;
    let resp = async {
        let t = match sign_in_tenant(&em, &tenant_key, &authority) {
            Ok(t) => t,
            Err(resp) => return *resp,
        };
        let Ok((_, bytes)) = read_body(&em, req).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        };
        let form = url_form(&bytes);
        let client = match crate::signin::check_authorize(&t, &form) {
            Ok(c) => c,
            Err(err) => return token_error_response(&err, &authority),
        };
        let username = form.get("username").cloned().unwrap_or_default();
        let password = form.get("password").cloned().unwrap_or_default();
        let Some(user) = crate::signin::check_password(&t, &username, &password) else {
            return html(
                StatusCode::OK,
                crate::signin::sign_in_page(
                    &client,
                    &form,
                    Some("Your account or password is incorrect."),
                ),
            );
        };
        match crate::signin::issue_code(&em, &t, &form, &user) {
            Ok(code) => {
                let redirect = form.get("redirect_uri").cloned().unwrap_or_default();
                let sep = if redirect.contains('?') { '&' } else { '?' };
                let mut location = format!("{redirect}{sep}code={}", urlencoding::encode(&code));
                if let Some(state) = form.get("state") {
                    location.push_str(&format!("&state={}", urlencoding::encode(state)));
                }
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header("location", location)
                    .body(AxumBody::empty())
                    .expect("valid redirect")
            }
            Err(err) => token_error_response(&err, &authority),
        }
    }
    .await;
    em.metrics.record(
        "POST",
        "/{tenant}/oauth2/v2.0/authorize",
        resp.status().as_u16(),
    );
    resp
}

/// The test hook for the device code flow: `{"user_code": "…", "user": "upn"}` approves the
/// sign-in as that user (`"decline": true` declines it).
async fn approve_device_code(State(em): State<Arc<Emulator>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            "expected JSON {\"user_code\", \"user\"}",
        )
            .into_response();
    };
    let code = v["user_code"].as_str().unwrap_or_default();
    let user = v["user"].as_str().unwrap_or_default();
    let decline = v["decline"].as_bool().unwrap_or(false);
    match crate::signin::approve_device_code(&em, code, user, decline) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e).into_response(),
    }
}

fn url_form(bytes: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(bytes);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                urlencoding::decode(&s.replace('+', " "))
                    .map(|c| c.into_owned())
                    .unwrap_or_default()
            };
            (decode(k), decode(v))
        })
        .collect()
}

async fn openid_configuration(
    State(em): State<Arc<Emulator>>,
    Path(tenant_key): Path<String>,
    req: Request,
) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(&request_headers(&req), conn.as_ref()).base_url;
    let status;
    let resp = match em.tenant(&tenant_key) {
        Some(t) => {
            let id = t.lock().expect("tenant lock").id.clone();
            status = 200;
            axum::Json(auth::openid_configuration(&authority, &id)).into_response()
        }
        None => {
            status = 400;
            let err = TokenError {
                status: 400,
                error: "invalid_tenant",
                code: 90002,
                description: format!("Tenant '{tenant_key}' not found."),
            };
            token_error_response(&err, &authority)
        }
    };
    em.metrics.record(
        "GET",
        "/{tenant}/v2.0/.well-known/openid-configuration",
        status,
    );
    resp
}

async fn jwks(State(em): State<Arc<Emulator>>) -> Response {
    em.metrics
        .record("GET", "/{tenant}/discovery/v2.0/keys", 200);
    axum::Json(em.signer.jwks()).into_response()
}

/// MSAL's instance discovery, for clients pointed at this authority.
async fn instance_discovery(req: Request) -> Response {
    let conn = req.extensions().get::<ConnInfo>().cloned();
    let authority = origin(&request_headers(&req), conn.as_ref()).base_url;
    let host = authority
        .split("://")
        .nth(1)
        .unwrap_or("127.0.0.1")
        .to_string();
    axum::Json(json!({
        "tenant_discovery_endpoint": format!("{authority}/common/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]
    }))
    .into_response()
}

async fn requests(State(em): State<Arc<Emulator>>) -> Response {
    let rows: Vec<Value> = em
        .metrics
        .snapshot()
        .into_iter()
        .map(|(method, route, status, count)| {
            json!({"method": method, "route": route, "status": status, "count": count})
        })
        .collect();
    let total: u64 = rows.iter().filter_map(|r| r["count"].as_u64()).sum();
    axum::Json(json!({"total": total, "requests": rows})).into_response()
}

/// The tenants' directory and service objects (apps and their credentials are left out).
async fn state_dump(State(em): State<Arc<Emulator>>, req: Request) -> Response {
    let wanted = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("tenant=")))
        .map(str::to_ascii_lowercase);
    let tenants: Vec<Value> = em
        .snapshot()
        .into_iter()
        .filter(|t| {
            wanted.as_ref().is_none_or(|w| {
                t.id.eq_ignore_ascii_case(w) || t.domains.iter().any(|d| d.eq_ignore_ascii_case(w))
            })
        })
        .map(|t| {
            json!({
                "id": t.id,
                "displayName": t.display_name,
                "domains": t.domains,
                "collections": t.collections,
                "singletons": t.singletons,
                "assignments": t.assignments,
                // Exchange Online's objects by cmdlet family (role groups among them).
                "exchange": t.exchange.objects,
                // The app registrations without any secret or key: who holds which grants.
                "apps": t.apps.iter().map(|a| json!({
                    "displayName": a.display_name,
                    "appId": a.client_id,
                    "permissions": a.permissions,
                    "certificates": a.certificates.len(),
                    "servicePrincipalId": a.sp_id,
                })).collect::<Vec<_>>(),
                // Directory roles held: which principal holds which role template.
                "roleAssignments": t.role_assignments.iter().map(|r| json!({
                    "principalId": r.principal_id,
                    "roleDefinitionId": r.role_definition_id,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    axum::Json(json!({"tenants": tenants})).into_response()
}

/// The tenants' public DNS zones; a PUT changes one record set (crate::dns::operator).
async fn dns_zone(
    State(em): State<Arc<Emulator>>,
    method: axum::http::Method,
    body: axum::body::Bytes,
) -> Response {
    let (status, value) = crate::dns::operator(&em, method.as_str(), &body);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(value),
    )
        .into_response()
}

async fn reset(State(em): State<Arc<Emulator>>) -> Response {
    match em.reset() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn not_found(State(em): State<Arc<Emulator>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    em.metrics.record(req.method().as_str(), "(unknown)", 404);
    let err = GraphError::new(
        404,
        "UnknownError",
        format!(
            "No resource at '{path}'. Graph lives under /v1.0/, the token service under /{{tenant}}/oauth2/v2.0/token."
        ),
    );
    graph_error_response(&err, req.headers())
}
