//! The feature log: an append-only, hash-chained record of everything that happened to every
//! feature (selected, excluded and why, scheduled, deployed, verified, drifted, rolled back,
//! attested, phase decisions), with who did it, in which role, when, and digests of the object
//! before and after. A feature's status is derived from it ([`feature_status`]).
//!
//! # Canonical form and the chain
//!
//! An entry's **canonical JSON** is the UTF-8 JSON object of all its fields except `hash`
//! (`actor`, `after_digest`, `before_digest`, `detail`, `feature`, `kind`, `prev_hash`, `role`,
//! `seq`, `sprint`, `time`; absent optional fields are `null`, never omitted), with object keys
//! sorted lexicographically by code point at every level (including inside `detail`), no
//! whitespace outside strings, numbers as integers only (a `detail` holding a non-integer number
//! is refused when appended), and strings escaped as serde_json escapes them (`\"`, `\\`, `\b`,
//! `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx` in lowercase hex, everything
//! else — non-ASCII included — written as is). That is exactly Python's
//! `json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
//!
//! `hash` = lowercase hex SHA-256 of the ASCII `prev_hash` immediately followed by the canonical
//! JSON. The first entry's `prev_hash` is 64 zeros ([`GENESIS`]); every later entry's is the
//! previous entry's `hash`; `seq` runs 1, 2, 3… without gaps.
//!
//! SHA-256 comes from aws-lc-rs: it is already in the build for rustls (one crypto library, no
//! second SHA implementation to audit) and uses the CPU's SHA extensions, which matters for
//! verifying hundreds of thousands of entries a second.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{StoreError, now};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Selected,
    Excluded,
    Scheduled,
    Deployed,
    Verified,
    Drifted,
    RolledBack,
    Attested,
    PhaseDecision,
    /// A deploy lock was broken by hand: which lock, by whom.
    LockBroken,
    /// An evaluation ran: what it found (counts per verdict). A feature's own `verified` or
    /// `drifted` entry is written only when its state changes, so daily runs stay readable.
    Evaluated,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::Selected,
        EventKind::Excluded,
        EventKind::Scheduled,
        EventKind::Deployed,
        EventKind::Verified,
        EventKind::Drifted,
        EventKind::RolledBack,
        EventKind::Attested,
        EventKind::PhaseDecision,
        EventKind::LockBroken,
        EventKind::Evaluated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Selected => "selected",
            EventKind::Excluded => "excluded",
            EventKind::Scheduled => "scheduled",
            EventKind::Deployed => "deployed",
            EventKind::Verified => "verified",
            EventKind::Drifted => "drifted",
            EventKind::RolledBack => "rolled_back",
            EventKind::Attested => "attested",
            EventKind::PhaseDecision => "phase_decision",
            EventKind::LockBroken => "lock_broken",
            EventKind::Evaluated => "evaluated",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown feature log event kind `{s}`"))
    }
}

/// Who acted: the agency, its delivery partner, or the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agency,
    Partner,
    Program,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agency => "agency",
            Role::Partner => "partner",
            Role::Program => "program",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "agency" => Ok(Role::Agency),
            "partner" => Ok(Role::Partner),
            "program" => Ok(Role::Program),
            other => Err(format!(
                "unknown role `{other}`; expected agency, partner or program"
            )),
        }
    }
}

/// An event to append. Build one with [`LogEvent::new`] and the chained setters, e.g.
/// `LogEvent::new(EventKind::Deployed, "jo@agency", Role::Partner).feature("ca-001").sprint(2)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub kind: EventKind,
    pub feature: Option<String>,
    pub actor: String,
    pub role: Role,
    pub sprint: Option<i64>,
    /// Anything else worth keeping: a reason, an evidence digest, a note. Integers only for
    /// numbers (see the module documentation). `{}` when there is nothing.
    pub detail: Value,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
}

impl LogEvent {
    pub fn new(kind: EventKind, actor: impl Into<String>, role: Role) -> LogEvent {
        LogEvent {
            kind,
            feature: None,
            actor: actor.into(),
            role,
            sprint: None,
            detail: Value::Object(Default::default()),
            before_digest: None,
            after_digest: None,
        }
    }

    pub fn feature(mut self, feature: impl Into<String>) -> LogEvent {
        self.feature = Some(feature.into());
        self
    }

