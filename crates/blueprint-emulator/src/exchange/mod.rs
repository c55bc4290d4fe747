//! Exchange Online's admin API (`/adminapi/beta/{tenant}/InvokeCommand` and its `$batch`), as
//! the ExchangeOnlineManagement module (v3) and the tools built on it (CIPP, Mondoo, Monkey365)
//! meet it: a cmdlet and its parameters in, rows out, Exchange's error shapes, its permission
//! model and a new organisation's defaults.
//!
//! Sources (`real-tenant-and-exchange.md` §2a, measured against live tenants by graph2otel and
//! read from the clients above): tokens for `https://outlook.office365.com`; 401 without the
//! `Exchange.ManageAsApp` application permission, 403 without a supported directory role
//! (Exchange Administrator or Global Administrator to change anything; Global Reader or Security
//! Reader to read); `X-AnchorMailbox` required (its absence gives a 404); `{"value":[…]}` with
//! `@odata.nextLink` re-POSTed with the same body; errors as
//! `{"error":{"code","message":"Invalid Operation","details":[{"message":"|Type|text"}],
//! "innererror":{"internalexception":{"message"}}}}` with an `X-ExceptionType` header; an
//! unknown parameter is a 400; enumeration values are matched by prefix. Parameters are those of
//! Microsoft's cmdlet reference (`cmdlets.yaml`), new-tenant objects those of `defaults.yaml`.
//!
//! Like the rest of the emulator, this shares no code with the product's Exchange client.

mod http;
mod labels;
mod mailboxes;
mod unified_groups;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use http::{
    banner_endpoint, batch_endpoint, compliance_batch_endpoint, compliance_invoke_endpoint,
    invoke_endpoint,
};
pub(crate) use unified_groups::forget as forget_group;

use crate::graph::Caller;
use crate::tenant::{Tenant, new_guid};

/// Roles whose holders may run every cmdlet here (Microsoft: "Global Admin or Exchange Admin
/// covers any task"), and those that may run the `Get-` cmdlets only.
const WRITE_ROLES: &[&str] = &[
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
    "29232cdf-9323-42fd-ade2-1d097af3e4de", // Exchange Administrator
];
const READ_ROLES: &[&str] = &[
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
    "5d6b6bb7-de71-4623-b4af-96380a352509", // Security Reader
];
/// Supported for app-only access but without these cmdlets (Security Administrator "doesn't
/// have the necessary permissions" for anti-spam, anti-malware and anti-phishing).
const OTHER_SUPPORTED_ROLES: &[&str] = &[
    "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
    "17315797-102d-40b4-93e0-432062caca18", // Compliance Administrator
    "31392ffb-586c-42d1-9346-e59415a2cc4e", // Exchange Recipient Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
];
pub const MANAGE_AS_APP: &str = "Exchange.ManageAsApp";

/// Security & Compliance: the roles whose holders may run every cmdlet there, and those that
/// may run its `Get-` cmdlets. Microsoft's app-only page lists Compliance Administrator among
/// the roles supported for app-only access (`real-tenant-and-exchange.md` §2a); in Purview the
/// Compliance Administrator role group holds Retention Management and the audit log roles, so
/// Exchange Administrator, which brings Exchange's Organization Management only, runs none of
/// them (the emulator's reading: which Purview role groups each Entra role maps to is not
/// listed per cmdlet).
const COMPLIANCE_WRITE_ROLES: &[&str] = &[
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
    "17315797-102d-40b4-93e0-432062caca18", // Compliance Administrator
];
const COMPLIANCE_READ_ROLES: &[&str] = &[
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
];

/// Which admin endpoint a request came to: the same API, another audience and cmdlet set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Exchange Online (`/adminapi/beta/{tenant}/…`), tokens for `https://outlook.office365.com`.
    Exchange,
    /// Security & Compliance (`/compliance/{region}/adminapi/beta/{tenant}/…`, found through
    /// `/compliance/adminapi/beta/{tenant}/EXOBanner('AutogenSession')`), tokens for
    /// `https://ps.compliance.protection.outlook.com`.
    Compliance,
}

impl Endpoint {
    /// The audience of the tokens the endpoint accepts.
    pub fn resource(self) -> &'static str {
        match self {
            Endpoint::Exchange => crate::auth::EXCHANGE_RESOURCE,
            Endpoint::Compliance => crate::auth::COMPLIANCE_RESOURCE,
        }
    }

    /// Whether `cmdlet` is one the endpoint has: Security & Compliance's cmdlets are
    /// "available only in Security & Compliance PowerShell" (Microsoft's reference), and
    /// Exchange's are not there.
    pub fn has(self, cmdlet: &str) -> bool {
        match self {
            Endpoint::Exchange => schema().contains_key(cmdlet),
            Endpoint::Compliance => compliance_schema().contains_key(cmdlet),
        }
    }
}

/// The region the emulator's Security & Compliance discovery names (Microsoft's are the
/// tenant's datacentre region, e.g. the first label of `{region}.ps.compliance.protection.outlook.com`).
pub const COMPLIANCE_REGION: &str = "emu01b";

/// One tenant's Exchange organisation: every cmdlet family's objects, by noun.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExchangeState {
    pub objects: BTreeMap<String, Vec<Value>>,
    /// Microsoft 365 groups Graph made whose mailbox Exchange is still provisioning, by Graph
    /// id: when each appears to the `*-UnifiedGroup` cmdlets. Not saved: a resumed emulator's
    /// groups are provisioned.
    #[serde(skip)]
    pub provisioning: BTreeMap<String, std::time::Instant>,
}

/// A parameter as Microsoft's reference declares it.
#[derive(Debug, Deserialize)]
struct Parameter {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    values: Vec<String>,
    /// An `Unlimited<ByteQuantifiedSize>`: a size with its unit, or unlimited.
    #[serde(default)]
    size: bool,
    /// A flags enumeration: several of `values`, comma-separated ("File, Email").
    #[serde(default)]
    flags: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Parameter>>;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_saphyr::from_str(include_str!("cmdlets.yaml")).expect("cmdlets.yaml is valid")
    })
}

/// Security & Compliance's cmdlets (`compliance.yaml`), from the same reference.
fn compliance_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_saphyr::from_str(include_str!("compliance.yaml")).expect("compliance.yaml is valid")
    })
}

fn defaults() -> &'static BTreeMap<String, Vec<Map<String, Value>>> {
    static DEFAULTS: OnceLock<BTreeMap<String, Vec<Map<String, Value>>>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        serde_saphyr::from_str(include_str!("defaults.yaml")).expect("defaults.yaml is valid")
    })
}

/// Families with one object per organisation: their `Set-` needs no identity and nothing
/// creates or removes them.
fn is_singleton(noun: &str) -> bool {
    matches!(
        noun,
        "OrganizationConfig" | "TransportConfig" | "AtpPolicyForO365" | "AdminAuditLogConfig"
    )
}

/// The policy parameter of a rule family (a rule applies one policy).
fn policy_of_rule(noun: &str) -> Option<&'static str> {
    match noun {
        "SafeLinksRule" => Some("SafeLinksPolicy"),
        "SafeAttachmentRule" => Some("SafeAttachmentPolicy"),
        "AntiPhishRule" => Some("AntiPhishPolicy"),
        "HostedContentFilterRule" => Some("HostedContentFilterPolicy"),
        "MalwareFilterRule" => Some("MalwareFilterPolicy"),
        _ => None,
    }
}

/// Rule families: a rule has a `State` (`-Enabled` on `New-`, `Enable-`/`Disable-` after)
/// and a `Priority` among its family.
fn is_rule(noun: &str) -> bool {
    policy_of_rule(noun).is_some() || noun == "TransportRule"
}

/// A new organisation's objects, for a tenant with these domains.
pub fn install_defaults(tenant: &mut Tenant, rng: &mut impl Rng) {
    let initial = tenant.initial_domain().to_string();
    let mut state = ExchangeState::default();
    for (noun, objects) in defaults() {
        let list = state.objects.entry(noun.clone()).or_default();
        for template in objects {
            let domains: Vec<Option<String>> = if template.get("per_domain") == Some(&json!(true)) {
                tenant.domains.iter().cloned().map(Some).collect()
            } else {
                vec![None]
            };
            for domain in domains {
                let guid = new_guid(rng);
                let mut object = Map::new();
                for (k, v) in template {
                    if k == "per_domain" {
                        continue;
                    }
                    let v = match v.as_str() {
                        Some(s) => json!(
                            s.replace("{{initial_dashes}}", &crate::dns::dashes(&initial))
                                .replace("{{initial}}", &initial)
                                .replace("{{domain}}", domain.as_deref().unwrap_or(&initial))
                                .replace("{{guid}}", &guid)
                        ),
                        None => v.clone(),
                    };
                    object.insert(k.clone(), v);
                }
                finish(&mut object, guid);
                list.push(Value::Object(object));
            }
        }
    }
    // The first custom domain is the default accepted domain, else the initial one.
    if let Some(domains) = state.objects.get_mut("AcceptedDomain") {
        let default_at = domains
            .iter()
            .position(|d| {
                d["DomainName"]
                    .as_str()
                    .is_some_and(|n| !n.ends_with(".onmicrosoft.com"))
            })
            .unwrap_or(0);
        if let Some(d) = domains.get_mut(default_at) {
            d["Default"] = json!(true);
        }
    }
    // Each built-in role group's roles are assignments to it, as Get-ManagementRoleAssignment
    // lists them.
    let groups = state.objects.get("RoleGroup").cloned().unwrap_or_default();
    for group in &groups {
        let name = group["Name"].as_str().unwrap_or_default();
        for role in group["Roles"].as_array().into_iter().flatten() {
            let role = role.as_str().unwrap_or_default();
            let assignment = role_assignment(role, name, "RoleGroup", new_guid(rng));
            state
                .objects
                .entry("ManagementRoleAssignment".into())
                .or_default()
                .push(assignment);
        }
    }
    tenant.exchange = state;
}

/// A management role assignment as Get-ManagementRoleAssignment returns it.
fn role_assignment(role: &str, assignee: &str, assignee_type: &str, guid: String) -> Value {
    let mut object = Map::new();
    object.insert("Name".into(), json!(format!("{role}-{assignee}")));
    object.insert("Role".into(), json!(role));
    object.insert("RoleAssignee".into(), json!(assignee));
    object.insert("RoleAssigneeName".into(), json!(assignee));
    object.insert("RoleAssigneeType".into(), json!(assignee_type));
    object.insert("AssignmentMethod".into(), json!("Direct"));
    object.insert("Enabled".into(), json!(true));
    object.insert("RecipientWriteScope".into(), json!("Organization"));
    object.insert("ConfigWriteScope".into(), json!("OrganizationConfig"));
    finish(&mut object, guid);
    Value::Object(object)
}

