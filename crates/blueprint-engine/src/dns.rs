//! Reading the agency's public DNS: the records of the catalogue's `dnsRecord` objects (MX,
//! TXT, CNAME), asked of one DNS server, the system's (the first `nameserver` of
//! `/etc/resolv.conf`) or the profile's `[connection] dns`, over UDP, again over TCP when the
//! answer is truncated. One query per record, with recursion desired, as a stub resolver asks;
//! the answers are read as evaluate compares them ([`value_of`]). And what Microsoft wants
//! there ([`expected`]), from the reads a record's `ExpectedFrom` names.

// GraphError is the clients' error as the rest of the engine receives it (see blueprint-graph).
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::time::Duration;

use blueprint_catalogue::DesiredObject;
use blueprint_catalogue::kinds::dns::{
    self as kind, EXPECTED_FROM, EXPECTED_FROM_DKIM, RECORD, VALUE,
};
use blueprint_graph::GraphError;
use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one attempt waits for an answer.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts over UDP before the query fails (a lost datagram is asked again).
const ATTEMPTS: u32 = 2;
/// Where the system names its DNS servers.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The DNS server the reader asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsServer {
    /// The system's: the first `nameserver` of `/etc/resolv.conf`, port 53.
    System,
    /// The profile's `[connection] dns` (an emulator's ready file names its own).
    At(SocketAddr),
}

impl DnsServer {
    /// `[connection] dns`: `ADDRESS:PORT`, or an address alone (port 53).
    pub fn parse(text: &str) -> Result<DnsServer, String> {
        let text = text.trim();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(DnsServer::At(addr));
        }
        if let Ok(ip) = text.parse::<std::net::IpAddr>() {
            return Ok(DnsServer::At(SocketAddr::new(ip, 53)));
        }
        Err(format!(
            "`{text}` is not a DNS server's address: write ADDRESS:PORT (e.g. 127.0.0.1:53) or an IP address"
        ))
    }

    /// The server's address.
    pub fn address(&self) -> Result<SocketAddr, String> {
        match self {
            DnsServer::At(addr) => Ok(*addr),
            DnsServer::System => {
                let text = std::fs::read_to_string(RESOLV_CONF).map_err(|e| {
                    format!("reading {RESOLV_CONF}: {e}; set [connection] dns in blueprint.toml")
                })?;
                text.lines()
                    .filter_map(|l| l.split('#').next()?.trim().strip_prefix("nameserver"))
                    .filter_map(|rest| rest.trim().split('%').next()?.parse().ok())
                    .map(|ip| SocketAddr::new(ip, 53))
                    .next()
                    .ok_or_else(|| {
                        format!(
                            "{RESOLV_CONF} names no nameserver; set [connection] dns in blueprint.toml"
                        )
                    })
            }
        }
    }
}

/// One record's data as the reader keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    Mx { preference: u16, exchange: String },
    Txt(String),
    Cname(String),
}

/// A host name as compared: lower case, without the trailing dot.
fn host(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn record_type(kind: &str) -> RecordType {
    match kind {
        "MX" => RecordType::MX,
        "CNAME" => RecordType::CNAME,
        _ => RecordType::TXT,
    }
}

/// Asks `server` for the records of type `kind` (`MX`, `TXT`, `CNAME`) at `name`: the data of
/// each (empty when the name has none, or does not exist), or why the server could not say.
pub async fn query(server: SocketAddr, kind: &str, name: &str) -> Result<Vec<RecordData>, String> {
    let wanted = record_type(kind);
    let fqdn = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|e| format!("`{name}` is not a domain name: {e}"))?;
    let mut request = Message::query();
    request.metadata.recursion_desired = true;
    request.add_query(Query::query(fqdn, wanted));
    let bytes = request
        .to_vec()
        .map_err(|e| format!("encoding the query: {e}"))?;
    let mut response = exchange_udp(server, &bytes, request.id).await?;
    if response.truncation {
        response = exchange_tcp(server, &bytes, request.id).await?;
    }
    match response.response_code {
        ResponseCode::NoError | ResponseCode::NXDomain => {}
        code => return Err(format!("the server answered {code}")),
    }
    Ok(response
        .answers
        .iter()
        .filter(|r| r.record_type() == wanted)
        .filter_map(|r| match &r.data {
            RData::MX(mx) => Some(RecordData::Mx {
                preference: mx.preference,
                exchange: host(&mx.exchange),
            }),
            RData::CNAME(cname) => Some(RecordData::Cname(host(&cname.0))),
            RData::TXT(txt) => Some(RecordData::Txt(
                txt.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect(),
            )),
            _ => None,
        })
        .collect())
}

