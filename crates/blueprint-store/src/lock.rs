//! The deploy lock: one deploy or rollback per tenant at a time, whichever process, host or
//! container runs it, and no tenant blocked for ever by one that crashed.
//!
//! One shortcut: a holder that ran on this machine — same boot id, host name and pid
//! namespace, recorded with the lock — and whose pid no longer runs is gone for certain, and
//! its lock is taken over at once (a deploy killed and run again does not wait a minute). A pid
//! is never trusted anywhere else: another host, another container, another boot.
//!
//! # A lease
//!
//! Taking the lock writes a row (`deploy_locks`, one per tenant) naming a fresh random **owner**
//! (128 bits from the system's CSPRNG, new for every acquisition: two containers that share a
//! hostname and pid 1 still differ), who it is for (the actor, the purpose, the host and pid,
//! for people to read; never compared), and an **expiry**. While the deploy runs, a background
//! task (the **heartbeat**) pushes the expiry forward every [`LeaseTerms::heartbeat`]. Another
//! process is refused while the expiry is in the future, and takes the lock over once it has
//! passed: a holder that crashed, was killed or lost its network stops renewing, and its lock
//! lapses by itself within one [`LeaseTerms::duration`]. Releasing deletes the row (only if it
//! is still ours) and stops the heartbeat. Breaking a lock by hand deletes a row whatever its
//! expiry ([`crate::StateStore::release_lock`] with the owner it showed), for when waiting is
//! not an option.
//!
//! Both backends hold the same lease, so one test suite proves both. On PostgreSQL a session
//! advisory lock on a dedicated connection was the alternative; it was not chosen because a
//! holder whose host dies without closing its TCP connection (power loss, a partition, a VM
//! paused) keeps the lock until the server's keepalive gives up on the socket (two hours by
//! default on Linux), it ties the lock to one connection the pool cannot recycle, breaking it
//! needs `pg_terminate_backend` (a superuser's or the owner role's right), and it says nothing
//! about who holds it or since when. A lease lapses on a schedule we choose, and its row
//! answers "who, since when, last heard from when".
//!
//! # How the holder learns it lost the lease
//!
//! Every change to the tenant is preceded by its journal entry ([`crate::Store::record_intent`]:
//! "before changing an object, store its previous state"), so the lease is checked there, on
//! the store handle the lock gives out ([`DeployLock::store`]), twice:
//!
//! 1. in memory, without a round trip: refused once the heartbeat has found the row gone or
//!    someone else's, or once the last confirmed renewal is older than the lease minus a safety
//!    margin ([`LeaseTerms::margin`]) — a holder whose renewals keep failing (the database is
//!    unreachable, the process was suspended) stops before anyone else may take over;
//! 2. in the database, in the same statement that writes the entry: the entry is inserted only
//!    while the lock row still names this owner (a fence), so a lock taken over or broken
//!    between two heartbeats stops the very next change.
//!
//! A refused entry fails its change with [`crate::StoreError::LeaseLost`] before any request
//! goes out; the walk's later changes are refused the same way. What a change had already sent
//! stays journalled (outcomes are always recorded, lease or not).
//!
//! A renewal that fails (an error, not a lost row) is retried at the next beat and is not
//! fatal by itself: the lease is still ours until its expiry, and the in-memory check stops
//! writing [`LeaseTerms::margin`] before that.
//!
//! # Time
//!
//! Expiries are milliseconds since the Unix epoch on the acquiring process's [`Clock`]
//! (tests drive a [`ManualClock`]). Hosts sharing a PostgreSQL store must keep their clocks
//! within the margin of each other (NTP does, by orders of magnitude): a host whose clock runs
//! ahead by more would see a live lease as expired.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::{Store, StoreError};

/// What time it is, in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let now = time::OffsetDateTime::now_utc();
        (now.unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// A clock that moves only when told to: tests expire leases without waiting.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Starts at the system's current time.
    pub fn new() -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(SystemClock.now_ms())))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// How long a lease lasts and how often it is renewed.
#[derive(Clone)]
pub struct LeaseTerms {
    /// How long a lease lasts from its last renewal: how long a crashed holder blocks others.
    pub duration: Duration,
    /// How often the holder renews.
    pub heartbeat: Duration,
    pub clock: Arc<dyn Clock>,
}

impl LeaseTerms {
    /// One minute, renewed every ten seconds. A crashed deploy blocks the tenant for at most a
    /// minute; a live one survives five missed beats, and a renewal may wait the full ten
    /// seconds both backends allow for the database's write lock or a pooled connection
    /// without the lease lapsing.
    pub const DURATION: Duration = Duration::from_secs(60);
    pub const HEARTBEAT: Duration = Duration::from_secs(10);

    /// How long before the expiry the holder stops writing when renewals fail: a quarter of the
    /// lease (15 s by default), room for a change in flight and for clocks that disagree.
    pub fn margin(&self) -> Duration {
        self.duration / 4
    }

    fn duration_ms(&self) -> i64 {
        self.duration.as_millis() as i64
    }
}

