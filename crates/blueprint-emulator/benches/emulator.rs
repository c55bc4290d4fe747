//! Benchmarks (not tests): simple GETs per second on loopback with throttling off, and the
//! memory of an emulator seeded with 500 tenants. Run with `cargo bench -p blueprint-emulator`.
//! Goals (issue 2): ≥ 5,000 GET/s on 2 cores; < 500 MB with 500 tenants.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use blueprint_emulator::{EmulatorConfig, Fixture, ThrottleMode};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A fixture of `n` tenants, each with a deployment app (secret only), two users and five
/// groups: a program office's worth of agencies.
fn many_tenants(n: usize) -> Fixture {
    let mut yaml = String::from("name: bench\ntenants:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: Agency {i}\n    domains: [agency{i}.onmicrosoft.com]\n    apps:\n      - name: deploy\n        permissions: [Directory.ReadWrite.All, Group.ReadWrite.All, Policy.Read.All]\n    objects:\n"
        ));
        for u in 0..2 {
            yaml.push_str(&format!(
                "      - kind: user\n        body: {{accountEnabled: true, displayName: User {u}, mailNickname: user{u}, userPrincipalName: \"user{u}@{{{{domain}}}}\", passwordProfile: {{password: \"{{{{password}}}}\"}}}}\n"
            ));
        }
        for g in 0..5 {
            yaml.push_str(&format!(
                "      - kind: group\n        body: {{displayName: Group {g}, mailEnabled: false, mailNickname: group{g}, securityEnabled: true}}\n"
            ));
        }
    }
    Fixture::parse(&yaml, "bench").expect("bench fixture")
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> String {
    let r: serde_json::Value = http
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    r["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

async fn gets_per_second() {
    let running = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![Fixture::load("legacy-agency").unwrap()],
        throttle: ThrottleMode::Off,
        rng_seed: Some(1),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let info = running.info().clone();
    let t = &info.tenants[0];
    let app = &t.apps[0];
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let bearer = token(
        &http,
        &info.plain_http,
        &t.id,
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
    )
    .await;
    let url = format!("{}/v1.0/groups?$top=5", info.plain_http);
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let warmup = Duration::from_secs(1);
    let measure = Duration::from_secs(5);
    let concurrency = 32;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, bearer, done, errors) = (
            http.clone(),
            url.clone(),
            bearer.clone(),
            done.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < warmup + measure {
                let ok = match http.get(&url).bearer_auth(&bearer).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                };
                if start.elapsed() > warmup {
                    if ok {
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "GET /v1.0/groups?$top=5, throttling off, {concurrency} connections, client in the same process: {:.0} requests/s over {}s ({} errors)",
        n as f64 / measure.as_secs_f64(),
        measure.as_secs(),
        errors.load(Ordering::Relaxed)
    );
    running.shutdown().await.unwrap();
}

async fn memory_with_tenants(n: usize) {
    let fixture = many_tenants(n);
    let before = rss_kib();
    let started = Instant::now();
    let running = blueprint_emulator::serve(EmulatorConfig {
        seeds: vec![fixture],
        throttle: ThrottleMode::Off,
        rng_seed: Some(2),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let seeded = started.elapsed();
    let after = rss_kib();
    println!(
        "{n} tenants seeded in {:.2}s: resident memory {:.1} MB (process total {:.1} MB)",
        seeded.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / 1024.0,
        after as f64 / 1024.0
    );
    running.shutdown().await.unwrap();
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        memory_with_tenants(500).await;
        gets_per_second().await;
    });
}
