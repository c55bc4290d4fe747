//! How the engine reaches each resource kind, from the facts its catalogue entry states
//! ([`blueprint_catalogue::kinds::Access`]): how to find an object in the tenant in few round
//! trips, and which parts are written through side doors (Intune assignments through `/assign`,
//! per-item writes, conditional access state through the enforcement step). Nothing here names
//! a kind but conditional access, whose report-only first step is the design's own rule.

use blueprint_catalogue::DesiredObject;
use blueprint_catalogue::kinds::{
    self, ActionWrite, Find, IdentityKey, ItemPath, KindSpec, PerItem, SetByAction,
};
use serde_json::Value;

/// How the engine finds a desired object's counterpart in the tenant.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The path is the object.
    Singleton,
    /// A filtered query (large collections: groups, users; collections Graph refuses to list
    /// without a filter), matched locally.
    Filter(String),
    /// The whole collection, matched locally (small collections: policies, settings).
    ListAll,
}

fn access_of(kind: &str) -> Option<&'static KindSpec> {
    kinds::kind(kind)
}

/// A kind with one object per tenant that lives in a collection ([`Find::OnlyOneInCollection`]).
pub fn is_collection_singleton(kind: &str) -> bool {
    access_of(kind).is_some_and(|k| k.access.find == Find::OnlyOneInCollection)
}

/// Whether the object is addressed by id (everything but true singletons).
pub fn has_id(object: &DesiredObject) -> bool {
    object.identity_key.is_some() || is_collection_singleton(&object.kind)
}

/// Where an object of `kind` the journal knows lives: a true singleton at the kind's path,
/// anything else by its id under the collection (None without an id).
pub fn journalled_path(kind: &KindSpec, id: Option<&str>) -> Option<String> {
    if kind.identity == IdentityKey::Singleton && kind.access.find != Find::OnlyOneInCollection {
        return Some(kind.request_path());
    }
    id.map(|id| format!("{}/{id}", kind.request_path()))
}

/// The collection query that lists a kind whose list Graph refuses without a filter
/// ([`blueprint_catalogue::kinds::Access::required_filter`]), with `extra` query options; None
/// for the rest.
pub fn filtered_collection(kind: &KindSpec, extra: &str) -> Option<String> {
    kind.access
        .required_filter
        .map(|filter| format!("{}?$filter={}{extra}", kind.request_path(), encode(filter)))
}

pub fn lookup(object: &DesiredObject) -> Lookup {
    let spec = access_of(&object.kind);
    let access = spec.map(|k| k.access);
    if access.is_some_and(|a| a.find == Find::OnlyOneInCollection) {
        return Lookup::ListAll;
    }
    let Some(key) = &object.identity_key else {
        return Lookup::Singleton;
    };
    let Some(access) = access else {
        return Lookup::ListAll;
    };
    let expand = access
        .expand
        .filter(|e| e.on_list)
        .map(|e| format!("&$expand={}", e.query))
        .unwrap_or_default();
    if let Some(filter) = access.required_filter {
        // Every object the filter admits, read whole in one request, matched locally.
        return Lookup::Filter(format!(
            "{}?$filter={}{expand}",
            object.path,
            encode(filter)
        ));
    }
    match access.find {
        Find::ByIdentity { select } => Lookup::Filter(format!(
            "{}?$filter={}{}{expand}",
            object.path,
            encode(&format!(
                "{key} eq '{}'",
                object.identity.replace('\'', "''")
            )),
            select.map(|s| format!("&$select={s}")).unwrap_or_default()
        )),
        Find::ListAll | Find::OnlyOneInCollection => Lookup::ListAll,
    }
}

/// Where an object of a kind Graph nests under another object's id lives: the kind's path
/// parameter and the reference of the feature's object that finds the parent (among the
/// object's references, which the catalogue gives it: `None` if missing). None for the rest.
pub fn nested_under(object: &DesiredObject) -> Option<(kinds::PathParameter, Option<String>)> {
    let parameter = access_of(&object.kind)?.access.path_parameter?;
    let parent = parameter.parent()?;
    let reference = object
        .references
        .iter()
        .find(|r| r.split(':').next() == Some(parent.name))
        .cloned();
    Some((parameter, reference))
}

/// The read path for a desired object (the query that finds it).
pub fn read_path(object: &DesiredObject) -> String {
    match lookup(object) {
        Lookup::Singleton | Lookup::ListAll => object.path.clone(),
        Lookup::Filter(p) => p,
    }
}

