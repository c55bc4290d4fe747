//! How to reach Graph and Entra ID, and with which credential.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::{GraphError, SecretString};

/// Microsoft's public-cloud token service.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Microsoft Graph in the public cloud.
pub const DEFAULT_GRAPH: &str = "https://graph.microsoft.com";

/// How the app proves who it is to Entra ID.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A client secret, sent in the token request's form body.
    Secret(SecretString),
    /// A certificate and its unencrypted private key (PKCS#8 or PKCS#1 RSA), both PEM, in one
    /// text: the client signs a PS256 client assertion with the key.
    Certificate { pem: SecretString },
    /// An access token obtained elsewhere, e.g. by an administrator signing in
    /// ([`crate::signin`]): used as it is until Graph refuses it.
    Bearer(SecretString),
}

impl Credential {
    /// The secret text of the credential, for scrubbing it from anything that might be shown.
    pub(crate) fn secret_text(&self) -> &str {
        match self {
            Credential::Secret(s) => s.expose(),
            Credential::Certificate { pem } => pem.expose(),
            Credential::Bearer(token) => token.expose(),
        }
    }
}

/// When and how long to retry. Waits use `Retry-After` when Graph sends it, otherwise
/// exponential backoff with full jitter: a random wait in `[0, min(max_backoff, base·2ⁿ)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per logical call, the first included. Twelve: at a 20 % fault rate the
    /// chance that one call fails eight times running is 2.6·10⁻⁶, and a full deploy and
    /// evaluate make some 2,000 calls and batched reads, which at eight attempts left about one
    /// test run in twenty with a read that gave up; at twelve it is 4·10⁻⁹ per call. The
    /// total wait stays capped by `max_wait_total`.
    pub max_attempts: u32,
    /// The most one logical call may spend waiting between attempts.
    pub max_wait_total: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long Graph's replicas may take to show an object that exists: a 404 on reading an
    /// object just created, or a look-up after a create whose answer was lost, is tried again
    /// over this window before it is believed. Entra documents its replication delay as
    /// "typically brief" (seconds).
    pub replication_window: Duration,
    /// How long another service may take to show an object Graph made: Exchange Online shows a
    /// new Microsoft 365 group only once it has provisioned the group's mailbox (minutes). A
    /// write through that service to such an object waits for it over this window, looking
    /// less and less often (at most every 30 s), then fails naming it.
    pub provisioning_window: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            max_wait_total: Duration::from_secs(300),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(32),
            replication_window: Duration::from_secs(30),
            provisioning_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything the client needs. `Debug` is safe to print: the credential shows as `***`.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Entra ID's authority host, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// Graph's root, e.g. `https://graph.microsoft.com` (requests go to `{graph}/v1.0/…`).
    pub graph: String,
    pub tenant_id: String,
    pub client_id: String,
    pub credential: Credential,
    /// An extra trusted root CA (PEM), on top of the platform's roots (`BLUEPRINT_CA_FILE`).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Per HTTP request.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Minimum spacing of requests to `/identity/conditionalAccess/*` from this client: Graph
    /// allows one request per second per tenant there and its 429s carry no `Retry-After`.
    /// Counted from the previous answer, so latency cannot bunch two requests together on
    /// arrival; a `$batch` holding a conditional-access read passes through the same gate.
    pub conditional_access_interval: Duration,
    /// The scope tokens are asked for; `None` means the configured Graph's `.default`. Another
    /// resource's (`https://outlook.office365.com/.default`) gives tokens for that resource.
    pub scope: Option<String>,
    /// The HTTP proxy requests go through (default: `HTTPS_PROXY` and `NO_PROXY` from the
    /// environment). Loopback addresses are never proxied.
    pub proxy: ProxyConfig,
}

/// Which HTTP proxy the client goes through. Graph and Entra are HTTPS, so the proxy is used as
/// an HTTP `CONNECT` tunnel and TLS stays end to end (a TLS-inspecting proxy needs its CA in
/// `BLUEPRINT_CA_FILE`).
#[derive(Clone, PartialEq, Default)]
pub enum ProxyConfig {
    /// `HTTPS_PROXY` (or `https_proxy`, else `ALL_PROXY` / `all_proxy`), except the hosts in
    /// `NO_PROXY` (or `no_proxy`), read from the process environment when the client is built.
    /// curl's conventions: a comma-separated list of host names (a leading dot or none matches
    /// subdomains too), IP addresses or CIDR ranges, or `*` for every host.
    #[default]
    Environment,
    /// Connect directly, whatever the environment says.
    Direct,
    /// Through `url` (`http://[user:password@]host:port`), except the hosts in `no_proxy`
    /// (as `NO_PROXY`).
    Url { url: String, no_proxy: String },
}

