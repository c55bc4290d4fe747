//! The resources of graph-notes §5: create/read/update/delete with Graph's status codes,
//! server-set properties, read normalisation and validation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn ca_policy(name: &str, exclude_group: Option<&str>) -> Value {
    let mut users = json!({"includeUsers": ["All"]});
    if let Some(g) = exclude_group {
        users["excludeGroups"] = json!([g]);
    }
    json!({
        "displayName": name,
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": ["All"]},
            "users": users
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}
    })
}

#[tokio::test]
async fn conditional_access_policy_lifecycle() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let group = emu
        .post(
            &t,
            "groups",
            security_group("grp-Conditional_Access_Exclude", "grp-ca-exclude"),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    let gid = group.body["id"].as_str().unwrap();

    let created = emu
        .post(
            &t,
            "identity/conditionalAccess/policies",
            ca_policy("GRANT - MFA", Some(gid)),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(created.body["createdDateTime"].is_string());
    assert!(
        created.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#identity/conditionalAccess/policies/$entity")
    );
    assert!(created.header("location").unwrap().ends_with(&id));
    // Omitted complex values read as null, omitted collections as [].
    assert!(created.body["sessionControls"].is_null());
    assert!(created.body["conditions"]["platforms"].is_null());
    assert_eq!(
        created.body["conditions"]["users"]["excludeUsers"],
        json!([])
    );

    let patched = emu
        .patch(
            &t,
            &format!("identity/conditionalAccess/policies/{id}"),
            json!({"state": "enabled"}),
        )
        .await;
    assert_eq!(patched.status, 204);
    assert!(patched.text.is_empty());
    let read = emu
        .get(&t, &format!("identity/conditionalAccess/policies/{id}"))
        .await;
    assert_eq!(read.body["state"], "enabled");
    assert!(read.body["modifiedDateTime"].is_string());
    // A nested PATCH merges into the complex value instead of replacing it.
    let nested = emu
        .patch(
            &t,
            &format!("identity/conditionalAccess/policies/{id}"),
            json!({"conditions": {"users": {"excludeUsers": []}}}),
        )
        .await;
    assert_eq!(nested.status, 204, "{}", nested.text);
    let read = emu
        .get(&t, &format!("identity/conditionalAccess/policies/{id}"))
        .await;
    assert_eq!(
        read.body["conditions"]["users"]["excludeGroups"],
        json!([gid])
    );
    assert_eq!(
        read.body["conditions"]["applications"]["includeApplications"],
        json!(["All"])
    );

    let deleted = emu
        .delete(&t, &format!("identity/conditionalAccess/policies/{id}"))
        .await;
    assert_eq!(deleted.status, 204);
    let gone = emu
        .get(&t, &format!("identity/conditionalAccess/policies/{id}"))
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn conditional_access_validation() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "identity/conditionalAccess/policies";
    let mut no_users = ca_policy("x", None);
    no_users["conditions"]["users"] = json!({});
    let mut no_controls = ca_policy("x", None);
    no_controls.as_object_mut().unwrap().remove("grantControls");
    let mut unknown_prop = ca_policy("x", None);
    unknown_prop["conditions"]["colour"] = json!("blue");
    let mut bad_state = ca_policy("x", None);
    bad_state["state"] = json!("on");
    let mut block_and_mfa = ca_policy("x", None);
    block_and_mfa["grantControls"]["builtInControls"] = json!(["block", "mfa"]);
    let cases = [
        (no_users, "users"),
        (no_controls, "grant control"),
        (
            unknown_prop,
            "does not exist on type 'microsoft.graph.conditionalAccessConditionSet'",
        ),
        (bad_state, "'on'"),
        (
            ca_policy("x", Some("2d2c1b8a-0000-4000-8000-000000000000")),
            "not the id of a group",
        ),
        (block_and_mfa, "block"),
        (json!({"displayName": "x"}), "state"),
    ];
    for (body, needle) in cases {
        let r = emu.post(&t, path, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.code(), "BadRequest");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{message} should mention {needle}"
        );
        assert!(r.body["error"]["innerError"]["request-id"].is_string());
    }
    assert!(
        emu.get(&t, path).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn named_locations() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "identity/conditionalAccess/namedLocations";
    let no_type = emu
        .post(
            &t,
            path,
            json!({"displayName": "x", "countriesAndRegions": ["AU"]}),
        )
        .await;
    assert_eq!(no_type.status, 400);
    let bad_cidr = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "x",
            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "10.0.0.0/33"}]}))
        .await;
    assert_eq!(bad_cidr.status, 400, "{}", bad_cidr.text);
    let bad_country = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "x", "countriesAndRegions": ["XX"]}))
        .await;
    assert_eq!(bad_country.status, 400);
    let abstract_range = emu
        .post(
            &t,
            path,
            json!({"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "x",
            "ipRanges": [{"cidrAddress": "10.0.0.0/8"}]}),
        )
        .await;
    assert_eq!(
        abstract_range.status, 400,
        "ipRange is abstract: {}",
        abstract_range.text
    );

    let created = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "Allowed Countries",
            "countriesAndRegions": ["AU"], "includeUnknownCountriesAndRegions": false}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.countryNamedLocation"
    );
    assert_eq!(created.body["countryLookupMethod"], Value::Null);
    let id = created.body["id"].as_str().unwrap().to_string();
    let untyped_patch = emu
        .patch(
            &t,
            &format!("{path}/{id}"),
            json!({"countriesAndRegions": ["AU", "NZ"]}),
        )
        .await;
    assert_eq!(untyped_patch.status, 400, "PATCH needs @odata.type");
    let patch = emu
        .patch(&t, &format!("{path}/{id}"), json!({"@odata.type": "#microsoft.graph.countryNamedLocation", "countriesAndRegions": ["AU", "NZ"]}))
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text);
    let wrong_type_patch = emu
        .patch(
            &t,
            &format!("{path}/{id}"),
            json!({"@odata.type": "#microsoft.graph.ipNamedLocation", "isTrusted": true}),
        )
        .await;
    assert_eq!(wrong_type_patch.status, 400);

    // A location in use by a policy cannot be deleted.
    let mut policy = ca_policy("BLOCK - Countries", None);
    policy["conditions"]["locations"] =
        json!({"includeLocations": ["All"], "excludeLocations": [id]});
    policy["grantControls"] = json!({"operator": "OR", "builtInControls": ["block"]});
    let p = emu
        .post(&t, "identity/conditionalAccess/policies", policy)
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let del = emu.delete(&t, &format!("{path}/{id}")).await;
    assert_eq!(del.status, 400);
}

#[tokio::test]
async fn groups_and_users() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let missing = emu
        .post(
            &t,
            "groups",
            json!({"displayName": "x", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (400, "Request_BadRequest")
    );
    let bad_nick = emu
        .post(&t, "groups", security_group("x", "has space"))
        .await;
    assert_eq!(bad_nick.status, 400);
    let dotted = emu.post(&t, "groups", security_group("x", "a.b")).await;
    assert_eq!(dotted.status, 400);
    let mail_enabled_security = emu
        .post(&t, "groups", json!({"displayName": "x", "mailEnabled": true, "mailNickname": "x", "securityEnabled": true}))
        .await;
    assert_eq!(mail_enabled_security.status, 400);
    let unknown = emu.post(&t, "groups", json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "colour": "red"})).await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .text
            .contains("does not exist on type 'microsoft.graph.group'")
    );

    let a = emu
        .post(&t, "groups", security_group("Same Name", "same1"))
        .await;
    let b = emu
        .post(&t, "groups", security_group("Same Name", "same2"))
        .await;
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16()),
        (201, 201),
        "Graph allows duplicate group names"
    );
    assert_eq!(a.body["groupTypes"], json!([]));
    assert!(
        a.body["securityIdentifier"]
            .as_str()
            .unwrap()
            .starts_with("S-1-12-1-")
    );
    let id = a.body["id"].as_str().unwrap();
    assert_eq!(
        emu.patch(&t, &format!("groups/{id}"), json!({"description": "d"}))
            .await
            .status,
        204
    );
    assert_eq!(
        emu.get(&t, &format!("groups/{id}")).await.body["description"],
        "d"
    );

    let unified = emu
        .post(&t, "groups", json!({"displayName": "Team", "mailEnabled": true, "mailNickname": "team", "securityEnabled": false, "groupTypes": ["Unified"]}))
        .await;
    assert_eq!(unified.status, 201, "{}", unified.text);
    assert_eq!(
        unified.body["mail"],
        format!("team@{}", emu.tenant().domain)
    );

    let user = |upn: &str, password: &str| {
        json!({"accountEnabled": true, "displayName": "U", "mailNickname": "u", "userPrincipalName": upn,
               "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": password}})
    };
    let domain = emu.tenant().domain.clone();
    let unverified = emu
        .post(&t, "users", user("u@example.com", "Str0ng!Passw0rd"))
        .await;
    assert_eq!(unverified.status, 400);
    assert!(unverified.text.contains("verified domain"));
    let weak = emu
        .post(&t, "users", user(&format!("u@{domain}"), "password"))
        .await;
    assert_eq!(weak.status, 400);
    let created = emu
        .post(&t, "users", user(&format!("u@{domain}"), "Str0ng!Passw0rd"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        !created.text.contains("Str0ng!Passw0rd"),
        "passwords are never returned"
    );
    let dup = emu
        .post(&t, "users", user(&format!("U@{domain}"), "Str0ng!Passw0rd"))
        .await;
    assert_eq!(dup.status, 400);
    let by_upn = emu.get(&t, &format!("users/u@{domain}")).await;
    assert_eq!(by_upn.status, 200);
    assert!(
        by_upn.body.get("accountEnabled").is_none(),
        "not in the default property set"
    );
    let selected = emu
        .get(
            &t,
            &format!("users/u@{domain}?$select=accountEnabled,displayName"),
        )
        .await;
    assert_eq!(selected.body["accountEnabled"], true);
    assert!(selected.body.get("userPrincipalName").is_none());
    assert!(
        !emu.state().await.to_string().contains("Str0ng!Passw0rd"),
        "passwords are never stored"
    );
}

#[tokio::test]
async fn group_settings_take_template_defaults_once_per_template() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let templates = emu.get(&t, "groupSettingTemplates").await;
    let unified = templates.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["displayName"] == "Group.Unified")
        .unwrap()
        .clone();
    let template_id = unified["id"].as_str().unwrap();
    assert_eq!(template_id, "62375ab9-6b52-47ed-826b-58e47e0e304b");

    let body = json!({"templateId": template_id, "values": [{"name": "EnableGroupCreation", "value": "false"}]});
    let created = emu.post(&t, "groupSettings", body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["displayName"], "Group.Unified");
    let values = created.body["values"].as_array().unwrap();
    assert_eq!(values.len(), unified["values"].as_array().unwrap().len());
    let value = |n: &str| values.iter().find(|v| v["name"] == n).unwrap()["value"].clone();
    assert_eq!(value("EnableGroupCreation"), "false");
    assert_eq!(value("AllowToAddGuests"), "true", "a template default");

    let again = emu.post(&t, "groupSettings", body).await;
    assert_eq!(again.status, 400, "one setting per template");
    let bad_value = emu.post(&t, "groupSettings", json!({"templateId": "08d542b9-071f-4e16-94b0-74abb372e3d9", "values": [{"name": "AllowToAddGuests", "value": "maybe"}]})).await;
    assert_eq!(bad_value.status, 400);
    let bad_name = emu.post(&t, "groupSettings", json!({"templateId": "08d542b9-071f-4e16-94b0-74abb372e3d9", "values": [{"name": "Nope", "value": "x"}]})).await;
    assert_eq!(bad_name.status, 400);
    let id = created.body["id"].as_str().unwrap();
    let patch = emu
        .patch(&t, &format!("groupSettings/{id}"), json!({"values": [{"name": "EnableGroupCreation", "value": "false"}, {"name": "PrefixSuffixNamingRequirement", "value": "GRP-[GroupName]"}]}))
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text);
    let read = emu.get(&t, &format!("groupSettings/{id}")).await;
    assert!(read.text.contains("GRP-[GroupName]"));
}

#[tokio::test]
async fn singletons_and_patch_status_codes() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let authz = emu.patch(&t, "policies/authorizationPolicy", json!({"allowInvitesFrom": "adminsAndGuestInviters", "defaultUserRolePermissions": {"allowedToCreateApps": false}})).await;
    assert_eq!(authz.status, 204, "{}", authz.text);
    let read = emu.get(&t, "policies/authorizationPolicy").await;
    assert_eq!(read.body["allowInvitesFrom"], "adminsAndGuestInviters");
    assert_eq!(
        read.body["defaultUserRolePermissions"]["allowedToCreateApps"],
        false
    );
    assert_eq!(
        read.body["defaultUserRolePermissions"]["allowedToReadOtherUsers"],
        true
    );
    let bad_role = emu
        .patch(
            &t,
            "policies/authorizationPolicy",
            json!({"guestUserRoleId": "62e90394-69f5-4237-9190-012177145e10"}),
        )
        .await;
    assert_eq!(bad_role.status, 400);

    let sp = emu.patch(&t, "admin/sharepoint/settings", json!({"sharingCapability": "existingExternalUserSharingOnly", "idleSessionSignOut": {"isEnabled": true, "warnAfterInSeconds": 2700, "signOutAfterInSeconds": 3600}})).await;
    assert_eq!(sp.status, 200, "{}", sp.text);
    assert_eq!(
        sp.body["sharingCapability"],
        "existingExternalUserSharingOnly"
    );
    let bad_sp = emu
        .patch(
            &t,
            "admin/sharepoint/settings",
            json!({"sharingCapability": "everyone"}),
        )
        .await;
    assert_eq!(bad_sp.status, 400);

    let methods = emu.get(&t, "policies/authenticationMethodsPolicy").await;
    assert_eq!(methods.status, 200);
    let configs = methods.body["authenticationMethodConfigurations"]
        .as_array()
        .unwrap();
    assert!(configs.iter().any(|c| c["id"] == "Fido2"
        && c["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethodConfiguration"));
    let m = emu.patch(&t, "policies/authenticationMethodsPolicy", json!({"registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"state": "enabled", "snoozeDurationInDays": 1}}})).await;
    assert_eq!(m.status, 200, "{}", m.text);
    let fido = emu.patch(&t, "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2", json!({"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "state": "enabled"})).await;
    assert_eq!(fido.status, 204, "{}", fido.text);

    let lifecycle = emu.post(&t, "groupLifecyclePolicies", json!({"groupLifetimeInDays": 365, "managedGroupTypes": "All", "alternateNotificationEmails": "ict@examples.gov.au"})).await;
    assert_eq!(lifecycle.status, 201, "{}", lifecycle.text);
    let id = lifecycle.body["id"].as_str().unwrap();
    let second = emu
        .post(
            &t,
            "groupLifecyclePolicies",
            json!({"groupLifetimeInDays": 180, "managedGroupTypes": "All"}),
        )
        .await;
    assert_eq!(second.status, 400);
    let patched = emu
        .patch(
            &t,
            &format!("groupLifecyclePolicies/{id}"),
            json!({"groupLifetimeInDays": 180}),
        )
        .await;
    assert_eq!(
        patched.status, 200,
        "PATCH answers with the object: {}",
        patched.text
    );
    assert_eq!(patched.body["groupLifetimeInDays"], 180);
}

fn windows_compliance(name: &str, with_block: bool) -> Value {
    let mut body = json!({
        "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
        "displayName": name,
        "passwordRequired": true,
        "passwordMinimumLength": 14,
        "bitLockerEnabled": true,
        "secureBootEnabled": true
    });
    if with_block {
        body["scheduledActionsForRule"] = json!([{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [
            {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": "", "notificationMessageCCList": []}
        ]}]);
    }
    body
}

#[tokio::test]
async fn intune_policies_and_assignments() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "deviceManagement/deviceCompliancePolicies";
    let no_block = emu
        .post(&t, path, windows_compliance("Windows 10", false))
        .await;
    assert_eq!(no_block.status, 400);
    let created = emu
        .post(&t, path, windows_compliance("Windows 10", true))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["version"], 1);
    assert!(
        created.body.get("scheduledActionsForRule").is_none(),
        "GET does not return scheduled actions"
    );
    let id = created.body["id"].as_str().unwrap();
    let patched = emu.patch(&t, &format!("{path}/{id}"), json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "passwordMinimumLength": 16})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["version"], 2);

    let group = emu
        .post(&t, "groups", security_group("Windows Devices", "win"))
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let assign = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid}}]}))
        .await;
    assert_eq!(assign.status, 200, "{}", assign.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(listed.body["value"][0]["target"]["groupId"], gid);
    let bad = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "00000000-0000-4000-8000-000000000000"}}]}))
        .await;
    assert_eq!(bad.status, 400);

    let config = emu
        .post(&t, "deviceManagement/deviceConfigurations", json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "Windows baseline", "passwordRequired": true}))
        .await;
    assert_eq!(config.status, 201, "{}", config.text);
}

