//! The agency profile: who the agency is and the values the blueprint leaves to it.
//!
//! The full profile (`blueprint.toml`) also holds the connection, the execution plan and the
//! actor; the workspace (blueprint-engine) reads the whole file once, its `[agency]` and
//! `[params]` tables into [`AgencyTable`] and [`ParamsTable`], and builds the profile from them
//! with [`AgencyProfile::from_tables`]. Every value is checked for its type (a CIDR range, an
//! ISO 3166 country code, a UPN) and a bad one is reported at its file:line:col.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Value, json};
use toml::Spanned;

use crate::schema::ImplementationType;
use crate::source::{Diagnostics, ErrorKind, FileId, Loc, Sources, line_col_of_offset};

/// The type of a template parameter, used to validate `{{ … }}` uses before any profile exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Text,
    TextList,
    CidrList,
    /// A list of tables with these text fields (`[[params.protective_markings]]`): only a
    /// `for_each` walks it, naming a field of the element as `{{ each.field }}`.
    Records(&'static [&'static str]),
    /// A table of text values by name (`[params.outlook_managed_add_ins]`): an administrative
    /// template list box's name/value pairs, rendered whole as `[{"name": …, "value": …}]`.
    NameValues,
}

/// The fields of a `[[params.protective_markings]]` table.
pub const PROTECTIVE_MARKING_FIELDS: &[&str] = &["label", "label_id", "marking"];

/// Every parameter a catalogue template may name, with its type.
pub const PARAMETERS: &[(&str, ParamType)] = &[
    ("agency.name", ParamType::Text),
    ("agency.domain", ParamType::Text),
    ("agency.prefix", ParamType::Text),
    ("agency.tenant_id", ParamType::Text),
    ("agency.implementation", ParamType::Text),
    ("params.trusted_ip_ranges", ParamType::CidrList),
    ("params.allowed_countries", ParamType::TextList),
    ("params.break_glass_upns", ParamType::TextList),
    ("params.contacts.technical", ParamType::Text),
    ("params.contacts.security", ParamType::Text),
    ("params.contacts.group_expiration", ParamType::Text),
    ("params.group_naming_policy", ParamType::Text),
    ("params.distribution_group_naming_policy", ParamType::Text),
    ("params.sharing_allowed_domains", ParamType::TextList),
    ("params.guest_invitation_domains", ParamType::TextList),
    ("params.terms_of_use_expiry_start", ParamType::Text),
    ("params.terms_of_use_pdf", ParamType::Text),
    ("params.logon_banner_title", ParamType::Text),
    ("params.logon_banner_text", ParamType::Text),
    (
        "params.protective_markings",
        ParamType::Records(PROTECTIVE_MARKING_FIELDS),
    ),
    ("params.remove_built_in_apps_script", ParamType::Text),
    ("params.wdac_base_policy_file", ParamType::Text),
    ("params.wdac_base_policy_id", ParamType::Text),
    ("params.applocker_admins_policy_file", ParamType::Text),
    ("params.applocker_users_policy_file", ParamType::Text),
    ("params.start_menu_layout_file", ParamType::Text),
    ("params.lock_screen_image_url", ParamType::Text),
    ("params.desktop_image_url", ParamType::Text),
    ("params.vpn_server", ParamType::Text),
    ("params.vpn_connection_type", ParamType::Text),
    ("params.explorer_dep", ParamType::Text),
    ("params.outlook_trusted_add_ins", ParamType::NameValues),
    ("params.outlook_managed_add_ins", ParamType::NameValues),
    ("params.powerpoint_97_2003_file_block", ParamType::Text),
    (
        "params.firewall_rules",
        ParamType::Records(crate::firewall::POLICY_FIELDS),
    ),
];

