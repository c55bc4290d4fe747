//! What every new tenant already has before anyone configures it: the directory's setting
//! templates and the tenant-wide policies with Microsoft's out-of-the-box values.

use serde_json::{Value, json};

use crate::tenant::{Tenant, now_rfc3339};

/// Built-in Entra ID administrator roles (template ids are the same in every tenant).
const ROLE_TEMPLATES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
    ),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Groups Administrator",
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    (
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
    ),
    (
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "License Administrator",
    ),
    (
        "17315797-102d-40b4-93e0-432062caca18",
        "Compliance Administrator",
    ),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader"),
    (
        "7495fdc4-34c4-4d15-a289-98788ce399fd",
        "Azure Information Protection Administrator",
    ),
    (
        "2b745bdf-0803-4d80-aa65-822c4493daac",
        "Office Apps Administrator",
    ),
    (
        "a9ea8996-122f-4c74-9520-8edcd192826c",
        "Fabric Administrator",
    ),
    (
        "11648597-926c-4cf3-9c36-bcebb0ba8dcc",
        "Power Platform Administrator",
    ),
    ("5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", "Security Operator"),
    (
        "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
        "Teams Communications Administrator",
    ),
    (
        "f70938a0-fc10-4177-9e90-2178f8765737",
        "Teams Communications Support Engineer",
    ),
    (
        "fcf91098-03e3-41a9-b5ba-6f0ec8188a12",
        "Teams Communications Support Specialist",
    ),
];

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
    let roles = tenant
        .collections
        .entry("directoryRoleTemplate".into())
        .or_default();
    for (id, name) in ROLE_TEMPLATES {
        roles.insert(
            id.to_string(),
            json!({"id": id, "deletedDateTime": null, "displayName": name, "description": format!("{name} (built-in role)")}),
        );
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
    let organization = organization(tenant);
    tenant
        .collections
        .entry("organization".into())
        .or_default()
        .insert(tenant.id.clone(), organization);
    let domains: Vec<Value> = tenant
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| domain(d, i == 0, i + 1 == tenant.domains.len()))
        .collect();
    let stored = tenant.collections.entry("domain".into()).or_default();
    for d in domains {
        stored.insert(d["id"].as_str().unwrap_or_default().to_string(), d);
    }
    for (entity, value) in organisation_settings(&tenant.id) {
        tenant.singletons.insert(entity.into(), value);
    }
    // Every directory role has its PIM role settings from the start.
    let role_ids: Vec<&str> = ROLE_TEMPLATES.iter().map(|(id, _)| *id).collect();
    crate::role_policies::install(tenant, &role_ids);
    let enrolment = enrolment_defaults(&tenant.id);
    let configurations = tenant
        .collections
        .entry("deviceEnrollmentConfiguration".into())
        .or_default();
    for configuration in enrolment {
        let id = configuration["id"].as_str().unwrap_or_default().to_string();
        configurations.insert(id, configuration);
    }
}

