//! Intune's administrative templates (Graph beta): `deviceManagement/groupPolicyDefinitions`,
//! the ADMX settings Intune ingested (each with a `classType`, `categoryPath`, `displayName`
//! and its `presentations`, the setting's options), and the `definitionValues` of a
//! `groupPolicyConfiguration`: each bound to a definition, enabled or disabled, with
//! `presentationValues` bound to the definition's presentations.
//!
//! A configuration's values are written through `POST {id}/updateDefinitionValues` (`added`,
//! `updated` by value id, `deletedIds`; 204 No Content: intune-grouppolicy-
//! grouppolicyconfiguration-updatedefinitionvalues) and read with `$expand=definitionValues(
//! $expand=definition,presentationValues($expand=presentation))` or at `{id}/definitionValues`.
//! Definitions are Microsoft's: the emulator serves a fixture of the ones the catalogue uses
//! (`schema/admin-templates.yaml`) and refuses a value bound to any other, or an option value of
//! the wrong type for its presentation, or a drop-down value not among its items.
//!
//! A definition's id is a GUID Intune assigns per tenant; the fixture's ids are derived from the
//! definition's class, category path and name, so they are stable but unknowable to a client
//! that does not look them up.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::error::{ErrorStyle, GraphError};
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin};
use crate::kinds::Kind;
use crate::tenant::{Tenant, not_found};

const FIXTURE: &str = include_str!("../schema/admin-templates.yaml");
const ENTITY: &str = "groupPolicyConfiguration";
const VALUES: &str = "definitionValues";
const GRAPH: &str = "#microsoft.graph.";
/// The `$expand` that reads a configuration's values whole, as the Intune portal does.
pub const EXPAND: &str =
    "definitionValues($expand=definition,presentationValues($expand=presentation))";
const READ: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const WRITE: &[&str] = &["DeviceManagementConfiguration.ReadWrite.All"];
const FIXED_TIME: &str = "2024-01-01T00:00:00Z";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    definitions: Vec<DefinitionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DefinitionSpec {
    display_name: String,
    class_type: String,
    category_path: String,
    #[serde(default)]
    supported_on: String,
    #[serde(default)]
    presentations: Vec<PresentationSpec>,
}

/// A presentation (an option of the setting), by its type in Microsoft's beta metadata.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "camelCase")]
enum PresentationSpec {
    /// `groupPolicyPresentationText`: a label, no value.
    Text {
        label: String,
    },
    TextBox {
        label: String,
        #[serde(default)]
        required: bool,
    },
    DecimalTextBox {
        label: String,
        #[serde(default)]
        min: i64,
        #[serde(default = "max_decimal")]
        max: i64,
    },
    #[serde(rename_all = "camelCase")]
    CheckBox {
        label: String,
        #[serde(default)]
        default_checked: bool,
    },
    DropdownList {
        label: String,
        items: Vec<DropdownItem>,
    },
    #[serde(rename_all = "camelCase")]
    ListBox {
        label: String,
        #[serde(default)]
        explicit_value: bool,
    },
    MultiTextBox {
        label: String,
    },
}

