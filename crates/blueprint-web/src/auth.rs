//! Sign-in with Entra ID: OpenID Connect's authorization code flow with PKCE (the emulator's
//! `/authorize` sign-in form stands in for Microsoft's), the ID token's signature checked
//! against the tenant's published keys, its claims mapped to a role by configuration
//! ([`RoleMap`]: app roles, group ids or any other claim), and a server-side session named by
//! a random cookie (Secure, HttpOnly, SameSite=Lax) with its own CSRF token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use blueprint_store::Role;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::access::Principal;

/// The session cookie: a random token naming a session held by the server.
pub const SESSION_COOKIE: &str = "bp_session";
/// The sign-in in progress: the `state` the callback must bring back to this browser.
pub const SIGNIN_COOKIE: &str = "bp_signin";
/// How long a session lasts without signing in again.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How long a sign-in may take at the identity provider.
const SIGNIN_LIFETIME: Duration = Duration::from_secs(600);

/// Where and as what the server signs people in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The identity provider's authority host, e.g. `https://login.microsoftonline.com` (or the
    /// emulator's address).
    pub authority: String,
    /// The tenant (its id) whose users sign in.
    pub tenant: String,
    /// The web app's registration (a public client: PKCE, no secret).
    pub client_id: String,
    /// This server's callback as registered, e.g. `http://127.0.0.1:8080/auth/callback`.
    pub redirect_uri: String,
}

impl OidcConfig {
    fn endpoint(&self, path: &str) -> String {
        format!(
            "{}/{}/{path}",
            self.authority.trim_end_matches('/'),
            self.tenant
        )
    }

    /// The ID token's issuer: the tenant's v2.0 issuer, as its discovery document names it.
    pub fn issuer(&self) -> String {
        self.endpoint("v2.0")
    }
}

/// One mapping from a claim of the ID token to a role: e.g. the app role `Program.Read`
/// (`roles`) to the program office, the group id of an agency's staff (`groups`) to that
/// agency, a partner's group to the partner's organisation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    /// The claim to look at: `roles`, `groups`, `preferred_username`, …
    pub claim: String,
    /// The value (one of the claim's, when it is a list) that grants the role.
    pub value: String,
    pub role: Role,
    /// The agency's engagement id (role agency), or the partner's organisation (role partner).
    #[serde(default)]
    pub organisation: Option<String>,
}

/// The rules, first match wins; a sign-in no rule matches gets no session.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoleMap {
    #[serde(default, rename = "rule")]
    pub rules: Vec<RoleRule>,
}

impl RoleMap {
    /// The principal the claims map to, if any rule grants a role.
    pub fn principal(&self, claims: &Value) -> Option<Principal> {
        let name = claims["preferred_username"]
            .as_str()
            .or_else(|| claims["upn"].as_str())
            .or_else(|| claims["oid"].as_str())?
            .to_string();
        let has = |claim: &str, value: &str| match &claims[claim] {
            Value::String(s) => s.eq_ignore_ascii_case(value),
            Value::Array(items) => items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value))),
            _ => false,
        };
        let rule = self.rules.iter().find(|r| has(&r.claim, &r.value))?;
        Some(Principal {
            name,
            role: rule.role,
            organisation: rule.organisation.clone(),
        })
    }

    /// Why claims that [`RoleMap::principal`] maps to no role get none: most often the
    /// account has no role here; but when rules read `groups` and the token says the account
    /// is in more groups than Entra ID puts in a token, the groups were never seen.
    pub fn refusal(&self, claims: &Value) -> SignInError {
        let name = claims["preferred_username"]
            .as_str()
            .unwrap_or("unknown")
            .to_string();
        let reads_groups = self.rules.iter().any(|r| r.claim == "groups");
        if reads_groups && groups_overage(claims) {
            SignInError::GroupsOverage(name)
        } else {
            SignInError::NoRole(name)
        }
    }
}

