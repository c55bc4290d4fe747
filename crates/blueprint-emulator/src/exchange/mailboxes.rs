//! Mailboxes and their users (`*-Mailbox`, `*-User`, `*-MailboxRegionalConfiguration`), as
//! Microsoft's cmdlet reference states them. The blueprint only reads these (per-mailbox checks
//! in evaluate); the writes are here for fixtures and tests, as an administrator runs them:
//!
//! - `New-Mailbox` makes a mailbox with its user ("Use the New-Mailbox cmdlet to create
//!   mailboxes"): a user mailbox (`-MicrosoftOnlineServicesID`, the sign-in name), or with
//!   `-Shared`, `-Room` or `-Equipment` a shared or resource mailbox. Its sizes come from the
//!   mailbox plan (`-MailboxPlan`, else the default plan): Set-Mailbox's MaxSendSize "Use the
//!   Set-MailboxPlan cmdlet to change the MaxSendSize value for all new mailboxes that you
//!   create in the future". The password is never kept.
//! - Each mailbox is three rows, one per family, sharing the mailbox's `Identity` (its name):
//!   `Get-Mailbox`'s, `Get-User`'s and `Get-MailboxRegionalConfiguration`'s (`Language`,
//!   `TimeZone`, `DateFormat`, `TimeFormat` unset until someone sets them or signs in).
//! - `Get-Mailbox` and `Get-User` take `-RecipientTypeDetails` (only those types).
//!   `Get-MailboxRegionalConfiguration` without `-Identity` returns every mailbox's, as the
//!   reference warns: "The value $null or a non-existent value for the Identity parameter
//!   returns *all* objects as if you ran the Get- command without the Identity parameter".
//! - `Enable-Mailbox -Archive` "creates an archive mailbox for an existing user that already has
//!   a mailbox": `ArchiveStatus` becomes `Active` with an `ArchiveGuid`.

use rand::Rng;
use serde_json::{Map, Value, json};

use super::{ExchangeError, find, finish, missing_parameter};
use crate::tenant::{Tenant, new_guid};

/// The families a mailbox is a row of.
pub(super) const FAMILIES: [&str; 3] = ["Mailbox", "User", "MailboxRegionalConfiguration"];

/// An archive that does not exist: Exchange's empty GUID.
const NO_ARCHIVE: &str = "00000000-0000-0000-0000-000000000000";

/// The mailbox cmdlets this module answers itself (`None`: the generic `Get-`/`Set-`).
pub(super) fn execute(
    tenant: &mut Tenant,
    verb: &str,
    noun: &str,
    parameters: &Map<String, Value>,
    rng: &mut impl Rng,
) -> Option<Result<Vec<Value>, ExchangeError>> {
    match (verb, noun) {
        ("New", "Mailbox") => Some(new_mailbox(tenant, parameters, rng)),
        ("Enable", "Mailbox") => Some(enable_archive(tenant, parameters, rng)),
        _ => None,
    }
}

/// The rows a `Get-` of a mailbox family keeps: with `-RecipientTypeDetails`, only those types.
pub(super) fn filter(noun: &str, parameters: &Map<String, Value>, rows: Vec<Value>) -> Vec<Value> {
    if !FAMILIES.contains(&noun) {
        return rows;
    }
    let wanted: Vec<&str> = match parameters.get("RecipientTypeDetails") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => one.split(',').map(str::trim).collect(),
        _ => return rows,
    };
    rows.into_iter()
        .filter(|r| {
            r["RecipientTypeDetails"]
                .as_str()
                .is_some_and(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(t)))
        })
        .collect()
}

/// For a mailbox family, the name of the mailbox `identity` names in any way the reference
/// lists (name, alias, address, user principal name, GUID): every family's row has the name,
/// not every one the addresses. Other identities as given.
pub(super) fn row_name(tenant: &Tenant, noun: &str, identity: String) -> String {
    if !FAMILIES.contains(&noun) {
        return identity;
    }
    let mailboxes = tenant
        .exchange
        .objects
        .get("Mailbox")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    find(mailboxes, &identity)
        .and_then(|i| mailboxes[i]["Name"].as_str())
        .map(str::to_string)
        .unwrap_or(identity)
}

