//! The permissions a workspace needs, derived from the kinds of its selected features'
//! objects (and what the engine reads to resolve their references), and what an access token
//! lacks of them. `blueprint permissions` prints the first, `doctor`, `plan` and `deploy` check
//! the second before they touch the tenant.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::kinds::{self, Grant};
use crate::render::Rendered;
use crate::schema::Prerequisite;
use crate::{Catalogue, DesiredObject};

/// What the application is for: planning and evaluating only, or deploying too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Plan, evaluate, doctor: reads only (`connect --read-only`'s app).
    ReadOnly,
    /// Deploy and roll back as well.
    ReadWrite,
}

/// One grant the workspace needs, and the features that need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    #[serde(flatten)]
    pub grant: Grant,
    pub features: BTreeSet<String>,
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Grant", 2)?;
        st.serialize_field(
            "type",
            match self {
                Grant::Graph(_) => "graph-application-permission",
                Grant::Exchange(_) => "exchange-application-permission",
                Grant::DirectoryRole(_) => "directory-role",
                Grant::ExchangeRole(_) => "exchange-management-role",
            },
        )?;
        st.serialize_field("name", self.name())?;
        st.end()
    }
}

impl Grant {
    /// How a person would say what kind of grant it is.
    pub fn describe(self) -> &'static str {
        match self {
            Grant::Graph(_) => "Microsoft Graph application permission",
            Grant::Exchange(_) => "Office 365 Exchange Online application permission",
            Grant::DirectoryRole(_) => "Microsoft Entra directory role",
            Grant::ExchangeRole(_) => "Exchange Online management role, through a role group",
        }
    }
}

/// The grants `objects` need for `access`, each with the features that need it, in a stable
/// order (by grant). Works for any kind that declares its permissions in [`kinds::KINDS`].
pub fn required(objects: &[&DesiredObject], access: Access) -> Vec<Need> {
    let mut needs = BTreeMap::new();
    add_objects(&mut needs, objects, access);
    into_needs(needs)
}

/// [`required`] of what a selection rendered, and for each feature that did not render (a
/// parameter the profile does not set yet) its kinds' grants: `connect` grants them before the
/// agency supplies the parameter, so setting it later needs no second consent. References of
/// an unrendered feature are unknown until it renders; the kinds they name are other
/// features' kinds, granted through those.
pub fn required_for(catalogue: &Catalogue, rendered: &Rendered, access: Access) -> Vec<Need> {
    let mut needs = BTreeMap::new();
    let objects: Vec<&DesiredObject> = rendered.objects.iter().collect();
    add_objects(&mut needs, &objects, access);
    for id in rendered.unrendered.keys() {
        let Some(feature) = catalogue.feature(id) else {
            continue;
        };
        for resource in &feature.doc.resources {
            let Some(kind) = kinds::kind(&resource.kind.value) else {
                continue;
            };
            let only_read = resource.prerequisite == Some(Prerequisite::Always);
            let grants = match access {
                Access::ReadWrite if !only_read => kind.permissions.write,
                _ => kind.permissions.read,
            };
            for g in grants {
                needs.entry(*g).or_default().insert(id.clone());
            }
        }
    }
    into_needs(needs)
}

fn add_objects(
    needs: &mut BTreeMap<Grant, BTreeSet<String>>,
    objects: &[&DesiredObject],
    access: Access,
) {
    for object in objects {
        let mut add = |grants: &[Grant]| {
            for g in grants {
                needs.entry(*g).or_default().insert(object.feature.clone());
            }
        };
        if let Some(kind) = kinds::kind(&object.kind) {
            // A prerequisite is only ever checked, so reading it is all a deploy does.
            add(match access {
                Access::ReadWrite if !object.prerequisite => kind.permissions.write,
                _ => kind.permissions.read,
            });
        }
        for reference in &object.references {
            if let Some((kind, _)) = reference.split_once(':') {
                add(kinds::tenant_reference_grants(kind));
            }
        }
    }
}

fn into_needs(needs: BTreeMap<Grant, BTreeSet<String>>) -> Vec<Need> {
    needs
        .into_iter()
        .map(|(grant, features)| Need { grant, features })
        .collect()
}