/// Intune's default enrolment configurations, which every tenant has: priority 0, all named "All
/// users and all devices", ids `{tenant}_Default…`, with Microsoft's out-of-the-box values
/// (Windows Hello for Business left to the device, five devices a user, every platform allowed
/// personally owned or not, the enrolment status page off). Beta's properties (the status page's
/// settings, security keys, the configuration type) are on the same objects; v1.0 shows its own.
fn enrolment_defaults(tenant_id: &str) -> Vec<Value> {
    let now = now_rfc3339();
    // The id's suffix is the configuration type beta reports (`defaultLimit`, …).
    let base = |suffix: &str, odata_type: &str, description: &str| {
        let mut configuration_type = suffix.to_string();
        configuration_type[..1].make_ascii_lowercase();
        json!({
            "@odata.type": format!("#microsoft.graph.{odata_type}"),
            "id": format!("{tenant_id}_{suffix}"),
            "displayName": "All users and all devices",
            "description": description,
            "priority": 0,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "version": 1,
            "roleScopeTagIds": ["0"],
            "deviceEnrollmentConfigurationType": configuration_type,
        })
    };
    let open = json!({
        "platformBlocked": false,
        "personalDeviceEnrollmentBlocked": false,
        "osMinimumVersion": null,
        "osMaximumVersion": null,
        "blockedManufacturers": [],
        "blockedSkus": [],
    });
    let with = |mut v: Value, extra: Value| {
        crate::tenant::merge(&mut v, &extra);
        v
    };
    vec![
        with(
            base(
                "DefaultWindowsHelloForBusiness",
                "deviceEnrollmentWindowsHelloForBusinessConfiguration",
                "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
            ),
            json!({
                "pinMinimumLength": 6,
                "pinMaximumLength": 127,
                "pinUppercaseCharactersUsage": "disallowed",
                "pinLowercaseCharactersUsage": "disallowed",
                "pinSpecialCharactersUsage": "disallowed",
                "state": "notConfigured",
                "securityDeviceRequired": false,
                "unlockWithBiometricsEnabled": true,
                "remotePassportEnabled": true,
                "pinPreviousBlockCount": 0,
                "pinExpirationInDays": 0,
                "enhancedBiometricsState": "notConfigured",
                "securityKeyForSignIn": "notConfigured",
                "enhancedSignInSecurity": 0,
            }),
        ),
        with(
            base(
                "DefaultLimit",
                "deviceEnrollmentLimitConfiguration",
                "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
            ),
            json!({"limit": 5}),
        ),
        with(
            base(
                "DefaultPlatformRestrictions",
                "deviceEnrollmentPlatformRestrictionsConfiguration",
                "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
            ),
            json!({
                "iosRestriction": open,
                "windowsRestriction": open,
                "windowsMobileRestriction": open,
                "androidRestriction": open,
                "androidForWorkRestriction": open,
                "macOSRestriction": open,
                "macRestriction": open,
            }),
        ),
        with(
            base(
                "DefaultWindows10EnrollmentCompletionPageConfiguration",
                "windows10EnrollmentCompletionPageConfiguration",
                "This is the default enrollment status screen configuration applied with the lowest priority to all users and all devices regardless of group membership.",
            ),
            // The status page off, as a new tenant has it (its settings are beta's).
            json!({
                "allowNonBlockingAppInstallation": false,
                "showInstallationProgress": false,
                "blockDeviceSetupRetryByUser": true,
                "allowDeviceResetOnInstallFailure": false,
                "allowLogCollectionOnInstallFailure": false,
                "customErrorMessage": "Setup could not be completed. Please try again or contact your support person for help.",
                "installProgressTimeoutInMinutes": 60,
                "allowDeviceUseOnInstallFailure": false,
                "selectedMobileAppIds": [],
                "installQualityUpdates": false,
                "trackInstallProgressForAutopilotOnly": false,
                "disableUserStatusTrackingAfterFirstUser": false,
            }),
        ),
    ]
}

/// The tenant's organization object: its name and verified domains (the first the initial
/// `onmicrosoft.com` domain, the last the default), Australia and English, the administrator
/// who signed the tenant up as its technical contact (as a new tenant has it), and no
/// security, marketing or privacy contacts.
fn organization(tenant: &Tenant) -> Value {
    let domains = &tenant.domains;
    json!({
        "id": tenant.id,
        "deletedDateTime": null,
        "displayName": tenant.display_name,
        "tenantType": "AAD",
        "countryLetterCode": "AU",
        "preferredLanguage": "en",
        "verifiedDomains": domains.iter().enumerate().map(|(i, d)| json!({
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": i == domains.len().saturating_sub(1),
            "isInitial": i == 0,
            "name": d,
            "type": "Managed"
        })).collect::<Vec<_>>(),
        "technicalNotificationMails": [format!("admin@{}", tenant.initial_domain())],
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "marketingNotificationEmails": [],
        "privacyProfile": null
    })
}

/// A verified, managed domain of the tenant: passwords never expire (a new tenant's default,
/// which Graph shows as Int32's maximum validity), 14 days' notice.
fn domain(name: &str, initial: bool, default: bool) -> Value {
    json!({
        "id": name,
        "authenticationType": "Managed",
        "availabilityStatus": null,
        "isAdminManaged": true,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": true,
        "isVerified": true,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"]
    })
}

