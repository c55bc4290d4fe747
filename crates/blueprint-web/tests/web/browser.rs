//! Headless Chromium against the app served on loopback, as people use it: signed in through
//! the emulator's form as each role, the overview seen, a manual feature attested with an
//! uploaded file. Driven through WebDriver (Debian's `chromium-driver`) over HTTP with reqwest.
//! Every page's console is read afterwards: no error, no Content-Security-Policy violation.
//!
//! Chromium is required, not optional: without it these tests fail and say what to install.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use blueprint_emulator::{App, EmulatorConfig, Fixture, ObjectSpec, ThrottleMode};
use blueprint_store::Role;
use blueprint_web::{AppState, OidcConfig, RoleMap};
use serde_json::{Value, json};

use super::{PARTNER, TENANT, fixture, log_len};

/// The key WebDriver names an element by in its answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn program(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found: the browser tests need Debian's `chromium` and `chromium-driver` \
         packages (apt-get install chromium chromium-driver), or {var} naming the program",
        path.display()
    );
    path
}

/// A running chromedriver, stopped when dropped, with the browsers it started.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    /// Browser sessions not yet closed: a failing test leaves them open.
    open: std::sync::Mutex<Vec<String>>,
}

impl Drop for Driver {
    /// Closes the browsers a failed test left open (chromedriver's death does not end them),
    /// then stops chromedriver. Plain blocking HTTP: a drop cannot await.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://").to_string();
        for session in self.open.lock().map(|o| o.clone()).unwrap_or_default() {
            if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = write!(
                    stream,
                    "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let binary = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        // A free port: chromedriver has no "any port" of its own.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(90))
                .build()
                .unwrap(),
            open: Default::default(),
        };
        for _ in 0..200 {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready on port {port}");
    }

    /// A fresh headless browser (its own profile: no cookies from another role).
    async fn browser(&self, profile: &Path) -> Browser<'_> {
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer = self.call("POST", "/session", Some(caps)).await;
        let session = answer["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        self.open.lock().unwrap().push(session.clone());
        Browser {
            driver: self,
            session,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body.unwrap_or(json!({}))),
        };
        let answer: Value = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
            .json()
            .await
            .unwrap();
        if answer["value"]["error"].is_string() {
            panic!(
                "WebDriver {method} {path}: {}",
                serde_json::to_string_pretty(&answer["value"]).unwrap()
            );
        }
        answer["value"].clone()
    }
}

/// One browser session.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl Browser<'_> {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    async fn url(&self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn source(&self) -> String {
        self.call("GET", "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_string()
    }

    async fn count(&self, css: &str) -> usize {
        self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .await
        .as_array()
        .map_or(0, Vec::len)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The console since the last call: `(level, message)`.
    async fn console(&self) -> Vec<(String, String)> {
        self.call("POST", "/se/log", Some(json!({"type": "browser"})))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or_default().to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Fails on any console error or Content-Security-Policy violation since the last check.
    async fn assert_clean_console(&self, context: &str) {
        let bad: Vec<(String, String)> = self
            .console()
            .await
            .into_iter()
            .filter(|(level, message)| {
                level == "SEVERE" || message.contains("Content Security Policy")
            })
            .collect();
        assert!(bad.is_empty(), "{context}: the console shows {bad:#?}");
    }

    /// From now on every document this browser opens runs `watch.js` first: CSP violations
    /// and streamed progress lines are recorded in the tab's sessionStorage (read by
    /// [`Browser::watched`]). Installed through the DevTools protocol, so the pages' policy is
    /// the server's, unchanged.
    async fn watch_pages(&self) {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Page.addScriptToEvaluateOnNewDocument",
                "params": {"source": include_str!("watch.js")},
            })),
        )
        .await;
    }

    /// What `watch.js` recorded on this origin: `{"violations": [...], "pages": [...]}`.
    async fn watched(&self) -> Value {
        let text = self
            .call(
                "POST",
                "/execute/sync",
                Some(json!({"script": "return sessionStorage.getItem('blueprint-test');", "args": []})),
            )
            .await;
        match text.as_str() {
            Some(text) => serde_json::from_str(text).unwrap(),
            None => json!({"violations": [], "pages": []}),
        }
    }

    /// Runs `script` in the page.
    async fn run_script(&self, script: &str) {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await;
    }

    async fn close(self) {
        self.call("DELETE", "", None).await;
        self.driver
            .open
            .lock()
            .unwrap()
            .retain(|s| *s != self.session);
    }
}