    /// The sprint it concerns (`None`: none).
    pub fn sprint(mut self, sprint: impl Into<Option<i64>>) -> LogEvent {
        self.sprint = sprint.into();
        self
    }

    pub fn detail(mut self, detail: Value) -> LogEvent {
        self.detail = detail;
        self
    }

    /// Adds one key to `detail` (turning a non-object `detail` into an object).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> LogEvent {
        if !self.detail.is_object() {
            self.detail = Value::Object(Default::default());
        }
        if let Value::Object(map) = &mut self.detail {
            map.insert(key.to_string(), value.into());
        }
        self
    }

    /// The digest of the object before the event ([`digest_json`] of it).
    pub fn before(mut self, digest: impl Into<String>) -> LogEvent {
        self.before_digest = Some(digest.into());
        self
    }

    /// The digest of the object after the event ([`digest_json`] of it).
    pub fn after(mut self, digest: impl Into<String>) -> LogEvent {
        self.after_digest = Some(digest.into());
        self
    }

    /// `excluded`, with the justification in `detail.reason`.
    pub fn excluded(feature: &str, reason: &str, actor: &str, role: Role) -> LogEvent {
        LogEvent::new(EventKind::Excluded, actor, role)
            .feature(feature)
            .with("reason", reason)
    }

    /// `attested`, with the evidence's SHA-256 in `detail.evidence_digest`.
    pub fn attested(
        feature: &str,
        evidence: &str,
        evidence_digest: &str,
        note: &str,
        actor: &str,
        role: Role,
    ) -> LogEvent {
        LogEvent::new(EventKind::Attested, actor, role)
            .feature(feature)
            .with("evidence", evidence)
            .with("evidence_digest", evidence_digest)
            .with("note", note)
    }

    /// `lock_broken`: the lock `holder` was (tenant, owner, who held it for what, where, since
    /// when, last heard from when), broken by `actor`.
    pub fn lock_broken(holder: &crate::LockHolder, actor: &str, role: Role) -> LogEvent {
        LogEvent::new(EventKind::LockBroken, actor, role)
            .with("tenant", holder.tenant.as_str())
            .with("owner", holder.owner.as_str())
            .with("purpose", holder.purpose.as_str())
            .with("holder", holder.actor.as_str())
            .with("host", holder.host.as_str())
            .with("pid", i64::from(holder.pid))
            .with("since", crate::rfc3339(holder.acquired_ms))
            .with("last_heartbeat", crate::rfc3339(holder.renewed_ms))
            .with("expires", crate::rfc3339(holder.expires_ms))
    }

    /// `phase_decision` (`transition`, `deploy-again` or `exit`) with its note.
    pub fn phase_decision(decision: &str, note: &str, actor: &str, role: Role) -> LogEvent {
        LogEvent::new(EventKind::PhaseDecision, actor, role)
            .with("decision", decision)
            .with("note", note)
    }
}

/// A stored entry: the event, its place in the chain, and its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub time: String,
    pub event: LogEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl LogEntry {
    /// The canonical JSON of the entry, with `hash` when `with_hash` (an export line) and
    /// without it (what the hash covers) otherwise.
    pub fn canonical_json(&self, with_hash: bool) -> String {
        let mut detail = Vec::new();
        // Stored entries were checked when appended; a non-integer here is written as is.
        let _ = write_canonical(&mut detail, &self.event.detail);
        let mut out = Vec::with_capacity(256 + detail.len());
        self.raw(std::str::from_utf8(&detail).unwrap_or("null"))
            .write(&mut out, with_hash.then_some(self.hash.as_str()));
        String::from_utf8(out).unwrap_or_default()
    }

    fn raw<'a>(&'a self, detail: &'a str) -> RawEntry<'a> {
        RawEntry {
            seq: self.seq,
            time: &self.time,
            kind: self.event.kind.as_str(),
            feature: self.event.feature.as_deref(),
            actor: &self.event.actor,
            role: self.event.role.as_str(),
            sprint: self.event.sprint,
            detail,
            before_digest: self.event.before_digest.as_deref(),
            after_digest: self.event.after_digest.as_deref(),
            prev_hash: &self.prev_hash,
        }
    }
}

/// The first entry that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBreak {
    pub seq: i64,
    pub reason: String,
}

impl fmt::Display for LogBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "feature log entry {} does not verify: {}",
            self.seq, self.reason
        )
    }
}

impl std::error::Error for LogBreak {}

