//! Microsoft's own client libraries, unmodified, against `blueprint emulator`:
//! - Node.js: `tests/sdk-compat/compat.mjs` authenticates with `@azure/identity` (client secret
//!   and certificate) and drives `@microsoft/microsoft-graph-client` (create, list with paging,
//!   read, update, delete, batch), with the models of `@microsoft/msgraph-sdk` and
//!   `@microsoft/msgraph-beta-sdk` (`tests/sdk-compat/sdk-models.mjs`) writing the bodies of the
//!   Intune and admin kinds and reading every answer of those kinds: a property the SDK's model
//!   does not know fails the test;
//! - Python: `tests/sdk-compat/python/compat.py` authenticates with `azure-identity` (client
//!   secret and certificate, through MSAL) and drives `msgraph-sdk` with its own model classes
//!   (create, read, update, paging with msgraph-core's PageIterator over HTTP/2, a `$batch`
//!   built by msgraph-core, ODataError).
//!
//! Each runs against an emulator this test starts over TLS. The libraries come from
//! `tests/sdk-compat/package-lock.json` (`npm ci`) and `tests/sdk-compat/python/requirements.txt`
//! (a venv in `tests/sdk-compat/python/.venv`); `.ci/run` installs both before the tests.
//! Without them these tests fail rather than skipping.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support;

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// A child process that is killed (and reaped) when this goes out of scope, also when the
/// test panics.
struct KillOnDrop {
    child: Child,
    what: &'static str,
}

impl KillOnDrop {
    fn spawn(mut cmd: Command, what: &'static str) -> KillOnDrop {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {what}: {e}"));
        KillOnDrop { child, what }
    }

    /// The exit status if the process has ended.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .try_wait()
            .unwrap_or_else(|e| panic!("checking on {}: {e}", self.what))
    }

    /// Waits up to `limit` for the process to end.
    fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if start.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Sends the command's stdout and stderr, interleaved, to one new file.
fn to_file(cmd: &mut Command, path: &Path) {
    let file = File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    let dup = file.try_clone().expect("duplicating a file handle");
    cmd.stdout(file).stderr(dup);
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(could not read {}: {e})", path.display()))
}

/// Fails, with the way out, when the npm packages the script needs are not installed.
fn require_node_modules(sdk_dir: &Path) {
    let wanted = [
        "node_modules/@azure/identity/package.json",
        "node_modules/@microsoft/microsoft-graph-client/package.json",
        "node_modules/@microsoft/msgraph-sdk/package.json",
        "node_modules/@microsoft/msgraph-beta-sdk/package.json",
        "node_modules/@microsoft/kiota-serialization-json/package.json",
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|p| !sdk_dir.join(p).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "the SDK compatibility test needs Microsoft's client libraries from npm, and {} is missing \
         {missing:?}: run `npm ci` in tests/sdk-compat (CI's .ci/run does this first)",
        sdk_dir.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the SDK compatibility test needs Node.js (`node` on PATH, version 20 or later): {node:?}"
    );
}

