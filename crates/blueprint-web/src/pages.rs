//! The pages: server-rendered (askama, escaped by default), forms that post back with the
//! session's CSRF token, no script. A page for an engagement the person may not see answers
//! 403; without a session, a page sends the browser to sign in.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use blueprint_engine::EngineError;
use blueprint_engine::engagement::{self, PhaseDecision};
use blueprint_store::LogEntry;
use serde::Deserialize;

use crate::access::{Permission, Principal};
use crate::auth::Session;
use crate::extract::{PageEngagement, ToAct, ToDecide, ToRead};
use crate::registry::Entry;
use crate::view::{self, Summary};
use crate::{AppState, evidence};

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    who: Option<&'a Principal>,
    csrf: &'a str,
    heading: &'a str,
    text: &'a str,
}

/// A page that says one thing (a refusal, an error), with `status`.
pub fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            who: None,
            csrf: "",
            heading,
            text,
        },
    )
}

pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

pub fn csrf_refused() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Refused",
        "The form did not carry this session's token (it may have come from another site, or an old page). Reload the page and try again.",
    )
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Not yours to see or change",
        "Your role does not give you this engagement, or this action on it.",
    )
}

pub(crate) fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is no such page.")
}

/// An engine error worded for a page: the person's to fix (422) or the server's (500, the
/// detail in the server's log only).
pub(crate) fn engine_failure(e: &EngineError) -> Response {
    if e.is_input() {
        message(StatusCode::UNPROCESSABLE_ENTITY, "Not done", &e.to_string())
    } else {
        tracing::error!("{e}");
        message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The engagement could not be read; the server's log says why.",
        )
    }
}

/// The session; without one, a page sends the browser to sign in ([`to_sign_in`]).
pub(crate) fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    state.sessions.get(headers)
}

pub(crate) fn to_sign_in() -> Response {
    Redirect::to("/signin").into_response()
}

pub(crate) fn refusal(status: StatusCode) -> Response {
    match status {
        StatusCode::NOT_FOUND => not_found(),
        _ => forbidden(),
    }
}

pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

/// A row of the overview, worded.
struct Row {
    id: String,
    agency: String,
    phase: String,
    cycle: u32,
    sprint: String,
    selected: usize,
    verified: usize,
    attested: usize,
    failed: usize,
    drifted: usize,
    last_evaluation: String,
    next_step: String,
    /// Features done at the end of each of the last days the log moved: `0 → 2 → 3`.
    trend: String,
    /// The days those counts are for, oldest first.
    trend_days: String,
}

