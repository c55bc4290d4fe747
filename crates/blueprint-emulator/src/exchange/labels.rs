//! Sensitivity labels, label policies and auto-labelling (Security & Compliance's `*-Label`,
//! `*-LabelPolicy`, `*-AutoSensitivityLabelPolicy` and `*-AutoSensitivityLabelRule`), as
//! Microsoft's cmdlet reference states them:
//!
//! - `New-Label` needs `-Name` (unique, at most 64 characters), `-DisplayName` and `-Tooltip`;
//!   `-ParentId` names the parent label (by name, DN or GUID) and the label reads it back as the
//!   parent's GUID; `Set-Label -Priority` sets "a priority value … A higher integer value
//!   indicates a higher priority" (a new label is given the next one).
//! - The flattened marking parameters (`ApplyContentMarkingHeader*`, `…Footer*`,
//!   `ApplyWaterMarking*`, and the other `FlattenLabelActionUtils` families) are kept as the
//!   label's actions: `Get-Label` shows them as `LabelActions` (JSON, one action per marking),
//!   and "expand[s] label actions into properties" with `-IncludeDetailedLabelActions`.
//!   `-LabelActions` itself is "reserved for internal Microsoft use": the JSON's shape (`Type`,
//!   `SubType`, `Settings` of `Key`/`Value`) is the one tenants return, not a documented one.
//! - `-AdvancedSettings` is a hash table, read back among the label's (or policy's) `Settings`
//!   as `[key, value]`; a null or empty value removes the key. `-LocaleSettings` takes JSON
//!   strings `{"localeKey":"DisplayName"|"Tooltip","Settings":[{"Key":…,"Value":…}]}`.
//! - `New-LabelPolicy` needs `-Name` (at most 64 characters) and `-Labels`; `Set-LabelPolicy`
//!   changes the labels only through `-AddLabels`/`-RemoveLabels` and its locations only through
//!   `-Add{Location}`/`-Remove{Location}`.
//! - `New-Label -Identity` "migrate[s] an existing Azure Information Protection label by
//!   specifying a GUID value": the label keeps that GUID.
//! - `New-AutoSensitivityLabelPolicy` needs `-ApplySensitivityLabel` (a label that exists, read
//!   back as its GUID); a rule needs `-Policy` and `-Workload`, and its header and
//!   recipient-domain conditions are for "policies that are scoped only to Exchange".
//! - A label a label policy publishes, or one with sublabels, is not removed: the policy (or the
//!   sublabel) goes first. (The reference says nothing of how long a removal takes: the emulator
//!   removes at once.)

use serde_json::{Map, Value, json};

use super::{ExchangeError, find, missing_parameter, record_list_change};
use crate::tenant::Tenant;

/// A label policy's location parameters (`New-LabelPolicy`), changed by `Set-LabelPolicy`'s
/// `Add…`/`Remove…` only.
pub(super) const LABEL_POLICY_LOCATIONS: &[&str] = &[
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
];

/// The label actions the flattened parameters stand for: (parameter prefix, action type,
/// subtype).
const ACTIONS: &[(&str, &str, Option<&str>)] = &[
    (
        "ApplyContentMarkingHeader",
        "applycontentmarking",
        Some("header"),
    ),
    (
        "ApplyContentMarkingFooter",
        "applycontentmarking",
        Some("footer"),
    ),
    ("ApplyWaterMarking", "applywatermarking", None),
    ("ApplyDynamicWatermarking", "applydynamicwatermarking", None),
    ("Encryption", "encrypt", None),
    ("SiteAndGroupProtection", "protectgroup", None),
    ("SiteExternalSharingControlType", "protectsite", None),
    ("Teams", "protectteams", None),
];

fn bad(exception: &'static str, message: impl Into<String>) -> ExchangeError {
    ExchangeError::new(400, exception, message)
}

fn objects<'a>(tenant: &'a Tenant, noun: &str) -> &'a [Value] {
    tenant
        .exchange
        .objects
        .get(noun)
        .map_or(&[][..], Vec::as_slice)
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// "The maximum length is 64 characters."
fn check_name(parameters: &Map<String, Value>) -> Result<(), ExchangeError> {
    if let Some(name) = parameters.get("Name").and_then(Value::as_str)
        && name.chars().count() > 64
    {
        return Err(bad(
            "Microsoft.Exchange.Management.Tasks.ValidationException",
            format!("The name '{name}' is longer than 64 characters."),
        ));
    }
    Ok(())
}

