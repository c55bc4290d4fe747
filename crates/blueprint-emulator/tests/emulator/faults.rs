//! Injected faults ("Dev Proxy" style): reproducible with a seed; latency; dropped
//! connections; creates that commit but lose their response.

use std::time::{Duration, Instant};

use blueprint_emulator::FaultConfig;

use crate::support::*;

async fn statuses(seed: u64) -> Vec<String> {
    let mut cfg = config("empty-agency");
    cfg.rng_seed = Some(seed);
    cfg.faults = FaultConfig {
        latency_ms: None,
        fault_rate: 0.5,
    };
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let mut out = Vec::new();
    for i in 0..30 {
        let resp = emu
            .http
            .post(format!("{}/v1.0/groups", emu.base))
            .bearer_auth(&t)
            .json(&security_group(&format!("g{i}"), &format!("g{i}")))
            .send()
            .await;
        out.push(match resp {
            Ok(r) => r.status().as_u16().to_string(),
            Err(_) => "dropped".to_string(),
        });
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let a = statuses(11).await;
    let b = statuses(11).await;
    let c = statuses(12).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().any(|s| s == "201"));
    assert!(
        a.iter()
            .any(|s| s.starts_with('5') || s == "429" || s == "dropped"),
        "{a:?}"
    );
}

#[tokio::test]
async fn lost_create_responses_still_commit() {
    let mut cfg = config("empty-agency");
    cfg.faults = FaultConfig {
        latency_ms: None,
        fault_rate: 1.0,
    };
    let emu = start_with(cfg).await;
    // Tokens come from the token service, which the fault plan leaves alone.
    let t = emu.token().await;
    let mut failures = 0;
    for i in 0..40 {
        let resp = emu
            .http
            .post(format!("{}/v1.0/groups", emu.base))
            .bearer_auth(&t)
            .json(&security_group(&format!("lost-{i}"), &format!("lost-{i}")))
            .send()
            .await;
        let ok = matches!(&resp, Ok(r) if r.status() == 201);
        assert!(!ok, "every request meets a fault at rate 1.0");
        failures += 1;
    }
    assert_eq!(failures, 40);
    // Some of those creates committed although no client saw a 201.
    let state = emu.state().await;
    let groups = state["tenants"][0]["collections"]["group"]
        .as_object()
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(groups > 0, "some creates committed");
    assert!(groups < 40, "and some were refused before committing");
}

#[tokio::test]
async fn latency_is_added() {
    let mut cfg = config("empty-agency");
    cfg.faults = FaultConfig {
        latency_ms: Some((120, 150)),
        fault_rate: 0.0,
    };
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let start = Instant::now();
    let r = emu.get(&t, "groups").await;
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(120));
}

/// `--replication-lag-ms`: a created object is invisible to lists, filters, `$count` and get
/// by id until the lag has passed; writes see it at once. `--lose-create-answers`: the first
/// creates commit but answer 500.
#[tokio::test]
async fn replication_lag_hides_new_objects_from_reads_and_lost_answers_still_commit() {
    let mut cfg = config("empty-agency");
    cfg.replication_lag = Duration::from_millis(1500);
    cfg.lose_create_answers = 1;
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let group = |name: &str| serde_json::json!({"displayName": name, "mailEnabled": false, "mailNickname": name, "securityEnabled": true});
    let lost = emu.post(&t, "groups", group("lagged-lost")).await;
    assert_eq!(lost.status, 500, "{}", lost.text);
    let made = emu.post(&t, "groups", group("lagged")).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    let created_at = Instant::now();

    let by_id = emu.get(&t, &format!("groups/{id}")).await;
    let filtered = emu
        .get(
            &t,
            "groups?$filter=displayName eq 'lagged-lost' or displayName eq 'lagged'",
        )
        .await;
    // A write reaches the primary, which has the object.
    let patched = emu
        .patch(
            &t,
            &format!("groups/{id}"),
            serde_json::json!({"description": "x"}),
        )
        .await;
    if created_at.elapsed() < Duration::from_millis(1500) {
        assert_eq!(by_id.status, 404, "{}", by_id.text);
        assert_eq!(
            filtered.body["value"].as_array().unwrap().len(),
            0,
            "{}",
            filtered.text
        );
    }
    assert_eq!(patched.status, 204, "{}", patched.text);

    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(emu.get(&t, &format!("groups/{id}")).await.status, 200);
    let filtered = emu
        .get(
            &t,
            "groups?$filter=displayName eq 'lagged-lost' or displayName eq 'lagged'",
        )
        .await;
    assert_eq!(
        filtered.body["value"].as_array().unwrap().len(),
        2,
        "the lost answer's create committed: {}",
        filtered.text
    );
}
