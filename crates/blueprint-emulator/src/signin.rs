//! A person signing in: the device authorization grant (`/devicecode`, then polling the token
//! endpoint: `authorization_pending`, `slow_down`, `expired_token`, `authorization_declined`)
//! and the authorization code grant with PKCE (`/authorize` with a sign-in form for the
//! tenant's users, then `grant_type=authorization_code` with the `code_verifier`). Both issue
//! delegated tokens: `scp` holds the scopes asked for, `wids` the user's directory roles.
//!
//! Written from Microsoft's pages on the device code flow and the authorization code flow
//! (Microsoft identity platform, v2.0); `slow_down` is RFC 8628's, which Entra follows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde_json::{Value, json};

use crate::auth::{SignedInUser, TokenError, resource_of_scope};
use crate::first_party::GRAPH_CLI_CLIENT_ID;
use crate::tenant::Tenant;

/// Scopes that only shape the sign-in (OpenID Connect): they are not permissions.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];

enum DeviceState {
    Pending,
    Approved(String),
    Declined,
}

struct DeviceCode {
    tenant_id: String,
    client_id: String,
    scopes: Vec<String>,
    resource: &'static str,
    user_code: String,
    expires: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    state: DeviceState,
}

struct AuthCode {
    tenant_id: String,
    client_id: String,
    scopes: Vec<String>,
    resource: &'static str,
    redirect_uri: String,
    challenge: String,
    user_id: String,
    expires: Instant,
    /// The request asked for `openid`: the token answer carries an ID token.
    openid: bool,
    nonce: Option<String>,
}

/// Sign-ins in progress.
pub struct SignIns {
    device: Mutex<HashMap<String, DeviceCode>>,
    codes: Mutex<HashMap<String, AuthCode>>,
    pub interval: Duration,
    pub lifetime: Duration,
}

impl SignIns {
    pub fn new(interval: Duration, lifetime: Duration) -> SignIns {
        SignIns {
            device: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            interval,
            lifetime,
        }
    }
}

fn err(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> TokenError {
    TokenError {
        status,
        error,
        code,
        description: description.into(),
    }
}

/// The public clients an administrator may sign in with: Microsoft Graph Command Line Tools,
/// and the tenant's own apps that allow public client flows.
pub fn public_client_name(tenant: &Tenant, client_id: &str) -> Result<String, TokenError> {
    if client_id.eq_ignore_ascii_case(GRAPH_CLI_CLIENT_ID) {
        return Ok("Microsoft Graph Command Line Tools".into());
    }
    match tenant.app(client_id) {
        Some(app) if app.extra.get("isFallbackPublicClient") == Some(&Value::Bool(true)) => {
            Ok(app.display_name.clone())
        }
        Some(_) => Err(err(
            400,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. The app is not configured for public client flows.",
        )),
        None => Err(err(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                tenant.id
            ),
        )),
    }
}

/// Splits a scope request into the permission names and the resource they are on.
fn parse_scopes(scope: &str) -> Result<(Vec<String>, &'static str), TokenError> {
    let mut resource = None;
    let mut names = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if OIDC_SCOPES.contains(&s) {
            continue;
        }
        let (r, name) = match s.rsplit_once('/') {
            Some(_) => {
                let r = resource_of_scope(s).map(|(r, _)| r).ok_or_else(|| {
                    err(
                        400,
                        "invalid_scope",
                        70011,
                        format!("The scope '{s}' names a resource this service does not know."),
                    )
                })?;
                (r, s.rsplit_once('/').map(|(_, n)| n).unwrap_or(s))
            }
            None => (crate::auth::GRAPH_RESOURCE, s),
        };
        if resource.is_some_and(|prev| prev != r) {
            return Err(err(
                400,
                "invalid_scope",
                70011,
                "AADSTS28000: the scopes requested are for more than one resource; ask for one resource per token.",
            ));
        }
        resource = Some(r);
        if name != ".default" {
            names.push(name.to_string());
        }
    }
    let resource = resource.ok_or_else(|| {
        err(
            400,
            "invalid_scope",
            70011,
            "The request must name at least one scope of a resource.",
        )
    })?;
    if names.is_empty() {
        names.push("User.Read".into());
    }
    Ok((names, resource))
}

