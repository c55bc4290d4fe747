//! The cases, each written once against a [`Db`] and run on both backends by `main.rs`.

use blueprint_store::{Backend, ChangeIntent, JobStatus, ManagedObject, NewJob, Store, StoreError};
use serde_json::json;

use crate::support::Db;

pub async fn journal_records_intent_outcome_and_interruptions(db: Db) {
    let store = db.open().await;
    let run = store.begin_run("t1", "deploy", None).await.unwrap();
    let before = json!({"displayName": "Allowed Countries", "countriesAndRegions": ["AU", "NZ"]});
    let id = store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant: "t1",
            feature: "f",
            reference: "namedLocation:Allowed Countries",
            op: "update",
            object_id: Some("abc"),
            before: Some(&before),
        })
        .await
        .unwrap();
    let object = ManagedObject {
        reference: "namedLocation:Allowed Countries".into(),
        kind: "namedLocation".into(),
        object_id: "abc".into(),
        feature: "f".into(),
        created_by_tool: false,
    };
    store
        .record_done(id, &object, "t1", &json!({"countriesAndRegions": ["AU"]}))
        .await
        .unwrap();
    let second = store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant: "t1",
            feature: "f",
            reference: "group:x",
            op: "create",
            object_id: None,
            before: None,
        })
        .await
        .unwrap();
    store.close().await;

    // A new process opens the same store: the unfinished change is reported once as interrupted.
    let store = db.open().await;
    let run2 = store.begin_run("t1", "deploy", None).await.unwrap();
    let interrupted = store.take_interrupted("t1", run2).await.unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].id, second);
    assert!(store.take_interrupted("t1", run2).await.unwrap().is_empty());
    let changes = store.changes("t1").await.unwrap();
    assert_eq!(changes[0].status, "done");
    assert_eq!(
        changes[0].before.as_ref().unwrap()["countriesAndRegions"],
        json!(["AU", "NZ"])
    );
    assert_eq!(changes[1].status, "interrupted");
    assert_eq!(store.managed_objects("t1").await.unwrap(), vec![object]);
    let runs = store.runs("t1").await.unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| (r.id, r.status.as_str()))
            .collect::<Vec<_>>(),
        vec![(run, "interrupted"), (run2, "running")]
    );
    store.finish_run(run2, "succeeded").await.unwrap();
    let runs = store.runs("t1").await.unwrap();
    assert_eq!(runs[1].status, "succeeded");
    assert!(runs[1].finished_at.is_some());
    assert!(
        store.runs("t2").await.unwrap().is_empty(),
        "runs are per tenant"
    );
}

/// A create's id is recorded (and the object managed, created by the tool) the moment the
/// create returns, before the change completes; a failure keeps it and records the object as
/// the failure left it; a later adoption by name does not downgrade it.
pub async fn a_create_is_known_from_the_moment_it_returns(db: Db) {
    let store = db.open().await;
    let run = store.begin_run("t1", "deploy", Some(1)).await.unwrap();
    let id = store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant: "t1",
            feature: "f",
            reference: "group:x",
            op: "create",
            object_id: None,
            before: None,
        })
        .await
        .unwrap();
    let object = ManagedObject {
        reference: "group:x".into(),
        kind: "group".into(),
        object_id: "g1".into(),
        feature: "f".into(),
        created_by_tool: true,
    };
    store.record_reached(id, &object, "t1", None).await.unwrap();
    let change = &store.changes("t1").await.unwrap()[0];
    assert_eq!(change.status, "started");
    assert_eq!(change.object_id.as_deref(), Some("g1"));
    assert_eq!(change.after, None);
    assert_eq!(
        store.managed_objects("t1").await.unwrap(),
        vec![object.clone()]
    );

    let left = json!({"id": "g1", "displayName": "x"});
    let refused = json!({"status": 404, "code": "Request_ResourceNotFound", "request_id": "r-1"});
    store
        .record_failed(id, "reading back: not found", Some(&refused), Some(&left))
        .await
        .unwrap();
    let change = &store.changes("t1").await.unwrap()[0];
    assert_eq!(change.status, "failed");
    assert_eq!(change.object_id.as_deref(), Some("g1"));
    assert_eq!(change.after.as_ref(), Some(&left));
    assert_eq!(change.refused.as_ref(), Some(&refused));
    // A failure with nothing read back keeps what was recorded.
    store.record_failed(id, "again", None, None).await.unwrap();
    assert_eq!(
        store.changes("t1").await.unwrap()[0].after.as_ref(),
        Some(&left)
    );

    // The next run adopts it by name as an update: still created by the tool.
    let update = store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant: "t1",
            feature: "f",
            reference: "group:x",
            op: "update",
            object_id: Some("g1"),
            before: Some(&left),
        })
        .await
        .unwrap();
    let adopted = ManagedObject {
        created_by_tool: false,
        ..object.clone()
    };
    store
        .record_reached(update, &adopted, "t1", Some(&left))
        .await
        .unwrap();
    assert_eq!(store.managed_objects("t1").await.unwrap(), vec![object]);
}

