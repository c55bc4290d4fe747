//! Items bound to definitions the service owns ([`blueprint_catalogue::kinds::Definitions`]):
//! an administrative template's values, each naming one of Intune's `groupPolicyDefinitions`
//! and, for its options, the definition's `presentations`. Their ids are GUIDs Intune assigns
//! per tenant, so the blueprint names a definition by the properties of the item's key (class,
//! category path, display name: how the ABAC names a setting) and an option by its `label`;
//! the engine finds them (`$filter` by category path, the rest matched here; then
//! `{definition}/presentations`) and writes each item through the kind's action
//! (`updateDefinitionValues`): `added` bound with `definition@odata.bind` and
//! `presentation@odata.bind`, `updated` by the tenant's value id, `deletedIds`.

use std::collections::BTreeMap;

use blueprint_catalogue::kinds::{ActionWrite, Definitions};
use serde_json::{Map, Value, json};

use blueprint_graph::GraphError;

use crate::apply::Failure;
use crate::compare::{item_key, key_text};
use crate::route::TenantApis;

const GRAPH: &str = "#microsoft.graph.";

/// Properties Graph sets on read that a write never carries.
const READ_ONLY: [&str; 4] = ["id", "createdDateTime", "lastModifiedDateTime", "version"];

/// The key's properties of the definition (`classType`, `categoryPath`, `displayName`).
fn key_properties(write: ActionWrite, defs: &Definitions) -> Vec<&'static str> {
    let prefix_len = defs.property.len() + 1;
    write
        .key
        .split('+')
        .filter(|p| p.starts_with(defs.property) && p.len() > prefix_len)
        .map(|p| &p[prefix_len..])
        .collect()
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The query listing the definitions an item may name: the collection filtered by the item's
/// value of [`Definitions::filter_by`].
fn query_for(defs: &Definitions, item: &Value) -> Option<String> {
    let by = item[defs.property][defs.filter_by].as_str()?;
    let filter = format!("{} eq '{}'", defs.filter_by, by.replace('\'', "''"));
    Some(format!(
        "/beta{}?$filter={}",
        defs.path,
        crate::resources::encode(&filter)
    ))
}

/// The queries that list every definition `desired`'s items name (one per category path).
pub fn queries(write: ActionWrite, desired: &Value) -> Vec<String> {
    let Some(defs) = write.definitions else {
        return Vec::new();
    };
    let mut out: Vec<String> = items(&desired[write.property])
        .iter()
        .filter_map(|i| query_for(defs, i))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The definition `item` names among the listed ones.
fn find<'a>(
    write: ActionWrite,
    defs: &Definitions,
    item: &Value,
    listed: &'a BTreeMap<String, Vec<Value>>,
) -> Option<&'a Value> {
    let named = &item[defs.property];
    let list = listed.get(&query_for(defs, item)?)?;
    let keys = key_properties(write, defs);
    list.iter().find(|d| {
        keys.iter()
            .all(|k| d.get(*k).is_some() && d[*k] == named[*k])
    })
}

/// The definitions `desired`'s items name that the tenant does not have, as a person reads
/// them (`machine | \Microsoft Edge | Configure Do Not Track`).
pub fn missing(
    write: ActionWrite,
    desired: &Value,
    listed: &BTreeMap<String, Vec<Value>>,
) -> Vec<String> {
    let Some(defs) = write.definitions else {
        return Vec::new();
    };
    items(&desired[write.property])
        .iter()
        .filter(|i| find(write, defs, i, listed).is_none())
        .map(|i| key_text(&item_key(i, write.key).unwrap_or(Value::Null)))
        .collect()
}

/// The value type that fills a presentation of this type (Microsoft's beta metadata: a text
/// box, combo box or drop-down list takes text, a decimal text box a number, a check box a
/// boolean, a list box name/value pairs, a multi-line text box strings). None for a label.
fn value_type(presentation: &Value) -> Option<&'static str> {
    let t = presentation["@odata.type"]
        .as_str()?
        .trim_start_matches(GRAPH);
    Some(match t {
        "groupPolicyPresentationTextBox"
        | "groupPolicyPresentationComboBox"
        | "groupPolicyPresentationDropdownList" => "groupPolicyPresentationValueText",
        "groupPolicyPresentationDecimalTextBox" => "groupPolicyPresentationValueDecimal",
        "groupPolicyPresentationCheckBox" => "groupPolicyPresentationValueBoolean",
        "groupPolicyPresentationListBox" => "groupPolicyPresentationValueList",
        "groupPolicyPresentationMultiTextBox" => "groupPolicyPresentationValueMultiText",
        _ => return None,
    })
}

