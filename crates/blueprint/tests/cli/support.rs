//! Helpers shared by the command-line tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `blueprint` binary Cargo built for these tests, with the developer's own state, actor
/// and role settings cleared (a test that wants them sets them).
pub fn blueprint() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blueprint"));
    command
        .env_remove("BLUEPRINT_DATABASE_URL")
        .env_remove("BLUEPRINT_ACTOR")
        .env_remove("BLUEPRINT_ROLE");
    command
}

/// `blueprint ARGS -C WS` as a named agency officer.
pub fn bp(ws: &Path, args: &[&str]) -> Output {
    blueprint()
        .args(args)
        .arg("-C")
        .arg(ws)
        .env("BLUEPRINT_ACTOR", "jo@examples.gov.au")
        .output()
        .unwrap()
}

/// Asserts the command succeeded, showing what it printed when it did not.
pub fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(out), stderr(out));
}

/// Replaces what follows `[plan]` in the workspace's profile.
pub fn set_plan(ws: &Path, plan: &str) {
    let profile = ws.join("blueprint.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let head = &text[..text.find("[plan]").expect("[plan] in the profile")];
    std::fs::write(&profile, format!("{head}[plan]\n{plan}\n")).unwrap();
}

/// `blueprint init DIR/ws` with no tenant connection (enough for sprints, stories, status,
/// attest and next), its `[plan]` replaced by `plan`.
pub fn offline_workspace(dir: &Path, plan: &str) -> PathBuf {
    let ws = init_examples(dir, "examples.gov.au", &[]);
    set_plan(&ws, plan);
    ws
}

/// Objects of one kind that share a display name (or template id) in an emulator state: what a
/// deploy that created something twice leaves behind.
pub fn duplicates(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, items) in state["tenants"][0]["collections"].as_object().unwrap() {
        // Microsoft names every role's PIM policy "Directory"; the tool never creates one.
        // Intune names every default enrolment configuration "All users and all devices".
        if kind == "unifiedRoleManagementPolicy" || kind == "deviceEnrollmentConfiguration" {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for o in items.as_object().unwrap().values() {
            if let Some(name) = o["displayName"].as_str().or(o["templateId"].as_str())
                && !seen.insert(name.to_string())
            {
                out.push(format!("{kind}: {name}"));
            }
        }
    }
    out
}

/// `blueprint init DIR/ws` for the Department of Examples at `domain`, with `extra` arguments.
fn init_examples(dir: &Path, domain: &str, extra: &[&str]) -> PathBuf {
    let ws = dir.join("ws");
    let args = [
        "init",
        ws.to_str().unwrap(),
        "--agency",
        "Department of Examples",
        "--domain",
        domain,
        "--prefix",
        "DOE",
    ];
    let out = run(&[&args[..], extra].concat());
    assert!(out.status.success(), "init: {}", stderr(&out));
    ws
}

/// The workspace's feature log, as `blueprint log --format json` prints it.
pub fn log(ws: &Path) -> Vec<Value> {
    let out = bp(ws, &["log", "--format", "json"]);
    ok(&out);
    json_of(&out).as_array().cloned().unwrap_or_default()
}

/// Appends events to the workspace's feature log directly, as deploy, evaluate, `sprints
/// plan` or `next` would.
pub fn append(ws: &Path, events: Vec<blueprint_store::LogEvent>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = blueprint_store::Store::open(&ws.join(".blueprint/state.db"))
            .await
            .unwrap();
        store.append_events(&events).await.unwrap();
        store.close().await;
    });
}

/// Runs `blueprint` with the arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    blueprint().args(args).output().expect("run blueprint")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory under the workspace's target dir that lives as long as the returned guard.
pub fn temp_dir() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tempfile::tempdir_in(base).expect("temp dir")
}

/// Whether `needle` is in `haystack`, ignoring whitespace and the frame miette draws when it
/// wraps a long message to the terminal width.
pub fn says(haystack: &str, needle: &str) -> bool {
    let flat = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect::<String>()
    };
    flat(haystack).contains(&flat(needle))
}

/// Standard output parsed as JSON, or a panic that shows it.
pub fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(out)))
}

/// An emulator child process, killed on drop.
pub struct Emulator {
    child: Child,
    pub ready: Value,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    pub fn start(dir: &Path, seed: &str, extra: &[&str]) -> Emulator {
        let ready_path = dir.join("ready.json");
        let child = blueprint()
            .args([
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--tls",
                "--seed",
                seed,
                "--rng-seed",
                "3",
            ])
            .args(extra)
            .arg("--ready-file")
            .arg(&ready_path)
            .arg("--out-dir")
            .arg(dir.join("emulator"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = loop {
            if let Ok(text) = std::fs::read_to_string(&ready_path)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
            {
                break v;
            }
            assert!(Instant::now() < deadline, "emulator ready file");
            std::thread::sleep(Duration::from_millis(50));
        };
        Emulator { child, ready }
    }

    pub fn ready_file(&self, dir: &Path) -> PathBuf {
        dir.join("ready.json")
    }

    /// The emulator's state dump, over plain HTTP on loopback.
    pub fn state(&self) -> Value {
        self.get("/_emulator/state")
    }

    /// GETs JSON from the emulator over plain HTTP on loopback.
    pub fn get(&self, path: &str) -> Value {
        let base = self.ready["plain_http"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://")
            .to_string();
        let mut stream = TcpStream::connect(&base).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {base}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        let body = raw.split_once("\r\n\r\n").unwrap().1;
        serde_json::from_str(body).expect("emulator JSON")
    }

    /// POSTs JSON to the emulator over plain HTTP on loopback; returns the status code.
    pub fn post(&self, path: &str, body: &Value) -> u16 {
        let base = self.ready["plain_http"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://")
            .to_string();
        let body = body.to_string();
        let mut stream = TcpStream::connect(&base).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {base}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    pub fn secret(&self) -> String {
        self.ready["tenants"][0]["apps"][0]["client_secret"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// `blueprint init DIR/ws` connected to the emulator (its ready file in `emulator_dir`).
pub fn init(dir: &Path, emulator: &Emulator, emulator_dir: &Path) -> PathBuf {
    let ready = emulator.ready_file(emulator_dir);
    // The agency's domain is one the tenant has verified: Exchange's accepted domains come from
    // them, and the tool sets them but never creates one.
    let domain = emulator.ready["tenants"][0]["domains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|d| !d.ends_with(".onmicrosoft.com"))
        .expect("the emulated tenant has a domain of its own")
        .to_string();
    init_examples(dir, &domain, &["--emulator", ready.to_str().unwrap()])
}

/// The agency's own change to its tenant, made through Graph as an administrator would and
/// not through blueprint: PATCH `path` (e.g. `/groups/ID`) with `body`, signed in with the
/// workspace's connection.
pub fn agency_edit(ws: &Path, path: &str, body: &Value) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let workspace =
            blueprint_engine::Workspace::open(ws).unwrap_or_else(|e| panic!("workspace: {e}"));
        let session =
            blueprint_engine::Session::open(workspace, blueprint_engine::progress::quiet())
                .unwrap_or_else(|e| panic!("session: {e}"));
        session
            .client
            .patch(path, body)
            .await
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"));
    });
}

/// The object of `kind` named `name` in the emulator's state dump.
pub fn object_named<'a>(state: &'a Value, kind: &str, name: &str) -> Option<&'a Value> {
    state["tenants"][0]["collections"][kind]
        .as_object()?
        .values()
        .find(|o| o["displayName"] == name)
}
