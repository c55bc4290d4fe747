//! The Graph client against the tenant emulator (over HTTP and HTTPS) and against a scripted
//! stand-in for the cases the emulator cannot be made to show on demand.

#![allow(clippy::result_large_err)]

#[path = "graph/discipline.rs"]
mod discipline;
#[path = "graph/scripted.rs"]
mod scripted;
#[path = "graph/support.rs"]
mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use blueprint_emulator::{FaultConfig, ThrottleMode};
use blueprint_graph::{
    Credential, GraphClient, GraphConfig, GraphError, GraphEvent, RetryPolicy, SecretString,
};
use serde_json::{Value, json};

use scripted::{Reply, Seen};
use support::*;

// ---------------------------------------------------------------------------------------------
// Authentication and tokens

#[tokio::test]
async fn secret_over_https_with_the_emulator_ca_and_one_token_for_many_calls() {
    let mut cfg = emulator_config();
    cfg.tls = true;
    let emu = start(cfg).await;
    let events = Events::default();
    let config = emu.graph_config("blueprint-deploy", Transport::Https, Auth::Secret);
    assert!(config.graph.starts_with("https://"), "{}", config.graph);
    let client = GraphClient::new(config, events.observer()).unwrap();

    let org = client.list("organization").await.unwrap();
    assert_eq!(org.len(), 1, "{org:?}");
    for _ in 0..10 {
        client.get("policies/authorizationPolicy").await.unwrap();
    }
    let stats = client.stats();
    assert_eq!(stats.token_requests, 1, "the token is reused: {stats:?}");
    assert_eq!(stats.round_trips, 11);
    assert_eq!(stats.retries, 0);
    let acquired: Vec<_> = events
        .all()
        .into_iter()
        .filter(|e| matches!(e, GraphEvent::TokenAcquired { .. }))
        .collect();
    assert_eq!(acquired.len(), 1);
}

#[tokio::test]
async fn certificate_assertion_gets_a_token_over_https() {
    let mut cfg = emulator_config();
    cfg.tls = true;
    let emu = start(cfg).await;
    let client = GraphClient::without_observer(emu.graph_config(
        "blueprint-deploy",
        Transport::Https,
        Auth::Certificate,
    ))
    .unwrap();
    let policy = client.get("policies/authorizationPolicy").await.unwrap();
    assert!(policy.get("id").is_some(), "{policy}");
    client.list("groups").await.unwrap();
    assert_eq!(client.stats().token_requests, 1);
}

#[tokio::test]
async fn certificate_assertion_over_plain_http_loopback() {
    let emu = start(emulator_config()).await;
    let client = GraphClient::without_observer(emu.graph_config(
        "blueprint-deploy",
        Transport::PlainHttp,
        Auth::Certificate,
    ))
    .unwrap();
    client.get("organization").await.unwrap();
}

