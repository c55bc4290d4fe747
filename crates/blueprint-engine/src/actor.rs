//! Who acts, as the feature log names them: a name and a role (the agency, its technology
//! partner, or the program office).
//!
//! The profile's `[actor]` gives a workspace's default; a front end (the command line's actor and role settings,
//! or their environment variables) overrides it for one command, so a partner's engineer and the
//! agency's owner can share one workspace and still be told apart in the log.

use blueprint_store::Role;
use serde::Deserialize;

use crate::engagement::{Activity, EngagementError, RoleRule};

/// The person or system a feature log entry names, and the role they act in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// The login name (`USER`, `USERNAME` on Windows) acting for the agency: what the log says
    /// when nobody said who acts.
    pub fn from_login() -> Actor {
        let name = ["USER", "USERNAME"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "blueprint".into());
        Actor {
            name,
            role: Role::Agency,
        }
    }

    /// This actor with the parts the command line gave replaced.
    pub fn overridden(mut self, name: Option<&str>, role: Option<Role>) -> Actor {
        if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
            self.name = name.to_string();
        }
        if let Some(role) = role {
            self.role = role;
        }
        self
    }

    /// Refuses `action` to the program office: it sees every agency's progress and changes
    /// nothing, neither the tenant nor the engagement's plan and evidence.
    pub fn may_change(&self, activity: Activity) -> Result<(), EngagementError> {
        if self.role == Role::Program {
            return Err(EngagementError::Role {
                activity,
                role: self.role,
                why: RoleRule::ProgramOfficeChangesNothing,
            });
        }
        Ok(())
    }
}

/// The profile's `[actor]` table. Spanned so that a bad value is shown where it is written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSection {
    pub name: Option<toml::Spanned<String>>,
    pub role: Option<toml::Spanned<String>>,
}
