//! Intune's app protection policies for iOS/iPadOS (`deviceAppManagement/iosManagedAppProtections`,
//! Graph v1.0): the apps a policy protects are its `apps` navigation property (managedMobileApp),
//! which no PATCH or POST of the policy writes. A client sets them with the `targetApps` action
//! that Microsoft's v1.0 metadata binds to targetedManagedAppProtection (parameters `apps`, a
//! collection of managedMobileApp, and `appGroupType`, targetedManagedAppGroupType; 204 No
//! Content, intune-mam-targetedmanagedappprotection-targetapps): the list it sends replaces the
//! policy's. They are read with `$expand=apps` or at `{id}/apps` (intune-mam-managedmobileapp-list,
//! DeviceManagementApps.Read.All). Each app is stored as Intune shows it: its identifier, an id
//! made of the bundle id and the platform (`com.microsoft.office.outlook.ios`, as exports of real
//! policies show), and a version.

use serde_json::{Map, Value, json};

use crate::error::{ErrorStyle, GraphError};
use crate::kinds::Kind;
use crate::tenant::{Tenant, not_found};

/// The navigation property, stored on the policy and shown only when expanded.
pub const APPS: &str = "apps";

/// Whether the kind's items carry protected apps.
pub fn has_apps(kind: &Kind) -> bool {
    kind.entity == "iosManagedAppProtection"
}

/// Whether `$expand=nav` is served for the kind.
pub fn expandable(kind: &Kind, nav: &str) -> bool {
    has_apps(kind) && nav == APPS
}

/// A policy as read: its apps only when expanded (the stored list never shows otherwise).
pub fn shape(kind: &Kind, stored: &Value, obj: &mut Map<String, Value>, expand: Option<&str>) {
    if !has_apps(kind) {
        return;
    }
    obj.remove(APPS);
    if expand == Some(APPS) {
        obj.insert(APPS.into(), Value::Array(apps_of(stored)));
    }
}

/// The apps a stored policy protects (`GET {id}/apps`).
pub fn apps_of(stored: &Value) -> Vec<Value> {
    stored[APPS].as_array().cloned().unwrap_or_default()
}

/// `POST {id}/targetApps`: checks the parameters and replaces the policy's apps.
pub fn target_apps(
    t: &mut Tenant,
    kind: &'static Kind,
    key: &str,
    body: &Value,
) -> Result<(), GraphError> {
    let style = kind.style;
    let id = t
        .find(kind, key)
        .and_then(|v| v["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| not_found(kind, key))?;
    let Some(params) = body.as_object() else {
        return Err(GraphError::bad_request(
            style,
            "The request body must be a JSON object.",
        ));
    };
    if let Some(extra) = params
        .keys()
        .find(|k| !matches!(k.as_str(), "apps" | "appGroupType"))
    {
        return Err(GraphError::bad_request(
            style,
            format!(
                "The parameter '{extra}' in the request payload is not a valid parameter for the operation 'targetApps'."
            ),
        ));
    }
    let schema = kind.schema();
    if let Some(group) = params.get("appGroupType").filter(|g| !g.is_null()) {
        let members = schema
            .enum_members("targetedManagedAppGroupType")
            .unwrap_or_default();
        if !group
            .as_str()
            .is_some_and(|g| members.iter().any(|m| m == g))
        {
            return Err(GraphError::bad_request(
                style,
                format!(
                    "Cannot convert the literal '{}' to the expected type 'microsoft.graph.targetedManagedAppGroupType'.",
                    group
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| group.to_string())
                ),
            ));
        }
    }
    let Some(items) = params.get(APPS).and_then(Value::as_array) else {
        return Err(GraphError::bad_request(
            style,
            "The request body must contain 'apps'.",
        ));
    };
    let mut apps: Vec<Value> = Vec::new();
    for item in items {
        let app = managed_mobile_app(kind, item, style)?;
        if !apps.iter().any(|a| a["id"] == app["id"]) {
            apps.push(app);
        }
    }
    let policy = t
        .collections
        .get_mut(kind.entity)
        .and_then(|c| c.get_mut(&id))
        .ok_or_else(|| not_found(kind, key))?;
    policy[APPS] = Value::Array(apps);
    policy["lastModifiedDateTime"] = json!(crate::tenant::now_rfc3339());
    Ok(())
}

/// One app as the service stores it, from a client's managedMobileApp. `bundleId` is not
/// nullable (iosMobileAppIdentifier, v1.0 metadata). The emulator keeps an iOS policy to iOS
/// identifiers, the only apps the portal offers it; Microsoft does not document what Graph
/// answers to another platform's identifier here.
fn managed_mobile_app(kind: &Kind, item: &Value, style: ErrorStyle) -> Result<Value, GraphError> {
    let schema = kind.schema();
    schema.validate_object("managedMobileApp", item, style)?;
    let identifier = &item["mobileAppIdentifier"];
    let bundle_id = identifier["bundleId"].as_str().unwrap_or_default();
    let is_ios = identifier["@odata.type"]
        .as_str()
        .is_some_and(|t| t.trim_start_matches('#') == "microsoft.graph.iosMobileAppIdentifier");
    if !is_ios || bundle_id.is_empty() {
        return Err(GraphError::bad_request(
            style,
            "Each app of an iOS app protection policy must have an iosMobileAppIdentifier with its bundleId.",
        ));
    }
    Ok(json!({
        "id": format!("{bundle_id}.ios"),
        "version": item
            .get("version")
            .filter(|v| v.is_string())
            .cloned()
            .unwrap_or_else(|| json!(version_of(bundle_id))),
        "mobileAppIdentifier": {
            "@odata.type": "#microsoft.graph.iosMobileAppIdentifier",
            "bundleId": bundle_id,
        },
    }))
}

/// A stable version string for an app Intune has not seen a version of (exports show a signed
/// 32-bit number as text).
fn version_of(bundle_id: &str) -> String {
    let hash = bundle_id
        .bytes()
        .fold(0i32, |h, b| h.wrapping_mul(31).wrapping_add(i32::from(b)));
    hash.to_string()
}
