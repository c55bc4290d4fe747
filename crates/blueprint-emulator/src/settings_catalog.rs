//! Intune's settings catalog (`/beta/deviceManagement/configurationPolicies`): a policy's
//! `settings` are setting instances whose definition ids and values Intune checks against its
//! setting definitions, refusing an id it does not know. The emulator checks them against a
//! fixture of Microsoft's definitions (`schema/settings-catalog.yaml`): the definition ids, value
//! types, option ids and ranges of the settings the blueprint's endpoint security policies use,
//! and the templates those policies reference.
//!
//! Graph takes `settings` inline on POST and PUT (the whole policy: how the Intune portal
//! changes settings), returns them only with `$expand=settings` or at `{id}/settings`, and
//! numbers them "0", "1", … in order.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::GraphError;
use crate::kinds::Kind;
use crate::schema::beta_schema;

const FIXTURE: &str = include_str!("../schema/settings-catalog.yaml");
const ENTITY: &str = "deviceManagementConfigurationPolicy";
const SETTINGS: &str = "settings";
const GRAPH: &str = "#microsoft.graph.";

/// The fixture: templates by id and setting definitions by id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    templates: HashMap<String, Template>,
    definitions: HashMap<String, Definition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Template {
    family: String,
    display_name: String,
    display_version: String,
}

/// A setting definition: what kind of instance it takes, and its values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "camelCase")]
enum Definition {
    /// One option of a list; option ids are the definition id, `_` and the option.
    Choice {
        options: Vec<String>,
        #[serde(default)]
        children: Vec<String>,
    },
    /// Any number of a list's options.
    ChoiceCollection {
        options: Vec<String>,
    },
    Integer {
        min: i64,
        max: i64,
    },
    String,
    /// A list of strings.
    StringCollection,
    /// A list of groups, each of child settings.
    GroupCollection {
        children: Vec<String>,
        /// The most groups the setting takes (`maximumCount`), where Intune limits them.
        #[serde(default)]
        max: Option<usize>,
    },
}

impl Definition {
    fn instance_type(&self) -> &'static str {
        match self {
            Definition::Choice { .. } => "deviceManagementConfigurationChoiceSettingInstance",
            Definition::ChoiceCollection { .. } => {
                "deviceManagementConfigurationChoiceSettingCollectionInstance"
            }
            Definition::Integer { .. } | Definition::String => {
                "deviceManagementConfigurationSimpleSettingInstance"
            }
            Definition::StringCollection => {
                "deviceManagementConfigurationSimpleSettingCollectionInstance"
            }
            Definition::GroupCollection { .. } => {
                "deviceManagementConfigurationGroupSettingCollectionInstance"
            }
        }
    }
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        serde_saphyr::from_str(FIXTURE).expect("schema/settings-catalog.yaml parses")
    })
}

/// Whether `kind` is the settings catalog.
pub fn is_settings_catalog(kind: &Kind) -> bool {
    kind.entity == ENTITY
}

/// Whether `kind` may expand `nav` (`$expand=settings`).
pub fn expandable(kind: &Kind, nav: &str) -> bool {
    is_settings_catalog(kind) && nav == SETTINGS
}

/// A policy as read: its settings only when expanded.
pub fn shape(kind: &Kind, obj: &mut Map<String, Value>, expand: Option<&str>) {
    if !is_settings_catalog(kind) {
        return;
    }
    match obj.remove(SETTINGS) {
        Some(stored) if expand == Some(SETTINGS) => {
            obj.insert(SETTINGS.into(), Value::Array(read_settings(&stored)));
        }
        None if expand == Some(SETTINGS) => {
            obj.insert(SETTINGS.into(), json!([]));
        }
        _ => {}
    }
}

/// The settings of a stored policy (`GET {id}/settings`).
pub fn settings_of(stored: &Value) -> Vec<Value> {
    read_settings(&stored[SETTINGS])
}

/// Settings as Graph returns them: each with every property of its types (the template
/// references Intune leaves `null`, a choice's `children` `[]`).
fn read_settings(stored: &Value) -> Vec<Value> {
    stored
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| beta_schema().normalise("deviceManagementConfigurationSetting", s, false))
        .collect()
}

