//! The web app under load: 200 signed-in people at once browsing the overview and the
//! engagement pages of 100 engagements, over real connections on loopback (the load generator
//! runs in the same process). Prints p50/p95/p99 latency, throughput, errors and the process's
//! resident memory. Goal: p95 < 200 ms.
//!
//! `cargo bench -p blueprint-web --bench load` (release), or `cargo test -p blueprint-web
//! --bench load` for a quick debug-build run. `BLUEPRINT_LOAD_ROUNDS` sets the pages each
//! person opens (default 20).

use std::time::{Duration, Instant};

use blueprint_engine::Workspace;
use blueprint_engine::engagement;
use blueprint_store::{EventKind, LogEvent, Role, Store};
use blueprint_web::{AppState, Jobs, OidcConfig, Principal, Registry, RoleMap};

const ENGAGEMENTS: usize = 100;
const USERS: usize = 200;
const FEATURES: &[&str] = &[
    "identity-break-glass-accounts",
    "identity-ca-exclusion-group",
    "ca-block-legacy-authentication",
    "identity-tenant-properties",
    "identity-group-expiration",
];

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// 100 workspaces, each planned into sprints with a few features verified, registered in one
/// server database.
async fn engagements(dir: &std::path::Path) -> (Registry, Store) {
    let server = Store::open(&dir.join("server.db")).await.unwrap();
    let features: Vec<String> = FEATURES.iter().map(|f| format!("\"{f}\"")).collect();
    for n in 0..ENGAGEMENTS {
        let id = format!("agency-{n:03}");
        let ws_dir = dir.join(&id);
        std::fs::create_dir_all(&ws_dir).unwrap();
        std::fs::write(
            ws_dir.join("blueprint.toml"),
            format!(
                "[agency]\nname = \"Agency {n}\"\ndomain = \"a{n}.gov.au\"\nprefix = \"A{n}\"\n\
implementation = \"cloud-native\"\n\n[params]\ntrusted_ip_ranges = [\"203.0.113.0/24\"]\n\
allowed_countries = [\"AU\"]\nbreak_glass_upns = [\"bg1@a{n}.gov.au\", \"bg2@a{n}.gov.au\"]\n\
sharing_allowed_domains = [\"a{n}.gov.au\"]\nterms_of_use_expiry_start = \"2027-07-01\"\n\n\
[params.contacts]\ngroup_expiration = \"ict@a{n}.gov.au\"\ntechnical = \"ict@a{n}.gov.au\"\n\n[plan]\nfeatures = [{}]\ncapacity = 3\n",
                features.join(", ")
            ),
        )
        .unwrap();
        let ws = Workspace::open(&ws_dir).unwrap();
        engagement::plan_sprints(&ws).await.unwrap();
        let events: Vec<LogEvent> = FEATURES
            .iter()
            .take(n % FEATURES.len())
            .map(|f| LogEvent::new(EventKind::Verified, "evaluate", Role::Agency).feature(*f))
            .collect();
        if !events.is_empty() {
            ws.state
                .using(async |store| store.append_events(&events).await.map(drop))
                .await
                .unwrap();
        }
        Registry::register(&server, &id, &ws_dir, &[])
            .await
            .unwrap();
    }
    // The server's database stays open: the app keeps its jobs there.
    // What a server's start costs: every registered workspace opened (profile, catalogue).
    let t = Instant::now();
    let registry = Registry::load(&server).await.unwrap();
    println!(
        "registry of {ENGAGEMENTS} engagements loaded in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    (registry, server)
}

/// CPU time this process has used (user + system), from `/proc/self/stat`: what the load
/// cost, whatever else the machine was running.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields; the 12th and 13th after the name. Linux
    // counts them in clock ticks of 1/100 s (USER_HZ).
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine's 1-minute load average: how much else wanted the two cores meanwhile.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BLUEPRINT_LOAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (registry, server) = engagements(dir.path()).await;
    println!(
        "{ENGAGEMENTS} engagements prepared in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let oidc = OidcConfig {
        authority: "http://127.0.0.1:9".into(),
        tenant: "t".into(),
        client_id: "web".into(),
        redirect_uri: "http://127.0.0.1:9/auth/callback".into(),
    };
    let state = AppState::new(registry, oidc, RoleMap::default(), Jobs::new(server));
    // Half the people are the program office (the overview lists all 100), half agencies.
    let cookies: Vec<(String, String)> = (0..USERS)
        .map(|u| {
            let own = format!("agency-{:03}", u % ENGAGEMENTS);
            let (role, organisation) = if u % 2 == 0 {
                (Role::Program, None)
            } else {
                (Role::Agency, Some(own.clone()))
            };
            let id = state.sessions.start(Principal {
                name: format!("user{u}@example.gov.au"),
                role,
                organisation,
            });
            (format!("bp_session={id}"), own)
        })
        .collect();
    let listener = blueprint_web::bind("127.0.0.1:0").await.unwrap();
    let running = blueprint_web::serve(listener, state).unwrap();
    let base = format!("http://{}", running.addr);
    let rss_before = rss_kib("VmRSS:");

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(USERS)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    // The first overview after a start reads every engagement: timed on its own.
    let t = Instant::now();
    let first = http
        .get(format!("{base}/"))
        .header("cookie", &cookies[0].0)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    println!(
        "first overview after start (reads all {ENGAGEMENTS} engagements): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let load_before = load_average();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let tasks: Vec<_> = cookies
        .into_iter()
        .map(|(cookie, own)| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(rounds);
                for round in 0..rounds {
                    // The overview, then an engagement, alternately.
                    let path = if round % 2 == 0 {
                        "/".to_string()
                    } else {
                        format!("/engagements/{own}")
                    };
                    let t = Instant::now();
                    let ok = match http
                        .get(format!("{base}{path}"))
                        .header("cookie", &cookie)
                        .send()
                        .await
                    {
                        Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    out.push((t.elapsed(), ok));
                }
                out
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        for (latency, ok) in task.await.unwrap() {
            latencies.push(latency);
            errors += usize::from(!ok);
        }
    }
    let wall = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    latencies.sort();
    println!(
        "{USERS} concurrent users, {} requests (overview and engagement pages alternately), {:.1} s",
        latencies.len(),
        wall.as_secs_f64()
    );
    println!(
        "latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p95 < 200 ms)",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "throughput {:.0} requests/s, errors {errors}",
        latencies.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "CPU: {:.2} ms per request (server and load generator; {:.1} s over {:.1} s of wall time on {} cores), machine load average {load_before} before, {} after",
        cpu * 1e3 / latencies.len() as f64,
        cpu,
        wall.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    println!(
        "resident memory: {} MiB serving (peak {} MiB; {} MiB before the load), server and load generator in one process",
        rss_kib("VmRSS:") / 1024,
        rss_kib("VmHWM:") / 1024,
        rss_before / 1024
    );
    running.task.abort();
}