/// `-AdvancedSettings @{key=value}` laid over the object's `Settings` (`[key, value]` strings,
/// keys in lower case); a null or empty value removes the key.
fn merge_settings(current: Option<&Value>, advanced: &Value) -> Result<Value, ExchangeError> {
    let Some(table) = advanced.as_object() else {
        return Err(bad(
            "System.Management.Automation.ParameterBindingArgumentTransformationException",
            format!(
                "Cannot process argument transformation on parameter 'AdvancedSettings'. Cannot convert value \"{}\" to type \"PswsHashtable\".",
                text(advanced)
            ),
        ));
    };
    let mut pairs: Vec<(String, String)> = current
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let inner = s.as_str()?.strip_prefix('[')?.strip_suffix(']')?;
            let (k, v) = inner.split_once(", ")?;
            Some((k.to_string(), v.to_string()))
        })
        .collect();
    for (key, value) in table {
        let key = key.to_ascii_lowercase();
        pairs.retain(|(k, _)| *k != key);
        let value = match value {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            v => text(v),
        };
        pairs.push((key, value));
    }
    Ok(Value::Array(
        pairs
            .into_iter()
            .map(|(k, v)| json!(format!("[{k}, {v}]")))
            .collect(),
    ))
}

/// Each `-LocaleSettings` value must be the JSON the reference shows; a locale key given again
/// replaces the one the label had.
fn merge_locales(current: Option<&Value>, given: &Value) -> Result<Value, ExchangeError> {
    let items = match given {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    let key_of = |s: &str| -> Option<String> {
        let v: Value = serde_json::from_str(s).ok()?;
        let key = v["localeKey"].as_str()?.to_string();
        let settings = v["Settings"].as_array()?;
        let pairs = settings
            .iter()
            .all(|p| p["Key"].is_string() && (p["Value"].is_string() || p["Value"].is_null()));
        (pairs && ["DisplayName", "Tooltip"].contains(&key.as_str())).then_some(key)
    };
    let mut out: Vec<Value> = current
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in items {
        let s = text(&item);
        let Some(key) = key_of(&s) else {
            return Err(bad(
                "Microsoft.Exchange.Management.Tasks.ValidationException",
                format!(
                    "The LocaleSettings value '{s}' isn't valid: use {{\"localeKey\":\"DisplayName\" or \"Tooltip\",\"Settings\":[{{\"Key\":\"<locale>\",\"Value\":\"<text>\"}}]}}."
                ),
            ));
        };
        out.retain(|o| o.as_str().and_then(key_of).as_deref() != Some(key.as_str()));
        out.push(json!(s));
    }
    Ok(Value::Array(out))
}

/// The label `id` names (name, GUID, DN…), as its GUID and name.
fn resolve_label(tenant: &Tenant, id: &str) -> Result<(String, String), ExchangeError> {
    let labels = objects(tenant, "Label");
    let at = find(labels, id).ok_or_else(|| ExchangeError::not_found(id))?;
    Ok((
        labels[at]["Guid"].as_str().unwrap_or_default().to_string(),
        labels[at]["Name"].as_str().unwrap_or_default().to_string(),
    ))
}

/// Security & Compliance's rules for labels and label policies; returns the parameters to
/// apply.
pub(super) fn checks(
    tenant: &Tenant,
    verb: &str,
    noun: &str,
    identity: Option<&str>,
    mut parameters: Map<String, Value>,
) -> Result<Map<String, Value>, ExchangeError> {
    let current = identity
        .and_then(|id| find(objects(tenant, noun), id).map(|at| objects(tenant, noun)[at].clone()));
    match (verb, noun) {
        ("New" | "Set", "Label") => {
            if verb == "New" {
                for required in ["Name", "DisplayName", "Tooltip"] {
                    if !parameters.contains_key(required) {
                        return Err(missing_parameter(required));
                    }
                }
                check_name(&parameters)?;
                // A new label comes after every other.
                let next = objects(tenant, noun)
                    .iter()
                    .filter_map(|l| l["Priority"].as_i64())
                    .max()
                    .map_or(0, |p| p + 1);
                parameters.insert("Priority".into(), json!(next));
                // "The Identity parameter is used to migrate an existing Azure Information
                // Protection label by specifying a GUID value": the label keeps that GUID.
                if let Some(id) = parameters.remove("Identity") {
                    let guid = text(&id).to_ascii_lowercase();
                    let hex = guid.chars().filter(char::is_ascii_hexdigit).count();
                    if hex != 32 || guid.len() != 36 {
                        return Err(bad(
                            "System.Management.Automation.ParameterBindingArgumentTransformationException",
                            format!(
                                "Cannot convert value \"{guid}\" to type \"MasterIdParameter\": a label is migrated by its GUID."
                            ),
                        ));
                    }
                    if find(objects(tenant, noun), &guid).is_some() {
                        return Err(bad(
                            "Microsoft.Exchange.Management.Tasks.ManagementObjectAlreadyExistsException",
                            format!("A label with the GUID '{guid}' already exists."),
                        ));
                    }
                    parameters.insert("Guid".into(), json!(guid));
                }
                parameters.insert("Disabled".into(), json!(false));
                parameters.insert("Mode".into(), json!("Enforce"));
            }
            if let Some(parent) = parameters.get("ParentId").cloned() {
                let (guid, _) = resolve_label(tenant, &text(&parent))?;
                let this = current.as_ref().and_then(|c| c["Guid"].as_str());
                if this == Some(guid.as_str()) {
                    return Err(bad(
                        "Microsoft.Exchange.Management.Tasks.ValidationException",
                        "A label can't be its own parent.",
                    ));
                }
                parameters.insert("ParentId".into(), json!(guid));
            }
            if parameters.remove("RemoveParentLink") == Some(json!(true)) {
                parameters.insert("ParentId".into(), Value::Null);
            }
            if let Some(advanced) = parameters.remove("AdvancedSettings") {
                let settings =
                    merge_settings(current.as_ref().and_then(|c| c.get("Settings")), &advanced)?;
                parameters.insert("Settings".into(), settings);
            }
            if let Some(locales) = parameters.remove("LocaleSettings") {
                let merged = merge_locales(
                    current.as_ref().and_then(|c| c.get("LocaleSettings")),
                    &locales,
                )?;
                parameters.insert("LocaleSettings".into(), merged);
            }
        }
        ("New", "LabelPolicy") => {
            check_name(&parameters)?;
            let labels = parameters
                .get("Labels")
                .cloned()
                .ok_or_else(|| missing_parameter("Labels"))?;
            parameters.insert("Labels".into(), label_names(tenant, &labels)?);
            for location in LABEL_POLICY_LOCATIONS {
                if let Some(v) = parameters.get_mut(*location)
                    && let Some(one) = v.as_str().map(str::to_string)
                {
                    *v = json!([one]);
                }
            }
            if let Some(advanced) = parameters.remove("AdvancedSettings") {
                parameters.insert("Settings".into(), merge_settings(None, &advanced)?);
            }
        }
        ("Set", "LabelPolicy") => {
            let mut changes: Map<String, Value> = Map::new();
            let keys: Vec<String> = parameters.keys().cloned().collect();
            for key in keys {
                let (op, list) = match (key.strip_prefix("Add"), key.strip_prefix("Remove")) {
                    (Some(l), _) => ("Add", l),
                    (_, Some(l)) => ("Remove", l),
                    _ => continue,
                };
                if list != "Labels" && !LABEL_POLICY_LOCATIONS.contains(&list) {
                    continue;
                }
                let mut value = parameters.remove(&key).unwrap_or(Value::Null);
                if list == "Labels" && !value.is_null() {
                    value = label_names(tenant, &value)?;
                }
                record_list_change(&mut changes, list, op, value);
            }
            parameters.extend(changes);
            if let Some(advanced) = parameters.remove("AdvancedSettings") {
                let settings =
                    merge_settings(current.as_ref().and_then(|c| c.get("Settings")), &advanced)?;
                parameters.insert("Settings".into(), settings);
            }
        }
        ("New" | "Set", "AutoSensitivityLabelPolicy") => {
            if verb == "New" && !parameters.contains_key("ApplySensitivityLabel") {
                return Err(missing_parameter("ApplySensitivityLabel"));
            }
            // The label must exist; the policy reads it back as the label's GUID.
            if let Some(label) = parameters.get("ApplySensitivityLabel").cloned() {
                let (guid, _) = resolve_label(tenant, &text(&label))?;
                parameters.insert("ApplySensitivityLabel".into(), json!(guid));
            }
            if verb == "New" {
                for location in AUTO_LABEL_LOCATIONS {
                    if let Some(v) = parameters.get_mut(*location)
                        && let Some(one) = v.as_str().map(str::to_string)
                    {
                        *v = json!([one]);
                    }
                }
            } else {
                add_remove(&mut parameters, AUTO_LABEL_LOCATIONS);
            }
        }
        ("New" | "Set", "AutoSensitivityLabelRule") => {
            if verb == "New" {
                let policy = parameters
                    .get("Policy")
                    .map(text)
                    .ok_or_else(|| missing_parameter("Policy"))?;
                if !parameters.contains_key("Workload") {
                    return Err(missing_parameter("Workload"));
                }
                let policies = objects(tenant, "AutoSensitivityLabelPolicy");
                let at =
                    find(policies, &policy).ok_or_else(|| ExchangeError::not_found(&policy))?;
                parameters.insert("Policy".into(), policies[at]["Name"].clone());
            }
            let workload = parameters
                .get("Workload")
                .or_else(|| current.as_ref().and_then(|c| c.get("Workload")))
                .map(text)
                .unwrap_or_default();
            // "You can use this condition in auto-labeling policies that are scoped only to
            // Exchange."
            for exchange_only in ["HeaderMatchesPatterns", "RecipientDomainIs"] {
                if parameters.contains_key(exchange_only) && workload != "Exchange" {
                    return Err(bad(
                        "Microsoft.Office.CompliancePolicy.Tasks.InvalidRuleParameterException",
                        format!(
                            "The {exchange_only} condition can be used only in rules for the Exchange workload."
                        ),
                    ));
                }
            }
            if let Some(patterns) = parameters.get("HeaderMatchesPatterns") {
                let valid = patterns.as_object().is_some_and(|headers| {
                    headers.values().all(|p| match p {
                        Value::String(_) => true,
                        Value::Array(a) => a.iter().all(Value::is_string),
                        _ => false,
                    })
                });
                if !valid {
                    return Err(bad(
                        "System.Management.Automation.ParameterBindingArgumentTransformationException",
                        format!(
                            "Cannot process argument transformation on parameter 'HeaderMatchesPatterns'. Cannot convert value \"{}\" to type \"PswsHashtable\": give each header its patterns.",
                            text(patterns)
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(parameters)
}

/// An auto-labelling policy's locations (`New-AutoSensitivityLabelPolicy`), changed by
/// `Set-AutoSensitivityLabelPolicy`'s `Add…`/`Remove…` only.
pub(super) const AUTO_LABEL_LOCATIONS: &[&str] = &[
    "ExchangeLocation",
    "OneDriveLocation",
    "OneDriveLocationException",
    "SharePointLocation",
    "SharePointLocationException",
];

/// `Add{List}`/`Remove{List}` parameters turned into the `{Add, Remove}` change every list
/// takes.
fn add_remove(parameters: &mut Map<String, Value>, lists: &[&str]) {
    let mut changes: Map<String, Value> = Map::new();
    let keys: Vec<String> = parameters.keys().cloned().collect();
    for key in keys {
        let (op, list) = match (key.strip_prefix("Add"), key.strip_prefix("Remove")) {
            (Some(l), _) => ("Add", l),
            (_, Some(l)) => ("Remove", l),
            _ => continue,
        };
        if !lists.contains(&list) {
            continue;
        }
        record_list_change(
            &mut changes,
            list,
            op,
            parameters.remove(&key).unwrap_or(Value::Null),
        );
    }
    parameters.extend(changes);
}

/// What a new auto-labelling policy reads back before its parameters are applied ("Enable
/// … This value is the default").
pub(super) fn auto_policy_defaults(object: &mut Map<String, Value>) {
    object.insert("Mode".into(), json!("Enable"));
    object.insert("Enabled".into(), json!(true));
    object.insert("DistributionStatus".into(), json!("Success"));
    for location in AUTO_LABEL_LOCATIONS {
        object.insert((*location).into(), json!([]));
    }
}

/// Labels named by name, GUID or DN, as the names a label policy reads back.
fn label_names(tenant: &Tenant, labels: &Value) -> Result<Value, ExchangeError> {
    let items = match labels {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    let mut names = Vec::new();
    for item in items {
        let (_, name) = resolve_label(tenant, &text(&item))?;
        if !names.contains(&json!(name)) {
            names.push(json!(name));
        }
    }
    Ok(Value::Array(names))
}

/// What a new label policy reads back before its parameters are applied.
pub(super) fn policy_defaults(object: &mut Map<String, Value>) {
    object.insert("Enabled".into(), json!(true));
    object.insert("Mode".into(), json!("Enforce"));
    object.insert("DistributionStatus".into(), json!("Success"));
    object.insert("Settings".into(), json!([]));
    for location in LABEL_POLICY_LOCATIONS {
        object.insert((*location).into(), json!([]));
    }
}

/// A label or label policy that may not be removed yet: a label a policy publishes, or that
/// has sublabels.
pub(super) fn check_remove(tenant: &Tenant, noun: &str, at: usize) -> Result<(), ExchangeError> {
    if noun != "Label" {
        return Ok(());
    }
    let label = &objects(tenant, noun)[at];
    let name = label["Name"].as_str().unwrap_or_default();
    let guid = label["Guid"].as_str().unwrap_or_default();
    if let Some(policy) = objects(tenant, "LabelPolicy").iter().find(|p| {
        p["Labels"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l.as_str().is_some_and(|l| l.eq_ignore_ascii_case(name)))
    }) {
        return Err(bad(
            "Microsoft.Office.CompliancePolicy.Tasks.ErrorLabelIsPublishedException",
            format!(
                "The label '{name}' can't be removed because it's published by the label policy '{}'. Remove it from the policy first.",
                policy["Name"].as_str().unwrap_or_default()
            ),
        ));
    }
    if let Some(child) = objects(tenant, noun)
        .iter()
        .find(|l| l["ParentId"].as_str() == Some(guid))
    {
        return Err(bad(
            "Microsoft.Office.CompliancePolicy.Tasks.ErrorLabelHasSublabelsException",
            format!(
                "The label '{name}' can't be removed because it has sublabels, such as '{}'. Remove its sublabels first.",
                child["Name"].as_str().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// A label as `Get-Label` returns it: its flattened marking parameters folded into
/// `LabelActions`, and kept as properties too with `-IncludeDetailedLabelActions`.
pub(super) fn view(label: &Value, detailed: bool) -> Value {
    let Some(map) = label.as_object() else {
        return label.clone();
    };
    let mut out = Map::new();
    let mut actions: Vec<(String, Option<&str>, Vec<Value>)> = Vec::new();
    for (k, v) in map {
        let action = ACTIONS.iter().find(|(prefix, _, _)| k.starts_with(prefix));
        match action {
            Some((prefix, kind, sub)) => {
                let key = k[prefix.len()..].to_ascii_lowercase();
                let key = if key.is_empty() {
                    "value".to_string()
                } else {
                    key
                };
                let setting = json!({"Key": key, "Value": text(v)});
                match actions.iter_mut().find(|(t, s, _)| t == kind && s == sub) {
                    Some((_, _, settings)) => settings.push(setting),
                    None => actions.push((kind.to_string(), *sub, vec![setting])),
                }
                if detailed {
                    out.insert(k.clone(), v.clone());
                }
            }
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let label_actions: Vec<Value> = actions
        .into_iter()
        .map(|(kind, sub, settings)| {
            json!(json!({"Type": kind, "SubType": sub, "Settings": settings}).to_string())
        })
        .collect();
    out.insert("LabelActions".into(), Value::Array(label_actions));
    out.entry("ParentId").or_insert(Value::Null);
    out.entry("Settings").or_insert(json!([]));
    out.entry("LocaleSettings").or_insert(json!([]));
    out.insert(
        "ImmutableId".into(),
        map.get("Guid").cloned().unwrap_or(Value::Null),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::super::{execute, install_defaults};
    use super::*;
    use rand::SeedableRng;

    struct Org {
        tenant: Tenant,
        rng: rand::rngs::StdRng,
    }

    impl Org {
        fn new() -> Self {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            let mut tenant = Tenant::new(
                "t".into(),
                "T".into(),
                vec!["t.onmicrosoft.com".into()],
                crate::SizeClass::Small,
            );
            install_defaults(&mut tenant, &mut rng);
            Org { tenant, rng }
        }

        fn run(&mut self, cmdlet: &str, p: Value) -> Result<Vec<Value>, ExchangeError> {
            execute(
                &mut self.tenant,
                cmdlet,
                p.as_object().unwrap(),
                &mut self.rng,
            )
        }

        fn label(&mut self, name: &str, detailed: bool) -> Value {
            self.run(
                "Get-Label",
                json!({"Identity": name, "IncludeDetailedLabelActions": detailed}),
            )
            .unwrap()
            .remove(0)
        }
    }

    fn new_label(name: &str) -> Value {
        json!({"Name": name, "DisplayName": name, "Tooltip": format!("{name} tooltip")})
    }

    #[test]
    fn new_label_needs_its_names_and_checks_its_parameters() {
        let mut org = Org::new();
        let missing = org
            .run("New-Label", json!({"Name": "A", "DisplayName": "A"}))
            .unwrap_err();
        assert!(missing.message.contains("Tooltip"), "{missing:?}");
        let long = org
            .run("New-Label", new_label(&"x".repeat(65)))
            .unwrap_err();
        assert!(long.message.contains("64"), "{long:?}");
        let mut bad = new_label("A");
        bad["ApplyContentMarkingHeaderAlignment"] = json!("Middle");
        let refused = org.run("New-Label", bad).unwrap_err();
        assert!(
            refused.message.contains("Left, Center, Right"),
            "{refused:?}"
        );
        let mut bad = new_label("A");
        bad["ContentType"] = json!("File, Paper");
        assert!(org.run("New-Label", bad).is_err());
        let mut good = new_label("A");
        good["ContentType"] = json!("file,email");
        org.run("New-Label", good).unwrap();
        assert_eq!(org.label("A", false)["ContentType"], "File, Email");
        assert!(
            org.run("New-Label", new_label("a")).is_err(),
            "names are unique"
        );
    }

    #[test]
    fn markings_are_label_actions_expanded_on_request_and_sublabels_name_their_parent() {
        let mut org = Org::new();
        org.run("New-Label", new_label("Group")).unwrap();
        let mut sub = new_label("Sub");
        sub["ParentId"] = json!("group");
        sub["ApplyContentMarkingHeaderEnabled"] = json!(true);
        sub["ApplyContentMarkingHeaderText"] = json!("SUB");
        sub["ApplyContentMarkingHeaderFontSize"] = json!(12);
        org.run("New-Label", sub).unwrap();
        let group = org.label("Group", false);
        let plain = org.label("Sub", false);
        assert_eq!(plain["ParentId"], group["Guid"]);
        assert_eq!(
            (group["Priority"].clone(), plain["Priority"].clone()),
            (json!(0), json!(1))
        );
        assert!(plain.get("ApplyContentMarkingHeaderText").is_none());
        let action: Value =
            serde_json::from_str(plain["LabelActions"][0].as_str().unwrap()).unwrap();
        assert_eq!(action["Type"], "applycontentmarking");
        assert_eq!(action["SubType"], "header");
        assert!(
            action["Settings"]
                .as_array()
                .unwrap()
                .contains(&json!({"Key": "fontsize", "Value": "12"}))
        );
        let detailed = org.label("Sub", true);
        assert_eq!(detailed["ApplyContentMarkingHeaderText"], "SUB");
        assert_eq!(detailed["ApplyContentMarkingHeaderFontSize"], 12);
        // A parent that does not exist, or the label itself, is refused.
        assert!(
            org.run("Set-Label", json!({"Identity": "Sub", "ParentId": "Nope"}))
                .is_err()
        );
        assert!(
            org.run("Set-Label", json!({"Identity": "Sub", "ParentId": "Sub"}))
                .is_err()
        );
        org.run("Set-Label", json!({"Identity": "Sub", "Priority": 5}))
            .unwrap();
        assert_eq!(org.label("Sub", false)["Priority"], 5);
    }

    #[test]
    fn advanced_and_locale_settings_are_read_back_as_the_service_keeps_them() {
        let mut org = Org::new();
        let mut label = new_label("A");
        label["AdvancedSettings"] = json!({"Color": "#40e0d0"});
        org.run("New-Label", label).unwrap();
        assert_eq!(
            org.label("A", false)["Settings"],
            json!(["[color, #40e0d0]"])
        );
        org.run(
            "Set-Label",
            json!({"Identity": "A", "AdvancedSettings": {"color": null, "DefaultSharingScope": "SpecificPeople"}}),
        )
        .unwrap();
        assert_eq!(
            org.label("A", false)["Settings"],
            json!(["[defaultsharingscope, SpecificPeople]"])
        );
        let refused = org
            .run(
                "Set-Label",
                json!({"Identity": "A", "AdvancedSettings": "color=#fff"}),
            )
            .unwrap_err();
        assert!(refused.message.contains("PswsHashtable"), "{refused:?}");
        let locale = r#"{"localeKey":"DisplayName","Settings":[{"Key":"fr-fr","Value":"A (fr)"}]}"#;
        org.run(
            "Set-Label",
            json!({"Identity": "A", "LocaleSettings": [locale]}),
        )
        .unwrap();
        assert_eq!(org.label("A", false)["LocaleSettings"], json!([locale]));
        let refused = org
            .run(
                "Set-Label",
                json!({"Identity": "A", "LocaleSettings": ["{\"localeKey\":\"Colour\"}"]}),
            )
            .unwrap_err();
        assert!(refused.message.contains("LocaleSettings"), "{refused:?}");
    }

    #[test]
    fn a_policy_publishes_labels_and_a_published_label_or_a_parent_is_not_removed() {
        let mut org = Org::new();
        org.run("New-Label", new_label("Group")).unwrap();
        let mut sub = new_label("Sub");
        sub["ParentId"] = json!("Group");
        org.run("New-Label", sub).unwrap();
        org.run("New-Label", new_label("Other")).unwrap();
        let missing = org
            .run("New-LabelPolicy", json!({"Name": "P"}))
            .unwrap_err();
        assert!(missing.message.contains("Labels"), "{missing:?}");
        assert!(
            org.run("New-LabelPolicy", json!({"Name": "P", "Labels": ["Nope"]}))
                .is_err()
        );
        let guid = org.label("Sub", false)["Guid"].clone();
        org.run(
            "New-LabelPolicy",
            json!({"Name": "P", "Labels": [guid], "ExchangeLocation": "All"}),
        )
        .unwrap();
        let policy = org.run("Get-LabelPolicy", json!({})).unwrap().remove(0);
        assert_eq!(policy["Labels"], json!(["Sub"]));
        assert_eq!(policy["ExchangeLocation"], json!(["All"]));
        // Set- takes no -Labels: only AddLabels and RemoveLabels.
        assert!(
            org.run(
                "Set-LabelPolicy",
                json!({"Identity": "P", "Labels": ["Other"]})
            )
            .is_err()
        );
        org.run(
            "Set-LabelPolicy",
            json!({"Identity": "P", "AddLabels": ["other"], "RemoveExchangeLocation": ["All"]}),
        )
        .unwrap();
        let policy = org.run("Get-LabelPolicy", json!({})).unwrap().remove(0);
        assert_eq!(policy["Labels"], json!(["Sub", "Other"]));
        assert_eq!(policy["ExchangeLocation"], json!([]));

        let published = org
            .run("Remove-Label", json!({"Identity": "Sub"}))
            .unwrap_err();
        assert!(published.message.contains("published"), "{published:?}");
        let parent = org
            .run("Remove-Label", json!({"Identity": "Group"}))
            .unwrap_err();
        assert!(parent.message.contains("sublabels"), "{parent:?}");
        org.run("Remove-LabelPolicy", json!({"Identity": "P"}))
            .unwrap();
        org.run("Remove-Label", json!({"Identity": "Sub"})).unwrap();
        org.run("Remove-Label", json!({"Identity": "Group"}))
            .unwrap();
        let left = org.run("Get-Label", json!({})).unwrap();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn a_migrated_label_keeps_its_guid_and_auto_labelling_applies_an_existing_label() {
        let mut org = Org::new();
        let guid = "8260affa-0595-45d6-a83e-a3b79a9c02c4";
        let mut label = new_label("OFFICIAL");
        label["Identity"] = json!(guid.to_uppercase());
        org.run("New-Label", label).unwrap();
        assert_eq!(org.label("OFFICIAL", false)["Guid"], guid);
        let mut again = new_label("Other");
        again["Identity"] = json!(guid);
        assert!(org.run("New-Label", again).is_err(), "one label per GUID");

        let missing = org
            .run("New-AutoSensitivityLabelPolicy", json!({"Name": "In"}))
            .unwrap_err();
        assert!(
            missing.message.contains("ApplySensitivityLabel"),
            "{missing:?}"
        );
        assert!(
            org.run(
                "New-AutoSensitivityLabelPolicy",
                json!({"Name": "In", "ApplySensitivityLabel": "Nope"}),
            )
            .is_err()
        );
        org.run(
            "New-AutoSensitivityLabelPolicy",
            json!({"Name": "In", "ApplySensitivityLabel": "OFFICIAL", "ExchangeLocation": "All"}),
        )
        .unwrap();
        let policy = org
            .run("Get-AutoSensitivityLabelPolicy", json!({}))
            .unwrap()
            .remove(0);
        assert_eq!(policy["ApplySensitivityLabel"], guid);
        assert_eq!(policy["ExchangeLocation"], json!(["All"]));
        assert_eq!(policy["Mode"], "Enable");
        let refused = org
            .run(
                "Set-AutoSensitivityLabelPolicy",
                json!({"Identity": "In", "Mode": "Audit"}),
            )
            .unwrap_err();
        assert!(
            refused.message.contains("TestWithoutNotifications"),
            "{refused:?}"
        );

        // A rule needs its policy and workload; header and recipient-domain conditions are
        // Exchange's only.
        let rule = json!({
            "Name": "In",
            "Policy": "In",
            "Workload": "Exchange",
            "RecipientDomainIs": ["t.gov.au"],
            "HeaderMatchesPatterns": {"X-Protective-Marking": ["SEC=OFFICIAL"]},
        });
        let mut no_workload = rule.clone();
        no_workload.as_object_mut().unwrap().remove("Workload");
        assert!(
            org.run("New-AutoSensitivityLabelRule", no_workload)
                .unwrap_err()
                .message
                .contains("Workload")
        );
        let mut sharepoint = rule.clone();
        sharepoint["Workload"] = json!("SharePoint");
        let refused = org
            .run("New-AutoSensitivityLabelRule", sharepoint)
            .unwrap_err();
        assert!(refused.message.contains("Exchange"), "{refused:?}");
        let mut bad = rule.clone();
        bad["HeaderMatchesPatterns"] = json!("SEC=OFFICIAL");
        assert!(org.run("New-AutoSensitivityLabelRule", bad).is_err());
        org.run("New-AutoSensitivityLabelRule", rule).unwrap();
        let rules = org.run("Get-AutoSensitivityLabelRule", json!({})).unwrap();
        assert_eq!(rules[0]["Policy"], "In");
        // Removing the policy takes its rule with it.
        org.run(
            "Remove-AutoSensitivityLabelPolicy",
            json!({"Identity": "In"}),
        )
        .unwrap();
        assert!(
            org.run("Get-AutoSensitivityLabelRule", json!({}))
                .unwrap()
                .is_empty()
        );
    }
}
