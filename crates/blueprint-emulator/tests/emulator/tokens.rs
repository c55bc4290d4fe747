//! The token endpoint and Graph's token checks, per Microsoft identity platform docs
//! ("client credentials flow", "certificate credentials", "AADSTS error codes").

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::json;

use crate::support::*;

fn decode_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("jwt payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims json")
}

#[tokio::test]
async fn client_secret_in_the_form_gets_a_bound_token() {
    let emu = start("empty-agency").await;
    let a = emu.app("blueprint-deploy");
    let r = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &a.client_id),
            ("client_secret", a.client_secret.as_deref().unwrap()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3599);
    assert!(r.body["ext_expires_in"].is_number());
    let claims = decode_claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(claims["tid"], emu.tenant().id.as_str());
    assert_eq!(claims["appid"], a.client_id.as_str());
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert!(
        claims["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "Group.ReadWrite.All")
    );
    assert!(claims["exp"].as_i64().unwrap() > now() + 3000);
}

#[tokio::test]
async fn client_secret_by_http_basic_and_tenant_by_domain() {
    let emu = start("empty-agency").await;
    let a = emu.app("blueprint-deploy");
    let url = format!("{}/{}/oauth2/v2.0/token", emu.base, emu.tenant().domain);
    let resp = emu
        .http
        .post(url)
        .basic_auth(&a.client_id, a.client_secret.as_deref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    let r = reply(resp).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn token_errors_are_entra_shaped() {
    let emu = start("legacy-agency").await;
    let a = emu.app("blueprint-deploy");
    let scope = ("scope", "https://graph.microsoft.com/.default");
    let gt = ("grant_type", "client_credentials");
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            vec![
                gt,
                ("client_id", &a.client_id),
                ("client_secret", "wrong"),
                scope,
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            vec![
                gt,
                ("client_id", "00000000-0000-0000-0000-000000000001"),
                ("client_secret", "x"),
                scope,
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            vec![
                gt,
                ("client_id", &a.client_id),
                ("client_secret", a.client_secret.as_deref().unwrap()),
                ("scope", "User.Read"),
            ],
            400,
            "invalid_scope",
            70011,
        ),
        (
            vec![("client_id", &a.client_id), scope],
            400,
            "invalid_request",
            900144,
        ),
        (
            vec![gt, ("client_id", &a.client_id), scope],
            401,
            "invalid_client",
            7000216,
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &a.client_id),
                scope,
            ],
            400,
            "unsupported_grant_type",
            70003,
        ),
    ];
    for (form, status, error, code) in cases {
        let r = emu.token_request(&form).await;
        assert_eq!(r.status, status, "{form:?}: {}", r.text);
        assert_eq!(r.body["error"], error, "{}", r.text);
        assert_eq!(r.body["error_codes"], json!([code]));
        let description = r.body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
        assert!(description.contains("Trace ID: ") && description.contains("Correlation ID: "));
        assert!(r.body["trace_id"].is_string() && r.body["correlation_id"].is_string());
        assert!(r.body["timestamp"].is_string());
    }
    // The secret must never be echoed back.
    let r = emu
        .token_request(&[
            gt,
            ("client_id", &a.client_id),
            ("client_secret", "s3cret-value-xyz"),
            scope,
        ])
        .await;
    assert!(!r.text.contains("s3cret-value-xyz"));

    let expired = emu.app("legacy-sync-tool");
    assert!(expired.secret_expired);
    let r = emu
        .token_request(&[
            gt,
            ("client_id", &expired.client_id),
            ("client_secret", expired.client_secret.as_deref().unwrap()),
            scope,
        ])
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error_codes"], json!([7000222]));

    let unknown_tenant = emu
        .http
        .post(format!(
            "{}/nosuchtenant.onmicrosoft.com/oauth2/v2.0/token",
            emu.base
        ))
        .form(&[gt, scope])
        .send()
        .await
        .unwrap();
    let r = reply(unknown_tenant).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error_codes"], json!([90002]));
}

