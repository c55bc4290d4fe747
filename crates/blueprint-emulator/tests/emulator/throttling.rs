//! Throttling as Microsoft documents it ("Microsoft Graph throttling guidance",
//! "service-specific throttling limits").

use std::time::{Duration, Instant};

use blueprint_emulator::ThrottleMode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn conditional_access_allows_one_request_per_second_per_tenant() {
    let mut cfg = config("empty-agency");
    cfg.throttle = ThrottleMode::Realistic;
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let other_app = emu.token_for("blueprint-auditor").await;
    let first = emu.get(&t, "identity/conditionalAccess/policies").await;
    assert_eq!(first.status, 200);
    // All apps combined: another app is throttled too.
    let second = emu
        .get(&other_app, "identity/conditionalAccess/namedLocations")
        .await;
    assert_eq!(second.status, 429);
    assert!(
        second.header("retry-after").is_none(),
        "no Retry-After from the CA service"
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(
        emu.get(&t, "identity/conditionalAccess/policies")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn identity_buckets_answer_with_fractional_retry_after_and_headers() {
    let mut cfg = config("empty-agency");
    // A small tenant's 3,500 resource units per 10 s, scaled to 3.5: a handful of requests.
    cfg.throttle = ThrottleMode::Scale(0.001);
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let ok = emu.get(&t, "groups").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-ms-resource-unit"), Some("1"));
    let mut throttled = None;
    for _ in 0..10 {
        let r = emu.get(&t, "groups").await;
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("the bucket runs dry");
    let retry_after: f64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0.0 && retry_after <= 10.0, "{retry_after}");
    let scope = r.header("x-ms-throttle-scope").unwrap();
    assert!(
        scope.starts_with("Tenant_Application/ReadWrite/"),
        "{scope}"
    );
    assert!(scope.ends_with(&emu.tenant().id));
    assert_eq!(
        r.header("x-ms-throttle-information"),
        Some("ResourceUnitLimitExceeded")
    );
    // Retrying before Retry-After is throttled again; after it, the request goes through.
    assert_eq!(emu.get(&t, "groups").await.status, 429);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    let after = emu.get(&t, "groups").await;
    assert_eq!(after.status, 200, "after {:?}", start.elapsed());
}

#[tokio::test]
async fn intune_writes_are_limited_per_tenant() {
    let mut cfg = config("empty-agency");
    cfg.throttle = ThrottleMode::Scale(0.02); // 100 writes per app per 20 s → 2
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = emu
            .post(&t, "deviceManagement/deviceConfigurations", json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": format!("c{i}")}))
            .await;
        statuses.push(r.status.as_u16());
        if r.status == 429 {
            assert!(r.header("retry-after").is_some());
        }
    }
    assert_eq!(&statuses[..2], &[201, 201]);
    assert!(statuses[2..].contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn throttling_off_never_throttles() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    for _ in 0..20 {
        assert_eq!(
            emu.get(&t, "identity/conditionalAccess/policies")
                .await
                .status,
            200
        );
    }
}

/// `Get-RemoteDomain` through InvokeCommand, as the module sends it.
async fn get_remote_domains(emu: &Emu, token: &str) -> Reply {
    let tenant = &emu.tenant().id;
    let url = format!("{}/adminapi/beta/{tenant}/InvokeCommand", emu.base);
    let anchor = format!("APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant}");
    emu.call_with(
        token,
        reqwest::Method::POST,
        &url,
        Some(json!({"CmdletInput": {"CmdletName": "Get-RemoteDomain", "Parameters": {}}})),
        &[("X-AnchorMailbox", &anchor), ("X-ResponseFormat", "json")],
    )
    .await
}

#[tokio::test]
async fn exchange_admin_api_answers_429_with_retry_after_in_its_error_shape() {
    let mut cfg = config("empty-agency");
    // 600 cmdlets a minute scaled to 3: the fourth in a burst is throttled.
    cfg.throttle = ThrottleMode::Scale(0.005);
    let emu = start_with(cfg).await;
    let t = exchange_token(&emu).await;
    let mut throttled = None;
    for _ in 0..10 {
        let r = get_remote_domains(&emu, &t).await;
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = throttled.expect("the Exchange budget runs dry");
    let retry_after: f64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0.0 && retry_after <= 60.0, "{retry_after}");
    assert_eq!(r.body["error"]["message"], "Invalid Operation");
    assert!(
        r.body["error"]["innererror"]["internalexception"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum number of concurrent requests"),
        "{}",
        r.text
    );
    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    assert_eq!(get_remote_domains(&emu, &t).await.status, 200);
}

#[tokio::test]
async fn exchange_admin_api_is_not_throttled_under_throttle_off() {
    let emu = start("empty-agency").await;
    let t = exchange_token(&emu).await;
    // More than a minute's realistic budget (600), at once.
    for _ in 0..650 {
        let r = get_remote_domains(&emu, &t).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

#[tokio::test]
async fn address_lists_are_refused_without_the_address_lists_role_and_answered_with_it() {
    let emu = start("empty-agency").await;
    let t = exchange_token(&emu).await;
    // The fixture's deployment app is connected: a member of the role group holding the role.
    let lists = invoke(&emu, &t, "Get-AddressList", json!({})).await;
    assert_eq!(lists.status, 200, "{}", lists.text);
    assert_eq!(lists.body["value"].as_array().unwrap().len(), 6);
    // Out of the group, its Exchange Administrator role alone does not bring the cmdlets.
    let out = invoke(
        &emu,
        &t,
        "Remove-RoleGroupMember",
        json!({"Identity": "blueprint Address Lists", "Member": "blueprint-deploy", "Confirm": false}),
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.text);
    for cmdlet in [
        "Get-AddressList",
        "Set-AddressList",
        "Get-GlobalAddressList",
    ] {
        let r = invoke(&emu, &t, cmdlet, json!({})).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.body["error"]["message"], "Invalid Operation");
        let inner = r.body["error"]["innererror"]["internalexception"]["message"]
            .as_str()
            .unwrap();
        assert!(
            inner.starts_with(&format!("The term '{cmdlet}' is not recognized")),
            "{inner}"
        );
        assert_eq!(
            r.header("x-exceptiontype"),
            Some("CommandNotFoundException")
        );
    }
    // Other cmdlets are unaffected.
    assert_eq!(get_remote_domains(&emu, &t).await.status, 200);
    let back = invoke(
        &emu,
        &t,
        "Add-RoleGroupMember",
        json!({"Identity": "blueprint Address Lists", "Member": "blueprint-deploy"}),
    )
    .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(
        invoke(&emu, &t, "Get-AddressList", json!({})).await.status,
        200
    );
}