pub async fn adoption_never_downgrades_created_by_tool(db: Db) {
    let store = db.open().await;
    let run = store.begin_run("t", "deploy", None).await.unwrap();
    for created in [true, false] {
        let id = store
            .record_intent(&ChangeIntent {
                run_id: run,
                tenant: "t",
                feature: "f",
                reference: "group:g",
                op: "x",
                object_id: None,
                before: None,
            })
            .await
            .unwrap();
        let o = ManagedObject {
            reference: "group:g".into(),
            kind: "group".into(),
            object_id: "1".into(),
            feature: "f".into(),
            created_by_tool: created,
        };
        store.record_done(id, &o, "t", &json!({})).await.unwrap();
    }
    assert!(store.managed_objects("t").await.unwrap()[0].created_by_tool);
}

/// A parent the tool builds on without changing it (an Apple enrolment program token) is
/// recorded as managed, not created by the tool; recording it again keeps it so, and letting
/// it go removes it, but never a row the tool created.
pub async fn a_parent_relied_on_is_managed_never_created_and_let_go(db: Db) {
    let store = db.open().await;
    let token = ManagedObject {
        reference: "depOnboardingSetting".into(),
        kind: "depOnboardingSetting".into(),
        object_id: "token-1".into(),
        feature: "intune-apple-enrolment".into(),
        created_by_tool: false,
    };
    store.rely_on("t", &token).await.unwrap();
    store.rely_on("t", &token).await.unwrap();
    assert_eq!(
        store.managed_objects("t").await.unwrap(),
        vec![token.clone()]
    );
    assert!(store.managed_objects("other").await.unwrap().is_empty());
    store.let_go("t", "depOnboardingSetting").await.unwrap();
    assert!(store.managed_objects("t").await.unwrap().is_empty());
    // A row the tool created is not let go.
    let run = store.begin_run("t", "deploy", None).await.unwrap();
    let id = store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant: "t",
            feature: "f",
            reference: "group:g",
            op: "create",
            object_id: None,
            before: None,
        })
        .await
        .unwrap();
    let group = ManagedObject {
        reference: "group:g".into(),
        kind: "group".into(),
        object_id: "1".into(),
        feature: "f".into(),
        created_by_tool: true,
    };
    store
        .record_done(id, &group, "t", &json!({}))
        .await
        .unwrap();
    store.let_go("t", "group:g").await.unwrap();
    assert_eq!(store.managed_objects("t").await.unwrap(), vec![group]);
    store.close().await;
}

pub async fn state_kept_under_another_name_of_the_tenant_is_adopted(db: Db) {
    let store = db.open().await;
    let guid = "8f2c6f1e-3b4d-4c55-9d7e-0a1b2c3d4e5f";
    let object = |reference: &str, id: &str, created: bool| ManagedObject {
        reference: reference.into(),
        kind: "group".into(),
        object_id: id.into(),
        feature: "f".into(),
        created_by_tool: created,
    };
    // Deployed once under the domain (an older blueprint's key), once under the GUID.
    for (tenant, reference, id, created) in [
        ("contoso.onmicrosoft.com", "group:a", "id-a", true),
        ("contoso.onmicrosoft.com", "group:both", "old", true),
        (guid, "group:both", "new", false),
        ("other-tenant.example", "group:a", "id-other", true),
    ] {
        let run = store.begin_run(tenant, "deploy", Some(1)).await.unwrap();
        let change = store
            .record_intent(&ChangeIntent {
                run_id: run,
                tenant,
                feature: "f",
                reference,
                op: "create",
                object_id: None,
                before: None,
            })
            .await
            .unwrap();
        store
            .record_done(change, &object(reference, id, created), tenant, &json!({}))
            .await
            .unwrap();
        store.finish_run(run, "succeeded").await.unwrap();
    }
    let moved = store
        .adopt_tenant_alias("contoso.onmicrosoft.com", guid)
        .await
        .unwrap();
    assert!(moved >= 4, "{moved}");
    assert_eq!(store.runs(guid).await.unwrap().len(), 3);
    assert_eq!(store.changes(guid).await.unwrap().len(), 3);
    assert!(
        store
            .runs("contoso.onmicrosoft.com")
            .await
            .unwrap()
            .is_empty()
    );
    let managed = store.managed_objects(guid).await.unwrap();
    assert_eq!(
        managed,
        vec![
            object("group:a", "id-a", true),
            object("group:both", "new", true)
        ],
        "the newer id, and created by the tool if either run created it"
    );
    assert_eq!(
        store.runs("other-tenant.example").await.unwrap().len(),
        1,
        "another tenant's state is not touched"
    );
    assert_eq!(
        store
            .adopt_tenant_alias("contoso.onmicrosoft.com", guid)
            .await
            .unwrap(),
        0
    );
}

// ---- The deploy lock (a lease: see blueprint_store::lock) ----

use std::time::Duration;

use blueprint_store::{LeaseTerms, LockHolder, LockRequest, ManualClock};

/// Lease terms on a clock the test moves: a one-minute lease renewed every `heartbeat` of real
/// time (an hour: never, within a test).
fn terms(clock: &ManualClock, heartbeat: Duration) -> LeaseTerms {
    LeaseTerms {
        duration: Duration::from_secs(60),
        heartbeat,
        clock: std::sync::Arc::new(clock.clone()),
    }
}

