//! A job's page and its live progress: the page lists the progress so far and, without
//! scripts, reloads itself while the job runs; a small script (served from this server, as the
//! Content-Security-Policy allows) follows the job's server-sent events instead and adds each
//! line as it comes.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use blueprint_store::{Job, JobEvent, Store, StoreError};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::access::Principal;
use crate::extract::{PageEngagement, ToAct, ToRead};
use crate::jobs::{JobKind, JobRequest};
use crate::pages;
use crate::registry::Entry;

/// How often a stream looks for new progress, and how long one stream lasts before the
/// browser reconnects (resuming after the last event it saw).
const STREAM_POLL: Duration = Duration::from_millis(250);
const STREAM_LIFETIME: Duration = Duration::from_secs(600);

/// Job `text` (its id) of `entry`; `None` when there is no such job on that engagement.
pub(crate) async fn job_of(
    store: &Store,
    entry: &Entry,
    text: &str,
) -> Result<Option<Job>, StoreError> {
    let Ok(id) = text.parse::<i64>() else {
        return Ok(None);
    };
    Ok(store
        .job(id)
        .await?
        .filter(|job| job.engagement == entry.id()))
}

/// One line of progress, worded for the page (the script words the events the same way).
pub fn describe(event: &Value) -> String {
    let text = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or_default();
    let number = |key: &str| event.get(key).and_then(Value::as_u64).unwrap_or_default();
    match text("event") {
        "message" | "interrupted" => format!("{}{}", text("text"), text("message")),
        "applying" => format!("Applying {} step(s)", number("actions")),
        "finished" => {
            let result = event.get("result").cloned().unwrap_or(Value::Null);
            let field = |key: &str| {
                result
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let detail = ["error", "reason"]
                .iter()
                .map(|k| field(k))
                .find(|d| !d.is_empty())
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            format!("{} {}{detail}", field("outcome"), field("reference"))
        }
        "applied" => format!(
            "All steps done: {} changed, {} failed",
            number("done"),
            number("failed")
        ),
        "throttled" => format!(
            "Microsoft Graph asked to wait {} ms ({})",
            number("wait_ms"),
            text("path")
        ),
        "retrying" => format!("Retrying {} after {}", text("path"), text("reason")),
        "done" => format!("Finished: {}", text("status")),
        other => other.to_string(),
    }
}

/// The job's progress from event `after` on, as server-sent events, then `end`.
pub fn stream(
    store: Store,
    job: i64,
    after: i64,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    struct Cursor {
        store: Store,
        job: i64,
        after: i64,
        pending: std::collections::VecDeque<JobEvent>,
        ended: bool,
        until: tokio::time::Instant,
    }
    let cursor = Cursor {
        store,
        job,
        after,
        pending: Default::default(),
        ended: false,
        until: tokio::time::Instant::now() + STREAM_LIFETIME,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(next) = c.pending.pop_front() {
                c.after = next.id;
                let event = Event::default()
                    .event("progress")
                    .id(next.id.to_string())
                    .json_data(serde_json::json!({"time": next.time, "text": describe(&next.event), "event": next.event}))
                    .unwrap_or_default();
                return Some((Ok(event), c));
            }
            if c.ended || tokio::time::Instant::now() >= c.until {
                return None;
            }
            // The job's state first, then its events: a job seen ended has written them all.
            let job = c.store.job(c.job).await.ok().flatten();
            let finished = job.as_ref().is_none_or(|j| j.status.is_final());
            match c.store.job_events(c.job, c.after).await {
                Ok(events) => c.pending.extend(events),
                Err(e) => tracing::warn!("job {}: reading its progress: {e}", c.job),
            }
            if finished && c.pending.is_empty() {
                c.ended = true;
                let event = Event::default()
                    .event("end")
                    .json_data(&job)
                    .unwrap_or_default();
                return Some((Ok(event), c));
            }
            if c.pending.is_empty() {
                tokio::time::sleep(STREAM_POLL).await;
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    csrf: Option<String>,
    kind: String,
    #[serde(default)]
    sprint: Option<String>,
    #[serde(default)]
    enforce: Option<String>,
}

/// `POST /engagements/{id}/jobs` (form: csrf, kind, sprint, enforce): queues the job and shows
/// its page.
pub async fn start(
    State(state): State<AppState>,
    engaged: PageEngagement<ToAct>,
    Form(form): Form<StartForm>,
) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    if !session.csrf_ok(form.csrf.as_deref()) {
        return pages::csrf_refused();
    }
    let kind = match form.kind.as_str() {
        "deploy" => JobKind::Deploy,
        "evaluate" => JobKind::Evaluate,
        _ => {
            return pages::message(
                StatusCode::BAD_REQUEST,
                "Not done",
                "Choose deploy or evaluate.",
            );
        }
    };
    let sprint = match form
        .sprint
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return pages::message(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Not done",
                    "The sprint is a number (or empty for the current sprint).",
                );
            }
        },
    };
    let request = JobRequest {
        kind,
        sprint,
        enforce: form.enforce.is_some(),
        plan: None,
    };
    if let Err(why) = request.check() {
        return pages::message(StatusCode::UNPROCESSABLE_ENTITY, "Not done", &why);
    }
    match state.jobs.start(entry, &session.principal, &request).await {
        Ok(job) => {
            Redirect::to(&format!("/engagements/{}/jobs/{}", entry.id(), job.id)).into_response()
        }
        Err(e) => pages::engine_failure(&blueprint_engine::EngineError::Store(e)),
    }
}

