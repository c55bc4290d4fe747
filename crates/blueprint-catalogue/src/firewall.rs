//! Windows Firewall rules an agency captured on its reference computer (the ABAC's "Windows
//! Firewall rules import", wfw-rules-import.md), read from a JSON file in the workspace and
//! turned into Intune's Windows Firewall Rules policies.
//!
//! The file is what this PowerShell command writes on the reference computer (the catalogue's
//! `intune-endpoint-security-firewall-rules` feature documents it): one object per rule, the
//! rule's own properties and those of its application, service, port, address and interface
//! type filters, enumerations as their names.
//!
//! ```powershell
//! Get-NetFirewallRule -PolicyStore ActiveStore | ForEach-Object { $a = $_ | Get-NetFirewallApplicationFilter; $s = $_ | Get-NetFirewallServiceFilter; $p = $_ | Get-NetFirewallPortFilter; $d = $_ | Get-NetFirewallAddressFilter; $i = $_ | Get-NetFirewallInterfaceTypeFilter; [pscustomobject]@{ DisplayName = $_.DisplayName; Description = $_.Description; Direction = "$($_.Direction)"; Action = "$($_.Action)"; Enabled = "$($_.Enabled)"; Profile = "$($_.Profile)"; Program = $a.Program; Package = $a.Package; Service = $s.Service; Protocol = "$($p.Protocol)"; LocalPort = @($p.LocalPort); RemotePort = @($p.RemotePort); LocalAddress = @($d.LocalAddress); RemoteAddress = @($d.RemoteAddress); InterfaceType = "$($i.InterfaceType)" } } | ConvertTo-Json -Depth 3 | Set-Content -Encoding UTF8 firewall-rules.json
//! ```
//!
//! Each rule becomes one item of the Firewall CSP's `MdmStore/FirewallRules/{FirewallRuleName}`
//! group collection (settings catalog definition
//! `vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}`, the template
//! `19c8aa67-f286-4861-9aa0-f23541d31680_1` "Windows Firewall Rules"), at most
//! [`RULES_PER_POLICY`] to a policy, as the migration tool spreads them (policy-0, policy-1, …).
//!
//! What Intune's rules cannot carry is refused, at the file's line and column, rather than
//! dropped: a port keyword (`RPC`, `Teredo`, …), a local address keyword, an app package named
//! only by its SID (the CSP takes a package family name), an action or direction other than
//! the CSP's. So are the mistakes a review should catch: a rule without a name, two rules of one
//! name (drift names a rule by its name), an unknown field.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::node::{Node, NodeValue};
use crate::source::{Diagnostic, Diagnostics, ErrorKind, Loc, Sources};

/// The most rules one Windows Firewall Rules policy takes (the group collection's
/// `maximumCount`; the ABAC: "the total limit of individual rules allowed per policy is 150").
pub const RULES_PER_POLICY: usize = 150;

/// The Windows Firewall Rules template (endpoint security, family `endpointSecurityFirewall`).
pub const TEMPLATE_ID: &str = "19c8aa67-f286-4861-9aa0-f23541d31680_1";

/// The rules' group collection setting; each child's id is this, `_` and the CSP node.
pub const RULES_SETTING: &str = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";

/// The fields of one element of `params.firewall_rules` as a `for_each` walks it: the policy's
/// number (`"0"`, `"1"`, …), how many rules it holds, and its settings.
pub const POLICY_FIELDS: &[&str] = &["index", "rules", "settings"];

/// The key of one rule within the group collection as drift names it: its `Name` child's value.
pub const RULE_KEY: &str = "children[settingDefinitionId=vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}_name].simpleSettingValue.value";

