//! Appends 100,000 feature log events (in transactions of 1,000) and verifies them, on each
//! backend: SQLite (a temporary file) and PostgreSQL (a fresh schema on
//! `BLUEPRINT_TEST_POSTGRES`, default the machine's server on 127.0.0.1:5432, database `test`).
//! `cargo bench -p blueprint-store --bench log`; `BLUEPRINT_BENCH_EVENTS=N` to change the count,
//! `BLUEPRINT_BENCH_VERIFY_PASSES=N` the verify passes (3), `BLUEPRINT_BENCH_BACKENDS=sqlite`
//! for one backend. Goal: verify at 500,000 events/s or more on SQLite.

use std::time::Instant;

use blueprint_store::{Backend, EventKind, LogEvent, Role, Store};
use serde_json::json;

#[allow(dead_code)] // the bench uses only part of the tests' fixture
#[path = "../tests/store/support.rs"]
mod support;

fn main() {
    let count: usize = std::env::var("BLUEPRINT_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let kinds = [
        EventKind::Selected,
        EventKind::Scheduled,
        EventKind::Deployed,
        EventKind::Verified,
    ];
    let events: Vec<LogEvent> = (0..count)
        .map(|i| {
            LogEvent::new(kinds[i % kinds.len()], "bench@agency.gov.au", Role::Partner)
                .feature(format!("feature-{:03}", i % 400))
                .sprint((i % 7) as i64 + 1)
                .detail(json!({"reason": "benchmark", "n": i}))
                .after(format!("sha256:{:064x}", i))
        })
        .collect();
    let backends =
        std::env::var("BLUEPRINT_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    for backend in backends.split(',') {
        println!("-- {backend}");
        let backend = match backend {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("unknown backend {other}: sqlite or postgres"),
        };
        rt.block_on(async {
            // The store tests' fixture: a temporary file, or a fresh schema dropped afterwards.
            let db = support::Db::new(backend).await;
            let store = db.open().await;
            run(&store, &events).await;
            store.close().await;
        });
    }
}

async fn run(store: &Store, events: &[LogEvent]) {
    let count = events.len();
    {
        let start = Instant::now();
        for batch in events.chunks(1_000) {
            store.append_events(batch).await.expect("append");
        }
        let append = start.elapsed();
        println!(
            "append: {count} events in {:.2} s = {:.0} events/s (transactions of 1,000)",
            append.as_secs_f64(),
            count as f64 / append.as_secs_f64()
        );
        // The first pass reads the file cold from the OS cache; later passes show the steady
        // state. Each is reported.
        let passes: u32 = std::env::var("BLUEPRINT_BENCH_VERIFY_PASSES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(3);
        for pass in 1..=passes {
            let start = Instant::now();
            let verified = store.verify_log().await.expect("read").expect("verifies");
            let verify = start.elapsed();
            assert_eq!(verified, count as u64);
            println!(
                "verify (pass {pass}): {verified} events in {:.3} s = {:.0} events/s (goal 500,000)",
                verify.as_secs_f64(),
                verified as f64 / verify.as_secs_f64()
            );
        }
        let start = Instant::now();
        let mut sink = std::io::sink();
        store.export_log(&mut sink).await.expect("export");
        let export = start.elapsed();
        println!(
            "export: {count} events in {:.3} s = {:.0} events/s",
            export.as_secs_f64(),
            count as f64 / export.as_secs_f64()
        );
    }
}