struct Line {
    time: String,
    text: String,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage<'a> {
    who: Option<&'a Principal>,
    csrf: &'a str,
    id: &'a str,
    agency: &'a str,
    job: &'a Job,
    request: String,
    lines: Vec<Line>,
    /// The last event shown: the script streams what comes after it.
    last: i64,
    result: String,
    running: bool,
}

/// `GET /engagements/{id}/jobs/{job}`: the job, its progress and its result.
pub async fn job(
    State(state): State<AppState>,
    engaged: PageEngagement<ToRead>,
    Path((_, job)): Path<(String, String)>,
) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    let store = state.jobs.store();
    let found = match job_of(store, entry, &job).await {
        Ok(Some(found)) => found,
        Ok(None) => return pages::not_found(),
        Err(e) => return pages::engine_failure(&blueprint_engine::EngineError::Store(e)),
    };
    let events = match store.job_events(found.id, 0).await {
        Ok(events) => events,
        Err(e) => return pages::engine_failure(&blueprint_engine::EngineError::Store(e)),
    };
    let request = match found.request.get("scheduled").and_then(Value::as_str) {
        Some(every) => format!("scheduled, every {every}"),
        None => {
            let sprint = found.request.get("sprint").and_then(Value::as_u64);
            let enforce = found.request.get("enforce").and_then(Value::as_bool) == Some(true);
            let plan = found.request.get("plan").is_some_and(|p| !p.is_null());
            [
                sprint.map(|s| format!("sprint {s}")),
                enforce.then(|| "enforcing".to_string()),
                plan.then(|| "an approved plan".to_string()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        }
    };
    pages::render(
        StatusCode::OK,
        &JobPage {
            who: Some(&session.principal),
            csrf: &session.csrf,
            id: entry.id(),
            agency: &entry.engagement.agency,
            job: &found,
            request,
            lines: events
                .iter()
                .map(|e| Line {
                    time: e.time.clone(),
                    text: describe(&e.event),
                })
                .collect(),
            last: events.last().map_or(0, |e| e.id),
            result: found
                .result
                .as_ref()
                .and_then(|r| serde_json::to_string_pretty(r).ok())
                .unwrap_or_default(),
            running: !found.status.is_final(),
        },
    )
}

/// `GET /static/job.js`: follows a job's events on its page.
pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/job.js"),
    )
        .into_response()
}