/// One rule as Intune's Firewall CSP takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRule {
    pub name: String,
    pub description: Option<String>,
    /// `in` or `out`.
    pub direction: &'static str,
    /// `1` allow, `0` block (the CSP's Action/Type).
    pub action: &'static str,
    pub enabled: bool,
    /// The CSP's profile flags (`1` domain, `2` private, `4` public); empty for every profile.
    pub profiles: Vec<&'static str>,
    pub file_path: Option<String>,
    pub service_name: Option<String>,
    pub package_family_name: Option<String>,
    /// IANA protocol number; `None` for any.
    pub protocol: Option<u8>,
    pub local_ports: Vec<String>,
    pub remote_ports: Vec<String>,
    pub local_addresses: Vec<String>,
    pub remote_addresses: Vec<String>,
    /// `lan`, `wireless`, `remoteaccess`; empty for all.
    pub interface_types: Vec<&'static str>,
}

/// The rules file a profile names (`params.firewall_rules`), once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRules {
    /// The path as the profile gives it.
    pub path: String,
    pub rules: Vec<FirewallRule>,
}

const FIELDS: &[&str] = &[
    "DisplayName",
    "Description",
    "Direction",
    "Action",
    "Enabled",
    "Profile",
    "Program",
    "Package",
    "PackageFamilyName",
    "Service",
    "Protocol",
    "LocalPort",
    "RemotePort",
    "LocalAddress",
    "RemoteAddress",
    "InterfaceType",
];

/// The remote address keywords the Firewall CSP takes, as it spells them.
const REMOTE_KEYWORDS: &[&str] = &[
    "Defaultgateway",
    "DHCP",
    "DNS",
    "WINS",
    "Intranet",
    "RmtIntranet",
    "Internet",
    "Ply2Renders",
    "LocalSubnet",
];

/// Reads a rules file: `name` is how errors name it (its path), `text` its contents.
pub fn parse(name: &str, text: &str) -> Result<Vec<FirewallRule>, Diagnostics> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    let mut problems = Diagnostics::default();
    let whole = Loc {
        file,
        line: 1,
        column: 1,
        offset: Some(0),
        len: 0,
    };
    // JSON first, for the syntax errors a person can act on; then the same text as YAML (a
    // superset of JSON) for each value's position.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let at = Loc {
            line: e.line() as u64,
            column: e.column() as u64,
            offset: None,
            ..whole
        };
        let mut d = sources.diagnostic(
            ErrorKind::Syntax,
            at,
            // serde_json's message without its own " at line … column …".
            format!(
                "the firewall rules file is not JSON: {}",
                e.to_string()
                    .rsplit_once(" at line ")
                    .map_or(e.to_string(), |(m, _)| m.to_owned())
            ),
        );
        d.help = Some(
            "write it with the command the firewall rules feature gives (ConvertTo-Json on the reference computer)"
                .into(),
        );
        problems.push(d);
        return Err(problems);
    }
    let root = match serde_saphyr::from_str::<Node>(text) {
        Ok(mut node) => {
            node.stamp(file);
            node
        }
        Err(e) => {
            problems.push(sources.diagnostic(
                ErrorKind::Syntax,
                whole,
                format!("the firewall rules file could not be read: {e}"),
            ));
            return Err(problems);
        }
    };
    let items: Vec<&Node> = match &root.value {
        NodeValue::Seq(items) => items.iter().collect(),
        // ConvertTo-Json writes a single rule as an object, not a list of one.
        NodeValue::Map(_) => vec![&root],
        _ => {
            problems.push(sources.diagnostic(
                ErrorKind::InvalidValue,
                root.at,
                "the firewall rules file holds a list of rules (JSON objects)",
            ));
            return Err(problems);
        }
    };
    if items.is_empty() {
        problems.push(
            sources
                .diagnostic(ErrorKind::InvalidValue, root.at, "the firewall rules file has no rules")
                .with_help("export the reference computer's rules into it, or remove params.firewall_rules to keep the import manual"),
        );
        return Err(problems);
    }
    let mut reader = Reader {
        sources: &sources,
        problems: &mut problems,
    };
    let mut rules: Vec<(FirewallRule, Loc)> = Vec::new();
    for item in items {
        if let Some((rule, at)) = reader.rule(item) {
            if let Some((_, first)) = rules
                .iter()
                .find(|(r, _)| r.name.eq_ignore_ascii_case(&rule.name))
            {
                let first_line = first.line;
                reader.problem(
                    ErrorKind::InvalidValue,
                    at,
                    format!(
                        "a second rule named `{}` (the first is at line {first_line})",
                        rule.name
                    ),
                    "Intune names a rule by its name: delete the duplicate, or rename one (the migration tool appends -1, -2)",
                );
                continue;
            }
            rules.push((rule, at));
        }
    }
    if problems.is_empty() {
        Ok(rules.into_iter().map(|(r, _)| r).collect())
    } else {
        Err(problems)
    }
}