#[tokio::test]
async fn intune_device_configuration_profiles_take_microsofts_shapes() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "deviceManagement/deviceConfigurations";
    let oma = |uri: &str, value: Value| json!({"@odata.type": "#microsoft.graph.omaSettingInteger", "displayName": "A setting", "omaUri": uri, "value": value});
    let custom = |settings: Vec<Value>| json!({"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "Custom", "omaSettings": settings});
    // OMA-URIs live in the device's tree; values have their setting's type.
    for (bad, why) in [
        (
            custom(vec![oma("Vendor/MSFT/Policy/Config/X", json!(1))]),
            "./",
        ),
        (
            custom(vec![oma("./Vendor/MSFT/Policy/Config/X", json!("1"))]),
            "Edm.Int32",
        ),
        (
            custom(vec![
                json!({"@odata.type": "#microsoft.graph.omaSetting", "displayName": "x", "omaUri": "./Vendor/X"}),
            ]),
            "abstract",
        ),
        (
            custom(vec![
                json!({"@odata.type": "#microsoft.graph.omaSettingStringXml", "displayName": "x", "omaUri": "./Vendor/X", "value": "<xml/>"}),
            ]),
            "Edm.Binary",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(&t, path, custom(vec![
            oma("./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry", json!(0)),
            json!({"@odata.type": "#microsoft.graph.omaSettingStringXml", "displayName": "x", "omaUri": "./Vendor/X", "fileName": "x.xml", "value": "PHhtbC8+"}),
        ]))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let settings = &created.body["omaSettings"];
    assert_eq!(
        settings[0]["@odata.type"],
        "#microsoft.graph.omaSettingInteger"
    );
    assert_eq!(
        settings[0]["description"],
        Value::Null,
        "every declared property is returned"
    );
    assert_eq!(
        settings[1]["value"], "PHhtbC8+",
        "Edm.Binary reads back as base64"
    );

    // The update ring's active hours read back in Graph's TimeOfDay form; the iOS policy takes
    // days of the week and refuses beta's properties.
    let ring = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.windowsUpdateForBusinessConfiguration", "displayName": "Ring",
            "installationSchedule": {"@odata.type": "#microsoft.graph.windowsUpdateActiveHoursInstall", "activeHoursStart": "08:00", "activeHoursEnd": "17:00:00"}}))
        .await;
    assert_eq!(ring.status, 201, "{}", ring.text);
    assert_eq!(
        ring.body["installationSchedule"]["activeHoursStart"],
        "08:00:00.0000000"
    );
    assert_eq!(
        ring.body["installationSchedule"]["activeHoursEnd"],
        "17:00:00.0000000"
    );
    let late = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.windowsUpdateForBusinessConfiguration", "displayName": "Ring 2",
            "installationSchedule": {"@odata.type": "#microsoft.graph.windowsUpdateActiveHoursInstall", "activeHoursStart": "25:00:00"}}))
        .await;
    assert_eq!(late.status, 400, "{}", late.text);
    let ios = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.iosUpdateConfiguration", "displayName": "iOS", "scheduledInstallDays": ["monday"]}))
        .await;
    assert_eq!(ios.status, 201, "{}", ios.text);
    assert_eq!(ios.body["scheduledInstallDays"], json!(["monday"]));
    let beta_only = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.iosUpdateConfiguration", "displayName": "iOS 2", "desiredOsVersion": "17.0"}))
        .await;
    assert_eq!(beta_only.status, 400, "{}", beta_only.text);
    // The iOS device features profile: its home screen items are an app or a folder (the
    // abstract item is refused), its notification alerts one of v1.0's alert types, and the
    // wallpaper is beta's.
    let features = |extra: Value| {
        let mut body = json!({"@odata.type": "#microsoft.graph.iosDeviceFeaturesConfiguration", "displayName": "Features", "lockScreenFootnote": "If lost return to the agency"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (bad, why) in [
        (
            features(
                json!({"homeScreenDockIcons": [{"@odata.type": "#microsoft.graph.iosHomeScreenItem", "displayName": "x"}]}),
            ),
            "abstract",
        ),
        (
            features(
                json!({"notificationSettings": [{"bundleID": "com.example", "alertType": "loud"}]}),
            ),
            "alert type",
        ),
        (
            features(json!({"wallpaperDisplayLocation": "lockScreen"})),
            "beta-only",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let lock_screen = emu
        .post(&t, path, features(json!({"homeScreenDockIcons": [{"@odata.type": "#microsoft.graph.iosHomeScreenApp", "displayName": "Mail", "bundleID": "com.apple.mobilemail"}],
            "notificationSettings": [{"bundleID": "com.microsoft.Office.Outlook", "alertType": "banner", "enabled": true}]})))
        .await;
    assert_eq!(lock_screen.status, 201, "{}", lock_screen.text);
    assert_eq!(
        lock_screen.body["lockScreenFootnote"],
        "If lost return to the agency"
    );
    assert_eq!(lock_screen.body["assetTagTemplate"], Value::Null);
    assert_eq!(
        lock_screen.body["notificationSettings"][0]["alertType"],
        "banner"
    );
    // The endpoint protection profile: v1.0 has SmartScreen, not the local security options.
    let smart_screen = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.windows10EndpointProtectionConfiguration", "displayName": "EP", "smartScreenEnableInShell": true, "smartScreenBlockOverrideForFiles": true}))
        .await;
    assert_eq!(smart_screen.status, 201, "{}", smart_screen.text);
    let local_options = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.windows10EndpointProtectionConfiguration", "displayName": "EP 2", "localSecurityOptionsBlockMicrosoftAccounts": true}))
        .await;
    assert_eq!(local_options.status, 400, "{}", local_options.text);
    // Beta shows the same profile with beta's properties too, and writes them: each version's
    // PATCH keeps the other's settings, and v1.0 still shows none of beta's.
    let beta_path = format!("{}/beta/{path}", emu.base);
    let ep = format!("{path}/{}", smart_screen.body["id"].as_str().unwrap());
    let beta_ep = format!("{beta_path}/{}", smart_screen.body["id"].as_str().unwrap());
    let as_beta = emu.get(&t, &beta_ep).await;
    assert_eq!(as_beta.body["smartScreenEnableInShell"], true);
    assert_eq!(
        as_beta.body["localSecurityOptionsGuestAccountName"],
        Value::Null
    );
    let type_of = json!("#microsoft.graph.windows10EndpointProtectionConfiguration");
    let wrong_member = emu
        .patch(
            &t,
            &beta_ep,
            json!({"@odata.type": type_of, "lanManagerAuthenticationLevel": "ntlmV2"}),
        )
        .await;
    assert_eq!(wrong_member.status, 400, "{}", wrong_member.text);
    let beta_write = emu
        .patch(&t, &beta_ep, json!({"@odata.type": type_of, "localSecurityOptionsGuestAccountName": "Blueprint_guest",
            "lanManagerAuthenticationLevel": "lmAndNtlmV2", "xboxServicesLiveGameSaveServiceStartupMode": "disabled"}))
        .await;
    assert_eq!(beta_write.status, 200, "{}", beta_write.text);
    let v1_write = emu
        .patch(
            &t,
            &ep,
            json!({"@odata.type": type_of, "smartScreenEnableInShell": false}),
        )
        .await;
    assert_eq!(v1_write.status, 200, "{}", v1_write.text);
    let as_v1 = emu.get(&t, &ep).await;
    assert_eq!(as_v1.body["smartScreenEnableInShell"], false);
    assert!(as_v1.body.get("lanManagerAuthenticationLevel").is_none());
    let as_beta = emu.get(&t, &beta_ep).await;
    assert_eq!(as_beta.body["smartScreenEnableInShell"], false);
    assert_eq!(as_beta.body["lanManagerAuthenticationLevel"], "lmAndNtlmV2");
    assert_eq!(
        as_beta.body["xboxServicesLiveGameSaveServiceStartupMode"],
        "disabled"
    );
    // Delivery Optimisation is a profile type only beta has: v1.0 refuses it, beta creates it
    // (its bandwidth and cache size an abstract complex value given by a derived type) and lists
    // it, and v1.0's list of the same collection leaves it out.
    let delivery = json!({"@odata.type": "#microsoft.graph.windowsDeliveryOptimizationConfiguration", "displayName": "DO",
        "deliveryOptimizationMode": "httpWithPeeringNat",
        "bandwidthMode": {"@odata.type": "#microsoft.graph.deliveryOptimizationBandwidthPercentage", "maximumForegroundBandwidthPercentage": 70, "maximumBackgroundBandwidthPercentage": 25},
        "maximumCacheSize": {"@odata.type": "#microsoft.graph.deliveryOptimizationMaxCacheSizePercentage", "maximumCacheSizePercentage": 20}});
    let in_v1 = emu.post(&t, path, delivery.clone()).await;
    assert_eq!(in_v1.status, 400, "{}", in_v1.text);
    for (bad, why) in [
        (
            json!({"@odata.type": "#microsoft.graph.windowsDeliveryOptimizationConfiguration", "displayName": "DO 2", "deliveryOptimizationMode": "peering"}),
            "not a download mode",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.windowsDeliveryOptimizationConfiguration", "displayName": "DO 2", "bandwidthMode": {"@odata.type": "#microsoft.graph.deliveryOptimizationBandwidth"}}),
            "abstract",
        ),
    ] {
        let r = emu.post(&t, &beta_path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu.post(&t, &beta_path, delivery).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["bandwidthMode"]["maximumForegroundBandwidthPercentage"],
        70
    );
    // Not written, and not nullable: the enumeration's default.
    assert_eq!(created.body["vpnPeerCaching"], "notConfigured");
    let names = |list: &Value| -> Vec<String> {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["displayName"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names(&emu.get(&t, &beta_path).await.body).contains(&"DO".to_string()));
    assert!(!names(&emu.get(&t, path).await.body).contains(&"DO".to_string()));
    // Network Boundary, the other beta-only profile type: its IP ranges are an abstract type
    // given by a derived one, its cloud resources read back with their (null) proxy.
    let boundary = |ranges: Value| {
        json!({"@odata.type": "#microsoft.graph.windows10NetworkBoundaryConfiguration", "displayName": "NB",
            "windowsNetworkIsolationPolicy": {"enterpriseCloudResources": [{"ipAddressOrFQDN": "sharepoint.com"}], "enterpriseIPRanges": ranges}})
    };
    let abstract_range = emu
        .post(
            &t,
            &beta_path,
            boundary(json!([{"@odata.type": "#microsoft.graph.ipRange"}])),
        )
        .await;
    assert_eq!(abstract_range.status, 400, "{}", abstract_range.text);
    let created = emu
        .post(&t, &beta_path, boundary(json!([{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}])))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let policy = &created.body["windowsNetworkIsolationPolicy"];
    assert_eq!(
        policy["enterpriseCloudResources"],
        json!([{"ipAddressOrFQDN": "sharepoint.com", "proxy": null}])
    );
    assert_eq!(
        policy["enterpriseIPRanges"][0]["cidrAddress"],
        "203.0.113.0/24"
    );
    // The iOS VPN profile (beta only; appleVpnConfiguration is abstract): its server a complex
    // value, its connection type one of Apple's.
    let vpn = |extra: Value| {
        let mut v = json!({"@odata.type": "#microsoft.graph.iosVpnConfiguration", "displayName": "Custom - Per App VPN",
            "connectionName": "PerApp VPN", "connectionType": "ciscoAnyConnectV2", "authenticationMethod": "usernameAndPassword",
            "enableSplitTunneling": false, "enablePerApp": true, "disableOnDemandUserOverride": true,
            "server": {"address": "vpn.example.gov.au", "description": "PerApp VPN", "isDefaultServer": true}});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let in_v1 = emu.post(&t, path, vpn(json!({}))).await;
    assert_eq!(
        in_v1.status, 400,
        "v1.0 has no Apple VPN type: {}",
        in_v1.text
    );
    for (bad, why) in [
        (
            vpn(json!({"connectionType": "openVpn"})),
            "appleVpnConnectionType",
        ),
        (
            vpn(json!({"@odata.type": "#microsoft.graph.appleVpnConfiguration"})),
            "abstract",
        ),
        (
            vpn(json!({"server": "vpn.example.gov.au"})),
            "server is a vpnServer",
        ),
    ] {
        let r = emu.post(&t, &beta_path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu.post(&t, &beta_path, vpn(json!({}))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["server"]["address"], "vpn.example.gov.au");
    assert_eq!(created.body["onDemandRules"], json!([]));
    let id = ios.body["id"].as_str().unwrap();
    let all_devices = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}))
        .await;
    assert_eq!(all_devices.status, 200, "{}", all_devices.text);

    // The tenant-wide compliance settings: Intune's defaults, and a PATCH of one of them
    // keeps the others.
    let dm = emu.get(&t, "deviceManagement").await;
    assert_eq!(
        dm.body["settings"],
        json!({"deviceComplianceCheckinThresholdDays": 30, "isScheduledActionEnabled": true, "secureByDefault": false})
    );
    // The subscription's state is the service's (msgraph-sdk's DeviceManagement reads it).
    assert_eq!(dm.body["subscriptionState"], "active");
    let patched = emu
        .patch(
            &t,
            "deviceManagement",
            json!({"settings": {"secureByDefault": true}}),
        )
        .await;
    assert!(patched.status.is_success(), "{}", patched.text);
    let dm = emu.get(&t, "deviceManagement").await;
    assert_eq!(dm.body["settings"]["secureByDefault"], true);
    assert_eq!(
        dm.body["settings"]["deviceComplianceCheckinThresholdDays"],
        30
    );
}

#[tokio::test]
async fn intune_apps_take_microsofts_shapes_and_assign_with_an_intent() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "deviceAppManagement/mobileApps";
    // The base type is abstract; a web link needs an absolute URL.
    for (bad, why) in [
        (json!({"displayName": "x"}), "no @odata.type"),
        (
            json!({"@odata.type": "#microsoft.graph.mobileApp", "displayName": "x"}),
            "abstract",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.webApp", "displayName": "x", "appUrl": "portal"}),
            "relative URL",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.windowsMicrosoftEdgeApp", "displayName": "x", "channel": "canary"}),
            "enum",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let link = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.webApp", "displayName": "Company Portal", "appUrl": "https://portal.manage.microsoft.com/", "publishingState": "notPublished"}))
        .await;
    assert_eq!(link.status, 201, "{}", link.text);
    assert_eq!(link.body["@odata.type"], "#microsoft.graph.webApp");
    assert_eq!(
        link.body["publishingState"], "published",
        "the service's, not the client's"
    );
    assert_eq!(
        link.body["isFeatured"], false,
        "not nullable: Graph's default"
    );
    assert_eq!(link.body["useManagedBrowser"], false);
    assert_eq!(
        link.body["notes"],
        Value::Null,
        "every declared property is returned"
    );
    let id = link.body["id"].as_str().unwrap();
    let edge = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.windowsMicrosoftEdgeApp", "displayName": "Edge"}))
        .await;
    assert_eq!(
        edge.body["channel"], "dev",
        "Edge's documented default channel"
    );

    // PATCH answers 200 with the app; a web link's URL cannot be changed.
    let featured = emu
        .patch(
            &t,
            &format!("{path}/{id}"),
            json!({"@odata.type": "#microsoft.graph.webApp", "isFeatured": true}),
        )
        .await;
    assert_eq!(featured.status, 200, "{}", featured.text);
    assert_eq!(featured.body["isFeatured"], true);
    let moved = emu
        .patch(
            &t,
            &format!("{path}/{id}"),
            json!({"@odata.type": "#microsoft.graph.webApp", "appUrl": "https://example.com/"}),
        )
        .await;
    assert_eq!(moved.status, 400, "{}", moved.text);

    // assign takes `mobileAppAssignments`, each with an intent, and answers 204.
    let group = emu
        .post(&t, "groups", security_group("All users", "users"))
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid});
    for (bad, why) in [
        (
            json!({"assignments": [{"intent": "required", "target": target}]}),
            "a policy's parameter",
        ),
        (
            json!({"mobileAppAssignments": [{"target": target}]}),
            "no intent",
        ),
        (
            json!({"mobileAppAssignments": [{"intent": "always", "target": target}]}),
            "not an installIntent",
        ),
    ] {
        let r = emu.post(&t, &format!("{path}/{id}/assign"), bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let assign = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"mobileAppAssignments": [{"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": "required", "target": target}]}))
        .await;
    assert_eq!(assign.status, 204, "{}", assign.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(listed.body["value"][0]["intent"], "required");
    assert_eq!(listed.body["value"][0]["target"]["groupId"], gid);

    // The list holds both types, each with its own properties (beside the VPP apps the
    // tenant's token synced).
    let all = emu.get(&t, path).await;
    let types: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["@odata.type"].as_str())
        .filter(|t| *t != "#microsoft.graph.iosVppApp")
        .collect();
    assert_eq!(
        types,
        [
            "#microsoft.graph.webApp",
            "#microsoft.graph.windowsMicrosoftEdgeApp"
        ]
    );
}

/// Beta's mobileApp has six properties v1.0's lacks (intune-shared-mobileapp, beta), which
/// msgraph-beta-sdk's models read: the scope tags a client writes (the Default tag "0" when it
/// names none), and the read-only assignment state, counts and upload state, which a create that
/// sends them (as intune-apps-officesuiteapp-create's example does) has ignored; `assign` makes
/// the app assigned. v1.0 shows none of them, for the same app.
#[tokio::test]
async fn beta_apps_have_scope_tags_and_read_only_states() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let beta = &format!("{}/beta/deviceAppManagement/mobileApps", emu.base);
    let created = emu
        .post(&t, beta, json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "Microsoft 365 Apps",
            "productIds": ["o365ProPlusRetail"], "roleScopeTagIds": ["0", "7"],
            "isAssigned": true, "uploadState": 11, "dependentAppCount": 1, "supersedingAppCount": 3, "supersededAppCount": 1}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["roleScopeTagIds"], json!(["0", "7"]));
    for (prop, value) in [
        ("isAssigned", json!(false)),
        ("uploadState", json!(1)),
        ("dependentAppCount", json!(0)),
        ("supersedingAppCount", json!(0)),
        ("supersededAppCount", json!(0)),
    ] {
        assert_eq!(created.body[prop], value, "{prop} is the service's");
    }
    let id = created.body["id"].as_str().unwrap();
    let web = emu
        .post(&t, beta, json!({"@odata.type": "#microsoft.graph.webApp", "displayName": "Company Portal", "appUrl": "https://portal.manage.microsoft.com/"}))
        .await;
    assert_eq!(web.status, 201, "{}", web.text);
    assert_eq!(
        web.body["roleScopeTagIds"],
        json!(["0"]),
        "the Default scope tag"
    );
    let web_id = web.body["id"].as_str().unwrap();
    let v1_web = emu
        .get(&t, &format!("deviceAppManagement/mobileApps/{web_id}"))
        .await;
    assert_eq!(v1_web.status, 200, "{}", v1_web.text);
    for prop in [
        "roleScopeTagIds",
        "isAssigned",
        "uploadState",
        "dependentAppCount",
    ] {
        assert!(
            v1_web.body.get(prop).is_none(),
            "v1.0 has no {prop}: {}",
            v1_web.text
        );
    }
    let tagged = emu
        .patch(&t, &format!("{beta}/{id}"), json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "roleScopeTagIds": ["7"], "isAssigned": true}))
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(tagged.body["roleScopeTagIds"], json!(["7"]));
    assert_eq!(
        tagged.body["isAssigned"], false,
        "a client does not assign by PATCH"
    );
    let assigned = emu
        .post(&t, &format!("{beta}/{id}/assign"), json!({"mobileAppAssignments": [{"intent": "required", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}))
        .await;
    assert_eq!(assigned.status, 204, "{}", assigned.text);
    let got = emu.get(&t, &format!("{beta}/{id}")).await;
    assert_eq!(got.body["isAssigned"], true, "{}", got.text);
    let unassigned = emu
        .post(
            &t,
            &format!("{beta}/{id}/assign"),
            json!({"mobileAppAssignments": []}),
        )
        .await;
    assert_eq!(unassigned.status, 204, "{}", unassigned.text);
    let got = emu.get(&t, &format!("{beta}/{id}")).await;
    assert_eq!(got.body["isAssigned"], false, "{}", got.text);

    // The apps a VPP token synced report the same through beta.
    let listed = emu.get(&t, beta).await;
    let vpp = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["@odata.type"] == "#microsoft.graph.iosVppApp")
        .expect("the empty agency's VPP token synced its apps");
    assert_eq!(vpp["roleScopeTagIds"], json!(["0"]), "{vpp}");
    assert_eq!(vpp["isAssigned"], false, "{vpp}");
    assert_eq!(vpp["uploadState"], 1, "{vpp}");
}

/// Microsoft 365 Apps (`officeSuiteApp`) is a Graph beta type: created and read through
/// `/beta/deviceAppManagement/mobileApps` with its own properties and defaults, refused by
/// v1.0, left out of v1.0's list of the same collection (beta's shows it beside the v1.0
/// types), and assigned like any app.
#[tokio::test]
async fn microsoft_365_apps_is_a_beta_app_left_out_of_the_v1_list() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let v1 = "deviceAppManagement/mobileApps";
    let beta = &format!("{}/beta/deviceAppManagement/mobileApps", emu.base);
    let suite = json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "Microsoft 365 Apps for Windows 10", "productIds": ["o365ProPlusRetail"], "excludedApps": {"oneNote": true, "bing": true}, "officePlatformArchitecture": "x64", "updateChannel": "monthlyEnterprise", "localesToInstall": []});
    let refused = emu.post(&t, v1, suite.clone()).await;
    assert_eq!(
        refused.status, 400,
        "v1.0 has no officeSuiteApp: {}",
        refused.text
    );
    for (bad, why) in [
        (
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "x", "updateChannel": "weekly"}),
            "officeUpdateChannel",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "x", "officePlatformArchitecture": "x128"}),
            "windowsArchitecture",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "x", "productIds": ["office2016"]}),
            "officeProductId",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "displayName": "x", "excludedApps": {"paint": true}}),
            "excludedApps has no such app",
        ),
    ] {
        let r = emu.post(&t, beta, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu.post(&t, beta, suite).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.officeSuiteApp"
    );
    assert_eq!(created.body["updateChannel"], "monthlyEnterprise");
    assert_eq!(created.body["excludedApps"]["oneNote"], true);
    assert_eq!(
        created.body["excludedApps"]["excel"], false,
        "not written, and not nullable"
    );
    assert_eq!(
        created.body["autoAcceptEula"], false,
        "not nullable: the zero value"
    );
    assert_eq!(created.body["installProgressDisplayLevel"], "none");
    assert_eq!(created.body["publishingState"], "published");
    let id = created.body["id"].as_str().unwrap();

    // PATCH through beta answers 200 with the app.
    let patched = emu
        .patch(&t, &format!("{beta}/{id}"), json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "useSharedComputerActivation": true, "isFeatured": true}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["useSharedComputerActivation"], true);
    assert_eq!(patched.body["updateChannel"], "monthlyEnterprise");

    // Beta's list shows it; v1.0's list and count leave it out, its GET by id still answers.
    let web = emu
        .post(&t, v1, json!({"@odata.type": "#microsoft.graph.webApp", "displayName": "Company Portal", "appUrl": "https://portal.manage.microsoft.com/"}))
        .await;
    assert_eq!(web.status, 201, "{}", web.text);
    let types = |list: &Value| -> Vec<String> {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["@odata.type"].as_str())
            .filter(|t| *t != "#microsoft.graph.iosVppApp")
            .map(str::to_string)
            .collect()
    };
    let beta_list = emu.get(&t, beta).await;
    assert_eq!(beta_list.status, 200, "{}", beta_list.text);
    assert_eq!(
        types(&beta_list.body),
        ["#microsoft.graph.officeSuiteApp", "#microsoft.graph.webApp"]
    );
    let listed = beta_list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap();
    assert_eq!(listed["officePlatformArchitecture"], "x64");
    let v1_list = emu.get(&t, v1).await;
    assert_eq!(types(&v1_list.body), ["#microsoft.graph.webApp"]);
    assert!(
        v1_list.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != id)
    );
    let v1_count = emu.get(&t, &format!("{v1}/$count")).await;
    let beta_count = emu.get(&t, &format!("{beta}/$count")).await;
    assert_eq!(
        beta_count.text.parse::<u64>().unwrap(),
        v1_count.text.parse::<u64>().unwrap() + 1,
        "v1.0 counts what it lists"
    );
    let one = emu.get(&t, &format!("{v1}/{id}")).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert!(
        one.body.get("updateChannel").is_none(),
        "v1.0 shows no beta property: {}",
        one.text
    );

    // Assigned through beta with an intent (204); beta's assignments say where they came from.
    let group = emu
        .post(&t, "groups", security_group("Windows devices", "windows"))
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid});
    let no_intent = emu
        .post(
            &t,
            &format!("{beta}/{id}/assign"),
            json!({"mobileAppAssignments": [{"target": target}]}),
        )
        .await;
    assert_eq!(no_intent.status, 400, "{}", no_intent.text);
    let assign = emu
        .post(&t, &format!("{beta}/{id}/assign"), json!({"mobileAppAssignments": [{"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": "required", "target": target}]}))
        .await;
    assert_eq!(assign.status, 204, "{}", assign.text);
    let assigned = emu.get(&t, &format!("{beta}/{id}/assignments")).await;
    assert_eq!(assigned.body["value"][0]["intent"], "required");
    assert_eq!(assigned.body["value"][0]["target"]["groupId"], gid);
    assert_eq!(assigned.body["value"][0]["source"], "direct");

    // The auditor's DeviceManagementApps.Read.All reads it and cannot change it.
    let auditor = emu.token_for("blueprint-auditor").await;
    let read = emu.get(&auditor, &format!("{beta}/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let write = emu
        .patch(
            &auditor,
            &format!("{beta}/{id}"),
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp", "autoAcceptEula": true}),
        )
        .await;
    assert_eq!(write.status, 403, "{}", write.text);
}

/// Apple enrolment type profiles live in beta only: enums checked (platform, enrolment type),
/// PATCH answers 200 with the profile, and each assignment (a target only, no source) is created
/// with `POST {id}/assignments` (201) and deleted on its own (204).
#[tokio::test]
async fn apple_enrolment_type_profiles_live_in_beta_and_are_assigned_one_at_a_time() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = &format!(
        "{}/beta/deviceManagement/appleUserInitiatedEnrollmentProfiles",
        emu.base
    );
    let v1 = emu
        .get(&t, "deviceManagement/appleUserInitiatedEnrollmentProfiles")
        .await;
    assert!(matches!(v1.status.as_u16(), 400 | 404), "{}", v1.text);
    for (bad, why) in [
        (
            json!({"displayName": "x", "platform": "iPadOS"}),
            "devicePlatformType",
        ),
        (
            json!({"displayName": "x", "defaultEnrollmentType": "byod"}),
            "appleUserInitiatedEnrollmentType",
        ),
        (json!({"platform": "iOS"}), "no name"),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(&t, path, json!({"displayName": "iOS DEP Enrolment", "platform": "iOS", "defaultEnrollmentType": "device", "availableEnrollmentTypeOptions": [{"ownerType": "company", "enrollmentType": "device"}]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.body["createdDateTime"].is_string());
    let id = created.body["id"].as_str().unwrap();
    let patched = emu
        .patch(
            &t,
            &format!("{path}/{id}"),
            json!({"defaultEnrollmentType": "user"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["platform"], "iOS");
    assert_eq!(patched.body["defaultEnrollmentType"], "user");
    let added = emu
        .post(
            &t,
            &format!("{path}/{id}/assignments"),
            json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert!(added.body.get("source").is_none(), "{}", added.text);
    let assignment = added.body["id"].as_str().unwrap();
    let removed = emu
        .delete(&t, &format!("{path}/{id}/assignments/{assignment}"))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(listed.body["value"], json!([]));
}

/// Device platform restrictions: one platform's restriction lives in beta only
/// (deviceEnrollmentPlatformRestrictionConfiguration, v1.0's list leaves it out), needs its
/// platform (a member of enrollmentRestrictionPlatformType), reads as a
/// `singlePlatformRestriction` above the default and is assigned through `assign` (204); a new
/// multi-platform restriction is refused as Intune refuses it now.
#[tokio::test]
async fn a_platform_restriction_is_one_platform_in_beta_and_the_multi_platform_type_is_the_defaults()
 {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = &format!(
        "{}/beta/deviceManagement/deviceEnrollmentConfigurations",
        emu.base
    );
    let single = "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";
    for (bad, why) in [
        (
            json!({"@odata.type": single, "displayName": "x", "platformType": "windows10"}),
            "enrollmentRestrictionPlatformType",
        ),
        (
            json!({"@odata.type": single, "displayName": "x"}),
            "no platform",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration", "displayName": "x", "iosRestriction": {"platformBlocked": true}}),
            "no longer supported",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
        if why == "no longer supported" {
            assert!(r.text.contains(why), "{}", r.text);
        }
    }
    let created = emu
        .post(
            &t,
            path,
            json!({"@odata.type": single, "displayName": "Organisation Restrictions", "platformType": "mac",
                   "platformRestriction": {"platformBlocked": true, "personalDeviceEnrollmentBlocked": true}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["deviceEnrollmentConfigurationType"],
        "singlePlatformRestriction"
    );
    assert!(created.body["priority"].as_i64().unwrap() >= 1);
    let id = created.body["id"].as_str().unwrap();
    let v1 = emu
        .get(&t, "deviceManagement/deviceEnrollmentConfigurations")
        .await;
    assert_eq!(v1.status, 200, "{}", v1.text);
    assert!(
        v1.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != id),
        "v1.0 has no single-platform type: {}",
        v1.text
    );
    let assigned = emu
        .post(
            &t,
            &format!("{path}/{id}/assign"),
            json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]}),
        )
        .await;
    assert_eq!(assigned.status, 204, "{}", assigned.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(
        listed.body["value"][0]["target"]["@odata.type"],
        "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "{}",
        listed.text
    );
    // The auditor reads restrictions and writes none.
    let auditor = emu.token_for("blueprint-auditor").await;
    let read = emu.get(&auditor, &format!("{path}/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let deleted = emu.delete(&t, &format!("{path}/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
}

/// Windows Autopilot deployment profiles live in beta only, take a derived type per join type
/// and Microsoft's current out-of-box settings, check the device name template, and are
/// assigned one assignment at a time (`POST`/`DELETE {id}/assignments`), not through `assign`.
#[tokio::test]
async fn autopilot_profiles_live_in_beta_and_are_assigned_one_assignment_at_a_time() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = &format!(
        "{}/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
        emu.base
    );
    let v1 = emu
        .get(&t, "deviceManagement/windowsAutopilotDeploymentProfiles")
        .await;
    assert!(
        matches!(v1.status.as_u16(), 400 | 404),
        "Graph v1.0 has no collection of Autopilot profiles: {}",
        v1.text
    );
    let oobe = json!({"deviceUsageType": "singleUser", "userType": "standard", "eulaHidden": true, "privacySettingsHidden": true, "escapeLinkHidden": true, "keyboardSelectionPageSkipped": true});
    for (bad, why) in [
        (json!({"displayName": "x"}), "no @odata.type"),
        (
            json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfile", "displayName": "x"}),
            "abstract",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "deviceNameTemplate": "AGENCY-DEVICES-01-%SERIAL%"}),
            "more than 15 characters",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "deviceNameTemplate": "EXA_%SERIAL%"}),
            "an underscore",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "deviceNameTemplate": "EXA-%serial%"}),
            "a macro in lower case",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "deviceNameTemplate": "12%RAND:6%"}),
            "digits only",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "deviceNameTemplate": "EXA-%RAND:12%"}),
            "16 characters with the random digits",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "outOfBoxExperienceSetting": {"userType": "guest"}}),
            "windowsUserType",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "hybridAzureADJoinSkipConnectivityCheck": true}),
            "the hybrid type's",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x", "enrollmentStatusScreenSettings": {"showInstallationProgress": true}}),
            "the status screen's setting is hideInstallationProgress",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "Autopilot Deployment Profile", "locale": "en-AU", "deviceNameTemplate": "EXA-%SERIAL%", "preprovisioningAllowed": true, "outOfBoxExperienceSetting": oobe}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Beta's enrolment status screen settings (msgraph-beta-sdk's model has them): none set.
    assert_eq!(created.body["enrollmentStatusScreenSettings"], Value::Null);
    let screen = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "With a status screen",
            "enrollmentStatusScreenSettings": {"hideInstallationProgress": false, "installProgressTimeoutInMinutes": 60, "customErrorMessage": "Call the service desk"}}))
        .await;
    assert_eq!(screen.status, 201, "{}", screen.text);
    assert_eq!(
        screen.body["enrollmentStatusScreenSettings"]["installProgressTimeoutInMinutes"],
        60
    );
    assert_eq!(
        created.body["deviceType"], "windowsPc",
        "the default device type"
    );
    assert_eq!(created.body["hardwareHashExtractionEnabled"], false);
    assert_eq!(
        created.body["outOfBoxExperienceSetting"]["eulaHidden"],
        true
    );
    assert!(created.body["createdDateTime"].is_string());
    let id = created.body["id"].as_str().unwrap();
    let random = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile", "displayName": "Hybrid", "deviceNameTemplate": "EXA-%RAND:5%", "hybridAzureADJoinSkipConnectivityCheck": true}))
        .await;
    assert_eq!(random.status, 201, "{}", random.text);

    let patched = emu
        .patch(&t, &format!("{path}/{id}"), json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "description": "Devices enrolled via Autopilot"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["locale"], "en-AU");

    // No `assign` with assignments: each is created and deleted on its own.
    let all_devices = json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"});
    let via_assign = emu
        .post(
            &t,
            &format!("{path}/{id}/assign"),
            json!({"assignments": [{"target": all_devices}]}),
        )
        .await;
    assert!(via_assign.status.as_u16() >= 400, "{}", via_assign.text);
    let missing_group = emu
        .post(&t, &format!("{path}/{id}/assignments"), json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "00000000-0000-0000-0000-000000000001"}}))
        .await;
    assert_eq!(missing_group.status, 400, "{}", missing_group.text);
    let added = emu
        .post(&t, &format!("{path}/{id}/assignments"), json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment", "target": all_devices}))
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(
        added.body["target"]["@odata.type"],
        "#microsoft.graph.allDevicesAssignmentTarget"
    );
    assert_eq!(added.body["source"], "direct");
    let assignment = added.body["id"].as_str().unwrap();
    let group = emu
        .post(
            &t,
            "groups",
            security_group("Autopilot devices", "autopilot"),
        )
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let second = emu
        .post(&t, &format!("{path}/{id}/assignments"), json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid}}))
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(
        listed.body["value"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );
    let removed = emu
        .delete(&t, &format!("{path}/{id}/assignments/{assignment}"))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let again = emu
        .delete(&t, &format!("{path}/{id}/assignments/{assignment}"))
        .await;
    assert_eq!(again.status, 404, "{}", again.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["value"][0]["target"]["groupId"], gid);

    // The auditor's DeviceManagementServiceConfig.Read.All reads and cannot assign.
    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, path).await.status, 200);
    let denied = emu
        .post(
            &auditor,
            &format!("{path}/{id}/assignments"),
            json!({"target": all_devices}),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
}