/// The management role a cmdlet family is only in, when no Entra role brings that role: in
/// Exchange Online every `*-AddressList` and `*-GlobalAddressList` cmdlet is "available only in
/// the Address Lists role, and by default, the role isn't assigned to any role groups"
/// (Microsoft's cmdlet reference), so Exchange Administrator and Global Administrator alone do
/// not have them.
fn management_role_of(noun: &str) -> Option<&'static str> {
    match noun {
        "AddressList" | "GlobalAddressList" => Some("Address Lists"),
        _ => None,
    }
}

/// Whether the app `app_id` holds management role `role`: its service principal reference
/// (New-ServicePrincipal) is a member of a role group the role is assigned to, or the role is
/// assigned to it directly.
pub fn app_holds_role(tenant: &Tenant, app_id: &str, role: &str) -> bool {
    let objects = &tenant.exchange.objects;
    let Some(sp) = objects.get("ServicePrincipal").and_then(|list| {
        list.iter().find(|sp| {
            sp["AppId"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(app_id))
        })
    }) else {
        return false;
    };
    let names_sp = |id: &str| {
        ["Identity", "ObjectId", "Name"]
            .iter()
            .any(|k| sp[*k].as_str().is_some_and(|v| v.eq_ignore_ascii_case(id)))
    };
    let same = |a: &Value, b: &str| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(b));
    objects
        .get("ManagementRoleAssignment")
        .into_iter()
        .flatten()
        .filter(|a| same(&a["Role"], role) && a["Enabled"] != json!(false))
        .any(|a| {
            let assignee = a["RoleAssigneeName"].as_str().unwrap_or_default();
            if same(&a["RoleAssigneeType"], "RoleGroup") {
                objects
                    .get("RoleGroup")
                    .into_iter()
                    .flatten()
                    .filter(|g| same(&g["Name"], assignee))
                    .flat_map(|g| g["Members"].as_array().cloned().unwrap_or_default())
                    .any(|m| m.as_str().is_some_and(names_sp))
            } else {
                names_sp(assignee)
            }
        })
}

/// Refuses a cmdlet of a family only in a management role the calling app does not hold, as
/// Exchange does: the cmdlet is not in the app's session at all.
pub fn check_management_role(
    tenant: &Tenant,
    app_id: &str,
    cmdlet: &str,
) -> Result<(), ExchangeError> {
    let noun = cmdlet.split_once('-').map(|(_, n)| n).unwrap_or_default();
    match management_role_of(noun) {
        Some(role) if !app_holds_role(tenant, app_id, role) => Err(ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!(
                "The term '{cmdlet}' is not recognized as a name of a cmdlet available to the roles assigned to this application."
            ),
        )),
        _ => Ok(()),
    }
}

fn missing_parameter(name: &str) -> ExchangeError {
    ExchangeError::bad(
        "System.Management.Automation.ParameterBindingException",
        format!(
            "Cannot process command because of one or more missing mandatory parameters: {name}."
        ),
    )
}

/// The cmdlets of Exchange's role-based access control: service principal references, role
/// groups and their members, and role assignments. `None` for any other cmdlet.
fn access_control(
    tenant: &mut Tenant,
    cmdlet: &str,
    parameters: &Map<String, Value>,
    rng: &mut impl Rng,
) -> Option<Result<Vec<Value>, ExchangeError>> {
    let text = |k: &str| {
        parameters
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let objects = &mut tenant.exchange.objects;
    let result = match cmdlet {
        "New-ServicePrincipal" => (|| {
            let app_id = text("AppId").ok_or_else(|| missing_parameter("AppId"))?;
            let object_id = text("ObjectId")
                .or_else(|| text("ServiceId"))
                .ok_or_else(|| missing_parameter("ObjectId"))?;
            let list = objects.entry("ServicePrincipal".into()).or_default();
            if list.iter().any(|sp| {
                sp["AppId"]
                    .as_str()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&app_id))
            }) {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ManagementObjectAlreadyExistsException",
                    format!("A service principal with the AppId '{app_id}' already exists."),
                ));
            }
            let mut sp = Map::new();
            sp.insert("Name".into(), json!(object_id));
            sp.insert("Identity".into(), json!(object_id));
            sp.insert("AppId".into(), json!(app_id));
            sp.insert("ObjectId".into(), json!(object_id));
            sp.insert(
                "DisplayName".into(),
                json!(text("DisplayName").unwrap_or_else(|| object_id.clone())),
            );
            finish(&mut sp, new_guid(rng));
            let sp = Value::Object(sp);
            list.push(sp.clone());
            Ok(vec![sp])
        })(),
        "New-RoleGroup" => (|| {
            let name = text("Name").ok_or_else(|| missing_parameter("Name"))?;
            if find(
                objects.get("RoleGroup").map_or(&[][..], Vec::as_slice),
                &name,
            )
            .is_some()
            {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ManagementObjectAlreadyExistsException",
                    format!("The role group '{name}' already exists."),
                ));
            }
            let mut roles = Vec::new();
            for role in parameters
                .get("Roles")
                .map(|r| r.as_array().cloned().unwrap_or_else(|| vec![r.clone()]))
                .unwrap_or_default()
            {
                let role = role.as_str().unwrap_or_default();
                let known = objects.get("ManagementRole").map_or(&[][..], Vec::as_slice);
                let at = find(known, role).ok_or_else(|| ExchangeError::not_found(role))?;
                roles.push(known[at]["Name"].clone());
            }
            let mut members = Vec::new();
            for member in parameters
                .get("Members")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let id = member.as_str().unwrap_or_default();
                members.push(resolve_member(objects, id)?);
            }
            for role in &roles {
                let assignment = role_assignment(
                    role.as_str().unwrap_or_default(),
                    &name,
                    "RoleGroup",
                    new_guid(rng),
                );
                objects
                    .entry("ManagementRoleAssignment".into())
                    .or_default()
                    .push(assignment);
            }
            let mut group = Map::new();
            group.insert("Name".into(), json!(name));
            group.insert("RoleGroupType".into(), json!("Standard"));
            group.insert("Roles".into(), Value::Array(roles));
            group.insert("Members".into(), json!(members));
            if let Some(d) = text("Description") {
                group.insert("Description".into(), json!(d));
            }
            finish(&mut group, new_guid(rng));
            let group = Value::Object(group);
            objects
                .entry("RoleGroup".into())
                .or_default()
                .push(group.clone());
            Ok(vec![group])
        })(),
        "Add-RoleGroupMember" | "Remove-RoleGroupMember" => (|| {
            let id = text("Identity").ok_or_else(|| missing_parameter("Identity"))?;
            let member = text("Member").ok_or_else(|| missing_parameter("Member"))?;
            let member = resolve_member(objects, &member)?;
            let groups = objects.entry("RoleGroup".into()).or_default();
            let at = find(groups, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            let group = groups[at].as_object_mut().expect("objects are maps");
            let members = group
                .entry("Members")
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("members are a list");
            let is_member = members.iter().any(|m| m.as_str() == Some(member.as_str()));
            if cmdlet.starts_with("Remove-") {
                if !is_member {
                    return Err(ExchangeError::bad(
                        "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
                        format!("The recipient \"{member}\" isn't a member of the group \"{id}\"."),
                    ));
                }
                members.retain(|m| m.as_str() != Some(member.as_str()));
                group.insert("WhenChanged".into(), json!(crate::tenant::now_rfc3339()));
                return Ok(Vec::new());
            }
            if is_member {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
                    format!(
                        "The recipient \"{member}\" is already a member of the group \"{id}\"."
                    ),
                ));
            }
            members.push(json!(member));
            group.insert("WhenChanged".into(), json!(crate::tenant::now_rfc3339()));
            Ok(Vec::new())
        })(),
        "Get-RoleGroupMember" => (|| {
            let id = text("Identity").ok_or_else(|| missing_parameter("Identity"))?;
            let groups = objects.get("RoleGroup").map_or(&[][..], Vec::as_slice);
            let at = find(groups, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            let sps = objects
                .get("ServicePrincipal")
                .map_or(&[][..], Vec::as_slice);
            Ok(groups[at]["Members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| find(sps, m.as_str()?).map(|i| sps[i].clone()))
                .map(|mut sp| {
                    sp["RecipientType"] = json!("ServicePrincipal");
                    sp
                })
                .collect())
        })(),
        "New-App" => (|| {
            let manifest = manifest_of(parameters)?;
            let field = |open: &str, close: &str| {
                manifest
                    .split_once(open)
                    .and_then(|(_, rest)| rest.split_once(close))
                    .map(|(v, _)| v.trim().to_string())
            };
            let (Some(id), Some(name)) = (
                field("<Id>", "</Id>"),
                field("<DisplayName DefaultValue=\"", "\""),
            ) else {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Extension.OwaExtensionOperationException",
                    "The app couldn't be installed. The manifest isn't valid: it has no Id or DisplayName.",
                ));
            };
            let apps = objects.entry("App".into()).or_default();
            if find(apps, &id).is_some() {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Extension.OwaExtensionOperationException",
                    format!("The app '{name}' is already installed."),
                ));
            }
            let mut app = Map::new();
            app.insert("Name".into(), json!(name));
            app.insert("Identity".into(), json!(id));
            app.insert("AppId".into(), json!(id));
            app.insert("DisplayName".into(), json!(name));
            app.insert(
                "ProviderName".into(),
                json!(field("<ProviderName>", "</ProviderName>").unwrap_or_default()),
            );
            app.insert(
                "AppVersion".into(),
                json!(field("<Version>", "</Version>").unwrap_or_default()),
            );
            app.insert(
                "Scope".into(),
                json!(if parameters.get("OrganizationApp") == Some(&json!(true)) {
                    "Organization"
                } else {
                    "User"
                }),
            );
            app.insert("Type".into(), json!("Private"));
            app.insert(
                "Enabled".into(),
                parameters.get("Enabled").cloned().unwrap_or(json!(true)),
            );
            for (key, default) in [
                ("DefaultStateForUser", "Disabled"),
                ("ProvidedTo", "Everyone"),
            ] {
                app.insert(
                    key.into(),
                    parameters.get(key).cloned().unwrap_or(json!(default)),
                );
            }
            finish(&mut app, new_guid(rng));
            let app = Value::Object(app);
            apps.push(app.clone());
            Ok(vec![app])
        })(),
        "Get-App" => {
            // Only the organisation's add-ins are kept here (what -OrganizationApp lists).
            let apps = objects.get("App").map_or(&[][..], Vec::as_slice);
            Ok(match text("Identity") {
                None => apps.to_vec(),
                Some(id) => match find(apps, &id) {
                    Some(at) => vec![apps[at].clone()],
                    None => return Some(Err(ExchangeError::not_found(&id))),
                },
            })
        }
        "Remove-App" => (|| {
            let id = text("Identity").ok_or_else(|| missing_parameter("Identity"))?;
            let apps = objects.entry("App".into()).or_default();
            let at = find(apps, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            if apps[at]["Type"] == "Default" {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Extension.OwaExtensionOperationException",
                    format!(
                        "The app '{}' is a default app and can't be uninstalled. You can disable it instead.",
                        apps[at]["DisplayName"].as_str().unwrap_or_default()
                    ),
                ));
            }
            apps.remove(at);
            Ok(Vec::new())
        })(),
        "Get-ManagementRoleAssignment" => {
            let same = |v: &Value, want: &Option<String>| {
                want.as_deref()
                    .is_none_or(|w| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(w)))
            };
            let (role, assignee, kind) =
                (text("Role"), text("RoleAssignee"), text("RoleAssigneeType"));
            Ok(objects
                .get("ManagementRoleAssignment")
                .into_iter()
                .flatten()
                .filter(|a| {
                    same(&a["Role"], &role)
                        && same(&a["RoleAssigneeName"], &assignee)
                        && same(&a["RoleAssigneeType"], &kind)
                })
                .cloned()
                .collect())
        }
        "New-ManagementRoleAssignment" => (|| {
            let role = text("Role").ok_or_else(|| missing_parameter("Role"))?;
            let known = objects.get("ManagementRole").map_or(&[][..], Vec::as_slice);
            let at = find(known, &role).ok_or_else(|| ExchangeError::not_found(&role))?;
            let role = known[at]["Name"].as_str().unwrap_or_default().to_string();
            let (assignee, kind) = match (text("SecurityGroup"), text("App")) {
                (Some(group), None) => {
                    let groups = objects.get("RoleGroup").map_or(&[][..], Vec::as_slice);
                    let at =
                        find(groups, &group).ok_or_else(|| ExchangeError::not_found(&group))?;
                    (
                        groups[at]["Name"].as_str().unwrap_or_default().to_string(),
                        "RoleGroup",
                    )
                }
                // Microsoft: "If you use the App parameter, you can't specify admin or user
                // roles; you can only specify application roles".
                (None, Some(app)) if !role.starts_with("Application ") => {
                    let _ = app;
                    return Err(ExchangeError::bad(
                        "Microsoft.Exchange.Management.Tasks.ValidationException",
                        format!(
                            "The role '{role}' isn't an application role and can't be assigned to a service principal. Add the service principal to a role group that has the role."
                        ),
                    ));
                }
                (None, Some(app)) => (resolve_member(objects, &app)?, "ServicePrincipal"),
                _ => return Err(missing_parameter("SecurityGroup")),
            };
            let assignment = role_assignment(&role, &assignee, kind, new_guid(rng));
            objects
                .entry("ManagementRoleAssignment".into())
                .or_default()
                .push(assignment.clone());
            Ok(vec![assignment])
        })(),
        _ => return None,
    };
    Some(result)
}