const NEVER: Duration = Duration::from_secs(3600);

fn request(tenant: &str) -> LockRequest<'_> {
    LockRequest {
        tenant,
        purpose: "deploy",
        actor: "jo@agency.gov.au",
    }
}

/// One journal entry for `tenant`, written through `store` (a lock's fenced handle or not).
async fn intent(store: &Store, tenant: &str) -> Result<i64, StoreError> {
    let run = store.begin_run(tenant, "deploy", None).await.unwrap();
    store
        .record_intent(&ChangeIntent {
            run_id: run,
            tenant,
            feature: "f",
            reference: "group:x",
            op: "create",
            object_id: None,
            before: None,
        })
        .await
}

fn locked_by(result: Result<blueprint_store::DeployLock, StoreError>) -> LockHolder {
    match result {
        Err(StoreError::Locked(holder)) => *holder,
        other => panic!("expected the lock to be refused, got {other:?}"),
    }
}

pub async fn locks_are_per_tenant_and_never_shared_by_one_host_and_pid(db: Db) {
    let clock = ManualClock::new();
    let store = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let first = store.acquire_lock(&request("tenant-1")).await.unwrap();
    // The same host and the same pid (this process, as two containers' pid 1 would be): a
    // second acquisition is another owner, and is refused.
    let holder = locked_by(store.acquire_lock(&request("tenant-1")).await);
    assert_eq!(holder.owner, first.holder().owner);
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.actor, "jo@agency.gov.au");
    assert_eq!(holder.expires_ms, holder.acquired_ms + 60_000);
    let message = StoreError::Locked(Box::new(holder.clone())).to_string();
    for part in [
        "tenant-1",
        "a deploy by jo@agency.gov.au",
        &format!("process {}", std::process::id()),
        holder.short_owner(),
        &blueprint_store::rfc3339(holder.expires_ms),
        "break it by hand",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    // Per tenant: tenant 2 is free while tenant 1 is held.
    let second = store.acquire_lock(&request("tenant-2")).await.unwrap();
    assert_ne!(first.holder().owner, second.holder().owner);
    assert_eq!(store.locks().await.unwrap().len(), 2);
    second.release().await.unwrap();
    first.release().await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM deploy_locks").await,
        0,
        "releasing removes the lock"
    );
    store
        .acquire_lock(&request("tenant-1"))
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

pub async fn a_crashed_holder_is_taken_over_after_expiry_and_not_before(db: Db) {
    let clock = ManualClock::new();
    let crashed = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let lock = crashed.acquire_lock(&request("t")).await.unwrap();
    let owner = lock.holder().owner.clone();
    let fenced = lock.store().clone();
    // The holder dies without releasing: its row stays, and nothing renews it.
    drop(lock);

    let other = db.open().await.with_lease_terms(terms(&clock, NEVER));
    assert_eq!(
        locked_by(other.acquire_lock(&request("t")).await).owner,
        owner
    );
    clock.advance(Duration::from_millis(59_999));
    assert_eq!(
        locked_by(other.acquire_lock(&request("t")).await).owner,
        owner,
        "refused until the lease lapses"
    );
    clock.advance(Duration::from_millis(1));
    let taken = other.acquire_lock(&request("t")).await.unwrap();
    assert_eq!(
        taken.taken_over().map(|h| h.owner.as_str()),
        Some(owner.as_str())
    );
    // Were the old holder only stalled, not dead, its next journal entry is refused.
    let refused = intent(&fenced, "t").await.unwrap_err();
    assert!(matches!(refused, StoreError::LeaseLost { .. }), "{refused}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM changes").await,
        0,
        "a refused entry writes nothing"
    );
    intent(taken.store(), "t").await.unwrap();
    taken.release().await.unwrap();
}

pub async fn a_dead_holder_on_this_machine_is_taken_over_at_once(db: Db) {
    let clock = ManualClock::new();
    let store = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let live = child.id();
    let lock = store.acquire_lock(&request("t")).await.unwrap();
    let owner = lock.holder().owner.clone();
    drop(lock);
    // The holder is another live process on this machine: refused.
    db.exec(&format!("UPDATE deploy_locks SET pid = {live}"))
        .await;
    assert_eq!(locked_by(store.acquire_lock(&request("t")).await).pid, live);
    child.kill().unwrap();
    child.wait().unwrap();
    // The same pid, recorded on another machine (or container, or boot): still refused.
    db.exec("UPDATE deploy_locks SET machine = 'another boot another-host pid:[1]'")
        .await;
    assert_eq!(
        locked_by(store.acquire_lock(&request("t")).await).owner,
        owner
    );
    // On this machine, and gone: taken over with no wait.
    db.exec(&format!(
        "UPDATE deploy_locks SET machine = '{}'",
        blueprint_store::lock::this_machine()
    ))
    .await;
    let taken = store.acquire_lock(&request("t")).await.unwrap();
    assert_eq!(taken.taken_over().map(|h| h.pid), Some(live));
    taken.release().await.unwrap();
}