#[tokio::test]
async fn https_without_the_ca_fails_at_once_with_advice() {
    let mut cfg = emulator_config();
    cfg.tls = true;
    let emu = start(cfg).await;
    let mut config = emu.graph_config("blueprint-deploy", Transport::Https, Auth::Secret);
    config.extra_ca_pem = None;
    let client = GraphClient::without_observer(config).unwrap();
    let err = client.get("organization").await.unwrap_err();
    let stats = client.stats();
    assert_eq!(
        (stats.retries, stats.waited),
        (0, Duration::ZERO),
        "no retries for an untrusted certificate"
    );
    assert!(matches!(err, GraphError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("BLUEPRINT_CA_FILE"), "{err}");
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    let mut cfg = emulator_config();
    cfg.token_lifetime_secs = 2;
    let emu = start(cfg).await;
    let events = Events::default();
    let client = emu.client(&events);
    client.get("organization").await.unwrap();
    client.get("organization").await.unwrap();
    assert_eq!(client.stats().token_requests, 1);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    client.get("organization").await.unwrap();
    let stats = client.stats();
    assert_eq!(stats.token_requests, 2, "{stats:?}");
    assert_eq!(
        stats.retries, 0,
        "refreshed ahead of expiry, not after a 401: {stats:?}"
    );
    assert!(events.all().contains(&GraphEvent::TokenAcquired {
        expires_in: Duration::from_secs(2)
    }));
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_that_does_not_show_the_secret() {
    let emu = start(emulator_config()).await;
    let mut config = emu.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Secret);
    let wrong = "Wr0ng~Secret~Value~1234567890";
    config.credential = Credential::Secret(SecretString::new(wrong));
    let client = GraphClient::without_observer(config.clone()).unwrap();
    let err = client.get("organization").await.unwrap_err();
    match &err {
        GraphError::Auth { aadsts, error, .. } => {
            assert_eq!(*aadsts, Some(7000215), "{err}");
            assert_eq!(error, "invalid_client");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{client:?}"),
        format!("{config:?}"),
    ] {
        assert!(!text.contains(wrong), "secret leaked: {text}");
    }
    assert_eq!(
        client.stats().token_requests,
        1,
        "a refused credential is not retried"
    );
}

#[tokio::test]
async fn the_real_secret_never_shows_in_debug_output_or_errors() {
    let emu = start(emulator_config()).await;
    let config = emu.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Secret);
    let secret = config_secret(&config);
    let client = GraphClient::without_observer(config.clone()).unwrap();
    let missing = client
        .get("groups/00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert_eq!(missing.code(), Some("Request_ResourceNotFound"));
    let cert_config = emu.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Certificate);
    let key_line = config_secret(&cert_config)
        .lines()
        .find(|l| !l.starts_with("-----") && l.len() > 40)
        .unwrap()
        .to_string();
    let cert_client = GraphClient::without_observer(cert_config.clone()).unwrap();
    for text in [
        format!("{client:?}"),
        format!("{config:?}"),
        missing.to_string(),
        format!("{missing:?}"),
    ] {
        assert!(!text.contains(&secret), "secret leaked: {text}");
    }
    for text in [format!("{cert_client:?}"), format!("{cert_config:?}")] {
        assert!(!text.contains(&key_line), "key leaked: {text}");
    }
}

fn config_secret(config: &GraphConfig) -> String {
    match &config.credential {
        Credential::Secret(s) | Credential::Bearer(s) => s.expose().to_string(),
        Credential::Certificate { pem } => pem.expose().to_string(),
    }
}

#[tokio::test]
async fn unknown_app_is_an_auth_error_with_its_aadsts_code() {
    let emu = start(emulator_config()).await;
    let mut config = emu.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Secret);
    config.client_id = "11111111-2222-3333-4444-555555555555".to_string();
    let err = GraphClient::without_observer(config)
        .unwrap()
        .get("organization")
        .await
        .unwrap_err();
    let GraphError::Auth { aadsts, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(aadsts, Some(700016));
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_call_retried() {
    let tokens_issued = Arc::new(AtomicUsize::new(0));
    let issued = tokens_issued.clone();
    let server = scripted::serve(move |req: &Seen| {
        if req.path.ends_with("/oauth2/v2.0/token") {
            let n = issued.fetch_add(1, Ordering::SeqCst);
            return Reply::token(&format!("token-{n}"), 3599);
        }
        // The first token is revoked early; the second one works.
        if req.header("authorization") == Some("Bearer token-0") {
            Reply::graph_error(401, "InvalidAuthenticationToken")
        } else {
            Reply::json(200, json!({"id": "ok"}))
        }
    })
    .await;
    let client = GraphClient::without_observer(scripted_config(&server.base)).unwrap();
    let body = client.get("groups/ok").await.unwrap();
    assert_eq!(body["id"], "ok");
    assert_eq!(client.stats().token_requests, 2);
    // Once only: a token that is refused again is an error, not a loop.
    let always_refused = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            Reply::token("t", 3599)
        } else {
            Reply::graph_error(401, "InvalidAuthenticationToken")
        }
    })
    .await;
    let client = GraphClient::without_observer(scripted_config(&always_refused.base)).unwrap();
    let err = client.get("groups").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("InvalidAuthenticationToken"));
    assert_eq!(always_refused.count("GET", "/v1.0/groups"), 2);
}

