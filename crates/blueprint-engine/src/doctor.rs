//! The doctor: whether the workspace can reach its tenant and holds what its selected
//! features need, checked in the order a failure would show: the way to the authority (DNS,
//! TCP, the proxy), the credential (a certificate's or secret's expiry), the token's `roles`
//! and `wids` against the permission table, then one cheap read per area. Each check says what
//! it found; the permission check names each missing grant by Microsoft's name with the
//! features that need it (`real-tenant-and-exchange.md` §1d).

use std::collections::BTreeSet;
use std::time::Duration;

use blueprint_catalogue::kinds;
use blueprint_catalogue::permissions::{self, Access, Need};
use blueprint_graph::{Credential, GraphClient, GraphConfig, RetryPolicy};
use serde::Serialize;

use crate::EngineError;
use crate::connect::{CertificateInfo, granted_by};
use crate::workspace::Workspace;

/// A certificate or secret with fewer days left than this is a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// How long any one network step of the doctor may take: a check that hangs is a failure.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    /// Not tried, because an earlier check failed or a grant it needs is missing.
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `connectivity`, `credential`, `token`, `permissions`, or `read <kind>`.
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What fixes it, when the doctor knows (a front end words it: a command, a button).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<Remedy>,
}

/// A step that fixes what a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    /// Connect the app again: a new certificate (and the grants) for it.
    Connect,
}

/// What the doctor found.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub tenant_id: String,
    pub client_id: String,
    pub access: Access,
    pub checks: Vec<Check>,
    /// The grants the selected features need that the token does not show.
    pub missing: Vec<Need>,
    /// The message naming them and how to fix it (empty when none is missing).
    pub missing_message: String,
}

impl Diagnosis {
    /// Everything the selected features need is there (warnings allowed).
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    fn push(&mut self, name: impl Into<String>, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            status,
            detail: detail.into(),
            remedy: None,
        });
    }
}

