//! A stateful stand-in for Microsoft Graph (v1.0) and the Entra ID token service, faithful
//! enough that clients written from Microsoft's documentation work against it unchanged.
//!
//! It serves many tenants in one process, each declared by a fixture: verified domains, size
//! class, app registrations with secrets, certificates and granted application permissions,
//! and the objects the tenant already holds. It validates requests as Graph does, throttles as
//! Graph does, and can inject the faults a good client must survive, reproducibly.
//!
//! This crate shares no code with the product's Graph client on purpose: it is an independent
//! reading of Microsoft's documented behaviour, so the two cannot agree on a mistake.

mod app_protection;
mod apps;
mod auth;
mod batch;
mod branding;
mod countries;
mod defaults;
mod dep;
mod dns;
mod error;
mod exchange;
mod faults;
mod first_party;
mod fixtures;
mod graph;
mod group_policy;
mod http;
mod identity;
mod kinds;
mod licensing;
mod odata;
mod role_policies;
mod rules;
mod schema;
mod server;
mod settings_catalog;
mod signin;
mod tenant;
mod throttle;
mod tls;
mod vpp;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

pub use dns::DnsRecordSet;
pub use error::GraphError;
pub use faults::{FaultConfig, parse_latency};
pub use first_party::{EXCHANGE_APP_ID, GRAPH_APP_ID, GRAPH_CLI_CLIENT_ID};
pub use fixtures::{Fixture, FixtureError, ObjectSpec, TenantSpec, built_in_names};
pub use group_policy::definition_id;
pub use http::app;
pub use server::{ReadyAdmin, ReadyApp, ReadyInfo, ReadyTenant, Rehearsal, RunningEmulator, serve};
pub use tenant::{App, ClientSecret, RoleAssignment, SizeClass, Tenant};
pub use throttle::ThrottleMode;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS (with a generated CA) as well as plain HTTP on loopback.
    pub tls: bool,
    /// Fixtures to seed (ignored when `state_file` already holds a state).
    pub seeds: Vec<Fixture>,
    /// Persist the tenants here (written atomically after changes) and resume from it.
    pub state_file: Option<PathBuf>,
    /// Write one JSON document here once connections are accepted.
    pub ready_file: Option<PathBuf>,
    /// Where generated material goes (CA, app certificates and keys). A temporary directory
    /// when not given.
    pub out_dir: Option<PathBuf>,
    pub faults: FaultConfig,
    pub throttle: ThrottleMode,
    /// Seed for everything random (ids, secrets, faults); random when not given.
    pub rng_seed: Option<u64>,
    /// Lifetime of issued access tokens, in seconds (Entra: about an hour).
    pub token_lifetime_secs: i64,
    /// Largest request body accepted (Graph answers 413 beyond its limit).
    pub max_body_bytes: usize,
    /// The polling interval the device code endpoint asks for (Entra: 5 s).
    pub device_code_interval_secs: u64,
    /// How long a device code stays valid (Entra: 900 s).
    pub device_code_lifetime_secs: u64,
    /// How long a created object stays invisible to reads (lists, filters, `$count`, get by id,
    /// its assignments), as Entra's replicas lag behind a write. Writes see it at once.
    pub replication_lag: std::time::Duration,
    /// How long after Graph creates a Microsoft 365 group Exchange Online shows it (its
    /// mailbox provisioned): until then `Get-UnifiedGroup` leaves it out and `Set-UnifiedGroup`
    /// answers "couldn't be found". Minutes in Microsoft's service; small here by default, so
    /// every deploy of the groups meets the wait.
    pub group_provisioning: std::time::Duration,
    /// The first N creates (POST to a collection) commit but answer HTTP 500, as when Graph
    /// loses the answer: rehearses a create whose outcome is unknown, deterministically.
    pub lose_create_answers: u32,
    /// Requests whose answer is lost once after they commit (HTTP 500), each entry once: an
    /// admin API cmdlet by name (`New-SafeLinksRule`), or a Graph request as `METHOD /path`
    /// (`POST /identity/conditionalAccess/namedLocations`, the path after the version).
    /// Targets one request of a run, where `lose_create_answers` takes the first creates.
    pub lose_answers_to: Vec<String>,
    /// Requests answered 503 before anything is done, each entry once, named as in
    /// `lose_answers_to`: a create refused this way made nothing, although its client cannot
    /// tell it from a lost answer.
    pub refuse_once: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            seeds: Vec::new(),
            state_file: None,
            ready_file: None,
            out_dir: None,
            faults: FaultConfig::default(),
            throttle: ThrottleMode::Realistic,
            rng_seed: None,
            token_lifetime_secs: 3599,
            max_body_bytes: 4 * 1024 * 1024,
            device_code_interval_secs: 5,
            device_code_lifetime_secs: 900,
            replication_lag: std::time::Duration::ZERO,
            group_provisioning: std::time::Duration::from_millis(500),
            lose_create_answers: 0,
            lose_answers_to: Vec::new(),
            refuse_once: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