pub async fn a_live_holder_is_never_taken_over(db: Db) {
    let clock = ManualClock::new();
    let holder = db
        .open()
        .await
        .with_lease_terms(terms(&clock, Duration::from_millis(5)));
    let lock = holder.acquire_lock(&request("t")).await.unwrap();
    let first_expiry = lock.holder().expires_ms;
    let other = db.open().await.with_lease_terms(terms(&clock, NEVER));
    // Ten times half a lease: four leases past the first expiry, the heartbeat keeping up.
    for _ in 0..10 {
        clock.advance(Duration::from_secs(30));
        let now = clock_now(&clock);
        let mut renewed = false;
        for _ in 0..2000 {
            let row = holder.lock_holder("t").await.unwrap().expect("still held");
            if row.renewed_ms >= now {
                renewed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(renewed, "the heartbeat renewed the lease");
        let refused = locked_by(other.acquire_lock(&request("t")).await);
        assert_eq!(refused.owner, lock.holder().owner);
    }
    assert!(
        clock_now(&clock) >= first_expiry + 4 * 60_000,
        "four leases past the first expiry"
    );
    lock.check().unwrap();
    intent(lock.store(), "t").await.unwrap();
    lock.release().await.unwrap();
    other
        .acquire_lock(&request("t"))
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

fn clock_now(clock: &ManualClock) -> i64 {
    use blueprint_store::Clock;
    clock.now_ms()
}

pub async fn a_broken_lock_stops_its_holder_at_the_next_entry(db: Db) {
    let clock = ManualClock::new();
    let store = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let lock = store.acquire_lock(&request("t")).await.unwrap();
    intent(lock.store(), "t").await.unwrap();
    // What `blueprint unlock --force` does from another process, between two heartbeats.
    let other = db.open().await;
    assert!(other.release_lock("t", &lock.holder().owner).await.unwrap());
    assert!(
        !other.release_lock("t", &lock.holder().owner).await.unwrap(),
        "a lock is broken once"
    );
    let refused = intent(lock.store(), "t").await.unwrap_err();
    match &refused {
        StoreError::LeaseLost { tenant, reason } => {
            assert_eq!(tenant, "t");
            assert!(reason.contains("broken by hand"), "{reason}");
        }
        other => panic!("expected LeaseLost, got {other:?}"),
    }
    assert!(lock.check().is_err(), "the lease stays lost");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM changes").await, 1);
    // Unfenced handles (reading, recording outcomes) are not affected.
    intent(&store, "t").await.unwrap();
    lock.release().await.unwrap();
    assert_eq!(db.scalar("SELECT COUNT(*) FROM deploy_locks").await, 0);
}

pub async fn a_holder_whose_renewals_fail_stops_before_its_lease_lapses(db: Db) {
    let clock = ManualClock::new();
    let store = db
        .open()
        .await
        .with_lease_terms(terms(&clock, Duration::from_millis(5)));
    let lock = store.acquire_lock(&request("t")).await.unwrap();
    // The database goes away under the holder: every renewal fails from now on.
    store.close().await;
    clock.advance(Duration::from_secs(44));
    lock.check()
        .expect("still inside the lease, less the margin");
    clock.advance(Duration::from_secs(1));
    let mut said = String::new();
    for _ in 0..2000 {
        said = lock.check().unwrap_err().to_string();
        if said.contains("renewing it failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(said.contains("renewing it failed"), "{said}");
    assert!(
        said.contains(&blueprint_store::rfc3339(lock.holder().expires_ms)),
        "{said}"
    );
    drop(lock);
}

pub async fn breaking_a_lock_is_logged_with_who_and_which_lock(db: Db) {
    let clock = ManualClock::new();
    let store = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let lock = store.acquire_lock(&request("t")).await.unwrap();
    let shown = store.lock_holder("t").await.unwrap().expect("held");
    assert_eq!(&shown, lock.holder());
    let event = blueprint_store::LogEvent::lock_broken(&shown, "sam@agency.gov.au", Role::Agency);
    let entry = store
        .break_lock(&shown, &event)
        .await
        .unwrap()
        .expect("broken");
    assert_eq!(entry.event.kind, EventKind::LockBroken);
    assert_eq!(entry.event.actor, "sam@agency.gov.au");
    for (key, value) in [
        ("tenant", json!("t")),
        ("owner", json!(shown.owner)),
        ("holder", json!("jo@agency.gov.au")),
        ("purpose", json!("deploy")),
        ("pid", json!(std::process::id())),
        (
            "last_heartbeat",
            json!(blueprint_store::rfc3339(shown.renewed_ms)),
        ),
    ] {
        assert_eq!(entry.event.detail[key], value, "{key}");
    }
    assert!(store.lock_holder("t").await.unwrap().is_none());
    assert_eq!(store.verify_log().await.unwrap(), Ok(1));
    // The lock shown is gone: a second break (or one racing a new holder) breaks nothing and
    // logs nothing.
    let next = store.acquire_lock(&request("t")).await.unwrap();
    assert!(store.break_lock(&shown, &event).await.unwrap().is_none());
    assert_eq!(store.log(None).await.unwrap().len(), 1);
    assert_eq!(
        store.lock_holder("t").await.unwrap().as_ref(),
        Some(next.holder())
    );
    next.release().await.unwrap();
    drop(lock);
}

pub async fn an_old_style_lock_becomes_a_lease_that_lapses(db: Db) {
    // A store as the previous schema left it, with a lock of the old form.
    db.open().await.close().await;
    db.exec(
        "DROP TABLE deploy_locks;
         DROP TABLE engagements;
         DROP TABLE job_events;
         DROP TABLE jobs;
         ALTER TABLE changes DROP COLUMN refused;
         CREATE TABLE locks (tenant TEXT PRIMARY KEY, pid BIGINT NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL);
         INSERT INTO locks VALUES ('t', 4242, 'old-host', '2025-01-01T00:00:00Z');
         DELETE FROM schema_version WHERE version >= 3;",
    )
    .await;
    let clock = ManualClock::new();
    let store = db.open().await.with_lease_terms(terms(&clock, NEVER));
    let old = locked_by(store.acquire_lock(&request("t")).await);
    assert_eq!((old.pid, old.host.as_str()), (4242, "old-host"));
    clock.advance(Duration::from_secs(121));
    let lock = store.acquire_lock(&request("t")).await.unwrap();
    assert_eq!(lock.taken_over().map(|h| h.pid), Some(4242));
    lock.release().await.unwrap();
}

// ---- The feature log ----

use blueprint_store::{EventKind, FeatureState, GENESIS, LogEvent, Role, feature_status};

fn event(kind: EventKind, feature: &str, sprint: i64) -> LogEvent {
    LogEvent::new(kind, "jo@agency.gov.au", Role::Partner)
        .feature(feature)
        .sprint(sprint)
}

/// The README's verifier, run against an export when Python is available.
const PYTHON_VERIFIER: &str = r#"
import hashlib, json, sys
prev, n = "0" * 64, 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    entry = json.loads(line)
    stored = entry.pop("hash")
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()
    if entry["seq"] != n or entry["prev_hash"] != prev or digest != stored:
        sys.exit(f"entry {n} does not verify")
    prev = stored
print(f"{n} entries verified")
"#;

pub async fn log_chains_entries_verifies_exports_and_derives_status(db: Db) {
    let store = db.open().await;
    assert_eq!(store.verify_log().await.unwrap(), Ok(0));
    let events = [
        event(EventKind::Selected, "ca-001", 1),
        LogEvent::excluded(
            "dlp-002",
            "licence \"E3\" only;\nrevisit in FY27 — ünïcode",
            "pm@agency.gov.au",
            Role::Agency,
        ),
        event(EventKind::Scheduled, "ca-001", 2),
        event(EventKind::Deployed, "ca-001", 2)
            .before(blueprint_store::digest_json(&json!({"state": "disabled"})))
            .after(blueprint_store::digest_json(&json!({"state": "enabled"}))),
        event(EventKind::Verified, "ca-001", 2)
            .detail(json!({"z": [1, {"b": 2, "a": null}], "a": true})),
        LogEvent::phase_decision(
            "transition",
            "all verified",
            "cio@agency.gov.au",
            Role::Program,
        ),
    ];
    let mut appended = Vec::new();
    for e in &events {
        appended.push(store.append_event(e).await.unwrap());
    }
    assert_eq!(appended[0].prev_hash, GENESIS);
    for (i, pair) in appended.windows(2).enumerate() {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, i as i64 + 2);
    }
    assert!(appended[0].time.ends_with('Z'), "{}", appended[0].time);
    assert_eq!(store.verify_log().await.unwrap(), Ok(6));

    let log = store.log(None).await.unwrap();
    assert_eq!(log, appended);
    let ca = store.log(Some("ca-001")).await.unwrap();
    assert_eq!(
        ca.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 3, 4, 5]
    );

    let status = feature_status(&log);
    assert_eq!(status.len(), 2);
    assert_eq!(status["ca-001"].state, FeatureState::Verified);
    assert_eq!(status["ca-001"].sprint, Some(2));
    assert_eq!(status["ca-001"].since_seq, 5);
    assert_eq!(status["dlp-002"].state, FeatureState::Excluded);
    assert!(
        status["dlp-002"]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("licence")
    );

    // The export: one canonical line per entry, hash included, recomputable from the line.
    let mut out = Vec::new();
    assert_eq!(store.export_log(&mut out).await.unwrap(), 6);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[4], log[4].canonical_json(true));
    assert!(
        lines[4].starts_with(r#"{"actor":"jo@agency.gov.au","after_digest":null,"before_digest":null,"detail":{"a":true,"z":[1,{"a":null,"b":2}]},"feature":"ca-001","hash":""#),
        "{}",
        lines[4]
    );
    assert!(lines[4].ends_with(&format!(
        r#","kind":"verified","prev_hash":"{}","role":"partner","seq":5,"sprint":2,"time":"{}"}}"#,
        log[3].hash, log[4].time
    )));
    let path = db.dir().join("export.jsonl");
    std::fs::write(&path, &text).unwrap();
    // The README promises anyone can verify an export with their own script: run that script.
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(PYTHON_VERIFIER)
        .arg(&path)
        .output()
        .expect("python3 runs the README's verifier");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "6 entries verified"
    );
}

pub async fn log_refuses_non_integer_numbers_and_missing_actors(db: Db) {
    let store = db.open().await;
    let err = store
        .append_event(&event(EventKind::Verified, "f", 1).detail(json!({"score": 0.5})))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err}");
    assert!(err.to_string().contains("0.5 is not an integer"), "{err}");
    let err = store
        .append_event(&LogEvent::new(EventKind::Selected, " ", Role::Agency))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs an actor"), "{err}");
    assert!(store.log(None).await.unwrap().is_empty());
}

pub async fn editing_any_column_of_a_log_entry_makes_verify_fail_at_that_entry(db: Db) {
    let store = db.open().await;
    for i in 0..10 {
        store
            .append_event(
                &event(EventKind::Deployed, &format!("f-{i}"), 1)
                    .with("reason", "x")
                    .before("sha256:aa")
                    .after("sha256:bb"),
            )
            .await
            .unwrap();
    }
    let text = |c: &str| {
        (
            format!("{c} || 'x'"),
            format!("substr({c}, 1, length({c}) - 1)"),
        )
    };
    let mut edits: Vec<(&str, (String, String))> = [
        "time",
        "kind",
        "feature",
        "actor",
        "role",
        "detail",
        "before_digest",
        "after_digest",
        "prev_hash",
        "hash",
    ]
    .into_iter()
    .map(|c| (c, text(c)))
    .collect();
    edits.push(("sprint", ("sprint + 1".into(), "sprint - 1".into())));
    edits.push(("seq", ("1000".into(), String::new())));
    for n in [1i64, 7, 10] {
        for (column, (tamper, restore)) in &edits {
            // Renumbering moves the row: it is put back by its new number.
            let (restore, back) = if *column == "seq" {
                (n.to_string(), 1000)
            } else {
                (restore.clone(), n)
            };
            db.exec(&format!(
                "UPDATE feature_log SET {column} = {tamper} WHERE seq = {n}"
            ))
            .await;
            let broken = store.verify_log().await.unwrap().unwrap_err();
            assert_eq!(broken.seq, n, "editing {column} of entry {n}: {broken}");
            db.exec(&format!(
                "UPDATE feature_log SET {column} = {restore} WHERE seq = {back}"
            ))
            .await;
            assert_eq!(
                store.verify_log().await.unwrap(),
                Ok(10),
                "{column} restored"
            );
        }
    }
    // Removing an entry: the chain breaks where it was.
    db.exec("DELETE FROM feature_log WHERE seq = 4").await;
    let broken = store.verify_log().await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
    // A value the column's reader cannot take (SQLite stores any type in any column; a
    // PostgreSQL column keeps its type, so a NULL stands in) is named too, not an error reading
    // the store.
    db.exec(match db.backend() {
        Backend::Sqlite => "UPDATE feature_log SET time = x'ff' WHERE seq = 2",
        Backend::Postgres => "ALTER TABLE feature_log ALTER COLUMN time DROP NOT NULL; UPDATE feature_log SET time = NULL WHERE seq = 2",
    })
    .await;
    let broken = store.verify_log().await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("time"), "{}", broken.reason);
}