fn max_decimal() -> i64 {
    i64::from(u32::MAX)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DropdownItem {
    display_name: String,
    value: String,
}

/// The definitions, as Graph returns them, each with its presentations.
struct Definitions {
    items: Vec<(Value, Vec<Value>)>,
}

fn guid(seed: &str) -> String {
    let half = |salt: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, seed).hash(&mut h);
        h.finish()
    };
    let (a, b) = (half("a"), half("b"));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn definitions() -> &'static Definitions {
    static DEFS: OnceLock<Definitions> = OnceLock::new();
    DEFS.get_or_init(|| {
        let fixture: Fixture =
            serde_saphyr::from_str(FIXTURE).expect("schema/admin-templates.yaml parses");
        let items = fixture
            .definitions
            .into_iter()
            .map(|d| {
                let id = guid(&format!(
                    "{}|{}|{}",
                    d.class_type, d.category_path, d.display_name
                ));
                let category = guid(&d.category_path);
                let definition = json!({
                    "id": id,
                    "classType": d.class_type,
                    "displayName": d.display_name,
                    "explainText": "",
                    "categoryPath": d.category_path,
                    "supportedOn": d.supported_on,
                    "policyType": "admxBacked",
                    "hasRelatedDefinitions": false,
                    "groupPolicyCategoryId": category,
                    "minDeviceCspVersion": "",
                    "minUserCspVersion": "",
                    "version": "1.0",
                    "lastModifiedDateTime": FIXED_TIME,
                });
                let presentations = d
                    .presentations
                    .iter()
                    .enumerate()
                    .map(|(i, p)| presentation(&id, i, p))
                    .collect();
                (definition, presentations)
            })
            .collect();
        Definitions { items }
    })
}

fn presentation(definition: &str, index: usize, spec: &PresentationSpec) -> Value {
    let id = guid(&format!("{definition}/{index}"));
    let (t, label, extra) = match spec {
        PresentationSpec::Text { label } => ("groupPolicyPresentationText", label, json!({})),
        PresentationSpec::TextBox { label, required } => (
            "groupPolicyPresentationTextBox",
            label,
            json!({"defaultValue": "", "required": required, "maxLength": 1023}),
        ),
        PresentationSpec::DecimalTextBox { label, min, max } => (
            "groupPolicyPresentationDecimalTextBox",
            label,
            json!({"defaultValue": min, "required": false, "minValue": min, "maxValue": max, "spin": true, "spinStep": 1}),
        ),
        PresentationSpec::CheckBox {
            label,
            default_checked,
        } => (
            "groupPolicyPresentationCheckBox",
            label,
            json!({"defaultChecked": default_checked}),
        ),
        PresentationSpec::DropdownList { label, items } => {
            let items: Vec<Value> = items
                .iter()
                .map(|i| json!({"displayName": i.display_name, "value": i.value}))
                .collect();
            (
                "groupPolicyPresentationDropdownList",
                label,
                json!({"defaultItem": items.first().cloned(), "items": items, "required": true}),
            )
        }
        PresentationSpec::ListBox {
            label,
            explicit_value,
        } => (
            "groupPolicyPresentationListBox",
            label,
            json!({"explicitValue": explicit_value, "valuePrefix": ""}),
        ),
        PresentationSpec::MultiTextBox { label } => (
            "groupPolicyPresentationMultiTextBox",
            label,
            json!({"required": false, "maxLength": 1023, "maxStrings": 0}),
        ),
    };
    let mut v = json!({
        "@odata.type": format!("{GRAPH}{t}"),
        "id": id,
        "label": label,
        "lastModifiedDateTime": FIXED_TIME,
    });
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    v
}