/// A tenant whose Apple VPP token synced: the token under `vppTokens` (its secret content token
/// never returned, uploading one not modelled), and one `iosVppApp` per app bought, with Apple's
/// details, published, not featured and unassigned; assigned with its licence type.
#[tokio::test]
async fn a_synced_vpp_token_lists_its_apps_which_assign_with_a_licence_type() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let tokens = emu.get(&t, "deviceAppManagement/vppTokens").await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let token = &tokens.body["value"][0];
    assert_eq!(token["state"], "valid");
    assert_eq!(token["lastSyncStatus"], "completed");
    assert_eq!(token["organizationName"], "Department of Examples");
    assert_eq!(token["vppTokenAccountType"], "business");
    assert_eq!(
        token["token"],
        Value::Null,
        "the content token is Apple's secret"
    );
    let id = token["id"].as_str().unwrap();
    assert_eq!(
        emu.get(&t, &format!("deviceAppManagement/vppTokens/{id}"))
            .await
            .status,
        200
    );
    let upload = emu
        .post(&t, "deviceAppManagement/vppTokens", json!({"token": "x"}))
        .await;
    assert_eq!(upload.status, 405, "not modelled: {}", upload.text);
    // Reading tokens takes an apps or a service configuration permission.
    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(
        emu.get(&auditor, "deviceAppManagement/vppTokens")
            .await
            .status,
        200
    );

    let path = "deviceAppManagement/mobileApps";
    let apps = emu.list_all(&t, path).await;
    let vpp: Vec<&Value> = apps
        .iter()
        .filter(|a| a["@odata.type"] == "#microsoft.graph.iosVppApp")
        .collect();
    assert_eq!(vpp.len(), 10, "the blueprint's ten iOS apps");
    let word = vpp
        .iter()
        .find(|a| a["bundleId"] == "com.microsoft.Office.Word")
        .unwrap();
    assert_eq!(word["displayName"], "Microsoft Word");
    assert_eq!(word["isFeatured"], false);
    assert_eq!(word["publishingState"], "published");
    assert_eq!(word["vppTokenOrganizationName"], "Department of Examples");
    assert_eq!(word["licensingType"]["supportsDeviceLicensing"], true);
    assert_eq!(word["totalLicenseCount"], 100);
    let word_id = word["id"].as_str().unwrap();
    assert_eq!(
        emu.get(&t, &format!("{path}/{word_id}/assignments"))
            .await
            .body["value"],
        json!([])
    );

    // Featured through PATCH (200 with the app); assigned with a device licence.
    let featured = emu
        .patch(
            &t,
            &format!("{path}/{word_id}"),
            json!({"@odata.type": "#microsoft.graph.iosVppApp", "isFeatured": true}),
        )
        .await;
    assert_eq!(featured.status, 200, "{}", featured.text);
    assert_eq!(featured.body["isFeatured"], true);
    assert_eq!(featured.body["bundleId"], "com.microsoft.Office.Word");
    let group = emu
        .post(&t, "groups", security_group("iOS devices", "ios"))
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid});
    let bad = emu
        .post(&t, &format!("{path}/{word_id}/assign"), json!({"mobileAppAssignments": [{"intent": "required", "target": target, "settings": {"@odata.type": "#microsoft.graph.iosVppAppAssignmentSettings", "useDeviceLicensing": "yes"}}]}))
        .await;
    assert_eq!(
        bad.status, 400,
        "useDeviceLicensing is a Boolean: {}",
        bad.text
    );
    let assign = emu
        .post(&t, &format!("{path}/{word_id}/assign"), json!({"mobileAppAssignments": [{"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": "required", "target": target, "settings": {"@odata.type": "#microsoft.graph.iosVppAppAssignmentSettings", "useDeviceLicensing": true}}]}))
        .await;
    assert_eq!(assign.status, 204, "{}", assign.text);
    let listed = emu.get(&t, &format!("{path}/{word_id}/assignments")).await;
    let assignment = &listed.body["value"][0];
    assert_eq!(assignment["intent"], "required");
    assert_eq!(
        assignment["settings"]["@odata.type"],
        "#microsoft.graph.iosVppAppAssignmentSettings"
    );
    assert_eq!(assignment["settings"]["useDeviceLicensing"], true);
}