struct Reader<'a> {
    sources: &'a Sources,
    problems: &'a mut Diagnostics,
}

impl Reader<'_> {
    fn problem(&mut self, kind: ErrorKind, at: Loc, message: String, help: &str) {
        let d: Diagnostic = self.sources.diagnostic(kind, at, message).with_help(help);
        self.problems.push(d);
    }

    /// One rule; `None` (with its problems recorded) when it cannot be imported. The location
    /// returned is its name's.
    fn rule(&mut self, node: &Node) -> Option<(FirewallRule, Loc)> {
        let Some(entries) = node.entries() else {
            self.problem(
                ErrorKind::InvalidValue,
                node.at,
                "a firewall rule is a JSON object".into(),
                "each element of the list is one rule's properties",
            );
            return None;
        };
        let before = self.problems.0.len();
        let mut fields: Vec<(&'static str, &Node)> = Vec::new();
        for (key, value) in entries {
            match FIELDS.iter().find(|f| f.eq_ignore_ascii_case(&key.name)) {
                Some(f) => fields.push((f, value)),
                None => {
                    let help = match crate::kinds::did_you_mean(&key.name, FIELDS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a rule's fields are {}", FIELDS.join(", ")),
                    };
                    self.problem(
                        ErrorKind::UnknownField,
                        key.at,
                        format!("`{}` is not a field of a firewall rule", key.name),
                        &help,
                    );
                }
            }
        }
        let get = |name: &str| fields.iter().find(|(f, _)| *f == name).map(|(_, v)| *v);
        let name = match get("DisplayName").map(|n| (self.text(n), n.at)) {
            Some((Some(n), at)) if !n.trim().is_empty() => Some((n.trim().to_owned(), at)),
            Some((_, at)) => {
                self.problem(
                    ErrorKind::MissingField,
                    at,
                    "a firewall rule without a name (DisplayName is empty)".into(),
                    "give the rule a name, or delete it",
                );
                None
            }
            None => {
                self.problem(
                    ErrorKind::MissingField,
                    node.at,
                    "a firewall rule without a name (no DisplayName)".into(),
                    "give the rule a DisplayName, or delete it",
                );
                None
            }
        };
        let direction = self.choice(
            get("Direction"),
            node.at,
            "Direction",
            &[("Inbound", "in"), ("Outbound", "out")],
        );
        let action = self.choice(
            get("Action"),
            node.at,
            "Action",
            &[("Allow", "1"), ("Block", "0")],
        );
        let enabled = self.choice(
            get("Enabled"),
            node.at,
            "Enabled",
            &[("True", "1"), ("False", "0")],
        );
        let profiles = self.flags(
            get("Profile"),
            "Profile",
            &[("Domain", "1"), ("Private", "2"), ("Public", "4")],
        );
        let interface_types = self.flags(
            get("InterfaceType"),
            "InterfaceType",
            &[
                ("Wired", "lan"),
                ("Wireless", "wireless"),
                ("RemoteAccess", "remoteaccess"),
            ],
        );
        let any = |v: Option<String>| v.filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("Any"));
        let description = get("Description")
            .and_then(|n| self.text(n))
            .filter(|s| !s.is_empty());
        let file_path = any(get("Program").and_then(|n| self.text(n)));
        let service_name = any(get("Service").and_then(|n| self.text(n)));
        let package_family_name = any(get("PackageFamilyName").and_then(|n| self.text(n)));
        if let Some(package) = get("Package")
            && let Some(sid) = any(self.text(package))
            && package_family_name.is_none()
        {
            self.problem(
                ErrorKind::InvalidValue,
                package.at,
                format!("the rule names its app package by SID ({sid}); Intune's firewall rules take the package's family name"),
                "add the package's family name as PackageFamilyName (Get-AppxPackage shows it), or delete the rule",
            );
        }
        let known = self.problems.0.len();
        let protocol = get("Protocol").and_then(|n| self.protocol(n));
        let protocol_read = self.problems.0.len() == known;
        let local_ports = self.ports(get("LocalPort"), "LocalPort");
        let remote_ports = self.ports(get("RemotePort"), "RemotePort");
        let ports_at = match (local_ports.is_empty(), remote_ports.is_empty()) {
            (false, _) => get("LocalPort"),
            (true, false) => get("RemotePort"),
            (true, true) => None,
        };
        if protocol_read
            && !matches!(protocol, Some(6 | 17))
            && let Some(at) = ports_at.map(|n| n.at)
        {
            self.problem(
                ErrorKind::InvalidValue,
                at,
                "ports apply to TCP or UDP rules only, and this rule's protocol is neither".into(),
                "set Protocol to TCP or UDP, or remove the ports",
            );
        }
        let local_addresses = self.addresses(get("LocalAddress"), "LocalAddress", false);
        let remote_addresses = self.addresses(get("RemoteAddress"), "RemoteAddress", true);
        if self.problems.0.len() > before {
            return None;
        }
        let (name, at) = name?;
        Some((
            FirewallRule {
                name,
                description,
                direction: direction?,
                action: action?,
                enabled: enabled? == "1",
                profiles,
                file_path,
                service_name,
                package_family_name,
                protocol,
                local_ports,
                remote_ports,
                local_addresses,
                remote_addresses,
                interface_types,
            },
            at,
        ))
    }

    /// A text value; `null` is none. Anything else is a problem.
    fn text(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            NodeValue::Str(s) => Some(s.clone()),
            NodeValue::Null => None,
            _ => {
                self.problem(
                    ErrorKind::InvalidValue,
                    node.at,
                    "expected text".into(),
                    "write the value as a JSON string",
                );
                None
            }
        }
    }

    /// Text or a list of texts, each with its position; `null` is none.
    fn texts(&mut self, node: Option<&Node>) -> Vec<(String, Loc)> {
        let Some(node) = node else {
            return Vec::new();
        };
        match &node.value {
            NodeValue::Seq(items) => items
                .iter()
                .filter_map(|i| self.text(i).map(|t| (t, i.at)))
                .collect(),
            _ => self
                .text(node)
                .map(|t| vec![(t, node.at)])
                .unwrap_or_default(),
        }
    }

    /// One of `options` (`(as PowerShell names it, as the CSP takes it)`), required.
    fn choice(
        &mut self,
        node: Option<&Node>,
        rule_at: Loc,
        field: &str,
        options: &[(&str, &'static str)],
    ) -> Option<&'static str> {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let Some(node) = node else {
            self.problem(
                ErrorKind::MissingField,
                rule_at,
                format!("the rule has no {field}"),
                &format!("set {field} to one of {}", names.join(", ")),
            );
            return None;
        };
        let text = match &node.value {
            NodeValue::Str(s) => s.clone(),
            NodeValue::Int(i) => i.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            _ => String::new(),
        };
        match options
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text.trim()))
        {
            Some((_, csp)) => Some(*csp),
            None => {
                let help = if matches!(node.value, NodeValue::Int(_)) {
                    format!(
                        "{field} must be written by its name ({}), as the command's \"$(…)\" does; ConvertTo-Json alone writes the enumeration's number",
                        names.join(", ")
                    )
                } else {
                    format!(
                        "Intune's firewall rules take {field} {}",
                        names.join(" or ")
                    )
                };
                self.problem(
                    ErrorKind::InvalidValue,
                    node.at,
                    format!("unknown {field} `{text}`"),
                    &help,
                );
                None
            }
        }
    }

    /// Flags as PowerShell writes a flags enumeration (`Domain, Private`); `Any` (or nothing)
    /// is every one, which the CSP takes as the setting left out.
    fn flags(
        &mut self,
        node: Option<&Node>,
        field: &str,
        options: &[(&str, &'static str)],
    ) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (text, at) in self.texts(node) {
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if part.eq_ignore_ascii_case("Any") {
                    continue;
                }
                match options.iter().find(|(n, _)| n.eq_ignore_ascii_case(part)) {
                    Some((_, csp)) if !out.contains(csp) => out.push(*csp),
                    Some(_) => {}
                    None => {
                        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                        self.problem(
                            ErrorKind::InvalidValue,
                            at,
                            format!("unknown {field} `{part}`"),
                            &format!("{field} is Any or a list of {}", names.join(", ")),
                        );
                    }
                }
            }
        }
        // The CSP's own order, whatever order the file lists them in.
        out.sort_by_key(|v| options.iter().position(|(_, c)| c == v));
        out
    }

    fn protocol(&mut self, node: &Node) -> Option<u8> {
        let text = match &node.value {
            NodeValue::Int(i) => i.to_string(),
            _ => self.text(node)?,
        };
        let known = [("TCP", 6), ("UDP", 17), ("ICMPv4", 1), ("ICMPv6", 58)];
        if text.is_empty() || text.eq_ignore_ascii_case("Any") {
            return None;
        }
        if let Some((_, n)) = known.iter().find(|(k, _)| k.eq_ignore_ascii_case(&text)) {
            return Some(*n);
        }
        match text.parse::<u8>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.problem(
                    ErrorKind::InvalidValue,
                    node.at,
                    format!("unknown Protocol `{text}`"),
                    "Protocol is Any, TCP, UDP, ICMPv4, ICMPv6 or an IANA protocol number from 0 to 255",
                );
                None
            }
        }
    }

    fn ports(&mut self, node: Option<&Node>, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (text, at) in self.texts(node) {
            let text = text.trim();
            if text.eq_ignore_ascii_case("Any") || text.is_empty() {
                continue;
            }
            let port = |p: &str| p.trim().parse::<u16>().ok();
            let valid = match text.split_once('-') {
                Some((a, b)) => matches!((port(a), port(b)), (Some(a), Some(b)) if a <= b),
                None => port(text).is_some(),
            };
            if valid {
                out.push(text.to_owned());
            } else {
                self.problem(
                    ErrorKind::InvalidValue,
                    at,
                    format!("{field} `{text}` is not a port or a range of ports"),
                    "Intune's firewall rules take ports (0-65535) and ranges (5000-5020) only, not Windows' port keywords (RPC, RPCEPMap, IPHTTPSIn, Teredo, …): delete the rule, or replace the keyword with the ports it stands for",
                );
            }
        }
        out
    }

    fn addresses(&mut self, node: Option<&Node>, field: &str, remote: bool) -> Vec<String> {
        let mut out = Vec::new();
        for (text, at) in self.texts(node) {
            let text = text.trim();
            if text.eq_ignore_ascii_case("Any") || text == "*" || text.is_empty() {
                continue;
            }
            let keyword = REMOTE_KEYWORDS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(text))
                .filter(|_| remote);
            if let Some(k) = keyword {
                out.push((*k).to_owned());
            } else if address_range(text) {
                out.push(text.to_owned());
            } else {
                let help = if remote {
                    format!(
                        "an address, a subnet (10.0.0.0/8 or 10.0.0.0/255.0.0.0), a range (10.0.0.1-10.0.0.9) or one of {}",
                        REMOTE_KEYWORDS.join(", ")
                    )
                } else {
                    "an address, a subnet (10.0.0.0/8 or 10.0.0.0/255.0.0.0) or a range (10.0.0.1-10.0.0.9): Intune's local addresses take no keywords".to_owned()
                };
                self.problem(
                    ErrorKind::InvalidValue,
                    at,
                    format!("{field} `{text}` is not an address Intune's firewall rules take"),
                    &help,
                );
            }
        }
        out
    }
}