impl Default for LeaseTerms {
    fn default() -> Self {
        LeaseTerms {
            duration: Self::DURATION,
            heartbeat: Self::HEARTBEAT,
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for LeaseTerms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseTerms")
            .field("duration", &self.duration)
            .field("heartbeat", &self.heartbeat)
            .finish_non_exhaustive()
    }
}

/// What the lock is taken for, and by whom (for people reading who holds it).
#[derive(Debug, Clone, Copy)]
pub struct LockRequest<'a> {
    pub tenant: &'a str,
    /// `deploy` or `rollback`.
    pub purpose: &'a str,
    /// Who the feature log names for this run.
    pub actor: &'a str,
}

/// A lock as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockHolder {
    pub tenant: String,
    /// The random id of this acquisition: the only thing compared.
    pub owner: String,
    pub pid: u32,
    pub host: String,
    pub purpose: String,
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub acquired_ms: i64,
    /// The last heartbeat.
    pub renewed_ms: i64,
    pub expires_ms: i64,
    /// Where the holder runs: boot id, host name and pid namespace ([`this_machine`]); empty
    /// when unknown. Only compared to decide whether its pid can be checked from here.
    pub machine: String,
}

impl LockHolder {
    /// Whether the holder is provably gone: it ran on this machine (same boot, host and pid
    /// namespace, so its pid means the same process here) and no process has its pid now (or
    /// only a zombie). Such a lease is taken over at once; any other waits for its expiry.
    pub fn is_dead_here(&self) -> bool {
        let here = this_machine();
        !here.is_empty() && self.machine == here && !process_alive(self.pid)
    }

    /// "a deploy by jo@agency.gov.au (process 4242 on build-7, lease 3f2a91c0) since …".
    pub fn describe(&self) -> String {
        let actor = if self.actor.is_empty() {
            String::new()
        } else {
            format!(" by {}", self.actor)
        };
        format!(
            "a {}{actor} (process {} on {}, lease {}) since {}",
            self.purpose,
            self.pid,
            self.host,
            self.short_owner(),
            rfc3339(self.acquired_ms)
        )
    }

    /// The owner id's first eight characters: enough to tell two leases apart in a message.
    pub fn short_owner(&self) -> &str {
        self.owner.get(..8).unwrap_or(&self.owner)
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_ms
    }
}

/// This machine and pid namespace, as far as pids go: the kernel's boot id, the host name and
/// the pid namespace's inode. Empty where that cannot be known (not Linux), so no pid is ever
/// trusted across machines, reboots or containers.
pub fn this_machine() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id");
    let namespace = std::fs::read_link("/proc/self/ns/pid");
    match (boot, namespace) {
        (Ok(boot), Ok(namespace)) => format!(
            "{} {} {}",
            boot.trim(),
            crate::hostname(),
            namespace.display()
        ),
        _ => String::new(),
    }
}

/// Whether a process with `pid` runs (a zombie, killed and not yet reaped, does not).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Milliseconds since the Unix epoch as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms after the Unix epoch"))
}