/// An entry as its columns hold it, borrowed: what the hash covers. `detail` is canonical JSON
/// text, written verbatim.
pub(crate) struct RawEntry<'a> {
    pub seq: i64,
    pub time: &'a str,
    pub kind: &'a str,
    pub feature: Option<&'a str>,
    pub actor: &'a str,
    pub role: &'a str,
    pub sprint: Option<i64>,
    pub detail: &'a str,
    pub before_digest: Option<&'a str>,
    pub after_digest: Option<&'a str>,
    pub prev_hash: &'a str,
}

impl RawEntry<'_> {
    /// Appends the canonical JSON (keys in sorted order), with `hash` in its sorted place when
    /// given.
    pub fn write(&self, out: &mut Vec<u8>, hash: Option<&str>) {
        out.extend_from_slice(b"{\"actor\":");
        write_str(out, self.actor);
        out.extend_from_slice(b",\"after_digest\":");
        write_opt_str(out, self.after_digest);
        out.extend_from_slice(b",\"before_digest\":");
        write_opt_str(out, self.before_digest);
        out.extend_from_slice(b",\"detail\":");
        out.extend_from_slice(self.detail.as_bytes());
        out.extend_from_slice(b",\"feature\":");
        write_opt_str(out, self.feature);
        if let Some(hash) = hash {
            out.extend_from_slice(b",\"hash\":");
            write_str(out, hash);
        }
        out.extend_from_slice(b",\"kind\":");
        write_str(out, self.kind);
        out.extend_from_slice(b",\"prev_hash\":");
        write_str(out, self.prev_hash);
        out.extend_from_slice(b",\"role\":");
        write_str(out, self.role);
        out.extend_from_slice(b",\"seq\":");
        write_int(out, self.seq);
        out.extend_from_slice(b",\"sprint\":");
        match self.sprint {
            Some(n) => write_int(out, n),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"time\":");
        write_str(out, self.time);
        out.push(b'}');
    }

    /// `hash` of this entry: SHA-256(prev_hash ‖ canonical JSON), lowercase hex. `buf` is
    /// scratch space, reused across calls.
    pub fn hash(&self, buf: &mut Vec<u8>) -> [u8; 64] {
        buf.clear();
        buf.extend_from_slice(self.prev_hash.as_bytes());
        self.write(buf, None);
        hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, buf).as_ref())
    }
}

fn hex(bytes: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().take(32).enumerate() {
        out[2 * i] = DIGITS[(b >> 4) as usize];
        out[2 * i + 1] = DIGITS[(b & 15) as usize];
    }
    out
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Plain strings (the common case: identifiers, digests, times) need no escaping.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{n}");
}

/// Writes `value` as canonical JSON (see the module documentation). Refuses a non-integer
/// number, naming where it is.
pub fn write_canonical(out: &mut Vec<u8>, value: &Value) -> Result<(), String> {
    write_sorted(out, value, true)
}

/// JSON with keys sorted at every level. `strict`: a non-integer number is refused (the
/// feature log's canonical form); otherwise it is written as serde_json writes it.
fn write_sorted(out: &mut Vec<u8>, value: &Value, strict: bool) -> Result<(), String> {
    match value {
        Value::Number(n) if strict && !(n.is_i64() || n.is_u64()) => {
            return Err(format!(
                "{n} is not an integer; the feature log's canonical form allows integers only (write it as a string)"
            ));
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(out, item, strict)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write_sorted(out, &map[key], strict)?;
            }
            out.push(b'}');
        }
        // null, booleans, numbers: as serde_json writes them.
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
    Ok(())
}

/// The canonical JSON text of `value`, or why it has none.
pub fn canonical_json(value: &Value) -> Result<String, String> {
    let mut out = Vec::new();
    write_canonical(&mut out, value)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// `sha256:` + lowercase hex SHA-256 of bytes: for evidence files.
pub fn digest_bytes(bytes: &[u8]) -> String {
    let hex = hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    format!("sha256:{}", std::str::from_utf8(&hex).unwrap_or_default())
}

/// The digest of a Graph object for `before_digest`/`after_digest`: [`digest_bytes`] of its
/// JSON with keys sorted at every level (non-integer numbers written as serde_json writes them,
/// since Graph objects may hold them; the digest only needs to be stable, not re-derivable).
pub fn digest_json(value: &Value) -> String {
    let mut out = Vec::new();
    // Lenient: it cannot fail.
    let _ = write_sorted(&mut out, value, false);
    digest_bytes(&out)
}

/// Where a feature stands, according to its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureState {
    Selected,
    Excluded,
    Scheduled,
    Deployed,
    Verified,
    Drifted,
    RolledBack,
    Attested,
}

