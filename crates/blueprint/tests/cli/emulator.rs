//! `blueprint emulator` from the command line: flags, the ready file, the banner, clean stop.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Kills the child on drop, so a failing test leaves no emulator behind.
struct Running(Option<Child>);

impl Running {
    fn pid(&self) -> u32 {
        self.0.as_ref().expect("running").id()
    }

    fn wait(mut self) -> std::process::Output {
        self.0
            .take()
            .expect("running")
            .wait_with_output()
            .expect("wait")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(path: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(bytes) = std::fs::read(path)
            && let Ok(v) = serde_json::from_slice(&bytes)
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "no ready file at {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn runs_writes_its_ready_file_and_stops_cleanly_on_sigterm() {
    let dir = temp_dir();
    let ready = dir.path().join("ready.json");
    let state = dir.path().join("state.json");
    let child = blueprint()
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "empty-agency",
            "--tls",
            "--throttle",
            "scale=2",
        ])
        .arg("--ready-file")
        .arg(&ready)
        .arg("--state")
        .arg(&state)
        .arg("--out-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let running = Running(Some(child));
    let info = wait_for(&ready);
    assert!(
        info["authority"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert!(Path::new(info["ca_file"].as_str().unwrap()).exists());
    assert_eq!(info["tenants"][0]["domain"], "examples.onmicrosoft.com");
    let pid = running.pid().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = running.wait();
    assert!(
        out.status.success(),
        "stops with 0 on SIGTERM: {}",
        stderr(&out)
    );
    let printed = stdout(&out);
    assert!(printed.contains("AZURE_TENANT_ID="), "{printed}");
    assert!(printed.contains("AZURE_CLIENT_ID="));
    let secret = info["tenants"][0]["apps"][0]["client_secret"]
        .as_str()
        .unwrap();
    assert!(!printed.contains(secret), "the banner never prints secrets");
    assert!(state.exists(), "state saved on stop");
}

#[test]
fn bad_flags_and_fixtures_exit_2_with_a_clear_message() {
    let cases: [(&[&str], &str); 4] = [
        (&["emulator", "--throttle", "fast"], "not a throttle mode"),
        (&["emulator", "--fault-rate", "2"], "probability"),
        (&["emulator", "--latency-ms", "80..20"], "A ≤ B"),
        (
            &["emulator", "--seed", "no-such-agency"],
            "unknown fixture 'no-such-agency'",
        ),
    ];
    for (args, needle) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_broken_fixture_file_names_the_problem() {
    let dir = temp_dir();
    let path = dir.path().join("fixture.yaml");
    std::fs::write(
        &path,
        "name: broken\ntenants:\n  - name: X\n    domains: [x.onmicrosoft.com]\n    objects:\n      - kind: group\n        body: {displayName: No Nickname, mailEnabled: false, securityEnabled: true}\n",
    )
    .unwrap();
    let out = run(&["emulator", "--seed", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("object 1 (group)") && err.contains("mailNickname"),
        "{err}"
    );
}

#[test]
fn help_teaches() {
    let out = run(&["emulator", "--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in [
        "--seed",
        "--tls",
        "--ready-file",
        "--throttle",
        "--fault-rate",
        "--rng-seed",
        "Examples",
    ] {
        assert!(help.contains(word), "help mentions {word}");
    }
}
