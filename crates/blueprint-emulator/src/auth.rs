//! The Entra ID side: the v2.0 token endpoint for the client credentials grant (client secret
//! in the form or HTTP Basic; certificate client assertions signed PS256 with `x5t#S256` or
//! RS256 with `x5t`), the OpenID Connect discovery document and signing keys, and the
//! validation of the access tokens Graph receives.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rcgen::PublicKeyData;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::graph::Caller;
use crate::tenant::{App, Tenant};

/// The audience of Graph access tokens, and the resource a client asks for.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
const GRAPH_APP_ID: &str = crate::first_party::GRAPH_APP_ID;
/// The audience of Exchange Online access tokens (the admin API and PowerShell).
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";
/// The audience of Security & Compliance access tokens (`Connect-IPPSSession`'s admin API).
/// Its permission is Office 365 Exchange Online's `Exchange.ManageAsApp`: the resource belongs
/// to that first-party app.
pub const COMPLIANCE_RESOURCE: &str = "https://ps.compliance.protection.outlook.com";

/// The resource a `scope` names (`{resource}/.default` or `{resource}/{permission}`), with
/// its first-party appId; `None` when it names neither Graph nor Exchange.
pub fn resource_of_scope(scope: &str) -> Option<(&'static str, &'static str)> {
    resource_named(scope.trim_end_matches('/')).or_else(|| {
        resource_named(
            scope
                .rsplit_once('/')
                .map(|(r, _)| r)?
                .trim_end_matches('/'),
        )
    })
}

fn resource_named(resource: &str) -> Option<(&'static str, &'static str)> {
    if resource.eq_ignore_ascii_case(GRAPH_RESOURCE) || resource.eq_ignore_ascii_case(GRAPH_APP_ID)
    {
        Some((GRAPH_RESOURCE, GRAPH_APP_ID))
    } else if resource.eq_ignore_ascii_case(EXCHANGE_RESOURCE)
        || resource.eq_ignore_ascii_case(crate::first_party::EXCHANGE_APP_ID)
        || resource.eq_ignore_ascii_case("https://outlook.office.com")
    {
        Some((EXCHANGE_RESOURCE, crate::first_party::EXCHANGE_APP_ID))
    } else if resource.eq_ignore_ascii_case(COMPLIANCE_RESOURCE) {
        Some((COMPLIANCE_RESOURCE, crate::first_party::EXCHANGE_APP_ID))
    } else {
        None
    }
}

/// An error as the Entra token endpoint reports it.
#[derive(Debug, Clone)]
pub struct TokenError {
    pub status: u16,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

impl TokenError {
    fn new(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> Self {
        TokenError {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    pub fn body(&self, authority: &str, trace_id: &str, correlation_id: &str) -> Value {
        let timestamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("{authority}/error?code={}", self.code),
        })
    }
}

/// The claims of an access token the emulator issues (a subset of Entra's v1 tokens): app
/// tokens carry application permissions in `roles`, user (delegated) tokens carry scopes in
/// `scp`; both carry the principal's directory roles (template ids) in `wids`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub app_displayname: String,
    pub appid: String,
    pub appidacr: String,
    pub idtyp: String,
    pub oid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wids: Vec<String>,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
}

/// The claims of an ID token (v2.0) the emulator issues: a subset of Entra's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub oid: String,
    pub preferred_username: String,
    /// The values of the client's app roles assigned to the user
    /// ([`Tenant::app_roles_of`]); absent when none is, as Entra leaves it out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub sub: String,
    pub tid: String,
    pub ver: String,
}

/// The signed-in user a delegated token speaks for.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub id: String,
    pub upn: String,
    pub display_name: String,
}

/// The emulator's token-signing key, published through the discovery document's `jwks_uri`.
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Value,
    /// Client assertion ids already presented, so an assertion cannot be replayed.
    seen_jti: Mutex<HashSet<String>>,
    /// Tokens already verified, to keep Graph's hot path cheap.
    verified: Mutex<HashMap<String, AccessClaims>>,
}