pub(crate) fn encode(text: &str) -> String {
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

/// Whether a tenant object is the desired object's counterpart (same identity value).
pub fn is_counterpart(object: &DesiredObject, candidate: &Value) -> bool {
    let Some(key) = &object.identity_key else {
        return true;
    };
    let access = access_of(&object.kind).map(|k| k.access);
    if let Some((property, value)) = access.and_then(|a| a.only_where)
        && candidate[property].as_i64() != Some(value)
    {
        return false;
    }
    if let Some(odata_type) = access.and_then(|a| a.only_of_type)
        && candidate["@odata.type"].as_str() != Some(odata_type)
    {
        return false;
    }
    if access.is_some_and(|a| a.only_of_own_type)
        && candidate["@odata.type"] != object.desired["@odata.type"]
    {
        return false;
    }
    let ignores_case = access.is_some_and(|a| a.identity_ignores_case);
    let value = candidate.get(key).and_then(Value::as_str);
    // A kind identified by two properties (a device platform restriction: its name on its
    // platform) compares both, as the catalogue wrote them.
    let qualified = access.and_then(|a| a.identity_qualifier).map(|q| {
        value
            .zip(candidate.get(q).and_then(Value::as_str))
            .map(|(name, qualifier)| kinds::qualified_identity(name, qualifier))
    });
    let value = match &qualified {
        Some(identity) => identity.as_deref(),
        None => value,
    };
    match value {
        Some(v) if ignores_case => v.eq_ignore_ascii_case(&object.identity),
        Some(v) => v == object.identity,
        None => false,
    }
}

/// The object a desired object of an adding kind ([`KindSpec::adds_to`]: Graph beta's
/// compliance and profile settings) adds its settings to: the base kind's reference of the same
/// identity, whose resource creates it.
pub fn base_reference(object: &DesiredObject) -> Option<String> {
    let odata_type = object.desired.get("@odata.type").and_then(Value::as_str);
    let base = access_of(&object.kind)?.adds_to(odata_type)?;
    Some(blueprint_catalogue::catalogue::reference_text(
        base.name,
        &object.identity,
    ))
}

/// Whether a desired object of an adding kind is its base's object as another service shows
/// it (Exchange Online's face of a Microsoft 365 group Graph made): that service has its own
/// ids, so the object is found by its own identity there, and only once the service has
/// provisioned it, never by the base's id.
pub fn provisioned_elsewhere(object: &DesiredObject) -> bool {
    let odata_type = object.desired.get("@odata.type").and_then(Value::as_str);
    access_of(&object.kind).is_some_and(|k| {
        k.adds_to(odata_type)
            .is_some_and(|base| k.api.is_cmdlet_api() && !base.api.is_cmdlet_api())
    })
}

/// Properties written through a side door rather than the object's own POST/PATCH.
pub const ASSIGNMENTS: &str = "assignments";

fn per_item(kind: &str) -> Option<PerItem> {
    access_of(kind)?.access.per_item
}

/// The property of `kind` whose keyed items Graph writes one at a time, each at its own path:
/// an authentication method configuration, a PIM policy's rule (`policy` holds `rules`).
pub fn written_per_item(kind: &str) -> Option<&'static str> {
    per_item(kind).map(|p| p.property)
}