fn definition(id: &str) -> Option<&'static (Value, Vec<Value>)> {
    definitions()
        .items
        .iter()
        .find(|(d, _)| d["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
}

/// The id the emulator gives the administrative template definition of this class, category
/// path and name (for tests that look at stored values, which hold definition ids).
pub fn definition_id(class_type: &str, category_path: &str, display_name: &str) -> Option<String> {
    definitions()
        .items
        .iter()
        .map(|(d, _)| d)
        .find(|d| {
            d["classType"] == class_type
                && d["categoryPath"] == category_path
                && d["displayName"] == display_name
        })
        .and_then(|d| d["id"].as_str().map(str::to_string))
}

/// Whether `kind` is the administrative templates' configurations.
pub fn is_group_policy(kind: &Kind) -> bool {
    kind.entity == ENTITY
}

/// Whether `kind` may expand `nav` (`$expand=definitionValues(…)`).
pub fn expandable(kind: &Kind, nav: &str) -> bool {
    is_group_policy(kind) && (nav == EXPAND || nav == VALUES)
}

/// A configuration as read: its values only when expanded (with their definitions and
/// presentations when the expand asks for them).
pub fn shape(kind: &Kind, stored: &Value, obj: &mut Map<String, Value>, expand: Option<&str>) {
    if !is_group_policy(kind) {
        return;
    }
    obj.remove(VALUES);
    match expand {
        Some(EXPAND) => {
            obj.insert(VALUES.into(), Value::Array(read_values(stored, true)));
        }
        Some(VALUES) => {
            obj.insert(VALUES.into(), Value::Array(read_values(stored, false)));
        }
        _ => {}
    }
}

/// The stored values as Graph reads them.
fn read_values(stored: &Value, expanded: bool) -> Vec<Value> {
    stored[VALUES]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let mut out = v.clone();
            let def_id = v["definitionId"].as_str().unwrap_or_default();
            out.as_object_mut().map(|m| m.remove("definitionId"));
            let found = definition(def_id);
            let values: Vec<Value> = v["presentationValues"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let mut pv = p.clone();
                    let pres_id = p["presentationId"].as_str().unwrap_or_default();
                    pv.as_object_mut().map(|m| m.remove("presentationId"));
                    if expanded {
                        pv["presentation"] = found
                            .and_then(|(_, ps)| ps.iter().find(|x| x["id"] == pres_id))
                            .cloned()
                            .unwrap_or(Value::Null);
                    }
                    pv
                })
                .collect();
            out["presentationValues"] = Value::Array(values);
            if expanded {
                out["definition"] = found.map(|(d, _)| d.clone()).unwrap_or(Value::Null);
            } else {
                out.as_object_mut().map(|m| m.remove("presentationValues"));
            }
            out
        })
        .collect()
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(ErrorStyle::Service, message)
}

/// The id inside `…groupPolicyDefinitions('{id}')…` (and `…/presentations('{id}')`).
fn bound_id<'a>(bind: &'a str, segment: &str) -> Option<&'a str> {
    let start = bind.find(&format!("{segment}('"))? + segment.len() + 2;
    let rest = &bind[start..];
    Some(&rest[..rest.find('\'')?])
}