impl Signer {
    pub fn generate() -> Result<Signer, String> {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .map_err(|e| format!("generating the token signing key: {e}"))?;
        let encoding = EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes())
            .map_err(|e| format!("loading the token signing key: {e}"))?;
        let spki = key.subject_public_key_info();
        let (n, e) = rsa_components(&spki).ok_or("reading the signing key's modulus")?;
        let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
        let kid = thumbprint_s256(&spki);
        let jwk = json!({
            "kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
            "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"
        });
        Ok(Signer {
            encoding,
            decoding,
            kid,
            jwk,
            seen_jti: Mutex::new(HashSet::new()),
            verified: Mutex::new(HashMap::new()),
        })
    }

    pub fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }

    /// An app-only token for `resource`: `roles` are the app's permissions on that resource
    /// as assigned now, `wids` its service principal's directory roles now (a grant shows
    /// only in a token issued after it).
    pub fn issue(
        &self,
        tenant: &Tenant,
        app: &App,
        resource: &str,
        lifetime_secs: i64,
        via_certificate: bool,
        uti: String,
    ) -> Result<String, String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let resource_app = resource_of_scope(resource).map(|(_, id)| id);
        let roles = app
            .permissions
            .iter()
            .filter(|p| {
                // Fixture apps may name permissions the first-party table does not list: they
                // count as Graph's.
                let owner = crate::first_party::resource_of(p).unwrap_or(GRAPH_APP_ID);
                Some(owner) == resource_app
            })
            .cloned()
            .collect();
        let principal = if app.sp_id.is_empty() {
            app.client_id.clone()
        } else {
            app.sp_id.clone()
        };
        let claims = AccessClaims {
            aud: resource.into(),
            iss: format!("https://sts.windows.net/{}/", tenant.id),
            iat: now,
            nbf: now,
            exp: now + lifetime_secs,
            app_displayname: app.display_name.clone(),
            appid: app.client_id.clone(),
            appidacr: if via_certificate { "2" } else { "1" }.into(),
            idtyp: "app".into(),
            oid: principal.clone(),
            roles,
            scp: None,
            upn: None,
            name: None,
            wids: tenant.roles_of(&app.sp_id),
            sub: principal,
            tid: tenant.id.clone(),
            uti,
            ver: "1.0".into(),
        };
        self.sign(&claims)
    }

    /// A delegated token: what the public client `client_id` may do for `user` on `resource`
    /// (`scp`), with the user's directory roles in `wids`.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_delegated(
        &self,
        tenant: &Tenant,
        client_id: &str,
        client_name: &str,
        user: &SignedInUser,
        resource: &str,
        scopes: &[String],
        lifetime_secs: i64,
        uti: String,
    ) -> Result<String, String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = AccessClaims {
            aud: resource.into(),
            iss: format!("https://sts.windows.net/{}/", tenant.id),
            iat: now,
            nbf: now,
            exp: now + lifetime_secs,
            app_displayname: client_name.into(),
            appid: client_id.into(),
            appidacr: "0".into(),
            idtyp: "user".into(),
            oid: user.id.clone(),
            roles: Vec::new(),
            scp: Some(scopes.join(" ")),
            upn: Some(user.upn.clone()),
            name: Some(user.display_name.clone()),
            wids: tenant.roles_of(&user.id),
            sub: user.id.clone(),
            tid: tenant.id.clone(),
            uti,
            ver: "1.0".into(),
        };
        self.sign(&claims)
    }

    /// An ID token (v2.0) for a user signing in to `client_id` with OpenID Connect: who they
    /// are (`oid`, `preferred_username`, `name`), for the client (`aud`), from the tenant's v2.0
    /// issuer (the discovery document's), answering the request's `nonce`, with the client's
    /// app roles assigned to the user in `roles`.
    pub fn issue_id_token(
        &self,
        tenant: &Tenant,
        client_id: &str,
        user: &SignedInUser,
        nonce: Option<&str>,
        authority: &str,
        lifetime_secs: i64,
    ) -> Result<String, String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = IdClaims {
            aud: client_id.to_string(),
            iss: format!("{authority}/{}/v2.0", tenant.id),
            iat: now,
            nbf: now,
            exp: now + lifetime_secs,
            name: user.display_name.clone(),
            nonce: nonce.map(str::to_string),
            oid: user.id.clone(),
            preferred_username: user.upn.clone(),
            roles: tenant.app_roles_of(client_id, &user.id),
            sub: user.id.clone(),
            tid: tenant.id.clone(),
            ver: "2.0".into(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| e.to_string())
    }

    fn sign(&self, claims: &AccessClaims) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Checks a bearer token for Graph: signature by this emulator, Graph audience, time
    /// window. The tenant is checked by the caller.
    pub fn verify(&self, token: &str) -> Result<Caller, String> {
        self.verify_for(token, GRAPH_RESOURCE)
    }

    /// Checks a bearer token for `resource` (Graph, or Exchange's admin API): signature, that
    /// audience (by URL or first-party appId), time window.
    pub fn verify_for(&self, token: &str, resource: &'static str) -> Result<Caller, String> {
        let app_id = resource_of_scope(resource)
            .map(|(_, id)| id)
            .unwrap_or(GRAPH_APP_ID);
        let service = if resource == GRAPH_RESOURCE {
            "Microsoft Graph"
        } else if resource == COMPLIANCE_RESOURCE {
            "Security & Compliance"
        } else {
            "Exchange Online"
        };
        let cached = self
            .verified
            .lock()
            .expect("cache lock")
            .get(token)
            .cloned();
        let claims = match cached {
            Some(c) => c,
            None => {
                let mut validation = Validation::new(Algorithm::RS256);
                validation.set_audience(&[resource, app_id]);
                validation.leeway = 0;
                validation.validate_nbf = true;
                let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
                    .map_err(|e| match e.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                            "Lifetime validation failed, the token is expired.".to_string()
                        }
                        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                            "IDX10503: Signature validation failed: the token was not signed by this service.".to_string()
                        }
                        jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                            format!("Invalid audience: the token is not for {service}.")
                        }
                        _ => format!("The token could not be read: {e}."),
                    })?;
                let mut cache = self.verified.lock().expect("cache lock");
                if cache.len() > 10_000 {
                    cache.clear();
                }
                cache.insert(token.to_string(), data.claims.clone());
                data.claims
            }
        };
        // A token verified earlier for one audience is cached; it is not good for another.
        if !claims.aud.eq_ignore_ascii_case(resource) && !claims.aud.eq_ignore_ascii_case(app_id) {
            return Err(format!("Invalid audience: the token is not for {service}."));
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if claims.exp <= now {
            return Err("Lifetime validation failed, the token is expired.".into());
        }
        if claims.nbf > now {
            return Err("Lifetime validation failed, the token is not yet valid.".into());
        }
        let delegated = claims.idtyp == "user";
        Ok(Caller {
            tenant_id: claims.tid,
            app_id: claims.appid,
            roles: claims.roles,
            scopes: claims
                .scp
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            wids: claims.wids,
            user_id: delegated.then_some(claims.oid),
        })
    }

    fn remember_jti(&self, jti: &str) -> bool {
        self.seen_jti
            .lock()
            .expect("jti lock")
            .insert(jti.to_string())
    }
}

