//! The agency's public DNS records for mail: MX, SPF, DMARC, the DKIM selectors and
//! autodiscover. They live at the agency's DNS host, which no Microsoft API writes, so they are
//! read (DNS queries) and compared, never written.

use super::{Access, Api, Find, Grant, IdentityKey, KindSpec, Lifecycle, Permissions};

/// One record set of the agency's public DNS zone, named `TYPE name` (`MX example.gov.au`,
/// `TXT _dmarc.example.gov.au`, `CNAME selector1._domainkey.example.gov.au`) in `Record`.
/// `Value` is what the blueprint wants there, as the engine reads it ([`record_value`]'s
/// projections): the first MX host, the SPF TXT string, the DMARC record's tags as an object
/// (only the tags the blueprint sets are compared), a CNAME's target. `ExpectedFrom` names
/// the read whose answer gives the value Microsoft wants instead of a `Value` written here
/// ([`EXPECTED_FROM_DKIM`], or [`domain_records_path`]: Graph's `serviceConfigurationRecords`
/// of the domain, matched by `label` and `recordType`).
pub const DNS_RECORD: KindSpec = KindSpec {
    name: "dnsRecord",
    path: "/dns",
    identity: IdentityKey::Property(RECORD),
    properties: &[RECORD, VALUE, EXPECTED_FROM],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::EvaluatedOnly(
        "the records live at the agency's DNS host, which no Microsoft API writes: evaluate reports a record that differs, and a person sets it at the DNS host as the feature's manual steps say",
    ),
    api: Api::PublicDns,
    permissions: Permissions {
        // The DNS answers anyone. What Microsoft expects is read from Graph
        // (domain-list-serviceconfigurationrecords: Domain.Read.All, least privileged) and
        // from Exchange (Get-DkimSigningConfig: the admin API's read grants).
        read: &[
            Grant::Graph("Domain.Read.All"),
            Grant::Exchange("Exchange.ManageAsApp"),
            Grant::DirectoryRole("Global Reader"),
        ],
        write: &[
            Grant::Graph("Domain.Read.All"),
            Grant::Exchange("Exchange.ManageAsApp"),
            Grant::DirectoryRole("Global Reader"),
        ],
    },
    access: Access {
        find: Find::ByIdentity { select: None },
        ..Access::PLAIN
    },
};

/// The identity property: `TYPE name`.
pub const RECORD: &str = "Record";
/// The value compared.
pub const VALUE: &str = "Value";
/// Where the expected value is read from, when Microsoft decides it.
pub const EXPECTED_FROM: &str = "ExpectedFrom";

/// `ExpectedFrom` for a DKIM selector CNAME: Exchange's `Get-DkimSigningConfig`, whose row for
/// the domain gives `Selector1CNAME` and `Selector2CNAME`.
pub const EXPECTED_FROM_DKIM: &str = "/exchange/DkimSigningConfig";

/// `ExpectedFrom` for the records Microsoft 365 lists for a domain (MX, the SPF TXT, the
/// autodiscover CNAME): Graph v1.0 `GET /domains/{id}/serviceConfigurationRecords`.
pub fn domain_records_path(domain: &str) -> String {
    format!("/domains/{domain}/serviceConfigurationRecords")
}

/// The domain of a `serviceConfigurationRecords` path ([`domain_records_path`]).
pub fn domain_of_records_path(path: &str) -> Option<&str> {
    path.strip_prefix("/domains/")?
        .strip_suffix("/serviceConfigurationRecords")
        .filter(|d| !d.is_empty() && !d.contains('/'))
}

/// The record types the reader queries.
pub const RECORD_TYPES: &[&str] = &["MX", "TXT", "CNAME"];

/// A `Record` split into its type and its name (lower case, no trailing dot); None when it is
/// not `TYPE name` with a type of [`RECORD_TYPES`].
pub fn parse_record(record: &str) -> Option<(&'static str, String)> {
    let (kind, name) = record.trim().split_once(' ')?;
    let kind = RECORD_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(kind.trim()))?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty() && !name.contains(' ')).then_some((kind, name))
}

/// What is wrong with a `dnsRecord`'s desired fields as written (templates unrendered), if
/// anything: `Record` must start with a type the reader queries, and the expected value comes
/// from exactly one of `Value` and an `ExpectedFrom` the engine reads.
pub fn desired_problem(
    record: Option<&str>,
    has_value: bool,
    expected_from: Option<&str>,
) -> Option<String> {
    let record = record.unwrap_or_default().trim();
    let kind = record.split_whitespace().next().unwrap_or_default();
    if !RECORD_TYPES.iter().any(|t| t.eq_ignore_ascii_case(kind))
        || record.split_whitespace().nth(1).is_none()
    {
        return Some(format!(
            "`{record}` is not a DNS record: write `TYPE name`, the type one of {}",
            RECORD_TYPES.join(", ")
        ));
    }
    match (has_value, expected_from) {
        (true, Some(_)) => Some(format!(
            "a dnsRecord's expected value is its `{VALUE}` or what `{EXPECTED_FROM}` lists, not both"
        )),
        (false, None) => Some(format!(
            "a dnsRecord needs `{VALUE}` (what the blueprint wants) or `{EXPECTED_FROM}` (where Microsoft says it)"
        )),
        (false, Some(from))
            if from != EXPECTED_FROM_DKIM && domain_of_records_path(from).is_none() =>
        {
            Some(format!(
                "`{from}` does not say what a DNS record should be: `{EXPECTED_FROM}` is `{EXPECTED_FROM_DKIM}` or `/domains/{{domain}}/serviceConfigurationRecords`"
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_a_type_and_a_name() {
        assert_eq!(
            parse_record("mx Example.GOV.au."),
            Some(("MX", "example.gov.au".to_string()))
        );
        assert_eq!(parse_record("A example.gov.au"), None);
        assert_eq!(parse_record("TXT"), None);
        assert_eq!(
            domain_of_records_path(&domain_records_path("example.gov.au")),
            Some("example.gov.au")
        );
        assert_eq!(
            domain_of_records_path("/domains//serviceConfigurationRecords"),
            None
        );
    }
}