#[tokio::test]
async fn device_management_scripts_live_in_beta_hold_base64_and_hide_it_on_the_list() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = &format!("{}/beta/deviceManagement/deviceManagementScripts", emu.base);
    let v1 = emu
        .get(&t, "deviceManagement/deviceManagementScripts")
        .await;
    assert!(
        matches!(v1.status.as_u16(), 400 | 404),
        "Graph v1.0 has no device management scripts: {}",
        v1.text
    );
    let content = "V3JpdGUtT3V0cHV0ICdoaSc="; // base64 of "Write-Output 'hi'"
    for (bad, why) in [
        (
            json!({"displayName": "x", "scriptContent": "not base64!"}),
            "Edm.Binary",
        ),
        (json!({"displayName": "x"}), "no content"),
        (
            json!({"displayName": "x", "scriptContent": content, "runAsAccount": "admin"}),
            "runAsAccountType",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(&t, path, json!({"displayName": "RemoveBuiltInApps", "fileName": "RemoveBuiltInApps.ps1", "scriptContent": content, "runAsAccount": "system", "enforceSignatureCheck": false, "runAs32Bit": true}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let one = emu.get(&t, &format!("{path}/{id}")).await;
    assert_eq!(
        one.body["scriptContent"], content,
        "read by id: the content"
    );
    let all = emu.get(&t, path).await;
    assert_eq!(all.body["value"][0]["displayName"], "RemoveBuiltInApps");
    assert_eq!(
        all.body["value"][0]["scriptContent"],
        Value::Null,
        "the list leaves the content out"
    );

    let group = emu
        .post(
            &t,
            "groups",
            security_group("Windows devices", "windevices"),
        )
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid});
    let wrong = emu
        .post(
            &t,
            &format!("{path}/{id}/assign"),
            json!({"assignments": [{"target": target}]}),
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.text);
    let assign = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"deviceManagementScriptAssignments": [{"@odata.type": "#microsoft.graph.deviceManagementScriptAssignment", "target": target}]}))
        .await;
    assert_eq!(assign.status, 204, "{}", assign.text);
    let listed = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(listed.body["value"][0]["target"]["groupId"], gid);
    assert!(listed.body["value"][0].get("source").is_none());
}

