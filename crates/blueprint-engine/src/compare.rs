//! Field-level comparison of what the blueprint sets with what the tenant has. Only the fields
//! the blueprint sets are compared, after normalising Graph's defaults: an omitted collection
//! reads as `[]` and an omitted value as `null`, lists of plain values are sets, and keyed lists
//! (a setting's `values` by `name`) are matched by key. A desired map's [`EVERY`] entry is
//! compared with each entry of the tenant's map that the blueprint does not name (every
//! mailbox's settings), reported as `path[key]`. A keyed list inside a keyed list's items is
//! named with `[]` for the outer item (`definitionValues[].presentationValues`: an
//! administrative template value's options by label), so a changed option is reported as that
//! option's field, not as the setting's whole list as the tenant reads it (ids, timestamps).

use serde_json::Value;

pub use blueprint_report::plan::FieldDiff;

/// The key of a desired map's entry that every other entry of the tenant's map must match.
pub const EVERY: &str = "*";

/// Compares `desired` (the blueprint's fields) against `actual` (the tenant object).
pub fn diff(desired: &Value, actual: &Value, keyed: &[(&str, &str)]) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk("", "", desired, actual, keyed, &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn is_empty_like(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `path` is the field as reported (`values[EnableGroupCreation].value`); `shape` the same with
/// each item's key left out (`values[].value`), as nested keyed lists are listed.
fn walk(
    path: &str,
    shape: &str,
    desired: &Value,
    actual: &Value,
    keyed: &[(&str, &str)],
    out: &mut Vec<FieldDiff>,
) {
    match desired {
        Value::Object(map) => {
            if !actual.is_object() {
                if !(map.is_empty() && actual.is_null()) {
                    out.push(FieldDiff {
                        path: path.to_string(),
                        expected: desired.clone(),
                        actual: actual.clone(),
                    });
                }
                return;
            }
            for (k, v) in map.iter().filter(|(k, _)| *k != EVERY) {
                walk(
                    &join(path, k),
                    &join(shape, k),
                    v,
                    actual.get(k).unwrap_or(&Value::Null),
                    keyed,
                    out,
                );
            }
            if let (Some(every), Some(entries)) = (map.get(EVERY), actual.as_object()) {
                for (k, a) in entries.iter().filter(|(k, _)| !map.contains_key(*k)) {
                    walk(
                        &format!("{path}[{k}]"),
                        &format!("{shape}[]"),
                        every,
                        a,
                        keyed,
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            let Some(actual_items) = actual
                .as_array()
                .or_else(|| actual.is_null().then_some(&EMPTY))
            else {
                out.push(FieldDiff {
                    path: path.to_string(),
                    expected: desired.clone(),
                    actual: actual.clone(),
                });
                return;
            };
            let key = keyed.iter().find(|(p, _)| *p == shape).map(|(_, k)| *k);
            if let Some(key) = key {
                // Keyed: each desired element is compared with the actual element of the
                // same key; elements the blueprint does not name are left alone. One the
                // blueprint leaves unnamed (a setting's only option) is the tenant's only one,
                // reported under that one's key.
                for item in items {
                    let id = item_key(item, key);
                    let found = match &id {
                        Some(id) => actual_items
                            .iter()
                            .find(|a| item_key(a, key).as_ref() == Some(id)),
                        None => match actual_items.as_slice() {
                            [only] => Some(only),
                            _ => None,
                        },
                    };
                    let shown = id
                        .or_else(|| found.and_then(|a| item_key(a, key)))
                        .unwrap_or(Value::Null);
                    // An item neither side names (a settings group's only value, which has
                    // no name child) is the list's only one: named by the list alone.
                    let label = if shown.is_null() {
                        path.to_string()
                    } else {
                        format!("{path}[{}]", key_text(&shown))
                    };
                    match found {
                        Some(a) => walk(&label, &format!("{shape}[]"), item, a, keyed, out),
                        None => out.push(FieldDiff {
                            path: label,
                            expected: item.clone(),
                            actual: Value::Null,
                        }),
                    }
                }
            } else if items.iter().all(|i| !i.is_object())
                && actual_items.iter().all(|i| !i.is_object())
            {
                // Plain values: a set (Graph does not promise an order).
                let mut a: Vec<String> = items.iter().map(canonical).collect();
                let mut b: Vec<String> = actual_items.iter().map(canonical).collect();
                a.sort();
                b.sort();
                a.dedup();
                b.dedup();
                if a != b {
                    out.push(FieldDiff {
                        path: path.to_string(),
                        expected: desired.clone(),
                        actual: actual.clone(),
                    });
                }
            } else {
                // Objects without a key: the same number, each desired one matched by some
                // actual one on the fields the blueprint sets.
                let matched = items.len() == actual_items.len()
                    && items
                        .iter()
                        .all(|d| actual_items.iter().any(|a| diff(d, a, &[]).is_empty()));
                if !matched {
                    out.push(FieldDiff {
                        path: path.to_string(),
                        expected: desired.clone(),
                        actual: actual.clone(),
                    });
                }
            }
        }
        Value::Null => {
            if !is_empty_like(actual) && actual != &Value::Object(Default::default()) {
                out.push(FieldDiff {
                    path: path.to_string(),
                    expected: Value::Null,
                    actual: actual.clone(),
                });
            }
        }
        Value::Number(n) => {
            let same = actual.as_f64().is_some_and(|a| Some(a) == n.as_f64());
            if !same {
                out.push(FieldDiff {
                    path: path.to_string(),
                    expected: desired.clone(),
                    actual: actual.clone(),
                });
            }
        }
        _ => {
            if desired != actual {
                out.push(FieldDiff {
                    path: path.to_string(),
                    expected: desired.clone(),
                    actual: actual.clone(),
                });
            }
        }
    }
}

static EMPTY: Vec<Value> = Vec::new();

/// A keyed list item's key: `key` is a property name or a dotted path into the item (a settings
/// catalog setting is keyed by `settingInstance.settingDefinitionId`), or several joined by `+`
/// (an administrative template value by its definition's class, category path and name), whose
/// key is the list of their values (None when any is missing).
pub fn item_key(item: &Value, key: &str) -> Option<Value> {
    let one = |path: &str| {
        path.split('.')
            .try_fold(item, |v, part| step(v, part))
            .cloned()
    };
    if key.contains('+') {
        return key
            .split('+')
            .map(one)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    one(key)
}

/// One part of a key's path: a property, or `list[field=value]`, the item of the list whose
/// `field` is `value` (a settings catalog group's child by its definition id).
fn step<'v>(value: &'v Value, part: &str) -> Option<&'v Value> {
    match part
        .strip_suffix(']')
        .and_then(|p| p.split_once('['))
        .and_then(|(list, select)| Some((list, select.split_once('=')?)))
    {
        Some((list, (field, wanted))) => value
            .get(list)?
            .as_array()?
            .iter()
            .find(|i| i.get(field).and_then(Value::as_str) == Some(wanted)),
        None => value.get(part),
    }
}

/// A key as a person reads it in a change's path: a string as is, a composite key's parts
/// joined by ` | ` (`machine | \Microsoft Edge | Configure Do Not Track`); an empty string as
/// `''` (an option the ADML gives no label).
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) if s.is_empty() => "''".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().map(key_text).collect::<Vec<_>>().join(" | "),
        other => other.to_string(),
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_the_blueprint_sets_are_compared() {
        let desired = json!({"displayName": "x", "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": ["b", "a"]}}});
        let actual = json!({"displayName": "x", "id": "1", "createdDateTime": "t",
            "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": ["a", "b"], "excludeUsers": ["u"]}, "platforms": null}});
        assert!(diff(&desired, &actual, &[]).is_empty());
    }

    #[test]
    fn defaults_normalise_and_differences_are_located() {
        let desired = json!({"excludeRoles": [], "platforms": null, "countries": ["AU"], "n": 365});
        let actual = json!({"excludeRoles": null, "countries": ["AU", "NZ"], "n": 180});
        let d = diff(&desired, &actual, &[]);
        let paths: Vec<_> = d.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["countries", "n"]);
        assert_eq!(d[0].actual, json!(["AU", "NZ"]));
    }

    #[test]
    fn keyed_lists_match_by_key() {
        let desired = json!({"values": [{"name": "EnableGroupCreation", "value": "false"}]});
        let actual = json!({"values": [{"name": "AllowToAddGuests", "value": "true"}, {"name": "EnableGroupCreation", "value": "true"}]});
        let d = diff(&desired, &actual, &[("values", "name")]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "values[EnableGroupCreation].value");
    }

    #[test]
    fn keyed_lists_match_by_a_nested_key() {
        let key = [("settings", "settingInstance.settingDefinitionId")];
        let setting = |id: &str, value: &str| json!({"settingInstance": {"settingDefinitionId": id, "choiceSettingValue": {"value": value}}});
        let desired = json!({"settings": [setting("a", "a_1")]});
        let actual = json!({"settings": [setting("b", "b_0"), setting("a", "a_0")]});
        let d = diff(&desired, &actual, &key);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].path,
            "settings[a].settingInstance.choiceSettingValue.value"
        );
        let same = json!({"settings": [setting("b", "b_0"), setting("a", "a_1")]});
        assert!(diff(&desired, &same, &key).is_empty());
    }

    /// A settings group's items keyed by the value of one child (`children[settingDefinitionId=
    /// …_name]`), their children by definition id: the rule that differs is named, in whatever
    /// order the tenant lists the rules; an only item neither side names is named by its list.
    #[test]
    fn keyed_lists_match_by_a_selected_childs_value() {
        let keys = [
            ("groups", "children[id=name].value"),
            ("groups[].children", "id"),
        ];
        let rule = |name: &str, action: &str| json!({"children": [{"id": "name", "value": name}, {"id": "action", "value": action}]});
        let desired = json!({"groups": [rule("DNS", "allow"), rule("App", "allow")]});
        let actual =
            json!({"groups": [rule("App", "allow"), rule("Old", "block"), rule("DNS", "block")]});
        let d = diff(&desired, &actual, &keys);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path, "groups[DNS].children[action].value");
        assert_eq!(
            (&d[0].expected, &d[0].actual),
            (&json!("allow"), &json!("block"))
        );
        let unnamed =
            |action: &str| json!({"groups": [{"children": [{"id": "action", "value": action}]}]});
        let d = diff(&unnamed("allow"), &unnamed("block"), &keys);
        assert_eq!(d[0].path, "groups.children[action].value");
    }

    #[test]
    fn keyed_lists_match_by_a_composite_key() {
        let key = [(
            "definitionValues",
            "definition.classType+definition.categoryPath+definition.displayName",
        )];
        let value = |class: &str, name: &str, enabled: bool| json!({"definition": {"classType": class, "categoryPath": "\\Microsoft Edge", "displayName": name}, "enabled": enabled});
        let desired = json!({"definitionValues": [value("machine", "A", true)]});
        // The user-class value of the same name is another setting.
        let actual =
            json!({"definitionValues": [value("user", "A", true), value("machine", "A", false)]});
        let d = diff(&desired, &actual, &key);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].path,
            "definitionValues[machine | \\Microsoft Edge | A].enabled"
        );
        let none = json!({"definitionValues": [value("user", "A", true)]});
        assert_eq!(diff(&desired, &none, &key)[0].actual, Value::Null);
    }

    #[test]
    fn a_keyed_list_in_keyed_items_names_the_option_that_differs() {
        let key = [
            ("definitionValues", "definition.displayName"),
            (
                "definitionValues[].presentationValues",
                "presentation.label",
            ),
        ];
        let option = |label: &str, value: i64| json!({"id": format!("pv-{label}"), "lastModifiedDateTime": "t", "value": value, "presentation": {"id": "p", "label": label}});
        let actual = json!({"definitionValues": [{"id": "v", "definition": {"displayName": "Log"},
            "presentationValues": [option("Size (KB)", 20480), option("Days", 7)]}]});
        let named = json!({"definitionValues": [{"definition": {"displayName": "Log"},
            "presentationValues": [{"presentation": {"label": "Size (KB)"}, "value": 32768}, {"presentation": {"label": "Days"}, "value": 7}]}]});
        let d = diff(&named, &actual, &key);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(
            d[0].path,
            "definitionValues[Log].presentationValues[Size (KB)].value"
        );
        assert_eq!(
            (&d[0].expected, &d[0].actual),
            (&json!(32768), &json!(20480))
        );
        // A setting's only option, unnamed in the blueprint, is the tenant's only one.
        let only = json!({"definitionValues": [{"id": "v", "definition": {"displayName": "Log"},
            "presentationValues": [option("", 20480)]}]});
        let unnamed = json!({"definitionValues": [{"definition": {"displayName": "Log"},
            "presentationValues": [{"value": 32768}]}]});
        let d = diff(&unnamed, &only, &key);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(
            d[0].path,
            "definitionValues[Log].presentationValues[''].value"
        );
        // An option the tenant lacks is reported by its label, as missing.
        let lacking = json!({"definitionValues": [{"definition": {"displayName": "Log"},
            "presentationValues": [{"presentation": {"label": "Retention"}, "value": true}]}]});
        let d = diff(&lacking, &actual, &key);
        assert_eq!(
            d[0].path,
            "definitionValues[Log].presentationValues[Retention]"
        );
        assert_eq!(d[0].actual, Value::Null);
    }

    #[test]
    fn unkeyed_object_lists_match_as_multisets() {
        let desired =
            json!({"ipRanges": [{"cidrAddress": "10.0.0.0/8"}, {"cidrAddress": "192.168.0.0/16"}]});
        let actual = json!({"ipRanges": [{"@odata.type": "#x", "cidrAddress": "192.168.0.0/16"}, {"@odata.type": "#x", "cidrAddress": "10.0.0.0/8"}]});
        assert!(diff(&desired, &actual, &[]).is_empty());
        let fewer = json!({"ipRanges": [{"cidrAddress": "10.0.0.0/8"}]});
        assert_eq!(diff(&desired, &fewer, &[]).len(), 1);
    }
}