/// The second process of `concurrent_appends_from_two_processes_leave_one_chain`: a no-op
/// unless that test started this binary with `BLUEPRINT_STORE_LOG_CHILD` set.
pub async fn log_append_child_helper() {
    let Ok(url) = std::env::var("BLUEPRINT_STORE_LOG_CHILD") else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    std::fs::write(std::env::var_os("BLUEPRINT_STORE_LOG_READY").unwrap(), "").unwrap();
    for i in 0..200 {
        store
            .append_event(
                &LogEvent::new(EventKind::Selected, "child", Role::Program)
                    .feature(format!("c-{i}")),
            )
            .await
            .unwrap();
    }
}

pub async fn concurrent_appends_from_two_processes_leave_one_chain(db: Db) {
    let store = db.open().await;
    let ready = db.dir().join("child-ready");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "log_append_child_helper", "--test-threads=1"])
        .env("BLUEPRINT_STORE_LOG_CHILD", db.url())
        .env("BLUEPRINT_STORE_LOG_READY", &ready)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the child process never opened the store"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Two more writers in this process, each with its own connection pool.
    let tasks: Vec<_> = (0..2)
        .map(|t| {
            let url = db.url().to_string();
            tokio::spawn(async move {
                let store = Store::connect(&url).await.unwrap();
                for i in 0..100 {
                    store
                        .append_event(
                            &LogEvent::new(
                                EventKind::Scheduled,
                                format!("parent-{t}"),
                                Role::Partner,
                            )
                            .feature(format!("p-{i}"))
                            .sprint(1),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(child.wait().unwrap().success(), "the child process failed");

    let log = store.log(None).await.unwrap();
    assert_eq!(log.len(), 400);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as i64 + 1));
    assert_eq!(log.iter().filter(|e| e.event.actor == "child").count(), 200);
    let switches = log
        .windows(2)
        .filter(|w| (w[0].event.actor == "child") != (w[1].event.actor == "child"))
        .count();
    eprintln!("writers interleaved: {switches} hand-overs between the processes");
    assert_eq!(store.verify_log().await.unwrap(), Ok(400));
    // The engine appends from spawned tasks (the trait's futures are Send by their type; this
    // wrapper's is only if what it holds across awaits is).
    fn send<T: Send>(_: &T) {}
    send(&store.append_event(&LogEvent::new(EventKind::Selected, "a", Role::Agency)));
}

pub async fn engagements_are_registered_once_per_id_and_updated_in_place(db: Db) {
    use blueprint_store::Engagement;
    let store = db.open().await;
    assert!(store.engagements().await.unwrap().is_empty());
    let mut dta = Engagement {
        id: "dta".into(),
        agency: "Digital Transformation Agency".into(),
        workspace: "/srv/blueprint/dta".into(),
        partners: vec![],
    };
    let ato = Engagement {
        id: "ato".into(),
        agency: "Australian Taxation Office".into(),
        workspace: "/srv/blueprint/ato".into(),
        partners: vec!["Acme Partners".into()],
    };
    store.register_engagement(&dta).await.unwrap();
    store.register_engagement(&ato).await.unwrap();
    dta.partners = vec!["Acme Partners".into(), "Beta IT".into()];
    store.register_engagement(&dta).await.unwrap();
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.engagements().await.unwrap(), vec![ato, dta]);
}

fn new_job<'a>(engagement: &'a str, kind: &'a str, request: &'a serde_json::Value) -> NewJob<'a> {
    NewJob {
        engagement,
        kind,
        request,
        actor: "jo@dta.gov.au",
        role: blueprint_store::Role::Agency,
    }
}

