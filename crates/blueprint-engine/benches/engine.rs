//! Benchmarks (not tests), against the emulator on loopback:
//! 1. `evaluate` of the whole catalogue with 50 ms latency per request: Graph round trips and
//!    wall time, beside a naive reader (one GET per object, sequential, as Microsoft365DSC
//!    reads). Goals: ≤ 10 round trips, ≤ 1 s, ≥ 10× faster than naive.
//! 2. A full deploy to an empty tenant under Microsoft's real limits, against the bound the
//!    conditional-access limit sets (1 request/s per tenant). Goal: within 1.2×.
//!
//! Run with `cargo bench -p blueprint-engine`.

use std::time::Instant;

use blueprint_emulator::{FaultConfig, RunningEmulator, ThrottleMode};
use blueprint_engine::{DeployOptions, Session, resources};

#[path = "../tests/support/mod.rs"]
mod support;

async fn emulator(
    throttle: ThrottleMode,
    latency: Option<(u64, u64)>,
    dir: &std::path::Path,
) -> RunningEmulator {
    support::emulator(
        "empty-agency",
        |c| {
            c.throttle = throttle;
            c.faults = FaultConfig {
                latency_ms: latency,
                fault_rate: 0.0,
            };
        },
        dir,
    )
    .await
}

/// A session on the whole automated catalogue (a fresh client each time: its token counts).
fn session(dir: &std::path::Path, running: &RunningEmulator) -> Session {
    support::session(support::workspace(
        dir,
        running,
        &support::automated_features(),
    ))
}

async fn evaluate_against_naive() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator(ThrottleMode::Off, Some((50, 50)), dir.path()).await;
    let s = session(dir.path(), &running);
    s.deploy(&DeployOptions {
        enforce: true,
        ..Default::default()
    })
    .await
    .unwrap();

    // The engine's evaluate, on a fresh client (token included in the count, like a new run).
    let fresh = session(dir.path(), &running);
    let started = Instant::now();
    let evaluation = fresh.evaluate().await.unwrap();
    let engine_time = started.elapsed();
    let stats = fresh.client.stats();
    assert!(evaluation.all_pass());

    // The naive reader: one GET per desired object, one after another.
    let naive = session(dir.path(), &running);
    let started = Instant::now();
    let mut gets = 0;
    for object in &naive.desired {
        let _ = naive.client.get(&resources::read_path(object)).await;
        gets += 1;
    }
    let naive_time = started.elapsed();
    let naive_stats = naive.client.stats();
    println!(
        "evaluate, {} features / {} objects, 50 ms latency, throttling off: {} Graph round trips (+{} token), {:.3} s",
        evaluation.features.len(),
        s.desired.len(),
        stats.round_trips,
        stats.token_requests,
        engine_time.as_secs_f64()
    );
    println!(
        "naive reader (one GET per object, sequential): {} round trips (+{} token), {:.3} s — engine is {:.1}× faster",
        naive_stats.round_trips.max(gets),
        naive_stats.token_requests,
        naive_time.as_secs_f64(),
        naive_time.as_secs_f64() / engine_time.as_secs_f64()
    );
    running.shutdown().await.unwrap();

    // The same evaluation under Microsoft's real limits (conditional access: 1 request/s).
    let dir = tempfile::tempdir().unwrap();
    let running = emulator(ThrottleMode::Realistic, Some((50, 50)), dir.path()).await;
    let s = session(dir.path(), &running);
    s.deploy(&DeployOptions {
        enforce: true,
        ..Default::default()
    })
    .await
    .unwrap();
    // The tenant's conditional-access second belongs to the deploy's last request: a person
    // evaluates later, so the evaluation starts after it rather than paying for it.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let fresh = session(dir.path(), &running);
    let started = Instant::now();
    fresh.evaluate().await.unwrap();
    println!(
        "evaluate, realistic throttling, 50 ms latency: {} round trips, {:.3} s",
        fresh.client.stats().round_trips,
        started.elapsed().as_secs_f64()
    );
    running.shutdown().await.unwrap();
}

async fn deploy_against_the_ca_bound() {
    let dir = tempfile::tempdir().unwrap();
    let running = emulator(ThrottleMode::Realistic, None, dir.path()).await;
    let s = session(dir.path(), &running);
    let started = Instant::now();
    let (_, report) = s
        .deploy(&DeployOptions {
            enforce: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let wall = started.elapsed();
    assert_eq!(report.failed(), 0);
    // Requests to the conditional access service, from the emulator's own counts.
    let ca: u64 = running
        .emulator()
        .request_counts()
        .iter()
        .filter(|(_, route, _, _)| route.starts_with("/v1.0/identity/conditionalAccess"))
        .map(|(_, _, _, n)| n)
        .sum();
    // Each conditional-access request needs its own second; a batch item counts too.
    let bound = ca.saturating_sub(1) as f64;
    println!(
        "deploy of the whole automated catalogue to an empty tenant, realistic throttling: {:.1} s wall, {} changes; {} conditional-access requests set a bound of {:.0} s → {:.2}× the bound",
        wall.as_secs_f64(),
        report.done(),
        ca,
        bound,
        wall.as_secs_f64() / bound.max(1.0)
    );
    running.shutdown().await.unwrap();
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        evaluate_against_naive().await;
        deploy_against_the_ca_bound().await;
    });
}