impl FeatureState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureState::Selected => "selected",
            FeatureState::Excluded => "excluded",
            FeatureState::Scheduled => "scheduled",
            FeatureState::Deployed => "deployed",
            FeatureState::Verified => "verified",
            FeatureState::Drifted => "drifted",
            FeatureState::RolledBack => "rolled_back",
            FeatureState::Attested => "attested",
        }
    }
}

/// A feature's status derived from its log entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureLogStatus {
    pub state: FeatureState,
    /// The sprint it was last scheduled into (or the last event that named a sprint).
    pub sprint: Option<i64>,
    /// The entry that set `state`.
    pub since_seq: i64,
    pub since: String,
    /// Why it is excluded, when it is.
    pub reason: Option<String>,
}

/// Each feature's status from its entries (in `seq` order): the latest feature event decides
/// the state (`selected → scheduled → deployed → verified | drifted → …`, and `excluded`,
/// `rolled_back`, `attested` likewise); `phase_decision` and entries without a feature change
/// nothing. A feature deployed again after a rollback or drift simply moves on.
pub fn feature_status(entries: &[LogEntry]) -> BTreeMap<String, FeatureLogStatus> {
    let mut out: BTreeMap<String, FeatureLogStatus> = BTreeMap::new();
    for entry in entries {
        let Some(feature) = &entry.event.feature else {
            continue;
        };
        let state = match entry.event.kind {
            EventKind::Selected => FeatureState::Selected,
            EventKind::Excluded => FeatureState::Excluded,
            EventKind::Scheduled => FeatureState::Scheduled,
            EventKind::Deployed => FeatureState::Deployed,
            EventKind::Verified => FeatureState::Verified,
            EventKind::Drifted => FeatureState::Drifted,
            EventKind::RolledBack => FeatureState::RolledBack,
            EventKind::Attested => FeatureState::Attested,
            EventKind::PhaseDecision | EventKind::LockBroken | EventKind::Evaluated => continue,
        };
        let previous_sprint = out.get(feature).and_then(|s| s.sprint);
        let reason = (state == FeatureState::Excluded).then(|| {
            entry
                .event
                .detail
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        });
        out.insert(
            feature.clone(),
            FeatureLogStatus {
                state,
                sprint: entry.event.sprint.or(previous_sprint),
                since_seq: entry.seq,
                since: entry.time.clone(),
                reason,
            },
        );
    }
    out
}

/// The name of the `feature_log` column a query selects at `index`, for messages.
pub(crate) fn column_name(index: usize) -> &'static str {
    crate::sql::log_columns!()
        .split(", ")
        .nth(index)
        .unwrap_or("?")
}

/// Rows read per query when walking the whole log: bounded memory, few round trips.
pub(crate) const PAGE: i64 = 20_000;

/// Borrows a row's columns as the hash covers them, naming the column that cannot be read.
/// Generic over the backend's row type: both read the same columns the same way.
pub(crate) fn raw_from_row<'r, R>(row: &'r R) -> Result<(RawEntry<'r>, &'r str), String>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn col<'r, R, T>(row: &'r R, i: usize) -> Result<T, String>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        row.try_get(i)
            .map_err(|e| format!("column {} cannot be read ({e})", column_name(i)))
    }
    Ok((
        RawEntry {
            seq: col(row, 0)?,
            time: col(row, 1)?,
            kind: col(row, 2)?,
            feature: col(row, 3)?,
            actor: col(row, 4)?,
            role: col(row, 5)?,
            sprint: col(row, 6)?,
            detail: col(row, 7)?,
            before_digest: col(row, 8)?,
            after_digest: col(row, 9)?,
            prev_hash: col(row, 10)?,
        },
        col(row, 11)?,
    ))
}

