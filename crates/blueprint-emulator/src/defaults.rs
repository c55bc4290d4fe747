//! What every new tenant already has before anyone configures it: the directory's setting
//! templates and the tenant-wide policies with Microsoft's out-of-the-box values.

use serde_json::{Value, json};

use crate::tenant::{Tenant, now_rfc3339};

/// The Group.Unified setting template id (graph-notes §5).
pub const GROUP_UNIFIED_TEMPLATE: &str = "62375ab9-6b52-47ed-826b-58e47e0e304b";

pub fn install(tenant: &mut Tenant) {
    let templates = tenant
        .collections
        .entry("groupSettingTemplate".into())
        .or_default();
    for template in setting_templates() {
        let id = template["id"].as_str().unwrap_or_default().to_string();
        templates.insert(id, template);
    }
    tenant
        .singletons
        .insert("authorizationPolicy".into(), authorization_policy());
    tenant.singletons.insert(
        "authenticationMethodsPolicy".into(),
        authentication_methods_policy(),
    );
    let configs = tenant
        .collections
        .entry("authenticationMethodConfiguration".into())
        .or_default();
    for config in authentication_method_configurations() {
        let id = config["id"].as_str().unwrap_or_default().to_string();
        configs.insert(id, config);
    }
    tenant
        .singletons
        .insert("sharepointSettings".into(), sharepoint_settings());
}

fn setting(name: &str, ty: &str, default: &str, description: &str) -> Value {
    json!({"name": name, "type": ty, "defaultValue": default, "description": description})
}

fn setting_templates() -> Vec<Value> {
    vec![
        json!({
            "id": GROUP_UNIFIED_TEMPLATE,
            "deletedDateTime": null,
            "displayName": "Group.Unified",
            "description": "Setting templates define the different settings that can be used for the associated ObjectSettings. This template defines settings that can be used for Unified Groups.",
            "values": [
                setting("NewUnifiedGroupWritebackDefault", "System.Boolean", "true", "Default value for whether new Microsoft 365 groups are written back to on-premises."),
                setting("EnableMIPLabels", "System.Boolean", "false", "Whether sensitivity labels can be assigned to Microsoft 365 groups."),
                setting("CustomBlockedWordsList", "System.String", "", "Comma-delimited blocked words for group display names and aliases."),
                setting("EnableMSStandardBlockedWords", "System.Boolean", "false", "Deprecated."),
                setting("ClassificationDescriptions", "System.String", "", "Comma-delimited classification descriptions."),
                setting("DefaultClassification", "System.String", "", "The classification applied when none is given."),
                setting("PrefixSuffixNamingRequirement", "System.String", "", "The naming format for group display names, e.g. GRP_[GroupName]_[Department]."),
                setting("AllowGuestsToBeGroupOwner", "System.Boolean", "false", "Whether a guest can own a group."),
                setting("AllowGuestsToAccessGroups", "System.Boolean", "true", "Whether guests can access group content."),
                setting("GuestUsageGuidelinesUrl", "System.String", "", "Link to guest usage guidelines."),
                setting("GroupCreationAllowedGroupId", "System.Guid", "", "The security group whose members may create Microsoft 365 groups."),
                setting("AllowToAddGuests", "System.Boolean", "true", "Whether guests can be added to groups."),
                setting("UsageGuidelinesUrl", "System.String", "", "Link to group usage guidelines."),
                setting("ClassificationList", "System.String", "", "Comma-delimited valid classification values."),
                setting("EnableGroupCreation", "System.Boolean", "true", "Whether non-admin users can create Microsoft 365 groups."),
            ]
        }),
        json!({
            "id": "08d542b9-071f-4e16-94b0-74abb372e3d9",
            "deletedDateTime": null,
            "displayName": "Group.Unified.Guest",
            "description": "Settings for a specific Unified Group",
            "values": [
                setting("AllowToAddGuests", "System.Boolean", "true", "Whether guests can be added to this group."),
            ]
        }),
        json!({
            "id": "5cf42378-d67d-4f36-ba46-e8b86229381d",
            "deletedDateTime": null,
            "displayName": "Password Rule Settings",
            "description": "Settings for managing tenant-wide password rule settings.",
            "values": [
                setting("BannedPasswordCheckOnPremisesMode", "System.String", "Audit", "How to enforce the banned password list on premises: Audit or Enforce."),
                setting("EnableBannedPasswordCheckOnPremises", "System.Boolean", "true", "Whether the banned password check applies on premises."),
                setting("EnableBannedPasswordCheck", "System.Boolean", "true", "Whether the custom banned password list is enforced."),
                setting("LockoutDurationInSeconds", "System.Int32", "60", "Initial lockout duration after smart lockout."),
                setting("LockoutThreshold", "System.Int32", "10", "Failed sign-ins before smart lockout."),
                setting("BannedPasswordList", "System.String", "", "Tab-delimited custom banned passwords."),
            ]
        }),
    ]
}

fn authorization_policy() -> Value {
    json!({
        "id": "authorizationPolicy",
        "deletedDateTime": null,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "allowInvitesFrom": "everyone",
        "allowedToSignUpEmailBasedSubscriptions": true,
        "allowedToUseSSPR": true,
        "allowEmailVerifiedUsersToJoinOrganization": true,
        "allowUserConsentForRiskyApps": null,
        "blockMsolPowerShell": false,
        "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": true,
            "allowedToCreateSecurityGroups": true,
            "allowedToCreateTenants": true,
            "allowedToReadBitlockerKeysForOwnedDevice": true,
            "allowedToReadOtherUsers": true,
            "permissionGrantPoliciesAssigned": [
                "ManagePermissionGrantsForSelf.microsoft-user-default-legacy"
            ]
        }
    })
}