/// The items in a value of that property.
fn items_in(per_item: PerItem, value: &Value) -> &[Value] {
    let list = match per_item.items {
        Some(inner) => &value[inner],
        None => value,
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
    let Some(per_item) = per_item(kind) else {
        return Ok(Vec::new());
    };
    let property = per_item.property;
    let now = items_in(per_item, &current[property]);
    let mut writes = Vec::new();
    for item in items_in(per_item, wanted) {
        let id = item["id"]
            .as_str()
            .ok_or_else(|| format!("an item of {property} without id"))?;
        let was = now.iter().find(|c| c["id"].as_str() == Some(id));
        if was.is_some_and(|c| crate::compare::diff(item, c, &[]).is_empty()) {
            continue;
        }
        let (at, mut body) = match per_item.at {
            ItemPath::RoleManagementPolicyRule => {
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
            ItemPath::UnderObject => (format!("{path}/{property}/{id}"), item.clone()),
        };
        if let Some(m) = body.as_object_mut() {
            m.remove("id");
        }
        writes.push((at, body));
    }
    Ok(writes)
}

/// Whether the kind's `assignments` go through `/assign` ([`KindSpec::has_assignments`]).
pub fn has_assignments(kind: &str) -> bool {
    access_of(kind).is_some_and(KindSpec::has_assignments)
}

/// Where an object the tool created comes in the order such objects are removed (lowest
/// first), by a rollback and by a deploy allowed to delete alike; `object` is the object as
/// last read or journalled, when known. What names others goes before what it names:
/// conditional access policies (groups, locations, terms of use) and label policies (the
/// labels they publish, which Security & Compliance will not remove while published), then
/// whatever is assigned to groups (Intune), then the rest; sensitivity labels come last, a
/// sublabel before its parent (a label with sublabels is not removed either).
fn removal_order(kind: &str, object: Option<&Value>) -> u8 {
    match kind {
        "conditionalAccessPolicy" | "labelPolicy" => 0,
        _ if has_assignments(kind) => 1,
        "agreement" | "namedLocation" => 2,
        "groupSetting" | "groupLifecyclePolicy" => 3,
        "label" if object.is_some_and(has_parent) => 5,
        "label" => 6,
        _ => 4,
    }
}

/// Sorts objects the tool created into the order they are removed in (stable: objects of one
/// rank keep their order), `of` giving each one's kind and, when known, the object.
pub fn sort_for_removal<T>(items: &mut [T], of: impl Fn(&T) -> (&str, Option<&Value>)) {
    items.sort_by_key(|item| {
        let (kind, object) = of(item);
        removal_order(kind, object)
    });
}

/// Whether a sensitivity label is a sublabel: it names its parent (by GUID as Get-Label reads
/// it, by name as the blueprint compares it).
fn has_parent(label: &Value) -> bool {
    label
        .get("ParentId")
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty())
}

/// A navigation property Graph returns only when asked (`$expand`) and not on the list the
/// lookup reads, which the blueprint sets and so must read object by object: a settings
/// catalog policy's `settings`.
pub fn expanded(kind: &str) -> Option<&'static str> {
    access_of(kind)?
        .access
        .expand
        .filter(|e| !e.on_list)
        .map(|e| e.query)
}

/// Whether Graph returns some of `kind`'s properties only when one object is read by id
/// (a script's `scriptContent`): each object found on the list is then read again on its own.
pub fn reads_by_id(kind: &str) -> bool {
    access_of(kind).is_some_and(|k| k.reads_by_id())
}

/// The path that reads one object of `kind` at `path` whole: with its expanded navigation
/// property, when it has one (a role's policy assignment with the policy and its rules), and
/// with the properties the lookup selects, when Graph returns some only on `$select` (a
/// group's `assignedLicenses`).
pub fn read_one(kind: &str, path: &str) -> String {
    let access = access_of(kind).map(|k| k.access);
    let mut options = Vec::new();
    if let Some(expand) = access.and_then(|a| a.expand) {
        options.push(format!("$expand={}", expand.query));
    }
    if let Some(Find::ByIdentity {
        select: Some(select),
    }) = access.map(|a| a.find)
    {
        options.push(format!("$select={select}"));
    }
    if options.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", options.join("&"))
    }
}

/// The property of `kind` written through an action of its object
/// ([`KindSpec::written_by_action`]: a group's licences through `assignLicense`).
pub fn written_by_action(kind: &str) -> Option<ActionWrite> {
    access_of(kind)?.written_by_action()
}

/// The keys of the items in a value of an action-written property.
fn action_keys(write: ActionWrite, value: &Value) -> Vec<Value> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.get(write.key).cloned())
        .collect()
}

/// The action request (path and body) that gives the object at `path` the items of `add`
/// (each added, or changed to the given value) and removes the items keyed `remove`. Items
/// neither names keep their value: the action changes only what it is told.
pub fn action_write(
    write: ActionWrite,
    path: &str,
    add: &Value,
    remove: &[Value],
) -> (String, Value) {
    let items: Vec<Value> = add.as_array().cloned().unwrap_or_default();
    (
        format!("{path}/{}", write.action),
        serde_json::json!({ write.add: items, write.remove: remove }),
    )
}

/// What puts an action-written property back to `before` after a change that left it `after`,
/// when it now reads `current`: every item it had before, at its value before, and the removal
/// of the items the change added (and only those: an item someone else added since stays).
pub fn action_restore(
    write: ActionWrite,
    path: &str,
    before: &Value,
    after: &Value,
    current: &Value,
) -> (String, Value) {
    let had = action_keys(write, before);
    let now = action_keys(write, current);
    let added: Vec<Value> = action_keys(write, after)
        .into_iter()
        .filter(|k| !had.contains(k) && now.contains(k))
        .collect();
    let restore = Value::Array(before.as_array().cloned().unwrap_or_default());
    action_write(write, path, &restore, &added)
}