fn scripted_config(base: &str) -> GraphConfig {
    GraphConfig {
        authority: base.to_string(),
        graph: base.to_string(),
        tenant_id: "contoso.onmicrosoft.com".to_string(),
        client_id: "00000000-0000-0000-0000-00000000abcd".to_string(),
        credential: Credential::Secret(SecretString::new("scripted-secret-value")),
        retry: quick_retries(),
        timeout: Duration::from_secs(5),
        ..GraphConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn plain_http_is_refused_for_hosts_other_than_loopback() {
    for url in [
        "http://graph.microsoft.com",
        "http://192.0.2.10:8080",
        "http://localhost.example.com",
    ] {
        let config = GraphConfig {
            graph: url.to_string(),
            ..scripted_config("http://127.0.0.1:1")
        };
        let err = GraphClient::without_observer(config).unwrap_err();
        assert!(matches!(err, GraphError::Config(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("loopback"), "{err}");
        let config = GraphConfig {
            authority: url.to_string(),
            ..scripted_config("http://127.0.0.1:1")
        };
        assert!(matches!(
            GraphClient::without_observer(config),
            Err(GraphError::Config(_))
        ));
    }
}

#[test]
fn no_credential_is_a_config_error_naming_the_variables_to_set() {
    let config = GraphConfig {
        credential: Credential::Secret(SecretString::default()),
        ..scripted_config("http://127.0.0.1:1")
    };
    let err = GraphClient::without_observer(config).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GraphError::Config(_)));
    assert!(text.contains("AZURE_CLIENT_SECRET"), "{text}");
    assert!(text.contains("AZURE_CLIENT_CERTIFICATE_PATH"), "{text}");

    let from_env = GraphConfig::from_vars(GraphConfig::default(), |name| match name {
        "AZURE_TENANT_ID" => Some("contoso.onmicrosoft.com".to_string()),
        "AZURE_CLIENT_ID" => Some("client".to_string()),
        _ => None,
    })
    .unwrap_err();
    assert!(from_env.to_string().contains("AZURE_CLIENT_SECRET"));
    assert!(
        from_env
            .to_string()
            .contains("AZURE_CLIENT_CERTIFICATE_PATH")
    );
}

#[tokio::test]
async fn certificate_path_from_the_environment_authenticates() {
    let emu = start(emulator_config()).await;
    let a = emu.app("blueprint-deploy");
    let dir = tempfile::tempdir().unwrap();
    let combined = dir.path().join("deploy.pem");
    let cert = std::fs::read_to_string(a.certificate_path.as_ref().unwrap()).unwrap();
    let key = std::fs::read_to_string(a.private_key_path.as_ref().unwrap()).unwrap();
    std::fs::write(&combined, format!("{key}{cert}")).unwrap();
    let info = emu.running.info();
    let vars = [
        ("AZURE_TENANT_ID", emu.tenant_id().to_string()),
        ("AZURE_CLIENT_ID", a.client_id.clone()),
        (
            "AZURE_CLIENT_CERTIFICATE_PATH",
            combined.display().to_string(),
        ),
        ("AZURE_AUTHORITY_HOST", info.plain_http.clone()),
        ("BLUEPRINT_GRAPH_URL", info.plain_http.clone()),
    ];
    let config = GraphConfig::from_vars(GraphConfig::default(), |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    assert!(matches!(config.credential, Credential::Certificate { .. }));
    let client = GraphClient::without_observer(config).unwrap();
    client.get("organization").await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Reads: paging and batching

async fn create_groups(client: &GraphClient, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let created = client
            .post(
                "groups",
                &security_group(&format!("{prefix} {i:03}"), &format!("{prefix}{i:03}")),
            )
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    ids
}

#[tokio::test]
async fn list_follows_next_links_through_250_groups() {
    let emu = start(emulator_config()).await;
    let client = emu.client(&Events::default());
    let created = create_groups(&client, "paged", 250).await;
    let everything = client.list("groups?$top=999").await.unwrap();
    assert!(everything.len() >= 250);

    let before = client.stats().round_trips;
    let paged = client.list("groups?$top=7").await.unwrap();
    let pages = client.stats().round_trips - before;
    assert_eq!(paged.len(), everything.len());
    let ids: HashSet<&str> = paged.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), paged.len(), "no item twice");
    assert!(created.iter().all(|id| ids.contains(id.as_str())));
    let expected_pages = everything.len().div_ceil(7) as u64;
    assert!(
        pages == expected_pages || pages == expected_pages + 1,
        "{pages} pages for {} items",
        everything.len()
    );
}

#[tokio::test]
async fn list_with_a_filter_and_quotes() {
    let emu = start(emulator_config()).await;
    let client = emu.client(&Events::default());
    for (i, nick) in ["obrien0", "obrien1"].iter().enumerate() {
        client
            .post(
                "groups",
                &security_group(&format!("O'Brien team {i:03}"), nick),
            )
            .await
            .unwrap();
    }
    let found = client
        .list("groups?$filter=displayName eq 'O''Brien team 001'")
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
}

#[tokio::test]
async fn get_many_reads_45_paths_in_three_batches_in_input_order() {
    let emu = start(emulator_config()).await;
    let client = emu.client(&Events::default());
    let ids = create_groups(&client, "batched", 45).await;
    let mut paths: Vec<String> = ids.iter().map(|id| format!("groups/{id}")).collect();
    // Graph may answer in any order: reverse half of them to make order matter.
    paths[..20].reverse();
    let before = client.stats().round_trips;
    let results = client.get_many(&paths).await;
    assert!(client.stats().round_trips - before <= 3);
    assert_eq!(results.len(), 45);
    for (path, result) in paths.iter().zip(&results) {
        let body = result.as_ref().unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(format!("groups/{}", body["id"].as_str().unwrap()), *path);
    }
}

#[tokio::test]
async fn get_many_reports_missing_objects_and_merges_collection_pages() {
    let emu = start(emulator_config()).await;
    let client = emu.client(&Events::default());
    let ids = create_groups(&client, "mixed", 12).await;
    let all = client.list("groups").await.unwrap();
    let paths = vec![
        format!("groups/{}", ids[0]),
        "groups/00000000-0000-0000-0000-000000000000".to_string(),
        "groups?$top=5".to_string(),
        "policies/authorizationPolicy".to_string(),
        "identity/conditionalAccess/policies".to_string(),
        "identity/conditionalAccess/namedLocations".to_string(),
    ];
    let results = client.get_many(&paths).await;
    assert_eq!(results[0].as_ref().unwrap()["id"], ids[0].as_str());
    let missing = results[1].as_ref().unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(matches!(missing, GraphError::Api { path, .. } if path == &paths[1]));
    let merged = results[2].as_ref().unwrap();
    assert_eq!(merged["value"].as_array().unwrap().len(), all.len());
    assert!(merged.get("@odata.nextLink").is_none());
    assert!(results[3].as_ref().unwrap().get("id").is_some());
    assert!(results[4].as_ref().unwrap()["value"].is_array());
    assert!(results[5].as_ref().unwrap()["value"].is_array());
}

#[tokio::test]
async fn batch_items_are_matched_by_id_and_only_failed_ones_resent() {
    // A stand-in that answers in reverse order, throttles item "1" once (Retry-After 0.3 s)
    // and fails item "2" with 424 once.
    let rounds = Arc::new(AtomicUsize::new(0));
    let seen_rounds = rounds.clone();
    let server = scripted::serve(move |req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        assert_eq!(req.path, "/v1.0/$batch");
        let round = seen_rounds.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_str(&req.body).unwrap();
        let mut responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                let url = r["url"].as_str().unwrap();
                match (round, id) {
                    (0, "1") => json!({"id": id, "status": 429, "headers": {"Retry-After": "0.3"}, "body": {"error": {"code": "TooManyRequests", "message": "slow down"}}}),
                    (0, "2") => json!({"id": id, "status": 424, "body": {"error": {"code": "FailedDependency", "message": "x"}}}),
                    (_, "3") => json!({"id": id, "status": 403, "headers": {"request-id": "r-3"}, "body": {"error": {"code": "Authorization_RequestDenied", "message": "no"}}}),
                    _ => json!({"id": id, "status": 200, "body": {"url": url}}),
                }
            })
            .collect();
        responses.reverse();
        Reply::json(200, json!({ "responses": responses }))
    })
    .await;
    let events = Events::default();
    let client = GraphClient::new(scripted_config(&server.base), events.observer()).unwrap();
    let paths: Vec<String> = (0..4).map(|i| format!("things/{i}")).collect();
    let started = Instant::now();
    let results = client.get_many(&paths).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "Retry-After honoured"
    );
    assert_eq!(results[0].as_ref().unwrap()["url"], "/things/0");
    assert_eq!(results[1].as_ref().unwrap()["url"], "/things/1");
    assert_eq!(results[2].as_ref().unwrap()["url"], "/things/2");
    let denied = results[3].as_ref().unwrap_err();
    assert_eq!(denied.code(), Some("Authorization_RequestDenied"));
    assert!(matches!(denied, GraphError::Api { request_id: Some(r), .. } if r == "r-3"));
    let batches = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1.0/$batch")
        .collect::<Vec<_>>();
    assert_eq!(batches.len(), 2);
    let second: Value = serde_json::from_str(&batches[1].body).unwrap();
    let resent: Vec<&str> = second["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(resent, vec!["1", "2"], "only the failed items go again");
    assert_eq!(client.stats().throttled, 1);
    assert!(events.all().iter().any(
        |e| matches!(e, GraphEvent::Throttled { wait, .. } if *wait == Duration::from_millis(300))
    ));
}

