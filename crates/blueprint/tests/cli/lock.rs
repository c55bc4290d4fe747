//! The deploy lock as a person meets it: a deploy refused while another holds the lock, saying
//! whose it is and what to do; `blueprint unlock` showing a lock and breaking it only with
//! --force, recorded in the feature log.

use std::path::Path;

use blueprint_store::{LockHolder, LockRequest, Store};
use serde_json::Value;

use crate::support::*;

/// Takes `tenant`'s lock in the workspace's store as a deploy by `actor` would, then drops it
/// without releasing: a holder that died (its lease stays until it lapses).
fn abandoned_lock(ws: &Path, tenant: &str, actor: &str) -> LockHolder {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    rt.block_on(async {
        let store = Store::open(&ws.join(".blueprint/state.db")).await.unwrap();
        let lock = store
            .acquire_lock(&LockRequest {
                tenant,
                purpose: "deploy",
                actor,
            })
            .await
            .unwrap();
        let holder = lock.holder().clone();
        drop(lock);
        store.close().await;
        holder
    })
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn lock_broken(ws: &Path) -> Vec<Value> {
    log(ws)
        .into_iter()
        .filter(|e| e["kind"] == "lock_broken")
        .collect()
}

#[test]
fn unlock_shows_a_lock_and_breaks_it_only_with_force_and_logs_who_broke_which() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = []");
    let holder = abandoned_lock(&ws, "tenant-a", "pat@partner.com.au");

    let shown = bp(&ws, &["unlock"]);
    assert_eq!(code(&shown), Some(2), "{}", stderr(&shown));
    let text = stdout(&shown);
    for part in [
        "Tenant tenant-a is locked by a deploy by pat@partner.com.au",
        &format!("process {}", holder.pid),
        &holder.host,
        &holder.owner,
        "last heartbeat",
        "lapses at",
    ] {
        assert!(says(&text, part), "{part:?} missing from:\n{text}");
    }
    assert!(says(&stderr(&shown), "pass --force"), "{}", stderr(&shown));
    assert!(
        lock_broken(&ws).is_empty(),
        "nothing broken, nothing logged"
    );

    let program = bp(&ws, &["unlock", "--force", "--role", "program"]);
    assert_eq!(code(&program), Some(2), "{}", stderr(&program));
    assert!(lock_broken(&ws).is_empty());

    let broken = bp(&ws, &["unlock", "--force"]);
    ok(&broken);
    assert!(
        says(&stdout(&broken), "Broke the lock"),
        "{}",
        stdout(&broken)
    );
    let entries = lock_broken(&ws);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["actor"], "jo@examples.gov.au");
    assert_eq!(entry["detail"]["tenant"], "tenant-a");
    assert_eq!(entry["detail"]["owner"], holder.owner.as_str());
    assert_eq!(entry["detail"]["holder"], "pat@partner.com.au");
    assert_eq!(entry["detail"]["host"], holder.host.as_str());

    let again = bp(&ws, &["unlock", "--force"]);
    ok(&again);
    assert!(
        says(&stdout(&again), "No deploy lock"),
        "{}",
        stdout(&again)
    );
    ok(&bp(&ws, &["log", "verify"]));
}

#[test]
fn unlock_asks_which_tenant_when_several_are_locked() {
    let dir = temp_dir();
    let ws = offline_workspace(dir.path(), "features = []");
    abandoned_lock(&ws, "tenant-a", "pat@partner.com.au");
    abandoned_lock(&ws, "tenant-b", "sam@partner.com.au");
    let out = bp(&ws, &["unlock", "--force"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(says(&stderr(&out), "--tenant"), "{}", stderr(&out));
    assert!(lock_broken(&ws).is_empty());
    ok(&bp(&ws, &["unlock", "--force", "--tenant", "tenant-b"]));
    let entries = lock_broken(&ws);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["detail"]["tenant"], "tenant-b");
    let left = bp(&ws, &["unlock"]);
    assert!(
        says(&stdout(&left), "Tenant tenant-a is locked"),
        "{}",
        stdout(&left)
    );
}

#[test]
fn a_deploy_while_another_holds_the_lock_says_whose_it_is_and_what_to_do() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let tenant = emulator.ready["tenants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let holder = abandoned_lock(&ws, &tenant, "pat@partner.com.au");
    let before = emulator.state();
    let out = bp(&ws, &["deploy", "--yes"]);
    assert_eq!(code(&out), Some(1), "{}{}", stdout(&out), stderr(&out));
    let said = stderr(&out);
    for part in [
        &format!("tenant {tenant} is locked by a deploy by pat@partner.com.au"),
        &format!("process {} on {}", holder.pid, holder.host),
        "lapses at",
        "blueprint unlock --force",
    ] {
        assert!(says(&said, part), "{part:?} missing from:\n{said}");
    }
    assert_eq!(emulator.state(), before, "nothing changed in the tenant");
}

#[test]
fn a_tenant_named_by_its_domain_shares_the_lock_and_journal_of_its_guid() {
    let dir = temp_dir();
    let emulator = Emulator::start(dir.path(), "empty-agency", &["--throttle", "off"]);
    let ws = init(dir.path(), &emulator, dir.path());
    let guid = emulator.ready["tenants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let domain = emulator.ready["tenants"][0]["domain"]
        .as_str()
        .unwrap()
        .to_string();
    // State an older blueprint kept under the domain: adopted under the GUID on first use.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    std::fs::create_dir_all(ws.join(".blueprint")).unwrap();
    rt.block_on(async {
        let store = Store::open(&ws.join(".blueprint/state.db")).await.unwrap();
        let run = store.begin_run(&domain, "deploy", Some(1)).await.unwrap();
        store.finish_run(run, "succeeded").await.unwrap();
        store.close().await;
    });
    let holder = abandoned_lock(&ws, &guid, "pat@partner.com.au");
    let by_domain = |args: &[&str]| {
        blueprint()
            .args(args)
            .arg("-C")
            .arg(&ws)
            .env("AZURE_TENANT_ID", &domain)
            .output()
            .unwrap()
    };
    let out = by_domain(&["deploy", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        says(&stderr(&out), &format!("tenant {guid} is locked by")),
        "one tenant, one lock: {}",
        stderr(&out)
    );
    rt.block_on(async {
        let store = Store::open(&ws.join(".blueprint/state.db")).await.unwrap();
        assert!(store.runs(&domain).await.unwrap().is_empty());
        assert_eq!(store.runs(&guid).await.unwrap().len(), 1);
        assert!(store.lock_holder(&domain).await.unwrap().is_none());
        assert_eq!(
            store.lock_holder(&guid).await.unwrap().map(|h| h.owner),
            Some(holder.owner.clone())
        );
        store.close().await;
    });
}
