//! The operator's side: TLS with a generated CA beside plain HTTP, the ready file, state
//! persistence and resume, introspection and reset.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn tls_with_the_generated_ca_and_plain_http_on_the_same_port() {
    let mut cfg = config("empty-agency");
    cfg.tls = true;
    let emu = start_with(cfg).await;
    let info = emu.running.info().clone();
    assert!(info.graph.starts_with("https://127.0.0.1:"));
    let ca = std::fs::read(info.ca_file.as_ref().unwrap()).unwrap();
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let a = emu.app("blueprint-deploy");
    let resp = trusting
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            info.authority,
            emu.tenant().id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", a.client_id.as_str()),
            ("client_secret", a.client_secret.as_deref().unwrap()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let token: Value = resp.json().await.unwrap();
    let groups = trusting
        .get(format!("{}/v1.0/groups", info.graph))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(groups.status(), 200);
    let body: Value = groups.json().await.unwrap();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/v1.0/groups", info.graph))
            .send()
            .await
            .is_err()
    );
    let plain = emu
        .http
        .get(format!("{}/_emulator/health", info.plain_http))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
}

#[tokio::test]
async fn ready_file_state_file_resume_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("tenant.json");
    let ready_path = dir.path().join("ready.json");
    let mut cfg = config("legacy-agency");
    cfg.state_file = Some(state_path.clone());
    cfg.ready_file = Some(ready_path.clone());
    let emu = start_with(cfg.clone()).await;
    let ready: Value = serde_json::from_slice(&std::fs::read(&ready_path).unwrap()).unwrap();
    assert_eq!(
        ready["tenants"][0]["domain"],
        "legacyaffairs.onmicrosoft.com"
    );
    assert!(ready["tenants"][0]["apps"][0]["client_secret"].is_string());
    assert!(
        std::path::Path::new(
            ready["tenants"][0]["apps"][0]["certificate_path"]
                .as_str()
                .unwrap()
        )
        .exists()
    );

    let t = emu.token().await;
    let created = emu
        .post(&t, "groups", security_group("Survives restart", "survives"))
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_string();
    let counts: Value = emu
        .http
        .get(format!("{}/_emulator/requests", emu.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        counts["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route"] == "/v1.0/groups" && r["method"] == "POST" && r["status"] == 201)
    );
    let Emu { running, .. } = emu;
    running.shutdown().await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    assert!(saved.to_string().contains("Survives restart"));

    let again = start_with(cfg).await;
    let t = again.token().await;
    assert_eq!(
        again.get(&t, &format!("groups/{id}")).await.status,
        200,
        "resumed from the state file"
    );

    let reset = again
        .http
        .post(format!("{}/_emulator/reset", again.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let t = again.token().await;
    assert_eq!(
        again.get(&t, &format!("groups/{id}")).await.status,
        404,
        "reset returns to the seed"
    );
    assert_eq!(
        again
            .get(&t, "groups?$filter=displayName eq 'Finance Team'")
            .await
            .body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn many_tenants_in_one_process_are_isolated() {
    let mut cfg = config("empty-agency");
    cfg.seeds
        .push(blueprint_emulator::Fixture::load("legacy-agency").unwrap());
    let emu = start_with(cfg).await;
    let tenants = &emu.running.info().tenants;
    assert_eq!(tenants.len(), 2);
    let t = emu.token().await; // first tenant (tenants are listed by id, so either agency)
    let groups = emu.list_all(&t, "groups").await;
    let legacy_groups = [
        "Finance Team",
        "Legacy VPN Users",
        "All Staff",
        "grp-Conditional_Access_Exclude",
    ];
    if tenants[0].name == "Department of Examples" {
        assert!(
            groups.is_empty(),
            "the empty agency does not see the legacy agency's groups"
        );
    } else {
        assert_eq!(
            groups.len(),
            legacy_groups.len(),
            "the legacy agency sees its own groups only"
        );
    }
    let state = emu.state().await;
    assert_eq!(state["tenants"].as_array().unwrap().len(), 2);
    assert!(
        !state
            .to_string()
            .contains(tenants[0].apps[0].client_secret.as_deref().unwrap()),
        "the state dump holds no secrets"
    );
}
