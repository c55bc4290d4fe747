//! The plan: for every desired object, create, update (with the field-level changes) or leave
//! unchanged, after matching it to the tenant by identity key (adopting an existing object
//! rather than duplicating it) and resolving references to ids. References are the edges of
//! the dependency graph the deploy walks.

use std::collections::BTreeMap;

use blueprint_catalogue::DesiredObject;
use serde_json::{Map, Value, json};

use crate::compare::{FieldDiff, diff};
use crate::observe::Observation;
use crate::resources;

pub use blueprint_report::plan::{Action, Op, Orphan, Plan};

/// Where references get their ids.
pub trait RefLookup {
    /// The id of the object a `kind:identity` reference names.
    fn id(&self, reference: &str) -> Option<String>;
    /// Every id of a kind the tenant defines (for `kind:*`, e.g. every directory role).
    fn all(&self, kind: &str) -> Vec<String>;
}

/// Replaces every `{"$ref": "kind:identity"}` with its id, and splices `{"$ref": "kind:*"}`
/// in a list into every id of the kind. An unknown reference becomes a placeholder naming it
/// (for display) and is reported in `unresolved`.
pub fn resolve_refs(value: &Value, lookup: &dyn RefLookup, unresolved: &mut Vec<String>) -> Value {
    use blueprint_catalogue::node::{REF_KEY, marker};
    let marker = |v| marker(v, REF_KEY);
    if let Some(r) = marker(value) {
        return match lookup.id(r) {
            Some(id) => Value::String(id),
            None => {
                unresolved.push(r.to_string());
                Value::String(format!("<id of {r}>"))
            }
        };
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_refs(v, lookup, unresolved)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match marker(item).and_then(|r| r.strip_suffix(":*")) {
                    Some(kind) => out.extend(lookup.all(kind).into_iter().map(Value::String)),
                    None => out.push(resolve_refs(item, lookup, unresolved)),
                }
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

/// The fields compared for an object: the blueprint's, with the conditional-access state left
/// out unless enforcing (policies stay report-only until an explicit enforcement step).
pub fn compared_fields(object: &DesiredObject, resolved: &Value, enforce: bool) -> Value {
    let mut v = resolved.clone();
    if resources::is_conditional_access(&object.kind)
        && !enforce
        && let Some(map) = v.as_object_mut()
    {
        map.remove("state");
    }
    v
}

/// The tenant object as compared: with its Intune assignments attached (targets, and an app's
/// intent and settings).
pub fn comparable_actual(
    object: &DesiredObject,
    current: &Value,
    observation: &Observation,
) -> Value {
    let assignments = current["id"]
        .as_str()
        .and_then(|id| observation.assignments.get(id))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    with_assignments(&object.kind, current, assignments)
}

/// The tenant object of `kind` with its Intune assignments attached (targets, and an app's
/// intent and settings), as compared and as the journal's snapshots hold it.
pub fn with_assignments(kind: &str, current: &Value, assignments: &[Value]) -> Value {
    let mut actual = current.clone();
    if resources::has_assignments(kind) && current.is_object() {
        // The target, and an app assignment's install intent (required, available…) and
        // settings (a VPP app's licence type), when Graph has them.
        let targets: Vec<Value> = assignments
            .iter()
            .map(|a| {
                let mut compared = json!({"target": a["target"].clone()});
                for property in ["intent", "settings"] {
                    if let Some(value) = a.get(property).filter(|v| !v.is_null()) {
                        compared[property] = value.clone();
                    }
                }
                compared
            })
            .collect();
        actual[resources::ASSIGNMENTS] = Value::Array(targets);
    }
    actual
}

/// Create, update (with the differences) or unchanged, for one object against its
/// counterpart (already carrying its assignments).
pub fn classify(
    object: &DesiredObject,
    actual: Option<&Value>,
    lookup: &dyn RefLookup,
    enforce: bool,
) -> (Op, Vec<FieldDiff>) {
    let mut unresolved = Vec::new();
    let compared = compared_fields(
        object,
        &resolve_refs(&object.desired, lookup, &mut unresolved),
        enforce,
    );
    match actual {
        None => (Op::Create, top_level_fields(&compared)),
        Some(actual) => {
            let changes = diff(&compared, actual, resources::keyed_arrays(&object.kind));
            (
                if changes.is_empty() {
                    Op::Unchanged
                } else {
                    Op::Update
                },
                changes,
            )
        }
    }
}

/// Why a desired object the tenant lacks is not created, when it is not: a prerequisite
/// resource, or a kind the tool never creates (adopted-only, checked-only). The one rule the
/// plan blocks with and the deploy walk refuses a create by.
pub(crate) fn never_created(object: &DesiredObject) -> Option<String> {
    if object.prerequisite {
        return Some(format!(
            "prerequisite {} does not exist; the tool never creates it. Create it by hand (see the feature's manual steps), then plan again.",
            object.reference
        ));
    }
    let why = blueprint_catalogue::kinds::kind(&object.kind)?.never_created()?;
    Some(format!(
        "{} does not exist, and the tool never creates a {}: {why}. Then plan again.",
        object.reference, object.kind
    ))
}

/// Builds the plan from the desired objects and what the tenant holds.
pub fn plan(objects: &[&DesiredObject], observation: &Observation, enforce: bool) -> Plan {
    let lookup = observation;
    let mut actions = Vec::new();
    for object in objects {
        let mut action = Action {
            feature: object.feature.clone(),
            kind: object.kind.clone(),
            api: blueprint_catalogue::kinds::kind(&object.kind).map_or("", |k| k.api.as_str()),
            reference: object.reference.clone(),
            op: Op::Unchanged,
            object_id: None,
            changes: Vec::new(),
            depends_on: object.references.clone(),
            blocked: None,
            object: (*object).clone(),
            current: None,
        };
        // Compared by evaluate, never written, and not read to plan (observe::Purpose).
        if crate::observe::is_public_dns(object) {
            action.op = Op::Check;
            actions.push(action);
            continue;
        }
        let refused = never_created(object);
        match observation.single(&object.reference) {
            Err(n) => {
                action.op = if object.prerequisite {
                    Op::Check
                } else {
                    Op::Update
                };
                action.blocked = Some(format!(
                    "{n} objects in the tenant match {}; the tool will not guess which to manage. Rename or remove the extras, then plan again.",
                    object.reference
                ));
            }
            // An object of an adding kind is created by its base kind's resource, which the
            // walk runs first: its settings are an update of that object.
            Ok(None) if resources::base_reference(object).is_some() => {
                (_, action.changes) = classify(object, None, lookup, enforce);
                action.op = Op::Update;
            }
            Ok(None) if refused.is_some() => {
                action.op = if object.prerequisite {
                    Op::Check
                } else {
                    Op::Update
                };
                action.blocked = refused;
            }
            // Compared by evaluate, never written: nothing to do but look.
            Ok(Some(current))
                if blueprint_catalogue::kinds::kind(&object.kind)
                    .is_some_and(|k| k.is_evaluated_only()) =>
            {
                action.op = Op::Check;
                action.object_id = current["id"].as_str().map(str::to_string);
                action.current = Some(current.clone());
            }
            Ok(Some(current)) if object.prerequisite => {
                action.op = Op::Check;
                action.object_id = current["id"].as_str().map(str::to_string);
                action.current = Some(current.clone());
            }
            Ok(None) => {
                (action.op, action.changes) = classify(object, None, lookup, enforce);
            }
            Ok(Some(current)) => {
                action.object_id = current["id"].as_str().map(str::to_string);
                action.current = Some(current.clone());
                let actual = comparable_actual(object, current, observation);
                (action.op, action.changes) = classify(object, Some(&actual), lookup, enforce);
            }
        }
        if action.blocked.is_none()
            && let Some(list) = resources::written_by_action(&object.kind).and_then(|w| w.available)
        {
            let listed = observation
                .available
                .get(list.path)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let missing = resources::unavailable_keys(&object.kind, &object.desired, listed);
            if !missing.is_empty() {
                action.blocked = Some(format!(
                    "the tenant has no {} {} (not in {}): {}",
                    list.noun,
                    missing.join(", "),
                    list.path,
                    list.remedy
                ));
            }
        }
        if action.blocked.is_none()
            && let Some(write) = resources::written_by_action(&object.kind)
            && let Some(defs) = write.definitions
        {
            let missing =
                crate::definitions::missing(write, &object.desired, &observation.available);
            if !missing.is_empty() {
                action.blocked = Some(format!(
                    "the tenant has no administrative template setting {} (class | category path | name, among {}); Intune refuses a value for a setting it does not define: {}, then plan again",
                    missing.join("; "),
                    defs.path,
                    defs.remedy
                ));
            }
        }
        actions.push(action);
    }
    // A missing prerequisite or an ambiguous object blocks everything that depends on it.
    let blocked: BTreeMap<String, String> = actions
        .iter()
        .filter_map(|a| {
            a.blocked
                .as_ref()
                .map(|_| (a.reference.clone(), a.reference.clone()))
        })
        .collect();
    for a in actions.iter_mut().filter(|a| a.blocked.is_none()) {
        if let Some(r) = a.depends_on.iter().find(|r| blocked.contains_key(*r)) {
            a.blocked = Some(format!("depends on {r}, which is blocked"));
        }
    }
    Plan {
        actions,
        enforce,
        orphans: Vec::new(),
        allow_delete: false,
    }
}

fn top_level_fields(v: &Value) -> Vec<FieldDiff> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| FieldDiff {
                    path: k.clone(),
                    expected: v.clone(),
                    actual: Value::Null,
                })
                .collect()
        })
        .unwrap_or_default()
}