/// The manifest XML `New-App` installs from: the bytes of `FileData` (base64, as the module
/// sends a byte array, or the bytes themselves). A `Url` would be downloaded by Exchange; the
/// emulator reaches no network, so it answers as Exchange does when the download fails.
fn manifest_of(parameters: &Map<String, Value>) -> Result<String, ExchangeError> {
    use base64::Engine;
    let bytes = match parameters.get("FileData") {
        Some(Value::String(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| {
                ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingArgumentTransformationException",
                    "Cannot process argument transformation on parameter 'FileData'. Cannot convert value to type \"System.Byte[]\".",
                )
            })?,
        Some(Value::Array(items)) => items
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| {
                ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingArgumentTransformationException",
                    "Cannot process argument transformation on parameter 'FileData'. Cannot convert value to type \"System.Byte[]\".",
                )
            })?,
        _ if parameters.contains_key("Url") => {
            return Err(ExchangeError::bad(
                "Microsoft.Exchange.Management.Extension.OwaExtensionOperationException",
                "The app couldn't be downloaded from the URL.",
            ));
        }
        _ => return Err(missing_parameter("FileData")),
    };
    String::from_utf8(bytes).map_err(|_| {
        ExchangeError::bad(
            "Microsoft.Exchange.Management.Extension.OwaExtensionOperationException",
            "The app couldn't be installed. The manifest isn't valid XML.",
        )
    })
}

/// The service principal reference a role group member names (its Identity, ObjectId or
/// display name), by its Identity.
fn resolve_member(
    objects: &BTreeMap<String, Vec<Value>>,
    id: &str,
) -> Result<String, ExchangeError> {
    let sps = objects
        .get("ServicePrincipal")
        .map_or(&[][..], Vec::as_slice);
    sps.iter()
        .find(|sp| {
            ["Identity", "ObjectId", "AppId", "DisplayName", "Guid"]
                .iter()
                .any(|k| sp[*k].as_str().is_some_and(|v| v.eq_ignore_ascii_case(id)))
        })
        .and_then(|sp| sp["Identity"].as_str().map(str::to_string))
        .ok_or_else(|| ExchangeError::not_found(id))
}

/// Identity, Guid and the other properties every object returns.
fn finish(object: &mut Map<String, Value>, guid: String) {
    let name = object
        .get("Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    object.entry("Identity").or_insert(json!(name));
    object.entry("Guid").or_insert(json!(guid));
    object.entry("DistinguishedName").or_insert(json!(format!(
        "CN={name},CN=Configuration,CN=emulated,DC=PROD,DC=OUTLOOK,DC=COM"
    )));
    let now = crate::tenant::now_rfc3339();
    object.entry("WhenCreated").or_insert(json!(now.clone()));
    object.insert("WhenChanged".into(), json!(now));
}

/// A refusal as Exchange words it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeError {
    pub status: u16,
    /// The .NET exception type (`X-ExceptionType`, and the `details` prefix).
    pub exception: &'static str,
    pub message: String,
    pub headers: Vec<(String, String)>,
}

impl ExchangeError {
    pub fn new(status: u16, exception: &'static str, message: impl Into<String>) -> Self {
        ExchangeError {
            status,
            exception,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    fn bad(exception: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, exception, message)
    }

    fn not_found(identity: &str) -> Self {
        Self::new(
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            format!(
                "The operation couldn't be performed because object '{identity}' couldn't be found on 'emulated.PROD.OUTLOOK.COM'."
            ),
        )
    }

    /// `{"error":{…}}` in the admin API's shape.
    pub fn body(&self) -> Value {
        let code = match self.status {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            _ => "InternalServerError",
        };
        json!({
            "error": {
                "code": code,
                "message": "Invalid Operation",
                "details": [{"message": format!("|{}|{}", self.exception, self.message), "target": ""}],
                "innererror": {
                    "message": self.message,
                    "type": self.exception,
                    "internalexception": {"message": self.message, "type": self.exception}
                }
            }
        })
    }
}

/// The location parameters of a retention policy (Microsoft's New-RetentionCompliancePolicy):
/// `New-` takes each whole, `Set-` only `Add{Location}` and `Remove{Location}`.
const RETENTION_LOCATIONS: &[&str] = &[
    "AdaptiveScopeLocation",
    "ExchangeLocation",
    "ExchangeLocationException",
    "ModernGroupLocation",
    "ModernGroupLocationException",
    "OneDriveLocation",
    "OneDriveLocationException",
    "PublicFolderLocation",
    "SharePointLocation",
    "SharePointLocationException",
    "SkypeLocation",
    "SkypeLocationException",
    "TeamsChannelLocation",
    "TeamsChannelLocationException",
    "TeamsChatLocation",
    "TeamsChatLocationException",
];

/// What a new Security & Compliance object reads back before its parameters are applied.
fn compliance_defaults(object: &mut Map<String, Value>, noun: &str) {
    match noun {
        "RetentionCompliancePolicy" => {
            object.insert("Enabled".into(), json!(true));
            object.insert("Mode".into(), json!("Enforce"));
            object.insert("DistributionStatus".into(), json!("Success"));
            object.insert("RestrictiveRetention".into(), json!(false));
            for location in RETENTION_LOCATIONS {
                object.insert((*location).into(), json!([]));
            }
        }
        "LabelPolicy" => labels::policy_defaults(object),
        "AutoSensitivityLabelPolicy" => labels::auto_policy_defaults(object),
        "UnifiedAuditLogRetentionPolicy" => {
            for list in ["RecordTypes", "Operations", "UserIds"] {
                object.insert(list.into(), json!([]));
            }
        }
        _ => {}
    }
}

/// Security & Compliance's own rules for its families, as Microsoft's reference states them;
/// returns the parameters to apply (a retention policy's `Add…`/`Remove…` location changes
/// turned into the same `{Add, Remove}` change every other list takes).
fn compliance_checks(
    tenant: &Tenant,
    verb: &str,
    noun: &str,
    identity: Option<&str>,
    mut parameters: Map<String, Value>,
) -> Result<Map<String, Value>, ExchangeError> {
    let objects = |n: &str| {
        tenant
            .exchange
            .objects
            .get(n)
            .map_or(&[][..], Vec::as_slice)
    };
    if matches!(
        noun,
        "Label" | "LabelPolicy" | "AutoSensitivityLabelPolicy" | "AutoSensitivityLabelRule"
    ) {
        return labels::checks(tenant, verb, noun, identity, parameters);
    }
    match (verb, noun) {
        // "This parameter is required when you create [and when you modify] an audit log
        // retention policy, and you must use a unique priority value."
        ("New" | "Set", "UnifiedAuditLogRetentionPolicy") => {
            for required in ["Priority", "RetentionDuration"] {
                if !parameters.contains_key(required) {
                    return Err(missing_parameter(required));
                }
            }
            let priority = parameters["Priority"].as_i64().unwrap_or_default();
            if !(1..=10_000).contains(&priority) {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ValidationException",
                    format!("The priority {priority} is not between 1 and 10000."),
                ));
            }
            let this = identity.and_then(|id| find(objects(noun), id));
            let taken = objects(noun)
                .iter()
                .enumerate()
                .any(|(i, p)| Some(i) != this && p["Priority"].as_i64() == Some(priority));
            if taken {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ValidationException",
                    format!(
                        "Another audit log retention policy has the priority {priority}: no two policies can have the same priority value."
                    ),
                ));
            }
        }
        // "at least one location parameter must be defined to create a retention policy"
        ("New", "RetentionCompliancePolicy") => {
            let located = RETENTION_LOCATIONS.iter().any(|l| {
                !l.ends_with("Exception")
                    && parameters
                        .get(*l)
                        .is_some_and(|v| !v.is_null() && v != &json!([]))
            });
            if !located {
                return Err(ExchangeError::bad(
                    "Microsoft.Office.CompliancePolicy.Tasks.InvalidCompliancePolicyLocationException",
                    "At least one location parameter must be defined to create a retention policy.",
                ));
            }
            // Teams locations are a parameter set of their own (TeamLocation).
            let given = |teams: bool| {
                RETENTION_LOCATIONS
                    .iter()
                    .any(|l| l.starts_with("Teams") == teams && parameters.contains_key(*l))
            };
            if given(true) && given(false) {
                return Err(ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    "Parameter set cannot be resolved using the specified named parameters: Teams locations cannot be combined with other locations in one retention policy.",
                ));
            }
            for location in RETENTION_LOCATIONS {
                if let Some(v) = parameters.get_mut(*location)
                    && let Some(one) = v.as_str().map(str::to_string)
                {
                    *v = json!([one]);
                }
            }
        }
        ("Set", "RetentionCompliancePolicy") => {
            let mut changes: Map<String, Value> = Map::new();
            let keys: Vec<String> = parameters.keys().cloned().collect();
            for key in keys {
                let (op, location) = match (key.strip_prefix("Add"), key.strip_prefix("Remove")) {
                    (Some(l), _) => ("Add", l),
                    (_, Some(l)) => ("Remove", l),
                    _ => continue,
                };
                if !RETENTION_LOCATIONS.contains(&location) {
                    continue;
                }
                let value = parameters.remove(&key).unwrap_or(Value::Null);
                record_list_change(&mut changes, location, op, value);
            }
            parameters.extend(changes);
        }
        // "The retention rule must be added to an existing retention policy using the Policy
        // parameter. Only one rule can be added to each retention policy."
        ("New", "RetentionComplianceRule") => {
            let policy = parameters
                .get("Policy")
                .and_then(Value::as_str)
                .ok_or_else(|| missing_parameter("Policy"))?;
            let policies = objects("RetentionCompliancePolicy");
            let at = find(policies, policy).ok_or_else(|| ExchangeError::not_found(policy))?;
            let name = policies[at]["Name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if objects(noun)
                .iter()
                .any(|r| r["Policy"].as_str() == Some(name.as_str()))
            {
                return Err(ExchangeError::bad(
                    "Microsoft.Office.CompliancePolicy.Tasks.CompliancePolicyAlreadyHasRuleException",
                    format!(
                        "The policy \"{name}\" already has a rule: only one rule can be added to each retention policy."
                    ),
                ));
            }
            parameters.insert("Policy".into(), json!(name));
        }
        _ => {}
    }
    Ok(parameters)
}

