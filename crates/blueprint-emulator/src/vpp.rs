//! Apple's Volume Purchase Program: what a tenant holds once its VPP token has synced. Intune
//! makes one `iosVppApp` per app whose licences the token's location bought in Apple Business
//! Manager, with Apple's store details and the token's organisation, and no client creates
//! them (the blueprint adopts them). Apple is not modelled: a fixture names the token and the
//! apps bought, and [`sync`] stores them as the sync would.

use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::tenant::{Tenant, new_guid, now_rfc3339};

/// A VPP token a fixture's tenant has uploaded and synced, with the apps its location bought.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VppTokenSpec {
    /// The organisation in Apple Business Manager (`organizationName`).
    pub organization: String,
    /// The Apple ID (Managed Apple Account) that manages the token (`appleId`).
    pub apple_id: String,
    /// `valid`, `expired`, `invalid`, `assignedToExternalMDM` (vppTokenState).
    #[serde(default = "valid")]
    pub state: String,
    #[serde(default = "country")]
    pub country: String,
    #[serde(default)]
    pub apps: Vec<VppAppSpec>,
}

/// An app whose licences the token's location bought.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VppAppSpec {
    pub bundle_id: String,
    /// Apple's store name, which becomes the app's `displayName`.
    pub name: String,
    pub app_store_url: String,
    #[serde(default = "publisher")]
    pub publisher: String,
    #[serde(default = "licences")]
    pub licences: i64,
    /// What an administrator changed by hand after the sync (a PATCH body).
    #[serde(default)]
    pub patch: Option<Value>,
    /// Assignments an administrator made by hand (the `assign` action's items;
    /// `{{id:group:NAME}}` for a group's id).
    #[serde(default)]
    pub assignments: Vec<Value>,
}

fn publisher() -> String {
    "Microsoft Corporation".into()
}

fn valid() -> String {
    "valid".into()
}

fn country() -> String {
    "au".into()
}

fn licences() -> i64 {
    100
}

/// Stores the token as synced just now and one `iosVppApp` per app bought (published, not
/// featured, unassigned: as Intune adds them). An app already synced (same bundle id from
/// the same organisation) is left as it is.
pub fn sync(tenant: &mut Tenant, spec: &VppTokenSpec, rng: &mut impl Rng) -> Result<(), String> {
    if ![
        "unknown",
        "valid",
        "expired",
        "invalid",
        "assignedToExternalMDM",
    ]
    .contains(&spec.state.as_str())
    {
        return Err(format!(
            "VPP token state '{}' is not a vppTokenState",
            spec.state
        ));
    }
    let now = now_rfc3339();
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(365))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let token_id = new_guid(rng);
    let token = json!({
        "id": token_id,
        "organizationName": spec.organization,
        "vppTokenAccountType": "business",
        "appleId": spec.apple_id,
        "expirationDateTime": expires,
        "lastSyncDateTime": now,
        "lastModifiedDateTime": now,
        "state": spec.state,
        "lastSyncStatus": "completed",
        "automaticallyUpdateApps": true,
        "countryOrRegion": spec.country,
    });
    tenant
        .collections
        .entry("vppToken".into())
        .or_default()
        .insert(token_id, token);
    // Only a valid token syncs its licences.
    if spec.state != "valid" {
        return Ok(());
    }
    let apps = tenant.collections.entry("mobileApp".into()).or_default();
    for app in &spec.apps {
        let synced = apps.values().any(|a| {
            a["@odata.type"] == "#microsoft.graph.iosVppApp"
                && a["bundleId"] == app.bundle_id.as_str()
                && a["vppTokenOrganizationName"] == spec.organization.as_str()
        });
        if synced {
            continue;
        }
        let id = new_guid(rng);
        let value: Value = json!({
            "@odata.type": "#microsoft.graph.iosVppApp",
            "id": id,
            "displayName": app.name,
            "description": null,
            "publisher": app.publisher,
            "largeIcon": null,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "isFeatured": false,
            "privacyInformationUrl": null,
            "informationUrl": null,
            "owner": null,
            "developer": null,
            "notes": null,
            "publishingState": "published",
            "usedLicenseCount": 0,
            "totalLicenseCount": app.licences,
            "releaseDateTime": null,
            "appStoreUrl": app.app_store_url,
            "licensingType": {"supportsUserLicensing": true, "supportsDeviceLicensing": true},
            "applicableDeviceType": {"iPad": true, "iPhoneAndIPod": true},
            "vppTokenOrganizationName": spec.organization,
            "vppTokenAccountType": "business",
            "vppTokenAppleId": spec.apple_id,
            "bundleId": app.bundle_id,
            // What beta's mobileApp also reports (rules::create_mobile_app does the same for an
            // app a client creates): the Default scope tag, unassigned, nothing depends on it.
            "roleScopeTagIds": ["0"],
            "isAssigned": false,
            "dependentAppCount": 0,
            "supersedingAppCount": 0,
            "supersededAppCount": 0,
            "uploadState": 1,
        });
        apps.insert(id, value);
    }
    Ok(())
}