/// The saved form of an emulator's tenants (`--state FILE`).
#[derive(Serialize, Deserialize)]
struct SavedState {
    format: u32,
    /// The tenants as seeded, so `reset` after a resume returns to the fixture state.
    seed: Vec<Tenant>,
    tenants: Vec<Tenant>,
}

/// Request counts by method, route and status, for `/_emulator/requests`.
#[derive(Default)]
pub(crate) struct Metrics {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl Metrics {
    pub(crate) fn record(&self, method: &str, route: &str, status: u16) {
        *self
            .counts
            .lock()
            .expect("metrics lock")
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> Vec<(String, String, u16, u64)> {
        self.counts
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|((m, r, s), n)| (m.clone(), r.clone(), *s, *n))
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.counts.lock().expect("metrics lock").clear();
    }
}

/// The emulator's shared state: tenants, keys, throttle and fault plan.
pub struct Emulator {
    tenants: RwLock<BTreeMap<String, Arc<Mutex<Tenant>>>>,
    domains: RwLock<HashMap<String, String>>,
    seed: Vec<Tenant>,
    pub(crate) signer: auth::Signer,
    pub(crate) throttle: throttle::Throttle,
    pub(crate) faults: FaultConfig,
    rng: Mutex<StdRng>,
    pub(crate) metrics: Metrics,
    dirty: AtomicBool,
    pub(crate) token_lifetime_secs: i64,
    pub(crate) max_body_bytes: usize,
    /// Device code and authorization code sign-ins in progress.
    pub(crate) signins: signin::SignIns,
    pub(crate) replication: Replication,
    /// [`EmulatorConfig::group_provisioning`].
    pub(crate) group_provisioning: std::time::Duration,
    lose_create_answers: std::sync::atomic::AtomicU32,
    /// What `EmulatorConfig::lose_answers_to` still targets.
    lose_answers_to: Mutex<Vec<String>>,
    /// What `EmulatorConfig::refuse_once` still targets.
    refuse_once: Mutex<Vec<String>>,
}

/// Takes the first of `targets` naming `request` (case-insensitively): whether there was one.
fn take_target(targets: &Mutex<Vec<String>>, request: &str) -> bool {
    let mut targets = targets.lock().expect("fault targets lock");
    match targets.iter().position(|t| t.eq_ignore_ascii_case(request)) {
        Some(i) => {
            targets.remove(i);
            true
        }
        None => false,
    }
}

/// Objects created recently, which reads do not show until the replication lag has passed.
pub(crate) struct Replication {
    lag: std::time::Duration,
    created: Mutex<HashMap<String, std::time::Instant>>,
}

impl Replication {
    fn new(lag: std::time::Duration) -> Self {
        Replication {
            lag,
            created: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn created(&self, id: &str) {
        if self.lag.is_zero() {
            return;
        }
        let mut created = self.created.lock().expect("replication lock");
        let lag = self.lag;
        created.retain(|_, at| at.elapsed() < lag);
        created.insert(id.to_ascii_lowercase(), std::time::Instant::now());
    }

    /// Whether reads must not show this object yet.
    pub(crate) fn hides(&self, id: &str) -> bool {
        if self.lag.is_zero() {
            return false;
        }
        self.created
            .lock()
            .expect("replication lock")
            .get(&id.to_ascii_lowercase())
            .is_some_and(|at| at.elapsed() < self.lag)
    }

    /// Whether reads must not show this stored object yet.
    pub(crate) fn hides_item(&self, item: &serde_json::Value) -> bool {
        item.get("id")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|id| self.hides(id))
    }
}

impl Emulator {
    /// Builds an emulator from seeded tenants (or a saved state).
    pub fn new(config: &EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let mut rng = match config.rng_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let saved = match &config.state_file {
            Some(path) if path.exists() => Some(load_state(path)?),
            _ => None,
        };
        let (seed, tenants) = match saved {
            Some(saved) => (saved.seed, saved.tenants),
            None => {
                let mut all = Vec::new();
                for fixture in &config.seeds {
                    all.extend(fixture.build(&mut rng)?);
                }
                (all.clone(), all)
            }
        };
        let signer = auth::Signer::generate().map_err(EmulatorError::Setup)?;
        let emulator = Emulator {
            tenants: RwLock::new(BTreeMap::new()),
            domains: RwLock::new(HashMap::new()),
            seed,
            signer,
            throttle: throttle::Throttle::new(config.throttle),
            faults: config.faults,
            rng: Mutex::new(rng),
            metrics: Metrics::default(),
            dirty: AtomicBool::new(true),
            token_lifetime_secs: config.token_lifetime_secs,
            max_body_bytes: config.max_body_bytes,
            signins: signin::SignIns::new(
                std::time::Duration::from_secs(config.device_code_interval_secs),
                std::time::Duration::from_secs(config.device_code_lifetime_secs),
            ),
            replication: Replication::new(config.replication_lag),
            group_provisioning: config.group_provisioning,
            lose_create_answers: std::sync::atomic::AtomicU32::new(config.lose_create_answers),
            lose_answers_to: Mutex::new(config.lose_answers_to.clone()),
            refuse_once: Mutex::new(config.refuse_once.clone()),
        };
        emulator.install(tenants)?;
        Ok(emulator)
    }