// ---------------------------------------------------------------------------------------------
// Throttling

#[tokio::test]
async fn conditional_access_reads_are_spaced_one_per_second_without_429s() {
    let mut cfg = emulator_config();
    cfg.throttle = ThrottleMode::Realistic;
    let emu = start(cfg).await;
    let client = emu.client(&Events::default());
    client.get("organization").await.unwrap(); // token outside the timing
    let started = Instant::now();
    // Concurrent callers share the client's gate.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..5 {
        let client = client.clone();
        let path = if i % 2 == 0 {
            "identity/conditionalAccess/policies"
        } else {
            "identity/conditionalAccess/namedLocations"
        };
        tasks.spawn(async move { client.list(path).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats();
    assert_eq!(stats.throttled, 0, "{stats:?}");
    assert_eq!(stats.retries, 0, "{stats:?}");
}

#[tokio::test]
async fn conditional_access_429_without_retry_after_is_retried_with_backoff() {
    // Another app (or tenant-wide limit) throttles us: 429 without Retry-After, twice.
    let refused = Arc::new(AtomicUsize::new(0));
    let count = refused.clone();
    let server = scripted::serve(move |req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        if count.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::graph_error(429, "TooManyRequests")
        } else {
            Reply::json(200, json!({"value": []}))
        }
    })
    .await;
    let events = Events::default();
    let mut config = scripted_config(&server.base);
    config.conditional_access_interval = Duration::from_millis(200);
    let client = GraphClient::new(config, events.observer()).unwrap();
    assert!(
        client
            .list("identity/conditionalAccess/policies")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(client.stats().throttled, 2);
    assert_eq!(events.throttled(), 2);
    let graph_requests: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .collect();
    for pair in graph_requests.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(190),
            "spaced even when retrying"
        );
    }
}

