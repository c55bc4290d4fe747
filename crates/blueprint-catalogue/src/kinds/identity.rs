//! Entra ID policies Graph updates only as a whole: `PUT` with every writable property, where a
//! property left out is reset rather than kept (Microsoft's update pages require each one).
//! The engine writes them by laying the blueprint's fields over the tenant's object
//! ([`KindSpec::is_replaced_whole`]), so the settings the blueprint does not name keep the
//! agency's values.

use super::{
    Access, ActionWrite, Api, Available, Expand, Find, Grant, IdentityKey, ItemPath, KindSpec,
    Lifecycle, ParameterSource, PathParameter, PerItem, Permissions, singleton,
};

/// Whether users may ask an administrator to consent to an app they cannot consent to (the
/// admin consent workflow). `PUT /policies/adminConsentRequestPolicy` requires all five
/// properties (adminconsentrequestpolicy-update); `version` is the service's.
pub(super) const ADMIN_CONSENT_REQUEST_POLICY: KindSpec = {
    let mut kind = singleton(
        "adminConsentRequestPolicy",
        "/policies/adminConsentRequestPolicy",
        &[
            "isEnabled",
            "notifyReviewers",
            "remindersEnabled",
            "requestDurationInDays",
            "reviewers",
        ],
        Api::GraphV1,
        Permissions {
            // adminconsentrequestpolicy-get: Policy.Read.All; -update: Policy.ReadWrite.ConsentRequest
            // (which reads it too).
            read: &[Grant::Graph("Policy.Read.All")],
            write: &[Grant::Graph("Policy.ReadWrite.ConsentRequest")],
        },
    );
    kind.access.replaced_whole = true;
    kind
};

/// Who may join and register devices, whether joining takes MFA, how many devices a user may
/// have, and the local administrators and LAPS of joined devices: the tenant's device
/// registration policy. In Graph v1.0 (it was beta first), read with
/// `GET /policies/deviceRegistrationPolicy` and written only with `PUT` of all five properties
/// (deviceregistrationpolicy-update lists each as required; Graph's metadata marks the object not
/// updatable, so there is no PATCH): a property left out is reset (a missing `userDeviceQuota`
/// becomes 0, and no one may join a device), so the engine lays the blueprint's fields over the
/// tenant's object.
pub(super) const DEVICE_REGISTRATION_POLICY: KindSpec = {
    let mut kind = singleton(
        "deviceRegistrationPolicy",
        "/policies/deviceRegistrationPolicy",
        &[
            "userDeviceQuota",
            "multiFactorAuthConfiguration",
            "azureADRegistration",
            "azureADJoin",
            "localAdminPassword",
        ],
        Api::GraphV1,
        Permissions {
            // deviceregistrationpolicy-get: Policy.Read.DeviceConfiguration; -update:
            // Policy.ReadWrite.DeviceConfiguration (which reads it too).
            read: &[Grant::Graph("Policy.Read.DeviceConfiguration")],
            write: &[Grant::Graph("Policy.ReadWrite.DeviceConfiguration")],
        },
    );
    kind.access.replaced_whole = true;
    kind
};