/// Checks a policy about to be stored (created, patched or replaced) and sets what Intune sets:
/// setting ids, the setting count, the template's family and name, the time stamps.
pub fn settle(
    kind: &Kind,
    obj: &mut Map<String, Value>,
    now: &str,
    creating: bool,
) -> Result<(), GraphError> {
    let bad = |m: String| GraphError::bad_request(kind.style, m);
    if obj
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(bad("The property 'name' is required.".into()));
    }
    for required in ["platforms", "technologies"] {
        if obj.get(required).is_none_or(Value::is_null) {
            return Err(bad(format!("The property '{required}' is required.")));
        }
    }
    let mut template = obj
        .get("templateReference")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let template_id = template["templateId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if template_id.is_empty() {
        template = json!({"templateId": "", "templateFamily": "none", "templateDisplayName": null, "templateDisplayVersion": null});
    } else {
        let Some(t) = catalog().templates.get(&template_id) else {
            return Err(bad(format!("Template '{template_id}' was not found.")));
        };
        template = json!({
            "templateId": template_id,
            "templateFamily": t.family,
            "templateDisplayName": t.display_name,
            "templateDisplayVersion": t.display_version,
        });
    }
    obj.insert("templateReference".into(), template);
    let settings = obj.get(SETTINGS).cloned().unwrap_or_else(|| json!([]));
    let Some(items) = settings.as_array() else {
        return Err(bad("The property 'settings' must be a collection.".into()));
    };
    let mut numbered = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        beta_schema().validate_object("deviceManagementConfigurationSetting", item, kind.style)?;
        check_instance(&item["settingInstance"], None).map_err(bad)?;
        let mut setting = Map::new();
        setting.insert("id".into(), json!(i.to_string()));
        setting.insert("settingInstance".into(), item["settingInstance"].clone());
        numbered.push(Value::Object(setting));
    }
    obj.insert("settingCount".into(), json!(numbered.len()));
    obj.insert(SETTINGS.into(), Value::Array(numbered));
    obj.entry("roleScopeTagIds").or_insert_with(|| json!(["0"]));
    obj.entry("creationSource").or_insert(Value::Null);
    if creating {
        obj.insert("createdDateTime".into(), json!(now));
        obj.insert("isAssigned".into(), json!(false));
    }
    obj.insert("lastModifiedDateTime".into(), json!(now));
    Ok(())
}