/// The modulus and exponent of an RSA SubjectPublicKeyInfo (DER).
fn rsa_components(spki: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    // SPKI = SEQ { SEQ { OID, NULL }, BIT STRING { SEQ { INTEGER n, INTEGER e } } }
    fn read(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *der.first()?;
        let first = *der.get(1)? as usize;
        let (len, header) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *der.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        let body = der.get(header..header + len)?;
        Some((tag, body, &der[header + len..]))
    }
    let (_, spki_body, _) = read(spki)?;
    let (_, _alg, rest) = read(spki_body)?;
    let (tag, bits, _) = read(rest)?;
    if tag != 0x03 {
        return None;
    }
    let (_, key_seq, _) = read(bits.get(1..)?)?;
    let (_, n, rest) = read(key_seq)?;
    let (_, e, _) = read(rest)?;
    let strip = |v: &[u8]| {
        v.iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    Some((strip(n), strip(e)))
}

pub fn thumbprint_s256(der: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    URL_SAFE_NO_PAD.encode(d.as_ref())
}

pub fn thumbprint_sha1(der: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    URL_SAFE_NO_PAD.encode(d.as_ref())
}

/// A certificate and key for an app, generated the way an administrator would with
/// `New-SelfSignedCertificate`: RSA 2048, self-signed.
pub fn generate_app_certificate(app_name: &str) -> Result<crate::tenant::Certificate, String> {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("CN={app_name}"));
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let der = cert.der().to_vec();
    let spki = key.subject_public_key_info();
    let public_key_pem = pem_wrap("PUBLIC KEY", &spki);
    Ok(crate::tenant::Certificate {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        x5t: thumbprint_sha1(&der),
        x5t_s256: thumbprint_s256(&der),
        public_key_pem,
        key_id: String::new(),
        end: String::new(),
        der_b64: STANDARD.encode(&der),
    })
}