#[tokio::test]
async fn identity_throttling_is_waited_out_with_retry_after() {
    let mut cfg = emulator_config();
    cfg.throttle = ThrottleMode::Scale(0.002);
    let emu = start(cfg).await;
    let events = Events::default();
    let client = emu.client(&events);
    for _ in 0..12 {
        client.get("policies/authorizationPolicy").await.unwrap();
    }
    let stats = client.stats();
    assert!(stats.throttled > 0, "{stats:?}");
    assert!(events.throttled() > 0);
    assert!(stats.waited > Duration::ZERO);
    // Waiting as told means few premature retries: most throttled calls succeed next time.
    assert!(stats.retries <= stats.throttled + 2, "{stats:?}");
}

#[tokio::test]
async fn identity_throttling_of_batch_items_is_retried_per_item() {
    let mut cfg = emulator_config();
    cfg.throttle = ThrottleMode::Scale(0.002);
    let emu = start(cfg).await;
    let events = Events::default();
    let client = emu.client(&events);
    let paths: Vec<String> = (0..12)
        .map(|_| "policies/authorizationPolicy".to_string())
        .collect();
    let results = client.get_many(&paths).await;
    for r in &results {
        r.as_ref().unwrap();
    }
    assert!(client.stats().throttled > 0, "{:?}", client.stats());
}