fn user(upn: &str, password: &str) -> ObjectSpec {
    ObjectSpec {
        kind: "user".into(),
        body: Some(json!({
            "accountEnabled": true,
            "displayName": upn,
            "mailNickname": upn.split('@').next().unwrap(),
            "userPrincipalName": upn,
            "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": password},
        })),
        patch: None,
        id: None,
        beta: false,
    }
}

/// `serve --demo`, in-process: the engagements of `state` (the route tests' three agencies, or
/// a live one), a directory with a user per role whose app role the ID token carries, the app
/// on 127.0.0.1:0.
struct Served {
    url: String,
    state: AppState,
    users: Vec<(Role, Option<&'static str>, String, String)>,
    emulator: blueprint_emulator::RunningEmulator,
    /// What the engagements need kept while the app serves them (their directory, their tenant).
    _engagements: Box<dyn std::any::Any + Send>,
    server: blueprint_web::Running,
}

async fn serve() -> Served {
    let f = fixture().await;
    let state = f.state.clone();
    serve_state(state, Box::new(f)).await
}

async fn serve_state(state: AppState, keep: Box<dyn std::any::Any + Send>) -> Served {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut office = Fixture::load("empty-agency").unwrap();
    let domain = office.tenants[0].domains[0].clone();
    let password = format!("Browser-{}!9a", blueprint_web::auth::random_token());
    let users: Vec<(Role, Option<&str>, String, String)> = [
        (Role::Program, None, "program"),
        (Role::Agency, Some("dta"), "agency-dta"),
        (Role::Partner, Some(PARTNER), "partner"),
    ]
    .into_iter()
    .map(|(role, org, local)| (role, org, format!("{local}@{domain}"), password.clone()))
    .collect();
    for (_, _, upn, password) in &users {
        office.tenants[0].objects.push(user(upn, password));
    }
    let emulator = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![office],
        throttle: ThrottleMode::Off,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = emulator.info().clone();
    let tenant = info.tenants[0].id.clone();
    let client_id = "3c1f9a2e-5b7d-4e6f-8a9b-0c1d2e3f4a5b";
    let role_value =
        |role: Role, org: Option<&str>| format!("Blueprint.{role}.{}", org.unwrap_or("all"));
    {
        let t = emulator.emulator().tenant(&tenant).unwrap();
        let mut t = t.lock().unwrap();
        let mut extra = serde_json::Map::new();
        extra.insert("isFallbackPublicClient".into(), Value::Bool(true));
        t.apps.push(App {
            display_name: "blueprint web".into(),
            client_id: client_id.into(),
            secrets: vec![],
            certificates: vec![],
            permissions: vec![],
            object_id: "b2b2b2b2-0000-0000-0000-000000000002".into(),
            sp_id: String::new(),
            extra,
        });
        for (role, org, upn, _) in &users {
            t.assign_app_role(client_id, upn, &role_value(*role, *org))
                .unwrap();
        }
    }
    let rules: Vec<Value> = users
        .iter()
        .map(|(role, org, _, _)| {
            json!({"claim": "roles", "value": role_value(*role, *org), "role": role, "organisation": org})
        })
        .collect();
    let roles: RoleMap = serde_json::from_value(json!({ "rule": rules })).unwrap();
    let listener = blueprint_web::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let oidc = OidcConfig {
        authority: info.plain_http.clone(),
        tenant,
        client_id: client_id.into(),
        redirect_uri: format!("{url}/auth/callback"),
    };
    let state = AppState {
        oidc: std::sync::Arc::new(blueprint_web::auth::Oidc::new(oidc, roles)),
        ..state
    };
    let server = blueprint_web::serve(listener, state.clone()).unwrap();
    Served {
        url,
        state,
        users,
        emulator,
        _engagements: keep,
        server,
    }
}

/// Signs in through the emulator's form; the browser ends on the overview.
async fn sign_in(browser: &Browser<'_>, served: &Served, username: &str, password: &str) {
    browser.open(&served.url).await;
    let at = browser.url().await;
    assert!(
        at.starts_with(&served.emulator.info().plain_http) && at.contains("/authorize"),
        "the app sends the browser to the emulator's sign-in: {at}"
    );
    assert_eq!(browser.count("input[name=password]").await, 1);
    browser.type_into("input[name=username]", username).await;
    browser.type_into("input[name=password]", password).await;
    browser.click("button[type=submit]").await;
    let back = browser.url().await;
    assert_eq!(
        back,
        format!("{}/", served.url),
        "signed in, on the overview"
    );
}

#[tokio::test]
async fn each_role_signs_in_in_chromium_sees_the_overview_and_an_agency_attests_with_an_upload() {
    let served = serve().await;
    let driver = Driver::start().await;
    let scratch = tempfile::tempdir().unwrap();

    // The console check can fail: a page breaking its own policy shows up in it.
    let control = driver.browser(&scratch.path().join("control")).await;
    control
        .open("data:text/html,<meta http-equiv=\"Content-Security-Policy\" content=\"style-src 'none'\"><p style=\"color:red\">x</p>")
        .await;
    let seen = control.console().await;
    assert!(
        seen.iter()
            .any(|(_, m)| m.contains("Content Security Policy")),
        "the browser log reports CSP violations: {seen:?}"
    );
    control.close().await;

    for (i, (role, org, username, password)) in served.users.iter().enumerate() {
        let browser = driver.browser(&scratch.path().join(format!("p{i}"))).await;
        sign_in(&browser, &served, username, password).await;
        let overview = browser.source().await;
        assert!(overview.contains("<h1>Engagements</h1>"), "{overview}");
        assert!(
            overview.contains(username.as_str()),
            "the header names who signed in"
        );
        let visible: &[&str] = match role {
            Role::Program => &["dta", "ato", "abs"],
            Role::Agency => &["dta"],
            Role::Partner => &["ato"],
        };
        assert_eq!(
            browser.count("a[href^=\"/engagements/\"]").await,
            visible.len(),
            "{role} {org:?} sees {visible:?}"
        );
        browser
            .assert_clean_console(&format!("{role}: overview"))
            .await;

        let own = visible[0];
        browser
            .click(&format!("a[href=\"/engagements/{own}\"]"))
            .await;
        assert!(browser.source().await.contains("id=\"burn-up\""));
        browser
            .assert_clean_console(&format!("{role}: engagement {own}"))
            .await;
        browser
            .open(&format!("{}/engagements/{own}/reports/html", served.url))
            .await;
        assert!(browser.source().await.contains("Feature"));
        browser
            .assert_clean_console(&format!("{role}: report of {own}"))
            .await;

        let feature = format!("{}/engagements/{own}/features/{TENANT}", served.url);
        browser.open(&feature).await;
        let may_attest = *role != Role::Program;
        assert_eq!(
            browser.count("input[type=file][name=evidence]").await,
            usize::from(may_attest),
            "{role}: the attest form"
        );
        if *role == Role::Agency {
            let before = log_len(&served.state, own).await;
            let file = scratch.path().join("change-record.txt");
            std::fs::write(&file, "Change CHG-3001: tenant properties set per ABAC.\n").unwrap();
            browser
                .type_into("input[name=note]", "set in the portal by the identity team")
                .await;
            browser
                .type_into("input[name=evidence]", &file.display().to_string())
                .await;
            browser.click("form[enctype] button[type=submit]").await;
            // The click can return before the post's redirect lands (the URL is the same page's):
            // wait, boundedly, for the page that shows the attestation.
            let mut page = String::new();
            for _ in 0..200 {
                page = browser.source().await;
                if page.contains("set in the portal by the identity team") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(browser.url().await, feature, "back on the feature page");
            assert!(
                page.contains("set in the portal by the identity team"),
                "{page}"
            );
            assert!(page.contains("change-record.txt"));
            assert!(page.contains(&format!("/engagements/{own}/evidence/")));
            assert_eq!(log_len(&served.state, own).await, before + 1);
        }
        browser
            .assert_clean_console(&format!("{role}: feature page"))
            .await;
        browser.close().await;
    }
    served.server.task.abort();
    served.emulator.shutdown().await.unwrap();
}

/// Priority of the "watch a deploy job's progress": an agency starts a deploy from its
/// engagement page, the job page follows it through the server-sent events script to the end
/// (lines added as they stream, then the page reloads with the result), with no console error
/// and no CSP violation on any page of the app.
#[tokio::test]
async fn an_agency_deploys_from_chromium_and_the_job_page_streams_its_progress_to_the_end() {
    // A tenant slow enough (each Graph call 150 to 250 ms) that the deploy is still running
    // when its page opens.
    let live = super::live_with(super::LiveOptions {
        faults: blueprint_emulator::FaultConfig {
            latency_ms: Some((150, 250)),
            fault_rate: 0.0,
        },
        ..Default::default()
    })
    .await;
    let state = live.state.clone();
    let served = serve_state(state, Box::new(live)).await;
    let driver = Driver::start().await;
    let scratch = tempfile::tempdir().unwrap();
    let (_, _, username, password) = served
        .users
        .iter()
        .find(|(role, org, _, _)| *role == Role::Agency && *org == Some("dta"))
        .unwrap();

    let browser = driver.browser(&scratch.path().join("agency")).await;
    browser.watch_pages().await;
    sign_in(&browser, &served, username, password).await;
    browser.click("a[href=\"/engagements/dta\"]").await;
    browser
        .click("form.job:has(input[name=kind][value=deploy]) button[type=submit]")
        .await;
    // The click returns once the form is sent, not always once its answer's page has loaded:
    // a bounded wait for the job's page.
    let jobs_prefix = format!("{}/engagements/dta/jobs/", served.url);
    let mut job_url = browser.url().await;
    for _ in 0..100 {
        if job_url.starts_with(&jobs_prefix) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        job_url = browser.url().await;
    }
    let job_path = job_url
        .strip_prefix(&served.url)
        .unwrap_or_else(|| panic!("on the app: {job_url}"))
        .to_string();
    let id: i64 = job_path
        .strip_prefix("/engagements/dta/jobs/")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the deploy's page: {job_path}"));

    // Bounded wait for the page the script reloads once the job ends (a finished job's page
    // carries no script).
    let mut page = String::new();
    for _ in 0..900 {
        page = browser.source().await;
        if page.contains("<h2>Result</h2>") && !page.contains("job.js") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("class=\"state succeeded\""),
        "the deploy succeeded: {page}"
    );
    assert_eq!(browser.url().await, job_url, "still on the job's page");
    let job = served
        .state
        .jobs
        .store()
        .job(id)
        .await
        .unwrap()
        .expect("the job");
    assert_eq!(job.status, blueprint_store::JobStatus::Succeeded);
    assert_eq!(&job.actor, username, "started by who signed in");
    let events = served.state.jobs.store().job_events(id, 0).await.unwrap();
    assert_eq!(
        browser.count("#progress li").await,
        events.len(),
        "the final page lists every line of progress"
    );

    // The running page's script added lines as they streamed, before it reloaded.
    let watched = browser.watched().await;
    let streamed = watched["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["page"] == job_path.as_str())
        .any(|p| p["shown"].as_u64() > p["rendered"].as_u64());
    assert!(
        streamed,
        "the job page showed lines beyond those rendered: {watched}"
    );
    assert_eq!(
        watched["violations"],
        json!([]),
        "no page of the app broke its Content-Security-Policy"
    );
    browser.assert_clean_console("the deploy's job page").await;

    // The watch can fail: an inline style on this very page is refused and recorded.
    browser
        .run_script(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>');",
        )
        .await;
    let mut recorded = json!([]);
    for _ in 0..100 {
        recorded = browser.watched().await["violations"].clone();
        if recorded.as_array().is_some_and(|v| !v.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        recorded
            .as_array()
            .is_some_and(|v| v.iter().any(|v| v["page"] == job_path.as_str()
                && v["directive"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("style-src")))),
        "the listener sees this page's violations: {recorded}"
    );
    browser.close().await;
    served.server.task.abort();
    served.emulator.shutdown().await.unwrap();
}
