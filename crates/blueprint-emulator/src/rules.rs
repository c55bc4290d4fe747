//! Per-resource rules Graph enforces beyond the type schema: required properties, minimum
//! content, references that must resolve, uniqueness, and the properties the service sets.

use std::net::IpAddr;

use rand::Rng;
use serde_json::{Map, Value, json};

use crate::error::GraphError;
use crate::kinds::Kind;
use crate::tenant::{Tenant, now_rfc3339};

type Obj = Map<String, Value>;

pub fn before_create(
    tenant: &mut Tenant,
    kind: &Kind,
    obj: &mut Obj,
    rng: &mut impl Rng,
) -> Result<(), GraphError> {
    let now = now_rfc3339();
    match kind.entity {
        "conditionalAccessPolicy" => {
            require_string(kind, obj, "displayName")?;
            require_present(kind, obj, "state")?;
            check_conditional_access(tenant, kind, obj)?;
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("modifiedDateTime".into(), Value::Null);
        }
        "namedLocation" => {
            require_string(kind, obj, "displayName")?;
            check_named_location(kind, obj)?;
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("modifiedDateTime".into(), json!(now));
        }
        "group" => create_group(tenant, kind, obj, &now, rng)?,
        "user" => create_user(tenant, kind, obj, &now)?,
        "groupSetting" => settle_group_setting(tenant, kind, obj, None)?,
        "b2bManagementPolicy" => {
            // "You can create only one policy per organization. You can update the policy to
            // include more domains, or you can delete the policy to create a new one"
            // (allow-deny-list; the message is ours).
            if tenant.items(kind).next().is_some() {
                return Err(GraphError::bad_request(
                    kind.style,
                    "A B2B management policy already exists for this tenant; update it or delete it first.",
                ));
            }
            // policyroot-post-b2bmanagementpolicies: displayName, description and definition
            // are required.
            require_string(kind, obj, "displayName")?;
            require_string(kind, obj, "description")?;
            check_sts_definition(kind, obj)?;
        }
        "groupLifecyclePolicy" => {
            if tenant.items(kind).next().is_some() {
                return Err(GraphError::bad_request(
                    kind.style,
                    "A group lifecycle policy already exists for this tenant; update it instead.",
                ));
            }
            check_lifecycle(kind, obj)?;
        }
        "deviceCompliancePolicy" => {
            require_string(kind, obj, "displayName")?;
            check_scheduled_actions(kind, obj)?;
            obj.remove("scheduledActionsForRule");
            intune_stamp(obj, &now, true);
        }
        "deviceConfiguration" => {
            require_string(kind, obj, "displayName")?;
            check_oma_settings(kind, obj)?;
            intune_stamp(obj, &now, true);
        }
        "deviceManagementConfigurationPolicy" => {
            crate::settings_catalog::settle(kind, obj, &now, true)?;
        }
        "mobileApp" => create_mobile_app(kind, obj, &now)?,
        "iosManagedAppProtection" => {
            require_string(kind, obj, "displayName")?;
            // No app until `targetApps` names them; unassigned until `assign`.
            obj.insert(crate::app_protection::APPS.into(), json!([]));
            obj.insert("isAssigned".into(), json!(false));
            obj.insert("deployedAppCount".into(), json!(0));
            obj.insert("version".into(), json!("1"));
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "windowsAutopilotDeploymentProfile" => {
            require_string(kind, obj, "displayName")?;
            check_device_name_template(kind, obj)?;
            for (prop, value) in [
                ("deviceType", json!("windowsPc")),
                ("preprovisioningAllowed", json!(false)),
                ("hardwareHashExtractionEnabled", json!(false)),
            ] {
                if obj.get(prop).is_none_or(Value::is_null) {
                    obj.insert(prop.into(), value);
                }
            }
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "appleUserInitiatedEnrollmentProfile" => {
            require_string(kind, obj, "displayName")?;
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "groupPolicyConfiguration" => {
            // Values go through updateDefinitionValues (or definitionValues), not inline.
            require_string(kind, obj, "displayName")?;
            obj.entry("roleScopeTagIds").or_insert_with(|| json!(["0"]));
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "deviceManagementScript" => {
            require_string(kind, obj, "displayName")?;
            require_string(kind, obj, "scriptContent")?;
            obj.insert("createdDateTime".into(), json!(now));
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "deviceEnrollmentConfiguration" => {
            require_string(kind, obj, "displayName")?;
            // Since Intune split the platform restrictions by platform, the multi-platform type
            // is the default restriction's alone: a new one is refused with this message
            // (Intune's answer quoted in Microsoft365DSC#7189); each platform's restriction is a
            // deviceEnrollmentPlatformRestrictionConfiguration.
            if obj.get("@odata.type").and_then(Value::as_str) == Some(PLATFORM_RESTRICTIONS) {
                return Err(GraphError::bad_request(
                    kind.style,
                    "Creating enrollment restrictions in a single policy is no longer supported.",
                ));
            }
            if obj.get("@odata.type").and_then(Value::as_str) == Some(PLATFORM_RESTRICTION) {
                require_present(kind, obj, "platformType")?;
            }
            // Priority 0 is the defaults'; a new configuration goes after the existing ones.
            let next = tenant
                .items(kind)
                .filter_map(|c| c["priority"].as_i64())
                .max()
                .unwrap_or(0)
                + 1;
            if obj.get("priority").and_then(Value::as_i64).unwrap_or(0) < 1 {
                obj.insert("priority".into(), json!(next));
            }
            // The type beta reports (`deviceEnrollmentConfigurationType`), from the derived type.
            let configuration_type = match obj.get("@odata.type").and_then(Value::as_str) {
                Some("#microsoft.graph.deviceEnrollmentLimitConfiguration") => "limit",
                Some("#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration") => {
                    "platformRestrictions"
                }
                Some("#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration") => {
                    "windowsHelloForBusiness"
                }
                Some("#microsoft.graph.windows10EnrollmentCompletionPageConfiguration") => {
                    "windows10EnrollmentCompletionPageConfiguration"
                }
                Some(PLATFORM_RESTRICTION) => "singlePlatformRestriction",
                _ => "unknown",
            };
            obj.insert(
                "deviceEnrollmentConfigurationType".into(),
                json!(configuration_type),
            );
            intune_stamp(obj, &now, true);
        }
        "agreement" => {
            require_string(kind, obj, "displayName")?;
            let files = obj.get("files").and_then(Value::as_array);
            if files.is_none_or(|f| f.is_empty()) {
                return Err(GraphError::bad_request(
                    kind.style,
                    "An agreement needs at least one file (a PDF with a language).",
                ));
            }
        }
        _ => {}
    }
    for prop in kind.write_only {
        obj.remove(*prop);
    }
    Ok(())
}

pub fn before_update(
    tenant: &mut Tenant,
    kind: &Kind,
    current: &Value,
    merged: &mut Value,
    patch: &Obj,
) -> Result<(), GraphError> {
    let now = now_rfc3339();
    let obj = merged
        .as_object_mut()
        .expect("stored objects are JSON objects");
    match kind.entity {
        "conditionalAccessPolicy" => {
            require_string(kind, obj, "displayName")?;
            check_conditional_access(tenant, kind, obj)?;
            obj.insert("modifiedDateTime".into(), json!(now));
        }
        "namedLocation" => {
            require_string(kind, obj, "displayName")?;
            check_named_location(kind, obj)?;
            obj.insert("modifiedDateTime".into(), json!(now));
        }
        "group" => {
            if patch.contains_key("displayName") {
                require_string(kind, obj, "displayName")?;
            }
            if let Some(nick) = patch.get("mailNickname") {
                check_mail_nickname(kind, nick)?;
            }
        }
        "user" => {
            if let Some(upn) = patch.get("userPrincipalName") {
                let id = current["id"].as_str().unwrap_or_default();
                check_upn(tenant, kind, upn, Some(id))?;
            }
            if let Some(profile) = patch.get("passwordProfile") {
                check_password(kind, profile)?;
            }
            obj.remove("passwordProfile");
        }
        "groupSetting" => {
            let template = current["templateId"].clone();
            obj.insert("templateId".into(), template);
            settle_group_setting(tenant, kind, obj, patch.get("values"))?;
        }
        "groupLifecyclePolicy" => check_lifecycle(kind, obj)?,
        "b2bManagementPolicy" => {
            require_string(kind, obj, "displayName")?;
            check_sts_definition(kind, obj)?;
        }
        "authorizationPolicy" => {
            if let Some(role) = obj.get("guestUserRoleId").and_then(Value::as_str) {
                const GUEST_ROLES: [&str; 3] = [
                    "a0b1b346-4d3e-4e8b-98f8-753987be4970",
                    "10dae51f-b6af-4016-8d66-8c2a99b929b3",
                    "2af84b1e-32c8-42b7-82bc-daa82404023b",
                ];
                if !GUEST_ROLES.contains(&role.to_ascii_lowercase().as_str()) {
                    return Err(GraphError::bad_request(
                        kind.style,
                        format!(
                            "Invalid value specified for property 'guestUserRoleId': '{role}' is not a guest user role."
                        ),
                    ));
                }
            }
        }
        "authenticationMethodsPolicy" => {
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "sharepointSettings" => check_sharepoint(kind, obj)?,
        "deviceCompliancePolicy" | "deviceConfiguration" => {
            require_string(kind, obj, "displayName")?;
            check_oma_settings(kind, obj)?;
            intune_stamp(obj, &now, false);
        }
        "deviceManagementConfigurationPolicy" => {
            crate::settings_catalog::settle(kind, obj, &now, false)?;
        }
        "deviceManagementScript" => {
            require_string(kind, obj, "displayName")?;
            require_string(kind, obj, "scriptContent")?;
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "groupPolicyConfiguration"
        | "iosManagedAppProtection"
        | "appleUserInitiatedEnrollmentProfile" => {
            require_string(kind, obj, "displayName")?;
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "windowsAutopilotDeploymentProfile" => {
            require_string(kind, obj, "displayName")?;
            check_device_name_template(kind, obj)?;
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "mobileApp" => {
            require_string(kind, obj, "displayName")?;
            // intune-apps-webapp-update: "appUrl … cannot be PATCHed" (the message is ours).
            if let Some(url) = patch.get("appUrl")
                && *url != current["appUrl"]
            {
                return Err(GraphError::bad_request(
                    kind.style,
                    "The property 'appUrl' of a web app cannot be changed after it is created.",
                ));
            }
            obj.insert("lastModifiedDateTime".into(), json!(now));
        }
        "deviceEnrollmentConfiguration" => {
            // Priority moves only through `setPriority`; a default keeps its name.
            if patch
                .get("priority")
                .is_some_and(|p| *p != current["priority"])
            {
                return Err(GraphError::bad_request(
                    kind.style,
                    "The priority of an enrollment configuration is changed with the setPriority action.",
                ));
            }
            if is_enrolment_default(current)
                && patch
                    .get("displayName")
                    .is_some_and(|n| *n != current["displayName"])
            {
                return Err(GraphError::bad_request(
                    kind.style,
                    "The default enrollment configuration cannot be renamed.",
                ));
            }
            require_string(kind, obj, "displayName")?;
            intune_stamp(obj, &now, false);
        }
        _ => {}
    }
    for prop in kind.write_only {
        obj.remove(*prop);
    }
    Ok(())
}

/// A new app: its display name required, a web link's URL an absolute http(s) URL, and
/// published at once (an app with no content to upload: a web link, Edge). The non-nullable
/// properties a client leaves out (not featured, no managed browser, Edge's `dev` channel)
/// take Graph's defaults as every create's do (`schema/graph-*-defaults.yaml`).
fn create_mobile_app(kind: &Kind, obj: &mut Obj, now: &str) -> Result<(), GraphError> {
    require_string(kind, obj, "displayName")?;
    let odata_type = obj
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_start_matches('#');
    match odata_type {
        "microsoft.graph.webApp" => {
            let url = obj
                .get("appUrl")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(GraphError::bad_request(
                    kind.style,
                    format!("The web app URL '{url}' is not a valid absolute URL."),
                ));
            }
        }
        // Microsoft 365 Apps (beta): its default file format, not nullable in Microsoft's beta
        // metadata, is newer than the June 2021 beta metadata graph-beta-defaults.yaml has.
        "microsoft.graph.officeSuiteApp"
            if obj
                .get("officeSuiteAppDefaultFileFormat")
                .is_none_or(Value::is_null) =>
        {
            obj.insert(
                "officeSuiteAppDefaultFileFormat".into(),
                json!("notConfigured"),
            );
        }
        _ => {}
    }
    obj.insert("publishingState".into(), json!("published"));
    // What beta also reports (v1.0's schema has none of it): the Default scope tag ("0") when a
    // create names none, as for the settings catalog; no assignment, dependency or supersedence
    // yet; and the content ready (uploadState 1, "Ready"), as an app published at once is.
    obj.entry("roleScopeTagIds").or_insert_with(|| json!(["0"]));
    for (prop, value) in [
        ("isAssigned", json!(false)),
        ("dependentAppCount", json!(0)),
        ("supersedingAppCount", json!(0)),
        ("supersededAppCount", json!(0)),
        ("uploadState", json!(1)),
    ] {
        obj.insert(prop.into(), value);
    }
    obj.insert("createdDateTime".into(), json!(now));
    obj.insert("lastModifiedDateTime".into(), json!(now));
    Ok(())
}

/// An Autopilot profile's device name template: "The total length of the text generated by
/// the template can be no more than 15 characters"
/// (intune-enrollment-azureadwindowsautopilotdeploymentprofile-create), of letters, digits and
/// hyphens, not all digits, with the serial number (`%SERIAL%`) or random digits (`%RAND:x%`)
/// Intune fills in (Windows Autopilot troubleshooting: "An error occurred while creating
/// Autopilot profile" for a template that breaks these rules, `%serial%` in lower case too).
/// The text around the macros is checked; a serial number's length is the device's.
fn check_device_name_template(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let Some(template) = obj.get("deviceNameTemplate").and_then(Value::as_str) else {
        return Ok(());
    };
    let mut text = template.replace("%SERIAL%", "");
    let mut random = 0;
    while let Some(start) = text.find("%RAND:") {
        let rest = &text[start + 6..];
        let Some(end) = rest.find('%') else { break };
        random += rest[..end].parse::<usize>().unwrap_or(usize::MAX / 2);
        text = format!("{}{}", &text[..start], &rest[end + 1..]);
    }
    // "Names can't be all numbers" (Windows Autopilot troubleshooting): random digits and
    // digits around them, with no serial number.
    let all_digits = !template.contains("%SERIAL%") && text.chars().all(|c| c.is_ascii_digit());
    if text.len() + random > 15
        || !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        || all_digits
    {
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "The device name template '{template}' is not valid: at most 15 letters, digits or hyphens, with %SERIAL% or %RAND:x%."
            ),
        ));
    }
    Ok(())
}

/// The default device platform restriction's type (every platform in one object).
const PLATFORM_RESTRICTIONS: &str =
    "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration";
/// One platform's restriction (Graph beta only).
const PLATFORM_RESTRICTION: &str =
    "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";

/// Intune Administrator's role template id.
const INTUNE_ADMINISTRATOR: &str = "3a2c62db-5318-420d-8d74-23affee5d9d5";
/// Global Administrator's role template id.
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// A write to a device platform restriction (the default's or a platform's own: its create,
/// update, delete, assignments or priority) by a caller that is neither Intune Administrator
/// nor Global Administrator. Microsoft: "To create device platform restrictions … you must be
/// signed in as Intune Administrator … All other built-in Intune roles have read-only access"
/// (create-platform-restrictions); Intune holds an app's service principal to it as well,
/// whatever Graph permission the app has, with this 403 (Microsoft365DSC#5127, #5530,
/// #7189). Reads need no role.
pub fn refuse_platform_restriction_writer(
    tenant: &Tenant,
    kind: &Kind,
    rest: &[&str],
    method: &str,
    body: Option<&Value>,
    caller: &crate::graph::Caller,
) -> Result<(), GraphError> {
    if kind.entity != "deviceEnrollmentConfiguration" || method == "GET" {
        return Ok(());
    }
    let is_restriction =
        |t: Option<&str>| matches!(t, Some(PLATFORM_RESTRICTIONS | PLATFORM_RESTRICTION));
    let restriction = match rest {
        [] => is_restriction(body.and_then(|b| b["@odata.type"].as_str())),
        [key, ..] => tenant
            .find(kind, key)
            .is_some_and(|c| is_restriction(c["@odata.type"].as_str())),
    };
    if !restriction
        || caller.holds_role(INTUNE_ADMINISTRATOR)
        || caller.holds_role(GLOBAL_ADMINISTRATOR)
    {
        return Ok(());
    }
    Err(GraphError::new(
        403,
        "Forbidden",
        "Tenant is not Global Admin or Intune Service Admin. Operation is restricted.",
    ))
}

/// One of the enrolment configurations Intune makes in every tenant (priority 0).
fn is_enrolment_default(configuration: &Value) -> bool {
    configuration["priority"].as_i64() == Some(0)
}

pub fn before_delete(tenant: &Tenant, kind: &Kind, id: &str) -> Result<(), GraphError> {
    if kind.entity == "deviceEnrollmentConfiguration"
        && tenant
            .items(kind)
            .any(|c| c["id"].as_str() == Some(id) && is_enrolment_default(c))
    {
        return Err(GraphError::bad_request(
            kind.style,
            "The default enrollment configuration cannot be deleted.",
        ));
    }
    if kind.entity == "namedLocation" {
        let policies = Kind::by_entity("conditionalAccessPolicy");
        if let Some(p) = tenant.items(policies).find(|p| {
            let locations = &p["conditions"]["locations"];
            ["includeLocations", "excludeLocations"].iter().any(|k| {
                locations[k]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(id)))
            })
        }) {
            return Err(GraphError::bad_request(
                kind.style,
                format!(
                    "The named location is referenced by the conditional access policy '{}' and cannot be deleted.",
                    p["displayName"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

fn require_present(kind: &Kind, obj: &Obj, prop: &str) -> Result<(), GraphError> {
    if obj.get(prop).is_none_or(Value::is_null) {
        return Err(GraphError::bad_request(
            kind.style,
            format!("The property '{prop}' is required and cannot be null."),
        ));
    }
    Ok(())
}

fn require_string(kind: &Kind, obj: &Obj, prop: &str) -> Result<(), GraphError> {
    match obj.get(prop).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err(GraphError::bad_request(
            kind.style,
            format!("The property '{prop}' is required and must be a non-empty string."),
        )),
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn non_empty(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// The minimum content of a conditional access policy, and its references.
fn check_conditional_access(tenant: &Tenant, kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let bad = |msg: &str| Err(GraphError::bad_request(kind.style, msg.to_string()));
    let conditions = obj.get("conditions").cloned().unwrap_or(Value::Null);
    if !conditions.is_object() {
        return bad("1001: The policy must have conditions.");
    }
    let apps = &conditions["applications"];
    if !(non_empty(&apps["includeApplications"])
        || non_empty(&apps["includeUserActions"])
        || non_empty(&apps["includeAuthenticationContextClassReferences"])
        || !apps["applicationFilter"].is_null())
    {
        return bad(
            "1002: The policy must include at least one application, user action or authentication context (conditions.applications).",
        );
    }
    let users = &conditions["users"];
    if !(non_empty(&users["includeUsers"])
        || non_empty(&users["includeGroups"])
        || non_empty(&users["includeRoles"])
        || !users["includeGuestsOrExternalUsers"].is_null())
    {
        return bad(
            "1003: The policy must include at least one user, group, role, or guests or external users (conditions.users).",
        );
    }
    let grant = obj.get("grantControls").cloned().unwrap_or(Value::Null);
    let session = obj.get("sessionControls").cloned().unwrap_or(Value::Null);
    let has_grant = non_empty(&grant["builtInControls"])
        || non_empty(&grant["termsOfUse"])
        || non_empty(&grant["customAuthenticationFactors"])
        || !grant["authenticationStrength"].is_null();
    let has_session = session
        .as_object()
        .is_some_and(|s| s.values().any(|v| !v.is_null()));
    if !has_grant && !has_session {
        return bad("1004: The policy must have a grant control or a session control.");
    }
    if has_grant {
        match grant["operator"].as_str() {
            Some("AND") | Some("OR") => {}
            _ => return bad("1005: grantControls.operator must be 'AND' or 'OR'."),
        }
        let controls = strings(&grant["builtInControls"]);
        if controls.contains(&"block") && controls.len() > 1 {
            return bad("1006: The 'block' control cannot be combined with other grant controls.");
        }
    }
    if let Some(freq) = session.get("signInFrequency").filter(|f| !f.is_null())
        && freq["isEnabled"].as_bool() == Some(true)
        && freq["frequencyInterval"].as_str() != Some("everyTime")
        && (freq["value"].is_null() || freq["type"].is_null())
    {
        return bad("1007: signInFrequency needs 'value' and 'type' when enabled.");
    }
    for (prop, entity, specials) in [
        (
            "includeUsers",
            "user",
            &["All", "None", "GuestsOrExternalUsers"][..],
        ),
        ("excludeUsers", "user", &["GuestsOrExternalUsers"][..]),
        ("includeGroups", "group", &[][..]),
        ("excludeGroups", "group", &[][..]),
    ] {
        let target = Kind::by_entity(entity);
        for value in strings(&users[prop]) {
            if specials.contains(&value) {
                continue;
            }
            if tenant.find(target, value).is_none() {
                return Err(GraphError::bad_request(
                    kind.style,
                    format!(
                        "1010: conditions.users.{prop} contains '{value}', which is not the id of a {entity} in this tenant."
                    ),
                ));
            }
        }
    }
    for prop in ["includeRoles", "excludeRoles"] {
        for value in strings(&users[prop]) {
            if uuid::Uuid::parse_str(value).is_err() {
                return Err(GraphError::bad_request(
                    kind.style,
                    format!(
                        "1011: conditions.users.{prop} contains '{value}', which is not a role template id."
                    ),
                ));
            }
        }
    }
    let locations = Kind::by_entity("namedLocation");
    for prop in ["includeLocations", "excludeLocations"] {
        for value in strings(&conditions["locations"][prop]) {
            if value == "All" || value == "AllTrusted" {
                continue;
            }
            if tenant.find(locations, value).is_none() {
                return Err(GraphError::bad_request(
                    kind.style,
                    format!(
                        "1012: conditions.locations.{prop} contains '{value}', which is not the id of a named location."
                    ),
                ));
            }
        }
    }
    let agreements = Kind::by_entity("agreement");
    for value in strings(&grant["termsOfUse"]) {
        if tenant.find(agreements, value).is_none() {
            return Err(GraphError::bad_request(
                kind.style,
                format!(
                    "1013: grantControls.termsOfUse contains '{value}', which is not the id of a terms of use agreement."
                ),
            ));
        }
    }
    Ok(())
}

fn check_named_location(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let bad = |msg: String| Err(GraphError::bad_request(kind.style, msg));
    match obj.get("@odata.type").and_then(Value::as_str) {
        Some("#microsoft.graph.ipNamedLocation") => {
            let ranges = obj.get("ipRanges").and_then(Value::as_array);
            let Some(ranges) = ranges.filter(|r| !r.is_empty()) else {
                return bad("An IP named location needs at least one range in 'ipRanges'.".into());
            };
            for range in ranges {
                let cidr = range["cidrAddress"].as_str().unwrap_or_default();
                let want_v4 = match range["@odata.type"].as_str() {
                    Some("#microsoft.graph.iPv4CidrRange") => true,
                    Some("#microsoft.graph.iPv6CidrRange") => false,
                    _ => {
                        return bad(
                            "Each IP range needs '@odata.type' '#microsoft.graph.iPv4CidrRange' or '#microsoft.graph.iPv6CidrRange'."
                                .into(),
                        );
                    }
                };
                match parse_cidr(cidr) {
                    Some(IpAddr::V4(_)) if want_v4 => {}
                    Some(IpAddr::V6(_)) if !want_v4 => {}
                    _ => {
                        return bad(format!(
                            "'{cidr}' is not a valid {} CIDR range.",
                            if want_v4 { "IPv4" } else { "IPv6" }
                        ));
                    }
                }
            }
        }
        Some("#microsoft.graph.countryNamedLocation") => {
            let countries = obj.get("countriesAndRegions").and_then(Value::as_array);
            let Some(countries) = countries.filter(|c| !c.is_empty()) else {
                return bad(
                    "A country named location needs at least one entry in 'countriesAndRegions'."
                        .into(),
                );
            };
            for c in countries {
                let code = c.as_str().unwrap_or_default();
                if !crate::countries::is_alpha2(code) {
                    return bad(format!(
                        "'{code}' is not an ISO 3166-1 alpha-2 country or region code."
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn parse_cidr(text: &str) -> Option<IpAddr> {
    let (addr, len) = text.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some(addr)
}

fn check_mail_nickname(kind: &Kind, nick: &Value) -> Result<(), GraphError> {
    let Some(nick) = nick.as_str() else {
        return Err(GraphError::bad_request(
            kind.style,
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        ));
    };
    // The group rule (graph-notes §5) forbids '.', users' aliases may have dots.
    let forbidden_chars = if kind.entity == "group" {
        "@()\\[]\";:.<>, "
    } else {
        "@()\\[]\";:<>, "
    };
    let forbidden = |c: char| forbidden_chars.contains(c) || !c.is_ascii() || c.is_control();
    if nick.is_empty() || nick.len() > 64 || nick.chars().any(forbidden) {
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "Invalid value specified for property 'mailNickname' of resource '{}'.",
                if kind.entity == "user" {
                    "User"
                } else {
                    "Group"
                }
            ),
        ));
    }
    Ok(())
}

fn create_group(
    tenant: &Tenant,
    kind: &Kind,
    obj: &mut Obj,
    now: &str,
    rng: &mut impl Rng,
) -> Result<(), GraphError> {
    for prop in [
        "displayName",
        "mailEnabled",
        "mailNickname",
        "securityEnabled",
    ] {
        if obj.get(prop).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(
                kind.style,
                format!("Property '{prop}' is required when creating a group."),
            ));
        }
    }
    let name = obj["displayName"].as_str().unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 256 {
        return Err(GraphError::bad_request(
            kind.style,
            "Invalid value specified for property 'displayName' of resource 'Group'.",
        ));
    }
    check_mail_nickname(kind, &obj["mailNickname"])?;
    let unified =
        strings(&obj.get("groupTypes").cloned().unwrap_or(Value::Null)).contains(&"Unified");
    let mail_enabled = obj["mailEnabled"].as_bool() == Some(true);
    if mail_enabled && !unified {
        return Err(GraphError::bad_request(
            kind.style,
            "Creating mail-enabled security groups or distribution groups is not supported through Microsoft Graph.",
        ));
    }
    if unified && !mail_enabled {
        return Err(GraphError::bad_request(
            kind.style,
            "A Microsoft 365 group (groupTypes 'Unified') must be mail-enabled.",
        ));
    }
    if strings(&obj.get("groupTypes").cloned().unwrap_or(Value::Null))
        .contains(&"DynamicMembership")
        && obj.get("membershipRule").and_then(Value::as_str).is_none()
    {
        return Err(GraphError::bad_request(
            kind.style,
            "A dynamic group needs a 'membershipRule'.",
        ));
    }
    if obj.get("isAssignableToRole").and_then(Value::as_bool) == Some(true)
        && obj["securityEnabled"].as_bool() != Some(true)
    {
        return Err(GraphError::bad_request(
            kind.style,
            "A role-assignable group must be security-enabled.",
        ));
    }
    let nick = obj["mailNickname"].as_str().unwrap_or_default().to_string();
    if unified {
        let taken = tenant.items(kind).any(|g| {
            g["mailNickname"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&nick))
        });
        if taken {
            return Err(GraphError::bad_request(
                kind.style,
                "Another object with the same value for property mailNickname already exists.",
            ));
        }
        let mail = format!("{nick}@{}", tenant.initial_domain());
        obj.insert("mail".into(), json!(mail));
        obj.insert("proxyAddresses".into(), json!([format!("SMTP:{mail}")]));
    } else {
        obj.insert("mail".into(), Value::Null);
        obj.insert("proxyAddresses".into(), json!([]));
    }
    let sid: [u32; 4] = rng.random();
    obj.insert(
        "securityIdentifier".into(),
        json!(format!(
            "S-1-12-1-{}-{}-{}-{}",
            sid[0], sid[1], sid[2], sid[3]
        )),
    );
    obj.insert("createdDateTime".into(), json!(now));
    obj.insert("renewedDateTime".into(), json!(now));
    obj.entry("groupTypes").or_insert(json!([]));
    Ok(())
}

fn check_upn(
    tenant: &Tenant,
    kind: &Kind,
    upn: &Value,
    own_id: Option<&str>,
) -> Result<(), GraphError> {
    let upn = upn.as_str().unwrap_or_default();
    let Some((local, domain)) = upn.split_once('@') else {
        return Err(GraphError::bad_request(
            kind.style,
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        ));
    };
    if local.is_empty()
        || !tenant
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    {
        return Err(GraphError::bad_request(
            kind.style,
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        ));
    }
    let taken = tenant.items(kind).any(|u| {
        u["userPrincipalName"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case(upn))
            && u["id"].as_str() != own_id
    });
    if taken {
        return Err(GraphError::bad_request(
            kind.style,
            "Another object with the same value for property userPrincipalName already exists.",
        ));
    }
    Ok(())
}

fn check_password(kind: &Kind, profile: &Value) -> Result<(), GraphError> {
    let Some(password) = profile["password"].as_str() else {
        return Err(GraphError::bad_request(
            kind.style,
            "Property 'passwordProfile.password' is required.",
        ));
    };
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < 8 || classes.iter().filter(|c| **c).count() < 3 {
        return Err(GraphError::bad_request(
            kind.style,
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ));
    }
    Ok(())
}

fn create_user(tenant: &Tenant, kind: &Kind, obj: &mut Obj, now: &str) -> Result<(), GraphError> {
    for prop in [
        "accountEnabled",
        "displayName",
        "mailNickname",
        "passwordProfile",
        "userPrincipalName",
    ] {
        if obj.get(prop).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(
                kind.style,
                format!("Property '{prop}' is required when creating a user."),
            ));
        }
    }
    check_mail_nickname(kind, &obj["mailNickname"])?;
    check_upn(tenant, kind, &obj["userPrincipalName"], None)?;
    check_password(kind, &obj["passwordProfile"])?;
    // The password is a secret: it is checked and then never stored.
    obj.remove("passwordProfile");
    obj.insert("createdDateTime".into(), json!(now));
    obj.entry("userType").or_insert(json!("Member"));
    Ok(())
}

/// Fills a group setting from its template: name, every value (defaults where not supplied,
/// template order), each value checked against the template's type.
fn settle_group_setting(
    tenant: &Tenant,
    kind: &Kind,
    obj: &mut Obj,
    patched_values: Option<&Value>,
) -> Result<(), GraphError> {
    let template_id = obj
        .get("templateId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let templates = Kind::by_entity("groupSettingTemplate");
    let Some(template) = tenant.find(templates, &template_id).cloned() else {
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "Invalid value specified for property 'templateId': '{template_id}' is not a group setting template."
            ),
        ));
    };
    if patched_values.is_none() {
        let conflict = tenant.items(kind).any(|s| {
            s["templateId"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(&template_id))
        });
        if conflict {
            return Err(GraphError::bad_request(
                kind.style,
                "A conflicting object with one or more of the specified property values is present in the directory.",
            ));
        }
    }
    let supplied = patched_values
        .or_else(|| obj.get("values"))
        .cloned()
        .unwrap_or(json!([]));
    let supplied = supplied.as_array().cloned().unwrap_or_default();
    let definitions = template["values"].as_array().cloned().unwrap_or_default();
    for item in &supplied {
        let name = item["name"].as_str().unwrap_or_default();
        let Some(def) = definitions
            .iter()
            .find(|d| d["name"].as_str() == Some(name))
        else {
            return Err(GraphError::bad_request(
                kind.style,
                format!("Invalid setting name '{name}' for template '{template_id}'."),
            ));
        };
        let Some(value) = item["value"].as_str() else {
            return Err(GraphError::bad_request(
                kind.style,
                format!("The value of setting '{name}' must be a string."),
            ));
        };
        let ok = match def["type"].as_str() {
            Some("System.Boolean") => {
                value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
            }
            Some("System.Guid") => value.is_empty() || uuid::Uuid::parse_str(value).is_ok(),
            Some("System.Int32") => value.parse::<i32>().is_ok(),
            _ => true,
        };
        if !ok {
            return Err(GraphError::bad_request(
                kind.style,
                format!(
                    "Invalid value '{value}' for setting '{name}' of type '{}'.",
                    def["type"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    let values: Vec<Value> = definitions
        .iter()
        .map(|def| {
            let name = def["name"].as_str().unwrap_or_default();
            let value = supplied
                .iter()
                .find(|s| s["name"].as_str() == Some(name))
                .map(|s| s["value"].clone())
                .unwrap_or_else(|| def["defaultValue"].clone());
            json!({"name": name, "value": value})
        })
        .collect();
    obj.insert("displayName".into(), template["displayName"].clone());
    obj.insert("templateId".into(), json!(template["id"]));
    obj.insert("values".into(), Value::Array(values));
    Ok(())
}

/// An stsPolicy's `definition`: required, a collection holding the policy's JSON document as
/// text (stsPolicy: "A string collection containing a JSON string that defines the rules and
/// settings for a policy ... Required"). Its syntax is the service's per policy type, and
/// Microsoft's own example sends one with single quotes, so the text is kept as given, not
/// parsed. A B2B management policy is at most 25,000 characters ("The maximum size of the
/// entire policy is 25 KB (25,000 characters)", allow-deny-list). The messages are ours.
fn check_sts_definition(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let bad = |msg: String| Err(GraphError::bad_request(kind.style, msg));
    let Some(items) = obj.get("definition").and_then(Value::as_array) else {
        return bad("The property 'definition' is required and cannot be null.".into());
    };
    if items.is_empty()
        || items
            .iter()
            .any(|d| d.as_str().is_none_or(|d| d.trim().is_empty()))
    {
        return bad(
            "Invalid value specified for property 'definition': it must hold the policy's definition as a non-empty string.".into(),
        );
    }
    let size: usize = items
        .iter()
        .filter_map(Value::as_str)
        .map(|d| d.chars().count())
        .sum();
    if size > 25_000 {
        return bad(format!(
            "The policy definition is {size} characters; a B2B management policy may be at most 25000."
        ));
    }
    Ok(())
}

fn check_lifecycle(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let bad = |msg: String| Err(GraphError::bad_request(kind.style, msg));
    match obj.get("managedGroupTypes").and_then(Value::as_str) {
        Some("All" | "Selected" | "None") => {}
        other => {
            return bad(format!(
                "Invalid value specified for property 'managedGroupTypes': {other:?}; expected All, Selected or None."
            ));
        }
    }
    match obj.get("groupLifetimeInDays").and_then(Value::as_i64) {
        Some(days) if days >= 30 => {}
        other => {
            return bad(format!(
                "Invalid value specified for property 'groupLifetimeInDays': {other:?}; it must be at least 30."
            ));
        }
    }
    if let Some(emails) = obj
        .get("alternateNotificationEmails")
        .and_then(Value::as_str)
    {
        for email in emails.split(';').filter(|e| !e.trim().is_empty()) {
            if !email.contains('@') {
                return bad(format!(
                    "Invalid value specified for property 'alternateNotificationEmails': '{email}' is not an email address."
                ));
            }
        }
    }
    Ok(())
}

fn check_sharepoint(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let bad = |msg: String| Err(GraphError::bad_request(kind.style, msg));
    if let Some(days) = obj
        .get("deletedUserPersonalSiteRetentionPeriodInDays")
        .and_then(Value::as_i64)
        && !(30..=3650).contains(&days)
    {
        return bad(format!(
            "deletedUserPersonalSiteRetentionPeriodInDays must be between 30 and 3650, not {days}."
        ));
    }
    let idle = obj
        .get("idleSessionSignOut")
        .cloned()
        .unwrap_or(Value::Null);
    if idle["isEnabled"].as_bool() == Some(true) {
        let warn = idle["warnAfterInSeconds"].as_i64().unwrap_or(0);
        let out = idle["signOutAfterInSeconds"].as_i64().unwrap_or(0);
        if warn <= 0 || out <= warn {
            return bad("idleSessionSignOut: signOutAfterInSeconds must be greater than warnAfterInSeconds, and both positive.".into());
        }
    }
    Ok(())
}

fn check_scheduled_actions(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let rules = obj.get("scheduledActionsForRule").and_then(Value::as_array);
    let blocks = rules
        .into_iter()
        .flatten()
        .flat_map(|r| {
            r["scheduledActionConfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|a| a["actionType"].as_str() == Some("block"))
        .count();
    if blocks != 1 {
        return Err(GraphError::bad_request(
            kind.style,
            "A compliance policy must be created with 'scheduledActionsForRule' holding exactly one 'block' action.",
        ));
    }
    Ok(())
}

/// A custom profile's OMA-URI settings: each names its setting and an OMA-URI in the device's
/// tree (`./Device/…`, `./User/…`, `./Vendor/…`) and a value; at most 1000 (windows10CustomConfiguration:
/// "This collection can contain a maximum of 1000 elements").
fn check_oma_settings(kind: &Kind, obj: &Obj) -> Result<(), GraphError> {
    let Some(settings) = obj.get("omaSettings").and_then(Value::as_array) else {
        return Ok(());
    };
    let bad = |message: String| Err(GraphError::bad_request(kind.style, message));
    if settings.len() > 1000 {
        return bad("omaSettings can contain a maximum of 1000 elements.".into());
    }
    for setting in settings {
        let uri = setting["omaUri"].as_str().unwrap_or_default();
        if setting["displayName"]
            .as_str()
            .is_none_or(|n| n.trim().is_empty())
        {
            return bad(format!("The OMA setting '{uri}' needs a displayName."));
        }
        if !uri.starts_with("./") {
            return bad(format!(
                "The OMA-URI '{uri}' is not valid: it must start with './'."
            ));
        }
        if setting.get("value").is_none_or(Value::is_null) {
            return bad(format!("The OMA setting '{uri}' needs a value."));
        }
    }
    Ok(())
}

fn intune_stamp(obj: &mut Obj, now: &str, creating: bool) {
    if creating {
        obj.insert("createdDateTime".into(), json!(now));
        obj.insert("version".into(), json!(1));
    } else {
        let version = obj.get("version").and_then(Value::as_i64).unwrap_or(0);
        obj.insert("version".into(), json!(version + 1));
    }
    obj.insert("lastModifiedDateTime".into(), json!(now));
}

/// A user's default `$select` set: Graph returns only these unless asked for more.
pub const USER_DEFAULT_PROPS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];
