//! Creating an engagement workspace: the agency's profile (`blueprint.toml`) written from a few
//! values, with a placeholder Acceptable Use Policy beside it, checked by opening it. What
//! creating a workspace from the command line, the demo and the web app's demo agencies share.

use std::path::{Path, PathBuf};

use crate::EngineError;
use crate::files::{PLACEHOLDER_TERMS_FILE as TERMS_PDF, PLACEHOLDER_TERMS_PDF as PLACEHOLDER_PDF};
use crate::workspace::{PROFILE_FILE, Workspace};

/// What goes into a new profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileValues {
    pub agency: String,
    pub domain: String,
    pub prefix: String,
    pub tenant_id: Option<String>,
    pub break_glass: Vec<String>,
    /// `[[params.protective_markings]]` as `(label, label id, marking)`; none writes a
    /// commented example (exchange-mail-flow-rules waits for the agency's own labels).
    pub protective_markings: Vec<(String, String, String)>,
    /// `[connection]` entries, in order.
    pub connection: Vec<(String, String)>,
    /// `[plan] features`; empty selects the whole catalogue.
    pub features: Vec<String>,
    /// `[plan] capacity`, when not the default.
    pub capacity: Option<u32>,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The profile's text: every table, with comments saying what each setting is for.
pub fn profile_text(v: &ProfileValues) -> String {
    let mut t = String::from(
        "# The agency's profile for blueprint: who the agency is, how to reach its tenant, and\n# what it implements. Secrets never go here.\n\n[agency]\n",
    );
    t.push_str(&format!(
        "name = {}\ndomain = {}\nprefix = {}\n",
        quote(&v.agency),
        quote(&v.domain),
        quote(&v.prefix)
    ));
    if let Some(id) = &v.tenant_id {
        t.push_str(&format!("tenant_id = {}\n", quote(id)));
    }
    t.push_str("implementation = \"cloud-native\"\n\n[params]\n");
    t.push_str("# The agency's internet egress ranges (the trusted \"<Agency> Internal Network\" location).\n");
    t.push_str("trusted_ip_ranges = [\"203.0.113.0/24\"]\n");
    t.push_str("# Countries sign-ins may come from (ISO 3166 alpha-2); the blueprint allows Australia only.\n");
    t.push_str("allowed_countries = [\"AU\"]\n");
    t.push_str("# Emergency access accounts: checked to exist and be excluded from conditional access; never created.\n");
    let bg: Vec<String> = v.break_glass.iter().map(|u| quote(u)).collect();
    t.push_str(&format!("break_glass_upns = [{}]\n", bg.join(", ")));
    t.push_str(&format!(
        "sharing_allowed_domains = [{}]\n",
        quote(&v.domain)
    ));
    t.push_str("# The only domains guests may be invited from (Entra's collaboration restrictions, the ABAC's\n# <Agency>.gov.au): until the agency lists them, the allowlist is a manual step.\n");
    t.push_str(&format!(
        "# guest_invitation_domains = [{}]\n",
        quote(&v.domain)
    ));
    t.push_str("# The terms of use expire annually from this date (the blueprint: 1 July).\n");
    t.push_str(&format!(
        "terms_of_use_expiry_start = {}\n",
        quote(&next_first_of_july())
    ));
    t.push_str("# The agency's Acceptable Use Policy (PDF), relative to this file; init writes a placeholder.\n");
    t.push_str(&format!("terms_of_use_pdf = {}\n", quote(TERMS_PDF)));
    t.push_str("# The script Intune runs to remove Windows' built-in apps: the catalogue's own unless the\n# agency names its copy of the blueprint's RemoveBuiltInApps.ps1, relative to this file.\n# remove_built_in_apps_script = \"scripts/RemoveBuiltInApps.ps1\"\n");
    t.push_str("# The agency's signed WDAC base policy (binary, from ConvertFrom-CIPolicy) and its <PolicyID>:\n# until both are set, the WDAC deployment feature is refused and the rest deploys.\n# wdac_base_policy_file = \"wdac/base-policy.cip\"\n# wdac_base_policy_id = \"{00000000-0000-0000-0000-000000000000}\"\n");
    t.push_str("# The agency's AppLocker EXE rule collections (XML) for ACSC – AppLocker Lockdown CSP: the\n# administrators' block and the users' PowerShell block; until both are set, that profile is manual.\n# applocker_admins_policy_file = \"applocker/block-apps-local-admins.xml\"\n# applocker_users_policy_file = \"applocker/block-users-powershell.xml\"\n");
    t.push_str("# Custom - Device Restrictions: the Start menu layout (Export-StartLayout XML) and the lock screen and\n# desktop pictures (http(s) or file URLs); until all three are set, that profile is manual.\n# start_menu_layout_file = \"windows/start-menu-layout.xml\"\n# lock_screen_image_url = \"https://intranet.agency.gov.au/lock-screen.jpg\"\n# desktop_image_url = \"https://intranet.agency.gov.au/desktop.jpg\"\n");
    t.push_str("# Custom - Per App VPN (iOS): the agency's VPN server (IP address or host name) and its provider as\n# Graph names it (appleVpnConnectionType: ciscoAnyConnectV2, paloAltoGlobalProtectV2, f5Access2018, …);\n# until both are set, that profile is manual.\n# vpn_server = \"vpn.agency.gov.au\"\n# vpn_connection_type = \"ciscoAnyConnectV2\"\n");
    t.push_str("# ACSC – Windows 10 Hardening, the agency's decision on Turn off Data Execution Prevention for Explorer\n# and Turn off heap termination on corruption: \"abac\" sets both Enabled as the ABAC does (DEP and heap\n# termination off for Explorer), \"acsc\" both Disabled as ACSC's hardening guide does; until it is set,\n# the two settings are manual.\n# explorer_dep = \"acsc\"\n");
    t.push_str("# The Windows Firewall rules of the agency's clean reference computer (JSON, from the command in the\n# intune-endpoint-security-firewall-rules feature's manual steps), reviewed: imported into Intune's\n# Windows Firewall Rules policies, 150 rules each, assigned to grp-<prefix>-firewall-rules-test;\n# until it is set, the import is manual.\n# firewall_rules = \"firewall-rules.json\"\n");
    t.push_str("# ACSC – Microsoft Office Hardening, the agency's values: Outlook's trusted add-ins (DLL file name =\n# hash), its managed add-ins (ProgID = \"0\" always disabled, \"1\" always enabled, \"2\" configurable by the\n# user) and the PowerPoint 97-2003 file block setting (the ABAC's Always match file type is not an option);\n# until all three are set, they are manual.\n# powerpoint_97_2003_file_block = \"Open/Save blocked, use open policy\"\n# [params.outlook_trusted_add_ins]\n# \"agencyaddin.dll\" = \"<the DLL's hash>\"\n# [params.outlook_managed_add_ins]\n# \"Agency.OutlookAddin.1\" = \"1\"\n");
    t.push_str("\n[params.contacts]\n");
    t.push_str(&format!(
        "group_expiration = {}\n",
        quote(&format!("ict@{}", v.domain))
    ));
    t.push_str(&format!(
        "technical = {}\nsecurity = {}\n",
        quote(&format!("ict@{}", v.domain)),
        quote(&format!("security@{}", v.domain))
    ));
    t.push_str("\n# The agency's sensitivity labels and the X-Protective-Marking each stamps on outgoing mail\n# (exchange-mail-flow-rules: one mail flow rule per label). The label ids exist once the labels\n# are published: Get-Label | Select Name,Guid.\n");
    if v.protective_markings.is_empty() {
        t.push_str("# [[params.protective_markings]]\n# label = \"OFFICIAL Sensitive\"\n# label_id = \"00000000-0000-0000-0000-000000000000\"\n# marking = \"VER=2018.4, NS=gov.au, SEC=OFFICIAL:Sensitive\"\n");
    }
    for (label, id, marking) in &v.protective_markings {
        t.push_str(&format!(
            "[[params.protective_markings]]\nlabel = {}\nlabel_id = {}\nmarking = {}\n",
            quote(label),
            quote(id),
            quote(marking)
        ));
    }
    t.push_str("\n[connection]\n");
    if v.connection.is_empty() {
        t.push_str("# tenant_id and client_id, or AZURE_TENANT_ID and AZURE_CLIENT_ID in the environment.\n");
        t.push_str("# certificate_path = \"app.pem\"   # or AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH\n");
    }
    for (k, val) in &v.connection {
        t.push_str(&format!("{k} = {}\n", quote(val)));
    }
    let features: Vec<String> = v.features.iter().map(|f| quote(f)).collect();
    t.push_str("\n[plan]\n# Feature ids to implement (the catalogue lists them); empty means the whole catalogue.\n");
    t.push_str(&format!("features = [{}]\n", features.join(", ")));
    if let Some(capacity) = v.capacity {
        t.push_str(&format!("capacity = {capacity}\n"));
    }
    t.push_str("# exclude = [{ feature = \"…\", justification = \"why the agency departs from the blueprint\" }]\n# Story points the team completes in one sprint (the sprint planner fills each sprint up to it); default 20.\n# capacity = 20\n# Sprint pins, as a [plan.pins] table: feature-id = sprint number.\n");
    t.push_str("\n# Who the feature log names when this workspace records something (BLUEPRINT_ACTOR and\n# BLUEPRINT_ROLE, or the command line's actor and role options, override it; the web app names\n# the person signed in; default: the login name, as the agency).\n# [actor]\n# name = \"jo@agency.gov.au\"\n# role = \"agency\"   # agency, partner (its technology partner) or program (the program office)\n");
    t
}