/// The organisation-wide settings objects every tenant has, with Microsoft's defaults: self-service
/// sign-up on, report names concealed, Office from the Current Channel, Company Portal unbranded,
/// Forms and To Do open to external users, Office Store and trials allowed.
fn organisation_settings(tenant_id: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "authenticationFlowsPolicy",
            json!({
                "id": "authenticationFlowsPolicy",
                "displayName": "Authentication flows policy",
                "description": "Authentication flows policy allows modification of settings related to authentication flows in AAD tenant, such as self-service sign up configuration.",
                "selfServiceSignUp": {"isEnabled": true}
            }),
        ),
        (
            "adminReportSettings",
            json!({"id": "reportSettings", "displayConcealedNames": true}),
        ),
        // The admin consent workflow is off in a new tenant, with no reviewers.
        (
            "adminConsentRequestPolicy",
            json!({"id": "adminConsentRequestPolicy", "isEnabled": false, "notifyReviewers": false, "remindersEnabled": false, "requestDurationInDays": 0, "reviewers": [], "version": 0}),
        ),
        // Device registration as a new tenant has it (deviceregistrationpolicy-get's example
        // and the resource's defaults): everyone may join and register, no MFA requirement,
        // 50 devices a user, global administrators and the registering user local
        // administrators of joined devices, LAPS off. With Intune, registration is Intune's to
        // decide (isAdminConfigurable false).
        (
            "deviceRegistrationPolicy",
            json!({
                "id": "deviceRegistrationPolicy",
                "displayName": "Device Registration Policy",
                "description": "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
                "userDeviceQuota": 50,
                "multiFactorAuthConfiguration": "notRequired",
                "azureADRegistration": {
                    "isAdminConfigurable": false,
                    "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
                },
                "azureADJoin": {
                    "isAdminConfigurable": true,
                    "allowedToJoin": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
                    "localAdmins": {
                        "enableGlobalAdmins": true,
                        "registeringUsers": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
                    }
                },
                "localAdminPassword": {"isEnabled": false}
            }),
        ),
        (
            "m365AppsInstallationOptions",
            json!({
                "id": "installationOptions",
                "updateChannel": "current",
                "appsForWindows": {"isMicrosoft365AppsEnabled": true, "isProjectEnabled": true, "isSkypeForBusinessEnabled": true, "isVisioEnabled": true},
                "appsForMac": {"isMicrosoft365AppsEnabled": true, "isSkypeForBusinessEnabled": true}
            }),
        ),
        (
            "deviceManagement",
            json!({
                "id": tenant_id,
                "intuneAccountId": tenant_id,
                "intuneBrand": {"displayName": null, "contactITName": null, "contactITPhoneNumber": null, "contactITEmailAddress": null, "contactITNotes": null, "privacyUrl": null, "onlineSupportSiteUrl": null, "onlineSupportSiteName": null, "themeColor": null, "showLogo": false, "lightBackgroundLogo": null, "darkBackgroundLogo": null, "showNameNextToLogo": false, "showDisplayNameNextToLogo": true},
                // Intune's defaults: devices with no policy count as compliant; 30 days' validity.
                "settings": {"deviceComplianceCheckinThresholdDays": 30, "isScheduledActionEnabled": true, "secureByDefault": false},
                // The agency's Intune subscription is in use (its VPP token syncs, its policies apply).
                "subscriptionState": "active"
            }),
        ),
        (
            "adminForms",
            json!({"id": "forms", "settings": {"isExternalSendFormEnabled": true, "isExternalShareCollaborationEnabled": true, "isExternalShareResultEnabled": true, "isExternalShareTemplateEnabled": true, "isRecordIdentityByDefaultEnabled": true, "isBingImageSearchEnabled": true, "isInOrgFormsPhishingScanEnabled": true}}),
        ),
        (
            "adminTodo",
            json!({"id": "todo", "settings": {"isExternalJoinEnabled": true, "isExternalShareEnabled": true, "isPushNotificationEnabled": true}}),
        ),
        (
            "adminAppsAndServices",
            json!({"id": "appsAndServices", "settings": {"isOfficeStoreEnabled": true, "isAppAndServicesTrialEnabled": true}}),
        ),
    ]
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
