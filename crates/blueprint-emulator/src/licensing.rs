//! Licences: the subscriptions a tenant bought (`GET /subscribedSkus`, subscribedsku-list) and
//! group-based licensing (`POST /groups/{id}/assignLicense`, group-assignlicense). A group's
//! `assignedLicenses` is stored on the group and returned only on `$select` (group resource,
//! v1.0: "Returned only on `$select`"); it is written only through the action.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::Emulator;
use crate::error::{ErrorStyle, GraphError};
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin};
use crate::kinds::Kind;
use crate::tenant::{Tenant, not_found};

/// group-assignlicense's application permissions: LicenseAssignment.ReadWrite.All (least
/// privileged), Directory.ReadWrite.All, Group.ReadWrite.All.
const ASSIGN_LICENSE: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Group.ReadWrite.All",
];

/// Where a group's licences live.
pub const ASSIGNED_LICENSES: &str = "assignedLicenses";

/// A subscription a fixture's tenant holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSpec {
    /// The SKU's part number, e.g. `SPE_E5`: one of [`KNOWN_SKUS`].
    pub sku: String,
    /// Prepaid (enabled) units.
    #[serde(default = "default_units")]
    pub units: i64,
}

fn default_units() -> i64 {
    25
}

/// A SKU: part number, skuId, and its service plans (name, id).
pub type KnownSku = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// SKUs the emulator knows: part number, skuId and service plans (name, id), from Microsoft's
/// "Product names and service plan identifiers for licensing" (Microsoft 365 E5).
pub const KNOWN_SKUS: &[KnownSku] = &[(
    "SPE_E5",
    "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
    &[
        ("RMS_S_ENTERPRISE", "bea4c11e-220a-4e6d-8eb8-8ea15d019f90"),
        ("CDS_O365_P3", "afa73018-811e-46e9-988f-f75d2b1b8430"),
        ("LOCKBOX_ENTERPRISE", "9f431833-0334-42de-a7dc-70aa40db46db"),
        ("MIP_S_Exchange", "cd31b152-6326-4d1b-ae1b-997b625182e6"),
        (
            "EXCHANGE_S_ENTERPRISE",
            "efb87545-963c-4e0d-99df-69c6916d9eb0",
        ),
        (
            "GRAPH_CONNECTORS_SEARCH_INDEX",
            "a6520331-d7d4-4276-95f5-15c0933bc757",
        ),
        (
            "INFORMATION_BARRIERS",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287",
        ),
        ("MIP_S_CLP2", "efb0351d-3b08-4503-993d-383af8de41e3"),
        ("MIP_S_CLP1", "5136a095-5cf0-4aff-bec3-e84448b38ea5"),
        ("MYANALYTICS_P2", "33c4f319-9bdd-48d6-9c4d-410b750a4a5a"),
        (
            "M365_ADVANCED_AUDITING",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849",
        ),
        ("OFFICESUBSCRIPTION", "43de0ff5-c92c-492b-9116-175376d08c38"),
        ("MCOMEETADV", "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"),
        (
            "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c",
        ),
        ("MTP", "bf28f719-7844-4079-9c78-c1307898e192"),
        ("MCOEV", "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"),
        ("MICROSOFTBOOKINGS", "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2"),
        ("COMMUNICATIONS_DLP", "6dc145d6-95dd-4191-b9c3-185575ee6f6b"),
        ("CUSTOMER_KEY", "6db1f1db-2b46-403f-be40-e39395f08dbb"),
        (
            "DATA_INVESTIGATIONS",
            "46129a58-a698-46f0-aa5b-17f6586297d9",
        ),
        ("ATP_ENTERPRISE", "f20fedf3-f3c3-43c3-8267-2bfdd51c0939"),
        (
            "THREAT_INTELLIGENCE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70",
        ),
        ("EXCEL_PREMIUM", "531ee2f8-b1cb-453b-9c21-d2180d014ca5"),
        ("FORMS_PLAN_E5", "e212cbc7-0961-4c40-9825-01117710dcb1"),
        ("INFO_GOVERNANCE", "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66"),
        ("INSIDER_RISK", "d587c7a3-bda9-4f99-8776-9bcf59c84f75"),
        ("KAIZALA_STANDALONE", "0898bdbb-73b0-471a-81e5-20f1fe4dd66e"),
        ("ML_CLASSIFICATION", "d2d51368-76c9-4317-ada2-a12c004c432f"),
        ("EXCHANGE_ANALYTICS", "34c0d7a0-a70f-4668-9238-47f9fc208882"),
        (
            "PROJECTWORKMANAGEMENT",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9",
        ),
        ("RECORDS_MANAGEMENT", "65cc641f-cccd-4643-97e0-a17e3045e541"),
        ("MICROSOFT_SEARCH", "94065c59-bc8e-4e8b-89e5-5138d471eaff"),
        ("Deskless", "8c7d2df8-86f0-4902-b2ed-a0458298f3b3"),
        ("STREAM_O365_E5", "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e"),
        ("TEAMS1", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
        ("INTUNE_O365", "882e1d05-acd1-4ccb-8708-6ee03664b117"),
        ("EQUIVIO_ANALYTICS", "4de31727-a228-4ec3-a5bf-8e45b5ca48cc"),
        ("ADALLOM_S_O365", "8c098270-9dd4-4350-9b30-ba4703f3b36b"),
        ("PAM_ENTERPRISE", "b1188c4c-1b36-4018-b48b-ee07604f6feb"),
        ("SAFEDOCS", "bf6f5520-59e3-4f82-974b-7dbbc4fd27c7"),
        ("SHAREPOINTWAC", "e95bec33-7c88-4a70-8e19-b10bd9d0c014"),
        ("POWERAPPS_O365_P3", "9c0dab89-a30c-4117-86e7-97bda240acd2"),
        ("BI_AZURE_P2", "70d33638-9c74-4d01-bfd3-562de28bd4ba"),
        ("PREMIUM_ENCRYPTION", "617b097b-4b93-4ede-83de-5f075bb5fb2f"),
        ("PROJECT_O365_P3", "b21a6b06-1988-436e-a07b-51ec6d9f52ad"),
        (
            "SHAREPOINTENTERPRISE",
            "5dbe027f-2339-4123-9542-606e4d348a72",
        ),
        ("MCOSTANDARD", "0feaeb32-d00e-4d66-bd5a-43b5b83db82c"),
        ("SWAY", "a23b959c-7ce8-4e57-9140-b90eb88a9e97"),
        ("BPOS_S_TODO_3", "3fb82609-8c27-4f7b-bd51-30634711ee67"),
        ("WHITEBOARD_PLAN3", "4a51bca5-1eff-43f5-878c-177680f191af"),
        ("YAMMER_ENTERPRISE", "7547a3fe-08ee-4ccb-b430-5077c5041653"),
        ("WINDEFATP", "871d91ec-ec1a-452b-a83f-bd76c7d770ef"),
        (
            "MICROSOFTENDPOINTDLP",
            "64bfac92-2b17-4482-b5e5-a0304429de3e",
        ),
        ("UNIVERSAL_PRINT_01", "795f6fe0-cc4d-4773-b050-5dde4dc704c9"),
        ("WIN10_PRO_ENT_SUB", "21b439ba-a0ca-424f-a6cc-52f954a5b111"),
        (
            "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE",
            "7bf960f6-2cd9-443a-8046-5dbff9558365",
        ),
        ("RMS_S_PREMIUM", "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3"),
        ("RMS_S_PREMIUM2", "5689bec4-755d-4753-8b61-40975025187c"),
        ("DYN365_CDS_O365_P3", "28b0fa46-c39a-4188-89e2-58e979a6b014"),
        ("MFA_PREMIUM", "8a256a2b-b617-496d-b51b-e76466e88db0"),
        (
            "ADALLOM_S_STANDALONE",
            "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2",
        ),
        ("ATA", "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f"),
        ("AAD_PREMIUM", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
        ("AAD_PREMIUM_P2", "eec0eb4f-6444-4f95-aba0-50c24d67f998"),
        ("INTUNE_A", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"),
        ("FLOW_O365_P3", "07699545-9485-468e-95b6-2fca3738be01"),
        (
            "POWER_VIRTUAL_AGENTS_O365_P3",
            "ded3d325-1bdc-453e-8432-5bac26d7a014",
        ),
    ],
)];

/// Adds a subscription to the tenant, as a purchase does.
pub fn subscribe(tenant: &mut Tenant, spec: &SubscriptionSpec) -> Result<(), String> {
    let (part, sku_id, plans) = KNOWN_SKUS
        .iter()
        .find(|(p, _, _)| p.eq_ignore_ascii_case(&spec.sku))
        .ok_or_else(|| {
            format!(
                "unknown SKU '{}': the emulator knows {}",
                spec.sku,
                KNOWN_SKUS
                    .iter()
                    .map(|(p, _, _)| *p)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    let id = format!("{}_{sku_id}", tenant.id);
    let plans: Vec<Value> = plans
        .iter()
        .map(|(name, id)| {
            json!({
                "servicePlanId": id,
                "servicePlanName": name,
                "provisioningStatus": "Success",
                "appliesTo": "User",
            })
        })
        .collect();
    let sku = json!({
        "id": id,
        "accountId": tenant.id,
        "accountName": tenant.display_name,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": 0,
        "prepaidUnits": {"enabled": spec.units, "lockedOut": 0, "suspended": 0, "warning": 0},
        "servicePlans": plans,
        "skuId": sku_id,
        "skuPartNumber": part,
        "subscriptionIds": [],
    });
    tenant
        .collections
        .entry(Kind::by_entity("subscribedSku").entity.to_string())
        .or_default()
        .insert(id, sku);
    Ok(())
}

/// `POST /groups/{id}/assignLicense`; None for every other request.
pub fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
) -> Result<Option<GraphResponse>, GraphError> {
    let ["groups", key, "assignLicense"] = segs else {
        return Ok(None);
    };
    if !req.method.eq_ignore_ascii_case("POST") {
        return Err(GraphError::method_not_allowed());
    }
    if !caller
        .permissions()
        .iter()
        .any(|p| ASSIGN_LICENSE.contains(&p.as_str()))
    {
        return Err(GraphError::forbidden());
    }
    let Some(tenant) = emulator.tenant(&caller.tenant_id) else {
        return Err(GraphError::unauthenticated(
            "The tenant for this token does not exist.",
        ));
    };
    let mut t = tenant.lock().expect("tenant lock");
    let groups = Kind::by_entity("group");
    if t.find(groups, key).is_none() || emulator.replication.hides(key) {
        return Err(not_found(groups, key));
    }
    let body = req.body.clone().unwrap_or(Value::Null);
    let updated = assign_license(&mut t, key, &body)?;
    emulator.mark_dirty();
    let mut v = updated;
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#groups/$entity", origin.base_url)),
        );
    }
    // "If successful, this method returns a 202 Accepted response code and a target group
    // object in the response body" (group-assignlicense).
    Ok(Some(GraphResponse::json(202, v)))
}

fn bad(message: String) -> GraphError {
    GraphError::bad_request(ErrorStyle::Directory, message)
}

/// Validates an assignLicense body against the tenant's subscriptions and applies it to the
/// group at `key`: each added licence set (or replaced) with its disabled plans, each removed
/// one dropped. Returns the group.
fn assign_license(t: &mut Tenant, key: &str, body: &Value) -> Result<Value, GraphError> {
    let object = body
        .as_object()
        .ok_or_else(|| bad("Empty Payload. JSON content expected.".into()))?;
    if let Some(other) = object
        .keys()
        .find(|k| *k != "addLicenses" && *k != "removeLicenses")
    {
        return Err(bad(format!(
            "The parameter '{other}' in the request payload is not a valid parameter for the operation 'assignLicense'."
        )));
    }
    // Both parameters are required; removeLicenses may be empty (group-assignlicense).
    let (Some(add), Some(remove)) = (
        object.get("addLicenses").and_then(Value::as_array),
        object.get("removeLicenses").and_then(Value::as_array),
    ) else {
        return Err(bad(
            "Invalid request: 'addLicenses' and 'removeLicenses' are both required (either may be an empty collection).".into(),
        ));
    };
    let skus: Vec<Value> = t.items(Kind::by_entity("subscribedSku")).cloned().collect();
    let sku_of = |id: &str| {
        skus.iter().find(|s| {
            s["skuId"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(id))
        })
    };
    let not_company = |id: &str| {
        bad(format!(
            "License {id} does not correspond to a valid company License."
        ))
    };
    let mut added = Vec::new();
    for item in add {
        let sku_id = item["skuId"].as_str().ok_or_else(|| {
            bad(
                "Invalid value specified for property 'skuId' of resource 'AssignedLicense'."
                    .into(),
            )
        })?;
        let sku = sku_of(sku_id).ok_or_else(|| not_company(sku_id))?;
        let disabled: Vec<Value> = match &item["disabledPlans"] {
            Value::Null => Vec::new(),
            Value::Array(plans) => plans.clone(),
            _ => {
                return Err(bad(
                    "Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.".into(),
                ));
            }
        };
        for plan in &disabled {
            let in_sku = plan.as_str().is_some_and(|p| {
                sku["servicePlans"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| {
                        s["servicePlanId"]
                            .as_str()
                            .is_some_and(|id| id.eq_ignore_ascii_case(p))
                    })
            });
            if !in_sku {
                return Err(bad(format!(
                    "Service plan {plan} is not a service plan of license {sku_id}."
                )));
            }
        }
        added.push(json!({ "skuId": sku["skuId"], "disabledPlans": disabled }));
    }
    let mut removed = Vec::new();
    for id in remove {
        let id = id
            .as_str()
            .ok_or_else(|| bad("Invalid value specified for 'removeLicenses'.".into()))?;
        sku_of(id).ok_or_else(|| not_company(id))?;
        removed.push(id.to_ascii_lowercase());
    }
    let groups = Kind::by_entity("group");
    let group_id = t
        .find(groups, key)
        .and_then(|g| g["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| not_found(groups, key))?;
    let group = t
        .collections
        .get_mut(groups.entity)
        .and_then(|c| c.get_mut(&group_id))
        .ok_or_else(|| not_found(groups, key))?;
    let mut licences: Vec<Value> = group[ASSIGNED_LICENSES]
        .as_array()
        .cloned()
        .unwrap_or_default();
    licences.retain(|l| {
        l["skuId"]
            .as_str()
            .is_none_or(|s| !removed.contains(&s.to_ascii_lowercase()))
    });
    for item in added {
        match licences.iter_mut().find(|l| l["skuId"] == item["skuId"]) {
            Some(slot) => *slot = item,
            None => licences.push(item),
        }
    }
    group[ASSIGNED_LICENSES] = Value::Array(licences);
    Ok(group.clone())
}