fn user_code(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..9)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn opaque(rng: &mut impl Rng) -> String {
    let bytes: [u8; 32] = rng.random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub fn start_device_code(
    em: &crate::Emulator,
    tenant: &Tenant,
    form: &HashMap<String, String>,
    authority: &str,
) -> Result<Value, TokenError> {
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    public_client_name(tenant, &client_id)?;
    let scope = form.get("scope").cloned().unwrap_or_default();
    let (scopes, resource) = parse_scopes(&scope)?;
    let (device_code, code) = em.with_rng(|rng| (opaque(rng), user_code(rng)));
    let uri = format!("{authority}/devicelogin");
    let lifetime = em.signins.lifetime;
    em.signins.device.lock().expect("device codes").insert(
        device_code.clone(),
        DeviceCode {
            tenant_id: tenant.id.clone(),
            client_id,
            scopes,
            resource,
            user_code: code.clone(),
            expires: Instant::now() + lifetime,
            interval: em.signins.interval,
            last_poll: None,
            state: DeviceState::Pending,
        },
    );
    Ok(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": lifetime.as_secs(),
        "interval": em.signins.interval.as_secs().max(1),
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {code} to authenticate."),
    }))
}

/// What a token request for a signed-in user yields: who, with which scopes, for which
/// resource, through which client.
pub struct Delegation {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub resource: &'static str,
    /// An OpenID Connect sign-in (`openid` asked for): the answer carries an `id_token`, with
    /// the request's `nonce` when it sent one.
    pub id_token: Option<IdTokenRequest>,
}