fn authentication_methods_policy() -> Value {
    json!({
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": now_rfc3339(),
        "policyVersion": "1.5",
        "policyMigrationState": "preMigration",
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1,
                "enforceRegistrationAfterAllowedSnoozes": true,
                "state": "default",
                "excludeTargets": [],
                "includeTargets": [{
                    "id": "all_users",
                    "targetType": "group",
                    "targetedAuthenticationMethod": "microsoftAuthenticator"
                }]
            }
        }
    })
}

fn all_users_target() -> Value {
    json!([{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}])
}

fn authentication_method_configurations() -> Vec<Value> {
    vec![
        json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            "id": "Fido2", "state": "disabled", "excludeTargets": [],
            "isSelfServiceRegistrationAllowed": true, "isAttestationEnforced": true,
            "keyRestrictions": {"isEnforced": false, "enforcementType": "block", "aaGuids": []},
            "includeTargets": all_users_target()
        }),
        json!({
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
            "id": "MicrosoftAuthenticator", "state": "enabled", "excludeTargets": [],
            "isSoftwareOathEnabled": false,
            "featureSettings": {
                "displayAppInformationRequiredState": {"state": "default", "includeTarget": {"targetType": "group", "id": "all_users"}, "excludeTarget": {"targetType": "group", "id": "00000000-0000-0000-0000-000000000000"}},
                "displayLocationInformationRequiredState": {"state": "default", "includeTarget": {"targetType": "group", "id": "all_users"}, "excludeTarget": {"targetType": "group", "id": "00000000-0000-0000-0000-000000000000"}}
            },
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false, "authenticationMode": "any"}]
        }),
        json!({
            "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
            "id": "Sms", "state": "disabled", "excludeTargets": [],
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false, "isUsableForSignIn": true}]
        }),
        json!({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
            "id": "TemporaryAccessPass", "state": "disabled", "excludeTargets": [],
            "defaultLifetimeInMinutes": 60, "defaultLength": 8, "minimumLifetimeInMinutes": 60,
            "maximumLifetimeInMinutes": 480, "isUsableOnce": false,
            "includeTargets": all_users_target()
        }),
        json!({
            "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration",
            "id": "Email", "state": "enabled", "excludeTargets": [],
            "allowExternalIdToUseEmailOtp": "default",
            "includeTargets": all_users_target()
        }),
        json!({
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
            "id": "SoftwareOath", "state": "disabled", "excludeTargets": [],
            "includeTargets": all_users_target()
        }),
        json!({
            "@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration",
            "id": "Voice", "state": "disabled", "excludeTargets": [],
            "isOfficePhoneAllowed": false,
            "includeTargets": all_users_target()
        }),
        json!({
            "@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
            "id": "X509Certificate", "state": "disabled", "excludeTargets": [],
            "certificateUserBindings": [
                {"x509CertificateField": "PrincipalName", "userProperty": "onPremisesUserPrincipalName", "priority": 1},
                {"x509CertificateField": "RFC822Name", "userProperty": "userPrincipalName", "priority": 2}
            ],
            "authenticationModeConfiguration": {"x509CertificateAuthenticationDefaultMode": "x509CertificateSingleFactor", "rules": []},
            "includeTargets": all_users_target()
        }),
    ]
}

fn sharepoint_settings() -> Value {
    json!({
        "allowedDomainGuidsForSyncApp": [],
        "availableManagedPathsForSiteCreation": ["/sites/", "/teams/"],
        "deletedUserPersonalSiteRetentionPeriodInDays": 30,
        "excludedFileExtensionsForSyncApp": [],
        "idleSessionSignOut": {"isEnabled": false, "warnAfterInSeconds": 0, "signOutAfterInSeconds": 0},
        "imageTaggingOption": "basic",
        "isCommentingOnSitePagesEnabled": true,
        "isFileActivityNotificationEnabled": true,
        "isLegacyAuthProtocolsEnabled": true,
        "isLoopEnabled": true,
        "isMacSyncAppEnabled": true,
        "isRequireAcceptingUserToMatchInvitedUserEnabled": true,
        "isResharingByExternalUsersEnabled": false,
        "isSharePointMobileNotificationEnabled": true,
        "isSharePointNewsfeedEnabled": false,
        "isSiteCreationEnabled": true,
        "isSiteCreationUIEnabled": true,
        "isSitePagesCreationEnabled": true,
        "isSitesStorageLimitAutomatic": true,
        "isSyncButtonHiddenOnPersonalSite": false,
        "isUnmanagedSyncAppForTenantRestricted": false,
        "personalSiteDefaultStorageLimitInMB": 1048576,
        "sharingAllowedDomainList": [],
        "sharingBlockedDomainList": [],
        "sharingCapability": "externalUserAndGuestSharing",
        "sharingDomainRestrictionMode": "none",
        "siteCreationDefaultManagedPath": "/sites/",
        "siteCreationDefaultStorageLimitInMB": 26214400,
        "tenantDefaultTimezone": "(UTC+10:00) Canberra, Melbourne, Sydney"
    })
}
