//! The web app's routes, through `app(state)` without a socket (the emulator, where a test
//! signs in through it, listens on loopback): every page and API call, the role × route
//! matrix, CSRF, cross-agency refusals, evidence never served as HTML, no secret in a page.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use blueprint_engine::Workspace;
use blueprint_engine::engagement::{self, PhaseDecision};
use blueprint_store::{EventKind, LogEvent, Role, Store};
use blueprint_web::{AppState, Jobs, OidcConfig, Principal, Registry, RoleMap, app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

#[path = "web/browser.rs"]
mod browser;
#[path = "web/runner.rs"]
mod runner;
#[path = "web/secrets.rs"]
mod secrets;

const GROUP: &str = "identity-ca-exclusion-group"; // automated
const TENANT: &str = "identity-tenant-properties"; // manual, no dependencies
const PARTNER: &str = "Acme Partners";

/// Three agencies at different phases: `dta` mid-sprint, `ato` drifted (granted to Acme
/// Partners), `abs` transitioned.
struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn profile(agency: &str, domain: &str) -> String {
    format!(
        r#"[agency]
name = "{agency}"
domain = "{domain}"
prefix = "EXA"
implementation = "cloud-native"

[params]
trusted_ip_ranges = ["203.0.113.0/24"]
allowed_countries = ["AU"]
break_glass_upns = ["breakglass01@{domain}", "breakglass02@{domain}"]
sharing_allowed_domains = ["{domain}"]
terms_of_use_expiry_start = "2027-07-01"

[params.contacts]
group_expiration = "ict@{domain}"
technical = "ict@{domain}"

[plan]
features = ["{GROUP}", "{TENANT}"]
"#
    )
}

async fn append(dir: &Path, events: &[LogEvent]) {
    let ws = Workspace::open(dir).unwrap();
    ws.state
        .using(async |store| store.append_events(events).await.map(drop))
        .await
        .unwrap();
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let server = Store::open(&dir.path().join("server.db")).await.unwrap();
    for (id, agency, partners) in [
        ("dta", "Digital Transformation Agency", vec![]),
        (
            "ato",
            "Australian Taxation Office",
            vec![PARTNER.to_string()],
        ),
        ("abs", "Australian Bureau of Statistics", vec![]),
    ] {
        let ws_dir = dir.path().join(id);
        std::fs::create_dir_all(&ws_dir).unwrap();
        std::fs::write(
            ws_dir.join("blueprint.toml"),
            profile(agency, &format!("{id}.gov.au")),
        )
        .unwrap();
        let ws = Workspace::open(&ws_dir).unwrap();
        engagement::plan_sprints(&ws).await.unwrap();
        let verified = LogEvent::new(EventKind::Verified, "evaluate", Role::Agency).feature(GROUP);
        match id {
            "ato" => {
                let drifted =
                    LogEvent::new(EventKind::Drifted, "evaluate", Role::Agency).feature(GROUP);
                append(&ws_dir, &[verified, drifted]).await;
            }
            "abs" => {
                append(&ws_dir, &[verified]).await;
                let evidence = engagement::Evidence::from_upload("change.txt", b"CHG-1");
                engagement::attest(&ws, TENANT, &evidence, "set by the identity team")
                    .await
                    .unwrap();
                engagement::decide(&ws, PhaseDecision::Transition, "all done", false)
                    .await
                    .unwrap();
            }
            _ => {}
        }
        Registry::register(&server, id, &ws_dir, &partners)
            .await
            .unwrap();
    }
    let registry = Registry::load(&server).await.unwrap();
    let oidc = OidcConfig {
        authority: "http://127.0.0.1:9".into(),
        tenant: "00000000-0000-0000-0000-000000000000".into(),
        client_id: "web".into(),
        redirect_uri: "http://127.0.0.1:9/auth/callback".into(),
    };
    Fixture {
        _dir: dir,
        state: AppState::new(registry, oidc, RoleMap::default(), Jobs::new(server)),
    }
}

/// A signed-in person: their cookie and CSRF token.
struct Who {
    principal: Principal,
    cookie: String,
    csrf: String,
}

fn sign_in(state: &AppState, role: Role, organisation: Option<&str>) -> Who {
    let principal = Principal {
        name: format!("{role}-user@example.gov.au"),
        role,
        organisation: organisation.map(str::to_string),
    };
    let id = state.sessions.start(principal.clone());
    let cookie = format!("bp_session={id}");
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(header::COOKIE, cookie.parse().unwrap());
    let csrf = state.sessions.get(&headers).unwrap().csrf;
    Who {
        principal,
        cookie,
        csrf,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn get(path: &str, who: Option<&Who>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(who) = who {
        r = r.header(header::COOKIE, &who.cookie);
    }
    r.body(Body::empty()).unwrap()
}

fn post_json(path: &str, who: Option<&Who>, csrf: Option<&str>, body: &Value) -> Request<Body> {
    let mut r = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(who) = who {
        r = r.header(header::COOKIE, &who.cookie);
    }
    if let Some(csrf) = csrf {
        r = r.header("x-csrf-token", csrf);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn post_form(path: &str, who: &Who, fields: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
        .collect();
    Request::post(path)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap()
}

const BOUNDARY: &str = "----blueprint-test-boundary";

fn post_multipart(
    path: &str,
    who: &Who,
    csrf: Option<&str>,
    note: &str,
    file: (&str, &str, &[u8]),
) -> Request<Body> {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(csrf) = csrf {
        field("csrf", csrf);
    }
    field("note", note);
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.0, file.1
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.2);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Request::post(path)
        .header(header::COOKIE, &who.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap()
}

fn attestation(feature: &str, name: &str, content_type: &str, bytes: &[u8]) -> Value {
    json!({
        "feature": feature,
        "note": "configured per ABAC, checked by the security team",
        "evidence": {
            "file_name": name,
            "content_type": content_type,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    })
}

async fn log_len(state: &AppState, id: &str) -> usize {
    let entry = state.registry.get(id).unwrap();
    engagement::read_log(&entry.workspace.state)
        .await
        .unwrap()
        .len()
}

const IDS: [&str; 3] = ["dta", "ato", "abs"];

/// Every route that reads engagement `id`: its pages, reports, guides and API calls.
fn read_routes(id: &str) -> Vec<String> {
    let mut paths = vec![
        format!("/engagements/{id}"),
        format!("/engagements/{id}/features/{TENANT}"),
        format!("/engagements/{id}/guides/index.html"),
        format!("/engagements/{id}/guides/index.md"),
        format!("/api/engagements/{id}"),
        format!("/api/engagements/{id}/log"),
        format!("/api/engagements/{id}/report"),
    ];
    for (format, _, _) in blueprint_web::reports::FORMATS {
        paths.push(format!("/engagements/{id}/reports/{format}"));
    }
    paths
}

#[tokio::test]
async fn without_a_session_pages_send_the_browser_to_sign_in_and_the_api_answers_401() {
    let f = fixture().await;
    let mut pages = vec!["/".to_string()];
    pages.extend(
        read_routes("dta")
            .into_iter()
            .filter(|p| !p.starts_with("/api")),
    );
    for path in &pages {
        let a = send(&f.state, get(path, None)).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(a.headers[header::LOCATION], "/signin", "{path}");
    }
    let mut api = vec!["/api/engagements".to_string()];
    api.extend(
        read_routes("dta")
            .into_iter()
            .filter(|p| p.starts_with("/api")),
    );
    for job in ["jobs", "jobs/1", "jobs/1/events"] {
        api.push(format!("/api/engagements/dta/{job}"));
    }
    for path in &api {
        let a = send(&f.state, get(path, None)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            serde_json::from_str::<Value>(&a.body).unwrap()["error"]["code"],
            "unauthenticated"
        );
    }
    for path in [
        "/api/engagements/dta/attestations",
        "/api/engagements/dta/decisions",
        "/api/engagements/dta/jobs",
    ] {
        let a = send(&f.state, post_json(path, None, None, &json!({}))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn every_page_carries_a_strict_content_security_policy_and_works_without_scripts() {
    let f = fixture().await;
    let program = sign_in(&f.state, Role::Program, None);
    for path in [
        "/".to_string(),
        "/engagements/dta".to_string(),
        format!("/engagements/dta/features/{TENANT}"),
    ] {
        let a = send(&f.state, get(&path, Some(&program))).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && csp.contains("script-src 'self'"));
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(a.headers["x-frame-options"], "DENY");
        assert!(!a.body.contains("<script"), "{path}");
        assert!(
            !a.body.contains("style="),
            "{path}: inline styles break the CSP"
        );
    }
    let css = send(&f.state, get("/static/app.css", None)).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn the_overview_shows_each_agency_at_its_phase_and_the_api_lists_the_same() {
    let f = fixture().await;
    let program = sign_in(&f.state, Role::Program, None);
    let a = send(&f.state, get("/api/engagements", Some(&program))).await;
    assert_eq!(a.status, StatusCode::OK);
    let list: Value = serde_json::from_str(&a.body).unwrap();
    let by_id = |id: &str| {
        list["engagements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(list["engagements"].as_array().unwrap().len(), 3);
    let (dta, ato, abs) = (by_id("dta"), by_id("ato"), by_id("abs"));
    assert_eq!(dta["phase"], "deploy");
    assert_eq!(dta["verified"], 0);
    assert_eq!(dta["current_sprint"], 1);
    assert_eq!(ato["drifted"], 1);
    assert_eq!(ato["next_step"], "fix drift");
    assert!(ato["last_evaluation"].is_string());
    assert_eq!(abs["phase"], "transition");
    assert_eq!(
        (abs["verified"].clone(), abs["attested"].clone()),
        (json!(1), json!(1))
    );
    for e in [&dta, &ato, &abs] {
        assert_eq!(e["chain_verified"], true);
    }

    let page = send(&f.state, get("/", Some(&program))).await;
    for agency in [
        "Digital Transformation Agency",
        "Australian Taxation Office",
        "Australian Bureau of Statistics",
    ] {
        assert!(page.body.contains(agency), "{agency}");
    }
    assert!(page.body.contains("transition (cycle"));
    assert!(page.body.contains("fix drift"));
}

#[tokio::test]
async fn the_engagement_and_feature_pages_show_the_board_the_log_and_the_evidence() {
    let f = fixture().await;
    let agency = sign_in(&f.state, Role::Agency, Some("abs"));
    let page = send(&f.state, get("/engagements/abs", Some(&agency))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sprint 1"), "{}", page.body);
    assert!(page.body.contains("hash chain verifies"));
    assert!(page.body.contains("phase decision"));
    assert!(page.body.contains("action=\"/engagements/abs/next\""));

    let feature = send(
        &f.state,
        get(
            &format!("/engagements/abs/features/{TENANT}"),
            Some(&agency),
        ),
    )
    .await;
    assert_eq!(feature.status, StatusCode::OK);
    assert!(feature.body.contains("ABAC reference"));
    assert!(feature.body.contains("set by the identity team"));
    assert!(feature.body.contains("sha256:"));
    assert!(feature.body.contains("enctype=\"multipart/form-data\""));
    let unknown = send(
        &f.state,
        get("/engagements/abs/features/no-such-feature", Some(&agency)),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let api = send(&f.state, get("/api/engagements/abs/log", Some(&agency))).await;
    let log: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(log["chain"]["verified"], true);
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "phase_decision")
    );
}

#[tokio::test]
async fn the_engagement_page_draws_the_burn_up_and_offers_the_reports_and_guides() {
    let f = fixture().await;
    let abs = sign_in(&f.state, Role::Agency, Some("abs"));
    let page = send(&f.state, get("/engagements/abs", Some(&abs))).await;
    assert!(
        page.body.contains("<svg class=\"chart\" id=\"burn-up\""),
        "{}",
        page.body
    );
    // Both selected features are done in abs: the line ends at 2 of 2.
    assert!(page.body.contains("selected: 2"), "{}", page.body);
    assert!(page.body.contains("2 complete"), "{}", page.body);
    for format in ["html", "junit", "csv", "json"] {
        assert!(
            page.body
                .contains(&format!("href=\"/engagements/abs/reports/{format}\"")),
            "{format}"
        );
    }
    assert!(
        page.body
            .contains("href=\"/engagements/abs/guides/index.html\"")
    );

    // The HTML report: shown, in a sandbox, its own inline styles allowed and nothing else.
    let html = send(&f.state, get("/engagements/abs/reports/html", Some(&abs))).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        html.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = html.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.starts_with("sandbox;") && !csp.contains("script"),
        "{csp}"
    );
    assert!(html.body.contains("Australian Bureau of Statistics"));
    assert!(
        html.body.contains("set by the identity team"),
        "the attestation"
    );
    // The downloads, as `evaluate --format` writes them.
    let junit = send(&f.state, get("/engagements/abs/reports/junit", Some(&abs))).await;
    assert!(junit.body.contains("<testsuite"), "{}", junit.body);
    assert!(junit.body.contains(GROUP));
    assert_eq!(
        junit.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"abs-evaluation.xml\""
    );
    let csv = send(&f.state, get("/engagements/abs/reports/csv", Some(&abs))).await;
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.body.lines().count(),
        3,
        "a header and two features: {}",
        csv.body
    );
    let json = send(&f.state, get("/engagements/abs/reports/json", Some(&abs))).await;
    let doc: Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(doc["schema"], blueprint_report::SCHEMA);
    let api: Value = serde_json::from_str(
        &send(&f.state, get("/api/engagements/abs/report", Some(&abs)))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(api["features"], doc["features"]);
    let status_of = |doc: &Value, id: &str| {
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["verdict"].clone())
            .unwrap()
    };
    assert_eq!(status_of(&doc, GROUP), "pass");
    // ato's group drifted: the log's last verdict is a failure.
    let ato = sign_in(&f.state, Role::Agency, Some("ato"));
    let ato_doc: Value = serde_json::from_str(
        &send(&f.state, get("/engagements/ato/reports/json", Some(&ato)))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(status_of(&ato_doc, GROUP), "fail");
    let missing = send(&f.state, get("/engagements/abs/reports/pdf", Some(&abs))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The user guides: one page per feature in place, linked from the index.
    let index = send(&f.state, get("/engagements/abs/guides", Some(&abs))).await;
    assert_eq!(
        index.headers[header::LOCATION],
        "/engagements/abs/guides/index.html"
    );
    let index = send(
        &f.state,
        get("/engagements/abs/guides/index.html", Some(&abs)),
    )
    .await;
    assert_eq!(index.status, StatusCode::OK);
    for feature in [GROUP, TENANT] {
        assert!(
            index.body.contains(&format!("href=\"{feature}.html\"")),
            "{feature}"
        );
        let guide = send(
            &f.state,
            get(
                &format!("/engagements/abs/guides/{feature}.html"),
                Some(&abs),
            ),
        )
        .await;
        assert_eq!(guide.status, StatusCode::OK, "{feature}");
        assert!(
            guide.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .starts_with("sandbox;")
        );
    }
    let md = send(
        &f.state,
        get("/engagements/abs/guides/index.md", Some(&abs)),
    )
    .await;
    assert!(
        md.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // dta has nothing in place: its index says so and no feature has a page.
    let dta = sign_in(&f.state, Role::Agency, Some("dta"));
    let none = send(
        &f.state,
        get("/engagements/dta/guides/index.html", Some(&dta)),
    )
    .await;
    assert!(none.body.contains("No changes are in place yet"));
    let none = send(
        &f.state,
        get(&format!("/engagements/dta/guides/{GROUP}.html"), Some(&dta)),
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_overview_shows_each_engagements_trend_of_done_features() {
    let f = fixture().await;
    let program = sign_in(&f.state, Role::Program, None);
    let list: Value = serde_json::from_str(
        &send(&f.state, get("/api/engagements", Some(&program)))
            .await
            .body,
    )
    .unwrap();
    let trend = |id: &str| {
        list["engagements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["trend"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["done"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    // Everything in the fixture happened today: one point each, the day's final count.
    assert_eq!(trend("abs"), [2]);
    assert_eq!(trend("ato"), [0], "verified, then drifted the same day");
    assert_eq!(trend("dta"), [0]);
    let page = send(&f.state, get("/", Some(&program))).await;
    let today = &list["engagements"][0]["trend"][0]["date"];
    assert_eq!(today.as_str().unwrap().len(), "2026-01-01".len(), "{today}");
    assert!(
        page.body.contains(&format!(
            "<td class=\"trend\" title=\"{}\">2</td>",
            today.as_str().unwrap()
        )),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_engagement_is_read_again_only_when_its_state_changes() {
    let f = fixture().await;
    let entry = f.state.registry.get("dta").unwrap();
    let first = blueprint_web::view::read(entry).await.unwrap();
    let second = blueprint_web::view::read(entry).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "unchanged: the kept read"
    );
    // A write from outside the server (the command line) is seen on the next request.
    let event = LogEvent::new(EventKind::Verified, "evaluate", Role::Agency).feature(GROUP);
    append(&entry.workspace.dir, &[event]).await;
    let third = blueprint_web::view::read(entry).await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&second, &third));
    assert_eq!(third.log.len(), second.log.len() + 1);
}

/// Each principal against each engagement: may they read, act (attest), decide?
#[tokio::test]
async fn the_role_matrix_every_route_answers_200_or_403() {
    let f = fixture().await;
    let program = sign_in(&f.state, Role::Program, None);
    let dta = sign_in(&f.state, Role::Agency, Some("dta"));
    let ato = sign_in(&f.state, Role::Agency, Some("ato"));
    let partner = sign_in(&f.state, Role::Partner, Some(PARTNER));
    // (who, engagement, read, act, decide), written out rather than derived from the code.
    let matrix: Vec<(&Who, &str, bool, bool, bool)> = vec![
        (&program, "dta", true, false, false),
        (&program, "ato", true, false, false),
        (&program, "abs", true, false, false),
        (&dta, "dta", true, true, true),
        (&dta, "ato", false, false, false),
        (&dta, "abs", false, false, false),
        (&ato, "dta", false, false, false),
        (&ato, "ato", true, true, true),
        (&ato, "abs", false, false, false),
        (&partner, "dta", false, false, false),
        (&partner, "ato", true, true, false),
        (&partner, "abs", false, false, false),
    ];
    for (who, id, read, act, decide) in matrix {
        let role = format!("{} {:?}", who.principal.role, who.principal.organisation);
        let expect =
            |allowed: bool, ok: StatusCode| if allowed { ok } else { StatusCode::FORBIDDEN };
        for path in read_routes(id) {
            let a = send(&f.state, get(&path, Some(who))).await;
            assert_eq!(a.status, expect(read, StatusCode::OK), "{role} GET {path}");
        }
        let before = log_len(&f.state, id).await;
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{id}/attestations"),
                Some(who),
                Some(&who.csrf),
                &attestation(TENANT, "change.txt", "text/plain", b"CHG-2041 done"),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(act, StatusCode::CREATED),
            "{role} attest {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            post_multipart(
                &format!("/engagements/{id}/features/{TENANT}/attest"),
                who,
                Some(&who.csrf),
                "attested through the form",
                ("change.pdf", "application/pdf", b"%PDF-1.7 change record"),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(act, StatusCode::SEE_OTHER),
            "{role} form attest {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{id}/decisions"),
                Some(who),
                Some(&who.csrf),
                &json!({"decision": "deploy-again", "note": "more features"}),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(decide, StatusCode::CREATED),
            "{role} decide {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            post_form(
                &format!("/engagements/{id}/next"),
                who,
                &[("csrf", &who.csrf), ("decision", "exit"), ("note", "done")],
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(decide, StatusCode::SEE_OTHER),
            "{role} form decide {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{id}/jobs"),
                Some(who),
                Some(&who.csrf),
                &json!({"kind": "evaluate"}),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(act, StatusCode::ACCEPTED),
            "{role} start a job on {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            post_form(
                &format!("/engagements/{id}/jobs"),
                who,
                &[("csrf", &who.csrf), ("kind", "deploy"), ("sprint", "1")],
            ),
        )
        .await;
        assert_eq!(
            a.status,
            expect(act, StatusCode::SEE_OTHER),
            "{role} form deploy {id}: {}",
            a.body
        );
        let a = send(
            &f.state,
            get(&format!("/api/engagements/{id}/jobs"), Some(who)),
        )
        .await;
        assert_eq!(
            a.status,
            expect(read, StatusCode::OK),
            "{role} jobs of {id}"
        );
        let written = usize::from(act) * 2 + usize::from(decide) * 2;
        assert_eq!(
            log_len(&f.state, id).await,
            before + written,
            "{role} on {id}"
        );
    }
    // The overview and the list show each principal exactly what they may read.
    for (who, visible) in [
        (&program, vec!["abs", "ato", "dta"]),
        (&dta, vec!["dta"]),
        (&ato, vec!["ato"]),
        (&partner, vec!["ato"]),
    ] {
        let a = send(&f.state, get("/api/engagements", Some(who))).await;
        let list: Value = serde_json::from_str(&a.body).unwrap();
        let ids: Vec<&str> = list["engagements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, visible);
        let page = send(&f.state, get("/", Some(who))).await;
        assert_eq!(page.status, StatusCode::OK);
        for id in IDS {
            assert_eq!(
                page.body.contains(&format!("href=\"/engagements/{id}\"")),
                visible.contains(&id),
                "{id} on {:?}'s overview",
                who.principal
            );
        }
    }
}

#[tokio::test]
async fn a_request_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let f = fixture().await;
    let agency = sign_in(&f.state, Role::Agency, Some("dta"));
    let other = sign_in(&f.state, Role::Agency, Some("dta"));
    let before = log_len(&f.state, "dta").await;
    for token in [None, Some("forged"), Some(other.csrf.as_str())] {
        let a = send(
            &f.state,
            post_json(
                "/api/engagements/dta/attestations",
                Some(&agency),
                token,
                &attestation(TENANT, "change.txt", "text/plain", b"CHG"),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        let a = send(
            &f.state,
            post_json(
                "/api/engagements/dta/decisions",
                Some(&agency),
                token,
                &json!({"decision": "exit", "note": "x"}),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        let a = send(
            &f.state,
            post_multipart(
                &format!("/engagements/dta/features/{TENANT}/attest"),
                &agency,
                token,
                "note",
                ("c.txt", "text/plain", b"CHG"),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        let mut fields = vec![("decision", "exit"), ("note", "x")];
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let a = send(
            &f.state,
            post_form("/engagements/dta/next", &agency, &fields),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        let a = send(&f.state, post_form("/signout", &agency, &fields)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        let a = send(
            &f.state,
            post_json(
                "/api/engagements/dta/jobs",
                Some(&agency),
                token,
                &json!({"kind": "deploy"}),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
        fields.push(("kind", "deploy"));
        let a = send(
            &f.state,
            post_form("/engagements/dta/jobs", &agency, &fields),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    assert_eq!(log_len(&f.state, "dta").await, before);
    assert!(
        f.state
            .jobs
            .store()
            .jobs("dta", 10)
            .await
            .unwrap()
            .is_empty(),
        "no job was queued"
    );
    // With its token, signing out ends the session.
    let a = send(
        &f.state,
        post_form("/signout", &agency, &[("csrf", &agency.csrf)]),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = send(&f.state, get("/api/engagements", Some(&agency))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_api_route_refuses_another_agencys_engagement() {
    let f = fixture().await;
    let dta = sign_in(&f.state, Role::Agency, Some("dta"));
    let partner = sign_in(&f.state, Role::Partner, Some(PARTNER));
    let ato = sign_in(&f.state, Role::Agency, Some("ato"));
    // A job of each engagement, to be asked for through another's routes.
    let mut job_of = std::collections::BTreeMap::new();
    for (who, id) in [(&dta, "dta"), (&ato, "ato"), (&dta, "abs")] {
        let entry = f.state.registry.get(id).unwrap();
        let job = f
            .state
            .jobs
            .start(
                entry,
                &who.principal,
                &blueprint_web::JobRequest {
                    kind: blueprint_web::JobKind::Evaluate,
                    sprint: None,
                    enforce: false,
                    plan: None,
                },
            )
            .await
            .unwrap();
        job_of.insert(id, job.id);
    }
    // Another engagement's job, under one's own engagement's URL, is not found.
    for path in [
        format!("/api/engagements/dta/jobs/{}", job_of["ato"]),
        format!("/api/engagements/dta/jobs/{}/events", job_of["ato"]),
    ] {
        let a = send(&f.state, get(&path, Some(&dta))).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    let a = send(
        &f.state,
        get(
            &format!("/engagements/dta/jobs/{}", job_of["ato"]),
            Some(&dta),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    for (who, other) in [
        (&dta, "ato"),
        (&dta, "abs"),
        (&partner, "dta"),
        (&partner, "abs"),
    ] {
        let before = log_len(&f.state, other).await;
        let job = job_of[other];
        let jobs = [
            format!("/api/engagements/{other}/jobs"),
            format!("/api/engagements/{other}/jobs/{job}"),
            format!("/api/engagements/{other}/jobs/{job}/events"),
        ];
        for path in read_routes(other).into_iter().chain(jobs) {
            let a = send(&f.state, get(&path, Some(who))).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
            assert!(!a.body.contains(TENANT), "{path} leaks the engagement");
            assert!(!a.body.contains("Australian"), "{path} names the agency");
        }
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{other}/attestations"),
                Some(who),
                Some(&who.csrf),
                &attestation(TENANT, "c.txt", "text/plain", b"CHG"),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{other}/decisions"),
                Some(who),
                Some(&who.csrf),
                &json!({"decision": "exit", "note": "x"}),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = send(
            &f.state,
            post_json(
                &format!("/api/engagements/{other}/jobs"),
                Some(who),
                Some(&who.csrf),
                &json!({"kind": "evaluate"}),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(log_len(&f.state, other).await, before);
    }
    let queued = f.state.jobs.store().jobs("ato", 10).await.unwrap();
    assert_eq!(queued.len(), 1, "only ato's own job");
    let a = send(&f.state, get("/api/engagements/nope", Some(&dta))).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn evidence_is_checked_kept_under_its_digest_and_never_served_as_html() {
    let f = fixture().await;
    let agency = sign_in(&f.state, Role::Agency, Some("dta"));
    let before = log_len(&f.state, "dta").await;
    for (name, content_type, bytes) in [
        (
            "page.html",
            "text/html",
            b"<html><script>alert(1)</script></html>".as_slice(),
        ),
        (
            "page.txt",
            "text/plain",
            b"<!DOCTYPE html><script>alert(1)</script>".as_slice(),
        ),
        (
            "fake.pdf",
            "application/pdf",
            b"<svg onload=alert(1)>".as_slice(),
        ),
        ("image.svg", "image/svg+xml", b"<svg></svg>".as_slice()),
    ] {
        let a = send(
            &f.state,
            post_json(
                "/api/engagements/dta/attestations",
                Some(&agency),
                Some(&agency.csrf),
                &attestation(TENANT, name, content_type, bytes),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            a.body
        );
    }
    // An automated feature is proven by evaluation, not attested: refused, and nothing kept.
    let a = send(
        &f.state,
        post_json(
            "/api/engagements/dta/attestations",
            Some(&agency),
            Some(&agency.csrf),
            &attestation(GROUP, "c.txt", "text/plain", b"trust me"),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("automated"));
    let evidence_dir = f.state.registry.get("dta").unwrap().evidence_dir();
    assert!(!evidence_dir.exists() || std::fs::read_dir(&evidence_dir).unwrap().count() == 0);
    assert_eq!(log_len(&f.state, "dta").await, before);

    // The largest evidence accepted fits an API call, base64 and all; a byte more is refused.
    let largest = vec![b'a'; blueprint_web::evidence::MAX_UPLOAD];
    let a = send(
        &f.state,
        post_json(
            "/api/engagements/dta/attestations",
            Some(&agency),
            Some(&agency.csrf),
            &attestation(TENANT, "large.txt", "text/plain", &largest),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let too_large = vec![b'a'; blueprint_web::evidence::MAX_UPLOAD + 1];
    let a = send(
        &f.state,
        post_json(
            "/api/engagements/dta/attestations",
            Some(&agency),
            Some(&agency.csrf),
            &attestation(TENANT, "large.txt", "text/plain", &too_large),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);

    let bytes = b"Change CHG-2041: tenant properties set.\n";
    let a = send(
        &f.state,
        post_json(
            "/api/engagements/dta/attestations",
            Some(&agency),
            Some(&agency.csrf),
            &attestation(TENANT, "change.txt", "text/plain", bytes),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let entry: Value = serde_json::from_str(&a.body).unwrap();
    let digest = entry["detail"]["evidence_digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(digest, blueprint_store::digest_bytes(bytes));
    let hex = digest.trim_start_matches("sha256:");
    let file = send(
        &f.state,
        get(&format!("/engagements/dta/evidence/{hex}"), Some(&agency)),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body.as_bytes(), bytes);
    assert_eq!(
        file.headers[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert!(
        file.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        file.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(file.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // The feature page links it; another agency cannot fetch it; a path is not a digest.
    let page = send(
        &f.state,
        get(
            &format!("/engagements/dta/features/{TENANT}"),
            Some(&agency),
        ),
    )
    .await;
    assert!(
        page.body
            .contains(&format!("/engagements/dta/evidence/{hex}"))
    );
    let ato = sign_in(&f.state, Role::Agency, Some("ato"));
    let a = send(
        &f.state,
        get(&format!("/engagements/dta/evidence/{hex}"), Some(&ato)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(
        &f.state,
        get(
            "/engagements/dta/evidence/..%2Fblueprint.toml",
            Some(&agency),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_secret_reaches_a_page_or_an_api_answer() {
    let f = fixture().await;
    let whos = [
        sign_in(&f.state, Role::Program, None),
        sign_in(&f.state, Role::Agency, Some("dta")),
        sign_in(&f.state, Role::Partner, Some(PARTNER)),
    ];
    let session_ids: Vec<String> = whos
        .iter()
        .map(|w| w.cookie.trim_start_matches("bp_session=").to_string())
        .collect();
    for who in &whos {
        let mut paths = vec!["/".to_string(), "/api/engagements".to_string()];
        for id in IDS {
            paths.extend(read_routes(id));
        }
        for path in paths {
            let a = send(&f.state, get(&path, Some(who))).await;
            for id in &session_ids {
                assert!(!a.body.contains(id.as_str()), "{path} shows a session id");
            }
            for other in whos.iter().filter(|o| o.cookie != who.cookie) {
                assert!(
                    !a.body.contains(&other.csrf),
                    "{path} shows another session's token"
                );
            }
            if path.starts_with("/api") {
                assert!(
                    !a.body.contains(&who.csrf),
                    "{path}: the API never echoes the token"
                );
            }
        }
    }
}

/// Signing in through the emulator's `/authorize` form: authorization code + PKCE, the ID
/// token checked, the role mapped from its `roles` claim (the app role assigned to the user),
/// a session cookie set.
#[tokio::test]
async fn signing_in_through_the_emulator_maps_the_id_token_to_a_role() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let f = fixture().await;
    let emulator = blueprint_emulator::serve(blueprint_emulator::EmulatorConfig {
        seeds: vec![blueprint_emulator::Fixture::load("legacy-agency").unwrap()],
        throttle: blueprint_emulator::ThrottleMode::Off,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = emulator.info().clone();
    let tenant = &info.tenants[0];
    let admin = &tenant.admins[0];
    let client_id = "2f5a8c1e-7d3b-4e8a-9c6f-1b2d3e4f5a6b";
    {
        let t = emulator.emulator().tenant(&tenant.id).unwrap();
        let mut t = t.lock().unwrap();
        let mut extra = serde_json::Map::new();
        extra.insert("isFallbackPublicClient".into(), Value::Bool(true));
        t.apps.push(blueprint_emulator::App {
            display_name: "blueprint web".into(),
            client_id: client_id.into(),
            secrets: vec![],
            certificates: vec![],
            permissions: vec![],
            object_id: "a1a1a1a1-0000-0000-0000-000000000001".into(),
            sp_id: String::new(),
            extra,
        });
        // The user is assigned the app's role; the ID token carries it in `roles`.
        t.assign_app_role(
            client_id,
            &admin.user_principal_name,
            "Blueprint.Agency.dta",
        )
        .expect("the user and the app exist");
    }
    let roles: RoleMap = serde_json::from_value(json!({"rule": [
        {"claim": "roles", "value": "Blueprint.Agency.dta", "role": "agency", "organisation": "dta"}
    ]}))
    .unwrap();
    let redirect_uri = "http://127.0.0.1:8080/auth/callback";
    let oidc = OidcConfig {
        authority: info.plain_http.clone(),
        tenant: tenant.id.clone(),
        client_id: client_id.into(),
        redirect_uri: redirect_uri.into(),
    };
    let state = AppState {
        oidc: std::sync::Arc::new(blueprint_web::auth::Oidc::new(oidc, roles)),
        ..f.state.clone()
    };

    let start = send(&state, get("/signin", None)).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let authorize = start.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(authorize.contains("code_challenge_method=S256"));
    assert!(authorize.contains("scope=openid"));
    let signin_cookie = start.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        signin_cookie.contains("HttpOnly")
            && signin_cookie.contains("Secure")
            && signin_cookie.contains("SameSite=Lax")
    );
    let signin_cookie = signin_cookie.split(';').next().unwrap().to_string();

    // The person fills in the emulator's form: it posts back to /authorize with the query.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form_page = http.get(&authorize).send().await.unwrap();
    assert_eq!(form_page.status(), 200);
    let query = authorize.split_once('?').unwrap().1;
    let mut fields: Vec<(String, String)> = url_pairs(query);
    fields.push(("username".into(), admin.user_principal_name.clone()));
    fields.push(("password".into(), admin.password.clone()));
    let answer = http
        .post(authorize.split_once('?').unwrap().0)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let back = answer.headers()["location"].to_str().unwrap().to_string();
    let callback = back
        .strip_prefix("http://127.0.0.1:8080")
        .unwrap()
        .to_string();

    // Another browser (without the sign-in cookie) cannot finish this sign-in.
    let stolen = send(&state, get(&callback, None)).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);

    let request = Request::get(&callback)
        .header(header::COOKIE, &signin_cookie)
        .body(Body::empty())
        .unwrap();
    let done = send(&state, request).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let session_cookie = done
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("bp_session=") && !c.starts_with("bp_session=;"))
        .expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("Secure"));
    let who = Who {
        principal: Principal {
            name: admin.user_principal_name.clone(),
            role: Role::Agency,
            organisation: Some("dta".into()),
        },
        cookie: session_cookie.split(';').next().unwrap().to_string(),
        csrf: String::new(),
    };
    let list = send(&state, get("/api/engagements", Some(&who))).await;
    assert_eq!(list.status, StatusCode::OK);
    let list: Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list["engagements"].as_array().unwrap().len(), 1);
    assert_eq!(list["engagements"][0]["id"], "dta");
    let page = send(&state, get("/", Some(&who))).await;
    assert!(page.body.contains(&admin.user_principal_name));
    assert!(!page.body.contains(&admin.password));

    // The code is used once: replaying the redirect fails.
    let replay = Request::get(&callback)
        .header(header::COOKIE, &signin_cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, replay).await.status, StatusCode::BAD_REQUEST);
    emulator.shutdown().await.unwrap();
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                urlencoding::decode(&v.replace('+', " "))
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

/// An engagement (`dta`) whose workspace reaches a tenant of an emulator on loopback: jobs
/// started from the web deploy to it and evaluate it.
struct Live {
    dir: tempfile::TempDir,
    state: AppState,
    emulator: blueprint_emulator::RunningEmulator,
}

async fn live(schedule: blueprint_web::schedule::Schedule) -> Live {
    live_with(LiveOptions {
        schedule,
        ..Default::default()
    })
    .await
}

/// How a [`live`] engagement is served.
#[derive(Default)]
struct LiveOptions {
    schedule: blueprint_web::schedule::Schedule,
    /// How its tenant answers (e.g. with latency, so a job runs long enough to be watched).
    faults: blueprint_emulator::FaultConfig,
    /// The server's database (default: a SQLite file in the scratch directory).
    database: Option<String>,
}

async fn live_with(options: LiveOptions) -> Live {
    let LiveOptions {
        schedule,
        faults,
        database,
    } = options;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let emulator = blueprint_emulator::serve(blueprint_emulator::EmulatorConfig {
        tls: true,
        seeds: vec![blueprint_emulator::Fixture::load("empty-agency").unwrap()],
        throttle: blueprint_emulator::ThrottleMode::Off,
        out_dir: Some(dir.path().join("emulator")),
        faults,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = emulator.info().clone();
    let t = &info.tenants[0];
    let app = t
        .apps
        .iter()
        .find(|a| a.certificate_path.is_some())
        .unwrap();
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let path = |p: &Option<std::path::PathBuf>| q(&p.as_ref().unwrap().display().to_string());
    let ws_dir = dir.path().join("dta");
    std::fs::create_dir_all(&ws_dir).unwrap();
    let connection = format!(
        "\n[connection]\ntenant_id = {}\nclient_id = {}\nauthority = {}\ngraph = {}\ncertificate_path = {}\nprivate_key_path = {}\nca_file = {}\n",
        q(&t.id),
        q(&app.client_id),
        q(&info.authority),
        q(&info.graph),
        path(&app.certificate_path),
        path(&app.private_key_path),
        path(&info.ca_file),
    );
    std::fs::write(
        ws_dir.join("blueprint.toml"),
        profile("Digital Transformation Agency", "dta.gov.au").replace(
            "terms_of_use_expiry_start = \"2027-07-01\"",
            "terms_of_use_expiry_start = \"2027-07-01\"\nterms_of_use_pdf = \"aup.pdf\"",
        ) + &connection,
    )
    .unwrap();
    std::fs::write(ws_dir.join("aup.pdf"), b"%PDF-1.4\n%%EOF\n").unwrap();
    let ws = Workspace::open(&ws_dir).unwrap();
    engagement::plan_sprints(&ws).await.unwrap();
    let server = match &database {
        Some(url) => Store::connect(url).await.unwrap(),
        None => Store::open(&dir.path().join("server.db")).await.unwrap(),
    };
    Registry::register(&server, "dta", &ws_dir, &[])
        .await
        .unwrap();
    let registry = Registry::load(&server).await.unwrap();
    let oidc = OidcConfig {
        authority: "http://127.0.0.1:9".into(),
        tenant: "00000000-0000-0000-0000-000000000000".into(),
        client_id: "web".into(),
        redirect_uri: "http://127.0.0.1:9/auth/callback".into(),
    };
    let jobs = Jobs::new(server).with_schedule(schedule);
    Live {
        dir,
        state: AppState::new(registry, oidc, RoleMap::default(), jobs),
        emulator,
    }
}

fn json_of(a: &Answer) -> Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("{e}: {}", a.body))
}

/// Starts a job through the API as `who`; its id.
async fn start_job(state: &AppState, who: &Who, body: Value) -> i64 {
    let a = send(
        state,
        post_json(
            "/api/engagements/dta/jobs",
            Some(who),
            Some(&who.csrf),
            &body,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let job = json_of(&a);
    assert_eq!(job["status"], "queued");
    assert_eq!(a.headers[header::LOCATION], job["url"].as_str().unwrap());
    job["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_deploy_and_an_evaluation_started_from_the_web_run_as_jobs_with_progress_and_their_results_in_the_log()
 {
    let l = live(Default::default()).await;
    let state = &l.state;
    let agency = sign_in(state, Role::Agency, Some("dta"));
    let program = sign_in(state, Role::Program, None);

    // The program office may watch, not start; a request is checked before it is queued.
    let refused = send(
        state,
        post_json(
            "/api/engagements/dta/jobs",
            Some(&program),
            Some(&program.csrf),
            &json!({"kind": "deploy"}),
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for (body, status) in [
        (json!({"kind": "rollback"}), StatusCode::BAD_REQUEST),
        (
            json!({"kind": "deploy", "sprnt": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"kind": "evaluate", "sprint": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"kind": "deploy", "plan": "not a plan"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let a = send(
            state,
            post_json(
                "/api/engagements/dta/jobs",
                Some(&agency),
                Some(&agency.csrf),
                &body,
            ),
        )
        .await;
        assert_eq!(a.status, status, "{body}: {}", a.body);
    }
    assert!(
        state
            .jobs
            .run_next(&state.registry)
            .await
            .unwrap()
            .is_none(),
        "nothing was queued"
    );

    // A deploy of the current sprint, queued, then run by the runner.
    let deploy = start_job(state, &agency, json!({"kind": "deploy"})).await;
    let page = send(
        state,
        get(&format!("/engagements/dta/jobs/{deploy}"), Some(&agency)),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("queued"));
    // Without scripts the page reloads itself; with them, the script follows the events.
    assert!(
        page.body.contains("<noscript><meta http-equiv=\"refresh\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<script src=\"/static/job.js\" defer></script>")
    );
    let ran = state.jobs.run_next(&state.registry).await.unwrap().unwrap();
    assert_eq!(ran.id, deploy);
    assert_eq!(
        ran.status,
        blueprint_store::JobStatus::Succeeded,
        "{:?}",
        ran.result
    );
    let result = ran.result.unwrap();
    assert_eq!(result["sprint"], 1);
    assert!(result["changed"].as_u64().unwrap() >= 1, "{result}");

    // Its progress, as the API gives it and as server-sent events.
    let a = send(
        state,
        get(
            &format!("/api/engagements/dta/jobs/{deploy}"),
            Some(&program),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let job = json_of(&a);
    assert_eq!(job["status"], "succeeded");
    let kinds: Vec<&str> = job["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["event"].as_str().unwrap())
        .collect();
    for kind in ["message", "applying", "finished", "applied", "done"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.last(), Some(&"done"));
    let stream = send(
        state,
        get(
            &format!("/api/engagements/dta/jobs/{deploy}/events"),
            Some(&program),
        ),
    )
    .await;
    assert_eq!(stream.status, StatusCode::OK);
    assert!(
        stream.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let progress = stream.body.matches("event: progress").count();
    assert_eq!(progress, kinds.len(), "{}", stream.body);
    assert!(stream.body.contains("event: end"));
    assert!(stream.body.contains(GROUP), "{}", stream.body);
    // A browser reconnecting after the third event gets the rest.
    let third = job["progress"][2]["id"].as_i64().unwrap();
    let resumed = send(
        state,
        Request::get(format!("/api/engagements/dta/jobs/{deploy}/events"))
            .header(header::COOKIE, &agency.cookie)
            .header("last-event-id", third.to_string())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        resumed.body.matches("event: progress").count(),
        kinds.len() - 3
    );

    // The result is in the feature log, under the person who started the job.
    let log = engagement::read_log(&state.registry.get("dta").unwrap().workspace.state)
        .await
        .unwrap();
    let deployed = log
        .iter()
        .find(|e| e.event.kind == EventKind::Deployed && e.event.feature.as_deref() == Some(GROUP))
        .expect("a deployed entry");
    assert_eq!(deployed.event.actor, agency.principal.name);
    assert_eq!(deployed.event.sprint, Some(1));

    // An evaluation from the engagement page's form.
    let a = send(
        state,
        post_form(
            "/engagements/dta/jobs",
            &agency,
            &[("csrf", &agency.csrf), ("kind", "evaluate")],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page_url = a.headers[header::LOCATION].to_str().unwrap().to_string();
    let evaluated = state.jobs.run_next(&state.registry).await.unwrap().unwrap();
    assert_eq!(page_url, format!("/engagements/dta/jobs/{}", evaluated.id));
    assert_eq!(evaluated.result.as_ref().unwrap()["pass"], json!([GROUP]));
    let page = send(state, get(&page_url, Some(&agency))).await;
    assert!(
        page.body.contains("succeeded") && page.body.contains("1 pass"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("<script"),
        "a finished job's page needs no script"
    );
    let log = engagement::read_log(&state.registry.get("dta").unwrap().workspace.state)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.event.kind == EventKind::Verified
        && e.event.feature.as_deref() == Some(GROUP)
        && e.event.actor == agency.principal.name));
    let board = send(state, get("/engagements/dta", Some(&agency))).await;
    assert!(
        board
            .body
            .contains(&format!("href=\"/engagements/dta/jobs/{deploy}\""))
    );
    assert!(board.body.contains("Deploy the sprint"));
    let watching = send(state, get("/engagements/dta", Some(&program))).await;
    assert!(
        !watching.body.contains("Deploy the sprint"),
        "the program office starts nothing"
    );
    let script = send(state, get("/static/job.js", None)).await;
    assert!(script.body.contains("EventSource"));
    drop(l.dir);
    l.emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_restart_marks_the_jobs_its_runner_left_running_interrupted() {
    let l = live(Default::default()).await;
    let state = &l.state;
    let agency = sign_in(state, Role::Agency, Some("dta"));
    let id = start_job(state, &agency, json!({"kind": "deploy"})).await;
    // The server that claimed it died: its lease is not renewed.
    let store = state.jobs.store();
    let gone = blueprint_store::jobs::now_ms() - 1;
    let claimed = store
        .claim_job("the-server-that-died", gone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    let queued = start_job(state, &agency, json!({"kind": "evaluate"})).await;
    // The restarted server: another runner on the same database.
    let restarted = Jobs::new(store.clone());
    assert_eq!(restarted.interrupt_lapsed().await.unwrap(), vec![id]);
    let a = send(
        state,
        get(&format!("/api/engagements/dta/jobs/{id}"), Some(&agency)),
    )
    .await;
    let job = json_of(&a);
    assert_eq!(job["status"], "interrupted");
    assert_eq!(
        job["progress"].as_array().unwrap().last().unwrap()["event"]["event"],
        "interrupted"
    );
    let page = send(
        state,
        get(&format!("/engagements/dta/jobs/{id}"), Some(&agency)),
    )
    .await;
    assert!(page.body.contains("interrupted") && page.body.contains("start it again"));
    // The queued job is still queued, and runs.
    let ran = restarted.run_next(&state.registry).await.unwrap().unwrap();
    assert_eq!(
        (ran.id, ran.status),
        (queued, blueprint_store::JobStatus::Succeeded)
    );
    l.emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn scheduled_evaluation_is_queued_once_per_interval_and_the_overview_shows_it() {
    let schedule: blueprint_web::schedule::Schedule =
        toml::from_str("evaluate_every = \"24h\"").unwrap();
    let l = live(schedule).await;
    let state = &l.state;
    let program = sign_in(state, Role::Program, None);
    let overview = send(state, get("/api/engagements", Some(&program))).await;
    assert_eq!(
        json_of(&overview)["engagements"][0]["last_evaluation"],
        Value::Null
    );
    let queued = state.jobs.queue_scheduled(&state.registry).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        state
            .jobs
            .queue_scheduled(&state.registry)
            .await
            .unwrap()
            .is_empty(),
        "one per interval"
    );
    let ran = state.jobs.run_next(&state.registry).await.unwrap().unwrap();
    assert_eq!(ran.id, queued[0].id);
    assert_eq!(
        ran.status,
        blueprint_store::JobStatus::Succeeded,
        "{:?}",
        ran.result
    );
    let page = send(
        state,
        get(&format!("/engagements/dta/jobs/{}", ran.id), Some(&program)),
    )
    .await;
    assert!(page.body.contains("scheduled, every 1d"), "{}", page.body);
    let overview = send(state, get("/api/engagements", Some(&program))).await;
    let row = &json_of(&overview)["engagements"][0];
    assert!(row["last_evaluation"].is_string(), "{row}");
    l.emulator.shutdown().await.unwrap();
}
