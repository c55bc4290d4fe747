//! Bad input gets Graph's error body and status, never a panic or a hung connection.

use std::time::Duration;

use proptest::prelude::*;
use reqwest::Method;

use crate::support::*;

#[tokio::test]
async fn malformed_bodies_routes_and_methods() {
    let mut cfg = config("empty-agency");
    cfg.max_body_bytes = 2048;
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let raw = |method: Method, path: &str, body: &'static str| {
        emu.http
            .request(method, format!("{}/v1.0/{path}", emu.base))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = reply(
        raw(Method::POST, "groups", "{\"displayName\": ")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "BadRequest"));
    let r = reply(raw(Method::POST, "groups", "[1,2,3]").await.unwrap()).await;
    assert_eq!(r.status, 400);
    let r = reply(raw(Method::POST, "groups", "{\"displayName\": 5, \"mailEnabled\": false, \"mailNickname\": \"x\", \"securityEnabled\": true}").await.unwrap()).await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Edm.String"), "{}", r.text);
    let big = "x".repeat(4096);
    let r = reply(
        emu.http
            .post(format!("{}/v1.0/groups", emu.base))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(format!("{{\"displayName\":\"{big}\"}}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (413, "RequestEntityTooLarge")
    );
    let r = emu.call(&t, Method::PUT, "groups", None).await;
    assert_eq!(r.status, 405);
    let r = emu
        .call(&t, Method::DELETE, "policies/authorizationPolicy", None)
        .await;
    assert_eq!(r.status, 405);
    let r = emu.get(&t, "nothing/here").await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "BadRequest"));
    let r = reply(
        emu.http
            .get(format!("{}/elsewhere", emu.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.body["error"]["code"].is_string());
    let r = emu.post(&t, "groups", serde_json::Value::Null).await;
    assert_eq!(r.status, 400);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn arbitrary_bodies_never_break_the_service(body in proptest::collection::vec(any::<u8>(), 0..300), path_pick in 0usize..6) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let emu = start("empty-agency").await;
            let t = emu.token().await;
            let paths = ["groups", "identity/conditionalAccess/policies", "identity/conditionalAccess/namedLocations",
                         "groupSettings", "deviceManagement/deviceCompliancePolicies", "$batch"];
            let resp = tokio::time::timeout(Duration::from_secs(10), emu.http
                .post(format!("{}/v1.0/{}", emu.base, paths[path_pick]))
                .bearer_auth(&t)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()).await.expect("no hung connection").expect("a response");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            prop_assert!(status < 500, "status {} for {:?}", status, String::from_utf8_lossy(&body));
            let v: serde_json::Value = serde_json::from_str(&text).expect("a JSON body");
            if status >= 400 {
                prop_assert!(v["error"]["code"].is_string());
            }
            Ok(())
        })?;
    }
}