/// Whether the caller may reach `endpoint`'s admin API at all, and may run `cmdlet` there.
pub fn authorise_at(
    endpoint: Endpoint,
    caller: &Caller,
    cmdlet: &str,
) -> Result<(), ExchangeError> {
    match endpoint {
        Endpoint::Exchange => authorise(caller, cmdlet),
        Endpoint::Compliance => {
            manages_as_app(caller)?;
            let holds = |roles: &[&str]| caller.wids.iter().any(|w| roles.contains(&w.as_str()));
            let supported = holds(WRITE_ROLES)
                || holds(READ_ROLES)
                || holds(OTHER_SUPPORTED_ROLES)
                || holds(COMPLIANCE_WRITE_ROLES)
                || holds(COMPLIANCE_READ_ROLES);
            if !supported {
                return Err(ExchangeError::new(
                    403,
                    "Microsoft.Exchange.Management.Tasks.RBAC.NoRoleAssignmentException",
                    "The role assigned to application isn't supported in this scenario. Assign a supported Microsoft Entra role such as Compliance Administrator.",
                ));
            }
            let reads = cmdlet.starts_with("Get-");
            if !(holds(COMPLIANCE_WRITE_ROLES) || reads && holds(COMPLIANCE_READ_ROLES)) {
                return Err(ExchangeError::new(
                    403,
                    "System.Management.Automation.CommandNotFoundException",
                    format!(
                        "The term '{cmdlet}' is not recognized as a name of a cmdlet available to the roles assigned to this application."
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn manages_as_app(caller: &Caller) -> Result<(), ExchangeError> {
    if caller.roles.iter().any(|r| r == MANAGE_AS_APP) {
        return Ok(());
    }
    Err(ExchangeError::new(
        401,
        "Microsoft.Exchange.Security.Authorization.UnauthorizedAccessException",
        "The token does not carry the Exchange.ManageAsApp application permission of Office 365 Exchange Online.",
    ))
}

/// Whether the caller may reach the admin API at all, and may run `cmdlet`.
pub fn authorise(caller: &Caller, cmdlet: &str) -> Result<(), ExchangeError> {
    manages_as_app(caller)?;
    let holds = |roles: &[&str]| caller.wids.iter().any(|w| roles.contains(&w.as_str()));
    if !holds(WRITE_ROLES) && !holds(READ_ROLES) && !holds(OTHER_SUPPORTED_ROLES) {
        return Err(ExchangeError::new(
            403,
            "Microsoft.Exchange.Management.Tasks.RBAC.NoRoleAssignmentException",
            "The role assigned to application isn't supported in this scenario. Assign a supported Microsoft Entra role such as Exchange Administrator.",
        ));
    }
    let reads = cmdlet.starts_with("Get-");
    if !(holds(WRITE_ROLES) || reads && holds(READ_ROLES)) {
        return Err(ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!(
                "The term '{cmdlet}' is not recognized as a name of a cmdlet available to the roles assigned to this application."
            ),
        ));
    }
    Ok(())
}

/// Runs one cmdlet against the tenant's organisation: the rows it outputs.
pub fn execute(
    tenant: &mut Tenant,
    cmdlet: &str,
    parameters: &Map<String, Value>,
    rng: &mut impl Rng,
) -> Result<Vec<Value>, ExchangeError> {
    let Some(declared) = schema()
        .get(cmdlet)
        .or_else(|| compliance_schema().get(cmdlet))
    else {
        return Err(ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!(
                "The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program."
            ),
        ));
    };
    let parameters = validate(cmdlet, declared, parameters)?;
    let (verb, noun) = cmdlet.split_once('-').unwrap_or((cmdlet, ""));
    if tenant.exchange.objects.is_empty() {
        // A state saved before the organisation existed: make it now.
        install_defaults(tenant, rng);
    }
    let identity = parameters.get("Identity").map(|v| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    });
    if let Some(result) = access_control(tenant, cmdlet, &parameters, rng) {
        return result;
    }
    let parameters = compliance_checks(tenant, verb, noun, identity.as_deref(), parameters)?;
    if let Some(result) = mailboxes::execute(tenant, verb, noun, &parameters, rng) {
        return result;
    }
    if let Some(result) = unified_groups::execute(tenant, verb, noun, &parameters) {
        return result;
    }
    // A mailbox named any way it can be (its address, say) is the family's row of that name.
    let identity = identity.map(|id| mailboxes::row_name(tenant, noun, id));
    if verb == "Get" {
        // A read changes nothing: a family nothing has written stays absent, as it was.
        let objects = tenant
            .exchange
            .objects
            .get(noun)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let rows = match identity {
            None => objects.to_vec(),
            Some(id) => find(objects, &id)
                .map(|i| vec![objects[i].clone()])
                .ok_or_else(|| ExchangeError::not_found(&id))?,
        };
        let rows = mailboxes::filter(noun, &parameters, rows);
        if noun == "Label" {
            let detailed = parameters.get("IncludeDetailedLabelActions") == Some(&json!(true));
            return Ok(rows.iter().map(|l| labels::view(l, detailed)).collect());
        }
        return Ok(rows);
    }
    let initial = tenant.initial_domain().to_string();
    let objects = tenant.exchange.objects.entry(noun.to_string()).or_default();
    match verb {
        "Set" => {
            let at = match (&identity, is_singleton(noun)) {
                (Some(id), _) => find(objects, id).ok_or_else(|| ExchangeError::not_found(id))?,
                (None, true) if !objects.is_empty() => 0,
                (None, _) => {
                    return Err(ExchangeError::bad(
                        "System.Management.Automation.ParameterBindingException",
                        "Cannot process command because of one or more missing mandatory parameters: Identity.",
                    ));
                }
            };
            let mut changes = parameters.clone();
            changes.remove("Identity");
            // A switch for the folders' names, not a setting the mailbox shows.
            changes.remove("LocalizeDefaultFolderName");
            if noun == "MailboxPlan" {
                check_mailbox_plan(&objects[at], &changes)?;
            }
            let this = objects[at]["Name"].as_str().map(str::to_string);
            let changes = resolve_references(tenant, noun, this.as_deref(), changes)?;
            let objects = tenant.exchange.objects.entry(noun.to_string()).or_default();
            let object = objects[at].as_object_mut().expect("objects are maps");
            apply(object, &changes);
            object.insert("WhenChanged".into(), json!(crate::tenant::now_rfc3339()));
            Ok(Vec::new())
        }
        "New" => {
            let name_key = if noun == "DkimSigningConfig" {
                "DomainName"
            } else {
                "Name"
            };
            let Some(name) = parameters.get(name_key).and_then(Value::as_str) else {
                return Err(ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    format!(
                        "Cannot process command because of one or more missing mandatory parameters: {name_key}."
                    ),
                ));
            };
            if find(objects, name).is_some() {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ManagementObjectAlreadyExistsException",
                    format!("An object with the name '{name}' already exists."),
                ));
            }
            let name = name.to_string();
            let mut object = Map::new();
            object.insert("Name".into(), json!(name));
            if noun == "DkimSigningConfig" {
                object.insert("Domain".into(), json!(name));
                object.insert("KeySize".into(), json!(2048));
                // The CNAME targets the domain's selectors must point to, in the tenant's
                // initial domain (Get-DkimSigningConfig's Selector1CNAME, Selector2CNAME).
                let [one, two] = crate::dns::dkim_selectors(&name, &initial);
                object.insert("Selector1CNAME".into(), json!(one));
                object.insert("Selector2CNAME".into(), json!(two));
            }
            let is_rule = is_rule(noun);
            if is_rule {
                object.insert("State".into(), json!("Enabled"));
                object.insert("Priority".into(), json!(objects.len()));
            }
            let mut given = parameters.clone();
            given.remove(name_key);
            // A rule's -Enabled is read back as its State; DKIM's -Enabled is mandatory on
            // New- and read back as itself.
            if is_rule && let Some(enabled) = given.remove("Enabled") {
                let on = enabled.as_bool().unwrap_or(true);
                object.insert(
                    "State".into(),
                    json!(if on { "Enabled" } else { "Disabled" }),
                );
            }
            // New-JournalRule's other mandatory parameter: where journal reports go.
            if noun == "JournalRule" && !given.contains_key("JournalEmailAddress") {
                return Err(ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    "Cannot process command because of one or more missing mandatory parameters: JournalEmailAddress.",
                ));
            }
            if noun == "DkimSigningConfig" && !given.contains_key("Enabled") {
                return Err(ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    "Cannot process command because of one or more missing mandatory parameters: Enabled.",
                ));
            }
            let given = resolve_references(tenant, noun, None, given)?;
            compliance_defaults(&mut object, noun);
            apply(&mut object, &given);
            finish(&mut object, new_guid(rng));
            let created = Value::Object(object);
            tenant
                .exchange
                .objects
                .entry(noun.to_string())
                .or_default()
                .push(created.clone());
            if noun == "Label" {
                return Ok(vec![labels::view(&created, false)]);
            }
            Ok(vec![created])
        }
        "Remove" => {
            let id = identity.ok_or_else(|| {
                ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    "Cannot process command because of one or more missing mandatory parameters: Identity.",
                )
            })?;
            let at = find(objects, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            if objects[at]["IsDefault"] == json!(true) {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ValidationException",
                    format!("The default policy '{id}' can't be removed."),
                ));
            }
            let name = objects[at]["Name"].as_str().unwrap_or_default().to_string();
            labels::check_remove(tenant, noun, at)?;
            if let Some(rule) = rule_using(tenant, noun, &name, None) {
                return Err(ExchangeError::bad(
                    "Microsoft.Exchange.Management.Tasks.ValidationException",
                    format!(
                        "Policy \"{name}\" can't be removed because rule \"{rule}\" is associated with it. Remove the rule first."
                    ),
                ));
            }
            let objects = tenant.exchange.objects.entry(noun.to_string()).or_default();
            objects.remove(at);
            let rules_of = match noun {
                "RetentionCompliancePolicy" => Some("RetentionComplianceRule"),
                "AutoSensitivityLabelPolicy" => Some("AutoSensitivityLabelRule"),
                _ => None,
            };
            if let Some(rule_noun) = rules_of {
                // The policy's rules go with it.
                if let Some(rules) = tenant.exchange.objects.get_mut(rule_noun) {
                    rules.retain(|r| r["Policy"].as_str() != Some(name.as_str()));
                }
            }
            Ok(Vec::new())
        }
        "Enable" | "Disable" if is_rule(noun) => {
            let id = identity.ok_or_else(|| {
                ExchangeError::bad(
                    "System.Management.Automation.ParameterBindingException",
                    "Cannot process command because of one or more missing mandatory parameters: Identity.",
                )
            })?;
            let at = find(objects, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            let object = objects[at].as_object_mut().expect("objects are maps");
            let state = if verb == "Enable" {
                "Enabled"
            } else {
                "Disabled"
            };
            object.insert("State".into(), json!(state));
            object.insert("WhenChanged".into(), json!(crate::tenant::now_rfc3339()));
            Ok(Vec::new())
        }
        _ => Err(ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!("The term '{cmdlet}' is not recognized as a name of a cmdlet."),
        )),
    }
}

