//! How to reach Graph and Entra ID, and with which credential.

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
    /// Attempts per logical call, the first included.
    pub max_attempts: u32,
    /// The most one logical call may spend waiting between attempts.
    pub max_wait_total: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_wait_total: Duration::from_secs(300),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(32),
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