/// The tenant's organization: its technical contact and the other notification contacts, and
/// its privacy profile (organization-update). Graph holds it as a collection of exactly one
/// object, addressed by the tenant id: found by listing `/organization`, written with
/// `PATCH /organization/{id}`; Microsoft creates it with the tenant, so it is adopted, never
/// created or removed.
pub(super) const ORGANIZATION: KindSpec = KindSpec {
    name: "organization",
    path: "/organization",
    identity: IdentityKey::Singleton,
    properties: &[
        "technicalNotificationMails",
        "securityComplianceNotificationMails",
        "securityComplianceNotificationPhones",
        "marketingNotificationEmails",
        "privacyProfile",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(
        "Microsoft creates the tenant's one organization object with the tenant; check the connection names the agency's tenant",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // organization-get: Organization.Read.All; organization-update:
        // Organization.ReadWrite.All (which reads it too).
        read: &[Grant::Graph("Organization.Read.All")],
        write: &[Grant::Graph("Organization.ReadWrite.All")],
    },
    access: Access {
        find: Find::OnlyOneInCollection,
        ..Access::PLAIN
    },
};

/// What Microsoft fixed when the tenant was created, read from the same organization object:
/// its country (`countryLetterCode`, "Country or region abbreviation for the organization in
/// ISO 3166-2 format") and its verified domains with the default one (`verifiedDomains`,
/// verifiedDomain: `name`, `isDefault`, `isInitial`, `type`, `capabilities`; matched by `name`).
/// organization-update changes neither (its updatable properties are the notification contacts,
/// marketingNotificationEmails, onPremisesSyncEnabled and privacyProfile), so they are compared
/// and reported, never written: a tenant created in another country is remade by Microsoft,
/// and the primary domain is chosen in the admin centre (or with domain-update's `isDefault`,
/// which the agency decides).
pub(super) const ORGANIZATION_FACTS: KindSpec = KindSpec {
    name: "organizationFacts",
    path: "/organization",
    identity: IdentityKey::Singleton,
    properties: &["countryLetterCode", "verifiedDomains"],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("verifiedDomains", "name")],
    lifecycle: Lifecycle::EvaluatedOnly(
        "Microsoft sets the tenant's country when the tenant is created and Graph does not change it; the primary domain is the agency's choice in the Microsoft 365 admin centre",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // organization-get/-list: Organization.Read.All; nothing is ever written.
        read: &[Grant::Graph("Organization.Read.All")],
        write: &[Grant::Graph("Organization.Read.All")],
    },
    access: Access {
        find: Find::OnlyOneInCollection,
        ..Access::PLAIN
    },
};