/// What an ID token answers to: the nonce the client's authorization request carried.
#[derive(Debug, Clone)]
pub struct IdTokenRequest {
    pub nonce: Option<String>,
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
pub fn poll_device_code(
    em: &crate::Emulator,
    tenant: &Tenant,
    form: &HashMap<String, String>,
) -> Result<Delegation, TokenError> {
    let device_code = form.get("device_code").cloned().unwrap_or_default();
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let mut codes = em.signins.device.lock().expect("device codes");
    let Some(entry) = codes.get_mut(&device_code) else {
        return Err(err(
            400,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        ));
    };
    if !entry.tenant_id.eq_ignore_ascii_case(&tenant.id)
        || !entry.client_id.eq_ignore_ascii_case(&client_id)
    {
        return Err(err(
            400,
            "invalid_grant",
            70000,
            "The device code was issued to another client or tenant.",
        ));
    }
    let now = Instant::now();
    if now >= entry.expires {
        codes.remove(&device_code);
        return Err(err(
            400,
            "expired_token",
            70019,
            "Verification code expired.",
        ));
    }
    if let Some(last) = entry.last_poll
        && now.duration_since(last) < entry.interval
    {
        entry.last_poll = Some(now);
        entry.interval += Duration::from_secs(5);
        return Err(err(
            400,
            "slow_down",
            70016,
            "The client polled faster than the interval; wait 5 seconds longer between polls.",
        ));
    }
    entry.last_poll = Some(now);
    match &entry.state {
        DeviceState::Pending => Err(err(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )),
        DeviceState::Declined => {
            codes.remove(&device_code);
            Err(err(
                400,
                "authorization_declined",
                70018,
                "The end user denied the authorization request.",
            ))
        }
        DeviceState::Approved(user_id) => {
            let delegation = Delegation {
                client_id: entry.client_id.clone(),
                user_id: user_id.clone(),
                scopes: entry.scopes.clone(),
                resource: entry.resource,
                id_token: None,
            };
            codes.remove(&device_code);
            Ok(delegation)
        }
    }
}

/// The test hook: a person at `verification_uri` entered `user_code` and signed in as `user`
/// (or declined).
pub fn approve_device_code(
    em: &crate::Emulator,
    code: &str,
    user: &str,
    decline: bool,
) -> Result<(), String> {
    let mut codes = em.signins.device.lock().expect("device codes");
    let entry = codes
        .values_mut()
        .find(|c| c.user_code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| format!("no pending device code {code}"))?;
    if decline {
        entry.state = DeviceState::Declined;
        return Ok(());
    }
    let tenant = em
        .tenant(&entry.tenant_id)
        .ok_or("the code's tenant is gone")?;
    let t = tenant.lock().expect("tenant lock");
    let found = t
        .find(crate::kinds::Kind::by_entity("user"), user)
        .ok_or_else(|| format!("no user {user} in tenant {}", t.id))?;
    entry.state = DeviceState::Approved(found["id"].as_str().unwrap_or_default().to_string());
    Ok(())
}

/// The user a sign-in names, if the password is theirs and the account is enabled.
pub fn check_password(tenant: &Tenant, upn: &str, password: &str) -> Option<SignedInUser> {
    let user = tenant.find(crate::kinds::Kind::by_entity("user"), upn.trim())?;
    let id = user["id"].as_str()?;
    let stored = tenant.password_hashes.get(id)?;
    let enabled = user["accountEnabled"].as_bool().unwrap_or(true);
    (enabled && *stored == crate::tenant::password_hash(id, password)).then(|| signed_in(user))
}

pub fn signed_in(user: &Value) -> SignedInUser {
    SignedInUser {
        id: user["id"].as_str().unwrap_or_default().to_string(),
        upn: user["userPrincipalName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        display_name: user["displayName"].as_str().unwrap_or_default().to_string(),
    }
}

/// A loopback redirect (`http://localhost:PORT/…` or `http://127.0.0.1:PORT/…`): what a public
/// desktop client registers and what Entra accepts on any port.
fn is_loopback_redirect(uri: &str) -> bool {
    let rest = uri.strip_prefix("http://").unwrap_or("");
    let host = rest.split(['/', ':']).next().unwrap_or("");
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Checks an `/authorize` request; returns the client's name for the sign-in page.
pub fn check_authorize(tenant: &Tenant, q: &HashMap<String, String>) -> Result<String, TokenError> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let name = public_client_name(tenant, get("client_id"))?;
    if get("response_type") != "code" {
        return Err(err(
            400,
            "unsupported_response_type",
            70000,
            "This service supports response_type=code.",
        ));
    }
    if !is_loopback_redirect(get("redirect_uri")) {
        return Err(err(
            400,
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{}' does not match the redirect URIs configured for the application: a public client may use http://localhost on any port.",
                get("redirect_uri")
            ),
        ));
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return Err(err(
            400,
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption: send code_challenge with code_challenge_method=S256.",
        ));
    }
    parse_scopes(get("scope"))?;
    Ok(name)
}

/// A signed-in user finishing `/authorize`: the code to redirect with.
pub fn issue_code(
    em: &crate::Emulator,
    tenant: &Tenant,
    q: &HashMap<String, String>,
    user: &SignedInUser,
) -> Result<String, TokenError> {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let (scopes, resource) = parse_scopes(&get("scope"))?;
    let code = em.with_rng(opaque);
    em.signins.codes.lock().expect("codes").insert(
        code.clone(),
        AuthCode {
            tenant_id: tenant.id.clone(),
            client_id: get("client_id"),
            scopes,
            resource,
            redirect_uri: get("redirect_uri"),
            challenge: get("code_challenge"),
            user_id: user.id.clone(),
            expires: Instant::now() + Duration::from_secs(600),
            openid: get("scope").split(' ').any(|s| s == "openid"),
            nonce: q.get("nonce").filter(|n| !n.is_empty()).cloned(),
        },
    );
    Ok(code)
}

/// `grant_type=authorization_code`: one use, same client and redirect, and the verifier whose
/// SHA-256 is the challenge.
pub fn redeem_code(
    em: &crate::Emulator,
    tenant: &Tenant,
    form: &HashMap<String, String>,
) -> Result<Delegation, TokenError> {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Some(entry) = em.signins.codes.lock().expect("codes").remove(&get("code")) else {
        return Err(err(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity, or was already redeemed.",
        ));
    };
    if Instant::now() >= entry.expires
        || !entry.tenant_id.eq_ignore_ascii_case(&tenant.id)
        || !entry.client_id.eq_ignore_ascii_case(&get("client_id"))
    {
        return Err(err(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code is expired or was issued to another client.",
        ));
    }
    if entry.redirect_uri != get("redirect_uri") {
        return Err(err(
            400,
            "invalid_grant",
            50148,
            "The redirect_uri does not match the one the authorization code was issued for.",
        ));
    }
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, get("code_verifier").as_bytes());
    if URL_SAFE_NO_PAD.encode(digest.as_ref()) != entry.challenge {
        return Err(err(
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ));
    }
    Ok(Delegation {
        client_id: entry.client_id,
        user_id: entry.user_id,
        scopes: entry.scopes,
        resource: entry.resource,
        id_token: entry
            .openid
            .then_some(IdTokenRequest { nonce: entry.nonce }),
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sign-in page: the request's parameters carried through hidden fields.
pub fn sign_in_page(client_name: &str, q: &HashMap<String, String>, error: Option<&str>) -> String {
    let hidden: String = q
        .iter()
        .filter(|(k, _)| k.as_str() != "username" && k.as_str() != "password")
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in to your account</title></head>\
<body><h1>Sign in</h1><p>{} wants to sign you in.</p>{error}<form method=\"post\">{hidden}\
<label>Email, phone, or Skype <input name=\"username\" type=\"email\" autocomplete=\"username\"></label>\
<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
<button type=\"submit\">Sign in</button></form></body></html>",
        escape(client_name)
    )
}