#[tokio::test]
async fn fractional_retry_after_is_honoured() {
    let server = scripted::first_then(
        || Reply::graph_error(429, "TooManyRequests").with_header("retry-after", "0.75"),
        || Reply::json(200, json!({"id": "x"})),
    )
    .await;
    let events = Events::default();
    let client = GraphClient::new(scripted_config(&server.base), events.observer()).unwrap();
    client.get("groups/x").await.unwrap();
    let gets: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets.len(), 2);
    assert!(gets[1].at - gets[0].at >= Duration::from_millis(750));
    assert_eq!(
        events
            .all()
            .into_iter()
            .find(|e| matches!(e, GraphEvent::Throttled { .. })),
        Some(GraphEvent::Throttled {
            path: "groups/x".to_string(),
            wait: Duration::from_millis(750),
            attempt: 1
        })
    );
    // One logical call keeps one client-request-id across its retries, and it is a GUID.
    let ids: HashSet<&str> = gets
        .iter()
        .map(|g| g.header("client-request-id").unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids.iter().next().unwrap().len(), 36);
    assert!(
        gets[0]
            .header("user-agent")
            .unwrap()
            .starts_with("blueprint/")
    );
}

#[tokio::test]
async fn the_wait_budget_bounds_a_throttled_call() {
    let server = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::graph_error(429, "TooManyRequests").with_header("retry-after", "30")
    })
    .await;
    let mut config = scripted_config(&server.base);
    config.retry = RetryPolicy {
        max_wait_total: Duration::from_secs(10),
        ..RetryPolicy::default()
    };
    let client = GraphClient::without_observer(config).unwrap();
    let err = client.get("groups").await.unwrap_err();
    assert_eq!(
        client.stats().waited,
        Duration::ZERO,
        "gave up instead of waiting 30 s"
    );
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait budget"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Writes and faults

#[tokio::test]
async fn patch_answers_204_or_200_and_delete_then_404() {
    let emu = start(emulator_config()).await;
    let client = emu.client(&Events::default());
    let id = create_groups(&client, "writable", 1).await.remove(0);
    let path = format!("groups/{id}");
    assert_eq!(
        client
            .patch(&path, &json!({"description": "patched"}))
            .await
            .unwrap(),
        None
    );
    assert_eq!(client.get(&path).await.unwrap()["description"], "patched");

    let policy = client
        .post(
            "groupLifecyclePolicies",
            &json!({"groupLifetimeInDays": 180, "managedGroupTypes": "All", "alternateNotificationEmails": "admin@example.gov.au"}),
        )
        .await
        .unwrap();
    let policy_path = format!("groupLifecyclePolicies/{}", policy["id"].as_str().unwrap());
    let patched = client
        .patch(&policy_path, &json!({"groupLifetimeInDays": 365}))
        .await
        .unwrap();
    assert_eq!(
        patched.expect("200 with the body")["groupLifetimeInDays"],
        365
    );

    client.delete(&path).await.unwrap();
    assert!(client.get(&path).await.unwrap_err().is_not_found());
    let again = client.delete(&path).await.unwrap_err();
    assert_eq!(again.status(), Some(404));
    assert!(matches!(again, GraphError::Api { ref method, .. } if method == "DELETE"));
}