pub async fn jobs_run_one_per_engagement_and_are_interrupted_when_their_lease_lapses(db: Db) {
    let store = db.open().await;
    let request = json!({"sprint": 1});
    let far = blueprint_store::jobs::now_ms() + 60_000;
    assert!(store.claim_job("r1", far).await.unwrap().is_none());
    let first = store
        .enqueue_job(&new_job("dta", "deploy", &request), None)
        .await
        .unwrap()
        .unwrap();
    let second = store
        .enqueue_job(&new_job("dta", "evaluate", &json!({})), None)
        .await
        .unwrap()
        .unwrap();
    let other = store
        .enqueue_job(&new_job("ato", "evaluate", &json!({})), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.status, JobStatus::Queued);
    assert_eq!(first.request, request);

    // The oldest first; then not dta's second while its first runs, but ato's.
    let claimed = store.claim_job("r1", far).await.unwrap().unwrap();
    assert_eq!((claimed.id, claimed.status), (first.id, JobStatus::Running));
    let claimed = store.claim_job("r2", far).await.unwrap().unwrap();
    assert_eq!(claimed.id, other.id);
    assert!(store.claim_job("r2", far).await.unwrap().is_none());

    // Progress is read back in order, after the last event seen.
    store
        .append_job_events(first.id, &[json!({"n": 1}), json!({"n": 2})])
        .await
        .unwrap();
    store
        .append_job_events(first.id, &[json!({"n": 3})])
        .await
        .unwrap();
    let events = store.job_events(first.id, 0).await.unwrap();
    let ns: Vec<i64> = events
        .iter()
        .map(|e| e.event["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, vec![1, 2, 3]);
    let after = store.job_events(first.id, events[0].id).await.unwrap();
    assert_eq!(after.len(), 2);
    assert!(store.job_events(other.id, 0).await.unwrap().is_empty());

    // Only the claiming runner finishes its job; a job given back is claimed again.
    let result = json!({"done": 2});
    assert!(
        !store
            .finish_job(first.id, "r2", JobStatus::Succeeded, Some(&result))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_job(first.id, "r1", JobStatus::Queued, None)
            .await
            .unwrap()
    );
    let again = store.claim_job("r3", far).await.unwrap().unwrap();
    assert_eq!(again.id, first.id);
    assert!(store.renew_job(first.id, "r3", far + 1).await.unwrap());
    assert!(!store.renew_job(first.id, "r1", far + 1).await.unwrap());
    assert!(
        store
            .finish_job(first.id, "r3", JobStatus::Succeeded, Some(&result))
            .await
            .unwrap()
    );
    let done = store.job(first.id).await.unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(result));
    assert!(done.finished_at.is_some());

    // dta's second job now runs, under a lease that lapses: its runner died.
    let lapsing = blueprint_store::jobs::now_ms() - 1;
    let claimed = store.claim_job("r4", lapsing).await.unwrap().unwrap();
    assert_eq!(claimed.id, second.id);
    let interrupted = store
        .interrupt_lapsed_jobs(blueprint_store::jobs::now_ms())
        .await
        .unwrap();
    assert_eq!(interrupted, vec![second.id], "ato's job holds its lease");
    let job = store.job(second.id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Interrupted);
    let said = store.job_events(second.id, 0).await.unwrap();
    assert_eq!(said.last().unwrap().event["event"], "interrupted");
    // Its runner, back, cannot finish it as if nothing happened.
    assert!(
        !store
            .finish_job(second.id, "r4", JobStatus::Succeeded, None)
            .await
            .unwrap()
    );
    let listed: Vec<i64> = store
        .jobs("dta", 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(listed, vec![second.id, first.id], "newest first");
}

pub async fn a_schedule_queues_one_job_per_interval_across_servers(db: Db) {
    let (a, b) = (db.open().await, db.open().await);
    let request = json!({"scheduled": true});
    let since = blueprint_store::jobs::now_ms() - 60_000;
    let queued = a
        .enqueue_job(&new_job("dta", "evaluate", &request), Some(since))
        .await
        .unwrap();
    assert!(queued.is_some());
    // The other server, a moment later: one was queued within the interval.
    assert!(
        b.enqueue_job(&new_job("dta", "evaluate", &request), Some(since))
            .await
            .unwrap()
            .is_none()
    );
    // Another engagement, or another kind, is its own schedule.
    assert!(
        b.enqueue_job(&new_job("ato", "evaluate", &request), Some(since))
            .await
            .unwrap()
            .is_some()
    );
    // Once the interval has passed, the next one is queued.
    let later = blueprint_store::jobs::now_ms() + 1;
    assert!(
        b.enqueue_job(&new_job("dta", "evaluate", &request), Some(later))
            .await
            .unwrap()
            .is_some()
    );
}

/// Two runners (two connections, as two `serve` processes) claim from one queue at once: every
/// job is claimed, and none twice.
pub async fn two_runners_never_claim_the_same_job(db: Db) {
    const JOBS: usize = 40;
    let store = db.open().await;
    for i in 0..JOBS {
        store
            .enqueue_job(
                &new_job(&format!("agency-{i}"), "evaluate", &json!({})),
                None,
            )
            .await
            .unwrap()
            .unwrap();
    }
    let far = blueprint_store::jobs::now_ms() + 60_000;
    let runner = |name: &'static str, store: Store| {
        tokio::spawn(async move {
            let mut claimed = Vec::new();
            while let Some(job) = store.claim_job(name, far).await.unwrap() {
                assert_eq!(job.runner.as_deref(), Some(name));
                claimed.push(job.id);
            }
            claimed
        })
    };
    let (a, b) = (
        runner("runner-a", db.open().await),
        runner("runner-b", db.open().await),
    );
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a job claimed twice: {a:?} / {b:?}");
    assert_eq!(all.len(), JOBS, "every job claimed once");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
            .await,
        JOBS as i64
    );
}