/// Application permissions that hold narrower ones beyond the `ReadWrite`-holds-`Read` rule:
/// the "higher privileged permissions" Microsoft's Graph reference lists for the operations
/// blueprint calls (group settings, users, groups, directory role templates, the
/// authentication methods policy). An app granted by hand often has these; `connect` never
/// grants them where a narrower one does.
const HIGHER_PRIVILEGED: &[(&str, &[&str])] = &[
    (
        "Directory.ReadWrite.All",
        &[
            "Directory.Read.All",
            "Group.Read.All",
            "Group.ReadWrite.All",
            "GroupSettings.Read.All",
            "GroupSettings.ReadWrite.All",
            "User.Read.All",
            "RoleManagement.Read.Directory",
        ],
    ),
    (
        "Directory.Read.All",
        &[
            "Group.Read.All",
            "GroupSettings.Read.All",
            "User.Read.All",
            "RoleManagement.Read.Directory",
        ],
    ),
    ("Policy.Read.All", &["Policy.Read.AuthenticationMethod"]),
];

/// Roles that read what a reading role reads, for the kinds that ask for that reading role:
/// only the Exchange kinds name directory roles, and an Exchange Administrator reads every
/// Exchange setting a Global Reader does (Microsoft: Exchange Administrator "covers any task"
/// in Exchange Online PowerShell), so the deploy app needs no second role to plan.
const ROLES_THAT_READ: &[(&str, &str)] = &[("Exchange Administrator", "Global Reader")];

/// What an access token says its holder was granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Granted {
    /// Microsoft Graph application permissions (`roles` of a Graph token).
    pub graph: BTreeSet<String>,
    /// Exchange Online application permissions (`roles` of an Exchange token).
    pub exchange: BTreeSet<String>,
    /// Directory role template ids (`wids`).
    pub directory_roles: BTreeSet<String>,
    /// Exchange Online management roles the app holds through role groups, read with
    /// Exchange's own cmdlets (no token carries them); empty when not read.
    pub exchange_roles: BTreeSet<String>,
}

impl Granted {
    /// Whether `grant` is held: by name, or through the read-write permission of the same
    /// resource (`X.ReadWrite.Y` holds `X.Read.Y`), or for a directory role through Global
    /// Administrator (or, for Exchange's reading role, Exchange Administrator).
    pub fn holds(&self, grant: Grant) -> bool {
        let held = |set: &BTreeSet<String>, name: &str| {
            set.contains(name)
                || name
                    .split_once(".Read.")
                    .is_some_and(|(a, b)| set.contains(&format!("{a}.ReadWrite.{b}")))
                || HIGHER_PRIVILEGED
                    .iter()
                    .any(|(higher, holds)| holds.contains(&name) && set.contains(*higher))
        };
        match grant {
            Grant::Graph(name) => held(&self.graph, name),
            Grant::Exchange(name) => held(&self.exchange, name),
            Grant::DirectoryRole(name) => {
                let holds_role = |role: &str| {
                    kinds::directory_role_id(role)
                        .is_some_and(|id| self.directory_roles.contains(id))
                };
                holds_role(name)
                    || holds_role("Global Administrator")
                    || ROLES_THAT_READ
                        .iter()
                        .any(|(writer, reads)| *reads == name && holds_role(writer))
            }
            // Exchange resolves role names case-insensitively.
            Grant::ExchangeRole(name) => self
                .exchange_roles
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name)),
        }
    }

    /// The Exchange management roles among `needs` (what must be read from Exchange itself).
    pub fn exchange_roles_needed(needs: &[Need]) -> Vec<&'static str> {
        needs
            .iter()
            .filter_map(|n| match n.grant {
                Grant::ExchangeRole(role) => Some(role),
                _ => None,
            })
            .collect()
    }

    /// Whether any need is an Exchange grant (so an Exchange token must be looked at).
    pub fn needs_exchange(needs: &[Need]) -> bool {
        needs.iter().any(|n| matches!(n.grant, Grant::Exchange(_)))
    }
}

/// The needs `granted` does not meet.
pub fn missing<'a>(needs: &'a [Need], granted: &Granted) -> Vec<&'a Need> {
    needs.iter().filter(|n| !granted.holds(n.grant)).collect()
}

/// What a connection lacks, when grants are missing: each by Microsoft's name, with the
/// features that need it. A front end adds how to grant them (the command line: which command).
pub fn missing_message(missing: &[&Need]) -> String {
    let mut out = format!(
        "the app lacks {} the selected features need:",
        match missing.len() {
            1 => "a permission".to_string(),
            n => format!("{n} permissions"),
        }
    );
    for need in missing {
        let features: Vec<&str> = need.features.iter().map(String::as_str).collect();
        out.push_str(&format!(
            "\n  - {} ({}), needed by {}",
            need.grant.name(),
            need.grant.describe(),
            features.join(", ")
        ));
    }
    out
}