fn decode(bytes: &[u8], id: u16) -> Result<Option<Message>, String> {
    let message = Message::from_vec(bytes).map_err(|e| format!("an unreadable answer: {e}"))?;
    // Not the answer to this query (a late answer to an earlier attempt): keep waiting.
    Ok((message.id == id && message.message_type == MessageType::Response).then_some(message))
}

async fn exchange_udp(server: SocketAddr, request: &[u8], id: u16) -> Result<Message, String> {
    let local: SocketAddr = if server.is_ipv6() {
        "[::]:0".parse().expect("an address")
    } else {
        "0.0.0.0:0".parse().expect("an address")
    };
    let socket = tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|e| format!("opening a UDP socket: {e}"))?;
    socket
        .connect(server)
        .await
        .map_err(|e| format!("reaching it: {e}"))?;
    let mut buffer = vec![0u8; 4096];
    for _ in 0..ATTEMPTS {
        socket
            .send(request)
            .await
            .map_err(|e| format!("sending the query: {e}"))?;
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(format!("no answer: {e}")),
                Ok(Ok(n)) => {
                    if let Some(message) = decode(&buffer[..n], id)? {
                        return Ok(message);
                    }
                }
            }
        }
    }
    Err(format!(
        "no answer in {} attempts of {} s",
        ATTEMPTS,
        TIMEOUT.as_secs()
    ))
}

