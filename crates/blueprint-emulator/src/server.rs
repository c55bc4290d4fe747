//! Listening: one port serving HTTPS (with `--tls`) and plain HTTP on loopback side by side,
//! told apart by the first byte a client sends; per-connection kill switches for injected
//! connection drops; the ready file; and periodic saving of the state.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::http::{ConnInfo, app};
use crate::{Emulator, EmulatorConfig, EmulatorError, write_atomically};

/// What a client needs to reach the emulator: written to `--ready-file` and printed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyInfo {
    /// The Entra authority host (token endpoint is `{authority}/{tenant}/oauth2/v2.0/token`).
    pub authority: String,
    /// The Graph host (requests go to `{graph}/v1.0/...`).
    pub graph: String,
    /// The Exchange Online admin API's host (`{exchange}/adminapi/beta/{tenant}/InvokeCommand`):
    /// the same listener as Graph.
    #[serde(default)]
    pub exchange: String,
    /// Where Security & Compliance's regional endpoint is discovered
    /// (`{compliance}/adminapi/beta/{tenant}/EXOBanner('AutogenSession')`, which redirects to
    /// `{compliance}/{region}`): the same listener.
    #[serde(default)]
    pub compliance: String,
    /// Plain HTTP on loopback (the same port), also when TLS is on.
    pub plain_http: String,
    /// The DNS server answering for the tenants' public zones (`127.0.0.1:PORT`, UDP and
    /// TCP): a profile's `[connection] dns`.
    #[serde(default)]
    pub dns: String,
    /// The CA to trust for HTTPS, when TLS is on.
    pub ca_file: Option<PathBuf>,
    pub tls: bool,
    pub pid: u32,
    /// Where generated material (CA, app certificates and keys) was written.
    pub out_dir: PathBuf,
    pub tenants: Vec<ReadyTenant>,
}

/// What a blueprint profile needs to rehearse against one of the emulator's tenants.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    pub tenant_id: String,
    /// The profile's `[connection]` entries: the tenant, the deployment app (its certificate
    /// and key) and where this emulator serves.
    pub connection: Vec<(String, String)>,
    /// The tenant's break-glass accounts.
    pub break_glass: Vec<String>,
    /// The sensitivity labels a rehearsal stamps protective markings for, as
    /// `(label, label id, X-Protective-Marking value)`: the ABAC's four classifications with
    /// the label ids of its example rules ([`REHEARSAL_LABELS`]), as if the agency had published
    /// them. (The emulator serves no Purview labels: a real agency lists its own.)
    pub protective_markings: Vec<(String, String, String)>,
}

/// The labels of [`Rehearsal::protective_markings`]: the classifications and label ids of the
/// hybrid network configuration ABAC's inbound protective marking rule.
pub const REHEARSAL_LABELS: &[(&str, &str, &str)] = &[
    (
        "UNOFFICIAL",
        "217258b3-6022-44f0-adb4-d6eca052ad20",
        "VER=2018.4, NS=gov.au, SEC=UNOFFICIAL",
    ),
    (
        "OFFICIAL",
        "8260affa-0595-45d6-a83e-a3b79a9c02c4",
        "VER=2018.4, NS=gov.au, SEC=OFFICIAL",
    ),
    (
        "OFFICIAL Sensitive",
        "42227f60-6734-42bf-b4e6-da15ab730981",
        "VER=2018.4, NS=gov.au, SEC=OFFICIAL:Sensitive",
    ),
    (
        "PROTECTED",
        "12dcf2ca-f80e-4ac2-861b-4b6557faeea3",
        "VER=2018.4, NS=gov.au, SEC=PROTECTED",
    ),
];