/// Whether the token left the `groups` claim out because the account is in too many groups
/// (Entra ID's "groups overage", over 200 in a JWT): `_claim_names` then names `groups` (the
/// claim is to be fetched from Microsoft Graph), or, in an implicit flow, `hasgroups` is set.
fn groups_overage(claims: &Value) -> bool {
    claims["_claim_names"].get("groups").is_some() || claims["hasgroups"] == Value::Bool(true)
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// Every form and every API call that changes something carries it.
    pub csrf: String,
    expires: Instant,
}

struct Pending {
    verifier: String,
    nonce: String,
    expires: Instant,
}

/// Sessions and sign-ins in progress, held by the server (a restart signs everyone out).
#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// 32 random bytes, URL-safe: session ids, CSRF tokens, PKCE verifiers, states, nonces.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl Sessions {
    /// Starts a session for `principal`; returns the cookie's value.
    pub fn start(&self, principal: Principal) -> String {
        let id = random_token();
        let session = Session {
            principal,
            csrf: random_token(),
            expires: Instant::now() + SESSION_LIFETIME,
        };
        let mut sessions = self.sessions.lock().expect("sessions");
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(id.clone(), session);
        id
    }

    /// The session a request's cookie names, if it is live.
    pub fn get(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let sessions = self.sessions.lock().expect("sessions");
        sessions
            .get(&id)
            .filter(|s| s.expires > Instant::now())
            .cloned()
    }

    fn end(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            self.sessions.lock().expect("sessions").remove(&id);
        }
    }
}

impl Session {
    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        let Some(token) = token else { return false };
        let (a, b) = (self.csrf.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: Secure, HttpOnly, SameSite=Lax (the identity provider's redirect
/// back is a top-level navigation from another site, which Strict would strip).
fn set_cookie(name: &str, value: &str, max_age: Duration) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Lax",
        max_age.as_secs()
    )
}

/// The identity provider as the server uses it, and the keys it signs ID tokens with.
pub struct Oidc {
    pub config: OidcConfig,
    pub roles: RoleMap,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the sign-in did not come back to the browser that started it; sign in again")]
    UnknownState,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the ID token is not valid: {0}")]
    BadToken(String),
    #[error("your account ({0}) has no role in this blueprint server; ask the program office")]
    NoRole(String),
    #[error(
        "your account ({0}) is in more groups than Entra ID puts in a sign-in token, so the groups this server maps to roles could not be read; ask the administrator to emit only the groups assigned to the application (groupMembershipClaims \"ApplicationGroup\") or to assign you an app role"
    )]
    GroupsOverage(String),
}

