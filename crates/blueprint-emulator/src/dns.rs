//! The tenants' public DNS zones: the records an agency publishes at its DNS host for mail
//! (MX, SPF, DMARC, the DKIM selectors, autodiscover), served over UDP and TCP on loopback as an
//! authoritative server would answer them; Graph's `GET /domains/{id}/serviceConfigurationRecords`,
//! the records Microsoft 365 asks a domain to publish; and the operator's `/_emulator/dns`, which
//! changes a record as an agency's DNS administrator would (drift).
//!
//! A tenant's custom domains start with the records Microsoft asks for (Microsoft 365 admin
//! centre > Domains > DNS records: MX `{domain-with-dashes}.mail.protection.outlook.com`, SPF
//! `v=spf1 include:spf.protection.outlook.com -all`, autodiscover `autodiscover.outlook.com`),
//! the ABAC's DMARC (`p=reject; pct=100`) and the DKIM selectors Exchange names
//! (`selector1-{domain-with-dashes}._domainkey.{initial domain}`); a fixture replaces any record
//! set (`dns:` of a tenant). The initial `*.onmicrosoft.com` domain's zone is Microsoft's and
//! is not served.

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{CNAME, MX, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use crate::Emulator;
use crate::tenant::Tenant;

/// One record set: every value of one type at one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsRecordSet {
    /// The owner name, lower case, without the trailing dot.
    pub name: String,
    /// `MX`, `TXT` or `CNAME`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Each record's value as a zone file writes it: `10 host` for MX, the text for TXT, the
    /// target for CNAME. Empty: the set is removed.
    pub values: Vec<String>,
}

/// The record types the zones hold.
const TYPES: &[&str] = &["MX", "TXT", "CNAME"];

/// How long each answer may be cached, seconds (Microsoft's records: one hour).
const TTL: u32 = 3600;

/// `contoso.gov.au` → `contoso-gov-au`: how Microsoft names a domain in hosts of its own.
pub fn dashes(domain: &str) -> String {
    domain.replace('.', "-")
}

/// The DKIM selector CNAME targets Exchange Online gives a domain of a tenant whose initial
/// domain is `initial` (Get-DkimSigningConfig's `Selector1CNAME`, `Selector2CNAME`).
pub fn dkim_selectors(domain: &str, initial: &str) -> [String; 2] {
    [1, 2].map(|n| format!("selector{n}-{}._domainkey.{initial}", dashes(domain)))
}

/// The records Microsoft 365 asks a domain with Exchange Online to publish, as Graph lists
/// them (domainDnsMxRecord, domainDnsTxtRecord, domainDnsCnameRecord: `label`, `recordType`,
/// `supportedService`, `isOptional`, `ttl` and the type's value property), Exchange's and
/// Teams' (`OfficeCommunicationsOnline`) both, as the admin centre shows them.
pub fn service_configuration_records(domain: &str) -> Vec<Value> {
    let record = |id: &str, kind: &str, label: &str, service: &str, extra: Value| {
        let mut v = json!({
            "@odata.type": format!("#microsoft.graph.domainDns{kind}Record"),
            "id": id,
            "isOptional": false,
            "label": label,
            "recordType": if kind == "Cname" { "CName".to_string() } else { kind.to_string() },
            "supportedService": service,
            "ttl": TTL,
        });
        if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
            map.extend(extra);
        }
        v
    };
    vec![
        record(
            &format!("Mx_{domain}"),
            "Mx",
            domain,
            "Email",
            json!({
                "mailExchange": format!("{}.mail.protection.outlook.com", dashes(domain)),
                "preference": 0,
            }),
        ),
        record(
            &format!("Txt_{domain}"),
            "Txt",
            domain,
            "Email",
            json!({"text": "v=spf1 include:spf.protection.outlook.com -all"}),
        ),
        record(
            &format!("CName_autodiscover.{domain}"),
            "Cname",
            &format!("autodiscover.{domain}"),
            "Email",
            json!({"canonicalName": "autodiscover.outlook.com"}),
        ),
        record(
            &format!("CName_sip.{domain}"),
            "Cname",
            &format!("sip.{domain}"),
            "OfficeCommunicationsOnline",
            json!({"canonicalName": "sipdir.online.lync.com"}),
        ),
        record(
            &format!("CName_lyncdiscover.{domain}"),
            "Cname",
            &format!("lyncdiscover.{domain}"),
            "OfficeCommunicationsOnline",
            json!({"canonicalName": "webdir.online.lync.com"}),
        ),
    ]
}