fn new_mailbox(
    tenant: &mut Tenant,
    parameters: &Map<String, Value>,
    rng: &mut impl Rng,
) -> Result<Vec<Value>, ExchangeError> {
    let name = parameters
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| missing_parameter("Name"))?
        .to_string();
    let flag = |p: &str| parameters.get(p) == Some(&json!(true));
    let type_details = if flag("Shared") {
        "SharedMailbox"
    } else if flag("Room") {
        "RoomMailbox"
    } else if flag("Equipment") {
        "EquipmentMailbox"
    } else {
        "UserMailbox"
    };
    let sign_in = parameters
        .get("MicrosoftOnlineServicesID")
        .and_then(Value::as_str);
    if type_details == "UserMailbox" && sign_in.is_none() {
        return Err(missing_parameter("MicrosoftOnlineServicesID"));
    }
    let objects = &tenant.exchange.objects;
    if objects
        .get("Mailbox")
        .is_some_and(|list| find(list, &name).is_some())
    {
        return Err(ExchangeError::bad(
            "Microsoft.Exchange.Management.Tasks.ManagementObjectAlreadyExistsException",
            format!("An object with the name '{name}' already exists."),
        ));
    }
    let alias = parameters
        .get("Alias")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| name.replace(' ', ""));
    let upn = sign_in
        .map(str::to_string)
        .unwrap_or_else(|| format!("{alias}@{}", tenant.initial_domain()));
    let smtp = parameters
        .get("PrimarySmtpAddress")
        .and_then(Value::as_str)
        .unwrap_or(&upn)
        .to_string();
    let display = parameters
        .get("DisplayName")
        .and_then(Value::as_str)
        .unwrap_or(&name)
        .to_string();
    // The plan named, else the default one: its sizes are the new mailbox's.
    let plans = objects.get("MailboxPlan").cloned().unwrap_or_default();
    let plan = match parameters.get("MailboxPlan").and_then(Value::as_str) {
        Some(p) => find(&plans, p)
            .map(|i| plans[i].clone())
            .ok_or_else(|| ExchangeError::not_found(p))?,
        None => plans
            .iter()
            .find(|p| p["IsDefault"] == json!(true))
            .cloned()
            .unwrap_or(Value::Null),
    };
    let guid = new_guid(rng);
    let common = |object: &mut Map<String, Value>| {
        object.insert("Name".into(), json!(name));
        object.insert("DisplayName".into(), json!(display));
        object.insert("UserPrincipalName".into(), json!(upn));
        object.insert("RecipientTypeDetails".into(), json!(type_details));
    };
    let mut mailbox = Map::new();
    common(&mut mailbox);
    mailbox.insert("Alias".into(), json!(alias));
    mailbox.insert("PrimarySmtpAddress".into(), json!(smtp));
    mailbox.insert("RecipientType".into(), json!("UserMailbox"));
    for size in [
        "MaxSendSize",
        "MaxReceiveSize",
        "IssueWarningQuota",
        "ProhibitSendQuota",
        "ProhibitSendReceiveQuota",
    ] {
        mailbox.insert(size.into(), plan[size].clone());
    }
    mailbox.insert(
        "MailboxPlan".into(),
        plan.get("Name").cloned().unwrap_or(Value::Null),
    );
    mailbox.insert("LitigationHoldEnabled".into(), json!(false));
    mailbox.insert("ArchiveStatus".into(), json!("None"));
    mailbox.insert("ArchiveGuid".into(), json!(NO_ARCHIVE));
    let mut user = Map::new();
    common(&mut user);
    user.insert(
        "RemotePowerShellEnabled".into(),
        parameters
            .get("RemotePowerShellEnabled")
            .cloned()
            .unwrap_or(json!(true)),
    );
    let mut regional = Map::new();
    regional.insert("Name".into(), json!(name));
    for unset in ["DateFormat", "Language", "TimeFormat", "TimeZone"] {
        regional.insert(unset.into(), Value::Null);
    }
    regional.insert("DefaultFolderNameMatchingUserLanguage".into(), json!(false));
    let mut created = Vec::new();
    for (noun, mut object) in FAMILIES.into_iter().zip([mailbox, user, regional]) {
        finish(&mut object, guid.clone());
        let row = Value::Object(object);
        tenant
            .exchange
            .objects
            .entry(noun.to_string())
            .or_default()
            .push(row.clone());
        created.push(row);
    }
    if flag("Archive") {
        archive(tenant, &name, rng);
    }
    // New-Mailbox outputs the mailbox.
    Ok(created.into_iter().take(1).collect())
}

fn enable_archive(
    tenant: &mut Tenant,
    parameters: &Map<String, Value>,
    rng: &mut impl Rng,
) -> Result<Vec<Value>, ExchangeError> {
    let identity = parameters
        .get("Identity")
        .and_then(Value::as_str)
        .ok_or_else(|| missing_parameter("Identity"))?;
    if parameters.get("Archive") != Some(&json!(true)) {
        // Enabling a mailbox for a user without one: the blueprint never does, and the
        // emulator's users come with their mailboxes.
        return Err(ExchangeError::bad(
            "Microsoft.Exchange.Management.Tasks.RecipientTaskException",
            format!("The user '{identity}' already has a mailbox."),
        ));
    }
    let mailboxes = tenant
        .exchange
        .objects
        .get("Mailbox")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let at = find(mailboxes, identity).ok_or_else(|| ExchangeError::not_found(identity))?;
    let name = mailboxes[at]["Name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    archive(tenant, &name, rng);
    Ok(Vec::new())
}

/// Gives the mailbox `name` an archive (again, a no-op).
fn archive(tenant: &mut Tenant, name: &str, rng: &mut impl Rng) {
    let Some(mailboxes) = tenant.exchange.objects.get_mut("Mailbox") else {
        return;
    };
    let Some(at) = find(mailboxes, name) else {
        return;
    };
    let mailbox = &mut mailboxes[at];
    if mailbox["ArchiveStatus"] != json!("Active") {
        mailbox["ArchiveStatus"] = json!("Active");
        mailbox["ArchiveGuid"] = json!(new_guid(rng));
    }
}
