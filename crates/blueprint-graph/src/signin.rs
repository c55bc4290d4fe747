//! A person signing in, for the one-off work an administrator must do (registering blueprint's
//! app and granting it permissions): the device authorization grant, and the authorization
//! code grant with PKCE on a loopback port where conditional access blocks device code.
//! Written from Microsoft's pages on the v2.0 device code and authorization code flows; the
//! tokens are delegated (`scp`) and used as [`crate::Credential::Bearer`].

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::ACCEPT;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{GraphError, SecretString};

/// Where and as whom to sign in.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// Entra ID's authority host, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// The tenant (id or domain), or `organizations`.
    pub tenant: String,
    /// The public client signed in to, e.g. Microsoft Graph Command Line Tools.
    pub client_id: String,
    /// Delegated permissions, e.g. `https://graph.microsoft.com/Application.ReadWrite.All`.
    pub scopes: Vec<String>,
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Per HTTP request.
    pub timeout: Duration,
}

/// What to tell the person: where to go and which code to enter.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    pub expires_in: Duration,
}

/// A delegated access token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub access_token: SecretString,
    pub expires_in: Duration,
}

fn http(config: &SignInConfig) -> Result<reqwest::Client, GraphError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("blueprint/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)));
    if let Some(pem) = &config.extra_ca_pem {
        let roots = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            GraphError::Config(format!("the extra CA file is not PEM certificates: {e}"))
        })?;
        builder = builder.tls_certs_merge(roots);
    }
    builder
        .build()
        .map_err(|e| GraphError::Config(format!("cannot build the HTTP client: {e}")))
}

fn endpoint(config: &SignInConfig, what: &str) -> String {
    format!(
        "{}/{}/oauth2/v2.0/{what}",
        config.authority.trim_end_matches('/'),
        config.tenant
    )
}

async fn post_form(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Value), GraphError> {
    let response = http
        .post(url)
        .header(ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(|e| GraphError::Transport {
            method: "POST".into(),
            path: url.into(),
            cause: crate::client::error_chain(&e),
        })?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).map_err(|_| GraphError::Transport {
        method: "POST".into(),
        path: url.into(),
        cause: format!(
            "HTTP {status} with a body that is not JSON: {}",
            crate::error::truncate(&text, 200)
        ),
    })?;
    Ok((status, body))
}

fn signed_in(body: &Value) -> Result<SignedIn, GraphError> {
    let token = body["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| GraphError::Auth {
            status: 200,
            error: "invalid_token_response".into(),
            aadsts: None,
            description: "the token endpoint's answer has no access_token".into(),
        })?;
    let expires_in = body["expires_in"]
        .as_u64()
        .or_else(|| body["expires_in"].as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(3600);
    Ok(SignedIn {
        access_token: SecretString::new(token),
        expires_in: Duration::from_secs(expires_in),
    })
}

fn token_error(status: u16, body: &Value) -> GraphError {
    crate::error::parse_token_error(status, &body.to_string(), &[])
}

/// The device authorization grant: asks for a code, tells the person through `prompt`, and
/// polls at the interval Entra asks for (5 s longer after each `slow_down`) until they sign
/// in, decline, or the code expires.
pub async fn device_code(
    config: &SignInConfig,
    prompt: impl FnOnce(&DeviceCodePrompt),
) -> Result<SignedIn, GraphError> {
    let http = http(config)?;
    let scope = config.scopes.join(" ");
    let (status, started) = post_form(
        &http,
        &endpoint(config, "devicecode"),
        &[("client_id", &config.client_id), ("scope", &scope)],
    )
    .await?;
    if status != 200 {
        return Err(token_error(status, &started));
    }
    let text = |k: &str| started[k].as_str().unwrap_or_default().to_string();
    let device_code = text("device_code");
    let expires_in = Duration::from_secs(started["expires_in"].as_u64().unwrap_or(900));
    let mut interval = Duration::from_secs(started["interval"].as_u64().unwrap_or(5).max(1));
    prompt(&DeviceCodePrompt {
        user_code: text("user_code"),
        verification_uri: text("verification_uri"),
        message: text("message"),
        expires_in,
    });
    let deadline = tokio::time::Instant::now() + expires_in;
    let token_url = endpoint(config, "token");
    loop {
        tokio::time::sleep(interval).await;
        let (status, answer) = post_form(
            &http,
            &token_url,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", &config.client_id),
                ("device_code", &device_code),
            ],
        )
        .await?;
        if status == 200 {
            return signed_in(&answer);
        }
        match answer["error"].as_str() {
            Some("authorization_pending") if tokio::time::Instant::now() < deadline => {}
            Some("slow_down") if tokio::time::Instant::now() < deadline => {
                interval += Duration::from_secs(5);
            }
            _ => return Err(token_error(status, &answer)),
        }
    }
}