    fn install(&self, tenants: Vec<Tenant>) -> Result<(), EmulatorError> {
        let mut map = BTreeMap::new();
        let mut domains = HashMap::new();
        for t in tenants {
            let id = t.id.to_ascii_lowercase();
            for d in &t.domains {
                if let Some(other) = domains.insert(d.to_ascii_lowercase(), id.clone())
                    && other != id
                {
                    return Err(EmulatorError::Setup(format!(
                        "domain {d} is declared by two tenants"
                    )));
                }
            }
            if map.insert(id.clone(), Arc::new(Mutex::new(t))).is_some() {
                return Err(EmulatorError::Setup(format!(
                    "tenant id {id} is declared twice"
                )));
            }
        }
        *self.tenants.write().expect("tenants lock") = map;
        *self.domains.write().expect("domains lock") = domains;
        Ok(())
    }

    /// A tenant by id or by one of its verified domains.
    pub fn tenant(&self, id_or_domain: &str) -> Option<Arc<Mutex<Tenant>>> {
        let key = id_or_domain.to_ascii_lowercase();
        let tenants = self.tenants.read().expect("tenants lock");
        if let Some(t) = tenants.get(&key) {
            return Some(t.clone());
        }
        let domains = self.domains.read().expect("domains lock");
        domains.get(&key).and_then(|id| tenants.get(id)).cloned()
    }

    pub fn tenant_ids(&self) -> Vec<String> {
        self.tenants
            .read()
            .expect("tenants lock")
            .values()
            .map(|t| t.lock().expect("tenant lock").id.clone())
            .collect()
    }

    /// Copies of every tenant, for a state dump or a save.
    pub fn snapshot(&self) -> Vec<Tenant> {
        self.tenants
            .read()
            .expect("tenants lock")
            .values()
            .map(|t| t.lock().expect("tenant lock").clone())
            .collect()
    }

    /// Requests served so far: (method, route, status, count), as `/_emulator/requests` gives.
    pub fn request_counts(&self) -> Vec<(String, String, u16, u64)> {
        self.metrics.snapshot()
    }

    /// Back to the seeded state.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        self.install(self.seed.clone())?;
        self.metrics.clear();
        self.mark_dirty();
        Ok(())
    }

    /// Takes one of the create answers still to be lost, if any are left.
    pub(crate) fn take_lost_create_answer(&self) -> bool {
        self.lose_create_answers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Whether the answer to `request` (a cmdlet's name, or `METHOD /path`) is to be lost:
    /// takes the first target naming it (case-insensitively), so each is lost once.
    pub(crate) fn take_lost_answer_to(&self, request: &str) -> bool {
        take_target(&self.lose_answers_to, request)
    }

    /// Whether `request` is to be refused (503) before anything is done, once per target.
    pub(crate) fn take_refusal_of(&self, request: &str) -> bool {
        take_target(&self.refuse_once, request)
    }

    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        f(&mut self.rng.lock().expect("rng lock"))
    }

    /// Replaces (no values: removes) a record set of the public DNS zone of the tenant whose
    /// custom domain holds its name, as the agency's DNS administrator would at its DNS host
    /// (what `PUT /_emulator/dns` does); why not, when the name is in no tenant's domain or the
    /// record is not one the zones hold.
    pub fn set_dns(&self, set: DnsRecordSet) -> Result<(), String> {
        dns::set_anywhere(self, set)
            .map(|_| ())
            .map_err(|(_, why)| why)
    }

    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Saves the state if it changed since the last save.
    pub fn save_if_dirty(&self, path: &std::path::Path) -> Result<(), EmulatorError> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let state = SavedState {
            format: 1,
            seed: self.seed.clone(),
            tenants: self.snapshot(),
        };
        let result = write_atomically(path, &serde_json::to_vec(&state).unwrap_or_default());
        if result.is_err() {
            self.mark_dirty();
        }
        result.map_err(|e| EmulatorError::State {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

fn load_state(path: &std::path::Path) -> Result<SavedState, EmulatorError> {
    let err = |message: String| EmulatorError::State {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let state: SavedState = serde_json::from_slice(&bytes).map_err(|e| {
        err(format!(
            "not an emulator state file ({e}); move it away to start from the fixtures"
        ))
    })?;
    if state.format != 1 {
        return Err(err(format!("unknown state format {}", state.format)));
    }
    Ok(state)
}

/// Writes through a temporary file in the same directory and renames it over the target, so
/// a reader or a crash never sees half a file.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut file = std::fs::File::create(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