/// The collection of `kind` written through an action that replaces it
/// ([`KindSpec::set_by_action`]: an app protection policy's `apps` through `targetApps`).
pub fn set_by_action(kind: &str) -> Option<SetByAction> {
    access_of(kind)?.set_by_action()
}

/// The action request (path and body) that gives the object at `path`, whose collection now
/// reads `current`, the blueprint's items of `desired`: the action replaces the whole
/// collection, so the body holds the tenant's items with the blueprint's laid over them (an
/// app someone added by hand stays).
pub fn set_action_write(
    write: SetByAction,
    path: &str,
    current: &Value,
    desired: &Value,
) -> (String, Value) {
    let items = crate::apply::merge_keyed(current, desired, write.key);
    (
        format!("{path}/{}", write.action),
        serde_json::json!({ write.parameter: items }),
    )
}

/// What puts a collection written through a replacing action back to `before` after a change
/// that left it `after`, when it now reads `current`: the items the snapshot held, and the
/// items someone added since the change (in `current`, not in `after`), which are not the
/// sprint's to remove.
pub fn set_action_restore(
    write: SetByAction,
    path: &str,
    before: &Value,
    after: &Value,
    current: &Value,
) -> (String, Value) {
    let key_of = |v: &Value| crate::compare::item_key(v, write.key);
    let left: Vec<Option<Value>> = after.as_array().into_iter().flatten().map(key_of).collect();
    let mut items: Vec<Value> = before.as_array().cloned().unwrap_or_default();
    for item in current.as_array().into_iter().flatten() {
        let key = key_of(item);
        let known = items.iter().any(|i| key_of(i) == key);
        if key.is_some() && !known && !left.contains(&key) {
            items.push(item.clone());
        }
    }
    (
        format!("{path}/{}", write.action),
        serde_json::json!({ write.parameter: items }),
    )
}

/// The keys of `desired`'s action-written items that the tenant may not use: not among the
/// `available` items' keys (a licence the tenant has not bought). Empty when the kind lists
/// none.
pub fn unavailable_keys(kind: &str, desired: &Value, available: &[Value]) -> Vec<String> {
    let Some(write) = written_by_action(kind) else {
        return Vec::new();
    };
    let Some(list) = write.available else {
        return Vec::new();
    };
    let have: Vec<&Value> = available.iter().filter_map(|a| a.get(list.key)).collect();
    action_keys(write, &desired[write.property])
        .into_iter()
        .filter(|k| !have.contains(&k))
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| k.to_string())
        })
        .collect()
}

/// The body of a whole-object `PUT`: the object's writable properties as `current` holds them
/// (the side doors left out), with `desired` laid over them; keyed arrays keep the tenant's
/// items the blueprint does not name, and a nested object keeps the tenant's properties the
/// blueprint does not name (a device registration policy's `azureADJoin.localAdmins` when the
/// blueprint sets only `allowedToJoin`), unless the blueprint names another derived type there.
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
            None => laid_over(&current[k.as_str()], v),
        };
        body.insert(k.clone(), merged);
    }
    Value::Object(body)
}

/// `desired` laid over `current`: objects property by property, where both are objects of the
/// same type (no `@odata.type`, or the same one); anything else is the desired value.
fn laid_over(current: &Value, desired: &Value) -> Value {
    match (current, desired) {
        (Value::Object(c), Value::Object(d))
            if d.get("@odata.type")
                .is_none_or(|t| c.get("@odata.type") == Some(t)) =>
        {
            let mut out = c.clone();
            for (k, v) in d {
                let merged = laid_over(c.get(k).unwrap_or(&Value::Null), v);
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => desired.clone(),
    }
}

/// Conditional access policies go out report-only first (DESIGN.md).
pub fn is_conditional_access(kind: &str) -> bool {
    kind == "conditionalAccessPolicy"
}

pub const REPORT_ONLY: &str = "enabledForReportingButNotEnforced";

pub fn keyed_arrays(kind: &str) -> &'static [(&'static str, &'static str)] {
    kinds::kind(kind).map(|k| k.keyed_arrays).unwrap_or(&[])
}