pub fn parameter_type(name: &str) -> Option<ParamType> {
    PARAMETERS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A validated agency profile.
#[derive(Debug, Clone, PartialEq)]
pub struct AgencyProfile {
    pub agency: Agency,
    pub params: Params,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    /// The agency's name as it appears in display names (`<Agency> Internal Network`).
    pub name: String,
    /// The agency's primary domain (`<Agency>.gov.au`).
    pub domain: DomainName,
    /// The agency acronym used in group names (`rol-<prefix>-administrators`).
    pub prefix: Prefix,
    pub tenant_id: Option<TenantId>,
    pub implementation: ImplementationType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// The agency's network egress ranges (the `<Agency> Internal Network` named location).
    pub trusted_ip_ranges: Vec<Cidr>,
    /// Countries sign-ins may come from; the blueprint allows Australia only.
    pub allowed_countries: Vec<CountryCode>,
    /// Emergency access (break-glass) accounts: checked to exist and be excluded from
    /// conditional access, never created by the tool.
    pub break_glass_upns: Vec<Upn>,
    pub contacts: Contacts,
    /// Group.Unified `PrefixSuffixNamingRequirement`; the blueprint leaves it to the agency.
    pub group_naming_policy: String,
    /// Exchange's `DistributionGroupNamingPolicy` for distribution groups users create:
    /// `prefix<GroupName>suffix`, attributes in angle brackets (`<Department>`). The ABAC
    /// leaves it to "the agency group naming standard", the same standard as
    /// [`Params::group_naming_policy`], which it follows unless set.
    pub distribution_group_naming_policy: String,
    /// Domains SharePoint may share with (the agency's own and other trusted agencies').
    pub sharing_allowed_domains: Vec<DomainName>,
    /// The only domains guests may be invited from (Entra's collaboration restrictions, "Allow
    /// invitations only to the specified domains": the ABAC's `<Agency>.gov.au`); `None` until
    /// the agency lists them, since an allowlist refuses every other organisation's invitation.
    pub guest_invitation_domains: Option<Vec<DomainName>>,
    /// When the terms of use first expire (the blueprint: 1 July, annually), `YYYY-MM-DD`.
    pub terms_of_use_expiry_start: Option<String>,
    /// Path of the agency's terms-of-use PDF.
    pub terms_of_use_pdf: Option<String>,
    /// The interactive logon banner Windows shows before sign-in (title and text); the ABAC
    /// leaves both to the agency.
    pub logon_banner_title: String,
    pub logon_banner_text: String,
    /// The agency's sensitivity labels with the protective marking each stamps on outgoing
    /// mail (the ABAC's "Outgoing X-Protective-Marker" rules, one per label); `None` until
    /// the agency lists them (its labels' GUIDs exist only once it has published them).
    pub protective_markings: Option<Vec<ProtectiveMarking>>,
    /// The PowerShell script Intune runs to remove Windows' built-in apps: a file in the
    /// workspace, or the catalogue's own (`builtin:RemoveBuiltInApps.ps1`, the default).
    pub remove_built_in_apps_script: String,
    /// The agency's signed WDAC base policy in binary form (`.bin`/`.cip`, from
    /// ConvertFrom-CIPolicy), a file in the workspace; the blueprint has none of its own.
    pub wdac_base_policy_file: Option<String>,
    /// The base policy's id (the `<PolicyID>` GUID, braces and case as written there), which the
    /// ApplicationControl CSP's OMA-URI must carry.
    pub wdac_base_policy_id: Option<String>,
    /// The agency's AppLocker rule collections for the ABAC's "ACSC – AppLocker Lockdown CSP"
    /// profile, each an XML file in the workspace sent as the AppLocker CSP's EXE policy: the
    /// administrators' browser and mail client block ("Block - Apps Local Admins") and the
    /// users' PowerShell and command-line block ("Block - Users PowerShell"). The ABAC's own
    /// files name its tenant's domain group by SID, so each agency writes its own.
    pub applocker_admins_policy_file: Option<String>,
    pub applocker_users_policy_file: Option<String>,
    /// The agency's Start menu layout (`LayoutModificationTemplate` XML from Export-StartLayout),
    /// a file in the workspace, for the ABAC's "Custom - Device Restrictions" profile.
    pub start_menu_layout_file: Option<String>,
    /// The lock screen and desktop pictures of "Custom - Device Restrictions" ("Agency to
    /// define"): an http(s) URL Windows downloads the image from, or a file URL on the device.
    pub lock_screen_image_url: Option<String>,
    pub desktop_image_url: Option<String>,
    /// The agency's VPN for the ABAC's iOS "Custom - Per App VPN" profile ("VPN Address":
    /// `XXX.XXX.XXX.XXX`, "Connection Type: VPN Provider"): the server's IP address or host name,
    /// and its provider as Graph's `appleVpnConnectionType` names it (`ciscoAnyConnectV2`, …).
    pub vpn_server: Option<String>,
    pub vpn_connection_type: Option<String>,
    /// The agency's decision on "Turn off Data Execution Prevention for Explorer" and "Turn off
    /// heap termination on corruption" (ACSC – Windows 10 Hardening, \Windows Components\File
    /// Explorer): `abac`, both Enabled as the ABAC sets them (DEP and heap termination off for
    /// Explorer), or `acsc`, both Disabled as ACSC's Windows hardening guide sets them. No
    /// default: unset, the two settings stay a manual step naming this parameter.
    pub explorer_dep: Option<String>,
    /// Outlook's "Configure trusted add-ins" (ACSC – Microsoft Office Hardening: "Enabled –
    /// Agency defined list"): each trusted add-in's DLL file name and its hash, as the ADML's
    /// list asks ("Enter the DLL filename for Value Name and the hash result for Value").
    pub outlook_trusted_add_ins: Option<Vec<(String, String)>>,
    /// Outlook's "List of managed add-ins" ("Agency defined"): each COM add-in's ProgID and
    /// 0 (always disabled), 1 (always enabled) or 2 (configurable by the user), as the ADML's
    /// explanation gives them.
    pub outlook_managed_add_ins: Option<Vec<(String, String)>>,
    /// PowerPoint's "PowerPoint 97-2003 presentations, shows, templates and add-in files" file
    /// block setting, whose ABAC value ("Always match file type") is not one of its options:
    /// the agency names one of [`POWERPOINT_FILE_BLOCK_OPTIONS`]; held as its registry value.
    pub powerpoint_97_2003_file_block: Option<String>,
    /// The Windows Firewall rules captured on the agency's reference computer (the ABAC's
    /// "Windows Firewall rules import"): a JSON file in the workspace, as
    /// [`crate::firewall`] describes it.
    pub firewall_rules: Option<String>,
    /// That file's rules, once the workspace has read them ([`AgencyProfile::read_firewall_rules`]);
    /// `params.firewall_rules` renders as their policies, and is unset until then.
    pub firewall_rule_set: Option<Vec<crate::firewall::FirewallRule>>,
}

/// One sensitivity label and its email protective marking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectiveMarking {
    /// The label's name as the rule names it (`OFFICIAL Sensitive`).
    pub label: String,
    /// The label's GUID (`Get-Label | Select Name,Guid`), lower-case: mail carries it in its
    /// `msip_labels` header as `MSIP_Label_<guid>_Enabled=true`.
    pub label_id: String,
    /// The `X-Protective-Marking` header value (`VER=2018.4, NS=gov.au, SEC=OFFICIAL:Sensitive`).
    pub marking: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contacts {
    pub technical: Option<Email>,
    pub security: Option<Email>,
    /// Where expiry notices for groups with no owner go.
    pub group_expiration: Email,
}

/// A DNS domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainName(String);
/// The agency acronym: ASCII letters and digits, because it goes into group mail nicknames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);
/// An Entra tenant id (a GUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantId(String);
/// An IPv4 or IPv6 range in CIDR notation, host bits zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    pub address: IpAddr,
    pub prefix_len: u8,
}
/// An ISO 3166-1 alpha-2 country code, as conditional access named locations take them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);
/// A user principal name (`name@domain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upn(String);
/// An email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

macro_rules! text_newtype {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
text_newtype!(DomainName, Prefix, TenantId, CountryCode, Upn, Email);

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl DomainName {
    pub fn parse(text: &str) -> Result<DomainName, String> {
        let lower = text.to_ascii_lowercase();
        let labels_ok = lower.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if lower.contains('.') && lower.len() <= 253 && labels_ok {
            Ok(DomainName(lower))
        } else {
            Err(format!(
                "`{text}` is not a domain name (e.g. agency.gov.au)"
            ))
        }
    }
}

impl Prefix {
    pub fn parse(text: &str) -> Result<Prefix, String> {
        if (2..=16).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Prefix(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not an agency prefix: use 2 to 16 ASCII letters or digits (the agency acronym), because it becomes part of group names and mail nicknames"
            ))
        }
    }
}

