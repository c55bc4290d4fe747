//! What the engine must know about each resource kind beyond the catalogue's kinds table: how
//! to find an object in the tenant in few round trips, and which parts are written through
//! side doors (Intune assignments through `/assign`, authentication method configurations
//! through their own paths, conditional access state through the enforcement step).

use blueprint_catalogue::DesiredObject;
use blueprint_catalogue::kinds::{IdentityKey, KindSpec};
use serde_json::Value;

/// How the engine finds a desired object's counterpart in the tenant.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The path is the object.
    Singleton,
    /// A filtered query by the identity property (large collections: groups, users).
    Filter(String),
    /// The whole collection, matched locally (small collections: policies, settings).
    ListAll,
}

/// A kind with one object per tenant that lives in a collection (Graph allows one group
/// lifecycle policy): found by listing, created by POST when absent, patched by id.
pub fn is_collection_singleton(kind: &str) -> bool {
    kind == "groupLifecyclePolicy"
}

/// Whether the object is addressed by id (everything but true singletons).
pub fn has_id(object: &DesiredObject) -> bool {
    object.identity_key.is_some() || is_collection_singleton(&object.kind)
}

/// Where an object of `kind` the journal knows lives: a true singleton at the kind's path,
/// anything else by its id under the collection (None without an id).
pub fn journalled_path(kind: &KindSpec, id: Option<&str>) -> Option<String> {
    if kind.identity == IdentityKey::Singleton && !is_collection_singleton(kind.name) {
        return Some(kind.request_path());
    }
    id.map(|id| format!("{}/{id}", kind.request_path()))
}

/// PIM's role settings: the policy assignments of directory roles (Graph requires the scope
/// filter), each with its policy and the policy's rules.
pub const ROLE_POLICY_ASSIGNMENT: &str = "roleManagementPolicyAssignment";
const ROLE_POLICY_SCOPE: &str = "scopeId eq '/' and scopeType eq 'DirectoryRole'";
const ROLE_POLICY_EXPAND: &str = "policy($expand=rules)";

/// The collection query that lists a kind whose list Graph refuses without a filter (the
/// role management policy assignments' scope), with `extra` query options; None for the rest.
pub fn filtered_collection(kind: &KindSpec, extra: &str) -> Option<String> {
    (kind.name == ROLE_POLICY_ASSIGNMENT).then(|| {
        format!(
            "{}?$filter={}{extra}",
            kind.request_path(),
            encode(ROLE_POLICY_SCOPE)
        )
    })
}

pub fn lookup(object: &DesiredObject) -> Lookup {
    if is_collection_singleton(&object.kind) {
        return Lookup::ListAll;
    }
    let Some(key) = &object.identity_key else {
        return Lookup::Singleton;
    };
    match object.kind.as_str() {
        // Every role's policy, found by the role it is assigned to, read whole in one request.
        ROLE_POLICY_ASSIGNMENT => Lookup::Filter(format!(
            "{}?$filter={}&$expand={ROLE_POLICY_EXPAND}",
            object.path,
            encode(ROLE_POLICY_SCOPE)
        )),
        "group" => Lookup::Filter(format!(
            "{}?$filter={}",
            object.path,
            encode(&format!(
                "{key} eq '{}'",
                object.identity.replace('\'', "''")
            ))
        )),
        "user" => Lookup::Filter(format!(
            "{}?$filter={}&$select=id,displayName,userPrincipalName,accountEnabled",
            object.path,
            encode(&format!(
                "{key} eq '{}'",
                object.identity.replace('\'', "''")
            ))
        )),
        _ => Lookup::ListAll,
    }
}

/// The read path for a desired object (the query that finds it).
pub fn read_path(object: &DesiredObject) -> String {
    match lookup(object) {
        Lookup::Singleton | Lookup::ListAll => object.path.clone(),
        Lookup::Filter(p) => p,
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Intune's default enrolment configurations: one per derived type at priority 0, all named
/// "All users and all devices", so found by type among the defaults (a configuration an agency
/// made of the same type has a priority of 1 or more). The beta kind reaches the same objects.
pub const ENROLMENT_DEFAULTS: [&str; 2] =
    ["deviceEnrollmentDefault", "deviceEnrollmentDefaultBeta"];

/// Whether a tenant object is the desired object's counterpart (same identity value).
pub fn is_counterpart(object: &DesiredObject, candidate: &Value) -> bool {
    if ENROLMENT_DEFAULTS.contains(&object.kind.as_str())
        && candidate["priority"].as_i64() != Some(0)
    {
        return false;
    }
    match &object.identity_key {
        None => true,
        Some(key) => match (
            candidate.get(key).and_then(Value::as_str),
            object.kind.as_str(),
        ) {
            (Some(v), "user") => v.eq_ignore_ascii_case(&object.identity),
            (Some(v), _) => v == object.identity,
            _ => false,
        },
    }
}

/// The object a desired object of an adding kind ([`KindSpec::adds_to`]: Graph beta's
/// compliance settings) adds its settings to: the base kind's reference of the same identity,
/// whose resource creates it.
pub fn base_reference(object: &DesiredObject) -> Option<String> {
    let base = blueprint_catalogue::kinds::kind(&object.kind)?.adds_to()?;
    Some(blueprint_catalogue::catalogue::reference_text(
        base.name,
        &object.identity,
    ))
}

/// Properties written through a side door rather than the object's own POST/PATCH.
pub const ASSIGNMENTS: &str = "assignments";
pub const METHOD_CONFIGURATIONS: &str = "authenticationMethodConfigurations";

/// The property of `kind` whose keyed items Graph writes one at a time, each at its own path:
/// an authentication method configuration, a PIM policy's rule (`policy` holds `rules`).
pub fn written_per_item(kind: &str) -> Option<&'static str> {
    match kind {
        "authenticationMethodsPolicy" => Some(METHOD_CONFIGURATIONS),
        ROLE_POLICY_ASSIGNMENT => Some("policy"),
        _ => None,
    }
}

/// The items in a value of that property.
fn items_in<'v>(kind: &str, value: &'v Value) -> &'v [Value] {
    let list = match kind {
        ROLE_POLICY_ASSIGNMENT => &value["rules"],
        _ => value,
    };
    list.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The writes (path and body) that give the object at `path`, now `current`, the items of