impl From<Summary> for Row {
    fn from(s: Summary) -> Row {
        let counts: Vec<String> = s.trend.iter().map(|p| p.done.to_string()).collect();
        let days: Vec<&str> = s.trend.iter().map(|p| p.date.as_str()).collect();
        Row {
            trend: if counts.is_empty() {
                "–".into()
            } else {
                counts.join(" → ")
            },
            trend_days: days.join(", "),
            sprint: s
                .current_sprint
                .map(|n| n.to_string())
                .unwrap_or("–".into()),
            last_evaluation: s.last_evaluation.unwrap_or_else(|| "never".into()),
            id: s.id,
            agency: s.agency,
            phase: s.phase,
            cycle: s.cycle,
            selected: s.selected,
            verified: s.verified,
            attested: s.attested,
            failed: s.failed,
            drifted: s.drifted,
            next_step: s.next_step,
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage<'a> {
    who: Option<&'a Principal>,
    csrf: &'a str,
    rows: Vec<Row>,
}

/// The summaries of the engagements the principal may see.
pub(crate) async fn visible(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<Summary>, EngineError> {
    let mut out = Vec::new();
    for entry in state.registry.entries() {
        if principal.may(Permission::Read, entry) {
            out.push(view::read(entry).await?.summary(entry).clone());
        }
    }
    Ok(out)
}

/// `GET /`: every engagement the person may see, at a glance.
pub async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(session) = signed_in(&state, &headers) else {
        return to_sign_in();
    };
    match visible(&state, &session.principal).await {
        Ok(rows) => render(
            StatusCode::OK,
            &OverviewPage {
                who: Some(&session.principal),
                csrf: &session.csrf,
                rows: rows.into_iter().map(Row::from).collect(),
            },
        ),
        Err(e) => engine_failure(&e),
    }
}

/// A log entry, worded.
struct LogRow {
    seq: i64,
    time: String,
    kind: String,
    feature: String,
    actor: String,
    role: String,
    sprint: String,
}

impl From<&LogEntry> for LogRow {
    fn from(e: &LogEntry) -> LogRow {
        LogRow {
            seq: e.seq,
            time: e.time.clone(),
            kind: e.event.kind.as_str().replace('_', " "),
            feature: e.event.feature.clone().unwrap_or_default(),
            actor: e.event.actor.clone(),
            role: e.event.role.to_string(),
            sprint: e.event.sprint.map(|s| s.to_string()).unwrap_or_default(),
        }
    }
}

struct Item {
    id: String,
    title: String,
    state: String,
}

struct SprintColumn {
    number: i64,
    features: usize,
    done: usize,
    points: u32,
    points_done: u32,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "engagement.html")]
struct EngagementPage<'a> {
    who: Option<&'a Principal>,
    csrf: &'a str,
    id: &'a str,
    agency: &'a str,
    phase: String,
    next_step: String,
    next_step_reason: String,
    sprints: Vec<SprintColumn>,
    unscheduled: Vec<Item>,
    chain: String,
    log: Vec<LogRow>,
    may_decide: bool,
    /// The burn-up as inline SVG (rendered and escaped by [`blueprint_report::burn_up_svg`]).
    burn_up: String,
    formats: Vec<(&'static str, &'static str)>,
    /// Whether the person may start a deploy or an evaluation.
    may_run: bool,
    jobs: Vec<JobRow>,
}

/// A job on the engagement page.
struct JobRow {
    id: i64,
    kind: String,
    status: String,
    actor: String,
    created_at: String,
}

/// `GET /engagements/{id}`: the sprint board, the feature log and whether its chain holds.
pub async fn engagement(
    State(state): State<AppState>,
    engaged: PageEngagement<ToRead>,
) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    let read = match view::read(entry).await {
        Ok(r) => r,
        Err(e) => return engine_failure(&e),
    };
    let summary = read.summary(entry).clone();
    let status = &read.report.status;
    let item = |f: &engagement::FeatureProgress| Item {
        id: f.id.clone(),
        title: f.title.clone(),
        state: f.state.as_str().to_string(),
    };
    let sprints = status
        .sprints
        .iter()
        .map(|s| SprintColumn {
            number: s.sprint,
            features: s.features,
            done: s.done,
            points: s.points,
            points_done: s.points_done,
            items: status
                .features
                .iter()
                .filter(|f| f.sprint == Some(s.sprint))
                .map(item)
                .collect(),
        })
        .collect();
    let unscheduled = status
        .features
        .iter()
        .filter(|f| f.sprint.is_none())
        .map(item)
        .collect();
    let jobs = match state.jobs.store().jobs(entry.id(), 10).await {
        Ok(jobs) => jobs
            .into_iter()
            .map(|j| JobRow {
                id: j.id,
                kind: j.kind,
                status: j.status.to_string(),
                actor: j.actor,
                created_at: j.created_at,
            })
            .collect(),
        Err(e) => return engine_failure(&EngineError::Store(e)),
    };
    let chain = match &read.report.chain {
        Ok(n) => format!("The feature log's hash chain verifies: {n} entries."),
        Err(b) => format!("The feature log's hash chain is broken: {b}"),
    };
    render(
        StatusCode::OK,
        &EngagementPage {
            who: Some(&session.principal),
            csrf: &session.csrf,
            id: entry.id(),
            agency: &entry.engagement.agency,
            phase: format!("{} (cycle {})", summary.phase, summary.cycle),
            next_step: summary.next_step,
            next_step_reason: summary.next_step_reason,
            sprints,
            unscheduled,
            chain,
            log: read.log.iter().rev().map(LogRow::from).collect(),
            may_decide: session.principal.may(Permission::Decide, entry),
            burn_up: burn_up(entry, &read),
            formats: crate::reports::FORMATS
                .iter()
                .map(|(name, _, _)| (*name, format_label(name)))
                .collect(),
            may_run: session.principal.may(Permission::Act, entry),
            jobs,
        },
    )
}