/// The tenant's default company branding: the sign-in page's text (`signInPageText`, "text
/// that appears at the bottom of the sign-in box") and username hint (`usernameHintText`),
/// and the other text and links of Graph v1.0's organizationalBranding (its non-Stream
/// properties in Microsoft's v1.0 metadata; `contentCustomization` serves External ID tenants
/// only, and the images are Streams, each written with its own `PUT`). It lives under the
/// organization, `/organization/{id}/branding`, whose id is the tenant id (organization:
/// "The tenant ID, a unique identifier representing the organization"); the engine fills in
/// [`ORGANIZATION_ID`] ([`KindSpec::path`]). Graph answers it for the locale `Accept-Language`
/// names, `0` the default (organizationalbranding-get, -update: the header is required), which
/// the Graph client sends. A tenant has no default branding until one is made: `GET` and
/// `PATCH` answer 404 (organizationalbranding-get: "If no default branding object exists, this
/// method returns a 404 Not Found error"), and Graph makes it only as a side effect of
/// creating a localized branding (organizationalbranding-post-localizations; "you can't
/// explicitly create the default branding", Microsoft on microsoft-graph-docs issue 16225).
/// The agency's images are uploaded by a person, which makes it: adopted, never created.
pub(super) const ORGANIZATIONAL_BRANDING: KindSpec = KindSpec {
    name: "organizationalBranding",
    path: "/organization/{organizationId}/branding",
    identity: IdentityKey::Singleton,
    properties: &[
        "backgroundColor",
        "customAccountResetCredentialsUrl",
        "customCannotAccessYourAccountText",
        "customCannotAccessYourAccountUrl",
        "customForgotMyPasswordText",
        "customPrivacyAndCookiesText",
        "customPrivacyAndCookiesUrl",
        "customResetItNowText",
        "customTermsOfUseText",
        "customTermsOfUseUrl",
        "headerBackgroundColor",
        "loginPageLayoutConfiguration",
        "loginPageTextVisibilitySettings",
        "signInPageText",
        "usernameHintText",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(
        "Graph makes the tenant's default branding only beside a localized one; upload the agency's sign-in images in Company branding (the feature's manual step), which makes it",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // organizationalbranding-get: OrganizationalBranding.Read.All; -update:
        // OrganizationalBranding.ReadWrite.All (which reads it too); Organization.Read.All and
        // Organization.ReadWrite.All are the higher ones.
        read: &[Grant::Graph("OrganizationalBranding.Read.All")],
        write: &[Grant::Graph("OrganizationalBranding.ReadWrite.All")],
    },
    access: Access {
        path_parameter: Some(PathParameter {
            placeholder: ORGANIZATION_ID,
            from: ParameterSource::TenantId,
        }),
        ..Access::PLAIN
    },
};

/// The placeholder a kind's path holds for the tenant's organization id (its tenant id),
/// which the engine fills in from the connection ([`ORGANIZATIONAL_BRANDING`]).
pub const ORGANIZATION_ID: &str = "{organizationId}";

/// One of the tenant's domains: its password expiry (organization-wide in the admin centre,
/// stored per domain in Graph: domain-update's passwordValidityPeriodInDays and
/// passwordNotificationWindowInDays). Found by its name (`id`) among `/domains`, written with
/// `PATCH /domains/{name}`; a person adds and verifies a domain, so the tool only sets it.
pub(super) const DOMAIN: KindSpec = KindSpec {
    name: "domain",
    path: "/domains",
    identity: IdentityKey::Property("id"),
    properties: &[
        "id",
        "passwordValidityPeriodInDays",
        "passwordNotificationWindowInDays",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(
        "a person adds the agency's domain and verifies it with a DNS record at its registrar; add and verify it, then plan again",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // domain-get/-list: Domain.Read.All; domain-update: Domain.ReadWrite.All (which reads
        // them too).
        read: &[Grant::Graph("Domain.Read.All")],
        write: &[Grant::Graph("Domain.ReadWrite.All")],
    },
    access: Access::PLAIN,
};

/// The B2B invitation allow- or blocklist ("Collaboration restrictions" in External
/// collaboration settings): the tenant's B2B management policy, Graph beta only
/// (`/policies/b2bManagementPolicies`, resource b2bManagementPolicy: an stsPolicy whose
/// `definition` is a collection holding one JSON document as a string,
/// `{"B2BManagementPolicy":{"InvitationsAllowedAndBlockedDomainsPolicy":{"AllowedDomains":[…]}}}`
/// in Microsoft's allow/deny-list guide). "You can create only one policy per organization"
/// (allow-deny-list): found by listing, created with `POST` when the tenant has none
/// (policyroot-post-b2bmanagementpolicies: `displayName`, `description` and `definition`
/// required), updated with `PATCH /policies/b2bManagementPolicies/{id}` (b2bmanagementpolicy-
/// update), removed with `DELETE` (policyroot-delete-b2bmanagementpolicies). The definition is
/// compared as Graph returns it, the text of the JSON document: the blueprint's document is the
/// whole policy (an allowlist and a blocklist cannot both be set, and switching discards the
/// other, Microsoft's guide), and a rollback restores the tenant's own text.
pub(super) const B2B_MANAGEMENT_POLICY: KindSpec = KindSpec {
    name: "b2bManagementPolicy",
    path: "/policies/b2bManagementPolicies",
    identity: IdentityKey::Singleton,
    properties: &["definition", "isOrganizationDefault"],
    derived: &[],
    // Required on create; the tenant's own name and description are kept when it has a policy.
    create_only: &["displayName", "description"],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    permissions: Permissions {
        // b2bmanagementpolicy-get and policyroot-list-b2bmanagementpolicies:
        // Policy.Read.B2BManagementPolicy; -post, -update and -delete:
        // Policy.ReadWrite.B2BManagementPolicy, nothing else (which reads it too).
        read: &[Grant::Graph("Policy.Read.B2BManagementPolicy")],
        write: &[Grant::Graph("Policy.ReadWrite.B2BManagementPolicy")],
    },
    access: Access {
        find: Find::OnlyOneInCollection,
        ..Access::PLAIN
    },
};

/// Privileged Identity Management's settings for one directory role: the role management policy
/// Microsoft assigns to the role (one per role, created with the tenant: adopted, never created
/// or removed), found by the role it is assigned to. Read as Graph returns the assignment
/// with `$expand=policy($expand=rules)`; `policy.rules` (matched by rule id) are written one
/// rule at a time, `PATCH /policies/roleManagementPolicies/{policyId}/rules/{ruleId}`
/// (unifiedrolemanagementpolicyrule-update).
pub(super) const ROLE_MANAGEMENT_POLICY_ASSIGNMENT: KindSpec = KindSpec {
    name: "roleManagementPolicyAssignment",
    path: "/policies/roleManagementPolicyAssignments",
    identity: IdentityKey::Property("roleDefinitionId"),
    properties: &["roleDefinitionId", "policy"],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("policy.rules", "id")],
    lifecycle: Lifecycle::AdoptedOnly(
        "Microsoft creates one for every directory role with the tenant (PIM needs Microsoft Entra ID P2); check the role exists and the tenant's licences",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // unifiedrolemanagementpolicyassignment-list and -list-rules:
        // RoleManagementPolicy.Read.Directory; unifiedrolemanagementpolicyrule-update:
        // RoleManagementPolicy.ReadWrite.Directory (which reads them too).
        read: &[Grant::Graph("RoleManagementPolicy.Read.Directory")],
        write: &[Grant::Graph("RoleManagementPolicy.ReadWrite.Directory")],
    },
    access: Access {
        // Graph refuses the list without the scope (unifiedrolemanagementpolicyassignment-list).
        required_filter: Some("scopeId eq '/' and scopeType eq 'DirectoryRole'"),
        expand: Some(Expand {
            query: "policy($expand=rules)",
            on_list: true,
        }),
        per_item: Some(PerItem {
            property: "policy",
            items: Some("rules"),
            at: ItemPath::RoleManagementPolicyRule,
        }),
        ..Access::PLAIN
    },
};

/// Group-based licensing: the licences a group's members receive, with the service plans each
/// leaves off. The same objects as `group` (the group resource of the same name creates it:
/// [`KindSpec::adds_to`]), found by display name with `$select=id,displayName,assignedLicenses`
/// (Graph returns a group's `assignedLicenses` "only on `$select`", group resource, v1.0), and
/// written only through `POST /groups/{id}/assignLicense` with `addLicenses` (assignedLicense:
/// `skuId`, `disabledPlans`) and `removeLicenses` (skuIds) (group-assignlicense). Licences are
/// matched by `skuId`; `disabledPlans` is a set. A licence the tenant has not bought
/// (`GET /subscribedSkus`, subscribedsku-list) blocks the plan: Graph refuses it.
pub(super) const GROUP_LICENSES: KindSpec = KindSpec {
    name: "groupLicenses",
    path: "/groups",
    identity: IdentityKey::Property("displayName"),
    properties: &["displayName", "assignedLicenses"],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("assignedLicenses", "skuId")],
    lifecycle: Lifecycle::AdoptedOnly(
        "the group resource of the same name (kind group) creates it, or a person does for a hybrid agency's synchronised group",
    ),
    api: Api::GraphV1,
    permissions: Permissions {
        // group-get/group-list: GroupMember.Read.All (least privileged); subscribedsku-list:
        // LicenseAssignment.Read.All (its table names no ReadWrite permission);
        // group-assignlicense: LicenseAssignment.ReadWrite.All.
        read: &[
            Grant::Graph("GroupMember.Read.All"),
            Grant::Graph("LicenseAssignment.Read.All"),
        ],
        write: &[
            Grant::Graph("GroupMember.Read.All"),
            Grant::Graph("LicenseAssignment.Read.All"),
            Grant::Graph("LicenseAssignment.ReadWrite.All"),
        ],
    },
    access: Access {
        find: Find::ByIdentity {
            select: Some("id,displayName,assignedLicenses"),
        },
        adds_to: Some(&super::GROUP),
        written_by_action: Some(ActionWrite {
            property: "assignedLicenses",
            action: "assignLicense",
            add: "addLicenses",
            remove: "removeLicenses",
            key: "skuId",
            available: Some(Available {
                path: "/subscribedSkus",
                key: "skuId",
                noun: "licence (SKU)",
                remedy: "buy the licences (Microsoft 365 admin center > Billing > Purchase services), wait for them to appear under Licenses, then plan again",
            }),
            definitions: None,
        }),
        ..Access::PLAIN
    },
};