impl ReadyInfo {
    /// How a profile reaches `tenant`: through its app with a certificate and write
    /// permissions (the deployment app). `None` when the tenant has no such app.
    pub fn rehearsal(&self, tenant: &ReadyTenant) -> Option<Rehearsal> {
        let app = tenant.apps.iter().find(|a| {
            a.certificate_path.is_some() && a.permissions.iter().any(|p| p.contains("ReadWrite"))
        })?;
        let mut connection = vec![
            ("tenant_id".to_string(), tenant.id.clone()),
            ("client_id".to_string(), app.client_id.clone()),
            ("authority".to_string(), self.authority.clone()),
            ("graph".to_string(), self.graph.clone()),
        ];
        if !self.exchange.is_empty() {
            connection.push(("exchange".into(), self.exchange.clone()));
        }
        if !self.compliance.is_empty() {
            connection.push(("compliance".into(), self.compliance.clone()));
        }
        if !self.dns.is_empty() {
            connection.push(("dns".into(), self.dns.clone()));
        }
        let paths = [
            ("certificate_path", &app.certificate_path),
            ("private_key_path", &app.private_key_path),
            ("ca_file", &self.ca_file),
        ];
        for (key, path) in paths {
            if let Some(p) = path {
                connection.push((key.into(), p.display().to_string()));
            }
        }
        Some(Rehearsal {
            tenant_id: tenant.id.clone(),
            connection,
            break_glass: vec![
                format!("breakglass01@{}", tenant.domain),
                format!("breakglass02@{}", tenant.domain),
            ],
            protective_markings: REHEARSAL_LABELS
                .iter()
                .map(|(l, i, m)| (l.to_string(), i.to_string(), m.to_string()))
                .collect(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyTenant {
    pub id: String,
    pub name: String,
    /// The initial `*.onmicrosoft.com` domain.
    pub domain: String,
    pub domains: Vec<String>,
    pub size: crate::SizeClass,
    pub apps: Vec<ReadyApp>,
    /// Users holding directory roles, with the password the sign-in form accepts: who
    /// signs in to `blueprint connect` a rehearsal tenant.
    #[serde(default)]
    pub admins: Vec<ReadyAdmin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyAdmin {
    pub user_principal_name: String,
    pub password: String,
    /// The roles' display names.
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyApp {
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// True when the app's only secret has expired (to rehearse AADSTS7000222).
    pub secret_expired: bool,
    pub certificate_path: Option<PathBuf>,
    pub private_key_path: Option<PathBuf>,
    pub certificate_thumbprint_sha256: Option<String>,
    pub permissions: Vec<String>,
}

/// A running emulator. Dropping it stops the listener.
pub struct RunningEmulator {
    addr: SocketAddr,
    info: ReadyInfo,
    emulator: Arc<Emulator>,
    state_file: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }

    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }

    /// Stops accepting, drops connections and saves the state.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        if let Some(path) = &self.state_file {
            self.emulator.save_if_dirty(path)?;
        }
        Ok(())
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts an emulator: seeds (or loads) its tenants, writes generated material, listens, and
/// writes the ready file once connections are accepted.
pub async fn serve(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    let emulator = Arc::new(Emulator::new(&config)?);
    let out_dir = match &config.out_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("blueprint-emulator-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| EmulatorError::Setup(format!("creating {}: {e}", out_dir.display())))?;
    // The ready file is read from other directories: its paths must not be relative.
    let out_dir = std::fs::canonicalize(&out_dir).unwrap_or(out_dir);

    let tls = if config.tls {
        let material = crate::tls::generate().map_err(EmulatorError::Setup)?;
        let ca_path = out_dir.join("emulator-ca.pem");
        write_atomically(&ca_path, material.ca_pem.as_bytes())
            .map_err(|e| EmulatorError::Setup(format!("writing {}: {e}", ca_path.display())))?;
        Some((tokio_rustls::TlsAcceptor::from(material.config), ca_path))
    } else {
        None
    };

    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Listen {
                addr: config.listen,
                source,
            })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Listen {
            addr: config.listen,
            source,
        })?;
    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else if addr.is_ipv6() {
        format!("[{}]:{}", addr.ip(), addr.port())
    } else {
        addr.to_string()
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let dns_ip = if addr.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let dns = crate::dns::bind(dns_ip)
        .await
        .map_err(|e| EmulatorError::Setup(format!("binding the DNS server on {dns_ip}: {e}")))?;
    let info = ReadyInfo {
        authority: format!("{scheme}://{host}"),
        graph: format!("{scheme}://{host}"),
        exchange: format!("{scheme}://{host}"),
        compliance: format!("{scheme}://{host}/compliance"),
        plain_http: format!("http://{host}"),
        dns: dns.addr.to_string(),
        ca_file: tls.as_ref().map(|(_, p)| p.clone()),
        tls: tls.is_some(),
        pid: std::process::id(),
        out_dir: out_dir.clone(),
        tenants: ready_tenants(&emulator, &out_dir)?,
    };

    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let router = app(emulator.clone());
    let acceptor = tls.map(|(a, _)| a);
    tasks.push(tokio::spawn(crate::dns::serve(
        emulator.clone(),
        dns,
        shutdown_rx.clone(),
    )));
    tasks.push(tokio::spawn(accept_loop(
        listener,
        router,
        acceptor,
        shutdown_rx.clone(),
    )));
    if let Some(path) = config.state_file.clone() {
        emulator.save_if_dirty(&path)?;
        tasks.push(tokio::spawn(save_loop(
            emulator.clone(),
            path,
            shutdown_rx.clone(),
        )));
    }
    if let Some(path) = &config.ready_file {
        let json = serde_json::to_vec_pretty(&info).unwrap_or_default();
        write_atomically(path, &json).map_err(|e| {
            EmulatorError::Setup(format!("writing ready file {}: {e}", path.display()))
        })?;
    }
    Ok(RunningEmulator {
        addr,
        info,
        emulator,
        state_file: config.state_file,
        shutdown,
        tasks,
    })
}

fn ready_tenants(emulator: &Emulator, out_dir: &Path) -> Result<Vec<ReadyTenant>, EmulatorError> {
    let now = time::OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for t in emulator.snapshot() {
        let mut apps = Vec::new();
        for app in &t.apps {
            let (mut cert_path, mut key_path, mut thumb) = (None, None, None);
            if let Some(cert) = app.certificates.first() {
                let stem = format!("{}-{}", t.initial_domain(), app.display_name);
                let c = out_dir.join(format!("{stem}.crt.pem"));
                let k = out_dir.join(format!("{stem}.key.pem"));
                write_atomically(&c, cert.cert_pem.as_bytes())
                    .and_then(|_| write_atomically(&k, cert.key_pem.as_bytes()))
                    .map_err(|e| EmulatorError::Setup(format!("writing app certificate: {e}")))?;
                cert_path = Some(c);
                key_path = Some(k);
                thumb = Some(cert.x5t_s256.clone());
            }
            let secret = app.secrets.first();
            let expired = secret.is_some_and(|s| {
                time::OffsetDateTime::parse(
                    &s.expires,
                    &time::format_description::well_known::Rfc3339,
                )
                .is_ok_and(|e| e <= now)
            });
            apps.push(ReadyApp {
                name: app.display_name.clone(),
                client_id: app.client_id.clone(),
                client_secret: secret.map(|s| s.value.clone()),
                secret_expired: expired,
                certificate_path: cert_path,
                private_key_path: key_path,
                certificate_thumbprint_sha256: thumb,
                permissions: app.permissions.clone(),
            });
        }
        let users = crate::kinds::Kind::by_entity("user");
        let templates = crate::kinds::Kind::by_entity("directoryRoleTemplate");
        let admins = t
            .items(users)
            .filter_map(|u| {
                let id = u["id"].as_str()?;
                let roles: Vec<String> = t
                    .roles_of(id)
                    .iter()
                    .filter_map(|r| {
                        t.find(templates, r)?["displayName"]
                            .as_str()
                            .map(str::to_string)
                    })
                    .collect();
                (!roles.is_empty()).then(|| ReadyAdmin {
                    user_principal_name: u["userPrincipalName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    password: t
                        .fixture_passwords
                        .get(
                            &u["userPrincipalName"]
                                .as_str()
                                .unwrap_or_default()
                                .to_ascii_lowercase(),
                        )
                        .cloned()
                        .unwrap_or_default(),
                    roles,
                })
            })
            .collect();
        out.push(ReadyTenant {
            id: t.id.clone(),
            name: t.display_name.clone(),
            domain: t.initial_domain().to_string(),
            domains: t.domains.clone(),
            size: t.size,
            apps,
            admins,
        });
    }
    Ok(out)
}

async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut first = [0u8; 1];
            let peeked =
                tokio::time::timeout(Duration::from_secs(30), stream.peek(&mut first)).await;
            let is_tls = match peeked {
                Ok(Ok(1)) => first[0] == 0x16,
                _ => return,
            };
            let kill = Arc::new(tokio::sync::Notify::new());
            let info = ConnInfo {
                https: is_tls,
                kill: kill.clone(),
            };
            let served = async {
                if is_tls {
                    let Some(acceptor) = acceptor else { return };
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    serve_connection(TokioIo::new(tls), router, info).await;
                } else {
                    // With TLS on, plain HTTP is offered to this machine only.
                    if acceptor.is_some() && !peer.ip().is_loopback() {
                        return;
                    }
                    serve_connection(TokioIo::new(stream), router, info).await;
                }
            };
            tokio::select! {
                _ = served => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

async fn serve_connection<I>(io: TokioIo<I>, router: axum::Router, info: ConnInfo)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(info.clone());
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let _ = builder.serve_connection(io, service).await;
}

async fn save_loop(emulator: Arc<Emulator>, path: PathBuf, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = emulator.save_if_dirty(&path) {
            tracing::warn!("saving emulator state: {e}");
        }
    }
}
