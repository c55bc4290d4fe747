//! Microsoft 365 groups as Exchange Online shows them (`Get-`/`Set-UnifiedGroup`): one state,
//! two faces. The groups are the tenant's Graph groups of `groupTypes` `Unified`; Exchange adds
//! its mail settings to them, kept in the organisation's `UnifiedGroup` family by the group's
//! `ExternalDirectoryObjectId` (its Graph id), only once something sets one. What both faces
//! show is Graph's and is written there: `DisplayName` (`displayName`), `Alias`
//! (`mailNickname`), `Notes` (`description`), `AccessType` (`visibility`; a Microsoft 365 group
//! made without one is Public, group resource, v1.0).
//!
//! - A group Graph has just made is not there yet: Exchange provisions its mailbox after a
//!   delay (minutes in Microsoft's service, [`crate::EmulatorConfig::group_provisioning`] here),
//!   and until then `Get-UnifiedGroup` leaves it out and `Set-` answers Exchange's "couldn't be
//!   found".
//! - A new group's mail settings are Exchange's defaults for a group Graph made: new members not
//!   subscribed (Graph's `autoSubscribeNewMembers`, "Default value is false"), mail from outside
//!   the organisation refused (`allowExternalSenders` "The default value is false", so
//!   `RequireSenderAuthenticationEnabled` is true), every sender accepted and none rejected
//!   (Set-UnifiedGroup: "By default, this parameter is blank ($null), which allows this
//!   recipient to accept messages from all senders"), no one sending on the group's behalf, no
//!   language until one is set (**UNCONFIRMED**: what Exchange shows for a group an app made
//!   with no creator's language).
//! - Multi-valued lists read back as given, as `Get-UnifiedGroup` shows them without its
//!   `Include…WithDisplayNames` switches (GUIDs in Microsoft's service: the blueprint sets them
//!   empty).
//! - Deleting the Graph group deletes its Exchange face ([`forget`]).
//!
//! No `New-` or `Remove-UnifiedGroup`: with app-only authentication "you can't use this cmdlet
//! to create Microsoft 365 Groups" (New-UnifiedGroup's reference); groups come from Graph.

use serde_json::{Map, Value, json};

use super::{ExchangeError, apply};
use crate::kinds::Kind;
use crate::tenant::Tenant;

/// The cmdlet family.
pub(super) const NOUN: &str = "UnifiedGroup";

/// The Graph properties both faces show, by the Exchange parameter that writes them.
const FROM_GRAPH: [(&str, &str); 4] = [
    ("DisplayName", "displayName"),
    ("Alias", "mailNickname"),
    ("Notes", "description"),
    ("AccessType", "visibility"),
];

/// `Get-`/`Set-UnifiedGroup` (`None` for every other cmdlet).
pub(super) fn execute(
    tenant: &mut Tenant,
    verb: &str,
    noun: &str,
    parameters: &Map<String, Value>,
) -> Option<Result<Vec<Value>, ExchangeError>> {
    if noun != NOUN {
        return None;
    }
    let identity = parameters.get("Identity").map(|v| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    });
    Some(match verb {
        "Get" => {
            let rows = rows(tenant);
            match identity {
                None => Ok(rows),
                Some(id) => find(&rows, &id)
                    .map(|i| vec![rows[i].clone()])
                    .ok_or_else(|| ExchangeError::not_found(&id)),
            }
        }
        "Set" => set(tenant, identity, parameters),
        _ => Err(ExchangeError::new(
            403,
            "System.Management.Automation.CommandNotFoundException",
            format!("The term '{verb}-{noun}' is not recognized as a name of a cmdlet."),
        )),
    })
}

/// Every provisioned Microsoft 365 group, as `Get-UnifiedGroup` outputs it.
fn rows(tenant: &Tenant) -> Vec<Value> {
    let now = std::time::Instant::now();
    let settings = tenant
        .exchange
        .objects
        .get(NOUN)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    tenant
        .items(Kind::by_entity("group"))
        .filter(|g| is_unified(g))
        .filter(|g| {
            let id = g["id"].as_str().unwrap_or_default();
            tenant
                .exchange
                .provisioning
                .get(id)
                .is_none_or(|ready| *ready <= now)
        })
        .map(|g| {
            let id = g["id"].as_str().unwrap_or_default();
            let own = settings
                .iter()
                .find(|s| s["ExternalDirectoryObjectId"].as_str() == Some(id));
            row(g, own)
        })
        .collect()
}

fn is_unified(group: &Value) -> bool {
    group["groupTypes"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("Unified")))
}

