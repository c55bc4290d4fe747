//! The JSON API under `/api`: the pages' routes and permissions, for scripts. Without a
//! session every call is 401; a call that changes something carries the session's CSRF token
//! in `X-CSRF-Token` (a cookie alone is not consent); an engagement the person may not see or
//! change is 403, whichever route asks.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use blueprint_engine::EngineError;
use blueprint_store::LogEntry;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::Permission;
use crate::auth::Session;
use crate::pages::{engagement_for, record_attestation, record_decision, visible};
use crate::registry::Entry;
use crate::view::{self, Summary};
use crate::{AppState, evidence};

/// The header a changing call carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `{"error": {"code", "message"}}` with `status`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "sign in first: the API answers signed-in sessions only",
    )
}

fn refusal(status: StatusCode) -> Response {
    match status {
        StatusCode::NOT_FOUND => error(status, "not_found", "no such engagement"),
        _ => error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not give you this engagement, or this action on it",
        ),
    }
}

fn engine_failure(e: &EngineError) -> Response {
    if e.is_input() {
        error(StatusCode::UNPROCESSABLE_ENTITY, "refused", &e.to_string())
    } else {
        tracing::error!("{e}");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the engagement could not be read; the server's log says why",
        )
    }
}

/// Why a call has no session to act in.
enum NoSession {
    Unauthenticated,
    /// Signed in, but a changing call without the session's CSRF token.
    Csrf,
}

impl NoSession {
    fn response(self) -> Response {
        match self {
            NoSession::Unauthenticated => unauthorized(),
            NoSession::Csrf => error(
                StatusCode::FORBIDDEN,
                "csrf",
                "the call did not carry this session's CSRF token in X-CSRF-Token",
            ),
        }
    }
}

fn session(state: &AppState, headers: &HeaderMap) -> Result<Session, NoSession> {
    state
        .sessions
        .get(headers)
        .ok_or(NoSession::Unauthenticated)
}

/// The session of a changing call, its CSRF token checked.
fn changing_session(state: &AppState, headers: &HeaderMap) -> Result<Session, NoSession> {
    let session = session(state, headers)?;
    let token = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !session.csrf_ok(token) {
        return Err(NoSession::Csrf);
    }
    Ok(session)
}

/// Why a call on an engagement is refused: no (CSRF-checked) session, or the engagement's
/// answer (404, 403).
enum Refused {
    Session(NoSession),
    Engagement(StatusCode),
}

impl Refused {
    fn response(self) -> Response {
        match self {
            Refused::Session(no) => no.response(),
            Refused::Engagement(status) => refusal(status),
        }
    }
}

/// The session and the engagement `id` a call acts on, or the answer refusing it: 401 without a
/// session; 403 for a changing call (anything but `Read`) without the session's CSRF token, or
/// when the person may not do `permission` on it; 404 when there is no such engagement.
fn authorised<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    id: &str,
    permission: Permission,
) -> Result<(Session, &'a Entry), Refused> {
    let session = match permission {
        Permission::Read => session(state, headers),
        Permission::Act | Permission::Decide => changing_session(state, headers),
    }
    .map_err(Refused::Session)?;
    let entry =
        engagement_for(state, &session.principal, id, permission).map_err(Refused::Engagement)?;
    Ok((session, entry))
}

fn entry_json(entry: &LogEntry) -> Value {
    serde_json::from_str(&entry.canonical_json(true)).unwrap_or(Value::Null)
}

/// `GET /api/engagements`: the engagements the person may see.
pub async fn engagements(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match session(&state, &headers) {
        Ok(s) => s,
        Err(no) => return no.response(),
    };
    match visible(&state, &session.principal).await {
        Ok(list) => Json(json!({"engagements": list})).into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// `GET /api/engagements/{id}`: the engagement's summary and status (features, sprints,
/// recommendation).
pub async fn engagement(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (_, entry) = match authorised(&state, &headers, &id, Permission::Read) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    match view::read(entry).await {
        Ok(read) => Json(json!({
            "summary": Summary::of(entry, &read),
            "status": read.report.status,
        }))
        .into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// `GET /api/engagements/{id}/log`: the feature log in canonical form, and whether its chain
/// verifies.
pub async fn log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (_, entry) = match authorised(&state, &headers, &id, Permission::Read) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    match view::read(entry).await {
        Ok(read) => {
            let chain = match &read.report.chain {
                Ok(n) => json!({"verified": true, "entries": n}),
                Err(b) => json!({"verified": false, "seq": b.seq, "reason": b.reason}),
            };
            Json(json!({
                "chain": chain,
                "entries": read.log.iter().map(entry_json).collect::<Vec<_>>(),
            }))
            .into_response()
        }
        Err(e) => engine_failure(&e),
    }
}

/// `GET /api/engagements/{id}/report`: the evaluation report as the feature log last recorded
/// it, the command line's documented JSON document (`blueprint.evaluation/1`).
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (_, entry) = match authorised(&state, &headers, &id, Permission::Read) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    match blueprint_engine::report::recorded(&entry.workspace).await {
        Ok(input) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            blueprint_report::render_json(&input),
        )
            .into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// The evidence of an API attestation: the file, base64-encoded.
#[derive(Debug, Deserialize)]
struct EvidenceBody {
    file_name: String,
    content_type: String,
    content_base64: String,
}

#[derive(Debug, Deserialize)]
struct AttestationBody {
    feature: String,
    note: String,
    evidence: EvidenceBody,
}

/// The request's JSON body, or why it is not the `shape` expected.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8], shape: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("expected JSON {shape}: {e}"))
}

/// `POST /api/engagements/{id}/attestations`: `{"feature", "note", "evidence": {"file_name",
/// "content_type", "content_base64"}}`; 201 with the recorded log entry.
pub async fn attest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (session, entry) = match authorised(&state, &headers, &id, Permission::Act) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    let request: AttestationBody = match body(
        &bytes,
        r#"{"feature", "note", "evidence": {"file_name", "content_type", "content_base64"}}"#,
    ) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad_request", &why),
    };
    let Ok(content) =
        base64::engine::general_purpose::STANDARD.decode(request.evidence.content_base64.trim())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "evidence.content_base64 is not base64",
        );
    };
    let upload = match evidence::check(
        &request.evidence.file_name,
        &request.evidence.content_type,
        content,
    ) {
        Ok(u) => u,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "evidence", &e.to_string()),
    };
    match record_attestation(
        entry,
        &session.principal,
        &request.feature,
        &request.note,
        &upload,
    )
    .await
    {
        Ok(logged) => (StatusCode::CREATED, Json(entry_json(&logged))).into_response(),
        Err(e) => engine_failure(&e),
    }
}

#[derive(Debug, Deserialize)]
struct DecisionBody {
    decision: String,
    note: String,
}

/// `POST /api/engagements/{id}/decisions`: `{"decision": "transition" | "deploy-again" |
/// "exit", "note"}`; the agency's only.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let (session, entry) = match authorised(&state, &headers, &id, Permission::Decide) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    let request: DecisionBody = match body(&bytes, r#"{"decision", "note"}"#) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad_request", &why),
    };
    match record_decision(entry, &session.principal, &request.decision, &request.note).await {
        Ok(decided) => (StatusCode::CREATED, Json(entry_json(&decided.entry))).into_response(),
        Err(e) => engine_failure(&e),
    }
}