/// A proxy as the client will use it.
#[derive(Clone, PartialEq)]
pub(crate) struct ResolvedProxy {
    pub url: String,
    pub no_proxy: String,
    /// Where the setting came from, for messages (`HTTPS_PROXY`, `the configuration`).
    pub source: &'static str,
}

impl ProxyConfig {
    /// The proxy to use, with the environment looked up through `var`; `None` for direct.
    pub(crate) fn resolve(&self, var: impl Fn(&str) -> Option<String>) -> Option<ResolvedProxy> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        match self {
            ProxyConfig::Direct => None,
            ProxyConfig::Url { url, no_proxy } => Some(ResolvedProxy {
                url: url.trim().to_string(),
                no_proxy: no_proxy.clone(),
                source: "the configured proxy",
            }),
            ProxyConfig::Environment => {
                let (source, url) = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
                    .into_iter()
                    .find_map(|name| var(name).map(|v| (name, v)))?;
                let no_proxy = var("NO_PROXY")
                    .or_else(|| var("no_proxy"))
                    .unwrap_or_default();
                Some(ResolvedProxy {
                    url: url.trim().to_string(),
                    no_proxy,
                    source,
                })
            }
        }
    }
}

/// Where a request to a host goes first, as [`ProxyConfig::route_for`] tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRoute {
    pub host: String,
    pub port: u16,
    /// The proxy's address without any user name or password, and where it was set.
    pub shown: String,
}

impl ProxyConfig {
    /// The proxy a request to `host` would go through (`None`: directly), from the process
    /// environment for [`ProxyConfig::Environment`]: loopback is never proxied, and `NO_PROXY`
    /// names (a leading dot or none matches subdomains too; `*` every host) go direct. For a
    /// diagnosis that must test the same path the client takes.
    pub fn route_for(&self, host: &str) -> Option<ProxyRoute> {
        self.route_with(host, |name| std::env::var(name).ok())
    }

    /// [`route_for`](Self::route_for) with the environment looked up through `var`.
    pub(crate) fn route_with(
        &self,
        host: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Option<ProxyRoute> {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return None;
        }
        let proxy = self.resolve(var)?;
        let excepted = proxy.no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        });
        if excepted {
            return None;
        }
        let url = reqwest::Url::parse(&proxy.url).ok()?;
        Some(ProxyRoute {
            host: url.host_str()?.to_string(),
            port: url.port_or_known_default()?,
            shown: format!("{} ({})", proxy.display(), proxy.source),
        })
    }
}

impl ResolvedProxy {
    /// The proxy's address without any user name or password, for messages.
    pub(crate) fn display(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(url) => format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or("?"),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Err(_) => "(unparsable URL)".to_string(),
        }
    }
}

impl fmt::Debug for ProxyConfig {
    /// Never prints a password the proxy URL may hold.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::Environment => f.write_str("Environment"),
            ProxyConfig::Direct => f.write_str("Direct"),
            ProxyConfig::Url { url, no_proxy } => {
                let shown = ResolvedProxy {
                    url: url.clone(),
                    no_proxy: no_proxy.clone(),
                    source: "",
                }
                .display();
                f.debug_struct("Url")
                    .field("url", &shown)
                    .field("no_proxy", no_proxy)
                    .finish()
            }
        }
    }
}

impl Default for GraphConfig {
    /// Microsoft's endpoints and the documented defaults; tenant, client and credential empty
    /// (fill them in, e.g. `GraphConfig { tenant_id, client_id, credential, ..Default::default() }`).
    fn default() -> Self {
        Self {
            authority: DEFAULT_AUTHORITY.to_string(),
            graph: DEFAULT_GRAPH.to_string(),
            tenant_id: String::new(),
            client_id: String::new(),
            credential: Credential::Secret(SecretString::default()),
            extra_ca_pem: None,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            conditional_access_interval: Duration::from_secs(1),
            scope: None,
            proxy: ProxyConfig::Environment,
        }
    }
}

