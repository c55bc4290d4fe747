//! The resources the emulator serves (graph-notes §5), as data: where each lives, how its
//! verbs answer, who may read and write it, how it is throttled and paged.

use crate::error::ErrorStyle;
use crate::schema::{Schema, beta_schema, schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A collection of entities addressed by id.
    Collection,
    /// One object per tenant, read and patched in place.
    Singleton,
}

/// Which throttling regime applies (graph-notes §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleClass {
    /// Identity protection and conditional access: 1 request per second per tenant, no
    /// `Retry-After`.
    ConditionalAccess,
    /// Entra ID directory objects: resource-unit token buckets.
    Identity,
    /// Intune device configuration and compliance.
    Intune,
    /// Exchange Online's admin API (`/adminapi/…/InvokeCommand`, each `$batch` item).
    Exchange,
    /// Only the global per-app limit.
    Other,
}

#[derive(Debug)]
pub struct Kind {
    /// The schema's entity type for items of this kind (the base type for derived kinds).
    pub entity: &'static str,
    /// Path under its version (`/v1.0/`, or `/beta/` for the kinds of [`BETA_KINDS`]).
    pub path: &'static str,
    pub shape: Shape,
    pub style: ErrorStyle,
    /// Items carry derived types, so `@odata.type` is required when writing and always
    /// present when reading.
    pub derived: bool,
    /// PATCH answers 200 with the updated object instead of 204.
    pub patch_returns_body: bool,
    pub can_create: bool,
    pub can_delete: bool,
    /// Default and maximum page size.
    pub page_default: usize,
    pub page_max: usize,
    /// Application permissions that allow reading (any of them, or any write permission).
    pub read: &'static [&'static str],
    /// Application permissions that allow writing (any of them).
    pub write: &'static [&'static str],
    pub throttle: ThrottleClass,
    /// `$count` needs `ConsistencyLevel: eventual` (directory objects, advanced queries).
    pub count_needs_eventual: bool,
    /// Properties the service sets; ignored when a client sends them.
    pub server_props: &'static [&'static str],
    /// Navigation properties the resource accepts inline in a write body (the schema leaves
    /// them out; rules check them).
    pub inline_nav: &'static [&'static str],
    /// Properties accepted on write but never returned on read.
    pub write_only: &'static [&'static str],
    /// `POST {id}/assign` and `GET {id}/assignments` (Intune).
    pub assignable: bool,
    /// Properties a `$filter` may name (`id` is always allowed).
    pub filterable: &'static [&'static str],
}

const DIRECTORY_READ: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];

/// Writes Microsoft documents as needing more than one permission ("X and Y"): each entry is a
/// further requirement, met by any one of its permissions.
/// - Create and update a conditional access policy: "Policy.Read.All,
///   Policy.ReadWrite.ConditionalAccess and Application.Read.All"
///   (conditionalaccessroot-post-policies, conditionalaccesspolicy-update); Graph answers 403
///   "Application.Read.All scope is required to add/edit application condition" without it.
/// - Create and update a named location: "Policy.Read.All and
///   Policy.ReadWrite.ConditionalAccess" (conditionalaccessroot-post-namedlocations).
const ALSO_TO_WRITE: &[(&str, &[&str])] = &[
    ("conditionalAccessPolicy", &["Policy.Read.All"]),
    (
        "conditionalAccessPolicy",
        &["Application.Read.All", "Application.ReadWrite.All"],
    ),
    ("namedLocation", &["Policy.Read.All"]),
];