impl TenantId {
    pub fn parse(text: &str) -> Result<TenantId, String> {
        let groups: Vec<&str> = text.split('-').collect();
        let shape = [8, 4, 4, 4, 12];
        let ok = groups.len() == 5
            && groups
                .iter()
                .zip(shape)
                .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
        if ok {
            Ok(TenantId(text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "`{text}` is not a tenant id: expected a GUID such as 00000000-0000-0000-0000-000000000000"
            ))
        }
    }
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("`{text}` is not a CIDR range (e.g. 203.0.113.0/24 or 2001:db8::/32)");
        let (address, prefix) = text.split_once('/').ok_or_else(bad)?;
        let address: IpAddr = address.parse().map_err(|_| bad())?;
        let prefix_len: u8 = prefix.parse().map_err(|_| bad())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        if prefix_len > bits {
            return Err(format!("`{text}`: the prefix length is more than {bits}"));
        }
        let network = mask(address, prefix_len);
        if network != address {
            return Err(format!(
                "`{text}` has host bits set: the range starts at {network}/{prefix_len}"
            ));
        }
        Ok(Cidr {
            address,
            prefix_len,
        })
    }

    /// The Graph `ipRange` object for this range.
    pub fn to_graph(&self) -> Value {
        let odata_type = if self.address.is_ipv4() {
            "#microsoft.graph.iPv4CidrRange"
        } else {
            "#microsoft.graph.iPv6CidrRange"
        };
        json!({ "@odata.type": odata_type, "cidrAddress": self.to_string() })
    }
}

fn mask(address: IpAddr, prefix_len: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix_len == 0 {
                0
            } else {
                u32::MAX << (32 - prefix_len)
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix_len == 0 {
                0
            } else {
                u128::MAX << (128 - prefix_len)
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// ISO 3166-1 alpha-2 codes officially assigned (249 of them).
const ISO_3166_ALPHA_2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub fn iso_3166_alpha_2_codes() -> impl Iterator<Item = &'static str> {
    ISO_3166_ALPHA_2.split(' ')
}

impl CountryCode {
    pub fn parse(text: &str) -> Result<CountryCode, String> {
        if iso_3166_alpha_2_codes().any(|c| c == text) {
            Ok(CountryCode(text.to_owned()))
        } else if iso_3166_alpha_2_codes().any(|c| c.eq_ignore_ascii_case(text)) {
            Err(format!(
                "`{text}`: country codes are upper case (`{}`)",
                text.to_ascii_uppercase()
            ))
        } else {
            Err(format!(
                "`{text}` is not an ISO 3166-1 alpha-2 country code (e.g. AU for Australia)"
            ))
        }
    }
}

fn split_address(text: &str) -> Option<(&str, DomainName)> {
    let (local, domain) = text.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+'".contains(c));
    let domain = DomainName::parse(domain).ok()?;
    local_ok.then_some((local, domain))
}

impl Upn {
    pub fn parse(text: &str) -> Result<Upn, String> {
        split_address(text).map(|_| Upn(text.to_owned())).ok_or_else(|| {
            format!("`{text}` is not a user principal name (e.g. break.glass_priv1@agency.onmicrosoft.com)")
        })
    }
}

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        split_address(text)
            .map(|_| Email(text.to_owned()))
            .ok_or_else(|| format!("`{text}` is not an email address"))
    }
}

fn parse_date(text: &str) -> Result<String, String> {
    let bad = || format!("`{text}` is not a date in the form YYYY-MM-DD");
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(bad());
    }
    let (month, day): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    Ok(text.to_owned())
}

// ---- reading ---------------------------------------------------------------------------------

#[derive(Deserialize)]
struct ProfileDoc {
    agency: Option<Spanned<AgencyTable>>,
    #[serde(default)]
    params: Option<ParamsTable>,
}

/// The profile's `[agency]` table as written, before its values are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyTable {
    name: Spanned<String>,
    domain: Spanned<String>,
    prefix: Spanned<String>,
    #[serde(default)]
    tenant_id: Option<Spanned<String>>,
    #[serde(default)]
    implementation: Option<Spanned<String>>,
}

/// The profile's `[params]` table as written, before its values are checked.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ParamsTable {
    #[serde(default)]
    trusted_ip_ranges: Vec<Spanned<String>>,
    #[serde(default)]
    allowed_countries: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    break_glass_upns: Vec<Spanned<String>>,
    #[serde(default)]
    contacts: ContactsTable,
    #[serde(default)]
    group_naming_policy: Option<Spanned<String>>,
    #[serde(default)]
    distribution_group_naming_policy: Option<Spanned<String>>,
    #[serde(default)]
    sharing_allowed_domains: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    guest_invitation_domains: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    terms_of_use_expiry_start: Option<Spanned<String>>,
    #[serde(default)]
    terms_of_use_pdf: Option<Spanned<String>>,
    #[serde(default)]
    logon_banner_title: Option<Spanned<String>>,
    #[serde(default)]
    logon_banner_text: Option<Spanned<String>>,
    #[serde(default)]
    protective_markings: Option<Spanned<Vec<ProtectiveMarkingTable>>>,
    #[serde(default)]
    remove_built_in_apps_script: Option<Spanned<String>>,
    #[serde(default)]
    wdac_base_policy_file: Option<Spanned<String>>,
    #[serde(default)]
    wdac_base_policy_id: Option<Spanned<String>>,
    #[serde(default)]
    applocker_admins_policy_file: Option<Spanned<String>>,
    #[serde(default)]
    applocker_users_policy_file: Option<Spanned<String>>,
    #[serde(default)]
    start_menu_layout_file: Option<Spanned<String>>,
    #[serde(default)]
    lock_screen_image_url: Option<Spanned<String>>,
    #[serde(default)]
    desktop_image_url: Option<Spanned<String>>,
    #[serde(default)]
    vpn_server: Option<Spanned<String>>,
    #[serde(default)]
    vpn_connection_type: Option<Spanned<String>>,
    #[serde(default)]
    explorer_dep: Option<Spanned<String>>,
    #[serde(default)]
    outlook_trusted_add_ins: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    outlook_managed_add_ins: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    powerpoint_97_2003_file_block: Option<Spanned<String>>,
    #[serde(default)]
    firewall_rules: Option<Spanned<String>>,
}

/// One `[[params.protective_markings]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtectiveMarkingTable {
    label: Spanned<String>,
    label_id: Spanned<String>,
    marking: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ContactsTable {
    #[serde(default)]
    technical: Option<Spanned<String>>,
    #[serde(default)]
    security: Option<Spanned<String>>,
    #[serde(default)]
    group_expiration: Option<Spanned<String>>,
}

/// The blueprint's naming requirement for Microsoft 365 groups. The ABAC leaves the policy to
/// the agency; its own Microsoft 365 groups are named `grp-…`, so that is the default.
pub const DEFAULT_GROUP_NAMING_POLICY: &str = "grp-[GroupName]";

/// The logon banner until the agency words its own (the ABAC: "Agency to define"): a warning
/// that the system is the agency's and for authorised use. The text follows the agency's name.
pub const DEFAULT_LOGON_BANNER_TITLE: &str = "Authorised use only";
pub const DEFAULT_LOGON_BANNER_TEXT: &str = " systems are for authorised use only. Use is monitored and logged; misuse may lead to disciplinary or legal action.";