/// Environment variables read by [`GraphConfig::from_env`].
pub mod env {
    pub const TENANT_ID: &str = "AZURE_TENANT_ID";
    pub const CLIENT_ID: &str = "AZURE_CLIENT_ID";
    pub const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
    pub const CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
    pub const CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
    pub const AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
    pub const GRAPH_URL: &str = "BLUEPRINT_GRAPH_URL";
    pub const CA_FILE: &str = "BLUEPRINT_CA_FILE";
}

impl GraphConfig {
    /// A configuration from the process environment, following the Azure convention
    /// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, and `AZURE_CLIENT_SECRET` or
    /// `AZURE_CLIENT_CERTIFICATE_PATH`) plus `AZURE_AUTHORITY_HOST`, `BLUEPRINT_GRAPH_URL` and
    /// `BLUEPRINT_CA_FILE`. Variables that are unset keep `base`'s values, so a profile's
    /// connection can be the base and the environment override it.
    pub fn from_env(base: GraphConfig) -> Result<GraphConfig, GraphError> {
        Self::from_vars(base, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var` (for tests, or a
    /// caller that already holds the environment).
    pub fn from_vars(
        base: GraphConfig,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<GraphConfig, GraphError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut config = base;
        if let Some(tenant) = var(env::TENANT_ID) {
            config.tenant_id = tenant.trim().to_string();
        }
        if let Some(client) = var(env::CLIENT_ID) {
            config.client_id = client.trim().to_string();
        }
        if let Some(authority) = var(env::AUTHORITY_HOST) {
            config.authority = authority.trim().to_string();
        }
        if let Some(graph) = var(env::GRAPH_URL) {
            config.graph = graph.trim().to_string();
        }
        if let Some(ca_path) = var(env::CA_FILE) {
            let pem = std::fs::read(&ca_path).map_err(|e| {
                GraphError::Config(format!("cannot read {} ({ca_path}): {e}", env::CA_FILE))
            })?;
            config.extra_ca_pem = Some(pem);
        }
        // A secret wins over a certificate when both are set, as in Azure's EnvironmentCredential.
        if let Some(secret) = var(env::CLIENT_SECRET) {
            config.credential = Credential::Secret(SecretString::new(secret));
        } else if let Some(path) = var(env::CLIENT_CERTIFICATE_PATH) {
            if var(env::CLIENT_CERTIFICATE_PASSWORD).is_some() {
                return Err(GraphError::Config(format!(
                    "{} is set, but only an unencrypted PEM certificate with its private key is supported; \
                     convert it (e.g. `openssl pkcs12 -in cert.pfx -nodes -out cert.pem`) and unset {}",
                    env::CLIENT_CERTIFICATE_PASSWORD,
                    env::CLIENT_CERTIFICATE_PASSWORD
                )));
            }
            config.credential = Credential::Certificate {
                pem: read_certificate(Path::new(&path))?,
            };
        }
        config.check_complete()?;
        Ok(config)
    }

    /// Every field a token request needs is present; otherwise a message naming what to set.
    pub fn check_complete(&self) -> Result<(), GraphError> {
        let mut missing = Vec::new();
        if self.tenant_id.trim().is_empty() {
            missing.push(format!("the tenant id ({})", env::TENANT_ID));
        }
        if self.client_id.trim().is_empty() {
            missing.push(format!("the app's client id ({})", env::CLIENT_ID));
        }
        if self.credential.secret_text().is_empty() {
            missing.push(format!(
                "a credential: {} (client secret) or {} (PEM file with the certificate and its private key)",
                env::CLIENT_SECRET,
                env::CLIENT_CERTIFICATE_PATH
            ));
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(GraphError::Config(format!(
                "missing {}; set the environment variables or the connection in blueprint.toml",
                missing.join(", ")
            )))
        }
    }
}

/// Reads a PEM certificate-and-key file for [`Credential::Certificate`].
pub fn read_certificate(path: &Path) -> Result<SecretString, GraphError> {
    std::fs::read_to_string(path)
        .map(SecretString::new)
        .map_err(|e| {
            GraphError::Config(format!(
                "cannot read the certificate file {} ({}): {e}",
                path.display(),
                env::CLIENT_CERTIFICATE_PATH
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn missing_credential_names_both_variables() {
        let err = GraphConfig::from_vars(
            GraphConfig::default(),
            vars(&[("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, GraphError::Config(_)));
        assert!(text.contains("AZURE_CLIENT_SECRET"), "{text}");
        assert!(text.contains("AZURE_CLIENT_CERTIFICATE_PATH"), "{text}");
        assert!(!text.contains("AZURE_TENANT_ID"), "{text}");
    }

    #[test]
    fn environment_overrides_the_base_and_the_secret_stays_hidden() {
        let config = GraphConfig::from_vars(
            GraphConfig::default(),
            vars(&[
                ("AZURE_TENANT_ID", "tenant"),
                ("AZURE_CLIENT_ID", "client"),
                ("AZURE_CLIENT_SECRET", "very-secret-value"),
                ("AZURE_AUTHORITY_HOST", "https://login.example"),
                ("BLUEPRINT_GRAPH_URL", "https://graph.example"),
            ]),
        )
        .unwrap();
        assert_eq!(config.tenant_id, "tenant");
        assert_eq!(config.authority, "https://login.example");
        assert_eq!(config.graph, "https://graph.example");
        assert!(!format!("{config:?}").contains("very-secret-value"));
    }

    #[test]
    fn the_proxy_comes_from_https_proxy_then_all_proxy_and_never_shows_its_password() {
        let from = |pairs: &[(&str, &str)]| ProxyConfig::Environment.resolve(vars(pairs));
        assert!(from(&[]).is_none());
        assert!(
            from(&[("HTTP_PROXY", "http://plain:3128")]).is_none(),
            "https only"
        );
        let p = from(&[
            ("ALL_PROXY", "http://all:1"),
            ("https_proxy", "http://user:pa55word@proxy.example:3128"),
            ("no_proxy", ".internal.example"),
        ])
        .unwrap();
        assert_eq!(p.source, "https_proxy");
        assert_eq!(p.no_proxy, ".internal.example");
        assert_eq!(p.display(), "http://proxy.example:3128");
        let p = from(&[("ALL_PROXY", "http://all:1"), ("NO_PROXY", "*")]).unwrap();
        assert_eq!((p.source, p.no_proxy.as_str()), ("ALL_PROXY", "*"));
        assert!(
            ProxyConfig::Direct
                .resolve(vars(&[("HTTPS_PROXY", "http://x:1")]))
                .is_none()
        );
        let explicit = ProxyConfig::Url {
            url: "http://u:secret-pw@10.0.0.1:8080".into(),
            no_proxy: String::new(),
        };
        assert!(!format!("{explicit:?}").contains("secret-pw"));
        assert!(format!("{explicit:?}").contains("10.0.0.1:8080"));
    }

    #[test]
    fn the_route_to_a_host_goes_through_the_proxy_unless_no_proxy_or_loopback_says_direct() {
        let env = vars(&[
            ("HTTPS_PROXY", "http://user:pw@proxy.example:3128"),
            ("NO_PROXY", ".internal.example, graph.example"),
        ]);
        let via = ProxyConfig::Environment
            .route_with("login.microsoftonline.com", &env)
            .unwrap();
        assert_eq!((via.host.as_str(), via.port), ("proxy.example", 3128));
        assert_eq!(via.shown, "http://proxy.example:3128 (HTTPS_PROXY)");
        for direct in [
            "a.internal.example",
            "graph.example",
            "127.0.0.1",
            "localhost",
            "[::1]",
        ] {
            assert!(
                ProxyConfig::Environment.route_with(direct, &env).is_none(),
                "{direct}"
            );
        }
        assert!(
            ProxyConfig::Direct
                .route_with("login.microsoftonline.com", &env)
                .is_none()
        );
        let all = vars(&[("HTTPS_PROXY", "http://proxy.example"), ("NO_PROXY", "*")]);
        assert!(
            ProxyConfig::Environment
                .route_with("x.example", &all)
                .is_none()
        );
        let default_port = vars(&[("HTTPS_PROXY", "http://proxy.example")]);
        assert_eq!(
            ProxyConfig::Environment
                .route_with("x.example", &default_port)
                .unwrap()
                .port,
            80
        );
    }

    #[test]
    fn unreadable_certificate_path_is_a_config_error_naming_the_variable() {
        let err = GraphConfig::from_vars(
            GraphConfig::default(),
            vars(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem"),
            ]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("AZURE_CLIENT_CERTIFICATE_PATH"),
            "{err}"
        );
    }
}