#[tokio::test]
async fn a_create_answered_500_is_not_sent_again() {
    let server = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::graph_error(500, "InternalServerError")
    })
    .await;
    let client = GraphClient::without_observer(scripted_config(&server.base)).unwrap();
    let err = client
        .post("groups", &security_group("x", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("look the object up"), "{err}");
    assert_eq!(server.count("POST", "/v1.0/groups"), 1);

    let hung_up = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::hang_up()
    })
    .await;
    let client = GraphClient::without_observer(scripted_config(&hung_up.base)).unwrap();
    let err = client
        .post("groups", &security_group("x", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(hung_up.count("POST", "/v1.0/groups"), 1);
    // The same fault on a read is retried.
    let err = client.get("groups").await.unwrap_err();
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 12, .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_create_is_outcome_unknown_and_a_timed_out_read_is_retried() {
    // The stand-in answers only after the client has given up.
    let server = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        std::thread::sleep(Duration::from_millis(700));
        Reply::json(201, json!({"id": "late"}))
    })
    .await;
    let mut config = scripted_config(&server.base);
    config.timeout = Duration::from_millis(300);
    config.retry.max_attempts = 3;
    let client = GraphClient::without_observer(config).unwrap();
    let err = client
        .post("groups", &security_group("x", "x"))
        .await
        .unwrap_err();
    let GraphError::OutcomeUnknown { cause, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(cause.contains("no answer within"), "{cause}");
    assert_eq!(server.count("POST", "/v1.0/groups"), 1);
    let err = client.get("groups/late").await.unwrap_err();
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(server.count("GET", "/v1.0/groups/late"), 3);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_and_then_404s_has_succeeded() {
    let server = scripted::first_then(
        || Reply::graph_error(503, "ServiceUnavailable"),
        || Reply::graph_error(404, "Request_ResourceNotFound"),
    )
    .await;
    let client = GraphClient::without_observer(scripted_config(&server.base)).unwrap();
    client.delete("groups/gone").await.unwrap();
    assert_eq!(server.count("DELETE", "/v1.0/groups/gone"), 2);
    // Without the lost answer first, a 404 is the caller's to judge.
    let err = client.delete("groups/gone").await.unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_create_refused_with_429_is_sent_again() {
    let server = scripted::first_then(
        || Reply::graph_error(429, "TooManyRequests").with_header("retry-after", "0.1"),
        || Reply::json(201, json!({"id": "new"})),
    )
    .await;
    let client = GraphClient::without_observer(scripted_config(&server.base)).unwrap();
    let created = client
        .post("groups", &security_group("x", "x"))
        .await
        .unwrap();
    assert_eq!(created["id"], "new");
    assert_eq!(server.count("POST", "/v1.0/groups"), 2);
}

#[tokio::test]
async fn faults_reads_and_patches_recover_and_creates_never_duplicate() {
    let mut cfg = emulator_config();
    cfg.rng_seed = Some(20240611);
    cfg.faults = FaultConfig {
        latency_ms: None,
        fault_rate: 0.3,
    };
    let emu = start(cfg).await;
    let events = Events::default();
    let mut config = emu.graph_config("blueprint-deploy", Transport::PlainHttp, Auth::Secret);
    config.retry = quick_retries();
    config.timeout = Duration::from_secs(5);
    let client = GraphClient::new(config, events.observer()).unwrap();

    for _ in 0..20 {
        client.get("policies/authorizationPolicy").await.unwrap();
        client.list("groups").await.unwrap();
    }

    let mut outcomes = Vec::new();
    for i in 0..15 {
        let name = format!("Fault probe {i:02}");
        let result = client
            .post(
                "groups",
                &security_group(&name, &format!("faultprobe{i:02}")),
            )
            .await;
        match &result {
            Ok(_) | Err(GraphError::OutcomeUnknown { .. }) | Err(GraphError::Api { .. }) => {}
            Err(other) => panic!("{name}: unexpected {other:?}"),
        }
        outcomes.push((name, result));
    }
    assert!(
        outcomes.iter().any(|(_, r)| r.is_ok()),
        "some creates go through at a 30% fault rate"
    );
    for (name, result) in &outcomes {
        let found = client
            .list(&format!("groups?$filter=displayName eq '{name}'"))
            .await
            .unwrap();
        assert!(found.len() <= 1, "{name} was created {} times", found.len());
        if let Ok(created) = result {
            assert_eq!(found.len(), 1, "{name}");
            assert_eq!(found[0]["id"], created["id"]);
        }
    }

    // PATCH is idempotent: retried through the faults until it lands.
    let (_, target) = outcomes.iter().find(|(_, r)| r.is_ok()).unwrap();
    let path = format!(
        "groups/{}",
        target.as_ref().unwrap()["id"].as_str().unwrap()
    );
    for i in 0..10 {
        client
            .patch(&path, &json!({"description": format!("v{i}")}))
            .await
            .unwrap();
    }
    assert_eq!(client.get(&path).await.unwrap()["description"], "v9");
    assert!(
        client.stats().retries > 0,
        "the faults were met: {:?}",
        client.stats()
    );
}