/// `wanted` (a value of [`written_per_item`]'s property): one PATCH per item that differs. A
/// rule is sent whole (its type named, its setting complete), the tenant's values under the
/// blueprint's; a method configuration with the blueprint's fields.
pub fn item_writes(
    kind: &str,
    path: &str,
    current: &Value,
    wanted: &Value,
) -> Result<Vec<(String, Value)>, String> {
    let Some(property) = written_per_item(kind) else {
        return Ok(Vec::new());
    };
    let now = items_in(kind, &current[property]);
    let mut writes = Vec::new();
    for item in items_in(kind, wanted) {
        let id = item["id"]
            .as_str()
            .ok_or_else(|| format!("an item of {property} without id"))?;
        let was = now.iter().find(|c| c["id"].as_str() == Some(id));
        if was.is_some_and(|c| crate::compare::diff(item, c, &[]).is_empty()) {
            continue;
        }
        let (at, mut body) = match kind {
            ROLE_POLICY_ASSIGNMENT => {
                let policy = current["policy"]["id"]
                    .as_str()
                    .or_else(|| current["policyId"].as_str())
                    .ok_or("the role's policy has no id")?;
                let mut rule = was
                    .cloned()
                    .ok_or_else(|| format!("the policy has no rule {id}"))?;
                crate::merge_into(&mut rule, item);
                (
                    format!("/policies/roleManagementPolicies/{policy}/rules/{id}"),
                    rule,
                )
            }
            _ => (format!("{path}/{property}/{id}"), item.clone()),
        };
        if let Some(m) = body.as_object_mut() {
            m.remove("id");
        }
        writes.push((at, body));
    }
    Ok(writes)
}

pub fn has_assignments(kind: &str) -> bool {
    matches!(
        kind,
        "deviceCompliancePolicy" | "deviceConfiguration" | "configurationPolicy"
    )
}

/// A navigation property Graph returns only when asked (`$expand`), which the blueprint sets
/// and so must read: a settings catalog policy's `settings`.
pub fn expanded(kind: &str) -> Option<&'static str> {
    (kind == "configurationPolicy").then_some("settings")
}

/// The path that reads one object of `kind` at `path` whole: with its expanded navigation
/// property, when it has one (a role's policy assignment with the policy and its rules, which
/// its lookup reads expanded already).
pub fn read_one(kind: &str, path: &str) -> String {
    let nav = match kind {
        ROLE_POLICY_ASSIGNMENT => Some(ROLE_POLICY_EXPAND),
        _ => expanded(kind),
    };
    match nav {
        Some(nav) => format!("{path}?$expand={nav}"),
        None => path.to_string(),
    }
}

/// The body of a whole-object `PUT`: the object's writable properties as `current` holds them
/// (the side doors left out), with `desired` laid over them; keyed arrays keep the tenant's
/// items the blueprint does not name.
pub fn whole_body(kind: &KindSpec, current: &Value, desired: &Value) -> Value {
    let mut body = serde_json::Map::new();
    for (k, v) in current.as_object().into_iter().flatten() {
        if kind.allows(k, None) && k != ASSIGNMENTS {
            body.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in desired.as_object().into_iter().flatten() {
        if k == ASSIGNMENTS {
            continue;
        }
        let merged = match kind.keyed_arrays.iter().find(|(p, _)| p == k) {
            Some((_, key)) => crate::apply::merge_keyed(&current[k.as_str()], v, key),
            None => v.clone(),
        };
        body.insert(k.clone(), merged);
    }
    Value::Object(body)
}

/// Conditional access policies go out report-only first (DESIGN.md).
pub fn is_conditional_access(kind: &str) -> bool {
    kind == "conditionalAccessPolicy"
}

pub const REPORT_ONLY: &str = "enabledForReportingButNotEnforced";

pub fn keyed_arrays(kind: &str) -> &'static [(&'static str, &'static str)] {
    blueprint_catalogue::kinds::kind(kind)
        .map(|k| k.keyed_arrays)
        .unwrap_or(&[])
}
