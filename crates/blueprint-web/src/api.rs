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

use crate::auth::Session;
use crate::extract::{ApiEngagement, ToAct, ToDecide, ToRead};
use crate::pages::{record_attestation, record_decision, visible};
use crate::registry::Entry;
use crate::view;
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

pub(crate) fn refusal(status: StatusCode) -> Response {
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
pub(crate) enum NoSession {
    Unauthenticated,
    /// Signed in, but a changing call without the session's CSRF token.
    Csrf,
}

impl NoSession {
    pub(crate) fn response(self) -> Response {
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

pub(crate) fn session(state: &AppState, headers: &HeaderMap) -> Result<Session, NoSession> {
    state
        .sessions
        .get(headers)
        .ok_or(NoSession::Unauthenticated)
}

/// The session of a changing call, its CSRF token checked.
pub(crate) fn changing_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Session, NoSession> {
    let session = session(state, headers)?;
    let token = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !session.csrf_ok(token) {
        return Err(NoSession::Csrf);
    }
    Ok(session)
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
pub async fn engagement(engaged: ApiEngagement<ToRead>) -> Response {
    let entry = engaged.entry();
    match view::read(entry).await {
        Ok(read) => Json(json!({
            "summary": read.summary(entry).clone(),
            "status": read.report.status,
        }))
        .into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// `GET /api/engagements/{id}/log`: the feature log in canonical form, and whether its chain
/// verifies.
pub async fn log(engaged: ApiEngagement<ToRead>) -> Response {
    let entry = engaged.entry();
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
pub async fn report(engaged: ApiEngagement<ToRead>) -> Response {
    let entry = engaged.entry();
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
pub async fn attest(engaged: ApiEngagement<ToAct>, bytes: Bytes) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
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
pub async fn decide(engaged: ApiEngagement<ToDecide>, bytes: Bytes) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    let request: DecisionBody = match body(&bytes, r#"{"decision", "note"}"#) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad_request", &why),
    };
    match record_decision(entry, &session.principal, &request.decision, &request.note).await {
        Ok(decided) => (StatusCode::CREATED, Json(entry_json(&decided.entry))).into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// A job as the API shows it: the job and where to watch it.
fn job_json(entry: &Entry, job: &blueprint_store::Job) -> Value {
    let mut value = serde_json::to_value(job).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        let base = format!("/api/engagements/{}/jobs/{}", entry.id(), job.id);
        map.insert("events".into(), json!(format!("{base}/events")));
        map.insert(
            "page".into(),
            json!(format!("/engagements/{}/jobs/{}", entry.id(), job.id)),
        );
        map.insert("url".into(), json!(base));
    }
    value
}

/// `POST /api/engagements/{id}/jobs`: `{"kind": "deploy" | "evaluate", "sprint"?, "enforce"?,
/// "plan"?}`; 202 with the queued job (the agency's and its granted partners'; not the
/// program office's).
pub async fn start_job(
    State(state): State<AppState>,
    engaged: ApiEngagement<ToAct>,
    bytes: Bytes,
) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    let request: crate::JobRequest = match body(
        &bytes,
        r#"{"kind": "deploy" | "evaluate", "sprint"?, "enforce"?, "plan"?}"#,
    ) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad_request", &why),
    };
    if let Err(why) = request.check() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "refused", &why);
    }
    match state.jobs.start(entry, &session.principal, &request).await {
        Ok(job) => {
            let body = job_json(entry, &job);
            let location = body["url"].as_str().unwrap_or_default().to_string();
            (
                StatusCode::ACCEPTED,
                [(axum::http::header::LOCATION, location)],
                Json(body),
            )
                .into_response()
        }
        Err(e) => engine_failure(&EngineError::Store(e)),
    }
}

/// `GET /api/engagements/{id}/jobs`: the engagement's latest jobs, newest first.
pub async fn jobs(State(state): State<AppState>, engaged: ApiEngagement<ToRead>) -> Response {
    let entry = engaged.entry();
    match state.jobs.store().jobs(entry.id(), 50).await {
        Ok(jobs) => Json(json!({
            "jobs": jobs.iter().map(|j| job_json(entry, j)).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => engine_failure(&EngineError::Store(e)),
    }
}

/// Job `job` of the engagement, or the answer refusing it (404 for a job of another engagement
/// too).
async fn job_of(
    state: &AppState,
    entry: &Entry,
    job: &str,
) -> Result<blueprint_store::Job, Response> {
    match crate::job_pages::job_of(state.jobs.store(), entry, job).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, "not_found", "no such job")),
        Err(e) => Err(engine_failure(&EngineError::Store(e))),
    }
}

/// `GET /api/engagements/{id}/jobs/{job}`: the job, and its progress so far (`progress`).
pub async fn job(
    State(state): State<AppState>,
    engaged: ApiEngagement<ToRead>,
    Path((_, job)): Path<(String, String)>,
) -> Response {
    let entry = engaged.entry();
    let found = match job_of(&state, entry, &job).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let store = state.jobs.store();
    match store.job_events(found.id, 0).await {
        Ok(events) => {
            let mut body = job_json(entry, &found);
            body["progress"] = json!(events);
            Json(body).into_response()
        }
        Err(e) => engine_failure(&EngineError::Store(e)),
    }
}

/// `?after=N`: the progress after event N.
#[derive(Debug, Deserialize)]
pub struct AfterQuery {
    after: Option<i64>,
}

/// `GET /api/engagements/{id}/jobs/{job}/events`: the job's progress as server-sent events
/// (`progress`, each with its id, so a reconnecting browser's `Last-Event-ID` resumes after it),
/// then `end` with the job as it ended.
pub async fn job_events(
    State(state): State<AppState>,
    engaged: ApiEngagement<ToRead>,
    headers: HeaderMap,
    Path((_, job)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<AfterQuery>,
) -> Response {
    let found = match job_of(&state, engaged.entry(), &job).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let store = state.jobs.store();
    // A reconnecting browser says where it was; a page, the last event it shows.
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query.after)
        .unwrap_or(0);
    crate::job_pages::stream(store.clone(), found.id, after).into_response()
}