/// Examines the workspace's connection (the read-only app's with `access` read-only). A
/// configuration error (no tenant, no credential, an unreadable certificate file) is an
/// error; everything else is a check in the diagnosis.
pub async fn diagnose(workspace: &Workspace, access: Access) -> Result<Diagnosis, EngineError> {
    let mut config = match access {
        Access::ReadWrite => workspace.graph_config()?,
        Access::ReadOnly => workspace.read_only_graph_config()?,
    };
    // A doctor answers in seconds: one retry, short waits.
    config.timeout = STEP_TIMEOUT;
    config.retry = RetryPolicy {
        max_attempts: 2,
        max_wait_total: Duration::from_secs(5),
        base_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        replication_window: Duration::from_secs(1),
        provisioning_window: Duration::from_secs(1),
    };
    let needs = workspace.required_permissions(access)?;
    let mut d = Diagnosis {
        tenant_id: config.tenant_id.clone(),
        client_id: config.client_id.clone(),
        access,
        checks: Vec::new(),
        missing: Vec::new(),
        missing_message: String::new(),
    };

    if let Credential::Certificate { pem } = &config.credential {
        match CertificateInfo::from_pem(pem.expose()) {
            None => {
                return Err(EngineError::Usage(
                    "the certificate file holds no readable PEM certificate".into(),
                ));
            }
            Some(cert) => {
                let days = cert.days_left();
                let status = match days {
                    d if d < 0 => Status::Fail,
                    d if d < EXPIRY_WARNING_DAYS => Status::Warn,
                    _ => Status::Ok,
                };
                d.push(
                    "credential",
                    status,
                    format!(
                        "certificate {} {} ({days} days)",
                        if days < 0 {
                            "expired on"
                        } else {
                            "valid until"
                        },
                        date(cert.not_after),
                    ),
                );
                if status != Status::Ok
                    && let Some(check) = d.checks.last_mut()
                {
                    check.remedy = Some(Remedy::Connect);
                }
            }
        }
    }

    let reachable = connectivity(&config, &mut d).await;
    if !reachable {
        d.push(
            "token",
            Status::Skipped,
            "not tried: the authority cannot be reached",
        );
        return Ok(d);
    }

    // Exchange management roles are read from Exchange itself (no token carries them).
    let exchange_url = workspace.exchange_url();
    let granted = match tokio::time::timeout(
        STEP_TIMEOUT * 2,
        granted_by(&config, &needs, Some(&exchange_url)),
    )
    .await
    {
        Ok(Ok(granted)) => granted,
        Ok(Err(e)) => {
            d.push("token", Status::Fail, e.to_string());
            return Ok(d);
        }
        Err(_) => {
            d.push(
                "token",
                Status::Fail,
                format!(
                    "no token within {} s from {}",
                    (STEP_TIMEOUT * 2).as_secs(),
                    config.authority
                ),
            );
            return Ok(d);
        }
    };
    d.push(
        "token",
        Status::Ok,
        format!(
            "{} application permissions, {} directory roles",
            granted.graph.len() + granted.exchange.len(),
            granted.directory_roles.len()
        ),
    );

    let client = GraphClient::without_observer(config.clone())?;
    if matches!(config.credential, Credential::Secret(_)) {
        secret_expiry(&client, &config.client_id, &mut d).await;
    }
    // Reads go where the engine sends them: Graph, or the admin API at Exchange or at
    // Security & Compliance.
    let apis = crate::route::TenantApis::new(
        client,
        blueprint_exchange::ExchangeClient::new(
            config.clone(),
            &workspace.exchange_url(),
            std::sync::Arc::new(|_| {}),
        )?,
    )
    .with_compliance(blueprint_exchange::ExchangeClient::for_endpoint(
        blueprint_exchange::AdminEndpoint::Compliance,
        config.clone(),
        &workspace.compliance_url(),
        std::sync::Arc::new(|_| {}),
    )?)
    .with_dns(workspace.dns_server());

    let missing = permissions::missing(&needs, &granted);
    if missing.is_empty() {
        d.push(
            "permissions",
            Status::Ok,
            format!(
                "all {} grants the selected features need are in the token",
                needs.len()
            ),
        );
    } else {
        d.missing_message = permissions::missing_message(&missing);
        d.push(
            "permissions",
            Status::Fail,
            format!(
                "missing {}",
                missing
                    .iter()
                    .map(|n| n.grant.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        d.missing = missing.into_iter().cloned().collect();
    }

    // A selected feature whose parameters the profile does not set yet: every command still
    // works, but planning or deploying that feature is refused until they are set.
    let rendered = workspace.render_selected();
    for (feature, problems) in &rendered.unrendered {
        for problem in &problems.0 {
            d.push(
                format!("parameters of {feature}"),
                Status::Warn,
                format!("{} ({})", problem.message, problem.location()),
            );
        }
    }

    // One cheap read per area the selection touches.
    let mut kinds_used: BTreeSet<&str> = rendered.objects.iter().map(|o| o.kind.as_str()).collect();
    for feature in rendered
        .unrendered
        .keys()
        .filter_map(|id| workspace.catalogue.feature(id))
    {
        kinds_used.extend(feature.doc.resources.iter().map(|r| r.kind.value.as_str()));
    }
    for kind in kinds::KINDS.iter().filter(|k| kinds_used.contains(k.name)) {
        let name = format!("read {}", kind.name);
        if let Some(lacking) = kind.permissions.read.iter().find(|g| !granted.holds(**g)) {
            d.push(
                name,
                Status::Skipped,
                format!("not tried: needs {}", lacking.name()),
            );
            continue;
        }
        // The public DNS: one of the selection's records, asked of the workspace's server.
        if kind.api == kinds::Api::PublicDns {
            let Some(object) = rendered.objects.iter().find(|o| o.kind == kind.name) else {
                continue;
            };
            let path = crate::resources::read_path(object);
            let server = match apis.dns().address() {
                Ok(address) => address.to_string(),
                Err(e) => {
                    d.push(name, Status::Fail, e);
                    continue;
                }
            };
            match tokio::time::timeout(STEP_TIMEOUT, apis.get(&path)).await {
                Ok(Ok(_)) => d.push(
                    name,
                    Status::Ok,
                    format!("DNS {} answered by {server}", object.identity),
                ),
                Ok(Err(e)) => d.push(name, Status::Fail, e.to_string()),
                Err(_) => d.push(
                    name,
                    Status::Fail,
                    format!(
                        "DNS {}: no answer from {server} within {} s",
                        object.identity,
                        STEP_TIMEOUT.as_secs()
                    ),
                ),
            }
            continue;
        }
        let path = if kind.is_singleton() || kind.api.is_cmdlet_api() {
            kind.request_path()
        } else {
            crate::resources::filtered_collection(kind, "&$top=1&$select=id")
                .unwrap_or_else(|| format!("{}?$top=1&$select=id", kind.request_path()))
        };
        match tokio::time::timeout(STEP_TIMEOUT, apis.get(&path)).await {
            Ok(Ok(_)) => d.push(name, Status::Ok, format!("GET {path}")),
            Ok(Err(e)) => d.push(name, Status::Fail, format!("GET {path}: {e}")),
            Err(_) => d.push(
                name,
                Status::Fail,
                format!("GET {path}: no answer within {} s", STEP_TIMEOUT.as_secs()),
            ),
        }
    }
    Ok(d)
}

/// DNS and TCP to the authority, directly or through the proxy the client will use. Returns
/// whether the authority can be reached.
async fn connectivity(config: &GraphConfig, d: &mut Diagnosis) -> bool {
    let Ok((host, port)) = reqwest_url(&config.authority) else {
        d.push(
            "connectivity",
            Status::Fail,
            format!("the authority {} is not a URL", config.authority),
        );
        return false;
    };
    let (target_host, target_port, via) = match config.proxy.route_for(&host) {
        Some(proxy) => (
            proxy.host,
            proxy.port,
            format!(" through the proxy {}", proxy.shown),
        ),
        None => (host.clone(), port, String::new()),
    };
    let lookup = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((target_host.as_str(), target_port)),
    )
    .await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            d.push(
                "connectivity",
                Status::Fail,
                format!("cannot resolve {target_host} (DNS): {e}{via}"),
            );
            return false;
        }
        Err(_) => {
            d.push(
                "connectivity",
                Status::Fail,
                format!("resolving {target_host} (DNS) took more than 5 s{via}"),
            );
            return false;
        }
    };
    let Some(addr) = addrs.first().copied() else {
        d.push(
            "connectivity",
            Status::Fail,
            format!("{target_host} resolves to no address{via}"),
        );
        return false;
    };
    match tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {
            d.push(
                "connectivity",
                Status::Ok,
                format!(
                    "{host}:{port} reachable{}",
                    if via.is_empty() {
                        format!(" ({addr})")
                    } else {
                        via
                    }
                ),
            );
            true
        }
        Ok(Err(e)) => {
            d.push(
                "connectivity",
                Status::Fail,
                format!(
                    "cannot connect to {target_host}:{target_port} ({addr}){via}: {e}; check the authority URL (AZURE_AUTHORITY_HOST or [connection] authority), the firewall, or HTTPS_PROXY"
                ),
            );
            false
        }
        Err(_) => {
            d.push(
                "connectivity",
                Status::Fail,
                format!(
                    "no answer from {target_host}:{target_port} ({addr}) within 5 s{via}; check the network, the firewall, or HTTPS_PROXY"
                ),
            );
            false
        }
    }
}

