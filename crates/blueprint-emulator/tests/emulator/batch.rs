//! JSON batching ("Combine multiple requests in one HTTP call using JSON batching").

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn batch(emu: &Emu, t: &str, body: Value) -> Reply {
    emu.call(t, Method::POST, "$batch", Some(body)).await
}

fn by_id<'a>(r: &'a Reply, id: &str) -> &'a Value {
    r.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {}", r.text))
}

#[tokio::test]
async fn batch_items_run_with_their_own_status_and_dependencies() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let r = batch(&emu, &t, json!({"requests": [
        {"id": "1", "method": "POST", "url": "/groups", "headers": {"Content-Type": "application/json"}, "body": security_group("Batch A", "batch-a")},
        {"id": "2", "method": "GET", "url": "/groups?$filter=displayName eq 'Batch A'", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/groups/00000000-0000-4000-8000-000000000000"},
        {"id": "4", "method": "GET", "url": "/policies/authorizationPolicy", "dependsOn": ["3"]},
        {"id": "5", "method": "GET", "url": "/organization"},
        {"id": "6", "method": "GET", "url": "/v1.0/groups"}
    ]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(by_id(&r, "1")["status"], 201);
    assert!(
        by_id(&r, "1")["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    assert_eq!(by_id(&r, "2")["status"], 200);
    assert_eq!(by_id(&r, "2")["body"]["value"][0]["displayName"], "Batch A");
    assert_eq!(by_id(&r, "3")["status"], 404);
    assert_eq!(
        by_id(&r, "3")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(
        by_id(&r, "4")["status"],
        424,
        "a failed parent fails its dependants"
    );
    assert_eq!(by_id(&r, "5")["status"], 200);
    // Step URLs are relative to the version; naming it is Graph's 400.
    assert_eq!(by_id(&r, "6")["status"], 400);
    assert!(
        by_id(&r, "6")["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'v1.0'")
    );
}

#[tokio::test]
async fn malformed_batches_are_rejected_whole() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let get = |id: usize| json!({"id": id.to_string(), "method": "GET", "url": "/groups"});
    let too_many: Vec<Value> = (0..21).map(get).collect();
    let cases = [
        json!({"requests": too_many}),
        json!({"requests": [get(1), get(1)]}),
        json!({"requests": [{"id": "1", "method": "POST", "url": "/groups", "body": security_group("x", "x")}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/groups", "dependsOn": ["9"]}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/groups"}]}),
        json!({"nothing": []}),
    ];
    for body in cases {
        let r = batch(&emu, &t, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.code(), "BadRequest");
    }
    let raw = emu
        .http
        .post(format!("{}/v1.0/$batch", emu.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert!(
        emu.list_all(&t, "groups").await.is_empty(),
        "a rejected batch changes nothing"
    );
}

#[tokio::test]
async fn batch_items_are_throttled_individually() {
    let mut cfg = config("empty-agency");
    cfg.throttle = blueprint_emulator::ThrottleMode::Realistic;
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let r = batch(
        &emu,
        &t,
        json!({"requests": [
            {"id": "a", "method": "GET", "url": "/identity/conditionalAccess/policies"},
            {"id": "b", "method": "GET", "url": "/identity/conditionalAccess/namedLocations"},
            {"id": "c", "method": "GET", "url": "/groups"}
        ]}),
    )
    .await;
    assert_eq!(r.status, 200);
    let statuses: Vec<u64> = ["a", "b", "c"]
        .iter()
        .map(|id| by_id(&r, id)["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec![200, 429, 200],
        "two conditional-access reads within a second"
    );
    assert!(
        by_id(&r, "b")["headers"].get("Retry-After").is_none(),
        "the CA service sends no Retry-After"
    );
}