/// The desired items as Graph reads them, with the tenant's definitions and presentations in
/// place of the names: what [`body`] binds. Fails naming the setting or option the tenant
/// lacks.
async fn resolve(
    client: &TenantApis,
    write: ActionWrite,
    defs: &Definitions,
    wanted: &Value,
) -> Result<Vec<Value>, String> {
    let desired = json!({ write.property: wanted });
    let paths = queries(write, &desired);
    let mut listed = BTreeMap::new();
    for (path, result) in paths.iter().zip(client.get_many(&paths).await) {
        let v = result.map_err(|e| format!("reading {path}: {e}"))?;
        listed.insert(path.clone(), items(&v["value"]).to_vec());
    }
    let mut found = Vec::new();
    for item in items(wanted) {
        let def = find(write, defs, item, &listed).ok_or_else(|| {
            format!(
                "the tenant has no administrative template setting {}",
                key_text(&item_key(item, write.key).unwrap_or(Value::Null))
            )
        })?;
        found.push(def.clone());
    }
    // The options of the definitions whose values the blueprint gives, one batch.
    let with_values: Vec<String> = items(wanted)
        .iter()
        .zip(&found)
        .filter(|(i, _)| !items(&i[defs.values]).is_empty())
        .filter_map(|(_, d)| d["id"].as_str())
        .map(|id| format!("/beta{}/{id}/presentations", defs.path))
        .collect();
    let mut presentations: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (path, result) in with_values.iter().zip(client.get_many(&with_values).await) {
        let v = result.map_err(|e| format!("reading {path}: {e}"))?;
        presentations.insert(path.clone(), items(&v["value"]).to_vec());
    }
    let mut out = Vec::new();
    for (item, def) in items(wanted).iter().zip(found) {
        let mut resolved = item.clone();
        let id = def["id"].as_str().unwrap_or_default().to_string();
        let options = presentations
            .get(&format!("/beta{}/{id}/presentations", defs.path))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut values = Vec::new();
        for value in items(&item[defs.values]) {
            let setting = def["displayName"].as_str().unwrap_or_default();
            // An option named by its label, or, when the setting has one option only, unnamed.
            let presentation = match value["presentation"]["label"].as_str() {
                Some(label) => options
                    .iter()
                    .find(|p| p["label"].as_str() == Some(label))
                    .ok_or_else(|| {
                        format!(
                            "the administrative template setting {setting} has no option labelled '{label}'"
                        )
                    })?,
                None => {
                    let valued: Vec<&Value> =
                        options.iter().filter(|p| value_type(p).is_some()).collect();
                    match valued.as_slice() {
                        [one] => *one,
                        _ => {
                            return Err(format!(
                                "the administrative template setting {setting} has {} options: name each value's option by its label (presentation: {{ label: … }})",
                                valued.len()
                            ));
                        }
                    }
                }
            };
            let mut v = value.clone();
            if v.get("@odata.type").is_none()
                && let Some(t) = value_type(presentation)
            {
                v["@odata.type"] = json!(format!("{GRAPH}{t}"));
            }
            v["presentation"] = presentation.clone();
            values.push(v);
        }
        resolved[defs.property] = def;
        if !values.is_empty() {
            resolved[defs.values] = Value::Array(values);
        }
        out.push(resolved);
    }
    Ok(out)
}

/// Where binds point: the client's Graph root at beta (`https://graph.microsoft.com/beta`).
fn bind_root(client: &TenantApis) -> String {
    let root = client.graph().graph_root().trim_end_matches('/');
    let base = root.strip_suffix("/v1.0").unwrap_or(root);
    format!("{base}/beta")
}

