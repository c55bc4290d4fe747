//! The crash test: `deploy` and `rollback`, the real binary as a child process, killed with
//! SIGKILL at seeded points (once the journal holds N more entries than when the command
//! started: a change just announced, its request most likely in flight), each followed by a
//! rerun, then a rollback of every sprint. The legacy tenant must end exactly as it began:
//! the objects the tool managed restored or removed, the agency's hand-made objects
//! byte-identical, no duplicates, every journal entry settled, and the feature log verifying.
//!
//! `BLUEPRINT_CRASH_TRIALS` sets the number of trials (default 20); each kills one deploy
//! and one rollback when the seeded point is reached before the command finishes. Trial `k`
//! always picks the same points, so a failure is replayed by its seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// Sprint 1 adopts the agency's exclusion group and creates role groups; sprint 2 creates a
/// group setting two features share and an Intune policy with assignments, and updates the
/// agency's group lifecycle and authorization policies. No conditional access (its one write
/// per second would dominate the run time; the rollback tests cover it).
const PLAN: &str = r#"features = ["identity-ca-exclusion-group", "identity-break-glass-accounts", "identity-role-groups", "identity-group-naming-policy", "identity-group-creation-restriction", "identity-group-expiration", "identity-user-settings", "identity-guest-settings", "intune-windows-10-compliance"]

[plan.pins]
"identity-group-naming-policy" = 2
"identity-group-creation-restriction" = 2
"identity-group-expiration" = 2
"identity-user-settings" = 2
"identity-guest-settings" = 2
"intune-windows-10-compliance" = 2
"#;

const SPRINTS: [u32; 2] = [1, 2];

/// splitmix64: a seeded, reproducible source of kill points without a dependency.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `1..=n`.
    fn upto(&mut self, n: u64) -> u64 {
        1 + self.next() % n
    }
}

/// The workspace's journal, read while the CLI writes it.
struct Journal {
    rt: tokio::runtime::Runtime,
    store: blueprint_store::Store,
    tenant: String,
}

impl Journal {
    fn open(ws: &Path, tenant: &str) -> Journal {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = rt
            .block_on(blueprint_store::Store::open(
                &ws.join(".blueprint/state.db"),
            ))
            .unwrap();
        Journal {
            rt,
            store,
            tenant: tenant.to_string(),
        }
    }

    fn changes(&self) -> Vec<blueprint_store::Change> {
        self.rt.block_on(self.store.changes(&self.tenant)).unwrap()
    }

    fn len(&self) -> usize {
        self.changes().len()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.rt.block_on(self.store.close());
    }
}

/// How a command run with a kill point ended.
#[derive(Debug)]
enum Ending {
    /// Killed once the journal had grown by the kill point.
    Killed,
    /// Finished before reaching it, with this exit code.
    Finished(Option<i32>),
}

/// Runs `blueprint ARGS -C WS` and SIGKILLs it once the journal holds `kill_after` entries
/// more than when it started.
fn run_with_kill_point(ws: &Path, journal: &Journal, args: &[&str], kill_after: usize) -> Ending {
    let start = journal.len();
    let mut child = blueprint()
        .args(args)
        .arg("-C")
        .arg(ws)
        .env("BLUEPRINT_ACTOR", "jo@examples.gov.au")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Ending::Finished(status.code());
        }
        if journal.len() >= start + kill_after {
            child.kill().unwrap(); // SIGKILL: no chance to clean up
            let _ = child.wait();
            return Ending::Killed;
        }
        assert!(Instant::now() < deadline, "{args:?} hangs");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every object of every collection by id, with the times Graph stamps on every write
/// removed, and an absent property, null and an empty list or object counted the same
/// (a restore writes back what Graph returned).
fn comparable(state: &Value) -> BTreeMap<String, Value> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, v| {
                    k != "modifiedDateTime"
                        && k != "lastModifiedDateTime"
                        && !v.is_null()
                        && v.as_array().is_none_or(|a| !a.is_empty())
                        && v.as_object().is_none_or(|o| !o.is_empty())
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut out = raw_objects(state);
    out.values_mut().for_each(strip);
    out
}

/// `kind/id` → the object as the emulator stores it, plus the singletons.
fn raw_objects(state: &Value) -> BTreeMap<String, Value> {
    let tenant = &state["tenants"][0];
    let mut out = BTreeMap::new();
    for (kind, items) in tenant["collections"].as_object().unwrap() {
        for (id, item) in items.as_object().unwrap() {
            out.insert(format!("{kind}/{id}"), item.clone());
        }
    }
    for (kind, item) in tenant["singletons"].as_object().into_iter().flatten() {
        out.insert(format!("singleton/{kind}"), item.clone());
    }
    out
}

fn differences(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            format!(
                "{k}: {} -> {}",
                a.get(k).map_or("absent".into(), Value::to_string),
                b.get(k).map_or("absent".into(), Value::to_string)
            )
        })
        .collect()
}