/// Host and port of a URL.
fn reqwest_url(url: &str) -> Result<(String, u16), ()> {
    let rest = url
        .strip_prefix("https://")
        .map(|r| (r, 443))
        .or_else(|| url.strip_prefix("http://").map(|r| (r, 80)))
        .ok_or(())?;
    let (authority, default_port) = rest;
    let hostport = authority.split('/').next().unwrap_or_default();
    let hostport = hostport.rsplit('@').next().unwrap_or_default();
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(())?;
        let port = after
            .strip_prefix(':')
            .map(|p| p.parse().map_err(|_| ()))
            .transpose()?
            .unwrap_or(default_port);
        return Ok((host.to_string(), port));
    }
    match hostport.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), port.parse().map_err(|_| ())?)),
        None if !hostport.is_empty() => Ok((hostport.to_string(), default_port)),
        None => Err(()),
    }
}

/// A secret's expiry, from the app's own registration (needs Application.Read.All, which a
/// deploying app holds for conditional access; otherwise not checked).
async fn secret_expiry(client: &GraphClient, client_id: &str, d: &mut Diagnosis) {
    let path = format!("/applications(appId='{client_id}')?$select=passwordCredentials");
    match tokio::time::timeout(STEP_TIMEOUT, client.get(&path)).await {
        Ok(Ok(app)) => {
            let ends: Vec<time::OffsetDateTime> = app["passwordCredentials"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["endDateTime"].as_str())
                .filter_map(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .collect();
            match ends.iter().max() {
                Some(end) => {
                    let days = (*end - time::OffsetDateTime::now_utc()).whole_days();
                    d.push(
                        "credential",
                        if days < EXPIRY_WARNING_DAYS {
                            Status::Warn
                        } else {
                            Status::Ok
                        },
                        format!("client secret valid until {} ({days} days)", date(*end)),
                    );
                }
                None => d.push(
                    "credential",
                    Status::Warn,
                    "client secret: its expiry is not listed on the app",
                ),
            }
        }
        _ => d.push(
            "credential",
            Status::Skipped,
            "client secret: expiry not checked (reading the app's registration needs Application.Read.All)",
        ),
    }
}

fn date(t: time::OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// Refuses early when the token lacks any of `config_needs`: what planning and deploying check
/// before they read the tenant, with doctor's message. They run with `[connection]`'s app, the
/// deploying one (not the read-only app), so granting that app is the advice.
pub async fn check_permissions(
    client: &GraphClient,
    config_needs: &[Need],
) -> Result<(), EngineError> {
    let strings = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let claims = client.token_claims().await?;
    // A delegated token (`scp`) is checked by Graph itself, per request.
    if claims.get("roles").is_none() && claims.get("scp").is_some() {
        return Ok(());
    }
    let granted = permissions::Granted {
        graph: strings(&claims["roles"]),
        directory_roles: strings(&claims["wids"]),
        ..permissions::Granted::default()
    };
    // Exchange grants are in another resource's token, and Exchange management roles in
    // Exchange itself; doctor looks at those.
    let graph_needs: Vec<Need> = config_needs
        .iter()
        .filter(|n| {
            !matches!(
                n.grant,
                kinds::Grant::Exchange(_) | kinds::Grant::ExchangeRole(_)
            )
        })
        .cloned()
        .collect();
    let missing = permissions::missing(&graph_needs, &granted);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(EngineError::MissingPermissions(
            permissions::missing_message(&missing),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::reqwest_url;

    #[test]
    fn authority_urls_give_host_and_port() {
        assert_eq!(
            reqwest_url("https://login.microsoftonline.com"),
            Ok(("login.microsoftonline.com".into(), 443))
        );
        assert_eq!(
            reqwest_url("https://127.0.0.1:9/tenant"),
            Ok(("127.0.0.1".into(), 9))
        );
        assert_eq!(reqwest_url("http://[::1]:8400"), Ok(("::1".into(), 8400)));
        assert!(reqwest_url("login.microsoftonline.com").is_err());
    }
}