/// One item as the action takes it: bound to its definition (added) or by the tenant's value
/// id (updated, `existing`), its option values bound to their presentations (and, updated,
/// by the tenant's presentation value ids).
fn write_item(defs: &Definitions, root: &str, item: &Value, existing: Option<&Value>) -> Value {
    let def_id = item[defs.property]["id"].as_str().unwrap_or_default();
    let definition = format!("{root}{}('{def_id}')", defs.path);
    let mut out = Map::new();
    for (k, v) in item.as_object().into_iter().flatten() {
        if k == defs.property || k == defs.values || READ_ONLY.contains(&k.as_str()) {
            continue;
        }
        if k.starts_with('@') {
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    match existing.and_then(|e| e["id"].as_str()) {
        Some(id) => {
            out.insert("id".into(), json!(id));
        }
        None => {
            out.insert(format!("{}@odata.bind", defs.property), json!(definition));
        }
    }
    let values: Vec<Value> = items(&item[defs.values])
        .iter()
        .map(|value| {
            let presentation = value["presentation"]["id"].as_str().unwrap_or_default();
            let mut v = Map::new();
            for (k, x) in value.as_object().into_iter().flatten() {
                if k == "presentation" || READ_ONLY.contains(&k.as_str()) || k == "@odata.context" {
                    continue;
                }
                v.insert(k.clone(), x.clone());
            }
            v.insert(
                "presentation@odata.bind".into(),
                json!(format!("{definition}/presentations('{presentation}')")),
            );
            let had = existing.and_then(|e| {
                items(&e[defs.values])
                    .iter()
                    .find(|p| p["presentation"]["id"].as_str() == Some(presentation))
            });
            if let Some(id) = had.and_then(|p| p["id"].as_str()) {
                v.insert("id".into(), json!(id));
            }
            Value::Object(v)
        })
        .collect();
    if !values.is_empty() {
        out.insert(defs.values.into(), Value::Array(values));
    }
    Value::Object(out)
}

/// The action's body for `resolved` items (as Graph reads them, with ids) against the tenant's
/// `current` items: each added, or updated when the tenant holds one with its key; `deleted`
/// value ids removed.
fn body(
    write: ActionWrite,
    defs: &Definitions,
    root: &str,
    resolved: &[Value],
    current: &Value,
    deleted: Vec<Value>,
) -> Value {
    let mut added = Vec::new();
    let mut updated = Vec::new();
    for item in resolved {
        let key = item_key(item, write.key);
        let existing = items(current)
            .iter()
            .find(|c| key.is_some() && item_key(c, write.key) == key);
        match existing {
            Some(e) => updated.push(write_item(defs, root, item, Some(e))),
            None => added.push(write_item(defs, root, item, None)),
        }
    }
    json!({ write.add: added, defs.updated: updated, write.remove: deleted })
}

/// How many times a write whose answer was lost is sent, each after reading the values again
/// (what the lost one applied is then an update, not a second add).
const LOST_ANSWER_ATTEMPTS: u32 = 5;

/// Sends the action bodies `next` builds from the tenant's values (first `current`, then, after
/// a lost answer, the values read again at `read_path`) until one is answered. `just_created`:
/// a 404 is a replica behind the create, looked for again.
async fn send_until_answered(
    client: &TenantApis,
    write: ActionWrite,
    action_path: &str,
    read_path: &str,
    current: &Value,
    just_created: bool,
    next: impl Fn(&Value) -> Value,
) -> Result<(), Failure> {
    let mut current = current.clone();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let body = next(&current);
        let sent = if just_created {
            client.post_action_once_known(action_path, &body).await
        } else {
            client.post_action_once(action_path, &body).await
        };
        match sent {
            Ok(_) => return Ok(()),
            Err(GraphError::OutcomeUnknown { .. }) if attempt < LOST_ANSWER_ATTEMPTS => {
                // It may have been applied: what it added is there now, to be updated.
                let now = client
                    .get_known(read_path)
                    .await
                    .map_err(|e| Failure::during("reading the values again", e))?;
                current = now[write.property].clone();
            }
            Err(e) => return Err(Failure::during(&format!("POST {action_path}"), e)),
        }
    }
}

/// Gives the object at `path` (read whole at `read_path`), whose items are now `current`, the
/// blueprint's items `wanted`: their definitions and options found, then the action sent
/// (again, over what a lost answer applied, until answered).
pub async fn send(
    client: &TenantApis,
    write: ActionWrite,
    path: &str,
    read_path: &str,
    wanted: &Value,
    current: &Value,
    just_created: bool,
) -> Result<(), Failure> {
    let Some(defs) = write.definitions else {
        return Err(format!("{} is not bound to definitions", write.property).into());
    };
    let resolved = resolve(client, write, defs, wanted).await?;
    let root = bind_root(client);
    let action_path = format!("{path}/{}", write.action);
    let next = |now: &Value| body(write, defs, &root, &resolved, now, Vec::new());
    send_until_answered(
        client,
        write,
        &action_path,
        read_path,
        current,
        just_created,
        next,
    )
    .await
}

/// The body that puts the items back to `before` after a change that left them `after`, when
/// they now read `current`: every item as it was (the snapshot holds its definition and options
/// with their ids), and the removal of the items the change added (and only those).
fn restore_body(
    write: ActionWrite,
    defs: &Definitions,
    root: &str,
    before: &Value,
    after: &Value,
    current: &Value,
) -> Value {
    let had: Vec<Value> = items(before)
        .iter()
        .filter_map(|i| item_key(i, write.key))
        .collect();
    let added: Vec<Value> = items(after)
        .iter()
        .filter_map(|i| item_key(i, write.key))
        .filter(|k| !had.contains(k))
        .collect();
    let deleted: Vec<Value> = items(current)
        .iter()
        .filter(|c| item_key(c, write.key).is_some_and(|k| added.contains(&k)))
        .filter_map(|c| c.get("id").cloned())
        .collect();
    body(write, defs, root, items(before), current, deleted)
}

/// Puts the items of the object at `path` back ([`restore_body`]), sent until answered.
pub async fn restore(
    client: &TenantApis,
    write: ActionWrite,
    path: &str,
    read_path: &str,
    before: &Value,
    after: &Value,
    current: &Value,
) -> Result<(), Failure> {
    let Some(defs) = write.definitions else {
        return Err(format!("{} is not bound to definitions", write.property).into());
    };
    let root = bind_root(client);
    let action_path = format!("{path}/{}", write.action);
    let next = |now: &Value| restore_body(write, defs, &root, before, after, now);
    send_until_answered(client, write, &action_path, read_path, current, false, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write() -> ActionWrite {
        blueprint_catalogue::kinds::kind("groupPolicyConfiguration")
            .and_then(|k| k.written_by_action())
            .expect("the kind writes its values through an action")
    }

    #[test]
    fn a_value_is_added_bound_or_updated_by_its_id() {
        let w = write();
        let defs = w.definitions.unwrap();
        let def = json!({"id": "d1", "classType": "machine", "categoryPath": "\\Microsoft Edge", "displayName": "X"});
        let resolved = vec![
            json!({"definition": def, "enabled": true, "presentationValues": [
                {"@odata.type": "#microsoft.graph.groupPolicyPresentationValueText", "value": "2", "presentation": {"id": "p1", "label": "L"}}
            ]}),
        ];
        let b = body(w, defs, "https://g/beta", &resolved, &json!([]), Vec::new());
        assert_eq!(
            b["added"][0]["definition@odata.bind"],
            "https://g/beta/deviceManagement/groupPolicyDefinitions('d1')"
        );
        assert_eq!(
            b["added"][0]["presentationValues"][0]["presentation@odata.bind"],
            "https://g/beta/deviceManagement/groupPolicyDefinitions('d1')/presentations('p1')"
        );
        assert_eq!(b["added"][0]["presentationValues"][0]["value"], "2");
        let current = json!([{"id": "v9", "definition": def, "enabled": false,
            "presentationValues": [{"id": "pv9", "value": "1", "presentation": {"id": "p1"}}]}]);
        let b = body(w, defs, "https://g/beta", &resolved, &current, Vec::new());
        assert_eq!(b["added"], json!([]));
        assert_eq!(b["updated"][0]["id"], "v9");
        assert_eq!(b["updated"][0]["enabled"], true);
        assert_eq!(b["updated"][0]["presentationValues"][0]["id"], "pv9");
        assert!(b["updated"][0].get("definition@odata.bind").is_none());
    }

    #[test]
    fn a_definition_is_found_by_class_path_and_name() {
        let w = write();
        let item = json!({"definition": {"classType": "machine", "categoryPath": "\\OneDrive", "displayName": "Use OneDrive Files On-Demand"}, "enabled": true});
        let desired = json!({"definitionValues": [item]});
        let q = queries(w, &desired);
        assert_eq!(
            q,
            vec![
                "/beta/deviceManagement/groupPolicyDefinitions?$filter=categoryPath%20eq%20%27%5COneDrive%27"
            ]
        );
        let user = json!({"id": "u", "classType": "user", "categoryPath": "\\OneDrive", "displayName": "Use OneDrive Files On-Demand"});
        let mut listed = BTreeMap::new();
        listed.insert(q[0].clone(), vec![user]);
        assert_eq!(
            missing(w, &desired, &listed),
            vec!["machine | \\OneDrive | Use OneDrive Files On-Demand"]
        );
        listed.get_mut(&q[0]).unwrap().push(json!({"id": "m", "classType": "machine", "categoryPath": "\\OneDrive", "displayName": "Use OneDrive Files On-Demand"}));
        assert!(missing(w, &desired, &listed).is_empty());
    }
}
