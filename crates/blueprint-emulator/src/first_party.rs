//! Microsoft's first-party service principals every tenant holds: Microsoft Graph and Office
//! 365 Exchange Online, with the application permissions (app roles) they expose, under their
//! real ids. A grant is an `appRoleAssignment` naming one of these ids, so the ids must be
//! Microsoft's own, or a client that looks them up (as `blueprint connect` does, and every
//! peer tool) would agree with the emulator on a fiction.
//!
//! Sources for the Graph ids:
//! - Microsoft's "All permissions and IDs" table, `concepts/includes/permissions-ids.md` in
//!   microsoftgraph/microsoft-graph-docs-contrib (the copy stored at commit 0fcd5cbe), which
//!   lists every Graph application permission with its id; marked [ids.md] below.
//! - Permissions added to Graph after that copy, marked with the public sources that agree on
//!   the id: `GroupSettings.ReadWrite.All` (three public inventories of granted app roles, among
//!   them a CI app's required-permissions table and a Graph permission report),
//!   `GroupSettings.Read.All` (one public Terraform app-role map; not corroborated elsewhere),
//!   `Policy.Read.AuthenticationMethod` (six public inventories and permission reports),
//!   `User.ReadBasic.All` (a published PowerShell module's permission translator,
//!   JyskIT.Automation `config/Consent/PermissionsTranslator.json`).
//!
//! Exchange: `Exchange.ManageAsApp` `dc50a0fb-09a3-484d-be87-e023b12c6440` on Office 365
//! Exchange Online (`00000002-0000-0ff1-ce00-000000000000`), from CIPP's `SAMManifest.json`
//! and the same translator (`real-tenant-and-exchange.md` §1a).

use serde_json::{Value, json};

pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// Microsoft Graph Command Line Tools: the first-party public client an administrator signs
/// in with (device code or authorization code), present in every tenant without registration.
pub const GRAPH_CLI_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Graph application permissions: (value, id).
const GRAPH_APP_ROLES: &[(&str, &str)] = &[
    ("Agreement.Read.All", "2f3e6f8c-093b-4c57-a58b-ba5ce494a169"), // [ids.md]
    (
        "Agreement.ReadWrite.All",
        "c9090d00-6101-42f0-a729-c41074260d47",
    ), // [ids.md]
    (
        "Application.Read.All",
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    ), // [ids.md]
    (
        "Application.ReadWrite.All",
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    ), // [ids.md]
    (
        "Application.ReadWrite.OwnedBy",
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
    ), // [ids.md]
    (
        "AppRoleAssignment.ReadWrite.All",
        "06b708a9-e830-4db3-a914-8e69da51d44f",
    ), // [ids.md]
    (
        "DeviceManagementApps.Read.All",
        "7a6ee1e7-141e-4cec-ae74-d9db155731ff",
    ),
    (
        "DeviceManagementApps.ReadWrite.All",
        "78145de6-330d-4800-a6ce-494ff2d33d07",
    ),
    (
        "DeviceManagementConfiguration.Read.All",
        "dc377aa6-52d8-4e23-b271-2a7ae04cedf3",
    ), // [ids.md]
    (
        "DeviceManagementConfiguration.ReadWrite.All",
        "9241abd9-d0e6-425a-bd4f-47ba86e767a4",
    ), // [ids.md]
    (
        "DeviceManagementServiceConfig.Read.All",
        "06a5fe6d-c49d-46a7-b082-56b1b14103c7",
    ), // [ids.md]
    (
        "DeviceManagementServiceConfig.ReadWrite.All",
        "5ac13192-7ace-4fcf-b828-1a26f28068ee",
    ), // [ids.md]
    ("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"), // [ids.md]
    (
        "Directory.ReadWrite.All",
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    ), // [ids.md]
    ("Domain.Read.All", "dbb9058a-0e50-45d7-ae91-66909b5d4664"),    // [ids.md]
    (
        "Domain.ReadWrite.All",
        "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    ), // [ids.md]
    ("Group.Create", "bf7b1a76-6e77-406b-b258-bf5c7720e98f"),       // [ids.md]
    ("Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b"),     // [ids.md]
    (
        "Group.ReadWrite.All",
        "62a82d76-70ea-41e2-9197-370581804d09",
    ), // [ids.md]
    (
        "GroupMember.Read.All",
        "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    ), // [ids.md]
    (
        "GroupMember.ReadWrite.All",
        "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    ), // [ids.md]
    (
        "GroupSettings.Read.All",
        "c6292d16-2dbe-4cb6-8f3c-63a7a3d4ac1c",
    ),
    (
        "GroupSettings.ReadWrite.All",
        "546168c3-1183-4281-9491-fafb24dea37e",
    ),
    // Group-based licensing (group-assignlicense, subscribedsku-list); ids as Microsoft Graph's
    // service principal lists them in public appRoles dumps.
    (
        "LicenseAssignment.Read.All",
        "e2f98668-2877-4f38-a2f4-8202e0717aa1",
    ),
    (
        "LicenseAssignment.ReadWrite.All",
        "5facf0c1-8979-4e95-abcf-ff3d079771c0",
    ),
    (
        "Organization.Read.All",
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    ), // [ids.md]
    (
        "Organization.ReadWrite.All",
        "292d869f-3427-49a8-9dab-8c70152b74e9",
    ), // [ids.md]
    // Company branding's permissions came after the stored ids.md; their application ids as
    // Merill's Graph permissions reference lists them (graphpermissions.merill.net), which
    // a public Graph app-role map and a public tool's permission list agree with ([merill]).
    (
        "OrganizationalBranding.Read.All",
        "eb76ac34-0d62-4454-b97c-185e4250dc20",
    ), // [merill]
    (
        "OrganizationalBranding.ReadWrite.All",
        "d2ebfbc1-a5f8-424b-83a6-56ab5927a73c",
    ), // [merill]
    // The OrgSettings-* roles came after the stored ids.md; their application ids are in
    // Microsoft's own permission listings as mirrored by graphpermissions pages ([merill]),
    // and Microsoft365Install.Read.All in one public appRoles dump ([dump]).
    (
        "OrgSettings-AppsAndServices.Read.All",
        "56c84fa9-ea1f-4a15-90f2-90ef41ece2c9",
    ), // [merill]
    (
        "OrgSettings-AppsAndServices.ReadWrite.All",
        "4a8e4191-c1c8-45f8-b801-f9a1a5ee6ad3",
    ), // [merill]
    (
        "OrgSettings-Forms.Read.All",
        "434d7c66-07c6-4b1f-ab21-417cf2cdaaca",
    ), // [merill]
    (
        "OrgSettings-Forms.ReadWrite.All",
        "2cb92fee-97a3-4034-8702-24a6f5d0d1e9",
    ), // [merill], CIPP-Permissions.json
    (
        "OrgSettings-Microsoft365Install.Read.All",
        "6cdf1fb1-b46f-424f-9493-07247caa22e2",
    ), // [dump]
    (
        "OrgSettings-Microsoft365Install.ReadWrite.All",
        "83f7232f-763c-47b2-a097-e35d2cbe1da5",
    ), // [merill]
    (
        "OrgSettings-Todo.Read.All",
        "e4d9cd09-d858-4363-9410-abb96737f0cf",
    ), // [merill]
    (
        "OrgSettings-Todo.ReadWrite.All",
        "5febc9da-e0d0-4576-bd13-ae70b2179a39",
    ), // [merill]
    ("Policy.Read.All", "246dd0d5-5bd0-4def-940b-0421030a5b68"), // [ids.md]
    // The DeviceConfiguration application roles came after the stored ids.md (detected
    // 2024-09-17 by a public tracker of Graph's application permissions, which names each by
    // its id); the write role's id also in two public grant inventories ([tracker]).
    (
        "Policy.Read.DeviceConfiguration",
        "bdba4817-6ba1-4a7c-8a01-be9bc7c242dd",
    ), // [tracker]
    (
        "Policy.ReadWrite.DeviceConfiguration",
        "230fb2d5-aa21-49c1-bfa7-ae1be179d867",
    ), // [tracker]
    (
        "Policy.Read.AuthenticationMethod",
        "8e3bc81b-d2f3-4b7b-838c-32c88218d2f0",
    ),
    (
        "Policy.Read.ConditionalAccess",
        "37730810-e9ba-4e46-b07e-8ca78d182097",
    ), // [ids.md]
    (
        "Policy.ReadWrite.AuthenticationFlows",
        "25f85f3c-f66c-4205-8cd5-de92dd7f0cec",
    ), // [ids.md]
    (
        "Policy.ReadWrite.AuthenticationMethod",
        "29c18626-4985-4dcd-85c0-193eef327366",
    ), // [ids.md]
    (
        "Policy.ReadWrite.Authorization",
        "fb221be6-99f2-473f-bd32-01c6a0e9ca3b",
    ), // [ids.md]
    (
        "Policy.ReadWrite.ConditionalAccess",
        "01c0a623-fc9b-48e9-b794-0756f8e8f067",
    ), // [ids.md]
    // The B2B management policy's write permission (policyroot-post-b2bmanagementpolicies,
    // b2bmanagementpolicy-update) came after the stored ids.md; its application id as a public
    // Graph permission explorer lists it (permissions.cengizyilmaz.net, data of 2026-04-05)
    // ([explorer]). Its read permission, Policy.Read.B2BManagementPolicy
    // (b2bmanagementpolicy-get), is not offered here: no source at hand names its id.
    (
        "Policy.ReadWrite.B2BManagementPolicy",
        "886bd2d9-5b8b-4b49-adea-ca75fb50d9ef",
    ), // [explorer]
    (
        "Policy.ReadWrite.ConsentRequest",
        "999f8c63-0a38-4f1b-91fd-ed1947bdd1a9",
    ), // [ids.md]
    (
        "ReportSettings.Read.All",
        "ee353f83-55ef-4b78-82da-555bfa2b4b95",
    ), // [ids.md]
    (
        "ReportSettings.ReadWrite.All",
        "2a60023f-3219-47ad-baa4-40e17cd02a1d",
    ), // [ids.md]
    (
        "RoleManagement.Read.Directory",
        "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    ), // [ids.md]
    (
        "RoleManagement.ReadWrite.Directory",
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    ), // [ids.md]
    (
        "RoleManagementPolicy.Read.Directory",
        "fdc4c997-9942-4479-bfcb-75a36d1138df",
    ), // [ids.md]
    (
        "RoleManagementPolicy.ReadWrite.Directory",
        "31e08e0a-d3f7-4ca2-ac39-7343fb83e8ad",
    ), // [ids.md]
    (
        "SharePointTenantSettings.Read.All",
        "83d4163d-a2d8-4d3b-9695-4ae3ca98f888",
    ), // [ids.md]
    (
        "SharePointTenantSettings.ReadWrite.All",
        "19b94e34-907c-4f43-bde9-38b1909ed408",
    ), // [ids.md]
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214"), // [ids.md]
    ("User.ReadBasic.All", "97235f07-e226-4f63-ace3-39588e11d3a1"),
    ("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"), // [ids.md]
];

/// Exchange Online application permissions: (value, id).
const EXCHANGE_APP_ROLES: &[(&str, &str)] = &[(
    "Exchange.ManageAsApp",
    "dc50a0fb-09a3-484d-be87-e023b12c6440",
)];

/// An app role: (value, id).
type AppRole = (&'static str, &'static str);

/// The first-party resources: (appId, displayName, app roles).
const RESOURCES: &[(&str, &str, &[AppRole])] = &[
    (GRAPH_APP_ID, "Microsoft Graph", GRAPH_APP_ROLES),
    (
        EXCHANGE_APP_ID,
        "Office 365 Exchange Online",
        EXCHANGE_APP_ROLES,
    ),
];

/// The app roles of a first-party resource, by its appId.
pub fn app_roles(app_id: &str) -> Option<&'static [(&'static str, &'static str)]> {
    RESOURCES
        .iter()
        .find(|(id, _, _)| id.eq_ignore_ascii_case(app_id))
        .map(|(_, _, roles)| *roles)
}

/// The resource (appId) that defines an application permission named `value`.
pub fn resource_of(value: &str) -> Option<&'static str> {
    RESOURCES
        .iter()
        .find(|(_, _, roles)| roles.iter().any(|(v, _)| *v == value))
        .map(|(id, _, _)| *id)
}

/// An app role's value from its id, on the resource `app_id`.
pub fn role_value(app_id: &str, role_id: &str) -> Option<&'static str> {
    app_roles(app_id)?
        .iter()
        .find(|(_, id)| id.eq_ignore_ascii_case(role_id))
        .map(|(v, _)| *v)
}

/// An app role's id from its value, on whichever resource defines it.
pub fn role_id(value: &str) -> Option<&'static str> {
    RESOURCES
        .iter()
        .flat_map(|(_, _, roles)| roles.iter())
        .find(|(v, _)| *v == value)
        .map(|(_, id)| *id)
}

