//! The engine against the emulator over HTTP(S): converge, adopt without duplicating, leave
//! unmanaged objects alone, survive faults, and prove the result by evaluation.

mod support;

use std::collections::BTreeMap;

use blueprint_emulator::{FaultConfig, RunningEmulator};
use blueprint_engine::{DeployOptions, Op, Verdict};
use serde_json::Value;
use support::{automated_features, emulator, quiet, session, workspace};

async fn state(running: &RunningEmulator) -> Value {
    let tenants: Vec<Value> = running
        .emulator()
        .snapshot()
        .into_iter()
        .map(|t| serde_json::json!({"collections": t.collections, "singletons": t.singletons}))
        .collect();
    serde_json::json!({ "tenants": tenants })
}

/// Display names (or UPNs) per collection, to find duplicates.
fn names(state: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (kind, items) in state["tenants"][0]["collections"].as_object().unwrap() {
        let mut names: Vec<String> = items
            .as_object()
            .unwrap()
            .values()
            .filter_map(|o| {
                o["displayName"]
                    .as_str()
                    .or(o["templateId"].as_str())
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        out.insert(kind.clone(), names);
    }
    out
}

fn assert_no_duplicates(state: &Value) {
    for (kind, names) in names(state) {
        if kind == "groupSettingTemplate" || kind == "authenticationMethodConfiguration" {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        for n in &names {
            assert!(seen.insert(n), "duplicate {kind} '{n}'");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploys_the_automated_catalogue_to_an_empty_tenant_and_proves_it() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator("empty-agency", |_| {}, dir.path()).await;
    let features = automated_features();
    let s = session(workspace(dir.path(), &running, &features));

    let (plan, _) = s.plan(false).await.unwrap();
    assert!(plan.count(Op::Create) > 20, "creates most of the catalogue");
    assert_eq!(
        plan.blocked().count(),
        0,
        "{:?}",
        plan.blocked()
            .map(|a| a.blocked.clone())
            .collect::<Vec<_>>()
    );

    let (_, report) = s.deploy(&DeployOptions::default(), quiet()).await.unwrap();
    assert_eq!(report.failed(), 0, "{:#?}", report.results);
    let (_, enforced) = s
        .deploy(
            &DeployOptions {
                enforce: true,
                ..Default::default()
            },
            quiet(),
        )
        .await
        .unwrap();
    assert_eq!(enforced.failed(), 0, "{:#?}", enforced.results);

    let evaluation = s.evaluate().await.unwrap();
    let failing: Vec<_> = evaluation
        .features
        .iter()
        .filter(|f| f.verdict != Verdict::Pass)
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
    assert_eq!(evaluation.features.len(), features.len());

    let (again, _) = s.plan(true).await.unwrap();
    assert!(
        !again.has_changes(),
        "a second plan shows zero changes: {:#?}",
        again
            .actions
            .iter()
            .filter(|a| a.op != Op::Unchanged && a.op != Op::Check)
            .map(|a| (&a.reference, &a.changes))
            .collect::<Vec<_>>()
    );
    assert_no_duplicates(&state(&running).await);

    // The feature log records what happened, in one chain that verifies.
    let store = s.workspace.state.open().await.unwrap();
    let log = store.log(None).await.unwrap();
    let deployed: std::collections::BTreeSet<_> = log
        .iter()
        .filter(|e| e.event.kind == blueprint_store::EventKind::Deployed)
        .filter_map(|e| e.event.feature.clone())
        .collect();
    assert!(
        deployed.len() >= features.len() - 1,
        "deployed: {deployed:?}"
    );
    let verified = log
        .iter()
        .filter(|e| e.event.kind == blueprint_store::EventKind::Verified)
        .count();
    assert_eq!(verified, features.len(), "one verified entry per feature");
    assert_eq!(store.verify_log().await.unwrap().unwrap(), log.len() as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn converges_on_the_legacy_tenant_and_leaves_unmanaged_objects_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator("legacy-agency", |_| {}, dir.path()).await;
    let before = state(&running).await;
    let s = session(workspace(dir.path(), &running, &automated_features()));
    let (plan, _) = s.plan(false).await.unwrap();
    // Adopted, not duplicated: the legacy "Allowed Countries" is updated in place.
    let countries = plan
        .actions
        .iter()
        .find(|a| a.reference == "namedLocation:Allowed Countries")
        .unwrap();
    assert_eq!(countries.op, Op::Update);
    assert!(
        countries
            .changes
            .iter()
            .any(|c| c.path == "countriesAndRegions")
    );

    let (_, report) = s
        .deploy(
            &DeployOptions {
                enforce: true,
                ..Default::default()
            },
            quiet(),
        )
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{:#?}", report.results);
    let evaluation = s.evaluate().await.unwrap();
    assert!(
        evaluation.all_pass(),
        "{:#?}",
        evaluation
            .features
            .iter()
            .filter(|f| f.verdict != Verdict::Pass)
            .collect::<Vec<_>>()
    );
    let (again, _) = s.plan(true).await.unwrap();
    assert!(!again.has_changes());

    let after = state(&running).await;
    assert_no_duplicates(&after);
    let store = s.workspace.state.open().await.unwrap();
    let mut managed: std::collections::HashSet<String> = store
        .managed_objects(&s.tenant_id())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.object_id)
        .collect();
    // Authentication method configurations the blueprint sets are part of the managed policy.
    for object in s
        .desired
        .iter()
        .filter(|o| o.kind == "authenticationMethodsPolicy")
    {
        for config in object.desired["authenticationMethodConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            managed.insert(config["id"].as_str().unwrap().to_string());
        }
    }
    let mut untouched = 0;
    for (kind, items) in before["tenants"][0]["collections"].as_object().unwrap() {
        for (id, object) in items.as_object().unwrap() {
            if managed.contains(id) {
                continue;
            }
            assert_eq!(
                &after["tenants"][0]["collections"][kind][id], object,
                "unmanaged {kind} {id} changed"
            );
            untouched += 1;
        }
    }
    assert!(
        untouched >= 8,
        "the legacy tenant's own objects were compared ({untouched})"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn converges_through_faults_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator(
        "empty-agency",
        |c| {
            c.faults = FaultConfig {
                latency_ms: Some((0, 20)),
                fault_rate: 0.2,
            };
            c.rng_seed = Some(77);
        },
        dir.path(),
    )
    .await;
    let s = session(workspace(dir.path(), &running, &automated_features()));
    let mut runs = 0;
    loop {
        runs += 1;
        let result = s
            .deploy(
                &DeployOptions {
                    enforce: true,
                    ..Default::default()
                },
                quiet(),
            )
            .await;
        if let Ok((_, report)) = &result
            && report.failed() == 0
        {
            break;
        }
        assert!(runs < 8, "converges within a few runs: {result:?}");
    }
    assert_no_duplicates(&state(&running).await);
    let evaluation = loop {
        // Reads can meet injected faults too; the client retries, a run may still fail.
        if let Ok(e) = s.evaluate().await {
            break e;
        }
    };
    assert!(
        evaluation.all_pass(),
        "{:#?}",
        evaluation
            .features
            .iter()
            .filter(|f| f.verdict != Verdict::Pass)
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_of_deselected_features_are_deleted_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator("empty-agency", |_| {}, dir.path()).await;
    let all = automated_features();
    let s = session(workspace(dir.path(), &running, &all));
    let (_, report) = s.deploy(&DeployOptions::default(), quiet()).await.unwrap();
    assert_eq!(report.failed(), 0, "{:#?}", report.results);
    let group_names = |state: &Value| -> Vec<String> {
        state["tenants"][0]["collections"]["group"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|g| g["displayName"].as_str().map(str::to_string))
            .collect()
    };
    let before = group_names(&state(&running).await);
    assert!(
        before.iter().any(|n| n.contains("O365-Outlook")),
        "{before:?}"
    );

    // The agency deselects the collaboration groups.
    let fewer: Vec<String> = all
        .into_iter()
        .filter(|f| f != "identity-collaboration-groups")
        .collect();
    let s = session(workspace(dir.path(), &running, &fewer));
    let (plan, _) = s.plan(false).await.unwrap();
    let orphans: Vec<&str> = plan.orphans.iter().map(|o| o.reference.as_str()).collect();
    assert_eq!(orphans.len(), 2, "{orphans:?}");
    assert!(!plan.has_changes(), "kept unless deletion is allowed");
    s.deploy(&DeployOptions::default(), quiet()).await.unwrap();
    assert_eq!(
        group_names(&state(&running).await),
        before,
        "nothing deleted without --allow-delete"
    );

    let (_, report) = s
        .deploy(
            &DeployOptions {
                allow_delete: true,
                ..Default::default()
            },
            quiet(),
        )
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{:#?}", report.results);
    let after = group_names(&state(&running).await);
    assert!(!after.iter().any(|n| n.contains("O365")), "{after:?}");
    assert_eq!(
        after.len(),
        before.len() - 2,
        "only the two deselected groups went"
    );
    let (plan, _) = s.plan_with(false, true).await.unwrap();
    assert!(plan.orphans.is_empty(), "the tool no longer manages them");
    // The delete is journalled with the object as it was.
    let store = s.workspace.state.open().await.unwrap();
    let deletes: Vec<_> = store
        .changes(&s.tenant_id())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.op == "delete")
        .collect();
    assert_eq!(deletes.len(), 2);
    assert!(
        deletes
            .iter()
            .all(|c| c.status == "done" && c.before.is_some())
    );
}
