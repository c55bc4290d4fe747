//! No secret in any answer: an engagement whose profile points at its app's certificate and
//! private key, a tenant whose app also has a client secret, a deploy, an evaluation and an
//! attestation done; then every page and API answer reachable from the overview and the API's
//! root is crawled, as each role, and none may carry any of those secrets, a session id, or
//! another session's CSRF token.

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use blueprint_store::Role;
use serde_json::{Value, json};

use super::{Answer, TENANT, Who, attestation, get, live, post_json, send, sign_in, start_job};

/// The links of an answer: `href`, `src` and `data-events` of a page (relative ones resolved
/// against `path`), and every string of a JSON answer that is a path of this server.
fn links(path: &str, answer: &Answer) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(json) = serde_json::from_str::<Value>(&answer.body) {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) if s.starts_with("/api/") || s.starts_with("/engagements/") => {
                    out.push(s.clone())
                }
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Object(map) => map.values().for_each(|i| walk(i, out)),
                _ => {}
            }
        }
        walk(&json, &mut out);
        return out;
    }
    let directory = &path[..=path.rfind('/').unwrap_or(0)];
    for attribute in ["href=\"", "src=\"", "data-events=\""] {
        for (at, _) in answer.body.match_indices(attribute) {
            let rest = &answer.body[at + attribute.len()..];
            let link = rest[..rest.find('"').unwrap_or(0)].replace("&amp;", "&");
            let link = link.split('#').next().unwrap_or_default().to_string();
            if link.is_empty() || link.contains("://") || link.starts_with("//") {
                continue;
            }
            out.push(if link.starts_with('/') {
                link
            } else {
                format!("{directory}{link}")
            });
        }
    }
    out
}

/// Every answer reachable from `start` as `who`: (path, answer).
async fn crawl(
    state: &blueprint_web::AppState,
    who: &Who,
    start: &[&str],
) -> Vec<(String, Answer)> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        assert!(seen.len() < 5_000, "the crawl does not end: {path}");
        let answer = send(state, get(&path, Some(who))).await;
        queue.extend(links(&path, &answer));
        out.push((path, answer));
    }
    out
}

#[tokio::test]
async fn a_crawl_of_every_page_and_api_answer_finds_no_secret() {
    let l = live(Default::default()).await;
    let state = &l.state;
    let info = l.emulator.info().clone();
    let app = info.tenants[0]
        .apps
        .iter()
        .find(|a| a.certificate_path.is_some())
        .unwrap();
    // The engagement's own secret: the private key its profile points at.
    let key = std::fs::read_to_string(app.private_key_path.as_ref().unwrap()).unwrap();
    let mut secrets: Vec<String> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_string)
        .collect();
    assert!(!secrets.is_empty(), "a PEM private key: {key}");
    // The tenant's client secrets: the server never holds them, so never shows them.
    secrets.extend(
        info.tenants[0]
            .apps
            .iter()
            .filter_map(|a| a.client_secret.clone()),
    );
    assert!(
        secrets.len() > key.lines().count() - 3,
        "a client secret too"
    );

    let agency = sign_in(state, Role::Agency, Some("dta"));
    let program = sign_in(state, Role::Program, None);
    // Something in every part of the app: jobs (their progress and results), an attestation
    // with its evidence, the log and reports they leave.
    let attested = send(
        state,
        post_json(
            "/api/engagements/dta/attestations",
            Some(&agency),
            Some(&agency.csrf),
            &attestation(TENANT, "change.txt", "text/plain", b"CHG-77 done"),
        ),
    )
    .await;
    assert_eq!(attested.status, StatusCode::CREATED, "{}", attested.body);
    for kind in ["deploy", "evaluate"] {
        start_job(state, &agency, json!({"kind": kind})).await;
        let ran = state.jobs.run_next(&state.registry).await.unwrap().unwrap();
        assert_eq!(ran.status, blueprint_store::JobStatus::Succeeded, "{ran:?}");
    }

    let sessions = [&agency, &program];
    for who in sessions {
        // The pages link to each other; the API's answers name jobs and their events, and an
        // engagement's API roots are the documented ones.
        let answers = crawl(
            state,
            who,
            &[
                "/",
                "/api/engagements",
                "/api/engagements/dta",
                "/api/engagements/dta/log",
                "/api/engagements/dta/report",
                "/api/engagements/dta/jobs",
            ],
        )
        .await;
        let paths: Vec<&str> = answers.iter().map(|(p, _)| p.as_str()).collect();
        // The crawl reached every kind of answer (or it proves nothing).
        for part in [
            "/engagements/dta/features/",
            "/engagements/dta/jobs/",
            "/engagements/dta/reports/html",
            "/engagements/dta/guides/",
            "/engagements/dta/evidence/",
            "/api/engagements/dta/jobs/",
            "/events",
            "/static/",
        ] {
            assert!(
                paths.iter().any(|p| p.contains(part)),
                "{}: the crawl reached {part}: {paths:#?}",
                who.principal.role
            );
        }
        for (path, answer) in &answers {
            assert!(
                answer.status.is_success() || answer.status.is_redirection(),
                "{path}: {}",
                answer.status
            );
            let headers: String = answer
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or_default()))
                .collect();
            for text in [&answer.body, &headers] {
                for secret in &secrets {
                    assert!(!text.contains(secret.as_str()), "{path} shows a secret");
                }
                for other in sessions {
                    let id = other.cookie.trim_start_matches("bp_session=");
                    assert!(!text.contains(id), "{path} shows a session id");
                    if other.cookie != who.cookie || path.starts_with("/api") {
                        assert!(!text.contains(&other.csrf), "{path} shows a CSRF token");
                    }
                }
            }
        }
        println!(
            "{}: {} answers crawled, none with a secret",
            who.principal.role,
            answers.len()
        );
    }
    l.emulator.shutdown().await.unwrap();
}