#[test]
fn deploy_and_rollback_killed_at_seeded_points_leave_the_tenant_as_it_began() {
    let trials: u64 = std::env::var("BLUEPRINT_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // The first trial to run: a failure is replayed alone by its seed.
    let first: u64 = std::env::var("BLUEPRINT_CRASH_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let started = Instant::now();
    let dir = temp_dir();
    let emulator = Emulator::start(
        dir.path(),
        "legacy-agency",
        &["--throttle", "off", "--latency-ms", "1..8"],
    );
    let tenant = emulator.ready["tenants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seeded = emulator.state();
    let baseline = comparable(&seeded);
    let (mut deploys_killed, mut rollbacks_killed) = (0, 0);
    for trial in first..trials {
        let mut rng = Seeded(trial);
        let context =
            |what: &str| format!("trial {trial} (BLUEPRINT_CRASH_TRIALS > {trial}): {what}");
        let trial_dir = dir.path().join(format!("trial-{trial}"));
        std::fs::create_dir_all(&trial_dir).unwrap();
        let ws = init(&trial_dir, &emulator, dir.path());
        set_plan(&ws, PLAN);
        ok(&bp(&ws, &["sprints", "plan"]));
        let journal = Journal::open(&ws, &tenant);
        // A deploy of one sprint dies within its first 12 journal entries, a rollback of one
        // sprint within its first 10.
        let deploy_victim = SPRINTS[(rng.next() % 2) as usize];
        let deploy_point = rng.upto(12) as usize;
        let rollback_victim = SPRINTS[(rng.next() % 2) as usize];
        let rollback_point = rng.upto(10) as usize;

        for sprint in SPRINTS {
            let n = sprint.to_string();
            let deploy = ["deploy", "--sprint", n.as_str(), "--yes"];
            if sprint > 1 {
                // Sprint 2 starts once sprint 1's features are verified.
                let _ = bp(&ws, &["evaluate"]);
            }
            if sprint == deploy_victim
                && let Ending::Killed = run_with_kill_point(&ws, &journal, &deploy, deploy_point)
            {
                deploys_killed += 1;
                let state = emulator.state();
                assert!(
                    duplicates(&state).is_empty(),
                    "{}",
                    context(&format!("{:?}", duplicates(&state)))
                );
            }
            let out = bp(&ws, &deploy);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                context(&format!(
                    "deploy sprint {sprint}: {}{}",
                    stdout(&out),
                    stderr(&out)
                ))
            );
        }
        assert!(
            duplicates(&emulator.state()).is_empty(),
            "{}",
            context("duplicates after deploying")
        );

        for sprint in SPRINTS.iter().rev() {
            let n = sprint.to_string();
            let rollback = ["rollback", "--sprint", n.as_str(), "--yes"];
            let mut finished_alone = false;
            if *sprint == rollback_victim {
                match run_with_kill_point(&ws, &journal, &rollback, rollback_point) {
                    Ending::Killed => rollbacks_killed += 1,
                    Ending::Finished(code) => {
                        assert_eq!(
                            code,
                            Some(0),
                            "{}",
                            context(&format!("rollback sprint {sprint}"))
                        );
                        finished_alone = true;
                    }
                }
            }
            let out = bp(&ws, &rollback);
            let again = finished_alone
                && out.status.code() == Some(2)
                && says(&stderr(&out), "rolled back already");
            assert!(
                out.status.code() == Some(0) || again,
                "{}",
                context(&format!(
                    "rollback sprint {sprint}: {}{}",
                    stdout(&out),
                    stderr(&out)
                ))
            );
        }

        let state = emulator.state();
        let diff = differences(&baseline, &comparable(&state));
        assert!(
            diff.is_empty(),
            "{}",
            context(&format!(
                "the tenant differs from how it began:\n{}\njournal:\n{}",
                diff.join("\n"),
                journal
                    .changes()
                    .iter()
                    .map(|c| format!(
                        "{} run {} {} {} {} ({}) id {:?} before {} after {}",
                        c.id,
                        c.run_id,
                        c.op,
                        c.status,
                        c.reference,
                        c.feature,
                        c.object_id,
                        c.before.is_some(),
                        c.after.is_some()
                    ))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        );
        assert!(duplicates(&state).is_empty(), "{}", context("duplicates"));
        // What the tool never touched is byte-identical (write times and all).
        let changes = journal.changes();
        let touched: BTreeSet<&str> = changes
            .iter()
            .filter_map(|c| c.object_id.as_deref())
            .collect();
        let before = raw_objects(&seeded);
        let now = raw_objects(&state);
        for (key, object) in &before {
            let id = key.rsplit('/').next().unwrap_or_default();
            if !key.starts_with("singleton/") && !touched.contains(id) {
                assert_eq!(
                    now.get(key),
                    Some(object),
                    "{}",
                    context(&format!("unmanaged {key} changed"))
                );
            }
        }
        let unsettled: Vec<String> = changes
            .iter()
            .filter(|c| c.status == "started")
            .map(|c| format!("{} {} ({})", c.op, c.reference, c.feature))
            .collect();
        assert!(
            unsettled.is_empty(),
            "{}",
            context(&format!("left in flight: {unsettled:?}"))
        );
        ok(&bp(&ws, &["log", "verify"]));
        drop(journal);
    }
    eprintln!(
        "crash test: {trials} trials, {deploys_killed} deploys and {rollbacks_killed} rollbacks killed mid-run, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        deploys_killed + rollbacks_killed >= trials - first,
        "the kill points landed mid-run: {deploys_killed} deploys, {rollbacks_killed} rollbacks"
    );
}