/// The sprint burn-up from the feature log, as the evaluation report draws it.
fn burn_up(entry: &Entry, read: &view::Read) -> String {
    let selected: Vec<String> = read
        .report
        .status
        .features
        .iter()
        .map(|f| f.id.clone())
        .collect();
    let points = blueprint_engine::report::burn_up(&selected, &read.log, |id, state| {
        engagement::is_done(&entry.workspace.catalogue, id, state)
    });
    blueprint_report::burn_up_svg(&points, selected.len())
}

fn format_label(name: &str) -> &'static str {
    match name {
        "html" => "HTML report",
        "junit" => "JUnit XML",
        "csv" => "CSV",
        _ => "JSON",
    }
}

#[derive(Template)]
#[template(path = "feature.html")]
struct FeaturePage<'a> {
    who: Option<&'a Principal>,
    csrf: &'a str,
    id: &'a str,
    agency: &'a str,
    feature: &'a str,
    title: String,
    state: String,
    manual: bool,
    story_as: String,
    story_want: String,
    story_so_that: String,
    abac: Vec<String>,
    steps: Vec<String>,
    attestation: Option<engagement::AttestationRecord>,
    evidence_link: Option<String>,
    may_attest: bool,
    log: Vec<LogRow>,
}

/// `GET /engagements/{id}/features/{feature}`: the feature, its ABAC reference, settings,
/// evidence and log entries; the attest form when it is manual and the person may attest.
pub async fn feature(
    engaged: PageEngagement<ToRead>,
    Path((_, feature)): Path<(String, String)>,
) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    let Some(doc) = entry.workspace.catalogue.feature(&feature).map(|f| &f.doc) else {
        return not_found();
    };
    let read = match view::read(entry).await {
        Ok(r) => r,
        Err(e) => return engine_failure(&e),
    };
    let progress = read.report.status.features.iter().find(|f| f.id == feature);
    let manual = engagement::is_manual(&entry.workspace.catalogue, &feature);
    let attestation = engagement::standing_attestations(&read.log).remove(feature.as_str());
    let evidence_link = attestation.as_ref().and_then(|a| {
        let hex = evidence::digest_hex(&a.evidence_digest)?;
        evidence::path(&entry.evidence_dir(), &a.evidence_digest)
            .filter(|p| p.exists())
            .map(|_| format!("/engagements/{}/evidence/{hex}", entry.id()))
    });
    let selected = progress.is_some();
    render(
        StatusCode::OK,
        &FeaturePage {
            who: Some(&session.principal),
            csrf: &session.csrf,
            id: entry.id(),
            agency: &entry.engagement.agency,
            feature: &feature,
            title: doc.title.clone(),
            state: progress
                .map(|p| p.state.as_str().to_string())
                .unwrap_or_else(|| "not selected".into()),
            manual,
            story_as: doc.story.as_a.clone(),
            story_want: doc.story.want.clone(),
            story_so_that: doc.story.so_that.clone(),
            abac: doc
                .abac
                .iter()
                .map(|a| format!("{}: {}", a.value.file, a.value.heading))
                .collect(),
            steps: doc
                .manual
                .iter()
                .flat_map(|m| m.settings.iter().map(move |s| format!("{}: {s}", m.portal)))
                .collect(),
            attestation,
            evidence_link,
            may_attest: manual && selected && session.principal.may(Permission::Act, entry),
            log: read
                .log
                .iter()
                .rev()
                .filter(|e| e.event.feature.as_deref() == Some(feature.as_str()))
                .map(LogRow::from)
                .collect(),
        },
    )
}