/// An IPv4 or IPv6 address, a subnet by prefix length or (IPv4) mask, or a range of two
/// addresses of one family.
fn address_range(text: &str) -> bool {
    let ip = |s: &str| s.trim().parse::<IpAddr>().ok();
    if let Some((a, b)) = text.split_once('-') {
        return matches!((ip(a), ip(b)), (Some(a), Some(b)) if a.is_ipv4() == b.is_ipv4());
    }
    if let Some((a, suffix)) = text.split_once('/') {
        let Some(addr) = ip(a) else {
            return false;
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        return suffix.parse::<u8>().is_ok_and(|p| p <= max)
            || (addr.is_ipv4() && suffix.parse::<std::net::Ipv4Addr>().is_ok());
    }
    ip(text).is_some()
}

fn child(suffix: &str) -> String {
    format!("{RULES_SETTING}_{suffix}")
}

fn simple_string(suffix: &str, value: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
        "settingDefinitionId": child(suffix),
        "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": value},
    })
}

fn choice(suffix: &str, option: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": child(suffix),
        "choiceSettingValue": {"value": format!("{}_{option}", child(suffix)), "children": []},
    })
}

fn choices(suffix: &str, options: &[&str]) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance",
        "settingDefinitionId": child(suffix),
        "choiceSettingCollectionValue": options
            .iter()
            .map(|o| json!({"value": format!("{}_{o}", child(suffix)), "children": []}))
            .collect::<Vec<_>>(),
    })
}