impl Oidc {
    pub fn new(config: OidcConfig, roles: RoleMap) -> Oidc {
        Oidc {
            config,
            roles,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Where to send the browser to sign in, for a sign-in with this `state`, PKCE verifier and
    /// nonce.
    pub fn authorize_url(&self, state: &str, verifier: &str, nonce: &str) -> String {
        let challenge = URL_SAFE_NO_PAD.encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
        );
        let c = &self.config;
        let q = |s: &str| urlencoding::encode(s).into_owned();
        format!(
            "{}?client_id={}&response_type=code&redirect_uri={}&response_mode=query&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            c.endpoint("oauth2/v2.0/authorize"),
            q(&c.client_id),
            q(&c.redirect_uri),
            q("openid profile User.Read"),
            q(state),
            q(nonce),
            q(&challenge),
        )
    }

    /// Redeems the code for tokens and returns the ID token's verified claims.
    async fn redeem(&self, code: &str, pending: &Pending) -> Result<Value, SignInError> {
        let c = &self.config;
        let answer = self
            .http
            .post(c.endpoint("oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", c.client_id.as_str()),
                ("code", code),
                ("redirect_uri", c.redirect_uri.as_str()),
                ("code_verifier", pending.verifier.as_str()),
            ])
            .send()
            .await
            .map_err(|e| SignInError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        let body: Value = answer
            .json()
            .await
            .map_err(|e| SignInError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            // Entra's error and its description: never a token (there is none in an error).
            let error = body["error"].as_str().unwrap_or("error");
            let description = body["error_description"].as_str().unwrap_or_default();
            return Err(SignInError::Refused(format!("{error}: {description}")));
        }
        let id_token = body["id_token"]
            .as_str()
            .ok_or_else(|| SignInError::BadToken("the answer carries no id_token".into()))?;
        let claims = self.verify(id_token).await?;
        if claims["nonce"].as_str() != Some(pending.nonce.as_str()) {
            return Err(SignInError::BadToken(
                "its nonce is not this sign-in's".into(),
            ));
        }
        Ok(claims)
    }

    /// Checks the ID token's signature against the tenant's published keys, its audience
    /// (this app), issuer (the tenant) and lifetime.
    async fn verify(&self, token: &str) -> Result<Value, SignInError> {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
        let bad = |e: &dyn std::fmt::Display| SignInError::BadToken(e.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(|e| bad(&e))?;
        let keys: JwkSet = self
            .http
            .get(self.config.endpoint("discovery/v2.0/keys"))
            .send()
            .await
            .map_err(|e| SignInError::Unreachable(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| SignInError::Unreachable(e.without_url().to_string()))?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or_else(|| bad(&"it is signed with a key the tenant does not publish"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| bad(&e))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_issuer(&[self.config.issuer()]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| bad(&e))?;
        Ok(data.claims)
    }
}

/// `GET /signin`: off to the identity provider, with a fresh state, PKCE verifier and nonce.
pub async fn sign_in(State(state): State<AppState>) -> Response {
    let (signin_state, verifier, nonce) = (random_token(), random_token(), random_token());
    let url = state.oidc.authorize_url(&signin_state, &verifier, &nonce);
    {
        let mut pending = state.sessions.pending.lock().expect("pending");
        let now = Instant::now();
        pending.retain(|_, p| p.expires > now);
        pending.insert(
            signin_state.clone(),
            Pending {
                verifier,
                nonce,
                expires: now + SIGNIN_LIFETIME,
            },
        );
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(SIGNIN_COOKIE, &signin_state, SIGNIN_LIFETIME),
        )],
        Redirect::to(&url),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the identity provider's redirect back. The state must be the one this
/// browser started; the code is redeemed with its PKCE verifier; the ID token's claims map to a
/// role, or the sign-in is refused.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let result = async {
        if let Some(error) = &q.error {
            return Err(SignInError::Refused(format!(
                "{error}: {}",
                q.error_description.as_deref().unwrap_or_default()
            )));
        }
        let given = q.state.as_deref().unwrap_or_default();
        if given.is_empty() || cookie(&headers, SIGNIN_COOKIE).as_deref() != Some(given) {
            return Err(SignInError::UnknownState);
        }
        let pending = state
            .sessions
            .pending
            .lock()
            .expect("pending")
            .remove(given)
            .filter(|p| p.expires > Instant::now())
            .ok_or(SignInError::UnknownState)?;
        let code = q.code.as_deref().unwrap_or_default();
        let claims = state.oidc.redeem(code, &pending).await?;
        state
            .oidc
            .roles
            .principal(&claims)
            .ok_or_else(|| state.oidc.roles.refusal(&claims))
    }
    .await;
    match result {
        Ok(principal) => {
            let id = state.sessions.start(principal);
            let mut response = Redirect::to("/").into_response();
            let cookies = response.headers_mut();
            for value in [
                set_cookie(SESSION_COOKIE, &id, SESSION_LIFETIME),
                set_cookie(SIGNIN_COOKIE, "", Duration::ZERO),
            ] {
                if let Ok(v) = value.parse() {
                    cookies.append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(e) => {
            tracing::warn!("sign-in refused: {e}");
            let status = match e {
                SignInError::NoRole(_) | SignInError::GroupsOverage(_) => StatusCode::FORBIDDEN,
                SignInError::Unreachable(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            };
            crate::pages::message(status, "Sign-in refused", &e.to_string())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /signout`: ends the session (CSRF-checked: another site cannot sign you out).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return Redirect::to("/").into_response();
    };
    if !session.csrf_ok(form.csrf.as_deref()) {
        return crate::pages::csrf_refused();
    }
    state.sessions.end(&headers);
    (
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", Duration::ZERO),
        )],
        Redirect::to("/"),
    )
        .into_response()
}