/// Whether a domain's zone is served (a custom domain, not Microsoft's `onmicrosoft.com`).
fn is_custom(domain: &str) -> bool {
    !domain.to_ascii_lowercase().ends_with(".onmicrosoft.com")
}

/// A new tenant's zone: for each custom domain, what Microsoft 365 asks for, the ABAC's DMARC
/// and Exchange's DKIM selectors.
pub fn install_zone(tenant: &mut Tenant) {
    let initial = tenant.initial_domain().to_string();
    let mut zone = Vec::new();
    for domain in tenant.domains.iter().filter(|d| is_custom(d)) {
        let domain = domain.to_ascii_lowercase();
        for record in service_configuration_records(&domain) {
            let (kind, value) = match record["recordType"].as_str() {
                Some("Mx") => (
                    "MX",
                    format!("10 {}", record["mailExchange"].as_str().unwrap_or("")),
                ),
                Some("Txt") => ("TXT", record["text"].as_str().unwrap_or("").to_string()),
                _ => (
                    "CNAME",
                    record["canonicalName"].as_str().unwrap_or("").to_string(),
                ),
            };
            zone.push(DnsRecordSet {
                name: record["label"].as_str().unwrap_or("").to_ascii_lowercase(),
                kind: kind.into(),
                values: vec![value],
            });
        }
        zone.push(DnsRecordSet {
            name: format!("_dmarc.{domain}"),
            kind: "TXT".into(),
            values: vec![format!(
                "v=DMARC1; p=reject; pct=100; rua=mailto:dmarc-reports@{domain}; ruf=mailto:dmarc-forensics@{domain}; fo=1"
            )],
        });
        for (n, target) in dkim_selectors(&domain, &initial).into_iter().enumerate() {
            zone.push(DnsRecordSet {
                name: format!("selector{}._domainkey.{domain}", n + 1),
                kind: "CNAME".into(),
                values: vec![target],
            });
        }
    }
    tenant.dns = zone;
}

/// Replaces (or, with no values, removes) a record set of the tenant's zone; the name must be
/// in one of the tenant's custom domains.
pub fn set(tenant: &mut Tenant, set: DnsRecordSet) -> Result<(), String> {
    let name = set.name.trim().trim_end_matches('.').to_ascii_lowercase();
    let kind = set.kind.to_ascii_uppercase();
    if !TYPES.contains(&kind.as_str()) {
        return Err(format!(
            "record type `{}`: the zones hold {}",
            set.kind,
            TYPES.join(", ")
        ));
    }
    if !tenant
        .domains
        .iter()
        .any(|d| is_custom(d) && in_domain(&name, &d.to_ascii_lowercase()))
    {
        return Err(format!(
            "`{name}` is in none of the tenant's custom domains ({})",
            tenant.domains.join(", ")
        ));
    }
    for value in &set.values {
        record_data(&kind, value).map_err(|e| format!("{kind} {name} `{value}`: {e}"))?;
    }
    tenant.dns.retain(|r| !(r.name == name && r.kind == kind));
    if !set.values.is_empty() {
        tenant.dns.push(DnsRecordSet {
            name,
            kind,
            values: set.values,
        });
    }
    Ok(())
}