pub fn pem_wrap(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// What a successful token request establishes.
pub struct Grant {
    pub app: App,
    pub via_certificate: bool,
    /// The audience the token is for (Graph or Exchange).
    pub resource: &'static str,
}

#[derive(Deserialize)]
struct AssertionClaims {
    aud: Option<Value>,
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    /// NumericDate: seconds, not necessarily whole (RFC 7519 §2); MSAL for Python sends
    /// fractions, which Entra accepts.
    nbf: Option<f64>,
    exp: Option<f64>,
    iat: Option<f64>,
}

/// Authenticates a client credentials request against a tenant's registered apps.
///
/// `form` is the decoded form body; `basic` the client id and secret from an HTTP Basic
/// header; `endpoints` the URLs a client assertion may name as its audience.
pub fn authenticate(
    signer: &Signer,
    tenant: &Tenant,
    form: &HashMap<String, String>,
    basic: Option<(String, String)>,
    endpoints: &[String],
) -> Result<Grant, TokenError> {
    let missing = |p: &str| {
        TokenError::new(
            400,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{p}'."),
        )
    };
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(TokenError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{grant_type}'. This emulator issues tokens for the client_credentials grant."
            ),
        ));
    }
    let client_id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| missing("client_id"))?;
    let scope = form.get("scope").ok_or_else(|| missing("scope"))?;
    let resources: Vec<Option<&'static str>> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.ends_with("/.default")
                .then(|| resource_of_scope(s).map(|(r, _)| r))
                .flatten()
        })
        .collect();
    let resource = match resources.as_slice() {
        [Some(r)] => Some(*r),
        _ => None,
    };
    let Some(resource) = resource else {
        return Err(TokenError::new(
            400,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (https://graph.microsoft.com/.default)."
            ),
        ));
    };
    let Some(app) = tenant.app(&client_id).cloned() else {
        return Err(TokenError::new(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.id
            ),
        ));
    };
    let secret = form
        .get("client_secret")
        .cloned()
        .or_else(|| basic.map(|(_, s)| s));
    if let Some(secret) = secret {
        let now = time::OffsetDateTime::now_utc();
        let matching = app
            .secrets
            .iter()
            .find(|s| constant_time_eq(&s.value, &secret));
        return match matching {
            None => Err(TokenError::new(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '".to_string() + &app.client_id + "'.",
            )),
            Some(s) => {
                let expires = time::OffsetDateTime::parse(&s.expires, &time::format_description::well_known::Rfc3339)
                    .unwrap_or(now);
                if expires <= now {
                    Err(TokenError::new(
                        401,
                        "invalid_client",
                        7000222,
                        format!("The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app.", app.client_id),
                    ))
                } else {
                    Ok(Grant { app, via_certificate: false, resource })
                }
            }
        };
    }
    let Some(assertion) = form.get("client_assertion") else {
        return Err(TokenError::new(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        ));
    };
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(TokenError::new(
            400,
            "invalid_request",
            50027,
            "client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        ));
    }
    verify_assertion(signer, &app, assertion, endpoints)?;
    Ok(Grant {
        app,
        via_certificate: true,
        resource,
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A certificate thumbprint as sent in `x5t` / `x5t#S256`, reduced to one spelling: base64url
/// or base64, padded or not.
fn thumbprint_key(thumbprint: &str) -> String {
    thumbprint
        .trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn verify_assertion(
    signer: &Signer,
    app: &App,
    assertion: &str,
    endpoints: &[String],
) -> Result<(), TokenError> {
    let malformed = |why: &str| {
        TokenError::new(
            401,
            "invalid_client",
            50027,
            format!("JWT token is invalid or malformed: {why}"),
        )
    };
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| malformed(&e.to_string()))?;
    let (thumbprint, by_s256) = match header.alg {
        Algorithm::PS256 => (
            header.x5t_s256.clone().or(header.x5t.clone()),
            header.x5t_s256.is_some(),
        ),
        Algorithm::RS256 => (
            header.x5t.clone().or(header.x5t_s256.clone()),
            header.x5t.is_none(),
        ),
        other => {
            return Err(malformed(&format!(
                "the assertion's 'alg' is {other:?}; expected PS256 (with x5t#S256) or RS256 (with x5t)"
            )));
        }
    };
    let Some(thumbprint) = thumbprint else {
        return Err(malformed(
            "the assertion's header names no certificate ('x5t#S256' or 'x5t')",
        ));
    };
    // MSAL for Python sends the thumbprint base64url *with* padding, which Entra accepts: the
    // thumbprint is compared as the bytes it encodes, not as text.
    let wanted = thumbprint_key(&thumbprint);
    let cert = app.certificates.iter().find(|c| {
        if by_s256 {
            thumbprint_key(&c.x5t_s256) == wanted
        } else {
            thumbprint_key(&c.x5t) == wanted
        }
    });
    let Some(cert) = cert else {
        return Err(TokenError::new(
            401,
            "invalid_client",
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}']"
            ),
        ));
    };
    let key = DecodingKey::from_rsa_pem(cert.public_key_pem.as_bytes())
        .map_err(|e| malformed(&e.to_string()))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).map_err(|e| {
        match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::new(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
            ),
            _ => malformed(&e.to_string()),
        }
    })?;
    let c = data.claims;
    let aud_ok = match &c.aud {
        Some(Value::String(a)) => endpoints.iter().any(|e| e == a),
        Some(Value::Array(items)) => items
            .iter()
            .any(|a| a.as_str().is_some_and(|a| endpoints.iter().any(|e| e == a))),
        _ => false,
    };
    if !aud_ok {
        return Err(malformed(&format!(
            "the assertion's 'aud' must be the token endpoint ({}).",
            endpoints.first().map(String::as_str).unwrap_or("")
        )));
    }
    if c.iss.as_deref() != Some(app.client_id.as_str())
        || c.sub.as_deref() != Some(app.client_id.as_str())
    {
        return Err(malformed(
            "the assertion's 'iss' and 'sub' must both be the client id.",
        ));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    const SKEW: f64 = 300.0;
    // `exp` is required; `nbf` is checked when present (MSAL for Python sends `iat` and no
    // `nbf`, which Entra accepts).
    let Some(exp) = c.exp else {
        return Err(malformed("the assertion must carry 'exp'."));
    };
    let nbf = c.nbf.or(c.iat);
    let in_range = nbf.is_none_or(|nbf| nbf - SKEW <= now && exp > nbf) && now < exp + SKEW;
    if !in_range {
        return Err(TokenError::new(
            401,
            "invalid_client",
            500133,
            "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.",
        ));
    }
    let Some(jti) = c.jti.filter(|j| !j.is_empty()) else {
        return Err(malformed("the assertion must carry a unique 'jti'."));
    };
    if !signer.remember_jti(&jti) {
        return Err(malformed(&format!(
            "the assertion 'jti' {jti} was already used; each assertion may be used once."
        )));
    }
    Ok(())
}

/// The OpenID Connect discovery document for a tenant.
pub fn openid_configuration(authority: &str, tenant_id: &str) -> Value {
    json!({
        "token_endpoint": format!("{authority}/{tenant_id}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{authority}/{tenant_id}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{authority}/{tenant_id}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{authority}/oidc/userinfo"),
        "authorization_endpoint": format!("{authority}/{tenant_id}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{authority}/{tenant_id}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{authority}/{tenant_id}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "at_hash", "c_hash"],
        "kerberos_endpoint": format!("{authority}/{tenant_id}/kerberos"),
        "tenant_region_scope": "OC",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net"
    })
}