pub fn resource_app_ids() -> impl Iterator<Item = &'static str> {
    RESOURCES.iter().map(|(id, _, _)| *id)
}

/// The object id of a first-party service principal in a tenant: stable for the tenant (a
/// real tenant's copy has its own id, different in every tenant).
pub fn sp_object_id(tenant_id: &str, app_id: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{tenant_id}/{app_id}").as_bytes(),
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A first-party service principal as Graph returns it.
pub fn service_principal(tenant_id: &str, app_id: &str) -> Option<Value> {
    let (app_id, name, roles) = RESOURCES
        .iter()
        .find(|(id, _, _)| id.eq_ignore_ascii_case(app_id))?;
    Some(json!({
        "id": sp_object_id(tenant_id, app_id),
        "appId": app_id,
        "displayName": name,
        "appDisplayName": name,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "appRoles": roles.iter().map(|(value, id)| json!({
            "allowedMemberTypes": ["Application"],
            "description": format!("Allows the app to {value} without a signed-in user."),
            "displayName": value,
            "id": id,
            "isEnabled": true,
            "origin": "Application",
            "value": value,
        })).collect::<Vec<_>>(),
        "oauth2PermissionScopes": [],
        "keyCredentials": [],
        "passwordCredentials": [],
        "tags": [],
    }))
}