fn in_domain(name: &str, domain: &str) -> bool {
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// A record's data from its zone-file value.
fn record_data(kind: &str, value: &str) -> Result<RData, String> {
    let host = |h: &str| {
        let h = h.trim();
        Name::from_ascii(if h.ends_with('.') {
            h.to_string()
        } else {
            format!("{h}.")
        })
        .map_err(|e| format!("not a host name: {e}"))
    };
    match kind {
        "MX" => {
            let (preference, exchange) = value
                .trim()
                .split_once(' ')
                .ok_or("an MX value is `PREFERENCE HOST`")?;
            let preference: u16 = preference
                .parse()
                .map_err(|_| format!("`{preference}` is not a preference (0-65535)"))?;
            Ok(RData::MX(MX::new(preference, host(exchange)?)))
        }
        "CNAME" => Ok(RData::CNAME(CNAME(host(value)?))),
        // A TXT record is character strings of up to 255 bytes each; a longer text is split,
        // as DNS hosts do (SPF: "concatenated together without adding spaces", RFC 7208 3.3).
        _ => Ok(RData::TXT(TXT::new(
            value
                .as_bytes()
                .chunks(255)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect(),
        ))),
    }
}

/// The answer to a DNS query `request` (wire format), from every tenant's zone.
pub fn answer(emulator: &Emulator, request: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(request).ok()?;
    if request.message_type != MessageType::Query {
        return None;
    }
    let mut response = Message::response(request.id, request.op_code);
    response.metadata.recursion_desired = request.recursion_desired;
    let Some(query) = request.queries.first().cloned() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response.to_vec().ok();
    };
    response.add_query(query.clone());
    if request.op_code != OpCode::Query {
        response.metadata.response_code = ResponseCode::NotImp;
        return response.to_vec().ok();
    }
    let name = query
        .name()
        .to_ascii()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let wanted = query.query_type();
    let mut served = false;
    let mut exists = false;
    let mut records = Vec::new();
    for id in emulator.tenant_ids() {
        let Some(tenant) = emulator.tenant(&id) else {
            continue;
        };
        let tenant = tenant.lock().expect("tenant lock");
        served |= tenant
            .domains
            .iter()
            .any(|d| is_custom(d) && in_domain(&name, &d.to_ascii_lowercase()));
        for set in tenant.dns.iter().filter(|s| s.name == name) {
            exists = true;
            let Ok(kind) = set.kind.parse::<RecordType>() else {
                continue;
            };
            // An alias answers every type (the resolver follows it); otherwise the type asked.
            if kind == wanted || (kind == RecordType::CNAME && wanted != RecordType::CNAME) {
                for value in &set.values {
                    if let Ok(data) = record_data(&set.kind, value) {
                        records.push(Record::from_rdata(query.name().clone(), TTL, data));
                    }
                }
            }
        }
    }
    if !served {
        // Not an authority for the name, and not a recursive resolver.
        response.metadata.response_code = ResponseCode::Refused;
        return response.to_vec().ok();
    }
    response.metadata.authoritative = true;
    if !exists {
        response.metadata.response_code = ResponseCode::NXDomain;
    }
    response.add_answers(records);
    response.to_vec().ok()
}

/// The emulator's DNS listeners: UDP, and TCP on the same port.
pub struct DnsListeners {
    pub addr: SocketAddr,
    udp: UdpSocket,
    tcp: Option<TcpListener>,
}

/// Binds the DNS listeners on `ip` (a port the system picks, the same for UDP and TCP when it
/// is free for both).
pub async fn bind(ip: std::net::IpAddr) -> std::io::Result<DnsListeners> {
    let udp = UdpSocket::bind((ip, 0)).await?;
    let addr = udp.local_addr()?;
    let tcp = TcpListener::bind(addr).await.ok();
    Ok(DnsListeners { addr, udp, tcp })
}

/// Answers DNS queries until `shutdown`.
pub async fn serve(
    emulator: Arc<Emulator>,
    listeners: DnsListeners,
    mut shutdown: watch::Receiver<bool>,
) {
    let DnsListeners { udp, tcp, .. } = listeners;
    if let Some(tcp) = tcp {
        let emulator = emulator.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    accepted = tcp.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        tokio::spawn(serve_tcp(emulator.clone(), stream));
                    }
                }
            }
        });
    }
    let mut buffer = vec![0u8; 4096];
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            received = udp.recv_from(&mut buffer) => {
                let Ok((n, from)) = received else { continue };
                if let Some(mut reply) = answer(&emulator, &buffer[..n]) {
                    // A UDP answer longer than a plain DNS message is cut to its header with
                    // TC set: the client asks again over TCP (RFC 1035 4.2.1).
                    if reply.len() > 512 {
                        reply.truncate(12);
                        reply[2] |= 0x02;
                        reply[4..12].fill(0);
                    }
                    let _ = udp.send_to(&reply, from).await;
                }
            }
        }
    }
}

/// One TCP connection: messages with a two-byte length in front (RFC 1035 4.2.2).
async fn serve_tcp(emulator: Arc<Emulator>, mut stream: tokio::net::TcpStream) {
    loop {
        let mut length = [0u8; 2];
        if stream.read_exact(&mut length).await.is_err() {
            return;
        }
        let mut request = vec![0u8; usize::from(u16::from_be_bytes(length))];
        if stream.read_exact(&mut request).await.is_err() {
            return;
        }
        let Some(reply) = answer(&emulator, &request) else {
            return;
        };
        let Ok(n) = u16::try_from(reply.len()) else {
            return;
        };
        if stream.write_all(&n.to_be_bytes()).await.is_err()
            || stream.write_all(&reply).await.is_err()
        {
            return;
        }
    }
}