fn strings(suffix: &str, values: &[String]) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
        "settingDefinitionId": child(suffix),
        "simpleSettingCollectionValue": values
            .iter()
            .map(|v| json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": v}))
            .collect::<Vec<_>>(),
    })
}

/// One rule as an item of the rules' group collection: its settings, each only when the rule
/// sets it (a setting left out is the CSP's "any").
pub fn rule_value(rule: &FirewallRule) -> Value {
    let mut children = vec![
        simple_string("name", &rule.name),
        choice("direction", rule.direction),
        choice("action_type", rule.action),
        choice("enabled", if rule.enabled { "1" } else { "0" }),
    ];
    if let Some(d) = &rule.description {
        children.push(simple_string("description", d));
    }
    if !rule.profiles.is_empty() {
        children.push(choices("profiles", &rule.profiles));
    }
    if let Some(p) = &rule.file_path {
        children.push(simple_string("app_filepath", p));
    }
    if let Some(s) = &rule.service_name {
        children.push(simple_string("app_servicename", s));
    }
    if let Some(p) = &rule.package_family_name {
        children.push(simple_string("app_packagefamilyname", p));
    }
    if let Some(p) = rule.protocol {
        children.push(json!({
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": child("protocol"),
            "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": p},
        }));
    }
    for (suffix, values) in [
        ("localportranges", &rule.local_ports),
        ("remoteportranges", &rule.remote_ports),
        ("localaddressranges", &rule.local_addresses),
        ("remoteaddressranges", &rule.remote_addresses),
    ] {
        if !values.is_empty() {
            children.push(strings(suffix, values));
        }
    }
    if !rule.interface_types.is_empty() {
        children.push(choices("interfacetypes", &rule.interface_types));
    }
    json!({"children": children})
}

/// The rules as Windows Firewall Rules policies, [`RULES_PER_POLICY`] to a policy in the
/// file's order: each `{index, rules, settings}` ([`POLICY_FIELDS`]), `settings` being the
/// policy's one setting, the rules' group collection.
pub fn policies(rules: &[FirewallRule]) -> Vec<Value> {
    rules
        .chunks(RULES_PER_POLICY)
        .enumerate()
        .map(|(i, chunk)| {
            json!({
                "index": i.to_string(),
                "rules": chunk.len().to_string(),
                "settings": [{"settingInstance": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                    "settingDefinitionId": RULES_SETTING,
                    "groupSettingCollectionValue": chunk.iter().map(rule_value).collect::<Vec<_>>(),
                }}],
            })
        })
        .collect()
}