/// Who may read and write Intune's enrolment profiles (DEP, Autopilot): the service
/// configuration permissions, or the device configuration ones.
const ENROLMENT_READ: &[&str] = &[
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const ENROLMENT_WRITE: &[&str] = &[
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];

/// What most Intune kinds share: a collection of policies of one type, assigned
/// through `POST {id}/assign` and read at `{id}/assignments`, PATCH answering 200 with the
/// object, pages of up to 1,000, DeviceManagementConfiguration permissions, Intune's throttling.
/// A kind names what differs and takes the rest (`..INTUNE_POLICIES`).
const INTUNE_POLICIES: Kind = Kind {
    entity: "",
    path: "",
    shape: Shape::Collection,
    style: ErrorStyle::Service,
    derived: false,
    patch_returns_body: true,
    can_create: true,
    can_delete: true,
    page_default: 1000,
    page_max: 1000,
    read: &[
        "DeviceManagementConfiguration.Read.All",
        "DeviceManagementConfiguration.ReadWrite.All",
    ],
    write: &["DeviceManagementConfiguration.ReadWrite.All"],
    throttle: ThrottleClass::Intune,
    count_needs_eventual: false,
    server_props: &["id", "createdDateTime", "lastModifiedDateTime", "version"],
    inline_nav: &["assignments"],
    write_only: &["assignments"],
    assignable: true,
    filterable: &["displayName"],
};

/// Intune compliance policies: served by both versions, one object each shows with its own
/// schema's properties (beta's firewall, TPM, Defender and iOS build settings).
const DEVICE_COMPLIANCE_POLICY: Kind = Kind {
    entity: "deviceCompliancePolicy",
    path: "deviceManagement/deviceCompliancePolicies",
    derived: true,
    inline_nav: &["scheduledActionsForRule", "assignments"],
    write_only: &["scheduledActionsForRule", "assignments"],
    ..INTUNE_POLICIES
};

/// iOS/iPadOS app protection policies: one concrete type; PATCH answers 200 with the
/// policy (intune-mam-iosmanagedappprotection-update); `assign` takes `assignments`
/// (targetedManagedAppPolicyAssignment) and answers 204; the apps go through `targetApps`
/// (crate::app_protection). -list/-get: DeviceManagementApps.Read.All or .ReadWrite.All;
/// -create/-update/-delete, assign and targetApps: DeviceManagementApps.ReadWrite.All.
/// v1.0 and beta serve the same policies: beta also has the settings only it has (exempted URL
/// protocols, the cut-and-copy limit, third-party keyboards, notifications…), each version
/// showing its own schema's properties.
const IOS_MANAGED_APP_PROTECTION: Kind = Kind {
    entity: "iosManagedAppProtection",
    path: "deviceAppManagement/iosManagedAppProtections",
    read: &[
        "DeviceManagementApps.Read.All",
        "DeviceManagementApps.ReadWrite.All",
    ],
    write: &["DeviceManagementApps.ReadWrite.All"],
    server_props: &[
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "version",
        "isAssigned",
        "deployedAppCount",
    ],
    ..INTUNE_POLICIES
};

/// Intune's tenant object: v1.0 serves the Company Portal branding and the compliance settings,
/// beta also enhanced jailbreak detection.
const DEVICE_MANAGEMENT: Kind = Kind {
    entity: "deviceManagement",
    path: "deviceManagement",
    shape: Shape::Singleton,
    can_create: false,
    can_delete: false,
    page_default: 1,
    page_max: 1,
    read: &[
        "DeviceManagementServiceConfig.Read.All",
        "DeviceManagementServiceConfig.ReadWrite.All",
        "DeviceManagementConfiguration.ReadWrite.All",
    ],
    write: &[
        "DeviceManagementServiceConfig.ReadWrite.All",
        "DeviceManagementConfiguration.ReadWrite.All",
    ],
    server_props: &["id", "intuneAccountId", "subscriptionState"],
    inline_nav: &[],
    write_only: &[],
    assignable: false,
    filterable: &[],
    ..INTUNE_POLICIES
};

/// Intune's enrolment configurations: the defaults every tenant has (Windows Hello for
/// Business, device limit, platform restrictions, enrolment status page; priority 0, all named
/// "All users and all devices", which can be changed but not deleted) and those an agency
/// adds. Derived types; assignments through `POST {id}/assign` with
/// `enrollmentConfigurationAssignments` (204), read at `{id}/assignments`.
/// intune-onboarding-deviceenrollment*configuration-*: DeviceManagementServiceConfig.
pub(crate) const DEVICE_ENROLLMENT_CONFIGURATION: Kind = Kind {
    entity: "deviceEnrollmentConfiguration",
    path: "deviceManagement/deviceEnrollmentConfigurations",
    derived: true,
    read: &[
        "DeviceManagementServiceConfig.Read.All",
        "DeviceManagementServiceConfig.ReadWrite.All",
    ],
    write: &["DeviceManagementServiceConfig.ReadWrite.All"],
    ..INTUNE_POLICIES
};

/// Intune's device configuration profiles: derived types per profile type; PATCH answers 200
/// with the profile; `POST {id}/assign` (intune-deviceconfig-deviceconfiguration-*). v1.0 and
/// beta serve the same collection: beta also has the profile types only it has (Delivery
/// Optimisation, `windowsDeliveryOptimizationConfiguration`), which v1.0's list leaves out, and
/// shows a device restrictions or endpoint protection profile with its beta-only settings too.
const DEVICE_CONFIGURATION: Kind = Kind {
    entity: "deviceConfiguration",
    path: "deviceManagement/deviceConfigurations",
    derived: true,
    ..INTUNE_POLICIES
};

/// Intune apps: derived types per app type; PATCH answers 200 with the app
/// (intune-apps-webapp-update); `POST {id}/assign` takes `mobileAppAssignments` and answers
/// 204 (intune-apps-mobileapp-assign). v1.0 and beta serve the same collection: beta also has
/// Microsoft 365 Apps (`officeSuiteApp`), which v1.0's list leaves out.
const MOBILE_APP: Kind = Kind {
    entity: "mobileApp",
    path: "deviceAppManagement/mobileApps",
    derived: true,
    // intune-apps-webapp-list/-create, intune-apps-officesuiteapp-list/-create (beta):
    // DeviceManagementApps.Read.All / DeviceManagementApps.ReadWrite.All.
    read: &[
        "DeviceManagementApps.Read.All",
        "DeviceManagementApps.ReadWrite.All",
    ],
    write: &["DeviceManagementApps.ReadWrite.All"],
    // Beta's read-only counts and states too (intune-shared-mobileapp, beta): a create that
    // sends them, as intune-apps-officesuiteapp-create's example does, has them ignored.
    server_props: &[
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "publishingState",
        "isAssigned",
        "uploadState",
        "dependentAppCount",
        "supersedingAppCount",
        "supersededAppCount",
    ],
    filterable: &["displayName", "isFeatured", "publisher"],
    ..INTUNE_POLICIES
};

pub static KINDS: &[Kind] = &[
    Kind {
        entity: "conditionalAccessPolicy",
        path: "identity/conditionalAccess/policies",
        shape: Shape::Collection,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &["Policy.Read.All", "Policy.Read.ConditionalAccess"],
        write: &["Policy.ReadWrite.ConditionalAccess"],
        throttle: ThrottleClass::ConditionalAccess,
        count_needs_eventual: false,
        server_props: &["id", "createdDateTime", "modifiedDateTime", "templateId"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[
            "displayName",
            "state",
            "createdDateTime",
            "modifiedDateTime",
        ],
    },
    Kind {
        entity: "namedLocation",
        path: "identity/conditionalAccess/namedLocations",
        shape: Shape::Collection,
        style: ErrorStyle::Service,
        derived: true,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &["Policy.Read.All", "Policy.Read.ConditionalAccess"],
        write: &["Policy.ReadWrite.ConditionalAccess"],
        throttle: ThrottleClass::ConditionalAccess,
        count_needs_eventual: false,
        server_props: &["id", "createdDateTime", "modifiedDateTime"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["displayName", "createdDateTime", "modifiedDateTime"],
    },
    Kind {
        entity: "group",
        path: "groups",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &[
            "Group.Read.All",
            "GroupMember.Read.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &[
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Group.Create",
        ],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &[
            "id",
            "createdDateTime",
            "renewedDateTime",
            "securityIdentifier",
            "mail",
            "proxyAddresses",
            "deletedDateTime",
            "onPremisesSyncEnabled",
            "expirationDateTime",
        ],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[
            "displayName",
            "mailNickname",
            "mail",
            "securityEnabled",
            "mailEnabled",
            "groupTypes",
            "isAssignableToRole",
            "createdDateTime",
        ],
    },
    Kind {
        entity: "user",
        path: "users",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &[
            "User.Read.All",
            "User.ReadBasic.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &[
            "id",
            "createdDateTime",
            "deletedDateTime",
            "mail",
            "proxyAddresses",
        ],
        inline_nav: &[],
        write_only: &["passwordProfile"],
        assignable: false,
        filterable: &[
            "displayName",
            "userPrincipalName",
            "mail",
            "mailNickname",
            "accountEnabled",
            "userType",
            "givenName",
            "surname",
        ],
    },
    Kind {
        entity: "directoryRoleTemplate",
        path: "directoryRoleTemplates",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 999,
        read: &[
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "RoleManagement.Read.Directory",
            "RoleManagement.ReadWrite.Directory",
        ],
        write: &[],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &[],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["displayName"],
    },
    Kind {
        entity: "groupSettingTemplate",
        path: "groupSettingTemplates",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 999,
        read: DIRECTORY_READ,
        write: &[],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &[],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["displayName"],
    },
    Kind {
        entity: "groupSetting",
        path: "groupSettings",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        // List and create settings: least GroupSettings.Read.All / GroupSettings.ReadWrite.All;
        // higher Directory.*, Group.* and (create) Policy.ReadWrite.Authorization
        // (group-list-settings, group-post-settings).
        read: &[
            "GroupSettings.Read.All",
            "Directory.Read.All",
            "Group.Read.All",
            "Group.ReadWrite.All",
        ],
        write: &[
            "GroupSettings.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Policy.ReadWrite.Authorization",
        ],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &["id", "displayName"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["displayName", "templateId"],
    },
    Kind {
        entity: "groupLifecyclePolicy",
        path: "groupLifecyclePolicies",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: true,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        // grouplifecyclepolicy-list / -post-grouplifecyclepolicies: Directory.Read.All and
        // Directory.ReadWrite.All; nothing narrower writes.
        read: &["Directory.Read.All"],
        write: &["Directory.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: true,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["managedGroupTypes"],
    },
    Kind {
        entity: "authorizationPolicy",
        path: "policies/authorizationPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &["Policy.Read.All", "Policy.ReadWrite.Authorization"],
        write: &["Policy.ReadWrite.Authorization"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "deletedDateTime"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "authenticationMethodsPolicy",
        path: "policies/authenticationMethodsPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: true,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &["Policy.Read.AuthenticationMethod", "Policy.Read.All"],
        write: &["Policy.ReadWrite.AuthenticationMethod"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "lastModifiedDateTime", "policyVersion"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "authenticationMethodConfiguration",
        path: "policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
        shape: Shape::Collection,
        style: ErrorStyle::Service,
        derived: true,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 100,
        read: &["Policy.Read.AuthenticationMethod", "Policy.Read.All"],
        write: &["Policy.ReadWrite.AuthenticationMethod"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &["includeTargets"],
        write_only: &[],
        assignable: false,
        filterable: &["state"],
    },
    Kind {
        entity: "sharepointSettings",
        path: "admin/sharepoint/settings",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: true,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "SharePointTenantSettings.Read.All",
            "SharePointTenantSettings.ReadWrite.All",
        ],
        write: &["SharePointTenantSettings.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        // tenantDefaultTimezone is writable (Update sharepointSettings lists it).
        server_props: &["availableManagedPathsForSiteCreation"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    DEVICE_COMPLIANCE_POLICY,
    DEVICE_ENROLLMENT_CONFIGURATION,
    DEVICE_CONFIGURATION,
    Kind {
        entity: "agreement",
        path: "identityGovernance/termsOfUse/agreements",
        shape: Shape::Collection,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &["Agreement.Read.All", "Agreement.ReadWrite.All"],
        write: &["Agreement.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &["files"],
        write_only: &["files"],
        assignable: false,
        filterable: &["displayName"],
    },
    Kind {
        entity: "authenticationFlowsPolicy",
        path: "policies/authenticationFlowsPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &["Policy.Read.All", "Policy.ReadWrite.AuthenticationFlows"],
        write: &["Policy.ReadWrite.AuthenticationFlows"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "displayName", "description"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "adminReportSettings",
        path: "admin/reportSettings",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &["ReportSettings.Read.All", "ReportSettings.ReadWrite.All"],
        write: &["ReportSettings.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "m365AppsInstallationOptions",
        path: "admin/microsoft365Apps/installationOptions",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "OrgSettings-Microsoft365Install.Read.All",
            "OrgSettings-Microsoft365Install.ReadWrite.All",
        ],
        write: &["OrgSettings-Microsoft365Install.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    DEVICE_MANAGEMENT,
    MOBILE_APP,
    IOS_MANAGED_APP_PROTECTION,
    // Apple VPP tokens (intune-onboarding-vpptoken-list/-get: DeviceManagementApps.Read.All,
    // DeviceManagementServiceConfig.Read.All or either's ReadWrite; -update:
    // DeviceManagementApps.ReadWrite.All or DeviceManagementServiceConfig.ReadWrite.All).
    // Uploading a token (POST) and removing it are not modelled: a tenant's token and the apps
    // its licences brought come from its fixture (crate::vpp), as Apple's sync would make them.
    // `token` is Apple's secret content token: accepted, never returned.
    Kind {
        entity: "vppToken",
        path: "deviceAppManagement/vppTokens",
        can_create: false,
        can_delete: false,
        read: &[
            "DeviceManagementApps.Read.All",
            "DeviceManagementServiceConfig.Read.All",
        ],
        write: &[
            "DeviceManagementApps.ReadWrite.All",
            "DeviceManagementServiceConfig.ReadWrite.All",
        ],
        server_props: &[
            "id",
            "lastModifiedDateTime",
            "lastSyncDateTime",
            "lastSyncStatus",
            "expirationDateTime",
            "organizationName",
            "appleId",
            "state",
            "vppTokenAccountType",
        ],
        inline_nav: &[],
        write_only: &["token"],
        assignable: false,
        filterable: &[],
        ..INTUNE_POLICIES
    },
    // Written only with PUT of the whole policy (crate::identity).
    Kind {
        entity: "adminConsentRequestPolicy",
        path: "policies/adminConsentRequestPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        // adminconsentrequestpolicy-get and -update.
        read: &[
            "Policy.Read.All",
            "Policy.ReadWrite.ConsentRequest",
            "Directory.Read.All",
        ],
        write: &["Policy.ReadWrite.ConsentRequest", "Directory.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "version"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // The tenant's one organization object: a collection of exactly one, addressed by the
    // tenant id; never created or deleted by a client (organization-update: "organization is
    // defined as a collection of exactly one record, and so its ID must be specified").
    Kind {
        entity: "organization",
        path: "organization",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 999,
        // organization-get: Organization.Read.All, higher Directory.Read.All,
        // Organization.ReadWrite.All, Directory.ReadWrite.All; organization-update:
        // Organization.ReadWrite.All, nothing higher.
        read: &[
            "Organization.Read.All",
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &["Organization.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &[
            "id",
            "deletedDateTime",
            "displayName",
            "tenantType",
            "verifiedDomains",
            "countryLetterCode",
            "preferredLanguage",
        ],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // The tenant's default company branding, `organization/{organization id}/branding`: served
    // by crate::branding (it lives under the organization, answers 404 until one is made, and
    // takes `Accept-Language`), stored here as a singleton. organizationalbranding-get:
    // OrganizationalBranding.Read.All, higher Organization.Read.All,
    // Organization.ReadWrite.All, OrganizationalBranding.ReadWrite.All;
    // organizationalbranding-update: OrganizationalBranding.ReadWrite.All, higher
    // Organization.ReadWrite.All.
    Kind {
        entity: "organizationalBranding",
        path: "organization/{organizationId}/branding",
        shape: Shape::Singleton,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "OrganizationalBranding.Read.All",
            "OrganizationalBranding.ReadWrite.All",
            "Organization.Read.All",
            "Organization.ReadWrite.All",
        ],
        write: &[
            "OrganizationalBranding.ReadWrite.All",
            "Organization.ReadWrite.All",
        ],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        // The id (the locale, `0` for the default), the CDN and the images' URLs are the
        // service's; the images themselves are written one at a time with PUT.
        server_props: &[
            "id",
            "cdnList",
            "backgroundImageRelativeUrl",
            "bannerLogoRelativeUrl",
            "customCSSRelativeUrl",
            "faviconRelativeUrl",
            "headerLogoRelativeUrl",
            "squareLogoRelativeUrl",
            "squareLogoDarkRelativeUrl",
        ],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // The tenant's domains, by their names. Adding and verifying a domain (POST, verify) is
    // not modelled: the tenant's domains are its fixture's.
    Kind {
        entity: "domain",
        path: "domains",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 999,
        // domain-get/-list: Domain.Read.All, higher Directory.Read.All, Domain.ReadWrite.All,
        // Directory.ReadWrite.All; domain-update: Domain.ReadWrite.All, nothing higher.
        read: &[
            "Domain.Read.All",
            "Domain.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        write: &["Domain.ReadWrite.All"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &[
            "id",
            "availabilityStatus",
            "isAdminManaged",
            "isInitial",
            "isRoot",
            "isVerified",
        ],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // The subscriptions the organisation bought (subscribedsku-list/-get): read-only, made by a
    // purchase (a fixture's `subscriptions`). Application permissions: LicenseAssignment.Read.All
    // (least privileged), higher Directory.Read.All, Directory.ReadWrite.All,
    // Organization.Read.All, Organization.ReadWrite.All; the table names no ReadWrite licence
    // permission.
    Kind {
        entity: "subscribedSku",
        path: "subscribedSkus",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 100,
        page_max: 999,
        read: &[
            "LicenseAssignment.Read.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Organization.Read.All",
            "Organization.ReadWrite.All",
        ],
        write: &[],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &[],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // Written only with PUT of the whole policy (crate::identity).
    Kind {
        entity: "deviceRegistrationPolicy",
        path: "policies/deviceRegistrationPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        // deviceregistrationpolicy-get: Policy.Read.DeviceConfiguration, higher
        // Policy.ReadWrite.DeviceConfiguration (delegated also Policy.Read.All); -update:
        // Policy.ReadWrite.DeviceConfiguration, nothing higher.
        read: &[
            "Policy.Read.DeviceConfiguration",
            "Policy.ReadWrite.DeviceConfiguration",
        ],
        write: &["Policy.ReadWrite.DeviceConfiguration"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        // Read-only: "always set to" deviceRegistrationPolicy, "Device Registration Policy" and
        // the tenant-wide description.
        server_props: &["id", "displayName", "description"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
];

/// The kinds served under `/beta/`, with the beta schema (`schema/graph-beta.yaml`). A beta kind
/// may share its entity with a v1.0 kind (the authentication methods policy): the object is one,
/// and each version shows it in its own schema. Adding a beta kind is an entry here and its
/// types in the beta schema.
pub static BETA_KINDS: &[Kind] = &[
    Kind {
        entity: "authenticationMethodsPolicy",
        path: "policies/authenticationMethodsPolicy",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: true,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "Policy.Read.All",
            "Policy.Read.AuthenticationMethod",
            "Policy.ReadWrite.AuthenticationMethod",
        ],
        write: &["Policy.ReadWrite.AuthenticationMethod"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "lastModifiedDateTime", "policyVersion"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "adminForms",
        path: "admin/forms",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "OrgSettings-Forms.Read.All",
            "OrgSettings-Forms.ReadWrite.All",
        ],
        write: &["OrgSettings-Forms.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "adminTodo",
        path: "admin/todo",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "OrgSettings-Todo.Read.All",
            "OrgSettings-Todo.ReadWrite.All",
        ],
        write: &["OrgSettings-Todo.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    Kind {
        entity: "adminAppsAndServices",
        path: "admin/appsAndServices",
        shape: Shape::Singleton,
        style: ErrorStyle::Service,
        derived: false,
        patch_returns_body: false,
        can_create: false,
        can_delete: false,
        page_default: 1,
        page_max: 1,
        read: &[
            "OrgSettings-AppsAndServices.Read.All",
            "OrgSettings-AppsAndServices.ReadWrite.All",
        ],
        write: &["OrgSettings-AppsAndServices.ReadWrite.All"],
        throttle: ThrottleClass::Other,
        count_needs_eventual: false,
        server_props: &["id"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &[],
    },
    // The tenant's B2B management policy (invitation allow/blocklists), beta only: one per
    // organisation (allow-deny-list), POST 201, PATCH 200 with the policy
    // (b2bmanagementpolicy-update), DELETE 204. b2bmanagementpolicy-get and the list:
    // Policy.Read.B2BManagementPolicy or Policy.ReadWrite.B2BManagementPolicy; create, update and
    // delete: Policy.ReadWrite.B2BManagementPolicy, nothing higher.
    Kind {
        entity: "b2bManagementPolicy",
        path: "policies/b2bManagementPolicies",
        shape: Shape::Collection,
        style: ErrorStyle::Directory,
        derived: false,
        patch_returns_body: true,
        can_create: true,
        can_delete: true,
        page_default: 100,
        page_max: 999,
        read: &[
            "Policy.Read.B2BManagementPolicy",
            "Policy.ReadWrite.B2BManagementPolicy",
        ],
        write: &["Policy.ReadWrite.B2BManagementPolicy"],
        throttle: ThrottleClass::Identity,
        count_needs_eventual: false,
        server_props: &["id", "deletedDateTime"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["displayName"],
    },
    // Intune settings catalog (crate::settings_catalog): `settings` is taken inline on POST and
    // PUT and returned only when expanded.
    Kind {
        entity: "deviceManagementConfigurationPolicy",
        path: "deviceManagement/configurationPolicies",
        patch_returns_body: false,
        page_default: 25,
        server_props: &[
            "id",
            "createdDateTime",
            "lastModifiedDateTime",
            "settingCount",
            "isAssigned",
        ],
        inline_nav: &["settings", "assignments"],
        filterable: &["name", "platforms", "technologies"],
        ..INTUNE_POLICIES
    },
    // The compliance policies v1.0 serves, with the beta schema's settings (firewall, TPM,
    // Defender, iOS build…): one object, each version showing its own properties.
    DEVICE_COMPLIANCE_POLICY,
    // Enrolment configurations: the same objects, with the enrolment status page's settings,
    // security keys for Windows Hello and the configuration type only beta has.
    Kind {
        server_props: &[
            "id",
            "createdDateTime",
            "lastModifiedDateTime",
            "version",
            "deviceEnrollmentConfigurationType",
        ],
        ..DEVICE_ENROLLMENT_CONFIGURATION
    },
    // Intune's tenant object: beta's compliance policy settings (enhanced jailbreak detection).
    DEVICE_MANAGEMENT,
    // iOS/iPadOS app protection policies: the same objects, with beta's own settings.
    IOS_MANAGED_APP_PROTECTION,
    // Intune's PowerShell scripts (beta only): `scriptContent` is base64 (Edm.Binary) and null on
    // the list; `assign` takes `deviceManagementScriptAssignments` and answers 204
    // (intune-shared-devicemanagementscript-create/-assign).
    Kind {
        entity: "deviceManagementScript",
        path: "deviceManagement/deviceManagementScripts",
        server_props: &["id", "createdDateTime", "lastModifiedDateTime"],
        ..INTUNE_POLICIES
    },
    // Intune's administrative templates (beta only; crate::group_policy): the configuration's
    // own properties here, its `definitionValues` through `updateDefinitionValues` and
    // `$expand`, `assign` with `assignments` (200 with the assignments:
    // intune-grouppolicy-grouppolicyconfiguration-create/-update/-assign, all
    // DeviceManagementConfiguration.ReadWrite.All; -get/-list also .Read.All).
    Kind {
        entity: "groupPolicyConfiguration",
        path: "deviceManagement/groupPolicyConfigurations",
        server_props: &["id", "createdDateTime", "lastModifiedDateTime"],
        ..INTUNE_POLICIES
    },
    // Intune apps: the same collection, with Microsoft 365 Apps (officeSuiteApp).
    MOBILE_APP,
    // Intune device configuration profiles: the same collection, with the profile types only
    // beta has (Delivery Optimisation).
    DEVICE_CONFIGURATION,
    // Apple enrolment type profiles (beta only): PATCH answers 200 with the profile; each
    // assignment is created with `POST {id}/assignments` (201) and removed with
    // `DELETE {id}/assignments/{id}` (204); no `assign` action.
    // intune-enrollment-appleuserinitiatedenrollmentprofile-get/-list:
    // DeviceManagementServiceConfig.Read.All or .ReadWrite.All; -create/-update:
    // DeviceManagementServiceConfig.ReadWrite.All; the assignments' pages add
    // DeviceManagementConfiguration.Read.All / .ReadWrite.All.
    Kind {
        entity: "appleUserInitiatedEnrollmentProfile",
        path: "deviceManagement/appleUserInitiatedEnrollmentProfiles",
        read: &[
            "DeviceManagementServiceConfig.Read.All",
            "DeviceManagementServiceConfig.ReadWrite.All",
        ],
        write: &["DeviceManagementServiceConfig.ReadWrite.All"],
        server_props: &["id", "createdDateTime", "lastModifiedDateTime"],
        ..INTUNE_POLICIES
    },
    // Apple enrolment program tokens (`deviceManagement/depOnboardingSettings`, beta only):
    // the service makes one from the token Apple Business Manager issues (uploadDepToken), so
    // a client neither creates nor deletes one here; PATCH answers 200 with the token
    // (intune-enrollment-deponboardingsetting-update). The current reference pages list
    // application permissions as their delegated ones: -get/-list
    // DeviceManagementServiceConfig.Read.All or .ReadWrite.All; -update
    // DeviceManagementServiceConfig.ReadWrite.All. The profiles under a token are served by
    // crate::dep.
    Kind {
        entity: "depOnboardingSetting",
        path: "deviceManagement/depOnboardingSettings",
        can_create: false,
        can_delete: false,
        read: &[
            "DeviceManagementServiceConfig.Read.All",
            "DeviceManagementServiceConfig.ReadWrite.All",
        ],
        write: &["DeviceManagementServiceConfig.ReadWrite.All"],
        server_props: &[
            "id",
            "lastModifiedDateTime",
            "lastSuccessfulSyncDateTime",
            "lastSyncTriggeredDateTime",
            "lastSyncErrorCode",
            "syncedDeviceCount",
        ],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        filterable: &["tokenName"],
        ..INTUNE_POLICIES
    },
    // Apple enrolment (DEP) profiles, which Graph has only under their token:
    // `deviceManagement/depOnboardingSettings/{id}/enrollmentProfiles` (the path here is that
    // template; crate::dep routes the requests and keeps each profile with its token). Derived
    // types per platform (depIOSEnrollmentProfile, …); PATCH answers 200 with the profile
    // (intune-enrollment-depiosenrollmentprofile-update); create 201, delete 204.
    // intune-enrollment-enrollmentprofile-get/-list: DeviceManagementServiceConfig.Read.All,
    // .ReadWrite.All, DeviceManagementConfiguration.Read.All, .ReadWrite.All;
    // -create/-update/-delete: DeviceManagementServiceConfig.ReadWrite.All,
    // DeviceManagementConfiguration.ReadWrite.All.
    Kind {
        entity: "enrollmentProfile",
        path: "deviceManagement/depOnboardingSettings/{depOnboardingSettingId}/enrollmentProfiles",
        derived: true,
        read: ENROLMENT_READ,
        write: ENROLMENT_WRITE,
        server_props: &["id", "isDefault"],
        inline_nav: &[],
        write_only: &[],
        assignable: false,
        ..INTUNE_POLICIES
    },
    // Windows Autopilot deployment profiles (beta only): derived types per join type; PATCH
    // answers 200 with the profile (intune-enrollment-azureadwindowsautopilotdeploymentprofile-
    // update); each assignment is created with `POST {id}/assignments` (201) and removed with
    // `DELETE {id}/assignments/{id}` (204); `assign` (device ids) is not modelled.
    // -get/-list: DeviceManagementServiceConfig.Read.All or .ReadWrite.All (the abstract type's
    // pages add DeviceManagementConfiguration.Read.All / .ReadWrite.All); -create/-update:
    // DeviceManagementServiceConfig.ReadWrite.All or DeviceManagementConfiguration.ReadWrite.All.
    Kind {
        entity: "windowsAutopilotDeploymentProfile",
        path: "deviceManagement/windowsAutopilotDeploymentProfiles",
        derived: true,
        read: ENROLMENT_READ,
        write: ENROLMENT_WRITE,
        server_props: &["id", "createdDateTime", "lastModifiedDateTime"],
        ..INTUNE_POLICIES
    },
];

/// The version segment of beta requests (the emulator's routes put it in front of the path).
pub const BETA: &str = "beta";

impl Kind {
    /// Whether items read with their `@odata.type`: a polymorphic kind's always, and an app
    /// protection policy's. Its one concrete type is a derived type of the abstract
    /// managedAppPolicy, which clients read it through (the service's managedAppPolicies, the
    /// SDKs' managedAppPolicy factories, which pick the model by the annotation), and
    /// Microsoft's references return it with the annotation
    /// (intune-mam-iosmanagedappprotection-get, -list, -create, -update).
    pub fn tags_type(&self) -> bool {
        self.derived || self.entity == "iosManagedAppProtection"
    }

    pub fn by_entity(entity: &str) -> &'static Kind {
        KINDS
            .iter()
            .find(|k| k.entity == entity)
            .unwrap_or_else(|| panic!("no kind for entity {entity}"))
    }

    pub fn by_entity_opt(entity: &str) -> Option<&'static Kind> {
        KINDS.iter().find(|k| k.entity == entity)
    }

    /// Finds the kind whose path is a prefix of `segments`; returns it with the rest. Segments
    /// that start with `beta` name a beta kind.
    pub fn route<'a>(segments: &'a [&'a str]) -> Option<(&'static Kind, &'a [&'a str])> {
        let (table, segments) = match segments.split_first() {
            Some((first, rest)) if *first == BETA => (BETA_KINDS, rest),
            _ => (KINDS, segments),
        };
        // Longest path first, so `policies/authenticationMethodsPolicy/…Configurations`
        // wins over `policies/authenticationMethodsPolicy`.
        let mut best: Option<(&'static Kind, usize)> = None;
        for kind in table {
            let parts: Vec<&str> = kind.path.split('/').collect();
            if segments.len() >= parts.len()
                && segments[..parts.len()]
                    .iter()
                    .zip(&parts)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
                && best.is_none_or(|(_, n)| parts.len() > n)
            {
                best = Some((kind, parts.len()));
            }
        }
        best.map(|(k, n)| (k, &segments[n..]))
    }

    /// Whether the kind is served under `/beta/`.
    pub fn is_beta(&self) -> bool {
        BETA_KINDS.iter().any(|k| std::ptr::eq(k, self))
    }

    /// The schema its objects are validated and shaped with: its version's.
    pub fn schema(&self) -> &'static Schema {
        if self.is_beta() {
            beta_schema()
        } else {
            schema()
        }
    }

    /// The version segment of its URLs (`v1.0` or `beta`), for `@odata.context`, `nextLink`
    /// and `Location`.
    pub fn version(&self) -> &'static str {
        if self.is_beta() { BETA } else { "v1.0" }
    }

    /// Graph's 403 unless `roles` may do what `method` does to this kind (read for GET and
    /// HEAD, write otherwise).
    pub fn authorize(&self, method: &str, roles: &[String]) -> Result<(), crate::GraphError> {
        let allowed = if matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
            self.may_read(roles)
        } else {
            self.may_write(roles)
        };
        if allowed {
            Ok(())
        } else {
            Err(crate::GraphError::forbidden())
        }
    }

    pub fn may_read(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.read.contains(&r.as_str()) || self.write.contains(&r.as_str()))
    }

    /// One of `write`, and every permission Microsoft documents as needed alongside it.
    pub fn may_write(&self, roles: &[String]) -> bool {
        let has = |names: &[&str]| roles.iter().any(|r| names.contains(&r.as_str()));
        has(self.write)
            && ALSO_TO_WRITE
                .iter()
                .filter(|(entity, _)| *entity == self.entity)
                .all(|(_, alternatives)| has(alternatives))
    }
}