#[tokio::test]
async fn terms_of_use_agreements_referenced_by_policies() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "identityGovernance/termsOfUse/agreements";
    let no_file = emu.post(&t, path, json!({"displayName": "Acceptable Use Policy", "isViewingBeforeAcceptanceRequired": true})).await;
    assert_eq!(no_file.status, 400);
    let created = emu
        .post(&t, path, json!({"displayName": "Acceptable Use Policy", "isViewingBeforeAcceptanceRequired": true,
            "files": [{"fileName": "aup.pdf", "language": "en", "isDefault": true, "fileData": {"data": "JVBERi0xLjQK"}}]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let mut policy = ca_policy("GRANT - Terms of Use", None);
    policy["grantControls"] = json!({"operator": "OR", "termsOfUse": [id]});
    let p = emu
        .post(&t, "identity/conditionalAccess/policies", policy)
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
}

/// Edm.Duration is ISO 8601's day-time form, as Graph's OData library reads it: the re-acceptance
/// frequency "P365D" is taken and read back; Python's str of a timedelta, which msgraph-sdk-python
/// 1.65 sends for one (msgraph-sdk-python#1262), is refused with Graph's conversion error, and so
/// are years and months, which a TimeSpan cannot hold.
#[tokio::test]
async fn durations_are_iso_8601_day_time_durations() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "identityGovernance/termsOfUse/agreements";
    let agreement = |frequency: &str, expiry: &str| {
        json!({"displayName": "Acceptable Use Policy", "userReacceptRequiredFrequency": frequency,
            "termsExpiration": {"startDateTime": "2027-01-01T00:00:00Z", "frequency": expiry},
            "files": [{"fileName": "aup.pdf", "language": "en", "isDefault": true, "fileData": {"data": "JVBERi0xLjQK"}}]})
    };
    for bad in [
        "365 days, 0:00:00",
        "10:00:00",
        "P1Y",
        "P1M",
        "PT",
        "P",
        "P1DT",
        "P1.5D",
        "PT1.S",
        "PT2S1H",
        "365",
    ] {
        let r = emu.post(&t, path, agreement(bad, "P180D")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(
            r.body["error"]["message"],
            format!("Cannot convert the literal '{bad}' to the expected type 'Edm.Duration'."),
            "{bad}"
        );
    }
    let nested = emu
        .post(&t, path, agreement("P365D", "180 days, 0:00:00"))
        .await;
    assert_eq!(
        nested.status, 400,
        "a nested Edm.Duration is checked too: {}",
        nested.text
    );
    for good in ["P365D", "PT10H", "P1DT12H30M5.5S", "PT90M", "PT0S"] {
        let r = emu.post(&t, path, agreement(good, "P180D")).await;
        assert_eq!(r.status, 201, "{good}: {}", r.text);
        let got = emu
            .get(&t, &format!("{path}/{}", r.body["id"].as_str().unwrap()))
            .await;
        assert_eq!(got.body["userReacceptRequiredFrequency"], good);
        assert_eq!(got.body["termsExpiration"]["frequency"], "P180D");
    }
}

/// A property Microsoft's metadata declares `Nullable="false"` reads as its type's default when
/// a create leaves it out (false, 0, the enumeration's member of value 0, which is not always
/// its first), in v1.0 and beta, on the entity and inside its complex values; a nullable one
/// still reads null; a value written is kept, and a PATCH of another property keeps it.
#[tokio::test]
async fn omitted_non_nullable_properties_read_as_their_defaults() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let configurations = "deviceManagement/deviceConfigurations";
    let beta_configurations = &format!("{}/beta/{configurations}", emu.base);
    let created = emu
        .post(&t, configurations, json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "displayName": "Bare iOS restrictions", "airDropBlocked": true}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let got = emu.get(&t, &format!("{configurations}/{id}")).await;
    for (body, read) in [(&created.body, "POST"), (&got.body, "GET")] {
        // iosGeneralDeviceConfiguration (v1.0 metadata): Booleans and an enumeration not
        // nullable, the passcode's minimum length nullable.
        assert_eq!(body["airDropBlocked"], true, "{read}");
        assert_eq!(body["cameraBlocked"], false, "{read}");
        assert_eq!(body["passcodeRequired"], false, "{read}");
        assert_eq!(body["passcodeRequiredType"], "deviceDefault", "{read}");
        assert_eq!(body["passcodeMinimumLength"], Value::Null, "{read}");
        assert_eq!(body["description"], Value::Null, "{read}");
    }
    let listed = emu.get(&t, configurations).await;
    let item = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(item["appStoreBlocked"], false);
    let patched = emu
        .patch(&t, &format!("{configurations}/{id}"), json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "cameraBlocked": true}))
        .await;
    assert!(patched.status.is_success(), "{}", patched.text);
    let got = emu.get(&t, &format!("{configurations}/{id}")).await;
    assert_eq!(
        (
            &got.body["cameraBlocked"],
            &got.body["airDropBlocked"],
            &got.body["passcodeRequired"]
        ),
        (&Value::Bool(true), &Value::Bool(true), &Value::Bool(false))
    );
    // Null is refused for a non-nullable property (OData's message), taken for a nullable one.
    let nulled = emu
        .patch(&t, &format!("{configurations}/{id}"), json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "cameraBlocked": null}))
        .await;
    assert_eq!(nulled.status, 400, "{}", nulled.text);
    assert!(
        nulled.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'cameraBlocked', which has the expected type 'Edm.Boolean[Nullable=False]'"),
        "{}",
        nulled.text
    );
    let cleared = emu
        .patch(&t, &format!("{configurations}/{id}"), json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "passcodeMinimumLength": null}))
        .await;
    assert!(cleared.status.is_success(), "{}", cleared.text);
    assert_eq!(
        emu.get(&t, &format!("{configurations}/{id}")).await.body["cameraBlocked"],
        true,
        "the refused write changed nothing"
    );

    // A compliance policy (v1.0): its Booleans false, its minimum password length nullable.
    let compliance = "deviceManagement/deviceCompliancePolicies";
    let mut bare = windows_compliance("Bare Windows compliance", true);
    bare.as_object_mut().unwrap().retain(|k, _| {
        ["@odata.type", "displayName", "scheduledActionsForRule"].contains(&k.as_str())
    });
    let created = emu.post(&t, compliance, bare).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let got = emu
        .get(
            &t,
            &format!("{compliance}/{}", created.body["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(got.body["bitLockerEnabled"], false);
    assert_eq!(got.body["passwordRequiredType"], "deviceDefault");
    assert_eq!(got.body["passwordMinimumLength"], Value::Null);

    // Beta: the iOS VPN profile's enumerations and its server's Boolean; a property newer than
    // the beta metadata the defaults come from (includeAllNetworks) stays null.
    let created = emu
        .post(
            &t,
            beta_configurations,
            json!({"@odata.type": "#microsoft.graph.iosVpnConfiguration", "displayName": "Bare VPN",
            "connectionName": "VPN", "server": {"address": "vpn.example.gov.au"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let got = emu
        .get(
            &t,
            &format!(
                "{beta_configurations}/{}",
                created.body["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(got.body["connectionType"], "ciscoAnyConnect");
    assert_eq!(got.body["authenticationMethod"], "certificate");
    assert_eq!(got.body["enableSplitTunneling"], false);
    assert_eq!(got.body["server"]["isDefaultServer"], false);
    assert_eq!(got.body["server"]["description"], Value::Null);
    assert_eq!(got.body["includeAllNetworks"], Value::Null);
    // An enumeration whose member of value 0 is not its first.
    let created = emu
        .post(&t, beta_configurations, json!({"@odata.type": "#microsoft.graph.windows10EndpointProtectionConfiguration", "displayName": "Bare endpoint protection"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["localSecurityOptionsSmartCardRemovalBehavior"],
        "lockWorkstation"
    );
}

/// Graph beta: the beta kinds are served under `/beta/` with the beta schema, in their own
/// `@odata.context`; `/v1.0/` neither has them nor a `beta` segment; a shared object (the
/// authentication methods policy) shows each version's properties; beta has its own `$batch`.
#[tokio::test]
async fn beta_kinds_live_under_beta_with_the_beta_schema() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let beta = |path: &str| format!("{}/beta/{path}", emu.base);

    let forms = emu.get(&t, &beta("admin/forms")).await;
    assert_eq!(forms.status, 200, "{}", forms.text);
    assert!(
        forms.body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/beta/$metadata#admin/forms"),
        "{}",
        forms.text
    );
    assert_eq!(
        forms.body["settings"]["isInOrgFormsPhishingScanEnabled"],
        true
    );

    let patched = emu
        .patch(
            &t,
            &beta("admin/forms"),
            json!({"settings": {"isExternalSendFormEnabled": false}}),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let after = emu.get(&t, &beta("admin/forms")).await;
    assert_eq!(after.body["settings"]["isExternalSendFormEnabled"], false);
    assert_eq!(after.body["settings"]["isBingImageSearchEnabled"], true);

    // The beta schema validates: an unknown property is refused.
    let wrong = emu
        .patch(
            &t,
            &beta("admin/forms"),
            json!({"settings": {"isExternalSendFormsEnabled": false}}),
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.text);

    // v1.0 has no admin/forms, and `beta` is no segment of v1.0.
    assert_eq!(emu.get(&t, "admin/forms").await.status, 400);
    assert_eq!(emu.get(&t, "beta/admin/forms").await.status, 400);

    // One object, two versions: beta shows reportSuspiciousActivitySettings, v1.0 does not.
    let set = emu
        .patch(
            &t,
            &beta("policies/authenticationMethodsPolicy"),
            json!({"reportSuspiciousActivitySettings": {"state": "enabled", "includeTarget": {"id": "all_users", "targetType": "group"}, "voiceReportingCode": 0}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(
        set.body["reportSuspiciousActivitySettings"]["state"],
        "enabled"
    );
    let v1 = emu.get(&t, "policies/authenticationMethodsPolicy").await;
    assert!(
        v1.body.get("reportSuspiciousActivitySettings").is_none(),
        "{}",
        v1.text
    );
    assert!(v1.body["authenticationMethodConfigurations"].is_array());

    // A token without the permission gets Graph's 403.
    let auditor = emu.token_for("blueprint-auditor").await;
    let denied = emu
        .patch(
            &auditor,
            &beta("admin/todo"),
            json!({"settings": {"isExternalJoinEnabled": false}}),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);

    // Beta's own $batch, with URLs relative to beta.
    let batch = emu
        .post(
            &t,
            &beta("$batch"),
            json!({"requests": [{"id": "1", "method": "GET", "url": "/admin/todo"}]}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.text);
    assert_eq!(batch.body["responses"][0]["status"], 200, "{}", batch.text);
    assert_eq!(
        batch.body["responses"][0]["body"]["settings"]["isExternalJoinEnabled"],
        true
    );
}

/// A compliance policy is one object both versions serve: created through v1.0, beta reads it
/// with beta's settings (unset: null) and takes them in a PATCH, which v1.0 refuses and never
/// returns; the tenant's compliance settings take beta's enhanced jailbreak detection beside
/// v1.0's, which the merge keeps.
#[tokio::test]
async fn compliance_policies_take_beta_only_settings_through_beta() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let beta = |path: &str| format!("{}/beta/{path}", emu.base);
    let path = "deviceManagement/deviceCompliancePolicies";
    let created = emu
        .post(&t, path, windows_compliance("Windows 10", true))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    assert!(
        created.body.get("tpmRequired").is_none(),
        "{}",
        created.text
    );

    let read = emu.get(&t, &beta(&format!("{path}/{id}"))).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.body["@odata.type"],
        "#microsoft.graph.windows10CompliancePolicy"
    );
    assert_eq!(read.body["passwordMinimumLength"], 14);
    // Not written, and not nullable: its default.
    assert_eq!(read.body["tpmRequired"], false, "{}", read.text);

    let v1_refuses = emu
        .patch(&t, &format!("{path}/{id}"), json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "tpmRequired": true}))
        .await;
    assert_eq!(v1_refuses.status, 400, "{}", v1_refuses.text);
    let patched = emu
        .patch(&t, &beta(&format!("{path}/{id}")), json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "tpmRequired": true, "defenderVersion": "4.18.0.0", "deviceThreatProtectionRequiredSecurityLevel": "medium"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["tpmRequired"], true);
    let bad_level = emu
        .patch(&t, &beta(&format!("{path}/{id}")), json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "deviceThreatProtectionRequiredSecurityLevel": "severe"}))
        .await;
    assert_eq!(bad_level.status, 400, "{}", bad_level.text);
    let v1 = emu.get(&t, &format!("{path}/{id}")).await;
    assert!(v1.body.get("tpmRequired").is_none(), "{}", v1.text);
    assert_eq!(v1.body["passwordMinimumLength"], 14);
    let listed = emu.get(&t, &beta(path)).await;
    assert_eq!(listed.body["value"][0]["defenderVersion"], "4.18.0.0");

    // iOS: the build and the screen timeout are beta's.
    let ios = emu
        .post(&t, &beta(path), json!({"@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "iOS", "osMinimumBuildVersion": "18H107", "passcodeMinutesOfInactivityBeforeScreenTimeout": 15, "advancedThreatProtectionRequiredSecurityLevel": "medium",
            "scheduledActionsForRule": [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [{"actionType": "block", "gracePeriodHours": 24, "notificationTemplateId": "", "notificationMessageCCList": []}]}]}))
        .await;
    assert_eq!(ios.status, 201, "{}", ios.text);
    let ios_id = ios.body["id"].as_str().unwrap();
    let ios_v1 = emu.get(&t, &format!("{path}/{ios_id}")).await;
    assert!(
        ios_v1.body.get("osMinimumBuildVersion").is_none(),
        "{}",
        ios_v1.text
    );

    // The tenant's compliance settings: beta's enhanced jailbreak detection beside v1.0's.
    let jailbreak = emu
        .patch(
            &t,
            &beta("deviceManagement"),
            json!({"settings": {"enhancedJailBreak": true}}),
        )
        .await;
    assert_eq!(jailbreak.status, 200, "{}", jailbreak.text);
    let v1 = emu.get(&t, "deviceManagement").await;
    assert!(
        v1.body["settings"].get("enhancedJailBreak").is_none(),
        "{}",
        v1.text
    );
    let v1_refuses = emu
        .patch(
            &t,
            "deviceManagement",
            json!({"settings": {"enhancedJailBreak": true}}),
        )
        .await;
    assert_eq!(v1_refuses.status, 400, "{}", v1_refuses.text);
    let read = emu.get(&t, &beta("deviceManagement")).await;
    assert_eq!(read.body["settings"]["enhancedJailBreak"], true);
    assert_eq!(
        read.body["settings"]["secureByDefault"], v1.body["settings"]["secureByDefault"],
        "one object: {}",
        read.text
    );
}

/// The organisation settings singletons of v1.0 the catalogue writes, with Microsoft's defaults
/// and answers: 204 for the policies and admin settings, 200 with the object for Intune's.
#[tokio::test]
async fn organisation_settings_singletons_read_and_patch() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    for (path, body, status) in [
        (
            "policies/authenticationFlowsPolicy",
            json!({"selfServiceSignUp": {"isEnabled": false}}),
            204,
        ),
        (
            "admin/reportSettings",
            json!({"displayConcealedNames": false}),
            204,
        ),
        (
            "admin/microsoft365Apps/installationOptions",
            json!({"updateChannel": "monthlyEnterprise", "appsForMac": {"isMicrosoft365AppsEnabled": true, "isSkypeForBusinessEnabled": false}}),
            204,
        ),
        (
            "deviceManagement",
            json!({"intuneBrand": {"displayName": "Department of Examples", "showLogo": true}}),
            200,
        ),
    ] {
        let before = emu.get(&t, path).await;
        assert_eq!(before.status, 200, "{path}: {}", before.text);
        let patched = emu.patch(&t, path, body.clone()).await;
        assert_eq!(patched.status, status, "{path}: {}", patched.text);
        let after = emu.get(&t, path).await;
        for (k, v) in body.as_object().unwrap() {
            for (inner, value) in v.as_object().into_iter().flatten() {
                assert_eq!(&after.body[k][inner], value, "{path} {k}.{inner}");
            }
            if !v.is_object() {
                assert_eq!(&after.body[k], v, "{path} {k}");
            }
        }
    }
    let bad = emu
        .patch(
            &t,
            "admin/microsoft365Apps/installationOptions",
            json!({"updateChannel": "weekly"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    // SharePoint's default time zone is writable.
    let tz = emu
        .patch(
            &t,
            "admin/sharepoint/settings",
            json!({"tenantDefaultTimezone": "(UTC+08:00) Perth"}),
        )
        .await;
    assert_eq!(tz.status, 200, "{}", tz.text);
    assert_eq!(tz.body["tenantDefaultTimezone"], "(UTC+08:00) Perth");
}

/// The admin consent request policy is updated only with PUT of all five properties
/// (adminconsentrequestpolicy-update): a body missing one is refused, PATCH gets Graph's 404, a whole
/// body is stored and read back with the service's `version`; reading takes Policy.Read.All.
#[tokio::test]
async fn admin_consent_request_policy_is_replaced_whole_with_put() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "policies/adminConsentRequestPolicy";
    let before = emu.get(&t, path).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(before.body["isEnabled"], false, "{}", before.text);
    assert_eq!(before.body["reviewers"], json!([]));

    let partial = emu
        .call(&t, Method::PUT, path, Some(json!({"isEnabled": true})))
        .await;
    assert_eq!(partial.status, 400, "{}", partial.text);
    assert!(partial.text.contains("notifyReviewers"), "{}", partial.text);
    // Graph's metadata says PATCH, but the service has none: Graph answers 404.
    let patched = emu.patch(&t, path, json!({"isEnabled": true})).await;
    assert_eq!(patched.status, 404, "{}", patched.text);
    assert!(
        patched.text.contains("No HTTP resource"),
        "{}",
        patched.text
    );

    let whole = json!({
        "isEnabled": true,
        "notifyReviewers": true,
        "remindersEnabled": false,
        "requestDurationInDays": 14,
        "reviewers": [{"query": "/users/b6879be8-fb87-4482-a72e-18445d2b5c54", "queryType": "MicrosoftGraph"}]
    });
    let put = emu.call(&t, Method::PUT, path, Some(whole.clone())).await;
    assert_eq!(put.status, 204, "{}", put.text);
    let after = emu.get(&t, path).await;
    for (k, v) in whole.as_object().unwrap() {
        if k == "reviewers" {
            assert_eq!(after.body[k][0]["query"], v[0]["query"], "{}", after.text);
        } else {
            assert_eq!(&after.body[k], v, "{k}: {}", after.text);
        }
    }
    assert!(after.body["version"].is_number(), "{}", after.text);

    // The schema holds: a wrong type is refused.
    let mut wrong = whole.clone();
    wrong["requestDurationInDays"] = json!("fourteen");
    let bad = emu.call(&t, Method::PUT, path, Some(wrong)).await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, path).await.status, 200);
    let denied = emu.call(&auditor, Method::PUT, path, Some(whole)).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
}

/// The device registration policy (v1.0) is updated only with PUT of all five updatable
/// properties (deviceregistrationpolicy-update): a body missing one is refused, PATCH is not a
/// method it has, a whole body replaces what was stored (a nested property it leaves out is
/// reset) and is answered with the policy; the schema holds on the membership's derived types;
/// reading takes Policy.Read.DeviceConfiguration, writing Policy.ReadWrite.DeviceConfiguration.
#[tokio::test]
async fn device_registration_policy_is_replaced_whole_with_put() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "policies/deviceRegistrationPolicy";
    let before = emu.get(&t, path).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(before.body["id"], "deviceRegistrationPolicy");
    assert_eq!(before.body["userDeviceQuota"], 50, "{}", before.text);
    assert_eq!(
        before.body["azureADJoin"]["localAdmins"]["enableGlobalAdmins"], true,
        "{}",
        before.text
    );

    let partial = emu
        .call(&t, Method::PUT, path, Some(json!({"userDeviceQuota": 10})))
        .await;
    assert_eq!(partial.status, 400, "{}", partial.text);
    assert!(
        partial.text.contains("multiFactorAuthConfiguration"),
        "{}",
        partial.text
    );
    // Without the quota, Graph's own answer (microsoft-graph-docs-contrib#8532).
    let no_quota = json!({
        "multiFactorAuthConfiguration": "notRequired",
        "azureADRegistration": before.body["azureADRegistration"],
        "azureADJoin": before.body["azureADJoin"],
        "localAdminPassword": before.body["localAdminPassword"]
    });
    let quota = emu.call(&t, Method::PUT, path, Some(no_quota)).await;
    assert_eq!(quota.status, 400, "{}", quota.text);
    assert_eq!(
        quota.body["error"]["code"], "invalid_request",
        "{}",
        quota.text
    );
    let patched = emu.patch(&t, path, json!({"userDeviceQuota": 10})).await;
    assert_eq!(patched.status, 405, "{}", patched.text);

    let whole = json!({
        "userDeviceQuota": 2147483647,
        "multiFactorAuthConfiguration": "required",
        "azureADRegistration": {
            "isAdminConfigurable": false,
            "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
        },
        "azureADJoin": {
            "isAdminConfigurable": true,
            "allowedToJoin": {
                "@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                "users": [],
                "groups": ["3c8ef067-8b96-44de-b2ae-557dfa0f97a0"]
            }
        },
        "localAdminPassword": {"isEnabled": true}
    });
    let put = emu.call(&t, Method::PUT, path, Some(whole.clone())).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["userDeviceQuota"], 2147483647, "{}", put.text);
    let after = emu.get(&t, path).await;
    for (k, v) in whole.as_object().unwrap() {
        // Graph shows a property the object lacks as null.
        let mut read = after.body[k].clone();
        if let Some(o) = read.as_object_mut() {
            o.retain(|_, v| !v.is_null());
        }
        assert_eq!(&read, v, "{k}: {}", after.text);
    }
    // The body named no local administrators: PUT replaced them, as Graph resets what a
    // whole-object update leaves out.
    assert!(
        after.body["azureADJoin"].get("localAdmins").is_none()
            || after.body["azureADJoin"]["localAdmins"].is_null(),
        "{}",
        after.text
    );
    // The service's own properties stay.
    assert_eq!(after.body["displayName"], "Device Registration Policy");

    // The schema holds: an unknown membership type and a wrong enum member are refused.
    let mut wrong = whole.clone();
    wrong["azureADJoin"]["allowedToJoin"]["@odata.type"] =
        json!("#microsoft.graph.someoneDeviceRegistrationMembership");
    let bad = emu.call(&t, Method::PUT, path, Some(wrong)).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let mut wrong = whole.clone();
    wrong["multiFactorAuthConfiguration"] = json!("always");
    let bad = emu.call(&t, Method::PUT, path, Some(wrong)).await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, path).await.status, 200);
    let denied = emu.call(&auditor, Method::PUT, path, Some(whole)).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
}

/// The organization is a collection of exactly one object (organization-get, -update): listed
/// and read by the tenant id with Organization.Read.All, its notification contacts and privacy
/// profile PATCHed with Organization.ReadWrite.All,
/// validated by the schema; the service's own properties (name, verified domains) are not a
/// client's to change, and it is never created or deleted.
#[tokio::test]
async fn the_organization_is_one_object_whose_contacts_are_patched() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let list = emu.get(&t, "organization").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let orgs = list.body["value"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{}", list.text);
    let id = orgs[0]["id"].as_str().unwrap().to_string();
    assert!(orgs[0]["verifiedDomains"].as_array().unwrap().len() >= 2);
    assert!(orgs[0]["technicalNotificationMails"].is_array());
    let path = format!("organization/{id}");

    let patched = emu
        .patch(
            &t,
            &path,
            json!({
                "technicalNotificationMails": ["ict@example.gov.au"],
                "privacyProfile": {"contactEmail": "privacy@example.gov.au", "statementUrl": "https://example.gov.au/privacy"}
            }),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let after = emu.get(&t, &path).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(
        after.body["technicalNotificationMails"],
        json!(["ict@example.gov.au"])
    );
    assert_eq!(
        after.body["privacyProfile"]["statementUrl"],
        "https://example.gov.au/privacy"
    );
    assert_eq!(after.body["verifiedDomains"], orgs[0]["verifiedDomains"]);

    // The schema holds.
    let bad = emu
        .patch(
            &t,
            &path,
            json!({"technicalNotificationMails": "ict@example.gov.au"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    // One organization, the tenant's: none is created or deleted, and no other id exists.
    let create = emu
        .call(
            &t,
            Method::POST,
            "organization",
            Some(json!({"displayName": "x"})),
        )
        .await;
    assert_eq!(create.status, 405, "{}", create.text);
    let delete = emu.call(&t, Method::DELETE, &path, None).await;
    assert_eq!(delete.status, 405, "{}", delete.text);
    let other = emu
        .get(&t, "organization/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(other.status, 404, "{}", other.text);

    // Reading takes Organization.Read.All (the auditor holds it), writing
    // Organization.ReadWrite.All (the auditor does not).
    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, "organization").await.status, 200);
    let denied = emu
        .patch(&auditor, &path, json!({"technicalNotificationMails": []}))
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
}

/// The default company branding lives under the organization (organizationalbranding-get,
/// -update): asked for by locale (`Accept-Language: 0`, required), read with
/// OrganizationalBranding.Read.All, its text PATCHed (204) with
/// OrganizationalBranding.ReadWrite.All within Graph's limits, an image never in a PATCH; a
/// tenant with no default branding answers 404 to both, and nothing makes one.
#[tokio::test]
async fn company_branding_is_read_by_locale_under_the_organization_and_patched() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let id = emu.tenant().id.clone();
    const DEFAULT: &[(&str, &str)] = &[("Accept-Language", "0")];
    let default = DEFAULT;
    let emu = &emu;
    let call = |token: &str,
                method: Method,
                body: Option<Value>,
                headers: &'static [(&'static str, &'static str)]| {
        let token = token.to_string();
        let path = format!("organization/{id}/branding");
        async move { emu.call_with(&token, method, &path, body, headers).await }
    };

    let got = call(&t, Method::GET, None, default).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["id"], "0");
    assert!(got.body["usernameHintText"].is_null(), "{}", got.text);
    // The images are returned only on `$select`.
    assert!(got.body.get("bannerLogo").is_none(), "{}", got.text);
    let patched = call(
        &t,
        Method::PATCH,
        Some(json!({"signInPageText": "Authorised use only.", "usernameHintText": "user@examples.gov.au"})),
        default,
    )
    .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let after = call(&t, Method::GET, None, &[("Accept-Language", "default")]).await;
    assert_eq!(after.body["signInPageText"], "Authorised use only.");
    assert_eq!(after.body["usernameHintText"], "user@examples.gov.au");

    // Graph's limits and rules: a hint of at most 64 characters, an image on its own with PUT,
    // the schema's types, the locale named, the tenant's own organization.
    for body in [
        json!({"usernameHintText": "x".repeat(65)}),
        json!({"signInPageText": "x", "bannerLogo": "aW1hZ2U="}),
        json!({"loginPageTextVisibilitySettings": {"hideForgotMyPassword": "yes"}}),
    ] {
        let refused = call(&t, Method::PATCH, Some(body.clone()), default).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
    }
    assert_eq!(call(&t, Method::GET, None, &[]).await.status, 400);
    let french = call(&t, Method::GET, None, &[("Accept-Language", "fr-FR")]).await;
    assert_eq!(french.status, 404, "{}", french.text);
    let other = emu
        .call_with(
            &t,
            Method::GET,
            "organization/00000000-0000-0000-0000-000000000000/branding",
            None,
            default,
        )
        .await;
    assert_eq!(other.status, 404, "{}", other.text);

    // Reading takes OrganizationalBranding.Read.All (the auditor holds it), writing
    // OrganizationalBranding.ReadWrite.All (the auditor does not).
    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(call(&auditor, Method::GET, None, default).await.status, 200);
    let denied = call(
        &auditor,
        Method::PATCH,
        Some(json!({"signInPageText": "x"})),
        default,
    )
    .await;
    assert_eq!(denied.status, 403, "{}", denied.text);

    // No default branding: not found to a read and to a write, and the write makes none.
    emu.running
        .emulator()
        .tenant(&id)
        .unwrap()
        .lock()
        .unwrap()
        .singletons
        .remove("organizationalBranding");
    let missing = call(&t, Method::GET, None, default).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.code(), "Request_ResourceNotFound");
    let write = call(
        &t,
        Method::PATCH,
        Some(json!({"signInPageText": "x"})),
        default,
    )
    .await;
    assert_eq!(write.status, 404, "{}", write.text);
    assert_eq!(call(&t, Method::GET, None, default).await.status, 404);
}

/// Intune's default enrolment configurations are in every tenant from the start: one per type,
/// priority 0, all named "All users and all devices", each with its derived type. A default is
/// set by PATCH (its type named, which must match), keeps its name and priority, and cannot be
/// deleted; a configuration of the agency's own goes after them, and enrolment configurations
/// are assigned with `enrollmentConfigurationAssignments` (204), not `assignments`. Beta serves
/// the same objects with the status page's settings and the configuration type.
#[tokio::test]
async fn enrolment_defaults_are_served_set_and_never_deleted() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "deviceManagement/deviceEnrollmentConfigurations";
    let listed = emu.get(&t, path).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let items = listed.body["value"].as_array().unwrap();
    let mut types: Vec<&str> = items
        .iter()
        .map(|c| c["@odata.type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
            "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        ]
    );
    assert!(
        items
            .iter()
            .all(|c| c["priority"] == 0 && c["displayName"] == "All users and all devices"),
        "{}",
        listed.text
    );
    let limit = items
        .iter()
        .find(|c| c["@odata.type"] == "#microsoft.graph.deviceEnrollmentLimitConfiguration")
        .unwrap();
    let id = limit["id"].as_str().unwrap();
    assert!(id.ends_with("_DefaultLimit"), "{id}");
    assert_eq!(limit["limit"], 5);
    let esp = items
        .iter()
        .find(|c| {
            c["@odata.type"] == "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration"
        })
        .unwrap();
    // v1.0 has none of the status page's settings but one.
    assert!(esp.get("showInstallationProgress").is_none(), "{esp}");
    assert_eq!(esp["allowNonBlockingAppInstallation"], false);

    // Beta shows the same objects with its own settings and the configuration type, and takes
    // the status page's settings, which v1.0 refuses.
    let esp_at = format!("{path}/{}", esp["id"].as_str().unwrap());
    let esp_type = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
    let beta = |path: &str| format!("{}/beta/{path}", emu.base);
    let esp_beta = emu.get(&t, &beta(&esp_at)).await;
    assert_eq!(esp_beta.status, 200, "{}", esp_beta.text);
    assert_eq!(esp_beta.body["showInstallationProgress"], false);
    assert_eq!(esp_beta.body["installProgressTimeoutInMinutes"], 60);
    assert_eq!(
        esp_beta.body["deviceEnrollmentConfigurationType"],
        "defaultWindows10EnrollmentCompletionPageConfiguration"
    );
    let v1_refuses = emu
        .patch(
            &t,
            &esp_at,
            json!({"@odata.type": esp_type, "showInstallationProgress": true}),
        )
        .await;
    assert_eq!(v1_refuses.status, 400, "{}", v1_refuses.text);
    let shown = emu
        .patch(&t, &beta(&esp_at), json!({"@odata.type": esp_type, "showInstallationProgress": true, "customErrorMessage": "Call IT"}))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["showInstallationProgress"], true);
    let bad = emu
        .patch(
            &t,
            &beta(&esp_at),
            json!({"@odata.type": esp_type, "installProgressTimeoutInMinutes": "an hour"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let esp_v1 = emu.get(&t, &esp_at).await;
    assert!(
        esp_v1.body.get("customErrorMessage").is_none(),
        "{}",
        esp_v1.text
    );
    assert!(
        esp_v1
            .body
            .get("deviceEnrollmentConfigurationType")
            .is_none(),
        "{}",
        esp_v1.text
    );

    let limit_type = "#microsoft.graph.deviceEnrollmentLimitConfiguration";
    let at = format!("{path}/{id}");
    let set = emu
        .patch(&t, &at, json!({"@odata.type": limit_type, "limit": 3}))
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["limit"], 3);
    assert_eq!(set.body["priority"], 0);
    let wrong_type = emu
        .patch(&t, &at, json!({"@odata.type": "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration", "state": "enabled"}))
        .await;
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.text);
    let unknown = emu
        .patch(
            &t,
            &at,
            json!({"@odata.type": limit_type, "deviceLimit": 3}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    let renamed = emu
        .patch(
            &t,
            &at,
            json!({"@odata.type": limit_type, "displayName": "Mine"}),
        )
        .await;
    assert_eq!(renamed.status, 400, "{}", renamed.text);
    let reprioritised = emu
        .patch(&t, &at, json!({"@odata.type": limit_type, "priority": 2}))
        .await;
    assert_eq!(reprioritised.status, 400, "{}", reprioritised.text);
    let deleted = emu.delete(&t, &at).await;
    assert_eq!(deleted.status, 400, "{}", deleted.text);
    assert_eq!(emu.get(&t, &at).await.body["limit"], 3);

    // The agency's own configuration goes after the defaults and may be deleted.
    let own = emu
        .post(
            &t,
            path,
            json!({"@odata.type": limit_type, "displayName": "Executives", "limit": 10}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.body["priority"], 1);
    let own_id = own.body["id"].as_str().unwrap();
    let own_beta = emu.get(&t, &beta(&format!("{path}/{own_id}"))).await;
    assert_eq!(own_beta.body["deviceEnrollmentConfigurationType"], "limit");
    let group = emu
        .post(&t, "groups", json!({"displayName": "Executives", "mailEnabled": false, "mailNickname": "executives", "securityEnabled": true}))
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group.body["id"]});
    let wrong_parameter = emu
        .post(
            &t,
            &format!("{path}/{own_id}/assign"),
            json!({"assignments": [{"target": target}]}),
        )
        .await;
    assert_eq!(wrong_parameter.status, 400, "{}", wrong_parameter.text);
    let assigned = emu
        .post(
            &t,
            &format!("{path}/{own_id}/assign"),
            json!({"enrollmentConfigurationAssignments": [{"target": target}]}),
        )
        .await;
    assert_eq!(assigned.status, 204, "{}", assigned.text);
    let assignments = emu.get(&t, &format!("{path}/{own_id}/assignments")).await;
    assert_eq!(assignments.status, 200, "{}", assignments.text);
    assert_eq!(
        assignments.body["value"][0]["target"]["groupId"],
        group.body["id"]
    );
    let gone = emu.delete(&t, &format!("{path}/{own_id}")).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
}

/// The tenant's domains, by name (domain-get, -update): each verified domain's password
/// expiry is PATCHed with Domain.ReadWrite.All and validated by the schema; reading takes
/// Domain.Read.All; the verification state is the service's.
#[tokio::test]
async fn a_domain_s_password_expiry_is_patched_by_its_name() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let list = emu.get(&t, "domains").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let domains = list.body["value"].as_array().unwrap();
    assert!(domains.len() >= 2, "{}", list.text);
    let name = domains.iter().find(|d| d["isDefault"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("domains/{name}");
    let before = emu.get(&t, &path).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(before.body["isVerified"], true);
    assert_eq!(before.body["passwordValidityPeriodInDays"], 2147483647);

    let patched = emu
        .patch(
            &t,
            &path,
            json!({"passwordValidityPeriodInDays": 365, "passwordNotificationWindowInDays": 14}),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let after = emu.get(&t, &path).await;
    assert_eq!(after.body["passwordValidityPeriodInDays"], 365);
    assert_eq!(after.body["passwordNotificationWindowInDays"], 14);
    assert_eq!(
        after.body["supportedServices"],
        before.body["supportedServices"]
    );

    let bad = emu
        .patch(&t, &path, json!({"passwordValidityPeriodInDays": "a year"}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let unknown = emu
        .patch(
            &t,
            "domains/not-a-domain-of.this-tenant.example",
            json!({"passwordValidityPeriodInDays": 365}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);

    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, &path).await.status, 200);
    let denied = emu
        .patch(&auditor, &path, json!({"passwordValidityPeriodInDays": 90}))
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
}

/// Group-based licensing (group-assignlicense, subscribedsku-list): the tenant's bought SKUs
/// listed with their service plans; `assignLicense` adds a licence with its disabled plans,
/// replaces it when sent again, removes it; `assignedLicenses` shows only on `$select`; a SKU
/// the tenant has not bought is Graph's 400, and a token without a licence write permission
/// gets 403.
#[tokio::test]
async fn group_licences_are_assigned_through_assign_license_and_read_on_select() {
    const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
    const BOOKINGS: &str = "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2";
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let skus = emu.get(&t, "subscribedSkus").await;
    assert_eq!(skus.status, 200, "{}", skus.text);
    let e5 = &skus.body["value"][0];
    assert_eq!(e5["skuPartNumber"], "SPE_E5");
    assert_eq!(e5["skuId"], E5);
    assert_eq!(e5["prepaidUnits"]["enabled"], 100);
    assert!(
        e5["servicePlans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["servicePlanId"] == YAMMER && p["servicePlanName"] == "YAMMER_ENTERPRISE")
    );

    let group = emu
        .post(&t, "groups", security_group("rol-x-users", "rol-x-users"))
        .await;
    let id = group.body["id"].as_str().unwrap().to_string();
    let assign = format!("groups/{id}/assignLicense");
    let added = emu
        .post(
            &t,
            &assign,
            json!({"addLicenses": [{"skuId": E5, "disabledPlans": [YAMMER, BOOKINGS]}], "removeLicenses": []}),
        )
        .await;
    assert_eq!(added.status, 202, "{}", added.text);
    assert_eq!(added.body["id"], id.as_str());

    // Only on $select.
    let plain = emu.get(&t, &format!("groups/{id}")).await;
    assert!(
        plain.body.get("assignedLicenses").is_none(),
        "{}",
        plain.text
    );
    let selected = emu
        .get(
            &t,
            &format!("groups/{id}?$select=id,displayName,assignedLicenses"),
        )
        .await;
    assert_eq!(
        selected.body["assignedLicenses"],
        json!([{"skuId": E5, "disabledPlans": [YAMMER, BOOKINGS]}]),
        "{}",
        selected.text
    );
    let listed = emu
        .get(
            &t,
            "groups?$filter=displayName%20eq%20'rol-x-users'&$select=id,assignedLicenses",
        )
        .await;
    assert_eq!(
        listed.body["value"][0]["assignedLicenses"][0]["skuId"], E5,
        "{}",
        listed.text
    );

    // Sent again: the licence's disabled plans are replaced, not added to.
    let again = emu
        .post(
            &t,
            &assign,
            json!({"addLicenses": [{"skuId": E5, "disabledPlans": [YAMMER]}], "removeLicenses": []}),
        )
        .await;
    assert_eq!(again.status, 202, "{}", again.text);
    let selected = emu
        .get(&t, &format!("groups/{id}?$select=assignedLicenses"))
        .await;
    assert_eq!(
        selected.body["assignedLicenses"],
        json!([{"skuId": E5, "disabledPlans": [YAMMER]}])
    );

    // A SKU the tenant has not bought, and a plan the SKU lacks: 400, nothing changed.
    let unknown = "11111111-2222-3333-4444-555555555555";
    let bad_sku = emu
        .post(
            &t,
            &assign,
            json!({"addLicenses": [{"skuId": unknown, "disabledPlans": []}], "removeLicenses": []}),
        )
        .await;
    assert_eq!(
        (bad_sku.status.as_u16(), bad_sku.code()),
        (400, "Request_BadRequest"),
        "{}",
        bad_sku.text
    );
    assert!(
        bad_sku.text.contains(&format!(
            "License {unknown} does not correspond to a valid company License."
        )),
        "{}",
        bad_sku.text
    );
    let bad_plan = emu
        .post(
            &t,
            &assign,
            json!({"addLicenses": [{"skuId": E5, "disabledPlans": [unknown]}], "removeLicenses": []}),
        )
        .await;
    assert_eq!(bad_plan.status, 400, "{}", bad_plan.text);
    let missing = emu
        .post(&t, &assign, json!({"addLicenses": [{"skuId": E5}]}))
        .await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    let nowhere = emu
        .post(
            &t,
            "groups/00000000-0000-0000-0000-000000000000/assignLicense",
            json!({"addLicenses": [], "removeLicenses": []}),
        )
        .await;
    assert_eq!(nowhere.status, 404, "{}", nowhere.text);

    // Permission: the auditor (read permissions only) may list SKUs but not assign.
    let auditor = emu.token_for("blueprint-auditor").await;
    assert_eq!(emu.get(&auditor, "subscribedSkus").await.status, 200);
    let denied = emu
        .post(
            &auditor,
            &assign,
            json!({"addLicenses": [], "removeLicenses": [E5]}),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);

    // Removed.
    let removed = emu
        .post(
            &t,
            &assign,
            json!({"addLicenses": [], "removeLicenses": [E5]}),
        )
        .await;
    assert_eq!(removed.status, 202, "{}", removed.text);
    let selected = emu
        .get(&t, &format!("groups/{id}?$select=assignedLicenses"))
        .await;
    assert_eq!(selected.body["assignedLicenses"], json!([]));
}

/// An iOS app protection policy (v1.0) is created with its settings only: its apps go through
/// `targetApps` (204), which replaces the whole list, and read back only with `$expand=apps`
/// or at `{id}/apps`; `apps` in a PATCH is refused, as is a parameter `targetApps` does not
/// have, an app without a bundle id and an unknown `appGroupType`. Assignments through `assign`
/// (204). The auditor reads, and may not write. Every read names the policy's type
/// (intune-mam-iosmanagedappprotection-get/-list/-create/-update), the derived type of
/// managedAppPolicy a client reads it through.
#[tokio::test]
async fn ios_app_protection_takes_its_apps_through_target_apps_and_shows_them_expanded() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = "deviceAppManagement/iosManagedAppProtections";
    let bad = emu
        .post(
            &t,
            path,
            json!({"displayName": "x", "pinCharacterSet": "emoji"}),
        )
        .await;
    assert_eq!(bad.status, 400, "managedAppPinCharacterSet: {}", bad.text);
    let created = emu
        .post(&t, path, json!({"displayName": "iOS App Protection Policy", "pinRequired": true, "minimumPinLength": 4, "periodOnlineBeforeAccessCheck": "PT30M", "allowedDataStorageLocations": ["oneDriveForBusiness", "sharePoint"], "managedBrowser": "microsoftEdge"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["isAssigned"], false);
    assert!(created.body.get("apps").is_none(), "{}", created.text);
    let ios = "#microsoft.graph.iosManagedAppProtection";
    assert_eq!(created.body["@odata.type"], ios, "{}", created.text);
    let listed = emu.get(&t, path).await;
    assert_eq!(
        listed.body["value"][0]["@odata.type"], ios,
        "{}",
        listed.text
    );
    let outlook = json!({"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.office.outlook"}});
    let teams = json!({"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.skype.teams"}});
    let target = format!("{path}/{id}/targetApps");
    for (body, why) in [
        (json!({"apps": [outlook], "extra": 1}), "unknown parameter"),
        (
            json!({"apps": [{"mobileAppIdentifier": {"@odata.type": "#microsoft.graph.iosMobileAppIdentifier"}}]}),
            "no bundle id",
        ),
        (
            json!({"apps": [{"mobileAppIdentifier": {"bundleId": "x"}}]}),
            "abstract identifier",
        ),
        (
            json!({"apps": [outlook], "appGroupType": "someApps"}),
            "appGroupType",
        ),
        (json!({"appGroupType": "selectedPublicApps"}), "no apps"),
    ] {
        let r = emu.post(&t, &target, body).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let set = emu
        .post(
            &t,
            &target,
            json!({"apps": [outlook, teams], "appGroupType": "selectedPublicApps"}),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text);
    let plain = emu.get(&t, &format!("{path}/{id}")).await;
    assert!(plain.body.get("apps").is_none(), "{}", plain.text);
    assert_eq!(plain.body["@odata.type"], ios, "{}", plain.text);
    let selected = emu
        .get(&t, &format!("{path}/{id}?$select=displayName"))
        .await;
    assert_eq!(selected.body["@odata.type"], ios, "{}", selected.text);
    let expanded = emu.get(&t, &format!("{path}/{id}?$expand=apps")).await;
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    let apps = expanded.body["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{}", expanded.text);
    assert_eq!(apps[0]["id"], "com.microsoft.office.outlook.ios");
    assert_eq!(
        apps[0]["mobileAppIdentifier"]["bundleId"],
        "com.microsoft.office.outlook"
    );
    assert_eq!(expanded.body["periodOnlineBeforeAccessCheck"], "PT30M");
    // The action replaces the list.
    let only_teams = emu.post(&t, &target, json!({"apps": [teams]})).await;
    assert_eq!(only_teams.status, 204, "{}", only_teams.text);
    let listed = emu.get(&t, &format!("{path}/{id}/apps")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let bundles: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["mobileAppIdentifier"]["bundleId"].as_str().unwrap())
        .collect();
    assert_eq!(bundles, ["com.microsoft.skype.teams"]);
    let patched = emu
        .patch(&t, &format!("{path}/{id}"), json!({"apps": [outlook]}))
        .await;
    assert_eq!(
        patched.status, 400,
        "apps is not a property: {}",
        patched.text
    );
    let patched = emu
        .patch(&t, &format!("{path}/{id}"), json!({"printBlocked": true}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["printBlocked"], true);
    assert_eq!(patched.body["@odata.type"], ios, "{}", patched.text);

    // The settings only beta has: refused by v1.0, written and read under /beta on the same
    // policy, whose v1.0 settings and apps beta shows too; v1.0 never shows beta's.
    let beta_only = json!({"thirdPartyKeyboardsBlocked": true, "notificationRestriction": "blockOrganizationalData", "allowedOutboundClipboardSharingExceptionLength": 0, "exemptedAppProtocols": [{"name": "Apple Maps", "value": "maps"}]});
    let v1 = emu
        .patch(&t, &format!("{path}/{id}"), beta_only.clone())
        .await;
    assert_eq!(v1.status, 400, "beta-only in v1.0: {}", v1.text);
    let beta = format!("{}/beta/{path}/{id}", emu.base);
    let bad = emu
        .patch(&t, &beta, json!({"notificationRestriction": "sometimes"}))
        .await;
    assert_eq!(
        bad.status, 400,
        "managedAppNotificationRestriction: {}",
        bad.text
    );
    let patched = emu.patch(&t, &beta, beta_only).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let read = emu.get(&t, &format!("{beta}?$expand=apps")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["thirdPartyKeyboardsBlocked"], true);
    assert_eq!(read.body["exemptedAppProtocols"][0]["value"], "maps");
    assert_eq!(read.body["printBlocked"], true, "v1.0's settings");
    assert_eq!(
        read.body["apps"][0]["mobileAppIdentifier"]["bundleId"],
        "com.microsoft.skype.teams"
    );
    let v1 = emu.get(&t, &format!("{path}/{id}")).await;
    assert!(
        v1.body.get("thirdPartyKeyboardsBlocked").is_none(),
        "{}",
        v1.text
    );

    let group = emu
        .post(
            &t,
            "groups",
            security_group("rol-EXA-users", "rol-exa-users"),
        )
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let assign = emu
        .post(&t, &format!("{path}/{id}/assign"), json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": gid}}]}))
        .await;
    assert_eq!(assign.status, 204, "{}", assign.text);
    let assigned = emu.get(&t, &format!("{path}/{id}/assignments")).await;
    assert_eq!(assigned.body["value"][0]["target"]["groupId"], gid);

    let auditor = emu.token_for("blueprint-auditor").await;
    let read = emu
        .get(&auditor, &format!("{path}/{id}?$expand=apps"))
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let write = emu
        .post(&auditor, &target, json!({"apps": [outlook]}))
        .await;
    assert_eq!(write.status, 403, "{}", write.text);
}

/// The B2B management policy (Graph beta only): one per tenant, created with the name,
/// description and definition Graph requires, its definition the JSON document's text kept as
/// given (Microsoft's own example uses single quotes), PATCH answering 200 with the policy, at
/// most 25,000 characters, DELETE 204; Policy.Read.All does not read it (Microsoft's table names
/// only the B2B management permissions).
#[tokio::test]
async fn the_b2b_management_policy_is_one_per_tenant_in_beta() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = &format!("{}/beta/policies/b2bManagementPolicies", emu.base);
    let v1 = emu.get(&t, "policies/b2bManagementPolicies").await;
    assert!(
        matches!(v1.status.as_u16(), 400 | 404),
        "Graph v1.0 has no B2B management policies: {}",
        v1.text
    );
    let empty = emu.get(&t, path).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(empty.body["value"], json!([]));
    let allow = r#"{"B2BManagementPolicy":{"InvitationsAllowedAndBlockedDomainsPolicy":{"AllowedDomains":["examples.gov.au"]}}}"#;
    for (bad, why) in [
        (
            json!({"description": "d", "definition": [allow]}),
            "no name",
        ),
        (
            json!({"displayName": "n", "definition": [allow]}),
            "no description",
        ),
        (
            json!({"displayName": "n", "description": "d"}),
            "no definition",
        ),
        (
            json!({"displayName": "n", "description": "d", "definition": []}),
            "empty definition",
        ),
        (
            json!({"displayName": "n", "description": "d", "definition": "text"}),
            "not a collection",
        ),
        (
            json!({"displayName": "n", "description": "d", "definition": ["x".repeat(25_001)]}),
            "over 25,000 characters",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(&t, path, json!({"@odata.type": "#microsoft.graph.b2bManagementPolicy", "displayName": "Policy1", "description": "Policy used for B2B features", "definition": ["{'B2BManagementPolicy':{'Version':1}}"], "isOrganizationDefault": true}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["definition"],
        json!(["{'B2BManagementPolicy':{'Version':1}}"])
    );
    let second = emu
        .post(
            &t,
            path,
            json!({"displayName": "Policy2", "description": "d", "definition": [allow]}),
        )
        .await;
    assert_eq!(second.status, 400, "one per tenant: {}", second.text);
    let id = created.body["id"].as_str().unwrap();
    let patched = emu
        .patch(&t, &format!("{path}/{id}"), json!({"definition": [allow]}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["definition"], json!([allow]));
    assert_eq!(patched.body["displayName"], "Policy1");
    let listed = emu.get(&t, path).await;
    assert_eq!(listed.body["value"][0]["definition"], json!([allow]));
    assert_eq!(listed.body["value"][0]["isOrganizationDefault"], true);

    let auditor = emu.token_for("blueprint-auditor").await;
    let refused = emu.get(&auditor, path).await;
    assert_eq!(refused.status, 403, "Policy.Read.All: {}", refused.text);

    let deleted = emu.delete(&t, &format!("{path}/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(emu.get(&t, path).await.body["value"], json!([]));
}

/// Administrative templates (intune-grouppolicy-*, Graph beta only): Intune's definitions found
/// by `$filter` on their category path (a literal holding ` and `), each with its
/// presentations; a configuration's values written through `updateDefinitionValues` (204), bound
/// to a definition and its presentations, read only through `$expand`; a definition Intune
/// lacks is its 404, a drop-down value not among its items, a number outside a decimal box's
/// bounds or a value of the wrong type 400, and nothing of a refused request is applied.
#[tokio::test]
async fn administrative_template_values_bind_intunes_definitions_and_read_on_expand() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let beta = |p: &str| format!("{}/beta/deviceManagement/{p}", emu.base);
    let v1 = emu
        .get(&t, "deviceManagement/groupPolicyConfigurations")
        .await;
    assert!(
        matches!(v1.status.as_u16(), 400 | 404),
        "beta only: {}",
        v1.text
    );

    let listed = emu
        .get(
            &t,
            &beta("groupPolicyDefinitions?$filter=categoryPath%20eq%20'%5CMicrosoft%20Edge%5CPassword%20manager%20and%20protection'"),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let defs = listed.body["value"].as_array().unwrap();
    assert_eq!(defs.len(), 1, "{}", listed.text);
    assert_eq!(
        defs[0]["displayName"],
        "Enable saving passwords to the password manager"
    );
    assert_eq!(defs[0]["classType"], "machine");
    let edge = emu
        .get(&t, &beta("groupPolicyDefinitions?$filter=categoryPath%20eq%20'%5CMicrosoft%20Edge'%20and%20displayName%20eq%20'Control%20where%20developer%20tools%20can%20be%20used'"))
        .await;
    let devtools = edge.body["value"][0]["id"].as_str().unwrap().to_string();
    let presentations = emu
        .get(
            &t,
            &beta(&format!("groupPolicyDefinitions/{devtools}/presentations")),
        )
        .await;
    assert_eq!(presentations.status, 200, "{}", presentations.text);
    let dropdown = &presentations.body["value"][0];
    assert_eq!(
        dropdown["@odata.type"],
        "#microsoft.graph.groupPolicyPresentationDropdownList"
    );
    let pid = dropdown["id"].as_str().unwrap().to_string();
    let bad_filter = emu
        .get(
            &t,
            &beta("groupPolicyDefinitions?$filter=explainText%20eq%20'x'"),
        )
        .await;
    assert_eq!(bad_filter.status, 400, "{}", bad_filter.text);

    // A configuration takes its own properties only: values go through the action.
    let inline = emu
        .post(
            &t,
            &beta("groupPolicyConfigurations"),
            json!({"displayName": "x", "definitionValues": []}),
        )
        .await;
    assert_eq!(inline.status, 400, "{}", inline.text);
    let created = emu
        .post(
            &t,
            &beta("groupPolicyConfigurations"),
            json!({"displayName": "ACSC – Edge Browser", "description": "d"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    let action = beta(&format!(
        "groupPolicyConfigurations/{id}/updateDefinitionValues"
    ));
    let root = "https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions";
    let bind = |d: &str| format!("{root}('{d}')");
    let value = |v: &str| {
        json!({"enabled": true, "definition@odata.bind": bind(&devtools), "presentationValues": [
            {"@odata.type": "#microsoft.graph.groupPolicyPresentationValueText", "value": v,
             "presentation@odata.bind": format!("{}/presentations('{pid}')", bind(&devtools))}
        ]})
    };
    // A decimal box takes a number within its ADMX bounds: the Security log's floor is
    // 20480 KB (its siblings' 1024). A category path may hold parentheses.
    let security = emu
        .get(&t, &beta("groupPolicyDefinitions?$filter=categoryPath%20eq%20'%5CWindows%20Components%5CEvent%20Log%20Service%5CSecurity'"))
        .await;
    let log = security.body["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let log_box = emu
        .get(
            &t,
            &beta(&format!("groupPolicyDefinitions/{log}/presentations")),
        )
        .await;
    assert_eq!(
        log_box.body["value"][0]["minValue"], 20480,
        "{}",
        log_box.text
    );
    let log_pid = log_box.body["value"][0]["id"].as_str().unwrap().to_string();
    let mss = emu
        .get(
            &t,
            &beta("groupPolicyDefinitions?$filter=categoryPath%20eq%20'%5CMSS%20(Legacy)'"),
        )
        .await;
    assert_eq!(
        mss.body["value"].as_array().unwrap().len(),
        4,
        "{}",
        mss.text
    );
    let unknown = "00000000-0000-0000-0000-00000000dead";
    for (body, status, why) in [
        (
            json!({"added": [{"enabled": true, "definition@odata.bind": bind(&log), "presentationValues": [
                {"@odata.type": "#microsoft.graph.groupPolicyPresentationValueDecimal", "value": 1024,
                 "presentation@odata.bind": format!("{}/presentations('{log_pid}')", bind(&log))}]}], "updated": [], "deletedIds": []}),
            400,
            "below the decimal box's minimum",
        ),
        (
            json!({"added": [{"enabled": true, "definition@odata.bind": bind(unknown)}], "updated": [], "deletedIds": []}),
            404,
            "a definition Intune does not have",
        ),
        (
            json!({"added": [value("7")], "updated": [], "deletedIds": []}),
            400,
            "not one of the drop-down's items",
        ),
        (
            json!({"added": [{"enabled": true, "definition@odata.bind": bind(&devtools), "presentationValues": [
                {"@odata.type": "#microsoft.graph.groupPolicyPresentationValueDecimal", "value": 2,
                 "presentation@odata.bind": format!("{}/presentations('{pid}')", bind(&devtools))}]}]}),
            400,
            "a drop-down takes text",
        ),
        (
            json!({"added": [], "removed": []}),
            400,
            "no such parameter",
        ),
    ] {
        let r = emu.post(&t, &action, body).await;
        assert_eq!(r.status, status, "{why}: {}", r.text);
    }
    let added = emu
        .post(
            &t,
            &action,
            json!({"added": [value("2")], "updated": [], "deletedIds": []}),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.text);

    // Read only when expanded: with the definition and the presentation.
    let plain = emu
        .get(&t, &beta(&format!("groupPolicyConfigurations/{id}")))
        .await;
    assert!(
        plain.body.get("definitionValues").is_none(),
        "{}",
        plain.text
    );
    let expanded = emu
        .get(&t, &beta(&format!("groupPolicyConfigurations/{id}?$expand=definitionValues($expand=definition,presentationValues($expand=presentation))")))
        .await;
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    let values = expanded.body["definitionValues"].as_array().unwrap();
    assert_eq!(
        values.len(),
        1,
        "refused requests applied nothing: {}",
        expanded.text
    );
    let v = &values[0];
    assert_eq!(v["enabled"], true);
    assert_eq!(
        v["definition"]["displayName"],
        "Control where developer tools can be used"
    );
    assert_eq!(v["presentationValues"][0]["value"], "2");
    assert_eq!(
        v["presentationValues"][0]["presentation"]["id"],
        pid.as_str()
    );
    let value_id = v["id"].as_str().unwrap().to_string();
    let pv_id = v["presentationValues"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Updated by id (the presentation value too), then deleted.
    let updated = emu
        .post(&t, &action, json!({"added": [], "updated": [{"id": value_id, "enabled": false, "presentationValues": [
            {"@odata.type": "#microsoft.graph.groupPolicyPresentationValueText", "value": "1", "id": pv_id}]}], "deletedIds": []}))
        .await;
    assert_eq!(updated.status, 204, "{}", updated.text);
    let listed = emu
        .get(
            &t,
            &beta(&format!("groupPolicyConfigurations/{id}/definitionValues")),
        )
        .await;
    assert_eq!(listed.body["value"][0]["enabled"], false, "{}", listed.text);
    let again = emu
        .get(&t, &beta(&format!("groupPolicyConfigurations/{id}?$expand=definitionValues($expand=definition,presentationValues($expand=presentation))")))
        .await;
    assert_eq!(
        again.body["definitionValues"][0]["presentationValues"][0]["value"],
        "1"
    );
    assert_eq!(
        again.body["definitionValues"][0]["presentationValues"][0]["id"],
        pv_id.as_str()
    );
    let deleted = emu
        .post(
            &t,
            &action,
            json!({"added": [], "updated": [], "deletedIds": [value_id]}),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let empty = emu
        .get(
            &t,
            &beta(&format!("groupPolicyConfigurations/{id}/definitionValues")),
        )
        .await;
    assert_eq!(empty.body["value"], json!([]), "{}", empty.text);

    // `assign` answers 200 with the assignments, each with its write time
    // (intune-grouppolicy-grouppolicyconfiguration-assign, -grouppolicyconfigurationassignment).
    let assigned = emu
        .post(
            &t,
            &beta(&format!("groupPolicyConfigurations/{id}/assign")),
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let answered = &assigned.body["value"][0];
    assert!(
        answered["lastModifiedDateTime"]
            .as_str()
            .is_some_and(|t| t.contains('T')),
        "{}",
        assigned.text
    );
    let read = emu
        .get(
            &t,
            &beta(&format!("groupPolicyConfigurations/{id}/assignments")),
        )
        .await;
    assert_eq!(
        read.body["value"][0]["lastModifiedDateTime"], answered["lastModifiedDateTime"],
        "{}",
        read.text
    );
}

/// Asks the emulator's DNS server (UDP, or TCP with its two-byte length) one question, as a
/// stub resolver would, and decodes the answer.
async fn dns_query(
    server: &str,
    name: &str,
    kind: hickory_proto::rr::RecordType,
    tcp: bool,
) -> hickory_proto::op::Message {
    use hickory_proto::op::{Message, Query};
    use hickory_proto::rr::Name;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Message::query();
    request.metadata.recursion_desired = true;
    request.add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
    let bytes = request.to_vec().unwrap();
    let answer = if tcp {
        let mut stream = tokio::net::TcpStream::connect(server).await.unwrap();
        stream
            .write_all(&(bytes.len() as u16).to_be_bytes())
            .await
            .unwrap();
        stream.write_all(&bytes).await.unwrap();
        let mut length = [0u8; 2];
        stream.read_exact(&mut length).await.unwrap();
        let mut answer = vec![0u8; u16::from_be_bytes(length) as usize];
        stream.read_exact(&mut answer).await.unwrap();
        answer
    } else {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.send_to(&bytes, server).await.unwrap();
        let mut buffer = vec![0u8; 4096];
        let (n, _) = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            socket.recv_from(&mut buffer),
        )
        .await
        .expect("an answer")
        .unwrap();
        buffer.truncate(n);
        buffer
    };
    let message = Message::from_vec(&answer).unwrap();
    assert_eq!(message.id, request.id);
    message
}

fn rdata_text(message: &hickory_proto::op::Message) -> Vec<String> {
    message.answers.iter().map(|r| r.data.to_string()).collect()
}

/// The tenant's public DNS zone over UDP and TCP, as an authoritative server answers (records
/// Microsoft asks for on its custom domain, NXDOMAIN for a name the zone lacks, REFUSED for a
/// zone it does not serve); Graph's serviceConfigurationRecords with Microsoft's shapes; and
/// the operator's change, which the next answer carries.
#[tokio::test]
async fn the_public_dns_zone_answers_queries_and_graph_lists_what_microsoft_asks_for() {
    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::RecordType;
    let emu = start("empty-agency").await;
    let server = emu.running.info().dns.clone();
    assert!(server.starts_with("127.0.0.1:"), "{server}");
    let initial = emu.tenant().domains[0].clone();
    let domain = emu.tenant().domains.last().unwrap().clone();
    let dashes = domain.replace('.', "-");

    let mx = dns_query(&server, &format!("{domain}."), RecordType::MX, false).await;
    assert_eq!(mx.response_code, ResponseCode::NoError);
    assert!(mx.authoritative);
    assert_eq!(
        rdata_text(&mx),
        vec![format!("10 {dashes}.mail.protection.outlook.com.")]
    );
    let spf = dns_query(&server, &format!("{domain}."), RecordType::TXT, true).await;
    assert_eq!(
        rdata_text(&spf),
        vec!["v=spf1 include:spf.protection.outlook.com -all".to_string()]
    );
    let dmarc = dns_query(
        &server,
        &format!("_dmarc.{domain}."),
        RecordType::TXT,
        false,
    )
    .await;
    assert!(
        rdata_text(&dmarc)[0].starts_with("v=DMARC1; p=reject; pct=100;"),
        "{:?}",
        rdata_text(&dmarc)
    );
    let selector = dns_query(
        &server,
        &format!("selector1._domainkey.{domain}."),
        RecordType::CNAME,
        false,
    )
    .await;
    assert_eq!(
        rdata_text(&selector),
        vec![format!("selector1-{dashes}._domainkey.{initial}.")]
    );
    // No such name in the zone; a zone the server does not hold.
    let none = dns_query(
        &server,
        &format!("nothing.{domain}."),
        RecordType::TXT,
        false,
    )
    .await;
    assert_eq!(none.response_code, ResponseCode::NXDomain);
    assert!(none.answers.is_empty());
    let other = dns_query(&server, "example.com.", RecordType::MX, true).await;
    assert_eq!(other.response_code, ResponseCode::Refused);

    // What Microsoft 365 asks the domain to publish, with Domain.Read.All.
    let token = emu.token_for("blueprint-auditor").await;
    let listed = emu
        .get(
            &token,
            &format!("domains/{domain}/serviceConfigurationRecords"),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let records = listed.body["value"].as_array().unwrap();
    let mx = records.iter().find(|r| r["recordType"] == "Mx").unwrap();
    assert_eq!(mx["@odata.type"], "#microsoft.graph.domainDnsMxRecord");
    assert_eq!(mx["label"], domain.as_str());
    assert_eq!(
        mx["mailExchange"],
        format!("{dashes}.mail.protection.outlook.com")
    );
    assert_eq!(mx["supportedService"], "Email");
    assert_eq!(mx["isOptional"], false);
    let txt = records.iter().find(|r| r["recordType"] == "Txt").unwrap();
    assert_eq!(
        txt["text"],
        "v=spf1 include:spf.protection.outlook.com -all"
    );
    assert!(records.iter().any(|r| r["recordType"] == "CName"
        && r["label"] == format!("autodiscover.{domain}")
        && r["canonicalName"] == "autodiscover.outlook.com"));
    let missing = emu
        .get(
            &token,
            "domains/nowhere.example/serviceConfigurationRecords",
        )
        .await;
    assert_eq!(missing.status, 404);

    // The operator changes a record: the next answer has it; a name outside every tenant's
    // domains is refused.
    let put = emu
        .http
        .put(format!("{}/_emulator/dns", emu.base))
        .json(&json!({"name": format!("_dmarc.{domain}"), "type": "TXT", "values": ["v=DMARC1; p=none"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let dmarc = dns_query(
        &server,
        &format!("_dmarc.{domain}."),
        RecordType::TXT,
        false,
    )
    .await;
    assert_eq!(rdata_text(&dmarc), vec!["v=DMARC1; p=none".to_string()]);
    let refused = emu
        .http
        .put(format!("{}/_emulator/dns", emu.base))
        .json(&json!({"name": "example.com", "type": "TXT", "values": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let bad = emu
        .http
        .put(format!("{}/_emulator/dns", emu.base))
        .json(&json!({"name": domain, "type": "MX", "values": ["mail.example.net"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

/// A fixture's `dns:` replaces the record sets it names in the zone Microsoft's defaults make
/// (no values: the set is removed), and one outside the tenant's custom domains is refused.
#[test]
fn a_fixture_sets_records_of_its_tenants_zone() {
    use rand::SeedableRng;
    let fixture = |dns: &str| {
        blueprint_emulator::Fixture::parse(
            &format!(
                "name: t\ndescription: t\ntenants:\n  - name: T\n    domains: [t.onmicrosoft.com, t.gov.au]\n    dns:\n{dns}"
            ),
            "inline",
        )
        .unwrap()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let built = fixture(
        "      - { name: _dmarc.t.gov.au, type: TXT, values: [\"v=DMARC1; p=none\"] }\n      - { name: selector2._domainkey.t.gov.au, type: CNAME, values: [] }\n",
    )
    .build(&mut rng)
    .unwrap();
    let zone = &built[0].dns;
    let dmarc: Vec<_> = zone
        .iter()
        .filter(|r| r.name == "_dmarc.t.gov.au")
        .collect();
    assert_eq!(dmarc.len(), 1);
    assert_eq!(dmarc[0].values, vec!["v=DMARC1; p=none".to_string()]);
    assert!(
        !zone
            .iter()
            .any(|r| r.name == "selector2._domainkey.t.gov.au")
    );
    assert!(
        zone.iter()
            .any(|r| r.name == "selector1._domainkey.t.gov.au"
                && r.values == vec!["selector1-t-gov-au._domainkey.t.onmicrosoft.com".to_string()])
    );
    assert!(zone.iter().any(|r| r.name == "t.gov.au" && r.kind == "MX"));
    // Microsoft's zone of the initial domain is not the tenant's to publish.
    assert!(!zone.iter().any(|r| r.name.ends_with("onmicrosoft.com")));
    let refused = fixture("      - { name: t.example.com, type: TXT, values: [x] }\n")
        .build(&mut rng)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("t.example.com"), "{refused}");
    assert!(refused.contains("custom domains"), "{refused}");
}

/// A Windows Firewall Rules policy (settings catalog, beta): the template's family and name
/// set as Intune sets them, each rule a group of the Firewall CSP's settings read back with
/// `$expand=settings`; a rule's option that is not the definition's, and a 151st rule, refused.
#[tokio::test]
async fn firewall_rules_policies_take_at_most_150_rules_of_known_settings() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let path = format!("{}/beta/deviceManagement/configurationPolicies", emu.base);
    let rule_setting = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";
    let rule = |name: &str, direction: &str| {
        json!({"children": [
            {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
             "settingDefinitionId": format!("{rule_setting}_name"),
             "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": name}},
            {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
             "settingDefinitionId": format!("{rule_setting}_direction"),
             "choiceSettingValue": {"value": format!("{rule_setting}_direction_{direction}"), "children": []}},
            {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance",
             "settingDefinitionId": format!("{rule_setting}_interfacetypes"),
             "choiceSettingCollectionValue": [{"value": format!("{rule_setting}_interfacetypes_lan"), "children": []}]},
        ]})
    };
    let policy = |name: &str, rules: Vec<Value>| {
        json!({"name": name, "platforms": "windows10", "technologies": "mdm,microsoftSense",
            "templateReference": {"templateId": "19c8aa67-f286-4861-9aa0-f23541d31680_1"},
            "settings": [{"settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                "settingDefinitionId": rule_setting, "groupSettingCollectionValue": rules}}]})
    };
    let created = emu
        .post(
            &t,
            &path,
            policy("Rules 0", vec![rule("DNS", "out"), rule("App", "in")]),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["templateReference"]["templateFamily"],
        "endpointSecurityFirewall"
    );
    assert_eq!(
        created.body["templateReference"]["templateDisplayName"],
        "Windows Firewall Rules"
    );
    let id = created.body["id"].as_str().unwrap();
    let read = emu.get(&t, &format!("{path}/{id}?$expand=settings")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let groups = &read.body["settings"][0]["settingInstance"]["groupSettingCollectionValue"];
    assert_eq!(groups.as_array().unwrap().len(), 2);
    assert_eq!(
        groups[1]["children"][0]["simpleSettingValue"]["value"],
        "App"
    );
    for (body, why) in [
        (
            policy("Rules 1", vec![rule("DNS", "sideways")]),
            "is not an option",
        ),
        (
            policy(
                "Rules 2",
                (0..151).map(|i| rule(&format!("R{i}"), "in")).collect(),
            ),
            "at most 150 values",
        ),
    ] {
        let refused = emu.post(&t, &path, body).await;
        assert_eq!(refused.status, 400, "{}", refused.text);
        assert!(refused.text.contains(why), "{why}: {}", refused.text);
    }
}

/// Apple enrolment (DEP) profiles live in beta only under their Apple enrolment program token
/// (intune-enrollment-depiosenrollmentprofile-list/-get/-create/-update/-delete): created with
/// a derived type (201, returned with `@odata.type`), patched (200 with the profile), listed
/// under their own token only, not found under an id the tenant has no token for, deleted
/// (204). The token is the service's: a client neither creates nor deletes one.
#[tokio::test]
async fn apple_dep_profiles_live_under_their_token_in_beta() {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    let tokens = emu
        .get(
            &t,
            &format!("{}/beta/deviceManagement/depOnboardingSettings", emu.base),
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let listed = tokens.body["value"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", tokens.text);
    assert_eq!(listed[0]["tokenType"], "dep");
    let token = listed[0]["id"].as_str().unwrap();
    let made = emu
        .post(
            &t,
            &format!("{}/beta/deviceManagement/depOnboardingSettings", emu.base),
            json!({"tokenName": "Another"}),
        )
        .await;
    assert_eq!(made.status, 405, "{}", made.text);
    let path = &format!(
        "{}/beta/deviceManagement/depOnboardingSettings/{token}/enrollmentProfiles",
        emu.base
    );
    let v1 = emu
        .get(
            &t,
            &format!("deviceManagement/depOnboardingSettings/{token}/enrollmentProfiles"),
        )
        .await;
    assert!(matches!(v1.status.as_u16(), 400 | 404), "{}", v1.text);
    for (bad, why) in [
        (json!({"displayName": "x"}), "no @odata.type"),
        (
            json!({"@odata.type": "#microsoft.graph.depIOSEnrollmentProfile", "displayName": "x", "iTunesPairingMode": "denyAll"}),
            "iTunesPairingMode",
        ),
        (
            json!({"@odata.type": "#microsoft.graph.depIOSEnrollmentProfile", "displayName": "x", "notAProperty": true}),
            "unknown property",
        ),
    ] {
        let r = emu.post(&t, path, bad).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
    }
    let created = emu
        .post(
            &t,
            path,
            json!({"@odata.type": "#microsoft.graph.depIOSEnrollmentProfile", "displayName": "Apple Business Manager Enrollment", "supervisedModeEnabled": true, "iTunesPairingMode": "disallow", "passCodeDisabled": true}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.depIOSEnrollmentProfile"
    );
    assert!(
        created
            .body
            .get("@emulator.depOnboardingSettingId")
            .is_none(),
        "{}",
        created.text
    );
    assert_eq!(created.body["enabledSkipKeys"], json!([]));
    let id = created.body["id"].as_str().unwrap();
    let patched = emu
        .patch(&t, &format!("{path}/{id}"), json!({"@odata.type": "#microsoft.graph.depIOSEnrollmentProfile", "iTunesPairingMode": "allow"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["iTunesPairingMode"], "allow");
    assert_eq!(patched.body["supervisedModeEnabled"], true);
    let listed = emu.get(&t, path).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Apple Business Manager Enrollment"]);
    assert!(
        listed.body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("enrollmentProfiles")
    );
    // Under an id the tenant has no token for: not found, to reads and writes alike.
    let elsewhere = format!(
        "{}/beta/deviceManagement/depOnboardingSettings/00000000-0000-0000-0000-000000000000/enrollmentProfiles",
        emu.base
    );
    assert_eq!(emu.get(&t, &elsewhere).await.status, 404);
    assert_eq!(emu.get(&t, &format!("{elsewhere}/{id}")).await.status, 404);
    let deleted = emu.delete(&t, &format!("{path}/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(emu.get(&t, &format!("{path}/{id}")).await.status, 404);
    let listed = emu.get(&t, path).await;
    assert_eq!(listed.body["value"], json!([]));
}

/// A Microsoft 365 group Graph makes reaches Exchange Online once its mailbox is provisioned:
/// until then `Get-UnifiedGroup` leaves it out and `Set-UnifiedGroup` answers Exchange's
/// "couldn't be found"; then both faces show one group (Graph's privacy is Exchange's
/// `AccessType`, and a write through either is seen by the other), new groups carry Graph's
/// documented defaults (no auto-subscription, no mail from outside), and deleting the group in
/// Graph takes its Exchange face with it.
#[tokio::test]
async fn a_microsoft_365_group_reaches_exchange_once_provisioned_one_state_two_faces() {
    let mut cfg = config("empty-agency");
    cfg.group_provisioning = std::time::Duration::from_millis(1500);
    let emu = start_with(cfg).await;
    let t = emu.token().await;
    let x = exchange_token(&emu).await;
    let made = emu
        .post(
            &t,
            "groups",
            json!({
                "displayName": "grp-EXAO365-Outlook",
                "mailEnabled": true,
                "mailNickname": "grp-exao365-outlook",
                "securityEnabled": false,
                "groupTypes": ["Unified"],
                "visibility": "Private"
            }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    let of_group = |rows: &Value| -> Option<Value> {
        rows["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["ExternalDirectoryObjectId"] == id.as_str())
            .cloned()
    };

    // Not provisioned yet: absent from the list, "couldn't be found" to Set-.
    let listed = invoke(&emu, &x, "Get-UnifiedGroup", json!({})).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(of_group(&listed.body), None);
    let early = invoke(
        &emu,
        &x,
        "Set-UnifiedGroup",
        json!({"Identity": "grp-exao365-outlook", "AutoSubscribeNewMembers": true}),
    )
    .await;
    assert_eq!(early.status, 404, "{}", early.text);
    assert_eq!(early.body["error"]["message"], "Invalid Operation");
    let inner = early.body["error"]["innererror"]["internalexception"]["message"]
        .as_str()
        .unwrap();
    assert!(inner.contains("couldn't be found"), "{inner}");

    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let listed = invoke(&emu, &x, "Get-UnifiedGroup", json!({})).await;
    let row = of_group(&listed.body).unwrap_or_else(|| panic!("{}", listed.text));
    assert_eq!(row["DisplayName"], "grp-EXAO365-Outlook");
    assert_eq!(row["Alias"], "grp-exao365-outlook");
    assert_eq!(row["PrimarySmtpAddress"], made.body["mail"]);
    assert_eq!(row["AccessType"], "Private");
    assert_eq!(row["RecipientTypeDetails"], "GroupMailbox");
    assert_eq!(row["AutoSubscribeNewMembers"], false);
    assert_eq!(row["RequireSenderAuthenticationEnabled"], true);
    assert_eq!(row["AcceptMessagesOnlyFromSendersOrMembers"], json!([]));
    assert_eq!(row["GrantSendOnBehalfTo"], json!([]));
    let name = row["Identity"].as_str().unwrap().to_string();
    assert_ne!(name, id, "Exchange names the group itself");

    // Set- by the Identity Get- gave: Exchange's settings, and Graph's privacy through Graph.
    let set = invoke(
        &emu,
        &x,
        "Set-UnifiedGroup",
        json!({"Identity": name, "AutoSubscribeNewMembers": true, "Language": "en-au", "AccessType": "pub"}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let again = invoke(&emu, &x, "Get-UnifiedGroup", json!({"Identity": name})).await;
    let row = &again.body["value"][0];
    assert_eq!(row["AutoSubscribeNewMembers"], true);
    assert_eq!(row["Language"], "en-AU");
    assert_eq!(row["AccessType"], "Public");
    let graph = emu.get(&t, &format!("groups/{id}")).await;
    assert_eq!(graph.body["visibility"], "Public", "{}", graph.text);
    // ...and Graph's write is Exchange's to read.
    let patched = emu
        .patch(
            &t,
            &format!("groups/{id}"),
            json!({"visibility": "Private"}),
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let again = invoke(&emu, &x, "Get-UnifiedGroup", json!({"Identity": id})).await;
    assert_eq!(again.body["value"][0]["AccessType"], "Private");

    // Parameters as the reference declares them; no New- or Remove- here.
    for (parameters, status) in [
        (
            json!({"Identity": name, "RequireSenderAuthenticationEnabled": "maybe"}),
            400,
        ),
        (json!({"Identity": name, "AllowExternalSenders": true}), 400),
        (json!({"AutoSubscribeNewMembers": false}), 400),
        (json!({"Identity": name, "AccessType": "Secret"}), 400),
    ] {
        let r = invoke(&emu, &x, "Set-UnifiedGroup", parameters.clone()).await;
        assert_eq!(r.status, status, "{parameters}: {}", r.text);
    }
    let new = invoke(
        &emu,
        &x,
        "New-UnifiedGroup",
        json!({"DisplayName": "x", "Alias": "x"}),
    )
    .await;
    assert_eq!(new.status, 403, "{}", new.text);

    // Deleted in Graph: gone from Exchange, settings and all.
    assert_eq!(emu.delete(&t, &format!("groups/{id}")).await.status, 204);
    let gone = invoke(&emu, &x, "Get-UnifiedGroup", json!({"Identity": name})).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    let state = emu.running.emulator().snapshot();
    assert!(
        state[0]
            .exchange
            .objects
            .get("UnifiedGroup")
            .is_none_or(Vec::is_empty),
        "{:?}",
        state[0].exchange.objects.get("UnifiedGroup")
    );
}