#[tokio::test]
async fn openid_discovery_and_keys() {
    let emu = start("empty-agency").await;
    let r = reply(
        emu.http
            .get(format!(
                "{}/{}/v2.0/.well-known/openid-configuration",
                emu.base,
                emu.tenant().domain
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let id = &emu.tenant().id;
    assert_eq!(
        r.body["token_endpoint"],
        format!("{}/{id}/oauth2/v2.0/token", emu.base)
    );
    assert_eq!(r.body["issuer"], format!("{}/{id}/v2.0", emu.base));
    let jwks = reply(
        emu.http
            .get(r.body["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(jwks.body["keys"][0]["kty"], "RSA");
}

struct Assertion<'a> {
    alg: Algorithm,
    x5t_s256: Option<String>,
    x5t: Option<String>,
    aud: String,
    iss: &'a str,
    nbf: i64,
    exp: i64,
    jti: String,
    key_pem: String,
}

fn sign(a: &Assertion) -> String {
    let mut header = Header::new(a.alg);
    header.x5t_s256 = a.x5t_s256.clone();
    header.x5t = a.x5t.clone();
    let claims =
        json!({"aud": a.aud, "iss": a.iss, "sub": a.iss, "jti": a.jti, "nbf": a.nbf, "exp": a.exp});
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(a.key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn sha1_thumbprint(cert_pem: &str) -> String {
    let der = pem_der(cert_pem);
    let d = aws_lc_rs_sha1(&der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d)
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn aws_lc_rs_sha1(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

async fn assert_token(emu: &Emu, client_id: &str, assertion: &str) -> Reply {
    emu.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", "https://graph.microsoft.com/.default"),
    ])
    .await
}

#[tokio::test]
async fn certificate_assertions_ps256_and_rs256() {
    let emu = start("empty-agency").await;
    let a = emu.app("blueprint-deploy").clone();
    let key_pem = std::fs::read_to_string(a.private_key_path.as_ref().unwrap()).unwrap();
    let cert_pem = std::fs::read_to_string(a.certificate_path.as_ref().unwrap()).unwrap();
    let base = Assertion {
        alg: Algorithm::PS256,
        x5t_s256: a.certificate_thumbprint_sha256.clone(),
        x5t: None,
        aud: emu.token_url(),
        iss: &a.client_id,
        nbf: now() - 10,
        exp: now() + 600,
        jti: "jti-1".into(),
        key_pem: key_pem.clone(),
    };
    let r = assert_token(&emu, &a.client_id, &sign(&base)).await;
    assert_eq!(r.status, 200, "PS256: {}", r.text);
    let claims = decode_claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["appidacr"], "2",
        "a certificate-authenticated app token"
    );

    let rs256 = Assertion {
        alg: Algorithm::RS256,
        x5t_s256: None,
        x5t: Some(sha1_thumbprint(&cert_pem)),
        jti: "jti-2".into(),
        ..base
    };
    let token = sign(&rs256);
    let r = assert_token(&emu, &a.client_id, &token).await;
    assert_eq!(r.status, 200, "RS256: {}", r.text);

    // The same assertion twice: its jti was used.
    let r = assert_token(&emu, &a.client_id, &token).await;
    assert_eq!(r.status, 401, "replay: {}", r.text);

    let expired = Assertion {
        nbf: now() - 7200,
        exp: now() - 3600,
        jti: "jti-3".into(),
        ..rs256
    };
    let r = assert_token(&emu, &a.client_id, &sign(&expired)).await;
    assert_eq!(r.body["error_codes"], json!([500133]), "{}", r.text);

    let wrong_aud = Assertion {
        aud: "https://login.microsoftonline.com/other/oauth2/v2.0/token".into(),
        nbf: now() - 10,
        exp: now() + 600,
        jti: "jti-4".into(),
        ..expired
    };
    let r = assert_token(&emu, &a.client_id, &sign(&wrong_aud)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("aud")
    );

    // Signed by a key the app never registered, naming the registered certificate.
    let other = rcgen_key();
    let forged = Assertion {
        aud: emu.token_url(),
        jti: "jti-5".into(),
        key_pem: other,
        ..wrong_aud
    };
    let r = assert_token(&emu, &a.client_id, &sign(&forged)).await;
    assert_eq!(r.body["error_codes"], json!([700027]), "{}", r.text);

    let unknown_cert = Assertion {
        x5t: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        jti: "jti-6".into(),
        key_pem,
        ..forged
    };
    let r = assert_token(&emu, &a.client_id, &sign(&unknown_cert)).await;
    assert_eq!(r.body["error_codes"], json!([700027]), "{}", r.text);
}

fn rcgen_key() -> String {
    rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap()
        .serialize_pem()
}

#[tokio::test]
async fn graph_rejects_missing_malformed_expired_and_foreign_tokens() {
    let mut cfg = config("empty-agency");
    cfg.token_lifetime_secs = 1;
    let emu = start_with(cfg).await;
    let other = start("empty-agency").await;
    let foreign = other.token().await;
    let token = emu.token().await;

    let missing = reply(
        emu.http
            .get(format!("{}/v1.0/groups", emu.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.code(), "InvalidAuthenticationToken");
    assert!(missing.header("www-authenticate").is_some());

    let malformed = emu.get("not-a-jwt", "groups").await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.code()),
        (401, "InvalidAuthenticationToken")
    );

    let foreign = emu.get(&foreign, "groups").await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.code()),
        (401, "InvalidAuthenticationToken")
    );

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = emu.get(&token, "groups").await;
    assert_eq!(
        (expired.status.as_u16(), expired.code()),
        (401, "InvalidAuthenticationToken"),
        "{}",
        expired.text
    );
    assert!(expired.text.contains("expired"));
}

#[tokio::test]
async fn writes_without_permission_are_denied() {
    let emu = start("empty-agency").await;
    let auditor = emu.token_for("blueprint-auditor").await;
    let read = emu.get(&auditor, "groups").await;
    assert_eq!(read.status, 200);
    let write = emu.post(&auditor, "groups", security_group("x", "x")).await;
    assert_eq!(
        (write.status.as_u16(), write.code()),
        (403, "Authorization_RequestDenied")
    );
    let ca = emu
        .call(
            &auditor,
            Method::PATCH,
            "policies/authorizationPolicy",
            Some(json!({"allowInvitesFrom": "none"})),
        )
        .await;
    assert_eq!(ca.status, 403);
    // Nothing changed.
    let deploy = emu.token().await;
    let policy = emu.get(&deploy, "policies/authorizationPolicy").await;
    assert_eq!(policy.body["allowInvitesFrom"], "everyone");
}

/// MSAL for Python's assertion, which Entra accepts: `x5t` base64url *with* padding, `iat`
/// and no `nbf`, and fractional NumericDates (RFC 7519 §2).
#[tokio::test]
async fn msal_python_style_assertions_are_accepted() {
    let emu = start("empty-agency").await;
    let a = emu.app("blueprint-deploy").clone();
    let key_pem = std::fs::read_to_string(a.private_key_path.as_ref().unwrap()).unwrap();
    let cert_pem = std::fs::read_to_string(a.certificate_path.as_ref().unwrap()).unwrap();
    let padded = format!("{}=", sha1_thumbprint(&cert_pem));
    assert_eq!(
        padded.len() % 4,
        0,
        "a SHA-1 thumbprint pads to 28 characters"
    );
    let sign_msal = |jti: &str, exp: f64| {
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(padded.clone());
        let now = now() as f64 + 0.25;
        let claims = json!({"aud": emu.token_url(), "iss": a.client_id, "sub": a.client_id,
            "jti": jti, "iat": now, "exp": now + exp});
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let r = assert_token(&emu, &a.client_id, &sign_msal("py-1", 600.5)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Expired is still refused, with Entra's code.
    let r = assert_token(&emu, &a.client_id, &sign_msal("py-2", -3600.0)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.text.contains("500133"), "{}", r.text);
}