/// The rule (other than `except`) of the rule family that applies policy `name` of family
/// `policy_noun`, if any: Exchange keeps one rule per policy, and a policy in use stays.
fn rule_using(
    tenant: &Tenant,
    policy_noun: &str,
    name: &str,
    except: Option<&str>,
) -> Option<String> {
    let rule_noun = [
        "SafeLinksRule",
        "SafeAttachmentRule",
        "AntiPhishRule",
        "HostedContentFilterRule",
        "MalwareFilterRule",
    ]
    .into_iter()
    .find(|r| policy_of_rule(r) == Some(policy_noun))?;
    tenant
        .exchange
        .objects
        .get(rule_noun)?
        .iter()
        .filter(|r| {
            except.is_none_or(|e| {
                !r["Name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(e))
            })
        })
        .find(|r| {
            r[policy_noun]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(name))
        })
        .and_then(|r| r["Name"].as_str().map(str::to_string))
}

/// The index of the object an identity names: its Identity, Name, Guid or DistinguishedName
/// (case-insensitive, as Exchange resolves identities), or its display name. A sensitivity
/// label (the objects with a `Tooltip`) is named by "Name, Distinguished name (DN), GUID"
/// only: labels share display names ("OFFICIAL Sensitive" is a group and its sublabel).
fn find(objects: &[Value], identity: &str) -> Option<usize> {
    objects.iter().position(|o| {
        let label = o.get("Tooltip").is_some();
        [
            "Identity",
            "Name",
            "Guid",
            "DistinguishedName",
            "DisplayName",
            "UserPrincipalName",
            "PrimarySmtpAddress",
            "Alias",
        ]
        .iter()
        .filter(|k| !(label && **k == "DisplayName"))
        .any(|k| {
            o[*k]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(identity))
        })
    })
}

/// A rule's policy, and the organisation's default authentication policy, must name an
/// object that exists; they are stored by name, as Get- returns them. A policy applies through
/// one rule: another `rule` may not take it.
fn resolve_references(
    tenant: &Tenant,
    noun: &str,
    rule: Option<&str>,
    mut changes: Map<String, Value>,
) -> Result<Map<String, Value>, ExchangeError> {
    let mut check = |parameter: &str, family: &str| -> Result<(), ExchangeError> {
        let Some(Value::String(id)) = changes.get(parameter).cloned() else {
            return Ok(());
        };
        let objects = tenant
            .exchange
            .objects
            .get(family)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let at = find(objects, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
        changes.insert(parameter.into(), objects[at]["Name"].clone());
        Ok(())
    };
    if let Some(policy) = policy_of_rule(noun) {
        check(policy, policy)?;
    }
    if noun == "OrganizationConfig" {
        check("DefaultAuthenticationPolicy", "AuthenticationPolicy")?;
    }
    if noun == "CASMailboxPlan" {
        check("OwaMailboxPolicy", "OwaMailboxPolicy")?;
    }
    if let Some(policy) = policy_of_rule(noun)
        && let Some(Value::String(name)) = changes.get(policy)
        && let Some(other) = rule_using(tenant, policy, name, rule)
    {
        return Err(ExchangeError::bad(
            "Microsoft.Exchange.Management.Tasks.ValidationException",
            format!("Policy \"{name}\" already has rule \"{other}\" associated with it."),
        ));
    }
    if noun == "RetentionPolicy"
        && let Some(Value::Array(links)) = changes.get("RetentionPolicyTagLinks").cloned()
    {
        // Each tag must exist; the policy keeps their names.
        let tags = tenant
            .exchange
            .objects
            .get("RetentionPolicyTag")
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut names = Vec::new();
        for link in &links {
            let id = link
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| link.to_string());
            let at = find(tags, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
            names.push(tags[at]["Name"].clone());
        }
        changes.insert("RetentionPolicyTagLinks".into(), Value::Array(names));
    }
    Ok(changes)
}

/// Sets each parameter as the property of the same name. A multi-valued property given as
/// `#Exchange.GenericHashTable` with `Add`/`Remove` is changed item by item; an empty hash
/// table clears it (as CIPP clears lists).
fn apply(object: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (k, v) in changes {
        if matches!(k.as_str(), "Confirm" | "WhatIf" | "Force") {
            continue;
        }
        if let Some(table) = v.as_object()
            && table.get("@odata.type").and_then(Value::as_str)
                == Some("#Exchange.GenericHashTable")
        {
            let mut items: Vec<Value> = object
                .get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let list = |key: &str| -> Vec<Value> {
                match table.get(key) {
                    Some(Value::Array(a)) => a.clone(),
                    Some(Value::Null) | None => Vec::new(),
                    Some(one) => vec![one.clone()],
                }
            };
            let (add, remove) = (list("Add"), list("Remove"));
            if add.is_empty() && remove.is_empty() {
                items.clear();
            }
            items.retain(|i| !remove.contains(i));
            for a in add {
                if !items.contains(&a) {
                    items.push(a);
                }
            }
            object.insert(k.clone(), Value::Array(items));
            continue;
        }
        object.insert(k.clone(), v.clone());
    }
}

/// Checks every parameter against the cmdlet's declaration: unknown names, the basic types,
/// and enumeration values (prefix-matched, as PowerShell binds them, and stored in full).
fn validate(
    cmdlet: &str,
    declared: &BTreeMap<String, Parameter>,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>, ExchangeError> {
    let mut out = Map::new();
    for (name, value) in given {
        let Some((canonical, parameter)) =
            declared.iter().find(|(d, _)| d.eq_ignore_ascii_case(name))
        else {
            return Err(ExchangeError::bad(
                "System.Management.Automation.AmbiguousParameterSetException",
                format!("A parameter cannot be found that matches parameter name '{name}'."),
            ));
        };
        let value = bind(cmdlet, canonical, parameter, value)?;
        out.insert(canonical.clone(), value);
    }
    Ok(out)
}

fn bind(
    cmdlet: &str,
    name: &str,
    parameter: &Parameter,
    value: &Value,
) -> Result<Value, ExchangeError> {
    let cannot = |why: String| {
        ExchangeError::bad(
            "System.Management.Automation.ParameterBindingArgumentTransformationException",
            format!(
                "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{}\" to type \"{}\". Error: \"{why}\"",
                value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_string()),
                parameter.kind
            ),
        )
    };
    let _ = cmdlet;
    let kind = parameter.kind.trim_start_matches("System.");
    if value.is_null()
        || value
            .as_object()
            .is_some_and(|o| o.contains_key("@odata.type"))
    {
        return Ok(value.clone());
    }
    match kind {
        "Boolean" | "SwitchParameter" => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(json!(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(json!(false)),
            _ => Err(cannot(
                "Boolean parameters accept only true or false.".into(),
            )),
        },
        "Int32" | "Int64" => match value {
            Value::Number(n) if n.is_i64() => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(|n| json!(n))
                .map_err(|_| cannot("Input string was not in a correct format.".into())),
            _ => Err(cannot("Input string was not in a correct format.".into())),
        },
        // .NET's TimeSpan.Parse: "30" is thirty days, "30.00:00:00" the same; it reads back
        // as TimeSpan.ToString() writes it.
        "EnhancedTimeSpan" => {
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            timespan(&text)
                .map(|t| json!(t))
                .ok_or_else(|| cannot("String was not recognized as a valid TimeSpan.".into()))
        }
        _ if parameter.size => {
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            let bytes = parse_size(&text).ok_or_else(|| {
                cannot(format!(
                    "The value \"{text}\" isn't a valid size: use a number with a unit (B, KB, MB, GB, TB), or unlimited."
                ))
            })?;
            // Set-MailboxPlan's reference: message sizes go "up to 150 MB", quotas "up to
            // 1.999999999 terabytes (2199023254528 bytes)" (the refusal's wording is not
            // documented).
            let cap: u64 = if name.starts_with("Max") {
                150 << 20
            } else {
                2_199_023_254_528
            };
            match bytes {
                Some(b) if b > cap => Err(cannot(format!(
                    "The value must be less than or equal to {}.",
                    show_size(Some(cap))
                ))),
                b => Ok(json!(show_size(b))),
            }
        }
        // A culture reads back by its .NET name, whatever case it was given in ("en-au" is
        // en-AU).
        "CultureInfo" => match value.as_str().map(|t| t.split_once('-')) {
            Some(Some((language, region)))
                if !language.is_empty() && language.chars().all(|c| c.is_ascii_alphabetic()) =>
            {
                Ok(json!(format!(
                    "{}-{}",
                    language.to_ascii_lowercase(),
                    region.to_ascii_uppercase()
                )))
            }
            Some(None) => Ok(value.clone()),
            _ => Err(cannot("Culture is not supported.".into())),
        },
        // Set-OrganizationConfig's reference: "The value <GroupName> is a literal value that
        // you must always include" (the exact error wording is not documented).
        "DistributionGroupNamingPolicy" => match value.as_str() {
            Some(text) if text.is_empty() || text.contains("<GroupName>") => Ok(value.clone()),
            _ => Err(cannot(
                "The distribution group naming policy must include <GroupName>.".into(),
            )),
        },
        _ if !parameter.values.is_empty() => {
            let one = |v: &Value| -> Result<Value, ExchangeError> {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                let lower = text.to_ascii_lowercase();
                let matches: Vec<&String> = parameter
                    .values
                    .iter()
                    .filter(|c| c.to_ascii_lowercase().starts_with(&lower) && !lower.is_empty())
                    .collect();
                let exact = parameter
                    .values
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(&text));
                match (exact, matches.as_slice()) {
                    (Some(e), _) | (None, &[e]) => Ok(json!(e)),
                    _ => Err(cannot(format!(
                        "Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following enumerator names and try again: {}",
                        parameter.values.join(", ")
                    ))),
                }
            };
            match value {
                Value::Array(items) => items
                    .iter()
                    .map(one)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                Value::String(s) if parameter.flags => s
                    .split(',')
                    .map(|part| one(&json!(part.trim())))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|parts| {
                        let names: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                        json!(names.join(", "))
                    }),
                v => one(v),
            }
        }
        _ => Ok(value.clone()),
    }
}