/// `GET groupPolicyDefinitions[…]` and `POST groupPolicyConfigurations/{id}/updateDefinitionValues`,
/// `GET groupPolicyConfigurations/{id}/definitionValues`; None for every other request.
pub fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
    filter: Option<&str>,
) -> Result<Option<GraphResponse>, GraphError> {
    let (writing, rest) = match segs {
        [
            "beta",
            "deviceManagement",
            "groupPolicyDefinitions",
            rest @ ..,
        ] => (false, rest),
        [
            "beta",
            "deviceManagement",
            "groupPolicyConfigurations",
            _,
            "updateDefinitionValues",
        ] => (true, &segs[3..]),
        [
            "beta",
            "deviceManagement",
            "groupPolicyConfigurations",
            _,
            "definitionValues",
        ] => (false, &segs[3..]),
        _ => return Ok(None),
    };
    let allowed = if writing { WRITE } else { READ };
    if !caller
        .permissions()
        .iter()
        .any(|p| allowed.contains(&p.as_str()))
    {
        return Err(GraphError::forbidden());
    }
    let method = req.method.to_ascii_uppercase();
    let context = |what: &str| format!("{}/beta/$metadata#{what}", origin.base_url);
    if segs[2] == "groupPolicyDefinitions" {
        if method != "GET" {
            return Err(GraphError::method_not_allowed());
        }
        return match rest {
            [] => {
                let wanted = parse_filter(filter)?;
                let items: Vec<Value> = definitions()
                    .items
                    .iter()
                    .map(|(d, _)| d)
                    .filter(|d| {
                        wanted
                            .iter()
                            .all(|(k, v)| d[k.as_str()].as_str() == Some(v))
                    })
                    .cloned()
                    .collect();
                Ok(Some(GraphResponse::json(
                    200,
                    json!({"@odata.context": context("deviceManagement/groupPolicyDefinitions"), "value": items}),
                )))
            }
            [id] => {
                let (d, _) = definition(id).ok_or_else(|| definition_not_found(id))?;
                let mut v = d.clone();
                v["@odata.context"] =
                    json!(context("deviceManagement/groupPolicyDefinitions/$entity"));
                Ok(Some(GraphResponse::json(200, v)))
            }
            [id, "presentations"] => {
                let (_, ps) = definition(id).ok_or_else(|| definition_not_found(id))?;
                Ok(Some(GraphResponse::json(
                    200,
                    json!({"@odata.context": context(&format!("deviceManagement/groupPolicyDefinitions('{id}')/presentations")), "value": ps}),
                )))
            }
            [.., last] => Err(GraphError::unknown_segment(last)),
        };
    }
    let Some(tenant) = emulator.tenant(&caller.tenant_id) else {
        return Err(GraphError::unauthenticated(
            "The tenant for this token does not exist.",
        ));
    };
    let kind = crate::kinds::BETA_KINDS
        .iter()
        .find(|k| k.entity == ENTITY)
        .expect("BETA_KINDS serves groupPolicyConfiguration");
    let key = rest[0];
    let mut t = tenant.lock().expect("tenant lock");
    if t.find(kind, key).is_none() || emulator.replication.hides(key) {
        return Err(not_found(kind, key));
    }
    match (rest, method.as_str()) {
        ([_, "definitionValues"], "GET") => {
            let stored = t.find(kind, key).cloned().unwrap_or(Value::Null);
            Ok(Some(GraphResponse::json(
                200,
                json!({"@odata.context": context(&format!("deviceManagement/groupPolicyConfigurations('{key}')/definitionValues")), "value": read_values(&stored, false)}),
            )))
        }
        ([_, "updateDefinitionValues"], "POST") => {
            let body = req.body.clone().unwrap_or(Value::Null);
            emulator.with_rng(|rng| update_definition_values(&mut t, kind, key, &body, rng))?;
            emulator.mark_dirty();
            Ok(Some(GraphResponse::empty(204)))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

fn definition_not_found(id: &str) -> GraphError {
    GraphError::not_found(
        ErrorStyle::Service,
        format!("Resource not found for the segment 'groupPolicyDefinitions' with key '{id}'."),
    )
}

/// `prop eq 'value'` clauses joined by `and`, on the properties tools filter definitions by
/// (a literal may hold ` and `, and `''` for a quote).
fn parse_filter(filter: Option<&str>) -> Result<Vec<(String, String)>, GraphError> {
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    let invalid = || bad(format!("Invalid $filter '{filter}'."));
    let mut out = Vec::new();
    let mut rest = filter.trim();
    loop {
        let (prop, after) = rest.split_once(' ').ok_or_else(invalid)?;
        if ![
            "classType",
            "categoryPath",
            "displayName",
            "policyType",
            "id",
        ]
        .contains(&prop)
        {
            return Err(bad(format!(
                "Could not find a property named '{prop}' on type 'microsoft.graph.groupPolicyDefinition'."
            )));
        }
        let after = after
            .trim_start()
            .strip_prefix("eq ")
            .ok_or_else(invalid)?
            .trim_start();
        let mut chars = after.strip_prefix('\'').ok_or_else(invalid)?.char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next() {
                Some((i, '\'')) => {
                    if after[1 + i + 1..].starts_with('\'') {
                        value.push('\'');
                        chars.next();
                    } else {
                        break 1 + i + 1;
                    }
                }
                Some((_, c)) => value.push(c),
                None => return Err(invalid()),
            }
        };
        out.push((prop.to_string(), value));
        rest = after[end..].trim_start();
        if rest.is_empty() {
            return Ok(out);
        }
        rest = rest.strip_prefix("and ").ok_or_else(invalid)?.trim_start();
    }
}

/// Applies an `updateDefinitionValues` body to the configuration at `key`: every value
/// checked first (nothing is applied when one is refused).
fn update_definition_values(
    t: &mut Tenant,
    kind: &'static Kind,
    key: &str,
    body: &Value,
    rng: &mut impl rand::Rng,
) -> Result<(), GraphError> {
    let object = body
        .as_object()
        .ok_or_else(|| bad("Empty Payload. JSON content expected."))?;
    if let Some(other) = object
        .keys()
        .find(|k| !["added", "updated", "deletedIds"].contains(&k.as_str()))
    {
        return Err(bad(format!(
            "The parameter '{other}' in the request payload is not a valid parameter for the operation 'updateDefinitionValues'."
        )));
    }
    let list = |name: &str| -> Result<Vec<Value>, GraphError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(bad(format!("The parameter '{name}' must be a collection."))),
        }
    };
    let (added, updated, deleted) = (list("added")?, list("updated")?, list("deletedIds")?);
    let stored = t.find(kind, key).cloned().unwrap_or(Value::Null);
    let mut values: Vec<Value> = stored[VALUES].as_array().cloned().unwrap_or_default();
    let now = crate::tenant::now_rfc3339();
    for id in &deleted {
        let id = id
            .as_str()
            .ok_or_else(|| bad("deletedIds must be strings."))?;
        let before = values.len();
        values.retain(|v| v["id"].as_str() != Some(id));
        if values.len() == before {
            return Err(GraphError::not_found(
                ErrorStyle::Service,
                format!("Definition value '{id}' was not found in this configuration."),
            ));
        }
    }
    for item in &updated {
        let id = item["id"]
            .as_str()
            .ok_or_else(|| bad("An updated definition value must have its id."))?;
        let slot = values
            .iter_mut()
            .find(|v| v["id"].as_str() == Some(id))
            .ok_or_else(|| {
                GraphError::not_found(
                    ErrorStyle::Service,
                    format!("Definition value '{id}' was not found in this configuration."),
                )
            })?;
        let def_id = slot["definitionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (def, presentations) =
            definition(&def_id).ok_or_else(|| definition_not_found(&def_id))?;
        let mut next = slot.clone();
        apply_value(&mut next, item, def, presentations, &now, rng)?;
        *slot = next;
    }
    for item in &added {
        let bind = item["definition@odata.bind"].as_str().ok_or_else(|| {
            bad("A new definition value must bind its definition (definition@odata.bind).")
        })?;
        let def_id = bound_id(bind, "groupPolicyDefinitions")
            .ok_or_else(|| bad(format!("Invalid definition@odata.bind '{bind}'.")))?;
        let (def, presentations) =
            definition(def_id).ok_or_else(|| definition_not_found(def_id))?;
        let def_id = def["id"].as_str().unwrap_or_default();
        if values
            .iter()
            .any(|v| v["definitionId"].as_str() == Some(def_id))
        {
            return Err(bad(format!(
                "The configuration already has a value for the definition '{}'.",
                def["displayName"].as_str().unwrap_or_default()
            )));
        }
        let mut value = json!({
            "id": crate::tenant::new_guid(rng),
            "createdDateTime": now,
            "enabled": false,
            "configurationType": "policy",
            "definitionId": def_id,
            "presentationValues": [],
        });
        apply_value(&mut value, item, def, presentations, &now, rng)?;
        values.push(value);
    }
    let kind_items = t.collections.entry(kind.entity.to_string()).or_default();
    let Some(slot) = kind_items.values_mut().find(|v| v["id"] == stored["id"]) else {
        return Err(not_found(kind, key));
    };
    slot[VALUES] = Value::Array(values);
    slot["lastModifiedDateTime"] = json!(now);
    Ok(())
}

/// Sets a stored value from a written one: `enabled`, `configurationType`, and its
/// presentation values (each bound to one of the definition's presentations, or, updated, by
/// its id), checked against the presentation's type.
fn apply_value(
    value: &mut Value,
    item: &Value,
    def: &Value,
    presentations: &[Value],
    now: &str,
    rng: &mut impl rand::Rng,
) -> Result<(), GraphError> {
    let name = def["displayName"].as_str().unwrap_or_default();
    for (k, v) in item.as_object().into_iter().flatten() {
        match k.as_str() {
            "enabled" => {
                value["enabled"] = json!(
                    v.as_bool()
                        .ok_or_else(|| bad("'enabled' must be a boolean."))?
                )
            }
            "configurationType" => match v.as_str() {
                Some("policy" | "preference") => value["configurationType"] = v.clone(),
                _ => return Err(bad(format!("Invalid configurationType {v}."))),
            },
            "id"
            | "definition@odata.bind"
            | "@odata.type"
            | "presentationValues"
            | "createdDateTime"
            | "lastModifiedDateTime" => {}
            other => {
                return Err(bad(format!(
                    "Could not find a property named '{other}' on type 'microsoft.graph.groupPolicyDefinitionValue'."
                )));
            }
        }
    }
    if let Some(written) = item.get("presentationValues").and_then(Value::as_array) {
        let mut stored: Vec<Value> = value["presentationValues"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for pv in written {
            let presentation = match pv["presentation@odata.bind"].as_str() {
                Some(bind) => {
                    let def_id = def["id"].as_str().unwrap_or_default();
                    if bound_id(bind, "groupPolicyDefinitions") != Some(def_id) {
                        return Err(bad(format!(
                            "The presentation value binds a presentation of another definition than '{name}'."
                        )));
                    }
                    let pid = bound_id(bind, "presentations")
                        .ok_or_else(|| bad(format!("Invalid presentation@odata.bind '{bind}'.")))?;
                    presentations
                        .iter()
                        .find(|p| p["id"] == pid)
                        .ok_or_else(|| {
                            GraphError::not_found(
                                ErrorStyle::Service,
                                format!("The definition '{name}' has no presentation '{pid}'."),
                            )
                        })?
                }
                None => {
                    let id = pv["id"].as_str().ok_or_else(|| {
                        bad("A presentation value must bind its presentation (presentation@odata.bind).")
                    })?;
                    let had = stored.iter().find(|s| s["id"] == id).ok_or_else(|| {
                        GraphError::not_found(
                            ErrorStyle::Service,
                            format!("Presentation value '{id}' was not found."),
                        )
                    })?;
                    presentations
                        .iter()
                        .find(|p| p["id"] == had["presentationId"])
                        .ok_or_else(|| bad("The presentation value's presentation is gone."))?
                }
            };
            let checked = checked_presentation_value(pv, presentation, name)?;
            let pid = presentation["id"].clone();
            match stored.iter_mut().find(|s| s["presentationId"] == pid) {
                Some(s) => {
                    let id = s["id"].clone();
                    let created = s["createdDateTime"].clone();
                    *s = checked;
                    s["id"] = id;
                    s["createdDateTime"] = created;
                    s["presentationId"] = pid;
                    s["lastModifiedDateTime"] = json!(now);
                }
                None => {
                    let mut s = checked;
                    s["id"] = json!(crate::tenant::new_guid(rng));
                    s["createdDateTime"] = json!(now);
                    s["lastModifiedDateTime"] = json!(now);
                    s["presentationId"] = pid;
                    stored.push(s);
                }
            }
        }
        value["presentationValues"] = Value::Array(stored);
    }
    value["lastModifiedDateTime"] = json!(now);
    Ok(())
}

/// A presentation value as stored, checked against its presentation: the value type that fills
/// it (text for a text box, combo box or drop-down, a number for a decimal box, a boolean for a
/// check box, name/value pairs for a list box, strings for a multi-line box), and a drop-down's
/// value among its items.
fn checked_presentation_value(
    pv: &Value,
    presentation: &Value,
    name: &str,
) -> Result<Value, GraphError> {
    let ptype = presentation["@odata.type"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches(GRAPH);
    let label = presentation["label"].as_str().unwrap_or_default();
    let (vtype, prop) = match ptype {
        "groupPolicyPresentationTextBox"
        | "groupPolicyPresentationComboBox"
        | "groupPolicyPresentationDropdownList" => ("groupPolicyPresentationValueText", "value"),
        "groupPolicyPresentationDecimalTextBox" => ("groupPolicyPresentationValueDecimal", "value"),
        "groupPolicyPresentationCheckBox" => ("groupPolicyPresentationValueBoolean", "value"),
        "groupPolicyPresentationListBox" => ("groupPolicyPresentationValueList", "values"),
        "groupPolicyPresentationMultiTextBox" => {
            ("groupPolicyPresentationValueMultiText", "values")
        }
        _ => {
            return Err(bad(format!(
                "The presentation '{label}' of '{name}' takes no value."
            )));
        }
    };
    let given = pv["@odata.type"].as_str().unwrap_or_default();
    if given.trim_start_matches(GRAPH) != vtype {
        return Err(bad(format!(
            "The presentation '{label}' of '{name}' takes a {vtype}, not '{given}'."
        )));
    }
    let v = &pv[prop];
    let ok = match vtype {
        "groupPolicyPresentationValueText" => v.is_string(),
        "groupPolicyPresentationValueDecimal" => v.as_i64().is_some_and(|n| {
            n >= presentation["minValue"].as_i64().unwrap_or(0)
                && n <= presentation["maxValue"].as_i64().unwrap_or(i64::MAX)
        }),
        "groupPolicyPresentationValueBoolean" => v.is_boolean(),
        "groupPolicyPresentationValueList" => v.as_array().is_some_and(|a| {
            a.iter()
                .all(|p| p["name"].is_string() && (p["value"].is_string() || p["value"].is_null()))
        }),
        _ => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
    };
    if !ok {
        return Err(bad(format!(
            "The value {v} is not valid for the presentation '{label}' of '{name}'."
        )));
    }
    if ptype == "groupPolicyPresentationDropdownList" {
        let items = presentation["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !items.iter().any(|i| i["value"] == *v) {
            return Err(bad(format!(
                "The value {v} is not one of the items of the drop-down '{label}' of '{name}'."
            )));
        }
    }
    Ok(json!({"@odata.type": format!("{GRAPH}{vtype}"), prop: v.clone()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_parses_with_unique_definitions() {
        let defs = definitions();
        assert!(!defs.items.is_empty());
        let mut keys: Vec<String> = defs
            .items
            .iter()
            .map(|(d, _)| {
                format!(
                    "{}|{}|{}",
                    d["classType"], d["categoryPath"], d["displayName"]
                )
            })
            .collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a definition is listed twice");
        for (d, _) in &defs.items {
            assert!(
                matches!(d["classType"].as_str(), Some("user" | "machine")),
                "{d}"
            );
            assert!(
                d["categoryPath"]
                    .as_str()
                    .is_some_and(|p| p.starts_with('\\')),
                "{d}"
            );
        }
    }

    #[test]
    fn a_filter_literal_may_hold_and_and_quotes() {
        let f = parse_filter(Some(
            "categoryPath eq '\\Microsoft Edge\\Password manager and protection' and displayName eq 'It''s'",
        ))
        .unwrap();
        assert_eq!(
            f,
            vec![
                (
                    "categoryPath".to_string(),
                    "\\Microsoft Edge\\Password manager and protection".to_string()
                ),
                ("displayName".to_string(), "It's".to_string())
            ]
        );
        assert!(parse_filter(Some("categoryPath eq 'open")).is_err());
        assert!(parse_filter(Some("explainText eq 'x'")).is_err());
    }

    #[test]
    fn binds_name_their_ids() {
        let bind = "https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('d-1')/presentations('p-2')";
        assert_eq!(bound_id(bind, "groupPolicyDefinitions"), Some("d-1"));
        assert_eq!(bound_id(bind, "presentations"), Some("p-2"));
    }
}