/// One group's row: Graph's face, Exchange's defaults, and what `Set-` has changed.
fn row(group: &Value, own: Option<&Value>) -> Value {
    let id = group["id"].as_str().unwrap_or_default();
    let alias = group["mailNickname"].as_str().unwrap_or_default();
    // Exchange names a group's mailbox by its alias and a suffix of its own.
    let compact: String = id.chars().filter(|c| *c != '-').collect();
    let name = format!("{alias}_{}", &compact[..compact.len().min(10)]);
    let mut row = json!({
        "Name": name,
        "Identity": name,
        "Guid": exchange_guid(&compact),
        "DistinguishedName": format!("CN={name},OU=emulated.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=PROD,DC=OUTLOOK,DC=COM"),
        "ExternalDirectoryObjectId": id,
        "RecipientType": "MailUniversalDistributionGroup",
        "RecipientTypeDetails": "GroupMailbox",
        "DisplayName": group["displayName"],
        "Alias": alias,
        "Notes": group["description"],
        "AccessType": group["visibility"].as_str().unwrap_or("Public"),
        "PrimarySmtpAddress": group["mail"],
        "EmailAddresses": group["proxyAddresses"],
        "AutoSubscribeNewMembers": false,
        "AlwaysSubscribeMembersToCalendarEvents": false,
        "RequireSenderAuthenticationEnabled": true,
        "AcceptMessagesOnlyFromSendersOrMembers": [],
        "RejectMessagesFromSendersOrMembers": [],
        "GrantSendOnBehalfTo": [],
        "ModeratedBy": [],
        "ModerationEnabled": false,
        "HiddenFromAddressListsEnabled": false,
        "HiddenFromExchangeClientsEnabled": false,
        "SubscriptionEnabled": true,
        "CalendarMemberReadOnly": false,
        "UnifiedGroupWelcomeMessageEnabled": true,
        "Language": null,
        "Classification": null,
        "MailTip": null,
        "AuditLogAgeLimit": "90.00:00:00",
        "WhenCreated": group["createdDateTime"],
        "WhenChanged": group["createdDateTime"],
    });
    if let (Some(row), Some(own)) = (row.as_object_mut(), own.and_then(Value::as_object)) {
        for (k, v) in own {
            row.insert(k.clone(), v.clone());
        }
    }
    row
}

/// The Exchange object's own GUID, distinct from the Graph id it is made from.
fn exchange_guid(compact: &str) -> String {
    let mut hex: String = compact.chars().rev().collect();
    while hex.len() < 32 {
        hex.push('0');
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The row a `-Identity` names: "Name, Alias, Distinguished name (DN), Canonical DN, Email
/// address, GUID" (the reference), its Graph id, or its display name ("You can use the
/// DisplayName value … but the results aren't guaranteed to be unique").
fn find(rows: &[Value], identity: &str) -> Option<usize> {
    rows.iter().position(|r| {
        [
            "Identity",
            "Name",
            "Alias",
            "DistinguishedName",
            "PrimarySmtpAddress",
            "Guid",
            "ExternalDirectoryObjectId",
            "DisplayName",
        ]
        .iter()
        .any(|k| {
            r[*k]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(identity))
        }) || r["EmailAddresses"].as_array().is_some_and(|a| {
            a.iter().filter_map(Value::as_str).any(|p| {
                p.split_once(':')
                    .is_some_and(|(_, address)| address.eq_ignore_ascii_case(identity))
            })
        })
    })
}

fn set(
    tenant: &mut Tenant,
    identity: Option<String>,
    parameters: &Map<String, Value>,
) -> Result<Vec<Value>, ExchangeError> {
    let id = identity.ok_or_else(|| super::missing_parameter("Identity"))?;
    let rows = rows(tenant);
    let at = find(&rows, &id).ok_or_else(|| ExchangeError::not_found(&id))?;
    let group_id = rows[at]["ExternalDirectoryObjectId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut changes = parameters.clone();
    for switch in ["Identity", "Confirm", "WhatIf", "ForceUpgrade"] {
        changes.remove(switch);
    }
    // "The AutoSubscribeNewMembers must be set to False before setting SubscriptionEnabled to
    // False" (Set-UnifiedGroup's SubscriptionEnabled).
    let subscribes = changes
        .get("AutoSubscribeNewMembers")
        .unwrap_or(&rows[at]["AutoSubscribeNewMembers"]);
    if changes.get("SubscriptionEnabled") == Some(&json!(false)) && subscribes == &json!(true) {
        return Err(ExchangeError::new(
            400,
            "Microsoft.Exchange.Management.Tasks.ValidationException",
            "AutoSubscribeNewMembers must be set to false before SubscriptionEnabled can be set to false.",
        ));
    }
    // Graph's face: written to the group itself.
    if let Some(group) = tenant
        .collections
        .get_mut(Kind::by_entity("group").entity)
        .and_then(|c| c.get_mut(&group_id))
        .and_then(Value::as_object_mut)
    {
        for (parameter, property) in FROM_GRAPH {
            if let Some(value) = changes.remove(parameter) {
                group.insert(property.into(), value);
            }
        }
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let settings = tenant.exchange.objects.entry(NOUN.into()).or_default();
    let at = match settings
        .iter()
        .position(|s| s["ExternalDirectoryObjectId"].as_str() == Some(group_id.as_str()))
    {
        Some(at) => at,
        None => {
            settings.push(json!({ "ExternalDirectoryObjectId": group_id }));
            settings.len() - 1
        }
    };
    let own = settings[at].as_object_mut().expect("settings are maps");
    apply(own, &changes);
    own.insert("WhenChanged".into(), json!(crate::tenant::now_rfc3339()));
    Ok(Vec::new())
}

/// Forgets the Exchange face of a group Graph deleted.
pub(crate) fn forget(tenant: &mut Tenant, group_id: &str) {
    tenant.exchange.provisioning.remove(group_id);
    if let Some(settings) = tenant.exchange.objects.get_mut(NOUN) {
        settings.retain(|s| s["ExternalDirectoryObjectId"].as_str() != Some(group_id));
    }
}
