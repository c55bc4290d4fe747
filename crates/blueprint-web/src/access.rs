//! Who may see and do what, enforced on every route and every API call: the program office
//! reads every engagement and changes none; an agency sees and acts on its own engagement only;
//! a partner acts on the engagements agencies granted it, and records no phase decision (the
//! engine refuses those too: [`blueprint_engine::engagement::decide`]).

use blueprint_store::Role;
use serde::Serialize;

use crate::registry::Entry;

/// A signed-in person: their name (the sign-in's `preferred_username`), the role their
/// sign-in maps to, and whose they are: the agency's engagement id, or the partner's
/// organisation (none for the program office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub organisation: Option<String>,
}

/// What a principal sets out to do on an engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See its pages, status, log and evidence.
    Read,
    /// Attest a manual feature (and, later, deploy and evaluate).
    Act,
    /// Record a phase decision.
    Decide,
}

impl Principal {
    fn owns(&self, entry: &Entry) -> bool {
        self.role == Role::Agency && self.organisation.as_deref() == Some(entry.id())
    }

    fn granted(&self, entry: &Entry) -> bool {
        self.role == Role::Partner
            && self
                .organisation
                .as_ref()
                .is_some_and(|o| entry.engagement.partners.iter().any(|p| p == o))
    }

    /// Whether the principal may do `permission` on the engagement.
    pub fn may(&self, permission: Permission, entry: &Entry) -> bool {
        match permission {
            Permission::Read => {
                self.role == Role::Program || self.owns(entry) || self.granted(entry)
            }
            Permission::Act => self.owns(entry) || self.granted(entry),
            Permission::Decide => self.owns(entry),
        }
    }
}
