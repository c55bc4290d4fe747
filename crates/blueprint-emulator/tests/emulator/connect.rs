//! What `blueprint connect` and `doctor` rely on: an administrator signing in (device code,
//! authorization code with PKCE), registering an app and its service principal, granting app
//! roles through `appRoleAssignedTo` and a directory role, uploading a certificate, and the
//! app's next token carrying exactly those grants.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use blueprint_emulator::{GRAPH_APP_ID, GRAPH_CLI_CLIENT_ID};
use serde_json::{Value, json};

use crate::support::{Emu, config, start_with};

const SCOPES: &str = "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All https://graph.microsoft.com/RoleManagement.ReadWrite.Directory";
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const EXCHANGE_ADMINISTRATOR: &str = "29232cdf-9323-42fd-ade2-1d097af3e4de";

async fn emulator(interval: u64, lifetime: u64) -> Emu {
    let mut cfg = config("empty-agency");
    cfg.device_code_interval_secs = interval;
    cfg.device_code_lifetime_secs = lifetime;
    start_with(cfg).await
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

async fn start_device_code(emu: &Emu) -> Value {
    let r = emu
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/devicecode",
            emu.base,
            emu.tenant().id
        ))
        .form(&[("client_id", GRAPH_CLI_CLIENT_ID), ("scope", SCOPES)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn poll(emu: &Emu, device_code: &str) -> crate::support::Reply {
    emu.token_request(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", GRAPH_CLI_CLIENT_ID),
        ("device_code", device_code),
    ])
    .await
}

async fn approve(emu: &Emu, user_code: &str, user: &str) -> u16 {
    emu.http
        .post(format!("{}/_emulator/devicecode/approve", emu.base))
        .json(&json!({"user_code": user_code, "user": user}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The administrator's delegated token, by device code.
async fn admin_token(emu: &Emu) -> String {
    let started = start_device_code(emu).await;
    let admin = &emu.tenant().admins[0].user_principal_name;
    assert_eq!(
        approve(emu, started["user_code"].as_str().unwrap(), admin).await,
        204
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = poll(emu, started["device_code"].as_str().unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn device_code_flow_pends_slows_down_then_issues_a_delegated_token() {
    let emu = emulator(1, 900).await;
    let started = start_device_code(&emu).await;
    for field in ["user_code", "device_code", "verification_uri", "message"] {
        assert!(started[field].is_string(), "{field}: {started}");
    }
    assert_eq!(started["interval"], 1);
    assert_eq!(started["expires_in"], 900);
    let device_code = started["device_code"].as_str().unwrap();

    let r = poll(&emu, device_code).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    // Polling again at once is too fast.
    let r = poll(&emu, device_code).await;
    assert_eq!(r.body["error"], "slow_down", "{}", r.text);

    assert_eq!(
        approve(&emu, "NOSUCHCODE", "admin@examples.onmicrosoft.com").await,
        404
    );
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(
        approve(&emu, user_code, "admin@examples.onmicrosoft.com").await,
        204
    );
    // slow_down added 5 s to the 1 s interval: the next poll waits for it.
    tokio::time::sleep(std::time::Duration::from_millis(6_100)).await;
    let r = poll(&emu, device_code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(c["idtyp"], "user");
    assert_eq!(c["upn"], "admin@examples.onmicrosoft.com");
    assert_eq!(c["appid"], GRAPH_CLI_CLIENT_ID);
    let scp = c["scp"].as_str().unwrap();
    assert!(scp.contains("AppRoleAssignment.ReadWrite.All"), "{scp}");
    assert!(
        c["wids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == GLOBAL_ADMINISTRATOR)
    );
    assert!(c.get("roles").is_none());
    // A code is redeemed once.
    assert_eq!(poll(&emu, device_code).await.body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unanswered_device_code_expires() {
    let emu = emulator(1, 1).await;
    let started = start_device_code(&emu).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let r = poll(&emu, started["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"].as_str()),
        (400, Some("expired_token"))
    );
    assert!(r.body["error_codes"].is_array());
}

#[tokio::test]
async fn authorization_code_with_pkce_signs_in_through_the_form() {
    let emu = emulator(1, 900).await;
    let admin = emu.tenant().admins[0].clone();
    let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
    );
    let authorize = format!("{}/{}/oauth2/v2.0/authorize", emu.base, emu.tenant().id);
    let params = [
        ("client_id", GRAPH_CLI_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", "http://localhost:9999/"),
        ("scope", SCOPES),
        ("state", "xyz"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let with_query = |params: &[(&str, &str)]| {
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
            .collect();
        format!("{authorize}?{}", q.join("&"))
    };
    let page = emu.http.get(with_query(&params)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("type=\"password\""));
    // A redirect that is not loopback is refused.
    let mut bad = params.to_vec();
    bad[2] = ("redirect_uri", "https://evil.example/");
    assert_eq!(
        emu.http
            .get(with_query(&bad))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    let mut form = params.to_vec();
    form.push(("username", admin.user_principal_name.as_str()));
    form.push(("password", "wrong"));
    let r = emu.http.post(&authorize).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("incorrect"));
    form.pop();
    assert!(
        !admin.password.is_empty(),
        "the ready file hands out the admin's password"
    );
    form.push(("password", admin.password.as_str()));
    let r = emu.http.post(&authorize).form(&form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").cloned();
    assert_eq!(status, 302, "{}", r.text().await.unwrap());
    let _ = location;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("http://localhost:9999/?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz"));
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let code = urlencoding::decode(code).unwrap().into_owned();
    let redeem = |verifier: &'static str, code: String| {
        let emu = &emu;
        async move {
            emu.token_request(&[
                ("grant_type", "authorization_code"),
                ("client_id", GRAPH_CLI_CLIENT_ID),
                ("code", &code),
                ("redirect_uri", "http://localhost:9999/"),
                ("code_verifier", verifier),
            ])
            .await
        }
    };
    let wrong = redeem("not-the-verifier", code.clone()).await;
    assert_eq!(wrong.body["error"], "invalid_grant", "{}", wrong.text);
    // The failed redemption used the code up, as Entra does: sign in again.
    let r = emu.http.post(&authorize).form(&form).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let ok = redeem(verifier, urlencoding::decode(code).unwrap().into_owned()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        claims(ok.body["access_token"].as_str().unwrap())["upn"],
        admin.user_principal_name
    );
    assert!(
        ok.body.get("id_token").is_none(),
        "no ID token without `openid`"
    );

    // An OpenID Connect sign-in (`openid` asked for): the answer carries an ID token for the
    // client, from the tenant's v2.0 issuer, answering the request's nonce.
    let scope = format!("openid profile {SCOPES}");
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form[3] = ("scope", scope.as_str());
    form.push(("nonce", "n-0S6_WzA2Mj"));
    form.push(("username", admin.user_principal_name.as_str()));
    form.push(("password", admin.password.as_str()));
    let r = emu.http.post(&authorize).form(&form).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let ok = redeem(verifier, urlencoding::decode(code).unwrap().into_owned()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let id = claims(ok.body["id_token"].as_str().expect("an id_token"));
    assert_eq!(id["aud"], GRAPH_CLI_CLIENT_ID);
    assert_eq!(id["iss"], format!("{}/{}/v2.0", emu.base, emu.tenant().id));
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["preferred_username"], admin.user_principal_name);
    assert_eq!(id["tid"], emu.tenant().id);
    assert_eq!(id["ver"], "2.0");
}

#[tokio::test]
async fn an_admin_registers_an_app_grants_roles_and_the_next_token_carries_them() {
    let emu = emulator(1, 900).await;
    let admin = admin_token(&emu).await;

    // The app and its service principal.
    let app = emu
        .post(
            &admin,
            "applications",
            json!({"displayName": "blueprint", "signInAudience": "AzureADMyOrg"}),
        )
        .await;
    assert_eq!(app.status, 201, "{}", app.text);
    let (app_object, app_id) = (
        app.body["id"].as_str().unwrap(),
        app.body["appId"].as_str().unwrap(),
    );
    let sp = emu
        .post(&admin, "servicePrincipals", json!({"appId": app_id}))
        .await;
    assert_eq!(sp.status, 201, "{}", sp.text);
    let sp_id = sp.body["id"].as_str().unwrap();
    assert_eq!(
        emu.post(&admin, "servicePrincipals", json!({"appId": app_id}))
            .await
            .status,
        409
    );

    // Microsoft Graph's service principal publishes its app roles under their real ids.
    let graph = emu
        .get(
            &admin,
            &format!("servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id,appRoles"),
        )
        .await;
    assert_eq!(graph.status, 200, "{}", graph.text);
    let role = |name: &str| {
        graph.body["appRoles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == name)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no app role {name}"))
    };
    assert_eq!(
        role("Policy.ReadWrite.ConditionalAccess"),
        "01c0a623-fc9b-48e9-b794-0756f8e8f067"
    );
    assert_eq!(
        role("Policy.Read.All"),
        "246dd0d5-5bd0-4def-940b-0421030a5b68"
    );
    let graph_sp = graph.body["id"].as_str().unwrap();

    // A certificate: the public part only.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).ok();
    let key = key.unwrap_or_else(|| {
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap()
    });
    let cert = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let patch = emu
        .patch(&admin, &format!("applications/{app_object}"), json!({"keyCredentials": [{
            "type": "AsymmetricX509Cert", "usage": "Verify", "key": STANDARD.encode(cert.der()), "displayName": "CN=blueprint"
        }]}))
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text);
    let read = emu.get(&admin, &format!("applications/{app_object}")).await;
    let keys = read.body["keyCredentials"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0]["key"].is_null(), "Graph never returns the key");
    assert!(keys[0]["endDateTime"].is_string());

    // Grants: Graph app roles through appRoleAssignedTo, a directory role.
    let grant = |role_id: String| {
        let (emu, admin) = (&emu, &admin);
        async move {
            emu.post(
                admin,
                &format!("servicePrincipals/{graph_sp}/appRoleAssignedTo"),
                json!({
                    "principalId": sp_id, "resourceId": graph_sp, "appRoleId": role_id
                }),
            )
            .await
        }
    };
    let granted = grant(role("Policy.Read.All")).await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(granted.body["principalId"], sp_id);
    let again = grant(role("Policy.Read.All")).await;
    assert_eq!(again.status, 400);
    assert!(again.text.contains("already exists"), "{}", again.text);
    assert_eq!(
        grant("00000000-0000-0000-0000-000000000000".into())
            .await
            .status,
        400
    );
    let directory = emu
        .post(&admin, "roleManagement/directory/roleAssignments", json!({
            "principalId": sp_id, "roleDefinitionId": EXCHANGE_ADMINISTRATOR, "directoryScopeId": "/"
        }))
        .await;
    assert_eq!(directory.status, 201, "{}", directory.text);
    let listed = emu
        .get(
            &admin,
            &format!(
                "servicePrincipals/{graph_sp}/appRoleAssignedTo?$filter=principalId eq '{sp_id}'"
            ),
        )
        .await;
    assert_eq!(
        listed.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );

    // The app signs in with its certificate; its token carries what was granted.
    let now = crate::support::now();
    let assertion_claims = json!({"aud": emu.token_url(), "iss": app_id, "sub": app_id,
        "jti": "connect-test-1", "nbf": now, "exp": now + 600});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.x5t_s256 = Some(
        URL_SAFE_NO_PAD
            .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert.der()).as_ref()),
    );
    let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes()).unwrap();
    let assertion = jsonwebtoken::encode(&header, &assertion_claims, &signing).unwrap();
    let r = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", app_id),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(c["roles"], json!(["Policy.Read.All"]));
    assert_eq!(c["wids"], json!([EXCHANGE_ADMINISTRATOR]));
    assert_eq!(c["idtyp"], "app");
}

#[tokio::test]
async fn only_a_privileged_administrator_may_grant_and_an_app_token_may_not_by_default() {
    let emu = emulator(1, 900).await;
    let deploy = emu.token().await;
    // The deployment app may read service principals (Directory.ReadWrite.All reads the
    // directory) but holds no AppRoleAssignment.ReadWrite.All or Application.ReadWrite.*.
    let graph = emu
        .get(
            &deploy,
            &format!("servicePrincipals(appId='{GRAPH_APP_ID}')"),
        )
        .await;
    assert_eq!(graph.status, 200, "{}", graph.text);
    let graph_sp = graph.body["id"].as_str().unwrap();
    let grant = emu
        .post(
            &deploy,
            &format!("servicePrincipals/{graph_sp}/appRoleAssignedTo"),
            json!({"principalId": graph_sp, "resourceId": graph_sp,
                   "appRoleId": "246dd0d5-5bd0-4def-940b-0421030a5b68"}),
        )
        .await;
    assert_eq!(grant.status, 403, "{}", grant.text);
    let r = emu
        .post(&deploy, "applications", json!({"displayName": "x"}))
        .await;
    assert_eq!(r.status, 403);
}