/// Two runners claim at the same moment from a queue holding two jobs of one engagement, round
/// after round: each passes over the job the other has locked, so without a per-engagement
/// lock both could claim (one engagement, two jobs running). At most one may win a round.
pub async fn two_runners_never_run_two_jobs_of_one_engagement(db: Db) {
    const ROUNDS: usize = 25;
    let setup = db.open().await;
    let (a, b) = (db.open().await, db.open().await);
    let far = blueprint_store::jobs::now_ms() + 60_000;
    for round in 0..ROUNDS {
        let engagement = format!("agency-{round}");
        for _ in 0..2 {
            setup
                .enqueue_job(&new_job(&engagement, "evaluate", &json!({})), None)
                .await
                .unwrap()
                .unwrap();
        }
        let (a2, b2) = (a.clone(), b.clone());
        let (x, y) = tokio::join!(
            tokio::spawn(async move { a2.claim_job("runner-a", far).await.unwrap() }),
            tokio::spawn(async move { b2.claim_job("runner-b", far).await.unwrap() }),
        );
        let claimed: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1, "round {round}: {claimed:?}");
        // End the round's running job so the next engagement starts from a clean queue.
        let job = &claimed[0];
        let runner = job.runner.clone().unwrap();
        assert!(
            setup
                .finish_job(job.id, &runner, JobStatus::Succeeded, None)
                .await
                .unwrap()
        );
        // The second job of the engagement is claimable now, by either runner.
        let next = a
            .claim_job("runner-a", far)
            .await
            .unwrap()
            .expect("the second job");
        assert_eq!(next.engagement, engagement);
        assert!(
            setup
                .finish_job(next.id, "runner-a", JobStatus::Succeeded, None)
                .await
                .unwrap()
        );
    }
}

