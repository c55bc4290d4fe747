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
    use blueprint_store::Role;

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

    /// The documented shape: [`GOOD`]'s app role for the program office, then an agency's
    /// staff group and a partner's group by object id, as Entra ID puts them in the ID token's
    /// `groups` claim (the registration's `groupMembershipClaims`).
    fn groups() -> String {
        format!(
            r#"{GOOD}
[[rule]]
claim = "groups"
value = "5d1f3a9e-0c2b-4f7a-9e8d-1a2b3c4d5e6f"
role = "agency"
organisation = "dta"

[[rule]]
claim = "groups"
value = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
role = "partner"
organisation = "Acme Partners"
"#
        )
    }

    #[test]
    fn group_claims_map_to_roles_as_configured_beside_app_roles() {
        let map = ServeConfig::from_toml("serve.toml", &groups())
            .unwrap()
            .role_map();
        let who =
            |claims: serde_json::Value| map.principal(&claims).map(|p| (p.role, p.organisation));
        let staff = serde_json::json!({
            "preferred_username": "jo@dta.gov.au",
            // Entra writes object ids in lower case; a configuration may not.
            "groups": ["0f0f0f0f-0000-4000-8000-000000000000", "5D1F3A9E-0C2B-4F7A-9E8D-1A2B3C4D5E6F"],
        });
        assert_eq!(who(staff), Some((Role::Agency, Some("dta".into()))));
        let partner = serde_json::json!({
            "preferred_username": "sam@acme.example",
            "groups": ["9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"],
        });
        assert_eq!(
            who(partner),
            Some((Role::Partner, Some("Acme Partners".into())))
        );
        // Both an app role and a group: the first rule in the file wins.
        let both = serde_json::json!({
            "preferred_username": "lee@dta.gov.au",
            "roles": ["Blueprint.ProgramOffice"],
            "groups": ["5d1f3a9e-0c2b-4f7a-9e8d-1a2b3c4d5e6f"],
        });
        assert_eq!(who(both), Some((Role::Program, None)));
        // A group id is a value of `groups` only: the same text in another claim grants nothing.
        let elsewhere = serde_json::json!({
            "preferred_username": "kim@dta.gov.au",
            "roles": ["5d1f3a9e-0c2b-4f7a-9e8d-1a2b3c4d5e6f"],
            "groups": ["0f0f0f0f-0000-4000-8000-000000000000"],
        });
        assert_eq!(who(elsewhere.clone()), None);
        assert!(matches!(
            map.refusal(&elsewhere),
            crate::auth::SignInError::NoRole(_)
        ));
    }

    #[test]
    fn a_token_without_its_groups_for_there_being_too_many_is_refused_saying_so() {
        let map = ServeConfig::from_toml("serve.toml", &groups())
            .unwrap()
            .role_map();
        // Entra's overage: no `groups`, a pointer to where they are instead.
        let overage = serde_json::json!({
            "preferred_username": "jo@dta.gov.au",
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/00000000-0000-0000-0000-000000000001/getMemberObjects"}},
        });
        assert!(map.principal(&overage).is_none());
        let why = map.refusal(&overage).to_string();
        assert!(
            why.contains("jo@dta.gov.au") && why.contains("ApplicationGroup"),
            "{why}"
        );
        // Rules that read only app roles: the groups were not needed; the plain refusal.
        let roles_only = ServeConfig::from_toml("serve.toml", GOOD)
            .unwrap()
            .role_map();
        assert!(matches!(
            roles_only.refusal(&overage),
            crate::auth::SignInError::NoRole(_)
        ));
    }

    #[test]
    fn a_client_secret_in_the_configuration_is_refused_without_repeating_it() {
        // The web app signs in as a public client (PKCE): there is nowhere for a secret.
        let planted = "Zq8~fake.client.secret-0123456789abcdef";
        let bad = GOOD.replace(
            "client_id = \"c\"",
            &format!("client_id = \"c\"\nclient_secret = \"{planted}\""),
        );
        let err = ServeConfig::from_toml("serve.toml", &bad)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("serve.toml:6:1:"), "{err}");
        assert!(err.contains("client_secret"), "{err}");
        assert!(!err.contains(planted), "{err}");
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
