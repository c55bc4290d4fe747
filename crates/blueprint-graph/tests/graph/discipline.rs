//! Retry discipline by safety class, reaching the services (DNS, refused connections, the
//! proxy), and hostile values in real answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use blueprint_graph::{GraphClient, GraphConfig, GraphError, GraphEvent, ProxyConfig};
use serde_json::json;

use crate::scripted::{self, Reply, Seen};
use crate::support::{Events, quick_retries};

fn config(base: &str) -> GraphConfig {
    GraphConfig {
        retry: blueprint_graph::RetryPolicy {
            replication_window: Duration::from_secs(3),
            ..quick_retries()
        },
        proxy: ProxyConfig::Direct,
        ..crate::scripted_config(base)
    }
}

fn retrying_events(events: &Events) -> usize {
    events
        .all()
        .iter()
        .filter(|e| {
            matches!(
                e,
                GraphEvent::Retrying { .. } | GraphEvent::Throttled { .. }
            )
        })
        .count()
}

/// A host that does not resolve is said at once: one token request, no retry, the host and
/// what to check named.
#[tokio::test]
async fn an_unresolvable_authority_fails_after_one_attempt() {
    let events = Events::default();
    let client = GraphClient::new(
        GraphConfig {
            authority: "https://login.invalid".to_string(),
            graph: "https://graph.invalid".to_string(),
            ..config("http://127.0.0.1:1")
        },
        events.observer(),
    )
    .unwrap();
    let err = client.get("organization").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GraphError::Transport { .. }), "{err:?}");
    assert!(text.contains("login.invalid"), "{text}");
    assert!(text.contains("cannot resolve the host name"), "{text}");
    assert!(text.contains("AZURE_AUTHORITY_HOST"), "{text}");
    assert!(text.contains("after 1 attempt"), "{text}");
    let stats = client.stats();
    assert_eq!(stats.token_requests, 1, "{stats:?}");
    assert_eq!(stats.retries, 0, "{stats:?}");
    assert_eq!(retrying_events(&events), 0, "{:?}", events.all());
}

#[tokio::test]
async fn a_closed_loopback_port_fails_after_one_attempt() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let events = Events::default();
    let client = GraphClient::new(config(&base), events.observer()).unwrap();
    let err = client.get("organization").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GraphError::Transport { .. }), "{err:?}");
    assert!(
        text.contains(&format!("connection refused by 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("after 1 attempt"), "{text}");
    assert_eq!(client.stats().token_requests, 1);
    assert_eq!(client.stats().retries, 0);
    assert_eq!(retrying_events(&events), 0);
}

/// Once Graph has answered, a failed connect is a blip: retried within the budget.
#[tokio::test]
async fn a_connect_failure_after_graph_answered_is_retried() {
    let server = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::json(200, json!({"id": "x"}))
    })
    .await;
    let base = server.base.clone();
    let events = Events::default();
    let mut cfg = config(&base);
    cfg.retry.max_attempts = 3;
    let client = GraphClient::new(cfg, events.observer()).unwrap();
    client.get("groups/x").await.unwrap();
    drop(server);
    // The listener is gone with the scripted server's task.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = client.get("groups/x").await.unwrap_err();
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(retrying_events(&events), 2);
}

/// HTTPS goes through the configured proxy as a CONNECT tunnel; a proxy that refuses is named.
#[tokio::test]
async fn https_goes_through_the_proxy_and_a_refusing_proxy_is_named() {
    let proxy = scripted::serve(|_req: &Seen| Reply::json(403, json!({"denied": true}))).await;
    let proxied = GraphConfig {
        authority: "https://login.example.com".to_string(),
        graph: "https://graph.example.com".to_string(),
        proxy: ProxyConfig::Url {
            url: format!(
                "http://user:pr0xy-pw@{}",
                proxy.base.trim_start_matches("http://")
            ),
            no_proxy: String::new(),
        },
        ..config("http://127.0.0.1:1")
    };
    let client = GraphClient::without_observer(proxied.clone()).unwrap();
    let err = client.get("organization").await.unwrap_err();
    let text = err.to_string();
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].path, "login.example.com:443");
    assert!(
        seen[0]
            .header("proxy-authorization")
            .is_some_and(|v| v.starts_with("Basic ")),
        "{seen:?}"
    );
    assert!(
        text.contains("through the proxy http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("after 1 attempt"), "{text}");
    assert!(!text.contains("pr0xy-pw"), "{text}");
    assert!(!format!("{proxied:?}").contains("pr0xy-pw"));

    // NO_PROXY takes the host off the proxy: it is then resolved here, and fails here.
    let bypass = GraphConfig {
        proxy: ProxyConfig::Url {
            url: proxy.base.clone(),
            no_proxy: "example.com".to_string(),
        },
        ..proxied
    };
    let err = GraphClient::without_observer(bypass)
        .unwrap()
        .get("organization")
        .await
        .unwrap_err();
    assert_eq!(proxy.requests().len(), 1, "the proxy saw nothing more");
    assert!(err.to_string().contains("login.example.com"), "{err}");

    // Loopback (the emulator) is never proxied, whatever the proxy setting says.
    let local = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::json(200, json!({"id": "x"}))
    })
    .await;
    let client = GraphClient::without_observer(GraphConfig {
        proxy: ProxyConfig::Url {
            url: proxy.base.clone(),
            no_proxy: String::new(),
        },
        ..config(&local.base)
    })
    .unwrap();
    client.get("groups/x").await.unwrap();
    assert_eq!(proxy.requests().len(), 1);
}