/// A deploy journals from several tasks at once: each task's intent and outcome land whatever
/// the others do (on SQLite every write transaction waits for the one write lock).
pub async fn journal_writes_from_many_tasks_at_once_all_land(db: Db) {
    let store = db.open().await;
    let run = store.begin_run("t", "deploy", None).await.unwrap();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..8 {
        let store = store.clone();
        let start = std::sync::Arc::clone(&start);
        tasks.spawn(async move {
            start.wait().await;
            for n in 0..6 {
                let reference = format!("group:g{task}-{n}");
                let id = store
                    .record_intent(&ChangeIntent {
                        run_id: run,
                        tenant: "t",
                        feature: "f",
                        reference: &reference,
                        op: "create",
                        object_id: None,
                        before: None,
                    })
                    .await?;
                let object = ManagedObject {
                    reference: reference.clone(),
                    kind: "group".into(),
                    object_id: format!("id-{task}-{n}"),
                    feature: "f".into(),
                    created_by_tool: true,
                };
                store
                    .record_done(id, &object, "t", &json!({"n": n}))
                    .await?;
            }
            Ok::<_, StoreError>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().unwrap();
    }
    let changes = store.changes("t").await.unwrap();
    assert_eq!(changes.len(), 48);
    assert!(changes.iter().all(|c| c.status == "done"), "{changes:#?}");
    assert_eq!(store.managed_objects("t").await.unwrap().len(), 48);
}