/// Polls for the emulator's ready file until it parses, the emulator exits, or time runs out.
fn wait_for_ready(emulator: &mut KillOnDrop, ready: &Path, log: &Path) -> serde_json::Value {
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(ready)
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            return value;
        }
        if let Some(status) = emulator.exited() {
            panic!(
                "the emulator exited ({status}) before writing {}; its output:\n{}",
                ready.display(),
                read_lossy(log)
            );
        }
        if start.elapsed() >= READY_TIMEOUT {
            panic!(
                "the emulator wrote no ready file at {} within {READY_TIMEOUT:?}; its output:\n{}",
                ready.display(),
                read_lossy(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An emulator over TLS, seeded with `empty-agency`, with its ready file parsed.
struct Emulator {
    process: KillOnDrop,
    ready_path: PathBuf,
    ca_file: String,
    log: PathBuf,
}

fn start_emulator(dir: &Path) -> Emulator {
    let ready_path = dir.join("ready.json");
    let log = dir.join("emulator.log");
    let mut cmd = support::blueprint();
    cmd.args([
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--tls",
        "--throttle",
        "off",
    ])
    .args(["--seed", "empty-agency", "--ready-file"])
    .arg(&ready_path)
    .arg("--out-dir")
    .arg(dir)
    .stdin(Stdio::null());
    to_file(&mut cmd, &log);
    let mut process = KillOnDrop::spawn(cmd, "blueprint emulator");
    let ready = wait_for_ready(&mut process, &ready_path, &log);
    let ca_file = ready["ca_file"]
        .as_str()
        .unwrap_or_else(|| panic!("the ready file names no ca_file: {ready}"))
        .to_string();
    assert!(
        Path::new(&ca_file).is_file(),
        "the ready file's ca_file {ca_file} does not exist"
    );
    Emulator {
        process,
        ready_path,
        ca_file,
        log,
    }
}

/// Runs one SDK script against the emulator and fails with its output (and the emulator's)
/// unless it passes.
fn run_script(mut script: Command, what: &'static str, out: &Path, emulator: &mut Emulator) {
    // Everything goes to the emulator on loopback: never through a proxy.
    script
        .env("NO_PROXY", "127.0.0.1,localhost,::1")
        .env("no_proxy", "127.0.0.1,localhost,::1")
        .stdin(Stdio::null());
    to_file(&mut script, out);
    let mut child = KillOnDrop::spawn(script, what);
    let status = child.wait_for(SCRIPT_TIMEOUT);
    drop(child);
    let output = read_lossy(out);
    match status {
        Some(s) if s.success() => println!("{output}"),
        Some(s) => panic!(
            "{what} failed ({s}):\n{output}\n--- emulator output ---\n{}",
            read_lossy(&emulator.log)
        ),
        None => panic!(
            "{what} did not finish within {SCRIPT_TIMEOUT:?}:\n{output}\n\
             --- emulator output ---\n{}",
            read_lossy(&emulator.log)
        ),
    }
    assert!(
        emulator.process.exited().is_none(),
        "the emulator exited during the run; its output:\n{}",
        read_lossy(&emulator.log)
    );
}

#[test]
fn sdk_compat_microsoft_client_libraries_work_against_the_emulator() {
    let root = workspace_root();
    let sdk_dir = root.join("tests/sdk-compat");
    require_node_modules(&sdk_dir);

    let tmp = support::temp_dir();
    let mut emulator = start_emulator(tmp.path());
    let mut node = Command::new("node");
    node.arg("tests/sdk-compat/compat.mjs")
        .arg(&emulator.ready_path)
        .current_dir(&root)
        .env("NODE_EXTRA_CA_CERTS", &emulator.ca_file);
    run_script(
        node,
        "node tests/sdk-compat/compat.mjs",
        &tmp.path().join("node.out"),
        &mut emulator,
    );
}

/// The venv's Python, failing with the way out when the venv or its packages are missing.
fn require_python_venv(python_dir: &Path) -> PathBuf {
    let python = python_dir.join(".venv/bin/python");
    let probe = Command::new(&python)
        .args([
            "-c",
            "import msgraph, msgraph_beta, azure.identity, msgraph_core, deprecated",
        ])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "the Python SDK compatibility test needs Microsoft's libraries from PyPI in a venv at {}: \
         python3 -m venv tests/sdk-compat/python/.venv && \
         tests/sdk-compat/python/.venv/bin/pip install -r tests/sdk-compat/python/requirements.txt \
         (CI's .ci/run does this first): {probe:?}",
        python.display()
    );
    python
}

#[test]
fn sdk_compat_microsoft_python_libraries_work_against_the_emulator() {
    let root = workspace_root();
    let python = require_python_venv(&root.join("tests/sdk-compat/python"));

    let tmp = support::temp_dir();
    let mut emulator = start_emulator(tmp.path());
    let mut script = Command::new(python);
    script
        .arg("tests/sdk-compat/python/compat.py")
        .arg(&emulator.ready_path)
        .current_dir(&root)
        // httpx (Kiota) and requests (azure-identity) each trust the emulator's CA this way.
        .env("SSL_CERT_FILE", &emulator.ca_file)
        .env("REQUESTS_CA_BUNDLE", &emulator.ca_file)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_script(
        script,
        "python tests/sdk-compat/python/compat.py",
        &tmp.path().join("python.out"),
        &mut emulator,
    );
}