/// A fresh owner id: 128 random bits, hex.
fn random_owner() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| StoreError::Sqlite("the system's random source failed".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The holder's view of its lease, shared by the heartbeat and the fenced store handle.
pub(crate) struct Lease {
    pub(crate) tenant: String,
    pub(crate) owner: String,
    terms: LeaseTerms,
    state: Mutex<LeaseState>,
}

struct LeaseState {
    /// The last confirmed expiry minus the margin: writing stops here unless renewed.
    valid_until_ms: i64,
    renewed_ms: i64,
    /// Set once the row was found gone or someone else's: final.
    lost: Option<String>,
    /// The last renewal's error, while renewals fail.
    renewal_error: Option<String>,
}

impl Lease {
    fn new(holder: &LockHolder, terms: LeaseTerms) -> Lease {
        let margin = terms.margin().as_millis() as i64;
        Lease {
            tenant: holder.tenant.clone(),
            owner: holder.owner.clone(),
            state: Mutex::new(LeaseState {
                valid_until_ms: holder.expires_ms - margin,
                renewed_ms: holder.renewed_ms,
                lost: None,
                renewal_error: None,
            }),
            terms,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LeaseState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses once the lease is lost or too close to lapsing (see the module documentation).
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let state = self.state();
        if let Some(reason) = &state.lost {
            return Err(self.lost_error(reason.clone()));
        }
        let now = self.terms.clock.now_ms();
        if now >= state.valid_until_ms {
            let why = match &state.renewal_error {
                Some(e) => format!("renewing it failed: {e}"),
                None => "it was not renewed (was the process suspended?)".to_string(),
            };
            return Err(self.lost_error(format!(
                "its last renewal was at {} and it lapses at {}; {why}",
                rfc3339(state.renewed_ms),
                rfc3339(state.valid_until_ms + self.terms.margin().as_millis() as i64),
            )));
        }
        Ok(())
    }

    pub(crate) fn lose(&self, reason: String) -> StoreError {
        let mut state = self.state();
        let reason = state.lost.get_or_insert(reason).clone();
        self.lost_error(reason)
    }

    fn lost_error(&self, reason: String) -> StoreError {
        StoreError::LeaseLost {
            tenant: self.tenant.clone(),
            reason,
        }
    }

    fn renewed(&self, at_ms: i64) {
        let mut state = self.state();
        state.renewed_ms = at_ms;
        state.valid_until_ms =
            at_ms + self.terms.duration_ms() - self.terms.margin().as_millis() as i64;
        state.renewal_error = None;
    }

    fn renewal_failed(&self, error: String) {
        self.state().renewal_error = Some(error);
    }

    fn is_lost(&self) -> bool {
        self.state().lost.is_some()
    }
}

/// Why a lease's row is no longer ours: someone else's now, or gone.
pub(crate) async fn why_lost(store: &Store, tenant: &str) -> String {
    match store.lock_holder(tenant).await {
        Ok(Some(other)) => format!("it was taken over by {}", other.describe()),
        Ok(None) => "it was broken by hand (the feature log names who)".to_string(),
        Err(e) => format!("it is no longer this process's, and reading who holds it failed: {e}"),
    }
}

/// A held deploy lock. Release it with [`DeployLock::release`]; dropped without that, its
/// heartbeat stops and the lease lapses after [`LeaseTerms::duration`], as a crashed holder's
/// would.
pub struct DeployLock {
    lease: Arc<Lease>,
    holder: LockHolder,
    store: Store,
    taken_over: Option<LockHolder>,
    heartbeat: Option<Heartbeat>,
}

struct Heartbeat {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for DeployLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployLock")
            .field("holder", &self.holder)
            .field("taken_over", &self.taken_over)
            .finish_non_exhaustive()
    }
}

impl DeployLock {
    /// Takes the tenant's lock for a new random owner and starts its heartbeat.
    pub(crate) async fn acquire(
        store: &Store,
        request: &LockRequest<'_>,
    ) -> Result<DeployLock, StoreError> {
        let terms = store.terms.clone();
        let now = terms.clock.now_ms();
        let holder = LockHolder {
            tenant: request.tenant.to_string(),
            owner: random_owner()?,
            pid: std::process::id(),
            host: crate::hostname(),
            purpose: request.purpose.to_string(),
            actor: request.actor.to_string(),
            acquired_ms: now,
            renewed_ms: now,
            expires_ms: now + terms.duration_ms(),
            machine: this_machine(),
        };
        let taken_over = store.claim_lock(&holder, now).await?;
        if let Some(previous) = &taken_over {
            tracing::warn!(
                "took over the deploy lock on tenant {} from {}, whose process is gone or whose lease lapsed at {}",
                holder.tenant,
                previous.describe(),
                rfc3339(previous.expires_ms)
            );
        }
        let lease = Arc::new(Lease::new(&holder, terms));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(beat(store.unfenced(), lease.clone(), stopped));
        Ok(DeployLock {
            store: store.fenced(lease.clone()),
            lease,
            holder,
            taken_over,
            heartbeat: Some(Heartbeat { stop, task }),
        })
    }

    /// The store, with every journal entry fenced by this lease: what the deploy writes through.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The lock as this process took it.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    /// The expired lease this acquisition replaced, if any (its holder stopped renewing).
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }

    /// Whether the lease still allows writing (the in-memory half of the fence).
    pub fn check(&self) -> Result<(), StoreError> {
        self.lease.check()
    }

    /// Stops the heartbeat and deletes the lock row if it is still ours.
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Some(heartbeat) = self.heartbeat.take() {
            let _ = heartbeat.stop.send(());
            let _ = heartbeat.task.await;
        }
        if self.lease.is_lost() {
            return Ok(());
        }
        self.store
            .unfenced()
            .release_lock(&self.lease.tenant, &self.lease.owner)
            .await?;
        Ok(())
    }
}

impl Drop for DeployLock {
    fn drop(&mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            let _ = heartbeat.stop.send(());
        }
    }
}

/// The heartbeat: renews the lease every `terms.heartbeat` until told to stop or the lease is
/// found lost.
async fn beat(store: Store, lease: Arc<Lease>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let terms = lease.terms.clone();
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(terms.heartbeat) => {}
        }
        let now = terms.clock.now_ms();
        match store
            .renew_lock(&lease.tenant, &lease.owner, now, now + terms.duration_ms())
            .await
        {
            Ok(true) => lease.renewed(now),
            Ok(false) => {
                let reason = why_lost(&store, &lease.tenant).await;
                tracing::warn!("lost the deploy lock on tenant {}: {reason}", lease.tenant);
                lease.lose(reason);
                return;
            }
            Err(e) => {
                tracing::warn!(
                    "renewing the deploy lock on tenant {} failed (retrying): {e}",
                    lease.tenant
                );
                lease.renewal_failed(e.to_string());
            }
        }
    }
}