impl RawEntry<'_> {
    /// The entry as the API hands it out: `detail` parsed, names checked.
    pub(crate) fn to_entry(&self, hash: &str) -> Result<LogEntry, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptLog {
            seq: self.seq,
            reason,
        };
        Ok(LogEntry {
            seq: self.seq,
            time: self.time.to_string(),
            event: LogEvent {
                kind: self.kind.parse().map_err(corrupt)?,
                feature: self.feature.map(str::to_string),
                actor: self.actor.to_string(),
                role: self.role.parse().map_err(corrupt)?,
                sprint: self.sprint,
                detail: serde_json::from_str(self.detail)
                    .map_err(|e| corrupt(format!("detail is not JSON ({e})")))?,
                before_digest: self.before_digest.map(str::to_string),
                after_digest: self.after_digest.map(str::to_string),
            },
            prev_hash: self.prev_hash.to_string(),
            hash: hash.to_string(),
        })
    }
}

/// Checks the events to append and returns each one's canonical `detail`: every event needs an
/// actor, and a detail with a non-integer number has no canonical form.
pub(crate) fn canonical_details(events: &[LogEvent]) -> Result<Vec<String>, StoreError> {
    events
        .iter()
        .map(|event| {
            if event.actor.trim().is_empty() {
                return Err(StoreError::InvalidEvent(format!(
                    "a {} event needs an actor: who did it",
                    event.kind
                )));
            }
            canonical_json(&event.detail).map_err(|reason| {
                StoreError::InvalidEvent(format!("{} event's detail: {reason}", event.kind))
            })
        })
        .collect()
}

/// Chains `events` onto the entry (`seq`, `prev_hash`) that is last in the log: numbers,
/// times and hashes them. The backend inserts the result in the same transaction that read the
/// last entry.
pub(crate) fn chain(
    mut seq: i64,
    mut prev_hash: String,
    events: &[LogEvent],
    details: &[String],
) -> Vec<(LogEntry, String)> {
    let mut buf = Vec::with_capacity(512);
    let mut entries = Vec::with_capacity(events.len());
    for (event, detail) in events.iter().zip(details) {
        seq += 1;
        let time = now();
        let raw = RawEntry {
            seq,
            time: &time,
            kind: event.kind.as_str(),
            feature: event.feature.as_deref(),
            actor: &event.actor,
            role: event.role.as_str(),
            sprint: event.sprint,
            detail,
            before_digest: event.before_digest.as_deref(),
            after_digest: event.after_digest.as_deref(),
            prev_hash: &prev_hash,
        };
        let hash = String::from_utf8_lossy(&raw.hash(&mut buf)).into_owned();
        entries.push((
            LogEntry {
                seq,
                time,
                event: event.clone(),
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            },
            detail.clone(),
        ));
    }
    entries
}

/// Walks the log in `seq` order and stops at the first entry that does not verify. Both
/// backends feed it rows; only how they read the rows differs.
pub(crate) struct Verifier {
    expected: i64,
    prev: [u8; 64],
    buf: Vec<u8>,
}

impl Verifier {
    pub fn new() -> Verifier {
        let mut prev = [0u8; 64];
        prev.copy_from_slice(GENESIS.as_bytes());
        Verifier {
            expected: 1,
            prev,
            buf: Vec::with_capacity(512),
        }
    }

    /// A row that could not be read as an entry.
    pub fn unreadable(&self, reason: String) -> LogBreak {
        LogBreak {
            seq: self.expected,
            reason,
        }
    }

    /// Checks the next row: its number, its link to the previous entry, its own hash.
    pub fn check(&mut self, raw: &RawEntry<'_>, hash: &str) -> Result<(), LogBreak> {
        let expected = self.expected;
        if raw.seq != expected {
            return Err(self.unreadable(format!(
                "entry {expected} is missing: the entry after {} is numbered {}",
                expected - 1,
                raw.seq
            )));
        }
        if raw.prev_hash.as_bytes() != self.prev.as_slice() {
            return Err(self.unreadable(format!(
                "its prev_hash {} is not the hash of entry {} ({})",
                raw.prev_hash,
                expected - 1,
                String::from_utf8_lossy(&self.prev)
            )));
        }
        let computed = raw.hash(&mut self.buf);
        if computed.as_slice() != hash.as_bytes() {
            return Err(self.unreadable(format!(
                "its contents hash to {}, not to its recorded hash {hash}",
                String::from_utf8_lossy(&computed)
            )));
        }
        self.prev = computed;
        self.expected += 1;
        Ok(())
    }

    /// How many entries verified.
    pub fn count(&self) -> u64 {
        (self.expected - 1) as u64
    }
}