/// Records an attestation through the engine, with the evidence kept under its digest.
pub(crate) async fn record_attestation(
    entry: &Entry,
    principal: &Principal,
    feature: &str,
    note: &str,
    upload: &evidence::Upload,
) -> Result<blueprint_store::LogEntry, EngineError> {
    let workspace = entry.acting_as(principal)?;
    // Checked before the file is kept: a refused attestation leaves nothing behind.
    if !workspace.selects(feature) || !engagement::is_manual(&workspace.catalogue, feature) {
        return engagement::attest(&workspace, feature, &upload.evidence, note).await;
    }
    evidence::store(&entry.evidence_dir(), upload)
        .map_err(|e| EngineError::Internal(e.to_string()))?;
    let attested = engagement::attest(&workspace, feature, &upload.evidence, note).await;
    view::forget(entry).await;
    attested
}

/// `POST /engagements/{id}/features/{feature}/attest` (multipart: csrf, note, evidence).
pub async fn attest(
    engaged: PageEngagement<ToAct>,
    Path((_, feature)): Path<(String, String)>,
    mut form: Multipart,
) -> Response {
    // Who may attest is known before the upload is read.
    let (session, entry) = (&engaged.session, engaged.entry());
    let (mut csrf, mut note, mut file) = (None, String::new(), None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return message(StatusCode::BAD_REQUEST, "Not done", &e.body_text());
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "csrf" => csrf = field.text().await.ok(),
            "note" => note = field.text().await.unwrap_or_default(),
            "evidence" => {
                let file_name = field.file_name().unwrap_or("evidence").to_string();
                let content_type = field.content_type().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((file_name, content_type, bytes.to_vec())),
                    Err(e) => {
                        return message(StatusCode::PAYLOAD_TOO_LARGE, "Not done", &e.body_text());
                    }
                }
            }
            _ => {}
        }
    }
    if !session.csrf_ok(csrf.as_deref()) {
        return csrf_refused();
    }
    let Some((file_name, content_type, bytes)) = file else {
        return message(
            StatusCode::BAD_REQUEST,
            "Not done",
            &evidence::EvidenceError::Missing.to_string(),
        );
    };
    let upload = match evidence::check(&file_name, &content_type, bytes) {
        Ok(u) => u,
        Err(e) => return message(StatusCode::UNPROCESSABLE_ENTITY, "Not done", &e.to_string()),
    };
    match record_attestation(entry, &session.principal, &feature, &note, &upload).await {
        Ok(_) => {
            Redirect::to(&format!("/engagements/{}/features/{feature}", entry.id())).into_response()
        }
        Err(e) => engine_failure(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    decision: String,
    note: String,
}

/// `POST /engagements/{id}/next`: records a phase decision (the agency's only).
pub async fn decide(engaged: PageEngagement<ToDecide>, Form(form): Form<DecisionForm>) -> Response {
    let (session, entry) = (&engaged.session, engaged.entry());
    if !session.csrf_ok(form.csrf.as_deref()) {
        return csrf_refused();
    }
    match record_decision(entry, &session.principal, &form.decision, &form.note).await {
        Ok(_) => Redirect::to(&format!("/engagements/{}", entry.id())).into_response(),
        Err(e) => engine_failure(&e),
    }
}

/// Records a phase decision through the engine.
pub(crate) async fn record_decision(
    entry: &Entry,
    principal: &Principal,
    decision: &str,
    note: &str,
) -> Result<engagement::Decided, EngineError> {
    let decision: PhaseDecision = decision.parse().map_err(EngineError::Usage)?;
    let workspace = entry.acting_as(principal)?;
    let decided = engagement::decide(&workspace, decision, note, false).await;
    view::forget(entry).await;
    decided
}

/// `GET /engagements/{id}/evidence/{digest}`: an evidence file, only ever as a download
/// (`application/octet-stream`, attachment, sandboxed): never rendered by the browser.
pub async fn evidence_file(
    engaged: PageEngagement<ToRead>,
    Path((_, digest)): Path<(String, String)>,
) -> Response {
    let entry = engaged.entry();
    let Some(path) = evidence::path(&entry.evidence_dir(), &digest) else {
        return not_found();
    };
    match std::fs::read(&path) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"evidence-{}\"",
                        &digest[..12.min(digest.len())]
                    ),
                ),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'".to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(),
    }
}