#[test]
fn a_proxy_that_is_not_a_url_is_a_configuration_error() {
    let err = GraphClient::without_observer(GraphConfig {
        proxy: ProxyConfig::Url {
            url: "::not a url::".to_string(),
            no_proxy: String::new(),
        },
        ..config("http://127.0.0.1:1")
    })
    .unwrap_err();
    assert!(matches!(err, GraphError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("proxy"), "{err}");
}

/// `Retry-After: 1e20` and a token living 1e300 seconds: clamped, no panic.
#[tokio::test]
async fn absurd_retry_after_and_token_lifetime_are_clamped_not_panics() {
    let server = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::json(
                200,
                json!({"token_type":"Bearer","expires_in":1e300,"ext_expires_in":1e300,"access_token":"t"}),
            );
        }
        Reply::graph_error(429, "TooManyRequests").with_header("retry-after", "1e20")
    })
    .await;
    let events = Events::default();
    let client = GraphClient::new(config(&server.base), events.observer()).unwrap();
    let err = client.get("groups").await.unwrap_err();
    assert!(err.to_string().contains("wait budget"), "{err}");
    assert!(events.all().contains(&GraphEvent::TokenAcquired {
        expires_in: Duration::from_secs(24 * 3600)
    }));
}

/// `/assign` replaces the assignment set: resent after a 500, where a create is not.
#[tokio::test]
async fn an_idempotent_action_is_resent_after_a_lost_answer_and_a_create_is_not() {
    let server = scripted::first_then(
        || Reply::graph_error(500, "generalException"),
        || Reply::json(200, json!({"value": []})),
    )
    .await;
    let client = GraphClient::without_observer(config(&server.base)).unwrap();
    let body = json!({"assignments": []});
    let answer = client
        .post_action("deviceManagement/deviceCompliancePolicies/p/assign", &body)
        .await
        .unwrap();
    assert_eq!(answer, Some(json!({"value": []})));
    assert_eq!(server.count("POST", "/v1.0/deviceManagement"), 2);

    let server = scripted::first_then(
        || Reply::graph_error(500, "generalException"),
        || Reply::json(201, json!({"id": "new"})),
    )
    .await;
    let client = GraphClient::without_observer(config(&server.base)).unwrap();
    let err = client.post("groups", &json!({})).await.unwrap_err();
    assert!(matches!(err, GraphError::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(server.count("POST", "/v1.0/groups"), 1);
}

/// Reading an object just created: a 404 is replication lag, looked for again in the window.
#[tokio::test]
async fn get_known_waits_out_replication_and_get_does_not() {
    let misses = Arc::new(AtomicUsize::new(0));
    let counter = misses.clone();
    let server = scripted::serve(move |req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        if counter.fetch_add(1, Ordering::SeqCst) < 3 {
            Reply::graph_error(404, "Request_ResourceNotFound")
        } else {
            Reply::json(200, json!({"id": "fresh"}))
        }
    })
    .await;
    let events = Events::default();
    let client = GraphClient::new(config(&server.base), events.observer()).unwrap();
    assert!(client.get("groups/fresh").await.unwrap_err().is_not_found());
    let found = client.get_known("groups/fresh").await.unwrap();
    assert_eq!(found["id"], "fresh");
    let stats = client.stats();
    assert_eq!(stats.replication_looks, 2, "{stats:?}");
    assert_eq!(stats.retries, 0, "{stats:?}");
    let waits: Vec<Duration> = events
        .all()
        .into_iter()
        .filter_map(|e| match e {
            GraphEvent::AwaitingReplication { wait, .. } => Some(wait),
            _ => None,
        })
        .collect();
    assert_eq!(
        waits,
        [Duration::from_millis(500), Duration::from_millis(1000)]
    );

    // Past the window the 404 stands.
    let gone = scripted::serve(|req: &Seen| {
        if req.path.ends_with("/token") {
            return Reply::token("t", 3599);
        }
        Reply::graph_error(404, "Request_ResourceNotFound")
    })
    .await;
    let client = GraphClient::without_observer(config(&gone.base)).unwrap();
    assert!(
        client
            .get_known("groups/gone")
            .await
            .unwrap_err()
            .is_not_found()
    );
    // 3 s window: looks after 0.5, 1 and 1.5 s, then the answer stands.
    assert_eq!(gone.count("GET", "/v1.0/groups/gone"), 4);
}

#[tokio::test]
async fn until_replicated_looks_until_found_or_the_window_ends() {
    let client = GraphClient::without_observer(config("http://127.0.0.1:1")).unwrap();
    let looks = AtomicUsize::new(0);
    let found: Result<Option<u32>, ()> = client
        .until_replicated("groups ('x')", || {
            let n = looks.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok((n == 3).then_some(7)) }
        })
        .await;
    assert_eq!(found, Ok(Some(7)));
    let looks = AtomicUsize::new(0);
    let never: Result<Option<u32>, ()> = client
        .until_replicated("groups ('y')", || {
            looks.fetch_add(1, Ordering::SeqCst);
            async { Ok(None) }
        })
        .await;
    assert_eq!(never, Ok(None));
    assert_eq!(
        looks.load(Ordering::SeqCst),
        4,
        "the first look and one after each of 3 waits"
    );
    assert_eq!(client.stats().replication_looks, 2 + 3);
}