/// One setting instance against its definition; `allowed` lists the definition ids its parent
/// takes as children (None at the top level).
fn check_instance(instance: &Value, allowed: Option<&[String]>) -> Result<(), String> {
    let id = instance["settingDefinitionId"].as_str().unwrap_or_default();
    let Some(definition) = catalog().definitions.get(id) else {
        return Err(format!("Setting definition '{id}' was not found."));
    };
    if let Some(allowed) = allowed
        && !allowed.iter().any(|a| a == id)
    {
        return Err(format!(
            "Setting definition '{id}' is not a child of its parent setting."
        ));
    }
    let sent = instance["@odata.type"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches(GRAPH);
    if sent != definition.instance_type() {
        return Err(format!(
            "Setting '{id}' takes a {}, not a {sent}.",
            definition.instance_type()
        ));
    }
    match definition {
        Definition::Choice { options, children } => {
            let value = instance["choiceSettingValue"]["value"]
                .as_str()
                .unwrap_or_default();
            if !options.iter().any(|o| format!("{id}_{o}") == value) {
                return Err(format!(
                    "Value '{value}' is not an option of setting '{id}'."
                ));
            }
            for child in instance["choiceSettingValue"]["children"]
                .as_array()
                .into_iter()
                .flatten()
            {
                check_instance(child, Some(children))?;
            }
        }
        Definition::Integer { min, max } => {
            let value = &instance["simpleSettingValue"];
            let n = value["value"].as_i64();
            if !value_type_is(value, "deviceManagementConfigurationIntegerSettingValue")
                || n.is_none_or(|n| n < *min || n > *max)
            {
                return Err(format!(
                    "Setting '{id}' takes an integer from {min} to {max}."
                ));
            }
        }
        Definition::String => {
            let value = &instance["simpleSettingValue"];
            if !value_type_is(value, "deviceManagementConfigurationStringSettingValue") {
                return Err(format!("Setting '{id}' takes a string."));
            }
        }
        Definition::StringCollection => {
            for value in instance["simpleSettingCollectionValue"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if !value_type_is(value, "deviceManagementConfigurationStringSettingValue") {
                    return Err(format!("Setting '{id}' takes strings."));
                }
            }
        }
        Definition::ChoiceCollection { options } => {
            for value in instance["choiceSettingCollectionValue"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let value = value["value"].as_str().unwrap_or_default();
                if !options.iter().any(|o| format!("{id}_{o}") == value) {
                    return Err(format!(
                        "Value '{value}' is not an option of setting '{id}'."
                    ));
                }
            }
        }
        Definition::GroupCollection { children, max } => {
            let groups = instance["groupSettingCollectionValue"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if let Some(max) = max
                && groups.len() > *max
            {
                return Err(format!(
                    "Setting '{id}' takes at most {max} values, not {}.",
                    groups.len()
                ));
            }
            for group in groups {
                for child in group["children"].as_array().into_iter().flatten() {
                    check_instance(child, Some(children))?;
                }
            }
        }
    }
    Ok(())
}

fn value_type_is(value: &Value, expected: &str) -> bool {
    value["@odata.type"]
        .as_str()
        .map(|t| t.trim_start_matches(GRAPH))
        == Some(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_parses_and_children_are_defined() {
        let c = catalog();
        assert!(c.definitions.len() > 50, "{}", c.definitions.len());
        for (id, d) in &c.definitions {
            let children = match d {
                Definition::Choice { children, .. }
                | Definition::GroupCollection { children, .. } => children.as_slice(),
                _ => &[],
            };
            for child in children {
                assert!(c.definitions.contains_key(child), "{id}: child {child}");
            }
        }
    }

    #[test]
    fn unknown_ids_options_and_ranges_are_refused() {
        let choice = |id: &str, value: &str| {
            json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": id, "choiceSettingValue": {"value": value, "children": []}})
        };
        let cloud = "device_vendor_msft_policy_config_defender_allowcloudprotection";
        assert!(check_instance(&choice(cloud, &format!("{cloud}_1")), None).is_ok());
        let e = check_instance(&choice(cloud, &format!("{cloud}_7")), None).unwrap_err();
        assert!(e.contains("not an option"), "{e}");
        let e = check_instance(&choice("device_vendor_msft_made_up", "x"), None).unwrap_err();
        assert!(e.contains("was not found"), "{e}");
        let timeout = json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": "device_vendor_msft_policy_config_defender_cloudextendedtimeout",
            "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": 51}});
        let e = check_instance(&timeout, None).unwrap_err();
        assert!(e.contains("from 0 to 50"), "{e}");
    }

    /// A Windows Firewall Rules policy's rules: the group collection and its children, the
    /// choice collections (profiles, interface types), at most 150 rules.
    #[test]
    fn firewall_rules_are_checked_against_their_definitions() {
        let rule = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";
        let group = |direction: &str, profiles: &[&str], n: usize| {
            let one = json!({"children": [
                {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                 "settingDefinitionId": format!("{rule}_name"),
                 "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": "DNS out"}},
                {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                 "settingDefinitionId": format!("{rule}_direction"),
                 "choiceSettingValue": {"value": format!("{rule}_direction_{direction}"), "children": []}},
                {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance",
                 "settingDefinitionId": format!("{rule}_profiles"),
                 "choiceSettingCollectionValue": profiles.iter().map(|p| json!({"value": format!("{rule}_profiles_{p}"), "children": []})).collect::<Vec<_>>()},
                {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                 "settingDefinitionId": format!("{rule}_protocol"),
                 "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": 17}},
                {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
                 "settingDefinitionId": format!("{rule}_remoteportranges"),
                 "simpleSettingCollectionValue": [{"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": "53"}]},
            ]});
            json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                "settingDefinitionId": rule, "groupSettingCollectionValue": vec![one; n]})
        };
        assert_eq!(
            check_instance(&group("out", &["1", "4"], 150), None),
            Ok(())
        );
        let e = check_instance(&group("sideways", &["1"], 1), None).unwrap_err();
        assert!(e.contains("_direction_sideways' is not an option"), "{e}");
        let e = check_instance(&group("in", &["8"], 1), None).unwrap_err();
        assert!(e.contains("_profiles_8' is not an option"), "{e}");
        let e = check_instance(&group("in", &["2"], 151), None).unwrap_err();
        assert!(e.contains("at most 150 values, not 151"), "{e}");
        // A child the rule group does not take.
        let mut stray = group("in", &["2"], 1);
        stray["groupSettingCollectionValue"][0]["children"][0]["settingDefinitionId"] =
            json!("vendor_msft_firewall_mdmstore_global_saidletime");
        let e = check_instance(&stray, None).unwrap_err();
        assert!(e.contains("not a child of its parent"), "{e}");
    }
}