/// The authorization code grant with PKCE on a loopback port: `open` is given the sign-in URL
/// (to show, or open in a browser); Entra redirects the browser to `http://localhost:PORT/`
/// with the code, which is exchanged with the verifier. Waits at most `wait` for the person.
pub async fn authorization_code(
    config: &SignInConfig,
    wait: Duration,
    open: impl FnOnce(&str),
) -> Result<SignedIn, GraphError> {
    let http = http(config)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| {
            GraphError::Config(format!(
                "cannot listen on a loopback port for the sign-in: {e}"
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| GraphError::Config(e.to_string()))?
        .port();
    let redirect_uri = format!("http://localhost:{port}/");
    let (verifier, state) = {
        use rand::RngCore;
        let mut rng = rand::rng();
        let mut v = [0u8; 32];
        let mut s = [0u8; 16];
        rng.fill_bytes(&mut v);
        rng.fill_bytes(&mut s);
        (URL_SAFE_NO_PAD.encode(v), URL_SAFE_NO_PAD.encode(s))
    };
    let challenge = URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
    );
    let scope = config.scopes.join(" ");
    let query: Vec<String> = [
        ("client_id", config.client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", &redirect_uri),
        ("response_mode", "query"),
        ("scope", &scope),
        ("state", &state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect();
    open(&format!(
        "{}?{}",
        endpoint(config, "authorize"),
        query.join("&")
    ));
    let code = tokio::time::timeout(wait, receive_code(&listener, &state))
        .await
        .map_err(|_| GraphError::Auth {
            status: 0,
            error: "timeout".into(),
            aadsts: None,
            description: format!("nobody finished signing in within {} s", wait.as_secs()),
        })??;
    let (status, answer) = post_form(
        &http,
        &endpoint(config, "token"),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &config.client_id),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("scope", &scope),
        ],
    )
    .await?;
    if status != 200 {
        return Err(token_error(status, &answer));
    }
    signed_in(&answer)
}

/// Waits for the browser's redirect and answers it; returns the code.
async fn receive_code(
    listener: &tokio::net::TcpListener,
    state: &str,
) -> Result<String, GraphError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| GraphError::Config(format!("the sign-in's loopback port failed: {e}")))?;
        let mut buf = vec![0u8; 8192];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&buf[..n]);
        let target = request.split_whitespace().nth(1).unwrap_or("");
        let params: Vec<(String, String)> = target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), urldecode(v)))
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let (page, outcome) = match (get("code"), get("error")) {
            (Some(code), _) if get("state").as_deref() == Some(state) => (
                "Signed in. You can close this window and return to blueprint.",
                Some(Ok(code)),
            ),
            (Some(_), _) => ("The sign-in answer did not match this request.", None),
            (None, Some(error)) => (
                "The sign-in did not complete; see blueprint's message.",
                Some(Err(GraphError::Auth {
                    status: 400,
                    error,
                    aadsts: None,
                    description: get("error_description").unwrap_or_default(),
                })),
            ),
            (None, None) => ("Waiting for the sign-in.", None),
        };
        let _ = stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                )
                .as_bytes(),
            )
            .await;
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn urldecode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The claims of a JWT access token (unverified): what a sign-in was granted.
pub fn claims_of(token: &SecretString) -> Option<Value> {
    crate::client::decode_claims(token.expose())
}