/// The bytes of an `Unlimited<ByteQuantifiedSize>` as Exchange binds it (`None`: unlimited):
/// a number, qualified with B, KB, MB, GB or TB (bytes when unqualified), or the text Exchange
/// prints ("35 MB (36,700,160 bytes)", whose bytes count), or "unlimited".
fn parse_size(text: &str) -> Option<Option<u64>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("unlimited") {
        return Some(None);
    }
    if let Some((_, rest)) = text.split_once('(') {
        let bytes = rest.trim().strip_suffix("bytes)")?.trim().replace(',', "");
        return bytes.parse::<u64>().ok().map(Some);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    Some(Some((number * unit as f64).round() as u64))
}

/// A size as Exchange prints it: the largest whole unit, up to three decimals, then the bytes
/// ("90 MB (94,371,840 bytes)", "1.9 GB (2,040,109,466 bytes)"), or "Unlimited".
fn show_size(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return "Unlimited".into();
    };
    let (unit, name) = [
        (1u64 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
        (1, "B"),
    ]
    .into_iter()
    .find(|(u, _)| bytes >= *u)
    .unwrap_or((1, "B"));
    let amount = format!("{:.3}", bytes as f64 / unit as f64);
    let amount = amount.trim_end_matches('0').trim_end_matches('.');
    let digits = bytes.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{amount} {name} ({grouped} bytes)")
}

/// A mailbox plan's quota cap, by its licence (the plan's display name): Set-MailboxPlan
/// "can't exceed the maximum value that's specified by the subscription or license that
/// corresponds to the mailbox plan" (100 GB for Exchange Online Plan 2, E3 and E5; 50 GB for
/// Plan 1 and Business Basic; 2 GB for Kiosk and F3).
fn licence_quota(display_name: &str) -> u64 {
    match display_name {
        "ExchangeOnlineEnterprise" => 100 << 30,
        "ExchangeOnlineDeskless" => 2 << 30,
        _ => 50 << 30,
    }
}

/// Set-MailboxPlan's rules across parameters, on the plan as it would be: the warning and
/// prohibit-send quotas at most the prohibit-send-receive quota, and that at most the
/// licence's (the wording of Exchange's refusals is not documented).
fn check_mailbox_plan(plan: &Value, changes: &Map<String, Value>) -> Result<(), ExchangeError> {
    let size = |key: &str| {
        let value = changes.get(key).unwrap_or(&plan[key]);
        value.as_str().and_then(parse_size).unwrap_or(None)
    };
    let refuse = |message: String| {
        ExchangeError::bad(
            "Microsoft.Exchange.Management.Tasks.ValidationException",
            message,
        )
    };
    let whole = size("ProhibitSendReceiveQuota");
    let cap = licence_quota(plan["DisplayName"].as_str().unwrap_or_default());
    if whole.is_none_or(|w| w > cap) {
        return Err(refuse(format!(
            "ProhibitSendReceiveQuota can't exceed {} for the mailbox plan {}.",
            show_size(Some(cap)),
            plan["DisplayName"].as_str().unwrap_or_default()
        )));
    }
    for lower in ["IssueWarningQuota", "ProhibitSendQuota"] {
        if let (Some(l), Some(w)) = (size(lower), whole)
            && l > w
        {
            return Err(refuse(format!(
                "The value of {lower} must be less than or equal to the value of ProhibitSendReceiveQuota ({}).",
                show_size(Some(w))
            )));
        }
        if size(lower).is_none() {
            return Err(refuse(format!(
                "The value of {lower} must be less than or equal to the value of ProhibitSendReceiveQuota ({}).",
                show_size(whole)
            )));
        }
    }
    Ok(())
}