impl AgencyProfile {
    /// Reads the `[agency]` and `[params]` tables of a profile, ignoring the rest. `name` is
    /// how diagnostics refer to the file.
    pub fn from_toml(name: &str, text: &str) -> Result<AgencyProfile, Diagnostics> {
        let doc: ProfileDoc = toml::from_str(text).map_err(|e| toml_error(name, text, &e))?;
        Self::from_tables(name, text, doc.agency, doc.params)
    }

    /// Builds the profile from its `[agency]` and `[params]` tables, read from `text` (the
    /// file `name`): every value checked, every problem located.
    pub fn from_tables(
        name: &str,
        text: &str,
        agency: Option<Spanned<AgencyTable>>,
        params: Option<ParamsTable>,
    ) -> Result<AgencyProfile, Diagnostics> {
        let mut sources = Sources::default();
        let file = sources.add(name, text);
        let mut reader = Reader {
            sources: &sources,
            file,
            text,
            problems: Diagnostics::default(),
        };
        let Some(agency) = agency else {
            return Err(Diagnostics(vec![
                sources
                    .diagnostic(
                        ErrorKind::MissingField,
                        reader.loc(&(0..0)),
                        "the profile has no [agency] table",
                    )
                    .with_help("add [agency] with name, domain and prefix"),
            ]));
        };
        let profile = reader.build(agency.into_inner(), params.unwrap_or_default());
        if reader.problems.is_empty() {
            Ok(profile)
        } else {
            Err(reader.problems)
        }
    }
}

/// A TOML error in the profile `name` as a located diagnostic, of the kind its message says.
pub fn toml_error(name: &str, text: &str, err: &toml::de::Error) -> Diagnostics {
    let kind = if err.message().contains("unknown field") {
        ErrorKind::UnknownField
    } else if err.message().contains("missing field") {
        ErrorKind::MissingField
    } else if err.message().contains("invalid type") {
        ErrorKind::InvalidValue
    } else {
        ErrorKind::Syntax
    };
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    let reader = Reader {
        sources: &sources,
        file,
        text,
        problems: Diagnostics::default(),
    };
    let at = reader.loc(&err.span().unwrap_or(0..0));
    Diagnostics(vec![sources.diagnostic(
        kind,
        at,
        err.message().trim().to_owned(),
    )])
}

struct Reader<'a> {
    sources: &'a Sources,
    file: FileId,
    text: &'a str,
    problems: Diagnostics,
}