async fn exchange_tcp(server: SocketAddr, request: &[u8], id: u16) -> Result<Message, String> {
    let io = async {
        let mut stream = tokio::net::TcpStream::connect(server).await?;
        let length = u16::try_from(request.len()).unwrap_or(u16::MAX);
        stream.write_all(&length.to_be_bytes()).await?;
        stream.write_all(request).await?;
        let mut length = [0u8; 2];
        stream.read_exact(&mut length).await?;
        let mut answer = vec![0u8; usize::from(u16::from_be_bytes(length))];
        stream.read_exact(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(TIMEOUT, io)
        .await
        .map_err(|_| format!("no answer over TCP in {} s", TIMEOUT.as_secs()))?
        .map_err(|e| format!("over TCP: {e}"))?;
    decode(&answer, id)?.ok_or_else(|| "the answer over TCP was to another query".to_string())
}

/// What evaluate compares of a record set's answers, by the record: the first MX host (the
/// lowest preference), a CNAME's target, the DMARC record's tags (a TXT record at
/// `_dmarc.…` that starts `v=DMARC1`) as an object, or the SPF record (a TXT record that starts
/// `v=spf1`), its blanks collapsed. None when there is no such record; a list when there is
/// more than one DMARC or SPF record (which their RFCs make an error).
pub fn value_of(kind: &str, name: &str, records: &[RecordData]) -> Option<Value> {
    match kind {
        "MX" => records
            .iter()
            .filter_map(|r| match r {
                RecordData::Mx {
                    preference,
                    exchange,
                } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .min()
            .map(|(_, exchange)| Value::String(exchange)),
        "CNAME" => records.iter().find_map(|r| match r {
            RecordData::Cname(target) => Some(Value::String(target.clone())),
            _ => None,
        }),
        _ => {
            let dmarc = name.starts_with("_dmarc.");
            let prefix = if dmarc { "v=dmarc1" } else { "v=spf1" };
            let found: Vec<Value> = records
                .iter()
                .filter_map(|r| match r {
                    RecordData::Txt(text) => Some(text.trim()),
                    _ => None,
                })
                .filter(|t| {
                    let lower = t.to_ascii_lowercase();
                    lower == prefix
                        || lower.starts_with(&format!("{prefix};"))
                        || lower.starts_with(&format!("{prefix} "))
                })
                .map(|t| {
                    if dmarc {
                        dmarc_tags(t)
                    } else {
                        Value::String(t.split_whitespace().collect::<Vec<_>>().join(" "))
                    }
                })
                .collect();
            match found.len() {
                0 => None,
                1 => found.into_iter().next(),
                _ => Some(Value::Array(found)),
            }
        }
    }
}

/// A DMARC record's tags (RFC 7489 6.4: `tag=value` pairs separated by `;`), names in lower
/// case; the policies' values too (`p`, `sp`: keywords, compared ignoring case).
pub fn dmarc_tags(text: &str) -> Value {
    let mut tags = Map::new();
    for pair in text.split(';') {
        let Some((tag, value)) = pair.split_once('=') else {
            continue;
        };
        let tag = tag.trim().to_ascii_lowercase();
        let value = value.trim();
        let value = if tag == "p" || tag == "sp" {
            value.to_ascii_lowercase()
        } else {
            value.to_string()
        };
        tags.insert(tag, Value::String(value));
    }
    Value::Object(tags)
}

/// The `Record` a read path of the `dnsRecord` kind asks for (`/dns?$filter=Record eq '…'`, as
/// the engine looks any kind up by its identity).
pub fn record_of_path(path: &str) -> Option<String> {
    let filter = path.strip_prefix("/dns?$filter=")?;
    let filter = percent_decode(filter.split('&').next()?)?;
    let quoted = filter
        .strip_prefix(&format!("{RECORD} eq '"))?
        .strip_suffix('\'')?;
    Some(quoted.replace("''", "'"))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads the record a `dnsRecord` read path names: `{"value": [the record as compared]}`, or
/// an empty list when the DNS holds none.
pub async fn read(server: &DnsServer, path: &str) -> Result<Value, GraphError> {
    let failed = |record: &str, cause: String| GraphError::Transport {
        method: "DNS".into(),
        path: record.to_string(),
        cause,
    };
    let record = record_of_path(path)
        .ok_or_else(|| GraphError::Config(format!("{path}: not a DNS record's read")))?;
    let (kind, name) = kind::parse_record(&record).ok_or_else(|| {
        GraphError::Config(format!(
            "`{record}`: a DNS record is `TYPE name`, the type one of {}",
            kind::RECORD_TYPES.join(", ")
        ))
    })?;
    let address = server.address().map_err(|e| failed(&record, e))?;
    let records = query(address, kind, &name)
        .await
        .map_err(|e| failed(&record, format!("asking {address}: {e}")))?;
    let found: Vec<Value> = value_of(kind, &name, &records)
        .map(|value| json!({ "id": record, RECORD: record, VALUE: value }))
        .into_iter()
        .collect();
    Ok(json!({ "value": found }))
}

/// The desired fields of a `dnsRecord` as compared: its `Value`, or, for a record whose value
/// Microsoft decides (`ExpectedFrom`), the value the named read gives, found in `listed` (that
/// read's items, None when it found nothing). A read that lists no such record gives a value
/// saying so, which no record matches.
pub fn expected(object: &DesiredObject, listed: Option<&[Value]>) -> Value {
    let mut desired = object.desired.clone();
    let Some(map) = desired.as_object_mut() else {
        return desired;
    };
    let Some(from) = map.remove(EXPECTED_FROM) else {
        return desired;
    };
    let from = from.as_str().unwrap_or_default().to_string();
    let Some((kind, name)) = kind::parse_record(&object.identity) else {
        return desired;
    };
    let items = listed.unwrap_or_default();
    let value = if from == EXPECTED_FROM_DKIM {
        dkim_target(&name, items).unwrap_or_else(|| {
            format!(
                "(Get-DkimSigningConfig lists no {} for the domain: exchange-dkim-signing creates its configuration)",
                selector_property(&name).unwrap_or("selector")
            )
        })
    } else if let Some(domain) = kind::domain_of_records_path(&from) {
        listed_record(kind, &name, items).unwrap_or_else(|| {
            format!("(GET /domains/{domain}/serviceConfigurationRecords lists no {kind} record at {name})")
        })
    } else {
        format!("(`{from}` does not say what the record should be)")
    };
    map.insert(VALUE.into(), Value::String(value));
    desired
}

/// `Selector1CNAME` for `selector1._domainkey.…`, `Selector2CNAME` for `selector2…`.
fn selector_property(name: &str) -> Option<&'static str> {
    if name.starts_with("selector1._domainkey.") {
        Some("Selector1CNAME")
    } else if name.starts_with("selector2._domainkey.") {
        Some("Selector2CNAME")
    } else {
        None
    }
}

/// The target Get-DkimSigningConfig gives the selector record `name`, from the row of its
/// domain.
fn dkim_target(name: &str, rows: &[Value]) -> Option<String> {
    let property = selector_property(name)?;
    let domain = name.split_once("._domainkey.")?.1;
    rows.iter()
        .find(|row| {
            ["Domain", "Name", "Identity"].iter().any(|p| {
                row[*p]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(domain))
            })
        })
        .and_then(|row| row[property].as_str())
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
}

/// The value Graph's `serviceConfigurationRecords` gives the record of type `kind` at `name`:
/// the item whose `label` is the name and whose `recordType` the type (`Mx`, `Txt`, `CName`),
/// its `mailExchange`, `text` or `canonicalName`.
fn listed_record(kind: &str, name: &str, items: &[Value]) -> Option<String> {
    let item = items.iter().find(|i| {
        i["label"]
            .as_str()
            .is_some_and(|l| l.trim_end_matches('.').eq_ignore_ascii_case(name))
            && i["recordType"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })?;
    let (property, is_host) = match kind {
        "MX" => ("mailExchange", true),
        "CNAME" => ("canonicalName", true),
        _ => ("text", false),
    };
    let value = item[property].as_str()?.trim();
    Some(if is_host {
        value.trim_end_matches('.').to_ascii_lowercase()
    } else {
        value.split_whitespace().collect::<Vec<_>>().join(" ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_compared() {
        let mx = [
            RecordData::Mx {
                preference: 20,
                exchange: "backup.example.net".into(),
            },
            RecordData::Mx {
                preference: 10,
                exchange: "primary.example.net".into(),
            },
        ];
        assert_eq!(
            value_of("MX", "example.gov.au", &mx),
            Some(json!("primary.example.net"))
        );
        let txt = [
            RecordData::Txt("google-site-verification=abc".into()),
            RecordData::Txt("v=spf1  include:spf.protection.outlook.com -all".into()),
        ];
        assert_eq!(
            value_of("TXT", "example.gov.au", &txt),
            Some(json!("v=spf1 include:spf.protection.outlook.com -all"))
        );
        assert_eq!(value_of("TXT", "_dmarc.example.gov.au", &txt), None);
        let dmarc = [RecordData::Txt(
            "v=DMARC1; p=Reject; pct=100; rua=mailto:d@example.gov.au".into(),
        )];
        assert_eq!(
            value_of("TXT", "_dmarc.example.gov.au", &dmarc),
            Some(
                json!({"v": "DMARC1", "p": "reject", "pct": "100", "rua": "mailto:d@example.gov.au"})
            )
        );
        let two = [
            RecordData::Txt("v=spf1 -all".into()),
            RecordData::Txt("v=spf1 include:x -all".into()),
        ];
        assert_eq!(
            value_of("TXT", "example.gov.au", &two),
            Some(json!(["v=spf1 -all", "v=spf1 include:x -all"]))
        );
    }

    #[test]
    fn a_read_path_names_its_record() {
        assert_eq!(
            record_of_path("/dns?$filter=Record%20eq%20%27TXT%20_dmarc.example.gov.au%27"),
            Some("TXT _dmarc.example.gov.au".into())
        );
        assert_eq!(record_of_path("/dns"), None);
        assert_eq!(record_of_path("/dns?$filter=Record%20eq%20%27x"), None);
    }

    #[test]
    fn a_dns_setting_is_an_address() {
        assert_eq!(
            DnsServer::parse("127.0.0.1:5353"),
            Ok(DnsServer::At("127.0.0.1:5353".parse().unwrap()))
        );
        assert_eq!(
            DnsServer::parse("10.0.0.2"),
            Ok(DnsServer::At("10.0.0.2:53".parse().unwrap()))
        );
        let error = DnsServer::parse("localhost:53").unwrap_err();
        assert!(error.contains("ADDRESS:PORT"), "{error}");
    }

    #[test]
    fn expected_values_come_from_what_microsoft_lists() {
        let object = |record: &str, from: &str| DesiredObject {
            feature: "exchange-dns-records".into(),
            kind: "dnsRecord".into(),
            path: "/dns".into(),
            identity_key: Some(RECORD.into()),
            identity: record.to_string(),
            reference: format!("dnsRecord:{record}"),
            prerequisite: false,
            desired: json!({ RECORD: record, EXPECTED_FROM: from }),
            create_only: None,
            references: Vec::new(),
        };
        let graph = vec![
            json!({"label": "example.gov.au", "recordType": "Mx", "mailExchange": "Example-gov-au.mail.protection.outlook.com"}),
            json!({"label": "example.gov.au", "recordType": "Txt", "text": "v=spf1 include:spf.protection.outlook.com -all"}),
        ];
        let mx = object(
            "MX example.gov.au",
            "/domains/example.gov.au/serviceConfigurationRecords",
        );
        assert_eq!(
            expected(&mx, Some(&graph)),
            json!({ RECORD: "MX example.gov.au", VALUE: "example-gov-au.mail.protection.outlook.com" })
        );
        let cname = object(
            "CNAME autodiscover.example.gov.au",
            "/domains/example.gov.au/serviceConfigurationRecords",
        );
        assert!(
            expected(&cname, Some(&graph))[VALUE]
                .as_str()
                .unwrap()
                .contains("lists no CNAME record at autodiscover.example.gov.au")
        );
        let rows = vec![
            json!({"Domain": "example.gov.au", "Selector2CNAME": "selector2-example-gov-au._domainkey.example.onmicrosoft.com"}),
        ];
        let selector = object(
            "CNAME selector2._domainkey.example.gov.au",
            EXPECTED_FROM_DKIM,
        );
        assert_eq!(
            expected(&selector, Some(&rows))[VALUE],
            "selector2-example-gov-au._domainkey.example.onmicrosoft.com"
        );
        assert!(
            expected(&selector, None)[VALUE]
                .as_str()
                .unwrap()
                .contains("Selector2CNAME")
        );
    }
}