/// A TimeSpan in .NET's constant format ("d.hh:mm:ss", or "hh:mm:ss" under a day) from
/// what TimeSpan.Parse accepts: whole days ("30"), "hh:mm[:ss]" or "d.hh:mm[:ss]".
fn timespan(text: &str) -> Option<String> {
    let text = text.trim();
    let (days, clock) = match text.split_once('.') {
        Some((d, c)) if c.contains(':') => (d.parse::<u64>().ok()?, Some(c)),
        None if !text.contains(':') => (text.parse::<u64>().ok()?, None),
        None => (0, Some(text)),
        Some(_) => return None,
    };
    let (mut h, mut m, mut sec) = (0u64, 0u64, 0u64);
    if let Some(clock) = clock {
        let parts: Vec<u64> = clock
            .split(':')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            [a, b] => (h, m) = (*a, *b),
            [a, b, c] => (h, m, sec) = (*a, *b, *c),
            _ => return None,
        }
        if h > 23 || m > 59 || sec > 59 {
            return None;
        }
    }
    Some(if days > 0 {
        format!("{days}.{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    })
}

/// Adds an `Add{List}`/`Remove{List}` parameter's value (one item, a list, or none) to the
/// `{Add, Remove}` hash table of changes Exchange keeps for `list`.
fn record_list_change(changes: &mut Map<String, Value>, list: &str, op: &str, value: Value) {
    let items = match value {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let entry = changes.entry(list.to_string()).or_insert_with(
        || json!({"@odata.type": "#Exchange.GenericHashTable", "Add": [], "Remove": []}),
    );
    if let Some(items_of_op) = entry[op].as_array_mut() {
        items_of_op.extend(items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn tenant() -> Tenant {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut t = Tenant::new(
            "t".into(),
            "T".into(),
            vec!["t.onmicrosoft.com".into(), "t.gov.au".into()],
            crate::SizeClass::Small,
        );
        install_defaults(&mut t, &mut rng);
        t
    }

    fn run(t: &mut Tenant, cmdlet: &str, p: Value) -> Result<Vec<Value>, ExchangeError> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        execute(t, cmdlet, p.as_object().unwrap(), &mut rng)
    }

    /// A Microsoft 365 group made through Graph (no provisioning delay here).
    fn with_unified_group(t: &mut Tenant) -> String {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let group = t
            .create(
                crate::kinds::Kind::by_entity("group"),
                json!({"displayName": "grp-TO365-Outlook", "mailEnabled": true,
                       "mailNickname": "grp-to365-outlook", "securityEnabled": false,
                       "groupTypes": ["Unified"]}),
                &mut rng,
            )
            .unwrap();
        group["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_unified_group_is_read_by_any_of_its_names_and_keeps_subscription_rules() {
        let mut t = tenant();
        let id = with_unified_group(&mut t);
        // A security group is not one of Exchange's Microsoft 365 groups.
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        t.create(
            crate::kinds::Kind::by_entity("group"),
            json!({"displayName": "sec", "mailEnabled": false, "mailNickname": "sec",
                   "securityEnabled": true}),
            &mut rng,
        )
        .unwrap();
        let rows = run(&mut t, "Get-UnifiedGroup", json!({})).unwrap();
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!(
            rows[0]["AccessType"], "Public",
            "Graph's default visibility"
        );
        let mail = rows[0]["PrimarySmtpAddress"].as_str().unwrap().to_string();
        for name in [
            id.as_str(),
            "grp-to365-outlook",
            mail.as_str(),
            "GRP-TO365-OUTLOOK",
        ] {
            let one = run(&mut t, "Get-UnifiedGroup", json!({ "Identity": name })).unwrap();
            assert_eq!(one[0]["ExternalDirectoryObjectId"], id.as_str(), "{name}");
        }
        // "The AutoSubscribeNewMembers must be set to False before setting
        // SubscriptionEnabled to False."
        run(
            &mut t,
            "Set-UnifiedGroup",
            json!({"Identity": id, "AutoSubscribeNewMembers": true}),
        )
        .unwrap();
        let e = run(
            &mut t,
            "Set-UnifiedGroup",
            json!({"Identity": id, "SubscriptionEnabled": false}),
        )
        .unwrap_err();
        assert_eq!(e.status, 400, "{e:?}");
        run(
            &mut t,
            "Set-UnifiedGroup",
            json!({"Identity": id, "AutoSubscribeNewMembers": false, "SubscriptionEnabled": false}),
        )
        .unwrap();
        let row = &run(&mut t, "Get-UnifiedGroup", json!({})).unwrap()[0];
        assert_eq!(
            (&row["AutoSubscribeNewMembers"], &row["SubscriptionEnabled"]),
            (&json!(false), &json!(false))
        );
        // Not yet provisioned: hidden again, and "couldn't be found" to Set-.
        t.exchange.provisioning.insert(
            id.clone(),
            std::time::Instant::now() + std::time::Duration::from_secs(60),
        );
        assert!(
            run(&mut t, "Get-UnifiedGroup", json!({}))
                .unwrap()
                .is_empty()
        );
        let e = run(
            &mut t,
            "Set-UnifiedGroup",
            json!({"Identity": id, "Language": "en-AU"}),
        )
        .unwrap_err();
        assert_eq!(e.status, 404);
    }

    #[test]
    fn a_new_organisation_has_the_default_policies() {
        let mut t = tenant();
        let rows = run(&mut t, "Get-HostedContentFilterPolicy", json!({})).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["Identity"], "Default");
        assert_eq!(rows[0]["BulkThreshold"], 7);
        let domains = run(&mut t, "Get-AcceptedDomain", json!({})).unwrap();
        assert_eq!(domains.len(), 2);
        assert_eq!(
            domains[1]["Default"], true,
            "the custom domain is the default"
        );
        assert!(
            run(&mut t, "Get-SafeLinksPolicy", json!({}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn parameters_are_checked_against_the_cmdlet_reference() {
        let mut t = tenant();
        let e = run(
            &mut t,
            "Set-RemoteDomain",
            json!({"Identity": "Default", "Bogus": 1}),
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("'Bogus'"), "{e:?}");
        let e = run(
            &mut t,
            "Set-HostedOutboundSpamFilterPolicy",
            json!({"Identity": "Default", "AutoForwardingMode": "Sometimes"}),
        )
        .unwrap_err();
        assert!(e.message.contains("Automatic, Off, On"), "{e:?}");
        // Enumerations bind by prefix, and are stored in full.
        run(
            &mut t,
            "Set-HostedOutboundSpamFilterPolicy",
            json!({"Identity": "default", "AutoForwardingMode": "of"}),
        )
        .unwrap();
        let rows = run(&mut t, "Get-HostedOutboundSpamFilterPolicy", json!({})).unwrap();
        assert_eq!(rows[0]["AutoForwardingMode"], "Off");
        let e = run(
            &mut t,
            "Set-HostedContentFilterPolicy",
            json!({"Identity": "Nope"}),
        )
        .unwrap_err();
        assert_eq!(e.status, 404);
        let e = run(&mut t, "Get-Nonsense", json!({})).unwrap_err();
        assert_eq!(e.status, 403);
    }

    #[test]
    fn rules_need_their_policy_and_defaults_cannot_be_removed() {
        let mut t = tenant();
        let e = run(
            &mut t,
            "New-SafeLinksRule",
            json!({"Name": "r", "SafeLinksPolicy": "p"}),
        )
        .unwrap_err();
        assert_eq!(e.status, 404);
        run(
            &mut t,
            "New-SafeLinksPolicy",
            json!({"Name": "p", "TrackClicks": true}),
        )
        .unwrap();
        let dup = run(&mut t, "New-SafeLinksPolicy", json!({"Name": "P"})).unwrap_err();
        assert_eq!(dup.status, 400);
        let rule = run(
            &mut t,
            "New-SafeLinksRule",
            json!({"Name": "r", "SafeLinksPolicy": "p", "RecipientDomainIs": ["t.gov.au"]}),
        )
        .unwrap();
        assert_eq!(rule[0]["SafeLinksPolicy"], "p");
        assert_eq!(rule[0]["State"], "Enabled");
        run(
            &mut t,
            "Remove-SafeLinksRule",
            json!({"Identity": "r", "Confirm": false}),
        )
        .unwrap();
        let e = run(
            &mut t,
            "Remove-MalwareFilterPolicy",
            json!({"Identity": "Default"}),
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
        run(
            &mut t,
            "Set-MalwareFilterPolicy",
            json!({"Identity": "Default", "FileTypes": {"@odata.type": "#Exchange.GenericHashTable", "Add": ["xyz"], "Remove": ["exe"]}}),
        )
        .unwrap();
        let m = &run(&mut t, "Get-MalwareFilterPolicy", json!({})).unwrap()[0];
        let types = m["FileTypes"].as_array().unwrap();
        assert!(types.contains(&json!("xyz")) && !types.contains(&json!("exe")));
    }

    #[test]
    fn a_policy_applies_through_one_rule_and_stays_while_a_rule_uses_it() {
        let mut t = tenant();
        run(&mut t, "New-SafeAttachmentPolicy", json!({"Name": "p"})).unwrap();
        run(
            &mut t,
            "New-SafeAttachmentRule",
            json!({"Name": "r", "SafeAttachmentPolicy": "p", "Enabled": false}),
        )
        .unwrap();
        let second = run(
            &mut t,
            "New-SafeAttachmentRule",
            json!({"Name": "r2", "SafeAttachmentPolicy": "p"}),
        )
        .unwrap_err();
        assert_eq!(second.status, 400);
        assert!(
            second.message.contains("already has rule \"r\""),
            "{second:?}"
        );
        // The rule may name its own policy again.
        run(
            &mut t,
            "Set-SafeAttachmentRule",
            json!({"Identity": "r", "SafeAttachmentPolicy": "P"}),
        )
        .unwrap();
        let in_use = run(
            &mut t,
            "Remove-SafeAttachmentPolicy",
            json!({"Identity": "p", "Confirm": false}),
        )
        .unwrap_err();
        assert_eq!(in_use.status, 400);
        assert_eq!(
            in_use.exception,
            "Microsoft.Exchange.Management.Tasks.ValidationException"
        );
        let state = |t: &mut Tenant| {
            run(t, "Get-SafeAttachmentRule", json!({"Identity": "r"})).unwrap()[0]["State"].clone()
        };
        assert_eq!(state(&mut t), "Disabled");
        for (cmdlet, after) in [
            ("Enable-SafeAttachmentRule", "Enabled"),
            ("Disable-SafeAttachmentRule", "Disabled"),
        ] {
            run(&mut t, cmdlet, json!({"Identity": "r"})).unwrap();
            assert_eq!(state(&mut t), after);
        }
        // The rule first, then its policy.
        for (cmdlet, identity) in [
            ("Remove-SafeAttachmentRule", "r"),
            ("Remove-SafeAttachmentPolicy", "p"),
        ] {
            run(&mut t, cmdlet, json!({ "Identity": identity })).unwrap();
        }
        // Policies have no Enable-/Disable-.
        assert_eq!(
            run(
                &mut t,
                "Enable-SafeAttachmentPolicy",
                json!({"Identity": "p"})
            )
            .unwrap_err()
            .status,
            403
        );
    }

    #[test]
    fn dkim_and_transport_rules_are_created_as_exchange_creates_them() {
        let mut t = tenant();
        let missing = run(
            &mut t,
            "New-DkimSigningConfig",
            json!({"DomainName": "t.gov.au"}),
        )
        .unwrap_err();
        assert!(missing.message.contains("Enabled"), "{missing:?}");
        let dkim = run(
            &mut t,
            "New-DkimSigningConfig",
            json!({"DomainName": "t.gov.au", "Enabled": false}),
        )
        .unwrap();
        assert_eq!(dkim[0]["Name"], "t.gov.au");
        assert_eq!(dkim[0]["Enabled"], false);
        let bad = run(
            &mut t,
            "New-TransportRule",
            json!({"Name": "d", "SentToScope": "Outside"}),
        )
        .unwrap_err();
        assert!(bad.message.contains("NotInOrganization"), "{bad:?}");
        let rule = run(
            &mut t,
            "New-TransportRule",
            json!({"Name": "d", "SentToScope": "NotInOrg", "Mode": "enforce"}),
        )
        .unwrap();
        assert_eq!(rule[0]["SentToScope"], "NotInOrganization");
        assert_eq!(rule[0]["Mode"], "Enforce");
        assert_eq!(rule[0]["State"], "Enabled");
        assert_eq!(rule[0]["Priority"], 0);
    }

    #[test]
    fn a_mailbox_is_read_as_its_mailbox_user_and_regional_settings() {
        let mut t = tenant();
        let missing = run(&mut t, "New-Mailbox", json!({"Name": "Ann"})).unwrap_err();
        assert!(
            missing.message.contains("MicrosoftOnlineServicesID"),
            "{missing:?}"
        );
        run(
            &mut t,
            "New-Mailbox",
            json!({"Name": "Ann", "MicrosoftOnlineServicesID": "ann@t.gov.au", "Password": "p"}),
        )
        .unwrap();
        run(
            &mut t,
            "New-Mailbox",
            json!({"Name": "Desk", "Shared": true}),
        )
        .unwrap();
        // The default plan's sizes; no archive, no hold; the password kept nowhere.
        let ann = &run(&mut t, "Get-Mailbox", json!({"Identity": "ann@t.gov.au"})).unwrap()[0];
        assert_eq!(ann["MaxSendSize"], "35 MB (36,700,160 bytes)");
        assert_eq!(ann["ArchiveStatus"], "None");
        assert_eq!(ann["LitigationHoldEnabled"], false);
        assert!(
            !serde_json::to_string(&t.exchange)
                .unwrap()
                .contains("\"p\"")
        );
        let users = run(
            &mut t,
            "Get-User",
            json!({"RecipientTypeDetails": ["UserMailbox"], "ResultSize": "Unlimited"}),
        )
        .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["RemotePowerShellEnabled"], true);
        // Without -Identity, every mailbox's regional settings, unset until someone sets them.
        let regional = run(&mut t, "Get-MailboxRegionalConfiguration", json!({})).unwrap();
        assert_eq!(regional.len(), 2);
        assert_eq!(regional[0]["Language"], Value::Null);

        run(
            &mut t,
            "Set-Mailbox",
            json!({"Identity": "Ann", "MaxSendSize": "90MB"}),
        )
        .unwrap();
        run(
            &mut t,
            "Set-MailboxRegionalConfiguration",
            json!({"Identity": "ann@t.gov.au", "Language": "en-au", "TimeZone": "AUS Eastern Standard Time", "LocalizeDefaultFolderName": true}),
        )
        .unwrap();
        run(
            &mut t,
            "Set-User",
            json!({"Identity": "ann@t.gov.au", "RemotePowerShellEnabled": false}),
        )
        .unwrap();
        run(
            &mut t,
            "Enable-Mailbox",
            json!({"Identity": "ann@t.gov.au", "Archive": true}),
        )
        .unwrap();
        let ann = &run(&mut t, "Get-Mailbox", json!({"Identity": "Ann"})).unwrap()[0];
        assert_eq!(ann["MaxSendSize"], "90 MB (94,371,840 bytes)");
        assert_eq!(ann["ArchiveStatus"], "Active");
        let regional = &run(
            &mut t,
            "Get-MailboxRegionalConfiguration",
            json!({"Identity": "ann@t.gov.au"}),
        )
        .unwrap()[0];
        assert_eq!(regional["Language"], "en-AU");
        assert_eq!(regional["TimeZone"], "AUS Eastern Standard Time");
        assert!(regional.get("LocalizeDefaultFolderName").is_none());
        let user = &run(&mut t, "Get-User", json!({"Identity": "Ann"})).unwrap()[0];
        assert_eq!(user["RemotePowerShellEnabled"], false);
    }

    #[test]
    fn a_new_organisation_has_no_journal_rules_and_a_rule_needs_its_journal_address() {
        let mut t = tenant();
        assert!(
            run(&mut t, "Get-JournalRule", json!({}))
                .unwrap()
                .is_empty()
        );
        let missing = run(&mut t, "New-JournalRule", json!({"Name": "j"})).unwrap_err();
        assert!(
            missing.message.contains("JournalEmailAddress"),
            "{missing:?}"
        );
        let bad = run(
            &mut t,
            "New-JournalRule",
            json!({"Name": "j", "JournalEmailAddress": "a@b.example", "Scope": "Everything"}),
        )
        .unwrap_err();
        assert!(
            bad.message.contains("Global, Internal, External"),
            "{bad:?}"
        );
        run(
            &mut t,
            "New-JournalRule",
            json!({"Name": "j", "JournalEmailAddress": "a@b.example", "Scope": "ext"}),
        )
        .unwrap();
        let rules = run(&mut t, "Get-JournalRule", json!({"Identity": "j"})).unwrap();
        assert_eq!(rules[0]["Scope"], "External");
        run(&mut t, "Remove-JournalRule", json!({"Identity": "j"})).unwrap();
        assert!(
            run(&mut t, "Get-JournalRule", json!({}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn mailbox_plans_bind_sizes_as_exchange_does_and_keep_to_the_licence() {
        let mut t = tenant();
        let plans = run(&mut t, "Get-MailboxPlan", json!({})).unwrap();
        assert_eq!(plans.len(), 4);
        let enterprise = run(
            &mut t,
            "Get-MailboxPlan",
            json!({"Identity": "ExchangeOnlineEnterprise"}),
        )
        .unwrap();
        assert_eq!(enterprise[0]["MaxSendSize"], "35 MB (36,700,160 bytes)");
        assert_eq!(
            enterprise[0]["ProhibitSendReceiveQuota"],
            "100 GB (107,374,182,400 bytes)"
        );
        // "90MB", "90 mb", bytes and Exchange's own print all bind to the same size.
        for given in [
            json!("90MB"),
            json!("90 mb"),
            json!(94371840),
            json!("90 MB (94,371,840 bytes)"),
        ] {
            run(
                &mut t,
                "Set-MailboxPlan",
                json!({"Identity": "ExchangeOnline", "MaxSendSize": given}),
            )
            .unwrap();
            let plan = run(
                &mut t,
                "Get-MailboxPlan",
                json!({"Identity": "ExchangeOnline"}),
            )
            .unwrap();
            assert_eq!(plan[0]["MaxSendSize"], "90 MB (94,371,840 bytes)");
        }
        assert_eq!(
            show_size(Some(2_040_109_466)),
            "1.9 GB (2,040,109,466 bytes)"
        );
        let over = run(
            &mut t,
            "Set-MailboxPlan",
            json!({"Identity": "ExchangeOnline", "MaxReceiveSize": "151MB"}),
        )
        .unwrap_err();
        assert!(over.message.contains("150 MB"), "{over:?}");
        let nonsense = run(
            &mut t,
            "Set-MailboxPlan",
            json!({"Identity": "ExchangeOnline", "MaxReceiveSize": "ninety"}),
        )
        .unwrap_err();
        assert!(nonsense.message.contains("valid size"), "{nonsense:?}");
        // Plan 1's mailboxes stop at 50 GB; the warning stays under the mailbox's size.
        let licence = run(
            &mut t,
            "Set-MailboxPlan",
            json!({"Identity": "ExchangeOnline", "ProhibitSendReceiveQuota": "100GB"}),
        )
        .unwrap_err();
        assert!(licence.message.contains("50 GB"), "{licence:?}");
        let order = run(
            &mut t,
            "Set-MailboxPlan",
            json!({"Identity": "ExchangeOnlineEnterprise", "ProhibitSendReceiveQuota": "90GB"}),
        )
        .unwrap_err();
        assert!(order.message.contains("IssueWarningQuota"), "{order:?}");
        run(
            &mut t,
            "Set-MailboxPlan",
            json!({"Identity": "ExchangeOnlineEnterprise", "ProhibitSendReceiveQuota": "90GB", "ProhibitSendQuota": "89GB", "IssueWarningQuota": "88GB"}),
        )
        .unwrap();
        // No New- or Remove-: Exchange makes the plans.
        let new = run(&mut t, "New-MailboxPlan", json!({"Name": "x"})).unwrap_err();
        assert_eq!(new.status, 403);
    }

    #[test]
    fn the_distribution_group_naming_policy_must_name_the_group() {
        let mut t = tenant();
        let org = run(&mut t, "Get-OrganizationConfig", json!({})).unwrap();
        assert_eq!(org[0]["DistributionGroupNamingPolicy"], "");
        assert_eq!(org[0]["DistributionGroupNameBlockedWordsList"], json!([]));
        let bad = run(
            &mut t,
            "Set-OrganizationConfig",
            json!({"DistributionGroupNamingPolicy": "DL-<Department>"}),
        )
        .unwrap_err();
        assert!(bad.message.contains("<GroupName>"), "{bad:?}");
        run(
            &mut t,
            "Set-OrganizationConfig",
            json!({"DistributionGroupNamingPolicy": "DL-<Department>-<GroupName>", "DistributionGroupNameBlockedWordsList": ["CEO"]}),
        )
        .unwrap();
        let org = run(&mut t, "Get-OrganizationConfig", json!({})).unwrap();
        assert_eq!(
            org[0]["DistributionGroupNamingPolicy"],
            "DL-<Department>-<GroupName>"
        );
        assert_eq!(
            org[0]["DistributionGroupNameBlockedWordsList"],
            json!(["CEO"])
        );
    }

    #[test]
    fn address_lists_need_the_address_lists_role_which_no_role_group_holds_by_default() {
        let mut t = tenant();
        let app = "11111111-2222-3333-4444-555555555555";
        // An Exchange administrator's app has no Address Lists role: not even Get- is there.
        for cmdlet in [
            "Get-AddressList",
            "Set-AddressList",
            "Get-GlobalAddressList",
        ] {
            let e = check_management_role(&t, app, cmdlet).unwrap_err();
            assert_eq!(e.status, 403);
            assert_eq!(
                e.exception,
                "System.Management.Automation.CommandNotFoundException"
            );
            assert!(e.message.contains(&format!("'{cmdlet}'")), "{e:?}");
        }
        check_management_role(&t, app, "Get-RemoteDomain").unwrap();
        let held_by_default = run(
            &mut t,
            "Get-ManagementRoleAssignment",
            json!({"Role": "Address Lists"}),
        )
        .unwrap();
        assert!(held_by_default.is_empty(), "{held_by_default:?}");
        // An app may be given application roles only, never an admin role.
        run(
            &mut t,
            "New-ServicePrincipal",
            json!({"AppId": app, "ObjectId": "sp-1", "DisplayName": "blueprint"}),
        )
        .unwrap();
        let direct = run(
            &mut t,
            "New-ManagementRoleAssignment",
            json!({"Role": "Address Lists", "App": "sp-1"}),
        )
        .unwrap_err();
        assert_eq!(direct.status, 400);
        // Microsoft's way: a role group holding the role, with the app's reference a member.
        run(
            &mut t,
            "New-RoleGroup",
            json!({"Name": "blueprint Address Lists", "Roles": ["address lists"]}),
        )
        .unwrap();
        assert!(check_management_role(&t, app, "Get-AddressList").is_err());
        run(
            &mut t,
            "Add-RoleGroupMember",
            json!({"Identity": "blueprint Address Lists", "Member": "blueprint"}),
        )
        .unwrap();
        let again = run(
            &mut t,
            "Add-RoleGroupMember",
            json!({"Identity": "blueprint Address Lists", "Member": "sp-1"}),
        )
        .unwrap_err();
        assert!(again.message.contains("already a member"), "{again:?}");
        check_management_role(&t, app, "Set-AddressList").unwrap();
        assert!(check_management_role(&t, "another-app", "Get-AddressList").is_err());
        let assignments = run(
            &mut t,
            "Get-ManagementRoleAssignment",
            json!({"Role": "Address Lists"}),
        )
        .unwrap();
        assert_eq!(assignments.len(), 1);
        assert_eq!(assignments[0]["RoleAssigneeType"], "RoleGroup");
        let members = run(
            &mut t,
            "Get-RoleGroupMember",
            json!({"Identity": "blueprint address lists"}),
        )
        .unwrap();
        assert_eq!(members[0]["AppId"], app);

        // The lists are Exchange's own, and Set-AddressList changes a filter.
        let lists = run(&mut t, "Get-AddressList", json!({})).unwrap();
        assert_eq!(lists.len(), 6);
        run(
            &mut t,
            "Set-AddressList",
            json!({"Identity": "All Rooms", "RecipientFilter": "RecipientDisplayType -eq 'ConferenceRoomMailbox'"}),
        )
        .unwrap();
        let rooms = run(&mut t, "Get-AddressList", json!({"Identity": "all rooms"})).unwrap();
        assert_eq!(
            rooms[0]["RecipientFilter"],
            "RecipientDisplayType -eq 'ConferenceRoomMailbox'"
        );
        let gals = run(&mut t, "Get-GlobalAddressList", json!({})).unwrap();
        assert_eq!(gals.len(), 2);
    }

    #[test]
    fn retention_tags_read_back_their_age_as_a_timespan_and_policies_link_existing_tags() {
        let mut t = tenant();
        let tags = run(&mut t, "Get-RetentionPolicyTag", json!({})).unwrap();
        assert_eq!(tags.len(), 13);
        run(
            &mut t,
            "Set-RetentionPolicyTag",
            json!({"Identity": "1 Week Delete", "AgeLimitForRetention": 8}),
        )
        .unwrap();
        let week = run(
            &mut t,
            "Get-RetentionPolicyTag",
            json!({"Identity": "1 week delete"}),
        )
        .unwrap();
        assert_eq!(week[0]["AgeLimitForRetention"], "8.00:00:00");
        let bad = run(
            &mut t,
            "Set-RetentionPolicyTag",
            json!({"Identity": "1 Week Delete", "AgeLimitForRetention": "a week"}),
        )
        .unwrap_err();
        assert_eq!(bad.status, 400);
        assert_eq!(timespan("14.00:00:00").as_deref(), Some("14.00:00:00"));
        assert_eq!(timespan("01:30").as_deref(), Some("01:30:00"));
        assert_eq!(timespan("1.25:00:00"), None);
        let missing = run(
            &mut t,
            "Set-RetentionPolicy",
            json!({"Identity": "Default MRM Policy", "RetentionPolicyTagLinks": ["No Such Tag"]}),
        )
        .unwrap_err();
        assert_eq!(missing.status, 404);
        run(
            &mut t,
            "Set-RetentionPolicy",
            json!({"Identity": "Default MRM Policy", "RetentionPolicyTagLinks": ["junk email"]}),
        )
        .unwrap();
        let policy = run(&mut t, "Get-RetentionPolicy", json!({})).unwrap();
        assert_eq!(policy[0]["RetentionPolicyTagLinks"], json!(["Junk Email"]));
    }
}