impl Reader<'_> {
    fn loc(&self, span: &std::ops::Range<usize>) -> Loc {
        let (line, column) = line_col_of_offset(self.text, span.start);
        Loc {
            file: self.file,
            line,
            column,
            offset: Some(span.start),
            len: span.end.saturating_sub(span.start),
        }
    }

    /// Parses one value, recording a located problem if it is invalid.
    fn check<T>(
        &mut self,
        field: &str,
        value: &Spanned<String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value.get_ref()) {
            Ok(v) => Some(v),
            Err(message) => {
                let at = self.loc(&value.span());
                self.problems.push(self.sources.diagnostic(
                    ErrorKind::InvalidParameter,
                    at,
                    format!("{field}: {message}"),
                ));
                None
            }
        }
    }

    /// A table of name/value pairs (an administrative template list box's entries): at least
    /// one, each name and value checked; a bad value is reported where it is written, a bad
    /// name (a TOML key, which carries no position of its own) at its table.
    fn name_values(
        &mut self,
        field: &str,
        table: &Spanned<BTreeMap<String, Spanned<String>>>,
        name: impl Fn(&str) -> Result<String, String>,
        value: impl Fn(&str) -> Result<String, String>,
    ) -> Vec<(String, String)> {
        if table.get_ref().is_empty() {
            let at = self.loc(&table.span());
            self.problems.push(self.sources.diagnostic(
                ErrorKind::InvalidParameter,
                at,
                format!("{field}: the table names no add-in: list at least one, or leave {field} out for the manual step"),
            ));
            return Vec::new();
        }
        let mut pairs = Vec::new();
        for (key, v) in table.get_ref() {
            let key = match name(key) {
                Ok(k) => k,
                Err(message) => {
                    let at = self.loc(&table.span());
                    self.problems.push(self.sources.diagnostic(
                        ErrorKind::InvalidParameter,
                        at,
                        format!("{field}: {message}"),
                    ));
                    continue;
                }
            };
            if let Some(v) = self.check(field, v, &value) {
                pairs.push((key, v));
            }
        }
        pairs
    }

    fn check_all<T>(
        &mut self,
        field: &str,
        values: &[Spanned<String>],
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Vec<T> {
        values
            .iter()
            .filter_map(|v| self.check(field, v, &parse))
            .collect()
    }

    fn build(&mut self, agency: AgencyTable, params: ParamsTable) -> AgencyProfile {
        let placeholder_domain = DomainName("agency.invalid".into());
        let domain = self
            .check("agency.domain", &agency.domain, DomainName::parse)
            .unwrap_or(placeholder_domain);
        let prefix = self
            .check("agency.prefix", &agency.prefix, Prefix::parse)
            .unwrap_or(Prefix("X".into()));
        let tenant_id = agency
            .tenant_id
            .as_ref()
            .and_then(|t| self.check("agency.tenant_id", t, TenantId::parse));
        let implementation = agency
            .implementation
            .as_ref()
            .and_then(|i| {
                self.check("agency.implementation", i, |t| match t {
                    "cloud-native" => Ok(ImplementationType::CloudNative),
                    "hybrid" => Ok(ImplementationType::Hybrid),
                    other => Err(format!(
                        "`{other}` is not an implementation type: use cloud-native or hybrid"
                    )),
                })
            })
            .unwrap_or(ImplementationType::CloudNative);
        if agency.name.get_ref().trim().is_empty() {
            let at = self.loc(&agency.name.span());
            self.problems.push(self.sources.diagnostic(
                ErrorKind::InvalidParameter,
                at,
                "agency.name: the agency name is empty",
            ));
        }

        let trusted_ip_ranges = self.check_all(
            "params.trusted_ip_ranges",
            &params.trusted_ip_ranges,
            Cidr::parse,
        );
        let allowed_countries = match &params.allowed_countries {
            Some(list) => self.check_all("params.allowed_countries", list, CountryCode::parse),
            None => vec![CountryCode("AU".into())],
        };
        let break_glass_upns = self.check_all(
            "params.break_glass_upns",
            &params.break_glass_upns,
            Upn::parse,
        );
        let contacts = &params.contacts;
        let technical = contacts
            .technical
            .as_ref()
            .and_then(|c| self.check("params.contacts.technical", c, Email::parse));
        let security = contacts
            .security
            .as_ref()
            .and_then(|c| self.check("params.contacts.security", c, Email::parse));
        // The blueprint's address for expiry notices of groups with no owner.
        let default_group_expiration = Email(format!("Office365_Group_Expiration@{domain}"));
        let group_expiration = contacts
            .group_expiration
            .as_ref()
            .and_then(|c| self.check("params.contacts.group_expiration", c, Email::parse))
            .unwrap_or(default_group_expiration);
        let group_naming_policy = params
            .group_naming_policy
            .as_ref()
            .map(|p| p.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_GROUP_NAMING_POLICY.to_owned());
        let distribution_group_naming_policy = match &params.distribution_group_naming_policy {
            Some(policy) => self.check(
                "params.distribution_group_naming_policy",
                policy,
                parse_distribution_group_naming_policy,
            ),
            None => Some(exchange_naming_policy(&group_naming_policy)),
        }
        .unwrap_or_default();
        let sharing_allowed_domains = match &params.sharing_allowed_domains {
            Some(list) => self.check_all("params.sharing_allowed_domains", list, DomainName::parse),
            None => vec![domain.clone()],
        };
        let guest_invitation_domains = params
            .guest_invitation_domains
            .as_ref()
            .map(|list| self.guest_invitation_domains(list));
        let terms_of_use_expiry_start = params
            .terms_of_use_expiry_start
            .as_ref()
            .and_then(|d| self.check("params.terms_of_use_expiry_start", d, parse_date));
        let terms_of_use_pdf = params
            .terms_of_use_pdf
            .as_ref()
            .and_then(|p| self.check("params.terms_of_use_pdf", p, parse_workspace_path));
        let text_or = |value: &Option<Spanned<String>>, default: String| {
            value
                .as_ref()
                .map(|v| v.get_ref().trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
        };
        let agency_name = agency.name.get_ref().trim();
        let logon_banner_title = text_or(
            &params.logon_banner_title,
            DEFAULT_LOGON_BANNER_TITLE.to_owned(),
        );
        let logon_banner_text = text_or(
            &params.logon_banner_text,
            format!("{agency_name}{DEFAULT_LOGON_BANNER_TEXT}"),
        );
        let protective_markings = params
            .protective_markings
            .as_ref()
            .map(|list| self.protective_markings(list));
        let remove_built_in_apps_script = params
            .remove_built_in_apps_script
            .as_ref()
            .and_then(|p| {
                self.check(
                    "params.remove_built_in_apps_script",
                    p,
                    parse_file_or_builtin,
                )
            })
            .unwrap_or_else(|| crate::assets::REMOVE_BUILT_IN_APPS.to_owned());
        let wdac_base_policy_file = params
            .wdac_base_policy_file
            .as_ref()
            .and_then(|p| self.check("params.wdac_base_policy_file", p, parse_workspace_path));
        let wdac_base_policy_id = params
            .wdac_base_policy_id
            .as_ref()
            .and_then(|p| self.check("params.wdac_base_policy_id", p, parse_policy_guid));
        let mut file = |name: &str, value: &Option<Spanned<String>>| {
            value
                .as_ref()
                .and_then(|p| self.check(name, p, parse_workspace_path))
        };
        let applocker_admins_policy_file = file(
            "params.applocker_admins_policy_file",
            &params.applocker_admins_policy_file,
        );
        let applocker_users_policy_file = file(
            "params.applocker_users_policy_file",
            &params.applocker_users_policy_file,
        );
        let start_menu_layout_file = file(
            "params.start_menu_layout_file",
            &params.start_menu_layout_file,
        );
        let lock_screen_image_url = params
            .lock_screen_image_url
            .as_ref()
            .and_then(|p| self.check("params.lock_screen_image_url", p, parse_image_url));
        let desktop_image_url = params
            .desktop_image_url
            .as_ref()
            .and_then(|p| self.check("params.desktop_image_url", p, parse_image_url));
        let vpn_server = params
            .vpn_server
            .as_ref()
            .and_then(|p| self.check("params.vpn_server", p, parse_vpn_server));
        let vpn_connection_type = params
            .vpn_connection_type
            .as_ref()
            .and_then(|p| self.check("params.vpn_connection_type", p, parse_vpn_connection_type));
        let explorer_dep = params
            .explorer_dep
            .as_ref()
            .and_then(|p| self.check("params.explorer_dep", p, parse_explorer_dep));
        let outlook_trusted_add_ins = params.outlook_trusted_add_ins.as_ref().map(|t| {
            self.name_values(
                "params.outlook_trusted_add_ins",
                t,
                parse_trusted_add_in,
                parse_add_in_hash,
            )
        });
        let outlook_managed_add_ins = params.outlook_managed_add_ins.as_ref().map(|t| {
            self.name_values(
                "params.outlook_managed_add_ins",
                t,
                parse_prog_id,
                parse_managed_add_in_state,
            )
        });
        let powerpoint_97_2003_file_block =
            params.powerpoint_97_2003_file_block.as_ref().and_then(|p| {
                self.check(
                    "params.powerpoint_97_2003_file_block",
                    p,
                    parse_powerpoint_file_block,
                )
            });
        let firewall_rules = params
            .firewall_rules
            .as_ref()
            .and_then(|p| self.check("params.firewall_rules", p, parse_workspace_path));
        AgencyProfile {
            agency: Agency {
                name: agency.name.get_ref().trim().to_owned(),
                domain,
                prefix,
                tenant_id,
                implementation,
            },
            params: Params {
                trusted_ip_ranges,
                allowed_countries,
                break_glass_upns,
                contacts: Contacts {
                    technical,
                    security,
                    group_expiration,
                },
                group_naming_policy,
                distribution_group_naming_policy,
                sharing_allowed_domains,
                guest_invitation_domains,
                terms_of_use_expiry_start,
                terms_of_use_pdf,
                logon_banner_title,
                logon_banner_text,
                protective_markings,
                remove_built_in_apps_script,
                wdac_base_policy_file,
                wdac_base_policy_id,
                applocker_admins_policy_file,
                applocker_users_policy_file,
                start_menu_layout_file,
                lock_screen_image_url,
                desktop_image_url,
                vpn_server,
                vpn_connection_type,
                explorer_dep,
                outlook_trusted_add_ins,
                outlook_managed_add_ins,
                powerpoint_97_2003_file_block,
                firewall_rules,
                firewall_rule_set: None,
            },
        }
    }

    /// `params.guest_invitation_domains`: at least one domain (an allowlist that names none
    /// would refuse every invitation; Microsoft's guide offers "Allow invitations only to the
    /// specified domains" with target domains), each a domain name.
    fn guest_invitation_domains(
        &mut self,
        list: &Spanned<Vec<Spanned<String>>>,
    ) -> Vec<DomainName> {
        const FIELD: &str = "params.guest_invitation_domains";
        if list.get_ref().is_empty() {
            let at = self.loc(&list.span());
            self.problems.push(
                self.sources
                    .diagnostic(
                        ErrorKind::InvalidParameter,
                        at,
                        format!("{FIELD}: the list is empty"),
                    )
                    .with_help("name the domains guests may be invited from (the agency's own, e.g. agency.gov.au), or leave the parameter out to keep the collaboration restrictions a manual step"),
            );
            return Vec::new();
        }
        self.check_all(FIELD, list.get_ref(), DomainName::parse)
    }

    /// The `[[params.protective_markings]]` tables: at least one, each label named once and
    /// by its GUID, each marking in the PSPF's form.
    fn protective_markings(
        &mut self,
        list: &Spanned<Vec<ProtectiveMarkingTable>>,
    ) -> Vec<ProtectiveMarking> {
        const FIELD: &str = "params.protective_markings";
        if list.get_ref().is_empty() {
            let at = self.loc(&list.span());
            self.problems.push(
                self.sources
                    .diagnostic(
                        ErrorKind::InvalidParameter,
                        at,
                        format!("{FIELD}: the list is empty"),
                    )
                    .with_help("add a [[params.protective_markings]] table (label, label_id, marking) for each sensitivity label, or exclude exchange-mail-flow-rules"),
            );
            return Vec::new();
        }
        let mut out: Vec<ProtectiveMarking> = Vec::new();
        for table in list.get_ref() {
            let label = self.check(&format!("{FIELD}.label"), &table.label, |t| {
                let t = t.trim();
                if t.is_empty() {
                    Err("the label name is empty".to_owned())
                } else {
                    Ok(t.to_owned())
                }
            });
            let label_id = self.check(&format!("{FIELD}.label_id"), &table.label_id, |t| {
                TenantId::parse(t.trim())
                    .map(|g| g.to_string())
                    .map_err(|_| {
                        format!(
                            "`{t}` is not a sensitivity label id: expected the label's GUID (Get-Label | Select Name,Guid)"
                        )
                    })
            });
            let marking = self.check(
                &format!("{FIELD}.marking"),
                &table.marking,
                parse_protective_marking,
            );
            let (Some(label), Some(label_id), Some(marking)) = (label, label_id, marking) else {
                continue;
            };
            let duplicate = out
                .iter()
                .find(|m| m.label.eq_ignore_ascii_case(&label) || m.label_id == label_id);
            if let Some(earlier) = duplicate {
                let (span, what) = if earlier.label.eq_ignore_ascii_case(&label) {
                    (
                        table.label.span(),
                        format!("the label `{label}` is listed twice"),
                    )
                } else {
                    (
                        table.label_id.span(),
                        format!(
                            "the label id {label_id} is listed twice (also `{}`)",
                            earlier.label
                        ),
                    )
                };
                let at = self.loc(&span);
                self.problems.push(self.sources.diagnostic(
                    ErrorKind::InvalidParameter,
                    at,
                    format!("{FIELD}: {what}"),
                ));
                continue;
            }
            out.push(ProtectiveMarking {
                label,
                label_id,
                marking,
            });
        }
        out
    }
}

/// An email protective marking as the ABAC writes it
/// (`VER=2018.4, NS=gov.au, SEC=<CLASSIFICATION>, CAVEAT=<CAVEAT>, ACCESS=<IMM>`): one line,
/// with its version, the gov.au namespace and a security classification.
fn parse_protective_marking(text: &str) -> Result<String, String> {
    let text = text.trim();
    let has = |part: &str| {
        text.split(',')
            .any(|p| p.trim().to_ascii_uppercase().starts_with(part))
    };
    if text.contains(['\r', '\n']) {
        return Err("a protective marking is one header line".to_owned());
    }
    if !(has("VER=") && has("NS=GOV.AU") && has("SEC=")) {
        return Err(format!(
            "`{text}` is not a protective marking: expected \"VER=2018.4, NS=gov.au, SEC=<classification>\" (with CAVEAT= and ACCESS= where they apply)"
        ));
    }
    Ok(text.to_owned())
}

/// Exchange's spelling of an Entra group naming requirement: the same prefix and suffix, with
/// attributes in angle brackets instead of square ones (`grp-[Department]-[GroupName]` becomes
/// `grp-<Department>-<GroupName>`; Set-OrganizationConfig's DistributionGroupNamingPolicy
/// takes `<GroupName>`, `<Department>`, `<Company>`, `<Office>`, `<Title>`, … as Entra's
/// PrefixSuffixNamingRequirement takes them bracketed).
pub fn exchange_naming_policy(entra: &str) -> String {
    entra.replace('[', "<").replace(']', ">")
}

/// An Exchange distribution group naming policy: Exchange refuses one without the literal
/// `<GroupName>` (Set-OrganizationConfig's reference).
fn parse_distribution_group_naming_policy(text: &str) -> Result<String, String> {
    if text.contains("<GroupName>") {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` has no <GroupName>: Exchange's naming policy is prefix<GroupName>suffix, e.g. \"DL-<Department>-<GroupName>\""
        ))
    }
}

/// A path inside the workspace, as the profile names a file the tool sends (`$file`): relative,
/// and not climbing out with `..` (a link leading out is the engine's to refuse: it knows where
/// the workspace is).
pub fn parse_workspace_path(text: &str) -> Result<String, String> {
    use std::path::{Component, Path};
    if text.trim().is_empty() {
        return Err("the path is empty".into());
    }
    if Path::new(text)
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        || text.starts_with('\\')
        || text.get(1..2) == Some(":")
    {
        return Err(format!(
            "{text} is not inside the workspace: give a path relative to the workspace directory, without `..`"
        ));
    }
    Ok(text.to_owned())
}

/// A file the tool sends: a path inside the workspace ([`parse_workspace_path`]) or one of
/// the catalogue's own files (`builtin:RemoveBuiltInApps.ps1`, [`crate::assets`]).
pub fn parse_file_or_builtin(text: &str) -> Result<String, String> {
    if crate::assets::is_builtin(text) {
        return match crate::assets::builtin(text) {
            Some(_) => Ok(text.to_owned()),
            None => Err(format!(
                "{text} is not one of the catalogue's files (it has: {})",
                crate::assets::names().collect::<Vec<_>>().join(", ")
            )),
        };
    }
    parse_workspace_path(text)
}

/// A WDAC policy id: a GUID, with or without braces (`{A244370E-44C9-4C06-B551-F6016E563076}`,
/// as `<PolicyID>` writes it), kept without them: the ApplicationControl CSP names a policy's
/// node by its bare GUID (`./Vendor/MSFT/ApplicationControl/Policies/{Policy GUID}/Policy`, the
/// braces there marking the placeholder), in upper case as ConvertFrom-CIPolicy writes it.
fn parse_policy_guid(text: &str) -> Result<String, String> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text.trim());
    TenantId::parse(inner)
        .map(|_| inner.to_ascii_uppercase())
        .map_err(|_| {
            format!("`{text}` is not a policy id: expected the GUID of the policy's <PolicyID>, e.g. {{A244370E-44C9-4C06-B551-F6016E563076}}")
        })
}

/// A picture Windows shows (the Personalization CSP's DesktopImageUrl and LockScreenImageUrl,
/// Graph's `personalizationDesktopImageUrl`/`personalizationLockScreenImageUrl`): "an HTTP or
/// HTTPS URL to a remote image to be downloaded or a file URL to a local image".
fn parse_image_url(text: &str) -> Result<String, String> {
    let t = text.trim();
    let rest = ["https://", "http://", "file://"]
        .iter()
        .find_map(|scheme| {
            t.get(..scheme.len())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .map(|_| &t[scheme.len()..])
        });
    match rest {
        Some(rest) if !rest.is_empty() && !t.chars().any(char::is_whitespace) => Ok(t.to_owned()),
        _ => Err(format!(
            "`{text}` is not a picture's URL: give an http or https URL Windows downloads the .jpg, .jpeg or .png from (https://intranet.agency.gov.au/lock.jpg), or a file URL to one on the device (file:///C:/Windows/Web/lock.jpg)"
        )),
    }
}

/// `params.vpn_server`: the VPN server's IP address or host name, as the iOS VPN profile's
/// `server.address` takes it (the portal's "VPN server address"; the ABAC: `XXX.XXX.XXX.XXX`).
fn parse_vpn_server(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.parse::<IpAddr>().is_ok() {
        return Ok(t.to_owned());
    }
    DomainName::parse(t).map(|d| d.to_string()).map_err(|_| {
        format!("`{text}` is not a VPN server address: give its IP address (203.0.113.10) or host name (vpn.agency.gov.au), without a scheme or path")
    })
}

/// The connection types of Graph's beta `appleVpnConnectionType` (msgraph-metadata's beta
/// enum, in its order), which the iOS VPN profile's `connectionType` takes: the provider
/// ("Connection Type: VPN Provider" in the ABAC) is the agency's.
const APPLE_VPN_CONNECTION_TYPES: &[&str] = &[
    "ciscoAnyConnect",
    "pulseSecure",
    "f5EdgeClient",
    "dellSonicWallMobileConnect",
    "checkPointCapsuleVpn",
    "customVpn",
    "ciscoIPSec",
    "citrix",
    "ciscoAnyConnectV2",
    "paloAltoGlobalProtect",
    "zscalerPrivateAccess",
    "f5Access2018",
    "citrixSso",
    "paloAltoGlobalProtectV2",
    "ikEv2",
    "alwaysOn",
    "microsoftTunnel",
    "netMotionMobility",
    "microsoftProtect",
];

/// `params.vpn_connection_type`: one of [`APPLE_VPN_CONNECTION_TYPES`], spelled as Graph
/// spells it (an enum member is case-sensitive in Graph's JSON).
fn parse_vpn_connection_type(text: &str) -> Result<String, String> {
    let t = text.trim();
    if APPLE_VPN_CONNECTION_TYPES.contains(&t) {
        return Ok(t.to_owned());
    }
    let hint = APPLE_VPN_CONNECTION_TYPES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(t))
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{text}` is not an iOS VPN connection type{hint}: use one of Graph's appleVpnConnectionType values: {}",
        APPLE_VPN_CONNECTION_TYPES.join(", ")
    ))
}

