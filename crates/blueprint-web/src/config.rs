//! The server's configuration file (`blueprint serve --config FILE`, TOML): where people sign
//! in, and which claims of their sign-in map to which role. No secret goes here: the web app
//! is a public client (authorization code with PKCE).
//!
//! ```toml
//! [sign_in]
//! authority = "https://login.microsoftonline.com"
//! tenant = "00000000-0000-0000-0000-000000000000"
//! client_id = "11111111-1111-1111-1111-111111111111"
//! redirect_uri = "http://127.0.0.1:8080/auth/callback"
//!
//! [[rule]]            # an app role of the web app's registration
//! claim = "roles"
//! value = "Blueprint.ProgramOffice"
//! role = "program"
//!
//! [[rule]]            # an agency's staff group (its object id)
//! claim = "groups"
//! value = "5d1f…"
//! role = "agency"
//! organisation = "dta" # the engagement id
//!
//! [schedule]          # evaluate every engagement daily, recording drift
//! evaluate_every = "24h"
//! ```

use serde::Deserialize;

use crate::auth::{OidcConfig, RoleMap, RoleRule};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Where in the file, and what is wrong there.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read the configuration {file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// The file's contents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    pub sign_in: OidcConfig,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RoleRule>,
    /// Scheduled evaluation ([`crate::schedule`]); none by default.
    #[serde(default)]
    pub schedule: crate::schedule::Schedule,
}

impl ServeConfig {
    /// Parses `text` (named `file` in errors, which give file:line:col).
    pub fn from_toml(file: &str, text: &str) -> Result<ServeConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError::Invalid {
                file: file.to_string(),
                line,
                column,
                message: e.message().to_string(),
            }
        })
    }

    pub fn read(path: &std::path::Path) -> Result<ServeConfig, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        ServeConfig::from_toml(&file, &text)
    }

    pub fn role_map(&self) -> RoleMap {
        RoleMap {
            rules: self.rules.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[sign_in]
authority = "https://login.microsoftonline.com"
tenant = "t"
client_id = "c"
redirect_uri = "http://127.0.0.1:8080/auth/callback"

[[rule]]
claim = "roles"
value = "Blueprint.ProgramOffice"
role = "program"
"#;

    #[test]
    fn a_configuration_maps_claims_to_roles() {
        let config = ServeConfig::from_toml("serve.toml", GOOD).unwrap();
        let principal = config
            .role_map()
            .principal(&serde_json::json!({"preferred_username": "jo@dta.gov.au", "roles": ["Blueprint.ProgramOffice"]}))
            .unwrap();
        assert_eq!(principal.role, blueprint_store::Role::Program);
        assert!(
            config
                .role_map()
                .principal(
                    &serde_json::json!({"preferred_username": "jo@dta.gov.au", "roles": ["Other"]})
                )
                .is_none()
        );
    }

    #[test]
    fn a_bad_interval_is_shown_where_it_is_written() {
        let bad = format!("{GOOD}\n[schedule]\nevaluate_every = \"daily\"\n");
        let err = ServeConfig::from_toml("serve.toml", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("serve.toml:14:18:"), "{err}");
        assert!(err.contains("daily"), "{err}");
        let good = format!("{GOOD}\n[schedule]\nevaluate_every = \"24h\"\n");
        let config = ServeConfig::from_toml("serve.toml", &good).unwrap();
        assert_eq!(
            config.schedule.interval("dta"),
            Some(std::time::Duration::from_secs(86_400))
        );
    }

    #[test]
    fn a_bad_value_is_shown_where_it_is_written() {
        let bad = GOOD.replace("role = \"program\"", "role = \"admin\"");
        let err = ServeConfig::from_toml("serve.toml", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("serve.toml:11:8:"), "{err}");
        assert!(err.contains("admin"), "{err}");
    }
}