/// `GET /_emulator/dns`: every tenant's zone; `PUT /_emulator/dns` with a [`DnsRecordSet`]:
/// replaces that record set (no values: removes it) in the zone of the tenant whose custom
/// domain holds the name.
pub fn operator(emulator: &Emulator, method: &str, body: &[u8]) -> (u16, Value) {
    match method {
        "GET" => {
            let zones: Vec<Value> = emulator
                .tenant_ids()
                .into_iter()
                .filter_map(|id| {
                    let tenant = emulator.tenant(&id)?;
                    let tenant = tenant.lock().expect("tenant lock");
                    Some(json!({"tenant": tenant.id, "records": tenant.dns}))
                })
                .collect();
            (200, json!({ "zones": zones }))
        }
        "PUT" => {
            let set: DnsRecordSet = match serde_json::from_slice(body) {
                Ok(s) => s,
                Err(e) => {
                    return (
                        400,
                        json!({"error": format!("a record set is {{\"name\", \"type\", \"values\"}}: {e}")}),
                    );
                }
            };
            match set_anywhere(emulator, set) {
                Ok(zone) => (200, zone),
                Err((status, error)) => (status, json!({ "error": error })),
            }
        }
        _ => (405, json!({"error": "GET or PUT"})),
    }
}

/// Replaces a record set in the zone of the tenant whose custom domain holds its name: the
/// tenant's zone after it, or the status and why not.
pub fn set_anywhere(emulator: &Emulator, set: DnsRecordSet) -> Result<Value, (u16, String)> {
    let name = set.name.trim().trim_end_matches('.').to_ascii_lowercase();
    for id in emulator.tenant_ids() {
        let Some(tenant) = emulator.tenant(&id) else {
            continue;
        };
        let mut tenant = tenant.lock().expect("tenant lock");
        if !tenant
            .domains
            .iter()
            .any(|d| is_custom(d) && in_domain(&name, &d.to_ascii_lowercase()))
        {
            continue;
        }
        self::set(&mut tenant, set).map_err(|e| (400, e))?;
        emulator.mark_dirty();
        return Ok(json!({"tenant": tenant.id, "records": tenant.dns}));
    }
    Err((404, format!("`{name}` is in no tenant's custom domain")))
}

/// `GET /domains/{id}/serviceConfigurationRecords` (v1.0 and beta): what Microsoft 365 asks the
/// domain to publish. Domain.Read.All, or higher (domain-list-serviceconfigurationrecords).
pub fn execute(
    emulator: &Emulator,
    caller: &crate::graph::Caller,
    origin: &crate::graph::Origin,
    req: &crate::graph::GraphRequest,
    segs: &[&str],
) -> Result<Option<crate::graph::GraphResponse>, crate::error::GraphError> {
    let (version, rest) = match segs.split_first() {
        Some((&"beta", rest)) => ("beta", rest),
        _ => ("v1.0", segs),
    };
    let ["domains", domain, "serviceConfigurationRecords"] = rest else {
        return Ok(None);
    };
    let Some((kind, _)) = crate::kinds::Kind::route(&segs[..segs.len() - 2]) else {
        return Ok(None);
    };
    let method = req.method.to_ascii_uppercase();
    if method != "GET" {
        return Err(crate::error::GraphError::new(
            405,
            "Request_BadRequest",
            "The serviceConfigurationRecords of a domain are read only.",
        ));
    }
    kind.authorize(&method, caller.permissions())?;
    let Some(tenant) = emulator.tenant(&caller.tenant_id) else {
        return Ok(None);
    };
    let tenant = tenant.lock().expect("tenant lock");
    let Some(name) = tenant
        .domains
        .iter()
        .find(|d| d.eq_ignore_ascii_case(domain))
    else {
        return Err(crate::error::GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{domain}' does not exist or one of its queried reference-property objects are not present."
            ),
        ));
    };
    let records = if is_custom(name) {
        service_configuration_records(&name.to_ascii_lowercase())
    } else {
        Vec::new()
    };
    Ok(Some(crate::graph::GraphResponse::json(
        200,
        json!({
            "@odata.context": format!(
                "{}/{}/$metadata#domains('{name}')/serviceConfigurationRecords",
                origin.base_url,
                version
            ),
            "value": records,
        }),
    )))
}