/// The next 1 July (today's year when it is still before July): when the terms of use expire.
fn next_first_of_july() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let year = if today.month() as u8 >= 7 {
        today.year() + 1
    } else {
        today.year()
    };
    format!("{year}-07-01")
}

/// Writes the profile into `dir` (created if missing), and the placeholder policy unless one
/// is there. An existing profile is kept ([`EngineError::ProfileExists`]) unless `replace`.
pub fn write_profile(
    dir: &Path,
    values: &ProfileValues,
    replace: bool,
) -> Result<PathBuf, EngineError> {
    let failed = |what: &Path, e: std::io::Error| {
        EngineError::Internal(format!("writing {}: {e}", what.display()))
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| EngineError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(PROFILE_FILE);
    if path.exists() && !replace {
        return Err(EngineError::ProfileExists { path });
    }
    std::fs::write(&path, profile_text(values)).map_err(|e| failed(&path, e))?;
    let pdf = dir.join(TERMS_PDF);
    if !pdf.exists() {
        std::fs::write(&pdf, PLACEHOLDER_PDF).map_err(|e| failed(&pdf, e))?;
    }
    Ok(path)
}

/// Creates the workspace: writes the profile ([`write_profile`]), opens it so that a bad
/// value is reported now, located, and prepares the state directory. A profile that does not
/// open is taken back (the one it replaced comes back), so a failed creation leaves `dir` as
/// it was.
pub fn create(dir: &Path, values: &ProfileValues, replace: bool) -> Result<PathBuf, EngineError> {
    let previous = std::fs::read(Workspace::profile_path(dir)).ok();
    let path = write_profile(dir, values, replace)?;
    if let Err(e) = Workspace::open(dir) {
        let _ = match &previous {
            Some(bytes) => std::fs::write(&path, bytes),
            None => std::fs::remove_file(&path),
        };
        return Err(e);
    }
    crate::state::prepare_state_dir(dir).map_err(|e| EngineError::Internal(e.to_string()))?;
    Ok(path)
}