/// `params.explorer_dep`'s choices: whose value the two File Explorer settings take.
pub const EXPLORER_DEP_CHOICES: &[&str] = &["abac", "acsc"];

/// `params.explorer_dep`: `abac` or `acsc` ([`Params::explorer_dep`]), in lower case.
fn parse_explorer_dep(text: &str) -> Result<String, String> {
    let t = text.trim();
    if EXPLORER_DEP_CHOICES.contains(&t) {
        return Ok(t.to_owned());
    }
    let hint = EXPLORER_DEP_CHOICES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(t))
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{text}` is not a choice for Explorer's DEP and heap termination{hint}: use `abac` (both settings Enabled, as the ABAC: DEP and heap termination off for Explorer) or `acsc` (both Disabled, as ACSC's hardening guide)"
    ))
}

/// A trusted add-in's name in Outlook's "Configure trusted add-ins": its DLL file name (the
/// ADML: "Enter the DLL filename for Value Name").
fn parse_trusted_add_in(text: &str) -> Result<String, String> {
    let t = text.trim();
    let is_file_name = !t.is_empty() && !t.contains(['\\', '/']);
    if is_file_name && t.to_ascii_lowercase().ends_with(".dll") {
        Ok(t.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a DLL file name: name each trusted add-in by its DLL's file name (e.g. \"addin.dll\"), as Outlook's list asks"
        ))
    }
}

/// A trusted add-in's hash (the ADML: "the hash result for Value"): one word, no spaces.
fn parse_add_in_hash(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        Err(format!(
            "`{text}` is not a hash: give the add-in DLL's hash result as one word"
        ))
    } else {
        Ok(t.to_owned())
    }
}

/// A managed add-in's name in Outlook's "List of managed add-ins": a COM add-in's ProgID
/// (`Vendor.Component.1`: letters, digits, dots, underscores and hyphens).
fn parse_prog_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    let valid = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(t.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a ProgID: name each COM add-in by its ProgID (a key under HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Office\\Outlook\\Addins), as Outlook's list asks"
        ))
    }
}

/// A managed add-in's value (the ADML): 0 always disabled (blocked), 1 always enabled, 2
/// configurable by the user.
fn parse_managed_add_in_state(text: &str) -> Result<String, String> {
    match text.trim() {
        t @ ("0" | "1" | "2") => Ok(t.to_owned()),
        _ => Err(format!(
            "`{text}` is not a managed add-in's value: use \"0\" (always disabled), \"1\" (always enabled) or \"2\" (configurable by the user)"
        )),
    }
}

/// The options of PowerPoint's "PowerPoint 97-2003 presentations, shows, templates and add-in
/// files" file block drop-down ("File block setting:"), each with its registry value, from
/// Microsoft's ppt16 ADMX/ADML (L_PPTFileBlockStr1..6, binaryfiles 0..5).
pub const POWERPOINT_FILE_BLOCK_OPTIONS: &[(&str, &str)] = &[
    ("Do not block", "0"),
    ("Save blocked", "1"),
    ("Open/Save blocked, use open policy", "2"),
    ("Block", "3"),
    ("Open in Protected View", "4"),
    ("Allow editing and open in Protected View", "5"),
];

/// `params.powerpoint_97_2003_file_block`: one of [`POWERPOINT_FILE_BLOCK_OPTIONS`] by its
/// name, as the portal's drop-down shows it; its registry value.
fn parse_powerpoint_file_block(text: &str) -> Result<String, String> {
    let t = text.trim();
    if let Some((_, value)) = POWERPOINT_FILE_BLOCK_OPTIONS.iter().find(|(n, _)| *n == t) {
        return Ok((*value).to_owned());
    }
    let hint = POWERPOINT_FILE_BLOCK_OPTIONS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(t))
        .map(|(n, _)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    let names: Vec<&str> = POWERPOINT_FILE_BLOCK_OPTIONS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    Err(format!(
        "`{text}` is not a file block setting of PowerPoint 97-2003 files{hint}: use one of {}",
        names.join("; ")
    ))
}

impl AgencyProfile {
    /// Reads the firewall rules file the profile names (`params.firewall_rules`): `name` is
    /// how errors name the file, `text` its contents. A file with any rule Intune cannot take
    /// is refused whole, each problem at its line and column.
    pub fn read_firewall_rules(&mut self, name: &str, text: &str) -> Result<(), Diagnostics> {
        self.params.firewall_rule_set = Some(crate::firewall::parse(name, text)?);
        Ok(())
    }

    /// The value of a template parameter (`agency.name`, `params.allowed_countries`, …), or
    /// `None` when the profile leaves an optional one unset.
    pub fn lookup(&self, name: &str) -> Option<Value> {
        let a = &self.agency;
        let p = &self.params;
        let texts =
            |items: Vec<String>| Value::Array(items.into_iter().map(Value::String).collect());
        let name_values = |pairs: &Vec<(String, String)>| {
            Value::Array(
                pairs
                    .iter()
                    .map(|(name, value)| json!({"name": name, "value": value}))
                    .collect(),
            )
        };
        Some(match name {
            "agency.name" => Value::String(a.name.clone()),
            "agency.domain" => Value::String(a.domain.to_string()),
            "agency.prefix" => Value::String(a.prefix.to_string()),
            "agency.tenant_id" => Value::String(a.tenant_id.as_ref()?.to_string()),
            "agency.implementation" => Value::String(a.implementation.as_str().to_owned()),
            "params.trusted_ip_ranges" => {
                texts(p.trusted_ip_ranges.iter().map(Cidr::to_string).collect())
            }
            "params.allowed_countries" => {
                texts(p.allowed_countries.iter().map(|c| c.0.clone()).collect())
            }
            "params.break_glass_upns" => {
                texts(p.break_glass_upns.iter().map(|u| u.0.clone()).collect())
            }
            "params.contacts.technical" => {
                Value::String(p.contacts.technical.as_ref()?.to_string())
            }
            "params.contacts.security" => Value::String(p.contacts.security.as_ref()?.to_string()),
            "params.contacts.group_expiration" => {
                Value::String(p.contacts.group_expiration.to_string())
            }
            "params.group_naming_policy" => Value::String(p.group_naming_policy.clone()),
            "params.distribution_group_naming_policy" => {
                Value::String(p.distribution_group_naming_policy.clone())
            }
            "params.sharing_allowed_domains" => texts(
                p.sharing_allowed_domains
                    .iter()
                    .map(DomainName::to_string)
                    .collect(),
            ),
            "params.guest_invitation_domains" => texts(
                p.guest_invitation_domains
                    .as_ref()?
                    .iter()
                    .map(DomainName::to_string)
                    .collect(),
            ),
            "params.terms_of_use_expiry_start" => {
                Value::String(p.terms_of_use_expiry_start.clone()?)
            }
            "params.terms_of_use_pdf" => Value::String(p.terms_of_use_pdf.clone()?),
            "params.logon_banner_title" => Value::String(p.logon_banner_title.clone()),
            "params.logon_banner_text" => Value::String(p.logon_banner_text.clone()),
            "params.protective_markings" => Value::Array(
                p.protective_markings
                    .as_ref()?
                    .iter()
                    .map(
                        |m| json!({"label": m.label, "label_id": m.label_id, "marking": m.marking}),
                    )
                    .collect(),
            ),
            "params.remove_built_in_apps_script" => {
                Value::String(p.remove_built_in_apps_script.clone())
            }
            "params.wdac_base_policy_file" => Value::String(p.wdac_base_policy_file.clone()?),
            "params.wdac_base_policy_id" => Value::String(p.wdac_base_policy_id.clone()?),
            "params.applocker_admins_policy_file" => {
                Value::String(p.applocker_admins_policy_file.clone()?)
            }
            "params.applocker_users_policy_file" => {
                Value::String(p.applocker_users_policy_file.clone()?)
            }
            "params.start_menu_layout_file" => Value::String(p.start_menu_layout_file.clone()?),
            "params.lock_screen_image_url" => Value::String(p.lock_screen_image_url.clone()?),
            "params.desktop_image_url" => Value::String(p.desktop_image_url.clone()?),
            "params.vpn_server" => Value::String(p.vpn_server.clone()?),
            "params.vpn_connection_type" => Value::String(p.vpn_connection_type.clone()?),
            "params.explorer_dep" => Value::String(p.explorer_dep.clone()?),
            "params.outlook_trusted_add_ins" => name_values(p.outlook_trusted_add_ins.as_ref()?),
            "params.outlook_managed_add_ins" => name_values(p.outlook_managed_add_ins.as_ref()?),
            "params.powerpoint_97_2003_file_block" => {
                Value::String(p.powerpoint_97_2003_file_block.clone()?)
            }
            "params.firewall_rules" => {
                Value::Array(crate::firewall::policies(p.firewall_rule_set.as_ref()?))
            }
            _ => return None,
        })
    }
}
